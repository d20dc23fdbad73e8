"""Benchmark: batched steady-state engine vs. a per-point scipy loop (companion models).

The same N points (a Δ sweep × spin/direction cases) are computed twice: by the model's
batched ``solve`` (Kronecker Lyapunov solve, Faddeev–LeVerrier Hurwitz, eigenvalues, all
batched) and by a Python loop over scipy.linalg.solve_continuous_lyapunov + np.linalg.eigvals
+ np.poly per point (the drift and diffusion matrices are built batched for both, so only the
per-point linear algebra differs).  E_N must agree to 1e-9.  Not a test: run by hand, e.g.

    python benchmarks/bench_steady.py --points 4000 --out benchmarks/results/bench_steady.json
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.linalg as sl  # noqa: E402

from qorepro import measures  # noqa: E402
from qorepro.models import jiao2020, jiao2022  # noqa: E402
from qorepro.stability import hurwitz_determinants  # noqa: E402


def cases(model, n):
    if model is jiao2020:
        return {"Delta_c": np.linspace(-1, 3, n), "Omega_kHz": np.resize([0.0, 8.0, 23.0], n),
                "direction": np.resize([1.0, -1.0], n), "J_MHz": np.resize([0.0, 76.0], n)}
    return {"Delta": np.linspace(0.4, 1.6, n), "Omega_l_MHz": np.resize([0.0, 0.8], n),
            "direction": np.resize([1.0, -1.0], n), "chi": np.resize([1.0, 0.95], n),
            "correlated_noise": np.resize([0.0, 1.0], n)}


def matrices(model, p):
    """Drift (AD, as the engine takes it) and diffusion matrices, batch first."""
    from qorepro.gaussian import drift_matrix
    c = model.coefficients(p)
    return drift_matrix(model.MODEL, model.steady_state(c), c), np.moveaxis(model.diffusion_matrix(c), -1, 0)


def per_point(model, A, D):
    out = np.full(len(A), np.nan)
    for i in range(len(A)):
        stable = np.linalg.eigvals(A[i]).real.max() < 0
        stable &= bool(np.all(hurwitz_determinants(np.poly(A[i]).real) > 0))
        if stable:
            V = sl.solve_continuous_lyapunov(A[i], -D[i])
            out[i] = measures.log_negativity(V[None], *model.MODEL.entangled_modes)[0]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=4000)
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    record = {"points": a.points, "threads": 1}
    for model in (jiao2020, jiao2022):
        p = cases(model, a.points)
        t0 = time.perf_counter()
        res = model.solve(p)
        t_batch = time.perf_counter() - t0
        A, D = matrices(model, p)
        t0 = time.perf_counter()
        ref = per_point(model, A, D)
        t_loop = time.perf_counter() - t0     # the matrices were built before the timed loop
        err = float(np.nanmax(np.abs(res["E_N"] - ref)))
        same_nan = bool(np.array_equal(np.isnan(res["E_N"]), np.isnan(ref)))
        record[model.MODEL.name] = {"batched_us_per_point": 1e6 * t_batch / a.points,
                              "scipy_loop_us_per_point": 1e6 * t_loop / a.points,
                              "speedup": t_loop / t_batch, "max_abs_dE_N": err, "same_stable_set": same_nan}
        print(f"{model.MODEL.name}: batched {1e6 * t_batch / a.points:.1f} µs/point (incl. mean fields), "
              f"scipy loop {1e6 * t_loop / a.points:.1f} µs/point (linear algebra only) → "
              f"{t_loop / t_batch:.1f}×; max |ΔE_N| = {err:.1e}, same stable set: {same_nan}")
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(record, fh, indent=1)


if __name__ == "__main__":
    main()
