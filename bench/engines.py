"""Paired runs of dgen_mpi's I/O engines against fio's (bench/engines.sh sets the target up).

  engines.py BIN DIR TOTAL PAIRS THREADS

Every run is a whole process on DIR (xfs on a loop device attached with --direct-io=on, all
O_DIRECT, 1 MiB transfers, THREADS threads or fio jobs over one file of TOTAL bytes). Each pair
runs every case once, in an order that is reversed every second pair, so that each side of a
ratio sees the same machine state. A cell is the tool's own rate (dgen_mpi's aggregate_gbps,
fio's bw_bytes) and the CPU seconds per GiB the process and its children used (getrusage of the
children: user + system). The ratios are medians over the pairs of dgen's rate / the peer's.
"""
import json
import os
import resource
import statistics
import subprocess
import sys

BIN, DIR, TOTAL, PAIRS, THREADS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
GIB = 1 << 30
DGEN_FILE = os.path.join(DIR, "dgen.bin")
FIO_FILE = os.path.join(DIR, "fio.bin")
PART = TOTAL // THREADS


def dgen(mode, engine, depth=1, verify=False):
    cmd = [BIN, "--threads", str(THREADS), "--direct", "--transfer", "1MiB", "--format", "json"]
    cmd += ["--io", engine] + (["--iodepth", str(depth)] if engine == "uring" else [])
    if mode == "write":
        cmd += ["--size", str(TOTAL), "--output", DGEN_FILE]
    else:
        cmd += ["--size", str(TOTAL), "--input", DGEN_FILE] + (["--verify"] if verify else [])
    return cmd


def fio(mode, engine, depth=1):
    # One file shared by the jobs, each its own contiguous part (as dgen's threads split it);
    # writes refill the buffer with random data per write, as dgen generates per transfer.
    target = FIO_FILE if mode == "write" else DGEN_FILE
    cmd = ["fio", "--name=" + mode, "--filename=" + target, "--rw=" + mode, "--bs=1M",
           "--direct=1", "--ioengine=" + engine, "--iodepth=" + str(depth),
           "--numjobs=" + str(THREADS), "--size=" + str(PART), "--offset_increment=" + str(PART),
           "--group_reporting", "--output-format=json"]
    if mode == "write":
        cmd += ["--refill_buffers=1", "--end_fsync=1"]
    return cmd


CASES = {
    "dgen write uring QD16": dgen("write", "uring", 16),
    "fio write io_uring QD16": fio("write", "io_uring", 16),
    "fio write libaio QD16": fio("write", "libaio", 16),
    "dgen write posix QD1": dgen("write", "posix"),
    "fio write psync": fio("write", "psync"),
    "dgen read uring QD16": dgen("read", "uring", 16),
    "fio read io_uring QD16": fio("read", "io_uring", 16),
    "fio read libaio QD16": fio("read", "libaio", 16),
    "dgen read posix QD1": dgen("read", "posix"),
    "fio read psync": fio("read", "psync"),
    "dgen verify uring QD16": dgen("read", "uring", 16, verify=True),
    "dgen verify posix": dgen("read", "posix", verify=True),
}
RATIOS = [
    ("write: dgen uring QD16 / fio io_uring QD16", "dgen write uring QD16", "fio write io_uring QD16"),
    ("write: dgen uring QD16 / fio libaio QD16", "dgen write uring QD16", "fio write libaio QD16"),
    ("write: dgen posix QD1 / fio psync", "dgen write posix QD1", "fio write psync"),
    ("read: dgen uring QD16 / fio io_uring QD16", "dgen read uring QD16", "fio read io_uring QD16"),
    ("read: dgen uring QD16 / fio libaio QD16", "dgen read uring QD16", "fio read libaio QD16"),
    ("read: dgen posix QD1 / fio psync", "dgen read posix QD1", "fio read psync"),
    ("verify / read, uring QD16", "dgen verify uring QD16", "dgen read uring QD16"),
    ("verify / read, posix (read-ahead of 1)", "dgen verify posix", "dgen read posix QD1"),
]


def run(name):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(CASES[name], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"engines.py: {name} failed ({p.returncode}): {' '.join(CASES[name])}\n{p.stderr[-2000:]}")
    j = json.loads(p.stdout[p.stdout.index("{"):])
    if "jobs" in j:
        gbps = sum(x["write"]["bw_bytes"] + x["read"]["bw_bytes"] for x in j["jobs"]) / 1e9
    else:
        gbps = j["summary"]["aggregate_gbps"]["max"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if name.startswith("fio write"):
        os.unlink(FIO_FILE)
    return gbps, cpu / (TOTAL / GIB)


def main():
    subprocess.run(dgen("write", "posix"), check=True, capture_output=True)  # the file reads read
    for name in CASES:  # a warm-up round, untimed
        run(name)
    names = list(CASES)
    cells = {n: [] for n in names}
    for i in range(PAIRS):
        for n in names if i % 2 == 0 else reversed(names):
            cells[n].append(run(n))  # the reads read what the last dgen write wrote
        print(f"pair {i + 1}: " + ", ".join(f"{n} {cells[n][-1][0]:.2f}" for n in names), flush=True)
    print()
    print(f"{TOTAL >> 20} MiB per run, {THREADS} threads/jobs, O_DIRECT, 1 MiB transfers, {PAIRS} pairs")
    print()
    print("| case | GB/s (median) | GB/s (min-max) | CPU s/GiB (median) |")
    print("|---|---|---|---|")
    for n in names:
        g = [c[0] for c in cells[n]]
        cpu = [c[1] for c in cells[n]]
        print(f"| {n} | {statistics.median(g):.2f} | {min(g):.2f}-{max(g):.2f} | {statistics.median(cpu):.3f} |")
    print()
    print("| ratio | median over the pairs | min-max |")
    print("|---|---|---|")
    for label, a, b in RATIOS:
        r = [x[0] / y[0] for x, y in zip(cells[a], cells[b])]
        print(f"| {label} | {statistics.median(r):.3f} | {min(r):.3f}-{max(r):.3f} |")


main()
