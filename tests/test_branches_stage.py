"""The branches stage: the census assignment on synthetic orbits (known answers), the series
layout of a branch file (padding and its exact inverse), and the DAG target on the tiny
configuration (file built, provenance verified, CF-clean, figure drawn)."""
import os
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from qorepro import twa
from qorepro.workflow import branches_stage as B

SPT = 16          # samples per τ of the synthetic window


def harmonic(r1, r2, phi, n_samples=2 * SPT, omega=2 * np.pi, noise=0.0, rng=None, offset=(50.0, -20.0)):
    """Mechanical samples (W, 4) of β_j = offset_j + r_j e^{-i(ωt + φ_j)} with φ₁ − φ₂ = phi."""
    t = np.arange(n_samples) / SPT
    b1 = offset[0] + r1 * np.exp(-1j * (omega * t + phi))
    b2 = offset[1] + r2 * np.exp(-1j * omega * t)
    if noise:
        b1 = b1 + noise * (rng.standard_normal(t.size) + 1j * rng.standard_normal(t.size))
        b2 = b2 + noise * (rng.standard_normal(t.size) + 1j * rng.standard_normal(t.size))
    return np.stack([b1.real, b1.imag, b2.real, b2.imag], axis=1)


def synthetic_branches(values):
    """Two branches over ``values``: 0 in phase (A = 100, 120; stable everywhere), 1 anti-phase
    (A = 60, 60; stable only on the upper half); no events, no seeds."""
    n = values.size
    amp = np.zeros((2, n, 2))
    amp[0] = [100.0, 120.0]
    amp[1] = [60.0, 60.0]
    phase = np.stack([np.zeros(n), np.full(n, np.pi)])
    stable = np.stack([np.ones(n, bool), values >= values[n // 2]])
    return xr.Dataset({"parameter": (("branch", "point"), np.stack([values, values])),
                       "stable": (("branch", "point"), stable),
                       "amplitude": (("branch", "point", "mechanical_mode"), amp),
                       "relative_phase": (("branch", "point"), phase),
                       "n_points": (("branch",), np.array([n, n]))})


def test_census_assigns_synthetic_orbits_to_their_branch():
    rng = np.random.default_rng(1)
    values = np.linspace(0.0, 1.0, 5)
    ds = synthetic_branches(values)
    # per grid value 6 trajectories: 3 on branch 0, 2 on branch 1, 1 on neither (amplitude 10)
    orbits = [(100, 120, 0.0), (101, 119, 0.05), (98, 121, -0.05), (60, 61, np.pi), (59, 60, -np.pi + 0.04),
              (10, 10, 0.0)]
    mech = np.stack([np.stack([harmonic(*o, noise=0.3, rng=rng) for o in orbits], axis=-1)
                     for _ in values], axis=2)                               # (W, 4, n, M)
    amp, phase, cls = B.orbit_features(mech, SPT)
    np.testing.assert_allclose(amp[0, 0], [100, 120], rtol=0.01)           # the orbit's own radius
    cb, ca, cp = B.branch_candidates(ds, values)
    got = B.assign(amp, phase, cb, ca, cp, tolerance=0.25)
    lower = values < values[2]              # the anti-phase branch is unstable there: not an attractor
    for i in range(values.size):
        want = [0, 0, 0, -1 if lower[i] else 1, -1 if lower[i] else 1, -1]
        assert got[i].tolist() == want, (i, got[i])
    per, un = B.fractions(got, 2)
    np.testing.assert_allclose(per[:, 0], 0.5)
    np.testing.assert_allclose(per[:, 1], np.where(lower, 0.0, 2 / 6))
    np.testing.assert_allclose(un, np.where(lower, 3 / 6, 1 / 6))
    # twa.census agrees on the classes of the oscillating ones
    assert (cls[:, :3] == twa.ATTRACTORS.index("in_phase")).all()
    assert (cls[:, 3:5] == twa.ATTRACTORS.index("anti_phase")).all()


def test_census_tolerance_and_no_candidates():
    values = np.array([0.0, 1.0])
    ds = synthetic_branches(values)
    cb, ca, cp = B.branch_candidates(ds, values)
    amp = np.array([[[130.0, 156.0]], [[100.0, 120.0]]])        # 30 % off branch 0, then on it
    phase = np.zeros((2, 1))
    assert B.assign(amp, phase, cb, ca, cp, 0.25).tolist() == [[-1], [0]]
    assert B.assign(amp, phase, cb, ca, cp, 0.35).tolist() == [[0], [0]]
    none = B.assign(amp, phase, np.zeros((2, 0), int), np.zeros((2, 0, 2)), np.zeros((2, 0)))
    assert none.tolist() == [[-1], [-1]]


def _series_part(nb, npt, ne, tag):
    ds = xr.Dataset({"parameter": (("branch", "point"), np.full((nb, npt), tag), {"long_name": "p"}),
                     "stable": (("branch", "point"), np.ones((nb, npt), bool)),
                     "n_points": (("branch",), np.full(nb, npt)),
                     "branch_type": (("branch",), np.array(["in_phase"] * nb)),
                     "event_kind": (("event",), np.array(["fold"] * ne, dtype=str)),
                     "event_branch": (("event",), np.zeros(ne, int)),
                     "seed_kind": (("seed",), np.array(["zero"], dtype=str)),
                     "S_Q_protocol": (("x",), [tag, tag])},
                    coords={"x": [0.0, 1.0], "branch": np.arange(nb), "point": np.arange(npt),
                            "event": np.arange(ne), "seed": [0]},
                    attrs={"axis": "x", "time_total_s": tag})
    return ds


def test_series_layout_pads_and_select_series_undoes_it():
    parts = {"A": _series_part(2, 5, 1, 1.0), "B": _series_part(1, 3, 0, 2.0)}
    ds = B.combine_series(parts)
    assert dict(ds.sizes)["branch"] == 2 and dict(ds.sizes)["point"] == 5 and dict(ds.sizes)["event"] == 1
    assert ds["n_points"].sel(series="B").values.tolist() == [3, 0]
    assert ds["event_branch"].sel(series="B").values.tolist() == [-1]
    assert not ds["stable"].sel(series="B").values[1].any()
    for label, part in parts.items():
        back = B.select_series(ds, label)
        for name in part.data_vars:
            np.testing.assert_array_equal(back[name].values, part[name].values, err_msg=f"{label} {name}")
    assert ds.attrs["time_total_s"] == "[1.0, 2.0]"
    assert ds["parameter"].attrs["long_name"] == "p"          # variable attributes kept


def test_config_checks_name_the_key():
    cfg = {"figures": {"fig2": {"panels": {"a": {"kind": "trace"}, "b": {"kind": "line"}}},
                       "jiao2020_fig1": {"model": "jiao2020", "panels": {"a": {"kind": "line"}}}}}
    for targets, msg in [({"x": {"figure": "nope", "panels": ["b"]}}, "unknown figure"),
                         ({"x": {"figure": "fig2", "panels": ["a"]}}, "trace panel"),
                         ({"x": {"figure": "fig2", "panels": ["z"]}}, "no panel"),
                         ({"x": {"figure": "jiao2020_fig1", "panels": ["a"]}}, "time-domain")]:
        with pytest.raises(B.ConfigError, match=msg):
            B.check_config({**cfg, "branches": {"targets": targets}})
    B.check_config({**cfg, "branches": {"targets": {"x": {"figure": "fig2", "panels": ["b"]}}}})


def _paper_records():
    """The paper configuration's records of the traced figures, and figure → traced panels."""
    from pathlib import Path

    import yaml

    from qorepro.workflow.spec import resolve_figure
    cfg = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "config.yaml").read_text())
    figs = sorted({f for f, _ in B.targets(cfg).values()})
    return cfg, {f: resolve_figure(cfg, f) for f in figs}, {f: B.traced_panels(cfg, f) for f in figs}


def test_series_key_names_the_computation_not_the_panel():
    """An SI panel that repeats a main-text panel (figS1 b = fig1 d, figS4 c = fig2 b: same
    model, parameters, grid, solver, ensemble) has the same series keys; another parameter
    value, another tracing setting or another series does not."""
    import dataclasses
    cfg, specs, _ = _paper_records()
    st = B.settings_of(cfg)
    key = lambda f, p, lab, s=st, spec=None: B.series_key(spec or specs[f], p, lab, s)
    for (f1, p1), (f2, p2) in [(("fig1", "d"), ("figS1", "b")), (("fig2", "b"), ("figS4", "c"))]:
        labels = list(specs[f1].panels[p1].series)
        assert labels == list(specs[f2].panels[p2].series)
        assert [key(f1, p1, lab) for lab in labels] == [key(f2, p2, lab) for lab in labels]
    left, right = list(specs["fig1"].panels["d"].series)
    assert key("fig1", "d", left) != key("fig1", "d", right)
    assert key("fig1", "d", left) != key("fig1", "d", left, {**st, "seed_every": 3})
    other = dataclasses.replace(specs["fig1"], parameters={**specs["fig1"].parameters,
                                                           "kappa_m": 1.01 * specs["fig1"].parameters["kappa_m"]})
    assert key("fig1", "d", left) != key("fig1", "d", left, spec=other)


def test_partition_covers_every_panel_once_and_keeps_shared_series_together():
    cfg, specs, traced = _paper_records()
    st = B.settings_of(cfg)
    jobs = B.partition(specs, traced, st, 2)
    pairs = [fp for job in jobs for fp in job]
    assert sorted(pairs) == sorted((f, p) for f, ps in traced.items() for p in ps) and len(jobs) == 2
    where = {fp: k for k, job in enumerate(jobs) for fp in job}
    assert where[("fig1", "d")] == where[("figS1", "b")] and where[("fig2", "b")] == where[("figS4", "c")]
    # cost: distinct series x grid values; the paper's 19 series hold 15 distinct ones (41 values each)
    cost = [len({B.series_key(specs[f], p, lab, st) for f, p in job for lab in specs[f].panels[p].series}) * 41
            for job in jobs]
    assert sum(cost) == 15 * 41 and abs(cost[0] - cost[1]) <= 41
    assert B.partition(specs, traced, st, 1) == [[(f, p) for f, ps in traced.items() for p in ps]]


# ---------------------------------------------------------------------------------- the DAG
def test_tiny_dag_builds_verified_cf_clean_branch_file_and_figure(project):
    """`snakemake branches_fig2c` on the tiny grid: the branch file and the figure; the file
    verifies against the figure's record (and is refused against another), passes the CF
    checker, and its S_Q_protocol is the run's own panel S_Q."""
    import dataclasses

    from test_cf import cf_errors

    from qorepro.workflow.provenance import ProvenanceError
    from qorepro.workflow.record import FigureSpec
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    (project / "census.yaml").write_text("branches:\n  census: {trajectories: 32}\n")
    r = subprocess.run([sys.executable, "-m", "snakemake", "branches_fig2c", "-j2", "--configfile", "tiny.yaml",
                        "census.yaml"],
                       cwd=project, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    run = project / "results" / "test-tiny"
    path = run / "branches" / "fig2_c.nc"
    for f in (path, run / "figures" / "branches_fig2c.pdf", run / "figures" / "branches_fig2c.png"):
        assert f.exists() and f.stat().st_size > 0, f
    ds = B.open_branches(str(path), str(run / "params" / "fig2.json"))
    assert ds.attrs["panel"] == "c" and list(ds.series.values) == ["default"]
    # the same zero-start runs in another batch: equal to rounding (XLA's vectorisation differs)
    np.testing.assert_allclose(ds["S_Q_protocol"].values, ds["S_Q_panel"].values, rtol=1e-12)
    assert ds["census_class_fraction"].sum("census_class").values == pytest.approx(1.0)
    assert ds.attrs["census_trajectories"] == 32
    with pytest.raises(ProvenanceError):
        B.open_branches(str(path), dataclasses.replace(FigureSpec.load(str(run / "params" / "fig2.json")),
                                                       preset="another"))
    assert not cf_errors(str(path))
