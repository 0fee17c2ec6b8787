"""Column comparisons of a banner table: which columns are significantly higher, marked with letters.

The Displayr/Q/SPSS Custom Tables convention: every non-total column of a banner variable gets a letter
(A, B, C, … running across the banner; AA, AB, … after Z), columns are compared pairwise only within their
own banner variable, and a letter in cell X means X is significantly HIGHER than the column carrying that
letter: uppercase when the (corrected) two-sided p-value is below 1 − ``level``, lowercase when it is below
1 − ``lower_level`` only.

The variance of a difference of two columns, Var(x₁ − x₂), depends on how the sample was drawn:

* **No strata or clusters** (weights at most), the SPSS Custom Tables tests on the Kish effective base
  e = (Σw)²/Σw²: percentages by the pooled two-proportion z-test, p̄(1 − p̄)(1/e₁ + 1/e₂) with
  p̄ = (e₁p₁ + e₂p₂)/(e₁ + e₂) (statsmodels ``proportions_ztest``); means by the two-sample t-test with the
  weighted variance s² = Σw(x − x̄)²/Σw · e/(e − 1), pooled (``equal_var=True``, scipy ``ttest_ind``) or Welch.
* **Overlapping columns** (a multi-response set as a banner variable: one respondent in several columns,
  the "overlap" of Dimensions/quantipy): the variance loses twice the covariance the shared respondents
  induce, C₁₂ = Σ_{i∈1∩2} wᵢ²(yᵢ − ȳ₁)(yᵢ − ȳ₂)/(W₁W₂) (the linearisation covariance of two overlapping
  domain means; for percentages evaluated at p̄ under the null), and the t-test's degrees of freedom are
  e₁ + e₂ − e₁₂ − 2 with e₁₂ the effective base of the overlap. Disjoint columns have C₁₂ = 0 and the tests
  above; identical columns have Var = 0 and are not tested.
* **Strata or clusters** (a :class:`~cfresearch.survey.design.SurveyDesign`): the design-based variance of
  the difference, V₁₁ + V₂₂ − 2V₁₂, from the Taylor-linearised covariance of the column estimates (columns
  share PSUs, and overlap too), referred to Student t on the design's #PSU − #strata degrees of freedom (as
  Stata ``svy: mean, over()`` with ``lincom``, SPSS Complex Samples).

Multiple comparisons: the family is one row of one banner variable (all pairs of its tested columns);
``"bonferroni"`` multiplies each p by the number of pairs (SPSS); ``"fdr"`` applies Benjamini–Hochberg
(1995) within the same family.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import stats

__all__ = ["benjamini_hochberg", "column_letters", "compare", "design_difference", "kish_difference", "letters"]

CORRECTIONS = ("none", "bonferroni", "fdr")


def column_letters(k: int) -> list[str]:
    """A, B, …, Z, AA, AB, … (spreadsheet style) for ``k`` columns.

    >>> column_letters(28)[-3:]
    ['Z', 'AA', 'AB']
    """
    out = []
    for i in range(k):
        s, j = "", i
        while True:
            s = chr(65 + j % 26) + s
            j = j // 26 - 1
            if j < 0:
                break
        out.append(s)
    return out


def benjamini_hochberg(p: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values along the last axis; NaN entries are not part of the family.

    ``m`` is the family size per leading index (number of non-NaN p).

    >>> benjamini_hochberg(np.array([[0.01, 0.04, 0.03]]), np.array([3])).round(3).tolist()
    [[0.03, 0.04, 0.04]]
    """
    shape = p.shape
    flat = p.reshape(-1, shape[-1])
    mm = m.reshape(-1)
    order = np.argsort(np.where(np.isnan(flat), np.inf, flat), axis=1)
    ps = np.take_along_axis(flat, order, axis=1)
    rank = np.arange(1, flat.shape[1] + 1)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = ps * mm[:, None] / rank
    adj = np.where(np.isnan(adj), np.inf, adj)
    adj = np.minimum.accumulate(adj[:, ::-1], axis=1)[:, ::-1]  # step-up: running minimum from the largest
    adj = np.minimum(adj, 1.0)
    out = np.empty_like(flat)
    np.put_along_axis(out, order, adj, axis=1)
    out[np.isnan(flat)] = np.nan
    return out.reshape(shape)


def kish_difference(v: np.ndarray, neff: np.ndarray, var: np.ndarray, is_pct: np.ndarray, *, equal_var: bool,
                    overlap: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Var(x_i − x_j) and the test's degrees of freedom (inf = normal) for every row and column pair, on the
    Kish effective bases ``neff`` (R, K): percentage rows (``is_pct``, values are shares) by the pooled
    proportion test, mean rows by the pooled or Welch t-test with variances ``var``.

    ``overlap`` = (C, e_o): the covariances C (R, K, K) of columns that share respondents (for percentage rows
    centred at p̄, :func:`pooled_share`) and the overlap's effective bases e_o (R, K, K); see the module
    docstring."""
    with np.errstate(invalid="ignore", divide="ignore"):
        vi, vj = v[:, :, None], v[:, None, :]
        ni, nj = neff[:, :, None], neff[:, None, :]
        pbar = (vi * ni + vj * nj) / (ni + nj)
        d_prop = pbar * (1 - pbar) * (1 / ni + 1 / nj)
        vri, vrj = var[:, :, None], var[:, None, :]
        if equal_var:
            df_m = ni + nj - 2
            d_mean = ((ni - 1) * vri + (nj - 1) * vrj) / df_m * (1 / ni + 1 / nj)
        else:
            a, b = vri / ni, vrj / nj
            d_mean = a + b
            df_m = (a + b) ** 2 / (a**2 / (ni - 1) + b**2 / (nj - 1))
        pct = is_pct[:, None, None]
        diff_var = np.where(pct, d_prop, d_mean)
        df = np.where(pct, np.inf, df_m)
        if overlap is not None:
            cov, e_o = overlap
            diff_var = diff_var - 2 * cov
            df = np.where(pct, np.inf, df - e_o)
    return diff_var, df


def pooled_share(v: np.ndarray, neff: np.ndarray) -> np.ndarray:
    """p̄ = (e_i p_i + e_j p_j)/(e_i + e_j) for every row and column pair (R, K, K)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ni, nj = neff[:, :, None], neff[:, None, :]
        return (v[:, :, None] * ni + v[:, None, :] * nj) / (ni + nj)


def design_difference(vcov: np.ndarray) -> np.ndarray:
    """Var(x_i − x_j) = V_ii + V_jj − 2 V_ij for every row's covariance matrix ``vcov`` (R, K, K)."""
    d = np.diagonal(vcov, axis1=1, axis2=2)
    return d[:, :, None] + d[:, None, :] - 2 * vcov


def _p_values(v: np.ndarray, diff_var: np.ndarray, df: np.ndarray, tested: np.ndarray) -> np.ndarray:
    """Two-sided p of (v_i − v_j)/√Var for every tested pair i ≠ j; NaN elsewhere."""
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = (v[:, :, None] - v[:, None, :]) / np.sqrt(diff_var)
        p = np.where(np.isinf(df), 2 * stats.norm.sf(np.abs(stat)), 2 * stats.t.sf(np.abs(stat), df))
    k = v.shape[1]
    ok = tested[:, :, None] & tested[:, None, :] & ~np.eye(k, dtype=bool)[None] & np.isfinite(p) & (diff_var > 0)
    return np.where(ok, p, np.nan)


def _adjusted(p: np.ndarray, correction: str) -> np.ndarray:
    k = p.shape[1]
    iu = np.triu_indices(k, 1)
    fam = p[:, iu[0], iu[1]]  # each pair once
    m = np.sum(~np.isnan(fam), axis=1)
    if correction == "bonferroni":
        fam = np.minimum(fam * m[:, None], 1.0)
    elif correction == "fdr":
        fam = benjamini_hochberg(fam, m)
    out = np.full_like(p, np.nan)
    out[:, iu[0], iu[1]] = fam
    out[:, iu[1], iu[0]] = fam
    return out


def _join(mask: np.ndarray, letters_: np.ndarray) -> np.ndarray:
    """(R, K, K) boolean 'column i beats column j' → (R, K) strings of the letters of the beaten columns."""
    r, k, _ = mask.shape
    parts = [np.where(mask[:, :, j], letters_[j], "") for j in range(k)]
    return functools.reduce(np.add, parts, np.full((r, k), "", dtype=object))


def compare(v: np.ndarray, diff_var: np.ndarray, df: np.ndarray, tested: np.ndarray,
            correction: str) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided p-values of every tested pair (R, K, K), raw and corrected within each row's family."""
    p = _p_values(v, diff_var, df, tested)
    return p, _adjusted(p, correction)


def letters(v: np.ndarray, p_adjusted: np.ndarray, labels: list[str], *, level: float,
            lower_level: float | None) -> np.ndarray:
    """The letters of every cell (R, K): uppercase for pairs whose corrected p is below 1 − ``level``,
    lowercase for those below 1 − ``lower_level`` only.

    >>> v = np.array([[0.6, 0.4]])
    >>> _, padj = compare(v, np.full((1, 2, 2), 0.0025), np.full((1, 2, 2), np.inf), np.ones((1, 2), bool), "none")
    >>> letters(v, padj, ["A", "B"], level=0.95, lower_level=None).tolist()
    [['B', '']]
    """
    higher = v[:, :, None] > v[:, None, :]
    upper = higher & (p_adjusted < 1 - level)
    lower = np.zeros_like(upper) if lower_level is None else higher & (p_adjusted < 1 - lower_level) & ~upper
    up = np.array(labels, dtype=object)
    return _join(upper, up) + _join(lower, np.array([x.lower() for x in labels], dtype=object))
