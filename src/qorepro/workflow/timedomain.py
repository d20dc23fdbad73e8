"""Evaluator of the time-domain models (kind ``time_domain``, e.g. Lai 2025) for the figure
engine (:mod:`qorepro.workflow.figure`): how a batch of parameter points is integrated and
certified (:func:`qorepro.sweep.evaluate`, optionally the truncated-Wigner ensemble), and how
the per-point results become a panel.

A run may *continue* another run (config ``continue_from``): every point starts from the
other run's stored end state (``x_end``, ``V_end`` in its panel files) instead of from t = 0,
which is exactly the uninterrupted integration (fixed steps), at a fraction of the cost.  Its
truncated-Wigner ensemble (``twa.where`` other than none) is not continued — trajectories are not
stored — but runs from t = 0 to the run's own end: the same numbers as in the uninterrupted run.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import json
import logging
import os
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # xarray is imported where it is used (lazy in the DAG process)
    import xarray as xr

from .. import units
from ..settings import CertificationSettings, TWASettings
from . import provenance
from .record import ConfigError, FigureSpec, PanelSpec

log = logging.getLogger(__name__)

GAUSSIAN_TRACE_VARS = ("S_Q_t", "S_C_t", "X_b1", "Y_b1", "X_b2", "Y_b2")   # continued across runs
TRACE_VARS = GAUSSIAN_TRACE_VARS + ("S_Q_t_twa", "S_C_t_twa")             # the ensemble starts at t = 0
#: panel kinds of the time-domain models (sagnac is analytic; table is one point)
KINDS = ("line", "map", "trace", "sagnac", "revival", "table")
#: dimension order of a panel grid: the record's axes (see qorepro.workflow.figure._dim_order)
DIM_ORDER = "record"
DEFAULT_GROUP = "paper"
#: figure-level parameter overrides are for the steady-state models
FIGURE_PARAMETERS = False
#: figures with many points are split into chunk jobs
CHUNKED = True
#: whether the evaluator computes on the accelerator where the run has one (JAX programs): its
#: sweep jobs then hold the workflow's `gpu` resource (:func:`qorepro.workflow.figure.planned_gpus`)
ACCELERATED = True
#: what a panel's `variables` may name, per kind (the per-point variables of
#: :func:`qorepro.sweep.variables_of` without extra dimensions; listed here so that the DAG process
#: need not import the compiled engine — tests check the two agree)
_POINT_VARIABLES = ("S_Q", "S_Q_min", "S_Q_max", "S_C", "E_N", "squeezing_dB", "G_a", "G_m", "N_a", "N_m",
                    "S_Q_floquet", "fp_max_re_eig", "period_tau", "floquet_max_nontrivial",
                    "linearization_ratio", "uncertainty_min_eig", "oscillation", "phase_diffusion")
PLOT_VARIABLES = {"line": _POINT_VARIABLES, "map": _POINT_VARIABLES + ("theta", "verdict"),
                  "trace": ("S_Q", "S_Q_t", "S_C_t", "X_b", "Y_b")}


# --------------------------------------------------------------------------- configuration
def available(kind: str, model) -> bool:
    return True


def plot_variables(kind: str, model):
    return PLOT_VARIABLES.get(kind)


def check_panel(where: str, pspec: dict, model) -> None:
    """A revival factor here is a ratio of maxima over ``over`` (main eq. 7): it needs that axis."""
    if pspec["kind"] == "revival" and "over" not in pspec:
        raise ConfigError(f"{where}: a revival panel needs `over` and `reference`")


def base_parameters(config: dict, model) -> dict:
    """The model's defaults with the top-level ``parameters`` of the configuration."""
    try:
        return model.Params().replace(**config.get("parameters", {})).to_dict()
    except KeyError as e:
        raise KeyError(f"parameters: {e.args[0]}") from None


def record_fields(config: dict, fspec: dict, model) -> dict:
    """Solver (with the preset's), initial state, certification and truncated-Wigner settings
    (``twa.where`` other than none; in a run that continues another as well: its Gaussian points
    start from the other run's end states, its ensemble at t = 0; the thresholds of the
    sequential rule from the claims file unless given)."""
    solver = copy.deepcopy(config["solver"])
    solver.update(config["presets"][config["preset"]].get("solver", {}))
    out = {"initial_state": dict(config["initial_state"]), "solver": solver,
           "certification": {**CertificationSettings().to_dict(), **config.get("certification", {})}}
    twa = twa_section(config)
    if twa.get("where", "uncertified") != "none":
        try:
            out["twa"] = TWASettings(**{"thresholds": claim_thresholds(config), **twa}).to_dict()
        except (TypeError, ValueError) as e:
            raise ConfigError(f"twa: {e}") from None
    return out


def twa_section(config: dict) -> dict:
    """The configuration's ``twa`` section, the deprecated ``enabled`` read as ``where``
    (true → ``all``, the old side run; false → ``none``)."""
    twa = dict(config.get("twa") or {})
    if "enabled" in twa:
        enabled = twa.pop("enabled")
        twa.setdefault("where", "all" if enabled else "none")
    return twa


#: the claims' S_Q thresholds the adaptive ensemble decides against (config/claims.yaml ``thresholds``)
THRESHOLD_KEYS = ("S_zero", "S_sync")


def claim_thresholds(config: dict) -> list:
    """S_zero and S_sync of the run's claims file: the values each point's ensemble grows
    until its S_Q interval holds none of them (:class:`qorepro.ensemble.SequentialRule`).
    Read once per file version (planning resolves every figure's record: ≈ 40 reads)."""
    path = config.get("claims_file", "config/claims.yaml")
    try:
        st = os.stat(path)
        return list(_thresholds(os.path.abspath(path), st.st_mtime_ns, st.st_size))
    except OSError as e:
        raise ConfigError(f"claims_file: {path}: {e.strerror} (the truncated-Wigner ensemble decides against "
                          "its thresholds; or set twa.thresholds)") from None


@functools.lru_cache(maxsize=16)
def _thresholds(path: str, mtime_ns: int, size: int) -> tuple:
    """The sorted :data:`THRESHOLD_KEYS` values of a claims file (keyed by its version)."""
    import yaml
    with open(path) as fh:
        th = (yaml.load(fh, Loader=yaml.CSafeLoader) or {}).get("thresholds") or {}
    return tuple(sorted(float(th[k]) for k in THRESHOLD_KEYS if k in th))


def continuation(spec: FigureSpec, base: FigureSpec, config: dict) -> FigureSpec:
    """Check that ``spec`` may start from ``base``'s end states; record what it continues."""
    run = config.get("continue_from")
    where = f"continue_from = {run!r} ({spec.figure})"
    a, b = spec.content(), base.content()
    for d in (a, b):
        d["solver"] = {k: v for k, v in d["solver"].items() if k not in ("t_end_tau", "window_tau")}
        d.pop("continue_from", None)
        d.pop("twa", None)                  # the ensembles start at t = 0: not part of the end states
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



def source(spec: FigureSpec) -> str:
    return (f"{spec.code_version}, model {spec.model}, time-domain Gaussian solver (mean fields + covariance, "
            f"fixed-step {spec.solver['method']}, {spec.solver['steps_per_tau']} steps per τ), JAX float64")


def engine_info(batch_size: int) -> dict:
    """The engine settings a panel records: backend, device, versions, batch size, and how the
    ensemble's M is chosen there (:meth:`qorepro.settings.TWASettings.on`)."""
    from .. import backend
    info = {**backend.describe(), "batch_size": batch_size}
    return {**info, "twa_trajectories": "M_max at every point" if info["backend"] == "gpu" else "adaptive"}


# ------------------------------------------------------------------------------- evaluate
def evaluate(spec: FigureSpec, pts, sl: slice, *, base_dir=None, batch_size: int = 64, progress=None,
             label: str = ""):
    """Integrate and certify the points ``sl`` of the figure (from the continued run's end
    states where it continues one; with the truncated-Wigner ensemble where enabled).
    Returns (per-point results, sample times)."""
    allp = spec.model_object.Params(**pts.flat)
    traces = any(p.traces for p in spec.panels.values())
    start, base_tr = _start_states(spec, pts, base_dir) if spec.continue_from else (None, {})
    res, t_tau = _evaluate(spec, allp, traces, sl, start, batch_size, progress, label)
    if base_tr:
        base_tr = {k: (v if k == "t" else [np.concatenate(v)[sl]]) for k, v in base_tr.items()}
    res, t_tau = _with_base_traces(res, t_tau, base_tr)
    if spec.twa:
        where = twa_points(spec.twa_settings, pts, res["certified"], sl)
        res.update(_twa(spec, allp, traces, sl, where, label, x_end=res["x_end"]))
        res.update(basin_verdict(res, spec.certification_settings.linearization_max_ratio))
    return res, t_tau


#: (the orbit's window-mean |z|², the ensemble's window-mean occupation) of the modes the
#: occupation half of the basin check compares (where both are in a run's results)
OCCUPATION_PAIRS = (("N_a", "N_a_twa"), ("N_m", "N_m_twa"))


def basin_verdict(res: dict, linearization_max_ratio: float) -> dict:
    """The basin check of the Gaussian value: a certified point whose ensemble ran and is not
    the fluctuations about the deterministic protocol's orbit — part of it on another attractor
    class (``twa_basin_fraction`` below 1 beyond the stated tolerance,
    :func:`qorepro.twa_validity.noise_basin`) or its mean occupations shifted off the orbit's by
    more than the linearisation allows (``twa_occupation_shift`` > ρ_max²,
    :func:`qorepro.twa_validity.off_orbit`) — gets the verdict ``noise_basin`` and is no longer
    certified: its best valid method is then the ensemble's.  Returns the updated ``verdict``,
    ``certified`` and ``twa_occupation_shift``."""
    from ..twa_validity import noise_basin, occupation_shift, off_orbit
    pairs = [(g, t) for g, t in OCCUPATION_PAIRS if g in res and t in res]
    n = np.asarray(res["certified"]).shape[0]
    shift = (occupation_shift([res[t] for _, t in pairs], [res[g] for g, _ in pairs]) if pairs
             else np.full(n, np.nan))
    bad = np.asarray(res["certified"], bool) & (
        noise_basin(res["twa_basin_fraction"], res["twa_trajectories"]) | off_orbit(shift, linearization_max_ratio))
    verdict = np.where(bad, "noise_basin", np.asarray(res["verdict"]).astype(object))
    return {"verdict": verdict.astype(str), "certified": np.asarray(res["certified"], bool) & ~bad,
            "twa_occupation_shift": shift}


def crosscheck_points(pts, per_block: int) -> np.ndarray:
    """The cross-check positions of a figure's points (N,) bool: in every series block of
    ``size`` points, those whose position in the block is a multiple of
    k = max(1, ⌊size/per_block⌋) — ``per_block`` (or more, up to 2×) evenly spaced points per
    block, all of a block with at most ``per_block`` points.  Depends on the grid only, so a
    chunk job picks the same points as the whole figure."""
    parts = []
    for b in pts.blocks:
        k = max(1, b.size // per_block)
        parts.append(np.arange(b.size) % k == 0)
    return np.concatenate(parts) if parts else np.zeros(0, bool)


def twa_points(tw: TWASettings, pts, certified, sl: slice) -> np.ndarray:
    """Which of the points ``sl`` get the ensemble (bool over the slice): ``all``: every one;
    ``uncertified``: those whose Gaussian verdict is not certified plus the certified ones at
    the cross-check positions (:func:`crosscheck_points`); ``none``: none."""
    certified = np.asarray(certified, bool)
    if tw.where == "all":
        return np.ones(certified.size, bool)
    if tw.where == "none":
        return np.zeros(certified.size, bool)
    return ~certified | crosscheck_points(pts, tw.crosscheck_points)[sl]


def _start_states(spec: FigureSpec, pts, base_dir: str):
    """(t0, x0 (d, N), V0 (N, d, d)) of every point, from the continued run's panel files,
    plus the continued run's traces (prepended to this run's, so traces start at t = 0)."""
    import xarray as xr
    xs, Vs, tr, parts_tr = [], [], {}, []
    cache = {}
    for b in pts.blocks:
        pname, label, coords = b.panel, b.label, b.coords
        is_ref = b.reference
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
        if is_ref:
            x, V = ds["x_end_reference"], ds["V_end_reference"]
        else:
            x, V = ds["x_end"].sel(series=label), ds["V_end"].sel(series=label)
        for d, vals in coords.items():
            if not np.array_equal(np.asarray(x[d].values if is_ref else ds[d].values), vals):
                raise provenance.ProvenanceError(f"{pname}.nc: axis {d} differs from this run's grid")
        m = b.size
        xs.append(x.transpose(*dims, "state").values.reshape(m, -1))
        Vs.append(V.transpose(*dims, "row", "col").values.reshape(m, V.sizes["row"], V.sizes["col"]))
        # the continued run's traces (trace panels only; other points get NaN, never written)
        part = {}
        if not is_ref and "S_Q_t" in ds:
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


def _evaluate(spec: FigureSpec, allp, traces, sl, start, batch_size, progress, label):
    from .. import backend
    from ..grid import slice_params
    from ..sweep import evaluate  # the compiled engine: imported by compute jobs only
    p = slice_params(allp, sl)
    st = None if start is None else (start[0], start[1][:, sl], start[2][sl])
    log.info("figure %s%s: %d parameter points (traces=%s, continued from t = %s τ), backend %s",
             spec.figure, label, p.batch_size, traces, "0" if st is None else st[0], backend.platform())
    return evaluate(p, spec.initial, spec.solver_settings, spec.certification_settings, batch_size=batch_size,
                    traces=traces, start=st, model=spec.model_object, progress_file=list(progress or []),
                    progress_desc=f"{spec.run}/{spec.figure}{label}")


def _with_base_traces(res, t_tau, base_tr):
    """Prepend the continued run's traces (t < t0) to this run's."""
    if not base_tr or "S_Q_t" not in res:
        return res, t_tau
    t_base = base_tr["t"]
    keep = t_base < t_tau[0] - 1e-12
    for k in GAUSSIAN_TRACE_VARS:
        res[k] = np.concatenate([np.concatenate(base_tr[k])[:, keep], res[k]], axis=1)
    return res, np.concatenate([t_base[keep], t_tau])


def _twa(spec: FigureSpec, allp, traces, sl, where, label="", x_end=None) -> dict:
    """The truncated-Wigner ensemble of the points ``sl`` of the figure selected by ``where``
    (bool over the slice), adaptive in M (:func:`qorepro.twa.adaptive`; their global indices
    seed their ensembles, so a chunk gives the same numbers as the whole figure).  Every
    variable covers all points of the slice: NaN (M = 0, not decided, not questionable) where
    the ensemble did not run.  The TWA certificate: ``twa_truncation`` q
    (:func:`qorepro.twa_validity.truncation_ratio` of the ensemble-mean occupations over the
    window of the modes the model's ``nonlinear_modes`` name), ``twa_min_occupation``,
    ``twa_switching`` (the fraction of trajectories whose census class changes within the
    window, :func:`qorepro.twa.attractor_labels`) and ``twa_questionable`` (q or the switching
    fraction fails :func:`qorepro.twa_validity.valid`); with the points' Gaussian end states
    ``x_end`` (N, d) also ``twa_basin_fraction``: the fraction of the ensemble on the census
    class of the deterministic protocol's orbit (:func:`qorepro.twa.protocol_attractor`), the
    input of the basin check (:func:`basin_verdict`)."""
    from .. import backend, twa, twa_validity
    from ..grid import slice_params
    from ..models.base import nonlinear_modes
    from ..settings import ATTRACTORS
    tw = spec.twa_settings.on(backend.platform())       # M_max everywhere on a GPU
    ids = np.arange(allp.batch_size)[sl]
    run = ids[np.asarray(where, bool)]
    log.info("figure %s%s: truncated-Wigner ensemble (where: %s) at %d of %d points, M = %d … %d "
             "(thresholds %s, %s, %d steps/τ, seed %d)", spec.figure, label, tw.where, run.size, ids.size,
             tw.min_trajectories, tw.trajectories, list(tw.thresholds), tw.solver, tw.steps_per_tau, tw.seed)
    n, d = ids.size, 2 * spec.model_object.n_modes
    out = {k: np.full(n, np.nan) for k in ("S_Q_twa", "S_Q_twa_err", "S_Q_twa_lo", "S_Q_twa_hi", "S_C_twa",
                                          "S_C_twa_err", "N_a_twa", "N_m_twa", "n_b1_twa", "n_b2_twa",
                                          "twa_truncation", "twa_min_occupation", "twa_switching",
                                          "twa_basin_fraction")}
    out.update(covariance_twa=np.full((n, d, d), np.nan), census_twa=np.full((n, len(ATTRACTORS)), np.nan),
               S_Q_twa_by_attractor=np.full((n, len(ATTRACTORS)), np.nan),
               S_Q_twa_by_attractor_err=np.full((n, len(ATTRACTORS)), np.nan),
               twa_trajectories=np.zeros(n, np.int64), twa_decided=np.zeros(n, bool),
               twa_questionable=np.zeros(n, bool))
    if traces:                                               # the ensemble's traces start at t = 0
        nt = spec.solver_settings.sample(spec.solver_settings.t_end_tau) + 1
        out.update(S_Q_t_twa=np.full((n, nt), np.nan), S_C_t_twa=np.full((n, nt), np.nan))
    if run.size:
        r = twa.adaptive(spec.model_object, slice_params(allp, run), spec.initial, spec.solver_settings, tw,
                         point_ids=run, traces=traces)
        at = np.asarray(where, bool)
        occ = r["occupations"][:, list(nonlinear_modes(spec.model_object))]    # (W, K, n): the watched modes
        q = twa_validity.truncation_ratio(occ)
        part = {"S_Q_twa": r["S_Q"], "S_Q_twa_err": r["S_Q_err"], "S_Q_twa_lo": r["S_Q_lo"],
                "S_Q_twa_hi": r["S_Q_hi"], "S_C_twa": r["S_C"], "S_C_twa_err": r["S_C_err"],
                "N_a_twa": r["numbers"][:, 0], "N_m_twa": r["numbers"][:, 1],
                "n_b1_twa": r["numbers"][:, 2], "n_b2_twa": r["numbers"][:, 3],
                "covariance_twa": r["covariance"], "census_twa": r["census"],
                "S_Q_twa_by_attractor": r["S_Q_by_attractor"], "S_Q_twa_by_attractor_err": r["S_Q_by_attractor_err"],
                "twa_trajectories": r["trajectories"], "twa_decided": r["decided"],
                "twa_truncation": q, "twa_min_occupation": occ.min(axis=(0, 1)),
                "twa_switching": r["switching"],
                "twa_questionable": ~twa_validity.valid(q, switching=r["switching"])}
        if x_end is not None:
            sub = slice_params(allp, run)
            g = twa.protocol_attractor(spec.model_object, sub, np.asarray(x_end)[at].T, spec.solver_settings)
            part["twa_basin_fraction"] = twa_validity.basin_fraction(r["census"], g)
        if traces:
            part["S_Q_t_twa"], part["S_C_t_twa"] = r["S_Q_t"], r["S_C_t"]
        for k, v in part.items():
            out[k][at] = v
        log.info("truncated-Wigner ensemble: %d points, M: %s, decided %d, questionable %d", run.size,
                 dict(zip(*(a.tolist() for a in np.unique(r["trajectories"], return_counts=True)))),
                 int(r["decided"].sum()), int(part["twa_questionable"].sum()))
    return out


# ------------------------------------------------------------------------------- datasets
def block_dataset(spec: FigureSpec, panel: PanelSpec, res: dict, coords: dict, shape, t_tau) -> xr.Dataset:
    """Per-point results of one grid → Dataset (time traces only in a trace panel)."""
    from ..sweep import assemble
    ds = assemble(res, coords, shape, t_tau, spec.model_object)
    if "twa_truncation" in ds:
        from .. import twa_validity
        ds["twa_truncation"].attrs["threshold"] = twa_validity.TRUNCATION_THRESHOLD
        ds.attrs["twa_truncation_threshold"] = twa_validity.TRUNCATION_THRESHOLD
        ds["twa_switching"].attrs["threshold"] = twa_validity.SWITCHING_THRESHOLD
        ds.attrs["twa_switching_threshold"] = twa_validity.SWITCHING_THRESHOLD
        ds.attrs["twa_basin_threshold"] = twa_validity.BASIN_THRESHOLD
        ds.attrs["twa_basin_sigmas"] = twa_validity.BASIN_SIGMAS
    if "twa_occupation_shift" in ds:
        ds["twa_occupation_shift"].attrs["threshold"] = spec.certification_settings.linearization_max_ratio ** 2
    if not panel.traces:
        ds = ds.drop_vars([v for v in TRACE_VARS if v in ds] + (["t"] if "t" in ds.coords else []))
    return ds


def finish_panel(spec: FigureSpec, p: PanelSpec, ds, ref) -> xr.Dataset:
    """The stacked series of a panel; a revival panel gets its factor from the reference case."""
    return _add_revival(ds, ref, p) if ref is not None else ds


def analytic_panel(spec: FigureSpec, p: PanelSpec) -> xr.Dataset:
    return _sagnac_panel(p, spec.parameters)


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
