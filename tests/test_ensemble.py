"""Ensemble statistics: S_Q inside (0, 1] on split ensembles, interval coverage on a known
distribution, and the sequential stopping rule's false-decision rate ≤ 1 %."""
import numpy as np
import pytest
from scipy.stats import beta

from qorepro import ensemble as E
from qorepro import measures


def vacuum_with_outliers(rng, M=64, far=(0, 16), shift=12.0):
    """X₋, Y₋ of a vacuum-like ensemble (Var X₋ + Var Y₋ = 1) with a few trajectories on a
    far branch — trajectories 0 and 16 share jackknife group 0 of 16."""
    x = rng.normal(0, np.sqrt(0.5), (1, 1, M))
    y = rng.normal(0, np.sqrt(0.5), (1, 1, M))
    x[..., list(far)] += shift
    return x, y


def old_jackknife_sq(xm, ym, groups: int):
    """The estimator the ensemble replaced: delete-one-group jackknife of the window-mean
    S_Q = ⟨1/(Var X₋ + Var Y₋)⟩_t over (W, n, M) samples, trajectory i in group i mod
    ``groups``, bias corrected on the inverse (G·Ŝ − (G−1)·mean Ŝ₋g)."""
    def sq(keep):
        return measures.sync_from_variances(xm[..., keep].var(-1, ddof=1), ym[..., keep].var(-1, ddof=1)).mean(0)
    idx = np.arange(xm.shape[-1])
    reps = np.array([sq(idx[idx % groups != g]) for g in range(groups)])
    return groups * sq(idx) - (groups - 1) * reps.mean(0)


def clopper_pearson_upper(k, n, conf=0.95):
    return beta.ppf(conf, k + 1, n - k)


def test_old_jackknife_leaves_the_physical_range_on_a_split_ensemble_the_new_estimator_cannot():
    x, y = vacuum_with_outliers(np.random.default_rng(1))
    old = old_jackknife_sq(x, y, 16)[0]
    assert old < 0                                            # the impossible value of figS4 d
    new = E.estimate(x, y)
    assert 0 < new.lo[0] <= new.value[0] <= new.hi[0] <= 1


def test_new_estimator_stays_in_range_on_many_split_ensembles():
    """Random bimodal ensembles (branch fraction, separation, M) and near-vacuum ones (whose
    sample variance can fall below the Heisenberg floor): value and interval inside (0, 1]."""
    rng = np.random.default_rng(2)
    W, n = 3, 400
    for M in (16, 64, 256):
        frac = rng.uniform(0, 0.5, n)
        sep = rng.choice([0.0, 0.3, 3.0, 30.0], n)
        branch = rng.random((1, n, M)) < frac[None, :, None]
        x = rng.normal(0, np.sqrt(0.5), (W, n, M)) + sep[None, :, None] * branch
        y = rng.normal(0, np.sqrt(0.5), (W, n, M))
        for kind in ("S_Q", "S_C"):
            e = E.estimate(x, y, kind)
            assert np.all(e.value > 0) and np.all(e.value <= 1)
            assert np.all((0 < e.lo) & (e.lo <= e.value) & (e.value <= e.hi) & (e.hi <= 1))


@pytest.mark.parametrize("branch_sep", [0.0, 4.0])
def test_interval_covers_the_known_value_at_its_nominal_rate(branch_sep):
    """X₋ a Gaussian (or a symmetric two-branch mixture ±a), Y₋ Gaussian: S_Q = 1/(a² + 2s²)
    known; the 95 % interval covers it in 95 % ± 1.5 % of 4000 ensembles of M = 256, and the
    estimate is unbiased within its error."""
    rng = np.random.default_rng(3)
    R, M, s2 = 4000, 256, 1.5
    a = branch_sep
    x = rng.normal(0, np.sqrt(s2), (1, R, M)) + a * rng.choice([-1.0, 1.0], (1, R, M))
    y = rng.normal(0, np.sqrt(s2), (1, R, M))
    truth = 1 / (a * a + 2 * s2)
    e = E.estimate(x, y)
    cover = np.mean((e.lo <= truth) & (truth <= e.hi))
    assert 0.935 < cover < 0.965
    assert abs(e.value.mean() - truth) < 3 * e.value.std() / np.sqrt(R)


@pytest.mark.parametrize("branch_sep", [0.0, 4.0])
def test_sequential_rule_false_decision_rate_is_at_most_one_percent(branch_sep):
    """Worst case: the true S_Q lies exactly on a threshold, so every decision about it is
    false.  5000 points, blocks 64 → 1024 (5 looks), the rule's default nominal α (0.5 %): the
    Clopper–Pearson 95 % upper bound of the observed false-decision rate is ≤ 1 % (Gaussian
    and two-branch ensembles)."""
    rng = np.random.default_rng(4)
    R, s2 = 5000, 1.5
    a = branch_sep
    truth = 1 / (a * a + 2 * s2)
    rule = E.SequentialRule(thresholds=(truth, 0.9), m_min=64, m_max=1024)
    x = rng.normal(0, np.sqrt(s2), (1, R, 1024)) + a * rng.choice([-1.0, 1.0], (1, R, 1024))
    y = rng.normal(0, np.sqrt(s2), (1, R, 1024))
    out = rule.run(x, y)
    false = out["region"] >= 0                                # any decision is false here
    k = int(false.sum())
    assert clopper_pearson_upper(k, R) <= 0.01, k
    assert np.all(out["M"][~false] == 1024)                 # undecided points used M_max


def test_sequential_rule_stops_early_when_the_value_is_far_from_every_threshold():
    rng = np.random.default_rng(5)
    R = 200
    x = rng.normal(0, np.sqrt(0.5), (2, R, 1024))             # S_Q = 1
    y = rng.normal(0, np.sqrt(0.5), (2, R, 1024))
    rule = E.SequentialRule(thresholds=(0.05, 0.5), m_min=64, m_max=1024)
    out = rule.run(x, y)
    assert np.all(out["M"] == 64) and np.all(out["region"] == 2)
    # a precision target alone (no thresholds): stops once z·err/S ≤ target, M grows as target shrinks
    loose = E.SequentialRule(target=0.3, m_min=64, m_max=1024).run(x, y)["M"]
    tight = E.SequentialRule(target=0.02, m_min=64, m_max=1024).run(x, y)["M"]
    assert np.all(loose <= tight) and np.median(tight) > np.median(loose)


def test_rule_uses_prefixes_so_more_trajectories_extend_the_ensemble():
    """A point stopped at M sees exactly the first M trajectories: its estimate equals the
    estimate of the first M columns alone."""
    rng = np.random.default_rng(6)
    x = rng.normal(0, 1.0, (2, 50, 512))
    y = rng.normal(0, 1.0, (2, 50, 512))
    rule = E.SequentialRule(thresholds=(0.25,), m_min=64, m_max=512)
    out = rule.run(x, y)
    for p in range(50):
        m = out["M"][p]
        e = E.estimate(x[:, p:p + 1, :m], y[:, p:p + 1, :m], z=rule.z)
        assert e.value[0] == out["value"][p] and e.hi[0] == out["hi"][p]


def test_adaptive_draws_only_the_open_points_and_matches_the_prefix_rule():
    """Points far from the threshold stop at 64 trajectories; the sampler is asked for more
    trajectories only of the points still open, each block continuing where the last ended."""
    rng = np.random.default_rng(7)
    W, n, M = 2, 40, 512
    scale = np.where(np.arange(n) < 20, np.sqrt(0.5), np.sqrt(2.0))   # S_Q = 1 or 1/4
    x = rng.normal(0, 1, (W, n, M)) * scale[None, :, None]
    y = rng.normal(0, 1, (W, n, M)) * scale[None, :, None]
    calls = []

    def sample(pts, first, m):
        calls.append((tuple(pts), first, m))
        return x[:, pts, first:first + m], y[:, pts, first:first + m]

    rule = E.SequentialRule(thresholds=(0.26,), m_min=64, m_max=512)
    out = rule.adaptive(sample, n)
    assert calls[0] == (tuple(range(n)), 0, 64)
    assert [(c[1], c[2]) for c in calls] == [(0, 64), (64, 64), (128, 128), (256, 256)][:len(calls)]
    for c_prev, c in zip(calls, calls[1:]):
        assert set(c[0]) <= set(c_prev[0])                         # only open points extended
    assert np.all(out["M"][:20] == 64) and np.all(out["region"][:20] == 1)
    ref = rule.run(x, y)
    for key in ("M", "region", "value", "lo", "hi"):
        np.testing.assert_array_equal(out[key], ref[key])
    for p in range(n):
        np.testing.assert_array_equal(out["x"][p], x[:, p, :out["M"][p]])
