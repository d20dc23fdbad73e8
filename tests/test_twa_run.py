"""The truncated-Wigner ensemble inside a run: which points get it (``twa.where``), the adaptive
ensemble's wiring (extends, never replaces; batching-independent), the TWA certificate per point,
the thresholds from the claims file, and the cross-check of the two methods."""
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

from qorepro import twa, twa_validity
from qorepro.models import lai2025 as L
from qorepro.settings import SolverSettings, TWASettings
from qorepro.workflow import timedomain
from qorepro.workflow.claims_report import crosscheck
from qorepro.workflow.record import ConfigError

SHORT = SolverSettings(t_end_tau=6, window_tau=(4, 6))


def _pts(*sizes):
    return SimpleNamespace(blocks=[SimpleNamespace(size=s) for s in sizes])


# ------------------------------------------------------------------------------ where
def test_crosscheck_positions_are_evenly_spaced_per_block_and_chunk_independent():
    pts = _pts(41, 5, 441)
    pos = timedomain.crosscheck_points(pts, 16)
    a, b, c = pos[:41], pos[41:46], pos[46:]
    np.testing.assert_array_equal(np.nonzero(a)[0], np.arange(0, 41, 2))      # k = ⌊41/16⌋ = 2
    assert b.all()                                                             # a small block: every point
    np.testing.assert_array_equal(np.nonzero(c)[0], np.arange(0, 441, 27))    # k = ⌊441/16⌋ = 27
    assert 16 <= a.sum() and 16 <= c.sum() <= 32


def test_where_picks_the_uncertified_points_and_the_crosscheck_sample():
    pts = _pts(20, 20)
    rng = np.random.default_rng(0)
    cert = rng.random(40) < 0.6
    tw = TWASettings(crosscheck_points=4)                                     # k = 5: positions 0, 5, 10, 15
    cross = np.zeros(40, bool)
    cross[[0, 5, 10, 15, 20, 25, 30, 35]] = True
    whole = timedomain.twa_points(tw, pts, cert, slice(0, 40))
    np.testing.assert_array_equal(whole, ~cert | cross)
    assert (whole & cert).sum() == (cert & cross).sum() >= 3                  # the certified cross-check sample
    chunks = np.concatenate([timedomain.twa_points(tw, pts, cert[s], s) for s in (slice(0, 13), slice(13, 40))])
    np.testing.assert_array_equal(chunks, whole)
    assert timedomain.twa_points(TWASettings(where="all"), pts, cert, slice(0, 40)).all()
    assert not timedomain.twa_points(TWASettings(where="none"), pts, cert, slice(0, 40)).any()


def test_settings_and_the_deprecated_enabled_alias():
    with pytest.raises(ValueError, match="where"):
        TWASettings(where="everywhere")
    with pytest.raises(ValueError, match="power of two"):
        TWASettings(trajectories=192, min_trajectories=64)
    assert timedomain.twa_section({"twa": {"enabled": True}}) == {"where": "all"}
    assert timedomain.twa_section({"twa": {"enabled": False, "seed": 3}}) == {"where": "none", "seed": 3}
    assert timedomain.twa_section({}) == {}


def test_thresholds_come_from_the_claims_file(tmp_path):
    f = tmp_path / "claims.yaml"
    f.write_text("thresholds: {S_zero: 0.02, S_sync: 0.07, equal_tol: 1.0e-9}\nclaims: []\n")
    assert timedomain.claim_thresholds({"claims_file": str(f)}) == [0.02, 0.07]
    with pytest.raises(ConfigError, match="claims_file"):
        timedomain.claim_thresholds({"claims_file": str(tmp_path / "missing.yaml")})


# ------------------------------------------------------------------------------ adaptive wiring
P = L.LaiParams(K=np.array([0.0, -2e-5, 2e-5]))
SAME = ("S_Q", "S_Q_err", "S_C", "S_C_err", "census", "S_Q_by_attractor", "trajectories", "decided", "occupations")


def _adaptive(tw, params=P, **kw):
    return twa.adaptive(L.MODEL, params, settings=SHORT, twa=tw, **kw)


def test_the_first_block_is_the_same_whatever_M_max():
    """Every point stopping at the first look (target met at once): M_max = 64 and
    M_max = 256 use the same 64 trajectories, so every value is bit-identical."""
    small = _adaptive(TWASettings(trajectories=64, target=1e9))
    large = _adaptive(TWASettings(trajectories=256, target=1e9))
    assert (large["trajectories"] == 64).all()
    for k in SAME:
        np.testing.assert_array_equal(small[k], large[k], err_msg=k)


def test_chunked_and_split_calls_equal_the_whole_batch():
    """A point's ensemble does not depend on the chunk it is in nor on how a block's calls are
    split: its samples are bit-identical (test_twa), hence the same M, decisions and census;
    the estimates agree to rounding (numpy's summation order follows the array layout), the
    moments summed inside the compiled program (covariance) to 1e-9."""
    tw = TWASettings(trajectories=256, thresholds=(0.01, 0.05))
    whole = _adaptive(tw)
    parts = [_adaptive(tw, L.LaiParams(K=np.asarray(P.K)[s]), point_ids=np.arange(3)[s])
             for s in (slice(0, 1), slice(1, 3))]
    split = _adaptive(tw, call_trajectories=64)
    for other in ({k: np.concatenate([p[k] for p in parts], axis=-1 if k == "occupations" else 0) for k in SAME},
                  split):
        for k in SAME:
            if k in ("trajectories", "census", "decided"):
                np.testing.assert_array_equal(whole[k], other[k], err_msg=k)
            else:
                np.testing.assert_allclose(whole[k], other[k], rtol=1e-13, atol=0, err_msg=k)
    np.testing.assert_allclose(whole["covariance"], split["covariance"], rtol=1e-9, atol=1e-9)
    assert set(whole["trajectories"]) <= {64, 128, 256}
    assert (whole["S_Q"] > 0).all() and (whole["S_Q_hi"] <= 1).all() and (whole["S_Q_lo"] <= whole["S_Q"]).all()
    # decided = the interval holds no threshold
    lo, hi = whole["S_Q_lo"], whole["S_Q_hi"]
    straddle = np.zeros(3, bool)
    for t in tw.thresholds:
        straddle |= (lo <= t) & (hi >= t)
    np.testing.assert_array_equal(whole["decided"], ~straddle)
    assert ((whole["trajectories"] < 256) <= whole["decided"]).all()       # an early stop is a decision


# ------------------------------------------------------------------------------ the run's variables
def _fake_adaptive(n_seen):
    """twa.adaptive stand-in: the magnon (a watched, nonlinear mode) with the smallest occupation,
    1.0 at even points, 100 at odd ones; a mechanical mode (linear in the couplings, not watched)
    dips to 0.5 everywhere."""
    def fake(model, params, initial, settings, tw, point_ids, traces):
        n = params.batch_size
        n_seen.append(np.asarray(point_ids))
        occ = np.full((5, 4, n), 300.0)
        occ[2, 1, :] = np.where(np.asarray(point_ids) % 2 == 0, 1.0, 100.0)
        occ[3, 3, :] = 0.5
        r = {k: np.full(n, 0.2) for k in ("S_Q", "S_Q_err", "S_Q_lo", "S_Q_hi", "S_C", "S_C_err")}
        r.update(numbers=np.ones((n, 4)), covariance=np.zeros((n, 8, 8)), census=np.ones((n, 3)) / 3,
                 S_Q_by_attractor=np.zeros((n, 3)), S_Q_by_attractor_err=np.zeros((n, 3)),
                 trajectories=np.full(n, 128), decided=np.ones(n, bool), occupations=occ,
                 switching=np.zeros(n))
        return r
    return fake


def test_run_variables_certificate_and_points_without_ensemble(monkeypatch):
    seen = []
    monkeypatch.setattr(twa, "adaptive", _fake_adaptive(seen))
    spec = SimpleNamespace(twa_settings=TWASettings(), model_object=L.MODEL, initial=None, solver_settings=SHORT,
                           figure="f")
    allp = L.LaiParams(K=np.linspace(-1e-5, 1e-5, 10))
    where = np.array([True, False, True, True, False, False, True, True, False, True])
    out = timedomain._twa(spec, allp, False, slice(2, 8), where[2:8])
    np.testing.assert_array_equal(seen[0], [2, 3, 6, 7])                  # global ids of the selected points
    ran = where[2:8]
    assert np.isnan(out["S_Q_twa"][~ran]).all() and (out["twa_trajectories"][~ran] == 0).all()
    assert not out["twa_decided"][~ran].any() and not out["twa_questionable"][~ran].any()
    np.testing.assert_array_equal(out["twa_trajectories"][ran], 128)
    np.testing.assert_array_equal(out["twa_min_occupation"][ran], [1.0, 100.0, 1.0, 100.0])
    np.testing.assert_allclose(out["twa_truncation"][ran], [0.5, 0.005, 0.5, 0.005])
    q = out["twa_truncation"][ran]
    np.testing.assert_array_equal(out["twa_questionable"][ran], q > twa_validity.TRUNCATION_THRESHOLD)
    np.testing.assert_array_equal(out["twa_questionable"][ran], [True, False, True, False])


# ------------------------------------------------------------------------------ cross-check
def test_crosscheck_counts_methods_and_agreement():
    x = np.arange(6.0)
    cert = np.array([True, True, True, False, False, False])
    ds = xr.Dataset({"S_Q": ("x", [0.2, 0.2, 0.2, 0.0, 0.0, 0.0]), "certified": ("x", cert),
                     "verdict": ("x", np.where(cert, "stable_limit_cycle", "not_settled")),
                     "S_Q_twa": ("x", [0.201, 0.25, np.nan, 0.1, 0.1, 0.1]),
                     "S_Q_twa_err": ("x", [0.002, 0.002, np.nan, 0.01, 0.01, 0.01]),
                     "twa_decided": ("x", [True, True, False, True, False, True]),
                     "twa_questionable": ("x", [False, False, False, False, False, True]),
                     "twa_trajectories": ("x", [64, 64, 0, 512, 512, 128])}, coords={"x": x})
    c = crosscheck({"f/a": ds})
    assert c["methods"] == {"gaussian": 3, "twa": 1, "neither": 2}
    assert c["twa_trajectories"] == {"64": 2, "128": 1, "512": 2}
    cc = c["crosscheck"]
    assert cc["points"] == 2 and cc["agree"] == 1 and cc["agreement_rate"] == 0.5
    assert cc["disagreements"][0]["point"] == {"x": 1.0} and cc["disagreements"][0]["z"] == pytest.approx(-25)


def test_record_carries_the_ensemble_settings_unless_none(tmp_path):
    f = tmp_path / "claims.yaml"
    f.write_text("thresholds: {S_zero: 0.01, S_sync: 0.05}\nclaims: []\n")
    cfg = {"solver": {"t_end_tau": 6}, "presets": {"p": {}}, "preset": "p", "initial_state": {"n_init": 0.0},
           "claims_file": str(f), "twa": {"where": "uncertified", "trajectories": 256}}
    rec = timedomain.record_fields(cfg, {}, L.MODEL)["twa"]
    assert (rec["where"], rec["trajectories"], rec["thresholds"]) == ("uncertified", 256, [0.01, 0.05])
    assert timedomain.record_fields({**cfg, "twa": {"where": "all", "thresholds": [0.2]}}, {}, L.MODEL)["twa"][
        "thresholds"] == [0.2]
    assert "twa" not in timedomain.record_fields({**cfg, "twa": {"where": "none"}}, {}, L.MODEL)
    # a continued run computes its ensemble from t = 0 (the Gaussian points continue)
    assert timedomain.record_fields({**cfg, "continue_from": "main"}, {}, L.MODEL)["twa"] == rec
    with pytest.raises(ConfigError, match="twa: .*power of two"):
        timedomain.record_fields({**cfg, "twa": {"trajectories": 96}}, {}, L.MODEL)


def test_adaptive_ensemble_is_the_M_max_ensemble_where_it_runs_to_M_max():
    """No thresholds: every point runs to M_max in blocks of slices of 64 trajectories; its
    estimate equals the one of a single M_max run (same trajectories, bit-identical samples)."""
    from qorepro import ensemble
    r = _adaptive(TWASettings(trajectories=256))
    assert (r["trajectories"] == 256).all() and not r["decided"].any()
    full = twa.simulate(L.MODEL, P, settings=SHORT, twa=TWASettings(trajectories=256), samples=True)
    est = ensemble.estimate(*twa._minus(full["mechanics"]), "S_Q")
    np.testing.assert_allclose(r["S_Q"], est.value, rtol=1e-13, atol=0)
    np.testing.assert_allclose(r["S_Q_err"], est.err, rtol=1e-13, atol=0)
    np.testing.assert_array_equal(r["census"], full["census"])
    np.testing.assert_allclose(r["covariance"], full["covariance"], rtol=1e-9, atol=1e-9)
