"""Whale curve, profitability deciles and the Shapiro et al. (1987) profitability matrix.

References: the Kanthal whale curve (Kaplan, HBS case 9-190-002; Kaplan & Cooper 1998, *Cost & Effect*, ch. 10):
the most profitable 20% of customers earned 225% of profit, the middle 70% about broke even and the bottom 10%
lost 125%; a data set built to that shape must give those figures back. Everything else is checked against
numbers worked out by hand in the comments.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cfresearch.profit.whale import profit_deciles, profitability_matrix, whale_curve


def kanthal() -> pd.DataFrame:
    """100 customers, total profit 100: 20 earn 11.25 each (225), 35 earn +1 and 35 lose 1 (the middle 70%
    sums to 0), 10 lose 12.5 each (−125)."""
    profit = [11.25] * 20 + [1.0] * 35 + [-1.0] * 35 + [-12.5] * 10
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"customer_id": [f"k{i:03d}" for i in range(100)], "net_profit": profit,
                          "revenue": 200.0, "gross_margin": 80.0})
    frame["cost_to_serve"] = frame["gross_margin"] - frame["net_profit"]
    return frame.iloc[rng.permutation(100)].reset_index(drop=True)


def test_kanthal_shape_is_reproduced():
    wc = whale_curve(kanthal())
    assert wc.total_profit == pytest.approx(100.0)
    assert wc.top(0.2) == pytest.approx(225.0)
    assert wc.band(0.2, 0.9) == pytest.approx(0.0, abs=1e-12)
    assert wc.band(0.9, 1.0) == pytest.approx(-125.0)
    # peak: all 55 profitable customers in, 225 + 35 = 260
    assert (wc.peak_pct, wc.peak_share, wc.n_profitable) == (pytest.approx(260.0), 0.55, 55)
    # 100% is reached by the 9th customer (9 × 11.25 = 101.25; 8 × 11.25 = 90)
    assert wc.share_to_100 == 0.09
    # loss-makers: 45 customers destroying 35 + 125 = 160
    assert (wc.n_loss, wc.loss, wc.loss_pct) == (45, pytest.approx(-160.0), pytest.approx(-160.0))
    text = wc.summary()
    assert "The top 20% of customers earn 225% of total profit" in text
    assert "The bottom 10% of customers lose 125% of total profit" in text
    assert "peaks at 260%" in text


def test_kanthal_deciles():
    d = whale_curve(kanthal()).deciles
    assert d["n"].tolist() == [10] * 10
    # deciles 1-2: 112.5 each; 3-5: +10; 6: five +1 and five −1; 7-9: −10; 10: −125
    assert d["profit_share_pct"].tolist() == pytest.approx([112.5, 112.5, 10, 10, 10, 0, -10, -10, -10, -125])
    assert d["cum_profit_share_pct"].iloc[-1] == pytest.approx(100.0)
    assert d["revenue"].sum() == pytest.approx(20000.0)
    assert (d["gross_margin"] - d["cost_to_serve"]).tolist() == pytest.approx(d["net_profit"].tolist())


def test_hand_computed_curve():
    c = pd.DataFrame({"customer_id": ["d", "a", "c", "b", "e"], "net_profit": [-5.0, 50, 20, 40, -5]})
    wc = whale_curve(c)
    curve = wc.to_frame()
    # ranked a 50, b 40, c 20, then the two −5 by id: d, e; cumulative 50, 90, 110, 105, 100 of 100
    assert curve["customer_id"].tolist() == ["a", "b", "c", "d", "e"]
    assert curve["cum_profit_pct"].tolist() == pytest.approx([50, 90, 110, 105, 100])
    assert curve["share_customers"].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert (wc.peak_pct, wc.peak_share, wc.share_to_100) == (pytest.approx(110.0), 0.6, 0.6)
    # the piecewise-linear curve through the origin: top 10% = half of a's 50; top 50% = 90 + 20/2
    assert wc.top(0.1) == pytest.approx(25.0)
    assert wc.top(0.5) == pytest.approx(100.0)
    assert wc.top(0.0) == 0.0 and wc.top(1.0) == pytest.approx(100.0)


def test_row_order_and_ties_do_not_change_the_curve():
    base = kanthal()
    a = whale_curve(base).to_frame()
    b = whale_curve(base.sample(frac=1.0, random_state=3)).to_frame()
    pd.testing.assert_frame_equal(a, b)
    # equal profits are ranked by customer id
    top = a[a["profit"] == 11.25]["customer_id"].tolist()
    assert top == sorted(top)


def test_zero_profit_customers_do_not_move_the_peak():
    c = pd.DataFrame({"customer_id": list("abcdef"), "net_profit": [30.0, 0, 0, 10, -20, 0]})
    wc = whale_curve(c)
    # profitable: a, d → peak 40 (200% of 20) at 2 of 6 customers
    assert (wc.peak_share, wc.peak_pct, wc.n_zero) == (pytest.approx(2 / 6), pytest.approx(200.0), 3)


def test_missing_profit_is_left_out_and_counted():
    c = pd.DataFrame({"customer_id": list("abcd"), "net_profit": [10.0, np.nan, 30.0, None]})
    wc = whale_curve(c)
    assert (wc.n, wc.excluded, wc.total_profit) == (2, 2, 40.0)
    assert "2 customers without a profit value left out" in wc.summary()
    with pytest.raises(ValueError, match="must be numeric"):
        whale_curve(c.assign(net_profit=["x", "y", "1", "2"]))


def test_total_profit_at_or_below_zero_reports_money_not_shares():
    c = pd.DataFrame({"customer_id": list("abcd"), "net_profit": [30.0, 10, -25, -40]})
    wc = whale_curve(c)
    assert wc.total_profit == -25.0 and not wc.meaningful
    assert wc.to_frame()["cum_profit_pct"].isna().all()
    assert np.isnan(wc.top(0.5)) and np.isnan(wc.peak_pct) and np.isnan(wc.share_to_100)
    assert wc.peak_profit == 40.0 and wc.peak_share == 0.5
    assert wc.cumulative(0.5) == 40.0
    assert wc.deciles["profit_share_pct"].isna().all()
    assert "not meaningful" in wc.summary()
    assert "The top 20% of customers earn £24.00." in wc.summary()  # 0.8 of a's 30


def test_all_losses_peak_at_the_origin():
    wc = whale_curve(pd.DataFrame({"customer_id": ["a", "b"], "net_profit": [-1.0, -2.0]}))
    assert (wc.peak_share, wc.peak_profit) == (0.0, 0.0)


def test_profit_deciles_sizes_and_reconciliation():
    rng = np.random.default_rng(1)
    c = pd.DataFrame({"customer_id": [f"c{i}" for i in range(23)], "net_profit": rng.normal(5, 10, 23),
                      "revenue": rng.uniform(50, 100, 23)})
    d = profit_deciles(c)
    assert d["n"].tolist() == [3, 2, 2, 3, 2, 2, 3, 2, 2, 2]  # ⌊k·10/23⌋ + 1 for k = 0..22
    assert d["net_profit"].sum() == pytest.approx(c["net_profit"].sum())
    assert d["revenue"].sum() == pytest.approx(c["revenue"].sum())
    assert d["profit_share_pct"].sum() == pytest.approx(100.0)
    assert (d["profit_min"].iloc[:-1].to_numpy() >= d["profit_max"].iloc[1:].to_numpy()).all()
    with pytest.raises(ValueError, match="groups"):
        profit_deciles(c, groups=0)


def test_profitability_matrix_by_hand():
    c = pd.DataFrame({"customer_id": list("abcdef"), "revenue": [100.0, 200, 100, 50, 100, 0],
                      "gross_margin": [40.0, 80, 20, 10, 30, 5], "cost_to_serve": [30.0, 10, 5, 15, 20, 1]})
    c["net_profit"] = c["gross_margin"] - c["cost_to_serve"]
    m = profitability_matrix(c)
    # margin %: 40, 40, 20, 20, 30 (f: no revenue); median 30. cts %: 30, 5, 5, 30, 20; median 20.
    assert m.cuts == (30.0, 20.0)
    # e sits on both medians: >= cut is "high" → carriage trade
    assert m.customers["quadrant"].tolist()[:5] == ["Carriage trade", "Passive", "Bargain basement", "Aggressive",
                                                    "Carriage trade"]
    assert pd.isna(m.customers["quadrant"].iloc[5])
    assert m.unclassified == 1
    q = m.to_frame().set_index("quadrant")
    assert q.loc["Carriage trade", "n"] == 2 and q.loc["Carriage trade", "net_profit"] == 20.0
    # classified total profit 10 + 70 + 15 − 5 + 10 = 100
    assert q["profit_share_pct"].tolist() == pytest.approx([20.0, 70.0, 15.0, -5.0])
    assert q["share"].sum() == pytest.approx(1.0)
    given = profitability_matrix(c, cuts=(35.0, 25.0))
    assert given.customers["quadrant"].tolist()[:5] == ["Carriage trade", "Passive", "Bargain basement",
                                                       "Aggressive", "Bargain basement"]
    assert "carriage" in m.summary().lower() and "1 customers could not be placed" in m.summary()


def test_results_are_frozen_and_display():
    wc = whale_curve(kanthal())
    with pytest.raises(dataclasses.FrozenInstanceError):
        wc.n = 1
    assert "<table" in wc._repr_html_() and "<table" in profitability_matrix(kanthal())._repr_html_()
