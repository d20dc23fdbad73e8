# Claims audit: every claim in config/claims.yaml evaluated on the NetCDF panels it reads →
# results/{run}/claims.csv and claims.md.  Reruns only when those datasets (or the claims
# file, or the evaluators) change.
import yaml

with open(config["claims_file"]) as _fh:
    CLAIMS = yaml.safe_load(_fh)
CLAIM_DATA = sorted({f"{R}/data/{k}.nc" for c in CLAIMS["claims"] for k in c["datasets"]})


rule claims:
    input:
        data=CLAIM_DATA,
        claims=config["claims_file"],
        code=[os.path.join(_SRC, "claims.py"), os.path.join(_SRC, "workflow", "claims_report.py")],
    output:
        csv=report(f"{R}/claims.csv", caption="../report/claims.rst", category="3. Claims audit"),
        md=f"{R}/claims.md",
    localrule: True
    shell:
        "{PY} -m qorepro.workflow claims --claims {input.claims} --data-dir {R}/data --run {RUN} "
        "--csv {output.csv} --md {output.md}"
