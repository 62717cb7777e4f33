"""Seed 003's community_daily_stats into the real ClickHouse, as shipped
(jobs/specs/social-community-daily-clickhouse, YAML and SQL twins), over
`weir gen social` events on 4 partitions: community events keyed by
community, friendships by user (filtered out). Read back with
clickhouse-client under FINAL, the rows equal a reference computed in Python
from the events read back with kcat: per UTC day [d0, d1), community and
event kind, the events and the distinct members."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "e2e"))
import harness as h  # noqa: E402
import reference as ref  # noqa: E402

SPECS = os.path.join(h.REPO, "jobs", "specs")
PARTITIONS = 4
EVENTS = 40_000
KINDS = {"post_created", "comment_added", "reaction_added", "community_joined"}


def main():
    h.load_env()
    topic = h.unique("e2e_social")
    prefix = topic + "_"
    os.environ.update(WEIR_SOCIAL_TOPIC=topic)
    # 40k events 10.8 s apart: 5 days, 4 of them closed by the markers.
    h.run([h.WEIR, "gen", "social", "--topic", topic, "--partitions", str(PARTITIONS),
           "--count", str(EVENTS), "--step", "10800", "--disorder", "5000", "--seed", "31"])
    for p in range(PARTITIONS):
        marker = {"event_type": "community_joined", "community_id": 999_999, "user_id": 1,
                  "timestamp": "2026-01-09T00:00:00.000Z"}
        h.produce(topic, p, [("999999", json.dumps(marker))])
    events = ref.read_topic(topic)
    ends = h.end_offsets(events)
    community = [e for e in events if e[2]["event_type"] in KINDS]
    assert len(community) < len(events), "friendships must be there, to be filtered out"
    want = ref.aggregate_final_per_partition(
        community, time_field="timestamp", key=["community_id", "event_type"],
        size_ms=86_400_000, ooo_ms=10_000,
        aggs=[("count", None, "events"), ("count_distinct", "user_id", "members")])
    assert len({s for s, _ in want}) >= 4, sorted({s for s, _ in want})
    with h.Cluster("social") as cluster:
        cluster.up("wa", "wb")
        h.submit_twins(cluster, SPECS, ["social-community-daily-clickhouse"], prefix)
        for _, extra in h.LANGUAGES:
            t = prefix + extra + "community_daily_stats"
            h.wait_until(lambda: h.clickhouse_at_offsets(t, ends), 120,
                         f"{t}__progress at the end offsets")
        cols = (["community_id", "event_type"], ["events", "members"])
        got = h.clickhouse_rows(prefix + "community_daily_stats", *cols)
        ref.compare(got, want)
        h.assert_twin_rows(got, h.clickhouse_rows(prefix + "sql_community_daily_stats", *cols),
                           "community_daily_stats")
        print(f"ok: community_daily_stats: {len(want)} rows equal the reference, in YAML and SQL")
    for _, extra in h.LANGUAGES:
        for suffix in ("", "__progress"):
            h.clickhouse(f"DROP TABLE IF EXISTS {prefix}{extra}community_daily_stats{suffix}")
    h.delete_topic(topic)


if __name__ == "__main__":
    main()
