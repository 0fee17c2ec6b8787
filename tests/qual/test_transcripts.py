"""Reading transcripts: every format, offsets into the document text, names in any script, and every validation
problem reported with its line and column.

References: the WebVTT interview example of the W3C specification ("WebVTT: The Web Video Text Tracks Format",
§1 Introduction: 13 cues, voices Roger Bingham and Neil deGrasse Tyson, cue settings, an ``<i>`` span) and its
voice-span example with classes (§1.3 / cue text); the SubRip example of the SRT format (cue number, timing
``00:02:16,612 --> 00:02:19,376``, a two-line cue); the NFC/NFD lengths of "Şəbəkə şirkəti" (16 code points
in NFD, 14 in NFC: ../shared/notes/qualitative.md §5); QualCoder's Latin-1 capital rule (``A-ZÀ-ÖØ-Þ`` in
speakers.py), which these names defeat.
"""

from __future__ import annotations

import re
import unicodedata
import warnings

import docx
import numpy as np
import pandas as pd
import pytest

from cfresearch.data import DataError
from cfresearch.qual.corpus import TURN_COLUMNS
from cfresearch.qual.transcripts import (
    TranscriptError,
    TranscriptWarning,
    load_participants,
    normalize_text,
    read_transcript,
    read_transcripts,
    turns_from_text,
)

W3C_INTERVIEW = """WEBVTT

00:11.000 --> 00:13.000
<v Roger Bingham>We are in New York City

00:13.000 --> 00:16.000
<v Roger Bingham>We’re actually at the Lucern Hotel, just down the street

00:16.000 --> 00:18.000
<v Roger Bingham>from the American Museum of Natural History

00:18.000 --> 00:20.000
<v Roger Bingham>And with me is Neil deGrasse Tyson

00:20.000 --> 00:22.000
<v Roger Bingham>Astrophysicist, Director of the Hayden Planetarium

00:22.000 --> 00:24.000
<v Roger Bingham>at the AMNH.

00:24.000 --> 00:26.000
<v Roger Bingham>Thank you for walking down here.

00:27.000 --> 00:30.000
<v Roger Bingham>And I want to do a follow-up on the last conversation we did.

00:30.000 --> 00:31.500 align:right size:50%
<v Roger Bingham>When we e-mailed—

00:30.500 --> 00:32.500 align:left size:50%
<v Neil deGrasse Tyson>Didn’t we talk about enough in that conversation?

00:32.000 --> 00:35.500 align:right size:50%
<v Roger Bingham>No! No no no no; 'cos 'cos obviously 'cos

00:32.500 --> 00:33.500 align:left size:50%
<v Neil deGrasse Tyson><i>Laughs</i>

00:35.500 --> 00:38.000
<v Roger Bingham>You know I’m so excited my glasses are falling off here.
"""

# QualCoder's mid-paragraph speaker rule (speakers.py): a capital from Latin-1 only.
QUALCODER_UPPER = re.compile(r"^[A-ZÀ-ÖØ-Þ][^:\n]{0,40}:")


def write(tmp_path, name, text, *, encoding="utf-8", newline="\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def assert_offsets(corpus):
    """documents[d][char_start:char_end] == text for every turn, and every document is NFC/LF/no BOM."""
    for doc, text in corpus.documents.items():
        assert text == normalize_text(text) and "\r" not in text and not text.startswith("\ufeff")
        t = corpus.turns[corpus.turns["document"] == doc]
        assert [text[a:b] for a, b in zip(t["char_start"], t["char_end"])] == t["text"].tolist()


def issues_of(excinfo) -> list[tuple[int, str, str]]:
    return [(r.row, r.column, r.kind) for r in excinfo.value.issues.itertuples()]


# ---------------------------------------------------------------------------------------------- formats


def test_webvtt_specification_interview_example(tmp_path):
    """The W3C WebVTT §1 example: 13 cues, 11 by Roger Bingham and 2 by Neil deGrasse Tyson, the cue settings
    after the timings ignored, the <i> span removed, overlapping cues kept as separate turns in file order."""
    path = write(tmp_path, "INT9.en.vtt", W3C_INTERVIEW)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TranscriptWarning)
        corpus = read_transcript(path)
    t = corpus.turns
    assert list(t.columns) == TURN_COLUMNS and len(t) == 13
    assert t["speaker"].value_counts().to_dict() == {"Roger Bingham": 11, "Neil deGrasse Tyson": 2}
    assert t["start"].tolist() == [11, 13, 16, 18, 20, 22, 24, 27, 30, 30.5, 32, 32.5, 35.5]
    assert t["end"].tolist() == [13, 16, 18, 20, 22, 24, 26, 30, 31.5, 32.5, 35.5, 33.5, 38]
    assert t.loc[9, ["speaker", "text"]].tolist() == ["Neil deGrasse Tyson",
                                                      "Didn’t we talk about enough in that conversation?"]
    assert t.loc[11, "text"] == "Laughs" and t.loc[8, "text"] == "When we e-mailed—"
    assert t["line"].tolist()[:2] == [4, 7] and t["line"].iat[9] == 31
    assert (t["group"] == "INT9").all() and (t["language"] == "en").all() and (t["document"] == "INT9.en.vtt").all()
    doc = corpus.documents["INT9.en.vtt"]
    lines = doc.split("\n")
    assert len(lines) == 14 and lines[-1] == ""
    assert lines[0] == "[00:00:11] Roger Bingham: We are in New York City"
    assert lines[9] == "[00:00:30.500] Neil deGrasse Tyson: Didn’t we talk about enough in that conversation?"
    assert_offsets(corpus)
    # the canonical text is a plain transcript that reads back to the same turns
    again = turns_from_text(doc, document="INT9.en.vtt", group="INT9", language="en")
    pd.testing.assert_frame_equal(again.drop(columns=["end", "line"]), t.drop(columns=["end", "line"]))
    assert again["line"].tolist() == list(range(1, 14))


def test_webvtt_header_notes_styles_classes_entities_and_several_voices(tmp_path):
    text = ("WEBVTT - focus group 2\nKind: captions\n\nSTYLE\n::cue { color: yellow }\n\n"
            "NOTE recorded in Baku\nsecond note line\n\n"
            "cue-1\n00:01:02.250 --> 00:01:05.000 align:start position:10% line:0\n"
            "<v.moderator Moderator>Xoş gəlmisiniz &amp; <b>başlayaq</b>.</v>\n\n"
            "2\n01:02.500 --> 01:04.000\n<v.first.loud Esme>It's a blue apple tree!\n<v Mary>No way!\n"
            "<v Esme>Hee!</v> <i>laughter</i>\n<v.loud Mary>That's awesome!\n\n"
            "00:01:06.000 --> 00:01:09.000\n<v Gülnarə İsmayılova><c.yellow>Qiymət</c> &lt;10 AZN&gt;&nbsp;idi,\n"
            "amma <00:01:07.000>çatdırılma gecikdi.\n")
    corpus = read_transcript(write(tmp_path, "FG2.az.vtt", text, newline="\r\n"))
    t = corpus.turns
    assert t["speaker"].tolist() == ["Moderator", "Esme", "Mary", "Esme", "Mary", "Gülnarə İsmayılova"]
    assert t["text"].tolist() == ["Xoş gəlmisiniz & başlayaq.", "It's a blue apple tree!", "No way!",
                                  "Hee! laughter", "That's awesome!",
                                  "Qiymət <10 AZN>\u00a0idi, amma çatdırılma gecikdi."]
    assert t["start"].tolist() == [62.25, 62.5, 62.5, 62.5, 62.5, 66.0]
    assert t["end"].tolist() == [65.0, 64.0, 64.0, 64.0, 64.0, 69.0]
    assert t["line"].tolist() == [12, 16, 17, 18, 19, 22]
    assert corpus.documents["FG2.az.vtt"].split("\n")[1] == "[00:01:02.500] Esme: It's a blue apple tree!"
    assert_offsets(corpus)


def test_srt_cues_multiline_tags_and_two_speakers_in_one_cue(tmp_path):
    """The SubRip example (cue number, 00:02:16,612 --> 00:02:19,376, two text lines) with speaker labels:
    the lines of a cue are joined with a space; a second label inside a cue starts a second turn."""
    text = ("1\n00:02:16,612 --> 00:02:19,376\nSenator: We're making\nour final approach into Coruscant.\n\n"
            "2\n00:02:19,482 --> 00:02:21,609\n{\\an8}Lieutenant: <i>Very good</i>, Lieutenant.\n\n"
            "3\n00:02:22,000 --> 00:02:24,000\nȘtefan: Livrarea a întârziat.\nȚuțu: Și la mine!\n")
    corpus = read_transcript(write(tmp_path, "FG4.ro.srt", text))
    t = corpus.turns
    assert t["speaker"].tolist() == ["Senator", "Lieutenant", "Ștefan", "Țuțu"]
    assert t["text"].tolist() == ["We're making our final approach into Coruscant.", "Very good, Lieutenant.",
                                  "Livrarea a întârziat.", "Și la mine!"]
    assert t["start"].tolist() == [136.612, 139.482, 142.0, 142.0]
    assert t["end"].tolist() == [139.376, 141.609, 144.0, 144.0]
    assert t["line"].tolist() == [3, 8, 12, 13]
    assert corpus.documents["FG4.ro.srt"] == (
        "[00:02:16.612] Senator: We're making our final approach into Coruscant.\n"
        "[00:02:19.482] Lieutenant: Very good, Lieutenant.\n"
        "[00:02:22] Ștefan: Livrarea a întârziat.\n[00:02:22] Țuțu: Și la mine!\n")
    assert_offsets(corpus)


def test_docx_paragraphs(tmp_path):
    book = docx.Document()
    for para in ["Focus group 6 — front-line staff", "", "[00:01:05] Moderator: Welcome, everyone.", "   ",
                 "Ayşə: Müştərilər bizə güvənir.", "Bu, uzun müddət çəkdi.", "مریم: مشتری‌ها راضی هستند."]:
        book.add_paragraph(para)
    book.add_paragraph("Şəhriyar: Birinci sətir").add_run().add_break()
    book.paragraphs[-1].add_run("ikinci sətir")
    path = tmp_path / "FG6.en.docx"
    book.save(path)
    with pytest.warns(TranscriptWarning, match=r"line 1: text before the first speaker label \(paragraph 1\)"):
        corpus = read_transcript(path)
    t = corpus.turns
    assert t["speaker"].tolist() == ["Moderator", "Ayşə", "مریم", "Şəhriyar"]
    assert t["text"].tolist() == ["Welcome, everyone.", "Müştərilər bizə güvənir. Bu, uzun müddət çəkdi.",
                                  "مشتری‌ها راضی هستند.", "Birinci sətir ikinci sətir"]
    assert t["line"].tolist() == [3, 5, 7, 8]
    assert t["start"].iat[0] == 65 and np.isnan(t["end"].iat[0]) and t["start"].iloc[1:].isna().all()
    assert corpus.documents["FG6.en.docx"] == (
        "[00:01:05] Moderator: Welcome, everyone.\nAyşə: Müştərilər bizə güvənir. Bu, uzun müddət çəkdi.\n"
        "مریم: مشتری‌ها راضی هستند.\nŞəhriyar: Birinci sətir ikinci sətir\n")
    assert_offsets(corpus)


def test_plain_text_names_in_any_script(tmp_path):
    """Azerbaijani, Romanian, Persian, Cyrillic and lower-case names are all speakers (QualCoder's Latin-1
    capital rule misses five of the eight); continuation lines join the turn with their newline."""
    names = ["Əli", "Şəhla", "İlkin", "Ğasım", "Ștefan-Țuțu", "Ăsta", "زهرا", "Игорь", "o'neil", "Dr. Ana"]
    lines = [f"{n}: salam {i}" for i, n in enumerate(names)]
    text = "\n".join(lines[:3]) + "\n  continues here\nand here\n" + "\n".join(lines[3:]) + "\n"
    corpus = read_transcript(write(tmp_path, "FG5.ms.txt", text))
    t = corpus.turns
    assert t["speaker"].tolist() == names
    assert t["text"].iat[2] == "salam 2\n  continues here\nand here"
    assert t["line"].tolist() == [1, 2, 3, 6, 7, 8, 9, 10, 11, 12]
    assert corpus.documents["FG5.ms.txt"] == text
    missed = [n for n in names if not QUALCODER_UPPER.match(f"{n}: x")]
    assert missed == ["Əli", "Şəhla", "İlkin", "Ğasım", "Ștefan-Țuțu", "Ăsta", "زهرا", "Игорь", "o'neil"]
    assert_offsets(corpus)


def test_times_and_ends_in_plain_text():
    text = "[00:00:01] A: one\n[00:02.5] B: two\nC: three\n[01:00:00.125] A: four\n[75:00] B: five\n"
    t = turns_from_text(text, document="d.txt", group="G")
    assert t["start"].tolist()[:2] == [1.0, 2.5] and np.isnan(t["start"].iat[2])
    assert t["start"].tolist()[3:] == [3600.125, 4500.0]
    np.testing.assert_array_equal(t["end"], [2.5, np.nan, 3600.125, 4500.0, np.nan])
    assert t["char_start"].tolist() == [text.index(w) for w in ("one", "two", "three", "four", "five")]
    assert t["char_start"].tolist() == [14, 31, 38, 62, 78]


def test_nfd_crlf_and_bom_are_normalised(tmp_path):
    """"Şəbəkə şirkəti" is 16 code points in NFD and 14 in NFC; offsets count the NFC, LF, BOM-free text."""
    phrase = unicodedata.normalize("NFD", "Şəbəkə şirkəti")
    assert len(phrase) == 16 and len(unicodedata.normalize("NFC", phrase)) == 14
    raw = f"Ayşə: {phrase} yaxşıdır.\nRəşad: Bəli.\n"
    raw = unicodedata.normalize("NFD", raw)
    path = tmp_path / "FG2.az.txt"
    path.write_bytes(b"\xef\xbb\xbf" + raw.replace("\n", "\r\n").encode("utf-8"))
    corpus = read_transcript(path)
    doc = corpus.documents["FG2.az.txt"]
    assert doc == "Ayşə: Şəbəkə şirkəti yaxşıdır.\nRəşad: Bəli.\n"
    assert corpus.turns["speaker"].tolist() == ["Ayşə", "Rəşad"]
    assert corpus.turns["char_start"].tolist() == [6, 38] and corpus.turns["char_end"].tolist() == [30, 43]
    assert_offsets(corpus)
    path.write_bytes(raw.replace("\n", "\r").encode("utf-8"))  # old Mac CR line ends
    assert read_transcript(path).documents["FG2.az.txt"] == doc


def test_group_and_language_from_the_file_name(tmp_path):
    a = read_transcript(write(tmp_path, "FG1.en.txt", "Ann: hi\n"))
    b = read_transcript(write(tmp_path, "INT2.txt", "Ann: hi\n"), language="fa")
    c = read_transcript(write(tmp_path, "INT3.final.txt", "Ann: hi\n"), group="X")
    d = read_transcript(write(tmp_path, "FG7.pt-BR.txt", "Ann: hi\n"), language="en")
    got = [(x.turns["group"].iat[0], x.turns["language"].iat[0]) for x in (a, b, c, d)]
    assert got == [("FG1", "en"), ("INT2", "fa"), ("X", "und"), ("FG7", "pt-BR")]


def test_note_lines_follow_the_documented_rule():
    text = "Ana: The shop was closed.\nNote: it was a Sunday.\n  Note: indented\nBo: Yes.\n"
    free = turns_from_text(text, document="d", group="G")
    assert free["speaker"].tolist() == ["Ana", "Note", "Bo"]
    as_text = turns_from_text(text, document="d", group="G", speakers=["Ana", "Bo"], unknown_speakers="text")
    assert as_text["text"].tolist() == ["The shop was closed.\nNote: it was a Sunday.\n  Note: indented", "Yes."]
    with pytest.raises(TranscriptError) as info:
        turns_from_text(text, document="d", group="G", speakers=["Ana", "Bo"])
    assert issues_of(info) == [(2, "speaker", "unknown speaker")]


def test_read_transcripts_folder_with_participants(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    write(folder, "FG1.en.txt", "Moderator: Hello.\nAnna: The staff were kind.\n")
    write(folder, "FG3.fa.txt", "Moderator: سلام\nمریم: کارکنان مهربان بودند.\n")
    write(folder, ".DS_Store", "junk")
    people = write(tmp_path, "participants.csv",
                   "group,speaker,role,segment\nFG1,Moderator,moderator,\nFG1,Anna,Customer,loyal\n"
                   "FG3,Moderator,moderator,\nFG3,مریم,customer,new\n")
    corpus = read_transcripts(folder, participants=people)
    assert list(corpus.documents) == ["FG1.en.txt", "FG3.fa.txt"]
    assert corpus.turns["turn"].tolist() == [1, 2, 1, 2] and corpus.turns.index.tolist() == [0, 1, 2, 3]
    joined = corpus.turns_with_participants()
    assert joined["role"].tolist() == ["moderator", "customer", "moderator", "customer"]
    assert joined["segment"].tolist()[1::2] == ["loyal", "new"]
    assert_offsets(corpus)
    by_list = read_transcripts([folder / "FG3.fa.txt"], languages={"FG3": "ar"})
    assert by_list.turns["language"].tolist() == ["fa", "fa"]  # the file name wins


# ---------------------------------------------------------------------------------------------- validation


def test_unknown_speaker_suggests_the_close_name(tmp_path):
    people = pd.DataFrame({"group": ["FG2"] * 3, "speaker": ["Moderator", "Ayşə", "Rəşad"],
                           "role": ["moderator", "customer", "customer"]})
    path = write(tmp_path, "FG2.az.txt", "Moderator: Salam.\nAyse: Salam!\nRəşad: Bəli.\nKamran: Xeyr.\n")
    with pytest.raises(TranscriptError) as info:
        read_transcript(path, participants=people)
    assert issues_of(info) == [(2, "speaker", "unknown speaker"), (4, "speaker", "unknown speaker")]
    msg = str(info.value)
    assert str(path) in msg and "row 2, column speaker: value 'Ayse'" in msg and "did you mean 'Ayşə'" in msg
    assert "listed: Ayşə, Moderator, Rəşad" in msg  # no close match for Kamran: the list is shown
    with pytest.raises(TranscriptError, match="no participants are listed for group 'FG2'"):
        read_transcript(path, participants=people.assign(group="FG9"))


def test_all_problems_of_a_plain_file_at_once(tmp_path):
    data = ("Ana: caf\xe9 was fine\n".encode("latin-1") + b"Bob:\n" + b"[00:61:00] Ana: late\n"
            + b"[00:01:02] no label here\n" + "Cem: na\xefve\n".encode("latin-1"))
    path = tmp_path / "G1.en.txt"
    path.write_bytes(data)
    with pytest.raises(TranscriptError) as info:
        read_transcript(path)
    assert issues_of(info) == [(1, "encoding", "undecodable bytes"), (2, "text", "empty turn"),
                               (3, "timing", "malformed timing"), (4, "speaker", "no speaker"),
                               (5, "encoding", "undecodable bytes")]
    issues = info.value.issues
    assert issues["value"].tolist()[0] == "0xE9" and "byte 8 of the file" in issues["problem"].iat[0]
    bad = data.index(b"na\xef") + 2
    assert issues["value"].tolist()[4] == "0xEF" and f"byte {bad} " in issues["problem"].iat[4]
    assert info.value.row == 1 and info.value.column == "encoding" and info.value.path == path
    # an explicit encoding reads it (nothing falls back to Latin-1 by itself)
    fixed = path.read_bytes().replace(b"Bob:\n", b"Bob: ok\n").replace(b"[00:61:00]", b"[00:01:00]")
    path.write_bytes(fixed.replace(b"[00:01:02] no label here\n", b""))
    assert read_transcript(path, encoding="latin-1").turns["text"].iat[0] == "café was fine"


def test_utf16_file_is_refused_with_advice(tmp_path):
    path = write(tmp_path, "G1.txt", "\ufeffAna: hello\n", encoding="utf-16-le")
    with pytest.raises(TranscriptError, match="UTF-16 byte-order mark") as info:
        read_transcript(path)
    assert issues_of(info) == [(1, "encoding", "not UTF-8")]
    assert read_transcript(path, encoding="utf-16").turns["text"].tolist() == ["hello"]


def test_timestamps_going_backwards_warn_and_leave_the_end_unknown():
    text = "[00:10] A: one\n[00:05] B: two\n[00:20] A: three\n"
    with pytest.warns(TranscriptWarning, match=r"d.txt: 1 warning:\n  line 2: the start time 00:00:05 is earlier"):
        t = turns_from_text(text, document="d.txt", group="G")
    np.testing.assert_array_equal(t["end"], [np.nan, 20.0, np.nan])


def test_text_before_the_first_label_warns_but_stays_in_the_document():
    text = "Focus group 1\n12 May\n\nAna: hello\n"
    with pytest.warns(TranscriptWarning, match=r"line 1: text before the first speaker label \(lines 1-2\)"):
        t = turns_from_text(text, document="d.txt", group="G")
    assert t["char_start"].iat[0] == text.index("hello")


def test_vtt_problems(tmp_path):
    text = ("WEBVTT\n\n00:05.000 --> 00:04.000\n<v Ana>backwards\n\n00:01.5 --> 00:02.000\n<v Ana>short ms\n\n"
            "just some text\nwithout timing\n\n00:06.000 --> 00:07.000\nno voice here\n\n"
            "00:08.000 --> 00:09.000\n<v Ana (mod)>bad name\n\n00:10.000 --> 00:11.000\n<v Ana><i></i>\n\n"
            "00:12.000 --> 00:13.000\n")
    with pytest.raises(TranscriptError) as info:
        read_transcript(write(tmp_path, "G.vtt", text))
    assert issues_of(info) == [(3, "timing", "end before start"), (6, "timing", "malformed timing"),
                               (9, "timing", "not a cue"), (13, "speaker", "no speaker"),
                               (16, "speaker", "bad name"), (19, "text", "empty turn"), (21, "text", "empty turn")]
    with pytest.raises(TranscriptError) as info:
        read_transcript(write(tmp_path, "H.vtt", "WEBVTX\n\n00:01.000 --> 00:02.000\n<v A>x\n"))
    assert issues_of(info) == [(1, "header", "not WebVTT")]


def test_srt_problems(tmp_path):
    text = ("1\n00:00:05,000 --> 00:00:04,000\nAna: backwards\n\n2\n00:00:06,000 -> 00:00:07,000\nAna: arrow\n\n"
            "3\n00:00:08,000 --> 00:00:09,000\nno speaker\n\nfree text\n\n5\n00:00:10,000 --> 00:00:11,000\n")
    with pytest.raises(TranscriptError) as info:
        read_transcript(write(tmp_path, "G.srt", text))
    assert issues_of(info) == [(2, "timing", "end before start"), (6, "timing", "malformed timing"),
                               (11, "speaker", "no speaker"), (13, "timing", "not a cue"), (16, "text", "empty turn")]


def test_docx_table_text_is_not_dropped_silently(tmp_path):
    book = docx.Document()
    book.add_paragraph("Ana: hello")
    book.add_table(rows=1, cols=2).rows[0].cells[1].text = "Bob: hidden in a table"
    book.save(tmp_path / "G.docx")
    with pytest.raises(TranscriptError) as info:
        read_transcript(tmp_path / "G.docx")
    assert issues_of(info) == [(0, "text", "text in a table")]


def test_files_without_turns_unknown_types_and_missing_files(tmp_path):
    with pytest.raises(TranscriptError) as info:
        read_transcript(write(tmp_path, "G.txt", "just a note, nobody speaks\n"))
    assert issues_of(info) == [(0, "text", "no turns")]
    with pytest.raises(TranscriptError) as info:
        read_transcript(write(tmp_path, "G.pdf", "x"))
    assert issues_of(info) == [(0, "file", "unknown extension")]
    with pytest.raises(TranscriptError) as info:
        read_transcript(tmp_path / "absent.txt")
    assert issues_of(info) == [(0, "file", "not found")]
    with pytest.raises(TranscriptError, match="cannot read as a Word"):
        read_transcript(write(tmp_path, "G.docx", "not a zip"))


def test_problems_of_several_files_are_reported_together(tmp_path):
    write(tmp_path, "A.txt", "Ana:\n")
    write(tmp_path, "B.txt", "Bob: fine\n")
    write(tmp_path, "C.md", "# notes\n")
    with pytest.raises(TranscriptError) as info:
        read_transcripts(tmp_path)
    err = info.value
    assert [e.path.name for e in err.errors] == ["A.txt", "C.md"]
    assert issues_of(info) == [(1, "text", "empty turn"), (0, "file", "unknown extension")]
    assert "A.txt" in str(err) and "C.md" in str(err) and isinstance(err, DataError)


def test_turns_from_text_wants_normalised_text():
    with pytest.raises(ValueError, match="pass normalize_text"):
        turns_from_text("Ana: hi\r\n", document="d", group="G")
    with pytest.raises(ValueError, match="unknown_speakers must be one of"):
        turns_from_text("Ana: hi\n", document="d", group="G", unknown_speakers="drop")


def test_participants_validation(tmp_path):
    path = write(tmp_path, "participants.csv", "group,speaker,role,segment\nFG1,Ana,customer,a\nFG1,Bob,cusomer,b\n"
                                               "FG1,Ana,employee,c\nFG2,,customer,d\nFG2,Ali (mod),moderator,e\n")
    with pytest.raises(TranscriptError) as info:
        load_participants(path)
    assert issues_of(info) == [(3, "role", "not a role"), (4, "speaker", "duplicate"), (5, "speaker", "missing value"),
                               (6, "speaker", "bad name")]
    msg = str(info.value)
    assert "did you mean 'customer'" in msg and "first at row 2" in msg
    with pytest.raises(TranscriptError) as info:
        load_participants(write(tmp_path, "p.csv", "group,name,role\nFG1,Ana,customer\n"))
    assert issues_of(info) == [(0, "speaker", "missing column")]
    ok = load_participants(write(tmp_path, "q.csv", "speaker,group,role,age_band\nAna,1,Customer,25-34\n"))
    assert ok.columns.tolist() == ["group", "speaker", "role", "age_band"]
    assert ok.iloc[0].tolist() == ["1", "Ana", "customer", "25-34"]


def test_vtt_cues_with_name_labels_and_unlisted_voices(tmp_path):
    """Zoom-style cues carry 'Name: ' instead of a voice span; a voice not in the participants is an error even
    with unknown_speakers="text" (a voice span is always a speaker)."""
    text = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAna: Salut!\n\n2\n00:00:03.000 --> 00:00:04.000\n<v Ion>Bună.\n"
    corpus = read_transcript(write(tmp_path, "G.ro.vtt", text))
    assert corpus.turns[["speaker", "text", "line"]].values.tolist() == [["Ana", "Salut!", 5], ["Ion", "Bună.", 9]]
    people = pd.DataFrame({"group": ["G", "G"], "speaker": ["Ana", "Ioana"], "role": ["customer", "customer"]})
    with pytest.raises(TranscriptError) as info:
        read_transcript(tmp_path / "G.ro.vtt", participants=people, unknown_speakers="text")
    assert issues_of(info) == [(9, "speaker", "unknown speaker")]
    assert "did you mean 'Ioana'" in str(info.value)
