"""Headline results: what a notebook records with :func:`record` ends up in the run's ``results.json``.

The runner sets ``CFRESEARCH_RESULTS`` to a file in the run's temporary folder before the kernel
starts; in an interactive session the variable is unset and figures are only kept in memory.
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Any

from .records import write_json_atomic

ENV_VAR = "CFRESEARCH_RESULTS"

_recorded: dict[str, dict[str, Any]] = {}


def _plain(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers into JSON-ready Python values."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        v = float(value)
        return None if math.isnan(v) else v
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return _plain(value.item())
    raise TypeError(f"record(): cannot store a {type(value).__name__}; record numbers, text, lists or dicts")


def record(name: str, value: Any, *, label: str | None = None, fmt: str | None = None,
           headline: bool = False) -> Any:
    """Record a figure under ``name`` for ``results.json`` and return ``value`` unchanged.

    ``label`` is the human name shown in the index, ``fmt`` a format spec such as ``"+.1f"`` or
    ``".1%"`` for display, and ``headline=True`` puts the figure on the index page.

    >>> record("nps_example", 33.84, label="NPS", fmt=".1f", headline=True)
    33.84
    >>> recorded()["nps_example"]["display"]
    '33.8'
    """
    if not isinstance(name, str) or not name:
        raise ValueError("record(): the name must be a non-empty string")
    plain = _plain(value)
    shown = plain
    if fmt and isinstance(plain, (int, float)) and not isinstance(plain, bool):
        shown = format(plain, fmt)
    _recorded[name] = {"value": plain, "label": label or name, "display": shown, "headline": headline}
    target = os.environ.get(ENV_VAR)
    if target:
        write_json_atomic(Path(target), _recorded)
    return value


def recorded() -> dict[str, dict[str, Any]]:
    """The figures recorded so far in this process.

    >>> _ = record("respondents_example", 2100, fmt=",d")
    >>> recorded()["respondents_example"]
    {'value': 2100, 'label': 'respondents_example', 'display': '2,100', 'headline': False}
    """
    return dict(_recorded)
