"""The figure of a branch target: per traced panel, why the protocol's S_Q jumps where it jumps.

One column per traced panel (a branch file of :mod:`qorepro.workflow.branches_stage`), three
rows on a shared x axis (the panel's swept parameter):

* top — every branch's |relative phase| of the mechanical modes (0 in phase, π anti-phase),
  solid where the cycle is stable, dashed where unstable; the bifurcation points located on
  the branches marked and labelled (F fold, PD period doubling, NS torus, BP branch point,
  with the parameter value); the grid values where the zero start settles on a branch marked
  on it (dots);
* middle — S_Q_floquet of the stable branch points (the periodic covariance, phase mode
  projected out) and the paper's S_Q (the run's own panel file: window mean of the zero start,
  black markers);
* bottom — the truncated-Wigner census per grid value as a stacked strip: the fraction of
  trajectories on each branch (its colour) and on none (grey), one strip per series.

A panel of several series gets one column per series; colours are the branches' (of that
series), the same in all three rows.
"""
from __future__ import annotations

import re
import textwrap

import numpy as np

from . import plotting as P

#: event kind → short label
EVENT_LABELS = {"fold": "F", "period_doubling": "PD", "torus": "NS", "branch_point": "BP"}
EVENT_MARKERS = {"fold": "o", "period_doubling": "s", "torus": "D", "branch_point": "^"}
UNASSIGNED_COLOR = "0.8"
#: the most event labels (with a value) per column; the other events carry only their symbol
MAX_EVENT_LABELS = 3
EVENT_NAMES = {"fold": "fold of cycles", "period_doubling": "period doubling", "torus": "torus (Neimark–Sacker)",
               "branch_point": "branch point"}


def branch_color(b: int) -> str:
    return P.color(b)


def _runs(mask):
    """(start, stop) of the maximal runs of equal values of a boolean array."""
    edges = np.nonzero(np.diff(mask.astype(int)))[0] + 1
    bounds = np.concatenate([[0], edges, [mask.size]])
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def stability_lines(ax, p, y, stable, color, label=None):
    """A branch as solid (stable) and dashed (unstable) pieces; consecutive pieces share
    their boundary point so the curve is unbroken."""
    for i, (a, b) in enumerate(_runs(stable)):
        sl = slice(a, min(b + 1, stable.size))
        ax.plot(p[sl], y[sl], "-" if stable[a] else "--", color=color, lw=1.3 if stable[a] else 0.9,
                label=label if i == 0 else None)


def mathtext_subject(text: str) -> str:
    """A figure subject as the params record writes it (``S_Q``, ``Δ_m``) with every
    subscripted symbol in mathtext (``$S_{Q}$``, ``$Δ_{m}$``)."""
    return re.sub(r"(?<![\w$])([A-Za-z\u0391-\u03c9])_([A-Za-z0-9]+)", r"$\1_{\2}$", text)


def fmt_param(v: float) -> str:
    """A parameter value to three digits in mathtext (powers of ten as ×10ⁿ)."""
    return f"${P.fmt_number(float(f'{float(v):.3g}'))}$"


def switch_spans(one, axis: str) -> list[tuple[float, float]]:
    """(p_a, p_b) of every switch of the protocol's S_Q that is not ``continuous``
    (:func:`qorepro.branches.mechanism.verdicts`), widened by one grid step on each side."""
    from .branches.mechanism import verdicts
    x = one[axis].values
    step = float(np.min(np.abs(np.diff(x)))) if x.size > 1 else 0.0
    return [(min(v.p) - step, max(v.p) + step) for v in verdicts(one) if v.verdict != "continuous"]


def events_that_matter(events, spans, limit: int = MAX_EVENT_LABELS):
    """The events (branch, p, y, kind) worth a value label: those within one grid step of a
    switch of the protocol's S_Q (``spans`` of :func:`switch_spans`), closest first, at most
    ``limit``; one per (kind, switch)."""
    near = []
    for e in events:
        d = [0.0 if lo <= e[1] <= hi else min(abs(e[1] - lo), abs(e[1] - hi)) for lo, hi in spans]
        if d and min(d) == 0.0:
            i = int(np.argmin([abs(e[1] - 0.5 * (lo + hi)) for lo, hi in spans]))
            near.append((abs(e[1] - 0.5 * sum(spans[i])), i, e))
    near.sort(key=lambda t: t[0])
    out, seen = [], set()
    for _, i, e in near:
        if (e[3], i) in seen:
            continue
        seen.add((e[3], i))
        out.append(e)
    return out[:limit]


def draw_branches(ax, one, axis: str, *, ylabel=True):
    """Top row: |relative phase| of each branch, stability, events (a small symbol per kind;
    a value label only on the events next to a switch of S_Q), the protocol's branch."""
    n = one["n_points"].values
    for b in range(n.size):
        k = int(n[b])
        if k < 2:
            continue
        p = one["parameter"].values[b, :k]
        y = np.abs(one["relative_phase"].values[b, :k])
        stability_lines(ax, p, y, one["stable"].values[b, :k].astype(bool), branch_color(b),
                        label=f"branch {b} ({one['branch_type'].values[b].replace('_', '-')})")
    events = []
    for e in range(one.sizes.get("event", 0)):
        kind = str(one["event_kind"].values[e])
        b, j = int(one["event_branch"].values[e]), int(one["event_index"].values[e])
        pe = float(one["event_parameter"].values[e])
        pb = one["parameter"].values[b, j:j + 2]
        yb = np.abs(one["relative_phase"].values[b, j:j + 2])
        w = 0.0 if pb.size < 2 or pb[1] == pb[0] else (pe - pb[0]) / (pb[1] - pb[0])
        ye = yb[0] + np.clip(w, 0, 1) * (yb[-1] - yb[0])
        events.append((b, pe, ye, kind))
    for kind in EVENT_LABELS:
        pts = np.array([(e[1], e[2]) for e in events if e[3] == kind]).reshape(-1, 2)
        if pts.size:
            ax.plot(pts[:, 0], pts[:, 1], EVENT_MARKERS[kind], ms=3.5, mfc="white", mec="k", mew=0.8,
                    zorder=5, gid="event")
    for n, (b, pe, ye, kind) in enumerate(events_that_matter(events, switch_spans(one, axis))):
        ax.annotate(f"{EVENT_LABELS.get(kind, kind)} {fmt_param(pe)}", (pe, ye), textcoords="offset points",
                    xytext=(4, 6 if n % 2 == 0 else -11), fontsize=6.5, gid="event_label",
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8}, zorder=6)
    pb = one["protocol_branch"].values
    x = one[axis].values
    for b in np.unique(pb[pb >= 0]):
        on = pb == b
        seg = one["protocol_segment"].values[on]
        pp = one["parameter"].values[b]
        yy = np.abs(one["relative_phase"].values[b])
        xi = x[on]
        w = np.where(pp[seg + 1] == pp[seg], 0.0, (xi - pp[seg]) / np.where(pp[seg + 1] == pp[seg], 1.0,
                                                                           pp[seg + 1] - pp[seg]))
        ax.plot(xi, yy[seg] + w * (yy[seg + 1] - yy[seg]), ".", color=branch_color(int(b)), ms=4, zorder=4)
    ax.set_ylim(-0.15, np.pi + 0.35)
    ax.set_yticks([0, np.pi / 2, np.pi], ["0", r"$\pi/2$", r"$\pi$"])
    if ylabel:
        ax.set_ylabel(r"$|\phi_1-\phi_2|$ of the cycle")


def drop_overlapping_labels(fig) -> int:
    """Remove event labels that leave their axes or overlap another text of the figure
    (extents from the renderer, after the layout); returns how many were removed."""
    fig.draw_without_rendering()
    r = fig.canvas.get_renderer()
    removed = 0
    for ax in fig.axes:
        box = ax.get_window_extent(r)
        kept = [t.get_window_extent(r) for t in ax.texts if t.get_gid() != "event_label"]
        kept += [t.get_window_extent(r) for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
        leg = ax.get_legend()
        if leg is not None:
            kept.append(leg.get_window_extent(r))
        for t in [t for t in ax.texts if t.get_gid() == "event_label"]:
            ext = t.get_window_extent(r)
            inside = box.x0 <= ext.x0 and ext.x1 <= box.x1 and box.y0 <= ext.y0 and ext.y1 <= box.y1
            if not inside or any(ext.overlaps(k) for k in kept):
                t.remove()
                removed += 1
            else:
                kept.append(ext)
    return removed


def draw_sq(ax, one, axis: str, *, ylabel=True):
    """Middle row: S_Q_floquet of the stable branch points, the paper's S_Q of the run."""
    n = one["n_points"].values
    for b in range(n.size):
        k = int(n[b])
        if k < 2:
            continue
        ax.plot(one["parameter"].values[b, :k], one["S_Q_floquet"].values[b, :k], "-", color=branch_color(b), lw=1.2)
    sq = one["S_Q_panel"] if "S_Q_panel" in one else one["S_Q_protocol"]
    ax.plot(one[axis].values, sq.values, "o", ms=3, mfc="none", mec="k", mew=0.8,
            label=r"paper's $S_Q$ (zero start, window mean)")
    if ylabel:
        ax.set_ylabel(r"$S_Q$; lines: $S_Q^{\rm Floquet}$")


def draw_census(ax, one, axis: str, *, ylabel=None):
    """Bottom row: the census fractions per grid value as a stacked strip."""
    x = one[axis].values
    width = np.min(np.diff(x)) if x.size > 1 else 1.0
    frac = one["census_fraction"].values              # (N, branch)
    bottom = np.zeros(x.size)
    for b in range(frac.shape[1]):
        f = np.nan_to_num(frac[:, b])
        if f.any():
            ax.bar(x, f, width, bottom=bottom, color=branch_color(b), linewidth=0)
        bottom += f
    un = np.nan_to_num(one["census_unassigned"].values)
    ax.bar(x, un, width, bottom=bottom, color=UNASSIGNED_COLOR, linewidth=0, label="on no traced stable branch")
    ax.set_ylim(0, 1)
    ax.set_yticks([0, 1])
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=7)


def figure(panels: dict, axis_labels: dict, title: str, footer: str = ""):
    """The figure: ``panels`` (panel name → (branch file Dataset, series label → legend name))
    one column each; ``axis_labels`` panel → x label; returns the matplotlib figure."""
    import matplotlib.pyplot as plt

    from .workflow.branches_stage import select_series
    P.apply_style()
    columns = []
    for pname, (ds, names) in panels.items():
        for s in ds["series"].values:
            columns.append((pname, str(s), select_series(ds, str(s)), names.get(str(s))))
    ncol = len(columns)
    width = min(max(3.0 * ncol + 0.6, 5.0), 16.0)
    fig = plt.figure(figsize=(width, 6.6), layout="constrained")
    gs = fig.add_gridspec(3, ncol, height_ratios=[2.2, 1.8, 0.7])
    upper = []
    for c, (pname, s, one, name) in enumerate(columns):
        axis = one.attrs["axis"]
        top = fig.add_subplot(gs[0, c])
        mid = fig.add_subplot(gs[1, c], sharex=top)
        bot = fig.add_subplot(gs[2, c], sharex=top)
        draw_branches(top, one, axis, ylabel=c == 0)
        draw_sq(mid, one, axis, ylabel=c == 0)
        draw_census(bot, one, axis, ylabel="TWA census" if c == 0 else None)
        top.set_title(f"{pname}" + (f": {name}" if name else ""), loc="left", fontsize=8.5)
        for ax in (top, mid):
            ax.tick_params(labelbottom=False)
            upper.append(ax)
        bot.set_xlabel(axis_labels.get(pname, axis))
        handles, _ = top.get_legend_handles_labels()
        if handles:
            top.add_line(plt.Line2D([], [], color="k", ls="-", label="stable"))
            top.add_line(plt.Line2D([], [], color="k", ls="--", lw=0.9, label="unstable"))
            kinds = {str(k) for k in one["event_kind"].values} if "event_kind" in one else set()
            for kind in (k for k in EVENT_LABELS if k in kinds):
                top.add_line(plt.Line2D([], [], ls="none", marker=EVENT_MARKERS[kind], ms=3.5, mfc="white",
                                        mec="k", mew=0.8, label=f"{EVENT_LABELS[kind]}: {EVENT_NAMES[kind]}"))
            top.legend(fontsize=5.5, loc="best")
        if mid.get_legend_handles_labels()[0]:
            mid.legend(fontsize=6, loc="best")
    P.tidy_offsets(fig)
    for ax in upper:                  # the shared x axis is labelled once, below the census
        ax.set_xlabel("")
    fit_title_footer(fig, title, footer)
    drop_overlapping_labels(fig)
    return fig


def fit_title_footer(fig, title: str, footer: str = "") -> None:
    """The title on one line (font shrunk until it fits the canvas), the footer (run metadata)
    wrapped to the canvas width; both checked inside the canvas with the renderer.  No layout
    pass is needed for that: both are centred on the canvas (the layout moves them only
    vertically, the footer's bottom stays at its pad above the canvas edge)."""
    width_px = fig.bbox.width
    size = 10.0
    t = fig.suptitle(title, fontsize=size)
    f = None
    if footer:
        chars = int(fig.get_figwidth() * 22)
        f = fig.supxlabel("\n".join(textwrap.wrap(footer, chars)), fontsize=6.5, color="0.35")
    r = fig.canvas.get_renderer()
    for _ in range(12):
        ext = t.get_window_extent(r)
        if ext.x0 >= 0 and ext.x1 <= width_px:
            break
        size -= 0.5
        t.set_fontsize(size)
    if f is not None:
        for _ in range(8):
            ext = f.get_window_extent(r)
            if ext.x0 >= 0 and ext.x1 <= width_px and ext.y0 >= 0:
                break
            chars = int(chars * 0.85)
            f.set_text("\n".join(textwrap.wrap(footer, chars)))
