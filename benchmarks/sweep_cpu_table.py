"""Sum the sweep jobs' CPU of two runs from their rule benchmarks, as a markdown table.

    python benchmarks/sweep_cpu_table.py BEFORE/results/baseline/benchmarks/sweep \
        AFTER/results/baseline/benchmarks/sweep

Per job: ``cpu_time`` (last column of Snakemake's benchmark tsv: user + system CPU of the job's
processes) and wall ``s``, before and after; totals over the jobs present in both, and the ratio.
"""
from __future__ import annotations

import csv
import os
import sys


def read(d: str) -> dict:
    out = {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".tsv"):
            with open(os.path.join(d, f), encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh, delimiter="\t"))
            out[f[:-4]] = (float(rows[-1]["cpu_time"]), float(rows[-1]["s"]))
    return out


def table(before: dict, after: dict) -> str:
    jobs = sorted(set(before) & set(after))
    lines = ["| job | CPU before (s) | CPU after (s) | wall before (s) | wall after (s) |",
             "|---|---:|---:|---:|---:|"]
    for j in jobs:
        lines.append(f"| {j} | {before[j][0]:.1f} | {after[j][0]:.1f} | {before[j][1]:.1f} | {after[j][1]:.1f} |")
    cb, ca = sum(before[j][0] for j in jobs), sum(after[j][0] for j in jobs)
    wb, wa = sum(before[j][1] for j in jobs), sum(after[j][1] for j in jobs)
    lines.append(f"| **sum ({len(jobs)} jobs)** | **{cb:.1f}** | **{ca:.1f}** | {wb:.1f} | {wa:.1f} |")
    missing = sorted(set(before) ^ set(after))
    tail = f"\nCPU ratio after/before: **{ca / cb:.2f}** (saved {cb - ca:.0f} s of CPU).\n"
    if missing:
        tail += f"Jobs in one run only (not summed): {', '.join(missing)}.\n"
    return "\n".join(lines) + "\n" + tail


if __name__ == "__main__":
    print(table(read(sys.argv[1]), read(sys.argv[2])))
