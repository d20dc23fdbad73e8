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

    ``verdict`` requires certified points (stable *and* valid linearisation);
    ``verdict_dynamics_only`` requires only a stable fixed point or limit cycle;
    ``verdict_beyond_linearization`` (datasets with TWA values) uses the Gaussian value where
    certified and the TWA value elsewhere.
    """
    th = resolve_thresholds(claim, defaults or {})
    fn = EVALUATORS[claim["evaluator"]]
    if not claim.get("certification", True):
        h_all, m_all = fn(Data(datasets, masked=False), th)
        verdict = "inconclusive" if h_all is None else ("reproduced" if h_all else "not_reproduced")
        return ClaimResult(claim["id"], verdict, m_all, "" if h_all is not None else "nothing to decide on (not computed or no data)",
                           verdict)
    unmasked = fn(Data(datasets, masked=False), th)     # the all-points decision, computed once
    verdict, measured, note = _decide(fn, datasets, th, "certified", unmasked)
    lenient = verdict
    if all("dynamically_stable" in ds for ds in datasets.values() if "verdict" in ds):
        lenient, _, _ = _decide(fn, datasets, th, "dynamically_stable", unmasked)
    result = ClaimResult(claim["id"], verdict, measured, note, lenient)
    with_twa = [ds for ds in datasets.values() if "S_Q_twa" in ds]
    if with_twa:
        h, m_beyond = fn(Data(datasets, masked=True, beyond=True), th)
        result.verdict_beyond_linearization = "inconclusive" if h is None else ("reproduced" if h else "not_reproduced")
        result.decided_by, disagree = _methods(with_twa)
        if disagree:
            result.note = (result.note + "; " if result.note else "") + disagree
        result.measured = {"gaussian": measured, "beyond_linearization": m_beyond} if m_beyond != measured else measured
    return result


def _methods(datasets) -> tuple[str, str]:
    """Which method's values the beyond-linearisation decision used, and where the two methods
    disagree at certified points (|S_Q − S_Q_twa| > 3 × TWA error + 10⁻³)."""
    import numpy as np
    n_g = n_t = n_dis = n_cmp = 0
    for ds in datasets:
        cert = ds["certified"].values.astype(bool)
        twa = np.isfinite(ds["S_Q_twa"].values)
        n_g += int(cert.sum())
        n_t += int((~cert & twa).sum())
        both = cert & twa
        if both.any():
            dev = np.abs(ds["S_Q"].values - ds["S_Q_twa"].values)[both]
            n_cmp += int(both.sum())
            n_dis += int((dev > 3 * ds["S_Q_twa_err"].values[both] + 1e-3).sum())
    who = "gaussian" if n_t == 0 else ("twa" if n_g == 0 else f"gaussian ({n_g} points) + twa ({n_t} points)")
    note = (f"TWA and the certified Gaussian value differ by more than 3 error bars at {n_dis} of {n_cmp} "
            "certified points") if n_dis else ""
    return who, note


def format_measured(m) -> str:
    return json.dumps(m, sort_keys=True, ensure_ascii=False, default=str)
