"""One ledger, three engines: DuckDB, Spark in local mode and the pandas reference path give the same customers.

The same Ibis expressions run on DuckDB and on Spark (local[2], one session for the module); the pandas path is a
separate implementation with pandas group-bys. On a generated ledger with refunds, deliveries, several channels,
recorded and unit-time minutes, fixed costs per segment and invalid rows (excluded), the per-customer P&L, the
exclusions, the unused capacity and the purchase summary (also on CDNOW) must agree: integers, dates and texts
exactly, money to 1e-9 relative (sums in another order).

Spark needs PySpark (``pip install cfresearch[spark]``) and Java 17 (``make java``); in CI (``$CI`` set) their
absence fails this module instead of skipping it.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest

from cfresearch.profit.engine import get_engine, spark_session
from cfresearch.profit.ledger import customer_ledger, summarise_purchases

pytestmark = pytest.mark.slow

try:
    import pyspark  # noqa: F401

    MISSING = None if shutil.which("java") else "java (Debian's openjdk-17-jre-headless; `make java`)"
except ImportError:
    MISSING = "pyspark (pip install 'cfresearch[spark]')"
if MISSING:
    if os.environ.get("CI"):
        raise RuntimeError(f"the Spark engine test needs {MISSING}: `make test` installs it")
    pytest.skip(f"{MISSING} not installed (make test installs it)", allow_module_level=True)

MODEL = {"currency": "EUR",
         "activities": {"order": {"rate": 1.20, "driver": "transactions"},
                        "delivery": {"rate": 6.50, "driver": "transactions"},
                        "return": {"minutes": 12, "pool": "returns_desk", "driver": "transactions"},
                        "support_contact": {"minutes": 9, "pool": "service_desk"},
                        "visit": {"rate": 55.0}},
         "pools": {"service_desk": {"cost": 18_000, "practical_minutes": 30_000, "period": "year"},
                   "returns_desk": {"cost": 4_000, "practical_minutes": 10_000}},
         "fixed": {"Business": 5_000.0, "Public": 1_000.0}}


def generated(seed: int = 7, n: int = 3000, n_cust: int = 400):
    rng = np.random.default_rng(seed)
    cust = np.char.add("K", rng.integers(0, n_cust, n).astype(str))
    date = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    revenue = np.round(rng.gamma(2.0, 25.0, n), 2)
    tx = pd.DataFrame({"customer_id": cust, "order_id": np.char.add("O", (np.arange(n) // 2).astype(str)),
                       "date": date, "revenue": revenue, "cogs": np.round(revenue * rng.uniform(0.4, 0.8, n), 2),
                       "quantity": rng.integers(1, 5, n),
                       "channel": rng.choice(["online", "store", "phone"], n, p=[0.5, 0.35, 0.15]),
                       "delivered": rng.random(n) < 0.5, "returned": False})
    tx["customer_id"] = tx.groupby("order_id")["customer_id"].transform("first")  # an order has one customer
    tx["date"] = tx.groupby("order_id")["date"].transform("first")
    sold = tx.drop_duplicates("order_id").sample(60, random_state=seed)
    refunds = sold.assign(revenue=-sold["revenue"], cogs=-sold["cogs"], returned=True, delivered=False,
                          date=sold["date"] + pd.Timedelta(days=10))
    bad = tx.sample(5, random_state=seed + 1).assign(quantity=-1)                       # 5 invalid rows
    tx = pd.concat([tx, refunds, bad, tx.iloc[[3]]], ignore_index=True)                  # + 1 duplicate line
    m = 900
    acts = pd.DataFrame({"customer_id": np.char.add("K", rng.integers(0, n_cust + 20, m).astype(str)),
                         "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, m), unit="D"),
                         "activity": rng.choice(["support_contact", "visit"], m, p=[0.85, 0.15]),
                         "count": rng.integers(1, 3, m),
                         "minutes": np.where(rng.random(m) < 0.4, np.round(rng.gamma(2, 6, m), 1), np.nan)})
    customers = pd.DataFrame({"customer_id": [f"K{i}" for i in range(n_cust)],
                              "segment": rng.choice(["Business", "Consumer", "Public"], n_cust),
                              "region": rng.choice(["North", "South"], n_cust)})
    return tx, acts, customers


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]")
    yield get_engine(session)
    session.stop()


@pytest.fixture(scope="module")
def ledgers(spark):
    tx, acts, customers = generated()
    kw = {"start": "2023-01-01", "end": "2024-12-31", "on_invalid": "exclude"}
    return {name: customer_ledger(tx, acts, MODEL, customers, engine=eng, **kw)
            for name, eng in (("duckdb", "duckdb"), ("pandas", "pandas"), ("spark", spark))}


@pytest.mark.parametrize("other", ["spark", "pandas"])
def test_same_customers_on_every_engine(ledgers, other):
    ours, theirs = ledgers["duckdb"], ledgers[other]
    assert theirs.engine == other
    tx, acts, customers = generated()
    known = set(customers["customer_id"])
    expected = set(tx["customer_id"]) | (set(acts["customer_id"]) & known)  # activity-only customers count too
    assert len(set(tx["customer_id"])) < len(expected)
    assert set(ours.customers["customer_id"]) == expected
    pd.testing.assert_frame_equal(ours.customers, theirs.customers, check_exact=False, rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(ours.unused_capacity, theirs.unused_capacity, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(ours.excluded, theirs.excluded)


def test_the_generated_ledger_is_what_it_should_be(ledgers):
    led = ledgers["duckdb"]
    got = {(r.table, r.kind): r.rows for r in led.excluded.itertuples()}
    assert got == {("transactions", "negative quantity"): 5, ("transactions", "duplicate line"): 1,
                   ("activities", "unknown customer"): got[("activities", "unknown customer")]}
    assert got[("activities", "unknown customer")] > 0
    assert led.customers["n_return"].sum() == 60
    assert led.customers["fixed_cost"].sum() == pytest.approx(6_000.0)
    assert set(led.unused_capacity["pool"]) == {"service_desk", "returns_desk"}
    # the year's service desk is scaled to the two-year window: 731 days
    desk = led.unused_capacity.set_index("pool").loc["service_desk"]
    assert desk["cost"] == pytest.approx(18_000 * 731 / 365.25)


def test_same_purchase_summary_on_every_engine(spark):
    from cfresearch.profit.cdnow import load_cdnow

    cdnow = load_cdnow("transactions").assign(cogs=0.0)
    tx = generated()[0].iloc[:3000]
    for data, end in ((cdnow, "1997-09-30"), (tx, "2024-06-30")):
        base = summarise_purchases(data, end=end, engine="duckdb")
        for eng in ("pandas", spark):
            other = summarise_purchases(data, end=end, engine=eng)
            pd.testing.assert_frame_equal(base, other, check_exact=False, rtol=1e-9, atol=1e-9)
    assert base["frequency"].sum() > 0 and len(base) > 300
