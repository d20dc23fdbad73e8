"""Routh–Hurwitz stability of linear drift matrices (SI eqs. S53–S54), numpy only.

θ_k are the leading principal minors of the Hurwitz matrix of det(λI − A); all roots have
negative real parts iff every θ_k > 0.  The batched coefficients use the Faddeev–LeVerrier
recursion (traces of matrix products), so a verdict never reuses the eigenvalue solver it is
checked against.
"""
from __future__ import annotations

import numpy as np


def characteristic_coefficients(A: np.ndarray) -> np.ndarray:
    """Coefficients [1, a₁, …, a_n] of det(λI − A) = λⁿ + a₁λⁿ⁻¹ + … + a_n (SI eq. S53)."""
    A = np.asarray(A)
    return np.real(np.poly(A))


def hurwitz_determinants(coeffs: np.ndarray) -> np.ndarray:
    """Hurwitz determinants θ₁ … θ_n of a monic polynomial (SI eq. S54).

    The n×n Hurwitz matrix has entries H_ij = a_{2i−j} (1-based, a₀ = 1, a_k = 0 for k < 0
    or k > n); θ_k is its k-th leading principal minor.  All roots have negative real parts
    iff every θ_k > 0.  (The transcribed S54 bounds the index by k; the standard criterion
    bounds it by n, which is what we implement.)
    """
    a = np.asarray(coeffs, dtype=float)
    n = a.size - 1
    H = np.zeros((n, n))
    for i in range(1, n + 1):
        for j in range(1, n + 1):
            k = 2 * i - j
            if 0 <= k <= n:
                H[i - 1, j - 1] = a[k]
    return np.array([np.linalg.det(H[:k, :k]) for k in range(1, n + 1)])


def hurwitz_stable(A: np.ndarray) -> bool:
    """Routh–Hurwitz verdict: all θ_k > 0."""
    return bool(np.all(hurwitz_determinants(characteristic_coefficients(A)) > 0))


def eigen_stable(A: np.ndarray) -> bool:
    """Eigenvalue verdict: all eigenvalues of A have negative real parts."""
    return bool(np.max(np.linalg.eigvals(A).real) < 0)


def characteristic_coefficients_batch(A: np.ndarray) -> np.ndarray:
    """[1, a₁, …, a_n] of det(λI − A) for a batch A of shape (..., n, n).

    Faddeev–LeVerrier recursion (M₁ = I, a_k = −tr(A M_k)/k, M_{k+1} = A M_k + a_k I): traces
    of matrix products only, so the Hurwitz verdict does not reuse the eigenvalue solver it is
    checked against.
    """
    A = np.asarray(A, dtype=float)
    n = A.shape[-1]
    eye = np.broadcast_to(np.eye(n), A.shape)
    coeffs = [np.ones(A.shape[:-2])]
    M = eye.copy()
    for k in range(1, n + 1):
        AM = A @ M
        a_k = -np.trace(AM, axis1=-2, axis2=-1) / k
        coeffs.append(a_k)
        M = AM + a_k[..., None, None] * eye
    return np.stack(coeffs, axis=-1)


def hurwitz_determinants_batch(coeffs: np.ndarray) -> np.ndarray:
    """θ₁ … θ_n (shape (..., n)) for a batch of monic coefficient vectors; see
    :func:`hurwitz_determinants` for the definition."""
    a = np.asarray(coeffs, dtype=float)
    n = a.shape[-1] - 1
    H = np.zeros(a.shape[:-1] + (n, n))
    for i in range(1, n + 1):
        for j in range(1, n + 1):
            k = 2 * i - j
            if 0 <= k <= n:
                H[..., i - 1, j - 1] = a[..., k]
    return np.stack([np.linalg.det(H[..., :k, :k]) for k in range(1, n + 1)], axis=-1)


def steady_state_verdict(A: np.ndarray):
    """Verdict of a batch of linearised steady states from two independent criteria.

    Returns (verdict, max Re λ, θ): ``stable_fixed_point`` where every Hurwitz determinant is
    positive *and* every eigenvalue has a negative real part, ``unstable`` where both say
    unstable, ``not_settled`` where they disagree (a numerically marginal point, certified by
    neither).
    """
    max_re = np.linalg.eigvals(A).real.max(axis=-1)
    theta = hurwitz_determinants_batch(characteristic_coefficients_batch(A))
    hur = (theta > 0).all(axis=-1)
    eig = max_re < 0
    verdict = np.where(hur & eig, "stable_fixed_point", np.where(~hur & ~eig, "unstable", "not_settled"))
    return verdict, max_re, theta
