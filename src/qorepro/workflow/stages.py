"""The stages the Snakemake rules run: one function per stage, ``stage(job, progress)``.

Each rule's ``script:`` (``workflow/scripts/<stage>.py``) hands its ``snakemake`` object to
:func:`qorepro.workflow.jobs.run`, which calls the stage here with it (``job``: the rule's named
``input``, ``output``, ``params``, ``wildcards``) and ``progress`` (the text streams long
computations report to: the job's log and the terminal).  Every path and setting is a named
input, output or param of the rule; nothing is parsed from an argument list.

A job that reads a params record first checks it against ``params.record_sha256``, the digest of
the record the planning derived from the configuration: a record changed after rule ``params``
wrote it (by hand, or by another invocation) is refused, never computed or checked against.
The engine is imported inside the functions (after the job's environment is set).
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
from collections import Counter

from .. import io
from .provenance import ProvenanceError
from .record import FigureSpec


def load_record(job, name: str = "params") -> FigureSpec:
    """The job's params record (input ``name``), refused unless its sha256 is the one planned."""
    path = getattr(job.input, name)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if hashlib.sha256(text.encode()).hexdigest() != job.params.record_sha256:
        raise ProvenanceError(f"{path}: not the record this run's configuration gives (changed after rule "
                              "params wrote it: edited by hand, or rewritten by another invocation); rerun with "
                              f"`--forcerun {path}` to rewrite it, and what is computed from it, from the configuration")
    return FigureSpec.from_record(json.loads(text))


# ----------------------------------------------------------------------------- records
def params(job, progress) -> None:
    """Write the params record ``params.record`` (the text the planning derived) to ``output[0]``,
    atomically; it must have the digest ``params.record_sha256`` every reader checks."""
    text = job.params.record
    if hashlib.sha256(text.encode()).hexdigest() != job.params.record_sha256:
        raise ProvenanceError(f"{job.output[0]}: the record text does not have the planned digest")
    io.write_text(job.output[0], text)
    print(f"{job.output[0]}: sha256 {job.params.record_sha256}")


# ----------------------------------------------------------------------------- sweeps
def _sees_gpu() -> bool:
    """Whether a CUDA device is present, without starting JAX (its backend would fix the
    thread pool before the CPU affinity is set)."""
    return os.path.exists("/dev/nvidiactl") or bool(os.environ.get("CUDA_VISIBLE_DEVICES"))


def _batch_size(value, backend_name: str) -> int:
    """engine.batch_size: an integer, or ``auto`` = 64 points on the CPU (the compiled batch
    stays in cache: 25 % less per point than 256), 16384 on a GPU.  Selects the JAX platform
    (engine.backend) first; a CPU job takes one core (:func:`qorepro.backend.pin_to_one_cpu`)."""
    from .. import backend
    if backend_name == "cpu" or (backend_name == "auto" and not _sees_gpu()):
        backend.pin_to_one_cpu()
    platform = backend.configure(backend_name)
    if value == "auto":
        return 16384 if platform == "gpu" else 64
    return int(value)


def _execution(job, progress) -> dict:
    """The execution settings of a sweep job (they do not change the record)."""
    return {"base_dir": job.params.base_dir or None, "progress": progress,
            "batch_size": _batch_size(job.params.batch_size, job.params.backend)}


def _outdir(job) -> str:
    return os.path.dirname(job.output[0])


def sweep(job, progress) -> None:
    """All panels of a figure as one batch → its ``<panel>.nc`` files."""
    from . import figure
    spec = load_record(job)
    io.remove_partial(_outdir(job))
    figure.compute_figure(spec, _outdir(job), **_execution(job, progress))


def sweep_chunk(job, progress) -> None:
    """Chunk ``wildcards.chunk`` of ``params.n_chunks`` of a figure's points → one .npz file."""
    from . import figure
    spec = load_record(job)
    figure.compute_chunk(spec, int(job.wildcards.chunk), int(job.params.n_chunks), job.output[0],
                         **_execution(job, progress))


def merge_chunks(job, progress) -> None:
    """A figure's chunk results → its panel files."""
    from . import figure
    spec = load_record(job)
    io.remove_partial(_outdir(job))
    figure.merge_chunks(spec, list(job.input.chunks), _outdir(job))


# ------------------------------------------------------------------ summaries, tables
def certify(job, progress) -> None:
    """The stability verdicts of a figure's panels, summarised → ``stability/<figure>.json``."""
    from .certification import write_summary
    load_record(job)
    paths = {os.path.splitext(os.path.basename(p))[0]: p for p in job.input.data}
    s = write_summary(job.wildcards.figure, paths, job.output[0], job.input.params)
    print(f"{job.wildcards.figure}: {s['n_certified']}/{s['n_points']} points certified; {s['counts']}")


def table1(job, progress) -> None:
    """Table I of the SI → CSV and Markdown."""
    from .table import build_table, write_table
    spec = load_record(job)
    rows = build_table(spec, job.input.baseline, job.params.experimental, float(job.params.sagnac_kHz))
    write_table(rows, job.output.csv, job.output.md, spec)


def claims(job, progress) -> None:
    """The claims audit on the panel files ``params.datasets`` (key ``figure/panel`` → path)."""
    from .claims_report import run_claims
    rows = run_claims(job.input.claims, dict(job.params.datasets), job.params.run, job.output.csv, job.output.md,
                      measure=job.params.measure)
    print("claims:", dict(Counter(r["verdict"] for r in rows)))


def manifest(job, progress) -> None:
    """Verify a run's panel files, then list them with its records in ``MANIFEST``."""
    from .provenance import write_manifest
    out = write_manifest(job.params.run_dir, list(job.input.records), list(job.input.panels), job.output[0])
    print(f"{out}: {len(job.input.records)} params records and {len(job.input.panels)} panel files verified")


# ------------------------------------------------------------------------------ plots
def plot(job, progress) -> None:
    """papermill-execute ``input.notebook`` into ``output.notebook`` with the run's paths as
    parameters (the notebook's ``parameters`` cell), on a kernel reached over IPC sockets (no
    "Kernel is running over TCP without encryption" warning in every plot log: the kernel is
    local, so the supported fix is the IPC transport the warning itself recommends); the
    progress of its cells goes to the job's log."""
    load_record(job)
    inp, out = job.input, job.output
    parameters = {"run": job.wildcards.run, "params_json": inp.params, "stability_json": inp.stability,
                  "data_dir": job.params.data_dir, "out_pdf": out.pdf, "out_png": out.png}
    execute_notebook(inp.notebook, out.notebook, parameters, [out.pdf, out.png])


def execute_notebook(notebook: str, executed: str, parameters: dict, outputs: list) -> None:
    """papermill-execute ``notebook`` into ``executed`` with ``parameters`` on an IPC kernel
    (:func:`plot`); a full disk or a refused panel inside the kernel is reported as such,
    naming ``outputs``."""
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

    try:
        papermill.execute_notebook(notebook, executed, parameters=parameters, kernel_name="python3",
                                   cwd=".", progress_bar=True, kernel_manager_class=IPCKernelManager)
    except papermill.PapermillExecutionError as e:
        # a full disk inside the notebook's kernel (savefig) arrives as the kernel's error text:
        # reported like every other full disk (jobs.run: one line naming the files)
        if e.ename == "OSError" and ("Errno 28" in e.evalue or "No space left" in e.evalue):
            raise OSError(errno.ENOSPC, "No space left on device", ", ".join(outputs)) from None
        if e.ename == "ProvenanceError":      # a damaged panel or summary, refused by load_panels
            raise ProvenanceError(e.evalue) from None
        raise
    finally:
        shutil.rmtree(sockets, ignore_errors=True)


# ----------------------------------------------------------------------- report pages
def report_claims(job, progress) -> None:
    from .report import claims_page
    claims_page(job.input.csv, job.wildcards.run, job.output.html, job.output.summary)


def report_table1(job, progress) -> None:
    from .report import table1_page
    table1_page(job.input.csv, job.wildcards.run, job.output[0])


def report_provenance(job, progress) -> None:
    from .report import provenance_page
    provenance_page(job.wildcards.run, list(job.params.figures), list(job.input.stability), list(job.input.params),
                    job.output[0], dict(job.params.panels))


def report_figure(job, progress) -> None:
    import yaml

    from .report import figure_card
    with open(job.input.descriptions, encoding="utf-8") as fh:
        descriptions = yaml.safe_load(fh) or {}
    figure_card(job.wildcards.figure, job.input.png, job.input.stability, job.input.params, job.input.claims,
                descriptions, job.output[0], list(job.input.data))


# ----------------------------------------------------------------------------- audits
def audit_claims_by_run(job, progress) -> None:
    """Claim verdicts across runs (``params.runs``: run → claims csv, in order)."""
    from .audits import claims_by_run
    claims_by_run(dict(job.params.runs), job.output.csv, job.output.md)


def audit_initial_conditions(job, progress) -> None:
    """Runs that differ in the initial state (``params.runs``: run → {figure: panel directory})."""
    from .audits import initial_conditions
    print(initial_conditions(dict(job.params.runs), list(job.params.figures), float(job.params.tol),
                             job.output.csv, job.output.md))


def audit_floquet(job, progress) -> None:
    """The window average vs. the Floquet long-time limit of the main run's panels."""
    from .audits import floquet_vs_window
    print(floquet_vs_window(job.params.data_dir, list(job.params.figures), job.output.csv, job.output.md))


# --------------------------------------------------------------------- variant comparison
def _compared(job, message: str) -> None:
    """A :class:`.compare.CompareError` ends the job with its one line and exit status 1."""
    import sys
    print(f"compare {job.wildcards.run}: {message}", file=sys.stderr)
    raise SystemExit(1)


def compare(job, progress) -> None:
    """What changed, how the claims moved and the per-panel differences of ``params.variant_dir``
    against ``params.main_dir`` (:func:`.compare.compare_runs`) → ``results/compare/<run>/``."""
    from .compare import CompareError, compare_runs
    try:
        summary = compare_runs(job.params.main_dir, job.params.variant_dir, list(job.params.figures),
                               os.path.dirname(job.output.summary), data_dirs=dict(job.params.data_dirs))
    except CompareError as e:
        _compared(job, str(e))
    print(f"compare {summary['variant']} against {summary['main']}: figures {summary['figures']}, "
          f"flipped claims {summary.get('flipped', [])}, refused panels {summary['refused']}")


def compare_figure(job, progress) -> None:
    """The overlay figure (:func:`..compare_plot.overlay_files`) of one figure of a compared run."""
    from ..compare_plot import overlay_files
    from .compare import CompareError
    try:
        overlay_files(job.params.main_dir, job.params.variant_dir, job.wildcards.figure, job.output.pdf,
                      job.output.png, dict(job.params.data_dirs))
    except CompareError as e:
        _compared(job, str(e))


def report_compare(job, progress) -> None:
    from .report import compare_card
    compare_card(job.wildcards.run, job.input.summary, job.input.params_md, job.input.claims_csv,
                 list(job.input.pngs), job.output.html, job.output.front, shared=list(job.params.shared))
