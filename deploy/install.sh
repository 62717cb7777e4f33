#!/usr/bin/env bash
# Installs a built weir binary and its systemd units onto this host.
# Usage: deploy/install.sh [--binary PATH] [--prefix DIR] [--destdir DIR] [--secret FILE]
#   --binary PATH   the weir binary to install (default: build/weir of this checkout)
#   --prefix DIR    the binary goes to DIR/bin (default /usr/local); the units follow
#   --destdir DIR   stage everything under DIR instead of / (or DESTDIR=DIR); then
#                   no user is created, nothing is chowned and systemctl is not run
#   --secret FILE   install FILE as /etc/weir/secret (mode 0600, owned by weir)
# Creates the `weir` system user, /etc/weir (env files from the examples when
# missing, never overwritten), /var/lib/weir, then runs systemctl daemon-reload.
# Starts nothing. Run it again to upgrade the binary and the units.
set -euo pipefail
umask 022

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC="$REPO/deploy/systemd"

log() { printf '[weir install] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

binary="$REPO/build/weir"
prefix=/usr/local
destdir=${DESTDIR:-}
secret=
while (($#)); do
  case $1 in
    --binary) (($# >= 2)) || usage; binary=$2; shift 2 ;;
    --prefix) (($# >= 2)) || usage; prefix=$2; shift 2 ;;
    --destdir) (($# >= 2)) || usage; destdir=$2; shift 2 ;;
    --secret) (($# >= 2)) || usage; secret=$2; shift 2 ;;
    -h | --help) usage ;;
    *) log "unknown argument: $1"; usage ;;
  esac
done
[[ $prefix == /* ]] || die "--prefix must be an absolute path, got '$prefix'"
prefix=${prefix%/}
[[ -f $binary && -x $binary ]] || die "no weir binary at $binary (build it with deploy/build.sh, or pass --binary)"
[[ -z $secret || -s $secret ]] || die "secret file $secret is missing or empty (create one with deploy/gen-secret.sh)"
# The binary links Debian 12's shared libraries (CAF, librdkafka, libpqxx, ...).
if ! "$binary" --help >/dev/null 2>&1; then
  missing=$(ldd "$binary" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
  msg="$binary does not run on this host${missing:+ (missing libraries: $missing)}; see docs/operations.md"
  if [[ -n $destdir ]]; then log "warning: $msg"; else die "$msg"; fi
fi
if [[ -n $destdir ]]; then
  destdir=$(mkdir -p "$destdir" && cd "$destdir" && pwd)
else
  ((EUID == 0)) || die "run as root (or stage into a directory with --destdir / DESTDIR)"
fi

BIN_DIR="$destdir$prefix/bin"
UNIT_DIR="$destdir/etc/systemd/system"
ETC_DIR="$destdir/etc/weir"
STATE_DIR="$destdir/var/lib/weir"

# The account: a system user whose home is the state directory, no login.
if [[ -z $destdir ]]; then
  if ! getent group weir >/dev/null; then
    log "creating group weir"
    groupadd --system weir
  fi
  if ! getent passwd weir >/dev/null; then
    command -v useradd >/dev/null || die "no useradd: create a system user 'weir' by hand"
    log "creating user weir"
    useradd --system --gid weir --home-dir /var/lib/weir --no-create-home \
      --shell /usr/sbin/nologin --comment "weir stream processor" weir
  fi
fi

# owned USER:GROUP MODE PATH...: chown (when installing for real) and chmod.
owned() {
  local owner=$1 mode=$2
  shift 2
  [[ -n $destdir ]] || chown "$owner" "$@"
  chmod "$mode" "$@"
}

# The binary: written next to the old one, then renamed over it, so running
# processes keep their copy and a failed copy leaves the old one in place.
mkdir -p "$BIN_DIR"
cp "$binary" "$BIN_DIR/.weir.new"
owned root:root 0755 "$BIN_DIR/.weir.new"
mv -f "$BIN_DIR/.weir.new" "$BIN_DIR/weir"
log "installed $prefix/bin/weir"

# The units, pointed at the binary's path under --prefix.
mkdir -p "$UNIT_DIR"
for unit in weir-coordinator.service weir-worker@.service; do
  sed "s#^ExecStart=/usr/local/bin/weir #ExecStart=$prefix/bin/weir #" "$SRC/$unit" >"$UNIT_DIR/.$unit.new"
  grep -q "^ExecStart=$prefix/bin/weir " "$UNIT_DIR/.$unit.new" || die "$unit: no ExecStart to rewrite"
  owned root:root 0644 "$UNIT_DIR/.$unit.new"
  mv -f "$UNIT_DIR/.$unit.new" "$UNIT_DIR/$unit"
done
log "installed /etc/systemd/system/weir-coordinator.service and weir-worker@.service"

# Settings: the examples are always refreshed (the reference of this build);
# an env file is created from its example only if it does not exist yet.
# systemd reads the env files as root; weir may read them too.
mkdir -p "$ETC_DIR"
owned root:weir 0750 "$ETC_DIR"
for name in coordinator worker; do
  cp "$SRC/$name.env.example" "$ETC_DIR/$name.env.example"
  owned root:weir 0644 "$ETC_DIR/$name.env.example"
  if [[ ! -e $ETC_DIR/$name.env ]]; then
    cp "$SRC/$name.env.example" "$ETC_DIR/$name.env"
    owned root:weir 0640 "$ETC_DIR/$name.env"
    log "created /etc/weir/$name.env: edit it"
  else
    log "kept /etc/weir/$name.env (compare with /etc/weir/$name.env.example)"
  fi
done

if [[ -n $secret ]]; then
  (umask 077 && cp "$secret" "$ETC_DIR/.secret.new")
  owned weir:weir 0600 "$ETC_DIR/.secret.new"
  mv -f "$ETC_DIR/.secret.new" "$ETC_DIR/secret"
  log "installed /etc/weir/secret"
elif [[ ! -e $ETC_DIR/secret ]]; then
  log "no /etc/weir/secret yet: create one with deploy/gen-secret.sh on one host and" \
    "install the same file on every host with --secret FILE"
fi

# State: the coordinator's file:// state and file:// checkpoints (systemd also
# creates it through StateDirectory=; this makes it exist before first start).
mkdir -p "$STATE_DIR"
owned weir:weir 0750 "$STATE_DIR"

if [[ -n $destdir ]]; then
  log "staged under $destdir: no user created, nothing chowned, systemctl not run"
elif ! command -v systemctl >/dev/null; then
  log "no systemctl on this host: units installed but not loaded"
elif [[ ! -d /run/systemd/system ]]; then
  log "systemd is not running on this host: units installed but not loaded"
else
  systemctl daemon-reload
  log "systemd reloaded. Next: edit /etc/weir/*.env, then" \
    "systemctl enable --now weir-coordinator  and/or  systemctl enable --now weir-worker@NAME"
fi
