"""Banner tables: stubs down the side, banner variables across the top, column-letter significance tests.

:func:`banner` computes, for every stub (row variable) and every banner column (a category of a banner
variable, plus a Total column):

* a categorical stub: the weighted column % of each category (base: respondents in the column who
  answered the stub);
* a numeric stub: the weighted mean;
* a multi-response set ("pick all that apply", dichotomy columns given through ``multi``): the % of
  respondents selecting each item, on the base of respondents who answered the set (at least one
  dichotomy not missing), so a column can add up to more than 100%.

A multi-response set can also be a banner variable (name it in ``columns``): each item is a column holding
the respondents who selected it, so columns overlap, and the column tests account for that.

Column letters (:mod:`cfresearch.survey.column_tests`): a letter in cell X means X is significantly higher
than the column carrying that letter, within the same banner variable; on Kish effective bases without a
design, design-based (Taylor linearisation) when the design has strata or clusters. Whole-table tests
(:mod:`cfresearch.survey.table_tests`), one per stub × single-choice banner variable: Pearson's X² or the
Rao–Scott F for categorical stubs; the (weighted) ANOVA F, or with strata or clusters the design-based Wald
F, for numeric stubs. Columns whose unweighted base is below ``min_base`` are shown but not tested.

Raking: the estimates use the raked weights; in the tests the weights are taken as fixed, which overstates
the variance of variables related to the raking margins (a conservative test; R ``svychisq`` on a raked
design would use the calibration residuals).

Speed: all weighted sums — every stub × every design unit × every banner cell — come from one streaming
pass of ``np.bincount`` on combined ``intp`` keys, in row chunks (no pandas groupby per cell). Banner
variables are encoded jointly (one key per combination of their categories) and every column is a linear
function of that small joint table (a sum over the other variables, then a 0/1 membership matrix that maps a
variable's categories, or a multi-response set's selection patterns, to its columns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cfresearch.categories import encode
from cfresearch.checks import check_choice, check_frame, check_level, check_unique, column_list, require_columns
from cfresearch.results import Result
from cfresearch.tables import Table, show

from .column_tests import (
    CORRECTIONS,
    column_letters,
    compare,
    design_difference,
    kish_difference,
    letters,
    pooled_share,
)
from .design import SurveyDesign, design_for
from .table_tests import pearson, rao_scott, wald_f, weighted_anova
from .weighting import effective_n_of_sums

__all__ = ["BannerTable", "banner", "column_letters", "rao_scott"]

_CHUNK = 1 << 15
_MAX_CELLS = 1 << 23  # per aggregation array: stub slots × design units × joint banner cells
_MAX_BITMASK_ITEMS = 62
TOTAL = "Total"


# ─── encoding: stubs and banner variables ──────────────────────────────────────────────────────────────


def _is_numeric(s: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
            and not isinstance(s.dtype, pd.CategoricalDtype))


def _dichotomies(data: pd.DataFrame, items: list, name: str, where: str) -> np.ndarray:
    """The 0/1 columns of a multi-response set as a float matrix (NaN = not asked), checked."""
    if not items:
        raise ValueError(f"{where}: multi-response set {name!r} has no columns")
    for c in items:
        if not (_is_numeric(data[c]) or pd.api.types.is_bool_dtype(data[c])):
            raise ValueError(f"{where}: multi-response column {c!r} must be numeric 0/1; got dtype {data[c].dtype}")
    block = np.column_stack([data[c].to_numpy(dtype="float64", na_value=np.nan) for c in items])
    ok = ~np.isnan(block)
    stray = ok & (block != 0) & (block != 1)
    if stray.any():
        bad = [c for j, c in enumerate(items) if stray[:, j].any()]
        raise ValueError(f"{where}: multi-response column(s) {bad} must hold 0/1 (NaN = not asked)")
    return block


@dataclass
class _Stubs:
    """The stubs as aggregation inputs: categorical codes (missing → the last slot) and numeric columns."""

    order: list
    kinds: dict
    cat: list = field(default_factory=list)  # categorical stubs
    cat_labels: list = field(default_factory=list)
    cat_codes: np.ndarray | None = None  # (n, S)
    num_rows: list = field(default_factory=list)  # (stub, row label) per numeric column
    num_x: np.ndarray | None = None  # (n, M)

    @property
    def cat_sizes(self) -> np.ndarray:
        return np.array([len(c) + 1 for c in self.cat_labels], dtype=np.intp)

    @property
    def rows(self) -> list[tuple]:
        """(stub, row) of every table row: categorical rows first, then numeric and multi-response rows."""
        return [(s, str(c)) for s, cats in zip(self.cat, self.cat_labels) for c in cats] + self.num_rows

    @property
    def is_pct(self) -> np.ndarray:
        return np.array([True] * sum(len(c) for c in self.cat_labels)
                        + [self.kinds[s] == "multi" for s, _ in self.num_rows], dtype=bool)


def _encode_stubs(data: pd.DataFrame, order: list, multi: dict, stat, labels: dict, where: str) -> _Stubs:
    kinds: dict[str, str] = {}
    for s in order:
        if s in multi:
            kinds[s] = "multi"
            continue
        want = stat.get(s, "auto") if isinstance(stat, Mapping) else stat
        check_choice(want, ("auto", "percent", "mean"), where=where, what=f"stat for {s!r}")
        numeric = _is_numeric(data[s])
        if want == "mean" and not numeric:
            raise ValueError(f"{where}: stub {s!r} has dtype {data[s].dtype}; a mean needs a numeric column")
        kinds[s] = "mean" if (want == "mean" or (want == "auto" and numeric)) else "percent"
    out = _Stubs(order, kinds)
    n = len(data)
    cols = []
    for s in (s for s in order if kinds[s] == "percent"):
        codes, cats = encode(data[s])
        out.cat.append(s)
        out.cat_labels.append(cats)
        cols.append(np.where(codes < 0, len(cats), codes))
    out.cat_codes = np.column_stack(cols).astype(np.intp) if cols else np.zeros((n, 0), dtype=np.intp)
    num = []
    for s in order:
        if kinds[s] == "mean":
            num.append(data[s].to_numpy(dtype="float64", na_value=np.nan))
            out.num_rows.append((s, "Mean"))
        elif kinds[s] == "multi":
            block = _dichotomies(data, multi[s], s, where)
            answered = ~np.isnan(block).all(axis=1)
            block = np.where(answered[:, None], np.nan_to_num(block, nan=0.0), np.nan)
            num.extend(block.T)
            out.num_rows.extend((s, str(labels.get(c, c))) for c in multi[s])
    out.num_x = np.column_stack(num) if num else np.zeros((n, 0))
    return out


@dataclass
class _BannerVar:
    """A banner variable as aggregation slots: each row's slot, and which columns each slot belongs to.

    A single-choice variable has one slot per category plus a last slot for missing (in no column); a
    multi-response set has one slot per observed selection pattern (a respondent in several columns) plus
    a slot for respondents not asked."""

    name: str
    labels: list[str]
    codes: np.ndarray  # slot per row
    member: np.ndarray  # (slots, columns) 0/1
    multi: bool

    @property
    def n_slots(self) -> int:
        return self.member.shape[0]


def _encode_banner(data: pd.DataFrame, name: str, multi: dict, labels: dict, where: str) -> _BannerVar:
    if name not in multi:
        codes, cats = encode(data[name])
        k = len(cats)
        member = np.vstack([np.eye(k), np.zeros((1, k))])
        return _BannerVar(name, [str(c) for c in cats], np.where(codes < 0, k, codes), member, False)
    items = multi[name]
    block = _dichotomies(data, items, name, where)
    answered = ~np.isnan(block).all(axis=1)
    chosen = block == 1
    if len(items) <= _MAX_BITMASK_ITEMS:
        key = chosen.astype(np.int64) @ (np.int64(1) << np.arange(len(items), dtype=np.int64))
        codes, patterns = encode(pd.Series(np.where(answered, key, -1)))
        patterns = np.array(patterns, dtype=np.int64)
        member = ((patterns[:, None] >> np.arange(len(items))) & 1).astype(float)
        member[patterns < 0] = 0.0  # not asked: in no column
    else:  # too many items for a bit mask: the distinct rows of selections are the patterns
        patterns, codes = np.unique(np.where(answered[:, None], chosen, False), axis=0, return_inverse=True)
        member = patterns.astype(float)
        codes = codes.ravel()
    return _BannerVar(name, [str(labels.get(c, c)) for c in items], codes.astype(np.intp), member, True)


# ─── the fused aggregation pass ────────────────────────────────────────────────────────────────────────


@dataclass
class _Sums:
    """Weighted sums of one block of banner variables: categorical stubs (slots × units × joint cells) and
    numeric columns (columns × units × joint cells), flat; plus the table bases per joint cell."""

    cat: dict
    num: dict
    base: dict
    n_joint: int


def _aggregate(stubs: _Stubs, joint: np.ndarray, n_joint: int, unit: np.ndarray, n_units: int,
               w: np.ndarray | None, second_moments: bool) -> _Sums:
    """Every sum the table needs, in one streaming pass over row chunks (``np.bincount`` on combined keys).

    The key of a row for categorical stub s is ((offset_s + code) · U + unit) · P + joint, and for numeric
    column m (m · U + unit) · P + joint. ``second_moments`` adds Σw²x and Σw²x² (overlapping columns and
    designs without clusters need them)."""
    n = joint.shape[0]
    s_count, m_count = stubs.cat_codes.shape[1], stubs.num_x.shape[1]
    offsets = np.concatenate([[0], np.cumsum(stubs.cat_sizes)[:-1]]).astype(np.intp)
    cat_len = int(stubs.cat_sizes.sum()) * n_units * n_joint
    num_len = m_count * n_units * n_joint
    weighted = w is not None
    cat = {k: np.zeros(cat_len) for k in (("n", "w", "w2") if weighted else ("n",))}
    keys_num = ["n", "wx", "wx2"] + (["w", "w2"] if weighted else []) + (["w2x", "w2x2"] if second_moments else [])
    num = {k: np.zeros(num_len) for k in keys_num}
    num_off = (np.arange(m_count, dtype=np.intp) * n_units * n_joint)[None, :]
    # every chunk's bincount returns the whole output array: chunks at least as long as the output is wide
    chunk = max(_CHUNK, cat_len // max(s_count, 1), num_len // max(m_count, 1))
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        base = unit[start:stop] * n_joint + joint[start:stop]
        wc = None if w is None else w[start:stop]
        if s_count:
            keys = ((stubs.cat_codes[start:stop] + offsets[None, :]) * (n_units * n_joint) + base[:, None]).ravel()
            cat["n"] += np.bincount(keys, minlength=cat_len)
            if weighted:
                wrep = np.repeat(wc, s_count)
                cat["w"] += np.bincount(keys, weights=wrep, minlength=cat_len)
                cat["w2"] += np.bincount(keys, weights=wrep * wrep, minlength=cat_len)
        if m_count:
            x = stubs.num_x[start:stop]
            valid = ~np.isnan(x)
            x0 = np.where(valid, x, 0.0)
            keys = (num_off + base[:, None]).ravel()
            vw = valid.astype(float) if wc is None else valid * wc[:, None]
            num["n"] += np.bincount(keys, weights=valid.ravel().astype(float), minlength=num_len)
            if weighted:
                num["w"] += np.bincount(keys, weights=vw.ravel(), minlength=num_len)
                num["w2"] += np.bincount(keys, weights=(vw * wc[:, None]).ravel(), minlength=num_len)
            wx = vw * x0
            num["wx"] += np.bincount(keys, weights=wx.ravel(), minlength=num_len)
            num["wx2"] += np.bincount(keys, weights=(wx * x0).ravel(), minlength=num_len)
            if second_moments:
                w2x = wx * (1.0 if wc is None else wc[:, None])
                num["w2x"] += np.bincount(keys, weights=w2x.ravel(), minlength=num_len)
                num["w2x2"] += np.bincount(keys, weights=(w2x * x0).ravel(), minlength=num_len)
    if not weighted:
        cat["w"] = cat["w2"] = cat["n"]
        num["w"] = num["w2"] = num["n"]
    jn = np.bincount(joint, minlength=n_joint).astype(float)
    base = {"n": jn, "w": jn if w is None else np.bincount(joint, weights=w, minlength=n_joint),
            "w2": jn if w is None else np.bincount(joint, weights=w * w, minlength=n_joint)}
    return _Sums(cat, num, base, n_joint)


def _blocks(variables: list[_BannerVar], slots_per_unit: int) -> list[list[int]]:
    """Banner variables grouped so that each block's joint table stays below the size limit."""
    blocks: list[list[int]] = [[]]
    size = 1
    for i, var in enumerate(variables):
        if blocks[-1] and size * var.n_slots * slots_per_unit > _MAX_CELLS:
            blocks.append([])
            size = 1
        blocks[-1].append(i)
        size *= var.n_slots
    return blocks


class _Target:
    """Columns of one banner variable (or the Total) as linear functions of a block's joint cells."""

    def __init__(self, sizes: tuple, axis: int | None, member: np.ndarray):
        self.sizes, self.axis, self.member = sizes, axis, member

    def slots(self, arr: np.ndarray) -> np.ndarray:
        """(..., P) → (..., slots of this variable): the sum over the block's other variables."""
        a = arr.reshape(arr.shape[:-1] + self.sizes)
        lead = arr.ndim - 1
        if self.axis is None:
            return a.reshape(arr.shape[:-1] + (-1,)).sum(axis=-1, keepdims=True)
        other = tuple(lead + j for j in range(len(self.sizes)) if j != self.axis)
        return a.sum(axis=other) if other else a

    def cols(self, arr: np.ndarray) -> np.ndarray:
        """(..., P) → (..., columns)."""
        return self.slots(arr) @ self.member

    def pairs(self, arr: np.ndarray) -> np.ndarray:
        """(..., P) → (..., columns, columns): sums over the respondents in both columns."""
        return np.einsum("...s,sc,sd->...cd", self.slots(arr), self.member, self.member)


# ─── per banner variable: values, bases, letters and whole-table tests ─────────────────────────────────


@dataclass
class _Cells:
    """One banner variable's (or the Total's) columns for every table row."""

    value: np.ndarray  # (R, C): share (percentage rows) or mean
    n: np.ndarray  # (R, C) unweighted base
    sum_w: np.ndarray
    effective_n: np.ndarray
    var: np.ndarray  # (R, C) weighted variance of mean rows (NaN for percentage rows)


def _stub_blocks(stubs: _Stubs, sums: _Sums, n_units: int):
    """Per categorical stub: its (slots, U, P) arrays n, w, w2; and the numeric arrays (M, U, P)."""
    p = sums.n_joint
    starts = np.concatenate([[0], np.cumsum(stubs.cat_sizes)[:-1]]).astype(int)
    for si, size in enumerate(stubs.cat_sizes):
        lo = starts[si] * n_units * p
        hi = lo + size * n_units * p
        yield si, {k: v[lo:hi].reshape(size, n_units, p) for k, v in sums.cat.items()}


def _num_block(stubs: _Stubs, sums: _Sums, n_units: int) -> dict:
    m = stubs.num_x.shape[1]
    return {k: v.reshape(m, n_units, sums.n_joint) for k, v in sums.num.items()}


def _cells(stubs: _Stubs, sums: _Sums, target: _Target, n_units: int) -> _Cells:
    rows_v, rows_n, rows_w, rows_w2, rows_var = [], [], [], [], []
    for _, arr in _stub_blocks(stubs, sums, n_units):
        mn = target.cols(arr["n"].sum(axis=1))[:-1]  # (K_s, C): the stub's missing slot dropped
        mw = target.cols(arr["w"].sum(axis=1))[:-1]
        bw, bw2 = mw.sum(axis=0), target.cols(arr["w2"].sum(axis=1))[:-1].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rows_v.append(mw / bw)
        rows_n.append(np.broadcast_to(mn.sum(axis=0), mw.shape))
        rows_w.append(np.broadcast_to(bw, mw.shape))
        rows_w2.append(np.broadcast_to(bw2, mw.shape))
        rows_var.append(np.full(mw.shape, np.nan))
    if stubs.num_x.shape[1]:
        arr = {k: target.cols(v.sum(axis=1)) for k, v in _num_block(stubs, sums, n_units).items()}
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = arr["wx"] / arr["w"]
            neff = effective_n_of_sums(arr["w"], arr["w2"])
            var = (arr["wx2"] / arr["w"] - mean**2) * neff / (neff - 1)
        rows_v.append(mean)
        rows_n.append(arr["n"])
        rows_w.append(arr["w"])
        rows_w2.append(arr["w2"])
        rows_var.append(np.clip(var, 0.0, None))
    w, w2 = np.vstack(rows_w), np.vstack(rows_w2)
    return _Cells(np.vstack(rows_v), np.vstack(rows_n), w, effective_n_of_sums(w, w2), np.vstack(rows_var))


def _second_moment(s2yy, s2y, s2, centre_i, centre_j, w_i, w_j):
    """Σ wᵢ²(yᵢ − c_i)(yᵢ − c_j) / (W_i W_j) from Σw²y², Σw²y and Σw² over the respondents in both columns."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (s2yy - (centre_i + centre_j) * s2y + centre_i * centre_j * s2) / (w_i * w_j)


def _overlap_terms(stubs: _Stubs, sums: _Sums, target: _Target, cells: _Cells,
                   n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """For a multi-response banner variable: the covariance C (R, K, K) that the respondents in both columns
    add to two columns' estimates, Σ_{i∈1∩2} wᵢ²(yᵢ − ȳ₁)(yᵢ − ȳ₂)/(W₁W₂) (centred at p̄ for percentage rows),
    and the overlap's effective base e_o (R, K, K), per row (those who answered it)."""
    w_i, w_j = cells.sum_w[:, :, None], cells.sum_w[:, None, :]
    cov, e_o = [], []
    for si, arr in _stub_blocks(stubs, sums, n_units):
        a = target.pairs(arr["w2"].sum(axis=1))[:-1]  # Σw²·1[y = k] over both columns (K_s, C, C)
        b = np.broadcast_to(a.sum(axis=0), a.shape)
        rs = _cat_rows(stubs, si)
        pbar = pooled_share(cells.value[rs], cells.effective_n[rs])
        cov.append(_second_moment(a, a, b, pbar, pbar, w_i[rs], w_j[rs]))
        e_o.append(np.broadcast_to(effective_n_of_sums(target.pairs(arr["w"].sum(axis=1))[:-1].sum(axis=0),
                                                       b[0]), a.shape))
    if stubs.num_x.shape[1]:
        num = _num_block(stubs, sums, n_units)
        s2, s2y, s2yy, sw = (target.pairs(num[k].sum(axis=1)) for k in ("w2", "w2x", "w2x2", "w"))
        rs = _num_rows(stubs)
        mu, pct = cells.value[rs], stubs.is_pct[rs][:, None, None]
        pbar = pooled_share(mu, cells.effective_n[rs])
        centre_i, centre_j = np.where(pct, pbar, mu[:, :, None]), np.where(pct, pbar, mu[:, None, :])
        cov.append(_second_moment(s2yy, s2y, s2, centre_i, centre_j, w_i[rs], w_j[rs]))
        e_o.append(effective_n_of_sums(sw, s2))
    off = ~np.eye(cells.value.shape[1], dtype=bool)[None]
    return np.where(off, np.nan_to_num(np.concatenate(cov)), 0.0), np.where(off, np.nan_to_num(np.concatenate(e_o)),
                                                                            0.0)


def _design_vcov(stubs: _Stubs, sums: _Sums, target: _Target, cells: _Cells, design: SurveyDesign) -> np.ndarray:
    """Taylor-linearised covariance (R, K, K) of every row's column estimates (columns are domains, possibly
    overlapping): per-unit totals T of the scores wᵢ(yᵢ − ȳ_c)/W_c, then V = Σ_h scale_h [Σ_u T_u T_uᵀ −
    S_h S_hᵀ / n_h], with Σ_u T_u T_uᵀ from Σw² sums when the units are strata (no clusters)."""
    _, n_units, unit_stratum = design.units()
    t_parts, zz_parts = [], []
    for si, arr in _stub_blocks(stubs, sums, n_units):
        wu = target.cols(arr["w"])[:-1]  # (K_s, U, C)
        rs = _cat_rows(stubs, si)
        p, total = cells.value[rs], cells.sum_w[rs]
        with np.errstate(invalid="ignore", divide="ignore"):
            t_parts.append((wu - p[:, None, :] * wu.sum(axis=0)[None]) / total[:, None, :])
        if not design.clustered:
            a = target.pairs(arr["w2"])[:-1]  # (K_s, H, C, C)
            b = a.sum(axis=0)
            zz_parts.append(_second_moment(a, a, np.broadcast_to(b, a.shape), p[:, None, :, None],
                                           p[:, None, None, :], total[:, None, :, None], total[:, None, None, :]))
    if stubs.num_x.shape[1]:
        num = _num_block(stubs, sums, n_units)
        rs = _num_rows(stubs)
        mu, total = cells.value[rs], cells.sum_w[rs]
        with np.errstate(invalid="ignore", divide="ignore"):
            t_parts.append((target.cols(num["wx"]) - mu[:, None, :] * target.cols(num["w"])) / total[:, None, :])
        if not design.clustered:
            s2, s2x, s2x2 = (target.pairs(num[k]) for k in ("w2", "w2x", "w2x2"))
            zz_parts.append(_second_moment(s2x2, s2x, s2, mu[:, None, :, None], mu[:, None, None, :],
                                           total[:, None, :, None], total[:, None, None, :]))
    t = np.nan_to_num(np.concatenate(t_parts))  # (R, U, C)
    scale_h = design.stratum_scale
    n_h = np.where(design.stratum_size > 0, design.stratum_size, 1)
    onehot = np.zeros((design.n_strata, t.shape[1]))
    onehot[unit_stratum, np.arange(t.shape[1])] = 1.0
    s_h = np.einsum("hu,ruc->rhc", onehot, t)
    centred = np.einsum("rhc,h,rhd->rcd", s_h, scale_h / n_h, s_h)
    if design.clustered:
        return np.einsum("ruc,u,rud->rcd", t, scale_h[unit_stratum], t) - centred
    zz = np.nan_to_num(np.concatenate(zz_parts))  # (R, H, C, C)
    return np.einsum("rhcd,h->rcd", zz, scale_h) - centred


def _cat_rows(stubs: _Stubs, si: int) -> slice:
    """The table rows of categorical stub ``si``."""
    start = int(sum(len(c) for c in stubs.cat_labels[:si]))
    return slice(start, start + len(stubs.cat_labels[si]))


def _num_rows(stubs: _Stubs) -> slice:
    """The table rows of the numeric and multi-response stubs (after the categorical ones)."""
    n = len(stubs.rows)
    return slice(n - len(stubs.num_rows), n)


def _whole_table_tests(stubs: _Stubs, sums: _Sums, target: _Target, cells: _Cells, vcov, design: SurveyDesign,
                       var: _BannerVar) -> list[dict]:
    """One test per stub of a single-choice banner variable (none for multi-response sets)."""
    if var.multi:
        return []
    _, n_units, unit_stratum = design.units()
    design_based = bool(design.strata or design.clusters)
    out = []
    for si, arr in _stub_blocks(stubs, sums, n_units):
        mn = target.cols(arr["n"].sum(axis=1))[:-1]
        if design.weighted or design_based:
            wu = np.moveaxis(target.cols(arr["w"])[:-1], 1, 0)  # (U, K_s, C)
            w2u = np.moveaxis(target.cols(arr["w2"])[:-1], 1, 0)
            in_units = wu.sum(axis=(1, 2)) > 0
            psus = int(in_units.sum()) if design.clustered else int(mn.sum())
            nu = float(psus - np.unique(unit_stratum[in_units]).size)
            res = rao_scott(wu, None if design.clustered else w2u, design, int(mn.sum()), nu)
            test = "Rao-Scott F"
        else:
            res = pearson(mn)
            res.update(chisq_first_order=np.nan, p_first_order=np.nan, pearson=res["statistic"])
            test = "Pearson chi2"
        out.append(dict(stub=stubs.cat[si], banner=var.name, test=test, n=int(mn.sum()), **res))
    rows = stubs.rows
    start = len(rows) - len(stubs.num_rows)
    if stubs.num_x.shape[1]:
        num = {k: target.cols(v.sum(axis=1)) for k, v in _num_block(stubs, sums, n_units).items()}
        for m, (s, _) in enumerate(stubs.num_rows):
            if stubs.kinds[s] != "mean":
                continue
            if design_based:
                res, test = wald_f(cells.value[start + m], vcov[start + m], design.df), "Wald F"
            else:
                res, test = weighted_anova(num["w"][m], num["wx"][m], num["wx2"][m], num["n"][m]), "ANOVA F"
            out.append(dict(stub=s, banner=var.name, test=test, n=int(num["n"][m].sum()), pearson=np.nan,
                            chisq_first_order=np.nan, p_first_order=np.nan, **res))
    return out


# ─── result ────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)
class BannerTable(Result):
    """A computed banner table (see :func:`banner`). Values: % (0–100) for category and multi-response rows,
    means for numeric rows. ``frame`` is the tidy long table behind ``to_frame()``; ``chi2`` the whole-table
    tests; ``column_bases`` the bases of every column; ``comparisons`` every tested pair of columns behind
    the letters: stub, row, banner, column_a, column_b, diff (a − b, in percentage points for % rows), se,
    statistic, df (inf: normal), p and p_adjusted (after the correction)."""

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
    letter_test: str = "kish"
    raked: bool = False
    overlap: tuple = ()
    labels: dict = field(default_factory=dict)
    comparisons: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        """Tidy long table: stub, row, measure ('%' or 'mean'), banner, column, letter, estimate, n (unweighted
        base), sum_w (weighted base), effective_n (Kish), sig_letters, low_base."""
        return self.frame.copy()

    def _label(self, name) -> str:
        return str(self.labels.get(name, name))

    def wide(self, *, pct_decimals: int = 0, mean_decimals: int = 1, bases: bool = True) -> pd.DataFrame:
        """Display frame: rows (stub, row), columns (banner, column (letter)); cells like "45% BC".

        A value on a base below ``min_base`` is followed by "*" (shown, not tested). With ``bases``, the
        column bases of the whole table (respondents in the column) are added at the bottom as
        "Base (unweighted)" and "Base (effective)"; per-row bases are in :meth:`to_frame`."""
        f = self.frame
        val = f["estimate"].to_numpy()
        is_pct = (f["measure"] == "%").to_numpy()
        txt = np.where(is_pct, [f"{v:.{pct_decimals}f}%" for v in val], [f"{v:.{mean_decimals}f}" for v in val])
        txt = np.where(np.isnan(val), "–", txt)
        txt = np.where(f["low_base"].to_numpy() & ~np.isnan(val), np.char.add(txt.astype(str), "*"), txt)
        sig = f["sig_letters"].to_numpy().astype(str)
        txt = np.where(sig != "", np.char.add(np.char.add(txt.astype(str), " "), sig), txt)
        col_key = [self._column_header(b, c, letter) for b, c, letter in zip(f["banner"], f["column"], f["letter"])]
        long = pd.DataFrame({"stub": [self._label(s) for s in f["stub"]], "row": f["row"].astype(str),
                             "col": col_key, "txt": txt})
        row_order = list(dict.fromkeys(zip(long["stub"], long["row"])))
        col_order = list(dict.fromkeys(col_key))
        out = long.pivot(index=["stub", "row"], columns="col", values="txt")
        out = out.reindex(index=pd.MultiIndex.from_tuples(row_order, names=["stub", "row"]), columns=col_order)
        if bases:
            cb = self.column_bases
            hdr = [self._column_header(b, c, letter) for b, c, letter in zip(cb["banner"], cb["column"], cb["letter"])]
            extra = pd.DataFrame([[f"{v:,.0f}" for v in cb["n"]], [f"{v:,.0f}" for v in cb["effective_n"]]],
                                 columns=hdr, index=pd.MultiIndex.from_tuples(
                                     [("Base", "Base (unweighted)"), ("Base", "Base (effective)")],
                                     names=["stub", "row"]))
            out = pd.concat([out, extra.reindex(columns=col_order)])
        out.columns = pd.MultiIndex.from_tuples(out.columns, names=["banner", "column"])
        return out

    def _column_header(self, banner_name, column, letter) -> tuple[str, str]:
        if banner_name == TOTAL:
            return (TOTAL, TOTAL)
        return (self._label(banner_name), f"{column} ({letter})" if letter else str(column))

    def show(self, *, caption: str | None = None, **kwargs) -> Table:
        """The table for a report (house style, ``cfresearch.tables.show``): one label column that stays in
        view when the table scrolls sideways, each stub a bold heading row over its rows, the banner
        variables' labels over their columns, the bases at the bottom, and the legend in a note under the
        table. ``kwargs`` go to :meth:`wide`."""
        wide = self.wide(**kwargs)
        rows_of = wide.index.get_level_values(0).value_counts(sort=False)
        labels, heading, last = [], [], None
        for stub, row in wide.index:
            if rows_of[stub] == 1 and row == "Mean":  # a numeric stub: one row, labelled by itself
                labels.append(f"{stub} (mean)")
                heading.append(False)
                continue
            if stub != last and stub != "Base":
                labels.append(stub)
                heading.append(True)
            last = stub
            labels.append(row)
            heading.append(False)
        rows = iter(wide.itertuples(index=False))
        body = pd.DataFrame([[""] * wide.shape[1] if h else list(next(rows)) for h in heading], columns=wide.columns)
        body.columns = pd.MultiIndex.from_tuples([("", TOTAL) if c == (TOTAL, TOTAL) else c for c in body.columns])
        label_col = ("", "")
        body.insert(0, label_col, labels)
        table = show(body, caption=caption, note=self.legend(), hide_index=True, left=(label_col,))
        values = [c for c in body.columns if c != label_col]
        table.styler = (table.styler.set_properties(subset=values, **{"text-align": "right", "white-space": "nowrap"})
                        .apply(lambda r: ["font-weight: 600; padding-top: 8px" if heading[r.name] else
                                          ("padding-left: 1.2em" if j == 0 else "") for j in range(len(r))], axis=1))
        return table

    def _repr_html_(self) -> str:
        return self.show().to_html()

    def legend(self) -> str:
        """Plain-text explanation of the letters, the tests, the level, the correction and the minimum base."""
        alpha = 1 - self.level
        corr = {"none": "no correction for multiple comparisons",
                "bonferroni": "Bonferroni correction (p × number of column pairs, within each row and banner "
                              "variable)",
                "fdr": "Benjamini–Hochberg false discovery rate correction (within each row and banner "
                       "variable)"}[self.correction]
        if self.letter_test == "design":
            how = ("Design-based tests of each difference (Taylor linearisation over the strata and clusters, "
                   "t on the design's degrees of freedom)")
        else:
            base = "effective base (Σw)²/Σw²" if self.weighted else "unweighted base"
            how = f"Percentages: pooled two-proportion z-test; means: {self.mean_test} t-test; both on the {base}"
        parts = [
            "A letter marks a column significantly higher than the column carrying that letter, within the same "
            f"banner variable: uppercase at p < {alpha:.3g} ({self.level:.0%} level)"
            + (f", lowercase at p < {1 - self.lower_level:.3g} ({self.lower_level:.0%} level)"
               if self.lower_level else "") + ".",
            f"{how}; {corr}.",
            f"Columns with an unweighted base below {self.min_base} are not tested and their values are marked *.",
        ]
        if self.raked:
            parts.append("The tests take the raked weights as fixed (the raking itself is not linearised), which is "
                         "conservative for variables related to the raking margins.")
        if self.overlap:
            parts.append(f"Columns of {', '.join(map(self._label, self.overlap))} share respondents; their tests "
                         "allow for the overlap.")
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


@dataclass(frozen=True)
class _Options:
    level: float
    lower_level: float | None
    correction: str
    min_base: int
    equal_var: bool


def _check_arguments(data, stubs, columns, multi, level, lower_level, correction, where) -> tuple[list, list, dict]:
    check_frame(data, where)
    check_choice(correction, CORRECTIONS, where=where, what="correction")
    check_level(level, where=where)
    if lower_level is not None and not 0 < lower_level < level:
        raise ValueError(f"{where}: lower_level must be between 0 and level ({level}); got {lower_level!r}")
    stubs, columns = column_list(stubs, where=where, what="stubs"), column_list(columns, where=where, what="columns")
    multi = {k: list(v) for k, v in (multi or {}).items()}
    order = stubs + [k for k in multi if k not in stubs and k not in columns]
    if not order:
        raise ValueError(f"{where}: give at least one stub")
    check_unique(order, where=where, what="stub")
    check_unique(columns, where=where, what="banner variable")
    needed = [s for s in order if s not in multi] + [c for v in multi.values() for c in v]
    require_columns(data, needed + [c for c in columns if c not in multi], where=where)
    return order, columns, multi


def _columns_of(variables: list[_BannerVar], total: bool) -> tuple[list[tuple], list[np.ndarray]]:
    """(banner, column, letter) of every table column, and the column positions of each banner variable."""
    cols = [(TOTAL, TOTAL, "")] if total else []
    pool = column_letters(sum(len(v.labels) for v in variables))
    positions, li = [], 0
    for var in variables:
        positions.append(np.arange(len(cols), len(cols) + len(var.labels)))
        for c in var.labels:
            cols.append((var.name, c, pool[li]))
            li += 1
    return cols, positions


def banner(data: pd.DataFrame, stubs: Sequence[str], columns: Sequence[str], *, design: SurveyDesign | None = None,
           weights: str | np.ndarray | None = None, level: float = 0.95, correction: str = "none",
           min_base: int = 30, stat: str | Mapping[str, str] = "auto", labels: Mapping[str, str] | None = None,
           total: bool = True, multi: Mapping[str, Sequence[str]] | None = None, lower_level: float | None = None,
           equal_var: bool = True, strata: str | None = None, clusters: str | None = None,
           fpc: str | None = None) -> BannerTable:
    """Banner table of ``stubs`` (rows) by ``columns`` (banner variables) with column-letter tests.

    ``stubs``: row variables. ``stat="auto"`` shows a categorical (or object/bool) column as column % of each
    category and a numeric column as its (weighted) mean; ``stat`` may be ``"percent"``/``"mean"`` for all, or
    a mapping stub → ``"percent"``/``"mean"``. ``multi`` maps a set name to its 0/1 dichotomy columns: a set
    named in ``stubs`` (or in no argument) gives one % row per item, on the base of respondents who answered
    the set; a set named in ``columns`` gives one banner column per item (overlapping columns).
    ``columns``: banner variables; their categories become the banner columns, after a Total column
    (``total=True``). Missing banner values count in the Total only.

    ``design`` (a :class:`~cfresearch.survey.design.SurveyDesign`, or ``weights``/``strata``/``clusters``/
    ``fpc``): weights give weighted cells and Kish effective bases; strata or clusters make the letters and
    the whole-table tests design-based. Tests (see the module docstring): letters at ``level`` (uppercase)
    and optionally ``lower_level`` (lowercase, looser), ``correction`` in {"none", "bonferroni", "fdr"},
    columns with an unweighted base below ``min_base`` shown but not tested; without a design, means use a
    pooled-variance t-test (``equal_var=False``: Welch).

    Returns a :class:`BannerTable` (``.to_frame()``, ``.wide()``, ``.show()``, ``.legend()``, ``.chi2``).

    >>> d = pd.DataFrame({"sat": pd.Categorical(["yes", "no", "yes", "yes"] * 25),
    ...                   "region": pd.Categorical(["N", "S"] * 50)})
    >>> banner(d, ["sat"], ["region"]).to_frame()[["row", "column", "estimate"]].head(3).values.tolist()
    [['no', 'Total', 25.0], ['no', 'N', 0.0], ['no', 'S', 50.0]]
    """
    where = "banner"
    order, columns, multi = _check_arguments(data, stubs, columns, multi, level, lower_level, correction, where)
    labels = dict(labels or {})
    design = design_for(data, design, where=where, weights=weights, strata=strata, clusters=clusters, fpc=fpc)
    options = _Options(float(level), lower_level, correction, min_base, equal_var)
    encoded = _encode_stubs(data, order, multi, stat, labels, where)
    variables = [_encode_banner(data, b, multi, labels, where) for b in columns]
    table = _compute(encoded, variables, design, options, total)
    return _result(table, encoded, variables, design, options, labels)


@dataclass
class _Computed:
    cols: list
    value: np.ndarray
    n: np.ndarray
    sum_w: np.ndarray
    effective_n: np.ndarray
    sig: np.ndarray
    tests: list
    bases: dict  # per table column: respondents in it (n), their Σw and Σw²
    pairs: list  # per banner variable: the tidy table of its column comparisons


def _compute(stubs: _Stubs, variables: list[_BannerVar], design: SurveyDesign, options: _Options,
             total: bool) -> _Computed:
    """Aggregate block by block, then per banner variable: cells, letters and whole-table tests."""
    cols, positions = _columns_of(variables, total)
    n_rows = len(stubs.rows)
    out = _Computed(cols, *(np.full((n_rows, len(cols)), np.nan) for _ in range(4)),
                    np.full((n_rows, len(cols)), "", dtype=object), [],
                    {k: np.zeros(len(cols)) for k in ("n", "w", "w2")}, [])
    design_based = bool(design.strata or design.clusters)
    unit, n_units, _ = design.units()
    w = design.w if design.weighted else None
    second = (design_based and not design.clustered) or any(v.multi for v in variables)
    slots = int(stubs.cat_sizes.sum()) + stubs.num_x.shape[1]
    for bi, block in enumerate(_blocks(variables, max(slots, 1) * n_units) if variables else [[]]):
        sizes = tuple(variables[i].n_slots for i in block)
        joint = np.zeros(design.n, dtype=np.intp)
        for i in block:
            joint = joint * variables[i].n_slots + variables[i].codes
        sums = _aggregate(stubs, joint, int(np.prod(sizes)) if sizes else 1, unit, n_units, w, second)
        targets = [(_Target(sizes, None, np.ones((1, 1))), np.array([0]), None)] if total and bi == 0 else []
        targets += [(_Target(sizes, j, variables[i].member), positions[i], variables[i]) for j, i in enumerate(block)]
        for target, pos, var in targets:
            for name in ("n", "w", "w2"):
                out.bases[name][pos] = target.cols(sums.base[name])
            cells = _cells(stubs, sums, target, n_units)
            for name in ("value", "n", "sum_w", "effective_n"):
                getattr(out, name)[:, pos] = getattr(cells, name)
            if var is None:
                continue
            vcov = _design_vcov(stubs, sums, target, cells, design) if design_based else None
            if len(pos) > 1:
                out.sig[:, pos], pairs = _letters(stubs, sums, target, cells, vcov, var, design, options, n_units,
                                                  [cols[p][2] for p in pos])
                out.pairs.append(pairs)
            out.tests += _whole_table_tests(stubs, sums, target, cells, vcov, design, var)
    return out


def _letters(stubs, sums, target, cells: _Cells, vcov, var: _BannerVar, design: SurveyDesign, options: _Options,
             n_units: int, names: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """The letters of one banner variable's columns, and every tested pair as a tidy table."""
    tested = cells.n >= options.min_base
    if vcov is not None:
        diff_var = design_difference(vcov)
        df = np.full(diff_var.shape, float(max(design.df, 1)))
    else:
        overlap = _overlap_terms(stubs, sums, target, cells, n_units) if var.multi else None
        diff_var, df = kish_difference(cells.value, cells.effective_n, cells.var, stubs.is_pct,
                                       equal_var=options.equal_var, overlap=overlap)
    p, padj = compare(cells.value, diff_var, df, tested, options.correction)
    sig = letters(cells.value, padj, names, level=options.level, lower_level=options.lower_level)
    r, i, j = np.nonzero(np.triu(np.isfinite(p), 1))
    scale = np.where(stubs.is_pct, 100.0, 1.0)[r]
    rows = stubs.rows
    with np.errstate(invalid="ignore"):
        se = np.sqrt(diff_var[r, i, j])
    pairs = pd.DataFrame({"stub": [rows[k][0] for k in r], "row": [rows[k][1] for k in r], "banner": var.name,
                          "column_a": [var.labels[k] for k in i], "column_b": [var.labels[k] for k in j],
                          "diff": (cells.value[r, i] - cells.value[r, j]) * scale, "se": se * scale,
                          "statistic": (cells.value[r, i] - cells.value[r, j]) / se, "df": df[r, i, j],
                          "p": p[r, i, j], "p_adjusted": padj[r, i, j]})
    return sig, pairs


def _design_text(design: SurveyDesign) -> str:
    if design.strata or design.clusters:
        return "Rao-Scott second-order F (R svychisq) for categories, design-based Wald F for means; " + \
            design.describe()
    if design.weighted:
        return "Rao-Scott second-order F (R svychisq) for weighted data, each respondent its own PSU"
    return "none"


def _result(table: _Computed, stubs: _Stubs, variables: list[_BannerVar], design: SurveyDesign, options: _Options,
            labels: dict) -> BannerTable:
    rows, cols = stubs.rows, table.cols
    n_rows, n_cols = len(rows), len(cols)
    is_pct = stubs.is_pct
    frame = pd.DataFrame({
        "stub": np.repeat([s for s, _ in rows], n_cols),
        "row": np.repeat([r for _, r in rows], n_cols),
        "measure": np.repeat(np.where(is_pct, "%", "mean"), n_cols),
        "banner": np.tile([c[0] for c in cols], n_rows),
        "column": np.tile([c[1] for c in cols], n_rows),
        "letter": np.tile([c[2] for c in cols], n_rows),
        "estimate": (table.value * np.where(is_pct, 100.0, 1.0)[:, None]).ravel(),
        "n": table.n.ravel(),
        "sum_w": table.sum_w.ravel(),
        "effective_n": table.effective_n.ravel(),
        "sig_letters": table.sig.ravel().astype(str),
        "low_base": (table.n < options.min_base).ravel(),
    })
    order = {s: i for i, s in enumerate(stubs.order)}
    frame = frame.iloc[np.argsort(frame["stub"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    bases = _column_bases(table)
    chi = pd.DataFrame(table.tests, columns=["stub", "banner", "test", "statistic", "df1", "df2", "p", "n",
                                             "pearson", "chisq_first_order", "p_first_order"])
    design_based = bool(design.strata or design.clusters)
    return BannerTable(frame=frame, chi2=chi, column_bases=bases, level=options.level,
                       lower_level=options.lower_level, correction=options.correction, min_base=options.min_base,
                       weighted=design.weighted, design=_design_text(design),
                       mean_test="pooled-variance" if options.equal_var else "Welch",
                       letter_test="design" if design_based else "kish", raked=design.raking is not None,
                       overlap=tuple(v.name for v in variables if v.multi), labels=labels,
                       comparisons=(pd.concat(table.pairs, ignore_index=True) if table.pairs else
                                    pd.DataFrame(columns=["stub", "row", "banner", "column_a", "column_b", "diff",
                                                          "se", "statistic", "df", "p", "p_adjusted"])))


def _column_bases(table: _Computed) -> pd.DataFrame:
    """The bases of every column: the respondents in it, whatever they answered."""
    cols, b = table.cols, table.bases
    return pd.DataFrame({"banner": [c[0] for c in cols], "column": [c[1] for c in cols],
                         "letter": [c[2] for c in cols], "n": b["n"], "sum_w": b["w"],
                         "effective_n": effective_n_of_sums(b["w"], b["w2"])})
