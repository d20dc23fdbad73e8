# Verification: every panel file of a run's figures, Table I and claims (the referee figures
# are verified where they are consumed, not listed) is checked against its params record and
# listed, with the records, by sha256 in results/{run}/MANIFEST; `python -m qorepro verify
# results/<run>` re-checks a run offline, and the report shows the manifest.


def manifest_files(run):
    figs = [f for f in run_figures(run) if f in FIGURES or f == "table1"]
    panels = [p for f in figs for p in run_panel_files(run, f)]
    records = sorted({params_file(run, f) for f in figs} | {params_file(data_run(run, f), f) for f in figs})
    return {"records": records, "panels": panels}


rule manifest:
    input:
        records=lambda wc: manifest_files(wc.run)["records"],
        panels=lambda wc: manifest_files(wc.run)["panels"],
    output:
        report("results/{run}/MANIFEST", caption="../report/manifest.rst",
               category="4. Provenance", subcategory="{run}"),
    localrule: True
    shell:
        "{PY} -m qorepro.workflow manifest --run-dir results/{wildcards.run} --out {output} "
        "--records {input.records} --panels {input.panels}"
