"""A worker that cannot run a job says so, and the job is not stuck: wa has
no S3 endpoint, so the sources of a job checkpointing to s3:// fail as they
start. Its partitions show FAILED (in `weir status` and the API) with the
reason, the coordinator assigns them to wa again with a growing backoff,
and once the operator drains wa they run on wb, with results equal to the
reference computed here. A results table left by another spec is refused at
submit, checked by a worker (it holds the credentials), naming the column
that differs."""
import collections
import json
import os

import harness as h

PARTITIONS = 2
EVENTS = 4000
T0 = 1_767_225_600_000


def main():
    h.load_env()
    topic = h.unique("e2e_superv")
    h.create_topic(topic, PARTITIONS)
    events = [(i % PARTITIONS, f"u{i % 5}", T0 + i * 30) for i in range(EVENTS)]
    for p in range(PARTITIONS):
        h.produce(topic, p, [(k, json.dumps({"user": k, "ts": ts})) for q, k, ts in events if q == p]
                  + [("m", json.dumps({"user": "m", "ts": T0 + 3_600_000}))])
    expected = collections.Counter((ts - ts % 60_000, k) for _, k, ts in events)
    spec = h.job_spec(topic, topic, h.EVENTS_PER_USER_MINUTE,
                      extra=f"checkpoints:\n  url: s3://weir/e2e-supervision/{topic}\n  interval: 1s\n")
    with h.Cluster("supervision") as cluster:
        cluster.coordinator(http=True)
        endpoint = os.environ.pop("WEIR_S3_ENDPOINT")
        try:
            cluster.worker("wa")
        finally:
            os.environ["WEIR_S3_ENDPOINT"] = endpoint
        h.wait_until(lambda: "host=" in cluster.weir("status").stdout, 20, "wa to register")
        cluster.weir("submit", h.write_spec(spec), check=True)

        def failed_lines():
            return [l for l in cluster.weir("status").stdout.splitlines() if "FAILED" in l]
        h.wait_until(lambda: len(failed_lines()) == PARTITIONS, 30, "both partitions FAILED in status")
        assert all("WEIR_S3_ENDPOINT is not set" in l and "on wa" in l for l in failed_lines()), \
            failed_lines()

        def failures():
            return sorted(e["at"] for e in cluster.api("/api/v1/events?limit=1000")["events"]
                          if e["kind"] == "job_failed")
        # Assigned again after 1 s, then 2 s: the backoff grows.
        h.wait_until(lambda: len(failures()) >= 3, 30, "three failed starts")
        at = failures()
        assert at[1] - at[0] >= 900 and at[2] - at[1] >= 1900, at
        job = cluster.api(f"/api/v1/jobs/{topic}")
        assert job["state"] == "failing" and all(
            "WEIR_S3_ENDPOINT" in p["failed"] for p in job["partitions"]), job

        cluster.worker("wb")
        h.wait_until(lambda: cluster.weir("status").stdout.count("host=") == 2, 20, "wb to register")
        cluster.weir("drain", "wa", check=True)
        h.wait_until(lambda: sum(int(r[0]) for r in h.psql(
            f'SELECT events FROM "{topic}"')) == EVENTS if h.materialized(topic) else False,
            60, "every event counted on wb")
        got = {(int(s), k): int(c) for s, k, c in h.psql(
            f'SELECT (extract(epoch FROM window_start) * 1000)::bigint, "user", events FROM "{topic}"')}
        assert got == dict(expected), (len(got), len(expected))
        h.wait_until(lambda: not failed_lines(), 30, "the FAILED marks to clear")

        # A results table another spec made (its count is an integer): every
        # row would be refused. A worker checks the store at submit (it holds
        # the credentials), and the submission is refused, naming the column.
        other = topic + "_old"
        h.psql(f'CREATE TABLE "{other}" (window_start timestamptz NOT NULL, window_end timestamptz '
               f'NOT NULL, "user" text NOT NULL, events integer, PRIMARY KEY (window_start, "user"))')
        res = cluster.weir("submit", h.write_spec(h.job_spec(other, topic, h.EVENTS_PER_USER_MINUTE)))
        want = f"results table {other}: column events is integer, the spec needs bigint"
        assert res.returncode != 0 and want in res.stderr and "(checked on worker w" in res.stderr, \
            (res.returncode, res.stderr)
        assert other not in cluster.weir("list", check=True).stdout
        h.drop_tables(other, other + "__partials", other + "__progress")
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")
    print(f"ok: wa's failing starts shown and retried with backoff ({len(at)} so far); on wb "
          f"{EVENTS} events counted as the reference")


if __name__ == "__main__":
    main()
