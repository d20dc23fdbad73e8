"""Rule script: a run beside the run it is compared with (:func:`qorepro.workflow.stages.compare`)."""
import os
import sys

snakemake = globals()["snakemake"]  # the object Snakemake injects into a rule's script
# a conda environment without the package: this checkout's sources
sys.path.append(os.path.join(snakemake.scriptdir, "..", "..", "src"))

from qorepro.workflow import jobs, stages  # noqa: E402

jobs.run(snakemake, stages.compare)
