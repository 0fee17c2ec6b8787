"""Reading focus-group and interview transcripts into documents and speaker turns.

Four formats are read, by suffix, each into one document of a :class:`~cfresearch.qual.corpus.Corpus` and its
turn table (:data:`~cfresearch.qual.corpus.TURN_COLUMNS`):

``.txt``
    UTF-8 plain text. A turn starts at a line ``Name: words`` or ``[hh:mm:ss] Name: words`` (also ``[mm:ss]``,
    either with ``.mmm``); the lines that follow, up to the next such line, continue the turn. The document
    text is the file's text after Unicode NFC, CRLF/CR → LF and removal of the byte-order mark.
``.vtt``
    WebVTT (W3C, "WebVTT: The Web Video Text Tracks Format", §4 file syntax): the ``WEBVTT`` header, cues with
    optional identifiers, timings ``[hh:]mm:ss.ttt --> [hh:]mm:ss.ttt`` followed by cue settings (ignored),
    and the speaker from the voice span ``<v Name>`` (also ``<v.class Name>``; several voices in one cue make
    several turns). Other tags (``<i>``, ``<b>``, ``<c.x>``, ``<00:01.000>``, ...) are removed and character
    references (``&amp;``, ``&lt;``, ``&gt;``, ``&nbsp;``, ...) decoded; NOTE, STYLE and REGION blocks are skipped.
    A cue without a voice span may start with ``Name:`` instead.
``.srt``
    SubRip: blocks of a cue number, a timing ``hh:mm:ss,mmm --> hh:mm:ss,mmm`` and text lines, the speaker
    from a leading ``Name:``; the lines of one cue are joined with a space; ``<i>``-style and ``{\\an8}`` tags
    are removed.
``.docx``
    Word paragraphs (python-docx), empty ones skipped; a paragraph starting with ``Name:`` (or ``[hh:mm:ss]
    Name:``) starts a turn, other paragraphs continue it (joined with a space). "Line" means paragraph here.

For ``.vtt``, ``.srt`` and ``.docx`` the document text is a *canonical* plain text, one line per turn,
``[hh:mm:ss] Name: words`` when the turn has a start time (``[hh:mm:ss.mmm]`` when it has milliseconds), else
``Name: words``, with a final newline. It is itself a valid ``.txt`` transcript: :func:`turns_from_text` reads
it back to the same speakers, words, offsets and start times. Offsets (``char_start``/``char_end``) count
Unicode code points, 0-based and half-open, in the document text, as REFI-QDA 1.5 §10.2 does:
``documents[d][char_start:char_end] == text`` for every turn.

**Speaker labels.** A label is ``Name:`` at the very start of a line (no indentation), followed by white space
or the end of the line. A name is 1–40 characters of letters of any script with their combining marks,
digits, spaces, dots, hyphens, apostrophes and the zero-width (non-)joiner, and starts with a letter or digit;
no capital letter is required (Persian and Arabic have none; QualCoder's rule that only knows Latin-1 capitals
misses Ə, Ş, Ğ, İ, Ș, Ț and every caseless script). A line like ``Note: ...`` inside a turn is therefore a
label too. The rule that decides it:

* without a list of speakers, every label starts a turn (speaker "Note");
* with ``speakers=`` (or ``participants=``) and ``unknown_speakers="error"`` (the default), a label naming
  someone not listed is reported as an unknown speaker, with the closest listed names (difflib): a misspelt
  speaker is caught, and so is ``Note:``, which the transcriber then indents (an indented line always
  continues the turn);
* with ``unknown_speakers="text"``, a label naming someone not listed is part of the turn (only listed
  speakers start turns). Use it only when the list is known to be complete.

A WebVTT voice span always names a speaker: with a list of speakers, an unlisted voice is an error. The ``line``
of a turn is the line where its words start: the label line of a ``.txt``, the line of the cue text (of the
voice span) in a ``.vtt`` or ``.srt``, the paragraph number (counting empty paragraphs) in a ``.docx``. A cue's
own timing gives the times of its turns (a ``[hh:mm:ss]`` inside a cue's text is not read as a time).

**Validation.** Every problem of a file is collected, then reported at once through :class:`TranscriptError`
(a :class:`cfresearch.data.DataError`) whose issues table gives the line (for ``.docx`` the paragraph) and the
column: ``encoding`` (bytes that are not UTF-8, with their byte offset; a UTF-16 file; NUL characters),
``header`` (a WebVTT file without ``WEBVTT``), ``timing`` (malformed timings, a cue that ends before it starts,
a block that is not a cue), ``speaker`` (unknown speaker, a cue without a speaker, a name that cannot be a
label, a timestamp without a label), ``text`` (an empty turn, a file without turns, text in a Word table),
``file`` (unknown suffix, missing file). Nothing is dropped silently. Two things are only warnings
(:class:`TranscriptWarning`), because the text stays readable: start times that go backwards (the earlier
turn's end is then left NaN), and text before the first label (kept in a ``.txt`` document but in no turn;
left out of the canonical text of the other formats, with the warning naming its lines).

The encoding is UTF-8 (with or without a byte-order mark); nothing falls back to Latin-1 silently. Pass
``encoding=`` to read another encoding explicitly.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cfresearch.checks import check_choice
from cfresearch.data import DataError, issues_frame, read_table
from cfresearch.qual.corpus import TURN_COLUMNS, Corpus

__all__ = ["ROLES", "TRANSCRIPT_SUFFIXES", "TranscriptError", "TranscriptWarning", "load_participants",
           "normalize_text", "read_transcript", "read_transcripts", "turns_from_text"]

#: The roles a participant may have.
ROLES = ("customer", "employee", "moderator")
#: The transcript formats :func:`read_transcript` reads.
TRANSCRIPT_SUFFIXES = (".txt", ".vtt", ".srt", ".docx")

_LANG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_NAME_MAX = 40
_NAME_PUNCT = frozenset(" .-'\u2019\u02bc\u2010\u200c\u200d")
_LABEL = re.compile(r"(?:\[(?P<clock>[^\]\n]*)\][ \t]*)?(?P<name>[^:\n]{1,60}):(?=\s|$)")
_CLOCK_PREFIX = re.compile(r"\[(?P<clock>[\d\s.,]*\d[\d\s.,]*:[\d\s:.,]*)\]")
_CLOCK = re.compile(r"(?:(?P<h>\d+):)?(?P<m>\d+):(?P<s>\d\d)(?:[.,](?P<f>\d{1,3}))?")
_VTT_TIME = re.compile(r"(?:(?P<h>[0-9]{2,}):)?(?P<m>[0-9]{2}):(?P<s>[0-9]{2})\.(?P<f>[0-9]{3})")
_SRT_TIME = re.compile(r"(?P<h>[0-9]+):(?P<m>[0-9]{2}):(?P<s>[0-9]{2})[,.](?P<f>[0-9]{1,3})")
_TIMING = re.compile(r"(?P<a>\S+)[ \t]+-->[ \t]+(?P<b>\S+)(?P<settings>.*)")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t\n]+(?P<name>[^>]*)>")
_TAG = re.compile(r"<[^>]*>")
_SRT_TAG = re.compile(r"<[^>\n]*>|\{\\[^}\n]*\}")
_FORMAT_HINT = ("A turn starts at a line 'Name: words' or '[hh:mm:ss] Name: words'; rows are lines of the file "
                "(paragraphs of a .docx).")


class TranscriptError(DataError):
    """A transcript (or a participants table) that cannot be used: the message names the file and the line and
    column of every problem; ``issues`` holds them as a table. When several files fail, ``errors`` lists the
    error of each file.

    >>> try:
    ...     turns_from_text("Ana: hello\\nBob:\\n", document="d.txt", group="G1")
    ... except TranscriptError as err:
    ...     print(err.row, err.column)
    2 text
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.errors: list[DataError] = [self]


class TranscriptWarning(UserWarning):
    """Something in a transcript that is read, but worth a look: start times that go backwards, or text before
    the first speaker label."""


def normalize_text(text: str) -> str:
    """``text`` as every document is stored: without a leading byte-order mark, with LF line ends (CRLF and CR
    become LF) and in Unicode NFC (UAX #15), so that offsets count the same code points everywhere.

    >>> normalize_text("\\ufeffS\\u0327ebe\\u0300\\r\\nok\\r")
    'Şebè\\nok\\n'
    """
    return unicodedata.normalize("NFC", text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))


# ---------------------------------------------------------------------------------------------------------
# issues and speakers


@dataclass
class _Reader:
    """The state of reading one file: where it is, whose speakers are known, the issues and warnings so far."""

    path: object
    group: str
    speakers: frozenset | None = None
    unknown: str = "error"
    issues: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def add(self, row: int, column: str, problem: str, *, value="", kind: str = "") -> None:
        self.issues.append({"row": int(row), "column": column, "value": "" if value is None else str(value),
                            "problem": problem, "kind": kind or column, "action": "raise"})

    def warn(self, row: int, problem: str) -> None:
        self.notes.append((int(row), problem))

    def known(self, name: str, row: int, *, label: bool = True) -> bool:
        """Whether a label naming ``name`` starts a turn (see the module docstring); reports unknown names."""
        if self.speakers is None or name in self.speakers:
            return True
        if label and self.unknown == "text":
            return False
        tip = " (a line that only looks like a label, e.g. 'Note: ...', is indented to continue the turn)"
        self.add(row, "speaker", f"unknown speaker {name!r}: not listed for group {self.group!r} in the "
                                 f"participants{_did_you_mean(name, self.speakers)}" + (tip if label else ""),
                 value=name, kind="unknown speaker")
        return True

    def finish(self) -> None:
        if self.notes:
            n = len(self.notes)
            lines = [f"line {row}: {problem}" for row, problem in self.notes[:5]]
            more = f"\n  … and {n - 5} more" if n > 5 else ""
            warnings.warn(f"{self.path}: {n} warning{'s' * (n != 1)}:\n  " + "\n  ".join(lines) + more,
                          TranscriptWarning, stacklevel=3)
        self.notes = []
        if self.issues:
            found = issues_frame(self.issues).sort_values("row", kind="stable").reset_index(drop=True)
            raise TranscriptError.from_issues(self.path, found, what="in the transcript", hint=_FORMAT_HINT)


_BASE_LETTERS = str.maketrans({"ə": "e", "ı": "i", "ø": "o", "ł": "l", "đ": "d", "ß": "ss", "ي": "ی", "ك": "ک"})


def _skeleton(name: str) -> str:
    """``name`` without case and diacritics (Ayşə → ayse), to find the listed name a transcriber meant."""
    bare = "".join(c for c in unicodedata.normalize("NFD", name.casefold()) if not unicodedata.combining(c))
    return bare.translate(_BASE_LETTERS)


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    choices = sorted(choices)
    folded: dict[str, list[str]] = {}
    for c in choices:
        folded.setdefault(_skeleton(c), []).append(c)
    close = difflib.get_close_matches(_skeleton(name), list(folded), n=3, cutoff=0.6)
    if close:
        return f" (did you mean {', '.join(repr(c) for k in close for c in folded[k])}?)"
    shown = choices if len(choices) <= 12 else choices[:12] + ["…"]
    return f"; listed: {', '.join(shown)}" if choices else ""


def _is_name(name: str) -> bool:
    """A speaker name: 1-40 letters (any script, with combining marks), digits, spaces, . - ' and ZW(N)J,
    starting with a letter or digit."""
    if not 1 <= len(name) <= _NAME_MAX or unicodedata.category(name[0])[0] not in "LN":
        return False
    return all(unicodedata.category(c)[0] in "LMN" or c in _NAME_PUNCT for c in name)


@dataclass(frozen=True)
class _Label:
    name: str
    clock: str | None  # the text inside [...], if any
    body: int  # where the words start in the line (just after the colon)


def _label(line: str) -> _Label | str | None:
    """The speaker label at the start of ``line``; a problem (str) for a timestamp without a valid label; None
    when the line does not start a turn."""
    m = _LABEL.match(line)
    prefix = _CLOCK_PREFIX.match(line)
    if m is not None:
        clock, name = m["clock"], m["name"].rstrip()
        if (clock is None or _CLOCK_PREFIX.fullmatch(f"[{clock}]")) and _is_name(name):
            return _Label(name, clock, m.end())
    if prefix is not None:
        return ("a timestamp must be followed by a speaker label 'Name: ' (1-40 letters, digits, spaces, "
                ". - ')")
    return None


def _clock_ms(text: str) -> int | None:
    """Milliseconds of a transcript clock ``[h:]mm:ss[.mmm]`` (any Unicode digits), None when malformed."""
    m = _CLOCK.fullmatch(text.strip())
    if m is None:
        return None
    minutes, seconds = int(m["m"]), int(m["s"])
    if seconds >= 60 or (m["h"] is not None and (len(m["m"]) != 2 or minutes >= 60)):
        return None
    return _ms(m["h"], minutes, seconds, m["f"])


def _ms(hours, minutes, seconds, fraction) -> int:
    fraction = (fraction or "").ljust(3, "0")[:3]
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(fraction)


def _clock_text(seconds: float) -> str:
    """``hh:mm:ss`` (``hh:mm:ss.mmm`` when there are milliseconds) for the canonical text."""
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}" + (f".{ms:03d}" if ms else "")


# ---------------------------------------------------------------------------------------------------------
# turns


@dataclass
class _Turn:
    speaker: str
    line: int
    text: str = ""
    start: float = np.nan
    end: float = np.nan
    char_start: int = 0
    char_end: int = 0
    parts: list = field(default_factory=list)


def _turn_frame(turns: list[_Turn], *, document: str, group: str, language: str) -> pd.DataFrame:
    n = len(turns)
    frame = pd.DataFrame({
        "group": pd.Series([group] * n, dtype=object), "document": pd.Series([document] * n, dtype=object),
        "turn": np.arange(1, n + 1, dtype=np.int64),
        "speaker": pd.Series([t.speaker for t in turns], dtype=object),
        "start": np.array([t.start for t in turns], dtype=np.float64),
        "end": np.array([t.end for t in turns], dtype=np.float64),
        "text": pd.Series([t.text for t in turns], dtype=object),
        "char_start": np.array([t.char_start for t in turns], dtype=np.int64),
        "char_end": np.array([t.char_end for t in turns], dtype=np.int64),
        "language": pd.Series([language] * n, dtype=object),
        "line": np.array([t.line for t in turns], dtype=np.int64),
    })
    return frame[TURN_COLUMNS]


def _time_order(turns: list[_Turn], rd: _Reader, *, fill_ends: bool) -> None:
    """Warn where a start time goes backwards; with ``fill_ends``, a turn ends where the next one starts
    (NaN for the last turn, and where the next start is unknown or earlier)."""
    starts = np.array([t.start for t in turns], dtype=np.float64)
    if starts.size < 2:
        return
    nxt = np.append(starts[1:], np.nan)
    back = nxt < starts
    for i in np.flatnonzero(back):
        rd.warn(turns[i + 1].line, f"the start time {_clock_text(nxt[i])} is earlier than the previous turn's "
                                   f"({_clock_text(starts[i])}, line {turns[i].line})"
                + ("; that turn's end is left unknown" if fill_ends else ""))
    if fill_ends:
        for t, e in zip(turns, np.where(back, np.nan, nxt)):
            if np.isnan(t.end):
                t.end = float(e)


def _set_clock(turn: _Turn, clock: str | None, rd: _Reader) -> None:
    if clock is None:
        return
    ms = _clock_ms(clock)
    if ms is None:
        rd.add(turn.line, "timing", "malformed timestamp: expected [hh:mm:ss] or [mm:ss], optionally with .mmm "
                                    "(minutes and seconds below 60)", value=f"[{clock}]", kind="malformed timing")
    else:
        turn.start = ms / 1000


def _plain_turns(text: str, rd: _Reader) -> list[_Turn]:
    """The turns of a plain-text document, with offsets into ``text`` itself."""
    turns, starts, pos = [], [], 0
    lines = text.split("\n")
    for no, line in enumerate(lines, 1):
        label = _label(line)
        if isinstance(label, str):
            rd.add(no, "speaker", label, value=line[:60], kind="no speaker")
        elif label is not None and rd.known(label.name, no):
            turn = _Turn(label.name, no)
            _set_clock(turn, label.clock, rd)
            turns.append(turn)
            starts.append((pos, pos + label.body))
        pos += len(line) + 1
    bounds = [s for s, _ in starts[1:]] + [len(text) + 1]
    for turn, (_, body), stop in zip(turns, starts, bounds):
        segment = text[body:stop - 1]
        stripped = segment.strip()
        turn.char_start = body + len(segment) - len(segment.lstrip())
        turn.char_end = turn.char_start + len(stripped)
        turn.text = stripped
        if not stripped:
            rd.add(turn.line, "text", "empty turn: a speaker label with no words", value=turn.speaker,
                   kind="empty turn")
    if starts:
        _check_preamble(text[:starts[0][0]], rd)
    return turns


def _check_preamble(before: str, rd: _Reader) -> None:
    if not before.strip():
        return
    first = before[:len(before) - len(before.lstrip())].count("\n") + 1
    last = before.rstrip().count("\n") + 1
    where = f"line {first}" if first == last else f"lines {first}-{last}"
    rd.warn(first, f"text before the first speaker label ({where}) is kept in the document but belongs to no turn")


def _check_normalized(text: str, where: str) -> None:
    if not isinstance(text, str):
        raise ValueError(f"{where}: text must be a string; got {type(text).__name__}")
    if text != normalize_text(text):
        raise ValueError(f"{where}: text must be NFC with LF line ends and no byte-order mark, because offsets "
                         "count its code points; pass normalize_text(text)")


def turns_from_text(text: str, *, document: str, group: str, language: str = "und", path=None,
                    speakers: Iterable[str] | None = None, unknown_speakers: str = "error") -> pd.DataFrame:
    """The speaker turns of a plain-text transcript (see the module docstring for the rules), as a table of
    :data:`~cfresearch.qual.corpus.TURN_COLUMNS`: one row per label line, the turn's words (continuation lines
    joined by their newlines, surrounding white space stripped), the start time from ``[hh:mm:ss]`` and the end
    at the next turn's start, and the code-point offsets of the words in ``text`` (REFI-QDA 1.5 §10.2).

    ``text`` must already be normalised (:func:`normalize_text`), since the offsets index it. ``speakers``
    lists the known speakers; ``unknown_speakers`` says whether a label of anyone else is an error
    (``"error"``) or text of the current turn (``"text"``). Problems raise :class:`TranscriptError` naming
    ``path`` (else ``document``), the line and the column.

    >>> text = "[00:00:05] Ayşə: Xidmət çox yaxşı idi.\\nŞəhriyar: Razıyam,\\nhəm də sürətli.\\nمریم: خیلی خوب بود\\n"
    >>> t = turns_from_text(text, document="FG2.az.txt", group="FG2", language="az")
    >>> t[["turn", "speaker", "start", "char_start", "char_end", "line"]]
       turn   speaker  start  char_start  char_end  line
    0     1      Ayşə    5.0          17        38     1
    1     2  Şəhriyar    NaN          49        73     2
    2     3      مریم    NaN          80        92     4
    >>> text[49:73]
    'Razıyam,\\nhəm də sürətli.'
    """
    _check_normalized(text, "turns_from_text")
    check_choice(unknown_speakers, ("error", "text"), where="turns_from_text", what="unknown_speakers")
    rd = _Reader(path if path is not None else document, group,
                 None if speakers is None else frozenset(_nfc(s) for s in speakers), unknown_speakers)
    turns = _plain_turns(text, rd)
    if not turns:
        rd.add(0, "text", "no speaker turns found: expected lines like 'Name: words' or '[00:01:02] Name: words'",
               kind="no turns")
    _time_order(turns, rd, fill_ends=True)
    rd.finish()
    return _turn_frame(turns, document=document, group=group, language=language)


def _nfc(value) -> str:
    return unicodedata.normalize("NFC", str(value).strip())


# ---------------------------------------------------------------------------------------------------------
# canonical text for .vtt, .srt, .docx


def _canonical(turns: list[_Turn], rd: _Reader) -> str:
    """The canonical document text of ``turns`` (one line per turn), setting their offsets into it."""
    lines, pos = [], 0
    for t in turns:
        t.text = " ".join(p.strip() for p in t.parts if p.strip())
        if not t.text:
            rd.add(t.line, "text", "empty turn: a speaker with no words", value=t.speaker, kind="empty turn")
        if not _is_name(t.speaker):
            rd.add(t.line, "speaker", "this name cannot be a speaker label 'Name: ' (1-40 letters, digits, "
                                      "spaces, . - '; no colon or brackets)", value=t.speaker, kind="bad name")
        head = (f"[{_clock_text(t.start)}] " if not np.isnan(t.start) else "") + f"{t.speaker}: "
        t.char_start = pos + len(head)
        t.char_end = t.char_start + len(t.text)
        lines.append(head + t.text)
        pos += len(lines[-1]) + 1
    return "\n".join(lines) + "\n" if lines else ""


def _split_labels(lines: list[tuple[int, str]], rd: _Reader) -> tuple[list[tuple[int, str]], list[_Turn]]:
    """Lines (number, text) cut into turns at their speaker labels: the lines before the first label, and the
    turns (words in ``parts``; the clock of a label in ``start``)."""
    before, turns = [], []
    for no, line in lines:
        label = _label(line)
        if isinstance(label, str):
            rd.add(no, "speaker", label, value=line[:60], kind="no speaker")
        elif label is not None and rd.known(label.name, no):
            turn = _Turn(label.name, no, parts=[line[label.body:]])
            _set_clock(turn, label.clock, rd)
            turns.append(turn)
        elif turns:
            turns[-1].parts.append(line)
        else:
            before.append((no, line))
    return before, turns


def _cue_turns(lines: list[tuple[int, str]], start: float, end: float, rd: _Reader, fmt: str) -> list[_Turn]:
    """The turns of one cue's text lines cut at ``Name:`` labels, all with the cue's times."""
    before, turns = _split_labels(lines, rd)
    words = [(no, text) for no, text in before if text.strip()]
    if words:
        rd.add(words[0][0], "speaker", f"no speaker: a {fmt} cue must start with "
                                       + ("a voice <v Name> or 'Name: '" if fmt == "WebVTT" else "'Name: '"),
               value=words[0][1].strip()[:60], kind="no speaker")
    for t in turns:
        t.start, t.end = start, end
    return turns


# ---------------------------------------------------------------------------------------------------------
# decoding


def _decode(data: bytes, rd: _Reader, encoding: str | None) -> str:
    """The text of a file, normalised; bytes that do not decode are reported with line and byte offset."""
    if encoding is None and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        rd.add(1, "encoding", "the file starts with a UTF-16 byte-order mark: save it as UTF-8, or pass "
                              "encoding='utf-16'", value=data[:2].hex(" ").upper(), kind="not UTF-8")
        return ""
    enc = encoding or "utf-8"
    try:
        text = data.decode(enc, errors="surrogateescape")
    except LookupError as exc:
        raise ValueError(f"read_transcript: unknown encoding {encoding!r}") from exc
    bad = list(re.finditer(r"[\udc80-\udcff]+", text))
    byte, last = 0, 0
    for m in bad[:100]:
        byte += len(text[last:m.start()].encode(enc, errors="surrogateescape"))
        last = m.start()
        before = data[:byte]
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raw = m.group().encode(enc, errors="surrogateescape")
        rd.add(line, "encoding", f"byte {byte} of the file (0-based) is not {enc.upper()}: is the file in another "
                                 "encoding (e.g. Windows-1252)? Save it as UTF-8, or pass encoding= explicitly",
               value=" ".join(f"0x{b:02X}" for b in raw[:8]), kind="undecodable bytes")
    if len(bad) > 100:
        rd.add(0, "encoding", f"… and {len(bad) - 100} more undecodable byte sequences", kind="undecodable bytes")
    text = normalize_text(data.decode(enc, errors="replace"))
    if "\x00" in text:
        rd.add(text.count("\n", 0, text.index("\x00")) + 1, "encoding",
               "NUL characters: the file looks like UTF-16 without a byte-order mark; save it as UTF-8, or pass "
               "encoding='utf-16-le'", kind="not UTF-8")
    return text


# ---------------------------------------------------------------------------------------------------------
# the four formats; each returns (document text, turns)


def _read_txt(path: Path, rd: _Reader, encoding: str | None) -> tuple[str, list[_Turn]]:
    text = _decode(path.read_bytes(), rd, encoding)
    turns = _plain_turns(text, rd)
    _time_order(turns, rd, fill_ends=True)
    return text, turns


def _blocks(lines: list[str], first: int) -> list[list[tuple[int, str]]]:
    """Blank-line separated blocks of (line number, line), from the 0-based line ``first``."""
    blocks, block = [], []
    for i in range(first, len(lines)):
        if lines[i].strip():
            block.append((i + 1, lines[i]))
        elif block:
            blocks.append(block)
            block = []
    return blocks + ([block] if block else [])


def _cue_times(no: int, line: str, pattern: re.Pattern, example: str, rd: _Reader) -> tuple[float, float] | None:
    """(start, end) seconds of a cue timing line; None (reported) when malformed or ending before it starts."""
    m = _TIMING.match(line.strip())
    a, b = (pattern.fullmatch(m["a"]), pattern.fullmatch(m["b"])) if m else (None, None)
    if not all(t is not None and int(t["m"]) < 60 and int(t["s"]) < 60 for t in (a, b)):
        rd.add(no, "timing", f"malformed cue timing: expected e.g. '{example}'", value=line.strip()[:60],
               kind="malformed timing")
        return None
    start, end = _ms(a["h"], a["m"], a["s"], a["f"]) / 1000, _ms(b["h"], b["m"], b["s"], b["f"]) / 1000
    if end < start:
        rd.add(no, "timing", f"the cue ends ({m['b']}) before it starts ({m['a']})", value=line.strip()[:60],
               kind="end before start")
        return None
    return start, end


def _vtt_payload(payload: list[tuple[int, str]], times: tuple[float, float], rd: _Reader) -> list[_Turn]:
    """The turns of one WebVTT cue payload: one per voice span, or cut at 'Name:' labels when it has none."""
    text = "\n".join(line for _, line in payload)
    first = payload[0][0]
    voices = list(_VOICE.finditer(text))
    head = text[:voices[0].start()] if voices else text
    cleaned = [(first + i, _vtt_clean(line)) for i, line in enumerate(head.split("\n"))]
    turns = _cue_turns([c for c in cleaned if c[1]], *times, rd, "WebVTT") if _vtt_clean(head).strip() else []
    for i, v in enumerate(voices):
        stop = voices[i + 1].start() if i + 1 < len(voices) else len(text)
        line = first + text.count("\n", 0, v.start())
        name = _nfc(html.unescape(v["name"]))
        rd.known(name, line, label=False)
        turns.append(_Turn(name, line, start=times[0], end=times[1],
                           parts=[_vtt_clean(p) for p in text[v.end():stop].split("\n")]))
    return turns


def _vtt_clean(text: str) -> str:
    return unicodedata.normalize("NFC", html.unescape(_TAG.sub("", text)))


def _read_vtt(path: Path, rd: _Reader, encoding: str | None) -> tuple[str, list[_Turn]]:
    lines = _decode(path.read_bytes(), rd, encoding).split("\n")
    if not re.match(r"WEBVTT(?:[ \t]|$)", lines[0]):
        rd.add(1, "header", "not a WebVTT file: the first line must be 'WEBVTT'", value=lines[0][:60],
               kind="not WebVTT")
        return "", []
    header_end = next((i for i, s in enumerate(lines) if not s.strip() or "-->" in s), len(lines))
    turns = []
    for block in _blocks(lines, header_end):
        first = block[0][1]
        if "-->" not in first and re.match(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)", first):
            continue
        at = 0 if "-->" in first else 1 if len(block) > 1 and "-->" in block[1][1] else None
        if at is None:
            rd.add(block[0][0], "timing", "not a cue: expected a timing line like '00:01.000 --> 00:04.000' "
                                          "(after an optional cue identifier)", value=first[:60], kind="not a cue")
            continue
        times = _cue_times(*block[at], _VTT_TIME, "00:01:02.500 --> 00:01:04.000", rd)
        payload = block[at + 1:]
        if not payload:
            rd.add(block[at][0], "text", "empty cue: a timing with no text", kind="empty turn")
        elif times is not None:
            turns.extend(_vtt_payload(payload, times, rd))
    _time_order(turns, rd, fill_ends=False)
    return _canonical(turns, rd), turns


def _read_srt(path: Path, rd: _Reader, encoding: str | None) -> tuple[str, list[_Turn]]:
    lines = _decode(path.read_bytes(), rd, encoding).split("\n")
    turns = []
    for block in _blocks(lines, 0):
        first = block[0][1].strip()
        at = 0 if "-->" in first else 1 if first.isdigit() and len(block) > 1 else None
        if at is None:
            rd.add(block[0][0], "timing", "not a cue: expected a cue number, then a timing line like "
                                          "'00:01:02,500 --> 00:01:04,000'", value=first[:60], kind="not a cue")
            continue
        times = _cue_times(*block[at], _SRT_TIME, "00:01:02,500 --> 00:01:04,000", rd)
        text = [(no, unicodedata.normalize("NFC", _SRT_TAG.sub("", line))) for no, line in block[at + 1:]]
        if not text:
            rd.add(block[at][0], "text", "empty cue: a timing with no text", kind="empty turn")
        elif times is not None:
            turns.extend(_cue_turns(text, *times, rd, "SRT"))
    _time_order(turns, rd, fill_ends=False)
    return _canonical(turns, rd), turns


def _read_docx(path: Path, rd: _Reader, encoding: str | None) -> tuple[str, list[_Turn]]:
    import docx  # python-docx, imported here: only .docx needs it

    try:
        doc = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several types for a file that is not a Word document
        rd.add(0, "file", f"cannot read as a Word .docx file ({exc.__class__.__name__}: {exc})", kind="unreadable")
        return "", []
    lines = [(no, unicodedata.normalize("NFC", part)) for no, p in enumerate(doc.paragraphs, 1)
             for part in p.text.replace("\r", "\n").split("\n") if part.strip()]
    before, turns = _split_labels(lines, rd)
    if before:
        first, last = before[0][0], before[-1][0]
        where = f"paragraph {first}" if first == last else f"paragraphs {first}-{last}"
        rd.warn(first, f"text before the first speaker label ({where}) is not part of the document text")
    tables = sum(bool(cell.text.strip()) for table in doc.tables for row in table.rows for cell in row.cells)
    if tables:
        rd.add(0, "text", f"{tables} table cell(s) hold text, which is not read: put each turn in a paragraph "
                          "'Name: words'", kind="text in a table")
    _time_order(turns, rd, fill_ends=True)
    return _canonical(turns, rd), turns


_READERS = {".txt": _read_txt, ".vtt": _read_vtt, ".srt": _read_srt, ".docx": _read_docx}


# ---------------------------------------------------------------------------------------------------------
# participants


def _text_column(series: pd.Series) -> pd.Series:
    """Cells as stripped NFC text (whole floats without '.0'); missing and blank cells NaN."""
    def one(v):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return _nfc(v)

    out = series.map(one, na_action="ignore").astype(object)
    return out.where(out.notna() & out.ne(""), np.nan)


def _check_participants(frame: pd.DataFrame, rows: np.ndarray, path) -> pd.DataFrame:
    missing = [c for c in ("group", "speaker", "role") if c not in frame.columns]
    if missing:
        raise TranscriptError.from_issues(path, issues_frame([
            {"row": 0, "column": c, "problem": "missing column (participants need group, speaker and role)",
             "kind": "missing column", "action": "raise"} for c in missing]), what="in the participants")
    frame = frame.copy()
    for col in ("group", "speaker", "role"):
        frame[col] = _text_column(frame[col])
    frame["role"] = frame["role"].str.lower()
    rd = _Reader(path, "")
    for col in ("group", "speaker", "role"):
        for r in rows[frame[col].isna().to_numpy()]:
            rd.add(r, col, f"empty {col}", kind="missing value")
    bad_role = frame["role"].notna() & ~frame["role"].isin(ROLES)
    for r, v in zip(rows[bad_role.to_numpy()], frame.loc[bad_role, "role"]):
        rd.add(r, "role", f"role must be one of {', '.join(ROLES)}{_did_you_mean(v, ROLES)}", value=v,
               kind="not a role")
    names = frame["speaker"].dropna()
    for i, v in names[~names.map(_is_name)].items():
        rd.add(rows[i], "speaker", "this name cannot be a speaker label 'Name: ' (1-40 letters, digits, spaces, "
                                   ". - '; no colon or brackets)", value=v, kind="bad name")
    key = frame[["group", "speaker"]]
    first_row = pd.Series(rows, index=frame.index).groupby([key["group"], key["speaker"]]).transform("first")
    for i in np.flatnonzero(key.duplicated().to_numpy() & key.notna().all(axis=1).to_numpy()):
        rd.add(rows[i], "speaker", f"speaker listed twice for group {key['group'].iat[i]!r} (first at row "
                                   f"{int(first_row.iat[i])})", value=key["speaker"].iat[i], kind="duplicate")
    if rd.issues:
        found = issues_frame(rd.issues).sort_values("row", kind="stable").reset_index(drop=True)
        raise TranscriptError.from_issues(path, found, what="in the participants",
                                          hint="Rows are lines of the file (header = line 1).")
    order = ["group", "speaker", "role"] + [c for c in frame.columns if c not in ("group", "speaker", "role")]
    return frame[order].reset_index(drop=True)


def load_participants(path) -> pd.DataFrame:
    """The participants table (CSV or XLSX, via :func:`cfresearch.data.read_table`; or a DataFrame): one row per
    speaker of a group with ``group``, ``speaker``, ``role`` (customer, employee or moderator; any case) and any
    attribute columns (segment, age_band, customer_type, ...). Names are stripped and NFC. Missing columns or
    values, an unknown role, a name that cannot be a speaker label, and a (group, speaker) listed twice raise
    :class:`TranscriptError` with the row (file line, header = 1) and column of each.

    >>> load_participants(pd.DataFrame({"group": ["FG1", "FG1"], "speaker": ["Ayşə", "Moderator"],
    ...                                 "role": ["Customer", "moderator"], "segment": ["loyal", None]}))
      group    speaker       role segment
    0   FG1       Ayşə   customer   loyal
    1   FG1  Moderator  moderator     NaN
    """
    if isinstance(path, pd.DataFrame):
        return _check_participants(path.reset_index(drop=True), np.arange(len(path), dtype=np.int64) + 2, None)
    raw = read_table(path, text_columns=["group", "speaker", "role", "segment", "age_band", "customer_type"],
                     error=TranscriptError)
    return _check_participants(raw.data, raw.rows, raw.path)


def _participants(participants) -> pd.DataFrame | None:
    return None if participants is None else load_participants(participants)


# ---------------------------------------------------------------------------------------------------------
# reading files


def _name_parts(path: Path) -> tuple[str, str | None]:
    """(group, language or None) from a file name ``<group>.<language>.<ext>``."""
    parts = path.name.split(".")
    middle = ".".join(parts[1:-1])
    return parts[0], middle if _LANG.fullmatch(middle) else None


def read_transcript(path, *, group: str | None = None, language: str | None = None, participants=None,
                    encoding: str | None = None, unknown_speakers: str = "error") -> Corpus:
    """One transcript file (``.txt``, ``.vtt``, ``.srt``, ``.docx``; see the module docstring) as a
    :class:`~cfresearch.qual.corpus.Corpus` of one document, named after the file.

    The group is ``group`` or the file name up to its first dot; the language the BCP 47 code between the dots
    of ``<group>.<language>.<ext>``, else ``language``, else ``"und"``. ``participants`` (a table or a file for
    :func:`load_participants`) gives the known speakers of the group: anyone else is reported. Every problem of
    the file is reported at once (:class:`TranscriptError`: file, line, column).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "FG4.ro.srt").write_text(
    ...     "1\\n00:00:01,000 --> 00:00:04,500\\nȘtefan: Personalul a fost\\n<i>foarte</i> amabil.\\n\\n"
    ...     "2\\n00:00:05,000 --> 00:00:06,000\\nMod: Mulțumesc!\\n", encoding="utf-8")
    >>> corpus = read_transcript(folder / "FG4.ro.srt")
    >>> print(corpus.documents["FG4.ro.srt"], end="")
    [00:00:01] Ștefan: Personalul a fost foarte amabil.
    [00:00:05] Mod: Mulțumesc!
    >>> corpus.turns[["group", "turn", "speaker", "start", "end", "language", "line"]]
      group  turn speaker  start  end language  line
    0   FG4     1  Ștefan    1.0  4.5       ro     3
    1   FG4     2     Mod    5.0  6.0       ro     8
    """
    path = Path(path)
    check_choice(unknown_speakers, ("error", "text"), where="read_transcript", what="unknown_speakers")
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise TranscriptError.at(path, 0, "file", f"unknown transcript type {suffix or '(none)'!r}; expected one "
                                 f"of {', '.join(TRANSCRIPT_SUFFIXES)}", value=path.name, kind="unknown extension")
    if not path.is_file():
        raise TranscriptError.at(path, 0, "file", "transcript file not found", value=str(path), kind="not found")
    file_group, file_language = _name_parts(path)
    group = group or file_group
    language = file_language or language or "und"
    people = _participants(participants)
    rd = _Reader(path, group, unknown=unknown_speakers)
    if people is not None:
        known = people.loc[people["group"] == group, "speaker"]
        rd.speakers = frozenset(known) or None
        if known.empty:
            rd.add(0, "speaker", f"no participants are listed for group {group!r}"
                                 f"{_did_you_mean(group, set(people['group']))}", value=group, kind="unknown group")
    text, turns = _READERS[suffix](path, rd, encoding)
    if not turns and not rd.issues:
        rd.add(0, "text", "no speaker turns found: expected 'Name: words' turns", kind="no turns")
    rd.finish()
    frame = _turn_frame(turns, document=path.name, group=group, language=language)
    return Corpus(documents={path.name: text}, turns=frame, participants=people)


def _transcript_paths(folder_or_paths) -> tuple[list[Path], Path | None]:
    if isinstance(folder_or_paths, (str, Path)):
        folder = Path(folder_or_paths)
        if folder.is_dir():
            files = sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))),
                           key=lambda p: p.name)
            if not files:
                raise TranscriptError(f"{folder}: no transcript files in the folder", path=folder)
            return files, folder
        return [folder], None
    return [Path(p) for p in folder_or_paths], None


def _language_of(path: Path, languages) -> str | None:
    if languages is None or isinstance(languages, str):
        return languages
    if isinstance(languages, Mapping):
        return languages.get(path.name, languages.get(_name_parts(path)[0]))
    raise ValueError(f"read_transcripts: languages must be a language code or a mapping of document or group to "
                     f"language; got {type(languages).__name__}")


def _combined(where, errors: list[DataError]) -> TranscriptError:
    if len(errors) == 1:
        return errors[0]
    issues = pd.concat([e.issues for e in errors], ignore_index=True)
    text = f"{len(errors)} transcript files have problems:\n" + "\n".join(str(e) for e in errors)
    err = TranscriptError(text, path=where, issues=issues)
    err.errors = list(errors)
    return err


def read_transcripts(folder_or_paths, *, participants=None, languages: str | Mapping | None = None,
                     encoding: str | None = None, unknown_speakers: str = "error") -> Corpus:
    """Every transcript in a folder (files sorted by name; hidden files and Word lock files ``~$...`` skipped,
    any other file must be a transcript) or in a list of paths, as one :class:`~cfresearch.qual.corpus.Corpus`:
    the documents by file name, their turns one after another, and the participants table.

    ``languages`` is a language for files whose names carry none, or a mapping from document or group to
    language. Each file is read by :func:`read_transcript`; the problems of all files are reported together
    (the error's ``errors`` lists each file's).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "FG1.en.txt").write_text("Moderator: Welcome.\\nAnna: Thanks!\\n", encoding="utf-8")
    >>> _ = (folder / "FG3.fa.vtt").write_text("WEBVTT\\n\\n00:01.000 --> 00:02.500\\n<v مریم>سلام &amp; ممنون\\n",
    ...                                         encoding="utf-8")
    >>> people = pd.DataFrame({"group": ["FG1", "FG1", "FG3"], "speaker": ["Moderator", "Anna", "مریم"],
    ...                        "role": ["moderator", "customer", "customer"]})
    >>> corpus = read_transcripts(folder, participants=people)
    >>> corpus.turns[["document", "turn", "speaker", "text", "language"]]
         document  turn    speaker           text language
    0  FG1.en.txt     1  Moderator       Welcome.       en
    1  FG1.en.txt     2       Anna         Thanks!       en
    2  FG3.fa.vtt     1       مریم  سلام & ممنون       fa
    >>> corpus.documents["FG3.fa.vtt"]
    '[00:00:01] مریم: سلام & ممنون\\n'
    """
    check_choice(unknown_speakers, ("error", "text"), where="read_transcripts", what="unknown_speakers")
    paths, where = _transcript_paths(folder_or_paths)
    people = _participants(participants)
    documents, frames, errors = {}, [], []
    for path in paths:
        try:
            corpus = read_transcript(path, language=_language_of(path, languages), participants=people,
                                     encoding=encoding, unknown_speakers=unknown_speakers)
        except DataError as exc:
            errors.append(exc)
            continue
        if path.name in documents:
            errors.append(TranscriptError.at(path, 0, "file", f"two files are named {path.name!r}; a document is "
                                             "named after its file, so names must differ", kind="duplicate"))
            continue
        documents.update(corpus.documents)
        frames.append(corpus.turns)
    if errors:
        raise _combined(where, errors)
    if not frames:
        raise TranscriptError("read_transcripts: no transcript files given", path=where)
    return Corpus(documents=documents, turns=pd.concat(frames, ignore_index=True), participants=people)
