"""The ClickHouse sink against the real ClickHouse of deploy/services.sh, read
back with clickhouse-client only.

Seed 004's per-user jobs into ClickHouse, as shipped (jobs/specs/
user-aggregations{,-realtime}-clickhouse, YAML and SQL twins), over events of
`weir gen user-actions` on 6 partitions, one of them left without the
marker that closes the others' last windows (its rows are its own: nothing
waits for it). A worker is
killed with SIGKILL while rows are being written and started again, so rows
are written twice. Then:
- FINAL gives exactly the rows of a reference computed in Python from the
  events read back with kcat;
- after OPTIMIZE ... FINAL, a plain count gives the same number: the
  replayed rows replaced each other instead of adding up;
- __progress holds every partition's end offset;
- a table left by another spec is refused at submit, naming the
  column, and no row is written."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "e2e"))
import harness as h  # noqa: E402
import reference as ref  # noqa: E402

SPECS = os.path.join(h.REPO, "jobs", "specs")
PARTITIONS = 6
EVENTS = 60_000
OOO = 10_000


def main():
    h.load_env()
    topic = h.unique("e2e_ch")
    prefix = topic + "_"
    os.environ.update(WEIR_USER_ACTIONS_TOPIC=topic)
    # 60k events 250 ms apart: about 4 hours, 50 five-minute windows.
    h.run([h.WEIR, "gen", "user-actions", "--topic", topic, "--partitions", str(PARTITIONS),
           "--count", str(EVENTS), "--step", "250", "--disorder", "5000", "--seed", "23"])
    # Markers close every window; partition 5 gets none: it goes idle, and
    # must not hold the others' rows back (its rows are its own).
    for p in range(PARTITIONS - 1):
        marker = {"event_id": f"marker-{p}", "user_id": 1, "action_type": "action_000",
                  "timestamp": "2026-01-03T00:00:00.000Z"}
        h.produce(topic, p, [("1", json.dumps(marker))])
    events = ref.read_topic(topic)
    ends = h.end_offsets(events)
    per_user = [("count", None, "actions"), ("count_distinct", "action_type", "distinct_actions")]
    want = {}
    for size, name in ((300_000, "user_aggregations_realtime"), (7_200_000, "user_aggregations")):
        want[name] = ref.aggregate_final_per_partition(
            events, time_field="timestamp", key=["user_id"], size_ms=size, aggs=per_user,
            ooo_ms=OOO)
    assert want["user_aggregations_realtime"]

    with h.Cluster("clickhouse") as cluster:
        cluster.up("wa", "wb")
        h.submit_twins(cluster, SPECS, ["user-aggregations-clickhouse",
                                        "user-aggregations-realtime-clickhouse"], prefix)
        rt = prefix + "user_aggregations_realtime"
        h.wait_until(lambda: h.clickhouse(f"EXISTS TABLE {rt}")[0][0] == "1" and int(
            h.clickhouse(f"SELECT count() FROM {rt}")[0][0]) > 0, 60, f"rows in {rt}")
        cluster.kill("wa")
        cluster.worker("wa")
        for _, extra in h.LANGUAGES:
            for name in want:
                t = prefix + extra + name
                h.wait_until(lambda: h.clickhouse_at_offsets(t, ends), 180,
                             f"{t}__progress at the end offsets")
        for name, w in want.items():
            got = h.clickhouse_rows(prefix + name, ["user_id"], ["actions", "distinct_actions"])
            ref.compare(got, w)
            h.assert_twin_rows(got, h.clickhouse_rows(prefix + "sql_" + name, ["user_id"],
                                         ["actions", "distinct_actions"]), name)
            print(f"ok: {name}: {len(w)} rows under FINAL equal the reference, in YAML and SQL")
        written = int(h.clickhouse(f"SELECT count() FROM {rt}")[0][0])
        h.clickhouse(f"OPTIMIZE TABLE {rt} FINAL")
        merged = int(h.clickhouse(f"SELECT count() FROM {rt}")[0][0])
        assert merged == len(want["user_aggregations_realtime"]), (merged, written)
        print(f"ok: {written} rows written (a worker was killed), {merged} after the merge")

        # A table another spec made: the count is a Float64 here.
        bad = prefix + "other"
        h.clickhouse(f"CREATE TABLE {bad} (window_start DateTime, window_end DateTime, "
                     f"user_id String, actions Float64, distinct_actions UInt64, _version UInt64) "
                     f"ENGINE = ReplacingMergeTree(_version) ORDER BY (window_start, user_id)")
        spec = open(os.path.join(SPECS, "user-aggregations-realtime-clickhouse.yaml")).read()
        spec = spec.replace("${WEIR_TABLE_PREFIX:-}user_aggregations_realtime", bad) \
                   .replace("${WEIR_JOB_PREFIX:-}", prefix + "bad-")
        # A worker checks the store at submit: the submission is refused.
        res = cluster.weir("submit", h.write_spec(spec))
        assert res.returncode != 0 and "actions Float64" in res.stderr \
            and "actions UInt64" in res.stderr, (res.returncode, res.stderr)
        assert int(h.clickhouse(f"SELECT count() FROM {bad}")[0][0]) == 0
        print("ok: a table made for another spec is refused at submit, naming its columns")
    for t in [prefix + x + n for _, x in h.LANGUAGES for n in want] + [bad]:
        h.clickhouse(f"DROP TABLE IF EXISTS {t}")
        h.clickhouse(f"DROP TABLE IF EXISTS {t}__progress")
    h.delete_topic(topic)


if __name__ == "__main__":
    main()
