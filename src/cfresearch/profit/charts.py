"""The profitability report's own charts, in the house style of :mod:`cfresearch.plots`.

Each function takes a result of :mod:`cfresearch.profit` and returns a :class:`cfresearch.plots.Chart` (the
closed Figure with its alternative text): the whale curve, the holdout check of a repeat-purchase model (per
calibration frequency and cumulative tracking), and the what-if sensitivity of a service policy.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd  # noqa: F401 - the examples use it
from matplotlib.ticker import FuncFormatter, PercentFormatter

from cfresearch.plots import ACCENT, BAD, MUTED, PALETTE, Chart, _finish, apply_style

from .holdout import HoldoutCheck
from .policy import WhatIfResult
from .whale import WhaleCurve

__all__ = ["holdout_chart", "tracking_chart", "whale_chart", "what_if_chart"]


def whale_chart(wc: WhaleCurve, *, title: str | None = "The whale curve", note: str | None = None) -> Chart:
    """Cumulative % of total profit against the % of customers ranked from most to least profitable, with the
    100% line and the peak marked.

    >>> from cfresearch.profit.whale import whale_curve
    >>> wc = whale_curve(pd.DataFrame({"customer_id": list("abcd"), "net_profit": [60.0, 50, 10, -20]}))
    >>> chart = whale_chart(wc)
    >>> chart.axes[0].get_xlabel(), "peaks at 120%" in chart.alt
    ('Customers, most profitable first', True)
    """
    apply_style()
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    x = np.concatenate([[0.0], wc.curve["share_customers"].to_numpy(dtype=float)])
    y = np.concatenate([[0.0], wc.curve["cum_profit_pct"].to_numpy(dtype=float)])
    ax.plot(x, y, color=ACCENT, lw=2)
    ax.axhline(100, color=MUTED, lw=1, ls="--")
    ax.text(1.0, 100, "100% of profit", ha="right", va="bottom", fontsize=8, color="#555555")
    peak = int(np.nanargmax(y))
    ax.scatter([x[peak]], [y[peak]], color=BAD, zorder=3)
    ax.annotate(f"peak {y[peak]:.0f}% at {x[peak]:.0%} of customers", (x[peak], y[peak]), xytext=(6, 6),
                textcoords="offset points", fontsize=8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    ax.set_xlabel("Customers, most profitable first")
    ax.set_ylabel("Cumulative % of total profit")
    ax.set_xlim(0, 1)
    shows = (f"Curve of cumulative profit over {wc.n:,} customers: it peaks at {y[peak]:.0f}% of total profit at "
             f"{x[peak]:.0%} of customers and ends at 100%")
    return _finish(fig, title, note, shows)


def holdout_chart(check: HoldoutCheck, *, title: str | None = None, note: str | None = None) -> Chart:
    """Mean repeat purchases in the holdout by calibration frequency: actual against the model's prediction.

    >>> table = pd.DataFrame({"frequency": ["0", "1", "2+"], "customers": [5, 3, 2], "actual": [0.2, 0.6, 1.5],
    ...                       "predicted": [0.25, 0.5, 1.4], "difference": [0.05, -0.1, -0.1]})
    >>> check = HoldoutCheck("BG/NBD", 10, 26.0, "W", table, None, None, pd.DataFrame(), pd.DataFrame())
    >>> [t.get_text() for t in holdout_chart(check).axes[0].get_legend().get_texts()]
    ['Actual', 'BG/NBD']
    """
    apply_style()
    t = check.by_frequency
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    x = np.arange(len(t))
    ax.bar(x - 0.2, t["actual"], width=0.4, color=MUTED, label="Actual")
    ax.bar(x + 0.2, t["predicted"], width=0.4, color=ACCENT, label=check.model)
    ax.set_xticks(x, [str(f) for f in t["frequency"]])
    ax.set_xlabel("Repeat purchases in the calibration period")
    ax.set_ylabel(f"Mean repeat purchases in the holdout ({check.duration:.0f} {_unit(check.unit)})")
    ax.legend(loc="upper left", fontsize=8)
    pairs = ", ".join(f"{f}: {a:.2f} vs {p:.2f}" for f, a, p in zip(t["frequency"], t["actual"], t["predicted"]))
    return _finish(fig, title or f"Holdout check of the {check.model} by past frequency", note,
                   f"Bars of actual against predicted mean holdout purchases by calibration frequency: {pairs}")


def tracking_chart(check: HoldoutCheck, *, title: str | None = None, note: str | None = None) -> Chart:
    """Cumulative repeat purchases by period, actual and the model's, with the end of calibration marked.

    >>> track = pd.DataFrame({"period": [1, 2, 3, 4], "predicted": [1.0, 2, 2, 3], "actual": [1.0, 1, 3, 3],
    ...                       "predicted_cumulative": [1.0, 3, 5, 8], "actual_cumulative": [1.0, 2, 5, 8],
    ...                       "holdout": [False, False, True, True]})
    >>> check = HoldoutCheck("BG/NBD", 10, 2.0, "W", pd.DataFrame(), None, track, pd.DataFrame(), pd.DataFrame())
    >>> len(tracking_chart(check).axes[0].get_lines())
    3
    """
    apply_style()
    t = check.tracking
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.plot(t["period"], t["actual_cumulative"], color=MUTED, lw=2.5, label="Actual")
    ax.plot(t["period"], t["predicted_cumulative"], color=ACCENT, lw=1.5, ls="--", label=check.model)
    start = t.loc[t["holdout"].astype(bool), "period"]
    if len(start):
        ax.axvline(float(start.iloc[0]) - 0.5, color="#555555", lw=1, ls=":")
        ax.text(float(start.iloc[0]), ax.get_ylim()[1] * 0.02, " holdout", fontsize=8, color="#555555")
    ax.set_xlabel(f"{_unit(check.unit).capitalize()} since the first purchase in the data")
    ax.set_ylabel("Cumulative repeat purchases")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(loc="upper left", fontsize=8)
    last = t.iloc[-1]
    return _finish(fig, title or f"Repeat purchases: actual and {check.model}", note,
                   f"Lines of cumulative repeat purchases over {len(t)} {_unit(check.unit)}; at the end "
                   f"{last['actual_cumulative']:,.0f} actual and {last['predicted_cumulative']:,.0f} predicted")


def what_if_chart(result: WhatIfResult, *, title: str | None = None, note: str | None = None) -> Chart:
    """The policy's change in profit against the customers' response, with the break-even and the stated
    response marked.

    >>> res = pd.DataFrame({"response": [0.0, 0.1, 0.2], "change": [-100.0, -50, 0], "pays": [False, False, True]})
    >>> class Fake:
    ...     description, response, break_even, currency, years = "Free delivery", 0.05, 0.2, "GBP", 1.0
    ...     def sensitivity(self): return res
    >>> what_if_chart(Fake()).axes[0].get_xlabel()
    'Change in the affected customers’ orders'
    """
    apply_style()
    s = result.sensitivity().sort_values("response")
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.plot(s["response"], s["change"], color=ACCENT, lw=2)
    ax.axhline(0, color=MUTED, lw=1)
    be = result.break_even
    if be is not None and np.isfinite(be) and s["response"].min() <= be <= s["response"].max():
        ax.axvline(be, color=BAD, lw=1, ls="--")
        ax.text(be, ax.get_ylim()[1], f" break-even {be:+.0%}", fontsize=8, va="top", color=BAD)
    ax.axvline(result.response, color=PALETTE[2], lw=1, ls=":")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    per = " a year" if getattr(result, "years", None) else ""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("Change in the affected customers’ orders")
    ax.set_ylabel(f"Change in profit ({result.currency}{per})")
    shows = ("Line of the change in profit against the response: " +
             ", ".join(f"{r:+.0%}: {c:,.0f}" for r, c in zip(s["response"], s["change"])))
    return _finish(fig, title or result.description, note, shows)


def _unit(unit: str) -> str:
    return {"W": "weeks", "D": "days"}.get(unit, "periods")
