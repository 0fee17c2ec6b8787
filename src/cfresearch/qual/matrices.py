"""Who says what: code frequencies, code-by-segment matrices with a test of association, and co-occurrence.

Everything here counts **coded units**: a coding (a selection of text with a code) counts for every turn it
overlaps, so a code applied twice in one turn counts once, and a selection that runs over three turns counts
for each of them. Codings of several coders are combined by ``basis``:

* ``"any"`` (default, as NVivo's and MAXQDA's coding queries over all users): a turn carries a code if any
  coder applied it;
* ``"consensus"``: only if every coder who coded that document applied it (the conservative reading, for
  reports written after an agreement check);
* a coder's name: that coder's codings only (e.g. the adjudicated master copy).

Two counts answer different questions (as in MAXQDA's Code Matrix Browser, "segments" or "documents/cases"):
**units** — how often a theme comes up (turns coded) — and **participants** — how many people raise it
(distinct speakers with at least one coded turn). With a few people per group, participants is the honest
base: one talkative person can fill many turns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from cfresearch.checks import check_choice, check_level, require_columns
from cfresearch.results import Result

__all__ = ["CodeMatrix", "Cooccurrence", "code_frequencies", "code_matrix", "coded_turns", "cooccurrence",
           "exact_association"]

_MAX_TABLES = 2_000_000


def _overlapping_turns(codings: pd.DataFrame, turns: pd.DataFrame) -> pd.DataFrame:
    """(row index of the coding, turn) for codings without a turn: every turn whose text the selection overlaps."""
    out = []
    for doc, rows in codings.groupby("document", sort=False):
        t = turns[turns["document"] == doc].sort_values("char_start")
        if t.empty:
            continue
        starts, ends, nums = (t[c].to_numpy() for c in ("char_start", "char_end", "turn"))
        first = np.searchsorted(ends, rows["start"].to_numpy(), side="right")  # first turn ending after start
        last = np.searchsorted(starts, rows["end"].to_numpy(), side="left")  # turns starting before end
        for idx, a, b in zip(rows.index, first, last, strict=True):
            out += [(idx, nums[k]) for k in range(a, b)]
    return pd.DataFrame(out, columns=["row", "turn"])


def coded_turns(codings: pd.DataFrame, turns: pd.DataFrame, *, basis: str = "any") -> pd.DataFrame:
    """The turns each code was applied to: one row per (document, turn, code), with the coders who applied it
    (``coders``, a sorted tuple) and the number of coders of that document (``of``). ``basis`` combines coders
    (module docstring). Codings whose selection spans several turns count for every turn they overlap.

    >>> turns = pd.DataFrame({"document": ["d"] * 3, "turn": [1, 2, 3], "char_start": [0, 10, 20],
    ...                       "char_end": [8, 18, 28]})
    >>> codings = pd.DataFrame({"coder": ["A", "B", "A"], "document": ["d"] * 3, "start": [0, 2, 12],
    ...                         "end": [5, 8, 25], "code": ["x", "x", "y"], "turn": [1, 1, np.nan]})
    >>> coded_turns(codings, turns)[["turn", "code", "coders"]]
       turn code  coders
    0     1    x  (A, B)
    1     2    y    (A,)
    2     3    y    (A,)
    >>> coded_turns(codings, turns, basis="consensus")[["turn", "code"]].to_dict("records")
    [{'turn': 1, 'code': 'x'}]
    """
    require_columns(codings, ["coder", "document", "start", "end", "code", "turn"], where="coded_turns (codings)")
    require_columns(turns, ["document", "turn", "char_start", "char_end"], where="coded_turns (turns)")
    coders_of_doc = codings.groupby("document")["coder"].agg(lambda s: tuple(sorted(set(s))))
    if basis not in ("any", "consensus"):
        known = sorted(set(codings["coder"]))
        if basis not in known:
            check_choice(basis, ("any", "consensus", *known), where="coded_turns", what="basis")
        codings = codings[codings["coder"] == basis]
    direct = codings[codings["turn"].notna()]
    spans = codings[codings["turn"].isna()]
    parts = [direct[["document", "turn", "code", "coder"]]]
    if len(spans):
        hits = _overlapping_turns(spans, turns)
        parts.append(spans.loc[hits["row"], ["document", "code", "coder"]].assign(turn=hits["turn"].to_numpy()))
    both = pd.concat(parts, ignore_index=True)
    both["turn"] = both["turn"].astype("int64")
    out = (both.groupby(["document", "turn", "code"], sort=True)["coder"]
           .agg(lambda s: tuple(sorted(set(s)))).rename("coders").reset_index())
    out["of"] = out["document"].map(coders_of_doc.map(len)).astype("int64")
    if basis == "consensus":
        out = out[out["coders"].map(len) == out["of"]].reset_index(drop=True)
    return out


def _attributes(turns: pd.DataFrame, participants: pd.DataFrame | None) -> pd.DataFrame:
    if participants is None:
        return turns
    extra = [c for c in participants.columns if c not in turns.columns or c in ("group", "speaker")]
    return turns.merge(participants[extra].drop_duplicates(["group", "speaker"]), on=["group", "speaker"],
                       how="left")


def _units(codings, turns, participants, basis, roles) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(coded units joined with the turns' attributes, the eligible turns)."""
    t = _attributes(turns, participants)
    if roles is not None and "role" in t.columns:
        t = t[t["role"].isin(roles)]
    coded = coded_turns(codings, turns, basis=basis).merge(
        t.drop(columns=[c for c in ("text",) if c in t.columns]), on=["document", "turn"], how="inner")
    return coded, t


def _add_parents(coded: pd.DataFrame, codebook) -> pd.DataFrame:
    """Roll codes up to their ancestors: a turn coded with a child counts once for each ancestor too."""
    if codebook is None:
        return coded
    rows = [coded]
    for level in range(1, 1 + max((codebook.level(c) for c in coded["code"].unique() if c in codebook), default=0)):
        up = coded.assign(code=coded["code"].map(
            lambda c, k=level: codebook.ancestors(c)[k - 1] if c in codebook and codebook.level(c) >= k else None))
        rows.append(up.dropna(subset=["code"]))
    keys = ["document", "turn", "code"]
    return pd.concat(rows, ignore_index=True).drop_duplicates(keys)


def code_frequencies(codings: pd.DataFrame, turns: pd.DataFrame, *, by: str | None = None,
                     participants: pd.DataFrame | None = None, codebook=None, basis: str = "any",
                     roles: tuple[str, ...] | None = ("customer", "employee"), level: float = 0.95) -> pd.DataFrame:
    """How often each code comes up and how many people raise it, overall or by ``by`` (group, segment, any
    participant attribute, or ``speaker`` for one row per participant).

    Columns: code, label (with a codebook), the ``by`` level, ``units`` (turns coded), ``participants``
    (distinct speakers with a coded turn), ``of`` (speakers in that level, the base), ``share``
    (participants / of) and its Wilson score interval ``ci_low``/``ci_high`` at ``level`` (Wilson 1927; Brown,
    Cai & DasGupta 2001 recommend it for small bases). With a codebook, parent codes are added (a turn coded
    with any child counts once). Moderators are left out (``roles``; None keeps everyone).

    >>> turns = pd.DataFrame({"group": "G1", "document": "d", "turn": [1, 2, 3], "speaker": ["Ann", "Bo", "Ann"],
    ...                       "char_start": [0, 10, 20], "char_end": [8, 18, 28], "role": "customer"})
    >>> codings = pd.DataFrame({"coder": "A", "document": "d", "start": [0, 20, 10], "end": [8, 28, 18],
    ...                         "code": ["fast", "fast", "rude"], "turn": [1, 3, 2]})
    >>> code_frequencies(codings, turns).round(3)
       code  units  participants  of  share  ci_low  ci_high
    0  fast      2             1   2    0.5   0.095    0.905
    1  rude      1             1   2    0.5   0.095    0.905
    """
    check_level(level, where="code_frequencies")
    keys = [by] if by else []
    coded, eligible = _units(codings, turns, participants, basis, roles)
    if by:
        require_columns(eligible, [by], where="code_frequencies")
    coded = _add_parents(coded, codebook)
    people_keys = list(dict.fromkeys(["code", *keys, "group", "speaker"]))
    out = pd.DataFrame({
        "units": coded.groupby(["code", *keys], sort=True, observed=True).size(),
        "participants": coded.drop_duplicates(people_keys).groupby(["code", *keys], sort=True, observed=True).size(),
    }).reset_index()
    people = eligible[["group", "speaker", *[k for k in keys if k not in ("group", "speaker")]]].drop_duplicates()
    if by:
        base = people.groupby(by, observed=True).size().rename("of")
        out = out.merge(base, left_on=by, right_index=True, how="left")
    else:
        out["of"] = len(people[["group", "speaker"]].drop_duplicates())
    out["share"] = out["participants"] / out["of"]
    out["ci_low"], out["ci_high"] = proportion_confint(out["participants"], out["of"], alpha=1 - level,
                                                       method="wilson")
    if codebook is not None:
        out.insert(1, "label", out["code"].map(lambda c: codebook[c].label if c in codebook else c))
        order = {c: i for i, c in enumerate(codebook.codes)}
        out = out.sort_values(["code", *keys], key=lambda s: s.map(order) if s.name == "code" else s, kind="stable")
    return out.reset_index(drop=True)


def exact_association(table) -> float:
    """The exact p-value of Fisher's test for a 2 x k table (Freeman & Halton 1951): the probability, with
    both margins fixed, of a table no more likely than the one observed, as R's ``fisher.test``.

    The tables are enumerated column by column (first row x_c ≤ n_c, Σ x_c fixed); their probability is
    Π C(n_c, x_c) / C(N, r) (multivariate hypergeometric). Beyond 2 million tables it raises ValueError.

    >>> round(exact_association([[3, 7, 2], [9, 4, 8]]), 6)  # R: fisher.test(matrix(c(3,9,7,4,2,8), 2))
    0.085641
    """
    t = np.asarray(table, dtype=np.int64)
    if t.ndim != 2 or t.shape[0] != 2 or t.shape[1] < 2 or (t < 0).any():
        raise ValueError(f"exact_association: expected a 2 x k table of counts (k >= 2); got shape {t.shape}")
    cols, r = t.sum(axis=0), int(t[0].sum())
    lgam = np.vectorize(lambda n, k: math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1))
    observed = float(lgam(cols, t[0]).sum())
    partial_sum, partial_logp = np.zeros(1, dtype=np.int64), np.zeros(1)
    remaining = np.concatenate([np.cumsum(cols[::-1])[::-1][1:], [0]])
    for c, n_c in enumerate(cols):
        x = np.arange(n_c + 1)
        s = (partial_sum[:, None] + x[None, :]).ravel()
        lp = (partial_logp[:, None] + lgam(n_c, x)[None, :]).ravel()
        keep = (s <= r) & (s + remaining[c] >= r)
        partial_sum, partial_logp = s[keep], lp[keep]
        if partial_sum.size > _MAX_TABLES:
            raise ValueError(f"exact_association: more than {_MAX_TABLES:,} tables to enumerate; use a Monte Carlo "
                             "test (scipy.stats.fisher_exact with a MonteCarloMethod)")
    total = math.lgamma(cols.sum() + 1) - math.lgamma(r + 1) - math.lgamma(cols.sum() - r + 1)
    probs = np.exp(partial_logp - total)
    return float(min(1.0, probs[partial_logp <= observed + 1e-7 * abs(observed)].sum()))


@dataclass(frozen=True, eq=False)
class CodeMatrix(Result):
    """Codes by the levels of a participant attribute: counts, shares of each level's base, and per code a test
    of whether the share of participants raising it differs between the levels."""

    by: str
    measure: str
    counts: pd.DataFrame
    base: pd.Series
    tests: pd.DataFrame
    overall: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)

    @property
    def shares(self) -> pd.DataFrame:
        """counts / base of each column (participants: the share of that level's people raising the code)."""
        return self.counts.div(self.base, axis=1)

    def to_frame(self) -> pd.DataFrame:
        """One row per code: the count in each level, then the test (statistic, df, p, p_adjusted, test)."""
        return self.counts.join(self.tests.set_index("code")).reset_index()

    def summary(self) -> str:
        sig = [self.labels.get(c, c) for c in self.tests.loc[self.tests["p_adjusted"] < 0.05, "code"]]
        base = ", ".join(f"{k} {v}" for k, v in self.base.items())
        return (f"Codes by {self.by} ({self.measure}; bases: {base}). "
                + (f"Differences between levels unlikely to be chance (Holm-adjusted p < 0.05): {', '.join(sig)}."
                   if sig else "No code differs between levels beyond chance (Holm-adjusted p >= 0.05)."))


def _tests(counts: pd.DataFrame, base: pd.Series, measure: str) -> pd.DataFrame:
    rows = []
    for code, row in counts.iterrows():
        table = np.vstack([row.to_numpy(), base.to_numpy() - row.to_numpy()]).astype(np.int64)
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
            rows.append({"code": code, "statistic": np.nan, "df": np.nan, "p": np.nan, "test": "not testable"})
            continue
        chi2, _, dof, _ = stats.chi2_contingency(table, correction=False)
        try:
            p, test = exact_association(table), "Fisher exact"
        except ValueError:
            p = stats.chi2.sf(chi2, dof)
            test = "chi-square"
        rows.append({"code": code, "statistic": chi2, "df": dof, "p": p, "test": test})
    out = pd.DataFrame(rows)
    ok = out["p"].notna()
    out["p_adjusted"] = np.nan
    if ok.any():
        out.loc[ok, "p_adjusted"] = multipletests(out.loc[ok, "p"], method="holm")[1]
    return out[["code", "statistic", "df", "p", "p_adjusted", "test"]]


def code_matrix(codings: pd.DataFrame, turns: pd.DataFrame, *, by: str = "segment",
                participants: pd.DataFrame | None = None, measure: str = "participants", codebook=None,
                basis: str = "any", roles: tuple[str, ...] | None = ("customer", "employee")) -> CodeMatrix:
    """The code-by-``by`` matrix (rows: codes; columns: the levels of a participant attribute, e.g. segment)
    with a test of association per code.

    ``measure="participants"`` counts the people in each level who raise a code (base: the level's
    participants); ``"units"`` counts coded turns (base: the level's turns). Each code's test compares the
    share raising it across levels in the 2 x k table (raising / not raising by level): Fisher's exact test
    (Freeman-Halton, as R ``fisher.test``; chi-square beyond 2 million tables), Holm-adjusted over codes
    (Holm 1979), with Pearson's chi-square statistic shown. ``overall`` holds Pearson's chi-square of the whole
    codes x levels table of counts (as QDA Miner's coding-by-variable table); a unit may carry several codes, so
    read it as descriptive.

    >>> turns = pd.DataFrame({"group": "G", "document": "d", "turn": range(1, 7),
    ...                       "speaker": ["a", "b", "c", "d", "e", "f"], "char_start": range(0, 60, 10),
    ...                       "char_end": range(5, 65, 10), "segment": ["New"] * 3 + ["Loyal"] * 3})
    >>> codings = pd.DataFrame({"coder": "A", "document": "d", "start": [0, 10, 20, 30], "end": [5, 15, 25, 35],
    ...                         "code": "price", "turn": [1, 2, 3, 4]})
    >>> m = code_matrix(codings, turns)
    >>> m.counts
    segment  Loyal  New
    code
    price        1    3
    >>> round(float(m.tests.loc[0, "p"]), 3)  # R: fisher.test(matrix(c(1, 2, 3, 0), 2))
    0.4
    """
    check_choice(measure, ("participants", "units"), where="code_matrix", what="measure")
    coded, eligible = _units(codings, turns, participants, basis, roles)
    require_columns(eligible, [by], where="code_matrix")
    coded = _add_parents(coded, codebook)
    if measure == "participants":
        counts = coded.drop_duplicates(["code", "group", "speaker"]).groupby(["code", by], observed=True).size()
        base = eligible.drop_duplicates(["group", "speaker"]).groupby(by, observed=True).size()
    else:
        counts = coded.groupby(["code", by], observed=True).size()
        base = eligible.groupby(by, observed=True).size()
    counts = counts.unstack(by, fill_value=0).reindex(columns=base.index, fill_value=0).astype("int64")
    if codebook is not None:
        counts = counts.reindex([c for c in codebook.codes if c in counts.index])
    counts.columns.name = by
    overall: dict = {}
    if counts.shape[0] >= 2 and counts.shape[1] >= 2 and (counts.sum(axis=0) > 0).all():
        chi2, p, dof, expected = stats.chi2_contingency(counts.to_numpy(), correction=False)
        overall = {"statistic": float(chi2), "df": int(dof), "p": float(p),
                   "small_expected": float((expected < 5).mean())}
    return CodeMatrix(by=by, measure=measure, counts=counts, base=base.rename(None),
                      tests=_tests(counts, base, measure), overall=overall,
                      labels=codebook.labels() if codebook is not None else {})


@dataclass(frozen=True, eq=False)
class Cooccurrence(Result):
    """Which codes come up together: ``counts[a][b]`` = turns coded ``a`` with ``b`` in the same turn (window 0)
    or within ``window`` turns of the same document; the diagonal counts the turns coded ``a``."""

    counts: pd.DataFrame
    window: int
    labels: dict = field(default_factory=dict)

    @property
    def jaccard(self) -> pd.DataFrame:
        """counts(a, b) / (n_a + n_b - counts(a, b)) for the same-turn matrix (Jaccard 1901), 1 on the
        diagonal. For a window > 0 the matrix is not symmetric and this is only indicative."""
        n = np.diag(self.counts.to_numpy()).astype(float)
        c = self.counts.to_numpy().astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            j = c / (n[:, None] + n[None, :] - c)
        return pd.DataFrame(j, index=self.counts.index, columns=self.counts.columns)

    def to_frame(self) -> pd.DataFrame:
        """One row per pair of different codes that co-occur: code_a, code_b, units, jaccard."""
        c, j = self.counts.stack().rename("units"), self.jaccard.stack().rename("jaccard")
        out = pd.concat([c, j], axis=1).reset_index()
        out.columns = ["code_a", "code_b", "units", "jaccard"]
        return out[(out["code_a"] != out["code_b"]) & (out["units"] > 0)].sort_values(
            ["units", "code_a", "code_b"], ascending=[False, True, True]).reset_index(drop=True)

    def summary(self) -> str:
        f = self.to_frame()
        where = "in the same turn" if self.window == 0 else f"within {self.window} turn(s)"
        if f.empty:
            return f"No two codes occur {where}."
        top, name = f.iloc[0], lambda c: self.labels.get(c, c)
        return (f"Code co-occurrence {where}: {len(f) // (2 if self.window == 0 else 1)} pairs; most often "
                f"{name(top['code_a'])} with {name(top['code_b'])} ({int(top['units'])} turns).")


def cooccurrence(codings: pd.DataFrame, turns: pd.DataFrame, *, window: int = 0, codes: list[str] | None = None,
                 basis: str = "any", labels: dict | None = None) -> Cooccurrence:
    """Code co-occurrence over coded turns: same turn (``window=0``, symmetric) or near each other (row code's
    turn with the column code within ``window`` turns of the same document, as MAXQDA's Code Relations Browser
    "near"). Codes come in ``codes`` order (default: sorted); ``labels`` (code → label) name them in the summary.

    >>> turns = pd.DataFrame({"document": "d", "turn": [1, 2, 3], "char_start": [0, 10, 20], "char_end": [8, 18, 28]})
    >>> codings = pd.DataFrame({"coder": "A", "document": "d", "start": [0, 0, 10, 20], "end": [8, 8, 18, 28],
    ...                         "code": ["late", "rude", "late", "refund"], "turn": [1, 1, 2, 3]})
    >>> cooccurrence(codings, turns).counts
            late  refund  rude
    late       2       0     1
    refund     0       1     0
    rude       1       0     1
    >>> int(cooccurrence(codings, turns, window=1).counts.loc["late", "refund"])
    1
    """
    if not isinstance(window, int | np.integer) or window < 0:
        raise ValueError(f"cooccurrence: window must be a whole number of turns >= 0; got {window!r}")
    coded = coded_turns(codings, turns, basis=basis)
    codes = list(codes) if codes is not None else sorted(coded["code"].unique())
    coded = coded[coded["code"].isin(codes)]
    units = coded[["document", "turn"]].drop_duplicates().sort_values(["document", "turn"]).reset_index(drop=True)
    x = pd.crosstab([coded["document"], coded["turn"]], coded["code"]).reindex(columns=codes, fill_value=0)
    x = (x.reindex(pd.MultiIndex.from_frame(units), fill_value=0) > 0).astype(np.int64)
    if window == 0:
        near = x
    else:  # for each unit: which codes occur within `window` turns in the same document
        turn_no = units["turn"].to_numpy()
        near_parts = []
        for _doc, idx in units.groupby("document").groups.items():
            block, t = x.iloc[idx].to_numpy(), turn_no[idx]
            close = np.abs(t[:, None] - t[None, :]) <= window
            near_parts.append(pd.DataFrame((close.astype(np.int64) @ block > 0).astype(np.int64),
                                           index=x.index[idx], columns=codes))
        near = pd.concat(near_parts).loc[x.index]
    counts = pd.DataFrame(x.to_numpy().T @ near.to_numpy(), index=codes, columns=codes)
    return Cooccurrence(counts=counts, window=int(window), labels=dict(labels or {}))
