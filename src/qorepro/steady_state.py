"""Steady-state Gaussian covariance of a linearised model: the Lyapunov equation, batched.

For a stable drift matrix A and diffusion matrix D the stationary covariance solves

    A V + V Aᵀ = −D                                  (Jiao 2020 eq. 11, Jiao 2022 eq. 19)

i.e. V = ∫₀^∞ e^{As} D e^{Aᵀs} ds.  We solve it for a whole batch in the eigenbasis of A, with
the vectorised form (I ⊗ A + A ⊗ I) vec V = −vec D as the fallback where the eigenbasis is
ill-conditioned — the same equation scipy.linalg.solve_continuous_lyapunov solves point by
point (Bartels–Stewart), which the tests and the benchmark use as the independent reference.
"""
from __future__ import annotations

import numpy as np

#: relative residual ‖AV + VAᵀ + D‖/‖D‖ above which the eigenbasis solution is replaced by
#: the Kronecker solve (ill-conditioned eigenvectors near exceptional points)
RESIDUAL_RTOL = 1e-10


def lyapunov(A: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Solve A V + V Aᵀ = −D for a batch: A, D of shape (..., n, n); returns V (symmetrised).

    In the eigenbasis A = SΛS⁻¹: V = S W Sᵀ with W_ij = −(S⁻¹DS⁻ᵀ)_ij/(λ_i + λ_j) — O(n³)
    per point, batched.  Points whose residual exceeds :data:`RESIDUAL_RTOL` are re-solved in
    the vectorised Kronecker form (:func:`lyapunov_kron`).  Only meaningful where A is
    Hurwitz-stable; callers certify A first (:func:`qorepro.hurwitz.steady_state_verdict`).
    """
    A = np.asarray(A, dtype=float)
    D = np.broadcast_to(np.asarray(D, dtype=float), A.shape)
    lam, S = np.linalg.eig(A)
    with np.errstate(all="ignore"):
        Si = np.linalg.inv(S)
        W = -(Si @ D @ np.swapaxes(Si, -1, -2)) / (lam[..., :, None] + lam[..., None, :])
        V = (S @ W @ np.swapaxes(S, -1, -2)).real
    V = 0.5 * (V + np.swapaxes(V, -1, -2))
    res = np.linalg.norm(A @ V + V @ np.swapaxes(A, -1, -2) + D, axis=(-2, -1))
    bad = ~(res <= RESIDUAL_RTOL * np.maximum(np.linalg.norm(D, axis=(-2, -1)), 1e-300))
    if bad.any():
        V[bad] = lyapunov_kron(A[bad], D[bad])
    return V


def lyapunov_kron(A: np.ndarray, D: np.ndarray) -> np.ndarray:
    """A V + V Aᵀ = −D as the linear system (A ⊗ I + I ⊗ A) vec V = −vec D, batched."""
    A = np.asarray(A, dtype=float)
    D = np.broadcast_to(np.asarray(D, dtype=float), A.shape)
    n = A.shape[-1]
    eye = np.eye(n)
    # row-major vec: vec(A V) = (A ⊗ I) vec V, vec(V Aᵀ) = (I ⊗ A) vec V
    L = np.einsum("...ij,kl->...ikjl", A, eye) + np.einsum("ij,...kl->...ikjl", eye, A)
    L = L.reshape(A.shape[:-2] + (n * n, n * n))
    V = np.linalg.solve(L, -D.reshape(A.shape[:-2] + (n * n, 1))).reshape(A.shape)
    return 0.5 * (V + np.swapaxes(V, -1, -2))


#: V + iΩ/2 may dip below zero by rounding only (relative to the largest variance)
PHYSICAL_RTOL = 1e-9


def certified_covariance(A: np.ndarray, D: np.ndarray, entangled_modes=None) -> dict:
    """Certify a batch of drift matrices, solve the Lyapunov equation where stable, and check
    that the solution is a physical covariance.

    Returns a dict: ``V``, ``verdict``, ``fp_max_re_eig``, ``theta``, ``uncertainty_min_eig``
    (smallest eigenvalue of V + iΩ/2), ``dynamically_stable`` and, with ``entangled_modes``
    = (j, k), ``E_N`` between those modes.  V and E_N are NaN where the steady state is not
    stable (there is none to describe); a stable point whose V violates the uncertainty
    relation gets the verdict ``unphysical_covariance`` (kept, but not certified).
    """
    from .hurwitz import steady_state_verdict
    from .measures import uncertainty_min_eigenvalue
    verdict, max_re, theta = steady_state_verdict(A)
    V = np.full(A.shape, np.nan)
    umin = np.full(A.shape[:-2], np.nan)
    ok = verdict == "stable_fixed_point"
    if ok.any():
        V[ok] = lyapunov(A[ok], np.broadcast_to(D, A.shape)[ok])
        umin[ok] = uncertainty_min_eigenvalue(V[ok])
        scale = np.abs(np.diagonal(V[ok], axis1=-2, axis2=-1)).max(-1)
        bad = umin[ok] < -PHYSICAL_RTOL * np.maximum(1.0, scale)
        idx = np.flatnonzero(ok)[bad]
        verdict = verdict.astype(object)
        verdict.flat[idx] = "unphysical_covariance"
        verdict = verdict.astype(str)
    out = {"V": V, "verdict": verdict, "fp_max_re_eig": max_re, "theta": theta,
           "uncertainty_min_eig": umin, "dynamically_stable": ok}
    if entangled_modes is not None:
        from .measures import log_negativity
        E_N = np.full(ok.shape, np.nan)
        E_N[ok] = log_negativity(V[ok], *entangled_modes)
        out["E_N"] = E_N
    return out


def model_covariance(model, c, x) -> dict:
    """:func:`certified_covariance` of a model linearised at its fixed points x (2n, N): the
    drift by automatic differentiation of its equations (:func:`qorepro.gaussian.drift_matrix`),
    its diffusion matrix, E_N between its ``entangled_modes``."""
    from .gaussian import drift_matrix
    A = drift_matrix(model, x, c)
    return certified_covariance(A, np.moveaxis(np.asarray(model.diffusion_matrix(c)), -1, 0), model.entangled_modes)
