#!/usr/bin/env python3
"""slurm/plot_run.py on synthetic reports (the schema of docs/output.md): the PNGs it should
write exist and are PNG files, and a report with nothing to draw is refused.

    python3 tests/test_plot_run.py slurm/plot_run.py
"""
import json
import os
import subprocess
import sys
import tempfile

PNG = b"\x89PNG\r\n\x1a\n"


def report(timeline=True, latency=True):
    j = {"version": "test", "mode": "write", "ranks": 3, "latency": None, "timeline": None}
    if timeline:
        # Rank 2 completed nothing; rank 1 ended early.
        j["timeline"] = {"interval_seconds": 0.5,
                         "ranks": [[10**9, 2 * 10**9, 5 * 10**8], [10**9], []]}
    if latency:
        edges = [1000 * 1.01 ** i for i in range(0, 700, 7)]
        j["latency"] = {
            "write": {"count": sum(range(1, 101)), "min_ns": 1000, "mean_ns": 5e5,
                      "max_ns": int(edges[-1]),
                      "percentiles_ns": {"50.000000": 200000, "90.000000": 600000,
                                         "99.000000": 900000, "99.900000": 1000000,
                                         "99.990000": 1000000},
                      "histogram": [[int(e), n] for e, n in zip(edges, range(1, 101))]},
            # No buckets: drawn from the percentiles.
            "fsync": {"count": 10, "min_ns": 2000000, "mean_ns": 3e6, "max_ns": 9000000,
                      "percentiles_ns": {"50.000000": 2500000, "90.000000": 8000000,
                                         "99.000000": 9000000, "99.900000": 9000000,
                                         "99.990000": 9000000}},
            "open": {"count": 0, "min_ns": 0, "mean_ns": 0, "max_ns": 0, "percentiles_ns": {},
                     "histogram": []},
        }
    return j


def run(script, j, out):
    path = os.path.join(out, "report.json")
    with open(path, "w") as f:
        json.dump(j, f)
    return subprocess.run([sys.executable, script, path, os.path.join(out, "png")],
                          capture_output=True, text=True, timeout=120)


def is_png(path):
    with open(path, "rb") as f:
        head = f.read(8)
    return head == PNG and os.path.getsize(path) > 1000


def main():
    script = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        both = os.path.join(tmp, "both")
        os.makedirs(both)
        r = run(script, report(), both)
        if r.returncode != 0:
            failures.append(f"both: exit {r.returncode}: {r.stderr}")
        for name in ("bandwidth.png", "latency_cdf.png"):
            p = os.path.join(both, "png", name)
            if not (os.path.exists(p) and is_png(p)):
                failures.append(f"both: {name} missing or not a PNG")
        only = os.path.join(tmp, "timeline-only")
        os.makedirs(only)
        r = run(script, report(latency=False), only)
        if r.returncode != 0 or not is_png(os.path.join(only, "png", "bandwidth.png")):
            failures.append(f"timeline only: exit {r.returncode}, {r.stderr}")
        if os.path.exists(os.path.join(only, "png", "latency_cdf.png")):
            failures.append("timeline only: a latency plot without latencies")
        none = os.path.join(tmp, "none")
        os.makedirs(none)
        r = run(script, report(timeline=False, latency=False), none)
        if r.returncode != 1 or "nothing to draw" not in r.stderr:
            failures.append(f"nothing to draw: exit {r.returncode}, {r.stderr}")
    for f in failures:
        print("test_plot_run: " + f, file=sys.stderr)
    print("test_plot_run: " + ("FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
