"""Segment profiles: values, differences from the total, and one test per variable.

Peers run side by side: scipy ``f_oneway`` and ``chi2_contingency`` (unweighted), statsmodels WLS F-test
(weighted means), svy 0.35 Rao–Scott F (weighted categorical, validated against R in test_banner.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from cfresearch.survey.segments import profile_table, segment_profiles


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    n = 900
    seg = rng.choice(["Budget", "Family", "Premium"], n, p=[0.4, 0.35, 0.25])
    return pd.DataFrame({
        "segment": pd.Categorical(seg, categories=["Budget", "Family", "Premium"]),
        "spend": rng.gamma(2, 20, n) + np.where(seg == "Premium", 15, 0),
        "csat": np.clip(np.round(rng.normal(3.6, 1, n)), 1, 5),
        "channel": pd.Categorical(np.where(rng.uniform(size=n) < np.where(seg == "Family", 0.6, 0.4), "Online",
                                           rng.choice(["In store", "Phone"], n))),
        "w": rng.uniform(0.5, 2.0, n),
    })


def test_unweighted_tests_match_scipy(data):
    prof = segment_profiles(data, "segment", ["spend", "channel"])
    spend = prof[prof["variable"] == "spend"]
    f, p = stats.f_oneway(*[g["spend"] for _, g in data.groupby("segment", observed=True)])
    assert spend["test"].unique().tolist() == ["ANOVA F"]
    assert (spend["statistic"].iloc[0], spend["p"].iloc[0]) == pytest.approx((f, p), rel=1e-10)
    x2, p2, dof, _ = stats.chi2_contingency(pd.crosstab(data["channel"], data["segment"]), correction=False)
    ch = prof[prof["variable"] == "channel"]
    assert (ch["statistic"].iloc[0], ch["df1"].iloc[0], ch["p"].iloc[0]) == pytest.approx((x2, dof, p2))
    assert ch["significant"].iloc[0] == (p2 < 0.05)
    # values and differences from the total
    prem = data[data["segment"] == "Premium"]
    row = spend.set_index("segment").loc["Premium"]
    assert row["estimate"] == pytest.approx(prem["spend"].mean())
    assert row["diff_from_total"] == pytest.approx(prem["spend"].mean() - data["spend"].mean())
    assert row["n"] == len(prem)
    online = ch[(ch["segment"] == "Family") & (ch["category"] == "Online")]["estimate"].item()
    fam = data[data["segment"] == "Family"]
    assert online == pytest.approx(100 * (fam["channel"] == "Online").mean())


def test_weighted_means_test_matches_statsmodels_wls(data):
    prof = segment_profiles(data, "segment", ["csat"], weights="w")
    fit = sm.WLS(data["csat"], pd.get_dummies(data["segment"], dtype=float), weights=data["w"]).fit()
    ft = fit.f_test(np.array([[1.0, -1.0, 0.0], [1.0, 0.0, -1.0]]))
    assert prof["statistic"].iloc[0] == pytest.approx(float(ft.fvalue), rel=1e-9)
    assert prof["p"].iloc[0] == pytest.approx(float(ft.pvalue), rel=1e-8)
    budget = data[data["segment"] == "Budget"]
    assert prof.set_index("segment").loc["Budget", "estimate"] == pytest.approx(np.average(budget["csat"],
                                                                                        weights=budget["w"]))


def test_weighted_categorical_is_rao_scott(data):
    prof = segment_profiles(data, "segment", ["channel"], weights="w")
    assert prof["test"].unique().tolist() == ["Rao-Scott F"]
    svy = pytest.importorskip("svy")
    pl = pytest.importorskip("polars")
    frame = pl.from_pandas(data[["w", "channel", "segment"]].astype({"channel": str, "segment": str}))
    st = svy.Sample(frame, svy.Design(wgt="w")).categorical.tabulate("channel", "segment").stats
    assert prof["statistic"].iloc[0] == pytest.approx(st.f.value, rel=1e-9)
    assert prof["p"].iloc[0] == pytest.approx(st.f.p_value, rel=1e-7)


def test_profile_table_layout(data):
    wide = profile_table(data, "segment", ["spend", "channel"], labels={"spend": "Monthly spend"})
    assert list(wide.columns) == ["Budget", "Family", "Premium", "Total", "p"]
    assert wide.index.tolist()[0] == ("Monthly spend", "Mean")
    assert ("channel", "% Online") in wide.index
    with pytest.raises(ValueError, match="also listed"):
        segment_profiles(data, "segment", ["segment"])
