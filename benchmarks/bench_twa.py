"""Truncated-Wigner kernel: old (diffrax + per-point threefry) vs new (rk loop + counter-based
per-trajectory streams), per point at the paper's baseline, one CPU core, same run.

At the three baseline points (K = 0, ∓2×10⁻⁵; t_end = 200 τ, window [180, 200] τ, M = 512,
32 steps/τ — what the pipeline runs) it times, after compilation, the best of ``--repeats``:

* ``simulate``: the whole call per point (kernel + statistics), old and new, and their ratio;
* ``kernel``: the compiled ensemble program alone, old and new;
* ``statistics``: :func:`qorepro.twa.summarise` (numpy, after the kernel);
* the parts of a step over the same 6400 steps and (8, N·M) state: the Brownian increments
  (old: ``PointBrownian``; new: :func:`qorepro.twa.trajectory_normals`), the Tsit5 drift alone
  in the rk loop (6 stage evaluations), one drift evaluation per step;

and prints one JSON object.  Times are the process's CPU time (``time.process_time``, one
core, XLA single-threaded), which a shared machine's other load disturbs far less than wall
time; the old/new ratio is also given as the median over interleaved pairs of calls.

    taskset -c 1 python benchmarks/bench_twa.py --out benchmarks/results/bench_twa.json
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
if len(os.sched_getaffinity(0)) > 1:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import diffrax  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from qorepro import rk, twa  # noqa: E402
from qorepro.models import lai2025  # noqa: E402
from qorepro.settings import SolverSettings, TWASettings  # noqa: E402

KS = (0.0, -2e-5, 2e-5)


clock = time.process_time


def best(f, repeats):
    f()
    times = []
    for _ in range(repeats):
        t0 = clock()
        f()
        times.append(clock() - t0)
    return min(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--trajectories", type=int, default=512)
    ap.add_argument("--t-end", type=float, default=200.0)
    args = ap.parse_args(argv)
    model, n, m = lai2025.MODEL, len(KS), args.trajectories
    p = lai2025.LaiParams(K=np.array(KS))
    s = SolverSettings(t_end_tau=args.t_end, window_tau=(args.t_end - 20, args.t_end))
    tw = TWASettings(trajectories=m)
    per = {}

    # whole call, old and new, interleaved so that load changes hit both
    stats = {}
    orig = twa.summarise

    def timed_summarise(*a, **k):
        t0 = clock()
        out = orig(*a, **k)
        stats.setdefault("t", []).append(clock() - t0)
        return out

    twa.summarise = timed_summarise
    try:
        for kernel in ("diffrax", "rk"):
            twa.simulate(model, p, settings=s, twa=tw, kernel=kernel)          # compile
        sim = {"diffrax": [], "rk": []}
        for _ in range(args.repeats):
            for kernel in ("diffrax", "rk"):
                t0 = clock()
                twa.simulate(model, p, settings=s, twa=tw, kernel=kernel)
                sim[kernel].append(clock() - t0)
    finally:
        twa.summarise = orig
    per["simulate_old"] = min(sim["diffrax"]) / n
    per["simulate_new"] = min(sim["rk"]) / n
    per["statistics"] = min(stats["t"]) / n

    # the parts of the step, same shapes
    d = 2 * model.n_modes
    dt = 2 * math.pi / tw.steps_per_tau
    n_steps = int(round(args.t_end * tw.steps_per_tau))
    keys = twa.point_keys(tw.seed, np.arange(n))
    tkeys = twa.trajectory_keys(tw.seed, np.arange(n), m)
    c = model.coefficients(p)
    c_rep = type(c)(*(jnp.asarray(np.repeat(np.asarray(v, dtype=float), m)) for v in c))
    y0 = jnp.full((d, n * m), 0.1)

    @jax.jit
    def old_noise(keys):
        bm = twa.PointBrownian(keys=keys, dt=dt, shape=(d, n, m), levy_area=diffrax.BrownianIncrement)
        return jax.lax.fori_loop(0, n_steps, lambda i, a: a + bm.evaluate(i * dt, (i + 1) * dt), jnp.zeros((d, n * m)))

    @jax.jit
    def new_noise(tkeys):
        return jax.lax.fori_loop(0, n_steps, lambda i, a: a + twa.trajectory_normals(tkeys, i, d), jnp.zeros((d, n * m)))

    @jax.jit
    def drift_rk(y0, c_rep):
        return rk.advance(lambda y: model.wigner_drift(y, c_rep), y0, dt, n_steps, tw.solver)

    @jax.jit
    def drift_once(y0, c_rep):
        return jax.lax.fori_loop(0, n_steps, lambda i, y: y + 1e-9 * model.wigner_drift(y, c_rep), y0)

    per["noise_old"] = best(lambda: old_noise(keys).block_until_ready(), args.repeats) / n
    per["noise_new"] = best(lambda: new_noise(tkeys).block_until_ready(), args.repeats) / n
    per["drift_tsit5_rk"] = best(lambda: drift_rk(y0, c_rep).block_until_ready(), args.repeats) / n
    per["drift_one_eval"] = best(lambda: drift_once(y0, c_rep).block_until_ready(), args.repeats) / n
    per["kernel_old"] = per["simulate_old"] - per["statistics"]
    per["kernel_new"] = per["simulate_new"] - per["statistics"]
    out = {"K": list(KS), "trajectories": m, "t_end_tau": args.t_end, "steps": n_steps,
           "seconds_per_point": per,
           "ratio_simulate": per["simulate_old"] / per["simulate_new"],
           "ratio_simulate_paired_median": float(np.median(np.array(sim["diffrax"]) / np.array(sim["rk"]))),
           "ratio_kernel": per["kernel_old"] / per["kernel_new"],
           "clock": "process_time", "cpu_affinity": sorted(os.sched_getaffinity(0)), "loadavg": os.getloadavg()}
    print(json.dumps(out, indent=1))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
