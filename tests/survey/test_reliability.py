"""Scale reliability: Cronbach's alpha, item analysis, omega total, reliability tables and scale scores.

Published references: pingouin's documented values for its bundled data sets (pingouin 0.7.0
``cronbach_alpha`` docstring, computed there to match R ``psych::alpha``), with pingouin run side by side;
R ``psych::alpha`` output printed for the bfi agreeableness items and for psych's own congeneric example.
Omega total: closed forms (exact population correlation matrices, the just-identified 3-item model,
tau-equivalence) and a large simulated congeneric sample. Fixture sources: tests/fixtures/reliability/README.md.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import yaml

from cfresearch.survey.reliability import (
    AlphaResult,
    OmegaResult,
    cronbach_alpha,
    feldt_ci,
    omega,
    reliability_table,
    scale_scores,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reliability"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "survey"
BFI_A = ["A1", "A2", "A3", "A4", "A5"]

# psych::alpha output for bfi A1-A5 with A1 reversed (7 - A1), printed by current psych (R 4.x, 2025) in
# https://github.com/CaseyGio/Psyc6263/blob/9e857e3c112a133e7ff96d97775026bfc5c1f42a/Wk05/Wk5_Reliability_demonstration.ipynb
# ("alpha(AgreeItems)", and describe(bfiClean) for the 7-digit means and sds).
PSYCH_BFI = {
    "raw_alpha": 0.70, "std_alpha": 0.71, "g6": 0.68, "average_r": 0.33, "feldt": (0.69, 0.72),
    "alpha_drop": [0.72, 0.62, 0.60, 0.69, 0.64],
    "std_alpha_drop_3dp": [0.725, 0.625, 0.613, 0.693, 0.655],  # AlphaOutput$alpha.drop$std.alpha, round(3)
    "n": [2784, 2773, 2774, 2781, 2784],
    "raw_r": [0.58, 0.73, 0.76, 0.65, 0.69],
    "std_r": [0.57, 0.75, 0.77, 0.63, 0.70],
    "r_cor": [0.38, 0.67, 0.71, 0.47, 0.59],
    "r_drop": [0.31, 0.56, 0.59, 0.39, 0.49],
    "mean": [4.586566, 4.802380, 4.603821, 4.699748, 4.560345],
    "sd": [1.4077372, 1.1720199, 1.3018336, 1.4796327, 1.2585121],
}


@pytest.fixture(scope="module")
def wide_missing() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "cronbach_wide_missing.csv")


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "bfi_agreeableness.csv")


def _quiet(fn, *args, **kwargs):
    """Call without the item warnings (pingouin's example data have items that correlate negatively)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


def _exact_sample(corr: np.ndarray, n: int, seed: int = 0) -> pd.DataFrame:
    """Data whose sample correlation (and covariance) matrix is exactly ``corr``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, corr.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    x = z @ np.linalg.cholesky(corr).T
    return pd.DataFrame(x, columns=[f"V{i + 1}" for i in range(corr.shape[0])])


def _one_factor_corr(loadings) -> np.ndarray:
    lam = np.asarray(loadings, dtype=float)
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1.0)
    return r


# ─── alpha against pingouin's documented values (and pingouin itself) ─────────────────────────────────


def test_pairwise_alpha_matches_pingouin_docstring(wide_missing):
    # pingouin 0.7.0 docstring: pg.cronbach_alpha(data=data) -> (0.732660835214447, array([0.435, 0.909]))
    # ("In R: psych:alpha(data, use='pairwise')").
    res = _quiet(cronbach_alpha, wide_missing)
    assert res.alpha == pytest.approx(0.732660835214447, abs=1e-13)
    assert np.round([res.ci_low, res.ci_high], 3).tolist() == [0.435, 0.909]
    assert res.n == 12 and res.k == 11 and res.nan_policy == "pairwise"
    alpha_pg, ci_pg = pg.cronbach_alpha(data=wide_missing)  # side by side
    assert res.alpha == pytest.approx(alpha_pg, abs=1e-13)
    assert np.round([res.ci_low, res.ci_high], 3).tolist() == ci_pg.tolist()


def test_listwise_alpha_matches_pingouin_docstring_and_uses_the_complete_rows(wide_missing):
    # pingouin 0.7.0 docstring: nan_policy="listwise" -> (0.8016949152542373, array([0.581, 0.933]))
    # ("In R: psych:alpha(data, use='complete.obs')").
    res = _quiet(cronbach_alpha, wide_missing, nan_policy="listwise")
    assert res.alpha == pytest.approx(0.8016949152542373, abs=1e-13)
    assert res.alpha == pytest.approx(pg.cronbach_alpha(data=wide_missing, nan_policy="listwise")[0], abs=1e-13)
    # pingouin (like psych) keeps n = 12 rows in Feldt's interval after deleting 3 of them; the documented
    # interval is reproduced with that n, while ours uses the 9 respondents actually analysed.
    assert np.round(feldt_ci(res.alpha, 12, 11), 3).tolist() == [0.581, 0.933]
    assert res.n == 9
    assert (res.ci_low, res.ci_high) == pytest.approx(feldt_ci(res.alpha, 9, 11), abs=1e-15)
    assert res.ci_low < 0.581 and res.ci_high > 0.933  # fewer respondents, wider interval


def test_complete_data_matches_pingouin_docstring(wide_missing):
    # pingouin 0.7.0 docstring: data.fillna(data.median()) -> (0.7380191693290734, array([0.447, 0.911])).
    filled = wide_missing.fillna(wide_missing.median())
    res = _quiet(cronbach_alpha, filled)
    assert res.alpha == pytest.approx(0.7380191693290734, abs=1e-13)
    assert np.round([res.ci_low, res.ci_high], 3).tolist() == [0.447, 0.911]
    # Without missing data both policies take the same (BLAS) path and agree exactly.
    assert _quiet(cronbach_alpha, filled, nan_policy="listwise").alpha == res.alpha


def test_long_format_example_matches_pingouin_docstring():
    # pingouin 0.7.0 docstring: pg.cronbach_alpha(data, items="Items", scores="Scores", subject="Subj")
    # -> (0.5917188485995826, array([0.195, 0.84 ])).
    long = pd.read_csv(FIXTURES / "cronbach_alpha.csv")
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    res = _quiet(cronbach_alpha, wide)
    assert res.alpha == pytest.approx(0.5917188485995826, abs=1e-13)
    assert np.round([res.ci_low, res.ci_high], 3).tolist() == [0.195, 0.84]
    assert res.alpha == pytest.approx(pg.cronbach_alpha(long, items="Items", scores="Scores", subject="Subj")[0],
                                      abs=1e-13)


def test_pairwise_moments_match_pandas_on_scattered_missing_values():
    # Side by side: pandas' pairwise DataFrame.cov()/corr() (pingouin's engine) on 10% missing cells.
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3000, 6)) + rng.normal(size=(3000, 1))
    x[rng.random(x.shape) < 0.1] = np.nan
    d = pd.DataFrame(x, columns=list("abcdef"))
    res = cronbach_alpha(d)
    c, r = d.cov().to_numpy(), d.corr().to_numpy()
    k = 6
    assert res.alpha == pytest.approx(k / (k - 1) * (1 - np.trace(c) / c.sum()), abs=1e-13)
    assert res.alpha == pytest.approx(pg.cronbach_alpha(d)[0], abs=1e-13)
    assert res.average_r == pytest.approx((r.sum() - k) / (k * (k - 1)), abs=1e-13)
    assert res.items["sd"].to_numpy() == pytest.approx(d.std().to_numpy(), abs=1e-13)
    total = d.mean(axis=1)
    assert res.items["r"].to_numpy() == pytest.approx([d[col].corr(total) for col in d], abs=1e-12)
    listwise = cronbach_alpha(d, nan_policy="listwise")
    assert listwise.alpha == pytest.approx(pg.cronbach_alpha(d, nan_policy="listwise")[0], abs=1e-13)
    assert listwise.n == int(d.notna().all(axis=1).sum())


def test_complete_data_fast_path_is_accurate_with_large_offsets(bfi):
    # The uncentred X'X path must not lose digits when means dwarf the spread: shifting every item by 1e7
    # leaves alpha unchanged (the module centres first in that case).
    complete = bfi.dropna().astype(float)
    base = cronbach_alpha(complete, reverse=["A1"], scale_min=1, scale_max=6)
    shifted = cronbach_alpha(complete + 1e7, reverse=["A1"], scale_min=1 + 1e7, scale_max=6 + 1e7)
    assert shifted.alpha == pytest.approx(base.alpha, abs=1e-9)
    assert base.alpha == pytest.approx(pg.cronbach_alpha(complete.assign(A1=7 - complete["A1"]))[0], abs=1e-13)


# ─── psych::alpha on bfi agreeableness (A1 reverse-keyed) ─────────────────────────────────────────────


def test_bfi_agreeableness_matches_psych_alpha(bfi):
    res = cronbach_alpha(bfi, reverse=["A1"], scale_min=1, scale_max=6)
    assert res.alpha == pytest.approx(0.7030, abs=5e-5)  # psych raw_alpha 0.7030 (documented to 4 places)
    assert round(res.alpha, 2) == PSYCH_BFI["raw_alpha"]
    assert round(res.std_alpha, 2) == PSYCH_BFI["std_alpha"]
    assert round(res.g6, 2) == PSYCH_BFI["g6"]
    assert round(res.average_r, 2) == PSYCH_BFI["average_r"]
    assert (round(res.ci_low, 2), round(res.ci_high, 2)) == PSYCH_BFI["feldt"]
    assert res.n == 2800 and res.k == 5
    items = res.items
    assert items["item"].tolist() == BFI_A and items["reversed"].tolist() == [True, False, False, False, False]
    assert items["n"].tolist() == PSYCH_BFI["n"]
    assert items["mean"].to_numpy() == pytest.approx(PSYCH_BFI["mean"], abs=5e-7)
    assert items["sd"].to_numpy() == pytest.approx(PSYCH_BFI["sd"], abs=5e-8)
    for col, key in (("r", "raw_r"), ("std_r", "std_r"), ("r_cor", "r_cor"), ("r_drop", "r_drop"),
                     ("alpha_if_deleted", "alpha_drop")):
        assert np.round(items[col].to_numpy(), 2).tolist() == PSYCH_BFI[key], col
    assert np.round(items["std_alpha_if_deleted"].to_numpy(), 3).tolist() == PSYCH_BFI["std_alpha_drop_3dp"]


def test_bfi_standardised_alpha_uses_pairwise_correlations_like_current_psych(bfi):
    # Current psych standardises with each pair's own correlation, cor(x, use = "pairwise"): std.alpha
    # 0.7127 (the 3-decimal alpha-if-deleted values above only match this). Older psych versions used
    # cov2cor(C) of the pairwise covariances (R/alpha.R: "R <- cov2cor(C)") and printed std.alpha 0.7130,
    # G6 0.6827, average_r 0.3319 (the values the psych documentation of that time shows). Both side by side
    # with pandas' pairwise cov/corr:
    keyed = bfi.assign(A1=7 - bfi["A1"])
    res = cronbach_alpha(bfi, reverse=["A1"], scale_min=1, scale_max=6)
    cov, corr = keyed.cov().to_numpy(), keyed.corr().to_numpy()
    sd = np.sqrt(np.diag(cov))
    old = cov / np.outer(sd, sd)
    k = 5
    assert res.std_alpha == pytest.approx(k / (k - 1) * (1 - k / corr.sum()), abs=1e-13)
    assert res.std_alpha == pytest.approx(0.71266, abs=5e-6)
    assert k / (k - 1) * (1 - k / old.sum()) == pytest.approx(0.7130, abs=5e-5)
    assert (old.sum() - k) / (k * (k - 1)) == pytest.approx(0.3320, abs=5e-5)  # printed truncated: 0.3319
    assert abs(res.std_alpha - 0.7130) < 0.0005 and abs(res.g6 - 0.6827) < 0.0006


def test_forgetting_to_reverse_a1_gives_a_much_lower_alpha(bfi):
    # The reverse-keying trap (jasp-desktop #1613): unreversed A1 drags alpha from 0.703 to 0.431, with a
    # warning naming A1; the codebook path (reverse list + scale bounds) gives psych's 0.7030.
    with pytest.warns(UserWarning, match=r"\['A1'\] correlate negatively"):
        naive = cronbach_alpha(bfi)
    assert naive.alpha == pytest.approx(0.4315, abs=5e-5)
    assert naive.items.loc[0, "r_drop"] < 0
    keyed = cronbach_alpha(bfi, reverse=["A1"], scale_min=1, scale_max=6)
    assert keyed.alpha == pytest.approx(0.7030, abs=5e-5)
    assert keyed.alpha - naive.alpha > 0.25
    # Without bounds they come from the data (1 and 6 here), with a warning, as psych::alpha does.
    with pytest.warns(UserWarning, match="observed data"):
        guessed = cronbach_alpha(bfi, reverse="A1")
    assert guessed.alpha == pytest.approx(keyed.alpha, abs=1e-14)
    table = reliability_table(bfi, {"agree": BFI_A}, reverse={"A1"}, scale_min=1, scale_max=6)
    assert table.loc[0, "alpha"] == pytest.approx(0.7030, abs=5e-5)


def test_psych_congeneric_example_alpha():
    # psych example("alpha"): r4 <- sim.congeneric() (loadings .8, .7, .6, .5); alpha(r4) prints
    # raw_alpha 0.74, std.alpha 0.74, G6(smc) 0.69, average_r 0.42; if dropped raw_alpha 0.62 0.66 0.70 0.74;
    # item r 0.81 0.78 0.73 0.68, r.cor 0.74 0.67 0.59 0.50, r.drop 0.64 0.57 0.51 0.43
    # (printed in https://rubenarslan.github.io/codebook/reference/knit_print.alpha.html).
    data = _exact_sample(_one_factor_corr([0.8, 0.7, 0.6, 0.5]), 400)
    res = cronbach_alpha(data)
    assert [round(v, 2) for v in (res.alpha, res.std_alpha, res.g6, res.average_r)] == [0.74, 0.74, 0.69, 0.42]
    assert np.round(res.items["alpha_if_deleted"], 2).tolist() == [0.62, 0.66, 0.70, 0.74]
    assert np.round(res.items["std_r"], 2).tolist() == [0.81, 0.78, 0.73, 0.68]
    assert np.round(res.items["r_cor"], 2).tolist() == [0.74, 0.67, 0.59, 0.50]
    assert np.round(res.items["r_drop"], 2).tolist() == [0.64, 0.57, 0.51, 0.43]
    # Closed form: r̄ = mean of the six λᵢλⱼ = 2.51/6 and α = 4 r̄ / (1 + 3 r̄) for unit variances.
    rbar = 2.51 / 6
    assert res.average_r == pytest.approx(rbar, abs=1e-13)
    assert res.alpha == pytest.approx(4 * rbar / (1 + 3 * rbar), abs=1e-13)


# ─── omega ─────────────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("method", ["minres", "ml"])
def test_omega_recovers_known_congeneric_loadings(method):
    # Population one-factor model with λ = .8, .7, .6, .5: ω_t = (Σλ)² / ((Σλ)² + Σ(1 − λ²)) = 6.76 / 9.02.
    data = _exact_sample(_one_factor_corr([0.8, 0.7, 0.6, 0.5]), 400)
    res = omega(data, method=method)
    tol = 1e-10 if method == "minres" else 1e-6
    assert res.loadings["loading"].to_numpy() == pytest.approx([0.8, 0.7, 0.6, 0.5], abs=tol * 10)
    assert res.omega_total == pytest.approx(6.76 / 9.02, abs=tol)
    assert res.omega_observed == pytest.approx(6.76 / 9.02, abs=tol)  # exact fit: both definitions agree
    assert res.omega_total > cronbach_alpha(data).alpha  # congeneric: alpha is a lower bound


def test_omega_equals_alpha_for_tau_equivalent_items():
    # Equal loadings (.6 on 5 items): ω_t = 9 / (9 + 3.2) = standardised alpha = 5·.36 / (1 + 4·.36).
    data = _exact_sample(_one_factor_corr([0.6] * 5), 300, seed=3)
    res = omega(data)
    assert res.omega_total == pytest.approx(9 / 12.2, abs=1e-10)
    assert res.omega_total == pytest.approx(cronbach_alpha(data).std_alpha, abs=1e-10)


def test_omega_three_items_is_the_closed_form_of_the_just_identified_model(bfi):
    # With 3 items the one-factor model is saturated: λ₁ = √(r₁₂ r₁₃ / r₂₃) etc., whatever the estimator.
    items = bfi[["A2", "A3", "A5"]]
    r = items.corr().to_numpy()  # pairwise, side by side with pandas
    lam = np.sqrt([r[0, 1] * r[0, 2] / r[1, 2], r[0, 1] * r[1, 2] / r[0, 2], r[0, 2] * r[1, 2] / r[0, 1]])
    expected = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    for method, tol in (("minres", 1e-9), ("ml", 1e-6)):
        res = omega(items, method=method)
        assert res.loadings["loading"].to_numpy() == pytest.approx(lam, abs=tol * 10), method
        assert res.omega_total == pytest.approx(expected, abs=tol), method


def test_omega_converges_on_a_large_simulated_sample():
    # Congeneric items λ = .85, .75, .65, .55, .45 plus normal errors, n = 200,000, fixed seed:
    # ω_t → (Σλ)² / ((Σλ)² + Σ(1 − λ²)) = 3.25² / (3.25² + 2.7875) = 10.5625 / 13.35.
    rng = np.random.default_rng(2024)
    lam = np.array([0.85, 0.75, 0.65, 0.55, 0.45])
    n = 200_000
    x = rng.normal(size=(n, 1)) * lam + rng.normal(size=(n, 5)) * np.sqrt(1 - lam**2)
    data = pd.DataFrame(3 + x, columns=[f"q{i}" for i in range(5)])
    truth = 10.5625 / 13.35
    for method in ("minres", "ml"):
        res = omega(data, method=method)
        assert res.omega_total == pytest.approx(truth, abs=0.003), method
        assert res.loadings["loading"].to_numpy() == pytest.approx(lam, abs=0.01), method


def test_omega_on_bfi_and_reverse_keying(bfi):
    res = omega(bfi, reverse=["A1"], scale_min=1, scale_max=6)
    ml = omega(bfi, reverse=["A1"], scale_min=1, scale_max=6, method="ml")
    assert isinstance(res, OmegaResult) and res.k == 5 and res.n == 2800
    assert res.omega_total == pytest.approx(ml.omega_total, abs=0.002)
    assert res.omega_total > 0.7030  # above alpha, as it must be for congeneric items
    assert abs(res.omega_total - res.omega_observed) < 0.002  # the one-factor model fits well
    assert (res.loadings["loading"] > 0).all()  # A1 reversed: all load positively
    frame = res.to_frame()
    assert list(frame.columns) == ["k", "n", "omega_total", "omega_observed", "explained", "method"]
    assert "omega total" in res.summary()


# ─── tables and scores ─────────────────────────────────────────────────────────────────────────────────


def test_reliability_table_columns_and_weakest_item(bfi):
    data = bfi.assign(B1=bfi["A2"], B2=bfi["A3"])
    table = reliability_table(data, {"agree": BFI_A, "pair": ["B1", "B2"]}, reverse={"agree": ["A1"]},
                              scale_min=1, scale_max=6)
    assert list(table.columns) == ["scale", "k", "n", "alpha", "ci_low", "ci_high", "std_alpha", "omega_total",
                                   "average_r", "weakest_item", "weakest_r_drop", "alpha_if_weakest_deleted"]
    agree = table.iloc[0]
    single = cronbach_alpha(bfi, reverse=["A1"], scale_min=1, scale_max=6)
    assert agree["alpha"] == pytest.approx(single.alpha, abs=1e-14)
    assert agree["weakest_item"] == "A1" == single.weakest_item  # r.drop 0.31, the lowest in psych's output
    assert agree["alpha_if_weakest_deleted"] == pytest.approx(single.items.loc[0, "alpha_if_deleted"])
    assert agree["omega_total"] == pytest.approx(omega(bfi, reverse=["A1"], scale_min=1,
                                                       scale_max=6).omega_total, abs=1e-12)
    pair = table.iloc[1]
    assert pair["k"] == 2 and np.isnan(pair["omega_total"]) and np.isnan(pair["alpha_if_weakest_deleted"])
    # Two items: alpha is the Spearman-Brown formula on their correlation when variances are equal.
    r = data[["B1", "B2"]].corr().iloc[0, 1]
    assert pair["std_alpha"] == pytest.approx(2 * r / (1 + r), abs=1e-12)


def test_scale_scores_mean_of_valid_items_with_reversal_and_minimum():
    d = pd.DataFrame({
        "a": [1, 5, np.nan, np.nan, 2],
        "b": [2, 4, 3, np.nan, np.nan],
        "c": [5, 1, np.nan, np.nan, np.nan],  # reverse-keyed on 1..5: 6 - c
        "d": [4, 4, 4, 4, 4],
    }, index=list("vwxyz"), dtype=float)
    scores = scale_scores(d, {"s": ["a", "b", "c"], "t": ["d"]}, reverse={"c"}, scale_min=1, scale_max=5)
    assert list(scores.columns) == ["s", "t"] and list(scores.index) == list("vwxyz")
    # v: (1 + 2 + 1)/3; w: (5 + 4 + 5)/3; x: 1 of 3 valid < ceil(0.5·3) = 2 → NaN; y: none; z: 1 of 3 → NaN.
    assert scores["s"].tolist() == pytest.approx([4 / 3, 14 / 3, np.nan, np.nan, np.nan], nan_ok=True)
    assert scores["t"].tolist() == [4.0] * 5
    one = scale_scores(d, {"s": ["a", "b", "c"]}, reverse={"c"}, scale_min=1, scale_max=5, min_valid=1)
    assert one["s"].tolist() == pytest.approx([4 / 3, 14 / 3, 3.0, np.nan, 2.0], nan_ok=True)
    summed = scale_scores(d, {"s": ["a", "b", "c"]}, reverse={"c"}, scale_min=1, scale_max=5, min_valid=1,
                          method="sum")
    assert summed["s"].tolist() == pytest.approx([4.0, 14.0, 9.0, np.nan, 6.0], nan_ok=True)  # prorated
    all_items = scale_scores(d, {"s": ["a", "b", "c"]}, reverse={"c"}, scale_min=1, scale_max=5, min_valid=1.0)
    assert all_items["s"].isna().tolist() == [False, False, True, True, True]


def test_scale_scores_agree_with_psych_style_total_on_bfi(bfi):
    # psych::alpha's scores (cumulative = FALSE) are rowMeans(x, na.rm = TRUE) of the keyed items: the
    # notebook's describe() prints their mean 4.652095 and sd 0.8984019 over n = 2800.
    scores = scale_scores(bfi, {"agree": BFI_A}, reverse={"A1"}, scale_min=1, scale_max=6, min_valid=1)
    assert scores["agree"].mean() == pytest.approx(4.652095, abs=5e-7)
    assert scores["agree"].std() == pytest.approx(0.8984019, abs=5e-8)
    assert scores["agree"].notna().sum() == 2800


@pytest.mark.skipif(not (SAMPLE / "truth.yaml").exists(), reason="sample data not generated")
def test_employee_scales_match_the_sample_generators_truth():
    # data/sample/survey/truth.yaml records each employee scale's sample alpha after listwise deletion,
    # with its reverse-keyed items (1..5 ratings); the codebook path must reproduce it.
    truth = yaml.safe_load((SAMPLE / "truth.yaml").read_text(encoding="utf-8"))["employees"]["scales"]
    employees = pd.read_csv(SAMPLE / "employees.csv")
    scales = {name: spec["items"] for name, spec in truth.items()}
    reverse = {name: spec.get("reverse", []) for name, spec in truth.items()}
    table = reliability_table(employees, scales, reverse=reverse, scale_min=1, scale_max=5, nan_policy="listwise")
    expected = [truth[s]["alpha_sample_listwise"] for s in table["scale"]]
    assert table["alpha"].to_numpy() == pytest.approx(expected, abs=5e-5)
    assert (table["omega_total"] >= table["alpha"] - 1e-3).all()


# ─── results and errors ────────────────────────────────────────────────────────────────────────────────


def test_result_objects(bfi):
    res = cronbach_alpha(bfi, reverse=["A1"], scale_min=1, scale_max=6, level=0.9)
    assert isinstance(res, AlphaResult)
    frame = res.to_frame()
    assert list(frame.columns) == ["k", "n", "alpha", "ci_low", "ci_high", "std_alpha", "g6", "average_r"]
    assert len(frame) == 1
    wide = cronbach_alpha(bfi, reverse=["A1"], scale_min=1, scale_max=6)
    assert wide.ci_low < res.ci_low < res.alpha < res.ci_high < wide.ci_high  # 90% inside 95%
    assert list(res.items.columns) == ["item", "reversed", "n", "mean", "sd", "r", "std_r", "r_cor", "r_drop",
                                       "alpha_if_deleted", "std_alpha_if_deleted"]
    text = res.summary()
    assert "Cronbach's alpha = 0.703" in text and "A1 (R)" in text and "reverse-keyed: A1" in text


def test_bad_input_is_refused_with_the_column_named(bfi):
    with pytest.raises(ValueError, match=r"item 'A3' has value 99 above scale_max 6"):
        cronbach_alpha(bfi.assign(A3=bfi["A3"].replace(6, 99)), scale_min=1, scale_max=6)
    with pytest.raises(ValueError, match=r"item 'txt' must be numeric"):
        cronbach_alpha(bfi.assign(txt="x"))
    with pytest.raises(ValueError, match=r"item 'cat' must be numeric"):
        cronbach_alpha(bfi.assign(cat=pd.Categorical(["a", "b"] * 1400)))
    with pytest.raises(ValueError, match=r"reverse names item\(s\) \['A9'\]"):
        cronbach_alpha(bfi, reverse=["A9"], scale_min=1, scale_max=6)
    with pytest.raises(ValueError, match="at least 2 items"):
        cronbach_alpha(bfi[["A1"]])
    with pytest.raises(ValueError, match="nan_policy must be one of"):
        cronbach_alpha(bfi, nan_policy="complete")
    with pytest.raises(ValueError, match=r"item\(s\) \['flat'\] have no variance"):
        cronbach_alpha(bfi.assign(flat=3.0))
    with pytest.raises(ValueError, match="scale_min .* must be below scale_max"):
        cronbach_alpha(bfi, scale_min=6, scale_max=1)
    with pytest.raises(ValueError, match="answered together by 0"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, np.nan, np.nan], "b": [np.nan, np.nan, 1, 3]}))
    with pytest.raises(ValueError, match="at least 3 items"):
        omega(bfi[["A2", "A3"]])
    with pytest.raises(ValueError, match="method must be one of"):
        omega(bfi, method="pca")
    with pytest.raises(ValueError, match=r"\(scale 'x'\): no item column 'Z1' in the data"):
        reliability_table(bfi, {"x": ["A1", "Z1"]})
    with pytest.raises(ValueError, match=r"reverse names item\(s\) \['Q'\] that belong to no scale"):
        reliability_table(bfi, {"x": BFI_A}, reverse=["Q"])
    with pytest.raises(ValueError, match=r"reverse\['x'\] names \['A9'\]"):
        scale_scores(bfi, {"x": BFI_A}, reverse={"x": ["A9"]})
    with pytest.raises(ValueError, match="min_valid"):
        scale_scores(bfi, {"x": BFI_A}, min_valid=0)
    with pytest.raises(ValueError, match="asks for 6 answered items"):
        scale_scores(bfi, {"x": BFI_A}, min_valid=6)
