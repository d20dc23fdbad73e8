"""Benchmark of the time-domain engine, ratios measured in one run on the same machine.

For the same N parameter points (a K sweep around the baseline with Δ_m spread) it times

* the compiled JAX engine (integration, and certification) at its default step (64/τ) and
  at the step of the old engine (48/τ);
* the numpy engine it replaced (commit ``--old-commit``, DOP853 weights at 48 steps/τ), run
  from a ``git archive`` of that commit in a subprocess (one BLAS thread);
* for the integrator choice documented in :mod:`qorepro.rk`: the same moment equations
  stepped by ``diffrax.diffeqsolve`` (``SaveAt(ts=…)``), by ``diffrax.Dopri8().step`` inside
  a ``lax`` loop, and by the engine's own loop — over 20 τ.

and checks that old and new window-mean S_Q agree (to the old engine's accuracy, 1e-4).
Not a test; run by hand:

    python benchmarks/bench_solver.py --points 256 --out benchmarks/results/bench_solver_256.json
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
# one core for everything measured here (the old engine's subprocess inherits it): per-core costs
if len(os.sched_getaffinity(0)) > 1 and not os.environ.get("BENCH_ALL_CORES"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from qorepro import backend, gaussian, rk, solver, stability  # noqa: E402
from qorepro.models import lai2025  # noqa: E402

OLD = r"""
import json, sys, time, numpy as np
from qorepro import solver, stability
from qorepro.models import lai2025
a = json.loads(sys.argv[1])
p = lai2025.LaiParams(K=np.array(a["K"]), Delta_m=np.array(a["Dm"]))
s = solver.SolverSettings(t_end_tau=a["t_end"], window_tau=(a["t_end"] - 20, a["t_end"]))
t0 = time.perf_counter(); tr = solver.integrate(lai2025.MODEL, p, settings=s, keep_means=False)
t1 = time.perf_counter(); cert = stability.certify(lai2025.MODEL, p, tr); t2 = time.perf_counter()
print(json.dumps({"integrate_s": t1 - t0, "certify_s": t2 - t1, "S_Q": tr.window_stats()[0].tolist(),
                  "period": cert.period_tau.tolist(), "mu": cert.floquet_max_nontrivial.tolist(),
                  "settings": s.to_dict()}))
"""


def old_engine(commit, K, Dm, t_end):
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                          check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        arch = subprocess.run(["git", "-C", root, "archive", commit, "src/qorepro"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=arch.stdout, check=True)
        env = {**os.environ, "PYTHONPATH": os.path.join(tmp, "src")}
        r = subprocess.run([sys.executable, "-c", OLD, json.dumps({"K": K.tolist(), "Dm": Dm.tolist(),
                                                                  "t_end": t_end})],
                           capture_output=True, text=True, env=env, cwd=tmp)
        if r.returncode:
            raise RuntimeError(r.stderr[-2000:])
        return json.loads(r.stdout.strip().splitlines()[-1])


def timed(fn, repeat=1):
    fn()                                   # compile / warm up
    t0 = time.perf_counter()
    for _ in range(repeat):
        out = fn()
    return (time.perf_counter() - t0) / repeat, out


def integrator_variants(n, t_tau=20.0, steps_per_tau=64):
    """Seconds per point for 20 τ of the moment equations with three steppers."""
    import diffrax
    import jax
    import jax.numpy as jnp

    model = lai2025.MODEL
    p = lai2025.LaiParams(K=np.linspace(-5e-5, 5e-5, n))
    c = type(lai2025.coefficients(p))(*(jnp.asarray(v) for v in lai2025.coefficients(p)))
    Qp = gaussian.pack(model.diffusion_matrix(c))
    y0 = {"x": jnp.zeros((8, n)), "V": gaussian.pack(jnp.broadcast_to(0.5 * jnp.eye(8)[:, :, None], (8, 8, n)))}
    dt = 2 * np.pi / steps_per_tau
    n_steps = int(t_tau * steps_per_tau)
    stride = steps_per_tau // 16
    ts = dt * stride * np.arange(n_steps // stride + 1)
    vf = gaussian.moment_field(model, c, Qp)
    term = diffrax.ODETerm(lambda t, y, args: vf(y))

    @jax.jit
    def ours(y):
        return rk.advance(vf, y, dt, n_steps)

    @jax.jit
    def lib_step(y):
        solver_ = diffrax.Dopri8()
        st = solver_.init(term, 0.0, dt, y, None)

        def one(i, carry):
            yy, s = carry
            y1, _, _, s, _ = solver_.step(term, i * dt, (i + 1) * dt, yy, None, s, False)
            return y1, s
        return jax.lax.fori_loop(0, n_steps, one, (y, st))[0]

    @jax.jit
    def lib_solve(y):
        sol = diffrax.diffeqsolve(term, diffrax.Dopri8(), 0.0, n_steps * dt, dt, y,
                                  saveat=diffrax.SaveAt(ts=ts, fn=lambda t, yy, a: yy["x"]),
                                  stepsize_controller=diffrax.ConstantStepSize(), max_steps=n_steps + 4)
        return sol.ys

    out = {}
    for name, fn in (("engine_loop", ours), ("diffrax_step_in_lax_loop", lib_step),
                     ("diffrax_diffeqsolve_saveat", lib_solve)):
        sec, _ = timed(lambda: jax.block_until_ready(fn(y0)), repeat=2)
        out[name] = sec / n
    return out


def _batched(params, s, batch):
    """The engine as a sweep runs it: batches of ``batch`` points; returns a merged trajectory's
    window-mean S_Q and the last trajectory (certification is timed on the whole set below)."""
    from qorepro.grid import slice_params
    n = params.batch_size
    trs = [solver.integrate(lai2025.MODEL, slice_params(params, slice(i, min(n, i + batch))), settings=s)
           for i in range(0, n, batch)]
    return trs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64, help="the JAX engine's batch (engine.batch_size)")
    ap.add_argument("--t-end", type=float, default=200.0, help="t_end in τ (window = last 20 τ)")
    ap.add_argument("--old-commit", default="d4c485e", help="the numpy engine to compare with")
    ap.add_argument("--skip-old", action="store_true")
    ap.add_argument("--out", default=None, help="write the result as JSON here")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(1)
    n = args.points
    K = rng.uniform(-5e-5, 5e-5, n)
    Dm = rng.uniform(-1.1, -0.9, n)
    params = lai2025.LaiParams(K=K, Delta_m=Dm)
    t_end = args.t_end
    win = (max(0.0, t_end - 20), t_end)
    result = {"points": n, "t_end_tau": t_end, "device": backend.describe(), "jax_batch": args.batch,
              "cpus": sorted(os.sched_getaffinity(0))}

    for label, spt in (("default_64", 64), ("old_step_48", 48)):
        s = solver.SolverSettings(t_end_tau=t_end, window_tau=win, steps_per_tau=spt)
        sec, tr = timed(lambda: _batched(params, s, args.batch))
        result[f"jax_integrate_{label}_s_per_point"] = sec / n
        if label == "default_64":
            from qorepro.grid import slice_params
            parts = [(slice_params(params, slice(i, min(n, i + args.batch))), t)
                     for i, t in zip(range(0, n, args.batch), tr)]
            csec, certs = timed(lambda: [stability.certify(lai2025.MODEL, pp, t) for pp, t in parts])
            result["jax_certify_s_per_point"] = csec / n
            sq_new = np.concatenate([t.window_stats()[0] for t in tr])
            verdict = np.concatenate([c_.verdict for c_ in certs])
            period_new = np.concatenate([c_.period_tau for c_ in certs])
            result["verdicts"] = {v: int((verdict == v).sum()) for v in set(verdict)}
    print(f"JAX engine ({result['device']['device']}): integrate {result['jax_integrate_default_64_s_per_point'] * 1e3:.2f} ms/point "
          f"(64 steps/τ), {result['jax_integrate_old_step_48_s_per_point'] * 1e3:.2f} ms/point (48 steps/τ); "
          f"certify {result['jax_certify_s_per_point'] * 1e3:.2f} ms/point", flush=True)

    if not args.skip_old:
        old = old_engine(args.old_commit, K, Dm, t_end)
        result["old_commit"] = args.old_commit
        result["old_integrate_s_per_point"] = old["integrate_s"] / n
        result["old_certify_s_per_point"] = old["certify_s"] / n
        result["max_abs_diff_S_Q_old_vs_new"] = float(np.max(np.abs(np.array(old["S_Q"]) - sq_new)))
        new_period = period_new
        ok = np.isfinite(new_period) & np.isfinite(old["period"])
        result["max_rel_diff_period"] = float(np.max(np.abs(new_period[ok] / np.array(old["period"])[ok] - 1))) if ok.any() else None
        result["ratio_integrate_same_step"] = old["integrate_s"] / n / result["jax_integrate_old_step_48_s_per_point"]
        result["ratio_integrate_default"] = old["integrate_s"] / n / result["jax_integrate_default_64_s_per_point"]
        result["ratio_certify"] = old["certify_s"] / n / result["jax_certify_s_per_point"]
        result["ratio_point_total"] = ((old["integrate_s"] + old["certify_s"]) / n
                                       / (result["jax_integrate_default_64_s_per_point"] + result["jax_certify_s_per_point"]))
        print(f"numpy engine ({args.old_commit}): integrate {old['integrate_s'] / n * 1e3:.1f} ms/point, certify "
              f"{old['certify_s'] / n * 1e3:.1f} ms/point", flush=True)
        print(f"ratios (old/new): integration {result['ratio_integrate_same_step']:.1f}x at the same 48 steps/τ, "
              f"{result['ratio_integrate_default']:.1f}x at the new default 64; certification {result['ratio_certify']:.1f}x; "
              f"integration + certification {result['ratio_point_total']:.1f}x; max |ΔS_Q| old vs new "
              f"{result['max_abs_diff_S_Q_old_vs_new']:.1e}", flush=True)

    m = min(n, args.batch)
    var = integrator_variants(m)
    result["integrator_variants_20tau_s_per_point"] = var
    result["ratio_diffeqsolve_over_engine_loop"] = var["diffrax_diffeqsolve_saveat"] / var["engine_loop"]
    result["ratio_diffrax_step_over_engine_loop"] = var["diffrax_step_in_lax_loop"] / var["engine_loop"]
    print(f"stepping 20 τ at {m} points: engine loop {var['engine_loop'] * 1e3:.3f} ms/point, diffrax Dopri8().step in a "
          f"lax loop {var['diffrax_step_in_lax_loop'] * 1e3:.3f} ({result['ratio_diffrax_step_over_engine_loop']:.2f}x), "
          f"diffeqsolve+SaveAt {var['diffrax_diffeqsolve_saveat'] * 1e3:.3f} ({result['ratio_diffeqsolve_over_engine_loop']:.2f}x)")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
