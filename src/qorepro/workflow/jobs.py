"""How a Snakemake job runs a stage: in the interpreter Snakemake gives its ``script:``,
with everything it writes sent to the job's log.

* :func:`run_logged` — one ``python -m qorepro.workflow`` stage (arguments as a list);
* :func:`execute_notebook` — a figure notebook through papermill, its kernel on IPC sockets
  (no "Kernel is running over TCP without encryption" warning in every plot log: the kernel
  is local, so the supported fix is the IPC transport the warning itself recommends).
"""
from __future__ import annotations

import contextlib
import os
import sys

#: while :func:`logged` runs: the stream that was stderr before (the terminal Snakemake runs
#: in, or a cluster job's log), for progress lines worth seeing while a job runs
TERMINAL = None


@contextlib.contextmanager
def logged(path: str):
    """Send this process's stdout and stderr — Python's and the file descriptors compiled
    libraries write to — to ``path`` while the block runs."""
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    global TERMINAL
    saved = os.dup(1), os.dup(2)
    TERMINAL = os.fdopen(os.dup(saved[1]), "w", buffering=1)
    with open(path, "w", buffering=1) as fh:
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        try:
            with contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
                yield fh
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            TERMINAL.close()
            TERMINAL = None


def run_logged(args, log: str) -> None:
    """Run ``python -m qorepro.workflow ARGS`` in this process, output to ``log``; a failure
    raises (Snakemake then marks the job failed and shows the log)."""
    from .__main__ import main

    with logged(log):
        rc = main([str(a) for a in args])
    if rc:
        raise SystemExit(rc)


def execute_notebook(snakemake) -> None:
    """papermill-execute ``input.notebook`` into ``output.notebook`` with the run's paths as
    parameters (the notebook's ``parameters`` cell), on a kernel reached over IPC sockets."""
    import shutil
    import tempfile

    import papermill
    from jupyter_client.manager import AsyncKernelManager

    sockets = tempfile.mkdtemp(prefix="qorepro-kernel-")   # private: parallel plot jobs never share one

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(sockets, "kernel"))
            super().__init__(*args, **kwargs)

    inp, out = snakemake.input, snakemake.output
    parameters = {"run": snakemake.wildcards.run, "params_json": inp.params, "stability_json": inp.stability,
                  "data_dir": snakemake.params.data_dir, "out_pdf": out.pdf, "out_png": out.png}
    try:
        with logged(snakemake.log[0]):
            papermill.execute_notebook(inp.notebook, out.notebook, parameters=parameters, kernel_name="python3",
                                       cwd=".", progress_bar=True, kernel_manager_class=IPCKernelManager)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
