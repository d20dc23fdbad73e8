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
    # matplotlib's PDF backend subsets fonts through fontTools, which logs every table it prunes
    logging.getLogger("fontTools").setLevel(logging.WARNING)


#: what a job's parent may be besides Snakemake itself: the shell Snakemake starts a script in
#: (``bash -c "set -euo pipefail; python …"``), whose own parent is then Snakemake
SHELLS = ("sh", "bash", "dash", "zsh")
#: seconds between two looks at the parents
WATCH_INTERVAL_S = 0.5


def _parent_of(pid: int) -> int | None:
    """The parent pid of ``pid`` (Linux ``/proc``), or None where it has ended (or is a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    state, ppid = stat.rsplit(")", 1)[1].split()[:2]
    return None if state in ("Z", "X") else int(ppid)


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _watched() -> list[tuple[int, int]]:
    """(pid, its parent) pairs whose parent changes when the Snakemake process that started this
    job ends: this process (its parent: Snakemake, or a shell) and, where that is a shell, the
    shell (its parent: Snakemake).  A process whose parent ends is given another parent."""
    me, parent = os.getpid(), os.getppid()
    pairs = [(me, parent)]
    if _command(parent) in SHELLS and (grand := _parent_of(parent)) not in (None, 0, 1):
        pairs.append((parent, grand))
    return pairs if parent != 1 else []


def watch_parents(log_path: str, interval: float = WATCH_INTERVAL_S) -> bool:
    """End this job when the Snakemake process that started it ends (``kill -9``): a daemon
    thread checks every ``interval`` s that this process and, where Snakemake started it through
    a shell, that shell still have the parent they had when the job started (:func:`_watched`);
    when not, it writes one line to the job's log and exits at once (``os._exit``), so no
    orphaned job keeps writing beside the rerun that recovers (its ``.part`` files are removed
    by that rerun).  Only Snakemake's end counts: a Snakemake left running by a closed terminal
    (``nohup``) keeps its jobs.  Returns whether the watch started (Linux ``/proc`` only)."""
    import threading
    import time

    pairs = _watched() if os.path.exists("/proc/self/stat") else []
    if not pairs:
        return False

    def watch():
        while True:
            time.sleep(interval)
            for pid, parent in pairs:
                if _parent_of(pid) != parent:
                    with contextlib.suppress(OSError), open(log_path, "a") as fh:
                        fh.write(f"job ended: the process that started it ({parent}) ended (Snakemake killed?); "
                                 "rerun Snakemake to recompute it\n")
                    os._exit(1)

    threading.Thread(target=watch, name="qorepro-parent-watch", daemon=True).start()
    return True


def run(snakemake, stage) -> None:
    """Run ``stage(snakemake, progress)`` for the rule whose script calls this.

    The rule's ``params.env`` (optional) is set before the stage imports the engine (XLA reads
    its flags once); everything the stage prints goes to the rule's log, progress lines also to
    the terminal.  A provenance failure or a full disk ends the job with one line naming the
    file (exit status 1, no traceback); any other failure raises (Snakemake marks the job
    failed and shows the log).  The job ends itself when Snakemake is killed
    (:func:`watch_parents`)."""
    os.environ.update(snakemake.params.get("env", {}))
    watch_parents(snakemake.log[0])
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
