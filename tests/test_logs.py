"""Quiet, informative job logs: every progress line of a sweep has its rate and ETA; plot logs
carry no Jupyter transport warning; a failed job's log is shown by the default profile."""
import io
import re
import time

import yaml

from qorepro.progress import bar


def test_progress_lines_have_rate_and_eta():
    out = io.StringIO()
    b = bar(100, "point·τ", "run/fig", out, mininterval=0)
    for _ in range(4):
        time.sleep(0.01)
        b.update(25)
    b.close()
    lines = out.getvalue().splitlines()
    assert lines and all(re.search(r"ETA \d\d:\d\d, [\d.]+[kMG]?point·τ/s\]$", ln) for ln in lines), lines
    assert lines[-1].startswith("run/fig: 100%") and len(lines) == len(set(lines))
    # a job faster than the update interval still logs its final line, with its rate
    out = io.StringIO()
    b = bar(10, "point·τ", "run/fast", out)
    time.sleep(0.01)
    b.update(10)
    b.close()
    assert out.getvalue().count("\n") == 1 and re.search(r"100% .*point·τ/s\]$", out.getvalue().strip())


def test_tiny_run_logs(tiny_project):
    logs = tiny_project / "results" / "test-tiny" / "logs"
    plots = list((logs / "plot").glob("*.log"))
    assert plots
    for p in plots:
        text = p.read_text()
        assert "without encryption" not in text and "Executing" in text, p
    sweeps = list((logs / "sweep").glob("*.log"))
    progress = [ln for p in sweeps for ln in p.read_text().splitlines() if "point·τ [" in ln]
    assert progress and all("?" not in ln and "ETA" in ln for ln in progress), progress[:5]
    assert not any("RuntimeWarning" in p.read_text() or "libtpu" in p.read_text() for p in sweeps)


def test_default_profile_shows_failed_logs():
    from shared_run import ROOT

    profile = yaml.safe_load((ROOT / "profiles" / "default" / "config.yaml").read_text())
    assert profile["show-failed-logs"] is True
