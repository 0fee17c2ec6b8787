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
the sample or against a reference segment. Given a survey design with strata, clusters or raking
(``design=``), :func:`nps_by` linearises the NPS as the weighted mean of sᵢ ∈ {−100, 0, 100} (the design
engine of :mod:`cfresearch.survey.design`): the standard errors, the tests (with the covariance of a segment
and the rest of the sample that share PSUs) and the intervals are design-based; the adjusted-Wald interval
then uses the design's effective size n* = 100² [p_P + p_D − (p_P − p_D)²] / V_design.

Promoters, passives and detractors are told apart in one place, :func:`nps_classes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cfresearch.categories import encode
from cfresearch.checks import check_choice, check_level, require_columns, weights_array
from cfresearch.results import Result

from .design import SurveyDesign, design_for, linearise_ratios
from .weighting import effective_n_of_sums

__all__ = ["NPS_GROUPS", "NPSResult", "NPSTest", "nps", "nps_by", "nps_classes", "nps_group", "nps_scores",
           "nps_test"]

#: The three NPS groups (Reichheld 2003), lowest first.
NPS_GROUPS = ("Detractor (0-6)", "Passive (7-8)", "Promoter (9-10)")
#: The lowest promoter answer and the highest detractor answer on the 0-10 scale.
PROMOTER_MIN, DETRACTOR_MAX = 9, 6

_METHODS = ("adjusted_wald", "wald")


def nps_classes(scores, *, where: str = "nps_classes") -> np.ndarray:
    """Each 0-10 answer's NPS class: 0 detractor (0-6), 1 passive (7-8), 2 promoter (9-10), -1 missing.

    The one classifier of cfresearch (Reichheld 2003). Answers outside 0..10 or not whole numbers raise
    ``ValueError`` with their count and examples (recode "don't know" codes such as 99 to missing first).

    >>> nps_classes([0, 6, 7, 8, 9, 10, np.nan]).tolist()
    [0, 0, 1, 1, 2, 2, -1]
    """
    x = (scores.to_numpy(dtype="float64", na_value=np.nan) if isinstance(scores, pd.Series)
         else np.asarray(scores, dtype="float64")).ravel()
    ok = ~np.isnan(x)
    bad = ok & ((x < 0) | (x > 10) | (x != np.round(x)))
    if bad.any():
        raise ValueError(f"{where}: {int(bad.sum())} score(s) outside the 0..10 scale (or not whole numbers), "
                         f"e.g. {x[bad][:3].tolist()}; recode missing codes such as 99 to NaN first")
    return np.where(ok, np.where(x >= PROMOTER_MIN, 2, np.where(x <= DETRACTOR_MAX, 0, 1)), -1).astype(np.intp)


def nps_scores(scores, *, where: str = "nps_scores") -> np.ndarray:
    """Each answer's contribution to the NPS: 100 (promoter), 0 (passive), −100 (detractor), NaN (missing);
    their (weighted) mean is the NPS.

    >>> nps_scores([10, 8, 2, None]).tolist()
    [100.0, 0.0, -100.0, nan]
    """
    classes = nps_classes(pd.Series(scores, dtype="float64") if not isinstance(scores, pd.Series) else
                          pd.to_numeric(scores, errors="coerce"), where=where)
    return np.where(classes < 0, np.nan, (classes - 1) * 100.0)


def _prepare(scores, weights, where: str) -> tuple[np.ndarray, np.ndarray]:
    """NPS classes and weights of the non-missing answers."""
    classes = nps_classes(scores, where=where)
    w = weights_array(None, weights, where=where, n=classes.size, allow_missing=True)
    w = np.ones(classes.size) if w is None else w
    keep = classes >= 0
    if np.isnan(w[keep]).any():
        raise ValueError(f"{where}: weights must be finite and >= 0 for every non-missing score")
    return classes[keep], w[keep]


def _shares(classes: np.ndarray, w: np.ndarray) -> tuple[float, float, float, float, int]:
    """(promoters, passives, detractors, Kish effective n, n) of classified answers."""
    total = w.sum()
    if classes.size == 0 or total <= 0:
        return np.nan, np.nan, np.nan, np.nan, int(classes.size)
    by_class = np.bincount(classes, w, minlength=3) / total
    return (float(by_class[2]), float(by_class[1]), float(by_class[0]),
            float(effective_n_of_sums(total, np.dot(w, w))), int(classes.size))


def _variance(pp, pd_, n):
    """Variance of the NPS on the −100..100 scale: 100² [p_P + p_D − (p_P − p_D)²] / n."""
    return 1e4 * (pp + pd_ - (pp - pd_) ** 2) / n


@dataclass(frozen=True)
class NPSResult(Result):
    """An NPS with its shares, base and interval (see :func:`nps`). Scores and bounds are on −100..100;
    ``score`` is the estimate."""

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

    @property
    def estimate(self) -> float:
        return self.score

    def to_frame(self) -> pd.DataFrame:
        """One row: estimate, se, ci_low, ci_high, promoters, passives, detractors (shares), n, effective_n,
        variance, level, method."""
        row = {"estimate": self.score}
        row.update({k: getattr(self, k) for k in ("se", "ci_low", "ci_high", "promoters", "passives",
                                                  "detractors", "n", "effective_n", "variance", "level",
                                                  "method")})
        return pd.DataFrame([row])

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
    check_choice(method, _METHODS, where="nps", what="method")
    level = check_level(level, where="nps")
    classes, w = _prepare(scores, weights, "nps")
    pp, pa, pd_, neff, n = _shares(classes, w)
    if n == 0:
        raise ValueError("nps: no non-missing scores")
    var = _variance(pp, pd_, neff)
    lo, hi = _interval(pp, pd_, neff, stats.norm.ppf(0.5 + level / 2), method)
    return NPSResult(score=100 * (pp - pd_), promoters=pp, passives=pa, detractors=pd_, n=n, effective_n=neff,
                     variance=var, se=float(np.sqrt(var)), ci_low=float(lo), ci_high=float(hi), level=level,
                     method=method)


@dataclass(frozen=True)
class NPSTest(Result):
    """Two-sample NPS z-test (see :func:`nps_test`); ``statistic`` is the z value."""

    score_a: float
    score_b: float
    diff: float
    se: float
    statistic: float
    p: float
    n_a: int
    n_b: int

    @property
    def z(self) -> float:
        return self.statistic

    def to_frame(self) -> pd.DataFrame:
        """One row: score_a, score_b, diff, se, statistic (z), p, n_a, n_b."""
        return pd.DataFrame([{k: getattr(self, k) for k in ("score_a", "score_b", "diff", "se", "statistic", "p",
                                                             "n_a", "n_b")}])

    def summary(self) -> str:
        return (f"NPS {self.score_a:+.1f} (n = {self.n_a}) vs {self.score_b:+.1f} (n = {self.n_b}): difference "
                f"{self.diff:+.1f} points, se {self.se:.2f}, z = {self.statistic:.2f}, p = {self.p:.3g}.")


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
    is kept. Returns an :class:`NPSTest` (score_a, score_b, diff, se, statistic, p, n_a, n_b).

    >>> t = nps_test([10, 9, 9, 8, 2], [6, 5, 9, 7, 3])
    >>> round(t.diff, 1), round(t.se, 2), round(t.p, 3)
    (80.0, 50.6, 0.114)
    """
    ca, wa = _prepare(a, weights_a, "nps_test")
    cb, wb = _prepare(b, weights_b, "nps_test")
    pa, _, da, na, ka = _shares(ca, wa)
    pb, _, db, nb, kb = _shares(cb, wb)
    if ka == 0 or kb == 0:
        raise ValueError(f"nps_test: both samples need scores (got n_a = {ka}, n_b = {kb})")
    diff, se, z, p = _two_sample(pa, da, na, pb, db, nb)
    return NPSTest(score_a=100 * (pa - da), score_b=100 * (pb - db), diff=float(diff), se=float(se),
                   statistic=float(z), p=float(p), n_a=ka, n_b=kb)


def nps_by(data: pd.DataFrame, score: str, by: str | Sequence[str], *, design: SurveyDesign | None = None,
           weights: str | None = None, level: float = 0.95, reference=None,
           method: str = "adjusted_wald") -> pd.DataFrame:
    """NPS per segment: score, interval, base, and a test of each segment against the rest (or a reference).

    ``by``: a grouping column (categorical or any hashable); ``reference``: a segment label to compare every
    other segment with (the reference row gets no test); without it each segment is compared with all other
    respondents (segment vs rest). ``design`` (or ``weights``): with weights only, shares are weighted and
    the variance uses the Kish effective base, tests are :func:`nps_test` z-tests of independent samples;
    with strata, clusters or raking in the design everything is design-based (see the module docstring).

    Returns one row per segment (in category order) after a first row "Total": segment, n, effective_n,
    promoters, passives, detractors, estimate (the NPS), se, ci_low, ci_high, compared_with, diff,
    diff_se, statistic (z), p.

    >>> d = pd.DataFrame({"seg": ["a"] * 5 + ["b"] * 5, "r": [10, 9, 9, 8, 2, 6, 5, 9, 7, 3]})
    >>> nps_by(d, "r", "seg")[["segment", "estimate", "diff"]].round(1).values.tolist()
    [['Total', 0.0, nan], ['a', 40.0, 80.0], ['b', -40.0, -80.0]]
    """
    where = "nps_by"
    check_choice(method, _METHODS, where=where, what="method")
    level = check_level(level, where=where)
    col = _one_column(by, where)
    require_columns(data, [score, col], where=where)
    design = design_for(data, design, where=where, weights=weights)
    classes = nps_classes(data[score], where=where)
    seg, cats = encode(data[col])
    if reference is not None and reference not in cats:
        raise ValueError(f"{where}: reference {reference!r} is not a value of {col!r}; values are {cats}")
    counts = _SegmentCounts(classes, seg, len(cats), design.w)
    z = stats.norm.ppf(0.5 + level / 2)
    if design.is_simple:
        rows, total = _kish_rows(counts, cats, reference, z, method)
    else:
        rows, total = _design_rows(data.index, counts, cats, classes, seg, design, reference, z, method)
    return pd.concat([total, rows], ignore_index=True)


def _one_column(by, where: str) -> str:
    cols = [by] if isinstance(by, str) else list(by)
    if len(cols) != 1:
        raise ValueError(f"{where}: give one grouping column; got {cols}")
    return cols[0]


class _SegmentCounts:
    """Weighted promoter / passive / detractor shares per segment (and of the rest, and in all segments), from
    one bincount of the answers that have a segment."""

    def __init__(self, classes: np.ndarray, seg: np.ndarray, k: int, w: np.ndarray):
        keep = (classes >= 0) & (seg >= 0)
        c, s, wk = classes[keep], seg[keep], w[keep]
        self.k = k
        self.wsum = np.bincount(s * 3 + (2 - c), weights=wk, minlength=3 * k).reshape(k, 3)  # promoter first
        self.w2 = np.bincount(s, weights=wk * wk, minlength=k)
        self.cnt = np.bincount(s, minlength=k)

    def shares(self, which: str = "segments"):
        """(promoters, passives, detractors, Kish effective n) of each segment, of the rest of the sample
        (``"rest"``) or of all segments together (``"total"``, arrays of length 1)."""
        if which == "rest":
            wsum, w2 = self.wsum.sum(axis=0)[None, :] - self.wsum, self.w2.sum() - self.w2
        elif which == "total":
            wsum, w2 = self.wsum.sum(axis=0)[None, :], np.array([self.w2.sum()])
        else:
            wsum, w2 = self.wsum, self.w2
        tot = wsum.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            sh = wsum / tot[:, None]
        return sh[:, 0], sh[:, 1], sh[:, 2], effective_n_of_sums(tot, w2)


def _frame(labels, n, shares, se, neff, z, method, compared, diff, diff_se) -> pd.DataFrame:
    pp, pa, pdt, _ = shares
    lo, hi = _interval(pp, pdt, neff, z, method)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = diff / diff_se
    return pd.DataFrame({"segment": labels, "n": n, "effective_n": neff, "promoters": pp, "passives": pa,
                         "detractors": pdt, "estimate": 100 * (pp - pdt), "se": se, "ci_low": lo, "ci_high": hi,
                         "compared_with": compared, "diff": diff, "diff_se": diff_se, "statistic": stat,
                         "p": 2 * stats.norm.sf(np.abs(stat))})


def _no_test(k: int) -> tuple[list, np.ndarray, np.ndarray]:
    return [""] * k, np.full(k, np.nan), np.full(k, np.nan)


def _kish_rows(counts: _SegmentCounts, cats: list, reference, z: float,
               method: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segments with Kish-effective-base variances and independent-sample z-tests (R NPS::nps.test)."""
    pp, pa, pdt, neff = shares = counts.shares()
    if reference is None:
        rp, _, rd, rneff = counts.shares("rest")
        compared = ["rest"] * counts.k
    else:
        r = cats.index(reference)
        rp, rd, rneff = (np.full(counts.k, pp[r]), np.full(counts.k, pdt[r]), np.full(counts.k, neff[r]))
        compared = [str(reference)] * counts.k
    diff, diff_se, _, _ = _two_sample(pp, pdt, neff, rp, rd, rneff)
    if reference is not None:
        diff[r] = diff_se[r] = np.nan
        compared[r] = ""
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(_variance(pp, pdt, neff))
    rows = _frame([str(c) for c in cats], counts.cnt, shares, se, neff, z, method, compared, diff, diff_se)
    tot = counts.shares("total")
    total = _frame(["Total"], [counts.cnt.sum()], tot, np.sqrt(_variance(tot[0], tot[2], tot[3])), tot[3], z,
                   method, *_no_test(1))
    return rows, total


def _design_rows(index: pd.Index, counts: _SegmentCounts, cats: list, classes: np.ndarray, seg: np.ndarray,
                 design: SurveyDesign, reference, z: float, method: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segments with design-based variances: the NPS is the weighted mean of sᵢ ∈ {−100, 0, 100}, linearised
    jointly over the segments (and over segment vs rest, for the tests against the rest of the sample). The
    adjusted-Wald interval uses the design's effective size n* = 100² [p_P + p_D − (p_P − p_D)²] / V."""
    k = len(cats)
    score = np.where(classes < 0, np.nan, (classes - 1) * 100.0)
    work = pd.DataFrame({"s": score, "seg": np.where(seg < 0, np.nan, seg),
                         "all": np.where(seg < 0, np.nan, 0.0)}, index=index)
    by_seg = linearise_ratios(work, "s", design, kind="mean", by="seg", where="nps_by")
    present = by_seg.table["seg"].astype(int).to_numpy()
    se = np.full(k, np.nan)
    se[present] = by_seg.se
    compared, diff, diff_se = _no_test(k)
    if reference is None:
        for i in present:  # segment i against all other respondents with a segment: a two-domain linearisation
            work["inside"] = np.where(seg < 0, np.nan, (seg == i).astype(float))
            pair = linearise_ratios(work, "s", design, kind="mean", by="inside", where="nps_by")
            if pair.estimate.size == 2:
                diff[i] = pair.estimate[1] - pair.estimate[0]
                diff_se[i] = np.sqrt(max(pair.vcov[0, 0] + pair.vcov[1, 1] - 2 * pair.vcov[0, 1], 0.0))
                compared[i] = "rest"
    else:
        r = cats.index(reference)
        pos = {int(c): j for j, c in enumerate(present)}
        v = by_seg.vcov
        for i in present:
            if i != r and r in pos:
                diff[i] = by_seg.estimate[pos[i]] - by_seg.estimate[pos[r]]
                diff_se[i] = np.sqrt(max(v[pos[i], pos[i]] + v[pos[r], pos[r]] - 2 * v[pos[i], pos[r]], 0.0))
                compared[i] = str(reference)
    shares = counts.shares()
    rows = _frame([str(c) for c in cats], counts.cnt, shares, se, _n_star(shares, se), z, method, compared, diff,
                  diff_se)
    tot, tot_se = counts.shares("total"), linearise_ratios(work, "s", design, kind="mean", by="all").se
    total = _frame(["Total"], [counts.cnt.sum()], tot, tot_se, _n_star(tot, tot_se), z, method, *_no_test(1))
    return rows, total


def _n_star(shares, se) -> np.ndarray:
    """The design's effective size of an NPS: the plain variance per respondent over the design variance."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return _variance(shares[0], shares[2], 1.0) / np.asarray(se) ** 2


def nps_group(scores) -> pd.Series:
    """Each 0-10 answer's NPS group as an ordered categorical: detractor 0-6, passive 7-8, promoter 9-10.

    Missing answers stay missing; a score outside 0..10 raises ``ValueError`` with the count (Reichheld, F. F.
    (2003), "The one number you need to grow", Harvard Business Review 81(12):46-54).

    >>> nps_group(pd.Series([0, 6, 7, 8, 9, 10, None])).tolist()
    ['Detractor (0-6)', 'Detractor (0-6)', 'Passive (7-8)', 'Passive (7-8)', 'Promoter (9-10)', 'Promoter (9-10)', nan]
    """
    x = pd.Series(scores)
    out = pd.Categorical.from_codes(nps_classes(x, where="nps_group"), categories=list(NPS_GROUPS), ordered=True)
    return pd.Series(out, index=x.index, name=getattr(scores, "name", None))
