"""Codebooks: YAML round trip, validation of the YAML itself, and drafting a codebook from SPSS metadata.

SPSS files are written here with pyreadstat.write_sav (variable labels, value labels, user-missing values
and ranges, measure levels) and read back through :func:`codebook_from_sav`; pyreadstat cannot write
multiple-response sets, so that path is checked with metadata shaped as pyreadstat documents ``meta.mr_sets``
(dict of set name -> type/is_dichotomy/counted_value/label/variable_list).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from cfresearch.cli import main as cli_main
from cfresearch.survey.codebook import (
    TYPES,
    Codebook,
    CodebookError,
    _codebook_from_meta,
    codebook_from_sav,
    codebook_yaml_for,
)
from cfresearch.survey.sample import employees_codebook, responses_codebook


def _write(tmp_path, text: str, name: str = "codebook.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_yaml_round_trip_is_exact_and_queries_work(tmp_path):
    cb = responses_codebook()
    text = cb.to_yaml()
    back = Codebook.from_yaml(_write(tmp_path, text))
    assert back.to_yaml() == text  # deterministic, lossless
    assert back.variables == cb.variables
    assert (back.id, back.wave, back.strata, back.clusters, back.weight) == (
        "respondent_id", "wave", "region", "store_id", None)
    assert back.of_type("nps") == ["nps"]
    assert back.of_type("id", "pii") == ["respondent_id", "email"]
    assert len(back.of_type("likert")) == 10  # csat, ces and 8 attributes
    assert back.labels("region") == {1: "North", 2: "South", 3: "East", 4: "West", 5: "Central"}
    assert 99 not in back.labels("q_delivery")  # the missing code's label is not a value
    assert back.variables["q_delivery"].missing == [99]
    assert back.set_items("why")[:2] == ["why_price", "why_quality"]
    assert back["why_staff"].set == "why"
    with pytest.raises(KeyError, match="no variable 'nope'"):
        back.labels("nope")
    with pytest.raises(ValueError, match="unknown variable type"):
        back.of_type("likret")


def test_scales_and_reverse_items(tmp_path):
    cb = Codebook.from_yaml(_write(tmp_path, employees_codebook().to_yaml()))
    assert list(cb.scales) == ["att", "com", "kno", "con", "per", "cgr"]
    assert cb.scale_items("con") == ["con_1", "con_2", "con_3", "con_4"]
    assert cb.reverse_items("con") == ["con_2", "con_4"]
    assert cb.reverse_items("att") == ["att_3"]
    assert cb.scales["per"]["min"] == 1 and cb.scales["per"]["max"] == 5
    with pytest.raises(KeyError, match="no scale 'xyz'"):
        cb.scale_items("xyz")


def test_scale_membership_from_the_variables_alone(tmp_path):
    p = _write(tmp_path, """
variables:
  a1: {label: A one, type: likert, range: [1, 5], scale: a}
  a2: {label: A two, type: likert, range: [1, 5], scale: a, reverse: true}
  m1: {label: M one, type: multi, set: m}
""")
    cb = Codebook.from_yaml(p)
    assert cb.scale_items("a") == ["a1", "a2"] and cb.reverse_items("a") == ["a2"]
    assert cb.scales["a"]["min"] == 1 and cb.scales["a"]["max"] == 5
    assert cb.set_items("m") == ["m1"]


def test_invalid_yaml_codebook_names_file_and_every_variable(tmp_path):
    p = _write(tmp_path, """
title: broken
id: rid
variables:
  rid: {label: Respondent, type: id}
  q1: {label: Question one, type: likret, range: [1, 5]}
  q2: {type: likert, range: [1, 5]}
  q3: {label: Region, type: single}
  q4: {label: Rating, type: likert, range: [5, 1]}
  q5: {label: Mention, type: multi}
  q6: {label: Typo, type: numeric, rnage: [1, 2]}
scales:
  s: {label: S, items: [q2, q99]}
""")
    with pytest.raises(CodebookError) as err:
        Codebook.from_yaml(p)
    msg = str(err.value)
    assert str(p) in msg
    assert "variable 'q1': unknown type 'likret'" in msg and "expected one of id, pii" in msg
    assert "variable 'q2': missing label" in msg
    assert "variable 'q3': type single needs value labels" in msg
    assert "variable 'q4': range must be [min, max]" in msg
    assert "variable 'q5': type multi needs a multi-response set" in msg
    assert "variable 'q6': unknown key(s) rnage" in msg
    assert "scales 's': item 'q99' is not a variable" in msg
    assert "invalid codebook (7 problems)" in msg


def test_unreadable_or_missing_codebook(tmp_path):
    with pytest.raises(CodebookError, match="codebook file not found"):
        Codebook.from_yaml(tmp_path / "none.yaml")
    with pytest.raises(CodebookError, match="not a readable YAML"):
        Codebook.from_yaml(_write(tmp_path, "variables: [unclosed"))
    with pytest.raises(CodebookError, match="no 'variables' mapping"):
        Codebook.from_yaml(_write(tmp_path, "title: x\n"))
    with pytest.raises(CodebookError, match="is the id column, so its type must be id"):
        Codebook.from_yaml(_write(tmp_path, "id: a\nvariables:\n  a: {label: A, type: numeric}\n"))


@pytest.fixture()
def sav(tmp_path):
    """A small SPSS file with every kind of metadata pyreadstat can write."""
    df = pd.DataFrame({
        "resp_id": ["A1", "A2", "A3", "A4"],
        "wave": [1.0, 1.0, 2.0, 2.0],
        "region": [1.0, 2.0, 2.0, 3.0],
        "sat": [1.0, 5.0, 99.0, 4.0],
        "rec": [0.0, 10.0, 7.0, 98.0],
        "income": [20.5, 31.0, -9.0, 44.0],
        "email": ["a@example.com", "b@example.com", "", "d@example.com"],
        "remarks": ["Good", "", "Café ok", "Bad"],
        "weight": [1.0, 0.5, 2.0, 1.5],
    })
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(
        df, path, file_label="Test survey",
        column_labels={"resp_id": "Respondent", "wave": "Wave", "region": "Region", "sat": "Satisfaction",
                       "rec": "Recommend", "income": "Income (k)", "email": "E-mail", "remarks": "Remarks",
                       "weight": "Design weight"},
        variable_value_labels={
            "region": {1: "North", 2: "South", 3: "East"},
            "sat": {1: "Very poor", 2: "Poor", 3: "Fair", 4: "Good", 5: "Very good", 99: "Don't know"},
            "rec": {0: "Not at all likely", 1: "1", 2: "2", 3: "3", 4: "4", 5: "5", 6: "6", 7: "7", 8: "8", 9: "9",
                    10: "Extremely likely", 98: "Refused"},
        },
        missing_ranges={"sat": [99], "rec": [98], "income": [{"lo": -9, "hi": -1}]},
        variable_measure={"region": "nominal", "sat": "ordinal", "rec": "ordinal", "income": "scale",
                          "wave": "ordinal"},
    )
    return path


def test_codebook_from_sav_metadata(sav):
    cb = codebook_from_sav(sav)
    v = cb.variables
    assert cb.title == "Test survey"
    assert {n: x.type for n, x in v.items()} == {
        "resp_id": "id", "wave": "wave", "region": "single", "sat": "likert", "rec": "nps", "income": "numeric",
        "email": "pii", "remarks": "open", "weight": "weight"}
    assert (cb.id, cb.wave, cb.weight) == ("resp_id", "wave", "weight")
    assert v["sat"].label == "Satisfaction"
    assert v["region"].values == {1: "North", 2: "South", 3: "East"}
    assert v["sat"].missing == [99] and v["sat"].valid_range == (1, 5)
    assert v["rec"].missing == [98] and v["rec"].valid_range == (0, 10)
    assert v["income"].missing == [[-9, -1]]
    assert v["resp_id"].required


def test_codebook_yaml_for_round_trips_and_loads_the_sav(sav, tmp_path):
    from cfresearch.survey.loading import load_survey

    text = codebook_yaml_for(sav)
    raw = yaml.safe_load(text)
    assert raw["variables"]["sat"] == {
        "label": "Satisfaction", "type": "likert",
        "values": {1: "Very poor", 2: "Poor", 3: "Fair", 4: "Good", 5: "Very good", 99: "Don't know"},
        "missing": [99]}
    cb_path = _write(tmp_path, text)
    assert Codebook.from_yaml(cb_path).to_yaml() == text
    s = load_survey(sav, cb_path)
    assert s.data["sat"].tolist()[:2] == [1.0, 5.0] and np.isnan(s.data["sat"].iloc[2])
    assert np.isnan(s.data["rec"].iloc[3]) and np.isnan(s.data["income"].iloc[2])
    assert s.data["region"].tolist() == ["North", "South", "South", "East"]
    assert s.data["remarks"].isna().tolist() == [False, True, False, False]
    # Without a codebook, a .sav is loaded with the draft from its own metadata.
    assert load_survey(sav).data.equals(s.data)


def test_cli_codebook_prints_the_draft(sav, capsys):
    assert cli_main(["codebook", str(sav)]) == 0
    assert capsys.readouterr().out == codebook_yaml_for(sav)
    assert cli_main(["codebook", str(sav.with_name("absent.sav"))]) == 2
    assert "SPSS file not found" in capsys.readouterr().err


def test_multiple_response_sets_from_metadata():
    # meta.mr_sets as pyreadstat documents it (pyreadstat >= 1.2.8): SPSS '$why' dichotomy set.
    meta = SimpleNamespace(
        column_names=["why_a", "why_b", "q"],
        column_names_to_labels={"why_a": "Price", "why_b": "Quality", "q": "Rating"},
        variable_value_labels={"why_a": {0: "No", 1: "Yes"}, "why_b": {0: "No", 1: "Yes"}},
        readstat_variable_types={"why_a": "double", "why_b": "double", "q": "double"},
        original_variable_types={"why_a": "F1.0", "why_b": "F1.0", "q": "F8.2"},
        variable_measure={"why_a": "nominal", "why_b": "nominal", "q": "scale"},
        missing_ranges={}, missing_user_values={},
        mr_sets={"$why": {"type": "D", "is_dichotomy": True, "counted_value": 1, "label": "Why us?",
                          "variable_list": ["why_a", "why_b"]}},
    )
    cb = _codebook_from_meta(None, meta, title="t")
    assert cb.multi_sets == {"why": {"label": "Why us?", "items": ["why_a", "why_b"]}}
    assert cb.of_type("multi") == ["why_a", "why_b"] and cb["why_a"].set == "why"
    # ... and the YAML of it is a valid codebook.
    assert Codebook.from_dict(yaml.safe_load(cb.to_yaml())).set_items("why") == ["why_a", "why_b"]


def test_every_type_is_accepted():
    variables = {f"v_{t}": {"label": t, "type": t} for t in TYPES}
    variables["v_single"]["values"] = {1: "a"}
    variables["v_likert"]["range"] = [1, 5]
    variables["v_multi"]["set"] = "s"
    cb = Codebook.from_dict({"variables": variables})
    assert [v.type for v in cb.variables.values()] == list(TYPES)
