"""The command line: one clear line per problem, documented exit codes, no traceback."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from cfresearch.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture
def in_project(project, monkeypatch):
    monkeypatch.chdir(project)
    monkeypatch.delenv("CFRESEARCH_HOME", raising=False)
    return project


def test_list_shows_studies_and_typed_parameters(in_project, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "demo" in out and "Demo study" in out and "other" in out
    assert re.search(r"^    n +int +default 3", out, re.M) and "default 3" in out and "# a count" in out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["run", "nope"], "unknown study 'nope'"),
        (["run", "demo", "-p", "typo=1"], "unknown parameter 'typo'"),
        (["run", "demo", "-p", "n=x"], "cannot read 'x' as int"),
        (["run", "demo", "-p", "data_path=missing.csv"], "input not found: missing.csv"),
        (["run", "demo", "-p", "n"], "expected name=value"),
        (["run", "demo", "-f", "no.yaml"], "parameters file not found"),
        (["run"], "name a study"),
        (["render", "nothing.ipynb"], "notebook not found"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(in_project, capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_run_exit_codes_and_summary(in_project, capsys):
    assert main(["run", "demo", "-q"]) == 0
    out = capsys.readouterr().out
    assert "demo" in out and " ok " in out and "Rows 2" in out
    assert main(["run", "demo", "-q"]) == 0
    assert "skipped" in capsys.readouterr().out
    assert main(["run", "demo", "-q", "-p", "fail=true"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "asked to fail" in out


def test_subprocess_shows_no_traceback_unless_verbose(in_project):
    exe = [sys.executable, "-m", "cfresearch.cli"]
    r = subprocess.run(exe + ["run", "demo", "-p", "bad name=1"], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "not a valid parameter name" in r.stderr
    r = subprocess.run(exe + ["--verbose", "run", "demo", "-p", "bad name=1"], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" in r.stderr


CONSTRAINED = (
    'data_path: str = "../data/in.csv"  # input table\n'
    "level: float = 0.95  # confidence level [0 < level < 1]\n"
    'correction: str = "fdr"  # letters [one of: none, bonferroni, fdr]\n'
    "reps: int = 10  # resamples [reps >= 0]\n"
    'columns: list = ["x"]  # columns to show [columns of data_path]\n'
    'key: str | None = None  # an optional column [column of data_path]\n'
)
CONSTRAINED_BODY = "from cfresearch.workbench import record\nrecord('level', level, label='Level', headline=True)\n"


@pytest.fixture
def constrained(in_project, notebook_factory):
    notebook_factory(in_project / "notebooks" / "03_checked.ipynb", "Checked study", params=CONSTRAINED,
                     body=CONSTRAINED_BODY, study="checked")
    return in_project


@pytest.mark.parametrize(
    "param, fragment",
    [
        ("level=1.5", "parameter 'level' must satisfy 0 < level < 1; got 1.5"),
        ("correction=fdrr", "must be one of none, bonferroni, fdr; got 'fdrr' (did you mean 'fdr'?)"),
        ("reps=-1", "parameter 'reps' must satisfy reps >= 0; got -1"),
        ("columns=x", "expects a list; write it in YAML list syntax, e.g. -p 'columns=[x]'"),
        ("columns=[x, z]", "'z' is not a column of data_path (data/in.csv)"),
        ("columns=[yy]", "did you mean 'y'?"),
        ("key=xx", "'xx' is not a column of data_path"),
        ("levl=0.9", "unknown parameter 'levl' (-p) (did you mean 'level'?)"),
    ],
)
def test_constraints_are_checked_before_anything_runs(constrained, capsys, param, fragment):
    assert main(["run", "checked", "-q", "-p", param]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert not (constrained / "reports").exists()  # no kernel started, nothing in the index


def test_list_shows_constraints_and_defaults_from_the_project_root(constrained, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"data_path +str +default data/in\.csv", out)  # as typed after `cfresearch run`
    assert "[0 < level < 1]" in out and "[one of: none, bonferroni, fdr]" in out and "# confidence level" in out


def test_misspelt_study_version_and_a_short_result_line(constrained, capsys):
    assert main(["run", "chekced"]) == 2
    assert "did you mean 'checked'?" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and re.match(r"cfresearch \d+\.\d+", capsys.readouterr().out)
    assert main(["run", "checked", "-q", "-p", "key=y", "-p", "columns=[x, y]"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(len(line) <= 120 for line in lines), lines


def test_optional_parameters_raise_no_papermill_warning(constrained):
    r = subprocess.run([sys.executable, "-m", "cfresearch.cli", "run", "checked", "-q", "-p", "key=x"],
                       cwd=constrained, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Passed unknown parameter" not in r.stderr + r.stdout and "Unable to parse" not in r.stderr
    assert r.stderr.strip() == "", r.stderr  # cron mails anything on stderr
