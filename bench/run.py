"""weir's benchmark harness: throughput of the bets top-games job against the
bare librdkafka drain of the same topic, and the delay from a window's close to
its row in PostgreSQL. Prints figures and ratios measured in this one run;
record them in docs/benchmarks.md.

Usage: deploy/bench.sh [--events N] [--partitions P]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import harness as h  # noqa: E402
import windowed  # noqa: E402

BUILD = os.path.dirname(h.WEIR)
SPEC = os.path.join(h.REPO, "jobs", "specs", "bets-top-games.yaml")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")



def fill(topic, events, partitions):
    t0 = time.time()
    h.run([h.WEIR, "gen", "bets", "--topic", topic, "--partitions", str(partitions), "--count",
           str(events), "--step", str(600_000 / events), "--disorder", "2000", "--seed", "1"])
    return time.time() - t0


def drain(topic):
    res = h.run([os.path.join(BUILD, "bench", "weir_bench_drain"), os.environ["WEIR_KAFKA_BROKERS"], topic])
    return json.loads(res.stdout)


def run_job(topic, events, prefix, metrics=True, during=None, digest=None):
    """Submits the top-games job to one worker; returns (wall s from submission,
    steady wall s from the first progress report to the last event, events in
    the steady span, worker CPU s, peak RSS MB). Without `metrics` the worker
    reports nothing and the coordinator serves no HTTP; `during(cluster)` runs
    while the job does; `digest(table)` reads the results before they go."""
    os.environ.update(WEIR_BETS_TOPIC=topic, WEIR_TABLE_PREFIX=prefix, WEIR_JOB_PREFIX=prefix)
    table = prefix + "bet_stats"
    with h.Cluster("bench") as cluster:
        cluster.up("bench-worker", http=metrics, worker_args=() if metrics else ("--report-ms", "0"))
        if during:
            during(cluster)
        pid = cluster.procs["bench-worker"].pid
        cpu0, t0 = cpu_seconds(pid), time.time()
        cluster.weir("submit", SPEC, check=True)
        first, db = None, h.PsqlSession()
        while True:
            exists = db.rows(f"SELECT to_regclass('\"{table}__progress\"') IS NOT NULL")[0][0] == "t"
            rows = db.rows(f"""SELECT coalesce(sum(events + filtered + malformed + late), 0)
                               FROM "{table}__progress" WHERE source_partition >= 0""") \
                if exists else [["0"]]
            now, seen = time.time(), int(rows[0][0])
            if first is None and seen > 0:
                first = (now, seen)
            if seen >= events:
                break
            if now - t0 > 600:
                raise AssertionError("the job did not read every event in 600 s")
            time.sleep(0.05)
        db.close()
        wall, cpu = now - t0, cpu_seconds(pid) - cpu0
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
        if digest:
            # The last window stays open (no later event): wait for the others.
            h.wait_until(lambda: (h.materialized(table) or 0) >= 1_767_225_600_000 + 540_000, 60,
                         "every closed window published")
            digest(table)
    h.drop_tables(table, table + "__partials", table + "__progress")
    return wall, now - first[0], events - first[1], cpu, rss


def raw_ingest(prefix, partitions, events):
    """Every bet into PostgreSQL with the shipped bets-raw job (COPY + ON
    CONFLICT DO NOTHING): rows/s from the first row to the last."""
    topic = prefix + "raw"
    h.run([h.WEIR, "gen", "bets", "--topic", topic, "--partitions", str(partitions), "--count",
           str(events), "--seed", "2"])
    os.environ.update(WEIR_BETS_TOPIC=topic, WEIR_TABLE_PREFIX=prefix + "raw_",
                      WEIR_JOB_PREFIX=prefix + "raw-")
    table = prefix + "raw_bets"
    first = None
    with h.Cluster("bench-raw") as cluster:
        cluster.up("raw-worker")
        cluster.weir("submit", os.path.join(h.REPO, "jobs", "specs", "bets-raw.yaml"), check=True)
        while True:
            exists = h.psql(f"SELECT to_regclass('\"{table}\"') IS NOT NULL")[0][0] == "t"
            n = int(h.psql(f'SELECT count(*) FROM "{table}"')[0][0]) if exists else 0
            now = time.time()
            if first is None and n > 0:
                first = (now, n)
            if n >= events:
                break
            time.sleep(0.1)
    h.delete_topic(topic)
    h.drop_tables(table)
    return (events - first[1]) / (now - first[0])


def latency(prefix, partitions, rate, seconds):
    """Live events, 5 s windows: wall time from a window's close (its end plus
    the out-of-orderness bound) to its row in PostgreSQL."""
    topic = prefix + "live"
    h.create_topic(topic, partitions)
    spec = open(SPEC).read().replace("size: 1m", "size: 5s")
    path = h.write_spec(spec)
    os.environ.update(WEIR_BETS_TOPIC=topic, WEIR_TABLE_PREFIX=prefix + "live_",
                      WEIR_JOB_PREFIX=prefix + "live_")
    table = prefix + "live_bet_stats"
    seen = {}
    with h.Cluster("bench-live") as cluster:
        cluster.up("live-worker")
        cluster.weir("submit", path, check=True)
        gen = subprocess.Popen([h.WEIR, "gen", "bets", "--topic", topic, "--live", "--rate",
                                str(rate), "--count", str(rate * seconds), "--disorder", "0"],
                               stderr=subprocess.DEVNULL)
        while gen.poll() is None:
            if h.psql(f"SELECT to_regclass('\"{table}\"') IS NOT NULL")[0][0] == "t":
                for (start,) in h.psql(f"""SELECT DISTINCT (extract(epoch FROM window_start)
                                           * 1000)::bigint FROM "{table}" """):
                    seen.setdefault(int(start), time.time())
            time.sleep(0.02)
    ooo = 5.0
    delays = [t - (start / 1000 + 5 + ooo) for start, t in sorted(seen.items())]
    h.delete_topic(topic)
    h.drop_tables(table, table + "__partials", table + "__progress")
    return delays[1:]  # the first window opened before the generator started


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--live-seconds", type=int, default=40)
    ap.add_argument("--live-rate", type=int, default=20_000)
    ap.add_argument("--raw-events", type=int, default=1_000_000)
    args = ap.parse_args()
    h.load_env()
    prefix = h.unique("bench") + "_"
    topic = prefix + "bets"
    print(f"filling {topic}: {args.events} bets over {args.partitions} partitions ...", flush=True)
    fill_s = fill(topic, args.events, args.partitions)
    d = drain(topic)
    assert d["messages"] == args.events, d
    checked = []

    def check(table):  # the results, as the aging bench checks them
        checked.append(windowed.top_games_problems(topic, table)[1:])

    wall, steady_s, steady_events, cpu, rss = run_job(topic, args.events, prefix, digest=check)
    rows, problems = checked[0]
    assert not problems, problems
    delays = latency(prefix, args.partitions, args.live_rate, args.live_seconds)
    raw_rate = raw_ingest(prefix, args.partitions, args.raw_events)
    h.delete_topic(topic)

    drain_rate = d["messages"] / d["wall_s"]
    drain_per_core = d["messages"] / d["cpu_s"]
    job_rate = steady_events / steady_s
    job_total_rate = args.events / wall
    job_per_core = args.events / cpu
    print()
    print(f"events: {args.events} bets, {d['bytes'] / args.events:.0f} B each, "
          f"{args.partitions} partitions (produced in {fill_s:.1f} s)")
    print(f"bare librdkafka drain : {drain_rate:12,.0f} events/s wall, "
          f"{drain_per_core:12,.0f} events per CPU-second")
    print(f"weir top-games job    : {job_rate:12,.0f} events/s wall, "
          f"{job_per_core:12,.0f} events per CPU-second (1 worker, {cpu:.1f} CPU-s)")
    print(f"  (with submission and start-up: {job_total_rate:,.0f} events/s over {wall:.1f} s)")
    print(f"  worker peak RSS: {rss:.0f} MB (drain: {d.get('rss_mb', 0):.0f} MB)")
    print(f"ratio job / drain     : {job_rate / drain_rate:12.2f} wall, "
          f"{job_per_core / drain_per_core:12.2f} per CPU-second")
    if delays:
        print(f"window close -> row in PostgreSQL ({len(delays)} windows of 5 s, "
              f"{args.live_rate} events/s live): median {statistics.median(delays) * 1000:.0f} ms, "
              f"max {max(delays) * 1000:.0f} ms")
    print(f"raw ingest into PostgreSQL (bets-raw, {args.raw_events} bets, 1 worker): "
          f"{raw_rate:,.0f} rows/s")
    print(f"checked: the top-games job's {rows} result rows equal the reference (rank, bets, "
          "turnover to the cent)")
    print("note: the job's wall rate is measured from its first progress report to its last"
          " event, like the drain's from its first message; wall figures on this shared 2-core"
          " machine share it with Kafka and PostgreSQL.")


if __name__ == "__main__":
    main()
