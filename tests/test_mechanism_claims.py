"""Mechanism claim rows (qorepro.claims.mechanism): synthetic branch datasets with a known
mechanism — a fold, a basin switch, a torus, a drop of the window S_Q on one cycle, and two
input directions — give rows with the right verdict, and every row names its numbers."""
import json

import numpy as np
import xarray as xr

from qorepro.claims.mechanism import (
    MECHANISM_CLAIMS,
    ROW_FIELDS,
    MechanismClaim,
    between_rows,
    markdown,
    mechanism_rows,
)

FULL = np.linspace(0.0, 1.0, 11)
GRID = np.array([0.0, 0.5, 1.0])
CLAIM = MechanismClaim("C99", "Fig. X", "a sentence", "figX/a")
TH = {"S_sync": 0.05, "S_zero": 0.01}


def panel(branches, events, protocol_branch, protocol_segment, sq, grid=GRID, d=2, **extra):
    """A branches Dataset: branches as dicts (p, stable, S_Q_floquet, mu = max |μ|, in_phase),
    events as (kind, branch, index, p, |μ| of the critical multiplier)."""
    nb, n = len(branches), max(len(b["p"]) for b in branches)
    P, SQ, MU = (np.full((nb, n), np.nan) for _ in range(3))
    S, IN = np.zeros((nb, n), bool), np.zeros((nb, n), bool)
    for k, b in enumerate(branches):
        m = len(b["p"])
        P[k, :m], S[k, :m], SQ[k, :m], MU[k, :m] = b["p"], b["stable"], b["sq"], b["mu"]
        IN[k, :m] = b.get("in_phase", True)
    mu = np.zeros((len(events), d), complex)
    mu[:, 0] = 1.0
    for m, (kind, _b, _i, _p, crit) in enumerate(events):
        mu[m, 1] = {"fold": crit, "period_doubling": -crit, "torus": crit * np.exp(0.7j)}[kind]
    return xr.Dataset(
        {"parameter": (("branch", "point"), P), "stable": (("branch", "point"), S),
         "S_Q_floquet": (("branch", "point"), SQ), "max_abs_multiplier": (("branch", "point"), MU),
         "in_phase": (("branch", "point"), IN),
         "branch_type": (("branch",), np.array(["in_phase" if np.all(b.get("in_phase", True)) else "anti_phase"
                                                for b in branches])),
         "n_points": (("branch",), np.array([len(b["p"]) for b in branches])),
         "stop_start": (("branch",), np.array(["bound"] * nb)), "stop_end": (("branch",), np.array(["bound"] * nb)),
         "event_kind": (("event",), np.array([e[0] for e in events], dtype=str)),
         "event_branch": (("event",), np.array([e[1] for e in events], int)),
         "event_index": (("event",), np.array([e[2] for e in events], int)),
         "event_parameter": (("event",), np.array([e[3] for e in events], float)),
         "event_multiplier_re": (("event", "multiplier"), mu.real.reshape(len(events), d)),
         "event_multiplier_im": (("event", "multiplier"), mu.imag.reshape(len(events), d)),
         "protocol_branch": (("x",), np.asarray(protocol_branch)),
         "protocol_segment": (("x",), np.asarray(protocol_segment)),
         "S_Q_protocol": (("x",), np.asarray(sq, float)), **extra},
        coords={"x": grid}, attrs={"axis": "x", "jump_tol": 0.02})


def branch(p, stable, sq, mu, in_phase=True):
    return {"p": np.asarray(p, float), "stable": np.asarray(stable, bool), "sq": np.asarray(sq, float),
            "mu": np.asarray(mu, float), "in_phase": in_phase}


def rows_of(ds, claim=CLAIM):
    return mechanism_rows({claim.panel: {"default": ds}}, claims=(claim,), **TH)


def test_fold_of_the_synchronized_cycle_is_a_bifurcation_row_with_its_parameter():
    # branch 0 (in phase, S_Q_floquet 0.3) folds at x = 0.71; the protocol then lands on branch 1
    p0 = np.array([0.0, 0.2, 0.4, 0.6, 0.7, 0.65, 0.4, 0.2, 0.0])
    s0 = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0], bool)
    ds = panel([branch(p0, s0, np.where(s0, 0.3, np.nan), np.where(s0, 0.9, 1.2)),
                branch(FULL, np.ones(11), np.full(11, 0.001), np.full(11, 0.8), in_phase=False)],
               [("fold", 0, 4, 0.71, 1.0)], [0, 0, 1], [0, 2, 9], sq=[0.3, 0.29, 0.001])
    (r,) = rows_of(ds)
    assert set(r) == set(ROW_FIELDS) and r["id"] == "M01" and r["audits"] == "C99"
    assert r["verdict"] == "bifurcation" and r["switch"] == "0.5 → 1" and r["sync_edge"] is True
    assert "fold of branch 0 at x = 0.71" in r["events"] and "|μ| 1" in r["events"]
    assert r["branches"] == "branch 0 (in_phase, stable) → branch 1 (anti_phase, stable)"
    assert r["S_Q_floquet"] == "0.3 → 0.001" and r["max_abs_multiplier"] == "0.9 → 0.8"
    assert "bifurcation" in r["phase_transition"] and "x = 0.71" in r["phase_transition"]
    # the synchronized side's margin 0.1 is smaller than the other side's 0.2, stated with both numbers
    assert "smaller (0.1 vs 0.2)" in r["enhanced_stability"]
    n = json.loads(r["numbers"])
    assert n["verdict"] == "bifurcation" and n["p"] == [0.5, 1.0] and n["S_Q"] == [0.29, 0.001]
    (e,) = n["events"]
    assert e["kind"] == "fold" and e["parameter"] == 0.71 and e["multipliers"][1] == [1.0, 0.0]


def test_basin_switch_row_when_both_cycles_stay_stable_across():
    ds = panel([branch(FULL, np.ones(11), np.linspace(0.35, 0.25, 11), np.full(11, 0.85)),
                branch(FULL, np.ones(11), np.full(11, 0.06), np.full(11, 0.95), in_phase=False)],
               [], [0, 0, 1], [0, 5, 9], sq=[0.3, 0.28, 0.002])
    (r,) = rows_of(ds)
    assert r["verdict"] == "basin_switch" and r["events"] == ""
    assert r["S_Q_floquet"] == "0.3 → 0.06"           # branch 0 at 0.5, branch 1 at 1.0
    assert "not a phase transition" in r["phase_transition"]
    assert "larger (0.15 vs 0.05)" in r["enhanced_stability"] and "not decided by stability" in r["enhanced_stability"]


def test_torus_row_is_loss_of_locking_with_the_pair_modulus():
    s = FULL < 0.75
    ds = panel([branch(FULL, s, np.where(s, 0.3, np.nan), np.where(s, 0.9, 1.1)),
                branch(FULL, np.ones(11), np.full(11, 0.0), np.full(11, 0.5))],
               [("torus", 0, 7, 0.75, 1.0)], [0, 0, 1], [0, 5, 9], sq=[0.3, 0.3, 0.0])
    (r,) = rows_of(ds)
    assert r["verdict"] == "loss_of_locking" and "torus of branch 0 at x = 0.75" in r["events"]
    assert "quasi-periodic" in r["phase_transition"]
    e = json.loads(r["numbers"])["events"][0]
    assert abs(abs(complex(*e["multipliers"][1])) - 1.0) < 1e-12


def test_a_drop_of_the_window_S_Q_on_one_cycle_is_continuous_and_named_history():
    """The protocol stays on one stable cycle whose own S_Q_floquet barely changes while the
    window S_Q falls from 0.19 to 0.024 (the Fig. 2c step K = 0 → 2.5e-6): continuous, and the
    row says the attractor carries about 2 % of the step."""
    ds = panel([branch(FULL, np.ones(11), np.linspace(0.29, 0.285, 11), np.full(11, 0.9))],
               [], [0, 0, 0], [0, 5, 9], sq=[0.3, 0.19, 0.005],
               protocol_phase_variance=(("x",), np.array([0.003, 0.05, 1.24])),
               protocol_phase_variance_diffusion=(("x",), np.array([7e-4, 7e-4, 7e-4])))
    (r,) = rows_of(ds)
    assert r["verdict"] == "continuous" and r["sync_edge"] is True and r["S_Q"] == "0.19 → 0.005"
    t = r["phase_transition"]
    assert t.startswith("no change of attractor") and "S_Q_floquet changes by 0.0025 while the window S_Q changes by 0.185" in t
    assert "the window S_Q is 0.66 → 0.018 of the cycle's S_Q_floquet" in t
    assert "phase-mode variance of the run goes 0.05 → 1.24 rad² (phase diffusion alone 0.0007 → 0.0007)" in t
    n = json.loads(r["numbers"])
    assert n["protocol_phase_variance"] == [0.05, 1.24] and n["protocol_phase_variance_diffusion"] == [7e-4, 7e-4]
    # without the phase variance the row says only where the step is not
    (r,) = rows_of(ds.drop_vars(["protocol_phase_variance", "protocol_phase_variance_diffusion"]))
    assert r["phase_transition"].endswith("does not — not a transition")
    # the same drop ending above S_zero is no edge of a synchronized window: no row
    ds["S_Q_protocol"].values[2] = 0.024
    assert rows_of(ds) == []


def test_reported_steps_are_the_switches_and_the_largest_step_of_each_edge():
    from qorepro.claims.mechanism import reported_steps
    grid = np.linspace(0, 1, 6)
    # one branch throughout, S_Q falling slowly through the band between S_zero and S_sync, then
    # a large step on the same cycle (index 3) and a switch to branch 1 at the last step
    ds = panel([branch(FULL, np.ones(11), np.full(11, 0.3), np.full(11, 0.9)),
                branch(FULL, np.ones(11), np.full(11, 0.06), np.full(11, 0.9))],
               [], [0, 0, 0, 0, 0, 1], [0, 2, 4, 6, 8, 9], sq=[0.3, 0.06, 0.045, 0.04, 0.012, 0.005], grid=grid)
    assert reported_steps(ds, 0.05, 0.01) == [3, 4]
    assert [r["verdict"] for r in rows_of(ds)] == ["continuous", "basin_switch"]


def test_edge_steps_span_the_values_between_synchronized_and_unsynchronized():
    from qorepro.claims.mechanism import edge_steps
    sq = [0.3, 0.2, 0.03, 0.001, 0.002, np.nan, 0.02, 0.1, 0.3, 0.0]
    # 0.2 → 0.001 through 0.03 (steps 1, 2); 0.002 → 0.1 through NaN and 0.02 (4, 5, 6); 0.3 → 0.0 (8)
    assert edge_steps(sq, 0.05, 0.01) == [1, 2, 4, 5, 6, 8]
    assert edge_steps([0.3, 0.2], 0.05, 0.01) == [] and edge_steps([0.001, 0.03], 0.05, 0.01) == []


def test_census_on_both_sides_is_reported():
    cen = np.array([[0.9, 0.1], [0.4, 0.6], [0.0, 1.0]])
    ds = panel([branch(FULL, np.ones(11), np.full(11, 0.3), np.full(11, 0.9)),
                branch(FULL, np.ones(11), np.full(11, 0.06), np.full(11, 0.9))],
               [], [0, 0, 1], [0, 5, 9], sq=[0.3, 0.3, 0.005],
               census=(("x", "attractor"), cen), census_fraction=(("x", "branch"), cen))
    ds = ds.assign_coords(attractor=["branch 0", "branch 1"])
    (r,) = rows_of(ds)
    assert r["census"] == ("x = 0.5: branch 0 0.4, branch 1 0.6, 0 0.4, 1 0.6 | "
                           "x = 1: branch 0 0, branch 1 1, 0 0, 1 1")
    assert r["phase_transition"].endswith("; TWA census weight (quantum noise) of branch 0 0.4 → 0, branch 1 0.6 → 1")
    c = json.loads(r["numbers"])["census"]
    assert c["a"]["census"] == {"branch 0": 0.4, "branch 1": 0.6} and c["b"]["census_fraction"] == {"0": 0.0, "1": 1.0}


def two_directions(other_has_sync_cycle: bool):
    """Left synchronized at the middle value, right not; the right series has (or lacks) a
    stable in-phase cycle with S_Q_floquet 0.2 there."""
    left = panel([branch(FULL, np.ones(11), np.full(11, 0.3), np.full(11, 0.9))], [], [0, 0, 0], [0, 5, 9],
                 sq=[0.005, 0.3, 0.005])
    stable = np.ones(11) if other_has_sync_cycle else FULL > 0.8
    right = panel([branch(FULL, stable, np.where(stable, 0.2, np.nan), np.full(11, 0.9)),
                   branch(FULL, np.ones(11), np.full(11, 0.001), np.full(11, 0.9), in_phase=False)],
                  [], [1, 1, 1], [0, 5, 9], sq=[0.001, 0.001, 0.001])
    return {"left": left, "right": right}


def test_between_directions_basin_switch_or_no_synchronized_cycle():
    claim = MechanismClaim("C98", "Fig. Y", "direction", "figY/d", between=True)
    (r,) = between_rows(two_directions(True), claim, **TH)
    assert r["verdict"] == "basin_switch" and "at 1 of 1 values" in r["branches"]
    (v,) = json.loads(r["numbers"])["values"]
    assert v == {"x": 0.5, "synchronized": "left", "S_Q": [0.3, 0.001], "other_series_sync_cycle_branch": 0,
                 "its_S_Q_floquet": 0.2, "other_series_protocol_branch": 1}
    (r,) = between_rows(two_directions(False), claim, **TH)
    assert r["verdict"] == "no_synchronized_cycle" and "at 0 of 1 values" in r["branches"]
    # the full table: the along-series rows of both series first, then the comparison; ids in order
    rows = mechanism_rows({claim.panel: two_directions(True)}, claims=(claim,), **TH)
    assert [r["id"] for r in rows] == [f"M{k:02d}" for k in range(1, len(rows) + 1)]
    assert rows[-1]["series"] == "left vs right" and rows[-1]["verdict"] == "basin_switch"


def test_missing_panels_are_skipped():
    assert mechanism_rows({}, **TH) == []
    assert {c.audits for c in MECHANISM_CLAIMS} == {"C02", "C04", "C07"}


def test_markdown_lists_every_row_and_both_sentences():
    ds = panel([branch(FULL, np.ones(11), np.full(11, 0.3), np.full(11, 0.85)),
                branch(FULL, np.ones(11), np.full(11, 0.06), np.full(11, 0.95))],
               [], [0, 0, 1], [0, 5, 9], sq=[0.3, 0.28, 0.002])
    md = markdown(rows_of(ds))
    assert "| M01 | C99 |" in md and "dynamical phase transition" in md and "enhanced stability" in md
    # a switch between two unsynchronized states is no row, but is listed below the table
    from qorepro.claims.mechanism import other_switch_notes
    ds["S_Q_protocol"].values[:] = [0.001, 0.002, 0.003]
    assert rows_of(ds) == []
    (note,) = other_switch_notes({CLAIM.panel: {"default": ds}}, claims=(CLAIM,), **TH)
    assert note == "figX/a default: x 0.5 → 1, S_Q 0.002 → 0.003, branches 0 → 1: basin_switch"
    assert note in markdown([], [note])


def test_stage_helpers_traced_panels_thresholds_and_files(tmp_path):
    import csv

    from qorepro.workflow.mechanism_stage import thresholds, traced_panels, write
    targets = {"fig2c": ("fig2", ["c"]), "figS1": ("figS1", ["a", "b"])}
    assert traced_panels(targets) == {"fig2/c": ("fig2", "c")}
    assert thresholds("config/claims.yaml") == {"S_sync": 0.05, "S_zero": 0.01}
    ds = panel([branch(FULL, np.ones(11), np.full(11, 0.3), np.full(11, 0.85)),
                branch(FULL, np.ones(11), np.full(11, 0.06), np.full(11, 0.95))],
               [], [0, 0, 1], [0, 5, 9], sq=[0.3, 0.28, 0.002])
    rows = rows_of(ds)
    write(rows, str(tmp_path / "m.csv"), str(tmp_path / "m.md"), ["fig1/d"])
    with open(tmp_path / "m.csv") as fh:
        back = list(csv.DictReader(fh))
    assert list(back[0]) == list(ROW_FIELDS) and back[0]["verdict"] == "basin_switch"
    assert json.loads(back[0]["numbers"]) == json.loads(rows[0]["numbers"])
    assert "Not traced in this run (no rows): fig1/d" in (tmp_path / "m.md").read_text()
