"""End to end: `cfresearch run --all` into a temporary folder, then the index and a report in headless Chromium.

Checks what a person receiving the report would meet: the page loads without console errors, shows
the headline figures, hides code, embeds its charts, makes no request to any other host, and text
injected into the data shows as text and never runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "cfresearch.cli"]
XSS_FLAG = "window.__cfr_xss = 1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing: `make test` installs Debian's chromium package")
    pytest.skip("chromium not installed (make test installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


def open_page(browser, path: Path):
    """Load a file and return (page, requests to other hosts, console errors, dialogs)."""
    page = browser.new_page()
    outside, errors, dialogs = [], [], []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(300)
    return page, outside, errors, dialogs


@pytest.fixture(scope="module")
def all_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    r = subprocess.run(CLI + ["run", "--all", "-j", "2", "--out", str(out)], cwd=ROOT, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    return out, r.stdout


def test_run_all_writes_index_and_one_report_per_study(all_runs):
    out, stdout = all_runs
    studies = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    notebooks = list((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    assert len(studies) == len(notebooks)
    for s in studies:
        (run,) = list(s.iterdir())
        assert (run / "report.html").exists() and json.loads((run / "manifest.json").read_text())["status"] == "ok"
    assert (out / "index.html").exists() and "index:" in stdout


def test_index_and_report_in_a_browser(all_runs, browser):
    out, _ = all_runs
    page, outside, errors, dialogs = open_page(browser, out / "index.html")
    assert outside == [] and errors == [] and dialogs == []
    text = page.inner_text("body")
    for study_dir in (p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")):
        (run,) = list(study_dir.iterdir())
        results = json.loads((run / "results.json").read_text())
        headline = [v for v in results.values() if v.get("headline")]
        assert headline, f"{study_dir.name} records no headline figures"
        for fig in headline:
            assert str(fig["display"]) in text, f"index lacks {fig['label']} = {fig['display']}"
        page.click(f'.card[data-study="{study_dir.name}"] a')
        page.wait_for_load_state("load")
        report_text = page.inner_text("body")
        assert page.locator("h1").count() >= 1 and page.locator(".cfr-toc a").count() >= 3
        assert page.locator(".jp-CodeCell .jp-InputArea").count() == 0, "code is hidden"
        assert page.locator('img[src^="data:image/png"]').count() >= 1, "charts are embedded"
        assert page.locator("table").count() >= 3
        assert "Provenance" in report_text
        for fig in headline:
            assert str(fig["display"]) in report_text, f"report lacks {fig['label']} = {fig['display']}"
        page.screenshot(path=str(out / f"{study_dir.name}.png"), full_page=True)
        page.go_back()
    assert outside == [] and errors == [] and dialogs == [], (outside, errors, dialogs)


def test_injected_markup_in_data_and_parameters_never_runs(tmp_path, browser):
    """A respondent comment and an input file name carrying markup show as text in report and index."""
    import pandas as pd

    src = ROOT / "data" / "sample" / "survey"
    data = pd.read_csv(src / "responses.csv", dtype=str, keep_default_na=False)
    payload = f"<script>{XSS_FLAG}</script><img src=x onerror=\"{XSS_FLAG}\">"
    data.loc[:, "comment"] = payload + " Great staff!"
    bad_name = tmp_path / f"r<img src=x onerror={XSS_FLAG.replace(' ', '')}>.csv"
    data.to_csv(bad_name, index=False)
    out = tmp_path / "reports"
    r = subprocess.run(CLI + ["run", "survey", "-q", "--out", str(out), "-p", f"data_path={bad_name}"],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    (run,) = list((out / "survey").iterdir())
    for page_path in (run / "report.html", out / "index.html"):
        page, outside, errors, dialogs = open_page(browser, page_path)
        assert page.evaluate("typeof window.__cfr_xss") == "undefined"
        assert outside == [] and dialogs == []
        assert page.locator("script").count() == 0
        assert "<img src=x onerror" in page.inner_text("body")  # shown as text
    report = (run / "report.html").read_text()
    assert "&lt;script&gt;" in report


LAYOUT = """() => {
  const doc = document.documentElement;
  const boxes = [...document.querySelectorAll('table')].map(t => {
    let box = t.parentElement;
    while (box && box !== document.body && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) {
      box = box.parentElement;
    }
    const scrolls = !!box && box !== document.body;
    return {label: t.getAttribute('aria-label') || t.innerText.slice(0, 40), width: t.scrollWidth,
            room: scrolls ? box.clientWidth : doc.clientWidth, scrolls: scrolls};
  });
  return {page: doc.scrollWidth, view: window.innerWidth, tables: boxes};
}"""


def _reports(out: Path) -> list[Path]:
    return [next(d.iterdir()) / "report.html" for d in out.iterdir() if d.is_dir() and not d.name.startswith(".")]


@pytest.mark.parametrize("width", [390, 1280])
def test_reports_read_on_a_phone_and_a_desktop(all_runs, browser, width):
    """The page never scrolls sideways; a table wider than the page scrolls inside its own box; the key
    findings come first, with the headline figures; every chart has a real alt text."""
    out, _ = all_runs
    for path in [*_reports(out), out / "index.html"]:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(path.as_uri(), wait_until="load")
        layout = page.evaluate(LAYOUT)
        assert layout["page"] <= layout["view"], f"{path.name} scrolls sideways at {width} px"
        for t in layout["tables"]:
            assert t["width"] <= t["room"] + 1 or t["scrolls"], f"table {t['label']!r} is clipped at {width} px"
        if path.name == "report.html":
            findings = page.locator(".cfr-findings")
            assert findings.count() == 1
            order = page.evaluate("""() => { const f = document.querySelector('.cfr-findings'),
                c = document.querySelector('.cfr-toc'), h = document.querySelectorAll('h2[id]')[0];
                return [f.compareDocumentPosition(c) & 4, f.compareDocumentPosition(h) & 4]; }""")
            assert order == [4, 4], "key findings come before the contents and the first section"
            results = json.loads((path.parent / "results.json").read_text())
            for fig in (v for v in results.values() if v.get("headline")):
                assert str(fig["display"]) in findings.inner_text()
            alts = page.eval_on_selector_all("img", "els => els.map(e => e.alt)")
            assert alts and all(a and "No description" not in a for a in alts), alts
        page.close()


def test_printed_reports_keep_every_column(all_runs, browser):
    """Printed to A4 (Chromium's print to PDF), every table's last column is on paper."""
    import io
    import unicodedata

    from pypdf import PdfReader

    out, _ = all_runs
    for path in _reports(out):
        page = browser.new_page()
        page.goto(path.as_uri(), wait_until="load")
        last = page.eval_on_selector_all(
            "table", "ts => ts.map(t => { const h = t.querySelectorAll('thead tr:last-child th');"
                     " return h.length ? h[h.length - 1].innerText : ''; })")
        pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
        # NFKC: the PDF's text has the fonts' ligatures (ﬁ in "proﬁt") as single characters
        text = unicodedata.normalize("NFKC", "".join("".join(p.extract_text().split()) for p in pdf.pages))
        for header in (h for h in last if h.strip()):
            assert "".join(header.split()) in text, f"{path.parent.parent.name}: column {header!r} cut in print"
        assert "Central(K)" in text or path.parent.parent.name != "survey"  # the banner's last column
        page.close()


def _focus_group_report(out: Path) -> Path:
    (run,) = list((out / "focus_groups").iterdir())
    return run / "report.html"


def test_focus_group_report_names_no_participant(all_runs, browser):
    """Participants appear under pseudonyms only: no name from the participants table in the report's text, the
    key stays beside the report (not linked from it), and every quote is attributed by pseudonym."""
    import re

    import pandas as pd

    out, _ = all_runs
    path = _focus_group_report(out)
    page, outside, errors, dialogs = open_page(browser, path)
    text = page.inner_text("body")
    people = pd.read_csv(ROOT / "data" / "sample" / "focus_groups" / "participants.csv")
    named = [n for n in people["speaker"] if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text)]
    assert named == [], f"names in the shared report: {named}"
    captions = page.eval_on_selector_all(".cfr-quote figcaption", "els => els.map(e => e.innerText)")
    assert captions and all(re.match(r"— G\d+-P\d\d ·", c) for c in captions), captions[:3]
    assert (path.parent / "pseudonyms.csv").exists() and page.locator('a[href*="pseudonyms"]').count() == 0
    assert "\u202e" not in path.read_text(encoding="utf-8")
    assert outside == [] and errors == [] and dialogs == []


def test_focus_group_quotes_read_right_to_left_and_markup_stays_text(tmp_path, browser):
    """A transcript line carrying markup shows as text in the quotes; Persian quotes are laid out right to left,
    English ones left to right. (Dictionary-only run: codings_path=None, so edited transcripts need no codings.)"""
    src = ROOT / "data" / "sample" / "focus_groups"
    folder = tmp_path / "transcripts"
    shutil.copytree(src / "transcripts", folder)
    fg1 = folder / "FG1.en.txt"
    payload = f"<img src=x onerror=\"{XSS_FLAG}\"><script>{XSS_FLAG}</script>"
    lines = fg1.read_text(encoding="utf-8").splitlines(keepends=True)
    fg1.write_text("".join(ln.replace(": ", f": {payload} ", 1) if "] Helen:" not in ln and "]" in ln else ln
                           for ln in lines), encoding="utf-8")
    out = tmp_path / "reports"
    r = subprocess.run(CLI + ["run", "focus_groups", "-q", "--out", str(out), "-p", f"transcripts_path={folder}",
                              "-p", "codings_path=None"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    page, outside, errors, dialogs = open_page(browser, _focus_group_report(out))
    assert page.evaluate("typeof window.__cfr_xss") == "undefined" and dialogs == [] and outside == []
    assert page.locator("script").count() == 0
    quotes = page.eval_on_selector_all(
        ".cfr-quote blockquote", "els => els.map(e => [e.innerText, getComputedStyle(e).direction])")
    assert any("<img src=x onerror" in q for q, _ in quotes), "the markup shows as text in a quote"
    persian = [d for q, d in quotes if any("\u0600" <= ch <= "\u06ff" for ch in q[:20])]
    latin = [d for q, d in quotes if q[:1].isascii() and q[:1].isalpha()]
    assert persian and set(persian) == {"rtl"}, persian
    assert latin and set(latin) == {"ltr"}
    assert "No agreement: fewer than two coders." in page.inner_text("body")


def test_profitability_report_leads_with_findings_and_names_no_customer(all_runs, browser):
    """A manager reads the key findings first, in words and units (the sample's known figures); charts carry alt
    text that says what they show; no customer id of the ledger reaches the shared report."""
    import pandas as pd

    out, _ = all_runs
    (run,) = list((out / "profitability").iterdir())
    page, outside, errors, dialogs = open_page(browser, run / "report.html")
    findings = page.inner_text(".cfr-findings")
    assert "Net profit after cost to serve (GBP): 103,856" in findings
    assert "(peak of the whale curve): 154%" in findings
    assert "change in orders it needs to pay: +41%" in findings
    text = page.inner_text("body")
    ids = pd.read_csv(ROOT / "data" / "sample" / "profitability" / "customers.csv", dtype=str)["customer_id"]
    assert not [i for i in ids if i in text], "customer ids in the shared report"
    alts = page.eval_on_selector_all("img", "els => els.map(e => e.alt)")
    assert len(alts) >= 6 and all(alts), alts
    assert any("peaks at 154% of total profit" in a for a in alts)
    assert page.locator("text=Traceback").count() == 0
    assert outside == [] and errors == [] and dialogs == []
