# Stage 3 — certify: per-point verdicts are stored in every panel's NetCDF by the engine;
# this stage summarises them per figure (counts per verdict, every non-certified point).


rule certify:
    input:
        params=lambda wc: params_file(wc.run, wc.figure),
        data=lambda wc: run_panel_files(wc.run, wc.figure),
    output:
        report("results/{run}/stability/{figure}.json", caption="../report/stability.rst",
               category="4. Provenance", subcategory="{run}: {figure}"),
    localrule: True
    shell:
        "{PY} -m qorepro.workflow certify --figure {wildcards.figure} --params {input.params} "
        "--out {output} {input.data}"
