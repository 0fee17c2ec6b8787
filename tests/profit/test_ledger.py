"""The customer P&L and the purchase summary against hand calculations, Kaplan & Anderson (2004) and lifetimes' CDNOW.

* A small ledger whose every figure is worked out by hand below (rates, time-driven minutes with recorded
  minutes overriding the unit time, refunds, fixed costs per segment, unused capacity).
* Kaplan & Anderson (2004, HBR 82(11) 131-138) run through the ledger: 49,000 orders, 1,400 inquiries and 2,500
  credit checks at 8 / 44 / 50 minutes in a $560,000, 700,000-minute department leave $97,120 unused.
* The CDNOW purchase summary of the 2,357-customer sample against the published summaries shipped in the
  lifetimes 0.11.3 wheel (cdnow_customers_summary.csv: frequency, recency, T in weeks to two decimals;
  cdnow_customers_summary_with_transactions.csv: zbar, the mean repeat-purchase value), read as files (lifetimes
  is not imported). lifetimes took them from Bruce Hardie's data for Fader, Hardie & Lee (2005).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cfresearch.profit as profit_pkg
from cfresearch.data import DataError
from cfresearch.profit.ledger import customer_ledger, summarise_purchases
from cfresearch.profit.transactions import load_activities, load_transactions

CDNOW_DIR = Path(profit_pkg.__file__).parent / "cdnow_data"
MODEL = {"currency": "GBP",
         "activities": {"order": {"rate": 1.50, "driver": "transactions"},
                        "delivery": {"rate": 6.00, "driver": "transactions"},
                        "return": {"rate": 8.00, "driver": "transactions"},
                        "support_contact": {"minutes": 10, "pool": "desk"},
                        "visit": {"rate": 45.0}},
         "pools": {"desk": {"cost": 3000, "practical_minutes": 5000}},   # 0.60 a minute
         "fixed": {"Business": 90.0}}


def small_inputs():
    tx = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "B", "C"],
        "order_id": ["1", "1", "2", "3", "3", "4"],
        "date": pd.to_datetime(["2024-01-10", "2024-01-10", "2024-03-01", "2024-02-01", "2024-02-20",
                                "2024-05-05"]),
        "revenue": [100.0, 50.0, 80.0, 200.0, -200.0, 30.0],
        "cogs": [60.0, 30.0, 40.0, 120.0, -120.0, 12.0],
        "channel": ["online", "online", "store", "online", "online", "phone"],
        "delivered": [True, True, False, True, False, False],
        "returned": [False, False, False, False, True, False]})
    acts = pd.DataFrame({
        "customer_id": ["A", "B", "B", "C", "C"],
        "date": pd.to_datetime(["2024-01-12", "2024-02-02", "2024-02-21", "2024-05-06", "2024-06-01"]),
        "activity": ["support_contact", "support_contact", "support_contact", "visit", "visit"],
        "count": [1, 2, 1, 1, 1], "minutes": [np.nan, np.nan, 25.0, np.nan, np.nan]})
    customers = pd.DataFrame({"customer_id": ["A", "B", "C"], "segment": ["Business", "Consumer", "Business"],
                              "region": ["North", "South", "North"]})
    return tx, acts, customers


def test_small_ledger_by_hand():
    led = customer_ledger(*small_inputs()[:2], MODEL, small_inputs()[2])
    c = led.customers.set_index("customer_id")
    # A: orders 1 (two lines) and 2; revenue 230, cogs 130; 2 orders x 1.50; order 1 delivered: 6.00;
    #    one support contact at the unit time, 10 min x 0.60 = 6.00; fixed 90 / 2 Business customers = 45
    # B: order 3 sold and refunded: revenue 0; 1 order, 1 delivery, 1 return = 1.50 + 6 + 8; support 2 x 10 min
    #    (unit time) + 25 recorded minutes = 45 min x 0.60 = 27.00; Consumer: no fixed cost
    # C: order 4; 2 visits x 45; fixed 45
    expected = {"A": dict(orders=2, revenue=230.0, cogs=130.0, cts_order=3.0, cts_delivery=6.0, cts_return=0.0,
                          cts_support_contact=6.0, cts_visit=0.0, fixed_cost=45.0),
                "B": dict(orders=1, revenue=0.0, cogs=0.0, cts_order=1.5, cts_delivery=6.0, cts_return=8.0,
                          cts_support_contact=27.0, cts_visit=0.0, fixed_cost=0.0),
                "C": dict(orders=1, revenue=30.0, cogs=12.0, cts_order=1.5, cts_delivery=0.0, cts_return=0.0,
                          cts_support_contact=0.0, cts_visit=90.0, fixed_cost=45.0)}
    for cid, row in expected.items():
        for col, value in row.items():
            assert c.loc[cid, col] == pytest.approx(value), (cid, col)
        cts = sum(v for k, v in row.items() if k.startswith("cts_")) + row["fixed_cost"]
        assert c.loc[cid, "cost_to_serve"] == pytest.approx(cts)
        assert c.loc[cid, "net_profit"] == pytest.approx(row["revenue"] - row["cogs"] - cts)
    assert c["n_support_contact"].tolist() == [1, 3, 0] and c["n_return"].tolist() == [0, 1, 0]
    # A: online order 1 vs store order 2 -> tie -> 'online'
    assert c["channel"].tolist() == ["online", "online", "phone"]
    assert c.loc["A", "first_date"] == pd.Timestamp("2024-01-10")
    assert c.loc["A", "last_date"] == pd.Timestamp("2024-03-01")
    assert c.loc["B", "last_date"] == pd.Timestamp("2024-02-01")  # a refund is not a purchase
    cap = led.unused_capacity.iloc[0]
    assert (cap["minutes_used"], cap["used_cost"], cap["unused_cost"]) == pytest.approx((55.0, 33.0, 2967.0))
    assert led.currency == "GBP" and "unused capacity" in led.summary()


def test_rollups_by_segment_and_channel():
    led = customer_ledger(*small_inputs()[:2], MODEL, small_inputs()[2])
    seg = led.by_segment().set_index("segment")
    c = led.customers
    assert seg.loc["Business", "customers"] == 2
    assert seg.loc["Business", "net_profit"] == pytest.approx(c.loc[c["segment"] == "Business", "net_profit"].sum())
    assert seg["share_of_profit"].sum() == pytest.approx(1.0)
    assert seg.loc["Business", "fixed_cost"] == pytest.approx(90.0)
    ch = led.by_segment("channel").set_index("channel")
    assert ch.loc["online", "customers"] == 2 and ch["net_profit"].sum() == pytest.approx(c["net_profit"].sum())
    with pytest.raises(ValueError, match="no column 'segmnet'"):
        led.by_segment("segmnet")


def test_kaplan_anderson_through_the_ledger():
    model = {"currency": "USD",
             "activities": {"order": {"minutes": 8, "pool": "customer_service", "driver": "transactions"},
                            "inquiry": {"minutes": 44, "pool": "customer_service"},
                            "credit_check": {"minutes": 50, "pool": "customer_service"}},
             "pools": {"customer_service": {"cost": 560_000, "practical_minutes": 700_000}}}
    # 49,000 orders from the transactions (customer X 40,000, Y 9,000); inquiries and credit checks as counts
    n = {"X": 40_000, "Y": 9_000}
    tx = pd.DataFrame({"customer_id": np.repeat(["X", "Y"], [n["X"], n["Y"]]),
                       "order_id": np.arange(49_000).astype(str), "date": pd.Timestamp("2004-01-15"),
                       "revenue": 10.0, "cogs": 5.0})
    acts = pd.DataFrame({"customer_id": ["X", "Y", "X", "Y"], "date": pd.Timestamp("2004-02-01"),
                         "activity": ["inquiry", "inquiry", "credit_check", "credit_check"],
                         "count": [1_000, 400, 2_000, 500]})
    led = customer_ledger(tx, acts, model)
    cap = led.unused_capacity.iloc[0]
    assert cap["rate"] == pytest.approx(0.80) and cap["minutes_used"] == pytest.approx(578_600)
    assert cap["unused_cost"] == pytest.approx(97_120)
    c = led.customers.set_index("customer_id")
    assert c.loc["X", "cts_order"] == pytest.approx(40_000 * 6.40)
    assert c.loc["Y", "cts_inquiry"] == pytest.approx(400 * 35.20)
    assert c.loc["Y", "cts_credit_check"] == pytest.approx(500 * 40.00)
    assert c["cost_to_serve"].sum() + cap["unused_cost"] == pytest.approx(560_000)  # nothing lost, nothing spread


def test_excluded_rows_are_counted_in_the_ledger():
    tx, acts, customers = small_inputs()
    tx.loc[len(tx)] = ["C", "9", pd.Timestamp("2024-07-01"), -5.0, -2.0, "phone", False, True]  # refund, no sale
    acts.loc[len(acts)] = ["Z", pd.Timestamp("2024-06-02"), "visit", 1, np.nan]                # unknown customer
    with pytest.raises(DataError, match="refund"):
        customer_ledger(tx, acts, MODEL, customers)
    led = customer_ledger(tx, acts, MODEL, customers, on_invalid="exclude")
    got = {(r.table, r.kind): r.rows for r in led.excluded.itertuples()}
    assert got == {("transactions", "refund without order"): 1, ("activities", "unknown customer"): 1}
    assert "excluded by validation" in led.summary()
    assert led.customers["revenue"].sum() == pytest.approx(260.0)


def test_activities_loaded_without_a_cost_model_are_checked_by_the_ledger():
    tx, acts, _ = small_inputs()
    acts.loc[0, "activity"] = "courier"
    loaded = load_activities(acts)
    with pytest.raises(DataError, match="courier") as err:
        customer_ledger(tx, loaded, {k: v for k, v in MODEL.items() if k != "fixed"})
    assert err.value.issues["kind"].tolist() == ["unknown activity"]


def test_fixed_costs_need_segments():
    tx, acts, _ = small_inputs()
    with pytest.raises(ValueError, match="fixed costs per segment"):
        customer_ledger(tx, acts, MODEL)


def test_ledger_without_cost_model_is_the_gross_margin():
    led = customer_ledger(small_inputs()[0])
    assert (led.customers["net_profit"] == led.customers["gross_margin"]).all()
    assert led.totals()["revenue"] == pytest.approx(260.0)


def cdnow_transactions() -> pd.DataFrame:
    try:
        from cfresearch.profit.cdnow import load_cdnow

        tx = load_cdnow("transactions")
    except ImportError:  # pragma: no cover - the lifetimes file as it is
        tx = pd.read_csv(CDNOW_DIR / "CDNOW_sample.txt", sep=r"\s+", header=None,
                         names=["master_id", "customer_id", "date", "quantity", "revenue"], dtype=str)
        tx = tx.assign(customer_id=tx["customer_id"].astype(int).astype(str), revenue=tx["revenue"].astype(float),
                       date=pd.to_datetime(tx["date"], format="%Y%m%d"), order_id=[str(i) for i in range(len(tx))])
    return tx.assign(cogs=0.0)[["customer_id", "order_id", "date", "revenue", "cogs"]]


def test_cdnow_summary_reproduces_the_published_one():
    ours = summarise_purchases(cdnow_transactions(), end="1997-09-30", unit="W").set_index("customer_id")
    ref = pd.read_csv(CDNOW_DIR / "cdnow_customers_summary.csv", dtype={"ID": str}).set_index("ID")
    zbar = pd.read_csv(CDNOW_DIR / "cdnow_customers_summary_with_transactions.csv", dtype={"ID": str}).set_index("ID")
    assert len(ours) == len(ref) == 2357 and set(ours.index) == set(ref.index)
    ours = ours.loc[ref.index]
    assert (ours["frequency"] == ref["frequency"]).all()
    assert ours["frequency"].sum() == 2457 and (ours["frequency"] > 0).sum() == 946  # Fader, Hardie & Lee (2005)
    np.testing.assert_allclose(ours["recency"].round(2), ref["recency"], atol=1e-9)
    np.testing.assert_allclose(ours["T"].round(2), ref["T"], atol=1e-9)
    # zbar is rounded half up to cents in the file
    np.testing.assert_allclose(ours["monetary_value"], zbar.loc[ref.index, "zbar"], atol=0.005 + 1e-9)
    assert ours.loc["1"].tolist() == pytest.approx([2, 213 / 7, 272 / 7, (29.73 + 14.96) / 2])


def test_summary_in_days_on_margin_collapses_same_day_purchases():
    tx = pd.DataFrame({"customer_id": ["a"] * 4, "order_id": ["1", "2", "3", "4"],
                       "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-11", "2024-02-01"]),
                       "revenue": [10.0, 5.0, 20.0, 99.0], "cogs": [4.0, 2.0, 8.0, 0.0]})
    s = summarise_purchases(tx, end="2024-01-31", unit="D", value="margin")
    assert s.iloc[0].tolist()[1:] == [1, 10.0, 30.0, 12.0]  # the day-1 orders are one purchase; Feb is after `end`
    with pytest.raises(ValueError, match="unit must be one of"):
        summarise_purchases(tx, end="2024-01-31", unit="M")


def test_loaded_tables_are_reused():
    tx = load_transactions(small_inputs()[0])
    assert summarise_purchases(tx, end="2024-12-31")["frequency"].tolist() == [1, 0, 0]


def test_the_sample_ledger_reproduces_its_generating_truth():
    """The bundled sample's P&L, segments and whale curve are the figures its generator wrote into truth.yaml."""
    import yaml

    from cfresearch.paths import sample_dir
    from cfresearch.profit.whale import whale_curve

    base = sample_dir() / "profitability"
    truth = yaml.safe_load((base / "truth.yaml").read_text(encoding="utf-8"))["ledger"]
    led = customer_ledger(base / "transactions.csv", base / "activities.csv", base / "cost_model.yaml",
                          base / "customers.csv", start="2024-01-01", end="2025-12-31")
    totals = led.totals()
    for key, value in truth["totals"].items():
        assert totals["fixed_cost" if key == "fixed" else key] == pytest.approx(value, abs=0.01), key
    seg = led.customers.groupby("segment")
    for name, figures in truth["by_segment"].items():
        assert seg.size()[name] == figures["customers"]
        assert seg["net_profit"].sum()[name] == pytest.approx(figures["net_profit"], abs=0.01)
        assert (seg.get_group(name)["net_profit"] < 0).sum() == figures["loss_making"]
    wc = whale_curve(led.customers)
    assert wc.top(0.2) / 100 == pytest.approx(truth["whale"]["top_20_percent_share"], abs=1e-4)
    assert round(wc.peak_share * wc.n) == truth["whale"]["peak_at_customers"]
    assert wc.peak_pct / 100 == pytest.approx(truth["whale"]["peak_share"], abs=1e-4)


def test_large_results_come_back_through_a_file_unchanged(monkeypatch):
    """Millions of customers come back from DuckDB through a Parquet file (the engine's memory is free before
    pandas builds the frame): the sample ledger and its purchase summary, forced that way, are the same frames."""
    from cfresearch.paths import sample_dir
    from cfresearch.profit import engine as engine_mod
    from cfresearch.profit import ledger as ledger_mod

    base = sample_dir() / "profitability"

    def run():
        tx = load_transactions(base / "transactions.csv", start="2024-01-01", end="2025-12-31")
        led = customer_ledger(tx, base / "activities.csv", base / "cost_model.yaml", base / "customers.csv")
        return led.customers, summarise_purchases(tx, end="2025-06-30")

    streamed = run()
    files = []
    real = engine_mod._fetch_via_file
    monkeypatch.setattr(engine_mod, "_fetch_via_file", lambda con, sql: files.append(sql) or real(con, sql))
    monkeypatch.setattr(ledger_mod, "_LARGE_RESULT", 100)
    through_file = run()
    assert len(files) == 2 and len(streamed[0]) > 4000
    for a, b in zip(streamed, through_file):
        pd.testing.assert_frame_equal(a, b)
