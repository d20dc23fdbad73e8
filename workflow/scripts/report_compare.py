"""Rule script: the report card of a compared run (:func:`qorepro.workflow.stages.report_compare`)."""
import os
import sys

snakemake = globals()["snakemake"]  # the object Snakemake injects into a rule's script
# a conda environment without the package: this checkout's sources
sys.path.append(os.path.join(snakemake.scriptdir, "..", "..", "src"))

from qorepro.workflow import jobs, stages  # noqa: E402

jobs.run(snakemake, stages.report_compare)
