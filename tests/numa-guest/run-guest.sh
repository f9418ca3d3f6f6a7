#!/usr/bin/env bash
# Boots the multi-NUMA test guest under qemu (software emulation; no KVM needed) and prints its
# serial console.   run-guest.sh INITRAMFS TOPOLOGY CASES
#   TOPOLOGY: numa2 (2 nodes of 2 cpus), numa4 (4 nodes of 1 cpu), hbm (2 cpu nodes + 1 memory-only)
#   CASES: comma-separated case names of guest-init.sh
set -euo pipefail
initrd=$1
topology=$2
cases=$3
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
numa=()
case $topology in
  numa2)
    numa=(-smp 4 -m 2G
      -object memory-backend-ram,id=m0,size=1G -numa node,nodeid=0,cpus=0-1,memdev=m0
      -object memory-backend-ram,id=m1,size=1G -numa node,nodeid=1,cpus=2-3,memdev=m1) ;;
  numa4)
    numa=(-smp 4 -m 2G)
    for i in 0 1 2 3; do
      numa+=(-object "memory-backend-ram,id=m$i,size=512M" -numa "node,nodeid=$i,cpus=$i,memdev=m$i")
    done ;;
  hbm)
    numa=(-smp 4 -m 2G
      -object memory-backend-ram,id=m0,size=768M -numa node,nodeid=0,cpus=0-1,memdev=m0
      -object memory-backend-ram,id=m1,size=768M -numa node,nodeid=1,cpus=2-3,memdev=m1
      -object memory-backend-ram,id=m2,size=512M -numa node,nodeid=2,memdev=m2) ;;
  *) echo "unknown topology $topology" >&2; exit 2 ;;
esac
exec timeout 600 qemu-system-x86_64 -machine q35 -cpu max -accel tcg "${numa[@]}" \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 numa_balancing=disable panic=-1 quiet dgen.cases=$cases" \
  -nographic -no-reboot -nodefaults -serial stdio
