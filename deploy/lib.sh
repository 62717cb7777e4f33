# shellcheck shell=bash disable=SC2034 # the settings are used by the sourcing scripts
# Common settings and helpers for the deploy/ scripts. Source it, do not run it.
# Every setting can be overridden from the environment.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export REPO

# All service state (config, data, logs, pids, env.sh) lives here, so that
# `services.sh reset` or deleting the folder returns to a clean slate.
: "${WEIR_RUN_DIR:=$REPO/.run}"
# Slow downloads and builds (Kafka jars, MinIO binary, Python venv) live here,
# outside the checkout, so a second start or a fresh clone reuses them.
: "${WEIR_CACHE_DIR:=${HOME:?}/.cache/weir}"
export WEIR_RUN_DIR WEIR_CACHE_DIR

# The address the services listen on and advertise. Loopback by default; a
# second, independent set can run elsewhere (e.g. inside a network namespace,
# see tests/multihost) with its own WEIR_RUN_DIR.
: "${WEIR_SERVICES_HOST:=127.0.0.1}"

: "${WEIR_KAFKA_PORT:=19092}"
: "${WEIR_KAFKA_CONTROLLER_PORT:=19093}"
: "${WEIR_PG_PORT:=15432}"
: "${WEIR_MINIO_PORT:=19000}"
: "${WEIR_MINIO_CONSOLE_PORT:=19001}"
: "${WEIR_CLICKHOUSE_PORT:=18123}"     # HTTP: what weir and the tests use
: "${WEIR_CLICKHOUSE_TCP_PORT:=19010}" # native: clickhouse-client
: "${WEIR_MARIADB_PORT:=13306}"

# Pinned versions: bump here (and in deploy/kafka/pom.xml for Kafka).
KAFKA_VERSION=3.9.1
# The repository is archived upstream, so a pseudo-version is the only pin.
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
# The `go` directive of MinIO's go.mod at MINIO_VERSION.
MINIO_MIN_GO=1.24
S3PROXY_VERSION=3.3.0
PG_BIN=/usr/lib/postgresql/15/bin

KAFKA_HOME="$WEIR_CACHE_DIR/kafka-$KAFKA_VERSION"
MINIO_BIN="$WEIR_CACHE_DIR/minio/$MINIO_VERSION/bin/minio"
S3PROXY_HOME="$WEIR_CACHE_DIR/s3proxy-$S3PROXY_VERSION"

# Credentials of the private test services (loopback or a private test network).
S3_ACCESS_KEY=weiradmin
S3_SECRET_KEY=weirsecret123
S3_BUCKET=weir
S3_REGION=us-east-1

VENV_DIR="$WEIR_CACHE_DIR/venv"
LOG_DIR="$WEIR_RUN_DIR/logs"
PID_DIR="$WEIR_RUN_DIR/pids"

log() { printf '[weir %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# wait_for NAME SECONDS LOGFILE CMD...: poll CMD until it succeeds; on timeout
# print the tail of LOGFILE (where the reason usually is) and fail.
wait_for() {
  local name=$1 secs=$2 logfile=$3
  shift 3
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "$name not healthy after ${secs}s; last lines of $logfile:"
      tail -n 40 "$logfile" >&2 2>/dev/null || true
      die "$name failed to start"
    fi
    sleep 0.2
  done
}

# pid_of NAME: print the pid recorded for NAME if that process is still alive
# and is still the one we started (its command line contains NAME's marker,
# the run dir, which guards against pid reuse).
pid_of() {
  local f="$PID_DIR/$1.pid" pid
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$WEIR_RUN_DIR" || return 1
  echo "$pid"
}

# spawn NAME LOGFILE CMD...: start CMD in its own session (so it survives the
# caller's terminal and process group) and record its pid in $PID_DIR/NAME.pid.
spawn() {
  local name=$1 logfile=$2
  shift 2
  mkdir -p "$PID_DIR" "$(dirname "$logfile")"
  rm -f "$PID_DIR/$name.pid"
  # The inner shell writes its own pid and then execs CMD, so the pid is exact.
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_DIR/$name.pid" "$@" \
    >>"$logfile" 2>&1 </dev/null &
  for _ in {1..50}; do [[ -s $PID_DIR/$name.pid ]] && return 0; sleep 0.05; done
  die "$name did not start (see $logfile)"
}

# stop_pid NAME SECONDS: SIGTERM, wait up to SECONDS for a graceful exit, then
# SIGKILL. Removes the pid file.
stop_pid() {
  local name=$1 secs=$2 pid
  if pid=$(pid_of "$name"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + secs))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        log "$name did not stop in ${secs}s, killing it"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
  fi
  rm -f "$PID_DIR/$name.pid"
}

# port_busy PORT: true if something listens on 127.0.0.1:PORT or *:PORT.
port_busy() {
  [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
}
