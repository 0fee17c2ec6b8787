"""Human codings of the transcripts: reading ``codings.csv`` and checking any codings table against the corpus
and the codebook.

A codings file has one row per coded selection, with the columns ``coder``, ``document``, ``start``, ``end``,
``turn``, ``code``. A row gives EITHER ``start`` and ``end`` (0-based, half-open Unicode code points into the
document text, as REFI-QDA 1.5 §10.2 counts them: ``documents[document][start:end]`` is the selection) OR
``turn`` (the turn's number in the document: the selection is then the turn's words), or both when they agree.
The result has the columns :data:`~cfresearch.qual.corpus.CODING_COLUMNS` (other columns kept after them),
with ``start``/``end`` filled from the turn where only the turn was given, and ``turn`` filled with the turn
that holds the selection where only offsets were (NaN when the selection spans turns, which is allowed).

Every problem is collected and reported at once through :class:`CodingsError` (a
:class:`cfresearch.data.DataError`), naming the file, the row (the line of the CSV file as a spreadsheet or
editor shows it: the header is line 1, the first coding line 2) and the column:

* a missing column; an empty coder, document or code;
* a document that is not in the corpus, a code that is not in the codebook, or a folder code that is not
  codable (each with the closest names, difflib);
* ``start``, ``end`` or ``turn`` that is not a whole number >= 0 (``turn`` >= 1); a start without an end;
  neither offsets nor turn;
* ``start >= end``; an ``end`` beyond the document's length; a turn number the document does not have; offsets
  and a turn that disagree (the selection is not inside that turn);
* the same selection coded twice with the same code by the same coder (a duplicate: it would count twice);
* selections of the same code by the same coder that overlap (they would count the overlap twice in
  frequencies and inflate agreement): merge them into one selection. Selections that only touch
  (``end == start``) do not overlap.
"""

from __future__ import annotations

import difflib
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from cfresearch.data import DataError, issues_frame, read_table
from cfresearch.qual.corpus import CODING_COLUMNS, Corpus, turn_of

__all__ = ["CodingsError", "check_codings", "load_codings"]

_TEXT = ("coder", "document", "code")
_NUMBERS = ("start", "end", "turn")


class CodingsError(DataError):
    """Codings that cannot be used as they are: the message names the file, and the row and column of every
    problem; ``issues`` holds them as a table."""


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped NFC text; missing and blank cells NaN."""
    out = series.map(lambda v: unicodedata.normalize("NFC", str(v).strip()), na_action="ignore").astype(object)
    return out.where(out.notna() & out.ne(""), np.nan)


def _whole(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values as float with NaN for empty cells, mask of cells that are not whole numbers)."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        return values, ~np.isnan(values) & (values != np.floor(values))
    text = series.map(lambda v: str(v).strip(), na_action="ignore")
    text = text.where(text.ne(""), np.nan)
    ok = text.str.fullmatch(r"[+-]?\d+(?:\.0*)?", na=False)
    values = np.full(len(series), np.nan)
    values[ok.to_numpy()] = [float(int(v.split(".")[0])) for v in text[ok]]
    return values, (text.notna() & ~ok).to_numpy()


class _Issues:
    def __init__(self, rows: np.ndarray):
        self.rows, self.items = rows, []

    def add(self, mask, column: str, problem, *, values=None, kind: str) -> None:
        """One issue per row of ``mask``; ``problem`` and ``values`` a string or one entry per row."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        for k, i in enumerate(idx):
            p = problem if isinstance(problem, str) else problem[k]
            v = "" if values is None else values[k] if not isinstance(values, str) else values
            v = int(v) if isinstance(v, float) and v.is_integer() else v
            self.items.append({"row": int(self.rows[i]), "column": column, "value": "" if pd.isna(v) else str(v),
                               "problem": p, "kind": kind, "action": "raise"})


def _did_you_mean(value: str, choices, extra: dict | None = None) -> str:
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(value, choices, n=2, cutoff=0.6)
    close += [extra[value]] if extra and value in extra and extra[value] not in close else []
    close += [c for c in choices if c.startswith(value + ".") and c not in close][:2]
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def _check_names(frame: pd.DataFrame, corpus: Corpus, codebook, issues: _Issues) -> np.ndarray:
    """Report empty names, unknown documents and codes; the mask of rows whose document is known."""
    for col in _TEXT:
        issues.add(frame[col].isna(), col, f"empty {col}", kind="missing value")
    doc = frame["document"]
    unknown = doc.notna() & ~doc.isin(list(corpus.documents))
    issues.add(unknown, "document", [f"no document {d!r} in the corpus{_did_you_mean(d, corpus.documents)}"
                                     for d in doc[unknown]], values=doc[unknown].tolist(), kind="unknown document")
    code = frame["code"]
    labels = {c.label: c.name for c in codebook.codes.values()}
    absent = code.notna() & ~code.isin(list(codebook.codes))
    issues.add(absent, "code", [f"code {c!r} is not in the codebook{_did_you_mean(c, codebook.codes, labels)}"
                                for c in code[absent]], values=code[absent].tolist(), kind="not a code")
    folder = code.notna() & ~absent & ~code.map(lambda c: codebook.codes[c].codable if c in codebook.codes
                                                   else True).astype(bool)
    issues.add(folder, "code", "this code is a folder (codable: false in the codebook): code with one of its "
                               "children", values=code[folder].tolist(), kind="not codable")
    return (doc.notna() & ~unknown).to_numpy()


def _parse_offsets(frame: pd.DataFrame, issues: _Issues) -> dict[str, np.ndarray]:
    """start, end, turn as float arrays (NaN: empty or invalid), invalid cells reported."""
    out = {}
    for col in _NUMBERS:
        values, bad = _whole(frame[col])
        low = 1 if col == "turn" else 0
        small = ~np.isnan(values) & (values < low)
        issues.add(bad, col, f"not a whole number (expected the {col} as an integer >= {low})",
                   values=frame[col][bad].tolist(), kind="not an integer")
        issues.add(small, col, f"must be >= {low}", values=values[small].tolist(), kind="out of range")
        values[bad | small] = np.nan
        out[col] = values
    return out


def _turn_bounds(turns: pd.DataFrame, document: pd.Series, turn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(char_start, char_end) of each (document, turn); NaN where the document has no such turn."""
    key = pd.MultiIndex.from_arrays([document.to_numpy(dtype=object), turn])
    table = turns.set_index(["document", "turn"])[["char_start", "char_end"]].astype(np.float64)
    table.index = table.index.set_levels(table.index.levels[1].astype(np.float64), level=1)
    found = table.reindex(key)
    return found["char_start"].to_numpy(), found["char_end"].to_numpy()


def _check_spans(frame, corpus: Corpus, known: np.ndarray, num: dict, issues: _Issues) -> np.ndarray:
    """Check offsets and turns of rows with a known document, fill the missing ones; the mask of usable rows."""
    start, end, turn = num["start"], num["end"], num["turn"]
    has_s, has_e, has_t = ~np.isnan(start), ~np.isnan(end), ~np.isnan(turn)
    raw = {c: frame[c].notna().to_numpy() for c in _NUMBERS}
    issues.add(raw["start"] & ~raw["end"], "end", "start is given without end", kind="missing value")
    issues.add(raw["end"] & ~raw["start"], "start", "end is given without start", kind="missing value")
    issues.add(~raw["start"] & ~raw["end"] & ~raw["turn"], "start", "give start and end (code points), or turn",
               kind="missing value")
    lengths = frame["document"].map(lambda d: len(corpus.documents.get(d, "")) if isinstance(d, str) else 0)
    lengths = lengths.to_numpy(dtype=np.float64)
    spans = known & has_s & has_e
    order = spans & (start >= end)
    issues.add(order, "end", [f"end ({e:.0f}) must be greater than start ({s:.0f})" for s, e in
                              zip(start[order], end[order])], values=end[order].tolist(), kind="start >= end")
    beyond = spans & ~order & (end > lengths)
    issues.add(beyond, "end", [f"beyond the end of the document ({n:.0f} characters)" for n in lengths[beyond]],
               values=end[beyond].tolist(), kind="out of range")
    t_start, t_end = _turn_bounds(corpus.turns, frame["document"], turn)
    missing_turn = known & has_t & np.isnan(t_start)
    counts = corpus.turns.groupby("document")["turn"].max()
    issues.add(missing_turn, "turn", [f"no turn {t:.0f} in {d} (it has turns 1..{counts.get(d, 0)})" for t, d in
                                      zip(turn[missing_turn], frame["document"][missing_turn])],
               values=turn[missing_turn].tolist(), kind="unknown turn")
    ok = known & frame["coder"].notna().to_numpy() & frame["code"].notna().to_numpy()
    ok &= ((spans & ~order & ~beyond) | (has_t & ~has_s & ~has_e & ~raw["start"] & ~raw["end"]))
    ok &= ~(has_t & np.isnan(t_start)) & ~(raw["turn"] & ~has_t)
    holder = np.full(len(frame), np.nan)
    if (ok & has_s).any():
        holder[ok & has_s] = turn_of(corpus.turns, frame["document"][ok & has_s].reset_index(drop=True),
                                     start[ok & has_s], end[ok & has_s])
    clash = ok & has_s & has_t & (holder != turn)
    issues.add(clash, "turn", [f"the selection {s:.0f}..{e:.0f} is not inside turn {t:.0f} ({a:.0f}..{b:.0f})"
                               for s, e, t, a, b in zip(start[clash], end[clash], turn[clash], t_start[clash],
                                                        t_end[clash])], values=turn[clash].tolist(),
               kind="turn and offsets disagree")
    only_turn = ok & has_t & ~has_s
    start[only_turn], end[only_turn] = t_start[only_turn], t_end[only_turn]
    turn[ok & has_s] = holder[ok & has_s]
    return ok & ~clash


def _check_repeats(frame: pd.DataFrame, ok: np.ndarray, rows: np.ndarray, issues: _Issues) -> None:
    """Duplicates (same coder, document, start, end, code) and overlapping selections of one code by one coder.
    Each is reported at the later line, naming the earlier one."""
    keys, span = ["coder", "document", "code"], ["start", "end"]
    t = frame.loc[ok, keys + span].assign(line=rows[ok])
    dup = t.duplicated(keys + span)
    first = t.groupby(keys + span)["line"].transform("first")
    for line, code, earlier in zip(t["line"][dup], t["code"][dup], first[dup]):
        issues.items.append({"row": int(line), "column": "code", "value": code, "kind": "duplicate", "action": "raise",
                             "problem": f"duplicate of row {earlier}: the same selection and code by the same coder "
                                        "would count twice"})
    t = t[~dup].sort_values(keys + span, kind="stable")
    by = [t[k] for k in keys]
    reach = t.groupby(by, sort=False)["end"].cummax()  # the furthest end so far, per coder, document and code
    position = pd.Series(np.arange(len(t), dtype=np.float64), index=t.index)
    holder = position.where(t["end"] == reach).groupby(by, sort=False).ffill().groupby(by, sort=False).shift(1)
    over = (t["start"] < reach.groupby(by, sort=False).shift(1)).to_numpy()
    hits = t[over].to_dict("records")
    others = t.iloc[holder[over].to_numpy(dtype=np.int64)].to_dict("records")
    for h, o in zip(hits, others):
        late, early = (h, o) if h["line"] > o["line"] else (o, h)
        issues.items.append({"row": int(late["line"]), "column": "start", "kind": "overlap", "action": "raise",
                             "value": f"{late['start']:.0f}..{late['end']:.0f}",
                             "problem": f"overlaps row {early['line']} ({early['start']:.0f}..{early['end']:.0f}): "
                                        "the same code by the same coder on overlapping text counts twice; merge "
                                        "them into one selection"})


def check_codings(codings: pd.DataFrame, corpus: Corpus, codebook, *, path=None, rows=None) -> pd.DataFrame:
    """``codings`` checked against ``corpus`` and ``codebook`` (a :class:`~cfresearch.qual.codebook.QualCodebook`)
    and completed: offsets filled from turns and turns from offsets (see the module docstring for the rules and
    every check). Returns the codings with :data:`~cfresearch.qual.corpus.CODING_COLUMNS` first (start and end
    int64, turn float with NaN for selections spanning turns) and any other columns after them; raises
    :class:`CodingsError` listing every problem with its row and column.

    ``rows`` gives each row's number in its file (default: the line it would have in a CSV file with a header,
    i.e. position + 2); ``path`` names the file in the message. Use it on REFI-QDA imports and auto-codings too.

    >>> from cfresearch.qual.codebook import Code, QualCodebook
    >>> from cfresearch.qual.transcripts import turns_from_text
    >>> text = "Moderator: Who served you?\\nLeyla: The staff were kind and quick.\\n"
    >>> corpus = Corpus({"FG1.en.txt": text}, turns_from_text(text, document="FG1.en.txt", group="FG1"))
    >>> book = QualCodebook("demo", {"staff": Code("staff", "Staff", codable=False),
    ...                              "kind": Code("kind", "Kind staff", parent="staff"),
    ...                              "fast": Code("fast", "Speed", parent="staff")})
    >>> codings = pd.DataFrame({"coder": ["A", "A", "B"], "document": ["FG1.en.txt"] * 3,
    ...                         "start": [49, None, 34], "end": [53, None, 53], "turn": [None, 2, None],
    ...                         "code": ["kind", "fast", "kind"]})
    >>> check_codings(codings, corpus, book)
      coder    document  start  end  code  turn
    0     A  FG1.en.txt     49   53  kind   2.0
    1     A  FG1.en.txt     34   64  fast   2.0
    2     B  FG1.en.txt     34   53  kind   2.0
    >>> text[49:53]
    'kind'
    >>> check_codings(codings.assign(code=["kind", "staff", "knid"]), corpus, book)
    Traceback (most recent call last):
    ...
    cfresearch.qual.codings.CodingsError: 2 problems in the codings:
      row 3, column code: value 'staff' — this code is a folder (codable: false in the codebook): ...
      row 4, column code: value 'knid' — code 'knid' is not in the codebook (did you mean 'kind'?)
    ...
    """
    if not isinstance(codings, pd.DataFrame):
        raise ValueError(f"check_codings: codings must be a pandas DataFrame; got {type(codings).__name__}")
    frame = codings.reset_index(drop=True)
    rows = np.arange(len(frame), dtype=np.int64) + 2 if rows is None else np.asarray(rows, dtype=np.int64)
    missing = [c for c in _TEXT if c not in frame.columns]
    missing += [c for c in ("start", "end") if c not in frame.columns and "turn" not in frame.columns]
    if missing:
        raise CodingsError.from_issues(path, issues_frame([
            {"row": 0, "column": c, "problem": "missing column (codings need coder, document, code, and start and "
                                               "end or turn)", "kind": "missing column", "action": "raise"}
            for c in missing]), what="in the codings")
    frame = frame.assign(**{c: np.nan for c in _NUMBERS if c not in frame.columns})
    for col in _TEXT:
        frame[col] = _text(frame[col])
    issues = _Issues(rows)
    known = _check_names(frame, corpus, codebook, issues)
    num = _parse_offsets(frame, issues)
    ok = _check_spans(frame, corpus, known, num, issues)
    frame = frame.assign(start=num["start"], end=num["end"], turn=num["turn"])
    _check_repeats(frame, ok, rows, issues)
    if issues.items:
        found = issues_frame(issues.items).sort_values("row", kind="stable").reset_index(drop=True)
        raise CodingsError.from_issues(path, found, what="in the codings",
                                       hint="Rows are lines of the codings file (header = line 1).")
    out = frame.astype({"start": np.int64, "end": np.int64, "turn": np.float64})
    return out[CODING_COLUMNS + [c for c in out.columns if c not in CODING_COLUMNS]]


def load_codings(path, corpus: Corpus, codebook) -> pd.DataFrame:
    """Read a codings file (``codings.csv``, or XLSX; columns coder, document, start, end, turn, code) and check
    it with :func:`check_codings`: every problem is reported with the file's line (header = line 1) and column.

    >>> import tempfile
    >>> from cfresearch.qual.codebook import Code, QualCodebook
    >>> from cfresearch.qual.transcripts import turns_from_text
    >>> text = "Ana: Livrarea a întârziat.\\nIon: Dar reducerea a fost bună.\\n"
    >>> corpus = Corpus({"FG4.ro.txt": text}, turns_from_text(text, document="FG4.ro.txt", group="FG4"))
    >>> book = QualCodebook("demo", {"delivery": Code("delivery", "Delivery"),
    ...                              "discount": Code("discount", "Discount")})
    >>> file = Path(tempfile.mkdtemp()) / "codings.csv"
    >>> _ = file.write_text("coder,document,start,end,turn,code\\nA,FG4.ro.txt,,,1,delivery\\n"
    ...                     "A,FG4.ro.txt,36,45,,discount\\nB,FG4.ro.txt,,,9,discount\\n", encoding="utf-8")
    >>> load_codings(file, corpus, book)
    Traceback (most recent call last):
    ...
    cfresearch.qual.codings.CodingsError: .../codings.csv: 1 problem in the codings:
      row 4, column turn: value '9' — no turn 9 in FG4.ro.txt (it has turns 1..2)
    ...
    >>> _ = file.write_text(file.read_text().replace(",9,", ",2,"), encoding="utf-8")
    >>> load_codings(file, corpus, book)
      coder    document  start  end      code  turn
    0     A  FG4.ro.txt      5   26  delivery   1.0
    1     A  FG4.ro.txt     36   45  discount   2.0
    2     B  FG4.ro.txt     32   58  discount   2.0
    """
    path = Path(path)
    raw = read_table(path, text_columns=list(CODING_COLUMNS), error=CodingsError)
    return check_codings(raw.data, corpus, codebook, path=raw.path, rows=raw.rows)
