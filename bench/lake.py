"""The seed-004 lake as an Iceberg table (deploy/bench.sh lake): the shipped
user-actions-lake job over N user actions (30 min of event time, 6
partitions, one worker), from submit until pyiceberg reads every row, against
the bare librdkafka drain of the same topic (the faster of a drain before
the job and one after). Prints rows/s and the ratio,
the data files and their median size before and after compaction, the
snapshots and the commit latency
(the coordinator's histogram), the worker's peak RSS. Checks what it
measures: every event_id once, as many as kcat reads.

Prints figures and ratios measured in this one run; record them in
docs/benchmarks.md.
"""
import argparse
import json
import os
import statistics
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import harness as h  # noqa: E402
from windowed import drain, peak_rss_mb  # noqa: E402

SPECS = os.path.join(h.REPO, "jobs", "specs")


def commit_latency(cluster):
    """Mean seconds per lake commit, from the coordinator's /metrics."""
    text = urllib.request.urlopen(cluster.http_url + "/metrics", timeout=5).read().decode()
    vals = {}
    for line in text.splitlines():
        if line.startswith("weir_coordinator_lake_commit_duration_seconds_"):
            name, v = line.split()[0], line.split()[-1]
            vals[name.rsplit("_", 1)[1]] = float(v)
    return vals["sum"] / vals["count"] if vals.get("count") else None


def cpu_seconds(pid):
    """User plus system CPU the process used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", nargs="?", default="lake")
    ap.add_argument("--events", type=int, default=3_000_000)
    ap.add_argument("--minutes", type=int, default=30)
    # 1 s: the whole run is a few seconds; at 10 s its first commit comes after the rows.
    ap.add_argument("--interval", default="1s")
    args = ap.parse_args()
    h.load_env()
    topic = h.unique("benchlake")
    print(f"filling {topic}: {args.events} user actions over {args.minutes} min, 6 partitions",
          flush=True)
    h.run([h.WEIR, "gen", "user-actions", "--topic", topic, "--partitions", "6", "--count",
           str(args.events), "--step", str(args.minutes * 60_000 / args.events), "--seed", "4"])
    d = drain(topic)
    assert d["messages"] == args.events, d
    os.sync()  # the fill's writeback is not the job's: it would land in the timed part
    os.environ.update(WEIR_USER_ACTIONS_TOPIC=topic, WEIR_JOB_PREFIX=topic + "_",
                      WEIR_LAKE_PREFIX=f"{topic}/lake", WEIR_LAKE_TABLE=f"weir.{topic}",
                      WEIR_CATALOG_URL=os.environ["WEIR_PG_URL"],
                      WEIR_CHECKPOINT_URL=f"s3://{os.environ['WEIR_S3_BUCKET']}/{topic}/ckpt",
                      WEIR_CHECKPOINT_INTERVAL=args.interval)
    cat = h.iceberg_catalog()
    with h.Cluster("bench-lake") as cluster:
        cluster.up("lake-worker", http=True)
        pid = cluster.procs["lake-worker"].pid
        t0 = time.time()
        cluster.weir("submit", os.path.join(SPECS, "user-actions-lake.yaml"), check=True)
        # The catalog row is watched (psycopg2, every 50 ms): pyiceberg loads
        # the table only when a commit moved it, so polling neither lags nor
        # takes the CPU the job runs on.
        import psycopg2
        pg = psycopg2.connect(os.environ["WEIR_PG_URL"])
        pg.autocommit = True
        seen = None
        while True:
            with pg.cursor() as cur:
                cur.execute("SELECT metadata_location FROM iceberg_tables "
                            "WHERE table_namespace = 'weir' AND table_name = %s", (topic,))
                row = cur.fetchone()
            total = 0
            if row and row[0] != seen:
                seen = row[0]
                t = cat.load_table(("weir", topic))
                snap = t.current_snapshot()
                total = int(snap.summary["total-records"]) if snap else 0
            if total >= args.events:
                break
            assert time.time() - t0 < 1200, f"{total} of {args.events} rows in 1200 s"
            time.sleep(0.05)
        pg.close()
        seconds = time.time() - t0
        cpu = cpu_seconds(pid)
        files = [task.file.file_size_in_bytes for task in t.scan().plan_files()]

        # Compaction runs on commits without new rows: wait until no table
        # partition holds two files below 3/4 of the target (128 MiB).
        def small_per_partition(tab):
            n = {}
            for task in tab.scan().plan_files():
                if task.file.file_size_in_bytes < 96 * 2**20:
                    key = str(task.file.partition)
                    n[key] = n.get(key, 0) + 1
            return max(n.values(), default=0)
        t1 = time.time()
        while small_per_partition(t) > 1 and time.time() - t1 < 120:
            time.sleep(1)
            t = cat.load_table(("weir", topic))
        compact_s = time.time() - t1
        rss = peak_rss_mb(pid)
        latency = commit_latency(cluster)
    ids = t.scan(selected_fields=("event_id",)).to_arrow().column("event_id")
    assert len(ids) == args.events and len(set(ids.to_pylist())) == args.events, len(ids)
    after = [task.file.file_size_in_bytes for task in t.scan().plan_files()]
    snaps = t.snapshots()
    # The drain again, after the job: one drain swings by a third from run
    # to run here, and the limit is the faster of the two.
    d2 = drain(topic)
    assert d2["messages"] == args.events, d2
    drains = [x["messages"] / x["wall_s"] for x in (d, d2)]
    drain_rate = max(drains)
    print()
    print(f"lake: {args.events} user actions, {args.minutes} min of event time, 6 partitions, "
          f"1 worker, checkpoints every {args.interval}")
    print(f"bare librdkafka drain : {drain_rate:12,.0f} events/s (the faster of two: "
          f"{drains[0]:,.0f} before the job, {drains[1]:,.0f} after)")
    print(f"submit to all visible : {args.events / seconds:12,.0f} rows/s ({seconds:.1f} s, "
          f"pyiceberg sees every row)")
    print(f"lake / drain          : {args.events / seconds / drain_rate:12.2f}   (target >= 0.5)")
    print(f"data files            : {len(files):12d} (median {statistics.median(files) / 2**20:.1f}"
          f" MiB, largest {max(files) / 2**20:.1f} MiB) once every row is visible")
    print(f"after compaction      : {len(after):12d} (median {statistics.median(after) / 2**20:.1f}"
          f" MiB, largest {max(after) / 2**20:.1f} MiB) {compact_s:.1f} s later")
    ops = [s.summary.operation.value for s in snaps]
    print(f"snapshots             : {len(snaps):12d} ({ops.count('append')} appends, at most one per "
          f"completed round; {ops.count('replace')} compactions)")
    if latency is not None:
        print(f"commit latency (mean) : {latency:12.3f} s")
    print(f"worker CPU            : {cpu:12.1f} s until all visible "
          f"({cpu / args.events * 1e6:.2f} us per row)")
    print(f"worker peak RSS       : {rss:12.0f} MB")
    print(f"checked               : {args.events} rows, each event_id once (pyiceberg)")
    h.delete_topic(topic)


if __name__ == "__main__":
    main()
