"""Delimited text files (CSV) read without losing a row: encoding, delimiter, records and their lines.

A CSV exported by a survey tool, a spreadsheet or a till system may be UTF-8 (with or without a byte-order
mark), UTF-16 (Excel's "Unicode text"), or a Windows code page; its delimiter may be a comma, a semicolon
(spreadsheets in locales with a decimal comma), a tab or a bar; and one unclosed quote silently glues the
following lines into one record in every CSV parser (RFC 4180 §2.6: a quoted field may hold line breaks). This
module reads the file's bytes once and settles all three before pandas parses it:

* **Encoding**: a UTF-8 or UTF-16 byte-order mark decides; otherwise the bytes must be UTF-8. Anything else is
  refused with the line and byte of the first invalid byte and what to do (pass ``encoding="cp1252"`` for a file
  saved by Excel on Windows, or re-save as UTF-8) — never guessed, because a wrong guess corrupts text silently.
* **Delimiter**: the one of ``, ; \\t |`` that splits the header and the first lines into the same number of
  fields (more than one field); a stated ``delimiter`` wins.
* **Records**: every line break outside quotes ends a record (quotes toggle; ``""`` inside a quoted field is an
  escaped quote and toggles twice). Each record's first line is kept, so an error names the line as an editor
  shows it even after multi-line comments. A quoted field that runs over a line which, on its own, has exactly
  the header's number of fields is almost surely a stray quote swallowing records: that is an error naming the
  line where the quote opened and the lines it swallowed, instead of a silent merge. So is a quote left open at
  the end of the file.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DELIMITERS", "DelimitedText", "read_delimited_text"]

#: Delimiters recognised without being told.
DELIMITERS = (",", ";", "\t", "|")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


class DelimitedTextError(ValueError):
    """A delimited file that cannot be read safely; ``line`` is the 1-based line of the problem (or None) and
    ``column`` the kind ("encoding", "quoting", "delimiter", "rows")."""

    def __init__(self, message: str, *, line: int | None = None, column: str = ""):
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class DelimitedText:
    """A delimited file decoded and checked: its ``text`` (without byte-order mark), the ``encoding`` read, the
    ``delimiter``, and ``record_lines`` — the 1-based line where each record starts (header first, blank lines
    skipped)."""

    text: str
    encoding: str
    delimiter: str
    record_lines: np.ndarray

    @property
    def n_records(self) -> int:
        """Data records (the header is not counted)."""
        return max(0, len(self.record_lines) - 1)

    @property
    def delimiter_name(self) -> str:
        return _NAMES.get(self.delimiter, repr(self.delimiter))


def _decode(raw: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return raw.decode(encoding).removeprefix("\ufeff"), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise DelimitedTextError(f"cannot be read as {encoding} ({exc})", column="encoding") from None
    if raw.startswith(codecs.BOM_UTF8):
        raw, name = raw[len(codecs.BOM_UTF8):], "utf-8-sig"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DelimitedTextError(f"starts with a UTF-16 byte-order mark but is not UTF-16 ({exc.reason})",
                                     column="encoding") from None
    else:
        name = "utf-8"
    try:
        return raw.decode("utf-8"), name
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1)
        byte = raw[exc.start:exc.start + 1].hex().upper()
        raise DelimitedTextError(
            f"line {line}: byte 0x{byte} at position {col + 1} is not UTF-8; the file is probably in a Windows or "
            "Latin code page (e.g. saved by Excel). Re-save it as 'CSV UTF-8', or read it with encoding='cp1252' "
            "(Western European) or the code page it was written in", line=line, column="encoding") from None


def _records(text: str, delimiter: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first line, last line, number of fields) of every non-blank record, read as pandas' C parser and
    Python's csv module read it (a quote opens a quoted field only at the start of a field)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    first, last, fields = [], [], []
    previous = 0
    try:
        for row in reader:
            if row:  # blank lines are skipped, as pandas does
                first.append(previous + 1)
                last.append(reader.line_num)
                fields.append(len(row))
            previous = reader.line_num
    except csv.Error as exc:
        opened = previous + 1
        rest = text.count("\n") + 1 - opened
        raise DelimitedTextError(f"line {opened}: a quote (\") opened on this line is never closed, so the rest of "
                                 f"the file ({rest} lines) would be one field. Close or remove the stray quote "
                                 f"({exc}).", line=opened, column="quoting") from None
    if first and _open_at_end("\n".join(text.split("\n")[first[-1] - 1:]), delimiter):
        opened = first[-1]
        raise DelimitedTextError(f"line {opened}: a quote (\") opened on this line is never closed, so the rest of "
                                 f"the file ({last[-1] - opened} lines) would be one field. Close or remove the stray "
                                 "quote.", line=opened, column="quoting")
    return np.array(first, dtype=np.int64), np.array(last, dtype=np.int64), np.array(fields, dtype=np.int64)


def _open_at_end(tail: str, delimiter: str) -> bool:
    """Does the last record end inside a quoted field (the file ends before the quote closes)?"""
    try:
        list(csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return "end of data" in str(exc) or "EOF" in str(exc)
    return False


def _sniff(head: str, delimiter: str | None) -> str:
    """The delimiter that splits the header into more than one field and the next lines into as many."""
    if delimiter is not None:
        return delimiter
    scores = []
    for rank, d in enumerate(DELIMITERS):
        rows = [r for r in csv.reader(io.StringIO(head), delimiter=d) if r]
        if not rows or len(rows[0]) < 2:
            continue
        same = sum(len(r) == len(rows[0]) for r in rows[1:])
        scores.append((same, len(rows[0]), -rank, d))
    return max(scores)[3] if scores else ","


def _swallowed(text: str, first: np.ndarray, last: np.ndarray, delimiter: str, width: int) -> str | None:
    """The message for a record that swallowed lines which look like records of their own, else None."""
    physical = None
    for k in np.flatnonzero(last > first):  # only records running over several lines
        physical = physical if physical is not None else text.split("\n")
        inner = physical[first[k]:last[k]]  # the lines after the record's first one
        looks = [ln for ln in inner if len(next(csv.reader([ln], delimiter=delimiter), [])) == width
                 and '"' not in ln]
        if looks:
            return (f"line {first[k]}: a quote (\") opened on this line is only closed on line {last[k]}, so lines "
                    f"{first[k] + 1} to {last[k]} would be read as part of one record — {len(looks)} of them look "
                    "like records of their own. Close or remove the stray quote (a quote inside a quoted field is "
                    "written as two quotes, \"\").")
    return None


def _field_counts(first: np.ndarray, fields: np.ndarray, delimiter: str) -> None:
    width = int(fields[0])
    bad = np.flatnonzero(fields != width)
    if bad.size:
        k = bad[0]
        raise DelimitedTextError(
            f"line {first[k]}: {fields[k]} fields where the header has {width} (delimiter: "
            f"{_NAMES.get(delimiter, repr(delimiter))}); {bad.size} record(s) differ. A field holding the delimiter "
            "must be quoted", line=int(first[k]), column="fields")


def read_delimited_text(path: str | Path, *, encoding: str | None = None,
                        delimiter: str | None = None) -> DelimitedText:
    """Decode and check a delimited text file (see the module docstring): encoding, delimiter, and the line of
    every record; :class:`DelimitedTextError` (with ``line`` and ``column``) when it cannot be read safely.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "x.csv")
    ...     _ = open(p, "w", encoding="utf-8").write('id;comment\\n1;"two\\nlines"\\n2;ok\\n')
    ...     t = read_delimited_text(p)
    >>> t.delimiter_name, t.n_records, t.record_lines.tolist()
    ('semicolon', 2, [1, 2, 4])
    """
    raw = Path(path).read_bytes()
    text, used = _decode(raw, encoding)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DelimitedTextError(f"line {line}: NUL characters — not a text file, or UTF-16 without a byte-order "
                                 "mark (read it with encoding='utf-16-le')", line=line, column="encoding")
    head = "\n".join(text.split("\n", 8)[:8])
    used_delimiter = _sniff(head, delimiter)
    first, last, fields = _records(text, used_delimiter)
    if first.size:
        problem = _swallowed(text, first, last, used_delimiter, int(fields[0])) if fields[0] > 1 else None
        if problem:
            raise DelimitedTextError(problem, line=int(problem.split(":")[0].split()[1]), column="quoting")
        _field_counts(first, fields, used_delimiter)
    return DelimitedText(text=text, encoding=used, delimiter=used_delimiter, record_lines=first)
