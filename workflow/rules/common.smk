# Shared set-up: config checks the schema cannot express, runs and variants, the params records,
# paths, and the code each stage depends on.
import json
import os
import sys

import yaml

import qorepro
from qorepro.models import MODELS
from qorepro.workflow.spec import ConfigError, figure_panels, resolve_figure, variant_config
from qorepro.workflow.validation import check_targets, cli_targets, validate_config

# every check (schema, finite numbers, figure names, windows after presets, sizes) before any job
SCHEMA = os.path.join(workflow.basedir, "config", "schema.yaml")
with open(os.path.join(workflow.basedir, "config", "config.yaml")) as _fh:
    BASE_FIGURES = list(yaml.load(_fh, Loader=yaml.CSafeLoader)["figures"])
try:
    validate_config(config, SCHEMA, BASE_FIGURES)
except ConfigError as e:
    raise WorkflowError(f"invalid configuration: {e}")

RUN = config["run"]
R = f"results/{RUN}"
PY = sys.executable
FIGURES = [f for f, s in config["figures"].items() if f != "table1" and s.get("group", "paper") != "referee"]
REFEREE = [f for f, s in config["figures"].items() if s.get("group") == "referee"]
PAPER = [f for f in FIGURES if config["figures"][f].get("group", "paper") == "paper"]
SI = [f for f in FIGURES if config["figures"][f].get("group") == "si"]

# Variant runs (config `variants:` name → overlay file) are built in the same DAG as the main
# run: every path carries the run name, and each run resolves its own configuration.
_RUN_CONFIGS = {RUN: config}


def run_config(run):
    if run not in _RUN_CONFIGS:
        if run not in config.get("variants", {}):
            raise WorkflowError(f"unknown run {run!r}: neither `run` ({RUN!r}) nor a key of `variants`")
        path = config["variants"][run]
        try:
            with open(path) as fh:
                overlay = yaml.load(fh, Loader=yaml.CSafeLoader)
            if not isinstance(overlay, dict):
                raise ConfigError("the file is empty or does not hold a mapping of configuration keys")
            if overlay.get("continue_from") == "main":
                overlay["continue_from"] = RUN
            merged = variant_config(config, run, overlay)
            validate_config(merged, SCHEMA, BASE_FIGURES)
        except yaml.MarkedYAMLError as e:
            where = f", line {e.problem_mark.line + 1}" if e.problem_mark else ""
            raise WorkflowError(f"invalid variant {run!r} ({path}{where}): {e.problem}")
        except (ConfigError, OSError, yaml.YAMLError) as e:
            raise WorkflowError(f"invalid variant {run!r} ({path}): {e}")
        _RUN_CONFIGS[run] = merged
    return _RUN_CONFIGS[run]


RUNS = [RUN] + [v for v in config.get("variants", {}) if v != RUN]


def run_figures(run):
    """The figures a run builds: its `scope`, or every figure."""
    cfg = run_config(run)
    return cfg.get("scope") or list(cfg["figures"])


# The params records: derived from the configuration while the DAG is built, written only when
# their content changes (so a hand-edited record is rewritten and what depends on it reruns) —
# never a job of their own.
_RECORDS = {}


def figure_record(run, figure):
    if (run, figure) not in _RECORDS:
        cfg = run_config(run)
        base = None
        cont = cfg.get("continue_from")
        if cont and MODELS[cfg["figures"][figure].get("model", "lai2025")].kind == "time_domain":
            base = figure_record(cont, figure)
        try:
            _RECORDS[(run, figure)] = resolve_figure(cfg, figure, base)
        except ConfigError as e:
            raise WorkflowError(f"invalid configuration of run {run!r}: {e}")
    return _RECORDS[(run, figure)]


_SYNCED = set()


def _sync_record(run, figure):
    path = f"results/{run}/params/{figure}.json"
    text = figure_record(run, figure).to_json() + "\n"
    try:
        with open(path) as fh:
            same = fh.read() == text
    except OSError:
        same = False
    if not same:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".part", "w") as fh:
            fh.write(text)
        os.replace(path + ".part", path)
    return path


def params_file(run, figure):
    """The record of `figure` in `run`; the first call for a run writes (where changed) the
    records of all its figures at once — Snakemake lists a directory once per invocation."""
    if run not in _SYNCED:
        for fig in run_config(run)["figures"]:
            _sync_record(run, fig)
        _SYNCED.add(run)
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
_COMMON_ENGINE = ["units.py", "arrays.py", "settings.py", "grid.py", "hurwitz.py", "measures.py", "stability.py",
                  "models/__init__.py", "workflow/record.py", "workflow/provenance.py", "workflow/engines.py"]
_KIND_ENGINE = {
    "time_domain": ["backend.py", "batching.py", "rk.py", "gaussian.py", "solver.py", "sweep.py",
                    "workflow/timedomain.py"],
    "steady_state": ["steady_state.py", "workflow/steady.py"],
}


def engine_sources(figure, run=None):
    """The physics code a figure's sweep depends on: shared engine + its model's kind + the model
    (+ the truncated-Wigner ensemble where the run computes it)."""
    model = config["figures"][figure].get("model", "lai2025")
    files = _COMMON_ENGINE + _KIND_ENGINE[MODELS[model].kind] + [f"models/{model}.py"]
    if run is not None and figure_record(run, figure).twa:
        files.append("twa.py")
    return [os.path.join(_SRC, f) for f in files]


def figures_of(group):
    return [f for f in FIGURES if config["figures"][f].get("group") == group]


LAI_FIGURES = [f for f in FIGURES if MODELS[config["figures"][f].get("model", "lai2025")].kind == "time_domain"]
PLOT_SOURCES = [os.path.join(_SRC, "plotting.py")]


def panel_files(figure, run="{run}"):
    return [f"results/{run}/data/{figure}/{p}.nc" for p in figure_panels(config, figure)]


def run_panel_files(run, figure):
    """The panel files a consumer of `run` reads for `figure` (possibly the main run's)."""
    return panel_files(figure, data_run(run, figure))


def figure_files(figures, run=RUN):
    return [f"results/{run}/figures/{f}.{ext}" for f in figures for ext in ("pdf", "png")]


ENGINE = config.get("engine", {})
# one core per sweep job: XLA and BLAS single-threaded, the JAX compilation cache shared
_SWEEP_ENV = ("OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "
              "XLA_FLAGS='--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1' ")


wildcard_constraints:
    figure="|".join(list(config["figures"])),
    run="|".join(RUNS),
