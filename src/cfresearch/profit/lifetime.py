"""Lifetime value in one step: fit on a calibration period, check on a holdout, then value every customer.

:func:`lifetime_value` runs the validation protocol of Fader, Hardie & Lee (2005, "Counting your customers the
easy way", *Marketing Science* 24(2), §4) and the valuation of Fader, Hardie & Lee (2005, "RFM and CLV", *JMR*
42(4)) on a transaction table:

1. **Calibration and holdout.** The last ``holdout_weeks`` before ``end`` are held out. BG/NBD and Pareto/NBD are
   fitted to the calibration-period purchase summary (weeks) and predict each customer's repeat purchases in the
   holdout (:func:`cfresearch.profit.holdout.holdout_check`): totals, per calibration frequency, and the weekly
   tracking of cumulative repeat purchases. Customers whose first purchase falls on the calibration's last day
   (T = 0) carry no information about their purchase rate and are left out of the fits (counted).
2. **Valuation.** The model with the better holdout error (mean absolute error per customer; when the two are
   within 1%, the one whose holdout total is closer to the actual) is refitted on the whole period. The
   Gamma-Gamma spend model is fitted on the gross margin of the repeat purchases (positive values only, as the
   model requires; Fader & Hardie 2013, note 025), and the correlation between frequency and spend that it
   assumes away is shown. Each purchase's value is then its expected margin plus the delivery fee
   it brings, less the customer's order-driven cost to serve per order (order, delivery, return: the costs that
   scale with orders), from the customer P&L; support, visits and fixed costs are not projected. The value of
   the next ``horizon_months`` months is discounted at the annual ``discount_rate``
   (:func:`cfresearch.profit.clv.clv`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cfresearch.checks import check_frame, require_columns
from cfresearch.results import Result

from .bgnbd import fit_bgnbd
from .clv import clv, clv_by_segment
from .gammagamma import FrequencySpendCorrelation, GammaGammaModel, fit_gamma_gamma, frequency_spend_correlation
from .holdout import calibration_holdout, holdout_check, repeat_purchases_by_period
from .ledger import summarise_purchases
from .paretonbd import fit_pareto_nbd

__all__ = ["LifetimeValue", "lifetime_value"]

#: Activities whose cost scales with the number of orders (projected into future purchases).
ORDER_COSTS = ("order", "delivery", "return")


@dataclass(frozen=True, eq=False)
class LifetimeValue(Result):
    """The fitted and validated lifetime-value models and every customer's value.

    ``checks``: model name -> :class:`HoldoutCheck` on the holdout; ``calibration``: model name -> the model fitted
    on the calibration period; ``model``: the chosen model refitted on the whole period; ``spend``: the
    Gamma-Gamma fit on margin; ``values``: one row per customer (customer_id, segment when known,
    expected_purchases, discounted_purchases, expected_value, value_per_purchase, clv, p_alive);
    ``by_segment``: the values summed by segment."""

    checks: dict
    calibration: dict
    model: object
    spend: GammaGammaModel
    frequency_spend: FrequencySpendCorrelation
    values: pd.DataFrame = field(repr=False)
    by_segment: pd.DataFrame = field(repr=False)
    calibration_end: pd.Timestamp
    end: pd.Timestamp
    holdout_weeks: int
    horizon_months: int
    discount_rate: float
    left_out: int = 0
    currency: str = "GBP"

    @property
    def chosen(self) -> str:
        """The name of the model used for the values (the one with the smaller holdout MAE)."""
        return self.model.name

    def total(self) -> float:
        """The lifetime value of the whole customer base over the horizon (money)."""
        return float(self.values["clv"].sum())

    def top_share(self, share: float = 0.1) -> float:
        """The share (0..1) of the total value held by the top ``share`` of customers by value."""
        v = np.sort(self.values["clv"].to_numpy(dtype=float))[::-1]
        k = max(1, int(round(share * len(v))))
        total = v.sum()
        return float(v[:k].sum() / total) if total > 0 else float("nan")

    def parameters(self) -> pd.DataFrame:
        """Every fitted model's parameters with standard errors: model, period, param, estimate, se, ci_low,
        ci_high."""
        rows = [m.to_frame().assign(model=name, period="calibration") for name, m in self.calibration.items()]
        rows.append(self.model.to_frame().assign(model=self.model.name, period="whole period"))
        rows.append(self.spend.to_frame().assign(model="Gamma-Gamma (margin)", period="whole period"))
        out = pd.concat(rows, ignore_index=True)
        return out[["model", "period", *[c for c in out.columns if c not in ("model", "period")]]]

    def accuracy(self) -> pd.DataFrame:
        """Holdout accuracy per model: customers, actual and predicted repeat purchases, % error, MAE, RMSE,
        correlation."""
        rows = []
        for name, check in self.checks.items():
            m = check.metrics.set_index("measure")["estimate"]
            rows.append({"model": name, "customers": int(m["customers"]), "actual": m["total_actual"],
                         "predicted": m["total_predicted"], "percent_error": m["percent_error"], "mae": m["mae"],
                         "rmse": m["rmse"], "correlation": m["correlation"]})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        return self.accuracy()

    def summary(self) -> str:
        best = self.checks[self.chosen].metrics.set_index("measure")["estimate"]
        return (f"Lifetime value over {self.horizon_months} months at {self.discount_rate:.0%} a year "
                f"({self.chosen}, checked on a {self.holdout_weeks}-week holdout: predicted "
                f"{best['total_predicted']:,.0f} repeat purchases against {best['total_actual']:,.0f} actual, "
                f"{best['percent_error']:+.1f}%): {self.total():,.0f} {self.currency} for {len(self.values):,} "
                f"customers; the top 10% hold {self.top_share(0.1):.0%} of it.")


def _order_cost_per_purchase(ledger: pd.DataFrame) -> pd.Series:
    """Per customer: order-driven cost to serve per order less the delivery fee per order (money per purchase)."""
    cols = [f"cts_{a}" for a in ORDER_COSTS if f"cts_{a}" in ledger.columns]
    cost = ledger[cols].sum(axis=1) - (ledger["delivery_fee"] if "delivery_fee" in ledger.columns else 0.0)
    orders = ledger["orders"].where(ledger["orders"] > 0)
    per = cost / orders
    return per.fillna(per.mean() if per.notna().any() else 0.0).set_axis(ledger["customer_id"])


def _better(checks: dict) -> str:
    """The model with the smaller holdout MAE; within 1% of each other, the one whose total is closer."""
    mae = {name: c.metric("mae") for name, c in checks.items()}
    low = min(mae.values())
    close = [name for name in checks if mae[name] <= low * 1.01]
    return min(close, key=lambda name: (abs(checks[name].metric("percent_error")), mae[name]))


def _fits(cal: pd.DataFrame, weekly: pd.Series):
    models = {"BG/NBD": fit_bgnbd(cal), "Pareto/NBD": fit_pareto_nbd(cal)}
    checks = {name: holdout_check(m, cal, actual_by_period=weekly) for name, m in models.items()}
    return models, checks


def lifetime_value(transactions: pd.DataFrame, ledger: pd.DataFrame, *, end, holdout_weeks: int = 26,
                   horizon_months: int = 12, discount_rate: float = 0.10, segment: str = "segment",
                   summary: pd.DataFrame | None = None, currency: str = "GBP") -> LifetimeValue:
    """Fit, validate and apply the lifetime-value models to ``transactions`` (see the module docstring).

    ``transactions``: the sales and refunds (customer_id, order_id, date, revenue, cogs, returned; refunds are not
    purchases); ``ledger``: the customer P&L (:class:`cfresearch.profit.ledger.CustomerLedger` ``.customers``)
    for the order-driven costs and the segments; ``end``: the last day of the data; ``summary``: the whole
    period's purchase summary in weeks with margin as value, when the engine computed it already
    (:func:`cfresearch.profit.ledger.summarise_purchases` with ``value="margin"``).

    >>> from cfresearch.profit.bgnbd import simulate_bgnbd
    >>> rng = np.random.default_rng(3)
    >>> s = simulate_bgnbd({"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}, rng.uniform(40, 104, 1500), seed=3)
    >>> start = pd.Timestamp("2024-01-01")
    >>> first = start + pd.to_timedelta(((104 - s["T"]) * 7).round(), unit="D")
    >>> days = [f + pd.to_timedelta(np.sort(rng.uniform(0, r * 7, x)).round(), unit="D") if x else []
    ...         for f, x, r in zip(first, s["frequency"], s["recency"])]
    >>> tx = pd.DataFrame({"customer_id": np.repeat(np.arange(1500).astype(str), s["frequency"] + 1),
    ...                    "date": np.concatenate([[f, *d] for f, d in zip(first, days)])})
    >>> tx = tx.assign(order_id=np.arange(len(tx)).astype(str), revenue=rng.gamma(4, 12, len(tx)).round(2),
    ...                returned=False).assign(cogs=lambda t: (t["revenue"] * 0.6).round(2))
    >>> led = tx.groupby("customer_id", as_index=False).agg(orders=("order_id", "size")).assign(cts_order=0.0)
    >>> lv = lifetime_value(tx, led, end=start + pd.Timedelta(days=728))
    >>> lv.chosen in ("BG/NBD", "Pareto/NBD"), len(lv.values), bool(lv.total() > 0)
    (True, 1500, True)
    >>> sorted(lv.accuracy()["model"])
    ['BG/NBD', 'Pareto/NBD']
    """
    where = "lifetime_value"
    check_frame(transactions, where, "transactions")
    require_columns(transactions, ["customer_id", "date", "revenue", "cogs"], where=where)
    check_frame(ledger, where, "ledger")
    require_columns(ledger, ["customer_id", "orders"], where=where)
    end = pd.Timestamp(end).normalize()
    cal_end = end - pd.Timedelta(weeks=int(holdout_weeks))
    sales = transactions
    if "returned" in sales.columns:
        sales = sales[~sales["returned"].astype(bool)]
    sales = sales.assign(date=pd.to_datetime(sales["date"]), margin=sales["revenue"] - sales["cogs"])
    start = sales["date"].min()
    ch = calibration_holdout(sales, calibration_end=cal_end, holdout_end=end, unit="W", value=None, start=start)
    fit_on = ch[ch["T"] > 0]
    weekly = repeat_purchases_by_period(sales, end=end, unit="W", start=start)["repeat_purchases"]
    calibration, checks = _fits(fit_on, weekly)
    best = _better(checks)
    if summary is None:
        summary = summarise_purchases(transactions, end=end, unit="W", value="margin")
    whole = summary[["customer_id", "frequency", "recency", "T", "monetary_value"]]
    fitted = whole[whole["T"] > 0]
    model = (fit_bgnbd if best == "BG/NBD" else fit_pareto_nbd)(fitted)
    spend = fit_gamma_gamma(whole, nonpositive="exclude")
    cost = _order_cost_per_purchase(ledger).reindex(whole["customer_id"]).fillna(0.0).to_numpy()
    values = clv(whole, model, spend, horizon=int(horizon_months), discount_rate=float(discount_rate), freq="M",
                 cost_per_purchase=cost)
    if segment in ledger.columns:
        values = values.merge(ledger[["customer_id", segment]], on="customer_id", how="left")
        by_seg = clv_by_segment(values, by=segment)
    else:
        by_seg = pd.DataFrame()
    return LifetimeValue(checks, calibration, model, spend, frequency_spend_correlation(whole), values, by_seg,
                         cal_end, end, int(holdout_weeks), int(horizon_months), float(discount_rate),
                         int((ch["T"] <= 0).sum()), currency)
