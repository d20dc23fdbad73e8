"""Rule script: a figure's chunk results merged into its panel files (:func:`qorepro.workflow.stages.merge_chunks`)."""
import os
import sys

snakemake = globals()["snakemake"]  # the object Snakemake injects into a rule's script
# a conda environment without the package: this checkout's sources
sys.path.append(os.path.join(snakemake.scriptdir, "..", "..", "src"))

from qorepro.workflow import jobs, stages  # noqa: E402

jobs.run(snakemake, stages.merge_chunks)
