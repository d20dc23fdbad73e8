# Stage 4 — plot: papermill runs notebooks/{figure}.ipynb with the run's paths as parameters;
# the executed notebook is kept beside the figure.  table1 is written as CSV + Markdown.


rule plot:
    input:
        notebook="notebooks/{figure}.ipynb",
        params=lambda wc: params_file(wc.run, wc.figure),
        stability="results/{run}/stability/{figure}.json",
        data=lambda wc: run_panel_files(wc.run, wc.figure),
        code=PLOT_SOURCES,
    output:
        pdf="results/{run}/figures/{figure}.pdf",
        png=report(
            "results/{run}/figures/{figure}.png",
            caption="../report/figure.rst",
            category="1. Figures",
            subcategory=figure_subcategory,
            labels=figure_labels("figure"),
        ),
        notebook="results/{run}/notebooks/{figure}.ipynb",
    log:
        "results/{run}/logs/plot/{figure}.log",
    wildcard_constraints:
        figure="|".join(FIGURES + REFEREE),
    localrule: True  # a few seconds of matplotlib: not worth a cluster job
    conda:
        ENV
    params:
        record_sha256=record_check(),
        data_dir=lambda wc: f"results/{data_run(wc.run, wc.figure)}/data/{wc.figure}",
    script:
        "../scripts/plot.py"


rule make_table1:
    input:
        params=lambda wc: params_file(wc.run, "table1"),
        stability="results/{run}/stability/table1.json",
        baseline=lambda wc: run_panel_files(wc.run, "table1")[0],
    output:
        csv="results/{run}/tables/table1.csv",
        md="results/{run}/tables/table1.md",
    log:
        "results/{run}/logs/table1.log",
    localrule: True
    conda:
        ENV
    params:
        record_sha256=record_check("table1"),
        experimental=lambda wc: run_config(wc.run).get("table1", {}).get("experimental", {}),
        sagnac_kHz=lambda wc: run_config(wc.run).get("table1", {}).get("sagnac_kHz", 6.0),
    script:
        "../scripts/table1.py"
