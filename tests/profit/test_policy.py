"""Service-policy what-ifs, break-even responses and service tiers.

There is no published worked example of a free-delivery what-if on a customer ledger, so the checks are sums
worked out by hand from the small ledger below and invariants that fail when the arithmetic is wrong: with
zero response the change is the direct cost; at the break-even response it is zero (to 1e-9); the segments add
up to the total and profit after = the ledger's net profit + change; the sensitivity table is linear.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cfresearch.profit.costs import load_cost_model
from cfresearch.profit.policy import FewerVisits, FreeDelivery, PrioritySupport, recommend_tiers, what_if


def ledger() -> pd.DataFrame:
    """Four customers; order 1.20, delivery 6.50 per event (the contract's example rates)."""
    c = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"], "segment": ["Retail", "Retail", "Business", "Business"],
        "orders": [2, 2, 1, 3], "revenue": [85.0, 70.0, 45.0, 300.0], "cogs": [55.0, 45.0, 30.0, 180.0],
        "cts_order": [2.4, 2.4, 1.2, 3.6], "cts_delivery": [13.0, 6.5, 0.0, 19.5],
        "cts_support_contact": [10.8, 0.0, 5.4, 21.6], "cts_visit": [0.0, 0.0, 48.0, 96.0]})
    c["gross_margin"] = c["revenue"] - c["cogs"]
    c["cost_to_serve"] = c.filter(like="cts_").sum(axis=1)
    c["net_profit"] = c["gross_margin"] - c["cost_to_serve"]
    return c


def orders() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "b", "c", "d", "d", "d", "x"],
        "order_id": ["1", "1", "2", "3", "4", "4", "5", "6", "7", "8", "9"],
        "revenue": [30.0, 20, 35, 60, 15, -5, 45, 100, 100, 100, 80],
        "delivered": [True, True, True, True, True, True, False, True, True, True, True],
        "delivery_fee": [2.0, 3, 5, 5, 5, 0, 0, 5, 5, 5, 5]})


def test_free_delivery_direct_cost_by_hand():
    res = what_if(ledger(), orders(), FreeDelivery(threshold=40), response=0.0)
    # qualifying delivered orders with basket >= 40 and a fee: a/1 (50, fee 5), b/3 (60, 5), d/6-8 (100, 5 each);
    # a/2 (35) and b/4 (15 - 5 refund) are below; c's order was collected; x is not in the ledger
    lost = {"a": 5.0, "b": 5.0, "c": 0.0, "d": 15.0}
    got = res.customers.set_index("customer_id")
    assert got["direct"].to_dict() == {k: -v for k, v in lost.items()}
    assert got["affected"].tolist() == [True, True, False, True]
    assert res.direct == -25.0
    assert res.info["qualifying_orders"] == 5 and res.info["unmatched_customers"] == 1
    # zero response: the change is exactly the direct cost, customer by customer
    assert got["change"].tolist() == got["direct"].tolist()
    # order-driven contribution: margin − order − delivery costs: a 30 − 15.4, b 25 − 8.9, d 120 − 23.1
    assert got["marginal"].tolist() == pytest.approx([14.6, 16.1, 0.0, 96.9])


def test_break_even_makes_the_change_zero():
    res = what_if(ledger(), orders(), FreeDelivery(threshold=40), response=0.05)
    assert res.break_even == pytest.approx(25.0 / (14.6 + 16.1 + 96.9))
    assert abs(res.change_at(res.break_even)) < 1e-9
    again = what_if(ledger(), orders(), FreeDelivery(threshold=40), response=res.break_even)
    assert abs(again.by_segment.set_index("segment").loc["Total", "change"]) < 1e-9
    assert res.change_at(0.05) == pytest.approx(-25.0 + 0.05 * 127.6)
    seg = res.to_frame().set_index("segment")
    # per segment: Retail −10 + u·30.7, Business −15 + u·96.9
    assert seg.loc["Retail", "break_even"] == pytest.approx(10 / 30.7)
    assert seg.loc["Business", "break_even"] == pytest.approx(15 / 96.9)


def test_totals_reconcile_with_the_ledger():
    c = ledger()
    res = what_if(c, orders(), FreeDelivery(threshold=40), response=0.08)
    seg = res.to_frame().set_index("segment")
    parts = seg.drop(index="Total")
    for col in ("n", "affected", "profit_before", "direct", "response_effect", "change", "profit_after"):
        assert parts[col].sum() == pytest.approx(seg.loc["Total", col]), col
    assert seg.loc["Total", "profit_before"] == pytest.approx(c["net_profit"].sum())
    assert seg.loc["Total", "profit_after"] == pytest.approx(c["net_profit"].sum() + res.change_at(0.08))
    assert (seg["direct"] + seg["response_effect"]).tolist() == pytest.approx(seg["change"].tolist())


def test_fee_column_fee_parameter_and_fee_income():
    tx = orders().drop(columns="delivery_fee")
    with pytest.raises(ValueError, match="delivery_fee"):
        what_if(ledger(), tx, FreeDelivery(threshold=40))
    flat = what_if(ledger(), tx, FreeDelivery(threshold=40, fee=4.0))
    assert flat.direct == -20.0  # five qualifying delivered orders × 4
    # a ledger that keeps fee income apart: it comes with extra orders, minus the fees now given up
    c = ledger().assign(delivery_fee=[10.0, 10.0, 0.0, 15.0])
    res = what_if(c, orders(), FreeDelivery(threshold=40), response=0.1)
    got = res.customers.set_index("customer_id")["marginal"]
    assert got.tolist() == pytest.approx([14.6 + 10 - 5, 16.1 + 10 - 5, 0.0, 96.9 + 15 - 15])
    inside = what_if(ledger(), orders(), FreeDelivery(threshold=40, fees_in_revenue=True))
    assert inside.marginal == pytest.approx(127.6 - 25.0)


def test_priority_support_with_rates_from_the_cost_model():
    model = load_cost_model({"currency": "GBP",
                             "activities": {"order": {"rate": 1.2, "driver": "transactions"},
                                            "delivery": {"rate": 6.5, "driver": "transactions"},
                                            "support_contact": {"minutes": 9, "pool": "service_desk"}},
                             "pools": {"service_desk": {"cost": 180000, "practical_minutes": 300000}}})
    policy = PrioritySupport(top=0.5, extra_per_contact=2.0, fixed_cost=30.0)
    res = what_if(ledger(), None, policy, rates=model, response=0.02)
    got = res.customers.set_index("customer_id")
    # net profit: a 0.4, b 16.1, c −49.6, d −20.7 → the top half is b and a
    assert got["affected"].tolist() == [True, True, False, False]
    # contacts = cts / 5.40 per contact: a 2, b 0 → a pays 2 × 2 + 15, b 0 + 15 (fixed cost spread equally)
    assert got["direct"].tolist() == pytest.approx([-19.0, -15.0, 0.0, 0.0])
    assert res.break_even == pytest.approx(34.0 / (14.6 + 16.1))
    same = what_if(ledger().assign(n_support_contact=[2, 0, 1, 4]), None, policy, response=0.02)
    assert same.direct == pytest.approx(res.direct)
    with pytest.raises(ValueError, match="rate for 'support_contact'"):
        what_if(ledger(), None, policy)
    share = what_if(ledger(), None, PrioritySupport(top=0.25, extra_share=0.5))
    assert share.direct == pytest.approx(-0.0)  # b (top quarter) has no support cost
    assert res.currency == "GBP" and "Priority support for the top 50%" in res.summary()


def test_fewer_visits_saves_and_breaks_even_on_a_loss_of_orders():
    res = what_if(ledger(), None, FewerVisits(bottom=0.5, cut=0.5), response=-0.05)
    got = res.customers.set_index("customer_id")
    # bottom half by net profit: c (−49.6) and d (−20.7); both have visits: save half of 48 and 96
    assert got["direct"].tolist() == pytest.approx([0.0, 0.0, 24.0, 48.0])
    assert got["marginal"].tolist() == pytest.approx([0.0, 0.0, 15 - 1.2, 96.9])
    assert res.break_even == pytest.approx(-72.0 / (13.8 + 96.9))
    assert abs(res.change_at(res.break_even)) < 1e-9
    assert "saves £72.00" in res.summary() and "less often" in res.summary()
    table = res.sensitivity()
    assert table["response"].is_monotonic_increasing
    slope = np.diff(table["change"]) / np.diff(table["response"])
    assert slope == pytest.approx(np.full(len(slope), res.marginal))
    row = table.loc[(table["response"] - res.break_even).abs() < 1e-12]
    assert len(row) == 1 and bool(row["pays"].iloc[0])


def test_summary_wording_and_years():
    res = what_if(ledger(), orders(), FreeDelivery(threshold=40), response=0.05, years=0.5)
    text = res.summary()
    first = text.splitlines()[0]
    assert first.startswith("Free delivery on orders of £40 or more costs £50.00 a year at current behaviour")
    assert f"it pays if the affected customers order {res.break_even:.1%} more often" in first
    assert res.change_at(0.0) == -50.0
    assert res.to_frame().set_index("segment").loc["Total", "direct"] == -50.0
    assert "By segment:" in text and "<table" in res._repr_html_()
    with pytest.raises(ValueError, match="policy must be"):
        what_if(ledger(), None, "free delivery")


def test_cost_model_says_which_activities_scale_with_orders():
    model = load_cost_model({"currency": "GBP", "activities": {"order": {"rate": 1.2, "driver": "transactions"}}})
    res = what_if(ledger(), orders(), FreeDelivery(threshold=40), rates=model)
    # only the order cost scales now: a 30 − 2.4, b 25 − 2.4, d 120 − 3.6
    assert res.marginal == pytest.approx(27.6 + 22.6 + 116.4)
    explicit = what_if(ledger(), orders(), FreeDelivery(threshold=40), scales_with_orders=[])
    assert explicit.marginal == pytest.approx(30 + 25 + 120)


def test_recommend_tiers_rule_and_reconciliation():
    c = ledger()
    t = recommend_tiers(c, tiers=[("Gold", 0.25), ("Silver", 0.25), ("Basic", 0.5)])
    got = t.customers.set_index("customer_id")
    # gross margin: d 120, a 30, b 25, c 15 → Gold d, Silver a, Basic b and c
    assert got["tier"].to_dict() == {"a": "Silver", "b": "Basic", "c": "Basic", "d": "Gold"}
    # cost to serve: d 140.7, c 54.6, a 26.2, b 8.9 → c ranks Silver on service but Basic on margin
    assert got["fit"].to_dict() == {"a": "under-served", "b": "matched", "c": "over-served", "d": "matched"}
    tiers = t.to_frame().set_index("tier")
    assert tiers["n"].tolist() == [1, 1, 2]
    assert tiers["net_profit"].sum() == pytest.approx(c["net_profit"].sum())
    assert tiers.loc["Basic", "cts_pct_of_margin"] == pytest.approx(100 * (8.9 + 54.6) / 40)
    assert "Gold: top 25%" in t.summary() and "1 customers are over-served" in t.summary()
    ratio = recommend_tiers(c, by="margin_per_cts", tiers=[("Gold", 0.5), ("Basic", 0.5)])
    # margin per £ of service: a 1.15, b 2.81, c 0.27, d 0.85
    assert ratio.customers.set_index("customer_id")["tier"].to_dict() == {"a": "Gold", "b": "Gold", "c": "Basic",
                                                                          "d": "Basic"}
    with pytest.raises(ValueError, match="summing to 1"):
        recommend_tiers(c, tiers=[("Gold", 0.5), ("Basic", 0.4)])


def test_default_tiers_on_ten_customers():
    c = pd.DataFrame({"customer_id": [f"c{i}" for i in range(10)], "gross_margin": np.arange(10.0, 0, -1),
                      "cost_to_serve": 1.0, "net_profit": np.arange(10.0, 0, -1) - 1})
    t = recommend_tiers(c)
    assert t.customers["tier"].tolist() == ["Gold"] + ["Silver"] * 2 + ["Bronze"] * 3 + ["Basic"] * 4
    assert t.to_frame()["service"].str.len().gt(0).all()


def test_a_policy_that_affects_nobody_says_so():
    big_baskets = ["1", "3", "5", "6", "7", "8", "9"]  # orders of 40 or more already deliver free
    tx = orders().assign(delivery_fee=np.where(orders()["order_id"].isin(big_baskets), 0.0, 3.95))
    res = what_if(ledger(), tx, FreeDelivery(threshold=40), response=0.1)
    assert res.direct == 0.0 and res.marginal == 0.0 and res.change_at(0.1) == 0.0
    assert "changes nothing: no customer is affected (no delivered order at or above the threshold" in res.summary()
    big = what_if(ledger(), None, FewerVisits(bottom=0.5, cut=1.0), response=0.0)
    # saving 144 against a contribution of 110.7: it pays even if c and d stopped ordering
    assert big.break_even < -1 and "stopped ordering altogether" in big.summary()
