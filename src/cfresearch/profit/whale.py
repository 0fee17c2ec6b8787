"""Who earns the profit: the whale curve, profitability deciles and the customer-profitability matrix.

* :func:`whale_curve` ranks customers from the most to the least profitable and cumulates their profit as a
  share of total profit (Cooper & Kaplan 1991, "Profit priorities from activity-based costing", HBR 69(3);
  Kaplan & Cooper 1998, *Cost & Effect*, ch. 10, after the Kanthal case, HBS 9-190-002). The curve rises
  above 100% while profitable customers are added, peaks where the loss-makers begin, and falls back to 100%
  at the last customer. The :class:`WhaleCurve` reports the peak (its height in % of total profit and the
  share of customers at it), the smallest top share of customers whose profit reaches 100% of the total, the
  loss-makers and the profit they destroy, and "the top x% earn y%" statements (Kanthal: 20% of customers
  earned 225% of profit, the middle 70% about broke even, and the bottom 10% lost 125%).
* :func:`profit_deciles` groups the ranked customers into ten equal-count groups (decile 1 = most
  profitable) with their revenue, gross margin, cost to serve, net profit and share of total profit.
* :func:`profitability_matrix` places each customer in the customer-classification matrix of Shapiro,
  Rangan, Moriarty & Ross (1987), "Manage customers for profits (not just sales)", HBR 65(5): 101-108: net
  price realised (here the gross margin as % of revenue, or any column) against the cost to serve (here as
  % of revenue), split at the medians or at given cuts, into *carriage trade* (high price, high cost to
  serve), *passive* (high price, low cost), *bargain basement* (low price, low cost) and *aggressive* (low
  price, high cost).

Ranking is deterministic: profit descending, ties by customer id ascending (so the curve's values do not
depend on the row order). The curve is piecewise linear between the customers' points (k/n, C_k / total),
starting from the origin; "the top x%" for a fractional number of customers is read off that line. Customers
whose profit is missing are left out and counted (``excluded``). When total profit is zero or negative, a
share of total profit is meaningless (a "% of a loss"): the shares are then NaN, the summary says so, and the
curve, the peak and the statements are reported in money.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cfresearch.checks import check_frame, require_columns
from cfresearch.results import Result

__all__ = ["QUADRANTS", "ProfitabilityMatrix", "WhaleCurve", "profit_deciles", "profitability_matrix",
           "whale_curve"]

#: Quadrants of the Shapiro et al. (1987) matrix: (net price high?, cost to serve high?) -> name.
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, True): "Carriage trade", (True, False): "Passive",
    (False, False): "Bargain basement", (False, True): "Aggressive",
}
_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€"}
_DECILE_SUMS = ("revenue", "gross_margin", "cost_to_serve")


def _money(value: float, currency: str = "GBP", digits: int | None = None) -> str:
    """A money amount for a reader: '£12,300', '−£2,100', '£8.47' (pence below 100 unless ``digits`` is given;
    unknown currency codes are written after the amount)."""
    if value is None or not np.isfinite(value):
        return "–"
    if digits is None:
        digits = 0 if abs(value) >= 100 else 2
    sign = "−" if value < 0 else ""
    amount = f"{abs(value):,.{digits}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def _pct(value: float, digits: int = 0) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:,.{digits}f}%"


def _ranked(customers: pd.DataFrame, profit: str, customer: str, where: str) -> tuple[pd.DataFrame, int]:
    """Customers with a profit, sorted by profit descending then id ascending; and how many had none."""
    check_frame(customers, where, "customers")
    require_columns(customers, [customer, profit], where=where)
    values = pd.to_numeric(customers[profit], errors="coerce")
    if not pd.api.types.is_numeric_dtype(customers[profit]) and values.notna().sum() < customers[profit].notna().sum():
        raise ValueError(f"{where}: profit column {profit!r} must be numeric; got dtype {customers[profit].dtype}")
    if np.isinf(values.to_numpy(dtype=float, na_value=np.nan)).any():
        raise ValueError(f"{where}: profit column {profit!r} has infinite values")
    keep = values.notna().to_numpy()
    frame = customers.loc[keep].copy()
    frame[profit] = values[keep].astype(float)
    ids = frame[customer].astype(str).to_numpy()
    order = np.lexsort((ids, -frame[profit].to_numpy()))
    return frame.iloc[order].reset_index(drop=True), int((~keep).sum())


@dataclass(frozen=True, eq=False)
class WhaleCurve(Result):
    """The whale curve of :func:`whale_curve` with its key figures.

    ``curve`` (``to_frame()``): one row per customer in rank order: rank (1 = most profitable), customer_id,
    profit, cum_profit, share_customers (k/n) and cum_profit_pct (100·cum_profit/total; NaN when the total is
    ≤ 0). ``peak_share`` is the share of customers at the peak (the profitable ones), ``peak_profit`` the
    cumulative profit there and ``peak_pct`` that as % of total profit. ``share_to_100`` is the smallest top
    share of customers whose cumulative profit reaches 100% of the total. ``loss`` is the (negative) sum of the
    loss-makers' profit and ``loss_pct`` its % of total profit; ``deciles`` is :func:`profit_deciles`.
    """

    curve: pd.DataFrame
    total_profit: float
    n: int
    peak_share: float
    peak_profit: float
    peak_pct: float
    share_to_100: float
    n_profitable: int
    n_loss: int
    n_zero: int
    loss: float
    loss_pct: float
    deciles: pd.DataFrame = field(repr=False)
    profit: str = "net_profit"
    excluded: int = 0
    currency: str = "GBP"

    @property
    def meaningful(self) -> bool:
        """True when total profit is positive, so that shares of it mean something."""
        return bool(self.total_profit > 0)

    def cumulative(self, share: float) -> float:
        """Cumulative profit (money) of the top ``share`` (0..1) of customers, read off the piecewise-linear
        curve through the origin."""
        share = float(share)
        if not 0 <= share <= 1:
            raise ValueError(f"WhaleCurve: share must be between 0 and 1; got {share}")
        if self.n == 0:
            return 0.0
        x = np.concatenate([[0.0], self.curve["share_customers"].to_numpy()])
        y = np.concatenate([[0.0], self.curve["cum_profit"].to_numpy()])
        return float(np.interp(share, x, y))

    def top(self, share: float) -> float:
        """The % of total profit earned by the top ``share`` of customers (NaN when total profit is ≤ 0).

        >>> wc = whale_curve(pd.DataFrame({"customer_id": list("abcd"), "net_profit": [60.0, 50, 10, -20]}))
        >>> wc.top(0.5), wc.top(0.25), wc.band(0.75, 1.0)
        (110.0, 60.0, -20.0)
        """
        return 100 * self.cumulative(share) / self.total_profit if self.meaningful else np.nan

    def band(self, start: float, stop: float) -> float:
        """The % of total profit earned by the customers ranked between the top ``start`` and top ``stop``
        shares (e.g. ``band(0.9, 1.0)``: the bottom 10%); NaN when total profit is ≤ 0."""
        if not self.meaningful:
            return np.nan
        return 100 * (self.cumulative(stop) - self.cumulative(start)) / self.total_profit

    def statements(self, shares: Sequence[float] = (0.1, 0.2)) -> list[str]:
        """Plain sentences: the top shares, the peak, the share earning 100%, the loss-makers, the bottom 10%."""
        money = lambda v: _money(v, self.currency)  # noqa: E731
        if self.n == 0:
            return ["There are no customers with a profit."]
        out = []
        for s in shares:
            k = self.cumulative(s)
            out.append(f"The top {s:.0%} of customers earn {_pct(self.top(s))} of total profit ({money(k)})."
                       if self.meaningful else f"The top {s:.0%} of customers earn {money(k)}.")
        if self.meaningful:
            out.append(f"The curve peaks at {_pct(self.peak_pct)} of total profit with the {self.peak_share:.0%} "
                       f"of customers who are profitable ({money(self.peak_profit)}).")
            out.append(f"The top {self.share_to_100:.0%} of customers already earn 100% of total profit.")
        else:
            out.append(f"The {self.peak_share:.0%} of customers who are profitable earn {money(self.peak_profit)}; "
                       f"total profit is {money(self.total_profit)}, so shares of it are not meaningful.")
        if self.n_loss:
            destroyed = f" ({_pct(-self.loss_pct)} of total profit)" if self.meaningful else ""
            out.append(f"{self.n_loss / self.n:.0%} of customers lose money: together {money(-self.loss)}"
                       f"{destroyed}.")
            if self.meaningful:
                bottom = self.band(0.9, 1.0)
                money_b = money(self.cumulative(1.0) - self.cumulative(0.9))
                out.append(f"The bottom 10% of customers lose {_pct(-bottom)} of total profit ({money_b})."
                           if bottom < 0 else
                           f"The bottom 10% of customers earn {_pct(bottom)} of total profit ({money_b}).")
        return out

    def figures(self) -> pd.DataFrame:
        """The key figures as a two-column table (measure, figure), in words."""
        rows = [("Customers", f"{self.n:,}"), ("Total profit", _money(self.total_profit, self.currency)),
                ("Peak of the curve", f"{_pct(self.peak_pct)} at {self.peak_share:.1%} of customers"
                 if self.meaningful else _money(self.peak_profit, self.currency)),
                ("Top share earning 100% of profit", f"{self.share_to_100:.1%}" if self.meaningful else "–"),
                ("Customers losing money", f"{self.n_loss:,} ({self.n_loss / max(self.n, 1):.1%})"),
                ("Profit they destroy", _money(-self.loss, self.currency)
                 + (f" ({_pct(-self.loss_pct)} of total)" if self.meaningful else ""))]
        if self.excluded:
            rows.append(("Left out (no profit value)", f"{self.excluded:,}"))
        return pd.DataFrame(rows, columns=["measure", "figure"])

    def to_frame(self) -> pd.DataFrame:
        """The curve, one row per customer in rank order (see the class docstring)."""
        return self.curve.copy()

    def _display_frame(self) -> pd.DataFrame:
        return self.figures()

    def summary(self) -> str:
        """First line: what was ranked; then the statements, and a warning when total profit is ≤ 0."""
        total = _money(self.total_profit, self.currency)
        head = f"Whale curve of {self.profit} over {self.n:,} customers: total {total}"
        if self.excluded:
            head += f" ({self.excluded:,} customers without a profit value left out)"
        lines = [head + "."]
        if not self.meaningful and self.n:
            lines.append("Total profit is zero or negative: shares of total profit are not meaningful, so the curve "
                         "is reported in money (cum_profit), not in %.")
        return "\n".join(lines + self.statements())


def whale_curve(customers: pd.DataFrame, *, profit: str = "net_profit", customer: str = "customer_id",
                currency: str = "GBP") -> WhaleCurve:
    """The whale curve: customers ranked by ``profit`` (descending) against cumulative % of total profit.

    With n customers ranked p₁ ≥ p₂ ≥ … ≥ pₙ and Cₖ = p₁ + … + pₖ, the curve joins (0, 0) and (k/n, 100·Cₖ/Cₙ).
    Its peak is max Cₖ, reached when all profitable customers are in (the sum of the positive profits);
    ``share_to_100`` is the smallest k/n with Cₖ ≥ Cₙ. See the module docstring for ties, missing values and a
    total ≤ 0. ``customers`` is the customer P&L (``CustomerLedger.customers``) or any frame with a customer id
    and a profit column; the deciles use its revenue, gross_margin and cost_to_serve columns when present.

    >>> c = pd.DataFrame({"customer_id": list("abcde"), "net_profit": [50.0, 40, 20, -5, -5]})
    >>> wc = whale_curve(c)
    >>> wc.peak_pct, wc.peak_share, wc.share_to_100, wc.n_loss, wc.loss_pct
    (110.0, 0.6, 0.6, 2, -10.0)
    >>> wc.statements(shares=[0.2])[0]
    'The top 20% of customers earn 50% of total profit (£50.00).'
    """
    where = "whale_curve"
    ranked, excluded = _ranked(customers, profit, customer, where)
    p = ranked[profit].to_numpy(dtype=float)
    n = p.size
    cum = np.cumsum(p)
    total = float(cum[-1]) if n else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100 * cum / total if total > 0 else np.full(n, np.nan)
    curve = pd.DataFrame({"rank": np.arange(1, n + 1), "customer_id": ranked[customer].to_numpy(),
                          "profit": p, "cum_profit": cum, "share_customers": np.arange(1, n + 1) / max(n, 1),
                          "cum_profit_pct": pct})
    with_origin = np.concatenate([[0.0], cum])
    k_peak = int(np.argmax(with_origin))  # first maximum: ties at zero profit do not move the peak right
    peak = float(with_origin[k_peak])
    if total > 0:
        k100 = int(np.argmax(cum >= total * (1 - 1e-12))) + 1
        share_to_100, peak_pct = k100 / n, 100 * peak / total
    else:
        share_to_100, peak_pct = np.nan, np.nan
    loss = float(p[p < 0].sum())
    return WhaleCurve(curve=curve, total_profit=total, n=n, peak_share=k_peak / n if n else np.nan,
                      peak_profit=peak, peak_pct=peak_pct, share_to_100=share_to_100,
                      n_profitable=int((p > 0).sum()), n_loss=int((p < 0).sum()), n_zero=int((p == 0).sum()),
                      loss=loss, loss_pct=100 * loss / total if total > 0 else np.nan,
                      deciles=_deciles(ranked, profit, 10, total), profit=profit, excluded=excluded,
                      currency=currency)


def _deciles(ranked: pd.DataFrame, profit: str, groups: int, total: float) -> pd.DataFrame:
    n = len(ranked)
    group = (np.arange(n) * groups // max(n, 1)) + 1
    cols = [c for c in _DECILE_SUMS if c in ranked.columns and c != profit]
    frame = ranked[cols].apply(pd.to_numeric, errors="coerce").assign(**{"_p": ranked[profit].to_numpy(),
                                                                          "decile": group})
    agg = frame.groupby("decile", sort=True).agg(n=("_p", "size"), **{c: (c, "sum") for c in cols},
                                                 profit=("_p", "sum"), profit_min=("_p", "min"),
                                                 profit_max=("_p", "max"))
    agg = agg.reindex(range(1, groups + 1)).reset_index()
    agg["n"] = agg["n"].fillna(0).astype("int64")
    agg = agg.rename(columns={"profit": profit})
    share = 100 * agg[profit] / total if total > 0 else np.nan
    agg.insert(agg.columns.get_loc(profit) + 1, "profit_share_pct", share)
    agg.insert(agg.columns.get_loc("profit_share_pct") + 1, "cum_profit_share_pct",
               agg["profit_share_pct"].cumsum() if total > 0 else np.nan)
    return agg


def profit_deciles(customers: pd.DataFrame, *, profit: str = "net_profit", customer: str = "customer_id",
                   groups: int = 10) -> pd.DataFrame:
    """Customers in ``groups`` equal-count groups by ``profit`` (group 1 = most profitable), with their sums.

    Customers are ranked as in :func:`whale_curve`; the k-th ranked customer (k = 0..n−1) goes to group
    ⌊k·groups/n⌋ + 1, so group sizes differ by at most one. Columns: decile, n, then the sums of revenue,
    gross_margin and cost_to_serve (those present), the profit column, profit_share_pct (the group's % of
    total profit; NaN when the total is ≤ 0), cum_profit_share_pct, profit_min and profit_max.

    >>> c = pd.DataFrame({"customer_id": list("abcd"), "revenue": [100.0, 80, 50, 40],
    ...                   "net_profit": [30.0, 10, -5, 5]})
    >>> profit_deciles(c, groups=2)[["decile", "n", "revenue", "net_profit", "profit_share_pct"]]
       decile  n  revenue  net_profit  profit_share_pct
    0       1  2    180.0        40.0             100.0
    1       2  2     90.0         0.0               0.0
    """
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"profit_deciles: groups must be a positive whole number; got {groups!r}")
    ranked, _ = _ranked(customers, profit, customer, "profit_deciles")
    total = float(ranked[profit].sum())
    return _deciles(ranked, profit, int(groups), total)


@dataclass(frozen=True, eq=False)
class ProfitabilityMatrix(Result):
    """The customer-classification matrix of :func:`profitability_matrix`.

    ``customers``: customer_id, price (the net-price measure), cost (the cost-to-serve measure), quadrant
    (NaN where a measure is undefined, e.g. no revenue). ``quadrants`` (``to_frame()``): quadrant, n, share
    (of classified customers), the sums of revenue, gross_margin, cost_to_serve and net_profit (those present),
    profit_share_pct (% of total profit of the classified customers; NaN when that total is ≤ 0), and the
    medians of price and cost in the quadrant. ``cuts`` holds the (price, cost) split points.
    """

    customers: pd.DataFrame
    quadrants: pd.DataFrame
    cuts: tuple[float, float]
    price: str
    cost: str
    split: str
    unclassified: int
    currency: str = "GBP"

    def to_frame(self) -> pd.DataFrame:
        """One row per quadrant (see the class docstring)."""
        return self.quadrants.copy()

    def summary(self) -> str:
        """The split used, then one line per quadrant: customers and share of profit."""
        words = {"margin_pct": "gross margin as % of revenue", "cts_pct": "cost to serve as % of revenue"}
        lines = [f"Profitability matrix (Shapiro et al. 1987) of {int(self.quadrants['n'].sum()):,} customers: "
                 f"{words.get(self.price, self.price)} against {words.get(self.cost, self.cost)}, split at "
                 f"{self.split} ({self.cuts[0]:.3g} and {self.cuts[1]:.3g})."]
        for _, row in self.quadrants.iterrows():
            share = row.get("profit_share_pct", np.nan)
            profit = f", {_pct(share)} of profit" if np.isfinite(share) else ""
            money = f" ({_money(row['net_profit'], self.currency)})" if "net_profit" in row else ""
            lines.append(f"{row['quadrant']}: {int(row['n']):,} customers ({row['share']:.0%}){profit}{money}.")
        if self.unclassified:
            lines.append(f"{self.unclassified:,} customers could not be placed (no revenue or a missing measure).")
        return "\n".join(lines)


def _measure(customers: pd.DataFrame, name: str, where: str) -> pd.Series:
    """A named measure: 'margin_pct' = 100·gross_margin/revenue, 'cts_pct' = 100·cost_to_serve/revenue, or a
    column (NaN where revenue ≤ 0 for the ratios)."""
    ratios = {"margin_pct": "gross_margin", "cts_pct": "cost_to_serve"}
    if name in ratios:
        require_columns(customers, [ratios[name], "revenue"], where=where)
        rev = pd.to_numeric(customers["revenue"], errors="coerce").astype(float)
        num = pd.to_numeric(customers[ratios[name]], errors="coerce").astype(float)
        return (100 * num / rev).where(rev > 0)
    require_columns(customers, [name], where=where)
    return pd.to_numeric(customers[name], errors="coerce").astype(float)


def profitability_matrix(customers: pd.DataFrame, *, price: str = "margin_pct", cost: str = "cts_pct",
                         cuts: tuple[float, float] | None = None, customer: str = "customer_id",
                         currency: str = "GBP") -> ProfitabilityMatrix:
    """Each customer's quadrant of the Shapiro et al. (1987) matrix: net price against cost to serve.

    ``price`` is the net-price measure: ``"margin_pct"`` (gross margin as % of revenue, the price realised over
    the cost of goods; default) or a column name (e.g. a net price per unit). ``cost`` is the cost-to-serve
    measure: ``"cts_pct"`` (cost to serve as % of revenue; default) or a column. A customer is "high" on a
    measure when it is ≥ the cut; ``cuts=(price_cut, cost_cut)`` gives the cuts, else the medians over the
    customers with both measures. Quadrants (:data:`QUADRANTS`): carriage trade (high, high), passive (high
    price, low cost), bargain basement (low, low), aggressive (low price, high cost). Customers with an
    undefined measure (no revenue for the ratios) are counted as unclassified.

    >>> c = pd.DataFrame({"customer_id": list("abcd"), "revenue": [100.0, 100, 100, 100],
    ...                   "gross_margin": [40.0, 40, 20, 20], "cost_to_serve": [30.0, 5, 5, 30]})
    >>> m = profitability_matrix(c)
    >>> m.customers["quadrant"].tolist()
    ['Carriage trade', 'Passive', 'Bargain basement', 'Aggressive']
    >>> m.cuts
    (30.0, 17.5)
    """
    where = "profitability_matrix"
    check_frame(customers, where, "customers")
    require_columns(customers, [customer], where=where)
    x, y = _measure(customers, price, where), _measure(customers, cost, where)
    ok = (x.notna() & y.notna() & np.isfinite(x) & np.isfinite(y)).to_numpy()
    if cuts is None:
        if not ok.any():
            raise ValueError(f"{where}: no customer has both measures ({price!r}, {cost!r}); cannot split at medians")
        cut = (float(np.median(x[ok])), float(np.median(y[ok])))
        split = "the medians"
    else:
        if len(cuts) != 2:
            raise ValueError(f"{where}: cuts must be (price_cut, cost_cut); got {cuts!r}")
        cut, split = (float(cuts[0]), float(cuts[1])), "the given cuts"
    high_p, high_c = (x >= cut[0]).to_numpy(), (y >= cut[1]).to_numpy()
    names = np.array([QUADRANTS[(bool(a), bool(b))] for a, b in zip(high_p, high_c, strict=True)], dtype=object)
    names[~ok] = None
    table = pd.DataFrame({"customer_id": customers[customer].to_numpy(), "price": x.to_numpy(),
                          "cost": y.to_numpy(), "quadrant": names})
    sums = [c for c in ("revenue", "gross_margin", "cost_to_serve", "net_profit") if c in customers.columns]
    work = customers[sums].apply(pd.to_numeric, errors="coerce").assign(quadrant=names, price=x.to_numpy(),
                                                                         cost=y.to_numpy())[ok]
    agg = work.groupby("quadrant").agg(n=("price", "size"), **{c: (c, "sum") for c in sums},
                                       price=("price", "median"), cost=("cost", "median"))
    agg = agg.reindex(list(QUADRANTS.values())).reset_index()
    agg["n"] = agg["n"].fillna(0).astype("int64")
    agg.insert(2, "share", agg["n"] / max(int(ok.sum()), 1))
    if "net_profit" in agg:
        agg[sums] = agg[sums].fillna(0.0)
        total = float(agg["net_profit"].sum())
        agg.insert(agg.columns.get_loc("net_profit") + 1, "profit_share_pct",
                   100 * agg["net_profit"] / total if total > 0 else np.nan)
    return ProfitabilityMatrix(customers=table, quadrants=agg, cuts=cut, price=price, cost=cost, split=split,
                               unclassified=int((~ok).sum()), currency=currency)
