"""Respondent weights given to an analysis as a column name or one value per row, checked once, one way."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["weights_array"]


def weights_array(data: pd.DataFrame, weights, *, where: str, what: str = "weights",
                  allow_missing: bool = False) -> np.ndarray | None:
    """The weights as a float array aligned with ``data``'s rows, or None when ``weights`` is None.

    ``weights`` is a numeric column of ``data`` or an array-like with one value per row. Weights must be
    finite and >= 0; with ``allow_missing=True`` NaN is kept (for functions that drop incomplete rows).
    Errors name the function (``where``), the argument (``what``) and what was expected.

    >>> weights_array(pd.DataFrame({"w": [1, 2]}), "w", where="f").tolist()
    [1.0, 2.0]
    """
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in data.columns:
            raise ValueError(f"{where}: no weight column {weights!r} in the data; columns are {list(data.columns)}")
        col = data[weights]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise ValueError(f"{where}: weight column {weights!r} must be numeric; got dtype {col.dtype}")
        w = col.to_numpy(dtype="float64", na_value=np.nan)
        name = f"{what} {weights!r}"
    else:
        w = np.asarray(weights, dtype="float64").ravel()
        name = what
        if w.size != len(data):
            raise ValueError(f"{where}: {what} has {w.size} values; expected one per row ({len(data)})")
    bad = (np.isinf(w) | (w < 0)) if allow_missing else (~np.isfinite(w) | (w < 0))
    if bad.any():
        allowed = "" if allow_missing else "missing, "
        raise ValueError(f"{where}: {name} must be finite and >= 0; {int(bad.sum())} value(s) are {allowed}"
                         f"infinite or negative")
    return w
