# Variant comparison (issue 22): `snakemake compare_<run>` sets a run beside the run it is
# compared with — what changed (params_diff), how the claims moved (claims_diff), per-panel
# differences (data/, NetCDF) and overlay figures → results/compare/<run>/, plus its report card
# (category "Variants").  Targets: every declared variant (against the main run, or
# `compare_against`), and an ad-hoc run given with `--configfile my_variant.yaml` and its own
# `run:` — that run is this invocation's main run, so it is compared with `compare_against`, or
# else with the run of the configuration without that file (its `run:`, e.g. `baseline`), which
# is rebuilt as one more run of the DAG (compare_runs.smk; this file comes before the rules that
# build runs).  A run compared with itself is refused before any job.


include: "compare_runs.smk"


rule compare:
    input:
        unpack(compare_inputs),
    output:
        summary="results/compare/{run}/summary.json",
        params_csv="results/compare/{run}/params_diff.csv",
        params_md="results/compare/{run}/params_diff.md",
        claims_csv="results/compare/{run}/claims_diff.csv",
        claims_md="results/compare/{run}/claims_diff.md",
    log:
        "results/compare/{run}/logs/compare.log",
    localrule: True
    conda:
        ENV
    params:
        main_dir=lambda wc: f"results/{compare_against(wc.run)}",
        variant_dir=lambda wc: f"results/{wc.run}",
        figures=lambda wc: compare_figures(wc.run),
        data_dirs=compare_dirs,
    script:
        "../scripts/compare.py"


rule compare_figure:
    input:
        unpack(
            lambda wc: {
                "params": [params_file(r, wc.figure) for r in (compare_against(wc.run), wc.run)],
                "panels": [p for r in (compare_against(wc.run), wc.run) for p in run_panel_files(r, wc.figure)],
            }
        ),
        code=PLOT_SOURCES + [os.path.join(_SRC, "compare_plot.py")],
    output:
        pdf="results/compare/{run}/figures/{figure}.pdf",
        png="results/compare/{run}/figures/{figure}.png",
    log:
        "results/compare/{run}/logs/{figure}.log",
    localrule: True
    conda:
        ENV
    params:
        main_dir=lambda wc: f"results/{compare_against(wc.run)}",
        variant_dir=lambda wc: f"results/{wc.run}",
        data_dirs=compare_dirs,
    script:
        "../scripts/compare_figure.py"


rule report_compare:
    input:
        summary="results/compare/{run}/summary.json",
        params_md="results/compare/{run}/params_diff.md",
        claims_csv="results/compare/{run}/claims_diff.csv",
        pngs=lambda wc: [f"results/compare/{wc.run}/figures/{f}.png" for f in overlay_figures(wc.run)],
    output:
        html=report(
            "results/compare/{run}/report/compare.html",
            caption="../report/compare.rst",
            category="6. Variants",
            subcategory="{run}",
            labels=lambda wc: {"run": wc.run, "against": compare_against(wc.run)},
        ),
        front="results/compare/{run}/report/front.html",
    log:
        "results/compare/{run}/logs/report.log",
    localrule: True
    conda:
        ENV
    params:
        shared=lambda wc: shared_figures(wc.run),
    script:
        "../scripts/report_compare.py"


for _run in COMPARED:

    rule:
        name:
            f"compare_{_run}"
        input:
            # a function: which figures get an overlay needs the run's records, built only
            # when this target is planned (an invalid variant must not break other targets)
            lambda wc, r=_run: compare_files(r),
        localrule: True
