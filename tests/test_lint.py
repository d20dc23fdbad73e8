"""The ecosystem's own checks: `snakemake --lint`, snakefmt and ruff (configured in
pyproject.toml) pass on the repository, and the rules' conda environment lists the package's
dependencies."""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*cmd):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_snakemake_lint_is_clean():
    r = run(sys.executable, "-m", "snakemake", "--lint")
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "Lints for" not in out, out[-4000:]


def test_snakefmt_is_clean():
    r = run(str(BIN / "snakefmt"), "--check", "Snakefile", "workflow")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_is_clean():
    r = run(str(BIN / "ruff"), "check", ".")
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr


def _name(spec: str) -> str:
    return re.split(r"[<>=!\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_conda_environment_matches_pyproject():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "workflow" / "envs" / "qorepro.yaml").read_text())["dependencies"]
    listed = {_name(d) for d in env if isinstance(d, str)}
    listed |= {_name(d) for d in env if isinstance(d, dict) for d in d.get("pip", [])}
    assert {_name(d) for d in deps} <= listed, {_name(d) for d in deps} - listed
    pins = {_name(d): d for d in deps if "==" in d}
    for d in (d for d in env if isinstance(d, dict) for d in d["pip"]):
        if _name(d) in pins:
            assert d.replace(" ", "") == pins[_name(d)].replace(" ", ""), d


def test_every_rule_with_a_job_has_a_log_and_the_environment():
    text = "\n".join(p.read_text() for p in [ROOT / "Snakefile", *(ROOT / "workflow" / "rules").glob("*.smk")])
    rules = re.split(r"\n(?=\s*rule[ :])", text)
    for rule in rules:
        if "script:" in rule or "shell:" in rule:
            assert "log:" in rule and "conda:" in rule, rule[:300]
