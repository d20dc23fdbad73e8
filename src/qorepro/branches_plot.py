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

import textwrap

import numpy as np

from . import plotting as P

#: event kind → short label
EVENT_LABELS = {"fold": "F", "period_doubling": "PD", "torus": "NS", "branch_point": "BP"}
EVENT_MARKERS = {"fold": "o", "period_doubling": "s", "torus": "D", "branch_point": "^"}
UNASSIGNED_COLOR = "0.8"


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


def fmt_param(v: float) -> str:
    """A parameter value to three digits in mathtext (powers of ten as ×10ⁿ)."""
    return f"${P.fmt_number(float(f'{float(v):.3g}'))}$"


def event_groups(events, width: float, gap: float = 0.03):
    """Labels of events (branch, p, y, kind) close together on one branch (within ``gap`` of
    the axis' ``width``) merged: (kinds in order met, lowest p, highest p, y of the first)."""
    groups = []
    for b, p, y, kind in sorted(events, key=lambda e: (e[0], e[1])):
        g = groups[-1] if groups else None
        if g is not None and g[0] == b and p - g[3] <= gap * width:
            g[1].append(kind) if kind not in g[1] else None
            g[3] = p
        else:
            groups.append([b, [kind], p, p, y])
    return [(kinds, lo, hi, y) for _, kinds, lo, hi, y in groups]


def draw_branches(ax, one, axis: str, *, ylabel=True):
    """Top row: |relative phase| of each branch, stability, events, the protocol's branch."""
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
        w = 0.0 if pb[1] == pb[0] else (pe - pb[0]) / (pb[1] - pb[0])
        ye = yb[0] + np.clip(w, 0, 1) * (yb[1] - yb[0])
        ax.plot([pe], [ye], EVENT_MARKERS.get(kind, "x"), ms=6, mfc="white", mec="k", mew=1.1, zorder=5)
        events.append((b, pe, ye, kind))
    for n, (kinds, lo, hi, y) in enumerate(event_groups(events, np.ptp(one[axis].values))):
        where = fmt_param(lo) if lo == hi else f"{fmt_param(lo)}…{fmt_param(hi)}"
        ax.annotate(f"{','.join(EVENT_LABELS.get(k, k) for k in kinds)} {where}", (lo, y), textcoords="offset points",
                    xytext=(3, 5 if n % 2 == 0 else -10), fontsize=6.5)
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
            top.legend(fontsize=6, loc="best")
        if mid.get_legend_handles_labels()[0]:
            mid.legend(fontsize=6, loc="best")
    chars = int(width * 13)
    fig.suptitle("\n".join(textwrap.wrap(title, chars)), fontsize=10)
    if footer:
        fig.supxlabel("\n".join(textwrap.wrap(footer, int(width * 20))), fontsize=6.5, color="0.35")
    P.tidy_offsets(fig)
    for ax in upper:                  # the shared x axis is labelled once, below the census
        ax.set_xlabel("")
    return fig
