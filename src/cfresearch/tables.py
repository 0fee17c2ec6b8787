"""One house style for tables in reports: readable, formatted, and escaped.

``show`` turns a DataFrame into a pandas Styler with the house look. Every cell value and every
index/column label is HTML-escaped (pandas' Styler does not escape by default), so text that came
from respondents can never become markup in a report.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd
from pandas.io.formats.style import Styler

_CSS = [
    {"selector": "", "props": "border-collapse: collapse; font-size: 13px; margin: .4rem 0 1rem 0;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: 600; color: #1f4e79;"
                                     " padding: 0 0 .3rem 0;"},
    {"selector": "th", "props": "background: #f5f7fa; padding: 4px 8px; text-align: left;"
                                " border-bottom: 1px solid #d0d7de;"},
    # no text-align here: "#T_x td" would outrank the per-cell alignment set below (CSS specificity)
    {"selector": "td", "props": "padding: 4px 8px; border-bottom: 1px solid #eef1f4;"},
]


def show(data: pd.DataFrame, *, caption: str | None = None, formats: Mapping[str, str] | str | None = None,
         percent: list[str] | tuple[str, ...] = (), hide_index: bool = True, left: tuple[str, ...] = (),
         precision: int = 2) -> Styler:
    """A styled, escaped table.

    ``formats`` maps columns to format strings (``"{:.1f}"``) or gives one for all numeric columns;
    ``percent`` lists columns holding shares in 0..1 shown as percentages; ``left`` lists columns to
    left-align (text columns are left-aligned automatically).

    >>> html = show(pd.DataFrame({"who": ["<b>Ann</b>"], "share": [0.25]}), percent=["share"]).to_html()
    >>> "&lt;b&gt;Ann&lt;/b&gt;" in html and "25.0%" in html and "<b>Ann" not in html
    True
    """
    fmt: dict[str, str] = {}
    numeric = [c for c in data.columns
               if pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])]
    if isinstance(formats, str):
        fmt = {c: formats for c in numeric}
    elif formats:
        fmt = dict(formats)
    for c in percent:
        fmt[c] = "{:.1%}"
    st = data.style.format(precision=precision, na_rep="–", escape="html", thousands=",")
    if fmt:
        st = st.format(fmt, na_rep="–", escape="html", subset=[c for c in fmt if c in data.columns])
    st = st.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    st = st.set_table_styles(_CSS)
    text_cols = [c for c in data.columns if c not in numeric] + [c for c in left if c in data.columns]
    right = [c for c in numeric if c not in text_cols]
    if right:
        st = st.set_properties(subset=right, **{"text-align": "right"})
    if text_cols:
        st = st.set_properties(subset=list(dict.fromkeys(text_cols)), **{"text-align": "left"})
    if hide_index:
        st = st.hide(axis="index")
    if caption:
        st = st.set_caption(html.escape(str(caption)))  # pandas inserts captions verbatim
    return st
