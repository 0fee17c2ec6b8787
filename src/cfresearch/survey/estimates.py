"""Design-based estimates: weighted means, proportions and totals with Taylor-linearised standard errors.

:func:`weighted_estimate` estimates a mean, the proportion of every category, or a total, overall or for
domains (``by``), from weighted survey data with an optional stratified, clustered design:

* Point estimates: Ŷ = Σ wᵢyᵢ, ȳ = Σ wᵢyᵢ / Σ wᵢ, p̂_k = Σ wᵢ·1[yᵢ = k] / Σ wᵢ.
* Variance by Taylor linearisation (Woodruff 1971; Binder 1983): each estimate is replaced by its
  linearised score zᵢ (wᵢyᵢ for a total, wᵢ(yᵢ − ȳ)/Σw for a mean or proportion), the scores are summed per
  primary sampling unit (PSU), and V = Σ_h (1 − f_h)·n_h/(n_h − 1)·Σ_j (z_hj − z̄_h)(z_hj − z̄_h)ᵀ — the
  with-replacement ("ultimate cluster") estimator that R ``survey`` (default) and Stata ``svy`` use, with the
  optional finite population correction f_h = n_h/N_h. Strata with one PSU contribute nothing (a warning is
  given; R's ``lonely.psu="certainty"``).
* Domains (``by``) and missing values are handled the R/Stata way: rows outside the domain or with a missing
  value keep their place in the design with a zero score (Stata ``subpop``; R ``svyby``/``subset``), never
  by subsetting the data, so domains that share PSUs get the right variances and covariances. All domains and
  categories are linearised jointly in one pass, which gives their covariance matrix (used by
  :func:`weighted_mean_diff_test` and :func:`cfresearch.survey.waves.wave_change`).
* Raked or post-stratified weights (``raking=``, a :class:`~cfresearch.survey.weighting.RakeResult`): the
  scores are replaced by their residuals from the base-weighted regression on the raking margins' dummies
  (the calibration-estimator variance of Deville & Särndal 1992, JASA 87:376-382), what R ``survey`` does
  for ``rake()``/``postStratify()`` designs. Without it the weights are treated as fixed (samplics, Stata
  ``svy`` with a plain ``pweight``), which usually overstates the SE of variables related to the margins.
* Confidence intervals use the normal quantile, like R's ``confint(svymean(...))``; ``df="design"`` switches
  to Student t with the design degrees of freedom #PSU − #strata (Stata's default), or pass a number.
* ``deff`` is the design effect against simple random sampling of the same size (Kish 1965; Stata
  ``estat effects``): V / [s²_w/n · (1 − n/Σw)], with s²_w the weighted population-variance estimate; the
  factor (1 − n/Σw) only when the design has an ``fpc`` (R ``svymean(deff=TRUE)`` always applies it).
  ``effective_n`` is Kish's (Σw)²/Σw² of the domain's weights.

Everything is computed from bincounts over (PSU, domain, category) keys — no loops over rows or domains.

Validated against the Stata manual (``svy: mean zinc`` on NHANES II: 87.182067, SE 0.494483), R ``survey``
4.5 on ``apiclus1`` (means, totals, proportions, domain means, svyttest, raked and post-stratified SEs), and
svy 0.35 / samplics 0.6 run side by side.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from cfresearch.checks import weights_array
from cfresearch.survey.weighting import RakeResult, _factorize

__all__ = ["weighted_estimate", "weighted_mean_diff_test"]

_KINDS = ("auto", "mean", "proportion", "total")


# ─── the design ───────────────────────────────────────────────────────────────────────────────────────


@dataclass
class _Design:
    psu: np.ndarray  # PSU code per row, unique across strata (intp)
    psu_stratum: np.ndarray  # stratum code per PSU
    n_psu: int
    n_strata: int
    scale: np.ndarray  # per PSU: (1 - f_h) n_h / (n_h - 1), 0 for singleton strata
    has_fpc: bool = False

    @property
    def df(self) -> int:
        return self.n_psu - self.n_strata


def _column_codes(data: pd.DataFrame, cols, what: str) -> tuple[np.ndarray, list]:
    """Codes for one or several columns combined (row-wise tuples), -1 where any is missing."""
    cols = [cols] if isinstance(cols, (str, int)) or not isinstance(cols, Sequence) else list(cols)
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ValueError(f"{what}: columns {missing!r} are not in data")
    codes, cats = [], []
    for c in cols:
        cc, cv = _factorize(data[c])
        codes.append(cc)
        cats.append(cv)
    if len(cols) == 1:
        return codes[0], cats[0]
    bad = np.zeros(len(data), dtype=bool)
    for cc in codes:
        bad |= cc < 0
    sizes = [max(len(c), 1) for c in cats]
    key = np.ravel_multi_index([np.maximum(cc, 0) for cc in codes], sizes)
    key = np.where(bad, -1, key)
    uniq, inv = np.unique(key[~bad], return_inverse=True)
    out = np.full(len(data), -1, dtype=np.intp)
    out[~bad] = inv
    idx = np.unravel_index(uniq, sizes)
    labels = [tuple(cats[j][idx[j][u]] for j in range(len(cols))) for u in range(uniq.size)]
    return out, labels


def _make_design(data: pd.DataFrame, strata, clusters, fpc) -> _Design:
    n = len(data)
    if strata is None:
        s_code, n_strata = np.zeros(n, dtype=np.intp), 1
    else:
        s_code, s_cats = _column_codes(data, strata, "strata")
        if (s_code < 0).any():
            raise ValueError(f"strata {strata!r}: {int((s_code < 0).sum())} rows have a missing stratum")
        n_strata = len(s_cats)
    if clusters is None:
        psu = np.arange(n, dtype=np.intp)
    else:
        c_code, c_cats = _column_codes(data, clusters, "clusters")
        if (c_code < 0).any():
            raise ValueError(f"clusters {clusters!r}: {int((c_code < 0).sum())} rows have a missing cluster id")
        # PSUs are nested in strata (R nest=TRUE): the same id in two strata is two PSUs.
        psu_key = s_code.astype(np.int64) * max(len(c_cats), 1) + c_code
        psu, _ = pd.factorize(psu_key, sort=False)
        psu = psu.astype(np.intp)
    n_psu = int(psu.max()) + 1 if n else 0
    psu_stratum = np.zeros(n_psu, dtype=np.intp)
    psu_stratum[psu] = s_code
    n_h = np.bincount(psu_stratum, minlength=n_strata).astype(float)
    f_h = np.zeros(n_strata)
    if fpc is not None:
        if isinstance(fpc, str):
            if fpc not in data.columns:
                raise ValueError(f"fpc: column {fpc!r} not in data")
            vals = data[fpc].to_numpy(dtype=float)
            if not np.all(np.isfinite(vals)) or np.any(vals <= 0):
                raise ValueError(f"fpc {fpc!r}: needs a positive population size (or sampling fraction) on every row")
            per_h = np.zeros(n_strata)
            per_h[s_code] = vals
        else:
            per_h = np.full(n_strata, float(fpc))
            if not per_h[0] > 0:
                raise ValueError(f"fpc must be positive; got {fpc!r}")
        f_h = np.where(per_h < 1, per_h, n_h / per_h)  # < 1: a sampling fraction; else the population size
        if np.any(f_h > 1 + 1e-12):
            bad = np.flatnonzero(f_h > 1 + 1e-12)
            raise ValueError(f"fpc: population size below the number of sampled units/PSUs in strata {bad.tolist()}")
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_h = np.where(n_h > 1, (1 - f_h) * n_h / (n_h - 1), 0.0)
    if np.any(n_h == 1):
        warnings.warn(f"{int((n_h == 1).sum())} strata have a single PSU; they add nothing to the variance "
                      "(R lonely.psu='certainty')", RuntimeWarning, stacklevel=3)
    return _Design(psu=psu, psu_stratum=psu_stratum, n_psu=n_psu, n_strata=n_strata, scale=scale_h[psu_stratum],
                   has_fpc=fpc is not None)


def _vcov_from_psu_totals(t: np.ndarray, design: _Design) -> np.ndarray:
    """V = Σ_h scale_h Σ_j (t_hj − t̄_h)(t_hj − t̄_h)ᵀ from the PSU totals t (PSUs × estimates)."""
    h = design.psu_stratum
    n_h = np.bincount(h, minlength=design.n_strata).astype(float)
    member = sparse.csr_matrix((np.ones(h.size), (h, np.arange(h.size))), shape=(design.n_strata, h.size))
    mean_h = np.asarray(member @ t) / np.maximum(n_h, 1)[:, None]
    dev = t - mean_h[h]
    return (dev * design.scale[:, None]).T @ dev


# ─── inputs ───────────────────────────────────────────────────────────────────────────────────────────


def _weights(data: pd.DataFrame, weights, raking: RakeResult | None) -> np.ndarray:
    if weights is None:
        if raking is None:
            return np.ones(len(data))
        weights = raking.weights.to_numpy(dtype=float)
    return weights_array(data, weights, where="weights")


def _check_raking(data: pd.DataFrame, raking: RakeResult | None) -> None:
    if raking is None:
        return
    if not isinstance(raking, RakeResult):
        raise ValueError(f"raking must be a RakeResult from rake() or post_stratify(); got {type(raking).__name__}")
    if raking.cell.size != len(data) or not raking.weights.index.equals(data.index):
        raise ValueError("raking: the RakeResult was computed on different rows (its weights' index must equal "
                         "data.index); estimate on the full raked data and use `by` for domains")


@dataclass
class _Core:
    """Joint linearisation of J = domains × categories estimates."""

    estimate: np.ndarray  # (J,)
    vcov: np.ndarray  # (J, J)
    table: pd.DataFrame  # one row per estimate: [by], [category], n, sum_w, effective_n, vsrs
    design: _Design
    kind: str


def _typed(values: np.ndarray, like: pd.Series):
    """Labels with the dtype of the column they came from (categoricals keep their categories and order)."""
    if isinstance(like.dtype, pd.CategoricalDtype):
        return pd.Categorical(values, dtype=like.dtype)
    try:
        return pd.array(values, dtype=like.dtype) if like.dtype != object else values
    except (TypeError, ValueError):
        return values


def _resolve_kind(series: pd.Series, kind: str, variable: str) -> tuple[str, bool]:
    """(kind, categorical?)"""
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}; got {kind!r}")
    is_num = pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype) \
        and not pd.api.types.is_bool_dtype(series.dtype)
    if kind == "auto":
        return ("mean", False) if is_num else ("proportion", True)
    if kind == "mean" and not is_num:
        raise ValueError(f"kind='mean': column {variable!r} is {series.dtype}, expected a numeric column "
                         "(use kind='proportion' for a categorical)")
    if kind == "proportion":
        return "proportion", True
    return kind, not is_num


def _core(data: pd.DataFrame, variable: str, *, weights=None, kind="auto", by=None, strata=None, clusters=None,
          fpc=None, raking: RakeResult | None = None, category=None) -> _Core:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    if variable not in data.columns:
        raise ValueError(f"variable {variable!r} is not a column of data")
    _check_raking(data, raking)
    n = len(data)
    if n == 0:
        raise ValueError("data has no rows")
    w = _weights(data, weights, raking)
    design = _make_design(data, strata, clusters, fpc)
    kind, categorical = _resolve_kind(data[variable], kind, variable)

    # domains
    if by is None:
        dom, dom_labels, by_cols = np.zeros(n, dtype=np.intp), [None], []
    else:
        by_cols = [by] if isinstance(by, str) else list(by)
        dom, dom_labels = _column_codes(data, by_cols, "by")
        if len(dom_labels) == 0:
            raise ValueError(f"by {by!r}: no rows with a domain value")
    n_dom = len(dom_labels)

    # outcome: y (numeric) or category codes
    if categorical:
        cat, cat_labels = _factorize(data[variable])
        if category is not None:
            match = [i for i, c in enumerate(cat_labels) if c == category or str(c) == str(category)]
            if not match:
                raise ValueError(f"category {category!r} does not occur in {variable!r} (categories: {cat_labels!r})")
        else:
            match = list(range(len(cat_labels)))
        valid = cat >= 0
        n_cat = len(cat_labels)
        y = None
    else:
        y = data[variable].to_numpy(dtype=float)
        valid = np.isfinite(y)
        cat, cat_labels, n_cat, match = None, [None], 1, [0]
        if category is not None:
            raise ValueError("category= only applies to categorical variables (or kind='proportion')")
    valid &= dom >= 0
    all_valid = bool(valid.all())
    sel = slice(None) if all_valid else valid  # skip the boolean compress when nothing is missing
    if not valid.any():
        raise ValueError(f"variable {variable!r}: no valid (non-missing) values in any domain")

    # per (domain, category) sums — J = n_dom * n_cat columns, column j = d * n_cat + k
    j_count = n_dom * n_cat
    d_v = dom[sel]
    w_v = w[sel]
    sum_w = np.bincount(d_v, w_v, minlength=n_dom)
    cnt = np.bincount(d_v, minlength=n_dom)
    sum_w2 = np.bincount(d_v, w_v * w_v, minlength=n_dom)
    if categorical:
        jcode = d_v * n_cat + cat[sel]
        wv = np.bincount(jcode, w_v, minlength=j_count)  # Σ w·1[c=k] per domain
    else:
        y_v = y[sel]
        jcode = d_v
        wv = np.bincount(jcode, w_v * y_v, minlength=j_count)
    sw_j = np.repeat(sum_w, n_cat)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = wv / sw_j
    estimate = ratio if kind in ("mean", "proportion") else wv

    # linearised scores summed by group g (PSU or raking cell) for row weights a:
    #   mean/prop: G[g, j] = (Σ_{g,d} a·v − est_j Σ_{g,d} a) / Σw_d ;  total: G[g, j] = Σ_{g,d} a·v
    def group_sums(g_codes: np.ndarray, n_g: int, a: np.ndarray) -> np.ndarray:
        g_v = g_codes[sel]
        a_v = a[sel]
        gd = g_v * n_dom + d_v if n_dom > 1 else g_v
        if categorical:
            av = np.bincount(gd * n_cat + cat[sel], a_v, minlength=n_g * j_count).reshape(n_g, j_count)
        else:
            av = np.bincount(gd, a_v * y_v, minlength=n_g * n_dom).reshape(n_g, j_count)
        if kind == "total":
            return av
        a_sum = np.bincount(gd, a_v, minlength=n_g * n_dom).reshape(n_g, n_dom)
        a_sum = np.repeat(a_sum, n_cat, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (av - estimate[None, :] * a_sum) / sw_j[None, :]
        return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)

    t = group_sums(design.psu, design.n_psu, w)
    if raking is not None:
        # residuals from the base-weighted regression on the margin dummies X (cells × p):
        # B = (Xᵀ D X)⁺ Xᵀ G_d ;  PSU totals of the scores lose Σ_{i∈psu} wᵢ (X B)_{cell(i)}
        cell = raking.cell
        x = raking.cell_dummies
        n_cells = x.shape[0]
        base = raking.base_weights
        g_d = group_sums(cell, n_cells, base)  # Σ_{cell} dᵢ uᵢ  (uᵢ = zᵢ / wᵢ)
        d_cell = np.bincount(cell, base, minlength=n_cells)
        xtdx = x.T @ (x * d_cell[:, None])
        beta = np.linalg.pinv(xtdx, rcond=1e-12) @ (x.T @ g_d)
        fitted = x @ beta  # (cells, J)
        w_pc = sparse.csr_matrix((w, (design.psu, cell)), shape=(design.n_psu, n_cells))
        t = t - w_pc @ fitted
    vcov = _vcov_from_psu_totals(t, design)

    # SRS variance for deff: without replacement (1 − n/N̂) when the design has an fpc, else with replacement
    # (Stata estat effects; R svymean(deff=TRUE) always applies 1 − n/N̂)
    if categorical:
        s2 = ratio * (1 - ratio)  # Σw(v − p)²/Σw
    else:
        resid = y_v - np.nan_to_num(ratio)[d_v]
        s2 = np.bincount(d_v, w_v * resid * resid, minlength=n_dom) / np.where(sum_w > 0, sum_w, np.nan)
        s2 = np.repeat(s2, n_cat)
    cnt_j = np.repeat(cnt, n_cat).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = s2 * cnt_j / (cnt_j - 1)
        vsrs = s2 / cnt_j * (np.clip(1 - cnt_j / sw_j, 0, None) if design.has_fpc else 1.0)
        if kind == "total":
            vsrs = vsrs * sw_j**2

    rows = {}
    if by_cols:
        if len(by_cols) == 1:
            rows[by_cols[0]] = _typed(np.repeat(np.array(dom_labels, dtype=object), n_cat), data[by_cols[0]])
        else:
            for i, c in enumerate(by_cols):
                rows[c] = _typed(np.repeat(np.array([lab[i] for lab in dom_labels], dtype=object), n_cat), data[c])
    if categorical:
        rows["category"] = _typed(np.tile(np.array(cat_labels, dtype=object), n_dom), data[variable])
    rows["n"] = np.repeat(cnt, n_cat)
    rows["sum_w"] = sw_j
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["effective_n"] = np.repeat(sum_w**2 / sum_w2, n_cat)
    rows["vsrs"] = vsrs
    table = pd.DataFrame(rows)
    keep = np.array([d * n_cat + k for d in range(n_dom) for k in match], dtype=np.intp)
    return _Core(estimate=estimate[keep], vcov=vcov[np.ix_(keep, keep)],
                 table=table.iloc[keep].reset_index(drop=True), design=design, kind=kind)


def _crit(level: float, df) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}")
    if df is None:
        return float(stats.norm.ppf(0.5 + level / 2))
    return float(stats.t.ppf(0.5 + level / 2, df))


def _resolve_df(df, design: _Design):
    if df is None:
        return None
    if isinstance(df, str):
        if df != "design":
            raise ValueError(f"df must be None (normal), 'design' (#PSU − #strata) or a number; got {df!r}")
        return max(design.df, 1)
    if not float(df) > 0:
        raise ValueError(f"df must be positive; got {df!r}")
    return float(df)


# ─── public API ───────────────────────────────────────────────────────────────────────────────────────


def weighted_estimate(
    data: pd.DataFrame,
    variable: str,
    *,
    weights: str | Sequence[float] | np.ndarray | None = None,
    kind: str = "auto",
    by: str | Sequence[str] | None = None,
    strata: str | Sequence[str] | None = None,
    clusters: str | Sequence[str] | None = None,
    fpc: str | float | None = None,
    raking: RakeResult | None = None,
    level: float = 0.95,
    category: Hashable | None = None,
    df: int | float | str | None = None,
) -> pd.DataFrame:
    """Weighted mean, proportions or total of ``variable`` with design-based (Taylor) standard errors.

    Parameters
    ----------
    data : one row per respondent (the whole sample: domains are selected with ``by``, never by subsetting).
    variable : column to estimate. ``kind="auto"`` gives the mean of a numeric column and the proportion of
        every category of a categorical/string/boolean column.
    weights : column name or array (default: ``raking.weights`` if ``raking`` is given, else 1).
    kind : ``"auto"``, ``"mean"``, ``"proportion"`` (of each distinct value, numeric columns included) or
        ``"total"`` (Σwy for numeric columns, the estimated population count per category otherwise).
    by : domain column(s); one block of rows per domain (rows with a missing domain value belong to none).
    strata, clusters : design stratum and PSU columns (PSUs nested in strata). None = unstratified / each
        row its own PSU.
    fpc : population number of PSUs per stratum (column or number), or a sampling fraction (< 1).
    raking : the :class:`~cfresearch.survey.weighting.RakeResult` that produced the weights, so the SE
        reflects the raking (calibration residuals); computed on the same rows as ``data``.
    level : confidence level. ``df``: None = normal quantile (R default), ``"design"`` = t with #PSU − #strata
        degrees of freedom (Stata default), or a number.
    category : for a categorical, only report this category.

    Returns
    -------
    DataFrame with [by columns], [``category``], ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n``
    (unweighted valid base in the domain), ``sum_w`` (weighted base), ``effective_n`` (Kish) and ``deff``
    (design effect against simple random sampling; see the module docstring).

    Example
    -------
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1, 1, 2, 2], "psu": [1, 1, 2, 2]})
    >>> weighted_estimate(df, "y", weights="w", clusters="psu")[["estimate", "se"]].round(4)
       estimate      se
    0    2.8333  0.8889
    """
    core = _core(data, variable, weights=weights, kind=kind, by=by, strata=strata, clusters=clusters, fpc=fpc,
                 raking=raking, category=category)
    se = np.sqrt(np.clip(np.diag(core.vcov), 0, None))
    crit = _crit(level, _resolve_df(df, core.design))
    out = core.table.drop(columns="vsrs")
    cols = list(out.columns[: len(out.columns) - 3])
    out.insert(len(cols), "estimate", core.estimate)
    out.insert(len(cols) + 1, "se", se)
    out.insert(len(cols) + 2, "ci_low", core.estimate - crit * se)
    out.insert(len(cols) + 3, "ci_high", core.estimate + crit * se)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["deff"] = se**2 / core.table["vsrs"].to_numpy()
    return out


def weighted_mean_diff_test(
    data: pd.DataFrame,
    variable: str,
    *,
    by: str,
    groups: tuple[Hashable, Hashable] | None = None,
    weights: str | Sequence[float] | np.ndarray | None = None,
    kind: str = "auto",
    category: Hashable | None = None,
    strata: str | Sequence[str] | None = None,
    clusters: str | Sequence[str] | None = None,
    fpc: str | float | None = None,
    raking: RakeResult | None = None,
    level: float = 0.95,
    df: int | float | str | None = None,
) -> pd.DataFrame:
    """Design-based test of the difference between two domains' means (or proportions of ``category``).

    diff = est_b − est_a with Var = V_aa + V_bb − 2·V_ab from the joint linearisation of both domains in the
    same design (domains share PSUs, so they are not independent). statistic = diff / se, referred to the
    normal distribution (``df=None``) or to Student t with ``df`` degrees of freedom (``"design"`` =
    #PSU − #strata; R ``svyttest`` uses #PSU − #strata − 1). ``groups=(a, b)`` picks the two levels of
    ``by``; by default ``by`` must have exactly two levels, in their sorted/category order.

    Returns a one-row DataFrame: group_a, group_b, estimate_a, estimate_b, diff, se, statistic, df, p_value,
    ci_low, ci_high.
    """
    core = _core(data, variable, weights=weights, kind=kind, by=by, strata=strata, clusters=clusters, fpc=fpc,
                 raking=raking, category=category)
    labels = list(core.table[by])
    if "category" in core.table.columns and core.table["category"].nunique() > 1:
        raise ValueError(f"{variable!r} is categorical: pass category= to compare one category's proportion")
    if groups is None:
        if len(labels) != 2:
            raise ValueError(f"by {by!r} has {len(labels)} levels {labels!r}; pass groups=(a, b)")
        ia, ib = 0, 1
    else:
        def _find(g):
            hits = [i for i, lab in enumerate(labels) if lab == g or str(lab) == str(g)]
            if not hits:
                raise ValueError(f"group {g!r} is not a level of {by!r} (levels: {labels!r})")
            return hits[0]
        ia, ib = _find(groups[0]), _find(groups[1])
    v = core.vcov
    diff = core.estimate[ib] - core.estimate[ia]
    se = float(np.sqrt(max(v[ia, ia] + v[ib, ib] - 2 * v[ia, ib], 0.0)))
    dfv = _resolve_df(df, core.design)
    stat = diff / se if se > 0 else np.nan
    p = 2 * (stats.norm.sf(abs(stat)) if dfv is None else stats.t.sf(abs(stat), dfv))
    crit = _crit(level, dfv)
    return pd.DataFrame([{
        "group_a": labels[ia], "group_b": labels[ib],
        "estimate_a": core.estimate[ia], "estimate_b": core.estimate[ib],
        "diff": diff, "se": se, "statistic": stat, "df": np.inf if dfv is None else dfv, "p_value": p,
        "ci_low": diff - crit * se, "ci_high": diff + crit * se,
    }])
