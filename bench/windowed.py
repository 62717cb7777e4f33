"""Benchmarks of the windowed results path, each checked against a reference
computed here from the events read back with kcat (none of weir's code).

  deploy/bench.sh aging        top-games over 48 h of event time: read rate per
                               fifth of the topic (flat?), rows kept in PostgreSQL
  deploy/bench.sh cardinality  seed 004's per-user jobs over 30M possible users:
                               end-to-end events/s against a bare binary COPY of
                               the same rows, worker peak RSS, state bytes per key

Prints figures and ratios measured in this one run; record them in
docs/benchmarks.md.
"""
import argparse
import collections
import datetime
import decimal
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import harness as h  # noqa: E402
import reference as ref  # noqa: E402

BUILD = os.path.dirname(h.WEIR)
SPECS = os.path.join(h.REPO, "jobs", "specs")
HOUR_MS = 3_600_000


def kcat_lines(topic):
    """(partition, payload) of every message, streamed."""
    proc = subprocess.Popen(["kcat", "-C", "-b", os.environ["WEIR_KAFKA_BROKERS"], "-t", topic,
                             "-e", "-q", "-f", "%p\t%s\n"], stdout=subprocess.PIPE, text=True,
                            bufsize=1 << 20)
    for line in proc.stdout:
        p, payload = line.rstrip("\n").split("\t", 1)
        yield int(p), payload
    assert proc.wait() == 0, "kcat failed"


def millis(iso):
    return int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def seen_events(table, db):
    if db.rows(f"SELECT to_regclass('\"{table}__progress\"') IS NOT NULL")[0][0] != "t":
        return 0
    return int(db.rows(f"""SELECT coalesce(sum(events + filtered + malformed + late), 0)
                           FROM "{table}__progress" WHERE source_partition >= 0""")[0][0])


def count_rows(table):
    if h.psql(f"SELECT to_regclass('\"{table}\"') IS NOT NULL")[0][0] != "t":
        return 0
    return int(h.psql(f'SELECT count(*) FROM "{table}"')[0][0])


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def drain(topic):
    res = h.run([os.path.join(BUILD, "bench", "weir_bench_drain"),
                 os.environ["WEIR_KAFKA_BROKERS"], topic])
    return json.loads(res.stdout)


# -- aging ----------------------------------------------------------------------


def aging_reference(topic, ooo_ms=5000, size_ms=60_000, n=10):
    """Top-n games per minute by bets, with turnover (exact: the spec reads
    amounts as decimal(12, 2)), for the closed windows."""
    acc = collections.defaultdict(lambda: [0, decimal.Decimal(0)])
    max_ts = {}
    for p, payload in kcat_lines(topic):
        e = json.loads(payload)
        t = millis(e["timestamp"])
        max_ts[p] = max(max_ts.get(p, t), t)
        row = acc[(t - t % size_ms, str(e["game_id"]))]
        row[0] += 1
        row[1] += ref.as_decimal(e["amount"], 2)
    closed = min(max_ts.values()) - ooo_ms
    per_window = collections.defaultdict(list)
    for (start, game), (bets, total) in acc.items():
        if start + size_ms <= closed:
            per_window[start].append((game, bets, total))
    want = {}
    for start, items in per_window.items():
        items.sort(key=lambda x: (-x[1], x[0]))
        for rank, (game, bets, total) in enumerate(items[:n], 1):
            want[(start, game)] = (rank, bets, total)
    return want


def top_games_problems(topic, table):
    """Waits for the top-games job's closed windows in `table`, then returns the
    rows kept in its __partials, the reference's row count, and how the rows
    differ from it ("" if they do not)."""
    want = aging_reference(topic)
    closed = max(start for start, _ in want) + 60_000
    h.wait_until(lambda: (h.materialized(table) or 0) >= closed, 120,
                 "the results to reach the reference's last closed window")
    kept = int(h.psql(f'''SELECT count(*) FROM "{table}__partials"''')[0][0])
    got = {(int(ws), g): (int(r), int(b), decimal.Decimal(t)) for ws, g, r, b, t in h.psql(
        f"""SELECT (extract(epoch FROM window_start) * 1000)::bigint, game_id, rank, bets,
                   total_amount FROM "{table}" """)}
    bad = [k for k in set(got) | set(want) if got.get(k) != want.get(k)]
    return kept, len(want), "" if not bad else f"{len(bad)} of {len(want)} rows differ from the reference, " \
        "e.g. " + ", ".join(f"{k}: got {got.get(k)}, want {want.get(k)}" for k in sorted(bad)[:5])


def aging(args):
    prefix = h.unique("aging") + "_"
    topic = prefix + "bets"
    span_ms = args.hours * HOUR_MS
    print(f"filling {topic}: {args.events} bets over {args.hours} h of event time, "
          f"{args.partitions} partitions ...", flush=True)
    h.run([h.WEIR, "gen", "bets", "--topic", topic, "--partitions", str(args.partitions),
           "--count", str(args.events), "--step", str(span_ms / args.events), "--disorder",
           "2000", "--seed", "3"])
    d = drain(topic)
    assert d["messages"] == args.events, d
    os.environ.update(WEIR_BETS_TOPIC=topic, WEIR_TABLE_PREFIX=prefix, WEIR_JOB_PREFIX=prefix)
    table = prefix + "bet_stats"
    samples, kept_max, done_at = [], (0, 0), {}
    with h.Cluster("bench-aging") as cluster:
        cluster.up("aging-worker")
        pid = cluster.procs["aging-worker"].pid
        cluster.weir("submit", os.path.join(SPECS, "bets-top-games.yaml"), check=True)
        t0, db = time.time(), h.PsqlSession()
        while True:
            seen = seen_events(table, db)
            now = time.time()
            samples.append((now, seen))
            if seen and len(samples) % 5 == 0:
                kept = tuple(int(x) for x in db.rows(
                    f"""SELECT count(*), count(DISTINCT window_start) FROM "{table}__partials" """)[0])
                kept_max = max(kept_max, kept)
                # When each partition's source reached its end (the tail runs on fewer cores).
                for p, off, hw in db.rows(f"""SELECT source_partition, next_offset, 0 FROM
                                            "{table}__progress" WHERE source_partition >= 0"""):
                    done_at.setdefault(int(p), []).append((now, int(off)))
            if seen >= args.events:
                break
            assert now - t0 < 900, f"only {seen} events read in 900 s"
            time.sleep(0.05)
        db.close()
        rss = peak_rss_mb(pid)
        kept, checked, problems = top_games_problems(topic, table)
    h.delete_topic(topic)
    h.drop_tables(table, table + "__partials", table + "__progress")
    assert not problems, problems

    first = next(i for i, (_, s) in enumerate(samples) if s > 0)
    fifth = args.events / 5
    rates, start_t, start_n = [], samples[first][0], samples[first][1]
    for i in range(1, 6):
        t_i = next(t for t, s in samples if s >= fifth * i)
        n_i = next(s for t, s in samples if s >= fifth * i)
        rates.append((n_i - start_n) / max(t_i - start_t, 1e-3))
        start_t, start_n = t_i, n_i
    drain_rate = d["messages"] / d["wall_s"]
    print()
    print(f"aging: {args.events} bets over {args.hours} h of event time "
          f"({args.hours * 60} one-minute windows), {args.partitions} partitions, 1 worker")
    print(f"bare librdkafka drain : {drain_rate:12,.0f} events/s")
    print("read rate per fifth   : " + ", ".join(f"{r:,.0f}" for r in rates) + " events/s")
    print(f"last fifth / first    : {rates[-1] / rates[0]:12.2f}   (target >= 0.9)")
    print(f"overall / drain       : {args.events / (samples[-1][0] - samples[first][0]) / drain_rate:12.2f}")
    print(f"kept in __partials    : at most {kept_max[0]:,d} rows of {kept_max[1]} window(s) "
          f"during the run, {int(kept)} at the end (only windows not final are kept)")
    ends = sorted((max(o for _, o in v), min(t for t, o in v if o == max(o for _, o in v)) - samples[first][0])
                  for p, v in done_at.items())
    print("partitions finished  : " + ", ".join(f"{t:.1f} s" for _, t in ends)
          + " after the first event (a partition that ends early leaves its core idle)")
    print(f"worker peak RSS       : {rss:12.0f} MB")
    if os.environ.get("WEIR_BENCH_TRACE"):
        for (t0_, s0), (t1_, s1) in zip(samples[first::10], samples[first + 10::10]):
            print(f"  t={t0_ - samples[first][0]:5.1f} s  {s0:9d}  {(s1 - s0) / (t1_ - t0_):10,.0f}/s")
    print(f"checked               : {checked} result rows equal the reference (rank, bets, "
          f"turnover)")


# -- cardinality ----------------------------------------------------------------


def user_reference(topic, size_ms, by_action, sample_mod, ooo_ms=10_000):
    """(rows of closed windows, {(start, user[, action]): (count, distinct)} for
    the sampled users (user_id % sample_mod == 0), watermark) from the events."""
    max_ts = {}
    keys = set()
    sample = collections.defaultdict(lambda: [0, set()])
    for p, payload in kcat_lines(topic):
        # Flat fields the generator writes: "user_id":N,"action_type":"..."; "timestamp":"..."
        u = payload.index('"user_id":') + 10
        user = payload[u:payload.index(",", u)]
        a = payload.index('"action_type":"') + 15
        action = payload[a:payload.index('"', a)]
        ts = payload.index('"timestamp":"') + 13
        t = millis(payload[ts:payload.index('"', ts)])
        max_ts[p] = max(max_ts.get(p, t), t)
        start = t - t % size_ms
        key = (start, user, action) if by_action else (start, user)
        keys.add(key)
        if int(user) % sample_mod == 0:
            row = sample[key]
            row[0] += 1
            row[1].add(action)
    closed = min(max_ts.values()) - ooo_ms
    rows = sum(1 for k in keys if k[0] + size_ms <= closed)
    want = {k: (c, len(s)) for k, (c, s) in sample.items() if k[0] + size_ms <= closed}
    return rows, want, closed


def bare_copy(table, rows, fmt="binary"):
    """Seconds for a bare COPY (binary, or text as the job's sink sends) of the
    job's own result rows into an empty table of the same schema and primary
    key, on the same server."""
    path = f"/tmp/{table}.copy"
    copy = table + "_copy"
    h.psql(f"""COPY "{table}" TO '{path}' (FORMAT {fmt})""")
    h.psql(f"""DROP TABLE IF EXISTS "{copy}"; CREATE TABLE "{copy}" (LIKE "{table}" INCLUDING ALL)""")
    t0 = time.time()
    h.psql(f"""COPY "{copy}" FROM '{path}' (FORMAT {fmt})""")
    took = time.time() - t0
    assert count_rows(copy) == rows
    h.drop_tables(copy)
    os.remove(path)
    return took


def cardinality_job(spec_name, topic, events, by_action, size_ms, sample_mod):
    prefix = h.unique("card") + "_"
    os.environ.update(WEIR_USER_ACTIONS_TOPIC=topic, WEIR_TABLE_PREFIX=prefix,
                      WEIR_JOB_PREFIX=prefix)
    spec = open(os.path.join(SPECS, spec_name)).read()
    table = prefix + spec.split("table: ${WEIR_TABLE_PREFIX:-}")[1].split()[0]
    expected, want, closed = user_reference(topic, size_ms, by_action, sample_mod)
    with h.Cluster("bench-card") as cluster:
        cluster.up("card-worker")
        pid = cluster.procs["card-worker"].pid
        cluster.weir("submit", os.path.join(SPECS, spec_name), check=True)
        # Polls the progress table (one row per partition), not the results:
        # a count(*) over millions of rows ten times a second took a third of
        # the machine from the job it measured. A partition's rows commit
        # with its progress, so once every event is counted there, every
        # final row is in (checked below).
        t0, first, db = time.time(), None, h.PsqlSession()
        while True:
            seen = seen_events(table, db)
            if first is None and seen > 0:
                first = time.time()
            if seen >= events:
                last = time.time()
                break
            assert time.time() - t0 < 1200, f"{seen} of {events} events in 1200 s"
            time.sleep(0.1)
        db.close()
        rss = peak_rss_mb(pid)
        if os.environ.get("WEIR_BENCH_TRACE"):
            with open(f"/tmp/{table}.log", "w") as f:
                f.write(open(os.path.join(cluster.dir, "card-worker.log")).read())
            print(f"logs: /tmp/{table}.log", flush=True)
        got_rows = count_rows(table)
        key_cols = "user_id, action_type" if by_action else "user_id"
        aggs = "actions, 1" if by_action else "actions, distinct_actions"
        got = {}
        for row in h.psql(f"""SELECT (extract(epoch FROM window_start) * 1000)::bigint,
                                     {key_cols}, {aggs} FROM "{table}"
                              WHERE user_id::bigint % {sample_mod} = 0"""):
            key = (int(row[0]), *row[1:-2])
            got[key] = (int(row[-2]), int(row[-1]))
        if by_action:
            want = {k: (c, 1) for k, (c, _) in want.items()}
        copy_s = bare_copy(table, got_rows)
        text_copy_s = bare_copy(table, got_rows, "text")
    h.drop_tables(table, table + "__partials", table + "__progress")
    assert got_rows == expected, f"{got_rows} rows, the reference has {expected}"
    bad = [k for k in set(got) | set(want) if got.get(k) != want.get(k)]
    assert not bad, f"{len(bad)} sampled rows differ, e.g. " + \
        ", ".join(f"{k}: got {got.get(k)}, want {want.get(k)}" for k in sorted(bad)[:5])
    return {"spec": spec_name, "rows": expected, "sampled": len(want), "seconds": last - first,
            "rss_mb": rss, "copy_s": copy_s, "text_copy_s": text_copy_s}


def cardinality(args):
    prefix = h.unique("card") + "_"
    topic = prefix + "user_actions"
    span_ms = args.minutes * 60_000
    print(f"filling {topic}: {args.events} user actions over {args.minutes} min of event time, "
          f"30M possible users, {args.partitions} partitions ...", flush=True)
    h.run([h.WEIR, "gen", "user-actions", "--topic", topic, "--partitions",
           str(args.partitions), "--count", str(args.events), "--step",
           str(span_ms / args.events), "--disorder", "2000", "--seed", "4"])
    d = drain(topic)
    assert d["messages"] == args.events, d
    state = [json.loads(line) for line in h.run(
        [os.path.join(BUILD, "bench", "weir_bench_state_bytes"), "1000000"]).stdout.splitlines()]
    jobs = [("user-aggregations-realtime.yaml", False, 300_000),
            ("user-action-aggregations.yaml", True, 7_200_000)]
    if args.only:
        jobs = [j for j in jobs if j[0].startswith(args.only)]
    results = [cardinality_job(spec, topic, args.events, by_action, size, 997)
               for spec, by_action, size in jobs]
    h.delete_topic(topic)
    print()
    print(f"cardinality: {args.events} user actions, 30M possible users, {args.minutes} min of "
          f"event time, {args.partitions} partitions, 1 worker")
    print(f"bare librdkafka drain : {d['messages'] / d['wall_s']:12,.0f} events/s")
    state = {s["job"]: s for s in state}
    for r in results:
        s = state[r["spec"].removesuffix(".yaml")]
        job_rows = r["rows"] / r["seconds"]
        copy_rows = r["rows"] / r["copy_s"]
        print(f"{r['spec']}:")
        target = r["spec"].startswith("user-aggregations-realtime")  # the targets
        print(f"  end to end          : {args.events / r['seconds']:12,.0f} events/s "
              f"({r['rows']:,} final rows in {r['seconds']:.1f} s, {job_rows:,.0f} rows/s)"
              + ("   (target >= 200,000)" if target else ""))
        print(f"  bare binary COPY    : {copy_rows:12,.0f} rows/s of the same rows "
              f"({r['copy_s']:.1f} s)")
        print(f"  bare text COPY      : {r['rows'] / r['text_copy_s']:12,.0f} rows/s "
              f"({r['text_copy_s']:.1f} s)")
        print(f"  job / COPY (rows/s) : {job_rows / copy_rows:12.2f}"
              + ("   (target >= 0.7)" if target else ""))
        print(f"  worker peak RSS     : {r['rss_mb']:12.0f} MB")
        print(f"  state per live key  : {s['bytes_per_key']:12.0f} bytes ({s['keys']:,} keys in "
              f"one window, heap growth / keys)" + ("   (target <= 200)" if target else ""))
        print(f"  checked             : row count equals the reference; {r['sampled']} sampled "
              f"rows equal it")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("aging")
    a.add_argument("--events", type=int, default=4_000_000)
    a.add_argument("--hours", type=int, default=48)
    a.add_argument("--partitions", type=int, default=4)
    c = sub.add_parser("cardinality")
    c.add_argument("--events", type=int, default=5_000_000)
    c.add_argument("--minutes", type=int, default=480)
    c.add_argument("--partitions", type=int, default=6)
    c.add_argument("--only", help="run only the job whose spec file starts with this")
    args = ap.parse_args()
    h.load_env()
    {"aging": aging, "cardinality": cardinality}[args.mode](args)


if __name__ == "__main__":
    main()
