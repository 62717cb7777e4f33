"""Nexmark in weir's SQL (deploy/bench.sh nexmark): every query weir can
express today over `weir gen nexmark` events (4 partitions, round-robin),
each timed into the blackhole sink on one worker against the bare
librdkafka drain of the same topic (the faster of a drain before and one
after), and each checked into PostgreSQL against a reference computed here
from a smaller topic's kcat dump. Prints, per query: events/s, events per
worker CPU-second, the ratio to the drain, the worker's peak RSS; then the
queries weir refuses, with the reason `weir validate` gives.

Not yet: Flink SQL side by side, and the queries that need expressions
(docs/benchmarks.md, "Nexmark")."""
import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import harness as h  # noqa: E402
import reference as ref  # noqa: E402
from windowed import drain, peak_rss_mb  # noqa: E402
from lake import cpu_seconds  # noqa: E402

PARTITIONS = 4
SOURCE = """CREATE TABLE nexmark (
  event_type bigint NOT NULL, bid jsonb,
  date_time timestamp GENERATED ALWAYS AS ((bid->>'dateTime')::timestamp) STORED,
  auction bigint GENERATED ALWAYS AS ((bid->>'auction')::bigint) STORED,
  bidder bigint GENERATED ALWAYS AS ((bid->>'bidder')::bigint) STORED,
  price bigint GENERATED ALWAYS AS ((bid->>'price')::bigint) STORED
) WITH (connector = 'kafka', brokers = '{brokers}', topic = '{topic}',
        watermark_for = 'date_time', watermark_delay = '4 seconds');
"""

# Window sizes, for which windows the watermark closed.
SIZES = {"q5-count": 10_000, "q7-max": 10_000, "q15-nofilter": 86_400_000,
         "q17-nofilter": 86_400_000}

# name -> the SELECT (into table out); what the reference checks.
QUERIES = {
    "q0": "SELECT auction, bidder, price, date_time FROM nexmark WHERE event_type = 2",
    # q5's inner count (bids per auction per window), tumbling.
    "q5-count": "SELECT window_start, auction, count(*) AS bids "
                "FROM TUMBLE(nexmark, date_time, INTERVAL '10' SECOND) WHERE event_type = 2 "
                "GROUP BY window_start, window_end, auction",
    # q7's highest price per window (the price, not the row).
    "q7-max": "SELECT window_start, max(price) AS price "
              "FROM TUMBLE(nexmark, date_time, INTERVAL '10' SECOND) WHERE event_type = 2 "
              "GROUP BY window_start, window_end",
    # q15 without its FILTER columns: per day, bids, distinct bidders and auctions.
    "q15-nofilter": "SELECT window_start, count(*) AS bids, count(DISTINCT bidder) AS bidders, "
                    "count(DISTINCT auction) AS auctions "
                    "FROM TUMBLE(nexmark, date_time, INTERVAL '1' DAY) WHERE event_type = 2 "
                    "GROUP BY window_start, window_end",
    # q17 without its FILTER columns: per auction and day.
    "q17-nofilter": "SELECT window_start, auction, count(*) AS bids, min(price) AS min_price, "
                    "max(price) AS max_price, sum(price) AS sum_price "
                    "FROM TUMBLE(nexmark, date_time, INTERVAL '1' DAY) WHERE event_type = 2 "
                    "GROUP BY window_start, window_end, auction",
}

# As Nexmark writes them (in weir's dialect); refused today.
REFUSED = {
    "q1": "SELECT auction, bidder, 0.908 * price AS price, date_time FROM nexmark "
          "WHERE event_type = 2",
    "q2": "SELECT auction, price FROM nexmark WHERE event_type = 2 AND mod(auction, 123) = 0",
    "q11": "SELECT window_start, bidder, count(*) AS bids "
           "FROM SESSION(nexmark, date_time, INTERVAL '10' SECOND) WHERE event_type = 2 "
           "GROUP BY window_start, window_end, bidder",
    "q17": "SELECT window_start, auction, count(*) AS bids, "
           "count(*) FILTER (WHERE price < 10000) AS rank1 "
           "FROM TUMBLE(nexmark, date_time, INTERVAL '1' DAY) WHERE event_type = 2 "
           "GROUP BY window_start, window_end, auction",
    "q22": "SELECT auction, split_part(bid->>'url', '/', 4) AS dir1 FROM nexmark "
           "WHERE event_type = 2",
}


def job_text(name, topic, select, table=None):
    """The job; into PostgreSQL table `table`, else into the blackhole."""
    into = ("CREATE TABLE out () WITH (connector = 'blackhole');" if table is None else
            f"CREATE TABLE out () WITH (connector = 'postgres', url = '{os.environ['WEIR_PG_URL']}'"
            f", table = '{table}');")
    return (f"SET pipeline.name = '{name}';\n"
            + SOURCE.format(brokers=os.environ["WEIR_KAFKA_BROKERS"], topic=topic)
            + into + "\nINSERT INTO out " + select + ";\n")


def reference(name, bids, watermark):
    """What weir must write for query `name`: window rows of the windows the
    watermark closed, as {(window_start, key...): values}."""
    def closed(t, size):
        return t - t % size + size <= watermark
    if name == "q0":
        return {k: v for k, v in bids.items()}
    if name == "q5-count":
        c = collections.Counter((t - t % 10_000, str(a)) for a, _, _, t in bids.values()
                                if closed(t, 10_000))
        return {k: (n,) for k, n in c.items()}
    if name == "q7-max":
        m = {}
        for _, _, p, t in bids.values():
            if closed(t, 10_000):
                w = t - t % 10_000
                m[(w,)] = max(m.get((w,), 0), p)
        return {k: (v,) for k, v in m.items()}
    day = 86_400_000
    if name == "q15-nofilter":
        acc = collections.defaultdict(lambda: [0, set(), set()])
        for a, b, _, t in bids.values():
            if closed(t, day):
                x = acc[(t - t % day,)]
                x[0] += 1
                x[1].add(b)
                x[2].add(a)
        return {k: (v[0], len(v[1]), len(v[2])) for k, v in acc.items()}
    if name == "q17-nofilter":
        acc = {}
        for a, _, p, t in bids.values():
            if closed(t, day):
                k = (t - t % day, str(a))
                n, lo, hi, s = acc.get(k, (0, p, p, 0))
                acc[k] = (n + 1, min(lo, p), max(hi, p), s + p)
        return acc
    raise KeyError(name)


def written(name, table, watermark):
    """What weir wrote into PostgreSQL for query `name`, keyed as reference():
    the rows of the windows the watermark closed."""
    if h.psql(f"SELECT to_regclass('\"{table}\"') IS NOT NULL")[0][0] != "t":
        return {}
    if name == "q0":
        return {(int(r[0]), int(r[1])): (int(r[2]), int(r[3]), int(r[4]), int(r[5]))
                for r in h.psql(f"""SELECT kafka_partition, kafka_offset, auction, bidder, price,
                                    (extract(epoch FROM date_time) * 1000)::bigint
                                    FROM "{table}" """)}
    cols = {"q5-count": ["auction", "bids"], "q7-max": ["price"],
            "q15-nofilter": ["bids", "bidders", "auctions"],
            "q17-nofilter": ["auction", "bids", "min_price", "max_price", "sum_price"]}[name]
    keyed = 1 if name in ("q5-count", "q17-nofilter") else 0
    out = {}
    for r in h.psql(f"""SELECT (extract(epoch FROM window_start) * 1000)::bigint,
                        {", ".join(f'"{c}"' for c in cols)} FROM "{table}" """):
        key = (int(r[0]),) + tuple(r[1:1 + keyed])
        if key[0] + SIZES[name] <= watermark:
            out[key] = tuple(int(float(v)) for v in r[1 + keyed:])
    return out


def read_all(cluster, job, total):
    """Whether the job has read every event (its partitions' next offsets)."""
    try:
        parts = cluster.api(f"/api/v1/jobs/{job}")["partitions"]
    except Exception:  # not reported yet
        return False
    return sum(p.get("next_offset", 0) for p in parts) >= total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", nargs="?", default="nexmark")
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--check-events", type=int, default=300_000)
    ap.add_argument("--queries", default=",".join(QUERIES), help="a comma-separated subset")
    args = ap.parse_args()
    for name in list(QUERIES):
        if name not in args.queries.split(","):
            del QUERIES[name]
    h.load_env()
    topic, small = h.unique("nexmark"), h.unique("nexmark_check")
    # The timed topic spans minutes of event time; the checked one 33 hours,
    # so a day's window closes.
    for t, n, step in ((topic, args.events, "0.1"),
                       (small, args.check_events, str(33 * 3_600_000 / args.check_events))):
        h.run([h.WEIR, "gen", "nexmark", "--topic", t, "--partitions", str(PARTITIONS),
               "--count", str(n), "--step", step, "--seed", "9"])
    d1 = drain(topic)
    assert d1["messages"] == args.events, d1

    # Correctness: every query into PostgreSQL over the small topic.
    bids = ref.nexmark_bids(small)
    newest = collections.defaultdict(int)
    for (p, _), (_, _, _, t) in bids.items():
        newest[p] = max(newest[p], t)
    watermark = min(newest.values()) - 4000
    checked = {}
    tables = {name: f"{small}_{name.replace('-', '_')}" for name in QUERIES}
    with h.Cluster("nexmark-check") as cluster:
        cluster.up("w1")
        for name, select in QUERIES.items():
            spec = h.write_spec(job_text(tables[name], small, select, tables[name]),
                                f"{name}.sql")
            cluster.weir("submit", spec, check=True)
        for name, table in tables.items():
            want = reference(name, bids, watermark)
            assert want, f"{name}: no window closed in the checked topic"
            h.wait_until(lambda: written(name, table, watermark) == want, 120,
                         f"{name}'s rows to equal the reference")
            checked[name] = len(want)
    h.drop_tables(*tables.values(), *(f"{t}__progress" for t in tables.values()),
                  *(f"{t}__partials" for t in tables.values()))

    # Speed: each query alone into the blackhole, on a fresh worker.
    results = {}
    for name, select in QUERIES.items():
        job = f"{topic}_{name}"
        spec = h.write_spec(job_text(job, topic, select), f"{name}.sql")
        with h.Cluster("nexmark") as cluster:
            # Reports every 100 ms: the end is seen within that of when it comes.
            cluster.up("w1", http=True, worker_args=("--report-ms", "100"))
            pid = cluster.procs["w1"].pid
            cpu0 = cpu_seconds(pid)
            t0 = time.time()
            cluster.weir("submit", spec, check=True)
            while not read_all(cluster, job, args.events):
                assert time.time() - t0 < 600, f"{name}: not every event read in 600 s"
                time.sleep(0.05)
            seconds = time.time() - t0
            results[name] = (seconds, cpu_seconds(pid) - cpu0, peak_rss_mb(pid))
    d2 = drain(topic)
    limit = max(x["messages"] / x["wall_s"] for x in (d1, d2))

    refused = {}
    for name, select in REFUSED.items():
        spec = h.write_spec(job_text(name, topic, select), f"{name}.sql")
        res = h.run([h.WEIR, "validate", spec], check=False)
        refused[name] = (res.stdout + res.stderr).strip().splitlines()[0] if res.returncode \
            else "accepted"

    print()
    print(f"nexmark: {args.events} events ({PARTITIONS} partitions, round-robin), 1 worker, "
          f"into the blackhole; bare librdkafka drain {limit:,.0f} events/s (the faster of two)")
    print(f"{'query':14} {'events/s':>12} {'per CPU-s':>12} {'/ drain':>8} {'RSS MB':>8}  checked")
    for name, (s, cpu, rss) in results.items():
        print(f"{name:14} {args.events / s:12,.0f} {args.events / max(cpu, 1e-9):12,.0f} "
              f"{args.events / s / limit:8.2f} {rss:8.0f}  {checked[name]} rows = reference")
    print("refused:")
    for name, why in refused.items():
        print(f"  {name}: {why}")
    for t in (topic, small):
        h.delete_topic(t)


if __name__ == "__main__":
    main()
