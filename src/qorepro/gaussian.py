"""Linearised Gaussian moment equations of a model (Mari et al., PRL 111, 103605).

For real mean fields x (length d = 2n) and the symmetrised covariance V of the quadrature
fluctuations (vacuum V = I/2):

    ẋ = f(x)                          the model's mean-field equations
    V̇ = A V + V Aᵀ + Q,   A = ∂f/∂x   drift (Lai SI eq. S11: S8 is the linearisation of S7)
    Φ̇ = A Φ                            fundamental matrix (monodromy, Floquet multipliers)
    ẇ = −Aᵀ w                          adjoint: transports left Floquet vectors along an orbit

A is never formed inside the integrator: A·M is the forward-mode derivative (``jax.jvp``)
of f along each column of M, so the drift is *defined* by the mean-field equations — one
definition of the physics — and the product keeps their sparsity.  The tests compare
:func:`drift_matrix` with the drift written out by hand from the fluctuation equations.

Layout: the batch of parameter points is the *last* axis of every array (x: (d, N),
Φ: (d, d, N)); V is stored as its upper triangle, (d(d+1)/2, N).  A model provides
``mean_field_rhs(x, c)`` (elementwise in the batch, so it also works for one point with
scalar coefficients), ``diffusion_matrix(c)`` → (d, d, N) and ``n_modes`` (the model protocol,
:mod:`qorepro.models.base`); the coefficients ``c`` may be any pytree of (N,) arrays.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from . import backend  # noqa: F401  (float64 before any array is made)


@functools.cache
def triangle(d: int):
    """(rows, cols) of the upper triangle of a d×d matrix and the (d, d) map back into it."""
    iu = np.triu_indices(d)
    full = np.zeros((d, d), dtype=np.int32)
    full[iu] = np.arange(iu[0].size)
    full[iu[1], iu[0]] = np.arange(iu[0].size)
    return iu, full


def pack(V):
    """Symmetric (d, d, ...) → upper triangle (d(d+1)/2, ...)."""
    iu, _ = triangle(V.shape[0])
    return V[iu]


def unpack(Vp, d: int):
    """Upper triangle (d(d+1)/2, ...) → symmetric (d, d, ...)."""
    return Vp[triangle(d)[1]]


def moment_field(model, c, Qp):
    """The vector field of the state dict ``{"x", "V"?, "Phi"?, "w"?}`` (batch last).

    ``Qp`` is the packed diffusion matrix.  Keys present in the state are advanced; ``x`` is
    always required.
    """
    d = 2 * model.n_modes

    def vf(y):
        fx, lin = jax.linearize(lambda xx: model.mean_field_rhs(xx, c), y["x"])
        out = {"x": fx}
        cols = jax.vmap(lin, in_axes=1, out_axes=1)
        if "V" in y:
            AV = cols(unpack(y["V"], d))
            iu, _ = triangle(d)
            out["V"] = AV[iu] + AV[iu[1], iu[0]] + Qp
        if "Phi" in y:
            out["Phi"] = cols(y["Phi"])
        if "w" in y:
            # −Aᵀw from A's columns A e_j (forward mode: much cheaper here than a transpose)
            N = y["x"].shape[-1]
            A = cols(jnp.broadcast_to(jnp.eye(d)[:, :, None], (d, d, N)))
            out["w"] = -jnp.sum(A * y["w"][:, None], axis=0)
        return out

    return vf


@functools.cache
def _jacobian(model):
    J = jax.jacfwd(model.mean_field_rhs)
    return jax.jit(jax.vmap(J, in_axes=(1, 0)))


def _bucketed(fn, x, c):
    """fn(x, c) with the batch padded to a compiled bucket size (few shapes), as numpy."""
    from .batching import bucket, pad
    x = np.asarray(x, dtype=float)
    m = bucket(x.shape[-1])
    out = fn(pad(x, m), jax.tree_util.tree_map(lambda v: pad(np.asarray(v, dtype=float), m), c))
    return np.asarray(out)


def drift_matrix(model, x, c) -> np.ndarray:
    """A = ∂f/∂x at states x (d, N) for coefficients c (leaves (N,)); shape (N, d, d).

    The drift of every model, time-domain and steady-state alike: forward-mode AD of its
    ``mean_field_rhs``, one point per lane (``jax.vmap``), compiled per model and bucket size."""
    return _bucketed(_jacobian(model), x, c)[:np.shape(x)[-1]]


def field(model, x, c) -> np.ndarray:
    """f(x) for states x (d, N), as a numpy array (jitted per model)."""
    return _bucketed(_rhs(model), x, c)[..., :np.shape(x)[-1]]


@functools.cache
def _rhs(model):
    return jax.jit(model.mean_field_rhs)
