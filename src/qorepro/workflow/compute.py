"""The ``sweep`` stage: compute every panel of one figure into its own NetCDF file.

All panels (and all series of each panel) of a figure are advanced together as one batch
of parameter points, so a figure costs one batched integration however many panels it has;
the results are split back into one Dataset per panel.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import sys

import numpy as np
import xarray as xr

from .. import units
from ..sweep import assemble, concat_params, evaluate, grid_params
from .spec import jsonable, to_settings

log = logging.getLogger(__name__)

REFERENCES = ("D.-G. Lai, A. Miranowicz, F. Nori, Nonreciprocal quantum synchronization, "
              "Nat. Commun. (2025) and its Supplementary Information; A. Mari et al., "
              "PRL 111, 103605 (2013)")
TRACE_VARS = ("S_Q_t", "S_C_t", "X_b1", "Y_b1", "X_b2", "Y_b2")


def _series_params(base, panel, overrides):
    return base.replace(**{**panel["fixed"], **overrides})


def _parts(record: dict):
    """All parameter points of a figure: [(panel, label, coords, shape, params)], their
    concatenation, and whether any panel needs time traces."""
    base = to_settings(record)[0]
    parts = []
    for pname, p in record["panels"].items():
        if p["kind"] == "sagnac":
            continue
        for label, ov in p["series"].items():
            coords, shape, params = grid_params(p["axes"], _series_params(base, p, ov))
            parts.append((pname, label, coords, shape, params))
        if p["kind"] == "revival":
            over = p["over"]
            coords, shape, params = grid_params({over: p["axes"][over]},
                                                _series_params(base, p, p["reference"]))
            parts.append((pname, "__reference__", coords, shape, params))
    allp = concat_params([pp[4] for pp in parts]) if parts else None
    traces = any(p["traces"] for p in record["panels"].values())
    return parts, allp, traces


def n_points(record: dict) -> int:
    """Number of parameter points the figure integrates (0 for steady-state figures, which
    are never split into chunks: a whole figure takes seconds)."""
    if record.get("model", "lai2025") != "lai2025":
        return 0
    _, allp, _ = _parts(record)
    return 0 if allp is None else allp.batch_size


def _evaluate(record, allp, traces, label=""):
    _, initial, solver, cert = to_settings(record)
    log.info("figure %s%s: %d parameter points (traces=%s)", record["figure"], label, allp.batch_size, traces)
    return evaluate(allp, initial, solver, cert, batch_size=record["batch_size"], traces=traces,
                    progress=lambda d, k: log.info("progress: batch %d/%d", d, k))


def compute_figure(record: dict, outdir: str) -> dict:
    """Compute all panels of ``record`` (a params record); write ``outdir/{panel}.nc``.

    Returns {panel: path}.
    """
    if record.get("model", "lai2025") != "lai2025":
        from .steady import compute_figure as steady_figure
        return steady_figure(record, outdir)
    parts, allp, traces = _parts(record)
    res, t_tau = _evaluate(record, allp, traces) if parts else ({}, None)
    return write_panels(record, parts, res, t_tau, outdir)


def compute_chunk(record: dict, chunk: int, n_chunks: int, out_npz: str) -> None:
    """Compute one of ``n_chunks`` contiguous slices of the figure's points into an .npz file
    (per-point result arrays and the sample times); :func:`merge_chunks` assembles the panels."""
    parts, allp, traces = _parts(record)
    idx = np.array_split(np.arange(allp.batch_size if allp is not None else 0), n_chunks)[chunk]
    arrays = {}
    if idx.size:
        from ..sweep import _slice
        res, t_tau = _evaluate(record, _slice(allp, slice(idx[0], idx[-1] + 1)), traces,
                               f" chunk {chunk + 1}/{n_chunks}")
        arrays = {f"res_{k}": v for k, v in res.items()}
        arrays["t_tau"] = t_tau
    tmp = out_npz + ".part.npz"
    np.savez(tmp, n_points=np.array(idx.size), **arrays)
    os.replace(tmp, out_npz)


def merge_chunks(record: dict, npz_paths, outdir: str) -> dict:
    """Concatenate chunk results (in order) and write the figure's panel NetCDF files."""
    parts, _, _ = _parts(record)
    chunks = [np.load(p, allow_pickle=False) for p in npz_paths]
    chunks = [c for c in chunks if int(c["n_points"]) > 0]
    keys = [k[4:] for k in chunks[0].files if k.startswith("res_")] if chunks else []
    res = {k: np.concatenate([c[f"res_{k}"] for c in chunks], axis=0) for k in keys}
    t_tau = chunks[0]["t_tau"] if chunks else None
    return write_panels(record, parts, res, t_tau, outdir)


def write_panels(record: dict, parts, res: dict, t_tau, outdir: str) -> dict:
    """Split the per-point results back into panels and write one NetCDF file per panel."""
    base, initial, solver, cert = to_settings(record)
    results = {}
    offset = 0
    for pname, label, coords, shape, params in parts:
        m = params.batch_size
        sub = {k: v[offset:offset + m] for k, v in res.items()}
        offset += m
        ds = assemble(sub, coords, shape, t_tau, base, initial, solver, cert)
        if not record["panels"][pname]["traces"]:
            ds = ds.drop_vars([v for v in TRACE_VARS if v in ds] + (["t"] if "t" in ds.coords else []))
        results.setdefault(pname, {})[label] = ds

    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for pname, p in record["panels"].items():
        if p["kind"] == "sagnac":
            ds = _sagnac_panel(p, record["parameters"])
        else:
            blocks = results[pname]
            labels = [k for k in blocks if k != "__reference__"]
            ds = xr.concat([blocks[k] for k in labels], dim="series", combine_attrs="override")
            ds = ds.assign_coords(series=("series", labels, {"long_name": "case"}))
            if p["kind"] == "revival":
                ds = _add_revival(ds, blocks["__reference__"], p)
        ds = _provenance(ds, record, pname, p)
        path = os.path.join(outdir, f"{pname}.nc")
        tmp = path + ".part"
        ds.to_netcdf(tmp)
        os.replace(tmp, path)
        paths[pname] = path
        log.info("wrote %s", path)
    return paths


def _sagnac_panel(p, params) -> xr.Dataset:
    """σ_a(Ω) for each series (SI eq. S52): analytic, no dynamics to certify."""
    x = p["x"]
    om = np.asarray(p["axes"][x], dtype=float)
    geo = dict(omega1_rad_s=2 * np.pi * units.MHZ * params["omega1_MHz"],
               radius_m=params["radius_mm"] * units.MM)
    rows = [units.sagnac_shift(om, ov.get("direction", 1.0), **geo) for ov in p["series"].values()]
    ds = xr.Dataset(
        {"sigma_a": (("series", x), np.array(rows),
                     {"units": "omega1", "long_name": "Sagnac–Fizeau shift σ_a (SI eq. S52)"})},
        coords={"series": ("series", list(p["series"]), {"long_name": "case"}),
                x: (x, om, {"units": "kHz (1e3 rad/s)", "long_name": "spinning angular velocity Ω"})})
    ds.attrs["sagnac_factor_Lambda"] = float(units.sagnac_factor(radius_m=geo["radius_m"]))
    return ds


def _add_revival(ds, ref, p) -> xr.Dataset:
    """Revival factor Λ = max_over S_Q(n̄, K) / max_over S_Q(reference) (main eq. 7)."""
    over = p["over"]
    num = ds["S_Q"].max(over)
    den = float(ref["S_Q"].max())
    ds["revival"] = (num / den).assign_attrs(
        units="1", long_name=f"revival factor Λ (main eq. 7), maxima over {over}")
    ds["revival_certified_fraction"] = ds["certified"].mean(over).assign_attrs(
        units="1", long_name=f"fraction of certified points along {over}")
    ds["S_Q_reference"] = ref["S_Q"].rename({over: over}).assign_attrs(
        long_name="S_Q of the reference case (n̄ = 0, K = 0)", units="1")
    ds["certified_reference"] = ref["certified"]
    ds["dynamically_stable_reference"] = ref["dynamically_stable"]
    ds.attrs["revival_reference"] = json.dumps(p["reference"], sort_keys=True)
    ds.attrs["revival_reference_max_S_Q"] = den
    return ds


def _provenance(ds, record, pname, p) -> xr.Dataset:
    ds.attrs.update({
        "Conventions": "CF-1.10",
        "title": f"{record['figure']} panel {pname}: {p.get('title') or record['title']}",
        "source": f"{record['code_version']}, model {record['model']}, time-domain Gaussian "
                  "solver (mean fields + covariance, fixed-step Runge-Kutta)",
        "history": f"{_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')}: "
                   f"python -m qorepro.workflow sweep ({' '.join(sys.argv[1:])})",
        "references": REFERENCES,
        "figure": record["figure"],
        "panel": pname,
        "run": record["run"],
        "preset": record["preset"],
        "code_version": record["code_version"],
        "parameters": json.dumps(record["parameters"], sort_keys=True),
        "panel_spec": json.dumps(jsonable(p), sort_keys=True),
        "solver_settings": json.dumps(record["solver"], sort_keys=True),
    })
    if "certification" in record:      # time-domain (Lai) figures
        ds.attrs.update({
            "certification_settings": json.dumps(record["certification"], sort_keys=True),
            "window_tau": json.dumps(record["solver"]["window_tau"]),
            "initial_state": json.dumps(record["initial_state"], sort_keys=True),
        })
    if "parameter_units" in record:
        ds.attrs["parameter_units"] = json.dumps(record["parameter_units"], sort_keys=True)
    return ds
