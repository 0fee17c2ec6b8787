"""Folding for dictionary matching (cfresearch.qual.folding).

References: the Unicode Character Database as shipped with Python (``str.casefold``, ``unicodedata``) for
one-to-one case folding and NFC; SpecialCasing.txt (Unicode 15) for the Turkic entries
``0130; 0069; 0130; 0130; tr/az`` and ``0049; 0131; 0049; 0049; tr/az`` (lowercase of İ is i, of I is ı);
Lucene ``ArabicNormalizer`` / ``PersianNormalizer`` for the Persian/Arabic letter folding (keheh→kaf,
Farsi yeh and alef maksura→yeh, alef variants→alef, teh marbuta→heh, heh goal/heh-yeh→heh, tatweel and
harakat removed); the traps listed in shared/notes/qualitative.md §5, each checked here.
"""

from __future__ import annotations

import random
import re
import unicodedata

import numpy as np
import pytest

from cfresearch.qual.folding import WORD, WORD_END, WORD_START, fold, fold_kind, whole_words

ZWNJ = "\u200c"


def test_azerbaijani_capitals_fold_one_to_one():
    text = "MÜŞTƏRİ XİDMƏTİ"
    f = fold(text, "az")
    assert f.text == "müştəri xidməti"
    assert len(f.text) == len(text) and f.same_offsets
    assert f.span(8, 15) == (8, 15) and text[8:15] == "XİDMƏTİ"
    # the trap this avoids: Python's own casing adds a code point per İ
    assert len(text.lower()) == len(text) + 3 and text.casefold() != "müştəri xidməti"


def test_turkic_dotless_i_is_a_different_letter():
    assert fold("IŞIQ", "az").text == "ışıq"           # SpecialCasing: I -> ı in tr/az
    assert fold("İŞIQ", "az").text == "işıq"           # İ -> i
    assert fold("ISTANBUL", "tr").text == "ıstanbul"
    assert fold("İstanbul", "tr-TR").text == "istanbul"
    assert fold("ışıq", "az").text != fold("işiq", "az").text
    # every other language: I and İ both give plain i, one code point each
    assert fold("IŞIQ", "en").text == "işiq" and fold("İŞIQ", "und").text == "işiq"
    assert [fold_kind(x) for x in ("az-Latn-AZ", "tr", "crh", "tt", "gag", "kk", "en")] == \
        ["turkic"] * 5 + ["default"] * 2


@pytest.mark.parametrize("language", ["az", "tr", "en", "und", "de", "ro", "fa", "lt"])
def test_dotted_capital_i_never_changes_length(language):
    text = "İİ İstifadəçi İ"
    f = fold(text, language)
    assert len(f.text) == len(text) and f.same_offsets
    assert "\u0307" not in f.text and f.text.count("i") >= 4


def test_text_lowered_by_python_loses_its_stray_dot():
    lowered = "İSTİFADƏÇİ".lower()                       # 'i̇stifadəçi̇' — 13 code points
    f = fold(lowered, "az")
    assert f.text == "istifadəçi" == fold("İSTİFADƏÇİ", "az").text
    assert f.span(0, len(f.text)) == (0, len(lowered))  # the dropped dots belong to their letters


def test_one_to_one_case_folding_agrees_with_python_casefold():
    """Every character whose full case folding is one character folds to exactly that (outside the
    characters that other rules take over: Turkic i, Arabic letters, digits, apostrophes)."""
    special = {0x49, 0x130, 0x2018, 0x2019, 0x2010, 0x2011}
    checked = 0
    for cp in range(0x20000):
        if 0xD800 <= cp <= 0xDFFF or cp in special:
            continue
        c = chr(cp)
        cf = c.casefold()
        if cf != c and len(cf) == 1 and unicodedata.is_normalized("NFC", c) and unicodedata.decimal(c, None) is None \
                and not 0xFB00 <= cp <= 0xFFEF:
            assert fold(c).text == cf, hex(cp)
            checked += 1
    assert checked > 1350
    # characters whose only folding is longer keep their length (CaseFolding.txt status S / none)
    assert fold("ß").text == "ß" and fold("ẞ").text == "ß" and fold("ﬁ").text == "ﬁ"
    assert fold("Straße").text != fold("Strasse").text
    assert fold("ΟΔΟΣ").text == fold("οδος").text == "οδοσ"    # final sigma folds to sigma (status C)


def test_persian_zwnj_is_dropped_and_the_span_covers_it():
    with_zwnj = "می" + ZWNJ + "خواهم"
    f = fold(with_zwnj, "fa")
    assert f.text == fold("میخواهم", "fa").text
    assert len(f.text) == 7 and not f.same_offsets
    assert f.index.tolist() == [0, 1, 3, 4, 5, 6, 7]
    assert f.span(0, 7) == (0, 8)
    assert f.span(2, 7) == (3, 8)                     # خواهم inside the word: after the ZWNJ
    # the trap: re's \b fires at the ZWNJ
    assert re.search(r"\bخواهم\b", with_zwnj)
    assert not re.search(whole_words("خواهم"), f.text)
    assert re.search(whole_words("خواهم"), fold("من خواهم رفت", "fa").text)


def test_arabic_and_persian_letter_variants_fold_both_ways():
    arabic, persian = "كيفيت", "کیفیت"                     # U+0643/U+064A vs U+06A9/U+06CC
    assert [hex(ord(c)) for c in arabic[:2]] == ["0x643", "0x64a"]
    assert [hex(ord(c)) for c in persian[:2]] == ["0x6a9", "0x6cc"]
    assert arabic != persian and unicodedata.normalize("NFKC", arabic) != unicodedata.normalize("NFKC", persian)
    assert fold(arabic, "fa").text == fold(persian, "fa").text == fold(persian, "ar").text
    assert fold("على").text == fold("علي").text == fold("علی").text   # alef maksura, yeh, Farsi yeh
    assert fold("أحمد").text == fold("احمد").text == fold("إحمد").text
    assert fold("مدرسة").text == fold("مدرسه").text
    assert fold("خانهٔ").text == fold("خانۀ").text == fold("خانه").text


# Lucene 3.6-9.x org.apache.lucene.analysis.ar.ArabicNormalizer and .fa.PersianNormalizer, transcribed:
# ArabicNormalizer maps alef madda/hamza above/hamza below -> alef, dotless yeh (alef maksura) -> yeh, teh
# marbuta -> heh, and deletes tatweel and fathatan..sukun; PersianNormalizer maps Farsi yeh and yeh barree ->
# yeh, keheh -> kaf, heh-yeh and heh goal -> heh, and deletes hamza above. The Persian analyzer runs both.
LUCENE_MAP = {0x0622: 0x0627, 0x0623: 0x0627, 0x0625: 0x0627, 0x0649: 0x064A, 0x0629: 0x0647, 0x06CC: 0x064A,
              0x06D2: 0x064A, 0x06A9: 0x0643, 0x06C0: 0x0647, 0x06C1: 0x0647}
LUCENE_DELETE = {0x0640, *range(0x064B, 0x0653), 0x0654}


def lucene_persian(text: str) -> str:
    return "".join(chr(LUCENE_MAP.get(ord(c), ord(c))) for c in text if ord(c) not in LUCENE_DELETE)


def test_arabic_script_folding_agrees_with_lucene():
    text = ("مشتری‌ها گفتند كه كيفيت و قیمت خوب بود؛ آیا إمکان دارد؟ مدرسة الأطفال، خانهٔ من، "
            "کـــتاب، عَلَى الطَّاوِلَةِ، فارسى و فارسي")
    assert fold(text, "fa").text == lucene_persian(text.replace(ZWNJ, ""))
    for cp in LUCENE_MAP:
        expected = chr(cp) if cp == 0x06D2 else chr(LUCENE_MAP[cp])   # yeh barree: distinct in Urdu, kept
        assert fold(chr(cp)).text == expected, hex(cp)
    assert all(fold("ب" + chr(cp)).text == "ب" for cp in LUCENE_DELETE)


def test_tatweel_and_harakat_are_dropped_with_their_letter():
    text = "كِتَابٌ"                                        # kaf kasra teh fatha alef beh dammatan
    f = fold(text)
    assert f.text == "كتاب"
    assert f.index.tolist() == [0, 2, 4, 5]
    assert f.span(0, 4) == (0, 7)                    # the final tanween belongs to the beh
    assert f.span(1, 2) == (2, 4)
    assert fold("کـــتاب").text == fold("کتاب").text


def test_digits_fold_to_ascii():
    assert fold("۱۲۳ و ١٢٣ और १२३").text == "123 و 123 और 123"
    assert int("۱۲۳") == 123                         # Python reads them; the fold makes them match \d and 123


def test_romanian_cedilla_folds_to_comma_below_only_in_romanian():
    cedilla, comma = "clienţi şi ŞTIINŢĂ", "clienți și ȘTIINȚĂ"
    assert unicodedata.normalize("NFKC", cedilla) != unicodedata.normalize("NFKC", comma)
    assert fold(cedilla, "ro").text == fold(comma, "ro").text == "clienți și știință"
    assert fold(cedilla, "mo").text == fold(comma, "ro-MD").text
    for language in ("az", "tr", "en", "und"):               # ş with a cedilla is a letter of its own there
        assert fold(cedilla, language).text != fold(comma, language).text
    assert fold("Şəhər", "az").text == "şəhər"


def test_cyrillic_schwa_stays_distinct_from_latin_schwa():
    latin, cyrillic = "xidmət", "xidmәt"                  # U+0259 vs U+04D9
    assert fold(latin, "az").text != fold(cyrillic, "az").text
    assert fold("ӘЛ", "kk").text == "әл" and fold("Əl", "az").text == "əl"


def test_nfd_input_composes_and_maps_back_to_clusters():
    nfc = "Şəbəkə şirkəti, ḛ́ və 한국"
    nfd = unicodedata.normalize("NFD", nfc)
    assert len(nfd) > len(nfc)
    f, g = fold(nfd, "az"), fold(nfc, "az")
    assert f.text == g.text
    words = [(m.start(), m.end()) for m in re.finditer(WORD + "+", f.text)]
    originals = [nfd[slice(*f.span(i, j))] for i, j in words]
    assert [unicodedata.normalize("NFC", w) for w in originals] == [nfc[i:j] for i, j in words]
    assert f.span(0, len(f.text)) == (0, len(nfd))


def test_random_text_round_trips_through_the_index():
    """On random mixtures of the hard characters, every folded word maps back to an original span that
    folds to the same word, and the index never decreases."""
    alphabet = list("aIİıiŞşţșəәك کیيى \n۳e") + [ZWNJ, "\u064e", "\u0640", "\u0301", "\u0327", "\u0323", "\u1100",
                                                 "\u1161", "\u200f"]
    rng = random.Random(7)
    for language in ("az", "ro", "fa", "en"):
        for _ in range(200):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
            f = fold(text, language)
            assert np.all(np.diff(f.index) >= 0)     # equal only within one NFC cluster
            for m in re.finditer(WORD + "+", f.text):
                a, b = f.span(*m.span())
                assert fold(text[a:b], language).text == m.group(), (text, m.group())


def test_word_building_blocks_in_three_scripts():
    def find(word, text, language="und"):
        return [m.group() for m in re.finditer(whole_words(re.escape(word)), fold(text, language).text)]

    assert find("staff", "Staff were great; staffing was not.") == ["staff"]
    assert find("сервис", "Сервис был хороший, но сервисный центр — нет.") == ["сервис"]
    assert find("خدمات", "خدمات خوب بود، ولی خدماتی نه") == ["خدمات"]
    # combining marks are part of a word (Python's \w does not include them)
    assert re.search(r"\w+", "x\u0301y").group() == "x"
    assert re.fullmatch(WORD + "+", "x\u0301y")
    assert re.search(WORD_START + "y", "x\u0301y") is None and re.search("y" + WORD_END, "x\u0301y")


def test_large_text_without_drops_keeps_offsets_and_allocates_no_index():
    text = "Müştəri XİDMƏTİ çox yaxşı idi. " * 20_000
    f = fold(text, "az")
    assert f.same_offsets and len(f.text) == len(text)
    i = np.array([0, 8, len(text) - 4])
    assert [a.tolist() for a in f.spans(i, i + 3)] == [i.tolist(), (i + 3).tolist()]


# ICU's locale-aware lower-casing (the CLDR rules), computed with Debian's python3-icu 2.10.2 (ICU 72.1):
#   str(icu.UnicodeString(text).toLower(icu.Locale(language))); see tests/fixtures/qual/README.md.
ICU_LOWER = [("MÜŞTƏRİ XİDMƏTİ IŞIQ", "az", "müştəri xidməti ışıq"), ("İSTANBUL ISPARTA", "tr", "istanbul ısparta")]


@pytest.mark.parametrize("text, language, icu_lower", ICU_LOWER)
def test_turkic_folding_agrees_with_icu(text, language, icu_lower):
    assert fold(text, language).text == icu_lower


def test_folding_keeps_one_code_point_where_icu_adds_a_dot():
    # ICU (root locale) lowers "İ" to "i" + U+0307, two code points, as Python does; fold keeps offsets 1:1
    assert fold("İI Straße", "en").text == "ii straße"


def test_fold_refuses_non_text():
    with pytest.raises(TypeError, match="must be a str"):
        fold(b"bytes")
