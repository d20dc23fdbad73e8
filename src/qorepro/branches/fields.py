"""A model's mean-field equations as the field f(x, p, *args) that branch tracing continues.

Branch tracing (:mod:`qorepro.branches.trace`) needs ẋ = f(x, p) JAX-traceable in the swept
parameter p, and compiles its programs once per function object f.  A model's equations
take a coefficient pytree c (``rhs(x, c)``); when the swept axis enters c affinely,
c(p) = c₀ + p e (detunings, Kerr coefficient, damping rates, couplings, the Sagnac shift
∝ Ω …), the field is f(x, p, c₀, e) = rhs(x, c₀ + p e): one compiled program per model for
every axis, panel and series, with c₀ and e as runtime arguments.
"""
from __future__ import annotations

import functools

import jax
import numpy as np


@functools.cache
def affine_field(rhs):
    """f(x, p, c0, e) = rhs(x, c0 + p·e), leaf by leaf (the same function object per rhs)."""
    def f(x, p, c0, e):
        return rhs(x, jax.tree.map(lambda a, b: a + p * b, c0, e))
    return f


def affine_coefficients(coefficients_at, p_bounds, rtol: float = 1e-12):
    """(c0, e) with coefficients_at(p) = c0 + p·e, from its values at the two bounds.

    ``coefficients_at(p)`` returns the coefficient pytree (float leaves) at parameter p.
    The map is checked at the midpoint and at a quarter of the range (to ``rtol`` of each
    leaf's size); a parameter that does not enter affinely raises ValueError.
    """
    lo, hi = (float(b) for b in p_bounds)
    a, b = coefficients_at(lo), coefficients_at(hi)
    e = jax.tree.map(lambda x, y: (np.asarray(y, float) - np.asarray(x, float)) / (hi - lo), a, b)
    c0 = jax.tree.map(lambda x, ee: np.asarray(x, float) - lo * ee, a, e)
    for p in (0.5 * (lo + hi), 0.75 * lo + 0.25 * hi):
        got = jax.tree.leaves(coefficients_at(p))
        want = jax.tree.leaves(jax.tree.map(lambda x, ee: x + p * ee, c0, e))
        for g, w, x, y in zip(got, want, jax.tree.leaves(a), jax.tree.leaves(b)):
            size = max(abs(float(x)), abs(float(y)), 1e-300)
            if abs(float(g) - float(w)) > rtol * size + 1e-300:
                raise ValueError(f"the parameter does not enter the coefficients affinely on {p_bounds}")
    return c0, e
