"""The ``claims`` stage: evaluate config/claims.yaml on a run's NetCDF results."""
from __future__ import annotations

import csv
import json
import os
from collections import Counter

import numpy as np
import xarray as xr
import yaml

from .. import __version__
from ..claims import VERDICTS, evaluate, format_measured
from ..io import write_text
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
            lenient, gaussian, decided = res.verdict_dynamics_only, res.verdict_gaussian, res.decided_by
        except Exception as e:  # an evaluator bug must not hide the other claims
            verdict, measured, note = "inconclusive", "{}", f"evaluator error: {type(e).__name__}: {e}"
            lenient, gaussian, decided = verdict, verdict, ""
        th = {k: v for k, v in claim.get("test", {}).items()}
        used = {k: defaults[k] for k in defaults if k not in th}
        rows.append({"id": claim["id"], "source": claim["source"], "claim": claim["claim"].strip(),
                     "verdict": verdict, "verdict_gaussian": gaussian, "verdict_dynamics_only": lenient,
                     "decided_by": decided, "measured": measured,
                     "thresholds": json.dumps({**used, **th}, sort_keys=True, ensure_ascii=False, default=str),
                     "datasets": " ".join(claim["datasets"]), "note": note})
    with open(csv_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    counts = Counter(r["verdict"] for r in rows)
    check = crosscheck(cache)
    if measure == "S_Q":                                 # the run's own values, not an audit's substitute
        write_crosscheck(check, os.path.dirname(md_path) or ".")
    title = f"# Claims audit — run `{run}`" + (f", S_Q := {measure}" if measure != "S_Q" else "")
    lines = [f"{title} (qorepro {__version__})", "",
             "Summary: " + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)
             + (f"; not evaluated in this run (datasets outside its scope): {', '.join(skipped)}" if skipped else ""),
             "", methods_line(check), "",
             "`verdict` decides every point by the best valid method: the Gaussian value where the point is "
             "certified (stable fixed point or limit cycle *and* a valid linearisation; for the steady-state "
             "companion models: stable *and* a physical covariance), the truncated-Wigner (TWA) value where the "
             "ensemble ran, its certificate passes and its sequential rule decided, nothing elsewhere; "
             "`decided by` names the methods, their point counts and the ensemble sizes M.  "
             "`Gaussian only` decides on certified points alone; `if linearisation ignored` on dynamically "
             "stable points (for the companion models: physicality of the covariance not required).", "",
             "| id | source | verdict | decided by | Gaussian only | if linearisation ignored | measured | note |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['id']} | {r['source']} | **{r['verdict']}** | {r['decided_by'] or '—'} | "
                     f"{r['verdict_gaussian']} | {r['verdict_dynamics_only']} | `{r['measured']}` | {r['note']} |")
    lines += ["", "## Claims and thresholds", ""]
    for r in rows:
        lines.append(f"- **{r['id']}** ({r['source']}): {r['claim']}  \n  datasets: {r['datasets']}; "
                     f"thresholds: `{r['thresholds']}`")
    if check["crosscheck"]["points"]:
        lines += ["", "## TWA against certified Gaussian values", "", crosscheck_markdown(check)]
    with open(md_path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return rows


# ------------------------------------------------------------------ methods and cross-check
#: file beside claims.md: points decided per method and the TWA/Gaussian cross-check
CROSSCHECK_JSON = "twa_crosscheck.json"
CROSSCHECK_MD = "twa_crosscheck.md"
#: agreement: |Gaussian − TWA| within this many TWA standard errors
AGREE_SIGMAS = 3.0
#: edges of the histogram of (Gaussian − TWA)/err
Z_EDGES = (-np.inf, -5, -3, -2, -1, 0, 1, 2, 3, 5, np.inf)


def crosscheck(datasets: dict) -> dict:
    """Over the time-domain datasets (key ``figure/panel`` → Dataset): how many points each
    method decides (:func:`qorepro.claims.base.best_method`: Gaussian / TWA / neither), the
    distribution of the TWA ensemble sizes M, and over the points both certify (certified
    Gaussian verdict, valid TWA value — the cross-check sample of ``twa.where: uncertified``)
    the distribution of z = (S_Q − S_Q_twa)/S_Q_twa_err and the fraction with |z| ≤ 3; and the
    residual the basin check leaves: of the Gaussian-certified points where the ensemble ran
    (certified or ``noise_basin``), how many fail the basin check and how many have a
    questionable ensemble (``basin``) — the basin check needs the ensemble, so the same fraction
    of the certified points without one is the estimate of what it does not protect."""
    from ..claims.base import best_method, twa_valid
    n = np.zeros(3, int)
    Ms, zs, worst = [], [], []
    basin = {"gaussian_certified_with_ensemble": 0, "noise_basin": 0, "twa_questionable": 0,
             "gaussian_certified_without_ensemble": 0}
    for key, ds in sorted(datasets.items()):
        if "certified" not in ds or "verdict" not in ds:
            continue
        n += np.bincount(best_method(ds).values.ravel(), minlength=3)
        if "S_Q_twa" not in ds:
            continue
        if "twa_trajectories" in ds:
            M = ds["twa_trajectories"].values
            Ms.append(M[M > 0])
            nb = ds["verdict"].values.astype(str) == "noise_basin"
            gc = ds["certified"].values.astype(bool) | nb
            ran = M > 0
            basin["gaussian_certified_with_ensemble"] += int((gc & ran).sum())
            basin["gaussian_certified_without_ensemble"] += int((gc & ~ran).sum())
            basin["noise_basin"] += int((nb & ran).sum())
            if "twa_questionable" in ds:
                basin["twa_questionable"] += int((gc & ran & ds["twa_questionable"].values.astype(bool)).sum())
        both = (ds["certified"].astype(bool) & twa_valid(ds)).values
        if not both.any():
            continue
        z = ((ds["S_Q"] - ds["S_Q_twa"]) / ds["S_Q_twa_err"]).values
        zs.append(z[both])
        for i in np.argsort(-np.abs(np.where(both, z, 0)), axis=None)[:3]:
            idx = np.unravel_index(i, z.shape)
            if both[idx] and abs(z[idx]) > AGREE_SIGMAS:
                pt = {d: _plain(ds[d].values[j]) for d, j in zip(ds["S_Q"].dims, idx) if d in ds.coords}
                worst.append({"dataset": key, "point": pt, "z": float(z[idx]), "S_Q": float(ds["S_Q"].values[idx]),
                              "S_Q_twa": float(ds["S_Q_twa"].values[idx]),
                              "S_Q_twa_err": float(ds["S_Q_twa_err"].values[idx])})
    z = np.concatenate(zs) if zs else np.zeros(0)
    M = np.concatenate(Ms) if Ms else np.zeros(0, int)
    agree = int((np.abs(z) <= AGREE_SIGMAS).sum())
    hist = np.histogram(z, bins=np.array(Z_EDGES))[0] if z.size else np.zeros(len(Z_EDGES) - 1, int)
    return {
        "methods": {"gaussian": int(n[1]), "twa": int(n[2]), "neither": int(n[0])},
        "twa_trajectories": {str(int(m)): int(c) for m, c in zip(*np.unique(M, return_counts=True))},
        "crosscheck": {
            "points": int(z.size), "agree_within_sigmas": AGREE_SIGMAS, "agree": agree,
            "agreement_rate": (agree / z.size) if z.size else None,
            "z_quantiles": ({str(q): float(np.quantile(z, q)) for q in (0.01, 0.16, 0.5, 0.84, 0.99)}
                            if z.size else {}),
            "z_mean": float(z.mean()) if z.size else None, "z_sd": float(z.std(ddof=1)) if z.size > 1 else None,
            "z_histogram": {"edges": [float(e) for e in Z_EDGES], "counts": [int(c) for c in hist]},
            "disagreements": sorted(worst, key=lambda w: -abs(w["z"]))[:20],
        },
        "basin": basin,
    }


def _plain(v):
    v = v.item() if hasattr(v, "item") else v
    return v if isinstance(v, (int, float, str)) else str(v)


def methods_line(check: dict) -> str:
    """One line: how many points each method decided."""
    m = check["methods"]
    Ms = check["twa_trajectories"]
    dist = ", ".join(f"M = {k}: {v}" for k, v in sorted(Ms.items(), key=lambda kv: int(kv[0])))
    return (f"Points decided: Gaussian {m['gaussian']}, TWA {m['twa']}, neither {m['neither']}"
            + (f" (TWA ensembles: {dist})" if dist else "") + ".")


def crosscheck_markdown(check: dict) -> str:
    c = check["crosscheck"]
    if not c["points"]:
        return "No point is certified by both methods (no cross-check sample)."
    rate = c["agreement_rate"]
    lines = [f"{c['agree']} of {c['points']} points both methods certify agree within {c['agree_within_sigmas']:g} "
             f"TWA error bars ({100 * rate:.1f} %); z = (S_Q − S_Q_twa)/err: mean {c['z_mean']:.3g}, "
             f"sd {c['z_sd'] if c['z_sd'] is None else format(c['z_sd'], '.3g')}, quantiles "
             + ", ".join(f"{float(q):g}: {v:.3g}" for q, v in c["z_quantiles"].items()) + ".", "",
             "| z bin | points |", "|---|---|"]
    b = check.get("basin")
    if b and b["gaussian_certified_with_ensemble"]:
        k, nb = b["gaussian_certified_with_ensemble"], b["noise_basin"]
        lines[0:0] = [f"Of the {k} Gaussian-certified points where the ensemble ran, {nb} ({100 * nb / k:.1f} %) fail "
                      "the basin check (part of the ensemble on another attractor class than the deterministic "
                      "protocol's orbit, or its mean photon/magnon number off the orbit's by more than "
                      "the linearisation allows: verdict noise_basin, decided by TWA where valid) and "
                      f"{b['twa_questionable']} have a questionable ensemble. The check needs the ensemble: of the "
                      f"{b['gaussian_certified_without_ensemble']} certified points without one, about the same "
                      "fraction would fail it (not checked there).", ""]
    e = c["z_histogram"]["edges"]
    lines += [f"| [{e[i]:g}, {e[i + 1]:g}) | {n} |" for i, n in enumerate(c["z_histogram"]["counts"])]
    if c["disagreements"]:
        lines += ["", "Largest disagreements:", ""]
        lines += [f"- {w['dataset']} {w['point']}: S_Q = {w['S_Q']:.4g}, S_Q_twa = {w['S_Q_twa']:.4g} ± "
                  f"{w['S_Q_twa_err']:.2g} (z = {w['z']:.2f})" for w in c["disagreements"]]
    return "\n".join(lines)


def write_crosscheck(check: dict, folder: str) -> None:
    """twa_crosscheck.json and .md beside the claims table."""
    write_text(os.path.join(folder, CROSSCHECK_JSON), json.dumps(check, indent=1, sort_keys=True) + "\n")
    write_text(os.path.join(folder, CROSSCHECK_MD),
               f"# TWA and the Gaussian method\n\n{methods_line(check)}\n\n{crosscheck_markdown(check)}\n")
