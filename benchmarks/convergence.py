"""Convergence table behind the default step of the time-domain solver.

For a fixed test set of parameter points (the baseline K = 0, ∓2×10⁻⁵, Sagnac-shifted optical
detunings Δ_a + σ_a = −1.85 … −0.65, ρ ≠ 1, thermal noise, other decay rates) it computes the
window-mean S_Q (and squeezing, G_a) once with ``scipy.integrate.solve_ivp(DOP853,
rtol=1e-10, atol=1e-12)`` per point — the reference — and then with the engine's fixed-step
integrator for several tableaux and steps per τ.  Prints and writes the largest deviation
from the reference per setting; the solver's default is the cheapest setting whose largest
|ΔS_Q| is below 5×10⁻⁵.  Not a test (minutes of CPU):

    python benchmarks/convergence.py --out benchmarks/results/convergence.json
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402

from qorepro import measures, units  # noqa: E402
from qorepro.models import lai2025  # noqa: E402
from qorepro.solver import SolverSettings, integrate, integrate_scipy_point  # noqa: E402

SIGMA_6 = float(units.sagnac_shift(6.0, 1))
#: (label, parameter overrides)
POINTS = [
    ("baseline K=0", {}),
    ("CD K=-2e-5", {"K": -2e-5}),
    ("OD K=+2e-5", {"K": 2e-5}),
    ("Sagnac right, Da+sa=-1.85", {"Omega_kHz": 6.0, "direction": -1.0, "Delta_a": -1.85 + SIGMA_6}),
    ("Sagnac right, Da+sa=-1.70", {"Omega_kHz": 6.0, "direction": -1.0, "Delta_a": -1.70 + SIGMA_6}),
    ("Sagnac right, Da+sa=-1.53", {"Omega_kHz": 6.0, "direction": -1.0, "Delta_a": -1.53 + SIGMA_6}),
    ("Sagnac left, Da=-1.0", {"Omega_kHz": 6.0, "direction": 1.0, "Delta_a": -1.0}),
    ("rho=2, CD", {"rho": 2.0, "K": -2e-5}),
    ("n_th=10, CD, Dm=-1.2", {"n1": 10.0, "n2": 10.0, "K": -2e-5, "Delta_m": -1.2}),
    ("gamma=0.01, K=0", {"gamma1": 0.01, "gamma2": 0.01}),
    ("kappa_m=0.3, CD", {"kappa_m": 0.3, "K": -2e-5}),
    ("kappa_a=0.25, OD", {"kappa_a": 0.25, "K": 2e-5}),
    ("Dm=-0.5", {"Delta_m": -0.5}),
    ("chi=0.04, CD", {"chi": 0.04, "K": -2e-5}),
]
SETTINGS = [("dopri8", n) for n in (32, 48, 64, 96, 128)] + [("tsit5", n) for n in (64, 128, 256)]
TOL = 5e-5


def _window(settings):
    return SolverSettings(t_end_tau=settings["t_end_tau"], window_tau=tuple(settings["window_tau"]))


def reference_point(args):
    label, over, t_end, rtol, atol = args
    s = SolverSettings(t_end_tau=t_end, window_tau=(t_end - 20, t_end))
    t0 = time.perf_counter()
    t, sq, _, xs, Vs = integrate_scipy_point(lai2025.MODEL, lai2025.LaiParams(**over), settings=s,
                                             rtol=rtol, atol=atol, covariance=True)
    w = t >= s.window_tau[0] - 1e-12
    c = lai2025.coefficients(lai2025.LaiParams(**over))
    G_a = float(c.g_a[0] * np.sqrt(xs[0, w] ** 2 + xs[1, w] ** 2).mean())
    sqz = float(measures.squeezing_db(Vs[w], (2, 3)).mean())
    return {"label": label, "overrides": over, "S_Q": float(sq[w].mean()), "S_Q_min": float(sq[w].min()),
            "S_Q_max": float(sq[w].max()), "G_a": G_a, "squeezing_dB": sqz, "seconds": time.perf_counter() - t0}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--t-end", type=float, default=200.0)
    ap.add_argument("--rtol", type=float, default=1e-10)
    ap.add_argument("--atol", type=float, default=1e-12)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reference", help="reuse reference values from this JSON (an earlier --out)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if args.reference:
        with open(args.reference) as fh:
            ref = json.load(fh)["reference"]
    else:
        jobs = [(lab, ov, args.t_end, args.rtol, args.atol) for lab, ov in POINTS]
        with ProcessPoolExecutor(args.workers) as ex:
            ref = list(ex.map(reference_point, jobs))
        for r in ref:
            print(f"reference {r['label']}: S_Q = {r['S_Q']:.8f} ({r['seconds']:.0f} s)", flush=True)
    params = lai2025.LaiParams(**{k: np.array([r["overrides"].get(k, getattr(lai2025.LaiParams(), k)) for r in ref])
                                  for k in sorted({k for r in ref for k in r["overrides"]})})
    rows = []
    c = lai2025.coefficients(params)
    for method, spt in SETTINGS:
        s = SolverSettings(t_end_tau=args.t_end, window_tau=(args.t_end - 20, args.t_end), steps_per_tau=spt,
                           method=method)
        integrate(lai2025.MODEL, params, settings=s)          # compile
        t0 = time.perf_counter()
        tr = integrate(lai2025.MODEL, params, settings=s)
        sec = time.perf_counter() - t0
        sq = tr.window_stats("S_Q")
        na = tr.window_means[:, 0] ** 2 + tr.window_means[:, 1] ** 2
        G_a = (c.g_a * np.sqrt(na)).mean(axis=0)
        sqz = np.nanmean(tr.window["squeezing_dB"], axis=0)
        err = {"S_Q": np.abs(sq[0] - [r["S_Q"] for r in ref]),
               "S_Q_min": np.abs(sq[1] - [r["S_Q_min"] for r in ref]),
               "S_Q_max": np.abs(sq[2] - [r["S_Q_max"] for r in ref]),
               "G_a": np.abs(G_a - [r["G_a"] for r in ref]),
               "squeezing_dB": np.abs(sqz - [r["squeezing_dB"] for r in ref])}
        row = {"method": method, "steps_per_tau": spt, "seconds_for_set": sec,
               **{f"max_abs_err_{k}": float(v.max()) for k, v in err.items()},
               "worst_point_S_Q": ref[int(np.argmax(err["S_Q"]))]["label"],
               "per_point_err_S_Q": [float(e) for e in err["S_Q"]]}
        rows.append(row)
        print(f"{method:7s} {spt:4d}/τ  max|ΔS_Q| {row['max_abs_err_S_Q']:.2e} (worst: {row['worst_point_S_Q']})  "
              f"max|ΔS_Q,min/max| {max(row['max_abs_err_S_Q_min'], row['max_abs_err_S_Q_max']):.2e}  "
              f"max|ΔG_a| {row['max_abs_err_G_a']:.1e}  max|Δsqueezing| {row['max_abs_err_squeezing_dB']:.1e} dB  "
              f"{sec:.2f} s", flush=True)
    ok = [r for r in rows if r["max_abs_err_S_Q"] < TOL]
    best = min(ok, key=lambda r: r["seconds_for_set"]) if ok else None
    result = {"t_end_tau": args.t_end, "window_tau": [args.t_end - 20, args.t_end],
              "reference_solver": f"solve_ivp(DOP853, rtol={args.rtol}, atol={args.atol})", "tolerance_S_Q": TOL,
              "reference": ref, "rows": rows, "cheapest_within_tolerance": best and {k: best[k] for k in ("method", "steps_per_tau")}}
    print("cheapest setting within", TOL, ":", result["cheapest_within_tolerance"])
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
