"""Ordinal regression on the UCLA "apply to graduate school" example, against R MASS::polr and Stata ologit.

Data: tests/fixtures/drivers/ologit_ucla.csv, copied from statsmodels' own test data (see the README there).
R reference numbers: statsmodels/miscmodels/tests/results/results_ordinal_model.py (R 3.4.4, MASS polr,
Hess = TRUE) and R's printed ``summary(polr(apply ~ pared + public + gpa))`` (UCLA IDRE example page).
Stata reference: ``ologit apply pared public gpa, or`` on the same data (UCLA IDRE Stata example output).
R's optim stops at reltol 1e-8 and is ~3e-5 from the maximum; Stata and our Newton step reach a zero score,
so Stata is compared tightly and R loosely (as statsmodels' own test does, atol 2e-4).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cfresearch.survey import rake
from cfresearch.survey.design import survey_design
from cfresearch.survey.ordinal import OrdinalResult, ordinal_regression

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "drivers" / "ologit_ucla.csv"
ORDER = ["unlikely", "somewhat likely", "very likely"]
X = ["pared", "public", "gpa"]


@pytest.fixture(scope="module")
def ucla() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.fixture(scope="module")
def logit(ucla) -> OrdinalResult:
    return ordinal_regression(ucla, "apply", X, order=ORDER)


def test_logit_matches_stata_ologit(logit):
    # Stata: ologit apply pared public gpa, or
    #   LR chi2(3) = 24.18; Log likelihood = -358.51244; Pseudo R2 = 0.0326
    #   pared  OR 2.850982 [1.69338, 4.799927]; public OR .9430059 [.5259888, 1.690645];
    #   gpa    OR 1.851037 [1.11062, 3.085067]
    #   /cut1 2.203323 (se .7795353) [.6754621, 3.731184]; /cut2 4.298767 (se .8043147) [2.72234, 5.875195]
    assert logit.n == 400 and logit.converged
    assert logit.llf == pytest.approx(-358.51244, abs=5e-6)
    chi2, df, _ = logit.lr_test
    assert chi2 == pytest.approx(24.18, abs=5e-3) and df == 3
    assert logit.pseudo_r2["mcfadden"] == pytest.approx(0.0326, abs=5e-5)
    c = logit.coefficients.set_index("term")
    assert c["odds_ratio"].to_numpy() == pytest.approx([2.850982, 0.9430059, 1.851037], rel=2e-6)
    assert c["or_ci_low"].to_numpy() == pytest.approx([1.69338, 0.5259888, 1.11062], rel=1e-5)
    assert c["or_ci_high"].to_numpy() == pytest.approx([4.799927, 1.690645, 3.085067], rel=1e-5)
    t = logit.thresholds
    assert t["threshold"].tolist() == ["unlikely|somewhat likely", "somewhat likely|very likely"]
    assert t["estimate"].to_numpy() == pytest.approx([2.203323, 4.298767], abs=2e-6)
    assert t["se"].to_numpy() == pytest.approx([0.7795353, 0.8043147], rel=1e-5)
    assert t["ci_low"].to_numpy() == pytest.approx([0.6754621, 2.72234], abs=2e-5)
    assert t["ci_high"].to_numpy() == pytest.approx([3.731184, 5.875195], abs=2e-5)


def test_logit_matches_r_polr(logit):
    # R: summary(polr(apply ~ pared + public + gpa, data = dat, Hess = TRUE)), coef(summary(m)):
    #   pared 1.04769010 (se 0.2657894), public -0.05878572 (0.2978614), gpa 0.61594057 (0.2606340)
    #   unlikely|somewhat likely 2.20391473 (0.7795455); somewhat likely|very likely 4.29936315 (0.8043267)
    #   Residual Deviance: 717.0249; AIC: 727.0249; p values 8.087070e-05, 8.435464e-01, 1.811594e-02
    c = logit.coefficients
    assert c["estimate"].to_numpy() == pytest.approx([1.04769010, -0.05878572, 0.61594057], abs=3e-4)
    assert c["se"].to_numpy() == pytest.approx([0.2657894, 0.2978614, 0.2606340], rel=1e-4)
    assert c["p"].to_numpy() == pytest.approx([8.087070e-05, 8.435464e-01, 1.811594e-02], rel=3e-3)
    assert logit.thresholds["estimate"].to_numpy() == pytest.approx([2.20391473, 4.29936315], abs=1e-3)
    assert logit.thresholds["se"].to_numpy() == pytest.approx([0.7795455, 0.8043267], rel=1e-4)
    assert logit.deviance == pytest.approx(717.0249, abs=5e-5)
    assert logit.aic == pytest.approx(727.0249, abs=5e-5)


def test_probit_matches_r_polr(ucla):
    # statsmodels results_ordinal_model.res_ord_probit (R polr, method = "probit"):
    #   coefficients 0.59811, 0.01016, 0.35815; se 0.1579, 0.1728, 0.1568; thresholds 1.2968, 2.5028
    res = ordinal_regression(ucla, "apply", X, distr="probit", order=ORDER)
    assert res.coefficients["estimate"].to_numpy() == pytest.approx([0.59811, 0.01016, 0.35815], abs=2e-5)
    assert res.coefficients["se"].to_numpy() == pytest.approx([0.1579, 0.1728, 0.1568], abs=5e-5)
    assert res.thresholds["estimate"].to_numpy() == pytest.approx([1.2968, 2.5028], abs=1e-4)
    assert "odds_ratio" not in res.coefficients.columns
    assert "ordered probit" in res.summary()


def test_predicted_probabilities_match_r(logit, ucla):
    # statsmodels results_ordinal_model.res_ord_logit.prob_pred: R predict(m, type = "probs"), first 7 rows.
    expected = np.array([[0.5488310, 0.3593310, 0.09183798], [0.3055632, 0.4759496, 0.21848725],
                         [0.2293835, 0.4781951, 0.29242138], [0.6161224, 0.3126888, 0.07118879],
                         [0.6560149, 0.2833901, 0.06059505], [0.6609240, 0.2797117, 0.05936431],
                         [0.6518332, 0.2865114, 0.06165547]])
    probs = logit.predict(ucla.head(7))
    assert list(probs.columns) == ORDER
    assert probs.to_numpy() == pytest.approx(expected, abs=5e-5)


def test_numeric_likert_outcome_and_categorical_predictor(ucla, logit):
    coded = ucla.assign(apply=ucla["apply"].map(dict(zip(ORDER, [1.0, 2.0, 3.0]))),
                        school=np.where(ucla["public"] == 1, "public", "private"))
    res = ordinal_regression(coded, "apply", ["pared", "school", "gpa"])
    assert res.levels == (1, 2, 3)
    assert res.coefficients["term"].tolist() == ["pared", "school[public]", "gpa"]
    assert res.coefficients["estimate"].to_numpy() == pytest.approx(logit.coefficients["estimate"].to_numpy(), abs=1e-6)
    assert res.thresholds["threshold"].tolist() == ["1|2", "2|3"]
    ordered = ucla.assign(apply=pd.Categorical(ucla["apply"], categories=ORDER, ordered=True))
    same = ordinal_regression(ordered, "apply", X)
    assert same.coefficients["estimate"].to_numpy() == pytest.approx(logit.coefficients["estimate"].to_numpy(),
                                                                     abs=1e-9)


def test_listwise_deletion_and_summary(ucla):
    holes = ucla.copy()
    holes.loc[[0, 1], "gpa"] = np.nan
    holes.loc[2, "apply"] = None
    res = ordinal_regression(holes, "apply", X, order=ORDER)
    ref = ordinal_regression(holes.dropna(), "apply", X, order=ORDER)
    assert res.n == 397 and res.n_dropped == 3
    assert res.coefficients["estimate"].to_numpy() == pytest.approx(ref.coefficients["estimate"].to_numpy(), abs=1e-9)
    text = res.summary()
    assert "n = 397 (3 dropped, listwise)" in text and "OR " in text and "LR chi2(3)" in text
    frame = res.to_frame()
    assert frame["kind"].tolist() == ["coefficient"] * 3 + ["threshold"] * 2


def test_recovers_known_coefficients_on_simulated_likert_data():
    rng = np.random.default_rng(3)
    n, beta, cuts = 6000, np.array([0.8, -0.5]), np.array([-1.0, 0.0, 0.7, 1.8])
    x = rng.normal(size=(n, 2))
    latent = x @ beta + rng.logistic(size=n)
    y = 1 + (latent[:, None] > cuts).sum(axis=1)  # 5-point scale
    res = ordinal_regression(pd.DataFrame({"sat": y.astype(float), "a": x[:, 0], "b": x[:, 1]}), "sat", ["a", "b"])
    c = res.coefficients
    assert np.all(np.abs(c["estimate"].to_numpy() - beta) < 3 * c["se"].to_numpy())
    assert np.all(np.abs(res.thresholds["estimate"].to_numpy() - cuts) < 3 * res.thresholds["se"].to_numpy())


def test_bad_input_is_refused(ucla):
    with pytest.raises(ValueError, match="has dtype .* with no order"):
        ordinal_regression(ucla, "apply", X)
    with pytest.raises(ValueError, match=r"values not in order: \['very likely'\]"):
        ordinal_regression(ucla, "apply", X, order=ORDER[:2])
    with pytest.raises(ValueError, match="ordinal_regression: no column 'income' in the data"):
        ordinal_regression(ucla, "apply", ["income"], order=ORDER)
    with pytest.raises(ValueError, match="distr must be one of"):
        ordinal_regression(ucla, "apply", X, order=ORDER, distr="cloglog")
    with pytest.raises(ValueError, match=r"\['flat'\] are constant"):
        ordinal_regression(ucla.assign(flat=1.0), "apply", ["gpa", "flat"], order=ORDER)
    unordered = ucla.assign(apply=pd.Categorical(ucla["apply"]))
    with pytest.raises(ValueError, match="unordered categorical"):
        ordinal_regression(unordered, "apply", X)


# ─── weighted and design-based fits: R survey::svyolr ──────────────────────────────────────────────────

MEALCAT = ["(0,25]", "(25,50]", "(50,75]", "(75,100]"]


@pytest.fixture(scope="module")
def apiclus1():
    d = pd.read_csv(Path(__file__).resolve().parents[1] / "fixtures" / "survey_design" / "apiclus1_full.csv")
    return d.assign(mealcat=pd.Categorical(d["mealcat"], categories=MEALCAT, ordered=True),
                    stype=pd.Categorical(d["stype"], categories=["E", "H", "M"]))


def _check(res, coef, se, rel_est=2e-7, rel_se=2e-6):
    est = np.r_[res.coefficients["estimate"], res.thresholds["estimate"]]
    err = np.r_[res.coefficients["se"], res.thresholds["se"]]
    assert est == pytest.approx(coef, rel=rel_est)
    assert err == pytest.approx(se, rel=rel_se)  # R's Hessian is optim's finite-difference one


@pytest.mark.parametrize("distr", ["logit", "probit"])
def test_design_based_fit_matches_r_svyolr_on_a_cluster_sample(apiclus1, distr):
    """R 4.2.2, survey 4.1.1 (fixture README): dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1,
    fpc=~fpc); svyolr(mealcat~avg.ed+mobility+stype, design=dclus1, method=, control=list(reltol=1e-15,
    ndeps=rep(1e-6, 7))), optim's tolerance and Hessian step tightened
    (26 schools without avg.ed are left out as R's na.omit does, keeping their place in the design)."""
    ref = {"logit": ([-2.6999076215859, 0.0325043766977, -1.7574815093040, -0.6191451839030, -8.8578676915051,
                      -6.5864188432239, -4.9248988058854],
                     [1.1342154295895, 0.0206565698283, 0.6995279284371, 0.3096421895574, 3.6861366279367,
                      3.1088355771174, 2.8633477895972]),
           "probit": ([-1.3328649804261, 0.0184610982187, -0.9634736915919, -0.4324453714173, -4.4049894737667,
                       -3.1687683497659, -2.2737233699398],
                      [0.54259444897418, 0.00964236946142, 0.35420452773807, 0.24181238626447, 1.75227353426514,
                       1.49963929975376, 1.40744291991770])}
    design = survey_design(apiclus1, weights="pw", clusters="dnum", fpc="fpc")
    res = ordinal_regression(apiclus1, "mealcat", ["avg.ed", "mobility", "stype"], design=design, distr=distr)
    _check(res, *ref[distr])
    assert res.n == 157 and res.n_dropped == 26 and res.survey and res.converged
    assert "design-based sandwich" in res.summary() and "LR chi2" not in res.summary()
    assert np.isnan(res.lr_test[0])
    probs = res.predict(apiclus1.head(3))
    assert probs.sum(axis=1).to_numpy() == pytest.approx(1.0) and list(probs.columns) == MEALCAT


def test_design_based_fit_matches_r_svyolr_stratified_and_raked(apiclus1):
    """svyolr(mealcat~avg.ed+mobility, design=dstrat) on apistrat, and on the raked design
    rake(svydesign(id=~dnum, weights=~pw, data=<apiclus1 with avg.ed>, fpc=~fpc), list(~stype),
    list(data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018))))."""
    strat = pd.read_csv(Path(__file__).resolve().parents[1] / "fixtures" / "survey_design" / "apistrat.csv")
    strat["mealcat"] = pd.Categorical(strat["mealcat"], categories=MEALCAT, ordered=True)
    res = ordinal_regression(strat, "mealcat", ["avg.ed", "mobility"],
                             design=survey_design(strat, weights="pw", strata="stype", fpc="fpc"))
    _check(res, [-3.9928859243881, 0.0173738358385, -12.7537338654781, -10.2691385931783, -8.0506473708379],
           [0.4400811109549, 0.0134773524444, 1.4424665804991, 1.2558426742428, 1.0891012897184])
    complete = apiclus1.dropna(subset=["avg.ed"]).reset_index(drop=True)
    raked = rake(complete, {"stype": {"E": 4421, "H": 755, "M": 1018}}, base_weights="pw")
    res = ordinal_regression(complete, "mealcat", ["avg.ed", "mobility"],
                             design=survey_design(complete, clusters="dnum", fpc="fpc", raking=raked))
    _check(res, [-2.6770618213707, 0.0257969560291, -8.5045811979500, -6.3088103461702, -4.7629912238178],
           [1.0530376973745, 0.0347645328216, 3.3440820240978, 2.8566321723273, 2.6534459042851])


def test_weighted_fit_equals_frequency_weights_and_unweighted_ml(ucla, logit):
    """Integer weights give the maximum-likelihood estimates of the data with rows repeated; weights of 1 give
    the unweighted ML estimates (Newton here, statsmodels there)."""
    ones = ordinal_regression(ucla, "apply", X, order=ORDER, weights=np.ones(len(ucla)))
    assert ones.coefficients["estimate"].to_numpy() == pytest.approx(logit.coefficients["estimate"].to_numpy(),
                                                                     abs=1e-6)
    assert ones.llf == pytest.approx(logit.llf, abs=1e-8)
    reps = np.tile([1, 2, 3], len(ucla) // 3 + 1)[: len(ucla)]
    weighted = ordinal_regression(ucla, "apply", X, order=ORDER, weights=reps)
    expanded = ordinal_regression(ucla.loc[ucla.index.repeat(reps)].reset_index(drop=True), "apply", X,
                                  order=ORDER)
    assert weighted.coefficients["estimate"].to_numpy() == pytest.approx(
        expanded.coefficients["estimate"].to_numpy(), abs=1e-6)
    assert weighted.thresholds["estimate"].to_numpy() == pytest.approx(
        expanded.thresholds["estimate"].to_numpy(), abs=1e-6)
