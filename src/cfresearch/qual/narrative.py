"""The focus-group report's sentences that follow its parameters and data: the introduction, the reading of
agreement figures, and the one-line summaries of themes.

Thresholds for agreement follow Krippendorff (2004, *Content Analysis*, 2nd ed., §11.4.4): alpha ≥ .800 is
reliable; .667 ≤ alpha < .800 allows tentative conclusions only; below .667 the coding should not be relied
upon. For kappa, Landis & Koch's (1977, *Biometrics* 33, p. 165) labels are widely quoted (.61-.80
"substantial", .81-1 "almost perfect"), but they were offered as benchmarks, not tests.
"""

from __future__ import annotations

import math

import pandas as pd

from cfresearch.narrative import Markdown, escape, percent

__all__ = ["accuracy_reading", "agreement_reading", "agreement_verdict", "introduction", "themes_sentence",
           "top_themes"]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def introduction(*, groups: int, interviews: int, participants: int, employees: int, turns: int,
                 languages: list[str], coders: list[str], pseudonymised: bool, unit: str = "turn") -> Markdown:
    """The report's opening paragraph: what was said, by whom, in which languages, coded by whom.

    >>> print(introduction(groups=5, interviews=2, participants=38, employees=6, turns=310,
    ...                    languages=["en", "az", "fa"], coders=["Coder A", "Coder B"], pseudonymised=True))
    The material: **5 focus groups and 2 interviews** with 38 participants (6 of them employees, the internal \
customers), 310 turns in English, Azerbaijani and Persian. Themes are counted per participant turn, coded by \
Coder A and Coder B and by the codebook's dictionary. Participants appear under pseudonyms (G2-P05: group 2, \
participant 5).
    """
    names = [_LANGUAGE_NAMES.get(lang.split("-")[0], lang) for lang in languages]
    langs = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else "no language"
    what = " and ".join(x for x in (_plural(groups, "focus group") if groups else "",
                                    _plural(interviews, "interview") if interviews else "") if x)
    staff = f" ({employees} of them employees, the internal customers)" if employees else ""
    who = (" and ".join([", ".join(map(escape, coders[:-1])), escape(coders[-1])] if len(coders) > 1
                        else [escape(coders[0])]) if coders else "")
    coded = f"coded by {who} and by the codebook's dictionary" if who else "coded by the codebook's dictionary"
    unit_word = "participant turn" if unit == "turn" else "sentence of a participant"
    privacy = ("Participants appear under pseudonyms (G2-P05: group 2, participant 5)." if pseudonymised
               else "**Participants appear under their names** (pseudonymise=False): do not share this report "
                    "outside the research team.")
    return Markdown(f"The material: **{what}** with {participants:,} participants{staff}, {turns:,} turns in {langs}. "
                    f"Themes are counted per {unit_word}, {coded}. {privacy}")


_LANGUAGE_NAMES = {"en": "English", "az": "Azerbaijani", "fa": "Persian", "ro": "Romanian", "ms": "Malay",
                   "tr": "Turkish", "ar": "Arabic", "ru": "Russian", "de": "German", "fr": "French",
                   "es": "Spanish", "und": "an unstated language"}


def agreement_verdict(alpha: float) -> str:
    """Krippendorff's (2004) reading of an alpha: "reliable", "tentative" or "not reliable".

    >>> [agreement_verdict(a) for a in (0.85, 0.7, 0.5)]
    ['reliable', 'tentative', 'not reliable']
    """
    if alpha is None or (isinstance(alpha, float) and math.isnan(alpha)):
        return "not estimable"
    return "reliable" if alpha >= 0.8 else "tentative" if alpha >= 0.667 else "not reliable"


def agreement_reading(alpha: float, ci_low: float, ci_high: float, *, level: float, min_agreement: float,
                      weak_codes: list[str], coders: int) -> Markdown:
    """A plain-language paragraph on the overall agreement and the codes below ``min_agreement``.

    >>> print(agreement_reading(0.74, 0.69, 0.79, level=0.95, min_agreement=0.667, weak_codes=["Delivery cost"],
    ...                         coders=2))
    Overall, the 2 coders agree with **Krippendorff's alpha = 0.74** (95% interval 0.69 to 0.79): enough for \
**tentative conclusions** (alpha ≥ 0.667), short of the 0.80 that Krippendorff recommends for firm ones. \
1 code falls below the minimum of 0.667 set for this study: Delivery cost. Read its figures with care and \
settle its disagreements (listed below) before relying on it.
    """
    verdict = agreement_verdict(alpha)
    reading = {"reliable": "**reliable** (alpha ≥ 0.80, Krippendorff's bar for firm conclusions)",
               "tentative": "enough for **tentative conclusions** (alpha ≥ 0.667), short of the 0.80 that "
                            "Krippendorff recommends for firm ones",
               "not reliable": "**below the 0.667** that Krippendorff sets as the least acceptable: the coding "
                               "needs another round of codebook work before its counts can be trusted",
               "not estimable": "not estimable"}[verdict]
    text = (f"Overall, the {coders} coders agree with **Krippendorff's alpha = {alpha:.2f}** ({percent(level)} "
            f"interval {ci_low:.2f} to {ci_high:.2f}): {reading}. ")
    if weak_codes:
        text += (f"{_plural(len(weak_codes), 'code')} {'falls' if len(weak_codes) == 1 else 'fall'} below the "
                 f"minimum of {min_agreement:.3g} set for this study: {', '.join(map(escape, weak_codes))}. Read "
                 f"{'its' if len(weak_codes) == 1 else 'their'} figures with care and settle "
                 f"{'its' if len(weak_codes) == 1 else 'their'} disagreements (listed below) before relying on "
                 f"{'it' if len(weak_codes) == 1 else 'them'}.")
    else:
        text += f"Every code reaches the minimum of {min_agreement:.3g} set for this study."
    return Markdown(text)


def themes_sentence(frequencies: pd.DataFrame, *, who: str, top: int = 3) -> Markdown:
    """One sentence naming the themes most participants raised (``frequencies``: label, participants, of, share).

    >>> f = pd.DataFrame({"label": ["Delivery", "Staff", "Price"], "participants": [12, 9, 3], "of": 15,
    ...                   "share": [0.8, 0.6, 0.2]})
    >>> print(themes_sentence(f, who="Customers"))
    Customers most often raised **Delivery** (12 of 15 participants), **Staff** (9 of 15) and **Price** (3 of 15).
    """
    f = frequencies.sort_values(["share", "participants"], ascending=False, kind="stable").head(top)
    if f.empty:
        return Markdown(f"{escape(who)} raised none of the codebook's themes.")
    items = [f"**{escape(r.label)}** ({r.participants} of {r.of}{' participants' if i == 0 else ''})"
             for i, r in enumerate(f.itertuples(index=False))]
    listing = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return Markdown(f"{escape(who)} most often raised {listing}.")


def top_themes(frequencies: pd.DataFrame, codebook, *, by: str = "role") -> pd.DataFrame:
    """Per level of ``by`` (e.g. customer, employee), the top-level theme most participants raise: ``by``, code,
    label, participants, of, share, ci_low, ci_high (from :func:`cfresearch.qual.code_frequencies`).

    >>> f = pd.DataFrame({"code": ["a", "b", "a"], "label": ["A", "B", "A"], "participants": [3, 5, 2],
    ...                   "role": ["customer", "customer", "employee"], "of": [9, 9, 4], "share": [1 / 3, 5 / 9, 0.5]})
    >>> class Book:  # any codebook: children(None) lists the top-level codes
    ...     def children(self, name): return ["a", "b"]
    >>> top_themes(f, Book())[["role", "label", "participants"]]
           role label  participants
    0  customer     B             5
    1  employee     A             2
    """
    top = frequencies[frequencies["code"].isin(codebook.children(None))]
    top = top.sort_values([by, "share", "participants"], ascending=[True, False, False], kind="stable")
    return top.groupby(by, sort=True).head(1).reset_index(drop=True)


def accuracy_reading(precision: float, recall: float, f1: float, *, reference: str, turns: int,
                     languages_without: list[str] = ()) -> Markdown:
    """How well the dictionary codes, in words: recall (what it finds of the coder's codings) and precision
    (how much of what it codes the coder also coded), per turn and code.

    >>> text = accuracy_reading(0.72, 0.76, 0.74, reference="Coder A", turns=188)
    >>> text[:94]
    "Against Coder A on 188 turns, the dictionary finds **76%** of the coder's codings (recall) and"
    >>> text[94:]
    " **72%** of its own codings are also the coder's (precision); F1 = 0.74."
    """
    text = (f"Against {escape(reference)} on {turns:,} turns, the dictionary finds **{recall:.0%}** of the coder's "
            f"codings (recall) and **{precision:.0%}** of its own codings are also the coder's (precision); "
            f"F1 = {f1:.2f}.")
    if languages_without:
        text += (f" Turns in {', '.join(map(escape, languages_without))} have no dictionary and were not "
                 "auto-coded.")
    return Markdown(text)
