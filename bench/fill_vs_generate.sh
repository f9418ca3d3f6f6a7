#!/usr/bin/env bash
# dgen_mpi's generation against an independent fill in a process of its own
# (bench/fill_reference.c: OpenMP, mmap, glibc memset and SSE2 streaming stores, no MPI, no
# hwloc, no dgen code), whole processes alternated so that both see the same machine state.
# dgen_mpi's own in-process baselines share whatever the program does to its buffer and team;
# this reference does not. Prints each pair and the median ratios. Usage:
#   bench/fill_vs_generate.sh [BUILD_DIR] [THREADS] [SIZE_BYTES] [PAIRS] [-- dgen_mpi options]
set -euo pipefail
build=${1:-build}
threads=${2:-2}
size=${3:-$((1 << 30))}
pairs=${4:-7}
shift $(($# < 4 ? $# : 4))
[ "${1:-}" = "--" ] && shift
bin="$build/src/dgen_mpi"
ref="$build/bench/dgen_fill_reference"
[ -x "$ref" ] || { echo "fill_vs_generate.sh: $ref is missing (build the bench/ targets)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
gen() {
  "$bin" --size "$size" --threads "$threads" --iterations 5 --format json "$@" |
    python3 -c 'import json,sys; j=json.load(sys.stdin); b=j["baseline"];
print(j["summary"]["aggregate_gbps"]["max"], b["memset_gbps"], b["streaming_gbps"])'
}
printf '%-5s %10s %12s %12s | %12s %12s | %9s %9s\n' pair generate "memset(in)" "stream(in)" \
  "memset(ref)" "stream(ref)" "gen/ref" "in/ref"
ratios=()
inside=()
for i in $(seq 1 "$pairs"); do
  read -r g m s < <(gen "$@")
  read -r rm rs < <("$ref" "$size" "$threads" 5 | awk '{print $3}' | paste -sd' ')
  best_ref=$(python3 -c "print(max($rm, $rs))")
  r=$(python3 -c "print(f'{$g / $best_ref:.3f}')")
  q=$(python3 -c "print(f'{max($m, $s) / $best_ref:.3f}')")
  ratios+=("$r")
  inside+=("$q")
  printf '%-5s %10.2f %12.2f %12.2f | %12.2f %12.2f | %9s %9s\n' "$i" "$g" "$m" "$s" "$rm" "$rs" \
    "$r" "$q"
done
python3 -c "import statistics,sys; a=sys.argv[1:]; n=len(a)//2
print('median generate / best reference fill:', statistics.median(map(float, a[:n])))
print('median in-process best baseline / best reference fill:', statistics.median(map(float, a[n:])))" \
  "${ratios[@]}" "${inside[@]}"
