"""Survey weighting: raking (iterative proportional fitting), cell post-stratification, and weight diagnostics.

* :func:`rake` adjusts base weights dᵢ so that the weighted distribution of several variables matches
  population margins (Deming & Stephan 1940; R ``survey::rake``, Stata ``ipfraking``). Without bounds
  the raked weight is dᵢ·g(cell), where the cell is the combination of the raking variables' categories,
  so the whole fit runs on the aggregated cells: one ``np.bincount`` sums the base weights per cell, IPF
  runs on the (typically ≤ 10⁴) cells, and one gather maps the factors back to the rows. With bounds
  (``cap`` relative to the mean weight, or absolute ``trim`` limits) each margin step solves, per
  category, for the factor that meets the target while the units that would cross a bound are held at
  the bound (bounded raking, as R ``calibrate(..., bounds=)``/``trimWeights`` alternate trimming and
  re-raking until both hold). That needs row-level passes.
* :func:`post_stratify` is the one-step special case for a single (possibly joint) cell variable
  (R ``survey::postStratify``).
* :func:`kish_deff` and :func:`effective_n` are Kish's (1965) design effect due to unequal weighting,
  deff = n·Σw²/(Σw)², and the effective sample size n/deff = (Σw)²/Σw².

The :class:`RakeResult` keeps, for every row, its raking cell and the cells' margin dummies, so that
:func:`cfresearch.survey.estimates.weighted_estimate` can replace the linearised scores by their
residuals from the (base-weighted) regression on those dummies — the calibration-estimator variance of
Deville & Särndal (1992, JASA 87:376-382) that R applies to raked and post-stratified designs.

Validated against R ``survey`` 4.5 on the ``apiclus1`` data (``rake`` and ``postStratify`` weights, as
exported by the Survey.jl reference fixtures) and against svy 0.35 and samplics 0.6 run side by side.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from cfresearch.categories import encode
from cfresearch.checks import check_choice, require_columns, weights_array
from cfresearch.results import Result

__all__ = [
    "RakeResult",
    "RakingError",
    "effective_n",
    "effective_n_of_sums",
    "kish_deff",
    "post_stratify",
    "rake",
    "rake_by",
]

_SHARE_TOL = 1e-6
_MAX_DENSE_CELLS = 1_000_000


class RakingError(ValueError):
    """Raking did not converge (or the bounds make the margins unreachable)."""


# ─── weight diagnostics ───────────────────────────────────────────────────────────────────────────────


def _as_weight_array(weights, where: str) -> np.ndarray:
    w = weights_array(None, weights, where=where)
    if w.size == 0:
        raise ValueError(f"{where}: weights are empty")
    return w


def effective_n_of_sums(sum_w, sum_w2):
    """Kish's effective base (Σw)²/Σw² from the sums of the weights and of their squares (arrays allowed;
    NaN where Σw² = 0). The one formula behind every effective base in cfresearch.

    >>> effective_n_of_sums(np.array([6.0, 3.0]), np.array([10.0, 0.0])).tolist()
    [3.6, nan]
    """
    sum_w, sum_w2 = np.asarray(sum_w, dtype=float), np.asarray(sum_w2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(sum_w2 > 0, sum_w**2 / np.where(sum_w2 > 0, sum_w2, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


def kish_deff(weights) -> float:
    """Kish's design effect due to unequal weighting: deff = n·Σw²/(Σw)² = 1 + CV²(w) (population CV).

    Kish, L. (1965), *Survey Sampling*, Wiley, §11.7; R ``survey`` reports the same as ``deff`` of the
    weights alone. 1 for equal weights; the variance of a weighted mean is inflated by this factor when the
    weights are unrelated to the outcome.

    >>> kish_deff([1, 1, 2, 2])
    1.1111111111111112
    """
    w = _as_weight_array(weights, "kish_deff")
    s = w.sum()
    if s <= 0:
        raise ValueError("kish_deff: the weights sum to zero")
    return float(w.size * np.dot(w, w) / (s * s))


def effective_n(weights) -> float:
    """Kish's effective sample size (Σw)²/Σw² = n / :func:`kish_deff`.

    >>> effective_n([1, 1, 2, 2])
    3.6
    """
    w = _as_weight_array(weights, "effective_n")
    return effective_n_of_sums(w.sum(), np.dot(w, w))


# ─── result object ────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)
class RakeResult(Result):
    """Weights from :func:`rake` or :func:`post_stratify`, with diagnostics.

    ``weights`` is aligned to the input ``data.index``. ``margins`` (``to_frame()``) has one row per raking
    variable and category: target share, unweighted share, base-weighted share and final weighted share.
    ``max_deviation`` is the largest absolute difference between a weighted margin share and its target
    share. ``deff``/``efficiency``/``effective_n`` are Kish's measures of the final weights;
    :meth:`diagnostics` lists them all.

    For the variance of estimates (see :mod:`cfresearch.survey.design`): ``cell`` gives each row's raking
    cell (the combination of the raking variables' categories), ``cell_dummies`` the margin dummies of every
    cell (cells × Σ categories), and ``base_weights`` the weights the raking started from.
    """

    weights: pd.Series
    iterations: int
    converged: bool
    max_deviation: float
    margins: pd.DataFrame
    variables: tuple[str, ...]
    base_weights: np.ndarray = field(repr=False)
    cell: np.ndarray = field(repr=False)
    cell_dummies: np.ndarray = field(repr=False)
    method: str = "rake"
    tol: float = 1e-6
    bounds: tuple[float, float] = (0.0, np.inf)
    worst_margin: tuple[str, Hashable] | None = None

    @cached_property
    def _stats(self) -> dict:
        w = self.weights.to_numpy(dtype=float)
        pos = w[w > 0]
        return {"n": int(w.size), "sum_w": float(w.sum()), "deff": kish_deff(w), "min": float(w.min()),
                "max": float(w.max()), "min_positive": float(pos.min()) if pos.size else np.nan}

    @property
    def deff(self) -> float:
        """Kish design effect of the final weights, n·Σw²/(Σw)²."""
        return self._stats["deff"]

    @property
    def efficiency(self) -> float:
        """Weighting efficiency 1/deff (share of the nominal sample size that is effectively kept)."""
        return 1.0 / self.deff

    @property
    def effective_n(self) -> float:
        """Kish effective sample size n/deff."""
        return self._stats["n"] / self.deff

    @property
    def min_weight(self) -> float:
        return self._stats["min"]

    @property
    def max_weight(self) -> float:
        return self._stats["max"]

    @property
    def weight_ratio(self) -> float:
        """Largest over smallest positive weight."""
        return self._stats["max"] / self._stats["min_positive"]

    @property
    def adjustment(self) -> pd.Series:
        """The adjustment factor g = final weight / base weight (NaN where the base weight is 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            g = self.weights.to_numpy() / self.base_weights
        return pd.Series(g, index=self.weights.index, name="g")

    def diagnostics(self) -> pd.DataFrame:
        """One-column table of diagnostics: method, convergence, iterations, max deviation, n, Σw,
        Kish deff, efficiency, effective n, min/max weight and their ratio, min/max adjustment factor."""
        g = self.adjustment.to_numpy()
        g = g[np.isfinite(g)]
        rows = {
            "method": self.method,
            "variables": ", ".join(self.variables),
            "converged": self.converged,
            "iterations": self.iterations,
            "max_deviation": self.max_deviation,
            "worst_margin": "" if self.worst_margin is None else f"{self.worst_margin[0]}={self.worst_margin[1]}",
            "n": self._stats["n"],
            "sum_w": self._stats["sum_w"],
            "deff": self.deff,
            "efficiency": self.efficiency,
            "effective_n": self.effective_n,
            "min_weight": self.min_weight,
            "max_weight": self.max_weight,
            "weight_ratio": self.weight_ratio,
            "min_adjustment": float(g.min()) if g.size else np.nan,
            "max_adjustment": float(g.max()) if g.size else np.nan,
        }
        return pd.DataFrame({"value": pd.Series(rows, dtype=object)}).rename_axis("statistic")

    @property
    def zeroed(self) -> pd.DataFrame:
        """Categories present in the sample whose target share is 0: their respondents get weight 0 and drop
        out of every weighted figure (variable, category, n). Usually a mistake in the targets file."""
        m = self.margins
        hit = m[(m["target"] == 0) & (m["n"] > 0)]
        keep = [c for c in ("variable", "category", "n") if c in hit.columns]
        return hit[keep].drop_duplicates(["variable", "category"]).reset_index(drop=True)

    @property
    def zeroed_categories(self) -> list[str]:
        """:attr:`zeroed` as text: ``"region = Central (112 respondents)"``, one per category."""
        return [f"{r.variable} = {r.category} ({r.n:,} respondent{'s' * (r.n != 1)})"
                for r in self.zeroed.itertuples()]

    def summary(self) -> str:
        """A short plain-text account: method, convergence, design effect, effective base, weight range, and a
        warning for respondents weighted to zero by a target share of 0."""
        state = (f"converged in {self.iterations} iteration(s)" if self.converged else
                 f"did NOT converge after {self.iterations} iteration(s)")
        worst = "" if self.worst_margin is None else f" ({self.worst_margin[0]} = {self.worst_margin[1]})"
        text = (f"{self.method.capitalize()} on {', '.join(self.variables)}: {state}; largest deviation from a "
                f"target share {self.max_deviation:.1e}{worst}.\n"
                f"n = {self._stats['n']:,}; Kish design effect {self.deff:.2f}, effective base "
                f"{self.effective_n:,.0f} (efficiency {self.efficiency:.0%}); weights {self.min_weight:.3g} to "
                f"{self.max_weight:.3g} (ratio {self.weight_ratio:.3g}).")
        zeroed = self.zeroed
        if len(zeroed):
            listed = ", ".join(f"{r.variable} = {r.category} ({r.n:,})" for r in zeroed.itertuples())
            text += (f"\nWARNING: {int(zeroed['n'].sum()):,} respondent(s) weighted to 0 because their category "
                     f"has a target share of 0: {listed}. They count in no weighted figure; check the targets.")
        return text

    def restrict(self, index: pd.Index) -> RakeResult:
        """The raking of the rows in ``index`` only (a subset of the rows raked), for the design of a subset
        that was raked on its own, such as one wave of :func:`rake_by`: weights and base weights of those
        rows, their cells renumbered, the cells' margin dummies kept; margins and diagnostics as raked."""
        pos = self.weights.index.get_indexer(index)
        if (pos < 0).any():
            raise ValueError(f"RakeResult.restrict: {int((pos < 0).sum())} row(s) were not raked")
        used, cell = np.unique(self.cell[pos], return_inverse=True)
        return replace(self, weights=self.weights.iloc[pos], base_weights=self.base_weights[pos],
                       cell=cell.ravel().astype(np.intp), cell_dummies=self.cell_dummies[used])

    def to_frame(self) -> pd.DataFrame:
        """The margins table: variable, category, target (share), target_total, n, and the shares unweighted,
        design_weighted (under the base weights the raking started from) and weighted (final), weighted_total,
        deviation (weighted − target)."""
        return self.margins.copy()


# ─── input handling ───────────────────────────────────────────────────────────────────────────────────


def _match_target_keys(var: str, cats: list, target: Mapping) -> np.ndarray:
    """Target value for every observed category; ValueError naming the mismatches."""
    keys = list(target.keys())
    lookup = {k: k for k in keys}
    str_lookup = {str(k): k for k in keys}
    matched, missing = [], []
    for c in cats:
        if c in lookup:
            matched.append(lookup[c])
        elif str(c) in str_lookup:
            matched.append(str_lookup[str(c)])
        else:
            missing.append(c)
    if missing:
        raise ValueError(
            f"rake: variable {var!r} has categories with no target: {missing!r}; targets are given for {keys!r}"
        )
    used = set(matched)
    absent = [k for k in keys if k not in used and float(target[k]) != 0.0]
    if absent:
        raise ValueError(
            f"rake: variable {var!r}: target categories {absent!r} do not occur in the data "
            f"(observed categories: {cats!r})"
        )
    vals = np.array([float(target[k]) for k in matched])
    if not np.all(np.isfinite(vals)) or np.any(vals < 0):
        raise ValueError(f"rake: targets for {var!r} must be finite and non-negative; got {dict(target)!r}")
    return vals


def _base_weights(data: pd.DataFrame, base_weights) -> np.ndarray:
    if base_weights is None:
        return np.ones(len(data))
    w = weights_array(data, base_weights, where="rake", what="base_weights")
    if w.sum() <= 0:
        raise ValueError("rake: base_weights are all zero")
    return w


def _resolve_totals(raw: list[np.ndarray], variables: list[str], base_total: float, total: float | None):
    """Target totals per margin. Shares (summing to 1) are scaled to the population total; counts are
    used as given and must agree on one total."""
    sums = np.array([r.sum() for r in raw])
    if np.any(sums <= 0):
        bad = [v for v, s in zip(variables, sums) if s <= 0]
        raise ValueError(f"rake: targets for {bad!r} sum to zero")
    is_share = np.abs(sums - 1.0) < _SHARE_TOL
    if total is not None:
        grand = float(total)
    elif (~is_share).any():
        counts = sums[~is_share]
        if np.any(np.abs(counts - counts[0]) > 1e-6 * counts[0]):
            detail = ", ".join(f"{v}: {s:g}" for v, s, sh in zip(variables, sums, is_share) if not sh)
            raise ValueError(f"rake: the count targets imply different population totals ({detail}); "
                             "give shares, or counts that sum to the same total")
        grand = float(counts[0])
    else:
        grand = float(base_total)
    return [r / s * grand for r, s in zip(raw, sums)], grand


# ─── cell-level IPF ───────────────────────────────────────────────────────────────────────────────────


def _cells(codes: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Combined cell key per row (intp) and, per cell, the category code of every raking variable."""
    n_cells = int(np.prod(sizes, dtype=np.float64))
    if n_cells <= _MAX_DENSE_CELLS:
        key = np.ravel_multi_index(codes, sizes).astype(np.intp, copy=False)
        cell_codes = np.stack(np.unravel_index(np.arange(n_cells), sizes), axis=1).astype(np.intp)
        return key, cell_codes
    stacked = np.stack(codes, axis=1)
    uniq, key = np.unique(stacked, axis=0, return_inverse=True)
    return key.ravel().astype(np.intp), uniq.astype(np.intp)


def _margin_dummies(cell_codes: np.ndarray, sizes: list[int]) -> np.ndarray:
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    dummies = np.zeros((cell_codes.shape[0], int(sum(sizes))))
    rows = np.arange(cell_codes.shape[0])
    for j in range(len(sizes)):
        dummies[rows, offsets[j] + cell_codes[:, j]] = 1.0
    return dummies


def _deviation(totals: list[np.ndarray], targets: list[np.ndarray], grand: float) -> tuple[float, int, int]:
    """Max |weighted share − target share| over every margin category, and where it is."""
    best, where = -1.0, (0, 0)
    for j, (t, tg) in enumerate(zip(totals, targets)):
        s = t.sum()
        dev = np.abs(t / s - tg / grand) if s > 0 else np.abs(tg / grand)
        k = int(np.argmax(dev))
        if dev[k] > best:
            best, where = float(dev[k]), (j, k)
    return best, where[0], where[1]


def _ipf_cells(cell_w, cell_codes, targets, sizes, grand, tol, max_iter):
    g = np.ones_like(cell_w)
    k = len(sizes)
    it = 0
    dev, wj, wk = _deviation([np.bincount(cell_codes[:, j], cell_w, sizes[j]) for j in range(k)], targets, grand)
    while dev >= tol and it < max_iter:
        it += 1
        for j in range(k):
            cur = np.bincount(cell_codes[:, j], cell_w * g, minlength=sizes[j])
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(cur > 0, targets[j] / cur, 0.0)
            g *= f[cell_codes[:, j]]
        totals = [np.bincount(cell_codes[:, j], cell_w * g, minlength=sizes[j]) for j in range(k)]
        dev, wj, wk = _deviation(totals, targets, grand)
    return g, it, dev, wj, wk


def _bounded_factor(w, cat, target, size, lo, hi, passes=50):
    """Per category c, the factor f_c with Σ_{i∈c} clip(w_i·f_c, lo_i, hi_i) = target_c: units that would
    cross a bound are held at it and the rest share what is left (a few vectorised passes)."""
    tot = np.bincount(cat, w, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(tot > 0, target / tot, 0.0)
    for _ in range(passes):
        trial = w * f[cat]
        at_hi = trial > hi
        at_lo = (trial < lo) & ~at_hi
        fixed = np.where(at_hi, hi, np.where(at_lo, lo, 0.0))
        free = np.where(at_hi | at_lo, 0.0, w)
        fixed_sum = np.bincount(cat, fixed, minlength=size)
        free_sum = np.bincount(cat, free, minlength=size)
        with np.errstate(divide="ignore", invalid="ignore"):
            new_f = np.where(free_sum > 0, (target - fixed_sum) / free_sum, f)
        new_f = np.maximum(new_f, 0.0)
        if np.allclose(new_f, f, rtol=1e-12, atol=0.0):
            f = new_f
            break
        f = new_f
    return np.clip(w * f[cat], lo, hi)


def _ipf_bounded(w0, codes, targets, sizes, grand, tol, max_iter, lo, hi):
    w = np.clip(w0 * (grand / w0.sum()), lo, hi)
    k = len(sizes)
    it = 0
    dev, wj, wk = _deviation([np.bincount(codes[j], w, sizes[j]) for j in range(k)], targets, grand)
    while dev >= tol and it < max_iter:
        it += 1
        for j in range(k):
            w = _bounded_factor(w, codes[j], targets[j], sizes[j], lo, hi)
        dev, wj, wk = _deviation([np.bincount(codes[j], w, sizes[j]) for j in range(k)], targets, grand)
    return w, it, dev, wj, wk


# ─── public API ───────────────────────────────────────────────────────────────────────────────────────


def rake(
    data: pd.DataFrame,
    targets: Mapping[str, Mapping[Hashable, float]],
    *,
    base_weights: str | Sequence[float] | np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-6,
    cap: float | None = None,
    trim: tuple[float | None, float | None] | None = None,
    total: float | None = None,
    on_nonconvergence: str = "raise",
) -> RakeResult:
    """Rake (iterative proportional fitting) base weights to population margins.

    Parameters
    ----------
    data : DataFrame with the raking variables (categorical, string or integer columns).
    targets : ``{variable: {category: share or count}}``. Keys are matched to the observed categories
        (value labels for the categoricals of :func:`cfresearch.survey.load_survey`; an integer category
        also matches the string key ``"1"``). A margin whose values sum to 1 is a set of shares and is
        scaled to the population total: ``total`` if given, else the total of the count margins, else
        the sum of the base weights. Count margins must agree on one total (as R requires).
    base_weights : column name or array of design weights dᵢ (default 1).
    max_iter, tol : stop when every weighted margin share is within ``tol`` of its target share
        (``max_deviation``), or after ``max_iter`` sweeps over the margins.
    cap : upper bound on the final weights relative to their mean (``cap=5``: no weight above 5 × the
        mean weight; the mean is fixed by the targets' total).
    trim : ``(lower, upper)`` absolute bounds on the final weights (either may be None).
    on_nonconvergence : ``"raise"`` (default: :class:`RakingError`), ``"warn"`` or ``"ignore"``; with the
        last two the last iterate is returned with ``converged=False``.

    Method
    ------
    Without bounds the raked weight is dᵢ·g(c) for the cell c of row i, so IPF (Deming & Stephan 1940)
    runs on the per-cell sums of dᵢ (one ``np.bincount``) and maps g back with one gather: the same
    fixed point as R ``survey::rake`` and Stata ``ipfraking``, at a cost of one pass over the rows.
    With bounds each margin step finds, per category, the factor that meets its target while units
    that would cross a bound are held there (bounded raking; the trimming-and-re-raking cycle of R
    ``calibrate(bounds=)``/``trimWeights`` or svy's ``trimming=`` carried to its fixed point), which
    needs row-level passes.

    Raises
    ------
    ValueError naming the variable and categories for a missing value in a raking variable, a data
    category without a target or a target category absent from the data; :class:`RakingError` (a
    ``ValueError``) when the margins are not met after ``max_iter`` sweeps, stating the iterations, the
    largest deviation and the margin where it occurs.

    Example
    -------
    >>> df = pd.DataFrame({"sex": ["F", "F", "M"], "age": ["y", "o", "o"]})
    >>> res = rake(df, {"sex": {"F": 0.5, "M": 0.5}, "age": {"y": 0.4, "o": 0.6}})
    >>> res.weights.round(3).tolist()
    [1.2, 0.3, 1.5]
    """
    check_choice(on_nonconvergence, ("raise", "warn", "ignore"), where="rake", what="on_nonconvergence")
    if not isinstance(targets, Mapping) or not targets:
        raise ValueError("rake: targets must be a non-empty mapping {variable: {category: share or count}}")
    if max_iter < 1 or not tol > 0:
        raise ValueError("rake: max_iter must be >= 1 and tol > 0")
    require_columns(data, list(targets), where="rake", what="raking variable")
    d = _base_weights(data, base_weights)
    margins = _Margins.of(data, targets, d.sum(), total)
    lo_abs, hi_abs = _bounds(trim, cap, margins.grand, len(data))
    bounded = lo_abs > 0 or np.isfinite(hi_abs)
    key, cell_codes = _cells(margins.codes, margins.sizes)
    cell_w = np.bincount(key, d, minlength=cell_codes.shape[0])
    if not bounded:
        g, it, dev, wj, wk = _ipf_cells(cell_w, cell_codes, margins.totals, margins.sizes, margins.grand, tol,
                                        max_iter)
        w = d * g[key]
        cell_final = cell_w * g
    else:
        margins.check_reachable(d > 0, lo_abs, hi_abs)
        lo, hi = np.where(d > 0, lo_abs, 0.0), np.where(d > 0, hi_abs, 0.0)
        w, it, dev, wj, wk = _ipf_bounded(d, margins.codes, margins.totals, margins.sizes, margins.grand, tol,
                                          max_iter, lo, hi)
        cell_final = np.bincount(key, w, minlength=cell_codes.shape[0])
    worst = (margins.variables[wj], margins.cats[wj][wk])
    if dev >= tol:
        _not_converged(it, dev, tol, worst, (lo_abs, hi_abs) if bounded else None, on_nonconvergence)
    n_cells = cell_codes.shape[0]
    table = _margins_table(margins.variables, margins.cats, cell_codes, margins.sizes, margins.totals,
                           margins.grand, np.bincount(key, minlength=n_cells), cell_w, cell_final)
    return RakeResult(weights=pd.Series(w, index=data.index, name="weight"), iterations=it,
                      converged=bool(dev < tol), max_deviation=float(dev), margins=table,
                      variables=tuple(margins.variables), base_weights=d, cell=key,
                      cell_dummies=_margin_dummies(cell_codes, margins.sizes),
                      method="rake" if not bounded else "rake (bounded)", tol=tol, bounds=(lo_abs, hi_abs),
                      worst_margin=worst)


@dataclass(frozen=True)
class _Margins:
    """The raking variables as codes, their observed categories and the target total of every category."""

    variables: list
    codes: list
    cats: list
    totals: list
    grand: float

    @property
    def sizes(self) -> list[int]:
        return [len(c) for c in self.cats]

    @classmethod
    def of(cls, data: pd.DataFrame, targets: Mapping, base_total: float, total: float | None) -> _Margins:
        variables = list(targets.keys())
        codes, cats, raw = [], [], []
        for v in variables:
            c, cv = encode(data[v], observed=True)
            if (c < 0).any():
                raise ValueError(f"rake: raking variable {v!r} has {int((c < 0).sum())} missing values; "
                                 "raking needs every row classified (impute, or add a category for them)")
            tgt = targets[v]
            if not isinstance(tgt, Mapping) or not tgt:
                raise ValueError(f"rake: targets[{v!r}] must be a non-empty mapping {{category: share or count}}")
            raw.append(_match_target_keys(v, cv, tgt))
            codes.append(c)
            cats.append(cv)
        totals, grand = _resolve_totals(raw, variables, base_total, total)
        return cls(variables, codes, cats, totals, grand)

    def check_reachable(self, nonzero: np.ndarray, lo: float, hi: float) -> None:
        """RakingError when bounds make a target unreachable: n_c·lower ≤ target_c ≤ n_c·upper must hold."""
        for j, v in enumerate(self.variables):
            cnt = np.bincount(self.codes[j][nonzero], minlength=self.sizes[j])
            bad = np.flatnonzero((self.totals[j] < cnt * lo * (1 - 1e-12)) | (self.totals[j] > cnt * hi * (1 + 1e-12)))
            if bad.size:
                raise RakingError(f"rake: the bounds ({lo:g}, {hi:g}) make the target of {v!r} unreachable for "
                                  f"categories {[self.cats[j][b] for b in bad]!r}")


def _bounds(trim, cap, grand: float, n: int) -> tuple[float, float]:
    """Absolute (lower, upper) bounds on the final weights from ``trim`` and ``cap`` (× the mean weight)."""
    lo_abs, hi_abs = (0.0, np.inf)
    if trim is not None:
        lo_abs = 0.0 if trim[0] is None else float(trim[0])
        hi_abs = np.inf if trim[1] is None else float(trim[1])
    if cap is not None:
        if not cap > 1:
            raise ValueError(f"rake: cap is a bound relative to the mean weight and must be > 1; got {cap}")
        hi_abs = min(hi_abs, cap * grand / n)
    if lo_abs > hi_abs:
        raise ValueError(f"rake: lower bound {lo_abs} exceeds upper bound {hi_abs}")
    return lo_abs, hi_abs


def _not_converged(it: int, dev: float, tol: float, worst: tuple, bounds, on_nonconvergence: str) -> None:
    msg = (f"rake did not converge after {it} iterations: max deviation {dev:.3g} (tol {tol:g}) "
           f"in margin {worst[0]!r}, category {worst[1]!r}")
    if bounds is not None:
        msg += f"; weight bounds ({bounds[0]:g}, {bounds[1]:g}) may be too tight"
    if on_nonconvergence == "raise":
        raise RakingError(msg)
    if on_nonconvergence == "warn":
        warnings.warn(msg, RuntimeWarning, stacklevel=3)


def rake_by(data: pd.DataFrame, targets: Mapping[str, Mapping[Hashable, float]], by: str, **options) -> RakeResult:
    """Rake each group of ``by`` (each wave of a tracker, each country) to the same margins, separately.

    Every group is raked with :func:`rake` and the same ``options`` (``base_weights``, ``cap``, ``trim``,
    ``tol``, ...); share targets are scaled to each group's own sum of base weights, so every group keeps
    its size and matches the population shares. ``cap`` is relative to each group's mean weight.

    The result is one :class:`RakeResult` for all rows: its calibration model is the raking margins
    interacted with the groups (block-diagonal margin dummies), so
    :func:`~cfresearch.survey.estimates.weighted_estimate` with ``raking=`` gives standard errors that
    account for raking within groups (Deville & Särndal 1992). ``margins`` gains a first column ``by``;
    ``iterations`` and ``max_deviation`` are the largest over the groups, ``converged`` is True only if
    every group converged.

    >>> df = pd.DataFrame({"wave": [1, 1, 1, 2, 2], "sex": ["F", "F", "M", "F", "M"]})
    >>> rake_by(df, {"sex": {"F": 0.5, "M": 0.5}}, "wave").weights.round(2).tolist()
    [0.75, 0.75, 1.5, 1.0, 1.0]
    """
    require_columns(data, [by], where="rake_by", what="column to rake within")
    if options.get("total") is not None:
        raise ValueError("rake_by: total is not supported; each group keeps its own total (use count targets "
                         "per group with rake() instead)")
    codes, groups = encode(data[by], observed=True)
    if (codes < 0).any():
        raise ValueError(f"rake_by: {by!r} has {int((codes < 0).sum())} missing value(s); every row needs a group")
    bw = options.pop("base_weights", None)
    if isinstance(bw, str):
        bw = weights_array(data, bw, where="rake_by", what="base_weights")
    n = len(data)
    weights = np.empty(n)
    base = np.empty(n)
    cell = np.empty(n, dtype=np.intp)
    parts, dummies, margins = [], [], []
    offset = 0
    for g, group in enumerate(groups):
        rows = np.flatnonzero(codes == g)
        sub = data.iloc[rows]
        try:
            res = rake(sub, targets, base_weights=None if bw is None else np.asarray(bw)[rows], **options)
        except ValueError as exc:  # RakingError included: say which group failed
            raise type(exc)(f"{by} = {group!r}: {exc}") from None
        weights[rows] = res.weights.to_numpy()
        base[rows] = res.base_weights
        cell[rows] = res.cell + offset
        offset += res.cell_dummies.shape[0]
        dummies.append(res.cell_dummies)
        margins.append(res.margins.assign(**{by: group}))
        parts.append(res)
    x = np.zeros((offset, sum(d.shape[1] for d in dummies)))
    r = c = 0
    for d in dummies:  # block-diagonal: margins interacted with the groups
        x[r:r + d.shape[0], c:c + d.shape[1]] = d
        r, c = r + d.shape[0], c + d.shape[1]
    worst = max(parts, key=lambda res: res.max_deviation)
    table = pd.concat(margins, ignore_index=True)
    return RakeResult(
        weights=pd.Series(weights, index=data.index, name="weight"),
        iterations=max(res.iterations for res in parts),
        converged=all(res.converged for res in parts),
        max_deviation=max(res.max_deviation for res in parts),
        margins=table[[by, *[col for col in table.columns if col != by]]],
        variables=parts[0].variables,
        base_weights=base,
        cell=cell,
        cell_dummies=x,
        method=f"{parts[0].method} within {by}",
        tol=parts[0].tol,
        bounds=(min(res.bounds[0] for res in parts), max(res.bounds[1] for res in parts)),
        worst_margin=worst.worst_margin,
    )

def _margins_table(variables, cats, cell_codes, sizes, target_totals, grand, cell_n, cell_d, cell_w):
    """Margins from the per-cell count, base-weight and final-weight sums (no further pass over rows)."""
    parts = []
    n = int(cell_n.sum())
    for j, v in enumerate(variables):
        cnt = np.bincount(cell_codes[:, j], cell_n, minlength=sizes[j]).round().astype(np.int64)
        bw = np.bincount(cell_codes[:, j], cell_d, minlength=sizes[j])
        fw = np.bincount(cell_codes[:, j], cell_w, minlength=sizes[j])
        parts.append(pd.DataFrame({
            "variable": v,
            "category": pd.Series(cats[j], dtype=object),
            "target": target_totals[j] / grand,
            "target_total": target_totals[j],
            "n": cnt,
            "unweighted": cnt / n,
            "design_weighted": bw / bw.sum(),
            "weighted": fw / fw.sum(),
            "weighted_total": fw,
        }))
    out = pd.concat(parts, ignore_index=True)
    out["deviation"] = out["weighted"] - out["target"]
    return out


def post_stratify(
    data: pd.DataFrame,
    targets: Mapping | pd.DataFrame,
    *,
    base_weights: str | Sequence[float] | np.ndarray | None = None,
    total: float | None = None,
) -> RakeResult:
    """Cell post-stratification: scale the base weights within each cell to its population share or count.

    ``targets`` is either ``{variable: {category: share or count}}`` with a single variable,
    ``{(var1, var2, ...): {(cat1, cat2, ...): share or count}}`` for a joint classification, or a
    DataFrame with one column per variable and a last column holding the targets (R's ``population``
    data frame). Shares are scaled to ``total`` (default: the sum of the base weights). Every cell in the
    data needs a target and every target cell with a positive target needs data (ValueError otherwise).

    wᵢ = dᵢ · N_c / N̂_c where N̂_c = Σ_{i∈c} dᵢ — R ``survey::postStratify`` (Holt & Smith 1979). The
    estimates module uses the cell dummies for the variance (residuals from the cell means).

    >>> df = pd.DataFrame({"g": ["a", "a", "b"]})
    >>> post_stratify(df, {"g": {"a": 0.5, "b": 0.5}}).weights.tolist()
    [0.75, 0.75, 1.5]
    """
    if isinstance(targets, pd.DataFrame):
        if targets.shape[1] < 2:
            raise ValueError("post_stratify: a targets DataFrame needs the cell variables and a target column")
        keys = list(targets.columns[:-1])
        vals = targets.iloc[:, -1].to_numpy(dtype=float)
        if len(keys) == 1:
            spec = {keys[0]: dict(zip(targets[keys[0]], vals))}
        else:
            spec = {tuple(keys): dict(zip(map(tuple, targets[keys].itertuples(index=False)), vals))}
    elif isinstance(targets, Mapping) and len(targets) == 1:
        spec = dict(targets)
    else:
        raise ValueError("post_stratify: targets must name exactly one (possibly joint) cell variable")
    (var, tgt), = spec.items()
    if isinstance(var, tuple):
        cols = list(var)
        require_columns(data, cols, where="post_stratify", what="cell variable")
        codes, cats = [], []
        for c in cols:
            cc, cv = encode(data[c], observed=True)
            if (cc < 0).any():
                raise ValueError(f"post_stratify: cell variable {c!r} has {int((cc < 0).sum())} missing values")
            codes.append(cc)
            cats.append(cv)
        key, cell_codes = _cells(codes, [len(c) for c in cats])
        used = np.unique(key)
        remap = np.full(int(key.max()) + 1, -1, dtype=np.intp)
        remap[used] = np.arange(used.size)
        joint = pd.Series(pd.Categorical.from_codes(
            remap[key], categories=pd.Index([tuple(cats[j][cell_codes[u, j]] for j in range(len(cols)))
                                             for u in used], tupleize_cols=False)), index=data.index)
        name = " × ".join(cols)
        frame = pd.DataFrame({name: joint}, index=data.index)
        tgt = {tuple(k): v for k, v in tgt.items()}
        res = rake(frame, {name: tgt}, base_weights=_base_weights(data, base_weights), total=total,
                   max_iter=2, tol=1e-9)
    else:
        res = rake(data[[var]], {var: tgt}, base_weights=_base_weights(data, base_weights), total=total,
                   max_iter=2, tol=1e-9)
    return replace(res, method="post-stratification", weights=res.weights.set_axis(data.index))
