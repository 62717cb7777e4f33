#!/usr/bin/env python3
"""Soak (`deploy/bench.sh soak --minutes N`; the suite runs 3 minutes as
CTest fault.soak): the four bets jobs of seeds 000/001 and seed 004's
per-user 5-minute job, as shipped in jobs/specs/, on a coordinator and three
workers, fed at a fixed live rate (one second of event time per second).
Meanwhile it kills a worker every few minutes (and starts it again),
restarts PostgreSQL and MinIO once each, and writes poison events (not
JSON) every minute. Every minute it prints the lag (records behind the end
of the topics, from the API), each process's RSS, and the rows PostgreSQL
keeps in the jobs' __partials. At the end every result table must equal a
reference computed from the events read back with kcat, the poison events
must be counted as malformed, and the kept rows must be bounded by the open
windows, not by the run's length."""
import argparse
import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import harness as h  # noqa: E402
import reference as ref  # noqa: E402
import shipped_refs  # noqa: E402

SPECS = os.path.join(h.REPO, "jobs", "specs")
BETS_JOBS = ["bets-top-games", "bets-avg-amount", "bets-by-status", "bets-active-users"]
USER_JOB = "user-aggregations-realtime"
PARTITIONS = 6
WORKERS = ["w1", "w2", "w3"]
USER_OOO = 10_000  # the per-user spec's max_out_of_orderness


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def kept_partials(prefix):
    """Rows in the jobs' __partials tables (the merge path's open windows)."""
    tables = [r[0] for r in h.psql(f"SELECT tablename FROM pg_tables WHERE tablename LIKE "
                                   f"'{prefix}%\\_\\_partials'")]
    return sum(int(h.psql(f'SELECT count(*) FROM "{t}"')[0][0]) for t in tables)


def lag(cluster):
    try:
        return sum(j["totals"]["lag"] for j in cluster.api("/api/v1/jobs")["jobs"])
    except Exception as e:  # the coordinator may be restarting: a figure missing, not a failure
        return f"? ({type(e).__name__})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--rate", type=int, default=1000, help="bets per second (user actions: half)")
    args = ap.parse_args()
    h.load_env()
    rnd = random.Random(13)
    seconds = int(args.minutes * 60)
    bets, users = h.unique("soak_bets"), h.unique("soak_users")
    prefix = bets + "_"
    for t in (bets, users):
        h.create_topic(t, PARTITIONS)
    os.environ.update(WEIR_BETS_TOPIC=bets, WEIR_USER_ACTIONS_TOPIC=users,
                      WEIR_TABLE_PREFIX=prefix, WEIR_JOB_PREFIX=prefix)
    # Disruptions, in seconds from the start: a worker killed every few
    # minutes, PostgreSQL and MinIO restarted once each.
    every = max(40, min(300, seconds // 4))
    plan = {t: "worker" for t in range(every, seconds - 20, every)}
    plan[seconds // 3 + 5] = "postgres"
    plan[2 * seconds // 3 + 5] = "minio"
    poisoned = 0
    peak = {}
    kept = []
    with h.Cluster("soak") as cluster:
        cluster.up(*WORKERS, http=True)
        for name in BETS_JOBS + [USER_JOB]:
            cluster.weir("submit", os.path.join(SPECS, f"{name}.yaml"), check=True)
        gens = [subprocess.Popen([h.WEIR, "gen", "bets", "--topic", bets, "--rate", str(args.rate),
                                  "--count", str(args.rate * seconds), "--step", str(1000 // args.rate or 1),
                                  "--disorder", "2000", "--seed", "21"], stderr=subprocess.DEVNULL),
                subprocess.Popen([h.WEIR, "gen", "user-actions", "--topic", users, "--rate",
                                  str(args.rate // 2), "--count", str(args.rate // 2 * seconds),
                                  "--step", str(2000 // args.rate or 1), "--disorder", "2000",
                                  "--seed", "22"], stderr=subprocess.DEVNULL)]
        t0 = time.time()
        print(f"soak: {args.minutes:g} min at {args.rate} bets/s and {args.rate // 2} actions/s; "
              f"disruptions at {sorted(plan.items())}", flush=True)
        next_minute = 60
        while any(g.poll() is None for g in gens):
            now = time.time() - t0
            for at in [a for a in plan if a <= now]:
                step = plan.pop(at)
                if step == "worker":
                    victim = rnd.choice(WORKERS)
                    cluster.kill(victim)
                    time.sleep(1)
                    cluster.worker(victim)
                    print(f"[{now:5.0f}s] kill -9 {victim}, started again", flush=True)
                else:
                    h.restart_service(step)
                    print(f"[{now:5.0f}s] {step} restarted", flush=True)
            if now >= next_minute:
                next_minute += 60
                for t in (bets, users):
                    h.produce(t, rnd.randrange(PARTITIONS), [("poison", "{not json")] * 5)
                    poisoned += 5
                rss = {name: rss_mb(p.pid) for name, p in cluster.procs.items()}
                for name, v in rss.items():
                    if v is not None:
                        peak[name] = max(peak.get(name, 0), v)
                kept.append(kept_partials(prefix))
                print(f"[{now:5.0f}s] lag {lag(cluster)} records; RSS MB "
                      f"{', '.join(f'{n} {v}' for n, v in rss.items())}; rows kept in "
                      f"__partials: {kept[-1]}", flush=True)
            time.sleep(0.5)
        assert all(g.wait() == 0 for g in gens), "a generator failed"
        # Close every window: one valid event far later in every partition.
        for p in range(PARTITIONS):
            h.produce(bets, p, [("1", json.dumps({
                "bet_id": f"end-{p}", "user_id": 1, "game_id": 1, "amount": 1.0, "currency": "USD",
                "odds": 2.0, "status": "placed", "timestamp": "2027-01-01T00:00:00.000Z"}))])
            h.produce(users, p, [("1", json.dumps({
                "event_id": f"end-{p}", "user_id": 1, "action_type": "action_000",
                "timestamp": "2027-01-01T00:00:00.000Z"}))])
        bad_bets, bad_users = [], []
        bet_events = ref.read_topic(bets, malformed=bad_bets)
        user_events = ref.read_topic(users, malformed=bad_users)
        assert len(bad_bets) + len(bad_users) == poisoned, (len(bad_bets), len(bad_users), poisoned)
        checks = shipped_refs.bets(bet_events) + [
            ("user_aggregations_realtime", ["user_id"], ["actions", "distinct_actions"], (),
             ref.aggregate(user_events, time_field="timestamp", key=["user_id"], size_ms=300_000,
                           ooo_ms=USER_OOO, aggs=[("count", None, "actions"),
                                                  ("count_distinct", "action_type",
                                                   "distinct_actions")]))]
        closed = {"user_aggregations_realtime": ref.job_watermark(user_events, "timestamp", USER_OOO)}
        bets_closed = ref.job_watermark(bet_events, "timestamp", shipped_refs.BETS_OOO)
        for table, key, cols, approx, want in checks:
            t = prefix + table
            h.wait_until(lambda: (h.materialized(t) or -1) >= closed.get(table, bets_closed), 180,
                         f"{t} to be complete")
            ref.compare(h.table_rows(t, key, cols), want, approx=approx)
            print(f"ok: {table}: {len(want)} rows equal the reference", flush=True)
        malformed = {}
        for name, topic, bad in (("bets", bets, bad_bets), ("users", users, bad_users)):
            table = prefix + ("bet_stats" if name == "bets" else "user_aggregations_realtime")
            malformed[name] = int(h.psql(f'SELECT coalesce(sum(malformed), 0) FROM "{table}__progress" '
                                         f"WHERE source_partition >= 0")[0][0])
            assert malformed[name] == len(bad), (name, malformed[name], len(bad))
        print(f"ok: {poisoned} poison events dead-lettered and counted ({malformed})")
    # Windows still open stay bounded: what is kept does not grow with the run.
    half = len(kept) // 2
    if half >= 2:
        assert max(kept[half:]) <= 2 * max(kept[:half]) + 1000, kept
    print(f"peak RSS MB: {peak}; rows kept in __partials per minute: {kept}")
    for t in (bets, users):
        h.delete_topic(t)
    h.drop_tables(*[prefix + table + s for table, *_ in checks for s in ("", "__partials", "__progress")])


if __name__ == "__main__":
    main()
