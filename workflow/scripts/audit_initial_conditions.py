"""Rule script: the initial-conditions audit (:func:`qorepro.workflow.stages.audit_initial_conditions`)."""
import os
import sys

snakemake = globals()["snakemake"]  # the object Snakemake injects into a rule's script
# a conda environment without the package: this checkout's sources
sys.path.append(os.path.join(snakemake.scriptdir, "..", "..", "src"))

from qorepro.workflow import jobs, stages  # noqa: E402

jobs.run(snakemake, stages.audit_initial_conditions)
