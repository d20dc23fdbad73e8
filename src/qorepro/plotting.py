"""Small shared helpers for the figure notebooks (``notebooks/<figure>.ipynb``).

A notebook loads its panels with :func:`load_panels` (the one place where a panel file is read
and checked against its provenance record), lays out the figure with :func:`figure` and then
draws each panel in its own cell with the helpers below.  Conventions every figure shares:

* **one vocabulary in every figure** (:data:`KEY` words it, :func:`finish` states the ones a figure
  uses in its footer): certified points (a stable fixed point or a Floquet-stable limit cycle) are
  filled markers joined by solid lines; points that are not certified are **open markers in the
  series' own colour joined by dashed lines** (a dashed time trace is not certified either);
  dashed means nothing else.  Neighbouring points in different classes (verdict class or
  attractor, :func:`jumps`) are not joined; where they differ by a visible step a dotted vertical
  connector marks the jump.  A shaded band is the min–max over the averaging window; a faint halo
  under a series marks where an earlier series coincides with it (hidden otherwise), and the
  legend says which coincide.  Points without a value (no stable steady state, no data) are never
  drawn — their count is noted above the axes;
* the same series (the same parameters: the panel's ``fixed`` values with the series' overrides)
  keeps its colour in every panel of a figure (:meth:`FigureData.color`); each panel states its
  fixed parameters above its right edge (:func:`finish`);
* map cells that are not certified are hatched; cells without a value show the grey background;
* an axis whose numbers are very small or large carries its power of ten in the label
  ("K/ω₁ (10⁻⁵)") instead of matplotlib's offset text, so nothing collides with panel letters;
  angular frequencies that a model names "kHz"/"MHz" are labelled 10³/10⁶ rad/s;
* the title is the figure's subject (mathtext, one line); the run's metadata (run, preset, window,
  certified count) is the footer's last line;
* panels declared compared (``figures.<figure>.compare``) share their y-limits (line panels) or
  colour limits (maps);
* a legend that would cover data is moved outside its axes (:func:`finish`).

Nothing here draws a whole figure: that is the notebook's job, one cell per panel.
"""
from __future__ import annotations

import json
import math
import os
import re
import textwrap
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PatchCollection, QuadMesh  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, PathPatch, Rectangle  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from .models import MODELS  # noqa: E402

# ------------------------------------------------------------------------------ style
STYLE = {
    "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "legend.fontsize": 7.5,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.formatter.useoffset": False,
    "axes.formatter.use_mathtext": False, "legend.frameon": True, "legend.framealpha": 0.85,
    "legend.edgecolor": "0.8", "lines.linewidth": 1.3, "savefig.dpi": 200, "pdf.fonttype": 42,
    "axes.prop_cycle": matplotlib.cycler(color=["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                "#9467bd", "#8c564b", "#17becf"]),
}
# axes.formatter.use_mathtext off: tick numbers as plain text (Unicode minus) — the same glyphs
# as mathtext's \mathdefault, without a mathtext parse per tick label and resolution (≈ 0.3–0.5 s
# a figure); powers of ten go into the axis labels (:func:`tidy_offsets`), log axes keep 10ˣ.
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


#: a unit a model declares for an angular frequency: "kHz (1e3 rad/s)" — the word means 10³ rad/s
_RAD_UNIT = re.compile(r"^(kHz|MHz) \(1e(\d+) rad/s\)$")


def rad_units(model: str | None) -> dict:
    """unit word → power of ten for the words ``model`` uses for angular frequencies (its axes
    declare e.g. ``"kHz (1e3 rad/s)"``): there "kHz" means 10³ rad/s, not 10³ cycles/s, and the
    figures say so.  A model that declares no such axis keeps its words."""
    out = {}
    for ax in (getattr(MODELS[model], "axes", {}) or {}).values() if model else ():
        m = _RAD_UNIT.match(getattr(ax, "units", "") or "")
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def rad_fields(model: str | None) -> dict:
    """parameter field → power of ten, for the fields of the axes whose unit is an angular
    frequency (:func:`rad_units`): ``Omega_kHz`` → 3.  Only these read "×10³ rad/s" in a
    legend (a field named ``..._2pi_MHz`` is a frequency ω/2π and keeps its "MHz")."""
    out = {}
    for ax in (getattr(MODELS[model], "axes", {}) or {}).values() if model else ():
        m = _RAD_UNIT.match(getattr(ax, "units", "") or "")
        if m:
            out.update({f: int(m.group(2)) for f in getattr(ax, "fields", ())})
    return out


def model_labels(model: str | None) -> dict:
    """name → mathtext label for the figures of ``model`` (a name in ``MODELS``; None: the
    common labels only); an angular-frequency unit the model calls "kHz"/"MHz" reads
    "(10³ rad/s)"/"(10⁶ rad/s)" (:func:`rad_units`)."""
    labels = {**COMMON_LABELS, **(MODELS[model].labels if model else {})}
    for word, e in rad_units(model).items():
        labels = {k: v.replace(f"({word})", f"($10^{{{e}}}$ rad/s)") for k, v in labels.items()}
    return labels


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


def quantity(key: str, value, model: str | None = None) -> str:
    """"$Ω = 8×10^3$ rad/s", "$T = 130$ mK", "left input": one parameter value as a legend or a
    panel label prints it (the model's symbols; angular-frequency units per :func:`rad_units`)."""
    if key == "direction":
        return f"{value if isinstance(value, str) else ('left' if float(value) > 0 else 'right')} input"
    sym, unit = _series_name(key, model)
    e = rad_fields(model).get(key)
    if float(value) == 0:
        return f"${sym} = 0$"
    if e is not None:
        v = float(value)
        num = "0" if v == 0 else fmt_number(v) + rf"\times10^{{{e}}}"
        return f"${sym} = {num}$ rad/s"
    return f"${sym} = {fmt_number(value)}${unit}"


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

    def color(self, panel: str, series: str) -> str:
        """The colour of a panel's series: the same parameters (the panel's ``fixed`` values
        with the series' overrides) get the same colour in every panel of the figure
        (:func:`series_colors`)."""
        return color(series_colors(self.record)[panel][str(series)])

    def fixed_text(self, panel: str) -> str:
        """The panel's fixed parameters, compact (:func:`fixed_text`)."""
        return fixed_text(self.record["panels"][panel], self.model)


def _identity(p: dict, overrides: dict, model: str | None) -> dict:
    """What a series of panel ``p`` computes, as far as the panel fixes it: the panel's
    ``fixed`` values with the series' overrides, less what the panel sweeps."""
    swept = _axis_fields(p, model)
    return {k: json.dumps(v) for k, v in {**p.get("fixed", {}), **overrides}.items() if k not in swept}


def _same(a: dict, b: dict) -> bool:
    """Two series are the same where they agree on every parameter both fix (and fix one)."""
    common = set(a) & set(b)
    return bool(common) and all(a[k] == b[k] for k in common)


def series_colors(record: dict) -> dict:
    """panel → series → colour index.  A series is what it computes (:func:`_identity`); the
    series of the panels that draw several get colour indices in the order they first appear
    (record order), a series that is the same as one before it (:func:`_same`: "left input"
    at Ω = 6 is the "left input" of a panel that sweeps Ω) takes that one's index, so the same
    series has the same colour in every panel.  A panel's lone series takes the index of the
    same series elsewhere, else 0."""
    model = record.get("model")
    known: list = []

    def index(ident, new: bool):
        for i, k in enumerate(known):
            if _same(k, ident):
                return i
        if not new:
            return 0
        known.append(ident)
        return len(known) - 1
    out = {}
    for name, p in record["panels"].items():
        series = p.get("series") or {}
        if len(series) > 1:
            out[name] = {s: index(_identity(p, ov, model), True) for s, ov in series.items()}
    for name, p in record["panels"].items():
        series = p.get("series") or {}
        if len(series) <= 1:
            out[name] = {s: index(_identity(p, ov, model), False) for s, ov in series.items()}
    return out


def _axis_fields(p: dict, model: str | None) -> set:
    """The parameter fields a panel sweeps (its axes and the fields those axes set)."""
    names = {p.get("x"), p.get("y"), p.get("over"), *p.get("axes", {})} - {None}
    axes = (getattr(MODELS[model], "axes", {}) or {}) if model else {}
    return names | {f for n in names if n in axes for f in getattr(axes[n], "fields", ())}


def fixed_text(p: dict, model: str | None = None) -> str:
    """A panel's fixed parameters (a panel record: its ``fixed`` values and the overrides that
    all its series share), compact: "$\\Omega = 8\\times10^{3}$ rad/s, right input".  Swept
    parameters and those that tell the series apart (the legend's) are left out."""
    series = list((p.get("series") or {}).values())
    shared = {}
    if len(series) > 1:
        shared = {k: v for k, v in series[0].items()
                  if all(k in ov and json.dumps(ov[k]) == json.dumps(v) for ov in series[1:])}
    items = {**p.get("fixed", {}), **shared}
    skip = _axis_fields(p, model) | set(_SERIES_SKIP)
    items = {k: v for k, v in items.items() if k not in skip}
    items = dict(sorted(items.items(), key=lambda kv: kv[0] == "direction"))
    return ", ".join(quantity(k, v, model) for k, v in items.items())


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
            parts.append(quantity(k, ov[k], model))
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
    fig = plt.figure(figsize=(width, row_height * nrows + (0.3 if title else 0) + 0.3), layout="constrained")
    subs = [fig] if len(blocks) == 1 else fig.subfigures(len(blocks), 1, height_ratios=[len(b) for b in blocks])
    axes = {}
    for sub, block in zip(subs, blocks):
        axes.update(sub.subplot_mosaic(block))
    for key, ax in axes.items():
        ax._qo_key = key                 # the panel (mosaic key) it draws: fixed values, compare groups
    if title:                            # one line; finish() shrinks it to the width if needed
        fig.suptitle(title, fontsize=9.5)
    return fig, axes


def panel_letter(ax, letter: str, panel: str | None = None) -> None:
    """The panel letter, bold, above the axes' top-left corner (on every axes of a panel);
    ``panel``: the record's name of the panel drawn here where it is not the mosaic key (its
    fixed parameters and compare groups are looked up by it)."""
    ax.set_title(letter, loc="left", fontweight="bold", fontsize=10)
    if panel is not None:
        ax._qo_panel = panel


# ------------------------------------------------------------------------------ lines
#: neighbouring points of a settled orbit whose periods differ by more than this (relative)
#: lie on different attractors (a branch's period drifts by ≲ 0.1 % per grid step; the
#: attractor changes of the paper-preset sweeps change it by ≥ 0.6 %)
PERIOD_RTOL = 0.004
#: a break between two points whose values differ by more than this fraction of the plotted
#: range is marked by a dotted vertical connector (smaller ones are a gap only)
JUMP_FRACTION = 0.02
#: two series coincide where they differ by at most this fraction of their common range
#: (what a reader cannot tell apart on the axes)
COINCIDE_FRACTION = 0.005


def point_class(d) -> np.ndarray:
    """The class of each point of a series (a dataset along one swept axis): its verdict where
    certified (a stable fixed point, a stable limit cycle), "not certified" otherwise."""
    cert = np.asarray(d["certified"], dtype=bool)
    if "verdict" not in d:
        return np.where(cert, "certified", "not certified")
    return np.where(cert, np.asarray(d["verdict"]).astype(str), "not certified")


def jumps(d) -> np.ndarray:
    """Where neighbouring points of a series must not be joined (length n − 1): a change of
    verdict class (:func:`point_class`) or of attractor — the settled orbit's period
    (``period_tau``, time-domain runs) differs by more than :data:`PERIOD_RTOL`, or one point
    oscillates and the other does not."""
    cls = point_class(d)
    out = cls[1:] != cls[:-1]
    if "period_tau" in d:
        per = np.asarray(d["period_tau"], dtype=float)
        a, b = per[:-1], per[1:]
        fa, fb = np.isfinite(a), np.isfinite(b)
        with np.errstate(invalid="ignore", divide="ignore"):
            moved = np.abs(b - a) > PERIOD_RTOL * np.maximum(np.abs(a), np.abs(b))
        out = out | (fa != fb) | (fa & fb & moved)
    return out


def _polyline(x, y, member, joined):
    """x, y of one Line2D through the ``member`` points, joined only along ``joined`` segments
    (a NaN separator after every segment that is not): points and separators interleaved."""
    n = len(x)
    if n == 0:
        return x, y
    xs, ys = np.empty(2 * n - 1), np.empty(2 * n - 1)
    xs[0::2], ys[0::2] = x, np.where(member, y, np.nan)
    xs[1::2], ys[1::2] = x[:-1], np.where(joined & member[:-1] & member[1:], y[:-1], np.nan)
    return xs, ys


def _coincide(ax, x, y, has, label, lw) -> np.ndarray:
    """Halo the stretches where an earlier series on ``ax`` coincides with this one (within
    :data:`COINCIDE_FRACTION` of their range), so the series drawn under it stays visible, and
    note the pair for the legend.  Returns where this series lies on an earlier one (its
    markers there are drawn smaller, inside the earlier series' markers)."""
    under = np.zeros(x.shape, dtype=bool)
    for prev in getattr(ax, "_qo_series", []):
        if prev["x"].shape != x.shape or not np.allclose(prev["x"], x, equal_nan=True):
            continue
        both = has & prev["has"]
        if both.sum() < 2:
            continue
        vals = np.concatenate([y[has], prev["y"][prev["has"]]])
        span = float(np.ptp(vals)) or float(np.max(np.abs(vals))) or 1.0
        close = both & (np.abs(np.where(both, y - prev["y"], np.inf)) <= COINCIDE_FRACTION * span)
        run = close[1:] & close[:-1]
        if not run.any():
            continue
        under |= close
        xs, ys = _polyline(x, prev["y"], close, run)
        ax.plot(xs, ys, "-", color=prev["color"], lw=lw + 3.2, alpha=0.3, solid_capstyle="round", zorder=1.5)
        ax._qo_halo = True
        whole = bool((close == both).all() and (both == has).all() and (both == prev["has"]).all())
        if prev["label"] and label and whole:      # partly: the halo and the footer's key say it
            pa, pb = prev["label"].split(", "), label.split(", ")
            if pa[0] != pb[0]:                                  # named apart by their first words: "CD", "OD"
                common, a, b = [], pa[0], pb[0]
            else:                                               # "Ω = 0: left and right input coincide"
                common = [w for w in pa if w in pb]
                a = ", ".join(w for w in pa if w not in common) or prev["label"]
                b = ", ".join(w for w in pb if w not in common) or label
            ax._qo_coincide = getattr(ax, "_qo_coincide", []) + [(", ".join(common), a, b)]
    return under


def twa_decided(d, var: str = "S_Q"):
    """``(value, err)`` of the truncated-Wigner ensemble for :func:`line`'s ``twa``, NaN except
    where it may decide the point (it ran, its sequential rule decided, its certificate passes:
    :func:`qorepro.claims.base.twa_valid`, the claims' own rule); None without an ensemble."""
    if f"{var}_twa" not in d:
        return None
    from .claims.base import twa_valid
    ok = np.asarray(twa_valid(d), dtype=bool)
    return np.where(ok, np.asarray(d[f"{var}_twa"], dtype=float), np.nan), np.asarray(d[f"{var}_twa_err"], dtype=float)


def line(ax, x, y, certified, *, label=None, color=None, band=None, twa=None, ls="-", marker="o",
         breaks=None):
    """One series: lines through the points that have a value — solid between certified points,
    dashed between points that are not certified — filled markers where certified, open markers
    (same colour) where not.  Neighbours are not joined across a change of certification or
    where ``breaks`` (length n − 1, e.g. :func:`jumps` of the series' dataset) says so; a
    visible step there gets a dotted vertical connector.  ``band=(lo, hi)`` shades the window's
    min–max, ``twa=(value, err)`` adds truncated-Wigner values with ±1σ bars.  A series that
    coincides with one drawn before it on the axes gets the earlier one's halo there.  Points
    without a value are left out and counted on the axes (see :func:`legend`); a series without
    any point is not listed in the legend."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    cert = np.broadcast_to(np.asarray(certified, dtype=bool), y.shape)
    has = np.isfinite(y)
    if label and not has.any():          # not a legend entry of its own: named in the count's note
        ax._qo_empty = getattr(ax, "_qo_empty", []) + [label]
        label = None
    split = cert[1:] != cert[:-1]
    if breaks is not None:
        split = split | np.asarray(breaks, dtype=bool)
    joined = ~split & has[1:] & has[:-1]
    xs, ys = _polyline(x, y, has & cert, joined)
    (solid,) = ax.plot(xs, ys, ls, color=color, zorder=2)
    c = solid.get_color()
    lw = solid.get_linewidth()
    # the series itself: its points (every one with a value), the legend entry and what callers
    # style or tag (gid); drawn by the lines and markers around it
    (ln,) = ax.plot(x[has], y[has], ls="none", marker="none", color=c, label=label, zorder=2)
    ln._qo_proxy = Line2D([], [], color=c, ls=ls, lw=lw, marker=marker, ms=3.2)
    xd, yd = _polyline(x, y, has & ~cert, joined)
    if np.isfinite(yd).any():
        ax.plot(xd, yd, "--", color=c, lw=lw * 0.85, zorder=2)
    under = _coincide(ax, x, y, has, label, lw)
    if band is not None:
        lo, hi = (np.asarray(b, dtype=float) for b in band)
        ax.fill_between(x, lo, hi, where=np.isfinite(lo) & np.isfinite(hi), color=c, alpha=0.18, lw=0, zorder=1)
        ax._qo_band = True
    dense = len(x) > 60          # fine grids: the line alone shows the certified points
    alone = has.copy()           # points joined to neither neighbour: a marker is all they have
    alone[1:] &= ~joined
    alone[:-1] &= ~joined
    filled = has & cert & (alone if dense else True)
    for shrink in (False, True):
        f = filled & (under == shrink)
        if f.any():
            ax.plot(x[f], y[f], marker, ls="none", ms=3.2 * (0.55 if shrink else 1.0), color=c, zorder=3)
    open_ = has & ~cert
    for shrink in (False, True):
        o = open_ & (under == shrink)
        if o.any():
            ax.plot(x[o], y[o], marker, ls="none", ms=(2.6 if dense else 4.4) * (0.55 if shrink else 1.0),
                    mfc="white", mec=c, mew=0.6 if dense else 1.0, zorder=4)
    if open_.any():
        ax._qo_uncertified = True
    step = split & has[1:] & has[:-1]
    span = float(np.ptp(y[has])) if has.sum() > 1 else 0.0
    step &= np.abs(np.diff(np.where(has, y, 0.0))) > JUMP_FRACTION * (span or 1.0)
    if step.any():
        i = np.flatnonzero(step)
        log = ax.get_xscale() == "log" or (len(x) > 2 and bool((x > 0).all())
                                           and np.allclose(np.diff(np.log(x)), np.log(x[1] / x[0])))
        xm = np.sqrt(x[i] * x[i + 1]) if log else (x[i] + x[i + 1]) / 2
        nan = np.full(len(i), np.nan)
        ax.plot(np.stack([xm, xm, nan], 1).ravel(), np.stack([y[i], y[i + 1], nan], 1).ravel(), ":",
                color=c, lw=0.9, zorder=2)
        ax._qo_jump = True
    if twa is not None:
        v, e = (np.asarray(a, dtype=float) for a in twa)
        ok = np.isfinite(v)
        first = not getattr(ax, "_qo_twa", False)
        if ok.any():
            ax.errorbar(x[ok], v[ok], yerr=np.where(np.isfinite(e), e, 0)[ok], fmt="D", ms=3, color=c, alpha=0.75,
                        capsize=2, lw=0.8, zorder=5, label="truncated Wigner (±1σ)" if first else None)
            ax._qo_twa = True
    ax._qo_missing = getattr(ax, "_qo_missing", 0) + int((~has).sum())
    ax._qo_series = getattr(ax, "_qo_series", []) + [dict(x=x, y=y, has=has, color=c, label=label)]
    return ln


def trace(ax, t, y, certified: bool, *, label=None, color=None, verdict=None, lw=0.9, ls=None):
    """A time trace: solid when the run is certified, dashed (verdict in the label) when not."""
    if not certified and verdict:
        why = "not certified: " + str(verdict).replace("_", " ")
        label = f"{label}\n({why})" if label else why
    if not certified:
        ax._qo_uncertified = True
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
    """The axes' legend: its series, and which of them coincide throughout (:func:`line` haloes
    them; a partial coincidence is the halo alone); the
    count of points without a value goes above the axes.  The encodings (open/dashed = not
    certified, band, jump, halo) are stated once, in the figure's footer (:func:`finish`).
    :func:`finish` moves the legend outside when it covers data."""
    handles, labs = ax.get_legend_handles_labels()
    handles = [getattr(h, "_qo_proxy", h) for h in handles]     # a series: its line and marker
    for common, a, b in getattr(ax, "_qo_coincide", []):
        handles.append(Line2D([], [], ls="none"))
        labs.append(f"{common + ': ' if common else ''}{a} and {b} coincide")
    missing = getattr(ax, "_qo_missing", 0)
    if missing:       # noted above the axes, not in the legend (which would grow over the data)
        empty = getattr(ax, "_qo_empty", [])
        note = f"{missing} point{'s' if missing > 1 else ''} without a value: not drawn"
        if empty:
            note += f" (none of {' or '.join(empty)})"
        ax.set_title(note, loc="right", fontsize=6.5, color="0.35")
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


def cells_path(xe, ye, mask):
    """One compound path of the grid cells [xe_i, xe_i+1] × [ye_j, ye_j+1] where ``mask[i, j]``
    is True (None if none): each row's runs of consecutive cells merged into one rectangle, all
    closed counter-clockwise, so the union fills without seams and is drawn — and hatched — in
    one pass (a patch per cell costs seconds per map on the Agg canvas)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return None
    pad = np.zeros((mask.shape[0] + 2, mask.shape[1]), dtype=np.int8)
    pad[1:-1] = mask
    step = np.diff(pad, axis=0)                    # +1 where a run starts along x, −1 after it ends
    j, i0 = np.nonzero(step.T == 1)                # row j, first cell i0 of each run (row by row)
    _, i1 = np.nonzero(step.T == -1)               # ... and the cell after its last one
    x0, x1, y0, y1 = xe[i0], xe[i1], ye[j], ye[j + 1]
    verts = np.stack([np.stack([x0, y0], -1), np.stack([x1, y0], -1), np.stack([x1, y1], -1),
                      np.stack([x0, y1], -1), np.stack([x0, y0], -1)], axis=1).reshape(-1, 2)
    codes = np.tile([MplPath.MOVETO, MplPath.LINETO, MplPath.LINETO, MplPath.LINETO, MplPath.CLOSEPOLY], len(x0))
    return MplPath(verts, codes)


def hatch(ax, xe, ye, ok, pattern="////", color=HATCH_COLOR) -> None:
    """Hatch the cells where ``ok[ix, iy]`` is False (not certified: red slashes; no value:
    grey crosses)."""
    path = cells_path(xe, ye, ~np.asarray(ok, dtype=bool))
    if path is None:
        return
    ax.add_patch(PathPatch(path, facecolor="none", edgecolor=color, hatch=pattern, lw=0, zorder=3))
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


def typographic_minus(text: str) -> str:
    """"-1.2" → "−1.2" outside mathtext (a hyphen before a number is a minus sign; inside $…$
    mathtext draws one already): "Δ −1.10 → −1.30", not "Δ -1.10 → -1.30"."""
    parts = re.split(r"(\$[^$]*\$)", text)
    return "".join(p if p.startswith("$") else re.sub(r"(?<![\w.])-(?=\.?\d)", "\u2212", p) for p in parts)


def panel_note(ax, text: str, loc: str = "upper right", fontsize: float = 6.5) -> None:
    """A short statement inside the axes (why a panel looks as it does), on a light box;
    numbers keep a typographic minus (:func:`typographic_minus`)."""
    text = typographic_minus(text)
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
    axis.set_major_formatter(FuncFormatter(lambda v, _: typographic_minus(f"{v / f:.3g}")))
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


def legend_too_wide(ax) -> bool:
    """A legend inside its axes that is wider than them (it runs over the tick labels)."""
    leg = ax.get_legend()
    if leg is None or leg.get_bbox_to_anchor() is not ax.bbox:
        return False
    return leg.get_window_extent().width > ax.get_window_extent().width


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
        for t in leg.get_texts():                     # a smaller font before giving up the corners
            t.set_fontsize(6.5)
        leg.draw(renderer)
    if leg.get_window_extent(renderer).width > 0.98 * ax.get_window_extent(renderer).width:
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
        if attempt == 0:                              # a smaller font before more headroom
            for t in leg.get_texts():
                t.set_fontsize(min(t.get_fontsize(), 6.5))
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


def wrap_text(text: str, width: int) -> str:
    """``textwrap`` for labels with mathtext: lines break only at spaces outside $…$."""
    protected = re.sub(r"\$[^$]*\$", lambda m: m.group(0).replace(" ", "\x00"), text)
    lines = textwrap.wrap(protected, max(8, width), break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines).replace("\x00", " ")


def _untangle_titles(ax, renderer) -> None:
    """Wrap an axes' right-hand title (fixed parameters, a verdict, a case) onto more lines
    where it would run into the panel letter on the left (narrower until it clears)."""
    left, right = ax._left_title, ax._right_title
    if not (left.get_text() and right.get_text()):
        return
    text = right.get_text().replace("\n", " ")
    width = len(text)
    while left.get_window_extent(renderer).overlaps(right.get_window_extent(renderer)) and width > 8:
        room = ax.get_window_extent(renderer).width - left.get_window_extent(renderer).width - 8
        rb = right.get_window_extent(renderer)
        per_char = rb.width / max(1, max(len(t) for t in right.get_text().split("\n")))
        width = min(width - 4, int(room / per_char))
        right.set_text(wrap_text(text, width))


#: the figures' one vocabulary: flag an axes carries → what the footer says about it
KEY = {
    "_qo_uncertified": "open markers, dashed: not certified",
    "_qo_band": "band: min–max over the averaging window",
    "_qo_jump": "dotted vertical: jump to another attractor or verdict class (not joined)",
    "_qo_halo": "halo: series coincide there",
}


def key_note(fig) -> str | None:
    """The encodings the figure uses (:data:`KEY`), in one sentence."""
    used = [text for flag, text in KEY.items() if any(getattr(a, flag, False) for a in fig.axes)]
    return "; ".join(used) + "." if used else None


def _panel_axes(fig, panel: str) -> list:
    """The axes that draw ``panel``: its mosaic key, or a key of one of its maps (``c1``, ``c2``)."""
    def draws(a):
        key = getattr(a, "_qo_panel", None) or getattr(a, "_qo_key", None)
        return key is not None and (key == panel or (key.startswith(panel) and key[len(panel):].isdigit()))
    return [a for a in fig.axes if draws(a)]


def label_fixed(fig, data: FigureData) -> None:
    """Each panel's fixed parameters (:func:`fixed_text`): the title of its legend, or, for a
    panel without one (a map), above its axes' right edge before what is already there (the
    count of points without a value)."""
    for panel in data.record["panels"]:
        text = data.fixed_text(panel)
        if not text:
            continue
        for ax in _panel_axes(fig, panel):
            leg = ax.get_legend()
            is_map = any(isinstance(c, QuadMesh) for c in ax.collections)
            if leg is not None and not is_map:       # in the axes, heading its legend
                leg.set_title(text, prop={"size": 6.5})
                continue
            old = ax.get_title(loc="right")
            ax.set_title("; ".join(filter(None, [text, old])), loc="right", fontsize=6.5, color="0.25")


def compare_groups(data: FigureData | None) -> list:
    """The groups of panels the figure's record declares compared (``plot.compare``)."""
    return list((data.record.get("plot") or {}).get("compare") or []) if data else []


def share_limits(fig, groups) -> None:
    """Compared panels share their scale: the y-limits of line panels, the colour limits of
    maps (every colour-mapped artist of the group's axes), the union of the group's ranges."""
    for group in groups:
        axes = [a for p in group for a in _panel_axes(fig, p)]
        maps = [c for a in axes for c in a.collections if isinstance(c, QuadMesh) and c.get_array() is not None]
        maps += [im for a in axes for im in a.images]
        if maps:
            lo = min(m.norm.vmin for m in maps)
            hi = max(m.norm.vmax for m in maps)
            for m in maps:
                m.set_clim(lo, hi)
        lines = [a for a in axes if not any(c in maps for c in a.collections) and not a.images]
        if len(lines) > 1:
            lims = [a.get_ylim() for a in lines]
            lo, hi = min(v[0] for v in lims), max(v[1] for v in lims)
            for a in lines:
                a.set_ylim(lo, hi)
        for a in axes:
            a._qo_compared = tuple(group)


def run_footer(data: FigureData | None) -> str | None:
    """The run's metadata, for the footer: figure, run, preset, window or steady state, the
    certified count."""
    if data is None:
        return None
    rec = data.record
    how = (f"window t/τ ∈ {rec['solver']['window_tau']}" if "window_tau" in rec.get("solver", {})
           else f"model {rec['model']}, steady state")
    return " · ".join(filter(None, [rec["figure"], f"run {rec['run']}", f"preset {rec['preset']}", how,
                                    certified_summary(data)]))


def _fit_width(fig, text_artist, renderer, min_size: float = 6.0, wrap: bool = True) -> None:
    """Shrink a figure-level text until it fits the canvas width (down to ``min_size``), then
    wrap it: nothing is clipped at the figure's edges."""
    width = fig.bbox.width - 8
    while text_artist.get_window_extent(renderer).width > width and text_artist.get_fontsize() > min_size:
        text_artist.set_fontsize(text_artist.get_fontsize() - 0.5)
    if wrap and text_artist.get_window_extent(renderer).width > width:
        lines = text_artist.get_text().split("\n")
        w = text_artist.get_window_extent(renderer).width
        n = max(len(t) for t in lines)
        per = max(20, int(n * width / w) - 2)
        text_artist.set_text("\n".join(t2 for t in lines for t2 in textwrap.wrap(t, per)))


def finish(fig, data: FigureData | None = None, note: str | None = None) -> None:
    """Shared last step: powers of ten into the labels, each panel's fixed parameters, the
    compared panels' shared limits (:func:`compare_groups`), the footer (the encodings used —
    :func:`key_note` — the map footnote, ``note``, then the run's metadata), titles clear of the
    panel letters, the title and footer fitted to the canvas, legends off the data — checked
    after the constrained layout has settled the axes sizes (a legend placed before the layout
    shrinks an axes can cover data after it)."""
    tidy_offsets(fig)
    if data is not None:
        label_fixed(fig, data)
    share_limits(fig, compare_groups(data))
    key = " ".join(filter(None, [key_note(fig), map_note(fig), note]))
    footer = "\n".join(filter(None, [key, run_footer(data)]))
    if footer:           # wrapped to the figure's width first: the layout reserves its height
        per = int(fig.get_figwidth() * 72 / (6.5 * 0.56))
        footer = "\n".join(t2 for t in footer.split("\n") for t2 in textwrap.wrap(t, per))
        fig.supxlabel(footer, fontsize=6.5, color="0.3")
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    if fig._suptitle is not None:
        _fit_width(fig, fig._suptitle, renderer, min_size=7.0)
    if fig._supxlabel is not None:
        _fit_width(fig, fig._supxlabel, renderer, min_size=6.0)
    for _ in range(4):                   # each draw re-runs the layout: until titles and legends settle
        for ax in fig.axes:
            _untangle_titles(ax, renderer)
        fig.draw_without_rendering()
        covering = [ax for ax in fig.axes if legend_covers_data(ax) or legend_too_wide(ax)]
        if not covering:
            break
        for ax in covering:
            place_legend(ax)
        share_limits(fig, compare_groups(data))      # headroom given to one compared panel: to all
        fig.draw_without_rendering()
    fig._qorepro_settled = True          # the layout :func:`save` keeps (nothing changed after the last draw)


def save(fig, pdf: str, png: str) -> None:
    """Vector PDF and a PNG at :data:`PNG_DPI`.  A figure :func:`finish` settled and nothing
    changed since (matplotlib marks a changed figure ``stale``) is saved with that layout (each
    savefig would otherwise run the constrained layout again, ≈ 0.1–0.4 s a file, to the same
    positions); the layout engine is back in place afterwards."""
    for path in (pdf, png):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    engine = fig.get_layout_engine()
    if getattr(fig, "_qorepro_settled", False) and not fig.stale and engine is not None:
        fig.set_layout_engine("none")
    try:
        fig.savefig(pdf)
        fig.savefig(png, dpi=PNG_DPI)
    finally:
        if fig.get_layout_engine() is not engine:
            fig.set_layout_engine(engine)


def certified_summary(data: FigureData) -> str:
    s = data.stability
    if not s or not s.get("n_points"):        # nothing certified to count (a frequency-shift figure)
        return ""
    return f"{s.get('n_certified', 0)}/{s.get('n_points', 0)} points certified"


#: Greek letters a configured title writes in Unicode → mathtext
_GREEK = {"Δ": r"\Delta", "Ω": r"\Omega", "Θ": r"\Theta", "Γ": r"\Gamma", "γ": r"\gamma", "κ": r"\kappa",
          "χ": r"\chi", "θ": r"\theta", "ρ": r"\rho", "ω": r"\omega", "μ": r"\mu", "σ": r"\sigma",
          "η": r"\eta", "φ": r"\phi", "Λ": r"\Lambda", "λ": r"\lambda"}
_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SYMBOL = "A-Za-z" + "".join(_GREEK)
_SUBSCRIPTED = re.compile(rf"(?<![\w$\\])([{_SYMBOL}])(?:_([A-Za-z0-9]+(?:,[A-Za-z0-9]+)*)|([₀-₉]+))(?![\w])")


def math_title(text: str, model: str | None = None) -> str:
    """A configured title with its symbols in mathtext: "S_Q versus Δ_m" → "$S_{Q}$ versus
    $\\Delta_{m}$", "θ₂" → "$\\theta_{2}$"; "8 kHz" → "8×10³ rad/s" where ``model`` means
    10³ rad/s by kHz (:func:`rad_units`); text already in $…$ is kept."""
    for word, e in rad_units(model).items():
        text = re.sub(rf"(\d) {word}\b", rf"\1$\\times10^{{{e}}}$ rad/s", text)
    parts = re.split(r"(\$[^$]*\$)", text)

    def sym(m):
        base = _GREEK.get(m.group(1), m.group(1))
        sub = m.group(2) if m.group(2) is not None else m.group(3).translate(_SUBSCRIPT_DIGITS)
        return f"${base}_{{{sub}}}$"
    return "".join(p if p.startswith("$") else _SUBSCRIPTED.sub(sym, p) for p in parts)


def subtitle(data: FigureData) -> str:
    """The figure's title: its subject (the record's ``title``) in mathtext, one line.  The
    run's metadata goes to the footer (:func:`run_footer`, drawn by :func:`finish`)."""
    return math_title(data.record["title"], data.model)


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
