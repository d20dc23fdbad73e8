"""The overlay figure of a variant run against the main run, one figure at a time (issue 22).

Panels in the order of the figure's record (the configuration's order), packed into rows:

* a panel whose plotted quantity has one swept axis (a line panel, a time trace) draws the
  variant's curves over the main run's — the same series colours, the main run wide and faded
  under the variant (dashed keeps its one meaning, not certified: :mod:`qorepro.plotting`); one
  legend line on top explains the two styles;
* a panel with two swept axes (a map) draws the variant's map beside the signed difference
  ``variant − main`` (:func:`qorepro.workflow.compare.difference`, diverging colour scale
  centred at zero); cells not certified in the variant (left) or in either run (right) are
  hatched.

Points that are not certified are marked as in every figure (:mod:`qorepro.plotting`: open
markers, hatched cells).  Nothing is recomputed: the curves are the panel files' values, read
with :func:`qorepro.plotting.load_panels` (provenance checked).  Every drawn curve carries a
``gid`` ``"<panel>:<variable>:<series>:<main|variant>"`` so its data can be checked.
"""
from __future__ import annotations

import dataclasses
import os
import textwrap

import numpy as np
import xarray as xr

from . import plotting as P
from .workflow.compare import CompareError, difference

#: dimensions that index a quantity's components rather than sweep a parameter
_COMPONENT_DIMS = ("k", "state", "row", "col", "mrow", "mcol")
#: style of the main run's curves (under the variant's)
MAIN_STYLE = {"ls": "-", "alpha": 0.35, "lw": 2.8}
#: cells per row of the overlay figure (a line panel takes one, a map panel two)
ROW_CELLS = 4
#: a row of line panels is at least this many cells wide (a lone panel is not stretched)
LINE_COLS = 3


def _numeric(da) -> bool:
    return da.dtype.kind in "iuf"


def plotted(spec: dict, ds) -> list[tuple[str, tuple]]:
    """The quantities a panel shows and their swept dimensions (``series`` left out):
    the panel's ``variables`` (their time traces ``<v>_t`` for a trace panel, the revival
    factor for a revival panel) that the file holds as numbers; failing that, the first
    numeric variable over the panel's axes (or time)."""
    axes = {spec.get("x"), spec.get("y"), spec.get("over"), "t"} - {None}
    names = ["revival"] if spec.get("kind") == "revival" and "revival" in ds else []
    for v in [] if names else spec.get("variables") or []:
        if spec.get("traces") and f"{v}_t" in ds:
            names.append(f"{v}_t")
        elif v in ds and _numeric(ds[v]):
            names.append(v)
    if not names:
        names = [v for v in ds.data_vars if _numeric(ds[v]) and set(ds[v].dims) - {"series"}
                 and set(ds[v].dims) - {"series"} <= axes][:1]
    out = []
    for v in dict.fromkeys(names):
        dims = tuple(d for d in ds[v].dims if d not in ("series", spec.get("over")) and d not in _COMPONENT_DIMS)
        out.append((v, dims))
    return out


def _reduce(da, spec: dict):
    """A quantity over its swept dimensions only: the first component of a component
    dimension (θ_k: the first k), the maximum over a panel's ``over`` axis."""
    for d in da.dims:
        if d in _COMPONENT_DIMS:
            da = da.isel({d: 0})
        elif d == spec.get("over"):
            da = da.max(d)
    return da


def _certified(ds, da):
    """Where ``da`` (a reduced quantity of ``ds``) rests on certified points only: ``certified``
    at every point it was reduced over (True where the file has no such flag)."""
    if "certified" not in ds:
        return xr.ones_like(da, dtype=bool)
    c = ds["certified"].astype(bool)
    extra = [d for d in c.dims if d not in da.dims]
    return c.all(extra) if extra else c


def _cells(main, variant) -> tuple[list, dict]:
    """The mosaic (rows, or blocks of rows), per mosaic key (panel, kind, series) with kind
    'line', 'map' or 'diff', and the widest row's number of cells."""
    cells, what = [], {}
    for p, spec in variant.record["panels"].items():
        if p not in main.panels:
            continue
        q = plotted(spec, variant.panels[p])
        if not q:
            continue
        if len(q[0][1]) >= 2:
            # one map per series — unless the quantity is already across the series (ΔE_N = left − right)
            ds = variant.panels[p]
            series = list(ds["series"].values) if "series" in ds[q[0][0]].dims else [None]
            for s in series:
                k = p if len(series) == 1 else f"{p} {s}"
                cells.append([k, k + " Δ"])
                what[k], what[k + " Δ"] = (p, "map", s), (p, "diff", s)
        else:
            cells.append([p])
            what[p] = (p, "line", None)
    # consecutive panels of one kind share a block (a subfigure with its own column widths, so
    # that a line panel is not squeezed to a map's column); each block packed into rows
    blocks, prev = [], None
    for c in cells:
        kind = len(c)
        if kind != prev or len(blocks[-1][-1]) + len(c) > ROW_CELLS:
            if kind != prev:
                blocks.append([])
            blocks[-1].append([])
        blocks[-1][-1] += c
        prev = kind
    width = max(LINE_COLS, *(len(r) for b in blocks for r in b))
    mosaic = [[r + ["."] * (max(LINE_COLS, *(len(x) for x in b)) - len(r)) for r in b] for b in blocks]
    return (mosaic if len(mosaic) > 1 else mosaic[0]), what, width


def _line_panel(ax, p, main, variant):
    spec = variant.record["panels"][p]
    labels = variant.series_labels(p)
    i = 0
    for var, dims in plotted(spec, variant.panels[p]):
        for run, data in (("main", main), ("variant", variant)):
            ds = data.panels[p]
            da = _reduce(ds[var], spec)
            cert = _certified(ds, da)
            series = list(ds["series"].values) if "series" in da.dims else [None]
            for j, s in enumerate(series):
                y = da.sel(series=s) if s is not None else da
                c = np.asarray((cert.sel(series=s) if s is not None and "series" in cert.dims else cert).values)
                if dims:
                    x = ds[dims[0]].values
                else:                                # one value per series: drawn at its index
                    x, y = np.array([j]), np.atleast_1d(y.values)
                c = np.broadcast_to(c, np.shape(y))
                n0 = len(ax.lines)
                name = labels.get(s) if s is not None else None
                lab = None if run == "main" else (f"{name}" if name else None)
                if len(plotted(spec, ds)) > 1 and run == "variant":
                    lab = f"{P.axis_label(var, ds, data.model)}" + (f", {name}" if name else "")
                ln = P.line(ax, x, np.asarray(y, dtype=float), c, label=lab, color=P.color(i + j),
                            ls=MAIN_STYLE["ls"] if run == "main" else "-")
                ln.set_gid(f"{p}:{var}:{s}:{run}")
                if run == "main":
                    for extra in ax.lines[n0:]:
                        extra.set_alpha(MAIN_STYLE["alpha"])
                        extra.set_linewidth(MAIN_STYLE["lw"])
        i += len(series)
    var, dims = plotted(spec, variant.panels[p])[0]
    _labels(ax, dims[0] if dims else None, var, variant.panels[p], variant.model)
    P.panel_letter(ax, p)
    P.legend(ax)


def _map_panel(ax, p, kind, s, main, variant):
    spec = variant.record["panels"][p]
    var, dims = plotted(spec, variant.panels[p])[0]
    x, y = (spec["x"], spec["y"]) if {spec.get("x"), spec.get("y")} == set(dims[:2]) else dims[:2]
    pick = (lambda da: da.sel(series=s)) if s is not None else (lambda da: da)
    if kind == "map":
        ds = variant.panels[p]
        da = _reduce(pick(ds[var]), spec).transpose(x, y)
        cert = pick(_certified(ds, ds[var])).transpose(x, y).values if "certified" in ds else None
        m = P.density(ax, ds[x].values, ds[y].values, da.values, cert, label=P.axis_label(var, ds, variant.model))
        m.set_gid(f"{p}:{var}:{s}:variant")
        several = "series" in ds.dims and ds.sizes["series"] > 1
        P.panel_letter(ax, f"{p} ({s})" if several else p)
    else:
        try:
            d = difference(_pipeline_units(main, p), _pipeline_units(variant, p), join="inner")
            d = d.assign_coords({c: d[c] * variant.record["parameters"]["omega1_MHz"]
                                 for c in (x, y) if variant.panels[p][c].attrs.get("physical")})
        except CompareError as e:
            ax.text(0.5, 0.5, "no difference map:\n" + textwrap.fill(str(e), 40), transform=ax.transAxes,
                    ha="center", va="center", fontsize=6.5, color="0.3")
            ax.set_axis_off()
            return
        da = _reduce(pick(d[var]), spec).transpose(x, y)
        cert = None
        if "certified_main" in d and "certified_variant" in d:
            both = d["certified_main"].astype(bool) & d["certified_variant"].astype(bool)
            extra = [dd for dd in both.dims if dd not in d[var].dims]
            cert = pick(both.all(extra) if extra else both).transpose(x, y).values
        m = P.density(ax, d[x].values, d[y].values, da.values, cert, diverging=True,
                      label=f"Δ {P.axis_label(var, variant.panels[p], variant.model)}")
        m.set_gid(f"{p}:{var}:{s}:difference")
        ax.set_title("variant − main", loc="left", fontsize=8)
    _labels(ax, x, y, variant.panels[p], variant.model)


def _labels(ax, x, y, ds, model):
    """Axis labels from the panel's own dataset (a coordinate in MHz says so), log scale where
    the quantity is."""
    for name, setl, sets in ((x, ax.set_xlabel, ax.set_xscale), (y, ax.set_ylabel, ax.set_yscale)):
        if name:
            base = name[:-2] if name.endswith("_t") and name not in P.model_labels(model) else name
            setl(P.axis_label(base, ds, model))
            if name in P.LOG_AXES:
                sets("log")


def _pipeline_units(data: P.FigureData, p: str):
    """Panel ``p`` with the frequency coordinates that :func:`qorepro.plotting.load_panels` put
    in MHz back in the pipeline's units (ω₁): the record's axis values, exactly as computed, so
    two runs' grids compare as computed."""
    ds, axes = data.panels[p], data.record["panels"][p].get("axes", {})
    back = {c: np.asarray(axes[c], dtype=float) for c in ds.coords
            if ds[c].attrs.get("physical") and c in axes and len(axes[c]) == ds.sizes[c]}
    return ds.assign_coords({c: (c, v, ds[c].attrs) for c, v in back.items()})


def same_units(main: P.FigureData, variant: P.FigureData):
    """Both runs' frequency axes in the same units: where one run plots them in MHz
    (``plot.physical_units``) and the other in units of ω₁, the other is rescaled with its own
    ω₁ (:func:`qorepro.plotting.load_panels` rescales each run by its own record)."""
    phys = [bool(d.record.get("plot", {}).get("physical_units")) for d in (main, variant)]
    if phys[0] == phys[1]:
        return main, variant
    fix = main if phys[1] else variant
    spec = dataclasses.replace(fix.spec, plot={**fix.spec.plot, "physical_units": True})
    fixed = P.FigureData(spec, {k: P._physical(ds, spec) for k, ds in fix.panels.items()}, fix.stability)
    return (fixed, variant) if fix is main else (main, fixed)


def overlay(main: P.FigureData, variant: P.FigureData, main_run: str | None = None,
            variant_run: str | None = None):
    """The overlay figure of ``variant`` over ``main`` (two :class:`~qorepro.plotting.FigureData`
    of one figure); returns ``(fig, axes)`` (mosaic key → axes)."""
    P.apply_style()
    main, variant = same_units(main, variant)
    main_run = main_run or main.record["run"]
    variant_run = variant_run or variant.record["run"]
    mosaic, what, ncols = _cells(main, variant)
    fig, axes = P.figure(mosaic, width=2.7 * ncols + 0.6)
    for key, (p, kind, s) in what.items():
        if kind == "line":
            _line_panel(axes[key], p, main, variant)
        else:
            _map_panel(axes[key], p, kind, s, main, variant)
    from matplotlib.lines import Line2D
    style = [Line2D([], [], color="0.3", **{k: v for k, v in MAIN_STYLE.items() if k != "lw"},
                    lw=MAIN_STYLE["lw"]), Line2D([], [], color="0.3", ls="-")]
    fig.legend(style, [f"main run {main_run} (wide, faded)", f"variant {variant_run} (solid, same colours)"],
               loc="outside upper center", ncol=2, fontsize=7.5,
               title=f"{variant.record['figure']}: run {variant_run} over run {main_run}", title_fontsize=8.5)
    P.finish(fig)
    return fig, axes


def overlay_files(main_dir: str, variant_dir: str, figure: str, pdf: str, png: str,
                  data_dirs: dict | None = None) -> None:
    """Draw and save (vector PDF + PNG) the overlay of ``figure`` from two run folders
    (``results/<run>``).  A run's panels are read from ``data_dirs[run][figure]`` where given
    (a run that reuses another run's panels), else from its own ``data/<figure>``, else — a
    variant that shares the figure with the main run — from the main run's."""
    import matplotlib.pyplot as plt

    from .workflow.record import FigureSpec

    def load(run_dir):
        rec = os.path.join(run_dir, "params", f"{figure}.json")
        run = FigureSpec.load(rec).run
        data_dir = (data_dirs or {}).get(run, {}).get(figure, os.path.join(run_dir, "data", figure))
        if not os.path.isdir(data_dir):
            data_dir = os.path.join(main_dir, "data", figure)
        return P.load_panels(data_dir, rec)

    fig, _ = overlay(load(main_dir), load(variant_dir))
    P.save(fig, pdf, png)
    plt.close(fig)


def overlay_runs(main_dir: str, variant_dir: str, figures, out_dir: str, data_dirs: dict | None = None) -> list:
    """The overlay of every figure of ``figures`` that both runs have a record of, as
    ``out_dir/<figure>.pdf`` and ``.png`` (``results/compare/<run>/figures``); returns the PNGs."""
    out = []
    for fig in figures:
        if all(os.path.exists(os.path.join(d, "params", f"{fig}.json")) for d in (main_dir, variant_dir)):
            png = os.path.join(out_dir, f"{fig}.png")
            overlay_files(main_dir, variant_dir, fig, os.path.join(out_dir, f"{fig}.pdf"), png, data_dirs)
            out.append(png)
    return out
