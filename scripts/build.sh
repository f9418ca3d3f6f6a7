#!/usr/bin/env bash
# Configures and builds dgen-mpi (Release, Ninja) into build/ unless BUILD_DIR says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
# Two jobs: the kernel file compiles for every SIMD target and needs memory.
cmake --build "$build_dir" -j "${BUILD_JOBS:-2}"
