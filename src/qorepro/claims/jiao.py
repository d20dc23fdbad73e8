"""Claim evaluators for the companion papers (Jiao et al. 2020, 2022): steady-state E_N.

Same contract as :mod:`qorepro.claims.lai2025` (``(data, thresholds) -> (holds | None, measured)``);
non-certified points carry E_N = NaN in these datasets, so every comparison is made on
certified steady states only.
"""
from __future__ import annotations

import numpy as np

from .base import Data, _both, _nanmax, _r


def _series_max(d: Data, refs, var="E_N"):
    """max of ``var`` over a list of [dataset, series] references."""
    return _nanmax([_nanmax(d.get(key, var).sel(series=s).values) for key, s in refs])


def reciprocity(d: Data, th):
    """Static: E_N(left) = E_N(right) within ``equal_rel_tol`` × peak; spinning: the two differ
    somewhere by at least ``min_rel_diff`` × peak.  ``static``/``spinning``: [dataset, left
    series, right series]."""
    out, flags = {}, []
    for name in ("static", "spinning"):
        key, sl, sr = th[name]
        da = d.get(key, th.get("variable", "E_N"))
        left, right = da.sel(series=sl).values, da.sel(series=sr).values
        ok = np.isfinite(left) & np.isfinite(right)
        peak = _nanmax(np.concatenate([left, right]))
        if not ok.any() or not np.isfinite(peak) or peak <= 0:
            flags.append(None)
            continue
        diff = float(np.max(np.abs(left[ok] - right[ok])))
        out[f"{name}_max_abs_difference"] = _r(diff)
        out[f"{name}_peak_left_right"] = [_r(_nanmax(left)), _r(_nanmax(right))]
        out[f"{name}_relative_difference"] = _r(diff / peak)
        flags.append(diff <= th["equal_rel_tol"] * peak if name == "static" else diff >= th["min_rel_diff"] * peak)
    return _both(*flags), out


def enhancement_ratio(d: Data, th):
    """max E_N over the ``numerator`` [dataset, series] list ÷ max over ``denominator`` lies in
    ``interval``."""
    num, den = _series_max(d, th["numerator"]), _series_max(d, th["denominator"])
    if not (np.isfinite(num) and np.isfinite(den)) or den <= 0:
        return None, {"max_numerator": _r(num), "max_denominator": _r(den)}
    ratio = num / den
    lo, hi = th["interval"]
    return bool(lo <= ratio <= hi), {"ratio": _r(ratio), "max_numerator": _r(num), "max_denominator": _r(den),
                                     "interval": th["interval"]}


def revival_max(d: Data, th):
    """max of the revival factor over the map (optionally restricted by ``where``:
    {coordinate: [lo, hi]}) lies in ``interval``."""
    ds = d.ds[th["dataset"]]
    da = ds["revival"].isel(series=0)
    if d.masked and d.mask_var != "dynamically_stable":
        # a steady state that is stable but not certified (unphysical covariance) voids the
        # revival value it enters (unstable points carry no E_N and are simply absent)
        void = (ds["dynamically_stable"] & ~ds[d.mask_var]).isel(series=0)
        extra = [x for x in void.dims if x not in da.dims]
        da = da.where(~(void.any(extra) if extra else void))
        ref = ds["dynamically_stable_reference"] & ~ds[f"{d.mask_var}_reference"]
        if bool(ref.any()):
            return None, {"note": "reference case not certified"}
    for coord, (lo, hi) in (th.get("where") or {}).items():
        da = da.where((da[coord] >= lo) & (da[coord] <= hi))
    m = _nanmax(da.values)
    if not np.isfinite(m):
        return None, {"max_revival": None}
    at = {c: _r(float(da[c].values[i])) for c, i in zip(da.dims, np.unravel_index(int(np.nanargmax(da.values)), da.shape))}
    lo, hi = th["interval"]
    return bool(lo <= m <= hi), {"max_revival": _r(m), "at": at, "interval": th["interval"]}


def _abs_max_over(d: Data, key, var, keep):
    da = abs(d.get(key, var))
    others = [x for x in da.dims if x != keep]
    return da.max(others) if others else da


def nonzero_up_to(d: Data, th):
    """The largest ``axis`` value at which |var| > ``nonzero`` somewhere (over the datasets)
    lies in ``interval``."""
    top = -np.inf
    for key in th["datasets"]:
        m = _abs_max_over(d, key, th["variable"], th["axis"])
        above = m[th["axis"]].values[(m > th["nonzero"]).values]
        if above.size:
            top = max(top, float(above.max()))
    if not np.isfinite(top):
        return False, {f"largest_{th['axis']}_nonzero": None}
    lo, hi = th["interval"]
    return bool(lo <= top <= hi), {f"largest_{th['axis']}_nonzero": _r(top), "interval": th["interval"]}


def nonzero_for_all(d: Data, th):
    """|var| > ``nonzero`` somewhere for every ``axis`` value ≥ ``from``."""
    m = _abs_max_over(d, th["dataset"], th["variable"], th["axis"])
    sel = m.where(m[th["axis"]] >= th["from"], drop=True)
    if sel.size == 0:
        return None, {}
    vals = sel.values
    return bool(np.all(vals > th["nonzero"])), {
        f"max_abs_{th['variable']}_per_{th['axis']}": {f"{float(c):.3g}": _r(v) for c, v in zip(sel[th["axis"]].values, vals)}}


def hurwitz_only_last_two(d: Data, th):
    """θ₁ … θ_{n−2} > 0 at every point of the map (only the last two are nontrivial)."""
    theta = d.ds[th["dataset"]]["theta"]
    n = theta.k.size
    low = theta.sel(k=slice(1, n - 2))
    bad = int((low <= 0).any("k").sum())
    return bad == 0, {"n_points": int(low.isel(k=0).size), "points_with_a_nonpositive_theta_1_to_n-2": bad,
                      "points_with_theta_n-1_or_n_nonpositive": int((theta.sel(k=slice(n - 1, n)) <= 0).any("k").sum())}


def covariance_pattern(d: Data, th):
    """In the reduced covariance V_μν (1-based indices of (q_l, p_l, q_r, p_r)) of each series:
    V₁₃ ≈ V₂₄ and V₁₄ ≈ −V₂₃ within ``rel_tol`` × the largest cross element."""
    V = d.get(th["dataset"], "V_mech")     # NaN for non-certified series under the mask
    out, flags = {}, []
    for s in V.series.values:
        m = V.sel(series=s).values
        if not np.isfinite(m).all():
            flags.append(None)
            continue
        cross = np.abs(m[:2, 2:]).max()
        e1, e2 = abs(m[0, 2] - m[1, 3]), abs(m[0, 3] + m[1, 2])
        out[str(s)] = {"V13": _r(m[0, 2]), "V24": _r(m[1, 3]), "V14": _r(m[0, 3]), "V23": _r(m[1, 2]),
                       "rel_mismatch": [_r(e1 / cross), _r(e2 / cross)]}
        flags.append(bool(max(e1, e2) <= th["rel_tol"] * cross))
    return _both(*flags), out


def physical_everywhere(d: Data, th):
    """Every stable steady state of the datasets has a physical covariance (V + iΩ/2 ≥ 0)."""
    n = bad = 0
    worst = np.inf
    for ds in d.ds.values():
        stable = ds["dynamically_stable"].values.astype(bool)
        u = ds["uncertainty_min_eig"].values[stable]
        n += u.size
        bad += int((ds["verdict"].values[stable] == "unphysical_covariance").sum())
        if u.size:
            worst = min(worst, float(np.nanmin(u)))
    return (None if n == 0 else bad == 0), {"n_stable_points": n, "n_unphysical": bad,
                                            "min_eig_of_V_plus_iOmega_over_2": _r(worst)}


def max_above(d: Data, th):
    """max of ``variable`` over every dataset exceeds ``above``."""
    m = _nanmax([_nanmax(d.get(k, th["variable"]).values) for k in d.ds])
    return (None if np.isnan(m) else bool(m > th["above"])), {f"max_{th['variable']}": _r(m), "above": th["above"]}


COMPANION_EVALUATORS = {f.__name__: f for f in (
    reciprocity, enhancement_ratio, revival_max, nonzero_up_to, nonzero_for_all, hurwitz_only_last_two,
    covariance_pattern, physical_everywhere, max_above)}
