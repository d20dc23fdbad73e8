"""HTML pages for Snakemake's report: what a referee reads in the browser without downloading.

Snakemake shows HTML results inline (CSV and JSON only as downloads), so every table of the
run is also written as a small self-contained HTML page:

* :func:`claims_page` — the claims audit, verdicts colour-coded, with the measured numbers, the
  thresholds and the method that decided; plus a compact summary for the report's front page;
* :func:`table1_page` — Table I;
* :func:`provenance_page` — per figure of a run: preset, window, certified points, verdict
  counts, record digest and code version;
* :func:`figure_card` — one figure: what the paper's figure shows (``workflow/report/figures.yaml``),
  how to read this run's version of it (time-domain or steady-state), its certified points, and
  the claims evaluated on it with their verdicts, with the figure itself.
"""
from __future__ import annotations

import base64
import csv
import html
import json
import os

from ..claims import VERDICTS as CLAIM_VERDICTS
from ..io import write_text
from ..settings import CERTIFIED, VERDICTS
from .certification import load_summary
from .record import FigureSpec

#: claim verdict → colour of its cell
CLAIM_COLOURS = {"reproduced": "#d4edda", "not_reproduced": "#f8d7da", "inconclusive": "#fff3cd"}
#: a claim whose datasets span more figures than this is listed once per card as "global"
GLOBAL_CLAIM_FIGURES = 4

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:14px;margin:12px;color:#222}
table{border-collapse:collapse;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:12px;word-break:break-word}
.v-reproduced{background:#d4edda}.v-not_reproduced{background:#f8d7da}.v-inconclusive{background:#fff3cd}
.cert{background:#d4edda}.uncert{background:#f8d7da}
img{max-width:100%;border:1px solid #ddd}
p.note{color:#555;font-size:13px}
"""


def _e(x) -> str:
    return html.escape(str(x))


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<style>{STYLE}</style></head><body>\n<h2>{_e(title)}</h2>\n{body}\n</body></html>\n")


def _write(path: str, text: str) -> None:
    write_text(path, text)


def read_claims(claims_csv: str) -> list[dict]:
    with open(claims_csv, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _verdict_cell(v: str) -> str:
    return f"<td class='v-{_e(v)}'><b>{_e(v)}</b></td>" if v else "<td>—</td>"


def _measured(text: str) -> str:
    """The measured numbers (a JSON object) as short key = value lines."""
    try:
        d = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return _e(text)
    if not isinstance(d, dict):
        return _e(text)
    return "<br>".join(f"{_e(k)} = <code>{_e(json.dumps(v, ensure_ascii=False))}</code>" for k, v in d.items())


def claims_table(rows: list[dict]) -> str:
    head = ("<tr><th>id</th><th>source</th><th>claim</th><th>verdict</th><th>decided by</th><th>Gaussian only</th>"
            "<th>if linearisation ignored</th><th>measured</th><th>thresholds</th><th>note</th></tr>")
    body = []
    for r in rows:
        body.append(
            f"<tr><td><b>{_e(r['id'])}</b></td><td>{_e(r['source'])}</td><td>{_e(r['claim'])}</td>"
            f"{_verdict_cell(r['verdict'])}<td>{_e(r.get('decided_by') or '—')}</td>"
            f"{_verdict_cell(r.get('verdict_gaussian', ''))}{_verdict_cell(r.get('verdict_dynamics_only', ''))}"
            f"<td>{_measured(r['measured'])}</td><td>{_measured(r['thresholds'])}</td><td>{_e(r.get('note', ''))}</td></tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _counts(rows) -> str:
    n = {v: sum(r["verdict"] == v for r in rows) for v in CLAIM_VERDICTS}
    return ", ".join(f"<span class='v-{v}'>{n[v]} {v}</span>" for v in CLAIM_VERDICTS)


def claims_page(claims_csv: str, run: str, out_html: str, out_summary: str) -> None:
    """The full claims table (category *Claims audit*) and a compact summary (front page)."""
    rows = read_claims(claims_csv)
    legend = ("<p class='note'><b>verdict</b> decides every point by the best valid method: the Gaussian value "
              "where the point is certified (a stable fixed point or limit cycle with a valid linearisation; for "
              "the steady-state companion models a stable point with a physical covariance), the truncated-Wigner "
              "(TWA) value where its certificate passes and its ensemble decided, nothing elsewhere; <b>decided "
              "by</b> names the methods and ensemble sizes M. <b>Gaussian only</b> decides on certified points "
              "alone, <b>if linearisation ignored</b> on dynamically stable points. Thresholds: "
              "<code>config/claims.yaml</code>.</p>")
    methods = _methods_line(claims_csv)
    _write(out_html, _page(f"Claims audit — run {run}",
                           f"<p>{_counts(rows)}</p>{methods}{legend}{claims_table(rows)}"))
    # compact (the front page is a narrow column beside the rule graph): one row per verdict
    lines = "".join(
        f"<tr>{_verdict_cell(v)}<td>{', '.join(_e(r['id']) for r in rows if r['verdict'] == v) or '—'}</td></tr>"
        for v in CLAIM_VERDICTS)
    _write(out_summary,
           f"<div class='claims-summary'><style>{STYLE.replace('body{', '.claims-summary{')}</style>"
           f"<p><b>Claims audit of run {_e(run)}</b>: {len(rows)} claims of the papers checked on this run's "
           "data (each claim with its source, measured numbers, thresholds and deciding method: "
           "<i>3. Claims audit</i>; per figure: the figure's card in <i>1. Figures</i>).</p>"
           f"{methods}<table><tr><th>verdict</th><th>claims</th></tr>{lines}</table></div>\n")


def _methods_line(claims_csv: str) -> str:
    """How many points each method decided and the TWA/Gaussian agreement, from the
    twa_crosscheck.json the claims stage writes beside claims.csv ("" where there is none)."""
    from .claims_report import CROSSCHECK_JSON, methods_line
    path = os.path.join(os.path.dirname(claims_csv), CROSSCHECK_JSON)
    if not os.path.exists(path):
        return ""
    with open(path) as fh:
        check = json.load(fh)
    c = check["crosscheck"]
    agree = (f" Cross-check: {c['agree']} of {c['points']} points both methods certify agree within "
             f"{c['agree_within_sigmas']:g} error bars." if c["points"] else "")
    return f"<p>{_e(methods_line(check) + agree)}</p>"


def table1_page(table_csv: str, run: str, out_html: str) -> None:
    with open(table_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    def num(v):
        try:
            return f"<td class='num'>{float(v):.6g}</td>"
        except ValueError:
            return f"<td>{_e(v)}</td>"

    body = "".join(f"<tr><td>{_e(r['kind'])}</td><td>{_e(r['symbol'])}</td><td>{_e(r['quantity'])}</td>"
                   f"{num(r['simulation'])}{num(r['experimental'])}</tr>" for r in rows)
    _write(out_html, _page(
        f"Table I — run {run}",
        "<p>This run's parameters beside the SI's experimental column; derived values computed by the "
        "engine at the baseline point.</p><table><tr><th>kind</th><th>symbol</th><th>quantity</th>"
        f"<th>simulation (this run)</th><th>experimental (SI Table I)</th></tr>{body}</table>"))


def _window(spec: FigureSpec) -> str:
    if spec.model_object.kind != "time_domain":
        return "steady state"
    lo, hi = spec.solver["window_tau"]
    return f"t/τ ∈ [{lo:g}, {hi:g}]"


def _cert_cell(stab: dict) -> str:
    n, c = stab.get("n_points", 0), stab.get("n_certified", 0)
    if not n:
        return "<td>analytic</td>"
    return f"<td class='{'cert' if c == n else 'uncert'} num'>{c} / {n}</td>"


def _panels(paths) -> dict:
    """panel → path of a figure's panel files (``<panel>.nc``)."""
    return {os.path.splitext(os.path.basename(p))[0]: p for p in paths}


def provenance_page(run: str, figures: list[str], stability: list[str], params: list[str], out_html: str,
                    panels: dict) -> None:
    """One table for a run: per figure its preset, window, certified points, verdict counts,
    record digest and code version.  ``panels``: figure → its panel files, against which each
    summary is checked (:func:`~qorepro.workflow.certification.load_summary`)."""
    rows = []
    for fig, s_path, p_path in zip(figures, stability, params):
        stab, spec = load_summary(s_path, fig, _panels(panels[fig]), p_path), FigureSpec.load(p_path)
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(stab.get("counts", {}).items())) or "—"
        rows.append(f"<tr><td><b>{_e(fig)}</b></td><td>{_e(spec.model)}</td><td>{_e(spec.preset)}</td>"
                    f"<td>{_e(_window(spec))}</td>{_cert_cell(stab)}<td>{_e(counts)}</td>"
                    f"<td><code>{_e(spec.code_version)}</code></td></tr>")
    _write(out_html, _page(
        f"Stability and provenance — run {run}",
        "<p>Per figure: the model, preset and averaging window it was computed with, how many parameter points "
        f"carry a certified verdict ({', '.join(CERTIFIED)}) and the count of every verdict "
        f"(possible: {', '.join(VERDICTS)}). The non-certified points one by one, with the numbers behind "
        f"each verdict, are in <code>results/{_e(run)}/stability/&lt;figure&gt;.json</code>; the full parameter "
        f"record in <code>results/{_e(run)}/params/&lt;figure&gt;.json</code>, and every NetCDF file carries it "
        "with its digest.</p><table><tr><th>figure</th><th>model</th><th>preset</th><th>window</th>"
        f"<th>certified</th><th>verdicts</th><th>code</th></tr>{''.join(rows)}</table>"))


def how_to_read(spec: FigureSpec) -> str:
    """What the plotted values are and how uncertified points are shown, for the figure's kind."""
    if spec.model_object.kind == "time_domain":
        lo, hi = spec.solver["window_tau"]
        return (f"Recomputed by integrating the mean fields and the covariance from t = 0 to "
                f"t = {spec.solver['t_end_tau']:g} τ (τ = 2π/ω₁); each point's value is the mean over the "
                f"window t/τ ∈ [{lo:g}, {hi:g}], with its minimum–maximum band. Each point carries a stability "
                "verdict (fixed point, Floquet-stable limit cycle, linearisation check); points whose verdict is not "
                "certified are marked as such in the figure (see its legend).")
    return ("Recomputed as the linearised steady state at each parameter point (mean fields, drift matrix, "
            "Lyapunov covariance); no time window. A point is certified when the steady state is stable "
            "(Routh–Hurwitz and eigenvalues agree) and its covariance is physical; E_N is not drawn where the "
            "steady state is unstable, and points with an unphysical covariance are marked as not certified.")


def figure_claims(rows: list[dict], figure: str) -> tuple[list[dict], list[dict]]:
    """(claims evaluated on ``figure``, claims spanning many figures that include it)."""
    own, wide = [], []
    for r in rows:
        figs = {k.split("/")[0] for k in r["datasets"].split()}
        if figure in figs:
            (wide if len(figs) > GLOBAL_CLAIM_FIGURES else own).append(r)
    return own, wide


def figure_card(figure: str, png: str, stability: str, params: str, claims_csv: str | None,
                descriptions: dict, out_html: str, panels: list) -> None:
    """The card of one figure; its certified count from the summary ``stability`` checked
    against the figure's panel files ``panels``."""
    spec, stab = FigureSpec.load(params), load_summary(stability, figure, _panels(panels), params)
    desc = descriptions.get(figure, "")
    parts = [f"<p><b>{_e(spec.title)}</b> — paper: {_e(spec.source)}. "
             f"Run <code>{_e(spec.run)}</code>, preset <code>{_e(spec.preset)}</code>.</p>"]
    if desc:
        parts.append(f"<p><b>What the paper's figure shows.</b> {_e(desc)}</p>")
    parts.append(f"<p><b>How to read this version.</b> {_e(how_to_read(spec))}</p>")
    n, c = stab.get("n_points", 0), stab.get("n_certified", 0)
    if n:
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(stab.get("counts", {}).items()))
        parts.append(f"<p><b>Certified points:</b> {c} of {n} ({_e(counts)}).</p>")
    if claims_csv:
        own, wide = figure_claims(read_claims(claims_csv), figure)
        if own:
            parts.append(f"<p><b>Claims evaluated on this figure</b></p>{claims_table(own)}")
        else:
            parts.append("<p>No claim of the audit is evaluated on this figure alone.</p>")
        if wide:
            parts.append("<p class='note'>Also evaluated over this and other figures: "
                         + "; ".join(f"{_e(r['id'])} <span class='v-{_e(r['verdict'])}'>{_e(r['verdict'])}</span>"
                                     for r in wide) + " (see <i>3. Claims audit</i>).</p>")
    with open(png, "rb") as fh:
        img = base64.b64encode(fh.read()).decode()
    parts.append(f"<p><img alt='{_e(figure)}' src='data:image/png;base64,{img}'></p>")
    _write(out_html, _page(f"{figure} — {spec.title}", "\n".join(parts)))


def figure_order(figures, described) -> list[str]:
    """Paper order: the order of ``workflow/report/figures.yaml``, then the others as given."""
    known = [f for f in described if f in figures]
    return known + [f for f in figures if f not in described]


def _markdown_block(text: str) -> str:
    """A Markdown file (headings, bullet lines, pipe tables) as HTML, enough for the diffs."""
    out, table = [], []

    def flush():
        if table:
            rows = [r for r in table if not set(r.replace("|", "").strip()) <= set("-: ")]
            cells = [[c.strip() for c in r.strip().strip("|").split(" | ")] for r in rows]
            head = "".join(f"<th>{_e(c)}</th>" for c in cells[0])
            body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in cells[1:])
            out.append(f"<table><tr>{head}</tr>{body}</table>")
            table.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")) + 2, 5)
            out.append(f"<h{level}>{_e(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            out.append(f"<p>{_e(line.strip())}</p>")
    flush()
    return "\n".join(out)


def compare_card(run: str, summary_json: str, params_md: str, claims_diff_csv: str, pngs: list[str],
                 out_html: str, out_front: str, shared=()) -> None:
    """The card of a compared run (category *Variants*): the flipped claims (verdicts of both runs
    per method and why, from ``claims_diff.csv``), what changed (``params_diff.md``), the overlay
    figures (``shared``: the figures whose panels both runs share, named instead of drawn); and
    one line for the front page (the run, the run it is compared with, flipped claims)."""
    with open(summary_json, encoding="utf-8") as fh:
        summary = json.load(fh)
    main, flipped = summary["main"], summary.get("flipped", [])
    parts = []                          # the claims first: what a referee asks of a variant
    rows = [r for r in read_claims(claims_diff_csv) if r["flipped"] == "yes"]
    methods = [c.split(": ")[0] for c in (rows[0] if rows else {}) if c.endswith(f": {run}")]
    parts.append(f"<h3>Flipped claims ({len(flipped)})</h3>")
    if flipped:
        seen, body = set(), []
        for r in rows:
            if r["id"] in seen:
                continue
            seen.add(r["id"])
            cells = "".join(f"{_verdict_cell(r[f'{m}: {main}'])}{_verdict_cell(r[f'{m}: {run}'])}" for m in methods)
            body.append(f"<tr><td><b>{_e(r['id'])}</b></td><td>{_e(r['source'])}</td>{cells}"
                        f"<td>{_e(r.get('why', ''))}</td></tr>")
        head = "".join(f"<th>{_e(m)} ({_e(main)})</th><th>{_e(m)} ({_e(run)})</th>" for m in methods)
        parts.append(f"<table><tr><th>id</th><th>source</th>{head}<th>why</th></tr>{''.join(body)}</table>")
    else:
        parts.append("<p>No claim changes its verdict.</p>")
    parts.append("<p class='note'>Every measured number side by side with its difference: "
                 f"<code>results/compare/{_e(run)}/claims_diff.md</code>; per-panel differences (NetCDF): "
                 f"<code>results/compare/{_e(run)}/data/</code>.</p>")
    with open(params_md, encoding="utf-8") as fh:
        parts.append(_markdown_block(fh.read()))
    if summary.get("refused"):
        parts.append("<p class='note'>Panels not compared: " + "; ".join(
            f"{_e(k)} ({_e(v)})" for k, v in sorted(summary["refused"].items())) + "</p>")
    parts.append(f"<h3>Overlay figures</h3><p class='note'>{_e(run)} over {_e(main)} (muted); maps: the "
                 "variant's map beside the signed difference.</p>")
    if shared:
        parts.append(f"<p class='note'>Not drawn — {_e(run)} uses {_e(main)}'s own panels for them (the same "
                     f"parameters, grid and solver), so they are identical: {_e(', '.join(shared))}.</p>")
    for png in pngs:
        with open(png, "rb") as fh:
            img = base64.b64encode(fh.read()).decode()
        name = png.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        parts.append(f"<p><b>{_e(name)}</b><br><img alt='{_e(name)}' src='data:image/png;base64,{img}'></p>")
    _write(out_html, _page(f"Variant {run} against {main}", "\n".join(parts)))
    _write(out_front, f"<p class='variant'>Variant <b>{_e(run)}</b> against {_e(main)}: {len(flipped)} flipped claim"
                      f"{'' if len(flipped) == 1 else 's'}{': ' + _e(', '.join(flipped)) if flipped else ''}.</p>\n")
