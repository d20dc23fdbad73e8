"""Figure engine of the time-domain models (kind ``time_domain``, e.g. Lai 2025).

* :func:`check_figure` — relational config checks of one figure (axes, overrides);
* :func:`resolve` — config → :class:`~qorepro.workflow.record.FigureSpec` (the params record);
* :func:`compute_figure` — all panels of a figure advanced as one batch of parameter points,
  certified, and split back into one NetCDF per panel; :func:`compute_chunk` /
  :func:`merge_chunks` do the same in slices for cluster jobs.

A run may *continue* another run (config ``continue_from``): every point starts from the
other run's stored end state (``x_end``, ``V_end`` in its panel files) instead of from t = 0,
which is exactly the uninterrupted integration (fixed steps), at a fraction of the cost.
"""
from __future__ import annotations

import copy
import errno
import json
import logging
import os
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # xarray is imported where it is used (lazy in the DAG process)
    import xarray as xr

from .. import __version__, units
from ..grid import axis_overrides, concat_params, grid_params, slice_params
from ..models import MODELS
from ..models.lai2025 import InitialState
from ..settings import CertificationSettings, SolverSettings, TWASettings
from . import cf, provenance
from .record import ConfigError, FigureSpec, PanelSpec, axis_n, axis_values, panel_axes

log = logging.getLogger(__name__)

REFERENCES = ("D.-G. Lai, A. Miranowicz, F. Nori, Nonreciprocal quantum synchronization, "
              "Nat. Commun. (2025) and its Supplementary Information; A. Mari et al., "
              "PRL 111, 103605 (2013)")
GAUSSIAN_TRACE_VARS = ("S_Q_t", "S_C_t", "X_b1", "Y_b1", "X_b2", "Y_b2")   # continued across runs
TRACE_VARS = GAUSSIAN_TRACE_VARS + ("S_Q_t_twa", "S_C_t_twa")             # the ensemble starts at t = 0
#: panel kinds this engine draws from computed points (sagnac is analytic; table is one point)
KINDS = ("line", "map", "trace", "sagnac", "revival", "table")
#: what a panel's `variables` may name, per kind (the per-point variables of
#: :data:`qorepro.sweep.VARIABLES` without extra dimensions; listed here so that the DAG process
#: need not import the compiled engine — tests check the two agree)
_POINT_VARIABLES = ("S_Q", "S_Q_min", "S_Q_max", "S_C", "E_N", "squeezing_dB", "G_a", "G_m", "N_a", "N_m",
                    "S_Q_floquet", "fp_max_re_eig", "period_tau", "floquet_max_nontrivial",
                    "linearization_ratio", "uncertainty_min_eig", "oscillation", "phase_diffusion")
PLOT_VARIABLES = {"line": _POINT_VARIABLES, "map": _POINT_VARIABLES + ("theta", "verdict"),
                  "trace": ("S_Q", "S_Q_t", "S_C_t", "X_b", "Y_b")}


# --------------------------------------------------------------------------- configuration
def solver_settings(d: dict) -> SolverSettings:
    return SolverSettings(t_end_tau=d["t_end_tau"], window_tau=tuple(d["window_tau"]),
                          steps_per_tau=d["steps_per_tau"], samples_per_tau=d["samples_per_tau"],
                          method=d["method"])


def check_figure(fig: str, fspec: dict, config: dict) -> None:
    """Checks of one time-domain figure the schema cannot express (raise ConfigError)."""
    model = MODELS[fspec.get("model", "lai2025")]
    if fspec.get("parameters"):
        raise ConfigError(f"figures.{fig}.parameters: figure-level parameters are for the "
                          f"steady-state models; use the top-level `parameters` for {model.name}")
    for pname, pspec in fspec["panels"].items():
        where = f"figures.{fig}.panels.{pname}"
        if pspec["kind"] not in KINDS:
            raise ConfigError(f"{where}.kind: {pspec['kind']!r} is not available for model {model.name} "
                              f"(kinds: {', '.join(KINDS)})")
        for ax in panel_axes(pspec):
            if ax["axis"] not in model.axes:
                raise ConfigError(f"{where}: unknown axis {ax['axis']!r}; known: {sorted(model.axes)}")
        for label, ov in (pspec.get("series") or {}).items():
            try:
                axis_overrides(ov, model)
            except (KeyError, ValueError) as e:
                raise ConfigError(f"{where}.series.{label}: {e.args[0]}") from None
        for key in ("fixed", "reference"):
            try:
                axis_overrides(pspec.get(key) or {}, model)
            except (KeyError, ValueError) as e:
                raise ConfigError(f"{where}.{key}: {e.args[0]}") from None
        if pspec["kind"] == "revival" and not ("over" in pspec and "reference" in pspec):
            raise ConfigError(f"{where}: a revival panel needs `over` and `reference`")
        allowed = PLOT_VARIABLES.get(pspec["kind"])
        for v in pspec.get("variables", []) if allowed else []:
            if v not in allowed:
                raise ConfigError(f"{where}.variables: {v!r} is not a variable of a {pspec['kind']} panel of "
                                  f"{model.name}; known: {', '.join(allowed)}")


def planned_points(fspec: dict, config: dict) -> int:
    """Parameter points of a figure, counted from its configuration (no grid is built):
    what :func:`n_points` gives once resolved, plus the analytic Sagnac panels."""
    preset = config["preset"]
    pre = config["presets"][preset]
    total = 0
    for p in fspec["panels"].values():
        default_n = pre["map_points"] if p["kind"] in ("map", "revival") else pre["line_points"]
        m = 1
        for ax in panel_axes(p):
            m *= axis_n(ax, default_n, preset)
        total += m * len(p.get("series") or {"default": {}})
        if p["kind"] == "revival" and "over" in p:
            total += axis_n(p["over"], default_n, preset)
    return total


def resolve(config: dict, figure: str, base: FigureSpec | None = None) -> FigureSpec:
    """The params record of one time-domain figure.  ``base``: the same figure of the run
    named by ``continue_from`` (its end states are this run's starting point)."""
    preset = config["preset"]
    pre = config["presets"][preset]
    fspec = config["figures"][figure]
    model = MODELS[fspec.get("model", "lai2025")]
    base_params = model.Params().replace(**config.get("parameters", {}))
    solver = copy.deepcopy(config["solver"])
    solver.update(pre.get("solver", {}))
    panels = {}
    for pname, p in fspec["panels"].items():
        kind = p["kind"]
        default_n = pre["map_points"] if kind in ("map", "revival") else pre["line_points"]
        panels[pname] = PanelSpec(
            name=pname, kind=kind, title=p.get("title", ""),
            axes={ax["axis"]: axis_values(ax, default_n, preset) for ax in panel_axes(p)},
            x=p["x"]["axis"] if "x" in p else None, y=p["y"]["axis"] if "y" in p else None,
            over=p["over"]["axis"] if "over" in p else None,
            fixed=axis_overrides(p.get("fixed") or {}, model),
            series={label: axis_overrides(ov, model) for label, ov in (p.get("series") or {"default": {}}).items()},
            reference=axis_overrides(p["reference"], model) if "reference" in p else None,
            variables=p.get("variables", ["S_Q"]), traces=kind == "trace")
    spec = FigureSpec(
        figure=figure, run=config["run"], preset=preset, model=model.name,
        code_version=f"qorepro {__version__}", title=fspec.get("title", figure),
        caption=fspec.get("caption", ""), source=fspec.get("source", ""), group=fspec.get("group", "paper"),
        parameters=base_params.to_dict(), initial_state=dict(config["initial_state"]), solver=solver,
        certification={**CertificationSettings().to_dict(), **config.get("certification", {})},
        plot=config.get("plot", {}), panels=panels)
    twa = config.get("twa") or {}
    if twa.get("enabled"):
        import dataclasses
        settings = {k: v for k, v in twa.items() if k != "enabled"}
        try:
            spec = dataclasses.replace(spec, twa=TWASettings(**settings).to_dict())
        except (TypeError, ValueError) as e:
            raise ConfigError(f"twa: {e}") from None
    if base is not None:
        if spec.twa:
            raise ConfigError("continue_from: a run with the truncated-Wigner ensemble (twa.enabled) starts from "
                              "t = 0; it cannot continue another run")
        spec = _continuation(spec, base, config.get("continue_from"))
    return spec


def _continuation(spec: FigureSpec, base: FigureSpec, run: str) -> FigureSpec:
    """Check that ``spec`` may start from ``base``'s end states; record what it continues."""
    import dataclasses

    where = f"continue_from = {run!r} ({spec.figure})"
    a, b = spec.content(), base.content()
    for d in (a, b):
        d["solver"] = {k: v for k, v in d["solver"].items() if k not in ("t_end_tau", "window_tau")}
        d.pop("continue_from", None)
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            raise ConfigError(f"{where}: the runs differ in {k!r}; a run can only continue one with the same "
                              "model, parameters, grid, initial state and steps")
    t0 = float(base.solver["t_end_tau"])
    if t0 > float(spec.solver["window_tau"][0]):
        raise ConfigError(f"{where}: {run} ends at t = {t0:g} τ, after this run's window starts "
                          f"({spec.solver['window_tau'][0]:g} τ)")
    return dataclasses.replace(spec, continue_from={"run": run, "t_tau": t0,
                                                    "record_digest": provenance.record_digest(base)})


# ------------------------------------------------------------------------------- points
def _series_params(base, panel: PanelSpec, overrides):
    return base.replace(**{**panel.fixed, **overrides})


def parts(spec: FigureSpec):
    """All parameter points of a figure: [(panel, label, coords, shape, params)], their
    concatenation, and whether any panel needs time traces."""
    model = spec.model_object
    base = model.Params(**spec.parameters)
    out = []
    for pname, p in spec.panels.items():
        if p.kind == "sagnac":
            continue
        for label, ov in p.series.items():
            coords, shape, params = grid_params(p.axes, _series_params(base, p, ov), model)
            out.append((pname, label, coords, shape, params))
        if p.kind == "revival":
            coords, shape, params = grid_params({p.over: p.axes[p.over]}, _series_params(base, p, p.reference), model)
            out.append((pname, "__reference__", coords, shape, params))
    allp = concat_params([pp[4] for pp in out]) if out else None
    traces = any(p.traces for p in spec.panels.values())
    return out, allp, traces


def n_points(spec: FigureSpec) -> int:
    """Number of parameter points the figure integrates."""
    _, allp, _ = parts(spec)
    return 0 if allp is None else allp.batch_size


def _initial(spec: FigureSpec) -> InitialState:
    ini = spec.initial_state
    means = tuple(complex(r, i) for r, i in zip(ini["means_re"], ini["means_im"]))
    return InitialState(means=means, n_init=ini.get("n_init", 0.0))


def _start_states(spec: FigureSpec, prts, base_dir: str):
    """(t0, x0 (d, N), V0 (N, d, d)) of every point, from the continued run's panel files,
    plus the continued run's traces (prepended to this run's, so traces start at t = 0)."""
    import xarray as xr
    xs, Vs, tr, parts_tr = [], [], {}, []
    cache = {}
    for pname, label, coords, shape, params in prts:
        if pname not in cache:
            path = os.path.join(base_dir, f"{pname}.nc")
            ds = xr.load_dataset(path)
            provenance.verify_dataset(ds, path)
            if ds.attrs.get("record_digest") != spec.continue_from["record_digest"]:
                raise provenance.ProvenanceError(
                    f"{path}: not the run {spec.continue_from['run']!r} this run continues (record digest differs)")
            cache[pname] = ds
        ds = cache[pname]
        dims = list(coords)
        if label == "__reference__":
            x, V = ds["x_end_reference"], ds["V_end_reference"]
        else:
            x, V = ds["x_end"].sel(series=label), ds["V_end"].sel(series=label)
        for d, vals in coords.items():
            if not np.array_equal(np.asarray(ds[d].values if label != "__reference__" else x[d].values), vals):
                raise provenance.ProvenanceError(f"{pname}.nc: axis {d} differs from this run's grid")
        m = int(np.prod(shape)) if shape else 1
        xs.append(x.transpose(*dims, "state").values.reshape(m, -1))
        Vs.append(V.transpose(*dims, "row", "col").values.reshape(m, V.sizes["row"], V.sizes["col"]))
        # the continued run's traces (trace panels only; other points get NaN, never written)
        part = {}
        if label != "__reference__" and "S_Q_t" in ds:
            tr["t"] = ds["t"].values
            part = {k: ds[k].sel(series=label).transpose(*dims, "t").values.reshape(m, -1)
                    for k in GAUSSIAN_TRACE_VARS}
        parts_tr.append((m, part))
    if "t" in tr:
        nt = tr["t"].size
        for k in GAUSSIAN_TRACE_VARS:
            tr[k] = [part.get(k, np.full((m, nt), np.nan)) for m, part in parts_tr]
    x0, V0 = np.concatenate(xs).T, np.concatenate(Vs)
    return (float(spec.continue_from["t_tau"]), x0, V0), tr


def _evaluate(spec: FigureSpec, allp, traces, *, sl=None, start=None, batch_size=256, label="", progress=None):
    from .. import backend
    from ..sweep import evaluate  # the compiled engine: imported by compute jobs only
    settings = solver_settings(spec.solver)
    cert = CertificationSettings(**spec.certification)
    n = allp.batch_size
    sl = sl or slice(0, n)
    p = slice_params(allp, sl)
    st = None if start is None else (start[0], start[1][:, sl], start[2][sl])
    log.info("figure %s%s: %d parameter points (traces=%s, continued from t = %s τ), backend %s",
             spec.figure, label, p.batch_size, traces, "0" if st is None else st[0], backend.platform())
    return evaluate(p, _initial(spec), settings, cert, batch_size=batch_size, traces=traces, start=st,
                    model=spec.model_object, progress_file=list(progress or []),
                    progress_desc=f"{spec.run}/{spec.figure}{label}")


def _engine_info(batch_size: int) -> dict:
    from .. import backend
    return {**backend.describe(), "batch_size": batch_size}


def _with_base_traces(res, t_tau, base_tr):
    """Prepend the continued run's traces (t < t0) to this run's."""
    if not base_tr or "S_Q_t" not in res:
        return res, t_tau
    t_base = base_tr["t"]
    keep = t_base < t_tau[0] - 1e-12
    for k in GAUSSIAN_TRACE_VARS:
        res[k] = np.concatenate([np.concatenate(base_tr[k])[:, keep], res[k]], axis=1)
    return res, np.concatenate([t_base[keep], t_tau])


def _twa(spec: FigureSpec, allp, traces, sl=None, label="") -> dict:
    """The truncated-Wigner ensemble of the points ``sl`` of the figure (their global indices
    seed their ensembles, so a chunk gives the same numbers as the whole figure)."""
    from .. import backend, twa
    from ..settings import ATTRACTORS
    settings, tw = solver_settings(spec.solver), TWASettings(**spec.twa)
    n = allp.batch_size
    sl = sl or slice(0, n)
    ids = np.arange(n)[sl]
    per_batch = max(1, (16384 if backend.platform() == "gpu" else 4096) // tw.trajectories)
    log.info("figure %s%s: truncated-Wigner ensemble, %d points × %d trajectories (%s, %d steps/τ, seed %d)",
             spec.figure, label, ids.size, tw.trajectories, tw.solver, tw.steps_per_tau, tw.seed)
    out = {}
    for b0 in range(0, ids.size, per_batch):
        idx = ids[b0:b0 + per_batch]
        r = twa.simulate(spec.model_object, slice_params(allp, slice(idx[0], idx[-1] + 1)), _initial(spec),
                         settings, tw, point_ids=idx, traces=traces)
        part = {"S_Q_twa": r["S_Q"], "S_Q_twa_err": r["S_Q_err"], "S_C_twa": r["S_C"], "S_C_twa_err": r["S_C_err"],
                "N_a_twa": r["numbers"][:, 0], "N_m_twa": r["numbers"][:, 1],
                "n_b1_twa": r["numbers"][:, 2], "n_b2_twa": r["numbers"][:, 3],
                "covariance_twa": r["covariance"], "census_twa": r["census"],
                "S_Q_twa_by_attractor": r["S_Q_by_attractor"], "S_Q_twa_by_attractor_err": r["S_Q_by_attractor_err"]}
        if traces:
            part["S_Q_t_twa"], part["S_C_t_twa"] = r["S_Q_t"], r["S_C_t"]
        for k, v in part.items():
            out.setdefault(k, []).append(v)
        log.info("truncated-Wigner batch: points %d–%d of %d done", idx[0] + 1, idx[-1] + 1, n)
    assert len(ATTRACTORS) == out["census_twa"][0].shape[1]
    return {k: np.concatenate(v, axis=0) for k, v in out.items()}


def compute_figure(spec: FigureSpec, outdir: str, *, base_dir: str | None = None, batch_size: int = 64,
                   progress=None) -> dict:
    """Compute all panels of ``spec``; write ``outdir/{panel}.nc``.  Returns {panel: path}.
    ``progress``: text streams the sweep's progress lines go to (None: none)."""
    prts, allp, traces = parts(spec)
    start, base_tr = (_start_states(spec, prts, base_dir) if spec.continue_from else (None, {}))
    res, t_tau = (_evaluate(spec, allp, traces, start=start, batch_size=batch_size, progress=progress)
                  if prts else ({}, None))
    res, t_tau = _with_base_traces(res, t_tau, base_tr)
    if spec.twa and prts:
        res.update(_twa(spec, allp, traces))
    return write_panels(spec, prts, res, t_tau, outdir, _engine_info(batch_size))


def compute_chunk(spec: FigureSpec, chunk: int, n_chunks: int, out_npz: str, *, base_dir=None,
                  batch_size: int = 64, progress=None) -> None:
    """Compute one of ``n_chunks`` contiguous slices of the figure's points into an .npz file
    (per-point result arrays and the sample times); :func:`merge_chunks` assembles the panels."""
    prts, allp, traces = parts(spec)
    idx = np.array_split(np.arange(allp.batch_size if allp is not None else 0), n_chunks)[chunk]
    arrays = {}
    if idx.size:
        start, base_tr = (_start_states(spec, prts, base_dir) if spec.continue_from else (None, {}))
        res, t_tau = _evaluate(spec, allp, traces, sl=slice(idx[0], idx[-1] + 1), start=start,
                               batch_size=batch_size, label=f" chunk {chunk + 1}/{n_chunks}", progress=progress)
        if base_tr:
            base_tr = {k: (v if k == "t" else [np.concatenate(v)[idx[0]:idx[-1] + 1]]) for k, v in base_tr.items()}
        res, t_tau = _with_base_traces(res, t_tau, base_tr)
        if spec.twa:
            res.update(_twa(spec, allp, traces, sl=slice(idx[0], idx[-1] + 1), label=f" chunk {chunk + 1}/{n_chunks}"))
        arrays = {f"res_{k}": v for k, v in res.items()}
        arrays["t_tau"] = t_tau
    tmp = out_npz + ".part.npz"
    try:
        np.savez(tmp, n_points=np.array(idx.size), engine=json.dumps(_engine_info(batch_size)), **arrays)
        os.replace(tmp, out_npz)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def merge_chunks(spec: FigureSpec, npz_paths, outdir: str) -> dict:
    """Concatenate chunk results (in order) and write the figure's panel NetCDF files."""
    prts, _, _ = parts(spec)
    chunks = [np.load(p, allow_pickle=False) for p in npz_paths]
    engine = json.loads(str(chunks[0]["engine"])) if chunks else {}
    chunks = [c for c in chunks if int(c["n_points"]) > 0]
    keys = [k[4:] for k in chunks[0].files if k.startswith("res_")] if chunks else []
    res = {k: np.concatenate([c[f"res_{k}"] for c in chunks], axis=0) for k in keys}
    t_tau = chunks[0]["t_tau"] if chunks else None
    return write_panels(spec, prts, res, t_tau, outdir, engine)


# ------------------------------------------------------------------------------ datasets
def write_panels(spec: FigureSpec, prts, res: dict, t_tau, outdir: str, engine: dict) -> dict:
    """Split the per-point results back into panels and write one NetCDF file per panel."""
    import xarray as xr

    from ..sweep import assemble
    model = spec.model_object
    base = model.Params(**spec.parameters)
    settings = solver_settings(spec.solver)
    cert = CertificationSettings(**spec.certification)
    results = {}
    offset = 0
    for pname, label, coords, shape, params in prts:
        m = params.batch_size
        sub = {k: v[offset:offset + m] for k, v in res.items()}
        offset += m
        ds = assemble(sub, coords, shape, t_tau, base, _initial(spec), settings, cert, model)
        if not spec.panels[pname].traces:
            ds = ds.drop_vars([v for v in TRACE_VARS if v in ds] + (["t"] if "t" in ds.coords else []))
        results.setdefault(pname, {})[label] = ds

    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for pname, p in spec.panels.items():
        if p.kind == "sagnac":
            ds = _sagnac_panel(p, spec.parameters)
        else:
            blocks = results[pname]
            labels = [k for k in blocks if k != "__reference__"]
            ds = xr.concat([blocks[k] for k in labels], dim="series", combine_attrs="override")
            ds = ds.assign_coords(series=("series", labels, {"long_name": "case"}))
            if p.kind == "revival":
                ds = _add_revival(ds, blocks["__reference__"], p)
        if spec.twa:
            ds.attrs["twa_settings"] = json.dumps(spec.twa, sort_keys=True)
        ds = provenance.stamp(ds, spec, pname, REFERENCES,
                              f"{spec.code_version}, model {spec.model}, time-domain Gaussian solver (mean "
                              f"fields + covariance, fixed-step {spec.solver['method']}, "
                              f"{spec.solver['steps_per_tau']} steps per τ), JAX float64", engine)
        paths[pname] = write_netcdf(ds, os.path.join(outdir, f"{pname}.nc"))
        log.info("wrote %s", paths[pname])
    return paths


def write_netcdf(ds: xr.Dataset, path: str) -> str:
    """Write atomically: a ``.part`` file renamed into place; nothing is left on failure, and a
    full disk is reported as such (netCDF4 says only "NetCDF: HDF error").  Coordinates are
    encoded as CF wants them (:func:`qorepro.workflow.cf.encoding`)."""
    tmp = path + ".part"
    try:
        ds.to_netcdf(tmp, encoding=cf.encoding(ds))
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, Exception) and _disk_full(path, ds, e):
            raise OSError(errno.ENOSPC, "No space left on device", path) from e
        raise
    return path


def _disk_full(path: str, ds, e: Exception) -> bool:
    """Whether a failed write was (most likely) a full disk: ENOSPC itself, or less room left on
    the file system than the dataset needs (HDF5 hides the errno)."""
    import shutil
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    try:
        free = shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
    except OSError:
        return False
    return free < 2 * ds.nbytes + (1 << 20)


def remove_partial(outdir: str) -> list:
    """Remove what a killed write left in ``outdir`` (``*.part`` files; only the job that owns
    the directory writes there).  Returns the removed paths."""
    import glob
    stale = glob.glob(os.path.join(outdir, "*.part"))
    for p in stale:
        os.remove(p)
        log.warning("removed %s, left by an interrupted run", p)
    return stale


def _sagnac_panel(p: PanelSpec, params) -> xr.Dataset:
    """σ_a(Ω) for each series (SI eq. S52): analytic, no dynamics to certify."""
    import xarray as xr
    x = p.x
    om = np.asarray(p.axes[x], dtype=float)
    geo = dict(omega1_rad_s=2 * np.pi * units.MHZ * params["omega1_MHz"],
               radius_m=params["radius_mm"] * units.MM)
    rows = [units.sagnac_shift(om, ov.get("direction", 1.0), **geo) for ov in p.series.values()]
    ds = xr.Dataset(
        {"sigma_a": (("series", x), np.array(rows),
                     {"units": "omega1", "long_name": "Sagnac–Fizeau shift σ_a (SI eq. S52)"})},
        coords={"series": ("series", list(p.series), {"long_name": "case"}),
                x: (x, om, {"units": "kHz (1e3 rad/s)", "long_name": "spinning angular velocity Ω"})})
    ds.attrs["sagnac_factor_Lambda"] = float(units.sagnac_factor(radius_m=geo["radius_m"]))
    return ds


def _add_revival(ds, ref, p: PanelSpec) -> xr.Dataset:
    """Revival factor Λ = max_over S_Q(n̄, K) / max_over S_Q(reference) (main eq. 7)."""
    over = p.over
    num = ds["S_Q"].max(over)
    den = float(ref["S_Q"].max())
    ds["revival"] = (num / den).assign_attrs(
        units="1", long_name=f"revival factor Λ (main eq. 7), maxima over {over}")
    ds["revival_certified_fraction"] = ds["certified"].mean(over).assign_attrs(
        units="1", long_name=f"fraction of certified points along {over}")
    ds["S_Q_reference"] = ref["S_Q"].assign_attrs(long_name="S_Q of the reference case (n̄ = 0, K = 0)", units="1")
    ds["certified_reference"] = ref["certified"]
    ds["dynamically_stable_reference"] = ref["dynamically_stable"]
    ds["x_end_reference"] = ref["x_end"]
    ds["V_end_reference"] = ref["V_end"]
    ds.attrs["revival_reference"] = json.dumps(p.reference, sort_keys=True)
    ds.attrs["revival_reference_max_S_Q"] = den
    return ds
