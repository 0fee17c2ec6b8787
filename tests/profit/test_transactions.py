"""Loading transactions, activities and customers: every check, with the row each format's user would look at.

Row numbers are checked against the files written here: CSV rows are file lines (header = line 1), Parquet and
DuckDB rows are record numbers (first = 1), as cfresearch.data documents.
"""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pandas as pd
import pytest

from cfresearch.data import DataError
from cfresearch.profit.engine import get_engine
from cfresearch.profit.transactions import load_activities, load_customers, load_transactions

MODEL = {"activities": {"order": {"rate": 1.0, "driver": "transactions"},
                        "support_contact": {"minutes": 9, "pool": "desk"}, "visit": {"rate": 50}},
         "pools": {"desk": {"cost": 100, "practical_minutes": 1000}}}


def clean_tx(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["c1", "c1", "c2", "c2", "c3", "c3"][:n], "order_id": [f"o{i}" for i in range(n)],
        "date": pd.to_datetime(["2024-01-02", "2024-02-03", "2024-03-04", "2024-04-05", "2024-05-06",
                                "2024-06-07"][:n]),
        "revenue": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0][:n], "cogs": [6.0, 12.0, 18.0, 24.0, 30.0, 36.0][:n],
        "quantity": [1, 2, 1, 1, 3, 1][:n], "channel": ["online", "store", "online", "phone", "online", "store"][:n],
        "delivered": [True, False, True, False, True, False][:n], "returned": [False] * n})


def broken_tx() -> pd.DataFrame:
    """One problem per row from the third on (rows 1 and 2 are clean); records 1..9."""
    tx = clean_tx()
    extra = pd.DataFrame({
        "customer_id": ["c3", "c1", "c2"], "order_id": ["o5", "o99", "o2"],
        "date": pd.to_datetime(["2024-06-07", "2024-06-10", "2025-03-01"]),
        "revenue": [60.0, -5.0, 30.0], "cogs": [36.0, -3.0, 18.0], "quantity": [1, 1, 1],
        "channel": ["store", "online", "online"], "delivered": [False, False, True], "returned": [False, True, False]})
    tx = pd.concat([tx, extra], ignore_index=True)
    tx.loc[2, "quantity"] = -1            # record 3: negative quantity
    tx.loc[3, "revenue"] = -40.0          # record 4: negative revenue on a sale
    return tx                             # 7: duplicate of 6; 8: refund of an unknown order; 9: after the window


def issues(err) -> set[tuple]:
    return {(r.row, r.column, r.kind) for r in err.value.issues.itertuples()}


def test_clean_transactions_load_with_their_types():
    t = load_transactions(clean_tx())
    assert (t.n_read, t.n_valid, len(t.excluded)) == (6, 6, 0)
    got = t.to_pandas()
    assert list(got.columns) == ["customer_id", "order_id", "date", "revenue", "cogs", "quantity", "channel",
                                 "delivered", "returned", "delivery_fee"]
    assert got["delivery_fee"].eq(0.0).all()  # absent: no fee income
    assert got["quantity"].dtype == "int64" and got["revenue"].sum() == 210.0
    assert (t.first_date, t.last_date) == (pd.Timestamp("2024-01-02"), pd.Timestamp("2024-06-07"))


@pytest.fixture
def broken_files(tmp_path):
    tx = broken_tx()
    csv, parquet, db = tmp_path / "tx.csv", tmp_path / "tx.parquet", tmp_path / "ledger.duckdb"
    tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d")).to_csv(csv, index=False)
    tx.to_parquet(parquet, index=False)
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE sales AS SELECT * FROM tx")
    return {"csv": csv, "parquet": parquet, "db": db}


@pytest.mark.parametrize("fmt,offset", [("csv", 1), ("parquet", 0), ("db", 0), ("frame", 0)])
def test_each_problem_is_reported_at_its_row(broken_files, fmt, offset):
    source = broken_tx() if fmt == "frame" else broken_files[fmt]
    kwargs = {"table": "sales"} if fmt == "db" else {}
    with pytest.raises(DataError) as err:
        load_transactions(source, start="2024-01-01", end="2024-12-31", **kwargs)
    expected = {(3, "quantity", "negative quantity"), (4, "revenue", "negative revenue"),
                (7, "order_id", "duplicate line"), (8, "order_id", "refund without order"),
                (9, "date", "outside window")}
    assert issues(err) == {(r + offset, c, k) for r, c, k in expected}
    assert "on_invalid='exclude'" in str(err.value)
    if fmt != "frame":
        assert str(err.value).startswith(str(broken_files[fmt]))


def test_exclude_counts_by_reason_and_keeps_the_rest(broken_files):
    before = hashlib.sha256(broken_files["csv"].read_bytes()).hexdigest()
    t = load_transactions(broken_files["csv"], start="2024-01-01", end="2024-12-31", on_invalid="exclude")
    assert hashlib.sha256(broken_files["csv"].read_bytes()).hexdigest() == before  # the raw file is only read
    assert (t.n_read, t.n_valid) == (9, 4)
    counts = dict(zip(t.excluded["kind"], t.excluded["rows"]))
    assert counts == {"negative quantity": 1, "negative revenue": 1, "outside window": 1, "duplicate line": 1,
                      "refund without order": 1}
    kept = t.to_pandas().sort_values("order_id")
    assert kept["order_id"].tolist() == ["o0", "o1", "o4", "o5"]  # one copy of the duplicated line stays
    assert set(t.issues["action"]) == {"excluded"}
    assert "5 excluded" in t.summary()


def test_bad_cells_in_a_csv_are_reported_not_crashed_on(tmp_path):
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,order_id,date,revenue,cogs,quantity,delivered\n"
                    "007,a,2024-01-05,10.5,6,1,yes\n"
                    "008,b,2024-13-05,ten,6,1.5,maybe\n"
                    ",c,2024-01-07,3,,2,0\n")
    with pytest.raises(DataError) as err:
        load_transactions(path)
    assert issues(err) == {(3, "date", "not a date"), (3, "revenue", "not a number"),
                           (3, "quantity", "not a whole number"), (3, "delivered", "not a boolean"),
                           (4, "customer_id", "missing value"), (4, "cogs", "missing value")}
    t = load_transactions(path, on_invalid="exclude")
    got = t.to_pandas()
    assert got["customer_id"].tolist() == ["007"] and bool(got["delivered"].iloc[0])  # ids keep leading zeros


def test_csv_line_numbers_hold_on_a_file_read_in_parallel(tmp_path):
    n = 300_000  # large enough for DuckDB's multi-threaded CSV reader
    rng = np.random.default_rng(1)
    tx = pd.DataFrame({"customer_id": rng.integers(0, 5000, n).astype(str), "order_id": np.arange(n).astype(str),
                       "date": "2024-01-01", "revenue": 1.0, "cogs": 0.5})
    bad = np.sort(rng.choice(n, 5, replace=False))
    tx.loc[bad, "revenue"] = -1.0
    path = tmp_path / "big.csv"
    tx.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        load_transactions(path, engine=get_engine("duckdb", threads=2))
    assert sorted(err.value.issues["row"]) == (bad + 2).tolist()  # record i (0-based) is on line i + 2
    lines = path.read_text().splitlines()
    assert all(lines[r - 1].split(",")[3] == "-1.0" for r in err.value.issues["row"])


def test_margin_column_and_renamed_columns():
    tx = clean_tx().rename(columns={"customer_id": "CustomerID", "date": "OrderDate"})
    tx["margin"] = tx.pop("cogs") * 0 + 4.0
    got = load_transactions(tx, columns={"customer_id": "CustomerID", "date": "OrderDate"}).to_pandas()
    assert (got["revenue"] - got["cogs"] == 4.0).all()


def test_missing_column_names_what_to_do():
    with pytest.raises(DataError, match=r"missing column 'cogs' \(or margin\)") as err:
        load_transactions(clean_tx().drop(columns=["cogs"]))
    assert err.value.row is None and err.value.column == "cogs"


def test_unknown_customers_and_activities():
    customers = load_customers(pd.DataFrame({"customer_id": ["c1", "c2"], "segment": ["B", "C"]}))
    acts = pd.DataFrame({"customer_id": ["c1", "c9", "c2", "c2"], "date": pd.to_datetime(["2024-01-05"] * 4),
                         "activity": ["support_contact", "visit", "courier", "order"], "count": [1, 1, 0, 1],
                         "minutes": [12.0, np.nan, 3.0, -2.0]})
    with pytest.raises(DataError) as err:
        load_activities(acts, cost_model=MODEL, customers=customers)
    assert issues(err) == {(2, "customer_id", "unknown customer"), (3, "activity", "unknown activity"),
                           (3, "count", "count below 1"), (4, "minutes", "negative minutes"),
                           (4, "activity", "derived activity")}
    t = load_activities(acts, cost_model=MODEL, customers=customers, on_invalid="exclude")
    assert t.to_pandas()["customer_id"].tolist() == ["c1"] and t.n_valid == 1


def test_a_duplicated_invalid_row_is_excluded_once_for_its_problem():
    tx = pd.concat([clean_tx(), clean_tx().iloc[[2, 4]]], ignore_index=True)  # records 7, 8 repeat 3 and 5
    tx.loc[[2, 6], "quantity"] = -1                                            # both copies of record 3 invalid
    t = load_transactions(tx, on_invalid="exclude")
    assert (t.n_read, t.n_valid) == (8, 5)
    assert dict(zip(t.excluded["kind"], t.excluded["rows"])) == {"negative quantity": 2, "duplicate line": 1}
    assert t.issues.loc[t.issues["kind"] == "duplicate line", "row"].tolist() == [8]  # record 7 is not one
    assert int(t.excluded["rows"].sum()) == t.n_read - t.n_valid


def test_duplicate_customer_ids():
    with pytest.raises(DataError) as err:
        load_customers(pd.DataFrame({"customer_id": ["a", "b", "a"], "segment": ["x", "y", "z"]}))
    assert issues(err) == {(3, "customer_id", "duplicate customer")}


def test_validate_false_trusts_the_data_but_keeps_the_window():
    t = load_transactions(broken_tx(), end="2024-12-31", validate=False)
    assert t.n_read == 8 and len(t.excluded) == 0  # the row after the window is left out, nothing is checked


def test_on_invalid_is_checked():
    with pytest.raises(ValueError, match="on_invalid must be one of"):
        load_transactions(clean_tx(), on_invalid="skip")
