"""Render an executed notebook into one self-contained HTML report.

The report hides code, embeds plots as data URIs, adds a table of contents and ends with the run's
provenance. It is built on nbconvert's ``lab`` template minus everything that loads from another host
(require.js, MathJax, mermaid, widget managers), and carries a Content-Security-Policy that forbids
any outside request or script. Outputs that would run script (``application/javascript``, widget
views) are dropped; text outputs on stderr (warnings) are kept in ``executed.ipynb`` but not shown.
Data-derived text must be escaped where it is produced (pandas and our table helpers do so);
nbconvert's ``--sanitize-html`` is not used because it turns headings and tables into literal tags.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter

TEMPLATES = Path(__file__).parent / "templates"
_DROP_MIME = ("application/javascript", "application/vnd.jupyter.widget-view+json", "text/markdown+js")
_TOP = '<div class="cfr-top"><!--CFRESEARCH-FINDINGS--><!--CFRESEARCH-TOC--></div>'
_HEADING = re.compile(r'<h([1-3])\s+id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)


def _strip_for_report(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                continue
            if "data" in out:
                for mime in _DROP_MIME:
                    out["data"].pop(mime, None)
                if not out["data"]:
                    continue
            kept.append(out)
        cell["outputs"] = kept
    nb.metadata.pop("widgets", None)
    return nb


def provenance_markdown(manifest: dict[str, Any]) -> str:
    """A markdown cell body (HTML table, every value escaped) describing the run."""
    e = html.escape
    rows = [
        ("Study", manifest.get("study", "")),
        ("Run", manifest.get("run_id", "")),
        ("Status", manifest.get("status", "")),
        ("Started", manifest.get("started", "")),
        ("Finished", manifest.get("finished", "")),
        ("Duration", f"{manifest.get('duration_s', 0):.1f} s"),
        ("Notebook", manifest.get("notebook", "")),
        ("Git commit", manifest.get("git_commit") or "not a git checkout"),
    ]
    body = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
    params = manifest.get("parameters", {})
    prow = "".join(
        f"<tr><td><code>{e(k)}</code></td><td><code>{e(repr(v))}</code></td></tr>" for k, v in params.items()
    )
    inputs = manifest.get("inputs", {})
    irow = "".join(
        f"<tr><td><code>{e(k)}</code></td><td><code>{e(v)}</code></td></tr>" for k, v in inputs.items()
    )
    versions = manifest.get("versions", {})
    vrow = ", ".join(f"{e(k)} {e(str(v))}" for k, v in versions.items())
    return (
        "## Provenance\n\n<div class=\"cfr-provenance\">\n"
        f"<table>{body}</table>\n\n"
        f"<h4>Parameters</h4>\n<table><tr><th>name</th><th>value</th></tr>{prow}</table>\n\n"
        f"<h4>Inputs (SHA-256)</h4>\n<table><tr><th>file</th><th>sha256</th></tr>{irow}</table>\n\n"
        f"<p><b>Software:</b> {vrow}</p>\n</div>\n"
    )


def key_findings(results: dict[str, Any] | None, manifest: dict[str, Any] | None = None) -> str:
    """The "Key findings" box at the top of a report: the run's headline figures (the ones the index shows),
    each with its interval and change where recorded, and the parameters that produced them. Every value
    is escaped.

    >>> box = key_findings({"nps": {"label": "NPS", "display": "33.8", "headline": True}}, {"given_parameters": {}})
    >>> "<li>NPS: <b>33.8</b></li>" in box and "Parameters: the defaults" in box
    True
    """
    from .results import finding_text

    items = [v for v in (results or {}).values() if isinstance(v, dict) and v.get("headline")]
    if not items:
        return ""
    lines = []
    for item in items:
        label = f"{item.get('label', '')}: "
        text = finding_text(item)[len(label):]
        value = str(item.get("display", item.get("value")))
        rest = text[len(value):]
        lines.append(f"<li>{html.escape(label)}<b>{html.escape(value)}</b>"
                     + (f'<span class="cfr-detail">{html.escape(rest)}</span>' if rest else "") + "</li>")
    params = ""
    if manifest is not None:
        given = manifest.get("given_parameters") or {}
        shown = ", ".join(f"{k} = {v}" for k, v in given.items()) if given else "the defaults (bundled sample data)"
        params = f'<p class="cfr-params">Parameters: {html.escape(shown)}.</p>'
    return ('<section class="cfr-findings" aria-label="Key findings"><h2>Key findings</h2><ul>' + "".join(lines)
            + "</ul>" + params + "</section>")


def table_of_contents(body: str) -> str:
    """Build a nested table of contents from the level 2-3 headings nbconvert rendered (with their ids).

    Level-3 headings form a sub-list inside the preceding level-2 item, so section numbers stay 1, 2, 3, ...
    """
    sections: list[tuple[str, list[str]]] = []
    for level, anchor, inner in _HEADING.findall(body):
        text = re.sub(r"<a class=\"anchor-link\".*?</a>", "", inner, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
        if not text or level == "1":
            continue
        link = f'<a href="#{anchor}">{html.escape(text)}</a>'
        if level == "3" and sections:
            sections[-1][1].append(f'<li class="cfr-toc-3">{link}</li>')
        else:
            sections.append((f'<li class="cfr-toc-{level}">{link}', []))
    if not sections:
        return ""
    items = "".join(head + (f"<ul>{''.join(subs)}</ul>" if subs else "") + "</li>" for head, subs in sections)
    return '<nav class="cfr-toc"><h2>Contents</h2><ol>' + items + "</ol></nav>"


def render_html(notebook: str | Path | nbformat.NotebookNode, output: str | Path | None = None, *,
                manifest: dict[str, Any] | None = None, results: dict[str, Any] | None = None) -> str:
    """Render ``notebook`` (a path or a NotebookNode) to self-contained HTML; write it to ``output`` if given.

    ``results`` (the run's ``results.json``) gives the "Key findings" box above the contents; ``manifest``
    the header and the provenance at the end.

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A report")])
    >>> html = render_html(nb)
    >>> 'id="A-report"' in html and "<script src=" not in html
    True
    """
    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else nbformat.read(notebook, as_version=4)
    nb = _strip_for_report(nb)
    if manifest is not None:
        nb.cells.append(nbformat.v4.new_markdown_cell(provenance_markdown(manifest)))
    title, first = "", 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                title, first = m.group(1).strip(), i + 1
                break
    nb.metadata["title"] = title or "cfresearch report"
    # right after the title: the key findings, then the contents
    nb.cells.insert(first, nbformat.v4.new_markdown_cell(_TOP))
    exporter = HTMLExporter(
        template_name="cfresearch",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    body = body.replace("<!--CFRESEARCH-TOC-->", table_of_contents(body), 1)
    body = body.replace("<!--CFRESEARCH-FINDINGS-->", key_findings(results, manifest), 1)
    if output is not None:
        from .records import write_text_atomic

        write_text_atomic(Path(output), body)
    return body
