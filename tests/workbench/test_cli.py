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
