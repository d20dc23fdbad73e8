"""Rule script: the mechanism claim rows (:func:`qorepro.workflow.mechanism_stage.stage`)."""
import os
import sys

snakemake = globals()["snakemake"]  # the object Snakemake injects into a rule's script
# a conda environment without the package: this checkout's sources
sys.path.append(os.path.join(snakemake.scriptdir, "..", "..", "src"))

from qorepro.workflow import jobs, mechanism_stage  # noqa: E402

jobs.run(snakemake, mechanism_stage.stage)
