"""Small shared helpers for the figure notebooks (``notebooks/<figure>.ipynb``).

A notebook loads its panels with :func:`load_panels` (the one place where a panel file is read
and checked against its provenance record), lays out the figure with :func:`figure` and then
draws each panel in its own cell with the helpers below.  Conventions every figure shares:

* certified points (a stable fixed point or a Floquet-stable limit cycle) are filled markers,
  points that are not certified are **open markers in the series' own colour**; points without a
  value (no stable steady state, no data) are never drawn — their count is noted in the legend;
* map cells that are not certified are hatched; cells without a value show the grey background;
* an axis whose numbers are very small or large carries its power of ten in the label
  ("K/ω₁ (10⁻⁵)") instead of matplotlib's offset text, so nothing collides with panel letters;
* a legend that would cover data is moved outside its axes (:func:`finish`).

Nothing here draws a whole figure: that is the notebook's job, one cell per panel.
"""
from __future__ import annotations

import json
import math
import os
import textwrap
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from .models import MODELS  # noqa: E402

# ------------------------------------------------------------------------------ style
STYLE = {
    "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "legend.fontsize": 7.5,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.formatter.useoffset": False,
    "axes.formatter.use_mathtext": True, "legend.frameon": True, "legend.framealpha": 0.85,
    "legend.edgecolor": "0.8", "lines.linewidth": 1.3, "savefig.dpi": 200, "pdf.fonttype": 42,
    "axes.prop_cycle": matplotlib.cycler(color=["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                "#9467bd", "#8c564b", "#17becf"]),
}
PNG_DPI = 200
HATCH_COLOR = "crimson"
NO_VALUE_COLOR = "white"
NO_VALUE_HATCH = "0.55"


def color(i: int) -> str:
    """The i-th series colour (the same series keeps its colour in every panel)."""
    return STYLE["axes.prop_cycle"].by_key()["color"][i % 7]


def apply_style() -> None:
    plt.rcParams.update(STYLE)


#: labels of names that mean the same for every model: the Gaussian measures, the time axis
#: of the time-domain engine (units τ) and the Hurwitz determinant; every other name is
#: labelled by its model (``model.labels``, :mod:`qorepro.models.base`)
COMMON_LABELS = {
    "S_Q": r"$S_Q$", "S_C": r"$S_C$", "E_N": r"$E_N$", "squeezing_dB": "two-mode squeezing below vacuum (dB)",
    "t": r"$t/\tau$", "theta": r"$\theta_2$ at the fixed point",
}


def model_labels(model: str | None) -> dict:
    """name → mathtext label for the figures of ``model`` (a name in ``MODELS``; None: the
    common labels only)."""
    return {**COMMON_LABELS, **(MODELS[model].labels if model else {})}


#: axes drawn on a logarithmic scale
LOG_AXES = ("Q",)
#: axes whose coordinate is a frequency in units of ω₁ (convertible to MHz)
FREQUENCY_AXES = ("Delta_a", "Delta_m", "K", "kappa_a", "kappa_m", "gamma", "chi", "omega2")

#: record keys that repeat another one in a legend (the second phonon's thermal number)
_SERIES_SKIP = ("n2",)
_UNIT_SUFFIX = {"_MHz": " MHz", "_kHz": " kHz", "_mK": " mK", "_mW": " mW"}


def _series_name(key: str, model: str | None):
    """(symbol, unit) of a series override in a legend: the model's ``parameter_symbols``,
    else the name with its unit suffix split off."""
    symbols = MODELS[model].parameter_symbols if model else {}
    if key in symbols:
        return symbols[key]
    for suf, unit in _UNIT_SUFFIX.items():
        if key.endswith(suf):
            return key[: -len(suf)].replace("_", r"\_"), unit
    return key.replace("_", r"\_"), ""


def fmt_number(v) -> str:
    """A number as the paper prints it: 0, 0.97, 76, −2×10⁻⁵ (mathtext, without $)."""
    v = float(v)
    if v == 0:
        return "0"
    e = math.floor(math.log10(abs(v)))
    if -3 < e < 4:
        return f"{v:g}"
    m = v / 10 ** e
    ms = f"{m:.3g}"
    return (f"{ms}\\times10^{{{e}}}" if ms not in ("1", "-1") else f"{'-' if m < 0 else ''}10^{{{e}}}")


# ------------------------------------------------------------------------------ loading
@dataclass
class FigureData:
    """A figure's record (:class:`~qorepro.workflow.record.FigureSpec`), its panel datasets and
    its stability summary."""

    spec: object
    panels: dict
    stability: dict = field(default_factory=dict)

    @property
    def model(self) -> str:
        return self.spec.model

    @property
    def record(self) -> dict:
        """The params record as plain JSON (what ``results/<run>/params/<figure>.json`` holds)."""
        return self.spec.to_record()

    def series_labels(self, panel: str) -> dict:
        """Human-readable legend label per series of a panel (None for a lone default series)."""
        return series_labels(self.spec.panels[panel].series, self.model)

    def label(self, name: str) -> str:
        return axis_label(name, next(iter(self.panels.values())) if self.panels else None, self.model)


def load_panels(data_dir: str, params_json: str, stability_json: str | None = None) -> FigureData:
    """Load every panel file of a figure, each verified against its provenance record.

    This is the only place where the notebooks read data: the check
    (:func:`qorepro.workflow.provenance.open_verified`: readable, data equal to its checksums,
    computed from this record for this panel) stays in one place.  The stability summary
    (``stability_json``) is accepted only as those verified panels give it
    (:func:`qorepro.workflow.certification.verified_summary`).
    """
    from .workflow.certification import verified_summary
    from .workflow.provenance import open_verified
    from .workflow.record import FigureSpec

    spec = FigureSpec.load(params_json)
    raw = {name: open_verified(os.path.join(data_dir, f"{name}.nc"), spec, name) for name in spec.panels}
    # the stability summary (figure subtitle, "n/m points certified") only as the verified panels give it
    stab = verified_summary(stability_json, spec.figure, raw) if stability_json else {}
    return FigureData(spec, {name: _physical(ds, spec) for name, ds in raw.items()}, stab)


def _physical(ds, spec):
    """With ``plot.physical_units``, rescale frequency coordinates to MHz (×ω₁/2π)."""
    if not spec.plot.get("physical_units"):
        return ds
    f1 = spec.parameters["omega1_MHz"]
    for ax in FREQUENCY_AXES:
        if ax in ds.coords:
            ds = ds.assign_coords({ax: ds[ax] * f1})
            ds[ax].attrs["physical"] = True
    return ds


def axis_label(name: str, ds=None, model: str | None = None) -> str:
    """The label of a quantity for the figures of ``model`` (the name itself if it has none);
    a coordinate rescaled to MHz (``physical``) says so."""
    label = model_labels(model).get(name, name)
    if ds is not None and name in ds.coords and ds[name].attrs.get("physical"):
        return label.replace(r"/\omega_1", "/2\\pi").rstrip("$") + r"$ (MHz)"
    return label


def series_labels(series: dict, model: str | None = None) -> dict:
    """Legend labels from the series' overrides: the quantities that differ between the series,
    with the paper's symbols and units ("CD, K/ω₁ = −2×10⁻⁵", "Ω = 8 kHz, left input")."""
    if not series or list(series) == ["default"]:
        return {k: None for k in series} or {"default": None}
    keys = []
    for ov in series.values():
        keys += [k for k in ov if k not in keys and k not in _SERIES_SKIP]
    varying = [k for k in keys if len(series) == 1 or len({json.dumps(ov.get(k)) for ov in series.values()}) > 1]
    varying = [k for k in varying if k != "direction"] + (["direction"] if "direction" in varying else [])
    out = {}
    for name, ov in series.items():
        words = [w for w in name.replace("(", " ").replace(")", " ").replace(",", " ").split()
                 if not any(c in w for c in "=<>") and w not in ("left", "right")]
        parts = [" ".join(words)] if words else []
        for k in varying:
            if k not in ov:
                continue
            if k == "direction":
                d = ov[k]
                parts.append(f"{d if isinstance(d, str) else ('left' if float(d) > 0 else 'right')} input")
            else:
                sym, unit = _series_name(k, model)
                parts.append(f"${sym} = {fmt_number(ov[k])}${unit}")
        out[name] = ", ".join(parts) or name
    return out


# ------------------------------------------------------------------------------ layout
def figure(mosaic, width: float | None = None, row_height: float = 2.6, title: str | None = None):
    """A figure with one axes per mosaic key (the paper's arrangement), constrained layout.

    ``mosaic`` is a list of rows of keys, or a list of such blocks (each block a subfigure with
    its own columns, stacked vertically)."""
    blocks = mosaic if isinstance(mosaic[0][0], (list, tuple)) else [mosaic]
    nrows = sum(len(b) for b in blocks)
    ncols = max(len(r) for b in blocks for r in b)
    width = width or min(7.2, 2.6 * ncols + 0.6)
    fig = plt.figure(figsize=(width, row_height * nrows + (0.45 if title else 0)), layout="constrained")
    subs = [fig] if len(blocks) == 1 else fig.subfigures(len(blocks), 1, height_ratios=[len(b) for b in blocks])
    axes = {}
    for sub, block in zip(subs, blocks):
        axes.update(sub.subplot_mosaic(block))
    if title:
        fig.suptitle("\n".join(textwrap.wrap(title, 95)), fontsize=8.5)
    return fig, axes


def panel_letter(ax, letter: str) -> None:
    """The panel letter, bold, above the axes' top-left corner (on every axes of a panel)."""
    ax.set_title(letter, loc="left", fontweight="bold", fontsize=10)


# ------------------------------------------------------------------------------ lines
def line(ax, x, y, certified, *, label=None, color=None, band=None, twa=None, ls="-", marker="o"):
    """One series: a line through the points that have a value, filled markers where certified,
    open markers (same colour) where not; ``band=(lo, hi)`` shades the window's min–max,
    ``twa=(value, err)`` adds truncated-Wigner values with ±1σ bars.  Points without a value
    are left out and counted on the axes (see :func:`legend`)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    cert = np.broadcast_to(np.asarray(certified, dtype=bool), y.shape)
    has = np.isfinite(y)
    (ln,) = ax.plot(x[has], y[has], ls, color=color, label=label, zorder=2)
    c = ln.get_color()
    if band is not None:
        lo, hi = (np.asarray(b, dtype=float) for b in band)
        ax.fill_between(x, lo, hi, where=np.isfinite(lo) & np.isfinite(hi), color=c, alpha=0.18, lw=0, zorder=1)
    dense = len(x) > 60          # fine grids: the line alone shows the certified points
    if not dense:
        ax.plot(x[has & cert], y[has & cert], marker, ls="none", ms=3.2, color=c, zorder=3)
    open_ = has & ~cert
    if open_.any():
        ax.plot(x[open_], y[open_], marker, ls="none", ms=2.6 if dense else 4.4, mfc="white", mec=c,
                mew=0.6 if dense else 1.0, zorder=4)
        ax._qo_uncertified = True
    if twa is not None:
        v, e = (np.asarray(a, dtype=float) for a in twa)
        ok = np.isfinite(v)
        first = not getattr(ax, "_qo_twa", False)
        ax.errorbar(x[ok], v[ok], yerr=np.where(np.isfinite(e), e, 0)[ok], fmt="D", ms=3, color=c, alpha=0.75,
                    capsize=2, lw=0.8, zorder=5, label="truncated Wigner (±1σ)" if first else None)
        ax._qo_twa = True
    ax._qo_missing = getattr(ax, "_qo_missing", 0) + int((~has).sum())
    return ln


def trace(ax, t, y, certified: bool, *, label=None, color=None, verdict=None, lw=0.9, ls=None):
    """A time trace: solid when the run is certified, dashed (verdict in the label) when not."""
    if not certified and verdict:
        why = "not certified: " + str(verdict).replace("_", " ")
        label = f"{label}\n({why})" if label else why
    return ax.plot(np.asarray(t), np.asarray(y), ls or ("-" if certified else "--"), lw=lw, color=color,
                   label=label)[0]


def window(ax, window_tau, label="averaging window") -> None:
    lo, hi = json.loads(window_tau) if isinstance(window_tau, str) else window_tau
    ax.axvspan(lo, hi, color="0.5", alpha=0.15, lw=0, label=label)


def labels(ax, x: str | None = None, y: str | None = None, data: FigureData | None = None) -> None:
    """Axis labels with units from the quantity names (log scale where the quantity is)."""
    model = data.model if data else None
    ds = next(iter(data.panels.values())) if data and data.panels else None
    for name, setl, sets in ((x, ax.set_xlabel, ax.set_xscale), (y, ax.set_ylabel, ax.set_yscale)):
        if name:
            setl(axis_label(name, ds, model))
            if name in LOG_AXES:
                sets("log")


def legend(ax, outside: bool = False, **kw):
    """The axes' legend, plus 'open marker = not certified' and the count of points without a
    value when there are such.  :func:`finish` moves it outside when it covers data."""
    handles, labs = ax.get_legend_handles_labels()
    if getattr(ax, "_qo_uncertified", False):
        handles.append(Line2D([], [], marker="o", ls="none", color="0.3", mfc="white", ms=4.4))
        labs.append("not certified (open)")
    missing = getattr(ax, "_qo_missing", 0)
    if missing:       # noted above the axes, not in the legend (which would grow over the data)
        ax.set_title(f"{missing} point{'s' if missing > 1 else ''} without a value: not drawn", loc="right",
                     fontsize=6.5, color="0.35")
    if not handles:
        return None
    if outside:
        kw = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0, **kw}
    return ax.legend(handles, labs, **kw)


# ------------------------------------------------------------------------------ maps
def edges(c):
    c = np.asarray(c, dtype=float)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    if np.all(c > 0) and c.size > 2 and np.allclose(np.diff(np.log(c)), np.log(c[1] / c[0])):   # log grid
        lc = np.log(c)
        mid = (lc[:-1] + lc[1:]) / 2
        return np.exp(np.concatenate([[2 * lc[0] - mid[0]], mid, [2 * lc[-1] - mid[-1]]]))
    mid = (c[:-1] + c[1:]) / 2
    return np.concatenate([[2 * c[0] - mid[0]], mid, [2 * c[-1] - mid[-1]]])


def density(ax, x, y, values, certified=None, *, label="", cmap="viridis", diverging=False, colorbar=True):
    """A density map of ``values[ix, iy]`` over the grid ``x × y``; cells not certified are
    hatched, cells without a value show the grey background (counted in the legend)."""
    values = np.asarray(values, dtype=float)
    xe, ye = edges(x), edges(y)
    lim = {}
    if diverging:
        v = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
        lim = dict(vmin=-(v or 1.0), vmax=v or 1.0)
        cmap = cmap if cmap != "viridis" else "coolwarm"
    ax.set_facecolor(NO_VALUE_COLOR)
    m = ax.pcolormesh(xe, ye, values.T, cmap=cmap, shading="flat", **lim)
    if colorbar:
        ax.figure.colorbar(m, ax=ax, label=label, pad=0.02)
    if certified is not None:
        hatch(ax, xe, ye, np.asarray(certified, dtype=bool) | ~np.isfinite(values))
    hatch(ax, xe, ye, np.isfinite(values), pattern="xxx", color=NO_VALUE_HATCH)
    ax._qo_map_missing = getattr(ax, "_qo_map_missing", 0) + int((~np.isfinite(values)).sum())
    return m


def hatch(ax, xe, ye, ok, pattern="////", color=HATCH_COLOR) -> None:
    """Hatch the cells where ``ok[ix, iy]`` is False (not certified: red slashes; no value:
    grey crosses)."""
    bad = np.argwhere(~np.asarray(ok, dtype=bool))
    if not len(bad):
        return
    rects = [Rectangle((xe[i], ye[j]), xe[i + 1] - xe[i], ye[j + 1] - ye[j]) for i, j in bad]
    ax.add_collection(PatchCollection(rects, facecolor="none", edgecolor=color, hatch=pattern, lw=0, zorder=3))
    if color == HATCH_COLOR:
        ax._qo_map_hatched = True


VERDICT_COLORS = ["#1b9e77", "#7570b3", "#d95f02", "#e7298a", "#e6ab02", "#666666"]


def verdict_map(ax, x, y, verdict):
    """Categorical map of the stability verdicts (legend names the verdicts present)."""
    from .settings import VERDICTS
    codes = np.vectorize(lambda v: VERDICTS.index(v) if v in VERDICTS else -1)(np.asarray(verdict, dtype=str))
    cmap = matplotlib.colors.ListedColormap(VERDICT_COLORS)
    ax.pcolormesh(edges(x), edges(y), np.ma.masked_less(codes, 0).T, cmap=cmap, vmin=-0.5,
                  vmax=len(VERDICTS) - 0.5, shading="flat")
    present = sorted(set(codes.ravel().tolist()) - {-1})
    ax.legend(handles=[Patch(color=cmap(c), label=VERDICTS[c].replace("_", " ")) for c in present],
              loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, title="verdict")


def outline_cells(ax, x, y, mask, *, color="black", lw=1.4, label=None):
    """Draw a box around each cell of the grid ``x × y`` where ``mask[ix, iy]`` is True (a few
    cells singled out on a map, e.g. where the fixed point is stable); returns their count."""
    xe, ye = edges(x), edges(y)
    sel = np.argwhere(np.asarray(mask, dtype=bool))
    rects = [Rectangle((xe[i], ye[j]), xe[i + 1] - xe[i], ye[j + 1] - ye[j]) for i, j in sel]
    if rects:
        ax.add_collection(PatchCollection(rects, facecolor="none", edgecolor=color, lw=lw, zorder=4,
                                          label=label))
    return len(rects)


def log_density(ax, x, y, values, certified=None, *, label="", cmap="viridis", vmin=None, vmax=None):
    """:func:`density` on a logarithmic colour scale (positive values; limits from the data
    unless given), with its colour bar attached to the axes."""
    m = density(ax, x, y, values, certified, cmap=cmap, colorbar=False)
    v = np.asarray(values, dtype=float)
    pos = v[np.isfinite(v) & (v > 0)]
    lo = vmin if vmin is not None else (float(pos.min()) if pos.size else 1e-3)
    hi = vmax if vmax is not None else (float(pos.max()) if pos.size else 1.0)
    hi = max(hi, lo * 1.0001)
    m.set_norm(matplotlib.colors.LogNorm(vmin=lo, vmax=hi))
    cb = ax.figure.colorbar(m, ax=ax, label=label, pad=0.02)
    cb.ax.minorticks_off()          # five ticks spread evenly on the log scale, plain numbers
    cb.set_ticks(np.geomspace(lo, hi, 5), labels=[f"{v:.4g}" for v in np.geomspace(lo, hi, 5)])
    return m


#: label of 2ν̃₋, twice the smallest symplectic eigenvalue of the partially transposed covariance
PT_LABEL = r"$2\tilde\nu_-$ (partial transpose)"


def separability_lines(ax, ds, x: str, names: dict) -> None:
    """How far each series of a line panel is from entanglement: 2ν̃₋ (``nu_pt``) on a log axis,
    the threshold 2ν̃₋ = 1 dashed (E_N = max(0, −ln 2ν̃₋) > 0 below it; on the log axis the
    distance below the line is E_N), and a note with the count of entangled points."""
    for i, s in enumerate(ds.series.values):
        d = ds.sel(series=s)
        line(ax, d[x], 2 * d["nu_pt"], d["certified"], label=names[s], color=color(i))
    ax.set_yscale("log")
    ax.axhline(1.0, color="0.3", ls="--", lw=0.8, zorder=1)      # explained by the note, not in the legend
    two_nu = 2 * ds["nu_pt"]
    lo, hi = float(two_nu.min()), float(two_nu.max())
    if not np.isfinite(lo):                                    # no stable point: nothing to scale to
        lo = hi = 1.0
    bottom, top = min(lo, 1.0), max(hi, 1.0) * 1.05
    ax.set_ylim(bottom * (top / bottom) ** -0.3, top)       # room below the threshold for the note
    # plain numbers at 1-2-5 steps over a wide range, at linear steps over a narrow one
    ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)) if top / bottom > 4
                               else matplotlib.ticker.MaxNLocator(6, steps=[1, 2, 5, 10]))
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_ylabel(PT_LABEL)
    n, n_ent = int(ds["E_N"].notnull().sum()), int((ds["E_N"] > 0).sum())
    text = (rf"$E_N = 0$ at all {n} points: $2\tilde\nu_- \geq {lo:.3f}$" if n_ent == 0
            else rf"$E_N > 0$ at {n_ent}/{n} points")
    panel_note(ax, text + "\n" + r"entangled only below the dashed line $2\tilde\nu_- = 1$", loc="lower right")


def panel_note(ax, text: str, loc: str = "upper right", fontsize: float = 6.5) -> None:
    """A short statement inside the axes (why a panel looks as it does), on a light box."""
    x, ha = (0.97, "right") if "right" in loc else ((0.03, "left") if "left" in loc else (0.5, "center"))
    y, va = (0.96, "top") if "upper" in loc else (0.04, "bottom")
    ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=fontsize, zorder=6, in_layout=False,
            bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="0.7", alpha=0.9))


def revival_trust(ds, var: str, over: str | None):
    """Where the revival factor (max of ``var`` over ``over`` / the reference maximum) rests on
    certified points only: the maximum and the reference maximum both certified."""
    cert = ds["certified"].astype(bool)
    v = ds[var]
    if over and over in v.dims:
        vv = v.fillna(-np.inf)
        idx = vv.argmax(over)
        ok = cert.isel({over: idx}) & np.isfinite(v.max(over))
    else:
        ok = cert & np.isfinite(v)
    ref, cref = f"{var}_reference", "certified_reference"
    if ref in ds and cref in ds:
        r = ds[ref].fillna(-np.inf).values
        ok = ok & bool(ds[cref].values[int(np.argmax(r))])
    return ok & np.isfinite(ds["revival"])


# ------------------------------------------------------------------------------ Wigner (Jiao 2022 Fig. 4)
_CIRCLE = np.stack([np.cos(np.linspace(0, 2 * np.pi, 200)), np.sin(np.linspace(0, 2 * np.pi, 200))])


def wigner_ellipse(ax, V, i: int, j: int, *, label=None, color=None, ls="-"):
    """1/e contour of the (i, j) marginal of a Gaussian Wigner function with covariance V:
    ψᵀΣ⁻¹ψ = 2 for the 2×2 marginal covariance Σ."""
    S = np.asarray(V, dtype=float)[np.ix_([i, j], [i, j])]
    if not np.isfinite(S).all():
        return None
    w, U = np.linalg.eigh(S)
    pts = U @ (np.sqrt(2 * np.clip(w, 0, None))[:, None] * _CIRCLE)
    return ax.plot(pts[0], pts[1], ls, color=color, label=label)[0]


def vacuum(ax, label="vacuum") -> None:
    """The vacuum's 1/e circle (dashed) and square, equal axes holding every contour."""
    ax.plot(_CIRCLE[0], _CIRCLE[1], "k--", lw=0.8, label=label)
    r = 1.1 * max(float(np.nanmax(np.abs(ln.get_xydata()))) for ln in ax.get_lines())
    ax.set_xlim(-r, r)
    ax.set_ylim(-r, r)
    ax.set_aspect("equal", adjustable="box")


def covariance_matrix(ax, V, names, *, vmax=None, colorbar=True):
    """The covariance matrix as a diverging heat map with its entries printed."""
    V = np.asarray(V, dtype=float)
    vmax = vmax or float(np.nanmax(np.abs(V)))
    m = ax.imshow(V, cmap="coolwarm", vmin=-vmax, vmax=vmax)
    for a in range(V.shape[0]):
        for b in range(V.shape[1]):
            ax.text(b, a, f"{V[a, b]:.2f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    if colorbar:
        ax.figure.colorbar(m, ax=ax, pad=0.02)
    return m


# ------------------------------------------------------------------------------ finishing
def _scale_axis(axis, setter_label, getter_label) -> None:
    """Replace matplotlib's offset/scientific notation by a power of ten in the label."""
    if axis.get_scale() != "linear":
        return
    lo, hi = axis.get_view_interval()
    m = max(abs(lo), abs(hi))
    if not np.isfinite(m) or m == 0:
        return
    p = math.floor(math.log10(m))
    if -3 < p < 4:
        return
    f = 10.0 ** p
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / f:.3g}".replace("-", "\u2212")))
    lab = getter_label()
    setter_label(f"{lab} ($10^{{{p}}}$)" if lab else f"$\\times10^{{{p}}}$")


def tidy_offsets(fig) -> None:
    for ax in fig.axes:
        _scale_axis(ax.xaxis, ax.set_xlabel, ax.get_xlabel)
        _scale_axis(ax.yaxis, ax.set_ylabel, ax.get_ylabel)


def _data_points(ax) -> np.ndarray:
    """Display coordinates of the data drawn on an axes (lines, markers, band outlines)."""
    pts = []
    for ln in ax.get_lines():
        xy = ln.get_xydata()
        if len(xy) and ln.get_label() not in ("vacuum",):
            xy = np.asarray(xy, dtype=float)
            xy = xy[np.isfinite(xy).all(axis=1)]
            if len(xy) > 1 and ln.get_linestyle() not in ("None", "none", ""):
                # densify segments so a legend placed between two points also counts
                t = np.linspace(0, 1, 6)[:, None, None]
                xy = (xy[:-1][None] * (1 - t) + xy[1:][None] * t).reshape(-1, 2)
            pts.append(ln.get_transform().transform(xy) if len(xy) else np.empty((0, 2)))
    for coll in ax.collections:
        if isinstance(coll, PatchCollection):
            continue
        for path in coll.get_paths():
            v = path.vertices
            v = v[np.isfinite(v).all(axis=1)]
            if len(v):
                pts.append(coll.get_transform().transform(v))
    return np.concatenate(pts) if pts else np.empty((0, 2))


def legend_covers_data(ax) -> bool:
    leg = ax.get_legend()
    if leg is None:
        return False
    bb = leg.get_window_extent()
    ab = ax.get_window_extent()
    if not ab.overlaps(bb):
        return False
    p = _data_points(ax)
    inside = (p[:, 0] >= bb.x0) & (p[:, 0] <= bb.x1) & (p[:, 1] >= bb.y0) & (p[:, 1] <= bb.y1)
    return bool(inside.any())


_LOCS = ("upper right", "upper left", "lower right", "lower left", "center right", "center left",
         "upper center", "lower center")


def place_legend(ax) -> str:
    """Move the axes' legend to a corner where it covers no data; failing that, give the axes
    headroom (linear y) and try again; failing that, put it outside on the right.
    Returns where it went."""
    leg = ax.get_legend()
    if leg is None or leg.get_bbox_to_anchor() is not ax.bbox:   # anchored elsewhere on purpose
        return "kept"
    renderer = ax.figure.canvas.get_renderer()
    if leg.get_window_extent(renderer).width > 0.9 * ax.get_window_extent(renderer).width:
        attempts = 0                                  # wider than the axes: no corner will do
    else:
        attempts = 3
    lo, hi = ax.get_ylim()
    for attempt in range(attempts):
        for loc in _LOCS:
            leg.set_loc(loc)
            leg.draw(renderer)
            if not legend_covers_data(ax):
                return loc
        if ax.get_yscale() != "linear":
            break
        top = ax.get_ylim()[1]
        ax.set_ylim(lo, top + 0.3 * (hi - lo))
    ax.set_ylim(lo, hi)
    leg.set_bbox_to_anchor((1.02, 1.0), transform=ax.transAxes)
    leg.set_loc("upper left")
    return "outside"


def map_note(fig) -> str | None:
    """One footnote for the maps: hatched = not certified, grey = no value (with counts)."""
    hatched = [a for a in fig.axes if getattr(a, "_qo_map_hatched", False)]
    missing = {a.get_title(loc="left") or "?": a._qo_map_missing for a in fig.axes
               if getattr(a, "_qo_map_missing", 0)}
    parts = []
    if hatched:
        parts.append("Maps: cells hatched in red are not certified")
    if missing:
        parts.append("cells crossed in grey have no value (" + ", ".join(f"{k}: {v}" for k, v in missing.items()) + ")")
    return "; ".join(parts) + "." if parts else None


def _untangle_titles(ax, renderer) -> None:
    """Wrap an axes' right-hand title (a verdict, a case) onto more lines where it would run into
    the panel letter on the left."""
    left, right = ax._left_title, ax._right_title
    if not (left.get_text() and right.get_text()):
        return
    lb, rb = left.get_window_extent(renderer), right.get_window_extent(renderer)
    if not lb.overlaps(rb):
        return
    text = right.get_text().replace("\n", " ")
    room = ax.get_window_extent(renderer).width - lb.width - 8
    per_char = rb.width / max(1, max(len(t) for t in right.get_text().split("\n")))
    right.set_text("\n".join(textwrap.wrap(text, max(8, int(room / per_char)))))


def finish(fig, data: FigureData | None = None, note: str | None = None) -> None:
    """Shared last step: powers of ten into the labels, the map footnote, titles clear of the
    panel letters, legends off the data — checked after the constrained layout has settled the
    axes sizes (a legend placed before the layout shrinks an axes can cover data after it)."""
    tidy_offsets(fig)
    note = " ".join(filter(None, [map_note(fig), note]))
    if note:
        fig.supxlabel(note, fontsize=7, color="0.3")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        _untangle_titles(ax, renderer)
    for _ in range(3):
        fig.canvas.draw()
        covering = [ax for ax in fig.axes if legend_covers_data(ax)]
        if not covering:
            break
        for ax in covering:
            place_legend(ax)


def save(fig, pdf: str, png: str) -> None:
    """Vector PDF and a PNG at :data:`PNG_DPI`."""
    for path in (pdf, png):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(pdf)
    fig.savefig(png, dpi=PNG_DPI)


def certified_summary(data: FigureData) -> str:
    s = data.stability
    if not s:
        return ""
    return f"{s.get('n_certified', 0)}/{s.get('n_points', 0)} points certified"


def subtitle(data: FigureData) -> str:
    """One line under the title: run, preset, window or steady state, certified count."""
    rec = data.record
    how = (f"window t/τ ∈ {rec['solver']['window_tau']}" if "window_tau" in rec.get("solver", {})
           else f"model {rec['model']}, steady state")
    return f"{rec['figure']}: {rec['title']} — run {rec['run']}, preset {rec['preset']}, {how}, " \
           f"{certified_summary(data)}"


def verdict_text(d) -> str:
    """'' for a certified point, else 'not certified: <verdict>' (a single-point dataset)."""
    if bool(d["certified"]):
        return ""
    return "not certified: " + str(d["verdict"].item()).replace("_", " ")


def is_physical(d) -> bool:
    """Whether a steady state's covariance satisfies the uncertainty relation."""
    return str(d["verdict"].item()) != "unphysical_covariance"


def unphysical_tag(ax) -> None:
    ax.text(0.03, 0.03, "unphysical:\nV + iΩ/2 ≱ 0", transform=ax.transAxes, ha="left", va="bottom",
            fontsize=6, color="crimson")
