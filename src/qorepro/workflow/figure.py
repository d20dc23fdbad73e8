"""The figure engine: one configured figure → its params record → one NetCDF file per panel.

Everything that does not depend on how a model is computed lives here, once:

* :func:`check_figure` — the relational checks of one figure the schema cannot express
  (panel kinds, axes, overrides, variables);
* :func:`resolve` — config → :class:`~qorepro.workflow.record.FigureSpec` (the params record):
  axis values (the default number of points per panel kind: :data:`PANEL_KINDS`), overrides
  translated to parameter fields (:func:`overrides`, the one translator);
* :func:`n_points` / :func:`planned_points` — the parameter points a figure computes, counted
  by one function (:func:`_panel_points`) from the record or from the configuration alone;
* :func:`points` — the grid of every panel, series and revival reference as one flat batch;
* :func:`compute_figure`, :func:`compute_chunk` / :func:`merge_chunks` — evaluate the batch
  (whole, or in contiguous chunks for cluster jobs), split it back into panels, stack the
  series, and write each panel (stamped once by :func:`qorepro.workflow.provenance.stamp`,
  written atomically by :func:`qorepro.io.write_netcdf`).

What a model *kind* adds — how to evaluate a batch of points and how to turn the per-point
results into a panel — is an evaluator (:mod:`.timedomain`, :mod:`.steady`), registered in
:data:`EVALUATORS` under the model's ``kind`` (they do not import this module).  An evaluator
module provides:

``KINDS`` (the panel kinds its models offer), ``DIM_ORDER`` (:func:`_dim_order`), ``CHUNKED``
(whether a large figure is split into chunk jobs), ``ACCELERATED`` (whether it computes on a
GPU where the run has one: :func:`planned_gpus`), ``DEFAULT_GROUP`` (or
``None``: the model's name), ``FIGURE_PARAMETERS`` (whether a figure may override parameters),
``available(kind, model)``, ``plot_variables(kind, model)`` (a tuple, or None: unchecked),
``check_panel(where, pspec, model)``, ``base_parameters(config, model)``,
``record_fields(config, fspec, model)``, ``continuation(spec, base, config)``,
``evaluate(spec, pts, sl, *, base_dir, batch_size, progress, label)`` → (per-point results, t),
``block_dataset(spec, panel, res, coords, shape, t)``, ``finish_panel(spec, panel, ds, ref)``,
``analytic_panel(spec, panel)``, ``source(spec)``, ``engine_info(batch_size)``.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from .. import __version__, io
from ..grid import grid, overrides  # noqa: F401 (the one translator; re-exported)
from ..models import MODELS
from . import steady, timedomain
from .record import ConfigError, FigureSpec, PanelSpec, axis_n, axis_values, model_of, panel_axes

log = logging.getLogger(__name__)

#: label of the block that holds a revival panel's reference case
REFERENCE = "__reference__"


@dataclass(frozen=True)
class PanelKind:
    """What the engine needs to know of a panel kind."""

    #: the preset key giving an axis's default number of points
    points: str = "line_points"
    #: drawn from a closed formula, no parameter points (e.g. the Sagnac shift)
    analytic: bool = False
    #: the panel also holds time traces
    traces: bool = False
    #: a revival panel: the series grid plus a reference case maximised over one axis
    reference: bool = False


#: every panel kind, once (which kinds a model offers: its evaluator's ``KINDS``)
PANEL_KINDS = {
    "line": PanelKind(),
    "map": PanelKind(points="map_points"),
    "trace": PanelKind(traces=True),
    "table": PanelKind(),
    "wigner": PanelKind(),
    "revival": PanelKind(points="map_points", reference=True),
    "sagnac": PanelKind(analytic=True),
    "fizeau": PanelKind(analytic=True),
}


#: model kind → evaluator
EVALUATORS = {"time_domain": timedomain, "steady_state": steady}


def evaluator(model) -> ModuleType:
    """The evaluator of a model (object or name), chosen by what the model is: its ``kind``."""
    model = MODELS[model] if isinstance(model, str) else model
    return EVALUATORS[model.kind]


# ---------------------------------------------------------------------------------- checks
def check_figure(fig: str, fspec: dict, config: dict) -> None:
    """Checks of one figure the schema cannot express (raise :class:`ConfigError` naming the key)."""
    model = MODELS[model_of(fspec)]
    ev, name = evaluator(model), model.name
    if fspec.get("parameters"):
        if not ev.FIGURE_PARAMETERS:
            raise ConfigError(f"figures.{fig}.parameters: figure-level parameters are for the "
                              f"steady-state models; use the top-level `parameters` for {name}")
        try:
            overrides(model, fspec["parameters"])
        except (KeyError, ValueError) as e:
            raise ConfigError(f"figures.{fig}.parameters: {e.args[0]}") from None
    axes = model.axes
    for pname, p in fspec["panels"].items():
        where = f"figures.{fig}.panels.{pname}"
        kind = p["kind"]
        if kind not in ev.KINDS or not ev.available(kind, model):
            offered = [k for k in ev.KINDS if ev.available(k, model)]
            raise ConfigError(f"{where}.kind: {kind!r} is not available for model {name} "
                              f"(kinds: {', '.join(offered)})")
        for ax in _configured_axes(p):
            if ax["axis"] not in axes:
                raise ConfigError(f"{where}: unknown axis {ax['axis']!r} for model {name}; known: {sorted(axes)}")
        for key, ov in [(f"series.{k}", v) for k, v in (p.get("series") or {}).items()] + \
                [("fixed", p.get("fixed")), ("reference", p.get("reference"))]:
            try:
                overrides(model, ov)
            except (KeyError, ValueError) as e:
                raise ConfigError(f"{where}.{key}: {e.args[0]}") from None
        if PANEL_KINDS[kind].reference and not ("reference" in p and ("over" in p or "reference_over" in p)):
            raise ConfigError(f"{where}: a revival panel needs a `reference` and `over` or `reference_over`")
        allowed = ev.plot_variables(kind, model)
        for v in p.get("variables", []) if allowed else []:
            if v not in allowed:
                raise ConfigError(f"{where}.variables: {v!r} is not a variable of a {kind} panel of "
                                  f"{name}; known: {', '.join(allowed)}")
        ev.check_panel(where, p, model)


def check_parameters(config: dict) -> None:
    """The base parameters of every model (top-level ``parameters``, ``models.<name>``)."""
    for model in MODELS.values():
        try:
            evaluator(model).base_parameters(config, model)
        except KeyError as e:
            raise ConfigError(e.args[0]) from None


# ------------------------------------------------------------------------------ resolution
def _configured_axes(p: dict) -> list:
    """The axis specifications of a configured panel: x, y, over and reference_over."""
    return panel_axes(p) + ([p["reference_over"]] if "reference_over" in p else [])


def _reference_axis(p: dict) -> dict | None:
    """The axis a revival panel's reference case is maximised over (``reference_over`` or ``over``)."""
    if not PANEL_KINDS[p["kind"]].reference:
        return None
    return p.get("reference_over", p.get("over"))


def _panel_layout(p: dict, config: dict, measure) -> dict:
    """axis name → ``measure(axis spec, default n, preset)`` for every axis of a configured panel;
    the default number of points comes from the panel kind (:data:`PANEL_KINDS`)."""
    preset = config["preset"]
    default_n = config["presets"][preset][PANEL_KINDS[p["kind"]].points]
    return {ax["axis"]: measure(ax, default_n, preset) for ax in _configured_axes(p)}


def resolve(config: dict, figure: str, base: FigureSpec | None = None) -> FigureSpec:
    """The params record of one figure.  ``base``: the same figure of the run named by
    ``continue_from`` (its end states are this run's starting point)."""
    if figure not in config["figures"]:
        raise ConfigError(f"unknown figure {figure!r}; known: {sorted(config['figures'])}")
    fspec = config["figures"][figure]
    model = MODELS[model_of(fspec)]
    ev, name = evaluator(model), model.name
    panels = {}
    for pname, p in fspec["panels"].items():
        kind = p["kind"]
        rover = _reference_axis(p)
        panels[pname] = PanelSpec(
            name=pname, kind=kind, title=p.get("title", ""), axes=_panel_layout(p, config, axis_values),
            x=p["x"]["axis"] if "x" in p else None, y=p["y"]["axis"] if "y" in p else None,
            over=p["over"]["axis"] if "over" in p else None,
            reference_over=rover["axis"] if rover else None,
            fixed=overrides(model, p.get("fixed")),
            series={label: overrides(model, ov) for label, ov in (p.get("series") or {"default": {}}).items()},
            reference=overrides(model, p["reference"]) if "reference" in p else None,
            variables=p.get("variables", [model.default_variable]), traces=PANEL_KINDS[kind].traces)
    parameters = {**ev.base_parameters(config, model), **overrides(model, fspec.get("parameters"))}
    compare = [list(g) for g in fspec.get("compare", [])]       # panels drawn on one scale (plotting)
    if {q for g in compare for q in g} - set(panels):
        raise ConfigError(f"figures.{figure}.compare names unknown panels: "
                          f"{sorted({q for g in compare for q in g} - set(panels))}; known: {sorted(panels)}")
    try:
        extra = ev.record_fields(config, fspec, model)
    except (TypeError, ValueError) as e:
        raise ConfigError(str(e)) from None
    spec = FigureSpec(
        figure=figure, run=config["run"], preset=config["preset"], model=name,
        code_version=f"qorepro {__version__}", title=fspec.get("title", figure),
        caption=fspec.get("caption", ""), source=fspec.get("source", ""),
        group=fspec.get("group", ev.DEFAULT_GROUP or name),
        parameters=parameters, plot={**config.get("plot", {}), **({"compare": compare} if compare else {})},
        panels=panels, **extra)
    if base is not None:
        spec = ev.continuation(spec, base, config)
    return spec


# -------------------------------------------------------------------------------- counting
def _panel_points(kind: str, sizes: dict, grid_axes, reference_axis, n_series: int) -> int:
    """Parameter points of one panel: the grid of its axes per series, plus the reference case
    of a revival panel; an analytic panel has none.  ``sizes``: axis name → number of values."""
    if PANEL_KINDS[kind].analytic:
        return 0
    m = int(np.prod([sizes[a] for a in grid_axes])) if grid_axes else 1
    return m * n_series + (sizes[reference_axis] if reference_axis else 0)


def _grid_axes(x, y, over) -> list:
    return [a for a in (x, y, over) if a]


def n_points(spec: FigureSpec) -> int:
    """Number of parameter points the figure computes."""
    return sum(_panel_points(p.kind, {a: len(v) for a, v in p.axes.items()}, _grid_axes(p.x, p.y, p.over),
                             p.reference_over if PANEL_KINDS[p.kind].reference else None, len(p.series))
               for p in spec.panels.values())


def planned_points(config: dict, figure: str) -> int:
    """:func:`n_points` of a figure counted from its configuration alone (no grid is built)."""
    total = 0
    for p in config["figures"][figure]["panels"].values():
        rover = _reference_axis(p)
        total += _panel_points(p["kind"], _panel_layout(p, config, axis_n),
                               _grid_axes(*(p[k]["axis"] if k in p else None for k in ("x", "y", "over"))),
                               rover["axis"] if rover else None, len(p.get("series") or {"default": {}}))
    return total


def _chunk_count(model, n: int, chunk_points: int) -> int:
    if not chunk_points or not evaluator(model).CHUNKED:
        return 1
    return max(1, -(-n // chunk_points))


def n_chunks(spec: FigureSpec, chunk_points: int) -> int:
    """Jobs a figure's sweep is split into: one per ``chunk_points`` points (0: never split)
    where its evaluator computes in chunks; a kind whose figures take seconds is never split."""
    return _chunk_count(spec.model, n_points(spec), chunk_points)


def planned_gpus(config: dict, figure: str) -> int:
    """GPUs a sweep job of ``figure`` holds (the workflow's ``gpu`` resource): 1 where its
    evaluator computes on the accelerator (``ACCELERATED``) and the run's ``engine.backend`` is
    ``gpu``, or ``auto`` with a GPU visible (:func:`qorepro.backend.accelerator_visible`); else 0.
    Locally the profile allows one such job at a time (one process keeps the device busy with
    large batches instead of many time-slicing it); the SLURM executor asks for a GPU per job."""
    if not evaluator(model_of(config["figures"][figure])).ACCELERATED:
        return 0
    backend = config.get("engine", {}).get("backend", "auto")
    if backend == "auto":
        from ..backend import accelerator_visible

        return int(accelerator_visible())
    return int(backend == "gpu")


def planned_chunks(config: dict, figure: str) -> int:
    """:func:`n_chunks` of a figure from a run's configuration alone (its ``chunk_points``)."""
    return _chunk_count(model_of(config["figures"][figure]), planned_points(config, figure),
                        config.get("chunk_points", 0))


# ---------------------------------------------------------------------------------- points
@dataclass
class Block:
    """One grid of points: a series of a panel (or a revival panel's reference case)."""

    panel: str
    label: str
    coords: dict
    shape: tuple
    size: int

    @property
    def reference(self) -> bool:
        """Whether this is the reference case of a revival panel."""
        return self.label == REFERENCE


@dataclass
class Points:
    """Every parameter point of a figure, in blocks, as one flat batch (field → values)."""

    blocks: list
    flat: dict

    @property
    def n(self) -> int:
        return sum(b.size for b in self.blocks)


def _dim_order(p: PanelSpec, order: str) -> list:
    """The swept axes of a panel's grid (x, y, over) in the order of its dimensions: ``"panel"``
    = x, y, over; ``"record"`` = the order of the record's ``axes`` (alphabetical in a record
    read from its JSON file, which is how the time-domain files have always been laid out)."""
    grid = _grid_axes(p.x, p.y, p.over)
    return grid if order == "panel" else [a for a in p.axes if a in grid]


def points(spec: FigureSpec) -> Points:
    """The grids of every computed panel (series, then the reference of a revival panel),
    concatenated in that order."""
    model = spec.model_object
    blocks, flats = [], []
    for pname, p in spec.panels.items():
        if PANEL_KINDS[p.kind].analytic:
            continue
        axes = {a: p.axes[a] for a in _dim_order(p, evaluator(model).DIM_ORDER)}
        cases = [(label, axes, ov) for label, ov in p.series.items()]
        if PANEL_KINDS[p.kind].reference:
            cases.append((REFERENCE, {p.reference_over: p.axes[p.reference_over]}, p.reference))
        for label, axes, ov in cases:
            coords, shape, flat = grid(model, axes, {**spec.parameters, **p.fixed, **ov})
            blocks.append(Block(pname, label, coords, shape, next(iter(flat.values())).size))
            flats.append(flat)
    flat = {k: np.concatenate([f[k] for f in flats]) for k in flats[0]} if flats else {}
    return Points(blocks, flat)


# --------------------------------------------------------------------------------- compute
def compute_figure(spec: FigureSpec, outdir: str, *, base_dir: str | None = None, batch_size: int = 64,
                   progress=None) -> dict:
    """Compute all panels of ``spec``; write ``outdir/{panel}.nc``.  Returns {panel: path}.
    ``progress``: text streams for progress lines (or None)."""
    ev, pts = evaluator(spec.model), points(spec)
    res, t = ev.evaluate(spec, pts, slice(0, pts.n), base_dir=base_dir, batch_size=batch_size,
                         progress=progress, label="") if pts.n else ({}, None)
    return write_panels(spec, pts, res, t, outdir, ev.engine_info(batch_size))


def compute_chunk(spec: FigureSpec, chunk: int, n_chunks: int, out_npz: str, *, base_dir: str | None = None,
                  batch_size: int = 64, progress=None) -> None:
    """Compute one of ``n_chunks`` contiguous slices of the figure's points into an .npz file:
    the per-point result arrays and sample times, the slice it holds (``first``, ``stop``, of
    ``total`` points) and the record digest it was computed from, which :func:`merge_chunks`
    checks before it assembles the panels."""
    from .provenance import record_digest
    ev, pts = evaluator(spec.model), points(spec)
    parts = np.array_split(np.arange(pts.n), n_chunks)
    idx, first = parts[chunk], sum(p.size for p in parts[:chunk])
    arrays = {}
    if idx.size:
        res, t = ev.evaluate(spec, pts, slice(idx[0], idx[-1] + 1), base_dir=base_dir, batch_size=batch_size,
                             progress=progress, label=f" chunk {chunk + 1}/{n_chunks}")
        arrays = {f"res_{k}": v for k, v in res.items()}
        if t is not None:
            arrays["t_tau"] = t
    with io.atomic_path(out_npz, suffix=".part.npz") as tmp:
        np.savez(tmp, n_points=np.array(idx.size), first=np.array(first), stop=np.array(first + idx.size),
                 total=np.array(pts.n), record_digest=np.array(record_digest(spec)),
                 engine=json.dumps(ev.engine_info(batch_size)), **arrays)


def _chunk_error(path: str, why: str):
    from .provenance import ProvenanceError
    return ProvenanceError(f"{path}: {why}; not merged (delete results/<run>/chunks/ and rerun the figure's sweep)")


def merge_chunks(spec: FigureSpec, npz_paths, outdir: str) -> dict:
    """Check the chunk results and write the figure's panel NetCDF files from them.

    Every chunk must carry the digest of ``spec``'s record, and their point ranges, in the
    order given, must tile ``[0, n_points(spec))`` exactly (no gap, no overlap, the same
    total); otherwise :class:`~qorepro.workflow.provenance.ProvenanceError` names the file."""
    from .provenance import record_digest
    want, pts = record_digest(spec), points(spec)
    chunks, pos = [], 0
    for path in npz_paths:
        c = np.load(path, allow_pickle=False)
        if not {"record_digest", "first", "stop", "total"} <= set(c.files):
            raise _chunk_error(path, "a chunk file without its point range and record digest (older version)")
        if str(c["record_digest"]) != want:
            raise _chunk_error(path, f"computed from another record than {spec.figure} of run {spec.run!r}")
        first, stop, total = int(c["first"]), int(c["stop"]), int(c["total"])
        if total != pts.n:
            raise _chunk_error(path, f"holds points of a {total}-point figure; {spec.figure} has {pts.n}")
        if first != pos or stop < first or stop - first != int(c["n_points"]):
            raise _chunk_error(path, f"holds points [{first}, {stop}); the next chunk must start at point {pos}")
        pos = stop
        chunks.append(c)
    if pos != pts.n:
        raise _chunk_error(npz_paths[-1] if npz_paths else outdir,
                           f"the chunks end at point {pos} of {pts.n}")
    engine = json.loads(str(chunks[0]["engine"])) if chunks else {}
    chunks = [c for c in chunks if int(c["n_points"]) > 0]
    keys = [k[4:] for k in chunks[0].files if k.startswith("res_")] if chunks else []
    res = {k: np.concatenate([c[f"res_{k}"] for c in chunks], axis=0) for k in keys}
    t = chunks[0]["t_tau"] if chunks and "t_tau" in chunks[0].files else None
    return write_panels(spec, pts, res, t, outdir, engine)


# --------------------------------------------------------------------------------- writing
def _stack(blocks: dict):
    """The series blocks of a panel stacked along a ``series`` dimension."""
    import xarray as xr
    ds = xr.concat(list(blocks.values()), dim="series", combine_attrs="override")
    return ds.assign_coords(series=("series", list(blocks), {"long_name": "case"}))


def write_panels(spec: FigureSpec, pts: Points, res: dict, t, outdir: str, engine: dict) -> dict:
    """Split the per-point results back into panels and write one NetCDF file per panel."""
    from . import cf, provenance
    ev = evaluator(spec.model)
    blocks, offset = {}, 0
    for b in pts.blocks:
        sub = {k: v[offset:offset + b.size] for k, v in res.items()}
        offset += b.size
        blocks.setdefault(b.panel, {})[b.label] = ev.block_dataset(spec, spec.panels[b.panel], sub, b.coords,
                                                                   b.shape, t)
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for pname, p in spec.panels.items():
        if PANEL_KINDS[p.kind].analytic:
            ds = ev.analytic_panel(spec, p)
        else:
            ref = blocks[pname].pop(REFERENCE, None)
            ds = ev.finish_panel(spec, p, _stack(blocks[pname]), ref)
        ds = provenance.stamp(ds, spec, pname, "; ".join(spec.model_object.references), ev.source(spec), engine)
        paths[pname] = io.write_netcdf(ds, os.path.join(outdir, f"{pname}.nc"), cf.encoding(ds))
        log.info("wrote %s", paths[pname])
    return paths
