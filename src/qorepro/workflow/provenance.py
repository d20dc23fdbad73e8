"""Provenance of every data file: what it was computed from, and checks that it still is.

A panel file carries, as global attributes, the CF metadata, the run and figure it belongs
to, its parameters, panel specification, solver and engine settings, and

* ``record_digest`` — sha256 of the *content* of the figure's params record
  (:meth:`FigureSpec.content`: everything that determines the numbers, not the run name);
* ``data_checksums`` — sha256 of every data variable and coordinate (name → digest).

:func:`verify_dataset` recomputes both and compares them with the record a consumer holds;
a mismatch raises :class:`ProvenanceError` naming the file and the first field that differs.
Every consumer opens panel files through :func:`open_verified` (the params record is given,
or found beside the data: ``<run>/data/<figure>/<panel>.nc`` → ``<run>/params/<figure>.json``).

Per run, ``results/<run>/MANIFEST`` lists the sha256 of every file the run's results were
made from (params records and panel files; ``sha256sum -c`` reads it from ``results/``);
:func:`write_manifest` verifies every panel before writing it and :func:`verify_run`
(``python -m qorepro verify results/<run>``) re-checks a run offline.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os

import numpy as np

from ..io import write_text
from . import cf
from .record import FigureSpec, jsonable


class ProvenanceError(RuntimeError):
    """A data file does not match the record it should have been computed from."""


def digest(obj) -> str:
    """sha256 of the canonical JSON of ``obj``."""
    return hashlib.sha256(json.dumps(jsonable(obj), sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def record_digest(spec: FigureSpec) -> str:
    return digest(spec.content())


def _array_digest(a) -> str:
    a = np.asarray(a)
    h = hashlib.sha256(str(a.dtype.str if a.dtype.kind not in "UO" else "str").encode())
    h.update(repr(a.shape).encode())
    if a.dtype.kind in "UO":
        h.update("\x1f".join(map(str, a.ravel())).encode())
    else:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:32]


#: global attributes outside :func:`attributes_digest`: the digests themselves
UNDIGESTED = ("data_checksums", "attributes_digest")


def attributes_digest(attrs) -> str:
    """sha256 of every global attribute of a panel file (name → value) but the digests: its
    identity (figure, panel, run), title, parameters, panel specification, settings — all that
    a consumer reads — so that an attribute edited after the file was written is detected."""
    def plain(v):
        return v if isinstance(v, str) else np.asarray(v).tolist()
    return digest({k: plain(v) for k, v in attrs.items() if k not in UNDIGESTED})


def data_checksums(ds) -> dict:
    """name → digest of every data variable and coordinate of ``ds`` (values, dtype, shape)."""
    return {k: _array_digest(ds[k].values) for k in sorted(list(ds.data_vars) + list(ds.coords))}


def panel_title(spec: FigureSpec, pname: str) -> str:
    """The ``title`` attribute of a panel file."""
    p = spec.panels.get(pname)
    return f"{spec.figure} panel {pname}: {(p.title if p else '') or spec.title}"


def _plain(v):
    """``v`` as its JSON text reads back (tuples → lists), to compare with a file's attribute."""
    return json.loads(json.dumps(jsonable(v)))


def stamp(ds, spec: FigureSpec, pname: str, references: str, source: str, engine_info: dict | None = None):
    """Attach the global attributes of a panel file (in place; returns it) — the one place they
    are written: CF metadata, run, figure, panel, the record's parameters and settings, the
    engine, and the digests — after making its variables CF-1.10 conformant
    (:func:`qorepro.workflow.cf.conform`), so that the data checksums cover what is written."""
    cf.conform(ds)
    p = spec.panels[pname] if pname in spec.panels else None
    ds.attrs.update({
        "Conventions": "CF-1.10",
        "title": panel_title(spec, pname),
        "institution": "qorepro reproducibility pipeline",
        "source": source,
        "history": f"{_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}: "
                   f"qorepro workflow, sweep of {spec.figure} in run {spec.run}",
        "references": references,
        "figure": spec.figure,
        "panel": pname,
        "run": spec.run,
        "preset": spec.preset,
        "model": spec.model,
        "code_version": spec.code_version,
        "parameters": json.dumps(spec.parameters, sort_keys=True),
        "panel_spec": json.dumps(jsonable(p.to_record()) if p else {}, sort_keys=True),
        "solver_settings": json.dumps(spec.solver, sort_keys=True),
        "record_digest": record_digest(spec),
    })
    if spec.certification is not None:
        ds.attrs.update({
            "certification_settings": json.dumps(spec.certification, sort_keys=True),
            "window_tau": json.dumps(spec.solver["window_tau"]),
            "initial_state": json.dumps(spec.initial_state, sort_keys=True),
        })
    if spec.parameter_units is not None:
        ds.attrs["parameter_units"] = json.dumps(spec.parameter_units, sort_keys=True)
    if engine_info is not None:
        ds.attrs["engine"] = json.dumps(engine_info, sort_keys=True)
    if spec.continue_from is not None:
        ds.attrs["continued_from"] = json.dumps(spec.continue_from, sort_keys=True)
    if spec.twa is not None:
        ds.attrs["twa_settings"] = json.dumps(spec.twa, sort_keys=True)
    ds.attrs["data_checksums"] = json.dumps(data_checksums(ds), sort_keys=True)
    ds.attrs["attributes_digest"] = attributes_digest(ds.attrs)
    return ds


def verify_dataset(ds, path: str, spec: FigureSpec | None = None, panel: str | None = None) -> None:
    """Check a loaded panel dataset against its own checksums and (given) the record.

    Raises :class:`ProvenanceError` with the file and the first field that differs.
    """
    attrs = ds.attrs
    if "data_checksums" not in attrs or "record_digest" not in attrs:
        raise ProvenanceError(f"{path}: no provenance digests (not written by this pipeline, or by an older "
                              "version); rerun its sweep")
    stored = json.loads(attrs["data_checksums"])
    now = data_checksums(ds)
    for k in sorted(set(stored) | set(now)):
        if stored.get(k) != now.get(k):
            what = "missing" if k not in now else ("unexpected" if k not in stored else "changed")
            raise ProvenanceError(f"{path}: data variable {k!r} {what} since it was computed "
                                  "(checksum mismatch); rerun its sweep")
    if attrs.get("attributes_digest") != attributes_digest(attrs):
        raise ProvenanceError(f"{path}: its global attributes (figure, panel, parameters, panel_spec, title, …) "
                              "changed since it was computed, or carry no attribute digest (attribute digest "
                              "mismatch); rerun its sweep")
    if spec is None:
        return
    if panel is not None and attrs.get("panel") != panel:
        raise ProvenanceError(f"{path}: holds panel {attrs.get('panel')!r} of {attrs.get('figure')!r}, "
                              f"expected panel {panel!r} of {spec.figure!r}")
    if attrs["record_digest"] != record_digest(spec):
        raise ProvenanceError(f"{path}: computed from a different record than {spec.figure} of run "
                              f"{spec.run!r}: first difference in {_first_difference(attrs, spec, panel)}")
    # the attributes a consumer reads say what the record says (a file re-stamped by hand with
    # a consistent digest but contradicting attributes is refused too)
    differs = _first_difference(attrs, spec, panel, default=None)
    if differs is not None:
        raise ProvenanceError(f"{path}: its attributes contradict the record of {spec.figure} of run "
                              f"{spec.run!r}: {differs}")


def _first_difference(attrs, spec: FigureSpec, panel, default: str | None = (
        "a field not listed in the file's attributes (initial state, certification or continuation)")) -> str | None:
    """Name the first recorded field of the file that differs from the record (``default``
    where none of the listed ones does)."""
    checks = [("figure", attrs.get("figure"), spec.figure),
              ("model", attrs.get("model"), spec.model),
              ("preset", attrs.get("preset"), spec.preset),
              ("code_version", attrs.get("code_version"), spec.code_version)]
    if panel is not None and panel in spec.panels:
        checks.append(("title", attrs.get("title"), panel_title(spec, panel)))
    try:
        fp = json.loads(attrs.get("parameters", "{}"))
        for k in sorted(set(fp) | set(spec.parameters)):
            checks.append((f"parameters.{k}", fp.get(k), _plain(spec.parameters.get(k))))
        fs = json.loads(attrs.get("solver_settings", "{}"))
        for k in sorted(set(fs) | set(spec.solver)):
            checks.append((f"solver.{k}", fs.get(k), _plain(spec.solver.get(k))))
        if panel is not None and panel in spec.panels:
            checks.append((f"panels.{panel}", json.loads(attrs.get("panel_spec", "{}")),
                           _plain(spec.panels[panel].to_record())))
    except json.JSONDecodeError as e:
        return f"unreadable provenance attribute ({e})"
    for name, a, b in checks:
        if a != b:
            return f"{name} (file: {_short(a)}, record: {_short(b)})"
    return default


def _short(v, n=80):
    s = json.dumps(v, sort_keys=True, default=str) if not isinstance(v, str) else v
    return s if len(s) <= n else s[:n] + "…"


# ------------------------------------------------------------------------- consumption
def record_beside(path: str) -> str:
    """The params record of a panel file laid out as ``<run>/data/<figure>/<panel>.nc``."""
    fig_dir = os.path.dirname(os.path.abspath(path))
    run_dir = os.path.dirname(os.path.dirname(fig_dir))
    return os.path.join(run_dir, "params", os.path.basename(fig_dir) + ".json")


def open_verified(path: str, record=None, panel: str | None = None):
    """Load a panel file into memory after checking it: readable, its data equal to its own
    checksums, computed from ``record`` (a :class:`FigureSpec`, a path to a params record, or
    None: the record beside the data) for ``panel`` (default: the file's name).

    Raises :class:`ProvenanceError` with the file and the first thing that differs."""
    import xarray as xr
    panel = panel or os.path.splitext(os.path.basename(path))[0]
    if not isinstance(record, FigureSpec):
        rpath = record or record_beside(path)
        try:
            record = FigureSpec.load(rpath)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ProvenanceError(f"{path}: its params record {rpath} cannot be read ({_oneline(e)})") from None
    try:
        ds = xr.load_dataset(path)
    except Exception as e:          # a truncated or foreign file: netCDF4/HDF5 raise many kinds
        raise ProvenanceError(f"{path}: not a readable NetCDF file ({_oneline(e)}); rerun its sweep") from None
    verify_dataset(ds, path, record, panel)
    return ds


def _oneline(e) -> str:
    return " ".join(f"{type(e).__name__}: {e}".split())[:200]


# ---------------------------------------------------------------------------- manifest
MANIFEST = "MANIFEST"


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(run_dir: str, records: list, panels: list, out: str | None = None) -> str:
    """Verify every panel file against its params record, then write ``<run_dir>/MANIFEST``:
    one ``<sha256>  <path>`` line per file, paths relative to the results folder
    (the parent of ``run_dir``), records first; written atomically (:func:`qorepro.io.write_text`)."""
    results = os.path.dirname(os.path.abspath(run_dir))
    for p in panels:
        open_verified(p)
    lines = [f"{sha256_file(p)}  {os.path.relpath(os.path.abspath(p), results)}"
             for p in list(records) + list(panels)]
    return write_text(out or os.path.join(run_dir, MANIFEST), "\n".join(lines) + "\n")


def _manifest_entries(mpath: str) -> list:
    """(sha256, path relative to results/) of every line of a MANIFEST; a malformed, truncated
    or duplicated line is a one-line :class:`ProvenanceError` naming it."""
    try:
        with open(mpath, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise ProvenanceError(f"{mpath}: cannot be read ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProvenanceError(f"{mpath}: not a text file (not UTF-8); rebuild it with "
                              f"`snakemake {os.path.relpath(mpath)}`") from None
    entries, seen = [], {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest_, sep, rel = line.partition("  ")
        if (not sep or len(digest_) != 64 or any(c not in "0123456789abcdef" for c in digest_)
                or not rel.strip() or os.path.isabs(rel) or ".." in rel.split("/")):
            raise ProvenanceError(f"{mpath}, line {n}: malformed (expected '<sha256>  <run>/<path>', got "
                                  f"{_short(line, 60)!r}); rebuild it with `snakemake {os.path.relpath(mpath)}`")
        if rel in seen:
            raise ProvenanceError(f"{mpath}, line {n}: {rel} is listed twice (first on line {seen[rel]})")
        seen[rel] = n
        entries.append((digest_, rel))
    if not entries:
        raise ProvenanceError(f"{mpath}: empty — it lists no file, so it verifies nothing (a `scope` that names "
                              f"no figure?); rebuild it with `snakemake {os.path.relpath(mpath)}`")
    return entries


def _products(run_dir: str) -> dict:
    """What the run's own products read: figure name → the product that reads it (figures,
    certification summaries, Table I) and ``figure/panel`` → the claims table reading it."""
    import csv
    out = {}
    for sub, exts in (("figures", (".pdf", ".png")), ("stability", (".json",)), ("tables", (".csv", ".md"))):
        d = os.path.join(run_dir, sub)
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else ():
            stem, ext = os.path.splitext(f)
            if ext in exts:
                out.setdefault(stem, os.path.join(d, f))
    claims = os.path.join(run_dir, "claims.csv")
    if os.path.exists(claims):
        try:
            with open(claims, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    for key in (row.get("datasets") or "").split():
                        out.setdefault(key, claims)
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            raise ProvenanceError(f"{claims}: cannot be read ({_oneline(e)})") from None
    return out


def _group(record_path: str):
    """The group of the figure whose params record is ``record_path`` (None: no readable record)."""
    try:
        return FigureSpec.load(record_path).group
    except (OSError, ValueError, KeyError, TypeError):
        return None


def verify_run(run_dir: str) -> dict:
    """Re-check a run offline (``python -m qorepro verify results/<run>``):

    * its MANIFEST is well formed and not empty, and every file in it still has its sha256;
    * it belongs to the run: it lists records of the run (``<run>/params/<figure>.json``, whose
      ``run`` is the run), and a record or panel of another run only where the run's own
      record of that figure has the same content (its data are shared with that run);
    * it is complete: every panel of every listed record, the record of every listed panel,
      and every figure and ``figure/panel`` the run's figures, certification summaries,
      tables and claims table read;
    * every panel file in it verifies against its params record (:func:`open_verified`).

    Returns counts; raises ProvenanceError naming the first file or line that fails."""
    run_dir = os.path.normpath(run_dir)
    run = os.path.basename(os.path.abspath(run_dir))
    results = os.path.dirname(os.path.abspath(run_dir))
    mpath = os.path.join(run_dir, MANIFEST)
    if not os.path.isdir(run_dir):
        raise ProvenanceError(f"{run_dir}: no such run directory")
    if not os.path.exists(mpath):
        raise ProvenanceError(f"{mpath}: no manifest; build it with `snakemake {os.path.relpath(mpath)}`")
    entries = _manifest_entries(mpath)
    for digest_, rel in entries:
        path = os.path.join(results, rel)
        if not os.path.isfile(path):
            raise ProvenanceError(f"{path}: listed in {mpath} but missing")
        if sha256_file(path) != digest_:
            raise ProvenanceError(f"{path}: sha256 differs from {mpath} (changed since the run was verified)")
    listed = {rel for _, rel in entries}
    records, panels = {}, []
    for _, rel in entries:
        parts = rel.split("/")
        if len(parts) == 3 and parts[1] == "params" and parts[2].endswith(".json"):
            try:
                records[rel] = FigureSpec.load(os.path.join(results, rel))
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise ProvenanceError(f"{os.path.join(results, rel)}: not a params record ({_oneline(e)})") from None
        elif len(parts) == 4 and parts[1] == "data" and parts[3].endswith(".nc"):
            panels.append(rel)
        else:
            raise ProvenanceError(f"{mpath}: lists {rel}, neither a params record (<run>/params/<figure>.json) "
                                  "nor a panel file (<run>/data/<figure>/<panel>.nc)")
    own = {spec.figure: spec for rel, spec in records.items() if rel.split("/")[0] == run}
    if not own:
        others = sorted({rel.split("/")[0] for rel in listed})
        raise ProvenanceError(f"{mpath}: lists no params record of run {run!r} (it describes run(s) "
                              f"{', '.join(others)}): not this run's manifest")
    for rel, spec in records.items():
        where = os.path.join(results, rel)
        if rel.split("/")[0] == run:
            if spec.run != run or spec.figure != os.path.splitext(rel.split("/")[2])[0]:
                raise ProvenanceError(f"{where}: the record of figure {spec.figure!r} of run {spec.run!r}, "
                                      f"not of {rel}")
        elif spec.figure not in own or spec.content() != own[spec.figure].content():
            raise ProvenanceError(f"{mpath}: lists {rel}, a record of run {spec.run!r} that run {run!r} "
                                  f"does not share (its own record of {spec.figure} is not listed or differs)")
    for rel in panels:
        rec = "/".join([rel.split("/")[0], "params", rel.split("/")[2] + ".json"])
        if rec not in records:
            raise ProvenanceError(f"{mpath}: lists {rel} but not its params record {rec}")
    by_figure = {}
    for rel, spec in records.items():
        by_figure.setdefault(spec.figure, set()).add(rel.split("/")[0])
    for fig, spec in own.items():
        data_runs = by_figure[fig]
        for pname in spec.panels:
            if not any(f"{r}/data/{fig}/{pname}.nc" in listed for r in data_runs):
                raise ProvenanceError(f"{mpath}: incomplete — panel {pname!r} of {fig} (record {run}/params/"
                                      f"{fig}.json) is not listed")
    for what, product in _products(run_dir).items():
        fig, _, panel = what.partition("/")
        spec = own.get(fig)
        if spec is None:
            if panel or _group(os.path.join(run_dir, "params", f"{fig}.json")) != "referee":
                raise ProvenanceError(f"{mpath}: incomplete — {product} reads {what}, whose record is not listed")
        elif panel and panel not in spec.panels:
            raise ProvenanceError(f"{product}: reads {what}, not a panel of the record {run}/params/{fig}.json")
    n_panels = 0
    for rel in panels:
        open_verified(os.path.join(results, rel))
        n_panels += 1
    return {"run": run, "files": len(entries), "panels": n_panels}
