"""Loading survey data against a codebook: every format, every violation at once, set_missing, error messages.

The reference for "what the file holds" is the committed sample (data/sample/survey), whose planted invalid
values are listed in its truth.yaml; the same data written as XLSX (openpyxl), SPSS .sav (pyreadstat, value
labels and user-missing 99) and Parquet (pyarrow) must load to the identical DataFrame.
"""

from __future__ import annotations

import hashlib
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from cfresearch.survey.codebook import Codebook
from cfresearch.survey.loading import SurveyDataError, load_survey, load_targets

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "survey"
CSV, CODEBOOK = SAMPLE / "responses.csv", SAMPLE / "codebook.yaml"
ATTR = ["q_first_impression", "q_staff_friendliness", "q_product_knowledge", "q_speed_convenience",
        "q_problem_resolution", "q_delivery", "q_price_value", "q_keeping_promises"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(CSV, keep_default_na=False)


@pytest.fixture(scope="module")
def loaded():
    return load_survey(CSV, CODEBOOK, on_invalid="set_missing")


@pytest.fixture(scope="module")
def truth() -> dict:
    return yaml.safe_load((SAMPLE / "truth.yaml").read_text(encoding="utf-8"))


def test_sample_loads_with_the_contracted_types(loaded, truth):
    d = loaded.data
    assert len(d) == 2100 and loaded.source == CSV
    for col in ("region", "age_group", "gender", "customer_type", "channel"):
        assert isinstance(d[col].dtype, pd.CategoricalDtype) and d[col].cat.ordered
    assert d["region"].cat.categories.tolist() == ["North", "South", "East", "West", "Central"]
    assert d["wave"].dtype == np.int64 and sorted(d["wave"].unique()) == [1, 2, 3]
    assert loaded.codebook.labels("wave")[3] == "Wave 3 (Q3 2025)"
    assert d["store_id"].dtype == np.int64
    assert pd.api.types.is_datetime64_any_dtype(d["interview_date"])
    for col in ["nps", "csat", "ces", *ATTR, "why_price"]:
        assert d[col].dtype == np.float64
    assert d["respondent_id"].iloc[0] == "R00001"
    # 99 = don't know is NaN and not a violation; the 5 planted invalid values are the only issues.
    raw_att = pd.read_csv(CSV, usecols=ATTR)
    n_99 = int((raw_att == 99).to_numpy().sum())
    assert int(d[ATTR].isna().to_numpy().sum()) == n_99 + 3
    assert loaded.n_set_missing == 5 == len(truth["invalid_values"])
    got = loaded.issues[["row", "column", "value"]].to_dict("records")
    assert got == [{"row": v["row"], "column": v["column"], "value": str(v["value"])} for v in truth["invalid_values"]]
    assert set(loaded.issues["action"]) == {"set missing"}
    # Open text is NFC (the sample has one comment written in decomposed Unicode) and empty -> NaN.
    assert any(unicodedata.normalize("NFC", c) != c for c in pd.read_csv(CSV)["comment"].dropna())
    comments = d["comment"].dropna()
    assert all(unicodedata.is_normalized("NFC", c) for c in comments)
    assert 0.3 < d["comment"].notna().mean() < 0.5


def test_every_format_loads_to_the_same_frame(raw, loaded, tmp_path):
    cb = Codebook.from_yaml(CODEBOOK)
    # XLSX as a spreadsheet user would save it (numbers as numbers, dates as text).
    raw.to_excel(tmp_path / "r.xlsx", index=False)
    # SPSS: codes with value labels, 99 declared user-missing, dates as SPSS dates, empty strings.
    sav = raw.assign(interview_date=pd.to_datetime(raw["interview_date"]).dt.date)
    pyreadstat.write_sav(
        sav, tmp_path / "r.sav",
        column_labels={n: v.label for n, v in cb.variables.items()},
        variable_value_labels={n: {k: lab for k, lab in v.values.items()} for n, v in cb.variables.items()
                               if v.values},
        missing_ranges={a: [99] for a in ATTR})
    # Parquet twice: codes as written, and single-choice columns holding labels instead of codes.
    raw.to_parquet(tmp_path / "r.parquet")
    labelled = raw.copy()
    for col in ("region", "gender", "channel"):
        labelled[col] = labelled[col].map(cb.labels(col))
    labelled.to_parquet(tmp_path / "labels.parquet")

    for name, offset in (("r.xlsx", 0), ("r.sav", -1), ("r.parquet", -1), ("labels.parquet", -1)):
        s = load_survey(tmp_path / name, CODEBOOK, on_invalid="set_missing")
        pd.testing.assert_frame_equal(s.data, loaded.data, obj=name)
        # SAV / Parquet rows are record numbers (index + 1), CSV / XLSX rows count the header (index + 2).
        assert (s.issues["row"] - offset).tolist() == loaded.issues["row"].tolist(), name
        assert s.issues["problem"].tolist() == loaded.issues["problem"].tolist(), name


def _bad_file(raw: pd.DataFrame, tmp_path: Path, *, duplicate: bool = True, design: bool = True) -> Path:
    """Ten sample rows (file lines 2..11) with one violation of every kind (``design``: also in the design
    variables region, store_id and wave, which can never be blanked)."""
    d = raw.head(10).astype(str).copy()
    d.loc[0, "q_delivery"] = "6"  # line 2: outside 1..5
    d.loc[1, "csat"] = "abc"  # line 3: not a number
    if design:
        d.loc[2, "region"] = "9"  # line 4: not a code of region (the strata)
        d.loc[5, "store_id"] = ""  # line 7: required value missing (the clusters)
        d.loc[8, "wave"] = "4"  # line 10: not a code of wave
    d.loc[3, "region"] = "  central "  # line 5: a label instead of a code: fine
    d.loc[4, "why_range"] = "2"  # line 6: stray value in a dichotomy
    d.loc[6, "interview_date"] = "2025-13-45"  # line 8: not a date
    d.loc[7, "nps"] = "4.5"  # line 9: not a scale point
    d.loc[9, "gender"] = "Robot"  # line 11: text that is no label
    if duplicate:
        d.loc[9, "respondent_id"] = d.loc[1, "respondent_id"]  # line 11 repeats line 3's id
    path = tmp_path / "bad.csv"
    d.to_csv(path, index=False)
    return path


def test_all_violations_reported_at_once_with_rows_and_columns(raw, tmp_path):
    path = _bad_file(raw, tmp_path)
    before = _sha(path)
    with pytest.raises(SurveyDataError) as err:
        load_survey(path, CODEBOOK, on_invalid="set_missing")  # duplicated ids raise even so
    issues = err.value.issues
    got = list(issues[["row", "column", "kind"]].itertuples(index=False, name=None))
    assert got == [
        (2, "q_delivery", "out of range"),
        (3, "csat", "not a number"),
        (4, "region", "not a code"),
        (6, "why_range", "stray value"),
        (7, "store_id", "required missing"),
        (8, "interview_date", "not a date"),
        (9, "nps", "out of range"),
        (10, "wave", "not a code"),
        (11, "respondent_id", "duplicated id"),
        (11, "gender", "not a code"),
    ]
    p = dict(zip(issues["column"], issues["problem"]))
    assert p["q_delivery"] == "outside 1..5"
    assert p["region"] == "not a code of region (1=North, 2=South, 3=East, 4=West, 5=Central)"
    assert p["why_range"] == "stray value 2 in multi-response set why (expected 0/1)"
    assert p["respondent_id"] == "duplicated respondent id (first at row 3)"
    assert p["nps"] == "not a scale point (0..10 in whole numbers)"
    assert p["gender"].startswith("not a code of gender (1=Female")
    assert issues.loc[issues["kind"].eq("duplicated id"), "action"].item() == "raise (cannot be blanked)"
    design = issues[issues["column"].isin(["region", "store_id", "wave"])]
    assert set(design["action"]) == {"raise (cannot be blanked)"}  # whatever on_invalid says
    msg = str(err.value)
    assert str(path) in msg and "10 problems" in msg
    assert msg.splitlines()[1].strip() == (
        "row 4, column region: value '9' — not a code of region (1=North, 2=South, 3=East, 4=West, 5=Central)")
    assert "row 11, column respondent_id: value 'R00002' — duplicated respondent id (first at row 3)" in msg
    assert "design variables (wave, region, store_id" in msg
    assert "row 2, column q_delivery: value '6' — outside 1..5" in msg
    assert _sha(path) == before  # the raw file is never modified


def test_set_missing_blanks_offending_cells_and_counts_them(raw, tmp_path):
    path = _bad_file(raw, tmp_path, duplicate=False, design=False)
    before = _sha(path)
    s = load_survey(path, CODEBOOK, on_invalid="set_missing")
    d = s.data
    assert s.n_set_missing == 6
    assert np.isnan(d.loc[0, "q_delivery"]) and np.isnan(d.loc[1, "csat"]) and np.isnan(d.loc[7, "nps"])
    assert d.loc[3, "region"] == "Central" and pd.isna(d.loc[9, "gender"])
    assert np.isnan(d.loc[4, "why_range"]) and pd.isna(d.loc[6, "interview_date"])
    assert s.issues["action"].value_counts().to_dict() == {"set missing": 6}
    summary = s.validation_summary().set_index("kind")
    assert summary.loc["not a code", "problems"] == 1 and summary.loc["not a code", "columns"] == "gender"
    assert summary["problems"].sum() == len(s.issues) == 6
    assert _sha(path) == before


@pytest.mark.parametrize("column, value, kind", [("wave", "", "required missing"), ("wave", "7", "not a code"),
                                                 ("store_id", "", "required missing"),
                                                 ("region", "Atlantis", "not a code")])
def test_a_bad_design_value_stops_the_load_whatever_on_invalid_says(raw, tmp_path, column, value, kind):
    """A respondent without a valid wave, stratum or cluster cannot be placed in the design: the load stops
    with the row and column instead of a later, unexplained crash (issue: one blank wave code stopped the report
    with "boolean value of NA is ambiguous")."""
    d = raw.head(20).astype(str).copy()
    d.loc[12, column] = value
    path = tmp_path / "design.csv"
    d.to_csv(path, index=False)
    with pytest.raises(SurveyDataError) as err:
        load_survey(path, CODEBOOK, on_invalid="set_missing")
    issue = err.value.issues.iloc[0]
    assert (issue["row"], issue["column"], issue["kind"]) == (14, column, kind)
    assert err.value.row == 14 and err.value.column == column


def test_the_reported_wave_is_the_latest_or_one_that_exists(raw, tmp_path):
    s = load_survey(CSV, CODEBOOK, on_invalid="set_missing")
    assert s.reported_wave() == 3 and type(s.reported_wave()) is int and s.reported_wave(2) == 2
    with pytest.raises(SurveyDataError, match=r"no respondents in wave 5 \(column wave\); the data have waves "
                                              r"1 \(Wave 1 \(Q1 2025\)\)"):
        s.reported_wave(5)


def test_a_header_only_file_is_refused(raw, tmp_path):
    path = tmp_path / "empty.csv"
    raw.head(0).to_csv(path, index=False)
    with pytest.raises(SurveyDataError, match="no data rows"):
        load_survey(path, CODEBOOK)


def test_raise_message_names_file_count_and_first_ten(raw, tmp_path):
    d = raw.head(30).copy()
    d["csat"] = 7  # 30 problems
    d["why_quality"] = 0  # (line 16 of the sample has a planted stray 2 here)
    path = tmp_path / "many.csv"
    d.to_csv(path, index=False)
    with pytest.raises(SurveyDataError) as err:
        load_survey(path, CODEBOOK)
    msg = str(err.value)
    lines = msg.splitlines()
    assert lines[0] == f"{path}: 30 problems in the data:"
    assert lines[1:11] == [f"  row {r}, column csat: value '7' — outside 1..5" for r in range(2, 12)]
    assert "… and 20 more" in msg and "on_invalid='set_missing'" in msg
    assert len(err.value.issues) == 30 and set(err.value.issues["action"]) == {"raise"}
    assert isinstance(err.value, ValueError)


def test_missing_unreadable_and_unsupported_files(tmp_path):
    with pytest.raises(SurveyDataError, match="absent.csv: data file not found"):
        load_survey(tmp_path / "absent.csv", CODEBOOK)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a spreadsheet")
    with pytest.raises(SurveyDataError, match=r"junk.xlsx: cannot read as XLSX"):
        load_survey(junk, CODEBOOK)
    with pytest.raises(SurveyDataError, match=r"unsupported file type '.txt'"):
        load_survey(tmp_path / "x.txt", CODEBOOK)
    with pytest.raises(SurveyDataError, match="codebook file not found"):
        load_survey(CSV, tmp_path / "none.yaml")
    with pytest.raises(SurveyDataError, match="no codebook given"):
        shutil.copy(CSV, tmp_path / "alone.csv")
        load_survey(tmp_path / "alone.csv")
    with pytest.raises(ValueError, match="on_invalid must be"):
        load_survey(CSV, CODEBOOK, on_invalid="ignore")


def test_codebook_that_does_not_match_the_data(raw, tmp_path):
    with pytest.raises(SurveyDataError, match=r"responses.csv: the codebook .*employees_codebook.yaml does not match"):
        load_survey(CSV, SAMPLE / "employees_codebook.yaml")
    path = tmp_path / "fewer.csv"
    raw.drop(columns=["ces", "why_staff"]).to_csv(path, index=False)
    with pytest.raises(SurveyDataError) as err:
        load_survey(path, CODEBOOK, on_invalid="set_missing")
    assert "column ces: column missing from data" in str(err.value)
    assert err.value.issues["kind"].value_counts()["missing column"] == 2


def test_codebook_beside_the_data_and_extra_columns(raw, tmp_path):
    shutil.copy(CODEBOOK, tmp_path / "codebook.yaml")
    raw.assign(extra="x").to_csv(tmp_path / "d.csv", index=False)
    s = load_survey(tmp_path / "d.csv", on_invalid="set_missing")
    assert s.extra_columns == ["extra"] and s.data["extra"].eq("x").all()


def test_survey_helpers(loaded):
    assert loaded.design() == {"strata": "region", "clusters": "store_id", "weight": None}
    assert "email" not in loaded.without_pii().columns and "email" in loaded.data.columns
    lab = loaded.labelled("q_delivery")
    assert lab.cat.categories.tolist() == ["Very poor", "Poor", "Fair", "Good", "Very good"]
    assert lab.isna().sum() == loaded.data["q_delivery"].isna().sum()
    assert loaded.labelled("wave").value_counts().to_dict() == {
        "Wave 1 (Q1 2025)": 700, "Wave 2 (Q2 2025)": 700, "Wave 3 (Q3 2025)": 700}
    assert loaded.labelled("region").equals(loaded.data["region"])
    emp = load_survey(SAMPLE / "employees.csv", SAMPLE / "employees_codebook.yaml")
    frame = emp.scale_frame("con")
    assert frame.columns.tolist() == ["con_1", "con_2", "con_3", "con_4"]
    raw_emp = pd.read_csv(SAMPLE / "employees.csv")
    pd.testing.assert_frame_equal(frame, raw_emp[frame.columns].astype(float))  # not reversed
    assert emp.codebook.reverse_items("con") == ["con_2", "con_4"]
    with pytest.raises(ValueError, match="no column 'nope'"):
        loaded.labelled("nope")


def test_load_targets(tmp_path):
    cb = Codebook.from_yaml(CODEBOOK)
    t = load_targets(SAMPLE / "targets.yaml", cb)
    assert list(t) == ["region", "age_group", "gender"]
    assert t["region"]["North"] == 0.22 and sum(t["gender"].values()) == pytest.approx(1, abs=1e-12)
    bad = tmp_path / "t.yaml"
    bad.write_text("region: {North: 0.5, South: 0.4}\nage_group: {18-34: 1.2, 35-49: -0.2}\n")
    with pytest.raises(SurveyDataError) as err:
        load_targets(bad)
    msg = str(err.value)
    assert str(bad) in msg and "variable 'region': shares sum to 0.9, not 1" in msg
    assert "variable 'age_group': shares must be non-negative" in msg
    bad.write_text("region: {North: 0.5, Nowhere: 0.5}\n")
    with pytest.raises(SurveyDataError, match=r"\['Nowhere'\] are not value labels of region"):
        load_targets(bad, cb)
    with pytest.raises(SurveyDataError, match="targets file not found"):
        load_targets(tmp_path / "none.yaml")
