"""Code frequencies, code-by-segment matrices and co-occurrence: counts by hand, tests against R."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cfresearch.qual.matrices import code_frequencies, code_matrix, coded_turns, cooccurrence, exact_association

# R 4.2.2 fisher.test / chisq.test(correct = FALSE): tests/fixtures/qual/README.md
R_TABLES = [
    ([[3, 7, 2], [9, 4, 8]], 0.0856406784, 5.3625000000),
    ([[5, 2, 0, 4], [1, 6, 7, 3]], 0.0081519294, 11.0303030303),
    ([[10, 3], [2, 9]], 0.0122781378, 8.2237762238),
    ([[12, 5, 9, 2, 7], [8, 15, 11, 18, 13]], 0.0111137604, 12.7472527473),
]


@pytest.mark.parametrize("table, p_fisher, chi2", R_TABLES)
def test_exact_association_is_r_fisher_test(table, p_fisher, chi2):
    assert exact_association(table) == pytest.approx(p_fisher, rel=1e-7)
    assert stats.chi2_contingency(np.array(table), correction=False)[0] == pytest.approx(chi2, rel=1e-9)


def test_exact_association_2x2_equals_scipy_fisher():
    rng = np.random.default_rng(3)
    for _ in range(20):
        t = rng.integers(0, 12, size=(2, 2))
        if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
            continue
        assert exact_association(t) == pytest.approx(stats.fisher_exact(t).pvalue, rel=1e-9)


def test_exact_association_rejects_bad_tables():
    with pytest.raises(ValueError, match="2 x k"):
        exact_association([[1, 2, 3]])
    with pytest.raises(ValueError, match="2 x k"):
        exact_association([[1, -2], [3, 4]])


@pytest.fixture
def study():
    """Two groups, six participants, a moderator; codings of two coders, one selection spanning two turns."""
    speakers = ["Mod", "Ann", "Bo", "Cy", "Mod", "Dee", "Eve", "Fay", "Ann"]
    groups = ["G1"] * 4 + ["G2"] * 4 + ["G1"]
    doc = ["d1"] * 4 + ["d2"] * 4 + ["d1"]
    turn = [1, 2, 3, 4, 1, 2, 3, 4, 5]
    starts = [0, 10, 20, 30, 0, 10, 20, 30, 40]
    turns = pd.DataFrame({"group": groups, "document": doc, "turn": turn, "speaker": speakers,
                          "char_start": starts, "char_end": [s + 8 for s in starts], "text": "x"})
    people = pd.DataFrame({"group": ["G1", "G1", "G1", "G1", "G2", "G2", "G2", "G2"],
                           "speaker": ["Mod", "Ann", "Bo", "Cy", "Mod", "Dee", "Eve", "Fay"],
                           "role": ["moderator"] + ["customer"] * 3 + ["moderator"] + ["customer"] * 3,
                           "segment": [None, "New", "New", "Loyal", None, "Loyal", "Loyal", "New"]})
    codings = pd.DataFrame([
        ("A", "d1", 10, 18, "late", 2), ("B", "d1", 10, 18, "late", 2), ("A", "d1", 40, 48, "late", 5),
        ("A", "d1", 20, 38, "rude", np.nan),  # spans turns 3 and 4
        ("B", "d1", 20, 28, "rude", 3), ("A", "d1", 0, 8, "rude", 1),  # the moderator's turn: never counted
        ("A", "d2", 10, 18, "late", 2), ("B", "d2", 20, 28, "late", 3), ("B", "d2", 30, 38, "rude", 4),
    ], columns=["coder", "document", "start", "end", "code", "turn"])
    return codings, turns, people


def test_coded_turns_bases(study):
    codings, turns, _ = study
    anyone = coded_turns(codings, turns)
    assert set(map(tuple, anyone[["document", "turn", "code"]].to_numpy())) == {
        ("d1", 1, "rude"), ("d1", 2, "late"), ("d1", 3, "rude"), ("d1", 4, "rude"), ("d1", 5, "late"),
        ("d2", 2, "late"), ("d2", 3, "late"), ("d2", 4, "rude")}
    consensus = coded_turns(codings, turns, basis="consensus")
    assert set(map(tuple, consensus[["document", "turn", "code"]].to_numpy())) == {("d1", 2, "late"),
                                                                                   ("d1", 3, "rude")}
    only_b = coded_turns(codings, turns, basis="B")
    assert len(only_b) == 4
    with pytest.raises(ValueError, match="basis"):
        coded_turns(codings, turns, basis="C")


def test_code_frequencies_count_turns_and_people(study):
    codings, turns, people = study
    f = code_frequencies(codings, turns, participants=people).set_index("code")
    # late: d1 turns 2 (Ann) and 5 (Ann), d2 turns 2 (Dee) and 3 (Eve): 4 turns, 3 people of 6
    assert f.loc["late", ["units", "participants", "of"]].tolist() == [4, 3, 6]
    # rude: d1 turns 3 (Bo), 4 (Cy); d2 turn 4 (Fay); the moderator's turn is left out
    assert f.loc["rude", ["units", "participants"]].tolist() == [3, 3]
    by = code_frequencies(codings, turns, participants=people, by="segment").set_index(["code", "segment"])
    assert by.loc[("late", "New"), ["participants", "of"]].tolist() == [1, 3]  # Ann of Ann, Bo, Fay
    assert by.loc[("late", "Loyal"), "share"] == pytest.approx(2 / 3)  # Dee, Eve of Cy, Dee, Eve
    per_person = code_frequencies(codings, turns, participants=people, by="speaker")
    assert per_person.query("code == 'late' and speaker == 'Ann'")["units"].item() == 2


def test_code_matrix_tests_each_code_like_r(study):
    codings, turns, people = study
    m = code_matrix(codings, turns, participants=people, by="segment")
    assert m.counts.loc["late"].to_dict() == {"Loyal": 2, "New": 1}
    assert m.base.to_dict() == {"Loyal": 3, "New": 3}
    late = m.tests.set_index("code").loc["late"]
    # R: fisher.test(matrix(c(2, 1, 1, 2), 2))$p.value = 1
    assert late["p"] == pytest.approx(1.0) and late["test"] == "Fisher exact"
    units = code_matrix(codings, turns, participants=people, by="segment", measure="units")
    assert units.counts.loc["late"].to_dict() == {"Loyal": 2, "New": 2}
    assert units.base.to_dict() == {"Loyal": 3, "New": 4}
    assert "Codes by segment" in m.summary()


def test_code_matrix_holm_adjusts_over_codes():
    n = 10
    turns = pd.DataFrame({"group": "G", "document": "d", "turn": np.arange(1, 2 * n + 1),
                          "speaker": [f"p{i}" for i in range(2 * n)], "char_start": np.arange(2 * n) * 10,
                          "char_end": np.arange(2 * n) * 10 + 5, "segment": ["A"] * n + ["B"] * n})
    rows = [("c", "d", 10 * i, 10 * i + 5, "strong", i + 1) for i in range(9)]  # 9 of A, 0 of B
    rows += [("c", "d", 10 * i, 10 * i + 5, "weak", i + 1) for i in (0, 1, 12)]  # 2 of A, 1 of B
    codings = pd.DataFrame(rows, columns=["coder", "document", "start", "end", "code", "turn"])
    t = code_matrix(codings, turns).tests.set_index("code")
    p_strong = stats.fisher_exact([[9, 0], [1, 10]]).pvalue
    p_weak = stats.fisher_exact([[2, 1], [8, 9]]).pvalue
    assert t.loc["strong", "p"] == pytest.approx(p_strong)
    assert t.loc["strong", "p_adjusted"] == pytest.approx(min(1, 2 * p_strong))
    assert t.loc["weak", "p_adjusted"] == pytest.approx(max(min(1, 2 * p_strong), p_weak))


def test_cooccurrence_same_turn_and_window(study):
    codings, turns, _ = study
    same = cooccurrence(codings, turns)
    assert same.counts.loc["late", "late"] == 4 and same.counts.loc["rude", "rude"] == 4
    assert same.counts.loc["late", "rude"] == 0
    near = cooccurrence(codings, turns, window=1)
    # late turns with rude within one turn: d1 t2 (t1, t3 rude), d1 t5 (t4 rude), d2 t3 (t4 rude); d2 t2 (t1, t3: no)
    assert near.counts.loc["late", "rude"] == 3
    # rude turns with late within one turn: d1 t1 (t2), t3 (t2), t4 (t5), d2 t4 (t3)
    assert near.counts.loc["rude", "late"] == 4
    assert same.jaccard.loc["late", "late"] == 1.0
    with pytest.raises(ValueError, match="window"):
        cooccurrence(codings, turns, window=-1)


# R 4.2.2: prop.test(x, n, correct = FALSE)$conf.int (the Wilson score interval); tests/fixtures/qual/README.md
R_WILSON = [(1, 2, 0.0945312057, 0.9054687943), (7, 31, 0.1139513556, 0.3981241838),
            (24, 31, 0.6018758162, 0.8860486444)]


@pytest.mark.parametrize("x, n, low, high", R_WILSON)
def test_shares_carry_the_wilson_interval_of_r_prop_test(x, n, low, high):
    turns = pd.DataFrame({"group": "G", "document": "d", "turn": np.arange(1, n + 1),
                          "speaker": [f"p{i}" for i in range(n)], "char_start": np.arange(n) * 10,
                          "char_end": np.arange(n) * 10 + 5})
    codings = pd.DataFrame({"coder": "A", "document": "d", "start": np.arange(x) * 10, "end": np.arange(x) * 10 + 5,
                            "code": "c", "turn": np.arange(1, x + 1)})
    row = code_frequencies(codings, turns, roles=None).iloc[0]
    assert (row["participants"], row["of"]) == (x, n)
    assert row["ci_low"] == pytest.approx(low, abs=1e-9) and row["ci_high"] == pytest.approx(high, abs=1e-9)
