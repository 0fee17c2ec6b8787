"""Customer lifetime value (profit/clv.py) on CDNOW against a lifetimes 0.11.3 run: its customer_lifetime_value
loop with an exact month (identical) and with its 4.345-week month (within 0.1%), P(alive); margins and
cost-to-serve per purchase; chunked scoring; segment sums; and the Pareto/NBD's closed-form DERT (FHL 2005b eq. 2)
against the same quantity integrated numerically. Sources and the peer script: tests/fixtures/gammagamma/README.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from cfresearch.profit.bgnbd import BetaGeoModel
from cfresearch.profit.cdnow import load_cdnow
from cfresearch.profit.clv import clv, clv_by_segment, discounted_expected_transactions
from cfresearch.profit.gammagamma import GammaGammaModel
from cfresearch.profit.paretonbd import ParetoNBDModel

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
MONTHLY_1PC = 1.01**12 - 1  # lifetimes' discount_rate=0.01 is monthly

# lifetimes 0.11.3 (README): _customer_lifetime_value over 24 exact months (365.25/12 days), 1% a month
LT_CLV_EXACT_24 = [59.21759552747517, 7.692272846468043, 14.313699231420742, 14.313699231420742, 14.313699231420742,
                   450.0531179214199, 11.416345077835466, 14.313699231420742, 70.76872269552045, 14.313699231420742,
                   106.47419650876218, 14.313699231420742, 14.313699231420742, 14.313699231420742,
                   14.313699231420742, 14.313699231420742, 274.5437322710768, 10.533833751476593, 85.238138269527,
                   14.354524786138338]
LT_CLV_EXACT_24_TOTAL = 115059.68491624229
# GammaGammaFitter.customer_lifetime_value(time=12, discount_rate=0.01, freq="W"): 4.345-week months
LT_CLV_W_12 = [36.28921112559952, 4.637294659747194, 8.369004358920185, 8.369004358920185, 8.369004358920185,
               283.5327763170908, 6.882355465015222, 8.369004358920185, 43.367872270247915, 8.369004358920185,
               66.65988906176453, 8.369004358920185, 8.369004358920185, 8.369004358920185, 8.369004358920185,
               8.369004358920185, 173.89884786293683, 6.350332597057609, 52.77512005121395, 8.3946448443554]
LT_CLV_W_12_TOTAL = 71560.20884012154
LT_PALIVE_20 = [0.726578570080673, 0.2121009853773791, 1.0, 1.0, 1.0, 0.6417563459461072, 0.3147857712209081, 1.0,
                0.784790612614206, 1.0, 0.4913662085183268, 1.0, 1.0, 1.0, 1.0, 1.0, 0.8153021539783064,
                0.3107825653963674, 0.6947608092414267, 1.0]
# the same with the Pareto/NBD (ParetoNBDFitter at the published parameters)
LT_PNBD_CLV_W_12 = [43.08991786006467, 3.8859614556068607, 4.528021672855978, 4.528021672855978, 4.528021672855978,
                    318.5492513891675, 5.905293482118685, 4.528021672855978, 52.573395631711655, 4.528021672855978,
                    76.7345977666919, 4.528021672855978, 4.528021672855978, 4.528021672855978, 4.528021672855978,
                    4.528021672855978, 184.9921167366441, 5.434712628475651, 59.694643571940965, 4.552994527458357]
LT_PNBD_CLV_W_12_TOTAL = 72348.70968547145
LT_PNBD_PALIVE_20 = [0.8691675591530111, 0.16800232672434479, 0.29528660461689443, 0.29528660461689443,
                     0.29528660461689443, 0.7495014076670342, 0.25530439669044863, 0.29528660461689443,
                     0.9584611139234196, 0.29528660461689443, 0.5868734466276728, 0.29528660461689443,
                     0.29528660461689443, 0.29528660461689443, 0.29528660461689443, 0.29528660461689443,
                     0.9013595347627678, 0.25140596299446866, 0.807104852270676, 0.2961693840327103]


@pytest.fixture(scope="module")
def summary():
    return load_cdnow()


@pytest.fixture(scope="module")
def bg():
    return BetaGeoModel.from_params(BG, unit="W")


@pytest.fixture(scope="module")
def gg():
    return GammaGammaModel.from_params(GG)


def test_exact_month_clv_matches_lifetimes_loop(summary, bg, gg):
    out = clv(summary, bg, gg, horizon=24, discount_rate=MONTHLY_1PC, freq="M")
    assert list(out.columns) == ["customer_id", "expected_purchases", "discounted_purchases", "expected_value",
                                 "value_per_purchase", "clv", "p_alive"]
    np.testing.assert_allclose(out["clv"][:20], LT_CLV_EXACT_24, rtol=1e-10)
    assert out["clv"].sum() == pytest.approx(LT_CLV_EXACT_24_TOTAL, rel=1e-10)
    np.testing.assert_allclose(out["p_alive"][:20], LT_PALIVE_20, rtol=1e-10)
    assert out["customer_id"].tolist()[:3] == ["1", "2", "3"]


def test_lifetimes_default_month_differs_only_by_its_length(summary, bg, gg):
    """lifetimes' freq="W" month is 4.345 weeks, 0.07% shorter than 365.25/12 days: 0.065% less value."""
    out = clv(summary, bg, gg, horizon=12, discount_rate=MONTHLY_1PC)
    np.testing.assert_allclose(out["clv"][:20], LT_CLV_W_12, rtol=1e-3)
    assert out["clv"].sum() == pytest.approx(LT_CLV_W_12_TOTAL, rel=1e-3)
    assert out["clv"].sum() > LT_CLV_W_12_TOTAL


def test_pareto_nbd_clv_matches_lifetimes(summary, gg):
    pn = ParetoNBDModel.from_params(PNBD, unit="W")
    out = clv(summary, pn, gg, horizon=12, discount_rate=MONTHLY_1PC)
    np.testing.assert_allclose(out["clv"][:20], LT_PNBD_CLV_W_12, rtol=1e-3)  # the month length again
    assert out["clv"].sum() == pytest.approx(LT_PNBD_CLV_W_12_TOTAL, rel=1e-3)
    np.testing.assert_allclose(out["p_alive"][:20], LT_PNBD_PALIVE_20, rtol=1e-10)


def test_undiscounted_value_is_purchases_times_value(summary, bg, gg):
    out = clv(summary, bg, gg, horizon=6, discount_rate=0.0, freq="W")
    expected = bg.conditional_expected_purchases(6.0, summary["frequency"], summary["recency"], summary["T"])
    np.testing.assert_allclose(out["expected_purchases"], expected, rtol=1e-12)
    np.testing.assert_allclose(out["discounted_purchases"], expected, rtol=1e-12)
    np.testing.assert_allclose(out["clv"], expected * gg.conditional_expected_value(summary["frequency"],
                                                                                    summary["monetary_value"]))


def test_margin_and_cost_to_serve(summary, bg, gg):
    base = clv(summary, bg, gg, horizon=12, discount_rate=0.1)
    cost = np.linspace(0.5, 3.0, len(summary))
    out = clv(summary.assign(cts=cost), bg, gg, horizon=12, discount_rate=0.1, margin=0.25, cost_per_purchase="cts")
    np.testing.assert_allclose(out["value_per_purchase"], 0.25 * base["expected_value"] - cost)
    np.testing.assert_allclose(out["clv"], (0.25 * base["expected_value"] - cost) * base["discounted_purchases"])
    assert (out["clv"] < base["clv"]).all()
    with pytest.raises(ValueError, match="one value per customer"):
        clv(summary, bg, gg, cost_per_purchase=[1.0, 2.0])


def test_chunks_and_repeated_histories_give_the_same_values(summary, bg, gg):
    a = clv(summary, bg, gg, horizon=12, discount_rate=0.1)
    b = clv(summary, bg, gg, horizon=12, discount_rate=0.1, chunk=7)
    pd.testing.assert_frame_equal(a, b)
    one = clv(summary.iloc[[5]], bg, gg, horizon=12, discount_rate=0.1)  # scored alone
    assert one["clv"].iloc[0] == pytest.approx(a["clv"].iloc[5], rel=1e-13)


def test_discounting_by_step(summary, bg, gg):
    """Weekly steps over 52 weeks at 10% a year: Σ_k ΔE_k · 1.1^(−7k/365.25)."""
    out = clv(summary.iloc[:3], bg, gg, horizon=52, discount_rate=0.1, freq="W")
    x, tx, t = (summary[c].iloc[:3].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    cum = np.array([bg.conditional_expected_purchases(k, x, tx, t) for k in range(53)])
    disc = (np.diff(cum, axis=0) * 1.1 ** (-7 * np.arange(1, 53) / 365.25)[:, None]).sum(axis=0)
    np.testing.assert_allclose(out["discounted_purchases"], disc, rtol=1e-12)


def test_units_must_agree(summary, gg):
    days = BetaGeoModel.from_params(BG, unit="D")
    with pytest.raises(ValueError, match="same time unit"):
        clv(summary, days, gg, unit="W")
    with pytest.raises(ValueError, match="horizon"):
        clv(summary, days, gg, horizon=0)
    with pytest.raises(ValueError, match="freq must be one of"):
        clv(summary, days, gg, freq="fortnight")


def test_clv_by_segment_sums(summary, bg, gg):
    out = clv(summary, bg, gg, horizon=12, discount_rate=0.1)
    seg = pd.DataFrame({"customer_id": summary["customer_id"],
                        "segment": np.where(summary["frequency"] > 0, "repeat", "one-off")})
    table = clv_by_segment(out, seg)
    assert table["customers"].sum() == 2357 and set(table["segment"]) == {"repeat", "one-off"}
    assert table["clv"].sum() == pytest.approx(out["clv"].sum())
    assert table["share"].sum() == pytest.approx(1.0)
    rep = table.set_index("segment").loc["repeat"]
    assert rep["customers"] == 946 and rep["clv"] == pytest.approx(out["clv"][summary["frequency"] > 0].sum())


class _PosteriorOnly:
    """A Pareto/NBD stand-in whose P(alive) is 1 (the DERT of a customer known to be alive)."""

    params = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    unit = "W"

    def probability_alive(self, frequency, recency, T):
        return np.ones(len(frequency))


def test_dert_closed_form_equals_the_integral_over_the_posterior():
    """DERT/P(alive) = (r + x)/(α + T) · E[1/(μ + δ)], μ ~ gamma(s, β + T), integrated numerically."""
    r, alpha, s, beta = _PosteriorOnly.params.values()
    table = pd.DataFrame({"frequency": [0, 2, 7], "recency": [0.0, 30.43, 35.0], "T": [38.86, 38.86, 77.86]})
    got = discounted_expected_transactions(_PosteriorOnly(), table, discount_rate=0.15)
    delta = np.log(1.15) * 7 / 365.25
    for i, (x, big_t) in enumerate(zip(table["frequency"], table["T"], strict=True)):
        mean_inv = integrate.quad(lambda m, bt=big_t: stats.gamma.pdf(m, s, scale=1 / (beta + bt)) / (m + delta),
                                  0, np.inf, limit=200)[0]
        assert got[i] == pytest.approx((r + x) / (alpha + big_t) * mean_inv, rel=1e-8)
    with pytest.raises(ValueError, match="Pareto/NBD"):
        discounted_expected_transactions(BetaGeoModel.from_params(BG, unit="W"), table)


def test_dert_equals_the_discounted_sum_of_conditional_expectations(summary):
    """The closed form against ∫ e^{−δt} dE[X(T, T + t) | x, t_x, T] summed on a fine grid of the Pareto/NBD's own
    conditional expectations (midpoint rule on log-spaced steps, out to 20,000 weeks)."""
    pn = ParetoNBDModel.from_params(PNBD, unit="W")
    part = summary.iloc[:20]
    got = discounted_expected_transactions(pn, part, discount_rate=0.15)
    delta = np.log(1.15) * 7 / 365.25
    x, tx, big_t = (part[c].to_numpy(dtype=float)[None, :] for c in ("frequency", "recency", "T"))
    h = np.concatenate([[0.0], np.geomspace(1e-3, 2e4, 8000)])[:, None]
    cum = pn.conditional_expected_purchases(h, x, tx, big_t)
    approx = (np.diff(cum, axis=0) * np.exp(-delta * (h[1:] + h[:-1]) / 2)).sum(axis=0)
    np.testing.assert_allclose(got, approx, rtol=1e-6)
