"""Partitions added to a running job's topic are read: a job starts on a
2-partition topic over two workers, the topic grows to 4 (Kafka's own
TopicCommand, deploy/kafka-topic.sh add-partitions), and events produced
to the new partitions are counted too. The results equal the reference
computed here from every event produced, none counted twice."""
import collections
import json
import os

import harness as h

T0 = 1_767_225_600_000


def produce(topic, partitions, first, count, events):
    for p in partitions:
        batch = [(f"u{i % 7}", T0 + (first + i) * 20) for i in range(count)]
        events += batch
        h.produce(topic, p, [(k, json.dumps({"user": k, "ts": ts})) for k, ts in batch])


def main():
    h.load_env()
    topic = h.unique("e2e_newparts")
    h.create_topic(topic, 2)
    ckpt = h.write_spec("", "x").rsplit("/", 1)[0]
    spec = h.job_spec(topic, topic, h.EVENTS_PER_USER_MINUTE,
                      extra=f"checkpoints:\n  url: file://{ckpt}\n  interval: 1s\n")
    events = []
    with h.Cluster("newparts") as cluster:
        cluster.up("wa", "wb", http=True)
        cluster.weir("submit", h.write_spec(spec), check=True)
        produce(topic, [0, 1], 0, 2000, events)
        def counted():
            if h.psql(f"SELECT to_regclass('\"{topic}__progress\"') IS NOT NULL")[0][0] != "t":
                return 0
            return int(h.psql(f'SELECT coalesce(sum(events), 0) FROM "{topic}__progress" '
                              "WHERE source_partition >= 0")[0][0])
        h.wait_until(lambda: counted() == 4000, 60, "the first 4000 events")
        h.run([os.path.join(h.REPO, "deploy", "kafka-topic.sh"), "add-partitions", topic, "4"])
        h.wait_until(lambda: cluster.weir("status").stdout.count("partition ") == 4, 40,
                     "the job to own 4 partitions")
        produce(topic, [0, 1, 2, 3], 2000, 3000, events)
        # Every partition's watermark past the data: all its windows final.
        for p in range(4):
            h.produce(topic, p, [("m", json.dumps({"user": "m", "ts": T0 + 3_600_000}))])
        expected = collections.Counter((ts - ts % 60_000, k) for k, ts in events)
        h.wait_until(lambda: (h.materialized(topic) or 0) >= T0 + 3_000_000, 60,
                     "every window of the data published")
        got = {(int(s), k): int(c) for s, k, c in h.psql(
            f'SELECT (extract(epoch FROM window_start) * 1000)::bigint, "user", events FROM "{topic}"')}
        assert got == dict(expected), \
            f"{sum(got.values())} counted, {len(events)} produced; first differences: " \
            f"{[(k, got.get(k), v) for k, v in expected.items() if got.get(k) != v][:5]}"
        kinds = [e["kind"] for e in cluster.api("/api/v1/events")["events"]]
        assert "partitions_added" in kinds, kinds
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")
    print(f"ok: the topic grew from 2 to 4 partitions under a running job; {len(events)} events "
          f"counted once each, as the reference")


if __name__ == "__main__":
    main()
