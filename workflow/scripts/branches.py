"""Rule script: the limit-cycle branches of a share of the traced panels (:func:`qorepro.workflow.branches_stage.stage`)."""
import os
import sys

snakemake = globals()["snakemake"]  # the object Snakemake injects into a rule's script
# a conda environment without the package: this checkout's sources
sys.path.append(os.path.join(snakemake.scriptdir, "..", "..", "src"))

from qorepro.workflow import branches_stage, jobs  # noqa: E402

jobs.run(snakemake, branches_stage.stage)
