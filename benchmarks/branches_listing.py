"""Per panel of a run: its limit-cycle branches, bifurcation points and the mechanism of each
switch of the protocol's S_Q, as plain text (the listing in ``benchmarks/results/branches_paper.md``).

Reads the branch files of ``snakemake branches`` (``results/<run>/branches/<figure>_<panel>.nc``,
each verified against its figure's params record) and prints, per target of
``config/config.yaml`` → ``branches.targets`` and per series: every branch (type, points,
parameter range, where it is stable, why each end stopped), every event by kind, every switch
of the protocol's S_Q with its verdict (``qorepro.workflow.branches_stage.describe``), and the
census' unassigned fraction.  Not a test: run by hand, e.g.

    .venv/bin/python benchmarks/branches_listing.py --run baseline
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import yaml

from qorepro.workflow.branches_stage import describe, open_branches, select_series
from qorepro.workflow.record import FigureSpec


def g(v) -> float:
    """v to four significant figures."""
    return float(f"{v:.4g}")


def series_lines(one) -> list[str]:
    d = describe(one)
    out = []
    for b in d["branches"]:
        rng = [g(v) for v in b["parameter"]]
        stable = [[g(a), g(z)] for a, z in b["stable"]]
        out.append(f"    b{b['branch']} {b['type']} n={b['points']} p∈{rng} stable on {stable} stops {b['stops']}")
    kinds = {}
    for e in d["events"]:
        kinds.setdefault(e["kind"], []).append(f"b{e['branch']}@{e['parameter']:.4g}")
    out += [f"    {k}: {', '.join(v)}" for k, v in kinds.items()]
    for s in d["switches"]:
        ev = [(e["kind"], g(e["parameter"])) for e in s["events"]]
        line = (f"    switch {[g(v) for v in s['p']]} S_Q {[round(v, 4) for v in s['S_Q']]} "
                f"branches {s['branches']} -> {s['verdict']}")
        out.append(line + (f" events {ev}" if ev else ""))
    un = one["census_unassigned"].values
    if np.isfinite(un).any():
        out.append(f"    census: unassigned mean {np.nanmean(un):.3f}, max {np.nanmax(un):.3f}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="baseline")
    ap.add_argument("--config", default="config/config.yaml")
    args = ap.parse_args()
    with open(args.config, encoding="utf-8") as fh:
        targets = yaml.safe_load(fh)["branches"]["targets"]
    for name, t in targets.items():
        spec = FigureSpec.load(f"results/{args.run}/params/{t['figure']}.json")
        for p in t["panels"]:
            ds = open_branches(f"results/{args.run}/branches/{t['figure']}_{p}.nc", spec)
            diff = ds.attrs.get("S_Q_protocol_max_abs_difference", float("nan"))
            print(f"== {t['figure']}{p} ({ds.attrs['axis']}); S_Q_protocol vs panel max |diff| {diff}")
            for s in ds["series"].values:
                one = select_series(ds, str(s))
                print(f"  series {s}: {one.sizes['branch']} branches")
                print("\n".join(series_lines(one)))
    settings = json.loads(ds.attrs["branch_settings"])
    print(f"(census: {settings['census']['trajectories']} trajectories per grid value)")


if __name__ == "__main__":
    main()
