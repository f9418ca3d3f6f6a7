#!/usr/bin/env bash
# A real multi-node SLURM cluster on this one machine, made of Linux namespaces, for the tests.
#
#   multinode.sh up DIR NODES [own|shared]   own: node i gets core i-1 alone (cgroup cpuset),
#                                            shared: every node gets all cores
#   multinode.sh exec DIR NODE CMD...        run CMD inside a node (head, node1, node2, ...)
#   multinode.sh down DIR                    stop everything, remove namespaces, route, cgroups;
#                                            fails if anything is left behind
#
# Each node is a network + UTS (hostname) namespace joined by a veth pair to a bridge in the
# `head` namespace, where slurmctld runs (its hostname is SlurmctldHost). One slurmd -N nodeI per
# node namespace, with NodeAddr (no name resolution), its own spool, pid and log paths (%n).
# munged runs once; every namespace reaches it through its socket path. The filesystem is shared,
# like NFS. Each node's processes sit in a cgroup-v1 cpuset (hwloc and Open MPI respect it).
#
# Network safety: the namespaces use one private /24 that exists only inside them, with no
# default route; while the cluster is up the root namespace has an `unreachable` route for that
# /24, so a client run outside the namespaces by mistake fails at once instead of sending
# packets off the machine. Every SLURM client command runs inside a cluster namespace.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cmd=$1
dir=$2

SUBNET_PREFIX=10.231.7
SUBNET=$SUBNET_PREFIX.0/24
CPUSET_ROOT=/sys/fs/cgroup/cpuset

tag() { cat "$dir/tag"; }
holder_pid() { cat "$dir/run/holder-$1.pid"; }

# Runs a command in a node's namespaces and cpuset.
in_node() {
  local node=$1
  shift
  local pid
  pid=$(holder_pid "$node")
  # Join the node's cpuset first (children inherit it), then its network and UTS namespaces.
  # --wd: entering a mount namespace would otherwise start in its root directory.
  bash -c 'echo $$ > "$0/tasks" && exec nsenter -t "$1" -n -u -m --wd="$PWD" -- "${@:2}"' \
    "$CPUSET_ROOT/$(tag)-$node" "$pid" "$@"
}


# A namespace holder: a process that lives in the node's network namespace with its own UTS
# namespace and hostname, so that others can enter both.
make_node() {
  local node=$1 addr=$2 cpus=$3 t
  t=$(tag)
  ip netns add "$t-$node"
  mkdir -p "$CPUSET_ROOT/$t-$node"
  echo "$cpus" >"$CPUSET_ROOT/$t-$node/cpuset.cpus"
  cat "$CPUSET_ROOT/cpuset.mems" >"$CPUSET_ROOT/$t-$node/cpuset.mems"
  # Its own mount namespace too, to give the node its own TmpFS directory (below) and an
  # /etc/hosts that names the cluster's hosts, without touching the machine's.
  mkdir -p "$dir/tmp" "$dir/tmp-$node"
  # nsenter --net rather than `ip netns exec`, which remounts /sys and would hide the cgroups.
  mkdir -p "$dir/spool/$node"
  bash -c 'echo $$ > "$0/tasks" && exec nsenter --net="/run/netns/$1" -- unshare --uts --mount -- sh -c "hostname $2; mount --bind $3 $4; mount --bind $5 /etc/hosts; exec sleep 2147483647"' \
    "$CPUSET_ROOT/$t-$node" "$t-$node" "$node" "$dir/tmp-$node" "$dir/tmp" "$dir/hosts" </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/run/holder-$node.pid"
  wait_for 5 "the $node namespace holder" bash -c '[ "$(nsenter -t "$0" -u hostname)" = "$1" ]' "$!" "$node"
  ip netns exec "$t-$node" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$t-$node" ip link set lo up
  if [ "$node" = head ]; then
    ip netns exec "$t-head" ip link add br0 type bridge
    ip netns exec "$t-head" ip addr add "$addr/24" dev br0
    ip netns exec "$t-head" ip link set br0 up
  else
    ip link add "$t-$node" type veth peer name eth0 netns "$t-$node"
    ip link set "$t-$node" netns "$t-head"
    ip netns exec "$t-head" ip link set "$t-$node" master br0 up
    ip netns exec "$t-$node" ip addr add "$addr/24" dev eth0
    ip netns exec "$t-$node" ip link set eth0 up
  fi
}

up() {
  local nodes=$1 sharing=${2:-own} i cpus ncores t host_cpus
  mkdir -p "$dir"/{log,state,run,spool,tmp}
  # Names must stay short (interface names are at most 15 characters): dgN plus a counter.
  echo "dg$(( $(echo "$dir" | cksum | cut -d' ' -f1) % 10000 ))" >"$dir/tag"
  t=$(tag)
  echo "$nodes" >"$dir/nodes"
  {
    echo "127.0.0.1 localhost"
    echo "$SUBNET_PREFIX.1 head"
    for i in $(seq 1 "$nodes"); do echo "$SUBNET_PREFIX.$((10 + i)) node$i"; done
  } >"$dir/hosts"
  # replace, not add: a run that died without its teardown may have left the route.
  ip route replace unreachable "$SUBNET"
  echo yes >"$dir/run/route"
  host_cpus=$(cat $CPUSET_ROOT/cpuset.cpus)
  ncores=$(nproc --all)
  make_node head "$SUBNET_PREFIX.1" "$host_cpus"
  for i in $(seq 1 "$nodes"); do
    if [ "$sharing" = shared ]; then cpus=$host_cpus; else cpus=$(((i - 1) % ncores)); fi
    make_node "node$i" "$SUBNET_PREFIX.$((10 + i))" "$cpus"
  done

  start_munged "$dir"

  local cpus_per_node=1
  [ "$sharing" = shared ] && cpus_per_node=$ncores
  {
    echo "ClusterName=dgenmulti"
    echo "SlurmctldHost=head($SUBNET_PREFIX.1)"
    echo "SlurmUser=root"
    echo "SlurmdUser=root"
    echo "SlurmctldPort=6817"
    echo "SlurmdPort=6818"
    echo "AuthType=auth/munge"
    echo "AuthInfo=socket=$dir/munge/munge.socket"
    echo "CryptoType=crypto/munge"
    echo "MpiDefault=pmix"
    echo "ProctrackType=proctrack/linuxproc"
    # Binding comes from each node's cpuset; task/affinity would bind to the node's logical
    # cpu 0, which node2's cpuset does not hold.
    echo "TaskPlugin=task/none"
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_Core"
    echo "StateSaveLocation=$dir/state"
    echo "SlurmdSpoolDir=$dir/spool/%n"
    echo "SlurmctldPidFile=$dir/run/slurmctld.pid"
    echo "SlurmdPidFile=$dir/run/slurmd-%n.pid"
    echo "SlurmctldLogFile=$dir/log/slurmctld.log"
    echo "SlurmdLogFile=$dir/log/slurmd-%n.log"
    # TmpFS does not expand %n in 22.05, and the PMIx plugin makes per-step directories there
    # that would collide between nodes: each node's mount namespace binds its own directory
    # (tmp-nodeI) over this one path.
    echo "TmpFS=$dir/tmp"
    echo "JobAcctGatherType=jobacct_gather/none"
    echo "AccountingStorageType=accounting_storage/none"
    echo "JobCompType=jobcomp/none"
    echo "ReturnToService=2"
    echo "InactiveLimit=0"
    echo "KillWait=5"
    echo "MinJobAge=300"
    for i in $(seq 1 "$nodes"); do
      echo "NodeName=node$i NodeAddr=$SUBNET_PREFIX.$((10 + i)) CPUs=$cpus_per_node RealMemory=1000 State=UNKNOWN"
    done
    echo "PartitionName=debug Nodes=node[1-$nodes] Default=YES MaxTime=INFINITE State=UP"
  } >"$dir/slurm.conf"
  export SLURM_CONF=$dir/slurm.conf

  in_node head setsid slurmctld -D -i -f "$dir/slurm.conf" >"$dir/log/slurmctld.out" 2>&1 </dev/null &
  echo $! >"$dir/run/slurmctld.launcher.pid"
  for i in $(seq 1 "$nodes"); do
    local extra=()
    # For the test of a node that does not come up: a slurmd that cannot start.
    [ "${DGEN_CLUSTER_BREAK:-}" = "node$i" ] && extra=(-Z --bogus-option)
    in_node "node$i" setsid slurmd -D -N "node$i" -f "$dir/slurm.conf" "${extra[@]}" \
      >"$dir/log/slurmd-node$i.out" 2>&1 </dev/null &
    echo $! >"$dir/run/slurmd-node$i.launcher.pid"
  done
  if ! wait_for 40 "every node to be idle" nodes_settled || ! all_idle; then
    report_nodes >&2
    return 1
  fi
  echo "multinode.sh: up: $nodes node(s), $sharing cores: $(in_node head sinfo -h -N -o '%N:%t:%c' | paste -sd' ')"
}

# Every node idle or its slurmd gone (no use waiting for that one): the others are waited for,
# so that a node slow to register under load is not reported as down with the broken one.
nodes_settled() {
  local i nodes state
  nodes=$(cat "$dir/nodes")
  for i in $(seq 1 "$nodes"); do
    kill -0 "$(cat "$dir/run/slurmd-node$i.launcher.pid")" 2>/dev/null || continue
    state=$(in_node head sinfo -h -n "node$i" -o '%t' 2>/dev/null) || return 1
    [ "$state" = idle ] || return 1
  done
}

all_idle() {
  local states
  states=$(in_node head sinfo -h -N -o '%t' 2>/dev/null) || return 1
  [ -n "$states" ] && ! echo "$states" | grep -qv '^idle$'
}

# Says which node did not come up and why: its state and the end of its slurmd logs.
report_nodes() {
  local i nodes state
  nodes=$(cat "$dir/nodes")
  for i in $(seq 1 "$nodes"); do
    state=$(in_node head sinfo -h -n "node$i" -o '%t' 2>/dev/null || echo unknown)
    [ "$state" = idle ] && continue
    echo "multinode.sh: node$i is not up (state: ${state:-unknown}); its slurmd log:"
    tail -n 20 "$dir/log/slurmd-node$i.out" "$dir/log/slurmd-node$i.log" 2>/dev/null | sed 's/^/    /'
  done
}

down() {
  local t left=0 f pid node
  [ -f "$dir/tag" ] || return 0
  t=$(tag)
  if [ -f "$dir/run/holder-head.pid" ]; then
    SLURM_CONF=$dir/slurm.conf in_node head scancel --full --quiet --user=root 2>/dev/null || true
  fi
  for f in "$dir"/run/slurmd-*.launcher.pid "$dir"/run/slurmctld.launcher.pid "$dir"/run/munged.launcher.pid \
           "$dir"/run/holder-*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 15 "pid $pid ($f) to stop" bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
    if kill -0 "$pid" 2>/dev/null; then echo "multinode.sh: pid $pid ($f) left running" >&2; left=1; fi
    rm -f "$f"
  done
  # Anything still in a node's cpuset (job steps) goes too.
  for f in "$CPUSET_ROOT/$t"-*; do
    [ -d "$f" ] || continue
    for pid in $(cat "$f/tasks"); do kill -KILL "$pid" 2>/dev/null || true; done
    wait_for 10 "$f to empty" bash -c "[ -z \"\$(cat $f/tasks)\" ]" || left=1
    rmdir "$f" 2>/dev/null || { echo "multinode.sh: cannot remove $f" >&2; left=1; }
  done
  for node in $(ip netns list | awk '{print $1}' | grep "^$t-" || true); do
    ip netns del "$node" || left=1
  done
  if [ -f "$dir/run/route" ]; then
    ip route del unreachable "$SUBNET" 2>/dev/null || true
    rm -f "$dir/run/route"
  fi
  # Check: nothing of this cluster is left.
  if ip netns list | grep -q "^$t-"; then echo "multinode.sh: namespaces left: $(ip netns list | grep "^$t-")" >&2; left=1; fi
  if ip route show | grep -q "$SUBNET"; then echo "multinode.sh: route left for $SUBNET" >&2; left=1; fi
  if ls -d "$CPUSET_ROOT/$t"-* >/dev/null 2>&1; then echo "multinode.sh: cgroups left" >&2; left=1; fi
  [ "$left" = 0 ] && echo "multinode.sh: down, nothing left"
  return "$left"
}

case $cmd in
  up) up "$3" "${4:-own}" ;;
  exec) node=$3; shift 3; SLURM_CONF=$dir/slurm.conf in_node "$node" "$@" ;;
  down) down ;;
  *) echo "usage: multinode.sh up DIR NODES [own|shared] | exec DIR NODE CMD... | down DIR" >&2; exit 2 ;;
esac
