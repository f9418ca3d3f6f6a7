#!/usr/bin/env bash
# dgen_mpi's write path against fio and dd, as whole processes, paired and alternated so that
# all see the same machine state (tmpfs throughput on shared VMs swings 2-3x between runs):
#   - tmpfs (a fresh mount of its own), page cache writes;
#   - xfs on a loop device with --direct-io=on (so O_DIRECT really bypasses the host's page
#     cache), written with O_DIRECT by every tool.
# dgen_mpi runs as 1 rank x 2 threads and as 2 ranks x 1 thread; fio as
#   fio --rw=write --bs=1M --ioengine=psync --refill_buffers=1 --numjobs=2 --group_reporting
#       --end_fsync=1 [--direct=1]
# (random data refilled per write, as dgen_mpi generates per transfer); dd writes zeros from
# one process: the path's cost without any data generation. Every run writes TOTAL bytes and
# flushes them (dgen_mpi --fsync on, fio --end_fsync=1, dd conv=fsync).
#
# Each cell is "whole-process seconds/the tool's own GB/s" (dgen_mpi's aggregate with the flush;
# fio's bw; dd none). dgen_mpi's seconds include MPI_Init (0.2-0.4 s here), which fio does not
# have. The ratio columns are fio's seconds / dgen_mpi's (> 1: dgen_mpi is faster), and the
# medians are over the pairs. A first untimed round warms each fresh mount up.
#
# Then the write path against generation in cache: --output /dev/null at three transfer sizes
# beside the kernel's in-cache rate (dgen_bench_kernels) times the threads.
#
# Needs root (mount, losetup). Usage:
#   bench/storage.sh [BUILD_DIR] [TOTAL_BYTES] [PAIRS]
set -euo pipefail
build=${1:-build}
total=${2:-$((2 << 30))}
pairs=${3:-8}
bin="$(realpath "$build/src/dgen_mpi")"
kernels="$(realpath "$build/bench/dgen_bench_kernels")"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
py=/usr/bin/python3
here="$(cd "$(dirname "$0")" && pwd)"

# shellcheck source=bench/targets.sh
. "$here/targets.sh"
make_targets $((total + total / 2 + (512 << 20)))

half=$((total / 2))
mib=$((total >> 20))

# The command of each tool; DIR is the target directory, EXTRA its O_DIRECT option.
command_of() {  # tool dir direct(0|1)
  local d=$3
  case $1 in
    dgen-1x2) echo "$bin --size $total --threads 2 --output $2/dgen.bin --format json$([ "$d" = 1 ] && echo ' --direct')" ;;
    dgen-2x1) echo "mpirun -n 2 --oversubscribe $bin --size $half --threads 1 --output $2/dgen.bin --format json$([ "$d" = 1 ] && echo ' --direct')" ;;
    fio) echo "fio --name=w --directory=$2 --rw=write --bs=1M --ioengine=psync --refill_buffers=1 --numjobs=2 --group_reporting --end_fsync=1 --size=$half --output-format=json$([ "$d" = 1 ] && echo ' --direct=1')" ;;
    dd) echo "dd if=/dev/zero of=$2/dd.bin bs=1M count=$mib conv=fsync$([ "$d" = 1 ] && echo ' oflag=direct')" ;;
  esac
}

run_one() {  # tool dir direct: prints "seconds/own-GB/s", then empties the directory
  local t0 t1
  t0=$(date +%s.%N)
  # shellcheck disable=SC2046
  $(command_of "$1" "$2" "$3") >"$work/out.json" 2>/dev/null
  t1=$(date +%s.%N)
  rm -rf "${2:?}"/*
  sync
  "$py" "$here/storage_cell.py" "$t0" "$t1" "$work/out.json"
}

run_target() {  # name dir direct
  echo
  echo "== $1: $((total >> 20)) MiB per run, $pairs pairs; cells: seconds/own GB/s =="
  for tool in dgen-1x2 dgen-2x1 fio dd; do run_one "$tool" "$2" "$3" >/dev/null; done
  printf '%-5s %14s %14s %14s %14s %8s %8s\n' pair dgen-1x2 dgen-2x1 fio dd "fio/1x2" "fio/2x1"
  local rows=()
  for i in $(seq 1 "$pairs"); do
    local order=(dgen-1x2 dgen-2x1 fio dd)
    [ $((i % 2)) -eq 0 ] && order=(fio dd dgen-2x1 dgen-1x2)
    declare -A t=()
    for tool in "${order[@]}"; do t[$tool]=$(run_one "$tool" "$2" "$3"); done
    rows+=("${t[dgen-1x2]} ${t[dgen-2x1]} ${t[fio]} ${t[dd]}")
    "$py" "$here/storage_cell.py" --row "$i" "${rows[-1]}"
  done
  "$py" "$here/storage_cell.py" --summary "$total" "${rows[@]}"
}

run_target "tmpfs" "$work/tmpfs" 0
run_target "xfs on loop (--direct-io=on), O_DIRECT" "$work/xfs" 1

echo
echo "== the write path against generation in cache (2 threads, --output /dev/null) =="
incache=$("$kernels" --benchmark_filter='^cache/generate/[^/]*/4096$' --benchmark_format=json \
  --benchmark_min_time=0.3 2>/dev/null | "$py" -c '
import json, sys
print(max(x["bytes_per_second"] for x in json.load(sys.stdin)["benchmarks"]) / 1e9)')
echo "in-cache generation, one thread (best target, 4 KiB units): $incache GB/s"
for transfer in 256KiB 1MiB 16MiB; do
  best=0
  for i in 1 2 3; do
    g=$("$bin" --size $((8 << 30)) --threads 2 --transfer "$transfer" --output /dev/null \
      --fsync off --iterations 3 --format json | "$py" -c '
import json, sys
print(json.load(sys.stdin)["summary"]["aggregate_gbps"]["max"])')
    best=$("$py" -c "print(max($best, $g))")
  done
  "$py" -c "print(f'--output /dev/null --transfer $transfer: best of 3 runs {$best:.2f} GB/s = {$best / ($incache * 2):.3f} x (in-cache rate x 2 threads)')"
done
