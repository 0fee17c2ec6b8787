"""Open-ended answers for reports: pick exemplar comments and redact personal identifiers first.

Comments come from respondents, so they may carry e-mail addresses, phone numbers, web addresses or
card/account numbers. :func:`cfresearch.privacy.redact` masks those before a comment can reach a shared
report, and :func:`exemplar_comments` returns plain text (tables in reports escape it when rendering).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cfresearch.checks import require_columns
from cfresearch.privacy import redact

__all__ = ["exemplar_comments", "redact"]


def exemplar_comments(data: pd.DataFrame, text: str, *, by: str | None = None, n: int = 8,
                      min_words: int = 4, seed: int = 0, redact_identifiers: bool = True,
                      columns: list[str] | None = None) -> pd.DataFrame:
    """A reproducible sample of substantive comments (at least ``min_words`` words), spread over ``by``.

    Returns a DataFrame with the comment (redacted unless ``redact_identifiers=False``), the ``by``
    group and any extra ``columns`` (e.g. the NPS score). Respondent ids are never included.

    >>> c = pd.DataFrame({"comment": ["Great staff, call me on 020 7946 0958", "ok",
    ...                               "Delivery was late again and again"], "group": ["P", "P", "D"]})
    >>> exemplar_comments(c, "comment", by="group")
                                 comment group
    0  Delivery was late again and again     D
    1   Great staff, call me on [number]     P
    """
    require_columns(data, [text, *([by] if by else []), *(columns or [])], where="exemplar_comments")
    if n < 0:
        raise ValueError("exemplar_comments: n must be >= 0")
    keep = [c for c in [by, *(columns or [])] if c]
    d = data[[text, *keep]].copy()
    d[text] = d[text].astype("string").str.strip()
    d = d[d[text].notna() & (d[text].str.split().str.len() >= min_words)]
    if d.empty or n == 0:
        return d.iloc[0:0].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    d = d.iloc[rng.permutation(len(d))]
    if by:
        d["_rank"] = d.groupby(by, observed=True).cumcount()
        d = d.sort_values(["_rank", by], kind="stable").drop(columns="_rank")
    d = d.head(n).reset_index(drop=True)
    if redact_identifiers:
        d[text] = d[text].map(redact)
    return d
