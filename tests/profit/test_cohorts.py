"""Cohort triangle and the shifted-beta-geometric (sBG) retention model.

Published reference: Fader & Hardie (2007), "How to project customer retention", Journal of Interactive
Marketing 21(1): 76-90, the two cohorts of 1000 customers from Berry & Linoff: "regular" (1000, 631, 468, 382,
326, 289, 262, 241) with ML estimates α = 0.704, β = 1.182, and "high end" (1000, 869, 743, 653, 593, 551, 517,
491) with α = 0.668, β = 3.806. The same counts are in pymc-marketing's data/sbg_paper.csv (customers with their
churn period, Apache-2.0) and the high-end estimates in the test of jdmaturen/shifted_beta_geometric_py. The
log-likelihood is checked against P(T = t) computed by numerical integration over θ ~ Beta(α, β), independent
of the closed form. The triangle is checked against counts worked out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from cfresearch.profit.cohorts import _sbg_loglik, cohort_retention, fit_sbg

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def tx() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "c", "c", "d", "e", "e"],
        "date": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-03-09", "2024-01-20", "2024-02-02",
                                "2024-02-10", "2024-03-01", "2024-03-15", "2024-01-05", "2024-04-02"]),
        "revenue": [10.0, 5, 8, 7, 9, 4, 6, 3, 2, 11]})


def test_triangle_by_hand():
    res = cohort_retention(tx(), end="2024-03-31")
    # January cohort a, b, e (3): February b; March a. February cohort c: March c. March cohort d.
    # e's April purchase is after the end (left out and counted).
    assert res.sizes.tolist() == [3, 1, 1]
    assert res.excluded == 1
    act = res.active
    assert act.iloc[0].tolist() == [3, 1, 1]
    assert act.iloc[1, :2].tolist() == [1, 1] and act.iloc[1, 2] is pd.NA
    assert res.retention.iloc[0].tolist() == pytest.approx([1.0, 1 / 3, 1 / 3])
    assert res.retention.iloc[1].tolist()[:2] == [1.0, 1.0] and np.isnan(res.retention.iloc[1, 2])
    # unobserved is NaN, never 0
    assert res.retention.isna().sum().sum() == 3
    curve = res.curve().set_index("age")
    # age 1: (1 + 1) active of 3 + 1 observed customers; age 2: 1 of 3 (January only)
    assert curve.loc[1, "retention"] == pytest.approx(0.5) and curve.loc[1, "customers"] == 4
    assert curve.loc[2, "retention"] == pytest.approx(1 / 3) and curve.loc[2, "n_cohorts"] == 1


def test_partial_last_period_is_not_observed_unless_asked():
    data = tx()
    res = cohort_retention(data, end="2024-03-20")
    # March is half observed: it is blank for the January and February cohorts, age 0 is kept for March's
    assert str(res.last_observed) == "2024-02"
    assert list(res.retention.columns) == [0, 1]  # no cohort has an observed age 2
    assert res.retention.iloc[0, 1] == pytest.approx(1 / 3) and np.isnan(res.retention.iloc[1, 1])
    assert res.retention.iloc[2, 0] == 1.0
    partial = cohort_retention(data, end="2024-03-20", include_partial=True)
    assert partial.retention.iloc[0, 2] == pytest.approx(1 / 3)
    default = cohort_retention(data.iloc[:-1])  # data to 15 March: March is partial
    assert str(default.last_observed) == "2024-02"


def test_long_table_refunds_and_weekly_periods():
    data = tx()
    data.loc[len(data)] = ["b", pd.Timestamp("2024-03-05"), -7.0]  # a refund is not a purchase
    res = cohort_retention(data, end="2024-03-31")
    long = res.to_frame()
    assert list(long.columns) == ["cohort", "age", "size", "active", "retention", "observed"]
    assert long["observed"].sum() == 6 and long.loc[~long["observed"], "active"].isna().all()
    jan = long[long["cohort"].astype(str) == "2024-01"]
    assert jan["active"].tolist() == [3, 1, 1]
    weekly = cohort_retention(data, period="W", end="2024-03-31")
    assert weekly.sizes.sum() == 5 and weekly.period == "W"
    assert "monthly cohorts" in res.summary() and "not churn" in res.summary()
    assert "<table" in res._repr_html_()


@pytest.mark.parametrize("survivors, alpha, beta", [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)])
def test_sbg_reproduces_fader_hardie(survivors, alpha, beta):
    m = fit_sbg(survivors, unit="year")
    assert m.converged
    assert m.params["alpha"] == pytest.approx(alpha, abs=5e-4)
    assert m.params["beta"] == pytest.approx(beta, abs=5e-4)
    assert all(np.isfinite(v) and v > 0 for v in m.se.values())
    # retention rate r(t) = S(t)/S(t−1) rises with t
    t = np.arange(1, 13)
    r = m.retention_rate(t)
    assert r == pytest.approx(m.survival(t) / m.survival(t - 1))
    assert np.all(np.diff(r) > 0)
    proj = m.projection(12, start=1000)
    assert proj["survivors"].iloc[0] == 1000 and proj["survivors"].is_monotonic_decreasing


def test_sbg_pmf_and_log_likelihood_by_numerical_integration():
    m = fit_sbg(REGULAR)
    a, b = m.params["alpha"], m.params["beta"]

    def pmf(t):  # P(T = t) = ∫ θ (1 − θ)^(t−1) Beta(θ; a, b) dθ
        return integrate.quad(lambda th: th * (1 - th) ** (t - 1) * stats.beta.pdf(th, a, b), 0, 1,
                              limit=200)[0]

    p = np.array([pmf(t) for t in range(1, 8)])
    assert m.churn_probability(np.arange(1, 8)) == pytest.approx(p, rel=1e-6)
    lost = -np.diff(REGULAR)
    ll = float(lost @ np.log(p) + REGULAR[-1] * np.log(1 - p.sum()))
    assert m.log_likelihood == pytest.approx(ll, rel=1e-6)
    assert m.log_likelihood == pytest.approx(-1680.27, abs=0.01)


def test_sbg_several_cohorts_share_the_parameters():
    rows = np.array([REGULAR, REGULAR[:5] + [np.nan] * 3, [500, 320, 230] + [np.nan] * 5], dtype=float)
    loglik = _sbg_loglik(rows)
    theta = np.array([0.8, 1.3])
    one = [_sbg_loglik(np.array(r[~np.isnan(r)])[None, :])(theta)[0] for r in rows]
    value, grad = loglik(theta)
    assert value == pytest.approx(sum(one), rel=1e-12)
    # the analytic gradient agrees with central differences
    h = 1e-6
    num = [(loglik(theta + e)[0] - loglik(theta - e)[0]) / (2 * h) for e in np.eye(2) * h]
    assert grad == pytest.approx(num, rel=1e-5)
    m = fit_sbg(pd.DataFrame(rows))
    assert m.n == 2500 and m.converged


def test_sbg_rejects_non_survival_data():
    with pytest.raises(ValueError, match="must not increase"):
        fit_sbg([100, 80, 90])
    with pytest.raises(ValueError, match="NaN may only close"):
        fit_sbg([100, np.nan, 50])
    with pytest.raises(ValueError, match="at least two"):
        fit_sbg([100])
