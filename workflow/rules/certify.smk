# Stage 3 — certify: per-point verdicts are stored in every panel's NetCDF by the engine;
# this stage summarises them per figure (counts per verdict, every non-certified point).


rule certify:
    input:
        lambda wc: panel_files(wc.figure, wc.run),
    output:
        report("results/{run}/stability/{figure}.json", caption="../report/stability.rst",
               category="4. Provenance", subcategory="{run}: {figure}"),
    localrule: True
    shell:
        "{PY} -m qorepro.workflow certify --figure {wildcards.figure} --out {output} {input}"
