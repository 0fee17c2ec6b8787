"""Customer lifetime value: expected repeat purchases x expected value per purchase, discounted, per customer.

:func:`clv` combines a repeat-purchase model (BG/NBD or Pareto/NBD: its ``conditional_expected_purchases(t,
frequency, recency, T)`` and ``probability_alive``) with a spend model (Gamma-Gamma: its
``conditional_expected_value(frequency, monetary_value)``) as lifetimes' ``customer_lifetime_value`` does (after
Fader, Hardie & Lee 2005b, "RFM and CLV: using iso-value curves for customer base analysis", *JMR* 42(4), where
CLV = margin x expected value per transaction x discounted expected transactions): over steps k = 1..H of length Δ
(a month by default),

    CLVᵢ = vᵢ · Σₖ [E(X(Tᵢ, Tᵢ + kΔ) | xᵢ, t_xᵢ, Tᵢ) − E(X(Tᵢ, Tᵢ + (k − 1)Δ) | ...)] / (1 + d)^(kΔ in years),

with d the annual discount rate and vᵢ the value of a purchase: the spend model's expected value per purchase,
times a margin rate when the spend model was fitted on revenue, less an expected cost-to-serve per purchase
(the Gamma-Gamma model is fitted on positive revenue or gross margin; costs are subtracted here, outside it).
lifetimes takes the monthly rate and 4.345 weeks (30 days) a month; here a month is exactly 365.25/12 days and the
rate is annual, so lifetimes' numbers are reproduced with ``discount_rate = (1 + monthly)^12 − 1`` up to its
month length (0.07% in weeks).

Scoring is vectorised over customers in chunks of distinct (frequency, recency, T) rows: memory is O(chunk), and
customers with the same history are scored once (no draws x customers array is ever formed).

:func:`discounted_expected_transactions` is the closed form of the Pareto/NBD's discounted expected residual
transactions under continuous discounting (FHL 2005b, eq. 2), and :func:`clv_by_segment` sums the values by
segment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from cfresearch.checks import check_choice, check_frame, require_columns

from .holdout import UNITS

__all__ = ["DAYS_PER_YEAR", "STEPS", "clv", "clv_by_segment", "discounted_expected_transactions"]

#: Days in a year (the Julian year), for converting the annual discount rate.
DAYS_PER_YEAR = 365.25
#: Lengths of the discounting steps, in days.
STEPS = {"D": 1.0, "W": 7.0, "M": DAYS_PER_YEAR / 12, "Q": DAYS_PER_YEAR / 4, "Y": DAYS_PER_YEAR}
_COLS = ("frequency", "recency", "T")


def _model_unit(model, unit: str | None, where: str) -> str:
    """The summary's time unit: ``unit`` if given (checked against the model's stated unit), else the model's."""
    stated = getattr(model, "unit", "") or ""
    if unit is None:
        unit = stated or "W"
    check_choice(unit, tuple(UNITS), where=where, what="unit")
    if stated and stated != unit:
        raise ValueError(f"{where}: the transaction model was fitted in unit {stated!r} but unit={unit!r} was "
                         "given; the summary and the model must use the same time unit")
    return unit


def _per_customer(summary: pd.DataFrame, spec, name: str, where: str) -> np.ndarray | float:
    """A scalar, a column name of ``summary`` or one value per customer, as floats."""
    if spec is None:
        return 0.0
    if isinstance(spec, str):
        require_columns(summary, [spec], where=where)
        out = summary[spec].to_numpy(dtype=float)
    else:
        out = np.asarray(spec, dtype=float)
        if out.ndim == 0:
            return float(out)
        if out.shape != (len(summary),):
            raise ValueError(f"{where}: {name} must be a number, a column name or one value per customer "
                             f"({len(summary)}); got shape {out.shape}")
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{where}: {name} has missing or infinite values")
    return out


def _discounted_purchases(model, x, tx, big_t, step: float, horizon: int, factor: float, chunk: int):
    """(expected purchases over the horizon, discounted expected purchases) for distinct rows, in chunks."""
    total = np.empty(x.size)
    disc = np.empty(x.size)
    for lo in range(0, x.size, chunk):
        sl = slice(lo, lo + chunk)
        prev = np.zeros(x[sl].size)
        acc = np.zeros(x[sl].size)
        for k in range(1, horizon + 1):
            cum = np.asarray(model.conditional_expected_purchases(k * step, x[sl], tx[sl], big_t[sl]), dtype=float)
            acc += (cum - prev) * factor**k
            prev = cum
        total[sl], disc[sl] = prev, acc
    return total, disc


def clv(summary: pd.DataFrame, transaction_model, spend_model, *, horizon: int = 12, discount_rate: float = 0.1,
        unit: str | None = None, freq: str = "M", margin=None, cost_per_purchase=None,
        value: str = "monetary_value", customer: str = "customer_id", chunk: int = 200_000) -> pd.DataFrame:
    """Discounted expected value of each customer's purchases over the next ``horizon`` steps (see module doc).

    ``summary``: the purchase summary (frequency, recency, T in ``unit``, and ``value``, the mean value of the
    repeat purchases the spend model was fitted on). ``horizon``: number of steps of ``freq`` ("M" month, "W",
    "D", "Q", "Y"). ``discount_rate``: annual, effective. ``unit``: the summary's time unit ("W" or "D"; default
    the transaction model's). ``margin``: a gross-margin rate applied to the expected spend (number, column name
    or one value per customer; None for 1, i.e. the spend model already measures margin). ``cost_per_purchase``:
    expected cost-to-serve per purchase subtracted from the value of each purchase (same forms; None for 0).
    A purchase may so be worth less than nothing: the CLV is then negative.

    Returns one row per customer: ``customer`` (when the summary has it), expected_purchases (undiscounted, over
    the horizon), discounted_purchases, expected_value (the spend model's value per purchase), value_per_purchase
    (margin x expected_value − cost_per_purchase), clv (value_per_purchase x discounted_purchases) and p_alive.

    >>> class Steady:  # a toy purchase model: 1 purchase a week for customers with x > 0, else 0.5
    ...     unit = "W"
    ...     def conditional_expected_purchases(self, t, frequency, recency, T):
    ...         return np.where(np.asarray(frequency) > 0, 1.0, 0.5) * t
    ...     def probability_alive(self, frequency, recency, T): return np.ones(len(frequency))
    >>> class Flat:
    ...     def conditional_expected_value(self, frequency, monetary_value): return np.full(len(frequency), 20.0)
    >>> s = pd.DataFrame({"customer_id": ["a", "b"], "frequency": [2, 0], "recency": [10.0, 0.0],
    ...                   "T": [20.0, 5.0], "monetary_value": [25.0, 0.0]})
    >>> out = clv(s, Steady(), Flat(), horizon=1, freq="W", discount_rate=0.0, margin=0.5, cost_per_purchase=2)
    >>> out[["customer_id", "expected_purchases", "value_per_purchase", "clv"]].to_dict("list")
    {'customer_id': ['a', 'b'], 'expected_purchases': [1.0, 0.5], 'value_per_purchase': [8.0, 8.0], 'clv': [8.0, 4.0]}
    """
    where = "clv"
    check_frame(summary, where, "summary")
    require_columns(summary, [*_COLS, value], where=where)
    unit = _model_unit(transaction_model, unit, where)
    check_choice(freq, tuple(STEPS), where=where, what="freq")
    if isinstance(horizon, bool) or int(horizon) != horizon or horizon < 1:
        raise ValueError(f"{where}: horizon must be a whole number of {freq!r} steps >= 1; got {horizon!r}")
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise ValueError(f"{where}: discount_rate must be an annual rate > -1 (e.g. 0.1); got {discount_rate!r}")
    step = STEPS[freq] / UNITS[unit]
    factor = (1 + discount_rate) ** -(STEPS[freq] / DAYS_PER_YEAR)
    rows = summary[list(_COLS)].to_numpy(dtype=float)
    if not np.all(np.isfinite(rows)):
        raise ValueError(f"{where}: frequency, recency and T must be finite numbers")
    uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    total, disc = _discounted_purchases(transaction_model, uniq[:, 0], uniq[:, 1], uniq[:, 2], step, int(horizon),
                                        factor, max(int(chunk), 1))
    alive = np.asarray(transaction_model.probability_alive(uniq[:, 0], uniq[:, 1], uniq[:, 2]), dtype=float)
    expected_value = np.asarray(spend_model.conditional_expected_value(summary["frequency"].to_numpy(dtype=float),
                                                                       summary[value].to_numpy(dtype=float)),
                                dtype=float)
    rate = 1.0 if margin is None else _per_customer(summary, margin, "margin", where)
    cost = _per_customer(summary, cost_per_purchase, "cost_per_purchase", where)
    per_purchase = rate * expected_value - cost
    out = pd.DataFrame({"expected_purchases": total[inverse], "discounted_purchases": disc[inverse],
                        "expected_value": expected_value, "value_per_purchase": per_purchase,
                        "clv": per_purchase * disc[inverse], "p_alive": alive[inverse]}, index=summary.index)
    if customer in summary.columns:
        out.insert(0, customer, summary[customer].to_numpy())
    return out


def discounted_expected_transactions(model, summary: pd.DataFrame, *, discount_rate: float = 0.1,
                                     unit: str | None = None) -> np.ndarray:
    """Pareto/NBD discounted expected residual transactions, DERT (FHL 2005b, eq. 2; BTYD ``pnbd.DERT``).

    With continuous discounting at δ = ln(1 + d) per year (converted to the summary's ``unit``), a customer
    alive at T with rates λ, μ is worth ∫₀^∞ λ e^{−(μ+δ)t} dt = λ/(μ + δ) transactions. Given the history,
    alive customers have λ ~ gamma(r + x, α + T) and μ ~ gamma(s, β + T), so

        DERT = P(alive) · (r + x)/(α + T) · (β + T)^s δ^{s−1} U(s, s; δ(β + T)),

    U the confluent hypergeometric function of the second kind (scipy.special.hyperu); this is FHL (2005b) eq. 2
    with its likelihood written through P(alive). Uses the model's ``params`` (r, alpha, s, beta) and
    ``probability_alive``. Multiply by the value per purchase for the residual lifetime value.

    >>> class PNBD:
    ...     params = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    ...     unit = "W"
    ...     def probability_alive(self, frequency, recency, T): return np.ones(len(frequency))
    >>> s = pd.DataFrame({"frequency": [2], "recency": [30.0], "T": [38.86]})
    >>> discounted_expected_transactions(PNBD(), s, discount_rate=0.15).round(3)
    array([7.496])
    """
    where = "discounted_expected_transactions"
    check_frame(summary, where, "summary")
    require_columns(summary, list(_COLS), where=where)
    params = getattr(model, "params", {})
    if not {"r", "alpha", "s", "beta"} <= set(params):
        raise ValueError(f"{where}: needs a Pareto/NBD model (params r, alpha, s, beta); got {sorted(params)}")
    unit = _model_unit(model, unit, where)
    if not np.isfinite(discount_rate) or discount_rate <= 0:
        raise ValueError(f"{where}: discount_rate must be an annual rate > 0; got {discount_rate!r}")
    r, alpha, s, beta = (float(params[k]) for k in ("r", "alpha", "s", "beta"))
    delta = np.log1p(discount_rate) * UNITS[unit] / DAYS_PER_YEAR
    x, tx, big_t = (summary[c].to_numpy(dtype=float) for c in _COLS)
    alive = np.asarray(model.probability_alive(x, tx, big_t), dtype=float)
    z = delta * (beta + big_t)
    # (β+T)^s δ^{s−1} U(s, s; z) = z^s U(s, s; z) / δ, computed in logs of its factors
    return alive * (r + x) / (alpha + big_t) * np.exp(s * np.log(z)) * special.hyperu(s, s, z) / delta


def clv_by_segment(values: pd.DataFrame, segments=None, *, by: str = "segment",
                   customer: str = "customer_id") -> pd.DataFrame:
    """Lifetime value summed by segment: customers, clv (total), clv_mean, share of the total, expected purchases.

    ``values`` is the output of :func:`clv`; ``segments`` a table with ``customer`` and ``by`` columns joined on
    the customer (None when ``values`` already has the ``by`` column). Sorted by total CLV, largest first.

    >>> v = pd.DataFrame({"customer_id": ["a", "b", "c"], "clv": [10.0, 30.0, -5.0],
    ...                   "expected_purchases": [1.0, 2.0, 0.5], "p_alive": [0.5, 0.9, 0.2]})
    >>> seg = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["x", "x", "y"]})
    >>> clv_by_segment(v, seg).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'segment': ['x', 'y'], 'customers': [2, 1], 'clv': [40.0, -5.0], 'clv_mean': [20.0, -5.0],
     'share': [1.1428571428571428, -0.14285714285714285], 'expected_purchases': [3.0, 0.5], 'p_alive_mean': [0.7, 0.2]}
    """
    where = "clv_by_segment"
    check_frame(values, where, "values")
    require_columns(values, ["clv", "expected_purchases", "p_alive"], where=where)
    frame = values
    if segments is not None:
        check_frame(segments, where, "segments")
        require_columns(segments, [customer, by], where=where, what="segments column")
        require_columns(values, [customer], where=where)
        if segments[customer].duplicated().any():
            raise ValueError(f"{where}: segments lists a customer more than once")
        frame = values.merge(segments[[customer, by]], on=customer, how="left")
    require_columns(frame, [by], where=where)
    g = frame.groupby(by, dropna=False, observed=True, sort=False)
    out = pd.DataFrame({"customers": g.size(), "clv": g["clv"].sum(), "clv_mean": g["clv"].mean(),
                        "expected_purchases": g["expected_purchases"].sum(), "p_alive_mean": g["p_alive"].mean()})
    total = float(frame["clv"].sum())
    out.insert(3, "share", out["clv"] / total if total else np.nan)
    return out.sort_values("clv", ascending=False).rename_axis(by).reset_index()
