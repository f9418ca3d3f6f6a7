#!/usr/bin/env bash
# A real one-node SLURM cluster on this machine, for the tests: munged, slurmctld and slurmd
# started in the foreground under setsid (their PIDs are known), from a configuration written to
# DIR. Every wait is bounded; a daemon that does not come up is reported with its log.
#
#   cluster.sh start DIR [real|hbv5]   real: the node as slurmd -C sees it; hbv5: declared as
#                                      16 sockets x 23 cores (task/none, config_overrides) so
#                                      that HBv5-shaped jobs run on this small machine
#   cluster.sh env DIR                 prints the environment for client commands
#   cluster.sh stop DIR                scancel, stop the daemons, check they are gone
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cmd=$1
dir=$2
shape=${3:-real}

port_base() {  # a port pair from the directory name, so parallel clusters do not collide
  echo $((20000 + $(echo "$dir" | cksum | cut -d' ' -f1) % 20000))
}

client_env() {
  echo "export SLURM_CONF=$dir/slurm.conf"
}


show_logs() {
  for f in "$dir"/log/*.log; do
    [ -f "$f" ] && { echo "---- $f" >&2; tail -n 30 "$f" >&2; }
  done
}

start() {
  mkdir -p "$dir"/{log,spool,state,run}
  start_munged "$dir" || { show_logs; return 1; }

  local host base node
  host=$(hostname -s)
  base=$(port_base)
  case $shape in
    real) node=$(slurmd -C | head -n 1 | sed 's/ UpTime=.*//') ;;
    hbv5) node="NodeName=$host CPUs=368 Boards=1 SocketsPerBoard=16 CoresPerSocket=23 ThreadsPerCore=1 RealMemory=1024" ;;
    *) echo "cluster.sh: unknown shape $shape" >&2; return 2 ;;
  esac
  local task=task/affinity overrides=""
  if [ "$shape" = hbv5 ]; then task=task/none; overrides="SlurmdParameters=config_overrides"; fi
  cat >"$dir/slurm.conf" <<CONF
ClusterName=dgentest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$base
SlurmdPort=$((base + 1))
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CryptoType=crypto/munge
MpiDefault=pmix
ProctrackType=proctrack/linuxproc
TaskPlugin=$task
$overrides
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SchedulerType=sched/backfill
InactiveLimit=0
KillWait=5
MinJobAge=300
$node State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  export SLURM_CONF=$dir/slurm.conf
  setsid slurmctld -D -i -f "$dir/slurm.conf" >"$dir/log/slurmctld.out" 2>&1 </dev/null &
  echo $! >"$dir/run/slurmctld.launcher.pid"
  setsid slurmd -D -f "$dir/slurm.conf" >"$dir/log/slurmd.out" 2>&1 </dev/null &
  echo $! >"$dir/run/slurmd.launcher.pid"
  node_idle() { sinfo -h -o '%t' 2>/dev/null | grep -qx idle; }
  wait_for 30 "the node to be idle in sinfo" node_idle || { sinfo 2>&1 >&2 || true; show_logs; return 1; }
  echo "cluster.sh: up ($shape): $(sinfo -h -o '%N %c CPUs %t')"
}

stop() {
  export SLURM_CONF=$dir/slurm.conf
  scancel --full --quiet --user=root 2>/dev/null || true
  local f pid
  for f in slurmd slurmctld munged; do
    [ -f "$dir/run/$f.launcher.pid" ] || continue
    pid=$(cat "$dir/run/$f.launcher.pid")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for f in slurmd slurmctld munged; do
    [ -f "$dir/run/$f.launcher.pid" ] || continue
    pid=$(cat "$dir/run/$f.launcher.pid")
    wait_for 15 "$f (pid $pid) to stop" bash -c "! kill -0 $pid" || { kill -KILL "$pid" 2>/dev/null || true; }
    if kill -0 "$pid" 2>/dev/null; then echo "cluster.sh: $f (pid $pid) still running" >&2; return 1; fi
  done
  echo "cluster.sh: stopped"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  env) client_env ;;
  *) echo "usage: cluster.sh start|stop|env DIR [real|hbv5]" >&2; exit 2 ;;
esac
