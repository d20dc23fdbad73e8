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
    """Four independent ensembles of the same point (the 16-group jackknife error of one
    ensemble scatters by ~18 %, a ratio of two by ~26 %: averaged over four, by ~13 %)."""
    p = L.LaiParams(K=np.full(4, -2e-5))
    small = run(p, tw=TWASettings(trajectories=256))["S_Q_err"].mean()
    large = run(p, tw=TWASettings(trajectories=1024))["S_Q_err"].mean()
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


# --------------------------------------------------------------------------- issue 18: rk kernel
def test_a_larger_ensemble_extends_the_smaller_one_bit_for_bit():
    """Trajectory i of a point is the same path whatever M (and the batch): the first 64
    trajectories of an M = 256 run equal an M = 64 run, sample for sample, and a block of
    trajectories 64 … 255 run on its own is the rest of the M = 256 run."""
    p = L.LaiParams(K=np.array([0.0, -2e-5]))
    s = SolverSettings(t_end_tau=6, window_tau=(4, 6))
    small = run(p, settings=s, tw=TWASettings(trajectories=64), samples=True)["mechanics"]     # (W, 4, n, M)
    large = run(p, settings=s, tw=TWASettings(trajectories=256), samples=True)["mechanics"]
    assert small.shape == large[..., :64].shape
    np.testing.assert_array_equal(small, large[..., :64])
    rest = [run(p, settings=s, tw=TWASettings(trajectories=m, min_trajectories=m), samples=True,
                first_trajectory=m)["mechanics"] for m in (64, 128)]            # blocks 64 … 127, 128 … 255
    np.testing.assert_array_equal(np.concatenate([small, *rest], axis=-1), large)
    alone = run(L.LaiParams(K=-2e-5), settings=s, tw=TWASettings(trajectories=128), point_ids=[1],
                samples=True)["mechanics"]
    np.testing.assert_array_equal(alone[:, :, 0], large[:, :, 1, :128])
    assert not np.array_equal(large[..., 64:128], large[..., :64])      # new trajectories are new


def test_trajectory_normals_are_standard_normal_and_independent():
    """The counter-based stream: mean 0, variance 1, no skew or excess kurtosis, KS against
    N(0, 1), uncorrelated across components, trajectories and consecutive steps."""
    from scipy import stats

    keys = twa.trajectory_keys(20251122, np.arange(4), 1024)
    z = np.stack([np.asarray(twa.trajectory_normals(keys, i, 8)) for i in range(64)])   # (64, 8, 4096)
    flat = z.ravel()
    n = flat.size                                                    # 2.1 M
    assert abs(flat.mean()) < 4 / np.sqrt(n)
    assert abs(flat.var() - 1) < 4 * np.sqrt(2 / n)
    assert abs(stats.skew(flat)) < 4 * np.sqrt(6 / n)
    assert abs(stats.kurtosis(flat)) < 4 * np.sqrt(24 / n)
    assert stats.kstest(flat[::7], "norm").pvalue > 1e-3
    per = z.shape[0] * z.shape[2]
    c_comp = np.corrcoef(z.transpose(1, 0, 2).reshape(8, -1))
    assert np.abs(c_comp - np.eye(8)).max() < 5 / np.sqrt(per)
    lag = (z[1:] * z[:-1]).mean()                                    # consecutive steps
    assert abs(lag) < 5 / np.sqrt(z[1:].size)
    nb = (z[:, :, 1:] * z[:, :, :-1]).mean()                         # neighbouring trajectories
    assert abs(nb) < 5 / np.sqrt(z[:, :, 1:].size)


def test_rk_kernel_agrees_with_the_diffrax_kernel_at_the_baseline_points():
    """The three baseline points (K = 0, ∓2×10⁻⁵) as the pipeline runs them (200 τ, window
    [180, 200] τ, M = 512): the rk kernel (new random stream) and the diffrax kernel agree on
    S_Q, S_C within 3 combined error bars and on the in-phase fraction within 4 binomial σ."""
    p = L.LaiParams(K=np.array([0.0, -2e-5, 2e-5]))
    s = SolverSettings()
    tw = TWASettings(trajectories=512)
    new = run(p, settings=s, tw=tw, kernel="rk")
    old = run(p, settings=s, tw=tw, kernel="diffrax")
    for k in ("S_Q", "S_C"):
        err = np.hypot(new[k + "_err"], old[k + "_err"])
        assert np.all(np.abs(new[k] - old[k]) < 3 * err), (k, new[k], old[k], err)
    f_new, f_old = new["census"], old["census"]
    pooled = (f_new + f_old) / 2
    sd = np.sqrt(np.maximum(pooled * (1 - pooled), 1 / 512) * 2 / 512)
    assert np.all(np.abs(f_new - f_old) < 4 * sd)


def test_adaptive_ensemble_on_the_rk_kernel_equals_the_rule_on_the_full_ensemble():
    """Block by block through simulate(first_trajectory=…) (only open points extended) gives
    the same samples bit for bit, hence the same M, values and intervals per point, as the
    rule on an M_max run's prefixes."""
    from qorepro import ensemble as E

    p = L.LaiParams(K=np.array([0.0, -2e-5, 2e-5]))
    s = SolverSettings(t_end_tau=6, window_tau=(4, 6))
    rule = E.SequentialRule(thresholds=(0.3, 0.5), m_min=64, m_max=256)

    def sample(pts, first, m):
        sub = L.LaiParams(K=np.asarray(p.K)[pts])
        r = run(sub, settings=s, tw=TWASettings(trajectories=m), point_ids=pts, samples=True,
                first_trajectory=first)
        return twa._minus(r["mechanics"])

    out = rule.adaptive(sample, 3)
    full = twa._minus(run(p, settings=s, tw=TWASettings(trajectories=256), samples=True)["mechanics"])
    ref = rule.run(*full)
    for key in ("M", "region"):
        np.testing.assert_array_equal(out[key], ref[key])
    for key in ("value", "lo", "hi"):                        # same samples; numpy's summation order
        np.testing.assert_allclose(out[key], ref[key], rtol=1e-13)   # depends on the array layout
    for q in range(3):
        np.testing.assert_array_equal(out["x"][q], full[0][:, q, :out["M"][q]])
        np.testing.assert_array_equal(out["y"][q], full[1][:, q, :out["M"][q]])


def test_initial_sample_and_increments_use_distinct_random_numbers():
    """The initial Wigner sample's counter never aliases a step's (a wrap modulo 2⁶⁴ would make
    the first increment a copy of the initial fluctuation)."""
    keys = twa.trajectory_keys(1, [0, 1], 64)
    init = np.asarray(twa.trajectory_normals(keys, twa._INIT_COUNTER, 8))
    for step in (0, 1, 6399):
        z = np.asarray(twa.trajectory_normals(keys, step, 8))
        assert abs(np.corrcoef(init.ravel(), z.ravel())[0, 1]) < 5 / np.sqrt(init.size)
