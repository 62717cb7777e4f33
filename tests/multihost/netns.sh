#!/usr/bin/env bash
# A private test network of "hosts": one network namespace per host, each with
# an eth0 joined by a veth pair to one Linux bridge that lives in a namespace of
# its own. Nothing is routed: the hosts have only their /24 (no default route),
# and the root namespace is not touched. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN).
#
# Usage: netns.sh up PREFIX NET HOST=OCTET...  namespaces PREFIX-HOST with eth0
#                                              at NET.OCTET/24, bridge in PREFIX-net
#        netns.sh cut PREFIX HOST       take HOST's link down (at the bridge)
#        netns.sh restore PREFIX HOST   bring it back up
#        netns.sh down PREFIX           kill what still runs in them, delete them
#        netns.sh gc                    `down` for every weir-mh<PID> prefix whose
#                                       PID (the test that made it) is gone
# PREFIX must look like weir-mh<PID> (PID: the owning test process), NET like 10.231.7.
set -euo pipefail

die() { echo "netns.sh: $*" >&2; exit 1; }
usage() { sed -n '7,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

check_prefix() { [[ $1 =~ ^weir-mh[0-9]+$ ]] || die "bad prefix '$1' (want weir-mh<PID>)"; }

namespaces_of() { ip netns list | awk '{print $1}' | grep -E "^$1-" || true; }

cmd_up() {
  local prefix=$1 net=$2 spec host octet
  shift 2
  check_prefix "$prefix"
  [[ $net =~ ^10\.[0-9]+\.[0-9]+$ ]] || die "bad NET '$net' (want 10.X.Y)"
  local br=$prefix-net
  ip netns add "$br"
  ip -n "$br" link set lo up
  ip -n "$br" link add name br0 type bridge forward_delay 0 stp_state 0
  ip -n "$br" link set dev br0 up
  for spec in "$@"; do
    host=${spec%%=*} octet=${spec#*=}
    [[ $host =~ ^[a-z][a-z0-9]{0,11}$ && $octet =~ ^[0-9]+$ ]] || die "bad HOST=OCTET '$spec'"
    local ns=$prefix-$host
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # The bridge side is named after the host, the host side is eth0.
    ip -n "$br" link add name "$host" type veth peer name eth0 netns "$ns"
    ip -n "$br" link set dev "$host" master br0 up
    ip -n "$ns" addr add "$net.$octet/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
  # Every bridge port forwards before anyone relies on the network.
  local deadline=$((SECONDS + 20))
  for spec in "$@"; do
    host=${spec%%=*}
    until ip -n "$br" -d link show dev "$host" | grep -q 'state forwarding'; do
      ((SECONDS < deadline)) || die "bridge port $host does not forward"
      sleep 0.1
    done
  done
}

cmd_link() {
  local prefix=$1 host=$2 state=$3
  check_prefix "$prefix"
  ip -n "$prefix-net" link set dev "$host" "$state"
}

cmd_down() {
  local prefix=$1 ns pids pid
  check_prefix "$prefix"
  local all
  mapfile -t all < <(namespaces_of "$prefix")
  ((${#all[@]})) || return 0
  # Whatever still runs in them was started by the test that made them.
  for pass in TERM KILL; do
    pids=()
    for ns in "${all[@]}"; do
      for pid in $(ip netns pids "$ns" 2>/dev/null); do
        [[ $pid != "$$" ]] && pids+=("$pid")
      done
    done
    ((${#pids[@]})) || break
    kill "-$pass" "${pids[@]}" 2>/dev/null || true
    for _ in {1..50}; do
      local alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      ((alive)) || break
      sleep 0.1
    done
  done
  # Host namespaces first (their veths go with them), the bridge last.
  for ns in "${all[@]}"; do
    [[ $ns == "$prefix-net" ]] || ip netns del "$ns" 2>/dev/null || true
  done
  ip netns del "$prefix-net" 2>/dev/null || true
}

cmd_gc() {
  local prefix pid
  for prefix in $(ip netns list | awk '{print $1}' | sed -n 's/^\(weir-mh[0-9]\+\)-.*/\1/p' | sort -u); do
    pid=${prefix#weir-mh}
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "netns.sh: removing namespaces left by test process $pid" >&2
      cmd_down "$prefix"
    fi
  done
}

case ${1:-} in
  up) (($# >= 4)) || usage; shift; cmd_up "$@" ;;
  cut) (($# == 3)) || usage; cmd_link "$2" "$3" down ;;
  restore) (($# == 3)) || usage; cmd_link "$2" "$3" up ;;
  down) (($# == 2)) || usage; cmd_down "$2" ;;
  gc) (($# == 1)) || usage; cmd_gc ;;
  *) usage ;;
esac
