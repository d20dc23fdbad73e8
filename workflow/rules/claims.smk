# Claims audit: every claim in config/claims.yaml evaluated on the NetCDF panels it reads →
# results/{run}/claims.csv and claims.md.  Reruns only when those datasets (or the claims
# file, or the evaluators) change.
with open(config["claims_file"]) as _fh:
    CLAIMS = yaml.safe_load(_fh)
CLAIM_KEYS = sorted({k for c in CLAIMS["claims"] for k in c["datasets"]})


rule claims_of_run:
    input:
        data=lambda wc: [f"results/{wc.run}/data/{k}.nc" for k in CLAIM_KEYS],
        claims=config["claims_file"],
        code=[os.path.join(_SRC, "claims.py"), os.path.join(_SRC, "workflow", "claims_report.py")],
    output:
        csv=report("results/{run}/claims.csv", caption="../report/claims.rst",
                   category="3. Claims audit", subcategory="{run}"),
        md="results/{run}/claims.md",
    localrule: True
    shell:
        "{PY} -m qorepro.workflow claims --claims {input.claims} --data-dir results/{wildcards.run}/data "
        "--run {wildcards.run} --csv {output.csv} --md {output.md}"


rule claims:
    input:
        f"{R}/claims.csv",
        f"{R}/claims.md",
    localrule: True
