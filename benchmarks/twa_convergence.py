"""Convergence table behind the truncated-Wigner defaults (trajectories M, SDE step, solver).

At the paper's baseline (K = 0, ∓2×10⁻⁵; t_end = 200 τ, window [180, 200] τ) it runs the
ensemble for several SDE steps per τ and solvers at M = 1024 (S_Q, its error bar, the census)
and for several M at the default step, and times one CPU core.  Not a test (minutes):

    python benchmarks/twa_convergence.py --out benchmarks/results/twa_convergence.json
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
if len(os.sched_getaffinity(0)) > 1:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from qorepro import twa  # noqa: E402
from qorepro.models import lai2025  # noqa: E402
from qorepro.settings import ATTRACTORS, SolverSettings, TWASettings  # noqa: E402

KS = (0.0, -2e-5, 2e-5)


def one(settings, tw):
    p = lai2025.LaiParams(K=np.array(KS))
    twa.simulate(lai2025.MODEL, p, settings=settings, twa=tw)          # compile
    t0 = time.perf_counter()
    r = twa.simulate(lai2025.MODEL, p, settings=settings, twa=tw)
    sec = time.perf_counter() - t0
    return {"solver": tw.solver, "steps_per_tau": tw.steps_per_tau, "trajectories": tw.trajectories,
            "seconds_per_point": sec / len(KS),
            "S_Q": [float(v) for v in r["S_Q"]], "S_Q_err": [float(v) for v in r["S_Q_err"]],
            "census": [{a: float(f) for a, f in zip(ATTRACTORS, row)} for row in r["census"]]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None)
    ap.add_argument("--t-end", type=float, default=200.0)
    args = ap.parse_args(argv)
    s = SolverSettings(t_end_tau=args.t_end, window_tau=(args.t_end - 20, args.t_end))
    rows = []
    for solver, steps in ([("tsit5", n) for n in (16, 32, 48, 64)] + [("dopri5", 32)]
                          + [("shark", n) for n in (32, 48, 64, 96)] + [("heun", n) for n in (48, 64, 96, 128)]):
        rows.append(one(s, TWASettings(trajectories=1024, steps_per_tau=steps, solver=solver)))
        print(json.dumps(rows[-1]), flush=True)
    for m in (64, 128, 256, 512, 2048):
        rows.append(one(s, TWASettings(trajectories=m)))
        print(json.dumps(rows[-1]), flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"K": list(KS), "window_tau": list(s.window_tau), "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
