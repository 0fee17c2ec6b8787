"""Wave-on-wave change of KPIs (mean scores, NPS, top-box shares) with design-based significance tests.

:func:`wave_change` estimates each KPI in every wave and its change from the previous wave. All waves are
linearised jointly as domains of one design (:mod:`cfresearch.survey.estimates`), so the standard error of
a change, √(V_tt + V_t−1,t−1 − 2·V_t,t−1), includes the covariance of waves that share PSUs (the same stores
sampled every wave) — the Stata ``svy: mean y, over(wave)`` + ``lincom`` / R ``svyby`` + ``svycontrast``
approach. Repeated cross-sections from independent samples get a covariance of ~0, so the test reduces to
the familiar two-sample z-test.

KPI specs (``kpis`` maps a display name to one of):

* ``"column"`` or ``{"column": c}`` / ``{"column": c, "kind": "mean"}``: the weighted mean;
* ``{"column": c, "kind": "nps"}``: Net Promoter Score on 0-10 ratings, 100 × (promoter − detractor) with
  promoters 9-10 and detractors 0-6 (Reichheld 2003). NPS is the mean of the per-respondent score
  sᵢ ∈ {−100, 0, 100}, so its linearised variance is the design variance of that mean; for an unweighted
  simple random sample it is n/(n − 1) × R ``NPS::npvar`` = [p_P + p_D − (p_P − p_D)²]/n (× 100²);
* ``{"column": c, "kind": "top_box", "values": [4, 5]}``: the percentage of valid answers in ``values``
  (``"bottom_box"`` is the same with the low values).

Missing answers are excluded from a KPI's base (the respondents stay in the design).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cfresearch.checks import check_choice, check_frame, check_level, require_columns

from .design import SurveyDesign, critical_value, design_for, linearise_ratios, resolve_df, two_sided_p
from .nps import nps_scores
from .weighting import RakeResult

__all__ = ["describe_snapshot", "wave_change", "wave_snapshot", "kpi_scores"]

_KPI_KINDS = ("mean", "nps", "top_box", "bottom_box")


def _spec(name: str, spec) -> dict:
    if isinstance(spec, str):
        return {"column": spec, "kind": "mean"}
    if not isinstance(spec, Mapping) or "column" not in spec:
        raise ValueError(f"kpi {name!r}: spec must be a column name or a dict with 'column' (and 'kind'); got {spec!r}")
    out = {"kind": "mean", **spec}
    check_choice(out["kind"], _KPI_KINDS, where=f"kpi {name!r}", what="kind")
    if out["kind"] in ("top_box", "bottom_box"):
        vals = out.get("values")
        if vals is None or isinstance(vals, (str, bytes)) or not isinstance(vals, Sequence) or len(vals) == 0:
            raise ValueError(f"kpi {name!r}: kind {out['kind']!r} needs 'values', a non-empty list of the box's codes")
    return out


def kpi_scores(data: pd.DataFrame, spec) -> pd.Series:
    """The per-respondent score whose (weighted) mean is the KPI: the rating itself (mean), 100/0/−100 for
    promoter/passive/detractor (nps), 100/0 for in/out of the box (top_box); NaN where the answer is missing.

    >>> kpi_scores(pd.DataFrame({"r": [10, 7, 3, None]}), {"column": "r", "kind": "nps"}).tolist()
    [100.0, 0.0, -100.0, nan]
    """
    s = _spec("kpi", spec)
    col = s["column"]
    require_columns(data, [col], where="kpi_scores", what="KPI column")
    x = data[col]
    if s["kind"] == "mean":
        if not pd.api.types.is_numeric_dtype(x.dtype) or isinstance(x.dtype, pd.CategoricalDtype):
            raise ValueError(f"kpi_scores: KPI column {col!r}: kind 'mean' needs a numeric column, got {x.dtype}")
        return x.astype(float)
    if s["kind"] == "nps":
        return pd.Series(nps_scores(x, where=f"kpi_scores (column {col!r})"), index=data.index, name=col)
    vals = list(s["values"])
    codes_in = x.isin(vals)
    return pd.Series(np.where(x.notna(), np.where(codes_in, 100.0, 0.0), np.nan), index=data.index, name=col)


def wave_change(
    data: pd.DataFrame,
    kpis: Mapping[str, str | Mapping],
    *,
    wave: str = "wave",
    design: SurveyDesign | None = None,
    weights: str | Sequence[float] | np.ndarray | None = None,
    strata: str | Sequence[str] | None = None,
    clusters: str | Sequence[str] | None = None,
    fpc: str | float | None = None,
    raking: RakeResult | None = None,
    level: float = 0.95,
    df: int | float | str | None = None,
) -> pd.DataFrame:
    """KPI estimates per wave and the change from the previous wave, with design-based SEs and tests.

    ``design`` (or the design keywords) as in :func:`~cfresearch.survey.estimates.weighted_estimate`.
    Returns a tidy DataFrame, one row per KPI × wave (waves in sorted/category order): ``kpi``, ``wave``,
    ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n`` (valid answers), ``change`` (vs the previous wave;
    NaN for the first), ``change_se``, ``statistic``, ``p`` (two-sided; normal unless ``df`` is given,
    see :func:`~cfresearch.survey.estimates.weighted_estimate`) and ``significant`` (p < 1 − level).

    >>> df = pd.DataFrame({"wave": [1, 1, 1, 2, 2, 2], "csat": [3, 4, 5, 4, 5, 5]})
    >>> wave_change(df, {"CSAT": "csat"})[["wave", "estimate", "change"]].round(3)
       wave  estimate  change
    0     1     4.000     NaN
    1     2     4.667   0.667
    """
    where = "wave_change"
    check_frame(data, where)
    level = check_level(level, where=where)
    if not isinstance(kpis, Mapping) or not kpis:
        raise ValueError(f"{where}: kpis must be a non-empty mapping {{name: column or spec}}")
    require_columns(data, [wave], where=where, what="wave column")
    design = design_for(data, design, where=where, weights=weights, strata=strata, clusters=clusters, fpc=fpc,
                        raking=raking)
    dfv = resolve_df(df, design, where)
    frames = [_kpi_by_wave(data, name, _spec(name, spec), wave, design, level, dfv) for name, spec in kpis.items()]
    return pd.concat(frames, ignore_index=True)


def _kpi_by_wave(data: pd.DataFrame, name: str, spec: dict, wave: str, design: SurveyDesign, level: float,
                 dfv: float | None) -> pd.DataFrame:
    """One KPI's estimate per wave and its change from the previous wave (V_tt + V_t−1 − 2 V_t,t−1)."""
    work = data[[wave]].assign(__kpi_score__=kpi_scores(data, spec).to_numpy())
    lin = linearise_ratios(work, "__kpi_score__", design, kind="mean", by=wave, where="wave_change")
    est, v, se = lin.estimate, lin.vcov, lin.se
    crit = critical_value(level, dfv)
    change = np.full(est.size, np.nan)
    change_se = np.full(est.size, np.nan)
    if est.size > 1:
        idx = np.arange(1, est.size)
        change[1:] = est[1:] - est[:-1]
        change_se[1:] = np.sqrt(np.clip(v[idx, idx] + v[idx - 1, idx - 1] - 2 * v[idx, idx - 1], 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = change / change_se
    p = two_sided_p(stat, dfv)
    return pd.DataFrame({
        "kpi": name, "wave": lin.table[wave].to_numpy(), "estimate": est, "se": se,
        "ci_low": est - crit * se, "ci_high": est + crit * se, "n": lin.table["n"].to_numpy(),
        "change": change, "change_se": change_se, "statistic": stat, "p": p,
        "significant": np.where(np.isfinite(p), p < 1 - level, False),
    })


def wave_snapshot(changes: pd.DataFrame, wave=None) -> pd.DataFrame:
    """One row per KPI for one wave of a :func:`wave_change` table: the estimate, its interval and the change.

    ``wave=None`` takes the latest wave present. Adds ``previous`` (the previous wave's estimate) and
    ``direction`` ("up", "down" or "no significant change", by the change's test at the table's level).

    >>> df = pd.DataFrame({"wave": [1, 1, 1, 2, 2, 2], "csat": [3, 4, 5, 4, 5, 5]})
    >>> wave_snapshot(wave_change(df, {"CSAT": "csat"}))[["kpi", "wave", "previous", "direction"]].values.tolist()
    [['CSAT', 2, 4.0, 'no significant change']]
    """
    need = {"kpi", "wave", "estimate", "change", "significant"}
    if not need <= set(changes.columns):
        raise ValueError(f"wave_snapshot: expected a wave_change table with columns {sorted(need)}")
    waves = sorted(changes["wave"].dropna().unique())
    if not waves:
        raise ValueError("wave_snapshot: the table has no waves")
    if wave is None:
        wave = waves[-1]
    if wave not in waves:
        raise ValueError(f"wave_snapshot: wave {wave} is not in the data; waves are "
                         f"{', '.join(str(w) for w in pd.Series(waves).tolist())}")
    out = changes[changes["wave"] == wave].reset_index(drop=True).copy()
    out.insert(out.columns.get_loc("change"), "previous", out["estimate"] - out["change"])
    out["direction"] = np.where(~out["significant"].astype(bool), "no significant change",
                                np.where(out["change"] > 0, "up", "down"))
    return out


def describe_snapshot(snapshot: pd.DataFrame, *, level: float = 0.95, decimals: int | Mapping[str, int] = 1) -> str:
    """One plain-language line per KPI of a :func:`wave_snapshot`: estimate, interval and the change.

    ``decimals`` is one number for all KPIs or a mapping KPI -> decimals (others get 1).

    >>> df = pd.DataFrame({"wave": [1, 1, 1, 2, 2, 2], "csat": [3, 4, 5, 4, 5, 5]})
    >>> print(describe_snapshot(wave_snapshot(wave_change(df, {"CSAT": "csat"}))))
    CSAT: 4.7 (95% CI 4.1 to 5.3); previous wave 4.0, change +0.7 (p = 0.26, not significant)
    """
    lines = []
    for row in snapshot.itertuples(index=False):
        places = decimals.get(row.kpi, 1) if isinstance(decimals, Mapping) else decimals
        f = f"{{:.{places}f}}"
        text = f"{row.kpi}: {f.format(row.estimate)} ({level:.0%} CI {f.format(row.ci_low)} to {f.format(row.ci_high)})"
        if pd.notna(row.change):
            verdict = "significant" if row.significant else "not significant"
            change = ("+" if row.change >= 0 else "") + f.format(row.change)
            text += f"; previous wave {f.format(row.previous)}, change {change} (p = {row.p:.2g}, {verdict})"
        lines.append(text)
    return "\n".join(lines)
