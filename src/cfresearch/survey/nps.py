"""Net Promoter Score: the score, its variance, confidence intervals, two-sample tests and segment tables.

On the 0–10 likelihood-to-recommend scale, promoters answer 9–10, passives 7–8 and detractors 0–6; the NPS
is 100 · (p_P − p_D), on −100..100. Treating each respondent as +1/0/−1, the NPS is a trinomial mean with

    Var(NPS) = 100² · [p_P + p_D − (p_P − p_D)²] / n        (R ``NPS::npvar`` divided by n).

Confidence intervals (:func:`nps`):

* ``"adjusted_wald"`` (default) — Rocks, B. (2016), "Interval estimation for the 'net promoter score'",
  *The American Statistician* 70(4):365–372, the best performer in his coverage study, as MeasuringU
  recommends: add 3 to n and ¾ to the promoter and to the detractor counts,
  p̃_P = (n_P + ¾)/(n + 3), p̃_D = (n_D + ¾)/(n + 3), and take
  (p̃_P − p̃_D) ± z · √([p̃_P + p̃_D − (p̃_P − p̃_D)²]/(n + 3)), clipped to [−100, 100]. The interval is centred
  on the adjusted score; the reported ``score`` stays the plain one.
* ``"wald"`` — score ± z · se with the plain variance (R ``NPS::nps.test``), which under-covers for small n.

Weights: shares are weighted; n is replaced by the Kish effective sample size n_eff = (Σw)²/Σw² in the
variance and in the adjustment (n_eff + 3, n_eff·p_P + ¾, …).

:func:`nps_test` is the two-sample Wald z-test of the difference of two trinomial means (R ``NPS::nps.test``
with y): se = √(Var_a + Var_b). :func:`nps_by` gives the score per segment, each tested against the rest of
the sample or against a reference segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["NPS_GROUPS", "NPSResult", "NPSTest", "nps", "nps_by", "nps_group", "nps_test"]

#: The three NPS groups (Reichheld 2003), lowest first.
NPS_GROUPS = ("Detractor (0-6)", "Passive (7-8)", "Promoter (9-10)")

_METHODS = ("adjusted_wald", "wald")


def _prepare(scores, weights, where: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(pd.Series(scores).to_numpy(dtype="float64", na_value=np.nan) if isinstance(scores, pd.Series)
                   else np.asarray(scores, dtype="float64")).ravel()
    if weights is None:
        w = np.ones_like(x)
    else:
        w = np.asarray(weights, dtype="float64").ravel()
        if w.size != x.size:
            raise ValueError(f"{where}: weights has {w.size} values; expected one per score ({x.size})")
        if np.any(~np.isfinite(w) & ~np.isnan(x)) or np.any(w < 0):
            raise ValueError(f"{where}: weights must be finite and >= 0 for every non-missing score")
    keep = ~np.isnan(x)
    x, w = x[keep], w[keep]
    bad = (x < 0) | (x > 10) | (x != np.round(x))
    if bad.any():
        raise ValueError(f"{where}: {int(bad.sum())} score(s) outside the 0..10 scale (or not whole numbers), "
                         f"e.g. {x[bad][:3].tolist()}; recode missing codes such as 99 to NaN first")
    return x, w


def _shares(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float, float, int]:
    total = w.sum()
    if x.size == 0 or total <= 0:
        return np.nan, np.nan, np.nan, np.nan, int(x.size)
    pp = float(w[x >= 9].sum() / total)
    pd_ = float(w[x <= 6].sum() / total)
    neff = float(total**2 / np.sum(w * w))
    return pp, 1.0 - pp - pd_, pd_, neff, int(x.size)


def _variance(pp, pd_, n):
    """Variance of the NPS on the −100..100 scale: 100² [p_P + p_D − (p_P − p_D)²] / n."""
    return 1e4 * (pp + pd_ - (pp - pd_) ** 2) / n


@dataclass(frozen=True)
class NPSResult:
    """An NPS with its shares, base and interval (see :func:`nps`). Scores and bounds are on −100..100."""

    score: float
    promoters: float
    passives: float
    detractors: float
    n: int
    effective_n: float
    variance: float
    se: float
    ci_low: float
    ci_high: float
    level: float
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row: score, promoters, passives, detractors (shares), n, effective_n, se, ci_low, ci_high."""
        return pd.DataFrame([{k: getattr(self, k) for k in ("score", "promoters", "passives", "detractors", "n",
                                                             "effective_n", "variance", "se", "ci_low", "ci_high",
                                                             "level", "method")}])

    def summary(self) -> str:
        return (f"NPS {self.score:+.1f} ({self.level:.0%} CI {self.ci_low:+.1f} to {self.ci_high:+.1f}, "
                f"{self.method.replace('_', '-')}); promoters {self.promoters:.1%}, passives {self.passives:.1%}, "
                f"detractors {self.detractors:.1%}; n = {self.n}"
                + (f" (effective {self.effective_n:.0f})" if abs(self.effective_n - self.n) > 1e-9 else "") + ".")


def _interval(pp, pd_, neff, z, method):
    if method == "wald":
        centre, var = 100 * (pp - pd_), _variance(pp, pd_, neff)
    else:
        n3 = neff + 3.0
        ppa, pda = (pp * neff + 0.75) / n3, (pd_ * neff + 0.75) / n3
        centre, var = 100 * (ppa - pda), _variance(ppa, pda, n3)
    half = z * np.sqrt(var)
    return np.clip(centre - half, -100, 100), np.clip(centre + half, -100, 100)


def nps(scores, weights=None, *, level: float = 0.95, method: str = "adjusted_wald") -> NPSResult:
    """Net Promoter Score of 0–10 ``scores`` with its variance and a confidence interval.

    ``scores``: array or Series on 0..10 (NaN dropped; anything else outside 0..10 is an error naming the
    count). ``weights``: optional, one per score. ``method``: ``"adjusted_wald"`` (Rocks 2016; default) or
    ``"wald"``. Returns an :class:`NPSResult` (score on −100..100, shares, n, effective_n, variance, se,
    ci_low, ci_high; ``.to_frame()``, ``.summary()``).

    >>> r = nps([10, 9, 9, 8, 7, 6, 3, 10, 10, 5])
    >>> round(r.score, 1), r.promoters, r.detractors
    (20.0, 0.5, 0.3)
    """
    if method not in _METHODS:
        raise ValueError(f"nps: method must be one of {_METHODS}; got {method!r}")
    if not 0 < level < 1:
        raise ValueError(f"nps: level must be between 0 and 1; got {level!r}")
    x, w = _prepare(scores, weights, "nps")
    pp, pa, pd_, neff, n = _shares(x, w)
    if n == 0:
        raise ValueError("nps: no non-missing scores")
    var = _variance(pp, pd_, neff)
    lo, hi = _interval(pp, pd_, neff, stats.norm.ppf(0.5 + level / 2), method)
    return NPSResult(score=100 * (pp - pd_), promoters=pp, passives=pa, detractors=pd_, n=n, effective_n=neff,
                     variance=var, se=float(np.sqrt(var)), ci_low=float(lo), ci_high=float(hi), level=level,
                     method=method)


@dataclass(frozen=True)
class NPSTest:
    """Two-sample NPS z-test (see :func:`nps_test`)."""

    score_a: float
    score_b: float
    diff: float
    se: float
    z: float
    p: float
    n_a: int
    n_b: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.__dict__])

    def summary(self) -> str:
        return (f"NPS {self.score_a:+.1f} (n = {self.n_a}) vs {self.score_b:+.1f} (n = {self.n_b}): difference "
                f"{self.diff:+.1f} points, se {self.se:.2f}, z = {self.z:.2f}, p = {self.p:.3g}.")


def _two_sample(pa, da, na, pb, db, nb):
    diff = 100 * ((pa - da) - (pb - db))
    se = np.sqrt(_variance(pa, da, na) + _variance(pb, db, nb))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = diff / se
    return diff, se, z, 2 * stats.norm.sf(np.abs(z))


def nps_test(a, b, weights_a=None, weights_b=None) -> NPSTest:
    """Two-sample test of NPS_a − NPS_b: the difference of two independent trinomial means.

    z = (NPS_a − NPS_b) / √(Var_a + Var_b), Var = 100² [p_P + p_D − (p_P − p_D)²]/n (n_eff when weighted),
    two-sided normal p-value: R ``NPS::nps.test(x, y)`` (Rocks 2016), which reports |diff|; here the sign
    is kept. Returns an :class:`NPSTest` (score_a, score_b, diff, se, z, p, n_a, n_b).
    """
    xa, wa = _prepare(a, weights_a, "nps_test")
    xb, wb = _prepare(b, weights_b, "nps_test")
    pa, _, da, na, ca = _shares(xa, wa)
    pb, _, db, nb, cb = _shares(xb, wb)
    if ca == 0 or cb == 0:
        raise ValueError(f"nps_test: both samples need scores (got n_a = {ca}, n_b = {cb})")
    diff, se, z, p = _two_sample(pa, da, na, pb, db, nb)
    return NPSTest(score_a=100 * (pa - da), score_b=100 * (pb - db), diff=float(diff), se=float(se), z=float(z),
                   p=float(p), n_a=ca, n_b=cb)


def nps_by(data: pd.DataFrame, score: str, by: str | Sequence[str], *, weights: str | None = None,
           level: float = 0.95, reference=None, method: str = "adjusted_wald") -> pd.DataFrame:
    """NPS per segment: score, interval, base, and a test of each segment against the rest (or a reference).

    ``by``: a grouping column (categorical or any hashable); ``reference``: a segment label to compare every
    other segment with (the reference row gets no test); without it each segment is compared with all other
    respondents (segment vs rest). Tests are :func:`nps_test` z-tests. All segments are computed at once from
    weighted counts of promoters / passives / detractors per segment (``np.bincount``).

    Returns one row per segment (in category order) plus a first row "Total": segment, n, effective_n,
    promoters, passives, detractors, score, ci_low, ci_high, compared_with, diff, se, z, p.
    """
    where = "nps_by"
    if isinstance(by, str):
        by = [by]
    if len(by) != 1:
        raise ValueError(f"{where}: give one grouping column; got {list(by)}")
    col = by[0]
    for c in (score, col) + ((weights,) if isinstance(weights, str) else ()):
        if c not in data.columns:
            raise ValueError(f"{where}: no column {c!r}; columns are {list(data.columns)}")
    w_all = None if weights is None else data[weights].to_numpy(dtype="float64", na_value=np.nan)
    x_all = data[score].to_numpy(dtype="float64", na_value=np.nan)
    _prepare(x_all, w_all, where)  # validates the scale and the weights
    seg = data[col]
    if isinstance(seg.dtype, pd.CategoricalDtype):
        codes, cats = seg.cat.codes.to_numpy(), list(seg.cat.categories)
    else:
        codes, cats = pd.factorize(seg, sort=True)
        cats = list(cats)
    if reference is not None and reference not in cats:
        raise ValueError(f"{where}: reference {reference!r} is not a value of {col!r}; values are {cats}")
    keep = ~np.isnan(x_all) & (codes >= 0)
    x, c = x_all[keep], codes[keep].astype(np.intp)
    w = np.ones(x.size) if w_all is None else w_all[keep]
    k = len(cats)
    klass = np.where(x >= 9, 0, np.where(x <= 6, 2, 1))  # promoter, passive, detractor
    key = c * 3 + klass
    wsum = np.bincount(key, weights=w, minlength=3 * k).reshape(k, 3)
    w2 = np.bincount(c, weights=w * w, minlength=k)
    cnt = np.bincount(c, minlength=k)
    tot = wsum.sum(axis=1)
    z = stats.norm.ppf(0.5 + level / 2)

    def block(wsum_, tot_, w2_):
        with np.errstate(invalid="ignore", divide="ignore"):
            sh = wsum_ / tot_[:, None]
            neff = tot_**2 / w2_
        return sh[:, 0], sh[:, 1], sh[:, 2], neff

    pp, pa, pdt, neff = block(wsum, tot, w2)
    lo, hi = _interval(pp, pdt, neff, z, method)
    if reference is None:
        rest = wsum.sum(axis=0)[None, :] - wsum
        rp, _, rd, rneff = block(rest, rest.sum(axis=1), w2.sum() - w2)
        compared = ["rest"] * k
    else:
        r = cats.index(reference)
        rp, rd, rneff = (np.full(k, pp[r]), np.full(k, pdt[r]), np.full(k, neff[r]))
        compared = [str(reference)] * k
    diff, se, zz, p = _two_sample(pp, pdt, neff, rp, rd, rneff)
    if reference is not None:
        r = cats.index(reference)
        diff[r] = se[r] = zz[r] = p[r] = np.nan
        compared[r] = ""
    out = pd.DataFrame({"segment": [str(s) for s in cats], "n": cnt, "effective_n": neff, "promoters": pp,
                        "passives": pa, "detractors": pdt, "score": 100 * (pp - pdt), "ci_low": lo, "ci_high": hi,
                        "compared_with": compared, "diff": diff, "se": se, "z": zz, "p": p})
    t = nps(x, w if w_all is not None else None, level=level, method=method)
    total = pd.DataFrame([{"segment": "Total", "n": t.n, "effective_n": t.effective_n, "promoters": t.promoters,
                           "passives": t.passives, "detractors": t.detractors, "score": t.score,
                           "ci_low": t.ci_low, "ci_high": t.ci_high, "compared_with": "", "diff": np.nan,
                           "se": np.nan, "z": np.nan, "p": np.nan}])
    return pd.concat([total, out], ignore_index=True)


def nps_group(scores) -> pd.Series:
    """Each 0-10 answer's NPS group as an ordered categorical: detractor 0-6, passive 7-8, promoter 9-10.

    Missing answers stay missing; a score outside 0..10 raises ``ValueError`` with the count (Reichheld, F. F.
    (2003), "The one number you need to grow", Harvard Business Review 81(12):46-54).

    >>> nps_group(pd.Series([0, 6, 7, 8, 9, 10, None])).tolist()
    ['Detractor (0-6)', 'Detractor (0-6)', 'Passive (7-8)', 'Passive (7-8)', 'Promoter (9-10)', 'Promoter (9-10)', nan]
    """
    x = pd.Series(scores).astype("float64")
    bad = x.notna() & ~x.between(0, 10)
    if bad.any():
        raise ValueError(f"nps_group: {int(bad.sum())} score(s) outside 0..10 (e.g. {x[bad].iloc[0]:g})")
    codes = np.select([x <= 6, x <= 8, x <= 10], [0, 1, 2], default=-1)
    codes = np.where(x.isna(), -1, codes)
    out = pd.Categorical.from_codes(codes, categories=list(NPS_GROUPS), ordered=True)
    return pd.Series(out, index=x.index, name=getattr(scores, "name", None))
