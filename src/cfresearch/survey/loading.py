"""Loading survey data against its codebook: read, validate every cell at once, convert to analysis types.

:func:`load_survey` reads CSV, XLSX (openpyxl), SPSS ``.sav`` (pyreadstat, user-missing codes kept so the
codebook decides) or Parquet (pyarrow), chosen by the file's suffix, and checks every column the codebook
declares. All violations are collected into one tidy table (``Survey.issues``, the issues table of
:mod:`cfresearch.data`: row, column, value, problem, kind, action) before anything is decided. Rows are as the
user finds them in the file (CSV/XLSX line counting the header, SAV/Parquet record number). Problem kinds:
``out of range``, ``not a code``, ``stray value``, ``not a number``, ``not a date``, ``not positive``,
``required missing``, ``duplicated id``, ``missing column``; actions: ``raise``, ``set missing``,
``left missing`` or ``raise (cannot be blanked)``.

``on_invalid="raise"`` (default) raises :class:`SurveyDataError` naming the file, the number of problems
and the first ten; ``on_invalid="set_missing"`` blanks the offending cells (NaN) and goes on, counting them in
``Survey.n_set_missing``. Duplicated respondent ids and columns missing from the data always raise: blanking
cannot fix them. Missing codes declared in the codebook (e.g. 99 = don't know) become NaN and are not
violations. The raw file is only ever read.

Conversion by codebook type: ``single`` -> pandas Categorical of the value labels ordered by code (the data
may hold the codes or the labels); ``likert``/``nps``/``numeric``/``weight`` -> float; ``multi`` -> float 0/1;
``wave`` -> int (nullable ``Int64`` if a wave was blanked; its labels stay in ``survey.codebook.labels``);
``date`` -> datetime64; ``id``/``pii``/``open`` -> text (open text NFC-normalised, empty -> NaN). The design's
cluster column, when numeric and complete, stays integer. Columns the codebook does not declare are kept
as read and listed in ``Survey.extra_columns``.

:func:`load_targets` reads population margins (``targets.yaml``: variable -> {label: share}) for weighting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cfresearch.checks import require_columns
from cfresearch.data import FORMATS, DataError, file_format, issues_frame, read_table
from cfresearch.paths import sample_path  # noqa: F401  (used by the examples)

from .codebook import Codebook, CodebookError, Variable, _clean_code, codebook_from_sav

__all__ = ["SurveyDataError", "Survey", "load_survey", "load_targets", "read_table", "FORMATS"]

_FATAL = ("duplicated id", "missing column")


class SurveyDataError(DataError):
    """Survey data that cannot be loaded as the codebook says (a :class:`cfresearch.data.DataError`): the
    message names the file and the problems; ``issues`` holds every problem found (the tidy table of
    :mod:`cfresearch.data`), ``path`` the data file, ``row`` and ``column`` the first problem's position.
    """


@dataclass
class Survey:
    """Loaded survey data with its codebook, the file it came from and what validation found."""

    data: pd.DataFrame
    codebook: Codebook
    source: Path
    issues: pd.DataFrame = field(default_factory=issues_frame)
    n_set_missing: int = 0
    extra_columns: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.data)

    def validation_summary(self) -> pd.DataFrame:
        """One row per problem kind: how many problems, in which columns, and how many cells were set missing."""
        cols = ["kind", "columns", "problems", "set_missing"]
        if self.issues.empty:
            return pd.DataFrame(columns=cols)
        g = self.issues.assign(_set=self.issues["action"].eq("set missing")).groupby("kind", sort=False)
        out = pd.DataFrame({
            "columns": g["column"].agg(lambda c: ", ".join(dict.fromkeys(c))),
            "problems": g.size(),
            "set_missing": g["_set"].sum().astype(int),
        }).reset_index()
        return out[cols]

    def reported_wave(self, wave=None):
        """The wave a report describes: ``wave`` when given (it must occur in the data), else the latest; None
        for a survey without waves.

        >>> load_survey(sample_path("survey", "responses.csv"), on_invalid="set_missing").reported_wave()
        3
        """
        column = self.codebook.wave
        if not column:
            return None
        present = pd.Series(self.data[column]).dropna().unique()
        if wave is None:
            return _plain(max(present))
        if wave not in set(present.tolist()):
            labels = self.codebook.labels(column)
            have = ", ".join(f"{_plain(w)} ({labels.get(_plain(w), '')})".replace(" ()", "") for w in sorted(present))
            raise SurveyDataError(f"{self.source}: no respondents in wave {wave!r} (column {column}); the data have "
                                  f"waves {have}", path=self.source, column=column)
        return wave

    def design(self) -> dict[str, str | None]:
        """The design's column names from the codebook: ``{"strata": ..., "clusters": ..., "weight": ...}``."""
        cb = self.codebook
        return {"strata": cb.strata, "clusters": cb.clusters, "weight": cb.weight}

    def labelled(self, var: str) -> pd.Series:
        """Column ``var`` with codes replaced by their value labels (an ordered Categorical); unlabelled
        columns and single-choice columns (already labels) are returned as they are."""
        s = self.data[_need_column(self.data, var, "labelled")]
        labels = self.codebook.labels(var) if var in self.codebook else {}
        if not labels or isinstance(s.dtype, pd.CategoricalDtype):
            return s
        codes = sorted(labels, key=lambda c: (isinstance(c, str), c))
        cats = list(dict.fromkeys(labels[c] for c in codes))
        mapped = s.map({(float(c) if not isinstance(c, str) else c): labels[c] for c in codes})
        return pd.Series(pd.Categorical(mapped, categories=cats, ordered=True), index=s.index, name=var)

    def without_pii(self) -> pd.DataFrame:
        """The data without personal identifiers (codebook type ``pii``), for anything that is shared."""
        return self.data.drop(columns=[c for c in self.codebook.of_type("pii") if c in self.data.columns])

    def scale_frame(self, scale: str) -> pd.DataFrame:
        """The items of ``scale`` as a DataFrame, as answered (reverse-keyed items are NOT reversed here;
        see ``codebook.reverse_items(scale)``)."""
        items = self.codebook.scale_items(scale)
        return self.data[[_need_column(self.data, i, "scale_frame") for i in items]].copy()


def _need_column(df: pd.DataFrame, col: str, where: str) -> str:
    require_columns(df, [col], where=where)
    return col


# ─── per-column validation and conversion ────────────────────────────────────────────────────────────


def _as_text(s: pd.Series) -> pd.Series:
    """Values as stripped text, NaN for missing; whole-number floats printed without ``.0``."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        f = s.astype(float)
        whole = np.isfinite(f) & (np.floor(f) == f) & (np.abs(f) < 2**53)
        text = pd.Series(np.where(whole, f.round().astype("Int64").astype(str), f.astype(str)), index=s.index)
        return text.where(f.notna()).astype("str")
    t = s.astype("str").str.strip()
    return t.where(t.ne("") & s.notna())


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _missing_mask(var: Variable, num: pd.Series, text: pd.Series) -> pd.Series:
    mask = pd.Series(False, index=num.index)
    for m in var.missing:
        if isinstance(m, list | tuple):
            mask |= num.between(m[0], m[1])
        elif isinstance(m, str):
            if text is not None:
                mask |= text.eq(m).fillna(False)
        else:
            mask |= num.eq(m)
    return mask


def _code_list(labels: dict) -> str:
    items = [f"{k}={v}" for k, v in labels.items()]
    return ", ".join(items[:6]) + (", …" if len(items) > 6 else "")


def _fmt(x: float) -> str:
    return str(_clean_code(float(x)))


class _Column:
    """Validation result of one column: the converted values and the (mask, problem, kind) of each check."""

    def __init__(self, values: pd.Series):
        self.values = values
        self.checks: list[tuple[pd.Series, Any, str]] = []

    def add(self, mask: pd.Series, problem: Any, kind: str) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            self.checks.append((mask, problem, kind))


def _check_column(raw: pd.Series, var: Variable, rows: np.ndarray, codebook: Codebook) -> _Column:
    t = var.type
    numeric = _is_numeric(raw) and t not in ("id", "pii", "open", "date")
    text = None if numeric else _as_text(raw)  # numbers need no text (the slow part) unless they are wrong
    empty = raw.isna() if numeric else text.isna()
    if t in ("id", "pii", "open"):
        if t == "open":
            vals = raw.astype("str").where(raw.notna())
            vals = vals.where(vals.str.strip().ne("")).str.normalize("NFC")
        else:
            vals = text
        col = _Column(vals)
        if var.required:
            col.add(empty, "required value missing", "required missing")
        if t == "id":
            dup = text.duplicated(keep="first") & ~empty
            if dup.any():
                first = pd.Series(rows, index=text.index).groupby(text).transform("min")
                col.add(dup, "duplicated respondent id (first at row " + first.astype(int).astype(str) + ")",
                        "duplicated id")
        return col
    if t == "date":
        if pd.api.types.is_datetime64_any_dtype(raw):
            vals = pd.to_datetime(raw)
        else:
            vals = pd.to_datetime(raw.where(~empty), errors="coerce", format="mixed")
        vals = vals.astype("datetime64[ns]")
        col = _Column(vals)
        col.add(~empty & vals.isna(), "not a date (expected YYYY-MM-DD)", "not a date")
        if var.required:
            col.add(empty, "required value missing", "required missing")
        return col

    # numeric-coded types: single, likert, nps, numeric, multi, wave, weight
    num = raw.astype(float) if numeric else pd.to_numeric(text, errors="coerce").astype(float)
    if var.values and t in ("single", "wave") and not numeric:
        by_label = {str(lab).strip().casefold(): code for code, lab in var.values.items()}
        from_label = text.str.casefold().map(by_label)
        num = num.fillna(pd.to_numeric(from_label, errors="coerce"))
    missing = _missing_mask(var, num, text)
    col = _Column(num.where(~missing))
    bad_text = ~empty & num.isna() & ~missing
    what = f"a code of {var.name}" if t in ("single", "wave") and var.values else "a number"
    col.add(bad_text, f"not {what}" + (f" ({_code_list(codebook.labels(var.name))})" if what != "a number" else ""),
            "not a code" if what != "a number" else "not a number")
    ok = num.notna() & ~missing
    if var.required:
        col.add(empty | (missing & ~ok), "required value missing", "required missing")
    if t in ("single", "wave") and var.values:
        labels = codebook.labels(var.name)
        codes = [c for c in labels if not isinstance(c, str)]
        col.add(ok & ~num.isin(codes), f"not a code of {var.name} ({_code_list(labels)})", "not a code")
    elif t == "multi":
        stray = ok & ~num.isin([0, 1])
        if stray.any():
            col.add(stray, "stray value " + _as_text(raw[stray]) + f" in multi-response set {var.set} (expected 0/1)",
                    "stray value")
    elif t == "weight":
        col.add(ok & ~(np.isfinite(num) & (num > 0)), "weight not positive", "not positive")
    else:
        rng = var.valid_range
        if rng is not None:
            lo, hi = rng
            col.add(ok & ((num < lo) | (num > hi)), f"outside {_fmt(lo)}..{_fmt(hi)}", "out of range")
            if t in ("likert", "nps"):
                col.add(ok & num.between(lo, hi) & (np.floor(num) != num),
                        f"not a scale point ({_fmt(lo)}..{_fmt(hi)} in whole numbers)", "out of range")
    return col


def _finish(col: _Column, var: Variable, codebook: Codebook, blank: pd.Series) -> pd.Series:
    """Convert a validated column to its analysis type, with the cells in ``blank`` set missing."""
    v = col.values.mask(blank) if blank.any() else col.values
    t = var.type
    if t == "single":
        labels = codebook.labels(var.name)
        codes = sorted(c for c in labels if not isinstance(c, str))
        cats = list(dict.fromkeys(labels[c] for c in codes))
        lab = v.map({float(c): labels[c] for c in codes})
        return pd.Series(pd.Categorical(lab, categories=cats, ordered=True), index=v.index, name=var.name)
    if t == "wave":
        return v.astype("Int64") if v.isna().any() else v.astype("int64")
    if t in ("likert", "nps", "numeric", "multi", "weight"):
        v = v.astype(float)
        if var.name == codebook.clusters and v.notna().all() and (np.floor(v) == v).all():
            return v.astype("int64")
        return v
    return v


def load_survey(data_path: str | Path, codebook_path: str | Path | None = None, *, on_invalid: str = "raise",
                codebook: Codebook | None = None, encoding: str | None = None) -> Survey:
    """Load survey data and validate it against its codebook.

    Parameters
    ----------
    data_path : CSV, XLSX, SAV or Parquet file (by suffix).
    codebook_path : the codebook YAML. If neither it nor ``codebook`` is given, ``codebook.yaml`` beside the
        data file is used, or for a ``.sav`` file a codebook drafted from the file's own metadata.
    on_invalid : ``"raise"`` (default) or ``"set_missing"`` (blank offending cells and go on).
    codebook : an already loaded :class:`Codebook` (instead of ``codebook_path``).
    encoding : a CSV's encoding when it is neither UTF-8 nor marked by a byte-order mark (e.g. ``"cp1252"`` for
        Excel on Windows); by default such a file is refused with the line of the first byte that is not UTF-8.

    Returns a :class:`Survey`. Row numbers in ``issues`` are as the user finds them in the file: CSV/XLSX line
    numbers counting the header (index + 2), SAV/Parquet record numbers (index + 1).

    >>> s = load_survey(sample_path("survey", "responses.csv"), on_invalid="set_missing")
    >>> s.validation_summary()[["kind", "problems", "set_missing"]]
               kind  problems  set_missing
    0   stray value         1            1
    1  out of range         4            4
    """
    if on_invalid not in ("raise", "set_missing"):
        raise ValueError(f"load_survey: on_invalid must be 'raise' or 'set_missing'; got {on_invalid!r}")
    data_path = Path(data_path)
    file_format(data_path, SurveyDataError)
    cb = _resolve_codebook(data_path, codebook_path, codebook)
    table = read_table(data_path, text_columns=cb.of_type("id", "pii", "open", "date"), error=SurveyDataError,
                       encoding=encoding)
    raw, rows = table.data, table.rows
    present = [n for n in cb.variables if n in raw.columns]
    if not present:
        raise SurveyDataError(f"{data_path}: the codebook {cb.source or ''} does not match this data: none of its "
                              f"{len(cb.variables)} variables is a column (columns are {list(raw.columns)[:12]})",
                              path=data_path)
    design = [c for c in (cb.wave, cb.strata, cb.clusters) if c]
    checked = {name: _check_column(raw[name], replace(cb.variables[name], required=True) if name in design
                                   else cb.variables[name], rows, cb) for name in present}
    issues = _issues_table(raw, rows, cb, checked, absent=[n for n in cb.variables if n not in raw.columns])
    fatal = _decide_actions(issues, on_invalid, design)
    if fatal or (on_invalid == "raise" and len(issues)):
        hint = (f"Duplicated ids, missing columns and invalid values of the design variables ({', '.join(design)}: "
                "waves, strata, clusters) cannot be blanked: fix them in the data or the codebook." if fatal else
                "Fix the data, or load with on_invalid='set_missing' to blank the offending cells.")
        raise SurveyDataError.from_issues(data_path, issues, hint=hint)
    data, n_blank = _converted(raw, cb, checked)
    return Survey(data=data, codebook=cb, source=data_path, issues=issues, n_set_missing=n_blank,
                  extra_columns=[c for c in raw.columns if c not in cb.variables])


def _issues_table(raw: pd.DataFrame, rows: np.ndarray, cb: Codebook, checked: dict[str, _Column],
                  absent: list[str]) -> pd.DataFrame:
    """Every problem of every checked column (and the columns missing from the data), by row then codebook order."""
    frames = [issues_frame()]
    if absent:
        frames.append(issues_frame([{"row": 0, "column": c, "problem": "column missing from data",
                                     "kind": "missing column"} for c in absent]))
    for name, col in checked.items():
        for mask, problem, kind in col.checks:
            idx = np.flatnonzero(mask.to_numpy())
            prob = problem.reindex(mask.index[idx]) if isinstance(problem, pd.Series) else problem
            value = _as_text(raw[name].iloc[idx]).to_numpy()
            frames.append(pd.DataFrame({"row": rows[idx], "column": name, "value": value,
                                        "problem": np.asarray(prob, dtype=object) if isinstance(prob, pd.Series)
                                        else prob, "kind": kind, "action": ""}))
    issues = issues_frame(pd.concat(frames, ignore_index=True))
    order = {n: i for i, n in enumerate(cb.variables)}
    return (issues.assign(_c=issues["column"].map(order)).sort_values(["row", "_c"], kind="stable")
            .drop(columns="_c").reset_index(drop=True))


def _decide_actions(issues: pd.DataFrame, on_invalid: str, design: list[str] = ()) -> bool:
    """Fill the ``action`` column in place; True when some problem cannot be fixed by blanking a cell (a
    duplicated id, a missing column, or any problem in a design variable: a respondent without a valid wave,
    stratum or cluster cannot be placed in the design)."""
    fatal = issues["kind"].isin(_FATAL) | issues["column"].isin(list(design))
    fixable = ~fatal & issues["kind"].ne("required missing")
    issues["action"] = "raise" if on_invalid == "raise" else np.where(fixable, "set missing", "left missing")
    issues.loc[fatal, "action"] = "raise (cannot be blanked)"
    return bool(fatal.any())


def _converted(raw: pd.DataFrame, cb: Codebook, checked: dict[str, _Column]) -> tuple[pd.DataFrame, int]:
    """The data in analysis types, with every fixable problem's cell blanked; and how many were blanked."""
    data = raw.copy()
    n_blank = 0
    for name, col in checked.items():
        blank = pd.Series(False, index=raw.index)
        for mask, _, kind in col.checks:
            if kind not in _FATAL and kind != "required missing":
                blank |= mask
        n_blank += int(blank.sum())
        data[name] = _finish(col, cb.variables[name], cb, blank)
    return data, n_blank


def _resolve_codebook(data_path: Path, codebook_path: str | Path | None, codebook: Codebook | None) -> Codebook:
    if codebook is not None:
        if codebook_path is not None:
            raise ValueError("give codebook_path or codebook, not both")
        return codebook
    try:
        if codebook_path is not None:
            return Codebook.from_yaml(codebook_path)
        beside = data_path.with_name("codebook.yaml")
        if beside.is_file():
            return Codebook.from_yaml(beside)
        if data_path.suffix.lower() == ".sav":
            return codebook_from_sav(data_path)
    except CodebookError as exc:
        raise SurveyDataError(str(exc), path=Path(codebook_path) if codebook_path else data_path) from exc
    raise SurveyDataError(f"{data_path}: no codebook given and no codebook.yaml beside the data", path=data_path)


# ─── population targets ──────────────────────────────────────────────────────────────────────────────


def load_targets(path: str | Path, codebook: Codebook | None = None) -> dict[str, dict[str, float]]:
    """Population margins for weighting from YAML: ``{variable: {value label: share}}``.

    Shares must be non-negative and sum to 1 (within 1e-6) per variable; with a ``codebook``, every label
    must be a value label of that variable. Errors name the file and the variable.

    >>> load_targets(sample_path("survey", "targets.yaml"))["age_group"]
    {'18-34': 0.28, '35-49': 0.26, '50-64': 0.25, '65+': 0.21}
    """
    path = Path(path)
    if not path.is_file():
        raise SurveyDataError(f"{path}: targets file not found", path=path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SurveyDataError(f"{path}: not readable YAML ({exc})", path=path) from exc
    if not isinstance(raw, dict) or not raw:
        raise SurveyDataError(f"{path}: expected a mapping of variable -> {{label: share}}", path=path)
    out: dict[str, dict[str, float]] = {}
    errors: list[str] = []
    for var, margin in raw.items():
        if not isinstance(margin, dict) or not margin:
            errors.append(f"variable {var!r}: expected a mapping of label -> share")
            continue
        try:
            shares = {str(k): float(v) for k, v in margin.items()}
        except (TypeError, ValueError):
            errors.append(f"variable {var!r}: shares must be numbers")
            continue
        arr = np.array(list(shares.values()))
        if (arr < 0).any() or not np.isfinite(arr).all():
            errors.append(f"variable {var!r}: shares must be non-negative")
        if abs(arr.sum() - 1) > 1e-6:
            errors.append(f"variable {var!r}: shares sum to {arr.sum():.6g}, not 1")
        if codebook is not None:
            if var not in codebook:
                errors.append(f"variable {var!r}: not in the codebook")
            else:
                unknown = sorted(set(shares) - set(codebook.labels(var).values()))
                if unknown:
                    errors.append(f"variable {var!r}: {unknown} are not value labels of {var}")
        out[str(var)] = shares
    if errors:
        raise SurveyDataError(f"{path}: invalid targets:\n  " + "\n  ".join(errors), path=path)
    return out


def _plain(value):
    """A numpy scalar as a plain Python value (for messages and results: 3, not np.int64(3))."""
    return value.item() if hasattr(value, "item") else value
