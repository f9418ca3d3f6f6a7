# Shared by slurm/scaling.sh and jobs/scaling.sh (sourced): the study's options and its points.

# Sets nodes, layouts, repeats, mode, size, study, wait and extra (dgen_mpi options after --).
study_parse_args() {
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
      -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
      *) echo "$(basename "$0"): unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
  done
  mkdir -p "$study"
  study=$(cd "$study" && pwd)
  printf 'mode=%s size=%s nodes=%s layouts=%s repeats=%s extra=%s\n' "$mode" "$size" "$nodes" \
    "$layouts" "$repeats" "${extra[*]:-}" >"$study/study.txt"
}

# Prints one line per run: nodes ranks_per_node cpus_per_rank bytes_per_rank repeat.
# Weak scaling keeps --size per rank; strong divides it over the ranks.
study_points() {
  local python size_bytes n layout rpn cpt per_rank r
  python=$("$(dirname "${BASH_SOURCE[0]}")/find-python.sh")
  size_bytes=$("$python" "$(dirname "${BASH_SOURCE[0]}")/size.py" "$size")
  for n in $nodes; do
    for layout in $layouts; do
      rpn=${layout%x*} cpt=${layout#*x}
      if [ "$mode" = strong ]; then per_rank=$((size_bytes / (n * rpn))); else per_rank=$size_bytes; fi
      for r in $(seq 1 "$repeats"); do echo "$n $rpn $cpt $per_rank $r"; done
    done
  done
}
