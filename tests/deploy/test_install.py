"""Deployment files against the code they describe.

- deploy/install.sh, staged into a temporary DESTDIR, lays out the binary, the
  units, /etc/weir and /var/lib/weir with the right modes, keeps edited env
  files on a second run and follows --prefix; deploy/gen-secret.sh writes a
  0600 secret and never replaces one.
- `systemd-analyze verify` accepts both units (skipped, saying why, when
  systemd-analyze is missing).
- The reference cannot drift from the binary: every WEIR_* variable named in
  deploy/systemd/*.env.example is one the subcommand accepts (the Env: names of
  `weir [SUBCOMMAND] --help`, or a getenv of the sources), every variable the
  subcommand accepts is documented there, every other variable feeds the
  unit's command line; and the "Configuration reference" table of
  docs/operations.md lists exactly the options of `weir SUBCOMMAND --help`
  with their variables.
- shellcheck (when installed) finds nothing in the two scripts.
"""
import filecmp
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WEIR = os.environ.get("WEIR_BIN", os.path.join(REPO, "build", "weir"))
SYSTEMD = os.path.join(REPO, "deploy", "systemd")
INSTALL = os.path.join(REPO, "deploy", "install.sh")
GEN_SECRET = os.path.join(REPO, "deploy", "gen-secret.sh")
# (unit file, env example, subcommand it runs)
UNITS = [("weir-coordinator.service", "coordinator.env.example", "coordinator"),
         ("weir-worker@.service", "worker.env.example", "worker")]

failures = []


def check(ok, message):
    if not ok:
        failures.append(message)
        print("FAIL:", message)
    return ok


def run(*cmd, env=None, ok=True):
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if ok and res.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout}{res.stderr}")
    return res


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ------------------------------------------------------------ the binary --

def parse_help(text):
    """Options of one `--help` page: {--option: env name or None}, and the
    subcommands it lists."""
    options, subcommands, section = {}, [], None
    for line in text.splitlines():
        if re.match(r"^\S.*:$", line):
            section = line[:-1]
            continue
        if section == "Options":
            m = re.match(r"^\s+(?:-\w,)?(--[A-Za-z0-9][\w-]*)(.*)$", line)
            if m and m.group(1) != "--help":
                env = re.search(r"\(Env:(\w+)\)", m.group(2))
                options[m.group(1)] = env.group(1) if env else None
        elif section == "Subcommands":
            m = re.match(r"^\s+([a-z][\w-]*)\s", line)
            if m:
                subcommands.append(m.group(1))
    return options, subcommands


def binary_options():
    """{"": global options, subcommand: its options}, from the binary's help."""
    top, subcommands = parse_help(run(WEIR, "--help").stdout)
    check(subcommands, f"{WEIR} --help lists no subcommands")
    opts = {"": top}
    for sub in subcommands:
        opts[sub] = parse_help(run(WEIR, sub, "--help").stdout)[0]
    return opts


def process_env_names():
    """WEIR_* names the sources read with getenv rather than as an option's
    variable (those are per subcommand and come from --help)."""
    names = set()
    for top in ("base", "lib", "jobs", "sinks", "runtime", "actors", "app"):
        for root, _, files in os.walk(os.path.join(REPO, top)):
            if "tests" in os.path.relpath(root, REPO).split(os.sep):
                continue  # a room's own tests read the services' variables
            for f in files:
                if not f.endswith((".cpp", ".hpp")) or f.endswith("_test.cpp"):
                    continue
                for line in open(os.path.join(root, f), encoding="utf-8"):
                    if "envname" not in line:
                        names.update(re.findall(r'"(WEIR_[A-Z0-9_]+)"', line))
    return names


# --------------------------------------------------------- install & secret --

def test_install(tmp):
    secret = os.path.join(tmp, "cluster.secret")
    run(GEN_SECRET, secret)
    text = open(secret).read()
    check(re.fullmatch(r"[0-9a-f]{64}\n", text), f"gen-secret wrote {text!r}, not 64 hex digits")
    check(mode(secret) == 0o600, f"gen-secret: mode {oct(mode(secret))}, not 0600")
    again = run(GEN_SECRET, secret, ok=False)
    check(again.returncode != 0 and open(secret).read() == text,
          "gen-secret replaced an existing secret")
    other = os.path.join(tmp, "other.secret")
    run(GEN_SECRET, other)
    check(open(other).read() != text, "gen-secret wrote the same secret twice")

    root = os.path.join(tmp, "root")
    env = dict(os.environ, DESTDIR=root)
    res = run(INSTALL, "--binary", WEIR, "--secret", secret, env=env)
    print(res.stderr, end="")
    check("systemctl not run" in res.stderr, "install.sh with DESTDIR did not skip systemctl")

    def p(rel):
        return os.path.join(root, rel.lstrip("/"))

    want = {  # path: mode
        "/usr/local/bin/weir": 0o755,
        "/etc/systemd/system/weir-coordinator.service": 0o644,
        "/etc/systemd/system/weir-worker@.service": 0o644,
        "/etc/weir": 0o750,
        "/etc/weir/coordinator.env": 0o640,
        "/etc/weir/worker.env": 0o640,
        "/etc/weir/coordinator.env.example": 0o644,
        "/etc/weir/worker.env.example": 0o644,
        "/etc/weir/secret": 0o600,
        "/var/lib/weir": 0o750,
    }
    for rel, m in want.items():
        if check(os.path.exists(p(rel)), f"install.sh did not create {rel}"):
            check(mode(p(rel)) == m, f"{rel}: mode {oct(mode(p(rel)))}, want {oct(m)}")
    check(filecmp.cmp(WEIR, p("/usr/local/bin/weir"), shallow=False), "installed binary differs")
    run(p("/usr/local/bin/weir"), "--help")
    check(open(p("/etc/weir/secret")).read() == text, "installed secret differs")
    for unit, example, _ in UNITS:
        name = example[:-len(".example")]
        check(filecmp.cmp(os.path.join(SYSTEMD, example), p(f"/etc/weir/{name}"), shallow=False),
              f"/etc/weir/{name} is not a copy of {example}")
        check(filecmp.cmp(os.path.join(SYSTEMD, unit), p(f"/etc/systemd/system/{unit}"),
                          shallow=False),
              f"{unit} changed on install with the default prefix")
    leftovers = [f for d, _, fs in os.walk(root) for f in fs if f.startswith(".")]
    check(not leftovers, f"install.sh left temporary files: {leftovers}")

    # Second run, other prefix: edited env files and the secret stay, units follow.
    with open(p("/etc/weir/worker.env"), "a") as f:
        f.write("WEIR_LOG_LEVEL=debug\n")
    edited = open(p("/etc/weir/worker.env")).read()
    run(INSTALL, "--binary", WEIR, "--destdir", root, "--prefix", "/opt/weir", env=os.environ)
    check(open(p("/etc/weir/worker.env")).read() == edited, "install.sh overwrote worker.env")
    check(open(p("/etc/weir/secret")).read() == text, "install.sh without --secret touched it")
    check(os.access(p("/opt/weir/bin/weir"), os.X_OK), "--prefix /opt/weir: no /opt/weir/bin/weir")
    for unit, _, sub in UNITS:
        execs = [l for l in open(p(f"/etc/systemd/system/{unit}")) if l.startswith("ExecStart=")]
        check(len(execs) == 1 and execs[0].startswith(f"ExecStart=/opt/weir/bin/weir {sub} "),
              f"--prefix /opt/weir: {unit} has {execs}")

    bad = run(INSTALL, "--binary", os.path.join(tmp, "nope"), "--destdir",
              os.path.join(tmp, "bad"), ok=False)
    check(bad.returncode != 0 and not os.path.exists(os.path.join(tmp, "bad", "etc")),
          "install.sh accepted a missing binary")
    return root


# ------------------------------------------------------------ the units ---

def unit_settings(path):
    settings = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            k, v = line.split("=", 1)
            settings.setdefault(k, []).append(v)
    return settings


# Families of variables: a getenv of a name built from a prefix, with the
# subcommands that read it. One member documents a family (#WEIR_SECRET_X=).
FAMILIES = {"WEIR_SECRET_": {"worker"}}


def test_units(opts, process_env):
    families = {n for n in process_env if n.endswith("_")}
    for f in sorted(families - set(FAMILIES)):
        check(False, f"the sources read the variable family {f}*, unknown to this test (FAMILIES)")
    process_env = process_env - families
    for unit, example, sub in UNITS:
        s = unit_settings(os.path.join(SYSTEMD, unit))
        one = {k: v[-1] for k, v in s.items()}
        for key, value in [("User", "weir"), ("Restart", "on-failure"), ("KillSignal", "SIGTERM"),
                           ("KillMode", "mixed"), ("NoNewPrivileges", "yes"),
                           ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                           ("PrivateTmp", "yes"), ("StateDirectory", "weir")]:
            check(one.get(key) == value, f"{unit}: {key}={one.get(key)}, want {value}")
        check("LimitNOFILE" in one, f"{unit}: no LimitNOFILE")
        check(f"/etc/weir/{sub}.env" in s.get("EnvironmentFile", []),
              f"{unit}: EnvironmentFile is not /etc/weir/{sub}.env")
        check("0" not in one.get("RestartPreventExitStatus", "").split(),
              f"{unit}: a clean exit must simply not restart")

        words = one.get("ExecStart", "").split()
        check(words[:2] == ["/usr/local/bin/weir", sub], f"{unit}: ExecStart is {words}")
        for w in words[2:]:
            if w.startswith("--"):
                check(w in opts.get(sub, {}), f"{unit}: `weir {sub}` has no option {w}")
        exec_vars = set(re.findall(r"\$\{?(\w+)\}?", " ".join(words)))

        # The env example against the binary.
        text = open(os.path.join(SYSTEMD, example)).read()
        accepted = {e for e in list(opts[""].values()) + list(opts[sub].values()) if e}
        accepted |= process_env
        named = set(re.findall(r"\b(WEIR_[A-Z0-9_]+)", text))
        mine = [f for f in families if sub in FAMILIES.get(f, ())]
        for var in sorted(named - accepted):
            if not any(var.startswith(f) for f in mine):
                check(False, f"{example} names {var}, which `weir {sub}` does not read")
        documented = set(re.findall(r"^#?(\w+)=", text, re.M))
        for f in mine:
            check(any(d.startswith(f) and d != f and d not in accepted for d in documented),
                  f"`weir {sub}` reads {f}*, not documented in {example} (as #{f}NAME=)")
        documented = {d for d in documented
                      if d in accepted or not any(d.startswith(f) for f in mine)}
        for var in sorted(accepted - documented):
            check(False, f"`weir {sub}` reads {var}, not documented in {example} (as VAR= or #VAR=)")
        for var in sorted(documented - accepted):
            if not var.startswith("WEIR_") and not var.startswith("PG"):
                check(var in exec_vars, f"{example}: {var} is neither weir's nor used by {unit}")
        for var in sorted(exec_vars - documented):
            check(False, f"{unit} uses ${var}, not documented in {example}")
        live = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
        state = live.get("WEIR_COORDINATOR_STATE", "")
        if state.startswith("file://"):
            check(state.startswith("file:///var/lib/" + one.get("StateDirectory", "?") + "/"),
                  f"{example}: {state} is outside the unit's StateDirectory")


def test_systemd_analyze(root):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        print("SKIP systemd-analyze verify: systemd-analyze is not installed")
        return
    # verify checks that ExecStart's binary exists: point the units at the
    # staged one (a copy, the installed files stay as they are).
    units = tempfile.mkdtemp(prefix="weir-units-")
    try:
        staged = os.path.join(root, "usr", "local", "bin", "weir")
        for unit, _, _ in UNITS:
            # The sources: the staged units point at /opt/weir since the second run.
            text = open(os.path.join(SYSTEMD, unit)).read()
            with open(os.path.join(units, unit), "w") as f:
                f.write(text.replace("ExecStart=/usr/local/bin/weir ", f"ExecStart={staged} "))
        # A template is only checked fully through an instance.
        for name in ["weir-coordinator.service", "weir-worker@w1.service"]:
            res = run(analyze, "verify", "--man=no", os.path.join(units, name), ok=False)
            out = (res.stdout + res.stderr).strip()
            ours = [l for l in out.splitlines() if "weir" in l]
            if check(res.returncode == 0 and not ours,
                     f"systemd-analyze verify {name}: rc {res.returncode}\n{out}"):
                print(f"systemd-analyze verify {name}: ok")
    finally:
        shutil.rmtree(units)


# ------------------------------------------------------------- the docs ---

def test_reference_table(opts):
    text = open(os.path.join(REPO, "docs", "operations.md")).read()
    m = re.search(r"^## Configuration reference\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not check(m, "docs/operations.md has no '## Configuration reference' section"):
        return
    rows = {}
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[1].startswith("`--"):
            continue
        option = cells[1].strip("`").split()[0]
        env = cells[2].strip("`")
        env = None if env in ("", "—", "-") else env
        for sub in (s.strip() for s in cells[0].split(",")):
            key = "" if sub == "all" else sub
            check((key, option) not in rows, f"reference table: {sub} {option} listed twice")
            rows[(key, option)] = env
    for sub, options in opts.items():
        for option, env in options.items():
            label = sub or "weir"
            if check((sub, option) in rows, f"reference table lacks `{label} {option}`"):
                check(rows[(sub, option)] == env,
                      f"reference table: `{label} {option}` variable {rows[(sub, option)]},"
                      f" the binary says {env}")
    for (sub, option) in rows:
        check(option in opts.get(sub, {}),
              f"reference table lists `{sub or 'weir'} {option}`, which the binary does not have")


def test_shellcheck():
    sc = shutil.which("shellcheck")
    if not sc:
        print("SKIP shellcheck: not installed")
        return
    res = run(sc, INSTALL, GEN_SECRET, ok=False)
    check(res.returncode == 0, f"shellcheck:\n{res.stdout}{res.stderr}")


def main():
    if not os.access(WEIR, os.X_OK):
        sys.exit(f"no weir binary at {WEIR} (set WEIR_BIN)")
    opts = binary_options()
    tmp = tempfile.mkdtemp(prefix="weir-install-")
    try:
        root = test_install(tmp)
        test_units(opts, process_env_names())
        test_systemd_analyze(root)
        test_reference_table(opts)
        test_shellcheck()
    finally:
        shutil.rmtree(tmp)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("ok")


if __name__ == "__main__":
    main()
