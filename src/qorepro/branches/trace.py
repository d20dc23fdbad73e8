"""Limit-cycle branches of ẋ = f(x, p) from seeds: converge, continue both ways, merge.

A seed is a state near a periodic orbit (e.g. a trajectory's end state), a rough period and
the parameter value it belongs to.  Each seed is converged by shooting at its own p
(:meth:`~qorepro.branches.shooting.Shooting.correct_at`); a seed whose orbit already lies on a
traced branch (same period and same orbit averages ⟨x⟩, ⟨x∘x⟩ — invariants of the orbit, so
independent of the phase at which it is entered — at that p to ``same_rtol``) is assigned to
that branch; otherwise the branch through it is traced in both directions by
pseudo-arclength (:mod:`qorepro.branches.arclength`) to the parameter bounds (or another
stopping rule), and its bifurcation points are detected and located
(:mod:`qorepro.branches.events`).  Nothing here knows which model f belongs to.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .arclength import ContinuationSettings, continue_arc
from .events import Event, detect, locate
from .shooting import Scales, Shooting, floquet


@dataclass
class Seed:
    """A state ``x`` (d,) near a periodic orbit with rough period ``T`` at parameter ``p``."""
    x: np.ndarray
    T: float
    p: float


@dataclass
class Branch:
    """One branch, ordered along its arclength (parameter in its own units, times in f's).

    ``multipliers`` (n, d) complex, the trivial one first, the others by decreasing
    modulus; ``stable`` every nontrivial |μ| < 1; ``dp_ds`` the parameter component of the
    (scaled, unit) arclength tangent; ``x_mean``/``x_rms`` orbit average and RMS deviation
    of each state component over one period; ``stops`` why each end stopped (start, end).
    """
    p: np.ndarray
    T: np.ndarray
    x0: np.ndarray
    multipliers: np.ndarray
    stable: np.ndarray
    dp_ds: np.ndarray
    x_mean: np.ndarray
    x_rms: np.ndarray
    stops: tuple
    seeds: list = field(default_factory=list)

    def __len__(self):
        return self.p.size


@dataclass
class BranchSet:
    """All branches from a set of seeds, their events, and which branch each seed is on
    (−1 where the seed did not converge to a periodic orbit)."""
    branches: list
    events: list
    seed_branch: np.ndarray
    parameter_bounds: tuple

    def padded(self) -> dict:
        """The branches as arrays with a leading ``branch`` dimension, padded with NaN
        (False for ``stable``) to the longest branch: ready for an xarray/NetCDF writer.
        Multipliers are split into real and imaginary parts."""
        nb = len(self.branches)
        n = max((len(b) for b in self.branches), default=0)
        d = self.branches[0].x0.shape[1] if nb else 0
        out = {"n_points": np.array([len(b) for b in self.branches], dtype=int),
               "p": np.full((nb, n), np.nan), "T": np.full((nb, n), np.nan), "dp_ds": np.full((nb, n), np.nan),
               "stable": np.zeros((nb, n), dtype=bool), "x0": np.full((nb, n, d), np.nan),
               "x_mean": np.full((nb, n, d), np.nan), "x_rms": np.full((nb, n, d), np.nan),
               "multiplier_re": np.full((nb, n, d), np.nan), "multiplier_im": np.full((nb, n, d), np.nan)}
        for i, b in enumerate(self.branches):
            k = len(b)
            for name in ("p", "T", "dp_ds", "stable", "x0", "x_mean", "x_rms"):
                out[name][i, :k] = getattr(b, name)
            out["multiplier_re"][i, :k] = b.multipliers.real
            out["multiplier_im"][i, :k] = b.multipliers.imag
        return out

    def event_arrays(self) -> dict:
        """The events as arrays along an ``event`` dimension (kind as str, the branch it is
        on, the segment index, p, T, x0 (n, d), multipliers split into real and imaginary)."""
        d = self.branches[0].x0.shape[1] if self.branches else 0
        ev = self.events
        mu = np.array([e.multipliers for e in ev]).reshape(len(ev), d)
        return {"kind": np.array([e.kind for e in ev], dtype=str), "branch": np.array([e.branch for e in ev], int),
                "index": np.array([e.index for e in ev], int), "p": np.array([e.p for e in ev], float),
                "T": np.array([e.T for e in ev], float), "x0": np.array([e.x0 for e in ev], float).reshape(len(ev), d),
                "multiplier_re": mu.real, "multiplier_im": mu.imag}


def default_scales(seeds, p_bounds) -> Scales:
    """x: the RMS size of the seed states (at least 1); T: the largest seed period;
    p: the width of the parameter range."""
    xs = np.stack([np.asarray(s.x, float) for s in seeds])
    return Scales(x=max(float(np.sqrt(np.mean(xs ** 2))), 1.0), T=max(float(s.T) for s in seeds),
                  p=float(p_bounds[1] - p_bounds[0]))


def _assemble(sh: Shooting, back, fwd, seeds):
    """One branch from the two arcs of a seed (the backward arc reversed, the seed once), and
    its scaled points, oriented tangents and Jacobians."""
    V = [*back.v[:0:-1], *fwd.v]
    Ts = [*(-t for t in back.t[:0:-1]), *fwd.t]
    Js = [*back.J[:0:-1], *fwd.J]
    V = np.stack(V)
    d = sh.d
    u = V * sh.scales.vector(d)
    mus, stable = zip(*(floquet(sh.monodromy(J)) for J in Js))
    mean, rms = sh.invariants(V)
    return Branch(p=u[:, d + 1], T=u[:, d], x0=u[:, :d], multipliers=np.stack(mus), stable=np.array(stable),
                  dp_ds=np.array([t[-1] for t in Ts]), x_mean=mean, x_rms=rms, stops=(back.stop, fwd.stop),
                  seeds=list(seeds)), V, Ts, Js


#: a segment whose interpolated invariants differ from the orbit's by more than this (relative,
#: see :func:`_same_orbit`) is not corrected: the orbit is plainly not on it
PREFILTER_RTOL = 0.05


def _same_orbit(sh: Shooting, v, branch_V, rtol, branch: Branch | None = None, branch_J=None):
    """Whether the converged orbit v lies on the branch with scaled points ``branch_V``:
    the branch is corrected onto v's parameter in every segment that brackets it and the
    period and orbit averages compared.  With ``branch`` (its stored invariants) a segment
    is skipped without Newton where its linearly interpolated period and orbit averages differ
    from v's by more than :data:`PREFILTER_RTOL` of their size (at least that fraction of the
    state's scale): only the strict test decides that v is on the branch.  ``branch_J``: the
    branch points' Jacobians (the corrector starts from the segment's first)."""
    q = v[-1]
    P = branch_V[:, -1]
    inv_v = np.concatenate([*sh.invariants(v[None]), [[v[sh.d]]]], axis=1)[0]
    scale = np.maximum(np.abs(inv_v), sh.scales.x * 1e-3)
    if branch is not None:
        inv_b = np.concatenate([branch.x_mean, branch.x_rms, (branch.T / sh.scales.T)[:, None]], axis=1)
        loose = PREFILTER_RTOL * np.maximum(np.abs(inv_v), np.r_[np.full(2 * sh.d, PREFILTER_RTOL * sh.scales.x), 0.0])
    for k in range(len(P) - 1):
        lo, hi = sorted((P[k], P[k + 1]))
        if not (lo <= q <= hi):
            continue
        a = 0.0 if hi == lo else (q - P[k]) / (P[k + 1] - P[k])
        if branch is not None and np.any(np.abs(inv_b[k] + a * (inv_b[k + 1] - inv_b[k]) - inv_v) > loose):
            continue
        out = sh.correct_at(branch_V[k] + a * (branch_V[k + 1] - branch_V[k]), q * sh.scales.p,
                           J=None if branch_J is None else branch_J[k])
        if out is None:
            continue
        w = out[0]
        inv_w = np.concatenate([*sh.invariants(w[None]), [[w[sh.d]]]], axis=1)[0]
        if np.all(np.abs(inv_w - inv_v) <= rtol * scale):
            return True
    return False


def trace_branches(f, dim: int, seeds, p_bounds, *, scales: Scales | None = None, steps: int = 256,
                   method: str = "dopri8", settings: ContinuationSettings = ContinuationSettings(),
                   same_rtol: float = 1e-6, sigma_tol: float = 1e-7, args: tuple = ()) -> BranchSet:
    """All limit-cycle branches of ẋ = f(x, p) through ``seeds`` within ``p_bounds``.

    ``f(x, p, *args)`` takes x (dim,) and a scalar p (JAX-traceable in both; ``args``, e.g. a
    model's coefficients, are runtime arguments: see
    :class:`~qorepro.branches.shooting.Shooting`); ``steps`` fixed steps of ``method`` per
    period.  Seeds outside the bounds are an error.  Returns a
    :class:`BranchSet`; events carry the parameter to ~``sigma_tol`` times its scale.
    """
    seeds = list(seeds)
    lo, hi = float(p_bounds[0]), float(p_bounds[1])
    if not lo < hi:
        raise ValueError(f"parameter bounds {p_bounds} must be increasing")
    for s in seeds:
        if not lo <= s.p <= hi:
            raise ValueError(f"seed parameter {s.p} outside the bounds {p_bounds}")
    if not seeds:
        return BranchSet([], [], np.zeros(0, int), (lo, hi))
    if scales is None:
        scales = default_scales(seeds, (lo, hi))
    sh = Shooting(f, dim, scales, steps, method, args)
    branches, events, traced = [], [], []
    seed_branch = np.full(len(seeds), -1)
    for i, s in enumerate(seeds):
        out = sh.correct_at(sh.scale(s.x, s.T, s.p), s.p)
        if out is None:
            continue
        v0, _, J0, _ = out
        on = [k for k, (V, _, Js) in enumerate(traced) if _same_orbit(sh, v0, V, same_rtol, branches[k], Js)]
        if on:
            seed_branch[i] = on[0]
            branches[on[0]].seeds.append(i)
            continue
        e_p = np.zeros(dim + 2)
        e_p[-1] = 1.0
        t0 = sh.tangent(v0, J0, e_p)
        fwd = continue_arc(sh, v0, J0, t0, (lo, hi), settings)
        back = continue_arc(sh, v0, J0, -t0, (lo, hi), settings)
        b, V, Ts, Js = _assemble(sh, back, fwd, [i])
        k = len(branches)
        seed_branch[i] = k
        branches.append(b)
        traced.append((V, Ts, Js))
        for kind, j in detect(b.dp_ds, b.multipliers, np.stack([sh.monodromy(J) for J in Js])):
            at = locate(sh, kind, V[j], V[j + 1], Ts[j], Js[j], Ts[j + 1], Js[j + 1], sigma_tol)
            if at is None:
                continue
            x, T, p = sh.unscale(at[0])
            events.append(Event(kind, k, j, p, T, x, floquet(sh.monodromy(at[1]))[0]))
    return BranchSet(branches, events, seed_branch, (lo, hi))
