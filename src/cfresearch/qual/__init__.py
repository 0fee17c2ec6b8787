"""Focus-group and interview coding: transcripts to coded themes, agreement and quotes, in any language.

The study's tables (:mod:`cfresearch.qual.corpus`): documents and their speaker turns, participants, codings.

=====================  ===========================================================================================
transcripts, codings   read .txt / .vtt / .srt / .docx transcripts, the participants table and coders' codings,
                       with errors that name the file, line and column (:class:`cfresearch.data.DataError`)
codebook               the hierarchical codebook (YAML) with per-language auto-coding dictionaries
folding, autocode      language-aware matching (Turkic i, Persian/Arabic letters and ZWNJ, Romanian ș ț) and
                       dictionary auto-coding with precision and recall against a human coder
agreement              percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha, per-code agreement and
                       the disagreements to adjudicate
matrices               code frequencies, code-by-segment matrices with exact tests, co-occurrence
quotes                 exemplar quotes under pseudonyms, stripped of bidi spoofing, escaped
refi                   REFI-QDA exchange (.qdpx projects, .qdc codebooks) with NVivo, ATLAS.ti, MAXQDA, QualCoder
answers                the same codebook applied to open-ended survey answers
=====================  ===========================================================================================
"""

from __future__ import annotations

from cfresearch.qual.agreement import (
    code_agreement,
    cohen_kappa,
    disagreements,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    unit_codes,
)
from cfresearch.qual.answers import code_answers
from cfresearch.qual.autocode import autocode, autocode_accuracy, compile_dictionary
from cfresearch.qual.codebook import Code, CodebookError, QualCodebook, load_codebook
from cfresearch.qual.codings import check_codings, load_codings
from cfresearch.qual.corpus import CODING_COLUMNS, TURN_COLUMNS, Corpus
from cfresearch.qual.folding import fold
from cfresearch.qual.matrices import code_frequencies, code_matrix, coded_turns, cooccurrence, exact_association
from cfresearch.qual.quotes import clean_quote, exemplar_quotes, pseudonym_table
from cfresearch.qual.refi import QdaProject, export_qdc, export_qdpx, import_qdc, import_qdpx
from cfresearch.qual.study import FocusGroupStudy, load_focus_groups
from cfresearch.qual.transcripts import load_participants, read_transcript, read_transcripts, turns_from_text

__all__ = [
    "CODING_COLUMNS", "TURN_COLUMNS", "Code", "CodebookError", "Corpus", "FocusGroupStudy", "QdaProject",
    "QualCodebook", "autocode", "autocode_accuracy", "check_codings", "clean_quote", "code_agreement",
    "code_answers", "code_frequencies", "code_matrix", "coded_turns", "cohen_kappa", "compile_dictionary",
    "cooccurrence", "disagreements", "exact_association", "exemplar_quotes", "export_qdc", "export_qdpx",
    "fleiss_kappa", "fold", "import_qdc", "import_qdpx", "krippendorff_alpha", "load_codebook", "load_codings",
    "load_focus_groups", "load_participants", "percent_agreement", "pseudonym_table", "read_transcript",
    "read_transcripts", "turns_from_text", "unit_codes",
]
