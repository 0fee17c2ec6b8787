"""Argument checks every package words the same way: "function: what is wrong; got X; what to do".

Each check returns the checked value (converted where that is its job) or raises ``ValueError`` naming the
calling function (``where``), the argument and what was expected, so that the same mistake reads the same
in the survey, focus-group and profitability packages:

* :func:`check_frame`: the data is a pandas DataFrame;
* :func:`require_columns`: named columns exist (with a "did you mean" for a near miss);
* :func:`column_list`: a list of column names, not a bare string;
* :func:`check_unique`: no name listed twice;
* :func:`check_choice`: an option is one of the allowed values;
* :func:`check_level`: a confidence level in (0, 1);
* :func:`weights_array`: respondent weights as a column name or one value per row, finite and >= 0.
"""

from __future__ import annotations

import difflib
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = ["check_choice", "check_frame", "check_level", "check_unique", "column_list", "require_columns",
           "weights_array"]


def check_frame(data, where: str, what: str = "data") -> pd.DataFrame:
    """``data`` itself when it is a pandas DataFrame, else ValueError.

    >>> check_frame([1, 2], "f")
    Traceback (most recent call last):
    ...
    ValueError: f: data must be a pandas DataFrame; got list
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"{where}: {what} must be a pandas DataFrame; got {type(data).__name__}")
    return data


def _suggest(name: Hashable, choices: Iterable[Hashable]) -> str:
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def require_columns(data: pd.DataFrame, columns: Iterable[Hashable], *, where: str, what: str = "column") -> None:
    """ValueError listing the ``columns`` that ``data`` lacks, with the columns it has.

    >>> require_columns(pd.DataFrame({"region": [1]}), ["regoin"], where="banner")
    Traceback (most recent call last):
    ...
    ValueError: banner: no column 'regoin' in the data (did you mean 'region'?); columns are ['region']
    """
    missing = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if not missing:
        return
    have = list(data.columns)
    shown = have if len(have) <= 30 else have[:30] + ["…"]
    if len(missing) == 1:
        raise ValueError(f"{where}: no {what} {missing[0]!r} in the data{_suggest(missing[0], have)}; "
                         f"columns are {shown}")
    raise ValueError(f"{where}: no {what}s {missing} in the data; columns are {shown}")


def column_list(value, *, where: str, what: str = "columns") -> list:
    """``value`` as a list of names; a bare string is refused (``["region"]`` was meant, not its letters).

    >>> column_list(("a", "b"), where="f")
    ['a', 'b']
    >>> column_list("region", where="banner", what="columns")
    Traceback (most recent call last):
    ...
    ValueError: banner: columns must be a list of column names; got the string 'region' (write ['region'])
    """
    if isinstance(value, str):
        raise ValueError(f"{where}: {what} must be a list of column names; got the string {value!r} "
                         f"(write [{value!r}])")
    if not isinstance(value, Iterable):
        raise ValueError(f"{where}: {what} must be a list of column names; got {type(value).__name__}")
    return list(value)


def check_unique(names: Sequence[Hashable], *, where: str, what: str = "name") -> None:
    """ValueError naming the entries of ``names`` that occur more than once.

    >>> check_unique(["a", "b", "a"], where="banner", what="stub")
    Traceback (most recent call last):
    ...
    ValueError: banner: stub(s) listed twice: ['a']
    """
    seen, twice = set(), []
    for n in names:
        if n in seen and n not in twice:
            twice.append(n)
        seen.add(n)
    if twice:
        raise ValueError(f"{where}: {what}(s) listed twice: {twice}")


def check_choice(value, choices: Sequence, *, where: str, what: str):
    """``value`` when it is one of ``choices``, else ValueError listing them.

    >>> check_choice("fdr", ("none", "bonferroni", "fdr"), where="banner", what="correction")
    'fdr'
    >>> check_choice("holm", ("none", "bonferroni", "fdr"), where="banner", what="correction")
    Traceback (most recent call last):
    ...
    ValueError: banner: correction must be one of ('none', 'bonferroni', 'fdr'); got 'holm'
    """
    if value not in choices:
        raise ValueError(f"{where}: {what} must be one of {tuple(choices)}; got {value!r}")
    return value


def check_level(level, *, where: str, what: str = "level") -> float:
    """A confidence level strictly between 0 and 1, as a float.

    >>> check_level(0.9, where="nps")
    0.9
    >>> check_level(95, where="nps")
    Traceback (most recent call last):
    ...
    ValueError: nps: level must be between 0 and 1 (e.g. 0.95); got 95
    """
    if isinstance(level, bool) or not isinstance(level, (int, float, np.integer, np.floating)) \
            or not 0 < float(level) < 1:
        raise ValueError(f"{where}: {what} must be between 0 and 1 (e.g. 0.95); got {level!r}")
    return float(level)


def weights_array(data: pd.DataFrame | None, weights, *, where: str, what: str = "weights",
                  allow_missing: bool = False, n: int | None = None) -> np.ndarray | None:
    """The weights as a float array aligned with ``data``'s rows, or None when ``weights`` is None.

    ``weights`` is a numeric column of ``data`` or an array-like with one value per row (``n`` values when
    there is no ``data``). Weights must be finite and >= 0; with ``allow_missing=True`` NaN is kept (for
    functions that drop incomplete rows). Errors name the function (``where``), the argument (``what``) and
    what was expected.

    >>> weights_array(pd.DataFrame({"w": [1, 2]}), "w", where="f").tolist()
    [1.0, 2.0]
    >>> weights_array(None, [1, -1], where="nps", n=2)
    Traceback (most recent call last):
    ...
    ValueError: nps: weights must be finite and >= 0; 1 value(s) are missing, infinite or negative
    """
    if weights is None:
        return None
    if isinstance(weights, str):
        if data is None:
            raise ValueError(f"{where}: {what} {weights!r} names a column, but there is no data frame; give "
                             "one weight per value")
        require_columns(data, [weights], where=where, what="weight column")
        col = data[weights]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)) \
                or isinstance(col.dtype, pd.CategoricalDtype):
            raise ValueError(f"{where}: weight column {weights!r} must be numeric; got dtype {col.dtype}")
        w = col.to_numpy(dtype="float64", na_value=np.nan)
        name = f"{what} {weights!r}"
    else:
        if isinstance(weights, pd.Series) and data is not None and not weights.index.equals(data.index):
            weights = weights.reindex(data.index)
        w = np.asarray(weights, dtype="float64").ravel()
        name = what
        size = len(data) if data is not None else n
        if size is not None and w.size != size:
            raise ValueError(f"{where}: {what} has {w.size} values; expected one per row ({size})")
    bad = (np.isinf(w) | (w < 0)) if allow_missing else (~np.isfinite(w) | (w < 0))
    if bad.any():
        allowed = "" if allow_missing else "missing, "
        raise ValueError(f"{where}: {name} must be finite and >= 0; {int(bad.sum())} value(s) are {allowed}"
                         f"infinite or negative")
    return w
