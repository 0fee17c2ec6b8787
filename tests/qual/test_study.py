"""The focus-group study on its bundled sample: the figures the report and the issue's note rest on.

* the dictionary's auto-coding against the sample's truth (truth.yaml), overall and per language;
* the REFI-QDA round trip of the whole sample (nine transcripts, five languages, two coders) through a
  schema-valid .qdpx;
* the study loader, agreement ordered as the codebook, and the open-answer coding of survey comments.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import xmlschema
import yaml

from cfresearch.paths import sample_dir
from cfresearch.qual import autocode_accuracy, code_answers, export_qdpx, import_qdpx, load_focus_groups

BASE = sample_dir() / "focus_groups"
SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "refi_qda" / "Project-mrt2019.xsd"


@pytest.fixture(scope="module")
def study():
    return load_focus_groups(BASE / "transcripts", BASE / "participants.csv", BASE / "codebook.yaml",
                             BASE / "codings.csv")


@pytest.fixture(scope="module")
def truth(study):
    """truth.yaml as codings of a coder "truth" (whole turns)."""
    raw = yaml.safe_load((BASE / "truth.yaml").read_text(encoding="utf-8"))
    t = study.corpus.turns.set_index(["document", "turn"])
    rows = [("truth", doc, t.loc[(doc, turn), "char_start"], t.loc[(doc, turn), "char_end"], code, turn)
            for doc, turns in raw.items() for turn, codes in turns.items() for code in codes]
    return pd.DataFrame(rows, columns=["coder", "document", "start", "end", "code", "turn"])


def test_autocoding_against_truth(study, truth):
    """Precision and recall of the dictionary against the true codes of every participant turn (the figures in
    the issue's closing note); a fold or boundary bug in any script drops them visibly."""
    acc = autocode_accuracy(study.auto, truth, study.turns)
    micro = acc.to_frame().set_index("code").loc["(micro)"]
    assert acc.n == 188 and micro["support"] == 252
    assert micro["precision"] >= 0.78 and micro["recall"] >= 0.80, micro
    for language in ("en", "az", "fa", "ro", "ms"):
        turns = study.turns[study.turns["language"] == language]
        f1 = autocode_accuracy(study.auto, truth[truth["document"].isin(turns["document"])], turns).to_frame()
        assert f1["f1"].iloc[-1] >= 0.70, (language, f1["f1"].iloc[-1])


def test_turns_that_need_folding_are_found(study):
    """Turns the sample plants for the folding traps (az capitals, Persian ZWNJ and Arabic letters, Romanian
    cedilla) are auto-coded with the code truth gives them."""
    hits = set(map(tuple, study.auto.codings[["document", "turn", "code"]].to_numpy()))
    raw = yaml.safe_load((BASE / "truth.yaml").read_text(encoding="utf-8"))
    for doc, turn in (("FG2.az.vtt", 23), ("FG3.fa.txt", 22), ("INT2.fa.vtt", 15), ("FG4.ro.srt", 12)):
        assert any((doc, turn, code) in hits for code in raw[doc][turn]), (doc, turn, raw[doc][turn])


def test_the_sample_round_trips_through_a_valid_qdpx(study, tmp_path):
    path = export_qdpx(study.corpus, study.codebook, study.codings, tmp_path / "sample.qdpx",
                       participants=study.participants)
    import zipfile

    with zipfile.ZipFile(path) as z:
        xmlschema.XMLSchema(str(SCHEMA)).validate(z.read("project.qde").decode("utf-8"))
    back = import_qdpx(path)
    key = ["coder", "document", "start", "end", "code"]
    mine = study.codings[key].drop_duplicates().sort_values(key).reset_index(drop=True)
    theirs = back.codings[key].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    assert back.corpus.documents == study.corpus.documents
    assert list(back.codebook.codes) == list(study.codebook.codes)
    assert len(back.cases) == len(study.participants)


def test_agreement_follows_the_codebook_order(study):
    table = study.agreement(bootstrap=0).to_frame()
    codable = [c for c in study.codebook.codes if study.codebook[c].codable]
    assert table["code"].tolist() == [*codable, "(overall)"]
    assert table["alpha"].iloc[-1] == pytest.approx(0.711, abs=0.001)  # the pooled alpha of the sample's coders


def test_language_filter_keeps_codings_of_the_kept_documents(study):
    fa = load_focus_groups(BASE / "transcripts", BASE / "participants.csv", BASE / "codebook.yaml",
                           BASE / "codings.csv", languages=["fa"])
    assert sorted(fa.corpus.documents) == ["FG3.fa.txt", "INT2.fa.vtt"]
    assert set(fa.codings["document"]) == {"FG3.fa.txt", "INT2.fa.vtt"}
    assert len(fa.codings) == (study.codings["document"].isin(["FG3.fa.txt", "INT2.fa.vtt"])).sum()
    with pytest.raises(ValueError, match=r"no transcript in \['de'\]"):
        load_focus_groups(BASE / "transcripts", BASE / "participants.csv", BASE / "codebook.yaml", languages=["de"])


def test_the_codebook_codes_open_survey_answers(study):
    answers = pd.DataFrame({"comment": ["The delivery came three hours late and the box was damaged",
                                        "Staff were friendly and polite", "  ", None],
                            "lang": ["en", "en", "en", "en"]})
    themes = code_answers(answers, "comment", study.codebook, language_column="lang")
    assert themes.loc[0, "theme_delivery"] == 1 and themes.loc[0, "theme_delivery_damaged"] == 1
    assert themes.loc[1, "theme_staff_friendly"] == 1 and themes.loc[1, "theme_delivery"] == 0
    assert themes.loc[2:].isna().all().all()
    assert themes.attrs["labels"]["theme_delivery"] == "Delivery"
