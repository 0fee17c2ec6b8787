"""Exemplar quotes: pseudonyms, names said in quotes, bidi spoofing, escaping, right-to-left display."""

from __future__ import annotations

import pandas as pd
import pytest

from cfresearch.qual.corpus import Corpus
from cfresearch.qual.quotes import clean_quote, exemplar_quotes, pseudonym_table, replace_names

LINES = [
    ("Moderator", "What about delivery?"),
    ("Ioana Popescu", "The courier came late twice, but <script>alert(1)</script> was the text they sent me."),
    ("Rəşad", "Mən razıyam, çatdırılma gec gəldi və heç kim zəng etmədi."),
    ("رضا", "پیک دیر آمد و \u202eهیچ‌کس\u202c زنگ نزد، واقعا ناراحت شدم از این وضع."),
    ("Ioana Popescu", "Rəşad is right, and the second time the box was late again and damaged too."),
]


@pytest.fixture
def corpus():
    text, rows, pos = "", [], 0
    for i, (speaker, words) in enumerate(LINES, start=1):
        line = f"{speaker}: {words}\n"
        start = pos + len(speaker) + 2
        rows.append({"group": "FG1", "document": "FG1.en.txt", "turn": i, "speaker": speaker, "text": words,
                     "char_start": start, "char_end": start + len(words), "language": "en" if i != 4 else "fa"})
        text += line
        pos += len(line)
    turns = pd.DataFrame(rows)
    people = pd.DataFrame({"group": "FG1", "speaker": ["Moderator", "Ioana Popescu", "Rəşad", "رضا"],
                           "role": ["moderator", "customer", "customer", "customer"],
                           "segment": [None, "Loyalty member", "New customer", "Occasional"]})
    c = Corpus({"FG1.en.txt": text}, turns, people)
    for t in c.turns.itertuples():
        assert text[t.char_start:t.char_end] == t.text
    return c


def _whole_turns(corpus, code="late", turns=(1, 2, 3, 4, 5), coder="A"):
    t = corpus.turns.set_index("turn")
    return pd.DataFrame([(coder, "FG1.en.txt", t.loc[i, "char_start"], t.loc[i, "char_end"], code, i) for i in turns],
                        columns=["coder", "document", "start", "end", "code", "turn"])


def test_pseudonyms_follow_the_participants_table_and_skip_moderators(corpus):
    table = pseudonym_table(corpus.participants)
    assert table["pseudonym"].tolist() == ["G1-M1", "G1-P01", "G1-P02", "G1-P03"]
    q = exemplar_quotes(_whole_turns(corpus), corpus, per_code=5).quotes
    assert set(q["speaker"]) == {"G1-P01", "G1-P02", "G1-P03"}  # one quote per speaker, no moderator
    assert not q["quote"].str.contains("Ioana|Popescu|Rəşad|رضا").any()


def test_names_said_in_quotes_are_replaced_in_any_script():
    assert replace_names("Rəşad is right", {"Rəşad Əliyev": "G1-P02"}) == "[G1-P02] is right"
    assert replace_names("با رضا موافقم", {"رضا": "G3-P01"}) == "با [G3-P01] موافقم"
    assert replace_names("Anatomy of Ana's visit", {"Ana": "G1-P01"}) == "Anatomy of [G1-P01]'s visit"


def test_bidi_overrides_are_stripped_and_html_escaped(corpus):
    q = exemplar_quotes(_whole_turns(corpus, turns=(2, 3, 4)), corpus, per_code=5)
    assert not q.quotes["quote"].str.contains("[\u202a-\u202e\u2066-\u2069]").any()
    html = q._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('dir="auto"') == len(q.quotes)
    assert 'lang="fa"' in html
    assert "\u202e" not in html


def test_clean_quote_removes_controls_but_keeps_persian_joiners():
    assert clean_quote("می\u200cخواهم\u2067x\u2069") == "می\u200cخواهمx"
    assert clean_quote("a\x00b\tc") == "ab c"


def test_most_agreed_quotes_first_and_long_turns_cut(corpus):
    codings = pd.concat([_whole_turns(corpus, turns=(2, 3, 5)), _whole_turns(corpus, turns=(5,), coder="B")])
    q = exemplar_quotes(codings, corpus, per_code=1).quotes
    assert q["turn"].tolist() == [5] and q["coders"].tolist() == [2]
    t5 = corpus.turns.set_index("turn").loc[5]
    at = t5.text.index("damaged")
    words = pd.DataFrame([("A", "FG1.en.txt", t5.char_start + at, t5.char_start + at + 7, "damaged", 5)],
                         columns=["coder", "document", "start", "end", "code", "turn"])
    cut = exemplar_quotes(words, corpus, max_words=8, min_words=1).quotes["quote"].item()
    assert cut == "… the box was late again and damaged too."
    middle = t5.text.index("box")
    words[["start", "end"]] = [t5.char_start + middle, t5.char_start + middle + 3]
    cut = exemplar_quotes(words, corpus, max_words=3, min_words=1).quotes["quote"].item()
    assert cut == "… the box was …"


def test_quotes_are_deterministic_and_spread_over_groups():
    rows = []
    for g in ("FG1", "FG2"):
        for i in range(1, 4):
            words = f"{g} speaker {i} says the delivery was late again this week"
            rows.append({"group": g, "document": g, "turn": i, "speaker": f"S{i}", "text": words,
                         "char_start": 0, "char_end": len(words), "language": "en"})
    turns = pd.DataFrame(rows)
    docs = {g: rows[0]["text"] for g in ("FG1", "FG2")}
    corpus = Corpus(docs, turns, None)
    codings = turns.assign(coder="A", start=0, end=turns["char_end"], code="late")[
        ["coder", "document", "start", "end", "code", "turn"]]
    a = exemplar_quotes(codings, corpus, per_code=2).quotes
    assert sorted(a["group"]) == ["FG1", "FG2"]
    pd.testing.assert_frame_equal(a, exemplar_quotes(codings, corpus, per_code=2).quotes)
