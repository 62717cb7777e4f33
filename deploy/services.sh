#!/usr/bin/env bash
# Private test services for weir, all on $WEIR_SERVICES_HOST (default
# 127.0.0.1), state under $WEIR_RUN_DIR (default .run):
#   Kafka 3.9 (single KRaft node), PostgreSQL 15, MinIO (s3proxy as fallback),
#   ClickHouse 18.16 and MariaDB 10.11 (Debian's).
# Usage: deploy/services.sh up [kafka|postgres|minio|clickhouse|mariadb ...] (default: all)
#        deploy/services.sh down [SERVICE ...]                               (default: all)
#        deploy/services.sh status | env | reset | stop-demo
# `down` (and `stop-demo`) also stop what `deploy/demo.sh --keep` left running.
# `up` installs what is missing, starts, health-checks and writes
# $WEIR_RUN_DIR/env.sh; it is a no-op for a service already running and healthy.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

ALL_SERVICES=(kafka postgres minio clickhouse mariadb)
# base64url("WeirTestCluster1"): fixed, so the storage is formatted only once.
KAFKA_CLUSTER_ID=V2VpclRlc3RDbHVzdGVyMQ
PG_DIR="$WEIR_RUN_DIR/postgres"
PG_URL="postgresql://weir@$WEIR_SERVICES_HOST:$WEIR_PG_PORT/weir"
CH_DIR="$WEIR_RUN_DIR/clickhouse"
CH_URL="http://$WEIR_SERVICES_HOST:$WEIR_CLICKHOUSE_PORT/weir"
MDB_DIR="$WEIR_RUN_DIR/mariadb"
MDB_URL="mysql://weir@$WEIR_SERVICES_HOST:$WEIR_MARIADB_PORT/weir"
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# Daemons must not inherit the lock held on fd 9 (see main), or it is never freed.
start_quietly() { "$@" 9>&-; }

# maven_libs POM HOME -Dprop=value: copy the runtime jars POM lists into
# HOME/libs, once per POM content and properties (stamped in HOME).
maven_libs() {
  local pom=$1 home=$2 prop=$3 want
  want=$( (cat "$pom"; echo "$prop") | sha256sum | cut -d' ' -f1)
  if [[ -d $home/libs && -f $home/.stamp && $(<"$home/.stamp") == "$want" ]]; then
    return 0
  fi
  ensure_packages openjdk-17-jre-headless maven
  log "fetching $(basename "$home") jars from Maven Central into $home/libs"
  mkdir -p "$home"
  rm -rf "$home/libs.tmp"
  mvn -B -f "$pom" -Dmaven.repo.local="$WEIR_CACHE_DIR/m2" "$prop" \
    dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$home/libs.tmp" >"$home/mvn.log" 2>&1 ||
    { tail -n 30 "$home/mvn.log" >&2; die "maven failed, see $home/mvn.log"; }
  rm -rf "$home/libs"
  mv "$home/libs.tmp" "$home/libs"
  echo "$want" >"$home/.stamp"
}

# ---------------------------------------------------------------- kafka --

kafka_healthy() {
  kcat -b "$WEIR_SERVICES_HOST:$WEIR_KAFKA_PORT" -L -m 3 2>/dev/null |
    grep -q "broker 1 at $WEIR_SERVICES_HOST:$WEIR_KAFKA_PORT"
}

kafka_install() {
  ensure_packages kcat
  maven_libs "$REPO/deploy/kafka/pom.xml" "$KAFKA_HOME" "-Dkafka.version=$KAFKA_VERSION"
}

kafka_start() {
  local dir="$WEIR_RUN_DIR/kafka" log="$LOG_DIR/kafka.log"
  mkdir -p "$dir/data" "$LOG_DIR"
  # Regenerated on every start so port overrides take effect.
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$WEIR_SERVICES_HOST:$WEIR_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$WEIR_SERVICES_HOST:$WEIR_KAFKA_PORT,CONTROLLER://$WEIR_SERVICES_HOST:$WEIR_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$WEIR_SERVICES_HOST:$WEIR_KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
# One node: every internal topic has a single replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1
# Tests start consumer groups often; do not wait 3 s for more members.
group.initial.rebalance.delay.ms=0
num.partitions=4
# Tests create their topics explicitly (deploy/kafka-topic.sh).
auto.create.topics.enable=false
EOF
  # Formatting costs a JVM start; skip it once the storage carries meta.properties.
  if [[ ! -f $dir/data/meta.properties ]]; then
    java -cp "$KAFKA_HOME/libs/*" kafka.tools.StorageTool format \
      -t "$KAFKA_CLUSTER_ID" -c "$dir/server.properties" --ignore-formatted >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "kafka storage format failed"; }
  fi
  start_quietly spawn kafka "$log" java -Xms512m -Xmx512m -XX:+UseG1GC \
    -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
    -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$dir/server.properties"
}

kafka_wait() { wait_for kafka 120 "$LOG_DIR/kafka.log" kafka_healthy; }
kafka_running() { pid_of kafka >/dev/null; }
kafka_ports() { echo "$WEIR_KAFKA_PORT $WEIR_KAFKA_CONTROLLER_PORT"; }
kafka_stop() { stop_pid kafka 60; }

# ------------------------------------------------------------- postgres --

# initdb refuses to run as root: as root, the cluster belongs to the `postgres`
# OS user (created by the postgresql-15 package); otherwise to the caller.
as_pg() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_healthy() {
  "$PG_BIN/pg_isready" -q -h "$WEIR_SERVICES_HOST" -p "$WEIR_PG_PORT" -d postgres -U weir
}

postgres_install() { ensure_packages postgresql-15 postgresql-client-15; }

postgres_running() {
  [[ -f $PG_DIR/data/PG_VERSION ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1
}

postgres_start() {
  local log="$LOG_DIR/postgres.log"
  mkdir -p "$PG_DIR/run" "$LOG_DIR"
  touch "$log"
  if ((EUID == 0)); then chown postgres: "$PG_DIR" "$PG_DIR/run" "$log"; fi
  as_pg test -w "$PG_DIR" -a -w "$log" ||
    die "the postgres user cannot write $PG_DIR: every parent directory must be" \
      "searchable by it (chmod o+x), or set WEIR_RUN_DIR elsewhere"
  if [[ ! -f $PG_DIR/data/PG_VERSION ]]; then
    rm -rf "$PG_DIR/data" # a half-finished initdb
    log "initdb $PG_DIR/data"
    # The bootstrap superuser is `weir`; trust auth is fine for a loopback-only
    # private test cluster and lets psql and libpqxx connect with the bare URL.
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U weir --auth=trust -E UTF8 \
      --no-locale >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "initdb failed"; }
    echo "include_if_exists = 'weir.conf'" >>"$PG_DIR/data/postgresql.conf"
  fi
  # Regenerated on every start so port overrides take effect.
  as_pg tee "$PG_DIR/data/weir.conf" >/dev/null <<EOF
listen_addresses = '$WEIR_SERVICES_HOST'
port = $WEIR_PG_PORT
unix_socket_directories = '$PG_DIR/run'
EOF
  # initdb trusts loopback only. Off loopback (a private test network), also
  # trust the subnets the server is directly on; the marked line is rewritten
  # on every start, so going back to 127.0.0.1 removes it.
  as_pg sed -i '/# weir: services host$/d' "$PG_DIR/data/pg_hba.conf"
  if [[ $WEIR_SERVICES_HOST != 127.0.0.1 ]]; then
    echo "host all all samenet trust # weir: services host" |
      as_pg tee -a "$PG_DIR/data/pg_hba.conf" >/dev/null
  fi
  start_quietly as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$log" -W start >/dev/null
}

postgres_wait() {
  wait_for postgres 60 "$LOG_DIR/postgres.log" postgres_healthy
  local q="select 1 from pg_database where datname = 'weir'"
  if [[ -z $(psql -X -h "$WEIR_SERVICES_HOST" -p "$WEIR_PG_PORT" -U weir -d postgres -tAc "$q") ]]; then
    psql -X -q -h "$WEIR_SERVICES_HOST" -p "$WEIR_PG_PORT" -U weir -d postgres -c 'create database weir'
  fi
  psql -X "$PG_URL" -tAc 'select 1' >/dev/null || die "cannot connect to $PG_URL"
}

postgres_ports() { echo "$WEIR_PG_PORT"; }

postgres_stop() {
  postgres_running || return 0
  log "stopping postgres"
  # fast = roll back open transactions and exit cleanly; immediate if stuck.
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null ||
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 10 stop >/dev/null
}

# ---------------------------------------------------------------- minio --
# MinIO, or s3proxy when MinIO cannot be built; $WEIR_RUN_DIR/minio/impl says
# which. WEIR_S3_IMPL=s3proxy forces the fallback.

# s3 METHOD-ARGS PATH: a SigV4-signed request (curl >= 7.75 signs by itself).
s3() {
  local path=${*: -1}
  curl -sf -o /dev/null --max-time 5 --aws-sigv4 "aws:amz:$S3_REGION:s3" \
    --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" -H "x-amz-content-sha256: $EMPTY_SHA256" \
    "${@:1:$#-1}" "http://$WEIR_SERVICES_HOST:$WEIR_MINIO_PORT$path"
}

# Signed ListBuckets: checks the server and the credentials (both servers).
minio_healthy() { s3 / ; }

s3_impl() { cat "$WEIR_RUN_DIR/minio/impl" 2>/dev/null || echo minio; }

# minio_build: make sure $MINIO_BIN exists; fail if it cannot be built. A
# failed build is remembered, so later starts fall back at once instead of
# retrying a build of several minutes.
minio_build() {
  [[ -x $MINIO_BIN ]] && return 0
  local failed="$WEIR_CACHE_DIR/minio/$MINIO_VERSION/build-failed.log"
  if [[ -f $failed ]]; then
    log "MinIO build failed before (see $failed; delete it to retry)"
    return 1
  fi
  # A build already under way (another shell, a provisioning step) would fight
  # ours for the 2 cores and the module cache: wait for it instead.
  if pgrep -f 'go install github.com/minio/minio@' >/dev/null; then
    log "a MinIO build is already running; waiting for it to finish"
    while pgrep -f 'go install github.com/minio/minio@' >/dev/null; do sleep 2; done
    [[ -x $MINIO_BIN ]] && return 0
  fi
  local go blog="$LOG_DIR/minio-build.log"
  go=$(find_go) || return 1
  mkdir -p "$LOG_DIR" "$(dirname "$MINIO_BIN")"
  log "building MinIO $MINIO_VERSION (minutes on 2 cores, cached afterwards); log: $blog"
  if ! GOBIN=$(dirname "$MINIO_BIN") "$go" install "github.com/minio/minio@$MINIO_VERSION" >"$blog" 2>&1 ||
    [[ ! -x $MINIO_BIN ]]; then
    tail -n 20 "$blog" >&2
    cp "$blog" "$failed"
    log "MinIO build failed"
    return 1
  fi
}

minio_install() {
  local impl=minio
  if [[ ${WEIR_S3_IMPL:-minio} == s3proxy ]] || ! minio_build; then
    impl=s3proxy
    log "*** FALLBACK: using s3proxy $S3PROXY_VERSION (filesystem backend) instead of MinIO ***"
    maven_libs "$REPO/deploy/s3proxy/pom.xml" "$S3PROXY_HOME" "-Ds3proxy.version=$S3PROXY_VERSION"
  fi
  mkdir -p "$WEIR_RUN_DIR/minio"
  echo "$impl" >"$WEIR_RUN_DIR/minio/impl"
}

minio_start() {
  local dir="$WEIR_RUN_DIR/minio" log="$LOG_DIR/minio.log"
  mkdir -p "$LOG_DIR"
  if [[ $(s3_impl) == minio ]]; then
    mkdir -p "$dir/data"
    # No web console, no update checks: nothing to serve or reach here.
    MINIO_ROOT_USER=$S3_ACCESS_KEY MINIO_ROOT_PASSWORD=$S3_SECRET_KEY \
      MINIO_BROWSER=off MINIO_UPDATE=off \
      start_quietly spawn minio "$log" "$MINIO_BIN" server "$dir/data" --quiet \
      --address "$WEIR_SERVICES_HOST:$WEIR_MINIO_PORT" \
      --console-address "$WEIR_SERVICES_HOST:$WEIR_MINIO_CONSOLE_PORT"
  else
    mkdir -p "$dir/s3proxy-data"
    cat >"$dir/s3proxy.conf" <<EOF
s3proxy.endpoint=http://$WEIR_SERVICES_HOST:$WEIR_MINIO_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY
s3proxy.credential=$S3_SECRET_KEY
jclouds.provider=filesystem
jclouds.filesystem.basedir=$dir/s3proxy-data
EOF
    start_quietly spawn minio "$log" java -Xmx256m -cp "$S3PROXY_HOME/libs/*" \
      org.gaul.s3proxy.Main --properties "$dir/s3proxy.conf"
  fi
}

minio_wait() {
  wait_for "$(s3_impl)" 60 "$LOG_DIR/minio.log" minio_healthy
  # HEAD bucket, then PUT bucket: creates it on first start only.
  s3 -I "/$S3_BUCKET" || s3 -X PUT "/$S3_BUCKET" || die "cannot create bucket $S3_BUCKET"
}

minio_running() { pid_of minio >/dev/null; }
minio_ports() { echo "$WEIR_MINIO_PORT $WEIR_MINIO_CONSOLE_PORT"; }
minio_stop() { stop_pid minio 30; }

# ----------------------------------------------------------- clickhouse --
# Debian's 18.16 as a private instance: its own config, data and logs under
# $CH_DIR, user `default` without a password, reachable from the services
# host only. Database `weir`.

clickhouse_healthy() {
  [[ $(curl -sf --max-time 3 "http://$WEIR_SERVICES_HOST:$WEIR_CLICKHOUSE_PORT/ping") == Ok. ]]
}

clickhouse_install() { ensure_packages clickhouse-server clickhouse-client; }
clickhouse_running() { pid_of clickhouse >/dev/null; }
clickhouse_ports() { echo "$WEIR_CLICKHOUSE_PORT $WEIR_CLICKHOUSE_TCP_PORT"; }
clickhouse_stop() { stop_pid clickhouse 60; }

clickhouse_start() {
  local net=$WEIR_SERVICES_HOST
  [[ $net == 127.0.0.1 ]] || net=0.0.0.0/0 # a private test network (tests/multihost)
  mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$LOG_DIR"
  # Regenerated on every start so port overrides take effect. Caches are
  # small: this is a test server on a shared 2-core machine.
  cat >"$CH_DIR/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$LOG_DIR/clickhouse.log</log>
    <errorlog>$LOG_DIR/clickhouse.err.log</errorlog><size>100M</size><count>2</count></logger>
  <listen_host>$WEIR_SERVICES_HOST</listen_host>
  <http_port>$WEIR_CLICKHOUSE_PORT</http_port>
  <tcp_port>$WEIR_CLICKHOUSE_TCP_PORT</tcp_port>
  <path>$CH_DIR/data/</path>
  <tmp_path>$CH_DIR/tmp/</tmp_path>
  <user_files_path>$CH_DIR/user_files/</user_files_path>
  <users_config>$CH_DIR/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
</yandex>
XML
  cat >"$CH_DIR/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>$net</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
XML
  start_quietly spawn clickhouse "$LOG_DIR/clickhouse.out" \
    clickhouse-server --config-file="$CH_DIR/config.xml"
}

clickhouse_wait() {
  wait_for clickhouse 60 "$LOG_DIR/clickhouse.err.log" clickhouse_healthy
  curl -sf --max-time 10 --data-binary 'CREATE DATABASE IF NOT EXISTS weir' \
    "http://$WEIR_SERVICES_HOST:$WEIR_CLICKHOUSE_PORT/" >/dev/null ||
    die "cannot create the clickhouse database weir"
}

# -------------------------------------------------------------- mariadb --
# Debian's MariaDB as a private instance under $MDB_DIR: user `weir` without
# a password, from the services host only, owning database `weir`.

mdb_client() {
  mariadb --no-defaults -h "$WEIR_SERVICES_HOST" -P "$WEIR_MARIADB_PORT" "$@"
}

mariadb_healthy() { mdb_client -u weir -D weir -e 'SELECT 1' >/dev/null 2>&1; }
mariadb_install() { ensure_packages mariadb-server mariadb-client; }
mariadb_running() { pid_of mariadb >/dev/null; }
mariadb_ports() { echo "$WEIR_MARIADB_PORT"; }
mariadb_stop() { stop_pid mariadb 60; }

mariadb_start() {
  local log="$LOG_DIR/mariadb.log" user=()
  mkdir -p "$MDB_DIR" "$LOG_DIR"
  if ((EUID == 0)); then user=(--user=root); fi # mariadbd refuses root unless told
  if [[ ! -d $MDB_DIR/data/mysql ]]; then
    rm -rf "$MDB_DIR/data" # a half-finished install
    log "mariadb-install-db $MDB_DIR/data"
    mariadb-install-db --no-defaults --datadir="$MDB_DIR/data" "${user[@]}" \
      --auth-root-authentication-method=normal --skip-test-db >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "mariadb-install-db failed"; }
  fi
  start_quietly spawn mariadb "$log" mariadbd --no-defaults --datadir="$MDB_DIR/data" "${user[@]}" \
    --bind-address="$WEIR_SERVICES_HOST" --port="$WEIR_MARIADB_PORT" \
    --socket="$MDB_DIR/mysqld.sock" --pid-file="$MDB_DIR/mariadb.pid" --skip-name-resolve \
    --innodb-buffer-pool-size=256M --max-connections=200
}

mariadb_wait() {
  # Root has no password and may connect from the services host only.
  wait_for mariadb 60 "$LOG_DIR/mariadb.log" mdb_client -u root -e 'SELECT 1'
  mdb_client -u root -e "CREATE DATABASE IF NOT EXISTS weir;
    CREATE USER IF NOT EXISTS 'weir'@'$WEIR_SERVICES_HOST';
    GRANT ALL ON weir.* TO 'weir'@'$WEIR_SERVICES_HOST';" || die "cannot create the mariadb user weir"
  mariadb_healthy || die "cannot connect to $MDB_URL"
}

# ---------------------------------------------------------- subcommands --

write_env() {
  local f="$WEIR_RUN_DIR/env.sh"
  {
    echo "# Written by deploy/services.sh up. Source it: . $f"
    printf 'export %s=%q\n' \
      WEIR_KAFKA_BROKERS "$WEIR_SERVICES_HOST:$WEIR_KAFKA_PORT" \
      WEIR_KAFKA_HOME "$KAFKA_HOME" \
      WEIR_PG_URL "$PG_URL" \
      WEIR_S3_ENDPOINT "http://$WEIR_SERVICES_HOST:$WEIR_MINIO_PORT" \
      WEIR_S3_ACCESS_KEY "$S3_ACCESS_KEY" \
      WEIR_S3_SECRET_KEY "$S3_SECRET_KEY" \
      WEIR_S3_REGION "$S3_REGION" \
      WEIR_S3_BUCKET "$S3_BUCKET" \
      WEIR_S3_IMPL "$(s3_impl)" \
      WEIR_CLICKHOUSE_URL "$CH_URL" \
      WEIR_CLICKHOUSE_TCP_PORT "$WEIR_CLICKHOUSE_TCP_PORT" \
      WEIR_MYSQL_URL "$MDB_URL" \
      WEIR_VENV "$VENV_DIR"
  } >"$f.tmp"
  mv "$f.tmp" "$f"
}

cmd_up() {
  local s p stopped=() todo=()
  ensure_venv
  for s in "$@"; do
    if ! "${s}_running"; then stopped+=("$s")
    elif "${s}_healthy"; then log "$s already running"
    else log "$s running but not healthy yet; waiting"; todo+=("$s")
    fi
  done
  # Install only what is about to start: a running service keeps its binaries.
  for s in "${stopped[@]}"; do "${s}_install"; done
  for s in "${stopped[@]}"; do
    for p in $("${s}_ports"); do
      ! port_busy "$p" || die "port $p (for $s) is in use by another process" \
        "(another checkout's services?): stop it or override the port, see deploy/README.md"
    done
    log "starting $s"
    "${s}_start"
    todo+=("$s")
  done
  # Everything is started before anything is waited for: they boot in parallel.
  for s in "${todo[@]}"; do "${s}_wait"; log "$s is up"; done
  write_env
  log "env: $WEIR_RUN_DIR/env.sh"
}

# The processes `deploy/demo.sh --keep` left running (their pids in demo/pids).
cmd_stop_demo() {
  local pids_file="$WEIR_RUN_DIR/demo/pids" pid
  [[ -f $pids_file ]] || return 0
  log "stopping the demo kept running (deploy/demo.sh --keep)"
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$pids_file"
  while read -r pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done <"$pids_file"
  rm -f "$pids_file"
}

cmd_down() {
  local i
  cmd_stop_demo
  # Reverse order of `up`.
  for ((i = $# ; i >= 1; i--)); do "${!i}_stop"; done
}

cmd_status() {
  local s rc=0 state
  for s in "${ALL_SERVICES[@]}"; do
    if ! "${s}_running"; then state=stopped; rc=1
    elif "${s}_healthy"; then state="running, healthy"
    else state="running, NOT healthy"; rc=1
    fi
    [[ $s == minio ]] && state+=" ($(s3_impl))"
    printf '%-10s %-28s ports %s\n' "$s" "$state" "$("${s}_ports")"
  done
  return "$rc"
}

cmd_reset() {
  case $WEIR_RUN_DIR in /|"$HOME"|"$REPO") die "refusing to wipe WEIR_RUN_DIR=$WEIR_RUN_DIR" ;; esac
  cmd_down "${ALL_SERVICES[@]}"
  log "wiping $WEIR_RUN_DIR"
  find "$WEIR_RUN_DIR" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
}

main() {
  local cmd=${1:-}
  shift || true
  local s
  for s in "$@"; do
    [[ " ${ALL_SERVICES[*]} " == *" $s "* ]] || die "unknown service: $s (known: ${ALL_SERVICES[*]})"
  done
  (($#)) || set -- "${ALL_SERVICES[@]}"
  case $cmd in
    env)
      [[ -f $WEIR_RUN_DIR/env.sh ]] || die "no $WEIR_RUN_DIR/env.sh yet: run deploy/services.sh up"
      cat "$WEIR_RUN_DIR/env.sh"
      return ;;
    status) cmd_status; return ;;
  esac
  # One services.sh at a time changes the services.
  mkdir -p "$WEIR_RUN_DIR"
  exec 9>"$WEIR_RUN_DIR/.lock"
  flock -n 9 || { log "waiting for another deploy/services.sh"; flock 9; }
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    stop-demo) cmd_stop_demo ;;
    reset) cmd_reset ;;
    *) sed -n '2,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
  esac
}

main "$@"
