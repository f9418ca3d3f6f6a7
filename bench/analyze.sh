#!/usr/bin/env bash
# --analyze's speed, paired and alternated in one run (the machine's noise is shared):
#   1. hashing in cache: XXH3-128 per 4 KiB unit per compiled variant, and the scan at 1 and 6
#      unit sizes with nothing compressed (bench_kernels cache/fingerprint4k, cache/analyze_scan)
#   2. dedup-only analysis of a file on a fresh tmpfs against a plain read of the same file
#      (--analyze F --analyze-units 4KiB --sample 0 vs --input F), 1 rank x 2 threads
#   3. the compression pass per core (--analyze at one unit size, 1 thread, every unit and chunk
#      compressed by zstd-3, lz4 and zlib-6) next to `zstd -3 -T1` on the same file
#   4. ranks: 1 x 2 threads against 2 ranks x 1 thread, dedup only
# Needs root (the tmpfs). Usage: bench/analyze.sh [BUILD_DIR] [BYTES] [PAIRS]
set -euo pipefail
build=${1:-build}
total=${2:-$((4 << 30))}
pairs=${3:-5}
bin="$(realpath "$build/src/dgen_mpi")"
kernels="$(realpath "$build/bench/dgen_bench_kernels")"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
py=/usr/bin/python3
work=$(mktemp -d /var/tmp/dgen-bench-analyze-XXXXXX)
cleanup() {
  umount "$work/tmpfs" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/tmpfs"
mount -t tmpfs -o size=$((total + (1 << 30))) tmpfs "$work/tmpfs"
f="$work/tmpfs/data.bin"
"$bin" --size "$total" --threads 2 --dedup-ratio 2 --compress-ratio 2 --output "$f" >/dev/null

echo "== 1. in cache, one core"
"$kernels" --benchmark_filter='cache/(fingerprint4k|analyze_scan)' --benchmark_min_time=0.3 \
  2>/dev/null | grep -E '^cache/'

gbps() {  # JSON file: the analysis's or the read's aggregate GB/s
  "$py" -c 'import json,sys; j=json.load(open(sys.argv[1])); a=j.get("analyze"); print("%.2f" % (a["gbps"] if a else j["summary"]["aggregate_gbps"]["max"]))' "$1"
}

echo
echo "== 2. tmpfs, $((total >> 20)) MiB, 1 rank x 2 threads; GB/s"
printf '%-5s %10s %14s %8s\n' pair read analyze "ratio"
ratios=()
for i in $(seq 1 "$pairs"); do
  read_cmd=("$bin" --size "$total" --threads 2 --dedup-ratio 2 --compress-ratio 2 --input "$f" --format json)
  an_cmd=("$bin" --threads 2 --analyze "$f" --analyze-units 4KiB --sample 0 --format json)
  if [ $((i % 2)) -eq 1 ]; then
    "${read_cmd[@]}" >"$work/r.json"; "${an_cmd[@]}" >"$work/a.json"
  else
    "${an_cmd[@]}" >"$work/a.json"; "${read_cmd[@]}" >"$work/r.json"
  fi
  r=$(gbps "$work/r.json"); a=$(gbps "$work/a.json")
  q=$("$py" -c "print('%.3f' % ($a / $r))")
  ratios+=("$q")
  printf '%-5s %10s %14s %8s\n' "$i" "$r" "$a" "$q"
done
"$py" -c 'import statistics,sys; print("median analyze/read: %.3f" % statistics.median(map(float, sys.argv[1:])))' "${ratios[@]}"

echo
small=$((256 << 20))
head -c "$small" "$f" >"$work/tmpfs/small.bin"
echo "== 3. compression per core, $((small >> 20)) MiB"
for i in 1 2 3; do
  "$bin" --threads 1 --analyze "$work/tmpfs/small.bin" --analyze-units 128KiB --format json >"$work/c.json"
  t0=$(date +%s.%N); zstd -3 -T1 -q -c "$work/tmpfs/small.bin" >/dev/null; t1=$(date +%s.%N)
  "$py" - "$work/c.json" "$t0" "$t1" "$small" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["analyze"]
n = int(sys.argv[4])
# Each byte is compressed 6 times: 3 compressors x (its 128 KiB unit, its 1 MiB chunk).
z = a["compressor_seconds"]
print("analyze, one core, MB/s compressed: zstd-3 %.0f, lz4 %.0f, zlib-6 %.0f;"
      " the whole pass %.0f MB/s of data; zstd -3 -T1 (CLI) %.0f MB/s"
      % (2 * n / z["zstd"] / 1e6, 2 * n / z["lz4"] / 1e6, 2 * n / z["zlib"] / 1e6,
         n / a["compress_seconds"] / 1e6, n / (float(sys.argv[3]) - float(sys.argv[2])) / 1e6))
EOF
done

echo
echo "== 4. ranks x threads, dedup only, $((total >> 20)) MiB; GB/s"
for i in 1 2 3; do
  "$bin" --threads 2 --analyze "$f" --analyze-units 4KiB --sample 0 --format json >"$work/a.json"
  mpirun --oversubscribe -n 2 "$bin" --threads 1 --analyze "$f" --analyze-units 4KiB --sample 0 --format json >"$work/b.json"
  echo "1x2 $(gbps "$work/a.json")   2x1 $(gbps "$work/b.json")"
done
