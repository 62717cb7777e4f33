"""Seed 004's raw path: every user action as Parquet on MinIO under
event_date / 2-hour event_hour / bucket = user_id % 128, written by two
workers, one of which is killed (-9) mid-stream: its partitions resume on the
other from their checkpoints, after deleting the files the dead one wrote
since. It then comes back and takes a share again: partitions move between
live workers, fenced by the release handshake. Then the other is frozen
until it is taken for dead, and woken: its late uploads are fenced by the
partitions' owner epochs. Read back with
pyarrow (the Hive-partitioned dataset) and duckdb (local copies): every event
exactly once, each in the partition its values say, equal to the events read
back from Kafka with kcat. Run once with the YAML spec and once with its SQL
twin, over the same generated actions: the lakes' rows are equal."""
import datetime
import json
import os
import signal
import subprocess
import tempfile
import time

import duckdb
import pyarrow.dataset as ds
import pyarrow.fs as pafs

import harness as h

SPECS = os.path.join(h.REPO, "jobs", "specs")
EVENTS = 60_000


def run(lang):
    topic = h.unique(f"e2e_lake_{lang}")
    prefix = topic + "_"
    lake = f"{topic}/lake"
    os.environ.update(WEIR_USER_ACTIONS_TOPIC=topic, WEIR_JOB_PREFIX=prefix, WEIR_LAKE_PREFIX=lake,
                      WEIR_CHECKPOINT_URL=f"s3://{os.environ['WEIR_S3_BUCKET']}/{topic}/ckpt",
                      WEIR_CHECKPOINT_INTERVAL="2s")
    h.create_topic(topic, 6)
    bucket = os.environ["WEIR_S3_BUCKET"]
    s3 = pafs.S3FileSystem(endpoint_override=os.environ["WEIR_S3_ENDPOINT"], scheme="http",
                           access_key=os.environ["WEIR_S3_ACCESS_KEY"],
                           secret_key=os.environ["WEIR_S3_SECRET_KEY"], region="us-east-1")

    def files():
        info = s3.get_file_info(pafs.FileSelector(f"{bucket}/{lake}", recursive=True,
                                                  allow_not_found=True))
        return sorted(i.path for i in info if i.path.endswith(".parquet"))

    def lake_rows():
        paths = files()
        if not paths:
            return None
        return ds.dataset(paths, filesystem=s3, format="parquet", partitioning="hive",
                          partition_base_dir=f"{bucket}/{lake}").to_table()

    with h.Cluster("lake") as cluster:
        cluster.up("wa", "wb")
        cluster.weir("submit", os.path.join(SPECS, f"user-actions-lake.{lang}"), check=True)
        # 60k actions, 250 ms apart in event time: about 4 hours, a few hundred paths.
        gen = subprocess.Popen([h.WEIR, "gen", "user-actions", "--topic", topic, "--count",
                                str(EVENTS), "--rate", "6000", "--step", "250", "--seed", "4"],
                               stderr=subprocess.DEVNULL)
        time.sleep(4)
        cluster.kill("wa")  # mid-stream: its partitions resume on wb from checkpoints
        time.sleep(2)
        cluster.worker("wa")  # rejoins: partitions move back from a live owner
        time.sleep(3)
        # Frozen past the heartbeat timeout, wb is taken for dead and wa claims
        # its partitions; woken, wb still holds rows and may upload some before
        # it rejoins (the owner epoch makes it delete them, docs/raw-paths.md;
        # RawLake.AFormerOwnerTakenForDeadLeavesNoFiles forces that case):
        # whatever it does, every event must be in the lake once.
        cluster.procs["wb"].send_signal(signal.SIGSTOP)
        time.sleep(4)
        cluster.procs["wb"].send_signal(signal.SIGCONT)
        assert gen.wait(timeout=120) == 0

        # While partitions move, a new owner deletes what its predecessor wrote
        # after the checkpoint it resumes from: wait until the lake has every
        # row and its files stop changing, then read it.
        last = [None, 0.0]

        def settled():
            paths = files()
            if paths != last[0]:
                last[0], last[1] = paths, time.time()
                return False
            if time.time() - last[1] < 4:
                return False
            t = lake_rows()
            return t is not None and t.num_rows >= EVENTS
        h.wait_until(settled, 120, f"{EVENTS} rows in a lake that stopped changing")
        table = lake_rows()

    events = {}
    out = h.run(["kcat", "-C", "-b", os.environ["WEIR_KAFKA_BROKERS"], "-t", topic, "-e", "-q",
                 "-f", "%s\n"]).stdout
    for line in out.splitlines():
        e = json.loads(line)
        events[e["event_id"]] = e
    assert len(events) == EVENTS
    rows = table.to_pylist()
    ids = [r["event_id"] for r in rows]
    assert len(ids) == len(set(ids)) == EVENTS, f"{len(ids)} rows, {len(set(ids))} distinct"
    for r in rows:
        e = events[r["event_id"]]
        t = datetime.datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))
        assert (r["user_id"], r["action_type"]) == (e["user_id"], e["action_type"]), r
        assert r["event_time"] == t, (r["event_time"], t)
        assert json.loads(r["metadata"]) == e["metadata"], r
        assert str(r["event_date"]) == t.strftime("%Y-%m-%d"), r
        assert int(r["event_hour"]) == t.hour - t.hour % 2, r
        assert int(r["bucket"]) == e["user_id"] % 128, r
    # duckdb on local copies (its S3 extension cannot be installed offline).
    local = tempfile.mkdtemp()
    paths = files()
    for i, p in enumerate(paths):
        with s3.open_input_stream(p) as src, open(os.path.join(local, f"{i}.parquet"), "wb") as dst:
            dst.write(src.read())
    n, distinct = duckdb.sql(f"SELECT count(*), count(DISTINCT event_id) FROM '{local}/*.parquet'"
                             ).fetchone()
    assert n == distinct == EVENTS, (n, distinct)
    h.delete_topic(topic)
    for p in paths:
        s3.delete_file(p)
    print(f"ok ({lang}): {EVENTS} actions exactly once in {len(paths)} Parquet files across a "
          f"kill -9 (pyarrow, duckdb)")
    return sorted(({k: str(v) for k, v in r.items()} for r in rows), key=lambda r: r["event_id"])


def main():
    h.load_env()
    rows = {lang: run(lang) for lang, _ in h.LANGUAGES}
    assert rows["yaml"] == rows["sql"], "the SQL twin's lake holds other rows than the YAML job's"
    print("ok: the SQL twin's lake holds the same rows as the YAML job's")


if __name__ == "__main__":
    main()
