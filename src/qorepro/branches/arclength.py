"""Pseudo-arclength continuation of a periodic-orbit branch in one scalar parameter.

From a converged point v_k with unit tangent t_k (scaled coordinates, see
:mod:`qorepro.branches.shooting`) one step is

* predictor  v* = v_k + Δs t_k;
* corrector  Newton on [G(v); n_k·(v − v_k); t_k·(v − v*)] = 0 — the bordered system, regular
  at a fold of cycles, so the branch turns round folds instead of stopping there;
* new tangent t_{k+1}: the null vector of [∂G/∂v; n_{k+1}], oriented by t_{k+1}·t_k > 0.

Step-size control: Δs grows by 1.3 after a corrector of ≤ 4 iterations (up to ``ds_max``), shrinks
by 0.7 after one of more than 8,
halves after a failed corrector or a turn of the tangent by more than ``max_turn`` radians,
and the trace stops below ``ds_min``.  It also stops at the parameter bounds (the last
point is corrected onto the bound exactly), when the orbit shrinks onto an equilibrium
(|f(x)| T below ``collapse`` times the seed's: a Hopf point), when the period exceeds
``T_max`` times the seed's (a homoclinic approach), when it returns to its start (an isola),
or after ``max_points`` points.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .shooting import Shooting

#: step control on the corrector's iterations (Newton–chord steps from the Jacobian at the
#: predictor, :meth:`~qorepro.branches.shooting.Shooting.correct`; one more than a full Newton
#: corrector takes for the same step): grow Δs after at most this many …
GROW_ITERATIONS = 4
#: … shrink it after more than this many
SHRINK_ITERATIONS = 8


@dataclass(frozen=True)
class ContinuationSettings:
    """Step control and stopping rules of the pseudo-arclength continuation (scaled units)."""
    ds: float = 0.02
    ds_min: float = 1e-6
    ds_max: float = 0.05
    max_turn: float = 0.3
    max_points: int = 400
    tol: float = 1e-10
    collapse: float = 1e-3
    T_max: float = 20.0


@dataclass
class Arc:
    """The points of one continuation direction, in scaled coordinates."""
    v: list = field(default_factory=list)        # (d + 2,) each
    t: list = field(default_factory=list)        # unit tangents, oriented along the direction
    J: list = field(default_factory=list)        # scaled Jacobians ∂G/∂v (d, d + 2)
    stop: str = ""


def _orbit_size(sh: Shooting, v) -> float:
    """|f(x)| T: the orbit's length scale (→ 0 as it shrinks onto an equilibrium)."""
    return sh.field_norm(v) * v[sh.d] * sh.scales.T


def continue_arc(sh: Shooting, v0, J0, t0, p_bounds, settings: ContinuationSettings = ContinuationSettings()) -> Arc:
    """Trace from the converged point ``v0`` (Jacobian ``J0``) along the unit tangent ``t0``
    until a stopping rule holds (module docstring); ``p_bounds`` (p_min, p_max) in the
    parameter's own units.  The returned arc starts with v0."""
    s = settings
    d = sh.d
    lo, hi = (b / sh.scales.p for b in p_bounds)
    arc = Arc([np.asarray(v0, float)], [np.asarray(t0, float)], [J0])
    size0 = _orbit_size(sh, v0)
    T0 = v0[d]
    ds = s.ds
    while len(arc.v) < s.max_points:
        v, t = arc.v[-1], arc.t[-1]
        pred = v + ds * t
        out = sh.correct(pred, t, t @ pred, v, s.tol)
        if out is not None:
            vn, _, Jn, iters = out
            tn = sh.tangent(vn, Jn, t)
            turn = np.arccos(np.clip(tn @ t, -1.0, 1.0))
            if turn > s.max_turn or np.linalg.norm(vn - pred) > 0.5 * ds + 1e-12:
                out = None
        if out is None:
            ds *= 0.5
            if ds < s.ds_min:
                arc.stop = "step_too_small"
                return arc
            continue
        pn = vn[-1]
        if pn < lo or pn > hi:                                 # crossed a bound: end on it
            bound = lo if pn < lo else hi
            a = (bound - v[-1]) / (pn - v[-1])
            end = sh.correct_at(v + a * (vn - v), bound * sh.scales.p, s.tol, J=Jn)
            if end is not None:
                ve, _, Je, _ = end
                arc.v.append(ve)
                arc.J.append(Je)
                arc.t.append(sh.tangent(ve, Je, t))
            arc.stop = "bound"
            return arc
        arc.v.append(vn)
        arc.t.append(tn)
        arc.J.append(Jn)
        if _orbit_size(sh, vn) < s.collapse * size0:
            arc.stop = "collapse"
            return arc
        if vn[d] > s.T_max * T0:
            arc.stop = "period_blowup"
            return arc
        if len(arc.v) > 3 and np.linalg.norm(vn - arc.v[0]) < ds and tn @ arc.t[0] > 0:
            arc.stop = "closed"
            return arc
        if iters <= GROW_ITERATIONS:
            ds = min(1.3 * ds, s.ds_max)
        elif iters > SHRINK_ITERATIONS:
            ds *= 0.7
    arc.stop = "max_points"
    return arc
