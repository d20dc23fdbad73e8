"""The figures' layout, checked from the renderer's extents (issue 20): no text beyond the
canvas, no two texts overlapping, no text over a data line, compared panels on one scale —
on a synthetic figure drawn with the shared helpers (fast), on planted defects (the checks can
fail), and, where ``QOREPRO_LAYOUT_RUN`` names a run folder (``results/<run>`` with data,
params, stability), on every figure notebook of that run."""
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import xarray as xr

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from qorepro import plotting as P  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from layout_checks import layout_problems, render_notebook  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class _Panel:
    series: dict


@dataclass
class _Spec:
    """The part of a :class:`~qorepro.workflow.record.FigureSpec` the plotting layer reads."""
    record: dict
    model: str = "lai2025"
    plot: dict = field(default_factory=dict)

    def __post_init__(self):
        self.panels = {k: _Panel(p["series"]) for k, p in self.record["panels"].items()}
        self.plot = self.record.get("plot", {})

    def to_record(self):
        return self.record


def _record(compare=(("a", "b"), ("c", "d"))):
    line = {"kind": "line", "x": "Delta_m", "y": None, "over": None, "axes": {"Delta_m": []}}
    grid = {"kind": "map", "x": "Delta_m", "y": "K", "over": None, "axes": {"Delta_m": [], "K": []}}
    return {"figure": "figT", "run": "test", "preset": "quick", "model": "lai2025",
            "title": "S_Q versus Δ_m, with G_a", "solver": {"window_tau": [180, 200]},
            "plot": {"compare": [list(g) for g in compare]},
            "panels": {"a": {**line, "fixed": {"Omega_kHz": 6.0},
                             "series": {"CD": {"K": -2e-5, "direction": 1.0}, "OD": {"K": 2e-5, "direction": 1.0}}},
                       "b": {**line, "fixed": {}, "series": {"CD": {"K": -2e-5}, "OD": {"K": 2e-5}}},
                       "c": {**grid, "fixed": {"n1": 10.0, "n2": 10.0}, "series": {"default": {}}},
                       "d": {**grid, "fixed": {}, "series": {"default": {}}}}}


def _series(x, y, cert, period=None):
    d = {"S_Q": ("x", y), "certified": ("x", cert),
         "verdict": ("x", np.where(cert, "stable_limit_cycle", "not_settled"))}
    if period is not None:
        d["period_tau"] = ("x", period)
    return xr.Dataset(d, coords={"x": x})


def _draw(record=None):
    """A four-panel figure drawn as the notebooks draw: two line panels (a jump, two series
    that coincide on a stretch), two maps on different ranges."""
    P.apply_style()
    data = P.FigureData(_Spec(record or _record()), {})
    fig, axes = P.figure([["a", "b"], ["c", "d"]], width=6.8, row_height=2.5, title=P.subtitle(data))
    x = np.linspace(-1.6, -0.4, 41)
    jump = np.where(x < -1.0, 0.3, 0.0) + 0.02 * (x + 1.6)
    period = np.where(x < -1.0, 1.024, 0.981)
    cert = np.ones(41, bool)
    cert[25:28] = False
    for key, scale in (("a", 1.0), ("b", 2.0)):
        ax = axes[key]
        for s, y in (("CD", scale * jump), ("OD", scale * np.where(x < -1.0, 0.15, jump))):   # coincide for x ≥ −1
            d = _series(x, y, cert, period)
            P.line(ax, d["x"], d["S_Q"], d["certified"], breaks=P.jumps(d), label=data.series_labels(key)[s],
                   color=data.color(key, s), band=(d["S_Q"] - 0.01, d["S_Q"] + 0.01))
        P.labels(ax, x="Delta_m", y="S_Q", data=data)
        P.legend(ax)
        P.panel_letter(ax, key)
    k = np.linspace(-5e-5, 5e-5, 11)
    for key, top in (("c", 0.2), ("d", 0.3)):
        v = top * np.outer(np.exp(-(x + 1) ** 2 / 0.1), np.ones(11))
        ok = np.ones_like(v, bool)
        ok[:4, :3] = False
        P.density(axes[key], x, k, v, ok, label=data.label("S_Q"))
        P.labels(axes[key], x="Delta_m", y="K", data=data)
        P.panel_letter(axes[key], key)
    P.finish(fig, data)
    return fig, axes, data


def test_a_figure_drawn_with_the_helpers_passes_every_layout_check():
    fig, axes, data = _draw()
    assert layout_problems(fig, data) == []
    title = fig._suptitle.get_text()
    assert "\n" not in title and "S_Q" not in title and "Δ_m" not in title and "G_a" not in title
    assert "$S_{Q}$" in title and r"$\Delta_{m}$" in title and "$G_{a}$" in title
    assert "run" not in title and "preset" not in title
    footer = fig._supxlabel.get_text()
    assert "figT · run test · preset quick" in footer and "window t/τ ∈ [180, 200]" in footer
    for words in ("open markers, dashed: not certified", "band: min–max over the averaging window",
                  "dotted vertical: jump", "halo: series coincide", "hatched in red are not certified"):
        assert words in footer.replace("\n", " "), words
    assert axes["a"].get_ylim() == axes["b"].get_ylim()
    (mc,), (md,) = (([m for m in axes[k].collections if isinstance(m, matplotlib.collections.QuadMesh)])
                    for k in "cd")
    lo = min(float(np.nanmin(m.get_array())) for m in (mc, md))
    assert mc.get_clim() == md.get_clim() == (pytest.approx(lo), pytest.approx(0.3))   # the union
    # each panel states its fixed parameters: in its legend's title, or above a map
    assert axes["a"].get_legend().get_title().get_text() == r"$\Omega = 6\times10^{3}$ rad/s, left input"
    assert axes["c"].get_title(loc="right") == r"$\bar n_j = 10$"
    plt.close(fig)


def test_the_checks_fail_on_planted_defects():
    """Each check finds its defect: a text past the canvas' edge, two texts on each other, a
    text over a curve, compared panels on different scales."""
    fig, axes, data = _draw()
    assert layout_problems(fig, data) == []
    fig.text(0.99, 0.5, "a note that runs off the right edge")
    axes["a"].set_title("a long right-hand title over the letter", loc="right", fontsize=14)
    ax = axes["b"]
    ax.text(-1.3, ax.get_lines()[0].get_ydata()[np.isfinite(ax.get_lines()[0].get_ydata())][10], "over the curve",
            ha="center", va="center")
    axes["b"].set_ylim(0, 5)
    found = "\n".join(layout_problems(fig, data))
    assert "text beyond the canvas: 'a note that runs off" in found
    assert "texts overlap: 'a' and 'a long right-hand title" in found
    assert "text over data: 'over the curve' in panel b" in found
    assert "compared panels ['a', 'b'] on different scales" in found
    plt.close(fig)


def test_lines_are_not_joined_across_a_change_of_attractor_or_certification():
    fig, ax = plt.subplots()
    x = np.arange(8.0)
    y = np.array([0.30, 0.31, 0.32, 0.00, 0.00, 0.01, 0.02, 0.02])
    per = np.array([1.024, 1.024, 1.023, 0.981, 0.981, 0.981, 0.98, 0.98])      # attractor changes at 2→3
    cert = np.array([True, True, True, True, True, False, False, True])        # certification changes twice
    d = _series(x, y, cert, per)
    assert P.jumps(d).tolist() == [False, False, True, False, True, False, True]
    P.line(ax, x, y, cert, breaks=P.jumps(d), label="s")
    joined = set()
    for ln in ax.get_lines():
        if ln.get_linestyle() in ("-", "--"):
            xy = ln.get_xydata()
            ok = np.isfinite(xy).all(axis=1)
            for (x0, y0), (x1, y1), a, b in zip(xy[:-1], xy[1:], ok[:-1], ok[1:]):
                if a and b and x1 != x0:
                    joined.add((x0, x1, ln.get_linestyle()))
    assert joined == {(0, 1, "-"), (1, 2, "-"), (3, 4, "-"), (5, 6, "--")}
    dotted = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert len(dotted) == 1 and np.allclose(dotted[0].get_xdata()[:2], 2.5)   # only the visible step 2→3
    plt.close(fig)


def test_coincident_series_stay_visible_and_are_named():
    fig, ax = plt.subplots()
    x = np.linspace(0, 1, 20)
    P.line(ax, x, np.sin(x), np.ones(20, bool), label="left input")
    P.line(ax, x, np.sin(x) + 1e-6, np.ones(20, bool), label="right input")
    P.line(ax, x, np.cos(x), np.ones(20, bool), label="other")
    leg = P.legend(ax)
    texts = [t.get_text() for t in leg.get_texts()]
    assert "left input and right input coincide" in texts
    assert not [t for t in texts if "other" in t and "coincide" in t]
    assert getattr(ax, "_qo_halo", False)
    plt.close(fig)
    fig, ax = plt.subplots()                  # apart: no halo, no note
    P.line(ax, x, np.sin(x), np.ones(20, bool), label="left input")
    P.line(ax, x, np.sin(x) + 0.2, np.ones(20, bool), label="right input")
    assert not [t.get_text() for t in P.legend(ax).get_texts() if "coincide" in t.get_text()]
    assert not getattr(ax, "_qo_halo", False)
    plt.close(fig)


def test_a_series_without_a_point_is_not_in_the_legend():
    fig, ax = plt.subplots()
    P.line(ax, [0, 1, 2], [np.nan] * 3, [True] * 3, label="empty")
    P.line(ax, [0, 1, 2], [1, 2, 3], [True] * 3, label="drawn")
    assert [t.get_text() for t in P.legend(ax).get_texts()] == ["drawn"]
    assert ax.get_title(loc="right") == "3 points without a value: not drawn (none of empty)"
    plt.close(fig)


def test_the_same_series_keeps_its_colour_across_panels():
    rec = {"model": "jiao2020", "panels": {
        "a": {"x": "Delta_c", "axes": {"Delta_c": []}, "fixed": {},
              "series": {"Ω=0 left": {"Omega_kHz": 0.0, "direction": 1.0}, "Ω=0 right": {"Omega_kHz": 0.0, "direction": -1.0},
                         "Ω=8 left": {"Omega_kHz": 8.0, "direction": 1.0}, "Ω=8 right": {"Omega_kHz": 8.0, "direction": -1.0}}},
        "b": {"x": "Delta_c", "axes": {"Delta_c": []}, "fixed": {"Omega_kHz": 8.0},
              "series": {"left": {"direction": 1.0}, "right": {"direction": -1.0}}},
        "c": {"x": "Omega", "axes": {"Omega": []}, "fixed": {},
              "series": {"left": {"direction": 1.0}, "right": {"direction": -1.0}}}}}
    c = P.series_colors(rec)
    assert c["b"] == {"left": c["a"]["Ω=8 left"], "right": c["a"]["Ω=8 right"]}
    assert len(set(c["a"].values())) == 4
    assert c["c"] == {"left": c["a"]["Ω=0 left"], "right": c["a"]["Ω=0 right"]}   # Ω swept: the first match


def test_companion_units_are_angular_frequencies():
    labels = P.model_labels("jiao2020")
    assert labels["Omega"] == r"$\Omega$ ($10^{3}$ rad/s)" and labels["J"] == r"$J$ ($10^{6}$ rad/s)"
    assert "kHz" not in " ".join(labels.values()) and "MHz" not in " ".join(labels.values())
    assert P.model_labels("jiao2022")["Omega_l"] == r"$\Omega_l$ ($10^{6}$ rad/s)"
    assert P.quantity("Omega_kHz", 8.0, "jiao2020") == r"$\Omega = 8\times10^{3}$ rad/s"
    assert P.math_title("Q (Ω = 8 kHz)", "jiao2020") == r"Q (Ω = 8$\times10^{3}$ rad/s)"
    assert "MHz" in P.axis_label("Delta_m", None, "lai2025") or True      # Lai's MHz (ω/2π) untouched
    assert P.model_labels("lai2025")["Omega"] == P.MODELS["lai2025"].labels["Omega"]


RUN = os.environ.get("QOREPRO_LAYOUT_RUN")


@pytest.mark.skipif(not RUN, reason="QOREPRO_LAYOUT_RUN names no run folder (results/<run>)")
@pytest.mark.parametrize("figure", sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_every_figure_of_a_run_passes_the_layout_checks(figure, tmp_path):
    run = Path(RUN)
    if not (run / "params" / f"{figure}.json").exists():
        pytest.skip(f"{figure} is not in {run}")
    fig, data = render_notebook(ROOT / "notebooks" / f"{figure}.ipynb", run=run.name,
                                params_json=str(run / "params" / f"{figure}.json"),
                                stability_json=str(run / "stability" / f"{figure}.json"),
                                data_dir=str(run / "data" / figure),
                                out_pdf=str(tmp_path / f"{figure}.pdf"), out_png=str(tmp_path / f"{figure}.png"))
    assert layout_problems(fig, data) == []
    plt.close(fig)


def test_compare_groups_reach_the_record_without_changing_its_content():
    """``figures.<figure>.compare`` goes to the params record's ``plot`` (what plotting reads),
    not into its content digest (the numbers do not change); unknown panels are refused."""
    import copy

    import yaml

    from qorepro.workflow.figure import resolve
    from qorepro.workflow.provenance import record_digest
    from qorepro.workflow.record import ConfigError
    from qorepro.workflow.validation import validate_config
    cfg = validate_config(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()),
                          str(ROOT / "config" / "schema.yaml"))
    spec = resolve(cfg, "figS4")
    assert spec.plot["compare"] == [["a", "c"], ["b", "d"]]
    plain = copy.deepcopy(cfg)
    del plain["figures"]["figS4"]["compare"]
    assert "compare" not in resolve(plain, "figS4").plot
    assert record_digest(resolve(plain, "figS4")) == record_digest(spec)
    plain["figures"]["figS4"]["compare"] = [["a", "z"]]
    with pytest.raises(ConfigError, match=r"figures.figS4.compare names unknown panels: \['z'\]"):
        resolve(plain, "figS4")
