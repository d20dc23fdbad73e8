"""Why the protocol's S_Q switches between two neighbouring grid values: a machine verdict.

Input: a panel Dataset of :func:`qorepro.branches.panel.panel_branches` (or any Dataset with
its variables: ``parameter``, ``stable``, ``n_points``, ``stop_start``/``stop_end`` on
(branch, point); ``event_kind``/``event_branch``/``event_index``/``event_parameter`` and the
event multipliers on ``event``; ``protocol_branch``/``protocol_segment``/``S_Q_protocol`` on
the panel axis).  Pure: nothing is integrated.

The protocol (a zero start at every grid value, independently) sits at grid value p_a on
segment k_a of branch b_a, at p_b on segment k_b of branch b_b.  From each side the branch
is *walked* along its arclength towards the other grid value (the direction in which p moves
towards it), collecting the events it meets with p between p_a and p_b, whether every point
passed is stable, and whether it reaches the other value (a fold turns it back — a located
fold event, or p turning back between two branch points where locating failed, reported as a
fold with ``located: False`` at that branch point — a branch end stops it).  The verdict of the switch:

* ``loss_of_locking`` — a walk meets a torus (Neimark–Sacker) event (the locked cycle gives
  way to quasi-periodic motion), or on one side the protocol reaches no periodic (locked)
  orbit while the cycle of the other side persists, stable and without event, across the step;
* ``bifurcation`` — otherwise, if a walk meets a fold, a period doubling or a branch point,
  loses stability, or its branch ends before the other value: the cycle the protocol was on
  does not persist as a stable cycle across the grid step (also when the other side then
  reaches no cycle at all: the jump at a fold of cycles);
* ``basin_switch`` — both walks reach the other value with every point stable and no event:
  both cycles coexist, stable, at both values, and the zero start falls into the other basin;
* ``continuous`` — no switch at all: both sides are on the same sheet of the same branch (the
  walk from a ends on the segment the protocol occupies at b).

With every verdict go the protocol's cycle's own values at both grid values (linear along its
segment, :func:`on_segment`): ``S_Q_floquet`` (the attractor's S_Q, phase mode projected out)
and the largest nontrivial |multiplier|, so that a change of the window S_Q can be split into
what changes in the attractor and what does not (on one sheet, ``continuous``, the rest is the
run's history: the phase-mode variance left by the transient, never damped in the linearised
dynamics: the claim rows of :mod:`qorepro.claims.mechanism` report it where the dataset
carries ``protocol_phase_variance``, :func:`qorepro.branches.panel.protocol_phase_variance`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

VERDICTS = ("bifurcation", "basin_switch", "loss_of_locking", "continuous")


@dataclass
class Walk:
    """A walk along a branch from the protocol's segment towards another parameter value."""
    branch: int
    start_segment: int
    reached: bool                 # the branch reaches the target value on this sheet
    end_segment: int              # segment where it crosses the target (−1 if not reached)
    stable: bool                  # every branch point passed (and the two of the start segment) stable
    events: list = field(default_factory=list)   # indices into the event dimension
    ended: str = ""               # "fold" (turned back at a located fold), "turn" (p turned back
    #                               between points without a located event), a stop reason of
    #                               the branch end, or "" (reached)
    turn_parameter: float = float("nan")   # the branch point where p turned back ("turn")


@dataclass
class Verdict:
    """The mechanism of one switch between grid indices i and i + 1, with its numbers."""
    index: int
    p: tuple
    S_Q: tuple
    branches: tuple               # protocol branch at the two grid values (−1: none)
    verdict: str
    events: list                  # dicts: kind, branch, parameter, multipliers, max |nontrivial|
    walks: tuple                  # (from a towards b, from b towards a), Walk or None
    stable_at: tuple              # is the protocol's cycle stable at p_a, p_b
    settled: tuple = (True, True)  # the protocol's window periodic at p_a, p_b (else a transient)
    S_Q_floquet: tuple = (float("nan"), float("nan"))   # of the protocol's cycle at p_a, p_b
    max_abs_multiplier: tuple = (float("nan"), float("nan"))   # its largest nontrivial |μ|

    def as_dict(self) -> dict:
        return {"index": self.index, "p": list(self.p), "S_Q": list(self.S_Q), "branches": list(self.branches),
                "verdict": self.verdict, "events": self.events, "stable_at": list(self.stable_at),
                "settled": list(self.settled), "S_Q_floquet": list(self.S_Q_floquet),
                "max_abs_multiplier": list(self.max_abs_multiplier),
                "reached": [None if w is None else w.reached for w in self.walks]}


def _axis(ds: xr.Dataset) -> str:
    return ds.attrs["axis"]


def walk(ds: xr.Dataset, branch: int, segment: int, p_from: float, p_to: float) -> Walk:
    """Walk branch ``branch`` from its segment ``segment`` (which brackets ``p_from``) along
    the arclength in the direction in which p moves towards ``p_to`` (module docstring)."""
    n = int(ds["n_points"].values[branch])
    P = ds["parameter"].values[branch, :n]
    S = ds["stable"].values[branch, :n].astype(bool)
    kinds = ds["event_kind"].values
    ev_b = ds["event_branch"].values
    ev_i = ds["event_index"].values
    ev_p = ds["event_parameter"].values
    lo, hi = sorted((p_from, p_to))
    up = p_to > p_from
    k = segment
    # the sense of p along the index at the start (a repeated point, e.g. a seed on a bound:
    # the next change decides; none ahead: the change behind, reversed)
    ahead = [P[j + 1] - P[j] for j in range(k, n - 1) if P[j + 1] != P[j]]
    behind = [P[j + 1] - P[j] for j in range(k - 1, -1, -1) if P[j + 1] != P[j]]
    rising = ahead[0] > 0 if ahead else (behind[0] > 0 if behind else up)
    step = 1 if rising == up else -1
    stable = bool(S[k] and S[k + 1])
    met = []
    j = k
    closed = str(ds["stop_start"].values[branch]) == "closed"   # an isola: walk round it
    for _ in range(n):
        if closed:
            j %= n - 1
        if not 0 <= j < n - 1:
            break
        for m in np.nonzero((ev_b == branch) & (ev_i == j))[0]:
            if lo <= ev_p[m] <= hi and m not in met:
                met.append(int(m))
        if any(kinds[m] == "fold" for m in met):
            return Walk(branch, segment, False, -1, stable, met, "fold")
        entry = j if step > 0 else j + 1
        if j != k and P[j + 1] != P[j] and ((P[j + 1] > P[j]) == (step > 0)) != up:
            # p turns back at the entry point without a located fold event: a fold all the same
            return Walk(branch, segment, False, -1, stable, met, "turn", float(P[entry]))
        a, b = sorted((P[j], P[j + 1]))
        if a <= p_to <= b:
            near = j + 1 if abs(P[j + 1] - p_to) < abs(P[j] - p_to) else j
            return Walk(branch, segment, True, j, stable and bool(S[near]), met)
        stable = stable and bool(S[j + 1 if step > 0 else j])
        j += step
    end = "closed" if closed else ds["stop_end"].values[branch] if step > 0 else ds["stop_start"].values[branch]
    return Walk(branch, segment, False, -1, stable, met, str(end))


def on_segment(ds: xr.Dataset, var: str, branch: int, segment: int, q: float) -> float:
    """``var`` (branch, point) of branch ``branch`` at parameter ``q``, linear between the two
    points of ``segment``; NaN without a branch or segment (−1) or without the variable."""
    if branch < 0 or segment < 0 or var not in ds:
        return float("nan")
    P = ds["parameter"].values[branch, segment:segment + 2]
    y = ds[var].values[branch, segment:segment + 2].astype(float)
    a = 0.0 if P[1] == P[0] else (q - P[0]) / (P[1] - P[0])
    return float(y[0] + a * (y[1] - y[0]))


def _event_record(ds, m) -> dict:
    mu = ds["event_multiplier_re"].values[m] + 1j * ds["event_multiplier_im"].values[m]
    return {"kind": str(ds["event_kind"].values[m]), "branch": int(ds["event_branch"].values[m]),
            "parameter": float(ds["event_parameter"].values[m]),
            "multipliers": [complex(z) for z in mu],
            "max_abs_nontrivial": float(np.max(np.abs(mu[1:]))) if mu.size > 1 else float("nan")}


def verdict(ds: xr.Dataset, i: int) -> Verdict:
    """The mechanism of the protocol's change between grid indices i and i + 1."""
    ax = _axis(ds)
    p = ds[ax].values
    pa, pb = float(p[i]), float(p[i + 1])
    ba, bb = (int(v) for v in ds["protocol_branch"].values[[i, i + 1]])
    ka, kb = (int(v) for v in ds["protocol_segment"].values[[i, i + 1]])
    sq = tuple(float(v) for v in ds["S_Q_protocol"].values[[i, i + 1]])
    wa = walk(ds, ba, ka, pa, pb) if ba >= 0 and ka >= 0 else None
    wb = walk(ds, bb, kb, pb, pa) if bb >= 0 and kb >= 0 else None

    def stable_at(b, k, q):
        if b < 0 or k < 0:
            return False
        P = ds["parameter"].values[b]
        near = k + 1 if abs(P[k + 1] - q) < abs(P[k] - q) else k
        return bool(ds["stable"].values[b, near])

    met = sorted({m for w in (wa, wb) if w is not None for m in w.events})
    events = [_event_record(ds, m) for m in met]
    events += [{"kind": "fold", "branch": w.branch, "parameter": w.turn_parameter, "multipliers": [],
                "max_abs_nontrivial": float("nan"), "located": False}
               for w in (wa, wb) if w is not None and w.ended == "turn"]
    kinds = {e["kind"] for e in events}
    walks = [w for w in (wa, wb) if w is not None]
    if "torus" in kinds or not walks:
        v = "loss_of_locking"
    elif kinds or not all(w.reached and w.stable for w in walks):
        v = "bifurcation"
    elif len(walks) < 2:
        v = "loss_of_locking"
    elif ba == bb and abs(wa.end_segment - kb) <= 1:
        v = "continuous"
    else:
        v = "basin_switch"
    settled = tuple(bool(s) for s in ds["protocol_settled"].values[[i, i + 1]]) \
        if "protocol_settled" in ds else (True, True)
    own = lambda var: (on_segment(ds, var, ba, ka, pa), on_segment(ds, var, bb, kb, pb))
    return Verdict(i, (pa, pb), sq, (ba, bb), v, events, (wa, wb),
                   (stable_at(ba, ka, pa), stable_at(bb, kb, pb)), settled,
                   own("S_Q_floquet"), own("max_abs_multiplier"))


def switches(ds: xr.Dataset, jump_tol: float | None = None) -> list[int]:
    """Grid indices i where the protocol switches between i and i + 1: its branch changes
    (to or from −1, no cycle, included; −1 on both sides is no switch), or it stays on the branch but not on the same sheet (the walk from i does
    not end on its segment at i + 1), or — with ``jump_tol`` — |ΔS_Q| exceeds it."""
    b = ds["protocol_branch"].values
    k = ds["protocol_segment"].values
    p = ds[_axis(ds)].values
    sq = ds["S_Q_protocol"].values
    out = []
    for i in range(p.size - 1):
        if b[i] < 0 and b[i + 1] < 0:                   # no cycle on either side: nothing switches
            continue
        if b[i] != b[i + 1]:
            out.append(i)
            continue
        if k[i] < 0 or k[i + 1] < 0:
            out.append(i)
            continue
        w = walk(ds, int(b[i]), int(k[i]), float(p[i]), float(p[i + 1]))
        if not (w.reached and abs(w.end_segment - k[i + 1]) <= 1):
            out.append(i)
        elif jump_tol is not None and not abs(sq[i + 1] - sq[i]) <= jump_tol:
            out.append(i)
    return out


def verdicts(ds: xr.Dataset, jump_tol: float | None = None) -> list[Verdict]:
    """The verdict of every switch of the panel (:func:`switches`)."""
    return [verdict(ds, i) for i in switches(ds, jump_tol)]
