"""Cells, rows and the summary of bench/storage.sh.

  storage_cell.py T0 T1 OUTPUT.json    -> "seconds/own-GB/s" of one run
  storage_cell.py --row N "CELLS..."   -> one table row with the ratio columns
  storage_cell.py --summary TOTAL "ROW" ...  -> medians over the pairs
"""
import json
import statistics
import sys


def cell(t0, t1, path):
    own = float("nan")
    try:
        with open(path) as f:
            j = json.load(f)
        if "jobs" in j:  # fio: its write or read bandwidth
            own = sum(x["write"]["bw_bytes"] + x["read"]["bw_bytes"] for x in j["jobs"]) / 1e9
        else:  # dgen_mpi
            own = j["summary"]["aggregate_gbps"]["max"]
    except (OSError, ValueError, KeyError):
        pass  # dd prints no JSON
    return f"{t1 - t0:.3f}/{own:.2f}"


def split(row):
    cells = row.split()
    return [float(c.split("/")[0]) for c in cells], [float(c.split("/")[1]) for c in cells]


def main(argv):
    if argv[0] == "--row":
        sec, _ = split(argv[2])
        cells = argv[2].split()
        print(f"{argv[1]:<5} " + " ".join(f"{c:>14}" for c in cells) +
              f" {sec[2] / sec[0]:8.3f} {sec[2] / sec[1]:8.3f}")
    elif argv[0] == "--summary":
        total = int(argv[1])
        rows = [split(r) for r in argv[2:]]
        secs = [r[0] for r in rows]
        owns = [r[1] for r in rows]
        med_s = [statistics.median(c) for c in zip(*secs)]
        med_o = [statistics.median(c) for c in zip(*owns)]
        r1 = statistics.median(s[2] / s[0] for s in secs)
        r2 = statistics.median(s[2] / s[1] for s in secs)
        print("median " + " ".join(f"{a:9.3f}/{b:4.2f}" for a, b in zip(med_s, med_o)) +
              f" {r1:8.3f} {r2:8.3f}")
        print("whole-process GB/s: " + ", ".join(
            f"{n} {total / a / 1e9:.2f}" for n, a in zip(["dgen-1x2", "dgen-2x1", "fio", "dd"], med_s)))
    else:
        print(cell(float(argv[0]), float(argv[1]), argv[2]))


if __name__ == "__main__":
    main(sys.argv[1:])
