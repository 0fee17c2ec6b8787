"""Auto-coding by dictionary (cfresearch.qual.autocode).

Checks: every trap of shared/notes/qualitative.md §5 through the whole auto-coder (Azerbaijani capitals and
dotless i, Persian ZWNJ and its false word boundary, Arabic/Persian kaf and yeh, Romanian cedilla only for
ro, Cyrillic words and schwa), the pattern syntax (words, phrases across line breaks, wildcards, regexes),
sentence units, offsets into the documents (``documents[doc][start:end]``), language fallback and the
report of languages without a dictionary; the vectorised coder against the straightforward one (fold each
turn, ``re.search`` each pattern) on random turns; precision/recall against a hand count and against
scikit-learn's ``precision_recall_fscore_support`` on the same turn-by-code indicator matrices.
"""

from __future__ import annotations

import random
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_recall_fscore_support

from cfresearch.qual.autocode import (
    AUTO_CODING_COLUMNS,
    HIT_COLUMNS,
    AutocodeResult,
    autocode,
    autocode_accuracy,
    compile_dictionary,
    sentence_spans,
)
from cfresearch.qual.codebook import CodebookError, load_codebook
from cfresearch.qual.corpus import TURN_COLUMNS
from cfresearch.qual.folding import fold

ZWNJ = "\u200c"

CODEBOOK = """\
title: Test codebook
codes:
  staff:
    label: Staff
    codable: false
    codes:
      staff_friendly:
        label: Friendly staff
        patterns:
          en: [friendly, "welcom*", customer service]
          az: [mehriban, müştəri xidməti, işıq]
          fa: [مهربان, میخواهم]
          ro: [amabil, clienți, mulţumit]
          ms: ["*kan", mesra, "*layan*", "*kan diskaun"]
          ru: [сервис]
      staff_knowledge:
        label: Knowledgeable staff
        patterns:
          en: [knew their stuff, "expert*"]
          az: [şirkət, xidmət]
  quality:
    label: Quality
    patterns:
      fa: [کیفیت]
      ar: [كيفيت]
  waiting:
    label: Waiting
    patterns:
      en: ["re:\\\\d+ ?min(ute)?s?"]
      fa: ["re:\\\\d+ دقیقه"]
      fa-AF: [انتظار]
"""


@pytest.fixture(scope="module")
def codebook(tmp_path_factory):
    path = tmp_path_factory.mktemp("cb") / "codebook.yaml"
    path.write_text(CODEBOOK, encoding="utf-8")
    return load_codebook(path)


def make_turns(rows):
    """Documents and a turn table from (document, language, text) rows: each turn is a line `Pn: text`."""
    documents, records, count = {}, [], {}
    for doc, language, text in rows:
        before = documents.get(doc, "")
        turn = count[doc] = count.get(doc, 0) + 1
        label = f"P{turn}: "
        start = len(before) + len(label)
        documents[doc] = before + label + text + "\n"
        records.append({"group": doc.split(".")[0], "document": doc, "turn": turn, "speaker": f"P{turn}",
                        "start": np.nan, "end": np.nan, "text": text, "char_start": start,
                        "char_end": start + len(text), "language": language, "line": turn})
    turns = pd.DataFrame(records, columns=TURN_COLUMNS)
    assert all(documents[r.document][r.char_start:r.char_end] == r.text for r in turns.itertuples())
    return documents, turns


def quiet_autocode(turns, codebook, **kwargs) -> AutocodeResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return autocode(turns, codebook, **kwargs)


def hits_of(result, code=None):
    h = result.hits
    return h if code is None else h[h["code"] == code]


def assert_offsets(result, documents):
    for r in result.hits.itertuples():
        assert documents[r.document][r.start:r.end] == r.match
        assert r.unit_start <= r.start < r.end <= r.unit_end
    for r in result.codings.itertuples():
        for m in r.match.split(" | "):
            assert m in documents[r.document][r.start:r.end]


def test_azerbaijani_capitals_match_lower_case_patterns_with_exact_spans(codebook):
    docs, turns = make_turns([("FG2.az.txt", "az", "MÜŞTƏRİ XİDMƏTİ çox MEHRİBAN idi"),
                              ("FG2.az.txt", "az", "İŞIQ yox idi, IŞIQ var idi")])
    res = autocode(turns, codebook)
    h = hits_of(res, "staff_friendly")
    assert h["match"].tolist() == ["MÜŞTƏRİ XİDMƏTİ", "MEHRİBAN", "İŞIQ"]
    first = h.iloc[0]
    assert (first.start, first.end) == (4, 19) and docs["FG2.az.txt"][4:19] == "MÜŞTƏRİ XİDMƏTİ"
    # IŞIQ folds to ışıq in Azerbaijani: a different word from işıq (İŞIQ)
    assert "IŞIQ" not in h["match"].tolist()
    # xidmət (staff_knowledge) is not found inside XİDMƏTİ: whole words only
    assert hits_of(res, "staff_knowledge").empty
    assert_offsets(res, docs)


def test_persian_zwnj_word_is_matched_whole_and_not_by_its_tail(codebook, tmp_path):
    docs, turns = make_turns([("FG3.fa.txt", "fa", "من می" + ZWNJ + "خواهم که کیفیت بهتر باشد"),
                              ("FG3.fa.txt", "fa-IR", "من میخواهم"),
                              ("FG3.fa.txt", "fa", "خواهم رفت")])
    res = autocode(turns, codebook)
    h = hits_of(res, "staff_friendly")
    assert h["turn"].tolist() == [1, 2]
    assert h["match"].iloc[0] == "می" + ZWNJ + "خواهم"
    assert_offsets(res, docs)
    # a pattern for the tail only: re's \b would find it inside می‌خواهم; ours does not
    path = tmp_path / "tail.yaml"
    path.write_text("codes:\n  a:\n    label: A\n    patterns:\n      fa: [خواهم]\n  b:\n    label: B\n",
                    encoding="utf-8")
    tail = autocode(turns, load_codebook(path))
    assert tail.hits["turn"].tolist() == [3]
    assert re.search(r"\bخواهم\b", turns["text"][0])          # the false positive avoided


def test_arabic_and_persian_kaf_and_yeh_match_both_ways(codebook):
    arabic_letters, persian_letters = "كيفيت", "کیفیت"
    docs, turns = make_turns([("a.txt", "fa", f"{arabic_letters} خوب بود"), ("a.txt", "fa", persian_letters),
                              ("a.txt", "ar", f"ال{persian_letters}"), ("a.txt", "ar", persian_letters)])
    res = autocode(turns, codebook)
    h = hits_of(res, "quality")
    assert h["turn"].tolist() == [1, 2, 4]                       # turn 3: not a whole word
    assert h["match"].tolist() == [arabic_letters, persian_letters, persian_letters]
    assert h["dictionary"].tolist() == ["fa", "fa", "ar"]
    assert_offsets(res, docs)


def test_romanian_cedilla_and_comma_below_match_each_other_only_in_romanian(codebook):
    cedilla_clients, comma_content = "clienţi", "mulțumit"      # pattern: clienți (comma), mulţumit (cedilla)
    docs, turns = make_turns([("FG4.ro.txt", "ro", f"Toţi {cedilla_clients} erau {comma_content}."),
                              ("FG4.ro.txt", "ro", "CLIENȚI AMABILI, dar clienți amabil"),
                              ("FG2.az.txt", "az", "Bu șirkət"), ("FG2.az.txt", "az", "Bu ŞİRKƏT")])
    res = autocode(turns, codebook)
    h = hits_of(res, "staff_friendly")
    assert h["match"].tolist() == [cedilla_clients, comma_content, "CLIENȚI", "clienți", "amabil"]
    # Azerbaijani ş (cedilla) is its own letter: comma-below ș is not folded onto it
    k = hits_of(res, "staff_knowledge")
    assert k["match"].tolist() == ["ŞİRKƏT"] and k["document"].tolist() == ["FG2.az.txt"]
    assert_offsets(res, docs)


def test_cyrillic_words_have_boundaries_and_cyrillic_schwa_is_not_latin(codebook):
    docs, turns = make_turns([("r.txt", "ru", "Сервис был хороший."), ("r.txt", "ru", "Сервисный центр закрыт"),
                              ("r.txt", "ru", "(сервис)"), ("k.txt", "az", "Xidmәt yaxşı idi")])  # Cyrillic ә
    res = autocode(turns, codebook)
    assert hits_of(res, "staff_friendly")[["turn", "match"]].values.tolist() == [[1, "Сервис"], [3, "сервис"]]
    assert hits_of(res, "staff_knowledge").empty
    docs2, turns2 = make_turns([("k.txt", "az", "Xidmət yaxşı idi")])           # Latin ə
    assert hits_of(autocode(turns2, codebook), "staff_knowledge")["match"].tolist() == ["Xidmət"]


def test_wildcards_phrases_and_regexes(codebook):
    docs, turns = make_turns([
        ("e.txt", "en", "Welcoming place, a warm welcome; unwelcome guests"),
        ("e.txt", "en", "great customer\nservice and experts who knew  their\tstuff"),
        ("e.txt", "en", "We waited 45 minutes, then 5min more"),
        ("m.txt", "ms", "Mereka berikan diskaun dan dapatkan kanak-kanak; pelayanan, layan"),
        ("f.txt", "fa", "۴۵ دقیقه منتظر ماندیم"),
    ])
    res = autocode(turns, codebook)
    by_turn = res.hits.groupby(["document", "turn"])["match"].agg(list).to_dict()
    assert by_turn[("e.txt", 1)] == ["Welcoming", "welcome"]
    assert by_turn[("e.txt", 2)] == ["customer\nservice", "experts", "knew  their\tstuff"]
    assert by_turn[("e.txt", 3)] == ["45 minutes", "5min"]
    # suffix, infix and a phrase starting with a wildcard; not kanak-kanak
    assert by_turn[("m.txt", 1)] == ["berikan", "berikan diskaun", "dapatkan", "pelayanan", "layan"]
    assert by_turn[("f.txt", 1)] == ["۴۵ دقیقه"]                              # Persian digits match \d
    assert_offsets(res, docs)
    # the coding of turn 2 is the whole turn, with both matched phrases
    row = res.codings[(res.codings.document == "e.txt") & (res.codings.turn == 2)
                      & (res.codings.code == "staff_knowledge")].iloc[0]
    assert docs["e.txt"][row.start:row.end] == turns.text[1] and row.match == "experts | knew  their\tstuff"


def test_codings_follow_the_contract(codebook):
    docs, turns = make_turns([("e.txt", "en", "Friendly, friendly, FRIENDLY staff"), ("e.txt", "en", "nothing")])
    res = autocode(turns, codebook)
    assert list(res.codings.columns) == AUTO_CODING_COLUMNS and list(res.hits.columns) == HIT_COLUMNS
    c = res.codings.iloc[0]
    assert len(res.codings) == 1 and len(res.hits) == 3
    assert (c.coder, c.document, c.start, c.end, c.code, c.turn, c.language) == \
        ("auto", "e.txt", 4, 38, "staff_friendly", 1.0, "en")
    assert c.match == "Friendly | friendly | FRIENDLY"
    assert res.codings["start"].dtype == np.int64 and res.codings["turn"].dtype == np.float64
    assert res.counts().to_dict("records") == [{"code": "staff_friendly", "units": 1, "hits": 3}]
    assert "<table" in res._repr_html_()
    assert res.to_frame().equals(res.codings)


def test_sentence_units(codebook):
    text = "Hello there. The staff were friendly! Delivery took 20 minutes…\nAnd it was \"friendly.\" Yes"
    persian = "سلام. کیفیت خوب بود؟ بله"
    docs, turns = make_turns([("e.txt", "en", text), ("f.txt", "fa", persian)])
    res = autocode(turns, codebook, unit="sentence")
    got = {(r.document, r.code): [] for r in res.codings.itertuples()}
    for r in res.codings.itertuples():
        got[(r.document, r.code)].append(docs[r.document][r.start:r.end])
    assert got == {("e.txt", "staff_friendly"): ["The staff were friendly!", "And it was \"friendly.\""],
                   ("e.txt", "waiting"): ["Delivery took 20 minutes…"],
                   ("f.txt", "quality"): ["کیفیت خوب بود؟"]}
    assert res.unit == "sentence" and "unit: sentence" in res.summary()
    assert_offsets(res, docs)


def test_sentence_spans():
    t = "  Mr. Aliyev came. He paid 3.5 manat!!  Then left\n\nسلام؟ خوبم۔ «بله.» ok"
    assert [t[a:b] for a, b in sentence_spans(t)] == ["Mr.", "Aliyev came.", "He paid 3.5 manat!!", "Then left",
                                                       "سلام؟", "خوبم۔", "«بله.»", "ok"]
    assert sentence_spans("").shape == (0, 2) and sentence_spans("   \n ").shape == (0, 2)


def test_language_fallback_and_languages_without_dictionary(codebook):
    docs, turns = make_turns([("x.txt", "fa-IR", "کیفیت"), ("x.txt", "fa-AF", "انتظار کیفیت"),
                              ("x.txt", "und", "friendly"), ("x.txt", "de", "freundlich"),
                              ("x.txt", "EN-gb", "friendly")])
    with pytest.warns(UserWarning, match="no dictionary for language.*'und' \\(1 turns\\), 'de' \\(1 turns\\)"):
        res = autocode(turns, codebook)
    assert res.hits[["language", "dictionary", "code"]].values.tolist() == [
        ["fa-IR", "fa", "quality"], ["fa-AF", "fa-AF", "waiting"], ["EN-gb", "en", "staff_friendly"]]
    assert res.languages_without_dictionary == ["und", "de"]
    assert "No dictionary for: und (1 turns), de (1 turns)" in res.summary()
    cov = res.coverage.set_index("language")
    assert cov.loc["und", "dictionary"] == "" and cov.loc["fa-IR", "coded"] == 1 and cov["turns"].sum() == 5
    # fa-AF patterns replace fa patterns (RFC 4647 lookup), they do not add to them
    assert "quality" not in res.hits[res.hits.language == "fa-AF"]["code"].tolist()
    # languages= limits the dictionary; a language the codebook lacks is reported
    only = compile_dictionary(codebook, languages=["en", "xx"])
    assert only.languages == ["en"] and any("'xx'" in w for w in only.warnings)
    assert quiet_autocode(turns, None, dictionary=only).hits["turn"].tolist() == [5]


def test_bad_patterns_and_arguments(codebook, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("codes:\n  a:\n    label: A\n    patterns:\n      en: [ok, '*']\n  b:\n    label: B\n",
                    encoding="utf-8")
    with pytest.raises(CodebookError, match=r"row 2, column a: value '\*'"):
        compile_dictionary(load_codebook(path))
    folder = tmp_path / "folder.yaml"
    folder.write_text("codes:\n  a:\n    label: A\n    codable: false\n    patterns:\n      en: [x]\n  b:\n"
                      "    label: B\n", encoding="utf-8")
    assert "not codable" in compile_dictionary(load_codebook(folder)).warnings[0]
    _, turns = make_turns([("e.txt", "en", "x")])
    with pytest.raises(ValueError, match="unit must be one of"):
        autocode(turns, codebook, unit="paragraph")
    with pytest.raises(ValueError, match="no column 'char_start'"):
        autocode(turns.drop(columns="char_start"), codebook)
    empty = autocode(turns, codebook)
    assert empty.codings.empty and list(empty.codings.columns) == AUTO_CODING_COLUMNS
    assert "0 of 1 turns coded" in empty.summary()


def test_regex_literals_are_folded_but_syntax_is_not(codebook, tmp_path):
    path = tmp_path / "rx.yaml"
    path.write_text("codes:\n  a:\n    label: A\n    patterns:\n      en: ['re:(?P<Num>\\d+)\\s*MINUTES?\\b']\n"
                    "      fa: ['re:کیفیت\\S*']\n  b:\n    label: B\n", encoding="utf-8")
    d = compile_dictionary(load_codebook(path))
    assert d.to_frame()["regex"].tolist() == [r"(?P<Num>\d+)\s*minutes?\b", r"كيفيت\S*"]
    words = compile_dictionary(codebook, languages=["en"]).to_frame()["regex"].tolist()
    assert words[:3] == [r"friendly(?<!\wfriendly)(?!\w)", r"welcom(?<!\wwelcom)\w*",
                         r"customer(?<!\wcustomer)\s+service(?!\w)"]
    docs, turns = make_turns([("e.txt", "en", "took 12 Minutes"), ("f.txt", "fa", "كيفيتش")])
    res = autocode(turns, None, dictionary=d)
    assert res.hits["match"].tolist() == ["12 Minutes", "كيفيتش"]
    # a regex whose folded form does not compile ([Z-a] would become [z-a]) is used as written, with a warning
    path.write_text("codes:\n  a:\n    label: A\n    patterns:\n      en: ['re:[Z-a]+']\n  b:\n    label: B\n",
                    encoding="utf-8")
    d = compile_dictionary(load_codebook(path))
    assert d.patterns[0].regex == "[Z-a]+" and "does not compile once its literals are folded" in d.warnings[0]


def naive_codes(turns, dictionary):
    """The straightforward auto-coder: fold each turn, re.search each pattern of its language (each
    pattern's own regex, forwards, on the turn alone)."""
    out = set()
    for r in turns.itertuples():
        lang = dictionary.resolve(r.language)
        if lang is None:
            continue
        text = fold(r.text, lang).text
        out |= {(r.document, r.turn, p.code) for p in dictionary.patterns
                if p.language == lang and re.search(p.regex, text)}
    return out


def naive_hits(turns, dictionary):
    out = []
    for r in turns.itertuples():
        lang = dictionary.resolve(r.language)
        if lang is None:
            continue
        f = fold(r.text, lang)
        for p in dictionary.patterns:
            if p.language == lang:
                out += [(r.document, r.turn, p.code, *(r.char_start + x for x in f.span(*m.span())))
                        for m in re.finditer(p.regex, f.text)]
    return sorted(out)


def test_vectorised_coder_agrees_with_the_straightforward_one(codebook):
    words = {"en": ["Friendly", "staff", "welcoming", "customer", "service", "45", "minutes", "experts", "knew",
                    "their", "stuff", "the", "was"],
             "az": ["MÜŞTƏRİ", "xidməti", "İŞIQ", "IŞIQ", "şirkət", "Mehriban", "çox", "idi", "xidmət"],
             "fa": ["می" + ZWNJ + "خواهم", "كيفيت", "کیفیت", "کِیفیّت", "مهربان", "۴۵", "دقیقه", "خوب", "بود"],
             "ro": ["clienţi", "clienți", "mulțumit", "AMABIL", "şi", "erau"],
             "ms": ["berikan", "kanak-kanak", "mesra", "dapatkan", "diskaun"]}
    rng = random.Random(11)
    rows = []
    for i in range(600):
        lang = rng.choice([*words, "und", "fa-IR"])
        vocab = words.get(lang.split("-")[0], words["en"])
        text = "".join(rng.choice(vocab) + rng.choice([" ", " ", "  ", ", ", "\n", ". "]) for _ in range(8)).strip()
        rows.append((f"D{i % 7}.txt", lang, text))
    docs, turns = make_turns(rows)
    dictionary = compile_dictionary(codebook)
    res = quiet_autocode(turns, None, dictionary=dictionary)
    got = {(r.document, int(r.turn), r.code) for r in res.codings.itertuples()}
    assert got == naive_codes(turns, dictionary) and len(got) > 300
    mine = sorted(zip(res.hits.document, res.hits.turn, res.hits.code, res.hits.start, res.hits.end))
    assert mine == naive_hits(turns, dictionary)
    assert_offsets(res, docs)


# ------------------------------------------------------------------------------------------ accuracy

def test_accuracy_by_hand():
    """Turns 1-5 of one document (turn 6 is the moderator's and is left out). Auto: a in 1, 2, 3; b in 1, 5;
    c in 6. Reference: a in 1, 3 (turn 3 by a span) and 4; b as a span over turns 4-5; c in 2.
    a: tp 2 (1, 3), fp 1 (2), fn 1 (4): P = 2/3, R = 2/3, F1 = 2/3.
    b: tp 1 (5), fp 1 (1), fn 1 (4): P = R = F1 = 1/2.   c: tp 0, fp 0 (turn 6 not counted), fn 1: P = NaN,
    R = 0, F1 = 0.   micro: tp 3, fp 2, fn 3: P = 3/5, R = 1/2, F1 = 6/11.  macro F1 = (2/3 + 1/2 + 0)/3."""
    turns = pd.DataFrame({"document": "d", "turn": [1, 2, 3, 4, 5, 6], "char_start": [0, 10, 20, 30, 40, 50],
                          "char_end": [8, 18, 28, 38, 48, 58]})
    participants = turns[turns.turn != 6]
    auto = pd.DataFrame({"coder": "auto", "document": "d", "start": 0, "end": 0, "turn": [1, 2, 3, 1, 5, 6],
                         "code": ["a", "a", "a", "b", "b", "c"]})
    ref = pd.DataFrame({"coder": "ann", "document": "d", "start": [0, 21, 30, 33, 12],
                        "end": [8, 25, 38, 45, 14], "turn": [1, np.nan, 4, np.nan, np.nan],
                        "code": ["a", "a", "a", "b", "c"]})
    res = autocode_accuracy(auto, ref, participants)
    t = res.to_frame().set_index("code")
    assert t[["tp", "fp", "fn", "tn"]].to_dict("index") == {
        "a": {"tp": 2, "fp": 1, "fn": 1, "tn": 1}, "b": {"tp": 1, "fp": 1, "fn": 1, "tn": 2},
        "c": {"tp": 0, "fp": 0, "fn": 1, "tn": 4}, "(micro)": {"tp": 3, "fp": 2, "fn": 3, "tn": 7}}
    assert t.loc["a", ["precision", "recall", "f1"]].tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3])
    assert t.loc["b", ["precision", "recall", "f1"]].tolist() == pytest.approx([0.5, 0.5, 0.5])
    assert np.isnan(t.loc["c", "precision"]) and t.loc["c", "recall"] == 0 and t.loc["c", "f1"] == 0
    assert t.loc["(micro)", ["precision", "recall", "f1"]].tolist() == pytest.approx([0.6, 0.5, 6 / 11])
    assert res.macro_f1 == pytest.approx((2 / 3 + 0.5 + 0) / 3)
    assert res.n == 5 and res.reference == "ann" and "micro precision 0.600" in res.summary()
    with pytest.raises(ValueError, match="2 coders"):
        autocode_accuracy(auto, pd.concat([ref, ref.assign(coder="bob")]), participants)


def test_accuracy_agrees_with_scikit_learn(codebook):
    rng = np.random.default_rng(5)
    n, codes = 300, ["a", "b", "c", "d"]
    truth = rng.random((n, 4)) < [0.3, 0.1, 0.5, 0.05]
    pred = np.where(rng.random((n, 4)) < 0.2, ~truth, truth)
    turns = pd.DataFrame({"document": "d", "turn": np.arange(1, n + 1), "char_start": np.arange(n) * 10,
                          "char_end": np.arange(n) * 10 + 9})

    def codings(mask, coder):
        i, j = np.nonzero(mask)
        return pd.DataFrame({"coder": coder, "document": "d", "turn": i + 1.0, "code": np.array(codes)[j]})

    res = autocode_accuracy(codings(pred, "auto"), codings(truth, "truth"), turns, codes=codes)
    t = res.to_frame().set_index("code")
    p, r, f, s = precision_recall_fscore_support(truth, pred, average=None, zero_division=np.nan)
    np.testing.assert_allclose(t.loc[codes, "precision"], p)
    np.testing.assert_allclose(t.loc[codes, "recall"], r)
    np.testing.assert_allclose(t.loc[codes, "f1"], f)
    assert t.loc[codes, "support"].tolist() == s.tolist()
    micro = precision_recall_fscore_support(truth, pred, average="micro")
    np.testing.assert_allclose(t.loc["(micro)", ["precision", "recall", "f1"]].astype(float), micro[:3])
    assert res.macro_f1 == pytest.approx(precision_recall_fscore_support(truth, pred, average="macro")[2])
    # an AutocodeResult is accepted as it is
    docs, tt = make_turns([("e.txt", "en", "friendly"), ("e.txt", "en", "no")])
    auto = autocode(tt, codebook)
    ref = pd.DataFrame({"coder": "h", "document": "e.txt", "turn": [2.0], "code": ["staff_friendly"]})
    assert autocode_accuracy(auto, ref, tt).to_frame()[["tp", "fp", "fn"]].values.tolist() == [[0, 1, 1], [0, 1, 1]]
