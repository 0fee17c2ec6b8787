"""The reports index: ``reports/index.html`` lists every run, newest first, with its headline figures.

Every value shown (parameters, figures, error messages) is escaped by Jinja's autoescape; the page
is self-contained and its Content-Security-Policy forbids scripts and outside requests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from .records import STATUS_OK, list_runs, now_utc, write_text_atomic

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _figures(results: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for name, item in results.items():
        if isinstance(item, dict) and item.get("headline"):
            out.append({"label": str(item.get("label", name)), "display": str(item.get("display", item.get("value")))})
    return out


def _parameters_text(given: dict[str, Any]) -> str:
    """The parameters a run was given, as one line ("defaults" when none)."""
    return ", ".join(f"{k} = {v}" for k, v in given.items()) if given else "defaults"


def _row(m: dict[str, Any], reports: Path) -> dict[str, Any]:
    run_dir: Path = m["path"]
    rel = run_dir.relative_to(reports).as_posix()
    return {
        "study": m.get("study", ""),
        "title": m.get("title", ""),
        "run_id": m.get("run_id", ""),
        "started": str(m.get("started", ""))[:19].replace("T", " "),
        "duration": f"{float(m.get('duration_s', 0)):.1f} s",
        "status": m.get("status", "unknown"),
        "parameters": m.get("given_parameters", {}),
        "parameters_text": _parameters_text(m.get("given_parameters", {})),
        "figures": _figures(m.get("results", {})),
        "error": m.get("error", ""),
        "link": f"{rel}/report.html" if (run_dir / "report.html").exists() else "",
        "notebook_link": f"{rel}/executed.ipynb" if m.get("status") != STATUS_OK else "",
    }


def build_index(reports: Path) -> Path:
    """(Re)write ``reports/index.html`` atomically from the run folders; return its path.

    >>> import tempfile
    >>> build_index(Path(tempfile.mkdtemp())).name
    'index.html'
    """
    runs = [_row(m, reports) for m in list_runs(reports)]
    html = _ENV.get_template("index.html.j2").render(
        runs=runs, latest=_cards(runs), written=now_utc().strftime("%Y-%m-%d %H:%M UTC")
    )
    path = reports / "index.html"
    write_text_atomic(path, html)
    return path


def _cards(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One card per study: its latest good run with the default parameters (else its latest good run), and
    the latest good run of every other set of parameters, so a run with ``-p wave=2`` never passes for the
    study's headline."""
    by_study: dict[str, list[dict[str, Any]]] = {}
    for r in runs:  # newest first
        if r["status"] == STATUS_OK:
            by_study.setdefault(r["study"], []).append(r)
    cards = []
    for study in sorted(by_study):
        good = by_study[study]
        main = next((r for r in good if not r["parameters"]), good[0])
        seen, others = {main["parameters_text"]}, []
        for r in good:
            if r["parameters_text"] not in seen:
                seen.add(r["parameters_text"])
                others.append(r)
        cards.append({**main, "others": others})
    return cards
