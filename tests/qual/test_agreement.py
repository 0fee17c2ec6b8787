"""Inter-coder agreement: Krippendorff's alpha, Cohen's and Fleiss' kappa, percent agreement, per-code agreement.

Published references (sources and transcriptions in tests/fixtures/agreement/README.md): Krippendorff (2011)
examples A, B and C (alpha and the coincidence matrix), Fleiss (1971) Table 1 (kappa and per-category kappas, with
R irr's z values and R irrCAC's Gwet standard error), Cohen (1960), the SAS PROC FREQ printout recorded in the
statsmodels tests, Wikipedia's 50-proposal example. Peers run side by side on random inputs: the `krippendorff`
package (all four levels, missing values), scikit-learn's cohen_kappa_score, statsmodels' cohens_kappa (standard
errors) and fleiss_kappa.
"""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from cfresearch.qual import agreement
from cfresearch.qual.agreement import (
    LEVELS,
    code_agreement,
    cohen_kappa,
    disagreements,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    unit_codes,
)

# Krippendorff (2011), example C: 4 observers x 12 units, None = missing.
KRIPP_C = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
           [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
           [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
           [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
KRIPP_C_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
KRIPP_A = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
KRIPP_B = [list("aabbdcccedda"), list("babbbccceddd")]  # Ben and Gerry

# Fleiss (1971) Table 1: 30 patients x (Depression, Personality disorder, Schizophrenia, Neurosis, Other).
FLEISS = np.array([
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0], [2, 0, 4, 0, 0],
    [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6], [1, 0, 0, 5, 0], [1, 1, 0, 4, 0],
    [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1], [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0],
    [0, 2, 0, 4, 0], [1, 0, 2, 0, 3], [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0],
    [1, 0, 0, 4, 1], [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6]])
DIAGNOSES = ["Depression", "Personality disorder", "Schizophrenia", "Neurosis", "Other"]


def _table_labels(table):
    """Two label vectors (rater a, rater b) that cross-tabulate to `table` (rows a, columns b)."""
    table = np.asarray(table)
    rows, cols = np.indices(table.shape)
    return np.repeat(rows.ravel(), table.ravel()), np.repeat(cols.ravel(), table.ravel())


def _with_missing(rng, m, n, n_values, share=0.25):
    x = rng.integers(1, n_values + 1, size=(m, n)).astype(float)
    truth = rng.integers(1, n_values + 1, size=n)
    x = np.where(rng.random((m, n)) < 0.6, truth, x)  # some real agreement
    x[rng.random((m, n)) < share] = np.nan
    return x


# ─── Krippendorff's alpha: published examples ─────────────────────────────────────────────────────────


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_reproduces_krippendorff_2011_example_c(level):
    res = krippendorff_alpha(KRIPP_C, level)
    assert round(float(res), 3) == KRIPP_C_ALPHA[level]
    assert res.n_values == 40 and res.n_units == 11 and res.n_coders == 4 and res.n_dropped == 1


def test_alpha_builds_the_coincidence_matrix_printed_by_krippendorff_2011():
    o = krippendorff_alpha(KRIPP_C).coincidence
    printed = np.array([[7, 4 / 3, 1 / 3, 1 / 3, 0], [4 / 3, 10, 4 / 3, 1 / 3, 0], [1 / 3, 4 / 3, 8, 1 / 3, 0],
                        [1 / 3, 1 / 3, 1 / 3, 4, 0], [0, 0, 0, 0, 3]])
    assert list(o.index) == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(o.to_numpy(), printed, atol=1e-12)
    np.testing.assert_allclose(o.sum(axis=1), [9, 13, 10, 5, 3])


def test_alpha_reproduces_krippendorff_2011_examples_a_and_b():
    assert round(float(krippendorff_alpha(KRIPP_A)), 3) == 0.095
    res = krippendorff_alpha(KRIPP_B)
    assert round(float(res), 3) == 0.692 and res.n_values == 24


def test_alpha_is_the_same_from_every_layout():
    wide = pd.DataFrame(KRIPP_C, index=["A", "B", "C", "D"], dtype=float)
    long = wide.stack().rename("value").rename_axis(["coder", "unit"]).reset_index()
    letters = [[None if v is None else "abcde"[v - 1] for v in row] for row in KRIPP_C]
    for level in LEVELS:
        expected = float(krippendorff_alpha(KRIPP_C, level))
        assert float(krippendorff_alpha(wide, level)) == pytest.approx(expected, abs=1e-12)
        assert float(krippendorff_alpha(long, level)) == pytest.approx(expected, abs=1e-12)
        assert float(krippendorff_alpha(np.array(KRIPP_C, dtype=float), level)) == pytest.approx(expected, abs=1e-12)
    # ordinal labels in a given order give the ordinal alpha; nominal labels need no order
    assert round(float(krippendorff_alpha(letters, "ordinal", values=list("abcde"))), 3) == 0.815
    assert round(float(krippendorff_alpha(letters, "nominal")), 3) == 0.743
    # an unused value in the domain changes nothing, even for the ordinal metric
    assert float(krippendorff_alpha(KRIPP_C, "ordinal", values=[0, 1, 2, 3, 4, 5, 6])) == pytest.approx(
        float(krippendorff_alpha(KRIPP_C, "ordinal")), abs=1e-12)


def test_alpha_summary_gives_the_reading():
    res = krippendorff_alpha(KRIPP_C, "ordinal", bootstrap=200, seed=1)
    text = res.summary()
    assert text.startswith("Krippendorff's alpha (ordinal) = 0.815, 95% bootstrap CI")
    assert "reliable" in text and "1 unit(s) with fewer than 2 values" in text
    assert "not acceptable" in krippendorff_alpha(KRIPP_A).summary()
    row = res.to_frame().iloc[0]
    assert row["level"] == "ordinal" and row["n_values"] == 40 and row["bootstrap"] == 200


# ─── Krippendorff's alpha: side by side with the krippendorff package ─────────────────────────────────


@pytest.mark.parametrize("seed", range(6))
def test_alpha_equals_the_krippendorff_package_on_random_data_with_missing_values(seed):
    rng = np.random.default_rng(seed)
    x = _with_missing(rng, int(rng.integers(2, 7)), int(rng.integers(20, 400)), int(rng.integers(2, 8)))
    for level in LEVELS:
        assert float(krippendorff_alpha(x, level)) == pytest.approx(
            krippendorff.alpha(x, level_of_measurement=level), abs=1e-10)


def test_alpha_equals_the_package_for_decimals_labels_and_many_coders():
    rng = np.random.default_rng(11)
    decimals = _with_missing(rng, 3, 150, 6) / 4.0 + 0.1  # not integers: the np.unique route
    for level in LEVELS:
        assert float(krippendorff_alpha(decimals, level)) == pytest.approx(
            krippendorff.alpha(decimals, level_of_measurement=level), abs=1e-10)
    labels = np.where(np.isnan(decimals), None, np.array(list("pqrstu"))[np.nan_to_num(decimals * 4 - 0.4)
                                                                         .astype(int) % 6]).astype(object)
    as_str = np.where(labels == None, "nan", labels).astype(str)  # noqa: E711  (the package's missing string)
    assert float(krippendorff_alpha(labels)) == pytest.approx(
        krippendorff.alpha(as_str, level_of_measurement="nominal"), abs=1e-10)
    many = _with_missing(rng, 25, 80, 5)  # 25 coders x 5 values: patterns too many to number, rows compared
    for level in ("nominal", "interval"):
        assert float(krippendorff_alpha(many, level)) == pytest.approx(
            krippendorff.alpha(many, level_of_measurement=level), abs=1e-10)


def test_alpha_without_a_coincidence_matrix_gives_the_same_numbers(monkeypatch):
    rng = np.random.default_rng(5)
    x = _with_missing(rng, 4, 200, 6)
    matrix = {lv: krippendorff_alpha(x, lv) for lv in LEVELS}
    monkeypatch.setattr(agreement, "_MAX_MATRIX_VALUES", 0)  # the route for many distinct values
    for level in LEVELS:
        res = krippendorff_alpha(x, level)
        assert res.coincidence is None
        assert float(res) == pytest.approx(float(matrix[level]), abs=1e-12)
        assert res.expected == pytest.approx(matrix[level].expected, rel=1e-12)
        assert res.n_values == matrix[level].n_values


# ─── bootstrap ────────────────────────────────────────────────────────────────────────────────────────


def test_bootstrap_weights_are_the_same_as_resampling_units():
    # A replicate is alpha of the units drawn with replacement; counting draws per pattern must give the same.
    rng = np.random.default_rng(3)
    x = _with_missing(rng, 3, 60, 4)
    draw = rng.integers(0, x.shape[1], size=x.shape[1])
    weights = np.bincount(draw, minlength=x.shape[1]).astype(float)
    codes = np.where(np.isnan(x), -1, x - 1).astype(np.int64)
    pat = codes.T  # every unit its own pattern
    domain = np.arange(1.0, 5.0)
    o = np.asarray(agreement._pair_matrix(pat, 4).T @ weights).reshape(4, 4)
    for level in LEVELS:
        via_weights = agreement._alpha_from_coincidence(o, level, domain)[0]
        via_pairs = agreement._alpha_pairwise(pat, weights, domain, level)[0]
        resampled = krippendorff.alpha(x[:, draw], level_of_measurement=level, value_domain=[1, 2, 3, 4])
        assert float(via_weights) == pytest.approx(resampled, abs=1e-10)
        assert via_pairs == pytest.approx(resampled, abs=1e-10)


def test_bootstrap_interval_matches_a_brute_force_bootstrap():
    rng = np.random.default_rng(8)
    x = _with_missing(rng, 3, 120, 4, share=0.2)
    ours = krippendorff_alpha(x, "interval", bootstrap=2000, seed=4)
    draws = rng.integers(0, x.shape[1], size=(1000, x.shape[1]))
    brute = np.array([krippendorff.alpha(x[:, d], level_of_measurement="interval") for d in draws])
    lo, hi = np.quantile(brute, [0.025, 0.975])
    assert ours.ci_low == pytest.approx(lo, abs=0.03) and ours.ci_high == pytest.approx(hi, abs=0.03)
    assert ours.ci_low < float(ours) < ours.ci_high
    assert ours.replicates.size == 2000
    again = krippendorff_alpha(x, "interval", bootstrap=2000, seed=4)
    assert (again.ci_low, again.ci_high) == (ours.ci_low, ours.ci_high)  # the seed makes it reproducible


def test_bootstrap_without_a_coincidence_matrix_is_reproducible(monkeypatch):
    rng = np.random.default_rng(9)
    x = _with_missing(rng, 3, 80, 4)
    matrix = krippendorff_alpha(x, "ordinal", bootstrap=300, seed=2)
    monkeypatch.setattr(agreement, "_MAX_MATRIX_VALUES", 0)
    pairwise = krippendorff_alpha(x, "ordinal", bootstrap=300, seed=2)
    np.testing.assert_allclose(pairwise.replicates, matrix.replicates, atol=1e-10)  # same draws, same alphas


# ─── percent agreement ────────────────────────────────────────────────────────────────────────────────


def test_percent_agreement_reproduces_irrcac_on_krippendorffs_data():
    res = percent_agreement(KRIPP_C)
    assert round(float(res), 7) == 0.8181818  # R irrCAC pa.coeff.raw(cac.raw4raters)
    assert res.all_agree == pytest.approx(8 / 11) and res.n_units == 11


def test_percent_agreement_of_two_coders_is_the_share_of_units_they_agree_on():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    res = percent_agreement([a, b])
    assert float(res) == pytest.approx(np.mean(a == b)) and res.all_agree == pytest.approx(np.mean(a == b))


# ─── Cohen's kappa ────────────────────────────────────────────────────────────────────────────────────


def test_cohen_kappa_reproduces_cohen_1960_and_wikipedia():
    a, b = _table_labels([[88, 14, 18], [10, 40, 10], [2, 6, 12]])  # Cohen (1960): judge B rows, judge A columns
    res = cohen_kappa(b, a)
    assert round(float(res), 3) == 0.492 and round(res.observed, 2) == 0.70 and round(res.expected, 2) == 0.41
    a, b = _table_labels([[20, 5], [10, 15]])  # Wikipedia: yes/no of two readers, 50 proposals
    assert float(cohen_kappa(a, b)) == pytest.approx(0.4)


def test_cohen_kappa_reproduces_the_sas_printout():
    a, b = _table_labels([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    res = cohen_kappa(a, b)
    got = [res.estimate, res.se, res.ci_low, res.ci_high, res.se0, res.statistic, res.p]
    np.testing.assert_allclose(got, [0.4842, 0.1380, 0.2137, 0.7547, 0.1484, 3.2626, 0.0011], atol=5e-5)
    res = cohen_kappa(a, b, weights="linear")
    got = [res.estimate, res.se, res.ci_low, res.ci_high, res.se0, res.statistic]
    np.testing.assert_allclose(got, [0.4701, 0.1457, 0.1845, 0.7558, 0.1426, 3.2971], atol=5e-5)


@pytest.mark.parametrize("seed", range(5))
def test_cohen_kappa_equals_sklearn_and_statsmodels(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(20, 300)), int(rng.integers(2, 6))
    a = rng.integers(0, k, n)
    b = np.where(rng.random(n) < 0.6, a, rng.integers(0, k, n))
    labels = np.unique(np.r_[a, b])
    table = np.zeros((labels.size, labels.size))
    np.add.at(table, (np.searchsorted(labels, a), np.searchsorted(labels, b)), 1)
    for weights in (None, "linear", "quadratic"):
        res = cohen_kappa(a, b, weights=weights)
        assert float(res) == pytest.approx(cohen_kappa_score(a, b, weights=weights), abs=1e-12)
        sm = sm_cohens_kappa(table) if weights is None else sm_cohens_kappa(table, wt=weights)
        assert res.se == pytest.approx(math.sqrt(sm.var_kappa), abs=1e-12)
        assert res.se0 == pytest.approx(math.sqrt(sm.var_kappa0), abs=1e-12)


def test_cohen_kappa_takes_every_layout_and_drops_units_one_coder_missed():
    rng = np.random.default_rng(4)
    a = rng.choice(["low", "mid", "high"], 60).astype(object)
    b = np.where(rng.random(60) < 0.7, a, rng.choice(["low", "mid", "high"], 60)).astype(object)
    b[:5] = None
    expected = cohen_kappa_score(a[5:], b[5:], weights="linear", labels=["low", "mid", "high"])
    res = cohen_kappa(a, b, weights="linear", labels=["low", "mid", "high"])
    assert float(res) == pytest.approx(expected) and res.n == 55 and res.n_dropped == 5
    wide = pd.DataFrame([a, b, a], index=["ann", "bob", "cy"])
    long = wide.stack().rename("value").rename_axis(["coder", "unit"]).reset_index()
    for data in (wide, wide.T, long):
        got = cohen_kappa(data, "ann", "bob", weights="linear", labels=["low", "mid", "high"])
        assert float(got) == pytest.approx(expected) and got.coders == ("ann", "bob")
    assert "Cohen's weighted kappa (linear weights)" in res.summary()


# ─── Fleiss' kappa ────────────────────────────────────────────────────────────────────────────────────


def test_fleiss_kappa_reproduces_fleiss_1971_table_1():
    res = fleiss_kappa(pd.DataFrame(FLEISS, columns=DIAGNOSES))
    assert round(float(res), 3) == 0.430 and res.n_units == 30 and res.n_raters == 6
    cats = res.categories.set_index("category")
    assert cats["estimate"].round(3).tolist() == [0.245, 0.245, 0.520, 0.471, 0.566]
    # R irr kappam.fleiss(diagnoses, detail = TRUE): Fleiss, Nee & Landis (1979) z values
    assert round(res.statistic, 1) == 17.7
    assert cats["statistic"].round(3).tolist() == [5.192, 5.192, 11.031, 9.994, 12.009]
    assert res.to_frame()["category"].tolist() == ["(overall)"] + DIAGNOSES


def test_fleiss_kappa_standard_error_reproduces_irrcac():
    res = fleiss_kappa(FLEISS[:15])  # irrCAC's distrib.6raters: the first 15 patients
    assert round(float(res), 7) == 0.4139265
    assert round(res.se, 8) == 0.08119291
    assert (round(res.ci_low, 2), round(res.ci_high, 3)) == (0.24, 0.588)
    assert (round(res.observed, 7), round(res.expected, 7)) == (0.5511111, 0.2340741)


@pytest.mark.parametrize("seed", range(4))
def test_fleiss_kappa_equals_statsmodels_and_takes_a_long_table(seed):
    rng = np.random.default_rng(seed)
    n, m, k = int(rng.integers(5, 120)), int(rng.integers(2, 8)), int(rng.integers(2, 6))
    ratings = rng.integers(0, k, (n, m))
    counts = np.stack([(ratings == c).sum(axis=1) for c in range(k)], axis=1)
    assert float(fleiss_kappa(counts)) == pytest.approx(sm_fleiss_kappa(counts), abs=1e-12)
    long = pd.DataFrame({"unit": np.repeat(np.arange(n), m), "coder": np.tile(np.arange(m), n),
                         "value": ratings.ravel()})
    present = counts[:, counts.sum(axis=0) > 0]
    assert float(fleiss_kappa(long)) == pytest.approx(sm_fleiss_kappa(present), abs=1e-12)


def test_fleiss_gwet_standard_error_agrees_with_the_jackknife():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 4, 400)
    ratings = np.where(rng.random((400, 5)) < 0.6, truth[:, None], rng.integers(0, 4, (400, 5)))
    counts = np.stack([(ratings == c).sum(axis=1) for c in range(4)], axis=1)
    res = fleiss_kappa(counts)
    leave_one_out = np.array([sm_fleiss_kappa(np.delete(counts, i, axis=0)) for i in range(len(counts))])
    n = len(counts)
    jackknife = math.sqrt((n - 1) / n * ((leave_one_out - leave_one_out.mean()) ** 2).sum())
    assert res.se == pytest.approx(jackknife, rel=0.05)


# ─── coding-level agreement ───────────────────────────────────────────────────────────────────────────


def _study(seed: int, n_coders: int = 3):
    """Three documents of turns with offsets; coder 'c' did not code document 'd3'. Random codings, some given
    by offsets spanning two turns."""
    rng = np.random.default_rng(seed)
    rows = []
    for doc, n_turns in (("d1", 12), ("d2", 9), ("d3", 7)):
        start = 0
        for t in range(1, n_turns + 1):
            text = f"turn {t} of {doc}"
            rows.append({"document": doc, "turn": t, "char_start": start, "char_end": start + len(text),
                         "text": text})
            start += len(text) + 1
    turns = pd.DataFrame(rows)
    coders = ["a", "b", "c"][:n_coders]
    codes = ["price", "staff", "wait"]
    truth = rng.random((len(turns), len(codes))) < 0.35
    cod = []
    for coder in coders:
        seen = np.where(rng.random(truth.shape) < 0.8, truth, rng.random(truth.shape) < 0.3)
        for (i, k) in zip(*np.nonzero(seen)):
            t = turns.iloc[i]
            if coder == "c" and t["document"] == "d3":
                continue
            cod.append({"coder": coder, "document": t["document"], "start": int(t["char_start"]),
                        "end": int(t["char_end"]), "code": codes[k], "turn": float(t["turn"])})
    codings = pd.DataFrame(cod)
    # one selection spanning turns 2-3 of d1 by coder a, given by offsets only
    span = turns[(turns["document"] == "d1") & turns["turn"].isin([2, 3])]
    extra = {"coder": "a", "document": "d1", "start": int(span["char_start"].min()) + 2,
             "end": int(span["char_end"].max()) - 2, "code": "wait", "turn": np.nan}
    return pd.concat([codings, pd.DataFrame([extra])], ignore_index=True), turns


def _presence_by_hand(codings, turns):
    """The presence table computed the slow way, one coding and one turn at a time."""
    hits = set()
    for c in codings.itertuples():
        for t in turns[turns["document"] == c.document].itertuples():
            on_turn = (not np.isnan(c.turn) and c.turn == t.turn) or (
                np.isnan(c.turn) and c.start < t.char_end and c.end > t.char_start)
            if on_turn:
                hits.add((c.document, t.turn, c.coder, c.code))
    codes = sorted(codings["code"].unique())
    rows = []
    for t in turns.itertuples():
        for coder in sorted(codings.loc[codings["document"] == t.document, "coder"].unique()):
            for code in codes:
                rows.append((t.document, t.turn, coder, code, int((t.document, t.turn, coder, code) in hits)))
    return pd.DataFrame(rows, columns=["document", "turn", "coder", "code", "present"])


def test_unit_codes_marks_every_turn_a_coding_touches_and_leaves_absent_coders_missing():
    codings, turns = _study(0)
    got = unit_codes(codings, turns)
    expected = _presence_by_hand(codings, turns)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)
    assert not ((got["document"] == "d3") & (got["coder"] == "c")).any()  # missing, not "absent"
    assert got.query("document == 'd1' and coder == 'a' and code == 'wait' and turn in [2, 3]")["present"].all()
    by_doc = unit_codes(codings, turns, unit="document")
    assert len(by_doc) == (3 + 3 + 2) * 3 and by_doc["turn"].isna().all()


@pytest.mark.parametrize("n_coders", [2, 3])
def test_code_agreement_equals_the_peers_code_by_code(n_coders):
    codings, turns = _study(1, n_coders)
    res = code_agreement(codings, turns, bootstrap=200, seed=3)
    table = res.to_frame().set_index("code")
    long = _presence_by_hand(codings, turns)
    units = long[["document", "turn"]].drop_duplicates()
    coders = sorted(long["coder"].unique())
    stacked = []
    for code in ["price", "staff", "wait"]:
        wide = (long[long["code"] == code].pivot_table(index="coder", columns=["document", "turn"], values="present")
                .reindex(index=coders, columns=pd.MultiIndex.from_frame(units)))
        x = wide.to_numpy(dtype=float)
        stacked.append(x)
        row = table.loc[code]
        assert row["alpha"] == pytest.approx(krippendorff.alpha(x, level_of_measurement="nominal"), abs=1e-12)
        complete = ~np.isnan(x).any(axis=0)
        if n_coders == 2:
            assert row["kappa_type"] == "Cohen"
            assert row["kappa"] == pytest.approx(cohen_kappa_score(x[0, complete], x[1, complete]), abs=1e-12)
        else:
            assert row["kappa_type"] == "Fleiss"
            ones = x[:, complete].sum(axis=0)
            assert row["kappa"] == pytest.approx(sm_fleiss_kappa(np.column_stack([n_coders - ones, ones])),
                                                 abs=1e-12)
        pairs = [(i, j) for i in range(n_coders) for j in range(i + 1, n_coders)]
        share = [np.mean([x[i, u] == x[j, u] for i, j in pairs if not np.isnan(x[[i, j], u]).any()])
                 for u in range(x.shape[1]) if (~np.isnan(x[:, u])).sum() >= 2]
        assert row["percent_agreement"] == pytest.approx(np.mean(share))
        assert row["n_coded"] == int((np.nan_to_num(x) == 1).any(axis=0).sum())
        assert row["ci_low"] <= row["alpha"] <= row["ci_high"]
    pooled = np.concatenate(stacked, axis=1)
    assert float(res) == pytest.approx(krippendorff.alpha(pooled, level_of_measurement="nominal"), abs=1e-12)
    assert table.loc["(overall)", "units"] == pooled.shape[1] and res.n_units == len(units)
    assert res.ci_low < float(res) < res.ci_high
    assert list(res.to_frame().columns) == ["code", "units", "coders", "percent_agreement", "kappa", "kappa_type",
                                            "alpha", "ci_low", "ci_high", "n_coded"]


def test_code_agreement_overall_interval_resamples_whole_turns():
    codings, turns = _study(2, 2)
    res = code_agreement(codings, turns, bootstrap=1500, seed=1)
    long = _presence_by_hand(codings, turns)
    units = long[["document", "turn"]].drop_duplicates()
    cube = np.stack([long[long["code"] == k].pivot_table(index="coder", columns=["document", "turn"],
                                                         values="present")
                     .reindex(columns=pd.MultiIndex.from_frame(units)).to_numpy(float) for k in ["price", "staff",
                                                                                             "wait"]])
    rng = np.random.default_rng(0)
    brute = []
    for _ in range(600):
        draw = rng.integers(0, cube.shape[2], cube.shape[2])
        brute.append(krippendorff.alpha(np.concatenate(list(cube[:, :, draw]), axis=1),
                                        level_of_measurement="nominal"))
    lo, hi = np.quantile(brute, [0.025, 0.975])
    assert res.ci_low == pytest.approx(lo, abs=0.04) and res.ci_high == pytest.approx(hi, abs=0.04)


def test_code_agreement_summary_and_filters():
    codings, turns = _study(3)
    res = code_agreement(codings, turns, codes=["price", "staff", "never used"], coders=["a", "b"], bootstrap=0)
    table = res.to_frame()
    assert table["code"].tolist() == ["price", "staff", "never used", "(overall)"]
    assert math.isnan(table.loc[2, "alpha"]) and table.loc[2, "n_coded"] == 0
    assert res.coders == ("a", "b") and (table["kappa_type"] == "Cohen").all()
    text = res.summary()
    assert text.startswith("Inter-coder agreement on 3 code(s) over 28 turns coded by 2 coders (a, b)")
    assert "Undefined (code applied to every turn or to none): never used." in text


def test_disagreements_lists_the_turns_to_adjudicate():
    codings, turns = _study(4)
    got = disagreements(codings, turns)
    long = _presence_by_hand(codings, turns)
    g = long.groupby(["document", "turn", "code"])["present"]
    mixed = (g.min() == 0) & (g.max() == 1)
    assert len(got) == int(mixed.sum())
    assert list(got.columns) == ["document", "turn", "code", "coded_by", "not_coded_by", "text"]
    assert got[["document", "turn", "code"]].equals(got.sort_values(["document", "turn", "code"])[
        ["document", "turn", "code"]])
    first = got.iloc[0]
    who = long[(long["document"] == first["document"]) & (long["turn"] == first["turn"])
               & (long["code"] == first["code"])]
    assert first["coded_by"] == ", ".join(who.loc[who["present"] == 1, "coder"])
    assert first["not_coded_by"] == ", ".join(who.loc[who["present"] == 0, "coder"])
    assert first["text"] == f"turn {first['turn']} of {first['document']}"
    assert disagreements(codings, turns, codes=["no such code"]).empty


# ─── errors ───────────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("call, message", [
    (lambda: krippendorff_alpha(KRIPP_C, "cardinal"), "level must be one of"),
    (lambda: krippendorff_alpha([[1, 2, 3]]), "need at least 2 coders"),
    (lambda: krippendorff_alpha([[1, None], [None, 2]]), "no unit has values from 2 or more coders"),
    (lambda: krippendorff_alpha([[1, -2], [1, 3]], "ratio"), "ratio alpha needs values >= 0"),
    (lambda: krippendorff_alpha([["a", "b"], ["a", "a"]], "interval"), "interval alpha needs numeric values"),
    (lambda: krippendorff_alpha([["lo", "hi"], ["lo", "lo"]], "ordinal"), "needs numbers, or the labels' order"),
    (lambda: krippendorff_alpha([[1, 2], [1, 3]], values=[1, 2]), r"value\(s\) \[3.0\] not in values"),
    (lambda: krippendorff_alpha([[1, np.inf], [1, 2]]), "infinite values"),
    (lambda: krippendorff_alpha([[1, 2], [1]]), "rows of equal length"),
    (lambda: krippendorff_alpha(KRIPP_C, bootstrap=-1), "bootstrap must be a whole number"),
    (lambda: krippendorff_alpha(KRIPP_C, ci=95), "ci must be between 0 and 1"),
    (lambda: krippendorff_alpha(pd.DataFrame({"unit": [1, 1], "coder": ["a", "a"], "value": [1, 2]})),
     r"pair\(s\) occur more than once"),
    (lambda: cohen_kappa([1, 2], [1, 2, 3]), "differ in length"),
    (lambda: cohen_kappa([[1, 2], [1, 2], [2, 2]]), "name the two to compare"),
    (lambda: cohen_kappa(pd.DataFrame([[1, 2], [1, 2]], index=["a", "b"]), "a", "z"), "two different coders"),
    (lambda: cohen_kappa([1, None], [None, 2]), "no unit was coded by both"),
    (lambda: cohen_kappa([1, 2], [1, 2], weights="cubic"), "weights must be one of"),
    (lambda: fleiss_kappa([[2, 1], [1, 1]]), "different numbers of ratings"),
    (lambda: fleiss_kappa([[1, 0], [0, 1]]), "at least 2 ratings"),
    (lambda: fleiss_kappa([[1.5, 0.5], [1, 1]]), "whole numbers >= 0"),
    (lambda: percent_agreement([[1, None], [None, 1]]), "nothing can be compared"),
    (lambda: unit_codes(pd.DataFrame({"coder": ["a"], "document": ["d"]}), pd.DataFrame({"document": ["d"],
                                                                                          "turn": [1]})),
     "no column 'code'"),
    (lambda: unit_codes(*_study(0), unit="sentence"), "unit must be one of"),
    (lambda: code_agreement(*_study(0), coders=["a", "zed"]), r"coder\(s\) \['zed'\] have no codings"),
    (lambda: code_agreement(*_study(0), coders=["a"]), "need at least 2 coders"),
    (lambda: code_agreement(*_study(0), codes="price"), "codes must be a list"),
    (lambda: unit_codes(pd.DataFrame({"coder": ["a"], "document": ["d"], "code": ["x"]}),
                        pd.DataFrame({"document": ["d"], "turn": [1]})), "need a turn, or start and end"),
    (lambda: unit_codes(pd.DataFrame({"coder": ["a"], "document": ["d"], "code": ["x"], "start": [0], "end": [3],
                                      "turn": [np.nan]}), pd.DataFrame({"document": ["d"], "turn": [1]})),
     r"no columns \['char_start', 'char_end'\]"),
])
def test_errors_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_kappa_intervals_stay_within_minus_one_and_one():
    res = cohen_kappa([1, 2, 3, 3, 2, 1, 4, 1, 2, 5], [1, 2, 3, 3, 2, 4, 4, 1, 2, 5])
    assert res.ci_high == 1.0 and res.estimate + 1.96 * res.se > 1.0
    assert fleiss_kappa([[1, 1], [2, 0], [0, 2]]).ci_low == -1.0


def test_undefined_alpha_and_kappa_are_nan_not_errors():
    same = [[2, 2, 2], [2, 2, 2]]
    assert math.isnan(float(krippendorff_alpha(same)))
    assert "undefined" in krippendorff_alpha(same).summary()
    assert math.isnan(float(cohen_kappa([1, 1, 1], [1, 1, 1])))
