"""Running studies: parameters, papermill execution, HTML rendering, run records, the index.

Public names (imported lazily so that ``from cfresearch.workbench import record`` in a notebook
does not load papermill and nbconvert):

- ``record(name, value, label=..., fmt=..., headline=...)``: keep a figure for ``results.json``.
- ``discover``, ``find_study``, ``plan_run``, ``run_plans``, ``render_html``, ``build_index``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .results import record, recorded, run_folder

_LAZY = {
    "discover": "studies", "find_study": "studies", "project_root": "studies", "Study": "studies",
    "plan_run": "execution", "run_plans": "execution", "execute": "execution", "RunOutcome": "execution",
    "render_html": "rendering", "build_index": "index", "read_parameters": "params",
    "refresh_stored_outputs": "stored_outputs",
}

__all__ = ["record", "recorded", "run_folder", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
