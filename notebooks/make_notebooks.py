"""Write the per-figure plotting notebooks from config/config.yaml (``python notebooks/make_notebooks.py``).

Each notebook: a title cell, the papermill ``parameters`` cell (run, params_json, stability_json,
data_dir, out_pdf, out_png — the plot rule passes them), one cell that loads the panels
(``plotting.load_panels``, which verifies every file's provenance), one cell with the layout
(the paper's panel arrangement) and then **one cell per panel** with the code that draws it,
using the small helpers of :mod:`qorepro.plotting`.  The generated code is meant to be read and
edited by hand: a notebook that exists is left alone unless ``--force`` (all) or figure names
are given.
"""
import sys
from pathlib import Path

import nbformat
import yaml

HERE = Path(__file__).resolve().parent

#: the paper's arrangement: mosaic of axes keys, figure width (in), row height (in)
LAYOUT = {
    "fig1": ([["c", "d"]], 6.4, 2.7),
    "fig2": ([["a", "b", "c"]], 9.0, 2.8),
    "fig3": ([["a", "b", "c"], ["d", "e", "f"]], 10.0, 2.8),
    "figS1": ([["a", "b"]], 6.4, 2.7),
    "figS2": ([["a1", "a1", "a1", "a2", "a2", "a2"], ["b1", "b1", "b2", "b2", "b3", "b3"]], 9.6, 2.9),
    "figS3": ([["a"]], 6.0, 3.0),
    "figS4": ([["a", "b"], ["c", "d"]], 6.8, 2.6),
    "figS5": ([["a", "b"]], 6.8, 2.7),
    "figS6": ([["a", "b", "c"], ["d", "e", "f"]], 10.0, 2.7),
    "figS7": ([["a", "b"], ["c", "d"], ["e", "f"]], 7.6, 2.5),
    "figS8": ([["a", "b"]], 6.8, 2.7),
    "figS9": ([["a", "b", "c"], ["d", "e", "f"]], 9.6, 2.7),
    "figS10": ([["a", "b"]], 7.0, 2.7),
    "figS11": ([["a"]], 4.2, 2.9),
    "jiao2020_fig1": ([["b"]], 4.2, 2.9),
    "jiao2020_fig2": ([["a", "b", "c"]], 10.0, 2.8),
    "jiao2020_fig3": ([["a", "b"], ["c", "d"], ["e", "f"]], 8.0, 2.5),
    "jiao2020_figS2": ([["b", "c1", "c2"]], 11.0, 2.8),
    "jiao2020_figS3": ([["a", "b"], ["c", "d"], ["e", "f"]], 8.0, 2.5),
    "jiao2020_figS4": ([["a", "b", "c"]], 10.5, 2.8),
    "jiao2022_fig2": ([["a", "b", "c"]], 9.6, 2.6),
    "jiao2022_fig3": ([["a", "b"], ["c", "d"], ["e", "f"]], 8.0, 2.5),
    "jiao2022_fig4": ([[["a1", "a2", "a3", "b1", "b2", "b3"], ["a4", "a5", "a6", "b4", "b5", "b6"]],
                       [["c1", "c2"]]], 10.0, 2.0),
    "refR1": ([["a", "b"]], 6.8, 2.7),
    "refR4": ([["a", "b", "c"], ["d", "e", "f"]], 10.0, 2.6),
    "refR5": ([["a", "b"]], 7.6, 2.8),
    "refSqueezing": ([["a", "b"]], 7.0, 2.7),
}
for _v in ("2", "3", "4"):
    LAYOUT[f"jiao2022_fig{_v}_cascaded_noise"] = LAYOUT[f"jiao2022_fig{_v}"]

#: panel names that are not the paper's letters → the letter(s) printed on the axes
LETTERS = {"figS9": {"OD": "abc", "CD": "def"}, "refR1": {"Kerr": "a", "Sagnac": "b"},
           "refSqueezing": {"K": "a", "Delta_m": "b"}}

DESCRIBE = {"line": "one curve per series", "map": "density map", "trace": "time traces",
            "sagnac": "frequency shift of the two input directions", "fizeau": "Sagnac–Fizeau shift",
            "revival": "revival factor (maximum over the swept detuning / the reference maximum)",
            "wigner": "Wigner projections and covariance"}


def _model_default_var(model):
    return "S_Q" if model == "lai2025" else "E_N"


def _axis(spec, key):
    a = spec.get(key)
    return a["axis"] if isinstance(a, dict) else None


def line_cell(fig, name, p, model, letter):
    x = _axis(p, "x")
    vs = p.get("variables") or [_model_default_var(model)]
    var_loop = len(vs) > 1
    lines = [f'ds, ax = data.panels["{name}"], axes["{letter}"]',
             f'names = data.series_labels("{name}")',
             "for i, s in enumerate(ds.series.values):",
             "    d = ds.sel(series=s)"]
    if var_loop:
        lines += [f"    for k, var in enumerate({vs!r}):",
                  f'        label = P.LABELS[var] + (f", {{names[s]}}" if names[s] else "")',
                  f'        P.line(ax, d["{x}"], d[var], d["certified"], label=label, color=P.color(i * {len(vs)} + k))']
        ylab = ", ".join(f"{{P.LABELS['{v}']}}" for v in vs)
        ylab_code = f'f"{ylab}"'
    else:
        v = vs[0]
        extra = ""
        if v == "S_Q" and model == "lai2025":
            extra = (',\n           band=(d["S_Q_min"], d["S_Q_max"]),   # min–max over the averaging window\n'
                     '           twa=(d["S_Q_twa"], d["S_Q_twa_err"]) if "S_Q_twa" in d else None')
        lines += [f'    P.line(ax, d["{x}"], d["{v}"], d["certified"], label=names[s], color=P.color(i){extra})']
        ylab_code = f'"{v}"'
    lines += [f"P.labels(ax, x=\"{x}\", y={ylab_code}, data=data)",
              "P.legend(ax)",
              f'P.panel_letter(ax, "{letter}")']
    return "\n".join(lines)


def map_cell(fig, name, p, model, letters):
    x, y = _axis(p, "x"), _axis(p, "y")
    vs = p.get("variables") or [_model_default_var(model)]
    lines = [f'ds = data.panels["{name}"]',
             f'd = ds.isel(series=0).transpose("{x}", "{y}", ...)']
    for var, letter in zip(vs, letters):
        lines.append(f'ax = axes["{letter}"]')
        if var == "verdict":
            lines += [f'P.verdict_map(ax, d["{x}"], d["{y}"], d["verdict"])']
        elif var == "theta":
            lines += [f'P.density(ax, d["{x}"], d["{y}"], d["theta"].sel(k=2), d["certified"],',
                      '          label=P.LABELS["theta"], diverging=True)']
        elif var == "Delta_E_N":
            lines += ["# the difference is certified where both input directions are",
                      f'P.density(ax, d["{x}"], d["{y}"], d["Delta_E_N"], d["certified_both"],',
                      '          label=P.LABELS["Delta_E_N"], diverging=True)']
        elif var in ("Theta5", "Theta6"):
            lines += [f'P.density(ax, d["{x}"], d["{y}"], d["{var}"], d["certified"],',
                      f'          label=P.LABELS["{var}"], diverging=True)']
        else:
            lines += [f'P.density(ax, d["{x}"], d["{y}"], d["{var}"], d["certified"], label=P.LABELS["{var}"])']
        lines += [f'P.labels(ax, x="{x}", y="{y}", data=data)']
        lines += [f'P.panel_letter(ax, "{letter}")']
    return "\n".join(lines)


def revival_cell(fig, name, p, model, letter):
    x, y = _axis(p, "x"), _axis(p, "y")
    over = _axis(p, "over")
    var = _model_default_var(model)
    lab = 'P.LABELS["revival"]' if model == "lai2025" else '"revival factor"'
    return "\n".join([
        f'ds, ax = data.panels["{name}"], axes["{letter}"]',
        f'd = ds.isel(series=0).transpose("{x}", "{y}", ...)',
        f"# hatched only where the maximum of {var} (or the reference maximum) is not certified",
        f'ok = P.revival_trust(ds.isel(series=0), "{var}", over={over!r}).transpose("{x}", "{y}")',
        f'P.density(ax, d["{x}"], d["{y}"], d["revival"], ok, label={lab}, cmap="magma")',
        f'P.labels(ax, x="{x}", y="{y}", data=data)',
        f'P.panel_letter(ax, "{letter}")'])


def trace_cell(fig, name, p, model, letter):
    vs = p.get("variables") or ["S_Q"]
    var = "S_C_t" if "S_C_t" in vs else "S_Q_t"
    return "\n".join([
        f'ds, ax = data.panels["{name}"], axes["{letter}"]',
        f'names = data.series_labels("{name}")',
        "for i, s in enumerate(ds.series.values):",
        "    d = ds.sel(series=s)",
        f'    ln = P.trace(ax, ds.t, d["{var}"], bool(d["certified"]), label=names[s], color=P.color(i),',
        '                 verdict=d["verdict"].item())',
        f'    if "{var}_twa" in d:',
        f'        ax.plot(ds.t, d["{var}_twa"], ":", color=ln.get_color(), label=f"{{names[s]}}, truncated Wigner")',
        'P.window(ax, ds.attrs["window_tau"])',
        f'P.labels(ax, x="t", y="{var[:-2]}", data=data)',
        "P.legend(ax)",
        f'P.panel_letter(ax, "{letter}")'])


def quadrature_cell(fig, name, p, model, letters):
    a, b, c = letters
    return "\n".join([
        f'ds = data.panels["{name}"]',
        "d = ds.isel(series=0)",
        "lo, hi = json.loads(ds.attrs['window_tau'])",
        "w = d.sel(t=slice(lo, hi))            # the averaging window: the settled oscillation",
        "for j, color, ls in ((1, \"C0\", \"-\"), (2, \"C1\", \"--\")):",
        f'    axes["{a}"].plot(w.t, w[f"X_b{{j}}"], ls, color=color, lw=0.9, label=rf"$\\langle X_{{{{b_{{j}}}}}}\\rangle$")',
        f'    axes["{b}"].plot(w.t, w[f"Y_b{{j}}"], ls, color=color, lw=0.9, label=rf"$\\langle Y_{{{{b_{{j}}}}}}\\rangle$")',
        f'    axes["{c}"].plot(w[f"X_b{{j}}"], w[f"Y_b{{j}}"], ls, color=color, lw=0.9, label=f"$j = {{j}}$")',
        f'P.labels(axes["{a}"], x="t", y=r"$\\langle X_{{b_j}}\\rangle$")',
        f'P.labels(axes["{b}"], x="t", y=r"$\\langle Y_{{b_j}}\\rangle$")',
        f'P.labels(axes["{c}"], x=r"$\\langle X_{{b_j}}\\rangle$", y=r"$\\langle Y_{{b_j}}\\rangle$")',
        f'for key in ("{a}", "{b}", "{c}"):',
        "    P.legend(axes[key])",
        "    P.panel_letter(axes[key], key)",
        f'case = data.series_labels("{name}")[str(d.series.values)]',
        f'axes["{c}"].set_title("\\n".join(filter(None, [case, P.verdict_text(d)])), loc="right", fontsize=7)'])


def sagnac_cell(fig, name, p, model, letter):
    x = _axis(p, "x")
    var = "sigma_a" if model == "lai2025" else "Delta_F_MHz"
    return "\n".join([
        f'ds, ax = data.panels["{name}"], axes["{letter}"]',
        f'names = data.series_labels("{name}")',
        "for i, s in enumerate(ds.series.values):",
        f'    ax.plot(ds["{x}"], ds["{var}"].sel(series=s), color=P.color(i), label=names[s])',
        'ax.axhline(0, color="k", lw=0.5)',
        f'P.labels(ax, x="{x}", y="{var}", data=data)',
        "P.legend(ax)",
        f'P.panel_letter(ax, "{letter}")'])


def wigner_cells(fig, name, p, model):
    head = "\n".join([
        "# (a) left and (b) right input: 1/e contours of the 2-D marginals of W(ψ), ψ = (q_l, p_l, q_r, p_r);",
        "# vacuum dashed.  A covariance that violates the uncertainty relation is not a quantum state:",
        "# its contour is drawn dotted and the panel says so.",
        "PAIRS = ((0, 1), (2, 3), (0, 2), (1, 3), (0, 3), (1, 2))",
        f'ds = data.panels["{name}"]',
        'quad = [str(v) for v in ds["mrow"].values]',
        'tex = {q: "$" + q.replace("_", "_{") + "}$" for q in quad}'])
    cells = [head]
    for letter, s, color in (("a", "left", "#1f77b4"), ("b", "right", "#d62728")):
        cells.append("\n".join([
            f'd = ds.sel(series="{s}")',
            "physical = P.is_physical(d)",
            f'label = "{s} input" + ("" if physical else " (unphysical)")',
            "for k, (i, j) in enumerate(PAIRS, 1):",
            f'    ax = axes[f"{letter}{{k}}"]',
            f'    P.wigner_ellipse(ax, d["V_mech"], i, j, color="{color}", ls="-" if physical else ":", label=label)',
            "    P.vacuum(ax)",
            "    ax.set_xlabel(tex[quad[i]], labelpad=1)",
            "    ax.set_ylabel(tex[quad[j]], labelpad=1)",
            "    if not physical and k == 1:",
            "        P.unphysical_tag(ax)",
            f'    P.panel_letter(ax, f"{letter}{{k}}")',
            f'axes["{letter}3"].set_title(label.replace(" (", "\\n("), loc="right", fontsize=7, color="{color}")']))
    cells.append("\n".join([
        "# (c) reduced covariance matrix V_μν of the two oscillators, left and right input",
        'vmax = float(abs(ds["V_mech"]).max())',
        'for key, s in (("c1", "left"), ("c2", "right")):',
        "    d = ds.sel(series=s)",
        '    P.covariance_matrix(axes[key], d["V_mech"], [tex[q] for q in quad], vmax=vmax)',
        '    axes[key].set_title(f"{s} input", loc="right", fontsize=7.5)',
        '    axes[key].set_xlabel(P.verdict_text(d), color="crimson", fontsize=7)',
        "    P.panel_letter(axes[key], key)"]))
    return cells


def panel_cells(fig, name, p, model):
    """(markdown, code) cells for one panel."""
    kind = p["kind"]
    letters = LETTERS.get(fig, {}).get(name, name)
    what = DESCRIBE.get(kind, kind)
    vs = p.get("variables") or ([_model_default_var(model)] if kind in ("line", "map", "trace") else [])
    axes_ = [a for a in (_axis(p, "x"), _axis(p, "y")) if a]
    title = f"**Panel {name}** — {kind}, {what}"
    if vs and axes_:
        title += f": {', '.join(vs)} versus {' and '.join(axes_)}"
    if p.get("series"):
        title += f"; series {', '.join(p['series'])}"
    if p.get("fixed"):
        title += f"; fixed {', '.join(f'{k} = {v}' for k, v in p['fixed'].items())}"
    if kind == "line":
        return [(title, line_cell(fig, name, p, model, letters))]
    if kind == "map":
        vs = p.get("variables") or ["x"]
        keys = [letters] if len(vs) == 1 else [f"{letters}{i}" for i in range(1, len(vs) + 1)]
        return [(title, map_cell(fig, name, p, model, keys))]
    if kind == "revival":
        return [(title, revival_cell(fig, name, p, model, letters))]
    if kind == "trace":
        if "X_b" in (p.get("variables") or []):
            keys = list(letters) if len(letters) == 3 else [f"{letters}{i}" for i in (1, 2, 3)]
            return [(title + " (⟨X⟩(t), ⟨Y⟩(t) and the limit cycle in the averaging window)",
                     quadrature_cell(fig, name, p, model, keys))]
        return [(title, trace_cell(fig, name, p, model, letters))]
    if kind in ("sagnac", "fizeau"):
        return [(title, sagnac_cell(fig, name, p, model, letters))]
    if kind == "wigner":
        c = wigner_cells(fig, name, p, model)
        return [(f"**Fig. 4** of Jiao et al. 2022: {what}", c[0]), ("**(a)** left input", c[1]),
                ("**(b)** right input", c[2]), ("**(c)** reduced covariance matrix", c[3])]
    raise ValueError(f"{fig}/{name}: no notebook template for kind {kind!r}")


def _note(spec):
    if any(p["kind"] == "wigner" for p in spec["panels"].values()):
        return (', note="a, b: 1/e contours of the 2-D marginals of the Wigner function (solid; dotted where the '
                'covariance is unphysical), vacuum dashed"')
    return ""


def notebook(figure: str, spec: dict) -> nbformat.NotebookNode:
    model = spec.get("model", "lai2025")
    mosaic, width, row_h = LAYOUT[figure]
    nb = nbformat.v4.new_notebook()
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
            "Each panel is drawn in its own cell below; the helpers are in `src/qorepro/plotting.py`."),
        params,
        nbformat.v4.new_code_cell(
            "import json\n\nfrom qorepro import plotting as P\n\n"
            "P.apply_style()\n"
            "data = P.load_panels(data_dir, params_json, stability_json)   # verifies each file's provenance\n"
            "{name: dict(ds.sizes) for name, ds in data.panels.items()}"),
        nbformat.v4.new_code_cell(
            f"# the paper's panel arrangement\nfig, axes = P.figure({mosaic!r}, width={width}, row_height={row_h},\n"
            "                      title=P.subtitle(data))"),
    ]
    for name, p in spec["panels"].items():
        for md, code in panel_cells(figure, name, p, model):
            cells += [nbformat.v4.new_markdown_cell(md), nbformat.v4.new_code_cell(code)]
    cells += [
        nbformat.v4.new_code_cell(f"P.finish(fig, data{_note(spec)})   # powers of ten into the labels, legends off the data\n"
                                  "P.save(fig, out_pdf, out_png)\nfig"),
        nbformat.v4.new_code_cell(
            "stab = data.stability\n"
            "print(stab['n_certified'], 'of', stab['n_points'], 'points certified:', stab['counts'])"),
    ]
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main(argv) -> None:
    force = "--force" in argv
    only = [a for a in argv if not a.startswith("-")]
    cfg = yaml.safe_load((HERE.parent / "config" / "config.yaml").read_text())
    for fig, spec in cfg["figures"].items():
        if fig == "table1" or (only and fig not in only):
            continue
        path = HERE / f"{fig}.ipynb"
        if path.exists() and not (force or only):
            continue
        nbformat.write(notebook(fig, spec), path)
        print("wrote", path)


if __name__ == "__main__":
    main(sys.argv[1:])
