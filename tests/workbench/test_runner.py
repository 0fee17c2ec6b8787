"""The runner: run records, skipping, failure handling, atomic publication and the index."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cfresearch.workbench import execution
from cfresearch.workbench.errors import InputFileError
from cfresearch.workbench.execution import plan_run, run_plans
from cfresearch.workbench.records import list_runs
from cfresearch.workbench.studies import discover, find_study

pytestmark = pytest.mark.slow


def _run(project: Path, study: str = "demo", force: bool = False, **cli):
    s = find_study(project / "notebooks", study)
    plan = plan_run(s, project, from_cli={k: str(v) for k, v in cli.items()}, cwd=project)
    return run_plans([plan], project / "reports", force=force)[0]


def test_successful_run_writes_report_results_and_manifest(project):
    out = _run(project, n=5)
    assert out.status == "ok", out.message
    run = out.path
    assert run.parent == project / "reports" / "demo"
    assert {p.name for p in run.iterdir()} == {"report.html", "executed.ipynb", "results.json", "manifest.json",
                                             "kernel.log"}
    results = json.loads((run / "results.json").read_text())
    assert results["rows"]["value"] == 2
    assert results["scaled"] == {"value": 7.5, "label": "Scaled", "display": "7.50", "headline": True}
    m = json.loads((run / "manifest.json").read_text())
    assert m["status"] == "ok" and m["study"] == "demo"
    assert m["parameters"]["n"] == 5 and m["given_parameters"] == {"n": 5}
    assert m["parameters"]["data_path"] == "data/in.csv"  # shown relative to the project
    import hashlib

    assert m["inputs"] == {"data/in.csv": hashlib.sha256((project / "data" / "in.csv").read_bytes()).hexdigest()}
    assert m["versions"]["python"].startswith("3.") and "pandas" in m["versions"] and "papermill" in m["versions"]
    assert m["duration_s"] > 0 and m["started"] <= m["finished"]
    assert "git_commit" in m
    assert oct((run / "report.html").stat().st_mode & 0o044) == oct(0o044 & ~_umask())
    assert not any((project / "reports" / ".tmp").iterdir())  # nothing left in staging


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def test_unchanged_run_is_skipped_and_force_reruns(project):
    first = _run(project)
    again = _run(project)
    assert again.status == "skipped" and first.run_id in again.message and "--force" in again.message
    forced = _run(project, force=True)
    assert forced.status == "ok" and forced.run_id != first.run_id
    (project / "data" / "in.csv").write_text("x,y\n1,a\n", encoding="utf-8")  # input changed
    changed = _run(project)
    assert changed.status == "ok" and changed.results["rows"]["value"] == 1
    assert _run(project, n=4).status == "ok"  # parameters changed


def test_failed_run_is_kept_marked_and_leaves_the_good_one_alone(project):
    good = _run(project)
    before = {p.name: p.read_bytes() for p in good.path.iterdir()}
    bad = _run(project, fail="true")
    assert bad.status == "failed"
    assert "ValueError: asked to fail" in bad.detail and "executed notebook" in bad.message
    assert bad.path != good.path and (bad.path / "executed.ipynb").exists()
    assert not (bad.path / "report.html").exists()
    assert json.loads((bad.path / "manifest.json").read_text())["status"] == "failed"
    assert {p.name: p.read_bytes() for p in good.path.iterdir()} == before
    index = (project / "reports" / "index.html").read_text()
    assert "failed" in index and "asked to fail" in index
    # the last good run is still the one a new, unchanged run compares with
    assert _run(project).status == "skipped"


def test_render_failure_marks_the_run_failed_and_publishes_nothing_half_written(project, monkeypatch):
    good = _run(project)

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("cfresearch.workbench.rendering.render_html", broken)
    out = _run(project, force=True)
    assert out.status == "failed" and "disk full" in out.detail
    assert not (out.path / "report.html").exists()
    assert (good.path / "report.html").exists()


def test_index_lists_runs_newest_first_with_figures(project):
    a = _run(project, n=1)
    b = _run(project, n=2)
    runs = list_runs(project / "reports")
    assert [r["run_id"] for r in runs] == [b.run_id, a.run_id]
    index = (project / "reports" / "index.html").read_text()
    assert index.index(b.run_id) < index.index(a.run_id)
    assert "Scaled: <b>3.00</b>" in index and "n = 2" in index
    assert "http://" not in index and "https://" not in index


def test_missing_input_is_reported_before_execution(project):
    s = find_study(project / "notebooks", "demo")
    with pytest.raises(InputFileError, match=r"input not found: nowhere.csv \(parameter data_path"):
        plan_run(s, project, from_cli={"data_path": "nowhere.csv"}, cwd=project)
    assert not (project / "reports").exists()


def test_cli_paths_are_relative_to_the_callers_folder(project, tmp_path):
    other = project / "elsewhere"
    other.mkdir()
    (other / "mine.csv").write_text("x\n1\n2\n3\n", encoding="utf-8")
    s = find_study(project / "notebooks", "demo")
    plan = plan_run(s, project, from_cli={"data_path": "mine.csv"}, cwd=other)
    assert plan.inject["data_path"] == str(other / "mine.csv")
    out = run_plans([plan], project / "reports")[0]
    assert out.status == "ok" and out.results["rows"]["value"] == 3


def test_independent_studies_run_in_parallel(project):
    studies = discover(project / "notebooks")
    assert [s.name for s in studies] == ["demo", "other"]
    plans = [plan_run(s, project, cwd=project) for s in studies]
    outs = run_plans(plans, project / "reports", jobs=2)
    assert [o.status for o in outs] == ["ok", "ok"]
    assert {r["study"] for r in list_runs(project / "reports")} == {"demo", "other"}


def test_staging_folders_of_dead_runs_are_cleaned_and_live_ones_kept(project):
    """A run holds a claim (flock) on its staging folder; the next run removes folders whose claim is free
    (the run was interrupted or killed) and keeps those of runs still working, whatever their age."""
    import subprocess
    import sys

    tmp = project / "reports" / ".tmp"
    dead, live, unclaimed = tmp / "dead-run", tmp / "live-run", tmp / "old-run"
    for d in (dead, live, unclaimed):
        d.mkdir(parents=True)
    (tmp / "dead-run.lock").write_text("")  # its process is gone: nobody holds the lock
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time; f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX); print('held', "
        "flush=True); time.sleep(60)"), str(tmp / "live-run.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        os.utime(unclaimed, (0, 0))
        removed = execution.clean_staging(project / "reports")
        assert sorted(removed) == ["dead-run", "old-run"]
        assert live.exists() and not dead.exists() and not unclaimed.exists()
    finally:
        holder.kill()
        holder.wait()
    assert execution.clean_staging(project / "reports") == ["live-run"]


def test_multi_line_errors_keep_their_first_detail_on_the_summary_line():
    err = "data.csv: 3 problems in the data:\n  row 16, column x: value '2'\n  row 20, column y\nFix it."
    assert execution._first_lines(err) == ("data.csv: 3 problems in the data: row 16, column x: value '2' "
                                           "… (2 more line(s) in the executed notebook)")
    assert execution._first_lines("one line") == "one line"


def test_index_card_is_the_latest_run_with_the_default_parameters(project):
    """A run with other parameters never passes for the study's headline: the card shows the latest run with
    the defaults and says so; the other parameter sets are listed under it."""
    from bs4 import BeautifulSoup

    default = _run(project)
    other = _run(project, n=5)
    card = BeautifulSoup((project / "reports" / "index.html").read_text(), "html.parser").select_one(
        '.card[data-study="demo"]')
    assert card.select_one(".param-set").get_text() == "defaults"
    assert default.run_id in card.get_text() and "Scaled: 4.50" in card.get_text()
    (item,) = card.select(".others li")
    assert "n = 5" in item.get_text() and other.run_id in item.a["href"]
