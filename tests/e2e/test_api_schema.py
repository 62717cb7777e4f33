"""The coordinator's HTTP API answers as docs/api.yaml says: schemathesis
(property-based, from the document alone) fuzzes every operation against a
live cluster with a secret and one windowed job, checking status codes,
content types and response bodies against the document; the mutations it
could only fuzz blindly (a submit that succeeds, a cancel, a drain) are made
here by hand and their answers checked against the same document.

Schemathesis first runs every operation but DELETE /api/v1/jobs/{id} and
POST /api/v1/workers/{name}/drain: it learns ids and names from the
responses (the document's links), so with those it would cancel the job and
drain the worker whose figures the other operations are meant to show. The
two are fuzzed last, when nothing depends on the cluster any more.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

import requests
import schemathesis
import yaml
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.adapter.validators import validate_v3

import harness as h

API_YAML = os.path.join(h.REPO, "docs", "api.yaml")
PARTITIONS = 2
PER_PARTITION = 500
T0 = 1_767_225_600_000
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance," \
         "response_schema_conformance"
# Schemathesis also sends methods a path does not have (expecting 404 or
# 405 with the error body), with the operation's body, every method: a body
# the server does not read must not become the connection's next request
# (the server closes each connection after one answer; hostile_input).
CONFIG = """[phases.coverage]
unexpected-methods = ["get", "put", "post", "delete", "options", "patch", "trace", "query"]
"""


class Api:
    """Requests to one coordinator, each answer checked against docs/api.yaml:
    the status expected (and documented for the operation), its media type
    and its body."""

    def __init__(self, url, token=None):
        self.url = url
        self.token = token
        self.schema = schemathesis.openapi.from_path(API_YAML)
        with open(API_YAML) as f:
            self.doc = yaml.safe_load(f)

    def call(self, method, template, status, path=None, token=None, body=None, ctype=None,
             params=None, media="application/json"):
        headers = {}
        token = self.token if token is None else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if ctype:
            headers["Content-Type"] = ctype
        resp = requests.request(method, self.url + (path or template), headers=headers,
                                data=body.encode() if isinstance(body, str) else body,
                                params=params, timeout=30)
        what = f"{method} {resp.url}"
        assert resp.status_code == status, f"{what}: {resp.status_code}, wanted {status}: {resp.text[:500]}"
        documented = self.doc["paths"][template][method.lower()]["responses"]
        assert str(status) in documented, f"{what}: {status} is not documented for {template}"
        got = resp.headers.get("Content-Type", "").split(";")[0].strip()
        assert got == media, f"{what}: Content-Type {resp.headers.get('Content-Type')!r}, wanted {media}"
        self.schema[template][method].validate_response(resp)  # raises on a mismatch
        return resp

    def get(self, template, path=None, status=200, **kw):
        resp = self.call("GET", template, status, path=path, **kw)
        return resp.json() if resp.headers["Content-Type"].startswith("application/json") else resp


def schemathesis_run(url, token, workdir, *selection, examples=40):
    """Runs schemathesis on docs/api.yaml against url; AssertionError with its
    report if any check fails."""
    config = os.path.join(workdir, "schemathesis.toml")
    with open(config, "w") as f:
        f.write(CONFIG)
    cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", config, "run", API_YAML,
           "--url", url,
           "--checks", CHECKS, "--max-examples", str(examples), "--generation-database", "none",
           "--header", f"Authorization: Bearer {token}", "--request-timeout", "30",
           "--report", "har", "--report-dir", workdir, "--no-color", *selection]
    started = time.time()
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, timeout=300)
    summary = [line for line in res.stdout.splitlines() if "generated" in line]
    assert res.returncode == 0, f"schemathesis failed ({res.returncode}), every request in " \
        f"{workdir}/*.har:\n{res.stdout[-20000:]}\n{res.stderr[-5000:]}"
    return f"{summary[-1].strip() if summary else '?'} in {time.time() - started:.0f}s"


def hostile_input(api, cluster, spec):
    """Input that once broke the server, each answered as documented: strings
    that are not UTF-8 after percent-decoding, a spec error message holding
    part of a UTF-8 character, and a spec error whose line does not fit an
    int (they gave 500 with no body, and the fallback 404 handler killed the
    coordinator); a body the server does not read (it was answered as a
    request of its own on the keep-alive connection). Last: it ends the
    cluster."""
    latin1 = spec.replace("name: ", "name: latin1_") + "# caf\xe9\n"
    resp = requests.post(api.url + "/api/v1/jobs", data=latin1.encode("latin-1"),
                         headers={"Authorization": f"Bearer {api.token}"}, timeout=30)
    assert resp.status_code in (201, 400), (resp.status_code, resp.text)
    if resp.status_code == 201:  # accepted: its page must still render
        name = resp.json()["id"]
        api.get("/api/v1/jobs/{id}", f"/api/v1/jobs/{name}")
        api.call("DELETE", "/api/v1/jobs/{id}", 200, path=f"/api/v1/jobs/{name}")
    api.get("/api/v1/jobs/{id}", "/api/v1/jobs/%FF", status=404)
    api.get("/api/v1/jobs/{id}/checkpoints", "/api/v1/jobs/%FF/checkpoints", status=404)
    api.get("/api/v1/events", "/api/v1/events?limit=%FF", status=400)
    api.call("DELETE", "/api/v1/jobs/{id}", 404, path="/api/v1/jobs/%FF")
    api.call("POST", "/api/v1/workers/{name}/drain", 404, path="/api/v1/workers/%FF/drain", body="")
    api.call("POST", "/api/v1/jobs", 400, body=b"name: x\nk\xff: user\n")
    # Valid UTF-8 in, a cut one out: yaml-cpp names one byte of the 'é'.
    api.call("POST", "/api/v1/jobs", 400, body='name: "\\é"\n')
    api.call("POST", "/api/v1/jobs", 400, path="/api/v1/jobs?file=%FF", body="name: x\n")
    api.call("POST", "/api/v1/jobs", 400, params={"file": "x:99999999999"}, body="kee: x\n")
    # A body the server does not read (these two routes never read one)
    # must not answer the next request on the connection.
    for method, path in (("DELETE", "/api/v1/jobs/nojob"), ("POST", "/api/v1/workers/nobody/drain"),
                         ("GET", "/api/v1/jobs"), ("OPTIONS", "/api/v1/jobs")):
        for _ in range(30):
            with requests.Session() as session:
                session.request(method, api.url + path, data=b"''\n", timeout=30,
                                headers={"Authorization": f"Bearer {api.token}"})
                resp = session.get(api.url + "/api/v1/workers", timeout=30)
                assert resp.status_code == 200, \
                    f"GET /api/v1/workers after {method} {path} with a body: {resp.status_code}"
    resp = requests.get(api.url + "/api/v1/x%FF", timeout=30)
    assert resp.status_code == 404 and "error" in resp.json(), (resp.status_code, resp.text)
    time.sleep(0.5)
    assert cluster.procs["coordinator"].poll() is None, "GET /api/v1/x%FF killed the coordinator"


def main():
    h.load_env()
    with open(API_YAML) as f:
        validate_v3(yaml.safe_load(f))  # the document itself, against OpenAPI 3.0's schema
    topic = h.unique("e2e_apischema")
    via_http, via_sql = topic + "_http", topic + "_sql"
    h.create_topic(topic, PARTITIONS)
    for p in range(PARTITIONS):
        h.produce(topic, p, [(f"u{i % 7}", json.dumps({"user": f"u{i % 7}", "ts": T0 + i * 200}))
                             for i in range(PER_PARTITION)] + [("bad", "{not json")])
    h.use_cluster_secret()  # every process and client proves it
    ckpt = tempfile.mkdtemp(prefix="weir-apischema-ckpt-")
    spec = h.job_spec(topic, topic, h.EVENTS_PER_USER_MINUTE,
                      extra=f"checkpoints:\n  url: file://{ckpt}\n  interval: 2s\n")
    workdir = tempfile.mkdtemp(prefix="weir-apischema-")

    with h.Cluster("api-schema") as cluster:
        cluster.up("wa", http=True)
        token = h.run([h.WEIR, "token"]).stdout.strip()
        assert len(token) == 64, token
        api = Api(cluster.http_url, token)
        cluster.weir("submit", h.write_spec(spec), check=True)
        job_path = f"/api/v1/jobs/{urllib.parse.quote(topic)}"

        # Every list non-empty before schemathesis looks: partitions reported,
        # a completed checkpoint, history samples (every 5 s), events.
        def ready():
            j = api.get("/api/v1/jobs/{id}", job_path)
            return j["state"] == "running" and j["totals"]["events"] == PARTITIONS * PER_PARTITION \
                and j["totals"]["lag"] == 0 and j["last_checkpoint"] is not None \
                and len(j["history"]) >= 1
        h.wait_until(ready, 60, "the job to run, checkpoint and have history")
        job = api.get("/api/v1/jobs/{id}", job_path)
        assert job["id"] == topic and job["kind"] == "windowed" and job["spec"] == spec, job
        assert job["partition_count"] == PARTITIONS and job["totals"]["malformed"] == PARTITIONS, job
        assert all(p["reported"] and p["owner"] == "wa" and p["lag"] == 0 for p in job["partitions"]), job
        assert [j["id"] for j in api.get("/api/v1/jobs")["jobs"]] == [topic]
        cps = api.get("/api/v1/jobs/{id}/checkpoints", job_path + "/checkpoints")
        assert cps["job"] == topic and any(c["outcome"] == "completed" for c in cps["checkpoints"]), cps
        workers = api.get("/api/v1/workers")["workers"]
        assert [w["name"] for w in workers] == ["wa"] and len(workers[0]["partitions"]) == PARTITIONS, workers
        events = api.get("/api/v1/events")["events"]
        assert {"join", "submit"} <= {e["kind"] for e in events}, events
        assert len(api.get("/api/v1/events", params={"limit": 1})["events"]) == 1
        metrics = api.get("/metrics", media="text/plain").text
        assert "weir_" in metrics, metrics[:500]
        api.get("/", media="text/html")
        # The checks above are not vacuous: a body off the document is caught.
        resp = api.call("GET", "/api/v1/jobs", 200)
        broken = resp.json()
        broken["jobs"][0]["restarts"] = "none"
        resp._content = json.dumps(broken).encode()
        try:
            api.schema["/api/v1/jobs"]["GET"].validate_response(resp)
            caught = False
        except (Failure, FailureGroup):
            caught = True
        assert caught, "a job list with a string for restarts passed as conforming"

        fuzz_reads = schemathesis_run(cluster.http_url, token, workdir,
                                      "--exclude-method", "DELETE",
                                      "--exclude-path", "/api/v1/workers/{name}/drain")
        job = api.get("/api/v1/jobs/{id}", job_path)  # schemathesis left it alone
        assert job["state"] == "running" and job["partition_count"] == PARTITIONS, job

        # Mutations need the token (reads do not: no --http-guard-reads).
        for method, template, path in (("POST", "/api/v1/jobs", None),
                                       ("DELETE", "/api/v1/jobs/{id}", job_path),
                                       ("POST", "/api/v1/workers/{name}/drain",
                                        "/api/v1/workers/wa/drain")):
            for wrong in (None, "0" * 64):
                headers = {"Authorization": f"Bearer {wrong}"} if wrong else {}
                resp = requests.request(method, cluster.http_url + (path or template),
                                        headers=headers, data=b"", timeout=30)
                assert resp.status_code == 401, (method, path, resp.status_code, resp.text)
                assert resp.headers.get("WWW-Authenticate") == 'Bearer realm="weir"', resp.headers
                assert "Bearer" in resp.json()["error"]["message"], resp.text
                api.schema[template][method].validate_response(resp)
        assert api.get("/api/v1/jobs/{id}", job_path)["state"] == "running"

        # A bad spec: 400 naming file, line and field.
        bad = spec.replace("key: user", "kee: user")
        err = api.call("POST", "/api/v1/jobs", 400, body=bad, ctype="application/yaml",
                       params={"file": "bad.yaml"}).json()["error"]
        assert err == {"file": "bad.yaml", "line": spec.splitlines().index("key: user") + 1,
                       "column": None, "field": "kee",
                       "message": "unknown field 'kee' (did you mean 'key'?)"}, err
        err = api.call("POST", "/api/v1/jobs", 400, body=bad, ctype="text/plain").json()["error"]
        assert err["file"] == "request" and err["field"] == "kee", err
        http_spec = spec.replace(f"name: {topic}", f"name: {via_http}") \
                        .replace(f"table: {topic}", f"table: {via_http}")
        err = api.call("POST", "/api/v1/jobs", 400, body=http_spec.replace(
            f"topic: {topic}", "topic: no_such_topic_here")).json()["error"]
        assert "no_such_topic_here" in err["message"] and err["line"] is None, err
        sql = f"""SET pipeline.name = '{via_sql}';
CREATE TABLE ev ("user" text, ts bigint)
  WITH (connector = 'kafka', brokers = '{os.environ['WEIR_KAFKA_BROKERS']}', topic = '{topic}',
        watermark_for = 'ts');
CREATE TABLE out () WITH (connector = 'postgres', url = '{os.environ['WEIR_PG_URL']}',
                          table = '{via_sql}');
INSERT INTO out SELECT window_start, window_end, "user", count(*) AS n
FROM TUMBLE(ev, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end, "user";
"""
        err = api.call("POST", "/api/v1/jobs", 400, body=sql.replace("count(*) AS n", "median(ts) AS n"),
                       ctype="text/plain", params={"file": "bad.sql"}).json()["error"]
        assert err["file"] == "bad.sql" and err["line"] == 7 and err["column"] is not None \
            and "median" in err["message"], err

        # Submitted over HTTP, in YAML and in SQL: listed, shown, refused
        # twice, cancelled.
        assert api.call("POST", "/api/v1/jobs", 201, body=http_spec, ctype="application/yaml",
                        params={"file": "http.yaml"}).json() == {"id": via_http}
        assert api.call("POST", "/api/v1/jobs", 201, body=sql, ctype="text/plain").json() == {"id": via_sql}
        err = api.call("POST", "/api/v1/jobs", 409, body=http_spec, ctype="application/yaml").json()
        assert err == {"error": {"message": f"job '{via_http}' is already running"}}, err
        assert sorted(j["id"] for j in api.get("/api/v1/jobs")["jobs"]) == sorted([topic, via_http, via_sql])
        shown = api.get("/api/v1/jobs/{id}", f"/api/v1/jobs/{via_http}")
        assert shown["spec"] == http_spec and shown["partition_count"] == PARTITIONS, shown
        assert api.get("/api/v1/jobs/{id}", f"/api/v1/jobs/{via_sql}")["spec"] == sql
        for name in (via_http, via_sql):
            resp = api.call("DELETE", "/api/v1/jobs/{id}", 200, path=f"/api/v1/jobs/{name}")
            assert resp.json() == {"id": name, "cancelled": True}, resp.text
            err = api.call("DELETE", "/api/v1/jobs/{id}", 404, path=f"/api/v1/jobs/{name}").json()
            assert err == {"error": {"message": f"no job '{name}'"}}, err
            api.get("/api/v1/jobs/{id}", f"/api/v1/jobs/{name}", status=404)
            api.get("/api/v1/jobs/{id}/checkpoints", f"/api/v1/jobs/{name}/checkpoints", status=404)
        assert [j["id"] for j in api.get("/api/v1/jobs")["jobs"]] == [topic]
        cancels = [e for e in api.get("/api/v1/events")["events"] if e["kind"] == "cancel"]
        assert sorted(e["job"] for e in cancels) == sorted([via_http, via_sql]), cancels

        # Other answers of the reads, by hand.
        for limit in ("0", "1001", "abc", ""):
            api.get("/api/v1/events", params={"limit": limit}, status=400)
        resp = requests.get(cluster.http_url + "/api/v1/no_such_thing", timeout=30)
        assert resp.status_code == 404 and resp.json() == {"error": {"message":
            "no such resource: GET /api/v1/no_such_thing"}}, resp.text
        # The id route does not swallow the checkpoints route, nor the reverse.
        assert "spec" in api.get("/api/v1/jobs/{id}", job_path)
        assert "spec" not in api.get("/api/v1/jobs/{id}/checkpoints", job_path + "/checkpoints")

        # Drains: no such worker, the last one while a job runs, then one of two.
        err = api.call("POST", "/api/v1/workers/{name}/drain", 404,
                       path="/api/v1/workers/nobody/drain", body="").json()
        assert err == {"error": {"message": "no worker 'nobody'"}}, err
        err = api.call("POST", "/api/v1/workers/{name}/drain", 409,
                       path="/api/v1/workers/wa/drain", body="").json()
        assert "last one not draining" in err["error"]["message"], err
        cluster.worker("wb")
        h.wait_until(lambda: sorted(w["name"] for w in api.get("/api/v1/workers")["workers"])
                     == ["wa", "wb"], 20, "wb to join")
        resp = api.call("POST", "/api/v1/workers/{name}/drain", 202,
                        path="/api/v1/workers/wb/drain", body="")
        assert resp.json() == {"worker": "wb", "draining": True}, resp.text
        h.wait_until(lambda: [w["name"] for w in api.get("/api/v1/workers")["workers"]] == ["wa"],
                     30, "wb to drain and leave")
        kinds = [e["kind"] for e in api.get("/api/v1/events")["events"]]
        assert "drain" in kinds and "drained" in kinds, kinds
        h.wait_until(lambda: all(p["owner"] == "wa" and p["reported"] for p in
                                 api.get("/api/v1/jobs/{id}", job_path)["partitions"]),
                     30, "wa to own every partition again")

        # Last, fuzz what may cancel and drain: nothing here needs the cluster after.
        fuzz_mutations = schemathesis_run(cluster.http_url, token, workdir,
                                          "--include-operation-id", "cancelJob",
                                          "--include-operation-id", "drainWorker",
                                          "--include-operation-id", "listJobs",
                                          "--include-operation-id", "listWorkers", examples=20)
        assert cluster.procs["coordinator"].poll() is None, "the coordinator died"
        hostile_input(api, cluster, http_spec)

    # --http-guard-reads: reads need the token too, the dashboard never.
    with h.Cluster("api-schema-guard") as guarded:
        guarded.coordinator("--http-guard-reads", http=True)
        api = Api(guarded.http_url, token)
        for template in ("/api/v1/jobs", "/api/v1/workers", "/api/v1/events", "/metrics"):
            resp = api.call("GET", template, 401, token="0" * 64)
            assert resp.headers.get("WWW-Authenticate") == 'Bearer realm="weir"', resp.headers
            resp = requests.get(guarded.http_url + template, timeout=30)
            assert resp.status_code == 401, (template, resp.status_code)
        api.call("GET", "/api/v1/jobs/{id}", 401, path="/api/v1/jobs/x", token="0" * 64)
        assert api.get("/api/v1/jobs") == {"jobs": []}
        assert api.get("/api/v1/workers") == {"workers": []}
        api.get("/metrics", media="text/plain")
        api.get("/api/v1/jobs/{id}", "/api/v1/jobs/x", status=404)
        resp = requests.get(guarded.http_url + "/", timeout=30)
        assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")

    shutil.rmtree(workdir)
    shutil.rmtree(ckpt)
    for t in (topic, *(name + ".dlq" for name in (topic, via_http, via_sql))):  # dead letters
        h.delete_topic(t)
    h.drop_tables(*(t + s for t in (topic, via_http, via_sql) for s in ("", "__partials", "__progress")))
    print(f"ok: docs/api.yaml holds for every operation; schemathesis on reads and submits: "
          f"{fuzz_reads}; on cancels and drains: {fuzz_mutations}; 401, 400 with file/line/field, "
          f"201, 409, cancel, 404 and drain 202/404/409 by hand")


if __name__ == "__main__":
    main()
