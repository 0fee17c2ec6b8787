"""The focus-group codebook applied to open-ended survey answers: one column per theme, ready for survey tables.

A survey's comment column is coded with the same dictionary as the transcripts (:func:`autocode`, with the
same language-aware folding), so the survey report can show which themes customers raise in their own words,
by segment and weighted like every other figure. The result is a respondent x code table of 1 (the answer
raises the theme) and 0, with missing values where the answer is blank (a blank answer raises nothing, but it
is no evidence either: it is left out of the base, as a multi-response question's non-respondents are).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cfresearch.checks import require_columns
from cfresearch.qual.autocode import autocode
from cfresearch.qual.codebook import QualCodebook

__all__ = ["code_answers"]


def code_answers(data: pd.DataFrame, column: str, codebook: QualCodebook, *, language: str = "en",
                 language_column: str | None = None, codes: list[str] | None = None, parents: bool = True,
                 prefix: str = "theme_") -> pd.DataFrame:
    """Code the open answers in ``data[column]`` with the codebook's dictionary: a DataFrame with the index of
    ``data`` and one column ``prefix + code`` per code (1 = the answer raises it, 0 = it does not, missing =
    blank answer). ``language`` is the answers' language, or ``language_column`` names a column holding each
    answer's language (BCP 47). With ``parents`` the top-level themes are added (1 when any child is raised).
    ``attrs["labels"]`` maps the columns to the codes' labels, ``attrs["codes"]`` to the code names.

    >>> from cfresearch.qual.codebook import Code
    >>> cb = QualCodebook("demo", {
    ...     "delivery": Code("delivery", "Delivery", codable=False),
    ...     "late": Code("late", "Late delivery", parent="delivery", patterns={"en": ("late", "delay*")}),
    ...     "rude": Code("rude", "Rude staff", patterns={"en": ("rude",)})})
    >>> answers = pd.DataFrame({"comment": ["Parcel delayed, staff rude", "Fine", None]}, index=[10, 11, 12])
    >>> code_answers(answers, "comment", cb)
        theme_delivery  theme_late  theme_rude
    10             1.0         1.0         1.0
    11             0.0         0.0         0.0
    12             NaN         NaN         NaN
    """
    require_columns(data, [column, *([language_column] if language_column else [])], where="code_answers")
    text = data[column].astype("string").str.strip()
    answered = text.notna() & (text != "")
    langs = (data[language_column].astype("string").fillna(language) if language_column
             else pd.Series(language, index=data.index))
    rows = np.flatnonzero(answered.to_numpy())
    turns = pd.DataFrame({"document": "answers", "turn": rows + 1, "text": text.iloc[rows].to_numpy(dtype=object),
                          "char_start": 0, "language": langs.iloc[rows].to_numpy(dtype=object)})
    found = autocode(turns, codebook).codings if len(turns) else pd.DataFrame(columns=["turn", "code"])
    wanted = list(codes) if codes is not None else [
        c for c, spec in codebook.codes.items() if spec.codable or (parents and codebook.children(c))]
    out = pd.DataFrame(0.0, index=data.index, columns=wanted)
    hit_rows = found["turn"].to_numpy(dtype=np.int64) - 1
    for code, idx in pd.Series(hit_rows).groupby(found["code"].to_numpy()):
        targets = [code, *(codebook.ancestors(code) if parents else [])]
        for target in targets:
            if target in out.columns:
                out.iloc[idx.to_numpy(), out.columns.get_loc(target)] = 1.0
    out.loc[~answered] = np.nan
    out = out[[c for c in wanted]]
    labels = {prefix + c: codebook[c].label for c in wanted}
    out.columns = [prefix + c for c in wanted]
    out.attrs["labels"] = labels
    out.attrs["codes"] = {prefix + c: c for c in wanted}
    return out
