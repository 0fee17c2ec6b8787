"""Ordinal regression for Likert-type outcomes: the proportional-odds (cumulative logit) and probit models.

:func:`ordinal_regression` fits P(Y ≤ k | x) = F(θ_k − xᵀβ) (the model of R ``MASS::polr`` and Stata
``ologit``/``oprobit``) and returns a tidy result: coefficients with Wald intervals (and odds ratios for the
logit link), the thresholds θ_k with standard errors, pseudo-R², n.

* Unweighted, with no design: maximum likelihood by statsmodels' ``OrderedModel``, with the likelihood-ratio
  test against the thresholds-only model and McFadden / Cox-Snell / Nagelkerke pseudo-R².
* With weights or a survey design (``design=``): the weighted (pseudo-)likelihood Σ wᵢ log P(yᵢ | xᵢ) is
  maximised by Newton's method with its analytic gradient and Hessian, and the standard errors are the
  design-based sandwich H⁻¹ V H⁻¹, V the Taylor-linearised covariance of the score totals over the design's
  strata and clusters (with raking residuals for a raked design): R ``survey::svyolr`` (Lumley 2010,
  *Complex Surveys*, §6; Binder 1983). statsmodels' ``OrderedModel`` takes no weights, hence our own
  likelihood. Likelihood-ratio tests do not hold under a complex design and are not reported.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from cfresearch.checks import check_choice, check_frame, check_level, column_list, require_columns
from cfresearch.results import Result

from .design import SurveyDesign, design_for

__all__ = ["OrdinalResult", "ordinal_regression"]

_DISTR = ("logit", "probit")


@dataclass(frozen=True)
class _Terms:
    """How predictors become model columns (numeric as is; categorical as treatment dummies)."""

    predictors: tuple[str, ...]
    levels: dict[str, tuple] = field(default_factory=dict)  # categorical predictor -> its levels (first = base)

    @property
    def names(self) -> list[str]:
        out: list[str] = []
        for p in self.predictors:
            out += [f"{p}[{lev}]" for lev in self.levels[p][1:]] if p in self.levels else [p]
        return out

    def matrix(self, data: pd.DataFrame) -> np.ndarray:
        cols = []
        for p in self.predictors:
            if p in self.levels:
                values = data[p].astype("object").to_numpy()
                isna = pd.isna(data[p]).to_numpy()
                for lev in self.levels[p][1:]:
                    cols.append(np.where(isna, np.nan, (values == lev).astype(float)))
            else:
                cols.append(data[p].to_numpy(dtype="float64", na_value=np.nan))
        return np.column_stack(cols) if cols else np.empty((len(data), 0))


# ─── the link: F, its density and the density's derivative ────────────────────────────────────────────


def _cdf(z: np.ndarray, distr: str, upper: bool = False) -> np.ndarray:
    """F(z), or 1 − F(z) when ``upper`` (computed directly, so tails keep their precision)."""
    z = -z if upper else z
    return special.expit(z) if distr == "logit" else special.ndtr(z)


def _pdf(z: np.ndarray, distr: str) -> tuple[np.ndarray, np.ndarray]:
    """(f(z), f'(z)): logistic f = F(1 − F), f' = f(1 − 2F); normal f = φ, f' = −zφ."""
    if distr == "logit":
        f_ = special.expit(z)
        dens = f_ * special.expit(-z)
        return dens, dens * (1.0 - 2.0 * f_)
    dens = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return dens, -z * dens


class _Likelihood:
    """The ordinal log-likelihood of each row as a function of θ (K − 1 cut-points) and β.

    Row i contributes log P_i, P_i = F(a_i) − F(b_i) with a_i = θ_{yᵢ} − ηᵢ (+∞ for the top level) and
    b_i = θ_{yᵢ−1} − ηᵢ (−∞ for the bottom level), η = xᵀβ. Parameters are ordered (β, θ)."""

    def __init__(self, codes: np.ndarray, exog: np.ndarray, n_levels: int, distr: str):
        self.y, self.x, self.k, self.distr = codes, exog, n_levels, distr
        self.has_a, self.has_b = codes < n_levels - 1, codes > 0
        n, p = exog.shape
        self.n_par = p + n_levels - 1
        rows = np.arange(n)
        self.onehot_a = np.zeros((n, n_levels - 1))
        self.onehot_a[rows[self.has_a], codes[self.has_a]] = 1.0
        self.onehot_b = np.zeros((n, n_levels - 1))
        self.onehot_b[rows[self.has_b], codes[self.has_b] - 1] = 1.0

    def _parts(self, params: np.ndarray):
        p = self.x.shape[1]
        beta, theta = params[:p], params[p:]
        eta = self.x @ beta
        a = np.where(self.has_a, np.concatenate([theta, [0.0]])[np.minimum(self.y, self.k - 2)] - eta, np.inf)
        b = np.where(self.has_b, theta[np.maximum(self.y - 1, 0)] - eta, -np.inf)
        upper = (a + b) > 0  # both cuts in the upper tail: use survival functions
        with np.errstate(invalid="ignore"):
            prob = np.where(upper, _cdf(b, self.distr, True) - _cdf(a, self.distr, True),
                            _cdf(a, self.distr) - _cdf(b, self.distr))
        prob = np.maximum(prob, np.finfo(float).tiny)
        fa, dfa = (np.where(self.has_a, v, 0.0) for v in _pdf(np.where(self.has_a, a, 0.0), self.distr))
        fb, dfb = (np.where(self.has_b, v, 0.0) for v in _pdf(np.where(self.has_b, b, 0.0), self.distr))
        return prob, fa, dfa, fb, dfb

    def _jacobians(self) -> tuple[np.ndarray, np.ndarray]:
        return np.hstack([-self.x, self.onehot_a]), np.hstack([-self.x, self.onehot_b])

    def loglik(self, params: np.ndarray, w: np.ndarray) -> float:
        return float(w @ np.log(self._parts(params)[0]))

    def scores(self, params: np.ndarray) -> np.ndarray:
        """∂ log P_i / ∂(β, θ) per row (n × parameters)."""
        prob, fa, _, fb, _ = self._parts(params)
        ja, jb = self._jacobians()
        return ja * (fa / prob)[:, None] - jb * (fb / prob)[:, None]

    def hessian(self, params: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Σ wᵢ ∂² log P_i / ∂(β, θ)², from h_aa = f'(a)/P − (f(a)/P)², h_bb = −f'(b)/P − (f(b)/P)² and
        h_ab = f(a)f(b)/P² along the Jacobians of a and b."""
        prob, fa, dfa, fb, dfb = self._parts(params)
        ja, jb = self._jacobians()
        h_aa = w * (dfa / prob - (fa / prob) ** 2)
        h_bb = w * (-dfb / prob - (fb / prob) ** 2)
        h_ab = w * fa * fb / prob**2
        cross = (ja * h_ab[:, None]).T @ jb
        return (ja * h_aa[:, None]).T @ ja + (jb * h_bb[:, None]).T @ jb + cross + cross.T


def _start(codes: np.ndarray, w: np.ndarray, n_levels: int, p: int, distr: str) -> np.ndarray:
    """β = 0 and the cut-points of the weighted marginal distribution: θ_k = F⁻¹(share at or below k)."""
    cum = np.cumsum(np.bincount(codes, w, minlength=n_levels))[:-1] / w.sum()
    cum = np.clip(cum, 1e-6, 1 - 1e-6)
    theta = special.logit(cum) if distr == "logit" else special.ndtri(cum)
    return np.concatenate([np.zeros(p), theta])


def _newton(lik: _Likelihood, w: np.ndarray, start: np.ndarray, max_iter: int = 100) -> tuple[np.ndarray, bool]:
    """Maximise Σ wᵢ log Pᵢ by Newton steps, halved until the likelihood rises and the cut-points stay ordered."""
    params, ll = start, lik.loglik(start, w)
    p = lik.x.shape[1]
    for _ in range(max_iter):
        grad = w @ lik.scores(params)
        step = np.linalg.solve(lik.hessian(params, w), grad)
        for _half in range(60):
            trial = params - step
            if np.all(np.diff(trial[p:]) > 0):
                ll_new = lik.loglik(trial, w)
                if ll_new >= ll - 1e-12 * abs(ll):
                    break
            step = step / 2
        else:
            return params, False
        params, ll_old, ll = trial, ll, ll_new
        if np.max(np.abs(step)) < 1e-10 or abs(ll - ll_old) < 1e-13 * max(1.0, abs(ll)):
            grad = w @ lik.scores(params)
            return params, bool(np.max(np.abs(grad)) < 1e-6 * max(1.0, w.sum()))
    return params, False


# ─── result ────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class OrdinalResult(Result):
    """A fitted ordinal regression (see :func:`ordinal_regression`).

    ``coefficients``: term, estimate, se, statistic (z), p, ci_low, ci_high (+ odds_ratio, or_ci_low,
    or_ci_high for logit). ``thresholds``: threshold ("a|b", as R polr names them), estimate, se, ci_low,
    ci_high. ``variance`` says how the standard errors were computed; ``fit`` is the statsmodels results
    object of an unweighted fit (None for a weighted or design-based fit).
    """

    outcome: str
    distr: str
    levels: tuple
    coefficients: pd.DataFrame
    thresholds: pd.DataFrame
    n: int
    n_dropped: int
    llf: float
    llnull: float
    level: float
    converged: bool
    params: np.ndarray = field(repr=False)
    terms: _Terms = field(repr=False)
    variance: str = "maximum likelihood (observed information)"
    sum_w: float | None = None
    fit: object = field(default=None, repr=False)

    @property
    def survey(self) -> bool:
        """True when the fit is weighted / design-based (pseudo-likelihood, sandwich standard errors)."""
        return self.sum_w is not None

    @property
    def deviance(self) -> float:
        """Residual deviance −2 log L (R polr's "Residual Deviance"; weighted for a survey fit)."""
        return -2.0 * self.llf

    @property
    def aic(self) -> float:
        """AIC = −2 log L + 2 (number of coefficients + thresholds); not meaningful for a survey fit."""
        return self.deviance + 2.0 * (len(self.coefficients) + len(self.thresholds))

    @property
    def lr_test(self) -> tuple[float, int, float]:
        """Likelihood-ratio χ² of the predictors against the thresholds-only model: (chi2, df, p); NaN for a
        survey fit (the pseudo-likelihood ratio has no χ² distribution under a complex design)."""
        df = len(self.coefficients)
        if self.survey:
            return np.nan, df, np.nan
        chi2 = 2.0 * (self.llf - self.llnull)
        return chi2, df, float(stats.chi2.sf(chi2, df)) if df else np.nan

    @property
    def pseudo_r2(self) -> dict[str, float]:
        """McFadden 1 − ℓ/ℓ₀ (Stata's "Pseudo R2"); Cox-Snell 1 − exp(2(ℓ₀ − ℓ)/n); Nagelkerke = Cox-Snell /
        (1 − exp(2ℓ₀/n)). ℓ₀ is the thresholds-only log-likelihood Σ_k n_k log(n_k/n) (weighted: n = Σw)."""
        n = self.sum_w if self.survey else self.n
        cox_snell = 1.0 - np.exp(2.0 * (self.llnull - self.llf) / n)
        return {"mcfadden": 1.0 - self.llf / self.llnull, "cox_snell": cox_snell,
                "nagelkerke": cox_snell / (1.0 - np.exp(2.0 * self.llnull / n))}

    def to_frame(self) -> pd.DataFrame:
        """Coefficients and thresholds in one tidy table with a ``kind`` column ("coefficient"/"threshold")."""
        coefs = self.coefficients.assign(kind="coefficient")
        cuts = self.thresholds.rename(columns={"threshold": "term"}).assign(kind="threshold")
        cuts["statistic"] = cuts["estimate"] / cuts["se"]
        cuts["p"] = 2.0 * stats.norm.sf(np.abs(cuts["statistic"]))
        return pd.concat([coefs, cuts], ignore_index=True)[["kind", *coefs.columns.drop("kind")]]

    def predict(self, data: pd.DataFrame) -> pd.DataFrame:
        """Predicted probability of each outcome category for the rows of ``data`` (columns = levels)."""
        exog = self.terms.matrix(data)
        k = exog.shape[1]
        eta = exog @ self.params[:k]
        cum = _cdf(self.params[k:][None, :] - eta[:, None], self.distr)
        cum = np.hstack([np.zeros((len(eta), 1)), cum, np.ones((len(eta), 1))])
        return pd.DataFrame(np.diff(cum, axis=1), index=data.index, columns=list(self.levels))

    def summary(self) -> str:
        """A short plain-text report of the fit."""
        link = {"logit": "proportional-odds (logit)", "probit": "ordered probit"}[self.distr]
        pr2 = self.pseudo_r2
        head = f"n = {self.n}" + (f" ({self.n_dropped} dropped, listwise)" if self.n_dropped else "")
        if self.survey:
            fit = (f"; weighted (sum of weights {self.sum_w:,.1f}); standard errors: {self.variance}; "
                   f"pseudo-R² McFadden {pr2['mcfadden']:.4f}")
        else:
            chi2, df, p = self.lr_test
            fit = (f"; log-likelihood {self.llf:.3f}; LR chi2({df}) = {chi2:.2f}, p = {p:.3g}; "
                   f"pseudo-R² McFadden {pr2['mcfadden']:.4f}, Nagelkerke {pr2['nagelkerke']:.4f}")
        lines = [f"Ordinal regression of {self.outcome} ({link}); levels: {' < '.join(map(str, self.levels))}",
                 head + fit + ("" if self.converged else "; WARNING: the fit did not converge")]
        pct = f"{self.level:.0%}"
        for row in self.coefficients.itertuples(index=False):
            odds = (f"; OR {row.odds_ratio:.3f} [{row.or_ci_low:.3f}, {row.or_ci_high:.3f}]"
                    if self.distr == "logit" else "")
            lines.append(f"  {row.term}: {row.estimate:+.4f} (se {row.se:.4f}, p = {row.p:.3g}; {pct} CI "
                         f"[{row.ci_low:.3f}, {row.ci_high:.3f}]{odds})")
        lines.append("  thresholds: " + ", ".join(f"{t.threshold} {t.estimate:.4f} (se {t.se:.4f})"
                                                  for t in self.thresholds.itertuples(index=False)))
        return "\n".join(lines)


# ─── data preparation ──────────────────────────────────────────────────────────────────────────────────


def _outcome_codes(y: pd.Series, order: Sequence | None, where: str) -> tuple[np.ndarray, tuple]:
    """Integer codes 0..K-1 (NaN for missing) and the ordered levels of the outcome."""
    if order is not None:
        levels = tuple(order)
        if len(set(levels)) != len(levels):
            raise ValueError(f"{where}: order lists a level twice: {list(levels)}")
        values = y.astype("object")
        unknown = sorted({str(v) for v in values.dropna().unique() if v not in set(levels)})
        if unknown:
            raise ValueError(f"{where}: outcome {y.name!r} has values not in order: {unknown}; order is {list(levels)}")
        codes = pd.Categorical(values, categories=list(levels), ordered=True).codes.astype(float)
    elif isinstance(y.dtype, pd.CategoricalDtype):
        if not y.cat.ordered:
            raise ValueError(f"{where}: outcome {y.name!r} is an unordered categorical; make it ordered "
                             "(pd.Categorical(..., ordered=True)) or pass order=[lowest, ..., highest]")
        levels = tuple(y.cat.categories)
        codes = y.cat.codes.to_numpy().astype(float)
    elif pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        values = y.to_numpy(dtype="float64", na_value=np.nan)
        levels_arr = np.unique(values[~np.isnan(values)])
        levels = tuple(int(v) if float(v).is_integer() else float(v) for v in levels_arr)
        codes = np.searchsorted(levels_arr, values).astype(float)
    else:
        raise ValueError(f"{where}: outcome {y.name!r} has dtype {y.dtype} with no order; pass "
                         "order=[lowest, ..., highest], an ordered categorical, or numeric scale points")
    codes[codes < 0] = np.nan
    codes[pd.isna(y).to_numpy()] = np.nan
    return codes, levels


@dataclass(frozen=True)
class _Prepared:
    codes: np.ndarray  # 0..K-1 of the complete rows
    exog: np.ndarray
    keep: np.ndarray  # complete rows among all rows
    levels: tuple
    terms: _Terms


def _prepare(data: pd.DataFrame, outcome: str, predictors: list, order, w: np.ndarray | None,
             where: str) -> _Prepared:
    codes, levels = _outcome_codes(data[outcome], order, where)
    cat_levels = {}
    for p in predictors:
        col = data[p]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cat_levels[p] = tuple(col.cat.categories)
        elif not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            cat_levels[p] = tuple(sorted(col.dropna().astype("object").unique(), key=str))
    terms = _Terms(tuple(predictors), cat_levels)
    exog = terms.matrix(data)
    keep = ~np.isnan(codes) & ~np.isnan(exog).any(axis=1)
    if w is not None:
        keep &= w > 0
    codes, exog = codes[keep].astype(int), exog[keep]
    used = np.unique(codes)
    if used.size < 2:
        raise ValueError(f"{where}: outcome {outcome!r} has {used.size} distinct value(s) in the {keep.sum()} "
                         "complete rows; need at least 2 ordered levels")
    if exog.shape[0] <= exog.shape[1] + used.size - 1:
        empty = [p for p in predictors if data[p].isna().all()]
        raise ValueError(f"{where}: {exog.shape[0]} complete rows for {exog.shape[1] + used.size - 1} parameters"
                         + (f"; no answer at all in {', '.join(map(repr, empty))}" if empty else ""))
    flat = [t for t, s in zip(terms.names, exog.std(axis=0)) if not s > 0]
    if flat:
        raise ValueError(f"{where}: predictor term(s) {flat} are constant over the complete rows; expected variation")
    return _Prepared(np.searchsorted(used, codes), exog, keep, tuple(levels[i] for i in used), terms)


def _coefficient_table(names: list, est: np.ndarray, se: np.ndarray, level: float, distr: str) -> pd.DataFrame:
    z = stats.norm.ppf(0.5 + level / 2.0)
    coefs = pd.DataFrame({"term": names, "estimate": est, "se": se, "statistic": est / se,
                          "p": 2.0 * stats.norm.sf(np.abs(est / se)), "ci_low": est - z * se, "ci_high": est + z * se})
    if distr == "logit":
        coefs["odds_ratio"] = np.exp(coefs["estimate"])
        coefs["or_ci_low"] = np.exp(coefs["ci_low"])
        coefs["or_ci_high"] = np.exp(coefs["ci_high"])
    return coefs


def _threshold_table(levels: tuple, cuts: np.ndarray, se: np.ndarray, level: float) -> pd.DataFrame:
    z = stats.norm.ppf(0.5 + level / 2.0)
    return pd.DataFrame({"threshold": [f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:])], "estimate": cuts,
                         "se": se, "ci_low": cuts - z * se, "ci_high": cuts + z * se})


def _statsmodels_cuts(fit, k_exog: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut-points θ_k and their delta-method standard errors from statsmodels' parametrisation: θ_1 and log
    increments δ_k, θ_k = θ_1 + Σ_{i=2..k} exp(δ_i); J[k, 1] = 1, J[k, i] = exp(δ_i) for 2 ≤ i ≤ k."""
    raw = np.asarray(fit.params)[k_exog:]
    cov = np.asarray(fit.cov_params())[k_exog:, k_exog:]
    m = raw.size
    step = np.exp(raw[1:])
    cuts = raw[0] + np.concatenate([[0.0], np.cumsum(step)])
    jac = np.zeros((m, m))
    jac[:, 0] = 1.0
    rows, cols = np.tril_indices(m, k=0)
    inner = cols >= 1
    jac[rows[inner], cols[inner]] = step[cols[inner] - 1]
    return cuts, np.sqrt(np.clip(np.diag(jac @ cov @ jac.T), 0.0, None))


# ─── fitting ───────────────────────────────────────────────────────────────────────────────────────────


def _fit_unweighted(prep: _Prepared, distr: str, where: str, outcome: str):
    """statsmodels OrderedModel, BFGS then Newton to a zero score: (params as (β, θ), se of (β, θ), llf, ok, fit)."""
    model = OrderedModel(prep.codes, prep.exog, distr=distr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = model.fit(method="bfgs", maxiter=2000, disp=False)
        fit = model.fit(start_params=first.params, method="newton", maxiter=100, disp=False)
    converged = bool(fit.mle_retvals.get("converged", False)) and np.all(np.isfinite(fit.params))
    k = prep.exog.shape[1]
    cuts, cut_se = _statsmodels_cuts(fit, k)
    params = np.concatenate([np.asarray(fit.params)[:k], cuts])
    return params, np.concatenate([np.asarray(fit.bse)[:k], cut_se]), float(fit.llf), converged, fit


def _fit_survey(prep: _Prepared, distr: str, design: SurveyDesign):
    """Weighted likelihood by Newton; sandwich H⁻¹ V H⁻¹ with V the design covariance of the score totals."""
    w = design.w[prep.keep]
    lik = _Likelihood(prep.codes, prep.exog, len(prep.levels), distr)
    params, converged = _newton(lik, w, _start(prep.codes, w, len(prep.levels), prep.exog.shape[1], distr))
    bread = np.linalg.inv(lik.hessian(params, w))
    scores = np.zeros((design.n, lik.n_par))
    scores[prep.keep] = lik.scores(params) * w[:, None]  # rows outside the fit keep their place, score 0
    cov = bread @ design.score_vcov(scores) @ bread
    return params, np.sqrt(np.clip(np.diag(cov), 0.0, None)), lik.loglik(params, w), converged


def ordinal_regression(data: pd.DataFrame, outcome: str, predictors: Sequence[str], *,
                       design: SurveyDesign | None = None, weights=None, distr: str = "logit",
                       order: Sequence | None = None, level: float = 0.95) -> OrdinalResult:
    """Proportional-odds (``distr="logit"``) or ordered-probit regression of a Likert outcome.

    Model: P(Y ≤ k | x) = F(θ_k − xᵀβ), k = 1..K−1, F the logistic or normal CDF (McCullagh 1980; the
    parametrisation of R ``MASS::polr`` and Stata ``ologit``). A positive β shifts answers towards the higher
    categories; for the logit link exp(β) is the cumulative odds ratio, the same for every cut. Intervals
    are Wald: β ± z·se (the odds-ratio interval is its exponential, as Stata's ``ologit, or``).

    ``outcome``: an ordered categorical, numeric scale points (their sorted distinct values are the levels),
    or any values with ``order=[lowest, ..., highest]``. ``predictors``: numeric columns (NaN missing) used as
    is; categorical/string columns become treatment dummies against their first level, named ``col[level]``.
    Rows missing the outcome or a predictor are left out of the fit (listwise deletion; with a design they
    keep their place in it, as R's ``subset``). Levels nobody chose are dropped.

    Unweighted with no design: maximum likelihood (statsmodels ``OrderedModel``; checked against Stata
    ``ologit`` and R ``polr``). With ``weights`` or ``design`` (a :class:`~cfresearch.survey.design.SurveyDesign`
    with weights, strata, clusters, fpc, raking): the weighted likelihood with design-based sandwich standard
    errors, R ``survey::svyolr`` (see the module docstring).

    >>> rng = np.random.default_rng(3)
    >>> d = pd.DataFrame({"x": rng.normal(size=500)})
    >>> d["y"] = np.digitize(d["x"] + rng.logistic(size=500), [-1.0, 1.0])
    >>> res = ordinal_regression(d, "y", ["x"])
    >>> round(float(res.coefficients["estimate"][0]), 2), res.levels
    (0.93, (0, 1, 2))
    """
    where = "ordinal_regression"
    check_frame(data, where)
    check_choice(distr, _DISTR, where=where, what="distr")
    level = check_level(level, where=where)
    predictors = column_list(predictors, where=where, what="predictors")
    require_columns(data, [outcome, *predictors], where=where)
    if outcome in predictors or len(set(predictors)) != len(predictors):
        raise ValueError(f"{where}: predictors must be distinct and must not include the outcome {outcome!r}")
    survey = design is not None or weights is not None
    if survey:
        design = design_for(data, design, where=where, weights=weights)
    prep = _prepare(data, outcome, predictors, order, design.w if survey else None, where)
    if survey:
        params, se, llf, converged = _fit_survey(prep, distr, design)
        fit, variance = None, f"design-based sandwich ({design.describe()})"
        w = design.w[prep.keep]
    else:
        params, se, llf, converged, fit = _fit_unweighted(prep, distr, where, outcome)
        variance, w = "maximum likelihood (observed information)", np.ones(prep.codes.size)
    if not converged:
        warnings.warn(f"{where}: the {distr} fit of {outcome!r} did not converge; check for separation "
                      "(a level chosen by nobody in a predictor group)", ConvergenceWarning, stacklevel=2)
    k = prep.exog.shape[1]
    counts = np.bincount(prep.codes, w)
    return OrdinalResult(
        outcome=outcome, distr=distr, levels=prep.levels,
        coefficients=_coefficient_table(prep.terms.names, params[:k], se[:k], level, distr),
        thresholds=_threshold_table(prep.levels, params[k:], se[k:], level), n=int(prep.codes.size),
        n_dropped=int(len(data) - prep.codes.size), llf=llf, llnull=float(np.sum(counts * np.log(counts / w.sum()))),
        level=level, converged=converged, params=params, terms=prep.terms, variance=variance,
        sum_w=float(w.sum()) if survey else None, fit=fit)
