"""Benchmark: one limit-cycle branch of the Lai model along Fig. 2c's swept axis (K).

The seed is the cycle the zero start reaches at K = 0 (the paper's baseline, integrated as
the solver does; its cost is reported apart: the workflow has those runs already).  The
branch through it is traced over K ∈ [−5, 5]·10⁻⁵ with the step bounded so that it takes
about ``--points`` points (more where the orbit changes fast: the arclength counts the
state and the period as well as K), twice: cold (compiling the period map and its Jacobian) and warm
(the compiled programs reused, as every later panel of the same model in one process).
The estimate for the six panels of issue 19 is one compilation plus six warm branches per
seed.  Not a test: run by hand, e.g.

    OMP_NUM_THREADS=1 taskset -c 0 python benchmarks/bench_continuation.py --out benchmarks/results/bench_continuation.json
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from qorepro import solver, stability  # noqa: E402
from qorepro.branches import (  # noqa: E402
    ContinuationSettings,
    Seed,
    affine_coefficients,
    affine_field,
    trace_branches,
)
from qorepro.models import lai2025 as L  # noqa: E402

BOUNDS = (-5e-5, 5e-5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=41, help="target number of branch points")
    ap.add_argument("--steps", type=int, default=256, help="Runge–Kutta steps per period")
    ap.add_argument("--out", help="write the timings as JSON here")
    a = ap.parse_args()

    t = time.perf_counter()
    p = L.LaiParams()
    tr = solver.integrate(L.MODEL, p)
    period, _, _ = stability.detect_period(tr.t_window_tau, tr.window_means[:, 4])
    seed_s = time.perf_counter() - t

    at = lambda K: L.Coefficients(*(float(v[0]) for v in L.coefficients(p.replace(K=K))))
    c0, e = affine_coefficients(at, BOUNDS)
    f = affine_field(L.mean_field_rhs)
    seed = Seed(tr.x_final[:, 0], 2 * np.pi * float(period[0]), 0.0)
    # the parameter's share of a unit arclength is at most 1 (scale: the range width)
    ds = 1.0 / (a.points - 1)
    settings = ContinuationSettings(ds=ds, ds_max=ds)
    runs = []
    for label in ("cold", "warm"):
        t = time.perf_counter()
        bs = trace_branches(f, 8, [seed], BOUNDS, steps=a.steps, settings=settings, args=(c0, e))
        runs.append((label, time.perf_counter() - t, bs))
    cold, warm = runs[0][1], runs[1][1]
    b = runs[1][2].branches[0]
    res = {"seed_integration_s": seed_s, "cold_s": cold, "warm_s": warm, "compile_s": cold - warm,
           "points": len(b), "warm_per_point_s": warm / len(b), "stops": list(b.stops),
           "events": [(ev.kind, ev.p) for ev in runs[1][2].events], "steps_per_period": a.steps,
           "stable_fraction": float(b.stable.mean()),
           "six_panels_estimate_s": (cold - warm) + 6 * warm,
           "six_panels_at_41_points_estimate_s": (cold - warm) + 6 * 41 * warm / len(b),
           "cpu_count_visible": len(os.sched_getaffinity(0)),
           "load_average_1min": os.getloadavg()[0]}
    print(json.dumps(res, indent=1))
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
