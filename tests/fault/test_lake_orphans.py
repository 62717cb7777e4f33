"""Fault test of the lake's orphan sweep (docs/lake.md, "Maintenance"): a
user-actions lake job (2 partitions, two workers, checkpoints every 4 s,
data files rolled at 1 MiB, so several are uploaded between barriers,
sink.orphan_age 30 s) takes user actions while a worker is killed (-9) in
the middle of a round. The data files it uploaded since its last barrier are
in no pending list and no snapshot: orphans. The test finds them in MinIO
(data files no snapshot's manifests name, written before the kill), and
leaves beside them what a commit killed before its catalog swap leaves
(a manifest, a manifest list and a metadata file no snapshot names; copies
of live ones under new names, as test_lake_faults shows such a crash
makes). It checks that after the window the coordinator deletes exactly
those (its log line, weir_coordinator_lake_files_orphaned on /metrics, the
API's lake object), no file a snapshot or the metadata log names is
touched, and pyiceberg still reads every snapshot and every event exactly
once, the same event_ids kcat reads from Kafka.
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid

from pyarrow import fs as pafs

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness as h  # noqa: E402

SPEC = os.path.join(h.REPO, "jobs", "specs", "user-actions-lake.yaml")
PARTITIONS = 2
EVENTS = 150_000
RATE = 5_000  # 30 s of events, ~2.5k a second per partition: a 1 MiB roll every second or so
ORPHAN_AGE = 30  # s


def s3fs():
    endpoint = os.environ["WEIR_S3_ENDPOINT"]
    return pafs.S3FileSystem(access_key=os.environ["WEIR_S3_ACCESS_KEY"],
                             secret_key=os.environ["WEIR_S3_SECRET_KEY"], region="us-east-1",
                             endpoint_override=endpoint.split("://", 1)[1],
                             scheme=endpoint.split("://", 1)[0])


def data_files(fs, location):
    """{path without scheme: mtime (s)} of every object under the table's data/."""
    sel = pafs.FileSelector(location.split("://", 1)[1] + "/data", recursive=True,
                            allow_not_found=True)
    return {f.path: f.mtime.timestamp() for f in fs.get_file_info(sel)
            if f.type == pafs.FileType.File}


def referenced(table):
    """Every data file a kept snapshot's manifests name (any entry status)."""
    out = set()
    for s in table.snapshots():
        for m in s.manifests(table.io):
            for e in m.fetch_manifest_entry(table.io, discard_deleted=False):
                out.add(e.data_file.file_path.split("://", 1)[1])
    return out


def metadata_files(fs, location):
    """Paths (without scheme) of every object under the table's metadata/."""
    sel = pafs.FileSelector(location.split("://", 1)[1] + "/metadata", allow_not_found=True)
    return {f.path for f in fs.get_file_info(sel) if f.type == pafs.FileType.File}


def plant_crashed_commit(fs, table):
    """What a commit killed between its metadata file and the swap leaves:
    a manifest, a manifest list and a metadata file named by no snapshot
    (copies of the current ones under fresh names). Returns their paths."""
    snap = table.current_snapshot()
    manifest = snap.manifests(table.io)[0].manifest_path.split("://", 1)[1]
    listing = snap.manifest_list.split("://", 1)[1]
    current = table.metadata_location.split("://", 1)[1]
    meta = current.rsplit("/", 1)[0]
    made = {f"{meta}/{uuid.uuid4()}-m0.avro": manifest,
            f"{meta}/snap-{uuid.uuid4().int % 10**18}-1-{uuid.uuid4()}.avro": listing,
            f"{meta}/99999-{uuid.uuid4()}.metadata.json": current}
    for dst, src in made.items():
        fs.copy_file(src, dst)
    return set(made)


def metric(cluster, name):
    with urllib.request.urlopen(cluster.http_url + "/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def main():
    h.load_env()
    topic = h.unique("fault_orphans")
    bucket = os.environ["WEIR_S3_BUCKET"]
    os.environ.update(WEIR_USER_ACTIONS_TOPIC=topic, WEIR_JOB_PREFIX=topic + "_",
                      WEIR_LAKE_PREFIX=f"{topic}/lake", WEIR_LAKE_TABLE=f"weir.{topic}",
                      WEIR_CATALOG_URL=os.environ["WEIR_PG_URL"],
                      WEIR_CHECKPOINT_URL=f"s3://{bucket}/{topic}/ckpt",
                      WEIR_CHECKPOINT_INTERVAL="4s")
    spec = open(SPEC).read().replace(
        "  commit_every: 1\n",
        f"  commit_every: 1\n  max_file_mb: 1\n  orphan_age: {ORPHAN_AGE}s\n")
    assert "orphan_age" in spec
    spec_path = h.write_spec(spec, "lake-orphans.yaml")
    job = topic + "_user-actions-lake"
    h.create_topic(topic, PARTITIONS)
    fs = s3fs()
    t_start = time.time()

    with h.Cluster("lake-orphans") as cluster:
        cluster.up("wa", "wb", http=True)
        assert cluster.weir("submit", spec_path, check=True).stdout.strip() == job
        cat = h.iceberg_catalog()
        gen = subprocess.Popen([h.WEIR, "gen", "user-actions", "--topic", topic, "--count",
                                str(EVENTS), "--rate", str(RATE), "--step", "250", "--seed", "11"],
                               stderr=subprocess.DEVNULL)

        def table():
            try:
                return cat.load_table(("weir", topic))
            except Exception:
                return None
        h.wait_until(lambda: (t := table()) is not None and t.current_snapshot() is not None,
                     40, "the first snapshot")
        location = table().location()
        # Before the kills: the sweep after them deletes what is older.
        planted = plant_crashed_commit(fs, table())
        time.sleep(1)

        # Kill a worker mid-round, once it has rolled files since its last
        # barrier; try a few rounds until a kill leaves some.
        orphans = set()
        killed = None
        for attempt, victim in enumerate(["wa", "wb", "wa"]):
            time.sleep(2.5)  # well into a 4 s round: files rolled, not listed yet
            t_kill = time.time()
            cluster.kill(victim)
            killed = victim
            time.sleep(5)  # the survivor takes over; the next commit lands
            h.wait_until(lambda: (t := table()) is not None and
                         t.current_snapshot().timestamp_ms / 1000 > t_kill + 1, 40,
                         "a commit after the kill")
            # Pending lists are committed (or aborted, their files deleted)
            # within a round or two: what no snapshot names, was written
            # before the kill and is still there two rounds later is orphaned.
            def unreferenced():
                refs = referenced(table())
                return {p for p, mtime in data_files(fs, location).items()
                        if p not in refs and mtime < t_kill}
            time.sleep(4)
            first = unreferenced()
            time.sleep(8)
            orphans = first & unreferenced()
            print(f"kill -9 {victim} (attempt {attempt + 1}): {len(orphans)} orphan data "
                  f"file(s) left", flush=True)
            cluster.worker(victim)
            h.wait_until(lambda: cluster.weir("status").stdout.count("host=") == 2, 30,
                         "the killed worker back")
            if orphans:
                break
        assert orphans, "no kill left an orphan data file: the test proves nothing"
        if time.time() < t_kill + ORPHAN_AGE:  # not swept before the window
            assert metric(cluster, "weir_coordinator_lake_files_orphaned_total") == 0
            assert orphans <= data_files(fs, location).keys()

        # The sweep: after the window, at a commit; exactly the orphans go.
        def swept():
            files = data_files(fs, location)
            return not (orphans & files.keys()) and not (planted & metadata_files(fs, location))
        h.wait_until(swept, ORPHAN_AGE + 60,
                     f"the {len(orphans)} orphan data and {len(planted)} metadata file(s) deleted")
        t_swept = time.time()
        log = open(os.path.join(cluster.dir, "coordinator.log")).read()
        sweeps = re.findall(r"orphan sweep: (\d+) data file\(s\), (\d+) unreferenced, (\d+) of "
                            r"them older than the window deleted; (\d+) metadata file\(s\) of no "
                            r"snapshot deleted", log)
        assert sweeps, log[-3000:]
        deleted = sum(int(d) + int(m) for _, _, d, m in sweeps)
        assert sum(int(d) for _, _, d, _ in sweeps) >= len(orphans), (sweeps, len(orphans))
        assert sum(int(m) for *_, m in sweeps) >= len(planted), (sweeps, len(planted))
        h.wait_until(lambda: metric(cluster, "weir_coordinator_lake_files_orphaned_total") == deleted,
                     10, "the metric")
        lake = [j for j in cluster.api("/api/v1/jobs")["jobs"] if j["id"] == job][0]["lake"]
        assert lake["files_orphaned"] == deleted and lake["orphan_sweeps"] == len(sweeps), lake

        assert gen.wait(timeout=120) == 0, "generator failed"
        h.wait_until(lambda: int(table().current_snapshot().summary["total-records"]) >= EVENTS,
                     120, f"{EVENTS} rows committed")
        t = table()
        # Nothing a snapshot names was deleted: every file reads.
        files = data_files(fs, location)
        missing = referenced(t) - files.keys()
        # Expiry deletes files of expired snapshots only; kept ones must all be there.
        assert not missing, f"{len(missing)} file(s) a snapshot names are gone"
        # Nor any metadata a reader reaches: the lineage's metadata files
        # (referenced() above read every kept snapshot's list and manifests).
        lineage = {e.metadata_file.split("://", 1)[1] for e in t.metadata.metadata_log}
        lineage.add(t.metadata_location.split("://", 1)[1])
        gone = lineage - metadata_files(fs, location)
        assert not gone, f"metadata file(s) of the log deleted: {sorted(gone)[:3]}"
        ids = t.scan(selected_fields=("event_id",)).to_arrow().column("event_id").to_pylist()
        # No sweep in the steady state: the one after the kill only (and
        # maybe one more within its window's end, for a failure past its cutoff).
        time.sleep(6)
        log = open(os.path.join(cluster.dir, "coordinator.log")).read()
        assert log.count("orphan sweep:") == len(sweeps), "swept again without a failure"

    out = h.run(["kcat", "-C", "-b", os.environ["WEIR_KAFKA_BROKERS"], "-t", topic, "-e", "-q",
                 "-f", "%s\n"]).stdout
    want = {json.loads(line)["event_id"] for line in out.splitlines()}
    assert len(want) == EVENTS, len(want)
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} event(s) more than once"
    assert set(ids) == want, f"{len(want - set(ids))} missing, {len(set(ids) - want)} extra"
    h.delete_topic(topic)
    print(f"ok: kill -9 {killed} left {len(orphans)} orphan data file(s), {len(planted)} metadata "
          f"file(s) of a crashed commit beside them; {len(sweeps)} sweep(s) "
          f"deleted {deleted} after the {ORPHAN_AGE} s window ({t_swept - t_kill:.0f} s after "
          f"the kill); {len(ids)} events exactly once, equal to kcat's; "
          f"{time.time() - t_start:.0f} s in all")


if __name__ == "__main__":
    main()
