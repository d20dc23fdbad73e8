"""One source per plot: the committed notebooks are the source of every figure's drawing, each
panel's cell says where its content is configured, and the template tool
(``notebooks/make_notebooks.py``) only writes the first notebook of a new figure."""
import ast
import importlib.util
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
DRAWN = [f for f, s in CONFIG["figures"].items() if any(p["kind"] != "table" for p in s["panels"].values())]


def _template():
    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "notebooks" / "make_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _mosaic_keys(nb) -> set[str]:
    """The axes keys of the notebook's layout cell (the ``P.figure(mosaic, ...)`` call)."""
    calls = [n for c in _code(nb) for n in ast.walk(ast.parse(c.source))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "figure"]
    assert len(calls) == 1, "one layout cell"
    mosaic = ast.literal_eval(calls[0].args[0])

    def flat(m):
        return [k for x in m for k in (flat(x) if isinstance(x, list) else [x])]
    return set(flat(mosaic)) - {"."}


def _drawn(keys, src):
    """Keys of ``keys`` that the code ``src`` never names (``"a"`` or in an f-string ``f"a{k}"``)."""
    return [k for k in keys if f'"{k}"' not in src and f"{k[0]}{{k}}" not in src and f'("{k}"' not in src]


def test_every_figure_has_its_notebook_and_every_notebook_a_figure():
    have = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")} - {"branches"}   # branches.smk's, per target
    assert have == set(DRAWN), (sorted(set(DRAWN) - have), sorted(have - set(DRAWN)))


@pytest.mark.parametrize("figure", DRAWN)
def test_each_panel_cell_says_where_its_content_is_configured(figure):
    nb = nbformat.read(ROOT / "notebooks" / f"{figure}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert "is the source of the figure's drawing" in nb.cells[0].source
    assert f"`figures.{figure}`" in nb.cells[0].source
    for panel in CONFIG["figures"][figure]["panels"]:
        idx = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and f'data.panels["{panel}"]' in c.source]
        assert len(idx) == 1, f"{figure}: panel {panel} is loaded in exactly one cell"
        above = nb.cells[idx[0] - 1]
        assert above.cell_type == "markdown"
        pointer = f"`config/config.yaml` → `figures.{figure}.panels.{panel}`"
        assert pointer in above.source, f"{figure}: the cell above panel {panel} names {pointer}"
    # a pointer names a key that exists
    for c in nb.cells:
        for key in (w for w in c.source.split("`") if w.startswith(f"figures.{figure}.panels.")):
            assert key.split(".")[-1] in CONFIG["figures"][figure]["panels"], key


@pytest.mark.parametrize("figure", DRAWN)
def test_every_axes_of_the_arrangement_is_drawn(figure):
    nb = nbformat.read(ROOT / "notebooks" / f"{figure}.ipynb", as_version=4)
    src = "\n".join(c.source for c in _code(nb))
    assert not _drawn(_mosaic_keys(nb), src), f"{figure}: axes never drawn"


def test_the_template_refuses_every_committed_notebook(capsys):
    mk = _template()
    for figure in DRAWN:
        path = ROOT / "notebooks" / f"{figure}.ipynb"
        before = path.read_bytes()
        with pytest.raises(SystemExit, match="exists and is the source"):
            mk.main([figure])
        assert path.read_bytes() == before
    src = (ROOT / "notebooks" / "make_notebooks.py").read_text()
    assert "--force" not in src, "no option that discards edits"
    for name in ("lai2025", "jiao2020", "jiao2022"):
        assert name not in src, f"the template does not branch on the model name {name}"


def test_the_template_writes_a_new_figure_of_every_panel_kind(tmp_path):
    """A new figure with one panel of every kind in the config (one per model): the template's
    notebook is valid, names each panel's config key, draws every axes of its arrangement and
    compiles; a second call refuses."""
    mk = _template()
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    (tmp_path / "schema.yaml").write_text((ROOT / "config" / "schema.yaml").read_text())
    seen = {}
    for figure, spec in CONFIG["figures"].items():
        model = spec.get("model", "lai2025")
        for name, p in spec["panels"].items():
            if p["kind"] != "table":
                seen.setdefault((model, p["kind"], len(p.get("variables") or [])), (figure, name, p))
    for i, ((model, kind, _), (figure, name, p)) in enumerate(sorted(seen.items())):
        new = f"figNew{i}"
        cfg["figures"][new] = {"title": f"{kind} of {figure}", "source": "test", "panels": {"p": p},
                               **({"model": model} if model != "lai2025" else {})}
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True))
        path = mk.main([new], config=tmp_path / "config.yaml", notebooks=tmp_path)
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        code = "\n".join(c.source for c in _code(nb))
        for c in _code(nb):
            compile(c.source, str(path), "exec")
        assert not _drawn(_mosaic_keys(nb), code), (kind, figure, name)
        assert f"`figures.{new}.panels.p`" in "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        with pytest.raises(SystemExit, match="exists"):
            mk.main([new], config=tmp_path / "config.yaml", notebooks=tmp_path)


def test_the_template_refuses_a_figure_the_config_does_not_have(tmp_path):
    with pytest.raises(SystemExit, match="add it there first"):
        _template().main(["figNoSuch"], notebooks=tmp_path)
    assert not list(tmp_path.iterdir())
