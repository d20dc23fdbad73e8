"""Fault injection at the inputs (issue 21, items 2, 5, 9, 11): every route a value takes to
a model, the configuration, variant and claims files, the MANIFEST and the command line.

Every case asserts the exit status (or the exception), ONE line naming the key, file or
option, no traceback, and that nothing was computed or written.

* configuration and claims-file faults: direct calls of the validation functions on the
  merged configuration (what the Snakefile does), and a few through ``snakemake -n`` on the
  tiny project copy (refused before any job, no results folder);
* the MANIFEST: a run of one steady-state figure written directly (seconds), its MANIFEST
  removed, emptied, truncated, foreign, incomplete …, checked with ``python -m qorepro verify``;
* the command line: ``python -m qorepro baseline`` with the engine replaced by a function
  that fails the test if it is reached.
"""
import copy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from qorepro.workflow.record import ConfigError
from qorepro.workflow.spec import deep_merge
from qorepro.workflow.validation import (
    SEED_LIMIT,
    check_claims_file,
    check_variants,
    load_yaml,
    parameter_ranges,
    validate_config,
)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = str(ROOT / "config" / "schema.yaml")
TINY = yaml.safe_load((ROOT / "tests" / "workflow" / "tiny.yaml").read_text())
BASE = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
BASE_FIGURES = list(BASE["figures"])


def tiny_config() -> dict:
    return deep_merge(BASE, TINY)


def refused(fn, *args) -> str:
    """The one-line message of the ConfigError ``fn(*args)`` raises."""
    with pytest.raises(ConfigError) as e:
        fn(*args)
    msg = str(e.value)
    assert len(msg.splitlines()) == 1 and "Traceback" not in msg and "Failed validating" not in msg, msg
    return msg


# ------------------------------------------------------- item 2: every route, the same ranges
def _set(cfg, path, value):
    d = cfg
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value
    return cfg


def fig(*path):
    return ("figures", *path)


ROUTES = [
    # (case, where in the merged config, value, the message's start)
    ("n_th < 0 in an axis values list", fig("fig3", "panels", "e", "x"), {"axis": "n_th", "values": [0, 1, -1.0]},
     "figures.fig3.panels.e.x.values[2]: -1.0 is below the minimum 0 of n_th (n1)"),
    ("n_th < 0 in an axis range", fig("fig3", "panels", "e", "x"), {"axis": "n_th", "range": [-1, 10]},
     "figures.fig3.panels.e.x.range[0]: -1 is below the minimum 0 of n_th (n1)"),
    ("rho = 0 in an axis range", fig("fig3", "panels", "a", "x"), {"axis": "rho", "range": [0, 3.0]},
     "figures.fig3.panels.a.x.range[0]: 0 must be above 0 of rho"),
    ("rho < 0 at the end of an axis range", fig("fig3", "panels", "a", "x"), {"axis": "rho", "range": [0.5, -3.0]},
     "figures.fig3.panels.a.x.range[1]: -3.0 must be above 0 of rho"),
    ("negative damping in an axis values list", fig("fig3", "panels", "b", "x"), {"axis": "gamma", "values": [-0.001, 0.01]},
     "figures.fig3.panels.b.x.values[0]: -0.001 is below the minimum 0 of gamma (gamma1)"),
    ("log axis through zero", fig("fig3", "panels", "b", "x"), {"axis": "gamma", "range": [0, 0.01], "scale": "log"},
     "figures.fig3.panels.b.x.range: [0, 0.01]"),
    ("direction over a range", fig("fig1", "panels", "d", "x"), {"axis": "direction", "range": [-1, 1]},
     "figures.fig1.panels.d.x.range: direction takes only the values [-1, 1]"),
    ("a number as a direction name on an axis", fig("fig1", "panels", "d", "x"), {"axis": "direction", "values": [1, -1]},
     "figures.fig1.panels.d.x.values[0]: direction values must be 'left' or 'right'"),
    ("a word on a numeric axis", fig("fig3", "panels", "c", "x"), {"axis": "Delta_m", "values": [-1.0, "left"]},
     "figures.fig3.panels.c.x.values[1]: axis 'Delta_m': values must be finite numbers"),
    ("companion: a word on an axis", fig("jiao2020_figS4", "panels", "b", "x"), {"axis": "T", "values": [0, "hot"]},
     "figures.jiao2020_figS4.panels.b.x.values[1]: axis 'T': values must be finite numbers"),
    ("negative rate in fixed", fig("figS1", "panels", "a", "fixed"), {"Omega": 0, "kappa_a": -0.15},
     "figures.figS1.panels.a.fixed.kappa_a: -0.15 is below the minimum 0 of kappa_a"),
    ("negative spinning speed in fixed", fig("fig1", "panels", "d", "fixed"), {"Omega": -6},
     "figures.fig1.panels.d.fixed.Omega: -6 is below the minimum 0 of Omega (Omega_kHz)"),
    ("negative thermal number in a series", fig("fig3", "panels", "c", "series", "n=1"), {"n_th": -1},
     "figures.fig3.panels.c.series.n=1.n_th: -1 is below the minimum 0 of n_th (n1)"),
    ("negative drive in a series", fig("fig2", "panels", "c", "series"), {"weak": {"xi": -3}},
     "figures.fig2.panels.c.series.weak.xi: -3 is below the minimum 0 of xi (xi_a)"),
    ("negative thermal number in a revival reference", fig("fig3", "panels", "e", "reference"), {"n_th": -2, "K": 0},
     "figures.fig3.panels.e.reference.n_th: -2 is below the minimum 0 of n_th (n1)"),
    ("companion: negative temperature on an axis", fig("jiao2020_figS4", "panels", "b", "x"),
     {"axis": "T", "range": [-10, 1000]}, "figures.jiao2020_figS4.panels.b.x.range[0]: -10 is below the minimum 0 of T (T_mK)"),
    ("companion: negative temperature in fixed", fig("jiao2020_figS4", "panels", "a", "fixed"), {"Omega": 8, "T": -130},
     "figures.jiao2020_figS4.panels.a.fixed.T: -130 is below the minimum 0 of T (T_mK)"),
    ("companion: Q below 1 in a log axis", fig("jiao2020_figS4", "panels", "c", "x"),
     {"axis": "Q", "range": [0.5, 1.0e+8], "scale": "log"},
     "figures.jiao2020_figS4.panels.c.x.range[0]: 0.5 is below the minimum 1 of Q"),
    ("companion: efficiency above 1 in a series", fig("jiao2022_fig2", "panels", "a", "series"), {"lossy": {"eta": 1.5}},
     "figures.jiao2022_fig2.panels.a.series.lossy.eta: 1.5 is above the maximum 1 of eta"),
    ("companion: direction neither ±1 in fixed", fig("jiao2020_figS4", "panels", "b", "fixed"),
     {"Omega": 8, "Delta_c": 1.2, "direction": 0.5},
     "figures.jiao2020_figS4.panels.b.fixed: direction values must be 'left' or 'right', got 0.5"),
    ("companion: negative power as a figure parameter", fig("jiao2020_fig2", "parameters"), {"P_mW": -20},
     "figures.jiao2020_fig2.parameters.P_mW"),
]


@pytest.mark.parametrize("case,path,value,start", ROUTES, ids=[r[0] for r in ROUTES])
def test_every_route_is_checked_against_the_same_ranges(case, path, value, start):
    cfg = _set(tiny_config(), path, value)
    msg = refused(validate_config, cfg, SCHEMA, BASE_FIGURES)
    assert msg.startswith(start), msg


def test_in_range_values_pass_on_every_route():
    """The boundaries of the table are accepted where they are allowed (n_th = 0, K < 0,
    direction by name, Ω = 0, a log axis above 0)."""
    cfg = tiny_config()
    _set(cfg, fig("fig3", "panels", "e", "x"), {"axis": "n_th", "values": [0, 0.5, 10]})
    _set(cfg, fig("fig3", "panels", "c", "series", "n=1"), {"n_th": 0, "K": -3e-5, "xi": 0})
    _set(cfg, fig("fig3", "panels", "b", "x"), {"axis": "gamma", "range": [0.001, 0.012], "scale": "log"})
    _set(cfg, fig("jiao2020_figS4", "panels", "b", "fixed"), {"Omega": -8, "direction": "left", "T": 0})
    _set(cfg, fig("jiao2020_figS4", "panels", "c", "x"), {"axis": "direction", "values": ["left", "right"]})
    _set(cfg, fig("figS1", "panels", "a", "x"), {"axis": "direction", "values": ["left", "right"]})
    validate_config(cfg, SCHEMA, BASE_FIGURES)


def test_the_range_table_covers_every_parameter_of_every_model():
    """One table (schema definitions.<model>_parameters) holds a range for every parameter of
    every model, and the schema's `parameters:` is that table's lai2025 entry."""
    from qorepro.models import MODELS
    table = parameter_ranges(SCHEMA)
    assert set(table) == set(MODELS)
    for name, mod in MODELS.items():
        fields = set(mod.Params.__dataclass_fields__)
        assert set(table[name]) == fields, name
        assert all(r.get("type") == "number" for r in table[name].values()), name
    schema = yaml.safe_load(Path(SCHEMA).read_text())
    assert schema["properties"]["parameters"]["$ref"] == "#/definitions/lai2025_parameters"
    # the same entry refuses the value under `parameters:` (schema) and on an axis (check_values)
    assert table["lai2025"]["n1"]["minimum"] == 0
    assert "parameters.n1" in refused(validate_config, deep_merge(tiny_config(), {"parameters": {"n1": -1}}),
                                      SCHEMA, BASE_FIGURES)


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_a_variant_value_is_checked_naming_the_variant_file(tmp_path):
    var = write(tmp_path / "v.yaml", yaml.safe_dump({"figures": {"fig3": {"panels": {"c": {"series": {
        "n=1": {"n_th": -1}}}}}}}))
    cfg = validate_config({**tiny_config(), "variants": {"hot": var}}, SCHEMA, BASE_FIGURES)
    msg = refused(check_variants, cfg, SCHEMA, BASE_FIGURES)
    assert msg.startswith(f"variants.hot ({var}): figures.fig3.panels.c.series.n=1.n_th: -1 is below"), msg


# -------------------------------------------------------- item 9: configuration, before any job
def test_scope_typo_is_refused_with_the_nearest_name():
    msg = refused(validate_config, deep_merge(tiny_config(), {"scope": ["fig1", "figS1l"]}), SCHEMA, BASE_FIGURES)
    assert msg == "scope[1]: 'figS1l' is not a figure of the configuration (did you mean figS11?)" \
        or msg.startswith("scope[1]: 'figS1l' is not a figure of the configuration (did you mean figS1"), msg


@pytest.mark.parametrize("seed", [SEED_LIMIT, 2 ** 64, -1])
def test_twa_seed_outside_64_bits_is_refused(seed):
    cfg = deep_merge(tiny_config(), {"twa": {"enabled": True, "seed": seed}})
    msg = refused(validate_config, cfg, SCHEMA, BASE_FIGURES)
    assert msg.startswith("twa.seed"), msg


def test_largest_seed_is_accepted():
    validate_config(deep_merge(tiny_config(), {"twa": {"enabled": True, "seed": SEED_LIMIT - 1}}), SCHEMA,
                    BASE_FIGURES)


def _variants(tmp_path, **overlays) -> dict:
    files = {n: write(tmp_path / f"{n}.yaml", yaml.safe_dump(o)) for n, o in overlays.items()}
    return validate_config({**tiny_config(), "variants": files}, SCHEMA, BASE_FIGURES)


def test_continue_from_itself_is_refused():
    cfg = validate_config(deep_merge(tiny_config(), {"continue_from": "test-tiny"}), SCHEMA, BASE_FIGURES)
    assert refused(check_variants, cfg, SCHEMA, BASE_FIGURES) == \
        "continue_from = 'test-tiny': a run cannot continue itself"


def test_variant_continuing_itself_is_refused(tmp_path):
    cfg = _variants(tmp_path, a={"continue_from": "a", "solver": {"t_end_tau": 4, "window_tau": [3, 4]}})
    msg = refused(check_variants, cfg, SCHEMA, BASE_FIGURES)
    assert msg.startswith("variants.a (") and "continue_from = 'a': a run cannot continue itself" in msg, msg


def test_cycle_of_variants_is_refused(tmp_path):
    cfg = _variants(tmp_path, a={"continue_from": "b"}, b={"continue_from": "a"})
    msg = refused(check_variants, cfg, SCHEMA, BASE_FIGURES)
    assert "continue_from = " in msg and "cycle (a → b → a)" in msg, msg


def test_cycle_through_the_main_run_is_refused(tmp_path):
    cfg = _variants(tmp_path, a={"continue_from": "main"})
    cfg["continue_from"] = "a"
    msg = refused(check_variants, cfg, SCHEMA, BASE_FIGURES)
    assert "cycle (test-tiny → a → test-tiny)" in msg, msg


def test_continue_from_an_unknown_run_is_refused(tmp_path):
    cfg = _variants(tmp_path, a={"continue_from": "mian"})
    msg = refused(check_variants, cfg, SCHEMA, BASE_FIGURES)
    assert msg.startswith("variants.a (") and "continue_from = 'mian' is neither this run nor one of its variants" \
        in msg, msg


def test_a_chain_of_continuations_is_accepted(tmp_path):
    cfg = _variants(tmp_path, a={"continue_from": "main"}, b={"continue_from": "a"})
    assert set(check_variants(cfg, SCHEMA, BASE_FIGURES)) == {"test-tiny", "a", "b"}


DUPLICATE = "run: x\nparameters:\n  kappa_a: 0.1\n  kappa_a: 0.2\n"


def test_duplicate_yaml_key_is_refused_naming_file_and_line(tmp_path):
    path = write(tmp_path / "dup.yaml", DUPLICATE)
    assert refused(load_yaml, path) == f"{path}, line 4: duplicate key 'kappa_a' (first given on line 3)"
    top = write(tmp_path / "top.yaml", "run: a\npreset: tiny\nrun: b\n")
    assert refused(load_yaml, top) == f"{top}, line 3: duplicate key 'run' (first given on line 1)"


def test_duplicate_key_in_a_variant_file_is_refused(tmp_path):
    var = write(tmp_path / "v.yaml", "solver: {t_end_tau: 4}\nsolver: {window_tau: [3, 4]}\n")
    cfg = validate_config({**tiny_config(), "variants": {"v": var}}, SCHEMA, BASE_FIGURES)
    msg = refused(check_variants, cfg, SCHEMA, BASE_FIGURES)
    assert msg == f"variants.v ({var}): {var}, line 2: duplicate key 'solver' (first given on line 1)", msg


def test_a_variants_own_claims_file_is_checked(tmp_path):
    claims = write(tmp_path / "c.yaml", claims_text({**CLAIM, "evaluator": "nope"}))
    var = write(tmp_path / "v.yaml", yaml.safe_dump({"claims_file": claims}))
    cfg = validate_config({**tiny_config(), "variants": {"v": var}}, SCHEMA, BASE_FIGURES)
    msg = refused(check_variants, cfg, SCHEMA, BASE_FIGURES)
    assert msg.startswith(f"variants.v ({var}): {claims}: claims[0] (X1).evaluator: no evaluator 'nope'"), msg


# ----------------------------------------------------------------------------- claims file
CLAIM = {"id": "X1", "source": "here", "claim": "S_Q is finite", "datasets": ["fig2/c"],
         "evaluator": "trace_late_window"}


def claims_text(*claims, extra="") -> str:
    return extra + yaml.safe_dump({"claims": [dict(c) for c in claims]})


def _without(d, k):
    return {kk: v for kk, v in d.items() if kk != k}


CLAIMS_FAULTS = [
    ("missing", None, "cannot be read"),
    ("malformed", "claims: [{id: X1\n", "line 2"),
    ("empty", "", "no claims"),
    ("no claims list", "thresholds: {S_zero: 0.01}\n", "no claims"),
    ("claim without datasets", claims_text(_without(CLAIM, "datasets")), "claims[0] (X1).datasets: missing"),
    ("claim with empty datasets", claims_text({**CLAIM, "datasets": []}), "claims[0] (X1).datasets: missing"),
    ("claim without evaluator", claims_text(_without(CLAIM, "evaluator")), "claims[0] (X1).evaluator: missing"),
    ("unknown evaluator", claims_text({**CLAIM, "evaluator": "trace_late_windw"}),
     "claims[0] (X1).evaluator: no evaluator 'trace_late_windw' (did you mean trace_late_window?)"),
    ("duplicate claim id", claims_text(CLAIM, {**CLAIM, "datasets": ["fig2/b"]}),
     "claims[1] (X1).id: 'X1' is already the id of claims[0]"),
    ("dataset not a panel", claims_text({**CLAIM, "datasets": ["fig2/z"]}),
     "claims[0] (X1).datasets[0]: 'fig2/z' is not a figure/panel of the configuration"),
    ("duplicate YAML key", "claims:\n  - id: X1\n    id: X2\n", "line 3: duplicate key 'id'"),
    ("claim not a mapping", "claims: [C01]\n", "claims[0]: must be a mapping"),
]


@pytest.mark.parametrize("case,text,needle", CLAIMS_FAULTS, ids=[c[0] for c in CLAIMS_FAULTS])
def test_claims_file_fault_is_refused_naming_file_and_key(tmp_path, case, text, needle):
    path = str(tmp_path / "claims.yaml")
    if text is not None:
        write(Path(path), text)
    msg = refused(check_claims_file, path, tiny_config()["figures"])
    assert msg.startswith(path) and needle in msg, msg


def test_project_claims_file_passes():
    spec = check_claims_file(str(ROOT / "config" / "claims.yaml"), tiny_config()["figures"])
    assert len(spec["claims"]) == len({c["id"] for c in spec["claims"]}) > 0


# --------------------------------------------------------------- the same through Snakemake
from test_faults import error_line, smk  # noqa: E402 (the same helpers as the other fault tests)


def _smk_case(project, files: dict):
    for name, text in files.items():
        (project / name).write_text(text)


SMK_FAULTS = [
    ("duplicate key in the configfile", {"bad.yaml": yaml.safe_dump(TINY) + "preset: quick\n"},
     "bad.yaml, line", "duplicate key 'preset'"),
    ("scope typo", {"bad.yaml": yaml.safe_dump({**TINY, "scope": ["figS1l"]})}, "scope[0]", "'figS1l'"),
    ("negative thermal number on an axis values list",
     {"bad.yaml": yaml.safe_dump(deep_merge(TINY, {"figures": {"fig3": {"panels": {"c": {"x": {
         "axis": "n_th", "range": [-1, 1]}}}}}}))},
     "figures.fig3.panels.c.x.range[0]", "minimum 0 of n_th"),
    ("twa seed 2^63", {"bad.yaml": yaml.safe_dump({**TINY, "twa": {"enabled": True, "seed": 2 ** 63}})},
     "twa.seed", "2^63"),
    ("cycle of variants", {"a.yaml": "continue_from: b\n", "b.yaml": "continue_from: a\n",
                           "bad.yaml": yaml.safe_dump({**TINY, "variants": {"a": "a.yaml", "b": "b.yaml"}})},
     "continue_from", "cycle"),
    ("unknown evaluator", {"c.yaml": claims_text({**CLAIM, "evaluator": "nope"}),
                           "bad.yaml": yaml.safe_dump({**TINY, "claims_file": "c.yaml"})},
     "c.yaml: claims[0] (X1).evaluator", "no evaluator 'nope'"),
    ("missing claims file", {"bad.yaml": yaml.safe_dump({**TINY, "claims_file": "claimz.yaml"})},
     "claimz.yaml: cannot be read", "No such file"),
]


@pytest.mark.parametrize("case,files,start,needle", SMK_FAULTS, ids=[c[0] for c in SMK_FAULTS])
def test_snakemake_refuses_before_any_job(project, case, files, start, needle):
    _smk_case(project, files)
    r = smk(project, "-n", "fig1", "--configfile", "bad.yaml")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out[-2000:]
    line = error_line(r)
    assert line.startswith("invalid configuration: ") and start in line and needle in line, out[-2000:]
    assert "Traceback" not in out and "RecursionError" not in out and len(out.splitlines()) < 25
    assert not (project / "results").exists()


def test_snakemake_started_in_another_folder_is_refused_in_one_line(project, tmp_path):
    """`snakemake -s <project>/Snakefile --configfile …` from elsewhere read no base configuration
    ("'parameters' is a required property"); now one line says where to run it, before any job."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(project / "tiny.yaml", elsewhere / "tiny.yaml")
    r = smk(elsewhere, "-s", str(project / "Snakefile"), "-n", "fig1", "--configfile", "tiny.yaml")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out[-2000:]
    assert error_line(r).startswith(f"run Snakemake in the project folder {project}"), out[-2000:]
    assert "required property" not in out and "Traceback" not in out
    assert not (elsewhere / "results").exists() and not (project / "results").exists()


# ------------------------------------------------------------------------ item 5: the MANIFEST
FIGURE = "jiao2020_fig2"      # a steady-state figure: written in seconds, without Snakemake


@pytest.fixture(scope="module")
def built_run(tmp_path_factory):
    """results/test-tiny with the params record and panels of one figure, and its MANIFEST
    (as the workflow writes them), built once."""
    from qorepro.workflow import provenance
    from qorepro.workflow.figure import compute_figure
    from qorepro.workflow.spec import resolve_figure
    results = tmp_path_factory.mktemp("verify") / "results"
    run = results / "test-tiny"
    cfg = validate_config(tiny_config(), SCHEMA, BASE_FIGURES)
    spec = resolve_figure(cfg, FIGURE)
    (run / "params").mkdir(parents=True)
    rec = run / "params" / f"{FIGURE}.json"
    rec.write_text(spec.to_json() + "\n")
    paths = compute_figure(spec, str(run / "data" / FIGURE))
    provenance.write_manifest(str(run), [str(rec)], [paths[p] for p in sorted(paths)])
    return run


@pytest.fixture()
def vrun(built_run, tmp_path):
    shutil.copytree(built_run.parent, tmp_path / "results")
    return tmp_path / "results" / "test-tiny"


def verify(run_dir):
    r = subprocess.run([sys.executable, "-m", "qorepro", "verify", str(run_dir)], capture_output=True, text=True)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def assert_refused(r, *needles):
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    assert lines[0].startswith("verification FAILED: ") and all(n in lines[0] for n in needles), lines[0]


def manifest_lines(run):
    return (run / "MANIFEST").read_text().splitlines()


def test_verify_accepts_the_runs_own_manifest(vrun):
    r = verify(vrun)
    n = len(manifest_lines(vrun))
    assert r.returncode == 0 and f"verified: {n} files" in r.stdout and n >= 2, r.stderr


def test_verify_refuses_an_empty_manifest(vrun):
    (vrun / "MANIFEST").write_text("")
    assert_refused(verify(vrun), "MANIFEST: empty")


def test_verify_refuses_another_runs_manifest(vrun):
    other = vrun.parent / "other"
    other.mkdir()
    shutil.copy(vrun / "MANIFEST", other / "MANIFEST")
    assert_refused(verify(other), "lists no params record of run 'other'", "test-tiny")


def test_verify_refuses_a_manifest_with_a_panel_line_removed(vrun):
    lines = manifest_lines(vrun)
    (vrun / "MANIFEST").write_text("\n".join(ln for ln in lines if not ln.endswith("/a.nc")) + "\n")
    assert_refused(verify(vrun), "incomplete", "panel 'a'", FIGURE)


def test_verify_refuses_a_manifest_with_the_record_line_removed(vrun):
    lines = manifest_lines(vrun)
    (vrun / "MANIFEST").write_text("\n".join(ln for ln in lines if "/params/" not in ln) + "\n")
    assert_refused(verify(vrun), "lists no params record of run 'test-tiny'")


@pytest.mark.parametrize("damage", ["cut in the digest", "cut after the digest", "no separator", "binary"])
def test_verify_refuses_a_malformed_line_in_one_line(vrun, damage):
    text = (vrun / "MANIFEST").read_text()
    first, rest = text.split("\n", 1)
    bad = {"cut in the digest": first[:30], "cut after the digest": first[:66],
           "no separator": first.replace("  ", " ", 1)}.get(damage)
    if bad is None:
        (vrun / "MANIFEST").write_bytes(b"\xff\xfe\x00garbage\n")
        assert_refused(verify(vrun), "MANIFEST: not a text file")
        return
    (vrun / "MANIFEST").write_text(bad + "\n" + rest)
    assert_refused(verify(vrun), "MANIFEST, line 1: malformed")


def test_verify_refuses_a_product_the_manifest_does_not_cover(vrun):
    """A drawn figure (or a claims table reading a panel) whose record is not listed."""
    (vrun / "figures").mkdir()
    (vrun / "figures" / "fig2.pdf").write_bytes(b"%PDF")
    assert_refused(verify(vrun), "incomplete", "figures/fig2.pdf reads fig2")


def test_verify_does_not_ask_the_manifest_for_referee_figures(vrun):
    """Referee figures are verified where they are consumed and not listed (verify.smk)."""
    from qorepro.workflow.spec import resolve_figure
    cfg = validate_config(tiny_config(), SCHEMA, BASE_FIGURES)
    (vrun / "params" / "refR1.json").write_text(resolve_figure(cfg, "refR1").to_json() + "\n")
    (vrun / "figures").mkdir()
    (vrun / "figures" / "refR1.pdf").write_bytes(b"%PDF")
    assert verify(vrun).returncode == 0


def test_verify_refuses_a_claims_table_reading_an_unlisted_panel(vrun):
    (vrun / "claims.csv").write_text(f"id,verdict,datasets\nX1,reproduced,{FIGURE}/a fig3/c\n")
    assert_refused(verify(vrun), "incomplete", "claims.csv reads fig3/c")


def test_verify_refuses_a_record_of_another_run(vrun):
    import json
    rec = vrun / "params" / f"{FIGURE}.json"
    d = json.loads(rec.read_text())
    d["run"] = "elsewhere"
    rec.write_text(json.dumps(d, sort_keys=True, indent=1) + "\n")
    from qorepro.workflow import provenance
    provenance.write_manifest(str(vrun), [str(rec)], sorted(str(p) for p in (vrun / "data" / FIGURE).glob("*.nc")))
    assert_refused(verify(vrun), "record of figure", "of run 'elsewhere'")


def test_verify_of_a_missing_run_directory_is_one_line(tmp_path):
    assert_refused(verify(tmp_path / "results" / "nope"), "no such run directory")


# ------------------------------------------------------------------ item 11: the command line
@pytest.fixture()
def cli(monkeypatch):
    """``main(argv)`` of ``python -m qorepro`` with every computation replaced by a failure."""
    import qorepro.__main__ as m

    def computed(*a, **k):
        raise AssertionError("the baseline was computed before its arguments were checked")

    monkeypatch.setattr(m, "_gaussian", computed)
    return m.main


CLI_FAULTS = [
    ("--out is a directory, with --force", lambda d: ["--out", str(d), "--force"], "--out"),
    ("--out exists without --force", lambda d: ["--out", str(d / "old.nc")], "--out"),
    ("--out under a file", lambda d: ["--out", str(d / "old.nc" / "x.nc"), "--force"], "--out"),
    ("--seed 2^63", lambda d: ["--method", "twa", "--seed", str(2 ** 63)], "--seed"),
    ("--seed negative", lambda d: ["--method", "twa", "--seed", "-1"], "--seed"),
    ("--t-end 1e9", lambda d: ["--t-end", "1e9", "--window", "20"], "--t-end"),
    ("--t-end inf", lambda d: ["--t-end", "inf"], "--t-end"),
    ("--t-end off the sample grid", lambda d: ["--t-end", "200.01"], "--t-end"),
    ("--window 0", lambda d: ["--window", "0"], "--window"),
    ("--window longer than t_end", lambda d: ["--t-end", "10", "--window", "20"], "--window"),
    ("--trajectories not a multiple of the groups", lambda d: ["--method", "twa", "--trajectories", "33"],
     "--trajectories"),
    ("--seed not a number", lambda d: ["--seed", "abc"], "--seed"),
]


@pytest.mark.parametrize("case,argv,option", CLI_FAULTS, ids=[c[0] for c in CLI_FAULTS])
def test_cli_arguments_are_checked_before_any_computation(cli, capsys, tmp_path, case, argv, option):
    (tmp_path / "old.nc").write_bytes(b"previous")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    try:
        rc = cli(["baseline", *argv(tmp_path)])
    except SystemExit as e:          # argparse's own type errors
        rc = e.code
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and option in err[0] and "error" in err[0], err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "old.nc").read_bytes() == b"previous"


def test_cli_fault_from_the_shell_is_one_line_without_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "qorepro", "baseline", "--out", str(tmp_path), "--force"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        f"python -m qorepro baseline: error: --out {tmp_path}: is a directory; give the path of the NetCDF file "
        "to write"], r.stderr
    assert "batch" not in r.stderr and list(tmp_path.iterdir()) == []


def test_cli_accepts_good_arguments(tmp_path):
    import argparse

    from qorepro.__main__ import check_baseline_args
    args = argparse.Namespace(method="gaussian", json=False, trajectories=None, seed=SEED_LIMIT - 1, t_end=200.0,
                              window=20.0, out=str(tmp_path / "new" / "b.nc"), force=False)
    settings = check_baseline_args(copy.copy(args))
    assert settings.window_tau == (180.0, 200.0)
