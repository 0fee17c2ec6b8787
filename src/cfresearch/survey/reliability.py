"""Scale reliability: Cronbach's alpha with item analysis, McDonald's omega, scale scores.

A multi-item scale (e.g. four "staff" ratings) is summarised by the mean of its items; before doing so one
checks that the items measure one thing consistently:

* :func:`cronbach_alpha`: coefficient alpha (Cronbach 1951; Guttman's lambda 3)
  α = k/(k−1) · (1 − tr C / ΣC) from the item covariance matrix C, with Feldt's F-distribution confidence
  interval (Feldt 1965; Feldt, Woodruff & Salih 1987, Applied Psychological Measurement 11(1):93-103),
  standardised alpha from the mean inter-item correlation r̄, α_std = k r̄ / (1 + (k−1) r̄), Guttman's (1945)
  lambda 6 from squared multiple correlations, and the item analysis of R ``psych::alpha`` (Revelle):
  item-total r, r.cor, r.drop (corrected item-total) and alpha if an item is deleted.
* :func:`omega`: McDonald's (1999) omega total, ω_t = (Σλ)² / ((Σλ)² + Σψ), from a one-factor model of the
  item correlation matrix (minres/ULS or maximum likelihood, via ``statsmodels`` ``Factor``).
* :func:`reliability_table`: one row per scale, with the weakest item and alpha without it.
* :func:`scale_scores`: the respondent's mean over the valid items of each scale (reverse-keyed items
  flipped first), missing when too few items were answered.

Reverse-keyed items ("I had to wait a long time") must be flipped, x → (min + max) − x, before anything is
computed: forgetting to do so is the classic way to report a wrong alpha (jasp-desktop #1613). Give the
scale's bounds (from the codebook); when they are not given they are taken from the observed minimum and
maximum of all the scale's items, as ``psych::alpha`` does, with a warning. An item with a negative
corrected item-total correlation triggers a warning that it may need reversing.

Missing values (NaN) are handled in one of two ways, chosen by ``nan_policy``:

* ``"pairwise"`` (default): each covariance and correlation uses the respondents who answered both items
  (R ``cov(x, use = "pairwise")``), as ``psych::alpha`` and ``pingouin.cronbach_alpha`` do by default, so
  the numbers match theirs. It keeps every answer, which matters with "don't know" codes. ``n`` is the
  number of respondents who answered at least one item (psych and pingouin use the number of rows).
* ``"listwise"``: only respondents who answered every item are used (SPSS RELIABILITY, psych with
  ``use = "complete.obs"``); ``n`` is that number. pingouin's ``nan_policy="listwise"`` gives the same
  alpha, but its confidence interval still uses the number of rows before deletion; ours does not.

Correlations under ``"pairwise"`` are each pair's own Pearson correlation (R ``cor(x, use = "pairwise")``),
which is what current psych versions print; older psych versions used ``cov2cor`` of the pairwise
covariance matrix, which differs in the third decimal when data are missing (with complete data the two are
identical). With no missing values everything comes from one cross-product X'X (BLAS syrk; the data are
centred first only when a mean dwarfs its standard deviation), not from pandas' NaN-aware ``DataFrame.cov``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import f as f_dist

from cfresearch.checks import check_choice, check_level, check_unique, require_columns
from cfresearch.paths import sample_path  # noqa: F401  (used by the examples)
from cfresearch.results import Result

__all__ = [
    "AlphaResult",
    "OmegaResult",
    "cronbach_alpha",
    "feldt_ci",
    "omega",
    "reliability_table",
    "scale_scores",
]

_NAN_POLICIES = ("pairwise", "listwise")
_OMEGA_METHODS = ("minres", "ml")


# ─── input preparation ─────────────────────────────────────────────────────────────────────────────────


def _as_names(value, what: str, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    raise ValueError(f"{where}: {what} must be a list of item names; got {type(value).__name__}")


def _item_matrix(items: pd.DataFrame, where: str) -> tuple[np.ndarray, list[str]]:
    if not isinstance(items, pd.DataFrame):
        raise ValueError(f"{where}: items must be a pandas DataFrame with one column per item; "
                         f"got {type(items).__name__}")
    names = [str(c) for c in items.columns]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: item names must be unique; got {names}")
    for c in items.columns:
        col = items[c]
        if isinstance(col.dtype, pd.CategoricalDtype) or not (
                pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise ValueError(f"{where}: item {c!r} must be numeric (a rating as float, NaN for missing); "
                             f"got dtype {col.dtype}")
    x = items.to_numpy(dtype="float64", na_value=np.nan)  # no copy for a block of float64 columns
    row_sum = x @ np.ones(x.shape[1])  # one BLAS pass: NaN or inf in a row shows in its sum
    if not np.isfinite(row_sum).all():  # only data with NaN or inf look further
        inf = np.isinf(x).any(axis=0)
        if inf.any():
            raise ValueError(f"{where}: item(s) {[names[j] for j in np.flatnonzero(inf)]} contain infinite "
                             "values; expected finite ratings or NaN")
    return x, names


def _keyed(x: np.ndarray, names: list[str], reverse, scale_min, scale_max, where: str) -> np.ndarray:
    """Check the values against the scale bounds and flip the reverse-keyed items: x → (min + max) − x."""
    rev = _as_names(reverse, "reverse", where)
    unknown = [r for r in rev if r not in names]
    if unknown:
        raise ValueError(f"{where}: reverse names item(s) {unknown} that are not among the items {names}")
    for bound, label in ((scale_min, "scale_min"), (scale_max, "scale_max")):
        if bound is not None and not (isinstance(bound, (int, float, np.integer, np.floating))
                                      and math.isfinite(bound)):
            raise ValueError(f"{where}: {label} must be a finite number; got {bound!r}")
    if scale_min is not None and scale_max is not None and not scale_min < scale_max:
        raise ValueError(f"{where}: scale_min ({scale_min}) must be below scale_max ({scale_max})")
    if scale_min is not None or scale_max is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            col_min, col_max = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
        for j, name in enumerate(names):
            if scale_min is not None and col_min[j] < scale_min:
                raise ValueError(f"{where}: item {name!r} has value {col_min[j]:g} below scale_min {scale_min}; "
                                 "recode missing-value codes (e.g. 99) to NaN first")
            if scale_max is not None and col_max[j] > scale_max:
                raise ValueError(f"{where}: item {name!r} has value {col_max[j]:g} above scale_max {scale_max}; "
                                 "recode missing-value codes (e.g. 99) to NaN first")
    if not rev:
        return x
    if scale_min is None or scale_max is None:
        lo = float(np.nanmin(x)) if scale_min is None else float(scale_min)
        hi = float(np.nanmax(x)) if scale_max is None else float(scale_max)
        warnings.warn(f"{where}: reversing {rev} as ({lo:g} + {hi:g}) - x with the scale bounds taken from the "
                      "observed data; pass scale_min and scale_max (from the codebook) to be sure",
                      UserWarning, stacklevel=3)
    else:
        lo, hi = float(scale_min), float(scale_max)
    x = x.copy()
    idx = [names.index(r) for r in rev]
    x[:, idx] = (lo + hi) - x[:, idx]
    return x


# ─── moments: covariance and correlation matrices ─────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Moments:
    cov: np.ndarray        # k x k item covariances (n - 1 denominator)
    corr: np.ndarray       # k x k item correlations
    n: int                 # respondents used
    n_item: np.ndarray     # valid answers per item
    mean: np.ndarray
    sd: np.ndarray
    raw_r: np.ndarray      # correlation of each item with the row mean of the answered items (psych raw.r)


#: Largest mean²/variance for which the raw cross-product X'X − n·x̄x̄ᵀ is used without centring: its relative
#: rounding error is about eps·(1 + mean²/var), i.e. < 1e-9 below this; beyond it the data are centred first.
_RAW_MOMENT_LIMIT = 1e6


def _complete_moments(x: np.ndarray) -> _Moments:
    n, k = x.shape
    mean = x.sum(axis=0) / n
    cross = x.T @ x  # one BLAS syrk pass over the data, no centred copy
    cov = (cross - n * np.outer(mean, mean)) / (n - 1)
    var = np.diag(cov)
    if not np.all(var > mean**2 / _RAW_MOMENT_LIMIT):  # large offsets (or no variance): centre, then redo
        xc = x - mean
        cov = (xc.T @ xc) / (n - 1)
    var = np.diag(cov).copy()
    sd = np.sqrt(var)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
        # total = row mean: cov(total, x_i) = Σ_j C_ij / k and var(total) = ΣC / k².
        raw_r = cov.sum(axis=0) / np.sqrt(var * cov.sum())
    np.fill_diagonal(corr, 1.0)
    return _Moments(cov, corr, n, np.full(k, n), mean, sd, raw_r)


def _pairwise_moments(x: np.ndarray, where: str, names: list[str]) -> _Moments:
    """Pairwise-complete covariances and correlations from masked cross-products (no loop over pairs)."""
    valid = ~np.isnan(x)
    m = valid.astype("float64")
    n_item = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(x, axis=0) / n_item
    z = np.where(valid, x - mean, 0.0)  # centred by each item's own mean, 0 where missing
    npair = m.T @ m                      # N_ij: answered both
    s = z.T @ m                          # S_ij: Σ z_i over rows where j is also answered
    q = (z * z).T @ m                    # Q_ij: Σ z_i² over the same rows
    p = z.T @ z                          # P_ij: Σ z_i z_j
    too_few = np.argwhere(np.triu(npair < 2))
    if too_few.size:
        i, j = too_few[0]
        raise ValueError(f"{where}: items {names[i]!r} and {names[j]!r} are answered together by "
                         f"{int(npair[i, j])} respondent(s); need at least 2 for a covariance")
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (p - s * s.T / npair) / (npair - 1)
        var_pair = (q - s * s / npair) / (npair - 1)  # var of item i over the rows shared with item j
        corr = cov / np.sqrt(var_pair * var_pair.T)
    np.fill_diagonal(corr, 1.0)
    var = np.diag(cov).copy()
    sd = np.sqrt(var)
    # Item-total r: total = mean of the items answered (psych's default); correlate over rows answering i.
    answered_any = valid.any(axis=1)
    n = int(answered_any.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(answered_any, np.nansum(np.where(valid, x, 0.0), axis=1) / valid.sum(axis=1), 0.0)
    total = np.where(answered_any, total - total[answered_any].mean(), 0.0)
    st, stt = m.T @ total, m.T @ (total * total)
    sx, sxx, stx = z.sum(axis=0), (z * z).sum(axis=0), z.T @ total
    with np.errstate(invalid="ignore", divide="ignore"):
        raw_r = (stx - st * sx / n_item) / np.sqrt((stt - st**2 / n_item) * (sxx - sx**2 / n_item))
    return _Moments(cov, corr, n, n_item, mean, sd, raw_r)


def _moments(x: np.ndarray, nan_policy: str, where: str, names: list[str]) -> _Moments:
    complete = np.isfinite(x @ np.ones(x.shape[1]))  # rows with every item answered (one BLAS pass)
    if nan_policy == "listwise" or complete.all():
        if not complete.all():
            x = x[complete]
        if x.shape[0] < 2:
            raise ValueError(f"{where}: {x.shape[0]} respondent(s) answered every item; need at least 2 "
                             "(try nan_policy='pairwise')")
        mom = _complete_moments(x)
    else:
        mom = _pairwise_moments(x, where, names)
    flat = [names[j] for j in np.flatnonzero(~(mom.sd > 0))]
    if flat:
        raise ValueError(f"{where}: item(s) {flat} have no variance among the {mom.n} respondents used; "
                         "expected varying ratings (drop constant items)")
    return mom


# ─── alpha ─────────────────────────────────────────────────────────────────────────────────────────────


def _smc(corr: np.ndarray) -> np.ndarray:
    """Squared multiple correlation of each item on the others: 1 − 1/diag(R⁻¹) (psych::smc)."""
    try:
        inv = np.linalg.inv(corr)
        if not np.all(np.isfinite(inv)) or np.any(np.diag(inv) < 1.0 - 1e-12):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        warnings.warn("the item correlation matrix is singular or not positive definite; squared multiple "
                      "correlations use the pseudo-inverse", UserWarning, stacklevel=4)
        inv = np.linalg.pinv(corr)
    return np.clip(1.0 - 1.0 / np.diag(inv), 0.0, 1.0)


def feldt_ci(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt's confidence interval for coefficient alpha.

    (1 − α̂)/(1 − α) follows an F distribution with n − 1 and (n − 1)(k − 1) degrees of freedom (Feldt 1965;
    Feldt, Woodruff & Salih 1987), so with a = 1 − level::

        lower = 1 − (1 − α̂) · F_{1−a/2}(n − 1, (n − 1)(k − 1))
        upper = 1 − (1 − α̂) · F_{a/2}(n − 1, (n − 1)(k − 1))

    as ``psych::alpha.ci`` and ``pingouin.cronbach_alpha`` compute it (pingouin rounds to 3 decimals).
    """
    level = check_level(level, where="feldt_ci")
    if n < 2 or k < 2:
        raise ValueError(f"feldt_ci: need n >= 2 respondents and k >= 2 items; got n={n}, k={k}")
    a = 1.0 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1.0 - (1.0 - alpha) * f_dist.isf(a / 2, df1, df2)
    upper = 1.0 - (1.0 - alpha) * f_dist.isf(1 - a / 2, df1, df2)
    return float(lower), float(upper)


@dataclass(frozen=True)
class AlphaResult(Result):
    """Cronbach's alpha of one scale with its item analysis (see :func:`cronbach_alpha`).

    ``items`` has one row per item: item, reversed, n (valid answers), mean, sd, r (item-total correlation,
    psych ``raw.r``), std_r (the same from the correlation matrix, psych ``std.r``), r_cor (item-total
    corrected for overlap and reliability, psych ``r.cor``), r_drop
    (corrected item-total: the item against the sum of the other items, psych ``r.drop``), alpha_if_deleted
    and std_alpha_if_deleted. Means and sds are of the keyed (reversed where asked) items.
    """

    alpha: float
    std_alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int
    average_r: float
    g6: float
    items: pd.DataFrame
    level: float = 0.95
    nan_policy: str = "pairwise"

    @property
    def weakest_item(self) -> str:
        """The item with the lowest corrected item-total correlation (r_drop)."""
        return str(self.items.loc[self.items["r_drop"].idxmin(), "item"])

    def to_frame(self) -> pd.DataFrame:
        """One row of scale statistics: k, n, alpha, ci_low, ci_high, std_alpha, g6, average_r."""
        return pd.DataFrame([{
            "k": self.k, "n": self.n, "alpha": self.alpha, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "std_alpha": self.std_alpha, "g6": self.g6, "average_r": self.average_r,
        }])

    def summary(self) -> str:
        """A short plain-text report: alpha with its interval, then the item analysis."""
        rev = self.items.loc[self.items["reversed"], "item"].tolist()
        lines = [
            f"Cronbach's alpha = {self.alpha:.3f} ({self.level:.0%} Feldt CI {self.ci_low:.3f} to "
            f"{self.ci_high:.3f}); standardised {self.std_alpha:.3f}, Guttman's lambda 6 {self.g6:.3f}, "
            f"average inter-item r {self.average_r:.3f}.",
            f"k = {self.k} items, n = {self.n} respondents ({self.nan_policy} handling of missing answers)"
            + (f"; reverse-keyed: {', '.join(rev)}." if rev else "."),
        ]
        width = max(len(str(i)) + (4 if r else 0) for i, r in zip(self.items["item"], self.items["reversed"]))
        lines.append(f"{'item':<{width}}  {'mean':>5} {'sd':>5} {'r':>5} {'r.drop':>6} {'alpha if deleted':>16}")
        for row in self.items.itertuples(index=False):
            name = f"{row.item}{' (R)' if row.reversed else ''}"
            lines.append(f"{name:<{width}}  {row.mean:5.2f} {row.sd:5.2f} {row.r:5.2f} {row.r_drop:6.2f} "
                         f"{row.alpha_if_deleted:16.3f}")
        weak = self.items.loc[self.items["r_drop"] < 0, "item"].tolist()
        if weak:
            lines.append(f"Negative r.drop for {', '.join(map(str, weak))}: reverse-keyed item(s) not reversed?")
        return "\n".join(lines)


def _alpha_from(cov: np.ndarray, corr: np.ndarray) -> dict[str, float | np.ndarray]:
    """Scale statistics and their drop-one versions, vectorised over the items (psych::alpha's alpha.1)."""
    k = cov.shape[0]
    var = np.diag(cov)
    total, trace, colsum = cov.sum(), np.trace(cov), cov.sum(axis=0)
    rtotal, rcolsum = corr.sum(), corr.sum(axis=0)
    smc = _smc(corr)
    out: dict[str, float | np.ndarray] = {
        "alpha": k / (k - 1) * (1.0 - trace / total),
        "std_alpha": k / (k - 1) * (1.0 - k / rtotal),
        "g6": 1.0 - (k - smc.sum()) / rtotal,
        "average_r": (rtotal - k) / (k * (k - 1)),
    }
    rest_total = total - 2.0 * colsum + var           # Σ of C without row and column i
    with np.errstate(invalid="ignore", divide="ignore"):
        out["r_drop"] = (colsum - var) / np.sqrt(var * rest_total)
        out["std_r"] = rcolsum / np.sqrt(rtotal)
        rc_total = rtotal - k + smc.sum()               # R with its diagonal replaced by the smc
        out["r_cor"] = (rcolsum - 1.0 + smc) / np.sqrt(rc_total)
        if k > 2:
            out["alpha_if_deleted"] = (k - 1) / (k - 2) * (1.0 - (trace - var) / rest_total)
            out["std_alpha_if_deleted"] = (k - 1) / (k - 2) * (1.0 - (k - 1) / (rtotal - 2.0 * rcolsum + 1.0))
        else:
            out["alpha_if_deleted"] = out["std_alpha_if_deleted"] = np.full(k, np.nan)
    return out


def cronbach_alpha(data: pd.DataFrame, *, reverse: Sequence[str] | None = None, scale_min: float | None = None,
                   scale_max: float | None = None, level: float = 0.95,
                   nan_policy: str = "pairwise") -> AlphaResult:
    """Cronbach's alpha, its Feldt confidence interval and the item analysis of one scale.

    ``data``: the respondents' answers, one numeric column per item of the scale (NaN = missing).
    ``reverse``: names of reverse-keyed items, flipped as (scale_min + scale_max) − x; give the scale's
    bounds from the codebook (without them the observed minimum and maximum over all items are used, with a
    warning). Values outside given bounds are refused (an unrecoded "don't know" 99, for example).

    Formulas (C: item covariance matrix, R: item correlation matrix, k items)::

        alpha      = k/(k−1) · (1 − tr C / ΣC)                     (Cronbach 1951)
        std_alpha  = k/(k−1) · (1 − k / ΣR) = k r̄ / (1 + (k−1) r̄),   r̄ = average_r
        g6         = 1 − Σ(1 − smcᵢ) / ΣR                         (Guttman 1945, lambda 6)

    with smcᵢ = 1 − 1/(R⁻¹)ᵢᵢ, and the interval of :func:`feldt_ci`. Item statistics follow psych::alpha:
    ``r`` correlates the item with the mean of the answered items, ``r_cor`` = Σⱼ R*ᵢⱼ / √ΣR* where R* is R
    with smc on its diagonal, ``r_drop`` = cov(xᵢ, Σ_{j≠i} xⱼ)/(sdᵢ · sd(Σ_{j≠i} xⱼ)), and the alphas if
    deleted are the same formulas without item i. ``nan_policy``: ``"pairwise"`` (default, as psych and
    pingouin) or ``"listwise"``; see the module notes.

    Returns an :class:`AlphaResult` (``.alpha``, ``.ci_low``, ``.items``, ``.to_frame()``, ``.summary()``).
    Warns when an item correlates negatively with the rest of the scale (probably reverse-keyed).

    >>> d = pd.DataFrame({"q1": [1, 2, 3, 4, 5, 3], "q2": [2, 2, 3, 5, 4, 3], "q3": [5, 4, 3, 1, 2, 3]})
    >>> round(cronbach_alpha(d, reverse=["q3"], scale_min=1, scale_max=5).alpha, 3)
    0.962
    """
    where = "cronbach_alpha"
    level = check_level(level, where=where)
    mom, names = _scale(data, reverse, scale_min, scale_max, nan_policy, min_items=2, need="alpha needs",
                        where=where)
    result = _alpha_result(mom, names, set(_as_names(reverse, "reverse", where)), level, nan_policy)
    negative = result.items.loc[result.items["r_drop"] < 0, "item"].tolist()
    if negative:
        warnings.warn(f"{where}: item(s) {negative} correlate negatively with the rest of the scale; are they "
                      "reverse-keyed? Pass them in reverse=[...]", UserWarning, stacklevel=2)
    return result


def _scale(data: pd.DataFrame, reverse, scale_min, scale_max, nan_policy: str, *, min_items: int, need: str,
           where: str) -> tuple[_Moments, list[str]]:
    """The steps every reliability statistic starts with: items checked, reverse-keyed ones flipped,
    covariances and correlations under ``nan_policy``."""
    check_choice(nan_policy, _NAN_POLICIES, where=where, what="nan_policy")
    x, names = _item_matrix(data, where)
    if len(names) < min_items:
        raise ValueError(f"{where}: {need} at least {min_items} items; got {len(names)} ({names})")
    x = _keyed(x, names, reverse, scale_min, scale_max, where)
    return _moments(x, nan_policy, where, names), names


def _alpha_result(mom: _Moments, names: list[str], reversed_items: set, level: float,
                  nan_policy: str) -> AlphaResult:
    k = len(names)
    stats = _alpha_from(mom.cov, mom.corr)
    lo, hi = feldt_ci(float(stats["alpha"]), mom.n, k, level)
    frame = pd.DataFrame({
        "item": names,
        "reversed": [n in reversed_items for n in names],
        "n": mom.n_item.astype(int),
        "mean": mom.mean,
        "sd": mom.sd,
        "r": mom.raw_r,
        "std_r": stats["std_r"],
        "r_cor": stats["r_cor"],
        "r_drop": stats["r_drop"],
        "alpha_if_deleted": stats["alpha_if_deleted"],
        "std_alpha_if_deleted": stats["std_alpha_if_deleted"],
    })
    return AlphaResult(alpha=float(stats["alpha"]), std_alpha=float(stats["std_alpha"]), ci_low=lo, ci_high=hi,
                       n=mom.n, k=k, average_r=float(stats["average_r"]), g6=float(stats["g6"]), items=frame,
                       level=level, nan_policy=nan_policy)


# ─── omega ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class OmegaResult(Result):
    """McDonald's omega total of one scale from a one-factor model (see :func:`omega`).

    ``loadings`` has one row per item: item, reversed, loading (standardised λ), communality (λ²) and
    uniqueness (ψ = 1 − λ²).
    """

    omega_total: float
    omega_observed: float
    n: int
    k: int
    method: str
    loadings: pd.DataFrame
    nan_policy: str = "pairwise"

    @property
    def explained(self) -> float:
        """Share of the items' total variance explained by the factor: Σλ² / k."""
        return float(self.loadings["communality"].mean())

    def to_frame(self) -> pd.DataFrame:
        """One row: k, n, omega_total, omega_observed, explained, method."""
        return pd.DataFrame([{"k": self.k, "n": self.n, "omega_total": self.omega_total,
                              "omega_observed": self.omega_observed, "explained": self.explained,
                              "method": self.method}])

    def summary(self) -> str:
        """A short plain-text report with the loadings."""
        lines = [f"McDonald's omega total = {self.omega_total:.3f} (one-factor {self.method} model of the item "
                 f"correlations; k = {self.k}, n = {self.n}); the factor explains {self.explained:.0%} of the "
                 "item variance."]
        width = max(len(str(i)) for i in self.loadings["item"])
        for row in self.loadings.itertuples(index=False):
            lines.append(f"{row.item!s:<{width}}  loading {row.loading:+.3f}  uniqueness {row.uniqueness:.3f}")
        return "\n".join(lines)


def _one_factor(corr: np.ndarray, method: str, n: int) -> np.ndarray:
    """Standardised loadings of a one-factor model of ``corr`` (sign chosen so that Σλ > 0)."""
    from statsmodels.multivariate.factor import Factor  # imported here: statsmodels is slow to import

    k = corr.shape[0]
    if method == "ml":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = Factor(corr=corr, n_factor=1, method="ml", nobs=n).fit(maxiter=1000, tol=1e-12)
        if not fit.mle_retvals.success:
            warnings.warn(f"omega: the maximum-likelihood factor analysis did not converge "
                          f"({fit.mle_retvals.message}); the loadings may be inaccurate", UserWarning, stacklevel=4)
    else:
        # Principal axis factoring iterated to convergence is the minres (unweighted least squares)
        # solution, psych::fa's default fm = "minres".
        fit = Factor(corr=corr, n_factor=1, method="pa", smc=True).fit(maxiter=10_000, tol=1e-12)
    lam = np.asarray(fit.loadings, dtype=float).reshape(k)
    if lam.sum() < 0:
        lam = -lam
    if np.any(np.abs(lam) >= 1.0):
        warnings.warn("omega: a loading reached 1 (Heywood case); uniquenesses are clipped at 0",
                      UserWarning, stacklevel=4)
    return lam


def omega(data: pd.DataFrame, *, reverse: Sequence[str] | None = None, scale_min: float | None = None,
          scale_max: float | None = None, method: str = "minres", nan_policy: str = "pairwise") -> OmegaResult:
    """McDonald's omega total for a unidimensional scale, from a one-factor model of the item correlations.

    With standardised loadings λᵢ and uniquenesses ψᵢ = 1 − λᵢ² of a one-factor (congeneric) model::

        omega_total    = (Σλ)² / ((Σλ)² + Σψ)          (McDonald 1999, Test Theory, ch. 6)
        omega_observed = 1 − Σψ / ΣR                  (psych::omega's omega.tot: observed total variance)

    The two agree when the one-factor model fits. For tau-equivalent items (equal loadings) omega_total
    equals standardised alpha; otherwise alpha is lower (McNeish 2018, Psychological Methods 23(3)).
    ``method="minres"`` (default, as psych::fa) fits unweighted least squares by iterated principal axes;
    ``"ml"`` fits maximum likelihood (``statsmodels`` ``Factor``). Items, ``reverse``, ``scale_min``,
    ``scale_max`` and ``nan_policy`` work as in :func:`cronbach_alpha`; at least 3 items are needed (a
    one-factor model of 2 items is not identified). ``data`` holds one column per item, as for
    :func:`cronbach_alpha`.

    Returns an :class:`OmegaResult` (``.omega_total``, ``.loadings``, ``.to_frame()``, ``.summary()``).

    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(500, 1))
    >>> items = pd.DataFrame(np.clip(np.round(3 + f * [0.9, 0.8, 0.7, 0.6] + rng.normal(size=(500, 4))), 1, 5),
    ...                      columns=["q1", "q2", "q3", "q4"])
    >>> round(omega(items).omega_total, 3)
    0.664
    """
    where = "omega"
    check_choice(method, _OMEGA_METHODS, where=where, what="method")
    mom, names = _scale(data, reverse, scale_min, scale_max, nan_policy, min_items=3,
                        need="a one-factor model needs", where=where)
    return _omega_from(mom, names, set(_as_names(reverse, "reverse", where)), method, nan_policy)


def _omega_from(mom: _Moments, names: list[str], rev: set[str], method: str, nan_policy: str) -> OmegaResult:
    lam = _one_factor(mom.corr, method, mom.n)
    communality = np.clip(lam**2, 0.0, 1.0)
    psi = 1.0 - communality
    common = lam.sum() ** 2
    loadings = pd.DataFrame({"item": names, "reversed": [n in rev for n in names], "loading": lam,
                             "communality": communality, "uniqueness": psi})
    return OmegaResult(omega_total=float(common / (common + psi.sum())),
                       omega_observed=float(1.0 - psi.sum() / mom.corr.sum()), n=mom.n, k=len(names),
                       method=method, loadings=loadings, nan_policy=nan_policy)


# ─── several scales ────────────────────────────────────────────────────────────────────────────────────


def _check_scales(data: pd.DataFrame, scales, where: str) -> dict[str, list[str]]:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"{where}: data must be a pandas DataFrame; got {type(data).__name__}")
    if not isinstance(scales, Mapping) or not scales:
        raise ValueError(f"{where}: scales must be a non-empty dict {{scale name: [item columns]}}")
    out: dict[str, list[str]] = {}
    for name, cols in scales.items():
        cols = _as_names(cols, f"scale {name!r}", where)
        if not cols:
            raise ValueError(f"{where}: scale {name!r} has no items")
        require_columns(data, cols, where=f"{where} (scale {name!r})", what="item column")
        check_unique(cols, where=f"{where} (scale {name!r})", what="item")
        out[str(name)] = cols
    return out


def _reverse_for(reverse, scale: str, cols: list[str], where: str) -> list[str]:
    """Reverse-keyed items of one scale, from {scale: [items]} or from one collection of item names."""
    if reverse is None:
        return []
    if isinstance(reverse, Mapping):
        rev = _as_names(reverse.get(scale), f"reverse[{scale!r}]", where)
        stray = [r for r in rev if r not in cols]
        if stray:
            raise ValueError(f"{where}: reverse[{scale!r}] names {stray}, which are not items of that scale")
        return rev
    return [c for c in cols if c in set(_as_names(reverse, "reverse", where))]


def _bound_for(bound, scale: str):
    """A scale's bound from one number for all scales or from {scale: number}."""
    if isinstance(bound, Mapping):
        return bound.get(scale)
    return bound


def _check_reverse_known(reverse, scales: dict[str, list[str]], where: str) -> None:
    if reverse is None or isinstance(reverse, Mapping):
        if isinstance(reverse, Mapping):
            unknown = [s for s in reverse if s not in scales]
            if unknown:
                raise ValueError(f"{where}: reverse names scale(s) {unknown} that are not in scales")
        return
    every = {c for cols in scales.values() for c in cols}
    stray = [r for r in _as_names(reverse, "reverse", where) if r not in every]
    if stray:
        raise ValueError(f"{where}: reverse names item(s) {stray} that belong to no scale")


def reliability_table(data: pd.DataFrame, scales: Mapping[str, Sequence[str]], *,
                      reverse: Mapping[str, Sequence[str]] | Iterable[str] | None = None,
                      scale_min: float | Mapping[str, float] | None = None,
                      scale_max: float | Mapping[str, float] | None = None, level: float = 0.95,
                      nan_policy: str = "pairwise", omega_method: str = "minres") -> pd.DataFrame:
    """One row per scale: alpha with its interval, standardised alpha, omega total and the weakest item.

    ``scales`` maps a scale name to its item columns. ``reverse`` is either ``{scale: [items]}`` or one
    collection of reverse-keyed item names (applied to whichever scale holds them). ``scale_min`` and
    ``scale_max`` are numbers, or ``{scale: number}``. Each scale is analysed by :func:`cronbach_alpha`
    and :func:`omega` (omega is NaN for 2-item scales).

    Columns: scale, k, n, alpha, ci_low, ci_high, std_alpha, omega_total, average_r, weakest_item (lowest
    corrected item-total correlation), weakest_r_drop, alpha_if_weakest_deleted.

    >>> from cfresearch.survey import load_survey
    >>> staff = load_survey(sample_path("survey", "employees.csv"), sample_path("survey", "employees_codebook.yaml"))
    >>> scales = {s["label"]: s["items"] for s in staff.codebook.scales.values()}
    >>> reverse = [i for name in staff.codebook.scales for i in staff.codebook.reverse_items(name)]
    >>> table = reliability_table(staff.data, scales, reverse=reverse, scale_min=1, scale_max=5)
    >>> table[["scale", "k", "alpha", "weakest_item"]].round(2).head(2)
                                   scale  k  alpha weakest_item
    0         Calm and positive attitude  4   0.86        att_2
    1  Confident, friendly communication  4   0.86        com_4
    """
    where = "reliability_table"
    level = check_level(level, where=where)
    check_choice(omega_method, _OMEGA_METHODS, where=where, what="omega_method")
    sc = _check_scales(data, scales, where)
    _check_reverse_known(reverse, sc, where)
    rows = []
    for name, cols in sc.items():
        rev = _reverse_for(reverse, name, cols, where)
        lo, hi = _bound_for(scale_min, name), _bound_for(scale_max, name)
        mom, names = _scale(data[cols], rev, lo, hi, nan_policy, min_items=2, need="alpha needs",
                            where=f"{where} (scale {name!r})")
        res = _alpha_result(mom, names, set(rev), level, nan_policy)
        omega_t = _omega_from(mom, names, set(rev), omega_method, nan_policy).omega_total if len(cols) >= 3 \
            else np.nan
        weak = res.items.loc[res.items["r_drop"].idxmin()]
        rows.append({
            "scale": name, "k": res.k, "n": res.n, "alpha": res.alpha, "ci_low": res.ci_low,
            "ci_high": res.ci_high, "std_alpha": res.std_alpha, "omega_total": omega_t,
            "average_r": res.average_r, "weakest_item": weak["item"], "weakest_r_drop": float(weak["r_drop"]),
            "alpha_if_weakest_deleted": float(weak["alpha_if_deleted"]),
        })
    return pd.DataFrame(rows)


def scale_scores(data: pd.DataFrame, scales: Mapping[str, Sequence[str]], *,
                 reverse: Mapping[str, Sequence[str]] | Iterable[str] | None = None,
                 scale_min: float | Mapping[str, float] | None = None,
                 scale_max: float | Mapping[str, float] | None = None, min_valid: float | int = 0.5,
                 method: str = "mean") -> pd.DataFrame:
    """Each respondent's score on each scale: the mean of the answered items, reverse-keyed items flipped.

    ``min_valid`` is how many answered items a score needs: a share of the scale's items when a float in
    (0, 1] (0.5: at least half, rounded up), or a count when an int >= 1. Respondents with fewer get NaN.
    ``method="mean"`` (default) gives the mean of the answered items, on the items' own scale;
    ``"sum"`` gives the prorated sum, mean × k, so a skipped item does not lower the score.
    ``reverse``, ``scale_min`` and ``scale_max`` work as in :func:`reliability_table`.

    Returns a DataFrame with one float column per scale, on the index of ``data``.

    >>> d = pd.DataFrame({"a": [4, 5, None], "b": [2, 1, 3]})
    >>> scale_scores(d, {"service": ["a", "b"]}, reverse=["b"], scale_min=1, scale_max=5)["service"].tolist()
    [4.0, 5.0, 3.0]
    """
    where = "scale_scores"
    if method not in ("mean", "sum"):
        raise ValueError(f"{where}: method must be 'mean' or 'sum'; got {method!r}")
    if isinstance(min_valid, bool) or not isinstance(min_valid, (int, float, np.integer, np.floating)):
        raise ValueError(f"{where}: min_valid must be a share in (0, 1] or a whole count >= 1; got {min_valid!r}")
    is_count = isinstance(min_valid, (int, np.integer))
    if (is_count and min_valid < 1) or (not is_count and not 0 < min_valid <= 1):
        raise ValueError(f"{where}: min_valid must be a share in (0, 1] or a whole count >= 1; got {min_valid!r}")
    sc = _check_scales(data, scales, where)
    _check_reverse_known(reverse, sc, where)
    out = {}
    for name, cols in sc.items():
        k = len(cols)
        need = int(min_valid) if is_count else math.ceil(float(min_valid) * k - 1e-9)
        if need > k:
            raise ValueError(f"{where}: min_valid={min_valid} asks for {need} answered items but scale {name!r} "
                             f"has only {k}")
        x, names = _item_matrix(data[cols], f"{where} (scale {name!r})")
        rev = _reverse_for(reverse, name, cols, where)
        lo, hi = _bound_for(scale_min, name), _bound_for(scale_max, name)
        x = _keyed(x, names, rev, lo, hi, f"{where} (scale {name!r})")
        valid = ~np.isnan(x)
        count = valid.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(valid, x, 0.0).sum(axis=1) / count
        score[count < need] = np.nan
        out[name] = score * k if method == "sum" else score
    return pd.DataFrame(out, index=data.index)
