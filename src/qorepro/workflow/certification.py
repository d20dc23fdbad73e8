"""The ``certify`` stage: per-figure summary of the per-point stability verdicts."""
from __future__ import annotations

import json
from collections import Counter

import numpy as np
import xarray as xr

from ..stability import CERTIFIED, VERDICTS

NUMBERS = ("fp_max_re_eig", "floquet_max_nontrivial", "period_tau", "linearization_ratio",
           "S_Q", "uncertainty_min_eig", "E_N")
#: non-certified points listed one by one per figure (the counts always cover all of them)
MAX_LISTED = 2000


def summarise(figure: str, paths: dict) -> dict:
    """Counts per verdict per panel, and every non-certified point with its numbers."""
    out = {"figure": figure, "verdicts": list(VERDICTS), "certified_verdicts": list(CERTIFIED),
           "panels": {}, "non_certified": []}
    total = Counter()
    for pname, path in paths.items():
        with xr.open_dataset(path) as ds:
            if "verdict" not in ds:
                out["panels"][pname] = {"n_points": 0, "counts": {}, "note": "analytic, no dynamics"}
                continue
            verdict = ds["verdict"].load()
            counts = Counter(str(v) for v in np.ravel(verdict.values))
            total.update(counts)
            out["panels"][pname] = {"n_points": int(verdict.size), "counts": dict(counts),
                                    "n_certified": int(sum(counts[v] for v in CERTIFIED))}
            bad = ~ds["certified"].astype(bool).transpose(*verdict.dims).values
            for idx in np.argwhere(np.atleast_1d(bad)) if verdict.dims else ([()] if bad else []):
                idx = tuple(idx)
                entry = {"panel": pname, "verdict": str(verdict.values[idx])}
                for d, i in zip(verdict.dims, idx):
                    val = ds[d].values[i]
                    entry[d] = str(val) if isinstance(val, str) else float(val)
                for k in NUMBERS:
                    if k in ds and ds[k].dims == verdict.dims:
                        x = float(ds[k].values[idx])
                        entry[k] = None if np.isnan(x) else x
                if len(out["non_certified"]) < MAX_LISTED:
                    out["non_certified"].append(entry)
                else:
                    out["non_certified_not_listed"] = out.get("non_certified_not_listed", 0) + 1
    out["counts"] = dict(total)
    out["n_points"] = int(sum(total.values()))
    out["n_certified"] = int(sum(total[v] for v in CERTIFIED))
    return out


def write_summary(figure: str, paths: dict, out_json: str) -> dict:
    s = summarise(figure, paths)
    with open(out_json, "w") as fh:
        json.dump(s, fh, indent=1, sort_keys=True)
    return s
