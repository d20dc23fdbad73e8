"""Execute the figure's notebook with papermill (the rule's inputs and outputs as parameters);
the progress of its cells goes to the rule's log."""
import os
import sys

snakemake = globals()["snakemake"]  # the object Snakemake injects into a rule's script
try:
    import qorepro  # noqa: F401
except ImportError:  # a conda environment without the package: this checkout's sources
    sys.path.insert(0, os.path.join(snakemake.scriptdir, "..", "..", "src"))

from qorepro.workflow.jobs import execute_notebook  # noqa: E402

execute_notebook(snakemake)
