"""Human codings: reading codings.csv, filling offsets from turns and turns from offsets, and every problem
reported with the CSV line (header = line 1) and the column.

The reference for each selection is the document text itself: ``documents[d][start:end]`` must be the words
the coder selected (code points, half-open, as REFI-QDA 1.5 §10.2 and QualCoder's ``fulltext[pos0:pos1]``).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from cfresearch.qual.codebook import load_codebook
from cfresearch.qual.codings import CodingsError, check_codings, load_codings
from cfresearch.qual.corpus import CODING_COLUMNS, Corpus, empty_codings
from cfresearch.qual.transcripts import turns_from_text

FG1 = ("Moderator: What did you think of the staff?\n"
       "Anna: They were friendly, and the delivery came fast.\n"
       "Ben: Friendly, yes.\nBut the discount was a joke.\n")
FG2 = "Moderator: Xidmət necə idi?\nAyşə: İşçilər çox mehriban idi.\n"

CODEBOOK = """\
title: Service
codes:
  staff:
    label: Staff
    codable: false
    codes:
      friendly:
        label: Friendly staff
  delivery:
    label: Delivery
  discount:
    label: Discounts
"""


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    docs = {"FG1.en.txt": FG1, "FG2.az.txt": FG2}
    turns = pd.concat([turns_from_text(t, document=d, group=d.split(".")[0], language=d.split(".")[1])
                       for d, t in docs.items()], ignore_index=True)
    return Corpus(docs, turns)


@pytest.fixture(scope="module")
def codebook(tmp_path_factory):
    path = tmp_path_factory.mktemp("cb") / "codebook.yaml"
    path.write_text(CODEBOOK, encoding="utf-8")
    return load_codebook(path)


def write(tmp_path, text, name="codings.csv"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def span(word: str, text: str = FG1, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(word, start + 1)
    return start, start + len(word)


def issues_of(excinfo) -> list[tuple[int, str, str]]:
    return [(r.row, r.column, r.kind) for r in excinfo.value.issues.itertuples()]


def test_offsets_and_turns_fill_each_other(tmp_path, corpus, codebook):
    fs, fe = span("friendly")
    ds, de = span("delivery came fast")
    cross = (span("fast")[0], span("Friendly")[1])
    path = write(tmp_path, f"""\
        coder,document,start,end,turn,code
        A,FG1.en.txt,{fs},{fe},,friendly
        A,FG1.en.txt,,,3,discount
        B,FG1.en.txt,{ds},{de},2,delivery
        B,FG1.en.txt,{cross[0]},{cross[1]},,discount
        B,FG2.az.txt,,,2,friendly
        """)
    out = load_codings(path, corpus, codebook)
    assert list(out.columns) == CODING_COLUMNS
    assert out.dtypes.astype(str).tolist() == ["object", "object", "int64", "int64", "object", "float64"]
    selected = [corpus.documents[d][s:e] for d, s, e in zip(out["document"], out["start"], out["end"])]
    assert selected == ["friendly", "Friendly, yes.\nBut the discount was a joke.", "delivery came fast",
                        "fast.\nBen: Friendly", "İşçilər çox mehriban idi."]
    np.testing.assert_array_equal(out["turn"], [2, 3, 2, np.nan, 2])  # the cross-turn selection has no turn
    turns = corpus.turns.set_index(["document", "turn"])
    assert out.loc[1, ["start", "end"]].tolist() == turns.loc[("FG1.en.txt", 3), ["char_start", "char_end"]].tolist()


def test_every_problem_with_its_line_and_column(tmp_path, corpus, codebook):
    fs, fe = span("friendly")
    n = len(FG1)
    path = write(tmp_path, f"""\
        coder,document,start,end,turn,code
        A,FG1.en.txt,{fs},{fe},,friendly
        A,FG1.txt,{fs},{fe},,friendly
        A,FG1.en.txt,{fs},{fe},,frendly
        A,FG1.en.txt,{fs},{fe},,staff
        A,FG1.en.txt,12.5,abc,,delivery
        A,FG1.en.txt,40,30,,delivery
        A,FG1.en.txt,{n - 2},{n + 1},,delivery
        A,FG1.en.txt,,,9,delivery
        A,FG1.en.txt,{fs},{fe},3,delivery
        A,FG1.en.txt,,,,delivery
        A,FG1.en.txt,5,,,delivery
        A,FG1.en.txt,{fs},{fe},,friendly
        A,FG1.en.txt,{fs - 5},{fs + 2},,friendly
        ,FG1.en.txt,{fs},{fe},,friendly
        A,FG1.en.txt,-1,3,,delivery
        A,FG1.en.txt,,,0,delivery
        A,FG2.az.txt,,,NA,delivery
        """)
    with pytest.raises(CodingsError) as info:
        load_codings(path, corpus, codebook)
    assert issues_of(info) == [
        (3, "document", "unknown document"), (4, "code", "not a code"), (5, "code", "not codable"),
        (6, "start", "not an integer"), (6, "end", "not an integer"), (7, "end", "start >= end"),
        (8, "end", "out of range"), (9, "turn", "unknown turn"), (10, "turn", "turn and offsets disagree"),
        (11, "start", "missing value"), (12, "end", "missing value"), (13, "code", "duplicate"),
        (14, "start", "overlap"), (15, "coder", "missing value"), (16, "start", "out of range"),
        (17, "turn", "out of range"), (18, "turn", "not an integer")]
    issues = info.value.issues.set_index("row")
    assert "did you mean 'FG1.en.txt'" in issues.loc[3, "problem"]
    assert "did you mean 'friendly'" in issues.loc[4, "problem"]
    assert issues.loc[8, "problem"] == f"beyond the end of the document ({n} characters)"
    assert issues.loc[9, "problem"] == "no turn 9 in FG1.en.txt (it has turns 1..3)"
    t2 = corpus.turns.iloc[1]
    assert issues.loc[10, "problem"] == (f"the selection {fs}..{fe} is not inside turn 3 "
                                         f"({corpus.turns['char_start'].iat[2]}..{corpus.turns['char_end'].iat[2]})")
    assert t2["char_start"] <= fs < fe <= t2["char_end"]
    assert issues.loc[13, "problem"].startswith("duplicate of row 2")
    assert issues.loc[14, "problem"].startswith(f"overlaps row 2 ({fs}..{fe})")
    assert issues.loc[14, "value"] == f"{fs - 5}..{fs + 2}"
    msg = str(info.value)
    assert str(path) in msg and "17 problems in the codings" in msg
    assert info.value.row == 3 and info.value.column == "document"


def test_overlaps_are_per_coder_and_code_and_touching_is_fine(corpus, codebook):
    a, b = span("They were friendly")
    rows = pd.DataFrame({"coder": ["A", "A", "B", "A", "A", "A"],
                         "document": ["FG1.en.txt"] * 6,
                         "start": [a, b, a + 2, a + 1, b - 2, a],
                         "end": [b, b + 4, b, b - 1, b + 2, b],
                         "turn": [np.nan] * 6,
                         "code": ["friendly", "friendly", "friendly", "delivery", "delivery", "discount"]})
    out = check_codings(rows.iloc[:4], corpus, codebook)  # touching (b..), other coder, other code: fine
    assert len(out) == 4
    with pytest.raises(CodingsError) as info:
        check_codings(rows, corpus, codebook)
    assert issues_of(info) == [(6, "start", "overlap")]
    assert f"overlaps row 5 ({a + 1}..{b - 1})" in info.value.issues["problem"].iat[0]


def test_in_memory_tables_keep_extra_columns_and_take_row_numbers(corpus, codebook):
    s, e = span("mehriban", FG2)
    auto = pd.DataFrame({"coder": ["auto"], "document": ["FG2.az.txt"], "start": [s], "end": [e], "code": ["friendly"],
                         "language": ["az"], "match": ["mehriban"]})
    out = check_codings(auto, corpus, codebook)
    assert list(out.columns) == CODING_COLUMNS + ["language", "match"]
    assert out["turn"].tolist() == [2.0] and FG2[out["start"].iat[0]:out["end"].iat[0]] == "mehriban"
    with pytest.raises(CodingsError) as info:
        check_codings(auto.assign(end=e + 1000), corpus, codebook, path="auto.csv", rows=[41])
    assert issues_of(info) == [(41, "end", "out of range")] and str(info.value).startswith("auto.csv:")
    empty = check_codings(empty_codings(), corpus, codebook)
    assert empty.empty and empty.dtypes.astype(str).tolist() == ["object", "object", "int64", "int64", "object",
                                                                 "float64"]


def test_missing_columns(tmp_path, corpus, codebook):
    with pytest.raises(CodingsError) as info:
        load_codings(write(tmp_path, "coder,doc,start,code\nA,FG1.en.txt,1,friendly\n"), corpus, codebook)
    assert issues_of(info) == [(0, "document", "missing column"), (0, "end", "missing column")]
    only_turns = load_codings(write(tmp_path, "coder,document,turn,code\nA,FG1.en.txt,2,friendly\n"), corpus,
                              codebook)
    assert only_turns[["start", "end"]].iloc[0].tolist() == corpus.turns[["char_start", "char_end"]].iloc[1].tolist()
