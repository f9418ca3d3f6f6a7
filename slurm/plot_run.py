#!/usr/bin/env python3
"""Draws one dgen_mpi run's bandwidth over time and latency CDFs from its JSON report.

    python3 slurm/plot_run.py REPORT.json OUTDIR

Writes OUTDIR/bandwidth.png when the report has a timeline: GB/s (10^9 B/s) per interval, one
line per rank and the job's sum; and OUTDIR/latency_cdf.png when it has latencies: per
operation the share of transfers done within a time (the CDF) and the share slower than it (the
tail, log scale), both from the histogram's buckets (exact to the bucket's 1%), else from the
percentiles. Needs matplotlib (Debian: python3-matplotlib; slurm/find-python.sh finds a python3
that has it). Fields: docs/output.md.
"""
import argparse
import json
import os
import sys


def bandwidth(timeline, path, plt):
    interval = timeline["interval_seconds"]
    ranks = timeline["ranks"]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    longest = max((len(row) for row in ranks), default=0)
    total = [0.0] * longest
    for rank, row in enumerate(ranks):
        if not row:  # a rank that completed nothing
            continue
        gbps = [b / interval / 1e9 for b in row]
        for k, v in enumerate(gbps):
            total[k] += v
        # Each value holds for its whole interval: steps, from the interval's start.
        xs = [k * interval for k in range(len(row) + 1)]
        ax.step(xs, gbps + gbps[-1:], where="post", linewidth=1,
                label=f"rank {rank}" if len(ranks) <= 16 else None)
    if len(ranks) > 1 and longest:
        xs = [k * interval for k in range(longest + 1)]
        # Behind the ranks, dashed: where one rank alone runs, the sum is its line.
        ax.step(xs, total + total[-1:], where="post", color="black", linewidth=2, alpha=0.5,
                linestyle="--", zorder=1, label="all ranks")
    ax.set(title=f"Bandwidth over time ({len(ranks)} rank(s), {interval:g} s intervals)",
           xlabel="seconds from the start", ylabel="GB/s (10^9 B/s)")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def cdf_points(op):
    """(latencies in us, fraction at or below): from the buckets, else the percentiles."""
    buckets = op.get("histogram") or []
    count = op["count"]
    if buckets and count:
        xs, ys, seen = [], [], 0
        for edge_ns, n in buckets:
            seen += n
            xs.append(edge_ns / 1e3)
            ys.append(seen / count)
        return xs, ys
    points = sorted((float(p), ns) for p, ns in (op.get("percentiles_ns") or {}).items())
    xs = [ns / 1e3 for _, ns in points] + [op["max_ns"] / 1e3]
    ys = [p / 100 for p, _ in points] + [1.0]
    return xs, ys


def latency(ops, path, plt):
    fig, (ax_cdf, ax_tail) = plt.subplots(1, 2, figsize=(13, 4.5))
    for name, op in ops.items():
        if not op.get("count"):
            continue
        xs, ys = cdf_points(op)
        first = op["min_ns"] / 1e3
        # The CDF rises inside each bucket; drawn as reaching the bucket's share at its upper edge.
        ax_cdf.step([first] + xs, [0.0] + ys, where="post", label=f'{name} ({op["count"]})')
        tail = [1 - y for y in ys]
        keep = [(x, t) for x, t in zip(xs, tail) if t > 0]
        if keep:
            ax_tail.step([first] + [x for x, _ in keep], [1.0] + [t for _, t in keep],
                         where="post", label=name)
    for ax in (ax_cdf, ax_tail):
        ax.set_xscale("log")
        ax.set_xlabel("latency (us)")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    ax_cdf.set(title="Latency CDF", ylabel="fraction of transfers at or below")
    ax_cdf.set_ylim(0, 1.02)
    ax_tail.set(title="Tail", ylabel="fraction of transfers slower")
    if ax_tail.get_lines():
        ax_tail.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", help="a dgen_mpi --format json report")
    p.add_argument("outdir")
    a = p.parse_args()
    try:
        with open(a.report) as f:
            j = json.load(f)
    except (OSError, ValueError) as e:
        print(f"plot_run: {a.report}: {e}", file=sys.stderr)
        return 2
    timeline, ops = j.get("timeline"), j.get("latency")
    if not timeline and not ops:
        print(f"plot_run: {a.report} has neither a timeline nor latencies: nothing to draw",
              file=sys.stderr)
        return 1
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_run: matplotlib is missing (Debian: apt-get install python3-matplotlib)",
              file=sys.stderr)
        return 1
    os.makedirs(a.outdir, exist_ok=True)
    written = []
    if timeline:
        written.append(os.path.join(a.outdir, "bandwidth.png"))
        bandwidth(timeline, written[-1], plt)
    if ops:
        written.append(os.path.join(a.outdir, "latency_cdf.png"))
        latency(ops, written[-1], plt)
    print("plot_run: " + ", ".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
