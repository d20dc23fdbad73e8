"""Fault injection: bad input and damaged results, tried the way a new user would meet them.

Every case asserts the exit status (or the exception a stage raises), that the first line of
the message names the key or the file, and that no result file was created or changed.

* configuration faults are checked by direct calls of :func:`validate_config` on the merged
  configuration (what the Snakefile does), and a handful through ``snakemake -n`` to show the
  wiring (one-line messages, nothing written);
* damaged or foreign data are injected into copies of one tiny run (figS11 and Table I,
  built once per session) and fed to every consumer: certify, plot, Table I, claims, audits,
  the offline ``verify`` and the sweep's own writer.
"""
import copy
import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr
import yaml

from qorepro.workflow import provenance
from qorepro.workflow.provenance import ProvenanceError
from qorepro.workflow.record import ConfigError, FigureSpec
from qorepro.workflow.spec import deep_merge
from qorepro.workflow.validation import validate_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = str(ROOT / "config" / "schema.yaml")
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TINY = yaml.safe_load((ROOT / "tests" / "workflow" / "tiny.yaml").read_text())


def base_config():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


BASE_FIGURES = list(base_config()["figures"])


def check(overlay, tiny=True):
    """validate_config on config.yaml + (tiny.yaml) + overlay, as Snakemake merges them."""
    cfg = base_config()
    if tiny:
        cfg = deep_merge(cfg, TINY)
    return validate_config(deep_merge(cfg, overlay), SCHEMA, BASE_FIGURES)


def first_line(e) -> str:
    return str(e).splitlines()[0]


# ------------------------------------------------------------------ configuration faults
CONFIG_FAULTS = [
    # (case, overlay, what the first line must name)
    ("NaN rate", {"parameters": {"kappa_a": float("nan")}}, "parameters.kappa_a"),
    ("NaN in an axis range", {"figures": {"figS11": {"panels": {"a": {"x": {"range": [float("nan"), 5e-5]}}}}}},
     "figures.figS11.panels.a.x.range[0]"),
    ("infinite t_end", {"solver": {"t_end_tau": float("inf")}}, "solver.t_end_tau"),
    ("-inf in a series override", {"figures": {"fig2": {"panels": {"b": {"series": {"CD": {"K": float("-inf")}}}}}}},
     "figures.fig2.panels.b.series.CD.K"),
    ("NaN initial photon number", {"initial_state": {"n_init": float("nan")}}, "initial_state.n_init"),
    ("NaN certification threshold", {"certification": {"period_rtol": float("nan")}}, "certification.period_rtol"),
    ("negative rate", {"parameters": {"kappa_a": -0.1}}, "parameters.kappa_a"),
    ("unknown parameter", {"parameters": {"kappa": 0.1}}, "kappa"),
    ("unknown top-level key", {"bogus_key": 1}, "bogus_key"),
    ("reversed window", {"solver": {"window_tau": [3, 2]}}, "solver.window_tau"),
    ("window past t_end", {"solver": {"window_tau": [2, 5]}}, "solver.window_tau"),
    ("reversed window in a preset", {"presets": {"tiny": {"solver": {"window_tau": [3, 2]}}}},
     "presets.tiny.solver.window_tau"),
    ("preset window past t_end", {"presets": {"quick": {"solver": {"t_end_tau": 10, "window_tau": [5, 20]}}}},
     "presets.quick.solver.window_tau"),
    ("unknown preset", {"preset": "huge"}, "preset"),
    ("unknown axis", {"figures": {"fig2": {"panels": {"c": {"x": {"axis": "Kerr", "range": [0, 1]}}}}}}, "Kerr"),
    ("negative companion radius", {"models": {"jiao2020": {"parameters": {"radius_mm": -1.1}}}},
     "models.jiao2020.parameters.radius_mm"),
    ("zero wavelength", {"models": {"jiao2020": {"parameters": {"wavelength_nm": 0}}}},
     "models.jiao2020.parameters.wavelength_nm"),
    ("efficiency above one", {"models": {"jiao2022": {"parameters": {"eta": 2}}}}, "models.jiao2022.parameters.eta"),
    ("negative temperature", {"models": {"jiao2022": {"parameters": {"T_mK": -5}}}}, "models.jiao2022.parameters.T_mK"),
    ("figure-level companion parameter out of range",
     {"figures": {"jiao2022_fig4_cascaded_noise": {"parameters": {"correlated_noise": 0.5}}}},
     "figures.jiao2022_fig4_cascaded_noise.parameters.correlated_noise"),
    ("unknown companion parameter", {"models": {"jiao2020": {"parameters": {"P_W": 0.02}}}}, "P_W"),
    ("unknown plot variable", {"figures": {"figS11": {"panels": {"a": {"variables": ["G_a", "G_mm"]}}}}},
     "figures.figS11.panels.a.variables"),
    ("trace panel asked for a point variable", {"figures": {"figS3": {"panels": {"a": {"variables": ["G_a"]}}}}},
     "figures.figS3.panels.a.variables"),
    ("map-only variable on a companion line", {"figures": {"jiao2020_fig2": {"panels": {"b": {"variables": ["Theta5"]}}}}},
     "figures.jiao2020_fig2.panels.b.variables"),
    ("misspelt figure override", {"figures": {"figS11x": {"panels": {"a": {"variables": ["G_a"]}}}}}, "figures.figS11x"),
    ("misspelt figure override with a kind", {"figures": {"figs11": {"panels": {"a": {"kind": "line",
                                              "x": {"axis": "K", "range": [0, 1e-5]}}}}}}, "figures.figs11"),
    ("axis with 10^7 points", {"figures": {"figS11": {"panels": {"a": {"x": {"n": 10_000_000}}}}}}, "figures.figS11"),
    ("preset with 10^7 line points", {"presets": {"tiny": {"line_points": 10_000_000}}}, "figures."),
    ("companion map with 10^8 points", {"figures": {"jiao2020_figS2": {"panels": {"b": {"x": {"n": 10_000},
                                                                                        "y": {"n": 10_000}}}}}},
     "figures.jiao2020_figS2"),
    ("non-integer grid size", {"presets": {"tiny": {"map_points": 2.5}}}, "presets.tiny.map_points"),
    ("axis with both range and values", {"figures": {"figS11": {"panels": {"a": {"x": {"values": [0, 1e-5]}}}}}},
     "figures.figS11.panels.a.x"),
]


@pytest.mark.parametrize("case,overlay,key", CONFIG_FAULTS, ids=[c[0] for c in CONFIG_FAULTS])
def test_config_fault_is_refused_naming_the_key(case, overlay, key):
    with pytest.raises(ConfigError) as e:
        check(overlay)
    line = first_line(e.value)
    assert line.startswith(key) or key in line, line
    assert len(str(e.value).splitlines()) == 1 and "Failed validating" not in str(e.value)


def test_suggestions_name_the_nearest_figure():
    with pytest.raises(ConfigError, match=r"did you mean figS11\?"):
        check({"figures": {"figS11x": {"panels": {"a": {"variables": ["G_a"]}}}}})


def test_size_limit_message_says_how_many_and_how_to_raise_it():
    with pytest.raises(ConfigError) as e:
        check({"figures": {"figS11": {"panels": {"a": {"x": {"n": 10_000_000}}}}}})
    msg = str(e.value)
    assert "10,000,000" in msg and "limits.time_domain_points" in msg and "limits:" in msg
    # raising the limit accepts it (the count is made from the configuration: nothing allocated)
    from qorepro.workflow.validation import check_sizes
    cfg = check({})
    cfg["figures"]["figS11"]["panels"]["a"]["x"]["n"] = 10_000_000
    cfg["limits"]["time_domain_points"] = 10_000_000
    check_sizes(cfg)


def test_a_complete_new_figure_is_accepted():
    cfg = check({"figures": {"myfig": {"title": "mine", "group": "si",
                                       "panels": {"a": {"kind": "line", "x": {"axis": "K", "range": [0, 1e-5]}}}}}})
    assert "myfig" in cfg["figures"]


def test_plot_variables_are_the_engines_variables():
    from qorepro import sweep
    from qorepro.models import MODELS
    from qorepro.workflow.timedomain import PLOT_VARIABLES
    point = set(sweep.variables_of(MODELS["lai2025"])) - set(sweep.EXTRA_DIMS)
    assert set(PLOT_VARIABLES["line"]) <= point
    assert set(PLOT_VARIABLES["map"]) <= point | {"theta"}


# ------------------------------------------------------------- the same through Snakemake
def smk(cwd, *args):
    return subprocess.run(SNAKEMAKE + list(args), cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"}, timeout=300)


def error_line(r) -> str:
    """The line after Snakemake's 'WorkflowError in file …' header (the message's first line)."""
    lines = (r.stdout + r.stderr).splitlines()
    for i, ln in enumerate(lines):
        if ln.strip().startswith("WorkflowError"):       # (indented inside an InputFunctionException)
            return lines[i + 1].strip() if ln.rstrip().endswith(":") else ln
    return "\n".join(lines[-5:])


SNAKEMAKE_FAULTS = [
    ("NaN rate", {"parameters": {"kappa_a": ".nan"}}, ["-n", "fig1"], "parameters.kappa_a"),
    ("unknown key, no schema dump", {"bogus_key": 1}, ["-n", "fig1"], "bogus_key"),
    ("misspelt figure override", {"figures": {"figS11x": {"panels": {"a": {"variables": ["G_a"]}}}}},
     ["-n", "figS11"], "did you mean figS11?"),
    ("unknown target", {}, ["-n", "figS77"], "did you mean figS7?"),
    ("10^7 points, refused before planning", {"figures": {"figS11": {"panels": {"a": {"x": {"n": 10_000_000}}}}}},
     ["-n", "figS11"], "limits.time_domain_points"),
    ("preset window after the merge", {"presets": {"tiny": {"solver": {"window_tau": [3, 2]}}}}, ["-n", "fig1"],
     "presets.tiny.solver.window_tau"),
    ("zero wavelength", {"models": {"jiao2020": {"parameters": {"wavelength_nm": 0}}}}, ["-n", "jiao2020_fig1"],
     "wavelength_nm"),
]


@pytest.mark.parametrize("case,overlay,args,needle", SNAKEMAKE_FAULTS, ids=[c[0] for c in SNAKEMAKE_FAULTS])
def test_snakemake_refuses_before_any_job(project, case, overlay, args, needle):
    text = yaml.safe_dump(deep_merge(TINY, overlay)).replace("'.nan'", ".nan")
    (project / "bad.yaml").write_text(text)
    r = smk(project, *args, "--configfile", "bad.yaml")
    assert r.returncode == 1
    assert needle in error_line(r), (r.stdout + r.stderr)[-2000:]
    out = r.stdout + r.stderr
    assert len(out.splitlines()) < 25 and "Failed validating" not in out      # one message, no dump
    assert not (project / "results").exists()


@pytest.mark.parametrize("content,needle", [("parameters: {chi: [1\n", "line 2"), ("", "empty")],
                         ids=["broken variant YAML", "empty variant YAML"])
def test_bad_variant_file_is_named(project, content, needle):
    (project / "var.yaml").write_text(content)
    cfg = copy.deepcopy(TINY)
    cfg["variants"] = {"myvar": "var.yaml"}
    (project / "tiny-v.yaml").write_text(yaml.safe_dump(cfg))
    r = smk(project, "-n", "results/myvar/figures/figS11.pdf", "--configfile", "tiny-v.yaml")
    assert r.returncode == 1
    line = error_line(r)
    assert "var.yaml" in line and needle in line, line
    assert not (project / "results").exists()


# ---------------------------------------------------------------- damaged or foreign data
@pytest.fixture(scope="session")
def faults_run(tmp_path_factory):
    """figS11 and Table I of the tiny config, built once (params → sweep → certify → plot)."""
    proj = tmp_path_factory.mktemp("faults")
    for name in ("Snakefile", "workflow", "config", "notebooks", "profiles"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, proj / name)
    shutil.copy(ROOT / "tests" / "workflow" / "tiny.yaml", proj / "tiny.yaml")
    r = smk(proj, "figS11", "results/test-tiny/tables/table1.md", "--configfile", "tiny.yaml")
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    return proj


@pytest.fixture()
def run(faults_run, tmp_path):
    """A private copy of the tiny run's results (mtimes kept)."""
    dst = tmp_path / "results"
    shutil.copytree(faults_run / "results", dst)
    return dst / "test-tiny"


def digests(root: Path) -> dict:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def edit_panel(path: Path, fn, restamp=False):
    """Rewrite a panel file with ``fn(ds)`` applied, keeping its attributes (and its mtime)."""
    st = path.stat()
    ds = xr.load_dataset(path)
    ds = fn(ds)
    path.unlink()
    ds.to_netcdf(path)
    os.utime(path, (st.st_atime, st.st_mtime))


def double_G_a(ds):
    ds["G_a"] = ds["G_a"] * 2
    return ds


def bad_verdict(ds):
    v = ds["verdict"].values.copy()
    v.flat[0] = "stable_fixe"
    ds["verdict"] = (ds["verdict"].dims, v, ds["verdict"].attrs)
    return ds


def foreign(ds):
    """A valid file of another run: the same figure computed with ξ_a = 10 (stamped as such)."""
    import dataclasses
    spec = FigureSpec.load(os.environ["_FAULT_RECORD"])
    other = dataclasses.replace(spec, run="elsewhere", parameters={**spec.parameters, "xi_a": 10.0})
    return provenance.stamp(ds, other, ds.attrs["panel"], ds.attrs["references"], ds.attrs["source"])


def truncate(path: Path):
    st = path.stat()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    os.utime(path, (st.st_atime, st.st_mtime))


DATA_FAULTS = {
    "G_a doubled": (double_G_a, "'G_a' changed"),
    "verdict edited to stable_fixe": (bad_verdict, "'verdict' changed"),
    "valid file of another run": (foreign, "parameters.xi_a"),
    "truncated, mtime restored": (None, "not a readable NetCDF"),
}


def inject(run: Path, fig: str, panel: str, fault: str) -> Path:
    path = run / "data" / fig / f"{panel}.nc"
    fn, _ = DATA_FAULTS[fault]
    if fn is None:
        truncate(path)
    else:
        os.environ["_FAULT_RECORD"] = str(run / "params" / f"{fig}.json")
        edit_panel(path, fn)
    return path


@pytest.mark.parametrize("fault", list(DATA_FAULTS))
def test_certify_refuses_damaged_data(run, fault):
    from qorepro.workflow.certification import write_summary
    path = inject(run, "figS11", "a", fault)
    before = digests(run)
    out = run / "stability" / "new.json"
    with pytest.raises(ProvenanceError) as e:
        write_summary("figS11", {"a": str(path)}, str(out), str(run / "params" / "figS11.json"))
    assert first_line(e.value).startswith(str(path)) and DATA_FAULTS[fault][1] in str(e.value)
    assert not out.exists() and digests(run) == before


@pytest.mark.parametrize("fault", ["G_a doubled", "valid file of another run"])
def test_plot_refuses_damaged_data(run, fault):
    from qorepro import plotting
    path = inject(run, "figS11", "a", fault)
    with pytest.raises(ProvenanceError) as e:
        plotting.load_panels(str(run / "data" / "figS11"), str(run / "params" / "figS11.json"),
                             str(run / "stability" / "figS11.json"))
    assert first_line(e.value).startswith(str(path)) and DATA_FAULTS[fault][1] in str(e.value)


@pytest.mark.parametrize("fault", ["G_a doubled", "truncated, mtime restored"])
def test_table1_refuses_damaged_data(run, fault):
    from qorepro.workflow.table import build_table
    path = inject(run, "table1", "baseline", fault)
    rec = FigureSpec.load(str(run / "params" / "table1.json"))
    with pytest.raises(ProvenanceError) as e:
        build_table(rec, str(path), {}, 6.0)
    assert first_line(e.value).startswith(str(path)) and DATA_FAULTS[fault][1] in str(e.value)


@pytest.mark.parametrize("fault", ["G_a doubled", "valid file of another run"])
def test_claims_refuse_damaged_data(run, fault, tmp_path):
    from qorepro.workflow.claims_report import run_claims
    path = inject(run, "table1", "baseline", fault)
    csv, md = tmp_path / "claims.csv", tmp_path / "claims.md"
    with pytest.raises(ProvenanceError) as e:
        run_claims(str(ROOT / "config" / "claims.yaml"), {"table1/baseline": str(path)}, "test-tiny", str(csv), str(md))
    assert first_line(e.value).startswith(str(path)) and DATA_FAULTS[fault][1] in str(e.value)
    assert not csv.exists() and not md.exists()


def test_claims_accept_intact_data(run, tmp_path):
    from qorepro.workflow.claims_report import run_claims
    rows = run_claims(str(ROOT / "config" / "claims.yaml"), {"table1/baseline": str(run / "data" / "table1" / "baseline.nc")},
                      "test-tiny", str(tmp_path / "c.csv"), str(tmp_path / "c.md"))
    assert [r["id"] for r in rows] == ["C23"]


def test_audits_refuse_damaged_data(run, tmp_path):
    from qorepro.workflow.audits import floquet_vs_window
    path = inject(run, "figS11", "a", "G_a doubled")
    with pytest.raises(ProvenanceError) as e:
        floquet_vs_window(str(run / "data"), ["figS11"], str(tmp_path / "f.csv"), str(tmp_path / "f.md"))
    assert first_line(e.value).startswith(str(path))
    assert not (tmp_path / "f.csv").exists()


def _certify_job(run, path, out, log, sha=None) -> str:
    """A script running the certify stage the way a rule's script does, on a job object with
    the rule's inputs, outputs and params."""
    rec = run / "params" / "figS11.json"
    sha = sha or hashlib.sha256(rec.read_bytes()).hexdigest()
    return (
        "from types import SimpleNamespace\n"
        "from snakemake.iocontainers import Namedlist\n"
        "from qorepro.workflow import jobs, stages\n"
        f"job = SimpleNamespace(rule='certify', log=[{str(log)!r}],\n"
        "    wildcards=Namedlist(fromdict={'run': 'test-tiny', 'figure': 'figS11'}),\n"
        f"    input=Namedlist(fromdict={{'params': {str(rec)!r}, 'data': [{str(path)!r}]}}),\n"
        f"    output=Namedlist(fromdict={{'json': {str(out)!r}}}),\n"
        f"    params=Namedlist(fromdict={{'record_sha256': {sha!r}}}))\n"
        "jobs.run(job, stages.certify)\n")


def test_certify_job_exits_1_with_one_line(run, tmp_path):
    path = inject(run, "figS11", "a", "verdict edited to stable_fixe")
    out, log = run / "stability" / "x.json", tmp_path / "certify.log"
    r = subprocess.run([sys.executable, "-c", _certify_job(run, path, out, log)], capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert log.read_text().strip().splitlines() == [f"provenance check failed: {path}: data variable 'verdict' "
                                                    "changed since it was computed (checksum mismatch); rerun its sweep"]
    assert not out.exists()


def test_a_job_refuses_a_record_other_than_the_planned_one(run, tmp_path):
    path = run / "data" / "figS11" / "a.nc"
    out, log = run / "stability" / "x.json", tmp_path / "certify.log"
    r = subprocess.run([sys.executable, "-c", _certify_job(run, path, out, log, sha="0" * 64)],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    line, = log.read_text().strip().splitlines()
    assert line.startswith(f"provenance check failed: {run / 'params' / 'figS11.json'}: not the record this run's "
                           "configuration gives"), line
    assert not out.exists()


def test_a_panel_of_another_panel_is_refused(run):
    """A file copied over a sibling panel: the panel name differs."""
    src = run / "data" / "table1" / "baseline.nc"
    with pytest.raises(ProvenanceError, match="expected panel 'a'"):
        provenance.open_verified(str(src), str(run / "params" / "table1.json"), "a")


def test_manifest_and_offline_verify(run):
    recs = [str(run / "params" / f) for f in ("figS11.json", "table1.json")]
    panels = [str(run / "data" / "figS11" / "a.nc"), str(run / "data" / "table1" / "baseline.nc")]
    provenance.write_manifest(str(run), recs, panels)
    cmd = [sys.executable, "-m", "qorepro", "verify", str(run)]
    ok = subprocess.run(cmd, capture_output=True, text=True)
    assert ok.returncode == 0 and "verified: 4 files" in ok.stdout, ok.stderr
    truncate(run / "data" / "table1" / "baseline.nc")
    bad = subprocess.run(cmd, capture_output=True, text=True)
    assert bad.returncode == 1 and "baseline.nc: sha256 differs" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_manifest_is_not_written_over_damaged_data(run):
    inject(run, "figS11", "a", "G_a doubled")
    with pytest.raises(ProvenanceError):
        provenance.write_manifest(str(run), [], [str(run / "data" / "figS11" / "a.nc")])
    assert not (run / "MANIFEST").exists() and not (run / "MANIFEST.part").exists()


def test_verify_without_manifest_says_how_to_build_it(run):
    r = subprocess.run([sys.executable, "-m", "qorepro", "verify", str(run)], capture_output=True, text=True)
    assert r.returncode == 1 and "MANIFEST: no manifest" in r.stderr


def test_hand_edited_params_record_is_refused_then_rebuilt(faults_run, tmp_path):
    proj = tmp_path / "proj"
    shutil.copytree(faults_run, proj, symlinks=True)
    rec = proj / "results" / "test-tiny" / "params" / "figS11.json"
    panel = proj / "results" / "test-tiny" / "data" / "figS11" / "a.nc"
    original = rec.read_text()
    d = json.loads(original)
    assert d["parameters"]["xi_a"] == 35.0
    d["parameters"]["xi_a"] = 10.0
    rec.write_text(json.dumps(d, sort_keys=True, indent=1) + "\n")
    before = digests(proj / "results")
    r = smk(proj, "-n", "figS11", "--configfile", "tiny.yaml")
    assert r.returncode == 0 and digests(proj / "results") == before      # planning writes nothing
    # the sweep that would read it refuses the record: nothing is computed from the edited value
    r = smk(proj, "figS11", "--configfile", "tiny.yaml")
    assert r.returncode != 0 and f"{rec.relative_to(proj)}: not the record this run's configuration gives" in (
        r.stdout + r.stderr)
    assert not panel.exists() or json.loads(xr.load_dataset(panel).attrs["parameters"])["xi_a"] == 35.0
    # the message's remedy: the record and what is computed from it are rebuilt from the configuration
    assert f"--forcerun {rec.relative_to(proj)}" in r.stdout + r.stderr
    r = smk(proj, "figS11", "--configfile", "tiny.yaml", "--forcerun", str(rec.relative_to(proj)))
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert rec.read_text() == original
    provenance.open_verified(str(panel), str(rec), "a")
    # the config is what changes the numbers: its record is rewritten and the sweep replanned
    (proj / "xi.yaml").write_text(yaml.safe_dump({"parameters": {"xi_a": 10.0}}))
    r = smk(proj, "-n", "figS11", "--configfile", "tiny.yaml", "xi.yaml")
    assert r.returncode == 0 and "sweep_figS11" in r.stdout + r.stderr and "params" in r.stdout + r.stderr
    assert rec.read_text() == original


# --------------------------------------------------------------------------- write faults
def test_full_disk_says_so_and_leaves_no_part(tmp_path, monkeypatch):
    import shutil as _shutil

    from qorepro import io

    def failing(self, path, *a, **k):
        Path(path).write_bytes(b"\x89HDF partial")
        raise RuntimeError("NetCDF: HDF error")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", failing)
    monkeypatch.setattr(_shutil, "disk_usage", lambda p: _shutil._ntuple_diskusage(100, 100, 0))
    target = tmp_path / "a.nc"
    target.write_bytes(b"previous result")
    with pytest.raises(OSError) as e:
        io.write_netcdf(xr.Dataset({"x": ("i", [1.0, 2.0])}), str(target))
    assert e.value.errno == errno.ENOSPC and "No space left on device" in str(e.value) and str(target) in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nc"] and target.read_bytes() == b"previous result"


def test_interrupted_write_leaves_no_part(tmp_path, monkeypatch):
    from qorepro import io

    def interrupted(self, path, *a, **k):
        Path(path).write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_netcdf", interrupted)
    with pytest.raises(KeyboardInterrupt):
        io.write_netcdf(xr.Dataset({"x": ("i", [1.0])}), str(tmp_path / "a.nc"))
    assert list(tmp_path.iterdir()) == []


def test_sweep_removes_parts_left_by_a_killed_run(tmp_path):
    from qorepro.io import remove_partial
    (tmp_path / "a.nc.part").write_bytes(b"killed")
    (tmp_path / "b.nc").write_bytes(b"kept")
    assert remove_partial(str(tmp_path)) == [str(tmp_path / "a.nc.part")]
    assert [p.name for p in tmp_path.iterdir()] == ["b.nc"]
