# Report pages: what `snakemake --report report.html` shows inline (Snakemake renders HTML
# results in the page; CSV and JSON only as downloads).  Per run: the claims table, Table I,
# one stability/provenance table, and one card per figure (what the paper's figure shows, how
# to read this run's version, the claims evaluated on it with their verdicts, the figure).
# The front page (workflow/report/workflow.rst) shows the main run's claim verdicts.


rule report_claims:
    input:
        csv="results/{run}/claims.csv",
    output:
        html=report(
            "results/{run}/report/claims.html",
            caption="../report/claims.rst",
            category="3. Claims audit",
            subcategory="{run}",
        ),
        summary="results/{run}/report/claims_summary.html",
    log:
        "results/{run}/logs/report/claims.log",
    localrule: True
    conda:
        ENV
    script:
        "../scripts/report_claims.py"


rule report_table1:
    input:
        csv="results/{run}/tables/table1.csv",
    output:
        report(
            "results/{run}/report/table1.html",
            caption="../report/table1.rst",
            category="2. Table I",
            subcategory="{run}",
        ),
    log:
        "results/{run}/logs/report/table1.log",
    localrule: True
    conda:
        ENV
    script:
        "../scripts/report_table1.py"


rule report_provenance:
    input:
        stability=lambda wc: [f"results/{wc.run}/stability/{f}.json" for f in provenance_figures(wc.run)],
        params=lambda wc: [params_file(wc.run, f) for f in provenance_figures(wc.run)],
        data=lambda wc: [p for f in provenance_figures(wc.run) for p in run_panel_files(wc.run, f)],
    output:
        report(
            "results/{run}/report/provenance.html",
            caption="../report/stability.rst",
            category="4. Provenance",
            subcategory="{run}",
        ),
    log:
        "results/{run}/logs/report/provenance.log",
    localrule: True
    conda:
        ENV
    params:
        figures=lambda wc: provenance_figures(wc.run),
        # figure → its panel files: each summary is checked against the panels it summarises
        panels=lambda wc: {f: run_panel_files(wc.run, f) for f in provenance_figures(wc.run)},
    script:
        "../scripts/report_provenance.py"


rule report_figure:
    input:
        png="results/{run}/figures/{figure}.png",
        stability="results/{run}/stability/{figure}.json",
        params=lambda wc: params_file(wc.run, wc.figure),
        data=lambda wc: run_panel_files(wc.run, wc.figure),
        claims="results/{run}/claims.csv",
        descriptions=FIGURE_DESCRIPTIONS,
    output:
        report(
            "results/{run}/report/figures/{figure}.html",
            caption="../report/figure_card.rst",
            category="1. Figures",
            subcategory=figure_subcategory,
            labels=figure_labels("card: what it shows, claims"),
        ),
    log:
        "results/{run}/logs/report/{figure}.log",
    wildcard_constraints:
        figure="|".join(FIGURES + REFEREE),
    localrule: True
    conda:
        ENV
    script:
        "../scripts/report_figure.py"
