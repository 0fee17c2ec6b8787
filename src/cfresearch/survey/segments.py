"""Segment profiles: how segments differ on a list of variables, with one test per variable.

:func:`segment_profiles` describes each segment of ``by`` on every variable — the (weighted) mean of a
numeric variable, the (weighted) % of each category of a categorical one — together with the total, each
segment's difference from the total, and a test of "no difference across segments":

* numeric variables: one-way ANOVA F; with weights, the F-test of the segment factor in a weighted least
  squares regression (statsmodels ``WLS(y, C(segment), weights=w)``), which is scipy ``f_oneway`` when
  unweighted;
* categorical variables: Pearson's X² when unweighted; with weights the Rao–Scott second-order corrected F
  of R ``survey::svychisq`` (each respondent its own PSU);
* with a design that has strata or clusters (``design=``), both are design-based: the Rao–Scott F for
  categories and the Wald F of equal segment means (R ``regTermTest`` on ``svyglm``).

Everything comes from one fused aggregation pass (:func:`cfresearch.survey.banner.banner` with ``by`` as the
only banner variable). :func:`profile_table` lays the result out wide for a report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cfresearch.checks import check_frame, column_list

from .banner import TOTAL, banner
from .design import SurveyDesign

__all__ = ["profile_table", "segment_profiles"]


def segment_profiles(data: pd.DataFrame, by: str, variables: Sequence[str], *, design: SurveyDesign | None = None,
                     weights: str | np.ndarray | None = None, level: float = 0.95,
                     labels: Mapping[str, str] | None = None, strata: str | None = None, clusters: str | None = None,
                     fpc: str | None = None) -> pd.DataFrame:
    """Tidy profile of each segment of ``by`` on ``variables`` with a test across segments per variable.

    ``design`` (or ``weights``/``strata``/``clusters``/``fpc``) as in :func:`~cfresearch.survey.banner.banner`.
    Returns one row per variable × measure × segment: variable, label, measure ('mean' or '%'), category
    (the category for '%' rows, '' for means), segment, estimate (mean, or % 0–100), n (unweighted base),
    effective_n, total (the value over all respondents), diff_from_total, test ('ANOVA F', 'Wald F',
    'Pearson chi2' or 'Rao-Scott F'), statistic, df1, df2, p, significant (p < 1 − level).

    >>> d = pd.DataFrame({"seg": pd.Categorical(list("ab") * 50), "x": np.arange(100.0) % 7})
    >>> segment_profiles(d, "seg", ["x"])[["segment", "estimate"]].values.tolist()
    [['a', 2.94], ['b', 2.96]]
    """
    where = "segment_profiles"
    check_frame(data, where)
    if not isinstance(by, str):
        raise ValueError(f"{where}: by must be one column name; got {by!r}")
    variables = column_list(variables, where=where, what="variables")
    if by in variables:
        raise ValueError(f"{where}: the segment column {by!r} is also listed as a variable")
    labels = dict(labels or {})
    tab = banner(data, variables, [by], design=design, weights=weights, level=level, total=True, labels=labels,
                 min_base=0, strata=strata, clusters=clusters, fpc=fpc)
    f = tab.to_frame()
    tot = f[f["banner"] == TOTAL][["stub", "row", "estimate"]].rename(columns={"estimate": "total"})
    seg = f[f["banner"] == by].merge(tot, on=["stub", "row"], how="left", sort=False)
    tests = tab.chi2.rename(columns={"stub": "variable"})[["variable", "test", "statistic", "df1", "df2", "p"]]
    out = pd.DataFrame({
        "variable": seg["stub"],
        "label": [str(labels.get(v, v)) for v in seg["stub"]],
        "measure": seg["measure"],
        "category": np.where(seg["measure"] == "mean", "", seg["row"]),
        "segment": seg["column"],
        "estimate": seg["estimate"],
        "n": seg["n"],
        "effective_n": seg["effective_n"],
        "total": seg["total"],
        "diff_from_total": seg["estimate"] - seg["total"],
    }).merge(tests, on="variable", how="left", sort=False)
    out["significant"] = out["p"] < 1 - level
    return out.reset_index(drop=True)


def profile_table(data: pd.DataFrame, by: str, variables: Sequence[str], *, decimals: int | None = None,
                  **kwargs) -> pd.DataFrame:
    """Wide profile: rows = variable / statistic, columns = the segments, then Total and the test's p.

    Keyword arguments go to :func:`segment_profiles`. Means are shown as numbers, categories as % (0–100),
    rounded to ``decimals`` if given (leave it to the table's display otherwise: rounding here and printing
    more decimals there shows a false precision).

    >>> d = pd.DataFrame({"seg": pd.Categorical(list("ab") * 50), "x": np.arange(100.0) % 7})
    >>> profile_table(d, "seg", ["x"]).round(2).values.tolist()
    [[2.94, 2.96, 2.95, 0.96]]
    """
    prof = segment_profiles(data, by, variables, **kwargs)
    prof = prof.assign(row=np.where(prof["measure"] == "mean", "Mean", "% " + prof["category"].astype(str)))
    keys = ["label", "row"]
    order = list(dict.fromkeys(zip(prof["label"], prof["row"])))
    segs = list(dict.fromkeys(prof["segment"]))
    wide = prof.pivot(index=keys, columns="segment", values="estimate").reindex(
        index=pd.MultiIndex.from_tuples(order, names=keys), columns=segs)
    extra = prof.drop_duplicates(keys).set_index(keys)[["total", "p"]].reindex(wide.index)
    wide[TOTAL] = extra["total"]
    if decimals is not None:
        wide = wide.round(decimals)
    wide["p"] = extra["p"]
    wide.columns.name = None
    return wide
