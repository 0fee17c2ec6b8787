"""The HTML report: self-contained, code hidden, contents, provenance, data escaped."""

from __future__ import annotations

import re

import nbformat as nbf
import pytest

from cfresearch.workbench.rendering import render_html, table_of_contents

MANIFEST = {
    "study": "demo", "run_id": "20260101T000000000000Z-abcd", "status": "ok", "started": "2026-01-01T00:00:00+00:00",
    "finished": "2026-01-01T00:00:05+00:00", "duration_s": 5.0, "notebook": "notebooks/01_demo.ipynb",
    "git_commit": "abc123", "parameters": {"label": "<img src=x onerror=alert(2)>"},
    "inputs": {"data/<b>in</b>.csv": "f" * 64}, "versions": {"python": "3.11.7", "pandas": "3.1.1"},
}


@pytest.fixture
def executed(tmp_path):
    nb = nbf.v4.new_notebook()
    nb.cells = [
        nbf.v4.new_markdown_cell("# Title of the study\n\nIntro."),
        nbf.v4.new_markdown_cell("## First section"),
        nbf.v4.new_code_cell("secret_code_marker = 1", execution_count=1, outputs=[
            nbf.v4.new_output("stream", name="stdout", text="visible result\n"),
            nbf.v4.new_output("stream", name="stderr", text="a noisy warning\n"),
        ]),
        nbf.v4.new_markdown_cell("### Sub & section"),
        nbf.v4.new_code_cell("x", execution_count=2, outputs=[
            nbf.v4.new_output("display_data", data={"application/javascript": "alert(3)", "text/plain": "js"}),
            nbf.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
        ]),
    ]
    path = tmp_path / "executed.ipynb"
    nbf.write(nb, path)
    return path


def test_report_is_self_contained_and_hides_code(executed, tmp_path):
    html = render_html(executed, tmp_path / "r.html", manifest=MANIFEST)
    assert (tmp_path / "r.html").read_text() == html
    assert "secret_code_marker" not in html
    assert "visible result" in html and "a noisy warning" not in html
    assert "alert(3)" not in html  # script outputs are dropped
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in html
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html), "no reference to another host"
    assert "<script" not in html
    assert "default-src 'none'" in html  # CSP as a second line of defence
    assert "<title>Title of the study</title>" in html


def test_contents_and_provenance(executed):
    html = render_html(executed, manifest=MANIFEST)
    toc = re.search(r'<nav class="cfr-toc">.*?</nav>', html, re.S).group(0)
    assert 'href="#First-section">First section<' in toc and "Sub &amp; section" in toc and "Provenance" in toc
    assert html.index('<nav class="cfr-toc">') < html.index('id="First-section"')
    assert "abc123" in html and "f" * 64 in html and "3.1.1" in html
    # values that came from data or the user are escaped, never markup
    assert "&lt;img src=x onerror=alert(2)&gt;" in html and "<img src=x" not in html
    assert "data/&lt;b&gt;in&lt;/b&gt;.csv" in html


def test_table_of_contents_skips_the_title():
    body = '<h1 id="T">T<a class="anchor-link" href="#T">¶</a></h1><h2 id="A">A<a class="anchor-link">¶</a></h2>'
    assert table_of_contents(body) == (
        '<nav class="cfr-toc"><h2>Contents</h2><ol><li class="cfr-toc-2"><a href="#A">A</a></li></ol></nav>'
    )
    assert table_of_contents("<p>none</p>") == ""


def test_subsections_nest_so_section_numbers_do_not_skip():
    body = ('<h2 id="A">A</h2><h3 id="A1">A1</h3><h3 id="A2">A2</h3><h2 id="B">B</h2>')
    toc = table_of_contents(body)
    assert toc == ('<nav class="cfr-toc"><h2>Contents</h2><ol><li class="cfr-toc-2"><a href="#A">A</a><ul>'
                   '<li class="cfr-toc-3"><a href="#A1">A1</a></li><li class="cfr-toc-3"><a href="#A2">A2</a></li>'
                   '</ul></li><li class="cfr-toc-2"><a href="#B">B</a></li></ol></nav>')
