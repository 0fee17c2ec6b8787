"""BG/NBD (profit/bgnbd.py) and the bundled CDNOW sample (profit/cdnow.py).

References (tests/fixtures/cdnow/README.md says where each number comes from): the CDNOW estimates and
log-likelihood of Fader, Hardie & Lee (2005); lifetimes 0.11.3's estimates and Hessian standard errors (its
Quickstart), and its penalised fits run side by side; CLVTools' log-scale standard errors; R BTYD's and
BTYDplus' values of P(X(t) = n), P(alive) and conditional expectations; Hardie's spreadsheet values of E[X(t)].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from cfresearch.profit.bgnbd import BetaGeoModel, _hessian, _loglik_and_gradient, _Rows, fit_bgnbd, simulate_bgnbd
from cfresearch.profit.cdnow import CALIBRATION_END, load_cdnow
from cfresearch.profit.fitting import purchase_data

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005, sec. 7
LIFETIMES = {"r": 0.242593, "alpha": 4.413532, "a": 0.792886, "b": 2.425752}  # lifetimes docs/Quickstart.md
LIFETIMES_SE = {"r": 0.012557, "alpha": 0.378221, "a": 0.185719, "b": 0.705345}
CLVTOOLS_LOG_SE = {"r": 0.05176, "alpha": 0.08570, "a": 0.23424, "b": 0.29078}  # CLVTools Extensions.md


@pytest.fixture(scope="module")
def model(cdnow):
    return fit_bgnbd(cdnow, unit="W")


def naive_loglik(params, x, t_x, T):
    """FHL 2005 eq. 6 as printed, without logs (fine for small x)."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    common = special.gamma(r + x) * alpha**r / special.gamma(r)
    first = special.beta(a, b + x) / special.beta(a, b) * common / (alpha + T) ** (r + x)
    second = np.where(x > 0, special.beta(a + 1, b + np.maximum(x, 1) - 1) / special.beta(a, b)
                      * common / (alpha + t_x) ** (r + x), 0.0)
    return np.log(first + second)


# ─── the data ─────────────────────────────────────────────────────────────────────────────────────────────


def test_cdnow_summary_is_the_calibration_summary_of_the_transactions(cdnow):
    tx = load_cdnow("transactions")
    assert len(tx) == 6919 and tx["customer_id"].nunique() == 2357
    assert tx.groupby("customer_id")["date"].min().max() <= pd.Timestamp("1997-03-31")  # first purchase in Q1 1997
    cal = tx[tx["date"] <= CALIBRATION_END]
    days = cal.groupby(["customer_id", "date"], as_index=False)["revenue"].sum()
    first = days.groupby("customer_id")["date"].transform("min")
    per = days.assign(first=first, repeat=days["date"] > first).groupby("customer_id").agg(
        n_days=("date", "size"), first=("first", "min"), last=("date", "max"))
    per["spend"] = days[days["date"] > first].groupby("customer_id")["revenue"].mean()
    s = cdnow.set_index("customer_id").join(per)
    assert (s["frequency"] == s["n_days"] - 1).all()
    assert np.allclose(s["recency"], ((s["last"] - s["first"]).dt.days / 7).round(2))
    assert np.allclose(s["T"], ((CALIBRATION_END - s["first"]).dt.days / 7).round(2))
    assert np.allclose(s["monetary_value"], s["spend"].fillna(0.0), atol=0.0051)
    assert s["T"].max() == 38.86 and s["frequency"].sum() == 2457 and (s["frequency"] > 0).sum() == 946


# ─── the published fit ────────────────────────────────────────────────────────────────────────────────────


def test_cdnow_estimates_match_the_paper_and_lifetimes(model):
    for name, value in PUBLISHED.items():
        assert model.params[name] == pytest.approx(value, abs=5e-4), name
    assert model.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    for name, value in LIFETIMES.items():
        assert model.params[name] == pytest.approx(value, rel=2e-6), name
    assert model.converged and model.n == 2357 and model.unit == "W"


def test_standard_errors_match_lifetimes_and_clvtools(model):
    for name, value in LIFETIMES_SE.items():
        assert model.se[name] == pytest.approx(value, rel=2e-4), name
    # CLVTools reports the standard errors of the log parameters (it fits on exact day counts: 0.5% apart)
    for name, value in CLVTOOLS_LOG_SE.items():
        assert model.se[name] / model.params[name] == pytest.approx(value, rel=5e-3), name
    frame = model.to_frame().set_index("param")
    log_se = frame["se"] / frame["estimate"]
    assert np.allclose(frame["ci_low"], frame["estimate"] * np.exp(-1.959964 * log_se))


def test_penalised_fit_matches_lifetimes_penalizer_coef(cdnow):
    # lifetimes 0.11.3 BetaGeoFitter(penalizer_coef=0.1 / 0.01) on the same data, run side by side (bench venv)
    expected = {0.1: (0.230947, 4.219288, 0.128655, 0.267127), 0.01: (0.24294, 4.432437, 0.285642, 0.658454)}
    for pen, values in expected.items():
        m = fit_bgnbd(cdnow, penalizer=pen)
        np.testing.assert_allclose(list(m.params.values()), values, rtol=5e-5)
        assert m.penalizer == pen and "L2 penalty" in m.summary()


# ─── predictions against published values ─────────────────────────────────────────────────────────────────


def test_conditional_expectation_and_p_alive_of_the_papers_example(model):
    # FHL 2005 (and lifetimes' test of Hardie's spreadsheet): customer 1, x = 2, t_x = 30.43, T = 38.86, 39 weeks
    assert model.conditional_expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=5e-4)
    assert BetaGeoModel.from_params(PUBLISHED).conditional_expected_purchases(39, 2, 30.43, 38.86) == \
        pytest.approx(1.226, abs=5e-4)
    assert model.probability_alive(0, 0.0, 38.86) == 1.0


def test_expected_purchases_match_hardies_spreadsheet(model):
    times = np.array([0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00])
    expected = np.array([0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576])
    np.testing.assert_allclose(model.expected_purchases(times), expected, atol=5e-4)


def test_purchase_count_distribution_matches_btyd():
    m = BetaGeoModel.from_params(PUBLISHED)
    assert m.probability_of_purchases(2, 10) == pytest.approx(1.07869e-07, rel=1e-5)
    assert m.probability_of_purchases(39, 0) == pytest.approx(0.5737864, abs=1e-7)
    pmf = [0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638, 0.0005517902, 0.0004361913,
           0.0003467171, 0.0002769613, 0.0002222260]
    np.testing.assert_allclose(m.probability_of_purchases(30, np.arange(11, 21)), pmf, rtol=1e-6)
    assert m.probability_of_purchases(39, np.arange(0, 400)).sum() == pytest.approx(1.0, abs=1e-9)


def test_p_alive_and_conditional_expectations_match_btydplus(cdnow, model):
    x, t_x, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    p_alive = model.probability_alive(x, t_x, T)
    assert p_alive.mean() == pytest.approx(0.8134, abs=5e-5)
    assert np.percentile(p_alive, 25) == pytest.approx(0.6604, abs=5e-5)
    assert np.median(p_alive) == 1.0
    ce = pd.Series(model.conditional_expected_purchases(39, x, t_x, T)).groupby(x.to_numpy()).mean()
    np.testing.assert_allclose(ce.loc[0:5].round(2), [0.23, 0.52, 1.04, 1.52, 2.16, 2.65])


# ─── the likelihood itself ────────────────────────────────────────────────────────────────────────────────


def test_log_likelihood_equals_the_naive_formula(cdnow, model):
    small = cdnow[cdnow["frequency"] <= 20]
    naive = naive_loglik(PUBLISHED, *(small[c].to_numpy(float) for c in ("frequency", "recency", "T")))
    ours = BetaGeoModel.from_params(PUBLISHED).log_likelihood_customers(small["frequency"], small["recency"],
                                                                        small["T"])
    np.testing.assert_allclose(ours, naive, rtol=1e-12)
    full = model.log_likelihood_customers(cdnow["frequency"], cdnow["recency"], cdnow["T"]).sum()
    assert full == pytest.approx(model.log_likelihood, rel=1e-13)


def test_gradient_and_hessian_against_finite_differences(cdnow):
    rows = _Rows(purchase_data(cdnow, where="test"))
    for theta in (np.array([0.243, 4.414, 0.793, 2.426]), np.array([1.5, 0.7, 3.0, 0.4])):
        _, grad = _loglik_and_gradient(theta, rows)
        h = 1e-6 * theta
        numeric = [(_loglik_and_gradient(theta + e, rows)[0] - _loglik_and_gradient(theta - e, rows)[0]) / (2 * h[i])
                   for i, e in enumerate(np.diag(h))]
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-4)
        hess = _hessian(theta, rows)
        numeric_h = np.column_stack([(_loglik_and_gradient(theta + e, rows)[1]
                                      - _loglik_and_gradient(theta - e, rows)[1]) / (2 * h[i])
                                     for i, e in enumerate(np.diag(h))])
        np.testing.assert_allclose(hess, numeric_h, rtol=1e-5, atol=1e-3)


def test_compressed_large_data_give_the_same_fit(cdnow, model):
    # 1,178,500 customers (CDNOW 500 times): fitted on its 1,900 distinct rows, same estimates, LL × 500
    big = pd.concat([cdnow] * 500, ignore_index=True)
    d = purchase_data(big, where="test")
    assert d.n == 1_178_500 and d.weight is not None and d.x.size < 2357
    m = fit_bgnbd(big)
    np.testing.assert_allclose(list(m.params.values()), list(model.params.values()), rtol=1e-6)
    assert m.log_likelihood == pytest.approx(500 * model.log_likelihood, rel=1e-12)
    np.testing.assert_allclose(np.array(list(m.se.values())) * np.sqrt(500), list(model.se.values()), rtol=1e-4)


def test_extreme_histories_stay_finite():
    m = BetaGeoModel.from_params(PUBLISHED)
    x = np.array([0, 1, 50, 5_000, 100_000])
    t_x = np.array([0.0, 1e-9, 1.0, 2.0, 9_999.0])
    T = np.array([1e-6, 1e6, 1e4, 1e4, 1e4])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        p = m.probability_alive(x, t_x, T)
        ce = m.conditional_expected_purchases(52, x, t_x, T)
        ll = m.log_likelihood_customers(x, t_x, T)
    assert np.all((p >= 0) & (p <= 1)) and p[3] == 0.0 and p[0] == 1.0
    assert np.all(np.isfinite(ce)) and np.all(ce >= 0) and ce[4] > 100
    assert np.all(np.isfinite(ll))
    assert np.isfinite(m.expected_purchases(1e7))


# ─── simulation and parameter recovery ────────────────────────────────────────────────────────────────────


def test_parameters_are_recovered_from_simulated_data():
    truth = {"r": 0.8, "alpha": 6.0, "a": 0.6, "b": 3.0}
    T = np.random.default_rng(11).uniform(26, 78, 100_000)
    sim = simulate_bgnbd(truth, T, seed=12)
    m = fit_bgnbd(sim)
    assert m.converged
    for name, value in truth.items():
        assert abs(m.params[name] - value) < 3 * m.se[name], (name, m.params[name], m.se[name])
    # P(alive) at the true parameters is calibrated against the simulated truth
    p = BetaGeoModel.from_params(truth).probability_alive(sim["frequency"], sim["recency"], sim["T"])
    assert p.mean() == pytest.approx(sim["alive"].mean(), abs=0.005)


def test_bad_summaries_are_refused():
    ok = pd.DataFrame({"frequency": [1, 0], "recency": [2.0, 0.0], "T": [5.0, 5.0]})
    with pytest.raises(ValueError, match="non-negative whole number"):
        fit_bgnbd(ok.assign(frequency=[1.5, 0]))
    with pytest.raises(ValueError, match="recency must be 0 when frequency is 0"):
        fit_bgnbd(ok.assign(recency=[2.0, 1.0]))
    with pytest.raises(ValueError, match="no column 'T'"):
        fit_bgnbd(ok.drop(columns="T"))
