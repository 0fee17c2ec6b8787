"""Benchmark: dictionary auto-coding of 1,000,000 turns with a 200-pattern codebook (issue 8: under a minute).

Run: ``python bench/bench_autocode.py`` (about a minute). Builds, with a fixed seed, a synthetic codebook
of 200 patterns (5 languages x 20 codes x 2 patterns: words, phrases, prefix and suffix wildcards, a regex;
Azerbaijani, Persian, Romanian, Malay and English alphabets) written as YAML and read with
``load_codebook``, and 1,000,000 turns of 6-16 Zipf-distributed words in sentences, in those languages (capitals, the
Persian ZWNJ, Arabic and Persian yeh/kaf, Romanian cedillas). Then, in the same run:

* cfresearch ``autocode`` (unit = turn) on all 1,000,000 turns, best of 3;
* the straightforward auto-coder, the peer: for each turn, fold its text and ``re.search`` every pattern
  of its language (the same compiled patterns), on a 20,000-turn subsample, extrapolated to 1,000,000
  turns; its codes equal cfresearch's on the subsample (checked);
* cfresearch on the same subsample, for the like-for-like ratio; and one run with ``unit="sentence"``.

Exits non-zero if the 1,000,000-turn run takes more than 60 seconds.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from timing import best_of_3  # bench/timing.py (the script's folder is on sys.path)

from cfresearch.qual.autocode import autocode, compile_dictionary
from cfresearch.qual.codebook import load_codebook
from cfresearch.qual.folding import fold

N_TURNS, N_SUB, LIMIT = 1_000_000, 20_000, 60.0
LANGUAGES = {"en": "abcdefghijklmnopqrstuvwxyz", "az": "abcçdeəfgğhxıijkqlmnoöprsştuüvyz",
             "fa": "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی", "ro": "aăâbcdefghiîjklmnopqrsștțuvwxyz",
             "ms": "abcdefghijklmnopqrstuvwxyz"}
VOCABULARY = 3000
ZWNJ = "\u200c"


def vocabulary(rng: np.random.Generator, language: str) -> list[str]:
    letters = list(LANGUAGES[language])
    words = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(letters, rng.integers(3, 10))))
    words = sorted(words)
    rng.shuffle(words)
    if language == "fa":      # some words with a ZWNJ after the prefix می, as Persian writes verbs
        words = ["می" + ZWNJ + w if i % 10 == 3 else w for i, w in enumerate(words)]
    return words


def codebook_yaml(rng: np.random.Generator, vocab: dict[str, list[str]]) -> str:
    """20 codes, each with 2 patterns in each of the 5 languages (200 patterns), drawn from mid-frequency words."""
    lines = ["title: Synthetic auto-coding benchmark", "codes:"]
    for c in range(20):
        lines += [f"  code{c:02d}:", f"    label: Code {c}", "    patterns:"]
        for lang, words in vocab.items():
            w1, w2, w3 = (words[i] for i in rng.choice(np.arange(20, 600), 3, replace=False))
            kind = c % 5
            first = w1 if kind < 2 else f"{w1} {w2}" if kind == 2 else f"{w1[:4]}*" if kind == 3 else f"*{w1[-4:]}"
            second = w3 if c != 7 else f"re:{w3[:3]}\\w*"
            if lang == "fa":      # patterns written with the Persian letters and no ZWNJ; text has both
                first, second = first.replace(ZWNJ, ""), second.replace(ZWNJ, "")
            lines.append(f"      {lang}: [{first!r}, {second!r}]")
    return "\n".join(lines) + "\n"


def turn_table(rng: np.random.Generator, vocab: dict[str, list[str]], n: int) -> pd.DataFrame:
    languages = np.array(list(vocab))
    lang = languages[rng.integers(0, len(languages), n)]
    ranks = np.arange(VOCABULARY)
    p = 1.0 / (ranks + 10.0)
    p /= p.sum()
    lengths = rng.integers(6, 17, n)
    ids = rng.choice(VOCABULARY, size=lengths.sum(), p=p)
    gap_ids = rng.integers(0, 10, lengths.sum())                 # 1 in 10 words ends a sentence
    bounds = np.r_[0, np.cumsum(lengths)]
    texts = np.empty(n, dtype=object)
    for code in languages:
        rows = np.flatnonzero(lang == code)
        words = np.array(vocab[code], dtype=object)
        if code == "az":
            words = np.where(np.arange(VOCABULARY) % 7 == 0, np.array([w.upper() for w in words], dtype=object), words)
        if code == "fa":
            words = np.array([w.replace("ی", "ي").replace("ک", "ك") if i % 5 == 0 else w
                              for i, w in enumerate(words)], dtype=object)
        if code == "ro":
            words = np.array([w.replace("ș", "ş").replace("ț", "ţ") if i % 4 == 0 else w
                              for i, w in enumerate(words)], dtype=object)
        if code == "fa":
            gaps = np.array([" ", " ", " ", " ", " ", " ", " ", " ", "؟ ", ". "], dtype=object)
        else:
            gaps = np.array([" ", " ", " ", " ", " ", " ", " ", ", ", "! ", ". "], dtype=object)
        for r in rows:
            w = words[ids[bounds[r]:bounds[r + 1]]]
            texts[r] = "".join((w + gaps[gap_ids[bounds[r]:bounds[r + 1]]]).tolist()).rstrip() + "."
    document = np.arange(n) // 500
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=n) + len("P1: ") + 1
    within = np.cumsum(lens) - lens
    first = within[document * 500]
    return pd.DataFrame({"group": document, "document": [f"D{d}.txt" for d in document], "turn": np.arange(n) % 500 + 1,
                         "text": texts, "char_start": within - first + len("P1: "), "language": lang})


def naive(turns: pd.DataFrame, dictionary) -> set:
    """The straightforward auto-coder: per turn, fold the text and re.search every pattern of its language
    (each pattern's documented regex, compiled once)."""
    compiled = {}
    for p in dictionary.patterns:
        compiled.setdefault(p.language, []).append((re.compile(p.regex), p.code))
    out = set()
    for document, turn, text, language in zip(turns["document"], turns["turn"], turns["text"], turns["language"]):
        lang = dictionary.resolve(language)
        if lang is None:
            continue
        folded = fold(text, lang).text
        out.update((document, turn, code) for regex, code in compiled[lang] if regex.search(folded))
    return out


def main() -> int:
    rng = np.random.default_rng(2024)
    vocab = {lang: vocabulary(rng, lang) for lang in LANGUAGES}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "codebook.yaml"
        path.write_text(codebook_yaml(rng, vocab), encoding="utf-8")
        codebook = load_codebook(path)
    t0 = time.perf_counter()
    turns = turn_table(rng, vocab, N_TURNS)
    dictionary = compile_dictionary(codebook)
    chars = int(turns["text"].str.len().sum())
    print(f"Auto-coding by dictionary: {N_TURNS:,} turns ({chars / 1e6:.0f} million characters, 5 languages), "
          f"{len(dictionary.patterns)} patterns of {len(dictionary.codes)} codes (data built in "
          f"{time.perf_counter() - t0:.0f}s)\n")

    t_full, res = best_of_3(lambda: autocode(turns, codebook))
    sub = turns.sample(N_SUB, random_state=1)
    t_naive, naive_codes = best_of_3(lambda: naive(sub, dictionary))
    t_sub, res_sub = best_of_3(lambda: autocode(sub, codebook))
    ours_sub = {(r.document, int(r.turn), r.code) for r in res_sub.codings.itertuples()}
    assert ours_sub == naive_codes, "cfresearch and the straightforward coder disagree"
    keys = set(zip(sub["document"], sub["turn"]))
    full_sub = {(d, int(t), c) for d, t, c in zip(res.codings["document"], res.codings["turn"], res.codings["code"])
                if (d, int(t)) in keys}
    assert full_sub == naive_codes, "the 1,000,000-turn run disagrees with the straightforward coder"
    t0 = time.perf_counter()
    res_sentence = autocode(turns, codebook, unit="sentence")
    t_sentence = time.perf_counter() - t0

    scale = N_TURNS / N_SUB
    print(f"{'case':<44} {'cfresearch':>11} {'straightforward':>16} {'ratio':>7}")
    print(f"{f'{N_SUB:,} turns (same subsample)':<44} {t_sub:10.2f}s {t_naive:15.2f}s {t_naive / t_sub:6.1f}x")
    print(f"{f'{N_TURNS:,} turns (peer extrapolated x{scale:.0f})':<44} {t_full:10.2f}s {t_naive * scale:15.1f}s "
          f"{t_naive * scale / t_full:6.1f}x")
    print(f"{f'{N_TURNS:,} turns, unit = sentence':<44} {t_sentence:10.2f}s")
    print(f"\n{len(res.codings):,} codings ({len(res_sentence.codings):,} by sentence) from {len(res.hits):,} matches; "
          f"{res.codings[['document', 'turn']].drop_duplicates().shape[0]:,} turns coded. Codes agree with the "
          f"straightforward coder on the {N_SUB:,}-turn subsample ({len(naive_codes):,} turn-code pairs).")
    print("ratio = straightforward time / cfresearch time (higher is better for cfresearch).")
    if t_full > LIMIT:
        print(f"FAIL: {N_TURNS:,} turns took {t_full:.1f}s (limit {LIMIT:.0f}s)")
        return 1
    print(f"OK: {N_TURNS:,} turns in {t_full:.1f}s (limit {LIMIT:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
