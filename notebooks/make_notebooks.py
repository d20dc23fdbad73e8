"""Write the thin per-figure plotting notebooks (run once when a figure is added).

Each notebook has a papermill ``parameters`` cell with defaults pointing at the baseline run,
so it also runs on its own (``jupyter nbconvert --execute`` or papermill) once the data exist.
Existing notebooks are left alone unless ``--force`` is given.
"""
import sys
from pathlib import Path

import nbformat
import yaml

HERE = Path(__file__).resolve().parent


def notebook(figure: str, title: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        f'run = "baseline"\n'
        f'params_json = f"results/{{run}}/params/{figure}.json"\n'
        f'stability_json = f"results/{{run}}/stability/{figure}.json"\n'
        f'data_dir = f"results/{{run}}/data/{figure}"\n'
        f'out_pdf = f"results/{{run}}/figures/{figure}.pdf"\n'
        f'out_png = f"results/{{run}}/figures/{figure}.png"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {figure}: {title}\n\nDrawn from the run's NetCDF panels; "
                                      "uncertified points are marked (red crosses / hatching)."),
        params,
        nbformat.v4.new_code_cell(
            "import json\nfrom qorepro import plotting\n\n"
            "fig = plotting.plot_figure(params_json, stability_json, data_dir)\n"
            "plotting.save(fig, out_pdf, out_png)\nfig"),
        nbformat.v4.new_code_cell(
            "with open(stability_json) as fh:\n    stab = json.load(fh)\n"
            "print(stab['n_certified'], 'of', stab['n_points'], 'points certified:', stab['counts'])"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def main(force: bool = False) -> None:
    cfg = yaml.safe_load((HERE.parent / "config" / "config.yaml").read_text())
    for fig, spec in cfg["figures"].items():
        if fig == "table1":
            continue
        path = HERE / f"{fig}.ipynb"
        if path.exists() and not force:
            continue
        nbformat.write(notebook(fig, spec.get("title", fig)), path)
        print("wrote", path)


if __name__ == "__main__":
    main(force="--force" in sys.argv)
