"""Live partition move with large state: one worker folds many keys with
HyperLogLog sketches (4 KiB each) into a day-long window, a second worker
joins, and one partition moves to it while events keep arriving. Prints the
state size and where the moved partition's pause went, from the workers' own
log lines (old owner stops reading -> new owner folds its next event).

Usage: deploy/bench.sh handoff [--keys N]
"""
import argparse
import datetime
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import harness as h  # noqa: E402

PARTITIONS = 2
DAY_MS = 86_400_000
BASE = 1_767_225_600_000  # 2026-01-01T00:00:00Z: every event in one window


def events(partition, keys, per_key, seq0=0):
    """Event time stays within the first day whatever seq0 is: one window."""
    for k in range(keys):
        for i in range(per_key):
            n = seq0 + k * per_key + i
            yield (f"u{partition}-{k}",
                   f'{{"ts":{BASE + n % (DAY_MS // 2)},"user":"u{partition}-{k}","v":"v{n}"}}')


def stamp(line):
    t = datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f")
    return t.timestamp()


def grep(path, pattern):
    with open(path) as f:
        for line in f:
            m = re.search(pattern, line)
            if m:
                return stamp(line), m
    return None, None


def processed(table):
    if h.psql(f"SELECT to_regclass('\"{table}__progress\"') IS NOT NULL")[0][0] != "t":
        return 0
    rows = h.psql(f"""SELECT coalesce(sum(events), 0) FROM "{table}__progress"
                      WHERE source_partition >= 0""")
    return int(rows[0][0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=24_000, help="keys per partition")
    ap.add_argument("--per-key", type=int, default=2, help="events per key")
    args = ap.parse_args()
    h.load_env()
    topic = h.unique("handoff")
    h.create_topic(topic, PARTITIONS)
    total = 0
    t0 = time.time()
    for p in range(PARTITIONS):
        batch = list(events(p, args.keys, args.per_key))
        h.produce(topic, p, batch)
        total += len(batch)
    print(f"produced {total} events over {PARTITIONS} partitions in {time.time() - t0:.1f} s",
          flush=True)
    spec = h.write_spec(h.job_spec(topic, topic, """
key: user
window:
  type: tumbling
  size: 1d
aggregations:
  - fn: approx_count_distinct
    field: v
    as: values
  - fn: count
    as: events
"""))
    stop = threading.Event()

    def trickle():  # keeps the moved partition busy, so its first event after the move is at once
        n = 0
        while not stop.is_set():
            for p in range(PARTITIONS):
                h.produce(topic, p, events(p, 20, 1, seq0=10**8 + n))
            n += 20
            time.sleep(0.05)

    with h.Cluster("handoff") as cluster:
        cluster.up("w1")
        cluster.weir("submit", spec, check=True)
        h.wait_until(lambda: processed(topic) >= total, 300, "w1 to fold every event")
        print(f"w1 folded {total} events", flush=True)
        feeder = threading.Thread(target=trickle, daemon=True)
        feeder.start()
        time.sleep(2)
        cluster.worker("w2")
        w1_log = os.path.join(cluster.dir, "w1.log")
        w2_log = os.path.join(cluster.dir, "w2.log")
        h.wait_until(lambda: grep(w2_log, r"resumed (\d+) ms after")[0] is not None, 120,
                     "the moved partition to resume on w2")
        stop.set()
        feeder.join()
        t_copy, pre = grep(w1_log, r"partition (\d+) pre-copied at offset (\d+): ([\d.]+) MB of "
                                   r"state packed in (\d+) ms")
        t_received, got = grep(w2_log, r"received ([\d.]+) MB of state of partition \d+ at "
                                       r"offset \d+ \(unpacked in (\d+) ms\)")
        t_release, rel = grep(w1_log, r"partition \d+ released at offset (\d+)")
        t_taken, took = grep(w2_log, r"taken over at offset (\d+) \(emitting from (\d+)\)")
        t_resumed, res = grep(w2_log, r"resumed (\d+) ms after")
        assert pre and got and rel and took and res, cluster.logs()
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")
    pause_ms = int(res.group(1))
    caught_up = int(took.group(2)) - int(took.group(1))
    print(f"moved partition {pre.group(1)}: {float(pre.group(3)):.1f} MB of state ({args.keys} keys)")
    print("pre-copy, while the old owner keeps reading the partition:")
    print(f"  pack on the old owner (its source stalls) : {int(pre.group(4)):6d} ms")
    print(f"  packed -> unpacked on the new owner       : {(t_received - t_copy) * 1000:6.0f} ms "
          f"(unpack {got.group(2)} ms)")
    print("switch, the partition's pause:")
    print(f"  old owner stops -> state taken over      : {(t_taken - t_release) * 1000:6.0f} ms "
          f"(sink ack, stop offset to the new owner, coordinator's assignment)")
    print(f"  taken over -> first event emitted        : {(t_resumed - t_taken) * 1000:6.0f} ms "
          f"(Kafka fetch, catching up on {caught_up} events)")
    print(f"  pause (stop -> first event)              : {pause_ms:6d} ms")


if __name__ == "__main__":
    main()
