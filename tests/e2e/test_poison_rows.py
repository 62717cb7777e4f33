"""A row the store refuses loses nothing else: the results table was given a
constraint its job's rows can break (as an operator might add one), and the
rows of key "poison" break it. Each refused row goes to the dead-letter topic
(read with kcat: the reason names the constraint, the payload is the row,
the headers its source partition and offset), is counted in
<table>__progress.dropped, and every other row lands, equal to a reference
computed here from the same events; the job reads to the end instead of
retrying the batch forever. Run twice: rows final per partition
(source.partitioned_by) and rows merged across partitions."""
import collections
import datetime
import json
import os

import harness as h

T0 = 1_767_225_600_000
WINDOW = 10_000
KEYS = ["a", "b", "c", "poison", "d"]


def run(partitioned):
    topic = h.unique("e2e_poison_part" if partitioned else "e2e_poison")
    dlq = topic + ".dead"
    h.create_topic(topic, 2)
    path = h.write_spec(h.job_spec(topic, topic, """
key: k
window:
  type: tumbling
  size: 10s
aggregations:
  - fn: count
    as: n
""", time="field: ts\n    max_out_of_orderness: 0s" + ("\n  partitioned_by: k" if partitioned else ""),
        extra=f"dead_letter:\n  topic: {dlq}\n"))
    # 60 s of events per partition, one every 250 ms, keys in turn; then one
    # event at 200 s per partition closes every window before it.
    events = {p: [] for p in (0, 1)}
    for p in (0, 1):
        for i in range(240):
            k = KEYS[(i + p) % len(KEYS)]
            if partitioned:
                k = f"{k}-p{p}" if k != "poison" else f"poison-p{p}"
            events[p].append((k, T0 + i * 250))
        events[p].append(("end" if not partitioned else f"end-p{p}", T0 + 200_000))
    want = collections.Counter()
    for p, evs in events.items():
        for k, ts in evs:
            if ts < T0 + 200_000:
                want[(ts - ts % WINDOW, k)] += 1
    refused = {key: n for key, n in want.items() if key[1].startswith("poison")}
    for key in refused:
        del want[key]

    with h.Cluster("poison-rows") as cluster:
        cluster.up("w")
        # The worker's probe at submit makes the table; the constraint comes
        # before any event does.
        cluster.weir("submit", path, check=True)
        h.psql(f"""ALTER TABLE "{topic}" ADD CONSTRAINT no_poison CHECK (k NOT LIKE 'poison%')""")
        for p, evs in events.items():
            h.produce(topic, p, [(k, json.dumps({"k": k, "ts": ts})) for k, ts in evs])
        h.wait_until(lambda: (h.materialized(topic) or -1) >= T0 + 200_000 - WINDOW, 60,
                     "every window before 200 s to be materialized")
        got = {(int(r[0]), r[1]): int(r[2]) for r in h.psql(
            f"""SELECT (extract(epoch FROM window_start) * 1000)::bigint, k, n FROM "{topic}" """)}
        assert got == dict(want), f"got {sorted(got.items())}\nwant {sorted(want.items())}"

        def dead():
            # -J: one JSON object per message, headers as [name, value, ...]
            # (the reason holds commas, which -f %h cannot tell apart).
            out = h.run(["kcat", "-C", "-b", os.environ["WEIR_KAFKA_BROKERS"], "-t", dlq, "-e",
                         "-q", "-J"], check=False).stdout
            rows = {}
            for line in out.splitlines():
                msg = json.loads(line)
                hdr = dict(zip(msg["headers"][::2], msg["headers"][1::2]))
                row = json.loads(msg["payload"])
                rows[(row["window_start"], row["k"])] = (row, hdr)
            return rows
        h.wait_until(lambda: len(dead()) == len(refused), 30,
                     f"{len(refused)} refused rows in {dlq} (have {len(dead())})")
        assert {key: row["n"] for key, (row, _) in dead().items()} == \
            {(_utc(s), k): n for (s, k), n in refused.items()}, (dead(), refused)
        for (start, k), (row, hdr) in dead().items():
            assert hdr["weir.reason"].startswith("the store refused the row: "), hdr
            assert "no_poison" in hdr["weir.reason"], hdr
            assert hdr["weir.job"] == topic and hdr["weir.topic"] == topic, hdr
            # A row final in its partition names it; a merged row stands for all.
            part = int(k.rsplit("-p", 1)[1]) if partitioned else -1
            assert int(hdr["weir.partition"]) == part, (hdr, part)
            if partitioned:
                assert 0 < int(hdr["weir.offset"]) <= len(events[part]), hdr
        dropped = int(h.psql(f"""SELECT sum(dropped) FROM "{topic}__progress" """)[0][0])
        # At least once, like every dead letter: a write made again counts again.
        assert dropped >= len(refused), (dropped, len(refused))
    h.delete_topic(topic)
    h.delete_topic(dlq)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")
    print(f"ok ({'partitioned' if partitioned else 'merged'}): {len(refused)} refused rows "
          f"dead-lettered with the constraint's name, {len(want)} rows equal to the reference")


def _utc(ms):
    """A window start as the dead letter writes it."""
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S.000Z")


def main():
    h.load_env()
    run(partitioned=True)
    run(partitioned=False)


if __name__ == "__main__":
    main()
