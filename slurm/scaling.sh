#!/usr/bin/env bash
# A scaling study with SLURM: the same dgen_mpi run at several node counts (and, on one node,
# several rank x thread layouts of the same cores), repeated, then one CSV and PNG plots.
#
#   slurm/scaling.sh --nodes "1 2 4 8" --repeats 3 --weak --size 8GiB
#   slurm/scaling.sh --nodes "1 2 4" --strong --size 1TiB          (total, divided over ranks)
#   slurm/scaling.sh --nodes 1 --layouts "1x368 2x184 4x92 8x46 16x23"   (ranks x cpus per node)
#   ... -- --dedup-ratio 2 --compress-ratio 3                         (more dgen_mpi options)
#
# Options:
#   --nodes "N..."      node counts (default "1 2 4")
#   --layouts "RxC..."  ranks per node x cpus per rank (default "16x23", HBv5)
#   --repeats K         runs per point (default 3)
#   --weak | --strong   same --size per rank (default) | the same total size divided over ranks
#   --size SIZE         per rank (weak) or in total (strong); default 8GiB
#   --study DIR         results directory (default results/study-YYYYmmdd-HHMMSS)
#   --wait              wait for the jobs and collect here (otherwise a dependent job collects)
# Environment: DGEN_BIN, DGEN_LAUNCHER, DGEN_SBATCH_ARGS (extra sbatch options, e.g. -p, -A).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
nodes="1 2 4" layouts="16x23" repeats=3 mode=weak size=8GiB wait=0
study=results/study-$(date +%Y%m%d-%H%M%S)
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) nodes=$2; shift 2 ;;
    --layouts) layouts=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --weak) mode=weak; shift ;;
    --strong) mode=strong; shift ;;
    --size) size=$2; shift 2 ;;
    --study) study=$2; shift 2 ;;
    --wait) wait=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "scaling.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$study"
study=$(cd "$study" && pwd)
# Sizes as dgen_mpi reads them: K..E and KiB..EiB are powers of 1024, KB..EB of 1000.
size_bytes=$(python3 - "$size" <<'PY'
import re, sys
m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(?:([kmgtpe])(i?)(b?))?\s*", sys.argv[1], re.I)
if not m or (m.group(2) and m.group(4) == "" and m.group(3)):
    sys.exit("scaling.sh: --size " + sys.argv[1] + ": not a size such as 8GiB, 100GB or 4096")
number, prefix, binary, b = m.groups()
power = "kmgtpe".index(prefix.lower()) + 1 if prefix else 0
base = 1000 if (prefix and b and not binary) else 1024
print(int(float(number) * base ** power))
PY
)
printf 'mode=%s size=%s nodes=%s layouts=%s repeats=%s extra=%s\n' "$mode" "$size" "$nodes" \
  "$layouts" "$repeats" "${extra[*]:-}" >"$study/study.txt"
ids=()
for n in $nodes; do
  for layout in $layouts; do
    rpn=${layout%x*} cpt=${layout#*x}
    ranks=$((n * rpn))
    if [ "$mode" = strong ]; then per_rank=$((size_bytes / ranks)); else per_rank=$size_bytes; fi
    for r in $(seq 1 "$repeats"); do
      # shellcheck disable=SC2086
      id=$(DGEN_RESULTS="$study" DGEN_ARGS="--size $per_rank ${extra[*]:-}" \
        sbatch --parsable --nodes="$n" --ntasks-per-node="$rpn" --cpus-per-task="$cpt" \
          --job-name="dgen-${mode}-${n}n-${layout}-r$r" --output="$study/slurm-%j.out" \
          --export=ALL ${DGEN_SBATCH_ARGS:-} "$here/dgen.sbatch")
      id=${id%%;*}
      ids+=("$id")
      echo "submitted $id: $n node(s), $layout, repeat $r, --size $per_rank"
    done
  done
done
printf '%s\n' "${ids[@]}" >"$study/jobs.txt"
if [ "$wait" = 1 ]; then
  # Block until every job has left the queue, then collect here.
  # shellcheck disable=SC2086
  srun_wait=$(IFS=:; echo "${ids[*]}")
  sbatch --wait --dependency="afterany:$srun_wait" --output=/dev/null --wrap=true ${DGEN_SBATCH_ARGS:-} >/dev/null
  python3 "$here/collect.py" "$study"
else
  # shellcheck disable=SC2086
  sbatch --parsable --dependency="afterany:$(IFS=:; echo "${ids[*]}")" --job-name=dgen-collect \
    --output="$study/collect-%j.out" ${DGEN_SBATCH_ARGS:-} --wrap="python3 '$here/collect.py' '$study'"
  echo "collector queued; results in $study"
fi
