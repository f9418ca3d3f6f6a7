#!/usr/bin/env bash
# dgen_mpi's engines against fio's on xfs over a loop device attached with --direct-io=on, every
# tool with O_DIRECT and 1 MiB transfers, whole processes, paired and alternated (bench/engines.py):
#   - writes and reads at queue depth 16: dgen --io uring --iodepth 16 against
#     fio --ioengine=io_uring --iodepth=16 and --ioengine=libaio --iodepth=16;
#   - one call in flight: dgen --io posix against fio --ioengine=psync;
#   - --verify against plain reading, with uring at depth 16 and with posix;
# each with the CPU seconds per GiB the whole process used (user + system).
#
# Needs root (mount, losetup), fio. Usage:
#   bench/engines.sh [BUILD_DIR] [TOTAL_BYTES] [PAIRS] [THREADS]
set -euo pipefail
build=${1:-build}
total=${2:-$((1 << 30))}
pairs=${3:-7}
threads=${4:-2}
bin="$(realpath "$build/src/dgen_mpi")"
here="$(cd "$(dirname "$0")" && pwd)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# shellcheck source=bench/targets.sh
. "$here/targets.sh"
make_targets $((3 * total + (512 << 20)))
umount "$work/tmpfs"  # only the xfs is measured here
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;" \
  "fio $(fio --version); $("$bin" --version 2>&1 | head -1)"
/usr/bin/python3 "$here/engines.py" "$bin" "$work/xfs" "$total" "$pairs" "$threads"
