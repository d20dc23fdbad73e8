"""Time-domain solver: vacuum, uncertainty bound, Lyapunov steady state, batching, scipy."""
import numpy as np
import pytest
from scipy.linalg import solve_continuous_lyapunov

from qorepro import measures, solver, stability
from qorepro.models import lai2025 as L

SHORT = solver.SolverSettings(t_end_tau=20, window_tau=(15, 20))


def test_uncoupled_vacuum_keeps_S_Q_one():
    p = L.LaiParams(g_a=0.0, g_m=0.0, chi=0.0, xi_a=0.0, xi_m=0.0)
    tr = solver.integrate(L.MODEL, p, settings=SHORT)
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
        t_end_tau=30, window_tau=(25, 30), samples_per_tau=8), keep_covariance=True)
    prod = measures.uncertainty_product(tr.covariance[:, 0], 2, 3)
    assert np.all(prod >= 0.25 * (1 - 1e-9))
    assert np.all(tr.S_Q <= 1 + 1e-9)
    # and every stored V is a physical covariance: V + iΩ/2 ⪰ 0
    Om = np.kron(np.eye(4), np.array([[0, 1], [-1, 0]]))
    ev = np.linalg.eigvalsh(tr.covariance[:, 0] + 0.5j * Om)
    assert ev.min() > -1e-6 * np.abs(ev).max()


def test_stable_fixed_point_covariance_equals_lyapunov_solution():
    # red-detuned drives (Δ = +ω₁) with strong damping: a Hurwitz-stable point, slowest rate ≈ 0.17 ω₁
    p = L.LaiParams(xi_a=20.0, xi_m=20.0, gamma1=0.2, gamma2=0.2, K=-2e-5, Delta_a=1.0, Delta_m=1.0)
    c = L.coefficients(p)
    fps = L.fixed_points(c)
    assert len(fps) == 1
    A = L.drift_matrix(fps[0][:, None], c)[0]
    assert stability.eigen_stable(A) and stability.hurwitz_stable(A)
    Q = L.diffusion_matrix(c)[0]
    V_lyap = solve_continuous_lyapunov(A, -Q)
    tr = solver.integrate(L.MODEL, p, settings=solver.SolverSettings(t_end_tau=40, window_tau=(30, 40)))
    np.testing.assert_allclose(tr.x_final[:, 0], fps[0], atol=1e-8)
    np.testing.assert_allclose(tr.V_final[0], V_lyap, atol=1e-8)
    cert = stability.certify(L.MODEL, p, tr)
    assert cert.verdict[0] == "stable_fixed_point"


def test_batched_equals_per_point():
    K = np.array([-3e-5, 0.0, 4e-5])
    Dm = np.array([-1.0, -0.95, -1.05])
    tr = solver.integrate(L.MODEL, L.LaiParams(K=K, Delta_m=Dm), settings=SHORT)
    for i in range(3):
        one = solver.integrate(L.MODEL, L.LaiParams(K=K[i], Delta_m=Dm[i]), settings=SHORT)
        np.testing.assert_allclose(tr.S_Q[:, i], one.S_Q[:, 0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(tr.means[:, :, i], one.means[:, :, 0], rtol=1e-12, atol=1e-10)


def test_agrees_with_scipy_dop853_reference():
    p = L.LaiParams(K=-2e-5)
    tr = solver.integrate(L.MODEL, p, settings=SHORT)
    t, sq, sc, xs = solver.integrate_scipy_point(L.MODEL, p, settings=SHORT)
    np.testing.assert_allclose(tr.S_Q[:, 0], sq, atol=1e-6)
    np.testing.assert_allclose(tr.means[:, :, 0].T, xs, rtol=1e-6, atol=1e-5)


def test_rk4_and_dop853_converge_to_each_other():
    p = L.LaiParams()
    a = solver.integrate(L.MODEL, p, settings=solver.SolverSettings(t_end_tau=10, window_tau=(5, 10),
                                                                     method="rk4", steps_per_tau=512))
    b = solver.integrate(L.MODEL, p, settings=solver.SolverSettings(t_end_tau=10, window_tau=(5, 10)))
    np.testing.assert_allclose(a.S_Q, b.S_Q, atol=1e-7)


@pytest.mark.parametrize("kw", [dict(window_tau=(180, 250)), dict(window_tau=(50, 20)),
                                dict(samples_per_tau=30), dict(method="euler")])
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
