"""The three user-action jobs of seed 004, as shipped in jobs/specs/ in YAML and
in SQL, over events from `weir gen user-actions` on a 6-partition topic; each
result table must equal a reference computed in Python from the events read
back with kcat, and each SQL twin's table the YAML job's. One more job, in SQL
only, reads a nested field (device_info->>'platform') under a WHERE."""
import json
import os

import harness as h
import reference as ref

SPECS = os.path.join(h.REPO, "jobs", "specs")
PARTITIONS = 6
EVENTS = 120_000
OOO = 10_000


def main():
    h.load_env()
    topic = h.unique("e2e_actions")
    prefix = topic + "_"
    os.environ.update(WEIR_USER_ACTIONS_TOPIC=topic, WEIR_TABLE_PREFIX=prefix,
                      WEIR_JOB_PREFIX=prefix)
    # 120k events 250 ms apart: about 8 hours, so four 2-hour windows close.
    h.run([h.WEIR, "gen", "user-actions", "--topic", topic, "--partitions", str(PARTITIONS),
           "--count", str(EVENTS), "--step", "250", "--disorder", "5000", "--seed", "11"])
    for p in range(PARTITIONS):
        marker = {"event_id": f"marker-{p}", "user_id": 1, "action_type": "action_000",
                  "timestamp": "2026-01-03T00:00:00.000Z", "device_info": {"platform": "m"}}
        h.produce(topic, p, [("1", json.dumps(marker))])
    events = ref.read_topic(topic)
    assert len(events) == EVENTS + PARTITIONS, len(events)
    common = dict(time_field="timestamp", ooo_ms=OOO, events=events)
    per_user = [("count", None, "actions"), ("count_distinct", "action_type", "distinct_actions")]
    checks = [
        ("user_aggregations", ["user_id"], ["actions", "distinct_actions"],
         ref.aggregate(key=["user_id"], size_ms=7_200_000, aggs=per_user, **common)),
        ("user_aggregations_by_action", ["user_id", "action_type"], ["actions"],
         ref.aggregate(key=["user_id", "action_type"], size_ms=7_200_000,
                       aggs=[("count", None, "actions")], **common)),
        ("user_aggregations_realtime", ["user_id"], ["actions", "distinct_actions"],
         ref.aggregate(key=["user_id"], size_ms=300_000, aggs=per_user, **common)),
    ]
    closed_until = ref.job_watermark(events, "timestamp", OOO)
    # Nested field and filter: actions but action_001 per device platform.
    nested = [(p, o, dict(e, platform=e["device_info"]["platform"])) for p, o, e in events
              if e["action_type"] != "action_001"]
    checks.append(("actions_by_platform", ["platform"], ["actions", "users"],
                   ref.aggregate(key=["platform"], size_ms=300_000,
                                 aggs=[("count", None, "actions"),
                                       ("count_distinct", "user_id", "users")],
                                 **dict(common, events=nested))))
    by_platform = f"""SET pipeline.name = '{prefix}actions-by-platform';
CREATE TABLE user_actions (user_id bigint, action_type text, timestamp timestamp, device_info jsonb)
  WITH (connector = 'kafka', brokers = '{os.environ['WEIR_KAFKA_BROKERS']}', topic = '{topic}',
        watermark_for = 'timestamp', watermark_delay = '10 seconds');
CREATE TABLE by_platform () WITH (connector = 'postgres', url = '{os.environ['WEIR_PG_URL']}',
                                  table = '{prefix}actions_by_platform');
INSERT INTO by_platform
SELECT window_start, window_end, device_info->>'platform' AS platform,
       count(*) AS actions, count(DISTINCT user_id) AS users
FROM TUMBLE(user_actions, timestamp, INTERVAL '5' MINUTE)
WHERE action_type <> 'action_001'
GROUP BY window_start, window_end, device_info->>'platform';
"""
    with h.Cluster("seed-actions") as cluster:
        cluster.up("wa", "wb")
        h.submit_twins(cluster, SPECS, ["user-aggregations", "user-action-aggregations",
                                        "user-aggregations-realtime"], prefix)
        cluster.weir("submit", h.write_spec(by_platform, "by_platform.sql"), check=True)
        for table, key, cols, want in checks:
            if table == "actions_by_platform":  # SQL only
                t = prefix + table
                h.wait_until(lambda: (h.materialized(t) or -1) >= closed_until, 180,
                             f"{t} to be materialized up to {closed_until}")
                ref.compare(h.table_rows(t, key, cols), want)
                print(f"ok: {table} (nested field, WHERE): {len(want)} rows equal the reference")
                continue
            for _, extra in h.LANGUAGES:
                t = prefix + extra + table
                h.wait_until(lambda: (h.materialized(t) or -1) >= closed_until, 180,
                             f"{t} to be materialized up to {closed_until}")
            assert want
            rows = h.table_rows(prefix + table, key, cols)
            ref.compare(rows, want)
            h.assert_twin_rows(rows, h.table_rows(prefix + "sql_" + table, key, cols), table)
            print(f"ok: {table}: {len(want)} rows equal the reference, in YAML and in SQL")
    h.delete_topic(topic)
    h.drop_tables(*[prefix + x + t + s for t, *_ in checks for _, x in h.LANGUAGES
                    for s in ("", "__partials", "__progress")])


if __name__ == "__main__":
    main()
