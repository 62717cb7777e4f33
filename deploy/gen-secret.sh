#!/usr/bin/env bash
# Writes a new cluster secret (32 random bytes as 64 hex digits) to FILE, mode
# 0600. Refuses to replace an existing file. Every node and client of a cluster
# needs the same secret: create it once, then copy it to each host with
# `deploy/install.sh --secret FILE`.
# Usage: deploy/gen-secret.sh FILE
set -euo pipefail

if (($# != 1)) || [[ $1 == -* ]]; then
  sed -n '2,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
fi
file=$1
[[ ! -e $file ]] || { echo "gen-secret: $file exists; not replacing it" >&2; exit 1; }

umask 077
tmp=$(mktemp "$file.XXXXXX")
trap 'rm -f "$tmp"' EXIT
secret=$(od -An -vtx1 -N32 /dev/urandom | tr -d ' \n')
[[ $secret =~ ^[0-9a-f]{64}$ ]] || { echo "gen-secret: could not read /dev/urandom" >&2; exit 1; }
printf '%s\n' "$secret" >"$tmp"
chmod 0600 "$tmp"
# ln fails if FILE appeared meanwhile: never replaces a secret.
ln "$tmp" "$file"
echo "gen-secret: wrote $file" >&2
