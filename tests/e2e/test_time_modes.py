"""Idle partitions and processing time, end to end.

1. An empty partition must not stall a job: after its idle timeout the other
   partitions' watermarks decide, and every closed window is published:
   into PostgreSQL, and merged into MariaDB (sink.partials_url).
2. With processing time, windows follow the wall clock and close without any
   later event: every event produced ends up counted.
"""
import collections
import json
import os
import time

import harness as h

T0 = 1_767_225_600_000


def idle_partition(store="postgres"):
    """Into PostgreSQL, or merged into MariaDB (the partials in PostgreSQL)."""
    topic = h.unique("e2e_idle" if store == "postgres" else "e2e_idle_my")
    h.create_topic(topic, 3)
    want = collections.Counter()
    for p in (0, 1):  # partition 2 stays empty
        msgs = []
        for i in range(500):
            t = T0 + i * 100 + p
            msgs.append(("k", json.dumps({"k": f"k{i % 4}", "ts": t})))
            want[(t - t % 10_000, f"k{i % 4}")] += 1
        msgs.append(("k", json.dumps({"k": "end", "ts": T0 + 600_000})))
        h.produce(topic, p, msgs)
    spec = h.write_spec(h.job_spec(topic, topic, """
key: k
window:
  type: tumbling
  size: 10s
aggregations:
  - fn: count
    as: n
""", time="field: ts\n    idle_timeout: 2s", store=store, partials=store != "postgres"))
    with h.Cluster("idle") as cluster:
        cluster.up("w")
        cluster.weir("submit", spec, check=True)
        h.wait_until(lambda: (h.materialized(topic) or -1) >= T0 + 600_000, 30,
                     "windows to close despite the empty partition")
        if store == "mysql":
            got = {(int(float(s)), k): int(n) for s, k, n in h.mariadb(
                f"SELECT UNIX_TIMESTAMP(window_start) * 1000, k, n FROM {topic}")}
        else:
            got = {(int(s), k): int(n) for s, k, n in h.psql(
                f'SELECT (extract(epoch FROM window_start) * 1000)::bigint, k, n FROM "{topic}"')}
        assert got == dict(want), (sorted(got.items())[:5], sorted(want.items())[:5])
        idle = h.psql(f'SELECT idle FROM "{topic}__progress" WHERE source_partition = 2')
        assert idle == [["t"]], idle
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")
    if store == "mysql":
        h.mariadb(f"DROP TABLE IF EXISTS {topic}")
    print(f"ok: idle partition: {len(want)} rows published into {store}")


def processing_time():
    topic = h.unique("e2e_ptime")
    h.create_topic(topic, 2)
    spec = h.write_spec(f"""name: {topic}
source:
  type: kafka
  brokers: {os.environ['WEIR_KAFKA_BROKERS']}
  topic: {topic}
  processing_time: true
  guarantee: at_least_once
key: k
window:
  type: tumbling
  size: 1s
aggregations:
  - fn: count
    as: n
sink:
  type: postgres
  url: {os.environ['WEIR_PG_URL']}
  table: {topic}
""")
    with h.Cluster("ptime") as cluster:
        cluster.up("w")
        unsaid = h.write_spec(open(spec).read().replace("  guarantee: at_least_once\n", ""))
        res = cluster.weir("submit", unsaid)
        assert res.returncode != 0 and "add 'guarantee: at_least_once'" in res.stderr, res
        cluster.weir("submit", spec, check=True)
        time.sleep(2)
        start = time.time()
        for p in (0, 1):  # no event time in these at all
            h.produce(topic, p, [("k", json.dumps({"k": f"k{i % 3}"})) for i in range(1000)])
        h.wait_until(lambda: h.psql(f'SELECT coalesce(sum(n), 0) FROM "{topic}"')[0][0] == "2000",
                     30, "every event counted in a closed processing-time window")
        first = h.psql(f'SELECT extract(epoch FROM min(window_start)) FROM "{topic}"')[0][0]
        assert start - 5 < float(first) < time.time(), (start, first)
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")
    print("ok: processing time: 2000 events counted in wall-clock windows")


if __name__ == "__main__":
    h.load_env()
    idle_partition()
    idle_partition(store="mysql")
    processing_time()
