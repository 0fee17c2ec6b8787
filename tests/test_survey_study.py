"""The survey study through the CLI on bad input: one clear line naming file, row and column; non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "cfresearch.cli"]

pytestmark = pytest.mark.slow


def test_invalid_answers_with_on_invalid_raise_fail_the_run_naming_row_and_column(tmp_path):
    r = subprocess.run(CLI + ["run", "survey", "-q", "--out", str(tmp_path), "-p", "on_invalid=raise"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.startswith("survey"))
    assert "failed" in lines[first] and "executed notebook" in lines[first]
    detail = " ".join(ln.strip() for ln in lines[first + 1:] if ln.startswith("  "))
    assert "SurveyDataError" in detail and "responses.csv: 5 problems" in detail
    assert "row 16, column why_quality" in detail
    assert all(len(ln) <= 120 for ln in lines)
    assert "Traceback" not in r.stdout + r.stderr


def test_missing_data_file_stops_before_anything_runs(tmp_path):
    r = subprocess.run(CLI + ["run", "survey", "--out", str(tmp_path), "-p", "data_path=nowhere/wave9.sav"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 2
    assert "input not found: nowhere/wave9.sav (parameter data_path" in r.stderr
    assert not any(tmp_path.iterdir()), "nothing is written when the input is missing"
