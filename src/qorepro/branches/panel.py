"""The limit-cycle branches of a line panel of a time-domain model, as one xarray Dataset.

For a swept axis of a model (asked from the model: ``model.axes[name].fields``, the swept
parameter entering its coefficients affinely, :mod:`qorepro.branches.fields`) this

1. runs the paper's protocol — the zero start, Gaussian, :func:`qorepro.solver.integrate` with
   the pipeline's settings — at every grid value (its window-mean S_Q and the cycle it settles
   on), and the displaced in-phase and anti-phase mechanical starts of the initial-condition
   audit (β_j(0) = A, β_k(0) = ±A, the model's ``Initial(means=…)``) at every ``seed_every``-th
   grid value and next to every jump of the zero-start S_Q, these (and the further starts
   given) as mean fields only (:func:`qorepro.solver.integrate_means`: the same trajectories
   of the means, at a tenth of the cost);
2. turns every run whose late window oscillates (by more than the certification's
   ``fixed_point_rtol``, with a period from :func:`qorepro.stability.detect_period`) into a
   seed — Newton decides whether a cycle is near; the protocol counts as *settled* where the
   crossings are also regular (spread < ``period_rtol``, the certification's test) — (its end
   state, 2π × its period, its grid value) and traces the branches through them with
   :func:`~qorepro.branches.trace.trace_branches`: the sparse seeds first, then the zero
   start of every remaining grid value (which, already on a traced branch, is only assigned
   to it; otherwise a new branch is traced from it).  Branches found twice are merged there;
   an isola traced round more than once is cut after its first return (:func:`close_loops`);
3. evaluates every branch point: period, mechanical oscillation amplitudes and their relative
   phase (from the orbit's own covariance over one period), S_Q_floquet of the periodic
   covariance with the phase mode projected out and the phase-diffusion rate
   (:func:`qorepro.stability.floquet_covariance`), Floquet multipliers and stability;
4. locates the zero-start cycle of every grid value on its branch (the segment whose
   interpolated period and orbit mean are nearest the run's);
5. measures the phase-mode variance the protocol's run carries at its end
   (:func:`protocol_phase_variance`): the part of its covariance the phase-projected
   S_Q_floquet leaves out, and the part of it phase diffusion alone would give.

Nothing here reads the model's name.
"""
from __future__ import annotations

import functools
import time

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .. import rk, solver, stability
from ..batching import blocks
from ..batching import bucket as batch_bucket
from ..batching import pad as pad_batch
from ..models.base import map_coefficients
from ..settings import CertificationSettings, SolverSettings
from .arclength import ContinuationSettings
from .fields import affine_coefficients, affine_field
from .trace import Seed, trace_branches

#: kinds of start (seed_kind values): the paper's protocol and the audit's displaced starts
STARTS = ("zero", "in_phase", "anti_phase")


def _scalar_coefficients(model, base, fields):
    """p ↦ the model's coefficients at one point with every field of the axis set to p
    (float leaves, the pytree the field f(x, p, c0, e) adds up)."""
    def at(p):
        c = model.coefficients(base.replace(**{f: float(p) for f in fields}))
        return map_coefficients(lambda v: np.asarray(v, float).reshape(-1)[0], c)
    return at


def _batched(c0, e, p):
    """Coefficients at the parameter values p (N,): leaves c0 + p e, shape (N,)."""
    p = np.asarray(p, float)
    return jax.tree.map(lambda a, b: np.asarray(a, float) + p * np.asarray(b, float), c0, e)


def displaced_start(model, amplitude: float, sign: float):
    """The model's initial state with its two mechanical modes displaced to β_j = A,
    β_k = sign·A (every other amplitude zero, vacuum fluctuations)."""
    means = [0j] * model.n_modes
    j, k = model.mechanical_modes
    means[j], means[k] = complex(amplitude), complex(sign * amplitude)
    return model.Initial(means=tuple(means))


@functools.cache
def _orbit_moments(f, d: int, steps: int, method: str):
    """Orbit mean (d,) and covariance (d, d) over one period from (x0, T, p), all points at once."""
    def one(x0, T, p, args):
        vf = lambda y: (f(y[0], p, *args), y[0], jnp.outer(y[0], y[0]))
        _, m1, m2 = rk.advance(vf, (x0, jnp.zeros(d), jnp.zeros((d, d))), T / steps, steps, method)
        m1, m2 = m1 / T, m2 / T
        return m1, m2 - jnp.outer(m1, m1)
    return jax.jit(jax.vmap(one, in_axes=(0, 0, 0, None)))


def mechanical_phase(model, cov):
    """(amplitudes (n, 2), relative phase (n,)) of the two mechanical modes from orbit
    covariances (n, d, d): amplitude A_j = √(var Re β_j + var Im β_j) (the radius of a
    harmonic oscillation), relative phase arg⟨δβ_j δβ_k*⟩ in (−π, π] (0: in phase)."""
    j, k = model.mechanical_modes
    a, b, c, d = 2 * j, 2 * j + 1, 2 * k, 2 * k + 1
    amp = np.sqrt(np.stack([cov[:, a, a] + cov[:, b, b], cov[:, c, c] + cov[:, d, d]], axis=1))
    re = cov[:, a, c] + cov[:, b, d]
    im = cov[:, b, c] - cov[:, a, d]
    return amp, np.arctan2(im, re)


def protocol_phase_variance(model, base, fields, values, tr, period_tau, on_cycle, steps: int = 256,
                            method: str = "dopri8"):
    """The phase-mode variance of the zero-start runs at t_end, where they sit on a cycle.

    With the left Floquet vector w at the run's end state x(t_end) (:func:`qorepro.stability.
    periodic_covariance` over the run's own period, normalised wᵀf = 1) the phase variance is
    σ² = wᵀ V(t_end) w — a time shift along the orbit in units of 1/ω₁, squared; divided by the
    period (1/ω₁) over 2π it is the squared phase in rad².  Phase diffusion alone accumulates
    D t_end/T from t = 0 (D per period); the excess is variance the transient put into the
    neutral phase mode, which the linearised dynamics never damps.  Returns (σ² in rad²,
    diffusion-only value in rad²), each (N,), NaN off the cycles."""
    N = values.size
    var, diffusion = np.full(N, np.nan), np.full(N, np.nan)
    idx = np.nonzero(on_cycle & np.isfinite(period_tau) & tr.finite)[0]
    if idx.size:
        c = model.coefficients(base.replace(**{f: values[idx] for f in fields}))
        T = period_tau[idx]
        _, w, D = stability.periodic_covariance(model, c, tr.x_final[:, idx], T, steps, method=method)
        to_rad2 = 1.0 / T ** 2                   # (2π / (2π T_τ))²: time shift (1/ω₁)² → phase rad²
        var[idx] = np.einsum("dn,nde,en->n", w, tr.V_final[idx], w) * to_rad2
        diffusion[idx] = D * tr.settings.t_end_tau / T * to_rad2
    return var, diffusion


def _jump_neighbours(sq, tol):
    """Indices on both sides of every |ΔS_Q| > tol (NaN steps count as jumps)."""
    d = np.abs(np.diff(sq))
    jump = ~(d <= tol)
    idx = np.nonzero(jump)[0]
    return set(idx.tolist()) | set((idx + 1).tolist())


def locate_protocol(p_b, T_b, mean_b, rms_b, p, T, mean, rms, scale):
    """The segment k of a branch (points p_b (n,), periods T_b, orbit means and RMS deviations
    mean_b, rms_b (n, d)) whose linear interpolation at p is nearest a run's period T and late
    window mean and RMS (d,) — the RMS tells the two sheets of a fold apart; ``scale`` the size
    of the state.  −1 if no segment brackets p."""
    best, kbest = np.inf, -1
    for k in range(len(p_b) - 1):
        lo, hi = sorted((p_b[k], p_b[k + 1]))
        if not lo <= p <= hi:
            continue
        a = 0.0 if hi == lo else (p - p_b[k]) / (p_b[k + 1] - p_b[k])
        lerp = lambda y: y[k] + a * (y[k + 1] - y[k])
        dist = abs(lerp(T_b) - T) / T + (np.max(np.abs(lerp(mean_b) - mean)) + np.max(np.abs(lerp(rms_b) - rms))) / scale
        if dist < best:
            best, kbest = dist, k
    return kbest


def close_loops(bs, rtol: float = 1e-3):
    """Cut every branch that returns onto its own first point (an isola traced round and
    round: the continuation's phase condition lets the orbit point slide along the orbit, so
    its own closure test on the state misses the return) after its first return, in place.

    A return: a later segment that brackets the first point's parameter, runs in the same
    sense (sign of dp/ds), and whose linear interpolation there has the first point's period
    and orbit mean (to ``rtol`` of the period and of the state's size) and RMS (to 10 ``rtol``:
    it bends more between points).  The branch's
    points, events past the cut and both stop reasons (``closed``) are updated; events found
    twice (same kind, branch and parameter to 1e-9 of the range) are kept once."""
    lo, hi = bs.parameter_bounds
    for k, b in enumerate(bs.branches):
        n = len(b)
        scale = max(float(np.sqrt(np.mean(b.x0 ** 2))), 1.0)
        p0, s0 = b.p[0], np.sign(b.dp_ds[0])
        cut = None
        for j in range(2, n - 1):
            a, c = sorted((b.p[j], b.p[j + 1]))
            if not (a <= p0 <= c) or np.sign(b.dp_ds[j]) != s0 or c == a:
                continue
            w = (p0 - b.p[j]) / (b.p[j + 1] - b.p[j])
            lerp = lambda y: y[j] + w * (y[j + 1] - y[j])
            if (abs(lerp(b.T) - b.T[0]) <= rtol * b.T[0] and np.max(np.abs(lerp(b.x_mean) - b.x_mean[0])) <= rtol * scale
                    and np.max(np.abs(lerp(b.x_rms) - b.x_rms[0])) <= 10 * rtol * scale):
                cut = j + 2
                break
        if cut is None:
            continue
        for name in ("p", "T", "x0", "multipliers", "stable", "dp_ds", "x_mean", "x_rms"):
            setattr(b, name, getattr(b, name)[:cut])
        b.stops = ("closed", "closed")
        bs.events = [e for e in bs.events if e.branch != k or e.index < cut - 1]
    kept, seen = [], []
    for e in bs.events:
        key = (e.kind, e.branch)
        if any(key == kk and abs(e.p - pp) <= 1e-9 * (hi - lo) for kk, pp in seen):
            continue
        seen.append((key, e.p))
        kept.append(e)
    bs.events = kept
    return bs


def panel_branches(model, base, axis: str, values, *, settings: SolverSettings = SolverSettings(),
                   seed_every: int = 4, displacement: float = 300.0, jump_tol: float = 0.02,
                   certification: CertificationSettings = CertificationSettings(),
                   continuation: ContinuationSettings = ContinuationSettings(max_points=200), steps: int = 256,
                   method: str = "dopri8", starts: dict | None = None) -> xr.Dataset:
    """Limit-cycle branches of the line panel ``axis`` ∈ ``values`` of a time-domain ``model``
    at the parameters ``base`` (a ``model.Params`` record): the Dataset of the module docstring.

    ``seed_every``: the displaced starts run at every this-many grid values (and next to every
    zero-start S_Q step larger than ``jump_tol``); ``displacement`` their amplitude A (the
    initial-condition audit: 300); ``steps`` Runge–Kutta steps of ``method`` per period in the
    shooting, the orbit moments and the periodic covariance.  ``starts``: further kinds of
    start, kind → (initial, grid indices) with ``initial`` an initial-state object of the
    model for those points (``as_real(n)`` and ``covariance(n)`` for the n indices, e.g. the
    end states of representative quantum trajectories); their runs seed like the displaced
    ones (after them) and are recorded under their kind in ``seed_kind``.
    """
    if model.kind != "time_domain":
        raise ValueError(f"branch tracing needs a time-domain model, not a {model.kind!r} one")
    ax = model.axes[axis]
    if ax.named_values:
        raise ValueError(f"axis {axis!r} takes named values; branch tracing needs a numeric axis")
    values = np.asarray(values, float)
    if values.ndim != 1 or values.size < 2 or np.any(np.diff(values) <= 0):
        raise ValueError("values must be an increasing 1-D grid of at least two points")
    timing = {}
    t_start = time.perf_counter()
    d = 2 * model.n_modes
    N = values.size
    ref = 2 * model.mechanical_modes[0]

    def seeds_of(tr):
        """(period, candidate, settled) of each run from its late-window means."""
        period, spread, _ = stability.detect_period(tr.t_window_tau, tr.window_means[:, ref])
        W = tr.window_means
        with np.errstate(invalid="ignore"):
            scale = np.maximum(np.abs(W).max(axis=(0, 1)), 1.0)
            moving = (W.max(axis=0) - W.min(axis=0)).max(axis=0) / scale >= certification.fixed_point_rtol
        candidate = tr.finite & moving & np.isfinite(period)
        return period, candidate, candidate & (spread < certification.period_rtol)

    # 1. the protocol everywhere (Gaussian: its S_Q), the other starts sparsely and all in one
    #    mean-field run (their fluctuations are not used)
    tr0 = solver.integrate(model, base.replace(**{f: values for f in ax.fields}), None, settings)
    per0, ok0, settled0 = seeds_of(tr0)
    sq0 = tr0.window_stats("S_Q")[0]
    sparse = sorted(set(range(0, N, max(1, int(seed_every)))) | {N - 1} | _jump_neighbours(sq0, jump_tol))
    sparse = np.array(sparse, int)
    runs = {"zero": (tr0.x_final, per0, ok0, np.arange(N))}
    others = {kind: (displaced_start(model, displacement, sign), sparse)
              for kind, sign in (("in_phase", 1.0), ("anti_phase", -1.0))}
    extra = {k: (ini, np.asarray(idx, int)) for k, (ini, idx) in (starts or {}).items() if np.size(idx)}
    others.update(extra)
    idx_all = np.concatenate([idx for _, idx in others.values()])
    x_all = np.concatenate([ini.as_real(idx.size) for ini, idx in others.values()], axis=1)
    tr = solver.integrate_means(model, base.replace(**{f: values[idx_all] for f in ax.fields}), x_all, settings)
    per_o, ok_o, _ = seeds_of(tr)
    first = 0
    for kind, (_, idx) in others.items():
        part = slice(first, first + idx.size)
        runs[kind] = (tr.x_final[:, part], per_o[part], ok_o[part], idx)
        first += idx.size
    timing["integration_s"] = time.perf_counter() - t_start

    # 2. seeds: sparse ones first (zero, in-phase, anti-phase), then the remaining zero starts
    order = [("zero", int(np.nonzero(runs["zero"][3] == i)[0][0])) for i in sparse]
    order += [(k, m) for k in ("in_phase", "anti_phase") for m in range(sparse.size)]
    order += [(k, m) for k, (_, idx) in extra.items() for m in range(idx.size)]
    order += [("zero", i) for i in range(N) if i not in set(sparse.tolist())]
    seeds, seed_meta = [], []
    for kind, m in order:
        x, per, ok, idx = runs[kind]
        if ok[m]:
            seeds.append(Seed(x[:, m], 2 * np.pi * per[m], float(values[idx[m]])))
            seed_meta.append((kind, int(idx[m])))
    at = _scalar_coefficients(model, base, ax.fields)
    bounds = (float(values[0]), float(values[-1]))
    c0, e = affine_coefficients(at, bounds)
    f = affine_field(model.mean_field_rhs)
    t1 = time.perf_counter()
    bs = trace_branches(f, d, seeds, bounds, steps=steps, method=method, settings=continuation, args=(c0, e))
    close_loops(bs)
    timing["tracing_s"] = time.perf_counter() - t1

    # 3. every branch point at once
    t2 = time.perf_counter()
    pad = bs.padded()
    if not bs.branches:      # no cycle anywhere on the panel: empty arrays of the state's size
        for k in ("x0", "x_mean", "x_rms", "multiplier_re", "multiplier_im"):
            pad[k] = np.full((0, 0, d), np.nan)
    nb, npt = pad["p"].shape
    have = np.isfinite(pad["p"])
    flat = np.nonzero(have.reshape(-1))[0]
    P = pad["p"].reshape(-1)[flat]
    T = pad["T"].reshape(-1)[flat]
    X0 = pad["x0"].reshape(-1, d)[flat]
    mean, cov = np.zeros((P.size, d)), np.zeros((P.size, d, d))
    moments = _orbit_moments(f, d, steps, method)
    args = jax.tree.map(jnp.asarray, (c0, e))
    for sl in blocks(P.size):   # blocks padded to the batch bucket: one compiled program for every series
        n_pad = batch_bucket(sl.stop - sl.start)
        out = moments(*(jnp.asarray(pad_batch(a[sl], n_pad, axis=0)) for a in (X0, T, P)), args)
        mean[sl], cov[sl] = (np.asarray(a)[:sl.stop - sl.start] for a in out)
    amp, phase = mechanical_phase(model, cov)
    stab = pad["stable"].reshape(-1)[flat]
    sq_mean, sq_min, sq_max, diff = (np.full(P.size, np.nan) for _ in range(4))
    if stab.any():           # the periodic covariance is an attractor's noise only on a stable cycle
        out = stability.floquet_covariance(model, _batched(c0, e, P[stab]), X0[stab].T, T[stab] / (2 * np.pi),
                                           steps, method=method)
        for a, b in zip((sq_mean, sq_min, sq_max, diff), out):
            a[stab] = b

    def spread(a):
        """Per-point values (len(flat), ...) back onto the padded (branch, point) layout
        (NaN, or False for booleans, beyond each branch's end)."""
        a = np.asarray(a)
        out = np.full((nb * npt,) + a.shape[1:], False if a.dtype == bool else np.nan,
                      dtype=bool if a.dtype == bool else float)
        out[flat] = a
        return out.reshape((nb, npt) + a.shape[1:])

    mu = pad["multiplier_re"] + 1j * pad["multiplier_im"]
    max_nontrivial = np.abs(mu[..., 1:]).max(axis=-1, initial=0.0)
    timing["evaluation_s"] = time.perf_counter() - t2

    # 4. the protocol's cycle on its branch
    seed_kind = np.array([k for k, _ in seed_meta], dtype=str)
    seed_grid = np.array([i for _, i in seed_meta], int)
    prot_branch = np.full(N, -1)
    prot_segment = np.full(N, -1)
    mean0 = tr0.window_means.mean(axis=0)                        # (d, N) window means
    rms0 = tr0.window_means.std(axis=0)
    rms_p = spread(np.sqrt(np.maximum(np.diagonal(cov, axis1=1, axis2=2), 0.0)))
    mean_p = spread(mean)
    scale = max(float(np.sqrt(np.mean(X0 ** 2))), 1.0) if X0.size else 1.0
    for s, (kind, i) in enumerate(seed_meta):
        b = int(bs.seed_branch[s])
        if kind != "zero" or b < 0:
            continue
        n = int(pad["n_points"][b])
        k = locate_protocol(pad["p"][b, :n], pad["T"][b, :n], mean_p[b, :n], rms_p[b, :n],
                            values[i], 2 * np.pi * per0[i], mean0[:, i], rms0[:, i], scale)
        if k < 0:
            continue
        near = k + 1 if abs(pad["p"][b, k + 1] - values[i]) < abs(pad["p"][b, k] - values[i]) else k
        if settled0[i] or pad["stable"][b, near]:      # an unsettled run near an unstable cycle: not on it
            prot_branch[i], prot_segment[i] = b, k

    ev = bs.event_arrays()
    evmu = ev["multiplier_re"] + 1j * ev["multiplier_im"]
    in_phase = np.abs(phase) < np.pi / 2
    btype = []
    for b in range(nb):
        m = spread(in_phase)[b, :pad["n_points"][b]]
        btype.append("in_phase" if m.all() else "anti_phase" if not m.any() else "mixed")

    mech = [model.mode_names[j] for j in model.mechanical_modes]
    long = ax.long_name
    ds = xr.Dataset(
        {
            "parameter": (("branch", "point"), pad["p"], {"long_name": f"{long} along the branch", "units": ax.units}),
            "period_tau": (("branch", "point"), pad["T"] / (2 * np.pi),
                           {"long_name": "period of the cycle", "units": "tau"}),
            "dp_ds": (("branch", "point"), pad["dp_ds"],
                      {"long_name": "parameter component of the scaled arclength tangent", "units": "1"}),
            "stable": (("branch", "point"), pad["stable"],
                       {"long_name": "every nontrivial Floquet multiplier inside the unit circle"}),
            "multiplier_re": (("branch", "point", "multiplier"), pad["multiplier_re"],
                              {"long_name": "Floquet multiplier, real part (trivial first, then by modulus)",
                               "units": "1"}),
            "multiplier_im": (("branch", "point", "multiplier"), pad["multiplier_im"],
                              {"long_name": "Floquet multiplier, imaginary part", "units": "1"}),
            "max_abs_multiplier": (("branch", "point"), max_nontrivial,
                                   {"long_name": "largest nontrivial |Floquet multiplier|", "units": "1"}),
            "x0": (("branch", "point", "quadrature"), pad["x0"],
                   {"long_name": "orbit point on the phase hyperplane", "units": "1"}),
            "x_mean": (("branch", "point", "quadrature"), mean_p,
                       {"long_name": "orbit mean over one period", "units": "1"}),
            "amplitude": (("branch", "point", "mechanical_mode"), spread(amp),
                          {"long_name": "mechanical oscillation amplitude sqrt(var Re + var Im) over one period",
                           "units": "1"}),
            "relative_phase": (("branch", "point"), spread(phase),
                               {"long_name": "relative phase arg<d beta_j d beta_k*> of the mechanical modes",
                                "units": "rad"}),
            "in_phase": (("branch", "point"), spread(in_phase),
                         {"long_name": "|relative phase| < pi/2"}),
            "S_Q_floquet": (("branch", "point"), spread(sq_mean),
                            {"long_name": "S_Q of the periodic covariance, phase mode projected out, mean over "
                                          "one period (stable cycles only, NaN elsewhere)", "units": "1"}),
            "S_Q_floquet_min": (("branch", "point"), spread(sq_min), {"long_name": "its minimum over one period",
                                                                     "units": "1"}),
            "S_Q_floquet_max": (("branch", "point"), spread(sq_max), {"long_name": "its maximum over one period",
                                                                     "units": "1"}),
            "phase_diffusion": (("branch", "point"), spread(diff),
                                {"long_name": "phase-mode variance growth per period w^T W w/(w^T u)^2 "
                                                              "(stable cycles only), in units of omega1^-2",
                                 "units": "1"}),
            "n_points": (("branch",), pad["n_points"], {"long_name": "points on the branch"}),
            "stop_start": (("branch",), np.array([b.stops[0] for b in bs.branches], dtype=str),
                           {"long_name": "why the branch's first end stopped"}),
            "stop_end": (("branch",), np.array([b.stops[1] for b in bs.branches], dtype=str),
                         {"long_name": "why the branch's last end stopped"}),
            "branch_type": (("branch",), np.array(btype, dtype=str),
                            {"long_name": "in_phase, anti_phase or mixed along the branch"}),
            "S_Q_protocol": ((axis,), sq0, {"long_name": "window-mean S_Q of the zero start (the paper's protocol)",
                                            "units": "1"}),
            "protocol_settled": ((axis,), settled0,
                                 {"long_name": "the zero start's window is periodic (regular crossings)"}),
            "protocol_period_tau": ((axis,), per0, {"long_name": "period of the zero start's window", "units": "tau"}),
            "protocol_branch": ((axis,), prot_branch, {"long_name": "branch the zero start reaches (-1: none)"}),
            "protocol_segment": ((axis,), prot_segment,
                                 {"long_name": "segment (point k to k+1) of that branch at the grid value"}),
            "seed_kind": (("seed",), seed_kind, {"long_name": "start the seed came from"}),
            "seed_parameter": (("seed",), values[seed_grid], {"long_name": f"{long} of the seed", "units": ax.units}),
            "seed_branch": (("seed",), np.asarray(bs.seed_branch, int), {"long_name": "branch the seed is on (-1: none)"}),
            "event_kind": (("event",), ev["kind"], {"long_name": "fold, period_doubling, torus or branch_point"}),
            "event_branch": (("event",), ev["branch"], {"long_name": "branch the event is on"}),
            "event_index": (("event",), ev["index"], {"long_name": "the event lies between points index, index+1"}),
            "event_parameter": (("event",), ev["p"], {"long_name": f"{long} at the event", "units": ax.units}),
            "event_period_tau": (("event",), ev["T"] / (2 * np.pi), {"long_name": "period at the event", "units": "tau"}),
            "event_multiplier_re": (("event", "multiplier"), evmu.real.reshape(len(ev["p"]), d),
                                    {"long_name": "Floquet multiplier at the event, real part", "units": "1"}),
            "event_multiplier_im": (("event", "multiplier"), evmu.imag.reshape(len(ev["p"]), d),
                                    {"long_name": "Floquet multiplier at the event, imaginary part", "units": "1"}),
        },
        coords={axis: (axis, values, {"long_name": long, "units": ax.units}),
                "branch": np.arange(nb), "point": np.arange(npt), "event": np.arange(len(ev["p"])),
                "seed": np.arange(len(seed_meta)), "multiplier": np.arange(d),
                "quadrature": list(model.quadrature_names), "mechanical_mode": mech},
        attrs={"axis": axis, "model": model.name, "steps_per_period": int(steps), "method": method,
               "seed_every": int(seed_every), "displacement": float(displacement), "jump_tol": float(jump_tol),
               "parameter_lo": bounds[0], "parameter_hi": bounds[1]},
    )
    pv, pd = protocol_phase_variance(model, base, ax.fields, values, tr0, per0, prot_branch >= 0, steps, method)
    ds["protocol_phase_variance"] = ((axis,), pv, {"long_name": "phase-mode variance of the zero start at t_end "
                                                                "(rad^2, on a cycle only)", "units": "1"})
    ds["protocol_phase_variance_diffusion"] = ((axis,), pd, {
        "long_name": "the part phase diffusion alone accumulates from t = 0 (rad^2)", "units": "1"})
    timing["total_s"] = time.perf_counter() - t_start
    ds.attrs.update({f"time_{k}": float(v) for k, v in timing.items()})
    return ds
