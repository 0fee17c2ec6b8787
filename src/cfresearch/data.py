"""Reading raw data files, and the one error every package raises for bad data.

Every loader in cfresearch (survey responses, transcripts, ledgers) reports bad input the same way: a
:class:`DataError` whose message names the file, the row and the column and says what was expected, and
whose ``issues`` attribute holds every problem found, as a tidy table:

========  =============================================================================================
row       the row as the user finds it in the file: for CSV and XLSX the line / sheet row counting the
          header (first data row = 2); for SAV and Parquet the record number (first record = 1); for text
          formats (transcripts) the line; 0 when the problem is not one row's (a missing column)
column    the column (or field) name
value     the offending value as read (text)
problem   what is wrong and what was expected, e.g. "outside 1..5"
kind      a short problem kind for counting (``out of range``, ``not a code``, ``missing column``, ...)
action    what was done: ``raise``, ``set missing``, ``left missing``, ``excluded``, ...
========  =============================================================================================

:func:`read_table` reads CSV, XLSX, SPSS ``.sav`` and Parquet by suffix, as they are (no conversion), and
returns a :class:`RawTable` that knows each row's number in the file, so that validation can point at it.
The raw file is only ever read.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .paths import sample_path  # noqa: F401  (used by the examples)

__all__ = ["DataError", "FORMATS", "ISSUE_COLUMNS", "RawTable", "columns_of", "file_format", "issues_frame",
           "read_table"]

#: File suffix -> format name, for :func:`read_table`.
FORMATS: dict[str, str] = {".csv": "CSV", ".xlsx": "XLSX", ".xlsm": "XLSX", ".sav": "SAV", ".parquet": "Parquet",
                           ".pq": "Parquet"}

#: The columns of every issues table, in order.
ISSUE_COLUMNS = ["row", "column", "value", "problem", "kind", "action"]

_MAX_SHOWN = 10


def issues_frame(rows: list[dict] | pd.DataFrame | None = None) -> pd.DataFrame:
    """An issues table with the standard columns (missing columns filled: value "", action "").

    >>> issues_frame([{"row": 3, "column": "age", "value": "x", "problem": "not a number", "kind": "not a number"}])
       row column value       problem          kind action
    0    3    age     x  not a number  not a number
    """
    frame = pd.DataFrame(rows if rows is not None else [], columns=None if rows is not None else ISSUE_COLUMNS)
    for col, default in (("row", 0), ("column", ""), ("value", ""), ("problem", ""), ("kind", ""), ("action", "")):
        if col not in frame.columns:
            frame[col] = default
        elif col == "row":
            frame[col] = frame[col].fillna(0)
        else:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), default)
    frame = frame[ISSUE_COLUMNS].copy()
    frame["row"] = frame["row"].astype("int64")
    return frame


def _issue_line(issue) -> str:
    if not issue.row:
        return f"column {issue.column}: {issue.problem}"
    where = f"row {issue.row}, column {issue.column}" if issue.column else f"row {issue.row}"
    value = f": value {issue.value!r} — " if issue.value != "" else ": "
    return where + value + str(issue.problem)


class DataError(ValueError):
    """Input data that cannot be used as it is: the message names the file, row and column and what was
    expected; ``issues`` holds every problem found (see the module docstring), ``path`` the file, and
    ``row`` / ``column`` the first problem's position (None when the problem is the whole file's).

    >>> err = DataError.from_issues("ledger.csv", issues_frame([
    ...     {"row": 7, "column": "revenue", "value": "-5", "problem": "negative revenue (expected >= 0)"}]))
    >>> print(err)
    ledger.csv: 1 problem in the data:
      row 7, column revenue: value '-5' — negative revenue (expected >= 0)
    >>> err.row, err.column
    (7, 'revenue')
    """

    def __init__(self, message: str, *, path: str | Path | None = None, issues: pd.DataFrame | None = None,
                 row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.path = Path(path) if path is not None else None
        self.issues = issues_frame(issues) if issues is not None else issues_frame()
        first = self.issues.iloc[0] if len(self.issues) else None
        self.row = row if row is not None else (int(first["row"]) or None if first is not None else None)
        self.column = column if column is not None else (str(first["column"]) or None if first is not None
                                                         else None)

    @classmethod
    def from_issues(cls, path: str | Path | None, issues: pd.DataFrame, *, hint: str = "",
                    what: str = "in the data", max_shown: int = _MAX_SHOWN) -> DataError:
        """The error for a table of issues, with the one message every package uses: the file and the count,
        then up to ``max_shown`` issues (those that could not be fixed first), then ``hint`` (what to do)."""
        issues = issues_frame(issues)
        n = len(issues)
        shown = issues.sort_values("action", key=lambda a: ~a.astype(str).str.startswith("raise ("), kind="stable")
        lines = [_issue_line(r) for r in shown.head(max_shown).itertuples(index=False)]
        head = f"{path}: " if path is not None else ""
        text = f"{head}{n} problem{'s' * (n != 1)} {what}:\n  " + "\n  ".join(lines)
        if n > max_shown:
            text += f"\n  … and {n - max_shown} more (see the exception's .issues)"
        if hint:
            text += "\n" + hint
        return cls(text, path=path, issues=issues)

    @classmethod
    def at(cls, path: str | Path | None, row: int, column: str, problem: str, *, value="", kind: str = "",
           hint: str = "") -> DataError:
        """The error for one problem at one row and column (a one-row issues table)."""
        issues = issues_frame([{"row": row, "column": column, "value": "" if value is None else str(value),
                                "problem": problem, "kind": kind or problem, "action": "raise"}])
        return cls.from_issues(path, issues, hint=hint)


def file_format(path: str | Path, error: type[DataError] = DataError) -> str:
    """The format of ``path`` by its suffix (see :data:`FORMATS`), checked to exist; else ``error``.

    >>> file_format("responses.txt")
    Traceback (most recent call last):
    ...
    cfresearch.data.DataError: responses.txt: unsupported file type '.txt'; expected one of .csv, .parquet, ...
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise error(f"{path}: unsupported file type {path.suffix!r}; expected one of {', '.join(sorted(FORMATS))}",
                    path=path)
    if not path.is_file():
        raise error(f"{path}: data file not found", path=path)
    return fmt


@dataclass(frozen=True)
class RawTable:
    """A data file read as it is: the frame (index 0..n-1), where it came from, and each row's number in it."""

    data: pd.DataFrame
    path: Path
    format: str
    first_row: int  # the number of the first data row in the file (2 for CSV/XLSX under a header, 1 for records)
    lines: np.ndarray | None = None  # CSV: the line where each data row starts (multi-line fields counted)

    @property
    def rows(self) -> np.ndarray:
        """The file's row number of every row of ``data``: the line where the record starts for CSV (a comment
        running over two lines moves the rows after it), the sheet row for XLSX, the record for SAV and
        Parquet."""
        if self.lines is not None:
            return self.lines
        return np.arange(len(self.data), dtype=np.int64) + self.first_row

    def row_of(self, position: int) -> int:
        """The file's row number of the row at ``position`` (0-based) of ``data``."""
        return int(self.rows[int(position)])


def columns_of(path: str | Path, *, error: type[DataError] = DataError) -> list[str]:
    """The column names of a data file, from its header or schema only (nothing else is read).

    >>> columns_of(sample_path("survey", "responses.csv"))[:3]
    ['respondent_id', 'wave', 'interview_date']
    """
    path = Path(path)
    fmt = file_format(path, error)
    try:
        if fmt == "CSV":
            from cfresearch.delimited import read_delimited_text

            text = read_delimited_text(path)
            return [str(c) for c in pd.read_csv(io.StringIO(text.text), nrows=0, sep=text.delimiter).columns]
        if fmt == "XLSX":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True)
            first = next(book.active.iter_rows(max_row=1, values_only=True), ())
            book.close()
            return [str(c) for c in first if c is not None]
        if fmt == "SAV":
            import pyreadstat

            return list(pyreadstat.read_sav(str(path), metadataonly=True)[1].column_names)
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    except Exception as exc:
        raise error(f"{path}: cannot read the header as {fmt} ({exc.__class__.__name__}: {exc})", path=path) from exc


def read_table(path: str | Path, text_columns: list[str] | None = None, *,
               error: type[DataError] = DataError, encoding: str | None = None,
               allow_empty: bool = False) -> RawTable:
    """Read a data file as it is, by suffix (CSV, XLSX, SAV, Parquet), into a :class:`RawTable`.

    CSV is first decoded and checked by :func:`cfresearch.delimited.read_delimited_text`: the encoding (UTF-8,
    UTF-8 or UTF-16 with a byte-order mark; another code page only when ``encoding`` names it), the delimiter
    (comma, semicolon, tab or bar), every record's line, and no row lost to a stray quote or a ragged line. Only
    empty cells are missing (a comment reading "NA" stays text) and ``text_columns`` are read as text (ids keep
    leading zeros); other columns are parsed as numbers where every cell is one and kept as text otherwise, for
    validation to report. XLSX cells are read as objects. SAV is read with ``user_missing=True`` and without
    applying value labels, so codes stay codes. A file that cannot be read, or that has no data rows (unless
    ``allow_empty``), raises ``error`` (a :class:`DataError`) naming the file, the line and what to do.

    >>> t = read_table(sample_path("survey", "responses.csv"))
    >>> t.format, t.row_of(0), len(t.data) > 1000
    ('CSV', 2, True)
    """
    path = Path(path)
    fmt = file_format(path, error)
    lines = None
    if fmt == "CSV":
        from cfresearch.delimited import DelimitedTextError, read_delimited_text

        try:
            text = read_delimited_text(path, encoding=encoding)
        except DelimitedTextError as exc:
            raise error(f"{path}: {exc}", path=path, row=exc.line, column=exc.column) from None
        lines = text.record_lines[1:]
    try:
        if fmt == "CSV":
            header = pd.read_csv(io.StringIO(text.text), nrows=0, sep=text.delimiter).columns
            dtype = {c: str for c in text_columns or () if c in header}
            frame, first = pd.read_csv(io.StringIO(text.text), sep=text.delimiter, dtype=dtype,
                                       keep_default_na=False, na_values=[""]), 2
        elif fmt == "XLSX":
            frame, first = pd.read_excel(path, dtype=object, engine="openpyxl"), 2
        elif fmt == "SAV":
            import pyreadstat

            frame, first = pyreadstat.read_sav(str(path), user_missing=True)[0], 1
        else:
            frame, first = pd.read_parquet(path), 1
    except Exception as exc:  # each reader has its own error types; all mean "unreadable"
        raise error(f"{path}: cannot read as {fmt} ({exc.__class__.__name__}: {_short(exc)})", path=path) from exc
    if lines is not None and len(lines) != len(frame):  # never lose a row silently
        raise error(f"{path}: {len(lines):,} records in the file but {len(frame):,} parsed; the file's quoting or "
                    "line endings are inconsistent", path=path)
    if len(frame) == 0 and not allow_empty:
        raise error(f"{path}: no data rows (only a header with {len(frame.columns)} columns); expected at least one "
                    "row under the header", path=path, row=1)
    return RawTable(frame.set_axis(pd.RangeIndex(len(frame)), axis=0), path, fmt, first, lines)


def _short(exc: Exception, limit: int = 300) -> str:
    """An exception's message on one line, cut to ``limit`` characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


_NUMPY_REPR = re.compile(r"np\.(?:u?int\d*|float\d*|bool_?|str_|datetime64|timedelta64)\(((?:[^()]|\([^()]*\))*)\)")


def plain_reprs(text: str) -> str:
    """A message with numpy scalar reprs made plain (``np.int64(3)`` → ``3``, ``np.str_('a')`` → ``'a'``), for
    text a person reads (the terminal, a report); numpy 2 writes scalars inside containers that way.

    >>> plain_reprs("waves [np.int64(1), np.int64(2)], label np.str_('North'), share np.float64(0.25)")
    "waves [1, 2], label 'North', share 0.25"
    """
    return _NUMPY_REPR.sub(lambda m: m.group(1), str(text))
