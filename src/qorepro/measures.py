"""Gaussian-state measures, generic over the number of modes.

Conventions: quadratures X = (o + o†)/√2, Y = i(o† − o)/√2, so the vacuum covariance is
V = I/2 and [X, Y] = i.  Covariance arrays have shape (..., 2n, 2n) (any leading batch or
time axes); mode ``j`` occupies rows/columns 2j, 2j+1.  Mean states x are the real and
imaginary parts of the complex amplitudes, shape (2n, ...), so ⟨X_j⟩ = √2 x[2j].
"""
from __future__ import annotations

import numpy as np


def relative_variances(V: np.ndarray, j: int, k: int):
    """⟨δX₋²⟩ and ⟨δY₋²⟩ for X₋ = (X_j − X_k)/√2, Y₋ = (Y_j − Y_k)/√2 (SI eq. S21, S26).

    ⟨δX₋²⟩ = (V_XjXj + V_XkXk − 2 V_XjXk)/2, and the same for Y.
    """
    xj, yj, xk, yk = 2 * j, 2 * j + 1, 2 * k, 2 * k + 1
    vx = 0.5 * (V[..., xj, xj] + V[..., xk, xk] - 2 * V[..., xj, xk])
    vy = 0.5 * (V[..., yj, yj] + V[..., yk, yk] - 2 * V[..., yj, yk])
    return vx, vy


def quantum_sync(V: np.ndarray, j: int, k: int) -> np.ndarray:
    """Quantum synchronization measure S_Q = ⟨δX₋² + δY₋²⟩⁻¹ (main eq. 6, SI eq. S27).

    S_Q ≤ 1 by the uncertainty relation ⟨δX₋²⟩⟨δY₋²⟩ ≥ 1/4 (SI eqs. S24–S25); S_Q = 1 in the
    vacuum.
    """
    vx, vy = relative_variances(V, j, k)
    return 1.0 / (vx + vy)


def complete_sync(V: np.ndarray, x: np.ndarray, j: int, k: int) -> np.ndarray:
    """Complete synchronization measure S_C = ⟨X₋² + Y₋²⟩⁻¹ with the means included (SI eq. S23).

    ⟨X₋⟩ = (⟨X_j⟩ − ⟨X_k⟩)/√2 = Re β_j − Re β_k, and ⟨X₋²⟩ = ⟨δX₋²⟩ + ⟨X₋⟩².
    ``x`` has the mode-real/imaginary layout on its *first* axis and the same trailing
    axes as V's leading ones, moved: pass ``x`` of shape (2n, ...) aligned with V[..., :, :].
    """
    vx, vy = relative_variances(V, j, k)
    mx = x[2 * j] - x[2 * k]
    my = x[2 * j + 1] - x[2 * k + 1]
    return 1.0 / (vx + vy + mx * mx + my * my)


def reduced_covariance(V: np.ndarray, modes) -> np.ndarray:
    """Covariance of a subset of modes, shape (..., 2m, 2m)."""
    idx = np.concatenate([[2 * m, 2 * m + 1] for m in modes])
    return V[..., idx[:, None], idx[None, :]]


def symplectic_eigenvalue_pt(V4: np.ndarray) -> np.ndarray:
    """Smallest symplectic eigenvalue ν₋ of the partially transposed two-mode covariance.

    With V4 = [[A, C], [Cᵀ, B]]:  Σ = det A + det B − 2 det C,
    ν₋ = sqrt{ [Σ − sqrt(Σ² − 4 det V4)] / 2 }  (Adesso & Illuminati, J. Phys. A 40, 7821).
    """
    A = V4[..., 0:2, 0:2]
    B = V4[..., 2:4, 2:4]
    C = V4[..., 0:2, 2:4]
    sigma = np.linalg.det(A) + np.linalg.det(B) - 2 * np.linalg.det(C)
    detv = np.linalg.det(V4)
    disc = np.clip(sigma**2 - 4 * detv, 0.0, None)
    return np.sqrt(np.clip((sigma - np.sqrt(disc)) / 2, 0.0, None))


def log_negativity(V: np.ndarray, j: int, k: int) -> np.ndarray:
    """Logarithmic negativity E_N = max(0, −ln 2ν₋) between modes j and k (vacuum V = I/2)."""
    nu = symplectic_eigenvalue_pt(reduced_covariance(V, (j, k)))
    with np.errstate(divide="ignore"):
        return np.maximum(0.0, -np.log(2 * nu))


def min_quadrature_variance(V: np.ndarray, modes) -> np.ndarray:
    """Smallest variance of any normalised linear combination of the modes' quadratures.

    = smallest eigenvalue of the reduced covariance matrix; the vacuum gives 1/2.  For the
    mechanical pair this is the two-mode squeezing figure of merit (it includes X₋, Y₋ and
    the EPR-type combinations).
    """
    R = reduced_covariance(V, modes)
    ok = np.isfinite(R).all(axis=(-2, -1))
    out = np.full(R.shape[:-2], np.nan)
    if ok.any():
        out[ok] = np.linalg.eigvalsh(R[ok])[..., 0]
    return out


def squeezing_db(V: np.ndarray, modes) -> np.ndarray:
    """Squeezing in dB below vacuum: −10 log₁₀(λ_min / ½); positive means squeezed."""
    return -10 * np.log10(2 * min_quadrature_variance(V, modes))


def uncertainty_product(V: np.ndarray, j: int, k: int) -> np.ndarray:
    """⟨δX₋²⟩⟨δY₋²⟩, bounded below by 1/4 for any physical state (SI eq. S24)."""
    vx, vy = relative_variances(V, j, k)
    return vx * vy


def mode_fluctuation_rms(V: np.ndarray, j: int) -> np.ndarray:
    """RMS fluctuation amplitude sqrt(⟨δo†δo⟩ + ½) = sqrt((V_XX + V_YY)/2) of mode j."""
    return np.sqrt(0.5 * (V[..., 2 * j, 2 * j] + V[..., 2 * j + 1, 2 * j + 1]))
