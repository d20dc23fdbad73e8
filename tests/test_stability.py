"""Routh–Hurwitz vs eigenvalues, and Floquet multipliers of an analytic limit cycle."""
import types

import numpy as np
import pytest

from qorepro import stability


@pytest.mark.parametrize("n", [2, 3, 5, 8])
def test_hurwitz_verdict_equals_eigenvalue_verdict(n):
    rng = np.random.default_rng(n)
    seen = set()
    for _ in range(300):
        A = rng.normal(size=(n, n)) - rng.uniform(0, 2.5) * np.eye(n)
        if abs(np.linalg.eigvals(A).real.max()) < 1e-6:
            continue
        h, e = stability.hurwitz_stable(A), stability.eigen_stable(A)
        assert h == e
        seen.add(e)
    assert seen == {True, False}, "both stable and unstable matrices were sampled"


def test_hurwitz_determinants_of_known_polynomial():
    # (λ+1)(λ+2)(λ+3) = λ³ + 6λ² + 11λ + 6: θ₁ = 6, θ₂ = 6·11 − 6 = 60, θ₃ = 6·θ₂ = 360
    th = stability.hurwitz_determinants([1, 6, 11, 6])
    np.testing.assert_allclose(th, [6, 60, 360])


class StuartLandau:
    """ż = (λ + iω) z − |z|² z: limit cycle |z| = √λ, period 2π/ω, multipliers 1 and e^{−2λT}.
    With white noise of strength q in both quadratures (Q = q I)."""
    n_modes = 1

    @staticmethod
    def diffusion_matrix(c):
        return c.q[:, None, None] * np.eye(2)[None]

    @staticmethod
    def mean_field_rhs(x, c):
        r2 = x[0] ** 2 + x[1] ** 2
        return np.stack([(c.lam - r2) * x[0] - c.om * x[1], (c.lam - r2) * x[1] + c.om * x[0]])

    @staticmethod
    def drift_matrix(x, c):
        xr, xi = x
        r2 = xr**2 + xi**2
        A = np.empty((x.shape[1], 2, 2))
        A[:, 0, 0] = c.lam - r2 - 2 * xr**2
        A[:, 0, 1] = -c.om - 2 * xr * xi
        A[:, 1, 0] = c.om - 2 * xr * xi
        A[:, 1, 1] = c.lam - r2 - 2 * xi**2
        return A


def test_floquet_multipliers_of_stuart_landau_cycle():
    lam = np.array([0.3, 1.0])
    om = np.array([1.0, 2.5])
    c = types.SimpleNamespace(lam=lam, om=om, q=np.zeros(2))
    T_tau = 1.0 / om                                 # period 2π/ω in units of τ = 2π
    x0 = np.stack([np.sqrt(lam), np.zeros(2)])
    M, xT = stability.monodromy(StuartLandau, c, x0, T_tau, steps=400)
    np.testing.assert_allclose(xT, x0, atol=1e-10)
    mu, trivial = stability.floquet_multipliers(M)
    for i in range(2):
        assert abs(mu[i, trivial[i]] - 1) < 1e-9
        other = np.delete(mu[i], trivial[i])[0]
        assert other.real == pytest.approx(np.exp(-2 * lam[i] * 2 * np.pi / om[i]), rel=1e-8)


def test_detect_period():
    t = np.arange(0, 20, 1 / 32)
    sig = np.sin(2 * np.pi * t / 1.37)[:, None] * np.array([1.0, 2.0])
    period, spread, count = stability.detect_period(t, sig)
    np.testing.assert_allclose(period, 1.37, rtol=1e-4)
    assert np.all(spread < 1e-3)


def test_periodic_covariance_of_noisy_stuart_landau_cycle():
    # at x0 = (√λ, 0) the radial direction is x, the phase direction y.  Radial relaxation rate
    # 2λ gives the stationary radial variance q/(4λ); the phase mode is projected out; the phase
    # variance grows by q·T_time per period along y, i.e. q T/(ω²λ) in orbit time.
    lam, om, q = np.array([0.3, 1.0]), np.array([1.0, 2.5]), np.array([0.01, 0.002])
    c = types.SimpleNamespace(lam=lam, om=om, q=q)
    x0 = np.stack([np.sqrt(lam), np.zeros(2)])
    Vp, diff = stability.periodic_covariance(StuartLandau, c, x0, 1.0 / om, steps=400)
    T = 2 * np.pi / om
    np.testing.assert_allclose(Vp[:, 0, 0], q / (4 * lam), rtol=1e-7)
    np.testing.assert_allclose(Vp[:, 1, 1], 0.0, atol=1e-12)
    np.testing.assert_allclose(diff, q * T / (om**2 * lam), rtol=1e-7)
