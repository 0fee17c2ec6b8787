"""Banner tables: stubs down the side, banner variables across the top, column-letter significance tests.

:func:`banner` computes, for every stub (row variable) and every banner column (a category of a banner
variable, plus a Total column):

* a categorical stub: the weighted column % of each category (base: respondents in the column who
  answered the stub);
* a numeric stub: the weighted mean;
* a multi-response set ("pick all that apply", given as dichotomy columns through ``multi``): the % of
  respondents selecting each item, on the base of respondents who answered the set (at least one
  dichotomy not missing), so a column can add up to more than 100%.

Column letters (the Displayr/Q/SPSS Custom Tables convention). Every non-total column gets a letter (A, B,
C, … running across the banner; AA, AB, … after Z). Columns are compared pairwise only within their own
banner variable. A letter in cell X means X is significantly HIGHER than the column carrying that letter:
uppercase when the (corrected) two-sided p-value is below ``1 − level``, lowercase when it is below
``1 − lower_level`` only (optional, a looser level such as 0.90).

* Percentages (categorical and multi-response rows): pooled two-proportion z-test, z = (p₁ − p₂) /
  √(p̄(1 − p̄)(1/n₁ + 1/n₂)), p̄ = (n₁p₁ + n₂p₂)/(n₁ + n₂) — statsmodels ``proportions_ztest`` — with n the
  Kish effective base (Σw)²/Σw² when weighted, as SPSS Custom Tables' "Compare column proportions" does.
* Means: two-sample t-test, pooled variance (``equal_var=True``, scipy ``ttest_ind``) or Welch, with the
  weighted variance s² = Σw(x − x̄)²/Σw · n_eff/(n_eff − 1) and the effective base n_eff in place of n.
* Multiple comparisons: the family is one row of one banner variable (all pairs of its tested columns).
  ``"bonferroni"`` multiplies each p by the number of pairs (SPSS); ``"fdr"`` applies Benjamini–Hochberg
  (1995) within the same family.
* Columns whose unweighted base is below ``min_base`` are shown but not tested, and flagged ``low_base``.

Whole-table tests (``BannerTable.chi2``), one per categorical stub × banner variable: Pearson's X² when
unweighted with no design; otherwise the Rao–Scott (1984) second-order corrected F, exactly as R
``survey::svychisq(statistic = "F")``: the design effect matrix Δ = (C'D⁻¹C/N)⁻¹ C'D⁻¹VD⁻¹C of the cell
proportions, F = X²/tr(Δ) on d = tr(Δ)²/tr(Δ²) and d·ν degrees of freedom (ν = #PSU − #strata), with V the
Taylor-linearised covariance of the cell proportions (strata, clusters and a finite population correction
optional; a weighted table without a design treats each respondent as its own PSU). The first-order
correction X²/mean(eig Δ) ~ χ²((r−1)(c−1)) (``statistic = "Chisq"``) is given too. Numeric stubs get a
(weighted) one-way ANOVA F when no design is given. Multi-response sets get no whole-table test (the items
are not mutually exclusive; statsmodels #3334).

Speed: all weighted counts — every stub × every banner cell, plus design units when needed — come from one
fused streaming pass of ``np.bincount`` on combined ``intp`` keys, in row chunks (no pandas groupby per cell).
Banner variables are encoded jointly (one key per combination of their categories) and each column is a
marginal of that small joint table.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cfresearch.checks import weights_array
from cfresearch.tables import show

__all__ = ["BannerTable", "banner", "column_letters", "rao_scott"]

_CORRECTIONS = ("none", "bonferroni", "fdr")
_CHUNK = 1 << 15
_MAX_JOINT_CELLS = 1 << 22
TOTAL = "Total"


# ─── small helpers ─────────────────────────────────────────────────────────────────────────────────────


def column_letters(k: int) -> list[str]:
    """A, B, …, Z, AA, AB, … (spreadsheet style) for ``k`` columns."""
    out = []
    for i in range(k):
        s, j = "", i
        while True:
            s = chr(65 + j % 26) + s
            j = j // 26 - 1
            if j < 0:
                break
        out.append(s)
    return out


def _encode(s: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes (−1 = missing) and the category labels, in category order (codes order for numbers)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy().astype(np.intp), list(s.cat.categories)
    codes, uniques = pd.factorize(s, sort=True)
    return codes.astype(np.intp), list(uniques)


def _is_numeric(s: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
            and not isinstance(s.dtype, pd.CategoricalDtype))


def _bh(p: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values along the last axis; NaN entries are not part of the family.

    ``m`` is the family size per leading index (number of non-NaN p)."""
    shape = p.shape
    flat = p.reshape(-1, shape[-1])
    mm = m.reshape(-1)
    order = np.argsort(np.where(np.isnan(flat), np.inf, flat), axis=1)
    ps = np.take_along_axis(flat, order, axis=1)
    rank = np.arange(1, flat.shape[1] + 1)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = ps * mm[:, None] / rank
    adj = np.where(np.isnan(adj), np.inf, adj)
    adj = np.minimum.accumulate(adj[:, ::-1], axis=1)[:, ::-1]  # step-up: running minimum from the largest
    adj = np.minimum(adj, 1.0)
    out = np.empty_like(flat)
    np.put_along_axis(out, order, adj, axis=1)
    out[np.isnan(flat)] = np.nan
    return out.reshape(shape)


# ─── Rao–Scott from aggregated design-unit tables ──────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Design:
    """Design units for the variance: ``unit`` per row (a PSU, or a stratum when there are no clusters)."""

    unit: np.ndarray  # intp code per row, 0..U-1
    n_units: int
    clustered: bool
    unit_stratum: np.ndarray  # stratum code of each unit (U,)
    n_strata: int
    stratum_size: np.ndarray  # per stratum: #PSUs (clustered) or #rows (not clustered)
    fpc_fraction: np.ndarray  # per stratum sampling fraction f_h (0 = none)
    row_stratum: np.ndarray  # stratum code per row
    row_psu: np.ndarray | None  # PSU code per row (clustered only)


def _make_design(df: pd.DataFrame, strata, clusters, fpc, where: str) -> _Design | None:
    if strata is None and clusters is None:
        if fpc is not None:
            raise ValueError(f"{where}: fpc needs strata and/or clusters")
        return None
    n = len(df)

    def col(name, what):
        if name not in df.columns:
            raise ValueError(f"{where}: no {what} column {name!r}; columns are {list(df.columns)}")
        codes, _ = pd.factorize(df[name], sort=True)
        if (codes < 0).any():
            raise ValueError(f"{where}: {what} column {name!r} has {int((codes < 0).sum())} missing value(s)")
        return codes.astype(np.intp)

    st = col(strata, "strata") if strata is not None else np.zeros(n, dtype=np.intp)
    n_strata = int(st.max()) + 1 if n else 1
    if clusters is not None:
        cl = col(clusters, "cluster")
        psu_key = st * (int(cl.max()) + 1) + cl  # PSUs are nested in strata (R's nest = TRUE)
        psu = np.unique(psu_key, return_inverse=True)[1].astype(np.intp)
        n_psu = int(psu.max()) + 1
        unit_stratum = np.zeros(n_psu, dtype=np.intp)
        unit_stratum[psu] = st
        size = np.bincount(unit_stratum, minlength=n_strata).astype(float)
        unit, n_units, clustered, row_psu = psu, n_psu, True, psu
    else:
        unit, n_units, clustered, row_psu = st, n_strata, False, None
        unit_stratum = np.arange(n_strata, dtype=np.intp)
        size = np.bincount(st, minlength=n_strata).astype(float)
    frac = np.zeros(n_strata)
    if fpc is not None:
        if fpc not in df.columns:
            raise ValueError(f"{where}: no fpc column {fpc!r}; columns are {list(df.columns)}")
        fv = df[fpc].to_numpy(dtype="float64", na_value=np.nan)
        if not np.all(np.isfinite(fv)) or np.any(fv <= 0):
            raise ValueError(f"{where}: fpc column {fpc!r} must be positive and not missing")
        per = np.full(n_strata, np.nan)
        per[st] = fv
        if np.all(per <= 1):
            frac = per  # given as sampling fractions
        else:
            if np.any(per < size):
                raise ValueError(f"{where}: fpc column {fpc!r} gives fewer population units than sampled in "
                                 "some stratum; give the population count of PSUs (or a fraction <= 1)")
            frac = size / per
    return _Design(unit=unit, n_units=n_units, clustered=clustered, unit_stratum=unit_stratum,
                   n_strata=n_strata, stratum_size=size, fpc_fraction=frac, row_stratum=st, row_psu=row_psu)


def _strata_cov(z_sum: np.ndarray, zz: np.ndarray, design: _Design) -> np.ndarray:
    """V = Σ_h (1 − f_h) n_h/(n_h − 1) [Σ_{i∈h} z zᵀ − (Σ_{i∈h} z)(Σ_{i∈h} z)ᵀ / n_h].

    ``z_sum`` (H, K): per-stratum totals of the linearised values; ``zz`` (H, K, K): per-stratum Σ z zᵀ."""
    n_h = design.stratum_size
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(n_h > 1, (1.0 - design.fpc_fraction) * n_h / (n_h - 1), 0.0)  # lonely PSU: 0
        centred = zz - np.einsum("hk,hl->hkl", z_sum, z_sum) / np.where(n_h > 0, n_h, 1)[:, None, None]
    return np.einsum("h,hkl->kl", scale, centred)


def _cell_cov(w_unit: np.ndarray, w2_unit: np.ndarray | None, design: _Design) -> tuple[np.ndarray, np.ndarray]:
    """Cell proportions p (K,) and their linearised covariance V (K, K) from per-unit weighted counts.

    ``w_unit`` (U, K): Σw per design unit and cell; ``w2_unit`` (U, K): Σw² (needed without clusters, where
    every respondent is its own PSU)."""
    total = w_unit.sum()
    p = w_unit.sum(axis=0) / total
    dom = w_unit.sum(axis=1)  # domain weight per unit
    z_unit = (w_unit - dom[:, None] * p[None, :]) / total  # (U, K) unit totals of z_i = w_i (e_i − p)/W
    h = design.unit_stratum
    H = design.n_strata
    z_sum = np.zeros((H, p.size))
    np.add.at(z_sum, h, z_unit)
    if design.clustered:
        zz = np.zeros((H, p.size, p.size))
        np.add.at(zz, h, np.einsum("uk,ul->ukl", z_unit, z_unit))
    else:  # Σ_i w_i² (e_i − p)(e_i − p)ᵀ / W² per stratum, from Σw² per cell
        s2 = w2_unit  # (H, K), units are strata
        s2t = s2.sum(axis=1)
        zz = (np.einsum("hk,kl->hkl", s2, np.eye(p.size)) - np.einsum("hk,l->hkl", s2, p)
              - np.einsum("k,hl->hkl", p, s2) + s2t[:, None, None] * np.outer(p, p)[None]) / total**2
    return p, _strata_cov(z_sum, zz, design)


def rao_scott(w_unit: np.ndarray, w2_unit: np.ndarray | None, design: _Design, n_obs: int,
              nu: float) -> dict[str, float]:
    """Rao–Scott second-order F (R ``svychisq(statistic = "F")``) and first-order χ² for an r×c table.

    ``w_unit`` (U, r, c) and ``w2_unit`` are the weighted counts (and Σw²) per design unit; empty rows and
    columns are dropped first (R forms the table from the observed categories). ``n_obs`` is the number of
    respondents in the table (R's N), ``nu`` the design degrees of freedom.
    """
    keep_r = w_unit.sum(axis=(0, 2)) > 0
    keep_c = w_unit.sum(axis=(0, 1)) > 0
    w_unit = w_unit[:, keep_r][:, :, keep_c]
    if w2_unit is not None:
        w2_unit = w2_unit[:, keep_r][:, :, keep_c]
    nr, nc = w_unit.shape[1:]
    nan = dict(statistic=np.nan, df1=np.nan, df2=np.nan, p=np.nan, chisq_first_order=np.nan,
               p_first_order=np.nan, pearson=np.nan)
    if nr < 2 or nc < 2:
        return nan
    K = nr * nc
    p, V = _cell_cov(w_unit.reshape(w_unit.shape[0], K), None if w2_unit is None else
                     w2_unit.reshape(w2_unit.shape[0], K), design)
    # cell k = r*nc + c; main effects X1 and the interaction columns of X12, residualised on X1 (R: Cmat)
    rr, cc = np.divmod(np.arange(K), nc)
    x1 = np.column_stack([np.ones(K)] + [(rr == i) * 1.0 for i in range(1, nr)] + [(cc == j) * 1.0
                                                                                 for j in range(1, nc)])
    x12 = np.column_stack([((rr == i) & (cc == j)) * 1.0 for i in range(1, nr) for j in range(1, nc)])
    q, _ = np.linalg.qr(x1)
    cmat = x12 - q @ (q.T @ x12)
    inv_p = np.where(p > 0, 1.0 / np.where(p > 0, p, 1.0), 0.0)
    a = cmat * inv_p[:, None]  # D⁻¹ C
    denom = cmat.T @ a / n_obs
    numr = a.T @ V @ a
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    tr2 = float(np.trace(delta @ delta))
    table = p.reshape(nr, nc)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    pearson = float(n_obs * np.sum((table - expected) ** 2 / expected))
    d0 = tr**2 / tr2
    f = pearson / tr
    df = (nr - 1) * (nc - 1)
    chisq1 = pearson / (tr / df)
    return dict(statistic=f, df1=d0, df2=d0 * nu, p=float(stats.f.sf(f, d0, d0 * nu)),
                chisq_first_order=chisq1, p_first_order=float(stats.chi2.sf(chisq1, df)), pearson=pearson)


def _pearson(counts: np.ndarray) -> dict[str, float]:
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        return dict(statistic=np.nan, df1=np.nan, df2=np.nan, p=np.nan)
    n = counts.sum()
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / n
    x2 = float(np.sum((counts - expected) ** 2 / expected))
    df = (counts.shape[0] - 1) * (counts.shape[1] - 1)
    return dict(statistic=x2, df1=float(df), df2=np.nan, p=float(stats.chi2.sf(x2, df)))


def weighted_anova(sw: np.ndarray, swx: np.ndarray, swx2: np.ndarray, count: np.ndarray) -> dict[str, float]:
    """One-way ANOVA F of a (weighted) mean across groups from per-group sums Σw, Σwx, Σwx², n.

    F = [(RSS₀ − RSS₁)/(k − 1)] / [RSS₁/(n − k)] with weighted residual sums of squares — the F-test of the
    group factor in a WLS regression (statsmodels ``WLS(y, dummies, weights=w)``); unweighted it is
    scipy ``f_oneway``. Groups with no observations are left out.
    """
    keep = count > 0
    sw, swx, swx2, count = sw[keep], swx[keep], swx2[keep], count[keep]
    k, n = int(keep.sum()), float(count.sum())
    if k < 2 or n - k <= 0:
        return dict(statistic=np.nan, df1=np.nan, df2=np.nan, p=np.nan)
    rss1 = float(np.sum(swx2 - swx**2 / sw))
    rss0 = float(swx2.sum() - swx.sum() ** 2 / sw.sum())
    df1, df2 = k - 1, n - k
    f = ((rss0 - rss1) / df1) / (rss1 / df2) if rss1 > 0 else np.inf
    return dict(statistic=f, df1=float(df1), df2=df2, p=float(stats.f.sf(f, df1, df2)))


# ─── the fused aggregation pass ────────────────────────────────────────────────────────────────────────


def _fused_counts(cat_codes: np.ndarray, cat_sizes: np.ndarray, num_x: np.ndarray, joint: np.ndarray,
                  n_joint: int, unit: np.ndarray | None, n_units: int, w: np.ndarray | None
                  ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Weighted counts of every categorical stub × unit × joint banner cell, and sums of every numeric column
    × joint banner cell, in one streaming pass over row chunks.

    ``cat_codes`` (n, S) holds each stub's code with missing already mapped to its last slot; the key of a
    row for stub s is ((offset_s + code) · U + unit) · P + joint. Returns flat arrays to be reshaped."""
    n = joint.shape[0]
    S = cat_codes.shape[1]
    offsets = np.concatenate([[0], np.cumsum(cat_sizes)[:-1]]).astype(np.intp)
    cat_len = int(np.sum(cat_sizes)) * n_units * n_joint
    M = num_x.shape[1]
    num_len = M * n_joint
    cat = {k: np.zeros(cat_len) for k in (("n", "w", "w2") if w is not None else ("n",))}
    num = {k: np.zeros(num_len) for k in (("n", "w", "w2", "wx", "wx2") if w is not None else ("n", "wx", "wx2"))}
    num_off = (np.arange(M, dtype=np.intp) * n_joint)[None, :]
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        jc = joint[start:stop]
        wc = None if w is None else w[start:stop]
        if S:
            base = jc if unit is None else unit[start:stop] * n_joint + jc
            keys = (cat_codes[start:stop] + offsets[None, :]) * (n_units * n_joint) + base[:, None]
            keys = keys.ravel()
            cat["n"] += np.bincount(keys, minlength=cat_len)
            if wc is not None:
                wrep = np.repeat(wc, S)
                cat["w"] += np.bincount(keys, weights=wrep, minlength=cat_len)
                cat["w2"] += np.bincount(keys, weights=wrep * wrep, minlength=cat_len)
        if M:
            x = num_x[start:stop]
            valid = ~np.isnan(x)
            x0 = np.where(valid, x, 0.0)
            keys = (num_off + jc[:, None]).ravel()
            vw = valid.astype(float) if wc is None else valid * wc[:, None]
            num["n"] += np.bincount(keys, weights=valid.ravel().astype(float), minlength=num_len)
            if wc is not None:
                num["w"] += np.bincount(keys, weights=vw.ravel(), minlength=num_len)
                num["w2"] += np.bincount(keys, weights=(vw * wc[:, None]).ravel(), minlength=num_len)
            wx = vw * x0
            num["wx"] += np.bincount(keys, weights=wx.ravel(), minlength=num_len)
            num["wx2"] += np.bincount(keys, weights=(wx * x0).ravel(), minlength=num_len)
    if w is None:
        cat["w"] = cat["w2"] = cat["n"]
        num["w"] = num["w2"] = num["n"]
    return cat, num


# ─── result ────────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class BannerTable:
    """A computed banner table (see :func:`banner`). Values: % (0–100) for category and multi-response rows,
    means for numeric rows. ``frame`` is the tidy long table behind ``to_frame()``."""

    frame: pd.DataFrame
    chi2: pd.DataFrame
    column_bases: pd.DataFrame
    level: float
    lower_level: float | None
    correction: str
    min_base: int
    weighted: bool
    design: str
    mean_test: str
    labels: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Tidy long table: stub, row, statistic ('%' or 'mean'), banner, column, letter, value,
        base_unweighted, base_weighted, base_effective, sig_letters, low_base."""
        return self.frame.copy()

    def _label(self, name) -> str:
        return str(self.labels.get(name, name))

    def wide(self, *, pct_decimals: int = 0, mean_decimals: int = 1, bases: bool = True) -> pd.DataFrame:
        """Display frame: rows (stub, row), columns (banner, column (letter)); cells like "45% BC".

        A value on a base below ``min_base`` is followed by "*" (shown, not tested). With ``bases``, the
        column bases of the whole table (respondents in the column) are added at the bottom as
        "Base (unweighted)" and "Base (effective)"; per-row bases are in :meth:`to_frame`."""
        f = self.frame
        val = f["value"].to_numpy()
        is_pct = (f["statistic"] == "%").to_numpy()
        txt = np.where(is_pct, [f"{v:.{pct_decimals}f}%" for v in val], [f"{v:.{mean_decimals}f}" for v in val])
        txt = np.where(np.isnan(val), "–", txt)
        txt = np.where(f["low_base"].to_numpy() & ~np.isnan(val), np.char.add(txt.astype(str), "*"), txt)
        sig = f["sig_letters"].to_numpy().astype(str)
        txt = np.where(sig != "", np.char.add(np.char.add(txt.astype(str), " "), sig), txt)
        col_key = [self._column_header(b, c, letter) for b, c, letter in
                   zip(f["banner"], f["column"], f["letter"])]
        long = pd.DataFrame({"stub": [self._label(s) for s in f["stub"]], "row": f["row"].astype(str),
                             "col": col_key, "txt": txt})
        row_order = list(dict.fromkeys(zip(long["stub"], long["row"])))
        col_order = list(dict.fromkeys(col_key))
        out = long.pivot(index=["stub", "row"], columns="col", values="txt")
        out = out.reindex(index=pd.MultiIndex.from_tuples(row_order, names=["stub", "row"]), columns=col_order)
        if bases:
            cb = self.column_bases
            hdr = [self._column_header(b, c, letter) for b, c, letter in zip(cb["banner"], cb["column"],
                                                                           cb["letter"])]
            extra = pd.DataFrame([[f"{v:,.0f}" for v in cb["base_unweighted"]],
                                  [f"{v:,.0f}" for v in cb["base_effective"]]], columns=hdr,
                                 index=pd.MultiIndex.from_tuples([("Base", "Base (unweighted)"),
                                                                  ("Base", "Base (effective)")],
                                                                 names=["stub", "row"]))
            out = pd.concat([out, extra.reindex(columns=col_order)])
        out.columns = pd.MultiIndex.from_tuples(out.columns, names=["banner", "column"])
        return out

    def _column_header(self, banner_name, column, letter) -> tuple[str, str]:
        if banner_name == TOTAL:
            return (TOTAL, TOTAL)
        return (self._label(banner_name), f"{column} ({letter})" if letter else str(column))

    def show(self, **kwargs):
        """Escaped pandas Styler of :meth:`wide` (house style, ``cfresearch.tables.show``), legend as caption."""
        wide = self.wide(**kwargs)
        return show(wide, caption=self.legend(), hide_index=False)

    def legend(self) -> str:
        """Plain-text explanation of the letters, the tests, the level, the correction and the minimum base."""
        alpha = 1 - self.level
        corr = {"none": "no correction for multiple comparisons",
                "bonferroni": "Bonferroni correction (p × number of column pairs, within each row and banner "
                              "variable)",
                "fdr": "Benjamini–Hochberg false discovery rate correction (within each row and banner "
                       "variable)"}[self.correction]
        base = "effective base (Σw)²/Σw²" if self.weighted else "unweighted base"
        parts = [
            "A letter marks a column significantly higher than the column carrying that letter, within the same "
            f"banner variable: uppercase at p < {alpha:.3g} ({self.level:.0%} level)"
            + (f", lowercase at p < {1 - self.lower_level:.3g} ({self.lower_level:.0%} level)"
               if self.lower_level else "") + ".",
            f"Percentages: pooled two-proportion z-test; means: {self.mean_test} t-test; both on the {base}; "
            f"{corr}.",
            f"Columns with an unweighted base below {self.min_base} are not tested and their values are marked *.",
        ]
        if self.design != "none":
            parts.append(f"Whole-table tests: {self.design}.")
        return " ".join(parts)

    def summary(self) -> str:
        """Short plain-text account: size, tests, and the whole-table tests that reach the level."""
        f = self.frame
        lines = [f"Banner table: {f['stub'].nunique()} stub(s), {f[['banner', 'column']].drop_duplicates().shape[0]}"
                 f" column(s); {'weighted' if self.weighted else 'unweighted'}.", self.legend()]
        sig = self.chi2[self.chi2["p"] < 1 - self.level]
        for r in sig.itertuples(index=False):
            lines.append(f"  {r.stub} × {r.banner}: {r.test} = {r.statistic:.2f}, p = {r.p:.3g}")
        return "\n".join(lines)


# ─── banner ────────────────────────────────────────────────────────────────────────────────────────────


def banner(data: pd.DataFrame, stubs: Sequence[str], columns: Sequence[str], *, weights: str | np.ndarray | None
           = None, level: float = 0.95, correction: str = "none", min_base: int = 30, stat: str | Mapping[str, str]
           = "auto", labels: Mapping[str, str] | None = None, total: bool = True,
           multi: Mapping[str, Sequence[str]] | None = None, lower_level: float | None = None,
           equal_var: bool = True, strata: str | None = None, clusters: str | None = None,
           fpc: str | None = None) -> BannerTable:
    """Banner table of ``stubs`` (rows) by ``columns`` (banner variables) with column-letter tests.

    ``stubs``: row variables. ``stat="auto"`` shows a categorical (or object/bool) column as column % of each
    category and a numeric column as its (weighted) mean; ``stat`` may be ``"percent"``/``"mean"`` for all, or
    a mapping stub → ``"percent"``/``"mean"``. A name in ``stubs`` that is a key of ``multi`` (set name →
    list of 0/1 dichotomy columns) is a multi-response set: % of respondents selecting each item on the base
    of respondents who answered the set; sets in ``multi`` not named in ``stubs`` are added at the end.
    ``columns``: banner variables (categorical); their categories become the banner columns, after a Total
    column (``total=True``). Missing banner values count in the Total only.

    Tests (see the module docstring): letters at ``level`` (uppercase) and optionally ``lower_level``
    (lowercase, looser), ``correction`` in {"none", "bonferroni", "fdr"}, columns with an unweighted base
    below ``min_base`` shown but not tested; means use a pooled-variance t-test (``equal_var=False``: Welch).
    ``strata``/``clusters``/``fpc`` (column names; fpc = population count of PSUs per stratum, or a sampling
    fraction) make the whole-table chi-square design-based (Rao–Scott F); the letter tests use the Kish
    effective base.

    Returns a :class:`BannerTable` (``.to_frame()``, ``.wide()``, ``.show()``, ``.legend()``, ``.chi2``).

    >>> d = pd.DataFrame({"sat": pd.Categorical(["yes", "no", "yes", "yes"] * 25),
    ...                   "region": pd.Categorical(["N", "S"] * 50)})
    >>> banner(d, ["sat"], ["region"]).to_frame()[["row", "column", "value"]].head(3).values.tolist()
    [['no', 'Total', 25.0], ['no', 'N', 0.0], ['no', 'S', 50.0]]
    """
    where = "banner"
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"{where}: data must be a pandas DataFrame; got {type(data).__name__}")
    if correction not in _CORRECTIONS:
        raise ValueError(f"{where}: correction must be one of {_CORRECTIONS}; got {correction!r}")
    if not 0 < level < 1:
        raise ValueError(f"{where}: level must be between 0 and 1; got {level!r}")
    if lower_level is not None and not 0 < lower_level < level:
        raise ValueError(f"{where}: lower_level must be between 0 and level ({level}); got {lower_level!r}")
    if isinstance(stubs, str) or isinstance(columns, str):
        raise ValueError(f"{where}: stubs and columns must be lists of column names")
    multi = {k: list(v) for k, v in (multi or {}).items()}
    stub_list = list(stubs) + [k for k in multi if k not in stubs]
    if not stub_list:
        raise ValueError(f"{where}: give at least one stub")
    dupes = sorted({s for s in stub_list if stub_list.count(s) > 1})
    if dupes:
        raise ValueError(f"{where}: stub(s) listed twice: {dupes}")
    needed = [s for s in stub_list if s not in multi] + [c for v in multi.values() for c in v] + list(columns)
    missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing:
        raise ValueError(f"{where}: no column(s) {missing}; columns are {list(data.columns)}")
    labels = dict(labels or {})
    w = weights_array(data, weights, where=where)
    design = _make_design(data, strata, clusters, fpc, where)
    n = len(data)

    # stubs → categorical codes / numeric columns
    kinds: dict[str, str] = {}
    for s in stub_list:
        if s in multi:
            kinds[s] = "multi"
            continue
        want = stat.get(s, "auto") if isinstance(stat, Mapping) else stat
        if want not in ("auto", "percent", "mean"):
            raise ValueError(f"{where}: stat for {s!r} must be 'auto', 'percent' or 'mean'; got {want!r}")
        numeric = _is_numeric(data[s])
        if want == "mean" and not numeric:
            raise ValueError(f"{where}: stub {s!r} has dtype {data[s].dtype}; a mean needs a numeric column")
        kinds[s] = "mean" if (want == "mean" or (want == "auto" and numeric)) else "percent"
    cat_stubs = [s for s in stub_list if kinds[s] == "percent"]
    cat_labels, cat_cols = [], []
    for s in cat_stubs:
        codes, cats = _encode(data[s])
        cat_cols.append(np.where(codes < 0, len(cats), codes))  # missing → last slot
        cat_labels.append(cats)
    cat_sizes = np.array([len(c) + 1 for c in cat_labels], dtype=np.intp)
    cat_codes = (np.column_stack(cat_cols) if cat_cols else np.zeros((n, 0), dtype=np.intp)).astype(np.intp)

    num_names: list[tuple[str, str]] = []  # (stub, row) per numeric column
    num_cols = []
    for s in stub_list:
        if kinds[s] == "mean":
            num_cols.append(data[s].to_numpy(dtype="float64", na_value=np.nan))
            num_names.append((s, "Mean"))
        elif kinds[s] == "multi":
            items = multi[s]
            if not items:
                raise ValueError(f"{where}: multi-response set {s!r} has no columns")
            block = np.column_stack([data[c].to_numpy(dtype="float64", na_value=np.nan) if _is_numeric(data[c])
                                     or pd.api.types.is_bool_dtype(data[c]) else _bad_dichotomy(c, data[c], where)
                                     for c in items])
            ok = ~np.isnan(block)
            if np.any(ok & (block != 0) & (block != 1)):
                bad = [c for j, c in enumerate(items) if np.any(ok[:, j] & (block[:, j] != 0) & (block[:, j] != 1))]
                raise ValueError(f"{where}: multi-response column(s) {bad} must hold 0/1 (NaN = not asked)")
            answered = ok.any(axis=1)
            block = np.where(answered[:, None], np.where(ok, block, 0.0), np.nan)
            for j, c in enumerate(items):
                num_cols.append(block[:, j])
                num_names.append((s, str(labels.get(c, c))))
    num_x = np.column_stack(num_cols) if num_cols else np.zeros((n, 0))

    # banner variables → one joint code (blocks of variables when the joint table would be too large)
    ban_codes, ban_labels = [], []
    for b in columns:
        codes, cats = _encode(data[b])
        ban_codes.append(np.where(codes < 0, len(cats), codes))
        ban_labels.append([str(c) for c in cats])
    n_units = design.n_units if design is not None else 1
    unit = design.unit if design is not None else None
    max_slots = int(cat_sizes.max()) if cat_sizes.size else 1
    blocks: list[list[int]] = [[]]
    size = 1
    for i, cats in enumerate(ban_labels):
        k = len(cats) + 1
        if blocks[-1] and size * k * n_units * max_slots > _MAX_JOINT_CELLS:
            blocks.append([])
            size = 1
        blocks[-1].append(i)
        size *= k
    if not columns:
        blocks = [[]]

    col_rows = []  # one entry per banner column: banner, column, letter
    letter_pool = column_letters(sum(len(c) for c in ban_labels))
    if total:
        col_rows.append((TOTAL, TOTAL, ""))
    li = 0
    for b, cats in zip(columns, ban_labels):
        for c in cats:
            col_rows.append((b, c, letter_pool[li]))
            li += 1
    n_cols = len(col_rows)

    # per (row, column) result arrays
    cat_rows = [(s, str(c)) for s, cats in zip(cat_stubs, cat_labels) for c in cats]
    R_cat, R_num = len(cat_rows), len(num_names)
    shape_c = (R_cat, n_cols)
    val_c, nu_c, nw_c, ne_c = (np.full(shape_c, np.nan) for _ in range(4))
    shape_n = (R_num, n_cols)
    val_n, nu_n, nw_n, ne_n, var_n = (np.full(shape_n, np.nan) for _ in range(5))
    base_rows = []  # whole-table column bases
    chi_rows = []
    cat_slot_start = np.concatenate([[0], np.cumsum(cat_sizes)[:-1]]).astype(int)
    row_start = np.concatenate([[0], np.cumsum([len(c) for c in cat_labels])[:-1]]).astype(int)
    is_design = design is not None or w is not None
    if design is None and w is not None:  # each respondent its own PSU, one stratum
        design_v = _Design(unit=np.zeros(n, dtype=np.intp), n_units=1, clustered=False,
                           unit_stratum=np.zeros(1, dtype=np.intp), n_strata=1, stratum_size=np.array([float(n)]),
                           fpc_fraction=np.zeros(1), row_stratum=np.zeros(n, dtype=np.intp), row_psu=None)
    else:
        design_v = design

    col_index = 1 if total else 0
    col_pos_of_banner = []
    for cats in ban_labels:
        col_pos_of_banner.append(np.arange(col_index, col_index + len(cats)))
        col_index += len(cats)

    for bi, block in enumerate(blocks):
        sizes = [len(ban_labels[i]) + 1 for i in block]
        P = int(np.prod(sizes)) if sizes else 1
        joint = np.zeros(n, dtype=np.intp)
        for i in block:
            joint = joint * (len(ban_labels[i]) + 1) + ban_codes[i]
        cat, num = _fused_counts(cat_codes, cat_sizes, num_x, joint, P, unit, n_units, w)
        # whole-table bases per joint cell
        jn = np.bincount(joint, minlength=P).astype(float)
        jw = jn if w is None else np.bincount(joint, weights=w, minlength=P)
        jw2 = jn if w is None else np.bincount(joint, weights=w * w, minlength=P)
        jshape = tuple(sizes)

        def marg(arr_last_p: np.ndarray, axis_pos: int | None, jshape: tuple = jshape) -> np.ndarray:
            """Sum a (..., P) array to (..., K_b) for block variable ``axis_pos`` (dropping its missing slot),
            or to (..., 1) for the total."""
            a = arr_last_p.reshape(arr_last_p.shape[:-1] + jshape)
            lead = arr_last_p.ndim - 1
            if axis_pos is None:
                return a.reshape(arr_last_p.shape[:-1] + (-1,)).sum(axis=-1, keepdims=True)
            other = tuple(lead + j for j in range(len(jshape)) if j != axis_pos)
            return a.sum(axis=other)[..., :-1] if other else a[..., :-1]

        targets = []  # (column positions, axis in block, banner index)
        if total and bi == 0:
            targets.append((np.array([0]), None, None))
        for j, i in enumerate(block):
            targets.append((col_pos_of_banner[i], j, i))

        for pos, axis, bidx in targets:
            b_n, b_w, b_w2 = marg(jn, axis), marg(jw, axis), marg(jw2, axis)
            for k, cpos in enumerate(pos):
                base_rows.append((cpos, b_n[k], b_w[k], b_w[k] ** 2 / b_w2[k] if b_w2[k] > 0 else 0.0))
            # categorical stubs
            for si, s in enumerate(cat_stubs):
                lo = cat_slot_start[si] * n_units * P
                hi = lo + cat_sizes[si] * n_units * P
                cn = cat["n"][lo:hi].reshape(cat_sizes[si], n_units, P)
                cw = cat["w"][lo:hi].reshape(cat_sizes[si], n_units, P)
                cw2 = cat["w2"][lo:hi].reshape(cat_sizes[si], n_units, P)
                mn = marg(cn.sum(axis=1), axis)[:-1]  # drop missing stub slot → (K_s, K_b)
                mw = marg(cw.sum(axis=1), axis)[:-1]
                mw2 = marg(cw2.sum(axis=1), axis)[:-1]
                base_n, base_w, base_w2 = mn.sum(axis=0), mw.sum(axis=0), mw2.sum(axis=0)
                rs = slice(row_start[si], row_start[si] + len(cat_labels[si]))
                with np.errstate(invalid="ignore", divide="ignore"):
                    val_c[rs, pos] = mw / base_w  # shares; shown as % below
                    ne_c[rs, pos] = (base_w**2 / base_w2)[None, :]
                nu_c[rs, pos] = base_n[None, :]
                nw_c[rs, pos] = base_w[None, :]
                if bidx is None:
                    continue
                # whole-table test for this stub × banner variable
                if is_design:
                    wu = marg(cw, axis)[:-1]  # (K_s, U, K_b)
                    w2u = marg(cw2, axis)[:-1]
                    wu = np.moveaxis(wu, 1, 0)
                    w2u = np.moveaxis(w2u, 1, 0)
                    in_dom_units = (wu.sum(axis=(1, 2)) > 0)
                    if design_v.clustered:
                        psus = int(in_dom_units.sum())
                        strata_in = np.unique(design_v.unit_stratum[in_dom_units]).size
                    else:
                        psus = int(mn.sum())
                        strata_in = int(np.unique(design_v.unit_stratum[in_dom_units]).size)
                    res = rao_scott(wu, None if design_v.clustered else w2u, design_v, int(mn.sum()),
                                    float(psus - strata_in))
                    test = "Rao-Scott F"
                else:
                    res = _pearson(mn)
                    test = "Pearson chi2"
                    res.update(chisq_first_order=np.nan, p_first_order=np.nan, pearson=res["statistic"])
                chi_rows.append(dict(stub=s, banner=columns[bidx], test=test, statistic=res["statistic"],
                                     df1=res["df1"], df2=res["df2"], p=res["p"], n=int(mn.sum()),
                                     pearson=res["pearson"], chisq_first_order=res["chisq_first_order"],
                                     p_first_order=res["p_first_order"]))
            # numeric stubs and multi-response items
            if R_num:
                sh = (R_num, P)
                mn = marg(num["n"].reshape(sh), axis)
                mw = marg(num["w"].reshape(sh), axis)
                mw2 = marg(num["w2"].reshape(sh), axis)
                mwx = marg(num["wx"].reshape(sh), axis)
                mwx2 = marg(num["wx2"].reshape(sh), axis)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = mwx / mw
                    neff = mw**2 / mw2
                    var = (mwx2 / mw - mean**2) * neff / (neff - 1)
                nu_n[:, pos], nw_n[:, pos], ne_n[:, pos] = mn, mw, neff
                val_n[:, pos], var_n[:, pos] = mean, np.clip(var, 0.0, None)
                if bidx is not None and design is None:
                    seen = set()
                    for r, (s, _) in enumerate(num_names):
                        if kinds[s] != "mean" or s in seen:
                            continue
                        seen.add(s)
                        res = weighted_anova(mw[r], mwx[r], mwx2[r], mn[r])
                        chi_rows.append(dict(stub=s, banner=columns[bidx], test="ANOVA F", n=int(mn[r].sum()),
                                             pearson=np.nan, chisq_first_order=np.nan, p_first_order=np.nan,
                                             **res))

    # significance letters per banner variable
    alpha = 1.0 - level
    alpha_lo = None if lower_level is None else 1.0 - lower_level
    R = R_cat + R_num
    values = np.vstack([val_c, val_n]) if R else np.zeros((0, n_cols))
    nu_all = np.vstack([nu_c, nu_n])
    nw_all = np.vstack([nw_c, nw_n])
    ne_all = np.vstack([ne_c, ne_n])
    is_pct = np.concatenate([np.ones(R_cat, bool), np.array([kinds[s] == "multi" for s, _ in num_names], bool)])
    var_all = np.vstack([np.full_like(val_c, np.nan), var_n])
    low = nu_all < min_base
    sig_hi = np.full((R, n_cols), "", dtype=object)
    for pos in col_pos_of_banner:
        if len(pos) < 2:
            continue
        upper, lower = _pairwise_letters(values[:, pos], ne_all[:, pos], var_all[:, pos], is_pct,
                                         ~low[:, pos], correction, alpha, alpha_lo, equal_var)
        letters = np.array([col_rows[p][2] for p in pos], dtype=object)
        up_txt = _join_letters(upper, letters)
        lo_txt = _join_letters(lower, np.array([x.lower() for x in letters], dtype=object))
        sig_hi[:, pos] = up_txt + lo_txt

    # tidy frame
    row_info = cat_rows + num_names
    stat_col = ["%"] * R_cat + ["%" if kinds[s] == "multi" else "mean" for s, _ in num_names]
    values_out = values * np.where(is_pct, 100.0, 1.0)[:, None]
    frame = pd.DataFrame({
        "stub": np.repeat([s for s, _ in row_info], n_cols),
        "row": np.repeat([r for _, r in row_info], n_cols),
        "statistic": np.repeat(stat_col, n_cols),
        "banner": np.tile([c[0] for c in col_rows], R),
        "column": np.tile([c[1] for c in col_rows], R),
        "letter": np.tile([c[2] for c in col_rows], R),
        "value": values_out.ravel(),
        "base_unweighted": nu_all.ravel(),
        "base_weighted": nw_all.ravel(),
        "base_effective": ne_all.ravel(),
        "sig_letters": sig_hi.ravel().astype(str),
        "low_base": low.ravel(),
    })
    # keep stub order as given
    order = {s: i for i, s in enumerate(stub_list)}
    frame["_o"] = frame["stub"].map(order)
    frame = frame.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)
    base_rows.sort(key=lambda r: r[0])
    cb = pd.DataFrame(base_rows, columns=["pos", "base_unweighted", "base_weighted", "base_effective"])
    cb = cb.drop_duplicates("pos")
    cb.insert(0, "letter", [col_rows[p][2] for p in cb["pos"]])
    cb.insert(0, "column", [col_rows[p][1] for p in cb["pos"]])
    cb.insert(0, "banner", [col_rows[p][0] for p in cb["pos"]])
    cb = cb.drop(columns="pos").reset_index(drop=True)
    chi = pd.DataFrame(chi_rows, columns=["stub", "banner", "test", "statistic", "df1", "df2", "p", "n",
                                          "pearson", "chisq_first_order", "p_first_order"])
    if design is not None:
        dtxt = ("Rao-Scott second-order F (R svychisq), Taylor linearisation with "
                + ", ".join(x for x in (f"strata {strata!r}" if strata else "", f"clusters {clusters!r}" if clusters
                                        else "", f"fpc {fpc!r}" if fpc else "") if x))
    elif w is not None:
        dtxt = "Rao-Scott second-order F (R svychisq) for weighted data, each respondent its own PSU"
    else:
        dtxt = "none"
    return BannerTable(frame=frame, chi2=chi, column_bases=cb, level=level, lower_level=lower_level,
                       correction=correction, min_base=min_base, weighted=w is not None, design=dtxt,
                       mean_test="pooled-variance" if equal_var else "Welch", labels=labels)


def _bad_dichotomy(name, s, where):
    raise ValueError(f"{where}: multi-response column {name!r} must be numeric 0/1; got dtype {s.dtype}")


def _join_letters(mask: np.ndarray, letters: np.ndarray) -> np.ndarray:
    """(R, K, K) boolean 'column i beats column j' → (R, K) strings of the letters of the beaten columns."""
    R, K, _ = mask.shape
    parts = [np.where(mask[:, :, j], letters[j], "") for j in range(K)]
    return functools.reduce(np.add, parts, np.full((R, K), "", dtype=object))


def _pairwise_letters(v, neff, var, is_pct, tested, correction, alpha, alpha_lo, equal_var):
    """Pairwise tests among the columns of one banner variable for every row at once.

    Returns (R, K, K) masks: [r, i, j] True when column i is significantly higher than column j."""
    with np.errstate(invalid="ignore", divide="ignore"):
        vi, vj = v[:, :, None], v[:, None, :]
        ni, nj = neff[:, :, None], neff[:, None, :]
        si, sj = vi, vj  # percentage rows hold shares 0..1 here
        pbar = (si * ni + sj * nj) / (ni + nj)
        se_p = np.sqrt(pbar * (1 - pbar) * (1 / ni + 1 / nj))
        z = (si - sj) / se_p
        p_prop = 2 * stats.norm.sf(np.abs(z))
        # means
        vri, vrj = var[:, :, None], var[:, None, :]
        if equal_var:
            dfm = ni + nj - 2
            sp2 = ((ni - 1) * vri + (nj - 1) * vrj) / dfm
            se_m = np.sqrt(sp2 * (1 / ni + 1 / nj))
        else:
            a, b = vri / ni, vrj / nj
            se_m = np.sqrt(a + b)
            dfm = (a + b) ** 2 / (a**2 / (ni - 1) + b**2 / (nj - 1))
        t = (vi - vj) / se_m
        p_mean = 2 * stats.t.sf(np.abs(t), dfm)
    p = np.where(is_pct[:, None, None], p_prop, p_mean)
    K = v.shape[1]
    ok = tested[:, :, None] & tested[:, None, :] & ~np.eye(K, dtype=bool)[None] & np.isfinite(p)
    p = np.where(ok, p, np.nan)
    iu = np.triu_indices(K, 1)
    fam = p[:, iu[0], iu[1]]  # each pair once
    m = np.sum(~np.isnan(fam), axis=1)
    if correction == "bonferroni":
        fam = np.minimum(fam * m[:, None], 1.0)
    elif correction == "fdr":
        fam = _bh(fam, m)
    padj = np.full_like(p, np.nan)
    padj[:, iu[0], iu[1]] = fam
    padj[:, iu[1], iu[0]] = fam
    higher = v[:, :, None] > v[:, None, :]
    upper = higher & (padj < alpha)
    lower = np.zeros_like(upper) if alpha_lo is None else higher & (padj < alpha_lo) & ~upper
    return upper, lower
