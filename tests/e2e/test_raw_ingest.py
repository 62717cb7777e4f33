"""Every event into PostgreSQL (seeds 000/001's raw `bets` table): each valid
bet arrives exactly once with every field, checked with psql against the
events read back with kcat; malformed bets, and bets PostgreSQL could not
store (a NUL in a string, a timestamp out of range), go to the dead-letter
topic while the rest lands; a replay of the whole topic inserts nothing
twice. A twin job without `sink.key` keys its table by each event's Kafka
position instead (kafka_partition, kafka_offset): every bet once there too,
at the offset kcat read it from, and the replay adds nothing."""
import json
import os

import harness as h
import reference as ref

SPEC = os.path.join(h.REPO, "jobs", "specs", "bets-raw.yaml")
EVENTS = 20_000
PARTITIONS = 3
BAD = [json.dumps({"bet_id": "no-user", "amount": 1.0, "timestamp": "2026-01-01T00:00:00Z"}),
       json.dumps({"bet_id": "bad-user", "user_id": "seven", "timestamp": "2026-01-01T00:00:00Z"}),
       "{truncated",
       # Rows PostgreSQL would refuse (a batch holding one was retried forever):
       json.dumps({"bet_id": "nul", "user_id": 1, "currency": "E\u0000R",
                   "timestamp": "2026-01-01T00:00:00Z"}),
       json.dumps({"bet_id": "far", "user_id": 1, "timestamp": 1e300})]


def read_topic(topic, fmt="%s\n"):
    out = h.run(["kcat", "-C", "-b", os.environ["WEIR_KAFKA_BROKERS"], "-t", topic, "-e", "-q",
                 "-f", fmt], check=False).stdout
    return out.splitlines()


def main():
    h.load_env()
    topic = h.unique("e2e_raw")
    prefix = topic + "_"
    table = prefix + "bets"
    by_position = prefix + "bets_by_position"
    keyless = h.write_spec(open(SPEC).read()
                           .replace("bets-raw\n", "bets-raw-by-position\n", 1)
                           .replace("table: ${WEIR_TABLE_PREFIX:-}bets\n",
                                    "table: ${WEIR_TABLE_PREFIX:-}bets_by_position\n")
                           .replace("  key: bet_id\n", ""))
    dlq = prefix + "bets-raw.dlq"
    os.environ.update(WEIR_BETS_TOPIC=topic, WEIR_TABLE_PREFIX=prefix, WEIR_JOB_PREFIX=prefix)
    h.run([h.WEIR, "gen", "bets", "--topic", topic, "--partitions", str(PARTITIONS), "--count",
           str(EVENTS), "--seed", "21"])
    # The malformed bets come last in every partition: once they are dead-
    # lettered, the partition has been read to the end.
    for p in range(PARTITIONS):
        h.produce(topic, p, [("x", b) for b in BAD])
    good, at = {}, {}
    for line in read_topic(topic, "%p %o %s\n"):
        p, o, payload = line.split(" ", 2)
        try:
            e = json.loads(payload)
        except ValueError:
            continue
        if isinstance(e.get("user_id"), int) and e["bet_id"] not in ("nul", "far"):
            good[e["bet_id"]] = e
            at[e["bet_id"]] = (int(p), int(o))
    assert len(good) == EVENTS, len(good)

    def count(t=table):
        exists = h.psql(f"SELECT to_regclass('\"{t}\"') IS NOT NULL")[0][0] == "t"
        return int(h.psql(f'SELECT count(*) FROM "{t}"')[0][0]) if exists else 0

    with h.Cluster("raw") as cluster:
        cluster.up("wa", "wb")
        cluster.weir("submit", SPEC, check=True)
        cluster.weir("submit", keyless, check=True)
        h.wait_until(lambda: count() == EVENTS, 60, f"{EVENTS} rows in {table}")
        h.wait_until(lambda: count(by_position) == EVENTS, 60, f"{EVENTS} rows in {by_position}")
        rows = h.psql(f"""SELECT bet_id, user_id, game_id, amount, currency, odds, status,
                                 (extract(epoch FROM placed_at) * 1000)::bigint, exported
                          FROM "{table}" """)
        for bet_id, user, game, amount, currency, odds, status, placed, exported in rows:
            e = good[bet_id]
            assert (int(user), int(game), currency, status) == \
                (e["user_id"], e["game_id"], e["currency"], e["status"]), (bet_id, e)
            assert abs(float(amount) - e["amount"]) < 1e-9 and abs(float(odds) - e["odds"]) < 1e-9
            assert int(placed) == ref.millis(e["timestamp"]) and exported == "f", (bet_id, placed)
        h.wait_until(lambda: len(read_topic(dlq)) == PARTITIONS * len(BAD), 20,
                     "the malformed bets in the dead-letter topic")
        placed = {r[0]: (int(r[1]), int(r[2])) for r in h.psql(
            f'SELECT bet_id, kafka_partition, kafka_offset FROM "{by_position}"')}
        assert placed == at, "keyed by position: not every bet once at its offset"
        # Replay everything: the same jobs again over the same topic and tables.
        for job, spec in (("bets-raw", SPEC), ("bets-raw-by-position", keyless)):
            cluster.weir("cancel", prefix + job, check=True)
            cluster.weir("submit", spec, check=True)
        h.wait_until(lambda: len(read_topic(dlq)) == 2 * PARTITIONS * len(BAD), 60,
                     "the replay to reach the end of every partition")
        h.wait_until(lambda: len(read_topic(prefix + "bets-raw-by-position.dlq"))
                     == 2 * PARTITIONS * len(BAD), 60,
                     "the keyless replay to reach the end of every partition")
        assert count() == EVENTS, f"the replay duplicated rows: {count()}"
        assert count(by_position) == EVENTS, \
            f"the replay duplicated rows keyed by position: {count(by_position)}"
    h.delete_topic(topic)
    h.delete_topic(dlq)
    h.delete_topic(prefix + "bets-raw-by-position.dlq")
    h.drop_tables(table, by_position)
    print(f"ok: {EVENTS} bets exactly once with every field, {PARTITIONS * len(BAD)} "
          f"dead-lettered, a full replay added nothing; keyed by Kafka position the same")


if __name__ == "__main__":
    main()
