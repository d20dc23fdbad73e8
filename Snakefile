# Reproduction of Lai, Miranowicz & Nori, "Nonreciprocal quantum synchronization" (2025).
#
#   snakemake figS7            one figure (params → sweep → certify → plot)
#   snakemake                  everything (= all: paper + si)
#   snakemake --config preset=paper run=paper-res
#   snakemake --configfile my_variant.yaml
#   snakemake claims           the claims audit → results/<run>/claims.{csv,md}
#   snakemake --report report.html   one self-contained HTML report of the run
#   snakemake referee          referee figures R1/R4/R5/squeezing, experimental column, audits
#
# Stages live in workflow/rules/*.smk; figure definitions in config/config.yaml (figures:);
# physics in src/qorepro; plotting notebooks in notebooks/<figure>.ipynb.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


# the default target: every figure and table of the paper and SI, and the claims audit
rule all:
    default_target: True
    input:
        figure_files(FIGURES),
        f"{R}/tables/table1.csv",
        f"{R}/tables/table1.md",
        f"{R}/claims.csv",
        f"{R}/claims.md",
        f"{R}/MANIFEST",


include: "workflow/rules/sweep.smk"
include: "workflow/rules/certify.smk"
include: "workflow/rules/plot.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/verify.smk"
include: "workflow/rules/referee.smk"
include: "workflow/rules/targets.smk"
