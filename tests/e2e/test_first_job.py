"""Issue 2's end-to-end test: a coordinator and two workers (separate
processes) count keyed events in 1-minute tumbling windows from a 4-partition
topic into PostgreSQL; the rows must equal counts computed here.

Keys are spread over all partitions on purpose, so each (window, key) is the
merge of several partitions' partial counts.
"""
import collections
import json
import os
import random
import sys

import harness as h

EVENTS = 120_000
PARTITIONS = 4
WINDOW_MS = 60_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SPAN_MS = 10 * WINDOW_MS
DISORDER_MS = 3_000  # below the spec's 5 s bound: nothing is late


def main():
    h.load_env()
    rng = random.Random(20261122)
    topic = h.unique("e2e_first")
    table = topic
    events = []  # (partition, key, ts)
    for i in range(EVENTS):
        ts = T0 + i * SPAN_MS // EVENTS - rng.randrange(DISORDER_MS)
        ts = max(ts, T0)
        events.append((rng.randrange(PARTITIONS), f"k{rng.randrange(50):02d}", ts))
    expected = collections.Counter(((ts - ts % WINDOW_MS), key) for _, key, ts in events)

    h.create_topic(topic, PARTITIONS)
    for p in range(PARTITIONS):
        msgs = [(key, json.dumps({"user": key, "seq": n, "ts": ts}))
                for n, (part, key, ts) in enumerate(events) if part == p]
        # An event an hour later on every partition moves each watermark past
        # all the windows above; its own window stays open and must not appear.
        msgs.append(("late-marker", json.dumps({"user": "marker", "ts": T0 + 3_600_000})))
        h.produce(topic, p, msgs)

    spec_path = h.write_spec(h.job_spec(topic, topic, h.EVENTS_PER_USER_MINUTE, time="field: ts\n    format: epoch_ms\n    max_out_of_orderness: 5s"))

    with h.Cluster("first-job") as cluster:
        cluster.up("wa", "wb")
        res = cluster.weir("submit", spec_path, check=True)
        assert res.stdout.strip() == topic, res.stdout

        status = cluster.weir("status", check=True).stdout
        owners = [line.split("->")[1].strip() for line in status.splitlines() if "partition " in line]
        assert len(owners) == PARTITIONS and len(set(owners)) == 2, status
        assert all(owners.count(o) == 2 for o in set(owners)), status

        def rows():
            return h.psql(f"""SELECT (extract(epoch FROM window_start) * 1000)::bigint,
                                      (extract(epoch FROM window_end) * 1000)::bigint, "user", events
                               FROM "{table}" """) if table_exists(table) else []

        def complete():
            return sum(int(r[3]) for r in rows()) >= EVENTS

        h.wait_until(complete, 90, f"{EVENTS} events counted in {table}")
        got = {}
        for start, end, key, count in rows():
            assert int(end) - int(start) == WINDOW_MS, (start, end)
            got[(int(start), key)] = int(count)
        missing = {k: v for k, v in expected.items() if got.get(k) != v}
        extra = {k: v for k, v in got.items() if k not in expected}
        assert not missing and not extra, f"mismatch: missing/wrong {list(missing.items())[:5]}, extra {list(extra.items())[:5]}"
        print(f"ok: {len(got)} (window, key) rows, {sum(got.values())} events, equal to the reference")

    h.delete_topic(topic)
    h.drop_tables(table, table + "__partials", table + "__progress")


def table_exists(table):
    return h.psql(f"SELECT to_regclass('\"{table}\"') IS NOT NULL")[0][0] == "t"


if __name__ == "__main__":
    main()
