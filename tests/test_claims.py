"""Every claim evaluator on synthetic datasets: a case where the claim holds (reproduced), one
where it fails (not_reproduced), and one whose deciding points are not certified (inconclusive)."""
import numpy as np
import xarray as xr

from qorepro import claims

TH = {"S_zero": 0.01, "S_sync": 0.05, "equal_tol": 1e-9}


def line(axis, xs, series, cert=None, var="S_Q", extra=None):
    """Dataset with var(series, axis); cert: {label: bool array} (default all certified)."""
    labels = list(series)
    vals = np.array([series[s] for s in labels], dtype=float)
    c = np.array([cert[s] if cert and s in cert else np.ones(len(xs), bool) for s in labels])
    ds = xr.Dataset({var: (("series", axis), vals), "certified": (("series", axis), c),
                     "dynamically_stable": (("series", axis), c),
                     "verdict": (("series", axis), np.where(c, "stable_limit_cycle", "linearization_invalid"))},
                    coords={"series": labels, axis: np.asarray(xs, float)})
    for k, v in (extra or {}).items():
        ds[k] = (("series", axis), np.array([v[s] for s in labels], dtype=float))
    return ds


def kmap(axis, xs, Ks, fn, cert=None):
    X, Kk = np.meshgrid(xs, Ks, indexing="ij")
    v = fn(X, Kk)[None]
    c = np.ones_like(v, bool) if cert is None else cert(X, Kk)[None]
    return xr.Dataset({"S_Q": (("series", axis, "K"), v), "certified": (("series", axis, "K"), c),
                       "dynamically_stable": (("series", axis, "K"), c),
                       "verdict": (("series", axis, "K"), np.where(c, "stable_limit_cycle", "not_settled"))},
                      coords={"series": ["default"], axis: xs, "K": Ks})


def trace(series, t, cert=None, var="S_Q_t"):
    labels = list(series)
    c = np.array([True if cert is None else cert.get(s, True) for s in labels])
    return xr.Dataset({var: (("series", "t"), np.array([series[s] for s in labels])),
                       "certified": ("series", c), "dynamically_stable": ("series", c),
                       "verdict": ("series", np.where(c, "stable_limit_cycle", "not_settled"))},
                      coords={"series": labels, "t": t})


def run(evaluator, datasets, test, certification=True):
    claim = {"id": "X", "evaluator": evaluator, "datasets": list(datasets), "test": test,
             "certification": certification}
    return claims.evaluate(claim, datasets, TH).verdict


def check(evaluator, test, good, bad, uncertain=None, certification=True):
    assert run(evaluator, good, test, certification) == "reproduced"
    assert run(evaluator, bad, test, certification) == "not_reproduced"
    if uncertain is not None:
        assert run(evaluator, uncertain, test, certification) == "inconclusive"


X = np.linspace(-1.6, -0.4, 13)


def test_sigma_linear_opposite():
    om = np.linspace(0, 10, 11)
    good = xr.Dataset({"sigma_a": (("series", "Omega"), np.array([0.05 * om, -0.05 * om]))},
                      coords={"series": ["left", "right"], "Omega": om})
    bad = good.copy(deep=True)
    bad["sigma_a"].loc[dict(series="right")] = 0.05 * om          # same sign: not opposite
    check("sigma_linear_opposite", {"dataset": "f/c", "at_kHz": 6.0}, {"f/c": good}, {"f/c": bad},
          certification=False)


def test_direction_dependence():
    bump = lambda c: 0.3 * np.exp(-((X - c) / 0.1) ** 2)
    static = line("Delta_a", X, {"left": bump(-1.0), "right": bump(-1.0)})
    spin = line("Delta_a", X, {"left": bump(-0.7), "right": bump(-1.3)})
    same = line("Delta_a", X, {"left": bump(-1.0), "right": bump(-1.0)})
    unc = line("Delta_a", X, {"left": bump(-0.7), "right": bump(-1.3)},
               cert={"left": np.abs(X + 0.7) > 0.15, "right": np.abs(X + 1.3) > 0.15})
    t = {"spinning": "s/b", "static": "s/a"}
    check("direction_dependence", t, {"s/a": static, "s/b": spin}, {"s/a": static, "s/b": same},
          {"s/a": static, "s/b": unc})


def test_trace_late_window():
    t = np.linspace(0, 200, 401)
    test = {"dataset": "s/a", "t_from_tau": 50, "cases": {"CD": "CD", "K0": "K=0", "OD": "OD"},
            "synchronized": ["CD", "K0"], "zero": ["OD"], "greater": [["CD", "K0"]]}
    good = trace({"CD": 0.3 + 0 * t, "K=0": 0.2 + 0 * t, "OD": 0.001 + 0 * t}, t)
    bad = trace({"CD": 0.3 + 0 * t, "K=0": 0.2 + 0 * t, "OD": 0.1 + 0 * t}, t)
    unc = trace({"CD": 0.3 + 0 * t, "K=0": 0.2 + 0 * t, "OD": 0.001 + 0 * t}, t, cert={"OD": False})
    check("trace_late_window", test, {"s/a": good}, {"s/a": bad}, {"s/a": unc})


def test_contrast_in_range():
    inr = (X >= -1.1 - 1e-9) & (X <= -0.8 + 1e-9)
    good = line("Delta_m", X, {"CD": np.where(inr, 0.3, 0.0), "OD": np.zeros_like(X)})
    bad = line("Delta_m", X, {"CD": np.where(inr, 0.3, 0.0), "OD": np.where(inr, 0.2, 0.0)})
    unc = line("Delta_m", X, {"CD": np.where(inr, 0.3, 0.0), "OD": np.zeros_like(X)}, cert={"OD": ~inr})
    test = {"dataset": "f/b", "axis": "Delta_m", "range": [-1.1, -0.8], "sync": "CD", "zero": "OD"}
    check("contrast_in_range", test, {"f/b": good}, {"f/b": bad}, {"f/b": unc})


def test_argmax_near():
    peak = lambda c: np.exp(-((X - c) / 0.1) ** 2)
    test = {"at": -1.0, "tol": 0.1, "curves": {"m": {"dataset": "s/c", "series": "CD", "axis": "Delta_m"}}}
    good = line("Delta_m", X, {"CD": peak(-1.0)})
    bad = line("Delta_m", X, {"CD": peak(-0.5)})
    unc = line("Delta_m", X, {"CD": peak(-1.0)}, cert={"CD": np.zeros_like(X, bool)})
    check("argmax_near", test, {"s/c": good}, {"s/c": bad}, {"s/c": unc})


def test_sign_switch():
    K = np.linspace(-5e-5, 5e-5, 11)
    good = line("K", K, {"default": np.where(K < 0, 0.3, 0.001)})
    bad = line("K", K, {"default": np.where(K < 0, 0.3, 0.1)})
    unc = line("K", K, {"default": np.where(K < 0, 0.3, 0.001)}, cert={"default": K < 0})
    check("sign_switch", {"datasets": ["f/c"]}, {"f/c": good}, {"f/c": bad}, {"f/c": unc})


def test_by_construction_is_not_counted_as_reproduced():
    # nothing is computed for a statement that holds by construction: it must not count as reproduced
    assert run("by_construction", {}, {"reason": "model symmetry"}, certification=False) == "inconclusive"


def test_vanish_beyond_and_kerr_sync_on_a_map():
    rho = np.linspace(0.5, 3, 6)
    K = np.linspace(-5e-5, 5e-5, 5)
    good = kmap("rho", rho, K, lambda r, k: np.where(k < 0, 0.3, np.where(r > 1, 0.0, 0.2)))
    bad = kmap("rho", rho, K, lambda r, k: np.where(k < 0, 0.3, 0.2))
    unc = kmap("rho", rho, K, lambda r, k: np.where(k < 0, 0.3, np.where(r > 1, 0.0, 0.2)),
               cert=lambda r, k: k < 0)
    test = {"datasets": ["f/a"], "axis": "rho", "side": "above", "threshold": 1.0}
    check("vanish_beyond_and_kerr_sync", test, {"f/a": good}, {"f/a": bad}, {"f/a": unc})


def test_kerr_on_exceeds_off():
    g = np.linspace(0.001, 0.012, 5)
    off = line("gamma", g, {"default": 0.1 - 5 * g})
    on_good = line("gamma", g, {"default": 0.2 - 5 * g})
    on_bad = line("gamma", g, {"default": 0.05 - 5 * g})
    on_unc = line("gamma", g, {"default": 0.2 - 5 * g}, cert={"default": np.zeros(5, bool)})
    t = {"on_dataset": "on", "off_dataset": "off"}
    check("kerr_on_exceeds_off", t, {"on": on_good, "off": off}, {"on": on_bad, "off": off},
          {"on": on_unc, "off": off})


def test_optimum_near():
    km = np.linspace(0.05, 0.4, 15)
    test = {"dataset": "s/d", "axis": "kappa_m", "on_series": "K<0", "off_series": "K=0", "at": 0.25,
            "tol": 0.05, "off_threshold": 0.24, "off_side": "above"}
    good = line("kappa_m", km, {"K<0": np.exp(-((km - 0.25) / 0.05) ** 2), "K=0": np.where(km > 0.24, 0, 0.2)})
    bad = line("kappa_m", km, {"K<0": np.exp(-((km - 0.1) / 0.05) ** 2), "K=0": np.where(km > 0.24, 0, 0.2)})
    unc = line("kappa_m", km, {"K<0": np.exp(-((km - 0.25) / 0.05) ** 2), "K=0": np.where(km > 0.24, 0, 0.2)},
               cert={"K<0": np.zeros(15, bool)})
    check("optimum_near", test, {"s/d": good}, {"s/d": bad}, {"s/d": unc})


def test_decreasing_series():
    test = {"dataset": "f/c", "order": ["n=0", "n=1", "n=10"]}
    good = line("Delta_m", X, {"n=0": 0.3 + 0 * X, "n=1": 0.2 + 0 * X, "n=10": 0.1 + 0 * X})
    bad = line("Delta_m", X, {"n=0": 0.3 + 0 * X, "n=1": 0.35 + 0 * X, "n=10": 0.1 + 0 * X})
    unc = line("Delta_m", X, {"n=0": 0.3 + 0 * X, "n=1": 0.2 + 0 * X, "n=10": 0.1 + 0 * X},
               cert={"n=1": np.zeros_like(X, bool)})
    check("decreasing_series", test, {"f/c": good}, {"f/c": bad}, {"f/c": unc})


def test_close_to_or_above():
    test = {"fraction": 0.9, "test": {"dataset": "f/d", "series": "on"}, "reference": {"dataset": "f/c", "series": "ideal"}}
    ref = line("Delta_m", X, {"ideal": 0.3 + 0 * X})
    good = line("Delta_m", X, {"on": 0.29 + 0 * X})
    bad = line("Delta_m", X, {"on": 0.1 + 0 * X})
    unc = line("Delta_m", X, {"on": 0.29 + 0 * X}, cert={"on": np.zeros_like(X, bool)})
    check("close_to_or_above", test, {"f/c": ref, "f/d": good}, {"f/c": ref, "f/d": bad}, {"f/c": ref, "f/d": unc})


def _revival(val, cert=True):
    ds = xr.Dataset({"revival": (("series", "n_th", "K"), np.full((1, 2, 2), 0.0)),
                     "certified": (("series", "n_th", "K", "Delta_m"), np.full((1, 2, 2, 3), cert)),
                     "dynamically_stable": (("series", "n_th", "K", "Delta_m"), np.full((1, 2, 2, 3), cert)),
                     "certified_reference": ("Delta_m", np.ones(3, bool)),
                     "dynamically_stable_reference": ("Delta_m", np.ones(3, bool))},
                    coords={"series": ["default"], "n_th": [0, 10], "K": [-1e-5, 0], "Delta_m": [-1.1, -1, -0.9]})
    ds["revival"][0, 1, 0] = val
    ds["verdict"] = ds["certified"].astype(str)
    return ds


def test_max_value_near():
    test = {"dataset": "f/e", "variable": "revival", "over": "Delta_m", "target": 0.99, "tol": 0.05}
    check("max_value_near", test, {"f/e": _revival(0.985)}, {"f/e": _revival(1.6)},
          {"f/e": _revival(0.985, cert=False)})


def test_coupling_symmetry():
    K = np.linspace(-5e-5, 5e-5, 11)
    test = {"dataset": "f/f", "K_CD": -2e-5, "K_OD": 2e-5, "sym_tol": 0.1, "asym_min": 0.1}
    mk = lambda gm, cert=None: line("K", K, {"default": 0 * K}, cert=cert,
                                    extra={"G_a": {"default": 0.1 + 0 * K}, "G_m": {"default": gm}})
    good = mk(np.where(K < 0, 0.102, 0.15))
    bad = mk(np.where(K < 0, 0.15, 0.15))
    unc = mk(np.where(K < 0, 0.102, 0.15), cert={"default": K > 0})
    check("coupling_symmetry", test, {"f/f": good}, {"f/f": bad}, {"f/f": unc})


def test_kerr_on_enhances_vs_chi():
    chi = np.linspace(0, 0.05, 6)
    test = {"dataset": "s/a", "on_series": "CD", "off_series": "K=0"}
    good = line("chi", chi, {"CD": 0.2 + chi, "K=0": 0.2 - chi})
    bad = line("chi", chi, {"CD": 0.2 - 2 * chi, "K=0": 0.2 - chi})
    unc = line("chi", chi, {"CD": 0.2 + chi, "K=0": 0.2 - chi}, cert={"CD": chi == 0})
    check("kerr_on_enhances_vs_chi", test, {"s/a": good}, {"s/a": bad}, {"s/a": unc})


def test_complete_sync_values():
    mk = lambda cd, od, cert=None: trace({"CD": np.zeros(3), "OD": np.zeros(3)}, [0, 1, 2], cert=cert).assign(
        S_C=("series", [cd, od]))
    test = {"dataset": "s/a", "value": 0.015, "factor": 2.0, "zero": 0.0015}
    check("complete_sync_values", test, {"s/a": mk(0.014, 1e-5)}, {"s/a": mk(0.1, 1e-5)},
          {"s/a": mk(0.014, 1e-5, cert={"CD": False})})


def test_mean_trajectories():
    t = np.linspace(180, 200, 201)
    def mk(d, cert=True):
        ds = trace({"x": np.zeros_like(t)}, t, cert={"x": cert})
        ds["X_b1"] = (("series", "t"), [300 * np.cos(2 * np.pi * t)])
        ds["X_b2"] = (("series", "t"), [300 * np.cos(2 * np.pi * t + d)])
        ds["Y_b1"] = (("series", "t"), [300 * np.sin(2 * np.pi * t)])
        ds["Y_b2"] = (("series", "t"), [300 * np.sin(2 * np.pi * t + d)])
        return ds
    test = {"CD": "s/CD", "OD": "s/OD", "t_from_tau": 180, "same_tol": 0.1, "different_min": 0.3}
    check("mean_trajectories", test, {"s/CD": mk(0.02), "s/OD": mk(2.0)}, {"s/CD": mk(1.0), "s/OD": mk(2.0)},
          {"s/CD": mk(0.02, cert=False), "s/OD": mk(2.0)})


def test_stability_everywhere():
    def mk(re, verdicts):
        return xr.Dataset({"fp_max_re_eig": ("K", np.asarray(re, float)), "verdict": ("K", verdicts)},
                          coords={"K": [0, 1]})
    check("stability_everywhere", {"mode": "fixed_point"}, {"a": mk([-0.1, -0.2], ["x", "x"])},
          {"a": mk([-0.1, 0.2], ["x", "x"])}, certification=False)
    check("stability_everywhere", {"mode": "dynamics"},
          {"a": mk([1, 1], ["stable_limit_cycle", "stable_fixed_point"])},
          {"a": mk([1, 1], ["stable_limit_cycle", "not_settled"])}, certification=False)


def test_bound_everywhere():
    test = {"variables": ["S_Q_max"], "bound": 1.0, "tol": 1e-9}
    good = line("K", [0, 1], {"d": [0.5, 1.0]}, var="S_Q_max")
    bad = line("K", [0, 1], {"d": [0.5, 1.2]}, var="S_Q_max")
    check("bound_everywhere", test, {"a": good}, {"a": bad}, certification=False)


def test_in_interval():
    mk = lambda ga, cert=True: xr.Dataset({"G_a": ga, "G_m": 0.1, "certified": cert,
                                           "dynamically_stable": cert, "verdict": "x"})
    test = {"dataset": "t/b", "variables": ["G_a", "G_m"], "interval": [0.0, 0.2]}
    check("in_interval", test, {"t/b": mk(0.15)}, {"t/b": mk(0.25)}, {"t/b": mk(0.15, cert=False)})


def test_hurwitz_all_positive():
    mk = lambda v: xr.Dataset({"theta": (("a", "k"), np.array([[1.0, 2.0, 3.0], [1.0, 2.0, v]]))},
                              coords={"a": [0, 1], "k": [1, 2, 3]})
    check("hurwitz_all_positive", {"dataset": "s/a"}, {"s/a": mk(1.0)}, {"s/a": mk(-1.0)}, certification=False)


def test_every_evaluator_is_tested():
    import inspect
    names = {n[5:] for n, _ in inspect.getmembers(__import__(__name__), inspect.isfunction) if n.startswith("test_")}
    tested = " ".join(names)
    for ev in claims.EVALUATORS:
        assert ev in tested, ev


def test_claims_file_references_known_evaluators_and_panels():
    from pathlib import Path

    import yaml
    root = Path(__file__).resolve().parents[1]
    spec = yaml.safe_load((root / "config" / "claims.yaml").read_text())
    cfg = yaml.safe_load((root / "config" / "config.yaml").read_text())
    ids = [c["id"] for c in spec["claims"]]
    assert len(ids) == len(set(ids)) and len(ids) >= 23 + 14
    for c in spec["claims"]:
        assert c["evaluator"] in claims.EVALUATORS
        for key in c["datasets"]:
            fig, panel = key.split("/")
            assert panel in cfg["figures"][fig]["panels"], key


# ----------------------------------------------------------- companion papers (Jiao 2020, 2022)
D = np.linspace(0.0, 2.0, 41)
peak = lambda c, h=0.15: h * np.exp(-((D - c) / 0.2) ** 2)


def _steady(ds):
    """Mark a synthetic dataset as steady-state: uncertified points are stable but unphysical."""
    ds["dynamically_stable"] = xr.ones_like(ds["certified"], dtype=bool)
    return ds


def test_reciprocity():
    th = {"static": ["f/a", "s left", "s right"], "spinning": ["f/a", "w left", "w right"],
          "equal_rel_tol": 0.02, "min_rel_diff": 0.1}
    good = line("Delta_c", D, {"s left": peak(1), "s right": peak(1), "w left": peak(0.5), "w right": peak(1.5)}, var="E_N")
    bad = line("Delta_c", D, {"s left": peak(1), "s right": peak(1.1), "w left": peak(0.5), "w right": peak(1.5)}, var="E_N")
    unc = line("Delta_c", D, {"s left": peak(1), "s right": peak(1), "w left": peak(0.5), "w right": peak(1.5)}, var="E_N",
               cert={k: np.zeros(D.size, bool) for k in ("s left", "s right", "w left", "w right")})
    check("reciprocity", th, {"f/a": good}, {"f/a": bad}, {"f/a": unc})


def test_enhancement_ratio():
    th = {"numerator": [["f/b", "left"], ["f/b", "right"]], "denominator": [["f/a", "J"]], "interval": [2.0, 3.0]}
    a = line("Delta_c", D, {"J": peak(1, 0.04)}, var="E_N")
    good = line("Delta_c", D, {"left": peak(0.5, 0.1), "right": peak(1.5, 0.05)}, var="E_N")
    bad = line("Delta_c", D, {"left": peak(0.5, 0.06), "right": peak(1.5, 0.05)}, var="E_N")
    unc = line("Delta_c", D, {"left": peak(0.5, 0.1), "right": peak(1.5, 0.05)}, var="E_N",
               cert={"left": np.zeros(D.size, bool), "right": np.zeros(D.size, bool)})
    check("enhancement_ratio", th, {"f/a": a, "f/b": good}, {"f/a": a, "f/b": bad}, {"f/a": a, "f/b": unc})


def test_revival_max():
    chi, om = np.linspace(0.9, 1.0, 5), np.linspace(0, 1.5, 4)

    def mk(top, cert=True):
        rv = np.full((1, 5, 4), 0.3)
        rv[0, 1, 2] = top
        c = np.full((1, 5, 4), cert)
        return xr.Dataset({"revival": (("series", "chi", "Omega_l"), rv), "certified": (("series", "chi", "Omega_l"), c),
                           "dynamically_stable": (("series", "chi", "Omega_l"), np.ones_like(c)),
                           "certified_reference": ("D", [True]), "dynamically_stable_reference": ("D", [True]),
                           "verdict": (("series", "chi", "Omega_l"), np.where(c, "stable_fixed_point", "unphysical_covariance"))},
                          coords={"series": ["default"], "chi": chi, "Omega_l": om})
    th = {"dataset": "f/e", "where": {"chi": [0.0, 0.97]}, "interval": [0.8, 1.0]}
    check("revival_max", th, {"f/e": mk(0.85)}, {"f/e": mk(0.7)}, {"f/e": mk(0.85, cert=False)})


def _tmap(vals, cert=True):
    T = np.array([0.0, 300.0, 600.0, 900.0])
    v = np.asarray(vals, float)[None, :, None] * np.ones((1, 4, 3))
    c = np.full(v.shape, cert)
    return _steady(xr.Dataset({"Delta_E_N": (("series", "T", "Delta_c"), v), "certified": (("series", "T", "Delta_c"), c),
                               "verdict": (("series", "T", "Delta_c"), np.where(c, "stable_fixed_point", "unphysical_covariance"))},
                              coords={"series": ["left"], "T": T, "Delta_c": [0.5, 1.0, 1.5]}))


def test_nonzero_up_to():
    th = {"datasets": ["s/e"], "variable": "Delta_E_N", "axis": "T", "nonzero": 1e-3, "interval": [500, 700]}
    check("nonzero_up_to", th, {"s/e": _tmap([0.1, 0.05, 0.01, 0.0])}, {"s/e": _tmap([0.1, 0.0, 0.0, 0.0])})


def test_nonzero_for_all():
    th = {"dataset": "s/a", "variable": "Delta_E_N", "axis": "T", "from": 300.0, "nonzero": 1e-3}
    check("nonzero_for_all", th, {"s/a": _tmap([0.0, 0.05, 0.01, 0.02])}, {"s/a": _tmap([0.1, 0.05, 0.0, 0.02])},
          {"s/a": _tmap([0.0, 0.05, 0.01, 0.02], cert=False)})


def test_hurwitz_only_last_two():
    mk = lambda v: xr.Dataset({"theta": (("a", "k"), np.array([[1.0, 2.0, 3.0, -1.0], [1.0, v, 3.0, 4.0]]))},
                              coords={"a": [0, 1], "k": [1, 2, 3, 4]})
    check("hurwitz_only_last_two", {"dataset": "s/c"}, {"s/c": mk(2.0)}, {"s/c": mk(-2.0)}, certification=False)


def test_covariance_pattern():
    def mk(v24, cert=True):
        V = np.array([[0.5, 0.0, -0.15, -0.25], [0.0, 0.5, 0.24, v24], [-0.15, 0.24, 1.1, 0.0], [-0.25, v24, 0.0, 1.1]])
        V[1, 3] = V[3, 1] = v24
        c = np.array([cert, cert])
        return _steady(xr.Dataset({"V_mech": (("series", "mrow", "mcol"), np.stack([V, V])),
                                   "certified": ("series", c),
                                   "verdict": ("series", np.where(c, "stable_fixed_point", "unphysical_covariance"))},
                                  coords={"series": ["left", "right"]}))
    th = {"dataset": "f/a", "rel_tol": 0.1}
    check("covariance_pattern", th, {"f/a": mk(-0.14)}, {"f/a": mk(0.1)}, {"f/a": mk(-0.14, cert=False)})


def test_physical_everywhere_and_max_above():
    def mk(umin, en=0.05):
        bad = umin < 0
        return xr.Dataset({"uncertainty_min_eig": ("x", np.array([0.0, umin])), "E_N": ("x", np.array([0.0, en])),
                           "dynamically_stable": ("x", np.array([True, True])), "certified": ("x", np.array([True, not bad])),
                           "verdict": ("x", np.array(["stable_fixed_point", "unphysical_covariance" if bad else "stable_fixed_point"]))},
                          coords={"x": [0, 1]})
    check("physical_everywhere", {}, {"f/a": mk(0.0)}, {"f/a": mk(-0.1)}, certification=False)
    check("max_above", {"variable": "E_N", "above": 1e-3}, {"f/a": mk(0.0)}, {"f/a": mk(0.0, en=0.0)},
          {"f/a": mk(-0.1)})


def _with_twa(ds, twa, err):
    """Attach truncated-Wigner values S_Q_twa ± err (same shape as S_Q) and mark every point
    uncertified, so the best-method decision uses the TWA values."""
    out = ds.copy(deep=True)
    out["S_Q_twa"] = (ds["S_Q"].dims, np.asarray(twa, float))
    out["S_Q_twa_err"] = (ds["S_Q"].dims, np.broadcast_to(err, ds["S_Q"].shape).astype(float))
    out["certified"] = xr.zeros_like(ds["certified"])
    return out


def test_statistical_values_are_equal_within_their_error_bars():
    """Ω = 0: left and right are the same equations; their TWA values differ only by sampling
    noise, so "identical" means within 3 standard errors of the difference — not within the
    1e-9 meant for deterministic values.  A real difference (here 0.05 at 0.002 error) fails."""
    bump = lambda c: 0.3 * np.exp(-((X - c) / 0.1) ** 2)
    rng = np.random.default_rng(1)
    spin = line("Delta_a", X, {"left": bump(-0.7), "right": bump(-1.3)})
    static = line("Delta_a", X, {"left": bump(-1.0), "right": bump(-1.0)})
    noisy = bump(-1.0)[None] + 0.002 * rng.standard_normal((2, X.size))
    shifted = noisy + np.array([[0.0], [0.05]])
    claim = {"id": "X", "evaluator": "direction_dependence", "datasets": ["s/a", "s/b"],
             "test": {"spinning": "s/b", "static": "s/a"}}
    spin_twa = _with_twa(spin, spin["S_Q"].values, 0.002)
    same = claims.evaluate(claim, {"s/a": _with_twa(static, noisy, 0.002), "s/b": spin_twa}, TH)
    differ = claims.evaluate(claim, {"s/a": _with_twa(static, shifted, 0.002), "s/b": spin_twa}, TH)
    assert same.verdict == "reproduced" and same.decided_by.startswith("twa (")
    assert "gaussian" not in same.decided_by and same.verdict_gaussian == "inconclusive"
    assert differ.verdict == "not_reproduced"


def test_split_ensembles_are_not_compared_for_equality():
    """A point whose ensemble is split between attractors (a few trajectories on the other
    branch) has an S_Q that hinges on that count; it is left out of the Ω = 0 equality test
    and counted, instead of failing the claim."""
    bump = lambda c: 0.3 * np.exp(-((X - c) / 0.1) ** 2)
    spin = line("Delta_a", X, {"left": bump(-0.7), "right": bump(-1.3)})
    static = line("Delta_a", X, {"left": bump(-1.0), "right": bump(-1.0)})
    vals = np.array([bump(-1.0), bump(-1.0)])
    vals[1, 6] = 3e-4                                  # right: 1 % on the anti-phase branch
    st = _with_twa(static, vals, 1e-4)
    census = np.zeros(vals.shape + (3,))
    census[..., 0] = 1.0
    census[1, 6] = [0.99, 0.01, 0.0]
    st["census_twa"] = (("series", "Delta_a", "attractor"), census)
    claim = {"id": "X", "evaluator": "direction_dependence", "datasets": ["s/a", "s/b"],
             "test": {"spinning": "s/b", "static": "s/a"}}
    r = claims.evaluate(claim, {"s/a": st, "s/b": _with_twa(spin, spin["S_Q"].values, 0.002)}, TH)
    assert r.verdict == "reproduced"
    assert r.measured["best_method"]["n_static_points_split_ensemble"] == 1
    st["census_twa"] = (("series", "Delta_a", "attractor"), np.where(census > 0.5, 1.0, 0.0))
    r = claims.evaluate(claim, {"s/a": st, "s/b": _with_twa(spin, spin["S_Q"].values, 0.002)}, TH)
    assert r.verdict == "not_reproduced"      # same census: a real difference


def _adaptive_twa(ds, twa, decided=True, questionable=False, M=256, q=0.01):
    """Attach an adaptive ensemble's variables: S_Q_twa ± 0.002, twa_decided,
    twa_questionable, twa_truncation, twa_trajectories (M; 0 and NaN where twa is NaN)."""
    out = ds.copy(deep=True)
    dims, shape = ds["S_Q"].dims, ds["S_Q"].shape
    twa = np.asarray(twa, float)
    ran = np.isfinite(twa)
    out["S_Q_twa"] = (dims, twa)
    out["S_Q_twa_err"] = (dims, np.where(ran, 0.002, np.nan))
    out["twa_decided"] = (dims, np.broadcast_to(decided, shape) & ran)
    out["twa_questionable"] = (dims, np.broadcast_to(questionable, shape) & ran)
    out["twa_truncation"] = (dims, np.where(ran, np.broadcast_to(q, shape), np.nan))
    out["twa_trajectories"] = (dims, np.where(ran, np.broadcast_to(M, shape), 0))
    return out


def test_best_method_per_point():
    """The headline verdict takes the Gaussian value where certified, the TWA value where the
    ensemble is valid and decided, and is inconclusive where the deciding point has neither —
    naming the point and both reasons; the strict-Gaussian column stays beside it."""
    cd = np.where((X >= -1.1 - 1e-9) & (X <= -0.8 + 1e-9), 0.2, 0.0)
    od = np.zeros_like(X)
    cert = {"CD": ~np.isclose(X, -1.0), "OD": np.ones(X.size, bool)}     # CD at Δ = −1.0 not certified
    base = line("Delta_m", X, {"CD": cd, "OD": od}, cert=cert)
    base["S_Q"] = base["S_Q"].where(base["certified"], 0.0)                # its raw Gaussian value fails
    twa = np.where(base["certified"].values, np.nan, 0.19)                # TWA where uncertified only
    claim = {"id": "X", "evaluator": "contrast_in_range", "datasets": ["f/b"],
             "test": {"dataset": "f/b", "axis": "Delta_m", "range": [-1.1, -0.8], "sync": "CD", "zero": "OD"}}

    def ev(ds):
        return claims.evaluate(claim, {"f/b": ds}, TH)

    r = ev(_adaptive_twa(base, twa))
    assert r.verdict == "reproduced" and r.verdict_gaussian == "inconclusive"
    assert r.decided_by == f"gaussian ({2 * X.size - 1} points) + twa (1 points, M = 256)"
    r = ev(_adaptive_twa(base, twa, questionable=True, q=0.3))
    assert r.verdict == "inconclusive" and r.verdict_gaussian == "inconclusive"
    assert "1 point(s) decided by neither method" in r.note
    assert "Delta_m = -1" in r.note and "Gaussian linearization_invalid" in r.note and "q = 0.3" in r.note
    r = ev(_adaptive_twa(base, twa, decided=False, M=512))
    assert r.verdict == "inconclusive" and "TWA undecided at M = 512" in r.note
    r = ev(_adaptive_twa(base, np.where(base["certified"].values, np.nan, 0.001)))
    assert r.verdict == "not_reproduced" and "neither" not in r.decided_by
    # without any ensemble value at the point: neither method, "TWA not run"
    r = ev(_adaptive_twa(base, np.full(twa.shape, np.nan)))
    assert r.verdict == "inconclusive" and "TWA not run" in r.note
    # a certified point keeps its Gaussian value even where a (cross-check) TWA value disagrees
    cross = _adaptive_twa(base, np.where(base["certified"].values, 0.5, 0.19))
    r = ev(cross)
    assert r.verdict == "reproduced" and "differ by more than 3 error bars" in r.note
