"""The job the fault tests run: bets per game in 10-second windows, with
checkpoints every second in MinIO, and the events that close its last windows."""
import json
import os

import harness as h

OOO = 2_000


def spec(topic, distinct_users=False, name=None, store="postgres"):
    """Into `store`: postgres, or a final-row store (clickhouse, mysql) whose
    partials wait in PostgreSQL (games are in every partition)."""
    users = """
  - fn: count_distinct
    field: user_id
    as: users""" if distinct_users else ""
    return h.write_spec(h.job_spec(name or topic, topic, f"""
key: game_id
window:
  type: tumbling
  size: 10s
aggregations:
  - fn: count
    as: bets
  - fn: sum
    field: amount
    as: total{users}
""", time="field: timestamp\n    format: iso8601\n    max_out_of_orderness: 2s",
        extra=f"checkpoints:\n  url: s3://{os.environ['WEIR_S3_BUCKET']}/{topic}/checkpoints\n"
              f"  interval: 1s\n", store=store, partials=store != "postgres"))


def mariadb_rows(table):
    """{(window_start_ms, (game_id,)): {bets, total, users}} of a MariaDB bets table."""
    got = {}
    for start, game, *vals in h.mariadb(f"SELECT UNIX_TIMESTAMP(window_start) * 1000, game_id, "
                                        f"bets, total, users FROM {table}"):
        got[(int(float(start)), (game,))] = {c: float(v) for c, v in
                                             zip(["bets", "total", "users"], vals)}
    return got


def close_windows(topic, partitions):
    """One bet far later in every partition moves every watermark past the data."""
    for p in range(partitions):
        h.produce(topic, p, [("1", json.dumps({"bet_id": "end", "user_id": 1, "game_id": 1,
                                              "amount": 1.0,
                                              "timestamp": "2027-01-01T00:00:00.000Z"}))])


# -- the per-user job (seed 004): keys in one partition, rows final as emitted --

USER_AGGS = [("count", None, "actions"), ("count_distinct", "action_type", "distinct_actions")]


def user_spec(topic, name=None, store="postgres"):
    """Per-user actions in 10-second windows, source.partitioned_by: user_id
    (the generator keys every action by its user), into `store`."""
    return h.write_spec(h.job_spec(name or topic, topic, """
key: user_id
window:
  type: tumbling
  size: 10s
aggregations:
  - fn: count
    as: actions
  - fn: count_distinct
    field: action_type
    as: distinct_actions
""", time="field: timestamp\n    format: iso8601\n    max_out_of_orderness: 2s\n"
          "  partitioned_by: user_id",
        extra=f"checkpoints:\n  url: s3://{os.environ['WEIR_S3_BUCKET']}/{topic}/checkpoints\n"
              f"  interval: 1s\n", store=store))


def close_user_windows(topic, partitions):
    """One action far later in every partition, keyed by its user as the job demands."""
    for p in range(partitions):
        h.produce(topic, p, [("1", json.dumps({"event_id": f"end-{p}", "user_id": 1,
                                              "action_type": "action_000",
                                              "timestamp": "2027-01-01T00:00:00.000Z"}))])


def check_users_clickhouse(ref, topic, table):
    """The per-user ClickHouse table, read with FINAL, equals the reference
    (each partition's watermark closes its rows); returns the row count."""
    events = ref.read_topic(topic)
    want = ref.aggregate_final_per_partition(events, time_field="timestamp", key=["user_id"],
                                             size_ms=10_000, ooo_ms=OOO, aggs=USER_AGGS)
    ends = h.end_offsets(events)
    h.wait_until(lambda: h.clickhouse_at_offsets(table, ends), 120, "per-user ClickHouse rows")
    ref.compare(h.clickhouse_rows(table, ["user_id"], ["actions", "distinct_actions"]), want)
    return len(want)


def check_users(ref, topic):
    """The per-user table equals the reference from the events; returns the row count."""
    events = ref.read_topic(topic)
    want = ref.aggregate(events, time_field="timestamp", key=["user_id"], size_ms=10_000,
                         ooo_ms=OOO, aggs=USER_AGGS)
    closed = ref.job_watermark(events, "timestamp", OOO)
    h.wait_until(lambda: (h.materialized(topic) or -1) >= closed, 120, "per-user results")
    ref.compare(h.table_rows(topic, ["user_id"], ["actions", "distinct_actions"]), want)
    return len(want)
