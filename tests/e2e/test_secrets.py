"""Credentials in a spec as ${secret:NAME}: the spec text crosses the network
with the reference in it, and each worker fills it in from its own secrets
file (or WEIR_SECRET_NAME). The value appears nowhere but on that worker: not
in the coordinator's saved state or log, not in `weir status`, not in the
workers' logs. A worker without the secret refuses the job with a message
naming it; a password written out in a URL gets a warning at submit."""
import json
import os
import tempfile

import harness as h


def grep_tree(root, needle):
    hits = []
    for d, _, files in os.walk(root):
        for f in files:
            with open(os.path.join(d, f), "rb") as fh:
                if needle.encode() in fh.read():
                    hits.append(os.path.join(d, f))
    return hits


def main():
    h.load_env()
    topic = h.unique("e2e_secrets")
    value = "pw-" + topic  # trust auth on loopback ignores it; what matters is where it goes
    h.create_topic(topic, 2)
    pg = os.environ["WEIR_PG_URL"]
    assert "://weir@" in pg, pg
    body = h.EVENTS_PER_USER_MINUTE
    spec = h.job_spec(topic, topic, body).replace(pg, pg.replace("://weir@",
                                                                 "://weir:${secret:PG_PASSWORD}@"))
    assert "${secret:PG_PASSWORD}" in spec
    secrets = os.path.join(tempfile.mkdtemp(), "secrets")
    with open(secrets, "w") as f:
        f.write(f"# test secrets\nPG_PASSWORD={value}\n")
    with h.Cluster("secrets") as cluster:
        state = os.path.join(cluster.dir, "state")
        cluster.start("coordinator", "--listen", cluster.address, "--state", f"file://{state}")
        h.wait_until(lambda: cluster.weir("status").returncode == 0, 20, "coordinator to answer")
        cluster.start("worker", "--coordinator", cluster.address, "--name", "wa",
                      "--secrets-file", secrets, name="wa")
        h.wait_until(lambda: "host=" in cluster.weir("status").stdout, 20, "wa to register")
        res = cluster.weir("submit", h.write_spec(spec), check=True)
        assert "warning" not in res.stderr, res.stderr
        for p in range(2):
            h.produce(topic, p, [(f"u{i}", json.dumps({"user": f"u{i % 3}", "ts": 1000 + i}))
                                 for i in range(10)]
                      + [("m", json.dumps({"user": "m", "ts": 3_600_000}))])
        h.wait_until(lambda: (h.materialized(topic) or -1) >= 60_000, 60,
                     "the first window in PostgreSQL, written with the worker's secret")
        rows = h.psql(f'SELECT "user", events FROM "{topic}" WHERE window_start = to_timestamp(0) '
                      f'ORDER BY 1')
        assert rows == [["u0", "8"], ["u1", "6"], ["u2", "6"]], rows

        # A worker without the secret refuses the partitions it is given.
        cluster.worker("wb")
        wb_log = os.path.join(cluster.dir, "wb.log")
        h.wait_until(lambda: "secret PG_PASSWORD is not set on this worker"
                     in open(wb_log).read(), 30, "wb to refuse the job for want of the secret")

        # ... and says so: its partitions show FAILED with the reason (not owned and unread).
        h.wait_until(lambda: "secret PG_PASSWORD is not set" in cluster.weir("status").stdout, 20,
                     "wb's partitions FAILED in status")
        status = cluster.weir("status", check=True).stdout
        assert "FAILED: on wb: spec rejected on this worker" in status, status
        leaks = grep_tree(state, value) + [p for p in os.listdir(cluster.dir)
                                           if p.endswith(".log")
                                           and value in open(os.path.join(cluster.dir, p)).read()]
        assert value not in status and not leaks, f"the secret leaked: {leaks} {status}"
        assert grep_tree(state, "${secret:PG_PASSWORD}"), "the saved spec keeps the reference"

        # A password written out gets a warning, at the client and in the coordinator's log.
        plain = h.job_spec(topic + "_plain", topic, body).replace(
            pg, pg.replace("://weir@", "://weir:written-out@"))
        line = 1 + next(i for i, l in enumerate(plain.splitlines()) if "written-out" in l)
        res = cluster.weir("submit", h.write_spec(plain), check=True)
        assert f"warning: " in res.stderr and f":{line}: a password written in a URL" in res.stderr, \
            res.stderr
        cluster.weir("cancel", topic + "_plain", check=True)
        h.wait_until(lambda: "writes a password in a URL" in
                     open(os.path.join(cluster.dir, "coordinator.log")).read(), 10,
                     "the coordinator's warning")
    h.delete_topic(topic)
    h.drop_tables(*[t + s for t in (topic, topic + "_plain") for s in ("", "__partials", "__progress")])
    print("ok: ${secret:NAME} filled in on the worker only; refused without it; plain passwords "
          "warned about")


if __name__ == "__main__":
    main()
