"""One focus-group study, loaded and checked in one step: transcripts, participants, codebook, coders' codings
and the dictionary's auto-coding, with the turns every analysis counts (the participants', not the moderators').

The report notebook starts with :func:`load_focus_groups`; every later step takes the tables it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from cfresearch.qual.agreement import CodeAgreementResult, code_agreement, disagreements
from cfresearch.qual.autocode import AccuracyResult, AutocodeResult, autocode, autocode_accuracy
from cfresearch.qual.codebook import QualCodebook, load_codebook
from cfresearch.qual.codings import load_codings
from cfresearch.qual.corpus import Corpus, empty_codings
from cfresearch.qual.narrative import introduction
from cfresearch.qual.transcripts import load_participants, read_transcripts
from cfresearch.results import Result

__all__ = ["FocusGroupStudy", "load_focus_groups"]


def _participant_turns(corpus: Corpus) -> pd.DataFrame:
    t = corpus.turns_with_participants()
    return t[t["role"] != "moderator"].reset_index(drop=True) if "role" in t.columns else t


@dataclass(frozen=True, eq=False)
class FocusGroupStudy(Result):
    """The loaded study: ``corpus`` (documents, turns, participants), ``codebook``, ``codings`` (the human
    coders', validated; empty without a codings file), ``auto`` (the dictionary's codings) and ``unit``."""

    corpus: Corpus
    codebook: QualCodebook
    codings: pd.DataFrame
    auto: AutocodeResult
    unit: str = "turn"

    @property
    def participants(self) -> pd.DataFrame:
        return self.corpus.participants

    @property
    def turns(self) -> pd.DataFrame:
        """The participants' turns (moderators left out) with their attributes: what every count is based on."""
        return _participant_turns(self.corpus)

    @property
    def coders(self) -> list[str]:
        return list(dict.fromkeys(self.codings["coder"]))

    def analysis_codings(self, basis: str = "any") -> pd.DataFrame:
        """The codings the themes are counted from: the human coders' (combined by ``basis`` downstream), or the
        dictionary's when there are no human codings."""
        return self.codings if len(self.codings) else self.auto.codings

    def agreement(self, *, bootstrap: int = 1000, ci: float = 0.95) -> CodeAgreementResult | None:
        """Agreement between the human coders per code over the participants' turns (:func:`code_agreement`);
        None without at least two coders."""
        if len(self.coders) < 2:
            return None
        result = code_agreement(self.codings, self.turns, bootstrap=bootstrap, ci=ci)
        order = {c: i for i, c in enumerate(self.codebook.codes)}
        table = result.table.sort_values("code", key=lambda c: c.map(order).fillna(len(order)), kind="stable")
        return replace(result, table=table.reset_index(drop=True))

    def disagreements(self) -> pd.DataFrame | None:
        """The turns and codes the coders disagree on (:func:`disagreements`) with group and speaker; None
        without at least two coders."""
        if len(self.coders) < 2:
            return None
        speakers = self.turns.set_index(["document", "turn"])[["group", "speaker"]]
        return disagreements(self.codings, self.turns).join(speakers, on=["document", "turn"])

    def accuracy(self, reference: str | None = None) -> AccuracyResult | None:
        """The dictionary's coding scored against the ``reference`` coder (default: the first coder) per code
        (:func:`autocode_accuracy`); None without human codings."""
        if not self.coders:
            return None
        reference = reference or self.coders[0]
        if reference not in self.coders:
            raise ValueError(f"reference coder {reference!r} is not among the coders {self.coders}")
        return autocode_accuracy(self.auto, self.codings[self.codings["coder"] == reference], self.turns)

    def introduction(self, *, pseudonymised: bool) -> object:
        """The report's opening paragraph (:func:`cfresearch.qual.narrative.introduction`)."""
        t, p = self.turns, self.participants
        groups = self.corpus.turns.drop_duplicates("document")
        interviews = int(groups["group"].str.upper().str.startswith(("INT", "IDI")).sum())
        people = p[p["role"] != "moderator"] if p is not None else pd.DataFrame(columns=["role"])
        return introduction(groups=len(groups) - interviews, interviews=interviews, participants=len(people),
                            employees=int((people["role"] == "employee").sum()), turns=len(t),
                            languages=list(dict.fromkeys(t["language"])), coders=self.coders,
                            pseudonymised=pseudonymised, unit=self.unit)

    def to_frame(self) -> pd.DataFrame:
        """One row per document: group, document, turns, speakers, words, language (all turns)."""
        return self.corpus.to_frame()

    def summary(self) -> str:
        coders = ", ".join(self.coders) or "no human coder"
        return (f"{self.corpus.summary()} Codebook: {len(self.codebook.codes)} codes. Codings: "
                f"{len(self.codings):,} by {coders}; the dictionary coded "
                f"{len(self.auto.codings[['document', 'turn']].drop_duplicates()):,} turn(s).")


def load_focus_groups(transcripts: str | Path, participants: str | Path, codebook: str | Path,
                      codings: str | Path | None = None, *, languages: list[str] | None = None,
                      unit: str = "turn") -> FocusGroupStudy:
    """Read and check a focus-group study: the transcripts folder (:func:`read_transcripts`, speakers checked
    against the participants), the participants table, the codebook, the coders' codings (checked against
    both) and the dictionary auto-coding of the participants' turns (``unit`` "turn" or "sentence").
    ``languages`` keeps only the documents in those languages (None or []: all).

    >>> from cfresearch.paths import sample_dir
    >>> base = sample_dir() / "focus_groups"
    >>> study = load_focus_groups(base / "transcripts", base / "participants.csv", base / "codebook.yaml",
    ...                           base / "codings.csv", languages=["en", "fa"])
    >>> sorted(study.corpus.documents)
    ['FG1.en.txt', 'FG3.fa.txt', 'FG6.en.docx', 'INT1.en.srt', 'INT2.fa.vtt']
    >>> study.coders
    ['Coder A', 'Coder B']
    """
    people = load_participants(participants)
    corpus = read_transcripts(transcripts, participants=people)
    book = load_codebook(codebook)
    human = load_codings(codings, corpus, book) if codings else empty_codings()
    if languages:
        wanted = {lang.split("-")[0] for lang in languages}
        first = corpus.turns.groupby("document", sort=False)["language"].first().str.split("-").str[0]
        keep = [d for d in corpus.documents if first.get(d) in wanted]
        if not keep:
            raise ValueError(f"load_focus_groups: no transcript in {sorted(wanted)}; the transcripts are in "
                             f"{sorted(set(first))}")
        corpus = Corpus({d: corpus.documents[d] for d in keep},
                        corpus.turns[corpus.turns["document"].isin(keep)].reset_index(drop=True), people)
        human = human[human["document"].isin(keep)].reset_index(drop=True)
    return FocusGroupStudy(corpus=corpus, codebook=book, codings=human,
                           auto=autocode(_participant_turns(corpus), book, unit=unit),
                           unit=unit)
