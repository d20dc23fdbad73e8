# Shared set-up: config checks that the schema cannot express, paths, code inputs.
import glob
import json
import os
import sys

from qorepro.workflow.spec import ConfigError, check_config, figure_panels, resolve_figure

try:
    check_config(config)
except ConfigError as e:
    raise WorkflowError(f"invalid configuration: {e}")

RUN = config["run"]
R = f"results/{RUN}"
PY = sys.executable
FIGURES = [f for f in config["figures"] if f != "table1"]
PAPER = [f for f in ("fig1", "fig2", "fig3") if f in FIGURES]
SI = [f for f in FIGURES if f.startswith("figS")]

# editing physics code reruns the sweeps; editing plotting code or a notebook reruns plots only
import qorepro

_SRC = os.path.dirname(os.path.abspath(qorepro.__file__))
ENGINE_SOURCES = sorted(
    glob.glob(os.path.join(_SRC, "*.py")) + glob.glob(os.path.join(_SRC, "models", "*.py"))
    + [os.path.join(_SRC, "workflow", f) for f in ("compute.py", "spec.py")]
)
ENGINE_SOURCES = [p for p in ENGINE_SOURCES
                  if os.path.basename(p) not in ("plotting.py", "__main__.py", "claims.py")]
PLOT_SOURCES = [os.path.join(_SRC, "plotting.py")]


def panel_files(figure):
    return [f"{R}/data/{figure}/{p}.nc" for p in figure_panels(config, figure)]


wildcard_constraints:
    figure="|".join(list(config["figures"])),
