"""Truncated-Wigner ensemble: exact where TWA is exact, known answers, statistics, seeds."""
import numpy as np
import pytest

from qorepro import solver, twa
from qorepro.models import lai2025 as L
from qorepro.settings import ATTRACTORS, SolverSettings, TWASettings

SHORT = SolverSettings(t_end_tau=30, window_tau=(25, 30))
TW = TWASettings(trajectories=256)


def run(params, settings=SHORT, tw=TW, **kw):
    return twa.simulate(L.MODEL, params, settings=settings, twa=tw, **kw)


def test_linear_driven_system_matches_the_exact_gaussian_covariance():
    """g_a = g_m = K = 0: the equations are linear, TWA is exact (up to sampling) and so is
    the Gaussian method; the covariance of every quadrature and S_Q agree within the errors."""
    p = L.LaiParams(g_a=0.0, g_m=0.0, K=0.0, n1=1.0, n2=2.0, gamma1=0.05, gamma2=0.05, chi=0.03)
    r = run(p, tw=TWASettings(trajectories=1024))
    g = solver.integrate(L.MODEL, p, settings=SHORT, keep_covariance=True)
    V_gauss = g.covariance[g.window_mask()][:, 0].mean(axis=0)          # window mean, exact
    V_twa = r["covariance"][0]
    # sampling error of a variance from M samples: ~ sqrt(2/M) relative
    np.testing.assert_allclose(V_twa, V_gauss, atol=4 * np.sqrt(2 / 1024) * np.abs(np.diag(V_gauss)).max())
    sq_gauss = g.window_stats("S_Q")[0][0]
    assert abs(r["S_Q"][0] - sq_gauss) < 3 * r["S_Q_err"][0] + 1e-4


def test_undriven_uncoupled_vacuum_keeps_S_Q_one():
    p = L.LaiParams(g_a=0.0, g_m=0.0, chi=0.0, xi_a=0.0, xi_m=0.0)
    r = run(p)
    assert abs(r["S_Q"][0] - 1.0) < 3 * r["S_Q_err"][0]
    # ⟨o†o⟩ = ⟨|o|²⟩_W − ½ = 0 in the vacuum; |o|² has mean ½ and standard deviation ½ per
    # trajectory, and the mechanics decorrelates slowly (γ = 0.005): 3σ = 3 · ½/√M
    np.testing.assert_allclose(r["numbers"][0], 0.0, atol=3 * 0.5 / np.sqrt(TW.trajectories))


def test_thermal_oscillator_variance_is_n_plus_half():
    n = 2.0
    p = L.LaiParams(g_a=0.0, g_m=0.0, chi=0.0, xi_a=0.0, xi_m=0.0, n1=n, n2=n, gamma1=0.3, gamma2=0.3)
    r = run(p, tw=TWASettings(trajectories=1024))
    V = r["covariance"][0]
    for i in (4, 5, 6, 7):                       # mechanical quadratures: V = n̄ + ½
        assert V[i, i] == pytest.approx(n + 0.5, rel=4 * np.sqrt(2 / 1024))
    np.testing.assert_allclose(r["numbers"][0, 2:], n, rtol=0.1)


def test_agrees_with_the_gaussian_method_where_the_linearisation_holds():
    """CD baseline (K = −2×10⁻⁵): fluctuation/mean ratio 0.2 — TWA within 3 error bars of the
    linearised Gaussian S_Q (same times, same window)."""
    p = L.LaiParams(K=-2e-5)
    s = SolverSettings(t_end_tau=60, window_tau=(50, 60))
    r = run(p, settings=s)
    g = solver.integrate(L.MODEL, p, settings=s)
    assert abs(r["S_Q"][0] - g.window_stats("S_Q")[0][0]) < 3 * r["S_Q_err"][0]
    assert r["census"][0, ATTRACTORS.index("in_phase")] == 1.0   # one attractor: every trajectory on it


def test_error_bar_shrinks_like_one_over_sqrt_M():
    p = L.LaiParams(K=-2e-5)
    small = run(p, tw=TWASettings(trajectories=256))["S_Q_err"][0]
    large = run(p, tw=TWASettings(trajectories=1024))["S_Q_err"][0]
    assert 1.4 < small / large < 2.9          # √4 = 2 expected; the jackknife error is itself noisy


def test_fixed_seed_reproduces_and_a_point_does_not_depend_on_its_batch():
    p = L.LaiParams(K=np.array([0.0, -2e-5, 2e-5]))
    a = run(p)
    b = run(p)
    np.testing.assert_array_equal(a["S_Q"], b["S_Q"])
    one = run(L.LaiParams(K=2e-5), point_ids=[2])
    np.testing.assert_allclose(one["S_Q"][0], a["S_Q"][2], rtol=1e-12)
    other = run(p, tw=TWASettings(trajectories=256, seed=7))
    assert not np.array_equal(other["S_Q"], a["S_Q"])
