#!/usr/bin/env bash
# dgen_mpi --io hdf5 against IOR -a HDF5 (both parallel HDF5 over MPI-IO, one 1-D dataset per
# file, contiguous), the same sizes: RANKS ranks, SIZE bytes per rank, 1 MiB transfers, a flush
# before the clock stops (dgen --fsync on, IOR -e), whole processes, write then read, PAIRS pairs
# alternated (the order reversed every second pair, so that each side of a ratio sees the same
# machine state). Cases:
#   shared, collective:   dgen --collective on     IOR -c
#   shared, independent:  dgen --collective off    IOR (default)
#   file per rank:        dgen --file-per-rank     IOR -F
# dgen runs one thread per rank (--threads 1), as IOR's one process per rank does.
# A cell is each tool's own rate: dgen's aggregate_gbps (bytes over open + transfers + flush +
# close, as IOR's), IOR's "Max(MiB)" of its summary line, in GB/s. The ratio is the median over
# the pairs of dgen's rate / IOR's. IOR is not a Debian package: IOR names a binary built with
# HDF5 from its sources (github.com/hpc/ior), for this comparison only, never a dependency of the
# build or the tests; IOR_SOURCE=DIR builds one under /tmp (mpicc + pkg-config hdf5-openmpi).
#
# Usage: [IOR=/tmp/ior-hdf5/ior | IOR_SOURCE=DIR] bench/hdf5_vs_ior.sh [BUILD_DIR] [SIZE] [PAIRS]
#          [RANKS] [DIR]
# (defaults: build, 128 MiB per rank, 5 pairs, 2 ranks, /dev/shm: tmpfs).
set -euo pipefail
build=${1:-build}
size=${2:-$((128 << 20))}
pairs=${3:-5}
ranks=${4:-2}
dir=${5:-/dev/shm}/dgen-hdf5-bench.$$
bin="$(realpath "$build/src/dgen_mpi")"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

if [ -z "${IOR:-}" ]; then
  src=${IOR_SOURCE:?IOR=an ior binary built with HDF5, or IOR_SOURCE=an IOR source tree}/src
  out=/tmp/ior-hdf5
  mkdir -p "$out"
  cat >"$out/config.h" <<'H'
#define USE_POSIX_AIORI 1
#define USE_MPIIO_AIORI 1
#define USE_HDF5_AIORI 1
#define HAVE_H5PSET_ALL_COLL_METADATA_OPS 1
#define HAVE_STRINGS_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_SYS_MOUNT_H 1
#define HAVE_SYS_STATVFS_H 1
#define HAVE_STATVFS 1
#define HAVE_SYS_STATFS_H 1
#define HAVE_SYSCONF 1
#define META_VERSION "hdf5-bench"
#define PACKAGE_VERSION "hdf5-bench"
H
  # shellcheck disable=SC2046
  (cd "$src" && mpicc -O2 -DHAVE_CONFIG_H -I"$out" -I. $(pkg-config --cflags hdf5-openmpi) \
    -o "$out/ior" ior-main.c ior.c utilities.c parse_options.c ior-output.c option.c aiori.c \
    aiori-DUMMY.c aiori-POSIX.c aiori-MPIIO.c aiori-HDF5.c $(pkg-config --libs hdf5-openmpi) -lm)
  IOR=$out/ior
fi
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;" \
  "$(df --output=fstype "$dir" | tail -1) at $dir; HDF5 $(pkg-config --modversion hdf5-openmpi);" \
  "$("$bin" --version 2>&1 | head -1)"
/usr/bin/python3 - "$bin" "$IOR" "$dir" "$size" "$pairs" "$ranks" <<'PY'
import json, os, re, shutil, statistics, subprocess, sys
bin_, ior, dir_, size, pairs, ranks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
mpirun = ["mpirun", "-n", str(ranks), "--oversubscribe", "--bind-to", "none"]
CASES = {"shared, collective": (["--collective", "on"], ["-c"]),
         "shared, independent": (["--collective", "off"], []),
         "file per rank": (["--file-per-rank"], ["-F"])}

def clean():
    for e in os.listdir(dir_):
        p = os.path.join(dir_, e)
        shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)

def dgen(case, op):
    target = os.path.join(dir_, "dgen.h5")
    cmd = mpirun + [bin_, "--io", "hdf5", "--threads", "1", "--size", str(size), "--transfer", "1MiB", "--format", "json",
                    "--output" if op == "write" else "--input", target] + CASES[case][0]
    if op == "write":
        clean()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode: sys.exit("dgen failed: " + " ".join(cmd) + "\n" + p.stderr[-2000:])
    return json.loads(p.stdout[p.stdout.index("{"):])["iterations"][0]["aggregate_gbps"]

def ior_run(case, op):
    if op == "write":
        clean()
    cmd = mpirun + [ior, "-a", "HDF5", "-b", str(size), "-t", "1m", "-i", "1", "-k",
                    "-o", os.path.join(dir_, "ior.h5")] + (["-w", "-e"] if op == "write" else ["-r"]) + CASES[case][1]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode: sys.exit("ior failed: " + " ".join(cmd) + "\n" + p.stdout[-2000:] + p.stderr[-2000:])
    summary = p.stdout[p.stdout.index("Summary of all tests"):]
    m = re.search(r"^%s\s+([0-9.]+)" % op, summary, re.M)
    return float(m.group(1)) * (1 << 20) / 1e9

rows = {}
for k in range(pairs):
    for case in CASES:
        for op in ("write", "read"):
            order = [("dgen", dgen), ("ior", ior_run)]
            if k % 2:
                order.reverse()
            for name, f in order:
                # A read follows its own tool's write: each tool reads the file it wrote.
                if op == "read":
                    f(case, "write")
                rows.setdefault((case, op, name), []).append(f(case, op))
clean()
print(f"{ranks} ranks x {size >> 20} MiB, 1 MiB transfers, {pairs} pairs; GB/s median (min-max); dgen/IOR median of the pairs' ratios")
print(f"{'case':22} {'op':6} {'dgen --io hdf5':>22} {'IOR -a HDF5':>22} {'ratio':>6}")
for case in CASES:
    for op in ("write", "read"):
        d, i = rows[(case, op, "dgen")], rows[(case, op, "ior")]
        ratio = statistics.median(a / b for a, b in zip(d, i))
        cell = lambda v: f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})"
        print(f"{case:22} {op:6} {cell(d):>22} {cell(i):>22} {ratio:6.2f}")
PY
