"""RFM values, scores, cells and the recency-frequency segment grid.

Peer: pymc-marketing's ``rfm_segments`` needs Python 3.12 and is not runnable here. The common pandas recipe
of RFM tutorials (the Miuul CRM-analytics course and many Kaggle notebooks on UCI Online Retail II, which is
where the RF segment grid comes from) is run side by side instead:
``pd.qcut(x.rank(method="first"), 5, labels=[1, 2, 3, 4, 5])``, with recency reversed. The rest are hand-worked
values and invariants (row order, ties, the grid partitions the 5×5 R×F plane).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from cfresearch.profit.rfm import RF_GRID, rfm, rfm_scores


def transactions(n_customers: int = 200, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_customers):
        k = int(rng.geometric(0.45))  # many one- and two-order customers: ties in frequency
        days = rng.integers(0, 365, size=k)
        for j, d in enumerate(days):
            rows.append({"customer_id": f"c{i:04d}", "order_id": f"o{i}-{j}",
                         "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d)),
                         "revenue": float(np.round(rng.gamma(2.0, 30.0), 2))})
    return pd.DataFrame(rows)


def recipe(per: pd.DataFrame) -> pd.DataFrame:
    """The tutorials' recipe on the per-customer table sorted by customer id."""
    per = per.sort_values("customer_id").reset_index(drop=True)
    labels = [1, 2, 3, 4, 5]
    return pd.DataFrame({
        "customer_id": per["customer_id"],
        "r": pd.qcut((-per["recency"]).rank(method="first"), 5, labels=labels).astype(int),
        "f": pd.qcut(per["frequency"].rank(method="first"), 5, labels=labels).astype(int),
        "m": pd.qcut(per["monetary"].rank(method="first"), 5, labels=labels).astype(int)})


def test_raw_values_by_hand():
    tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "c"], "order_id": ["1", "1", "2", "3", "4"],
                       "date": pd.to_datetime(["2024-05-01", "2024-05-01", "2024-06-10", "2024-06-30",
                                               "2024-01-31"]),
                       "revenue": [10.0, 5.0, 20.0, 7.0, 100.0]})
    out = rfm(tx, end="2024-06-30", segments=None).customers.set_index("customer_id")
    # a: order 1 has two lines (one order), last purchase 10 June = 20 days before the end, 35 spent
    assert out.loc["a", ["recency", "frequency", "monetary"]].tolist() == [20.0, 2, 35.0]
    assert out.loc["b", ["recency", "frequency", "monetary"]].tolist() == [0.0, 1, 7.0]
    assert out.loc["c", "recency"] == 151.0  # 31 Jan to 30 Jun 2024 (a leap year)
    mean = rfm(tx, end="2024-06-30", segments=None, monetary="mean").customers.set_index("customer_id")
    assert mean.loc["a", "monetary"] == 17.5


def test_scores_match_the_tutorial_recipe_with_ties_first():
    tx = transactions()
    ours = rfm(tx, ties="first").customers.sort_values("customer_id").reset_index(drop=True)
    peer = recipe(ours[["customer_id", "recency", "frequency", "monetary"]])
    for col in ("r", "f", "m"):
        assert ours[col].tolist() == peer[col].tolist(), col
    # the table really has ties, so the comparison tests the tie rule too
    assert ours["frequency"].value_counts().iloc[0] > 40


def test_ties_keep_gives_identical_behaviour_identical_scores():
    tx = transactions()
    keep = rfm(tx).customers.set_index("customer_id")
    first = rfm(tx, ties="first").customers.set_index("customer_id")
    for raw, col in (("frequency", "f"), ("recency", "r"), ("monetary", "m")):
        groups = keep.groupby(raw)[col]
        assert (groups.nunique() == 1).all(), col
        # the shared score is the lowest "first" score of the group
        assert groups.first().tolist() == first.groupby(raw)[col].min().tolist()
    # one-time buyers are the largest frequency group and all get f = 1
    assert set(keep.loc[keep["frequency"] == 1, "f"]) == {1}


def test_row_order_does_not_change_the_scores():
    tx = transactions()
    a = rfm(tx).customers.set_index("customer_id").sort_index()
    b = rfm(tx.sample(frac=1.0, random_state=5)).customers.set_index("customer_id").sort_index()
    pd.testing.assert_frame_equal(a, b)


def test_recent_is_five_and_scores_are_balanced_without_ties():
    values = np.arange(20.0)
    assert rfm_scores(values).tolist() == [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4
    # recency: fewer days since the last purchase is better
    assert rfm_scores(values, higher_is_better=False).tolist() == [5] * 4 + [4] * 4 + [3] * 4 + [2] * 4 + [1] * 4
    assert rfm_scores([1.0, np.nan, 3.0], bins=2).tolist() == [1, 0, 2]


def test_rf_grid_is_a_partition_of_the_5_by_5_plane():
    import re

    for r, f in itertools.product("12345", repeat=2):
        hits = [name for name, pats in RF_GRID.items() if any(re.fullmatch(p, r + f) for p in pats)]
        assert len(hits) == 1, (r + f, hits)
    tx = transactions()
    res = rfm(tx)
    c = res.customers
    assert c["segment"].notna().all()
    spots = {"55": "Champions", "11": "Hibernating", "15": "Can't lose them", "51": "New customers",
             "33": "Need attention", "41": "Promising", "32": "About to sleep", "44": "Loyal customers",
             "52": "Potential loyalists", "24": "At risk"}
    for rf, name in spots.items():
        rows = c[c["cell"].str[:2] == rf]
        assert (rows["segment"] == name).all(), rf
    seg = res.segments()
    assert seg["n"].sum() == len(c) and seg["share"].sum() == pytest.approx(1.0)
    assert seg["monetary_share"].sum() == pytest.approx(1.0)
    assert "RFM of 200 customers" in res.summary() and "<table" in res._repr_html_()


def test_custom_rules_and_bins():
    tx = transactions()
    res = rfm(tx, bins=4, segments={"Best": [r"44\d"], "Lapsed": [r"1\d\d"]})
    c = res.customers
    assert c[["r", "f", "m"]].max().max() == 4
    assert (c.loc[c["cell"].str.startswith("44"), "segment"] == "Best").all()
    assert (c.loc[c["cell"].str.startswith("1"), "segment"] == "Lapsed").all()
    assert c.loc[c["cell"].str.match(r"[23]"), "segment"].isna().all()
    with pytest.raises(ValueError, match="5-point scores"):
        rfm(tx, bins=4)


def test_end_date_refunds_and_excluded_rows():
    tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"], "order_id": ["1", "2", "3", "4"],
                       "date": pd.to_datetime(["2024-01-10", "2024-01-20", "2024-03-01", "2024-01-15"]),
                       "revenue": [50.0, -20.0, 30.0, 10.0]})
    res = rfm(tx, end="2024-01-31", segments=None)
    c = res.customers.set_index("customer_id")
    # the March order is after the end; the refund counts for money but is not a purchase
    assert res.excluded == 1
    assert c.loc["a", ["recency", "frequency", "monetary"]].tolist() == [21.0, 1, 30.0]
    assert "1 transaction rows after the end date were left out" in res.summary()


def test_ledger_and_summary_inputs():
    ledger = pd.DataFrame({"customer_id": ["a", "b"], "orders": [3, 1], "revenue": [90.0, 10.0],
                           "last_date": pd.to_datetime(["2024-12-01", "2024-12-31"])})
    c = rfm(ledger, bins=2, segments=None).customers
    assert c["recency"].tolist() == [30.0, 0.0] and c["frequency"].tolist() == [3, 1]
    assert c["cell"].tolist() == ["122", "211"]
    summary = pd.DataFrame({"customer_id": ["a", "b"], "frequency": [2, 0], "recency": [30.0, 0.0],
                            "T": [38.0, 20.0], "monetary_value": [25.0, 0.0]})
    s = rfm(summary, bins=2, segments=None)
    # recency since the last purchase = T − recency; purchase occasions = repeat purchases + 1
    assert s.customers["recency"].tolist() == [8.0, 20.0]
    assert s.customers["frequency"].tolist() == [3.0, 1.0]
    assert s.kind == "summary" and s.end is None
    with pytest.raises(ValueError, match="cannot tell the input"):
        rfm(pd.DataFrame({"customer_id": ["a"], "x": [1]}))
