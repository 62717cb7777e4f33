"""Session windows end to end: user sessions (30 s gap) over a 4-partition
topic keyed by user (`source.partitioned_by: user`), counted into PostgreSQL.
Each partition's events arrive out of order within the watermark's bound.
The rows must equal sessions computed here over all events, read back with
kcat, in plain Python and none of weir's code. The same job without
partitioned_by is refused (a key's sessions cut by partitions cannot be
merged): tests/e2e/test_submit_errors.py."""
import collections
import json
import random

import harness as h
import reference

PARTITIONS = 4
GAP = 30_000
BOUND = 5_000  # max_out_of_orderness
T0 = 1_767_225_600_000
END = T0 + 86_400_000  # a sentinel per partition that closes every session


def sessionize(events):
    """{(start, user): (end, count)} of every user's sessions over all events."""
    by_user = collections.defaultdict(list)
    for e in events:
        if e["user"] != "end":
            by_user[e["user"]].append(e["ts"])
    want = {}
    for user, ts in by_user.items():
        ts.sort()
        start = prev = ts[0]
        n = 1
        for t in ts[1:]:
            if t < prev + GAP:
                n += 1
            else:
                want[(start, user)] = (prev + GAP, n)
                start, n = t, 1
            prev = t
        want[(start, user)] = (prev + GAP, n)
    return want


def main():
    h.load_env()
    rng = random.Random(77)
    topic = h.unique("e2e_sessions")
    h.create_topic(topic, PARTITIONS)
    per_partition = collections.defaultdict(list)
    for u in range(300):
        user = f"u{u:03d}"
        p = u % PARTITIONS
        t = T0 + rng.randrange(600_000)
        for _ in range(rng.randrange(1, 40)):
            # Gaps just under, at and over the session gap, and bursts.
            t += rng.choice([0, 1, 1_000, 5_000, 12_000, 29_999, GAP, 31_000, 90_000])
            per_partition[p].append((t, user))
    moved = 0
    for p in range(PARTITIONS):
        # Out of order within the bound: each event is delayed by less than
        # BOUND - 1 s, so it always comes after the watermark it belongs
        # before, and nothing is late.
        delayed = sorted(per_partition[p], key=lambda e: e[0] + rng.randrange(BOUND - 1_000))
        moved += sum(1 for a, b in zip(delayed, delayed[1:]) if b[0] < a[0])
        msgs = [(user, json.dumps({"user": user, "ts": t})) for t, user in delayed]
        msgs.append(("end", json.dumps({"user": "end", "ts": END})))
        h.produce(topic, p, msgs)
    assert moved > 100, f"only {moved} events out of order"

    want = sessionize(e for _, _, e in reference.read_topic(topic))
    spec = h.write_spec(h.job_spec(topic, topic, """
key: user
window:
  type: session
  gap: 30s
aggregations:
  - fn: count
    as: events
""", time=f"field: ts\n    max_out_of_orderness: {BOUND}ms").replace(
        f"  topic: {topic}\n", f"  topic: {topic}\n  partitioned_by: user\n"))
    with h.Cluster("sessions") as cluster:
        cluster.up("wa", "wb")
        cluster.weir("submit", spec, check=True)
        last_end = max(e for e, _ in want.values())
        # Each partition writes its own final rows: wait for the last one.
        h.wait_until(lambda: int(h.psql(f"""SELECT count(*) FROM "{topic}"
                                            WHERE window_end = to_timestamp({last_end} / 1000.0)""")
                                 [0][0]) > 0, 60, "the last session's row")
        h.wait_until(lambda: int(h.psql(f'SELECT count(*) FROM "{topic}"')[0][0]) >= len(want),
                     60, f"{len(want)} session rows")
        rows = h.psql(f"""SELECT (extract(epoch FROM window_start) * 1000)::bigint,
                                 (extract(epoch FROM window_end) * 1000)::bigint, "user", events
                          FROM "{topic}" """)
        got = {(int(s), u): (int(e), int(n)) for s, e, u, n in rows}
        assert got == want, (f"{len(got)} sessions, want {len(want)}; differing: "
                             f"{sorted(set(got.items()) ^ set(want.items()))[:6]}")
        late = h.psql(f'SELECT coalesce(sum(late), 0), coalesce(sum(malformed), 0) '
                      f'FROM "{topic}__progress" WHERE source_partition >= 0')[0]
        assert late == ["0", "0"], f"late and malformed events: {late}"
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")
    print(f"ok: {len(want)} sessions of 300 users, {moved} events out of order, equal the "
          "reference")


if __name__ == "__main__":
    main()
