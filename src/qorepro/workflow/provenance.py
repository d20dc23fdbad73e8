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


def data_checksums(ds) -> dict:
    """name → digest of every data variable and coordinate of ``ds`` (values, dtype, shape)."""
    return {k: _array_digest(ds[k].values) for k in sorted(list(ds.data_vars) + list(ds.coords))}


def stamp(ds, spec: FigureSpec, pname: str, references: str, source: str, engine_info: dict | None = None):
    """Attach the provenance attributes to a panel dataset (in place; returns it), after making
    its variables CF-1.10 conformant (:func:`qorepro.workflow.cf.conform`), so that the data
    checksums cover what is written."""
    cf.conform(ds)
    p = spec.panels[pname] if pname in spec.panels else None
    ds.attrs.update({
        "Conventions": "CF-1.10",
        "title": f"{spec.figure} panel {pname}: {(p.title if p else '') or spec.title}",
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
    ds.attrs["data_checksums"] = json.dumps(data_checksums(ds), sort_keys=True)
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
    if spec is None:
        return
    if panel is not None and attrs.get("panel") != panel:
        raise ProvenanceError(f"{path}: holds panel {attrs.get('panel')!r} of {attrs.get('figure')!r}, "
                              f"expected panel {panel!r} of {spec.figure!r}")
    if attrs["record_digest"] != record_digest(spec):
        raise ProvenanceError(f"{path}: computed from a different record than {spec.figure} of run "
                              f"{spec.run!r}: first difference in {_first_difference(attrs, spec, panel)}")


def _first_difference(attrs, spec: FigureSpec, panel) -> str:
    """Name the first recorded field of the file that differs from the record."""
    checks = [("figure", attrs.get("figure"), spec.figure),
              ("model", attrs.get("model"), spec.model),
              ("preset", attrs.get("preset"), spec.preset),
              ("code_version", attrs.get("code_version"), spec.code_version)]
    try:
        fp = json.loads(attrs.get("parameters", "{}"))
        for k in sorted(set(fp) | set(spec.parameters)):
            checks.append((f"parameters.{k}", fp.get(k), spec.parameters.get(k)))
        fs = json.loads(attrs.get("solver_settings", "{}"))
        for k in sorted(set(fs) | set(spec.solver)):
            checks.append((f"solver.{k}", fs.get(k), jsonable(spec.solver.get(k))))
        if panel is not None and panel in spec.panels:
            checks.append((f"panels.{panel}", json.loads(attrs.get("panel_spec", "{}")),
                           jsonable(spec.panels[panel].to_record())))
    except json.JSONDecodeError as e:
        return f"unreadable provenance attribute ({e})"
    for name, a, b in checks:
        if a != b:
            return f"{name} (file: {_short(a)}, record: {_short(b)})"
    return "a field not listed in the file's attributes (initial state, certification or continuation)"


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


def verify_run(run_dir: str) -> dict:
    """Re-check a run offline: every file of its MANIFEST still has its sha256, and every panel
    file in it verifies against its params record.  Returns counts; raises ProvenanceError
    naming the first file that fails."""
    results = os.path.dirname(os.path.abspath(run_dir))
    mpath = os.path.join(run_dir, MANIFEST)
    if not os.path.exists(mpath):
        raise ProvenanceError(f"{mpath}: no manifest; build it with `snakemake {os.path.relpath(mpath)}`")
    n_files = n_panels = 0
    with open(mpath) as fh:
        entries = [line.rstrip("\n").split("  ", 1) for line in fh if line.strip()]
    for digest_, rel in entries:
        path = os.path.join(results, rel)
        if not os.path.exists(path):
            raise ProvenanceError(f"{path}: listed in {mpath} but missing")
        if sha256_file(path) != digest_:
            raise ProvenanceError(f"{path}: sha256 differs from {mpath} (changed since the run was verified)")
        n_files += 1
        if path.endswith(".nc"):
            open_verified(path)
            n_panels += 1
    return {"run": os.path.basename(os.path.abspath(run_dir)), "files": n_files, "panels": n_panels}
