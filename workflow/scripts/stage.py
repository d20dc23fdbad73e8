"""Run one stage of ``python -m qorepro.workflow`` for the rule that calls this script.

Snakemake runs it with its own Python (or the rule's conda environment's), so no interpreter
path is spelled in a shell command.  The stage's arguments are the rule's ``params.args``;
``params.env`` (optional) is set before the engine is imported (XLA reads its flags once);
everything the stage prints — progress, logging, warnings of compiled libraries — goes to the
rule's log.
"""
import os
import sys

snakemake = globals()["snakemake"]  # the object Snakemake injects into a rule's script
try:
    import qorepro  # noqa: F401
except ImportError:  # a conda environment without the package: this checkout's sources
    sys.path.insert(0, os.path.join(snakemake.scriptdir, "..", "..", "src"))
os.environ.update(snakemake.params.get("env", {}))

from qorepro.workflow.jobs import run_logged  # noqa: E402 (after the environment is set)

run_logged(snakemake.params.args, snakemake.log[0])
