"""Compare the panel NetCDFs of two runs variable by variable (numbers only, not attributes).

    python benchmarks/compare_panels.py RESULTS_A/data RESULTS_B/data [--json out.json]

For every ``<figure>/<panel>.nc`` present in both: the variables that are not bit-identical
(NaN = NaN), with the largest absolute and relative difference.  Used to show that a change of
the engine's compiled shapes (``qorepro.batching``) leaves the numbers alone.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import xarray as xr


def compare(a_dir: str, b_dir: str) -> dict:
    out = {}
    for fig in sorted(os.listdir(a_dir)):
        for panel in sorted(os.listdir(os.path.join(a_dir, fig))):
            pa, pb = os.path.join(a_dir, fig, panel), os.path.join(b_dir, fig, panel)
            if not panel.endswith(".nc") or not os.path.exists(pb):
                continue
            with xr.open_dataset(pa) as A, xr.open_dataset(pb) as B:
                diffs, n = {}, 0
                for name in sorted(set(A.variables) | set(B.variables)):
                    if name not in A.variables or name not in B.variables:
                        diffs[name] = "missing in one"
                        continue
                    x, y = A[name].values, B[name].values
                    n += 1
                    if x.shape != y.shape:
                        diffs[name] = f"shape {x.shape} vs {y.shape}"
                    elif x.dtype.kind in "fc":
                        if not np.array_equal(x, y, equal_nan=True):
                            with np.errstate(invalid="ignore"):
                                d = np.abs(x - y)
                                nan_mismatch = int(np.sum(np.isnan(x) != np.isnan(y)))
                                rel = d / np.maximum(np.abs(x), np.finfo(float).tiny)
                            diffs[name] = {"max_abs": float(np.nanmax(d)) if np.isfinite(d).any() else None,
                                           "max_rel": float(np.nanmax(rel)) if np.isfinite(rel).any() else None,
                                           "nan_mismatch": nan_mismatch}
                    elif not np.array_equal(x, y):
                        diffs[name] = f"{int(np.sum(x != y))} of {x.size} values differ"
                out[f"{fig}/{panel}"] = {"variables": n, "not_identical": diffs}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    res = compare(args.a, args.b)
    worst_abs = max((v["max_abs"] or 0 for r in res.values() for v in r["not_identical"].values()
                     if isinstance(v, dict)), default=0.0)
    for k, r in res.items():
        state = "bit-identical" if not r["not_identical"] else f"{len(r['not_identical'])} variables differ"
        print(f"{k}: {r['variables']} variables, {state}")
        for name, v in r["not_identical"].items():
            print(f"    {name}: {v}")
    print(f"{len(res)} panel files compared; largest absolute difference {worst_abs:.3g}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(res, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
