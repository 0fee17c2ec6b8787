"""One house style for tables in reports: readable on a phone and on paper, labelled for people, and escaped.

:func:`show` turns a DataFrame into a :class:`Table`: a pandas Styler with the house look inside a box that
scrolls sideways on a narrow screen (the page never does), with an optional note under it. Every cell value
and every label is HTML-escaped (pandas' Styler does not escape by default), so text that came from
respondents can never become markup in a report.

What a reader sees is decided here, once:

* column headers: the results vocabulary becomes words (``estimate`` → "Estimate", ``n`` → "Base",
  ``p`` → "p", ``ci_low``/``ci_high`` → one "95% CI" column reading "24.6 to 42.9"); other snake_case
  names are written as words; ``labels`` gives variables their codebook labels;
* p-values: three decimals, and "<0.001" below that (never scientific notation; :func:`format_p`);
* numbers: thousands separators, ``precision`` decimals unless a column's format says otherwise;
* ids: the table's HTML ids come from its content, so re-running a notebook does not change a stored
  output that did not change.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping

import pandas as pd
from pandas.io.formats.style import Styler

__all__ = ["HEADERS", "Table", "format_p", "header", "show"]

_CSS = [
    {"selector": "", "props": "border-collapse: collapse; font-size: 13px; margin: .4rem 0 .2rem 0;"},
    {"selector": "th", "props": "background: #f5f7fa; padding: 4px 8px; text-align: left;"
                                " border-bottom: 1px solid #d0d7de;"},
    # no text-align here: "#T_x td" would outrank the per-cell alignment set below (CSS specificity)
    {"selector": "td", "props": "padding: 4px 8px; border-bottom: 1px solid #eef1f4;"},
    {"selector": "thead th", "props": "position: sticky; top: 0;"},
]
_WIDE = 8  # tables with more columns than this print on a landscape page
_CAPTION_STYLE = "font-weight: 600; color: #1f4e79; margin: .8rem 0 .2rem 0;"
_NOTE_STYLE = "font-size: 12px; color: #555; margin: .1rem 0 1.2rem 0; max-width: 60rem;"
#: The first column stays in view while the table scrolls sideways.
_STICKY = "position: sticky; left: 0; z-index: 1; background: #fff;"

#: Column names of the results vocabulary as a reader reads them.
HEADERS: dict[str, str] = {
    "estimate": "Estimate", "se": "SE", "diff": "Difference", "diff_se": "SE of difference", "statistic": "Statistic",
    "df": "df", "df1": "df1", "df2": "df2", "p": "p", "p_value": "p", "p_adjusted": "p (adjusted)", "n": "Base",
    "sum_w": "Weighted base", "effective_n": "Effective base", "deff": "Design effect", "change": "Change",
    "change_se": "SE of change", "previous": "Previous", "direction": "Direction", "kpi": "Measure",
    "priority_score": "Priority score", "odds_ratio": "Odds ratio", "std_alpha": "Standardised alpha",
    "omega_total": "Omega total", "average_r": "Average r", "weakest_r_drop": "Weakest r.drop",
    "alpha_if_weakest_deleted": "Alpha without it", "weakest_item": "Weakest item", "k": "Items",
    "alpha": "Alpha", "label": "", "segment": "Segment", "variable": "Variable", "category": "Category",
}
_P_COLUMNS = ("p", "p_value", "p_adjusted")


def format_p(p) -> str:
    """A p-value for a reader: three decimals, "<0.001" below that, "–" when missing.

    >>> [format_p(x) for x in (0.04321, 0.0004, 1.0, float("nan"))]
    ['0.043', '<0.001', '1.000', '–']
    """
    try:
        p = float(p)
    except (TypeError, ValueError):
        return "–"
    if p != p:
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def header(name, labels: Mapping | None = None, level: float | None = None) -> str:
    """The header a reader sees for column ``name``: ``labels`` first, then :data:`HEADERS`, then the name
    with underscores as spaces.

    >>> header("priority_score"), header("region", {"region": "Region"}), header("ci", level=0.9)
    ('Priority score', 'Region', '90% CI')
    """
    if labels and name in labels:
        return str(labels[name])
    if name == "ci":
        return f"{level:.0%} CI" if level is not None else "CI"
    if isinstance(name, str) and name in HEADERS:
        return HEADERS[name]
    if isinstance(name, str) and "_" in name and name == name.lower():
        text = name.replace("_", " ")
        return text[:1].upper() + text[1:]
    return str(name)


class Table:
    """A table for a report: the styled table in a sideways-scrolling box, and a note under it.

    It shows itself in a notebook cell (``_repr_html_``); ``to_html()`` gives the same HTML; anything else
    (``data``, ``set_caption``, ...) is the pandas Styler's.
    """

    def __init__(self, styler: Styler, note: str | None = None, caption: str | None = None):
        self.styler = styler
        self.note = note
        self.caption = caption

    def to_html(self, **kwargs) -> str:
        """The caption above (outside the scrolling box, so it stays readable), the table in its box, the note
        under it; every text escaped."""
        caption = (f'<p class="cfr-table-caption" style="{_CAPTION_STYLE}">{html.escape(self.caption)}</p>'
                   if self.caption else "")
        note = f'<p class="cfr-table-note" style="{_NOTE_STYLE}">{html.escape(self.note)}</p>' if self.note else ""
        wide = " cfr-wide" if self.styler.data.shape[1] > _WIDE else ""  # printed on a landscape page
        return (f'<div class="cfr-table-block{wide}">{caption}<div class="cfr-table" style="overflow-x: auto; '
                f'max-width: 100%;">{self.styler.to_html(**kwargs)}</div>{note}</div>')

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:  # no memory address: a stored notebook output must not change from run to run
        rows, cols = self.styler.data.shape
        return f"<Table: {self.caption or 'untitled'} ({rows} rows x {cols} columns)>"

    def __getattr__(self, name):
        return getattr(self.styler, name)


def _merge_interval(data: pd.DataFrame, fmt: dict[str, str], precision: int) -> pd.DataFrame:
    """ci_low and ci_high as one text column "low to high" in the place of ci_low."""
    if not {"ci_low", "ci_high"} <= set(data.columns):
        return data
    spec = fmt.get("ci_low") or fmt.get("estimate") or f"{{:,.{precision}f}}"
    text = [("–" if pd.isna(lo) or pd.isna(hi) else f"{spec.format(lo)} to {spec.format(hi)}")
            for lo, hi in zip(data["ci_low"], data["ci_high"])]
    out = data.drop(columns=["ci_high"])
    out["ci_low"] = text
    return out.rename(columns={"ci_low": "ci"})


def _uuid(data: pd.DataFrame, caption: str | None) -> str:
    """Table ids from the content, so that an unchanged table keeps its ids from run to run."""
    digest = hashlib.sha1((caption or "").encode("utf-8"))
    digest.update(data.to_csv().encode("utf-8"))
    return digest.hexdigest()[:10]


def show(data: pd.DataFrame, *, caption: str | None = None, formats: Mapping[str, str] | str | None = None,
         percent: list[str] | tuple[str, ...] = (), hide_index: bool = True, left: tuple[str, ...] = (),
         precision: int = 2, labels: Mapping | None = None, level: float | None = None,
         note: str | None = None, pvalues: list | tuple = ()) -> Table:
    """A styled, labelled, escaped table in a box that scrolls sideways on a narrow screen.

    ``formats`` maps columns to format strings (``"{:.1f}"``) or gives one for all numeric columns;
    ``percent`` lists columns holding shares in 0..1 shown as percentages; ``left`` lists columns to
    left-align (text columns are left-aligned automatically). p-value columns (``p``, ``p_value``,
    ``p_adjusted``, and any listed in ``pvalues``) read "0.043" or "<0.001". ``ci_low`` and ``ci_high`` become
    one "95% CI" column (the level from ``level``). Headers: see :func:`header` (``labels`` maps column names
    to labels). ``note`` is a plain-text note under the table (methods, bases, what a letter means).

    >>> t = show(pd.DataFrame({"who": ["<b>Ann</b>"], "share": [0.25], "p": [0.00002]}), percent=["share"])
    >>> html = t.to_html()
    >>> "&lt;b&gt;Ann&lt;/b&gt;" in html and "25.0%" in html and "<b>Ann" not in html and "&lt;0.001" in html
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
    data = _merge_interval(data, fmt, precision)
    numeric = [c for c in numeric if c in data.columns]
    given = formats if isinstance(formats, Mapping) else {}
    p_cols = [c for c in [*_P_COLUMNS, *pvalues] if c in data.columns and c not in given]
    st = data.style.format(precision=precision, na_rep="–", escape="html", thousands=",")
    fmt = {c: f for c, f in fmt.items() if c in data.columns and c not in p_cols}
    if fmt:
        st = st.format(fmt, na_rep="–", escape="html", subset=list(fmt))
    if p_cols:
        st = st.format(lambda v: html.escape(format_p(v)), subset=p_cols)
    st = st.format_index(escape="html", axis=0)
    st = st.format_index(lambda c: html.escape(header(c, labels, level)), axis=1)
    st = st.set_table_styles(_CSS + ([{"selector": "td.col0, th.col_heading.col0", "props": _STICKY}] if hide_index
                                     else [{"selector": "th.row_heading", "props": _STICKY}]))
    text_cols = [c for c in data.columns if c not in numeric and c != "ci"] + [c for c in left if c in data.columns]
    right = [c for c in [*numeric, "ci"] if c in data.columns and c not in text_cols]
    if right:
        st = st.set_properties(subset=right, **{"text-align": "right"})
    if text_cols:
        st = st.set_properties(subset=list(dict.fromkeys(text_cols)), **{"text-align": "left"})
    if hide_index:
        st = st.hide(axis="index")
    if caption:  # shown above the box by Table.to_html; the table keeps it as its accessible name
        st = st.set_table_attributes(f'aria-label="{html.escape(str(caption), quote=True)}"')
    st = st.set_uuid(_uuid(data, caption))
    return Table(st, note, None if caption is None else str(caption))
