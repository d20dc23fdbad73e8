"""Template for the plotting notebook of a NEW figure: ``python notebooks/make_notebooks.py <figure>``.

The committed notebooks ``notebooks/<figure>.ipynb`` are the source of every figure's drawing; this
tool only writes a first version for a figure that has none yet.  It refuses a figure whose
notebook exists (there is no option to overwrite one: edits are never discarded).  Add the
figure under ``figures:`` in ``config/config.yaml`` first; the template reads its panels from there.

The notebook it writes: a title cell, the papermill ``parameters`` cell (run, params_json,
stability_json, data_dir, out_pdf, out_png — the plot rule passes them), one cell that loads the
panels (``plotting.load_panels``, which verifies every file's provenance), one cell with the layout
(a plain grid of the panels, three to a row — rearrange it to the paper's), then for each panel a
markdown cell that says where its content is configured and **one code cell that draws it** with
the helpers of :mod:`qorepro.plotting`.  The template branches only on the panel's ``kind`` and on
what the model declares (:data:`qorepro.models.MODELS`), never on a model's name.
"""
import argparse
import sys
from pathlib import Path

import nbformat
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: what a panel of each kind shows (the title of its markdown cell)
DESCRIBE = {"line": "one curve per series", "map": "density map", "trace": "time traces",
            "sagnac": "frequency shift of the two input directions", "fizeau": "Sagnac–Fizeau shift",
            "revival": "revival factor (maximum over the swept detuning / the reference maximum)",
            "wigner": "Wigner projections and covariance"}
#: the variable a shift panel draws, by panel kind
SHIFT_VARIABLE = {"sagnac": "sigma_a", "fizeau": "Delta_F_MHz"}
POINTER = ("Content (axes, ranges, series, fixed values): `config/config.yaml` → "
           "`figures.{figure}.panels.{panel}`; drawing: the cell below.")
SOURCE_NOTE = ("This notebook is the source of the figure's drawing: edit it here (it is not regenerated). "
               "What each panel computes — axes, ranges, series, fixed values — is configured in "
               "`config/config.yaml` → `figures.{figure}`; the plot rule runs this notebook with papermill, "
               "filling the `parameters` cell.")


def default_variable(model: str) -> str:
    """The variable a panel draws when its config names none: the model's own default."""
    from qorepro.models import MODELS
    return MODELS[model].default_variable


def _schema_default_model(schema: Path) -> str:
    """The model of a figure that names none: the schema's default."""
    figure = yaml.safe_load(schema.read_text())["properties"]["figures"]["additionalProperties"]
    return figure["properties"]["model"]["default"]


def _axis(spec, key):
    a = spec.get(key)
    return a["axis"] if isinstance(a, dict) else None


def _label(var: str) -> str:
    return f'data.label("{var}")'


def line_cell(name, p, default, letter):
    x = _axis(p, "x")
    vs = p.get("variables") or [default]
    label = ("names[s]" if len(vs) == 1
             else 'data.label(var) + (f", {names[s]}" if names[s] else "")')
    return "\n".join([
        f'ds, ax = data.panels["{name}"], axes["{letter}"]',
        f'names = data.series_labels("{name}")',
        "for i, s in enumerate(ds.series.values):",
        "    d = ds.sel(series=s)",
        f"    for k, var in enumerate({vs!r}):",
        f'        P.line(ax, d["{x}"], d[var], d["certified"], breaks=P.jumps(d), label={label},',
        ("        " + f'       color=data.color("{name}", s),' if len(vs) == 1
         else "        " + f'       color=P.color(i * {len(vs)} + k),'),
        '               band=(d[f"{var}_min"], d[f"{var}_max"]) if f"{var}_min" in d else None,  # window min–max',
        '               twa=(d[f"{var}_twa"], d[f"{var}_twa_err"]) if f"{var}_twa" in d else None)',
        f'P.labels(ax, x="{x}", y="{vs[0]}", data=data)',
        "P.legend(ax)",
        f'P.panel_letter(ax, "{letter}")'])


def map_cell(name, p, default, letters):
    x, y = _axis(p, "x"), _axis(p, "y")
    vs = p.get("variables") or [default]
    lines = [f'ds = data.panels["{name}"]',
             f'd = ds.isel(series=0).transpose("{x}", "{y}", ...)']
    for var, letter in zip(vs, letters):
        lines.append(f'ax = axes["{letter}"]')
        if var == "verdict":
            lines.append(f'P.verdict_map(ax, d["{x}"], d["{y}"], d["verdict"])')
        else:
            lines.append(f'P.density(ax, d["{x}"], d["{y}"], d["{var}"], d["certified"], label={_label(var)})')
        lines += [f'P.labels(ax, x="{x}", y="{y}", data=data)', f'P.panel_letter(ax, "{letter}")']
    return "\n".join(lines)


def revival_cell(name, p, default, letter):
    x, y, over = _axis(p, "x"), _axis(p, "y"), _axis(p, "over")
    return "\n".join([
        f'ds, ax = data.panels["{name}"], axes["{letter}"]',
        f'd = ds.isel(series=0).transpose("{x}", "{y}", ...)',
        f"# hatched only where the maximum of {default} (or the reference maximum) is not certified",
        f'ok = P.revival_trust(ds.isel(series=0), "{default}", over={over!r}).transpose("{x}", "{y}")',
        f'P.density(ax, d["{x}"], d["{y}"], d["revival"], ok, label={_label("revival")}, cmap="magma")',
        f'P.labels(ax, x="{x}", y="{y}", data=data)',
        f'P.panel_letter(ax, "{letter}")'])


def trace_cell(name, p, default, letter):
    var = "S_C_t" if "S_C_t" in (p.get("variables") or []) else f"{default}_t"
    return "\n".join([
        f'ds, ax = data.panels["{name}"], axes["{letter}"]',
        f'names = data.series_labels("{name}")',
        "for i, s in enumerate(ds.series.values):",
        "    d = ds.sel(series=s)",
        f'    ln = P.trace(ax, ds.t, d["{var}"], bool(d["certified"]), label=names[s], color=data.color("{name}", s),',
        '                 verdict=d["verdict"].item())',
        f'    if "{var}_twa" in d:',
        f'        ax.plot(ds.t, d["{var}_twa"], ":", color=ln.get_color(), label=f"{{names[s]}}, truncated Wigner")',
        'P.window(ax, ds.attrs["window_tau"])',
        f'P.labels(ax, x="t", y="{var[:-2]}", data=data)',
        "P.legend(ax)",
        f'P.panel_letter(ax, "{letter}")'])


def shift_cell(name, p, default, letter):
    x, var = _axis(p, "x"), SHIFT_VARIABLE[p["kind"]]
    return "\n".join([
        f'ds, ax = data.panels["{name}"], axes["{letter}"]',
        f'names = data.series_labels("{name}")',
        "for i, s in enumerate(ds.series.values):",
        f'    ax.plot(ds["{x}"], ds["{var}"].sel(series=s), color=data.color("{name}", s), label=names[s])',
        'ax.axhline(0, color="k", lw=0.5)',
        f'P.labels(ax, x="{x}", y="{var}", data=data)',
        "P.legend(ax)",
        f'P.panel_letter(ax, "{letter}")'])


def generic_cell(name, p, default, letter):
    """A panel kind without a template of its own: the loaded data, ready to be drawn by hand."""
    return "\n".join([
        f'ds, ax = data.panels["{name}"], axes["{letter}"]',
        f"# no template for kind {p['kind']!r}: draw ds here (its variables: list(ds.data_vars))",
        "list(ds.data_vars)",
        f'P.panel_letter(ax, "{letter}")'])


CELLS = {"line": line_cell, "trace": trace_cell, "revival": revival_cell,
         "sagnac": shift_cell, "fizeau": shift_cell}


def axes_keys(name: str, p: dict) -> list[str]:
    """The mosaic keys a panel draws on: its name, or one per variable for a map of several."""
    vs = p.get("variables") or []
    if p["kind"] == "map" and len(vs) > 1:
        return [f"{name}{i}" for i in range(1, len(vs) + 1)]
    return [name]


def panel_title(name: str, p: dict, default: str) -> str:
    kind = p["kind"]
    vs = p.get("variables") or ([default] if kind in ("line", "map", "trace") else [])
    axes_ = [a for a in (_axis(p, "x"), _axis(p, "y")) if a]
    title = f"**Panel {name}** — {kind}, {DESCRIBE.get(kind, kind)}"
    if vs and axes_:
        title += f": {', '.join(vs)} versus {' and '.join(axes_)}"
    if p.get("series"):
        title += f"; series {', '.join(p['series'])}"
    return title


def notebook(figure: str, spec: dict, model_default: str) -> nbformat.NotebookNode:
    """The template notebook of ``figure`` (its config entry ``spec``); ``model_default`` is the
    model's default variable."""
    keys = [k for name, p in spec["panels"].items() for k in axes_keys(name, p)]
    mosaic = [keys[i:i + 3] for i in range(0, len(keys), 3)]
    mosaic[-1] += ["."] * (len(mosaic[0]) - len(mosaic[-1]))
    params = nbformat.v4.new_code_cell(
        f'run = "baseline"\n'
        f'params_json = f"results/{{run}}/params/{figure}.json"\n'
        f'stability_json = f"results/{{run}}/stability/{figure}.json"\n'
        f'data_dir = f"results/{{run}}/data/{figure}"\n'
        f'out_pdf = f"results/{{run}}/figures/{figure}.pdf"\n'
        f'out_png = f"results/{{run}}/figures/{figure}.png"')
    params.metadata["tags"] = ["parameters"]
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# {figure}: {spec.get('title', figure)}\n\n{spec.get('source', '')}.  "
            "Drawn from the run's NetCDF panels; uncertified points are marked (open markers in the "
            "series' colour, hatched map cells, dashed traces), points without a value are left out.  "
            "Each panel is drawn in its own cell below; the helpers are in `src/qorepro/plotting.py`.\n\n"
            + SOURCE_NOTE.format(figure=figure)),
        params,
        nbformat.v4.new_code_cell(
            "import json\n\nfrom qorepro import plotting as P\n\n"
            "P.apply_style()\n"
            "data = P.load_panels(data_dir, params_json, stability_json)   # verifies each file's provenance\n"
            "{name: dict(ds.sizes) for name, ds in data.panels.items()}"),
        nbformat.v4.new_code_cell(
            f"# the panel arrangement (a plain grid: rearrange it to the paper's)\n"
            f"fig, axes = P.figure({mosaic!r}, width={3.3 * len(mosaic[0]):.1f}, row_height=2.7,\n"
            "                      title=P.subtitle(data))"),
    ]
    for name, p in spec["panels"].items():
        keys = axes_keys(name, p)
        if p["kind"] == "map":
            code = map_cell(name, p, model_default, keys)
        else:
            code = CELLS.get(p["kind"], generic_cell)(name, p, model_default, keys[0])
        md = panel_title(name, p, model_default) + "\n\n" + POINTER.format(figure=figure, panel=name)
        cells += [nbformat.v4.new_markdown_cell(md), nbformat.v4.new_code_cell(code)]
    cells += [
        nbformat.v4.new_code_cell("P.finish(fig, data)   # powers of ten into the labels, legends off the data\n"
                                  "P.save(fig, out_pdf, out_png)\nfig"),
        nbformat.v4.new_code_cell(
            "stab = data.stability\n"
            "print(stab['n_certified'], 'of', stab['n_points'], 'points certified:', stab['counts'])"),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main(argv=None, *, config: Path = ROOT / "config" / "config.yaml", notebooks: Path = HERE) -> Path:
    """Write ``notebooks/<figure>.ipynb`` for a figure of the config that has no notebook yet."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("figure", help="a figure under figures: in config/config.yaml that has no notebook yet")
    figure = ap.parse_args(argv).figure
    figures = yaml.safe_load(Path(config).read_text())["figures"]
    path = Path(notebooks) / f"{figure}.ipynb"
    if path.exists():
        sys.exit(f"{path} exists and is the source of {figure}'s drawing: edit it; this template "
                 "only writes the first version of a new figure's notebook")
    if figure not in figures or "panels" not in figures[figure]:
        sys.exit(f"figures.{figure}: not a figure with panels in {config}; add it there first")
    spec = figures[figure]
    model = spec.get("model") or _schema_default_model(Path(config).with_name("schema.yaml"))
    nbformat.write(notebook(figure, spec, default_variable(model)), path)
    print("wrote", path)
    return path


if __name__ == "__main__":
    main()
