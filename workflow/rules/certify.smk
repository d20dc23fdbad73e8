# Stage 3 — certify: per-point verdicts are stored in every panel's NetCDF by the engine;
# this stage summarises them per figure (counts per verdict, every non-certified point).  The
# report shows the summaries of a run as one table (report.smk, provenance).


rule certify:
    input:
        params=lambda wc: params_file(wc.run, wc.figure),
        data=lambda wc: run_panel_files(wc.run, wc.figure),
    output:
        "results/{run}/stability/{figure}.json",
    log:
        "results/{run}/logs/certify/{figure}.log",
    localrule: True
    conda:
        ENV
    params:
        record_sha256=record_check(),
    script:
        "../scripts/certify.py"
