# Reproduction of Lai, Miranowicz & Nori, "Nonreciprocal quantum synchronization" (2025).
#
#   snakemake figS7            one figure (params → sweep → certify → plot)
#   snakemake                  everything (= all: paper + si)
#   snakemake --config preset=paper run=paper-res
#   snakemake --configfile my_variant.yaml
#   snakemake claims           the claims audit → results/<run>/claims.{csv,md}
#   snakemake --report report.html   one self-contained HTML report of the run (after `snakemake`)
#   snakemake compare_experimental   a variant beside the main run → results/compare/experimental/
#   snakemake referee          referee figures R1/R4/R5/squeezing, experimental column, audits
#
# Stages (workflow/rules/*.smk), per figure of a run:
#   params   config → results/<run>/params/<figure>.json, the resolved record (a job: planning,
#            even `snakemake -n`, writes nothing; a changed record reruns what reads it)
#   sweep    record → results/<run>/data/<figure>/<panel>.nc (chunk jobs + merge for large figures)
#   certify  panels → results/<run>/stability/<figure>.json (per-verdict counts)
#   plot     notebooks/<figure>.ipynb executed → results/<run>/figures/<figure>.{pdf,png}
# then per run: Table I, the claims audit, the MANIFEST (verify.smk), the report pages, and the
# referee targets.  Each rule's script (workflow/scripts/<stage>.py) calls one function of
# qorepro.workflow.stages with the rule's inputs, outputs and params.  Figure definitions live
# in config/config.yaml (figures:); physics in src/qorepro; plotting notebooks in notebooks/.
import os

from snakemake.utils import min_version

min_version("9.0")

# every path of the workflow (config/, notebooks/, results/) is relative to the project folder:
# a run started elsewhere (`snakemake -s …/Snakefile`) would read no configuration and write
# results beside the caller, so it is refused in one line
if os.path.realpath(os.getcwd()) != os.path.realpath(workflow.basedir):
    raise WorkflowError(
        f"run Snakemake in the project folder {workflow.basedir} (cd there, or add --directory {workflow.basedir})"
    )


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
        report_pages(RUN, FIGURES),
        f"{R}/MANIFEST",


include: "workflow/rules/compare.smk"  # before the rules: it may add the reference run
include: "workflow/rules/params.smk"
include: "workflow/rules/sweep.smk"
include: "workflow/rules/certify.smk"
include: "workflow/rules/plot.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/verify.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/branches.smk"
include: "workflow/rules/referee.smk"
include: "workflow/rules/mechanism.smk"  # after branches.smk: it reads the branch targets
include: "workflow/rules/targets.smk"
