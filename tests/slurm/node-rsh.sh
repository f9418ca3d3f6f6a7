#!/usr/bin/env bash
# Open MPI's plm_rsh_agent for the namespace cluster: instead of ssh, enter the target node's
# namespaces and cpuset (tests/slurm/multinode.sh) and run the command there.
#   node-rsh.sh HOST COMMAND...      (DGEN_CLUSTER_DIR names the cluster's directory)
set -euo pipefail
dir=${DGEN_CLUSTER_DIR:?}
host=$1
shift
exec bash "$(dirname "$0")/multinode.sh" exec "$dir" "$host" /bin/sh -c "$*"
