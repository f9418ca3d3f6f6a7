#!/usr/bin/env bash
# One command on a fresh Debian 12: install what is missing, build, and run the main job:
# one MPI rank per NUMA domain, each generating into a buffer on its own domain, timed against
# memset of the same buffer. Arguments go to dgen_mpi (default: --size 1GiB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
bash scripts/build.sh
# Open MPI refuses root unless told; harmless otherwise.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
domains=$(hwloc-calc --number-of numa machine:0 2>/dev/null || echo 1)
[ "$domains" -ge 1 ] 2>/dev/null || domains=1
[ $# -gt 0 ] || set -- --size 1GiB
echo "demo: $domains NUMA domain(s): mpirun --map-by numa --bind-to numa -n $domains dgen_mpi $*"
exec mpirun --map-by numa --bind-to numa -n "$domains" build/src/dgen_mpi "$@"
