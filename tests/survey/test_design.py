"""The survey design engine: one SurveyDesign built once, design-based variances for every design shape.

References computed with R 4.2.2, survey 4.1.1 (Debian r-cran-survey); commands in
tests/fixtures/survey_design/README.md. apistrat: stratified by school type, no clusters, with fpc.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cfresearch.survey import weighted_estimate
from cfresearch.survey.design import SurveyDesign, linearise_ratios, survey_design

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "survey_design"


@pytest.fixture(scope="module")
def apistrat() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "apistrat.csv")


@pytest.fixture(scope="module")
def dstrat(apistrat) -> SurveyDesign:
    """R: dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)"""
    return survey_design(apistrat, weights="pw", strata="stype", fpc="fpc")


def test_stratified_unclustered_design_matches_r(apistrat, dstrat):
    # svymean(~api00, dstrat): 662.2873632, SE 9.40894080278
    m = weighted_estimate(apistrat, "api00", design=dstrat)
    assert (m["estimate"][0], m["se"][0]) == pytest.approx((662.2873632, 9.40894080278), rel=1e-9)
    # svytotal(~enroll, dstrat): 3687177.53244, SE 114641.716101
    t = weighted_estimate(apistrat, "enroll", design=dstrat, kind="total")
    assert (t["estimate"][0], t["se"][0]) == pytest.approx((3687177.53244, 114641.716101), rel=1e-9)
    # svymean(~awards, dstrat): No 0.361063935949 (SE 0.0344059179973)
    p = weighted_estimate(apistrat, "awards", design=dstrat).set_index("category")
    assert (p.loc["No", "estimate"], p.loc["No", "se"], p.loc["Yes", "se"]) == pytest.approx(
        (0.361063935949, 0.0344059179973, 0.0344059179973), rel=1e-9)
    # svymean(~api00, svydesign(id=~1, weights=~pw, data=apistrat)): SE 9.58542887637 (no strata, no fpc)
    assert weighted_estimate(apistrat, "api00", weights="pw")["se"][0] == pytest.approx(9.58542887637, rel=1e-9)


def test_domains_and_their_covariance_match_r_svyby(apistrat, dstrat):
    # svyby(~api00, ~awards, dstrat, svymean, covmat=TRUE)
    lin = linearise_ratios(apistrat, "api00", dstrat, by="awards")
    assert lin.estimate == pytest.approx([633.734911659, 678.422405614], rel=1e-10)
    assert lin.vcov == pytest.approx(np.array([[235.155200887752, -0.291597659603],
                                               [-0.291597659603, 140.579698372424]]), rel=1e-9)
    # svyby(~awards, ~stype, dstrat, svymean): SE of the No share 0.0441120855012 (E), 0.0643950505091 (H),
    # 0.0695966026582 (M)
    by = weighted_estimate(apistrat, "awards", design=dstrat, by="stype", category="No")
    assert by["estimate"].tolist() == pytest.approx([0.27, 0.68, 0.52], abs=1e-12)
    assert by["se"].tolist() == pytest.approx([0.0441120855012, 0.0643950505091, 0.0695966026582], rel=1e-9)


def test_unclustered_moments_equal_the_row_score_computation(apistrat):
    """The per-stratum moment path (no n x J score matrix) equals treating every row as its own cluster."""
    d = apistrat.assign(row=np.arange(len(apistrat)), grp=np.where(apistrat["enroll"] > 500, "big", "small"))
    d.loc[::7, "api99"] = np.nan
    moments = survey_design(d, weights="pw", strata="stype", fpc="fpc")
    rows = survey_design(d, weights="pw", strata="stype", clusters="row", fpc="fpc")
    assert not moments.clustered and rows.clustered
    for var, kind in (("api99", "mean"), ("awards", "proportion"), ("enroll", "total"), ("awards", "total")):
        a = linearise_ratios(d, var, moments, kind=kind, by=["grp", "both"])
        b = linearise_ratios(d, var, rows, kind=kind, by=["grp", "both"])
        assert a.estimate == pytest.approx(b.estimate, rel=1e-12)
        assert a.vcov == pytest.approx(b.vcov, rel=1e-9, abs=1e-12 * np.abs(b.vcov).max())


def test_the_design_is_built_once_and_checked_against_the_data(apistrat, dstrat):
    assert dstrat.n == 200 and dstrat.n_strata == 3 and dstrat.df == 197 and not dstrat.clustered
    assert dstrat.describe() == "weights 'pw'; 3 strata (stype); fpc 'fpc'; design df 197"
    assert "effective base" in dstrat.summary() and "<table" in dstrat._repr_html_()
    frame = dstrat.to_frame().iloc[0]
    assert frame["effective_n"] == pytest.approx(apistrat["pw"].sum() ** 2 / (apistrat["pw"] ** 2).sum())
    with pytest.raises(ValueError, match="the design was built on other rows"):
        weighted_estimate(apistrat.iloc[:50], "api00", design=dstrat)
    with pytest.raises(ValueError, match="give design= or weights=, not both"):
        weighted_estimate(apistrat, "api00", design=dstrat, weights="pw")
    with pytest.raises(ValueError, match="design must be a SurveyDesign"):
        weighted_estimate(apistrat, "api00", design={"weights": "pw"})
    with pytest.raises(ValueError, match="survey_design: no column 'stratum' in the data"):
        survey_design(apistrat, strata="stratum")
    with pytest.raises(ValueError, match="mixes sampling fractions"):
        survey_design(apistrat.assign(f=np.where(apistrat["stype"] == "E", 0.5, 100.0)), strata="stype", fpc="f")
    with pytest.warns(RuntimeWarning, match="1 strata have a single PSU"):
        survey_design(apistrat.assign(s=np.r_[[0], np.ones(199)]), strata="s", clusters="snum")
