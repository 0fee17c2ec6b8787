"""The survey design: how respondents were sampled and weighted, and the one engine for design-based variances.

A notebook builds the design once, from the data it describes, and passes it to every analysis::

    design = survey_design(data, weights="weight", strata="region", clusters="store_id", raking=weighting)
    weighted_estimate(data, "csat", design=design)
    banner(data, stubs, columns, design=design)

:class:`SurveyDesign` holds the design's columns (weights, strata, clusters, finite population correction)
and, when the weights were raked or post-stratified, the :class:`~cfresearch.survey.weighting.RakeResult`,
plus the arrays every analysis needs (each row's weight, stratum and primary sampling unit), computed once.
Like R's ``svydesign`` it is bound to the rows it was built from: an analysis checks that ``data`` has the
same index (add columns to ``data`` freely; do not reorder or subset it: select domains with ``by``).

Variance estimation (Taylor linearisation; Woodruff 1971, Binder 1983). An estimate is replaced by its
linearised score zᵢ (e.g. wᵢ(yᵢ − ȳ)/Σw for a mean), the scores are totalled per PSU, and

    V = Σ_h (1 − f_h) · n_h/(n_h − 1) · Σ_j (z_hj − z̄_h)(z_hj − z̄_h)ᵀ

— the with-replacement ("ultimate cluster") estimator of R ``survey`` (default) and Stata ``svy``, with the
optional finite population correction f_h = n_h/N_h. Without clusters each respondent is its own PSU.
Strata with a single PSU add nothing (R's ``lonely.psu = "certainty"``; a warning says how many). With
raking, the scores are first replaced by their residuals from the base-weighted regression on the raking
margins' dummies (the calibration variance of Deville & Särndal 1992, JASA 87:376-382, as R ``survey`` does
for ``rake()`` / ``postStratify()`` designs). The design degrees of freedom are #PSU − #strata.

Three entry points share these arrays and the formula:

* :func:`linearise_ratios`: means, proportions and totals over domains, from bincounts over
  (PSU, domain, category) keys without materialising row scores (estimates, waves, NPS);
* :meth:`SurveyDesign.score_vcov`: the covariance of the totals of any row scores (model-based estimating
  equations: the ordinal model's sandwich variance, as R ``svyolr``);
* :meth:`SurveyDesign.units` and :meth:`SurveyDesign.stratum_cov`: the same variance from per-unit
  aggregates (banner tables, whose counts come from one fused pass).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse, stats

from cfresearch.categories import encode, encode_joint
from cfresearch.checks import check_choice, check_frame, check_level, require_columns, weights_array
from cfresearch.results import Result

from .weighting import RakeResult, effective_n_of_sums

__all__ = ["Linearised", "SurveyDesign", "critical_value", "design_for", "linearise_ratios", "survey_design"]

_CHUNK = 1 << 15


def _names(value, where: str, what: str) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (str, int)):
        return (value,)
    if isinstance(value, Sequence):
        return tuple(value)
    raise ValueError(f"{where}: {what} must be a column name or a list of them; got {type(value).__name__}")


@dataclass(frozen=True, eq=False)
class SurveyDesign(Result):
    """A survey design bound to the rows of one data set (see the module docstring; build with
    :func:`survey_design`)."""

    weights: str | None
    strata: tuple
    clusters: tuple
    fpc: str | float | None
    raking: RakeResult | None = field(repr=False)
    index: pd.Index = field(repr=False)
    w: np.ndarray = field(repr=False)  # weight per row (1 when unweighted)
    row_stratum: np.ndarray = field(repr=False)  # stratum code per row
    psu: np.ndarray = field(repr=False)  # PSU code per row, unique across strata (the row itself without clusters)
    psu_stratum: np.ndarray = field(repr=False)  # stratum code per PSU
    stratum_size: np.ndarray = field(repr=False)  # n_h: PSUs per stratum (rows without clusters)
    fpc_fraction: np.ndarray = field(repr=False)  # f_h per stratum (0 without fpc)
    weighted: bool = True

    # ── sizes ──
    @property
    def n(self) -> int:
        """Number of respondents (rows)."""
        return int(self.w.size)

    @property
    def n_strata(self) -> int:
        return int(self.stratum_size.size)

    @property
    def n_psu(self) -> int:
        return int(self.psu_stratum.size)

    @property
    def clustered(self) -> bool:
        return bool(self.clusters)

    @property
    def df(self) -> int:
        """Design degrees of freedom: #PSU − #strata (rows − strata without clusters)."""
        return self.n_psu - self.n_strata

    @property
    def is_simple(self) -> bool:
        """True when there are neither strata, clusters nor raking (weights at most)."""
        return not self.strata and not self.clusters and self.raking is None

    @cached_property
    def stratum_scale(self) -> np.ndarray:
        """(1 − f_h) n_h/(n_h − 1) per stratum; 0 for a stratum with one PSU (it adds no variance)."""
        n_h = self.stratum_size
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n_h > 1, (1.0 - self.fpc_fraction) * n_h / (n_h - 1), 0.0)

    @cached_property
    def psu_weight(self) -> np.ndarray:
        """Σw per PSU."""
        return np.bincount(self.psu, self.w, minlength=self.n_psu)

    # ── protocol ──
    def describe(self) -> str:
        """One line: weights, strata, clusters, fpc, raking and the design degrees of freedom."""
        parts = [f"weights {self.weights!r}" if self.weights else ("weighted" if self.weighted else "unweighted")]
        if self.strata:
            parts.append(f"{self.n_strata} strata ({', '.join(map(str, self.strata))})")
        if self.clusters:
            parts.append(f"{self.n_psu:,} PSUs ({', '.join(map(str, self.clusters))})")
        if self.fpc is not None:
            parts.append(f"fpc {self.fpc!r}")
        if self.raking is not None:
            parts.append(f"{self.raking.method} on {', '.join(self.raking.variables)}")
        return "; ".join(parts) + f"; design df {self.df:,}"

    def to_frame(self) -> pd.DataFrame:
        """One row: n, sum_w, effective_n (Kish), deff (Kish, n·Σw²/(Σw)²), strata, psus, df."""
        sw, sw2 = float(self.w.sum()), float(np.dot(self.w, self.w))
        return pd.DataFrame([{"n": self.n, "sum_w": sw, "effective_n": effective_n_of_sums(sw, sw2),
                              "deff": self.n * sw2 / sw**2, "strata": self.n_strata, "psus": self.n_psu,
                              "df": self.df}])

    def summary(self) -> str:
        row = self.to_frame().iloc[0]
        return (f"Survey design: {self.describe()}.\n{self.n:,} respondents, weighted total {row['sum_w']:,.1f}; "
                f"Kish design effect of the weights {row['deff']:.2f} (effective base {row['effective_n']:,.0f}).")

    # ── binding ──
    def check_rows(self, data: pd.DataFrame, where: str) -> None:
        """ValueError unless ``data`` has the rows the design was built from (same index, same order)."""
        if len(data) != self.n or not data.index.equals(self.index):
            raise ValueError(f"{where}: the design was built on other rows ({self.n:,} rows) than the data "
                             f"({len(data):,} rows); build it from this data with survey_design(data, ...), and "
                             "select domains with by= instead of subsetting the data")

    def restrict(self, data: pd.DataFrame) -> SurveyDesign:
        """The design of a subset of the rows (``data``, whose index is part of this design's): the same
        weights, strata, clusters and fpc on those rows, and the raking restricted to them.

        For a part of the sample that was drawn and weighted as a sample of its own — one wave of a tracker
        raked by :func:`~cfresearch.survey.weighting.rake_by` — this is its design. For any other part
        (a region, a segment) keep the whole design and select the part with ``by=`` (domain estimation).

        >>> d = pd.DataFrame({"wave": [1, 1, 2, 2], "y": [1.0, 2, 3, 4], "w": [1, 2, 1, 2]})
        >>> survey_design(d, weights="w").restrict(d[d["wave"] == 2]).n
        2
        """
        pos = self.index.get_indexer(data.index)
        if (pos < 0).any() or len(data) == 0:
            raise ValueError(f"SurveyDesign.restrict: the rows must be some of the design's rows ({len(data)} "
                             f"given, {int((pos < 0).sum())} not in the design)")
        weights = self.weights if self.weights else self.w[pos] if self.weighted else None
        raking = self.raking.restrict(data.index) if self.raking is not None else None
        return survey_design(data, weights=weights, strata=self.strata or None, clusters=self.clusters or None,
                             fpc=self.fpc, raking=raking)

    # ── the variance engine ──
    def vcov_from_psu_totals(self, t: np.ndarray) -> np.ndarray:
        """V = Σ_h scale_h Σ_j (t_hj − t̄_h)(t_hj − t̄_h)ᵀ from PSU totals ``t`` (PSUs × estimates)."""
        h = self.psu_stratum
        member = sparse.csr_matrix((np.ones(h.size), (h, np.arange(h.size))), shape=(self.n_strata, h.size))
        mean_h = np.asarray(member @ t) / np.maximum(self.stratum_size, 1)[:, None]
        dev = t - mean_h[h]
        return (dev * self.stratum_scale[h][:, None]).T @ dev

    def stratum_cov(self, z_sum: np.ndarray, zz: np.ndarray) -> np.ndarray:
        """The same V from per-stratum moments of the PSU totals: ``z_sum`` (H, K) = Σ_j z_hj and ``zz``
        (H, K, K) = Σ_j z_hj z_hjᵀ: V = Σ_h scale_h [zz_h − z_sum_h z_sum_hᵀ / n_h]."""
        n_h = np.where(self.stratum_size > 0, self.stratum_size, 1)
        centred = zz - np.einsum("hk,hl->hkl", z_sum, z_sum) / n_h[:, None, None]
        return np.einsum("h,hkl->kl", self.stratum_scale, centred)

    def units(self) -> tuple[np.ndarray, int, np.ndarray]:
        """Aggregation units for tables: (unit code per row, number of units, stratum of each unit). The units
        are the PSUs of a clustered design; without clusters they are the strata, and tables then need the
        per-stratum sums of squared weights (each respondent is its own PSU)."""
        if self.clustered:
            return self.psu, self.n_psu, self.psu_stratum
        return self.row_stratum, self.n_strata, np.arange(self.n_strata, dtype=np.intp)

    def calibrated(self, t: np.ndarray, base_group_sums) -> np.ndarray:
        """PSU totals of the scores after raking: t − Σ_{i∈psu} wᵢ (X β)_{cell(i)} with
        β = (XᵀDX)⁺ Xᵀ G, G[c] = Σ_{i∈c} dᵢ uᵢ the base-weighted cell sums of uᵢ = zᵢ/wᵢ (Deville & Särndal
        1992). ``base_group_sums(cell, n_cells, d)`` returns G; without raking ``t`` is returned as it is."""
        r = self.raking
        if r is None:
            return t
        x = r.cell_dummies
        g = base_group_sums(r.cell, x.shape[0], r.base_weights)
        beta = self._calibration[0] @ (x.T @ g)
        return t - self._calibration[1] @ (x @ beta)

    @cached_property
    def _calibration(self) -> tuple[np.ndarray, sparse.csr_matrix]:
        """What raking residuals need besides the scores, once per design: (XᵀDX)⁺ of the margin dummies
        X with the base weights per cell D, and the Σw per (PSU, raking cell) matrix."""
        r = self.raking
        x = r.cell_dummies
        n_cells = x.shape[0]
        d_cell = np.bincount(r.cell, r.base_weights, minlength=n_cells)
        return (np.linalg.pinv(x.T @ (x * d_cell[:, None]), rcond=1e-12),
                sparse.csr_matrix((self.w, (self.psu, r.cell)), shape=(self.n_psu, n_cells)))

    def score_vcov(self, scores: np.ndarray) -> np.ndarray:
        """Design-based covariance of the totals Σᵢ zᵢ of row scores ``scores`` (n × p, already weighted:
        zᵢ = wᵢ uᵢ), with raking residuals when the design was raked. Used for estimating equations (the
        sandwich variance H⁻¹ V H⁻¹ of a weighted model fit)."""
        z = np.asarray(scores, dtype=float)
        z = z.reshape(self.n, -1)
        one_hot = sparse.csr_matrix((np.ones(self.n), (self.psu, np.arange(self.n))), shape=(self.n_psu, self.n))
        t = np.asarray(one_hot @ z) if self.clustered else z

        def base_sums(cell, n_cells, d):
            with np.errstate(divide="ignore", invalid="ignore"):
                u = np.where(self.w[:, None] > 0, z / self.w[:, None], 0.0)
            onehot_c = sparse.csr_matrix((d, (cell, np.arange(self.n))), shape=(n_cells, self.n))
            return np.asarray(onehot_c @ u)

        return self.vcov_from_psu_totals(self.calibrated(t, base_sums))


def survey_design(data: pd.DataFrame, *, weights: str | Sequence[float] | np.ndarray | None = None,
                  strata: str | Sequence[str] | None = None, clusters: str | Sequence[str] | None = None,
                  fpc: str | float | None = None, raking: RakeResult | None = None) -> SurveyDesign:
    """Build the :class:`SurveyDesign` of ``data`` once, to pass to every analysis as ``design=``.

    ``weights``: a weight column or one weight per row (default: ``raking.weights`` when ``raking`` is given,
    else 1). ``strata``, ``clusters``: stratum and primary-sampling-unit columns (one or several each; PSUs
    are nested in strata: the same id in two strata is two PSUs, R's ``nest = TRUE``). ``fpc``: the
    population number of PSUs per stratum (a column or one number) or the sampling fraction (all values ≤ 1).
    ``raking``: the :class:`~cfresearch.survey.weighting.RakeResult` that produced the weights, computed on
    the same rows, so variances reflect the raking.

    >>> d = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1, 1, 2, 2], "stratum": ["a", "a", "b", "b"],
    ...                   "psu": [1, 2, 1, 2]})
    >>> design = survey_design(d, weights="w", strata="stratum", clusters="psu")
    >>> print(design.describe())
    weights 'w'; 2 strata (stratum); 4 PSUs (psu); design df 2
    """
    where = "survey_design"
    check_frame(data, where)
    if raking is not None:
        _check_raking(data, raking, where)
    strata, clusters = _names(strata, where, "strata"), _names(clusters, where, "clusters")
    w = (weights_array(data, weights, where=where) if weights is not None else
         raking.weights.to_numpy(dtype=float) if raking is not None else np.ones(len(data)))
    n = len(data)
    if n == 0:
        raise ValueError(f"{where}: data has no rows")
    s_code, n_strata = _stratum_codes(data, strata, where)
    psu = _psu_codes(data, clusters, s_code, where)
    n_psu = int(psu.max()) + 1
    psu_stratum = np.zeros(n_psu, dtype=np.intp)
    psu_stratum[psu] = s_code
    size = np.bincount(psu_stratum, minlength=n_strata).astype(float)
    lonely = int((size == 1).sum())
    if lonely:
        warnings.warn(f"{where}: {lonely} strata have a single PSU; they add nothing to the variance (R "
                      "lonely.psu = 'certainty')", RuntimeWarning, stacklevel=2)
    return SurveyDesign(
        weights=weights if isinstance(weights, str) else None, strata=strata, clusters=clusters, fpc=fpc,
        raking=raking, index=data.index, w=w, row_stratum=s_code, psu=psu, psu_stratum=psu_stratum,
        stratum_size=size, fpc_fraction=_fpc_fraction(data, fpc, s_code, size, where),
        weighted=weights is not None or raking is not None)


def _check_raking(data: pd.DataFrame, raking: RakeResult, where: str) -> None:
    if not isinstance(raking, RakeResult):
        raise ValueError(f"{where}: raking must be a RakeResult from rake() or post_stratify(); got "
                         f"{type(raking).__name__}")
    if raking.cell.size != len(data) or not raking.weights.index.equals(data.index):
        raise ValueError(f"{where}: the RakeResult was computed on different rows (its weights' index must equal "
                         "data.index); rake the full data and select domains with by=")


def _stratum_codes(data: pd.DataFrame, strata: tuple, where: str) -> tuple[np.ndarray, int]:
    if not strata:
        return np.zeros(len(data), dtype=np.intp), 1
    codes, cats = encode_joint(data, list(strata), where=where)
    if (codes < 0).any():
        raise ValueError(f"{where}: strata {list(strata)}: {int((codes < 0).sum())} row(s) have a missing stratum")
    return codes, len(cats)


def _psu_codes(data: pd.DataFrame, clusters: tuple, s_code: np.ndarray, where: str) -> np.ndarray:
    if not clusters:
        return np.arange(len(data), dtype=np.intp)
    c_code, c_cats = encode_joint(data, list(clusters), where=where)
    if (c_code < 0).any():
        raise ValueError(f"{where}: clusters {list(clusters)}: {int((c_code < 0).sum())} row(s) have a missing "
                         "cluster id")
    key = s_code.astype(np.int64) * max(len(c_cats), 1) + c_code  # PSUs nested in strata
    codes, _ = encode(pd.Series(key, copy=False))
    return codes


def _fpc_fraction(data: pd.DataFrame, fpc, s_code: np.ndarray, size: np.ndarray, where: str) -> np.ndarray:
    """Sampling fraction f_h per stratum from a population count of PSUs or a fraction (values ≤ 1)."""
    n_strata = size.size
    if fpc is None:
        return np.zeros(n_strata)
    if isinstance(fpc, str):
        vals = weights_array(data, fpc, where=where, what="fpc")
        if np.any(vals <= 0):
            raise ValueError(f"{where}: fpc {fpc!r} needs a positive population size (or sampling fraction) on "
                             "every row")
        per = np.full(n_strata, np.nan)
        per[s_code] = vals
    else:
        if not (isinstance(fpc, (int, float, np.integer, np.floating)) and fpc > 0):
            raise ValueError(f"{where}: fpc must be a column name or a positive number; got {fpc!r}")
        per = np.full(n_strata, float(fpc))
    if np.all(per <= 1):
        return per
    if np.any(per < 1):
        raise ValueError(f"{where}: fpc mixes sampling fractions (≤ 1) and population sizes (> 1); give one kind")
    if np.any(per < size):
        bad = np.flatnonzero(per < size).tolist()
        raise ValueError(f"{where}: fpc gives fewer population PSUs than were sampled in strata {bad}; give the "
                         "population count of PSUs per stratum (or a sampling fraction ≤ 1)")
    return size / per


def design_for(data: pd.DataFrame, design: SurveyDesign | None, *, where: str, weights=None, strata=None,
               clusters=None, fpc=None, raking: RakeResult | None = None) -> SurveyDesign:
    """The design of an analysis: ``design`` (checked against ``data``'s rows), or one built from the keyword
    arguments (a function takes one or the other, not both)."""
    if design is None:
        return survey_design(data, weights=weights, strata=strata, clusters=clusters, fpc=fpc, raking=raking)
    if not isinstance(design, SurveyDesign):
        raise ValueError(f"{where}: design must be a SurveyDesign from survey_design(); got {type(design).__name__}")
    given = [k for k, v in (("weights", weights), ("strata", strata), ("clusters", clusters), ("fpc", fpc),
                            ("raking", raking)) if v is not None]
    if given:
        raise ValueError(f"{where}: give design= or {'/'.join(given)}=, not both (the design already says "
                         "how the data were sampled and weighted)")
    design.check_rows(data, where)
    return design


# ─── degrees of freedom and critical values ───────────────────────────────────────────────────────────


def critical_value(level: float, df: float | None = None, *, where: str = "critical_value") -> float:
    """The two-sided critical value at ``level``: normal quantile (``df=None``) or Student t.

    >>> round(critical_value(0.95), 4), round(critical_value(0.95, 10), 4)
    (1.96, 2.2281)
    """
    level = check_level(level, where=where)
    q = 0.5 + level / 2
    return float(stats.norm.ppf(q) if df is None else stats.t.ppf(q, df))


def resolve_df(df, design: SurveyDesign, where: str = "df") -> float | None:
    """``df`` as a number or None (normal): ``"design"`` means the design's #PSU − #strata."""
    if df is None:
        return None
    if isinstance(df, str):
        if df != "design":
            raise ValueError(f"{where}: df must be None (normal), 'design' (#PSU − #strata) or a number; got {df!r}")
        return float(max(design.df, 1))
    if not float(df) > 0:
        raise ValueError(f"{where}: df must be positive; got {df!r}")
    return float(df)


def two_sided_p(statistic, df: float | None = None):
    """Two-sided p-value of a z (``df=None``) or t statistic."""
    return 2 * (stats.norm.sf(np.abs(statistic)) if df is None else stats.t.sf(np.abs(statistic), df))


# ─── ratio estimates over domains ─────────────────────────────────────────────────────────────────────

_KINDS = ("auto", "mean", "proportion", "total")


@dataclass(frozen=True)
class Linearised:
    """Estimates of J = domains × categories, jointly linearised: their values, covariance and bases."""

    estimate: np.ndarray  # (J,)
    vcov: np.ndarray  # (J, J)
    table: pd.DataFrame  # one row per estimate: [by], [category], n, sum_w, effective_n, vsrs
    design: SurveyDesign
    kind: str

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.vcov), 0, None))


def _typed(values: np.ndarray, like: pd.Series):
    """Labels with the dtype of the column they came from (categoricals keep their categories and order)."""
    if isinstance(like.dtype, pd.CategoricalDtype):
        return pd.Categorical(values, dtype=like.dtype)
    try:
        return pd.array(values, dtype=like.dtype) if like.dtype != object else values
    except (TypeError, ValueError):
        return values


def _resolve_kind(series: pd.Series, kind: str, variable: str, where: str) -> tuple[str, bool]:
    """(kind, categorical?)"""
    check_choice(kind, _KINDS, where=where, what="kind")
    is_num = pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype) \
        and not pd.api.types.is_bool_dtype(series.dtype)
    if kind == "auto":
        return ("mean", False) if is_num else ("proportion", True)
    if kind == "mean" and not is_num:
        raise ValueError(f"{where}: kind='mean': column {variable!r} is {series.dtype}, expected a numeric column "
                         "(use kind='proportion' for a categorical)")
    if kind == "proportion":
        return "proportion", True
    return kind, not is_num


@dataclass(frozen=True)
class _Outcome:
    """The variable to estimate, restricted to rows that count: categorical codes or numeric values."""

    categorical: bool
    codes: np.ndarray | None  # category code per row (categorical)
    labels: list
    y: np.ndarray | None  # values (numeric)
    valid: np.ndarray  # rows with a value and a domain

    @property
    def n_cat(self) -> int:
        return len(self.labels) if self.categorical else 1


def _outcome(data, variable, categorical, dom, category, where) -> tuple[_Outcome, list[int]]:
    if categorical:
        codes, labels = encode(data[variable], observed=True)
        if category is not None:
            match = [i for i, c in enumerate(labels) if c == category or str(c) == str(category)]
            if not match:
                raise ValueError(f"{where}: category {category!r} does not occur in {variable!r} (categories: "
                                 f"{labels!r})")
        else:
            match = list(range(len(labels)))
        out = _Outcome(True, codes, labels, None, (codes >= 0) if dom is None else (codes >= 0) & (dom >= 0))
    else:
        if category is not None:
            raise ValueError(f"{where}: category= only applies to categorical variables (or kind='proportion')")
        y = data[variable].to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(y)
        out, match = _Outcome(False, None, [None], y, ok if dom is None else ok & (dom >= 0)), [0]
    if not out.valid.any():
        raise ValueError(f"{where}: variable {variable!r} has no valid (non-missing) values in any domain")
    return out, match


def linearise_ratios(data: pd.DataFrame, variable: str, design: SurveyDesign, *, kind: str = "auto", by=None,
                     category: Hashable | None = None, where: str = "weighted_estimate") -> Linearised:
    """Means, proportions (of every category) or totals of ``variable`` per domain of ``by``, linearised jointly.

    Point estimates: Ŷ = Σ wᵢyᵢ, ȳ = Σ wᵢyᵢ / Σ wᵢ, p̂_k = Σ wᵢ·1[yᵢ = k] / Σ wᵢ per domain. Scores: wᵢyᵢ
    (total) or wᵢ(yᵢ − ȳ)/Σw (mean, proportion) inside the domain, 0 outside it and for missing values (the
    R ``svyby`` / Stata ``subpop`` way: rows keep their place in the design). All domains and categories
    come from bincounts over (PSU, domain, category) keys in one pass, which gives their covariance.
    ``vsrs`` in the table is the variance under simple random sampling of the same size, for the design
    effect (Kish 1965; Stata ``estat effects``): s²_w/n · (1 − n/Σw), the last factor with an fpc only.
    """
    require_columns(data, [variable] + ([] if by is None else ([by] if isinstance(by, str) else list(by))),
                    where=where)
    kind, categorical = _resolve_kind(data[variable], kind, variable, where)
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    if by_cols:
        dom, dom_labels = encode_joint(data, by_cols, where=where)
        if not dom_labels:
            raise ValueError(f"{where}: by {by!r}: no rows with a domain value")
    else:
        dom, dom_labels = None, [None]  # one domain: the whole sample
    out, match = _outcome(data, variable, categorical, dom, category, where)
    sums = _DomainSums(design, out, dom, len(dom_labels))
    estimate = sums.ratio if kind in ("mean", "proportion") else sums.wv
    vcov = _ratio_vcov(design, sums, estimate, kind)
    table = _ratio_table(data, variable, by_cols, dom_labels, out, sums, kind, design)
    keep = np.array([d * out.n_cat + k for d in range(len(dom_labels)) for k in match], dtype=np.intp)
    return Linearised(estimate=estimate[keep], vcov=vcov[np.ix_(keep, keep)],
                      table=table.iloc[keep].reset_index(drop=True), design=design, kind=kind)


class _DomainSums:
    """Weighted sums per (domain, category) of the valid rows; column j = domain · K + category."""

    def __init__(self, design: SurveyDesign, out: _Outcome, dom: np.ndarray | None, n_dom: int):
        self.design = design
        self.all_valid = bool(out.valid.all())
        self.sel = slice(None) if self.all_valid else out.valid
        self.out, self.n_dom, self.n_cat = out, n_dom, out.n_cat
        self.d = None if dom is None else dom[self.sel]  # None: one domain, the whole sample
        self.w = design.w[self.sel]
        self.c = out.codes[self.sel] if out.categorical else None
        self.y = None if out.categorical else out.y[self.sel]
        self.wy = None if out.categorical else self.w * self.y  # used for the estimate, the scores and s²
        j_count = n_dom * self.n_cat
        if n_dom == 1:  # one domain: dot products instead of bincounts (a few times faster)
            self.sum_w, self.cnt = np.array([self.w.sum()]), np.array([self.w.size])
            self.sum_w2 = np.array([self.w @ self.w])
            self.wv = (np.bincount(self.c, self.w, minlength=self.n_cat) if out.categorical
                       else np.array([self.wy.sum()]))
        else:
            self.sum_w = np.bincount(self.d, self.w, minlength=n_dom)
            self.cnt = np.bincount(self.d, minlength=n_dom)
            self.sum_w2 = np.bincount(self.d, self.w * self.w, minlength=n_dom)
            self.wv = (np.bincount(self.d * self.n_cat + self.c, self.w, minlength=j_count) if out.categorical
                       else np.bincount(self.d, self.wy, minlength=j_count))
        self.sw_j = np.repeat(self.sum_w, self.n_cat)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.ratio = self.wv / self.sw_j

    def group_sums(self, g_codes: np.ndarray, n_g: int, a: np.ndarray, estimate: np.ndarray,
                   kind: str) -> np.ndarray:
        """Linearised scores with row weights ``a`` summed per group g (PSU or raking cell): (n_g, J).

        mean/proportion: G[g, j] = (Σ_{g,d} a·v − est_j Σ_{g,d} a) / Σw_d; total: G[g, j] = Σ_{g,d} a·v."""
        g_v, a_v = g_codes[self.sel], a[self.sel]
        gd = g_v * self.n_dom + self.d if self.n_dom > 1 else g_v
        j_count = self.n_dom * self.n_cat
        if self.out.categorical:
            av = np.bincount(gd * self.n_cat + self.c, a_v, minlength=n_g * j_count).reshape(n_g, j_count)
        else:
            ay = self.wy if a is self.design.w else a_v * self.y
            av = np.bincount(gd, ay, minlength=n_g * self.n_dom).reshape(n_g, j_count)
        if kind == "total":
            return av
        if self.n_dom == 1 and self.all_valid and a is self.design.w and g_codes is self.design.psu:
            a_sum = self.design.psu_weight[:, None]  # Σw per PSU, computed once per design
        else:
            a_sum = np.bincount(gd, a_v, minlength=n_g * self.n_dom).reshape(n_g, self.n_dom)
        a_sum = np.repeat(a_sum, self.n_cat, axis=1) if self.n_cat > 1 else a_sum
        with np.errstate(divide="ignore", invalid="ignore"):
            res = (av - estimate[None, :] * a_sum) / self.sw_j[None, :]
        return np.nan_to_num(res, nan=0.0, posinf=0.0, neginf=0.0)


def _ratio_vcov(design: SurveyDesign, sums: _DomainSums, estimate: np.ndarray, kind: str) -> np.ndarray:
    def base_sums(cell, n_cells, d):
        return sums.group_sums(cell, n_cells, d, estimate, kind)

    if design.clustered or design.raking is not None:
        t = sums.group_sums(design.psu, design.n_psu, design.w, estimate, kind)
        return design.vcov_from_psu_totals(design.calibrated(t, base_sums))
    return _unclustered_vcov(design, sums, estimate, kind)


def _unclustered_vcov(design: SurveyDesign, sums: _DomainSums, estimate: np.ndarray, kind: str) -> np.ndarray:
    """V for a design whose PSUs are the respondents, from per-stratum moments (no n × J score matrix): a
    respondent's scores are non-zero only in its own domain's columns, so Σ z zᵀ per stratum is block-diagonal
    with blocks Σ w²(e − p)(e − p)ᵀ / W_d² built from sums of w², w²·1[c = k] (or w²y, w²y²)."""
    n_dom, n_cat = sums.n_dom, sums.n_cat
    h = design.row_stratum[sums.sel]
    n_h = design.n_strata
    w2 = sums.w * sums.w
    hd = h * n_dom + sums.d if sums.d is not None else h
    s2 = np.bincount(hd, w2, minlength=n_h * n_dom).reshape(n_h, n_dom)  # Σw² per (stratum, domain)
    sw = np.maximum(sums.sw_j, np.finfo(float).tiny)
    j_count = n_dom * n_cat
    zz = np.zeros((n_h, j_count, j_count))
    if sums.out.categorical:
        s2k = np.bincount(hd * n_cat + sums.c, w2, minlength=n_h * j_count).reshape(n_h, n_dom, n_cat)
        # a total's scores wᵢ·1[cᵢ = k] are not centred and not divided by the domain's Σw
        p = np.zeros((n_dom, n_cat)) if kind == "total" else np.nan_to_num(estimate).reshape(n_dom, n_cat)
        for d in range(n_dom):
            blk = slice(d * n_cat, (d + 1) * n_cat)
            a, pd_ = s2k[:, d, :], p[d]
            block = (np.einsum("hk,kl->hkl", a, np.eye(n_cat)) - np.einsum("hk,l->hkl", a, pd_)
                     - np.einsum("k,hl->hkl", pd_, a) + s2[:, d][:, None, None] * np.outer(pd_, pd_)[None])
            zz[:, blk, blk] = block if kind == "total" else block / np.outer(sw[blk], sw[blk])[None]
    else:
        y = sums.y
        s2y = np.bincount(hd, w2 * y, minlength=n_h * n_dom).reshape(n_h, n_dom)
        s2yy = np.bincount(hd, w2 * y * y, minlength=n_h * n_dom).reshape(n_h, n_dom)
        if kind == "total":
            diag = s2yy
        else:
            mu = np.nan_to_num(estimate)[None, :]
            diag = (s2yy - 2 * mu * s2y + mu * mu * s2) / (sw[None, :] ** 2)
        idx = np.arange(n_dom)
        zz[:, idx, idx] = diag
    z_sum = sums.group_sums(design.row_stratum, n_h, design.w, estimate, kind)  # per-stratum Σ z
    return design.stratum_cov(z_sum, zz)


def _weighted_ss(sums: _DomainSums) -> float:
    """Σ wᵢ(yᵢ − ȳ)² of one domain: Σwy² − ȳ·Σwy from the products already formed, unless that cancels
    (a mean far larger than the spread), then from the residuals."""
    mean = float(np.nan_to_num(sums.ratio)[0])
    swyy = float(sums.wy @ sums.y)
    ss = swyy - mean * float(sums.wv[0])
    if ss > 1e-8 * swyy:
        return ss
    resid = sums.y - mean
    return float((sums.w * resid) @ resid)


def _ratio_table(data, variable, by_cols, dom_labels, out: _Outcome, sums: _DomainSums, kind: str,
                 design: SurveyDesign) -> pd.DataFrame:
    n_cat, n_dom = sums.n_cat, sums.n_dom
    if out.categorical:
        s2 = sums.ratio * (1 - sums.ratio)  # Σw(v − p)²/Σw
    elif n_dom == 1:
        s2 = np.array([_weighted_ss(sums)]) / np.where(sums.sum_w > 0, sums.sum_w, np.nan)
    else:
        resid = sums.y - np.nan_to_num(sums.ratio)[sums.d]
        s2 = np.bincount(sums.d, sums.w * resid * resid, minlength=n_dom) / np.where(sums.sum_w > 0, sums.sum_w,
                                                                                       np.nan)
    cnt_j = np.repeat(sums.cnt, n_cat).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = s2 * cnt_j / (cnt_j - 1)
        vsrs = s2 / cnt_j * (np.clip(1 - cnt_j / sums.sw_j, 0, None) if design.fpc is not None else 1.0)
        if kind == "total":
            vsrs = vsrs * sums.sw_j**2
    rows = {}
    for i, c in enumerate(by_cols):
        labels = dom_labels if len(by_cols) == 1 else [lab[i] for lab in dom_labels]
        rows[c] = _typed(np.repeat(np.array(labels, dtype=object), n_cat), data[c])
    if out.categorical:
        rows["category"] = _typed(np.tile(np.array(out.labels, dtype=object), n_dom), data[variable])
    rows["n"] = np.repeat(sums.cnt, n_cat)
    rows["sum_w"] = sums.sw_j
    rows["effective_n"] = np.repeat(effective_n_of_sums(sums.sum_w, sums.sum_w2), n_cat)
    rows["vsrs"] = vsrs
    return pd.DataFrame(rows)
