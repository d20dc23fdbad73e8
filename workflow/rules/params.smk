# Stage 1 — params: base parameters + the figure's overrides + its sweep axes, resolved into
# results/{run}/params/{figure}.json, the single record of what is computed.  The record is
# also this rule's `params`, so Snakemake reruns it (and only it) when it changes.


rule params:
    output:
        report("results/{run}/params/{figure}.json", caption="../report/params.rst",
               category="4. Provenance", subcategory="{run}: {figure}"),
    params:
        record=lambda wc: json.dumps(resolve_figure(run_config(wc.run), wc.figure), sort_keys=True, indent=1),
    localrule: True
    run:
        with open(output[0], "w") as fh:
            fh.write(params.record)
