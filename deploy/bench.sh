#!/usr/bin/env bash
# Builds weir, starts the services and runs the benchmark harness (bench/run.py).
# Arguments go to the harness, e.g. `deploy/bench.sh --events 2000000`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# `deploy/bench.sh fuzz [SECONDS]`: every libFuzzer harness for SECONDS
# (default 600) with a fresh seed; no services needed.
if [[ "${1:-}" == fuzz ]]; then
  for harness in spec_yaml spec_sql event_reader state_unpack wire parquet; do
    echo "== fuzz $harness, ${2:-600} s"
    log="$(mktemp)"
    rc=0
    "$REPO/tests/fuzz/run.sh" "$harness" "${2:-600}" >"$log" 2>&1 || rc=$?
    grep -E '^(Done|stat::number|stat::average|SUMMARY|artifact_prefix)' "$log" || true
    [[ $rc == 0 ]] || { echo "fuzz $harness FAILED (log: $log)"; exit 1; }
    rm -f "$log"
  done
  exit 0
fi
"$REPO/deploy/build.sh"
"$REPO/deploy/services.sh" up
# `deploy/bench.sh handoff [...]` runs the live partition move with large state instead;
# `deploy/bench.sh aging|cardinality [...]` the windowed results path (bench/windowed.py);
# `deploy/bench.sh metrics [...]` the cost of reports, /metrics and the API (bench/metrics_overhead.py);
# `deploy/bench.sh stores [...]` rows/s into ClickHouse and MariaDB against their bulk inserts (bench/stores.py);
# `deploy/bench.sh lake [...]` the seed-004 lake as an Iceberg table against the bare drain (bench/lake.py);
# `deploy/bench.sh nexmark [...]` the Nexmark queries weir expresses, timed into the blackhole and checked (bench/nexmark.py);
# `deploy/bench.sh soak [--minutes N]` the shipped jobs at a live rate through kills and restarts (bench/soak.py).
harness="$REPO/bench/run.py"
case "${1:-}" in
  handoff) harness="$REPO/bench/handoff.py"; shift ;;
  aging | cardinality) harness="$REPO/bench/windowed.py" ;;
  metrics) harness="$REPO/bench/metrics_overhead.py"; shift ;;
  stores) harness="$REPO/bench/stores.py"; shift ;;
  soak) harness="$REPO/bench/soak.py"; shift ;;
  lake) harness="$REPO/bench/lake.py"; shift ;;
  nexmark) harness="$REPO/bench/nexmark.py"; shift ;;
esac
WEIR_BIN="${WEIR_BUILD_DIR:-$REPO/build}/weir" exec "$VENV_DIR/bin/python" "$harness" "$@"
