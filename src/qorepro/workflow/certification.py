"""The ``certify`` stage: per-figure summary of the per-point stability verdicts, and its
check: every consumer of a summary (figure subtitle, notebook, report) reads it through
:func:`verified_summary` / :func:`load_summary`, which derive it again from the verified panels."""
from __future__ import annotations

import json
from collections import Counter

import numpy as np

from ..io import write_text
from ..settings import CERTIFIED, VERDICTS
from .provenance import ProvenanceError, open_verified
from .record import FigureSpec

NUMBERS = ("fp_max_re_eig", "floquet_max_nontrivial", "period_tau", "linearization_ratio",
           "S_Q", "uncertainty_min_eig", "E_N")
#: non-certified points listed one by one per figure (the counts always cover all of them)
MAX_LISTED = 2000


def summarise(figure: str, paths: dict, params: str | None = None) -> dict:
    """Counts per verdict per panel, and the non-certified points with their numbers (the
    first :data:`MAX_LISTED` of them; the counts always cover all), from the panel files
    ``paths`` (panel → path), each verified (:func:`open_verified`)."""
    spec = FigureSpec.load(params) if params else None
    return summarise_datasets(figure, {pname: open_verified(path, spec, pname) for pname, path in paths.items()})


def summarise_datasets(figure: str, datasets: dict) -> dict:
    """:func:`summarise` of panel datasets already verified (panel → dataset), panels in name
    order: the summary (and which non-certified points fit in its list) does not depend on the
    order a caller passes them in — the certify job, the plot and the report derive the same."""
    out = {"figure": figure, "verdicts": list(VERDICTS), "certified_verdicts": list(CERTIFIED),
           "panels": {}, "non_certified": []}
    total = Counter()
    not_listed = 0
    for pname, ds in sorted(datasets.items()):
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
    """Write :func:`summarise` to ``out_json`` (atomically)."""
    s = summarise(figure, paths, params)
    write_text(out_json, json.dumps(s, indent=1, sort_keys=True))
    return s


def verified_summary(path: str, figure: str, datasets: dict) -> dict:
    """The summary ``stability/<figure>.json`` at ``path``, checked against the verified panel
    datasets it summarises (panel → dataset): it must be exactly what :func:`summarise_datasets`
    derives from them, so an edited summary (a count, a verdict) is refused, never shown.

    Raises :class:`ProvenanceError` naming the file and the first entry that differs."""
    try:
        with open(path, encoding="utf-8") as fh:
            stored = json.load(fh)
    except (OSError, ValueError) as e:
        raise ProvenanceError(f"{path}: the stability summary cannot be read ({type(e).__name__}: "
                              f"{' '.join(str(e).split())[:120]}); rerun `snakemake --forcerun {path}`") from None
    derived = json.loads(json.dumps(summarise_datasets(figure, datasets)))
    if stored != derived:
        key = next((k for k in sorted(set(derived) | set(stored if isinstance(stored, dict) else {}))
                    if not isinstance(stored, dict) or stored.get(k) != derived.get(k)), "the whole file")
        raise ProvenanceError(f"{path}: does not match the panel data it summarises (first difference: {key!r}); "
                              f"rerun `snakemake --forcerun {path}`")
    return stored


def load_summary(path: str, figure: str, panel_paths: dict, params: str) -> dict:
    """:func:`verified_summary` against the panel files ``panel_paths`` (panel → path), each
    verified against the record ``params``."""
    spec = FigureSpec.load(params)
    return verified_summary(path, figure, {p: open_verified(f, spec, p) for p, f in panel_paths.items()})
