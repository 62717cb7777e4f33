"""The four bets jobs of seeds 000/001, as shipped in jobs/specs/ in YAML and
in SQL, run together on a coordinator and two workers over bets from `weir
gen`; every result table must equal a reference computed in Python from the
events read back with kcat, and each SQL twin's table the YAML job's."""
import json
import os

import harness as h
import reference as ref

SPECS = os.path.join(h.REPO, "jobs", "specs")
PARTITIONS = 4
EVENTS = 200_000
OOO = 5_000  # the specs' max_out_of_orderness; the generator's disorder stays below it


def main():
    h.load_env()
    topic = h.unique("e2e_bets")
    prefix = topic + "_"
    os.environ.update(WEIR_BETS_TOPIC=topic, WEIR_TABLE_PREFIX=prefix, WEIR_JOB_PREFIX=prefix)
    h.run([h.WEIR, "gen", "bets", "--topic", topic, "--partitions", str(PARTITIONS), "--count",
           str(EVENTS), "--step", "3", "--disorder", "3000", "--seed", "7"])
    # One valid bet an hour later in every partition moves every watermark past
    # all generated windows; its own windows stay open.
    for p in range(PARTITIONS):
        marker = {"bet_id": f"marker-{p}", "user_id": 1, "game_id": 1, "amount": 1.0,
                  "currency": "USD", "odds": 2.0, "status": "placed",
                  "timestamp": "2026-01-01T01:00:00.000Z"}
        h.produce(topic, p, [("1", json.dumps(marker))])
    events = ref.read_topic(topic)
    assert len(events) == EVENTS + PARTITIONS, len(events)

    common = dict(time_field="timestamp", ooo_ms=OOO, events=events)
    checks = [
        ("bet_stats", ["game_id"], ["bets", "total_amount", "rank"], (),
         ref.top(ref.aggregate(key=["game_id"], size_ms=60_000,
                               aggs=[("count", None, "bets"), ("sum", "amount", "total_amount")],
                               **common), 10, "bets")),
        ("bet_avg_amount", ["currency"], ["avg_amount", "min_amount", "max_amount", "bets"], (),
         ref.aggregate(key=["currency"], size_ms=60_000,
                       aggs=[("avg", "amount", "avg_amount"), ("min", "amount", "min_amount"),
                             ("max", "amount", "max_amount"), ("count", None, "bets")], **common)),
        ("bet_status_counts", ["status"], ["bets"], (),
         ref.aggregate(key=["status"], size_ms=60_000, aggs=[("count", None, "bets")], **common)),
        ("bet_active_users", [], ["active_users", "active_users_approx", "bets"],
         ("active_users_approx",),
         ref.aggregate(key=[], size_ms=300_000, slide_ms=60_000,
                       aggs=[("count_distinct", "user_id", "active_users"),
                             ("approx_count_distinct", "user_id", "active_users_approx"),
                             ("count", None, "bets")], **common)),
    ]
    closed_until = ref.job_watermark(events, "timestamp", OOO)

    with h.Cluster("seed-bets") as cluster:
        cluster.up("wa", "wb")
        h.submit_twins(cluster, SPECS, ["bets-top-games", "bets-avg-amount", "bets-by-status",
                                        "bets-active-users"], prefix)
        for table, key, cols, approx, want in checks:
            for _, extra in h.LANGUAGES:
                t = prefix + extra + table
                h.wait_until(lambda: (h.materialized(t) or -1) >= closed_until, 120,
                             f"{t} to be materialized up to {closed_until}")
            assert want, f"empty reference for {table}"
            rows = h.table_rows(prefix + table, key, cols)
            ref.compare(rows, want, approx=approx)
            h.assert_twin_rows(rows, h.table_rows(prefix + "sql_" + table, key, cols), table)
            print(f"ok: {table}: {len(want)} rows equal the reference, in YAML and in SQL")
    h.delete_topic(topic)
    h.drop_tables(*[prefix + x + t + s for t, *_ in checks for _, x in h.LANGUAGES
                    for s in ("", "__partials", "__progress")])


if __name__ == "__main__":
    main()
