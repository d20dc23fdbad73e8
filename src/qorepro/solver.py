"""Batched time-domain integration of the Gaussian dynamics (Mari et al., PRL 111, 103605).

For a batch of N parameter points it integrates jointly (:mod:`qorepro.gaussian`)

    ẋ = f(x)                       (mean fields, e.g. SI eq. S7)
    V̇ = A(x) V + V A(x)ᵀ + Q       (covariance, SI eq. S17; A = ∂f/∂x, the drift of eq. S11)

from x(0) (default: all amplitudes zero) and V(0) = I/2 with a fixed-step Runge–Kutta
scheme (:mod:`qorepro.rk`; default diffrax's 8th-order ``Dopri8`` tableau), compiled with JAX
in float64 and run on the CPU or a GPU (:mod:`qorepro.backend`).  The batch is the last axis
of every array, so one step is a handful of fused elementwise kernels over all points.
Time is in units of 1/ω₁ internally; all public times are in τ = 2π/ω₁ (names end in ``_tau``).

Summary quantities are evaluated inside the compiled loop at every stored sample (S_Q, S_C,
and over the late window also E_N, two-mode squeezing, the RMS fluctuation of each mode and
the uncertainty-relation check), so nothing of size (samples × N × 8 × 8) is kept.

Step size.  The default ``steps_per_tau`` is chosen from the convergence table in
``benchmarks/results/convergence.json`` (docs/engine-and-numerics.md): the window-mean S_Q agrees with
``solve_ivp(DOP853, rtol=1e-10, atol=1e-12)`` to better than 5×10⁻⁵ at every point of that
test set, Sagnac-shifted detunings down to Δ_a + σ_a = −1.85 included.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from . import backend, gaussian, measures, rk  # noqa: F401  (backend: float64)
from .batching import bucket as batch_bucket
from .batching import pad as _pad
from .models.base import map_coefficients, n_points
from .settings import METHODS, SolverSettings  # noqa: F401  (re-exported)

#: window features evaluated at every window sample (uncertainty check: every 4th)
UNCERTAINTY_EVERY = 4


@dataclass
class Trajectory:
    """Result of :func:`integrate` for N points.

    ``t_tau`` (T,) are the recorded sample times (from the start with ``traces``, else the
    window); ``S_Q``/``S_C`` (T, N); ``means`` (T, 2n, N) with ``traces``, else None;
    ``covariance`` (T, N, 2n, 2n) with ``keep_covariance``, else None; ``x_final`` (2n, N),
    ``V_final`` (N, 2n, 2n) at t_end (continue a run from them with ``start=``);
    ``t_window_tau`` (W,), ``window_means`` (W, 2n, N) and ``window`` (dict of (W, N) or
    (W, n, N) arrays: E_N, squeezing_dB, rms (per mode), uncertainty_min_eig (NaN at the
    samples where it is not evaluated)); ``finite`` (N,) False where the run diverged.
    """

    t_tau: np.ndarray
    S_Q: np.ndarray
    S_C: np.ndarray
    means: np.ndarray | None
    covariance: np.ndarray | None
    x_final: np.ndarray
    V_final: np.ndarray
    t_window_tau: np.ndarray
    window_means: np.ndarray
    window: dict
    finite: np.ndarray
    settings: SolverSettings
    t_start_tau: float = 0.0

    def window_mask(self) -> np.ndarray:
        lo, hi = self.settings.window_tau
        return (self.t_tau >= lo - 1e-12) & (self.t_tau <= hi + 1e-12)

    def window_stats(self, name: str = "S_Q"):
        """Mean, min and max of a recorded trace over the late window, each shape (N,)."""
        w = getattr(self, name)[self.window_mask()]
        return w.mean(axis=0), w.min(axis=0), w.max(axis=0)


@functools.cache
def _step(model, method: str):
    """One compiled Runge–Kutta step of the moment equations, ``step(y, c, Qp, dt)``.

    Jitted once per model and tableau; every loop of the engine (trajectory, period flows)
    calls it, so its (large) graph is traced once per process and state layout."""
    def step(y, c, Qp, dt):
        return rk.step(gaussian.moment_field(model, c, Qp), y, dt, method)
    return jax.jit(step)


def run_steps(model, method, y, c, Qp, dt, n):
    """``n`` steps (n may be traced): a ``lax.fori_loop`` over the compiled step."""
    one = _step(model, method)
    return jax.lax.fori_loop(0, n, lambda _, yy: one(yy, c, Qp, dt), y)


@functools.cache
def _programs(model, method: str):
    """The compiled pieces of a run for one model and tableau (cached per process)."""
    j, k = model.mechanical_modes
    d = 2 * model.n_modes

    @jax.jit
    def init(c, x0, V0):
        """Diffusion (packed) and the initial state dict from x0 (d, N), V0 (N, d, d)."""
        Qp = gaussian.pack(model.diffusion_matrix(c))
        return Qp, {"x": x0, "V": gaussian.pack(jnp.moveaxis(V0, 0, -1))}

    @jax.jit
    def advance(y, c, Qp, dt, n):
        return run_steps(model, method, y, c, Qp, dt, n)

    def light(y):
        V = jnp.moveaxis(gaussian.unpack(y["V"], d), (0, 1), (-2, -1))          # (N, d, d)
        x = y["x"]
        return {"x": x, "S_Q": measures.quantum_sync(V, j, k), "S_C": measures.complete_sync(V, x, j, k)}

    def full(y, check):
        out = light(y)
        V = jnp.moveaxis(gaussian.unpack(y["V"], d), (0, 1), (-2, -1))
        out["E_N"] = measures.log_negativity(V, j, k)
        out["squeezing_dB"] = measures.squeezing_db(V, (j, k))
        out["rms"] = jnp.stack([measures.mode_fluctuation_rms(V, m) for m in range(model.n_modes)])
        out["uncertainty_min_eig"] = jax.lax.cond(
            check, lambda: measures.uncertainty_min_eigenvalue(V), lambda: jnp.full(V.shape[0], jnp.nan))
        return out

    def features(y, i, i_lo, keep_V):
        """The recorded features of state y at sample index i (traced): ``full`` from the window
        start ``i_lo`` (traced) on, before it ``light`` with the window-only features NaN (one
        program for every part of a run; the branch is a real one, nothing is computed twice)."""
        def before(yy):
            shapes = jax.eval_shape(full, yy, True)
            return {**jax.tree.map(lambda s: jnp.full(s.shape, jnp.nan, s.dtype), shapes), **light(yy)}

        out = jax.lax.cond(i >= i_lo, lambda yy: full(yy, i % UNCERTAINTY_EVERY == 0), before, y)
        if keep_V:
            out["V"] = y["V"]
        return out

    @functools.partial(jax.jit, static_argnames=("length", "keep_V"))
    def record(y, c, Qp, dt, i0, stride, n, i_lo, length, keep_V):
        """``n`` (traced, ≤ ``length``) sample intervals of ``stride`` (traced) steps, recording after
        each (sample index i0 + 1 …) into rows 0 … n − 1 of buffers of ``length`` rows (the rest
        stay zero).  Loop bounds and the window start are arguments, not compile-time constants,
        so one program serves every chunk of every run (persistent cache: once per machine)."""
        rows = jax.tree.map(lambda s: jnp.zeros((length,) + s.shape, s.dtype),
                            jax.eval_shape(lambda yy, a, b: features(yy, a, b, keep_V), y, i0, i_lo))

        def body(r, carry):
            yy, buf = carry
            yy = run_steps(model, method, yy, c, Qp, dt, stride)
            f = features(yy, i0 + r + 1, i_lo, keep_V)
            return yy, jax.tree.map(lambda b, v: b.at[r].set(v), buf, f)

        return jax.lax.fori_loop(0, n, body, (y, rows))

    @functools.partial(jax.jit, static_argnames=("keep_V",))
    def sample(y, i, i_lo, keep_V):
        return jax.tree.map(lambda a: a[None], features(y, i, i_lo, keep_V))

    return init, advance, record, sample


#: sample intervals per compiled call (progress is reported between calls)
CHUNK_TAU = 10.0


def integrate(model, params, initial=None, settings: SolverSettings = SolverSettings(), *,
              traces: bool = False, keep_means: bool | None = None, keep_covariance: bool = False,
              start: tuple | None = None,
              progress: Callable[[int], None] | None = None) -> Trajectory:
    """Integrate mean fields and covariance for every point of a batched parameter set.

    Parameters
    ----------
    model : a time-domain model (e.g. ``qorepro.models.lai2025.MODEL``).
    params : the model's parameter dataclass; fields may be arrays of a common length N.
    initial : the model's initial-state object (default: zero means, vacuum covariance).
    settings : :class:`SolverSettings`.
    traces : record S_Q, S_C and the means at every sample from the start (else only the
        late window is recorded); ``keep_means`` is a synonym kept for callers.
    keep_covariance : also return V at every recorded sample (tests; memory ∝ samples × N).
    start : ``(t0_tau, x0 (2n, N), V0 (N, 2n, 2n))`` — continue a run from its stored state at
        t0 (a sample time at or before the window) instead of from ``initial`` at t = 0.
    progress : called with the number of sample intervals just completed.
    """
    traces = bool(traces or keep_means)
    s = settings
    c = model.coefficients(params)
    N = n_points(c)
    d = 2 * model.n_modes
    if start is None:
        initial = initial if initial is not None else model.Initial()
        t0, x0, V0 = 0.0, initial.as_real(N), initial.covariance(N)
    else:
        t0, x0, V0 = float(start[0]), np.asarray(start[1], dtype=float), np.asarray(start[2], dtype=float)
        if x0.shape != (d, N) or V0.shape != (N, d, d):
            raise ValueError(f"start state has shapes {x0.shape}, {V0.shape}; expected {(d, N)}, {(N, d, d)}")
        if abs(t0 * s.samples_per_tau - round(t0 * s.samples_per_tau)) > 1e-9 or t0 > s.window_tau[0] + 1e-12:
            raise ValueError(f"start time {t0} τ must be a sample time at or before the window start "
                             f"{s.window_tau[0]} τ")
    i0, i_lo, i_end = s.sample(t0), s.sample(s.window_tau[0]), s.sample(s.t_end_tau)
    i_rec = i0 if traces else i_lo
    n_pad = batch_bucket(N)
    cp = map_coefficients(lambda v: _pad(np.asarray(v, dtype=float), n_pad), c)
    init, advance, record, sample = _programs(model, s.method)
    Qp, y = init(cp, _pad(x0, n_pad), _pad(V0, n_pad, axis=0))
    stride = s.steps_per_tau // s.samples_per_tau
    dt = s.dt
    chunk = max(1, int(round(CHUNK_TAU * s.samples_per_tau)))

    i = i0
    while i < i_rec:                                     # unrecorded part
        n = min(chunk, i_rec - i)
        y = advance(y, cp, Qp, dt, n * stride)
        i += n
        if progress:
            progress(n)
    host = lambda out, n: jax.tree.map(lambda a: np.asarray(a)[:n, ..., :N], out)   # noqa: E731
    pieces = [host(sample(y, i, i_lo, keep_V=keep_covariance), 1)]
    while i < i_end:                                     # recorded part (sample i + 1 onwards)
        n = min(chunk, i_end - i)
        y, out = record(y, cp, Qp, dt, i, stride, n, i_lo, length=chunk, keep_V=keep_covariance)
        pieces.append(host(out, n))
        i += n
        if progress:
            progress(n)
    return _assemble(pieces, y, N, d, s, i_rec, i_lo, t0, traces)


def _assemble(host, y, N, d, s, i_rec, i_lo, t0, traces):
    t_tau = np.arange(i_rec, i_rec + sum(p["S_Q"].shape[0] for p in host)) / s.samples_per_tau
    cat = {k: np.concatenate([p[k] for p in host], axis=0) for k in host[0]}
    in_w = t_tau >= i_lo / s.samples_per_tau - 1e-12
    # window-only features (NaN before the window)
    win = {k: cat[k][in_w] for k in ("E_N", "squeezing_dB", "rms", "uncertainty_min_eig")}
    x_final = np.asarray(y["x"])[:, :N]
    V_final = np.moveaxis(gaussian.unpack(np.asarray(y["V"])[:, :N], d), -1, 0)
    means_all = cat["x"]                                   # (T, d, N)
    with np.errstate(invalid="ignore"):
        finite = (np.isfinite(x_final).all(axis=0) & np.isfinite(V_final).all(axis=(1, 2))
                  & np.isfinite(means_all).all(axis=(0, 1)) & (np.abs(V_final).max(axis=(1, 2)) < 1e150))
    cov = None
    if "V" in cat:
        cov = np.moveaxis(gaussian.unpack(cat["V"].transpose(1, 0, 2), d), (0, 1), (-2, -1))
    return Trajectory(t_tau=t_tau, S_Q=cat["S_Q"], S_C=cat["S_C"], means=means_all if traces else None,
                      covariance=cov, x_final=x_final, V_final=V_final, t_window_tau=t_tau[in_w],
                      window_means=means_all[in_w], window=win, finite=finite, settings=s, t_start_tau=t0)


@dataclass
class MeanTrajectory:
    """Result of :func:`integrate_means` for N points: ``x_final`` (2n, N) at t_end,
    ``t_window_tau`` (W,) and ``window_means`` (W, 2n, N) on the late window's samples (as
    :class:`Trajectory`'s), ``finite`` (N,) False where the run diverged."""

    x_final: np.ndarray
    t_window_tau: np.ndarray
    window_means: np.ndarray
    finite: np.ndarray


@functools.cache
def _mean_programs(model, method: str):
    """The compiled pieces of a mean-field run for one model and tableau (cached per process);
    loop counts are arguments, so one program serves every run of any length."""
    def steps(x, c, dt, n):
        return rk.advance(lambda z: model.mean_field_rhs(z, c), x, dt, n, method)

    @functools.partial(jax.jit, static_argnames=("length",))
    def record(x, c, dt, stride, n, length):
        """``n`` (traced, ≤ ``length``) sample intervals of ``stride`` steps, the state after
        each in rows 0 … n − 1 of a buffer of ``length`` rows."""
        buf = jnp.zeros((length,) + x.shape, x.dtype)

        def body(r, carry):
            y, b = carry
            y = steps(y, c, dt, stride)
            return y, b.at[r].set(y)

        return jax.lax.fori_loop(0, n, body, (x, buf))

    return jax.jit(steps), record


def integrate_means(model, params, x0, settings: SolverSettings = SolverSettings()) -> MeanTrajectory:
    """The mean fields alone, ẋ = f(x) from x(0) = ``x0`` (2n, N), for every point of a batched
    parameter set: the same scheme, step and sample grid as :func:`integrate`, without the
    covariance (about a tenth of its cost).  For the starts whose fluctuations are not
    wanted (e.g. the seeds of branch tracing)."""
    s = settings
    c = model.coefficients(params)
    N = n_points(c)
    x0 = np.asarray(x0, dtype=float)
    if x0.shape != (2 * model.n_modes, N):
        raise ValueError(f"start means have shape {x0.shape}; expected {(2 * model.n_modes, N)}")
    n_pad = batch_bucket(N)
    cp = map_coefficients(lambda v: _pad(np.asarray(v, dtype=float), n_pad), c)
    advance, record = _mean_programs(model, s.method)
    stride = s.steps_per_tau // s.samples_per_tau
    i_lo, i_end = s.sample(s.window_tau[0]), s.sample(s.t_end_tau)
    chunk = max(1, int(round(CHUNK_TAU * s.samples_per_tau)))
    x = advance(jnp.asarray(_pad(x0, n_pad)), cp, s.dt, i_lo * stride)
    rows, i = [np.asarray(x)[None, :, :N]], i_lo
    while i < i_end:
        n = min(chunk, i_end - i)
        x, out = record(x, cp, s.dt, stride, n, length=chunk)
        rows.append(np.asarray(out)[:n, :, :N])
        i += n
    means = np.concatenate(rows, axis=0)
    x_final = np.asarray(x)[:, :N]
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(x_final).all(axis=0) & np.isfinite(means).all(axis=(0, 1))
    return MeanTrajectory(x_final=x_final, t_window_tau=np.arange(i_lo, i_end + 1) / s.samples_per_tau,
                          window_means=means, finite=finite)


def integrate_scipy_point(model, params, initial=None, settings: SolverSettings = SolverSettings(),
                          method: str = "DOP853", rtol: float = 1e-8, atol: float = 1e-10,
                          covariance: bool = False):
    """Reference: one point with ``scipy.integrate.solve_ivp`` (adaptive; tests and benchmarks).

    Independent of :mod:`qorepro.rk` (its own adaptive stepping); the model's equations are
    the same functions (f and A = ∂f/∂x evaluated per call, V̇ assembled with numpy).
    Returns (t_tau, S_Q, S_C, means (2n, T)) on the sample grid from t = 0 to t_end, and with
    ``covariance`` also V (T, 2n, 2n).
    """
    from scipy.integrate import solve_ivp

    c = model.coefficients(params)
    if n_points(c) != 1:
        raise ValueError("integrate_scipy_point takes a single parameter point")
    initial = initial if initial is not None else model.Initial()
    x0 = initial.as_real(1)[:, 0]
    V0 = initial.covariance(1)[0]
    dim = x0.size
    Q = np.asarray(model.diffusion_matrix(c))[:, :, 0]
    f1, J1 = _point_functions(model)
    c1 = map_coefficients(lambda v: float(np.asarray(v)[0]), c)

    def rhs(t, y):
        x = y[:dim]
        V = y[dim:].reshape(dim, dim)
        AV = np.asarray(J1(x, c1)) @ V
        return np.concatenate([np.asarray(f1(x, c1)), (AV + AV.T + Q).ravel()])

    s = settings
    t_tau = np.arange(s.sample(s.t_end_tau) + 1) / s.samples_per_tau
    sol = solve_ivp(rhs, (0.0, 2 * math.pi * s.t_end_tau), np.concatenate([x0, V0.ravel()]),
                    method=method, rtol=rtol, atol=atol, t_eval=2 * math.pi * t_tau)
    if not sol.success:
        raise RuntimeError(sol.message)
    xs = sol.y[:dim]                                   # (2n, T)
    Vs = sol.y[dim:].T.reshape(-1, dim, dim)           # (T, 2n, 2n)
    j, k = model.mechanical_modes
    out = (t_tau, measures.quantum_sync(Vs, j, k), measures.complete_sync(Vs, xs, j, k), xs)
    return out + (Vs,) if covariance else out


@functools.cache
def _point_functions(model):
    return jax.jit(model.mean_field_rhs), jax.jit(jax.jacfwd(model.mean_field_rhs))
