"""The Gamma-Gamma spend model (profit/gammagamma.py) against Fader & Hardie's (2013) published CDNOW estimates,
lifetimes' Quickstart and a lifetimes 0.11.3 run on the same data (fit, standard errors, L2 penalty, conditional
expectations, frequency-spend correlation), and parameter recovery on data simulated from the model.
Sources and the peer script: tests/fixtures/gammagamma/README.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cfresearch.profit.cdnow import CALIBRATION_END, load_cdnow
from cfresearch.profit.gammagamma import (
    GammaGammaModel,
    fit_gamma_gamma,
    frequency_spend_correlation,
    gamma_gamma_log_likelihood,
)

# lifetimes 0.11.3 (see the README): GammaGammaFitter().fit on the 946 repeat buyers of the bundled summary
LT_FIT = {"p": 6.248802496075072, "q": 3.744588460923138, "gamma": 15.44774806492988}
LT_SE = {"p": 1.1896870480837103, "q": 0.290165617449534, "gamma": 4.1599939284259255}
LT_LL = -4055.9232435028675
LT_PENALISED = {0.001: (7.9120249921864, 2.4468193618903253, 7.209564268550714),
                0.01: (4.109250257153278, 0.9683854158553947, 3.7808014233041125)}
LT_CORR = 0.11388391048600448
# conditional_expected_average_profit of customers 1-20 at the published p, q, gamma = 6.25, 3.74, 15.44
LT_COND_20 = [24.663713910761157, 18.91685205784205, 35.21897810218978, 35.21897810218978, 35.21897810218978,
              71.46967089696707, 18.91685205784205, 35.21897810218978, 27.288385826771655, 35.21897810218978,
              29.905854663136218, 35.21897810218978, 35.21897810218978, 35.21897810218978, 35.21897810218978,
              35.21897810218978, 24.701103617412628, 17.6793659621802, 26.37273150302466, 35.21897810218978]
# lifetimes' Quickstart (docs/Quickstart.md): the fitted model's conditional expected average profit
QUICKSTART_COND_10 = [24.658619, 18.911489, 35.170981, 35.170981, 35.170981, 71.462843, 18.911489, 35.170981,
                      27.282408, 35.170981]
QUICKSTART_COND_MEAN, QUICKSTART_MEAN_ZBAR = 35.2529588256, 35.078551797


@pytest.fixture(scope="module")
def summary():
    return load_cdnow()


@pytest.fixture(scope="module")
def fitted(summary):
    return fit_gamma_gamma(summary)


@pytest.fixture(scope="module")
def exact_means():
    """The mean value of each customer's repeat purchase days in the calibration period, unrounded."""
    tx = load_cdnow("transactions")
    days = tx.groupby(["customer_id", "date"], as_index=False)["revenue"].sum()
    days = days[days["date"] <= CALIBRATION_END]
    first = days.groupby("customer_id")["date"].transform("min")
    rep = days[days["date"] > first].groupby("customer_id")["revenue"].agg(["size", "mean"])
    return pd.DataFrame({"customer_id": rep.index, "frequency": rep["size"].to_numpy(),
                         "monetary_value": rep["mean"].to_numpy()})


def test_fader_hardie_2013_estimates_and_clvtools_log_likelihood(exact_means, summary):
    by_id = summary.set_index("customer_id")
    assert len(exact_means) == 946
    np.testing.assert_array_equal(exact_means["frequency"], by_id.loc[exact_means["customer_id"], "frequency"])
    np.testing.assert_allclose(exact_means["monetary_value"], by_id.loc[exact_means["customer_id"], "monetary_value"],
                               atol=0.0051)  # the summary file rounds to cents
    m = fit_gamma_gamma(exact_means)
    assert m.converged and m.n == 946
    assert {k: round(v, 2) for k, v in m.params.items()} == {"p": 6.25, "q": 3.74, "gamma": 15.44}
    assert m.log_likelihood == pytest.approx(-4055.9177, abs=5e-5)  # CLVTools test_correctness_gg.R


def test_fit_matches_lifetimes_on_the_bundled_summary(fitted):
    assert fitted.converged and fitted.n == 946 and fitted.excluded == 0
    for k, v in LT_FIT.items():
        assert fitted.params[k] == pytest.approx(v, rel=2e-6)
        assert fitted.se[k] == pytest.approx(LT_SE[k], rel=1e-4)
    assert fitted.log_likelihood == pytest.approx(LT_LL, abs=1e-6)
    assert gamma_gamma_log_likelihood(fitted.params, [2, 1, 0], [22.35, 11.77, 0.0]) == pytest.approx(
        gamma_gamma_log_likelihood(LT_FIT, [2, 1], [22.35, 11.77]), rel=1e-6)
    frame = fitted.to_frame()
    assert list(frame["param"]) == ["p", "q", "gamma"]
    assert (frame["ci_low"] < frame["estimate"]).all() and (frame["estimate"] < frame["ci_high"]).all()


def test_lifetimes_quickstart_values(fitted, summary):
    rounded = {k: round(v, 2) for k, v in fitted.params.items()}
    assert rounded == {"p": 6.25, "q": 3.74, "gamma": 15.45}
    cond = fitted.conditional_expected_value(summary["frequency"], summary["monetary_value"])
    np.testing.assert_allclose(cond[:10], QUICKSTART_COND_10, rtol=2e-6)
    assert cond.mean() == pytest.approx(QUICKSTART_COND_MEAN, rel=2e-6)
    assert summary.loc[summary["frequency"] > 0, "monetary_value"].mean() == pytest.approx(QUICKSTART_MEAN_ZBAR)


@pytest.mark.parametrize("penalizer", [0.001, 0.01])
def test_l2_penalty_matches_lifetimes(summary, penalizer):
    m = fit_gamma_gamma(summary, penalizer=penalizer)
    np.testing.assert_allclose([m.params[k] for k in ("p", "q", "gamma")], LT_PENALISED[penalizer], rtol=1e-6)
    assert m.penalizer == penalizer and "L2 penalty" in m.summary()


def test_conditional_expected_value_at_the_published_parameters(summary):
    m = GammaGammaModel.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})
    out = m.conditional_expected_value(summary["frequency"][:20], summary["monetary_value"][:20])
    np.testing.assert_allclose(out, LT_COND_20, rtol=1e-12)
    assert m.mean_value() == pytest.approx(6.25 * 15.44 / 2.74)
    # no repeat purchases: the population mean whatever the recorded value; many: close to the customer's own
    assert m.conditional_expected_value([0], [500.0])[0] == pytest.approx(m.mean_value())
    assert m.conditional_expected_value([10_000], [50.0])[0] == pytest.approx(50.0, rel=1e-3)


def test_frequency_spend_correlation_is_reported(fitted, summary):
    corr = fitted.frequency_spend
    assert corr.estimate == pytest.approx(LT_CORR, rel=1e-9) and corr.n == 946
    rep = summary[summary["frequency"] > 0]
    assert corr.p == pytest.approx(stats.pearsonr(rep["frequency"], rep["monetary_value"])[1], rel=1e-9)
    assert corr.ci_low < corr.estimate < corr.ci_high
    assert "0.114" in fitted.summary() and "assumes this correlation is zero" in corr.summary()
    spear = frequency_spend_correlation(summary, method="spearman")
    assert spear.estimate == pytest.approx(stats.spearmanr(rep["frequency"], rep["monetary_value"])[0], rel=1e-12)


def _simulate(n, p, q, gamma, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    x = 1 + rng.poisson(2.0, n)
    nu = rng.gamma(q, 1 / gamma, n)
    total = rng.gamma(p * x, 1 / nu)  # the sum of x gamma(p, nu) values
    return pd.DataFrame({"frequency": x, "monetary_value": scale * total / x})


def test_parameter_recovery_on_simulated_data():
    truth = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    m = fit_gamma_gamma(_simulate(20_000, **truth, seed=11))
    assert m.converged
    for k, v in truth.items():
        assert abs(m.params[k] - v) < 3 * m.se[k], (k, m.params[k], m.se[k])
        assert m.se[k] < 0.15 * v


def test_estimates_follow_a_change_of_currency():
    data = _simulate(3_000, 3.0, 5.0, 20.0, seed=3)
    cents = data.assign(monetary_value=data["monetary_value"] * 100)
    a, b = fit_gamma_gamma(data), fit_gamma_gamma(cents)
    assert b.params["p"] == pytest.approx(a.params["p"], rel=1e-5)
    assert b.params["q"] == pytest.approx(a.params["q"], rel=1e-5)
    assert b.params["gamma"] == pytest.approx(100 * a.params["gamma"], rel=1e-5)


def test_non_positive_values_are_refused_or_excluded(summary):
    bad = summary.copy()
    bad.loc[bad.index[0], "monetary_value"] = -4.0  # customer 1 is a repeat buyer
    with pytest.raises(ValueError, match="not on net profit"):
        fit_gamma_gamma(bad)
    m = fit_gamma_gamma(bad, nonpositive="exclude")
    assert m.excluded == 1 and m.n == 945 and "excluded" in m.summary()
    missing = summary.copy()
    missing.loc[missing.index[0], "monetary_value"] = np.nan
    with pytest.raises(ValueError, match="missing for a repeat buyer"):
        fit_gamma_gamma(missing)
    with pytest.raises(ValueError, match="no column 'spend'"):
        fit_gamma_gamma(summary, value="spend")
