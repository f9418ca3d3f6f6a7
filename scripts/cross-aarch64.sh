#!/usr/bin/env bash
# Arm nodes (Grace, A64FX) from this x86-64 machine: cross-builds the library and its core tests
# with Debian's g++-aarch64-linux-gnu against arm64 multiarch packages into build-aarch64/, and
# runs the golden and kernel-against-reference tests under qemu-aarch64-static at several SVE
# vector lengths, plain SVE (a64fx) and NEON only (ctest label aarch64). Installs what it lacks
# (as root or through sudo); never libopenmpi-dev:arm64, which would remove the host's Open MPI,
# SLURM and munge (its libevent-dev is not Multi-Arch: same), so dgen_mpi itself is not built
# for Arm here.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $sudo dpkg --add-architecture arm64
  $sudo apt-get update -qq
fi
# shellcheck source=scripts/cross-aarch64-packages.sh
source scripts/cross-aarch64-packages.sh
missing=()
for p in "${aarch64_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "cross-aarch64: installing ${missing[*]}"
  $sudo apt-get update -qq
  # --no-remove: should an arm64 package conflict with a host one, fail rather than remove it.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    --no-remove "${missing[@]}" </dev/null
fi
cmake -S . -B build-aarch64 -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DDGEN_BUILD_APP=OFF \
  -DDGEN_BUILD_TESTS=ON -DDGEN_BUILD_BENCH=OFF -DDGEN_BUILD_PYTHON=OFF -DDGEN_INSTALL=OFF >/dev/null
cmake --build build-aarch64 -j "${BUILD_JOBS:-2}"
file build-aarch64/tests/dgen_core_tests | sed 's/, BuildID.*//'
ctest --test-dir build-aarch64 -L aarch64 --output-on-failure
