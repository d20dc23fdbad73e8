"""Command line: ``python -m qorepro baseline`` — the paper's baseline point, computed.

``python -m qorepro verify results/<run>`` re-checks a finished run offline: its MANIFEST is
well formed, the run's own and complete (every record and panel its figures, tables and claims
read), its sha256s hold, and every panel file matches its params record.

Every argument is checked before anything is computed (one line naming the option, exit 2).

Computes the baseline (SI Table I, Fig. 1 caption, Ω = 0) for K = 0 and K = ∓2×10⁻⁵ (CD / OD
field directions):

* ``--method gaussian`` (default): the linearised Gaussian dynamics, certified; prints the
  window-mean S_Q with its stability verdict and writes the Dataset as NetCDF (``--out``);
* ``--method twa``: the truncated-Wigner ensemble of the nonlinear equations (``--trajectories``,
  ``--seed``) beside the Gaussian value; the attractor census and S_Q per attractor.

``--json`` prints a JSON list of one object per K instead of the table.

``python -m qorepro validate twa [--json]`` checks the truncated-Wigner engine against the exact
master equation (QuTiP) on two small models (:mod:`qorepro.validate_twa`).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

import numpy as np

KS = (0.0, -2e-5, 2e-5)
#: the longest integration the command line runs (τ): 50× the paper's 200 τ, 10× the longest
#: variant (1000 τ); one batch, no progress in between — longer runs belong in the workflow
T_END_LIMIT = 10_000.0


def _gaussian(settings):
    from . import sweep
    return sweep.sweep({"K": list(KS)}, settings=settings,
                       progress=lambda d, n: print(f"batch {d}/{n} done", file=sys.stderr))


def _f(x):
    x = float(x)
    return None if not np.isfinite(x) else x


def baseline(args, settings) -> int:
    """The baseline for ``args`` (checked by :func:`check_baseline_args`) and ``settings``."""
    from .settings import ATTRACTORS, TWASettings
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
    from .io import write_netcdf
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_netcdf(ds, args.out)
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


class ArgumentError(ValueError):
    """A command-line argument that cannot be used (the message starts with the option)."""


def check_baseline_args(args):
    """Every argument of ``baseline``, before anything is computed; returns the solver
    settings.  Raises :class:`ArgumentError` naming the option."""
    from .settings import SolverSettings, TWASettings
    from .workflow.validation import SEED_LIMIT
    if not np.isfinite(args.t_end) or not 0 < args.t_end <= T_END_LIMIT:
        raise ArgumentError(f"--t-end {args.t_end:g}: must be in (0, {T_END_LIMIT:g}] τ (the paper integrates to "
                            "200 τ); run longer integrations through the workflow (solver.t_end_tau)")
    if not np.isfinite(args.window) or not 0 < args.window <= args.t_end:
        raise ArgumentError(f"--window {args.window:g}: must be in (0, t_end = {args.t_end:g}] τ")
    try:
        settings = SolverSettings(t_end_tau=args.t_end, window_tau=(args.t_end - args.window, args.t_end))
    except ValueError as e:
        raise ArgumentError(f"--t-end/--window: {e}") from None
    defaults = TWASettings()
    args.trajectories = defaults.trajectories if args.trajectories is None else args.trajectories
    args.seed = defaults.seed if args.seed is None else args.seed
    if not 0 <= args.seed < SEED_LIMIT:
        raise ArgumentError(f"--seed {args.seed}: must be in [0, 2^63 - 1] (the random keys take a 64-bit signed seed)")
    try:
        TWASettings(trajectories=args.trajectories, seed=args.seed)
    except ValueError as e:
        raise ArgumentError(f"--trajectories {args.trajectories}: {e}") from None
    if args.method == "gaussian" and not args.json:
        _check_out(args.out, args.force)
    return settings


def _check_out(out: str, force: bool) -> None:
    """``--out`` is a file path that can be written (its folder exists or can be made)."""
    if os.path.isdir(out):
        raise ArgumentError(f"--out {out}: is a directory; give the path of the NetCDF file to write")
    if os.path.lexists(out) and not force:
        raise ArgumentError(f"--out {out}: exists; pass --force to overwrite")
    parent = os.path.dirname(os.path.abspath(out))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise ArgumentError(f"--out {out}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ArgumentError(f"--out {out}: {parent} is not writable")


def verify(run_dir: str) -> int:
    """``python -m qorepro verify results/<run>``: exit 0 and one summary line when the run
    verifies, else exit 1 and one line naming the first file (or MANIFEST line) that does not."""
    from .workflow.provenance import ProvenanceError, verify_run
    try:
        r = verify_run(run_dir)
    except (ProvenanceError, OSError) as e:
        print(f"verification FAILED: {' '.join(str(e).split())}", file=sys.stderr)
        return 1
    print(f"run {r['run']} verified: {r['files']} files match {run_dir}/MANIFEST, "
          f"{r['panels']} panel files match their params records and checksums")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (no usage block) and exit status 2."""

    def error(self, message):
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv=None) -> int:
    ap = _Parser(prog="python -m qorepro", description=__doc__.splitlines()[0])
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
    val = sub.add_parser("validate", help="check an engine against exact answers: 'twa' (TWA vs the exact master "
                         "equation, QuTiP, on the Kerr resonator and the van der Pol oscillator)")
    val.add_argument("what", choices=["twa"])
    val.add_argument("--json", action="store_true", help="print a JSON list (one object per point and observable)")
    args = ap.parse_args(argv)
    if args.cmd == "verify":
        return verify(args.run_dir)
    if args.cmd == "validate":
        from . import validate_twa
        return validate_twa.main(args.json)
    try:
        settings = check_baseline_args(args)
    except ArgumentError as e:
        print(f"{ap.prog} baseline: error: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    return baseline(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
