"""Draining never leaves partitions unowned while a live worker remains: with
two workers, draining both (the second before the first has left) is
refused for the second, which keeps every partition; and the draining one's
partitions all end up on the other."""
import os

import harness as h


def main():
    h.load_env()
    topic = h.unique("e2e_drain_guard")
    h.create_topic(topic, 4)
    with h.Cluster("drain-guard") as cluster:
        cluster.up("wa", "wb")
        cluster.weir("submit", h.write_spec(h.job_spec(topic, topic, h.EVENTS_PER_USER_MINUTE)),
                     check=True)
        cluster.weir("drain", "wa", check=True)
        res = cluster.weir("drain", "wb")
        assert res.returncode != 0 and "is the last one not draining" in res.stderr, res
        h.wait_until(lambda: cluster.weir("status").stdout.count("-> wb") == 4, 30,
                     "all four partitions on wb")
        status = cluster.weir("status", check=True).stdout
        assert "(unassigned)" not in status, status
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")
    print("ok: the second drain refused; every partition stays owned")


if __name__ == "__main__":
    main()
