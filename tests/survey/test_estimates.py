"""Design-based means, proportions, totals and domain differences with Taylor-linearised SEs.

Published references: the Stata manual ([SVY] svy estimation, ``svy: mean zinc`` on NHANES II); R ``survey``
4.5 on apiclus1 as exported by Survey.jl's ``test/r_reference`` (est_basic.csv, proportions.csv, domain.csv,
confint.csv, ttest.csv, poststratify_results.csv) and R's ``rake`` example. Peer libraries run side by side:
svy 0.35 (Taylor means/proportions, raked designs) and samplics 0.6 (fixed-weight Taylor).
Fixture sources: tests/fixtures/survey_design/README.md.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cfresearch.survey.estimates import weighted_estimate, weighted_mean_diff_test
from cfresearch.survey.weighting import post_stratify, rake

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "survey_design"
POP_TYPES = {"E": 4421, "H": 755, "M": 1018}
POP_SCHWIDE = {"No": 1072, "Yes": 5122}
CLUS1 = {"weights": "pw", "clusters": "dnum"}  # svydesign(id=~dnum, weights=~pw, data=apiclus1)


@pytest.fixture(scope="module")
def api() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "apiclus1.csv")


@pytest.fixture(scope="module")
def nhanes() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "nhanes2.csv")


def _svy_sample(frame, **design):
    import polars as pl
    import svy

    return svy.Sample(pl.from_pandas(frame), svy.Design(**design))


# ─── Stata: NHANES II ────────────────────────────────────────────────────────────────────────────────


def test_nhanes_zinc_matches_stata(nhanes):
    # Stata manual, [SVY] svy estimation: svyset psuid [pweight=finalwgt], strata(stratid); svy: mean zinc
    # -> Mean 87.18207, Linearized Std. Err. .4944827 (9,189 obs, 31 strata, 62 PSUs, design df 31).
    res = weighted_estimate(nhanes, "zinc", weights="finalwgt", strata="stratid", clusters="psuid", df="design")
    row = res.iloc[0]
    assert row["estimate"] == pytest.approx(87.182067, abs=5e-7)
    assert row["se"] == pytest.approx(0.494483, abs=5e-7)
    assert row["n"] == 9189  # missing zinc: out of the base, still in the design (Stata's df stays 31)
    half = stats.t.ppf(0.975, 31) * row["se"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((row["estimate"] - half, row["estimate"] + half))


def test_nhanes_proportions_and_domains_match_svy(nhanes):
    design = {"weights": "finalwgt", "strata": "stratid", "clusters": "psuid"}
    ours = weighted_estimate(nhanes, "race", kind="proportion", **design)
    sample = _svy_sample(nhanes, stratum="stratid", psu="psuid", wgt="finalwgt")
    peer = sample.estimation.prop("race", deff="wr").to_polars().to_pandas()
    assert ours["estimate"].to_numpy() == pytest.approx(peer["est"].to_numpy(), rel=1e-10)
    assert ours["se"].to_numpy() == pytest.approx(peer["se"].to_numpy(), rel=1e-8)
    assert ours["deff"].to_numpy() == pytest.approx(peer["deff"].to_numpy(), rel=1e-8)
    # the binary case also against samplics' fixed-weight Taylor proportion
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam
        te = TaylorEstimator(PopParam.prop)
        te.estimate(y=nhanes["highbp"].to_numpy(), samp_weight=nhanes["finalwgt"].to_numpy(),
                    stratum=nhanes["stratid"].to_numpy(), psu=nhanes["psuid"].to_numpy())
    hb = weighted_estimate(nhanes, "highbp", kind="proportion", **design).set_index("category")
    assert hb.loc[1, "estimate"] == pytest.approx(te.point_est[1], rel=1e-10)
    assert hb.loc[1, "se"] == pytest.approx(te.stderror[1], rel=1e-8)
    # domain means (svy: mean zinc, over(region) / svyby): same estimates and SEs as svy
    dom = weighted_estimate(nhanes, "zinc", by="region", **design)
    peer = sample.estimation.mean("zinc", by="region", drop_nulls=True, deff="wr").to_polars().to_pandas()
    assert dom["estimate"].to_numpy() == pytest.approx(peer["est"].to_numpy(), rel=1e-10)
    assert dom["se"].to_numpy() == pytest.approx(peer["se"].to_numpy(), rel=1e-8)


# ─── R survey: apiclus1 ───────────────────────────────────────────────────────────────────────────────


def test_apiclus1_means_and_totals_match_r(api):
    # R est_basic.csv: clus1_w api00 mean 644.169398907104 (SE 23.7790107208869), total 3989985.46570206
    # (SE 907398.705597438), enroll mean SE 45.6458729407598; clus1_fpc (fpc=~fpc) mean SE 23.5422406937812.
    m = weighted_estimate(api, "api00", **CLUS1).iloc[0]
    assert (m["estimate"], m["se"]) == pytest.approx((644.169398907104, 23.7790107208869), rel=1e-12)
    t = weighted_estimate(api, "api00", kind="total", **CLUS1).iloc[0]
    assert (t["estimate"], t["se"]) == pytest.approx((3989985.46570206, 907398.705597438), rel=1e-10)
    e = weighted_estimate(api, "enroll", **CLUS1).iloc[0]
    assert e["se"] == pytest.approx(45.6458729407598, rel=1e-12)
    f = weighted_estimate(api, "api00", fpc="fpc", **CLUS1).iloc[0]
    assert f["se"] == pytest.approx(23.5422406937812, rel=1e-12)
    # R confint.csv, clus1_w: normal 597.563394306174 690.775403508034;
    # t with df = degf = 14: 593.168493261091 695.170304553117
    assert (m["ci_low"], m["ci_high"]) == pytest.approx((597.563394306174, 690.775403508034), rel=1e-12)
    tci = weighted_estimate(api, "api00", df="design", **CLUS1).iloc[0]
    assert (tci["ci_low"], tci["ci_high"]) == pytest.approx((593.168493261091, 695.170304553117), rel=1e-12)


def test_apiclus1_proportions_and_category_totals_match_r(api):
    # R proportions.csv, clus1_w: stype E/H/M 0.78688524590164 (SE 0.0468025716133837), 0.0765027322404372
    # (0.0270798559291773), 0.136612021857924 (0.0299472342965665); awards totals No 1793.89080429077
    # (SE 467.07453351209), Yes 4400.1095199585 (1058.80601483562); clus1_fpc stype E SE 0.0463365536499119.
    p = weighted_estimate(api, "stype", **CLUS1)
    assert p["category"].tolist() == ["E", "H", "M"]
    assert p["estimate"].to_numpy() == pytest.approx([0.78688524590164, 0.0765027322404372, 0.136612021857924],
                                                     rel=1e-12)
    assert p["se"].to_numpy() == pytest.approx([0.0468025716133837, 0.0270798559291773, 0.0299472342965665],
                                               rel=1e-10)
    tot = weighted_estimate(api, "awards", kind="total", **CLUS1)
    assert tot["estimate"].to_numpy() == pytest.approx([1793.89080429077, 4400.1095199585], rel=1e-8)
    assert tot["se"].to_numpy() == pytest.approx([467.07453351209, 1058.80601483562], rel=1e-8)
    one = weighted_estimate(api, "stype", category="E", fpc="fpc", **CLUS1)
    assert len(one) == 1 and one["se"].iloc[0] == pytest.approx(0.0463365536499119, rel=1e-10)


def test_apiclus1_domains_match_r_svyby(api):
    # R domain.csv: svyby(~api00, ~cname, dclus1, svymean) — Los Angeles 647.266666666667 (SE 17.4230693023744),
    # San Diego 659.436363636363 (2.31989997506545), Santa Clara 732.076923076923 (15.9315559043315);
    # svytotal by cname, Los Angeles SE 290601.912061673; fpc design: Los Angeles mean SE 17.2495860301136.
    dom = weighted_estimate(api, "api00", by="cname", **CLUS1).set_index("cname")
    assert dom.loc[["Los Angeles", "San Diego", "Santa Clara"], "estimate"].to_numpy() == pytest.approx(
        [647.266666666667, 659.436363636363, 732.076923076923], rel=1e-12)
    assert dom.loc[["Los Angeles", "San Diego", "Santa Clara"], "se"].to_numpy() == pytest.approx(
        [17.4230693023744, 2.31989997506545, 15.9315559043315], rel=1e-9)
    assert dom.loc["Fresno", "se"] == pytest.approx(0.0, abs=1e-9)  # one district = one PSU in the domain
    tot = weighted_estimate(api, "api00", by="cname", kind="total", **CLUS1).set_index("cname")
    assert tot.loc["Los Angeles", "se"] == pytest.approx(290601.912061673, rel=1e-10)
    fpc = weighted_estimate(api, "api00", by="cname", fpc="fpc", **CLUS1).set_index("cname")
    assert fpc.loc["Los Angeles", "se"] == pytest.approx(17.2495860301136, rel=1e-10)
    # domain estimation is not subsetting: the subset design loses the other PSUs
    naive = weighted_estimate(api[api["cname"] == "Los Angeles"], "api00", **CLUS1)["se"].iloc[0]
    assert naive != pytest.approx(dom.loc["Los Angeles", "se"], rel=1e-3)


def test_domain_difference_matches_r_svyttest(api):
    # R ttest.csv: svyttest(api00 ~ comp.imp, dclus1) -> estimate 15.506015037594, t 0.915856254417054,
    # df 13, p 0.376418852012408, CI -21.0703676778145 52.0823977530025.
    res = weighted_mean_diff_test(api, "api00", by="comp.imp", df=13, **CLUS1).iloc[0]
    assert (res["group_a"], res["group_b"]) == ("No", "Yes")
    assert res["diff"] == pytest.approx(15.506015037594, rel=1e-12)
    assert res["statistic"] == pytest.approx(0.915856254417054, rel=1e-10)
    assert res["p"] == pytest.approx(0.376418852012408, rel=1e-9)
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((-21.0703676778145, 52.0823977530025), rel=1e-9)
    swapped = weighted_mean_diff_test(api, "api00", by="comp.imp", groups=("Yes", "No"), **CLUS1).iloc[0]
    assert swapped["diff"] == pytest.approx(-res["diff"]) and swapped["se"] == pytest.approx(res["se"])
    # a proportion difference: category of a categorical
    prop = weighted_mean_diff_test(api, "awards", by="sch.wide", category="Yes", **CLUS1).iloc[0]
    assert prop["estimate_a"] == pytest.approx(0.0)  # no awards without meeting the school-wide target
    assert 0 < prop["se"] < 1


# ─── raking and post-stratification in the SE ────────────────────────────────────────────────────────


def test_raked_se_matches_r_and_fixed_weights_match_samplics(api):
    controls = {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}
    r_rk = rake(api, controls, base_weights="pw", max_iter=4, on_nonconvergence="ignore")  # R's stopping rule
    # R rake example: svymean(~api00, rclus1) -> mean 641.23, SE 23.942 (with the weights of
    # svydesign(id=~dnum, weights=~pw): the number reproduces without the fpc; with fpc=~fpc see svy below).
    raked = weighted_estimate(api, "api00", clusters="dnum", raking=r_rk).iloc[0]
    assert raked["estimate"] == pytest.approx(641.230246862208, rel=1e-12)  # R rake_results.csv
    assert raked["se"] == pytest.approx(23.942, abs=5e-4)
    # samplics treats the raked weights as fixed: 24.046 (TaylorEstimator, same weights and PSUs)
    fixed = weighted_estimate(api, "api00", weights=r_rk.weights, clusters="dnum").iloc[0]
    assert fixed["se"] == pytest.approx(24.046, abs=5e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam
        te = TaylorEstimator(PopParam.mean)
        te.estimate(y=api["api00"].to_numpy(dtype=float), samp_weight=r_rk.weights.to_numpy(),
                    psu=api["dnum"].to_numpy())
    assert fixed["se"] == pytest.approx(float(te.stderror), rel=1e-10)
    assert raked["se"] < fixed["se"]
    # svy 0.35 (calibration-residual SEs for raked designs) with the fpc design, fully converged weights
    rk = rake(api, controls, base_weights="pw", tol=1e-12)
    ours = weighted_estimate(api, "api00", clusters="dnum", fpc="fpc", raking=rk).iloc[0]
    sample = _svy_sample(api, psu="dnum", wgt="pw", pop_size="fpc")
    peer = sample.weighting.rake(controls=controls, tol=1e-12, max_iter=1000).estimation.mean("api00")
    peer = peer.to_polars().to_pandas().iloc[0]
    assert ours["estimate"] == pytest.approx(peer["est"], rel=1e-10)
    assert ours["se"] == pytest.approx(peer["se"], rel=1e-6)


def test_post_stratified_se_matches_r(api):
    # R poststratify_results.csv: svymean(~api00, postStratify(dclus1_w, ~stype, pop.types)) ->
    # 642.310788211584, linearised SE 24.1610605814973.
    ps = post_stratify(api, {"stype": POP_TYPES}, base_weights="pw")
    res = weighted_estimate(api, "api00", clusters="dnum", raking=ps).iloc[0]
    assert res["estimate"] == pytest.approx(642.310788211584, rel=1e-12)
    assert res["se"] == pytest.approx(24.1610605814973, rel=1e-10)
    # a post-stratification variable is estimated without error: its shares are fixed by the targets
    shares = weighted_estimate(api, "stype", clusters="dnum", raking=ps)
    assert shares["se"].to_numpy() == pytest.approx([0, 0, 0], abs=1e-12)


# ─── behaviour and errors ────────────────────────────────────────────────────────────────────────────


def test_srs_reduces_to_textbook_formulas():
    rng = np.random.default_rng(3)
    y = rng.normal(10, 2, 500)
    y[:20] = np.nan
    df = pd.DataFrame({"y": y, "g": np.repeat(["a", "b"], 250)})
    res = weighted_estimate(df, "y").iloc[0]
    v = y[np.isfinite(y)]
    n_all = len(y)  # missing rows stay in the design: the n/(n-1) factor uses all 500 PSUs
    se = np.sqrt(((v - v.mean()) ** 2).sum() / len(v) ** 2 * n_all / (n_all - 1))
    assert res["estimate"] == pytest.approx(v.mean()) and res["se"] == pytest.approx(se, rel=1e-12)
    assert res["n"] == 480 and res["sum_w"] == 480 and res["effective_n"] == pytest.approx(480)
    assert res["deff"] == pytest.approx((len(v) - 1) / len(v) * n_all / (n_all - 1), rel=1e-12)


def test_output_columns_and_dtypes(api):
    api2 = api.assign(stype=pd.Categorical(api["stype"], categories=["H", "M", "E"], ordered=True))
    res = weighted_estimate(api2, "stype", by="sch.wide", **CLUS1)
    assert list(res.columns) == ["sch.wide", "category", "estimate", "se", "ci_low", "ci_high", "n", "sum_w",
                                 "effective_n", "deff"]
    assert res["category"].tolist()[:3] == ["H", "M", "E"]  # category order kept
    assert res.groupby("sch.wide")["estimate"].sum().to_numpy() == pytest.approx([1, 1])


def test_errors(api):
    with pytest.raises(ValueError, match="weighted_estimate: no column 'nope' in the data"):
        weighted_estimate(api, "nope")
    with pytest.raises(ValueError, match="kind must be one of"):
        weighted_estimate(api, "api00", kind="median")
    with pytest.raises(ValueError, match=r"kind='mean': column 'stype'"):
        weighted_estimate(api, "stype", kind="mean")
    with pytest.raises(ValueError, match=r"no weight column .pw2."):
        weighted_estimate(api, "api00", weights="pw2")
    with pytest.raises(ValueError, match="category 'Z' does not occur"):
        weighted_estimate(api, "stype", category="Z")
    with pytest.raises(ValueError, match="missing, infinite or negative"):
        weighted_estimate(api.assign(pw=api["pw"].where(api.index > 0)), "api00", weights="pw")
    rk = rake(api, {"stype": POP_TYPES}, base_weights="pw")
    with pytest.raises(ValueError, match="different rows"):
        weighted_estimate(api.iloc[:50], "api00", raking=rk)
    with pytest.raises(ValueError, match="pass groups"):
        weighted_mean_diff_test(api, "api00", by="stype", **CLUS1)
    with pytest.warns(RuntimeWarning, match="single PSU"):
        weighted_estimate(api, "api00", strata="cname", clusters="dnum", weights="pw")
