"""Session windows end to end: user sessions (30 s gap) over a 3-partition topic
where each user's events stay in one partition (the Kafka key), counted into
PostgreSQL; the rows must equal sessions computed here from the same events."""
import collections
import json
import random

import harness as h

PARTITIONS = 3
GAP = 30_000
T0 = 1_767_225_600_000


def main():
    h.load_env()
    rng = random.Random(77)
    topic = h.unique("e2e_sessions")
    h.create_topic(topic, PARTITIONS)
    per_partition = collections.defaultdict(list)
    by_user = collections.defaultdict(list)
    for u in range(200):
        user = f"u{u:03d}"
        t = T0 + rng.randrange(600_000)
        for _ in range(rng.randrange(1, 30)):
            t += rng.choice([1_000, 5_000, 12_000, 29_000, 31_000, 90_000])
            by_user[user].append(t)
    events = sorted((t, user) for user, ts in by_user.items() for t in ts)
    for t, user in events:  # in time order per partition: nothing late
        per_partition[hash(user) % PARTITIONS].append((user, json.dumps({"user": user, "ts": t})))
    for p in range(PARTITIONS):
        per_partition[p].append(("end", json.dumps({"user": "end", "ts": T0 + 86_400_000})))
        h.produce(topic, p, per_partition[p])

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

    spec = h.write_spec(h.job_spec(topic, topic, """
key: user
window:
  type: session
  gap: 30s
aggregations:
  - fn: count
    as: events
"""))
    with h.Cluster("sessions") as cluster:
        cluster.up("wa", "wb")
        cluster.weir("submit", spec, check=True)
        h.wait_until(lambda: (h.materialized(topic) or -1) >= max(e for e, _ in want.values()),
                     60, "sessions to be materialized")
        rows = h.psql(f"""SELECT (extract(epoch FROM window_start) * 1000)::bigint,
                                 (extract(epoch FROM window_end) * 1000)::bigint, "user", events
                          FROM "{topic}" """)
        got = {(int(s), u): (int(e), int(n)) for s, e, u, n in rows}
        assert got == want, (f"{len(got)} sessions, want {len(want)}; differing: "
                             f"{sorted(set(got.items()) ^ set(want.items()))[:6]}")
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")
    print(f"ok: {len(want)} sessions of {len(by_user)} users equal the reference")


if __name__ == "__main__":
    main()
