# Stage 4 — plot: papermill runs notebooks/{figure}.ipynb with the run's paths as parameters;
# the executed notebook is kept beside the figure.  table1 is written as CSV + Markdown.


rule plot:
    input:
        notebook="notebooks/{figure}.ipynb",
        params=f"{R}/params/{{figure}}.json",
        stability=f"{R}/stability/{{figure}}.json",
        data=lambda wc: panel_files(wc.figure),
        code=PLOT_SOURCES,
    output:
        pdf=f"{R}/figures/{{figure}}.pdf",
        png=report(f"{R}/figures/{{figure}}.png", caption="../report/figure.rst",
                   category="1. Figures", subcategory="{figure}"),
        notebook=f"{R}/notebooks/{{figure}}.ipynb",
    params:
        data_dir=lambda wc: f"{R}/data/{wc.figure}",
    log:
        f"{R}/logs/plot/{{figure}}.log",
    wildcard_constraints:
        figure="|".join(FIGURES),
    shell:
        "{PY} -m papermill {input.notebook} {output.notebook} -k python3 --cwd . "
        "-p params_json {input.params} -p stability_json {input.stability} "
        "-p data_dir {params.data_dir} -p out_pdf {output.pdf} -p out_png {output.png} > {log} 2>&1"


rule make_table1:
    input:
        params=f"{R}/params/table1.json",
        stability=f"{R}/stability/table1.json",
        baseline=f"{R}/data/table1/baseline.nc",
    output:
        csv=report(f"{R}/tables/table1.csv", caption="../report/table1.rst", category="2. Table I"),
        md=f"{R}/tables/table1.md",
    params:
        experimental=json.dumps(config.get("table1", {}).get("experimental", {})),
        sagnac=config.get("table1", {}).get("sagnac_kHz", 6.0),
    localrule: True
    shell:
        "{PY} -m qorepro.workflow table1 --params {input.params} --baseline {input.baseline} "
        "--experimental '{params.experimental}' --sagnac-kHz {params.sagnac} "
        "--csv {output.csv} --md {output.md}"
