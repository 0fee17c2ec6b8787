"""The corpus of a qualitative study: its documents, their speaker turns, the participants, and codings.

Everything else in :mod:`cfresearch.qual` works on these three tables, whose shape is fixed here:

* **documents**: ``{document name: text}``. The text is the transcript as the analysis sees it: Unicode NFC,
  LF line endings, no byte-order mark. Every offset in cfresearch (and in a REFI-QDA export) counts Unicode
  code points in this text, 0-based and half-open: ``text[start:end]`` is the selection.
* **turns** (:data:`TURN_COLUMNS`): one row per speaker turn — ``group`` (the focus group or interview),
  ``document``, ``turn`` (1, 2, … within the document), ``speaker``, ``start`` and ``end`` (seconds into the
  recording, NaN when the transcript has no times), ``text`` (the turn's words, without the speaker label),
  ``char_start``/``char_end`` (where ``text`` stands in the document: ``documents[d][char_start:char_end] ==
  text``), ``language`` (BCP 47, e.g. ``en``, ``az``, ``fa``), ``line`` (the line of the source file where the
  turn starts, for error messages).
* **participants** (optional): one row per speaker and group with their attributes (``segment``,
  ``age_band``, ``customer_type``, ``role`` = customer or employee, ...); joined to turns on speaker and group.
* **codings** (:data:`CODING_COLUMNS`): one row per coded selection — ``coder``, ``document``, ``start``,
  ``end`` (code points, half-open), ``code`` (a code name of the codebook), ``turn`` (the turn holding the
  selection, when it lies in one turn; NaN otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cfresearch.results import Result

__all__ = ["CODING_COLUMNS", "Corpus", "TURN_COLUMNS", "empty_codings", "turn_of"]

TURN_COLUMNS = ["group", "document", "turn", "speaker", "start", "end", "text", "char_start", "char_end",
                "language", "line"]
CODING_COLUMNS = ["coder", "document", "start", "end", "code", "turn"]


def empty_codings() -> pd.DataFrame:
    """A codings table with no rows and the standard columns.

    >>> list(empty_codings().columns)
    ['coder', 'document', 'start', 'end', 'code', 'turn']
    """
    return pd.DataFrame({"coder": pd.Series(dtype=object), "document": pd.Series(dtype=object),
                         "start": pd.Series(dtype="int64"), "end": pd.Series(dtype="int64"),
                         "code": pd.Series(dtype=object), "turn": pd.Series(dtype="float64")})


@dataclass(frozen=True, eq=False)
class Corpus(Result):
    """Documents, their turns and (optionally) the participants of a study (see the module docstring)."""

    documents: dict[str, str]
    turns: pd.DataFrame
    participants: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(self.turns["group"]))

    def turns_with_participants(self) -> pd.DataFrame:
        """The turns joined with the participants' attributes on speaker and group (left join)."""
        if self.participants is None:
            return self.turns.copy()
        attrs = self.participants.drop_duplicates(["speaker", "group"])
        return self.turns.merge(attrs, on=["speaker", "group"], how="left", sort=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per document: group, document, turns, speakers, words, language."""
        t = self.turns
        g = t.groupby("document", sort=False)
        return pd.DataFrame({
            "group": g["group"].first(), "turns": g.size(), "speakers": g["speaker"].nunique(),
            "words": g["text"].apply(lambda s: int(s.str.split().str.len().sum())),
            "language": g["language"].agg(lambda s: ", ".join(dict.fromkeys(s))),
        }).reset_index()[["group", "document", "turns", "speakers", "words", "language"]]

    def summary(self) -> str:
        t = self.turns
        return (f"Corpus: {len(self.documents)} document(s) in {t['group'].nunique()} group(s), {len(t):,} turns "
                f"by {t[['group', 'speaker']].drop_duplicates().shape[0]} speaker(s); languages "
                f"{', '.join(dict.fromkeys(t['language']))}.")


def turn_of(turns: pd.DataFrame, document: str | pd.Series, start, end) -> np.ndarray:
    """The turn number holding each selection [start, end) of ``document`` (NaN when it spans turns or lies
    outside them). Vectorised over arrays of documents, starts and ends.

    >>> turns = pd.DataFrame({"document": ["d", "d"], "turn": [1, 2], "char_start": [4, 20], "char_end": [15, 30]})
    >>> turn_of(turns, pd.Series(["d", "d", "d"]), np.array([5, 21, 10]), np.array([9, 30, 25])).tolist()
    [1.0, 2.0, nan]
    """
    docs = pd.Series(document if isinstance(document, pd.Series) else [document] * np.size(start)).to_numpy()
    start, end = np.asarray(start, dtype=np.int64).ravel(), np.asarray(end, dtype=np.int64).ravel()
    out = np.full(start.size, np.nan)
    for doc, rows in pd.Series(np.arange(start.size)).groupby(docs):
        t = turns[turns["document"] == doc].sort_values("char_start")
        if t.empty:
            continue
        idx = np.searchsorted(t["char_start"].to_numpy(), start[rows.to_numpy()], side="right") - 1
        ok = idx >= 0
        hit = np.zeros(rows.size, dtype=bool)
        hit[ok] = end[rows.to_numpy()][ok] <= t["char_end"].to_numpy()[idx[ok]]
        out[rows.to_numpy()[hit]] = t["turn"].to_numpy()[idx[hit]]
    return out
