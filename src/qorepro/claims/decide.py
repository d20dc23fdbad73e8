"""From an evaluator's answers to a verdict (see :mod:`qorepro.claims.base` for the logic)."""
from __future__ import annotations

import json
from collections.abc import Mapping

import xarray as xr

from .base import ClaimResult, Data
from .jiao import COMPANION_EVALUATORS
from .lai2025 import EVALUATORS as LAI_EVALUATORS

#: evaluator name → function, over all papers
EVALUATORS = {**LAI_EVALUATORS, **COMPANION_EVALUATORS}


def resolve_thresholds(claim: dict, defaults: dict) -> dict:
    th = dict(defaults)
    th.update(claim.get("test", {}))
    return th


def _decide(fn, datasets, th, mask_var, unmasked):
    h_all, m_all = unmasked
    h_cert, m_cert = fn(Data(datasets, masked=True, mask_var=mask_var), th)
    if h_cert is None:
        return "inconclusive", m_all, "the certified points alone cannot decide (needed points not certified)"
    if h_all is not None and h_all != h_cert:
        return ("inconclusive", {"all_points": m_all, "certified_only": m_cert},
                "the decision depends on non-certified points (all points: "
                f"{'holds' if h_all else 'fails'}; certified only: {'holds' if h_cert else 'fails'})")
    return ("reproduced" if h_cert else "not_reproduced"), m_cert, ""


def evaluate(claim: dict, datasets: Mapping[str, xr.Dataset], defaults: dict | None = None) -> ClaimResult:
    """Verdict of one claim on its datasets (see :mod:`qorepro.claims.base` for the logic).

    ``verdict_gaussian`` requires certified points (stable *and* valid linearisation);
    ``verdict_dynamics_only`` requires only a stable fixed point or limit cycle; ``verdict``
    is the best-method verdict where the datasets hold TWA values (Gaussian where certified,
    TWA where valid and decided), else the strict-Gaussian one.
    """
    th = resolve_thresholds(claim, defaults or {})
    fn = EVALUATORS[claim["evaluator"]]
    if not claim.get("certification", True):
        h_all, m_all = fn(Data(datasets, masked=False), th)
        verdict = "inconclusive" if h_all is None else ("reproduced" if h_all else "not_reproduced")
        return ClaimResult(claim["id"], verdict, m_all, "" if h_all is not None else "nothing to decide on (not computed or no data)",
                           verdict, verdict)
    unmasked = fn(Data(datasets, masked=False), th)     # the all-points decision, computed once
    verdict, measured, note = _decide(fn, datasets, th, "certified", unmasked)
    lenient = verdict
    if all("dynamically_stable" in ds for ds in datasets.values() if "verdict" in ds):
        lenient, _, _ = _decide(fn, datasets, th, "dynamically_stable", unmasked)
    result = ClaimResult(claim["id"], verdict, measured, note, lenient, verdict, "gaussian")
    with_twa = {k: ds for k, ds in datasets.items() if "S_Q_twa" in ds}
    if with_twa:
        h, m_best = fn(Data(datasets, masked=True, beyond=True), th)
        h_fill, m_fill = fn(Data(datasets, masked=False, beyond=True, fill=True), th)
        undecided = _undecided(with_twa)
        if h is None:
            result.verdict = "inconclusive"
            result.note = "the points the best valid method decides cannot decide" + undecided
        elif h_fill is not None and h_fill != h:
            result.verdict = "inconclusive"
            result.note = ("the decision depends on points neither method decides (those with their raw Gaussian "
                           f"values: {'holds' if h_fill else 'fails'}; decided points only: "
                           f"{'holds' if h else 'fails'})" + undecided)
            m_best = {"decided_points": m_best, "with_undecided_points": m_fill}
        else:
            result.verdict = "reproduced" if h else "not_reproduced"
            result.note = ""
        result.decided_by, disagree = _methods(with_twa.values())
        if disagree:
            result.note = (result.note + "; " if result.note else "") + disagree
        # both readings, also where they coincide: a variant's comparison pairs them by method
        result.measured = {"gaussian": measured, "best_method": m_best}
    return result


#: undecided points listed per claim note (the count is always given)
LIST_UNDECIDED = 3


def _undecided(datasets: Mapping[str, xr.Dataset]) -> str:
    """The points of the datasets neither method decides, with both reasons: the Gaussian
    verdict and the TWA reason (not run, questionable with q, undecided at M)."""
    import numpy as np

    from .base import best_method
    total, shown = 0, []
    for key, ds in datasets.items():
        bad = (best_method(ds) == 0)
        total += int(bad.sum())
        if len(shown) >= LIST_UNDECIDED or not bool(bad.any()):
            continue
        stacked = bad.stack(_pt=bad.dims) if bad.dims else bad.expand_dims("_pt")
        for pt in np.nonzero(stacked.values)[0][:LIST_UNDECIDED - len(shown)]:
            where = {d: stacked["_pt"].values[pt][i] for i, d in enumerate(bad.dims)} if bad.dims else {}
            sel = dict(where)
            pd = ds.sel(sel) if sel else ds
            gauss = str(pd["verdict"].values)
            M = int(pd["twa_trajectories"].values) if "twa_trajectories" in pd else 0
            if not np.isfinite(float(pd["S_Q_twa"].values)):
                why = "TWA not run"
            elif "twa_questionable" in pd and bool(pd["twa_questionable"].values):
                why = f"TWA questionable (q = {float(pd['twa_truncation'].values):.3g})"
            else:
                why = f"TWA undecided at M = {M} (S_Q_twa = {float(pd['S_Q_twa'].values):.3g} ± " \
                      f"{float(pd['S_Q_twa_err'].values):.2g})"
            coords = ", ".join(f"{d} = {v:.4g}" if isinstance(v, float) else f"{d} = {v}" for d, v in sel.items())
            shown.append(f"{key} [{coords}]: Gaussian {gauss}; {why}")
    if not total:
        return ""
    more = f" (first {len(shown)} listed)" if total > len(shown) else ""
    return f"; {total} point(s) decided by neither method{more}: " + "; ".join(shown)


def _methods(datasets) -> tuple[str, str]:
    """Which methods decided the points of the datasets (Gaussian where certified, TWA where
    valid, neither), with the TWA ensemble sizes, and where the two methods disagree at
    points both certify (|S_Q − S_Q_twa| > 3 TWA error bars)."""
    import numpy as np

    from .base import best_method
    n = np.zeros(3, int)
    Ms, n_dis, n_cmp = [], 0, 0
    for ds in datasets:
        best = best_method(ds).values
        n += np.bincount(best.ravel(), minlength=3)
        if "twa_trajectories" in ds:
            Ms.append(ds["twa_trajectories"].values[best == 2])
        both = ds["certified"].values.astype(bool) & (_valid(ds))
        if both.any():
            dev = np.abs(ds["S_Q"].values - ds["S_Q_twa"].values)[both]
            n_cmp += int(both.sum())
            n_dis += int((dev > 3 * ds["S_Q_twa_err"].values[both]).sum())
    M = np.concatenate(Ms) if Ms else np.zeros(0, int)
    m_txt = f", M = {M.min()}–{M.max()}" if M.size and M.min() != M.max() else (f", M = {M.min()}" if M.size else "")
    parts = [f"gaussian ({n[1]} points)"] if n[1] else []
    if n[2]:
        parts.append(f"twa ({n[2]} points{m_txt})")
    if n[0]:
        parts.append(f"neither ({n[0]} points)")
    note = (f"TWA and the certified Gaussian value differ by more than 3 error bars at {n_dis} of {n_cmp} "
            "points both methods certify") if n_dis else ""
    return " + ".join(parts) or "—", note


def _valid(ds):
    from .base import twa_valid
    return twa_valid(ds).values


def format_measured(m) -> str:
    return json.dumps(m, sort_keys=True, ensure_ascii=False, default=str)
