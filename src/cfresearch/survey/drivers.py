"""Key-driver analysis: how much of the overall score each rated attribute explains, and where to act first.

Derived importance splits the R² of a linear regression of an outcome (overall satisfaction, likelihood to
recommend) on its drivers (attribute ratings) into one share per driver:

* :func:`key_drivers` computes the Shapley value / LMG decomposition exactly from the (weighted) correlation
  matrix, over all 2^p driver subsets, and Johnson's (2000) relative weights, its fast O(p³) approximation;
  with bootstrap percentile intervals for each driver's share.
* :func:`importance_performance` places each driver on Martilla & James's (1977) importance-performance
  grid and ranks what to fix first.

The building blocks :func:`all_subset_r2`, :func:`shapley_values` and :func:`johnson_weights` work on a
correlation matrix alone, so any correlation estimate (weighted, polychoric, published) can be decomposed.

Rows with a missing outcome, driver or weight are dropped before anything is computed (listwise deletion,
as R's ``lm`` and relaimpo's ``calc.relimp`` do); the number dropped is reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import gammaln

from cfresearch.checks import check_choice, check_frame, check_level, check_unique, require_columns, weights_array
from cfresearch.results import Result

from .design import SurveyDesign, design_for
from .weighting import effective_n_of_sums

__all__ = [
    "DriverResult",
    "all_subset_r2",
    "importance_performance",
    "johnson_weights",
    "key_drivers",
    "shapley_values",
    "SHAPLEY_MAX_DRIVERS",
]

#: Largest number of drivers for the exact Shapley decomposition (2^20 ≈ 1M subsets: ~0.2 s, ~50 MB).
SHAPLEY_MAX_DRIVERS = 20

_METHODS = ("shapley", "johnson", "both")
_COLLINEAR_TOL = 1e-10

QUADRANTS = {
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}


# ─── decomposition of R² from a correlation matrix ─────────────────────────────────────────────────────


def _check_corr(corr_xx, corr_xy) -> tuple[np.ndarray, np.ndarray]:
    rxx = np.asarray(corr_xx, dtype=float)
    rxy = np.asarray(corr_xy, dtype=float).ravel()
    p = rxy.size
    if rxx.shape != (p, p):
        raise ValueError(f"corr_xx must be {p}x{p} to match corr_xy; got shape {rxx.shape}")
    if not (np.all(np.isfinite(rxx)) and np.all(np.isfinite(rxy))):
        raise ValueError("correlations must be finite (no NaN)")
    return rxx, rxy


def all_subset_r2(corr_xx, corr_xy) -> np.ndarray:
    """R² of the regression of y on every subset of the p drivers, from correlations alone.

    Returns an array ``v`` of length 2^p where ``v[mask]`` is the R² of the subset whose members are the set
    bits of ``mask`` (bit j = driver j), so ``v[0] = 0`` and ``v[2**p - 1]`` is the full-model R².

    Formula: R²(S) = r_S' R_SS⁻¹ r_S (Lindeman, Merenda & Gold 1980, p. 119ff; relaimpo computes the same from
    the covariance matrix). It is evaluated without one solve per subset: 1 − R²(S) is the residual variance
    of y after sweeping the drivers in S out of the joint correlation matrix of (x, y), i.e. the Schur
    complement. Drivers are decided one at a time: at step j every partial result is either left as is
    (j ∉ S) or swept on j (j ∈ S, the rank-one update A − a aᵀ/a_jj), and driver j's row and column are then
    dropped. Step j handles 2^j batched matrices of shrinking size (p − j + 1), so the whole table costs
    O(2^p) flops and memory, independent of the number of respondents. Needs a positive-definite ``corr_xx``.
    """
    rxx, rxy = _check_corr(corr_xx, corr_xy)
    p = rxy.size
    if p > SHAPLEY_MAX_DRIVERS:
        raise ValueError(f"all_subset_r2: {p} drivers means 2^{p} subsets; at most {SHAPLEY_MAX_DRIVERS} supported")
    joint = np.empty((p + 1, p + 1))
    joint[:p, :p] = rxx
    joint[:p, p] = joint[p, :p] = rxy
    joint[p, p] = 1.0
    states = joint[None]  # (2^j, p-j+1, p-j+1): driver j is always row/column 0
    for _ in range(p):
        rest = states[:, 1:, 1:]
        col = states[:, 1:, 0]
        swept = rest - col[:, :, None] * col[:, None, :] / states[:, 0, 0][:, None, None]
        states = np.concatenate([rest, swept], axis=0)  # index of the new bit: excluded first, included second
    return 1.0 - states[:, 0, 0]


def shapley_values(corr_xx, corr_xy) -> np.ndarray:
    """Exact Shapley value (LMG) share of R² for each driver, from the correlation matrix.

    φ_j = Σ_{S ⊆ P∖{j}} |S|! (p − |S| − 1)! / p! · [R²(S ∪ {j}) − R²(S)],

    the increase in R² from adding driver j, averaged over all p! orders of entry (Lindeman, Merenda &
    Gold 1980; Grömping 2006, JSS 17(1), R ``relaimpo::calc.relimp(type = "lmg")``; Shapley 1953 / Lipovetsky
    & Conklin 2001 in the "Shapley value regression" literature). The φ_j are non-negative and sum to the
    full-model R². All 2^p subset R² come from :func:`all_subset_r2`; exact up to
    ``SHAPLEY_MAX_DRIVERS`` drivers.
    """
    rxx, rxy = _check_corr(corr_xx, corr_xy)
    p = rxy.size
    v = all_subset_r2(rxx, rxy)
    if p == 1:
        return v[1:].copy()
    size = np.bitwise_count(np.arange(2**p, dtype=np.int64)).astype(np.intp)
    s = np.arange(p)
    order_weight = np.exp(gammaln(s + 1) + gammaln(p - s) - gammaln(p + 1))  # |S|!(p-|S|-1)!/p!
    # Reshape so that axis p-1-j is bit j (C order puts the most significant bit first).
    cube = v.reshape((2,) * p)
    wcube = order_weight[np.minimum(size, p - 1)].reshape((2,) * p)
    phi = np.empty(p)
    for j in range(p):
        axis = p - 1 - j
        gain = np.take(cube, 1, axis=axis) - np.take(cube, 0, axis=axis)
        phi[j] = np.sum(np.take(wcube, 0, axis=axis) * gain)
    return phi


def johnson_weights(corr_xx, corr_xy) -> np.ndarray:
    """Johnson's (2000) relative weights: each driver's share of R² via the closest orthogonal predictors.

    With the eigen-decomposition R_xx = V Λ Vᵀ, Λ* = V Λ^½ Vᵀ holds the correlations between the drivers X
    and their closest orthonormal counterparts Z; β* = Λ*⁻¹ r_xy regresses y on Z, and

        ε_j = Σ_k λ*_jk² β*_k²,  with Σ_j ε_j = R².

    Johnson, J. W. (2000), "A heuristic method for estimating the relative weight of predictor variables in
    multiple regression", Multivariate Behavioral Research 35(1):1-19; R ``rwa::rwa``. O(p³); close to the
    Shapley values (LeBreton, Ployhart & Ladd 2004) and equal to them for one or two drivers.
    """
    rxx, rxy = _check_corr(corr_xx, corr_xy)
    evals, evecs = np.linalg.eigh(rxx)
    if evals.min() <= _COLLINEAR_TOL:
        raise ValueError("johnson_weights: corr_xx is singular (collinear drivers)")
    lam = (evecs * np.sqrt(evals)) @ evecs.T
    beta_z = np.linalg.solve(lam, rxy)
    return (lam**2) @ beta_z**2


# ─── data preparation ──────────────────────────────────────────────────────────────────────────────────


def _numeric_block(df: pd.DataFrame, columns: Sequence[str], where: str) -> np.ndarray:
    require_columns(df, columns, where=where)
    for c in columns:
        if not (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])):
            raise ValueError(f"{where}: column {c!r} must be numeric (a rating as float, NaN for missing); "
                             f"got dtype {df[c].dtype}")
    return df[list(columns)].to_numpy(dtype="float64", na_value=np.nan)


def _weighted_corr(data: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted correlation matrix and standard deviations: cov = Σ wᵢ (xᵢ − x̄)(xᵢ − x̄)ᵀ / Σ wᵢ."""
    if w is None:
        mean = data.mean(axis=0)
        centred = data - mean
        cov = centred.T @ centred / data.shape[0]
    else:
        total = w.sum()
        mean = w @ data / total
        centred = data - mean
        cov = (centred * w[:, None]).T @ centred / total
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    return corr, sd


def _collinear_names(rxx: np.ndarray, names: Sequence[str]) -> list[str] | None:
    evals, evecs = np.linalg.eigh(rxx)
    if evals[0] > _COLLINEAR_TOL:
        return None
    vec = np.abs(evecs[:, 0])
    return [names[i] for i in np.flatnonzero(vec > 0.1 * vec.max())]


def _decompose(rxx: np.ndarray, rxy: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    johnson = johnson_weights(rxx, rxy) if method in ("johnson", "both") else np.full(rxy.size, np.nan)
    importance = johnson if method == "johnson" else shapley_values(rxx, rxy)
    return importance, johnson


# ─── results ───────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class DriverResult(Result):
    """Derived importance of each driver for one outcome (see :func:`key_drivers`).

    ``importance`` is the driver's raw share of R² (Shapley/LMG, or Johnson when ``method="johnson"``);
    ``share_pct`` the same normalised to 100. ``ci_low``/``ci_high`` bound ``share_pct`` (bootstrap percentile
    interval; NaN without bootstrap).
    """

    outcome: str
    drivers: tuple[str, ...]
    labels: tuple[str, ...]
    method: str
    importance: np.ndarray
    johnson_weight: np.ndarray
    beta: np.ndarray
    r: np.ndarray
    r2: float
    n: int
    n_dropped: int
    weights: str | None
    effective_n: float
    bootstrap: int = 0
    level: float = 0.95
    ci_low: np.ndarray = field(default=None)  # type: ignore[assignment]
    ci_high: np.ndarray = field(default=None)  # type: ignore[assignment]
    bootstrap_failed: int = 0
    resampling: str = "respondents"

    @property
    def share_pct(self) -> np.ndarray:
        """Each driver's share of the explained variance, in percent (sums to 100)."""
        total = self.importance.sum()
        return 100.0 * self.importance / total if total > 0 else np.full_like(self.importance, np.nan)

    @property
    def rank(self) -> np.ndarray:
        """1 = the most important driver (ties share the better rank)."""
        return pd.Series(self.importance).rank(ascending=False, method="min").to_numpy(dtype=int)

    def to_frame(self) -> pd.DataFrame:
        """One row per driver, most important first: driver, label, importance, share_pct, rank, ci_low,
        ci_high, johnson_weight, beta (standardised coefficient), r (zero-order correlation)."""
        nan = np.full(len(self.drivers), np.nan)
        frame = pd.DataFrame({
            "driver": list(self.drivers),
            "label": list(self.labels),
            "importance": self.importance,
            "share_pct": self.share_pct,
            "rank": self.rank,
            "ci_low": nan if self.ci_low is None else self.ci_low,
            "ci_high": nan if self.ci_high is None else self.ci_high,
            "johnson_weight": self.johnson_weight,
            "beta": self.beta,
            "r": self.r,
        })
        return frame.sort_values(["rank", "driver"], kind="stable").reset_index(drop=True)

    def summary(self) -> str:
        """A short plain-text report: method, base, R² and each driver's share."""
        name = {"shapley": "Shapley/LMG decomposition of R²", "both": "Shapley/LMG decomposition of R²",
                "johnson": "Johnson's relative weights"}[self.method]
        base = f"n = {self.n}" + (f", {self.n_dropped} dropped (listwise)" if self.n_dropped else "")
        wtxt = f"weighted by {self.weights} (effective n {self.effective_n:.0f})" if self.weights else "unweighted"
        lines = [f"Key drivers of {self.outcome}: {name}; {base}; {wtxt}.", f"R² = {self.r2:.3f}."]
        frame = self.to_frame()
        has_ci = self.bootstrap > 0
        if has_ci:
            lines.append(f"{self.level:.0%} bootstrap percentile intervals from {self.bootstrap} resamples of "
                         f"{self.resampling}"
                         + (f" ({self.bootstrap_failed} degenerate resamples skipped)." if self.bootstrap_failed
                            else "."))
        width = max(len(x) for x in frame["label"])
        for row in frame.itertuples(index=False):
            ci = f"  [{row.ci_low:5.1f}, {row.ci_high:5.1f}]" if has_ci else ""
            jw = f"  Johnson {row.johnson_weight:.3f}" if self.method == "both" else ""
            lines.append(f"{row.rank:>3}. {row.label:<{width}}  {row.share_pct:5.1f}%{ci}  "
                         f"(R² share {row.importance:.3f}, beta {row.beta:+.2f}, r {row.r:+.2f}){jw}")
        return "\n".join(lines)


# ─── key drivers ───────────────────────────────────────────────────────────────────────────────────────


def key_drivers(data: pd.DataFrame, outcome: str, drivers: Sequence[str] | Mapping[str, str], *,
                design: SurveyDesign | None = None, weights: str | np.ndarray | None = None,
                method: str = "shapley", bootstrap: int = 0, level: float = 0.95, seed: int = 0,
                labels: Mapping[str, str] | None = None) -> DriverResult:
    """Derived importance of each driver for ``outcome``: the share of R² it accounts for.

    ``method="shapley"`` splits R² exactly by the Shapley value / LMG formula over all 2^p driver subsets
    (:func:`shapley_values`; Lindeman, Merenda & Gold 1980; Grömping 2006, JSS 17(1), R
    ``relaimpo::calc.relimp(type="lmg")``), computed from the correlation matrix so its cost after one pass
    over the data does not depend on n; exact up to ``SHAPLEY_MAX_DRIVERS`` (20) drivers.
    ``method="johnson"`` uses Johnson's (2000) relative weights (:func:`johnson_weights`, O(p³), no limit on
    p); ``"both"`` ranks by Shapley and adds Johnson's weight as a column.

    Data: ``outcome`` and ``drivers`` are numeric columns (NaN = missing); ``drivers`` may be a mapping
    column → label. Rows missing the outcome, any driver or the weight are dropped (listwise deletion).
    ``design`` (a :class:`~cfresearch.survey.design.SurveyDesign`) or ``weights`` (a column name or an array,
    one per row) gives weighted correlations, from the covariances Σ wᵢ (xᵢ − x̄_w)(yᵢ − ȳ_w) / Σ wᵢ, as
    relaimpo does with ``weights=`` (R ``cov.wt``).

    ``bootstrap=B`` reports the ``level`` percentile interval of each driver's ``share_pct`` over B
    resamples (as relaimpo's ``booteval.relimp(bty = "perc")``): respondents are resampled with replacement,
    keeping their weights; with a design that has strata or clusters, PSUs are resampled within strata by
    the Rao–Wu (1988) rescaling bootstrap (n_h − 1 PSUs drawn from the n_h of each stratum, weights × n_h/(n_h
    − 1) × times drawn; R ``as.svrepdesign(type = "subbootstrap")``), so the interval reflects the clustering.
    Resamples in which a driver is constant are skipped and counted. ``seed`` makes it reproducible.

    Returns a :class:`DriverResult`: ``.to_frame()``, ``.summary()``, ``.r2``, ``.n``.

    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame(rng.normal(size=(2000, 3)), columns=["price", "staff", "speed"])
    >>> d["overall"] = d @ [0.6, 0.3, 0.1] + rng.normal(size=2000)
    >>> key_drivers(d, "overall", ["price", "staff", "speed"]).to_frame()["driver"].tolist()
    ['price', 'staff', 'speed']
    """
    where = "key_drivers"
    check_frame(data, where)
    check_choice(method, _METHODS, where=where, what="method")
    level = check_level(level, where=where)
    names, label_map = _driver_names(drivers, outcome, labels, method, where)
    if bootstrap < 0 or int(bootstrap) != bootstrap:
        raise ValueError(f"{where}: bootstrap must be a whole number >= 0; got {bootstrap!r}")
    values = _numeric_block(data, [outcome, *names], where)
    if design is not None:
        design = design_for(data, design, where=where, weights=weights)
        w = design.w if design.weighted else None
    else:
        w = weights_array(data, weights, where=where, allow_missing=True)
    keep = ~np.isnan(values).any(axis=1)
    if w is not None:
        keep &= ~np.isnan(w) & (w > 0)
    n_dropped = int(len(values) - keep.sum())
    values, w = values[keep], None if w is None else w[keep]
    p, n = len(names), int(keep.sum())
    if n < p + 2:
        raise ValueError(f"{where}: {n} complete rows for {p} drivers; need at least {p + 2} (listwise deletion "
                         f"dropped {n_dropped}){_emptiest(data, [outcome, *names])}")
    rxx, rxy = _driver_correlations(values, w, outcome, names, where)
    importance, johnson = _decompose(rxx, rxy, method)
    beta = np.linalg.solve(rxx, rxy)
    ci_low = ci_high = None
    failed = 0
    clustered = design is not None and bool(design.strata or design.clusters)
    if bootstrap:
        draw = (_rao_wu(design, keep) if clustered else _respondents(n))
        shares, failed = _bootstrap_shares(values, w, method, int(bootstrap), seed, draw)
        alpha = (1.0 - level) / 2.0
        ci_low, ci_high = np.nanpercentile(shares, [100 * alpha, 100 * (1 - alpha)], axis=0)
    return DriverResult(
        outcome=outcome, drivers=tuple(names), labels=tuple(str(label_map.get(c, c)) for c in names),
        method=method, importance=importance, johnson_weight=johnson, beta=beta, r=rxy.copy(),
        r2=float(rxy @ beta), n=n, n_dropped=n_dropped,
        weights=_weight_label(weights, design, w is not None),
        effective_n=float(n if w is None else effective_n_of_sums(w.sum(), (w**2).sum())), bootstrap=int(bootstrap),
        level=level, ci_low=ci_low, ci_high=ci_high, bootstrap_failed=failed,
        resampling="PSUs within strata (Rao-Wu)" if clustered else "respondents",
    )


def _weight_label(weights, design: SurveyDesign | None, weighted: bool) -> str | None:
    """How the weights are named in the summary: their column, or "weights" for an array."""
    if isinstance(weights, str):
        return weights
    if design is not None:
        return design.weights or ("weights" if design.weighted else None)
    return "weights" if weighted else None


def _driver_names(drivers, outcome: str, labels, method: str, where: str) -> tuple[list, dict]:
    if isinstance(drivers, str):
        raise ValueError(f"{where}: drivers must be a list of column names (or a mapping column -> label)")
    label_map = dict(drivers) if isinstance(drivers, Mapping) else {}
    label_map.update(labels or {})
    names = list(drivers)
    if not names:
        raise ValueError(f"{where}: give at least one driver")
    check_unique(names, where=where, what="driver")
    if outcome in names:
        raise ValueError(f"{where}: the outcome {outcome!r} is also listed as a driver")
    if method in ("shapley", "both") and len(names) > SHAPLEY_MAX_DRIVERS:
        raise ValueError(f"{where}: exact Shapley needs 2^{len(names)} subset regressions for {len(names)} "
                         f"drivers; at most {SHAPLEY_MAX_DRIVERS} drivers are supported: use method='johnson' or "
                         "group drivers")
    return names, label_map


def _driver_correlations(values: np.ndarray, w, outcome: str, names: list, where: str):
    corr, sd = _weighted_corr(values, w)
    flat = [c for c, s in zip([outcome, *names], sd) if not s > 0]
    if flat:
        raise ValueError(f"{where}: column(s) {flat} are constant over the {values.shape[0]} complete rows; "
                         "expected variation")
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    collinear = _collinear_names(rxx, names)
    if collinear:
        raise ValueError(f"{where}: drivers {collinear} are collinear (one is a linear combination of the others)"
                         "; drop or combine one of them")
    return rxx, rxy


def _respondents(n: int):
    """Bootstrap multipliers: how many times each respondent is drawn in a resample of n with replacement."""
    def draw(rng: np.random.Generator) -> np.ndarray:
        return np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
    return draw


def _rao_wu(design: SurveyDesign, keep: np.ndarray):
    """Rao–Wu (1988) rescaling bootstrap multipliers of the kept rows: in stratum h, n_h − 1 of its n_h PSUs
    are drawn with replacement and a PSU drawn r times gets r·n_h/(n_h − 1) (strata with one PSU keep 1)."""
    order = np.argsort(design.psu_stratum, kind="stable")  # PSUs grouped by stratum
    n_h = design.stratum_size.astype(np.int64)
    start = np.concatenate([[0], np.cumsum(n_h)[:-1]])
    draws_h = np.repeat(np.arange(design.n_strata), np.maximum(n_h - 1, 0))
    scale = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0)
    single = n_h[design.psu_stratum] <= 1
    rows_psu = design.psu[keep]

    def draw(rng: np.random.Generator) -> np.ndarray:
        picked = order[start[draws_h] + np.floor(rng.random(draws_h.size) * n_h[draws_h]).astype(np.int64)]
        mult = np.bincount(picked, minlength=design.n_psu) * scale[design.psu_stratum]
        mult[single] = 1.0
        return mult[rows_psu]
    return draw


def _bootstrap_shares(data: np.ndarray, w: np.ndarray | None, method: str, reps: int, seed: int,
                      draw) -> tuple[np.ndarray, int]:
    """share_pct of each driver in ``reps`` resamples (``draw(rng)`` gives each row's multiplier; NaN rows
    for degenerate resamples)."""
    rng = np.random.default_rng(seed)
    n, q = data.shape
    base = np.ones(n) if w is None else w
    centred = data - (base @ data) / base.sum()  # centring once keeps the raw moments below accurate
    full_sd = np.sqrt((base @ centred**2) / base.sum())
    shares = np.full((reps, q - 1), np.nan)
    failed = 0
    for b in range(reps):  # one loop per resample, each fully vectorised over rows
        wb = base * draw(rng)
        total = wb.sum()
        mean = wb @ centred / total
        cov = (centred * wb[:, None]).T @ centred / total - np.outer(mean, mean)
        sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        if not np.all(sd > 1e-8 * full_sd):
            failed += 1
            continue
        corr = cov / np.outer(sd, sd)
        rxx, rxy = corr[1:, 1:], corr[1:, 0]
        if np.linalg.eigvalsh(rxx)[0] <= _COLLINEAR_TOL:
            failed += 1
            continue
        importance, _ = _decompose(rxx, rxy, "johnson" if method == "johnson" else "shapley")
        shares[b] = 100.0 * importance / importance.sum()
    return shares, failed


# ─── importance-performance grid ───────────────────────────────────────────────────────────────────────


def _split_value(values: pd.Series, split, what: str) -> float:
    if isinstance(split, str):
        if split == "mean":
            return float(values.mean())
        if split == "median":
            return float(values.median())
        raise ValueError(f"importance_performance: {what}_split must be 'mean', 'median' or a number; got {split!r}")
    return float(split)


def importance_performance(importance: pd.Series | DriverResult, performance: pd.Series | pd.DataFrame, *,
                           labels: Mapping[str, str] | None = None, importance_split="mean",
                           performance_split="mean", weights: str | np.ndarray | None = None) -> pd.DataFrame:
    """Martilla & James (1977) importance-performance grid with derived importance, and what to fix first.

    Inputs: ``importance`` is a Series indexed by driver (e.g. share of R²) or a :class:`DriverResult` (its
    ``share_pct`` is used); ``performance`` is a Series of mean ratings indexed by driver, or a DataFrame of
    respondent ratings with one column per driver, from which the (``weights``-weighted) mean of each column
    is taken over the respondents who rated it (NaN = not rated).

    Each driver is high on an axis when its value is at or above the split: the ``"mean"`` (default) or
    ``"median"`` of the drivers' values (data-centred cross-hairs), or a fixed number (scale-centred, e.g. the
    scale midpoint). Quadrants (Martilla, J. A. & James, J. C. (1977), Journal of Marketing 41(1):77-79):

    * high importance, low performance: "Concentrate here"
    * high importance, high performance: "Keep up the good work"
    * low importance, low performance: "Low priority"
    * low importance, high performance: "Possible overkill"

    Priority rule (what to fix first): ``gap = max(performance) − performance`` (distance to the best-rated
    driver) and ``priority_score = importance × gap``; ``priority`` ranks the scores from 1 (largest; ties go
    to the more important driver). The best-performing driver scores 0 and comes last.

    Returns one row per driver sorted by priority: driver, label, importance, performance, quadrant, gap,
    priority_score, priority. The split values are in ``.attrs["importance_cut"]`` and
    ``.attrs["performance_cut"]``.

    >>> importance = pd.Series({"price": 40.0, "staff": 35.0, "speed": 25.0})
    >>> performance = pd.Series({"price": 3.1, "staff": 4.2, "speed": 3.6})
    >>> importance_performance(importance, performance)[["priority", "driver", "quadrant", "priority_score"]]
       priority driver               quadrant  priority_score
    0         1  price       Concentrate here            44.0
    1         2  speed           Low priority            15.0
    2         3  staff  Keep up the good work             0.0
    """
    where = "importance_performance"
    label_map: dict[str, str] = {}
    if isinstance(importance, DriverResult):
        label_map.update(zip(importance.drivers, importance.labels))
        imp = pd.Series(importance.share_pct, index=list(importance.drivers), dtype="float64")
    elif isinstance(importance, pd.Series):
        imp = importance.astype("float64")
    else:
        raise ValueError(f"{where}: importance must be a pandas Series indexed by driver or a DriverResult; "
                         f"got {type(importance).__name__}")
    label_map.update(labels or {})
    drivers = [str(d) for d in imp.index]
    if imp.index.has_duplicates:
        raise ValueError(f"{where}: importance lists a driver twice: {sorted(imp.index[imp.index.duplicated()])}")

    if isinstance(performance, pd.DataFrame):
        ratings = _numeric_block(performance, drivers, where)
        w = weights_array(performance, weights, where=where, allow_missing=True)
        w = np.ones(len(ratings)) if w is None else np.where(np.isnan(w), 0.0, w)
        rated = ~np.isnan(ratings)
        wsum = w @ rated
        with np.errstate(invalid="ignore", divide="ignore"):
            perf = pd.Series((w @ np.where(rated, ratings, 0.0)) / wsum, index=imp.index)
    elif isinstance(performance, pd.Series):
        if weights is not None:
            raise ValueError(f"{where}: weights apply to a DataFrame of ratings, not to a Series of means")
        missing = [d for d in imp.index if d not in performance.index]
        if missing:
            raise ValueError(f"{where}: performance has no value for driver(s) {missing}")
        perf = performance.reindex(imp.index).astype("float64")
    else:
        raise ValueError(f"{where}: performance must be a Series of means or a DataFrame of ratings; "
                         f"got {type(performance).__name__}")
    for what, s in (("importance", imp), ("performance", perf)):
        bad = [str(d) for d in s.index[~np.isfinite(s.to_numpy())]]
        if bad:
            raise ValueError(f"{where}: {what} is missing or not finite for driver(s) {bad}")

    imp_cut = _split_value(imp, importance_split, "importance")
    perf_cut = _split_value(perf, performance_split, "performance")
    hi_imp = imp.to_numpy() >= imp_cut
    hi_perf = perf.to_numpy() >= perf_cut
    quad = np.where(hi_imp, np.where(hi_perf, QUADRANTS[True, True], QUADRANTS[True, False]),
                    np.where(hi_perf, QUADRANTS[False, True], QUADRANTS[False, False]))
    gap = perf.max() - perf.to_numpy()
    frame = pd.DataFrame({
        "driver": drivers,
        "label": [str(label_map.get(d, d)) for d in drivers],
        "importance": imp.to_numpy(),
        "performance": perf.to_numpy(),
        "quadrant": quad,
        "gap": gap,
        "priority_score": imp.to_numpy() * gap,
    })
    frame = frame.sort_values(["priority_score", "importance"], ascending=False, kind="stable")
    frame["priority"] = np.arange(1, len(frame) + 1)
    frame = frame.reset_index(drop=True)
    frame.attrs.update(importance_cut=imp_cut, performance_cut=perf_cut)
    return frame


def _emptiest(data: pd.DataFrame, columns: list[str]) -> str:
    """Which columns empty the listwise sample: those with no answer at all, else the three with the most
    missing answers (for the error message)."""
    missing = data[columns].isna().mean()
    empty = [c for c in columns if missing[c] == 1.0]
    if empty:
        return f". No answer at all in {', '.join(map(repr, empty))}: leave {'it' if len(empty) == 1 else 'them'} out"
    worst = missing.sort_values(ascending=False).head(3)
    return ". Most missing: " + ", ".join(f"{c!r} ({v:.0%})" for c, v in worst.items())
