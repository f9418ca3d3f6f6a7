#!/usr/bin/env bash
# One command on a fresh Debian 12: install what is missing, build, and run every test (ctest),
# then the same sources under AddressSanitizer + UBSan (clang) with the fuzzers: the core, cli
# and fuzz labels (CMakePresets.json: asan, test preset asan-ci), then the Arm cross build under
# qemu-user (scripts/cross-aarch64.sh, ctest label aarch64). DGEN_SKIP_ASAN=1 and
# DGEN_SKIP_AARCH64=1 skip those parts for a quick local run. Arguments go to the first ctest.
# Each phase prints its seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
phase() { echo "test.sh: $1 took $((SECONDS - start)) s"; start=$SECONDS; }
start=$SECONDS
bash scripts/setup-debian.sh
phase "setup"
bash scripts/build.sh -DDGEN_BUILD_TESTS=ON
phase "release build"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 900 "$@")
phase "release tests"
if [ "${DGEN_SKIP_ASAN:-0}" != 1 ]; then
  echo "test.sh: the asan preset (clang-14, ASan + UBSan, fuzzers)"
  cmake --preset asan >/dev/null
  cmake --build --preset asan
  phase "asan build"
  ctest --preset asan-ci --timeout 900
  phase "asan tests (core, cli, storage, analyze, fuzz)"
fi
if [ "${DGEN_SKIP_AARCH64:-0}" != 1 ]; then
  bash scripts/cross-aarch64.sh
  phase "aarch64 cross build and qemu tests (label aarch64)"
fi
