"""Verbatim comments: identifiers are masked before they can reach a report."""

from __future__ import annotations

import pandas as pd
import pytest

from cfresearch.survey.verbatims import exemplar_comments, redact


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail me at jane.doe+x@mail.example.com please", "mail me at [email] please"),
        ("ring 0161 496 0000 today", "ring [number] today"),
        ("card 4111-1111-1111-1111 was charged twice", "card [number] was charged twice"),
        ("see www.example.com/complaint for details", "see [web address] for details"),
        ("waited 45 minutes, 2 times", "waited 45 minutes, 2 times"),  # short numbers stay
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_exemplars_are_reproducible_spread_and_redacted():
    df = pd.DataFrame({
        "resp_id": [f"R{i}" for i in range(6)],
        "segment": ["a", "a", "a", "b", "b", "b"],
        "comment": ["too short", "staff were very helpful indeed", "call me on 0161 496 0000 about it",
                    "delivery came two days late", None, "price is fair for the quality"],
        "nps": [9, 10, 3, 6, 8, 7],
    })
    got = exemplar_comments(df, "comment", by="segment", n=4, columns=["nps"])
    assert list(got.columns) == ["comment", "segment", "nps"]
    assert len(got) == 4 and "too short" not in set(got["comment"])
    assert set(got["segment"].head(2)) == {"a", "b"}  # alternates between groups
    assert "call me on [number] about it" in set(got["comment"])
    assert got.equals(exemplar_comments(df, "comment", by="segment", n=4, columns=["nps"]))
    with pytest.raises(ValueError, match="no column 'text'"):
        exemplar_comments(df, "text")
