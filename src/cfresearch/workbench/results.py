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


def run_folder() -> Path | None:
    """The folder of the run in progress (it becomes the run's folder under ``reports/``), for files that
    belong with the run but must not go into the report, e.g. a pseudonym key; None in an interactive session.

    >>> run_folder() is None or run_folder().is_dir()
    True
    """
    target = os.environ.get(ENV_VAR)
    return Path(target).parent if target else None


def record(name: str, value: Any, *, label: str | None = None, fmt: str | None = None, headline: bool = False,
           interval: tuple[float, float] | None = None, level: float | None = None, change: float | None = None,
           change_from: str = "", p: float | None = None) -> Any:
    """Record a figure under ``name`` for ``results.json`` and return ``value`` unchanged.

    ``label`` is the human name shown in the report's key findings and the index, ``fmt`` a format spec such
    as ``"+.1f"`` or ``".1%"`` for display, and ``headline=True`` puts the figure in the key findings at the
    top of the report and on the index page. A headline may carry its ``interval`` (low, high) at ``level``,
    and its ``change`` from a comparison named by ``change_from`` (e.g. "from the previous wave") with the
    test's ``p``; they are shown with the figure, formatted like it.

    >>> record("nps_example", 33.84, label="NPS", fmt=".1f", headline=True, interval=(24.6, 42.9), level=0.95,
    ...        change=11.1, change_from="from the previous wave", p=0.0064)
    33.84
    >>> finding_text(recorded()["nps_example"])
    'NPS: 33.8 (95% CI 24.6 to 42.9); +11.1 from the previous wave (p = 0.006)'
    """
    if not isinstance(name, str) or not name:
        raise ValueError("record(): the name must be a non-empty string")
    plain = _plain(value)
    numeric = isinstance(plain, (int, float)) and not isinstance(plain, bool)
    shown = "n/a" if plain is None else format(plain, fmt) if fmt and numeric else plain  # never "None" or "nan"
    item = {"value": plain, "label": label or name, "display": shown, "headline": headline}
    spec = (fmt or ".1f").lstrip("+")
    if interval is not None:
        lo, hi = (_plain(v) for v in interval)
        item["interval"] = [lo, hi]
        item["interval_display"] = f"{format(lo, spec)} to {format(hi, spec)}"
        item["level"] = level
    if change is not None:
        item["change"] = _plain(change)
        item["change_display"] = format(item["change"], "+" + spec) if item["change"] is not None else ""
        item["change_from"] = change_from
        item["p"] = _plain(p)
    _recorded[name] = item
    target = os.environ.get(ENV_VAR)
    if target:
        write_json_atomic(Path(target), _recorded)
    return value


def finding_text(item: dict[str, Any]) -> str:
    """One recorded figure as a sentence: label, value, interval and change where recorded.

    >>> finding_text({"label": "Respondents", "display": "2,100"})
    'Respondents: 2,100'
    """
    text = f"{item.get('label', '')}: {item.get('display', item.get('value'))}"
    if item.get("interval_display"):
        level = item.get("level")
        text += f" ({f'{level:.0%} ' if level else ''}CI {item['interval_display']})"
    if item.get("change_display"):
        text += f"; {item['change_display']} {item.get('change_from', '')}".rstrip()
        p = item.get("p")
        if p is not None:
            text += f" (p = {'<0.001' if p < 0.001 else format(p, '.3f')})"
    return text


def recorded() -> dict[str, dict[str, Any]]:
    """The figures recorded so far in this process.

    >>> _ = record("respondents_example", 2100, fmt=",d")
    >>> recorded()["respondents_example"]
    {'value': 2100, 'label': 'respondents_example', 'display': '2,100', 'headline': False}
    """
    return dict(_recorded)
