#!/usr/bin/env bash
# The whole test suite on a fresh machine: install, build, start the real
# services (Kafka, PostgreSQL, MinIO on loopback), run every test with CTest.
# Extra arguments go to ctest, e.g. `deploy/test.sh -L unit` or `-R first_job`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$REPO/deploy/build.sh"
"$REPO/deploy/services.sh" up
BUILD_DIR=${WEIR_BUILD_DIR:-$REPO/build}
# Two at a time (the machine's cores): tests that use the shared services
# hold CTest's RESOURCE_LOCK services, so those run one at a time while unit
# and fuzz tests run beside them. A -j given in the arguments wins.
jobs=(-j 2)
for a in "$@"; do [[ $a == -j* || $a == --parallel* ]] && jobs=(); done
ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 900 "${jobs[@]}" "$@"
