# Shared set-up: config checks that the schema cannot express, runs and variants, paths, code inputs.
import glob
import json
import os
import sys

import yaml
from snakemake.utils import validate as _validate

from qorepro.workflow.spec import ConfigError, check_config, figure_panels, resolve_figure, variant_config

try:
    check_config(config)
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
        with open(config["variants"][run]) as fh:
            overlay = yaml.safe_load(fh) or {}
        try:
            merged = variant_config(config, run, overlay)
            _validate(merged, os.path.join(workflow.basedir, "config", "schema.yaml"), set_default=True)
            check_config(merged)
        except (ConfigError, WorkflowError) as e:
            raise WorkflowError(f"invalid variant {run!r} ({config['variants'][run]}): {e}")
        _RUN_CONFIGS[run] = merged
    return _RUN_CONFIGS[run]


RUNS = [RUN] + [v for v in config.get("variants", {}) if v != RUN]
# a variant's overlay is loaded and validated when a target of that run is requested, while the
# DAG is built — before any job runs

# editing physics code reruns the sweeps; editing plotting code or a notebook reruns plots only
import qorepro

_SRC = os.path.dirname(os.path.abspath(qorepro.__file__))
_COMMON_ENGINE = ["units.py", "measures.py", "stability.py", "models/__init__.py",
                  "workflow/compute.py", "workflow/spec.py"]
_MODEL_ENGINE = {
    "lai2025": ["solver.py", "sweep.py", "models/lai2025.py"],
    "jiao2020": ["steady_state.py", "models/jiao2020.py", "workflow/steady.py"],
    "jiao2022": ["steady_state.py", "models/jiao2022.py", "workflow/steady.py"],
}


def engine_sources(figure):
    """The physics code a figure's sweep depends on: shared engine + its model's modules."""
    model = config["figures"][figure].get("model", "lai2025")
    return [os.path.join(_SRC, f) for f in _COMMON_ENGINE + _MODEL_ENGINE[model]]


def figures_of(group):
    return [f for f in FIGURES if config["figures"][f].get("group") == group]


LAI_FIGURES = [f for f in FIGURES if config["figures"][f].get("model", "lai2025") == "lai2025"]
PLOT_SOURCES = [os.path.join(_SRC, "plotting.py")]


def panel_files(figure, run="{run}"):
    return [f"results/{run}/data/{figure}/{p}.nc" for p in figure_panels(config, figure)]


def figure_files(figures, run=RUN):
    return [f"results/{run}/figures/{f}.{ext}" for f in figures for ext in ("pdf", "png")]


wildcard_constraints:
    figure="|".join(list(config["figures"])),
    run="|".join(RUNS),
