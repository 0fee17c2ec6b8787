"""The bundled sample data: one deterministic generator per study, written under ``data/sample/``.

Each generator writes byte-identical files from run to run (fixed seeds, fixed formatting), so
``make sample-data`` on a clean clone changes nothing that is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path

#: study folder under data/sample -> "module:function" writing that folder's files.
GENERATORS: dict[str, str] = {
    "survey": "cfresearch.survey.sample:write_sample",
    "focus_groups": "cfresearch.qual.sample:write_sample",
    "profitability": "cfresearch.profit.sample:write_sample",
}


def _generator(spec: str) -> Callable[[Path], list[Path]]:
    module, func = spec.split(":")
    return getattr(import_module(module), func)


def write_all(sample_dir: str | Path) -> list[Path]:
    """Write every study's sample data under ``sample_dir``; return the files written."""
    root = Path(sample_dir)
    written: list[Path] = []
    for name, spec in GENERATORS.items():
        written += _generator(spec)(root / name)
    return written
