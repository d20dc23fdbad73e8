"""The Snakemake workflow on tiny configurations: plan, run, cache, replan, reject bad input.

Each test works in a temporary copy of the workflow files (the package itself is installed),
so it never touches the project's own results/.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
FIGS = ["fig1", "fig2", "fig3"] + [f"figS{i}" for i in range(1, 12)]
JIAO = ([f"jiao2020_{f}" for f in ("fig1", "fig2", "fig3", "figS2", "figS3", "figS4")]
        + [f"jiao2022_{f}{v}" for f in ("fig2", "fig3", "fig4") for v in ("", "_cascaded_noise")])


def smk(project, *args, check=True):
    r = subprocess.run(SNAKEMAKE + list(args), cwd=project, capture_output=True, text=True,
                       env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if check and r.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def planned_jobs(output: str) -> dict:
    """Job counts from a dry run's 'Job stats' table."""
    counts = {}
    m = re.search(r"Job stats:\n(.*?)\n\n", output, re.S)
    assert m, output[-2000:]
    for line in m.group(1).splitlines()[2:]:
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] != "total":
            counts[parts[0]] = int(parts[1])
    return counts


def test_dry_run_of_all_plans_every_target(project):
    r = smk(project, "-n")                      # bare `snakemake` = all, the README's main job
    jobs = planned_jobs(r.stdout + r.stderr)
    assert jobs == planned_jobs((lambda o: o.stdout + o.stderr)(smk(project, "-n", "all")))
    for f in FIGS + JIAO + ["table1"]:
        assert jobs.get(f"sweep_{f}") == 1, f
    assert jobs["plot"] == len(FIGS + JIAO) and jobs["certify"] == len(FIGS + JIAO) + 1
    assert jobs["make_table1"] == 1 and jobs["claims_of_run"] == 1
    # every named target plans (one planning pass for all of them: a target that fails to plan
    # fails it, naming the rule or input)
    smk(project, "-n", *FIGS, *JIAO, "table1", "paper", "si", "claims", "referee", "refR1", "refExperimental",
        "audits", "jiao2020", "jiao2022")


def test_unknown_target_fails_before_running(project):
    r = smk(project, "-n", "figS99", check=False)
    assert r.returncode != 0
    assert not (project / "results").exists()


@pytest.mark.parametrize("overlay,key", [
    ({"parameters": {"kappa_a": -0.1}}, "kappa_a"),
    ({"parameters": {"kappa": 0.1}}, "kappa"),
    ({"solver": {"window_tau": [190, 180]}}, "window_tau"),
    ({"solver": {"window_tau": [180, 250]}}, "window_tau"),
    ({"preset": "huge"}, "preset"),
    ({"bogus_key": 1}, "bogus_key"),
    ({"figures": {"fig2": {"panels": {"c": {"kind": "line", "x": {"axis": "Kerr", "range": [0, 1]}}}}}}, "Kerr"),
    ({"models": {"jiao2020": {"parameters": {"P_W": 0.02}}}}, "P_W"),
    ({"figures": {"jiao2022_fig2": {"panels": {"a": {"kind": "line", "x": {"axis": "Delta_c", "range": [0, 2]}}}}}},
     "Delta_c"),
    ({"figures": {"jiao2020_fig3": {"panels": {"a": {"variables": ["Delta_E_N"]}}}}}, "Delta_E_N"),
])
def test_invalid_config_fails_naming_the_key(project, overlay, key):
    (project / "bad.yaml").write_text(yaml.safe_dump(overlay))
    r = smk(project, "-n", "fig1", "--configfile", "bad.yaml", check=False)
    assert r.returncode != 0
    assert key in r.stdout + r.stderr
    assert not (project / "results").exists()


def test_one_figure_end_to_end_then_cached_then_replanned(project):
    smk(project, "fig1", "--configfile", "tiny.yaml")
    run = project / "results" / "test-tiny"
    for p in ("figures/fig1.pdf", "figures/fig1.png", "notebooks/fig1.ipynb", "data/fig1/c.nc",
              "data/fig1/d.nc", "stability/fig1.json", "params/fig1.json", "benchmarks/sweep/fig1.tsv",
              "logs/sweep/fig1.log"):
        assert (run / p).exists(), p
    ds = xr.load_dataset(run / "data" / "fig1" / "d.nc")
    assert set(ds.S_Q.dims) == {"series", "Delta_a"}
    assert list(ds.series.values) == ["left", "right"]
    for v in ("S_Q", "S_Q_min", "S_Q_max", "verdict", "certified", "G_a", "G_m", "sigma_a"):
        assert v in ds and "long_name" in ds[v].attrs
    for a in ("title", "source", "history", "references", "Conventions", "parameters",
              "code_version", "solver_settings", "window_tau", "initial_state"):
        assert a in ds.attrs, a
    assert ds.attrs["run"] == "test-tiny"
    # σ_a(6 kHz) is opposite for the two inputs
    assert float(ds.sigma_a.sel(series="left")[0]) == pytest.approx(-float(ds.sigma_a.sel(series="right")[0]))
    log = (run / "logs" / "sweep" / "fig1.log").read_text()
    assert "batch 1/1" in log and "point·τ/s" in log      # tqdm progress with its rate

    r = smk(project, "-n", "fig1", "--configfile", "tiny.yaml")
    assert "Nothing to be done" in r.stdout + r.stderr

    # Snakemake's own report machinery: one self-contained HTML with the figure and its caption
    smk(project, "fig1", "--configfile", "tiny.yaml", "--report", "report.html")
    html = (project / "report.html").read_text()
    assert "Sagnac-effect-induced nonreciprocal quantum synchronization" in html

    # change one figure's range: only that figure is replanned
    smk(project, "fig2", "--configfile", "tiny.yaml")
    cfg = yaml.safe_load((project / "tiny.yaml").read_text())
    cfg["figures"] = {"fig2": {"panels": {"c": {"kind": "line", "x": {"axis": "K", "range": [-3e-5, 3e-5]}}}}}
    (project / "tiny2.yaml").write_text(yaml.safe_dump(cfg))
    r = smk(project, "-n", "fig1", "fig2", "--configfile", "tiny2.yaml")
    jobs = planned_jobs(r.stdout + r.stderr)
    assert jobs.get("sweep_fig2") == 1 and "sweep_fig1" not in jobs
    assert jobs.get("params") == 1       # fig2's record is rewritten (a job: planning writes nothing)

    # editing the notebook reruns only the plot
    nb = project / "notebooks" / "fig1.ipynb"
    nb.write_text(nb.read_text().replace("uncertified points are marked", "uncertified points are flagged"))
    r = smk(project, "-n", "fig1", "--configfile", "tiny.yaml")
    jobs = planned_jobs(r.stdout + r.stderr)
    assert jobs.get("plot") == 1 and "sweep_fig1" not in jobs


def test_variant_run_lands_in_its_own_folder(project):
    (project / "variant.yaml").write_text(yaml.safe_dump({"run": "test-variant", "parameters": {"chi": 0.03}}))
    smk(project, "figS11", "--configfile", "tiny.yaml", "variant.yaml")
    assert (project / "results" / "test-variant" / "figures" / "figS11.pdf").exists()
    assert not (project / "results" / "test-tiny").exists()
    ds = xr.load_dataset(project / "results" / "test-variant" / "data" / "figS11" / "a.nc")
    assert '"chi": 0.03' in ds.attrs["parameters"]


def test_variant_overlays_validate_against_the_schema():
    from snakemake.utils import validate

    from qorepro.workflow.spec import check_config, variant_config
    base = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    validate(base, str(ROOT / "config" / "schema.yaml"), set_default=True)
    assert base["variants"], "the config declares variant runs"
    for name, path in base["variants"].items():
        overlay = yaml.safe_load((ROOT / path).read_text())
        merged = variant_config(base, name, overlay)
        validate(merged, str(ROOT / "config" / "schema.yaml"), set_default=True)
        check_config(merged)
        assert merged["run"] == name


def test_named_variant_builds_in_the_same_dag_without_touching_the_main_run(project):
    (project / "var.yaml").write_text(yaml.safe_dump({"parameters": {"chi": 0.03}}))
    cfg = yaml.safe_load((project / "tiny.yaml").read_text())
    cfg["variants"] = {"tiny-var": "var.yaml"}
    (project / "tiny-v.yaml").write_text(yaml.safe_dump(cfg))
    smk(project, "figS11", "--configfile", "tiny-v.yaml")
    main = project / "results" / "test-tiny"
    stamp = {p: p.stat().st_mtime for p in main.rglob("*") if p.is_file()}
    smk(project, "results/tiny-var/figures/figS11.pdf", "--configfile", "tiny-v.yaml")
    assert (project / "results" / "tiny-var" / "data" / "figS11" / "a.nc").exists()
    assert {p: p.stat().st_mtime for p in main.rglob("*") if p.is_file()} == stamp
    r = smk(project, "-n", "figS11", "--configfile", "tiny-v.yaml")
    assert "Nothing to be done" in r.stdout + r.stderr
    ds = xr.load_dataset(project / "results" / "tiny-var" / "data" / "figS11" / "a.nc")
    assert '"chi": 0.03' in ds.attrs["parameters"] and ds.attrs["run"] == "tiny-var"


def test_bad_variant_overlay_fails_before_running(project):
    (project / "bad-var.yaml").write_text(yaml.safe_dump({"parameters": {"gamma1": -1}}))
    cfg = yaml.safe_load((project / "tiny.yaml").read_text())
    cfg["variants"] = {"broken": "bad-var.yaml"}
    (project / "tiny-b.yaml").write_text(yaml.safe_dump(cfg))
    r = smk(project, "-n", "results/broken/figures/fig1.pdf", "--configfile", "tiny-b.yaml", check=False)
    assert r.returncode != 0 and "gamma1" in r.stdout + r.stderr
    assert not (project / "results").exists()


def test_chunked_sweep_equals_single_job(project):
    (project / "chunk.yaml").write_text(yaml.safe_dump({"chunk_points": 3}))
    smk(project, "fig1", "--configfile", "tiny.yaml", "--config", "run=whole")
    r = smk(project, "-n", "fig1", "--configfile", "tiny.yaml", "chunk.yaml", "--config", "run=chunked")
    jobs = planned_jobs(r.stdout + r.stderr)
    assert jobs.get("sweep_chunk_fig1") == 2 and jobs.get("sweep_fig1") == 1   # 4 points, 3 per chunk
    smk(project, "fig1", "--configfile", "tiny.yaml", "chunk.yaml", "--config", "run=chunked")
    for panel in ("c", "d"):
        a = xr.load_dataset(project / "results" / "whole" / "data" / "fig1" / f"{panel}.nc")
        b = xr.load_dataset(project / "results" / "chunked" / "data" / "fig1" / f"{panel}.nc")
        for v in a.data_vars:
            # the same numbers; a point's position in its compiled batch may change the order of
            # XLA's vectorised arithmetic at the last bit (measured: ≤ 2e-16 relative), so floats
            # are compared to 1e-12 relative and everything else exactly
            if a[v].dtype.kind == "f":
                np.testing.assert_allclose(a[v].values, b[v].values, rtol=1e-12, atol=1e-12, err_msg=f"{panel}/{v}")
            else:
                assert a[v].equals(b[v]), (panel, v)
    assert not list((project / "results" / "chunked").glob("chunks/fig1/*.npz"))   # temp, removed


def test_steady_state_figures_end_to_end(project):
    """A companion-paper figure runs through the same params → sweep → certify → plot chain;
    its NetCDF carries the model's parameters with units, the verdicts and the covariance."""
    smk(project, "jiao2022_fig4", "jiao2022_fig4_cascaded_noise", "jiao2020_fig1", "--configfile", "tiny.yaml")
    run = project / "results" / "test-tiny"
    for f in ("jiao2022_fig4", "jiao2022_fig4_cascaded_noise", "jiao2020_fig1"):
        for p in (f"figures/{f}.pdf", f"figures/{f}.png", f"stability/{f}.json", f"params/{f}.json"):
            assert (run / p).exists(), p
    ds = xr.load_dataset(run / "data" / "jiao2022_fig4" / "a.nc")
    assert list(ds.series.values) == ["left", "right"]
    assert (ds.verdict == "unphysical_covariance").all() and ds.dynamically_stable.all()   # eq. 18 as printed
    fixed = xr.load_dataset(run / "data" / "jiao2022_fig4_cascaded_noise" / "a.nc")
    assert (fixed.verdict == "stable_fixed_point").all() and '"correlated_noise": 1.0' in fixed.attrs["parameters"]
    assert ds.V_mech.shape == (2, 4, 4) and "E_N" in ds and "theta" in ds
    for a in ("parameters", "parameter_units", "solver_settings", "code_version", "references"):
        assert a in ds.attrs, a
    assert "Jiao" in ds.attrs["references"] and '"mass_ng": 15.0' in ds.attrs["parameters"]
    fz = xr.load_dataset(run / "data" / "jiao2020_fig1" / "b.nc")
    assert float(fz.Delta_F_MHz.sel(series="left")[-1]) == pytest.approx(-float(fz.Delta_F_MHz.sel(series="right")[-1]))
    r = smk(project, "-n", "jiao2022_fig4", "--configfile", "tiny.yaml")
    assert "Nothing to be done" in r.stdout + r.stderr


def test_continued_run_equals_an_uninterrupted_one(project):
    """A variant with `continue_from: main` starts every point from the main run's stored end
    state and must give what one uninterrupted integration gives (fixed steps)."""
    (project / "long.yaml").write_text(yaml.safe_dump(
        {"continue_from": "main", "solver": {"t_end_tau": 6, "window_tau": [5, 6]}}))
    cfg = yaml.safe_load((project / "tiny.yaml").read_text())
    cfg["variants"] = {"tiny-long": "long.yaml"}
    (project / "tiny-c.yaml").write_text(yaml.safe_dump(cfg))
    smk(project, "results/tiny-long/data/figS11/a.nc", "results/tiny-long/data/fig2/a.nc", "--configfile", "tiny-c.yaml")
    assert (project / "results" / "test-tiny" / "data" / "figS11" / "a.nc").exists(), "the main run was built first"
    assert "continued from t = 3.0 τ" in (project / "results" / "tiny-long" / "logs" / "sweep" / "figS11.log").read_text()
    direct = yaml.safe_load((project / "tiny.yaml").read_text())
    direct.update(run="direct", solver={**direct["solver"], "t_end_tau": 6, "window_tau": [5, 6]})
    (project / "direct.yaml").write_text(yaml.safe_dump(direct))
    smk(project, "results/direct/data/figS11/a.nc", "results/direct/data/fig2/a.nc", "--configfile", "direct.yaml")
    a = xr.load_dataset(project / "results" / "tiny-long" / "data" / "figS11" / "a.nc")
    b = xr.load_dataset(project / "results" / "direct" / "data" / "figS11" / "a.nc")
    assert a.attrs["continued_from"] and "continued_from" not in b.attrs
    for v in ("S_Q", "S_Q_min", "S_Q_max", "G_a", "G_m", "x_end", "V_end", "linearization_ratio"):
        np.testing.assert_allclose(a[v].values, b[v].values, rtol=1e-10, atol=1e-12, err_msg=v)
    assert (a.verdict.values == b.verdict.values).all()
    # the ensemble is not continued but run from t = 0 in the continued run: the same numbers
    ran = np.asarray(b["twa_trajectories"].values) > 0
    assert ran.any(), "the tiny run's ensemble ran somewhere"
    for v in ("S_Q_twa", "S_Q_twa_err", "twa_trajectories", "twa_basin_fraction"):
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)
    # a figure with a trace panel beside line panels: the traces start at t = 0 in both
    ta = xr.load_dataset(project / "results" / "tiny-long" / "data" / "fig2" / "a.nc")
    tb = xr.load_dataset(project / "results" / "direct" / "data" / "fig2" / "a.nc")
    np.testing.assert_array_equal(ta.t.values, tb.t.values)
    np.testing.assert_allclose(ta.S_Q_t.values, tb.S_Q_t.values, rtol=1e-10, atol=1e-12)
