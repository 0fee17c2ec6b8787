"""Exemplar quotes for reports: chosen reproducibly, attributed by pseudonym, safe to render in any script.

A quote leaves the corpus through three filters:

1. **Pseudonyms.** Participants are shown as ``G2-P05`` (group 2, participant 5; moderators ``G2-M1``),
   numbered in the order of the participants table, so the same transcripts give the same pseudonyms in every
   run. Names of participants *said* in a quote ("I agree with Ioana") are replaced too. The name-to-pseudonym
   table (:func:`pseudonym_table`) is for the run folder only: it never goes into a report.
2. **Redaction.** E-mail addresses, web addresses and long numbers are masked (:func:`cfresearch.privacy.redact`).
3. **Safe text.** Bidirectional embedding, override and isolate controls (U+202A-202E, U+2066-2069) are
   removed — ``html.escape`` leaves them, and an override can make a quote read backwards (Unicode TR #36,
   "Bidirectional text spoofing") — and every quote is HTML-escaped and shown with ``dir="auto"`` so Persian
   and Arabic read right to left and English left to right in the same list (W3C, "Inline markup and bidirectional
   text in HTML").
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cfresearch.checks import require_columns
from cfresearch.privacy import redact
from cfresearch.qual.matrices import coded_turns
from cfresearch.results import Result

__all__ = ["Quotes", "clean_quote", "exemplar_quotes", "pseudonym_table", "replace_names", "safe_texts",
           "write_private_csv"]

_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_OTHER_CONTROLS = dict.fromkeys([c for c in range(0x20) if c not in (0x09, 0x0A)] + [0x7F])
_SENTENCE_END = re.compile(r"(?<=[.!?…؟۔])\s+")


def clean_quote(text: str, *, max_words: int | None = None) -> str:
    """The quote as it may be shown: bidi overrides and isolates and other control characters removed, runs of
    white space made one space, and cut to ``max_words`` words (with "…").

    >>> clean_quote("Great\u202e service!\\n  Really.")
    'Great service! Really.'
    >>> clean_quote("one two three four", max_words=2)
    'one two …'
    """
    out = str(text).translate(_BIDI_CONTROLS).translate(_OTHER_CONTROLS)
    words = out.split()
    if max_words is not None and len(words) > max_words:
        words = [*words[:max_words], "…"]
    return " ".join(words)


def pseudonym_table(participants: pd.DataFrame, *, groups: list[str] | None = None) -> pd.DataFrame:
    """Stable pseudonyms for participants: ``G<group number>-P<two-digit number>`` (``-M<n>`` for moderators),
    groups numbered in ``groups`` order (default: sorted names), people in the order of ``participants``.

    Returns group, speaker, pseudonym. Keep it in the run folder: it links pseudonyms back to names.

    >>> p = pd.DataFrame({"group": ["FG2", "FG1", "FG1", "FG1"], "speaker": ["Reza", "Ana", "Mod", "Bo"],
    ...                   "role": ["customer", "customer", "moderator", "customer"]})
    >>> pseudonym_table(p)
      group speaker pseudonym
    0   FG2    Reza    G2-P01
    1   FG1     Ana    G1-P01
    2   FG1     Mod     G1-M1
    3   FG1      Bo    G1-P02
    """
    require_columns(participants, ["group", "speaker"], where="pseudonym_table")
    p = participants[["group", "speaker", *(["role"] if "role" in participants.columns else [])]].drop_duplicates(
        ["group", "speaker"]).reset_index(drop=True)
    order = {g: i + 1 for i, g in enumerate(groups if groups is not None else sorted(p["group"].unique()))}
    missing = sorted(set(p["group"]) - set(order))
    if missing:
        raise ValueError(f"pseudonym_table: groups {missing} are not in groups={groups}")
    moderator = p["role"].eq("moderator") if "role" in p.columns else pd.Series(False, index=p.index)
    number = p.groupby([p["group"], moderator]).cumcount() + 1
    p["pseudonym"] = [f"G{order[g]}-{'M' if m else 'P'}{n if m else f'{n:02d}'}"
                      for g, m, n in zip(p["group"], moderator, number, strict=True)]
    return p[["group", "speaker", "pseudonym"]]


def replace_names(text: str, names: dict[str, str]) -> str:
    """``text`` with each name in ``names`` (and each name's first word, e.g. a first name) replaced by its
    pseudonym in brackets, as whole words and ignoring case; longer names first.

    >>> replace_names("I agree with ioana, and Ioana Popescu said so too.", {"Ioana Popescu": "G4-P02"})
    'I agree with [G4-P02], and [G4-P02] said so too.'
    """
    variants: dict[str, str] = {}
    for name, alias in names.items():
        name = str(name).strip()
        if not name:
            continue
        variants.setdefault(name.casefold(), alias)
        first = name.split()[0]
        if len(first) >= 3:
            variants.setdefault(first.casefold(), alias)
    if not variants:
        return text
    pattern = re.compile(r"(?<![\w\u200c])(" + "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
                         + r")(?![\w\u200c])", re.IGNORECASE)
    return pattern.sub(lambda m: f"[{variants.get(m.group(1).casefold(), 'name')}]", text)


@dataclass(frozen=True, eq=False)
class Quotes(Result):
    """Exemplar quotes per code (``quotes``: code, label, quote, language, speaker, group, attributes...,
    coders). Shown in a notebook or report as quotations grouped by code, escaped, each ``dir="auto"``."""

    quotes: pd.DataFrame
    attributes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.quotes.copy()

    def summary(self) -> str:
        q = self.quotes
        return (f"{len(q)} quote(s) for {q['code'].nunique()} code(s) from {q['speaker'].nunique()} participant(s) in "
                f"{q['group'].nunique()} group(s).")

    def _repr_html_(self) -> str:
        parts = ['<div class="cfr-quotes">']
        for label, block in self.quotes.groupby("label", sort=False):
            parts.append(f'<p class="cfr-quote-code"><strong>{html.escape(str(label))}</strong></p>')
            for row in block.itertuples(index=False):
                who = [f"<bdi>{html.escape(str(row.speaker))}</bdi>"]
                who += [f"<bdi>{html.escape(str(getattr(row, a)))}</bdi>" for a in self.attributes
                        if pd.notna(getattr(row, a, None)) and str(getattr(row, a)) != ""]
                who.append(f"<bdi>{html.escape(str(row.group))}</bdi>")
                lang = html.escape(str(row.language), quote=True)
                parts.append(f'<figure class="cfr-quote"><blockquote dir="auto" lang="{lang}">'
                             f"{html.escape(str(row.quote))}</blockquote>"
                             f"<figcaption>— {' · '.join(who)}</figcaption></figure>")
        parts.append("</div>")
        return "\n".join(parts)


def _quote_text(turn_text: str, spans: list[tuple[int, int]], max_words: int) -> str:
    """The turn, or when it is long, the sentences around the coded words (cut at ``max_words``)."""
    if len(turn_text.split()) <= max_words or not spans:
        return turn_text
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    bounds = [0, *[m.end() for m in _SENTENCE_END.finditer(turn_text)], len(turn_text)]
    start = max(x for x in bounds if x <= a)
    end = min((x for x in bounds if x >= b), default=len(turn_text))
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", turn_text) if start <= m.start() < end]
    if len(words) > max_words:  # still too long: a window of max_words words around the coded words
        first = next(i for i, (_, e) in enumerate(words) if e > a)
        last = max(i for i, (s, _) in enumerate(words) if s < b)
        lo = max(0, min(first, (first + last + 1 - max_words) // 2))
        lo = min(lo, len(words) - max_words)
        start, end = words[lo][0], words[lo + max_words - 1][1]
    text = turn_text[start:end].strip()
    return ("… " if start > 0 else "") + text + (" …" if end < len(turn_text.rstrip()) else "")


def _candidates(codings, corpus, basis, roles, agreed) -> pd.DataFrame:
    turns = corpus.turns_with_participants()
    if roles is not None and "role" in turns.columns:
        turns = turns[turns["role"].isin(roles)]
    coded = coded_turns(codings, corpus.turns, basis=basis).merge(turns, on=["document", "turn"], how="inner")
    coded["n_coders"] = coded["coders"].map(len)
    if agreed:
        coded = coded[coded["n_coders"] == coded["of"]]
    return coded


def _pick(block: pd.DataFrame, per_code: int, min_words: int, target_words: int) -> pd.DataFrame:
    """Most-agreed turns first, then length near ``target_words``; one quote per speaker, groups spread."""
    words = block["text"].str.split().str.len()
    block = block[words >= min_words].assign(_dist=(words - target_words).abs())
    block = block.sort_values(["n_coders", "_dist", "document", "turn"], ascending=[False, True, True, True])
    chosen, speakers, groups = [], set(), []
    for _ in range(2):  # first pass: new groups only; second: any group, still one quote per speaker
        for idx, row in block.iterrows():
            if len(chosen) >= per_code:
                break
            key = (row["group"], row["speaker"])
            if idx in chosen or key in speakers or (_ == 0 and row["group"] in groups):
                continue
            chosen.append(idx)
            speakers.add(key)
            groups.append(row["group"])
    return block.loc[chosen]


def exemplar_quotes(codings: pd.DataFrame, corpus, *, codebook=None, codes: list[str] | None = None,
                    per_code: int = 3, pseudonymise: bool = True, pseudonyms: pd.DataFrame | None = None,
                    attributes: tuple[str, ...] = ("segment",), basis: str = "any", min_words: int = 5,
                    max_words: int = 60, target_words: int = 25, redact_identifiers: bool = True,
                    roles: tuple[str, ...] | None = ("customer", "employee"), agreed: bool = True) -> Quotes:
    """Up to ``per_code`` quotes for each code: turns most coders agree on first, then those nearest
    ``target_words`` words long, one per speaker and spread over groups; the choice is deterministic. With
    ``agreed`` (the default) a turn is a candidate only if every coder of its document applied the code, so a
    slip of one coder never becomes a report's example.

    Long turns are cut to the sentences around the coded words. With ``pseudonymise`` (the default) speakers
    are shown by pseudonym (``pseudonyms``, else :func:`pseudonym_table` of the corpus's participants) and
    participants' names inside quotes are replaced; identifiers are redacted; bidi controls are stripped
    (:func:`clean_quote`). ``attributes`` are participant columns shown with the speaker.

    >>> from cfresearch.qual.corpus import Corpus
    >>> text = "Ana: The courier was late twice and nobody called me back.\\nBo: Same here, two weeks late.\\n"
    >>> turns = pd.DataFrame({"group": "FG1", "document": "d", "turn": [1, 2], "speaker": ["Ana", "Bo"],
    ...                       "char_start": [5, 63], "char_end": [58, 89], "language": "en"})
    >>> turns["text"] = [text[a:b] for a, b in zip(turns["char_start"], turns["char_end"])]
    >>> people = pd.DataFrame({"group": "FG1", "speaker": ["Ana", "Bo"], "role": "customer",
    ...                        "segment": ["New", "Loyal"]})
    >>> corpus = Corpus({"d": text}, turns, people)
    >>> codings = pd.DataFrame({"coder": "A", "document": "d", "start": [5, 63], "end": [58, 89],
    ...                         "code": "late", "turn": [1, 2]})
    >>> exemplar_quotes(codings, corpus, per_code=2).quotes[["code", "quote", "speaker", "segment"]]
       code                                              quote speaker segment
    0  late  The courier was late twice and nobody called m...  G1-P01     New
    1  late                         Same here, two weeks late.  G1-P02   Loyal
    """
    if per_code < 1:
        raise ValueError(f"exemplar_quotes: per_code must be >= 1; got {per_code}")
    coded = _candidates(codings, corpus, basis, roles, agreed)
    present = set(coded["code"])
    wanted = list(codes) if codes is not None else (
        [c for c in codebook.codes if c in present] if codebook is not None else sorted(present))
    picked = [_pick(coded[coded["code"] == c], per_code, min_words, target_words) for c in wanted]
    picked = [p for p in picked if len(p)]
    cols = ["code", "document", "turn", "group", "speaker", "text", "language", "char_start", "n_coders",
            *[a for a in attributes if a in coded.columns]]
    out = pd.concat(picked, ignore_index=True)[cols] if picked else pd.DataFrame(columns=cols)
    spans = codings.dropna(subset=["turn"])
    quotes = []
    for row in out.itertuples(index=False):
        s = spans[(spans["document"] == row.document) & (spans["turn"] == row.turn) & (spans["code"] == row.code)]
        local = [(int(a) - row.char_start, int(b) - row.char_start) for a, b in zip(s["start"], s["end"], strict=True)]
        quotes.append(_quote_text(row.text, local, max_words))
    out["quote"] = quotes
    if pseudonymise:
        table = pseudonyms if pseudonyms is not None else pseudonym_table(
            corpus.participants if corpus.participants is not None else corpus.turns[["group", "speaker"]])
        alias = {(g, s): p for g, s, p in table[["group", "speaker", "pseudonym"]].itertuples(index=False)}
        names = {s: p for (_, s), p in alias.items()}
        out["quote"] = [replace_names(q, names) for q in out["quote"]]
        out["speaker"] = [alias.get((g, s), "participant") for g, s in zip(out["group"], out["speaker"], strict=True)]
    if redact_identifiers:
        out["quote"] = out["quote"].map(redact)
    out["quote"] = out["quote"].map(lambda q: clean_quote(q, max_words=max_words + 2))
    out["label"] = out["code"].map(lambda c: codebook[c].label if codebook is not None and c in codebook else c)
    out = out.rename(columns={"n_coders": "coders"})
    keep = ["code", "label", "quote", "language", "speaker", "group", *[a for a in attributes if a in out.columns],
            "document", "turn", "coders"]
    return Quotes(quotes=out[keep].reset_index(drop=True), attributes=tuple(a for a in attributes if a in out.columns))


def write_private_csv(table: pd.DataFrame, folder: str | Path | None, name: str = "pseudonyms.csv") -> Path | None:
    """Write a table that names people (the pseudonym key, the disagreements with their text) as CSV into
    ``folder`` — the run's own folder, never the report — atomically; nothing when ``folder`` is None (an
    interactive session). Returns the file written.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_private_csv(pd.DataFrame({"group": ["G"], "speaker": ["Ana"], "pseudonym": ["G1-P01"]}), d)
    ...     path.read_text(encoding="utf-8")
    'group,speaker,pseudonym\\nG,Ana,G1-P01\\n'
    """
    if folder is None:
        return None
    folder = Path(folder)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            table.to_csv(f, index=False, lineterminator="\n")
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return folder / name


def safe_texts(frame: pd.DataFrame, pseudonyms: pd.DataFrame | None, *, text: str = "text",
               max_words: int | None = 40, redact_identifiers: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` fit for a shared report: the ``speaker`` column replaced by pseudonyms (joined on group
    and speaker; None keeps the names), participants' names in ``text`` replaced, identifiers redacted, bidi
    controls stripped and the text cut to ``max_words`` (:func:`clean_quote`).

    >>> f = pd.DataFrame({"group": ["FG1"], "speaker": ["Ana"], "text": ["Ana here,\\u202e call 020 7946 0958"]})
    >>> keys = pd.DataFrame({"group": ["FG1"], "speaker": ["Ana"], "pseudonym": ["G1-P01"]})
    >>> safe_texts(f, keys).to_dict("records")
    [{'group': 'FG1', 'speaker': 'G1-P01', 'text': '[G1-P01] here, call [number]'}]
    """
    out = frame.copy()
    if pseudonyms is not None:
        alias = {(g, s): p for g, s, p in pseudonyms[["group", "speaker", "pseudonym"]].itertuples(index=False)}
        names = {s: p for (_, s), p in alias.items()}
        out[text] = [replace_names(str(t), names) for t in out[text]]
        if "speaker" in out.columns:
            out["speaker"] = [alias.get((g, s), "participant") for g, s in zip(out["group"], out["speaker"],
                                                                               strict=True)]
    if redact_identifiers:
        out[text] = out[text].map(lambda t: redact(str(t)))
    out[text] = out[text].map(lambda t: clean_quote(t, max_words=max_words))
    return out
