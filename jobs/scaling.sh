#!/usr/bin/env bash
# A scaling study with PBS Pro / OpenPBS: the same run at several node counts and layouts,
# repeated, then a dependent job collects one CSV and PNG plots (slurm/collect.py).
#
#   jobs/scaling.sh --nodes "1 2 4 8" --repeats 3 --weak --size 8GiB
#   jobs/scaling.sh --nodes 1 --layouts "1x368 16x23" --strong --size 1TiB -- --dedup-ratio 2
#
# Options as slurm/scaling.sh: --nodes, --layouts "RANKSxCPUS" per node, --repeats, --weak |
# --strong, --size, --study DIR. Environment: DGEN_BIN, DGEN_QSUB_ARGS (e.g. -q, -A).
# Each run is `qsub -l select=N:ncpus=R*C:mpiprocs=R jobs/dgen.pbs`; the collector waits for
# them all with -W depend=afterany:ID:ID:...
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
slurm_dir=$(cd "$here/../slurm" && pwd)
# shellcheck source=../slurm/study-common.sh
source "$slurm_dir/study-common.sh"
study_parse_args "$@"
ids=()
while read -r n rpn cpt per_rank r; do
  # shellcheck disable=SC2086
  id=$(qsub -N "dgen-${mode}-${n}n-${rpn}x${cpt}-r$r" -l "select=$n:ncpus=$((rpn * cpt)):mpiprocs=$rpn" \
    -v "DGEN_RESULTS=$study,DGEN_ARGS=--size $per_rank ${extra[*]:-}${DGEN_BIN:+,DGEN_BIN=$DGEN_BIN}" \
    ${DGEN_QSUB_ARGS:-} "$here/dgen.pbs" </dev/null)
  ids+=("$id")
  echo "submitted $id: $n node(s), ${rpn}x${cpt}, repeat $r, --size $per_rank"
done < <(study_points)
printf '%s\n' "${ids[@]}" >"$study/jobs.txt"
# shellcheck disable=SC2086
qsub -W "depend=afterany:$(IFS=:; echo "${ids[*]}")" -v "DGEN_STUDY=$study,DGEN_SCRIPTS=$slurm_dir" \
  ${DGEN_QSUB_ARGS:-} "$here/collect.pbs"
echo "collector queued; results in $study"
