#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang and runs one of them for a
# bounded time: tests/fuzz/run.sh HARNESS SECONDS. Seeds: the shipped specs
# SEED (third argument, default random) fixes libFuzzer's choices: the
# suite passes one, so a clean clone's run is repeatable, while
# `deploy/bench.sh fuzz` explores with fresh seeds for longer. Seeds
# (jobs/specs/, defaults of ${VAR:-default} filled in) for the spec harnesses,
# tests/fuzz/corpus/HARNESS/ for the others; what a run finds stays out of the
# tree, in build-fuzz/. Every file in tests/fuzz/regressions/HARNESS/ (inputs that once
# crashed) runs first. Exit 0: nothing found; otherwise the crashing input is
# in build-fuzz/artifacts/ and libFuzzer's report above says what broke.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
harness="$1"
seconds="${2:-30}"
seed="${3:-0}" # 0: libFuzzer picks one
out="$root/build-fuzz"
if [[ ! -x "$out/fuzz_$harness" || "$here/CMakeLists.txt" -nt "$out/CMakeCache.txt" ]]; then
  cmake -S "$here" -B "$out" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
# One build at a time: CTest may start several harnesses together.
flock "$out/.build.lock" cmake --build "$out" -j2 --target "fuzz_$harness" >/dev/null
mkdir -p "$out/artifacts" "$out/corpus/$harness"
seeds="$here/corpus/$harness"
if [[ "$harness" == spec_* ]]; then
  seeds="$out/seeds/$harness"
  mkdir -p "$seeds"
  for f in "$root"/jobs/specs/*."${harness#spec_}"; do
    sed -E 's/\$\{[A-Z_]+:-([^}]*)\}/\1/g' "$f" > "$seeds/$(basename "$f")"
  done
  # Spellings no shipped spec uses (Flink's), kept beside them.
  if [[ -d "$here/corpus/$harness" ]]; then
    cp "$here/corpus/$harness"/* "$seeds/"
  fi
elif [[ ! -d "$seeds" ]]; then # no seeds kept: libFuzzer starts from nothing
  seeds="$out/seeds/$harness"
  mkdir -p "$seeds"
fi
regressions=("$here/regressions/$harness"/*)
if [[ -e "${regressions[0]}" ]]; then
  "$out/fuzz_$harness" -artifact_prefix="$out/artifacts/" "${regressions[@]}"
fi
exec "$out/fuzz_$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -seed="$seed" -artifact_prefix="$out/artifacts/$harness-" \
  "$out/corpus/$harness" "$seeds"
