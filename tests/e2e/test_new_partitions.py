"""Partitions added to a running job's topic are read: a job starts on a
2-partition topic over two workers, the topic grows to 4 (Kafka's own
TopicCommand, deploy/kafka-topic.sh add-partitions), and events produced
to the new partitions are counted too. The results equal the reference
computed here from every event produced, none counted twice.

A second job on the same topic declares `source.partitioned_by: user`.
Kafka's partitioner moves keys when a topic grows, so that job is stopped,
loudly and for good (a restarted coordinator keeps it stopped), instead of
writing rows of one key from two partitions as final."""
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
    keyed = h.job_spec(topic + "_keyed", topic, h.EVENTS_PER_USER_MINUTE,
                       extra=f"checkpoints:\n  url: file://{ckpt}\n  interval: 1s\n").replace(
        f"  topic: {topic}\n", f"  topic: {topic}\n  partitioned_by: user\n")
    state = f"file://{ckpt}/coordinator"
    with h.Cluster("newparts") as cluster:
        cluster.coordinator("--state", state, http=True)
        for w in ("wa", "wb"):
            cluster.worker(w)
        h.wait_until(lambda: cluster.weir("status").stdout.count("host=") == 2, 20,
                     "2 workers to register")
        cluster.weir("submit", h.write_spec(spec), check=True)
        cluster.weir("submit", h.write_spec(keyed), check=True)
        produce(topic, [0, 1], 0, 2000, events)
        def counted():
            if h.psql(f"SELECT to_regclass('\"{topic}__progress\"') IS NOT NULL")[0][0] != "t":
                return 0
            return int(h.psql(f'SELECT coalesce(sum(events), 0) FROM "{topic}__progress" '
                              "WHERE source_partition >= 0")[0][0])
        h.wait_until(lambda: counted() == 4000, 60, "the first 4000 events")
        h.run([os.path.join(h.REPO, "deploy", "kafka-topic.sh"), "add-partitions", topic, "4"])
        h.wait_until(lambda: cluster.weir("status").stdout.count("partition ") == 4 + 2, 40,
                     "the job to own 4 partitions")

        def keyed_stopped():
            jobs = {j["id"]: j for j in cluster.api("/api/v1/jobs")["jobs"]}
            return jobs[topic + "_keyed"]["state"] == "stopped"
        h.wait_until(keyed_stopped, 30, "the partitioned_by job to be stopped")
        status = cluster.weir("status", check=True).stdout
        assert status.count("[stopped]") == 2 and "FAILED: job stopped: topic " + topic + \
            " grew from 2 to 4 partitions: Kafka's partitioner" in status, status
        stops = [e for e in cluster.api("/api/v1/events")["events"] if e["kind"] == "job_stopped"]
        assert [e["job"] for e in stops] == [topic + "_keyed"], stops
        # The stop is persisted: a restarted coordinator keeps the job stopped.
        cluster.kill("coordinator")
        cluster.coordinator("--state", state, http=True)
        h.wait_until(lambda: cluster.weir("status").stdout.count("host=") == 2, 20,
                     "the workers to rejoin")
        assert keyed_stopped(), cluster.api("/api/v1/jobs")
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
        # Nothing of the stopped job ran after the stop: its rows hold only
        # the first 4000 events' windows, however many came later.
        stopped_rows = int(h.psql(f'SELECT coalesce(sum(events), 0) FROM "{topic}_keyed" '
                                  f"WHERE window_start >= to_timestamp({(T0 + 2000 * 20) // 1000})")[0][0])
        assert stopped_rows == 0, f"the stopped job counted {stopped_rows} later events"
        cluster.weir("cancel", topic + "_keyed", check=True)
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress", topic + "_keyed",
                  topic + "_keyed__partials", topic + "_keyed__progress")
    print(f"ok: the topic grew from 2 to 4 partitions under a running job; {len(events)} events "
          f"counted once each, as the reference")


if __name__ == "__main__":
    main()
