"""The figure helpers (qorepro.plotting) and the per-figure notebooks that use them."""
import json
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import shared_run  # noqa: E402

from qorepro import plotting as P  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
NOTEBOOKS = shared_run.NOTEBOOKS          # every figure with a notebook; all drawn in the shared run
PARAMETERS = ("run", "params_json", "stability_json", "data_dir", "out_pdf", "out_png")


def _markers(ax):
    """(x, y, facecolour, edgecolour) of every marker-only line on an axes."""
    out = []
    for ln in ax.get_lines():
        if ln.get_linestyle() in ("None", "none", "") and ln.get_marker() not in ("None", "none", ""):
            for x, y in ln.get_xydata():
                out.append((x, y, ln.get_markerfacecolor(), ln.get_markeredgecolor()))
    return out


def test_points_without_a_value_are_not_drawn_and_are_counted():
    fig, ax = plt.subplots()
    x = np.arange(6.0)
    y = np.array([0.1, np.nan, 0.3, np.nan, 0.5, 0.6])
    P.line(ax, x, y, np.ones(6, bool), label="s")
    drawn = np.concatenate([ln.get_xydata() for ln in ax.get_lines()])
    drawn = drawn[np.isfinite(drawn).all(axis=1)]          # a NaN separates line pieces: nothing drawn
    assert not np.isin(drawn[:, 0], [1.0, 3.0]).any(), "a point without a value was drawn"
    assert not (drawn[:, 1] == 0).any(), "a missing value was drawn as zero"
    P.legend(ax)
    assert ax.get_title(loc="right").startswith("2 points without a value")
    plt.close(fig)


def test_uncertified_points_are_open_markers_in_the_series_colour():
    fig, ax = plt.subplots()
    x = np.arange(5.0)
    cert = np.array([True, False, True, False, True])
    a = P.line(ax, x, x ** 2, cert, label="A", color=P.color(0))
    b = P.line(ax, x, x + 10, ~cert, label="B", color=P.color(1))
    marks = _markers(ax)
    to_rgba = matplotlib.colors.to_rgba
    for ln, ys, ok in ((a, x ** 2, cert), (b, x + 10, ~cert)):
        c = to_rgba(ln.get_color())
        for xi, yi, good in zip(x, ys, ok):
            m = [mk for mk in marks if mk[0] == xi and mk[1] == yi]
            assert m, (xi, yi)
            face, edge = to_rgba(m[0][2]), to_rgba(m[0][3])
            assert edge == c, "marker edge is the series' colour"
            assert (face == c) if good else (face == to_rgba("white")), (xi, good)
    assert a.get_color() != b.get_color()
    P.legend(ax)
    P.finish(fig)                         # the encoding is stated once, in the footer
    assert fig._supxlabel.get_text().startswith("open markers, dashed: not certified")
    plt.close(fig)


def test_series_labels_are_readable_with_units():
    lai = P.series_labels({"CD": {"K": -2e-5}, "K=0": {"K": 0.0}, "OD": {"K": 2e-5}}, "lai2025")
    assert lai == {"CD": r"CD, $K/\omega_1 = -2\times10^{-5}$", "K=0": r"$K/\omega_1 = 0$",
                   "OD": r"OD, $K/\omega_1 = 2\times10^{-5}$"}
    n = P.series_labels({"n=0": {"n1": 0.0, "n2": 0.0}, "n=10": {"n1": 10.0, "n2": 10.0}}, "lai2025")
    assert n["n=10"] == r"$\bar n_j = 10$"
    j20 = P.series_labels({"Ω=8 left": {"Omega_kHz": 8.0, "direction": 1.0},
                           "Ω=0 right": {"Omega_kHz": 0.0, "direction": -1.0}}, "jiao2020")
    assert j20["Ω=8 left"] == r"$\Omega = 8\times10^{3}$ rad/s, left input"      # the paper's "kHz": 10³ rad/s
    assert j20["Ω=0 right"] == r"$\Omega = 0$, right input"
    assert P.series_labels({"default": {}}) == {"default": None}


def test_small_numbers_carry_their_power_of_ten_in_the_label():
    fig, ax = plt.subplots()
    ax.plot([-5e-5, 5e-5], [1e9, 3e9])
    P.labels(ax, x="K", y="S_Q")
    P.finish(fig)
    assert ax.get_xlabel().endswith("($10^{-5}$)")
    assert ax.get_ylabel().endswith("($10^{9}$)")
    fig.canvas.draw()
    assert ax.xaxis.get_offset_text().get_text() == "" and ax.yaxis.get_offset_text().get_text() == ""
    plt.close(fig)


def test_finish_moves_a_legend_off_the_data():
    fig, ax = plt.subplots(figsize=(3, 2.5))
    x = np.linspace(0, 1, 30)
    for k in range(4):                      # curves through every corner of the axes
        ax.plot(x, (x if k % 2 else 1 - x) + 0.01 * k, label=f"curve {k}")
    ax.legend(loc="upper right")
    assert P.legend_covers_data(ax)
    P.finish(fig)
    fig.canvas.draw()
    assert not P.legend_covers_data(ax)
    plt.close(fig)


def test_revival_hatching_only_where_its_maximum_is_not_certified():
    import xarray as xr
    S = np.zeros((2, 2, 3))
    S[..., 1] = 0.3                          # maximum at over-index 1
    cert = np.ones((2, 2, 3), bool)
    cert[0, 0, 1] = False                    # ... uncertified at one point
    cert[1, 1, 0] = False                    # uncertified, but not where the maximum is
    ds = xr.Dataset({"S_Q": (("n_th", "K", "Delta_m"), S), "certified": (("n_th", "K", "Delta_m"), cert),
                     "revival": (("n_th", "K"), np.ones((2, 2))),
                     "S_Q_reference": (("Delta_m",), [0.1, 0.4, 0.2]),
                     "certified_reference": (("Delta_m",), [False, True, True])})
    ok = P.revival_trust(ds, "S_Q", over="Delta_m").transpose("n_th", "K").values
    assert ok.tolist() == [[False, True], [True, True]]
    ds["certified_reference"][1] = False
    assert not P.revival_trust(ds, "S_Q", over="Delta_m").any()


def test_hatched_cells_are_exactly_the_masked_ones_and_render_as_one_patch_per_cell():
    """:func:`P.cells_path` merges each row's runs: cell centres inside iff masked, the area the
    masked cells' total, and on the Agg canvas the same pixels as a hatched patch per cell."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle
    from matplotlib.path import Path as MplPath
    rng = np.random.default_rng(3)
    mask = rng.random((13, 9)) < 0.45
    xe, ye = np.linspace(-1, 2, 14), np.geomspace(1, 50, 10)            # uneven cells too
    path = P.cells_path(xe, ye, mask)
    polys = path.to_polygons(closed_only=True)
    assert len(polys) < mask.sum()                                    # runs merged
    cx, cy = np.meshgrid((xe[:-1] + xe[1:]) / 2, (ye[:-1] + ye[1:]) / 2, indexing="ij")
    centres = np.c_[cx.ravel(), cy.ravel()]
    inside = np.zeros(mask.size, bool)
    for poly in polys:
        inside |= MplPath(poly).contains_points(centres)
    assert (inside.reshape(mask.shape) == mask).all()
    area = sum(0.5 * np.sum(q[:-1, 0] * q[1:, 1] - q[1:, 0] * q[:-1, 1]) for q in polys)   # signed: all CCW
    assert area == pytest.approx((np.diff(xe)[:, None] * np.diff(ye)[None, :] * mask).sum())
    assert P.cells_path(xe, ye, np.zeros_like(mask)) is None

    def render(draw):
        fig, ax = plt.subplots(figsize=(3, 2), dpi=100)
        ax.set_xlim(xe[0], xe[-1])
        ax.set_ylim(ye[0], ye[-1])
        draw(ax)
        fig.canvas.draw()
        img = np.asarray(fig.canvas.buffer_rgba()).copy()
        plt.close(fig)
        return img
    new = render(lambda ax: P.hatch(ax, xe, ye, ~mask))
    rects = [Rectangle((xe[i], ye[j]), xe[i + 1] - xe[i], ye[j + 1] - ye[j]) for i, j in np.argwhere(mask)]
    old = render(lambda ax: ax.add_collection(PatchCollection(rects, facecolor="none", edgecolor=P.HATCH_COLOR,
                                                              hatch="////", lw=0, zorder=3)))
    assert (new != 255).any()
    assert np.abs(new.astype(int) - old.astype(int)).max() == 0


def test_save_writes_vector_pdf_and_png_of_at_least_150_dpi(tmp_path):
    from PIL import Image
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1])
    P.save(fig, str(tmp_path / "f.pdf"), str(tmp_path / "f.png"))
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
    dpi = Image.open(tmp_path / "f.png").info.get("dpi", (0, 0))[0]
    assert P.PNG_DPI >= 150 and round(dpi) >= 150
    plt.close(fig)


def test_save_keeps_the_layout_finish_settled_and_the_layout_engine(tmp_path):
    """save() draws a finished figure with finish()'s layout (no layout pass per file) and
    leaves the figure's constrained layout in place; an unfinished figure is laid out as usual."""
    fig, axes = P.figure([["a", "b"]], width=4, row_height=2)
    for ax in axes.values():
        ax.plot([0, 1], [0, -1])
        ax.set_xlabel("a long label that the layout has to make room for")
    P.finish(fig)
    settled = [ax.get_position(original=True).bounds for ax in fig.axes]
    engine = fig.get_layout_engine()
    P.save(fig, str(tmp_path / "f.pdf"), str(tmp_path / "f.png"))
    assert fig.get_layout_engine() is engine and engine is not None
    assert [ax.get_position(original=True).bounds for ax in fig.axes] == settled
    plt.close(fig)
    raw, axes = P.figure([["a", "b"]], width=4, row_height=2)      # not finished: save lays it out
    for ax in axes.values():
        ax.set_xlabel("a long label that the layout has to make room for")
    initial = [ax.get_position(original=True).bounds for ax in raw.axes]
    P.save(raw, str(tmp_path / "g.pdf"), str(tmp_path / "g.png"))
    assert [ax.get_position(original=True).bounds for ax in raw.axes] != initial
    plt.close(raw)
    edited, axes = P.figure([["a", "b"]], width=4, row_height=2)    # changed after finish: laid out again
    P.finish(edited)
    settled = [ax.get_position(original=True).bounds for ax in edited.axes]
    axes["a"].set_ylabel("a long label added after finish()\non two lines")
    P.save(edited, str(tmp_path / "h.pdf"), str(tmp_path / "h.png"))
    assert [ax.get_position(original=True).bounds for ax in edited.axes] != settled
    plt.close(edited)


def test_panel_notes_print_numbers_with_a_minus_sign():
    t = P.typographic_minus
    assert t("peak at -1.10 → -1.30 (-2)") == "peak at \u22121.10 → \u22121.30 (\u22122)"
    assert t("$\\Delta_m$ = -1.2") == "$\\Delta_m$ = \u22121.2"
    assert t("$-1$ and well-known x-1, 3-4") == "$-1$ and well-known x-1, 3-4"   # mathtext, words, ranges kept


@pytest.mark.parametrize("figure", NOTEBOOKS)
def test_notebook_draws_each_panel_in_its_own_cell(figure):
    nb = nbformat.read(ROOT / "notebooks" / f"{figure}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for name in PARAMETERS:
        assert f"{name} = " in params[0].source, name
    src = "\n".join(c.source for c in code)
    assert "plot_figure" not in src, "no one-call-per-figure dispatcher"
    assert src.count("P.load_panels(") == 1, "panels are loaded through the one verifying helper"
    for panel in CONFIG["figures"][figure]["panels"]:
        cells = [c for c in code if f'data.panels["{panel}"]' in c.source]
        assert len(cells) == 1, f"{figure}: panel {panel} is drawn in exactly one cell"


def test_load_panels_verifies_provenance(tmp_path, monkeypatch):
    """A panel file whose data changed after it was computed is refused by load_panels."""
    import xarray as xr

    from qorepro.workflow.provenance import ProvenanceError, data_checksums
    ds = xr.Dataset({"S_Q": (("x",), np.array([0.1, 0.2]))}, coords={"x": [0.0, 1.0]})
    ds.attrs.update(data_checksums=json.dumps(data_checksums(ds)), record_digest="0" * 64, panel="a")
    ds["S_Q"][0] = 0.5
    d = tmp_path / "data"
    d.mkdir()
    ds.to_netcdf(d / "a.nc")
    (tmp_path / "p.json").write_text(json.dumps({"figure": "figX", "panels": {"a": {}}}))
    from qorepro.workflow import record
    # any record with this panel will do: the checksums are compared first
    def any_record(cls, path):
        spec = cls.__new__(cls)
        object.__setattr__(spec, "panels", {"a": None})
        return spec

    monkeypatch.setattr(record.FigureSpec, "load", classmethod(any_record))
    with pytest.raises(ProvenanceError, match="checksum mismatch"):
        P.load_panels(str(d), str(tmp_path / "p.json"))


def test_every_notebook_executes_on_the_tiny_run(tiny_project):
    """Every figure notebook ran through the plot rule (papermill) in the session's tiny run
    (tests/shared_run.py) without an error cell and wrote a vector PDF and a PNG of at least
    150 dpi."""
    from PIL import Image
    run = tiny_project / "results" / "test-tiny"
    for f in NOTEBOOKS:
        assert (run / "figures" / f"{f}.pdf").read_bytes()[:4] == b"%PDF", f
        assert round(Image.open(run / "figures" / f"{f}.png").info["dpi"][0]) >= 150, f
        executed = nbformat.read(run / "notebooks" / f"{f}.ipynb", as_version=4)
        assert not [c for c in executed.cells if c.cell_type == "code"
                    and any(o.get("output_type") == "error" for o in c.get("outputs", []))], f


def test_a_long_right_title_is_wrapped_clear_of_the_panel_letter():
    fig, axes = P.figure([["a", "b", "c"]])
    ax = axes["c"]
    ax.plot([0, 1], [0, 1])
    P.panel_letter(ax, "b3")
    ax.set_title("limit cycle from the zero start — not certified: linearization invalid", loc="right", fontsize=7)
    P.finish(fig)
    r = fig.canvas.get_renderer()
    assert not ax._left_title.get_window_extent(r).overlaps(ax._right_title.get_window_extent(r))
    assert "\n" in ax._right_title.get_text()
