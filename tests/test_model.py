"""Lai 2025 model: drift vs finite differences, fixed points, Sagnac shift, parameters."""
import numpy as np
import pytest

from qorepro import units
from qorepro.models import lai2025 as L


def fd_jacobian(x, c, h=1e-6):
    J = np.empty((8, 8))
    for k in range(8):
        e = np.zeros(8)
        e[k] = h * max(1.0, abs(x[k]))
        fp = L.mean_field_rhs((x + e)[:, None], c)[:, 0]
        fm = L.mean_field_rhs((x - e)[:, None], c)[:, 0]
        J[:, k] = (fp - fm) / (2 * e[k])
    return J


@pytest.mark.parametrize("seed", range(6))
def test_drift_equals_finite_difference_jacobian(seed):
    rng = np.random.default_rng(seed)
    p = L.LaiParams(K=rng.uniform(-1e-3, 1e-3), chi=rng.uniform(0, 0.1), g_a=rng.uniform(0, 0.02),
                    g_m=rng.uniform(0, 0.02), Delta_a=rng.uniform(-2, 2), Delta_m=rng.uniform(-2, 2),
                    Omega_kHz=rng.uniform(0, 10), direction=rng.choice([-1.0, 1.0]), rho=rng.uniform(0.5, 3))
    c = L.coefficients(p)
    x = rng.normal(scale=30, size=8)
    A = L.drift_matrix(x[:, None], c)[0]
    np.testing.assert_allclose(A, fd_jacobian(x, c), rtol=1e-6, atol=1e-7)


def test_diffusion_matches_S20():
    c = L.coefficients(L.LaiParams(n1=3.0, n2=7.0))
    Q = L.diffusion_matrix(c)[0]
    np.testing.assert_allclose(np.diag(Q), [0.15, 0.15, 0.2, 0.2, 7 * 0.005, 7 * 0.005, 15 * 0.005, 15 * 0.005])
    assert np.count_nonzero(Q - np.diag(np.diag(Q))) == 0


def test_sagnac_shift_linear_and_opposite():
    Om = np.linspace(0, 10, 11)
    left = units.sagnac_shift(Om, +1)
    right = units.sagnac_shift(Om, -1)
    np.testing.assert_allclose(left, -right)
    np.testing.assert_allclose(np.diff(left), np.diff(left)[0], rtol=1e-12)
    assert left[0] == 0 and left[1] > 0
    # Λ = 2π ζ r (1 − ζ⁻²)/λ;  σ_a(6 kHz) = 6e3 Λ / (2π·10 MHz)
    lam = 2 * np.pi * 1.486 * 1.1e-3 * (1 - 1.486**-2) / 1550e-9
    assert units.sagnac_shift(6.0, 1) == pytest.approx(6e3 * lam / (2 * np.pi * 1e7), rel=1e-12)
    assert units.sagnac_shift(6.0, 1, omega_kHz_is_cyclic=True) == pytest.approx(2 * np.pi * units.sagnac_shift(6.0, 1))


def test_coefficients_apply_mass_ratio_and_sagnac():
    c = L.coefficients(L.LaiParams(rho=4.0, Omega_kHz=6.0, direction=-1.0))
    assert c.g_a[0] == pytest.approx(0.0025) and c.g_m[0] == pytest.approx(0.0025)
    assert c.Delta_a[0] == pytest.approx(-1.005 + units.sagnac_shift(6.0, -1))


def test_params_reject_unknown_field():
    with pytest.raises(KeyError):
        L.LaiParams().replace(kappa=1.0)


@pytest.mark.parametrize("params", [
    L.LaiParams(),
    L.LaiParams(K=-2e-5), L.LaiParams(K=2e-5),
    L.LaiParams(K=-5e-4, xi_m=60, Delta_m=-2.0),         # strong Kerr: several fixed points
    L.LaiParams(chi=0.0, K=-5e-4, xi_m=60, Delta_m=-2.0),  # decoupled Kerr cubic path
])
def test_fixed_points_are_roots_and_complete(params):
    from scipy.optimize import fsolve
    c = L.coefficients(params)
    fps = L.fixed_points(c)
    assert fps, "at least one fixed point exists"
    for x in fps:
        assert np.linalg.norm(L.mean_field_rhs(x[:, None], c)[:, 0]) < 1e-7
    # multi-start Newton finds nothing that the algebraic search missed
    rng = np.random.default_rng(0)
    f = lambda x: L.mean_field_rhs(x[:, None], c)[:, 0]
    jac = lambda x: L.drift_matrix(x[:, None], c)[0]
    for _ in range(60):
        x0 = rng.normal(scale=rng.choice([3, 30, 300]), size=8)
        x, info, ier, _ = fsolve(f, x0, fprime=jac, full_output=True, xtol=1e-12)
        if ier == 1 and np.linalg.norm(f(x)) < 1e-8:
            assert any(np.allclose(x, s, rtol=1e-5, atol=1e-6) for s in fps), x


def test_fast_drift_and_rhs_equal_explicit_forms():
    rng = np.random.default_rng(7)
    n = 5
    p = L.LaiParams(K=rng.uniform(-1e-3, 1e-3, n), chi=rng.uniform(0, 0.1, n), g_a=rng.uniform(0, 0.02, n),
                    Delta_a=rng.uniform(-2, 2, n), rho=rng.uniform(0.5, 2, n))
    c = L.coefficients(p)
    x = rng.normal(scale=40, size=(8, n))
    np.testing.assert_allclose(L.drift_matrix(x, c), L.drift_matrix_explicit(x, c), rtol=1e-13, atol=1e-12)
    # rhs against the complex form of S7
    a, m, b1, b2 = (x[0::2] + 1j * x[1::2])
    da = -(c.kappa_a + 1j * c.Delta_a) * a + 2j * c.g_a * a * b2.real + c.xi_a
    dm = -(c.kappa_m + 1j * c.Delta_m) * m - 2j * c.K * abs(m) ** 2 * m + 2j * c.g_m * m * b1.real + c.xi_m
    db1 = -(c.gamma1 + 1j * c.omega1) * b1 + 1j * c.g_m * abs(m) ** 2 + 1j * c.chi * b2
    db2 = -(c.gamma2 + 1j * c.omega2) * b2 + 1j * c.g_a * abs(a) ** 2 + 1j * c.chi * b1
    z = np.stack([da, dm, db1, db2])
    f = L.mean_field_rhs(x, c)
    np.testing.assert_allclose(f[0::2] + 1j * f[1::2], z, rtol=1e-12, atol=1e-9)
