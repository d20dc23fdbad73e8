"""Routh–Hurwitz vs eigenvalues, and Floquet multipliers of an analytic limit cycle."""
from typing import NamedTuple

import jax.numpy as jnp
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


class SLCoefficients(NamedTuple):
    lam: np.ndarray
    om: np.ndarray
    q: np.ndarray

    def take(self, idx):
        return SLCoefficients(*(np.asarray(v)[idx] for v in self))


class StuartLandau:
    """ż = (λ + iω) z − |z|² z: limit cycle |z| = √λ, period 2π/ω, multipliers 1 and e^{−2λT}.
    With white noise of strength q in both quadratures (Q = q I)."""
    n_modes = 1
    mechanical_modes = (0, 0)

    @staticmethod
    def diffusion_matrix(c):
        return jnp.eye(2)[:, :, None] * c.q

    @staticmethod
    def mean_field_rhs(x, c):
        r2 = x[0] ** 2 + x[1] ** 2
        return jnp.stack([(c.lam - r2) * x[0] - c.om * x[1], (c.lam - r2) * x[1] + c.om * x[0]])


def test_floquet_multipliers_of_stuart_landau_cycle():
    lam = np.array([0.3, 1.0])
    om = np.array([1.0, 2.5])
    c = SLCoefficients(lam, om, np.zeros(2))
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
    c = SLCoefficients(lam, om, q)
    x0 = np.stack([np.sqrt(lam), np.zeros(2)])
    Vp, w, diff = stability.periodic_covariance(StuartLandau, c, x0, 1.0 / om, steps=400)
    T = 2 * np.pi / om
    np.testing.assert_allclose(Vp[:, 0, 0], q / (4 * lam), rtol=1e-7)
    np.testing.assert_allclose(Vp[:, 1, 1], 0.0, atol=1e-12)
    np.testing.assert_allclose(diff, q * T / (om**2 * lam), rtol=1e-7)


def test_floquet_long_time_S_Q_does_not_depend_on_where_the_orbit_is_entered():
    """S_Q of the periodic transverse covariance (phase mode projected along the isochron at
    every time of the period) is a property of the cycle: the same from any starting phase."""
    from qorepro import solver
    from qorepro.models import lai2025 as L
    p = L.LaiParams(K=np.array([2e-5, -2e-5]))                 # OD and CD baseline
    tr = solver.integrate(L.MODEL, p)
    cert = stability.certify(L.MODEL, p, tr)
    assert np.isfinite(cert.S_Q_floquet[:, 0]).all()
    c = L.coefficients(p)
    x, T, _, _, closure = stability.refine_cycle(L.MODEL, c, tr.x_final, cert.period_tau)
    assert closure.max() < 1e-12
    # the refined period agrees with the one detected from the window's crossings
    np.testing.assert_allclose(T, cert.period_tau, rtol=1e-4)
    for frac in (0.25, 0.5, 0.77):
        _, _, x_later = stability.period_flow(L.MODEL, c, x, None, T * frac, steps=int(256 * frac))
        m, lo, hi, _ = stability.floquet_covariance(L.MODEL, c, x_later, T)
        np.testing.assert_allclose(m, cert.S_Q_floquet[:, 0], atol=1e-6)
        # min/max over 256 samples per period: the extremum falls between samples (≈1e-6)
        np.testing.assert_allclose([lo, hi], cert.S_Q_floquet[:, 1:].T, atol=1e-5)


def test_time_domain_covariance_that_violates_the_uncertainty_relation_is_not_certified():
    """The time-domain path applies the steady-state path's physicality check (the same
    function): a stable limit cycle whose window covariance violates V + iΩ/2 ≥ 0 gets the
    verdict unphysical_covariance and is not certified."""
    import dataclasses

    from qorepro import measures, solver
    from qorepro.models import lai2025 as L
    p = L.LaiParams(K=-2e-5)                                      # the CD baseline: certified
    tr = solver.integrate(L.MODEL, p)
    assert stability.certify(L.MODEL, p, tr).verdict[0] == "stable_limit_cycle"
    bad = np.diag([0.1] * 8)                                      # variances below the vacuum's ½
    u = measures.uncertainty_min_eigenvalue(bad)
    assert u < 0 and u == pytest.approx(0.1 - 0.5)
    window = {**tr.window, "uncertainty_min_eig": np.where(np.isnan(tr.window["uncertainty_min_eig"]), np.nan, u)}
    cert = stability.certify(L.MODEL, p, dataclasses.replace(tr, window=window))
    assert cert.dynamic_verdict[0] == "stable_limit_cycle"
    assert cert.verdict[0] == "unphysical_covariance" and cert.uncertainty_min_eig[0] == pytest.approx(u)
