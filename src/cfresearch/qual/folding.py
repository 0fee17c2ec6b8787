"""Folding text for dictionary matching, in every script, with a map back to the original characters.

Auto-coding matches dictionary patterns on a *folded* copy of the text and reports what it finds at offsets
of the *original* text (the code points a REFI-QDA selection counts). :func:`fold` makes that copy: every
character becomes exactly one character or is dropped, and :class:`Folded` keeps, for each folded character,
where it came from, so that a folded match ``[i, j)`` maps back to an original span (:meth:`Folded.span`).
The same fold is applied to the patterns and to the text.

The steps, in order (all 1:1 or deletions, so no step moves a later character by an unknown amount):

1. **NFC** (Unicode Standard Annex #15). A document of a :class:`~cfresearch.qual.corpus.Corpus` is NFC
   already, and then this step costs one quick check; other text is composed cluster by cluster (a base
   character and the combining marks after it), each composed character pointing at the characters its
   canonical decomposition came from.
2. **Simple case folding** (Unicode ``CaseFolding.txt``, statuses C and S: one character to one character),
   so ``ẞ`` → ``ß``, ``Σ``/``ς`` → ``σ``, ``K`` (Kelvin) → ``k``; a character whose only folding is longer
   (``ß`` → ``ss``, ``ﬁ`` → ``fi``) stays as it is: ``Straße`` and ``Strasse`` are different words (list both
   in a dictionary that wants both). Turkic dotted and dotless i follow ``SpecialCasing.txt`` and the CLDR
   ``tr-Lower``/``az-Lower`` transforms: for ``az``, ``tr``, ``crh``, ``tt`` and ``gag`` (:data:`TURKIC`)
   ``I`` → ``ı`` and ``İ`` → ``i``; for every other language ``I`` → ``i`` and ``İ`` → ``i`` (one character,
   never Python's two-code-point ``'İ'.lower() == 'i̇'``). A combining dot above (U+0307) right after a folded
   ``i`` (text lower-cased by Python before it got here) is dropped.
3. **Arabic script** (Lucene ``ArabicNormalizer`` and ``PersianNormalizer``, org.apache.lucene.analysis.ar
   and .fa, whose canonical direction is kept: toward the *Arabic* letters): keheh ``ک`` (U+06A9) → kaf ``ك``
   (U+0643); Farsi yeh ``ی`` (U+06CC) and alef maksura ``ى`` (U+0649) → yeh ``ي`` (U+064A); alef with madda
   or hamza ``آ أ إ`` → ``ا``; teh marbuta ``ة`` → ``ه``; heh-yeh ``ۀ`` and heh goal ``ہ ۂ`` → ``ه``. Dropped:
   tatweel (U+0640) and every nonspacing mark of the Arabic blocks (harakat U+064B-0652, hamza above U+0654,
   superscript alef U+0670, Quranic marks); each dropped mark belongs to the letter before it, so a match
   of that letter's word covers its marks in the original. Lucene also folds yeh barree ``ے``; that letter
   is distinct in Urdu, and is left alone here. Arabic presentation forms (and full-width forms) become the
   letters they show (their NFKC form, where that is one character).
4. **Invisible format characters dropped**: zero-width non-joiner U+200C (so ``می‌خواهم`` is one word,
   ``میخواهم``, as UAX #29 rule WB4 treats it), zero-width joiner, soft hyphen, word joiner, the bidi marks
   and controls (U+061C, U+200E-200F, U+202A-202E, U+2066-2069) and U+FEFF.
5. **Digits**: every decimal digit (Persian ``۱۲۳``, Arabic-Indic ``١٢٣``, Devanagari, ...) → ASCII
   ``0``-``9``.
6. **Punctuation**: typographic apostrophes ``‘ ’`` → ``'`` and the hyphens U+2010/U+2011 → ``-``
   (``don’t`` matches ``don't``).
7. **Romanian only** (``ro``, ``mo``, :data:`ROMANIAN`): the legacy cedilla letters ``ş ţ Ş Ţ`` (U+015E,
   U+015F, U+0162, U+0163, from code page 1250) → the comma-below letters ``ș ț`` (U+0219, U+021B) that
   Romanian uses (The Unicode Standard, ch. 7, "Latin"). In Azerbaijani, Turkish and every other language
   ``ş`` with a cedilla is the right letter and is left alone.

Not folded, on purpose: Cyrillic ``ә`` (U+04D9) and Latin ``ə`` (U+0259) stay different letters (as they do
under NFKC); Latin accents stay (``e`` ≠ ``é``: the dictionary lists the forms it wants).

Word boundaries: Python's ``\\b`` is a ``\\w``/non-``\\w`` edge, ``\\w`` being ``str.isalnum()`` and ``_``.
It fires at the ZWNJ (so ``\\bخواهم\\b`` matches inside ``می‌خواهم``) and at every combining mark (which is
not ``\\w``). After folding, the ZWNJ is gone; :data:`WORD` adds every combining mark (general categories
Mn, Mc, Me) to ``\\w``, and :data:`WORD_START` / :data:`WORD_END` (or :func:`whole_words`) anchor a pattern
to whole words of Latin, Cyrillic, Greek, Arabic-script and other alphabets alike.

Speed: one pass over a NumPy array of code points through a lookup table of the whole code space (built
once per language kind, in about 0.1 s), one decode back to text. The map back is sparse: only the positions
of dropped characters are kept (none when nothing was dropped: then folded and original offsets are the
same), and spans are mapped with ``np.searchsorted``. Folding 10 million characters takes about 0.1 s.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = ["Folded", "ROMANIAN", "TURKIC", "WORD", "WORD_END", "WORD_START", "fold", "fold_kind", "whole_words"]

#: Languages (primary subtags) with Turkic dotted and dotless i: I → ı, İ → i.
TURKIC = frozenset({"az", "tr", "crh", "tt", "gag"})
#: Languages (primary subtags) whose cedilla ş ţ are legacy spellings of comma-below ș ț.
ROMANIAN = frozenset({"ro", "mo"})

_N_CODE_POINTS = 0x110000
_DROP_ATTACHED = _N_CODE_POINTS       # dropped; its span belongs to the character before it (a mark)
_DROP_FREE = _N_CODE_POINTS + 1       # dropped; belongs to nobody (a format character)

_ARABIC = {0x06A9: 0x0643, 0x06CC: 0x064A, 0x0649: 0x064A, 0x0622: 0x0627, 0x0623: 0x0627, 0x0625: 0x0627,
           0x0629: 0x0647, 0x06C0: 0x0647, 0x06C1: 0x0647, 0x06C2: 0x0647}
_PUNCTUATION = {0x2018: 0x27, 0x2019: 0x27, 0x2010: 0x2D, 0x2011: 0x2D}
_FORMAT = [0x00AD, 0x061C, 0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F), 0x2060, *range(0x2066, 0x206A),
           0xFEFF]
_ARABIC_BLOCKS = [(0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)]
_PRESENTATION = [(0xFB00, 0xFDFF), (0xFE70, 0xFEFF), (0xFF00, 0xFFEF)]
_ROMANIAN = {0x015E: 0x0219, 0x015F: 0x0219, 0x0162: 0x021B, 0x0163: 0x021B}
# Code points that have case mappings, marks or decompositions all lie below U+20000 (plus variation
# selectors E0100-E01EF, which are marks and never change).
_SCAN = range(0x20000)


def _class(code_points) -> str:
    """A regex character-class body for a sorted list of code points, as ranges."""
    cps = sorted(code_points)
    parts, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = (f"\\U{c:08x}" if c > 0xFFFF else f"\\u{c:04x}" for c in (cps[i], cps[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "".join(parts)


_MARKS = [cp for cp in (*_SCAN, *range(0xE0100, 0xE01F0)) if unicodedata.category(chr(cp))[0] == "M"]


def _word_class() -> str:
    """``[\\w<marks>]`` with the marks as literal ranges, merged across code points that are word characters
    or unassigned anyway: the same set of assigned characters in a class that ``re`` parses fast."""
    def inside(cp: int) -> bool:
        c = chr(cp)
        return c.isalnum() or c == "_" or unicodedata.category(c) in ("Cn", "Mn", "Mc", "Me")

    ranges: list[list[int]] = []
    for cp in _MARKS:
        if ranges and all(inside(x) for x in range(ranges[-1][1] + 1, cp)):
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "[\\w" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]"


#: One word character (a regex character class): ``\\w`` plus every combining mark (general categories Mn,
#: Mc, Me), written with the marks as literal characters.
WORD = _word_class()
#: Zero-width: no word character before this point (a word starts here, or a non-word character does).
WORD_START = f"(?<!{WORD})"
#: Zero-width: no word character after this point.
WORD_END = f"(?!{WORD})"


def whole_words(regex: str) -> str:
    """``regex`` anchored so that it matches whole words only (not inside a longer word), in any script;
    apply it to folded text (:func:`fold`), where the zero-width non-joiner is gone.

    >>> r = re.compile(whole_words("خواهم"))
    >>> r.search(fold("می‌خواهم").text) is None, r.search(fold("من خواهم رفت").text) is not None
    (True, True)
    >>> re.compile(r"\\bخواهم\\b").search("می‌خواهم") is not None   # what plain \\b does at the ZWNJ
    True
    """
    return f"{WORD_START}(?:{regex}){WORD_END}"


def fold_kind(language: str | None) -> str:
    """The folding rules a language gets: ``"turkic"``, ``"romanian"`` or ``"default"``, by the primary
    subtag of its BCP 47 tag (``az-Latn-AZ`` → ``az``).

    >>> fold_kind("az"), fold_kind("tr-TR"), fold_kind("ro_MD"), fold_kind("fa-IR"), fold_kind(None)
    ('turkic', 'turkic', 'romanian', 'default', 'default')
    """
    primary = re.split(r"[-_]", str(language or "und").strip().lower(), maxsplit=1)[0]
    return "turkic" if primary in TURKIC else "romanian" if primary in ROMANIAN else "default"


def _fold_char(c: str) -> str:
    """The default fold of one character (steps 2, 3, 5, 6 of the module docstring); itself if unchanged."""
    cp = ord(c)
    if any(lo <= cp <= hi for lo, hi in _PRESENTATION):
        k = unicodedata.normalize("NFKC", c)
        c = k if len(k) == 1 else c
    f = c.casefold()
    if len(f) == 1:
        c = f
    else:
        low = c.lower()
        c = low if len(low) == 1 else c
    c = chr(_ARABIC.get(ord(c), _PUNCTUATION.get(ord(c), ord(c))))
    digit = unicodedata.decimal(c, None)
    return str(digit) if digit is not None else c


@cache
def _table(kind: str) -> np.ndarray:
    """The lookup table (one uint32 per code point) of a fold kind: the folded code point, or a drop mark."""
    if kind != "default":
        table = _table("default").copy()
        if kind == "turkic":
            table[0x49], table[0x130] = 0x131, 0x69
        else:
            for src, dst in _ROMANIAN.items():
                table[src] = dst
        table.flags.writeable = False
        return table
    table = np.arange(_N_CODE_POINTS, dtype=np.uint32)
    for cp in _SCAN:
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        f = _fold_char(c)
        if f != c:
            table[cp] = ord(f)
    table[0x130] = 0x69                                   # İ -> i (one code point), I -> i by case folding
    for lo, hi in _ARABIC_BLOCKS:
        for cp in range(lo, hi + 1):
            if unicodedata.category(chr(cp)) == "Mn":
                table[cp] = _DROP_ATTACHED
    table[0x0640] = _DROP_ATTACHED                        # tatweel
    table[_FORMAT] = _DROP_FREE
    table.flags.writeable = False
    return table


@cache
def _unstable() -> re.Pattern:
    """A regex for the places where text may not be NFC: a character followed by combining marks (or
    Hangul vowel/final jamo, which compose with what precedes them), or a character that NFC changes."""
    jamo = list(range(0x1161, 0x1176)) + list(range(0x11A8, 0x11C3))
    changed = [cp for cp in range(0x30000) if not 0xD800 <= cp <= 0xDFFF
               and unicodedata.normalize("NFC", chr(cp)) != chr(cp)]
    return re.compile(f"(?s).[{_class(_MARKS + jamo)}]+|[{_class(changed)}]")


def _cluster_map(cluster: str, norm: str) -> tuple[list[int], list[int]]:
    """For each character of ``norm`` (the NFC of ``cluster``), the span of ``cluster`` it came from: the
    characters whose canonical decompositions it is made of, widened so that spans never go backwards (a
    span starting at a character covers everything the rest of the cluster came from, and one ending there
    everything before)."""
    pool = [(comp, k) for k, ch in enumerate(cluster) for comp in unicodedata.normalize("NFD", ch)]
    lo, hi = [], []
    for ch in norm:
        ks = []
        for comp in unicodedata.normalize("NFD", ch):
            at = next((i for i, (c, _) in enumerate(pool) if c == comp), None)
            if at is None:                                   # cannot happen for canonical equivalents
                return [0] * len(norm), [len(cluster)] * len(norm)
            ks.append(pool.pop(at)[1])
        lo.append(min(ks))
        hi.append(max(ks) + 1)
    starts = list(np.minimum.accumulate(lo[::-1])[::-1])
    return starts, list(np.maximum.accumulate(hi))


def _nfc_with_map(text: str) -> tuple[str, np.ndarray, np.ndarray]:
    """NFC of ``text`` and, for each of its characters, the original span [start, end) it came from."""
    pieces, starts, ends, pos = [], [], [], 0
    for m in _unstable().finditer(text):
        cluster = m.group()
        norm = unicodedata.normalize("NFC", cluster)
        if norm == cluster:
            continue
        a, b = m.span()
        lo, hi = _cluster_map(cluster, norm)
        pieces += [text[pos:a], norm]
        starts += [np.arange(pos, a), a + np.array(lo, dtype=np.int64)]
        ends += [np.arange(pos + 1, a + 1), a + np.array(hi, dtype=np.int64)]
        pos = b
    pieces.append(text[pos:])
    starts.append(np.arange(pos, len(text)))
    ends.append(np.arange(pos + 1, len(text) + 1))
    return "".join(pieces), np.concatenate(starts).astype(np.int64), np.concatenate(ends).astype(np.int64)


@dataclass(frozen=True, eq=False)
class Folded:
    """Text folded by :func:`fold`, with the way back to the original.

    ``text`` is the folded string; :attr:`index` gives, for each folded character, the index of the
    original character it came from; :meth:`span` / :meth:`spans` map a folded half-open span ``[i, j)`` to
    the original half-open span (which also covers the marks dropped after its last character, and every
    original character that a character composed by NFC came from).
    """

    text: str
    language: str
    original_length: int
    # Between the original and the folded text stands the NFC text ("middle"; the original itself when it
    # was NFC). _shift: for the k-th dropped character of the middle text, its position minus k (how many
    # folded characters precede it; None: nothing dropped), so that folded index i sits at middle position
    # i + (number of drops with shift <= i); _free: middle positions of dropped format characters, where a
    # span ends (a dropped mark extends the span of the character before it); _nfc_starts/_nfc_ends: original
    # span of each middle character (None: the original was NFC). All sparse or absent for ordinary text.
    _shift: np.ndarray | None = None
    _free: np.ndarray | None = None
    _nfc_starts: np.ndarray | None = None
    _nfc_ends: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.text)

    @property
    def same_offsets(self) -> bool:
        """True when folded offsets are original offsets (nothing dropped, NFC already)."""
        return self._shift is None and self._nfc_starts is None

    def _middle(self, i: np.ndarray) -> np.ndarray:
        return i if self._shift is None else i + np.searchsorted(self._shift, i, side="right")

    @property
    def index(self) -> np.ndarray:
        """For each folded character, the index of its original character (int64 array)."""
        middle = self._middle(np.arange(len(self.text), dtype=np.int64))
        return middle if self._nfc_starts is None else self._nfc_starts[middle]

    def spans(self, i, j) -> tuple[np.ndarray, np.ndarray]:
        """Original spans [start, end) of the folded spans [i, j) (arrays; vectorised)."""
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        if self.same_offsets:
            return i, j
        n = len(self.text)
        n_mid = self.original_length if self._nfc_starts is None else len(self._nfc_starts)
        start = np.where(i < n, self._middle(np.minimum(i, n)), n_mid)
        end = np.where(j < n, self._middle(np.minimum(j, n)), n_mid)        # the next kept character ...
        if self._free is not None and self._free.size:                       # ... or a format character
            last = self._middle(np.clip(j - 1, 0, None))
            k = np.searchsorted(self._free, last, side="right")
            end = np.minimum(end, np.where(k < self._free.size, self._free[np.minimum(k, self._free.size - 1)], n_mid))
        if self._nfc_starts is not None:
            start = np.where(start < n_mid, self._nfc_starts[np.minimum(start, n_mid - 1)], self.original_length)
            end = np.where(end > 0, self._nfc_ends[np.clip(end - 1, 0, max(n_mid - 1, 0))], 0)
        return start, np.where(j > i, end, start)

    def span(self, i: int, j: int) -> tuple[int, int]:
        """The original span [start, end) of the folded span [i, j)."""
        start, end = self.spans(i, j)
        return int(start), int(end)


def fold(text: str, language: str | None = "und") -> Folded:
    """Fold ``text`` for matching (NFC, one-to-one case folding right for Turkic i, Persian/Arabic letter
    variants, dropped ZWNJ/tatweel/harakat, ASCII digits, Romanian comma-below; the module docstring lists
    every rule and its source) and keep the map back to the original characters.

    >>> f = fold("MÜŞTƏRİ XİDMƏTİ", "az")
    >>> f.text, len(f.text) == len("MÜŞTƏRİ XİDMƏTİ")
    ('müştəri xidməti', True)
    >>> fold("IŞIQ", "az").text, fold("IŞIQ", "en").text
    ('ışıq', 'işiq')
    >>> p = fold("می‌خواهم كيفيت", "fa")     # ZWNJ dropped, Farsi yeh/keheh and Arabic yeh/kaf are one letter
    >>> p.text == fold("میخواهم کیفیت", "fa").text, len(p.text), p.span(0, 7)
    (True, 13, (0, 8))
    >>> fold("clienţi", "ro").text == fold("clienți", "ro").text, fold("clienţi", "az").text == "clienți"
    (True, False)
    >>> fold("۱۲۳ تومان").text[:3]
    '123'
    """
    if not isinstance(text, str):
        raise TypeError(f"fold: text must be a str; got {type(text).__name__}")
    n0 = len(text)
    nfc_starts = nfc_ends = None
    if not unicodedata.is_normalized("NFC", text):
        text, nfc_starts, nfc_ends = _nfc_with_map(text)
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mapped = _table(fold_kind(language))[cps]
    if cps.size > 1:
        dot = (cps[1:] == 0x0307) & (mapped[:-1] == 0x69)      # i + combining dot above (Python's 'İ'.lower())
        if dot.any():
            mapped[1:][dot] = _DROP_ATTACHED
    keep = mapped < _DROP_ATTACHED
    if keep.all():
        return Folded(mapped.tobytes().decode("utf-32-le", "surrogatepass"), str(language or "und"), n0, None, None,
                      nfc_starts, nfc_ends)
    dropped = np.flatnonzero(~keep)
    return Folded(mapped[keep].tobytes().decode("utf-32-le", "surrogatepass"), str(language or "und"), n0,
                  dropped - np.arange(dropped.size), np.flatnonzero(mapped == _DROP_FREE), nfc_starts, nfc_ends)
