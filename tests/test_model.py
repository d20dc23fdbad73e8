"""Lai 2025 model: the drift derived by AD vs the hand-derived S8 matrix and finite differences,
the closed-form resultant, fixed points, Sagnac shift, parameters."""
import numpy as np
import pytest

from qorepro import gaussian, stability, units
from qorepro.models import lai2025 as L


def hand_drift(x, c):
    """Drift matrix A(α, μ, β) of the fluctuation quadratures (SI eqs. S8, S11), shape (N, 8, 8).

    Derived from S8 with Δ'_a = Δ_a − 2g_a Re β₂ and Δ'_m = Δ_m − 2g_m Re β₁ + 4K|μ|² (S9),
    writing μ = R + iI:

    rows X_a, Y_a:  [−κ_a, Δ'_a | X_b2: −2g_a Im α] , [−Δ'_a, −κ_a | X_b2: 2g_a Re α]
    rows X_m, Y_m:  [−κ_m + 4KRI, Δ'_m − 2K(R²−I²) | X_b1: −2g_m I],
                    [−Δ'_m − 2K(R²−I²), −κ_m − 4KRI | X_b1: 2g_m R]
    rows X_b1, Y_b1: [−γ₁, ω₁, Y_b2: −χ], [X_m: 2g_m R, Y_m: 2g_m I, −ω₁, −γ₁, X_b2: χ]
    rows X_b2, Y_b2: [Y_b1: −χ, −γ₂, ω₂], [X_a: 2g_a Re α, Y_a: 2g_a Im α, X_b1: χ, −ω₂, −γ₂]
    """
    ar, ai, mr, mi, b1r, b1i, b2r, b2i = x
    n = x.shape[1]
    da = c.Delta_a - 2 * c.g_a * b2r
    nm = mr * mr + mi * mi
    dm = c.Delta_m - 2 * c.g_m * b1r + 4 * c.K * nm
    p = 2 * c.K * (mr * mr - mi * mi)
    q = 4 * c.K * mr * mi
    A = np.zeros((n, 8, 8))
    A[:, 0, 0] = -c.kappa_a
    A[:, 0, 1] = da
    A[:, 0, 6] = -2 * c.g_a * ai
    A[:, 1, 0] = -da
    A[:, 1, 1] = -c.kappa_a
    A[:, 1, 6] = 2 * c.g_a * ar
    A[:, 2, 2] = -c.kappa_m + q
    A[:, 2, 3] = dm - p
    A[:, 2, 4] = -2 * c.g_m * mi
    A[:, 3, 2] = -dm - p
    A[:, 3, 3] = -c.kappa_m - q
    A[:, 3, 4] = 2 * c.g_m * mr
    A[:, 4, 4] = -c.gamma1
    A[:, 4, 5] = c.omega1
    A[:, 4, 7] = -c.chi
    A[:, 5, 2] = 2 * c.g_m * mr
    A[:, 5, 3] = 2 * c.g_m * mi
    A[:, 5, 4] = -c.omega1
    A[:, 5, 5] = -c.gamma1
    A[:, 5, 6] = c.chi
    A[:, 6, 5] = -c.chi
    A[:, 6, 6] = -c.gamma2
    A[:, 6, 7] = c.omega2
    A[:, 7, 0] = 2 * c.g_a * ar
    A[:, 7, 1] = 2 * c.g_a * ai
    A[:, 7, 4] = c.chi
    A[:, 7, 6] = -c.omega2
    A[:, 7, 7] = -c.gamma2
    return A



def rhs(x, c):
    return np.asarray(L.mean_field_rhs(x, c))


def fd_jacobian(x, c, h=1e-6):
    J = np.empty((8, 8))
    for k in range(8):
        e = np.zeros(8)
        e[k] = h * max(1.0, abs(x[k]))
        J[:, k] = (rhs((x + e)[:, None], c)[:, 0] - rhs((x - e)[:, None], c)[:, 0]) / (2 * e[k])
    return J


def random_params(rng, n=None):
    size = n
    return L.LaiParams(K=rng.uniform(-1e-3, 1e-3, size), chi=rng.uniform(0, 0.1, size),
                       g_a=rng.uniform(0, 0.02, size), g_m=rng.uniform(0, 0.02, size),
                       Delta_a=rng.uniform(-2, 2, size), Delta_m=rng.uniform(-2, 2, size),
                       Omega_kHz=rng.uniform(0, 10, size), direction=rng.choice([-1.0, 1.0], size),
                       rho=rng.uniform(0.5, 3, size))


@pytest.mark.parametrize("seed", range(6))
def test_drift_equals_finite_difference_jacobian(seed):
    rng = np.random.default_rng(seed)
    c = L.coefficients(random_params(rng))
    x = rng.normal(scale=30, size=8)
    A = gaussian.drift_matrix(L.MODEL, x[:, None], c)[0]
    np.testing.assert_allclose(A, fd_jacobian(x, c), rtol=1e-6, atol=1e-7)


def test_drift_by_automatic_differentiation_equals_the_hand_derived_S8_matrix():
    rng = np.random.default_rng(7)
    n = 5
    c = L.coefficients(random_params(rng, n))
    x = rng.normal(scale=40, size=(8, n))
    np.testing.assert_allclose(gaussian.drift_matrix(L.MODEL, x, c), hand_drift(x, c), rtol=1e-13, atol=1e-12)


def test_rhs_equals_complex_form_of_S7():
    rng = np.random.default_rng(8)
    n = 5
    c = L.coefficients(random_params(rng, n))
    x = rng.normal(scale=40, size=(8, n))
    a, m, b1, b2 = (x[0::2] + 1j * x[1::2])
    da = -(c.kappa_a + 1j * c.Delta_a) * a + 2j * c.g_a * a * b2.real + c.xi_a
    dm = -(c.kappa_m + 1j * c.Delta_m) * m - 2j * c.K * abs(m) ** 2 * m + 2j * c.g_m * m * b1.real + c.xi_m
    db1 = -(c.gamma1 + 1j * c.omega1) * b1 + 1j * c.g_m * abs(m) ** 2 + 1j * c.chi * b2
    db2 = -(c.gamma2 + 1j * c.omega2) * b2 + 1j * c.g_a * abs(a) ** 2 + 1j * c.chi * b1
    f = rhs(x, c)
    np.testing.assert_allclose(f[0::2] + 1j * f[1::2], np.stack([da, dm, db1, db2]), rtol=1e-12, atol=1e-9)


def test_diffusion_matches_S20():
    c = L.coefficients(L.LaiParams(n1=3.0, n2=7.0))
    Q = np.asarray(L.diffusion_matrix(c))[:, :, 0]
    np.testing.assert_allclose(np.diag(Q), [0.15, 0.15, 0.2, 0.2, 7 * 0.005, 7 * 0.005, 15 * 0.005, 15 * 0.005])
    assert np.count_nonzero(Q - np.diag(np.diag(Q))) == 0


def test_closed_form_resultant_equals_sylvester_determinant():
    rng = np.random.default_rng(3)
    for _ in range(50):
        a, b = rng.normal(size=4), rng.normal(size=3)
        S = np.zeros((5, 5))
        S[0, 0:4], S[1, 1:5] = a, a
        S[2, 0:3], S[3, 1:4], S[4, 2:5] = b, b, b
        assert L._resultant_cubic_quadratic(*a, *b) == pytest.approx(np.linalg.det(S), rel=1e-9, abs=1e-12)


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


CASES = [
    L.LaiParams(),
    L.LaiParams(K=-2e-5), L.LaiParams(K=2e-5),
    L.LaiParams(K=-5e-4, xi_m=30, Delta_m=2.0),          # Kerr bistability: three fixed points
    L.LaiParams(chi=0.0, K=-5e-4, xi_m=30, Delta_m=2.0),  # the same on the decoupled Kerr-cubic path
    L.LaiParams(K=-5e-4, xi_m=60, Delta_m=-2.0),          # strong Kerr, one fixed point
]


def test_fixed_points_are_roots_and_complete():
    from scipy.optimize import fsolve
    batch = L.LaiParams(**{k: np.array([getattr(p, k) for p in CASES]) for k in ("K", "xi_m", "Delta_m", "chi")})
    c = L.coefficients(batch)
    pts, X = stability.fixed_points(L.MODEL, c)
    assert set(pts) == set(range(len(CASES))), "at least one fixed point per case"
    assert list(np.bincount(pts)[3:]) == [3, 3, 1], "Kerr bistability: three roots"
    for i in range(len(CASES)):
        ci = c.take([i])
        mine = X[:, pts == i]
        assert np.linalg.norm(rhs(mine, ci.take(np.zeros(mine.shape[1], int))), axis=0).max() < 1e-7
        # multi-start Newton finds nothing that the algebraic search missed
        rng = np.random.default_rng(i)
        c1 = type(c)(*(float(v[0]) for v in ci))
        f = lambda x: rhs(x, c1)
        jac = lambda x: hand_drift(x[:, None], ci)[0]
        for _ in range(40):
            x0 = rng.normal(scale=rng.choice([3, 30, 300]), size=8)
            x, info, ier, _ = fsolve(f, x0, fprime=jac, full_output=True, xtol=1e-12)
            if ier == 1 and np.linalg.norm(f(x)) < 1e-8:
                assert any(np.allclose(x, s, rtol=1e-5, atol=1e-6) for s in mine.T), x
