"""Deterministic sample data for the profitability study: an office-supplies and home-goods retailer over two years.

:func:`write_sample` writes, byte-identically on every run (fixed seed, money in pennies, fixed-order YAML, a
Parquet file without pandas metadata, in fixed row groups):

``customers.csv``
    5,000 customers: customer_id (``C00001`` ..., the form a survey sample can share), segment (Retail, Small
    business, Key account), region (the survey's five regions), channel_preference, signup_date (the first
    purchase: 85 % spread over 2024, a cohort design; 15 % joined in the first half of 2025).
``transactions.csv`` + ``transactions.parquet`` (the same rows)
    One row per order (customer_id, order_id, date, revenue, cogs, quantity, channel, delivered, returned,
    delivery_fee, category); a refund is a separate row with the order's ``order_id``, ``returned`` True, negative
    revenue and cogs and the number of items sent back. ``revenue`` is the goods (ex VAT); ``delivery_fee`` is what
    the customer paid for delivery, kept apart (income that recovers part of the delivery cost).
``activities.csv``
    Service events that cost money and are not in the transactions: ``support_contact`` (service desk) and
    ``visit`` (account managers). Visits and logged calls carry their minutes (one row each); contacts by e-mail
    have no recorded time (``minutes`` empty) and are counted per customer and day (``count``).
``cost_model.yaml``
    The cost model in the shared contract's format (GBP; rates per order, delivery and return; time-driven pools
    for the service desk and the field team; a fixed cost of the key-account desk), every number commented.
``truth.yaml`` + ``truth_customers.csv``
    Every constant below, what the simulation realised (customers alive at the end, one-off share, pool minutes
    and utilisation) and the customer P&L under the cost model (the whale curve); per customer, the true purchase
    rate, dropout probability, mean order value and whether the customer is still alive at the end.
``cdnow/``
    The CDNOW sample of Fader, Hardie & Lee (2005), copied unchanged from ``cfresearch/profit/cdnow_data/`` (as
    shipped with lifetimes), with a README citing the source.

The default sample is valid throughout (no planted errors: the loaders' tests build their own bad files).

The model (all constants are module-level and copied into ``truth.yaml``; each step draws from its own stream
of ``SeedSequence(SEED).spawn(7)``, so changing one step's constants leaves the other steps' draws unchanged):

*Purchases: BG/NBD* (Fader, Hardie & Lee 2005, "'Counting your customers' the easy way", Marketing Science
24(2), 275-284, §2). Customer i buys first on the signup date; while alive, repeat purchases
follow a Poisson process with rate λᵢ ~ Gamma(r, α) per week (shape r = 0.25, rate α = 4); after each repeat
purchase the customer drops out with probability pᵢ ~ Beta(a = 0.7, b = 2.8). Observation ends on 2025-12-31.
Purchases are simulated in continuous time and dated to the day (two orders of one customer can share a day).

*Order values: Gamma-Gamma* (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves", JMR 42(4),
415-430; Fader & Hardie 2013, "The Gamma-Gamma model of monetary value", brucehardie.com note 025). Each
order's goods value is zᵢⱼ ~ Gamma(p = 4, νᵢ) (shape p, rate νᵢ) with νᵢ ~ Gamma(q = 2.2, γ = 21): mean order
value p·γ/(q−1) = £70, independent of the purchase process.

*Segments* follow from the draws, not the other way round (so the pooled BG/NBD and Gamma-Gamma hold exactly):
the 50 customers with the highest log((1 + E[repeat purchases by the end | λ, p]) × p/ν) + N(0, 0.3²) are Key
accounts, the next 1,000 Small business, the rest Retail. Segments shape channels, product mix, contract
discounts, service and visits.

*Margins.* Each order has a main category with a margin rate (:data:`CATEGORY_MARGIN`) less the segment's
contract discount (:data:`SEGMENT_DISCOUNT`): cogs = revenue × (1 − rate), to the penny.

*Service.* An order goes through the preferred channel with probability :data:`OWN_CHANNEL`; online and phone
orders are delivered, store orders with probability :data:`STORE_DELIVERY`. Delivery costs the customer
:data:`DELIVERY_FEE` below a basket of :data:`FREE_DELIVERY_FROM` (free from it; always free for Key accounts).
Orders are returned with probability ``RETURN_BASE[channel] × ρᵢ`` (ρᵢ ~ Gamma with mean 1 and shape
:data:`RETURN_SHAPE`: a few serial returners); 70 % of returns are full refunds, dated 3 or more days after the
order. Support contacts: Poisson(κᵢ) per order (κᵢ ~ Gamma, mean higher for business segments) plus one after a
return with probability :data:`CONTACT_AFTER_RETURN`; each takes a Gamma-distributed time with mean
:data:`CONTACT_MINUTES` (recorded for logged calls, unknown for e-mails). Account managers visit Key accounts
(rate per month ~ Gamma, independent of volume: some small key accounts get many visits) and a tenth of Small
business customers, while the customer buys and for 60 days after the last order.

*What it gives* (``truth.yaml``): 15,938 orders and 1,171 refunds; 48 % one-off customers, 3,691 of 5,000 alive at
the end. Under the cost model (delivery fees counted as income) the business earns £103,856 on £1.09m revenue;
the top 20 % of customers earn 129 % of it (peak 154 % at 3,247 customers), the middle 70 % 16 %, the bottom
10 % lose 45 %; 1,749 customers lose money, 20 of the 50 Key accounts among them (small baskets delivered free,
costly visits) while one Key account earns £18,632. The service desk runs at 78 % of practical capacity, the
field team at 78 %.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

__all__ = ["SEED", "write_sample"]

SEED = 20240101
START = "2024-01-01"
END = "2025-12-31"
N_CUSTOMERS = 5000
#: Share of customers whose first purchase is in 2024 (the cohort year); the others join in 2025-01..06.
COHORT_2024 = 0.85
LATE_JOIN_DAYS = 181  # 2025-01-01 .. 2025-06-30

#: BG/NBD, time unit one week: lambda ~ Gamma(shape r, rate alpha), p ~ Beta(a, b).
BGNBD = {"r": 0.25, "alpha": 4.0, "a": 0.7, "b": 2.8}
#: Gamma-Gamma: order value ~ Gamma(shape p, rate nu), nu ~ Gamma(shape q, rate gamma). Mean p*gamma/(q-1).
GAMMA_GAMMA = {"p": 4.0, "q": 2.2, "gamma": 21.0}

SEGMENTS = ["Retail", "Small business", "Key account"]
N_KEY_ACCOUNTS = 50
N_SMALL_BUSINESS = 1000
#: Segment score = log(expected orders in the window x mean order value) + N(0, noise^2): the top are Key accounts.
SEGMENT_SCORE_NOISE = 0.3
REGIONS = ["North", "South", "East", "West", "Central"]
REGION_P = [0.22, 0.26, 0.18, 0.20, 0.14]
CHANNELS = ["store", "online", "phone"]
#: P(channel preference) by segment.
CHANNEL_PREFERENCE = {"Retail": [0.45, 0.45, 0.10], "Small business": [0.20, 0.55, 0.25],
                      "Key account": [0.00, 0.60, 0.40]}
OWN_CHANNEL = 0.80
STORE_DELIVERY = 0.08

CATEGORIES = ["paper", "ink", "furniture", "home", "tech"]
#: Gross margin rate of each category (list price).
CATEGORY_MARGIN = {"paper": 0.34, "ink": 0.24, "furniture": 0.40, "home": 0.42, "tech": 0.15}
#: Category mix of orders by segment.
CATEGORY_MIX = {"Retail": [0.25, 0.15, 0.05, 0.42, 0.13], "Small business": [0.40, 0.28, 0.10, 0.07, 0.15],
                "Key account": [0.45, 0.30, 0.10, 0.00, 0.15]}
#: Contract discount, in margin points, by segment.
SEGMENT_DISCOUNT = {"Retail": 0.0, "Small business": 0.02, "Key account": 0.04}
ITEM_VALUE = 18.0  # quantity = 1 + Poisson(order value / ITEM_VALUE)

DELIVERY_FEE = 3.95
FREE_DELIVERY_FROM = 40.0
#: P(return) of an order by channel, times the customer's return propensity (Gamma, mean 1, shape below).
RETURN_BASE = {"store": 0.03, "online": 0.12, "phone": 0.06}
RETURN_SHAPE = 0.35
RETURN_CAP = 0.7
FULL_REFUND = 0.7

#: Support contacts per order: kappa ~ Gamma(shape, mean by segment).
CONTACT_SHAPE = 0.3
CONTACT_MEAN = {"Retail": 0.35, "Small business": 0.40, "Key account": 0.40}
CONTACT_AFTER_RETURN = 0.8
CONTACT_MINUTES = 9.0  # true mean minutes of a contact (Gamma, shape 2.5)
CONTACT_MINUTES_SHAPE = 2.5
CONTACT_LOGGED = 0.7  # share of contacts that are logged calls (minutes recorded)

#: Visits per month: rate ~ Gamma(VISIT_SHAPE, mean by segment); Small business only for a share of them.
VISIT_SHAPE = 1.0
VISIT_MEAN = {"Key account": 0.25, "Small business": 0.3}
VISIT_SMALL_BUSINESS_SHARE = 0.10
VISIT_MINUTES = 60.0  # mean minutes of a visit including travel (Gamma, shape 4), recorded to 5 minutes
VISIT_AFTER_LAST_ORDER = 60

#: The cost model (two years, 2024-2025). Rates in GBP.
RATES = {"order": 3.20, "delivery": 8.50, "return": 12.00}
POOLS = {"service_desk": {"cost": 48000.0, "practical_minutes": 80000.0},
         "field_team": {"cost": 36000.0, "practical_minutes": 40000.0}}
FIXED = {"Key account": 5000.0}
PARQUET_ROW_GROUP = 10000

_DAY0 = np.datetime64(START, "D")
_LAST_DAY = int((np.datetime64(END, "D") - _DAY0).astype(int))  # 730


def _r(x: float, digits: int = 4) -> float:
    return float(round(float(x), digits))


def _choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row from rows of category probabilities (0-based category)."""
    u = rng.random(len(probs))
    return (u[:, None] > np.cumsum(probs, axis=1)[:, :-1]).sum(axis=1)


def _customers(rng: np.random.Generator, rng_attr: np.random.Generator) -> pd.DataFrame:
    """Customers with their latent draws (λ per week, p, ν; from ``rng``) and attributes and propensities (from
    ``rng_attr``, so that the service constants do not change the purchase draws)."""
    n = N_CUSTOMERS
    late = rng.random(n) >= COHORT_2024
    first = np.where(late, 366 + rng.integers(0, LATE_JOIN_DAYS, n), rng.integers(0, 366, n))
    lam = rng.gamma(BGNBD["r"], 1 / BGNBD["alpha"], n)
    p = rng.beta(BGNBD["a"], BGNBD["b"], n)
    nu = rng.gamma(GAMMA_GAMMA["q"], 1 / GAMMA_GAMMA["gamma"], n)
    rng = rng_attr
    weeks = (_LAST_DAY + 1 - first) / 7.0
    expected_orders = 1 + (1 - np.exp(-lam * p * weeks)) / p  # 1 + E[X(t) | lambda, p] (FHL 2005)
    score = np.log(expected_orders * GAMMA_GAMMA["p"] / nu) + rng.normal(0, SEGMENT_SCORE_NOISE, n)
    rank = np.empty(n, int)
    rank[np.argsort(-score, kind="stable")] = np.arange(n)
    seg = np.where(rank < N_KEY_ACCOUNTS, 2, np.where(rank < N_KEY_ACCOUNTS + N_SMALL_BUSINESS, 1, 0))
    segment = np.array(SEGMENTS)[seg]
    pref = _choice(rng, np.array([CHANNEL_PREFERENCE[s] for s in SEGMENTS])[seg])
    region = _choice(rng, np.tile(REGION_P, (n, 1)))
    ret = rng.gamma(RETURN_SHAPE, 1 / RETURN_SHAPE, n)
    contact_mean = np.array([CONTACT_MEAN[s] for s in SEGMENTS])[seg]
    kappa = rng.gamma(CONTACT_SHAPE, contact_mean / CONTACT_SHAPE)
    visited = (seg == 2) | ((seg == 1) & (rng.random(n) < VISIT_SMALL_BUSINESS_SHARE))
    visit_mean = np.where(seg == 2, VISIT_MEAN["Key account"], VISIT_MEAN["Small business"])
    visit_rate = np.where(visited, rng.gamma(VISIT_SHAPE, visit_mean / VISIT_SHAPE), 0.0)
    return pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(1, n + 1)], "first": first, "lam": lam, "p": p, "nu": nu,
        "seg": seg, "segment": segment, "region": np.array(REGIONS)[region], "pref": pref,
        "return_propensity": ret, "kappa": kappa, "visit_rate": visit_rate,
    })


def _purchases(rng: np.random.Generator, cust: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulate the BG/NBD: (customer index, day) of every purchase, and whether each customer is alive at the end.

    Repeat purchases arrive at exponential gaps with rate λ/7 per day from the first purchase; after each the
    customer drops out with probability p (FHL 2005, §2); the window ends at the end of 2025-12-31.
    """
    n = len(cust)
    rate = cust["lam"].to_numpy() / 7.0
    p = cust["p"].to_numpy()
    window = (_LAST_DAY + 1 - cust["first"].to_numpy()).astype(float)
    t = np.zeros(n)
    active = np.ones(n, bool)
    alive = np.ones(n, bool)
    who, when = [np.arange(n)], [np.zeros(n)]
    while active.any():
        idx = np.flatnonzero(active)
        tn = t[idx] + rng.exponential(1.0 / rate[idx])
        inside = tn < window[idx]
        active[idx[~inside]] = False
        buy = idx[inside]
        t[buy] = tn[inside]
        who.append(buy)
        when.append(tn[inside])
        drop = buy[rng.random(len(buy)) < p[buy]]
        alive[drop] = False
        active[drop] = False
    who_all, when_all = np.concatenate(who), np.concatenate(when)
    day = cust["first"].to_numpy()[who_all] + np.floor(when_all).astype(int)
    return who_all, day, alive


def _orders(rng: np.random.Generator, cust: pd.DataFrame, who: np.ndarray, day: np.ndarray) -> pd.DataFrame:
    """One row per order: Gamma-Gamma value, category and margin, channel, delivery and its fee."""
    seg = cust["seg"].to_numpy()[who]
    value = rng.gamma(GAMMA_GAMMA["p"], 1.0 / cust["nu"].to_numpy()[who])
    revenue = np.maximum(np.round(value, 2), 0.01)
    category = _choice(rng, np.array([CATEGORY_MIX[s] for s in SEGMENTS])[seg])
    rate = (np.array([CATEGORY_MARGIN[c] for c in CATEGORIES])[category]
            - np.array([SEGMENT_DISCOUNT[s] for s in SEGMENTS])[seg])
    cogs = np.round(revenue * (1 - rate), 2)
    quantity = 1 + rng.poisson(revenue / ITEM_VALUE)
    own = rng.random(len(who)) < OWN_CHANNEL
    channel = np.where(own, cust["pref"].to_numpy()[who], rng.integers(0, len(CHANNELS), len(who)))
    delivered = (channel != 0) | (rng.random(len(who)) < STORE_DELIVERY)
    fee = np.where(delivered & (revenue < FREE_DELIVERY_FROM) & (seg != 2), DELIVERY_FEE, 0.0)
    orders = pd.DataFrame({"cust": who, "day": day, "revenue": revenue, "cogs": cogs, "quantity": quantity,
                           "channel": channel, "delivered": delivered, "returned": False, "delivery_fee": fee,
                           "category": category, "margin_rate": rate})
    orders = orders.sort_values(["day", "cust"], kind="stable").reset_index(drop=True)
    orders.insert(0, "order", np.arange(len(orders)))
    return orders


def _refunds(rng: np.random.Generator, cust: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Refund rows (negative revenue and cogs, items sent back) of the orders returned before the end of 2025."""
    chan = orders["channel"].to_numpy()
    prob = np.minimum(np.array([RETURN_BASE[c] for c in CHANNELS])[chan]
                      * cust["return_propensity"].to_numpy()[orders["cust"].to_numpy()], RETURN_CAP)
    hit = rng.random(len(orders)) < prob
    delay = 2 + rng.geometric(0.15, len(orders))
    full = rng.random(len(orders)) < FULL_REFUND
    share = np.where(full, 1.0, rng.uniform(0.2, 0.8, len(orders)))
    ref = orders[hit & (orders["day"].to_numpy() + delay <= _LAST_DAY)].copy()
    keep = ref.index.to_numpy()
    ref["day"] = ref["day"].to_numpy() + delay[keep]
    items = np.where(full[keep], ref["quantity"], np.maximum(1, np.round(share[keep] * ref["quantity"]))).astype(int)
    share = np.where(full[keep], 1.0, items / ref["quantity"].to_numpy())
    ref["revenue"] = -np.round(ref["revenue"].to_numpy() * share, 2)
    ref["cogs"] = -np.round(ref["cogs"].to_numpy() * share, 2)
    ref["quantity"] = items
    ref["delivered"] = False
    ref["returned"] = True
    ref["delivery_fee"] = 0.0
    return ref.reset_index(drop=True)


def _contacts(rng: np.random.Generator, cust: pd.DataFrame, orders: pd.DataFrame,
              refunds: pd.DataFrame) -> pd.DataFrame:
    """Support contacts after orders and returns: (cust, day, true minutes, logged)."""
    per_order = rng.poisson(cust["kappa"].to_numpy()[orders["cust"].to_numpy()])
    after_return = (rng.random(len(refunds)) < CONTACT_AFTER_RETURN).astype(int)
    src = np.concatenate([np.repeat(orders["cust"].to_numpy(), per_order),
                          np.repeat(refunds["cust"].to_numpy(), after_return)])
    base = np.concatenate([np.repeat(orders["day"].to_numpy(), per_order),
                           np.repeat(refunds["day"].to_numpy(), after_return)])
    day = base + rng.geometric(0.3, len(src)) - 1
    minutes = rng.gamma(CONTACT_MINUTES_SHAPE, CONTACT_MINUTES / CONTACT_MINUTES_SHAPE, len(src))
    logged = rng.random(len(src)) < CONTACT_LOGGED
    keep = day <= _LAST_DAY
    return pd.DataFrame({"cust": src[keep], "day": day[keep], "minutes": np.maximum(1, np.round(minutes[keep])),
                         "logged": logged[keep]})


def _visits(rng: np.random.Generator, cust: pd.DataFrame, last_day: np.ndarray, alive: np.ndarray) -> pd.DataFrame:
    """Account-manager visits: Poisson over the customer's active months, minutes recorded to 5 minutes."""
    first = cust["first"].to_numpy()
    stop = np.where(alive, _LAST_DAY, np.minimum(_LAST_DAY, last_day + VISIT_AFTER_LAST_ORDER))
    span = stop - first + 1
    count = rng.poisson(cust["visit_rate"].to_numpy() * span / (365.25 / 12))
    who = np.repeat(np.arange(len(cust)), count)
    day = first[who] + np.floor(rng.random(len(who)) * span[who]).astype(int)
    minutes = np.maximum(15, 5 * np.round(rng.gamma(4.0, VISIT_MINUTES / 4.0, len(who)) / 5))
    return pd.DataFrame({"cust": who, "day": day, "minutes": minutes})


def _dates(day: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(_DAY0 + day.astype("timedelta64[D]"), unit="D")


def _transactions(cust: pd.DataFrame, orders: pd.DataFrame, refunds: pd.DataFrame) -> pd.DataFrame:
    """transactions.csv: orders and refunds by date (a refund after its order), ids and labels as written."""
    rows = pd.concat([orders, refunds], ignore_index=True).sort_values(["day", "returned", "order"], kind="stable")
    return pd.DataFrame({
        "customer_id": cust["customer_id"].to_numpy()[rows["cust"].to_numpy()],
        "order_id": [f"O{i + 1:06d}" for i in rows["order"].to_numpy()],
        "date": _dates(rows["day"].to_numpy()),
        "revenue": rows["revenue"].to_numpy(), "cogs": rows["cogs"].to_numpy(),
        "quantity": rows["quantity"].to_numpy().astype(np.int64),
        "channel": np.array(CHANNELS)[rows["channel"].to_numpy()],
        "delivered": rows["delivered"].to_numpy(bool), "returned": rows["returned"].to_numpy(bool),
        "delivery_fee": rows["delivery_fee"].to_numpy(),
        "category": np.array(CATEGORIES)[rows["category"].to_numpy()],
    })


def _activities(cust: pd.DataFrame, contacts: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame:
    """activities.csv: one row per logged call and per visit (minutes), e-mails counted per customer and day."""
    logged = contacts[contacts["logged"]].assign(count=1)
    mails = (contacts[~contacts["logged"]].groupby(["cust", "day"], as_index=False).size()
             .rename(columns={"size": "count"}).assign(minutes=np.nan))
    rows = pd.concat([logged.assign(activity="support_contact"), mails.assign(activity="support_contact"),
                      visits.assign(activity="visit", count=1)], ignore_index=True)
    rows = rows.sort_values(["day", "cust", "activity", "minutes"], kind="stable", na_position="last")
    return pd.DataFrame({
        "customer_id": cust["customer_id"].to_numpy()[rows["cust"].to_numpy()],
        "date": _dates(rows["day"].to_numpy()), "activity": rows["activity"].to_numpy(),
        "count": rows["count"].to_numpy().astype(np.int64),
        "minutes": pd.array(rows["minutes"].to_numpy(), dtype="Int64"),
    })


def _pool_rate(pool: str) -> float:
    return POOLS[pool]["cost"] / POOLS[pool]["practical_minutes"]


def _ledger(cust: pd.DataFrame, tx: pd.DataFrame, act: pd.DataFrame) -> pd.DataFrame:
    """The customer P&L under the cost model, from the written tables (delivery fees count as income)."""
    ids = pd.Index(cust["customer_id"], name="customer_id")
    orders = tx[~tx["returned"]]
    g = pd.DataFrame(index=ids)
    g["orders"] = orders.groupby("customer_id")["order_id"].nunique()
    g["deliveries"] = orders[orders["delivered"]].groupby("customer_id")["order_id"].nunique()
    g["returns"] = tx[tx["returned"]].groupby("customer_id")["order_id"].nunique()
    money = tx.groupby("customer_id")[["revenue", "cogs", "delivery_fee"]].sum()
    g = g.join(money).fillna(0.0)
    unit = {"support_contact": CONTACT_MINUTES, "visit": VISIT_MINUTES}
    minutes = act["minutes"].astype(float).fillna(act["activity"].map(unit) * act["count"])
    used = act.assign(m=minutes).pivot_table(index="customer_id", columns="activity", values="m", aggfunc="sum")
    g["contact_minutes"] = used.get("support_contact", pd.Series(dtype=float)).reindex(ids).fillna(0.0)
    g["visit_minutes"] = used.get("visit", pd.Series(dtype=float)).reindex(ids).fillna(0.0)
    g["cts_order"] = RATES["order"] * g["orders"]
    g["cts_delivery"] = RATES["delivery"] * g["deliveries"]
    g["cts_return"] = RATES["return"] * g["returns"]
    g["cts_support_contact"] = _pool_rate("service_desk") * g["contact_minutes"]
    g["cts_visit"] = _pool_rate("field_team") * g["visit_minutes"]
    seg = cust.set_index("customer_id")["segment"]
    g["fixed"] = seg.map({s: FIXED.get(s, 0.0) / max((seg == s).sum(), 1) for s in SEGMENTS})
    g["cost_to_serve"] = g.filter(like="cts_").sum(axis=1) + g["fixed"]
    # to the penny: a customer who breaks even is at 0.00, not at a float's -1e-13 (a "loss-maker" by noise)
    g["net_profit"] = (g["revenue"] - g["cogs"] + g["delivery_fee"] - g["cost_to_serve"]).round(2)
    g["segment"] = seg
    return g


def _whale(profit: pd.Series) -> dict[str, Any]:
    """Whale-curve figures of a profit per customer: shares of total profit by profit rank (Kaplan & Cooper 1998)."""
    p = np.sort(profit.to_numpy())[::-1]
    n, total = len(p), p.sum()
    cum = np.cumsum(p) / total
    top, bottom = n // 5, n // 10
    return {"customers": n, "total": _r(total, 2), "top_20_percent_share": _r(cum[top - 1]),
            "middle_70_percent_share": _r(p[top:n - bottom].sum() / total),
            "bottom_10_percent_share": _r(p[n - bottom:].sum() / total),
            "peak_share": _r(cum.max()), "peak_at_customers": int(cum.argmax() + 1),
            "loss_making_customers": int((p < 0).sum()), "loss_of_loss_makers": _r(p[p < 0].sum(), 2)}


def _ledger_truth(g: pd.DataFrame) -> dict[str, Any]:
    money = ["revenue", "cogs", "delivery_fee", "cts_order", "cts_delivery", "cts_return", "cts_support_contact",
             "cts_visit", "fixed", "cost_to_serve", "net_profit"]
    totals = {c: _r(g[c].sum(), 2) for c in money}
    totals["gross_margin"] = _r(g["revenue"].sum() - g["cogs"].sum(), 2)
    no_fee = g["net_profit"] - g["delivery_fee"]
    by_segment = {s: {"customers": int((g["segment"] == s).sum()), "net_profit": _r(d["net_profit"].sum(), 2),
                      "loss_making": int((d["net_profit"] < 0).sum())}
                  for s, d in ((s, g[g["segment"] == s]) for s in SEGMENTS)}
    return {
        "rule": "net_profit = revenue - cogs + delivery_fee - cost_to_serve; revenue and cogs net of refunds; "
                "cost_to_serve = order, delivery and return rates x counts from the transactions + pool rate x "
                "minutes (recorded, else the activity's standard minutes x count) + the segment's fixed cost "
                "spread equally; unused capacity is not spread",
        "totals": totals, "by_segment": by_segment, "whale": _whale(g["net_profit"]),
        "whale_without_delivery_fees": _whale(no_fee),
    }


def _pools_truth(contacts: pd.DataFrame, act: pd.DataFrame) -> dict[str, Any]:
    """Per pool: capacity cost rate, minutes truly used and as attributed by the cost model, utilisation, unused."""
    unit = {"support_contact": CONTACT_MINUTES, "visit": VISIT_MINUTES}
    attributed = act["minutes"].astype(float).fillna(act["activity"].map(unit) * act["count"])
    true_used = {"service_desk": float(contacts["minutes"].sum()),
                 "field_team": float(act.loc[act["activity"] == "visit", "minutes"].astype(float).sum())}
    out = {}
    for pool, activity in (("service_desk", "support_contact"), ("field_team", "visit")):
        rate = _pool_rate(pool)
        used = float(attributed[act["activity"] == activity].sum())
        out[pool] = {**POOLS[pool], "rate": _r(rate, 6), "true_minutes_used": true_used[pool],
                     "true_utilisation": _r(true_used[pool] / POOLS[pool]["practical_minutes"]),
                     "attributed_minutes": used, "attributed_utilisation": _r(used / POOLS[pool]["practical_minutes"]),
                     "unused_cost": _r(POOLS[pool]["cost"] - rate * used, 2)}
    return out


def _purchase_truth(cust: pd.DataFrame, tx: pd.DataFrame, alive: np.ndarray) -> dict[str, Any]:
    orders = tx[~tx["returned"]]
    days = orders.groupby("customer_id")["date"].nunique()
    x = days - 1
    r, alpha, a, b = (BGNBD[k] for k in ("r", "alpha", "a", "b"))
    return {
        "model": "BG/NBD (Fader, Hardie & Lee 2005, Marketing Science 24(2) 275-284): repeat purchases Poisson(lambda) "
                 "while alive, lambda ~ Gamma(r, alpha); after each repeat purchase the customer drops out with "
                 "probability p ~ Beta(a, b)",
        "unit": "week", **BGNBD, "alpha_in_days": alpha * 7,
        "mean_purchase_rate_per_week": _r(r / alpha, 6), "mean_dropout_probability": _r(a / (a + b), 6),
        "summary_convention": "frequency = distinct purchase days - 1 (refund rows are not purchases), recency and T "
                              f"from the first purchase to the last one and to {END}",
        "realised": {
            "orders": int(orders["order_id"].nunique()), "repeat_purchase_days": int(x.sum()),
            "orders_sharing_a_day": int(len(orders) - days.sum()),
            "one_off_customers": int((x == 0).sum()), "one_off_share": _r((x == 0).mean()),
            "mean_frequency": _r(x.mean()), "customers_alive_at_end": int(alive.sum()),
            "alive_share": _r(alive.mean()), "mean_lambda_per_week": _r(cust["lam"].mean(), 6),
            "mean_p": _r(cust["p"].mean()),
        },
    }


def _truth(cust, tx, act, contacts, alive, ledger) -> dict[str, Any]:
    p, q, gamma = (GAMMA_GAMMA[k] for k in ("p", "q", "gamma"))
    orders = tx[~tx["returned"]]
    refunds = tx[tx["returned"]]
    seg_counts = cust["segment"].value_counts()
    return {
        "seed": SEED, "currency": "GBP",
        "period": {"start": START, "end": END, "days": _LAST_DAY + 1},
        "customers": {
            "n": len(cust), "segments": {s: int(seg_counts.get(s, 0)) for s in SEGMENTS},
            "first_purchase": f"{COHORT_2024:.0%} uniform over 2024, the rest uniform over 2025-01-01..2025-06-30",
            "segment_rule": "score = log((1 + E[repeat purchases to the end | lambda, p]) x mean order value) + "
                            f"N(0, {SEGMENT_SCORE_NOISE}^2); top {N_KEY_ACCOUNTS} Key account, next "
                            f"{N_SMALL_BUSINESS} Small business, rest Retail",
            "regions": dict(zip(REGIONS, REGION_P)), "channel_preference": {
                s: dict(zip(CHANNELS, v)) for s, v in CHANNEL_PREFERENCE.items()},
        },
        "purchases": _purchase_truth(cust, tx, alive),
        "spend": {
            "model": "Gamma-Gamma (Fader, Hardie & Lee 2005, JMR 42(4); Fader & Hardie 2013, note 025): order value ~ "
                     "Gamma(p, nu), nu ~ Gamma(q, gamma), independent of the purchase process; revenue = value to the "
                     "penny",
            **GAMMA_GAMMA, "mean_order_value": _r(p * gamma / (q - 1), 4),
            "realised_mean_order_value": _r(orders["revenue"].mean(), 4),
        },
        "margins": {"category_margin": CATEGORY_MARGIN, "segment_discount": SEGMENT_DISCOUNT,
                    "category_mix": {s: dict(zip(CATEGORIES, v)) for s, v in CATEGORY_MIX.items()},
                    "rule": "cogs = revenue x (1 - (category margin - segment discount)), to the penny"},
        "service": {
            "own_channel": OWN_CHANNEL, "store_delivery": STORE_DELIVERY,
            "delivery_fee": DELIVERY_FEE, "free_delivery_from": FREE_DELIVERY_FROM,
            "free_delivery_segments": ["Key account"],
            "returns": {"base_rate": RETURN_BASE, "propensity_gamma_shape": RETURN_SHAPE, "cap": RETURN_CAP,
                        "full_refund_share": FULL_REFUND, "returned_orders": len(refunds),
                        "refunded_revenue": _r(-refunds["revenue"].sum(), 2)},
            "support": {"per_order_gamma_shape": CONTACT_SHAPE, "per_order_mean": CONTACT_MEAN,
                        "after_return": CONTACT_AFTER_RETURN, "mean_minutes": CONTACT_MINUTES,
                        "minutes_gamma_shape": CONTACT_MINUTES_SHAPE, "logged_share": CONTACT_LOGGED,
                        "contacts": len(contacts)},
            "visits": {"per_month_gamma_shape": VISIT_SHAPE, "per_month_mean": VISIT_MEAN,
                       "small_business_visited_share": VISIT_SMALL_BUSINESS_SHARE, "mean_minutes": VISIT_MINUTES,
                       "days_after_last_order": VISIT_AFTER_LAST_ORDER,
                       "visits": int((act["activity"] == "visit").sum())},
        },
        "cost_model": {"rates": RATES, "fixed": FIXED, "pools": _pools_truth(contacts, act)},
        "ledger": _ledger_truth(ledger),
    }


def _truth_customers(cust: pd.DataFrame, alive: np.ndarray) -> pd.DataFrame:
    """Per customer: the latent draws of the generating model and whether the customer is alive at the end."""
    fmt = np.vectorize(lambda v: f"{v:.4g}")
    return pd.DataFrame({
        "customer_id": cust["customer_id"], "purchase_rate_per_week": fmt(cust["lam"].to_numpy()),
        "dropout_probability": fmt(cust["p"].to_numpy()),
        "mean_order_value": np.round(GAMMA_GAMMA["p"] / cust["nu"].to_numpy(), 2), "alive_at_end": alive,
    })


def _money(x: float) -> str:
    return f"{x:.2f}"


def _cost_model_yaml() -> str:
    """cost_model.yaml in the contract's format, every number with a comment saying what it is."""
    sd, ft = POOLS["service_desk"], POOLS["field_team"]
    fixed = "\n".join(f"  {seg}: {cost:.0f}   # the key-account desk (contract admin, rebates, reporting), spread "
                      f"equally over that segment's customers" for seg, cost in FIXED.items())
    return f"""\
# Cost model of the sample retailer (written by cfresearch.profit.sample), in the shared contract's format.
# Money in GBP, ex VAT. Pool costs and capacities cover the two years of data, {START} to {END}.
currency: GBP
activities:
  # Money per event, counted from transactions.csv (driver: transactions).
  order: {{rate: {_money(RATES["order"])}, driver: transactions}}         # per distinct order_id: payment, \
picking, packing, invoicing
  delivery: {{rate: {_money(RATES["delivery"])}, driver: transactions}}      # per delivered order: the \
carrier's charge, averaged over parcels and two-person furniture runs
  return: {{rate: {_money(RATES["return"])}, driver: transactions}}       # per returned order: collection, \
inspection, restocking (the refund itself is in revenue)
  # Time-driven (Kaplan & Anderson 2004, HBR R0411J): minutes x the pool's capacity cost rate, from activities.csv.
  support_contact: {{minutes: {CONTACT_MINUTES:g}, pool: service_desk}}   # standard minutes of a contact, used \
when no time is recorded (e-mails); a logged call's own minutes otherwise
  visit: {{minutes: {VISIT_MINUTES:g}, pool: field_team}}               # standard minutes of an account-manager \
visit including travel (visits are always recorded)
pools:
  # Capacity cost rate = cost / practical minutes (practical capacity: about 80 % of paid time).
  # Unused capacity = cost - rate x minutes used: reported apart, never spread over customers.
  service_desk: {{cost: {sd["cost"]:.0f}, practical_minutes: {sd["practical_minutes"]:.0f}}}   # \
{sd["cost"] / sd["practical_minutes"]:.2f} per minute: the desk's agents' share of time for these customers
  field_team: {{cost: {ft["cost"]:.0f}, practical_minutes: {ft["practical_minutes"]:.0f}}}     # \
{ft["cost"] / ft["practical_minutes"]:.2f} per minute: account managers' time, car and expenses
fixed:
{fixed}
"""


_README = f"""\
# Profitability sample data

Written by `cfresearch.profit.sample.write_sample` (`cfresearch sample-data`), byte-identical on every run, from
the stated model in that module's docstring; `truth.yaml` holds every constant and what the simulation realised.
An office-supplies and home-goods retailer with {N_CUSTOMERS:,} customers, {START} to {END}.

| File | Content |
|---|---|
| `customers.csv` | customer_id, segment, region, channel_preference, signup_date (the first purchase) |
| `transactions.csv`, `transactions.parquet` | one row per order, refunds as separate rows (returned, negative \
revenue) with the order's order_id; revenue is the goods ex VAT, delivery_fee what the customer paid for delivery |
| `activities.csv` | support contacts and account-manager visits: customer_id, date, activity, count, minutes \
(empty when not recorded) |
| `cost_model.yaml` | rates per order, delivery and return; time-driven pools; the key-account fixed cost |
| `truth.yaml`, `truth_customers.csv` | the generating parameters and realised figures; per customer the true \
purchase rate, dropout probability, mean order value and whether alive at the end |
| `cdnow/` | the CDNOW sample (Fader, Hardie & Lee 2005), copied unchanged; see its README |

The data are valid throughout: no planted errors.
"""

_CDNOW_README = """\
# CDNOW sample (2,357 customers)

Copied unchanged from `src/cfresearch/profit/cdnow_data/`: the CDNOW sample of Fader, Hardie & Lee (2005),
"'Counting your customers' the easy way: an alternative to the Pareto/NBD model", *Marketing Science* 24(2),
275-284, as shipped in the `lifetimes` 0.11.3 wheel (`lifetimes/datasets/`, © 2015 Cameron Davidson-Pilon, MIT
licence); originally published by Bruce Hardie, <https://www.brucehardie.com/datasets/>.
"""

_CDNOW = Path(__file__).resolve().parent / "cdnow_data"


def _cdnow_files() -> dict[str, bytes]:
    """The bundled CDNOW files (not Python), unchanged; a README citing the source when none is bundled."""
    if not _CDNOW.is_dir():
        return {}
    files = {f"cdnow/{p.name}": p.read_bytes() for p in sorted(_CDNOW.iterdir())
             if p.is_file() and p.suffix not in {".py", ".pyc"}}
    files.setdefault("cdnow/README.md", _CDNOW_README.encode("utf-8"))
    return files


def _parquet(tx: pd.DataFrame) -> bytes:
    """transactions.parquet: an explicit Arrow schema (date32 dates), no pandas metadata, fixed row groups."""
    schema = pa.schema([("customer_id", pa.string()), ("order_id", pa.string()), ("date", pa.date32()),
                        ("revenue", pa.float64()), ("cogs", pa.float64()), ("quantity", pa.int64()),
                        ("channel", pa.string()), ("delivered", pa.bool_()), ("returned", pa.bool_()),
                        ("delivery_fee", pa.float64()), ("category", pa.string())])
    arrays = {c: tx[c].to_numpy() for c in schema.names}
    arrays["date"] = tx["date"].to_numpy().astype("datetime64[D]")
    table = pa.Table.from_pydict({c: pa.array(v, type=schema.field(c).type) for c, v in arrays.items()}, schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=PARQUET_ROW_GROUP, compression="zstd", compression_level=9,
                   use_dictionary=["customer_id", "channel", "category"], write_statistics=True)
    return sink.getvalue().to_pybytes()


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _generate() -> dict[str, Any]:
    # one independent stream per step (SeedSequence.spawn), so changing one step's constants leaves the others' draws
    rng = [np.random.default_rng(s) for s in np.random.SeedSequence(SEED).spawn(7)]
    cust = _customers(rng[0], rng[1])
    who, day, alive = _purchases(rng[2], cust)
    orders = _orders(rng[3], cust, who, day)
    refunds = _refunds(rng[4], cust, orders)
    contacts = _contacts(rng[5], cust, orders, refunds)
    last = orders.groupby("cust")["day"].max().reindex(range(len(cust))).to_numpy()
    visits = _visits(rng[6], cust, last, alive)
    tx = _transactions(cust, orders, refunds)
    act = _activities(cust, contacts, visits)
    customers = pd.DataFrame({"customer_id": cust["customer_id"], "segment": cust["segment"],
                              "region": cust["region"], "channel_preference": np.array(CHANNELS)[cust["pref"]],
                              "signup_date": _dates(cust["first"].to_numpy())})
    ledger = _ledger(cust, tx, act)
    truth = _truth(cust, tx, act, contacts, alive, ledger)
    return {"customers": customers, "transactions": tx, "activities": act, "truth": truth,
            "truth_customers": _truth_customers(cust, alive)}


def write_sample(folder: str | Path) -> list[Path]:
    """Write the profitability sample data into ``folder`` (created if needed); return the files written.

    Byte-identical from run to run: one seeded simulation (:data:`SEED`), money rounded to the penny, YAML in a
    fixed key order, and a Parquet file with an explicit schema and fixed row groups (its footer names the
    pyarrow version that wrote it, so it is byte-identical for a given pyarrow). The CDNOW files are copied from
    ``cfresearch/profit/cdnow_data/`` when that folder exists.

    >>> import tempfile
    >>> files = write_sample(Path(tempfile.mkdtemp()) / "profitability")
    >>> [p.name for p in files][:8]  # doctest: +NORMALIZE_WHITESPACE
    ['README.md', 'customers.csv', 'transactions.csv', 'transactions.parquet', 'activities.csv',
     'cost_model.yaml', 'truth.yaml', 'truth_customers.csv']
    >>> tx = pd.read_csv(files[2])
    >>> tx["customer_id"].nunique(), bool((tx.loc[tx["returned"], "revenue"] < 0).all())
    (5000, True)
    """
    folder = Path(folder)
    data = _generate()
    truth_head = ("# The generating model of the profitability sample and what it realised (written by\n"
                  "# cfresearch.profit.sample; the constants are documented in that module). Money in GBP.\n")
    outputs: dict[str, bytes] = {
        "README.md": _README.encode("utf-8"),
        "customers.csv": _csv(data["customers"]),
        "transactions.csv": _csv(data["transactions"]),
        "transactions.parquet": _parquet(data["transactions"]),
        "activities.csv": _csv(data["activities"]),
        "cost_model.yaml": _cost_model_yaml().encode("utf-8"),
        "truth.yaml": (truth_head + yaml.safe_dump(data["truth"], sort_keys=False, allow_unicode=True,
                                                   default_flow_style=False, width=120)).encode("utf-8"),
        "truth_customers.csv": _csv(data["truth_customers"]),
        **_cdnow_files(),
    }
    written = []
    for name, blob in outputs.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
        written.append(path)
    return written
