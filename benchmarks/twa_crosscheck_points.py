"""Rerun the truncated-Wigner ensemble at the cross-check points of a finished run only.

The cross-check sample of a run (``twa.where: uncertified``) is the set of points where both the
Gaussian verdict is certified and the ensemble ran.  This script reads a run's panel files
(``results/<run>/data``) and records (``results/<run>/params``), picks those points, and reruns at
exactly them the pipeline's own code: :func:`qorepro.twa.adaptive` with the run's settings and the
points' global indices as seeds (so the ensembles are the run's own, bit for bit, extended to
``--trajectories`` where asked), :func:`qorepro.twa.protocol_attractor` (the class of the
deterministic protocol's orbit from the stored end state), the switching fraction and the basin
check of :mod:`qorepro.twa_validity`.  Prints one line per point with |z| > 3 (stored run and
rerun) and a summary; ``--json`` writes every point.

    python benchmarks/twa_crosscheck_points.py /work/main3/results/baseline [--m-min 512 --m-max 512]
"""
from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os
import time

import numpy as np
import xarray as xr

from qorepro import twa, twa_validity
from qorepro.grid import slice_params
from qorepro.models.base import nonlinear_modes
from qorepro.workflow import figure
from qorepro.workflow.record import FigureSpec


def flat_points(spec, pts, data_dir):
    """Per-point stored variables of a figure in the order of ``pts`` (the engine's flat batch)."""
    names = ("certified", "verdict", "S_Q", "S_Q_twa", "S_Q_twa_err", "twa_questionable", "twa_trajectories", "twa_decided",
             "census_twa", "x_end", "twa_truncation", "linearization_ratio", "phase_diffusion", "S_Q_floquet",
             "N_a", "N_m")
    out = {k: [] for k in names}
    cache = {}
    for b in pts.blocks:
        if b.reference:                          # a revival panel's reference case: no ensemble stored
            for k in names:
                out[k].append(None)
            continue
        ds = cache.setdefault(b.panel, xr.load_dataset(os.path.join(data_dir, f"{b.panel}.nc")))
        if "S_Q_twa" not in ds:
            return None
        d = ds.sel(series=b.label)
        dims = list(b.coords)
        for k in names:
            v = d[k]
            extra = [x for x in v.dims if x not in dims]
            out[k].append(v.transpose(*dims, *extra).values.reshape((b.size,) + v.shape[len(dims):]))
    for k in names:                              # the reference blocks: not run, not certified here
        like = next(v for v in out[k] if v is not None)
        out[k] = [np.zeros((b.size,) + like.shape[1:], like.dtype) if v is None else v
                  for v, b in zip(out[k], pts.blocks)]
    return {k: np.concatenate(v) for k, v in out.items()}


def nested_calibration(rows) -> None:
    """Is the stored error bar honest?  Where the rerun extends the stored ensemble (same
    trajectories, M_rerun > M_stored), S_stored − S_rerun has variance err_stored² − err_rerun²
    (nested means), so z = (S_stored − S_rerun)/√(err_stored² − err_rerun²) is N(0, 1) if the
    stored error bar is right — a check of the TWA's own statistics that does not involve the
    Gaussian value.  Prints, per stored M, the spread of z and its tail counts against a normal's."""
    from statistics import NormalDist
    by_m = {}
    for w in rows:
        s, r = w["stored"], w["rerun"]
        v = s["err"] ** 2 - r["err"] ** 2
        if r["M"] > s["M"] > 0 and v > 0:
            by_m.setdefault(s["M"], []).append((s["S_Q_twa"] - r["S_Q_twa"]) / np.sqrt(v))
    for m, z in sorted(by_m.items()):
        z = np.asarray(z)
        robust = 1.4826 * np.median(np.abs(z - np.median(z)))
        tails = ", ".join(f"|z| > {k}: {int((np.abs(z) > k).sum())} (normal {2 * NormalDist().cdf(-k) * z.size:.1f})"
                          for k in (2, 3))
        print(f"error bar at stored M = {m} against its extension (nested z, {z.size} points): sd {z.std():.3f}, "
              f"robust sd {robust:.3f}; {tails}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--figures", nargs="*")
    ap.add_argument("--m-min", type=int)
    ap.add_argument("--m-max", type=int)
    ap.add_argument("--json")
    ap.add_argument("--only", help="a --json file of an earlier call: rerun its points with |z| > 3 only")
    a = ap.parse_args()
    rows = []
    cpu0 = time.process_time()
    for path in sorted(glob.glob(os.path.join(a.run, "params", "*.json"))):
        fig = os.path.basename(path)[:-5]
        if a.figures and fig not in a.figures:
            continue
        spec = FigureSpec.load(path)
        if spec.model_object.kind != "time_domain" or not spec.twa:
            continue
        pts = figure.points(spec)
        st = flat_points(spec, pts, os.path.join(a.run, "data", fig))
        if st is None:
            continue
        ran = st["twa_trajectories"] > 0
        sample = np.nonzero(ran & st["certified"].astype(bool))[0]
        if a.only:
            with open(a.only) as fh:
                keep = {w["index"] for w in json.load(fh) if w["figure"] == fig and abs(w["stored"]["z"]) > 3}
            sample = np.array([i for i in sample if i in keep], dtype=int)
        if not sample.size:
            continue
        tw = spec.twa_settings
        if a.m_min or a.m_max:
            tw = dataclasses.replace(tw, min_trajectories=a.m_min or tw.min_trajectories,
                                     trajectories=a.m_max or tw.trajectories)
        allp = spec.model_object.Params(**pts.flat)
        p = slice_params(allp, sample)
        r = twa.adaptive(spec.model_object, p, spec.initial, spec.solver_settings, tw, point_ids=sample)
        g = twa.protocol_attractor(spec.model_object, p, st["x_end"][sample].T, spec.solver_settings)
        q = twa_validity.truncation_ratio(r["occupations"][:, list(nonlinear_modes(spec.model_object))])
        frac = twa_validity.basin_fraction(r["census"], g)
        basin = twa_validity.noise_basin(frac, r["trajectories"])
        shift = twa_validity.occupation_shift(r["numbers"][:, :2].T, np.stack([st["N_a"][sample], st["N_m"][sample]]))
        orbit_off = twa_validity.off_orbit(shift, spec.certification_settings.linearization_max_ratio)
        for j, i in enumerate(sample):
            where = []
            off = 0
            for b in pts.blocks:
                if off <= i < off + b.size:
                    idx = np.unravel_index(i - off, b.shape)
                    where = [b.panel, b.label, {k: float(v[q]) for (k, v), q in zip(b.coords.items(), idx)}]
                    break
                off += b.size
            rows.append({
                "figure": fig, "panel": where[0], "series": where[1], "point": where[2], "index": int(i),
                "verdict": str(st["verdict"][i]), "S_Q": float(st["S_Q"][i]),
                "linearization_ratio": float(st["linearization_ratio"][i]),
                "phase_diffusion": float(st["phase_diffusion"][i]), "S_Q_floquet": float(st["S_Q_floquet"][i]),
                "stored": {"S_Q_twa": float(st["S_Q_twa"][i]), "err": float(st["S_Q_twa_err"][i]),
                           "M": int(st["twa_trajectories"][i]), "questionable": bool(st["twa_questionable"][i]), "decided": bool(st["twa_decided"][i]),
                           "census": st["census_twa"][i].tolist()},
                "rerun": {"S_Q_twa": float(r["S_Q"][j]), "err": float(r["S_Q_err"][j]), "M": int(r["trajectories"][j]),
                          "census": r["census"][j].tolist(), "switching": float(r["switching"][j]),
                          "q": float(q[j])},
                "protocol_class": int(g[j]), "basin_fraction": float(frac[j]), "noise_basin": bool(basin[j]),
                "occupation_shift": float(shift[j]), "off_orbit": bool(orbit_off[j]),
            })
        print(f"{fig}: {sample.size} cross-check points", flush=True)
    for w in rows:
        for k in ("stored", "rerun"):
            w[k]["z"] = (w["S_Q"] - w[k]["S_Q_twa"]) / w[k]["err"] if w[k]["err"] > 0 else float("nan")
    bad = [w for w in rows if abs(w["stored"]["z"]) > 3 or abs(w["rerun"]["z"]) > 3 or w["noise_basin"]
           or w["off_orbit"] or w["rerun"]["switching"] > twa_validity.SWITCHING_THRESHOLD]
    for w in sorted(bad, key=lambda w: -abs(w["stored"]["z"])):
        print(f"{w['figure']}/{w['panel']} {w['series']} {w['point']} {w['verdict']}: S_Q {w['S_Q']:.4g}; "
              f"stored {w['stored']['S_Q_twa']:.4g}±{w['stored']['err']:.2g} (M {w['stored']['M']}, z {w['stored']['z']:.3g}); "
              f"rerun {w['rerun']['S_Q_twa']:.4g}±{w['rerun']['err']:.2g} (M {w['rerun']['M']}, z {w['rerun']['z']:.3g}); "
              f"census {np.round(w['rerun']['census'], 3).tolist()} protocol {w['protocol_class']} "
              f"basin {w['basin_fraction']:.3f} noise_basin {w['noise_basin']} occupation shift "
              f"{w['occupation_shift']:.3g} (off orbit {w['off_orbit']}) switching {w['rerun']['switching']:.3f} "
              f"q {w['rerun']['q']:.3g} lin {w['linearization_ratio']:.3g} phase_diff {w['phase_diffusion']:.3g} "
              f"S_Q_floquet {w['S_Q_floquet']:.4g}")
    kept = [w for w in rows if not (w["noise_basin"] or w["off_orbit"]) and not w["rerun"]["q"] > twa_validity.TRUNCATION_THRESHOLD
            and not w["rerun"]["switching"] > twa_validity.SWITCHING_THRESHOLD]
    for k in ("stored", "rerun"):
        agree = sum(abs(w[k]["z"]) <= 3 for w in kept)
        print(f"{k}: {agree} of {len(kept)} points that pass the basin check (census and occupations, rerun "
              f"ensemble) and the TWA certificate agree within 3 error bars")
    nested_calibration(kept)
    print(f"{len(rows)} points, CPU {time.process_time() - cpu0:.0f} s")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
