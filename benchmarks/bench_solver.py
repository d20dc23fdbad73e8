"""Benchmark: batched solver vs. per-point scipy.integrate.solve_ivp(DOP853, rtol=1e-8).

Runs the same N parameter points both ways (a K sweep around the baseline, plus Δ_m spread),
checks that the window-mean S_Q agrees to 1e-4 absolute and prints the per-point cost
ratio.  Not a test: run it by hand, e.g.

    python benchmarks/bench_solver.py --points 256 --t-end 200

and read the last line.  Writes a JSON record next to ``--out`` if given.
"""
from __future__ import annotations

import os

# one BLAS thread for both sides: a per-core comparison, independent of machine load
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json
import time

import numpy as np  # noqa: E402

from qorepro.models import lai2025
from qorepro.solver import SolverSettings, integrate, integrate_scipy_point


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=256)
    ap.add_argument("--t-end", type=float, default=200.0, help="t_end in τ (window = last 20 τ)")
    ap.add_argument("--out", default=None, help="write the result as JSON here")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(1)
    n = args.points
    K = rng.uniform(-5e-5, 5e-5, n)
    Dm = rng.uniform(-1.1, -0.9, n)
    params = lai2025.LaiParams(K=K, Delta_m=Dm)
    t_end = args.t_end
    settings = SolverSettings(t_end_tau=t_end, window_tau=(max(0.0, t_end - 20), t_end))

    t0 = time.perf_counter()
    traj = integrate(lai2025.MODEL, params, settings=settings, keep_means=False)
    batched = time.perf_counter() - t0
    sq_batched = traj.window_stats("S_Q")[0]

    sq_ref = np.empty(n)
    t0 = time.perf_counter()
    for i in range(n):
        t, sq, _, _ = integrate_scipy_point(lai2025.MODEL, params.replace(K=K[i], Delta_m=Dm[i]),
                                            settings=settings)
        w = (t >= settings.window_tau[0] - 1e-12)
        sq_ref[i] = sq[w].mean()
        print(f"  scipy point {i + 1}/{n}: {time.perf_counter() - t0:.1f} s", flush=True)
    reference = time.perf_counter() - t0

    err = np.abs(sq_batched - sq_ref)
    result = {
        "points": n, "t_end_tau": t_end, "solver_settings": settings.to_dict(),
        "batched_s": batched, "scipy_s": reference,
        "batched_per_point_s": batched / n, "scipy_per_point_s": reference / n,
        "ratio": reference / batched, "max_abs_err_SQ": float(err.max()),
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "agree_1e-4": bool(err.max() <= 1e-4),
    }
    print(json.dumps(result, indent=2))
    print(f"per-point cost: batched {batched / n * 1e3:.1f} ms, scipy DOP853 {reference / n * 1e3:.0f} ms, "
          f"ratio {reference / batched:.0f}x; max |ΔS_Q| = {err.max():.2e} "
          f"({'OK' if err.max() <= 1e-4 else 'FAIL'} at 1e-4)")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0 if err.max() <= 1e-4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
