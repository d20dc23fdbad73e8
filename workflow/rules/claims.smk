# Claims audit: every claim in config/claims.yaml evaluated on the NetCDF panels it reads →
# results/{run}/claims.csv and claims.md.  Reruns only when those datasets (or the claims
# file, or the evaluators) change.  A run with a `scope` evaluates the claims whose datasets
# it builds and lists the others as not evaluated.
with open(config["claims_file"]) as _fh:
    CLAIMS = yaml.load(_fh, Loader=yaml.CSafeLoader)
CLAIM_KEYS = sorted({k for c in CLAIMS["claims"] for k in c["datasets"]})
CLAIMS_CODE = [os.path.join(_SRC, "claims", f) for f in ("__init__.py", "base.py", "decide.py", "lai2025.py", "jiao.py")] + [
    os.path.join(_SRC, "workflow", "claims_report.py")]


def claim_datasets(run):
    """key (figure/panel) → the panel file `run` reads, for the claims within its scope."""
    figs = set(run_figures(run))
    out = {}
    for key in CLAIM_KEYS:
        fig, panel = key.split("/")
        if fig in figs:
            out[key] = f"results/{data_run(run, fig)}/data/{fig}/{panel}.nc"
    return out


def dataset_args(run):
    return " ".join(f"--dataset {k}={p}" for k, p in claim_datasets(run).items())


rule claims_of_run:
    input:
        data=lambda wc: list(claim_datasets(wc.run).values()),
        claims=config["claims_file"],
        code=CLAIMS_CODE,
    output:
        csv=report("results/{run}/claims.csv", caption="../report/claims.rst",
                   category="3. Claims audit", subcategory="{run}"),
        md="results/{run}/claims.md",
    params:
        datasets=lambda wc: dataset_args(wc.run),
    localrule: True
    shell:
        "{PY} -m qorepro.workflow claims --claims {input.claims} {params.datasets} "
        "--run {wildcards.run} --csv {output.csv} --md {output.md}"


rule claims:
    input:
        f"{R}/claims.csv",
        f"{R}/claims.md",
    localrule: True
