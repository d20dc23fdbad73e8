"""Stage ``mechanism``: the mechanism claim rows (M01…) of the run's branch files.

For every claim of :data:`qorepro.claims.mechanism.MECHANISM_CLAIMS` whose panel is traced
(config ``branches.targets``), the panel's branch file ``results/<run>/branches/<figure>_<panel>.nc``
(every series along ``series``; :mod:`qorepro.workflow.branches_stage`) is opened verified
against the figure's params record, split into its series, and turned into rows by
:func:`qorepro.claims.mechanism.mechanism_rows` with the claims file's ``S_sync`` / ``S_zero``
thresholds → ``results/audits/<run>/mechanism.csv`` (one row per switch, every column) and
``mechanism.md`` (the table and, per row, its bearing on the paper's "dynamical phase
transition" and the rebuttal's "enhanced stability").
"""
from __future__ import annotations

import csv
import io

import yaml

from ..claims.mechanism import MECHANISM_CLAIMS, ROW_FIELDS, markdown, mechanism_rows, other_switch_notes
from ..io import write_text


def traced_panels(targets: dict, claims=MECHANISM_CLAIMS) -> dict:
    """Panel key (``figure/panel``) → (figure, panel) of every mechanism claim whose panel is
    among the traced ones (``targets``: name → (figure, [panels]), as
    :func:`qorepro.workflow.branches_stage.targets` gives them)."""
    traced = {(fig, p) for fig, panels in targets.values() for p in panels}
    out = {}
    for c in claims:
        fig, p = c.panel.split("/")
        if (fig, p) in traced:
            out[c.panel] = (fig, p)
    return out


def thresholds(claims_file: str) -> dict:
    """``S_sync`` and ``S_zero`` of the claims file's ``thresholds``."""
    with open(claims_file) as fh:
        th = yaml.safe_load(fh)["thresholds"]
    return {"S_sync": float(th["S_sync"]), "S_zero": float(th["S_zero"])}


def load(panels: dict) -> dict:
    """{panel key: {series label: Dataset}} from {panel key: {"branches": path, "record": params
    record path}}, every file verified against its record."""
    from .branches_stage import open_branches, select_series
    out = {}
    for key, files in panels.items():
        ds = open_branches(files["branches"], files["record"], key.split("/")[1])
        out[key] = {str(s): select_series(ds, str(s)) for s in ds["series"].values}
    return out


def write(rows: list[dict], out_csv: str, out_md: str, not_traced: list, others: list = ()) -> None:
    """The rows as CSV (every column of :data:`ROW_FIELDS`) and the Markdown page (with the
    protocol's ``others`` switches)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(ROW_FIELDS))
    w.writeheader()
    w.writerows(rows)
    write_text(out_csv, buf.getvalue())
    md = markdown(rows, others)
    if not_traced:
        md += "\nNot traced in this run (no rows): " + ", ".join(not_traced) + "\n"
    write_text(out_md, md)


def stage(job, progress) -> None:
    """Rule ``mechanism``: ``params.panels`` (panel key → branch file and params record) →
    ``output.csv``, ``output.md``."""
    panels = {k: dict(v) for k, v in dict(job.params.panels).items()}
    datasets, th = load(panels), thresholds(job.input.claims)
    rows = mechanism_rows(datasets, **th)
    not_traced = [c.panel for c in MECHANISM_CLAIMS if c.panel not in panels]
    write(rows, job.output.csv, job.output.md, not_traced, other_switch_notes(datasets, **th))
    print(f"mechanism: {len(rows)} rows from {', '.join(panels) or 'no traced panel'}: "
          + ", ".join(f"{r['id']} {r['verdict']}" for r in rows))
