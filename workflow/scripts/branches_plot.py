"""Rule script: the branch figure of a target, its notebook executed with papermill (:func:`qorepro.workflow.branches_stage.plot_stage`)."""
import os
import sys

snakemake = globals()["snakemake"]  # the object Snakemake injects into a rule's script
# a conda environment without the package: this checkout's sources
sys.path.append(os.path.join(snakemake.scriptdir, "..", "..", "src"))

from qorepro.workflow import branches_stage, jobs  # noqa: E402

jobs.run(snakemake, branches_stage.plot_stage)
