"""Service-policy what-ifs on the customer P&L, their break-even response, and service tiers that fit profit.

:func:`what_if` applies a service policy to the customer ledger and reports the change in profit, total and by
segment, under a stated behavioural response, with the response that makes the policy break even. The model is
a deliberately simple, stated one (the activity-based-costing what-if of Kaplan & Cooper 1998, *Cost &
Effect*, ch. 10-11; Kaplan & Narayanan 2001, "Measuring and managing customer profitability", *Journal of Cost
Management* 15(5)): for each customer i whose service changes ("affected"),

    Δprofitᵢ(u) = Dᵢ + u·Vᵢ

* Dᵢ, the **direct effect** at current behaviour: the fee income given up (:class:`FreeDelivery`), the extra
  service cost (:class:`PrioritySupport`) or the service cost saved (:class:`FewerVisits`);
* u, the **response**: the relative change in the affected customers' orders (+0.05: they order 5% more often,
  or stay longer and so order more; −0.05: 5% less);
* Vᵢ, the customer's **order-driven contribution**: gross margin (plus delivery-fee income when the ledger
  keeps it apart, less the fees the policy gives up) minus the costs of the activities that scale with orders
  (by default order, delivery and return, the activities the contract derives from the transactions; a cost
  model with ``driver: transactions`` says which). Extra orders are assumed to look like the customer's
  current ones; support contacts, visits and fixed costs do not scale with orders.

Δ is linear in u, so the **break-even response** is closed-form: u* = −ΣDᵢ / ΣVᵢ over the affected customers
(per segment likewise). Customers not affected do not change. The profit before is the ledger's net profit, so
totals reconcile with the ledger: profit after = profit before + change, and the segments add up to the total.

:func:`recommend_tiers` sorts customers into service tiers by what they earn before service (gross margin by
default: net profit before cost to serve; or margin per £ of cost to serve, or any column), with a stated rule
(Gold: top 10%, Silver: next 20%, Bronze: next 30%, Basic: the rest), and flags the customers whose current
cost to serve ranks above their tier (over-served) or below it (under-served).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cfresearch.checks import check_frame, require_columns
from cfresearch.results import Result

from .whale import _money

__all__ = ["FewerVisits", "FreeDelivery", "PrioritySupport", "ServiceTiers", "WhatIfResult", "recommend_tiers",
           "what_if"]

#: Activities whose cost scales with the number of orders when the cost model does not say.
ORDER_DRIVEN = ("order", "delivery", "return")
#: Suggested service promises for the default tiers (a starting point for the discussion, not a rule).
SERVICES = {"Gold": "priority support, free delivery, scheduled account visits",
            "Silver": "free delivery above a basket threshold, standard support, visits on request",
            "Bronze": "delivery charged below the threshold, standard support, no routine visits",
            "Basic": "self-service and online ordering, delivery charged, support online"}
_TIERS = (("Gold", 0.1), ("Silver", 0.2), ("Bronze", 0.3), ("Basic", 0.4))


# ─── rates from a mapping or a cost model ─────────────────────────────────────────────────────────────


def _rate_of(rates, activity: str, where: str) -> float:
    """The money per event of ``activity`` from a mapping {activity: rate} or a cost model (duck-typed:
    ``unit_cost(a)`` as :class:`cfresearch.profit.costs.CostModel` has it, ``rate_of(a)``, ``rate(a)`` or a
    ``rates`` mapping)."""
    if rates is None:
        raise ValueError(f"{where}: a rate for {activity!r} is needed; give rates={{{activity!r}: money per event}} "
                         "or the cost model")
    for attr in ("unit_cost", "rate_of", "rate"):
        if callable(getattr(rates, attr, None)):
            try:
                return float(getattr(rates, attr)(activity))
            except KeyError:
                raise ValueError(f"{where}: the cost model has no activity {activity!r}") from None
    table = rates if isinstance(rates, Mapping) else getattr(rates, "rates", None)
    if isinstance(table, Mapping):
        if activity not in table:
            raise ValueError(f"{where}: no rate for {activity!r}; rates given for {sorted(table)}")
        value = table[activity]
        return float(value["rate"] if isinstance(value, Mapping) else value)
    raise ValueError(f"{where}: rates must be a mapping {{activity: rate}} or a cost model; got {type(rates).__name__}")


def _order_driven(rates) -> tuple[str, ...]:
    """Activities that scale with orders: those a cost model marks ``driver: transactions``, else the default."""
    acts = getattr(rates, "activities", None)
    if isinstance(acts, Mapping) and acts:
        found = []
        for name, spec in acts.items():
            driver = spec.get("driver") if isinstance(spec, Mapping) else getattr(spec, "driver", None)
            if driver == "transactions":
                found.append(name)
        if found:
            return tuple(found)
    return ORDER_DRIVEN


def _group(values: pd.Series, ids: pd.Series, share: float, top: bool) -> np.ndarray:
    """The top (or bottom) ``share`` of customers by ``values``: ⌈share·n⌉ customers, ties by id."""
    n = len(values)
    k = int(np.ceil(share * n - 1e-9))
    v = values.to_numpy(dtype=float)
    order = np.lexsort((ids.astype(str).to_numpy(), -v if top else v))
    out = np.zeros(n, dtype=bool)
    out[order[:k]] = True
    return out


# ─── policies ─────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class FreeDelivery:
    """Deliveries of orders with a basket ≥ ``threshold`` become free to the customer.

    The company gives up the delivery fee it charged on those orders: the transactions' ``fee_column`` summed
    per order, or ``fee`` per delivered order when there is no such column. It still pays for the delivery
    (the delivery cost is unchanged). Affected: customers with at least one such order. The fees given up no
    longer come with the customer's orders: when the ledger counts fee income (a ``delivery_fee`` column, see
    :func:`what_if`, or ``fees_in_revenue=True``: fees inside revenue) Vᵢ is reduced by them.
    """

    threshold: float
    fee: float | None = None
    fee_column: str = "delivery_fee"
    fees_in_revenue: bool = False
    default_responses: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2)

    def describe(self, currency: str = "GBP") -> str:
        return f"Free delivery on orders of {_money(self.threshold, currency, 2).replace('.00', '')} or more"

    def _direct(self, customers, transactions, rates, ids, where):
        if transactions is None:
            raise ValueError(f"{where}: FreeDelivery needs the transactions (order baskets and delivery fees)")
        check_frame(transactions, where, "transactions")
        require_columns(transactions, ["customer_id", "order_id", "revenue", "delivered"], where=where)
        tx = transactions
        rev = pd.to_numeric(tx["revenue"], errors="coerce").fillna(0.0)
        if self.fee_column in tx.columns:
            fee = pd.to_numeric(tx[self.fee_column], errors="coerce").fillna(0.0)
        elif self.fee is not None:
            fee = None
        else:
            raise ValueError(f"{where}: FreeDelivery needs the fee charged: a {self.fee_column!r} column in the "
                             "transactions or FreeDelivery(fee=...) per delivered order")
        orders = pd.DataFrame({"customer_id": tx["customer_id"].to_numpy(), "order_id": tx["order_id"].to_numpy(),
                               "basket": rev.clip(lower=0).to_numpy(),
                               "delivered": tx["delivered"].fillna(False).astype(bool).to_numpy(),
                               "fee": 0.0 if fee is None else fee.to_numpy()})
        per = orders.groupby(["customer_id", "order_id"], sort=False).agg(
            basket=("basket", "sum"), delivered=("delivered", "any"), fee=("fee", "sum")).reset_index()
        if fee is None:
            per["fee"] = np.where(per["delivered"], float(self.fee), 0.0)
        qualifies = per["delivered"] & (per["basket"] >= self.threshold) & (per["fee"] > 0)
        lost = per.loc[qualifies].groupby("customer_id")["fee"].sum()
        lost_i = ids.map(lost).fillna(0.0).to_numpy(dtype=float)
        affected = ids.isin(per.loc[qualifies, "customer_id"]).to_numpy()
        known = per["customer_id"].isin(ids)
        info = {"qualifying_orders": int((qualifies & known).sum()), "orders": int(known.sum()),
                "unmatched_customers": int(per.loc[~known, "customer_id"].nunique())}
        return affected, -lost_i, lost_i, info


@dataclass(frozen=True)
class PrioritySupport:
    """The top ``top`` share of customers by ``by`` get priority support.

    Extra cost: ``extra_per_contact`` per support contact (contacts = cts_<activity> / the activity's rate, or a
    column ``n_<activity>`` when the ledger has one), plus ``extra_share`` × their current support cost, plus
    ``fixed_cost`` for running the priority line over the period (spread equally over the priority customers).
    Affected: the priority customers. The response is their change in orders (better retention or frequency).
    """

    top: float = 0.1
    extra_per_contact: float = 0.0
    extra_share: float = 0.0
    fixed_cost: float = 0.0
    activity: str = "support_contact"
    by: str = "net_profit"
    default_responses: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2)

    def describe(self, currency: str = "GBP") -> str:
        return f"Priority support for the top {self.top:.0%} of customers by {self.by.replace('_', ' ')}"

    def _direct(self, customers, transactions, rates, ids, where):
        if not 0 < self.top <= 1:
            raise ValueError(f"{where}: PrioritySupport top must be a share in (0, 1]; got {self.top}")
        require_columns(customers, [self.by], where=where)
        affected = _group(pd.to_numeric(customers[self.by], errors="coerce").fillna(-np.inf), ids, self.top, True)
        cts_col = f"cts_{self.activity}"
        cts = pd.to_numeric(customers[cts_col], errors="coerce").fillna(0.0).to_numpy(dtype=float) \
            if cts_col in customers.columns else np.zeros(len(customers))
        extra = self.extra_share * cts
        if self.extra_per_contact:
            count_col = f"n_{self.activity}"
            if count_col in customers.columns:
                contacts = pd.to_numeric(customers[count_col], errors="coerce").fillna(0.0).to_numpy(dtype=float)
            else:
                require_columns(customers, [cts_col], where=where)
                contacts = cts / _rate_of(rates, self.activity, where)
            extra = extra + self.extra_per_contact * contacts
        n_aff = max(int(affected.sum()), 1)
        direct = np.where(affected, -(extra + self.fixed_cost / n_aff), 0.0)
        return affected, direct, np.zeros(len(customers)), {"priority_customers": int(affected.sum())}


@dataclass(frozen=True)
class FewerVisits:
    """The bottom ``bottom`` share of customers by ``by`` get ``cut`` fewer visits (0.5: half).

    Saving: ``cut`` × their current visit cost (cts_<activity>). Affected: customers in that group who had
    visits. The response is their change in orders (negative: they order less without the visits).
    """

    bottom: float = 0.3
    cut: float = 0.5
    activity: str = "visit"
    by: str = "net_profit"
    default_responses: tuple[float, ...] = (0.0, -0.01, -0.02, -0.05, -0.1, -0.15, -0.2)

    def describe(self, currency: str = "GBP") -> str:
        return (f"{self.cut:.0%} fewer visits for the bottom {self.bottom:.0%} of customers by "
                f"{self.by.replace('_', ' ')}")

    def _direct(self, customers, transactions, rates, ids, where):
        if not 0 < self.bottom <= 1 or not 0 <= self.cut <= 1:
            raise ValueError(f"{where}: FewerVisits bottom must be in (0, 1] and cut in [0, 1]; got "
                             f"{self.bottom}, {self.cut}")
        cts_col = f"cts_{self.activity}"
        require_columns(customers, [self.by, cts_col], where=where)
        group = _group(pd.to_numeric(customers[self.by], errors="coerce").fillna(np.inf), ids, self.bottom, False)
        cts = pd.to_numeric(customers[cts_col], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        affected = group & (cts > 0)
        return affected, np.where(affected, self.cut * cts, 0.0), np.zeros(len(customers)), \
            {"group": int(group.sum())}


# ─── the what-if ──────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)
class WhatIfResult(Result):
    """The outcome of :func:`what_if`.

    ``customers``: customer_id, segment, affected, direct (Dᵢ), marginal (Vᵢ for the affected, else 0), change
    (Dᵢ + u·Vᵢ at the stated response), profit_before, profit_after. ``by_segment`` (``to_frame()``, with a
    Total row): segment, n, affected, profit_before, direct, response_effect, change, profit_after, break_even.
    ``direct``/``marginal`` are the totals ΣDᵢ, ΣVᵢ; ``break_even`` = −direct/marginal (NaN when ΣVᵢ = 0).
    Money is over the ledger's period, or per year when ``years`` was given.
    """

    policy: object
    description: str
    response: float
    customers: pd.DataFrame
    by_segment: pd.DataFrame
    direct: float
    marginal: float
    break_even: float
    profit_before: float
    info: dict = field(default_factory=dict)
    currency: str = "GBP"
    years: float | None = None

    def change_at(self, response: float) -> float:
        """Total change in profit at ``response`` (ΣDᵢ + u·ΣVᵢ), per year when ``years`` was given."""
        return (self.direct + float(response) * self.marginal) / (self.years or 1.0)

    def sensitivity(self, responses: Sequence[float] | None = None) -> pd.DataFrame:
        """Change in profit over a range of responses (the policy's default grid, the stated response and the
        break-even): response, change, profit_after, pays (change ≥ 0)."""
        grid = list(self.policy.default_responses if responses is None else responses)
        if responses is None:
            grid += [self.response] + ([self.break_even] if np.isfinite(self.break_even) else [])
        u = np.unique(np.asarray(grid, dtype=float))
        change = (self.direct + u * self.marginal) / (self.years or 1.0)
        return pd.DataFrame({"response": u, "change": change,
                             "profit_after": self.profit_before / (self.years or 1.0) + change,
                             "pays": change >= -1e-9 * max(1.0, abs(self.direct))})

    def to_frame(self) -> pd.DataFrame:
        """The change in profit by segment, with a Total row (see the class docstring)."""
        return self.by_segment.copy()

    def _per(self) -> str:
        return "a year" if self.years else "over the ledger's period"

    def _break_even_sentence(self) -> str:
        u, d, v = self.break_even, self.direct, self.marginal
        if d == 0:
            return "it has no direct cost or saving, so any change in orders goes straight to profit"
        if not np.isfinite(u):
            return "no change in orders moves it (the affected customers' orders earn nothing after order costs)"
        if d < 0 and v > 0:
            return f"it pays if the affected customers order {u:.1%} more often"
        if d > 0 and v > 0:
            if u <= -1:
                return (f"it pays even if the affected customers stopped ordering altogether (break-even at a "
                        f"{u:.1%} change in orders)")
            return f"it stops paying if the affected customers order more than {-u:.1%} less often"
        if d < 0:
            return ("no increase in orders makes it pay: the affected customers' extra orders lose money after "
                    f"order-driven costs (break-even at a {u:+.1%} change in orders)")
        return f"it pays unless the affected customers order more than {u:.1%} more often (their orders lose money)"

    def summary(self) -> str:
        """The manager's sentences: the direct cost or saving, the break-even, the change at the stated response."""
        money = lambda v: _money(v / (self.years or 1.0), self.currency)  # noqa: E731
        n_aff = int(self.customers["affected"].sum())
        what = "costs" if self.direct < 0 else "saves"
        if n_aff == 0:
            why = " (no delivered order at or above the threshold pays a delivery fee now)" \
                if isinstance(self.policy, FreeDelivery) else ""
            first = f"{self.description} changes nothing: no customer is affected{why}."
        else:
            first = (f"{self.description} {what} {money(abs(self.direct))} {self._per()} at current behaviour "
                     f"({n_aff:,} customers affected); {self._break_even_sentence()}.")
        change = self.change_at(self.response)
        after = (self.profit_before + self.direct + self.response * self.marginal) / (self.years or 1.0)
        second = (f"At the stated response ({self.response:+.1%} orders from the affected customers) profit changes "
                  f"by {_money(change, self.currency)}: from {money(self.profit_before)} to "
                  f"{_money(after, self.currency)}.")
        seg = self.by_segment[self.by_segment["segment"] != "Total"]
        lines = [first, second]
        if len(seg) > 1:
            lines.append("By segment: " + "; ".join(f"{r.segment} {_money(r.change, self.currency)}"
                                                    for r in seg.itertuples()) + ".")
        costs = ", ".join(c.removeprefix("cts_") for c in self.info.get("order_driven", ())) or "no activity"
        lines.append("Model: change = direct effect + response × order-driven contribution of the affected "
                     f"customers (gross margin less the costs of {costs}); other customers unchanged.")
        return "\n".join(lines)


def _customers_of(ledger_or_customers, where: str) -> pd.DataFrame:
    frame = getattr(ledger_or_customers, "customers", ledger_or_customers)
    check_frame(frame, where, "ledger_or_customers (a CustomerLedger or its customers table)")
    require_columns(frame, ["customer_id", "net_profit", "gross_margin"], where=where)
    return frame


def _segment_table(c: pd.DataFrame, years: float | None) -> pd.DataFrame:
    per = years or 1.0
    g = c.assign(response_effect=c["change"] - c["direct"]).groupby("segment", sort=True).agg(
        n=("customer_id", "size"), affected=("affected", "sum"), profit_before=("profit_before", "sum"),
        direct=("direct", "sum"), marginal=("marginal", "sum"), response_effect=("response_effect", "sum"),
        change=("change", "sum"), profit_after=("profit_after", "sum"))
    total = g.sum(numeric_only=True).to_frame("Total").T
    g = pd.concat([g, total])
    g.index.name = "segment"
    with np.errstate(divide="ignore", invalid="ignore"):
        g["break_even"] = np.where(g["marginal"] != 0, -g["direct"] / g["marginal"].where(g["marginal"] != 0),
                                   np.nan)
    money = ["profit_before", "direct", "response_effect", "change", "profit_after"]
    g[money] = g[money] / per
    g = g.drop(columns="marginal").reset_index()
    g[["n", "affected"]] = g[["n", "affected"]].astype("int64")
    return g


def what_if(ledger_or_customers, transactions: pd.DataFrame | None, policy, *, response: float = 0.0,
            rates=None, segment: str = "segment", scales_with_orders: Sequence[str] | None = None,
            fee_income: str | None = "delivery_fee", years: float | None = None,
            currency: str | None = None) -> WhatIfResult:
    """Apply a service ``policy`` to the customer P&L under a stated behavioural ``response`` (module docstring).

    ``ledger_or_customers`` is a CustomerLedger (its ``.customers``) or that table: customer_id, gross_margin,
    net_profit, the cts_<activity> columns, and ``segment`` when results by segment are wanted. ``transactions``
    is needed by :class:`FreeDelivery` (None otherwise). ``policy`` is :class:`FreeDelivery`,
    :class:`PrioritySupport` or :class:`FewerVisits`. ``response`` is the relative change in the affected
    customers' orders. ``rates`` is {activity: money per event} or the cost model (for counts of contacts).
    ``scales_with_orders`` lists the activities whose cost scales with orders (default: the cost model's
    transaction-driven activities, else order, delivery, return). ``fee_income`` names the customers' column of
    delivery-fee income kept outside gross margin (as the sample ledger does; ignored when absent): it comes with
    the extra orders, less the fees a policy gives up. ``years`` turns the money into money a year.

    >>> c = pd.DataFrame({"customer_id": ["a", "b"], "gross_margin": [100.0, 50.0], "cts_order": [10.0, 10.0],
    ...                   "cts_visit": [0.0, 40.0], "net_profit": [90.0, 0.0]})
    >>> res = what_if(c, None, FewerVisits(bottom=0.5, cut=0.5), response=-0.1)
    >>> res.direct, res.marginal, res.break_even, res.change_at(-0.1)
    (20.0, 40.0, -0.5, 16.0)
    >>> print(res.summary().splitlines()[0])
    50% fewer visits for the bottom 50% of customers by net profit saves £20.00 over the ledger's period at current
    behaviour (1 customers affected); it stops paying if the affected customers order more than 50.0% less often.
    """
    where = "what_if"
    customers = _customers_of(ledger_or_customers, where)
    if not hasattr(policy, "_direct"):
        raise ValueError(f"{where}: policy must be FreeDelivery, PrioritySupport or FewerVisits; got "
                         f"{type(policy).__name__}")
    if years is not None and not years > 0:
        raise ValueError(f"{where}: years must be > 0; got {years!r}")
    response = float(response)
    currency = currency or getattr(ledger_or_customers, "currency", None) or getattr(rates, "currency", None) \
        or "GBP"
    ids = customers["customer_id"]
    affected, direct, fees_given_up, info = policy._direct(customers, transactions, rates, ids, where)
    acts = tuple(scales_with_orders) if scales_with_orders is not None else _order_driven(rates)
    cts = [f"cts_{a}" for a in acts if f"cts_{a}" in customers.columns]
    margin = pd.to_numeric(customers["gross_margin"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    order_costs = customers[cts].apply(pd.to_numeric, errors="coerce").fillna(0.0).sum(axis=1).to_numpy(float) \
        if cts else 0.0
    fees_counted = fee_income is not None and fee_income in customers.columns
    income = pd.to_numeric(customers[fee_income], errors="coerce").fillna(0.0).to_numpy(dtype=float) \
        if fees_counted else 0.0
    if not (fees_counted or getattr(policy, "fees_in_revenue", False)):
        fees_given_up = 0.0  # the ledger never counted the fees, so the extra orders lose none
    marginal = np.where(affected, margin - order_costs + income - fees_given_up, 0.0)
    before = pd.to_numeric(customers["net_profit"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    change = direct + response * marginal
    seg = customers[segment].astype(object).where(customers[segment].notna(), "(none)").to_numpy() \
        if segment in customers.columns else np.full(len(customers), "All customers", dtype=object)
    table = pd.DataFrame({"customer_id": ids.to_numpy(), "segment": seg, "affected": affected, "direct": direct,
                          "marginal": marginal, "change": change, "profit_before": before,
                          "profit_after": before + change})
    d, v = float(direct.sum()), float(marginal.sum())
    break_even = -d / v if v != 0 else (0.0 if d == 0 else np.nan)
    return WhatIfResult(policy=policy, description=policy.describe(currency), response=response, customers=table,
                        by_segment=_segment_table(table, years), direct=d, marginal=v, break_even=break_even,
                        profit_before=float(before.sum()), info=dict(info, order_driven=tuple(cts)),
                        currency=currency, years=years)


# ─── service tiers ────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)
class ServiceTiers(Result):
    """Service tiers of :func:`recommend_tiers`.

    ``customers``: customer_id, tier_measure (the customer's value of the ranking measure ``by``), tier,
    service_rank_tier (the tier the customer's cost to serve would put them in, ranked the same way) and fit
    ("matched", "over-served": served like a higher tier than they earn, "under-served"). ``tiers``
    (``to_frame()``): tier, rule, n, share, the sums of gross_margin, cost_to_serve, net_profit,
    cts_pct_of_margin, over_served, under_served and the suggested service.
    """

    customers: pd.DataFrame
    tiers: pd.DataFrame
    by: str
    rule: str
    currency: str = "GBP"

    def to_frame(self) -> pd.DataFrame:
        """One row per tier (see the class docstring)."""
        return self.tiers.copy()

    def summary(self) -> str:
        """The rule, then one line per tier, then the mismatches."""
        lines = [f"Service tiers by {self.by.replace('_', ' ')}: {self.rule}."]
        for r in self.tiers.itertuples():
            cts = f"; cost to serve {r.cts_pct_of_margin:.0f}% of their margin" \
                if np.isfinite(r.cts_pct_of_margin) else ""
            profit = f", net profit {_money(r.net_profit, self.currency)}" if "net_profit" in self.tiers else ""
            lines.append(f"{r.tier}: {r.n:,} customers ({r.share:.0%}){profit}{cts} — {r.service}.")
        over = int((self.customers["fit"] == "over-served").sum())
        under = int((self.customers["fit"] == "under-served").sum())
        lines.append(f"{over:,} customers are over-served (their cost to serve ranks in a higher tier than their "
                     f"{self.by.replace('_', ' ')}) and {under:,} under-served.")
        return "\n".join(lines)


def _score(customers: pd.DataFrame, by: str, where: str) -> pd.Series:
    if by == "margin_per_cts":
        require_columns(customers, ["gross_margin", "cost_to_serve"], where=where)
        m = pd.to_numeric(customers["gross_margin"], errors="coerce").astype(float)
        c = pd.to_numeric(customers["cost_to_serve"], errors="coerce").astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.Series(np.where(c > 0, m / c.where(c > 0), np.where(m > 0, np.inf, 0.0)), index=customers.index)
    require_columns(customers, [by], where=where)
    return pd.to_numeric(customers[by], errors="coerce").astype(float)


def _tier_index(score: pd.Series, ids: pd.Series, cum: np.ndarray) -> np.ndarray:
    """Tier 0 for the top cum[0] share by score (descending, ties by id), 1 for the next, ..."""
    n = len(score)
    order = np.lexsort((ids.astype(str).to_numpy(), -score.fillna(-np.inf).to_numpy(dtype=float)))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    return np.searchsorted(cum * n - 1e-9, pos, side="right")


def recommend_tiers(customers: pd.DataFrame, *, by: str = "gross_margin",
                    tiers: Sequence[tuple[str, float]] = _TIERS, services: Mapping[str, str] | None = None,
                    customer: str = "customer_id", currency: str = "GBP") -> ServiceTiers:
    """Service tiers matching each customer's profitability before service (module docstring).

    ``by``: "gross_margin" (default: what the customer earns before cost to serve), "net_profit",
    "margin_per_cts" (gross margin per £ of cost to serve) or any numeric column. ``tiers``: (name, share)
    from the top, shares summing to 1 (default Gold 10%, Silver 20%, Bronze 30%, Basic 40%). Customers are
    ranked by ``by`` (descending, ties by id); the top share goes to the first tier, and so on. Each customer's
    cost to serve is ranked the same way to say whether their service matches their tier. ``services`` maps
    tier names to the service promised (default :data:`SERVICES`).

    >>> c = pd.DataFrame({"customer_id": list("abcdefghij"), "gross_margin": [100.0, 90, 80, 70, 60, 50, 40, 30,
    ...                   20, 10], "cost_to_serve": [5.0, 50, 5, 5, 5, 5, 5, 5, 5, 60]})
    >>> t = recommend_tiers(c)
    >>> t.customers[["customer_id", "tier", "fit"]].values.tolist()[:3], t.customers["fit"].iloc[-1]
    ([['a', 'Gold', 'under-served'], ['b', 'Silver', 'matched'], ['c', 'Silver', 'under-served']], 'over-served')
    """
    where = "recommend_tiers"
    check_frame(customers, where, "customers")
    require_columns(customers, [customer], where=where)
    names = [str(t[0]) for t in tiers]
    shares = np.array([float(t[1]) for t in tiers])
    if len(names) < 2 or (shares <= 0).any() or abs(shares.sum() - 1) > 1e-9 or len(set(names)) != len(names):
        raise ValueError(f"{where}: tiers must be two or more distinct (name, share) pairs with shares > 0 summing "
                         f"to 1; got {list(tiers)!r}")
    cum = np.cumsum(shares)
    cum[-1] = 1.0
    ids = customers[customer]
    score = _score(customers, by, where)
    tier = _tier_index(score, ids, cum)
    table = pd.DataFrame({"customer_id": ids.to_numpy(), "tier_measure": score.to_numpy(),
                          "tier": np.array(names, dtype=object)[tier]})
    if "cost_to_serve" in customers.columns:
        cts = pd.to_numeric(customers["cost_to_serve"], errors="coerce").astype(float)
        service = _tier_index(cts, ids, cum)
        table["service_rank_tier"] = np.array(names, dtype=object)[service]
        table["fit"] = np.where(service < tier, "over-served", np.where(service > tier, "under-served", "matched"))
    else:
        table["service_rank_tier"], table["fit"] = None, "unknown"
    lo = np.r_[0.0, cum[:-1]]
    rule = "; ".join(f"{n}: {'top' if i == 0 else 'next'} {s:.0%}" if i < len(names) - 1 else f"{n}: the rest "
                     f"({s:.0%})" for i, (n, s) in enumerate(zip(names, shares, strict=True)))
    sums = [c for c in ("gross_margin", "cost_to_serve", "net_profit") if c in customers.columns]
    work = customers[sums].apply(pd.to_numeric, errors="coerce").assign(tier=table["tier"].to_numpy(),
                                                                         fit=table["fit"].to_numpy())
    agg = work.groupby("tier").agg(n=("fit", "size"), **{c: (c, "sum") for c in sums},
                                   over_served=("fit", lambda f: int((f == "over-served").sum())),
                                   under_served=("fit", lambda f: int((f == "under-served").sum())))
    agg = agg.reindex(names).reset_index().rename(columns={"index": "tier"})
    agg[["n", "over_served", "under_served"]] = agg[["n", "over_served", "under_served"]].fillna(0).astype("int64")
    agg.insert(1, "rule", [f"ranks {a:.0%}–{b:.0%} by {by.replace('_', ' ')}" for a, b in zip(lo, cum, strict=True)])
    agg.insert(3, "share", agg["n"] / max(len(table), 1))
    if {"gross_margin", "cost_to_serve"} <= set(sums):
        with np.errstate(divide="ignore", invalid="ignore"):
            agg["cts_pct_of_margin"] = np.where(agg["gross_margin"] > 0,
                                                100 * agg["cost_to_serve"] / agg["gross_margin"], np.nan)
    else:
        agg["cts_pct_of_margin"] = np.nan
    menu = dict(SERVICES if services is None else services)
    agg["service"] = [menu.get(n, "") for n in names]
    return ServiceTiers(customers=table, tiers=agg, by=by, rule=rule, currency=currency)
