"""How a Snakemake job runs a stage: in the interpreter Snakemake gives the rule's ``script:``,
with everything it writes sent to the job's log.

:func:`run` calls one stage function of :mod:`qorepro.workflow.stages` with the job's
``snakemake`` object and the streams its progress lines go to (the log and the terminal
Snakemake runs in, which :func:`logged` hands over — no global holds it).
"""
from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys

from .provenance import ProvenanceError


@contextlib.contextmanager
def logged(path: str):
    """Send this process's stdout and stderr — Python's and the file descriptors compiled
    libraries write to — to ``path`` while the block runs; yields the stream that was stderr
    before (the terminal Snakemake runs in, or a cluster job's log), for progress lines worth
    seeing while a job runs."""
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved[1]), "w", buffering=1)
    with open(path, "w", buffering=1) as fh:
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        try:
            with contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
                yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            terminal.close()


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, handlers=[logging.StreamHandler(sys.stderr)], force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # JAX reports at INFO that it probed for a TPU: noise in every sweep log
    logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)


def run(snakemake, stage) -> None:
    """Run ``stage(snakemake, progress)`` for the rule whose script calls this.

    The rule's ``params.env`` (optional) is set before the stage imports the engine (XLA reads
    its flags once); everything the stage prints goes to the rule's log, progress lines also to
    the terminal.  A provenance failure or a full disk ends the job with one line naming the
    file (exit status 1, no traceback); any other failure raises (Snakemake marks the job
    failed and shows the log)."""
    os.environ.update(snakemake.params.get("env", {}))
    with logged(snakemake.log[0]) as terminal:
        _setup_logging()
        try:
            stage(snakemake, [sys.stderr, terminal])
            rc = 0
        except ProvenanceError as e:
            print(f"provenance check failed: {e}", file=sys.stderr)
            rc = 1
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            where = e.filename or ", ".join(map(str, snakemake.output))   # a write without its path: the outputs
            print(f"{snakemake.rule} failed: {e.strerror}: {where}", file=sys.stderr)
            rc = 1
    if rc:
        raise SystemExit(rc)
