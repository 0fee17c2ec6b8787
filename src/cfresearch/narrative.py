"""Narrative that depends on the data or the parameters, written by the package, never hard-coded in a notebook.

A notebook cell that returns a :class:`Markdown` shows it as formatted text, and the HTML report renders it
like any markdown cell (its code hidden), so a sentence such as "figures come with 90% intervals" follows
``level=0.9``. Values from parameters and codebooks are escaped (:func:`escape`); respondent text never goes
into narrative.
"""

from __future__ import annotations

import html

__all__ = ["Markdown", "escape", "percent"]


class Markdown(str):
    """Text shown as Markdown in a notebook and in the report.

    >>> Markdown("**33.8**")._repr_markdown_()
    '**33.8**'
    """

    def _repr_markdown_(self) -> str:
        return str(self)


def escape(value) -> str:
    """A value for Markdown text: HTML-escaped, and Markdown's emphasis and link characters neutralised.

    >>> escape("<b>Q3*</b> [a](b)")
    '&lt;b&gt;Q3\\\\*&lt;/b&gt; \\\\[a\\\\](b)'
    """
    text = html.escape(str(value))
    for ch in "\\*_[]`":
        text = text.replace(ch, "\\" + ch)
    return text


def percent(level: float) -> str:
    """A confidence level as a reader writes it.

    >>> percent(0.95), percent(0.9), percent(0.995)
    ('95%', '90%', '99.5%')
    """
    return f"{100 * level:.1f}".rstrip("0").rstrip(".") + "%"
