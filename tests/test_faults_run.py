"""Fault injection, second round (issue 21): stale chunks, variant settings, attributes inside
the digest, verified summaries, execution-setting tolerance, disk full outside the sweep,
orphaned writers.  Each case asserts the exit status (or the exception), that the first line
of the message names the file or key, and that no wrong result is written."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from qorepro.workflow import figure
from qorepro.workflow.provenance import ProvenanceError
from qorepro.workflow.record import FigureSpec
from qorepro.workflow.spec import deep_merge, resolve_figure
from qorepro.workflow.validation import validate_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = str(ROOT / "config" / "schema.yaml")
BASE = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
TINY = yaml.safe_load((ROOT / "tests" / "workflow" / "tiny.yaml").read_text())


def config(overlay=None):
    return validate_config(deep_merge(deep_merge(BASE, TINY), overlay or {}), SCHEMA, list(BASE["figures"]))


def record(fig="jiao2022_fig3", overlay=None) -> FigureSpec:
    """The record as a job reads it (through its JSON text)."""
    return FigureSpec.from_record(json.loads(resolve_figure(config(overlay), fig).to_json()))


def first_line(e) -> str:
    return str(e).splitlines()[0]


# ----------------------------------------------------------------------- 1. stale chunks
@pytest.fixture(scope="module")
def chunks(tmp_path_factory):
    """jiao2022_fig3 (seconds) computed whole, in 3 chunks and in 2 chunks; and the chunks
    of a record with another parameter."""
    d = tmp_path_factory.mktemp("chunks")
    spec = record()
    whole = figure.compute_figure(spec, str(d / "whole"))
    out = {"spec": spec, "whole": whole, "dir": d}
    for k in (2, 3):
        out[k] = [str(d / f"{i}-of-{k}.npz") for i in range(k)]
        for i, p in enumerate(out[k]):
            figure.compute_chunk(spec, i, k, p)
    other = record(overlay={"figures": {"jiao2022_fig3": {"parameters": {"eta": 0.5}}}})
    out["other"] = [str(d / f"other-{i}-of-3.npz") for i in range(3)]
    for i, p in enumerate(out["other"]):
        figure.compute_chunk(other, i, 3, p)
    return out


def test_chunks_of_one_split_merge_to_the_whole_figure(chunks, tmp_path):
    merged = figure.merge_chunks(chunks["spec"], chunks[3], str(tmp_path))
    for p, path in chunks["whole"].items():
        a, b = xr.load_dataset(path), xr.load_dataset(merged[p])
        for v in a.data_vars:
            assert a[v].equals(b[v]), (p, v)


STALE = {
    # case → (chunk files: (split, index) or ("other", index), message)
    "chunks of two splits mixed (chunk_points changed mid-run)": ([(3, 0), (2, 1)], "holds points"),
    "a chunk missing": ([(3, 0), (3, 2)], "holds points"),
    "a chunk twice": ([(3, 0), (3, 0), (3, 1), (3, 2)], "holds points"),
    "the last chunk missing": ([(3, 0), (3, 1)], "the chunks end at point"),
    "a chunk of another record": ([(3, 0), ("other", 1), (3, 2)], "computed from another record"),
}


@pytest.mark.parametrize("case", list(STALE))
def test_stale_chunks_are_refused_with_one_line(chunks, tmp_path, case):
    files, needle = STALE[case]
    paths = [chunks[k][i] for k, i in files]
    out = tmp_path / "data"
    with pytest.raises(ProvenanceError) as e:
        figure.merge_chunks(chunks["spec"], paths, str(out))
    line = first_line(e.value)
    assert needle in line and line.startswith(str(chunks["dir"])) and len(str(e.value).splitlines()) == 1
    assert not out.exists() or not list(out.iterdir())


def test_a_chunk_of_a_figure_with_another_point_count_is_refused(chunks, tmp_path):
    bigger = record(overlay={"presets": {"tiny": {"line_points": 3}}})
    path = str(tmp_path / "0-of-1.npz")
    figure.compute_chunk(bigger, 0, 1, path)
    # the same record digest is impossible here (the grid is in the record); forge it to test the count check
    z = dict(np.load(path))
    from qorepro.workflow.provenance import record_digest
    z["record_digest"] = np.array(record_digest(chunks["spec"]))
    np.savez(path, **z)
    with pytest.raises(ProvenanceError, match=r"points of a \d+-point figure"):
        figure.merge_chunks(chunks["spec"], [path], str(tmp_path / "data"))


# ------------------------------------------- 1 + 8. chunking changed mid-run, execution settings
#: the stated tolerance of the execution settings (docs/workflow-and-outputs.md, "Execution
#: settings"): `chunk_points` and `engine.batch_size` change which points share a compiled batch,
#: and XLA's vectorised arithmetic may then round differently in the last bits (measured ≤ 2e-12
#: relative); floats agree to this relative bound, everything else (verdicts, flags) exactly
EXECUTION_RTOL = 1e-11


def smk(project, *args, check=True):
    r = subprocess.run([sys.executable, "-m", "snakemake", "-j1", *args], cwd=project, capture_output=True,
                       text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if check and r.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def max_rel_diff(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    scale = np.maximum(np.abs(a[ok]), np.abs(b[ok]))
    d = np.abs(a[ok] - b[ok])
    return float(np.max(np.where(scale > 0, d / np.where(scale > 0, scale, 1), d), initial=0.0))


def assert_same_numbers(a_dir: Path, b_dir: Path, panels) -> float:
    worst = 0.0
    for p in panels:
        a, b = xr.load_dataset(a_dir / f"{p}.nc"), xr.load_dataset(b_dir / f"{p}.nc")
        assert set(a.variables) == set(b.variables) and a.attrs["record_digest"] == b.attrs["record_digest"]
        for v in a.variables:
            if a[v].dtype.kind in "fc":
                worst = max(worst, max_rel_diff(a[v].values.real, b[v].values.real),
                            max_rel_diff(np.imag(a[v].values), np.imag(b[v].values)))
            else:
                assert np.array_equal(a[v].values, b[v].values), (p, v)
    assert worst < EXECUTION_RTOL, worst
    return worst


def test_chunking_changed_mid_run_and_batch_size_keep_the_numbers(project):
    """fig1 (4 points): run unchunked; then a chunked run stopped after its first chunk of 2
    (chunk_points 3), finished with chunk_points 1 and batch_size 1 → the panels of the
    unchunked run, to the stated tolerance; never the stale chunk."""
    smk(project, "results/whole/data/fig1/c.nc", "--configfile", "tiny.yaml", "--config", "run=whole")
    (project / "c3.yaml").write_text(yaml.safe_dump({"chunk_points": 3}))
    (project / "c1.yaml").write_text(yaml.safe_dump({"chunk_points": 1, "engine": {"batch_size": 1}}))
    first = "results/chunked/chunks/fig1/0-of-2.npz"
    smk(project, first, "--configfile", "tiny.yaml", "c3.yaml", "--config", "run=chunked")
    assert (project / first).exists()
    r = smk(project, "results/chunked/data/fig1/c.nc", "--configfile", "tiny.yaml", "c1.yaml",
            "--config", "run=chunked")
    log = r.stdout + r.stderr
    assert "3-of-4.npz" in log and "1-of-2.npz" not in log
    worst = assert_same_numbers(project / "results" / "whole" / "data" / "fig1",
                                project / "results" / "chunked" / "data" / "fig1", ["c", "d"])
    print(f"chunked (1 point per chunk, batch_size 1) vs unchunked: max relative difference {worst:.3g}")


# ----------------------------------------------------------- 6. attributes inside the digest
def rewrite(path: Path, fn, redigest=False):
    """Rewrite a panel file with ``fn(attrs)`` applied to its global attributes (``redigest``:
    and its attribute digest recomputed, as a forger who knows the scheme would)."""
    from qorepro.workflow.provenance import attributes_digest
    ds = xr.load_dataset(path)
    fn(ds.attrs)
    if redigest:
        ds.attrs["attributes_digest"] = attributes_digest(ds.attrs)
    path.unlink()
    ds.to_netcdf(path)


def test_a_panel_copied_over_another_with_its_panel_attribute_edited_is_refused(chunks, tmp_path):
    from qorepro.workflow.provenance import open_verified
    spec, whole = chunks["spec"], chunks["whole"]
    a, b = sorted(whole)[:2]
    target = tmp_path / f"{a}.nc"
    target.write_bytes(Path(whole[b]).read_bytes())
    rewrite(target, lambda at: at.update(panel=a))
    with pytest.raises(ProvenanceError) as e:
        open_verified(str(target), spec, a)
    assert first_line(e.value).startswith(f"{target}: its global attributes") and len(str(e.value).splitlines()) == 1
    # re-digested by hand: the panel spec and title still say which panel it is
    rewrite(target, lambda at: None, redigest=True)
    with pytest.raises(ProvenanceError, match=r"attributes contradict the record.*(title|panels\.)"):
        open_verified(str(target), spec, a)


@pytest.mark.parametrize("redigest", [False, True], ids=["edited", "edited and re-digested"])
def test_a_file_whose_parameters_contradict_its_record_is_refused(chunks, tmp_path, redigest):
    from qorepro.workflow.provenance import open_verified
    spec, whole = chunks["spec"], chunks["whole"]
    pname = sorted(whole)[0]
    target = tmp_path / f"{pname}.nc"
    target.write_bytes(Path(whole[pname]).read_bytes())
    open_verified(str(target), spec, pname)          # the intact copy is accepted

    def edit(at):
        p = json.loads(at["parameters"])
        k = sorted(k for k, v in p.items() if isinstance(v, float))[0]
        p[k] *= 2
        at["parameters"] = json.dumps(p, sort_keys=True)
    rewrite(target, edit, redigest)
    with pytest.raises(ProvenanceError) as e:
        open_verified(str(target), spec, pname)
    line = first_line(e.value)
    assert line.startswith(str(target)) and len(str(e.value).splitlines()) == 1
    assert ("attributes contradict the record" in line and "parameters." in line) if redigest else \
        "global attributes" in line


# -------------------------------------------------------------------- 4. variant settings
def test_a_variant_named_like_the_main_run_is_refused(tmp_path):
    from qorepro.workflow.record import ConfigError
    from qorepro.workflow.validation import check_variants
    (tmp_path / "v.yaml").write_text(yaml.safe_dump({"parameters": {"chi": 0.03}}))
    cfg = config({"variants": {"test-tiny": str(tmp_path / "v.yaml")}})
    with pytest.raises(ConfigError) as e:
        check_variants(cfg, SCHEMA, list(BASE["figures"]))
    line = first_line(e.value)
    assert line.startswith("variants.test-tiny") and "named like the main run" in line


def test_variant_claims_file_and_chunk_points_are_the_variants(project):
    """A variant's own claims file and chunk_points plan its jobs (dry run)."""
    claims = yaml.safe_load((ROOT / "config" / "claims.yaml").read_text())
    claims["claims"] = [c for c in claims["claims"] if c["id"] == "C01"]
    (project / "var-claims.yaml").write_text(yaml.safe_dump(claims))
    (project / "var.yaml").write_text(yaml.safe_dump({"parameters": {"chi": 0.03}, "chunk_points": 1,
                                                      "claims_file": "var-claims.yaml"}))
    cfg = yaml.safe_load((project / "tiny.yaml").read_text())
    cfg["variants"] = {"tiny-var": "var.yaml"}
    (project / "tiny-v.yaml").write_text(yaml.safe_dump(cfg))
    r = smk(project, "-n", "results/tiny-var/claims.csv", "results/tiny-var/data/fig1/d.nc",
            "results/test-tiny/data/fig1/d.nc", "--configfile", "tiny-v.yaml")
    out = r.stdout + r.stderr
    # the variant's fig1 (4 points, chunk_points 1) in 4 chunks; the main run's (chunk_points 0) in one
    assert all(f"results/tiny-var/chunks/fig1/{i}-of-4.npz" in out for i in range(4))
    assert "results/test-tiny/chunks/fig1/0-of-1.npz" in out and "results/test-tiny/chunks/fig1/1-of" not in out
    # the variant's claims read only what its claims file names (fig1/c), from its own file
    block = out[out.index("output: results/tiny-var/claims.csv") - 600:out.index("output: results/tiny-var/claims.csv")]
    assert "var-claims.yaml" in block and "figS11" not in block
    assert not (project / "results").exists()


# --------------------------------------------------------------- 7. summaries are verified
def test_an_edited_stability_summary_is_refused_by_the_figure_and_the_report(chunks, tmp_path):
    from qorepro import plotting
    from qorepro.workflow.certification import write_summary
    from qorepro.workflow.report import figure_card, provenance_page
    spec, whole = chunks["spec"], chunks["whole"]
    params = tmp_path / "params.json"
    params.write_text(spec.to_json() + "\n")
    data_dir = str(Path(next(iter(whole.values()))).parent)
    summary = tmp_path / "stability.json"
    s = write_summary(spec.figure, whole, str(summary), str(params))
    assert plotting.load_panels(data_dir, str(params), str(summary)).stability == s      # intact: accepted
    # "every point certified" written by hand
    forged = {**s, "n_certified": s["n_points"], "counts": {"stable_fixed_point": s["n_points"]}, "non_certified": []}
    if forged == s:
        forged["n_points"] += 1
    summary.write_text(json.dumps(forged))
    png = tmp_path / "f.png"
    png.write_bytes(b"png")
    for consumer in (lambda: plotting.load_panels(data_dir, str(params), str(summary)),
                     lambda: figure_card(spec.figure, str(png), str(summary), str(params), None, {},
                                         str(tmp_path / "card.html"), list(whole.values())),
                     lambda: provenance_page("r", [spec.figure], [str(summary)], [str(params)],
                                             str(tmp_path / "prov.html"), {spec.figure: list(whole.values())})):
        with pytest.raises(ProvenanceError) as e:
            consumer()
        line = first_line(e.value)
        assert line.startswith(f"{summary}: does not match the panel data") and len(str(e.value).splitlines()) == 1
    assert not (tmp_path / "card.html").exists() and not (tmp_path / "prov.html").exists()


# ------------------------------------------------------- 10. disk full outside the sweep
def _job_script(rule, stage, inputs, outputs, params, log, patch) -> str:
    """A script running ``stage`` the way the rule's script does (through jobs.run), with
    ``patch`` (Python source) applied first to simulate the fault."""
    return (
        "import errno, hashlib\n"
        "from types import SimpleNamespace\n"
        "from snakemake.iocontainers import Namedlist\n"
        "from qorepro.workflow import jobs, stages\n"
        f"{patch}\n"
        f"job = SimpleNamespace(rule={rule!r}, log=[{str(log)!r}],\n"
        "    wildcards=Namedlist(fromdict={'run': 'r', 'figure': 'f'}),\n"
        f"    input=Namedlist(fromdict={inputs!r}), output=Namedlist(fromdict={outputs!r}),\n"
        f"    params=Namedlist(fromdict={params!r}))\n"
        f"jobs.run(job, stages.{stage})\n")


FULL_DISK_OPEN = """
import qorepro.io as qio
def full(path, *a, **k):
    open(path, "w").close()          # the 0-byte .part a full disk leaves
    raise OSError(errno.ENOSPC, "No space left on device")
qio.open = full
"""

FULL_DISK_KERNEL = """
import papermill
def full(*a, **k):
    raise papermill.PapermillExecutionError(cell_index=3, exec_count=3, source="P.save(fig, out_pdf, out_png)",
                                            ename="OSError", evalue="[Errno 28] No space left on device",
                                            traceback=[])
papermill.execute_notebook = full
"""


def test_full_disk_while_writing_a_params_record_is_one_line_and_leaves_no_part(chunks, tmp_path):
    text = chunks["spec"].to_json() + "\n"
    out, log = tmp_path / "params" / "f.json", tmp_path / "params.log"
    sha = __import__("hashlib").sha256(text.encode()).hexdigest()
    script = _job_script("params", "params", {}, {"json": str(out)}, {"record_sha256": sha, "record": text},
                         log, FULL_DISK_OPEN)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert log.read_text().strip().splitlines() == [f"params failed: No space left on device: {out}"]
    assert not out.exists() and not list((tmp_path / "params").iterdir())
    # with room, the same job writes the record
    r = subprocess.run([sys.executable, "-c", script.replace("qio.open = full", "")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_text() == text


REFUSED_IN_KERNEL = """
import papermill
def refused(*a, **k):
    raise papermill.PapermillExecutionError(cell_index=2, exec_count=2, source="data = P.load_panels(...)",
                                            ename="ProvenanceError", evalue="s.json: does not match the panel data "
                                            "it summarises (first difference: 'counts'); rerun", traceback=[])
papermill.execute_notebook = refused
"""


@pytest.mark.parametrize("fault", ["full disk", "summary refused"])
def test_the_plot_job_reports_a_failure_in_the_notebook_in_one_line(chunks, tmp_path, fault):
    text = chunks["spec"].to_json() + "\n"
    rec = tmp_path / "f.json"
    rec.write_text(text)
    sha = __import__("hashlib").sha256(text.encode()).hexdigest()
    outs = {k: str(tmp_path / f"f.{k}") for k in ("pdf", "png")}
    outs["notebook"] = str(tmp_path / "f.ipynb")
    log = tmp_path / "plot.log"
    script = _job_script("plot", "plot", {"params": str(rec), "stability": str(tmp_path / "s.json"),
                                          "notebook": str(tmp_path / "nb.ipynb")}, outs,
                         {"record_sha256": sha, "data_dir": str(tmp_path)}, log,
                         FULL_DISK_KERNEL if fault == "full disk" else REFUSED_IN_KERNEL)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert log.read_text().strip().splitlines()[-1] == (
        f"plot failed: No space left on device: {outs['pdf']}, {outs['png']}" if fault == "full disk" else
        "provenance check failed: s.json: does not match the panel data it summarises (first difference: "
        "'counts'); rerun")
    assert "Traceback" not in log.read_text()
    assert not list(tmp_path.glob("*.part*"))


# ------------------------------------------------------------------------------ 12. orphans
def _children(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (Linux /proc)."""
    kids = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                state, ppid = (d / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            except (OSError, ValueError):
                continue
            if state not in "ZX":
                kids.setdefault(int(ppid), []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in "ZX"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc")
def test_kill_9_of_snakemake_leaves_no_sweep_running(project):
    """`kill -9` of Snakemake while figS2's sweep runs: the sweep job ends itself within
    seconds (its log says why), so a rerun is never a second writer beside it."""
    import signal
    import time
    # a long integration (minutes), so that the sweep is surely still computing when Snakemake is killed
    (project / "long.yaml").write_text(yaml.safe_dump({"run": "killed", "solver": {"t_end_tau": 3000,
                                                                                    "window_tau": [2990, 3000]}}))
    p = subprocess.Popen([sys.executable, "-m", "snakemake", "-j1", "results/killed/data/figS2/a.nc",
                          "--configfile", "tiny.yaml", "long.yaml"], cwd=project, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    log = project / "results" / "killed" / "logs" / "sweep" / "figS2.log"
    sweep = []
    try:
        deadline = time.time() + 240
        while time.time() < deadline and not sweep:
            time.sleep(1)
            if log.exists():
                sweep = [c for c in _children(p.pid)
                         if "sweep" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")]
        assert sweep, "the sweep job did not start"
        time.sleep(3)                              # the job is computing
        writers = _children(p.pid)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        deadline = time.time() + 15
        while time.time() < deadline and any(_alive(c) for c in writers):
            time.sleep(0.5)
        left = [c for c in writers if _alive(c)]
        assert not left, f"still running after kill -9 of Snakemake: {left}"
        assert "job ended: the process that started it" in log.read_text().splitlines()[-1]
        assert not (project / "results" / "killed" / "data" / "figS2" / "a.nc").exists()
    finally:
        for c in _children(p.pid) + sweep:           # never leave a process of this test behind
            if _alive(c):
                os.kill(c, signal.SIGKILL)


def test_variant_engine_settings_are_the_variants(project):
    """A variant's `engine.batch_size` is what its sweep runs with (stamped in the panel's `engine`)."""
    (project / "var.yaml").write_text(yaml.safe_dump({"parameters": {"chi": 0.03}, "engine": {"batch_size": 3}}))
    cfg = yaml.safe_load((project / "tiny.yaml").read_text())
    cfg["variants"] = {"tiny-var": "var.yaml"}
    (project / "tiny-v.yaml").write_text(yaml.safe_dump(cfg))
    smk(project, "results/tiny-var/data/figS11/a.nc", "--configfile", "tiny-v.yaml")
    ds = xr.load_dataset(project / "results" / "tiny-var" / "data" / "figS11" / "a.nc")
    assert json.loads(ds.attrs["engine"])["batch_size"] == 3 and '"chi": 0.03' in ds.attrs["parameters"]


def test_a_summary_does_not_depend_on_the_order_of_its_panels():
    """The certify job passes a figure's panels in config order, the plot and the report in the
    record's (name) order: both must derive the same summary (figS9 lists OD before CD)."""
    from qorepro.workflow.certification import summarise_datasets

    def panel(verdicts):
        v = np.array(verdicts)
        return xr.Dataset({"verdict": ("K", v), "certified": ("K", v == "limit_cycle")},
                          coords={"K": np.arange(v.size, dtype=float)})

    od, cd = panel(["not_settled", "limit_cycle"]), panel(["unstable", "not_settled"])
    assert summarise_datasets("figS9", {"OD": od, "CD": cd}) == summarise_datasets("figS9", {"CD": cd, "OD": od})
