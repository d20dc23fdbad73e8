"""Periodic orbits of an autonomous field ẋ = f(x, p) by shooting on the period map.

The period map φ_T(x; p) is the engine's fixed-step Runge–Kutta flow (:mod:`qorepro.rk`,
diffrax's tableaux) over ``steps`` equal steps of T/steps.  A periodic orbit solves

    G(x, T, p) = φ_T(x; p) − x = 0      (d equations, d + 2 unknowns)

plus a phase condition n·(x − x_ref) = 0 with n ∝ f(x_ref, p_ref) (the orbit point is held
on the hyperplane through a reference point orthogonal to the flow there) and one more
equation that fixes where on the branch the point lies (p = p₀, or the pseudo-arclength
hyperplane of :mod:`qorepro.branches.arclength`).

The corrector is a Newton–chord iteration: the bordered matrix is factorised with a Jacobian
(from a nearby converged point where the caller has one, else at the guess) and the
iterations evaluate only the residual G (one flow, against ≈ 5 for G and its Jacobian); the
Jacobian is refreshed at the current iterate only when the iteration contracts slowly.  The
converged point is the same solution of the same equations to the same tolerance as with a
Jacobian at every iteration; its Jacobian is evaluated once there (the tangent and the
monodromy need it).

All unknowns are handled in *scaled* coordinates v = (x/s_x, T/s_T, p/s_p), so that the
Newton matrices are O(1) whatever the units (the Lai model's Kerr coefficient is ~10⁻⁵,
its amplitudes ~10²).  The Jacobian ∂G/∂(x, T, p) is ``jax.jacfwd`` of the discrete flow:
the exact derivative of the map that is solved (so Newton converges quadratically), and its
x-block plus the identity is the monodromy matrix — for an explicit Runge–Kutta scheme the
same matrix the certification gets by integrating Φ̇ = AΦ alongside
(:func:`qorepro.stability.monodromy`), up to rounding.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

from .. import backend, batching, rk  # noqa: F401  (backend: float64)


@dataclass(frozen=True)
class Scales:
    """Units of the scaled coordinates v = (x/x, T/T, p/p)."""
    x: float
    T: float
    p: float

    def vector(self, d: int) -> np.ndarray:
        return np.concatenate([np.full(d, self.x), [self.T, self.p]])


class Shooting:
    """The period map of ẋ = f(x, p) and its derivatives (compiled once per field function).

    ``f(x, p, *args)``: x of shape (d,), p a scalar; pure JAX-traceable array code (also in
    p: ∂G/∂p is differentiated through it).  ``args`` (a tuple of pytrees, e.g. a model's
    coefficients) are passed to f as runtime arguments of the compiled programs, so other
    values of them (another panel, another series) reuse the compiled code; the programs
    are cached per function object f, so f should be one module-level function, not a new
    closure per call.  ``steps`` fixed steps of ``method`` per period.
    """

    def __init__(self, f, dim: int, scales: Scales, steps: int = 256, method: str = "dopri8", args: tuple = ()):
        self.f, self.d, self.scales, self.steps, self.method = f, int(dim), scales, int(steps), method
        self.args = jax.tree.map(jnp.asarray, tuple(args))
        self._s = jnp.asarray(scales.vector(self.d))
        self._residual, self._residual_jacobian, self._field, self._invariants = _programs(f, self.d, self.steps,
                                                                                        method)

    # ------------------------------------------------------------------ coordinates
    def scale(self, x, T, p) -> np.ndarray:
        """Scaled vector v of the unknowns (x (d,), T, p)."""
        return np.concatenate([np.asarray(x, float), [float(T), float(p)]]) / self.scales.vector(self.d)

    def unscale(self, v):
        """(x (d,), T, p) from a scaled vector v."""
        u = np.asarray(v) * self.scales.vector(self.d)
        return u[:self.d], float(u[self.d]), float(u[self.d + 1])

    # ------------------------------------------------------------------ pieces
    def residual(self, v) -> np.ndarray:
        """G/s_x at the scaled point v (one flow, no derivatives)."""
        return np.asarray(self._residual(jnp.asarray(v), self._s, self.args))

    def residual_jacobian(self, v):
        """G/s_x and its Jacobian (d, d + 2) in scaled coordinates."""
        r, J = self._residual_jacobian(jnp.asarray(v), self._s, self.args)
        return np.asarray(r), np.asarray(J)

    def phase_row(self, v) -> np.ndarray:
        """The unit normal n = f(x)/|f(x)| of the phase condition through the point v, as a
        row over the scaled unknowns (zero in T and p); None at an equilibrium (f = 0)."""
        fx = np.asarray(self._field(jnp.asarray(v), self._s, self.args))
        size = np.linalg.norm(fx)
        if not (np.isfinite(size) and size > 0):
            return None
        row = np.zeros(self.d + 2)
        row[:self.d] = fx / size
        return row

    def field_norm(self, v) -> float:
        """|f(x, p)| at the point v (in units of x per unit time)."""
        return float(np.linalg.norm(np.asarray(self._field(jnp.asarray(v), self._s, self.args))))

    @staticmethod
    def monodromy(J: np.ndarray) -> np.ndarray:
        """Monodromy matrix Φ(T) = ∂φ_T/∂x from the scaled Jacobian (its x-block is Φ − I:
        x and G share the scale s_x)."""
        d = J.shape[0]
        return J[:, :d] + np.eye(d)

    def invariants(self, V: np.ndarray):
        """Orbit averages of the points V (n, d + 2): (mean x (n, d), RMS deviation of x
        from its mean (n, d)), all points at once (vmap), in blocks padded to the batch bucket
        (:func:`qorepro.batching.blocks`, :func:`~qorepro.batching.bucket`) so that branches of
        every length share one compiled program; a single point (a seed, a corrected guess)
        runs unpadded."""
        V = np.asarray(V, float)
        n = V.shape[0]
        m1, m2 = np.zeros((n, self.d)), np.zeros((n, self.d))
        for sl in batching.blocks(n):
            m = sl.stop - sl.start
            Vp = batching.pad(V[sl], 1 if n == 1 else batching.bucket(m), axis=0)
            m1[sl], m2[sl] = (np.asarray(a)[:m] for a in self._invariants(jnp.asarray(Vp), self._s, self.args))
        return m1, np.sqrt(np.maximum(m2 - m1 * m1, 0.0))

    # ------------------------------------------------------------------ Newton
    #: the chord iteration refreshes its Jacobian when a step is longer than this fraction of
    #: the one before (a slow linear contraction)
    CHORD_RATE = 0.25

    def correct(self, v, row, target, ref, tol: float = 1e-10, max_iter: int = 24, J=None, newton: bool = False):
        """Newton–chord on [G; phase; row·v − target] = 0 from v (all scaled).

        ``ref`` is the reference point of the phase condition (its field gives the normal);
        ``row`` the last equation (the arclength hyperplane's normal, or e_p for a fixed
        parameter); ``J`` a Jacobian ∂G/∂v near v to start the chord iteration with (default:
        evaluated at v).  The Jacobian is re-evaluated at the current iterate whenever a step
        is longer than :attr:`CHORD_RATE` times the one before, and where a step below ``tol``
        leaves the residual above 10 ``tol`` (the iteration then goes on from there); with
        ``newton`` at every iterate (plain Newton: the more robust from a rough guess).  Returns (v, residual,
        Jacobian at v, iterations) on convergence (|Δv|∞ < tol and |G|/s_x < 10 tol), or None.
        """
        n = self.phase_row(ref)
        if n is None:
            return None
        v = np.array(v, dtype=float)
        vref = np.asarray(ref, float)
        if J is None:
            r, J = self.residual_jacobian(v)
        else:
            r = self.residual(v)
        lu, last = None, np.inf
        for it in range(1, max_iter + 1):
            if not (np.isfinite(r).all() and np.isfinite(J).all()):
                return None
            if lu is None:
                lu = scipy.linalg.lu_factor(np.vstack([J, n, row]), check_finite=False)
                if not np.all(np.diag(lu[0])):          # exactly singular
                    return None
            F = np.concatenate([r, [n @ (v - vref), row @ v - target]])
            dv = scipy.linalg.lu_solve(lu, -F, check_finite=False)
            v = v + dv
            if v[self.d] <= 0 or not np.isfinite(v).all():
                return None
            size = np.abs(dv).max()
            if size < tol:
                r, J = self.residual_jacobian(v)
                if np.abs(r).max() < 10 * tol:
                    return v, r, J, it
                lu = None                               # a chord step can stall short: go on with Newton
            elif newton or size > self.CHORD_RATE * last:
                r, J = self.residual_jacobian(v)
                lu = None
            else:
                r = self.residual(v)
            last = size
        return None

    def correct_at(self, v, p: float, tol: float = 1e-10, max_iter: int = 20, J=None):
        """The periodic orbit at the fixed parameter p near the guess v (scaled); see
        :meth:`correct`.  The phase condition is referenced at the guess.  With ``J`` (a
        Jacobian near the guess, e.g. of a branch point next to it) a Newton–chord iteration,
        without (a seed: the end state of a run, possibly far from any cycle) plain Newton."""
        row = np.zeros(self.d + 2)
        row[-1] = 1.0
        v = np.array(v, dtype=float)
        v[-1] = p / self.scales.p
        return self.correct(v, row, v[-1], v, tol, max_iter if J is None else max_iter + 10, J, newton=J is None)

    def tangent(self, v, J, previous) -> np.ndarray:
        """Unit tangent (scaled) of the solution curve at v: the null vector of
        [J; phase row at v], normalised by t·previous = 1 before scaling to unit length
        (so it points the way ``previous`` does).  Where that bordered matrix is singular
        (``previous`` orthogonal to the branch) the null vector comes from an SVD instead."""
        K = np.vstack([J, self.phase_row(v)])
        rhs = np.zeros(self.d + 2)
        rhs[-1] = 1.0
        try:
            t = np.linalg.solve(np.vstack([K, previous]), rhs)
        except np.linalg.LinAlgError:
            t = np.full(self.d + 2, np.nan)
        if not np.isfinite(t).all():
            t = np.linalg.svd(K)[2][-1]
            t = t if t @ previous >= 0 else -t
        return t / np.linalg.norm(t)


@functools.cache
def _programs(f, d: int, steps: int, method: str):
    """The compiled period map pieces of one field (cached per process: a field traced again
    with other scales or seeds is not recompiled).  Every function takes the scaled point v
    the scale vector s (u = v s) and the runtime arguments of f."""

    def unscale(v, s):
        u = v * s
        return u[:d], u[d], u[d + 1]

    def flow(x, T, p, args):
        return rk.advance(lambda y: f(y, p, *args), x, T / steps, steps, method)

    def residual(v, s, args):
        x, T, p = unscale(v, s)
        return (flow(x, T, p, args) - x) / s[0]

    def residual_jacobian(v, s, args):
        return residual(v, s, args), jax.jacfwd(residual)(v, s, args)

    def field(v, s, args):
        x, _, p = unscale(v, s)
        return f(x, p, *args)

    def invariants(v, s, args):
        """Orbit averages over one period: (mean of x, mean of x∘x), each (d,)."""
        x, T, p = unscale(v, s)
        y = (x, jnp.zeros(d), jnp.zeros(d))
        vf = lambda yy: (f(yy[0], p, *args), yy[0], yy[0] * yy[0])
        _, m1, m2 = rk.advance(vf, y, T / steps, steps, method)
        return m1 / T, m2 / T

    return (jax.jit(residual), jax.jit(residual_jacobian), jax.jit(field),
            jax.jit(jax.vmap(invariants, in_axes=(0, None, None))))


def floquet(Phi: np.ndarray):
    """Floquet multipliers of a monodromy matrix, the trivial one (closest to 1) first, the
    others by decreasing modulus.  Returns (multipliers (d,) complex, stable: every
    nontrivial |μ| < 1)."""
    mu = np.linalg.eigvals(Phi)
    k = int(np.argmin(np.abs(mu - 1)))
    rest = np.delete(mu, k)
    rest = rest[np.argsort(-np.abs(rest), kind="stable")]
    return np.concatenate([[mu[k]], rest]), bool(np.all(np.abs(rest) < 1))
