"""Rule script: the Table I page of the report (:func:`qorepro.workflow.stages.report_table1`)."""
import os
import sys

snakemake = globals()["snakemake"]  # the object Snakemake injects into a rule's script
# a conda environment without the package: this checkout's sources
sys.path.append(os.path.join(snakemake.scriptdir, "..", "..", "src"))

from qorepro.workflow import jobs, stages  # noqa: E402

jobs.run(snakemake, stages.report_table1)
