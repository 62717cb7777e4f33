#!/usr/bin/env bash
# Installs what weir's build and tests need: Debian packages, a Go able to build
# MinIO, and the Python venv of independent checkers. Idempotent and fast when
# everything is present (dpkg-query plus a hash compare, no network).
# deploy/services.sh sources this file for its ensure_* functions.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libcaf-dev librdkafka-dev libpqxx-dev libmsgpack-cxx-dev libspdlog-dev
  libsimdjson-dev libyaml-cpp-dev libcli11-dev libgtest-dev libpg-query-dev
  libcurl4-openssl-dev libssl-dev libzstd-dev libsnappy-dev libxxhash-dev
  libcpp-httplib-dev nlohmann-json3-dev libmariadb-dev
)
# util-linux: setsid, flock, runuser; procps: pgrep; curl: S3 requests; gdb: stacks of a hung process in test logs;
# clang, libclang-rt-14-dev: the libFuzzer harnesses (tests/fuzz/); clang-format: tests/format/;
# prometheus: promtool and a server scraping the coordinator; chromium: the dashboard's browser test;
# clickhouse-*, mariadb-*: the stores of seeds 002-004 and their clients.
TOOL_PACKAGES=(
  kcat postgresql-15 postgresql-client-15 iproute2 openjdk-17-jre-headless maven
  curl ca-certificates python3 python3-venv util-linux procps gdb clang libclang-rt-14-dev
  prometheus chromium clickhouse-server clickhouse-client mariadb-server mariadb-client
  stunnel4 openssl clang-format
)

# ensure_packages PKG...: apt-get only what dpkg does not report installed;
# `apt-get update` only when something is missing.
ensure_packages() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  log "installing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

version_ge() { printf '%s\n%s\n' "$2" "$1" | sort -V -C; }

# find_go: print the path of a Go new enough to build MinIO; otherwise explain
# why on stderr and fail. Installs Debian's golang-go only if no Go exists.
find_go() {
  local go ver
  go=$(command -v go || true)
  if [[ -z $go && -x /usr/local/go/bin/go ]]; then go=/usr/local/go/bin/go; fi
  if [[ -z $go ]]; then
    ensure_packages golang-go
    go=$(command -v go) || { log "no go after installing golang-go"; return 1; }
  fi
  ver=$("$go" env GOVERSION) # e.g. go1.26.8
  ver=${ver#go}
  if ! version_ge "$ver" "$MINIO_MIN_GO"; then
    log "$go is Go $ver; MinIO $MINIO_VERSION needs Go >= $MINIO_MIN_GO" \
      "(Debian 12's golang-go is 1.19, too old). Install a newer Go in" \
      "/usr/local/go or on PATH."
    return 1
  fi
  echo "$go"
}

# ensure_venv: the venv is rebuilt from scratch only when requirements.txt
# changes (its hash is stamped inside the venv).
ensure_venv() {
  local req="$REPO/deploy/requirements.txt" stamp="$VENV_DIR/.requirements.sha256" want
  want=$(sha256sum <"$req" | cut -d' ' -f1)
  if [[ -x $VENV_DIR/bin/python && -f $stamp && $(<"$stamp") == "$want" ]]; then
    return 0
  fi
  ensure_packages python3 python3-venv
  log "creating Python venv $VENV_DIR from deploy/requirements.txt"
  # Debian's python3 (what python3-venv serves), not whatever python3 is on PATH.
  /usr/bin/python3 -m venv --clear "$VENV_DIR"
  "$VENV_DIR/bin/pip" install -q --disable-pip-version-check -r "$req"
  echo "$want" >"$stamp"
}

# ensure_dashboard_deps: the dashboard's chart library (uPlot) from npm, built
# into the binary; `npm ci` only when package-lock.json changed. Debian's npm
# only if no npm is on PATH.
ensure_dashboard_deps() {
  local dir="$REPO/web/dashboard" stamp want
  stamp="$dir/node_modules/.weir-lock.sha256"
  want=$(sha256sum <"$dir/package-lock.json" | cut -d' ' -f1)
  [[ -f $stamp && $(<"$stamp") == "$want" ]] && return 0
  command -v npm >/dev/null || ensure_packages npm
  log "installing the dashboard's npm packages (web/dashboard)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
}

setup_main() {
  ensure_packages "${BUILD_PACKAGES[@]}" "${TOOL_PACKAGES[@]}"
  find_go >/dev/null || die "no usable Go: MinIO cannot be built (see above)"
  ensure_dashboard_deps
  ensure_venv
  log "setup complete (venv: $VENV_DIR)"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then setup_main "$@"; fi
