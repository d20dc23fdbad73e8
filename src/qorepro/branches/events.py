"""Codimension-one bifurcations of cycles along a traced branch: detection and location.

Between two consecutive branch points the test functions below change sign:

* ``fold`` (a multiplier through +1, the branch turns in p): the parameter component of
  the arclength tangent, dp/ds;
* ``period_doubling`` (a real multiplier through −1): det(Φ + I) = Π(μ_i + 1) — complex
  pairs contribute |μ + 1|² > 0, the trivial multiplier 2, so the sign flips exactly when
  a real multiplier crosses −1;
* ``torus`` (Neimark–Sacker, a complex pair through |μ| = 1): the number of nontrivial
  complex multipliers outside the unit circle;
* ``branch_point`` (a real multiplier through +1 without a fold, e.g. a symmetry-breaking
  pitchfork of cycles): the number of nontrivial real multipliers above 1 changes while
  dp/ds keeps its sign.

Each event is located on the chord between the two points: a trial point at arclength σ
along the chord is corrected onto the branch (Newton with the chord's normal hyperplane,
:meth:`~qorepro.branches.shooting.Shooting.correct`) and the test function evaluated there;
σ is found by the Illinois variant of regula falsi (smooth test functions) or by bisection
(counts), until the σ-bracket is below ``sigma_tol`` (scaled units: the parameter to
``sigma_tol`` times its scale, far below 10⁻⁴ of the panel range).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .shooting import Shooting, floquet

KINDS = ("fold", "period_doubling", "torus", "branch_point")
#: |Im μ| below which a multiplier counts as real
REAL_TOL = 1e-9


@dataclass
class Event:
    """One bifurcation point on a branch (parameter in its own units, x0 and T of the
    orbit there, its multipliers with the trivial one first)."""
    kind: str
    branch: int
    index: int              # the event lies between branch points index and index + 1
    p: float
    T: float
    x0: np.ndarray
    multipliers: np.ndarray


def counts(mu: np.ndarray):
    """(real nontrivial multipliers > 1, complex nontrivial outside |μ| = 1) for
    multipliers with the trivial one first."""
    rest = mu[1:]
    real = np.abs(rest.imag) <= REAL_TOL * np.maximum(1.0, np.abs(rest))
    return int(np.sum(real & (rest.real > 1))), int(np.sum(~real & (np.abs(rest) > 1)))


def pd_test(Phi: np.ndarray) -> float:
    """det(Φ + I): changes sign when a real multiplier crosses −1."""
    return float(np.linalg.det(Phi + np.eye(Phi.shape[0])))


def detect(tp: np.ndarray, mus: np.ndarray, Phis: np.ndarray):
    """Events between consecutive points of one branch: a list of (kind, index).

    ``tp`` (n,) dp/ds along the branch, ``mus`` (n, d) multipliers (trivial first),
    ``Phis`` (n, d, d) monodromies."""
    out = []
    c = np.array([counts(m) for m in mus])
    pd = np.array([pd_test(P) for P in Phis])
    for i in range(len(tp) - 1):
        fold = np.sign(tp[i]) * np.sign(tp[i + 1]) < 0
        if fold:
            out.append(("fold", i))
        elif c[i, 0] != c[i + 1, 0]:
            out.append(("branch_point", i))
        if np.sign(pd[i]) * np.sign(pd[i + 1]) < 0:
            out.append(("period_doubling", i))
        if c[i, 1] != c[i + 1, 1]:
            out.append(("torus", i))
    return out


def _probe(sh: Shooting, va, vb, ta, sigma, tol, J=None):
    """The branch point at arclength σ along the chord a → b: (v, J, tangent) or None
    (``J`` a Jacobian near it to start the corrector with)."""
    e = vb - va
    e = e / np.linalg.norm(e)
    guess = va + sigma * e
    out = sh.correct(guess, e, e @ guess, va, tol, J=J)
    if out is None:
        return None
    v, _, J, _ = out
    return v, J, sh.tangent(v, J, ta)


def _value(kind, sh, probe, count_a):
    v, J, t = probe
    if kind == "fold":
        return t[-1]
    Phi = sh.monodromy(J)
    if kind == "period_doubling":
        return pd_test(Phi)
    mu, _ = floquet(Phi)
    k = counts(mu)[0 if kind == "branch_point" else 1]
    return -1.0 if k == count_a else 1.0


def locate(sh: Shooting, kind: str, va, vb, ta, Ja, tb, Jb, sigma_tol: float = 1e-7, tol: float = 1e-10,
           max_iter: int = 60):
    """Locate an event of ``kind`` between the branch points a and b (scaled v, unit
    tangents t, Jacobians J).  Returns (v, J) at the event, or None if a probe fails."""
    L = float(np.linalg.norm(vb - va))
    mu_a, _ = floquet(sh.monodromy(Ja))
    count_a = counts(mu_a)[0 if kind == "branch_point" else 1]
    fa = _value(kind, sh, (va, Ja, ta), count_a)
    fb = _value(kind, sh, (vb, Jb, tb), count_a)
    a, b = 0.0, L
    smooth = kind in ("fold", "period_doubling")
    best = (va, Ja) if abs(fa) <= abs(fb) else (vb, Jb)
    side = 0
    for _ in range(max_iter):
        if b - a < sigma_tol:
            break
        if smooth and fa != fb:
            s = b - fb * (b - a) / (fb - fa)
            s = min(max(s, a + 0.01 * (b - a)), b - 0.01 * (b - a))
        else:
            s = 0.5 * (a + b)
        pr = _probe(sh, va, vb, ta, s, tol, best[1])
        if pr is None:
            return None
        fs = _value(kind, sh, pr, count_a)
        best = pr[:2]
        if fs == 0:
            break
        if np.sign(fs) == np.sign(fa):
            a, fa = s, fs
            if side == -1 and smooth:
                fb *= 0.5                              # Illinois: keep the stale end moving
            side = -1
        else:
            b, fb = s, fs
            if side == 1 and smooth:
                fa *= 0.5
            side = 1
    return best
