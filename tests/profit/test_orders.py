"""The one pass over the orders that validation and the ledger share (cfresearch.profit.orders).

Checked against plain pandas group-bys written here, packed and unpacked against each other, and the checks it
lets validation skip: they are skipped only where no order could hold the problem, and still found where one does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cfresearch.data import DataError
from cfresearch.profit import orders, transactions
from cfresearch.profit.engine import get_engine
from cfresearch.profit.ledger import customer_ledger
from cfresearch.profit.transactions import load_transactions

CHANNELS = ["online", "phone", "store"]


def random_lines(n: int = 4000, seed: int = 3) -> pd.DataFrame:
    """Lines of many orders: several lines per order, refunds, missing channels, repeated revenues."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": rng.integers(0, 250, n).astype(str), "order_id": rng.integers(0, 8, n).astype(str),
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 200, n), "D"),
        "revenue": rng.integers(1, 6, n).astype(float), "cogs": 1.0,
        "channel": rng.choice(np.array(CHANNELS + [None], dtype=object), n),
        "delivered": rng.random(n) < 0.5, "returned": rng.random(n) < 0.25, "delivery_fee": 0.5})


def by_pandas(lines: pd.DataFrame) -> pd.DataFrame:
    """The module docstring's columns, computed with pandas (an order: customer_id + order_id)."""
    x = lines.assign(sale=~lines["returned"])
    x["dsale"] = x["delivered"] & x["sale"]
    x["sale_date"] = x["date"].where(x["sale"])
    x["sale_channel"] = x["channel"].where(x["sale"])
    o = x.groupby(["customer_id", "order_id"]).agg(
        n=("sale", "size"), revenue=("revenue", "sum"), cogs=("cogs", "sum"),
        fee=("delivery_fee", "sum"), sale=("sale", "any"), dsale=("dsale", "any"), ret=("returned", "any"),
        date=("sale_date", "min"), channel=("sale_channel", "min")).reset_index()
    o["orphan"] = o["ret"] & ~o["sale"]
    o["cand"] = (o["n"] > 2) | ((o["n"] == 2) & ~(o["sale"] & o["ret"]))
    for i, ch in enumerate(CHANNELS):
        o[f"_ch{i}"] = o["sale"] & (o["channel"] == ch)
    g = o.groupby("customer_id")
    out = pd.DataFrame({"orders": g["sale"].sum(), "revenue": g["revenue"].sum(), "cogs": g["cogs"].sum(),
                        "delivery_fee": g["fee"].sum(), "n_delivered": g["dsale"].sum(), "n_returned": g["ret"].sum(),
                        "first_date": g["date"].min(), "last_date": g["date"].max(),
                        **{f"_ch{i}": g[f"_ch{i}"].sum() for i in range(len(CHANNELS))},
                        "_orphan_orders": g["orphan"].sum(), "_dup_candidates": g["cand"].sum()})
    return out.reset_index()


@pytest.mark.parametrize("packed", [True, False])
def test_orders_per_customer_is_what_pandas_counts(packed):
    lines = random_lines()
    e = get_engine("duckdb")
    got = e.collect(orders.orders_per_customer(e.read(lines).table, CHANNELS, packed=packed).order_by("customer_id"))
    want = by_pandas(lines).sort_values("customer_id").reset_index(drop=True)
    assert want["_orphan_orders"].sum() > 20 and want["_dup_candidates"].sum() > 20  # the data exercise both
    for col in want.columns:
        if col.endswith("_date"):
            assert (pd.to_datetime(got[col]).to_numpy() == want[col].to_numpy()).all(), col
        elif col == "customer_id":
            assert got[col].tolist() == want[col].tolist()
        else:
            np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float), err_msg=col)


def test_more_channels_than_bits_count_the_same():
    lines = random_lines(1500)
    many = [f"ch{i:02d}" for i in range(70)]
    lines["channel"] = np.random.default_rng(5).choice(many, len(lines))
    e = get_engine("duckdb")
    t = e.read(lines).table
    assert len(many) > orders._PACKED
    wide = e.collect(orders.orders_per_customer(t, many).order_by("customer_id"))
    # the same counts from the first 50 channels, which still fit in the bits (the others: fewer columns)
    first = sorted(lines["channel"].unique())[:50]
    narrow = e.collect(orders.orders_per_customer(t.filter(t.channel.isin(first)), first).order_by("customer_id"))
    one = e.collect(orders.orders_per_customer(t.filter(t.channel.isin(first)), first, packed=False)
                    .order_by("customer_id"))
    pd.testing.assert_frame_equal(narrow, one)
    assert wide[[f"_ch{i}" for i in range(70)]].to_numpy().sum() == wide["orders"].sum()


def _spy(monkeypatch) -> dict:
    calls = {"orphans": 0, "duplicates": 0}
    real_orphans, real_dups = transactions._orphan_refunds, transactions._duplicate_groups

    def orphans(t):
        calls["orphans"] += 1
        return real_orphans(t)

    def dups(raw):
        calls["duplicates"] += 1
        return real_dups(raw)

    monkeypatch.setattr(transactions, "_orphan_refunds", orphans)
    monkeypatch.setattr(transactions, "_duplicate_groups", dups)
    return calls


def clean_with_refunds() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["a", "a", "b", "b"], "order_id": ["1", "1", "2", "3"],
        "date": pd.to_datetime(["2024-01-05", "2024-01-12", "2024-02-01", "2024-02-03"]),
        "revenue": [30.0, -30.0, 20.0, 12.0], "cogs": [18.0, -18.0, 12.0, 7.0],
        "returned": [False, True, False, False]})


def with_line(tx: pd.DataFrame, **values) -> pd.DataFrame:
    return pd.concat([tx, pd.DataFrame([tx.iloc[-1].to_dict() | values])], ignore_index=True)


def test_clean_refunds_skip_the_slow_checks(monkeypatch):
    calls = _spy(monkeypatch)
    t = load_transactions(clean_with_refunds())
    assert calls == {"orphans": 0, "duplicates": 0}
    assert "orders" in t.cache and t.channels == ()
    led = customer_ledger(t)
    assert "orders" not in t.cache  # the ledger took it: the engine frees it
    assert customer_ledger(t).customers.equals(led.customers)  # a second ledger counts the orders again
    assert led.customers.set_index("customer_id")[["orders", "revenue"]].to_dict("index") == {
        "a": {"orders": 1, "revenue": 0.0}, "b": {"orders": 2, "revenue": 32.0}}


def test_an_order_of_two_sale_lines_is_checked_line_by_line(monkeypatch):
    calls = _spy(monkeypatch)
    t = load_transactions(with_line(clean_with_refunds(), revenue=8.0, cogs=5.0))
    assert calls["duplicates"] == 1 and t.n_valid == 5  # checked, and nothing found: two different lines


def test_two_identical_lines_are_still_found(monkeypatch):
    calls = _spy(monkeypatch)
    tx = pd.concat([clean_with_refunds(), clean_with_refunds().iloc[[2]]], ignore_index=True)
    with pytest.raises(DataError, match=r"row 5, column order_id: value 'same as row 3'"):
        load_transactions(tx)
    assert calls["duplicates"] == 1


def test_a_third_identical_line_is_found():
    tx = with_line(with_line(clean_with_refunds(), revenue=8.0, cogs=5.0), revenue=12.0, cogs=7.0)
    with pytest.raises(DataError, match=r"row 6, column order_id: value 'same as row 4'"):  # order 3: 12, 8, 12
        load_transactions(tx)


def test_a_refund_of_another_customers_order_has_no_order():
    tx = clean_with_refunds()
    tx.loc[1, "customer_id"] = "b"  # b refunds a's order 1
    with pytest.raises(DataError, match=r"row 2, column order_id: value '1' — a refund .* no sale to the customer"):
        load_transactions(tx)


def test_rows_left_out_after_the_pass_are_left_out_of_the_ledger():
    tx = pd.concat([clean_with_refunds(), clean_with_refunds().iloc[[2]]], ignore_index=True)
    t = load_transactions(tx, on_invalid="exclude")
    assert "orders" not in t.cache  # computed before the duplicate was dropped: not kept
    assert t.cache["customers"] == 2  # the size of the ledger to come
    led = customer_ledger(t)
    assert led.customers.set_index("customer_id")["revenue"].to_dict() == {"a": 0.0, "b": 32.0}
