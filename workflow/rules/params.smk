# Stage 1 — params: each figure's configuration resolved (presets, axes, overrides, solver) into
# its record results/{run}/params/{figure}.json, the one file every later stage reads.  The
# planning only derives the record in memory (common.smk); this job writes it.  Its param is the
# record's sha256, so Snakemake's `params` rerun trigger rewrites it when the configuration gives
# another record, and everything that reads it reruns after it.  A job reading a record checks it
# against the same digest (stages.load_record): a record edited by hand is refused, not used
# (`--forcerun <record>` rewrites it and reruns what is computed from it).  The job writes it
# atomically through the stage harness (a full disk: one line naming the file, no `.part` left).


rule params:
    output:
        "results/{run}/params/{figure}.json",
    log:
        "results/{run}/logs/params/{figure}.log",
    localrule: True  # a few kB of JSON: written by the Snakemake process itself
    conda:
        ENV
    params:
        record_sha256=record_check(),
        record=lambda wc: record_text(wc.run, wc.figure),
    script:
        "../scripts/params.py"
