"""Rows per second into ClickHouse and into MariaDB, each against that
server's own bulk insert of the same rows measured in the same run.

  deploy/bench.sh stores [--events N] [--minutes M] [--partitions P]

Seed 004's per-user 5-minute job (jobs/specs/user-aggregations-realtime-
clickhouse.yaml, and the same job with a mysql sink) over `weir gen
user-actions` with 30M possible users, so almost every event makes its own
(user, window) row and the store is the ceiling. One worker. The job's time
runs from its first progress row to every partition at its end offset.
The bare limit: the job's own final rows, exported, then loaded into an
empty table of the same schema by the server's client (clickhouse-client
INSERT ... FORMAT RowBinary; mariadb LOAD DATA LOCAL INFILE). Each run's row
count and a sample of rows are checked against a reference computed here
from the events read back with kcat (none of weir's code).
"""
import argparse
import collections
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import harness as h  # noqa: E402

from windowed import drain, kcat_lines, millis  # noqa: E402

SPECS = os.path.join(h.REPO, "jobs", "specs")
SIZE_MS = 300_000
OOO_MS = 10_000
SAMPLE = 997


def reference(topic):
    """(rows final per partition, {(start, user): (count, distinct)} of sampled
    users, {partition: end offset})."""
    max_ts, keys = {}, collections.defaultdict(set)
    sample = collections.defaultdict(lambda: [0, set()])
    count = collections.Counter()
    for p, payload in kcat_lines(topic):
        count[p] += 1
        u = payload.index('"user_id":') + 10
        user = payload[u:payload.index(",", u)]
        a = payload.index('"action_type":"') + 15
        action = payload[a:payload.index('"', a)]
        ts = payload.index('"timestamp":"') + 13
        t = millis(payload[ts:payload.index('"', ts)])
        max_ts[p] = max(max_ts.get(p, t), t)
        keys[p].add((t - t % SIZE_MS, user))
        if int(user) % SAMPLE == 0:
            row = sample[(p, t - t % SIZE_MS, user)]
            row[0] += 1
            row[1].add(action)
    closed = {p: t - OOO_MS for p, t in max_ts.items()}
    rows = sum(1 for p, ks in keys.items() for s, _ in ks if s + SIZE_MS <= closed[p])
    want = {(s, u): (c, len(d)) for (p, s, u), (c, d) in sample.items() if s + SIZE_MS <= closed[p]}
    return rows, want, dict(count)


class ClickHouse:
    name = "clickhouse"
    spec = "user-aggregations-realtime-clickhouse.yaml"

    @staticmethod
    def done(table, ends):
        return h.clickhouse_at_offsets(table, ends)

    @staticmethod
    def started(table):
        return h.clickhouse(f"EXISTS TABLE {table}__progress")[0][0] == "1" and int(
            h.clickhouse(f"SELECT count() FROM {table}__progress")[0][0]) > 0

    @staticmethod
    def rows(table):
        return int(h.clickhouse(f"SELECT count() FROM {table} FINAL")[0][0])

    @staticmethod
    def sample(table):
        return {(int(s), u): (int(a), int(d)) for s, u, a, d in h.clickhouse(
            f"SELECT toUInt32(window_start) * 1000, user_id, actions, distinct_actions FROM "
            f"{table} FINAL WHERE toUInt64(user_id) % {SAMPLE} = 0 FORMAT TSV")}

    @staticmethod
    def bare(table):
        path = f"/tmp/{table}.rowbinary"
        with open(path, "wb") as f:
            subprocess.run(["clickhouse-client", "--port", os.environ["WEIR_CLICKHOUSE_TCP_PORT"],
                            "-d", "weir", "-q", f"SELECT * FROM {table} FINAL FORMAT RowBinary"],
                           stdout=f, check=True)
        h.clickhouse(f"CREATE TABLE {table}_copy AS {table}")
        t0 = time.time()
        with open(path, "rb") as f:
            subprocess.run(["clickhouse-client", "--port", os.environ["WEIR_CLICKHOUSE_TCP_PORT"],
                            "-d", "weir", "-q", f"INSERT INTO {table}_copy FORMAT RowBinary"],
                           stdin=f, check=True)
        took = time.time() - t0
        n = int(h.clickhouse(f"SELECT count() FROM {table}_copy")[0][0])
        h.clickhouse(f"DROP TABLE {table}_copy")
        os.remove(path)
        return took, n

    @staticmethod
    def drop(table):
        for t in (table, table + "__progress"):
            h.clickhouse(f"DROP TABLE IF EXISTS {t}")


class MariaDB:
    name = "mariadb"
    spec = None  # the ClickHouse spec with a mysql sink

    @staticmethod
    def done(table, ends):
        if not MariaDB.started(table):
            return False
        have = {int(p): int(o) for p, o in
                h.mariadb(f"SELECT source_partition, next_offset FROM {table}__progress")}
        return all(have.get(p, -1) >= o for p, o in ends.items())

    @staticmethod
    def started(table):
        return h.mariadb(f"SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                       f"DATABASE() AND TABLE_NAME = '{table}__progress'")[0][0] == "1" and int(
            h.mariadb(f"SELECT count(*) FROM {table}__progress")[0][0]) > 0

    @staticmethod
    def rows(table):
        return int(h.mariadb(f"SELECT count(*) FROM {table}")[0][0])

    @staticmethod
    def sample(table):
        return {(int(float(s)), u): (int(a), int(d)) for s, u, a, d in h.mariadb(
            f"SELECT UNIX_TIMESTAMP(window_start) * 1000, user_id, actions, distinct_actions "
            f"FROM {table} WHERE CAST(user_id AS UNSIGNED) % {SAMPLE} = 0")}

    @staticmethod
    def bare(table):
        path = f"/tmp/{table}.tsv"
        with open(path, "w") as f:
            for r in h.mariadb(f"SELECT * FROM {table}"):
                f.write("\t".join(r) + "\n")
        h.mariadb(f"CREATE TABLE {table}_copy LIKE {table}")
        t0 = time.time()
        h.mariadb(f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE {table}_copy", "--local-infile=1")
        took = time.time() - t0
        n = int(h.mariadb(f"SELECT count(*) FROM {table}_copy")[0][0])
        h.mariadb(f"DROP TABLE {table}_copy")
        os.remove(path)
        return took, n

    @staticmethod
    def drop(table):
        h.mariadb(f"DROP TABLE IF EXISTS {table}, {table}__progress")


def run_store(store, topic, expected, want, ends):
    prefix = h.unique("stores") + "_"
    os.environ.update(WEIR_USER_ACTIONS_TOPIC=topic, WEIR_TABLE_PREFIX=prefix,
                      WEIR_JOB_PREFIX=store.name[:2] + str(os.getpid()) + "-")
    spec = os.path.join(SPECS, ClickHouse.spec)
    if store.spec is None:
        text = open(spec).read().replace("type: clickhouse", "type: mysql").replace(
            "${WEIR_CLICKHOUSE_URL:-http://127.0.0.1:18123/weir}",
            "${WEIR_MYSQL_URL:-mysql://weir@127.0.0.1:13306/weir}")
        spec = h.write_spec(text, "stores-mysql.yaml")
    table = prefix + "user_aggregations_realtime"
    with h.Cluster("bench-stores") as cluster:
        cluster.up("stores-worker")
        cluster.weir("submit", spec, check=True)
        t0 = time.time()
        while not store.started(table):
            assert time.time() - t0 < 300, f"{store.name}: no progress in 300 s"
            time.sleep(0.1)
        first = time.time()
        while not store.done(table, ends):
            assert time.time() - first < 1800, f"{store.name}: not at the end offsets in 1800 s"
            time.sleep(0.2)
        took = time.time() - first
    rows = store.rows(table)
    got = store.sample(table)
    bare_s, bare_rows = store.bare(table)
    store.drop(table)
    assert rows == expected, f"{store.name}: {rows} rows, the reference has {expected}"
    assert bare_rows == rows, f"{store.name}: the bare load took {bare_rows} of {rows} rows"
    bad = [k for k in set(got) | set(want) if got.get(k) != want.get(k)]
    assert not bad, f"{store.name}: {len(bad)} sampled rows differ, e.g. " + ", ".join(
        f"{k}: got {got.get(k)}, want {want.get(k)}" for k in sorted(bad)[:5])
    return {"rows": rows, "seconds": took, "bare_s": bare_s, "sampled": len(want)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--minutes", type=int, default=480)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--only", choices=["clickhouse", "mariadb"])
    args = ap.parse_args()
    h.load_env()
    topic = h.unique("stores") + "_user_actions"
    print(f"filling {topic}: {args.events} user actions over {args.minutes} min of event time, "
          f"30M possible users, {args.partitions} partitions ...", flush=True)
    h.run([h.WEIR, "gen", "user-actions", "--topic", topic, "--partitions", str(args.partitions),
           "--count", str(args.events), "--step", str(args.minutes * 60_000 / args.events),
           "--disorder", "2000", "--seed", "4"])
    d = drain(topic)
    assert d["messages"] == args.events, d
    expected, want, ends = reference(topic)
    stores = [s for s in (ClickHouse, MariaDB) if args.only in (None, s.name)]
    results = {s.name: run_store(s, topic, expected, want, ends) for s in stores}
    h.delete_topic(topic)
    print()
    print(f"stores: {args.events:,} user actions, {expected:,} final (user, 5-min window) rows, "
          f"{args.partitions} partitions, 1 worker")
    print(f"bare librdkafka drain   : {d['messages'] / d['wall_s']:12,.0f} events/s")
    for name, r in results.items():
        job, bare = r["rows"] / r["seconds"], r["rows"] / r["bare_s"]
        tool = "clickhouse-client RowBinary" if name == "clickhouse" else "LOAD DATA LOCAL INFILE"
        print(f"{name}:")
        print(f"  weir, end to end      : {job:12,.0f} rows/s ({r['seconds']:.1f} s)")
        print(f"  bare bulk insert      : {bare:12,.0f} rows/s ({tool}, {r['bare_s']:.1f} s)")
        print(f"  weir / bare           : {job / bare:12.2f}")
        print(f"  checked               : row count equals the reference; {r['sampled']} sampled "
              f"rows equal it")


if __name__ == "__main__":
    main()
