"""Calibration/holdout validation of the repeat-purchase models (BG/NBD, Pareto/NBD), from aggregated tables.

The checks of Fader, Hardie & Lee (2005a), "'Counting your customers' the easy way: an alternative to the
Pareto/NBD model", *Marketing Science* 24(2):275-284, §4, on a calibration period and the holdout period after it:

* **conditional expectations** (their Figure 4): customers grouped by their number of repeat purchases in the
  calibration period (0, 1, ..., 6, 7+); the mean number of holdout purchases they made against the mean the
  model predicted for them, E[X(T, T + τ) | x, t_x, T] (the model's ``conditional_expected_purchases``);
* **tracking** (their Figure 3): total repeat purchases by period (week) over calibration and holdout, incremental
  and cumulative, against Σᵢ E[X(t − bᵢ)], the model's expected repeat purchases of a new customer
  (``expected_purchases``) summed over the customers by the period bᵢ of their first purchase;
* **calibration histogram** (their Figure 2; Fader, Hardie & Lee 2007, "Creating a fit histogram for the BG/NBD
  model", www.brucehardie.com/notes/014/): how many customers made 0, 1, ..., 7+ repeat purchases in the
  calibration period against Σᵢ P(X(Tᵢ) = x): the model's own ``probability_of_purchases(t, x)`` (the BG/NBD's,
  FHL 2005a eq. 8) or, for the Pareto/NBD, :func:`probability_of_purchases`, integrated here from the model's
  assumptions (it agrees with lifetimes' implementation of Fader & Hardie's closed form);
* error measures: total predicted against total actual holdout purchases, the per-customer mean absolute error,
  root mean squared error and correlation.

Everything works from per-customer tables, so the aggregation can run anywhere (DuckDB, Spark, Snowflake) and only
the small tables come back (the complaint of btyd#50): :func:`holdout_check` takes any table with the columns
frequency, recency, T (calibration), frequency_holdout and duration_holdout (holdout), plus the first-purchase
period ``birth`` for the tracking, and optionally the actual repeat purchases per period.
:func:`calibration_holdout` and :func:`repeat_purchases_by_period` build those tables from transactions with
pandas, in the convention of Fader, Hardie & Lee and of lifetimes' ``calibration_and_holdout_data`` (repeat
purchases counted as distinct purchase days; ``calibration_end`` belongs to the calibration period).

Models are used by duck typing: ``params`` (the papers' names), ``conditional_expected_purchases(t, frequency,
recency, T)`` and ``expected_purchases(t)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from cfresearch.checks import check_choice, check_frame, require_columns
from cfresearch.results import Result

__all__ = ["UNITS", "HoldoutCheck", "calibration_holdout", "frequency_histogram", "holdout_check",
           "probability_of_purchases", "repeat_purchases_by_period", "tracking"]

#: Time units of the purchase summaries, in days.
UNITS = {"D": 1.0, "W": 7.0}
_CAL = ("frequency", "recency", "T")
_HOLD = ("frequency_holdout", "duration_holdout")


def _unit_days(unit: str, where: str) -> float:
    return UNITS[check_choice(unit, tuple(UNITS), where=where, what="unit")]


def _purchase_days(transactions: pd.DataFrame, customer: str, date: str, value: str | None, where: str):
    """One row per customer and purchase day (value summed), with the day as datetime64[D]."""
    check_frame(transactions, where, "transactions")
    require_columns(transactions, [customer, date] + ([value] if value else []), where=where)
    cols = [customer, date] + ([value] if value else [])
    tx = transactions[cols].copy()
    tx[date] = pd.to_datetime(tx[date]).dt.floor("D")
    if tx[date].isna().any() or tx[customer].isna().any():
        row = tx.index[(tx[date].isna() | tx[customer].isna()).to_numpy()][0]
        raise ValueError(f"{where}: row {row!r} has no {customer!r} or no {date!r}; every purchase needs both")
    if value:
        return tx.groupby([customer, date], sort=True, observed=True)[value].sum().reset_index()
    return tx.drop_duplicates([customer, date]).sort_values([customer, date]).reset_index(drop=True)


def calibration_holdout(transactions: pd.DataFrame, *, calibration_end, holdout_end, unit: str = "W",
                        customer: str = "customer_id", date: str = "date", value: str | None = "revenue",
                        start=None) -> pd.DataFrame:
    """Per customer: the calibration-period purchase summary and the holdout-period purchases.

    Purchases are collapsed to purchase days (a customer's purchases on one day are one purchase, their values
    summed). Customers whose first purchase falls after ``calibration_end`` are left out (they are not part of
    the calibrated cohort). Columns, with times in ``unit`` ("W": days / 7, or "D"):

    customer, frequency (repeat purchase days in the calibration period), recency (first to last calibration
    purchase), T (first purchase to ``calibration_end``), monetary_value (mean value of the repeat calibration
    days; 0 without repeats), birth (``start`` to the first purchase; ``start`` defaults to the earliest first
    purchase), frequency_holdout (purchase days in (calibration_end, holdout_end]), monetary_value_holdout (their
    mean value; 0 without), duration_holdout (holdout_end − calibration_end). ``value=None`` omits the values.
    The convention is Fader, Hardie & Lee's (2005a) and lifetimes' ``calibration_and_holdout_data``.

    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-02-12", "2024-01-08",
    ...                                            "2024-01-08"]),
    ...                    "revenue": [10.0, 20.0, 30.0, 5.0, 7.0]})
    >>> calibration_holdout(tx, calibration_end="2024-01-29", holdout_end="2024-02-26").round(2).to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'customer_id': 'a', 'frequency': 1, 'recency': 2.0, 'T': 4.0, 'monetary_value': 20.0, 'birth': 0.0,
      'frequency_holdout': 1, 'monetary_value_holdout': 30.0, 'duration_holdout': 4.0},
     {'customer_id': 'b', 'frequency': 0, 'recency': 0.0, 'T': 3.0, 'monetary_value': 0.0, 'birth': 1.0,
      'frequency_holdout': 0, 'monetary_value_holdout': 0.0, 'duration_holdout': 4.0}]
    """
    where = "calibration_holdout"
    days = _unit_days(unit, where)
    cal_end, hold_end = pd.Timestamp(calibration_end).floor("D"), pd.Timestamp(holdout_end).floor("D")
    if hold_end <= cal_end:
        raise ValueError(f"{where}: holdout_end ({hold_end.date()}) must be after calibration_end ({cal_end.date()})")
    pdays = _purchase_days(transactions, customer, date, value, where)
    first = pdays.groupby(customer, sort=False, observed=True)[date].transform("min")
    pdays = pdays[first <= cal_end]
    first = first[first <= cal_end]
    if pdays.empty:
        raise ValueError(f"{where}: no customer made a first purchase by calibration_end ({cal_end.date()})")
    cal = pdays[pdays[date] <= cal_end]
    hold = pdays[(pdays[date] > cal_end) & (pdays[date] <= hold_end)]
    g = cal.groupby(customer, sort=True, observed=True)
    out = pd.DataFrame({"frequency": g.size() - 1, "first": g[date].min(), "last": g[date].max()})
    origin = out["first"].min() if start is None else pd.Timestamp(start).floor("D")
    if out["first"].min() < origin:
        raise ValueError(f"{where}: start ({origin.date()}) is after the first purchase of some customers")
    out["recency"] = (out["last"] - out["first"]).dt.days / days
    out["T"] = (cal_end - out["first"]).dt.days / days
    if value:
        is_first = cal[date].to_numpy() == first.loc[cal.index].to_numpy()
        rep = cal[~is_first].groupby(customer, sort=True, observed=True)[value].mean()
        out["monetary_value"] = rep.reindex(out.index).fillna(0.0)
    out["birth"] = (out["first"] - origin).dt.days / days
    hg = hold.groupby(customer, sort=True, observed=True)
    out["frequency_holdout"] = hg.size().reindex(out.index).fillna(0).astype(np.int64)
    if value:
        out["monetary_value_holdout"] = hg[value].mean().reindex(out.index).fillna(0.0)
    out["duration_holdout"] = (hold_end - cal_end).days / days
    out = out.drop(columns=["first", "last"]).rename_axis(customer).reset_index()
    cols = [customer, "frequency", "recency", "T"] + (["monetary_value"] if value else []) + \
        ["birth", "frequency_holdout"] + (["monetary_value_holdout"] if value else []) + ["duration_holdout"]
    return out[cols]


def repeat_purchases_by_period(transactions: pd.DataFrame, *, end, unit: str = "W", customer: str = "customer_id",
                               date: str = "date", start=None) -> pd.DataFrame:
    """Repeat purchases (purchase days after each customer's first) per period from ``start`` to ``end``.

    Period k (1, 2, ...) covers the days [start + (k − 1)·u, start + k·u) for a unit of u days ("W": 7);
    ``start`` defaults to the earliest purchase. Columns: period, repeat_purchases, cumulative. Purchases after
    ``end`` are left out. This is the "actual" line of the tracking plot (lifetimes'
    ``expected_cumulative_transactions``, FHL 2005a Figure 3).

    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-10", "2024-01-09"])})
    >>> repeat_purchases_by_period(tx, end="2024-01-14").to_dict("list")
    {'period': [1, 2], 'repeat_purchases': [1, 1], 'cumulative': [1, 2]}
    """
    where = "repeat_purchases_by_period"
    days = _unit_days(unit, where)
    pdays = _purchase_days(transactions, customer, date, None, where)
    origin = pdays[date].min() if start is None else pd.Timestamp(start).floor("D")
    last = pd.Timestamp(end).floor("D")
    first = pdays.groupby(customer, sort=False, observed=True)[date].transform("min")
    rep = pdays.loc[(pdays[date] > first) & (pdays[date] <= last), date]
    periods = int(np.ceil(((last - origin).days + 1) / days))
    k = ((rep - origin).dt.days // days).astype(np.int64).to_numpy() + 1
    counts = np.bincount(k[k >= 1], minlength=periods + 1)[1:periods + 1]
    return pd.DataFrame({"period": np.arange(1, periods + 1), "repeat_purchases": counts,
                         "cumulative": np.cumsum(counts)})


# ─── model-implied distributions ─────────────────────────────────────────────────────────────────────────────


def _log_nbd(x: np.ndarray, r: float, alpha: float, t: np.ndarray) -> np.ndarray:
    """log P(N = x) of the NBD, the Poisson(λt) count mixed over λ ~ gamma(r, α); 0 purchases when t = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (special.gammaln(r + x) - special.gammaln(r) - special.gammaln(x + 1) + r * np.log(alpha / (alpha + t))
               + special.xlogy(x, t / (alpha + t)))
    return out


def _pnbd_pmf(params: dict, t, x) -> np.ndarray:
    """P(X(t) = x) under the Pareto/NBD (Schmittlein, Morrison & Colombo 1987 assumptions), by quadrature.

    X(t) | λ, μ is Poisson(λt) with probability e^{−μt} (alive at t) and Poisson(λω) with ω ~ Exp(μ) truncated at
    t otherwise. Integrating λ and μ over their gamma priors in closed form leaves one integral over the death
    time ω, P = NBD(x; r, α, t)·(β/(β+t))^s + ∫₀ᵗ NBD(x; r, α, ω)·s β^s/(β+ω)^{s+1} dω, done by 200-node
    Gauss-Legendre quadrature in u = √(ω/t), which crowds the nodes near ω = 0 (the integrand is smooth; the
    values agree with lifetimes' closed form to 1e-12 on CDNOW). ``t`` and ``x`` broadcast.
    """
    r, alpha, s, beta = (float(params[k]) for k in ("r", "alpha", "s", "beta"))
    t, x = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(x, dtype=float))
    alive = np.exp(_log_nbd(x, r, alpha, t) + s * np.log(beta / (beta + t)))
    nodes, weights = np.polynomial.legendre.leggauss(200)
    v = (nodes + 1) / 2          # v in (0, 1); ω = t·v², dω = 2·t·v dv, dv = dn / 2
    omega = t[..., None] * v**2
    log_dens = np.log(s) + s * np.log(beta) - (s + 1) * np.log(beta + omega)
    dead = (np.exp(_log_nbd(x[..., None], r, alpha, omega) + log_dens) * (v * weights)).sum(axis=-1) * t
    return alive + dead


def probability_of_purchases(model, t, x) -> np.ndarray:
    """P(X(t) = x): the probability that a new customer makes x repeat purchases in (0, t] (t and x broadcast).

    The model's own ``probability_of_purchases(t, x)`` when it has one (the BG/NBD's, FHL 2005a eq. 8);
    otherwise, for a Pareto/NBD (params r, alpha, s, beta), the model's assumptions integrated over λ in closed
    form and over the death time by quadrature (see ``_pnbd_pmf``).

    >>> from cfresearch.profit.bgnbd import BetaGeoModel
    >>> bg = BetaGeoModel.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> probability_of_purchases(bg, [39.0], 0).round(4)
    array([0.5738])
    >>> class PNBD:
    ...     params = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    >>> probability_of_purchases(PNBD(), [39.0], 0).round(4)
    array([0.5936])
    """
    t = np.asarray(t, dtype=float)
    own = getattr(model, "probability_of_purchases", None)
    if callable(own):
        return np.asarray(own(t, x), dtype=float)
    keys = set(getattr(model, "params", {}))
    if {"r", "alpha", "s", "beta"} <= keys:
        return _pnbd_pmf(model.params, t, x)
    raise ValueError("probability_of_purchases: the model has no probability_of_purchases(t, x) and is not a "
                     f"Pareto/NBD (r, alpha, s, beta); its parameters are {sorted(keys)}")


def _bucket_labels(max_frequency: int) -> list[str]:
    return [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]


def frequency_histogram(model, summary: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Customers by calibration repeat purchases (0, 1, ..., 7+): actual against Σᵢ P(X(Tᵢ) = x) of the model.

    FHL (2005a) Figure 2 and Fader, Hardie & Lee (2007, note 014): each customer contributes the probabilities of
    0, 1, ... repeat purchases over their own observation time Tᵢ; the last bucket takes the rest. Columns:
    frequency (label), actual, expected. The probabilities are evaluated once per distinct T.

    >>> from cfresearch.profit.bgnbd import BetaGeoModel
    >>> bg = BetaGeoModel.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> s = pd.DataFrame({"frequency": [0, 0, 1, 3], "T": [39.0, 30.0, 39.0, 35.0]})
    >>> frequency_histogram(bg, s, max_frequency=2).round(3).to_dict("list")
    {'frequency': ['0', '1', '2+'], 'actual': [2, 1, 1], 'expected': [2.342, 0.79, 0.868]}
    """
    where = "frequency_histogram"
    check_frame(summary, where, "summary")
    require_columns(summary, ["frequency", "T"], where=where)
    if int(max_frequency) < 1:
        raise ValueError(f"{where}: max_frequency must be at least 1; got {max_frequency!r}")
    k = int(max_frequency)
    tvals, counts = np.unique(summary["T"].to_numpy(dtype=float), return_counts=True)
    expected = [float(counts @ probability_of_purchases(model, tvals, x)) for x in range(k)]
    expected.append(float(len(summary) - sum(expected)))
    actual = np.bincount(np.minimum(summary["frequency"].to_numpy(dtype=np.int64), k), minlength=k + 1)
    return pd.DataFrame({"frequency": _bucket_labels(k), "actual": actual, "expected": expected})


def tracking(model, birth, *, periods: int, actual=None, calibration_periods: float | None = None) -> pd.DataFrame:
    """Expected (and actual) repeat purchases by period: Σᵢ E[X(k − bᵢ)] for customers born at bᵢ < k.

    ``birth``: each customer's first-purchase time bᵢ in periods since the start (:func:`calibration_holdout`'s
    ``birth``). The model's ``expected_purchases(t)`` (a new customer's expected repeat purchases in (0, t]) is
    evaluated once per distinct birth time and period (FHL 2005a Figure 3; lifetimes'
    ``expected_cumulative_transactions``). ``actual``: repeat purchases per period (the ``repeat_purchases`` of
    :func:`repeat_purchases_by_period`, or any array of length ``periods``). Columns: period, predicted,
    predicted_cumulative and, with ``actual``, actual and actual_cumulative; ``holdout`` flags the periods after
    ``calibration_periods``.

    >>> class Poisson:  # one repeat purchase a period while alive, never dying
    ...     def expected_purchases(self, t): return np.asarray(t, dtype=float)
    >>> tracking(Poisson(), [0.0, 1.0], periods=3).to_dict("list")
    {'period': [1, 2, 3], 'predicted': [1.0, 2.0, 2.0], 'predicted_cumulative': [1.0, 3.0, 5.0]}
    """
    where = "tracking"
    b = np.asarray(birth, dtype=float)
    if b.ndim != 1 or b.size == 0 or not np.all(np.isfinite(b)) or np.any(b < 0):
        raise ValueError(f"{where}: birth must be one finite time >= 0 per customer")
    periods = int(periods)
    ub, n = np.unique(b, return_counts=True)
    ends = np.arange(1, periods + 1, dtype=float)
    cum = np.empty(periods)
    for lo in range(0, periods, 64):  # blocks of periods x distinct births, never periods x customers
        t = np.clip(ends[lo:lo + 64, None] - ub[None, :], 0.0, None)
        cum[lo:lo + 64] = (np.asarray(model.expected_purchases(t.ravel()), dtype=float).reshape(t.shape)
                           * (t > 0)) @ n
    out = pd.DataFrame({"period": np.arange(1, periods + 1), "predicted": np.diff(cum, prepend=0.0),
                        "predicted_cumulative": cum})
    if actual is not None:
        act = np.asarray(actual, dtype=float)
        if act.shape != (periods,):
            raise ValueError(f"{where}: actual must have one value per period ({periods}); got shape {act.shape}")
        out["actual"] = act
        out["actual_cumulative"] = np.cumsum(act)
    if calibration_periods is not None:
        out["holdout"] = out["period"] > np.ceil(calibration_periods - 1e-9)
    return out


@dataclass(frozen=True)
class HoldoutCheck(Result):
    """Calibration/holdout validation of a repeat-purchase model (see the module docstring).

    ``by_frequency``: per calibration-frequency bucket (0 ... 7+): customers, actual and predicted mean holdout
    purchases. ``histogram``: customers by calibration frequency, actual and expected (None when the model has
    no P(X(t) = x)). ``tracking``: purchases by period (None without birth times). ``metrics``: measure, estimate
    (customers, total_actual, total_predicted, percent_error, mae, rmse, correlation, bucket_mae).
    """

    model: str
    n: int
    duration: float
    unit: str
    by_frequency: pd.DataFrame = field(repr=False)
    histogram: pd.DataFrame | None = field(repr=False)
    tracking: pd.DataFrame | None = field(repr=False)
    metrics: pd.DataFrame = field(repr=False)
    predictions: pd.DataFrame = field(repr=False)

    def metric(self, name: str) -> float:
        """One of the metrics by name (e.g. "total_actual", "mae")."""
        return float(self.metrics.set_index("measure").loc[name, "estimate"])

    def to_frame(self) -> pd.DataFrame:
        """The error measures: measure, estimate."""
        return self.metrics.copy()

    def _display_frame(self) -> pd.DataFrame:
        return self.by_frequency

    def summary(self) -> str:
        """Totals predicted against actual, then the per-customer errors."""
        tot_a, tot_p = self.metric("total_actual"), self.metric("total_predicted")
        unit = {"W": "weeks", "D": "days"}.get(self.unit, "periods")
        lines = [f"Holdout check of {self.model} on {self.n:,} customers over {self.duration:g} {unit}: predicted "
                 f"{tot_p:,.1f} repeat purchases against {tot_a:,.0f} actual ({tot_p / tot_a - 1:+.1%})"
                 if tot_a else f"Holdout check of {self.model} on {self.n:,} customers: no holdout purchases",
                 f"Per customer: MAE {self.metric('mae'):.3f}, RMSE {self.metric('rmse'):.3f}, correlation "
                 f"{self.metric('correlation'):.3f}"]
        return "\n".join(lines)


def _by_frequency(freq: np.ndarray, actual: np.ndarray, predicted: np.ndarray, k: int) -> pd.DataFrame:
    bucket = np.minimum(freq.astype(np.int64), k)
    n = np.bincount(bucket, minlength=k + 1)
    with np.errstate(invalid="ignore"):
        act = np.bincount(bucket, actual, minlength=k + 1) / n
        pred = np.bincount(bucket, predicted, minlength=k + 1) / n
    return pd.DataFrame({"frequency": _bucket_labels(k), "customers": n, "actual": act, "predicted": pred,
                         "difference": pred - act})


def _metrics(actual: np.ndarray, predicted: np.ndarray, by_freq: pd.DataFrame) -> pd.DataFrame:
    err = predicted - actual
    corr = float(np.corrcoef(actual, predicted)[0, 1]) if actual.std() > 0 and predicted.std() > 0 else np.nan
    filled = by_freq[by_freq["customers"] > 0]
    rows = {"customers": float(actual.size), "total_actual": float(actual.sum()),
            "total_predicted": float(predicted.sum()),
            "percent_error": float(predicted.sum() / actual.sum() - 1) * 100 if actual.sum() else np.nan,
            "mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err**2).mean())), "correlation": corr,
            "bucket_mae": float(np.abs(filled["difference"]).mean())}
    return pd.DataFrame({"measure": list(rows), "estimate": list(rows.values())})


def holdout_check(model, cal_hold: pd.DataFrame, *, max_frequency: int = 7, actual_by_period=None,
                  periods: int | None = None, unit: str | None = None) -> HoldoutCheck:
    """Validate a fitted repeat-purchase model on a holdout period (FHL 2005a §4; see the module docstring).

    ``cal_hold``: one row per customer with frequency, recency, T (calibration summary, in the model's time
    unit), frequency_holdout (repeat purchases in the holdout period) and duration_holdout (its length); with a
    ``birth`` column (first purchase, in periods since the start) the tracking table is computed too, over
    ``periods`` periods (default: the end of the holdout, max(birth + T) + duration, rounded up).
    ``actual_by_period``: the actual repeat purchases per period for the tracking (e.g. the ``repeat_purchases``
    column of :func:`repeat_purchases_by_period`). Any table with these columns will do: the output of
    :func:`calibration_holdout`, or aggregates computed in a database (btyd#50).

    >>> class Poisson:  # a toy model: 0.5 purchases a period, never dying, no heterogeneity
    ...     params = {}
    ...     def conditional_expected_purchases(self, t, frequency, recency, T):
    ...         return 0.5 * np.asarray(t) * np.ones(len(frequency))
    ...     def expected_purchases(self, t): return 0.5 * np.asarray(t)
    >>> ch = pd.DataFrame({"frequency": [0, 1, 2, 0], "recency": [0, 3, 4, 0], "T": [5, 5, 4, 3], "birth": [0, 0, 1, 2],
    ...                    "frequency_holdout": [1, 3, 2, 0], "duration_holdout": 4.0})
    >>> check = holdout_check(Poisson(), ch, max_frequency=2)
    >>> check.by_frequency.to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'frequency': ['0', '1', '2+'], 'customers': [2, 1, 1], 'actual': [0.5, 3.0, 2.0], 'predicted': [2.0, 2.0, 2.0],
     'difference': [1.5, -1.0, 0.0]}
    >>> check.metric("total_predicted"), check.metric("total_actual"), len(check.tracking)
    (8.0, 6.0, 10)
    """
    where = "holdout_check"
    check_frame(cal_hold, where, "cal_hold")
    require_columns(cal_hold, [*_CAL, *_HOLD], where=where)
    unit = unit or getattr(model, "unit", "") or "W"
    freq = cal_hold["frequency"].to_numpy(dtype=float)
    duration = cal_hold["duration_holdout"].to_numpy(dtype=float)
    t = float(duration[0]) if np.all(duration == duration[0]) else duration
    predicted = np.asarray(model.conditional_expected_purchases(t, freq, cal_hold["recency"].to_numpy(dtype=float),
                                                                cal_hold["T"].to_numpy(dtype=float)), dtype=float)
    actual = cal_hold["frequency_holdout"].to_numpy(dtype=float)
    k = int(max_frequency)
    by_freq = _by_frequency(freq, actual, predicted, k)
    try:
        hist = frequency_histogram(model, cal_hold, max_frequency=k)
    except ValueError:
        hist = None  # a model without P(X(t) = x)
    track = None
    if "birth" in cal_hold.columns:
        birth = cal_hold["birth"].to_numpy(dtype=float)
        # T runs from the first purchase day to the calibration end day: the calibration covers one day more
        cal_periods = float(np.max(birth + cal_hold["T"].to_numpy(dtype=float))) + 1 / UNITS.get(unit, 1.0)
        if periods is None:
            periods = len(actual_by_period) if actual_by_period is not None else \
                int(np.ceil(cal_periods + float(np.max(duration)) - 1e-9))
        track = tracking(model, birth, periods=periods, actual=actual_by_period, calibration_periods=cal_periods)
    pred_frame = pd.DataFrame({"frequency": freq, "actual": actual, "predicted": predicted}, index=cal_hold.index)
    name = getattr(model, "name", type(model).__name__)
    return HoldoutCheck(name, int(len(cal_hold)), float(np.max(duration)), unit, by_freq, hist, track,
                        _metrics(actual, predicted, by_freq), pred_frame)
