"""The four bets jobs of seeds 000/001, as shipped in jobs/specs/ in YAML and
in SQL, run together on a coordinator and two workers over bets from `weir
gen`; every result table must equal a reference computed in Python from the
events read back with kcat, and each SQL twin's table the YAML job's."""
import json
import os

import harness as h
import reference as ref
import shipped_refs

SPECS = os.path.join(h.REPO, "jobs", "specs")
PARTITIONS = 4
EVENTS = 200_000
OOO = shipped_refs.BETS_OOO  # the generator's disorder stays below it


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

    checks = shipped_refs.bets(events)
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
