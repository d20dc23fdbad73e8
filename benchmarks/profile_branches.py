"""Profile: where one process's CPU time goes when it traces branch panels (issue 19, item 5).

Runs :func:`qorepro.workflow.branches_stage.compute_panel` for the given ``figure_panel``
items (params records from ``--params``, the tracing settings of the configuration's
defaults) in this one process and prints, per phase, the CPU time (``time.process_time``,
exclusive: a phase's time excludes the phases it calls) and the number of calls, and the
durations JAX reports for tracing, lowering and XLA compilation (wall, attributed to the
phase that triggered them).  Not a test: run by hand, on a fresh compilation cache for a
cold profile, e.g.

    QOREPRO_JAX_CACHE=$(mktemp -d) python benchmarks/profile_branches.py fig2_b,fig2_c \\
        --params results/baseline/params
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time

from jax import monitoring

from qorepro import solver, stability, twa
from qorepro.branches import panel, shooting, trace
from qorepro.workflow import branches_stage, stages
from qorepro.workflow.record import FigureSpec

CPU = collections.defaultdict(float)
CALLS = collections.Counter()
COMPILE = collections.defaultdict(float)
_stack: list = []          # (phase, CPU time at entry or at the end of the last callee)


def _listener(event: str, duration: float, **_):
    if any(w in event for w in ("compile", "trace", "mlir")):
        COMPILE[(_stack[-1][0] if _stack else "other", event.rsplit("/", 1)[-1])] += duration


def timed(owner, name: str, phase: str) -> None:
    """Replace ``owner.name`` by a wrapper that books its exclusive CPU time to ``phase``."""
    fn = getattr(owner, name)

    def wrapper(*a, **k):
        t = time.process_time()
        if _stack:
            CPU[_stack[-1][0]] += t - _stack[-1][1]
        _stack.append([phase, t])
        try:
            return fn(*a, **k)
        finally:
            t = time.process_time()
            CPU[phase] += t - _stack.pop()[1]
            CALLS[phase] += 1
            if _stack:
                _stack[-1][1] = t
    setattr(owner, name, wrapper)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("items", help="comma-separated figure_panel items, e.g. fig2_b,fig2_c")
    ap.add_argument("--params", default="results/baseline/params", help="folder of the params records")
    args = ap.parse_args()
    stages._batch_size(1, "cpu")                        # one core, as a tracing job
    monitoring.register_event_duration_secs_listener(_listener)
    for owner, name, phase in [
            (twa, "simulate", "census ensemble (twa.simulate)"),
            (solver, "integrate", "protocol and seed runs (solver.integrate)"),
            (panel, "trace_branches", "trace_branches (rest)"),
            (shooting.Shooting, "correct", "Newton (Shooting.correct)"),
            (trace, "continue_arc", "continuation (rest)"),
            (trace, "locate", "event location (rest)"),
            (trace, "_same_orbit", "seed on a traced branch? (rest)"),
            (trace, "_assemble", "branch assembly: multipliers, orbit invariants"),
            (stability, "floquet_covariance", "Floquet covariance"),
            (panel, "protocol_phase_variance", "protocol phase variance"),
            (branches_stage, "trace_series", "series rest (orbit moments, census assignment)")]:
        timed(owner, name, phase)
    settings = branches_stage.settings_of({})
    cpu0, wall0 = time.process_time(), time.perf_counter()
    traced: dict = {}
    for item in args.items.split(","):
        fig, pname = item.split("_")
        with open(os.path.join(args.params, f"{fig}.json"), encoding="utf-8") as fh:
            spec = FigureSpec.from_record(json.load(fh))
        c = time.process_time()
        branches_stage.compute_panel(spec, pname, settings, None, [sys.stdout], traced)
        print(f"{item}: {time.process_time() - c:.1f} s CPU", flush=True)
    print(f"total {time.process_time() - cpu0:.1f} s CPU, {time.perf_counter() - wall0:.1f} s wall")
    print("CPU per phase (exclusive):")
    for k, v in sorted(CPU.items(), key=lambda kv: -kv[1]):
        print(f"  {v:8.1f} s  {CALLS[k]:6d} calls  {k}")
    print("JAX tracing / lowering / compilation (wall) by the phase that triggered it:")
    for (ph, ev), v in sorted(COMPILE.items(), key=lambda kv: -kv[1]):
        if v >= 0.05:
            print(f"  {v:8.1f} s  {ev:32s} {ph}")


if __name__ == "__main__":
    main()
