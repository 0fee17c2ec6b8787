"""Deterministic sample data for the focus-group study: customers and front-line employees on service, in five
languages and four transcript formats, with a codebook, the true codes of every turn and two human coders.

:func:`write_sample` writes, byte-identically on every run:

``transcripts/``
    Nine transcripts, written by hand (the dialogue lives in ``sample_text/*.dialogue``, one file per
    transcript, with the true codes of each turn after ``||``):

    ============  ==========================================  =======================================
    file          who                                         format
    ============  ==========================================  =======================================
    FG1.en.txt    customers, London (6)                       text, ``[hh:mm:ss] Name:``
    FG2.az.vtt    customers, Baku (6)                         WebVTT, ``<v Name>``
    FG3.fa.txt    customers, Tehran (6)                       text, ``Name:``, blank lines between turns
    FG4.ro.srt    customers, Bucharest (5)                    SubRip, ``Name:``
    FG5.ms.txt    customers, Kuala Lumpur (6)                 text with times, BOM and CRLF
    FG6.en.docx   front-line employees, Manchester (6)        Word, one paragraph per turn
    INT1.en.srt   a business customer                         SubRip
    INT2.fa.vtt   a loyalty-club member                       WebVTT
    INT3.ms.docx  a store team lead (employee)                Word
    ============  ==========================================  =======================================

    Planted text phenomena: an NFD "café" (FG1), a turn over two lines with a text message holding
    ``<b>`` and ``<script>alert("hi")</script>`` as words (FG1), participants naming each other (FG1, FG3, FG5,
    FG6), Azerbaijani capitals with İ and I (FG2), the Persian zero-width non-joiner and turns typed with Arabic
    kaf/yeh (ك ي) (FG3, INT2), a stray U+202E before a quoted text message (FG3), Romanian cedilla ş ţ next to
    comma-below ș ț (FG4), Malay reduplication and affixes (FG5, INT3), consecutive cues of one speaker (FG2,
    INT1, INT2).
``participants.csv``
    Every speaker, moderators included: group, speaker, role, segment, age_band, customer_type, city,
    tenure_years (years as a customer, or employed).
``codebook.yaml``
    Eight themes (folders) with 19 codable codes, each with definition, rules, example, colour and keyword
    patterns in en, az, fa, ro and ms (a copy of ``sample_text/codebook.yaml``).
``truth.yaml``
    ``{document: {turn: [codes]}}``: the true codes of every participant turn (``[]`` for none).
``codings.csv``
    Two human coders simulated from the truth with known error rates (:data:`CODER_ERRORS`, seed
    :data:`SEED`): each true code is missed with probability ``miss``, replaced by a sibling code with
    probability ``confuse``, and each turn gets one extra code with probability ``extra``. Coder A gives
    start/end offsets (the words of the turn the code is about, or the whole turn), Coder B turn numbers; Coder B
    did not code INT3 (missing data). Realised against truth, over the turn x code decisions (participant turns
    x 19 codes): Coder A recall 0.885, precision 0.896 (252 true codes); Coder B recall 0.806, precision 0.845;
    Cohen's kappa of A and B over the 3,382 decisions they both made 0.711 (percent agreement 0.963).

The keyword patterns are ordinary on purpose. Matched per turn on whole words with the folding the issue asks
for (Azerbaijani İ/I, Persian kaf/yeh and ZWNJ, Romanian cedilla), by a plain matcher used while writing them,
they reached precision 0.64-1.00 and recall 0.67-0.94 per code against truth (0.80 and 0.82 over all codes);
five true matches need the folding (the capitals of FG2, the Arabic-keyboard turns of FG3 and INT2, the
cedilla ţ of FG4). The auto-coder's own figures may differ a little (sentence units, its word boundaries).

Offsets are code points in the *document text* (contracts of :mod:`cfresearch.qual.corpus`): the file text
after NFC, LF and BOM removal for ``.txt``, and for ``.vtt``, ``.srt`` and ``.docx`` the canonical text, one line
``[hh:mm:ss] Name: words`` (or ``Name: words``) per turn. Cue start times are whole seconds.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import yaml

from .codebook import load_codebook

__all__ = ["CODER_ERRORS", "SEED", "write_sample"]

SEED = 20250818
SOURCE = Path(__file__).with_name("sample_text")
#: The transcripts, in this order in every output table.
SCRIPTS = ["FG1", "FG2", "FG3", "FG4", "FG5", "FG6", "INT1", "INT2", "INT3"]
#: Per coder: P(miss a true code), P(replace it by a sibling code), P(one extra code on a turn).
CODER_ERRORS = {"Coder A": {"miss": 0.05, "confuse": 0.05, "extra": 0.05},
                "Coder B": {"miss": 0.10, "confuse": 0.10, "extra": 0.10}}
#: Documents a coder did not code.
SKIPPED = {"Coder B": ("INT3.ms.docx",)}
PARTICIPANT_COLUMNS = ["group", "speaker", "role", "segment", "age_band", "customer_type", "city", "tenure_years"]
_DOCX_DATE = datetime(2025, 6, 2, 9, 30)
_ZIP_DATE = (2025, 6, 2, 9, 30, 0)


@dataclass
class _Turn:
    speaker: str
    text: str                                   # the words, NFC (lines joined with "\n"); file text may differ
    raw: str                                    # as written to a .txt file (may hold NFD)
    codes: list[tuple[str, str | None]]         # (code, the words it is about, or None for the whole turn)
    start: int = 0                              # seconds
    end_ms: int = 0
    char_start: int = 0
    char_end: int = 0


@dataclass
class _Script:
    document: str
    options: dict[str, str]
    speakers: list[dict[str, str]]
    turns: list[_Turn] = field(default_factory=list)

    @property
    def group(self) -> str:
        return self.document.split(".")[0]

    @property
    def language(self) -> str:
        return self.document.split(".")[1]

    @property
    def suffix(self) -> str:
        return self.document.rsplit(".", 1)[1]

    @property
    def moderators(self) -> set[str]:
        return {s["speaker"] for s in self.speakers if s["role"] == "moderator"}


# ─── reading the dialogue sources ───────────────────────────────────────────────────────────────────────────

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_CODE = re.compile(r'\s*([a-z_]+)(?:="([^"]*)")?\s*(?:,|$)')


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _codes(spec: str, where: str) -> list[tuple[str, str | None]]:
    out, pos = [], 0
    while pos < len(spec):
        m = _CODE.match(spec, pos)
        if not m or m.end() == pos:
            raise ValueError(f"{where}: cannot read the codes {spec!r}")
        out.append((m.group(1), _unescape(m.group(2)) if m.group(2) is not None else None))
        pos = m.end()
    return out


def _speaker(value: str) -> dict[str, str]:
    parts = [p.strip() for p in value.split("|")] + [""] * 7
    return dict(zip(PARTICIPANT_COLUMNS[1:], parts[:7]))


def _read_script(name: str) -> _Script:
    path = SOURCE / f"{name}.dialogue"
    header, body = path.read_text(encoding="utf-8").split("\n---\n")
    options, speakers = {}, []
    for line in header.splitlines():
        if not line or line.startswith("#"):
            continue
        key, value = (s.strip() for s in line.split(":", 1))
        if key == "speaker":
            speakers.append(_speaker(value))
        else:
            options[key] = value
    script = _Script(document=options.pop("document"), options=options, speakers=speakers)
    for no, line in enumerate(body.splitlines(), start=header.count("\n") + 3):
        words, _, spec = line.partition(" || ")
        if not words:
            continue
        if words.startswith("+ "):                          # a further line of the previous turn
            turn = script.turns[-1]
            turn.raw += "\n" + _unescape(words[2:])
            turn.codes = _codes(spec, f"{path.name}:{no}") if spec else turn.codes
        else:
            speaker, _, said = words.partition(": ")
            script.turns.append(_Turn(speaker, "", _unescape(said), _codes(spec, f"{path.name}:{no}")))
    for turn in script.turns:
        turn.text = unicodedata.normalize("NFC", turn.raw)
    return script


# ─── times and the document text ───────────────────────────────────────────────────────────────────────────

def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _cue_clock(ms: int, sep: str) -> str:
    return f"{_clock(ms // 1000)}{sep}{ms % 1000:03d}"


def _set_times(script: _Script) -> None:
    """Speech at about 15 characters a second, a pause of 1-2 s between turns; cues start on whole seconds."""
    h, m, s = (int(x) for x in script.options.get("start", "00:00:05").split(":"))
    start = 3600 * h + 60 * m + s
    for i, turn in enumerate(script.turns):
        duration = max(2, math.ceil(len(turn.text) / 15))
        turn.start = start
        turn.end_ms = 1000 * (start + duration) - 200 - (173 * i) % 500
        start += duration + 1 + (i % 3 == 2)


def _label(turn: _Turn, timed: bool) -> str:
    return f"[{_clock(turn.start)}] {turn.speaker}: " if timed else f"{turn.speaker}: "


def _lay_out(script: _Script, timed: bool, gap: str) -> tuple[str, str]:
    """The file text (with the turns as written) and the document text (NFC); sets each turn's offsets."""
    file_parts, doc, pos = [], [], 0
    for i, turn in enumerate(script.turns):
        label = _label(turn, timed)
        if i:
            doc.append(gap)
            pos += len(gap)
        turn.char_start, turn.char_end = pos + len(label), pos + len(label) + len(turn.text)
        doc.append(label + turn.text)
        pos = turn.char_end
        file_parts.append(label + turn.raw)
    return gap.join(file_parts) + "\n", "".join(doc) + "\n"


# ─── the four formats ──────────────────────────────────────────────────────────────────────────────────────

def _render_txt(script: _Script) -> tuple[bytes, str]:
    timed = script.options.get("timestamps") == "yes"
    gap = "\n\n" if script.options.get("blank_lines") == "yes" else "\n"
    text, document = _lay_out(script, timed, gap)
    assert unicodedata.normalize("NFC", text) == document
    if script.options.get("newline") == "crlf":
        text = text.replace("\n", "\r\n")
    bom = "\ufeff" if script.options.get("bom") == "yes" else ""
    return (bom + text).encode("utf-8"), document


def _render_vtt(script: _Script) -> tuple[bytes, str]:
    _, document = _lay_out(script, True, "\n")
    cues = []
    for i, turn in enumerate(script.turns, start=1):
        assert not re.search(r"[<&\n]|-->", turn.text), (script.document, i)
        cues.append(f"{i}\n{_cue_clock(1000 * turn.start, '.')} --> {_cue_clock(turn.end_ms, '.')}\n"
                    f"<v {turn.speaker}>{turn.text}\n")
    return ("WEBVTT\n\n" + "\n".join(cues)).encode("utf-8"), document


def _render_srt(script: _Script) -> tuple[bytes, str]:
    _, document = _lay_out(script, True, "\n")
    cues = []
    for i, turn in enumerate(script.turns, start=1):
        assert "\n" not in turn.text, (script.document, i)
        cues.append(f"{i}\n{_cue_clock(1000 * turn.start, ',')} --> {_cue_clock(turn.end_ms, ',')}\n"
                    f"{turn.speaker}: {turn.text}\n")
    return "\n".join(cues).encode("utf-8"), document


def _render_docx(script: _Script) -> tuple[bytes, str]:
    """One paragraph per turn, the name in bold; fixed core properties, and the zip rewritten with fixed
    timestamps in python-docx's member order, so the bytes are the same on every run."""
    from docx import Document

    _, document = _lay_out(script, False, "\n")
    doc = Document()
    props = doc.core_properties
    props.author = props.last_modified_by = "cfresearch sample data"
    props.created = props.modified = _DOCX_DATE
    props.title = f"{script.document}: transcript"
    props.comments = props.category = props.keywords = props.subject = ""
    props.language = script.language
    props.revision = 1
    for turn in script.turns:
        assert "\n" not in turn.text, script.document
        paragraph = doc.add_paragraph()
        paragraph.add_run(f"{turn.speaker}:").bold = True
        paragraph.add_run(f" {turn.text}")
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            member.compress_type, member.external_attr, member.create_system = zipfile.ZIP_DEFLATED, 0o644 << 16, 0
            dst.writestr(member, src.read(info.filename), compresslevel=9)
    return out.getvalue(), document


_RENDER = {"txt": _render_txt, "vtt": _render_vtt, "srt": _render_srt, "docx": _render_docx}


# ─── truth and the human coders ────────────────────────────────────────────────────────────────────────────

def _span(script: _Script, turn: _Turn, anchor: str | None) -> tuple[int, int]:
    if anchor is None:
        return turn.char_start, turn.char_end
    at = turn.text.find(anchor)
    if at < 0 or turn.text.find(anchor, at + 1) >= 0:
        raise ValueError(f"{script.document}: {anchor!r} is not found once in the turn of {turn.speaker}")
    return turn.char_start + at, turn.char_start + at + len(anchor)


def _truth(scripts: list[_Script], codable: set[str]) -> dict[str, dict[int, list[str]]]:
    truth: dict[str, dict[int, list[str]]] = {}
    for script in scripts:
        truth[script.document] = {}
        for no, turn in enumerate(script.turns, start=1):
            codes = [c for c, _ in turn.codes]
            if turn.speaker in script.moderators:
                assert not codes, (script.document, no)
                continue
            unknown = set(codes) - codable
            if unknown or len(set(codes)) != len(codes):
                raise ValueError(f"{script.document} turn {no}: unknown or repeated codes {codes}")
            truth[script.document][no] = codes
    return truth


def _code_turn(rng: np.random.Generator, errors: dict[str, float], true: list[tuple[str, tuple[int, int]]],
               whole: tuple[int, int], siblings: dict[str, list[str]], codable: list[str]
               ) -> list[tuple[str, tuple[int, int]]]:
    """One coder's codes for one turn: each true code kept, missed or swapped for a sibling; maybe one extra."""
    out: dict[str, tuple[int, int]] = {}
    for code, span in true:
        u = rng.random()
        if u < errors["miss"]:
            continue
        if u < errors["miss"] + errors["confuse"]:
            code = str(rng.choice(siblings[code]))
        out.setdefault(code, span)
    if rng.random() < errors["extra"]:
        near = [s for c, _ in true for s in siblings[c] if s not in out]
        pool = near if near and rng.random() < 0.5 else [c for c in codable if c not in out]
        out.setdefault(str(rng.choice(pool)), whole)
    return list(out.items())


def _codings(scripts: list[_Script], codebook) -> list[dict[str, object]]:
    codable = [n for n, c in codebook.codes.items() if c.codable]
    siblings = {n: [s for s in codebook.children(codebook[n].parent) if s != n] for n in codable}
    rows = []
    for k, (coder, errors) in enumerate(CODER_ERRORS.items()):
        rng = np.random.default_rng([SEED, k])
        for script in scripts:
            if script.document in SKIPPED.get(coder, ()):
                continue
            for no, turn in enumerate(script.turns, start=1):
                if turn.speaker in script.moderators:
                    continue
                true = [(c, _span(script, turn, a)) for c, a in turn.codes]
                whole = (turn.char_start, turn.char_end)
                for code, (start, end) in _code_turn(rng, errors, true, whole, siblings, codable):
                    by_offset = coder == "Coder A"
                    rows.append({"coder": coder, "document": script.document, "start": start if by_offset else "",
                                 "end": end if by_offset else "", "turn": "" if by_offset else no, "code": code})
    return rows


# ─── writing ───────────────────────────────────────────────────────────────────────────────────────────────

def _csv(rows: list[dict[str, object]], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _participants(scripts: list[_Script]) -> bytes:
    rows = [{"group": s.group, **p} for s in scripts for p in s.speakers]
    return _csv(rows, PARTICIPANT_COLUMNS)


def _truth_yaml(truth: dict[str, dict[int, list[str]]]) -> bytes:
    head = ("# The true codes of every participant turn: {document: {turn number: [codes]}} (turns count from 1,\n"
            "# moderator turns included; moderators are not listed). Written by cfresearch.qual.sample.\n")
    body = yaml.safe_dump(truth, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)
    return (head + body).encode("utf-8")


def write_sample(folder: str | Path) -> list[Path]:
    """Write the focus-group sample data into ``folder`` (created if needed); return the files written.

    Byte-identical from run to run: hand-written dialogue, fixed times, a seeded simulation of the coders, fixed
    dates and member order in the Word files.

    >>> import tempfile
    >>> files = write_sample(Path(tempfile.mkdtemp()) / "focus_groups")
    >>> [p.name for p in files if p.parent.name != "transcripts"]
    ['codebook.yaml', 'participants.csv', 'truth.yaml', 'codings.csv']
    >>> sorted(p.suffix for p in files if p.parent.name == "transcripts")
    ['.docx', '.docx', '.srt', '.srt', '.txt', '.txt', '.txt', '.vtt', '.vtt']
    """
    folder = Path(folder)
    (folder / "transcripts").mkdir(parents=True, exist_ok=True)
    codebook = load_codebook(SOURCE / "codebook.yaml")
    scripts = [_read_script(name) for name in SCRIPTS]
    outputs: dict[str, bytes] = {"codebook.yaml": (SOURCE / "codebook.yaml").read_bytes(),
                                 "participants.csv": _participants(scripts)}
    for script in scripts:
        _set_times(script)
        data, document = _RENDER[script.suffix](script)
        for turn in script.turns:
            assert document[turn.char_start:turn.char_end] == turn.text, script.document
        outputs[f"transcripts/{script.document}"] = data
    outputs["truth.yaml"] = _truth_yaml(_truth(scripts, {n for n, c in codebook.codes.items() if c.codable}))
    outputs["codings.csv"] = _csv(_codings(scripts, codebook), ["coder", "document", "start", "end", "turn", "code"])
    written = []
    for name, data in outputs.items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written
