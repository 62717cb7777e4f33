#!/usr/bin/env bash
# Configures and builds weir into $WEIR_BUILD_DIR (default build/), two jobs at a
# time: CAF-heavy translation units need about 1 GB of memory each.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD_DIR=${WEIR_BUILD_DIR:-$REPO/build}
"$REPO/deploy/setup.sh"
if [[ ! -f $BUILD_DIR/build.ninja ]]; then
  cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWEIR_PYTHON="$VENV_DIR/bin/python" "$@" >/dev/null
fi
log "building weir in $BUILD_DIR"
cmake --build "$BUILD_DIR" -j 2
