"""Cohort retention: the cohort triangle from transactions, and the shifted-beta-geometric (sBG) survival model.

* :func:`cohort_retention` groups customers by the period of their first purchase (the cohort) and counts, for
  every later period, how many of them bought in it (active). Retention of cohort c at age a (periods since the
  first purchase) = active / cohort size. A cell that lies after the end of the data is *not observed*: it is
  NaN (retention) or <NA> (active), never 0 — an unobserved period is not churn (the point clvkit's
  ``CohortMatrix`` makes). The period that contains ``end`` counts as observed only when ``end`` is its last
  day (a half-observed month would look like a drop in retention), unless ``include_partial=True``; age 0,
  the acquisition period, is always observed. In a non-contractual business a customer can skip a period and
  come back, so "active in period a" is not "survived to a".
* :func:`fit_sbg` fits the shifted-beta-geometric model of Fader & Hardie (2007), "How to project customer
  retention", *Journal of Interactive Marketing* 21(1): 76-90, to *contractual* survival counts (customers
  still subscribed after 0, 1, 2, … renewal opportunities), by maximum likelihood (their eq. 6 and appendix):
  each customer churns at the end of a period with probability θ, θ ~ Beta(α, β) across customers, so
  P(T = t) = B(α + 1, β + t − 1) / B(α, β), S(t) = B(α, β + t) / B(α, β), and the retention rate
  r(t) = (β + t − 1) / (α + β + t − 1) rises with t (their eqs. 2, 3 and 8). LL = Σₜ (S_{t−1} − S_t)·ln P(T = t)
  + S_k·ln S(k) for a cohort observed to period k; several cohorts of different ages (rows, NaN after their
  last observed period) share α and β. With their "regular" data (1000, 631, 468, 382, 326, 289, 262, 241)
  it gives α = 0.704, β = 1.182, and with "high end" (1000, 869, 743, 653, 593, 551, 517, 491) α = 0.668,
  β = 3.806, as the paper reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma

from cfresearch.checks import check_choice, check_frame, require_columns
from cfresearch.results import Result

from .fitting import FittedModel, maximise_likelihood

__all__ = ["CohortRetention", "SBGModel", "cohort_retention", "fit_sbg"]

_PERIODS = {"D": "daily", "W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}
_PERIOD_WORD = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}


@dataclass(frozen=True, eq=False)
class CohortRetention(Result):
    """The cohort triangle of :func:`cohort_retention`.

    ``retention``: cohorts (rows, the first-purchase period) × age (columns 0, 1, 2, …: periods since the first
    purchase), the share of the cohort active in that period, NaN where not yet observed. ``active``: the same
    as counts (nullable integers, <NA> where not observed). ``sizes``: customers per cohort. ``last_observed``
    is the last fully observed period.
    """

    retention: pd.DataFrame
    active: pd.DataFrame
    sizes: pd.Series
    period: str
    end: pd.Timestamp
    last_observed: pd.Period
    include_partial: bool = False
    excluded: int = 0

    def to_frame(self) -> pd.DataFrame:
        """Long table, one row per cohort × age: cohort, age, size, active (<NA> when not observed),
        retention (NaN when not observed), observed."""
        act = self.active.stack(future_stack=True).rename("active")
        ret = self.retention.stack(future_stack=True).rename("retention")
        out = pd.concat([act, ret], axis=1).reset_index()
        out.columns = ["cohort", "age", "active", "retention"]
        out.insert(2, "size", out["cohort"].map(self.sizes).astype("int64"))
        out["observed"] = out["retention"].notna()
        return out

    def curve(self) -> pd.DataFrame:
        """Pooled retention by age: Σ active / Σ size over the cohorts observed at that age; with n_cohorts
        and customers (the pooled base)."""
        observed = self.retention.notna()
        size = pd.DataFrame(np.where(observed, self.sizes.to_numpy()[:, None], 0), index=self.retention.index,
                            columns=self.retention.columns)
        act = self.active.astype("Float64").fillna(0.0).astype(float)
        base = size.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = (act.sum(axis=0) / base.where(base > 0)).astype(float)
        return pd.DataFrame({"age": self.retention.columns.to_numpy(), "retention": share.to_numpy(),
                             "n_cohorts": observed.sum(axis=0).to_numpy(), "customers": base.to_numpy()})

    def _display_frame(self) -> pd.DataFrame:
        show = self.retention.copy()
        show.columns = [str(c) for c in show.columns]
        show.insert(0, "customers", self.sizes.to_numpy())
        return show.reset_index().assign(cohort=lambda d: d["cohort"].astype(str))

    def summary(self) -> str:
        """Cohorts, customers, the observation window, and the pooled retention after 1, 2 and 3 periods."""
        word = _PERIOD_WORD[self.period]
        lines = [f"Cohort retention of {int(self.sizes.sum()):,} customers in {len(self.sizes)} "
                 f"{_PERIODS[self.period]} cohorts ({self.sizes.index.min()} to {self.sizes.index.max()}), "
                 f"observed to {self.last_observed} (data to {self.end.date()})."]
        curve = self.curve().set_index("age")["retention"]
        parts = [f"{curve[a]:.0%} after {a} {word}{'s' if a > 1 else ''}" for a in (1, 2, 3)
                 if a in curve.index and np.isfinite(curve[a])]
        if parts:
            lines.append("Share of a cohort buying again: " + ", ".join(parts) + ".")
        lines.append(f"Cells after {self.last_observed} are not observed: blank, not 0 (an unobserved period is "
                     "not churn).")
        if self.excluded:
            lines.append(f"{self.excluded:,} transaction rows after the end date were left out.")
        return "\n".join(lines)


def _ordinals(dates: pd.Series, period: str) -> np.ndarray:
    return pd.PeriodIndex(pd.DatetimeIndex(dates), freq=period).asi8


def cohort_retention(transactions: pd.DataFrame, *, period: str = "M", end=None, include_partial: bool = False,
                     customer: str = "customer_id", date: str = "date") -> CohortRetention:
    """The cohort triangle: share of each first-purchase cohort active in each later period (module docstring).

    ``period`` is "D", "W", "M" (default), "Q" or "Y". ``end`` is the end of the data (default: the last
    transaction date); rows after it are left out and counted. A customer is active in a period when they have
    a purchase in it (rows with negative ``revenue``, refunds, are not purchases when the column is there).

    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c", "c", "d"],
    ...                    "date": pd.to_datetime(["2024-01-03", "2024-03-09", "2024-01-20", "2024-02-02",
    ...                                            "2024-02-10", "2024-03-01", "2024-03-15"])})
    >>> res = cohort_retention(tx, end="2024-03-31")
    >>> res.retention
    age        0    1    2
    cohort
    2024-01  1.0  0.5  0.5
    2024-02  1.0  1.0  NaN
    2024-03  1.0  NaN  NaN
    """
    where = "cohort_retention"
    check_frame(transactions, where, "transactions")
    check_choice(period, tuple(_PERIODS), where=where, what="period")
    require_columns(transactions, [customer, date], where=where)
    dates = pd.to_datetime(transactions[date], errors="coerce")
    if dates.isna().any():
        raise ValueError(f"{where}: {int(dates.isna().sum())} row(s) have no valid {date!r}")
    if len(dates) == 0:
        raise ValueError(f"{where}: there are no transactions")
    end = dates.max().normalize() if end is None else pd.Timestamp(end)
    buy = (dates <= end).to_numpy()
    excluded = int((~buy).sum())
    if "revenue" in transactions.columns:
        buy = buy & ~(pd.to_numeric(transactions["revenue"], errors="coerce") < 0).to_numpy()
    ords = _ordinals(dates[buy], period)
    ids = pd.Series(transactions[customer].to_numpy()[buy])
    first = pd.Series(ords).groupby(ids.to_numpy()).transform("min").to_numpy()
    age = ords - first
    pairs = pd.DataFrame({"c": ids.to_numpy(), "cohort": first, "age": age}).drop_duplicates(["c", "age"])
    end_period = pd.Period(end, freq=period)
    complete = include_partial or end.normalize() == end_period.end_time.normalize()
    last = end_period.ordinal - (0 if complete else 1)
    counts = pairs.groupby(["cohort", "age"]).size().unstack("age", fill_value=0).sort_index()
    cohorts = counts.index.to_numpy()
    max_age = max(int(last - cohorts.min()), 0)
    counts = counts.reindex(columns=range(max_age + 1), fill_value=0)
    observed = (cohorts[:, None] + np.arange(max_age + 1)[None, :] <= last) | (np.arange(max_age + 1)[None, :] == 0)
    sizes = counts[0].astype("int64")
    labels = pd.PeriodIndex.from_ordinals(cohorts, freq=period, name="cohort")
    columns = pd.Index(range(max_age + 1), name="age")
    active = pd.DataFrame(counts.to_numpy(), index=labels, columns=columns).astype("Int64").where(observed)
    retention = pd.DataFrame(np.where(observed, counts.to_numpy() / sizes.to_numpy()[:, None], np.nan),
                             index=labels, columns=columns)
    sizes.index = labels
    return CohortRetention(retention=retention, active=active, sizes=sizes.rename("customers"), period=period,
                           end=end, last_observed=pd.Period(ordinal=last, freq=period),
                           include_partial=include_partial, excluded=excluded)


# ─── sBG ──────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class SBGModel(FittedModel):
    """The fitted sBG model (Fader & Hardie 2007): α, β of the Beta distribution of the churn probability θ.

    Predictions take the period t (renewal opportunities since acquisition; arrays allowed).
    """

    def _ab(self) -> tuple[float, float]:
        return self.params["alpha"], self.params["beta"]

    def survival(self, t):
        """S(t) = B(α, β + t) / B(α, β): the share of a cohort still a customer after t periods (eq. 3).

        >>> m = fit_sbg([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> np.round(m.survival([1, 7, 12]), 3)
        array([0.851, 0.489, 0.378])
        """
        a, b = self._ab()
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(a, b + t) - betaln(a, b))

    def churn_probability(self, t):
        """P(T = t) = B(α + 1, β + t − 1) / B(α, β): the share of a cohort lost at the end of period t (eq. 2)."""
        a, b = self._ab()
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(a + 1, b + t - 1) - betaln(a, b))

    def retention_rate(self, t):
        """r(t) = S(t) / S(t − 1) = (β + t − 1) / (α + β + t − 1), for t = 1, 2, … (eq. 8): it rises with t as
        the cohort's remaining customers are the loyal ones."""
        a, b = self._ab()
        t = np.asarray(t, dtype=float)
        return (b + t - 1) / (a + b + t - 1)

    def projection(self, periods: int, *, start: float = 1000.0) -> pd.DataFrame:
        """Expected survivors of a cohort of ``start`` customers for periods 0..``periods``, with S(t) and r(t)."""
        t = np.arange(int(periods) + 1)
        s = self.survival(t)
        r = np.r_[np.nan, self.retention_rate(t[1:])]
        return pd.DataFrame({"period": t, "survival": s, "survivors": start * s, "retention_rate": r})


def _survivor_matrix(survivors) -> np.ndarray:
    s = np.asarray(survivors.to_numpy(dtype=float) if isinstance(survivors, (pd.DataFrame, pd.Series))
                   else survivors, dtype=float)
    if s.ndim == 1:
        s = s[None, :]
    if s.ndim != 2 or s.shape[1] < 2:
        raise ValueError("fit_sbg: survivors must be one cohort (S0, S1, ...) or rows of cohorts, at least two "
                         f"periods; got shape {s.shape}")
    obs = ~np.isnan(s)
    if not obs[:, 0].all():
        raise ValueError("fit_sbg: every cohort needs its starting size (column 0)")
    if (np.diff(obs.astype(int), axis=1) > 0).any():
        raise ValueError("fit_sbg: NaN may only close a cohort's row (periods not yet observed)")
    if (s[obs] < 0).any() or (s[:, 0] <= 0).any():
        raise ValueError("fit_sbg: survivor counts must be >= 0 and each cohort must start with > 0 customers")
    with np.errstate(invalid="ignore"):
        if (np.diff(s, axis=1) > 1e-9).any():
            raise ValueError("fit_sbg: survivors must not increase from one period to the next (contractual "
                             "survival counts: customers still subscribed after each renewal)")
    return s


def _sbg_loglik(s: np.ndarray):
    """LL(α, β) and its gradient for the survivor matrix ``s`` (rows: cohorts; NaN after the last observation)."""
    obs = ~np.isnan(s)
    lost = np.nan_to_num(s[:, :-1] - s[:, 1:])  # churned at the end of period t = 1..K (0 where not observed)
    t = np.arange(1, s.shape[1], dtype=float)
    last = obs.sum(axis=1) - 1  # the last observed period of each cohort
    alive = s[np.arange(s.shape[0]), last]
    w_lost = lost.sum(axis=0)  # the P(T = t) terms summed over cohorts
    k_last, w_last = np.unique(last, return_inverse=True)
    w_alive = np.bincount(w_last.ravel(), weights=alive)

    def loglik(theta):
        a, b = theta
        base = betaln(a, b)
        lp = betaln(a + 1, b + t - 1) - base
        ls = betaln(a, b + k_last) - base
        ll = float(w_lost @ lp + w_alive @ ls)
        d_base_a, d_base_b = digamma(a) - digamma(a + b), digamma(b) - digamma(a + b)
        ga = w_lost @ (digamma(a + 1) - digamma(a + b + t) - d_base_a) \
            + w_alive @ (digamma(a + b) - digamma(a + b + k_last))
        gb = w_lost @ (digamma(b + t - 1) - digamma(a + b + t) - d_base_b) \
            + w_alive @ (digamma(b + k_last) - digamma(a + b + k_last) - d_base_b)
        return ll, np.array([ga, gb])

    return loglik


def fit_sbg(survivors, *, unit: str = "") -> SBGModel:
    """Maximum-likelihood sBG fit to contractual survival counts (Fader & Hardie 2007; module docstring).

    ``survivors`` is one cohort's counts S₀, S₁, …, S_k (customers at the start and still customers after each
    renewal opportunity), or a 2-D array / DataFrame with one cohort per row and NaN after a cohort's last
    observed period. Returns an :class:`SBGModel` (params ``alpha``, ``beta``; Hessian standard errors; the full
    log-likelihood; n = the customers at the start). ``unit`` names the period ("year", "month").

    >>> m = fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(m.params["alpha"], 3), round(m.params["beta"], 3), round(m.log_likelihood, 1), m.converged
    (0.704, 1.182, -1680.3, True)
    """
    s = _survivor_matrix(survivors)
    fit = maximise_likelihood(_sbg_loglik(s), [[1.0, 1.0], [0.5, 2.0], [2.0, 5.0]], names=("alpha", "beta"),
                              n=float(s[:, 0].sum()))
    return SBGModel(name="sBG", n=int(round(s[:, 0].sum())), unit=unit, **fit.fields())
