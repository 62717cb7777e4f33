"""Kafka retention deleted offsets a partition had not read yet (while its
worker was down): Kafka's own delete-records tool removes them, and the new
owner resumes from the checkpoint into the gap. With on_missing_offsets: fail
(the default) the partition stops, loudly: an error in the log, FAILED in
`weir status`, and not one row after the gap (before the fix, librdkafka's
default jumped to the end of the partition, silently). With earliest it skips
to the first offset left, says how many it skipped, and every row after the
gap lands. The other partition is untouched either way.

The same for a checkpoint that no longer loads: a corrupt newest round makes
the new owner resume from the newest older round kept (not from offset 0),
and with every round corrupt the partition stops, FAILED in status, instead
of starting over."""
import glob
import json
import os
import tempfile
import time
import urllib.request

import harness as h

PER_PARTITION = 100
GAP_END = 150  # records before this offset of partition 0 are deleted


def spec(name, topic, policy, ckpt):
    return f"""name: {name}
source:
  type: kafka
  brokers: {os.environ['WEIR_KAFKA_BROKERS']}
  topic: {topic}
  on_missing_offsets: {policy}
columns:
  - {{name: id, type: string, nullable: false}}
  - {{name: n, type: int64}}
sink:
  type: postgres_raw
  url: {os.environ['WEIR_PG_URL']}
  table: {name}
  key: id
checkpoints:
  url: file://{ckpt}
  interval: 1s
"""


def produce(topic, p, first, count):
    h.produce(topic, p, [(str(i), json.dumps({"id": f"p{p}-{i}", "n": i}))
                         for i in range(first, first + count)])


def ids(table, p):
    if h.psql(f"SELECT to_regclass('\"{table}\"') IS NOT NULL")[0][0] != "t":
        return set()
    return {int(r[0].split("-")[1]) for r in h.psql(f'SELECT id FROM "{table}"')
            if r[0].startswith(f"p{p}-")}


def run(policy):
    topic = h.unique(f"e2e_retention_{policy}")
    h.create_topic(topic, 2)
    ckpt = tempfile.mkdtemp(prefix="weir-ckpt-")
    with h.Cluster(f"retention-{policy}") as cluster:
        cluster.up("wa", http=True)
        cluster.weir("submit", h.write_spec(spec(topic, topic, policy, ckpt)), check=True)
        for p in range(2):
            produce(topic, p, 0, PER_PARTITION)
        h.wait_until(lambda: len(ids(topic, 0)) + len(ids(topic, 1)) == 2 * PER_PARTITION, 60,
                     "the first rows")
        time.sleep(3.5)  # checkpoints (every 1 s) now cover offset 100 of each partition
        cluster.kill("wa")
        for p in range(2):
            produce(topic, p, PER_PARTITION, PER_PARTITION)
        h.run([os.path.join(h.REPO, "deploy", "kafka-topic.sh"), "delete-records", topic, "0",
               str(GAP_END)])
        cluster.worker("wb")  # takes both partitions, resumes from offset 100
        h.wait_until(lambda: ids(topic, 1) == set(range(2 * PER_PARTITION)), 60,
                     "partition 1 to read on untouched")
        log = os.path.join(cluster.dir, "wb.log")
        if policy == "fail":
            h.wait_until(lambda: "FAILED" in cluster.weir("status").stdout, 30,
                         "status to show the stopped partition")
            status = cluster.weir("status", check=True).stdout
            want = f"offset {PER_PARTITION} is not in Kafka, which holds {GAP_END} to " \
                   f"{2 * PER_PARTITION - 1}"
            assert f"partition 0 [failed] -> wb  FAILED: {want}" in status, status
            assert f"partition 0 stopped: {want}" in open(log).read()
            time.sleep(2)
            assert ids(topic, 0) == set(range(PER_PARTITION)), \
                f"partition 0 read on past the gap: {sorted(ids(topic, 0) - set(range(100)))[:5]}"
        else:
            h.wait_until(lambda: ids(topic, 0) == set(range(PER_PARTITION))
                         | set(range(GAP_END, 2 * PER_PARTITION)), 60,
                         "partition 0 to read on from the first offset left")
            text = open(log).read()
            assert f"offsets {PER_PARTITION} to {GAP_END - 1} are gone from Kafka (retention); " \
                   f"{GAP_END - PER_PARTITION} offset(s) skipped" in text, text[-2000:]
            assert "FAILED" not in cluster.weir("status", check=True).stdout
            # Counted where an operator looks: the API and /metrics (the raw
            # sink keeps no progress table; a windowed job's has `skipped`).
            def skipped():
                return cluster.api(f"/api/v1/jobs/{topic}")["partitions"][0].get("offsets_skipped")
            h.wait_until(lambda: skipped() == GAP_END - PER_PARTITION, 10,
                         "the skipped offsets in the API")
            with urllib.request.urlopen(f"{cluster.http_url}/metrics") as r:
                metrics = r.read().decode()
            assert f'weir_partition_skipped_offsets_total{{job_id="{topic}",partition="0",' \
                   f'worker="wb"}} {GAP_END - PER_PARTITION}' in metrics
    h.delete_topic(topic)
    h.drop_tables(topic)
    print(f"ok ({policy}): offsets gone from Kafka handled by on_missing_offsets: {policy}")


def corrupt(ckpt, job, partition, newest_only):
    rounds = sorted(glob.glob(os.path.join(ckpt, job, f"p{partition}", "*.ckpt")))
    assert len(rounds) >= 2, rounds
    for r in rounds[-1:] if newest_only else rounds:
        with open(r, "wb") as f:
            f.write(b"not a checkpoint")
    return [os.path.basename(r) for r in rounds]


def run_corrupt_checkpoints():
    topic = h.unique("e2e_restore")
    h.create_topic(topic, 2)
    ckpt = tempfile.mkdtemp(prefix="weir-ckpt-")
    with h.Cluster("restore") as cluster:
        cluster.up("wa")
        cluster.weir("submit", h.write_spec(spec(topic, topic, "fail", ckpt)), check=True)
        for p in range(2):
            produce(topic, p, 0, PER_PARTITION)
        h.wait_until(lambda: len(ids(topic, 0)) + len(ids(topic, 1)) == 2 * PER_PARTITION, 60,
                     "the first rows")
        time.sleep(3.5)
        cluster.kill("wa")
        rounds = corrupt(ckpt, topic, 0, newest_only=True)
        cluster.worker("wb")
        log = os.path.join(cluster.dir, "wb.log")
        h.wait_until(lambda: f"restored from the older round {topic}/p0/{rounds[-2]} instead of "
                     f"{topic}/p0/{rounds[-1]}" in open(log).read(), 30,
                     "wb to resume partition 0 from the round before the corrupt one")
        for p in range(2):
            produce(topic, p, PER_PARTITION, PER_PARTITION)
        h.wait_until(lambda: ids(topic, 0) == ids(topic, 1) == set(range(2 * PER_PARTITION)), 60,
                     "every row of both partitions")
        time.sleep(3.5)
        cluster.kill("wb")
        corrupt(ckpt, topic, 0, newest_only=False)
        cluster.worker("wc")
        h.wait_until(lambda: "FAILED: no checkpoint loads" in cluster.weir("status").stdout, 30,
                     "partition 0 to stop rather than start over")
        assert "reading from the start" not in open(os.path.join(cluster.dir, "wc.log")).read()
    h.delete_topic(topic)
    h.drop_tables(topic)
    print("ok: a corrupt round falls back to the one before; with none left the partition stops")


def main():
    h.load_env()
    run("fail")
    run("earliest")
    run_corrupt_checkpoints()


if __name__ == "__main__":
    main()
