"""Nexmark events (`weir gen nexmark`, round-robin over 4 partitions) through
two queries in weir's SQL, each against a reference computed here from the
same events read back with kcat:
- q0, stateless: every bid's auction, bidder, price and time into a
  PostgreSQL table without a key (each row keyed by its Kafka position):
  exactly the bids, each once, at the offset kcat read it from;
- bids per auction per 10 s (q5's inner count), windowed by the nested
  bid.dateTime (a generated column): every window the watermark closed has
  exactly the reference's counts, merged across the partitions the
  round-robin spread each auction over.
A malformed event ends each partition (dead-lettered, so its count says a
partition was read to the end); then a full replay of q0 adds nothing."""
import collections
import os

import harness as h
import reference as ref

EVENTS = 60_000  # 60 s of event time at the default step of 1 ms
PARTITIONS = 4
WINDOW_MS = 10_000


def main():
    h.load_env()
    topic = h.unique("nexmark")
    prefix = topic + "_"
    h.run([h.WEIR, "gen", "nexmark", "--topic", topic, "--partitions", str(PARTITIONS),
           "--count", str(EVENTS), "--seed", "5"])
    for p in range(PARTITIONS):
        h.produce(topic, p, [("x", "{not json")])
    malformed = []
    bids = ref.nexmark_bids(topic, malformed)  # (partition, offset) -> (auction, bidder, price, ms)
    assert len(malformed) == PARTITIONS, malformed
    assert len(bids) == EVENTS * 46 // 50, len(bids)
    newest = collections.defaultdict(int)
    for (p, _), (_, _, _, t) in bids.items():
        newest[p] = max(newest[p], t)
    # Windows the watermark closed: the least partition's newest bid, less the delay.
    watermark = min(newest.values()) - 1000
    counts = collections.Counter((t - t % WINDOW_MS, str(a)) for a, _, _, t in bids.values()
                                 if t - t % WINDOW_MS + WINDOW_MS <= watermark)
    windows = {w for w, _ in counts}
    assert len(windows) >= 4, sorted(windows)

    source = f"""
CREATE TABLE nexmark (
  event_type bigint NOT NULL, bid jsonb,
  date_time timestamp GENERATED ALWAYS AS ((bid->>'dateTime')::timestamp) STORED
) WITH (connector = 'kafka', brokers = '{os.environ['WEIR_KAFKA_BROKERS']}', topic = '{topic}',
        watermark_for = 'date_time', watermark_delay = '1 second');
"""
    q0 = h.write_spec(f"""SET pipeline.name = '{prefix}q0';
{source}
CREATE TABLE {prefix}q0 () WITH (connector = 'postgres', url = '{os.environ['WEIR_PG_URL']}');
INSERT INTO {prefix}q0
SELECT (bid->>'auction')::bigint AS auction, (bid->>'bidder')::bigint AS bidder,
       (bid->>'price')::bigint AS price, date_time
FROM nexmark WHERE event_type = 2;
""", "q0.sql")
    per_auction = h.write_spec(f"""SET pipeline.name = '{prefix}bids';
{source}
CREATE TABLE {prefix}bids () WITH (connector = 'postgres', url = '{os.environ['WEIR_PG_URL']}');
INSERT INTO {prefix}bids
SELECT window_start, bid->>'auction' AS auction, count(*) AS bids
FROM TUMBLE(nexmark, date_time, INTERVAL '10 seconds') WHERE event_type = 2
GROUP BY window_start, window_end, bid->>'auction';
""", "bids.sql")

    def q0_rows():
        if h.psql(f"SELECT to_regclass('\"{prefix}q0\"') IS NOT NULL")[0][0] != "t":
            return {}
        return {(int(r[0]), int(r[1])): (int(r[2]), int(r[3]), int(r[4]), int(r[5]))
                for r in h.psql(f"""SELECT kafka_partition, kafka_offset, auction, bidder, price,
                                           (extract(epoch FROM date_time) * 1000)::bigint
                                    FROM "{prefix}q0" """)}

    def closed_counts():
        if h.psql(f"SELECT to_regclass('\"{prefix}bids\"') IS NOT NULL")[0][0] != "t":
            return {}
        rows = h.table_rows(prefix + "bids", ["auction"], ["bids"])
        return {(w, k[0]): int(v["bids"]) for (w, k), v in rows.items() if w in windows}

    with h.Cluster("nexmark") as cluster:
        cluster.up("w1", "w2")
        cluster.weir("submit", q0, check=True)
        cluster.weir("submit", per_auction, check=True)
        h.wait_until(lambda: len(q0_rows()) >= len(bids), 90, f"q0's {len(bids)} bids")
        assert q0_rows() == bids, "q0: the table is not exactly the bids at their offsets"
        h.wait_until(lambda: closed_counts() == dict(counts), 90,
                     f"bids per auction in {len(windows)} closed windows")
        dlq = prefix + "q0.dlq"

        def dead_letters():
            return len(h.run(["kcat", "-C", "-b", os.environ["WEIR_KAFKA_BROKERS"], "-t", dlq,
                              "-e", "-q", "-f", "%o\n"], check=False).stdout.splitlines())
        h.wait_until(lambda: dead_letters() == PARTITIONS, 30, "q0's malformed events")
        cluster.weir("cancel", prefix + "q0", check=True)
        cluster.weir("submit", q0, check=True)
        h.wait_until(lambda: dead_letters() == 2 * PARTITIONS, 60,
                     "the replay of q0 to reach the end of every partition")
        assert q0_rows() == bids, "q0: the replay added or changed rows"
    h.delete_topic(topic)
    h.delete_topic(dlq)
    h.delete_topic(prefix + "bids.dlq")
    h.drop_tables(prefix + "q0", prefix + "bids", prefix + "bids__progress",
                  prefix + "bids__partials")
    print(f"ok: {len(bids)} bids of {EVENTS} Nexmark events exactly once by q0 (replayed), "
          f"{sum(counts.values())} bids per auction in {len(windows)} closed windows as the "
          "reference counts them")


if __name__ == "__main__":
    main()
