"""The ``claims`` stage: evaluate config/claims.yaml on a run's NetCDF results."""
from __future__ import annotations

import csv
import json
import os
from collections import Counter

import xarray as xr
import yaml

from .. import __version__
from ..claims import VERDICTS, evaluate, format_measured
from .provenance import open_verified


def run_claims(claims_file: str, paths: dict, run: str, csv_path: str, md_path: str,
               measure: str = "S_Q") -> list[dict]:
    """Evaluate every claim whose datasets are all in ``paths`` (key ``figure/panel`` → NetCDF
    file); ``measure`` substitutes another variable for S_Q (e.g. the Floquet long-time S_Q,
    where defined, for the audit)."""
    with open(claims_file) as fh:
        spec = yaml.safe_load(fh)
    defaults = spec.get("thresholds", {})
    rows = []
    skipped = [c["id"] for c in spec["claims"] if not set(c["datasets"]) <= set(paths)]
    cache: dict[str, xr.Dataset] = {}
    for claim in spec["claims"]:
        if claim["id"] in skipped:
            continue
        datasets = {}
        for key in claim["datasets"]:
            if key not in cache:
                # verified against the params record beside it (results/<run>/params/<figure>.json)
                ds = open_verified(paths[key], None, key.split("/")[1])
                if measure != "S_Q" and measure in ds:
                    ds["S_Q"] = ds[measure].fillna(ds["S_Q"]) if "S_Q" in ds else ds[measure]
                    ds.attrs["S_Q_substituted_by"] = measure
                cache[key] = ds
            datasets[key] = cache[key]
        try:
            res = evaluate(claim, datasets, defaults)
            verdict, measured, note = res.verdict, format_measured(res.measured), res.note
            lenient, beyond, decided = res.verdict_dynamics_only, res.verdict_beyond_linearization, res.decided_by
        except Exception as e:  # an evaluator bug must not hide the other claims
            verdict, measured, note = "inconclusive", "{}", f"evaluator error: {type(e).__name__}: {e}"
            lenient, beyond, decided = verdict, "", ""
        th = {k: v for k, v in claim.get("test", {}).items()}
        used = {k: defaults[k] for k in defaults if k not in th}
        rows.append({"id": claim["id"], "source": claim["source"], "claim": claim["claim"].strip(),
                     "verdict": verdict, "verdict_dynamics_only": lenient,
                     "verdict_beyond_linearization": beyond, "decided_by": decided, "measured": measured,
                     "thresholds": json.dumps({**used, **th}, sort_keys=True, ensure_ascii=False, default=str),
                     "datasets": " ".join(claim["datasets"]), "note": note})
    with open(csv_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    counts = Counter(r["verdict"] for r in rows)
    title = f"# Claims audit — run `{run}`" + (f", S_Q := {measure}" if measure != "S_Q" else "")
    lines = [f"{title} (qorepro {__version__})", "",
             "Summary: " + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)
             + (f"; not evaluated in this run (datasets outside its scope): {', '.join(skipped)}" if skipped else ""),
             "",
             "`verdict` decides on certified points (stable fixed point or limit cycle *and* a valid "
             "linearisation; for the steady-state companion models: stable *and* a physical covariance); "
             "`if linearisation ignored` decides on dynamically stable points only (for the companion "
             "models: physicality of the covariance not required).", "",
             "`beyond linearisation` (runs with the truncated-Wigner ensemble only) decides on the "
             "Gaussian value where a point is certified and on the TWA value where it is not; "
             "`decided by` says whose values those were.", "",
             "| id | source | verdict | if linearisation ignored | beyond linearisation | decided by | measured | note |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['id']} | {r['source']} | **{r['verdict']}** | {r['verdict_dynamics_only']} | "
                     f"{r['verdict_beyond_linearization'] or '—'} | {r['decided_by'] or '—'} | "
                     f"`{r['measured']}` | {r['note']} |")
    lines += ["", "## Claims and thresholds", ""]
    for r in rows:
        lines.append(f"- **{r['id']}** ({r['source']}): {r['claim']}  \n  datasets: {r['datasets']}; "
                     f"thresholds: `{r['thresholds']}`")
    with open(md_path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return rows
