"""Gaussian-state measures, generic over the number of modes and over numpy / jax.numpy.

Conventions: quadratures X = (o + o†)/√2, Y = i(o† − o)/√2, so the vacuum covariance is
V = I/2 and [X, Y] = i.  Covariance arrays have shape (..., 2n, 2n) (any leading batch or
time axes); mode ``j`` occupies rows/columns 2j, 2j+1.  Mean states x are the real and
imaginary parts of the complex amplitudes, shape (2n, ...), so ⟨X_j⟩ = √2 x[2j].

Every function works on numpy arrays (steady-state path, reports) and on JAX arrays inside a
compiled integrator (time-domain path): the array module is taken from the argument.
"""
from __future__ import annotations

import numpy as np

from .arrays import namespace as _xp


def relative_variances(V, j: int, k: int):
    """⟨δX₋²⟩ and ⟨δY₋²⟩ for X₋ = (X_j − X_k)/√2, Y₋ = (Y_j − Y_k)/√2 (SI eq. S21, S26).

    ⟨δX₋²⟩ = (V_XjXj + V_XkXk − 2 V_XjXk)/2, and the same for Y.
    """
    xj, yj, xk, yk = 2 * j, 2 * j + 1, 2 * k, 2 * k + 1
    vx = 0.5 * (V[..., xj, xj] + V[..., xk, xk] - 2 * V[..., xj, xk])
    vy = 0.5 * (V[..., yj, yj] + V[..., yk, yk] - 2 * V[..., yj, yk])
    return vx, vy


def quantum_sync(V, j: int, k: int):
    """Quantum synchronization measure S_Q = ⟨δX₋² + δY₋²⟩⁻¹ (main eq. 6, SI eq. S27).

    S_Q ≤ 1 by the uncertainty relation ⟨δX₋²⟩⟨δY₋²⟩ ≥ 1/4 (SI eqs. S24–S25); S_Q = 1 in the
    vacuum.
    """
    return sync_from_variances(*relative_variances(V, j, k))


def sync_from_variances(vx, vy):
    """S_Q = 1/(⟨δX₋²⟩ + ⟨δY₋²⟩) from the two relative variances — the one place the formula
    is written (covariance matrices: :func:`quantum_sync`; trajectory ensembles: :mod:`qorepro.twa`)."""
    return 1.0 / (vx + vy)


def complete_sync_from_moments(vx, vy, mx, my):
    """S_C = 1/(⟨δX₋²⟩ + ⟨δY₋²⟩ + ⟨X₋⟩² + ⟨Y₋⟩²) from the relative variances and means."""
    return 1.0 / (vx + vy + mx * mx + my * my)


def complete_sync(V, x, j: int, k: int):
    """Complete synchronization measure S_C = ⟨X₋² + Y₋²⟩⁻¹ with the means included (SI eq. S23).

    ⟨X₋⟩ = (⟨X_j⟩ − ⟨X_k⟩)/√2 = Re β_j − Re β_k, and ⟨X₋²⟩ = ⟨δX₋²⟩ + ⟨X₋⟩².
    ``x`` has the mode-real/imaginary layout on its *first* axis and the same trailing
    axes as V's leading ones: pass ``x`` of shape (2n, ...) aligned with V[..., :, :].
    """
    vx, vy = relative_variances(V, j, k)
    return complete_sync_from_moments(vx, vy, x[2 * j] - x[2 * k], x[2 * j + 1] - x[2 * k + 1])


def reduced_covariance(V, modes):
    """Covariance of a subset of modes, shape (..., 2m, 2m)."""
    idx = np.concatenate([[2 * m, 2 * m + 1] for m in modes])
    return V[..., idx[:, None], idx[None, :]]


def det2(M):
    """Determinant of (..., 2, 2) matrices, written out."""
    return M[..., 0, 0] * M[..., 1, 1] - M[..., 0, 1] * M[..., 1, 0]


def det4(M):
    """Determinant of (..., 4, 4) matrices by Laplace expansion in complementary 2×2 minors of
    rows (0, 1) and (2, 3) (elementwise, so it fuses inside a compiled integrator)."""
    out = 0.0
    for c1, c2 in ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)):
        d1, d2 = [c for c in range(4) if c not in (c1, c2)]
        top = M[..., 0, c1] * M[..., 1, c2] - M[..., 0, c2] * M[..., 1, c1]
        bottom = M[..., 2, d1] * M[..., 3, d2] - M[..., 2, d2] * M[..., 3, d1]
        out = out + (-1) ** (c1 + c2 + 1) * top * bottom
    return out


def symplectic_eigenvalue_pt(V4):
    """Smallest symplectic eigenvalue ν₋ of the partially transposed two-mode covariance.

    With V4 = [[A, C], [Cᵀ, B]]:  Σ = det A + det B − 2 det C,
    ν₋ = sqrt{ [Σ − sqrt(Σ² − 4 det V4)] / 2 }  (Adesso & Illuminati, J. Phys. A 40, 7821).
    """
    xp = _xp(V4)
    sigma = det2(V4[..., 0:2, 0:2]) + det2(V4[..., 2:4, 2:4]) - 2 * det2(V4[..., 0:2, 2:4])
    disc = xp.clip(sigma**2 - 4 * det4(V4), 0.0, None)
    return xp.sqrt(xp.clip((sigma - xp.sqrt(disc)) / 2, 0.0, None))


def pt_symplectic_min(V, j: int, k: int):
    """ν̃₋ of modes j and k: the smallest symplectic eigenvalue of the partial transpose of their
    reduced covariance (vacuum V = I/2).  The pair is entangled iff 2ν̃₋ < 1; 2ν̃₋ − 1 ≥ 0 says
    how far a separable pair is from entanglement.  NaN where V is not finite."""
    return symplectic_eigenvalue_pt(reduced_covariance(V, (j, k)))


def log_negativity(V, j: int, k: int):
    """Logarithmic negativity E_N = max(0, −ln 2ν̃₋) between modes j and k (vacuum V = I/2),
    with ν̃₋ of :func:`pt_symplectic_min`.

    ν̃₋ = 0 (a covariance that is not physical) gives E_N = +inf, never a warning."""
    xp = _xp(V)
    nu = pt_symplectic_min(V, j, k)
    safe = xp.where(nu > 0, nu, 1.0)
    return xp.where(nu > 0, xp.maximum(0.0, -xp.log(2 * safe)), xp.inf)


def min_quadrature_variance(V, modes):
    """Smallest variance of any normalised linear combination of the modes' quadratures.

    = smallest eigenvalue of the reduced covariance matrix; the vacuum gives 1/2.  For the
    mechanical pair this is the two-mode squeezing figure of merit (it includes X₋, Y₋ and
    the EPR-type combinations).  NaN where V is not finite.
    """
    xp = _xp(V)
    R = reduced_covariance(V, modes)
    ok = xp.isfinite(R).all(axis=(-2, -1))
    lam = xp.linalg.eigvalsh(xp.where(ok[..., None, None], R, xp.eye(R.shape[-1])))[..., 0]
    return xp.where(ok, lam, xp.nan)


def squeezing_db(V, modes):
    """Squeezing in dB below vacuum: −10 log₁₀(λ_min / ½); positive means squeezed.

    NaN where λ_min ≤ 0 (a covariance that is not physical: no squeezing to report)."""
    xp = _xp(V)
    lam = min_quadrature_variance(V, modes)
    ok = lam > 0
    return xp.where(ok, -10 * xp.log10(2 * xp.where(ok, lam, 0.5)), xp.nan)


def uncertainty_product(V, j: int, k: int):
    """⟨δX₋²⟩⟨δY₋²⟩, bounded below by 1/4 for any physical state (SI eq. S24)."""
    vx, vy = relative_variances(V, j, k)
    return vx * vy


def uncertainty_min_eigenvalue(V):
    """Smallest eigenvalue of V + iΩ/2 (Ω = ⊕ [[0, 1], [−1, 0]]): ≥ 0 for every physical
    covariance (Robertson–Schrödinger uncertainty relation, vacuum V = I/2)."""
    xp = _xp(V)
    n = V.shape[-1] // 2
    Om = np.kron(np.eye(n), np.array([[0.0, 1.0], [-1.0, 0.0]]))
    return xp.linalg.eigvalsh(V + 0.5j * Om)[..., 0]


def mode_fluctuation_rms(V, j: int):
    """RMS fluctuation amplitude sqrt(⟨δo†δo⟩ + ½) = sqrt((V_XX + V_YY)/2) of mode j."""
    return _xp(V).sqrt(0.5 * (V[..., 2 * j, 2 * j] + V[..., 2 * j + 1, 2 * j + 1]))
