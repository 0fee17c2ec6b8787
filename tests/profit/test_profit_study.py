"""The profitability study as the report uses it: one call loads, checks and costs the sample; the analyses on it
recover what the sample's generator put in (truth.yaml) and hang together."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from cfresearch.paths import sample_dir
from cfresearch.profit import load_profitability, named_policy
from cfresearch.profit.policy import FewerVisits, FreeDelivery, PrioritySupport

BASE = sample_dir() / "profitability"
TRUTH = yaml.safe_load((BASE / "truth.yaml").read_text(encoding="utf-8"))


def load(**kw):
    return load_profitability(BASE / "transactions.csv", BASE / "activities.csv", BASE / "cost_model.yaml",
                              BASE / "customers.csv", start="2024-01-01", end="2025-12-31", **kw)


@pytest.fixture(scope="module")
def study():
    return load()


@pytest.fixture(scope="module")
def value(study):
    return study.lifetime_value(holdout_weeks=26, horizon_months=12, discount_rate=0.10)


def test_the_study_is_the_generators_ledger(study):
    assert study.ledger.totals()["net_profit"] == pytest.approx(TRUTH["ledger"]["totals"]["net_profit"], abs=0.01)
    assert study.excluded_rows() == 0
    intro = str(study.introduction())
    assert "**5,000 customers** with 15,938 orders" in intro and "1 January 2024 to 31 December 2025" in intro
    assert "cost\\_model.yaml" in intro and "../" not in intro and "failed validation" not in intro


def test_the_pandas_reference_path_gives_the_same_study(study):
    other = load(engine="pandas")
    pd.testing.assert_frame_equal(study.pnl, other.pnl, check_exact=False, rtol=1e-9)


def test_the_cost_breakdown_adds_up_to_the_cost_to_serve(study):
    b = study.cost_breakdown()
    assert b["cost"].sum() == pytest.approx(study.pnl["cost_to_serve"].sum())
    assert b["share"].sum() == pytest.approx(1.0)
    delivery = b.set_index("activity").loc["delivery"]
    assert delivery["per_event"] == pytest.approx(8.50)  # the cost model's rate
    assert delivery["cost"] == pytest.approx(TRUTH["ledger"]["totals"]["cts_delivery"])


def test_the_calibration_fit_recovers_the_generating_parameters(value):
    """The sample's purchases were drawn from a BG/NBD with known r, alpha, a, b (weeks): each estimate lies within
    three standard errors of the truth."""
    fit = value.calibration["BG/NBD"]
    truth = TRUTH["purchases"]
    for name in ("r", "alpha", "a", "b"):
        assert abs(fit.params[name] - truth[name]) < 3 * fit.se[name], (name, fit.params[name], truth[name])


def test_the_holdout_check_is_close_and_the_values_add_up(value):
    acc = value.accuracy().set_index("model")
    assert set(acc.index) == {"BG/NBD", "Pareto/NBD"}
    assert abs(acc.loc[value.chosen, "percent_error"]) < 5  # within 5% of the actual repeat purchases
    assert acc.loc[value.chosen, "actual"] == value.checks["BG/NBD"].metric("total_actual")
    assert len(value.values) == 5000 and value.values["p_alive"].between(0, 1).all()
    assert value.by_segment["clv"].sum() == pytest.approx(value.total())
    assert 0 < value.top_share(0.1) <= 1
    assert value.spend.params["p"] > 0 and abs(value.frequency_spend.estimate) < 0.1  # spend drawn independently


def test_policy_what_ifs_break_even_where_they_say(study):
    for policy in (named_policy("free_delivery", threshold=30), named_policy("priority_support", top=0.1),
                   named_policy("fewer_visits", bottom=0.5)):
        res = study.what_if(policy, response=0.05)
        if pd.notna(res.break_even) and res.break_even != 0:
            assert res.change_at(res.break_even) == pytest.approx(0.0, abs=1e-6)
        assert res.by_segment.set_index("segment").loc["Total", "change"] == pytest.approx(res.change_at(0.05))
    assert isinstance(named_policy("free_delivery"), FreeDelivery)
    assert isinstance(named_policy("priority_support"), PrioritySupport)
    assert isinstance(named_policy("fewer_visits"), FewerVisits)


def test_free_delivery_gives_up_the_fees_on_baskets_above_the_threshold(study):
    res = study.what_if(named_policy("free_delivery", threshold=30), response=0.0)
    tx = study.frame
    orders = tx[~tx["returned"]].groupby("order_id").agg(revenue=("revenue", "sum"), fee=("delivery_fee", "sum"))
    given_up = orders.loc[orders["revenue"] >= 30, "fee"].sum()
    years = 731 / 365.25
    assert res.change_at(0.0) == pytest.approx(-given_up / years, rel=1e-6)


def test_bad_rows_are_excluded_and_counted(tmp_path):
    tx = pd.read_csv(BASE / "transactions.csv", dtype=str)
    tx.loc[4, "quantity"] = "-2"
    tx.loc[9, "date"] = "2031-01-01"
    path = tmp_path / "transactions.csv"
    tx.to_csv(path, index=False)
    s = load_profitability(path, BASE / "activities.csv", BASE / "cost_model.yaml", BASE / "customers.csv",
                           start="2024-01-01", end="2025-12-31")
    assert s.excluded_rows() == 2
    intro = str(s.introduction())
    assert "**2 rows failed validation and were left out**" in intro and "negative quantity" in intro


def test_a_duckdb_database_file_is_read_in_place(study, tmp_path):
    """The ledger in a DuckDB database file (tables named by ``tables=``) gives the same P&L as the CSV files."""
    import duckdb

    db = tmp_path / "ledger.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE sales AS SELECT * FROM read_parquet('{BASE / 'transactions.parquet'}')")
        con.execute(f"CREATE TABLE acts AS SELECT * FROM read_csv('{BASE / 'activities.csv'}')")
    before = db.stat().st_mtime_ns
    other = load_profitability(db, db, BASE / "cost_model.yaml", BASE / "customers.csv", start="2024-01-01",
                               end="2025-12-31", tables={"transactions": "sales", "activities": "acts"})
    pd.testing.assert_frame_equal(study.pnl, other.pnl, check_exact=False, rtol=1e-9)
    assert db.stat().st_mtime_ns == before
    with pytest.raises(ValueError, match="tables names the sources"):
        load_profitability(db, None, BASE / "cost_model.yaml", tables={"sales": "sales"})
