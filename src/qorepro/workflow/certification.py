"""The ``certify`` stage: per-figure summary of the per-point stability verdicts."""
from __future__ import annotations

import json
from collections import Counter

import numpy as np

from ..settings import CERTIFIED, VERDICTS
from .provenance import open_verified
from .record import FigureSpec

NUMBERS = ("fp_max_re_eig", "floquet_max_nontrivial", "period_tau", "linearization_ratio",
           "S_Q", "uncertainty_min_eig", "E_N")
#: non-certified points listed one by one per figure (the counts always cover all of them)
MAX_LISTED = 2000


def summarise(figure: str, paths: dict, params: str | None = None) -> dict:
    """Counts per verdict per panel, and the non-certified points with their numbers (the
    first :data:`MAX_LISTED` of them; the counts always cover all)."""
    out = {"figure": figure, "verdicts": list(VERDICTS), "certified_verdicts": list(CERTIFIED),
           "panels": {}, "non_certified": []}
    total = Counter()
    not_listed = 0
    spec = FigureSpec.load(params) if params else None
    for pname, path in paths.items():
        ds = open_verified(path, spec, pname)
        if "verdict" not in ds:
            out["panels"][pname] = {"n_points": 0, "counts": {}, "note": "analytic, no dynamics"}
            continue
        verdict = ds["verdict"].load()
        names, n = np.unique(np.asarray(verdict.values, dtype=str), return_counts=True)
        counts = {str(k): int(v) for k, v in zip(names, n)}
        total.update(counts)
        out["panels"][pname] = {"n_points": int(verdict.size), "counts": counts,
                                "n_certified": int(sum(counts.get(v, 0) for v in CERTIFIED))}
        bad = np.atleast_1d(~ds["certified"].astype(bool).transpose(*verdict.dims).values)
        where = np.argwhere(bad)
        room = max(0, MAX_LISTED - len(out["non_certified"]))
        not_listed += max(0, len(where) - room)
        values = {k: ds[k].values for k in NUMBERS if k in ds and ds[k].dims == verdict.dims}
        coords = {d: ds[d].values for d in verdict.dims}
        vv = np.atleast_1d(verdict.values)
        for idx in where[:room]:
            idx = tuple(idx) if verdict.dims else ()
            entry = {"panel": pname, "verdict": str(vv[idx] if verdict.dims else verdict.values)}
            for d, i in zip(verdict.dims, idx):
                val = coords[d][i]
                entry[d] = str(val) if isinstance(val, str) else float(val)
            for k, arr in values.items():
                x = float(arr[idx])
                entry[k] = None if np.isnan(x) else x
            out["non_certified"].append(entry)
    if not_listed:
        out["non_certified_not_listed"] = not_listed
    out["counts"] = dict(total)
    out["n_points"] = int(sum(total.values()))
    out["n_certified"] = int(sum(total[v] for v in CERTIFIED))
    return out


def write_summary(figure: str, paths: dict, out_json: str, params: str | None = None) -> dict:
    s = summarise(figure, paths, params)
    with open(out_json, "w") as fh:
        json.dump(s, fh, indent=1, sort_keys=True)
    return s
