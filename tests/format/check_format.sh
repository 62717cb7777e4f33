#!/usr/bin/env bash
# Every C++ file as .clang-format shapes it; prints the files that drift.
# Fix with: clang-format -i $(git ls-files '*.cpp' '*.hpp')
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
((${#files[@]})) || { echo "no C++ files found (not a git checkout?)" >&2; exit 1; }
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf 'not formatted by .clang-format: %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "${#files[@]} files formatted"
