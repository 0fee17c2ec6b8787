"""Ordinal regression for Likert-type outcomes: the proportional-odds (cumulative logit) and probit models.

:func:`ordinal_regression` fits P(Y ≤ k | x) = F(θ_k − xᵀβ) with statsmodels' ``OrderedModel`` (the model of
R ``MASS::polr`` and Stata ``ologit``/``oprobit``) and returns a tidy result: coefficients with Wald
intervals (and odds ratios for the logit link), the thresholds θ_k with delta-method standard errors,
McFadden / Cox-Snell / Nagelkerke pseudo-R², the likelihood-ratio test against the thresholds-only model, n.

Survey weights are not supported: ``OrderedModel`` has no weights, and a weighted fit needs design-based
(linearisation) standard errors, as R ``survey::svyolr`` computes; a naive weighted likelihood would give
wrong standard errors, so a ``weights`` argument raises instead of pretending.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning

__all__ = ["OrdinalResult", "ordinal_regression"]

_DISTR = ("logit", "probit")


@dataclass(frozen=True)
class _Design:
    """How predictors become model columns (numeric as is; categorical as treatment dummies)."""

    predictors: tuple[str, ...]
    levels: dict[str, tuple] = field(default_factory=dict)  # categorical predictor -> its levels (first = base)

    @property
    def terms(self) -> list[str]:
        out: list[str] = []
        for p in self.predictors:
            out += [f"{p}[{lev}]" for lev in self.levels[p][1:]] if p in self.levels else [p]
        return out

    def matrix(self, df: pd.DataFrame) -> np.ndarray:
        cols = []
        for p in self.predictors:
            if p in self.levels:
                values = df[p].astype("object").to_numpy()
                isna = pd.isna(df[p]).to_numpy()
                for lev in self.levels[p][1:]:
                    cols.append(np.where(isna, np.nan, (values == lev).astype(float)))
            else:
                cols.append(df[p].to_numpy(dtype="float64", na_value=np.nan))
        return np.column_stack(cols) if cols else np.empty((len(df), 0))


@dataclass(frozen=True)
class OrdinalResult:
    """A fitted ordinal regression (see :func:`ordinal_regression`).

    ``coefficients``: term, coef, se, z, p, ci_low, ci_high (+ odds_ratio, or_ci_low, or_ci_high for logit).
    ``thresholds``: threshold ("a|b", as R polr names them), value, se, ci_low, ci_high.
    ``fit`` is the statsmodels results object, for anything not summarised here.
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
    fit: object = field(repr=False)
    design: _Design = field(repr=False)

    @property
    def deviance(self) -> float:
        """Residual deviance −2 log L (R polr's "Residual Deviance")."""
        return -2.0 * self.llf

    @property
    def aic(self) -> float:
        """AIC = −2 log L + 2 (number of coefficients + thresholds)."""
        return self.deviance + 2.0 * (len(self.coefficients) + len(self.thresholds))

    @property
    def lr_test(self) -> tuple[float, int, float]:
        """Likelihood-ratio χ² of the predictors against the thresholds-only model: (chi2, df, p)."""
        chi2 = 2.0 * (self.llf - self.llnull)
        df = len(self.coefficients)
        return chi2, df, float(stats.chi2.sf(chi2, df)) if df else np.nan

    @property
    def pseudo_r2(self) -> dict[str, float]:
        """McFadden 1 − ℓ/ℓ₀ (Stata's "Pseudo R2"); Cox-Snell 1 − exp(2(ℓ₀ − ℓ)/n); Nagelkerke = Cox-Snell /
        (1 − exp(2ℓ₀/n)). ℓ₀ is the thresholds-only log-likelihood Σ_k n_k log(n_k/n)."""
        cox_snell = 1.0 - np.exp(2.0 * (self.llnull - self.llf) / self.n)
        return {"mcfadden": 1.0 - self.llf / self.llnull, "cox_snell": cox_snell,
                "nagelkerke": cox_snell / (1.0 - np.exp(2.0 * self.llnull / self.n))}

    def to_frame(self) -> pd.DataFrame:
        """Coefficients and thresholds in one tidy table with a ``kind`` column ("coefficient"/"threshold")."""
        coefs = self.coefficients.assign(kind="coefficient")
        cuts = self.thresholds.rename(columns={"threshold": "term", "value": "coef"}).assign(kind="threshold")
        cuts["z"] = cuts["coef"] / cuts["se"]
        cuts["p"] = 2.0 * stats.norm.sf(np.abs(cuts["z"]))
        return pd.concat([coefs, cuts], ignore_index=True)[["kind", *coefs.columns.drop("kind")]]

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        """Predicted probability of each outcome category for the rows of ``df`` (columns = levels)."""
        exog = self.design.matrix(df)
        probs = self.fit.model.predict(self.fit.params, exog=exog)
        return pd.DataFrame(probs, index=df.index, columns=list(self.levels))

    def summary(self) -> str:
        """A short plain-text report of the fit."""
        link = {"logit": "proportional-odds (logit)", "probit": "ordered probit"}[self.distr]
        chi2, df, p = self.lr_test
        pr2 = self.pseudo_r2
        lines = [
            f"Ordinal regression of {self.outcome} ({link}); levels: {' < '.join(map(str, self.levels))}",
            f"n = {self.n}" + (f" ({self.n_dropped} dropped, listwise)" if self.n_dropped else "")
            + f"; log-likelihood {self.llf:.3f}; LR chi2({df}) = {chi2:.2f}, p = {p:.3g}; "
            f"pseudo-R² McFadden {pr2['mcfadden']:.4f}, Nagelkerke {pr2['nagelkerke']:.4f}"
            + ("" if self.converged else "; WARNING: the fit did not converge"),
        ]
        pct = f"{self.level:.0%}"
        for row in self.coefficients.itertuples(index=False):
            odds = (f"; OR {row.odds_ratio:.3f} [{row.or_ci_low:.3f}, {row.or_ci_high:.3f}]"
                    if self.distr == "logit" else "")
            lines.append(f"  {row.term}: {row.coef:+.4f} (se {row.se:.4f}, p = {row.p:.3g}; {pct} CI "
                         f"[{row.ci_low:.3f}, {row.ci_high:.3f}]{odds})")
        lines.append("  thresholds: " + ", ".join(f"{t.threshold} {t.value:.4f} (se {t.se:.4f})"
                                                  for t in self.thresholds.itertuples(index=False)))
        return "\n".join(lines)


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


def _threshold_table(fit, k_exog: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut-points θ_k and their delta-method standard errors.

    statsmodels parametrises the thresholds as θ_1 and log increments δ_k: θ_k = θ_1 + Σ_{i=2..k} exp(δ_i).
    The Jacobian J has J[k, 1] = 1 and J[k, i] = exp(δ_i) for 2 ≤ i ≤ k, so Cov(θ) = J Cov(θ_1, δ) Jᵀ.
    """
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
    se = np.sqrt(np.clip(np.diag(jac @ cov @ jac.T), 0.0, None))
    return cuts, se


def ordinal_regression(df: pd.DataFrame, outcome: str, predictors: Sequence[str], *, distr: str = "logit",
                       weights=None, order: Sequence | None = None, level: float = 0.95) -> OrdinalResult:
    """Proportional-odds (``distr="logit"``) or ordered-probit regression of a Likert outcome.

    Model: P(Y ≤ k | x) = F(θ_k − xᵀβ), k = 1..K−1, F the logistic or normal CDF (McCullagh 1980; the
    parametrisation of R ``MASS::polr`` and Stata ``ologit``; fitted by statsmodels ``OrderedModel``, BFGS then
    Newton to a zero score). A positive β shifts answers towards the higher categories; for the logit link
    exp(β) is the cumulative odds ratio, the same for every cut. Intervals are Wald: β ± z·se (the odds-ratio
    interval is its exponential, as Stata's ``ologit, or``), not R's profile-likelihood ``confint``.

    ``outcome``: an ordered categorical, numeric scale points (their sorted distinct values are the levels),
    or any values with ``order=[lowest, ..., highest]``. ``predictors``: numeric columns (NaN missing) used as
    is; categorical/string columns become treatment dummies against their first level, named ``col[level]``.
    Rows missing the outcome or a predictor are dropped (listwise deletion). Levels nobody chose are dropped.

    ``weights`` must be None: see the module docstring (statsmodels' ``OrderedModel`` has no weights, and
    design-based standard errors as in R ``survey::svyolr`` are not implemented).
    """
    where = "ordinal_regression"
    if weights is not None:
        raise ValueError(f"{where}: weights are not supported. statsmodels OrderedModel has no weights, and "
                         "a weighted ordinal fit needs design-based standard errors (R survey::svyolr), which "
                         "cfresearch does not implement; fit unweighted (weights=None) and report it as such")
    if distr not in _DISTR:
        raise ValueError(f"{where}: distr must be one of {_DISTR}; got {distr!r}")
    if isinstance(predictors, str):
        raise ValueError(f"{where}: predictors must be a list of column names")
    predictors = list(predictors)
    missing = [c for c in [outcome, *predictors] if c not in df.columns]
    if missing:
        raise ValueError(f"{where}: no column(s) {missing}; columns are {list(df.columns)}")
    if outcome in predictors or len(set(predictors)) != len(predictors):
        raise ValueError(f"{where}: predictors must be distinct and must not include the outcome {outcome!r}")
    if not 0 < level < 1:
        raise ValueError(f"{where}: level must be between 0 and 1; got {level!r}")

    codes, levels = _outcome_codes(df[outcome], order, where)
    cat_levels = {}
    for p in predictors:
        col = df[p]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cat_levels[p] = tuple(col.cat.categories)
        elif not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            cat_levels[p] = tuple(sorted(col.dropna().astype("object").unique(), key=str))
    design = _Design(tuple(predictors), cat_levels)
    exog = design.matrix(df)
    keep = ~np.isnan(codes) & ~np.isnan(exog).any(axis=1)
    n_dropped = int(len(df) - keep.sum())
    codes, exog = codes[keep].astype(int), exog[keep]
    used = np.unique(codes)
    if used.size < 2:
        raise ValueError(f"{where}: outcome {outcome!r} has {used.size} distinct value(s) in the {keep.sum()} "
                         "complete rows; need at least 2 ordered levels")
    levels = tuple(levels[i] for i in used)
    codes = np.searchsorted(used, codes)
    terms = design.terms
    if exog.shape[0] <= exog.shape[1] + used.size - 1:
        raise ValueError(f"{where}: {exog.shape[0]} complete rows for {exog.shape[1] + used.size - 1} parameters")
    flat = [t for t, s in zip(terms, exog.std(axis=0)) if not s > 0]
    if flat:
        raise ValueError(f"{where}: predictor term(s) {flat} are constant over the complete rows; expected variation")

    model = OrderedModel(codes, exog, distr=distr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = model.fit(method="bfgs", maxiter=2000, disp=False)
        fit = model.fit(start_params=first.params, method="newton", maxiter=100, disp=False)
    converged = bool(fit.mle_retvals.get("converged", False)) and np.all(np.isfinite(fit.params))
    if not converged:
        warnings.warn(f"{where}: the {distr} fit of {outcome!r} did not converge; check for separation "
                      "(a level chosen by nobody in a predictor group)", ConvergenceWarning, stacklevel=2)

    k = exog.shape[1]
    z = stats.norm.ppf(0.5 + level / 2.0)
    params, bse = np.asarray(fit.params)[:k], np.asarray(fit.bse)[:k]
    coefs = pd.DataFrame({"term": terms, "coef": params, "se": bse, "z": params / bse,
                          "p": 2.0 * stats.norm.sf(np.abs(params / bse)),
                          "ci_low": params - z * bse, "ci_high": params + z * bse})
    if distr == "logit":
        coefs["odds_ratio"] = np.exp(coefs["coef"])
        coefs["or_ci_low"] = np.exp(coefs["ci_low"])
        coefs["or_ci_high"] = np.exp(coefs["ci_high"])
    cuts, cut_se = _threshold_table(fit, k)
    thresholds = pd.DataFrame({"threshold": [f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:])],
                               "value": cuts, "se": cut_se, "ci_low": cuts - z * cut_se,
                               "ci_high": cuts + z * cut_se})
    counts = np.bincount(codes)
    n = int(codes.size)
    llnull = float(np.sum(counts * np.log(counts / n)))
    return OrdinalResult(outcome=outcome, distr=distr, levels=levels, coefficients=coefs, thresholds=thresholds,
                         n=n, n_dropped=n_dropped, llf=float(fit.llf), llnull=llnull, level=level,
                         converged=converged, fit=fit, design=design)
