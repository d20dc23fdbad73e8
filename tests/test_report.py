"""The report a referee opens: rendered in headless Chromium, the claim verdicts are visible
text on its front page; the report holds the claims table, Table I, the provenance table and
one card per figure, inline (HTML), with the figures in the papers' order."""
import csv
import html.parser
import json
import re
import shutil
import subprocess

import pytest
from shared_run import FIGURES

from qorepro.workflow import report


def chromium() -> str:
    """The Chromium binary, installed from Debian where missing (the test set-up runs as root)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=False, capture_output=True)
        exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Chromium is not installed and `apt-get install chromium` failed")
    return exe


class VisibleText(html.parser.HTMLParser):
    """Text of the rendered DOM outside <script>, <style>, <template> and <head>, and the text
    of every table row."""

    HIDDEN = {"script", "style", "template", "head", "noscript"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts = []
        self.rows = []
        self.row = None

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1
        elif tag == "tr":
            self.row = []

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1
        elif tag == "tr" and self.row is not None:
            self.rows.append(" ".join(self.row))
            self.row = None

    def handle_data(self, data):
        if not self.depth and data.strip():
            self.parts.append(data.strip())
            if self.row is not None:
                self.row.append(data.strip())


def rendered(path) -> VisibleText:
    dom = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
                          "--dump-dom", f"file://{path}"], capture_output=True, text=True, timeout=120).stdout
    p = VisibleText()
    p.feed(dom)
    return p


@pytest.fixture(scope="module")
def claims(tiny_project):
    with open(tiny_project / "results" / "test-tiny" / "claims.csv", newline="") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def test_front_page_shows_claim_verdicts_as_visible_text(tiny_project, claims):
    page = rendered(tiny_project / "report.html")
    text = " ".join(page.parts)
    assert "Claims audit of run test-tiny" in text, text[:2000]
    for cid in ("C01", "C04", "J22-07"):
        verdict = claims[cid]["verdict"]
        row = [r for r in page.rows if re.search(rf"(^|[ ,]){re.escape(cid)}(,|$)", r)]
        assert len(row) == 1 and row[0].startswith(verdict + " "), (cid, verdict, page.rows)


def report_index(path, name) -> dict:
    """One of the report's embedded indexes (``results``: path → entry; ``categories``:
    category → subcategory → paths)."""
    m = re.search(rf"var {name} = (\{{.*?\}});\n", path.read_text(), re.S)
    assert m, f"the report embeds its {name}"
    return json.loads(m.group(1))


def test_report_holds_every_page_inline_in_paper_order(tiny_project):
    results = report_index(tiny_project / "report.html", "results")
    run = "results/test-tiny/report"
    for page in ("claims.html", "table1.html", "provenance.html", *(f"figures/{f}.html" for f in FIGURES)):
        assert results[f"{run}/{page}"]["mime_type"] == "text/html", page
    assert not any(p.endswith(".json") for p in results), "no download-only JSON entries"
    figures = report_index(tiny_project / "report.html", "categories")["1. Figures"]
    # the report lists subcategories sorted by name: the position prefix gives the papers' order
    order = [s.split(" ", 1)[1] for s in sorted(figures)]
    assert order == FIGURES, order          # lexical order would put figS10 and figS11 before figS2
    assert sorted(figures["02 fig2"]) == ["results/test-tiny/figures/fig2.png", f"{run}/figures/fig2.html"]


def test_figure_card_has_description_claims_and_the_right_kind(tiny_project, claims):
    run = tiny_project / "results" / "test-tiny" / "report" / "figures"
    fig2 = (run / "fig2.html").read_text()
    assert "What the paper's figure shows" in fig2 and "magnon-Kerr switch" in fig2
    assert "t/τ ∈ [2, 3]" in fig2, "the window of this run (tiny), not the paper's"
    assert "C04" in fig2 and f"v-{claims['C04']['verdict']}" in fig2
    assert "data:image/png;base64," in fig2
    steady = (run / "jiao2022_fig4.html").read_text()
    assert "linearised steady state" in steady and "t/τ ∈" not in steady


def test_figure_claims_split_own_and_wide():
    rows = [{"id": "A", "datasets": "fig1/c", "verdict": "reproduced"},
            {"id": "B", "datasets": " ".join(f"fig{i}/a" for i in range(1, 8)), "verdict": "inconclusive"},
            {"id": "C", "datasets": "fig2/a", "verdict": "reproduced"}]
    own, wide = report.figure_claims(rows, "fig1")
    assert [r["id"] for r in own] == ["A"] and [r["id"] for r in wide] == ["B"]
