#!/usr/bin/env bash
# --verify against plain reading of the same data, and against fio's own verification, paired
# and alternated (as bench/storage.sh): on a fresh tmpfs and on xfs on a loop device attached
# with --direct-io=on, read with O_DIRECT there (so the page cache does not serve the reads).
#   dgen_mpi --input F                 plain read (1 rank x 2 threads)
#   dgen_mpi --input F --verify        read, regenerate, compare
#   fio --rw=read --verify=crc32c      fio reading and checking its own data (written first with
#                                      --verify=crc32c --do_verify=0), 2 jobs x TOTAL/2
# Cells: whole-process seconds/the tool's own GB/s. Ratios: verify / plain and fio / verify of
# the own GB/s (>= 0.9 and <= 1 wanted: verifying costs little, and is not slower than fio's).
# Needs root. Usage: bench/verify.sh [BUILD_DIR] [TOTAL_BYTES] [PAIRS]
set -euo pipefail
build=${1:-build}
total=${2:-$((2 << 30))}
pairs=${3:-6}
bin="$(realpath "$build/src/dgen_mpi")"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
py=/usr/bin/python3
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/targets.sh
. "$here/targets.sh"
make_targets $((2 * total + (1 << 30)))
half=$((total / 2))

cell() {  # command...: seconds/own GB/s
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$work/out.json" 2>/dev/null || true
  t1=$(date +%s.%N)
  "$py" "$here/storage_cell.py" "$t0" "$t1" "$work/out.json"
}

run_target() {  # name dir direct(0|1)
  local dir=$2 d=""
  local fd=""
  if [ "$3" = 1 ]; then d="--direct"; fd="--direct=1"; fi
  "$bin" --size "$total" --threads 2 --output "$dir/dgen.bin" --compress-ratio 2 $d >/dev/null
  fio --name=v --directory="$dir" --rw=write --bs=1M --ioengine=psync --numjobs=2 --size=$half \
    --verify=crc32c --do_verify=0 --verify_state_save=0 $fd >/dev/null
  echo
  echo "== $1: $((total >> 20)) MiB, $pairs pairs; cells: seconds/own GB/s =="
  printf '%-5s %14s %14s %14s %14s %10s\n' pair plain verify fio-verify "verify/plain" "fio/verify"
  local rows=()
  for i in $(seq 1 "$pairs"); do
    local p v f
    if [ $((i % 2)) -eq 1 ]; then
      p=$(cell "$bin" --size "$total" --threads 2 --input "$dir/dgen.bin" --compress-ratio 2 $d --format json)
      v=$(cell "$bin" --size "$total" --threads 2 --input "$dir/dgen.bin" --compress-ratio 2 $d --verify --format json)
      f=$(cell fio --name=v --directory="$dir" --rw=read --bs=1M --ioengine=psync --numjobs=2 --size=$half --verify=crc32c --verify_state_save=0 $fd --group_reporting --output-format=json)
    else
      f=$(cell fio --name=v --directory="$dir" --rw=read --bs=1M --ioengine=psync --numjobs=2 --size=$half --verify=crc32c --verify_state_save=0 $fd --group_reporting --output-format=json)
      v=$(cell "$bin" --size "$total" --threads 2 --input "$dir/dgen.bin" --compress-ratio 2 $d --verify --format json)
      p=$(cell "$bin" --size "$total" --threads 2 --input "$dir/dgen.bin" --compress-ratio 2 $d --format json)
    fi
    rows+=("$p $v $f")
    "$py" -c '
import sys
c = sys.argv[2].split(); g = [float(x.split("/")[1]) for x in c]
print(f"{sys.argv[1]:<5} " + " ".join(f"{x:>14}" for x in c) + f" {g[1]/g[0]:10.3f} {g[2]/g[1]:10.3f}")' "$i" "${rows[-1]}"
  done
  "$py" -c '
import statistics as st, sys
rows = [[float(x.split("/")[1]) for x in r.split()] for r in sys.argv[1:]]
print("median own GB/s: plain {:.2f}, verify {:.2f}, fio verify {:.2f}; verify/plain {:.3f}, fio/verify {:.3f}".format(
    *[st.median(c) for c in zip(*rows)], st.median(r[1]/r[0] for r in rows), st.median(r[2]/r[1] for r in rows)))' "${rows[@]}"
  rm -rf "${dir:?}"/*
}

run_target "tmpfs" "$work/tmpfs" 0
run_target "xfs on loop (--direct-io=on), O_DIRECT" "$work/xfs" 1
