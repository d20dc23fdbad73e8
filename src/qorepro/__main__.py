"""Command line: ``python -m qorepro baseline`` — the paper's baseline point, computed.

``python -m qorepro verify results/<run>`` re-checks a finished run offline (its MANIFEST and
the provenance of every panel file).

Computes the baseline (SI Table I, Fig. 1 caption, Ω = 0) for K = 0 and K = ∓2×10⁻⁵ (CD / OD
field directions):

* ``--method gaussian`` (default): the linearised Gaussian dynamics, certified; prints the
  window-mean S_Q with its stability verdict and writes the Dataset as NetCDF (``--out``);
* ``--method twa``: the truncated-Wigner ensemble of the nonlinear equations (``--trajectories``,
  ``--seed``) beside the Gaussian value; the attractor census and S_Q per attractor.

``--json`` prints a JSON list of one object per K instead of the table.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

import numpy as np

KS = (0.0, -2e-5, 2e-5)


def _gaussian(settings):
    from . import sweep
    return sweep.sweep({"K": list(KS)}, settings=settings,
                       progress=lambda d, n: print(f"batch {d}/{n} done", file=sys.stderr))


def _f(x):
    x = float(x)
    return None if not np.isfinite(x) else x


def baseline(args) -> int:
    from .settings import ATTRACTORS, SolverSettings, TWASettings
    settings = SolverSettings(t_end_tau=args.t_end, window_tau=(args.t_end - args.window, args.t_end))
    if args.method == "gaussian" and not args.json:
        if os.path.exists(args.out) and not args.force:
            print(f"{args.out} exists; pass --force to overwrite", file=sys.stderr)
            return 2
    ds = _gaussian(settings)
    rows = []
    for K in KS:
        r = ds.sel(K=K)
        rows.append({"K": K, "S_Q_gaussian": _f(r.S_Q), "S_Q_gaussian_min": _f(r.S_Q_min),
                     "S_Q_gaussian_max": _f(r.S_Q_max), "S_Q_floquet": _f(r.S_Q_floquet),
                     "verdict_gaussian": str(r.verdict.values), "linearization_ratio": _f(r.linearization_ratio),
                     "period_tau": _f(r.period_tau), "floquet_max_nontrivial": _f(r.floquet_max_nontrivial),
                     "fp_max_re_eig": _f(r.fp_max_re_eig), "G_a": _f(r.G_a), "G_m": _f(r.G_m)})
    if args.method == "twa":
        from . import twa
        from .models import lai2025
        tw = TWASettings(trajectories=args.trajectories, seed=args.seed)
        res = twa.simulate(lai2025.MODEL, lai2025.LaiParams(K=np.array(KS)), settings=settings, twa=tw)
        for i, row in enumerate(rows):
            row.update({
                "S_Q": _f(res["S_Q"][i]), "S_Q_err": _f(res["S_Q_err"][i]),
                "S_C": _f(res["S_C"][i]), "S_C_err": _f(res["S_C_err"][i]),
                "attractors": {a: float(res["census"][i, j]) for j, a in enumerate(ATTRACTORS)},
                "S_Q_by_attractor": {a: _f(res["S_Q_by_attractor"][i, j]) for j, a in enumerate(ATTRACTORS)},
                "S_Q_by_attractor_err": {a: _f(res["S_Q_by_attractor_err"][i, j]) for j, a in enumerate(ATTRACTORS)},
                "numbers": dict(zip(("N_a", "N_m", "n_b1", "n_b2"), map(_f, res["numbers"][i]))),
                "twa_settings": tw.to_dict(),
            })
    else:
        for row in rows:
            row["S_Q"] = row["S_Q_gaussian"]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"baseline (Ω = 0), window t/τ ∈ [{settings.window_tau[0]:g}, {settings.window_tau[1]:g}], method {args.method}")
    if args.method == "twa":
        print(f"{'K':>9} {'S_Q (TWA)':>16} {'S_Q Gaussian':>12}  verdict (Gaussian)       attractors")
        for r in rows:
            att = ", ".join(f"{a} {f:.2f}" for a, f in r["attractors"].items() if f > 0)
            print(f"{r['K']:9.1e} {r['S_Q']:8.4f} ± {r['S_Q_err']:.4f} {r['S_Q_gaussian']:12.4f}  "
                  f"{r['verdict_gaussian']:24s} {att}")
        return 0
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    ds.to_netcdf(args.out)
    print(f"{'K':>9} {'S_Q mean':>9} {'min':>8} {'max':>8} {'S_Q Floquet':>11} {'G_a':>6} {'G_m':>6} "
          f"{'FP maxRe(λ)':>11} {'period/τ':>8} {'max|μ| nontriv':>14} {'lin.ratio':>9}  verdict")
    for K in KS:
        r = ds.sel(K=K)
        print(f"{K:9.1e} {float(r.S_Q):9.4f} {float(r.S_Q_min):8.4f} {float(r.S_Q_max):8.4f} "
              f"{float(r.S_Q_floquet):11.4f} {float(r.G_a):6.3f} {float(r.G_m):6.3f} "
              f"{float(r.fp_max_re_eig):11.4f} {float(r.period_tau):8.4f} "
              f"{float(r.floquet_max_nontrivial):14.4f} {float(r.linearization_ratio):9.3f}  {str(r.verdict.values)}")
    print(f"written: {args.out}")
    return 0


def verify(run_dir: str) -> int:
    """``python -m qorepro verify results/<run>``: exit 0 and one summary line when the run
    verifies, else exit 1 and one line naming the first file that does not."""
    from .workflow.provenance import ProvenanceError, verify_run
    try:
        r = verify_run(run_dir)
    except ProvenanceError as e:
        print(f"verification FAILED: {e}", file=sys.stderr)
        return 1
    print(f"run {r['run']} verified: {r['files']} files match {run_dir}/MANIFEST, "
          f"{r['panels']} panel files match their params records and checksums")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qorepro", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("baseline", help="baseline S_Q for K = 0, ∓2e-5 (Gaussian with certification, or TWA)")
    b.add_argument("--method", choices=["gaussian", "twa"], default="gaussian")
    b.add_argument("--json", action="store_true", help="print a JSON list (one object per K)")
    b.add_argument("--trajectories", type=int, default=None, help="TWA trajectories per point (default: "
                   "the TWASettings default)")
    b.add_argument("--seed", type=int, default=None, help="TWA seed (default: the TWASettings default)")
    b.add_argument("--t-end", type=float, default=200.0, help="end time in τ (default 200)")
    b.add_argument("--window", type=float, default=20.0, help="late-window length in τ (default 20)")
    b.add_argument("--out", default="results/baseline/engine/baseline.nc")
    b.add_argument("--force", action="store_true", help="overwrite an existing output file")
    v = sub.add_parser("verify", help="re-check a run offline: MANIFEST sha256s and every panel's provenance")
    v.add_argument("run_dir", help="results/<run>")
    args = ap.parse_args(argv)
    if args.cmd == "verify":
        return verify(args.run_dir)
    if not (np.isfinite(args.t_end) and np.isfinite(args.window)) or args.window <= 0 or args.window > args.t_end:
        ap.error("--window must be in (0, t_end] and both finite")
    from .settings import TWASettings
    defaults = TWASettings()
    args.trajectories = defaults.trajectories if args.trajectories is None else args.trajectories
    args.seed = defaults.seed if args.seed is None else args.seed
    try:
        TWASettings(trajectories=args.trajectories, seed=args.seed)
    except ValueError as e:
        ap.error(f"--trajectories: {e}")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    return baseline(args)


if __name__ == "__main__":
    raise SystemExit(main())
