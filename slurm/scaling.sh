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
# Environment: DGEN_BIN, DGEN_LAUNCHER, DGEN_SBATCH_ARGS (extra sbatch options, e.g. -p, -A),
# DGEN_PYTHON (a python3 with matplotlib; found automatically otherwise).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=study-common.sh
source "$here/study-common.sh"
study_parse_args "$@"
python=$("$here/find-python.sh")
ids=()
while read -r n rpn cpt per_rank r; do
  # shellcheck disable=SC2086
  id=$(DGEN_RESULTS="$study" DGEN_ARGS="--size $per_rank ${extra[*]:-}" \
    sbatch --parsable --nodes="$n" --ntasks-per-node="$rpn" --cpus-per-task="$cpt" \
      --job-name="dgen-${mode}-${n}n-${rpn}x${cpt}-r$r" --output="$study/slurm-%j.out" \
      --export=ALL ${DGEN_SBATCH_ARGS:-} "$here/dgen.sbatch" </dev/null)
  id=${id%%;*}
  ids+=("$id")
  echo "submitted $id: $n node(s), ${rpn}x${cpt}, repeat $r, --size $per_rank"
done < <(study_points)
printf '%s\n' "${ids[@]}" >"$study/jobs.txt"
after="afterany:$(IFS=:; echo "${ids[*]}")"
if [ "$wait" = 1 ]; then
  # Block until every job has left the queue, then collect here.
  # shellcheck disable=SC2086
  sbatch --wait --dependency="$after" --output=/dev/null --job-name=dgen-wait ${DGEN_SBATCH_ARGS:-} \
    --wrap=true >/dev/null
  "$python" "$here/collect.py" "$study"
else
  # shellcheck disable=SC2086
  sbatch --parsable --dependency="$after" --job-name=dgen-collect --output="$study/collect-%j.out" \
    ${DGEN_SBATCH_ARGS:-} --wrap="'$python' '$here/collect.py' '$study'"
  echo "collector queued; results in $study"
fi
