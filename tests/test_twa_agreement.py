"""Two certified methods must agree: the ensemble's switching criterion (attractor labels per τ
of the window, the fraction of trajectories whose label changes), the deterministic protocol's
attractor class, the basin check of the Gaussian value (verdict ``noise_basin``) and the claims
then taking the ensemble's value there (issue 18 item 5)."""
from types import SimpleNamespace

import numpy as np
import xarray as xr

from qorepro import claims, twa, twa_validity
from qorepro.models import lai2025 as L
from qorepro.settings import ATTRACTORS, VERDICTS, CertificationSettings, SolverSettings, TWASettings
from qorepro.workflow import timedomain
from qorepro.workflow.claims_report import crosscheck, crosscheck_markdown

IN, ANTI, NONE = (ATTRACTORS.index(a) for a in ("in_phase", "anti_phase", "no_oscillation"))
SPT = 16
RHO_MAX = CertificationSettings().linearization_max_ratio


def _oscillation(sign, amplitude, t):
    """Mechanical samples (T, 4) of β₁ = A e^{−iωt}, β₂ = sign·A e^{−iωt} (in/anti phase)."""
    b1 = amplitude * np.exp(-2j * np.pi * t)
    b2 = sign * b1
    return np.stack([b1.real, b1.imag, b2.real, b2.imag], axis=1)


def test_attractor_labels_and_switching_fraction_known_answer():
    """Five trajectories over a window of 4 τ: in phase throughout, anti-phase throughout, at
    rest, in phase → anti-phase after 2 τ (a switch), and at rest → oscillating in the last τ (a
    switch): labels per τ block, the last block = the census, switching fraction 2/5."""
    t = np.arange(4 * SPT) / SPT
    late = t >= 2
    trajs = [_oscillation(1, 50, t), _oscillation(-1, 50, t), _oscillation(1, 0.1, t),
             np.where(late[:, None], _oscillation(-1, 50, t), _oscillation(1, 50, t)),
             np.where((t >= 3)[:, None], _oscillation(1, 50, t), _oscillation(1, 0.1, t))]
    mech = np.stack(trajs, axis=-1)[:, :, None, :]                      # (W, 4, n = 1, M = 5)
    lab = twa.attractor_labels(mech, SPT)
    assert lab.shape == (4, 1, 5)
    np.testing.assert_array_equal(lab[:, 0].T, [[IN] * 4, [ANTI] * 4, [NONE] * 4,
                                                [IN, IN, ANTI, ANTI], [NONE, NONE, NONE, IN]])
    np.testing.assert_array_equal(lab[-1], twa.census(mech, SPT)[0])     # the last τ is the census
    np.testing.assert_allclose(twa_validity.switching_fraction(lab), [2 / 5])
    # a partial leading τ (W not a multiple of samples_per_tau) is left out, not mixed in
    lab2 = twa.attractor_labels(np.concatenate([mech[:3] * 0, mech]), SPT)
    np.testing.assert_array_equal(lab2, lab)


def test_switching_makes_the_ensemble_questionable():
    q = np.array([0.01, 0.01, 0.01, 0.5])
    sw = np.array([0.0, twa_validity.SWITCHING_THRESHOLD, 0.2, 0.0])
    np.testing.assert_array_equal(twa_validity.valid(q, switching=sw), [True, True, False, False])


def test_protocol_attractor_of_free_mechanical_oscillations():
    """Undriven, uncoupled mechanics (ξ = g = χ = 0): the mean field started with β₁ = β₂
    oscillates in phase, with β₂ = −β₁ anti-phase, at rest nowhere — the protocol's class."""
    p = L.LaiParams(xi_a=np.zeros(3), xi_m=0.0, g_a=0.0, g_m=0.0, chi=0.0)
    x = np.zeros((8, 3))
    x[4, :2] = 40.0                                                     # Re β₁
    x[6] = [40.0, -40.0, 0.0]                                           # Re β₂
    x[4, 2] = 0.0
    g = twa.protocol_attractor(L.MODEL, p, x, SolverSettings())
    np.testing.assert_array_equal(g, [IN, ANTI, NONE])


def test_basin_check_of_the_gaussian_value():
    """One trajectory of 64 off the protocol's class already fails it (threshold 0: a
    trajectory on the other branch carries its whole oscillation into Var X₋); all on it, or
    no ensemble, passes."""
    census = np.array([[1.0, 0, 0], [63 / 64, 1 / 64, 0], [0, 1, 0], [np.nan] * 3, [0.5, 0.5, 0]])
    g = np.array([IN, IN, ANTI, IN, ANTI])
    f = twa_validity.basin_fraction(census, g)
    np.testing.assert_allclose(f, [1, 63 / 64, 1, np.nan, 0.5])
    M = np.array([64, 64, 128, 0, 64])
    np.testing.assert_array_equal(twa_validity.noise_basin(f, M), [False, True, False, False, True])
    # with a tolerance: the off-class fraction must exceed it by the binomial error
    np.testing.assert_array_equal(twa_validity.noise_basin(f, M, threshold=0.1, sigmas=2), [False] * 4 + [True])


def _res(certified, fraction, M):
    n = len(certified)
    return {"verdict": np.where(certified, "stable_limit_cycle", "not_settled"),
            "certified": np.asarray(certified), "twa_basin_fraction": np.asarray(fraction, float),
            "twa_trajectories": np.asarray(M), "S_Q": np.full(n, 0.2)}


def test_basin_verdict_uncertifies_only_certified_points_off_their_basin():
    assert "noise_basin" in VERDICTS
    res = _res([True, True, True, False], [1.0, 63 / 64, np.nan, 0.5], [64, 64, 0, 64])
    out = timedomain.basin_verdict(res, RHO_MAX)
    np.testing.assert_array_equal(out["verdict"], ["stable_limit_cycle", "noise_basin", "stable_limit_cycle",
                                                   "not_settled"])
    np.testing.assert_array_equal(out["certified"], [True, False, True, False])


def test_occupation_half_of_the_basin_check_is_the_linearisations_own_bound():
    """The state the Gaussian method describes — the orbit z plus Gaussian fluctuations whose
    RMS is ρ|z| (rms² = (V_XX + V_YY)/2, vacuum V = I/2) — sampled as a Wigner ensemble has
    ⟨o†o⟩ = ⟨|z|²⟩_W − ½ = |z|²(1 + ρ²) − ½: within ρ² of |z|², so at ρ just inside the
    certificate's ρ_max the check passes, and a state whose occupation is off by more fails it.
    Known answers: 1,338 ensemble photons against the orbit's 583 (the paper run's fig3 a point
    K = 2×10⁻⁵, ρ = 0.875, whose S_Q the Gaussian method overestimates 100×) → shift 1.29, flagged;
    no ensemble (NaN) → not flagged."""
    rng = np.random.default_rng(5)
    z0, M = 30.0 * np.exp(0.7j), 200_000
    for rho, flagged in ((0.95 * RHO_MAX, False), (1.1 * RHO_MAX, True)):
        v = (rho * abs(z0)) ** 2                                  # (V_XX + V_YY)/2 = v, V_XX = V_YY = v
        z = z0 + rng.normal(0, np.sqrt(v / 2), M) + 1j * rng.normal(0, np.sqrt(v / 2), M)   # Var Re z = V_XX/2
        n_ens = np.mean(np.abs(z) ** 2) - 0.5
        shift = twa_validity.occupation_shift([[n_ens]], [[abs(z0) ** 2]])
        np.testing.assert_allclose(shift, rho ** 2 - 0.5 / abs(z0) ** 2, rtol=0.02)
        assert twa_validity.off_orbit(shift, RHO_MAX)[0] == flagged
    shift = twa_validity.occupation_shift([[1338.0, 0.5, np.nan], [3469.0, 1000.0, np.nan]],
                                          [[583.4, 1000.0, 10.0], [4343.5, 1000.0, 10.0]])
    np.testing.assert_allclose(shift[:2], [1338 / 583.4 - 1, 0.9995], rtol=1e-6)
    np.testing.assert_array_equal(twa_validity.off_orbit(shift, RHO_MAX), [True, True, False])
    res = {**_res([True, True, True], [1.0, 1.0, np.nan], [64, 64, 0]),
           "N_a": np.array([583.4, 1000.0, 10.0]), "N_a_twa": np.array([1338.0, 1010.0, np.nan]),
           "N_m": np.array([4343.5, 1000.0, 10.0]), "N_m_twa": np.array([3469.0, 1005.0, np.nan])}
    out = timedomain.basin_verdict(res, RHO_MAX)
    np.testing.assert_array_equal(out["verdict"], ["noise_basin", "stable_limit_cycle", "stable_limit_cycle"])
    np.testing.assert_allclose(out["twa_occupation_shift"][:2], [1338 / 583.4 - 1, 0.01])
    assert np.isnan(out["twa_occupation_shift"][2])


def _fake_adaptive(model, params, initial, settings, tw, point_ids, traces):
    """twa.adaptive stand-in: 4 points, census all in phase except point 1 (one of 64 anti-phase),
    switching 0 except point 3 (0.25), occupations large (q small)."""
    n = params.batch_size
    r = {k: np.full(n, 0.2) for k in ("S_Q", "S_Q_err", "S_Q_lo", "S_Q_hi", "S_C", "S_C_err")}
    census = np.tile([1.0, 0.0, 0.0], (n, 1))
    census[1] = [63 / 64, 1 / 64, 0]
    r.update(numbers=np.ones((n, 4)), covariance=np.zeros((n, 8, 8)), census=census,
             S_Q_by_attractor=np.zeros((n, 3)), S_Q_by_attractor_err=np.zeros((n, 3)),
             trajectories=np.full(n, 64), decided=np.ones(n, bool), occupations=np.full((5, 4, n), 300.0),
             switching=np.array([0, 0, 0, 0.25])[:n])
    return r


def test_run_stores_switching_basin_fraction_and_applies_the_basin_verdict(monkeypatch):
    monkeypatch.setattr(twa, "adaptive", _fake_adaptive)
    monkeypatch.setattr(twa, "protocol_attractor", lambda model, p, x, s: np.full(p.batch_size, IN))
    spec = SimpleNamespace(twa_settings=TWASettings(), model_object=L.MODEL, initial=None,
                           solver_settings=SolverSettings(t_end_tau=6, window_tau=(4, 6)), figure="f")
    allp = L.LaiParams(K=np.linspace(-1e-5, 1e-5, 4))
    out = timedomain._twa(spec, allp, False, slice(0, 4), np.ones(4, bool), x_end=np.zeros((4, 8)))
    np.testing.assert_array_equal(out["twa_switching"], [0, 0, 0, 0.25])
    np.testing.assert_array_equal(out["twa_questionable"], [False, False, False, True])
    np.testing.assert_allclose(out["twa_basin_fraction"], [1, 63 / 64, 1, 1])
    res = {**_res([True, True, False, True], out["twa_basin_fraction"], out["twa_trajectories"]), **out}
    np.testing.assert_array_equal(timedomain.basin_verdict(res, RHO_MAX)["certified"], [True, False, False, True])


def test_claims_take_the_ensemble_where_the_gaussian_fails_the_basin_check():
    """A certified Gaussian point (S_Q = 0.2, in the sync range) whose ensemble sits partly on
    the anti-phase branch (S_Q_twa = 0.001): after the basin check the claim is decided by the
    ensemble there (not reproduced), the strict-Gaussian column (the other certified points of the
    range) and the dynamics-only one still say reproduced, and the
    cross-check counts the point as failing the basin check, not as a disagreement."""
    X = np.linspace(-1.6, -0.4, 13)
    at = np.isclose(X, -1.0)
    cd = np.where((X >= -1.1 - 1e-9) & (X <= -0.8 + 1e-9), 0.2, 0.0)
    frac = {"CD": np.where(at, 63 / 64, 1.0), "OD": np.ones(X.size)}
    labels = ["CD", "OD"]
    cert, verdict = [], []
    for s in labels:
        r = timedomain.basin_verdict(_res(np.ones(X.size, bool), frac[s], np.full(X.size, 64)), RHO_MAX)
        cert.append(r["certified"])
        verdict.append(r["verdict"])
    cert = np.array(cert)
    dims = ("series", "Delta_m")
    twa_val = np.where(np.array([at, np.zeros(X.size, bool)]), 0.001, np.nan)
    twa_val[0, 0] = 0.0                                                   # a cross-check point that agrees
    ran = np.isfinite(twa_val)
    ds = xr.Dataset({"S_Q": (dims, np.array([cd, np.zeros(X.size)])), "certified": (dims, cert),
                     "dynamically_stable": (dims, np.ones_like(cert)), "verdict": (dims, np.array(verdict)),
                     "S_Q_twa": (dims, twa_val), "S_Q_twa_err": (dims, np.where(ran, 0.002, np.nan)),
                     "twa_decided": (dims, ran), "twa_questionable": (dims, np.zeros_like(ran)),
                     "twa_truncation": (dims, np.where(ran, 0.01, np.nan)),
                     "twa_trajectories": (dims, np.where(ran, 64, 0))},
                    coords={"series": labels, "Delta_m": X})
    claim = {"id": "X", "evaluator": "contrast_in_range", "datasets": ["f/b"],
             "test": {"dataset": "f/b", "axis": "Delta_m", "range": [-1.1, -0.8], "sync": "CD", "zero": "OD"}}
    r = claims.evaluate(claim, {"f/b": ds}, {"S_zero": 0.01, "S_sync": 0.05, "equal_tol": 1e-9})
    assert r.verdict == "not_reproduced" and "twa (1 points, M = 64)" in r.decided_by
    assert r.verdict_gaussian == "reproduced" and r.verdict_dynamics_only == "reproduced"
    c = crosscheck({"f/b": ds})
    assert c["crosscheck"]["points"] == 1 and c["crosscheck"]["agree"] == 1
    assert c["basin"] == {"gaussian_certified_with_ensemble": 2, "noise_basin": 1, "twa_questionable": 0,
                          "gaussian_certified_without_ensemble": 2 * X.size - 2}
    assert "1 (50.0 %) fail the basin check" in crosscheck_markdown(c)
