"""Fixed-step explicit Runge–Kutta stepping on pytrees, with diffrax's Butcher tableaux.

One integrator for the whole time-domain engine (the trajectory solver and the
certification's period/monodromy flow).  The tableaux are diffrax's (``Dopri8``: the
Prince–Dormand 8(7) pair, 13 stages per step; ``Tsit5``; ``Dopri5``); only the stepping loop
is ours: for this constant-step problem it costs 1.37× less than ``diffrax.Dopri8().step``
inside the same ``lax`` loop and 1.25× less than ``diffrax.diffeqsolve`` with
``SaveAt(ts=…)`` (one CPU core, 64 points; ``benchmarks/bench_solver.py`` measures all
three), because zero tableau entries are skipped at trace time and nothing is carried for
error estimates or dense output; and it takes a per-point step (period flows).

The step ``dt`` may be a scalar or an array that broadcasts against every leaf of the state:
the engine stores batches on the *last* axis, so a per-point step (shape (N,)) works as is.
"""
from __future__ import annotations

import functools

import diffrax
import jax
import numpy as np

from .settings import TABLEAUX

METHODS = {name: getattr(diffrax, cls) for name, cls in TABLEAUX.items()}
#: classical order of each method's propagated solution
ORDER = {"dopri8": 8, "tsit5": 5, "dopri5": 5}


@functools.cache
def tableau(method: str):
    """(a, b): the lower-triangular stage coefficients (tuple of tuples, a[i] used for stage
    i+1) and the solution weights, as Python floats, trailing zero-weight stages dropped."""
    if method not in METHODS:
        raise ValueError(f"unknown Runge–Kutta method {method!r}; choose one of {sorted(METHODS)}")
    t = METHODS[method].tableau
    b = [float(v) for v in np.asarray(t.b_sol)]
    while b and b[-1] == 0.0:
        b.pop()
    a = tuple(tuple(float(v) for v in np.asarray(row)) for row in t.a_lower[:len(b) - 1])
    return a, tuple(b)


def _combine(y, ks, coeffs, dt):
    """y + dt Σ coeffs[j] ks[j], skipping zero coefficients (leaf by leaf)."""
    terms = [(w, k) for w, k in zip(coeffs, ks) if w != 0.0]
    if not terms:
        return y

    def leaf(y0, *kk):
        acc = terms[0][0] * kk[0]
        for (w, _), k in zip(terms[1:], kk[1:]):
            acc = acc + w * k
        return y0 + dt * acc

    return jax.tree.map(leaf, y, *[k for _, k in terms])


def step(vf, y, dt, method: str = "dopri8"):
    """One explicit Runge–Kutta step y(t) → y(t + dt) of the autonomous field ``vf(y)``.

    ``vf`` is traced once per step, not once per stage: its closure (the coefficients, the
    Brownian increment) is hoisted into arguments (``jax.closure_convert``) and the stages call
    one ``jax.jit`` of it, which XLA inlines again — the compiled program and its results are
    bit-identical to thirteen separately traced stages, while tracing and lowering a Dopri8
    program take ≈ 4× less (a warm sweep job's start, docs/benchmarks.md)."""
    a, b = tableau(method)
    f, consts = jax.closure_convert(vf, y)
    f = jax.jit(f)
    ks = [f(y, *consts)]
    for row in a:
        ks.append(f(_combine(y, ks, row, dt), *consts))
    return _combine(y, ks, b, dt)


def advance(vf, y, dt, n_steps: int, method: str = "dopri8"):
    """``n_steps`` fixed steps (a ``lax.fori_loop``)."""
    return jax.lax.fori_loop(0, n_steps, lambda _, yy: step(vf, yy, dt, method), y)
