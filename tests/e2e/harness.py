"""Shared plumbing for weir's end-to-end tests.

Tests run against the real services of deploy/services.sh (Kafka, PostgreSQL,
MinIO on loopback) and check results with tools weir did not write: kcat to
produce, Kafka's own admin tool for topics, psql to read results. Expected
values are computed here, in Python, from the same events.
"""
import decimal
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN_DIR = os.environ.get("WEIR_RUN_DIR", os.path.join(REPO, ".run"))
WEIR = os.environ.get("WEIR_BIN", os.path.join(REPO, "build", "weir"))


def load_env():
    """Exports the services' addresses written by deploy/services.sh up."""
    path = os.path.join(RUN_DIR, "env.sh")
    if not os.path.exists(path):
        sys.exit(f"{path} missing: run deploy/services.sh up first")
    for line in open(path):
        line = line.strip()
        if line.startswith("export ") and "=" in line:
            key, value = line[len("export "):].split("=", 1)
            os.environ[key] = shlex.split(value)[0] if value else ""


_ports_given = set()


def free_port():
    """A port free now and not handed out before by this process: two ports
    asked for before either is bound (a cluster's and its HTTP port) must
    differ, and the kernel may offer the same one twice."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port


# The body of the simplest windowed job: events per user per minute.
EVENTS_PER_USER_MINUTE = """
key: user
window:
  type: tumbling
  size: 1m
aggregations:
  - fn: count
    as: events
"""


def job_spec(name, topic, body, table=None, time="field: ts\n    format: epoch_ms",
             extra="", store="postgres", partials=False):
    """A job spec reading `topic` into table `table` (default: name) of `store`
    (postgres, clickhouse or mysql). `body` holds key, window and
    aggregations; `time` the event_time block. `partials`: keys across
    partitions into clickhouse or mysql, their partials in WEIR_PG_URL."""
    url = {"postgres": "WEIR_PG_URL", "clickhouse": "WEIR_CLICKHOUSE_URL",
           "mysql": "WEIR_MYSQL_URL"}[store]
    partials_url = f"  partials_url: {os.environ['WEIR_PG_URL']}\n" if partials else ""
    return f"""name: {name}
source:
  type: kafka
  brokers: {os.environ['WEIR_KAFKA_BROKERS']}
  topic: {topic}
  event_time:
    {time}
{body.strip()}
sink:
  type: {store}
  url: {os.environ[url]}
  table: {table or name}
{partials_url}{extra}"""


# Every shipped spec comes in both front ends; a test that runs one runs both,
# the SQL twin's tables and job named with this after the test's prefix.
LANGUAGES = (("yaml", ""), ("sql", "sql_"))


def submit_twins(cluster, specs, names, prefix):
    """Submits jobs/specs/<name>.yaml and .sql for each name, the YAML one with
    table and job prefix `prefix`, the SQL one with prefix + "sql_"."""
    for lang, extra in LANGUAGES:
        os.environ.update(WEIR_TABLE_PREFIX=prefix + extra, WEIR_JOB_PREFIX=prefix + extra)
        for name in names:
            res = cluster.weir("submit", os.path.join(specs, f"{name}.{lang}"), check=True)
            assert res.stdout.strip() == prefix + extra + name, res.stdout
    os.environ.update(WEIR_TABLE_PREFIX=prefix, WEIR_JOB_PREFIX=prefix)


def assert_twin_rows(yaml_rows, sql_rows, table):
    """The SQL twin wrote exactly the YAML job's rows (same values to the bit)."""
    missing = sorted(set(yaml_rows) - set(sql_rows))[:5]
    extra = sorted(set(sql_rows) - set(yaml_rows))[:5]
    differ = [k for k in sorted(yaml_rows) if k in sql_rows and sql_rows[k] != yaml_rows[k]][:5]
    assert not (missing or extra or differ), \
        f"{table}: SQL twin differs from YAML: missing {missing}, extra {extra}, " \
        f"different {[(k, yaml_rows[k], sql_rows[k]) for k in differ]}"


def use_cluster_secret():
    """A fresh cluster secret (mode 0600) that every process started from now
    on, and every client command, proves (WEIR_SECRET_FILE)."""
    path = os.path.join(tempfile.mkdtemp(), "secret")
    with open(path, "w") as f:
        f.write(secrets.token_hex(32))
    os.chmod(path, 0o600)
    os.environ["WEIR_SECRET_FILE"] = path
    return path


def write_spec(text, name="job.yaml"):
    path = os.path.join(tempfile.mkdtemp(), name)
    with open(path, "w") as f:
        f.write(text)
    return path


def unique(prefix):
    return f"{prefix}_{os.getpid()}_{int(time.time() * 1000) % 10**8}"


class Cluster:
    """A coordinator and workers as separate OS processes; killed on exit."""

    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix=f"weir-{name}-")
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.procs = {}

    def start(self, role, *args, name=None, env=None):
        """env: variables added to this process's environment only (e.g.
        WEIR_FAILPOINT)."""
        name = name or role
        log = open(os.path.join(self.dir, f"{name}.log"), "w")
        proc = subprocess.Popen([WEIR, role, *args], stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **env} if env else None)
        self.procs[name] = proc
        return proc

    def coordinator(self, *args, http=False):
        """With http, the coordinator also serves its REST API, /metrics and
        dashboard at self.http_url."""
        if http:
            self.http_port = free_port()
            self.http_url = f"http://127.0.0.1:{self.http_port}"
            args = (*args, "--http", f"127.0.0.1:{self.http_port}")
        self.start("coordinator", "--listen", self.address, *args)
        wait_until(lambda: self.weir("status").returncode == 0, 20, "coordinator to answer")

    def worker(self, name, *args):
        return self.start("worker", "--coordinator", self.address, "--name", name, *args,
                          name=name)

    def up(self, *workers, http=False, worker_args=()):
        """A coordinator and the named workers, all registered."""
        self.coordinator(http=http)
        for w in workers:
            self.worker(w, *worker_args)
        wait_until(lambda: self.weir("status").stdout.count("host=") == len(workers), 20,
                   f"{len(workers)} workers to register")

    def api(self, path):
        """The JSON body of GET path on the coordinator's HTTP port (http=True)."""
        with urllib.request.urlopen(self.http_url + path, timeout=10) as r:
            return json.load(r)

    def weir(self, *args, check=False):
        return run([WEIR, *args, "--coordinator", self.address], check=check)

    def kill(self, name, sig=signal.SIGKILL):
        self.procs[name].send_signal(sig)
        self.procs[name].wait(10)

    def close(self):
        stop_processes(self.procs, lambda name: os.path.join(self.dir, f"{name}.stacks"))

    def logs(self):
        out = []
        for name in self.procs:
            with open(os.path.join(self.dir, f"{name}.log")) as f:
                out.append(f"--- {name} ---\n" + "".join(f.readlines()[-40:]))
        return "\n".join(out)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            print(self.logs(), file=sys.stderr)
        self.close()


def run(cmd, check=True, input=None):
    res = subprocess.run(cmd, capture_output=True, text=True, input=input)
    if check and res.returncode != 0:
        raise AssertionError(f"{cmd} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res


def wait_until(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def dump_stacks(pid, path):
    """Writes every thread's stack of a live process (gdb) to path: what a
    hung weir process was waiting for, kept with the test's logs."""
    try:
        out = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                             capture_output=True, text=True, timeout=60)
        text = out.stdout + out.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        text = f"gdb failed: {e}\n"
    with open(path, "w") as f:
        f.write(text)
    print(f"stacks of pid {pid} in {path}", file=sys.stderr)


def stop_processes(procs, stacks_path):
    """SIGTERM to every live process of {name: Popen}, SIGKILL to those still
    running 10 s later, whose stacks go to stacks_path(name) first. Returns
    the names of those that did not stop by themselves."""
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
    hung = []
    for name, proc in procs.items():
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop within 10 s of SIGTERM", file=sys.stderr)
            dump_stacks(proc.pid, stacks_path(name))
            hung.append(name)
            proc.kill()
            proc.wait()
    return hung


# -- Kafka (Kafka's own admin tool, kcat) ---------------------------------------

def create_topic(topic, partitions):
    run([os.path.join(REPO, "deploy", "kafka-topic.sh"), "create", topic, str(partitions)])


def delete_topic(topic):
    run([os.path.join(REPO, "deploy", "kafka-topic.sh"), "delete", topic], check=False)


def produce(topic, partition, messages):
    """messages: iterable of (key, value) strings without tabs or newlines."""
    data = "".join(f"{k}\t{v}\n" for k, v in messages)
    run(["kcat", "-P", "-b", os.environ["WEIR_KAFKA_BROKERS"], "-t", topic,
         "-p", str(partition), "-K", "\t", "-z", "lz4"], input=data)


# -- Iceberg (pyiceberg) --------------------------------------------------------

def iceberg_catalog():
    """pyiceberg's SqlCatalog on the PostgreSQL weir's lake tables are in."""
    from pyiceberg.catalog.sql import SqlCatalog  # only the lake tests need it
    url = os.environ["WEIR_PG_URL"].replace("postgresql://", "postgresql+psycopg2://", 1)
    return SqlCatalog("weir", uri=url, **{
        "s3.endpoint": os.environ["WEIR_S3_ENDPOINT"], "s3.region": "us-east-1",
        "s3.access-key-id": os.environ["WEIR_S3_ACCESS_KEY"],
        "s3.secret-access-key": os.environ["WEIR_S3_SECRET_KEY"]})


# -- PostgreSQL (psql) -----------------------------------------------------------

def psql(sql):
    res = run(["psql", os.environ["WEIR_PG_URL"], "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t",
               "-c", sql])
    return [line.split("\t") for line in res.stdout.splitlines() if line]


class PsqlSession:
    """One psql for many small queries, as a bench polls: a psql (and a
    server backend) started per query cost a fifth of the machine at ten
    polls a second, taken from the job being measured."""
    END = "--weir-end--"

    def __init__(self):
        self.p = subprocess.Popen(["psql", os.environ["WEIR_PG_URL"], "-X", "-At", "-q", "-F", "\t"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  bufsize=1)

    def rows(self, sql):
        self.p.stdin.write(f"{sql};\n\\echo {self.END}\n")
        self.p.stdin.flush()
        out = []
        while (line := self.p.stdout.readline().rstrip("\n")) != self.END:
            assert line or self.p.poll() is None, f"psql ended: {sql}"
            out.append(line.split("\t"))
        return out

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def drop_tables(*tables):
    psql("; ".join(f'DROP TABLE IF EXISTS "{t}"' for t in tables))


def table_rows(table, key, columns):
    """{(window_start_ms, key tuple): {column: value}} from a weir result table."""
    cols = ", ".join(f'"{c}"' for c in key + columns)
    rows = psql(f"""SELECT (extract(epoch FROM window_start) * 1000)::bigint, {cols}
                    FROM "{table}" """)
    out = {}
    for r in rows:
        k = tuple(r[1:1 + len(key)])
        vals = {}
        for c, v in zip(columns, r[1 + len(key):]):
            vals[c] = None if v == "" else decimal.Decimal(v)  # exact for numeric columns
        out[(int(r[0]), k)] = vals
    return out


def clickhouse(query):
    """clickhouse-client's TSV rows, in database weir."""
    out = subprocess.run(["clickhouse-client", "--port", os.environ["WEIR_CLICKHOUSE_TCP_PORT"],
                          "-d", "weir", "-q", query], capture_output=True, text=True, check=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def clickhouse_rows(table, key, columns, final=True):
    """{(window_start_ms, key tuple): {column: value}} as a reader of a weir
    ClickHouse table sees them: with FINAL, each (window, key) once."""
    got = {}
    for r in clickhouse(f"SELECT toUInt32(window_start) * 1000, {', '.join(key + columns)} "
                        f"FROM {table} {'FINAL' if final else ''} FORMAT TSV"):
        k = (int(r[0]), tuple(r[1:1 + len(key)]))
        assert k not in got, f"{table}: {k} twice under FINAL"
        got[k] = {c: None if v == "\\N" else decimal.Decimal(v)  # exact for Decimal columns
                  for c, v in zip(columns, r[1 + len(key):])}
    return got


def clickhouse_at_offsets(table, ends):
    """Whether <table>__progress shows every partition at least at ends[p]."""
    if clickhouse(f"EXISTS TABLE {table}__progress")[0][0] != "1":
        return False
    have = {int(p): int(o) for p, o in clickhouse(
        f"SELECT source_partition, next_offset FROM {table}__progress FINAL FORMAT TSV")}
    return all(have.get(p, -1) >= o for p, o in ends.items())


def mariadb(sql, *options):
    """The mariadb client's tab-separated rows, in UTC, as user and database
    of WEIR_MYSQL_URL (mysql://user@host:port/db)."""
    user, rest = os.environ["WEIR_MYSQL_URL"][len("mysql://"):].split("@", 1)
    hostport, db = rest.split("/", 1)
    host, port = hostport.split(":")
    out = subprocess.run(["mariadb", "--no-defaults", *options, "-N", "-B", "-h", host, "-P", port,
                          "-u", user, db, "-e", "SET time_zone = '+00:00'; " + sql],
                         capture_output=True, text=True, check=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def restart_service(name):
    """deploy/services.sh down NAME, a 2 s pause, up NAME."""
    run([os.path.join(REPO, "deploy", "services.sh"), "down", name])
    time.sleep(2)
    run([os.path.join(REPO, "deploy", "services.sh"), "up", name])


def end_offsets(events):
    """{partition: next offset after its last event} of read_topic's events."""
    ends = {}
    for p, o, _ in events:
        ends[p] = max(ends.get(p, 0), o + 1)
    return ends


def materialized(table):
    """The watermark up to which a weir result table is complete (None before any)."""
    rows = psql(f"""SELECT watermark FROM "{table}__progress" WHERE source_partition = -1""") \
        if psql(f"SELECT to_regclass('\"{table}__progress\"') IS NOT NULL")[0][0] == "t" else []
    return int(rows[0][0]) if rows and rows[0][0] else None
