"""One complete run of the workflow on the tiny configuration, shared by the tests that read
its outputs (report, CF conformance): `snakemake` (= all) and `snakemake --report`, once per
test session, in a temporary copy of the workflow files."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = "test-tiny"


def copy_project(dest: Path) -> Path:
    for name in ("Snakefile", "workflow", "config", "notebooks", "profiles"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    shutil.copy(ROOT / "tests" / "workflow" / "tiny.yaml", dest / "tiny.yaml")
    return dest


def run_all(project: Path) -> Path:
    """`snakemake --configfile tiny.yaml` then `--report report.html`; returns the report."""
    for extra in ([], ["--report", "report.html"]):
        r = subprocess.run([sys.executable, "-m", "snakemake", "--configfile", "tiny.yaml", *extra], cwd=project,
                           capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        if r.returncode != 0:
            raise AssertionError(f"snakemake {' '.join(extra)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return project / "report.html"
