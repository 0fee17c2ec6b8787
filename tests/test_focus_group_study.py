"""The focus-group study through the CLI on bad input: one clear line naming file, line and column; non-zero exit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "cfresearch.cli"]
SAMPLE = ROOT / "data" / "sample" / "focus_groups"

pytestmark = pytest.mark.slow


def _run(tmp_path, *params):
    args = [a for p in params for a in ("-p", p)]
    return subprocess.run(CLI + ["run", "focus_groups", "-q", "--out", str(tmp_path / "reports"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def _detail(stdout: str) -> str:
    lines = stdout.splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.startswith("focus_groups"))
    assert "failed" in lines[first]
    assert all(len(ln) <= 120 for ln in lines)
    return " ".join(ln.strip() for ln in lines[first + 1:] if ln.startswith("  "))


def test_a_speaker_missing_from_the_participants_names_file_line_and_column(tmp_path):
    people = (SAMPLE / "participants.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "participants.csv").write_text("".join(ln for ln in people if ",Tom," not in ln), encoding="utf-8")
    r = _run(tmp_path, f"participants_path={tmp_path / 'participants.csv'}")
    assert r.returncode == 1, r.stdout + r.stderr
    detail = _detail(r.stdout)
    assert "FG1.en.txt" in detail and "column speaker" in detail and "'Tom'" in detail
    assert "Traceback" not in r.stdout + r.stderr


def test_a_coding_with_an_unknown_code_names_the_csv_row(tmp_path):
    rows = (SAMPLE / "codings.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    rows[4] = rows[4].replace(rows[4].rstrip("\n").split(",")[-1], "staff_frendly")
    (tmp_path / "codings.csv").write_text("".join(rows), encoding="utf-8")
    r = _run(tmp_path, f"codings_path={tmp_path / 'codings.csv'}")
    assert r.returncode == 1, r.stdout + r.stderr
    detail = _detail(r.stdout)
    assert "codings.csv" in detail and "row 5, column code" in detail and "staff_friendly" in detail


def test_a_cue_ending_before_it_starts_is_reported_with_its_line(tmp_path):
    folder = tmp_path / "transcripts"
    shutil.copytree(SAMPLE / "transcripts", folder)
    vtt = folder / "FG2.az.vtt"
    lines = vtt.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, ln in enumerate(lines) if "-->" in ln)
    start, end = lines[at].split(" --> ")
    lines[at] = f"{start} --> 00:00:00.500\n"
    vtt.write_text("".join(lines), encoding="utf-8")
    r = _run(tmp_path, f"transcripts_path={folder}", "codings_path=None")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FG2.az.vtt" in _detail(r.stdout) and f"row {at + 1}, column timing" in _detail(r.stdout)
