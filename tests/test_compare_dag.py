"""`snakemake compare_<run>` (issue 22): planned for a declared variant and for an ad-hoc run
given with ``--configfile`` (compared with the run of the configuration without that file),
refused with one line for a run compared with itself, and one real tiny compare through
Snakemake (κ_m doubled in fig1) producing the diffs, the overlay figure and the report card."""
import json
from pathlib import Path

import yaml
from test_workflow import planned_jobs, smk

from qorepro.models.lai2025 import LaiParams

ROOT = Path(__file__).resolve().parents[1]
KAPPA_M = LaiParams().kappa_m         # the paper's κ_m (config.yaml does not override it)


def _kappa(project, run="test-kappa"):
    """An ad-hoc variant: κ_m doubled, fig1 only, its own run name."""
    (project / "kappa.yaml").write_text(yaml.safe_dump(
        {"run": run, "scope": ["fig1"], "parameters": {"kappa_m": 2 * KAPPA_M}}))


def _out(r):
    return r.stdout + r.stderr


def test_compare_of_a_declared_variant_is_planned(project):
    r = smk(project, "-n", "compare_experimental", "--configfile", "tiny.yaml")
    jobs = planned_jobs(_out(r))
    assert jobs.get("compare") == 1 and jobs.get("report_compare") == 1, jobs
    assert jobs.get("compare_figure") == 3, jobs          # fig1–fig3, the variant's scope
    assert "results/compare/experimental/summary.json" in _out(r)
    assert "results/test-tiny/claims.csv" in _out(r)      # against the main run
    assert not (project / "results").exists()


def test_referee_includes_the_variants_compares(project):
    jobs = planned_jobs(_out(smk(project, "-n", "referee", "--configfile", "tiny.yaml")))
    variants = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["variants"]
    assert jobs.get("compare") == len(variants) and jobs.get("report_compare") == len(variants), jobs


def test_a_figure_the_variant_shares_with_the_main_run_gets_no_overlay(project):
    """window-50-70 changes the time-domain solver only: the companion models' figures use the
    main run's own panels (same content), so they are compared but not drawn over themselves."""
    r = smk(project, "-n", "compare_window-50-70", "--configfile", "tiny.yaml")
    out = _out(r)
    assert "results/compare/window-50-70/figures/fig1.png" in out
    assert "results/compare/window-50-70/figures/jiao2020_fig1.png" not in out
    assert "results/test-tiny/data/jiao2020_fig1" in out            # still compared, from the main run's panels


def test_compare_of_an_ad_hoc_run_is_planned_against_the_run_without_it(project):
    _kappa(project)
    r = smk(project, "-n", "compare_test-kappa", "--configfile", "tiny.yaml", "kappa.yaml")
    jobs = planned_jobs(_out(r))
    assert jobs.get("compare") == 1 and jobs.get("compare_figure") == 1, jobs
    # the reference run is built in the same DAG: config.yaml + tiny.yaml = run test-tiny
    assert "results/test-tiny/params/fig1.json" in _out(r)
    assert "results/test-kappa/params/fig1.json" in _out(r)
    # or against a declared variant
    r = smk(project, "-n", "compare_test-kappa", "--configfile", "tiny.yaml", "kappa.yaml",
            "--config", "compare_against=experimental")
    assert "results/experimental/params/fig1.json" in _out(r)
    assert not (project / "results").exists()


def test_a_run_compared_with_itself_is_refused_in_one_line(project):
    _kappa(project)
    for args in (["compare_experimental", "--configfile", "tiny.yaml", "--config", "compare_against=experimental"],
                 ["compare_test-kappa", "--configfile", "tiny.yaml", "kappa.yaml",
                  "--config", "compare_against=test-kappa"]):
        r = smk(project, "-n", *args, check=False)
        assert r.returncode != 0
        lines = [ln for ln in _out(r).splitlines() if "cannot be compared with itself" in ln]
        assert len(lines) == 1, _out(r)[-2000:]
        assert "Traceback" not in _out(r)
    # the main run of config/config.yaml alone (no overlay) has nothing to be compared with
    r = smk(project, "-n", "compare_baseline", check=False)
    assert r.returncode != 0 and "'baseline' cannot be compared with itself" in _out(r)
    assert not (project / "results").exists()


def test_tiny_compare_through_snakemake(project):
    _kappa(project)
    # the reference run (config.yaml + tiny.yaml + fig1.yaml = test-tiny) builds fig1 only too
    (project / "fig1.yaml").write_text(yaml.safe_dump({"scope": ["fig1"]}))
    smk(project, "-j2", "compare_test-kappa", "--configfile", "tiny.yaml", "fig1.yaml", "kappa.yaml")
    assert sorted(p.name for p in (project / "results" / "test-tiny" / "data").iterdir()) == ["fig1"]
    out = project / "results" / "compare" / "test-kappa"
    for p in ("summary.json", "params_diff.csv", "params_diff.md", "claims_diff.csv", "claims_diff.md",
              "figures/fig1.pdf", "figures/fig1.png", "report/compare.html", "report/front.html"):
        assert (out / p).stat().st_size > 0, p
    summary = json.loads((out / "summary.json").read_text())
    assert summary["main"] == "test-tiny" and summary["variant"] == "test-kappa"
    assert summary["figures"] == {"fig1": "changed"} and summary["refused"] == {}
    lines = (out / "params_diff.csv").read_text().splitlines()
    assert [ln.split(",")[:2] for ln in lines[1:]] == [["fig1", "parameters.kappa_m"]]
    assert sorted(p.name for p in (out / "data" / "fig1").iterdir()) == ["c.nc", "d.nc"]
    page = (out / "report" / "compare.html").read_text()
    assert "parameters.kappa_m" in page and "data:image/png;base64," in page
    assert "test-kappa" in (out / "report" / "front.html").read_text()
    # the report: the card under "6. Variants", the variant and its flipped claims on the front page
    smk(project, "compare_test-kappa", "--configfile", "tiny.yaml", "fig1.yaml", "kappa.yaml", "--report", "r.html")
    report = (project / "r.html").read_text()
    assert "6. Variants" in report and "Variant <b>test-kappa</b> against test-tiny: 0 flipped claims." in report
