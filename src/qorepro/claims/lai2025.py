"""Claim evaluators for Lai, Miranowicz & Nori (2025): S_Q, S_C, couplings, stability.

Contract: ``(data: Data, thresholds: dict) -> (holds: bool | None, measured: dict)``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .base import (Data, _all_at_least, _all_below, _argmax_coord, _both, _nanmax,  # noqa: F401
                   _nearest, _r)

# signature: (data: Data, th: dict) -> (holds: bool | None, measured: dict)

def sigma_linear_opposite(d: Data, th):
    """σ_a linear in Ω and opposite for left/right input (analytic, SI eq. S52)."""
    s = d.get(th["dataset"], "sigma_a")
    om = d.coord(th["dataset"], th.get("axis", "Omega"))
    left, right = s.sel(series="left").values, s.sel(series="right").values
    slope, icpt = np.polyfit(om, left, 1)
    resid = np.max(np.abs(left - (slope * om + icpt)))
    at = float(np.interp(th["at_kHz"], om, left))
    holds = bool(resid <= 1e-9 * max(1.0, np.abs(left).max()) and np.allclose(left, -right, rtol=1e-12)
                 and abs(icpt) < 1e-12 and slope > 0)
    return holds, {"slope_per_kHz": _r(slope, 6), "sigma_a_left_at_kHz": _r(at, 5),
                   "max_linear_residual": _r(resid, 2)}


def direction_dependence(d: Data, th):
    """Ω≠0: S_Q(left) and S_Q(right) differ (one synchronized where the other is not);
    Ω=0: identical within ``equal_tol`` (plus three standard errors of the difference where
    the values are statistical, i.e. truncated-Wigner ensembles; points where either ensemble
    is split between attractors are not compared, see :meth:`Data.mixed`)."""
    on = d.get(th["spinning"])
    off = d.get(th["static"])
    e_off = d.err(th["static"])
    split = d.mixed(th["static"])
    split = split.sel(series="left").values | split.sel(series="right").values
    tol_off = th["equal_tol"] + 3 * np.hypot(e_off.sel(series="left").values, e_off.sel(series="right").values)
    dl, dr = on.sel(series="left").values, on.sel(series="right").values
    one_way = ((dl >= th["S_sync"]) & (dr < th["S_zero"])) | ((dr >= th["S_sync"]) & (dl < th["S_zero"]))
    valid = ~(np.isnan(dl) | np.isnan(dr))
    diff_off = np.abs(off.sel(series="left").values - off.sel(series="right").values)
    compare = ~np.isnan(diff_off) & ~split
    h_on = None if not valid.any() else bool(one_way[valid].any())
    h_off = None if not compare.any() else bool(np.all(diff_off[compare] <= tol_off[compare]))
    measured = {
        "n_one_way_points_spinning": int(one_way[valid].sum()) if valid.any() else 0,
        "max_abs_diff_spinning": _r(np.nanmax(np.abs(dl - dr)) if valid.any() else np.nan),
        "max_abs_diff_static": _r(diff_off[compare].max() if compare.any() else np.nan)}
    if split.any():
        measured["n_static_points_split_ensemble"] = int(split.sum())
    return _both(h_on, h_off), measured


def trace_late_window(d: Data, th):
    """Time traces: late-time mean S_Q per case compared with the sync/zero thresholds."""
    t0 = th["t_from_tau"]
    m = {}
    for key, ser in th["cases"].items():
        da = d.get(th["dataset"], "S_Q_t", series=ser)
        if not d.ok(th["dataset"], series=ser):
            m[key] = np.nan
            continue
        m[key] = float(da.where(da.t > t0).mean())
    sync = [_all_at_least([m[k]], th["S_sync"]) for k in th["synchronized"]]
    zero = [_all_below([m[k]], th["S_zero"]) for k in th["zero"]]
    order = [None if np.isnan(m[a]) or np.isnan(m[b]) else m[a] > m[b] for a, b in th.get("greater", [])]
    return _both(*sync, *zero, *order), {f"mean_S_Q_{k}": _r(v) for k, v in m.items()}


def contrast_in_range(d: Data, th):
    """Within [lo, hi] of the axis: the `sync` case synchronized at every point, the `zero`
    case unsynchronized at every point."""
    da = d.get(th["dataset"])
    ax = th["axis"]
    lo, hi = th["range"]
    sel = da.where((da[ax] >= lo - 1e-12) & (da[ax] <= hi + 1e-12), drop=True)
    s, z = sel.sel(series=th["sync"]).values, sel.sel(series=th["zero"]).values
    return _both(_all_at_least(s, th["S_sync"]), _all_below(z, th["S_zero"])), {
        f"min_S_Q_{th['sync']}_in_range": _r(np.nanmin(s) if np.isfinite(s).any() else np.nan),
        f"max_S_Q_{th['zero']}_in_range": _r(_nanmax(z)), "n_points_in_range": int(sel[ax].size)}


def argmax_near(d: Data, th):
    """The maximum of S_Q along an axis lies within ``tol`` (or one grid step) of ``at``."""
    out, flags = {}, []
    for key, spec in th["curves"].items():
        da = d.get(spec["dataset"], series=spec["series"])
        ax = spec["axis"]
        xs = da[ax].values
        step = float(np.max(np.diff(xs))) if xs.size > 1 else 0.0
        xm = _argmax_coord(da, ax)
        tol = max(th["tol"], step)
        out[f"argmax_{key}"] = _r(xm)
        flags.append(None if np.isnan(xm) else abs(xm - th["at"]) <= tol)
    out["tolerance"] = th["tol"]
    return _both(*flags), out


def sign_switch(d: Data, th):
    """S_Q ≈ 0 for every K > 0 and S_Q ≥ S_sync for every K < 0 (sharp switch at K = 0)."""
    flags, out = [], {}
    for key in th["datasets"]:
        da = d.get(key)
        if "series" in da.dims:
            da = da.isel(series=0)
        pos, neg = da.where(da.K > 0, drop=True).values, da.where(da.K < 0, drop=True).values
        flags += [_all_below(pos, th["S_zero"]), _all_at_least(neg, th["S_sync"])]
        out[f"{key}: max S_Q(K>0)"] = _r(_nanmax(pos))
        out[f"{key}: min S_Q(K<0)"] = _r(np.nanmin(neg) if np.isfinite(neg).any() else np.nan)
    return _both(*flags), out


def by_construction(d: Data, th):
    """A statement the model makes true by construction: nothing is computed, so the verdict
    is ``inconclusive`` (not testable) and the reason is recorded."""
    return None, {"not_testable": th["reason"]}


def vanish_beyond_and_kerr_sync(d: Data, th):
    """Kerr off: S_Q ≈ 0 beyond a threshold of the axis; Kerr on (K<0): synchronized at all
    points of the axis.  Works on maps with a K axis or on lines with K series."""
    ax, side, x_c = th["axis"], th["side"], th["threshold"]
    flags, out = [], {}
    for key in th["datasets"]:
        da = d.get(key)
        if "series" in da.dims and "K" in da.dims:
            da = da.isel(series=0)
        if "K" in da.dims:
            off = _nearest(da, "K", 0.0)
            on = da.where(da.K < 0, drop=True)
        else:
            off = da.sel(series=th["off_series"])
            on = da.sel(series=th["on_series"])
        beyond = off.where(off[ax] > x_c if side == "above" else off[ax] < x_c, drop=True).values
        flags.append(_all_below(beyond, th["S_zero"]))
        out[f"{key}: max S_Q Kerr off, {ax} {'>' if side == 'above' else '<'} {x_c}"] = _r(_nanmax(beyond))
        if th.get("check_kerr_on", True):
            flags.append(_all_at_least(on.values, th["S_sync"]))
            v = on.values.astype(float)
            out[f"{key}: min S_Q Kerr on"] = _r(np.nanmin(v) if np.isfinite(v).any() else np.nan)
    return _both(*flags), out


def kerr_on_exceeds_off(d: Data, th):
    """S_Q(Kerr on) > S_Q(Kerr off) at every common point (SI eq. S62)."""
    on, off = d.get(th["on_dataset"]), d.get(th["off_dataset"])
    on = on.isel(series=0) if "series" in on.dims else on
    off = off.isel(series=0) if "series" in off.dims else off
    diff = (on - off).values
    diff = diff[~np.isnan(diff)]
    return (None if diff.size == 0 else bool(np.all(diff > 0))), {
        "min S_Q(on) - S_Q(off)": _r(diff.min() if diff.size else np.nan), "n_points": int(diff.size)}


def optimum_near(d: Data, th):
    """Kerr-on curve peaks near ``at`` (within tol or a grid step); Kerr-off curve ≈ 0 beyond
    a threshold."""
    da = d.get(th["dataset"])
    ax = th["axis"]
    on = da.sel(series=th["on_series"])
    xs = on[ax].values
    tol = max(th["tol"], float(np.max(np.diff(xs))) if xs.size > 1 else 0.0)
    xm = _argmax_coord(on, ax)
    off = da.sel(series=th["off_series"])
    cond = off[ax] > th["off_threshold"] if th["off_side"] == "above" else off[ax] < th["off_threshold"]
    beyond = off.where(cond, drop=True).values
    return _both(None if np.isnan(xm) else abs(xm - th["at"]) <= tol, _all_below(beyond, th["S_zero"])), {
        f"argmax_{ax}_Kerr_on": _r(xm), "tolerance": _r(tol),
        f"max S_Q Kerr off beyond {th['off_threshold']}": _r(_nanmax(beyond))}


def decreasing_series(d: Data, th):
    """max over the axis of S_Q decreases along the listed series."""
    da = d.get(th["dataset"])
    peaks = [_nanmax(da.sel(series=s).values) for s in th["order"]]
    if any(np.isnan(p) for p in peaks):
        return None, {f"max_S_Q[{s}]": _r(p) for s, p in zip(th["order"], peaks)}
    return bool(all(a > b for a, b in zip(peaks, peaks[1:]))), {
        f"max_S_Q[{s}]": _r(p) for s, p in zip(th["order"], peaks)}


def close_to_or_above(d: Data, th):
    """max S_Q of the test case ≥ ``fraction`` × max S_Q of the reference case."""
    test = _nanmax(d.get(th["test"]["dataset"], series=th["test"]["series"]).values)
    ref = _nanmax(d.get(th["reference"]["dataset"], series=th["reference"]["series"]).values)
    if np.isnan(test) or np.isnan(ref):
        return None, {"max_S_Q_test": _r(test), "max_S_Q_reference": _r(ref)}
    return bool(test >= th["fraction"] * ref), {"max_S_Q_test": _r(test), "max_S_Q_reference": _r(ref),
                                               "ratio": _r(test / ref)}


def max_value_near(d: Data, th):
    """max of a variable lies within [target − tol, target + tol]."""
    ds = d.ds[th["dataset"]]
    da = d.get(th["dataset"], th["variable"])
    if d.masked and "over" in th:
        # a revival value needs every point of its maximisation axis (and the reference) accepted
        frac = ds[d.mask_var].astype(float).mean(th["over"])
        ref_ok = bool(ds[f"{d.mask_var}_reference"].all()) if f"{d.mask_var}_reference" in ds else True
        da = da.where(frac >= 1.0) if ref_ok else da.where(frac > 2)
    m = _nanmax(da.values)
    return (None if np.isnan(m) else bool(abs(m - th["target"]) <= th["tol"])), {
        f"max_{th['variable']}": _r(m), "target": th["target"], "tol": th["tol"]}


def coupling_symmetry(d: Data, th):
    """|G_m − G_a|/G_a ≤ sym_tol at K ≈ K_CD and > asym_min at K ≈ K_OD (nearest grid points)."""
    ga, gm = d.get(th["dataset"], "G_a"), d.get(th["dataset"], "G_m")
    if "series" in ga.dims:
        ga, gm = ga.isel(series=0), gm.isel(series=0)
    def rel(k):
        a, m = _nearest(ga, "K", k), _nearest(gm, "K", k)
        return float(abs(m - a) / a), float(a["K"])
    r_cd, k_cd = rel(th["K_CD"])
    r_od, k_od = rel(th["K_OD"])
    flags = [None if np.isnan(r_cd) else r_cd <= th["sym_tol"], None if np.isnan(r_od) else r_od > th["asym_min"]]
    return _both(*flags), {"K_used_CD": k_cd, "rel_asym_CD": _r(r_cd), "K_used_OD": k_od, "rel_asym_OD": _r(r_od)}


def kerr_on_enhances_vs_chi(d: Data, th):
    """Versus χ: S_Q(CD) ≥ S_Q(K=0) at every χ > 0 (Kerr on enhances, Kerr off suppresses)."""
    da = d.get(th["dataset"])
    on, off = da.sel(series=th["on_series"]), da.sel(series=th["off_series"])
    diff = (on - off).where(on.chi > 0, drop=True).values
    diff = diff[~np.isnan(diff)]
    return (None if diff.size == 0 else bool(np.all(diff >= 0))), {
        "min S_Q(CD) - S_Q(K=0) over chi>0": _r(diff.min() if diff.size else np.nan),
        "n_points": int(diff.size)}


def complete_sync_values(d: Data, th):
    """Late-window S_C of the CD trace within a factor of the quoted value; OD ≈ 0."""
    key = th["dataset"]
    out, flags = {}, []
    for ser, want in (("CD", "value"), ("OD", "zero")):
        if not d.ok(key, series=ser):
            flags.append(None)
            out[f"S_C_{ser}"] = None
            continue
        v = float(d.ds[key]["S_C"].sel(series=ser))
        out[f"S_C_{ser}"] = _r(v)
        if want == "value":
            flags.append(th["value"] / th["factor"] <= v <= th["value"] * th["factor"])
        else:
            flags.append(v < th["zero"])
    return _both(*flags), out


def mean_trajectories(d: Data, th):
    """Relative RMS difference of ⟨X_b1⟩ vs ⟨X_b2⟩ (and Y) over the late window: small for
    CD, large for OD."""
    out, flags = {}, []
    for key, rule in (("CD", "same"), ("OD", "different")):
        ds = d.ds[th[key]]
        if d.masked and not bool(ds[d.mask_var].isel(series=0)):
            flags.append(None)
            continue
        w = ds.isel(series=0).where(ds.t >= th["t_from_tau"], drop=True)
        rel = max(float(np.sqrt(((w[f"{q}_b1"] - w[f"{q}_b2"]) ** 2).mean()) /
                        np.sqrt((w[f"{q}_b1"] ** 2).mean())) for q in ("X", "Y"))
        out[f"rel_rms_diff_{key}"] = _r(rel)
        flags.append(rel <= th["same_tol"] if rule == "same" else rel >= th["different_min"])
    return _both(*flags), out


def stability_everywhere(d: Data, th):
    """Across every dataset: fraction of points whose fixed point is Hurwitz stable
    (``mode: fixed_point``) or whose verdict is a stable limit cycle / fixed point
    (``mode: dynamics``).  Holds iff every point qualifies."""
    n = ok = 0
    for key, ds in d.ds.items():
        if "verdict" not in ds:
            continue
        if th["mode"] == "fixed_point":
            v = ds["fp_max_re_eig"].values
            good = v < 0
        else:
            good = np.isin(ds["verdict"].values, ("stable_fixed_point", "stable_limit_cycle"))
        n += good.size
        ok += int(good.sum())
    return (None if n == 0 else ok == n), {"n_points": n, "n_stable": ok,
                                           "fraction_stable": _r(ok / n if n else np.nan)}


def bound_everywhere(d: Data, th):
    """max of a variable over every dataset ≤ bound (all points, certified or not)."""
    m = -np.inf
    for ds in d.ds.values():
        for var in th["variables"]:
            if var in ds:
                m = max(m, _nanmax(ds[var].values))
    return (None if not np.isfinite(m) else bool(m <= th["bound"] + th.get("tol", 0))), {
        "max": _r(m, 8), "bound": th["bound"]}


def in_interval(d: Data, th):
    """Each listed variable of a single-point dataset lies in [lo, hi]."""
    out, flags = {}, []
    for var in th["variables"]:
        v = float(d.get(th["dataset"], var).squeeze())
        out[var] = _r(v)
        flags.append(None if np.isnan(v) else th["interval"][0] <= v <= th["interval"][1])
    return _both(*flags), out


def hurwitz_all_positive(d: Data, th):
    """All Hurwitz determinants θ_k > 0 at the fixed point of every point of the map."""
    th_ = d.ds[th["dataset"]]["theta"]
    neg = (th_ <= 0).any("k")
    ks = [int(k) for k in th_.k.values if bool((th_.sel(k=k) <= 0).any())]
    return bool(not neg.any()), {"n_points": int(neg.size), "n_points_with_theta_k<=0": int(neg.sum()),
                                 "k_with_nonpositive_theta": ks,
                                 "min_theta2": _r(float(th_.sel(k=2).min()))}


EVALUATORS: dict[str, Callable] = {f.__name__: f for f in (
    sigma_linear_opposite, direction_dependence, trace_late_window, contrast_in_range, argmax_near,
    sign_switch, by_construction, vanish_beyond_and_kerr_sync, kerr_on_exceeds_off, optimum_near,
    decreasing_series, close_to_or_above, max_value_near, coupling_symmetry, kerr_on_enhances_vs_chi,
    complete_sync_values, mean_trajectories, stability_everywhere, bound_everywhere, in_interval,
    hurwitz_all_positive)}



