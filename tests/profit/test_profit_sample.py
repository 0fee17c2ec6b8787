"""The deterministic profitability sample: byte-identical regeneration, the committed copy, the shared contract's
shapes, referential integrity, and the stated generating model visible in the data.

Everything is checked from the written files by code written here, not by the generator's own helpers: a customer
P&L in plain pandas with the rates read from ``cost_model.yaml``; the BG/NBD and Gamma-Gamma log-likelihoods in
scipy, first validated on the CDNOW sample against the published estimates (BG/NBD: Fader, Hardie & Lee 2005,
Marketing Science 24(2), r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4; Gamma-Gamma: Fader & Hardie
2013 note, p = 6.25, q = 3.74, γ = 15.44), then fitted on the sample to recover ``truth.yaml``; and the BG/NBD's
closed forms (P(X(T) = 0), E[X(T)], P(alive)) at the true parameters against the realised one-off share, repeat
purchases and the true number of customers alive at the end.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from scipy import optimize, special, stats

from cfresearch.profit import sample as sample_module
from cfresearch.profit.sample import write_sample

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "profitability"
CDNOW_SRC = ROOT / "src" / "cfresearch" / "profit" / "cdnow_data"
MAIN = ["README.md", "customers.csv", "transactions.csv", "transactions.parquet", "activities.csv",
        "cost_model.yaml", "truth.yaml", "truth_customers.csv"]
CDNOW = sorted(f"cdnow/{p.name}" for p in CDNOW_SRC.iterdir() if p.is_file() and p.suffix != ".py") \
    if CDNOW_SRC.is_dir() else []
FILES = MAIN + CDNOW
TX_COLUMNS = ["customer_id", "order_id", "date", "revenue", "cogs", "quantity", "channel", "delivered", "returned",
              "delivery_fee", "category"]
END = pd.Timestamp("2025-12-31")


# ─── fixtures: the committed files, read as a user would ─────────────────────────────────────────────────

@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("profit")
    written = write_sample(dest)
    assert sorted(str(p.relative_to(dest)) for p in written) == sorted(FILES)
    return dest


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    t = pd.read_csv(SAMPLE / "transactions.csv", dtype={"customer_id": str, "order_id": str})
    t["date"] = pd.to_datetime(t["date"], format="%Y-%m-%d")
    return t


@pytest.fixture(scope="module")
def act() -> pd.DataFrame:
    a = pd.read_csv(SAMPLE / "activities.csv", dtype={"customer_id": str})
    a["date"] = pd.to_datetime(a["date"], format="%Y-%m-%d")
    return a


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    c = pd.read_csv(SAMPLE / "customers.csv", dtype=str)
    c["signup_date"] = pd.to_datetime(c["signup_date"], format="%Y-%m-%d")
    return c


@pytest.fixture(scope="module")
def cost_model() -> dict:
    return yaml.safe_load((SAMPLE / "cost_model.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def truth() -> dict:
    return yaml.safe_load((SAMPLE / "truth.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def summary(tx) -> pd.DataFrame:
    """The purchase summary in weeks (Fader, Hardie & Lee 2005; lifetimes' summary_data_from_transaction_data):
    x = distinct purchase days - 1, t_x and T from the first purchase day, zbar = mean of the repeat days' revenue."""
    days = tx[~tx["returned"]].groupby(["customer_id", "date"], as_index=False)["revenue"].sum()
    first = days.groupby("customer_id")["date"].transform("min")
    g = days.assign(first=first, repeat=days["date"] > first).groupby("customer_id")
    s = pd.DataFrame({"x": g.size() - 1, "t_x": (g["date"].max() - g["first"].min()).dt.days / 7,
                      "T": (END - g["first"].min()).dt.days / 7,
                      "orders": tx[~tx["returned"]].groupby("customer_id")["order_id"].nunique()})
    s["zbar"] = days[days["date"] > first].groupby("customer_id")["revenue"].mean().reindex(s.index).fillna(0.0)
    return s


# ─── determinism and the committed copy ──────────────────────────────────────────────────────────────────

def test_byte_identical_from_run_to_run(fresh, tmp_path):
    write_sample(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (fresh / name).read_bytes(), name


def test_committed_files_equal_a_fresh_generation(fresh):
    committed = sorted(str(p.relative_to(SAMPLE)) for p in SAMPLE.rglob("*") if p.is_file())
    assert committed == sorted(FILES)
    for name in FILES:
        if name.endswith(".parquet") and (pq.ParquetFile(SAMPLE / name).metadata.created_by
                                          != pq.ParquetFile(fresh / name).metadata.created_by):
            # another pyarrow wrote the committed footer: the same table is all that can be asked
            assert pq.read_table(SAMPLE / name).equals(pq.read_table(fresh / name)), name
            continue
        assert (SAMPLE / name).read_bytes() == (fresh / name).read_bytes(), (
            f"{name} differs from a fresh generation: run `make sample-data`")


def test_sizes_are_small_enough_to_commit():
    sizes = {p.name: p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file()}
    assert sum(sizes.values()) < 2_600_000
    assert sizes["transactions.csv"] < 1_300_000 and sizes["transactions.parquet"] < sizes["transactions.csv"] / 4


def test_cdnow_is_copied_unchanged_with_its_source():
    if not CDNOW:
        pytest.skip("src/cfresearch/profit/cdnow_data/ is not there")
    assert {"cdnow/CDNOW_sample.txt", "cdnow/README.md"} <= set(CDNOW)
    for name in CDNOW:
        assert (SAMPLE / name).read_bytes() == (CDNOW_SRC / name.split("/")[1]).read_bytes(), name
    readme = (SAMPLE / "cdnow" / "README.md").read_text(encoding="utf-8")
    assert "Fader, Hardie & Lee (2005)" in readme and "lifetimes" in readme
    rows = (SAMPLE / "cdnow" / "CDNOW_sample.txt").read_text().split()
    assert len(rows) == 5 * 6919 and len(set(rows[1::5])) == 2357


# ─── shapes and types of the shared contract ─────────────────────────────────────────────────────────────

def test_transactions_follow_the_contract(tx):
    assert list(tx.columns) == TX_COLUMNS
    assert tx["date"].dtype.kind == "M" and (tx["date"] == tx["date"].dt.normalize()).all()
    assert tx["date"].between("2024-01-01", END).all()
    assert tx["quantity"].dtype.kind == "i" and (tx["quantity"] > 0).all()
    assert tx["delivered"].dtype == bool and tx["returned"].dtype == bool
    assert set(tx["channel"]) == {"store", "online", "phone"}
    assert tx["customer_id"].str.fullmatch(r"C\d{5}").all() and tx["order_id"].str.fullmatch(r"O\d{6}").all()
    orders, refunds = tx[~tx["returned"]], tx[tx["returned"]]
    assert (orders["revenue"] > 0).all() and (orders["cogs"] > 0).all() and orders["order_id"].is_unique
    assert (refunds["revenue"] < 0).all() and (refunds["cogs"] < 0).all() and refunds["order_id"].is_unique
    assert not refunds["delivered"].any() and (refunds["delivery_fee"] == 0).all()
    money = tx[["revenue", "cogs", "delivery_fee"]].to_numpy()
    assert np.allclose(money, np.round(money, 2), atol=1e-9)  # to the penny
    assert len(orders) == 15938 and len(refunds) == 1171


def test_parquet_holds_the_same_rows_with_real_types(tx):
    f = pq.ParquetFile(SAMPLE / "transactions.parquet")
    assert f.metadata.num_rows == len(tx) and f.metadata.num_row_groups == 2
    assert str(f.schema_arrow.field("date").type) == "date32[day]"
    assert [str(f.schema_arrow.field(c).type) for c in ("revenue", "quantity", "delivered")] == [
        "double", "int64", "bool"]
    assert b"pandas" not in (f.schema_arrow.metadata or {})
    p = f.read().to_pandas()
    p["date"] = pd.to_datetime(p["date"])
    pd.testing.assert_frame_equal(p.astype({"date": "datetime64[ns]"}), tx.astype({"date": "datetime64[ns]"}),
                                  check_dtype=False)


def test_activities_and_customers_follow_the_contract(act, customers, cost_model):
    assert list(act.columns) == ["customer_id", "date", "activity", "count", "minutes"]
    from_activities = {k for k, v in cost_model["activities"].items() if v.get("driver") != "transactions"}
    assert set(act["activity"]) == from_activities == {"support_contact", "visit"}
    assert act["count"].dtype.kind == "i" and (act["count"] >= 1).all()
    assert act["date"].between("2024-01-01", END).all()
    assert (act["minutes"].dropna() > 0).all()
    visits, contacts = act[act["activity"] == "visit"], act[act["activity"] == "support_contact"]
    assert visits["minutes"].notna().all() and (visits["count"] == 1).all()
    assert 0.25 < contacts["minutes"].isna().mean() < 0.35  # e-mails: no recorded time
    assert act.loc[act["count"] > 1, "minutes"].isna().all()  # minutes only on single events
    assert list(customers.columns) == ["customer_id", "segment", "region", "channel_preference", "signup_date"]
    assert customers["customer_id"].is_unique and len(customers) == 5000
    assert customers["segment"].value_counts().to_dict() == {"Retail": 3950, "Small business": 1000,
                                                             "Key account": 50}
    assert set(customers["region"]) == {"North", "South", "East", "West", "Central"}


def test_cost_model_is_in_the_contract_format(cost_model, customers):
    assert cost_model["currency"] == "GBP" and set(cost_model) == {"currency", "activities", "pools", "fixed"}
    for name in ("order", "delivery", "return"):
        assert set(cost_model["activities"][name]) == {"rate", "driver"}
        assert cost_model["activities"][name]["driver"] == "transactions"
    for name, pool in (("support_contact", "service_desk"), ("visit", "field_team")):
        assert cost_model["activities"][name]["pool"] == pool and cost_model["activities"][name]["minutes"] > 0
    assert all(set(p) == {"cost", "practical_minutes"} for p in cost_model["pools"].values())
    assert set(cost_model["fixed"]) <= set(customers["segment"])
    text = (SAMPLE / "cost_model.yaml").read_text(encoding="utf-8")
    for key in ("order:", "delivery:", "return:", "support_contact:", "visit:", "service_desk:", "field_team:"):
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(key))
        assert "#" in line, f"{key} has no comment"
    costs = pytest.importorskip("cfresearch.profit.costs")
    model = costs.load_cost_model(SAMPLE / "cost_model.yaml")
    assert model.pools["service_desk"].cost / model.pools["service_desk"].practical_minutes == pytest.approx(0.60)


# ─── referential integrity ───────────────────────────────────────────────────────────────────────────────

def test_every_refund_refers_to_an_earlier_order_of_the_same_customer(tx):
    orders = tx[~tx["returned"]].set_index("order_id")
    refunds = tx[tx["returned"]].set_index("order_id")
    assert refunds.index.isin(orders.index).all()
    o = orders.loc[refunds.index]
    assert (o["customer_id"] == refunds["customer_id"]).all()
    assert ((refunds["date"] - o["date"]).dt.days >= 3).all()
    assert (-refunds["revenue"] <= o["revenue"] + 1e-9).all() and (refunds["quantity"] <= o["quantity"]).all()
    assert (refunds["channel"] == o["channel"]).all() and (refunds["category"] == o["category"]).all()


def test_every_customer_exists_and_buys_first_on_the_signup_date(tx, act, customers):
    ids = set(customers["customer_id"])
    assert set(tx["customer_id"]) == ids and set(act["customer_id"]) <= ids
    first = tx.groupby("customer_id")["date"].min()
    assert (first.reindex(customers["customer_id"]).to_numpy() == customers["signup_date"].to_numpy()).all()
    first_activity = act.groupby("customer_id")["date"].min()
    assert (first_activity >= first.reindex(first_activity.index)).all()  # no service before the first order
    s = customers["signup_date"]
    assert s.max() <= pd.Timestamp("2025-06-30")
    in_2024 = (s.dt.year == 2024).mean()
    assert abs(in_2024 - 0.85) < 3 * np.sqrt(0.85 * 0.15 / len(s))


# ─── the stated model, visible in the data ──────────────────────────────────────────────────────────────

def test_margins_and_delivery_fees_follow_the_stated_rules(tx, customers, truth):
    seg = tx["customer_id"].map(customers.set_index("customer_id")["segment"])
    m = truth["margins"]
    rate = tx["category"].map(m["category_margin"]) - seg.map(m["segment_discount"])
    orders = ~tx["returned"]
    expected = np.round(tx.loc[orders, "revenue"] * (1 - rate[orders]), 2)
    assert np.abs(tx.loc[orders, "cogs"] - expected).max() < 0.006
    # a refund takes back its share of the order's revenue and of its cost, each to the penny
    o = tx[orders].set_index("order_id").loc[tx.loc[~orders, "order_id"]]
    share = tx.loc[~orders, "revenue"].to_numpy() / o["revenue"].to_numpy()
    assert np.abs(tx.loc[~orders, "cogs"].to_numpy() - share * o["cogs"].to_numpy()).max() < 0.011
    assert ((share < 0) & (share >= -1)).all() and (share == -1).mean() > 0.6  # 70 % full refunds
    svc = truth["service"]
    fee_due = orders & tx["delivered"] & (tx["revenue"] < svc["free_delivery_from"]) & (seg != "Key account")
    assert (tx["delivery_fee"] == np.where(fee_due, svc["delivery_fee"], 0.0)).all()
    o = tx[orders]
    delivered = o.groupby("channel")["delivered"].mean()
    assert delivered["online"] == 1 and delivered["phone"] == 1 and 0.05 < delivered["store"] < 0.11
    returned = tx.groupby("order_id")["returned"].any()
    by_channel = returned.groupby(o.set_index("order_id")["channel"]).mean()
    assert by_channel["online"] > by_channel["phone"] > by_channel["store"]


def test_segments_differ_as_stated(tx, customers, summary):
    seg = customers.set_index("customer_id")["segment"]
    o = tx[~tx["returned"]]
    aov = o.groupby(o["customer_id"].map(seg))["revenue"].mean()
    per_customer = summary["orders"].groupby(seg).mean()
    assert aov["Key account"] > aov["Small business"] > aov["Retail"]
    assert per_customer["Key account"] > per_customer["Small business"] > per_customer["Retail"]
    pref = customers.groupby("segment")["channel_preference"].value_counts(normalize=True).unstack(fill_value=0)
    assert pref.loc["Key account", "store"] == 0 and pref.loc["Retail", "store"] > 0.4


def _bgnbd_ll(params, x, t_x, T) -> np.ndarray:
    """BG/NBD log-likelihood per customer (Fader, Hardie & Lee 2005, §3), in log-sum-exp form."""
    r, alpha, a, b = params
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    l1 = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    l2 = np.where(x > 0, special.betaln(a + 1, b + np.maximum(x, 1) - 1) - special.betaln(a, b)
                  - (r + x) * np.log(alpha + t_x), -np.inf)
    return common + np.logaddexp(l1, l2)


def _gg_ll(params, x, m) -> np.ndarray:
    """Gamma-Gamma log-likelihood of the mean spend m of x transactions (Fader & Hardie 2013, "The Gamma-Gamma
    model of monetary value", brucehardie.com note 025)."""
    p, q, g = params
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(g)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(g + m * x))


def _fit(loglik, k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """ML on the log scale from 1s; standard errors of the log-parameters from a central-difference Hessian."""
    f = lambda th: -loglik(np.exp(th))  # noqa: E731
    res = optimize.minimize(f, np.zeros(k), method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-9})
    h, eye = 1e-4, np.eye(k) * 1e-4
    hess = np.array([[(f(res.x + eye[i] + eye[j]) - f(res.x + eye[i] - eye[j]) - f(res.x - eye[i] + eye[j])
                       + f(res.x - eye[i] - eye[j])) / (4 * h * h) for j in range(k)] for i in range(k)])
    return res.x, np.sqrt(np.diag(np.linalg.inv(hess))), -res.fun


def test_likelihoods_reproduce_the_published_cdnow_estimates():
    if not CDNOW:
        pytest.skip("no CDNOW copy")
    s = pd.read_csv(SAMPLE / "cdnow" / "cdnow_customers_summary.csv")
    x, t_x, T = s["frequency"].to_numpy(float), s["recency"].to_numpy(), s["T"].to_numpy()
    assert _bgnbd_ll((0.243, 4.414, 0.793, 2.426), x, t_x, T).sum() == pytest.approx(-9582.4, abs=0.5)
    th, _, ll = _fit(lambda p: _bgnbd_ll(p, x, t_x, T).sum(), 4)
    assert np.exp(th) == pytest.approx([0.243, 4.414, 0.793, 2.426], abs=2e-3)
    assert ll == pytest.approx(-9582.43, abs=0.01)
    g = pd.read_csv(SAMPLE / "cdnow" / "cdnow_customers_summary_with_transactions.csv").query("x > 0")
    th, _, _ = _fit(lambda p: _gg_ll(p, g["x"].to_numpy(float), g["zbar"].to_numpy()).sum(), 3)
    assert np.exp(th) == pytest.approx([6.25, 3.74, 15.44], abs=0.01)


def test_bgnbd_fit_recovers_the_generating_parameters(summary, truth):
    t = truth["purchases"]
    x, t_x, T = summary["x"].to_numpy(float), summary["t_x"].to_numpy(), summary["T"].to_numpy()
    th, se, ll = _fit(lambda p: _bgnbd_ll(p, x, t_x, T).sum(), 4)
    true = np.array([t["r"], t["alpha"], t["a"], t["b"]])
    z = (th - np.log(true)) / se
    assert np.abs(z).max() < 2, dict(zip("r alpha a b".split(), np.exp(th).round(3)))
    assert np.abs(np.exp(th) / true - 1).max() < 0.10  # r 0.255, alpha 4.06, a 0.737, b 2.96
    lr = 2 * (ll - _bgnbd_ll(true, x, t_x, T).sum())
    assert stats.chi2.sf(lr, 4) > 0.5  # the truth is well inside the likelihood-ratio region


def test_gamma_gamma_fit_recovers_the_generating_parameters(summary, truth):
    rep = summary[summary["x"] > 0]
    x, m = rep["x"].to_numpy(float), rep["zbar"].to_numpy()
    th, se, ll = _fit(lambda p: _gg_ll(p, x, m).sum(), 3)
    true = np.array([truth["spend"][k] for k in ("p", "q", "gamma")])
    assert np.abs((th - np.log(true)) / se).max() < 2  # p 3.44, q 2.27, gamma 25.5
    lr = 2 * (ll - _gg_ll(true, x, m).sum())
    assert stats.chi2.sf(lr, 3) > 0.2


def test_bgnbd_closed_forms_match_what_was_realised(summary, truth):
    """P(X(T) = 0) and E[X(T)] (Fader, Hardie & Lee 2005, §3) against the one-off customers (2,377; expected
    2,422.6, sd 35.2) and the repeat orders (10,938; expected 10,766); the sum of P(alive | x, t_x, T) (Fader,
    Hardie & Lee 2008, "Computing P(alive) using the BG/NBD model", brucehardie.com note 021) against the true
    number alive (3,691; expected 3,723.8, sd 20.2)."""
    t = truth["purchases"]
    r, alpha, a, b = t["r"], t["alpha"], t["a"], t["b"]
    T = summary["T"].to_numpy()
    p0 = (alpha / (alpha + T)) ** r
    one_off = (summary["orders"] == 1).to_numpy()
    assert abs(one_off.sum() - p0.sum()) < 3 * np.sqrt((p0 * (1 - p0)).sum())
    assert (summary["x"] == 0).mean() == pytest.approx(t["realised"]["one_off_share"], abs=1e-4)
    ex = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + T)) ** r * special.hyp2f1(r, b, a + b - 1, T / (alpha + T)))
    repeat_orders = (summary["orders"] - 1).sum()
    assert repeat_orders == pytest.approx(ex.sum(), rel=0.06)
    x, t_x = summary["x"].to_numpy(float), summary["t_x"].to_numpy()
    odds = np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    p_alive = 1 / (1 + odds)
    alive = t["realised"]["customers_alive_at_end"]
    assert abs(alive - p_alive.sum()) < 3 * np.sqrt((p_alive * (1 - p_alive)).sum())
    tc = pd.read_csv(SAMPLE / "truth_customers.csv", dtype={"customer_id": str}).set_index("customer_id")
    assert tc["alive_at_end"].sum() == alive == 3691
    pa = pd.Series(p_alive, index=summary.index).reindex(tc.index)
    assert pa[tc["alive_at_end"]].mean() > pa[~tc["alive_at_end"]].mean() + 0.2
    assert tc["purchase_rate_per_week"].mean() == pytest.approx(r / alpha, rel=0.1)
    assert tc["dropout_probability"].mean() == pytest.approx(a / (a + b), rel=0.05)


def _pnl(tx: pd.DataFrame, act: pd.DataFrame, customers: pd.DataFrame, cm: dict, fees: bool = True) -> pd.Series:
    """A plain customer P&L: revenue - cogs (+ delivery fees) - rate x events - pool rate x minutes - fixed."""
    rates = {k: v["rate"] for k, v in cm["activities"].items() if "rate" in v}
    orders = tx[~tx["returned"]]
    ids = customers["customer_id"]
    n_orders = orders.groupby("customer_id")["order_id"].nunique().reindex(ids, fill_value=0)
    n_deliv = orders[orders["delivered"]].groupby("customer_id")["order_id"].nunique().reindex(ids, fill_value=0)
    n_ret = tx[tx["returned"]].groupby("customer_id")["order_id"].nunique().reindex(ids, fill_value=0)
    money = tx.groupby("customer_id")[["revenue", "cogs", "delivery_fee"]].sum().reindex(ids, fill_value=0.0)
    unit = act["activity"].map({k: v["minutes"] for k, v in cm["activities"].items() if "minutes" in v})
    pool = act["activity"].map({k: v.get("pool") for k, v in cm["activities"].items()})
    per_min = pool.map({k: v["cost"] / v["practical_minutes"] for k, v in cm["pools"].items()})
    time_cost = (act["minutes"].fillna(unit * act["count"]) * per_min).groupby(act["customer_id"]).sum()
    seg = customers.set_index("customer_id")["segment"]
    fixed = seg.map(pd.Series(cm["fixed"]) / seg.value_counts()).fillna(0.0)
    profit = (money["revenue"] - money["cogs"] - rates["order"] * n_orders - rates["delivery"] * n_deliv
              - rates["return"] * n_ret - time_cost.reindex(ids, fill_value=0.0) - fixed.reindex(ids))
    return profit + money["delivery_fee"] if fees else profit


def _top_share(profit: pd.Series, share: float = 0.2) -> float:
    p = np.sort(profit.to_numpy())[::-1]
    return p[: int(len(p) * share)].sum() / p.sum()


def test_whale_curve_of_a_plain_pandas_pnl(tx, act, customers, cost_model, truth):
    profit = _pnl(tx, act, customers, cost_model)
    w = truth["ledger"]["whale"]
    assert profit.sum() == pytest.approx(w["total"], abs=0.01) and profit.sum() > 0
    assert _top_share(profit) == pytest.approx(w["top_20_percent_share"], abs=1e-4)
    assert _top_share(profit) > 1.2  # 129 %: the top fifth earns more than the whole profit
    assert (profit.round(2) < 0).sum() == w["loss_making_customers"] == 1749  # one customer breaks even at 0.00
    ranked = np.sort(profit.to_numpy())[::-1]
    cum = np.cumsum(ranked) / ranked.sum()
    assert cum.max() == pytest.approx(w["peak_share"], abs=1e-4) and cum.max() > 1.5
    assert ranked[-500:].sum() / ranked.sum() < -0.4  # the bottom tenth loses over 40 % of the profit
    assert _top_share(_pnl(tx, act, customers, cost_model, fees=False)) == pytest.approx(
        truth["ledger"]["whale_without_delivery_fees"]["top_20_percent_share"], abs=1e-4)
    # the largest customers are both the most and among the least profitable (Kaplan & Narayanan 2001)
    seg = customers.set_index("customer_id")["segment"]
    assert seg[profit.idxmax()] == "Key account"
    worst = profit.nsmallest(50).index
    assert (seg[worst] == "Key account").sum() >= 3
    ka = profit[seg == "Key account"]
    assert (ka < 0).sum() == truth["ledger"]["by_segment"]["Key account"]["loss_making"] == 20


def test_pool_minutes_and_utilisation(act, cost_model, truth):
    pools = truth["cost_model"]["pools"]
    unit = act["activity"].map({k: v["minutes"] for k, v in cost_model["activities"].items() if "minutes" in v})
    minutes = act["minutes"].fillna(unit * act["count"]).groupby(act["activity"]).sum()
    for activity, pool in (("support_contact", "service_desk"), ("visit", "field_team")):
        cfg = cost_model["pools"][pool]
        assert minutes[activity] == pools[pool]["attributed_minutes"]
        assert minutes[activity] / cfg["practical_minutes"] == pytest.approx(pools[pool]["attributed_utilisation"],
                                                                               abs=1e-4)
        assert 0.7 < pools[pool]["true_utilisation"] < 0.85
        rate = cfg["cost"] / cfg["practical_minutes"]
        assert cfg["cost"] - rate * minutes[activity] == pytest.approx(pools[pool]["unused_cost"], abs=0.01)
    # e-mails' hidden true minutes average the stated standard time (9 min, Gamma shape 2.5: sd 5.7 per contact)
    contacts = act[act["activity"] == "support_contact"]
    hidden = pools["service_desk"]["true_minutes_used"] - contacts["minutes"].sum()
    n_mail = contacts.loc[contacts["minutes"].isna(), "count"].sum()
    assert abs(hidden / n_mail - 9) < 3 * 9 / np.sqrt(2.5) / np.sqrt(n_mail)


def test_module_docstring_quotes_the_realised_figures(truth):
    doc = re.sub(r"\s+", " ", sample_module.__doc__)
    r = truth["purchases"]["realised"]
    w = truth["ledger"]["whale"]
    for figure in (f"{r['orders']:,} orders", f"{r['customers_alive_at_end']:,} of 5,000 alive",
                   f"£{w['total']:,.0f}", f"{w['top_20_percent_share']:.0%}".replace("%", " %"),
                   f"{w['loss_making_customers']:,} customers lose money"):
        assert figure in doc, figure
