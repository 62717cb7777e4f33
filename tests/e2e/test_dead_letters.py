"""Bad input loses nothing else: malformed events and events later than the
allowed lateness go to the dead-letter topic (checked with kcat, with their
reason, partition and offset) and are counted in the progress table; late
events within the allowed lateness update results that were already written.
Run three times: keys merged across partitions, into PostgreSQL and into
ClickHouse (the partials in PostgreSQL, sink.partials_url: a late update
re-merges the row at a higher version, read with FINAL), and
source.partitioned_by (rows written final from their partition), where an
event whose key field is not its message key is dead-lettered too. The first
run types its key (`type: string`): the number 17 is dead-lettered, the
string "17" counted."""
import collections
import json
import os

import harness as h

T0 = 1_767_225_600_000
WINDOW = 10_000
OOO = 1_000
LATENESS = 20_000


def run(partitioned, store="postgres", typed=False):
    topic = h.unique("e2e_dlq_part" if partitioned else "e2e_dlq_ch" if store == "clickhouse"
                     else "e2e_dlq")
    dlq = topic + ".dead"
    h.create_topic(topic, 2)
    # Per partition: (payload, expected fate). Fates: "ok", "late", or a reason.
    ev = lambda t, k: json.dumps({"k": k, "ts": T0 + t})
    plan = {
        0: [(ev(1_000, "a"), "ok"), (ev(2_000, "b"), "ok"), ("{not json", "malformed JSON"),
            (ev(2_200, "a\x1fb"), "key field holds a NUL or 0x1F byte"),  # would collide
            (ev(15_000, "a"), "ok"),       # watermark 14 s: [0,10) closes
            (ev(3_000, "a"), "ok"),        # within lateness: updates [0,10)
            (json.dumps({"k": "a"}), "event-time field missing"),
            (json.dumps({"ts": T0 + 5}), "key field missing"),
            (ev(45_000, "b"), "ok"),       # watermark 44 s: [0,10) expires (10 + 20 <= 44)
            (ev(4_000, "a"), "late"),
            (ev(40_000, "a"), "ok"),
            (json.dumps({"k": "a", "ts": "yesterday"}), "event-time field unreadable"),
            (ev(120_000, "z"), "ok")],
        1: [(ev(500, "a"), "ok"), (ev(12_000, "b"), "ok"), (ev(9_000, "b"), "ok"),
            (ev(31_000, "b"), "ok"), (ev(1_000, "b"), "late"), (ev(120_000, "z"), "ok")],
    }
    if typed:
        # key: {field: k, type: string}: the number 17 is not the string "17".
        plan[1].insert(2, (json.dumps({"k": 17, "ts": T0 + 1_500}),
                           "key field is not a string (the spec's key type)"))
        plan[1].insert(3, (json.dumps({"k": "17", "ts": T0 + 1_600}), "ok"))
    keyed = {}  # payload -> message key, when it is not the key field
    if partitioned:
        # A key lives in one partition: partition 1's keys are its own.
        plan[1] = [(payload.replace('"k": "', '"k": "p1-'), fate) for payload, fate in plan[1]]
        wrong = ev(2_500, "a")
        plan[0].insert(3, (wrong, "k is not the message key (the job is partitioned_by k)"))
        keyed[wrong] = "b"

    def key_of(payload):
        if payload in keyed:
            return keyed[payload]
        try:
            return json.loads(payload).get("k", "none") if partitioned else "key"
        except ValueError:
            return "none"
    for p, msgs in plan.items():
        h.produce(topic, p, [(key_of(payload), payload) for payload, _ in msgs])

    # Reference: per partition, an event counts for its window unless that
    # window ended before the partition's watermark minus the allowed lateness.
    want = collections.Counter()
    closed_until = min(max(T0 + t for t in _times(msgs)) - OOO for msgs in plan.values())
    for msgs in plan.values():
        for payload, fate in msgs:
            if fate == "ok":
                e = json.loads(payload)
                start = e["ts"] - e["ts"] % WINDOW
                if start + WINDOW <= closed_until:
                    want[(start, e["k"])] += 1

    path = h.write_spec(h.job_spec(topic, topic, ("key: {field: k, type: string}" if typed
                                                  else "key: k") + """
window:
  type: tumbling
  size: 10s
  allowed_lateness: 20s
aggregations:
  - fn: count
    as: n
""", time="field: ts\n    max_out_of_orderness: 1s" + ("\n  partitioned_by: k" if partitioned else ""),
        extra=f"dead_letter:\n  topic: {dlq}\n", store=store, partials=store != "postgres"))
    with h.Cluster("dead-letters") as cluster:
        cluster.up("w")
        cluster.weir("submit", path, check=True)
        h.wait_until(lambda: (h.materialized(topic) or -1) >= closed_until, 60,
                     "results to be materialized")
        if store == "clickhouse":
            got = {(start, k[0]): int(v["n"])
                   for (start, k), v in h.clickhouse_rows(topic, ["k"], ["n"]).items()}
        else:
            got = {(int(r[0]), r[1]): int(r[2]) for r in h.psql(
                f"""SELECT (extract(epoch FROM window_start) * 1000)::bigint, k, n FROM "{topic}" """)}
        assert got == dict(want), f"got {sorted(got.items())}\nwant {sorted(want.items())}"

        # Dead letters, read with kcat: payload and headers.
        expected_dead = sorted((p, i, fate) for p, msgs in plan.items()
                               for i, (_, fate) in enumerate(msgs) if fate != "ok")

        def dead():
            out = h.run(["kcat", "-C", "-b", os.environ["WEIR_KAFKA_BROKERS"], "-t", dlq, "-e",
                         "-q", "-f", "%h\n"], check=False).stdout
            rows = []
            for line in out.splitlines():
                hdr = dict(kv.split("=", 1) for kv in line.split(","))
                rows.append((int(hdr["weir.partition"]), int(hdr["weir.offset"]),
                             hdr["weir.reason"]))
            return sorted(rows)
        h.wait_until(lambda: dead() == expected_dead, 30,
                     f"dead letters {expected_dead} (have {dead()})")
        counts = {int(r[0]): (int(r[1]), int(r[2])) for r in h.psql(
            f"""SELECT source_partition, malformed, late FROM "{topic}__progress"
                WHERE source_partition >= 0""")}
        for p, msgs in plan.items():
            late = sum(f == "late" for _, f in msgs)
            malformed = sum(f not in ("ok", "late") for _, f in msgs)
            assert counts[p] == (malformed, late), (p, counts[p], malformed, late)
    h.delete_topic(topic)
    h.delete_topic(dlq)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")
    if store == "clickhouse":
        h.clickhouse(f"DROP TABLE IF EXISTS {topic}")
    print(f"ok ({'partitioned' if partitioned else 'merged'} into {store}): {len(expected_dead)} dead "
          f"letters with reasons, counted; late updates applied")


def main():
    h.load_env()
    run(partitioned=False, typed=True)
    run(partitioned=False, store="clickhouse")
    run(partitioned=True)


def _times(msgs):
    for payload, fate in msgs:
        if fate in ("ok", "late"):
            yield json.loads(payload)["ts"] - T0


if __name__ == "__main__":
    main()
