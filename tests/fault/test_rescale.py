"""Scaling a running job: start with one worker, join two more, drain one
away; the drained worker leaves by itself, every partition stays owned, moved
partitions resume from the state their former owner shipped, and the results
equal a reference computed in Python from the events read back with kcat."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness as h  # noqa: E402
import reference as ref  # noqa: E402

import bets_job  # noqa: E402

PARTITIONS = 6
RATE = 4_000
SECONDS = 40


def owners(cluster):
    out = cluster.weir("status").stdout
    return {int(l.split()[1]): l.split("->")[1].strip()
            for l in out.splitlines() if l.strip().startswith("partition ")}


def main():
    h.load_env()
    topic = h.unique("rescale")
    h.create_topic(topic, PARTITIONS)
    spec = bets_job.spec(topic)
    users = topic + "_users"
    h.create_topic(users, PARTITIONS)
    user_spec = bets_job.user_spec(users)
    with h.Cluster("rescale") as cluster:
        cluster.up("w1")
        cluster.weir("submit", spec, check=True)
        cluster.weir("submit", user_spec, check=True)
        gen = subprocess.Popen([h.WEIR, "gen", "bets", "--topic", topic, "--rate", str(RATE),
                                "--count", str(RATE * SECONDS), "--step", "2", "--disorder", "1500",
                                "--seed", "9"], stderr=subprocess.DEVNULL)
        user_gen = subprocess.Popen([h.WEIR, "gen", "user-actions", "--topic", users, "--rate",
                                     str(RATE), "--count", str(RATE * SECONDS), "--step", "2",
                                     "--disorder", "1500", "--seed", "10"],
                                    stderr=subprocess.DEVNULL)
        time.sleep(6)
        assert set(owners(cluster).values()) == {"w1"}
        cluster.worker("w2")
        cluster.worker("w3")
        h.wait_until(lambda: sorted(set(owners(cluster).values())) == ["w1", "w2", "w3"], 20,
                     "the joined workers to receive partitions")
        print(f"scaled 1 -> 3: {owners(cluster)}", flush=True)
        time.sleep(6)
        res = cluster.weir("drain", "w2", check=True)
        assert res.stdout.strip() == "draining w2", res.stdout
        h.wait_until(lambda: cluster.procs["w2"].poll() is not None, 20, "w2 to leave")
        assert cluster.procs["w2"].returncode == 0, cluster.procs["w2"].returncode
        assert "w2" not in cluster.weir("workers", check=True).stdout
        placed = owners(cluster)
        assert sorted(set(placed.values())) == ["w1", "w3"] and len(placed) == PARTITIONS, placed
        print(f"drained w2: {placed}", flush=True)
        assert gen.wait(timeout=SECONDS * 3) == 0
        assert user_gen.wait(timeout=SECONDS * 3) == 0
        bets_job.close_windows(topic, PARTITIONS)
        bets_job.close_user_windows(users, PARTITIONS)
        events = ref.read_topic(topic)
        want = ref.aggregate(events, time_field="timestamp", key=["game_id"], size_ms=10_000,
                             ooo_ms=bets_job.OOO, aggs=[("count", None, "bets"), ("sum", "amount", "total")])
        closed = ref.job_watermark(events, "timestamp", bets_job.OOO)
        h.wait_until(lambda: (h.materialized(topic) or -1) >= closed, 60, "complete results")
        ref.compare(h.table_rows(topic, ["game_id"], ["bets", "total"]), want)
        # The drain moved live partitions by shipping their state worker to
        # worker (not by a restore from the last checkpoint).
        logs = "".join(open(os.path.join(cluster.dir, f"{w}.log")).read() for w in ("w1", "w3"))
        taken = logs.count("taken over at offset")
        assert taken >= 1, "no partition was taken over from a handoff"
        print(f"ok: {len(want)} rows over {len(events)} events equal the reference; "
              f"{taken} partition(s) resumed from state shipped by their former owner")
        n = bets_job.check_users(ref, users)
        print(f"ok: {n} per-user rows (partitioned_by, written once) equal the reference")
    h.delete_topic(topic)
    h.delete_topic(users)
    h.drop_tables(topic, topic + "__partials", topic + "__progress", users, users + "__progress")


if __name__ == "__main__":
    main()
