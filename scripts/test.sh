#!/usr/bin/env bash
# One command on a fresh Debian 12: install what is missing, build, and run every test (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
bash scripts/build.sh -DDGEN_BUILD_TESTS=ON
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 900 "$@"
