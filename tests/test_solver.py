"""Time-domain solver: vacuum, uncertainty bound, Lyapunov steady state, batching, continuation,
and agreement with an independent adaptive integrator (scipy's DOP853)."""
import numpy as np
import pytest
from scipy.linalg import solve_continuous_lyapunov

from qorepro import gaussian, measures, solver, stability, units
from qorepro.models import lai2025 as L

SHORT = solver.SolverSettings(t_end_tau=20, window_tau=(15, 20))


def test_uncoupled_vacuum_keeps_S_Q_one():
    p = L.LaiParams(g_a=0.0, g_m=0.0, chi=0.0, xi_a=0.0, xi_m=0.0)
    tr = solver.integrate(L.MODEL, p, settings=SHORT, traces=True)
    assert tr.t_tau[0] == 0 and tr.t_tau[-1] == 20
    np.testing.assert_allclose(tr.S_Q, 1.0, atol=1e-12)
    np.testing.assert_allclose(tr.S_C, 1.0, atol=1e-12)


def test_thermal_uncoupled_pair_relaxes_to_1_over_2n_plus_1():
    n = 2.0
    p = L.LaiParams(g_a=0.0, g_m=0.0, chi=0.0, xi_a=0.0, xi_m=0.0, n1=n, n2=n, gamma1=0.2, gamma2=0.2)
    tr = solver.integrate(L.MODEL, p, settings=SHORT)
    assert tr.S_Q[-1, 0] == pytest.approx(1 / (2 * n + 1), rel=1e-9)


@pytest.mark.parametrize("params", [L.LaiParams(K=-2e-5), L.LaiParams(n1=10, n2=10, K=2e-5)])
def test_uncertainty_bound_at_every_stored_time(params):
    tr = solver.integrate(L.MODEL, params, settings=solver.SolverSettings(
        t_end_tau=30, window_tau=(25, 30), samples_per_tau=8), traces=True, keep_covariance=True)
    assert tr.covariance.shape == (30 * 8 + 1, 1, 8, 8)
    prod = measures.uncertainty_product(tr.covariance[:, 0], 2, 3)
    assert np.all(prod >= 0.25 * (1 - 1e-9))
    assert np.all(tr.S_Q <= 1 + 1e-9)
    # and every stored V is a physical covariance: V + iΩ/2 ⪰ 0
    ev = measures.uncertainty_min_eigenvalue(tr.covariance[:, 0])
    assert ev.min() > -1e-6 * np.abs(tr.covariance).max()
    # the engine's own in-loop check agrees where it evaluated it
    w = tr.window["uncertainty_min_eig"][:, 0]
    assert np.isfinite(w).sum() >= (5 * 8) // solver.UNCERTAINTY_EVERY and np.nanmin(w) > -1e-6


def test_stable_fixed_point_covariance_equals_lyapunov_solution():
    # red-detuned drives (Δ = +ω₁) with strong damping: a Hurwitz-stable point, slowest rate ≈ 0.17 ω₁
    p = L.LaiParams(xi_a=20.0, xi_m=20.0, gamma1=0.2, gamma2=0.2, K=-2e-5, Delta_a=1.0, Delta_m=1.0)
    c = L.coefficients(p)
    pts, X = stability.fixed_points(L.MODEL, c)
    assert pts.tolist() == [0]
    A = gaussian.drift_matrix(L.MODEL, X, c)[0]
    assert stability.eigen_stable(A) and stability.hurwitz_stable(A)
    Q = np.asarray(L.diffusion_matrix(c))[:, :, 0]
    V_lyap = solve_continuous_lyapunov(A, -Q)
    tr = solver.integrate(L.MODEL, p, settings=solver.SolverSettings(t_end_tau=40, window_tau=(30, 40)))
    np.testing.assert_allclose(tr.x_final[:, 0], X[:, 0], atol=1e-8)
    np.testing.assert_allclose(tr.V_final[0], V_lyap, atol=1e-8)
    cert = stability.certify(L.MODEL, p, tr)
    assert cert.verdict[0] == "stable_fixed_point"


def test_batched_equals_per_point():
    """A point's numbers do not depend on the batch it is computed in (nor on the padding)."""
    K = np.array([-3e-5, 0.0, 4e-5])
    Dm = np.array([-1.0, -0.95, -1.05])
    tr = solver.integrate(L.MODEL, L.LaiParams(K=K, Delta_m=Dm), settings=SHORT, traces=True)
    for i in range(3):
        one = solver.integrate(L.MODEL, L.LaiParams(K=K[i], Delta_m=Dm[i]), settings=SHORT, traces=True)
        np.testing.assert_allclose(tr.S_Q[:, i], one.S_Q[:, 0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(tr.means[:, :, i], one.means[:, :, 0], rtol=1e-12, atol=1e-10)


SIGMA_6 = float(units.sagnac_shift(6.0, 1))


@pytest.mark.parametrize("params", [
    L.LaiParams(K=-2e-5),                                                    # Kerr (CD)
    L.LaiParams(K=2e-5, rho=2.0),                                            # Kerr (OD), ρ ≠ 1
    L.LaiParams(Omega_kHz=6.0, direction=-1.0, Delta_a=-1.85 + SIGMA_6),     # Sagnac, Δ_a + σ_a = −1.85
    L.LaiParams(n1=10.0, n2=10.0, kappa_m=0.3, Delta_m=-1.2, chi=0.04),      # thermal, other rates
], ids=["CD", "OD-rho2", "Sagnac-1.85", "thermal"])
def test_agrees_with_independent_adaptive_integrator(params):
    """The compiled fixed-step engine vs scipy's adaptive DOP853 (its own stepping, tight
    tolerances), one point at a time, over 20 τ: S_Q, S_C and the means."""
    tr = solver.integrate(L.MODEL, params, settings=SHORT, traces=True)
    t, sq, sc, xs = solver.integrate_scipy_point(L.MODEL, params, settings=SHORT, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(tr.t_tau, t)
    np.testing.assert_allclose(tr.S_Q[:, 0], sq, atol=1e-6)
    np.testing.assert_allclose(tr.S_C[:, 0], sc, atol=1e-6)
    np.testing.assert_allclose(tr.means[:, :, 0].T, xs, rtol=1e-6, atol=1e-5)


def test_two_tableaux_converge_to_each_other():
    p = L.LaiParams()
    a = solver.integrate(L.MODEL, p, settings=solver.SolverSettings(t_end_tau=10, window_tau=(5, 10),
                                                                     method="tsit5", steps_per_tau=512))
    b = solver.integrate(L.MODEL, p, settings=solver.SolverSettings(t_end_tau=10, window_tau=(5, 10)))
    np.testing.assert_allclose(a.S_Q, b.S_Q, atol=1e-7)


def test_continuation_from_the_stored_end_state_equals_one_uninterrupted_run():
    p = L.LaiParams(K=np.array([-2e-5, 0.0, 2e-5]), Omega_kHz=np.array([0.0, 6.0, 0.0]))
    first = solver.integrate(L.MODEL, p, settings=solver.SolverSettings(t_end_tau=12, window_tau=(10, 12)))
    long = solver.SolverSettings(t_end_tau=30, window_tau=(25, 30))
    cont = solver.integrate(L.MODEL, p, settings=long, start=(12.0, first.x_final, first.V_final))
    direct = solver.integrate(L.MODEL, p, settings=long)
    np.testing.assert_array_equal(cont.t_tau, direct.t_tau)
    np.testing.assert_allclose(cont.S_Q, direct.S_Q, rtol=0, atol=1e-10)
    np.testing.assert_allclose(cont.x_final, direct.x_final, rtol=1e-10)
    np.testing.assert_allclose(cont.V_final, direct.V_final, rtol=1e-10)


def test_mean_field_run_follows_the_gaussian_runs_means_and_flags_divergence():
    """ẋ = f(x) does not involve the covariance: integrate_means gives the means of
    integrate (same scheme and grid) from displaced starts, and False where a point blows up."""
    p = L.LaiParams(K=np.array([-2e-5, 0.0, 2e-5]), gamma1=np.array([0.005, 0.005, -0.5]))
    ini = L.InitialState(means=(0j, 0j, 300 + 0j, -300 + 0j))
    s = solver.SolverSettings(t_end_tau=12, window_tau=(10, 12))
    full = solver.integrate(L.MODEL, p, ini, settings=s)
    means = solver.integrate_means(L.MODEL, p, ini.as_real(3), s)
    np.testing.assert_array_equal(means.t_window_tau, full.t_window_tau)
    np.testing.assert_allclose(means.window_means[:, :, :2], full.window_means[:, :, :2], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(means.x_final[:, :2], full.x_final[:, :2], rtol=1e-12, atol=1e-9)
    assert means.finite.tolist() == [True, True, False] == full.finite.tolist()
    with pytest.raises(ValueError, match="shape"):
        solver.integrate_means(L.MODEL, p, ini.as_real(2), s)


@pytest.mark.parametrize("kw", [dict(window_tau=(180, 250)), dict(window_tau=(50, 20)),
                                dict(samples_per_tau=30), dict(method="euler"),
                                dict(t_end_tau=float("inf")), dict(window_tau=(float("nan"), 200))])
def test_invalid_settings_are_rejected(kw):
    with pytest.raises(ValueError):
        solver.SolverSettings(**kw)


def test_divergent_point_is_flagged_unstable():
    # negative damping: the mechanics blows up exponentially
    p = L.LaiParams(gamma1=np.array([0.005, -0.5]), gamma2=np.array([0.005, -0.5]))
    tr = solver.integrate(L.MODEL, p, settings=SHORT)
    assert tr.finite.tolist() == [True, False]
    cert = stability.certify(L.MODEL, p, tr)
    assert cert.verdict[1] == "unstable"
