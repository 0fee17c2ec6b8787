"""The shared data error and reader: file, row and column in every message; every format read as it is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cfresearch.data import DataError, RawTable, file_format, issues_frame, read_table
from cfresearch.survey import SurveyDataError


def test_data_error_carries_path_first_row_and_column_and_the_issues(tmp_path):
    issues = issues_frame([
        {"row": 4, "column": "revenue", "value": "-3", "problem": "negative (expected >= 0)", "kind": "negative"},
        {"row": 9, "column": "date", "value": "2023-13-01", "problem": "not a date (expected YYYY-MM-DD)"},
    ])
    err = DataError.from_issues(tmp_path / "ledger.csv", issues, hint="Fix the ledger and run again.")
    assert isinstance(err, ValueError)
    assert (err.path, err.row, err.column) == (tmp_path / "ledger.csv", 4, "revenue")
    text = str(err).splitlines()
    assert text[0] == f"{tmp_path / 'ledger.csv'}: 2 problems in the data:"
    assert text[1] == "  row 4, column revenue: value '-3' — negative (expected >= 0)"
    assert text[2] == "  row 9, column date: value '2023-13-01' — not a date (expected YYYY-MM-DD)"
    assert text[3] == "Fix the ledger and run again."
    assert list(err.issues.columns) == ["row", "column", "value", "problem", "kind", "action"]
    assert err.issues["kind"].tolist() == ["negative", ""]


def test_long_issue_lists_are_cut_and_unfixable_problems_shown_first():
    rows = [{"row": r, "column": "x", "value": str(r), "problem": "bad", "action": "set missing"} for r in range(2, 30)]
    rows.append({"row": 40, "column": "id", "value": "7", "problem": "duplicated",
                 "action": "raise (cannot be blanked)"})
    err = DataError.from_issues("f.csv", issues_frame(rows))
    lines = str(err).splitlines()
    assert lines[0] == "f.csv: 29 problems in the data:" and "row 40, column id" in lines[1]
    assert lines[-1] == "  … and 19 more (see the exception's .issues)" and len(err.issues) == 29


def test_one_problem_and_whole_file_errors():
    err = DataError.at("t.vtt", 12, "end", "cue ends before it starts (expected end > start)", value="00:00:01.000")
    assert (err.row, err.column) == (12, "end")
    assert "row 12, column end: value '00:00:01.000' — cue ends before it starts" in str(err)
    whole = DataError("x.csv: data file not found", path="x.csv")
    assert whole.row is None and whole.column is None and whole.issues.empty
    missing = DataError.from_issues("x.csv", issues_frame([{"row": 0, "column": "age", "problem": "column missing"}]))
    assert "column age: column missing" in str(missing) and missing.row is None


def test_survey_data_error_is_a_data_error():
    assert issubclass(SurveyDataError, DataError)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"id": ["007", "008", "009"], "score": [1.0, np.nan, 3.0], "note": ["NA", "", "ok"]})


@pytest.mark.parametrize("suffix, first", [(".csv", 2), (".xlsx", 2), (".sav", 1), (".parquet", 1)])
def test_every_format_is_read_with_its_row_numbers(tmp_path, frame, suffix, first):
    path = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif suffix == ".sav":
        pyreadstat.write_sav(frame, str(path))
    else:
        frame.to_parquet(path)
    table = read_table(path, text_columns=["id"])
    assert isinstance(table, RawTable) and table.path == path and table.first_row == first
    assert table.rows.tolist() == [first, first + 1, first + 2] and table.row_of(2) == first + 2
    assert table.data["id"].astype(str).tolist() == ["007", "008", "009"]  # leading zeros kept
    assert table.data.index.equals(pd.RangeIndex(3))
    if suffix == ".csv":
        assert table.data["note"].tolist()[0] == "NA" and pd.isna(table.data["note"][1])


def test_unreadable_unknown_and_absent_files(tmp_path):
    bad = tmp_path / "junk.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(DataError, match=r"junk.xlsx: cannot read as XLSX") as err:
        read_table(bad)
    assert err.value.path == bad
    with pytest.raises(SurveyDataError, match="absent.csv: data file not found"):
        read_table(tmp_path / "absent.csv", error=SurveyDataError)
    with pytest.raises(DataError, match=r"unsupported file type '.txt'; expected one of .csv, .parquet, .pq"):
        file_format(tmp_path / "x.txt")
