#!/usr/bin/env bash
# The whole test suite on a fresh machine: install, build, start the real
# services (Kafka, PostgreSQL, MinIO on loopback), run every test with CTest.
# Extra arguments go to ctest, e.g. `deploy/test.sh -L unit` or `-R first_job`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$REPO/deploy/build.sh"
"$REPO/deploy/services.sh" up
BUILD_DIR=${WEIR_BUILD_DIR:-$REPO/build}
# Services are shared by the end-to-end tests, so tests run one at a time.
ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 900 "$@"
