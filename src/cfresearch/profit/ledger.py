"""The customer P&L (revenue, cost of goods, cost-to-serve by activity, net profit) and the purchase summary.

:func:`customer_ledger` turns transactions, service activities and a cost model into one row per customer::

    gross_margin  = revenue - cogs                       (revenue net of refunds)
    delivery_fee  = the delivery fees the customer paid  (other income, kept apart from revenue)
    cts_<a>       = events of activity a x its rate                       (rate-based activities)
                  = minutes of a x the pool's capacity cost rate         (time-driven activities)
    cost_to_serve = sum of cts_<a> + fixed_cost          (fixed_cost: the segment's fixed cost / its customers)
    net_profit    = gross_margin + delivery_fee - cost_to_serve

as activity-based costing assigns costs to customers by their use of activities (Kaplan & Cooper 1998, *Cost &
Effect*, ch. 10), with time-driven rates (Kaplan & Anderson 2004, "Time-driven activity-based costing", *HBR*
82(11)): the minutes of an event are its recorded minutes when known, else its unit time, and a pool's unused
capacity (cost - rate x minutes used) is reported apart in ``.unused_capacity``, never spread over customers.
Orders, deliveries and returns that the cost model counts from the transactions (``driver: transactions``) are
one per distinct order with a sale, per delivered order and per returned order.

:func:`summarise_purchases` gives, per customer, the repeat-purchase summary of the lifetime-value models
(Fader, Hardie & Lee 2005, "Counting your customers the easy way", *Marketing Science* 24(2), 275-284):
purchases on the same day count once; ``frequency`` = purchase days - 1, ``recency`` = first to last purchase,
``T`` = first purchase to the end of the calibration period, in days (``unit="D"``) or weeks (``"W"``, days / 7),
and ``monetary_value`` = the mean revenue (or margin) of the repeat purchase days, 0 without repeats. This is
lifetimes' ``summary_data_from_transaction_data(..., freq="D", freq_multiplier=7)`` for weeks (its
``freq="W"`` counts calendar weeks instead) and reproduces its published CDNOW summary.

Both are written once as Ibis expressions and run inside the engine (:mod:`cfresearch.profit.engine`): DuckDB by
default, Spark when given a session; only the per-customer rows come back. ``engine="pandas"`` computes the
same with pandas group-bys, an independent reference implementation.
"""

from __future__ import annotations

import datetime  # noqa: F401 - the type of _min_by's key, which Ibis reads from its annotation
import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..checks import check_choice
from ..data import DataError, issues_frame
from ..results import Result
from .costs import CostModel, load_cost_model
from .engine import Engine, get_engine
from .orders import channels_of, orders_per_customer, packs_bits
from .transactions import LoadedTable, load_activities, load_customers, load_transactions

__all__ = ["CustomerLedger", "customer_ledger", "summarise_purchases"]

_MONEY = ["revenue", "cogs", "gross_margin", "delivery_fee"]
_TAIL = ["fixed_cost", "cost_to_serve", "net_profit"]
_DECIMALS = 6  # money is kept to a millionth of the currency unit
#: per-customer results of more customers than this come back from DuckDB through a Parquet file (the engine
#: frees its memory before pandas takes the result): above the 763,432 customers of 10M lines in bench_ledger.py
_LARGE_RESULT = 2_000_000


@dataclass(frozen=True)
class CustomerLedger(Result):
    """The customer P&L. ``customers``: one row per customer (customer_id, orders, revenue, cogs, gross_margin,
    cts_<activity>..., fixed_cost, cost_to_serve, net_profit, n_<activity> (events), first_date, last_date,
    channel (the channel of most of the customer's orders), then the customers' attributes), sorted by id;
    ``unused_capacity``: per pool cost, rate, minutes_used, used_cost, unused_cost; ``excluded``: the rows
    validation left out, counted by table, kind and column; ``unallocated_fixed``: fixed costs of segments
    without customers in the ledger."""

    customers: pd.DataFrame = field(repr=False)
    unused_capacity: pd.DataFrame = field(repr=False)
    excluded: pd.DataFrame = field(repr=False)
    currency: str = ""
    engine: str = "duckdb"
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    activities: tuple = ()
    unallocated_fixed: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.customers

    def totals(self) -> pd.Series:
        """The P&L of all customers together (sums of the money columns, customers and orders counted)."""
        cols = ["orders", *_MONEY, *[f"cts_{a}" for a in self.activities], *_TAIL]
        out = self.customers[cols].sum()
        return pd.concat([pd.Series({"customers": len(self.customers)}), out])

    def by_segment(self, by="segment") -> pd.DataFrame:
        """The P&L rolled up by a customer column (``"segment"``, ``"channel"``, ``"region"``, or a list):
        customers, orders, the money columns summed, net_margin (net profit / revenue) and share_of_profit
        (of the total net profit)."""
        by = [by] if isinstance(by, str) else list(by)
        missing = [b for b in by if b not in self.customers.columns]
        if missing:
            raise ValueError(f"by_segment: no column {missing[0]!r} in the ledger; columns are "
                             f"{list(self.customers.columns)}")
        cols = ["orders", *_MONEY, *[f"cts_{a}" for a in self.activities], *_TAIL]
        g = self.customers.groupby(by, dropna=False, sort=True, observed=True)
        out = g[cols].sum()
        out.insert(0, "customers", g.size())
        out["net_margin"] = out["net_profit"] / out["revenue"].where(out["revenue"] != 0)
        total = out["net_profit"].sum()
        out["share_of_profit"] = out["net_profit"] / total if total else np.nan
        return out.reset_index()

    def summary(self) -> str:
        t = self.totals()
        cur = f" {self.currency}" if self.currency else ""
        window = f", {_day(self.start) or '…'}..{_day(self.end) or '…'}" if self.start or self.end else ""
        text = (f"Customer P&L ({self.engine}{window}): {int(t['customers']):,} customers, revenue {t['revenue']:,.2f}"
                f"{cur}, gross margin {t['gross_margin']:,.2f}, cost-to-serve {t['cost_to_serve']:,.2f}, net profit "
                f"{t['net_profit']:,.2f}")
        if len(self.unused_capacity):
            text += (f"\n  unused capacity (not charged to customers): "
                     f"{self.unused_capacity['unused_cost'].sum():,.2f}{cur} in {len(self.unused_capacity)} pools")
        if self.unallocated_fixed:
            text += f"\n  fixed costs of segments without customers: {self.unallocated_fixed}"
        if len(self.excluded):
            text += "\n  excluded by validation: " + "; ".join(
                f"{r.table} {r.kind} ({r.column}): {r.rows:,}" for r in self.excluded.itertuples())
        return text


def _day(ts) -> str:
    return "" if ts is None else pd.Timestamp(ts).strftime("%Y-%m-%d")


# -- inputs ------------------------------------------------------------------------------------------------------
def _engine_of(engine, *tables) -> Engine:
    loaded = [t.engine for t in tables if isinstance(t, LoadedTable)]
    if engine is None:
        return loaded[0] if loaded else get_engine("duckdb")
    eng = get_engine(engine)
    for e in loaded:
        same = e.backend is eng.backend or (eng.name == "pandas" and e.backend.name == "duckdb")
        if not same:
            raise ValueError(f"the tables were loaded on another engine ({e.name}) than engine={eng.name!r}: load "
                             "them with the same engine, or pass the files")
    return eng


def _inputs(transactions, activities, cost_model, customers, *, engine, start, end, on_invalid):
    eng = _engine_of(engine, transactions, activities, customers)
    load_eng = eng
    model = load_cost_model(cost_model) if cost_model is not None else None
    if customers is not None and not isinstance(customers, LoadedTable):
        customers = load_customers(customers, engine=load_eng, on_invalid=on_invalid)
    if not isinstance(transactions, LoadedTable):
        transactions = load_transactions(transactions, engine=load_eng, start=start, end=end, customers=customers,
                                         on_invalid=on_invalid)
    if activities is not None and not isinstance(activities, LoadedTable):
        activities = load_activities(activities, engine=load_eng, start=start, end=end, cost_model=model,
                                     customers=customers, on_invalid=on_invalid)
    if activities is not None:
        _check_activity_names(eng, activities, model)
    return eng, model, transactions, activities, customers


def _check_activity_names(eng: Engine, activities: LoadedTable, model: CostModel | None) -> None:
    """Activities loaded without the cost model: every name needs a rate (DataError: missing rate)."""
    names = eng.collect(activities.table.group_by("activity").aggregate(n=activities.table.count()))
    known = set(model.activities) if model is not None else set()
    derived = set(model.derived) if model is not None else set()
    bad = names[~names["activity"].isin(known - derived)]
    if len(bad):
        issues = issues_frame([{"row": 0, "column": "activity", "value": str(a),
                                "problem": f"activity {a!r} ({n:,} row{'s' * (n != 1)}): " + (
                                    f"no rate in the cost model (missing rate; activities are {sorted(known)})"
                                    if a not in derived else "counted from the transactions (driver: transactions)"),
                                "kind": "unknown activity", "action": "raise"} for a, n in zip(bad["activity"],
                                                                                                 bad["n"])])
        raise DataError.from_issues(activities.source, issues, what="in the activities",
                                    hint="add the activities to the cost model, or load the activities with "
                                         "cost_model= and on_invalid='exclude'")


def _window_days(start, end, *tables) -> float | None:
    firsts = [t.first_date for t in tables if t is not None and t.first_date is not None]
    lasts = [t.last_date for t in tables if t is not None and t.last_date is not None]
    lo = pd.Timestamp(start) if start is not None else (min(firsts) if firsts else None)
    hi = pd.Timestamp(end) if end is not None else (max(lasts) if lasts else None)
    return None if lo is None or hi is None else float((hi - lo).days + 1)


# -- the relational ledger (Ibis: DuckDB, Spark) -----------------------------------------------------------------
def _unit(model: CostModel, name: str):
    """(money per event, minutes per event or None, money per minute or None) of an activity."""
    a = model.activities[name]
    if a.pool is None:
        return a.rate, None, None
    pool = model.pools[a.pool]
    return model.unit_cost(name), a.minutes, pool.cost / pool.practical_minutes


def _tx_ibis(tx: LoadedTable, model: CostModel | None, channels: list[str]):
    """The transactions' part of the ledger: the orders per customer that validation kept (or computed here when
    it could not keep them), with the events and costs of the activities counted from the transactions."""
    cust = tx.cache.pop("orders", None)  # used once: the engine frees it with the last reference
    if cust is None:
        cust = orders_per_customer(tx.table, channels, packed=packs_bits(tx.engine))
    derived = {"order": cust.orders, "delivery": cust.n_delivered, "return": cust.n_returned}
    cols = {}
    for name in (model.derived if model is not None else ()):
        per_event = _unit(model, name)[0]
        cols[f"n_{name}"] = derived[name]
        cols[f"cts_{name}"] = derived[name].cast("float64") * per_event  # their minutes: _minutes_ibis
    counts = [cust[f"_ch{i}"] for i in range(len(channels))]
    cols["channel"] = _main_channel(counts, channels)
    return cust.mutate(**cols).drop("n_delivered", "n_returned", "_orphan_orders", "_dup_candidates",
                                    *[f"_ch{i}" for i in range(len(channels))])


def _large(tx: LoadedTable) -> bool:
    """Whether per-customer results of ``tx`` are brought back through a file (:meth:`Engine.collect`'s
    ``large``): more than :data:`_LARGE_RESULT` customers, or lines when validation did not count them."""
    return tx.cache.get("customers", tx.n_valid) > _LARGE_RESULT


def _main_channel(counts: list, channels: list[str]):
    """The channel of most of a customer's orders (ties: the first in alphabetical order; missing without orders
    with a channel), from the orders per channel ``counts`` (Ibis columns, in the order of ``channels``)."""
    import ibis

    if not channels:
        return ibis.null("string")
    best = ibis.greatest(*counts) if len(counts) > 1 else counts[0]
    return ibis.cases(*[((best > 0) & (n == best), ch) for n, ch in zip(counts, channels)], else_=ibis.null("string"))


def _acts_ibis(acts, model: CostModel):
    import ibis

    names = [a for a in model.activities if model.activities[a].driver == "activities"]
    if not names:
        return None
    aggs = {}
    for name in names:
        per_event, minutes, per_minute = _unit(model, name)
        this = acts.activity == name
        aggs[f"n_{name}"] = acts["count"].sum(where=this)
        if minutes is None:
            aggs[f"_ev_{name}"] = acts["count"].sum(where=this)
        else:
            used = ibis.coalesce(acts.minutes, acts["count"].cast("float64") * minutes)
            aggs[f"_min_{name}"] = used.sum(where=this)
    g = acts.group_by("customer_id").aggregate(**aggs)
    cost = {}
    for name in names:
        per_event, minutes, per_minute = _unit(model, name)
        base = g[f"_ev_{name}"].cast("float64") * per_event if minutes is None else g[f"_min_{name}"] * per_minute
        cost[f"cts_{name}"] = ibis.coalesce(base, 0.0)
    return g.mutate(**cost).drop(*[c for c in g.columns if c.startswith(("_ev_", "_min_"))])


def _ledger_ibis(eng: Engine, tx: LoadedTable, acts: LoadedTable | None, customers: LoadedTable | None,
                 model: CostModel | None, channels: list[str]) -> pd.DataFrame:
    import ibis

    t = _tx_ibis(tx, model, channels)
    a = _acts_ibis(acts.table, model) if acts is not None and model is not None else None
    if a is not None:
        a = a.rename(_a_id="customer_id")
        t = t.outer_join(a, t.customer_id == a._a_id)
        t = t.mutate(customer_id=ibis.coalesce(t.customer_id, t._a_id)).drop("_a_id")
    if customers is not None:
        c = customers.table.rename(_c_id="customer_id")
        c = c.drop("channel") if "channel" in c.columns else c  # the customer's main channel is the orders' one
        t = t.left_join(c, t.customer_id == c._c_id).drop("_c_id")
    if model is not None and model.fixed:
        seg = t.segment
        n_seg = t.customer_id.count().over(group_by=seg)
        amount = ibis.cases(*[(seg == s, float(v)) for s, v in model.fixed.items()], else_=0.0)
        t = t.mutate(fixed_cost=amount / n_seg.cast("float64"))
    return eng.collect(_pnl_ibis(t, model).order_by("customer_id"), large=_large(tx))


# -- the pandas reference path -------------------------------------------------------------------------------------
def _ledger_pandas(tx: pd.DataFrame, acts: pd.DataFrame | None, customers: pd.DataFrame | None,
                   model: CostModel | None) -> pd.DataFrame:
    tx = tx.assign(sale=~tx["returned"].astype(bool))
    tx["sale_date"] = tx["date"].where(tx["sale"])
    tx["sale_channel"] = tx["channel"].where(tx["sale"])
    o = tx.groupby(["customer_id", "order_id"], sort=False).agg(
        revenue=("revenue", "sum"), cogs=("cogs", "sum"), fee=("delivery_fee", "sum"), sale=("sale", "any"),
        returned=("returned", "any"),
        date=("sale_date", "min"), channel=("sale_channel", "min"))
    o["delivered"] = (tx["delivered"].astype(bool) & tx["sale"]).groupby([tx["customer_id"], tx["order_id"]]).any()
    o = o.reset_index()
    o["delivered"] &= o["sale"]
    cust = o.groupby("customer_id").agg(orders=("sale", "sum"), revenue=("revenue", "sum"), cogs=("cogs", "sum"),
                                        delivery_fee=("fee", "sum"),
                                        n_delivered=("delivered", "sum"), n_returned=("returned", "sum"),
                                        first_date=("date", "min"), last_date=("date", "max"))
    sales = o[o["sale"] & o["channel"].notna()]
    counts = sales.groupby(["customer_id", "channel"]).size().rename("n").reset_index()
    counts = counts.sort_values(["customer_id", "n", "channel"], ascending=[True, False, True])
    cust["channel"] = counts.drop_duplicates("customer_id").set_index("customer_id")["channel"]
    cust["channel"] = cust["channel"].astype("str")
    derived = {"order": "orders", "delivery": "n_delivered", "return": "n_returned"}
    for name in (model.derived if model is not None else ()):
        per_event, minutes, _ = _unit(model, name)
        n = cust[derived[name]]
        cust[f"n_{name}"], cust[f"_min_{name}"] = n, n.astype(float) * (minutes if minutes is not None else 0.0)
        cust[f"cts_{name}"] = n.astype(float) * per_event
    cust = cust.drop(columns=["n_delivered", "n_returned"]).reset_index()
    if acts is not None and model is not None:
        a = _acts_pandas(acts, model)
        if a is not None:
            cust = cust.merge(a, on="customer_id", how="outer")
    if customers is not None:
        cust = cust.merge(customers, on="customer_id", how="left")
    if model is not None and model.fixed:
        n_seg = cust.groupby("segment", dropna=False)["customer_id"].transform("size")
        cust["fixed_cost"] = cust["segment"].map(model.fixed).astype(float).fillna(0.0) / n_seg
    return cust


def _acts_pandas(acts: pd.DataFrame, model: CostModel) -> pd.DataFrame | None:
    names = [a for a in model.activities if model.activities[a].driver == "activities"]
    if not names:
        return None
    out = pd.DataFrame(index=pd.Index(acts["customer_id"].unique(), name="customer_id"))
    for name in names:
        per_event, minutes, per_minute = _unit(model, name)
        rows = acts[acts["activity"] == name]
        events = rows.groupby("customer_id")["count"].sum()
        out[f"n_{name}"] = events
        if minutes is None:
            out[f"_min_{name}"] = pd.Series(0.0, index=events.index)
            out[f"cts_{name}"] = (events.astype(float) * per_event).reindex(out.index).fillna(0.0)
        else:
            used = rows["minutes"].astype(float).fillna(rows["count"].astype(float) * minutes)
            total = used.groupby(rows["customer_id"]).sum()
            out[f"_min_{name}"] = total
            out[f"cts_{name}"] = (total * per_minute).reindex(out.index).fillna(0.0)
    return out.reset_index()


# -- finishing (both paths) ------------------------------------------------------------------------------------------
# Money to a millionth: sums taken in another order (Spark, DuckDB's threads) then give the same amounts, so a
# customer whose profit is 0.00 is 0 on every engine, not -1e-13 on one of them. The engines do this arithmetic in
# SQL (_pnl_ibis), the pandas path in numpy (_pnl_numpy): on millions of customers every column built in Python is
# memory touched for the first time, which costs more than the sums themselves.
def _pnl_columns(model: CostModel | None) -> tuple[list[str], list[str], list[str]]:
    names = list(model.activities) if model is not None else []
    counts = ["orders", *[f"n_{a}" for a in names]]
    money = ["revenue", "cogs", "delivery_fee", "fixed_cost", *[f"cts_{a}" for a in names]]
    return names, counts, money


def _pnl_ibis(t, model: CostModel | None):
    """``t`` with the gaps filled and the P&L arithmetic done (the columns of :func:`_pnl_numpy`)."""
    import ibis

    names, counts, money = _pnl_columns(model)
    cols = {c: ibis.coalesce(t[c], 0).cast("int64") if c in t.columns else ibis.literal(0, "int64") for c in counts}
    cash = {c: ibis.coalesce(t[c].cast("float64"), 0.0).round(_DECIMALS) if c in t.columns else ibis.literal(0.0)
            for c in money}
    gross = cash["revenue"] - cash["cogs"]
    cost = cash["fixed_cost"]
    for a in names:
        cost = cost + cash[f"cts_{a}"]
    cols |= cash | {"gross_margin": gross.round(_DECIMALS), "cost_to_serve": cost.round(_DECIMALS),
                    "net_profit": (gross + cash["delivery_fee"] - cost).round(_DECIMALS)}
    return t.mutate(**cols)


def _minutes_ibis(eng: Engine, frame: pd.DataFrame, acts: LoadedTable | None, model: CostModel | None) -> dict:
    """Minutes used per pool, summed over the whole ledger rather than brought back per customer (five columns
    fewer to carry for millions of customers): derived activities' events x their minutes, and the activities'
    recorded minutes (or events x unit minutes) in one aggregate over the activities table."""
    import ibis

    if model is None:
        return {}
    minutes = {}
    for name in model.derived:
        _, unit, _ = _unit(model, name)
        if unit is not None:
            pool = model.activities[name].pool
            minutes[pool] = minutes.get(pool, 0.0) + float(frame[f"n_{name}"].sum()) * unit
    timed = [a for a in model.activities if model.activities[a].driver == "activities" and
             model.activities[a].pool is not None]
    if acts is not None and timed:
        a = acts.table
        row = eng.collect(a.aggregate(**{f"m{i}": ibis.coalesce(a.minutes, a["count"].cast("float64") *
                                                                 _unit(model, name)[1]).sum(where=a.activity == name)
                                         for i, name in enumerate(timed)})).iloc[0]
        for i, name in enumerate(timed):
            pool = model.activities[name].pool
            minutes[pool] = minutes.get(pool, 0.0) + (0.0 if pd.isna(row[f"m{i}"]) else float(row[f"m{i}"]))
    for name in model.activities:  # every pool of the model is reported, used or not
        pool = model.activities[name].pool
        if pool is not None:
            minutes.setdefault(pool, 0.0)
    return minutes


def _pnl_numpy(frame: pd.DataFrame, model: CostModel | None) -> dict:
    """Counts and money of the P&L as numpy columns: gaps filled, money rounded to a millionth, gross margin, cost
    to serve and net profit (the module docstring)."""
    names, counts, money = _pnl_columns(model)
    n = len(frame)

    def column(col, dtype, fill):
        return frame[col].to_numpy(dtype=dtype, na_value=fill) if col in frame else np.full(n, fill, dtype=dtype)

    out = {c: column(c, "int64", 0) for c in counts}
    out |= {c: np.round(column(c, "float64", 0.0), _DECIMALS) for c in money}
    gross = out["revenue"] - out["cogs"]
    cost = out["fixed_cost"] + (np.sum([out[f"cts_{a}"] for a in names], axis=0) if names else 0.0)
    out |= {"gross_margin": np.round(gross, _DECIMALS), "cost_to_serve": np.round(cost, _DECIMALS),
            "net_profit": np.round(gross + out["delivery_fee"] - cost, _DECIMALS)}
    out |= {f"_min_{a}": column(f"_min_{a}", "float64", 0.0) for a in names}
    return out


def _finish(frame: pd.DataFrame, model: CostModel | None, attributes: list[str], *, minutes: dict | None = None):
    """Order and type the columns; returns (customers, minutes per pool). ``minutes`` given: the engine did the
    arithmetic (:func:`_pnl_ibis`), summed the pools' minutes and sorted the rows by customer_id; else all three
    are done here. One DataFrame is built at the end, without copying the columns into two-dimensional blocks."""
    names = list(model.activities) if model is not None else []
    frame = frame.reset_index(drop=True)
    engine_side = minutes is not None
    values = {c: frame[c] for c in frame.columns} if engine_side else _pnl_numpy(frame, model)
    if not engine_side:
        minutes = {}
        for a in names:
            pool = model.activities[a].pool
            if pool is not None:
                minutes[pool] = minutes.get(pool, 0.0) + float(values[f"_min_{a}"].sum())
    cts = [f"cts_{a}" for a in names]
    out = {"customer_id": frame["customer_id"].astype("str")}
    out |= {c: values[c] for c in ["orders", *_MONEY, *cts, *_TAIL, *[f"n_{a}" for a in names]]}
    out |= {c: pd.to_datetime(frame[c]).astype("datetime64[ns]") for c in ("first_date", "last_date")}
    out["channel"] = frame["channel"] if "channel" in frame else pd.Series(np.nan, index=frame.index)
    out["channel"] = out["channel"].astype("str")
    out |= {c: frame[c] for c in attributes if c != "channel"}
    f = pd.DataFrame(out, copy=False)
    if not engine_side:
        f = f.sort_values("customer_id", kind="stable").reset_index(drop=True)
    for col in attributes:
        if f[col].dtype == object:
            f[col] = f[col].astype("str")
    return f, minutes


def customer_ledger(transactions, activities=None, cost_model=None, customers=None, *, engine=None, start=None,
                    end=None, on_invalid: str = "raise") -> CustomerLedger:
    """The customer P&L (see the module docstring) of ``transactions`` and ``activities`` under ``cost_model``.

    Each of ``transactions``, ``activities`` and ``customers`` is a source :mod:`cfresearch.profit.transactions`
    loads (a file, a DataFrame, a Spark table; checked with ``start``/``end`` and ``on_invalid``) or a table it
    loaded already. ``cost_model``: a YAML path, a dict or a :class:`~cfresearch.profit.costs.CostModel` (None: no
    cost-to-serve). ``engine``: "duckdb" (default, or the engine the tables were loaded on), "spark", "pandas",
    a duckdb connection, a SparkSession or a Spark Connect URL (:func:`cfresearch.profit.engine.get_engine`).

    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b", "b"], "order_id": ["1", "2", "3", "3"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-02-01", "2024-02-09"]),
    ...     "revenue": [100.0, 60.0, 40.0, -40.0], "cogs": [60.0, 36.0, 24.0, -24.0],
    ...     "delivered": [True, True, True, False], "returned": [False, False, False, True]})
    >>> acts = pd.DataFrame({"customer_id": ["a", "b", "b"], "date": pd.to_datetime(["2024-01-09"] * 3),
    ...     "activity": ["support_contact"] * 3, "minutes": [None, 20.0, None]})
    >>> model = {"activities": {"order": {"rate": 1.0, "driver": "transactions"},
    ...                         "delivery": {"rate": 5.0, "driver": "transactions"},
    ...                         "return": {"rate": 8.0, "driver": "transactions"},
    ...                         "support_contact": {"minutes": 10, "pool": "desk"}},
    ...          "pools": {"desk": {"cost": 1000, "practical_minutes": 2000}}}
    >>> led = customer_ledger(tx, acts, model)
    >>> led.customers.set_index("customer_id")[["orders", "revenue", "gross_margin", "cost_to_serve", "net_profit"]]
                 orders  revenue  gross_margin  cost_to_serve  net_profit
    customer_id
    a                 2    160.0          64.0           17.0        47.0
    b                 1      0.0           0.0           29.0       -29.0
    >>> led.customers.filter(like="cts_")  # b: 1 order, 1 delivery, 1 return, 30 minutes at 0.50 a minute
       cts_order  cts_delivery  cts_return  cts_support_contact
    0        2.0          10.0         0.0                  5.0
    1        1.0           5.0         8.0                 15.0
    >>> led.unused_capacity[["pool", "minutes_used", "unused_cost"]]
       pool  minutes_used  unused_cost
    0  desk          40.0        980.0
    """
    check_choice(on_invalid, ("raise", "exclude"), where="customer_ledger", what="on_invalid")
    eng, model, tx, acts, cust = _inputs(transactions, activities, cost_model, customers, engine=engine,
                                         start=start, end=end, on_invalid=on_invalid)
    if model is not None and model.fixed and (cust is None or "segment" not in cust.table.columns):
        raise ValueError("customer_ledger: the cost model has fixed costs per segment; give customers= with a "
                         "segment column")
    attributes = [c for c in cust.table.columns if c != "customer_id"] if cust is not None else []
    if eng.relational:
        channels = list(tx.channels) if "orders" in tx.cache else channels_of(eng, tx.table)
        frame = _ledger_ibis(eng, tx, acts, cust, model, channels)
        customers_frame, minutes = _finish(frame, model, attributes, minutes=_minutes_ibis(eng, frame, acts, model))
    else:
        frame = _ledger_pandas(tx.to_pandas(), acts.to_pandas() if acts is not None else None,
                               cust.to_pandas() if cust is not None else None, model)
        customers_frame, minutes = _finish(frame, model, attributes)
    days = _window_days(start, end, tx, acts)
    capacity = model.capacity(minutes, days=days) if model is not None else model_free_capacity()
    unallocated = {}
    if model is not None and model.fixed:
        present = set(customers_frame["segment"].dropna().astype(str))
        unallocated = {s: v for s, v in model.fixed.items() if s not in present}
    excluded = pd.concat([t.excluded for t in (tx, acts, cust) if t is not None and len(t.excluded)] or
                         [tx.excluded], ignore_index=True)
    return CustomerLedger(customers_frame, capacity, excluded, model.currency if model is not None else "", eng.name,
                          tx.start, tx.end, tuple(model.activities) if model is not None else (), unallocated)


def model_free_capacity() -> pd.DataFrame:
    return pd.DataFrame(columns=["pool", "cost", "rate", "minutes_used", "used_cost", "unused_cost"])


# -- the purchase summary ----------------------------------------------------------------------------------------------
@functools.cache
def _min_by():
    """The engines' own aggregate for "the value on the row with the smallest key": DuckDB's ``arg_min``, Spark's
    ``min_by`` (Ibis' ``argmin`` compiles to an ordered ``FIRST`` on DuckDB, which sorts every group: 0.9 s of CPU
    on the 8.9M purchase days of bench/bench_ledger.py)."""
    import ibis

    @ibis.udf.agg.builtin
    def min_by(arg: float, key: datetime.date) -> float:
        """arg on the row with the smallest key."""

    return min_by


def _summary_ibis(eng: Engine, tx, end: pd.Timestamp, value: str, large: bool) -> pd.DataFrame:
    import ibis

    s = tx.filter(~tx.returned & (tx.date <= end.date()))
    v = s.revenue if value == "revenue" else s.revenue - s.cogs
    daily = s.group_by(["customer_id", "date"]).aggregate(v=v.sum())
    per = daily.group_by("customer_id").aggregate(days=daily.count(), first=daily.date.min(), last=daily.date.max(),
                                                  total=daily.v.sum(), first_v=_min_by()(daily.v, daily.date))
    per = per.mutate(recency_days=per["last"].delta(per["first"], unit="day"),
                     t_days=ibis.date(end.date()).delta(per["first"], unit="day"))
    return eng.collect(per.select("customer_id", "days", "recency_days", "t_days", "total", "first_v")
                       .order_by("customer_id"), large=large)


def _summary_pandas(tx: pd.DataFrame, end: pd.Timestamp, value: str) -> pd.DataFrame:
    s = tx[~tx["returned"].astype(bool) & (pd.to_datetime(tx["date"]) <= end)].copy()
    s["date"] = pd.to_datetime(s["date"])
    s["v"] = s["revenue"] if value == "revenue" else s["revenue"] - s["cogs"]
    daily = s.groupby(["customer_id", "date"], as_index=False)["v"].sum().sort_values(["customer_id", "date"])
    g = daily.groupby("customer_id")
    out = pd.DataFrame({"days": g.size(), "first": g["date"].min(), "last": g["date"].max(), "total": g["v"].sum(),
                        "first_v": g["v"].first()})
    out["recency_days"] = (out["last"] - out["first"]).dt.days
    out["t_days"] = (end - out["first"]).dt.days
    return out.reset_index()


def summarise_purchases(transactions, *, end, start=None, unit: str = "W", value: str = "revenue", engine=None,
                        on_invalid: str = "raise") -> pd.DataFrame:
    """Per-customer frequency, recency, T and monetary_value for the lifetime-value models (module docstring).

    ``end``: the end of the calibration period (inclusive; later purchases are ignored, not invalid);
    ``start``: ignore earlier purchases; ``unit``: "W" (weeks = days / 7) or "D"; ``value``: "revenue" or
    "margin" (revenue - cogs) for monetary_value. Refunds are not purchases (the ledger nets them).

    >>> tx = pd.DataFrame({"customer_id": ["1"] * 4 + ["2"], "order_id": ["a", "b", "c", "d", "e"],
    ...     "date": pd.to_datetime(["1997-01-01", "1997-01-18", "1997-08-02", "1997-12-12", "1997-01-01"]),
    ...     "revenue": [29.33, 29.73, 14.96, 26.48, 63.34], "cogs": 0.0})
    >>> summarise_purchases(tx, end="1997-09-30").round(2)  # CDNOW customer 1 (lifetimes: 2, 30.43, 38.86)
      customer_id  frequency  recency      T  monetary_value
    0           1          2    30.43  38.86           22.34
    1           2          0     0.00  38.86            0.00
    """
    check_choice(unit, ("W", "D"), where="summarise_purchases", what="unit")
    check_choice(value, ("revenue", "margin"), where="summarise_purchases", what="value")
    end = pd.Timestamp(end).normalize()
    eng = _engine_of(engine, transactions)
    if not isinstance(transactions, LoadedTable):
        transactions = load_transactions(transactions, engine=eng, on_invalid=on_invalid)
    tx = transactions.table
    if start is not None:
        tx = tx.filter(tx.date >= pd.Timestamp(start).date())
    if eng.relational:
        raw = _summary_ibis(eng, tx, end, value, _large(transactions))
    else:
        raw = _summary_pandas(eng.collect(tx), end, value)
    scale = 7.0 if unit == "W" else 1.0
    freq = raw["days"].astype("int64") - 1
    out = pd.DataFrame({
        "customer_id": raw["customer_id"].astype("str"), "frequency": freq,
        "recency": raw["recency_days"].astype("float64") / scale, "T": raw["t_days"].astype("float64") / scale,
        "monetary_value": np.where(freq > 0, (raw["total"] - raw["first_v"]) / freq.where(freq > 0, 1), 0.0)})
    return out if eng.relational else out.sort_values("customer_id", kind="stable").reset_index(drop=True)
