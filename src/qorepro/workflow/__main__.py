"""``python -m qorepro.workflow STAGE ...`` — the commands the Snakemake rules run."""
from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import sys


def _setup_logging(log_path):
    handlers = [logging.StreamHandler(sys.stderr)]
    if log_path:
        os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(level=logging.INFO, handlers=handlers,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # JAX reports at INFO that it probed for a TPU: noise in every sweep log
    logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)


def _batch_size(value: str, backend_name: str) -> int:
    """engine.batch_size: an integer, or ``auto`` = 64 points on the CPU (the compiled batch
    stays in cache: 25 % less per point than 256), 16384 on a GPU.  Selects the JAX platform
    (engine.backend) first; a CPU job takes one core (:func:`qorepro.backend.pin_to_one_cpu`)."""
    from .. import backend
    if backend_name == "cpu" or (backend_name == "auto" and not _sees_gpu()):
        backend.pin_to_one_cpu()
    platform = backend.configure(backend_name)
    if value == "auto":
        return 16384 if platform == "gpu" else 64
    return int(value)


def _sees_gpu() -> bool:
    """Whether a CUDA device is present, without starting JAX (its backend would fix the
    thread pool before the CPU affinity is set)."""
    return os.path.exists("/dev/nvidiactl") or bool(os.environ.get("CUDA_VISIBLE_DEVICES"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qorepro.workflow")
    sub = ap.add_subparsers(dest="stage", required=True)
    b = sub.add_parser("sweep", help="compute all panels of a figure")
    b.add_argument("--params", required=True)
    b.add_argument("--outdir", help="panel directory (whole figure)")
    b.add_argument("--log")
    b.add_argument("--chunk", type=int, help="compute only this chunk (0-based) into --npz")
    b.add_argument("--n-chunks", type=int, default=1)
    b.add_argument("--npz", help="output of a chunk")
    b.add_argument("--base-dir", help="panel directory of the run this one continues (continue_from)")
    b.add_argument("--backend", default="auto", help="engine.backend: auto, cpu or gpu")
    b.add_argument("--batch-size", default="auto", help="engine.batch_size: points per compiled batch")
    mg = sub.add_parser("merge", help="merge a figure's chunk results into its panel files")
    mg.add_argument("--params", required=True)
    mg.add_argument("--outdir", required=True)
    mg.add_argument("npz", nargs="+")
    c = sub.add_parser("certify", help="summarise stability verdicts of a figure")
    c.add_argument("--figure", required=True)
    c.add_argument("--params", help="the figure's params record (the panels are verified against it)")
    c.add_argument("--out", required=True)
    c.add_argument("nc", nargs="+")
    t = sub.add_parser("table1", help="write Table I")
    t.add_argument("--params", required=True)
    t.add_argument("--baseline", required=True)
    t.add_argument("--experimental", required=True, help="JSON of the experimental column")
    t.add_argument("--sagnac-kHz", type=float, default=6.0)
    t.add_argument("--csv", required=True)
    t.add_argument("--md", required=True)
    k = sub.add_parser("claims", help="evaluate the claims audit")
    k.add_argument("--claims", required=True)
    k.add_argument("--dataset", action="append", default=[], metavar="KEY=PATH",
                   help="panel file of a claim dataset (figure/panel); claims whose datasets are not "
                        "all given are listed as not evaluated")
    k.add_argument("--run", required=True)
    k.add_argument("--csv", required=True)
    k.add_argument("--md", required=True)
    k.add_argument("--measure", default="S_Q",
                   help="variable used as S_Q (e.g. S_Q_floquet for the long-time audit)")
    mf = sub.add_parser("manifest", help="verify a run's panel files and write its MANIFEST (sha256 of each)")
    mf.add_argument("--run-dir", required=True)
    mf.add_argument("--out", required=True)
    mf.add_argument("--records", nargs="*", default=[])
    mf.add_argument("--panels", nargs="*", default=[])
    au = sub.add_parser("audit", help="referee audits across runs")
    au.add_argument("kind", choices=["claims-by-run", "initial-conditions", "floquet"])
    au.add_argument("--run", action="append", default=[], help="NAME=PATH (claims csv or data dir)")
    au.add_argument("--figures", nargs="*", default=[])
    au.add_argument("--tol", type=float, default=0.01)
    au.add_argument("--csv", required=True)
    au.add_argument("--md", required=True)
    rp = sub.add_parser("report", help="HTML pages shown inline in Snakemake's report")
    rp.add_argument("kind", choices=["claims", "table1", "provenance", "figure"])
    rp.add_argument("--run", required=True)
    rp.add_argument("--out", required=True)
    rp.add_argument("--summary", help="claims: the compact summary for the report's front page")
    rp.add_argument("--claims", help="claims csv")
    rp.add_argument("--table", help="table1 csv")
    rp.add_argument("--figure", nargs="+", default=[], help="figure (figure) or figures (provenance)")
    rp.add_argument("--png")
    rp.add_argument("--stability", nargs="+", default=[])
    rp.add_argument("--params", nargs="+", default=[])
    rp.add_argument("--descriptions", help="workflow/report/figures.yaml")
    args = ap.parse_args(argv)
    from .provenance import ProvenanceError
    try:
        return _run(ap, args)
    except ProvenanceError as e:        # one line naming the file, no traceback
        print(f"provenance check failed: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        if e.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        print(f"{args.stage} failed: {e.strerror}: {e.filename}", file=sys.stderr)
        return 1


def _run(ap, args) -> int:
    if args.stage == "manifest":
        from .provenance import write_manifest
        out = write_manifest(args.run_dir, args.records, args.panels, args.out)
        print(f"{out}: {len(args.records)} params records and {len(args.panels)} panel files verified")
    elif args.stage == "sweep":
        _setup_logging(args.log)
        from .. import io
        from . import figure, jobs
        from .record import FigureSpec
        spec = FigureSpec.load(args.params)
        execution = {"base_dir": args.base_dir, "batch_size": _batch_size(args.batch_size, args.backend),
                     "progress": [sys.stderr, jobs.TERMINAL]}
        if args.chunk is None:
            if not args.outdir:
                ap.error("sweep: --outdir is required unless --chunk/--npz are given")
            io.remove_partial(args.outdir)
            figure.compute_figure(spec, args.outdir, **execution)
        else:
            figure.compute_chunk(spec, args.chunk, args.n_chunks, args.npz, **execution)
    elif args.stage == "merge":
        _setup_logging(None)
        from .. import io
        from .figure import merge_chunks
        from .record import FigureSpec
        spec = FigureSpec.load(args.params)
        io.remove_partial(args.outdir)
        merge_chunks(spec, args.npz, args.outdir)
    elif args.stage == "certify":
        from .certification import write_summary
        paths = {os.path.splitext(os.path.basename(p))[0]: p for p in args.nc}
        s = write_summary(args.figure, paths, args.out, args.params)
        print(f"{args.figure}: {s['n_certified']}/{s['n_points']} points certified; {s['counts']}")
    elif args.stage == "table1":
        from .table import build_table, write_table
        with open(args.params) as fh:
            rec = json.load(fh)
        rows = build_table(rec, args.baseline, json.loads(args.experimental), args.sagnac_kHz)
        write_table(rows, args.csv, args.md, rec)
    elif args.stage == "claims":
        from collections import Counter

        from .claims_report import run_claims
        datasets = dict(d.split("=", 1) for d in args.dataset)
        rows = run_claims(args.claims, datasets, args.run, args.csv, args.md, measure=args.measure)
        print("claims:", dict(Counter(r["verdict"] for r in rows)))
    elif args.stage == "report":
        from . import report
        if args.kind == "claims":
            report.claims_page(args.claims, args.run, args.out, args.summary)
        elif args.kind == "table1":
            report.table1_page(args.table, args.run, args.out)
        elif args.kind == "provenance":
            report.provenance_page(args.run, args.figure, args.stability, args.params, args.out)
        else:
            import yaml
            with open(args.descriptions, encoding="utf-8") as fh:
                descriptions = yaml.safe_load(fh) or {}
            report.figure_card(args.figure[0], args.png, args.stability[0], args.params[0], args.claims,
                               descriptions, args.out)
    elif args.stage == "audit":
        from . import audits
        runs = {}
        for r in args.run:
            name, where = r.split("=", 1)
            # a data dir, or fig:dir,fig:dir,… where a run reuses other runs' panels
            runs[name] = dict(x.split(":", 1) for x in where.split(",")) if ":" in where else where
        if args.kind == "claims-by-run":
            audits.claims_by_run(runs, args.csv, args.md)
        elif args.kind == "initial-conditions":
            print(audits.initial_conditions(runs, args.figures, args.tol, args.csv, args.md))
        else:
            print(audits.floquet_vs_window(next(iter(runs.values())), args.figures, args.csv, args.md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
