#!/usr/bin/env bash
# Builds weir, starts the services and runs the benchmark harness (bench/run.py).
# Arguments go to the harness, e.g. `deploy/bench.sh --events 2000000`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$REPO/deploy/build.sh"
"$REPO/deploy/services.sh" up
# `deploy/bench.sh handoff [...]` runs the live partition move with large state instead.
harness="$REPO/bench/run.py"
if [[ "${1:-}" == handoff ]]; then
  harness="$REPO/bench/handoff.py"
  shift
fi
WEIR_BIN="${WEIR_BUILD_DIR:-$REPO/build}/weir" exec "$VENV_DIR/bin/python" "$harness" "$@"
