"""The survey report's sentences that follow its parameters and data: the introduction and each section's base.

Every section of the report describes the same respondents unless a parameter says otherwise, and says which:
the reported wave by default, all waves pooled with ``pool_waves=True`` (then the note says that the headline
figures are the reported wave's, so one KPI never shows two totals without a reason).
"""

from __future__ import annotations

from cfresearch.narrative import Markdown, escape, percent

__all__ = ["base_note", "introduction"]


def introduction(*, level: float, wave_label: str | None, pooled: bool, n: int, n_waves: int,
                 weighted: bool = True, zeroed: list[str] | None = None) -> Markdown:
    """The report's opening paragraph: what the figures are, at what level, for which respondents.

    >>> text = introduction(level=0.9, wave_label="Wave 3", pooled=False, n=2100, n_waves=3)
    >>> "**90% intervals**" in text and "every section describes **Wave 3**, the reported wave" in text
    True
    """
    weights = "**weighted to the population**" if weighted else "**unweighted**"
    text = (f"Figures are {weights} and come with **{percent(level)} intervals**; differences called "
            f"*significant* passed a design-based test at the {percent(level)} level. ")
    if zeroed:
        text = (f"**Warning: the targets give a share of 0 to {', '.join(map(escape, zeroed))}, so those "
                "respondents are weighted to zero and count in no weighted figure. Check the targets file.** "
                + text)
    if wave_label is None:
        return Markdown(text + f"The survey has {n:,} respondents.")
    text += f"The tracker has {n:,} respondents in {n_waves} waves; "
    if pooled:
        text += (f"the headline figures describe **{escape(wave_label)}**, the reported wave; the sections after "
                 "them pool **all waves** (set `pool_waves=False` to describe the reported wave throughout).")
    else:
        text += (f"every section describes **{escape(wave_label)}**, the reported wave, and the headline figures "
                 "compare it with the wave before.")
    return Markdown(text)


def base_note(*, n: int, wave_label: str | None, pooled: bool, effective_n: float | None = None) -> Markdown:
    """One line under a section heading: whose answers the section shows.

    >>> print(base_note(n=700, effective_n=541.6, wave_label="Wave 3", pooled=False))
    *Base: 700 respondents of Wave 3 (effective base 542).*
    >>> print(base_note(n=2100, wave_label="Wave 3", pooled=True))
    *Base: 2,100 respondents of all waves pooled (the headline figures above are Wave 3's).*
    """
    eff = f" (effective base {effective_n:,.0f})" if effective_n is not None else ""
    if wave_label is None:
        return Markdown(f"*Base: {n:,} respondents{eff}.*")
    who = f"all waves pooled (the headline figures above are {escape(wave_label)}'s)" if pooled else escape(wave_label)
    return Markdown(f"*Base: {n:,} respondents of {who}{eff}.*")
