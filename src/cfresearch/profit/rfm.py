"""RFM: recency, frequency and monetary value per customer, quintile scores, the RFM cell and named segments.

:func:`rfm` works from any of three inputs, recognised by their columns:

* **transactions** (a ``date`` column; contract of issue 9): recency = days from the customer's last purchase
  to ``end``; frequency = number of distinct orders (``order_id``; distinct purchase days when there is no
  order id); monetary = total revenue net of refunds (``monetary="mean"``: per order). Refund rows (negative
  revenue) count for money, not as purchases. Rows dated after ``end`` are left out and counted.
* **the customer P&L** (``last_date``, ``orders``, ``revenue``: ``CustomerLedger.customers``): recency =
  days from last_date to ``end``, frequency = orders, monetary = revenue.
* **the purchase summary** of the lifetime-value models (``frequency``, ``recency``, ``T``, Fader, Hardie &
  Lee 2005 convention): recency = T − recency (time since the last purchase, in the summary's unit),
  frequency = frequency + 1 (purchase occasions), monetary = monetary_value (the mean of the *repeat*
  purchases, 0 for one-time buyers: a one-time buyer then scores lowest on M).

**Scores** (Hughes 1994, *Strategic Database Marketing*; the quintile scoring of most RFM tools): each measure
is cut into ``bins`` equal-count groups, scored 1..bins with the highest frequency and money, and the *most
recent* purchase, scored ``bins``. Customers are ranked by the measure, ties broken by customer id (so the
result never depends on row order), and the k-th of n ranks gets the bin of ``pandas.qcut(rank, bins)`` —
exactly the common recipe ``pd.qcut(x.rank(method="first"), 5, labels=[1, 2, 3, 4, 5])``. With
``ties="keep"`` (default) customers with the same value then share the *lowest* score of their group:
identical behaviour gets an identical score, and a block of ties (say the 60% of customers who bought once)
is not spread over three scores by the accident of their ids; some scores may then be empty. ``ties="first"``
keeps equal-count bins (the recipe above; ties split by customer id). pandas' ``qcut(..., duplicates="drop")``
on the raw values was not used: it silently merges bins, so "5" stops meaning "top fifth".

**Cell and segments.** The cell is the three scores as text ("545"). The named segments follow the
recency-frequency grid widely used with 5-point scores (the regex map ``[1-2][1-2]`` → hibernating, ...,
``5[4-5]`` → champions, from the Miuul CRM-analytics course and many Kaggle notebooks on the UCI Online Retail
II data), a complete, non-overlapping partition of the 5×5 R×F grid into ten segments (:data:`RF_GRID`). It
has no separate "Lost": R 1-2 with F 1-2 is "Hibernating". ``segments=`` takes another rule table
(name → regular expressions on the cell, first match wins).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cfresearch.checks import check_choice, check_frame, require_columns
from cfresearch.results import Result

__all__ = ["RF_GRID", "RFMResult", "rfm", "rfm_scores"]

#: The 10-segment recency × frequency grid for 5-point scores: segment -> patterns on the "RF" digits.
RF_GRID: dict[str, tuple[str, ...]] = {
    "Champions": ("5[4-5]",),
    "Loyal customers": ("[3-4][4-5]",),
    "Potential loyalists": ("[4-5][2-3]",),
    "New customers": ("51",),
    "Promising": ("41",),
    "Need attention": ("33",),
    "About to sleep": ("3[1-2]",),
    "Can't lose them": ("[1-2]5",),
    "At risk": ("[1-2][3-4]",),
    "Hibernating": ("[1-2][1-2]",),
}
_KINDS = ("transactions", "ledger", "summary")


def rfm_scores(values, *, bins: int = 5, ties: str = "keep", ids=None, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1..``bins`` of ``values`` by equal-count bins of their ranks (see the module docstring).

    Ranks are taken in ascending order of ``values`` (descending when ``higher_is_better`` is False), ties
    broken by ``ids`` (by position when None); rank k of n gets the bin of ``pandas.qcut`` on 1..n. With
    ``ties="keep"`` equal values share the lowest score of their group. NaN values get score 0.

    >>> rfm_scores([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    array([1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    >>> rfm_scores([1, 1, 1, 1, 1, 1, 2, 2, 3, 4]), rfm_scores([1, 1, 1, 1, 1, 1, 2, 2, 3, 4], ties="first")
    (array([1, 1, 1, 1, 1, 1, 4, 4, 5, 5]), array([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]))
    """
    check_choice(ties, ("keep", "first"), where="rfm_scores", what="ties")
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins < 2:
        raise ValueError(f"rfm_scores: bins must be a whole number >= 2; got {bins!r}")
    x = np.asarray(values, dtype=float)
    ok = ~np.isnan(x)
    out = np.zeros(x.size, dtype=np.int64)
    n = int(ok.sum())
    if n == 0:
        return out
    key = x[ok] if higher_is_better else -x[ok]
    tie = np.arange(x.size)[ok] if ids is None else pd.Series(np.asarray(ids)[ok]).astype(str).to_numpy()
    order = np.lexsort((tie, key))
    edges = np.quantile(np.arange(1, n + 1, dtype=float), np.linspace(0, 1, bins + 1))
    score_by_rank = np.searchsorted(edges[1:-1], np.arange(1, n + 1), side="left") + 1  # right-closed bins
    scores = np.empty(n, dtype=np.int64)
    scores[order] = score_by_rank
    if ties == "keep":
        # the lowest score of each group of equal values (scores are non-decreasing along the ranks)
        sorted_key = key[order]
        first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        scores[order] = score_by_rank[group_start]
    out[ok] = scores
    return out


@dataclass(frozen=True, eq=False)
class RFMResult(Result):
    """RFM values, scores, cells and segments of :func:`rfm`.

    ``customers`` (``to_frame()``): customer_id, recency, frequency, monetary (raw values), r, f, m (scores),
    cell ("545") and segment. ``unit`` is the unit of recency ("days", or the summary's unit). ``kind`` says
    which input was read; ``excluded`` counts transaction rows after ``end``. :meth:`segments` summarises the
    segments.
    """

    customers: pd.DataFrame
    end: pd.Timestamp | None
    bins: int
    ties: str
    kind: str
    unit: str
    scheme: str
    excluded: int = 0

    def to_frame(self) -> pd.DataFrame:
        """One row per customer (see the class docstring)."""
        return self.customers.copy()

    def segments(self) -> pd.DataFrame:
        """One row per segment (largest first): segment, n, share (of customers), recency (median),
        frequency (mean), monetary (sum) and monetary_share (of all customers' monetary)."""
        c = self.customers
        if c["segment"].isna().all():
            return pd.DataFrame(columns=["segment", "n", "share", "recency", "frequency", "monetary",
                                         "monetary_share"])
        g = c.groupby("segment", sort=False).agg(n=("customer_id", "size"), recency=("recency", "median"),
                                                 frequency=("frequency", "mean"), monetary=("monetary", "sum"))
        g = g.sort_values(["n", "monetary"], ascending=False).reset_index()
        g.insert(2, "share", g["n"] / len(c))
        total = float(c["monetary"].sum())
        g["monetary_share"] = g["monetary"] / total if total > 0 else np.nan
        return g

    def _display_frame(self) -> pd.DataFrame:
        seg = self.segments()
        return seg if len(seg) else self.customers.head(20)

    def summary(self) -> str:
        """First line: what was scored and how; then the largest segments with their share of money."""
        ties = "ties share the lower score" if self.ties == "keep" else "ties split by customer id"
        asof = f" as of {self.end.date()}" if self.end is not None else ""
        lines = [f"RFM of {len(self.customers):,} customers{asof} from the {self.kind} ({self.bins} equal-count "
                 f"bins, {ties}; recency in {self.unit}; segments: {self.scheme})."]
        for _, row in self.segments().iterrows():
            money = f", {row['monetary_share']:.0%} of monetary value" if np.isfinite(row["monetary_share"]) else ""
            lines.append(f"{row['segment']}: {int(row['n']):,} customers ({row['share']:.0%}){money}.")
        if self.excluded:
            lines.append(f"{self.excluded:,} transaction rows after the end date were left out.")
        return "\n".join(lines)


def _kind(data: pd.DataFrame, date: str) -> str:
    cols = set(data.columns)
    if date in cols:
        return "transactions"
    if {"last_date", "orders", "revenue"} <= cols:
        return "ledger"
    if {"frequency", "recency", "T"} <= cols:
        return "summary"
    raise ValueError(f"rfm: cannot tell the input: give transactions (a {date!r} column), the customer P&L "
                     "(last_date, orders, revenue) or the purchase summary (frequency, recency, T); columns are "
                     f"{list(data.columns)[:30]}")


def _from_transactions(data, end, customer, date, revenue, order, monetary):
    require_columns(data, [customer, date, revenue], where="rfm")
    dates = pd.to_datetime(data[date], errors="coerce")
    if dates.isna().any():
        raise ValueError(f"rfm: {int(dates.isna().sum())} transaction row(s) have no valid {date!r}")
    rev = pd.to_numeric(data[revenue], errors="coerce").astype(float)
    if rev.isna().any():
        raise ValueError(f"rfm: {int(rev.isna().sum())} transaction row(s) have no numeric {revenue!r}")
    end = dates.max().normalize() if end is None else pd.Timestamp(end)
    keep = (dates <= end).to_numpy()
    frame = pd.DataFrame({"customer_id": data[customer].to_numpy()[keep], "date": dates.to_numpy()[keep],
                          "revenue": rev.to_numpy()[keep]})
    if order is not None and order in data.columns:
        frame["order"] = data[order].to_numpy()[keep]
    else:
        frame["order"] = frame["date"].dt.normalize()
    buy = frame[frame["revenue"] >= 0]
    per = buy.groupby("customer_id", sort=True).agg(last=("date", "max"), frequency=("order", "nunique"))
    money = frame.groupby("customer_id", sort=True)["revenue"].sum()
    per = per.join(money.rename("total"), how="outer")
    per["frequency"] = per["frequency"].fillna(0).astype("int64")
    per["monetary"] = per["total"] / per["frequency"].where(per["frequency"] > 0) if monetary == "mean" \
        else per["total"]
    per["recency"] = (end - per["last"]).dt.days.astype(float)
    return per.reset_index()[["customer_id", "recency", "frequency", "monetary"]], end, int((~keep).sum())


def _from_ledger(data, end, customer, monetary):
    require_columns(data, [customer, "last_date", "orders", "revenue"], where="rfm")
    last = pd.to_datetime(data["last_date"], errors="coerce")
    end = last.max().normalize() if end is None else pd.Timestamp(end)
    orders = pd.to_numeric(data["orders"], errors="coerce").astype(float)
    rev = pd.to_numeric(data["revenue"], errors="coerce").astype(float)
    mon = rev / orders.where(orders > 0) if monetary == "mean" else rev
    return pd.DataFrame({"customer_id": data[customer].to_numpy(), "recency": (end - last).dt.days.astype(float),
                         "frequency": orders.to_numpy(), "monetary": mon.to_numpy()}), end


def _from_summary(data, customer):
    require_columns(data, [customer, "frequency", "recency", "T"], where="rfm")
    f = pd.to_numeric(data["frequency"], errors="coerce").astype(float)
    mon = pd.to_numeric(data["monetary_value"], errors="coerce").astype(float) if "monetary_value" in data \
        else pd.Series(np.nan, index=data.index)
    rec = pd.to_numeric(data["T"], errors="coerce") - pd.to_numeric(data["recency"], errors="coerce")
    return pd.DataFrame({"customer_id": data[customer].to_numpy(), "recency": rec.to_numpy(dtype=float),
                         "frequency": (f + 1).to_numpy(), "monetary": mon.to_numpy()})


def _segment(cells: pd.Series, segments: Mapping[str, Sequence[str]], rf_only: bool) -> np.ndarray:
    """The first segment whose pattern matches the cell (its R and F digits when ``rf_only``), else None."""
    out = np.full(len(cells), None, dtype=object)
    keys = cells.str[:2] if rf_only else cells
    unique = pd.unique(keys.dropna())
    lookup = {}
    compiled = [(name, [re.compile(p) for p in pats]) for name, pats in segments.items()]
    for key in unique:
        lookup[key] = next((name for name, pats in compiled if any(p.fullmatch(key) for p in pats)), None)
    mapped = keys.map(lookup)
    out[:] = mapped.to_numpy(dtype=object)
    return out


def rfm(data: pd.DataFrame, *, end=None, bins: int = 5, ties: str = "keep",
        segments: Mapping[str, Sequence[str]] | str | None = "rf_grid", monetary: str = "total",
        customer: str = "customer_id", date: str = "date", revenue: str = "revenue",
        order: str | None = "order_id") -> RFMResult:
    """Recency, frequency and monetary value per customer, their scores 1..``bins``, the cell and the segment.

    ``data`` is transactions, the customer P&L or the purchase summary (module docstring). ``end`` is the
    as-of date (default: the last date in the data); recency counts days to it. ``bins`` is the number of
    score groups (5: quintiles; 4: quartiles). ``ties`` is "keep" or "first" (module docstring). ``segments``
    is "rf_grid" (:data:`RF_GRID`, needs ``bins=5``), None (no segments) or a mapping segment → regular
    expressions matched against the whole cell ("545"); the first segment that matches wins, unmatched cells
    get None. ``monetary`` is "total" or "mean" (per order).

    >>> tx = pd.DataFrame({"customer_id": list("aabbbcd"), "order_id": ["1", "2", "3", "4", "5", "6", "7"],
    ...                    "date": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-02-01", "2024-02-15",
    ...                                            "2024-03-30", "2024-01-10", "2024-03-31"]),
    ...                    "revenue": [20.0, 30, 10, 15, 25, 200, 5]})
    >>> r = rfm(tx, bins=2, segments=None)
    >>> r.customers[["customer_id", "recency", "frequency", "monetary", "cell"]].values.tolist()
    [['a', 30.0, 2, 50.0, '121'], ['b', 1.0, 3, 50.0, '221'], ['c', 81.0, 1, 200.0, '112'], ['d', 0.0, 1, 5.0, '211']]
    """
    where = "rfm"
    check_frame(data, where)
    check_choice(ties, ("keep", "first"), where=where, what="ties")
    check_choice(monetary, ("total", "mean"), where=where, what="monetary")
    kind = _kind(data, date)
    excluded, unit = 0, "days"
    if kind == "transactions":
        table, end, excluded = _from_transactions(data, end, customer, date, revenue, order, monetary)
    elif kind == "ledger":
        table, end = _from_ledger(data, end, customer, monetary)
    else:
        table, end, unit = _from_summary(data, customer), None, "the summary's time unit"
    ids = table["customer_id"].to_numpy()
    table["r"] = rfm_scores(table["recency"], bins=bins, ties=ties, ids=ids, higher_is_better=False)
    table["f"] = rfm_scores(table["frequency"], bins=bins, ties=ties, ids=ids)
    table["m"] = rfm_scores(table["monetary"], bins=bins, ties=ties, ids=ids)
    scored = (table[["r", "f", "m"]] > 0).all(axis=1)
    cell = table["r"].astype(str) + table["f"].astype(str) + table["m"].astype(str)
    table["cell"] = cell.where(scored)
    if isinstance(segments, str):
        check_choice(segments, ("rf_grid",), where=where, what="segments")
        if bins != 5:
            raise ValueError(f"{where}: the rf_grid segments are defined on 5-point scores; got bins={bins} "
                             "(give segments=None or your own rule table)")
        table["segment"], scheme = _segment(table["cell"], RF_GRID, rf_only=True), "recency-frequency grid"
    elif segments is None:
        table["segment"], scheme = None, "none"
    else:
        table["segment"], scheme = _segment(table["cell"], dict(segments), rf_only=False), "custom rules"
    return RFMResult(customers=table, end=end, bins=int(bins), ties=ties, kind=kind, unit=unit, scheme=scheme,
                     excluded=excluded)
