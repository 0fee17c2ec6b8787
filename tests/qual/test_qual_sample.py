"""The deterministic focus-group sample: byte-identical regeneration, the committed copy, and what it promises.

The transcripts are read here by a small independent parser of each format (regular expressions for .txt, .vtt
and .srt, python-docx paragraphs for .docx) that builds the documents by the rules of the shared contracts; the
truth and both coders' codings are checked against it, and so is cfresearch's own reader. The coders' agreement
with truth and with each other is computed from the raw files, and Cohen's kappa is taken from scikit-learn and
statsmodels side by side.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from docx import Document
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa

from cfresearch.qual.codebook import load_codebook
from cfresearch.qual.sample import CODER_ERRORS, write_sample

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "focus_groups"
DOCS = ["FG1.en.txt", "FG2.az.vtt", "FG3.fa.txt", "FG4.ro.srt", "FG5.ms.txt", "FG6.en.docx", "INT1.en.srt",
        "INT2.fa.vtt", "INT3.ms.docx"]
FILES = ["codebook.yaml", "participants.csv", *[f"transcripts/{d}" for d in DOCS], "truth.yaml", "codings.csv"]
TOP = ["first_impressions", "staff", "speed_convenience", "delivery", "complaints", "loyalty", "promises",
       "employee_needs"]
LABEL = re.compile(r"^(?:\[(\d\d):(\d\d):(\d\d)\] )?([^\W_][\w .'\-]{0,39}): (.*)$")


# ─── an independent reading of the four formats ───────────────────────────────────────────────────────────

def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _canonical(cues: list[tuple[int | None, str, str]]) -> str:
    return "".join((f"[{_clock(s)}] " if s is not None else "") + f"{who}: {text}\n" for s, who, text in cues)


def _cues(path: Path) -> list[tuple[int | None, str, str]]:
    """(start second, speaker, words) of each cue or paragraph of a .vtt, .srt or .docx file."""
    if path.suffix == ".docx":
        return [(None, *p.text.split(": ", 1)) for p in Document(path).paragraphs if p.text]
    raw = path.read_text(encoding="utf-8")
    sep = "." if path.suffix == ".vtt" else ","
    out = []
    for m in re.finditer(rf"^(\d\d):(\d\d):(\d\d){sep}(\d{{3}}) --> (\d\d):(\d\d):(\d\d){sep}(\d{{3}})\n(.+)$", raw,
                         re.M):
        start, end = (3600 * int(h) + 60 * int(mi) + int(s) + int(ms) / 1000
                      for h, mi, s, ms in (m.groups()[:4], m.groups()[4:8]))
        assert start.is_integer() and end > start, (path.name, m.group(0))
        line = m.group(9)
        who, text = re.fullmatch(r"<v ([^>]+)>(.*)", line).groups() if path.suffix == ".vtt" else line.split(": ", 1)
        out.append((int(start), who, text))
    return out


def _read(path: Path) -> tuple[str, pd.DataFrame]:
    """The document text and its turns (turn, speaker, start, text, char_start, char_end)."""
    if path.suffix == ".txt":
        document = unicodedata.normalize("NFC", path.read_bytes().decode("utf-8-sig")).replace("\r\n", "\n")
    else:
        document = _canonical(_cues(path))
    rows, pos = [], 0
    for line in document.split("\n"):
        m = LABEL.match(line)
        if m:
            start = None if m.group(1) is None else 3600 * int(m.group(1)) + 60 * int(m.group(2)) + int(m.group(3))
            at = pos + m.start(5)
            rows.append({"turn": len(rows) + 1, "speaker": m.group(4), "start": start, "text": m.group(5),
                         "char_start": at, "char_end": at + len(m.group(5))})
        elif line.strip():                                  # a further line of the turn
            rows[-1]["text"] += "\n" + line
            rows[-1]["char_end"] = pos + len(line)
        pos += len(line) + 1
    return document, pd.DataFrame(rows)


# ─── fixtures ──────────────────────────────────────────────────────────────────────────────────────────────

@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("a") / "focus_groups"
    written = write_sample(dest)
    assert [p.relative_to(dest).as_posix() for p in written] == FILES
    return dest


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[str, pd.DataFrame]]:
    return {d: _read(SAMPLE / "transcripts" / d) for d in DOCS}


@pytest.fixture(scope="module")
def participants() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "participants.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def truth() -> dict:
    return yaml.safe_load((SAMPLE / "truth.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def codings(corpus) -> pd.DataFrame:
    """The codings with the turn of every Coder A selection found from its offsets."""
    rows = list(csv.DictReader(io.StringIO((SAMPLE / "codings.csv").read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["coder", "document", "start", "end", "turn", "code"]
    for r in rows:
        if r["turn"]:
            assert not r["start"] and not r["end"], r
            r["turn"] = int(r["turn"])
        else:
            start, end = int(r["start"]), int(r["end"])
            turns = corpus[r["document"]][1]
            hit = turns[(turns["char_start"] <= start) & (end <= turns["char_end"])]
            assert len(hit) == 1 and start < end, r
            r["turn"] = int(hit["turn"].iloc[0])
    return pd.DataFrame(rows)


# ─── determinism ───────────────────────────────────────────────────────────────────────────────────────────

def _members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def test_byte_identical_from_run_to_run(fresh, tmp_path):
    write_sample(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (fresh / name).read_bytes(), name


def test_committed_files_equal_a_fresh_generation(fresh):
    for name in FILES:
        new, old = (fresh / name).read_bytes(), (SAMPLE / name).read_bytes()
        if name.endswith(".docx"):                          # the same parts; deflate bytes may vary with zlib
            assert _members(new) == _members(old), f"{name}: run `make sample-data`"
        else:
            assert new == old, f"{name} differs from a fresh generation: run `make sample-data`"
    assert sorted(p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*") if p.is_file()) == sorted(FILES)


def test_docx_is_deterministic_inside(fresh):
    for doc in ("FG6.en.docx", "INT3.ms.docx"):
        with zipfile.ZipFile(fresh / "transcripts" / doc) as z:
            assert {i.date_time for i in z.infolist()} == {(2025, 6, 2, 9, 30, 0)}
            assert z.namelist()[0] == "[Content_Types].xml"
        props = Document(fresh / "transcripts" / doc).core_properties
        assert props.author == "cfresearch sample data" and props.created.year == 2025


# ─── the transcripts ───────────────────────────────────────────────────────────────────────────────────────

def test_formats_languages_and_sizes(corpus, participants):
    assert {d.rsplit(".", 1)[1] for d in DOCS} == {"txt", "vtt", "srt", "docx"}
    languages = [d.split(".")[1] for d in DOCS]
    assert set(languages) == {"en", "az", "fa", "ro", "ms"} and languages.count("en") >= 2
    timed = {d: corpus[d][1]["start"].notna().all() for d in DOCS if d.endswith(".txt")}
    assert timed == {"FG1.en.txt": True, "FG3.fa.txt": False, "FG5.ms.txt": True}
    raw5 = (SAMPLE / "transcripts" / "FG5.ms.txt").read_bytes()
    assert raw5.startswith(b"\xef\xbb\xbf") and raw5.count(b"\r\n") == raw5.count(b"\n")
    assert b"\r" not in (SAMPLE / "transcripts" / "FG1.en.txt").read_bytes()
    total = 0
    for doc, (_, turns) in corpus.items():
        group = doc.split(".")[0]
        people = participants[participants["group"] == group]
        assert set(turns["speaker"]) == set(people["speaker"]), doc
        size = len(turns)
        assert (25 <= size <= 45) if group.startswith("FG") else (15 <= size <= 25), (doc, size)
        if group.startswith("FG"):
            assert 4 <= (people["role"] != "moderator").sum() <= 8
        total += size
    assert 200 <= total <= 400


def test_times_increase(corpus):
    """Cue and turn start times increase; every cue ends after it starts (checked in _cues)."""
    timed = [d for d in DOCS if corpus[d][1]["start"].notna().all()]
    assert timed == ["FG1.en.txt", "FG2.az.vtt", "FG4.ro.srt", "FG5.ms.txt", "INT1.en.srt", "INT2.fa.vtt"]
    for doc in timed:
        assert (np.diff(corpus[doc][1]["start"].to_numpy(dtype=float)) > 0).all(), doc


def test_planted_text_phenomena(corpus):
    text = {d: corpus[d][0] for d in DOCS}
    raw1 = (SAMPLE / "transcripts" / "FG1.en.txt").read_text(encoding="utf-8")
    assert "cafe\u0301" in raw1 and "cafe\u0301" not in text["FG1.en.txt"]          # NFD in the file, NFC in text
    assert '<script>alert("hi")</script>' in text["FG1.en.txt"] and "<b>" in text["FG1.en.txt"]
    fg1 = corpus["FG1.en.txt"][1]
    assert fg1["text"].str.contains("\n").sum() == 1                                 # the message on its own line
    assert fg1["text"].str.contains(r"\b(?:Gareth|Tom)\b").sum() >= 2                # participants named by others
    assert "MÜŞTƏRİ XİDMƏTİ" in text["FG2.az.vtt"] and "AYIBDIR" in text["FG2.az.vtt"]
    for doc in ("FG3.fa.txt", "INT2.fa.vtt"):
        assert "\u200c" in text[doc] and "\u0643" in text[doc] and "\u064a" in text[doc]
    assert "می\u200cخواهم" in text["FG3.fa.txt"] and "می\u200cکنند" in text["FG3.fa.txt"]
    assert text["FG3.fa.txt"].count("\u202e") == 1
    ro = text["FG4.ro.srt"]
    assert all(ch in ro for ch in "șțşţ")                                            # comma-below and cedilla
    assert "kanak-kanak" in text["FG5.ms.txt"] and "dihantar" in text["FG5.ms.txt"]
    assert "penghantaran" in text["FG5.ms.txt"]
    for doc in ("FG2.az.vtt", "INT1.en.srt", "INT2.fa.vtt"):                         # one speaker, two cues
        speakers = corpus[doc][1]["speaker"].tolist()
        assert any(a == b for a, b in zip(speakers, speakers[1:])), doc


def test_participants_table(participants):
    assert list(participants.columns[:6]) == ["group", "speaker", "role", "segment", "age_band", "customer_type"]
    assert {"city", "tenure_years"} <= set(participants.columns)
    assert not participants.duplicated(["group", "speaker"]).any()
    assert set(participants["role"]) == {"customer", "employee", "moderator"}
    assert (participants.groupby("group")["role"].apply(lambda r: (r == "moderator").sum()) == 1).all()
    people = participants[participants["role"] != "moderator"]
    customers, employees = people[people["role"] == "customer"], people[people["role"] == "employee"]
    assert set(customers["segment"]) == {"Loyalty member", "Occasional", "New customer"}
    assert set(customers["customer_type"]) == {"Retail", "Business"}
    assert set(employees["segment"]) == {"Front line", "Team lead"}
    assert set(employees["group"]) == {"FG6", "INT3"}
    assert people["tenure_years"].astype(int).ge(0).all()
    names = " ".join(people["speaker"])
    for letter in "ƏŞİÇȘȚă":
        assert letter in names, letter
    assert re.search(r"[\u0600-\u06ff]", names)


# ─── codebook, truth and codings ───────────────────────────────────────────────────────────────────────────

def test_codebook_loads_with_every_field_and_language():
    cb = load_codebook(SAMPLE / "codebook.yaml")
    assert cb.children(None) == TOP
    for top in TOP:
        assert not cb[top].codable and 2 <= len(cb.children(top)) <= 4
    codable = [c for c in cb.codes.values() if c.codable]
    assert len(codable) == 19 and all(c.parent in TOP for c in codable)
    assert len({c.color for c in codable}) == len(codable)
    for c in codable:
        assert c.definition and c.include and c.exclude and c.example and c.color, c.name
        assert set(c.patterns) == {"en", "az", "fa", "ro", "ms"}, c.name
    kinds = [p for c in codable for ps in c.patterns.values() for p in ps]
    assert sum(p.endswith("*") for p in kinds) >= 30 and sum(p.startswith("re:") for p in kinds) >= 3


def test_truth_covers_every_participant_turn(corpus, truth, participants):
    cb = load_codebook(SAMPLE / "codebook.yaml")
    codable = {n for n, c in cb.codes.items() if c.codable}
    assert list(truth) == DOCS
    counts: dict[str, int] = {}
    for doc, (_, turns) in corpus.items():
        mods = set(participants.loc[(participants["group"] == doc.split(".")[0]) &
                                    (participants["role"] == "moderator"), "speaker"])
        speakers = dict(zip(turns["turn"], turns["speaker"]))
        assert set(truth[doc]) == {t for t, s in speakers.items() if s not in mods}, doc
        for codes in truth[doc].values():
            assert set(codes) <= codable and len(set(codes)) == len(codes)
            for code in codes:
                counts[code] = counts.get(code, 0) + 1
    assert set(counts) == codable and min(counts.values()) >= 7
    per_turn = [len(c) for turns in truth.values() for c in turns.values()]
    assert per_turn.count(0) >= 5 and max(per_turn) >= 3 and sum(n >= 2 for n in per_turn) >= 40


def test_coder_a_selects_words_of_the_turn_and_coder_b_turns(corpus, codings, truth):
    a, b = codings[codings["coder"] == "Coder A"], codings[codings["coder"] == "Coder B"]
    assert (a["start"] != "").all() and (b["start"] == "").all()
    assert list(dict.fromkeys(a["document"])) == DOCS
    assert list(dict.fromkeys(b["document"])) == [d for d in DOCS if d != "INT3.ms.docx"]   # missing data
    partial = 0
    for r in a.itertuples():
        document, turns = corpus[r.document]
        turn = turns[turns["turn"] == r.turn].iloc[0]
        words = document[int(r.start):int(r.end)]
        assert words in turn["text"] and words == words.strip()
        partial += words != turn["text"]
    assert partial >= 30                                                             # sub-spans, not only turns
    for r in codings.itertuples():
        assert r.turn in truth[r.document], (r.document, r.turn)                     # never a moderator turn
    assert not codings.duplicated(["coder", "document", "turn", "code"]).any()


def _decisions(codings: pd.DataFrame, truth: dict, coder: str | None, docs: list[str], codes: list[str]):
    units = [(d, t) for d in docs for t in truth[d]]
    if coder is None:
        sets = {(d, t): set(truth[d][t]) for d, t in units}
    else:
        sets = codings[codings["coder"] == coder].groupby(["document", "turn"])["code"].apply(set).to_dict()
    return np.array([[code in sets.get(u, set()) for code in codes] for u in units])


def test_coders_agree_with_truth_as_designed(codings, truth):
    cb = load_codebook(SAMPLE / "codebook.yaml")
    codes = [n for n, c in cb.codes.items() if c.codable]
    result = {}
    for coder in CODER_ERRORS:
        docs = list(dict.fromkeys(codings.loc[codings["coder"] == coder, "document"]))
        true, given = _decisions(codings, truth, None, docs, codes), _decisions(codings, truth, coder, docs, codes)
        hits = (true & given).sum()
        result[coder] = (hits / true.sum(), hits / given.sum())
    recall_a, precision_a = result["Coder A"]
    recall_b, precision_b = result["Coder B"]
    err_a, err_b = CODER_ERRORS["Coder A"], CODER_ERRORS["Coder B"]
    assert recall_a == pytest.approx(1 - err_a["miss"] - err_a["confuse"], abs=0.04)
    assert recall_b == pytest.approx(1 - err_b["miss"] - err_b["confuse"], abs=0.04)
    assert 0.86 <= precision_a <= 0.95 and 0.76 <= precision_b <= 0.88
    assert recall_a > recall_b + 0.04 and precision_a > precision_b
    assert (round(recall_a, 3), round(precision_a, 3), round(recall_b, 3), round(precision_b, 3)) == (
        0.885, 0.896, 0.806, 0.845)                                                  # as the module docstring says


def test_kappa_between_the_coders_sklearn_and_statsmodels(codings, truth):
    cb = load_codebook(SAMPLE / "codebook.yaml")
    codes = [n for n, c in cb.codes.items() if c.codable]
    docs = list(dict.fromkeys(codings.loc[codings["coder"] == "Coder B", "document"]))
    a = _decisions(codings, truth, "Coder A", docs, codes).ravel()
    b = _decisions(codings, truth, "Coder B", docs, codes).ravel()
    table = np.array([[np.sum(~a & ~b), np.sum(~a & b)], [np.sum(a & ~b), np.sum(a & b)]])
    k_sklearn = cohen_kappa_score(a, b)
    k_statsmodels = cohens_kappa(table).kappa
    assert k_sklearn == pytest.approx(k_statsmodels, abs=1e-12)
    assert a.size == 3382 and round(k_sklearn, 3) == 0.711                           # the module docstring
    # per code: every code agreed on better than chance, and the coders are imperfect on most codes
    per_code = np.array([cohen_kappa_score(a.reshape(-1, len(codes))[:, j], b.reshape(-1, len(codes))[:, j])
                         for j in range(len(codes))])
    assert per_code.min() > 0.3 and (per_code < 0.95).sum() >= 12


# ─── cfresearch's reader sees the same documents and turns ─────────────────────────────────────────────────

def test_the_reader_agrees_with_the_independent_parse(corpus):
    transcripts = pytest.importorskip("cfresearch.qual.transcripts")
    read = transcripts.read_transcripts(SAMPLE / "transcripts", participants=SAMPLE / "participants.csv")
    assert list(read.documents) == DOCS
    for doc, (document, turns) in corpus.items():
        assert read.documents[doc] == document, doc
        theirs = read.turns[read.turns["document"] == doc].reset_index(drop=True)
        for col in ("turn", "speaker", "text", "char_start", "char_end"):
            assert theirs[col].tolist() == turns[col].tolist(), (doc, col)
        starts = turns["start"].astype(float).to_numpy()
        np.testing.assert_array_equal(theirs["start"].to_numpy(dtype=float), starts)
        assert (theirs["language"] == doc.split(".")[1]).all()
