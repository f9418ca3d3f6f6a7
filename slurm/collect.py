#!/usr/bin/env python3
"""Gathers the dgen_mpi JSON reports of a scaling study into one CSV and PNG plots.

    python3 slurm/collect.py STUDY_DIR [--out DIR]

Reads every STUDY_DIR/**/dgen.json (the layout slurm/dgen.sbatch and jobs/dgen.pbs write; it
also works on results copied off the cluster), writes DIR/scaling.csv (DIR defaults to
STUDY_DIR) and, when there are results, DIR/scaling.png: aggregate GB/s against node count with
the ideal line, per-core GB/s, and parallel efficiency. On one node the x axis is the layout
(ranks x threads per node) instead. CSV columns: docs/scaling.md.
"""
import argparse
import csv
import json
import os
import statistics
import sys
from collections import defaultdict

COLUMNS = ["job_id", "nodes", "ranks", "ranks_per_node", "threads_per_rank", "cores",
           "bytes_per_rank", "bytes", "iterations", "gbps_min", "gbps_mean", "gbps_max",
           "gbps_per_core", "memset_gbps", "streaming_gbps", "ratio_to_memset", "local_fraction_min", "simd",
           "hosts", "start_time", "path"]


def load(study):
    rows = []
    for root, _dirs, files in os.walk(study):
        if "dgen.json" not in files:
            continue
        path = os.path.join(root, "dgen.json")
        try:
            with open(path) as f:
                j = json.load(f)
        except (OSError, ValueError) as e:
            print(f"collect: skipping {path}: {e}", file=sys.stderr)
            continue
        ranks = j["ranks"]
        nodes = j["nodes"]
        threads = j["threads"]
        summary = j["summary"]["aggregate_gbps"]
        baseline = j.get("baseline") or {}
        per_rank = j.get("per_rank", [])
        cores = sum(r["threads"] for r in per_rank) or ranks * threads
        rows.append({
            "job_id": j["provenance"].get("job_id") or os.path.basename(root),
            "nodes": nodes,
            "ranks": ranks,
            "ranks_per_node": ranks // nodes,
            "threads_per_rank": threads,
            "cores": cores,
            "bytes_per_rank": j["bytes_per_rank"],
            "bytes": j["bytes"],
            "iterations": len(j["iterations"]),
            "gbps_min": summary["min"],
            "gbps_mean": summary["mean"],
            "gbps_max": summary["max"],
            "gbps_per_core": summary["max"] / cores,
            "memset_gbps": baseline.get("memset_gbps", baseline.get("aggregate_gbps", "")),
            "streaming_gbps": baseline.get("streaming_gbps", ""),
            "ratio_to_memset": baseline.get("ratio", ""),
            "local_fraction_min": min((r["local_fraction"] for r in per_rank
                                       if r.get("local_fraction") is not None), default=""),
            "simd": j["simd"],
            "hosts": " ".join(sorted({r["host"] for r in per_rank})),
            "start_time": j["provenance"]["start_time"],
            "path": os.path.relpath(path, study),
        })
    rows.sort(key=lambda r: (r["nodes"], r["ranks_per_node"], str(r["job_id"])))
    return rows


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    single_node = len({r["nodes"] for r in rows}) == 1
    # One series per layout across node counts; on one node, one series across layouts.
    series = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if single_node:
            key, x = "1 node", (r["ranks_per_node"], r["threads_per_rank"])
        else:
            key, x = f'{r["ranks_per_node"]} ranks x {r["threads_per_rank"]} threads / node', r["nodes"]
        series[key][x].append(r)

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    ax_agg, ax_core, ax_eff = axes
    for key, points in sorted(series.items()):
        xs = sorted(points)
        agg = [statistics.mean(r["gbps_max"] for r in points[x]) for x in xs]
        core = [statistics.mean(r["gbps_per_core"] for r in points[x]) for x in xs]
        if single_node:
            pos = list(range(len(xs)))
            labels = [f"{a}x{b}" for a, b in xs]
        else:
            pos, labels = xs, [str(x) for x in xs]
        ax_agg.plot(pos, agg, "o-", label=key)
        memset = [statistics.mean(r["memset_gbps"] for r in points[x]) for x in xs
                  if all(r["memset_gbps"] != "" for r in points[x])]
        if len(memset) == len(xs):
            ax_agg.plot(pos, memset, ":", marker="x", label=f"memset ({key})")
        ax_core.plot(pos, core, "o-", label=key)
        if single_node:
            eff = [a / agg[0] for a in agg]
        else:
            per_node_1 = agg[0] / xs[0]
            eff = [a / (per_node_1 * x) for a, x in zip(agg, xs)]
            ax_agg.plot(pos, [per_node_1 * x for x in xs], "--", color="grey", label=f"ideal ({key})")
        ax_eff.plot(pos, eff, "o-", label=key)
        for ax in axes:
            ax.set_xticks(pos)
            ax.set_xticklabels(labels)
    xlabel = "ranks x threads per node" if single_node else "nodes"
    ax_agg.set(title="Aggregate generation rate", xlabel=xlabel, ylabel="GB/s (10^9 B/s)")
    ax_core.set(title="Per core", xlabel=xlabel, ylabel="GB/s per core")
    ax_eff.set(title="Parallel efficiency" if not single_node else "Relative to the first layout",
               xlabel=xlabel, ylabel="efficiency")
    for ax in axes:
        ax.set_ylim(0, ax.get_ylim()[1] * 1.15)
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"dgen_mpi scaling: {len(rows)} run(s)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("study")
    p.add_argument("--out", help="output directory (default: the study directory)")
    a = p.parse_args()
    out = a.out or a.study
    os.makedirs(out, exist_ok=True)
    rows = load(a.study)
    write_csv(rows, os.path.join(out, "scaling.csv"))
    if not rows:
        print(f"collect: no dgen.json under {a.study}", file=sys.stderr)
        return 1
    try:
        plot(rows, os.path.join(out, "scaling.png"))
    except ImportError:
        print(f"collect: {len(rows)} run(s) -> {out}/scaling.csv; no plots: matplotlib is missing "
              "(Debian: apt-get install python3-matplotlib)", file=sys.stderr)
        return 1
    print(f"collect: {len(rows)} run(s) -> {out}/scaling.csv, {out}/scaling.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
