"""Auto-coding by dictionary: the codebook's per-language patterns applied to turns or sentences, in every
script, with every match mapped back to offsets in the original document, and its precision and recall
against a human coder.

**Patterns** (``patterns:`` of a code in the codebook, per BCP 47 language; see
:mod:`cfresearch.qual.codebook`):

* a word or a phrase: ``friendly``, ``customer service``; matches whole words only (not inside a longer
  word, in Latin, Cyrillic, Arabic and other scripts: :data:`cfresearch.qual.folding.WORD`); whitespace in a
  phrase matches any run of whitespace, line breaks included;
* ``*`` wildcards inside a word: ``welcom*`` (a prefix: welcome, welcoming), ``*kan`` (a suffix, useful for
  Malay affixes: berikan, dapatkan), ``*layan*`` (an infix); the match covers the whole word;
* ``re:<regex>``: a Python regular expression, applied to the **folded** text (see below) as it is: it is
  not anchored to words (use ``\\b`` or :data:`~cfresearch.qual.folding.WORD_START`). Its literal characters
  are folded like text (so ``re:Kunde`` finds ``kunde``); escapes, group names and inline flags are left
  alone. Do not use ``(?i)``: folding already ignores case, and ``re``'s IGNORECASE would equate the Turkic
  ``ı`` with ``i``.

**Folding.** Patterns and text are folded alike by :func:`cfresearch.qual.folding.fold` with the rules of
the dictionary's language (Turkic dotted/dotless i for az and tr, comma-below ș ț for ro, Persian/Arabic yeh
and kaf, no ZWNJ, tatweel or harakat, ASCII digits, one case); matching happens on the folded copy and every
match is reported at its original offsets.

**Languages.** A turn gets the patterns of its language by BCP 47 lookup (RFC 4647 §3.4: ``fa-IR`` uses
``fa-IR`` patterns if there are any, else ``fa``; a turn tagged ``fa`` uses ``fa-IR`` patterns when that is
the codebook's only ``fa`` variety). A turn whose language has no patterns is not coded, and the result says
so (:attr:`AutocodeResult.coverage`, its summary and a warning): nothing is skipped silently.

**Units.** ``unit="turn"``: a coding's selection is the whole turn holding at least one match of one of the
code's patterns; ``unit="sentence"``: the sentence holding it (:func:`sentence_spans`). ``match`` gives the
original words matched (several joined by `` | ``); :attr:`AutocodeResult.hits` lists every match with its
own span. ``autocode`` codes every turn it is given: leave out the moderator's turns first (for example
``turns[turns.role != "moderator"]`` after joining the participants).

**Speed.** Per dictionary language, the turns' texts are joined into one string (with a separator no pattern
can cross), folded once, and each distinct pattern runs once over it with ``re.finditer``; a word pattern
is compiled literal-first (its word boundary is checked behind the literal), so that ``re`` skips ahead
with its literal-prefix search. Match positions go back to turns with ``np.searchsorted``. A million turns
with a 200-pattern codebook take seconds (``bench/bench_autocode.py``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cfresearch.checks import check_choice, check_frame, require_columns
from cfresearch.qual.codebook import CodebookError, QualCodebook
from cfresearch.qual.corpus import CODING_COLUMNS, empty_codings
from cfresearch.qual.folding import WORD, WORD_END, WORD_START, fold
from cfresearch.results import Result

__all__ = ["AUTO_CODING_COLUMNS", "AccuracyResult", "AutocodeResult", "Dictionary", "DictionaryPattern",
           "HIT_COLUMNS", "autocode", "autocode_accuracy", "compile_dictionary", "sentence_spans"]

#: Columns of the codings ``autocode`` writes: the standard codings plus the turn's language and the match.
AUTO_CODING_COLUMNS = [*CODING_COLUMNS, "language", "match"]
#: Columns of :attr:`AutocodeResult.hits`: one row per match of one pattern (offsets into the document).
HIT_COLUMNS = ["document", "turn", "language", "dictionary", "code", "pattern", "start", "end", "match",
               "unit_start", "unit_end"]

_SEPARATOR = "\n\x00\n"    # between turns in the joined text: no word, no whitespace run, no '.' crosses it
_IS_WORD = re.compile(WORD)
# Escapes, group headers and inline flags of a regex: kept as written when its literals are folded.
_REGEX_SYNTAX = re.compile(r"\\N\{[^}]*\}|\\.|\(\?(?:P<[^>]*>|P=[^)]*\)|#[^)]*\)|<?[=!]|[aiLmsux]*(?:-[imsx]*)?[:)])",
                           re.S)
_TERMINATORS = ".!?…؟۔"
_SENTENCE_END = re.compile(f"(?:([{_TERMINATORS}]+[\"'”’»)\\]]*)(?=\\s|\\Z)|[^\\S\\n]*(?=\\n))\\s*")


# ------------------------------------------------------------------------------------------ the dictionary

@dataclass(frozen=True)
class DictionaryPattern:
    """One pattern of one code in one language: as written, its kind (word, phrase, wildcard, regex) and
    the regular expression applied to the folded text."""

    language: str
    code: str
    pattern: str
    kind: str
    regex: str


@dataclass(frozen=True, eq=False)
class Dictionary(Result):
    """A codebook's patterns compiled for auto-coding (see :func:`compile_dictionary`)."""

    patterns: tuple[DictionaryPattern, ...]
    codes: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    #: per language: (compiled regex as run, the patterns it stands for, whether it runs on reversed text)
    groups: dict[str, tuple[tuple[re.Pattern, tuple[int, ...], bool], ...]] = field(default_factory=dict,
                                                                                    repr=False)

    @property
    def languages(self) -> list[str]:
        """The languages with patterns, as the codebook writes them."""
        return list(self.groups)

    def resolve(self, language: str | None) -> str | None:
        """The dictionary language used for text in ``language`` (RFC 4647 §3.4 lookup, then the only
        variety of the same primary language), or None when there is none."""
        return _lookup(language, {lang.lower(): lang for lang in self.groups})

    def to_frame(self) -> pd.DataFrame:
        """One row per pattern: language, code, pattern, kind, regex (shown with ``\\w`` standing for
        :data:`~cfresearch.qual.folding.WORD`, word characters and combining marks)."""
        frame = pd.DataFrame([p.__dict__ for p in self.patterns], columns=["language", "code", "pattern", "kind",
                                                                           "regex"])
        frame["regex"] = frame["regex"].str.replace(WORD, r"\w", regex=False)
        return frame

    def summary(self) -> str:
        per = ", ".join(f"{lang} ({sum(p.language == lang for p in self.patterns)})" for lang in self.groups)
        text = f"Dictionary: {len(self.patterns)} patterns of {len(self.codes)} codes; languages: {per or 'none'}."
        return text + "".join(f"\nWarning: {w}" for w in self.warnings)


def _lookup(language: str | None, available: dict[str, str]) -> str | None:
    tag = str(language or "und").strip().lower().replace("_", "-")
    while tag:
        if tag in available:
            return available[tag]
        tag = tag.rsplit("-", 1)[0] if "-" in tag else ""
        if len(tag) > 2 and tag[-2] == "-":           # RFC 4647 §3.4: drop a single-letter subtag too
            tag = tag[:-2]
    primary = str(language or "und").strip().lower().replace("_", "-").split("-")[0]
    same = [key for key in available if key.split("-")[0] == primary]
    return available[same[0]] if len(same) == 1 and primary != "und" else None


def _fold_regex(regex: str, language: str) -> str:
    """``regex`` with its literal characters folded (escapes, group headers and flags as written)."""
    out, pos = [], 0
    for m in _REGEX_SYNTAX.finditer(regex):
        out += [fold(regex[pos:m.start()], language).text, m.group()]
        pos = m.end()
    out.append(fold(regex[pos:], language).text)
    return "".join(out)


def _word_regex(folded: str) -> tuple[str, str]:
    """(kind, regex) of a folded word, phrase or wildcard pattern (see the module docstring)."""
    tokens = folded.split()
    kind = "wildcard" if "*" in folded else "phrase" if len(tokens) > 1 else "word"
    body = r"\s+".join(f"{WORD}*".join(re.escape(piece) for piece in tok.split("*")) for tok in tokens)
    first, last = tokens[0], tokens[-1]
    if not last.endswith("*") and _IS_WORD.fullmatch(last[-1]):
        body += WORD_END
    if first.startswith("*"):
        return kind, WORD_START + body
    if not _IS_WORD.fullmatch(first[0]):
        return kind, body
    # Literal first, then "not preceded by a word character" checked behind it: re's literal-prefix search
    # finds candidates fast (a leading lookbehind would make it try every position).
    lit = re.escape(first.split("*")[0])
    return kind, f"{lit}(?<!{WORD}{lit}){body[len(lit):]}"


def _compile_pattern(pattern: str, language: str) -> tuple[str, str, str, bool, str | None]:
    """(kind, regex, regex as run, run on reversed text?, problem) of one pattern of the codebook; problem is
    an error text, "warn", or None. A pattern that starts with ``*`` and ends with a literal (``*kan``) runs
    reversed on reversed text (``nak*``), where it starts with a literal and ``re`` can skip ahead."""
    if pattern.startswith("re:"):
        regex = _fold_regex(pattern[3:], language)
        try:
            re.compile(regex)
        except re.error:
            return "regex", pattern[3:], pattern[3:], False, "warn"
        return "regex", regex, regex, False, None
    folded = fold(pattern, language).text
    if not folded.replace("*", "").strip():
        return "", "", "", False, "a pattern needs at least one character besides '*' (after folding)"
    kind, regex = _word_regex(folded)
    if folded.startswith("*") and not folded.endswith("*"):
        return kind, regex, _word_regex(folded[::-1])[1], True, None
    return kind, regex, regex, False, None


def compile_dictionary(codebook: QualCodebook, *, languages: Iterable[str] | None = None) -> Dictionary:
    """Compile the auto-coding patterns of ``codebook`` (every codable code, every language, or the codebook
    languages that ``languages`` resolve to) into folded regular expressions (see the module docstring for
    the pattern syntax). A pattern that folds to nothing raises :class:`~cfresearch.qual.codebook.CodebookError`
    naming the code's line; patterns of folder codes and regexes whose folded form does not compile are
    reported in ``warnings``.

    >>> from cfresearch.qual.codebook import Code
    >>> cb = QualCodebook("demo", {"staff": Code("staff", "Staff", patterns={"en": ("friendly", "welcom*"),
    ...                                                                  "fa": ("مهربان",)}),
    ...                            "price": Code("price", "Price", patterns={"en": ("re:\\\\d+ ?(usd|\\\\$)",)})})
    >>> d = compile_dictionary(cb)
    >>> d.to_frame()[["language", "code", "pattern", "kind"]]
      language   code          pattern      kind
    0       en  staff         friendly      word
    1       en  staff          welcom*  wildcard
    2       fa  staff           مهربان      word
    3       en  price  re:\\d+ ?(usd|\\$)     regex
    >>> d.resolve("fa-IR"), d.resolve("en-GB"), d.resolve("az")
    ('fa', 'en', None)
    """
    if not isinstance(codebook, QualCodebook):
        raise ValueError(f"compile_dictionary: codebook must be a QualCodebook (load_codebook); got "
                         f"{type(codebook).__name__}")
    available = {lang.lower(): lang for lang in codebook.languages}
    notes: list[str] = []
    keep = set(available.values())
    if languages is not None:
        if isinstance(languages, str):
            languages = [languages]
        wanted = {lang: _lookup(lang, available) for lang in languages}
        keep = {v for v in wanted.values() if v is not None}
        notes += [f"the codebook has no patterns for language {lang!r}" for lang, v in wanted.items() if v is None]
    patterns, regexes = [], {}
    for code in codebook.codes.values():
        for lang, items in code.patterns.items():
            if lang not in keep:
                continue
            if not code.codable:
                notes.append(f"code {code.name!r} is not codable (a folder): its {lang} patterns are not used")
                continue
            for item in items:
                kind, regex, run, backwards, problem = _compile_pattern(item, lang)
                if problem == "warn":
                    notes.append(f"code {code.name!r} ({lang}): regex {item!r} does not compile once its literals "
                                 f"are folded; it is used as written, on folded text")
                elif problem is not None:
                    raise CodebookError.at(codebook.source, code.line, code.name, f"{problem} ({lang})",
                                           value=item, kind="bad pattern")
                regexes.setdefault(lang, {}).setdefault((run, backwards), []).append(len(patterns))
                patterns.append(DictionaryPattern(lang, code.name, item, kind, regex))
    groups = {lang: tuple((re.compile(rx), tuple(ids), backwards) for (rx, backwards), ids in by.items())
              for lang, by in regexes.items()}
    return Dictionary(tuple(patterns), tuple(c for c in codebook.codes if codebook.codes[c].codable),
                      tuple(dict.fromkeys(notes)), groups)


# ------------------------------------------------------------------------------------------ sentences

def sentence_spans(text: str) -> np.ndarray:
    """The sentences of ``text`` as an (n, 2) array of half-open spans [start, end), without the whitespace
    around them. A sentence ends at a run of ``. ! ? … ؟ ۔`` (with closing quotes or brackets after it)
    followed by whitespace or the end, and at every line break. ``3.5`` does not end one; an abbreviation
    such as ``e.g.`` does (a dictionary heuristic, not a parser).

    >>> t = "Salam! Xidmət çox yaxşı idi.\\nمن راضی بودم؟ بله۔ Price: 3.5 euro"
    >>> [t[a:b] for a, b in sentence_spans(t)]
    ['Salam!', 'Xidmət çox yaxşı idi.', 'من راضی بودم؟', 'بله۔', 'Price: 3.5 euro']
    """
    starts, ends = [], []
    pos = len(text) - len(text.lstrip())
    for m in _SENTENCE_END.finditer(text):
        end = m.end(1) if m.group(1) is not None else m.start()
        if end > pos:
            starts.append(pos)
            ends.append(end)
        pos = max(pos, m.end())
    end = len(text.rstrip())
    if end > pos:
        starts.append(pos)
        ends.append(end)
    return np.column_stack([np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)])


# ------------------------------------------------------------------------------------------ auto-coding

@dataclass(frozen=True, eq=False)
class AutocodeResult(Result):
    """Codings made by a dictionary (``codings``, :data:`AUTO_CODING_COLUMNS`, coder ``"auto"``), every match
    (``hits``, :data:`HIT_COLUMNS`), and per turn language how many turns there were, which dictionary
    language served them (empty: none) and how many were coded (``coverage``)."""

    codings: pd.DataFrame
    hits: pd.DataFrame = field(repr=False)
    coverage: pd.DataFrame = field(repr=False)
    unit: str = "turn"
    warnings: tuple[str, ...] = ()

    @property
    def languages_without_dictionary(self) -> list[str]:
        """Turn languages that no dictionary language served (their turns were not auto-coded)."""
        c = self.coverage
        return c.loc[c["dictionary"] == "", "language"].tolist()

    def to_frame(self) -> pd.DataFrame:
        """The codings (one row per unit and code)."""
        return self.codings.copy()

    def counts(self) -> pd.DataFrame:
        """Per code: units coded and matches found."""
        units = self.codings.groupby("code", sort=False).size().rename("units")
        hits = self.hits.groupby("code", sort=False).size().rename("hits")
        return pd.concat([units, hits], axis=1).fillna(0).astype("int64").rename_axis("code").reset_index()

    def _display_frame(self) -> pd.DataFrame:
        return self.counts()

    def summary(self) -> str:
        c = self.coverage
        served = c[c["dictionary"] != ""]
        turns_coded = self.codings[["document", "turn"]].drop_duplicates().shape[0]
        lines = [f"Auto-coding by dictionary (unit: {self.unit}): {turns_coded:,} of {int(c['turns'].sum()):,} "
                 f"turns coded; {len(self.codings):,} codings of {self.codings['code'].nunique()} codes from "
                 f"{len(self.hits):,} matches.",
                 "Dictionaries: " + (", ".join(f"{r.language} → {r.dictionary} ({r.turns:,} turns, {r.coded:,} "
                                               f"coded)" for r in served.itertuples()) or "none") + "."]
        missing = c[c["dictionary"] == ""]
        if len(missing):
            lines.append("No dictionary for: " + ", ".join(f"{r.language} ({r.turns:,} turns)"
                                                          for r in missing.itertuples())
                         + " — those turns were not auto-coded.")
        return "\n".join(lines + [f"Warning: {w}" for w in self.warnings if not w.startswith("no dictionary")])


def _find(texts: np.ndarray, language: str, dictionary: Dictionary) -> tuple[np.ndarray, ...]:
    """Every match in ``texts`` (one dictionary language): (text index, start, end in the text, pattern
    index) arrays and the matched original strings."""
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    offsets = np.zeros(len(texts), dtype=np.int64)
    offsets[1:] = np.cumsum(lens + len(_SEPARATOR))[:-1]
    joined = _SEPARATOR.join(texts)
    folded = fold(joined, language)
    out: list[list] = [[], [], [], [], []]
    reversed_text = None
    for regex, ids, backwards in dictionary.groups[language]:
        if backwards and reversed_text is None:
            reversed_text = folded.text[::-1]
        flat = np.fromiter((x for m in regex.finditer(reversed_text if backwards else folded.text)
                            for x in m.span()), dtype=np.int64)
        i, j = (len(folded.text) - flat[1::2], len(folded.text) - flat[0::2]) if backwards else (flat[0::2],
                                                                                                 flat[1::2])
        i, j = i[j > i], j[j > i]                                # empty matches code nothing
        a, b = folded.spans(i, j)
        t = np.searchsorted(offsets, a, side="right") - 1
        ok = b <= offsets[t] + lens[t]                           # a regex that runs into the next turn
        a, b, t = a[ok], b[ok], t[ok]
        matched = np.array([joined[x:y] for x, y in zip(a.tolist(), b.tolist())], dtype=object)
        for pid in ids:
            out[0].append(t)
            out[1].append(a - offsets[t])
            out[2].append(b - offsets[t])
            out[3].append(np.full(t.size, pid, dtype=np.int64))
            out[4].append(matched)
    if not out[0]:
        return tuple(np.zeros(0, dtype=np.int64) for _ in range(4)) + (np.zeros(0, dtype=object),)
    return tuple(np.concatenate(parts) for parts in out)


def _sentence_units(texts: np.ndarray, rows: np.ndarray, start: np.ndarray, end: np.ndarray):
    """For each hit (turn row, start, end in the turn text): its sentence's number in the joined text and
    the sentence span in the turn text (widened to cover the hit)."""
    hit_rows, rank = np.unique(rows, return_inverse=True)
    parts = texts[hit_rows]
    lens = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    offsets = np.zeros(len(parts), dtype=np.int64)
    offsets[1:] = np.cumsum(lens + 1)[:-1]
    spans = sentence_spans("\n".join(parts))
    pos = offsets[rank] + start
    first = np.searchsorted(spans[:, 0], offsets[rank], side="left")     # the turn's first sentence
    k = np.maximum(np.searchsorted(spans[:, 0], pos, side="right") - 1, first)
    k = np.minimum(k, len(spans) - 1)
    unit_start = np.minimum(spans[k, 0] - offsets[rank], start)
    unit_end = np.maximum(spans[k, 1] - offsets[rank], end)
    return k, unit_start, unit_end


def _codings(hits: pd.DataFrame, rows: np.ndarray, unit_key: np.ndarray, code_rank: np.ndarray) -> pd.DataFrame:
    """One coding per (turn row, unit, code) of the hits (already sorted by that key)."""
    if hits.empty:
        return empty_codings().assign(language=pd.Series(dtype=object), match=pd.Series(dtype=object))
    new = np.r_[True, (rows[1:] != rows[:-1]) | (unit_key[1:] != unit_key[:-1]) | (code_rank[1:] != code_rank[:-1])]
    group = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    unique = ~pd.DataFrame({"g": group, "m": hits["match"].to_numpy()}).duplicated().to_numpy()
    matches, g = hits["match"].to_numpy()[unique].copy(), group[unique]
    last = np.r_[g[1:] != g[:-1], True]
    matches[~last] = matches[~last] + " | "
    joined = np.add.reduceat(matches, np.flatnonzero(np.r_[True, g[1:] != g[:-1]]))
    out = hits.iloc[first][["document", "code", "turn", "language"]].reset_index(drop=True)
    out["start"] = np.minimum.reduceat(hits["unit_start"].to_numpy(), first)
    out["end"] = np.maximum.reduceat(hits["unit_end"].to_numpy(), first)
    out["match"] = joined
    out["coder"] = "auto"
    out["turn"] = out["turn"].astype("float64")
    return out[AUTO_CODING_COLUMNS]


def _turn_frame(turns: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    texts = turns["text"].where(turns["text"].notna(), "").astype(str).to_numpy(dtype=object)
    char_start = pd.to_numeric(turns["char_start"], errors="coerce")
    if char_start.isna().any():
        bad = int(np.flatnonzero(char_start.isna().to_numpy())[0])
        raise ValueError(f"autocode: turns need char_start (the turn's offset in its document); row {bad} has "
                         f"{turns['char_start'].iloc[bad]!r}")
    languages = turns["language"].where(turns["language"].notna(), "und").astype(str)
    return texts, char_start.to_numpy(dtype=np.int64), languages


def autocode(turns: pd.DataFrame, codebook: QualCodebook | None, *, unit: str = "turn",
             languages: Iterable[str] | None = None, dictionary: Dictionary | None = None) -> AutocodeResult:
    """Code ``turns`` (a turn table: document, turn, text, char_start, language) with the dictionary of
    ``codebook`` (or a compiled ``dictionary``; ``languages`` limits the codebook languages used): one coding
    per unit (``"turn"`` or ``"sentence"``) and code with at least one match, offsets into the documents.
    See the module docstring for patterns, folding, language fallback and units.

    >>> from cfresearch.qual.codebook import Code
    >>> cb = QualCodebook("demo", {"staff": Code("staff", "Staff", patterns={"az": ("müştəri xidməti",),
    ...                                                                  "fa": ("میخواهم",)}),
    ...                            "other": Code("other", "Other")})
    >>> doc = "A: MÜŞTƏRİ XİDMƏTİ əla idi\\nB: می‌خواهم\\nC: hello"
    >>> turns = pd.DataFrame({"document": "d", "turn": [1, 2, 3], "text": ["MÜŞTƏRİ XİDMƏTİ əla idi", "می‌خواهم",
    ...                       "hello"], "char_start": [3, 30, 42], "language": ["az", "fa-IR", "und"]})
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:  # a turn with no dictionary is said out loud
    ...     warnings.simplefilter("always")
    ...     res = autocode(turns, cb)
    >>> str(caught[0].message)
    "autocode: no dictionary for language(s) 'und' (1 turns): those turns were not auto-coded"
    >>> res.hits[["turn", "code", "start", "end", "match"]]
       turn   code  start  end            match
    0     1  staff      3   18  MÜŞTƏRİ XİDMƏTİ
    1     2  staff     30   38         می‌خواهم
    >>> [doc[s:e] for s, e in zip(res.hits.start, res.hits.end)] == list(res.hits.match)
    True
    >>> res.languages_without_dictionary
    ['und']
    """
    turns = check_frame(turns, "autocode", "turns")
    require_columns(turns, ["document", "turn", "text", "char_start", "language"], where="autocode")
    check_choice(unit, ("turn", "sentence"), where="autocode", what="unit")
    if dictionary is None:
        if codebook is None:
            raise ValueError("autocode: give a codebook (load_codebook) or a compiled dictionary")
        dictionary = compile_dictionary(codebook, languages=languages)
    texts, char_start, langs = _turn_frame(turns)
    resolved = langs.map({lang: dictionary.resolve(lang) or "" for lang in langs.unique()}).to_numpy(dtype=object)
    parts = []
    lang_codes, lang_values = pd.factorize(resolved)
    for k, lang in enumerate(lang_values):
        if lang:
            rows = np.flatnonzero(lang_codes == k)
            t, a, b, pid, matched = _find(texts[rows], lang, dictionary)
            parts.append((rows[t], a, b, pid, matched))
    rows, start, end, pid = (np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
                             for i in range(4))
    matched = np.concatenate([p[4] for p in parts]) if parts else np.zeros(0, dtype=object)
    if unit == "sentence" and rows.size:
        unit_key, unit_start, unit_end = _sentence_units(texts, rows, start, end)
    else:
        unit_key = np.zeros(rows.size, dtype=np.int64)
        unit_start, unit_end = np.zeros(rows.size, dtype=np.int64), np.fromiter(
            map(len, texts[rows]), dtype=np.int64, count=rows.size)
    code_of = np.array([p.code for p in dictionary.patterns] or [""], dtype=object)
    rank_of = {c: i for i, c in enumerate(dictionary.codes)}
    code_rank = np.array([rank_of.get(p.code, -1) for p in dictionary.patterns] or [0], dtype=np.int64)[pid]
    order = np.lexsort((start, code_rank, unit_key, rows))
    rows, start, end, pid, matched = rows[order], start[order], end[order], pid[order], matched[order]
    unit_key, unit_start, unit_end, code_rank = unit_key[order], unit_start[order], unit_end[order], code_rank[order]
    base = char_start[rows]
    hits = pd.DataFrame({
        "document": turns["document"].to_numpy(dtype=object)[rows], "turn": turns["turn"].to_numpy()[rows],
        "language": langs.to_numpy(dtype=object)[rows], "dictionary": resolved[rows], "code": code_of[pid],
        "pattern": np.array([p.pattern for p in dictionary.patterns] or [""], dtype=object)[pid],
        "start": base + start, "end": base + end, "match": matched,
        "unit_start": base + unit_start, "unit_end": base + unit_end}, columns=HIT_COLUMNS)
    codings = _codings(hits, rows, unit_key, code_rank)
    coded = np.zeros(len(turns), dtype=bool)
    coded[rows] = True
    coverage = (pd.DataFrame({"language": langs.to_numpy(dtype=object), "dictionary": resolved, "coded": coded})
                .groupby(["language", "dictionary"], sort=False).agg(turns=("coded", "size"), coded=("coded", "sum"))
                .reset_index())
    notes = list(dictionary.warnings)
    missing = coverage[coverage["dictionary"] == ""]
    if len(missing):
        note = ("no dictionary for language(s) " + ", ".join(f"{r.language!r} ({r.turns} turns)"
                                                            for r in missing.itertuples())
                + ": those turns were not auto-coded")
        warnings.warn(f"autocode: {note}", UserWarning, stacklevel=2)
        notes.insert(0, note)
    return AutocodeResult(codings, hits.reset_index(drop=True), coverage, unit, tuple(notes))


# ------------------------------------------------------------------------------------------ accuracy

@dataclass(frozen=True, eq=False)
class AccuracyResult(Result):
    """Precision, recall and F1 of auto-coding per code against a reference coder, at the turn level, and
    micro-averaged (the ``(micro)`` row); ``macro_f1`` is the unweighted mean of the codes' F1."""

    table: pd.DataFrame
    reference: str
    n: int
    macro_f1: float

    def to_frame(self) -> pd.DataFrame:
        """code, tp, fp, fn, tn, support (tp + fn), precision, recall, f1, n (turns)."""
        return self.table.copy()

    def summary(self) -> str:
        micro = self.table.iloc[-1]
        return (f"Auto-coding against {self.reference} on {self.n:,} turns, {len(self.table) - 1} codes: "
                f"micro precision {micro['precision']:.3f}, recall {micro['recall']:.3f}, F1 {micro['f1']:.3f}; "
                f"macro F1 {self.macro_f1:.3f}.")


def _unit_codes(codings: pd.DataFrame, turns: pd.DataFrame, what: str) -> pd.DataFrame:
    """Unique (document, turn, code) of ``codings``: their ``turn``, or every turn their [start, end) overlaps."""
    codings = check_frame(codings, "autocode_accuracy", what)
    require_columns(codings, ["document", "code"], where="autocode_accuracy", what=f"{what} column")
    turn = pd.to_numeric(codings["turn"], errors="coerce") if "turn" in codings else \
        pd.Series(np.nan, index=codings.index)
    has_turn = turn.notna()
    direct = codings[has_turn]
    out = [pd.DataFrame({"document": direct["document"].to_numpy(dtype=object),
                         "turn": turn[has_turn].to_numpy().astype(np.int64),
                         "code": direct["code"].to_numpy(dtype=object)})]
    spans = codings[~has_turn]
    if len(spans):
        require_columns(spans, ["start", "end"], where="autocode_accuracy", what=f"{what} column")
        require_columns(turns, ["char_start", "char_end"], where="autocode_accuracy", what="turns column")
        for doc, sel in spans.groupby("document", sort=False):
            t = turns[turns["document"] == doc].sort_values("char_start")
            s, e = sel["start"].to_numpy(dtype=np.int64), sel["end"].to_numpy(dtype=np.int64)
            lo = np.searchsorted(t["char_end"].to_numpy(dtype=np.int64), s, side="right")   # first turn ending after s
            hi = np.searchsorted(t["char_start"].to_numpy(dtype=np.int64), e, side="left")  # turns starting before e
            count = np.maximum(hi - lo, 0)
            idx = np.repeat(lo, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
            out.append(pd.DataFrame({"document": doc, "turn": t["turn"].to_numpy().astype(np.int64)[idx],
                                     "code": np.repeat(sel["code"].to_numpy(dtype=object), count)}))
    return pd.concat(out, ignore_index=True).drop_duplicates()


def _one_coder(codings, what: str) -> str:
    if "coder" not in codings or codings["coder"].nunique() <= 1:
        return str(codings["coder"].iloc[0]) if "coder" in codings and len(codings) else what
    coders = list(dict.fromkeys(codings["coder"]))
    raise ValueError(f"autocode_accuracy: the {what} codings hold {len(coders)} coders {coders}; pass one coder's "
                     f"(e.g. codings[codings.coder == {coders[0]!r}])")


def autocode_accuracy(auto: AutocodeResult | pd.DataFrame, reference: pd.DataFrame, turns: pd.DataFrame, *,
                      codes: Iterable[str] | None = None) -> AccuracyResult:
    """Precision, recall and F1 of auto-coding (``auto``: an :class:`AutocodeResult` or its codings) against
    one ``reference`` coder (a codings table: a human coder, or the truth), per code and micro-averaged, with
    the turn as the unit: a turn is a true positive for a code when both coded the code somewhere in it
    (codings map to turns by their ``turn``, or by the turns their span overlaps). Only the turns in
    ``turns`` count (pass the participants' turns); ``codes`` (default: every code either side used) lists
    the codes to report.

    precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2·P·R / (P + R) = 2tp / (2tp + fp + fn)
    (van Rijsbergen 1979, ch. 7; Manning, Raghavan & Schütze 2008, *Introduction to Information Retrieval*,
    §8.3, eqs. 8.1-8.5); the micro average pools tp, fp and fn over codes, the macro average is the mean of
    the codes' F1 (§13.6). An undefined ratio (0/0) is NaN.

    >>> turns = pd.DataFrame({"document": "d", "turn": [1, 2, 3, 4], "char_start": [0, 10, 20, 30],
    ...                       "char_end": [9, 19, 29, 39]})
    >>> auto = pd.DataFrame({"coder": "auto", "document": "d", "turn": [1, 2, 3, 1], "code": ["a", "a", "a", "b"]})
    >>> human = pd.DataFrame({"coder": "ann", "document": "d", "start": [0, 30, 12], "end": [5, 35, 14],
    ...                       "code": ["a", "a", "b"]})
    >>> autocode_accuracy(auto, human, turns).to_frame()
          code  tp  fp  fn  tn  support  precision    recall        f1  n
    0        a   1   2   1   0        2   0.333333  0.500000  0.400000  4
    1        b   0   1   1   2        1   0.000000  0.000000  0.000000  4
    2  (micro)   1   3   2   2        3   0.250000  0.333333  0.285714  4
    """
    auto_codings = auto.codings if isinstance(auto, AutocodeResult) else auto
    turns = check_frame(turns, "autocode_accuracy", "turns")
    require_columns(turns, ["document", "turn"], where="autocode_accuracy", what="turns column")
    _one_coder(auto_codings, "auto")
    ref_name = _one_coder(reference, "reference")
    units = turns[["document", "turn"]].drop_duplicates().astype({"turn": np.int64})
    a = _unit_codes(auto_codings, turns, "auto").merge(units, on=["document", "turn"])
    r = _unit_codes(reference, turns, "reference").merge(units, on=["document", "turn"])
    codes = list(dict.fromkeys([*a["code"], *r["code"]])) if codes is None else list(codes)
    a, r = a[a["code"].isin(codes)], r[r["code"].isin(codes)]
    both = a.merge(r, on=["document", "turn", "code"], how="outer", indicator=True)
    counts = pd.crosstab(both["code"], both["_merge"]).reindex(index=codes, columns=["both", "left_only",
                                                                                    "right_only"], fill_value=0)
    table = pd.DataFrame({"code": codes, "tp": counts["both"].to_numpy(), "fp": counts["left_only"].to_numpy(),
                          "fn": counts["right_only"].to_numpy()})
    table.loc[len(table)] = ["(micro)", table["tp"].sum(), table["fp"].sum(), table["fn"].sum()]
    table[["tp", "fp", "fn"]] = table[["tp", "fp", "fn"]].astype(np.int64)
    n = len(units)
    table["tn"] = n * np.r_[np.ones(len(codes)), len(codes)].astype(np.int64) - table[["tp", "fp", "fn"]].sum(axis=1)
    table["support"] = table["tp"] + table["fn"]
    tp, fp, fn = (table[c].to_numpy(dtype=float) for c in ("tp", "fp", "fn"))
    with np.errstate(invalid="ignore", divide="ignore"):
        table["precision"] = tp / (tp + fp)
        table["recall"] = tp / (tp + fn)
        table["f1"] = 2 * tp / (2 * tp + fp + fn)
    table["n"] = n
    return AccuracyResult(table, ref_name, n, float(np.nanmean(table["f1"].to_numpy()[:-1])) if codes else np.nan)
