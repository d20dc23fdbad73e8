"""Mechanism verdicts of the protocol's switches (qorepro.branches.mechanism): synthetic panels
with a known answer for each verdict, and the Bautin normal form, where a start outside the
cycles jumps to the origin exactly where the stable cycle folds away (μ = −1)."""
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from scipy.integrate import solve_ivp

from qorepro.branches import Seed, trace_branches
from qorepro.branches.mechanism import switches, verdict, verdicts
from qorepro.branches.panel import locate_protocol

GRID = np.array([0.0, 0.5, 1.0])
FULL = np.linspace(0.0, 1.0, 11)


def panel(branches, events, protocol_branch, protocol_segment, grid=GRID, sq=None, d=2):
    """A panel Dataset with the variables the verdicts read: branches as (p, stable) pairs,
    events as (kind, branch, index, p)."""
    nb, n = len(branches), max(len(p) for p, _ in branches)
    P = np.full((nb, n), np.nan)
    S = np.zeros((nb, n), bool)
    for b, (p, s) in enumerate(branches):
        P[b, :len(p)], S[b, :len(p)] = p, s
    mu = np.tile(np.r_[1.0, 0.5 * np.ones(d - 1)], (len(events), 1))
    for m, (kind, *_rest) in enumerate(events):
        mu[m, 1] = {"fold": 1.0, "period_doubling": -1.0, "torus": 1.0, "branch_point": 1.0}[kind]
    return xr.Dataset(
        {"parameter": (("branch", "point"), P), "stable": (("branch", "point"), S),
         "n_points": (("branch",), np.array([len(p) for p, _ in branches])),
         "stop_start": (("branch",), np.array(["bound"] * nb)), "stop_end": (("branch",), np.array(["bound"] * nb)),
         "event_kind": (("event",), np.array([e[0] for e in events], dtype=str)),
         "event_branch": (("event",), np.array([e[1] for e in events], int)),
         "event_index": (("event",), np.array([e[2] for e in events], int)),
         "event_parameter": (("event",), np.array([e[3] for e in events], float)),
         "event_multiplier_re": (("event", "multiplier"), mu.reshape(len(events), d)),
         "event_multiplier_im": (("event", "multiplier"), np.zeros((len(events), d))),
         "protocol_branch": (("x",), np.asarray(protocol_branch)),
         "protocol_segment": (("x",), np.asarray(protocol_segment)),
         "S_Q_protocol": (("x",), np.linspace(0.3, 0.1, grid.size) if sq is None else sq)},
        coords={"x": grid}, attrs={"axis": "x"})


def test_basin_switch_when_both_branches_stay_stable_across():
    ds = panel([(FULL, np.ones(11, bool)), (FULL, np.ones(11, bool))], [], [0, 0, 1], [0, 5, 9])
    assert switches(ds) == [1]
    v = verdict(ds, 1)
    assert v.verdict == "basin_switch" and v.branches == (0, 1) and v.events == []
    assert v.stable_at == (True, True) and all(w.reached and w.stable for w in v.walks)


def test_a_repeated_point_at_the_start_does_not_turn_the_walk_round():
    p = np.r_[0.0, FULL]                                   # the seed twice on the bound
    ds = panel([(p, np.ones(12, bool)), (FULL, np.ones(11, bool))], [], [0, 0, 1], [0, 5, 9])
    w = verdict(ds, 0).walks[0]
    assert w.reached and w.ended == ""


def test_no_switch_on_one_sheet_is_continuous():
    ds = panel([(FULL, np.ones(11, bool))], [], [0, 0, 0], [0, 5, 9])
    assert switches(ds) == []
    assert verdict(ds, 0).verdict == "continuous"
    # with an S_Q threshold a steep change on one sheet is listed, and still called continuous
    assert switches(ds, jump_tol=0.05) == [0, 1]
    assert [v.verdict for v in verdicts(ds, jump_tol=0.05)] == ["continuous"] * 2


def test_fold_of_the_protocols_branch_is_a_bifurcation():
    # branch 0 turns at p = 0.71 (stable lower sheet, unstable upper one); branch 1 spans the panel
    p0 = np.array([0.0, 0.2, 0.4, 0.6, 0.7, 0.65, 0.4, 0.2, 0.0])
    s0 = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0], bool)
    ds = panel([(p0, s0), (FULL, np.ones(11, bool))], [("fold", 0, 4, 0.71)], [0, 0, 1], [0, 2, 9])
    assert switches(ds) == [1]
    v = verdict(ds, 1)
    assert v.verdict == "bifurcation"
    (e,) = v.events
    assert e["kind"] == "fold" and e["parameter"] == 0.71 and e["branch"] == 0
    assert v.walks[0].ended == "fold" and not v.walks[0].reached
    # the same fold outside the grid step is not met: a switch at i = 0 would be a basin switch
    ds2 = panel([(p0, s0), (FULL, np.ones(11, bool))], [("fold", 0, 4, 0.71)], [0, 1, 1], [0, 5, 9])
    assert verdict(ds2, 0).verdict == "basin_switch"


def test_a_turn_without_a_located_fold_is_still_a_fold():
    """Where locating an event failed the branch still turns in p: the walk stops there and
    the verdict names an unlocated fold at the turning point."""
    p0 = np.array([0.0, 0.2, 0.4, 0.6, 0.7, 0.65, 0.4, 0.2, 0.0])
    s0 = np.ones(9, bool)                          # stable both sides: only the turn tells
    ds = panel([(p0, s0), (FULL, np.ones(11, bool))], [], [0, 0, 1], [0, 2, 9])
    v = verdict(ds, 1)
    assert v.verdict == "bifurcation" and v.walks[0].ended == "turn"
    (e,) = v.events
    assert e["kind"] == "fold" and e["parameter"] == 0.7 and e["located"] is False


def test_period_doubling_and_loss_of_stability_are_bifurcations():
    s = FULL < 0.75
    ds = panel([(FULL, s), (FULL, np.ones(11, bool))], [("period_doubling", 0, 7, 0.75)], [0, 0, 1], [0, 5, 9])
    v = verdict(ds, 1)
    assert v.verdict == "bifurcation" and [e["kind"] for e in v.events] == ["period_doubling"]
    assert v.events[0]["multipliers"][1] == -1.0
    # stability lost without a located event (e.g. one missed between points): still a bifurcation
    ds = panel([(FULL, s), (FULL, np.ones(11, bool))], [], [0, 0, 1], [0, 5, 9])
    assert verdict(ds, 1).verdict == "bifurcation"


def test_torus_or_no_locked_cycle_is_loss_of_locking():
    s = FULL < 0.75
    ds = panel([(FULL, s), (FULL, np.ones(11, bool))], [("torus", 0, 7, 0.75)], [0, 0, 1], [0, 5, 9])
    assert verdict(ds, 1).verdict == "loss_of_locking"
    # the protocol reaches no cycle at p = 1 while its branch persists, stable, up to there
    ds = panel([(FULL, np.ones(11, bool))], [], [0, 0, -1], [0, 5, -1])
    assert switches(ds) == [1]
    v = verdict(ds, 1)
    assert v.verdict == "loss_of_locking" and v.branches == (0, -1) and v.walks[1] is None


OMEGA = 1.3


def bautin(x, mu, xp=jnp):
    """ṙ = r(μ + 2r² − r⁴), θ̇ = ω: stable cycles r² = 1 + √(1 + μ), a fold at μ = −1.
    (``xp=np`` for the scipy reference integration: no JAX dispatch per right-hand side call.)"""
    r2 = x[0] ** 2 + x[1] ** 2
    g = mu + 2 * r2 - r2 ** 2
    return xp.stack([g * x[0] - OMEGA * x[1], g * x[1] + OMEGA * x[0]])


def test_bautin_protocol_jumping_at_the_fold_is_a_bifurcation():
    """A start at r = 1.2 reaches the stable cycle for μ > −1 and decays to the origin for
    μ < −1: the switch between the grid values around −1 is the fold, located at −1 ± 10⁻⁴."""
    grid = np.linspace(-1.15, -0.25, 10)                # the fold lies between −1.05 and −0.95
    bs = trace_branches(bautin, 2, [Seed(np.array([1.2, 0.0]), 2 * np.pi / OMEGA, -0.5)], (grid[0], grid[-1]))
    (b,) = bs.branches
    pad = bs.padded()
    n = len(b)
    # the protocol: integrate the planar field from (1.2, 0) to t = 200, late window [180, 200]
    pb, pseg, sq = np.full(grid.size, -1), np.full(grid.size, -1), np.full(grid.size, np.nan)
    for i, mu in enumerate(grid):
        t = np.linspace(180, 200, 2001)
        sol = solve_ivp(lambda _, x: bautin(x, mu, np), (0, 200), [1.2, 0.0], t_eval=t, rtol=1e-10, atol=1e-12)
        X = sol.y
        if np.abs(X).max() < 1e-6:                      # settled on the origin: no cycle reached
            continue
        k = locate_protocol(b.p, b.T, b.x_mean, b.x_rms, mu, 2 * np.pi / OMEGA, X.mean(axis=1), X.std(axis=1), 1.0)
        pb[i], pseg[i], sq[i] = 0, k, np.mean(np.sum(X ** 2, axis=0))
    assert (pb[grid > -1] == 0).all() and (pb[grid < -1] == -1).all()
    # the protocol sits on the stable sheet wherever it reaches the cycle
    assert all(b.stable[k] and b.stable[k + 1] for k in pseg[pseg >= 0])
    ev = bs.event_arrays()
    ds = xr.Dataset(
        {"parameter": (("branch", "point"), pad["p"]), "stable": (("branch", "point"), pad["stable"]),
         "n_points": (("branch",), pad["n_points"]),
         "stop_start": (("branch",), np.array([b.stops[0]])), "stop_end": (("branch",), np.array([b.stops[1]])),
         "event_kind": (("event",), ev["kind"]), "event_branch": (("event",), ev["branch"]),
         "event_index": (("event",), ev["index"]), "event_parameter": (("event",), ev["p"]),
         "event_multiplier_re": (("event", "multiplier"), ev["multiplier_re"]),
         "event_multiplier_im": (("event", "multiplier"), ev["multiplier_im"]),
         "protocol_branch": (("mu",), pb), "protocol_segment": (("mu",), pseg), "S_Q_protocol": (("mu",), sq)},
        coords={"mu": grid}, attrs={"axis": "mu"})
    j = int(np.nonzero(grid > -1)[0][0]) - 1
    assert switches(ds) == [j]
    (v,) = verdicts(ds)
    assert v.verdict == "bifurcation" and v.branches == (-1, 0)
    (e,) = v.events
    assert e["kind"] == "fold" and abs(e["parameter"] + 1) < 1e-4
    np.testing.assert_allclose(abs(e["multipliers"][1]), 1.0, atol=1e-3)
    assert n > 3 and v.walks[0] is None and v.walks[1].ended == "fold"


def test_close_loops_cuts_an_isola_after_its_first_return():
    """A circle in (p, x) traced round two and a half times (its orbit point sliding along
    the orbit, so the states differ): cut after one revolution, duplicate events dropped."""
    from qorepro.branches.events import Event
    from qorepro.branches.panel import close_loops
    from qorepro.branches.trace import Branch, BranchSet

    th = 0.3 + np.linspace(0, 5 * np.pi, 126)             # 50 points per revolution
    p, q = 0.5 + 0.3 * np.cos(th), 2.0 + np.sin(th)
    n = th.size
    x0 = np.stack([q * np.cos(7 * th), q * np.sin(7 * th)], axis=1)   # slides along the orbit
    b = Branch(p=p, T=6.0 + 0.1 * np.sin(th), x0=x0, multipliers=np.ones((n, 2), complex),
               stable=np.cos(th) > 0, dp_ds=-np.sin(th), x_mean=np.zeros((n, 2)),
               x_rms=np.stack([q, q], axis=1) / np.sqrt(2), stops=("max_points", "max_points"))
    # the circle's two folds (θ = π, 2π), the first found twice, and the first again a turn later
    fold = lambda j, pj: Event("fold", 0, j, float(pj), 6.0, x0[j], np.ones(2))
    events = [fold(22, 0.2), fold(23, 0.2), fold(47, 0.8), fold(72, 0.2)]
    bs = close_loops(BranchSet([b], events, np.array([0]), (0.0, 1.0)))
    (b,) = bs.branches
    assert b.stops == ("closed", "closed") and 51 <= len(b) <= 53
    assert abs(b.p[-1] - b.p[0]) < 0.05
    assert [e.index for e in bs.events] == [22, 47]
    # a walk on the closed branch goes round it: from near its end (p decreasing) down to
    # p = 0.6, past the last point, without meeting the fold at p = 0.8 behind it
    m = len(b)
    ds = xr.Dataset({"parameter": (("branch", "point"), b.p[None]), "stable": (("branch", "point"), np.ones((1, m), bool)),
                     "n_points": (("branch",), [m]), "stop_start": (("branch",), ["closed"]),
                     "stop_end": (("branch",), ["closed"]),
                     "event_kind": (("event",), ["fold"]), "event_branch": (("event",), [0]),
                     "event_index": (("event",), [47]), "event_parameter": (("event",), [0.8])})
    from qorepro.branches.mechanism import walk
    w = walk(ds, 0, m - 3, float(b.p[m - 3]), 0.6)       # near the end, p decreasing: past the end, round
    assert w.reached and w.events == [] and w.end_segment < 47


@pytest.mark.parametrize("phase, in_phase", [(0.3, True), (2.8, False)])
def test_mechanical_phase_of_a_harmonic_orbit(phase, in_phase):
    """β_j = A e^{−it}, β_k = B e^{−i(t + φ)} sampled over a period: amplitudes A, B, relative phase φ."""
    from qorepro.branches.panel import mechanical_phase

    class M:                                              # the two attributes the function reads
        mechanical_modes = (0, 1)
    t = np.linspace(0, 2 * np.pi, 4000, endpoint=False)
    b1, b2 = 2.0 * np.exp(-1j * t), 0.5 * np.exp(-1j * (t + phase))
    X = np.stack([b1.real, b1.imag, b2.real, b2.imag])
    amp, ph = mechanical_phase(M, np.cov(X, bias=True)[None])
    np.testing.assert_allclose(amp[0], [2.0, 0.5], rtol=1e-12)
    assert abs(ph[0] - phase) < 1e-12 and (abs(ph[0]) < np.pi / 2) == in_phase
