"""The figure engine (qorepro.workflow.figure): one count, one override translator, one place
for the panel kinds, chunking for every model kind, the typed record."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from qorepro import grid
from qorepro.models import MODELS
from qorepro.workflow import figure, validation
from qorepro.workflow.record import DEFAULT_MODEL, ConfigError, FigureSpec
from qorepro.workflow.spec import deep_merge, resolve_figure
from qorepro.workflow.validation import planned_points, validate_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = str(ROOT / "config" / "schema.yaml")
BASE = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
TINY = yaml.safe_load((ROOT / "tests" / "workflow" / "tiny.yaml").read_text())


def config(overlay=None):
    cfg = deep_merge(deep_merge(BASE, TINY), overlay or {})
    return validate_config(cfg, SCHEMA, list(BASE["figures"]))


def as_read(spec: FigureSpec) -> FigureSpec:
    """The record as a sweep job reads it (through its JSON file)."""
    return FigureSpec.from_record(json.loads(spec.to_json()))


@pytest.mark.parametrize("preset", ["tiny", "quick"])
def test_planned_count_is_the_computed_count_for_every_model_kind(preset):
    """The size check counts, from the configuration alone, exactly the points the engine builds
    and evaluates — for every figure of every model kind."""
    cfg = config({"preset": preset})
    kinds = set()
    for fig in cfg["figures"]:
        spec = resolve_figure(cfg, fig)
        n = figure.n_points(spec)
        assert planned_points(cfg, fig) == n, fig
        assert figure.points(spec).n == n == sum(b.size for b in figure.points(spec).blocks), fig
        assert all(v.shape == (n,) for v in figure.points(spec).flat.values()), fig
        kinds.add(MODELS[spec.model].kind)
    assert kinds == set(figure.EVALUATORS)


def test_revival_points_include_the_reference_case():
    """A revival panel: the series grid plus the reference case along its reference axis."""
    spec = resolve_figure(config(), "fig3")
    p = spec.panels["e"]
    sizes = {a: len(v) for a, v in p.axes.items()}
    grid = int(np.prod([sizes[a] for a in (p.x, p.y, p.over)]))
    assert p.reference_over == p.over
    blocks = [b for b in figure.points(spec).blocks if b.panel == "e"]
    assert [b.size for b in blocks] == [grid] * len(p.series) + [sizes[p.over]]
    assert blocks[-1].reference and not blocks[0].reference


def test_default_points_come_from_the_panel_kind():
    cfg = config({"presets": {"tiny": {"line_points": 3, "map_points": 4}}})
    spec = resolve_figure(cfg, "fig3")
    for p in spec.panels.values():
        want = cfg["presets"]["tiny"][figure.PANEL_KINDS[p.kind].points]
        for a, vals in p.axes.items():
            ax = next(x for x in ([cfg["figures"]["fig3"]["panels"][p.name].get(k) for k in
                                   ("x", "y", "over", "reference_over")]) if x and x["axis"] == a)
            if "n" not in ax and "values" not in ax:
                assert len(vals) == want, (p.name, a)


def test_overrides_go_through_the_one_translator(monkeypatch):
    """Fixed values, series, references and figure parameters of every model kind are
    translated by grid.overrides (no engine has its own; the validation reads axis values through
    the same grid module)."""
    calls = []
    real = figure.overrides

    def spy(model, ov):
        calls.append((model.name, dict(ov or {})))
        return real(model, ov)

    monkeypatch.setattr(figure, "overrides", spy)
    cfg = config()
    for fig in ("fig1", "jiao2022_fig3", "jiao2020_fig2"):
        calls.clear()
        spec = resolve_figure(cfg, fig)
        fspec = cfg["figures"][fig]
        seen = [ov for _, ov in calls]
        for p in fspec["panels"].values():
            for ov in (p.get("series") or {}).values():
                assert ov in seen, (fig, ov)
            if p.get("fixed"):
                assert p["fixed"] in seen
        assert {m for m, _ in calls} == {spec.model}
    for mod in (*figure.EVALUATORS.values(), validation):
        assert not hasattr(mod, "overrides") and not hasattr(mod, "axis_overrides")


def test_the_translator():
    lai, jiao = MODELS["lai2025"], MODELS["jiao2022"]
    assert grid.overrides(lai, {"gamma": 0.01, "direction": "left", "K": 1e-5}) == \
        {"gamma1": 0.01, "gamma2": 0.01, "direction": 1.0, "K": 1e-5}
    assert grid.overrides(lai, {"kappa_a": 0.2}) == {"kappa_a": 0.2}          # a parameter by name
    assert grid.overrides(jiao, {"direction": "right", "Omega_l": 0.8}) == {"direction": -1.0, "Omega_l_MHz": 0.8}
    for bad, err in (({"nope": 1}, KeyError), ({"K": "left"}, ValueError), ({"K": float("nan")}, ValueError),
                     ({"direction": "up"}, ValueError)):
        with pytest.raises(err):
            grid.overrides(lai, bad)


def test_config_errors_name_the_key():
    for overlay, key in (
        ({"figures": {"fig1": {"panels": {"d": {"series": {"left": {"nope": 1}}}}}}}, "figures.fig1.panels.d.series.left"),
        ({"figures": {"jiao2022_fig3": {"panels": {"a": {"fixed": {"nope": 1}}}}}}, "figures.jiao2022_fig3.panels.a.fixed"),
        ({"figures": {"jiao2022_fig3": {"panels": {"a": {"kind": "sagnac"}}}}}, "figures.jiao2022_fig3.panels.a.kind"),
        ({"figures": {"fig1": {"parameters": {"K": 0}}}}, "figures.fig1.parameters"),
    ):
        with pytest.raises(ConfigError) as e:
            config(overlay)
        assert str(e.value).startswith(key), str(e.value)


def test_panel_kinds_in_one_place():
    """Every kind an evaluator offers, and every configured kind, is in PANEL_KINDS."""
    for mod in figure.EVALUATORS.values():
        assert set(mod.KINDS) <= set(figure.PANEL_KINDS)
    for fspec in BASE["figures"].values():
        for p in fspec["panels"].values():
            assert p["kind"] in figure.PANEL_KINDS


def test_default_model_is_the_schema_default():
    schema = yaml.safe_load(Path(SCHEMA).read_text())

    def find(node):
        if isinstance(node, dict):
            if "model" in node.get("properties", {}) and "default" in node["properties"]["model"]:
                return node["properties"]["model"]["default"]
            for v in node.values():
                r = find(v)
                if r:
                    return r
        return None

    assert find(schema) == DEFAULT_MODEL


def test_chunks_give_the_whole_figure(tmp_path):
    """The engine's chunking (any kind): chunks merged = the figure computed in one go, bit for bit."""
    spec = as_read(resolve_figure(config(), "jiao2022_fig3"))
    whole = figure.compute_figure(spec, str(tmp_path / "whole"))
    npz = [str(tmp_path / f"{c}.npz") for c in range(3)]
    for c, path in enumerate(npz):
        figure.compute_chunk(spec, c, 3, path)
    merged = figure.merge_chunks(spec, npz, str(tmp_path / "merged"))
    assert set(whole) == set(merged) == set(spec.panels)
    for p in whole:
        a, b = xr.load_dataset(whole[p]), xr.load_dataset(merged[p])
        assert set(a.variables) == set(b.variables)
        for k in a.variables:
            x, y = a[k].values, b[k].values
            same = np.array_equal(x, y, equal_nan=True) if x.dtype.kind in "fc" else np.array_equal(x, y)
            assert same, (p, k)
        assert a.attrs["record_digest"] == b.attrs["record_digest"]


def test_chunking_follows_the_kind():
    cfg = config()
    lai, steady = resolve_figure(cfg, "fig1"), resolve_figure(cfg, "jiao2022_fig3")
    assert figure.n_chunks(lai, 1) == figure.n_points(lai) > 1
    assert figure.n_chunks(steady, 1) == 1          # seconds per figure: never split
    assert figure.n_chunks(lai, 0) == 1


def test_typed_accessors_of_the_record():
    spec = as_read(resolve_figure(config(), "fig1"))
    s = spec.solver_settings
    assert (s.t_end_tau, s.window_tau, s.steps_per_tau) == (3, (2, 3), 32)
    assert spec.certification_settings.to_dict() == spec.certification
    tw = spec.twa_settings                          # TWA at the uncertified points, against the claims' thresholds
    assert (tw.where, tw.thresholds) == ("uncertified", (0.01, 0.05))
    ini = spec.initial
    assert len(ini.means) == len(spec.initial_state["means_re"])


def test_panel_attributes_are_stamped_in_one_place():
    """The engine's datasets carry no global attributes before provenance.stamp."""
    from qorepro import sweep
    ds = sweep.assemble({"S_Q": np.zeros(2), "verdict": np.array(["stable_fixed_point"] * 2)},
                        {"K": np.array([0.0, 1.0])}, (2,), None)
    assert ds.attrs == {}
