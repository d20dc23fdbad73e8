# Claims audit: every claim in the run's claims file (config/claims.yaml; a variant may set its own) evaluated on the NetCDF panels it reads →
# results/{run}/claims.csv and claims.md.  Reruns only when those datasets (or the claims
# file, or the evaluators) change.  A run with a `scope` evaluates the claims whose datasets
# it builds and lists the others as not evaluated.
rule claims_of_run:
    input:
        data=lambda wc: list(claim_datasets(wc.run).values()),
        claims=lambda wc: claims_file(wc.run),
        code=CLAIMS_CODE,
    output:
        csv=report(
            "results/{run}/claims.csv",
            caption="../report/claims.rst",
            category="3. Claims audit",
            subcategory="{run}",
        ),
        md="results/{run}/claims.md",
    log:
        "results/{run}/logs/claims.log",
    localrule: True
    conda:
        ENV
    params:
        datasets=lambda wc: claim_datasets(wc.run),
        run=lambda wc: wc.run,
        measure="S_Q",
    script:
        "../scripts/claims.py"


rule claims:
    input:
        f"{R}/claims.csv",
        f"{R}/claims.md",
    localrule: True
