"""A variant run side by side with the main run: what changed, how the claims moved, how the
panels moved (issue 22).  Pure functions over the runs' files, no recomputation.

* :func:`record_diff` — the differences between two params records of one figure
  (``results/<run>/params/<figure>.json``) as a flat list of ``(key path, main, variant)``;
  the run name and code version are not differences of content (:func:`identity_diff` lists
  them apart).  A figure with an empty diff is *shared*: the variant computes the same numbers.
* :func:`claims_diff` — per claim evaluated in both runs (``claims.csv``), the verdict of each
  run for every method column, and each measured number side by side with its difference;
  where a number ``x`` comes with an error bar (a measured key ``x_err``, one standard error,
  named like the panel variables ``S_Q_twa`` / ``S_Q_twa_err``), whether ``|Δ|`` exceeds the
  combined error bar ``hypot(err_main, err_variant)``.  Flipped claims first.
* :func:`difference` / :func:`panel_diff` — a Dataset of ``variant − main`` for every numeric
  data variable the two panel files share, on the panels' named dimensions; non-numeric
  variables (the stability ``verdict``, the ``certified`` flags …) are kept from both runs as
  ``<name>_main`` / ``<name>_variant``; provenance attributes of both inputs.
* :func:`compare_runs` — all of it for one variant, written to ``results/compare/<run>/``.

Every refusal is a :class:`CompareError` with a one-line message.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import os
from typing import Any

import numpy as np

from ..io import write_netcdf, write_text
from . import cf
from .provenance import data_checksums, open_verified, record_beside, record_digest
from .record import FigureSpec, jsonable


class CompareError(ValueError):
    """A comparison that cannot be made (the message is one line)."""


class _Absent:
    """A key present in one record only."""

    def __repr__(self):
        return "(absent)"


#: the value of a key a record does not have
ABSENT = _Absent()
#: record keys that name a run rather than describe its content
IDENTITY_KEYS = ("run", "code_version")
#: record keys that describe a figure in words (no effect on the numbers, not listed)
DESCRIPTIVE_KEYS = ("title", "caption", "source", "group", "plot")
#: the verdict columns of a claims table, one per decision method, in this order
METHOD_COLUMNS = ("verdict", "verdict_gaussian", "verdict_dynamics_only")
#: suffix of a measured key holding the error bar (one standard error) of another key
ERR_SUFFIX = "_err"


# ------------------------------------------------------------------------------ records
def _record(r) -> dict:
    """A params record as a plain dict (from a :class:`FigureSpec`, a dict or a path)."""
    if isinstance(r, FigureSpec):
        return r.to_record()
    if isinstance(r, dict):
        return jsonable(r)
    return FigureSpec.load(r).to_record()


def _flatten(d, prefix: str = "") -> dict:
    """key path → leaf value; dicts are descended into, lists are leaves (an axis' values)."""
    out = {}
    if isinstance(d, dict) and d:
        for k in sorted(d):
            out.update(_flatten(d[k], f"{prefix}.{k}" if prefix else str(k)))
    else:
        out[prefix] = d
    return out


def _same(a, b) -> bool:
    return json.dumps(jsonable(a), sort_keys=True) == json.dumps(jsonable(b), sort_keys=True)


def record_diff(main_record, variant_record) -> list[tuple[str, Any, Any]]:
    """``(key path, main value, variant value)`` for every leaf of the two records that differs
    (parameters, solver, certification, initial state, panel axes/series/variables, TWA
    settings, preset, model …), sorted by key path; a key one record lacks has the value
    :data:`ABSENT`.  Leaves only the run name and code version (:data:`IDENTITY_KEYS`) and the
    descriptive texts (:data:`DESCRIPTIVE_KEYS`) out.  Empty: the figure is shared."""
    m, v = _record(main_record), _record(variant_record)
    for k in IDENTITY_KEYS + DESCRIPTIVE_KEYS:
        m.pop(k, None)
        v.pop(k, None)
    fm, fv = _flatten(m), _flatten(v)
    out = []
    for key in sorted(set(fm) | set(fv)):
        a, b = fm.get(key, ABSENT), fv.get(key, ABSENT)
        if a is ABSENT or b is ABSENT or not _same(a, b):
            out.append((key, a, b))
    return out


def identity_diff(main_record, variant_record) -> list[tuple[str, Any, Any]]:
    """``(key, main, variant)`` of the keys that name the runs (run, code version)."""
    m, v = _record(main_record), _record(variant_record)
    return [(k, m.get(k, ABSENT), v.get(k, ABSENT)) for k in IDENTITY_KEYS]


def _cell(v, n: int | None = None) -> str:
    if v is ABSENT:
        return "(absent)"
    s = v if isinstance(v, str) else json.dumps(jsonable(v), sort_keys=True, ensure_ascii=False)
    if n is not None and len(s) > n:
        if isinstance(v, list):
            s = s[: n - 20].rsplit(",", 1)[0] + f", … ({len(v)} values)]"
        else:
            s = s[: n - 1] + "…"
    return s


def write_params_diff(diffs: dict, identity: list, csv_path: str, md_path: str,
                      main_run: str, variant_run: str) -> None:
    """CSV (``figure, key, main, variant``; values as JSON) and Markdown of the per-figure
    record diffs (``diffs``: figure → :func:`record_diff` list; figures with the same changes
    in one table); shared figures listed."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["figure", "key", main_run, variant_run])
    for fig, rows in diffs.items():
        for key, a, b in rows:
            w.writerow([fig, key, _cell(a), _cell(b)])
    write_text(csv_path, buf.getvalue())
    shared = [f for f, rows in diffs.items() if not rows]
    changed = [f for f, rows in diffs.items() if rows]
    lines = [f"# What changed — run `{variant_run}` against `{main_run}`", ""]
    lines += [f"- {k}: `{_cell(a)}` → `{_cell(b)}`" if not _same(a, b) else f"- {k}: `{_cell(a)}` (both)"
              for k, a, b in identity]
    lines += ["", f"Figures the variant changes: {', '.join(changed) or 'none'}.  ",
              f"Figures it shares with `{main_run}` (same content, same numbers): {', '.join(shared) or 'none'}.", ""]
    # figures with the same changes share one table (a run-wide overlay changes every figure
    # alike); a record digest is per figure by nature: named, its values in the CSV
    groups: dict[tuple, list] = {}
    for fig in changed:
        rows = tuple((k, *(_md(_cell(v, 60)) if v is ABSENT or not k.endswith("record_digest")
                           else "(per figure: params_diff.csv)" for v in (a, b)))
                     for k, a, b in diffs[fig])
        groups.setdefault(rows, []).append(fig)
    for rows, figs in groups.items():
        lines += [f"## {', '.join(figs)}", "", f"| key | {main_run} | {variant_run} |", "|---|---|---|"]
        lines += [f"| `{k}` | {a} | {b} |" for k, a, b in rows]
        lines.append("")
    write_text(md_path, "\n".join(lines) + "\n")


def _md(s: str) -> str:
    return s.replace("|", "\\|")


# ------------------------------------------------------------------------------ claims
def _read_claims(path: str) -> tuple[dict, list]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = {r["id"]: r for r in reader}
        return rows, list(reader.fieldnames or [])


def _numbers(measured: str) -> dict:
    """key path → value of a claims table's ``measured`` JSON (nested dicts and lists flattened;
    lists by index)."""
    try:
        m = json.loads(measured or "{}")
    except json.JSONDecodeError:
        return {"measured": measured}

    def walk(v, p):
        if isinstance(v, dict):
            for k in v:
                yield from walk(v[k], f"{p}.{k}" if p else str(k))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                yield from walk(x, f"{p}[{i}]")
        else:
            yield p, v
    return dict(walk(m, ""))


#: the top-level keys of a measured JSON that holds one reading per decision method (a run with
#: the truncated-Wigner ensemble, :func:`qorepro.claims.decide.evaluate`)
METHOD_READINGS = ("gaussian", "best_method")


def _by_method(numbers: dict) -> dict:
    """A claim's numbers keyed by the method that measured them.

    A run with the ensemble writes ``{"gaussian": …, "best_method": …}``; a run without one (e.g.
    a ``continue_from`` variant) writes the Gaussian reading alone, flat — it gets the prefix
    ``gaussian.`` so that the two runs' Gaussian numbers meet on one line (flat keys met
    nothing: every number of such a claim was "(absent)" on one side)."""
    if _per_method(numbers):
        return numbers
    return {f"gaussian.{k}": v for k, v in numbers.items()}


def _per_method(numbers: dict) -> bool:
    """Whether flattened numbers hold one reading per method (top-level keys are method names)."""
    return bool(numbers) and all(k.split(".", 1)[0] in METHOD_READINGS for k in numbers)


def _used_ensemble(rows: dict) -> bool:
    """Whether a run's claims were decided with the ensemble (some claim has a best-method reading)."""
    return any(_per_method(n) and any(k.startswith("best_method.") for k in n)
               for n in (_numbers(r.get("measured", "")) for r in rows.values()))


def _why(verdicts: dict, ensemble: tuple[bool, bool], runs: tuple[str, str]) -> str:
    """Why a flipped claim flipped: the Gaussian reading moved, or only the headline verdict did —
    with the ensemble in one run only, that is the method, not the physics."""
    moved = {m for m, (a, b) in verdicts.items() if a and b and a != b}
    if not moved:
        return ""
    if moved & {"verdict_gaussian", "verdict_dynamics_only"}:
        return "the Gaussian reading moved" if "verdict_gaussian" in moved else "the dynamics-only reading moved"
    if ensemble[0] != ensemble[1]:
        return f"method: the ensemble ran in {runs[0] if ensemble[0] else runs[1]} only"
    return "the best-method reading moved"


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def claims_diff(main_claims_csv: str, variant_claims_csv: str, runs=("main", "variant")) -> dict:
    """The claims of both runs side by side.

    Returns ``{"methods": [...], "claims": [row, ...], "only_main": [...], "only_variant": [...]}``;
    one row per claim evaluated in both, flipped claims first (then in table order)::

        {"id", "source", "flipped": bool,
         "verdicts": {method: (main, variant)}, "why": str,
         "numbers": [{"quantity", "main", "variant", "delta", "error_bar", "exceeds"}, ...]}

    ``ensemble`` (in the result): whether each run decided claims with the truncated-Wigner
    ensemble; ``why`` says for a flipped claim whether a Gaussian reading moved or only the
    headline verdict — with the ensemble in one run only, the method (``runs``: the two runs'
    names it uses).  The numbers are keyed
    by method (``gaussian.…``, ``best_method.…``) where either run has per-method readings
    (:func:`_by_method`).

    ``flipped``: a verdict differs in any method column present in both tables (an empty
    column, a method a run did not use, is not a flip).  ``delta`` = variant − main for numbers
    (NaN where either has no value), None otherwise; ``error_bar`` = ``hypot`` of the two runs'
    ``<quantity>_err`` where both carry one (else None) and ``exceeds`` = ``|delta| > error_bar``
    (None without an error bar).  Error-bar keys are not listed as quantities of their own."""
    main, fm = _read_claims(main_claims_csv)
    var, fv = _read_claims(variant_claims_csv)
    # a method column counts where both tables have it and some claim of either run used it
    methods = [c for c in METHOD_COLUMNS if c in fm and c in fv
               and any(r.get(c) for rows in (main, var) for r in rows.values())]
    ensemble = (_used_ensemble(main), _used_ensemble(var))
    rows = []
    for cid, a in main.items():
        if cid not in var:
            continue
        b = var[cid]
        verdicts = {c: (a.get(c, ""), b.get(c, "")) for c in methods}
        flipped = any(x and y and x != y for x, y in verdicts.values())
        na, nb = _numbers(a.get("measured", "")), _numbers(b.get("measured", ""))
        if _per_method(na) or _per_method(nb):
            na, nb = _by_method(na), _by_method(nb)
        numbers = []
        for q in list(na) + [k for k in nb if k not in na]:
            if q.endswith(ERR_SUFFIX) and q[: -len(ERR_SUFFIX)] in (set(na) | set(nb)):
                continue
            x, y = na.get(q, ABSENT), nb.get(q, ABSENT)
            delta = err = exceeds = None
            if _is_number(x) and _is_number(y):
                delta = float(y) - float(x)
                ex, ey = na.get(q + ERR_SUFFIX), nb.get(q + ERR_SUFFIX)
                if _is_number(ex) and _is_number(ey):
                    err = math.hypot(float(ex), float(ey))
                    exceeds = bool(abs(delta) > err) if math.isfinite(delta) else None
            numbers.append({"quantity": q, "main": x, "variant": y, "delta": delta, "error_bar": err,
                            "exceeds": exceeds})
        rows.append({"id": cid, "source": a.get("source", ""), "flipped": flipped, "verdicts": verdicts,
                     "why": _why(verdicts, ensemble, runs) if flipped else "", "numbers": numbers})
    rows.sort(key=lambda r: not r["flipped"])         # stable: table order within each group
    return {"methods": methods, "claims": rows, "ensemble": ensemble,
            "only_main": [c for c in main if c not in var], "only_variant": [c for c in var if c not in main]}


def _num(v, digits: int | None = None) -> str:
    """A number for the tables: in full (CSV), or to ``digits`` significant digits (Markdown)."""
    if v is None:
        return ""
    if v is ABSENT:
        return "(absent)"
    if _is_number(v):
        if isinstance(v, float):
            return f"{v:.{digits}g}" if digits else repr(v)
        return str(v)
    return _cell(v)


def write_claims_diff(diff: dict, csv_path: str, md_path: str, main_run: str, variant_run: str) -> None:
    """CSV (one line per claim and measured quantity; a claim without numbers has one line with
    an empty quantity) and Markdown (verdict table, flipped first; then the numbers)."""
    methods = diff["methods"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    ensemble = diff["ensemble"]
    w.writerow(["id", "source", "flipped", "why"]
               + [f"{m}: {r}" for m in methods for r in (main_run, variant_run)]
               + ["quantity", main_run, variant_run, "delta", "error_bar", "exceeds_error_bar"])
    for r in diff["claims"]:
        head = [r["id"], r["source"], "yes" if r["flipped"] else "", r["why"]]
        head += [v for m in methods for v in r["verdicts"][m]]
        for n in r["numbers"] or [None]:
            if n is None:
                w.writerow(head + [""] * 6)
            else:
                w.writerow(head + [n["quantity"], _num(n["main"]), _num(n["variant"]), _num(n["delta"]),
                                   _num(n["error_bar"]), "" if n["exceeds"] is None else
                                   ("yes" if n["exceeds"] else "no")])
    write_text(csv_path, buf.getvalue())
    flipped = [r for r in diff["claims"] if r["flipped"]]
    lines = [f"# How the claims moved — run `{variant_run}` against `{main_run}`", "",
             f"{len(diff['claims'])} claims evaluated in both runs; {len(flipped)} flipped"
             + (f": {', '.join(r['id'] for r in flipped)}" if flipped else "") + "."]
    for run, ids in ((main_run, diff["only_main"]), (variant_run, diff["only_variant"])):
        if ids:
            lines.append(f"Evaluated only in `{run}` (datasets outside the other run's scope): {', '.join(ids)}.")
    if ensemble[0] != ensemble[1]:
        without = variant_run if ensemble[0] else main_run
        lines.append(f"`{without}` ran no truncated-Wigner ensemble: its `verdict` is its Gaussian verdict and its "
                     "numbers are the Gaussian ones (`gaussian.…`). A claim whose `verdict` flipped while its "
                     "Gaussian and dynamics-only verdicts did not flipped with the method, not with the physics "
                     "(column `why`).")
    lines += ["", "| id | source | flipped | why | " + " | ".join(f"{m} ({main_run} → {variant_run})" for m in methods)
              + " |", "|---|---|---|---|" + "---|" * len(methods)]
    for r in diff["claims"]:
        cells = []
        for m in methods:
            a, b = r["verdicts"][m]
            cells.append(f"{a or '—'} → **{b or '—'}**" if a != b else (a or "—"))
        lines.append(f"| {r['id']} | {_md(r['source'])} | {'**yes**' if r['flipped'] else ''} | {_md(r['why'])} | "
                     + " | ".join(cells) + " |")
    lines += ["", "## Measured numbers", "",
              "Δ = variant − main; where both runs give an error bar (one standard error), "
              "`exceeds` says whether |Δ| is larger than the two combined in quadrature.", "",
              f"| id | quantity | {main_run} | {variant_run} | Δ | error bar | exceeds |",
              "|---|---|---|---|---|---|---|"]
    for r in diff["claims"]:
        for n in r["numbers"]:
            lines.append(f"| {r['id']} | {_md(n['quantity'])} | {_md(_num(n['main']))} | "
                         f"{_md(_num(n['variant']))} | {_num(n['delta'], 4)} | {_num(n['error_bar'], 3)} | "
                         f"{'' if n['exceeds'] is None else ('**yes**' if n['exceeds'] else 'no')} |")
    write_text(md_path, "\n".join(lines) + "\n")


# ------------------------------------------------------------------------------ panels
def _numeric(da) -> bool:
    return da.dtype.kind in "iuf"


def difference(main_ds, variant_ds, join: str = "exact"):
    """``variant − main`` of every numeric data variable both panel datasets hold, on their
    named dimensions; every other data variable (verdict, certified, dynamically_stable …) of
    either dataset kept as ``<name>_main`` / ``<name>_variant``.

    ``join="exact"`` refuses grids that differ (one line naming the first coordinate);
    ``join="inner"`` compares on the points both grids have (refused where they share none).
    The result's ``grid`` attribute says which: ``identical`` or ``intersection …``."""
    import xarray as xr
    for name in sorted(set(main_ds.coords) & set(variant_ds.coords)):
        a, b = main_ds[name].values, variant_ds[name].values
        if a.shape != b.shape or not np.array_equal(a, b):
            if join == "exact":
                raise CompareError(f"the grids differ in {name!r} ({a.size} vs {b.size} values"
                                   f"{'' if a.shape != b.shape else ', not the same values'}); "
                                   "compare on their intersection (join='inner') or on the same grid")
    try:
        m, v = xr.align(main_ds, variant_ds, join="inner" if join == "inner" else "exact")
    except ValueError as e:
        raise CompareError(f"the panels cannot be aligned ({' '.join(str(e).split())[:160]})") from None
    empty = [d for d in m.dims if m.sizes[d] == 0 and main_ds.sizes.get(d, 0) > 0]
    if empty:
        raise CompareError(f"the grids share no point along {empty[0]!r}: nothing to compare")
    # a dimension only one run has (the ensemble's census over `attractor` where the other ran
    # none) is not a grid to intersect: its variables are kept with their run's suffix below
    changed = [d for d in m.dims if d in v.dims and (m.sizes[d] != main_ds.sizes[d] or v.sizes[d] != variant_ds.sizes[d])]
    out = xr.Dataset(coords={k: m.coords[k] for k in m.coords})
    for name in m.data_vars:
        if name in v.data_vars and _numeric(m[name]) and _numeric(v[name]) and m[name].dims == v[name].dims:
            d = v[name] - m[name]
            attrs = dict(m[name].attrs)
            attrs["long_name"] = f"variant minus main run: {attrs.get('long_name', name)}"
            out[name] = (d.dims, d.values, attrs)
    for src, suffix in ((m, "main"), (v, "variant")):
        for name in src.data_vars:
            if name in out:
                continue
            attrs = dict(src[name].attrs)
            long = cf.VERDICT_LONG_NAME if name == "verdict" else attrs.get("long_name", name)
            attrs["long_name"] = f"{long} ({suffix} run)"
            out[f"{name}_{suffix}"] = (src[name].dims, src[name].values, attrs)
    out.attrs["grid"] = ("identical" if not changed else "intersection of the two grids along "
                         + ", ".join(f"{d} ({m.sizes[d]} of {main_ds.sizes[d]} main / {variant_ds.sizes[d]} "
                                     "variant points)" for d in changed))
    return out


def panel_diff(main_nc: str, variant_nc: str, main_record=None, variant_record=None, join: str = "exact"):
    """The :func:`difference` of two panel files, each read with
    :func:`~qorepro.workflow.provenance.open_verified` (against the given records, default the
    record beside each file), with the provenance of both inputs as attributes
    (``main_*`` / ``variant_*``: run, file, record digest) and CF-1.10 metadata."""
    panel = os.path.splitext(os.path.basename(main_nc))[0]
    specs = [r if isinstance(r, FigureSpec) else FigureSpec.load(r or record_beside(nc))
             for r, nc in ((main_record, main_nc), (variant_record, variant_nc))]
    m = open_verified(main_nc, specs[0], panel)
    v = open_verified(variant_nc, specs[1], panel)
    out = difference(m, v, join)
    cf.conform(out)
    out.attrs = {
        "Conventions": "CF-1.10",
        "title": f"{specs[0].figure} panel {panel}: run {specs[1].run} minus run {specs[0].run}",
        "institution": "qorepro reproducibility pipeline",
        "source": "qorepro.workflow.compare.panel_diff (variant − main of the stored panel data; "
                  "nothing recomputed)",
        "history": f"{_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}: compared",
        "references": m.attrs.get("references", ""),
        "figure": specs[0].figure,
        "panel": panel,
        "grid": out.attrs["grid"],
        **{f"{who}_{k}": val for who, spec in (("main", specs[0]), ("variant", specs[1]))
           for k, val in (("run", spec.run), ("record_digest", record_digest(spec)),
                          ("code_version", spec.code_version))},
        "main_file": os.path.abspath(main_nc),
        "variant_file": os.path.abspath(variant_nc),
    }
    out.attrs["data_checksums"] = json.dumps(data_checksums(out), sort_keys=True)
    return out


def write_panel_diff(ds, path: str) -> str:
    """Write a :func:`panel_diff` dataset atomically (CF encoding of :mod:`.cf`)."""
    return write_netcdf(ds, path, cf.encoding(ds))


# ------------------------------------------------------------------------------ runs
def _run_name(run_dir: str, figures) -> str:
    for fig in figures:
        p = os.path.join(run_dir, "params", f"{fig}.json")
        if os.path.exists(p):
            return FigureSpec.load(p).run
    return os.path.basename(os.path.normpath(run_dir))


def compare_runs(main_dir: str, variant_dir: str, figures, out_dir: str, join: str = "inner",
                 data_dirs: dict | None = None) -> dict:
    """Compare the variant run in ``variant_dir`` (``results/<run>``) with the main run in
    ``main_dir`` for ``figures`` and write to ``out_dir`` (``results/compare/<run>``):
    ``params_diff.{csv,md}``, ``claims_diff.{csv,md}`` (where both runs have a ``claims.csv``),
    ``data/<figure>/<panel>.nc`` and ``summary.json``.

    ``data_dirs`` (run → figure → folder) names where a run's panels of a figure are when they
    are not in its own ``data/<figure>`` (a run that reuses another run's panels; the workflow's
    ``data_run``).  A figure the variant does not compute itself (its record has the main run's
    content and its panel files are nowhere else) is compared with the main run's files — its
    differences are zero by construction and it is listed as shared.  A panel whose grids cannot
    be compared, or that one run has not computed, is listed under ``refused`` with its one-line
    reason.  A figure without a record in either run, and a panel without its file, is listed
    under ``missing``.  Comparing a run with itself raises
    :class:`CompareError`.  Returns the summary."""
    figures = list(figures)
    main_run, variant_run = _run_name(main_dir, figures), _run_name(variant_dir, figures)
    same_dir = os.path.exists(main_dir) and os.path.exists(variant_dir) and os.path.samefile(main_dir, variant_dir)
    if same_dir or main_run == variant_run:
        raise CompareError(f"run {variant_run!r} cannot be compared with itself; name another run "
                           "(compare_against=<run>)")
    diffs, identity, summary = {}, None, {"main": main_run, "variant": variant_run, "figures": {},
                                          "refused": {}, "missing": [], "panels": []}
    for fig in figures:
        rm, rv = (os.path.join(d, "params", f"{fig}.json") for d in (main_dir, variant_dir))
        if not (os.path.exists(rm) and os.path.exists(rv)):
            summary["missing"].append(fig)
            continue
        sm, sv = FigureSpec.load(rm), FigureSpec.load(rv)
        diffs[fig] = record_diff(sm, sv)
        identity = identity or identity_diff(sm, sv)
        summary["figures"][fig] = "changed" if diffs[fig] else "shared"
        for pname in sm.panels:
            if pname not in sv.panels:
                summary["refused"][f"{fig}/{pname}"] = "the variant has no such panel"
                continue
            where = {run: (data_dirs or {}).get(run, {}).get(fig, os.path.join(d, "data", fig))
                     for run, d in ((main_run, main_dir), (variant_run, variant_dir))}
            pm = os.path.join(where[main_run], f"{pname}.nc")
            pv = os.path.join(where[variant_run], f"{pname}.nc")
            if not os.path.exists(pv) and record_digest(sm) == record_digest(sv):
                pv = pm                    # data shared with the main run
            absent = [f for f in (pm, pv) if not os.path.exists(f)]
            if absent:
                summary["missing"].append(f"{fig}/{pname}")
                summary["refused"][f"{fig}/{pname}"] = f"no panel file {absent[0]} (not computed in that run)"
                continue
            try:
                ds = panel_diff(pm, pv, sm, sv, join)
            except CompareError as e:
                summary["refused"][f"{fig}/{pname}"] = str(e)
                continue
            out = write_panel_diff(ds, os.path.join(out_dir, "data", fig, f"{pname}.nc"))
            summary["panels"].append(os.path.relpath(out, out_dir))
    write_params_diff(diffs, identity or [], os.path.join(out_dir, "params_diff.csv"),
                      os.path.join(out_dir, "params_diff.md"), main_run, variant_run)
    cm, cv = (os.path.join(d, "claims.csv") for d in (main_dir, variant_dir))
    if os.path.exists(cm) and os.path.exists(cv):
        cd = claims_diff(cm, cv, (main_run, variant_run))
        write_claims_diff(cd, os.path.join(out_dir, "claims_diff.csv"), os.path.join(out_dir, "claims_diff.md"),
                          main_run, variant_run)
        summary["flipped"] = [r["id"] for r in cd["claims"] if r["flipped"]]
    write_text(os.path.join(out_dir, "summary.json"), json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return summary
