"""Profile one sweep job's CPU: imports, tracing + compilation, computation, writing.

Runs what the rule ``sweep_<figure>`` runs (:func:`qorepro.workflow.figure.compute_figure` on
the figure's params record) in this process, pinned to one CPU like a sweep job, and reports
process CPU time (``time.process_time``) per phase, plus JAX's own trace / lower / compile
durations (``jax.monitoring``; wall-clock, single-threaded here) and the number of compiled
programs and of persistent-cache entries the job added.  Point ``QOREPRO_JAX_CACHE`` at an
empty directory for a cold job, run again for a warm one.

    QOREPRO_JAX_CACHE=/tmp/jaxcache python benchmarks/profile_sweep_job.py \
        results/baseline/params/fig2.json /tmp/out --json prof.json
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time

T0 = time.process_time()


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("record", help="a figure's params record (results/<run>/params/<figure>.json)")
    ap.add_argument("outdir", help="where the panel files go (scratch)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--json", help="write the profile here")
    ap.add_argument("--explain", action="store_true", help="log JAX's reasons for every retrace")
    a = ap.parse_args(argv)
    cache = os.environ.get("QOREPRO_JAX_CACHE", "")
    n_cache0 = len(os.listdir(cache)) if cache and os.path.isdir(cache) else 0

    from qorepro import backend
    backend.pin_to_one_cpu()
    import jax
    import jax.monitoring as mon

    if a.explain:
        jax.config.update("jax_explain_cache_misses", True)
    dur, cnt = collections.defaultdict(float), collections.Counter()

    def on_duration(event, secs, **kw):
        dur[event] += secs
        cnt[event] += 1

    mon.register_event_duration_secs_listener(on_duration)
    mon.register_event_listener(lambda event, **kw: cnt.update([event]))
    from qorepro.workflow import figure, timedomain  # noqa: F401  (the engine's imports)
    from qorepro.workflow.record import FigureSpec
    t_import = time.process_time() - T0

    with open(a.record, encoding="utf-8") as fh:
        spec = FigureSpec.from_record(json.load(fh))
    backend.configure("cpu")
    phases = {}
    orig_write = figure.write_panels

    def timed_write(*args, **kw):
        t = time.process_time()
        try:
            return orig_write(*args, **kw)
        finally:
            phases["write"] = time.process_time() - t

    figure.write_panels = timed_write
    os.makedirs(a.outdir, exist_ok=True)
    t = time.process_time()
    figure.compute_figure(spec, a.outdir, batch_size=a.batch_size)
    total_run = time.process_time() - t
    out = {
        "figure": spec.figure, "cpu_total": time.process_time() - T0, "cpu_import": t_import,
        "cpu_run": total_run, "cpu_write": phases.get("write", float("nan")),
        "jax_trace_s": dur["/jax/core/compile/jaxpr_trace_duration"],
        "jax_lower_s": dur["/jax/core/compile/jaxpr_to_mlir_module_duration"],
        "jax_compile_s": dur["/jax/core/compile/backend_compile_duration"],
        "jax_cache_load_s": dur.get("/jax/compilation_cache/cache_retrieval_time_sec", 0.0),
        "programs": cnt["/jax/core/compile/jaxpr_trace_duration"],
        "cache_misses": cnt["/jax/compilation_cache/cache_misses"],
        "cache_hits": cnt["/jax/compilation_cache/cache_hits"],
        "cache_entries_added": (len(os.listdir(cache)) if cache and os.path.isdir(cache) else 0) - n_cache0,
    }
    print(json.dumps(out, indent=1))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)
    return out


if __name__ == "__main__":
    sys.exit(main() and 0)
