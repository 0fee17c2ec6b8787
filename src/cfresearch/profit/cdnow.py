"""The CDNOW sample: 2,357 customers of the online music retailer CDNOW, the benchmark data of the lifetime-value
literature (Fader, Hardie & Lee 2005, "'Counting your customers' the easy way", *Marketing Science* 24(2); and
the Pareto/NBD and Gamma-Gamma notes on brucehardie.com).

The customers are the 1/10th sample of the cohort who made their first purchase at CDNOW in the first quarter of
1997 (1 January to 31 March 1997); their purchases are followed to the end of June 1998 (78 weeks). The papers
calibrate on the first 39 weeks, to 1997-09-30, and hold out weeks 40-78.

:func:`load_cdnow` reads the files bundled in ``cdnow_data/`` (copied from the MIT-licensed ``lifetimes`` 0.11.3
wheel, which took them from Bruce Hardie's website; see ``cdnow_data/README.md``):

* ``kind="summary"``: the calibration summary in the papers' convention (weeks, to 1997-09-30): customer_id,
  frequency (repeat purchases x), recency (t_x, weeks from the first to the last purchase), T (weeks from the
  first purchase to the end of week 39) and monetary_value (the mean value of the repeat purchases, zbar in the
  Gamma-Gamma note; 0 when there is none). The weeks are rounded to two decimals, as in Hardie's spreadsheets:
  these are the values every published estimate was computed from.
* ``kind="transactions"``: the 6,919 purchase records: customer_id (the sample's 1..2357, as text),
  master_id (the id in the full CDNOW file), order_id, date, quantity (CDs bought) and revenue (US dollars).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cfresearch.checks import check_choice

__all__ = ["CALIBRATION_END", "load_cdnow"]

_DATA = Path(__file__).resolve().parent / "cdnow_data"

#: The last day of the papers' 39-week calibration period.
CALIBRATION_END = pd.Timestamp("1997-09-30")


def load_cdnow(kind: str = "summary") -> pd.DataFrame:
    """The CDNOW sample of 2,357 customers: the calibration summary (weeks) or the purchase records.

    >>> s = load_cdnow()
    >>> s.shape, int(s["frequency"].sum()), (s["frequency"] > 0).sum()
    ((2357, 5), 2457, np.int64(946))
    >>> s.iloc[0].to_dict()
    {'customer_id': '1', 'frequency': 2, 'recency': 30.43, 'T': 38.86, 'monetary_value': 22.35}
    >>> tx = load_cdnow("transactions")
    >>> len(tx), tx["date"].min().date(), tx["date"].max().date()
    (6919, datetime.date(1997, 1, 1), datetime.date(1998, 6, 30))
    """
    check_choice(kind, ("summary", "transactions"), where="load_cdnow", what="kind")
    if kind == "transactions":
        return _transactions()
    frame = pd.read_csv(_DATA / "cdnow_customers_summary_with_transactions.csv", dtype={"ID": str})
    frame = frame.rename(columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    return frame[["customer_id", "frequency", "recency", "T", "monetary_value"]]


def _transactions() -> pd.DataFrame:
    raw = pd.read_csv(_DATA / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "quantity", "revenue"],
                      dtype={"master_id": str, "customer_id": int, "date": str})
    raw["customer_id"] = raw["customer_id"].astype(str)  # the sample id without its zero padding, as in the summary
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    raw["order_id"] = raw["customer_id"] + "-" + (raw.groupby("customer_id").cumcount() + 1).astype(str)
    return raw[["customer_id", "master_id", "order_id", "date", "quantity", "revenue"]]
