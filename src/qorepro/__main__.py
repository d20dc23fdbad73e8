"""Command line: ``python -m qorepro baseline`` — the fast default reproduction.

Computes the paper's baseline point (SI Table I, Fig. 1 caption, Ω = 0) for K = 0 and
K = ∓2×10⁻⁵ (CD / OD field directions) with the time-domain method, certifies each point and
prints the window-mean S_Q with its stability verdict; the Dataset is written as NetCDF.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

import numpy as np

from . import sweep
from .solver import SolverSettings


def baseline(args) -> int:
    settings = SolverSettings(t_end_tau=args.t_end, window_tau=(args.t_end - args.window, args.t_end))
    ds = sweep.sweep({"K": [0.0, -2e-5, 2e-5]}, settings=settings,
                     progress=lambda d, n: print(f"batch {d}/{n} done", file=sys.stderr))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if os.path.exists(args.out) and not args.force:
        print(f"{args.out} exists; pass --force to overwrite", file=sys.stderr)
        return 2
    ds.to_netcdf(args.out)
    print(f"baseline (Ω = 0), window t/τ ∈ [{settings.window_tau[0]:g}, {settings.window_tau[1]:g}]")
    print(f"{'K':>9} {'S_Q mean':>9} {'min':>8} {'max':>8} {'S_C':>9} {'E_N':>6} {'G_a':>6} {'G_m':>6} "
          f"{'FP maxRe(λ)':>11} {'period/τ':>8} {'max|μ| nontriv':>14} {'lin.ratio':>9}  verdict")
    for K in ds.K.values:
        r = ds.sel(K=K)
        print(f"{K:9.1e} {float(r.S_Q):9.4f} {float(r.S_Q_min):8.4f} {float(r.S_Q_max):8.4f} "
              f"{float(r.S_C):9.2e} {float(r.E_N):6.3f} {float(r.G_a):6.3f} {float(r.G_m):6.3f} "
              f"{float(r.fp_max_re_eig):11.4f} {float(r.period_tau):8.4f} "
              f"{float(r.floquet_max_nontrivial):14.4f} {float(r.linearization_ratio):9.3f}  {str(r.verdict.values)}")
    print(f"written: {args.out}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qorepro", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("baseline", help="baseline S_Q for K = 0, ∓2e-5 with certification")
    b.add_argument("--t-end", type=float, default=200.0, help="end time in τ (default 200)")
    b.add_argument("--window", type=float, default=20.0, help="late-window length in τ (default 20)")
    b.add_argument("--out", default="results/baseline/engine/baseline.nc")
    b.add_argument("--force", action="store_true", help="overwrite an existing output file")
    args = ap.parse_args(argv)
    if args.window <= 0 or args.window > args.t_end:
        ap.error("--window must be in (0, t_end]")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return baseline(args)


if __name__ == "__main__":
    raise SystemExit(main())
