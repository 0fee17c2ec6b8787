"""Whole-table tests of a stub by a banner variable: do the columns differ at all?

* Categorical stub, unweighted, no design: Pearson's X² (scipy ``chi2_contingency`` without continuity
  correction).
* Categorical stub, weighted or with a design: the Rao–Scott (1984) second-order corrected F, exactly as R
  ``survey::svychisq(statistic = "F")``: the design effect matrix Δ = (C'D⁻¹C/N)⁻¹ C'D⁻¹VD⁻¹C of the cell
  proportions, F = X²/tr(Δ) on d = tr(Δ)²/tr(Δ²) and d·ν degrees of freedom (ν = #PSU − #strata), with V
  the Taylor-linearised covariance of the cell proportions (:mod:`cfresearch.survey.design`; a weighted
  table without strata or clusters treats each respondent as its own PSU). The first-order correction
  X²/mean(eig Δ) ~ χ²((r−1)(c−1)) (``statistic = "Chisq"``) is given too.
* Numeric stub, no design: one-way ANOVA F, weighted as the F-test of the group factor in a WLS regression
  (:func:`weighted_anova`).
* Numeric stub with strata or clusters: the design-based Wald F of equal column means (:func:`wald_f`), as
  R ``regTermTest(svyglm(y ~ column, design), ~column)``.

Every test takes aggregates (counts or sums per cell and design unit), not rows: the banner's one fused pass
computes them.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .design import SurveyDesign

__all__ = ["pearson", "rao_scott", "wald_f", "weighted_anova"]

_NAN = dict(statistic=np.nan, df1=np.nan, df2=np.nan, p=np.nan)


def _cell_cov(w_unit: np.ndarray, w2_unit: np.ndarray | None, design: SurveyDesign) -> tuple[np.ndarray, np.ndarray]:
    """Cell proportions p (K,) and their linearised covariance V (K, K) from per-unit weighted counts.

    ``w_unit`` (U, K): Σw per design unit (:meth:`SurveyDesign.units`) and cell; ``w2_unit`` (U, K): Σw²,
    needed without clusters, where the units are strata and every respondent is its own PSU."""
    total = w_unit.sum()
    p = w_unit.sum(axis=0) / total
    dom = w_unit.sum(axis=1)  # domain weight per unit
    z_unit = (w_unit - dom[:, None] * p[None, :]) / total  # unit totals of z_i = w_i (e_i − p)/W
    if design.clustered:  # the units are the PSUs
        return p, design.vcov_from_psu_totals(z_unit)
    _, _, unit_stratum = design.units()
    z_sum = np.zeros((design.n_strata, p.size))
    np.add.at(z_sum, unit_stratum, z_unit)
    s2 = w2_unit  # without clusters: Σ_i w_i² (e_i − p)(e_i − p)ᵀ / W² per stratum, from Σw² per cell
    s2t = s2.sum(axis=1)
    zz = (np.einsum("hk,kl->hkl", s2, np.eye(p.size)) - np.einsum("hk,l->hkl", s2, p)
          - np.einsum("k,hl->hkl", p, s2) + s2t[:, None, None] * np.outer(p, p)[None]) / total**2
    return p, design.stratum_cov(z_sum, zz)


def rao_scott(w_unit: np.ndarray, w2_unit: np.ndarray | None, design: SurveyDesign, n_obs: int,
              nu: float) -> dict[str, float]:
    """Rao–Scott second-order F (R ``svychisq(statistic = "F")``) and first-order χ² for an r×c table.

    ``w_unit`` (U, r, c) and ``w2_unit`` are the weighted counts (and Σw²) per design unit; empty rows and
    columns are dropped first (R forms the table from the observed categories). ``n_obs`` is the number of
    respondents in the table (R's N), ``nu`` the design degrees of freedom.
    """
    keep_r = w_unit.sum(axis=(0, 2)) > 0
    keep_c = w_unit.sum(axis=(0, 1)) > 0
    w_unit = w_unit[:, keep_r][:, :, keep_c]
    if w2_unit is not None:
        w2_unit = w2_unit[:, keep_r][:, :, keep_c]
    nr, nc = w_unit.shape[1:]
    if nr < 2 or nc < 2:
        return dict(_NAN, chisq_first_order=np.nan, p_first_order=np.nan, pearson=np.nan)
    k = nr * nc
    p, v = _cell_cov(w_unit.reshape(w_unit.shape[0], k),
                     None if w2_unit is None else w2_unit.reshape(w2_unit.shape[0], k), design)
    # cell k = r*nc + c; main effects X1 and the interaction columns of X12, residualised on X1 (R: Cmat)
    rr, cc = np.divmod(np.arange(k), nc)
    x1 = np.column_stack([np.ones(k)] + [(rr == i) * 1.0 for i in range(1, nr)] + [(cc == j) * 1.0
                                                                                 for j in range(1, nc)])
    x12 = np.column_stack([((rr == i) & (cc == j)) * 1.0 for i in range(1, nr) for j in range(1, nc)])
    q, _ = np.linalg.qr(x1)
    cmat = x12 - q @ (q.T @ x12)
    inv_p = np.where(p > 0, 1.0 / np.where(p > 0, p, 1.0), 0.0)
    a = cmat * inv_p[:, None]  # D⁻¹ C
    delta = np.linalg.solve(cmat.T @ a / n_obs, a.T @ v @ a)
    tr, tr2 = float(np.trace(delta)), float(np.trace(delta @ delta))
    table = p.reshape(nr, nc)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    x2 = float(n_obs * np.sum((table - expected) ** 2 / expected))
    d0 = tr**2 / tr2
    f = x2 / tr
    df = (nr - 1) * (nc - 1)
    chisq1 = x2 / (tr / df)
    return dict(statistic=f, df1=d0, df2=d0 * nu, p=float(stats.f.sf(f, d0, d0 * nu)),
                chisq_first_order=chisq1, p_first_order=float(stats.chi2.sf(chisq1, df)), pearson=x2)


def pearson(counts: np.ndarray) -> dict[str, float]:
    """Pearson's X² of an r×c table of counts (empty rows and columns dropped).

    >>> round(pearson(np.array([[10, 20], [20, 10]]))["statistic"], 4)
    6.6667
    """
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        return dict(_NAN)
    n = counts.sum()
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / n
    x2 = float(np.sum((counts - expected) ** 2 / expected))
    df = (counts.shape[0] - 1) * (counts.shape[1] - 1)
    return dict(statistic=x2, df1=float(df), df2=np.nan, p=float(stats.chi2.sf(x2, df)))


def weighted_anova(sw: np.ndarray, swx: np.ndarray, swx2: np.ndarray, count: np.ndarray) -> dict[str, float]:
    """One-way ANOVA F of a (weighted) mean across groups from per-group sums Σw, Σwx, Σwx², n.

    F = [(RSS₀ − RSS₁)/(k − 1)] / [RSS₁/(n − k)] with weighted residual sums of squares — the F-test of the
    group factor in a WLS regression (statsmodels ``WLS(y, dummies, weights=w)``); unweighted it is
    scipy ``f_oneway``. Groups with no observations are left out.

    >>> r = weighted_anova(*(np.array(v) for v in ([3, 3], [6, 9], [14, 29], [3, 3])))
    >>> round(r["statistic"], 4), r["df1"], r["df2"]
    (1.5, 1.0, 4.0)
    """
    keep = count > 0
    sw, swx, swx2, count = sw[keep], swx[keep], swx2[keep], count[keep]
    k, n = int(keep.sum()), float(count.sum())
    if k < 2 or n - k <= 0:
        return dict(_NAN)
    rss1 = float(np.sum(swx2 - swx**2 / sw))
    rss0 = float(swx2.sum() - swx.sum() ** 2 / sw.sum())
    df1, df2 = k - 1, n - k
    f = ((rss0 - rss1) / df1) / (rss1 / df2) if rss1 > 0 else np.inf
    return dict(statistic=f, df1=float(df1), df2=df2, p=float(stats.f.sf(f, df1, df2)))


def wald_f(means: np.ndarray, vcov: np.ndarray, design_df: float) -> dict[str, float]:
    """Design-based Wald F of H₀: all column means equal, from the means and their linearised covariance.

    X² = (Lμ)ᵀ (L V Lᵀ)⁻¹ (Lμ) with L the k − 1 differences from the last column (any full set of contrasts
    gives the same X²); F = X²/(k − 1) on k − 1 and ν + 1 − k degrees of freedom (ν = #PSU − #strata): R
    ``regTermTest(svyglm(y ~ group, design), ~group)``, whose denominator df is the residual df of the
    saturated model. Columns with no estimate are left out.

    >>> wald_f(np.array([1.0, 2.0]), np.array([[0.25, 0.0], [0.0, 0.25]]), 30)["statistic"]
    2.0
    """
    keep = np.isfinite(means) & np.isfinite(np.diag(vcov))
    mu, v = means[keep], vcov[np.ix_(keep, keep)]
    k = mu.size
    if k < 2:
        return dict(_NAN)
    contrast = np.hstack([np.eye(k - 1), -np.ones((k - 1, 1))])
    diff = contrast @ mu
    x2 = float(diff @ np.linalg.pinv(contrast @ v @ contrast.T) @ diff)
    df1, df2 = float(k - 1), float(design_df + 1 - k)
    if df2 <= 0:
        return dict(statistic=x2 / df1, df1=df1, df2=df2, p=np.nan)
    return dict(statistic=x2 / df1, df1=df1, df2=df2, p=float(stats.f.sf(x2 / df1, df1, df2)))
