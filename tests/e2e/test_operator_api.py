"""The operator's window over HTTP, against a cluster with a secret: curl
submits, lists and cancels a job; a bad spec gets 400 naming file, line and
field; mutations without the token get 401. The REST figures equal the
PostgreSQL progress table and the events produced here; /metrics passes
promtool; Debian's Prometheus scrapes the coordinator and sees a series
move; a drain through the API moves the partitions, and a killed worker
shows up as a recovery with its duration."""
import json
import os
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import harness as h

PARTITIONS = 4
PER_PARTITION = 3000
MALFORMED = 3  # on partition 1
T0 = 1_767_225_600_000
ALERTS = os.path.join(h.REPO, "deploy", "prometheus", "weir-alerts.yml")


def curl(url, *args, token=None, data=None):
    """(status, body) of one request made by curl."""
    cmd = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", *args, url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    if data is not None:
        cmd[1:1] = ["--data-binary", "@-", "-H", "Content-Type: application/yaml"]
    out = subprocess.run(cmd, input=data, capture_output=True, text=True, check=True).stdout
    body, _, status = out.rpartition("\n")
    return int(status), body


def get(cluster, path):
    status, body = curl(cluster.http_url + path)
    assert status == 200, (path, status, body)
    return json.loads(body)


def produce(topic, start, count, malformed=0):
    for p in range(PARTITIONS):
        msgs = [(f"u{i % 11}", json.dumps({"user": f"u{i % 11}", "ts": T0 + (start + i) * 50}))
                for i in range(count)]
        if p == 1:
            msgs += [("bad", "{not json")] * malformed
        h.produce(topic, p, msgs)


def main():
    h.load_env()
    topic = h.unique("e2e_opapi")
    h.create_topic(topic, PARTITIONS)
    h.use_cluster_secret()  # every process and client proves it
    ckpt = tempfile.mkdtemp(prefix="weir-opapi-ckpt-")
    spec = h.job_spec(topic, topic, h.EVENTS_PER_USER_MINUTE,
                      extra=f"checkpoints:\n  url: file://{ckpt}\n  interval: 1s\n")
    produce(topic, 0, PER_PARTITION, MALFORMED)
    with h.Cluster("opapi") as cluster:
        cluster.up("wa", "wb", http=True)
        url = cluster.http_url
        token = h.run([h.WEIR, "token"]).stdout.strip()
        assert len(token) == 64, token

        # Mutations need the token; reads do not (no --http-guard-reads).
        status, body = curl(url + "/api/v1/jobs", data=spec)
        assert status == 401 and "Bearer" in json.loads(body)["error"]["message"], (status, body)
        status, _ = curl(url + "/api/v1/jobs", token="0" * 64, data=spec)
        assert status == 401, status
        assert "refused POST /api/v1/jobs" in open(os.path.join(cluster.dir, "coordinator.log")).read()

        # A bad spec: 400 with file, line, field and message.
        status, body = curl(url + "/api/v1/jobs?file=bad.yaml", token=token,
                            data=spec.replace("key: user", "kee: user"))
        err = json.loads(body)["error"]
        assert status == 400 and err["file"] == "bad.yaml" and err["field"] == "kee" \
            and err["line"] == spec.splitlines().index("key: user") + 1 and "did you mean 'key'" in err["message"], (status, err)

        status, body = curl(url + f"/api/v1/jobs?file={topic}.yaml", token=token, data=spec)
        assert status == 201 and json.loads(body) == {"id": topic}, (status, body)
        status, body = curl(url + "/api/v1/jobs", token=token, data=spec)
        assert status == 409, (status, body)
        assert [j["id"] for j in get(cluster, "/api/v1/jobs")["jobs"]] == [topic]

        total = PARTITIONS * PER_PARTITION + MALFORMED  # records; `events` counts those folded

        def job():
            return get(cluster, f"/api/v1/jobs/{urllib.parse.quote(topic)}")

        h.wait_until(lambda: job()["totals"]["events"] == total - MALFORMED
                     and job()["totals"]["lag"] == 0,
                     60, f"the API to show all {total} events read")
        j = job()
        assert j["state"] == "running" and j["totals"]["malformed"] == MALFORMED \
            and j["totals"]["dead_lettered"] == MALFORMED, j["totals"]
        # The same figures as the sink's progress table (written in the
        # results' transactions) and as Kafka's ends.
        h.wait_until(lambda: progress(topic) == api_progress(job()), 30,
                     "the progress table to match the API")
        for p in j["partitions"]:
            want_end = PER_PARTITION + (MALFORMED if p["partition"] == 1 else 0)
            assert p["high_watermark"] == want_end and p["next_offset"] == want_end, p
            assert p["owner"] in ("wa", "wb") and p["watermark"] is not None, p
        h.wait_until(lambda: any(c["outcome"] == "completed" for c in get(
            cluster, f"/api/v1/jobs/{topic}/checkpoints")["checkpoints"]), 30, "a checkpoint")
        cp = get(cluster, f"/api/v1/jobs/{topic}/checkpoints")["checkpoints"]
        done = [c for c in cp if c["outcome"] == "completed"]
        assert done[0]["reported"] == PARTITIONS and done[0]["size_bytes"] > 0, done[0]
        workers = {w["name"]: w for w in get(cluster, "/api/v1/workers")["workers"]}
        assert set(workers) == {"wa", "wb"}, workers
        assert all(w["rss_bytes"] > 0 and w["last_heartbeat_age_ms"] < 5000 and
                   len(w["partitions"]) == 2 for w in workers.values()), workers

        # /metrics in the exposition format, as promtool reads it.
        status, metrics = curl(url + "/metrics")
        assert status == 200
        lint = subprocess.run(["promtool", "check", "metrics"], input=metrics, text=True,
                              capture_output=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        records = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                      if line.startswith("weir_partition_records_total{"))
        assert records == total, records

        # Prometheus scrapes the coordinator; the series moves with new events.
        prom = start_prometheus(cluster)
        query = f'sum(weir_partition_records_total{{job_id="{topic}"}})'
        h.wait_until(lambda: prom_value(prom, query) == total, 60, "Prometheus to scrape")
        produce(topic, PER_PARTITION, 500)
        h.wait_until(lambda: prom_value(prom, query) == total + PARTITIONS * 500, 60,
                     "Prometheus to see the new events")
        rate = prom_value(prom, f'sum(increase(weir_partition_records_total{{job_id="{topic}"}}[5m]))')
        assert rate and rate > 0, rate
        # The shipped alert rules load and evaluate against these series.
        lint = subprocess.run(["promtool", "check", "rules", ALERTS], capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr

        def rules_health():
            with urllib.request.urlopen(prom.url + "/api/v1/rules", timeout=5) as r:
                groups = json.load(r)["data"]["groups"]
            return [(rule["name"], rule["health"]) for g in groups for rule in g["rules"]]
        h.wait_until(lambda: rules_health() and all(hl == "ok" for _, hl in rules_health()), 30,
                     "the alert rules to evaluate")
        assert len(rules_health()) == 7, rules_health()

        # Drain through the API: wb's partitions move to wa, wb leaves.
        status, _ = curl(url + "/api/v1/workers/wb/drain", "-X", "POST")
        assert status == 401, status
        status, body = curl(url + "/api/v1/workers/nobody/drain", "-X", "POST", token=token)
        assert status == 404, (status, body)
        status, body = curl(url + "/api/v1/workers/wb/drain", "-X", "POST", token=token)
        assert status == 202, (status, body)
        h.wait_until(lambda: [w["name"] for w in get(cluster, "/api/v1/workers")["workers"]] == ["wa"],
                     60, "wb to drain and leave")
        h.wait_until(lambda: all(p["owner"] == "wa" and p["reported"] for p in job()["partitions"]),
                     30, "every partition reading on wa")
        kinds = [e["kind"] for e in get(cluster, "/api/v1/events")["events"]]
        assert "drain" in kinds and "drained" in kinds, kinds
        # A moved partition's pause ends at the first event its new owner emits.
        produce(topic, PER_PARTITION + 500, 10)
        h.wait_until(lambda: sum(e["kind"] == "handoff" for e in get(
            cluster, "/api/v1/events")["events"]) >= 2, 30, "the handoffs to be reported")
        handoffs = [e for e in get(cluster, "/api/v1/events")["events"] if e["kind"] == "handoff"]
        assert all(e["duration_ms"] is not None and e["job"] == topic for e in handoffs), handoffs

        # A killed worker: its partitions recover on wa, reported with a duration.
        cluster.worker("wc")
        h.wait_until(lambda: sum(p["owner"] == "wc" and p["reported"] for p in job()["partitions"]) == 2,
                     30, "wc to take two partitions")
        cluster.kill("wc")
        h.wait_until(lambda: any(e["kind"] == "recovery" for e in get(cluster, "/api/v1/events")["events"]),
                     30, "the recovery to be reported")
        rec = next(e for e in get(cluster, "/api/v1/events")["events"] if e["kind"] == "recovery")
        assert rec["worker"] == "wc" and rec["job"] == topic and 0 <= rec["duration_ms"] < 10_000, rec
        assert job()["restarts"] == 1, job()["restarts"]
        produce(topic, PER_PARTITION + 510, 10)
        h.wait_until(lambda: job()["totals"]["events"] == total - MALFORMED + PARTITIONS * 520, 60,
                     "every event read after the recovery")

        # curl cancels the job.
        status, body = curl(url + f"/api/v1/jobs/{topic}", "-X", "DELETE", token=token)
        assert status == 200 and json.loads(body)["cancelled"], (status, body)
        status, _ = curl(url + f"/api/v1/jobs/{topic}", "-X", "DELETE", token=token)
        assert status == 404, status
        assert get(cluster, "/api/v1/jobs")["jobs"] == []
        prom.terminate()
        prom.wait(10)
        print(f"ok: REST equals the progress table ({total} events), promtool passes, Prometheus "
              f"saw the series move, drain moved {len(handoffs)} partitions, recovery took "
              f"{rec['duration_ms']} ms")
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")


def progress(table):
    rows = h.psql(f'SELECT source_partition, next_offset, events, malformed FROM "{table}__progress" '
                  f"WHERE source_partition >= 0 ORDER BY 1")
    return [[int(v) for v in r] for r in rows]


def api_progress(job):
    return [[p["partition"], p["next_offset"], p["events"], p["malformed"]] for p in job["partitions"]]


def start_prometheus(cluster):
    port = h.free_port()
    d = tempfile.mkdtemp(prefix="weir-prometheus-")
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {ALERTS}
scrape_configs:
  - job_name: weir
    static_configs:
      - targets: ["127.0.0.1:{cluster.http_port}"]
""")
    log = open(os.path.join(cluster.dir, "prometheus.log"), "w")
    proc = subprocess.Popen(["prometheus", f"--config.file={d}/prometheus.yml",
                             f"--storage.tsdb.path={d}/data", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    proc.url = f"http://127.0.0.1:{port}"
    cluster.procs["prometheus"] = proc
    return proc


def prom_value(prom, query):
    try:
        with urllib.request.urlopen(f"{prom.url}/api/v1/query?" +
                                    urllib.parse.urlencode({"query": query}), timeout=5) as r:
            result = json.load(r)["data"]["result"]
    except OSError:
        return None
    return float(result[0]["value"][1]) if result else None


if __name__ == "__main__":
    main()
