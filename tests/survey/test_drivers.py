"""Key drivers (Shapley/LMG, Johnson) and the importance-performance grid.

Published references: R relaimpo's lmg on the swiss data (Grömping 2006, JSS 17(1), the package's own
example) and R rwa's relative weights on mtcars (the rwa README example). Peer libraries run side by side:
statsmodels OLS/WLS for brute-force permutation averages. Known truth: orthogonal drivers, simulated data.
Fixture sources: tests/fixtures/drivers/README.md.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cfresearch.survey.drivers import (
    DriverResult,
    all_subset_r2,
    importance_performance,
    johnson_weights,
    key_drivers,
    shapley_values,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "drivers"
SWISS_X = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]


@pytest.fixture(scope="module")
def swiss() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "swiss.csv")


@pytest.fixture(scope="module")
def mtcars() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "mtcars.csv")


def _permutation_average(y: np.ndarray, x: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Brute force: R² gain of each driver averaged over all p! orders, every R² from a statsmodels fit."""
    p = x.shape[1]
    r2 = {(): 0.0}
    for k in range(1, p + 1):
        for s in itertools.combinations(range(p), k):
            exog = sm.add_constant(x[:, s])
            fit = sm.OLS(y, exog).fit() if w is None else sm.WLS(y, exog, weights=w).fit()
            r2[s] = fit.rsquared
    gains = np.zeros(p)
    for order in itertools.permutations(range(p)):
        for i, j in enumerate(order):
            gains[j] += r2[tuple(sorted(order[: i + 1]))] - r2[tuple(sorted(order[:i]))]
    return gains / math.factorial(p)


# ─── Shapley / LMG against published numbers ────────────────────────────────────────────────────────


def test_lmg_matches_relaimpo_on_swiss(swiss):
    # R relaimpo: calc.relimp(swiss, type = "lmg") (Fertility on the other five; the example of
    # Grömping 2006, JSS 17(1)): "Proportion of variance explained by model: 70.67%", lmg printed as
    # Agriculture 0.05709122, Examination 0.17117303, Education 0.26013468, Catholic 0.10557015,
    # Infant.Mortality 0.11276592.
    res = key_drivers(swiss, "Fertility", SWISS_X)
    assert res.r2 == pytest.approx(0.7067, abs=5e-5)
    lmg = [0.05709122, 0.17117303, 0.26013468, 0.10557015, 0.11276592]
    assert res.importance == pytest.approx(lmg, abs=5e-9)
    assert res.importance.sum() == pytest.approx(res.r2, abs=1e-13)  # Shapley efficiency
    assert res.n == 47 and res.n_dropped == 0
    # Standardised betas b·sd(x)/sd(y) from the lm coefficients, fitted side by side with statsmodels OLS;
    # summary(lm(Fertility ~ ., swiss)) in R prints -0.17211, -0.25801, -0.87094, 0.10412, 1.07705.
    fit = sm.OLS(swiss["Fertility"], sm.add_constant(swiss[SWISS_X])).fit()
    assert fit.params[SWISS_X].to_numpy() == pytest.approx([-0.17211, -0.25801, -0.87094, 0.10412, 1.07705],
                                                           abs=5e-6)
    std_beta = fit.params[SWISS_X] * swiss[SWISS_X].std() / swiss["Fertility"].std()
    assert res.beta == pytest.approx(std_beta.to_numpy(), abs=1e-12)
    assert res.r2 == pytest.approx(fit.rsquared, abs=1e-13)


def test_weighted_lmg_matches_relaimpo_and_a_wls_brute_force(swiss):
    # relaimpo 2.2-7 (R 4.4): calc.relimp(lm(Fertility ~ ., swiss, weights = w), type = "lmg") with
    # w = 1 + (1:47 %% 3): R² 0.694332891423, lmg 0.0518208063017, 0.1549452302086, 0.2559770835712,
    # 0.1019573530969, 0.1296324182449 (values as recorded in the siamang project's test suite).
    w = 1 + np.arange(1, 48) % 3
    res = key_drivers(swiss.assign(w=w), "Fertility", SWISS_X, weights="w")
    assert res.r2 == pytest.approx(0.694332891423, abs=1e-11)
    lmg = [0.0518208063017, 0.1549452302086, 0.2559770835712, 0.1019573530969, 0.1296324182449]
    assert res.importance == pytest.approx(lmg, abs=1e-12)
    # Side by side: every subset R² from statsmodels WLS, averaged over all 120 orders.
    brute = _permutation_average(swiss["Fertility"].to_numpy(), swiss[SWISS_X].to_numpy(), w)
    assert res.importance == pytest.approx(brute, abs=1e-12)
    assert res.effective_n == pytest.approx(w.sum() ** 2 / (w**2).sum())
    # Equal weights are no weights; an array works like a column name.
    same = key_drivers(swiss, "Fertility", SWISS_X, weights=np.full(47, 2.5))
    assert same.importance == pytest.approx(key_drivers(swiss, "Fertility", SWISS_X).importance, abs=1e-14)


# ─── Johnson's relative weights against published numbers ────────────────────────────────────────────


def test_johnson_matches_rwa_readme_on_mtcars(mtcars):
    # R rwa README (martinctc/rwa): rwa(mtcars, outcome = "mpg", predictors = c("cyl","disp","hp","gear")):
    # rsquare 0.7791896; Raw.RelWeight 0.2284797, 0.2221469, 0.2321744, 0.0963886;
    # Rescaled.RelWeight 29.32274, 28.50999, 29.79691, 12.37037.
    res = key_drivers(mtcars, "mpg", ["cyl", "disp", "hp", "gear"], method="johnson")
    assert res.r2 == pytest.approx(0.7791896, abs=5e-8)
    assert res.importance == pytest.approx([0.2284797, 0.2221469, 0.2321744, 0.0963886], abs=5e-8)
    assert res.share_pct == pytest.approx([29.32274, 28.50999, 29.79691, 12.37037], abs=5e-6)
    assert res.to_frame()["driver"].tolist() == ["hp", "cyl", "disp", "gear"]  # rwa's sorted order


def test_johnson_matches_relativeimp_on_swiss(swiss):
    # relativeImp 0.0.2 (PyPI), relativeImp(swiss, "Fertility", [...]) run side by side in a scratch
    # environment while writing this test: rawRelaImpt 0.048416895812, 0.154708249806, 0.271964104646,
    # 0.114680029948, 0.116965721381.
    res = key_drivers(swiss, "Fertility", SWISS_X, method="both")
    expected = [0.048416895812, 0.154708249806, 0.271964104646, 0.114680029948, 0.116965721381]
    assert res.johnson_weight == pytest.approx(expected, abs=1e-11)
    assert res.johnson_weight.sum() == pytest.approx(res.r2, abs=1e-13)
    # Johnson approximates LMG: within 0.02 of R² per driver here (Johnson 2000; LeBreton et al. 2004).
    assert np.abs(res.johnson_weight - res.importance).max() < 0.02
    assert list(np.argsort(-res.johnson_weight)[:2]) == list(np.argsort(-res.importance)[:2])


def test_two_drivers_by_hand_and_orthogonal_drivers():
    # r12 = 0.5, ry1 = 0.6, ry2 = 0.4: R² = (0.36 + 0.16 - 2*0.6*0.4*0.5) / (1 - 0.25) = 0.28 / 0.75.
    # LMG of driver 1 = (0.36 + (R² - 0.16)) / 2; with two drivers Johnson's weights are the same.
    rxx, rxy = np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([0.6, 0.4])
    r2 = 0.28 / 0.75
    expected = [(0.36 + r2 - 0.16) / 2, (0.16 + r2 - 0.36) / 2]
    assert shapley_values(rxx, rxy) == pytest.approx(expected, abs=1e-15)
    assert johnson_weights(rxx, rxy) == pytest.approx(expected, abs=1e-15)
    assert all_subset_r2(rxx, rxy) == pytest.approx([0.0, 0.36, 0.16, r2], abs=1e-15)
    # Uncorrelated drivers: each one's share is exactly its squared correlation.
    assert shapley_values(np.eye(3), [0.5, 0.3, 0.1]) == pytest.approx([0.25, 0.09, 0.01], abs=1e-15)
    assert johnson_weights(np.eye(3), [0.5, 0.3, 0.1]) == pytest.approx([0.25, 0.09, 0.01], abs=1e-15)


# ─── exactness ───────────────────────────────────────────────────────────────────────────────────────


def test_exact_against_a_brute_force_permutation_average_p5():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5))  # correlated drivers
    y = x @ [0.5, -0.2, 0.3, 0.0, 0.1] + rng.normal(size=300)
    frame = pd.DataFrame(x, columns=list("abcde")).assign(y=y)
    res = key_drivers(frame, "y", list("abcde"))
    assert res.importance == pytest.approx(_permutation_average(y, x), abs=1e-12)


def test_exact_on_15_drivers():
    rng = np.random.default_rng(15)
    p = 15
    x = rng.normal(size=(2000, p)) + 0.6 * rng.normal(size=(2000, 1))  # one common factor: all correlated
    y = x @ np.linspace(1.0, 0.0, p) + rng.normal(size=2000)
    c = np.corrcoef(np.column_stack([y, x]).T)
    rxx, rxy = c[1:, 1:], c[1:, 0]
    # Every one of the 32,768 subset R² against a separate batched solve r_S' R_SS^-1 r_S.
    v = all_subset_r2(rxx, rxy)
    masks = np.arange(2**p)
    bits = (masks[:, None] >> np.arange(p)) & 1
    size = bits.sum(axis=1)
    for k in range(1, p + 1):
        idx = np.array([np.flatnonzero(b) for b in bits[size == k]])
        r_s = rxy[idx]
        r_ss = rxx[idx[:, :, None], idx[:, None, :]]
        direct = np.einsum("bi,bi->b", r_s, np.linalg.solve(r_ss, r_s[..., None])[..., 0])
        assert v[size == k] == pytest.approx(direct, abs=1e-12)
    phi = shapley_values(rxx, rxy)
    assert phi.sum() == pytest.approx(v[-1], abs=1e-12)
    assert np.all(phi > 0)
    # Symmetry: two drivers with identical correlations get identical shares.
    twin = np.eye(3) * 0.5 + 0.5 * np.array([[1, 0.4, 0.2], [0.4, 1, 0.2], [0.2, 0.2, 1]])
    s = shapley_values(twin, [0.5, 0.5, 0.3])
    assert s[0] == pytest.approx(s[1], abs=1e-15)
    # Orthogonal drivers (exactly, by QR): Shapley share = squared correlation, at p = 15.
    q, _ = np.linalg.qr(rng.normal(size=(500, p)) - rng.normal(size=(500, p)).mean(axis=0))
    q -= q.mean(axis=0)
    q, _ = np.linalg.qr(q)
    yq = q @ rng.normal(size=p) + 0.05 * rng.normal(size=500)
    frame = pd.DataFrame(q, columns=[f"x{i}" for i in range(p)]).assign(y=yq)
    res = key_drivers(frame, "y", [f"x{i}" for i in range(p)], method="both")
    assert res.importance == pytest.approx(res.r**2, abs=1e-10)
    assert res.johnson_weight == pytest.approx(res.r**2, abs=1e-10)


def test_ranking_of_known_true_weights_is_recovered():
    rng = np.random.default_rng(7)
    n, true = 20000, np.array([0.1, 0.5, 0.3, 0.0, 0.7])
    x = rng.normal(size=(n, 5))
    frame = pd.DataFrame(x, columns=["speed", "price", "staff", "colour", "quality"])
    frame["overall"] = x @ true + rng.normal(size=n)
    res = key_drivers(frame, "overall", list(frame.columns[:5]), method="both", bootstrap=100, seed=3)
    out = res.to_frame()
    assert out["driver"].tolist() == ["quality", "price", "staff", "speed", "colour"]
    # Independent drivers: the true share of driver j is b_j² / Σ b² (of the explained part).
    truth = 100 * true**2 / (true**2).sum()
    assert res.share_pct == pytest.approx(truth, abs=1.0)
    inside = (res.ci_low <= truth) & (truth <= res.ci_high)
    assert inside.sum() >= 4  # 95% intervals: at most one of five misses by chance
    assert np.all(res.ci_low <= res.share_pct) and np.all(res.share_pct <= res.ci_high)


def test_bootstrap_is_reproducible_and_summarised(swiss):
    a = key_drivers(swiss, "Fertility", SWISS_X, bootstrap=60, seed=11)
    b = key_drivers(swiss, "Fertility", SWISS_X, bootstrap=60, seed=11)
    assert np.array_equal(a.ci_low, b.ci_low) and np.array_equal(a.ci_high, b.ci_high)
    assert not np.array_equal(a.ci_low, key_drivers(swiss, "Fertility", SWISS_X, bootstrap=60, seed=12).ci_low)
    assert np.all(a.ci_low < a.ci_high)
    text = a.summary()
    assert "R² = 0.707" in text and "60 resamples" in text and "Education" in text.splitlines()[3]


def test_listwise_deletion_labels_and_frame(swiss):
    holes = swiss.copy()
    holes.loc[[0, 5], "Catholic"] = np.nan
    holes.loc[9, "Fertility"] = np.nan
    res = key_drivers(holes, "Fertility", dict(zip(SWISS_X, ["Farming", "Exam", "School", "Cath.", "Infant"])))
    complete = key_drivers(holes.dropna(), "Fertility", SWISS_X)
    assert res.n == 44 and res.n_dropped == 3
    assert res.importance == pytest.approx(complete.importance, abs=1e-14)
    out = res.to_frame()
    assert list(out.columns) == ["driver", "label", "importance", "share_pct", "rank", "ci_low", "ci_high",
                                 "johnson_weight", "beta", "r"]
    assert out["rank"].tolist() == [1, 2, 3, 4, 5]
    assert out.loc[0, "label"] == "School" and out["share_pct"].sum() == pytest.approx(100)
    assert out["ci_low"].isna().all() and out["johnson_weight"].isna().all()  # no bootstrap, Shapley only
    assert "3 dropped (listwise)" in res.summary()


def test_bad_input_is_refused_with_the_column_named(swiss):
    with pytest.raises(ValueError, match="no column 'Wealth' in the data"):
        key_drivers(swiss, "Fertility", ["Agriculture", "Wealth"])
    with pytest.raises(ValueError, match="column 'province' must be numeric"):
        key_drivers(swiss, "Fertility", ["Agriculture", "province"])
    with pytest.raises(ValueError, match=r"\['flat'\] are constant"):
        key_drivers(swiss.assign(flat=3.0), "Fertility", ["Agriculture", "flat"])
    both = swiss.assign(total=swiss["Agriculture"] + swiss["Education"])
    with pytest.raises(ValueError, match=r"drivers \['Agriculture', 'Education', 'total'\] are collinear"):
        key_drivers(both, "Fertility", ["Agriculture", "Education", "total"])
    with pytest.raises(ValueError, match="listed twice"):
        key_drivers(swiss, "Fertility", ["Agriculture", "Agriculture"])
    with pytest.raises(ValueError, match="method must be one of"):
        key_drivers(swiss, "Fertility", SWISS_X, method="dominance")
    with pytest.raises(ValueError, match="need at least 7"):
        key_drivers(swiss.head(6), "Fertility", SWISS_X)
    with pytest.raises(ValueError, match="weights 'w' must be finite and >= 0"):
        key_drivers(swiss.assign(w=-1.0), "Fertility", SWISS_X, weights="w")
    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 22)), columns=[f"x{i}" for i in range(22)])
    with pytest.raises(ValueError, match="exact Shapley needs 2\\^21 .* use method='johnson'"):
        key_drivers(wide, "x0", [f"x{i}" for i in range(1, 22)])
    assert key_drivers(wide, "x0", [f"x{i}" for i in range(1, 22)], method="johnson").n == 50


# ─── importance-performance grid ─────────────────────────────────────────────────────────────────────


def test_grid_quadrants_and_priority_rule():
    imp = pd.Series({"price": 40.0, "staff": 30.0, "speed": 20.0, "colour": 10.0})
    perf = pd.Series({"price": 6.0, "staff": 8.5, "speed": 7.0, "colour": 9.0})
    grid = importance_performance(imp, perf, labels={"price": "Value for money"})
    # Means: importance 25, performance 7.625.
    assert grid.attrs == {"importance_cut": 25.0, "performance_cut": 7.625}
    quad = dict(zip(grid["driver"], grid["quadrant"]))
    assert quad == {"price": "Concentrate here", "staff": "Keep up the good work", "speed": "Low priority",
                    "colour": "Possible overkill"}
    # gap to the best (9.0): price 3.0 -> 120, staff 0.5 -> 15, speed 2.0 -> 40, colour 0 -> 0.
    assert grid["driver"].tolist() == ["price", "speed", "staff", "colour"]
    assert grid["priority_score"].tolist() == pytest.approx([120.0, 40.0, 15.0, 0.0])
    assert grid["priority"].tolist() == [1, 2, 3, 4]
    assert grid.loc[0, "label"] == "Value for money"
    # Median split and a fixed scale midpoint.
    med = importance_performance(imp, perf, importance_split="median", performance_split=8.0)
    assert med.attrs == {"importance_cut": 25.0, "performance_cut": 8.0}
    assert dict(zip(med["driver"], med["quadrant"]))["speed"] == "Low priority"


def test_grid_from_a_driver_result_and_weighted_ratings(swiss):
    res = key_drivers(swiss, "Fertility", SWISS_X)
    w = np.linspace(0.5, 2.0, 47)
    ratings = swiss.assign(w=w)
    ratings.loc[3, "Education"] = np.nan  # not rated: left out of that mean only
    grid = importance_performance(res, ratings, weights="w").set_index("driver")
    assert grid.loc["Education", "importance"] == pytest.approx(res.share_pct[2])
    keep = ratings["Education"].notna()
    assert grid.loc["Education", "performance"] == pytest.approx(
        np.average(ratings.loc[keep, "Education"], weights=w[keep]))
    assert grid.loc["Catholic", "performance"] == pytest.approx(np.average(swiss["Catholic"], weights=w))
    assert len(grid) == 5 and set(grid["priority"]) == {1, 2, 3, 4, 5}


def test_grid_bad_input():
    imp = pd.Series({"a": 1.0, "b": 2.0})
    with pytest.raises(ValueError, match=r"no value for driver\(s\) \['b'\]"):
        importance_performance(imp, pd.Series({"a": 3.0}))
    with pytest.raises(ValueError, match="performance_split must be"):
        importance_performance(imp, pd.Series({"a": 3.0, "b": 4.0}), performance_split="mode")
    with pytest.raises(ValueError, match="importance must be a pandas Series"):
        importance_performance({"a": 1.0}, pd.Series({"a": 3.0}))
    with pytest.raises(ValueError, match=r"performance is missing .* \['b'\]"):
        importance_performance(imp, pd.DataFrame({"a": [1.0, 2.0], "b": [np.nan, np.nan]}))


def test_result_is_a_small_dataclass(swiss):
    res = key_drivers(swiss, "Fertility", SWISS_X, method="johnson")
    assert isinstance(res, DriverResult) and res.method == "johnson"
    assert res.importance == pytest.approx(res.johnson_weight)
    assert "Johnson's relative weights" in res.summary()


def test_rao_wu_bootstrap_resamples_psus_within_strata():
    """Rao & Wu (1988) with n_h − 1 draws: a stratum of two PSUs keeps one of them at twice its weight; every
    replicate keeps each stratum's expected total; the bootstrap variance of a weighted mean approaches its
    Taylor-linearised variance."""
    from cfresearch.survey import survey_design, weighted_estimate
    from cfresearch.survey.drivers import _rao_wu

    rng = np.random.default_rng(8)
    n = 2000
    stratum = rng.integers(0, 5, n)
    psu = stratum * 100 + rng.integers(0, np.where(stratum == 0, 2, 12))
    d = pd.DataFrame({"h": stratum, "psu": psu, "w": rng.uniform(0.5, 2, n),
                      "y": rng.normal(size=n) + (psu % 7) * 0.3})
    design = survey_design(d, weights="w", strata="h", clusters="psu")
    draw = _rao_wu(design, np.ones(n, dtype=bool))
    gen = np.random.default_rng(0)
    means, two = [], []
    for _ in range(3000):
        m = draw(gen)
        two.append(sorted(set(np.round(m[stratum == 0], 12))))
        wb = d["w"].to_numpy() * m
        means.append(wb @ d["y"].to_numpy() / wb.sum())
    assert all(v in ([0.0, 2.0], [2.0], [0.0]) for v in two) and any(v == [0.0, 2.0] for v in two)
    taylor = weighted_estimate(d, "y", design=design)["se"][0]
    assert np.std(means) == pytest.approx(taylor, rel=0.08)
    res = key_drivers(d.assign(x1=rng.normal(size=n), x2=rng.normal(size=n)), "y", ["x1", "x2"], design=design,
                      bootstrap=20)
    assert res.resampling.startswith("PSUs within strata") and "Rao-Wu" in res.summary()
