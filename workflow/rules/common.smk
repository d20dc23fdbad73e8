# Shared set-up: config checks the schema cannot express, runs and variants, the params records
# (derived in memory; written by rule `params`), paths, and the code each stage depends on.
# Nothing here writes a file: planning has no side effects.
import hashlib
import json
import os
import sys

import yaml

import qorepro
from qorepro.models import MODELS
from qorepro.workflow import branches_stage
from qorepro.workflow import figure as figure_engine
from qorepro.workflow.record import model_of
from qorepro.workflow.spec import ConfigError, figure_panels, resolve_figure
from qorepro.workflow.validation import check_claims_file, check_targets, check_variants, check_yaml_files
from qorepro.workflow.validation import cli_targets, validate_config

# every check (schema, finite numbers, figure names, windows after presets, sizes) before any job
SCHEMA = os.path.join(workflow.basedir, "config", "schema.yaml")
with open(os.path.join(workflow.basedir, "config", "config.yaml")) as _fh:
    BASE_FIGURES = list(yaml.load(_fh, Loader=yaml.CSafeLoader)["figures"])
try:
    check_yaml_files(workflow.configfiles)  # duplicate keys, which Snakemake's loader merges
    validate_config(config, SCHEMA, BASE_FIGURES)
    _RUN_CONFIGS = check_variants(config, SCHEMA, BASE_FIGURES)  # overlays, continue_from chains
    CLAIMS = check_claims_file(config["claims_file"], config["figures"])
except ConfigError as e:
    raise WorkflowError(f"invalid configuration: {e}")

RUN = config["run"]
R = f"results/{RUN}"
FIGURES = [f for f, s in config["figures"].items() if f != "table1" and s.get("group", "paper") != "referee"]
REFEREE = [f for f, s in config["figures"].items() if s.get("group") == "referee"]
PAPER = [f for f in FIGURES if config["figures"][f].get("group", "paper") == "paper"]
SI = [f for f in FIGURES if config["figures"][f].get("group") == "si"]

# Variant runs (config `variants:` name → overlay file) are built in the same DAG as the main
# run: every path carries the run name, and each run resolves its own configuration — the merged
# and validated one check_variants returned (run name → configuration, the main run's included).


def run_config(run):
    if run not in _RUN_CONFIGS:
        raise WorkflowError(f"unknown run {run!r}: neither `run` ({RUN!r}) nor a key of `variants`")
    return _RUN_CONFIGS[run]


RUNS = [RUN] + [v for v in config.get("variants", {}) if v != RUN]


def run_figures(run):
    """The figures a run builds: its `scope`, or every figure."""
    cfg = run_config(run)
    return cfg.get("scope") or list(cfg["figures"])


# The params records.  Planning only derives them in memory (parsing the workflow writes
# nothing, so `snakemake -n` and the planning of another target leave every file as it is);
# rule `params` (params.smk) writes them as the outputs of jobs.
_RECORDS = {}


def figure_record(run, figure):
    """The resolved record (:class:`FigureSpec`) of `figure` in `run`, from the configuration."""
    if (run, figure) not in _RECORDS:
        cfg = run_config(run)
        base = None
        cont = cfg.get("continue_from")
        if cont and MODELS[model_of(cfg["figures"][figure])].kind == "time_domain":
            base = figure_record(cont, figure)
        try:
            _RECORDS[(run, figure)] = resolve_figure(cfg, figure, base)
        except ConfigError as e:
            raise WorkflowError(f"invalid configuration of run {run!r}: {e}")
    return _RECORDS[(run, figure)]


def record_text(run, figure):
    """The text of the params record file of `figure` in `run`."""
    return figure_record(run, figure).to_json() + "\n"


def record_sha256(run, figure):
    """sha256 of :func:`record_text`: rule `params`' rerun trigger, and what every job reading
    the record checks it against (a record changed after it was written is refused)."""
    return hashlib.sha256(record_text(run, figure).encode()).hexdigest()


def params_file(run, figure):
    """The path of the params record of `figure` in `run` (an output of rule `params`)."""
    return f"results/{run}/params/{figure}.json"


def data_run(run, figure):
    """The run whose data directory holds `run`'s panels of `figure`: the main run's when the
    figure's content (parameters, grid, solver — not the run's name) is the same."""
    if run != RUN and figure_record(run, figure).content() == figure_record(RUN, figure).content():
        return RUN
    return run


def continued_run(run, figure):
    cont = figure_record(run, figure).continue_from
    return cont["run"] if cont else None


# editing physics code reruns the sweeps; editing plotting code or a notebook reruns plots only
_SRC = os.path.dirname(os.path.abspath(qorepro.__file__))
_COMMON_ENGINE = [
    "io.py",
    "units.py",
    "arrays.py",
    "settings.py",
    "grid.py",
    "hurwitz.py",
    "measures.py",
    "stability.py",
    "backend.py",
    "batching.py",
    "gaussian.py",
    "models/__init__.py",
    "models/base.py",
    "workflow/record.py",
    "workflow/provenance.py",
    "workflow/cf.py",
    "workflow/figure.py",
]
_KIND_ENGINE = {
    "time_domain": ["rk.py", "solver.py", "sweep.py", "workflow/timedomain.py"],
    "steady_state": ["steady_state.py", "workflow/steady.py"],
}


def engine_sources(figure, run=None):
    """The physics code a figure's sweep depends on: shared engine + its model's kind + the model
    (+ the truncated-Wigner ensemble where the run computes it)."""
    model = model_of(config["figures"][figure])
    files = [*_COMMON_ENGINE, *_KIND_ENGINE[MODELS[model].kind], f"models/{model}.py"]
    if run is not None and figure_record(run, figure).twa:
        files += ["twa.py", "ensemble.py", "twa_validity.py"]
    return [os.path.join(_SRC, f) for f in files]


def figures_of(group):
    return [f for f in FIGURES if config["figures"][f].get("group") == group]


LAI_FIGURES = [f for f in FIGURES if MODELS[model_of(config["figures"][f])].kind == "time_domain"]
PLOT_SOURCES = [os.path.join(_SRC, "plotting.py")]


def panel_files(figure, run="{run}"):
    return [f"results/{run}/data/{figure}/{p}.nc" for p in figure_panels(config, figure)]


def run_panel_files(run, figure):
    """The panel files a consumer of `run` reads for `figure` (possibly the main run's)."""
    return panel_files(figure, data_run(run, figure))


def figure_files(figures, run=RUN):
    return [f"results/{run}/figures/{f}.{ext}" for f in figures for ext in ("pdf", "png")]


# one core per sweep job: Snakemake sets the BLAS/OpenMP thread counts from `threads: 1`, the
# stage script sets XLA's before JAX starts; the JAX compilation cache is shared
SWEEP_ENV = {"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}
# the software environment of every job (the conda directive; the same dependencies as pyproject.toml)
ENV = "../envs/qorepro.yaml"


# --- sweeps (sweep.smk)
def n_chunks(run, figure):
    """Chunk jobs of `figure` in `run` (the run's own `chunk_points`)."""
    return figure_engine.planned_chunks(run_config(run), figure)


def chunked(figure):
    """Whether `figure`'s sweep goes through chunk jobs in any run of this invocation."""
    return max(n_chunks(r, figure) for r in RUNS) > 1


def chunk_files(figure):
    """The chunk results the merge of `figure` reads: their names carry the number of chunks,
    so a change of `chunk_points` computes new chunks, never merges those of another split."""

    def inputs(wc):
        k = n_chunks(wc.run, figure)
        return [f"results/{wc.run}/chunks/{figure}/{i}-of-{k}.npz" for i in range(k)]

    return inputs


def engine_setting(key, default="auto"):
    """A run's `engine.<key>` (a variant's own engine settings apply to its jobs)."""
    return lambda wc: run_config(wc.run).get("engine", {}).get(key, default)


def continued_panels(figure):
    def inputs(wc):
        base = continued_run(wc.run, figure)
        return run_panel_files(base, figure) if base else []

    return inputs


def base_dir(figure):
    """The panel directory a continued run of ``figure`` starts from ('' where none)."""

    def path(wc):
        base = continued_run(wc.run, figure)
        return f"results/{data_run(base, figure)}/data/{figure}" if base else ""

    return path


def record_check(figure=None):
    """The ``record_sha256`` param of every job reading a params record (its rerun trigger,
    and the digest the job checks the record against); ``figure`` None = the wildcard."""
    return lambda wc: record_sha256(wc.run, figure or wc.figure)


# --- claims (claims.smk): each run reads its own `claims_file` (a variant's overlay may set one;
# check_variants has checked it)
_CLAIMS_FILES = {config["claims_file"]: CLAIMS}


def claims_file(run):
    """The claims file of `run`."""
    return run_config(run)["claims_file"]


def claim_keys(run):
    """The datasets (figure/panel) the claims of `run` read."""
    path = claims_file(run)
    if path not in _CLAIMS_FILES:
        try:
            _CLAIMS_FILES[path] = check_claims_file(path, run_config(run)["figures"])
        except ConfigError as e:
            raise WorkflowError(f"invalid configuration of run {run!r}: {e}")
    return sorted({k for c in _CLAIMS_FILES[path]["claims"] for k in c["datasets"]})


CLAIMS_CODE = [
    os.path.join(_SRC, *f)
    for f in (
        ("claims", "__init__.py"),
        ("claims", "base.py"),
        ("claims", "decide.py"),
        ("claims", "lai2025.py"),
        ("claims", "jiao.py"),
        ("workflow", "claims_report.py"),
    )
]


def claim_datasets(run):
    """key (figure/panel) → the panel file `run` reads, for the claims within its scope."""
    figs = set(run_figures(run))
    out = {}
    for key in claim_keys(run):
        fig, panel = key.split("/")
        if fig in figs:
            out[key] = f"results/{data_run(run, fig)}/data/{fig}/{panel}.nc"
    return out


# --- report (report.smk): figures in the papers' order, the pages of a run
FIGURE_DESCRIPTIONS = os.path.join(workflow.basedir, "workflow", "report", "figures.yaml")
with open(FIGURE_DESCRIPTIONS, encoding="utf-8") as _fh:
    _DESCRIBED = list(yaml.load(_fh, Loader=yaml.CSafeLoader) or {})
FIGURE_ORDER = [f for f in _DESCRIBED if f in config["figures"]] + [f for f in config["figures"] if f not in _DESCRIBED]


def figure_subcategory(wildcards):
    """The report subcategory of a figure: its position in the papers' order first (the
    report sorts by name), then the figure, then the run where it is not the main one."""
    name = f"{FIGURE_ORDER.index(wildcards.figure) + 1:02d} {wildcards.figure}"
    return name if wildcards.run == RUN else f"{name} (run {wildcards.run})"


def figure_labels(entry):
    """Report labels (columns of the figure's table) of a figure ``entry`` (PNG or card)."""

    def labels(wildcards):
        model = model_of(run_config(wildcards.run)["figures"][wildcards.figure])
        return {"entry": entry, "run": wildcards.run, "kind": MODELS[model].kind.replace("_", "-")}

    return labels


def provenance_figures(run):
    """The figures of ``run`` that `all` (main run) or the run's own target builds."""
    return [f for f in [*FIGURES, "table1"] if f in run_figures(run)]


def report_pages(run, figures):
    """Every report page of ``run`` for ``figures`` (claims, Table I, provenance, cards)."""
    pages = [f"results/{run}/report/{p}.html" for p in ("claims", "claims_summary", "provenance")]
    if "table1" in run_figures(run):
        pages.append(f"results/{run}/report/table1.html")
    return pages + [f"results/{run}/report/figures/{f}.html" for f in figures if f in run_figures(run)]


# --- verification (verify.smk)
def manifest_files(run):
    figs = [f for f in run_figures(run) if f in FIGURES or f == "table1"]
    panels = [p for f in figs for p in run_panel_files(run, f)]
    records = sorted({params_file(run, f) for f in figs} | {params_file(data_run(run, f), f) for f in figs})
    return {"records": records, "panels": panels}


wildcard_constraints:
    figure="|".join(list(config["figures"])),
    run="|".join(RUNS),


# the branch targets of a run (workflow/rules/branches.smk)
def branch_files(run, name):
    fig, panels = branch_targets(run)[name]
    return [branches_stage.branch_file(run, fig, p) for p in panels]


def branch_targets(run):
    return branches_stage.targets(run_config(run))
