"""weir across hosts: the services, the coordinator, three workers and a client
each on a host of its own (a network namespace with its own address on a
private bridge, tests/multihost/netns.sh). Start with one worker, scale to
three, drain to two, cut one worker's link while the job runs (its partitions
move to the other worker), restore it. The results must equal the independent
reference computed from the events read back with kcat. With a cluster secret,
a client without it can neither submit a job nor join as a worker, and the
coordinator logs the refusal.

With --tls (CTest fault.multihost_tls) the cluster links are encrypted by
Debian's stunnel4 with mutual TLS, the recipe of docs/operations.md
("Encrypted cluster links"): the coordinator listens on its host's loopback
only, stunnel on its address takes TLS from hosts whose certificate the
test's own CA signed, and every other host reaches the coordinator through
a local stunnel client. The same scenario must pass; the coordinator's
plain port is not reachable from another host, and a TLS client without a
certificate is refused.

The services are a second, private set of deploy/services.sh running inside
the services host (WEIR_SERVICES_HOST, WEIR_RUN_DIR); the usual set on
127.0.0.1 is not touched. Needs root (network namespaces); skipped otherwise.
"""
import ctypes
import os
import secrets
import signal
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "fault"))
import harness as h  # noqa: E402
import reference as ref  # noqa: E402

import bets_job  # noqa: E402

NETNS = os.path.join(HERE, "netns.sh")
SERVICES = os.path.join(h.REPO, "deploy", "services.sh")
PARTITIONS = 6
RATE = 4_000
SECONDS = 40
COORD_PORT = 17000
TLS_PORT = 17443
TLS = "--tls" in sys.argv[1:]
# host -> last octet of its address on the test network
HOSTS = {"svc": 2, "coord": 3, "w1": 11, "w2": 12, "w3": 13, "client": 20}
SKIP = 77  # CTest's SKIP_RETURN_CODE for this test
CLONE_NEWNET = 0x40000000

T0 = time.time()


def say(msg):
    print(f"[{time.time() - T0:6.1f}s] {msg}", flush=True)


def setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return f"({e})\n"


class MultiHost:
    """The hosts, the private services on one of them, the weir processes on
    the others. The test process itself becomes the client host (setns), so
    kcat, psql and the weir clients it runs talk over the test network."""

    def __init__(self):
        pid = os.getpid()
        self.prefix = f"weir-mh{pid}"
        self.net = f"10.231.{16 + pid % 224}"
        self.dir = tempfile.mkdtemp(prefix=f"{self.prefix}-")
        os.chmod(self.dir, 0o755)  # the postgres user must reach its data dir below
        self.svc_run = os.path.join(self.dir, "services")
        self.root_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
        self.procs = {}  # name -> Popen
        self.net_made = self.services_started = False
        # With TLS every host, the coordinator's included, finds it on its own
        # loopback: there, the coordinator itself; elsewhere, a stunnel client.
        self.coord = f"127.0.0.1:{COORD_PORT}" if TLS else f"{self.ip('coord')}:{COORD_PORT}"
        self.secret_file = None
        self.secret_args = []

    def ns(self, host):
        return f"{self.prefix}-{host}"

    def ip(self, host):
        return f"{self.net}.{HOSTS[host]}"

    def log(self, name):
        return os.path.join(self.dir, f"{name}.log")

    # -- network and services --------------------------------------------------

    def network_up(self):
        self.net_made = True
        h.run([NETNS, "up", self.prefix, self.net, *(f"{k}={v}" for k, v in HOSTS.items())])

    def services_env(self):
        env = dict(os.environ, WEIR_RUN_DIR=self.svc_run, WEIR_SERVICES_HOST=self.ip("svc"))
        env.pop("WEIR_SECRET_FILE", None)
        return env

    def services(self, action):
        self.services_started = True
        with open(self.log(f"services-{action}"), "a") as log:
            # The stores this test writes to; ClickHouse and MariaDB stay out.
            res = subprocess.run(["ip", "netns", "exec", self.ns("svc"), SERVICES, action,
                                  "kafka", "postgres", "minio"],
                                 env=self.services_env(), stdout=log, stderr=subprocess.STDOUT)
        if res.returncode != 0:
            raise AssertionError(f"services.sh {action} failed:\n"
                                 + tail(self.log(f"services-{action}")))

    def enter(self, host):
        fd = os.open(f"/run/netns/{self.ns(host)}", os.O_RDONLY)
        try:
            setns(fd)
        finally:
            os.close(fd)

    def use_secret(self):
        """A random cluster secret, if this weir build knows --secret-file."""
        help_text = h.run([h.WEIR, "coordinator", "--help"]).stdout
        if "--secret-file" not in help_text:
            return False
        self.secret_file = os.path.join(self.dir, "cluster.secret")
        fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        self.secret_args = ["--secret-file", self.secret_file]
        return True

    # -- encrypted links (--tls) -----------------------------------------------

    def tls_up(self):
        """A CA, a certificate per host, stunnel's server on the coordinator's
        host and a client on every host that talks to it."""
        d = os.path.join(self.dir, "tls")
        os.makedirs(d)
        ssl = lambda *a: h.run(["openssl", *a])  # noqa: E731
        ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=weir-test-ca",
            "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem")
        peers = ["w1", "w2", "w3", "client"]
        for host in ["coord"] + peers:
            ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={host}",
                "-keyout", f"{d}/{host}.key", "-out", f"{d}/{host}.csr")
            ssl("x509", "-req", "-in", f"{d}/{host}.csr", "-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key",
                "-CAcreateserial", "-days", "2", "-out", f"{d}/{host}.pem")

        def stunnel(host, service):
            conf = os.path.join(d, f"{host}.conf")
            with open(conf, "w") as f:
                f.write(f"foreground = yes\npid =\noutput = {self.log('stunnel-' + host)}\n"
                        f"[weir]\ncert = {d}/{host}.pem\nkey = {d}/{host}.key\n"
                        f"CAfile = {d}/ca.pem\nverifyChain = yes\n{service}")
            proc = subprocess.Popen(["ip", "netns", "exec", self.ns(host), "stunnel4", conf],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            self.procs["stunnel-" + host] = proc
        stunnel("coord", f"requireCert = yes\naccept = {self.ip('coord')}:{TLS_PORT}\n"
                         f"connect = 127.0.0.1:{COORD_PORT}\n")
        for host in peers:
            stunnel(host, f"client = yes\ncheckHost = coord\naccept = 127.0.0.1:{COORD_PORT}\n"
                          f"connect = {self.ip('coord')}:{TLS_PORT}\n")
        time.sleep(1)
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited:\n" + tail(self.log(name)))

    # -- weir processes --------------------------------------------------------

    @staticmethod
    def env():
        env = dict(os.environ)
        env.pop("WEIR_SECRET_FILE", None)  # a secret is only ever given explicitly
        return env

    def start(self, host, name, *args):
        """`weir ARGS` on HOST, output in NAME.log."""
        with open(self.log(name), "w") as log:
            proc = subprocess.Popen(["ip", "netns", "exec", self.ns(host), h.WEIR, *args],
                                    stdout=log, stderr=subprocess.STDOUT, env=self.env())
        self.procs[name] = proc
        return proc

    def coordinator(self):
        self.start("coord", "coordinator", "coordinator", "--listen", self.coord,
                   *self.secret_args)
        h.wait_until(lambda: self.weir("status").returncode == 0, 30, "the coordinator to answer")

    def worker(self, name, host=None, secret=True):
        return self.start(host or name, name, "worker", "--coordinator", self.coord,
                          "--name", name, *(self.secret_args if secret else []))

    def weir(self, *args, secret=True, check=False):
        """A client command from the client host (this process)."""
        cmd = [h.WEIR, *args, "--coordinator", self.coord, *(self.secret_args if secret else [])]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, env=self.env(), timeout=60)
        except subprocess.TimeoutExpired:
            res = subprocess.CompletedProcess(cmd, -1, "", "timed out after 60 s")
        if check and res.returncode != 0:
            raise AssertionError(f"{cmd} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
        return res

    def owners(self):
        out = self.weir("status").stdout
        return {int(l.split()[1]): l.split("->")[1].strip()
                for l in out.splitlines() if l.strip().startswith("partition ")}

    def workers(self):
        out = self.weir("workers").stdout
        return [l.split()[0] for l in out.splitlines() if "host=" in l]

    # -- teardown --------------------------------------------------------------

    def logs(self):
        out = []
        for name in self.procs:
            out.append(f"--- {name} ---\n" + tail(self.log(name)))
        for name in ("kafka", "postgres", "minio"):
            path = os.path.join(self.svc_run, "logs", f"{name}.log")
            if os.path.exists(path):
                out.append(f"--- services: {name} ---\n" + tail(path, 20))
        return "\n".join(out)

    def close(self, keep):
        began = time.time()
        setns(self.root_ns)
        if h.stop_processes(self.procs, lambda name: self.log(f"{name}.stacks")):
            keep = True
        stopped = time.time()
        if self.services_started:
            try:
                self.services("down")
            except AssertionError as e:
                print(e, file=sys.stderr)
        if self.net_made:
            # Also ends whatever still runs on the hosts.
            subprocess.run([NETNS, "down", self.prefix])
        say(f"teardown: weir processes {stopped - began:.1f} s, all {time.time() - began:.1f} s")
        if keep:
            print(f"logs and service data kept in {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# -- checks ------------------------------------------------------------------------

def progress(topic):
    """{partition: updated_at (epoch s)} from the job's progress table."""
    if h.psql(f"SELECT to_regclass('\"{topic}__progress\"') IS NOT NULL")[0][0] != "t":
        return {}
    rows = h.psql(f"""SELECT source_partition, extract(epoch FROM updated_at)
                      FROM "{topic}__progress" WHERE source_partition >= 0""")
    return {int(p): float(t) for p, t in rows}


def pg_clients():
    """Addresses of the hosts with a session open on the PostgreSQL server."""
    return {r[0] for r in h.psql("""SELECT DISTINCT host(client_addr) FROM pg_stat_activity
                                    WHERE client_addr IS NOT NULL""")}


def wait_progress(topic, parts, since, timeout, what):
    """Until every partition of `parts` has committed results after `since`."""
    def done():
        prog = progress(topic)
        return all(p in prog and prog[p] > since for p in parts)
    h.wait_until(done, timeout, what)
    return time.time() - since


def dwell(gen, seconds):
    """Pacing, not correctness: let the cluster run a phase for a while under load
    (checkpoints get taken), unless the generator is already done."""
    deadline = time.time() + seconds
    while time.time() < deadline and gen.poll() is None:
        time.sleep(0.2)


def scenario(mh, topic):
    h.create_topic(topic, PARTITIONS)
    spec = bets_job.spec(topic)
    mh.coordinator()
    say(f"coordinator on {mh.coord}")

    mh.worker("w1")
    h.wait_until(lambda: mh.workers() == ["w1"], 30, "w1 to register")
    mh.weir("submit", spec, check=True)
    with open(mh.log("gen"), "w") as log:
        gen = subprocess.Popen([h.WEIR, "gen", "bets", "--topic", topic, "--rate", str(RATE),
                                "--count", str(RATE * SECONDS), "--step", "2",
                                "--disorder", "1500", "--seed", "11"],
                               stdout=log, stderr=subprocess.STDOUT, env=mh.env())
    mh.procs["gen"] = gen
    started = time.time()
    wait_progress(topic, range(PARTITIONS), started - 3600, 60, "w1 to write results")
    placed = mh.owners()
    assert len(placed) == PARTITIONS and set(placed.values()) == {"w1"}, placed
    say(f"1 worker, results flowing: {placed}")
    dwell(gen, 4)

    # Scale to three: the joined workers take a share and process it.
    mh.worker("w2")
    mh.worker("w3")
    h.wait_until(lambda: sorted(set(mh.owners().values())) == ["w1", "w2", "w3"], 30,
                 "w2 and w3 to receive partitions")
    scaled = time.time()
    placed = mh.owners()
    moved = [p for p, o in placed.items() if o != "w1"]
    took = wait_progress(topic, moved, scaled, 60, "w2 and w3 to write results")
    sinks = {mh.ip(w) for w in ("w1", "w2", "w3")}
    h.wait_until(lambda: sinks <= pg_clients(), 30, "sessions from w1, w2 and w3's hosts")
    # The moved partitions took their old owner's shipped (and signed) state,
    # not a checkpoint.
    shipped = {w: open(mh.log(w)).read() for w in ("w2", "w3")}
    assert any("taken over at offset" in text for text in shipped.values()), \
        "no moved partition took shipped state"
    for w, text in shipped.items():
        assert "refused the state" not in text, f"{w} refused a handoff signed with the secret"
    say(f"scaled 1 -> 3: {placed}; moved partitions committing after {took:.1f} s")
    dwell(gen, 5)

    # Drain w3: it leaves with status 0, its partitions go to w1 and w2.
    res = mh.weir("drain", "w3", check=True)
    assert res.stdout.strip() == "draining w3", res.stdout
    try:
        h.wait_until(lambda: mh.procs["w3"].poll() is not None, 30, "w3 to leave")
    except AssertionError:
        h.dump_stacks(mh.procs["w3"].pid, mh.log("w3.stacks"))
        raise
    assert mh.procs["w3"].returncode == 0, mh.procs["w3"].returncode
    assert "w3" not in mh.workers()
    placed = mh.owners()
    assert sorted(set(placed.values())) == ["w1", "w2"] and len(placed) == PARTITIONS, placed
    say(f"drained w3 (exit 0): {placed}")
    dwell(gen, 4)

    # Cut w2's link: only the failure timeout reveals it; its partitions move to w1.
    held = [p for p, o in placed.items() if o == "w2"]
    cut = time.time()
    h.run([NETNS, "cut", mh.prefix, "w2"])
    h.wait_until(lambda: set(mh.owners().values()) == {"w1"}, 30,
                 "w2's partitions to move to w1")
    detected = time.time() - cut
    took = wait_progress(topic, held, cut, 60, "w1 to commit w2's former partitions")
    assert mh.procs["w2"].poll() is None, "w2 exited while cut off"
    assert "w2" not in mh.workers()
    say(f"cut w2's link: partitions {held} on w1 after {detected:.1f} s, "
        f"committing after {took:.1f} s")
    dwell(gen, 4)  # w1 runs the whole job for a while, w2 still cut off
    h.run([NETNS, "restore", mh.prefix, "w2"])
    restored = time.time()
    try:
        h.wait_until(lambda: "w2" in mh.workers(), 60, "w2 to rejoin")
        say(f"restored w2's link: w2 rejoined after {time.time() - restored:.1f} s: "
            f"{mh.owners()}")
    except AssertionError:
        say(f"restored w2's link: w2 did not rejoin within 60 s (not required): {mh.owners()}")
    placed = mh.owners()
    assert len(placed) == PARTITIONS and set(placed.values()) <= set(mh.workers()), placed
    if gen.poll() is not None:
        say("NOTE: the generator finished before the link came back (a slow machine?)")

    assert gen.wait(timeout=SECONDS * 3) == 0, "the generator failed"
    bets_job.close_windows(topic, PARTITIONS)
    events = ref.read_topic(topic)
    assert len(events) == RATE * SECONDS + PARTITIONS, len(events)
    want = ref.aggregate(events, time_field="timestamp", key=["game_id"], size_ms=10_000,
                         ooo_ms=bets_job.OOO,
                         aggs=[("count", None, "bets"), ("sum", "amount", "total")])
    closed = ref.job_watermark(events, "timestamp", bets_job.OOO)
    h.wait_until(lambda: (h.materialized(topic) or -1) >= closed, 120, "complete results")
    ref.compare(h.table_rows(topic, ["game_id"], ["bets", "total"]), want)
    say(f"ok: {len(want)} rows over {len(events)} events equal the reference")


def security(mh, topic):
    """The checks of the cluster secret; returns the failures."""
    failures = []
    if not mh.secret_args:
        failures.append(f"{h.WEIR} has no --secret-file option: the cluster ran without a "
                        "secret, so nothing can be refused")

    # (a) Submitting without the secret is refused and leaves no job.
    rogue = f"{topic}_rogue"
    spec = bets_job.spec(topic, name=rogue)
    h.run([h.WEIR, "validate", spec])  # whatever goes wrong below is not the spec
    res = mh.weir("submit", spec, secret=False)
    said = (res.stdout + res.stderr).strip()
    if res.returncode == 0:
        failures.append(f"submit without the secret was accepted (exit 0): {said!r}")
    elif "refused" not in said.lower():
        failures.append(f"submit without the secret failed (exit {res.returncode}) without "
                        f"saying it was refused: {said!r}")
    listed = mh.weir("list", check=True).stdout
    if rogue in listed:
        failures.append(f"the job submitted without the secret is listed:\n{listed}")
    say(f"submit without the secret: exit {res.returncode}: {said!r}")

    # (b) A worker without the secret never joins and never gets partitions.
    intruder = mh.worker("intruder", host="client", secret=False)
    deadline = time.time() + 6
    seen = None
    while time.time() < deadline and seen is None:
        status = mh.weir("status", check=True).stdout
        if "intruder" in status:
            seen = status
        time.sleep(0.25)
    if seen is not None:
        failures.append(f"a worker without the secret joined the cluster:\n{seen}")
    state = "still running" if intruder.poll() is None else f"exited {intruder.returncode}"
    say(f"worker without the secret: {'JOINED' if seen else 'not admitted'} ({state}); "
        f"its log: {tail(mh.log('intruder'), 3).strip()!r}")

    # (c) The coordinator says so.
    with open(mh.log("coordinator"), errors="replace") as f:
        refusals = [l.rstrip() for l in f if "refused" in l.lower()]
    if not refusals:
        failures.append("the coordinator's log has no line saying 'refused'")
    else:
        say(f"coordinator log: {refusals[0]!r} ({len(refusals)} such lines)")
    return failures


def tls_checks(mh):
    """From the client host: the coordinator's plain port is on its loopback
    only, and stunnel refuses a TLS client without a certificate."""
    failures = []
    try:
        socket.create_connection((mh.ip("coord"), COORD_PORT), timeout=3).close()
        failures.append(f"the coordinator's plain port {mh.ip('coord')}:{COORD_PORT} is reachable")
    except OSError:
        say(f"the plain port {mh.ip('coord')}:{COORD_PORT} is not reachable from another host")
    tls = os.path.join(mh.dir, "tls")

    def refused(with_cert):
        """Whether stunnel ends a TLS connection from this host (with or without
        its certificate) instead of passing it to the coordinator, which says
        nothing first: a pass-through just goes quiet."""
        ctx = ssl.create_default_context(cafile=os.path.join(tls, "ca.pem"))
        ctx.check_hostname = False
        if with_cert:
            ctx.load_cert_chain(os.path.join(tls, "client.pem"), os.path.join(tls, "client.key"))
        with socket.create_connection((mh.ip("coord"), TLS_PORT), timeout=3) as raw:
            try:
                with ctx.wrap_socket(raw, server_hostname="coord") as conn:
                    return conn.recv(1) == b""  # TLS 1.3: the refusal comes after the handshake
            except TimeoutError:
                return False
            except (ssl.SSLError, ConnectionError):
                return True
    if refused(with_cert=True):
        failures.append("stunnel refused the client host's own certificate")
    elif not refused(with_cert=False):
        failures.append("a TLS client without a certificate was not refused")
    else:
        say("a TLS client without a certificate is refused; with the host's, it is let through")
    return failures


def main():
    if os.geteuid() != 0:
        print("skipped: network namespaces need root", file=sys.stderr)
        sys.exit(SKIP)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _: sys.exit(128 + s))
    subprocess.run([NETNS, "gc"])  # namespaces of earlier runs that were killed

    mh = MultiHost()
    ok = False
    try:
        say(f"hosts {', '.join(f'{k}={mh.ip(k)}' for k in HOSTS)} (namespaces {mh.prefix}-*)")
        mh.network_up()
        mh.services("up")
        h.RUN_DIR = mh.svc_run
        h.load_env()
        os.environ["WEIR_SERVICES_HOST"] = mh.ip("svc")  # for deploy/kafka-topic.sh
        assert os.environ["WEIR_KAFKA_BROKERS"].startswith(mh.ip("svc") + ":")
        say(f"services up on {mh.ip('svc')} (run dir {mh.svc_run})")
        if not mh.use_secret():
            say(f"NOTE: {h.WEIR} has no --secret-file: running without a cluster secret; "
                "the secret checks will fail")
        if TLS:
            mh.tls_up()
            say(f"stunnel: TLS on {mh.ip('coord')}:{TLS_PORT}, clients on every host's "
                f"127.0.0.1:{COORD_PORT}")
        mh.enter("client")

        topic = h.unique("multihost")
        scenario(mh, topic)
        failures = security(mh, topic)
        if TLS:
            failures += tls_checks(mh)
        for f in failures:
            print(f"FAILED (cluster secret): {f}", file=sys.stderr)
        if failures:
            print(mh.logs(), file=sys.stderr)
            sys.exit(1)
        ok = True
        say("ok")
    except BaseException:
        if not isinstance(sys.exc_info()[1], SystemExit):
            print(mh.logs(), file=sys.stderr)
        raise
    finally:
        mh.close(keep=not ok)


if __name__ == "__main__":
    main()
