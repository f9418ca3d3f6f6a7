#!/bin/busybox sh
# /init of the multi-NUMA test guest: mounts what dgen_mpi and Open MPI need, runs the cases the
# kernel command line names (dgen.cases=...), prints each case's output between markers on the
# serial console, and powers off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
hostname guest
ifconfig lo 127.0.0.1 netmask 255.0.0.0 up   # PMIx and Open MPI need an interface
export PATH=/bin:/usr/bin HOME=/root TMPDIR=/tmp
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_plm_rsh_agent=false           # no ssh: everything is local
export OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 OMPI_MCA_mtl=^ofi,psm2 OMPI_MCA_osc=^ucx
export OMPI_MCA_mca_base_component_show_load_errors=0
dgen=/bin/dgen/dgen_mpi
size=48MiB

run_case() {  # name, command...
  name=$1; shift
  echo "@@BEGIN $name"
  "$@" >/tmp/out 2>/tmp/err
  rc=$?
  cat /tmp/out
  echo "@@STDERR $name"
  cat /tmp/err
  echo "@@END $name rc=$rc"
}

echo "@@NODES $(cat /sys/devices/system/node/online) has_cpu=$(cat /sys/devices/system/node/has_cpu)"
for c in $(sed -n 's/.*dgen.cases=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' '); do
  case $c in
    mapped) run_case mapped mpirun --map-by numa --bind-to numa -n "$(cat /tmp/nd 2>/dev/null || echo 2)" \
              $dgen --size $size --iterations 1 --format json ;;
    mapped2) run_case mapped2 mpirun --map-by numa --bind-to numa -n 2 $dgen --size $size --iterations 1 --format json ;;
    mapped4) run_case mapped4 mpirun --map-by numa --bind-to numa -n 4 $dgen --size $size --iterations 1 --format json ;;
    plain2) run_case plain2 mpirun -n 2 $dgen --size $size --iterations 1 --format json ;;
    plain4) run_case plain4 mpirun -n 4 $dgen --size $size --iterations 1 --format json ;;
    plan) run_case plan $dgen --plan --format json ;;
    topo) run_case topo lstopo-no-graphics --no-io --of xml ;;
    hbm) run_case hbm mpirun --map-by numa --bind-to numa -n 2 $dgen --size $size --iterations 1 --memory hbm --format json ;;
    wrong) run_case wrong numactl --membind=1 $dgen --size $size --iterations 1 --memory inherit --threads 2 --format json ;;
    strict) run_case strict numactl --membind=1 $dgen --size $size --iterations 1 --memory inherit --threads 2 --strict-placement --format json ;;
  esac
done
echo "@@DONE"
poweroff -f
