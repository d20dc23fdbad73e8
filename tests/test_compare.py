"""Comparing a variant run with the main run (issue 22): parameter diff, claims diff, panel
differences and the overlay figure, on copies of a tiny run's files (no recomputation)."""
import csv
import json
import os
import shutil

import numpy as np
import pytest
import xarray as xr

from qorepro.workflow.compare import (
    ABSENT,
    CompareError,
    claims_diff,
    compare_runs,
    difference,
    panel_diff,
    record_diff,
    write_claims_diff,
)
from qorepro.workflow.provenance import attributes_digest, data_checksums, open_verified, record_digest
from qorepro.workflow.record import FigureSpec

FIGURES = ["fig1", "fig3"]


@pytest.fixture(scope="session")
def tiny_run(request):
    """The tiny run's folder: the session's shared run (tests/shared_run.py), or an existing
    copy named by QOREPRO_TINY_RUN (results/test-tiny of a tiny run of the same code)."""
    given = os.environ.get("QOREPRO_TINY_RUN")
    if given:
        return given
    return str(request.getfixturevalue("tiny_project") / "results" / "test-tiny")


def _copy_run(src, dest, run, figures=FIGURES):
    """A run folder holding the tiny run's records, panels and claims table of ``figures``,
    its records renamed to ``run`` (the panel files are untouched: their digests exclude the name)."""
    for fig in figures:
        shutil.copytree(os.path.join(src, "data", fig), os.path.join(dest, "data", fig))
        rec = json.load(open(os.path.join(src, "params", f"{fig}.json")))
        rec["run"] = run
        os.makedirs(os.path.join(dest, "params"), exist_ok=True)
        with open(os.path.join(dest, "params", f"{fig}.json"), "w") as fh:
            json.dump(rec, fh, sort_keys=True, indent=1)
    shutil.copy(os.path.join(src, "claims.csv"), os.path.join(dest, "claims.csv"))
    return str(dest)


def _perturb(run_dir, fig, panel, var, delta, **record_change):
    """Change a panel's data (and, given, its record) and re-stamp its provenance digests, as a
    run with that record would have written it."""
    rpath = os.path.join(run_dir, "params", f"{fig}.json")
    rec = json.load(open(rpath))
    for key, value in record_change.items():
        rec["parameters"][key] = value
    with open(rpath, "w") as fh:
        json.dump(rec, fh, sort_keys=True, indent=1)
    spec = FigureSpec.load(rpath)
    for p in spec.panels:
        path = os.path.join(run_dir, "data", fig, f"{p}.nc")
        ds = xr.load_dataset(path)
        if p == panel:
            ds[var] = ds[var] + delta
        ds.attrs["record_digest"] = record_digest(spec)
        ds.attrs["parameters"] = json.dumps(spec.parameters, sort_keys=True)
        ds.attrs["data_checksums"] = json.dumps(data_checksums(ds), sort_keys=True)
        ds.attrs["attributes_digest"] = attributes_digest(ds.attrs)
        os.remove(path)
        ds.to_netcdf(path)


@pytest.fixture()
def runs(tmp_path, tiny_run):
    main = _copy_run(tiny_run, tmp_path / "test-tiny", "test-tiny")
    return main, tmp_path, tiny_run


def test_identical_variant_has_no_differences(runs):
    main, tmp, src = runs
    variant = _copy_run(src, tmp / "renamed", "renamed")
    shutil.rmtree(os.path.join(variant, "data", "fig3"))       # shared: its panels are the main run's
    out = tmp / "compare" / "renamed"
    summary = compare_runs(main, variant, FIGURES, str(out))
    assert summary["figures"] == {"fig1": "shared", "fig3": "shared"}
    assert summary["flipped"] == [] and summary["refused"] == {}
    with open(out / "params_diff.csv") as fh:
        assert list(csv.reader(fh)) == [["figure", "key", "test-tiny", "renamed"]]
    assert "`test-tiny` → `renamed`" in (out / "params_diff.md").read_text()
    cd = claims_diff(os.path.join(main, "claims.csv"), os.path.join(variant, "claims.csv"))
    assert len(cd["claims"]) == 43 and not any(r["flipped"] for r in cd["claims"])
    for r in cd["claims"]:
        for n in r["numbers"]:
            d = n["delta"]
            assert d is None or d == 0 or (np.isnan(n["main"]) and np.isnan(n["variant"])), (r["id"], n)
    n_panels = 0
    for fig in FIGURES:
        for p in FigureSpec.load(os.path.join(main, "params", f"{fig}.json")).panels:
            d = xr.load_dataset(out / "data" / fig / f"{p}.nc")
            m = xr.load_dataset(os.path.join(main, "data", fig, f"{p}.nc"))
            numeric = [v for v in m.data_vars if m[v].dtype.kind in "iuf"]
            assert numeric and set(numeric) <= set(d.data_vars)
            for v in numeric:
                a = d[v].values
                assert a.shape == m[v].values.shape and set(d[v].dims) == set(m[v].dims)
                assert np.all((a == 0) | (np.isnan(a) & np.isnan(m[v].values))), (fig, p, v)
            for flag in ("verdict", "certified"):
                if flag in m:
                    for who in ("main", "variant"):
                        np.testing.assert_array_equal(d[f"{flag}_{who}"].values, m[flag].values)
            assert d.attrs["main_run"] == "test-tiny" and d.attrs["variant_run"] == "renamed"
            assert d.attrs["main_record_digest"] == m.attrs["record_digest"] == d.attrs["variant_record_digest"]
            assert d.attrs["grid"] == "identical" and d.attrs["Conventions"] == "CF-1.10"
            n_panels += 1
    assert n_panels == len(summary["panels"]) == 8


def test_a_changed_parameter_is_exactly_that_key(runs):
    main, _, _ = runs
    rec = json.load(open(os.path.join(main, "params", "fig1.json")))
    changed = json.loads(json.dumps(rec))
    changed["parameters"]["kappa_m"] = 0.4
    changed["run"], changed["code_version"] = "kappa_m-doubled", "qorepro 9.9"
    assert record_diff(rec, changed) == [("parameters.kappa_m", 0.2, 0.4)]
    changed["panels"]["d"]["axes"]["Delta_a"] = [-1.8, -1.0, -0.2]
    assert [k for k, *_ in record_diff(rec, changed)] == ["panels.d.axes.Delta_a", "parameters.kappa_m"]


def test_changed_run_params_diff_and_differences(runs):
    main, tmp, src = runs
    variant = _copy_run(src, tmp / "kappa", "kappa")
    _perturb(variant, "fig1", "d", "S_Q", 0.01, kappa_m=0.4)
    out = tmp / "compare" / "kappa"
    summary = compare_runs(main, variant, FIGURES, str(out))
    assert summary["figures"] == {"fig1": "changed", "fig3": "shared"}
    with open(out / "params_diff.csv") as fh:
        assert list(csv.reader(fh))[1:] == [["fig1", "parameters.kappa_m", "0.2", "0.4"]]
    d = xr.load_dataset(out / "data" / "fig1" / "d.nc")
    m = open_verified(os.path.join(main, "data", "fig1", "d.nc"))
    ok = np.isfinite(m["S_Q"].values)
    np.testing.assert_allclose(d["S_Q"].values[ok], 0.01, rtol=1e-12)
    assert np.all(d["S_C"].values[np.isfinite(m["S_C"].values)] == 0)
    assert d.attrs["main_record_digest"] != d.attrs["variant_record_digest"]


def test_params_diff_groups_figures_with_the_same_changes(tmp_path):
    """A run-wide overlay changes every figure alike: one table for them (the window-980-1000
    card repeated the same 16 rows for 19 figures before its claims); record digests are per
    figure, named in the table and given in the CSV."""
    from qorepro.workflow.compare import write_params_diff
    same = [("solver.t_end_tau", 200, 1000), ("twa.where", "uncertified", ABSENT)]
    diffs = {"figA": [("continue_from.record_digest", ABSENT, "aaa")] + same,
             "figB": [("continue_from.record_digest", ABSENT, "bbb")] + same,
             "figC": [("parameters.K", 0.0, 1e-5)], "figD": []}
    csv_p, md_p = str(tmp_path / "p.csv"), str(tmp_path / "p.md")
    write_params_diff(diffs, [], csv_p, md_p, "main", "late")
    md = open(md_p).read()
    assert md.count("## ") == 2 and "## figA, figB\n" in md and "## figC\n" in md
    assert "| `continue_from.record_digest` | (absent) | (per figure: params_diff.csv) |" in md
    assert "| `solver.t_end_tau` | 200 | 1000 |" in md and "aaa" not in md
    rows = list(csv.reader(open(csv_p)))
    assert ["figB", "continue_from.record_digest", "(absent)", "bbb"] in rows
    assert "figD" in md.split("shares with")[1]


def test_a_run_is_not_compared_with_itself(runs, tmp_path):
    main, tmp, src = runs
    for other in (main, _copy_run(src, tmp / "copy", "test-tiny")):
        with pytest.raises(CompareError) as e:
            compare_runs(main, other, FIGURES, str(tmp_path / "out"))
        assert "\n" not in str(e.value) and "itself" in str(e.value)
    assert not (tmp_path / "out").exists()


def test_grids_that_differ_are_refused_or_intersected(runs):
    main, _, _ = runs
    m = open_verified(os.path.join(main, "data", "fig1", "d.nc"))
    v = m.isel(Delta_a=[1])
    with pytest.raises(CompareError) as e:
        difference(m, v)
    assert "\n" not in str(e.value) and "Delta_a" in str(e.value)
    d = difference(m, v, join="inner")
    assert d.sizes["Delta_a"] == 1 and "intersection" in d.attrs["grid"]
    assert np.all(d["S_Q"].fillna(0).values == 0)
    with pytest.raises(CompareError):
        difference(m, m.assign_coords(Delta_a=m["Delta_a"] + 5.0), join="inner")


def test_a_dimension_only_one_run_has_is_kept_not_intersected():
    """The main run's ensemble census (dimension `attractor`) beside a variant without an
    ensemble (window-980-1000): the shared grid is compared, the census kept as `_main` (this
    raised a KeyError in `all referee`, refR5), and a real intersection is still reported."""
    x = np.linspace(0, 1, 5)
    main = xr.Dataset({"S_Q": (("x",), x), "census": (("attractor", "x"), np.ones((2, 5)))},
                      coords={"x": x, "attractor": ["in_phase", "anti_phase"]})
    variant = xr.Dataset({"S_Q": (("x",), x + 0.5)}, coords={"x": x})
    d = difference(main, variant)
    assert d.attrs["grid"] == "identical"
    np.testing.assert_allclose(d["S_Q"].values, 0.5)
    assert d["census_main"].dims == ("attractor", "x") and "census_variant" not in d
    d = difference(main, variant.isel(x=slice(1, 4)), join="inner")
    assert d.attrs["grid"] == "intersection of the two grids along x (3 of 5 main / 3 variant points)"


def test_claims_diff_flipped_first_and_error_bars(tmp_path):
    fields = ["id", "source", "claim", "verdict", "verdict_dynamics_only", "measured"]
    rows = {"main": [("A", "reproduced", {"x": 1.0, "x_err": 0.1, "n": 3}),
                     ("B", "reproduced", {"y": 2.0, "y_err": 0.1}),
                     ("C", "inconclusive", {"z": 0.5})],
            "variant": [("A", "reproduced", {"x": 1.1, "x_err": 0.1, "n": 3}),
                        ("B", "not_reproduced", {"y": 2.5, "y_err": 0.1}),
                        ("C", "inconclusive", {"z": 0.25})]}
    paths = {}
    for run, rs in rows.items():
        paths[run] = tmp_path / f"{run}.csv"
        with open(paths[run], "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            for cid, verdict, measured in rs:
                w.writerow({"id": cid, "source": "s", "claim": "c", "verdict": verdict,
                            "verdict_dynamics_only": verdict, "measured": json.dumps(measured)})
    cd = claims_diff(paths["main"], paths["variant"])
    assert [r["id"] for r in cd["claims"]] == ["B", "A", "C"]
    assert [r["flipped"] for r in cd["claims"]] == [True, False, False]
    assert cd["claims"][0]["verdicts"]["verdict"] == ("reproduced", "not_reproduced")
    nums = {(r["id"], n["quantity"]): n for r in cd["claims"] for n in r["numbers"]}
    assert ("A", "x_err") not in nums
    assert nums[("A", "x")]["exceeds"] is False and nums[("A", "x")]["error_bar"] == pytest.approx(0.1 * 2 ** 0.5)
    assert nums[("B", "y")]["exceeds"] is True and nums[("B", "y")]["delta"] == pytest.approx(0.5)
    assert nums[("C", "z")]["exceeds"] is None and nums[("C", "z")]["delta"] == -0.25
    assert nums[("A", "n")]["delta"] == 0


def test_claims_diff_pairs_numbers_by_method_and_says_why_a_claim_flipped(tmp_path):
    """The main run decides with the ensemble (per-method readings), the variant has none (a
    ``continue_from`` run: flat Gaussian numbers).  Before, no number of such a claim met its
    counterpart (all "(absent)" on one side, `all referee`'s window-980-1000 and ic-* cards)."""
    fields = ["id", "source", "claim", "verdict", "verdict_gaussian", "verdict_dynamics_only", "measured"]
    main = [("A", ("not_reproduced", "inconclusive", "reproduced"),
             {"gaussian": {"x": 0.18}, "best_method": {"x": 3e-5}}),
            ("B", ("reproduced", "reproduced", "reproduced"),
             {"gaussian": {"y": 0.3, "z": [1, 2]}, "best_method": {"y": 0.3, "z": [1, 2]}}),
            ("C", ("reproduced", "reproduced", "reproduced"), {"w": 1.0})]
    variant = [("A", ("inconclusive", "inconclusive", "reproduced"), {"x": 0.19}),
               ("B", ("not_reproduced", "not_reproduced", "reproduced"), {"y": 0.01, "z": [1, 3]}),
               ("C", ("reproduced", "reproduced", "reproduced"), {"w": 1.5})]
    paths = {}
    for run, rs in (("main", main), ("variant", variant)):
        paths[run] = tmp_path / f"{run}.csv"
        with open(paths[run], "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            for cid, (v, vg, vd), measured in rs:
                w.writerow({"id": cid, "source": "s", "claim": "c", "verdict": v, "verdict_gaussian": vg,
                            "verdict_dynamics_only": vd, "measured": json.dumps(measured)})
    cd = claims_diff(paths["main"], paths["variant"], ("baseline", "late"))
    assert cd["ensemble"] == (True, False)
    nums = {(r["id"], n["quantity"]): n for r in cd["claims"] for n in r["numbers"]}
    assert nums[("A", "gaussian.x")]["delta"] == pytest.approx(0.01)
    assert nums[("A", "best_method.x")]["variant"] is ABSENT
    assert ("A", "x") not in nums
    assert nums[("B", "gaussian.z[1]")]["delta"] == 1
    assert nums[("C", "w")]["delta"] == 0.5                      # flat in both: as written
    why = {r["id"]: r["why"] for r in cd["claims"]}
    assert why["A"] == "method: the ensemble ran in baseline only"
    assert why["B"] == "the Gaussian reading moved" and why["C"] == ""
    write_claims_diff(cd, str(tmp_path / "d.csv"), str(tmp_path / "d.md"), "baseline", "late")
    md = (tmp_path / "d.md").read_text()
    assert "`late` ran no truncated-Wigner ensemble" in md
    assert "| A | s | **yes** | method: the ensemble ran in baseline only |" in md
    rows = list(csv.DictReader(open(tmp_path / "d.csv")))
    assert {r["why"] for r in rows if r["id"] == "B"} == {"the Gaussian reading moved"}


def test_overlay_draws_the_two_runs_panel_data(runs):
    from matplotlib.collections import QuadMesh

    from qorepro import compare_plot, plotting

    main, tmp, src = runs
    variant = _copy_run(src, tmp / "kappa", "kappa")
    _perturb(variant, "fig1", "d", "S_Q", 0.01, kappa_m=0.4)
    _perturb(variant, "fig3", "a", "S_Q", -0.02, kappa_m=0.4)
    for fig, line_panel, map_panel in (("fig1", "d", None), ("fig3", "c", "a")):
        data = {who: plotting.load_panels(os.path.join(d, "data", fig), os.path.join(d, "params", f"{fig}.json"))
                for who, d in (("main", main), ("variant", variant))}
        f, axes = compare_plot.overlay(data["main"], data["variant"])
        lines = {ln.get_gid(): ln for ax in f.axes for ln in ax.get_lines() if ln.get_gid()}
        ds = {who: data[who].panels[line_panel] for who in data}
        for who in ("main", "variant"):
            for s in ds[who]["series"].values:
                y = ds[who]["S_Q"].sel(series=s).values
                x = ds[who][data[who].record["panels"][line_panel]["x"]].values
                ln = lines[f"{line_panel}:S_Q:{s}:{who}"]
                np.testing.assert_array_equal(ln.get_xdata(), x[np.isfinite(y)])
                np.testing.assert_array_equal(ln.get_ydata(), y[np.isfinite(y)])
        if map_panel:
            meshes = {m.get_gid(): m for ax in f.axes for m in ax.collections if isinstance(m, QuadMesh)}
            v = data["variant"].panels[map_panel]["S_Q"].isel(series=0)
            mv = data["main"].panels[map_panel]["S_Q"].isel(series=0)
            s = str(v["series"].values)
            x, y = data["variant"].record["panels"][map_panel]["x"], data["variant"].record["panels"][map_panel]["y"]
            np.testing.assert_array_equal(np.ma.filled(meshes[f"{map_panel}:S_Q:{s}:variant"].get_array(), np.nan)
                                          .ravel(), v.transpose(x, y).values.T.ravel())
            diff = np.ma.filled(meshes[f"{map_panel}:S_Q:{s}:difference"].get_array(), np.nan).ravel()
            np.testing.assert_array_equal(diff, (v - mv).transpose(x, y).values.T.ravel())
            assert np.nanmax(np.abs(diff)) > 0, s
            lo, hi = meshes[f"{map_panel}:S_Q:{s}:difference"].get_clim()
            assert lo == -hi
        f.savefig(tmp / f"{fig}.png")
        assert (tmp / f"{fig}.png").stat().st_size > 0


def test_overlay_of_a_quantity_across_the_series_draws_one_map(runs):
    """Jiao 2020 Fig. S3 e: ΔE_N = E_N(left) − E_N(right) is a map without a series dimension
    in a panel with two series; the overlay draws it once (it failed `all referee` when it
    selected a series from it), with the variant − main difference."""
    from matplotlib.collections import QuadMesh

    from qorepro import compare_plot, plotting

    main, tmp, src = runs
    fig = "jiao2020_figS3"
    main = _copy_run(src, tmp / "m", "test-tiny", figures=[fig])
    variant = _copy_run(src, tmp / "v", "v", figures=[fig])
    _perturb(variant, fig, "e", "Delta_E_N", 0.01)
    data = {who: plotting.load_panels(os.path.join(d, "data", fig), os.path.join(d, "params", f"{fig}.json"))
            for who, d in (("main", main), ("variant", variant))}
    assert "series" in data["variant"].panels["e"].dims and "series" not in data["variant"].panels["e"]["Delta_E_N"].dims
    f, axes = compare_plot.overlay(data["main"], data["variant"])
    meshes = {m.get_gid(): m for ax in f.axes for m in ax.collections if isinstance(m, QuadMesh)}
    assert {"e:Delta_E_N:None:variant", "e:Delta_E_N:None:difference"} <= set(meshes)
    assert not any(str(g).startswith("e:Delta_E_N:left") for g in meshes)
    diff = np.ma.filled(meshes["e:Delta_E_N:None:difference"].get_array(), np.nan)
    assert np.nanmax(np.abs(diff - 0.01)) < 1e-12
    f.savefig(tmp / f"{fig}.png")


def test_panel_diff_writes_cf_metadata(runs, tmp_path):
    from qorepro.workflow import cf
    from qorepro.workflow.compare import write_panel_diff

    main, tmp, src = runs
    variant = _copy_run(src, tmp / "renamed", "renamed")
    ds = panel_diff(os.path.join(main, "data", "fig3", "a.nc"), os.path.join(variant, "data", "fig3", "a.nc"))
    cf.conform(ds)
    path = write_panel_diff(ds, str(tmp_path / "a.nc"))
    back = xr.load_dataset(path)
    assert all("long_name" in back[v].attrs for v in back.variables)
    assert back["S_Q"].attrs["long_name"].startswith("variant minus main run")
    assert not os.path.exists(path + ".part")
    from test_cf import cf_errors
    assert cf_errors(path) == []


def test_overlay_puts_both_runs_in_the_variants_units(runs):
    """A variant plotted in MHz (plot.physical_units) and a main run in units of ω₁: both runs'
    curves in MHz, each scaled by its own ω₁, and the difference map made on the computed grid."""
    from matplotlib.collections import QuadMesh

    from qorepro import compare_plot, plotting

    main, tmp, src = runs
    variant = _copy_run(src, tmp / "mhz", "mhz")
    rpath = os.path.join(variant, "params", "fig3.json")
    rec = json.load(open(rpath))
    rec["plot"] = {**rec.get("plot", {}), "physical_units": True}
    json.dump(rec, open(rpath, "w"))
    assert record_diff(os.path.join(main, "params", "fig3.json"), rpath) == []
    data = {who: plotting.load_panels(os.path.join(d, "data", "fig3"), os.path.join(d, "params", "fig3.json"))
            for who, d in (("main", main), ("variant", variant))}
    f, _ = compare_plot.overlay(data["main"], data["variant"])
    f1 = rec["parameters"]["omega1_MHz"]
    raw = xr.load_dataset(os.path.join(main, "data", "fig3", "c.nc"))
    lines = {ln.get_gid(): ln for ax in f.axes for ln in ax.get_lines() if ln.get_gid()}
    s = str(raw["series"].values[0])
    ok = np.isfinite(raw["S_Q"].sel(series=s).values)
    for who in ("main", "variant"):
        np.testing.assert_allclose(lines[f"c:S_Q:{s}:{who}"].get_xdata(), raw["Delta_m"].values[ok] * f1, rtol=1e-15)
    meshes = {m.get_gid(): m for ax in f.axes for m in ax.collections if isinstance(m, QuadMesh)}
    sa = str(xr.load_dataset(os.path.join(main, "data", "fig3", "a.nc"))["series"].values[0])
    diff = np.ma.filled(meshes[f"a:S_Q:{sa}:difference"].get_array(), np.nan)
    assert np.all((diff == 0) | np.isnan(diff)) and np.isfinite(diff).any()


def test_a_panel_one_run_did_not_compute_is_listed_not_compared(runs):
    main, tmp, src = runs
    variant = _copy_run(src, tmp / "kappa", "kappa")
    _perturb(variant, "fig1", "d", "S_Q", 0.01, kappa_m=0.4)
    os.remove(os.path.join(variant, "data", "fig1", "c.nc"))
    summary = compare_runs(main, variant, ["fig1"], str(tmp / "out"))
    assert summary["missing"] == ["fig1/c"] and "fig1/c" in summary["refused"]
    assert summary["panels"] == [os.path.join("data", "fig1", "d.nc")]
