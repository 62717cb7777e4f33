"""Fault test of the Iceberg lake sink: the shipped user-actions-lake job (YAML,
checkpoints every 2 s, 6 partitions, two workers, the coordinator's state in
MinIO) takes 120k user actions while, one after another,
  1. a worker is killed (-9) while it writes data files, then restarted;
  2. the coordinator dies (SIGKILL, WEIR_FAILPOINT=lake.before_swap) after
     writing a commit's metadata file and before the catalog swap, and is
     restarted without the failpoint, with its state;
  3. the coordinator is killed (-9) and restarted with its state;
  4. MinIO is restarted (down, 2 s, up);
  5. PostgreSQL (the catalog) is restarted.
Each fault counts as healed when a snapshot committed after it moves every
partition's committed offset on (or all events are committed).

Then pyiceberg (SqlCatalog on the same PostgreSQL) must read every event
exactly once, the same (event_id, user_id, action_type) rows kcat reads from
Kafka; every snapshot (time travel) must hold exactly the events below the
offsets its summary records, without duplicates, as many as its
total-records; all snapshots carry one commit identity; the metadata file
written by the crashed commit is in no snapshot's lineage; and a few rounds
later nothing more is committed.
"""
import json
import os
import subprocess
import sys
import time

from pyarrow import fs as pafs

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness as h  # noqa: E402

SPEC = os.path.join(h.REPO, "jobs", "specs", "user-actions-lake.yaml")
PARTITIONS = 6
EVENTS = 120_000
RATE = 4_000  # 30 s of events
WORKERS = ["wa", "wb"]


def offsets_of(snapshot):
    """{partition: committed offset} of a snapshot's weir.offsets (p:o,p:o)."""
    text = snapshot.summary["weir.offsets"] if snapshot and snapshot.summary else ""
    return {int(p): int(o) for p, o in (kv.split(":") for kv in text.split(",") if kv)}


class Lake:
    """The job's table as pyiceberg sees it; None while it (or PostgreSQL, or
    MinIO) cannot be read."""

    def __init__(self, name):
        self.name = name
        self.cat = h.iceberg_catalog()

    def table(self):
        try:
            return self.cat.load_table(self.name)
        except Exception:  # not created yet, or a service is down: a fresh engine next time
            self.cat = h.iceberg_catalog()
            return None

    def current(self):
        t = self.table()
        return t.current_snapshot() if t else None


def main():
    h.load_env()
    topic = h.unique("fault_lake")
    name = ("weir", topic)
    bucket = os.environ["WEIR_S3_BUCKET"]
    os.environ.update(WEIR_USER_ACTIONS_TOPIC=topic, WEIR_JOB_PREFIX=topic + "_",
                      WEIR_LAKE_PREFIX=f"{topic}/lake", WEIR_LAKE_TABLE=f"weir.{topic}",
                      WEIR_CATALOG_URL=os.environ["WEIR_PG_URL"],
                      WEIR_CHECKPOINT_URL=f"s3://{bucket}/{topic}/ckpt",
                      WEIR_CHECKPOINT_INTERVAL="2s")
    job = topic + "_user-actions-lake"
    state = f"s3://{bucket}/{topic}/coordinator"
    h.create_topic(topic, PARTITIONS)
    lake = Lake(name)
    healed = {}
    t_start = time.time()

    with h.Cluster("lake-faults") as cluster:
        def coordinator(env=None, name="coordinator"):
            return cluster.start("coordinator", "--listen", cluster.address, "--state", state,
                                 name=name, env=env)

        def workers_back():
            h.wait_until(lambda: cluster.weir("status").stdout.count("host=") == len(WORKERS),
                         30, "the workers to register")

        def job_known():
            res = cluster.weir("status")
            return res.returncode == 0 and job in res.stdout

        coordinator()
        h.wait_until(lambda: cluster.weir("status").returncode == 0, 20, "coordinator")
        for w in WORKERS:
            cluster.worker(w)
        workers_back()
        assert cluster.weir("submit", SPEC, check=True).stdout.strip() == job
        gen = subprocess.Popen([h.WEIR, "gen", "user-actions", "--topic", topic, "--count",
                                str(EVENTS), "--rate", str(RATE), "--step", "250", "--seed", "7"],
                               stderr=subprocess.DEVNULL)
        h.wait_until(lambda: lake.current() is not None, 30, "the first snapshot")

        def heal(fault, since, timeout=60):
            """Waits for a snapshot, committed after `since`, that moves every
            partition past the offsets committed at `since` (or commits all)."""
            flowing = gen.poll() is None
            before = offsets_of(lake.current()) if lake.current() else {}

            def moved():
                s = lake.current()
                if s is None:
                    return False
                if int(s.summary["total-records"]) == EVENTS and not flowing:
                    return True  # the events ran out before (a slow MinIO stop)
                now = offsets_of(s)
                return s.timestamp_ms / 1000 >= since and len(now) == PARTITIONS and \
                    all(now[p] > before.get(p, -1) for p in now)
            h.wait_until(moved, timeout, f"a snapshot past the offsets before the {fault}")
            healed[fault] = time.time() - since
            print(f"{fault}: healed (new snapshot past every partition) after "
                  f"{healed[fault]:.1f} s" + ("" if flowing else " (events had run out)"),
                  flush=True)

        # 1. A worker killed while it writes files (events flow, every round writes).
        time.sleep(3)
        t0 = time.time()
        cluster.kill("wa")
        assert cluster.procs["wa"].returncode == -9
        heal("worker kill -9", t0)
        cluster.worker("wa")
        workers_back()

        # 2. The coordinator dies at a commit, between metadata write and swap.
        cluster.kill("coordinator")  # to bring it back with the failpoint armed
        pointer_before = lake.table().metadata_location
        t_fp = time.time()
        failing = coordinator(env={"WEIR_FAILPOINT": "lake.before_swap"},
                              name="coordinator-failpoint")
        try:
            rc = failing.wait(60)
        except subprocess.TimeoutExpired:
            raise AssertionError("the coordinator with WEIR_FAILPOINT=lake.before_swap did not "
                                 "die within 60 s")
        t_died = time.time()
        fp_log = open(os.path.join(cluster.dir, "coordinator-failpoint.log")).read()
        assert rc == -9, f"failpoint coordinator exited {rc}"
        assert "failpoint lake.before_swap" in fp_log, fp_log[-2000:]
        assert lake.table().metadata_location == pointer_before, \
            "the catalog moved although the coordinator died before the swap"
        coordinator()
        h.wait_until(job_known, 30, "the restarted coordinator to know the job")
        workers_back()
        heal("coordinator death before the catalog swap", t_died)

        # 3. A plain kill -9 of the coordinator.
        t0 = time.time()
        cluster.kill("coordinator")
        time.sleep(0.5)
        coordinator()
        h.wait_until(job_known, 30, "the restarted coordinator to know the job")
        workers_back()
        heal("coordinator kill -9", t0)

        # 4., 5. The object store, then the catalog's database.
        services = os.path.join(h.REPO, "deploy", "services.sh")
        for service, fault in (("minio", "MinIO restart"), ("postgres", "PostgreSQL restart")):
            t0 = time.time()
            h.run([services, "down", service])
            t_down = time.time()
            time.sleep(2)
            h.run([services, "up", service])
            print(f"{fault}: stopped in {t_down - t0:.1f} s, up again "
                  f"{time.time() - t_down:.1f} s later", flush=True)
            heal(fault, t0, timeout=90)

        assert gen.wait(timeout=120) == 0, "generator failed"
        h.wait_until(lambda: (s := lake.current()) is not None
                     and int(s.summary["total-records"]) >= EVENTS, 120,
                     f"{EVENTS} rows committed")
        t = lake.table()
        rows = t.scan(selected_fields=("event_id", "user_id", "action_type")).to_arrow()
        def appends(tab):
            return [s for s in tab.snapshots() if s.summary.operation.value == "append"]
        total = int(t.current_snapshot().summary["total-records"])
        time.sleep(6)  # three more rounds: nothing new may be appended (compactions may run)
        t_after = lake.table()
        assert len(appends(t_after)) == len(appends(t)) and \
            int(t_after.current_snapshot().summary["total-records"]) == total, \
            "committed again after everything was"
        coordinator_logs = "".join(open(os.path.join(cluster.dir, f"{n}.log")).read()
                                   for n in ("coordinator", "coordinator-failpoint"))
        # Kept for the report: lake commits that failed (MinIO, PostgreSQL down).
        failed_commits = coordinator_logs.count("lake commit of round")

    # The reference: Kafka's events as kcat reads them.
    out = h.run(["kcat", "-C", "-b", os.environ["WEIR_KAFKA_BROKERS"], "-t", topic, "-e", "-q",
                 "-f", "%p\t%o\t%s\n"]).stdout
    at = {}      # (partition, offset) -> event_id
    want = {}    # event_id -> (event_id, user_id, action_type)
    ends = {}
    for line in out.splitlines():
        p, o, value = line.split("\t", 2)
        e = json.loads(value)
        at[(int(p), int(o))] = e["event_id"]
        want[e["event_id"]] = (e["event_id"], e["user_id"], e["action_type"])
        ends[int(p)] = max(ends.get(int(p), 0), int(o) + 1)
    assert len(at) == len(want) == EVENTS, (len(at), len(want))

    got = list(zip(*(rows.column(c).to_pylist() for c in ("event_id", "user_id", "action_type"))))
    ids = [r[0] for r in got]
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} event(s) more than once"
    assert set(got) == set(want.values()), \
        f"{len(set(want.values()) - set(got))} missing, {len(set(got) - set(want.values()))} extra"

    # Time travel: every snapshot holds exactly the events below its offsets.
    snaps = t.snapshots()
    # Appends, and compactions (replace: the same rows in fewer files).
    assert all(s.summary.operation.value in ("append", "replace") for s in snaps), \
        [s.summary for s in snaps]
    identities = {s.summary["weir.commit-id"] for s in snaps}
    assert len(identities) == 1, f"snapshots of several commit identities: {identities}"
    assert offsets_of(snaps[-1]) == ends, (offsets_of(snaps[-1]), ends)
    prev = {}
    for s in snaps:
        offs = offsets_of(s)
        assert all(offs.get(p, 0) >= o for p, o in prev.items()), (prev, offs)
        prev = offs
        seen = t.scan(snapshot_id=s.snapshot_id, selected_fields=("event_id",)) \
            .to_arrow().column("event_id").to_pylist()
        below = {at[(p, o)] for p, end in offs.items() for o in range(end)}
        assert len(seen) == len(set(seen)) == int(s.summary["total-records"]), s.summary
        assert set(seen) == below, f"snapshot {s.snapshot_id}: {len(set(seen) ^ below)} events " \
            f"differ from those below its offsets {offs}"

    # The crashed commit's metadata file: written, never in the table's lineage.
    s3 = pafs.S3FileSystem(access_key=os.environ["WEIR_S3_ACCESS_KEY"],
                           secret_key=os.environ["WEIR_S3_SECRET_KEY"], region="us-east-1",
                           endpoint_override=os.environ["WEIR_S3_ENDPOINT"].split("://", 1)[1],
                           scheme=os.environ["WEIR_S3_ENDPOINT"].split("://", 1)[0])
    meta_dir = t.location().split("://", 1)[1] + "/metadata"
    lineage = {e.metadata_file.split("://", 1)[1] for e in t.metadata.metadata_log}
    lineage.add(t.metadata_location.split("://", 1)[1])
    orphans = [f for f in s3.get_file_info(pafs.FileSelector(meta_dir))
               if f.path.endswith(".metadata.json") and f.path not in lineage
               and t_fp - 0.2 <= f.mtime.timestamp() <= t_died + 1]
    assert orphans, "no metadata file of the crashed commit (written, not swapped) in MinIO"
    assert len(t.metadata.metadata_log) < 100, "metadata log truncated: the lineage check is void"

    files = len(list(t.scan().plan_files()))
    h.delete_topic(topic)
    print(f"ok: {len(ids)} actions exactly once, equal to kcat's; {len(snaps)} snapshots "
          f"(one identity, each exactly the events below its offsets), {files} data files; "
          f"{len(orphans)} metadata file(s) of the crashed commit left out of the lineage; "
          f"{failed_commits} failed commit(s) retried; healed after "
          + ", ".join(f"{k} {v:.1f} s" for k, v in healed.items())
          + f"; {time.time() - t_start:.0f} s in all")


if __name__ == "__main__":
    main()
