"""Stage ``branches``: the limit-cycle branches of a figure's line panels, with the TWA census.

For one traced panel of a figure (``branches.targets`` of the configuration names the
panels; the panel, its grid, parameters, solver and certification settings come from the
figure's params record, :class:`~qorepro.workflow.record.FigureSpec`), every series is

1. run as a truncated-Wigner ensemble of ``census.trajectories`` trajectories per grid value
   (:func:`qorepro.twa.simulate` with ``samples=True``, every grid value in one batch), whose
   late-window orbits are classified by :func:`qorepro.twa.census` (in phase, anti-phase, no
   oscillation);
2. traced by :func:`qorepro.branches.panel.panel_branches` — seeded by the zero start, the
   displaced in-phase / anti-phase starts and, per census class, a representative quantum
   trajectory of every ``seed_every``-th grid value where the class occurs (its end state's
   mechanical amplitudes as the start of a mean-field run: :func:`representative_starts`);
3. given its census over the traced branches (:func:`assign`): each trajectory's orbit over the
   last τ of the window (mechanical amplitudes r₁, r₂ and relative phase φ, the quantities
   the branches carry for one period) goes to the nearest *stable* branch point at that grid
   value — the stable sheets of every branch that brackets it, linearly interpolated — by
   the distance ``max_j |r_j − A_j| / A_j + |φ − φ_b| / π`` (φ wrapped), and counts as
   ``unassigned`` where the nearest is farther than ``census.tolerance`` (a transient, a
   fixed point, an unlocked or untraced orbit).

File layout (one file per traced panel, every series of the panel along ``series``):
``results/<run>/branches/<figure>_<panel>.nc`` holds the variables of ``panel_branches``'
Dataset with a leading ``series`` dimension; the ``branch``, ``point``, ``event`` and ``seed``
dimensions are padded to the longest series (NaN; False; −1 for indices; 0 for
``n_points``; "" for strings); :func:`select_series` gives back one series without the
padding, exactly as ``panel_branches`` returned it.  Added per series: ``census_fraction``
(series, axis, branch), ``census_unassigned`` (series, axis), ``census_class_fraction``
(series, axis, census_class) and ``S_Q_panel`` (series, axis: the run's own panel file's
window-mean S_Q, which ``S_Q_protocol`` must equal).  Provenance: stamped as every panel
(:func:`qorepro.workflow.provenance.stamp`: parameters, solver, panel specification, code
version, record digest), with the tracing settings in the global attribute
``branch_settings``; consumers open it with :func:`open_branches` (verified against the
figure's params record).
"""
from __future__ import annotations

import json
import os
import time

import numpy as np

from .record import ConfigError, FigureSpec

#: default tracing settings (config ``branches:``; schema.yaml documents each)
DEFAULTS = {"seed_every": 4, "displacement": 300.0, "jump_tol": 0.02, "steps_per_period": 256,
            "max_points": 200, "census": {"trajectories": 128, "tolerance": 0.25}}
#: the census class of an unassigned trajectory
UNASSIGNED = -1


# ------------------------------------------------------------------------------ config
def settings_of(config: dict) -> dict:
    """The run's ``branches`` settings merged over :data:`DEFAULTS` (targets excluded)."""
    b = config.get("branches", {}) or {}
    out = {**DEFAULTS, **{k: v for k, v in b.items() if k != "targets"}}
    out["census"] = {**DEFAULTS["census"], **(b.get("census") or {})}
    return out


def targets(config: dict) -> dict:
    """Target name → (figure, [panels]) of ``branches.targets``."""
    return {name: (t["figure"], list(t["panels"])) for name, t in (config.get("branches", {}) or {})
            .get("targets", {}).items()}


def check_config(config: dict) -> None:
    """Every traced panel is a line panel of a configured figure of a time-domain model
    (:class:`ConfigError` naming the key)."""
    from ..models import MODELS
    from .record import model_of
    for name, (fig, panels) in targets(config).items():
        where = f"branches.targets.{name}"
        if fig not in config["figures"]:
            raise ConfigError(f"{where}.figure: unknown figure {fig!r}")
        model = MODELS[model_of(config["figures"][fig])]
        if model.kind != "time_domain":
            raise ConfigError(f"{where}.figure: {fig} is a {model.kind} figure; branches need a time-domain model")
        for p in panels:
            spec = config["figures"][fig]["panels"].get(p)
            if spec is None:
                raise ConfigError(f"{where}.panels: {fig} has no panel {p!r}")
            if spec["kind"] != "line":
                raise ConfigError(f"{where}.panels: {fig} panel {p} is a {spec['kind']} panel; only line panels "
                                  "are traced")
    if settings_of(config)["census"]["trajectories"] % 2:
        raise ConfigError("branches.census.trajectories: an even number is required")


def traced_panels(config: dict, figure: str) -> list:
    """The panels of ``figure`` some target traces, in the figure's panel order."""
    named = {p for fig, panels in targets(config).values() if fig == figure for p in panels}
    return [p for p in config["figures"][figure]["panels"] if p in named]


def branch_file(run: str, figure: str, panel: str) -> str:
    return f"results/{run}/branches/{figure}_{panel}.nc"


#: tracing jobs of a run (``branches_trace_<k>``): one per core of the 2-core machine the
#: budget is set for; each job is one process, so JAX traces and compiles its programs once
#: per job, not once per figure
TRACE_JOBS = 2


def series_key(spec: FigureSpec, pname: str, label: str, settings: dict) -> str:
    """Everything :func:`trace_series` computes one series from, as canonical JSON: the
    model, its parameters at the series (figure, panel ``fixed`` and the series' own), the
    swept axis and its values, solver, initial state, certification and ensemble settings and
    the tracing ``settings`` — not the figure's or panel's name.  Two series with one key give
    the same Dataset (e.g. an SI panel repeating a main-text panel), so a job traces it once."""
    from .record import jsonable
    p = spec.panels[pname]
    return json.dumps(jsonable({
        "model": spec.model, "parameters": {**spec.parameters, **p.fixed, **p.series[label]}, "axis": p.x,
        "values": p.axes[p.x], "solver": spec.solver, "initial": spec.initial_state,
        "certification": spec.certification, "twa": spec.twa, "settings": settings}), sort_keys=True)


def partition(specs: dict, traced: dict, settings: dict, n_jobs: int = TRACE_JOBS) -> list:
    """The traced panels split into at most ``n_jobs`` jobs of about equal cost.

    ``specs``: figure → :class:`FigureSpec`; ``traced``: figure → its traced panels.  Panels
    that share a series (:func:`series_key`) go to one job, which traces that series once;
    such a group costs its distinct series × grid values.  Groups are dealt largest first to
    the job with the least cost so far (ties: the first job).  Returns the jobs' lists of
    (figure, panel) pairs, each in the order of ``traced``; empty jobs are dropped."""
    pairs = [(f, p) for f, panels in traced.items() for p in panels]
    keys = {fp: {series_key(specs[fp[0]], fp[1], lab, settings) for lab in specs[fp[0]].panels[fp[1]].series}
            for fp in pairs}
    groups = []                                      # [pairs, keys, cost]
    for fp in pairs:
        joined = [g for g in groups if g[1] & keys[fp]]
        merged = [[fp], set(keys[fp])]
        for g in joined:
            merged[0] += g[0]
            merged[1] |= g[1]
            groups.remove(g)
        groups.append(merged)
    for g in groups:
        f, p = g[0][0]
        g.append(len(g[1]) * len(specs[f].panels[p].axes[specs[f].panels[p].x]))
    jobs = [[[], 0] for _ in range(max(1, int(n_jobs)))]
    for g in sorted(groups, key=lambda g: -g[2]):
        job = min(jobs, key=lambda j: j[1])
        job[0] += g[0]
        job[1] += g[2]
    return [[fp for fp in pairs if fp in job[0]] for job in jobs if job[0]]


# ------------------------------------------------------------------------------ census
def orbit_features(mech, samples_per_tau: int):
    """(amplitudes (n, M, 2), relative phase (n, M)) of every trajectory's last τ of
    mechanical samples (W, 4, n, M): :func:`qorepro.twa.census`'s r_j and φ."""
    from .. import twa
    cls, phi, r = twa.census(mech, samples_per_tau)
    return np.moveaxis(r, 0, -1), phi, cls


def branch_candidates(ds, values):
    """The stable branch points at every grid value: (branch (n, C), amplitude (n, C, 2),
    relative phase (n, C)), C the most sheets at one value (−1 / NaN padding).  A sheet is a
    segment of a branch that brackets the grid value with both its points stable; its values
    are interpolated linearly (the phase along the shorter arc)."""
    values = np.asarray(values, float)
    P, S = ds["parameter"].values, ds["stable"].values
    A, F = ds["amplitude"].values, ds["relative_phase"].values
    n_pts = ds["n_points"].values
    rows = [[] for _ in values]
    for b in range(P.shape[0]):
        n = int(n_pts[b])
        if n < 2:
            continue
        p0, p1 = P[b, :n - 1], P[b, 1:n]
        lo, hi = np.minimum(p0, p1), np.maximum(p0, p1)
        ok = S[b, :n - 1] & S[b, 1:n]
        inside = (lo[None] <= values[:, None]) & (values[:, None] <= hi[None]) & ok[None]   # (N, n-1)
        for i, k in zip(*np.nonzero(inside)):
            w = 0.0 if hi[k] == lo[k] else (values[i] - p0[k]) / (p1[k] - p0[k])
            amp = A[b, k] + w * (A[b, k + 1] - A[b, k])
            dphi = np.angle(np.exp(1j * (F[b, k + 1] - F[b, k])))
            rows[i].append((b, amp, np.angle(np.exp(1j * (F[b, k] + w * dphi)))))
    C = max((len(r) for r in rows), default=0)
    cb, ca, cp = np.full((values.size, C), -1), np.full((values.size, C, 2), np.nan), np.full((values.size, C), np.nan)
    for i, r in enumerate(rows):
        for c, (b, amp, ph) in enumerate(r):
            cb[i, c], ca[i, c], cp[i, c] = b, amp, ph
    return cb, ca, cp


def assign(amp, phase, cand_branch, cand_amp, cand_phase, tolerance: float = 0.25):
    """The branch each trajectory's orbit is on, per grid value: amp (n, M, 2), phase (n, M)
    against the candidates (n, C), (n, C, 2), (n, C) of :func:`branch_candidates`.
    Distance ``max_j |r_j − A_j| / A_j + |wrap(φ − φ_b)| / π``; the nearest candidate within
    ``tolerance``, else :data:`UNASSIGNED`.  Returns (n, M) branch indices."""
    amp, phase = np.asarray(amp, float), np.asarray(phase, float)
    n, M = phase.shape
    if cand_branch.shape[1] == 0:
        return np.full((n, M), UNASSIGNED)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.max(np.abs(amp[:, :, None, :] - cand_amp[:, None]) / cand_amp[:, None], axis=-1)   # (n, M, C)
        dph = np.abs(np.angle(np.exp(1j * (phase[:, :, None] - cand_phase[:, None])))) / np.pi
    dist = np.where(cand_branch[:, None, :] >= 0, rel + dph, np.inf)
    dist = np.where(np.isfinite(dist), dist, np.inf)
    best = np.argmin(dist, axis=-1)
    dmin = np.take_along_axis(dist, best[..., None], axis=-1)[..., 0]
    chosen = np.take_along_axis(np.broadcast_to(cand_branch[:, None, :], dist.shape), best[..., None], axis=-1)[..., 0]
    return np.where(dmin <= tolerance, chosen, UNASSIGNED)


def fractions(assigned, n_branches: int):
    """(fraction per branch (n, n_branches), unassigned fraction (n,)) of (n, M) assignments."""
    assigned = np.asarray(assigned)
    M = assigned.shape[1]
    per = np.stack([(assigned == b).sum(axis=1) / M for b in range(n_branches)], axis=1) if n_branches else \
        np.zeros((assigned.shape[0], 0))
    return per, (assigned == UNASSIGNED).sum(axis=1) / M


class PointStates:
    """An initial state per point: means x (d, n) as given, the model's vacuum covariance
    (duck-types a model's ``Initial`` for :func:`qorepro.solver.integrate` on those n points)."""

    def __init__(self, x, base):
        self.x, self.base = np.asarray(x, float), base

    def as_real(self, n_batch: int):
        if n_batch != self.x.shape[1]:
            raise ValueError(f"{self.x.shape[1]} start states for {n_batch} points")
        return self.x

    def covariance(self, n_batch: int):
        return self.base.covariance(n_batch)


def representative_starts(model, initial, mech, cls, idx, d: int) -> dict:
    """Per census class that oscillates (in phase, anti-phase): the mean-field start from its
    representative trajectory at the grid values ``idx`` where the class occurs — the member
    whose last-sample mechanical amplitudes are the class median's nearest; the start
    displaces only the mechanical modes (β_j of the trajectory's last sample, every other
    amplitude as in ``initial``).  kind → (PointStates, grid indices)."""
    from .. import twa
    j, k = model.mechanical_modes
    out = {}
    for name in ("in_phase", "anti_phase"):
        c = twa.ATTRACTORS.index(name)
        rows, xs = [], []
        for i in idx:
            members = np.nonzero(cls[i] == c)[0]
            if members.size == 0:
                continue
            last = mech[-1, :, i, members]                       # (members, 4): Re β₁, Im β₁, Re β₂, Im β₂
            size = np.hypot(last[:, 0], last[:, 1]) + np.hypot(last[:, 2], last[:, 3])
            m = int(np.argmin(np.abs(size - np.median(size))))
            x = initial.as_real(1)[:, 0].copy()
            x[2 * j], x[2 * j + 1], x[2 * k], x[2 * k + 1] = last[m]
            rows.append(int(i))
            xs.append(x)
        if rows:
            out[f"twa_{name}"] = (PointStates(np.stack(xs, axis=1), initial), np.array(rows))
    return out


# ------------------------------------------------------------------------------ tracing
def _series_params(spec: FigureSpec, pname: str, label: str):
    p = spec.panels[pname]
    return spec.model_object.Params(**{**spec.parameters, **p.fixed, **p.series[label]})


def trace_series(spec: FigureSpec, pname: str, label: str, settings: dict, progress=None):
    """One series of a traced panel: the census ensemble, ``panel_branches`` (seeded also from
    the census) and the census over its branches → the Dataset (module docstring)."""
    from .. import twa
    from ..branches import ContinuationSettings
    from ..branches.panel import panel_branches
    from ..grid import axis_values
    from ..settings import TWASettings

    model, p = spec.model_object, spec.panels[pname]
    axis = p.x
    _, values = axis_values(model, axis, p.axes[axis])
    values = np.asarray(values, float)
    base = _series_params(spec, pname, label)
    solver = spec.solver_settings
    initial = spec.initial
    cen = settings["census"]
    M = int(cen["trajectories"])
    d = 2 * model.n_modes
    t0 = time.perf_counter()
    timing = {}
    starts, census = {}, None
    if M:
        # the run's ensemble settings (solver, steps, seed), one fixed ensemble of M trajectories
        tw = {k: v for k, v in (spec.twa or {}).items() if k not in ("enabled", "groups")}
        tws = TWASettings(**{**tw, "trajectories": M, "min_trajectories": M})
        params = base.replace(**{f: values for f in model.axes[axis].fields})
        out = twa.simulate(model, params, initial, solver, tws, samples=True)
        amp, phase, cls = orbit_features(out["mechanics"], solver.samples_per_tau)
        every = max(1, int(settings["seed_every"]))
        idx = sorted(set(range(0, values.size, every)) | {values.size - 1})
        starts = representative_starts(model, initial, out["mechanics"], cls, idx, d)
        census = (amp, phase, cls)
    timing["census_ensemble_s"] = time.perf_counter() - t0
    ds = panel_branches(model, base, axis, values, settings=solver, certification=spec.certification_settings,
                        seed_every=int(settings["seed_every"]), displacement=float(settings["displacement"]),
                        jump_tol=float(settings["jump_tol"]),
                        continuation=ContinuationSettings(max_points=int(settings["max_points"])),
                        steps=int(settings["steps_per_period"]), method=solver.method, starts=starts)
    nb = ds.sizes["branch"]
    if census is not None:
        amp, phase, cls = census
        cb, ca, cp = branch_candidates(ds, values)
        got = assign(amp, phase, cb, ca, cp, float(cen["tolerance"]))
        per, un = fractions(got, nb)
        klass = np.stack([(cls == c).mean(axis=1) for c in range(len(twa.ATTRACTORS))], axis=1)
    else:
        per, un = np.full((values.size, nb), np.nan), np.full(values.size, np.nan)
        klass = np.full((values.size, len(twa.ATTRACTORS)), np.nan)
    ds["census_fraction"] = ((axis, "branch"), per, {
        "long_name": "fraction of the truncated-Wigner trajectories on the branch (late-window orbit nearest a "
                     "stable point of it)", "units": "1"})
    ds["census_unassigned"] = ((axis,), un, {"long_name": "fraction of the trajectories on no traced stable branch",
                                             "units": "1"})
    ds["census_class_fraction"] = ((axis, "census_class"), klass, {
        "long_name": "fraction of the trajectories per census class of qorepro.twa.census", "units": "1"})
    ds = ds.assign_coords(census_class=("census_class", list(twa.ATTRACTORS), {"long_name": "census class"}))
    ds.attrs["census_trajectories"] = M
    ds.attrs["time_census_ensemble_s"] = float(timing["census_ensemble_s"])
    for stream in progress or []:
        times = ", ".join(f"{k[5:]} {v:.1f}" for k, v in ds.attrs.items() if k.startswith("time_"))
        print(f"{spec.figure} {pname} {label}: {nb} branches, {ds.sizes['event']} events, "
              f"{time.perf_counter() - t0:.1f} s ({times})", file=stream, flush=True)
    return ds


#: padding of the ``branch``, ``point``, ``event`` and ``seed`` dimensions by dtype kind
def _fill(name, dtype):
    if dtype.kind == "b":
        return False
    if dtype.kind in "iu":
        return 0 if name == "n_points" else -1
    if dtype.kind in "US":
        return ""
    return np.nan


PADDED = ("branch", "point", "event", "seed")
#: long names of the index and label coordinates of a branch file
COORD_LONG_NAMES = {"branch": "branch index", "point": "point along the branch (arclength order)",
                    "event": "bifurcation point index", "seed": "continuation seed index",
                    "multiplier": "Floquet multiplier index (trivial first, then by modulus)",
                    "quadrature": "state quadrature", "mechanical_mode": "mechanical mode",
                    "census_class": "census class of qorepro.twa.census", "series": "case"}


def combine_series(parts: dict):
    """label → series Dataset, padded to common ``branch``/``point``/``event``/``seed`` sizes
    and stacked along ``series`` (the module docstring's layout)."""
    import xarray as xr
    sizes = {dim: max(p.sizes.get(dim, 0) for p in parts.values()) for dim in PADDED}
    padded = []
    for p in parts.values():
        p = p.copy()
        for dim, n in sizes.items():
            have = p.sizes.get(dim, 0)
            if have == n:
                continue
            new = {}
            for name, var in p.data_vars.items():
                if dim not in var.dims:
                    continue
                ax = var.dims.index(dim)
                shape = list(var.shape)
                shape[ax] = n - have
                dtype = var.dtype if var.dtype.kind != "U" else np.dtype("U1")
                pad = np.full(shape, _fill(name, var.dtype), dtype=dtype)
                vals = np.concatenate([var.values, pad], axis=ax)
                new[name] = (var.dims, vals, var.attrs)
            p = p.drop_dims(dim).assign_coords({dim: np.arange(n)})
            for name, (dims, vals, attrs) in new.items():
                p[name] = (dims, vals, attrs)
        padded.append(p)
    attrs = {k: v for k, v in padded[0].attrs.items() if not k.startswith("time_")}
    times = {k: [float(p.attrs.get(k, np.nan)) for p in padded] for k in padded[0].attrs if k.startswith("time_")}
    ds = xr.concat(padded, dim="series", data_vars="all", coords="minimal", compat="override",
                   combine_attrs="override")
    ds = ds.assign_coords(series=("series", list(parts), {"long_name": "case"}))
    ds.attrs = attrs
    ds.attrs.update({k: json.dumps(v) for k, v in times.items()})
    return ds


def select_series(ds, label: str):
    """One series of a branch file without the padding: the Dataset ``panel_branches``
    returned (plus the census variables)."""
    one = ds.sel(series=label, drop=True)
    nb = int((one["n_points"].values > 0).sum())
    npt = int(one["n_points"].values.max()) if nb else 0
    ne = int((one["event_kind"].values != "").sum()) if "event_kind" in one else 0
    ns = int((one["seed_kind"].values != "").sum()) if "seed_kind" in one else 0
    one = one.isel(branch=slice(0, nb), point=slice(0, npt), event=slice(0, ne), seed=slice(0, ns))
    for name in ("stop_start", "stop_end", "branch_type", "seed_kind", "event_kind"):
        if name in one:
            one[name] = one[name].astype(str)
    return one


# ------------------------------------------------------------------------------ the stage
def compute_panel(spec: FigureSpec, pname: str, settings: dict, panel_path: str | None = None, progress=None,
                  traced: dict | None = None):
    """Every series of a traced panel → the stamped Dataset of the module docstring; the
    run's own panel file (``panel_path``, verified) gives ``S_Q_panel``.  ``traced``: series
    already traced in this process, :func:`series_key` → Dataset; a series found there is
    not traced again, a new one is added."""
    from . import provenance
    from .figure import evaluator
    p = spec.panels[pname]
    traced = {} if traced is None else traced
    parts = {}
    for label in p.series:
        key = series_key(spec, pname, label, settings)
        if key not in traced:
            traced[key] = trace_series(spec, pname, label, settings, progress)
        elif progress:
            for stream in progress:
                print(f"{spec.figure} {pname} {label}: traced before in this job (same series)", file=stream,
                      flush=True)
        parts[label] = traced[key]
    ds = combine_series(parts)
    axis = p.x
    if panel_path:
        panel = provenance.open_verified(panel_path, spec, pname)
        sq = panel["S_Q"].transpose("series", axis).sel(series=list(p.series)).values
        ds["S_Q_panel"] = (("series", axis), sq, {
            "long_name": "window-mean S_Q of the run's own panel file (the paper's protocol)", "units": "1"})
        ds.attrs["S_Q_protocol_max_abs_difference"] = float(np.nanmax(np.abs(ds["S_Q_protocol"].values - sq)))
    for name, long in COORD_LONG_NAMES.items():
        if name in ds.coords and "long_name" not in ds[name].attrs:
            ds[name].attrs["long_name"] = long
    ds.attrs["branch_settings"] = json.dumps(settings, sort_keys=True)
    ds.attrs.pop("model", None)
    ev = evaluator(spec.model)
    provenance.stamp(ds, spec, pname, "; ".join(spec.model_object.references), ev.source(spec),
                     {"stage": "branches"})
    return ds


def write_panel(spec: FigureSpec, pname: str, settings: dict, out: str, panel_path: str | None = None,
                progress=None, traced: dict | None = None) -> str:
    """:func:`compute_panel`, written atomically (CF encoding) to ``out``."""
    from .. import io
    from . import cf
    ds = compute_panel(spec, pname, settings, panel_path, progress, traced)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    return io.write_netcdf(ds, out, cf.encoding(ds))


def open_branches(path: str, record, panel: str | None = None):
    """A branch file, verified (:func:`qorepro.workflow.provenance.open_verified`) against the
    figure's params record (a :class:`FigureSpec` or its path); ``panel`` default: from the
    file name ``<figure>_<panel>.nc``."""
    from .provenance import open_verified
    panel = panel or os.path.splitext(os.path.basename(path))[0].rsplit("_", 1)[1]
    return open_verified(path, record, panel)


def compilation_cache_state() -> str:
    """One log line: JAX's persistent compilation cache directory and how many entries it
    holds when the job starts.  A tracing job's CPU time is about twice as long with an empty
    cache (fig2 at the paper preset: 159 s cold, 80 s warm), so the log says which it was."""
    import jax
    path = jax.config.jax_compilation_cache_dir
    if not path:
        return "JAX compilation cache: off (every program compiled in this job)"
    n = len(os.listdir(path)) if os.path.isdir(path) else 0
    return f"JAX compilation cache: {path} ({n} entries at start)"


def stage(job, progress) -> None:
    """Rule ``branches_trace_<k>``: the traced panels ``params.panels`` ((figure, panel)
    pairs of :func:`partition`) → the files ``output`` (in that order; the run's panel files
    ``input.panels`` beside them), in one process so that every compiled program is traced
    once and a series two panels share is traced once (:func:`series_key`).  Every figure's
    params record (``input.params``, in the order of ``params.figures``) is checked against
    its planned digest (``params.record_sha256``) as every job's; one CPU, as a sweep job."""
    from types import SimpleNamespace

    from .stages import _batch_size, load_record
    _batch_size(1, job.params.backend)                   # the JAX platform; a CPU job takes one core
    print(compilation_cache_state())
    specs = {fig: load_record(SimpleNamespace(input=SimpleNamespace(params=path),
                                              params=SimpleNamespace(record_sha256=sha)))
             for fig, path, sha in zip(job.params.figures, job.input.params, job.params.record_sha256)}
    settings = json.loads(job.params.settings)
    traced = {}
    cpu, t_job = time.process_time(), time.perf_counter()
    for (fig, pname), out, panel_path in zip(job.params.panels, job.output, job.input.panels):
        t, c = time.perf_counter(), time.process_time()
        write_panel(specs[fig], pname, settings, out, panel_path, progress, traced)
        print(f"{out}: {time.perf_counter() - t:.1f} s wall, {time.process_time() - c:.1f} s CPU")
    print(f"{len(job.output)} branch files, {len(traced)} series traced: {time.perf_counter() - t_job:.1f} s wall, "
          f"{time.process_time() - cpu:.1f} s CPU")


def plot_stage(job, progress) -> None:
    """Rule ``branches_figure``: ``notebooks/branches.ipynb`` executed for one target (its
    branch files and the run's panel files as parameters) → the figure's PDF and PNG."""
    from .stages import execute_notebook, load_record
    load_record(job)
    parameters = {"run": job.wildcards.run, "params_json": job.input.params, "name": job.wildcards.name,
                  "branch_files": list(job.input.branches), "out_pdf": job.output.pdf, "out_png": job.output.png}
    execute_notebook(job.input.notebook, job.output.notebook, parameters, [job.output.pdf, job.output.png])


def describe(one) -> dict:
    """What one series of a branch file shows (:func:`select_series`): per branch its type,
    parameter range and the ranges where it is stable; every event with its parameter; the
    mechanism verdict of every switch of the protocol's S_Q (:func:`qorepro.branches.mechanism.verdicts`)."""
    from ..branches.mechanism import verdicts
    out = {"branches": [], "events": [], "switches": []}
    for b in range(one.sizes["branch"]):
        n = int(one["n_points"].values[b])
        p = one["parameter"].values[b, :n]
        st = one["stable"].values[b, :n].astype(bool)
        ranges, start = [], None
        for k in range(n + 1):
            if k < n and st[k] and start is None:
                start = k
            elif (k == n or not st[k]) and start is not None:
                seg = p[start:k]
                ranges.append([float(seg.min()), float(seg.max())])
                start = None
        out["branches"].append({"branch": b, "type": str(one["branch_type"].values[b]), "points": n,
                                "parameter": [float(np.nanmin(p)), float(np.nanmax(p))] if n else [],
                                "stable": ranges, "stops": [str(one["stop_start"].values[b]),
                                                            str(one["stop_end"].values[b])]})
    for e in range(one.sizes.get("event", 0)):
        out["events"].append({"kind": str(one["event_kind"].values[e]), "branch": int(one["event_branch"].values[e]),
                              "parameter": float(one["event_parameter"].values[e])})
    out["switches"] = [v.as_dict() for v in verdicts(one)]
    return out
