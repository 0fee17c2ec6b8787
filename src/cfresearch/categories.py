"""Categories as integer codes: the one encoder behind every table, domain, design and segment.

Aggregation in cfresearch is ``np.bincount`` over integer keys, so every grouping column (a banner
variable, a segment, a stratum, a raking margin, a code of a codebook) is first turned into codes
``0..k-1`` with ``-1`` for missing, plus the list of its categories:

* a pandas Categorical keeps its declared categories and their order (``observed=True`` drops the ones
  nobody is in, renumbering the rest);
* anything else gets its distinct values in sorted order (numbers numerically, text alphabetically);
  small-range integers are coded through a lookup table instead of hashing (a few ns per row).

:func:`encode_joint` combines several columns into one code per observed combination, labelled by tuples.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from .checks import require_columns

__all__ = ["encode", "encode_joint"]

_LOOKUP_RANGE = 1_000_000


def _observed_only(codes: np.ndarray, cats: list) -> tuple[np.ndarray, list]:
    present = np.bincount(codes[codes >= 0], minlength=len(cats)) > 0
    if present.all():
        return codes, cats
    remap = np.full(len(cats), -1, dtype=np.intp)
    remap[present] = np.arange(int(present.sum()))
    return np.where(codes >= 0, remap[np.maximum(codes, 0)], -1).astype(np.intp), \
        [c for c, p in zip(cats, present) if p]


def encode(values: pd.Series, *, observed: bool = False) -> tuple[np.ndarray, list]:
    """Integer codes (``intp``, -1 = missing) and the categories of ``values``.

    Categoricals keep their declared categories in order (``observed=True``: only those that occur);
    other values are coded by their sorted distinct values.

    >>> encode(pd.Series(["b", "a", None, "b"]))
    (array([ 1,  0, -1,  1]), ['a', 'b'])
    >>> s = pd.Series(pd.Categorical(["lo", "hi"], categories=["lo", "mid", "hi"]))
    >>> encode(s)[1], encode(s, observed=True)[1]
    (['lo', 'mid', 'hi'], ['lo', 'hi'])
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.intp)
        cats = list(values.cat.categories)
        return _observed_only(codes, cats) if observed else (codes, cats)
    arr = values.to_numpy()
    if arr.dtype.kind in "iu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo < _LOOKUP_RANGE:  # a lookup table beats hashing
            shifted = (arr - lo).astype(np.intp)
            present = np.bincount(shifted, minlength=hi - lo + 1) > 0
            if present.all():
                return shifted, list(range(lo, hi + 1))
            remap = (np.cumsum(present) - 1).astype(np.intp)
            return remap[shifted], (np.flatnonzero(present) + lo).tolist()
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.intp), list(uniques)


def encode_joint(data: pd.DataFrame, columns: Hashable | Sequence[Hashable], *, where: str,
                 observed: bool = True) -> tuple[np.ndarray, list]:
    """One code per observed combination of ``columns`` (-1 where any is missing), labelled by tuples; for a
    single column, :func:`encode` of it (labels are its categories, not tuples).

    >>> d = pd.DataFrame({"wave": [1, 1, 2], "region": ["N", "S", "N"]})
    >>> encode_joint(d, ["wave", "region"], where="f")
    (array([0, 1, 2]), [(1, 'N'), (1, 'S'), (2, 'N')])
    """
    cols = [columns] if isinstance(columns, (str, int)) or not isinstance(columns, Sequence) else list(columns)
    require_columns(data, cols, where=where)
    parts = [encode(data[c], observed=observed) for c in cols]
    if len(parts) == 1:
        return parts[0]
    bad = np.zeros(len(data), dtype=bool)
    for codes, _ in parts:
        bad |= codes < 0
    sizes = [max(len(cats), 1) for _, cats in parts]
    key = np.ravel_multi_index([np.maximum(codes, 0) for codes, _ in parts], sizes)
    uniq, inv = np.unique(key[~bad], return_inverse=True)
    out = np.full(len(data), -1, dtype=np.intp)
    out[~bad] = inv.ravel()
    idx = np.unravel_index(uniq, sizes)
    labels = [tuple(parts[j][1][idx[j][u]] for j in range(len(cols))) for u in range(uniq.size)]
    return out, labels
