"""One customer-profitability study, loaded and checked in one step, with the analyses the report shows.

:func:`load_profitability` reads the transactions, service activities, customers and cost model on one engine
(DuckDB by default, Spark or the pandas reference path; :mod:`cfresearch.profit.engine`), validates every row
(:mod:`cfresearch.profit.transactions`) and builds the customer P&L (:mod:`cfresearch.profit.ledger`). The
:class:`ProfitabilityStudy` it returns holds them and runs the rest: the whale curve, cost-to-serve breakdown,
RFM segments, cohort retention, lifetime value, a service-policy what-if and service tiers.

What runs where: validation, the P&L and the purchase summaries run in the engine; the report's RFM (from the
P&L), the model fits, lifetime values and policy what-ifs work on one row per customer. The cohort triangle, the
calibration/holdout split and the free-delivery what-if read the valid transactions themselves
(:attr:`ProfitabilityStudy.frame`), once, into pandas on the driver (about 100 bytes a row): for a ledger larger
than memory, call :func:`cfresearch.profit.ledger.customer_ledger` and
:func:`cfresearch.profit.ledger.summarise_purchases` on the engine directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from cfresearch.checks import check_choice
from cfresearch.narrative import Markdown, escape
from cfresearch.results import Result

from .cohorts import CohortRetention, cohort_retention
from .costs import CostModel, load_cost_model
from .engine import get_engine
from .ledger import CustomerLedger, customer_ledger, summarise_purchases
from .lifetime import LifetimeValue, lifetime_value
from .policy import FewerVisits, FreeDelivery, PrioritySupport, ServiceTiers, WhatIfResult, recommend_tiers, what_if
from .rfm import RFMResult, rfm
from .transactions import LoadedTable, load_activities, load_customers, load_transactions
from .whale import WhaleCurve, _money, whale_curve

__all__ = ["ACTIVITY_LABELS", "POLICIES", "ProfitabilityStudy", "load_profitability", "named_policy"]

#: Names of the service activities for readers (activity -> label); other names are shown as written.
ACTIVITY_LABELS = {"order": "Order handling", "delivery": "Deliveries", "return": "Returns",
                   "support_contact": "Support contacts", "visit": "Account visits", "fixed": "Fixed costs of segments"}

#: The service policies a report can test (the notebook's ``policy`` parameter).
POLICIES = ("free_delivery", "priority_support", "fewer_visits")


def named_policy(name: str, *, threshold: float = 40.0, top: float = 0.1, extra_share: float = 0.5,
                 bottom: float = 0.5, cut: float = 0.5):
    """The service policy called ``name`` (one of :data:`POLICIES`) with the report's parameters.

    ``free_delivery``: free delivery on orders of ``threshold`` or more; ``priority_support``: the top ``top``
    of customers by net profit get priority support costing ``extra_share`` more per contact;
    ``fewer_visits``: the bottom ``bottom`` of customers by net profit get ``cut`` fewer account visits.

    >>> named_policy("free_delivery", threshold=30).describe()
    'Free delivery on orders of £30 or more'
    >>> named_policy("bigger_discounts")
    Traceback (most recent call last):
    ...
    ValueError: named_policy: policy must be one of ('free_delivery', 'priority_support', 'fewer_visits'); got \
'bigger_discounts'
    """
    check_choice(name, POLICIES, where="named_policy", what="policy")
    if name == "free_delivery":
        return FreeDelivery(threshold=float(threshold))
    if name == "priority_support":
        return PrioritySupport(top=float(top), extra_share=float(extra_share))
    return FewerVisits(bottom=float(bottom), cut=float(cut))


@dataclass(frozen=True, eq=False)
class ProfitabilityStudy(Result):
    """The loaded study: ``ledger`` (the customer P&L), the loaded ``transactions``, ``activities`` and
    ``customers`` tables, the ``cost_model``, and the analysis window ``start``..``end``."""

    ledger: CustomerLedger
    transactions: LoadedTable
    activities: LoadedTable | None
    customers: LoadedTable | None
    cost_model: CostModel
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def currency(self) -> str:
        return self.cost_model.currency or "GBP"

    @property
    def pnl(self) -> pd.DataFrame:
        """One row per customer: the P&L and the customer's attributes (``ledger.customers``)."""
        return self.ledger.customers

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The valid transactions as a pandas DataFrame (read from the engine once)."""
        return self.transactions.to_pandas()

    def money(self, value: float) -> str:
        """An amount for a reader: whole units with the currency's symbol (``−£1,234``)."""
        return _money(float(value), self.currency, 0)

    # -- the analyses -------------------------------------------------------------------------------------------
    def whale(self) -> WhaleCurve:
        """The whale curve of net profit (:func:`cfresearch.profit.whale.whale_curve`)."""
        return whale_curve(self.pnl, currency=self.currency)

    def cost_breakdown(self) -> pd.DataFrame:
        """Cost to serve by activity: activity, label, cost, share (of the cost to serve), events, per_event, and
        per_customer (over customers with the activity); fixed costs of segments last."""
        c = self.pnl
        total = float(c["cost_to_serve"].sum())
        rows = []
        for a in [*self.ledger.activities, "fixed"]:
            col = "fixed_cost" if a == "fixed" else f"cts_{a}"
            cost = float(c[col].sum())
            events = int(c[f"n_{a}"].sum()) if f"n_{a}" in c.columns else np.nan
            users = int((c[col] > 0).sum())
            rows.append({"activity": a, "label": ACTIVITY_LABELS.get(a, a.replace("_", " ").capitalize()),
                         "cost": cost, "share": cost / total if total else np.nan, "events": events,
                         "per_event": cost / events if events else np.nan,
                         "per_customer": cost / users if users else np.nan})
        out = pd.DataFrame(rows)
        return out[(out["cost"] != 0) | (out["activity"] != "fixed")].reset_index(drop=True)

    def rfm(self) -> RFMResult:
        """RFM scores and segments from the P&L (recency from the last purchase to ``end``, orders, revenue)."""
        return rfm(self.pnl[self.pnl["orders"] > 0], end=self.end)

    def cohorts(self, period: str = "Q") -> CohortRetention:
        """Cohort retention of first-purchase cohorts by ``period`` (sales only; refunds are not purchases)."""
        sales = self.frame[~self.frame["returned"].astype(bool)]
        return cohort_retention(sales, period=period, end=self.end)

    def lifetime_value(self, *, holdout_weeks: int = 26, horizon_months: int = 12,
                       discount_rate: float = 0.10) -> LifetimeValue:
        """Fit, validate and apply the lifetime-value models (:func:`cfresearch.profit.lifetime.lifetime_value`);
        the whole period's purchase summary is computed in the engine."""
        summary = summarise_purchases(self.transactions, end=self.end, unit="W", value="margin")
        return lifetime_value(self.frame, self.pnl, end=self.end, holdout_weeks=holdout_weeks,
                              horizon_months=horizon_months, discount_rate=discount_rate, summary=summary,
                              currency=self.currency)

    def what_if(self, policy, *, response: float = 0.0) -> WhatIfResult:
        """A service policy's change in profit per year under ``response`` (:func:`~cfresearch.profit.policy.
        what_if`); ``policy`` is a policy object or a name of :data:`POLICIES` with its defaults."""
        if isinstance(policy, str):
            policy = named_policy(policy)
        years = ((self.end - self.start).days + 1) / 365.25  # the window counts both its first and last day
        return what_if(self.ledger, self.frame, policy, response=float(response), rates=self.cost_model,
                       years=years, currency=self.currency)

    def tiers(self) -> ServiceTiers:
        """Service tiers by gross margin (:func:`cfresearch.profit.policy.recommend_tiers`)."""
        return recommend_tiers(self.pnl, currency=self.currency)

    # -- reading ------------------------------------------------------------------------------------------------
    def excluded_rows(self) -> int:
        """Rows validation left out, over every table."""
        return int(self.ledger.excluded["rows"].sum()) if len(self.ledger.excluded) else 0

    def introduction(self) -> Markdown:
        """The report's opening paragraph: what was read, over which period, on which engine, what was left out."""
        t = self.ledger.totals()
        tx = self.transactions
        n_act = self.activities.n_valid if self.activities is not None else 0
        days = (self.end - self.start).days + 1
        model_file = Path(self.cost_model.source).name if self.cost_model.source else "the cost model"
        text = (f"The data: **{int(t['customers']):,} customers** with {int(t['orders']):,} orders "
                f"({tx.n_valid:,} transaction rows) and {n_act:,} service activities from "
                f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y} ({days:,} days), costed with "
                f"{escape(model_file)}. Money is in {escape(self.currency)}, over the whole period unless a figure "
                "says *a year*.")
        dropped = self.excluded_rows()
        if dropped:
            kinds = "; ".join(f"{r.rows:,} {escape(r.table)} rows: {escape(r.kind)}"
                              for r in self.ledger.excluded.itertuples())
            text += (f"\n\n**{dropped:,} rows failed validation and were left out** ({kinds}); the list with files, "
                     "rows and columns is under *About the data*.")
        return Markdown(text)

    def to_frame(self) -> pd.DataFrame:
        return self.ledger.by_segment()

    def summary(self) -> str:
        return self.ledger.summary()


def load_profitability(transactions, activities=None, cost_model=None, customers=None, *, start=None, end=None,
                       engine=None, on_invalid: str = "exclude", tables: dict | None = None,
                       memory_limit: str | None = None) -> ProfitabilityStudy:
    """Load, check and cost a study: ``transactions`` (file, DataFrame, Spark table...), optional ``activities``
    and ``customers``, the ``cost_model`` (YAML path, dict), the window ``start``..``end`` (default: the
    transactions' first and last dates), the ``engine`` ("duckdb", "spark", "pandas", a Spark Connect URL or a
    session) and ``on_invalid`` ("exclude": leave bad rows out and count them; "raise": stop at the first bad
    file with its rows and columns). ``tables``: the table to read for each source that is a DuckDB database
    file, ``{"transactions": "sales", "activities": ..., "customers": ...}``. ``memory_limit`` (e.g. ``"2GB"``):
    the most memory DuckDB may use, spilling to disk beyond it (DuckDB's default is 80% of the machine's).

    >>> from cfresearch.paths import sample_dir
    >>> base = sample_dir() / "profitability"
    >>> study = load_profitability(base / "transactions.csv", base / "activities.csv", base / "cost_model.yaml",
    ...                            base / "customers.csv", start="2024-01-01", end="2025-12-31")
    >>> print(study.summary().splitlines()[0])
    Customer P&L (duckdb, 2024-01-01..2025-12-31): 5,000 customers, revenue 1,086,086.92 GBP, gross margin \
313,162.21, cost-to-serve 228,190.70, net profit 103,856.46
    """
    check_choice(on_invalid, ("raise", "exclude"), where="load_profitability", what="on_invalid")
    eng = get_engine(engine if engine is not None else "duckdb", memory_limit=memory_limit or None)
    if cost_model is None:
        raise ValueError("load_profitability: a cost model is needed (a YAML file of rates; see "
                         "data/sample/profitability/cost_model.yaml)")
    model = load_cost_model(cost_model)
    tables = dict(tables or {})
    unknown = sorted(set(tables) - {"transactions", "activities", "customers"})
    if unknown:
        raise ValueError(f"load_profitability: tables names the sources transactions, activities and customers; "
                         f"got {unknown}")
    cust = (load_customers(customers, engine=eng, on_invalid=on_invalid, table=tables.get("customers"))
            if customers is not None else None)
    tx = load_transactions(transactions, engine=eng, start=start, end=end, customers=cust, on_invalid=on_invalid,
                           table=tables.get("transactions"))
    start = pd.Timestamp(start) if start is not None else tx.first_date
    end = pd.Timestamp(end) if end is not None else tx.last_date
    acts = (load_activities(activities, engine=eng, start=start, end=end, cost_model=model, customers=cust,
                            on_invalid=on_invalid, table=tables.get("activities")) if activities is not None else None)
    ledger = customer_ledger(tx, acts, model, cust, engine=eng, start=start, end=end, on_invalid=on_invalid)
    return ProfitabilityStudy(ledger, tx, acts, cust, model, start, end)
