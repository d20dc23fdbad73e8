"""One run of the workflow on the tiny configuration, shared by the tests that read its outputs
(report, CF conformance, every notebook): every sweep, every figure's notebook, the claims,
Table I and the report pages of a few figures, then `snakemake --report`, once per test
session, in a temporary copy of the workflow files."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RUN = "test-tiny"
#: figures drawn (and carded) in the shared run: enough to check the papers' order in the
#: report (lexical order would put figS10 before figS2) and both figure kinds; every sweep
#: runs anyway (the claims read all of them)
FIGURES = ["fig1", "fig2", "figS2", "figS10", "figS11", "jiao2020_fig1", "jiao2022_fig4"]
#: every figure of the configuration with a notebook (paper, SI, companions, referee)
NOTEBOOKS = [f for f in yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["figures"] if f != "table1"]
TARGETS = ["claims", "table1"] + [f"results/{RUN}/report/{p}.html" for p in
                                  ("claims", "claims_summary", "table1", "provenance")] + [
    f"results/{RUN}/report/figures/{f}.html" for f in FIGURES]


def copy_project(dest: Path) -> Path:
    for name in ("Snakefile", "workflow", "config", "notebooks", "profiles"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    shutil.copy(ROOT / "tests" / "workflow" / "tiny.yaml", dest / "tiny.yaml")
    return dest


def run_all(project: Path) -> Path:
    """The claims, Table I and the report pages of the tiny run (:data:`FIGURES` carded) and the
    figure of every notebook, then `--report report.html` for :data:`TARGETS` (the other figures
    are drawn, not reported); returns the report."""
    drawn = [f"results/{RUN}/figures/{f}.png" for f in NOTEBOOKS]      # built, not in the report
    for targets, extra in ((TARGETS + drawn, []), (TARGETS, ["--report", "report.html"])):
        r = subprocess.run([sys.executable, "-m", "snakemake", *targets, "--configfile", "tiny.yaml", *extra],
                           cwd=project,
                           capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        if r.returncode != 0:
            raise AssertionError(f"snakemake {' '.join(extra)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return project / "report.html"
