"""Seed 003's marts into the real ClickHouse, as shipped (jobs/specs/social-*,
YAML and SQL twins), over `weir gen social` events on 4 partitions:
community events keyed by community, friendships by user.

- community_daily_stats and post_daily_interactions: keys in one partition
  (source.partitioned_by), rows final as their partition emits them;
- daily_platform_stats (events, DAU) and its _wau and _mau (7- and 30-day
  windows sliding by a day), exact and approximate distinct users: every
  partition holds a day's users, so the partials wait in PostgreSQL
  (sink.partials_url) and the merged rows go to ClickHouse.

A worker is killed with SIGKILL once merged rows are in, and started again.
Read back with clickhouse-client under FINAL, each table's rows equal a
reference computed in Python from the events read back with kcat, per UTC
day [d0, d1); the merge path's PostgreSQL keeps no results and no partials
of final windows."""
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
DAY = 86_400_000
SHIPPED = ["social-community-daily-clickhouse", "social-post-daily-clickhouse",
           "social-platform-daily-clickhouse", "social-platform-wau-clickhouse",
           "social-platform-mau-clickhouse"]


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
    community_kw = dict(time_field="timestamp", size_ms=DAY, ooo_ms=10_000)
    interactions = [e for e in community if e[2]["event_type"] in ("comment_added", "reaction_added")]
    closed_until = ref.job_watermark(events, "timestamp", 10_000)

    def distinct(col):
        return [("count_distinct", "user_id", col), ("approx_count_distinct", "user_id", col + "_approx")]
    # table, key, columns, approximate columns, reference, merged across partitions
    checks = [
        ("community_daily_stats", ["community_id", "event_type"], ["events", "members"], (),
         ref.aggregate_final_per_partition(
             community, key=["community_id", "event_type"],
             aggs=[("count", None, "events"), ("count_distinct", "user_id", "members")],
             **community_kw), False),
        ("post_daily_interactions", ["community_id", "post_id"], ["interactions", "users"], (),
         ref.aggregate_final_per_partition(
             interactions, key=["community_id", "post_id"],
             aggs=[("count", None, "interactions"), ("count_distinct", "user_id", "users")],
             **community_kw), False),
        ("daily_platform_stats", [], ["events", "dau", "dau_approx"], ("dau_approx",),
         ref.aggregate(events, key=[], aggs=[("count", None, "events")] + distinct("dau"),
                       **community_kw), True),
        ("daily_platform_stats_wau", [], ["wau", "wau_approx"], ("wau_approx",),
         ref.aggregate(events, key=[], slide_ms=DAY, aggs=distinct("wau"),
                       **dict(community_kw, size_ms=7 * DAY)), True),
        ("daily_platform_stats_mau", [], ["mau", "mau_approx"], ("mau_approx",),
         ref.aggregate(events, key=[], slide_ms=DAY, aggs=distinct("mau"),
                       **dict(community_kw, size_ms=30 * DAY)), True),
    ]
    for table, _, _, _, want, _ in checks:
        assert len({s for s, _ in want}) >= 4, (table, sorted({s for s, _ in want}))
    with h.Cluster("social") as cluster:
        cluster.up("wa", "wb")
        h.submit_twins(cluster, SPECS, SHIPPED, prefix)
        h.wait_until(lambda: h.clickhouse(f"EXISTS TABLE {prefix}daily_platform_stats")[0][0] == "1"
                     and int(h.clickhouse(f"SELECT count() FROM {prefix}daily_platform_stats")[0][0]) > 0,
                     120, "merged rows in daily_platform_stats")
        cluster.kill("wa")
        cluster.worker("wa")
        for table, key, cols, approx, want, merged in checks:
            for _, extra in h.LANGUAGES:
                t = prefix + extra + table
                if merged:
                    h.wait_until(lambda: (h.materialized(t) or -1) >= closed_until, 180,
                                 f"{t} merged up to {closed_until}")
                else:
                    h.wait_until(lambda: h.clickhouse_at_offsets(t, ends), 180,
                                 f"{t}__progress at the end offsets")
            got = h.clickhouse_rows(prefix + table, key, cols)
            ref.compare(got, want, approx=approx)
            h.assert_twin_rows(got, h.clickhouse_rows(prefix + "sql_" + table, key, cols), table)
            if merged:
                assert h.psql(f"SELECT to_regclass('\"{prefix}{table}\"') IS NULL")[0][0] == "t", \
                    "the merge path keeps no results in PostgreSQL"
                final_partials = h.psql(
                    f"""SELECT count(*) FROM "{prefix}{table}__partials" WHERE window_end <= """
                    f"""timestamptz 'epoch' + {closed_until - 86_400_000} * interval '1 ms'""")[0][0]
                assert final_partials == "0", f"{table}: {final_partials} partials of final windows kept"
            print(f"ok: {table}: {len(want)} rows equal the reference, in YAML and SQL"
                  + (" (merged across partitions)" if merged else ""))
    for _, extra in h.LANGUAGES:
        for table, *_ in checks:
            for suffix in ("", "__progress"):
                h.clickhouse(f"DROP TABLE IF EXISTS {prefix}{extra}{table}{suffix}")
    h.drop_tables(*[prefix + x + t + s for t, *_ in checks for _, x in h.LANGUAGES
                    for s in ("__partials", "__progress")])
    h.delete_topic(topic)


if __name__ == "__main__":
    main()
