#!/usr/bin/env bash
# dgen_mpi's dataset phases against mdtest on the same file systems: N files of 4 KiB written,
# stat'ed, read and removed by 2 ranks, whole processes, alternated, PAIRS pairs each:
#   dgen:   mpirun -n 2 dgen_mpi --files N --file-size 4KiB --fsync off \
#             --phases create,stat,read,delete --output DIR [--unique-dir] [--in-place]
#   mdtest: mpirun -n 2 mdtest -F -n N/2 -w 4096 -e 4096 -i 1 -d DIR [-u]
# (mdtest -n counts items per rank; neither tool syncs per file). dgen creates each file under a
# temporary name and renames it when whole (no file at its final name is ever short); with
# --in-place it creates the file at its final name, as mdtest does; both are measured. mdtest is not a Debian package:
# MDTEST names a binary built from the IOR sources (github.com/hpc/ior) for this comparison only,
# never a dependency of the build or the tests. The rates are each tool's own files/s per phase
# ("File creation", "File stat", "File read", "File removal" for mdtest); the ratio is the median
# over the pairs of dgen's rate / mdtest's. Targets: a tmpfs and xfs on a loop device (buffered).
#
# Needs root (mount, losetup). Usage:
#   MDTEST=/tmp/ior/mdtest bench/metadata.sh [BUILD_DIR] [FILES] [PAIRS]
set -euo pipefail
build=${1:-build}
files=${2:-20000}
pairs=${3:-5}
bin="$(realpath "$build/src/dgen_mpi")"
mdtest=${MDTEST:?MDTEST=path of an mdtest binary built from the IOR sources}
here="$(cd "$(dirname "$0")" && pwd)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# shellcheck source=bench/targets.sh
. "$here/targets.sh"
make_targets $((1 << 30))
/usr/bin/python3 - "$bin" "$mdtest" "$files" "$pairs" "$work/tmpfs" "$work/xfs" <<'PY'
import json, re, statistics, subprocess, sys, shutil, os
bin_, mdtest, files, pairs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
targets = {"tmpfs": sys.argv[5], "xfs on loop": sys.argv[6]}
PHASES = ["create", "stat", "read", "delete"]
MD = {"File creation": "create", "File stat": "stat", "File read": "read", "File removal": "delete"}
mpirun = ["mpirun", "-n", "2", "--oversubscribe", "--bind-to", "none"]

def dgen(dir_, unique, extra=()):
    p = subprocess.run(mpirun + [bin_, *extra, "--files", str(files), "--file-size", "4KiB", "--fsync", "off",
                       "--phases", ",".join(PHASES), "--format", "json", "--output", dir_ + "/dgen"]
                       + (["--unique-dir"] if unique else []), capture_output=True, text=True)
    if p.returncode: sys.exit("dgen failed: " + p.stderr[-2000:])
    j = json.loads(p.stdout[p.stdout.index("{"):])
    return {x["name"]: x["files_per_second"] for x in j["phases"]}

def dgen_in_place(dir_, unique):
    return dgen(dir_, unique, ["--in-place"])

def md(dir_, unique):
    p = subprocess.run(mpirun + [mdtest, "-F", "-n", str(files // 2), "-w", "4096", "-e", "4096",
                       "-i", "1", "-d", dir_ + "/md"] + (["-u"] if unique else []),
                       capture_output=True, text=True)
    if p.returncode: sys.exit("mdtest failed: " + p.stdout[-2000:] + p.stderr[-2000:])
    out = {}
    summary = p.stdout[p.stdout.index("SUMMARY rate"):]
    for line in summary.splitlines():
        m = re.match(r"\s*(File creation|File stat|File read|File removal)\s+([0-9.]+)", line)
        if m: out[MD[m.group(1)]] = float(m.group(2))
    shutil.rmtree(dir_ + "/md", ignore_errors=True)
    return out

print(f"{files} files x 4 KiB, 2 ranks, {pairs} pairs alternated; files/s, medians; ratio = dgen / mdtest")
for tname, d in targets.items():
    for unique in (False, True):
        tools = [dgen, dgen_in_place, md]
        for f in tools: f(d, unique)  # warm-up
        rows = []
        for i in range(pairs):
            got = {f.__name__: f(d, unique) for f in (tools if i % 2 == 0 else tools[::-1])}
            rows.append(got)
        label = f"{tname}, {'a directory per rank (-u / --unique-dir)' if unique else 'one shared tree'}"
        print(f"\n{label}\n")
        print("| phase | dgen files/s | dgen --in-place files/s | mdtest files/s "
              "| dgen / mdtest (min-max) | dgen --in-place / mdtest (min-max) |")
        print("|---|---|---|---|---|---|")
        def ratio(name, ph):
            q = [r[name][ph] / r["md"][ph] for r in rows]
            return f"{statistics.median(q):.3f} ({min(q):.3f}-{max(q):.3f})"
        for ph in PHASES:
            med = {n: statistics.median(r[n][ph] for r in rows) for n in ("dgen", "dgen_in_place", "md")}
            print(f"| {ph} | {med['dgen']:.0f} | {med['dgen_in_place']:.0f} | {med['md']:.0f} | "
                  f"{ratio('dgen', ph)} | {ratio('dgen_in_place', ph)} |")
PY
