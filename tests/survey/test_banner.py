"""Banner tables: column %, means, multi-response sets, column letters, whole-table tests.

Published reference: R survey's ``svychisq(~sch.wide+stype, dclus1)`` on apiclus1 (Rao–Scott F). Peer
libraries run side by side: svy 0.35 (Rao–Scott with strata and clusters), statsmodels ``proportions_ztest``
and ``multipletests`` (letters), scipy ``ttest_ind`` / ``chi2_contingency`` / ``f_oneway``, statsmodels WLS.
Fixture sources: tests/fixtures/banner/README.md.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from cfresearch.survey import rake
from cfresearch.survey.banner import banner, column_letters
from cfresearch.survey.design import survey_design

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "banner"


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "apiclus1.csv")


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    """A synthetic survey shaped like the sample data: strata (region), stores nested in them, weights."""
    rng = np.random.default_rng(7)
    n = 1500
    region = rng.integers(0, 4, n)
    store = region * 10 + rng.integers(0, 6, n)
    seg = rng.choice(["New", "Regular", "Loyal"], n, p=[0.3, 0.45, 0.25])
    lift = np.select([seg == "Loyal", seg == "Regular"], [0.15, 0.05], 0.0)
    sat = np.where(rng.uniform(size=n) < 0.35 + lift, "Satisfied", rng.choice(["Neutral", "Dissatisfied"], n))
    score = np.clip(np.round(6 + 2.5 * lift * 10 / 3 + rng.normal(0, 2, n)), 0, 10)
    d = pd.DataFrame({
        "region": pd.Categorical(np.array(["North", "South", "East", "West"])[region],
                                 categories=["North", "South", "East", "West"]),
        "store": store,
        "customer_type": pd.Categorical(seg, categories=["New", "Regular", "Loyal"]),
        "gender": pd.Categorical(rng.choice(["Female", "Male"], n)),
        "sat": pd.Categorical(sat, categories=["Dissatisfied", "Neutral", "Satisfied"]),
        "score": score,
        "w": rng.uniform(0.4, 2.5, n),
        "why_price": (rng.uniform(size=n) < 0.4).astype(float),
        "why_staff": (rng.uniform(size=n) < 0.3 + lift).astype(float),
    })
    d.loc[rng.choice(n, 40, replace=False), "score"] = np.nan
    d.loc[:99, ["why_price", "why_staff"]] = np.nan  # not asked
    return d


def _cell(tab, stub, row, column, field="estimate"):
    f = tab.to_frame()
    return f.loc[(f["stub"] == stub) & (f["row"] == row) & (f["column"] == column), field].item()


# ─── whole-table tests against R survey and svy ────────────────────────────────────────────────────────


def test_rao_scott_matches_r_svychisq_on_apiclus1(apiclus1):
    # R 4.2.2, survey 4.1.1: dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    #   svychisq(~sch.wide+stype, dclus1)  ->  F = 5.1933695, ndf = 1.4946398, ddf = 20.9249569, p = 0.02174746
    #   svychisq(~sch.wide+stype, dclus1, statistic="Chisq")  ->  X-squared = 11.940892, df = 2, p = 0.005553263
    # (svy 0.35 gives the same numbers, checked below.)
    tab = banner(apiclus1, ["sch.wide"], ["stype"], weights="pw", clusters="dnum", fpc="fpc")
    chi = tab.chi2.iloc[0]
    assert chi["test"] == "Rao-Scott F"
    assert chi["statistic"] == pytest.approx(5.1933695, abs=5e-8)
    assert chi["df1"] == pytest.approx(1.4946398, abs=5e-8)
    assert chi["df2"] == pytest.approx(20.9249569, abs=5e-8)
    assert chi["p"] == pytest.approx(0.02174746, abs=5e-9)
    assert chi["pearson"] == pytest.approx(11.940892, abs=5e-7)
    assert chi["p_first_order"] == pytest.approx(0.005553263, abs=5e-10)
    # R: svytable(~sch.wide+stype, dclus1): No/E 406.1640, Yes/E 4467.8035, No/M 270.7760; svymean(~api00) 644.17
    assert _cell(tab, "sch.wide", "No", "E") * _cell(tab, "sch.wide", "No", "E", "sum_w") / 100 == \
        pytest.approx(406.1640, abs=1e-3)
    assert _cell(tab, "sch.wide", "Yes", "E") * _cell(tab, "sch.wide", "Yes", "E", "sum_w") / 100 == \
        pytest.approx(4467.8035, abs=1e-3)
    assert _cell(tab, "sch.wide", "No", "M") * _cell(tab, "sch.wide", "No", "M", "sum_w") / 100 == \
        pytest.approx(270.7760, abs=1e-3)
    means = banner(apiclus1, ["api00"], ["stype"], weights="pw")
    assert _cell(means, "api00", "Mean", "Total") == pytest.approx(644.17, abs=5e-3)


@pytest.mark.parametrize("design", ["weights", "strata+cluster"])
def test_rao_scott_matches_svy_side_by_side(survey, design):
    svy = pytest.importorskip("svy")
    pl = pytest.importorskip("polars")
    kw = dict(weights="w") if design == "weights" else dict(weights="w", strata="region", clusters="store")
    des = svy.Design(wgt="w") if design == "weights" else svy.Design(wgt="w", stratum="region", psu="store")
    ours = banner(survey, ["sat"], ["customer_type"], **kw).chi2.iloc[0]
    frame = survey[["region", "store", "w", "sat", "customer_type"]].astype(
        {"region": str, "sat": str, "customer_type": str})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = svy.Sample(pl.from_pandas(frame), des).categorical.tabulate("sat", "customer_type").stats
    assert ours["statistic"] == pytest.approx(theirs.f.value, rel=1e-9)
    assert ours["df1"] == pytest.approx(theirs.f.df_num, rel=1e-9)
    assert ours["df2"] == pytest.approx(theirs.f.df_den, rel=1e-9)
    assert ours["p"] == pytest.approx(theirs.f.p_value, rel=1e-7)
    assert ours["pearson"] == pytest.approx(theirs.chisq.value, rel=1e-9)
    assert ours["p_first_order"] == pytest.approx(theirs.chisq.p_value, rel=1e-7)


def test_unweighted_whole_table_tests_match_scipy(survey):
    tab = banner(survey, ["sat", "score"], ["customer_type", "gender"])
    chi = tab.chi2.set_index(["stub", "banner"])
    for b in ("customer_type", "gender"):
        x2, p, dof, _ = stats.chi2_contingency(pd.crosstab(survey["sat"], survey[b]), correction=False)
        row = chi.loc[("sat", b)]
        assert row["test"] == "Pearson chi2"
        assert (row["statistic"], row["df1"], row["p"]) == pytest.approx((x2, dof, p), rel=1e-10)
        ok = survey["score"].notna()
        groups = [g["score"].to_numpy() for _, g in survey[ok].groupby(b, observed=True)]
        f, p = stats.f_oneway(*groups)
        assert (chi.loc[("score", b), "statistic"], chi.loc[("score", b), "p"]) == pytest.approx((f, p), rel=1e-9)


def test_weighted_anova_matches_statsmodels_wls(survey):
    tab = banner(survey, ["score"], ["customer_type"], weights="w")
    d = survey.dropna(subset=["score"])
    fit = sm.WLS(d["score"], pd.get_dummies(d["customer_type"], dtype=float), weights=d["w"]).fit()
    ftest = fit.f_test(np.array([[1.0, -1.0, 0.0], [1.0, 0.0, -1.0]]))
    row = tab.chi2.iloc[0]
    assert row["statistic"] == pytest.approx(float(ftest.fvalue), rel=1e-9)
    assert row["p"] == pytest.approx(float(ftest.pvalue), rel=1e-8)
    assert (row["df1"], row["df2"]) == (2, len(d) - 3)


# ─── cells, bases, multi-response ──────────────────────────────────────────────────────────────────────


def test_column_percentages_means_and_bases(survey):
    tab = banner(survey, ["sat", "score"], ["customer_type"], weights="w")
    d = survey
    for seg in ["New", "Loyal"]:
        sub = d[d["customer_type"] == seg]
        share = sub.loc[sub["sat"] == "Satisfied", "w"].sum() / sub["w"].sum()
        assert _cell(tab, "sat", "Satisfied", seg) == pytest.approx(100 * share, rel=1e-12)
        assert _cell(tab, "sat", "Satisfied", seg, "n") == len(sub)
        assert _cell(tab, "sat", "Satisfied", seg, "effective_n") == pytest.approx(
            sub["w"].sum() ** 2 / (sub["w"] ** 2).sum(), rel=1e-12)
        ok = sub["score"].notna()
        assert _cell(tab, "score", "Mean", seg) == pytest.approx(np.average(sub.loc[ok, "score"],
                                                                            weights=sub.loc[ok, "w"]), rel=1e-12)
        assert _cell(tab, "score", "Mean", seg, "n") == ok.sum()
    total = tab.to_frame().query("stub == 'sat' and column == 'Total'")["estimate"]
    assert total.sum() == pytest.approx(100.0)
    assert list(tab.to_frame().columns) == ["stub", "row", "measure", "banner", "column", "letter", "estimate",
                                            "n", "sum_w", "effective_n", "sig_letters", "low_base"]


def test_multi_response_base_is_respondents_who_answered(survey):
    tab = banner(survey, ["why"], ["gender"], multi={"why": ["why_price", "why_staff"]},
                 labels={"why_price": "Price", "why_staff": "Staff"})
    answered = survey[["why_price", "why_staff"]].notna().any(axis=1)
    for g in ["Female", "Male"]:
        sub = survey[answered & (survey["gender"] == g)]
        assert _cell(tab, "why", "Price", g) == pytest.approx(100 * sub["why_price"].mean(), rel=1e-12)
        assert _cell(tab, "why", "Staff", g, "n") == len(sub)
    tot = tab.to_frame().query("column == 'Total'")
    assert tot["n"].tolist() == [answered.sum()] * 2
    assert tot["estimate"].sum() > 0  # items are not exclusive: percentages need not add to 100
    assert tab.chi2.empty  # no whole-table test for a multi-response set


# ─── column letters ────────────────────────────────────────────────────────────────────────────────────


def _expected_letters(values, pvals, letters, alpha):
    """Letters by definition: column i lists j when value_i > value_j and p_ij < alpha."""
    out = []
    for i in range(len(values)):
        out.append("".join(letters[j] for j in range(len(values))
                           if j != i and values[i] > values[j] and pvals[min(i, j), max(i, j)] < alpha))
    return out


@pytest.mark.parametrize("correction", ["none", "bonferroni", "fdr"])
def test_proportion_letters_match_statsmodels_ztest(survey, correction):
    tab = banner(survey, ["sat"], ["customer_type"], correction=correction)
    f = tab.to_frame()
    cats = ["New", "Regular", "Loyal"]
    assert f.query("banner == 'customer_type'")["letter"].unique().tolist() == ["A", "B", "C"]
    for row in ["Dissatisfied", "Neutral", "Satisfied"]:
        counts = [((survey["customer_type"] == c) & (survey["sat"] == row)).sum() for c in cats]
        nobs = [(survey["customer_type"] == c).sum() for c in cats]
        pairs = list(itertools.combinations(range(3), 2))
        raw = [proportions_ztest([counts[i], counts[j]], [nobs[i], nobs[j]])[1] for i, j in pairs]
        if correction == "bonferroni":
            adj = multipletests(raw, method="bonferroni")[1]
        elif correction == "fdr":
            adj = multipletests(raw, method="fdr_bh")[1]
        else:
            adj = raw
        pm = np.full((3, 3), np.nan)
        for (i, j), p in zip(pairs, adj):
            pm[i, j] = p
        values = [c / n for c, n in zip(counts, nobs)]
        got = [_cell(tab, "sat", row, c, "sig_letters") for c in cats]
        assert got == _expected_letters(values, pm, ["A", "B", "C"], 0.05)
    assert "".join(f["sig_letters"]) != ""  # the synthetic segments differ: some letters must show


@pytest.mark.parametrize("equal_var", [True, False])
def test_mean_letters_match_scipy_ttest(survey, equal_var):
    tab = banner(survey, ["score"], ["customer_type"], equal_var=equal_var, level=0.99, lower_level=0.95)
    cats = ["New", "Regular", "Loyal"]
    groups = [survey.loc[(survey["customer_type"] == c) & survey["score"].notna(), "score"] for c in cats]
    pm = np.full((3, 3), np.nan)
    for i, j in itertools.combinations(range(3), 2):
        pm[i, j] = stats.ttest_ind(groups[i], groups[j], equal_var=equal_var).pvalue
    means = [g.mean() for g in groups]
    upper = _expected_letters(means, pm, ["A", "B", "C"], 0.01)
    lower_all = _expected_letters(means, pm, ["a", "b", "c"], 0.05)
    expected = [u + "".join(x for x in lo if x.upper() not in u) for u, lo in zip(upper, lower_all)]
    assert [_cell(tab, "score", "Mean", c, "sig_letters") for c in cats] == expected
    assert any(expected)


def test_weighted_letters_use_effective_base(survey):
    tab = banner(survey, ["sat"], ["gender"], weights="w", level=0.5)  # loose level: letters show
    d = survey
    sh, ne = [], []
    for g in ["Female", "Male"]:
        sub = d[d["gender"] == g]
        sh.append(sub.loc[sub["sat"] == "Satisfied", "w"].sum() / sub["w"].sum())
        ne.append(sub["w"].sum() ** 2 / (sub["w"] ** 2).sum())
    pbar = (sh[0] * ne[0] + sh[1] * ne[1]) / (ne[0] + ne[1])
    z = (sh[0] - sh[1]) / np.sqrt(pbar * (1 - pbar) * (1 / ne[0] + 1 / ne[1]))
    p = 2 * stats.norm.sf(abs(z))
    hi, lo = ("Female", "Male") if sh[0] > sh[1] else ("Male", "Female")
    letter = {"Female": "A", "Male": "B"}
    assert _cell(tab, "sat", "Satisfied", hi, "sig_letters") == (letter[lo] if p < 0.5 else "")
    assert _cell(tab, "sat", "Satisfied", lo, "sig_letters") == ""


def test_low_base_columns_are_flagged_and_not_tested():
    d = pd.DataFrame({"grp": pd.Categorical(["a"] * 200 + ["b"] * 200 + ["c"] * 10),
                      "y": pd.Categorical(["yes"] * 190 + ["no"] * 10 + ["yes"] * 20 + ["no"] * 180 + ["yes"] * 10)})
    tab = banner(d, ["y"], ["grp"], min_base=30)
    f = tab.to_frame().query("banner == 'grp'")
    assert f.loc[f["column"] == "c", "low_base"].all() and not f.loc[f["column"] != "c", "low_base"].any()
    assert _cell(tab, "y", "yes", "a", "sig_letters") == "B"  # 95% vs 10%: A beats B; C (100%) not tested
    assert _cell(tab, "y", "yes", "c", "sig_letters") == ""
    wide = tab.wide()
    assert wide.loc[("y", "yes"), ("grp", "c (C)")] == "100%*"
    assert wide.loc[("y", "yes"), ("grp", "a (A)")] == "95% B"
    assert wide.loc[("Base", "Base (unweighted)"), ("grp", "c (C)")] == "10"


def test_show_escapes_labels_and_legend_explains():
    d = pd.DataFrame({"grp": pd.Categorical(["<b>x</b>", "y"] * 50), "q": pd.Categorical(["<script>", "ok"] * 50)})
    tab = banner(d, ["q"], ["grp"], correction="bonferroni", lower_level=0.9)
    html = tab.show().to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    legend = tab.legend()
    assert "Bonferroni" in legend and "below 30" in legend and "lowercase" in legend
    assert "significantly higher" in legend


def test_letters_and_errors():
    assert column_letters(28)[-3:] == ["Z", "AA", "AB"]
    d = pd.DataFrame({"g": pd.Categorical(["a", "b"] * 5), "m1": [0, 1, 2, 0, 1, 0, 1, 0, 1, 0.0]})
    with pytest.raises(ValueError, match="no column"):
        banner(d, ["nope"], ["g"])
    with pytest.raises(ValueError, match="correction"):
        banner(d, ["m1"], ["g"], correction="holm")
    with pytest.raises(ValueError, match=r"\['m1'\] must hold 0/1"):
        banner(d, [], ["g"], multi={"set": ["m1"]})
    with pytest.raises(ValueError, match="weight"):
        banner(d, ["m1"], ["g"], weights=np.r_[np.ones(9), np.nan])


def test_missing_banner_values_count_in_total_only():
    d = pd.DataFrame({"g": pd.Categorical(["a", "b", None] * 20), "y": [1.0, 2.0, 3.0] * 20})
    tab = banner(d, ["y"], ["g"])
    assert _cell(tab, "y", "Mean", "Total", "n") == 60
    assert _cell(tab, "y", "Mean", "a", "n") == 20
    assert _cell(tab, "y", "Mean", "Total") == pytest.approx(2.0)


# ─── design-based letters, the Wald F of means, overlapping columns (R survey 4.1.1) ──────────────────

DESIGN_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "survey_design"


@pytest.fixture(scope="module")
def clus1() -> pd.DataFrame:
    d = pd.read_csv(DESIGN_FIXTURES / "apiclus1_full.csv")
    return d.assign(a1=(d["awards"] == "Yes").astype(float), a2=(d["sch.wide"] == "Yes").astype(float))


def _pair(tab, stub, row, a, b):
    c = tab.comparisons
    return c[(c["stub"] == stub) & (c["row"] == row) & (c["column_a"] == a) & (c["column_b"] == b)].iloc[0]


def test_design_based_letters_use_the_linearised_variance_of_the_difference(clus1):
    """R: b <- svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE); svycontrast(b, c(E=1, H=0, M=-1)):
    17.42805556, SE 14.33739; svyby(~sch.wide, ~stype, ...) vcov: V(E:No) 0.000440339963156,
    V(M:No) 0.01199074240423, Cov -0.00098115734625. Tests on t with degf(dclus1) = 14."""
    design = survey_design(clus1, weights="pw", clusters="dnum", fpc="fpc")
    tab = banner(clus1, ["api00", "sch.wide"], ["stype"], design=design, min_base=0)
    em = _pair(tab, "api00", "Mean", "E", "M")
    assert (em["diff"], em["se"], em["df"]) == pytest.approx((17.42805556, 14.33739, 14), rel=1e-6)
    assert em["p"] == pytest.approx(2 * stats.t.sf(17.42805556 / 14.33739, 14), rel=1e-5)
    no = _pair(tab, "sch.wide", "No", "E", "M")
    se = 100 * np.sqrt(0.000440339963156 + 0.01199074240423 + 2 * 0.00098115734625)
    assert (no["diff"], no["se"]) == pytest.approx((100 * (0.0833333333333 - 0.32), se), rel=1e-9)
    assert tab.letter_test == "design" and "Design-based tests of each difference" in tab.legend()
    assert "raked weights as fixed" not in tab.legend()
    raked = rake(clus1, {"stype": {"E": 4421, "H": 755, "M": 1018}}, base_weights="pw")
    legend = banner(clus1, ["api00"], ["stype"], design=survey_design(clus1, clusters="dnum", raking=raked)).legend()
    assert "raked weights as fixed" in legend


def test_numeric_stubs_get_the_design_based_wald_f_of_r_regtermtest(clus1):
    """R: regTermTest(svyglm(api00 ~ stype, dclus1), ~stype): F = 1.27820074252 on 2 and 12 df, p =
    0.313879768243; on apistrat (strata, fpc), api00 ~ awards: F = 5.30660668393 on 1 and 196, p = 0.0222935238151."""
    tab = banner(clus1, ["api00"], ["stype"], weights="pw", clusters="dnum", fpc="fpc")
    row = tab.chi2.iloc[0]
    assert row["test"] == "Wald F"
    assert (row["statistic"], row["df1"], row["df2"], row["p"]) == pytest.approx(
        (1.27820074252, 2, 12, 0.313879768243), rel=1e-9)
    strat = pd.read_csv(DESIGN_FIXTURES / "apistrat.csv")
    row = banner(strat, ["api00"], ["awards"], design=survey_design(strat, weights="pw", strata="stype",
                                                                   fpc="fpc")).chi2.iloc[0]
    assert (row["statistic"], row["df1"], row["df2"], row["p"]) == pytest.approx(
        (5.30660668393, 1, 196, 0.0222935238151), rel=1e-9)


def test_overlapping_columns_under_a_design_match_r_svyratio(clus1):
    """A multi-response set as banner (awards = Yes, sch.wide = Yes: 130 schools in both). R:
    r <- svyratio(~I(api00*a1)+I(api00*a2), ~a1+a2, dclus1, covmat=TRUE); the contrast of the two own-domain
    ratios: 651.815384615 − 649.3625, SE 4.22059915579 (comp.imp: 1 − 0.83125, SE 0.0211011220238); on
    dstrat: 678.422405614 − 676.530443657, SE 5.85875448137."""
    design = survey_design(clus1, weights="pw", clusters="dnum", fpc="fpc")
    tab = banner(clus1, ["api00", "comp.imp"], ["set"], design=design, multi={"set": ["a1", "a2"]}, min_base=0)
    api = _pair(tab, "api00", "Mean", "a1", "a2")
    assert (api["diff"], api["se"]) == pytest.approx((651.815384615 - 649.3625, 4.22059915579), rel=1e-9)
    ci = _pair(tab, "comp.imp", "Yes", "a1", "a2")
    assert (ci["diff"], ci["se"]) == pytest.approx((100 * (1 - 0.83125), 100 * 0.0211011220238), rel=1e-9)
    assert _cell(tab, "api00", "Mean", "a1", "n") == 130 + 0 and _cell(tab, "api00", "Mean", "a2", "n") == 160
    assert tab.chi2.empty and "share respondents" in tab.legend()
    strat = pd.read_csv(DESIGN_FIXTURES / "apistrat.csv")
    strat = strat.assign(a1=(strat["awards"] == "Yes").astype(float), a2=(strat["sch.wide"] == "Yes").astype(float))
    tab = banner(strat, ["api00"], ["set"], design=survey_design(strat, weights="pw", strata="stype", fpc="fpc"),
                 multi={"set": ["a1", "a2"]}, min_base=0)
    row = _pair(tab, "api00", "Mean", "a1", "a2")
    assert (row["diff"], row["se"]) == pytest.approx((678.422405614 - 676.530443657, 5.85875448137), rel=1e-9)


def test_disjoint_multi_response_columns_test_like_a_single_choice_banner(survey):
    """Items nobody selects together: no overlap term, so letters and p-values equal the categorical banner's."""
    d = survey.assign(**{f"is_{c}": (survey["customer_type"] == c).astype(float) for c in ("New", "Regular", "Loyal")})
    items = ["is_New", "is_Regular", "is_Loyal"]
    for kw in ({}, {"weights": "w"}):
        single = banner(d, ["sat", "score"], ["customer_type"], **kw)
        multi = banner(d, ["sat", "score"], ["types"], multi={"types": items}, **kw)
        assert multi.comparisons["p"].to_numpy() == pytest.approx(single.comparisons["p"].to_numpy(), rel=1e-10)
        assert multi.to_frame().query("banner == 'types'")["sig_letters"].tolist() == \
            single.to_frame().query("banner == 'customer_type'")["sig_letters"].tolist()


def test_overlap_correction_removes_shared_respondents_and_keeps_the_test_size():
    """Two overlapping columns of the same respondents: identical columns are not tested; under the null,
    with 60% of respondents in both columns, the corrected pooled z-test rejects about 5% at the 5% level,
    where the test without the overlap term would be far too conservative."""
    rng = np.random.default_rng(5)
    n, reps = 400, 300
    rejected = naive = 0
    for _ in range(reps):
        both = rng.random(n) < 0.6
        a = (both | (rng.random(n) < 0.5)).astype(float)
        b = (both | (~a.astype(bool) & (rng.random(n) < 0.8))).astype(float)
        y = (rng.random(n) < 0.4).astype(float)
        d = pd.DataFrame({"a": a, "b": b, "y": pd.Categorical(np.where(y == 1, "yes", "no"))})
        tab = banner(d, ["y"], ["ab"], multi={"ab": ["a", "b"]}, min_base=0)
        rejected += _pair(tab, "y", "yes", "a", "b")["p"] < 0.05
        counts = [int(y[a == 1].sum()), int(y[b == 1].sum())]
        naive += proportions_ztest(counts, [int(a.sum()), int(b.sum())])[1] < 0.05  # as if independent
    assert 0.02 < rejected / reps < 0.09
    assert naive / reps < 0.01
    same = pd.DataFrame({"a": np.ones(50), "b": np.ones(50), "y": pd.Categorical(["x", "z"] * 25)})
    assert banner(same, ["y"], ["ab"], multi={"ab": ["a", "b"]}, min_base=0).comparisons.empty
