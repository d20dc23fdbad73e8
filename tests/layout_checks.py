"""Layout checks of a drawn figure, from the renderer's extents (issue 20): no text beyond the
canvas, no two texts overlapping, no text over a data line, compared panels on one scale.
Used by ``tests/test_figure_layout.py`` and to check the notebooks' figures of a run
(:func:`render_notebook`)."""
from __future__ import annotations

import itertools
from pathlib import Path

import nbformat
import numpy as np
from matplotlib.collections import QuadMesh
from matplotlib.text import Text

from qorepro import plotting as P

#: pixels a text's extent may reach past another's (anti-aliasing, glyph padding)
TOLERANCE_PX = 1.5


def _tick_labels(ax):
    """(all tick-label texts of ``ax``, the ones drawn: ticks in view, label shown)."""
    every, drawn = [], []
    for axis in (ax.xaxis, ax.yaxis):
        for tick in axis.get_major_ticks() + axis.get_minor_ticks():
            every += [tick.label1, tick.label2]
        for tick in axis._update_ticks():
            drawn += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    return every, drawn


def drawn_texts(fig) -> list:
    """Every text artist the figure draws (visible, not empty; tick labels only in view)."""
    fig.canvas.draw()
    ticks, shown = set(), []
    for ax in fig.axes:
        every, drawn = _tick_labels(ax)
        ticks.update(map(id, every))
        shown += drawn
    out = [t for t in fig.findobj(Text) if id(t) not in ticks] + shown
    return [t for t in out if t.get_visible() and t.get_text().strip()
            and (t.axes is None or t.get_clip_on() is False or t.axes.get_visible())]


def _shrink(bb, px=TOLERANCE_PX):
    return bb.from_extents(bb.x0 + px, bb.y0 + px, bb.x1 - px, bb.y1 - px)


def _name(t) -> str:
    return repr(t.get_text()[:40])


def layout_problems(fig, data=None) -> list[str]:
    """What a production editor would refuse, as found from the renderer's extents."""
    r = fig.canvas.get_renderer()
    texts = drawn_texts(fig)
    boxes = [(t, t.get_window_extent(r)) for t in texts]
    problems = []
    canvas = fig.bbox
    for t, bb in boxes:
        if bb.x0 < canvas.x0 - TOLERANCE_PX or bb.x1 > canvas.x1 + TOLERANCE_PX \
                or bb.y0 < canvas.y0 - TOLERANCE_PX or bb.y1 > canvas.y1 + TOLERANCE_PX:
            problems.append(f"text beyond the canvas: {_name(t)}")
    for (t1, b1), (t2, b2) in itertools.combinations(boxes, 2):
        if _shrink(b1).overlaps(_shrink(b2)):
            problems.append(f"texts overlap: {_name(t1)} and {_name(t2)}")
    for ax in fig.axes:
        pts = P._data_points(ax)
        if ax.get_legend() is not None and P.legend_covers_data(ax):
            problems.append(f"legend over data: panel {getattr(ax, '_qo_key', '?')}")
        if not len(pts):
            continue
        ab = ax.get_window_extent(r)
        for t, bb in boxes:
            if t.axes is not ax and not (t.axes is None and ab.overlaps(bb)):
                continue
            if t in ax.texts and any(isinstance(c, QuadMesh) for c in ax.collections):
                continue                     # a label printed on a map's cell
            s = _shrink(bb, 2 * TOLERANCE_PX)
            inside = (pts[:, 0] > s.x0) & (pts[:, 0] < s.x1) & (pts[:, 1] > s.y0) & (pts[:, 1] < s.y1)
            inside &= (pts[:, 0] > ab.x0) & (pts[:, 0] < ab.x1) & (pts[:, 1] > ab.y0) & (pts[:, 1] < ab.y1)
            if inside.any():
                problems.append(f"text over data: {_name(t)} in panel {getattr(ax, '_qo_key', '?')}")
    for group in P.compare_groups(data):
        axes = [a for p in group for a in P._panel_axes(fig, p)]
        clims = {tuple(np.round(m.get_clim(), 12)) for a in axes for m in a.collections if isinstance(m, QuadMesh)}
        lines = [a for a in axes if not any(isinstance(m, QuadMesh) for m in a.collections)]
        ylims = {tuple(np.round(a.get_ylim(), 12)) for a in lines}
        if len(clims) > 1 or len(ylims) > 1:
            problems.append(f"compared panels {group} on different scales: {clims or ylims}")
    return problems


def render_notebook(notebook: Path, **params):
    """Run a figure notebook's cells in this process with ``params`` (its papermill
    parameters; ``out_pdf``/``out_png`` where to save) and return ``(fig, data)``."""
    nb = nbformat.read(notebook, as_version=4)
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, str(notebook), "exec"), ns)
        if "parameters" in cell.metadata.get("tags", []):
            ns.update(params)
            for k in ("params_json", "stability_json", "data_dir", "out_pdf", "out_png"):
                if k not in params:     # the defaults, for the run given
                    ns.pop(k, None)
            exec(compile(cell.source.replace('run = "baseline"', f'run = {ns["run"]!r}'), "p", "exec"), ns)
            ns.update(params)
    return ns["fig"], ns["data"]
