"""Inter-coder agreement: Krippendorff's alpha, Cohen's and Fleiss' kappa, percent agreement, per code.

Rating data ("did two or more coders give a unit the same value?") come in one of three layouts, for every
function here whose first argument is ``data``:

* a **coders x units** array: a list of lists, a NumPy array or a wide DataFrame whose *rows are coders* and
  whose *columns are units* (pass ``frame.T`` for a spreadsheet with one row per unit), NaN/None for a
  missing value; values are numbers or labels;
* a **long** DataFrame with the columns ``unit``, ``coder`` and ``value`` (one row per coding; a coder who
  did not code a unit simply has no row, or a NaN value);
* for :func:`fleiss_kappa` also a **units x categories count table** (how many coders put each unit in each
  category), the layout of Fleiss (1971).

The statistics:

* :func:`krippendorff_alpha`: α = 1 − D_o / D_e from the coincidence matrix, any number of coders, missing
  values, nominal / ordinal / interval / ratio metrics (Krippendorff 2011, "Computing Krippendorff's
  Alpha-Reliability", Annenberg School for Communication departmental paper 43; the ordinal metric of
  Krippendorff 2004, *Content Analysis* 2nd ed., ch. 11), with a bootstrap interval over units.
* :func:`cohen_kappa`: two coders, unweighted or linearly / quadratically weighted (Cohen 1960, 1968), with the
  asymptotic standard errors of Fleiss, Cohen & Everitt (1969).
* :func:`fleiss_kappa`: many coders, the same number for every unit (Fleiss 1971), with per-category kappas,
  the standard error for the test of κ = 0 of Fleiss, Nee & Landis (1979), and Gwet's (2008) standard error
  for the confidence interval.
* :func:`percent_agreement`: the share of agreeing coder pairs per unit, averaged over units, and the share of
  units on which all coders agree.

And on a study's codings (:data:`cfresearch.qual.corpus.CODING_COLUMNS`) and turns
(:data:`cfresearch.qual.corpus.TURN_COLUMNS`):

* :func:`unit_codes`: the long table of "did coder c apply code k to turn t" (1/0), over every turn of every
  document a coder coded (a coder with no coding in a document is *missing* there, not 0);
* :func:`code_agreement`: one row per code (percent agreement, kappa, nominal alpha with a bootstrap interval)
  plus a pooled overall row;
* :func:`disagreements`: the turns where coders disagree on a code, for adjudication.

Speed. Alpha never loops over units. Each unit's row of codes is numbered as one integer (a "pattern": the
coders' values in base V + 1), equal rows are counted with ``np.bincount`` (``np.unique`` when the number of
possible patterns is large), and the coincidence matrix is built by ``np.bincount`` over the value pairs of the
distinct patterns, each pair weighted by (pattern count) / (m_u − 1). Coding data repeat a few patterns
(5 coders and 5 values have at most 6⁵ = 7,776), so 1,000,000 units cost a few passes over the array. The
bootstrap resamples units as multinomial counts of the patterns, so a replicate costs O(patterns), not O(units)
(continuous data, where nearly every unit is its own pattern, cost O(units) per replicate). With more than 512
distinct values alpha is computed without a V x V matrix: D_o from the value pairs, D_e from the value
frequencies (closed forms for nominal, ordinal and interval; the ratio double sum in blocks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse, stats

from cfresearch.checks import check_choice, check_level, require_columns
from cfresearch.results import Result

__all__ = [
    "LEVELS",
    "CodeAgreementResult",
    "CohenKappaResult",
    "FleissKappaResult",
    "KrippendorffResult",
    "PercentAgreementResult",
    "code_agreement",
    "cohen_kappa",
    "disagreements",
    "fleiss_kappa",
    "krippendorff_alpha",
    "percent_agreement",
    "unit_codes",
]

#: The levels of measurement of :func:`krippendorff_alpha`.
LEVELS = ("nominal", "ordinal", "interval", "ratio")
_LONG = ("unit", "coder", "value")
#: Largest number of distinct values for the coincidence-matrix route; above it alpha is computed from
#: value pairs and value frequencies directly (same result, no V x V matrix).
_MAX_MATRIX_VALUES = 512
#: Largest number of possible patterns counted with a dense np.bincount (else np.unique).
_DENSE_PATTERNS = 1 << 22
#: Elements per bootstrap block (replicates x patterns or replicates x V²).
_BLOCK = 1 << 22
#: Krippendorff's (2004, p. 241) thresholds.
RELIABLE, TENTATIVE = 0.800, 0.667
OVERALL = "(overall)"


# ─── reading the data ──────────────────────────────────────────────────────────────────────────────────


def _from_long(data: pd.DataFrame, where: str):
    """A long table (unit, coder, value) as a coders x units array."""
    frame = data[list(_LONG)]
    for col in ("unit", "coder"):
        if frame[col].isna().any():
            row = frame.index[frame[col].isna().to_numpy()][0]
            raise ValueError(f"{where}: the long table has no {col} in row {row!r}; every row needs a unit and a coder")
    u, units = pd.factorize(frame["unit"], sort=False)
    c, coders = pd.factorize(frame["coder"], sort=False)
    key = c.astype(np.int64) * len(units) + u
    dup = pd.Series(key).duplicated().to_numpy()
    if dup.any():
        first = np.flatnonzero(dup)[:3]
        pairs = [(units[u[i]], coders[c[i]]) for i in first]
        raise ValueError(f"{where}: {int(dup.sum())} (unit, coder) pair(s) occur more than once, e.g. {pairs}; a "
                         "coder gives one value per unit")
    values = frame["value"]
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    mat = np.full((len(coders), len(units)), np.nan if numeric else None, dtype=np.float64 if numeric else object)
    mat[c, u] = values.to_numpy(dtype=np.float64 if numeric else object)
    return mat, list(coders), list(units)


def _reliability_matrix(data, where: str):
    """(coders x units array, coder labels, unit labels) from a long table, a wide table or an array."""
    if isinstance(data, pd.DataFrame):
        if set(_LONG) <= set(data.columns):
            return _from_long(data, where)
        return data.to_numpy(), list(data.index), list(data.columns)
    if isinstance(data, (pd.Series, str, bytes)) or data is None:
        raise ValueError(f"{where}: data must be a coders x units array or table, or a long table with columns "
                         f"unit, coder, value; got {type(data).__name__}")
    try:
        arr = np.asarray(data)
    except ValueError:
        raise ValueError(f"{where}: data must be a coders x units array with rows of equal length (one row per "
                         "coder, NaN or None for a missing value)") from None
    if arr.ndim != 2:
        raise ValueError(f"{where}: data must be a 2-dimensional coders x units array; got {arr.ndim} dimension(s)")
    return arr, list(range(arr.shape[0])), range(arr.shape[1])


def _as_float(mat: np.ndarray):
    """The array as float64 (NaN = missing) when its values are numbers, else None (labels)."""
    if mat.dtype.kind in "biuf":
        return mat.astype(np.float64, copy=False)
    if mat.dtype.kind != "O":
        return None
    kind = pd.api.types.infer_dtype(mat.ravel(), skipna=True)
    if kind not in ("integer", "floating", "mixed-integer-float", "decimal", "boolean", "empty"):
        return None
    flat = mat.ravel()
    return np.where(pd.isna(flat), np.nan, flat).astype(np.float64).reshape(mat.shape)


def _check_values(values, where: str) -> list:
    if isinstance(values, (str, bytes)):
        raise ValueError(f"{where}: values must be a list of the possible values; got the string {values!r}")
    vals = list(values)
    if len(set(vals)) != len(vals):
        raise ValueError(f"{where}: values lists a value twice: {vals}")
    if not vals:
        raise ValueError(f"{where}: values must list at least one value")
    return vals


def _label_codes(mat: np.ndarray, level: str, values, where: str):
    """Integer codes (-1 missing) and the value domain of non-numeric labels."""
    flat = mat.astype(object).ravel()
    if mat.dtype.kind in "US":  # np.asarray turns NaN into the string 'nan'
        flat = np.where((flat == "nan") | (flat == ""), None, flat)
    codes, uniques = pd.factorize(flat, use_na_sentinel=True)
    uniques = list(uniques)
    if values is not None:
        domain = _check_values(values, where)
        pos = {v: i for i, v in enumerate(domain)}
        unknown = [u for u in uniques if u not in pos]
        if unknown:
            raise ValueError(f"{where}: the data contain value(s) {unknown[:5]} not in values={domain}")
        remap = np.array([pos[u] for u in uniques], dtype=np.int64)
    else:
        if level != "nominal":
            raise ValueError(f"{where}: {level} alpha needs numbers, or the labels' order in values=[...] (e.g. "
                             "values=['low', 'mid', 'high']); got non-numeric labels")
        try:
            order = sorted(range(len(uniques)), key=lambda i: uniques[i])
        except TypeError:
            order = list(range(len(uniques)))
        domain = [uniques[i] for i in order]
        remap = np.empty(len(uniques), dtype=np.int64)
        remap[order] = np.arange(len(uniques))
    codes = np.where(codes >= 0, remap[np.maximum(codes, 0)] if len(remap) else -1, -1)
    return codes.reshape(mat.shape).astype(np.int64), np.asarray(domain, dtype=object)


def _float_codes(x: np.ndarray, values, where: str):
    """Integer codes (-1 missing) and the value domain of numeric data (sorted, or as given in values)."""
    fin = ~np.isnan(x)
    codes = np.full(x.shape, -1, dtype=np.int64)
    if values is None:
        domain, inverse = np.unique(x[fin], return_inverse=True)
        codes[fin] = inverse.ravel()
        return codes, domain
    vals = _check_values(values, where)
    try:
        domain = np.asarray(vals, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: the data are numbers, so values must be numbers too; got {vals}") from None
    order = np.argsort(domain, kind="stable")
    srt = domain[order]
    obs = x[fin]
    pos = np.minimum(np.searchsorted(srt, obs), len(srt) - 1)
    bad = srt[pos] != obs
    if bad.any():
        raise ValueError(f"{where}: the data contain value(s) {np.unique(obs[bad])[:5].tolist()} not in "
                         f"values={vals}")
    codes[fin] = order[pos]
    return codes, domain


def _distinct(ids: np.ndarray, n_possible: int, inverse: bool = False):
    """The distinct pattern numbers, their counts and (optionally) each unit's index among them."""
    if n_possible <= max(_DENSE_PATTERNS, 2 * ids.size) and n_possible <= 1 << 26:
        counts = np.bincount(ids, minlength=n_possible)
        uniq = np.flatnonzero(counts)
        inv = None
        if inverse:
            lut = np.zeros(n_possible, dtype=np.int64)
            lut[uniq] = np.arange(uniq.size)
            inv = lut[ids]
        return uniq, counts[uniq], inv
    if inverse:
        uniq, inv, counts = np.unique(ids, return_inverse=True, return_counts=True)
        return uniq, counts, inv.ravel()
    uniq, counts = np.unique(ids, return_counts=True)
    return uniq, counts, None


def _decode(uniq: np.ndarray, base: int, m: int) -> np.ndarray:
    """Pattern numbers back to their m digits (coder 0 is the most significant digit)."""
    pat = np.empty((uniq.size, m), dtype=np.int64)
    rest = uniq.copy()
    for i in range(m - 1, -1, -1):
        pat[:, i] = rest % base
        rest //= base
    return pat


def _patterns(codes: np.ndarray, n_values: int, inverse: bool = False):
    """Distinct unit rows of a coders x units code array (-1 missing): (patterns x coders codes, counts, inverse)."""
    m, n = codes.shape
    base = n_values + 1
    if m * math.log2(base) <= 62:
        ids = np.zeros(n, dtype=np.int64)
        for i in range(m):
            ids *= base
            ids += codes[i] + 1
        uniq, counts, inv = _distinct(ids, base**m, inverse)
        return _decode(uniq, base, m) - 1, counts, inv
    rows, inv, counts = np.unique(codes.T, axis=0, return_inverse=True, return_counts=True)
    return rows, counts, inv.ravel() if inverse else None


def _integer_patterns(x: np.ndarray, lo: float, hi: float):
    """Fast path for integer-valued numeric data in a modest range: patterns straight from the float array.

    ``lo``/``hi``: the smallest and largest value (NaN ignored). Returns (patterns with codes value − lo, counts)
    or None when the data are not integers in a range whose patterns fit in 62 bits (the caller then codes the
    values with np.unique).
    """
    m, n = x.shape
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    base = hi - lo + 2
    if base > 1 << 20 or m * math.log2(base) > 62:
        return None
    base = int(base)
    ids = np.zeros(n, dtype=np.int64)
    t = np.empty(n)
    ti = np.empty(n, dtype=np.int64)
    for i in range(m):
        np.subtract(x[i], lo - 1.0, out=t)
        np.fmax(t, 0.0, out=t)  # NaN (missing) -> digit 0
        np.copyto(ti, t, casting="unsafe")
        if np.count_nonzero(ti != t):
            return None  # not integers
        ids *= base
        ids += ti
    uniq, counts, _ = _distinct(ids, base**m)
    return _decode(uniq, base, m) - 1, counts


@dataclass(frozen=True)
class _Coded:
    patterns: np.ndarray    # P x m value codes (-1 missing) of the pairable units' distinct rows
    counts: np.ndarray      # units per pattern
    domain: np.ndarray      # the values, indexed by code
    coders: list
    n_units_in: int         # units in the data (pairable or not)


def _coded(data, level: str, values, where: str) -> _Coded:
    """Read, code and compress the rating data; keep the units with 2 or more values."""
    mat, coders, units = _reliability_matrix(data, where)
    m, n = mat.shape
    if m < 2:
        raise ValueError(f"{where}: need at least 2 coders (rows of a coders x units array); got {m}")
    if n == 0:
        raise ValueError(f"{where}: the data have no units")
    x = _as_float(mat)
    lo = hi = math.nan
    if x is not None:
        lo, hi = float(np.fmin.reduce(x, axis=None)), float(np.fmax.reduce(x, axis=None))
        if math.isinf(lo) or math.isinf(hi):
            raise ValueError(f"{where}: the data contain infinite values; expected finite numbers or NaN for missing")
    if x is None and level in ("interval", "ratio"):
        raise ValueError(f"{where}: {level} alpha needs numeric values; got labels such as "
                         f"{pd.unique(pd.Series(mat.ravel()).dropna())[:3].tolist()}")
    fast = _integer_patterns(x, lo, hi) if x is not None and values is None else None
    if fast is not None:
        pat, counts = fast
        domain = None
    else:
        codes, domain = _float_codes(x, values, where) if x is not None else _label_codes(mat, level, values, where)
        pat, counts, _ = _patterns(codes, max(len(domain), 1))
    keep = (pat >= 0).sum(axis=1) >= 2
    pat, counts = pat[keep], counts[keep]
    if fast is not None:  # compress the integer range to the values that occur in pairable units
        present = np.zeros(int(pat.max(initial=0)) + 1, dtype=bool)
        present[pat[pat >= 0]] = True
        lut = np.cumsum(present) - 1
        pat = np.where(pat >= 0, lut[np.maximum(pat, 0)], -1)
        domain = int(lo) + np.flatnonzero(present)  # integers, shown as such
    if x is not None and level == "ratio" and len(domain) and np.min(domain.astype(float)) < 0:
        raise ValueError(f"{where}: ratio alpha needs values >= 0 (a ratio scale has a true zero); got "
                         f"{np.min(domain.astype(float)):g}")
    return _Coded(pat, counts, domain, coders, n)


# ─── alpha from coincidences ──────────────────────────────────────────────────────────────────────────


def _pair_entries(pat: np.ndarray, n_values: int):
    """Every ordered pair of values (c, k) from two different coders of a pattern: (pattern row, pair index
    c·V + k, weight 1/(m_u − 1)), the terms of the coincidence matrix (Krippendorff 2011, section C)."""
    valid = pat >= 0
    weight = 1.0 / np.maximum(valid.sum(axis=1) - 1, 1)
    rows, cols = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    m = pat.shape[1]
    for i in range(m):
        for j in range(i + 1, m):
            ok = np.flatnonzero(valid[:, i] & valid[:, j])
            a, b = pat[ok, i], pat[ok, j]
            rows += [ok, ok]
            cols += [a * n_values + b, b * n_values + a]
    r = np.concatenate(rows)
    return r, np.concatenate(cols), weight[r]


def _coincidences(pat: np.ndarray, counts: np.ndarray, n_values: int) -> np.ndarray:
    """The coincidence matrix o_ck (V x V): np.bincount over the value pairs of the distinct patterns, each pair
    weighted (units with the pattern) / (m_u − 1)."""
    rows, cols, weight = _pair_entries(pat, n_values)
    o = np.bincount(cols, weights=weight * counts[rows], minlength=n_values * n_values)
    return o.reshape(n_values, n_values)


def _pair_matrix(pat: np.ndarray, n_values: int) -> sparse.csr_matrix:
    """Each pattern's contribution to the coincidence matrix (patterns x V², sparse), for the bootstrap: a
    replicate's coincidence matrix is (draws per pattern) @ this."""
    rows, cols, weight = _pair_entries(pat, n_values)
    return sparse.csr_matrix((weight, (rows, cols)), shape=(pat.shape[0], n_values * n_values))


def _delta(level: str, domain: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    """Squared difference δ²_ck between values (Krippendorff 2011, section D), V x V (or batch x V x V for ordinal).

    ordinal: (Σ_{g=c..k} n_g − (n_c + n_k)/2)², which equals (G_k − G_c)² with G_c = Σ_{g<c} n_g + n_c/2 the
    mid-rank of value c among the pairable values: it depends on how often values are used, not on their size.
    """
    v = len(domain)
    if level == "nominal":
        return 1.0 - np.eye(v)
    if level == "ordinal":
        g = np.cumsum(n_c, axis=-1) - n_c / 2.0
        return (g[..., None, :] - g[..., :, None]) ** 2
    x = domain.astype(np.float64)
    diff = x[None, :] - x[:, None]
    if level == "interval":
        return diff**2
    total = x[None, :] + x[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total != 0, (diff / np.where(total != 0, total, 1.0)) ** 2, 0.0)


def _alpha_from_coincidence(o: np.ndarray, level: str, domain: np.ndarray):
    """(alpha, D_o, D_e) from coincidence matrices (..., V, V):
    D_o = Σ o_ck δ²_ck / n and D_e = Σ n_c n_k δ²_ck / (n (n − 1)) (Krippendorff 2011, sections C-D)."""
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    delta = _delta(level, domain, n_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        d_o = (o * delta).sum(axis=(-2, -1)) / n
        d_e = np.einsum("...c,...ck,...k->...", n_c, delta, n_c) / (n * (n - 1.0))
        alpha = np.where(d_e > 0, 1.0 - d_o / np.where(d_e > 0, d_e, 1.0), np.nan)
    return alpha, d_o, d_e


def _ratio_expected(n_c: np.ndarray, x: np.ndarray) -> float:
    """Σ_c Σ_k n_c n_k ((c − k)/(c + k))², in blocks of rows (O(V²) time, O(V · block) memory)."""
    total = 0.0
    step = max(1, _BLOCK // max(len(x), 1))
    for s in range(0, len(x), step):
        xs = x[s:s + step, None]
        tot = xs + x[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(tot != 0, ((xs - x[None, :]) / np.where(tot != 0, tot, 1.0)) ** 2, 0.0)
        total += float(n_c[s:s + step] @ d @ n_c)
    return total


def _alpha_pairwise(pat: np.ndarray, w: np.ndarray, domain: np.ndarray, level: str):
    """(alpha, D_o, D_e) without a coincidence matrix, for many distinct values: D_o from the value pairs of each
    pattern, D_e from the value frequencies (nominal: n² − Σn_c²; interval and ordinal, on mid-ranks:
    2(nΣn_c x_c² − (Σn_c x_c)²); ratio: the double sum in blocks). Same numbers as the matrix route."""
    valid = pat >= 0
    v = len(domain)
    m_u = valid.sum(axis=1)
    w = np.where(m_u >= 2, w, 0.0)  # a lone value has no partner: not pairable
    f = w / np.maximum(m_u - 1, 1)
    n_c = np.bincount(pat[valid], weights=np.broadcast_to(w[:, None], pat.shape)[valid], minlength=v)
    n = n_c.sum()
    if level == "ordinal":
        x = np.cumsum(n_c) - n_c / 2.0
    else:
        x = domain.astype(np.float64) if level != "nominal" else None
    num = 0.0
    m = pat.shape[1]
    for i in range(m):
        for j in range(i + 1, m):
            ok = valid[:, i] & valid[:, j]
            a, b = pat[ok, i], pat[ok, j]
            if level == "nominal":
                d = (a != b).astype(np.float64)
            elif level == "ratio":
                tot = x[a] + x[b]
                with np.errstate(invalid="ignore", divide="ignore"):
                    d = np.where(tot != 0, ((x[a] - x[b]) / np.where(tot != 0, tot, 1.0)) ** 2, 0.0)
            else:
                d = (x[a] - x[b]) ** 2
            num += 2.0 * float(f[ok] @ d)
    if level == "nominal":
        e = n * n - float(n_c @ n_c)
    elif level == "ratio":
        e = _ratio_expected(n_c, x)
    else:
        e = 2.0 * (n * float(n_c @ (x * x)) - float(n_c @ x) ** 2)
    d_o, d_e = num / n, e / (n * (n - 1.0))
    return (1.0 - d_o / d_e if d_e > 0 else math.nan), d_o, d_e


def _multinomial_blocks(rng, draws: int, counts: np.ndarray, replicates: int, width: int):
    """Bootstrap weights in blocks: each row is how often each pattern (or cluster) is drawn when `draws` units are
    resampled with replacement (multinomial with probabilities counts / Σcounts)."""
    p = counts / counts.sum()
    step = max(1, min(replicates, _BLOCK // max(width, 1)))
    for s in range(0, replicates, step):
        yield rng.multinomial(draws, p, size=min(step, replicates - s)).astype(np.float64)


def _bootstrap(pat, counts, domain, level, replicates, rng, clusters=None) -> np.ndarray:
    """Alpha of `replicates` resamples of the units (or of clusters of units), percentile bootstrap."""
    if replicates == 0:
        return np.zeros(0)
    v = len(domain)
    out = []
    if v <= _MAX_MATRIX_VALUES:
        pairs = _pair_matrix(pat, v)
        if clusters is not None:  # clusters x patterns membership counts -> clusters x V²
            pairs, weights, draws = (clusters @ pairs).tocsr(), np.ones(clusters.shape[0]), clusters.shape[0]
        else:
            weights, draws = counts, int(counts.sum())
        for w in _multinomial_blocks(rng, draws, weights, replicates, max(pairs.shape[0], v * v)):
            o = np.asarray(pairs.T @ w.T).T.reshape(-1, v, v)
            out.append(_alpha_from_coincidence(o, level, domain)[0])
        return np.concatenate(out)
    for w in _multinomial_blocks(rng, int(counts.sum()), counts, replicates, pat.shape[0]):
        out += [_alpha_pairwise(pat, row, domain, level)[0] for row in w]
    return np.asarray(out)


def _percentile(replicates: np.ndarray, ci: float) -> tuple[float, float]:
    ok = replicates[np.isfinite(replicates)]
    if ok.size == 0:
        return math.nan, math.nan
    lo, hi = np.quantile(ok, [(1.0 - ci) / 2.0, (1.0 + ci) / 2.0])
    return float(lo), float(hi)


def _reading(value: float, low: float = math.nan) -> str:
    """Krippendorff's (2004, p. 241) reading of an alpha (and of the lower end of its interval)."""
    if not np.isfinite(value):
        return "undefined: every pairable value is the same, so there is no variation to agree on"
    if value >= RELIABLE:
        text = "reliable (alpha >= .800, Krippendorff's standard for drawing conclusions from the codings)"
    elif value >= TENTATIVE:
        text = "tentative (.667 <= alpha < .800: good enough for tentative conclusions only)"
    else:
        text = "not acceptable (alpha < .667, Krippendorff's lowest limit: do not rely on these codings)"
    if np.isfinite(low) and value >= TENTATIVE and low < (RELIABLE if value >= RELIABLE else TENTATIVE):
        text += f"; the interval reaches down to {low:.3f}, so the sample does not rule out a lower grade"
    return text


class Coefficient(Result):
    """An agreement result whose ``float()`` is its coefficient (``estimate``)."""

    estimate: float

    def __float__(self) -> float:
        return float(self.estimate)


@dataclass(frozen=True, eq=False)
class KrippendorffResult(Coefficient):
    """Krippendorff's alpha (see :func:`krippendorff_alpha`); ``float(result)`` is alpha.

    ``n_units``: units with 2 or more values (pairable); ``n_values``: the pairable values n;
    ``observed``/``expected``: the disagreements D_o and D_e; ``coincidence``: the coincidence matrix o_ck
    (values x values, for up to 512 values); ``replicates``: the bootstrap alphas; ``ci``: confidence level.
    """

    estimate: float
    ci_low: float
    ci_high: float
    level: str
    n_units: int
    n_coders: int
    n_values: int
    observed: float
    expected: float
    ci: float = 0.95
    bootstrap: int = 0
    n_dropped: int = 0
    coincidence: pd.DataFrame | None = field(default=None, repr=False)
    replicates: np.ndarray | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row: level, estimate, ci_low, ci_high, n_units, n_coders, n_values, observed, expected, bootstrap."""
        return pd.DataFrame([{
            "level": self.level, "estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "n_units": self.n_units, "n_coders": self.n_coders, "n_values": self.n_values,
            "observed": self.observed, "expected": self.expected, "bootstrap": self.bootstrap,
        }])

    def summary(self) -> str:
        interval = (f", {self.ci:.0%} bootstrap CI {self.ci_low:.3f} to {self.ci_high:.3f} ({self.bootstrap:,} "
                    "resamples of units)" if self.bootstrap else "")
        lines = [f"Krippendorff's alpha ({self.level}) = {self.estimate:.3f}{interval}; {self.n_units:,} units, "
                 f"{self.n_coders} coders, {self.n_values:,} pairable values.",
                 f"Reading: {_reading(self.estimate, self.ci_low)}."]
        if self.n_dropped:
            lines.append(f"{self.n_dropped:,} unit(s) with fewer than 2 values were left out (nothing to pair).")
        if self.bootstrap and self.replicates is not None:
            ok = self.replicates[np.isfinite(self.replicates)]
            if ok.size:
                lines.append(f"Bootstrap: alpha fell below .667 in {np.mean(ok < TENTATIVE):.1%} and below .800 in "
                             f"{np.mean(ok < RELIABLE):.1%} of the resamples.")
        return "\n".join(lines)


def _check_bootstrap(bootstrap, where: str) -> int:
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ValueError(f"{where}: bootstrap must be a whole number of resamples >= 0 (0 = no interval); "
                         f"got {bootstrap!r}")
    return int(bootstrap)


def _alpha_core(coded: _Coded, level: str, bootstrap: int, ci: float, seed, where: str, clusters=None) -> dict:
    pat, counts, domain = coded.patterns, coded.counts, coded.domain
    if counts.size == 0:
        raise ValueError(f"{where}: no unit has values from 2 or more coders, so nothing can be paired")
    v = len(domain)
    coincidence = None
    if v <= _MAX_MATRIX_VALUES:
        o = _coincidences(pat, counts.astype(np.float64), v)
        alpha, d_o, d_e = (float(a) for a in _alpha_from_coincidence(o, level, domain))
        labels = list(domain)
        if domain.dtype.kind == "f" and np.all(domain == np.round(domain)) and np.all(np.abs(domain) < 2**53):
            labels = domain.astype(np.int64).tolist()
        coincidence = pd.DataFrame(o, index=pd.Index(labels, name="value"), columns=pd.Index(labels, name="value"))
        n_values = int(round(o.sum()))
    else:
        alpha, d_o, d_e = _alpha_pairwise(pat, counts.astype(np.float64), domain, level)
        n_values = int((pat >= 0).sum(axis=1) @ counts)
    reps = _bootstrap(pat, counts, domain, level, bootstrap, np.random.default_rng(seed), clusters)
    low, high = _percentile(reps, ci) if bootstrap else (math.nan, math.nan)
    return {"estimate": alpha, "ci_low": low, "ci_high": high, "level": level, "n_units": int(counts.sum()),
            "n_coders": len(coded.coders), "n_values": n_values, "observed": d_o, "expected": d_e, "ci": ci,
            "bootstrap": bootstrap, "n_dropped": coded.n_units_in - int(counts.sum()),
            "coincidence": coincidence, "replicates": reps if bootstrap else None}


def krippendorff_alpha(data, level: str = "nominal", *, bootstrap: int = 0, ci: float = 0.95, seed=0,
                       values=None) -> KrippendorffResult:
    """Krippendorff's alpha for any number of coders, missing values allowed.

    ``data``: a coders x units array or wide table (NaN/None = missing) or a long table with columns unit,
    coder, value (see the module docstring). ``level``: ``"nominal"``, ``"ordinal"``, ``"interval"`` or
    ``"ratio"``. ``values``: the possible values in order (needed for ordinal labels such as
    ``["low", "mid", "high"]``; otherwise the observed values, sorted).

    Computed as in Krippendorff (2011, "Computing Krippendorff's Alpha-Reliability"): units with fewer than 2
    values are dropped; each unit u with m_u values adds every ordered pair of values (c, k) from two different
    coders to the coincidence matrix with weight 1/(m_u − 1); n_c = Σ_k o_ck, n = Σ n_c, and::

        alpha = 1 − D_o / D_e = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck

    with δ²_ck = [c ≠ k] (nominal), (Σ_{g=c..k} n_g − (n_c + n_k)/2)² (ordinal: Krippendorff 2004, *Content
    Analysis* 2nd ed., ch. 11, built on the frequencies of the values between c and k, not on their rank
    difference), (c − k)² (interval) and ((c − k)/(c + k))² (ratio, values >= 0). Alpha is NaN when D_e = 0
    (every pairable value the same).

    ``bootstrap``: number of resamples for a percentile interval at level ``ci`` (Efron & Tibshirani 1993,
    ch. 13). Units are resampled with replacement and alpha is recomputed in full (D_o and D_e), which treats
    the units as the sample, as in Zapf et al. (2016, BMC Med Res Methodol 16:93). This is not the algorithm
    of Hayes & Krippendorff (2007, Communication Methods and Measures 1(1):77-89), which resamples pairs of
    values and keeps D_e fixed; its limits differ somewhat. ``seed`` makes the interval reproducible.

    Returns a :class:`KrippendorffResult` (``float(result)`` is alpha; ``.coincidence``, ``.summary()``).
    Reading (Krippendorff 2004, p. 241): alpha >= .800 reliable; .667 to .800 tentative conclusions only;
    below .667 not acceptable.

    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],     # Krippendorff (2011) p. 4
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    ...         [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
    >>> [round(float(krippendorff_alpha(data, lv)), 3) for lv in LEVELS]
    [0.743, 0.815, 0.849, 0.797]
    >>> krippendorff_alpha(data).n_values
    40
    """
    where = "krippendorff_alpha"
    check_choice(level, LEVELS, where=where, what="level")
    ci = check_level(ci, where=where, what="ci")
    bootstrap = _check_bootstrap(bootstrap, where)
    coded = _coded(data, level, values, where)
    return KrippendorffResult(**_alpha_core(coded, level, bootstrap, ci, seed, where))


# ─── percent agreement ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)
class PercentAgreementResult(Coefficient):
    """Percent agreement (see :func:`percent_agreement`); ``float(result)`` is the mean pairwise agreement.

    ``estimate``: per unit, the share of its coder pairs that gave the same value, averaged over the units
    (a proportion 0-1); ``all_agree``: share of units on which every coder gave the same value.
    """

    estimate: float
    all_agree: float
    n_units: int
    n_coders: int
    n_pairs: int

    def to_frame(self) -> pd.DataFrame:
        """One row: estimate, all_agree, n_units, n_coders, n_pairs."""
        return pd.DataFrame([{"estimate": self.estimate, "all_agree": self.all_agree, "n_units": self.n_units,
                              "n_coders": self.n_coders, "n_pairs": self.n_pairs}])

    def summary(self) -> str:
        return (f"Percent agreement = {self.estimate:.1%} of coder pairs per unit (mean over {self.n_units:,} units "
                f"with 2 or more values, {self.n_coders} coders); all coders agree on {self.all_agree:.1%} of the "
                "units.\nPercent agreement does not allow for agreement by chance: read it next to kappa or alpha.")


def _percent_from_patterns(pat: np.ndarray, counts: np.ndarray) -> tuple[float, float, int]:
    """(mean over units of agreeing pairs / pairs, share of units with full agreement, number of pairs)."""
    valid = pat >= 0
    m = pat.shape[1]
    agree = np.zeros(pat.shape[0])
    for i in range(m):
        for j in range(i + 1, m):
            agree += valid[:, i] & valid[:, j] & (pat[:, i] == pat[:, j])
    m_u = valid.sum(axis=1)
    pairs = m_u * (m_u - 1) / 2.0
    w = counts / counts.sum()
    return float(w @ (agree / pairs)), float(w @ (agree == pairs)), int(pairs @ counts)


def percent_agreement(data) -> PercentAgreementResult:
    """Percent agreement among any number of coders, missing values allowed.

    ``data``: as for :func:`krippendorff_alpha` (coders x units, or a long unit/coder/value table). Definition:
    for each unit with m_u >= 2 values, the share of its m_u(m_u − 1)/2 coder pairs that gave the same value;
    ``estimate`` is the mean of these shares over the units (Fleiss's 1971 P̄; with two coders, the share of
    units on which they agree). ``all_agree`` is the share of those units on which every coder agrees.
    Values are compared for equality (a nominal reading). Units with fewer than 2 values are left out.

    >>> r = percent_agreement([["a", "a", "b", "a"], ["a", "b", "b", "a"], ["a", "a", "b", None]])
    >>> round(r.estimate, 4), r.all_agree, r.n_units
    (0.8333, 0.75, 4)
    """
    where = "percent_agreement"
    coded = _coded(data, "nominal", None, where)
    if coded.counts.size == 0:
        raise ValueError(f"{where}: no unit has values from 2 or more coders, so nothing can be compared")
    est, full, n_pairs = _percent_from_patterns(coded.patterns, coded.counts)
    return PercentAgreementResult(est, full, int(coded.counts.sum()), len(coded.coders), n_pairs)


# ─── Cohen's kappa ────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)
class CohenKappaResult(Coefficient):
    """Cohen's kappa for two coders (see :func:`cohen_kappa`); ``float(result)`` is kappa.

    ``se``: asymptotic standard error (Fleiss, Cohen & Everitt 1969), used for the interval; ``se0``: the
    standard error under κ = 0, used for ``statistic`` (z) and ``p``; ``observed``/``expected``: the observed
    and chance (weighted) agreement p_o and p_e; ``table``: the coder_a x coder_b table of counts.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    se0: float
    statistic: float
    p: float
    n: int
    observed: float
    expected: float
    weights: str = "none"
    ci: float = 0.95
    coders: tuple = ("a", "b")
    n_dropped: int = 0
    table: pd.DataFrame | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row: weights, estimate, se, ci_low, ci_high, se0, statistic, p, n, observed, expected."""
        return pd.DataFrame([{
            "weights": self.weights, "estimate": self.estimate, "se": self.se, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "se0": self.se0, "statistic": self.statistic, "p": self.p, "n": self.n,
            "observed": self.observed, "expected": self.expected,
        }])

    def summary(self) -> str:
        kind = "Cohen's kappa" if self.weights == "none" else f"Cohen's weighted kappa ({self.weights} weights)"
        a, b = self.coders
        lines = [f"{kind} = {self.estimate:.3f} (SE {self.se:.3f}, {self.ci:.0%} CI {self.ci_low:.3f} to "
                 f"{self.ci_high:.3f}); {self.n:,} units coded by both {a} and {b}.",
                 f"Observed agreement {self.observed:.1%}, expected by chance {self.expected:.1%}; test of kappa = 0: "
                 f"z = {self.statistic:.2f}, p = {self.p:.3g}."]
        if self.n_dropped:
            lines.append(f"{self.n_dropped:,} unit(s) coded by only one of them were left out.")
        return "\n".join(lines)


def _is_sequence(x) -> bool:
    return isinstance(x, (list, tuple, np.ndarray, pd.Series, pd.Index))


def _two_coders(data, coder_a, coder_b, where: str):
    """(coders x units array of the two coders, their names) from the accepted layouts."""
    if _is_sequence(coder_a):  # cohen_kappa(labels_a, labels_b)
        a, b = np.asarray(data, dtype=object).ravel(), np.asarray(coder_a, dtype=object).ravel()
        if a.size != b.size:
            raise ValueError(f"{where}: the two coders' label sequences differ in length ({a.size} and {b.size})")
        return np.vstack([a, b]), ("coder_a", "coder_b")
    if isinstance(data, pd.DataFrame) and not set(_LONG) <= set(data.columns) and coder_a is not None \
            and coder_a not in data.index and coder_a in data.columns:
        data = data.T  # a units x coders sheet named by its columns
    mat, coders, _ = _reliability_matrix(data, where)
    if coder_a is None and coder_b is None:
        if len(coders) != 2:
            raise ValueError(f"{where}: the data have {len(coders)} coders (rows) {coders[:10]}; name the two to "
                             "compare with coder_a= and coder_b= (for a sheet with one row per unit, name its two "
                             "columns, or pass frame.T)")
        return mat, tuple(coders)
    names = [coder_a, coder_b]
    missing = [c for c in names if c not in coders]
    if missing or coder_a == coder_b:
        raise ValueError(f"{where}: coder_a and coder_b must be two different coders of the data {coders[:10]}; "
                         f"got {names}")
    return mat[[coders.index(coder_a), coders.index(coder_b)]], tuple(names)


def _kappa_from_table(table: np.ndarray, weights: str | None) -> dict:
    """Cohen's (weighted) kappa with the Fleiss, Cohen & Everitt (1969) standard errors.

    With agreement weights w_ij (1 on the diagonal; 1 − |i − j|/(V − 1) linear, 1 − (i − j)²/(V − 1)²
    quadratic; the identity unweighted), p_o = Σ w_ij p_ij, p_e = Σ w_ij p_i. p_.j, κ = (p_o − p_e)/(1 − p_e),
    w̄_i. = Σ_j p_.j w_ij, w̄_.j = Σ_i p_i. w_ij and::

        var(κ)  = [Σ p_ij (w_ij − (w̄_i. + w̄_.j)(1 − κ))² − (κ − p_e(1 − κ))²] / (n (1 − p_e)²)
        var0(κ) = [Σ p_i. p_.j (w_ij − (w̄_i. + w̄_.j))² − p_e²] / (n (1 − p_e)²)
    """
    v = table.shape[0]
    n = table.sum()
    p = table / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    i = np.arange(v)
    dist = np.abs(i[:, None] - i[None, :]).astype(np.float64)
    if weights is None or v < 2:
        w = np.eye(v)
    else:
        d = dist if weights == "linear" else dist**2
        w = 1.0 - d / d.max()
    p_o, p_e = float((w * p).sum()), float(row @ w @ col)
    if not p_e < 1.0:
        return {"estimate": math.nan, "se": math.nan, "se0": math.nan, "observed": p_o, "expected": p_e, "n": int(n)}
    kappa = (p_o - p_e) / (1.0 - p_e)
    w_row, w_col = w @ col, row @ w
    both = w_row[:, None] + w_col[None, :]
    var = ((p * (w - both * (1.0 - kappa)) ** 2).sum() - (kappa - p_e * (1.0 - kappa)) ** 2) / (n * (1 - p_e) ** 2)
    var0 = ((np.outer(row, col) * (w - both) ** 2).sum() - p_e**2) / (n * (1 - p_e) ** 2)
    return {"estimate": float(kappa), "se": float(np.sqrt(max(var, 0.0))), "se0": float(np.sqrt(max(var0, 0.0))),
            "observed": p_o, "expected": p_e, "n": int(n)}


def cohen_kappa(data, coder_a=None, coder_b=None, *, weights: str | None = None, ci: float = 0.95,
                labels=None) -> CohenKappaResult:
    """Cohen's kappa of two coders, unweighted or weighted, with its asymptotic standard error and interval.

    Call it as ``cohen_kappa(labels_a, labels_b)`` (two equally long sequences), or with a 2 x units array, a
    coders x units table (``coder_a``/``coder_b`` name two of its rows; a units x coders sheet whose columns
    are the coders works too), or a long unit/coder/value table (``coder_a``/``coder_b`` name two coders).
    Units that one of the two did not code (NaN/None) are left out.

    κ = (p_o − p_e)/(1 − p_e) (Cohen 1960); ``weights="linear"`` or ``"quadratic"`` gives weighted kappa with
    disagreement weights |i − j| or (i − j)² between the positions of the categories (Cohen 1968), as in
    scikit-learn's ``cohen_kappa_score``. Categories are ``labels`` in that order, else the observed labels
    sorted; pass ``labels`` for ordered text categories (``["low", "mid", "high"]``). Standard errors: Fleiss,
    Cohen & Everitt (1969, Psychological Bulletin 72(5):323-327): ``se`` (non-null, for the interval
    κ ± z·se, cut to [−1, 1]) and ``se0`` (under κ = 0, for the z test), as SAS PROC FREQ and statsmodels
    compute them.

    >>> a = ["yes"] * 25 + ["no"] * 25    # 50 proposals: both yes 20, a yes b no 5, a no b yes 10, both no 15
    >>> b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    >>> k = cohen_kappa(a, b)
    >>> round(float(k), 3), round(k.observed, 2), round(k.expected, 2)
    (0.4, 0.7, 0.5)
    """
    where = "cohen_kappa"
    check_choice(weights, (None, "linear", "quadratic"), where=where, what="weights")
    ci = check_level(ci, where=where, what="ci")
    mat, names = _two_coders(data, coder_a, coder_b, where)
    x = _as_float(mat)
    codes, domain = (_float_codes(x, labels, where) if x is not None
                     else _label_codes(mat, "nominal", labels, where))
    both = (codes >= 0).all(axis=0)
    if not both.any():
        raise ValueError(f"{where}: no unit was coded by both {names[0]!r} and {names[1]!r}")
    v = len(domain)
    table = np.bincount(codes[0, both] * v + codes[1, both], minlength=v * v).reshape(v, v).astype(np.float64)
    res = _kappa_from_table(table, weights)
    z = stats.norm.ppf((1.0 + ci) / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = res["estimate"] / res["se0"] if res["se0"] > 0 else math.nan
    frame = pd.DataFrame(table.astype(np.int64), index=pd.Index(list(domain), name=names[0]),
                         columns=pd.Index(list(domain), name=names[1]))
    return CohenKappaResult(
        estimate=res["estimate"], se=res["se"], ci_low=max(res["estimate"] - z * res["se"], -1.0),
        ci_high=min(res["estimate"] + z * res["se"], 1.0), se0=res["se0"], statistic=stat,
        p=float(2 * stats.norm.sf(abs(stat))) if np.isfinite(stat) else math.nan, n=res["n"],
        observed=res["observed"], expected=res["expected"], weights=weights or "none", ci=ci, coders=names,
        n_dropped=int((codes >= 0).any(axis=0).sum() - both.sum()), table=frame)


# ─── Fleiss' kappa ────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)
class FleissKappaResult(Coefficient):
    """Fleiss' kappa (see :func:`fleiss_kappa`); ``float(result)`` is kappa.

    ``se0``: Fleiss, Nee & Landis (1979) standard error under κ = 0, used for ``statistic`` (z) and ``p``;
    ``se``: Gwet's (2008) standard error, used for the interval; ``categories``: one row per category with
    its share of all ratings, its kappa κ_j, se0 and z test.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    se0: float
    statistic: float
    p: float
    n_units: int
    n_raters: int
    observed: float
    expected: float
    categories: pd.DataFrame = field(repr=False)
    ci: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """The overall row (category "(overall)") above one row per category: category, share, estimate, se,
        ci_low, ci_high, se0, statistic, p."""
        overall = pd.DataFrame([{"category": OVERALL, "share": 1.0, "estimate": self.estimate, "se": self.se,
                                 "ci_low": self.ci_low, "ci_high": self.ci_high, "se0": self.se0,
                                 "statistic": self.statistic, "p": self.p}])
        return pd.concat([overall, self.categories], ignore_index=True)

    def summary(self) -> str:
        cats = ", ".join(f"{c} {k:.3f}" for c, k in zip(self.categories["category"], self.categories["estimate"]))
        return (f"Fleiss' kappa = {self.estimate:.3f} ({self.ci:.0%} CI {self.ci_low:.3f} to {self.ci_high:.3f}, "
                f"Gwet SE {self.se:.3f}); {self.n_units:,} units, {self.n_raters} ratings each.\n"
                f"Observed agreement {self.observed:.1%}, expected by chance {self.expected:.1%}; test of kappa = 0 "
                f"(Fleiss, Nee & Landis 1979): z = {self.statistic:.2f}, p = {self.p:.3g}.\n"
                f"Per category: {cats}.")


def _count_table(data, where: str):
    """(units x categories counts, category labels) from a count table or a long unit/coder/value table."""
    if isinstance(data, pd.DataFrame) and set(_LONG) <= set(data.columns):
        mat, _, _ = _from_long(data, where)
        x = _as_float(mat)
        codes, domain = _float_codes(x, None, where) if x is not None else _label_codes(mat, "nominal", None, where)
        v, n = len(domain), codes.shape[1]
        unit = np.broadcast_to(np.arange(n), codes.shape)[codes >= 0]
        counts = np.bincount(unit * v + codes[codes >= 0], minlength=n * v).reshape(n, v)
        return counts.astype(np.float64), list(domain)
    labels = list(data.columns) if isinstance(data, pd.DataFrame) else None
    try:
        counts = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: data must be a units x categories table of counts (or a long table with columns "
                         "unit, coder, value)") from None
    if counts.ndim != 2 or counts.shape[0] == 0:
        raise ValueError(f"{where}: data must be a 2-dimensional units x categories table of counts")
    if not np.isfinite(counts).all() or (counts < 0).any() or (counts != np.round(counts)).any():
        raise ValueError(f"{where}: the count table must hold whole numbers >= 0 (how many coders put each unit in "
                         "each category)")
    return counts, labels if labels is not None else list(range(counts.shape[1]))


def _fleiss_from_counts(counts: np.ndarray) -> dict:
    """Fleiss (1971) kappa and per-category kappas, the Fleiss-Nee-Landis (1979) SE under κ = 0 and Gwet's (2008)
    SE, from a units x categories count table with m ratings per unit.

    p_j = Σ_i n_ij / (N m), P_i = (Σ_j n_ij² − m)/(m(m − 1)), κ = (P̄ − Σ p_j²)/(1 − Σ p_j²);
    κ_j = 1 − Σ_i n_ij (m − n_ij) / (N m (m − 1) p_j q_j);
    se0 = √(2/(N m (m − 1))) · √((Σ p_j q_j)² − Σ p_j q_j (q_j − p_j)) / Σ p_j q_j, se0_j = √(2/(N m (m − 1)));
    Gwet: κ*_i = (P_i − P_e)/(1 − P_e) − 2(1 − κ)(π_i − P_e)/(1 − P_e) with π_i = Σ_j n_ij p_j / m, and
    var = Σ_i (κ*_i − κ)² / (N (N − 1)) (Gwet 2008, BJMSP 61:29-48; irrCAC ``fleiss.kappa.dist``).
    """
    n_units, m = counts.shape[0], counts[0].sum()
    p = counts.sum(axis=0) / (n_units * m)
    q = 1.0 - p
    p_i = ((counts**2).sum(axis=1) - m) / (m * (m - 1))
    p_bar, p_e = float(p_i.mean()), float(p @ p)
    pq = p * q
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = (p_bar - p_e) / (1.0 - p_e) if p_e < 1 else math.nan
        kappa_j = 1.0 - (counts * (m - counts)).sum(axis=0) / (n_units * m * (m - 1) * pq)
        kappa_j = np.where(pq > 0, kappa_j, np.nan)
        se0 = math.sqrt(2.0 / (n_units * m * (m - 1))) * math.sqrt(max(pq.sum() ** 2 - pq @ (q - p), 0.0)) / pq.sum()
    se0_j = math.sqrt(2.0 / (n_units * m * (m - 1)))
    se = math.nan
    if n_units > 1 and p_e < 1:
        k_i = (p_i - p_e) / (1.0 - p_e) - 2.0 * (1.0 - kappa) * (counts @ p / m - p_e) / (1.0 - p_e)
        se = math.sqrt(float(((k_i - kappa) ** 2).sum()) / (n_units * (n_units - 1)))
    return {"estimate": float(kappa), "se": se, "se0": float(se0), "observed": p_bar, "expected": p_e,
            "share": p, "kappa_j": kappa_j, "se0_j": se0_j, "n_units": n_units, "m": int(m)}


def fleiss_kappa(data, *, ci: float = 0.95) -> FleissKappaResult:
    """Fleiss' kappa for many coders who give each unit the same number of ratings (Fleiss 1971).

    ``data``: a units x categories table of counts (how many coders put each unit in each category; an array
    or a DataFrame whose columns name the categories), or a long table with columns unit, coder, value.
    Every unit needs the same number m >= 2 of ratings; the coders need not be the same people from unit to
    unit. For missing ratings use :func:`krippendorff_alpha`.

    Formulas (Fleiss 1971, Psychological Bulletin 76(5):378-382; N units, p_j the share of all ratings in
    category j): P_i = (Σ_j n_ij² − m)/(m(m − 1)), κ = (P̄ − Σ p_j²)/(1 − Σ p_j²), and per category
    κ_j = 1 − Σ_i n_ij(m − n_ij)/(N m (m − 1) p_j q_j). The test of κ = 0 uses the standard error of Fleiss, Nee
    & Landis (1979, Psychological Bulletin 86(5):974-977), as R irr ``kappam.fleiss`` does; it holds only
    under κ = 0, so the interval κ ± t_{N−1}·se (cut to [−1, 1]) uses Gwet's (2008) standard error instead,
    as R irrCAC does.

    >>> table = [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0]]
    >>> r = fleiss_kappa(table)     # the first five patients of Fleiss (1971), Table 1
    >>> round(float(r), 3), r.n_units, r.n_raters
    (0.505, 5, 6)
    """
    where = "fleiss_kappa"
    ci = check_level(ci, where=where, what="ci")
    counts, labels = _count_table(data, where)
    totals = counts.sum(axis=1)
    if totals.min() != totals.max():
        raise ValueError(f"{where}: units have different numbers of ratings ({int(totals.min())} to "
                         f"{int(totals.max())}); Fleiss' kappa needs the same number for every unit: drop the "
                         "incomplete units, or use krippendorff_alpha, which allows missing ratings")
    if totals[0] < 2:
        raise ValueError(f"{where}: each unit needs at least 2 ratings; got {int(totals[0])}")
    res = _fleiss_from_counts(counts)
    t = stats.t.ppf((1.0 + ci) / 2.0, max(res["n_units"] - 1, 1))
    stat = res["estimate"] / res["se0"] if res["se0"] > 0 else math.nan
    z_j = res["kappa_j"] / res["se0_j"]
    cats = pd.DataFrame({"category": labels, "share": res["share"], "estimate": res["kappa_j"], "se": np.nan,
                         "ci_low": np.nan, "ci_high": np.nan, "se0": res["se0_j"], "statistic": z_j,
                         "p": 2 * stats.norm.sf(np.abs(z_j))})
    return FleissKappaResult(
        estimate=res["estimate"], se=res["se"], ci_low=max(res["estimate"] - t * res["se"], -1.0),
        ci_high=min(res["estimate"] + t * res["se"], 1.0), se0=res["se0"], statistic=stat,
        p=float(2 * stats.norm.sf(abs(stat))) if np.isfinite(stat) else math.nan, n_units=res["n_units"],
        n_raters=res["m"], observed=res["observed"], expected=res["expected"], categories=cats, ci=ci)


# ─── agreement on a study's codings ───────────────────────────────────────────────────────────────────


def _code_list(codes, where: str) -> list | None:
    if codes is None:
        return None
    if isinstance(codes, str):
        raise ValueError(f"{where}: codes must be a list of code names; got the string {codes!r} (write [{codes!r}])")
    return list(dict.fromkeys(codes))


def _coding_turns(codings: pd.DataFrame, turns: pd.DataFrame) -> pd.DataFrame:
    """(row of codings, document, turn) for every turn a coding touches: its `turn` when given, else every turn
    whose [char_start, char_end) overlaps [start, end)."""
    turn = pd.to_numeric(codings["turn"], errors="coerce") if "turn" in codings else pd.Series(np.nan, codings.index)
    direct = turn.notna().to_numpy()
    parts = [pd.DataFrame({"row": np.flatnonzero(direct), "document": codings["document"].to_numpy()[direct],
                           "turn": turn.to_numpy()[direct].astype(np.int64)})]
    spans = ~direct
    if spans.any() and {"start", "end"} <= set(codings.columns) and {"char_start", "char_end"} <= set(turns.columns):
        c = codings.loc[spans, ["document", "start", "end"]].assign(row=np.flatnonzero(spans))
        c = c[c["start"].notna() & c["end"].notna()]
        for doc, grp in c.groupby("document", sort=False):
            t = turns[turns["document"] == doc].sort_values("char_start")
            if t.empty:
                continue
            cs, ce = t["char_start"].to_numpy(np.int64), t["char_end"].to_numpy(np.int64)
            s = grp["start"].to_numpy(np.int64)
            e = np.maximum(grp["end"].to_numpy(np.int64), s + 1)
            first = np.searchsorted(ce, s, side="right")
            size = np.maximum(np.searchsorted(cs, e, side="left") - first, 0)
            offsets = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
            idx = np.repeat(first, size) + offsets
            parts.append(pd.DataFrame({"row": np.repeat(grp["row"].to_numpy(), size), "document": doc,
                                       "turn": t["turn"].to_numpy(np.int64)[idx]}))
    return pd.concat(parts, ignore_index=True)


def _check_locations(codings: pd.DataFrame, turns: pd.DataFrame, where: str) -> None:
    """Every coding must be placeable on turns: by its turn, or by start/end when the turns have offsets."""
    has_turn = codings["turn"].notna() if "turn" in codings else pd.Series(False, index=codings.index)
    if has_turn.all():
        return
    if not {"start", "end"} <= set(codings.columns):
        raise ValueError(f"{where}: codings need a turn, or start and end offsets, for every row; columns are "
                         f"{list(codings.columns)}")
    lost = ~has_turn & (codings["start"].isna() | codings["end"].isna())
    if lost.any():
        raise ValueError(f"{where}: codings row {codings.index[lost.to_numpy()][0]!r} has neither a turn nor "
                         "start and end offsets")
    require_columns(turns, ["char_start", "char_end"], where=where)


def _presence(codings: pd.DataFrame, turns: pd.DataFrame, *, unit: str, codes, where: str) -> pd.DataFrame:
    """The long presence table of :func:`unit_codes` (codes: a list to use, or None for the codes coded)."""
    check_choice(unit, ("turn", "document"), where=where, what="unit")
    for name, frame in (("codings", codings), ("turns", turns)):
        if not isinstance(frame, pd.DataFrame):
            raise ValueError(f"{where}: {name} must be a pandas DataFrame; got {type(frame).__name__}")
    require_columns(codings, ["coder", "document", "code"], where=where)
    require_columns(turns, ["document", "turn"], where=where)
    bad = codings[["coder", "document", "code"]].isna().any(axis=1).to_numpy()
    if bad.any():
        raise ValueError(f"{where}: codings row {codings.index[bad][0]!r} has no coder, document or code")
    code_list = _code_list(codes, where)
    if code_list is None:
        code_list = sorted(codings["code"].astype(str).unique())
    if unit == "turn":
        _check_locations(codings, turns, where)
    docs = turns["document"].unique()
    own = codings[codings["document"].isin(docs)]
    coders_of = own[["document", "coder"]].drop_duplicates()
    if unit == "turn":
        units = turns[["document", "turn"]].drop_duplicates().astype({"turn": np.int64})
        hit = _coding_turns(own.reset_index(drop=True), turns)
        own = own.reset_index(drop=True)
        hits = pd.DataFrame({"document": hit["document"], "turn": hit["turn"],
                             "coder": own["coder"].to_numpy()[hit["row"]], "code": own["code"].to_numpy()[hit["row"]]})
        keys = ["document", "turn", "coder", "code"]
    else:
        units = pd.DataFrame({"document": docs, "turn": pd.array([pd.NA] * len(docs), dtype="Int64")})
        hits = own[["document", "coder", "code"]]
        keys = ["document", "coder", "code"]
    grid = units.merge(coders_of, on="document").merge(pd.DataFrame({"code": code_list}), how="cross")
    found = pd.MultiIndex.from_frame(hits[keys].astype({"code": str}).drop_duplicates())
    grid["present"] = pd.MultiIndex.from_frame(grid[keys].astype({"code": str})).isin(found).astype(np.int64)
    grid = grid.sort_values(["document", "turn", "coder", "code"], kind="stable", ignore_index=True)
    return grid[["document", "turn", "coder", "code", "present"]]


def unit_codes(codings: pd.DataFrame, turns: pd.DataFrame, *, unit: str = "turn") -> pd.DataFrame:
    """Which code each coder applied to each turn: a long table (document, turn, coder, code, present 0/1).

    The units are the turns in ``turns`` (``unit="turn"``) or the documents (``unit="document"``; ``turn`` is
    then <NA>). A coding counts for its ``turn`` when it has one, else for every turn its [start, end) overlaps.
    For each document the rows cover the coders who coded anything in it: a coder with no coding in a
    document is *missing* there (no rows), not "code absent". Codes are those in ``codings``. Codings on turns
    or documents that are not in ``turns`` are left out, so pass the turns to be compared: to leave out the
    moderator, filter them first (e.g. ``corpus.turns_with_participants().query("role != 'moderator'")``).

    >>> turns = pd.DataFrame({"document": ["d"] * 3, "turn": [1, 2, 3]})
    >>> codings = pd.DataFrame({"coder": ["ann", "ann", "bob"], "document": "d", "code": ["price", "staff", "price"],
    ...                         "turn": [1, 3, 1]})
    >>> unit_codes(codings, turns).query("turn == 1")
      document  turn coder   code  present
    0        d     1   ann  price        1
    1        d     1   ann  staff        0
    2        d     1   bob  price        1
    3        d     1   bob  staff        0
    """
    return _presence(codings, turns, unit=unit, codes=None, where="unit_codes")


@dataclass(frozen=True, eq=False)
class CodeAgreementResult(Coefficient):
    """Agreement per code and overall (see :func:`code_agreement`); ``float(result)`` is the overall alpha.

    ``table``: one row per code, then the overall row (code ``"(overall)"``): code, units, coders,
    percent_agreement, kappa, kappa_type ("Cohen" for 2 coders, "Fleiss" for more), alpha, ci_low, ci_high
    (bootstrap interval of alpha), n_coded (units with the code from at least one coder).
    """

    table: pd.DataFrame = field(repr=False)
    estimate: float
    ci_low: float
    ci_high: float
    n_units: int
    coders: tuple
    ci: float = 0.95
    bootstrap: int = 0

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        codes = self.table[self.table["code"] != OVERALL]
        interval = (f", {self.ci:.0%} CI {self.ci_low:.3f} to {self.ci_high:.3f} from {self.bootstrap:,} resamples "
                    "of turns" if self.bootstrap else "")
        lines = [f"Inter-coder agreement on {len(codes)} code(s) over {self.n_units:,} turns coded by "
                 f"{len(self.coders)} coders ({', '.join(map(str, self.coders))}): pooled Krippendorff's alpha "
                 f"= {self.estimate:.3f}{interval}.",
                 f"Reading: {_reading(self.estimate, self.ci_low)}."]
        bands = [("Reliable (alpha >= .800)", codes["alpha"] >= RELIABLE),
                 ("Tentative only (.667 to .800)", (codes["alpha"] >= TENTATIVE) & (codes["alpha"] < RELIABLE)),
                 ("Not acceptable (below .667; revise the definitions or retrain)", codes["alpha"] < TENTATIVE),
                 ("Undefined (code applied to every turn or to none)", codes["alpha"].isna())]
        for label, mask in bands:
            if mask.any():
                shown = ", ".join(f"{c} ({a:.2f})" if np.isfinite(a) else str(c)
                                  for c, a in zip(codes.loc[mask, "code"], codes.loc[mask, "alpha"]))
                lines.append(f"{label}: {shown}.")
        return "\n".join(lines)


def _binary_row(codes: np.ndarray, bootstrap: int, ci: float, seed, clusters_of=None) -> dict:
    """Percent agreement, kappa and nominal alpha of a coders x units 0/1 array (-1 = coder missing)."""
    m = codes.shape[0]
    pat, counts, inv = _patterns(codes, 2, inverse=clusters_of is not None)
    keep = (pat >= 0).sum(axis=1) >= 2
    row = {"units": int(counts[keep].sum()), "coders": m, "n_coded": int((codes == 1).any(axis=0).sum())}
    if not keep.any():
        return row | {"percent_agreement": math.nan, "kappa": math.nan, "alpha": math.nan, "ci_low": math.nan,
                      "ci_high": math.nan}
    row["percent_agreement"] = _percent_from_patterns(pat[keep], counts[keep])[0]
    complete = (codes >= 0).all(axis=0)
    if m == 2:
        table = np.bincount(codes[0, complete] * 2 + codes[1, complete], minlength=4).reshape(2, 2)
        row["kappa"] = _kappa_from_table(table.astype(np.float64), None)["estimate"] if complete.any() else math.nan
    else:
        ones = codes[:, complete].sum(axis=0)
        table = np.column_stack([m - ones, ones]).astype(np.float64)
        row["kappa"] = _fleiss_from_counts(table)["estimate"] if complete.any() else math.nan
    clusters = None
    if clusters_of is not None:  # resample clusters (turns): cluster x pattern membership counts
        index = np.flatnonzero(keep)
        lut = np.full(pat.shape[0], -1)
        lut[index] = np.arange(index.size)
        unit_pat = lut[inv]
        ok = unit_pat >= 0
        n_clusters = int(clusters_of.max()) + 1
        clusters = sparse.csr_matrix((np.ones(ok.sum()), (clusters_of[ok], unit_pat[ok])),
                                     shape=(n_clusters, index.size))
        clusters = clusters[np.flatnonzero(np.diff(clusters.indptr) > 0)]
    coded = _Coded(pat[keep], counts[keep], np.array([0.0, 1.0]), list(range(m)), codes.shape[1])
    res = _alpha_core(coded, "nominal", bootstrap, ci, seed, "code_agreement", clusters)
    return row | {"alpha": res["estimate"], "ci_low": res["ci_low"], "ci_high": res["ci_high"]}


def _presence_cube(long: pd.DataFrame, code_list: list, coder_list: list):
    """codes x coders x units array of presence (1/0, -1 where the coder did not code the document)."""
    units = long[["document", "turn"]].drop_duplicates(ignore_index=True)
    unit_idx = pd.MultiIndex.from_frame(units).get_indexer(pd.MultiIndex.from_frame(long[["document", "turn"]]))
    code_idx = pd.Index(code_list).get_indexer(long["code"])
    coder_idx = pd.Index(coder_list).get_indexer(long["coder"])
    cube = np.full((len(code_list), len(coder_list), len(units)), -1, dtype=np.int64)
    cube[code_idx, coder_idx, unit_idx] = long["present"].to_numpy()
    return cube, units


def code_agreement(codings: pd.DataFrame, turns: pd.DataFrame, *, codes=None, coders=None, bootstrap: int = 1000,
                   seed=0, ci: float = 0.95) -> CodeAgreementResult:
    """Agreement between coders, code by code and overall, on the turns of a study.

    The units are the turns in ``turns`` (filter out the moderator's turns first; see :func:`unit_codes` for
    how codings become "code present in this turn" decisions and why a coder who did not code a document is
    missing there). ``codes``/``coders``: restrict to these (default: all codes and coders in ``codings``).

    One row per code: ``units`` (turns with 2 or more coders), ``coders``, ``percent_agreement`` (share of agreeing
    coder pairs per turn, averaged), ``kappa`` with ``kappa_type`` (Cohen's for 2 coders; Fleiss' for more, over
    the turns every coder coded), ``alpha`` (Krippendorff's nominal alpha on presence/absence, missing coders
    allowed) with a percentile bootstrap interval ``ci_low``/``ci_high`` (``bootstrap`` resamples of turns), and
    ``n_coded`` (turns given the code by at least one coder). The last row, code ``"(overall)"``, pools every
    code x turn decision into one alpha (and one percent agreement and kappa), so frequent codes weigh more;
    its interval resamples whole turns (all codes of a turn together). NVivo's Coding Comparison query gives
    kappa and percentage agreement per code ("node") and source, on characters, and its help shows how to
    average them across nodes or sources by hand (NVivo 10 help, "Run a Coding Comparison query"); the pooled
    alpha here is that overall figure computed in one step, with the per-code rows kept beside it.

    Returns a :class:`CodeAgreementResult`: ``float(result)`` is the overall alpha, ``to_frame()`` the table.

    >>> turns = pd.DataFrame({"document": ["d"] * 6, "turn": range(1, 7)})
    >>> codings = pd.DataFrame({"coder": ["ann"] * 4 + ["bob"] * 4, "document": "d",
    ...                         "code": ["price", "price", "staff", "staff"] * 2, "turn": [1, 2, 3, 4, 1, 2, 3, 5]})
    >>> r = code_agreement(codings, turns, bootstrap=0)
    >>> r.to_frame()[["code", "units", "percent_agreement", "kappa", "alpha"]].round(4)
            code  units  percent_agreement  kappa   alpha
    0      price      6             1.0000  1.000  1.0000
    1      staff      6             0.6667  0.250  0.3125
    2  (overall)     12             0.8333  0.625  0.6406
    """
    where = "code_agreement"
    ci = check_level(ci, where=where, what="ci")
    bootstrap = _check_bootstrap(bootstrap, where)
    coder_list = _code_list(coders, where)
    if coder_list is not None:
        unknown = [c for c in coder_list if c not in set(codings["coder"])]
        if unknown:
            raise ValueError(f"{where}: coder(s) {unknown} have no codings; coders are "
                             f"{sorted(codings['coder'].unique())}")
        codings = codings[codings["coder"].isin(coder_list)]
    long = _presence(codings, turns, unit="turn", codes=codes, where=where)
    coder_list = coder_list or sorted(long["coder"].unique())
    if len(coder_list) < 2:
        raise ValueError(f"{where}: need at least 2 coders with codings in these turns' documents; got {coder_list}")
    code_list = _code_list(codes, where) or sorted(long["code"].astype(str).unique())
    if not code_list:
        raise ValueError(f"{where}: there are no codes to compare")
    cube, units = _presence_cube(long, code_list, coder_list)
    kind = "Cohen" if len(coder_list) == 2 else "Fleiss"
    rows = [{"code": code} | _binary_row(cube[k], bootstrap, ci, seed) for k, code in enumerate(code_list)]
    pooled = cube.transpose(1, 0, 2).reshape(len(coder_list), -1)
    turn_of_decision = np.tile(np.arange(cube.shape[2]), len(code_list))
    overall = {"code": OVERALL} | _binary_row(pooled, bootstrap, ci, seed, clusters_of=turn_of_decision)
    table = pd.DataFrame(rows + [overall])
    table.insert(5, "kappa_type", kind)
    table = table[["code", "units", "coders", "percent_agreement", "kappa", "kappa_type", "alpha", "ci_low",
                   "ci_high", "n_coded"]]
    n_units = int(((cube[0] >= 0).sum(axis=0) >= 2).sum())
    return CodeAgreementResult(table=table, estimate=float(overall["alpha"]), ci_low=float(overall["ci_low"]),
                               ci_high=float(overall["ci_high"]), n_units=n_units, coders=tuple(coder_list), ci=ci,
                               bootstrap=bootstrap)


def disagreements(codings: pd.DataFrame, turns: pd.DataFrame, *, codes=None) -> pd.DataFrame:
    """The turns where coders disagree on a code, to adjudicate: document, turn, code, coded_by, not_coded_by, text.

    A disagreement is a (turn, code) that at least one coder applied and at least one other coder of that
    document did not (coders who did not code the document are not counted; see :func:`unit_codes`).
    ``coded_by``/``not_coded_by`` list the coders, comma-separated; ``text`` is the turn's text (when ``turns``
    has a text column). Sorted by document, turn and code. ``codes``: only these codes.

    >>> turns = pd.DataFrame({"document": ["d"] * 2, "turn": [1, 2], "text": ["Too dear.", "Kind staff."]})
    >>> codings = pd.DataFrame({"coder": ["ann", "ann", "bob"], "document": "d", "code": ["price", "staff", "price"],
    ...                         "turn": [1, 2, 1]})
    >>> disagreements(codings, turns)
      document  turn   code coded_by not_coded_by         text
    0        d     2  staff      ann          bob  Kind staff.
    """
    long = _presence(codings, turns, unit="turn", codes=codes, where="disagreements")
    columns = ["document", "turn", "code", "coded_by", "not_coded_by", "text"]
    key = ["document", "turn", "code"]
    g = long.groupby(key, sort=False)["present"]
    mixed = long[(g.transform("min") == 0) & (g.transform("max") == 1)]
    if mixed.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    mixed = mixed.assign(coder=mixed["coder"].astype(str))
    yes = mixed[mixed["present"] == 1].groupby(key, sort=False)["coder"].agg(", ".join).rename("coded_by")
    no = mixed[mixed["present"] == 0].groupby(key, sort=False)["coder"].agg(", ".join).rename("not_coded_by")
    out = pd.concat([yes, no], axis=1).reset_index()
    if "text" in turns.columns:
        text = turns[["document", "turn", "text"]].drop_duplicates(["document", "turn"]).astype({"turn": np.int64})
        out = out.merge(text, on=["document", "turn"], how="left")
    else:
        out["text"] = None
    return out.sort_values(key, kind="stable", ignore_index=True)[columns]
