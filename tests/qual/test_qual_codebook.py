"""The qualitative codebook: hierarchy, fields, patterns, and errors that name the line."""

from __future__ import annotations

import textwrap

import pytest

from cfresearch.qual.codebook import CodebookError, load_codebook

GOOD = """\
title: Service
codes:
  staff:
    label: Staff
    codable: false
    codes:
      staff_friendly:
        label: Friendly staff
        definition: Staff described as friendly.
        include: smiles, patience
        exclude: knowledge (staff_knowledge)
        example: "She was lovely."
        color: "#1f77b4"
        patterns:
          en: [friendly, "welcom*", "re:\\\\bnice (staff|people)\\\\b"]
          az: mehriban
      staff_knowledge:
        label: Knowledgeable staff
        patterns:
          fa: [بلد, اطلاعات]
  delivery:
    label: Delivery
"""


def write(tmp_path, text, name="codebook.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_hierarchy_fields_and_patterns(tmp_path):
    cb = load_codebook(write(tmp_path, GOOD))
    assert list(cb.codes) == ["staff", "staff_friendly", "staff_knowledge", "delivery"]
    assert cb.children(None) == ["staff", "delivery"] and cb.children("staff") == ["staff_friendly", "staff_knowledge"]
    assert cb.ancestors("staff_friendly") == ["staff"] and cb.level("staff_friendly") == 1
    f = cb["staff_friendly"]
    assert (f.label, f.include, f.exclude, f.example, f.color) == (
        "Friendly staff", "smiles, patience", "knowledge (staff_knowledge)", "She was lovely.", "#1f77b4")
    assert f.patterns["az"] == ("mehriban",) and f.patterns["en"][2].startswith("re:")
    assert not cb["staff"].codable and cb["delivery"].codable
    assert cb.languages == ["en", "az", "fa"]
    assert cb.to_frame().set_index("code").loc["staff_friendly", "patterns_en"] == 3
    assert "4 codes (2 at the top level, 3 codable)" in cb.summary()


def test_every_problem_is_reported_with_its_line(tmp_path):
    bad = """\
    codes:
      staff:
        label: Staff
        colour: red
      delivery:
        color: blue
        patterns:
          english: [late]
          en: ["re:(unclosed"]
      speed: just a string
    """
    with pytest.raises(CodebookError) as err:
        load_codebook(write(tmp_path, bad))
    message, issues = str(err.value), err.value.issues
    assert "codebook.yaml" in message
    rows = dict(zip(issues["problem"].str.slice(0, 20), issues["row"], strict=False))
    assert issues.loc[issues["column"] == "staff", "row"].tolist() == [2]  # unknown field 'colour', at the name
    assert "unknown field(s) ['colour']" in message
    delivery = issues[issues["column"] == "delivery"]
    assert set(delivery["row"]) == {5} and len(delivery) == 4  # colour, label, language, regex
    assert "'english' is not a language code" in message and "not a valid regular expression" in message
    assert "blue" in message and "a code needs a label" in message
    assert issues.loc[issues["column"] == "speed", "problem"].item() == "expected a mapping with at least a label"
    assert rows  # every problem has a row


def test_duplicate_names_and_keys(tmp_path):
    dup = """\
    codes:
      staff:
        label: Staff
        codes:
          late: {label: Late}
      late: {label: Late again}
    """
    with pytest.raises(CodebookError, match=r"code name 'late' is used twice \(first at line 5\)"):
        load_codebook(write(tmp_path, dup))
    twice = """\
    codes:
      staff: {label: Staff}
      staff: {label: Staff again}
    """
    with pytest.raises(CodebookError, match=r"line 3: .*'staff' is given twice"):
        load_codebook(write(tmp_path, twice))


def test_unreadable_files(tmp_path):
    with pytest.raises(CodebookError, match="codebook file not found"):
        load_codebook(tmp_path / "nope.yaml")
    (tmp_path / "latin1.yaml").write_bytes("codes:\n  caf\xe9: {label: x}\n".encode("latin-1"))
    with pytest.raises(CodebookError, match="not UTF-8"):
        load_codebook(tmp_path / "latin1.yaml")
    with pytest.raises(CodebookError, match="expected a mapping with 'codes'"):
        load_codebook(write(tmp_path, "- just\n- a list\n"))
