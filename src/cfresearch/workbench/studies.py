"""Studies: the parameterised notebooks under ``notebooks/``, found by name.

A study is one notebook ``notebooks/NN_<name>.ipynb``. Its short name comes from the notebook's
metadata (``metadata.cfresearch.study``) or else from the file name without the numeric prefix;
its title is the first level-one heading of the notebook and its one-line description the first
paragraph after it (or ``metadata.cfresearch.description``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cfresearch.paths import project_root  # noqa: F401  (the workbench's public name)

from .errors import NotebookError, StudyNotFound
from .params import Parameter, read_parameters


@dataclass
class Study:
    name: str
    notebook: Path
    title: str
    description: str
    parameters: dict[str, Parameter] = field(default_factory=dict)


def _describe(nb: nbformat.NotebookNode, fallback: str) -> tuple[str, str]:
    meta = nb.metadata.get("cfresearch", {})
    title, description = meta.get("title", ""), meta.get("description", "")
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for block in re.split(r"\n\s*\n", cell.source):
            block = block.strip()
            if not title and block.startswith("# "):
                title = block[2:].splitlines()[0].strip()
            elif title and not description and block and not block.startswith("#"):
                description = " ".join(block.split())
        if title and description:
            break
    return title or fallback, description


def load_study(path: Path) -> Study:
    """Read one study notebook: its name, title, description and declared parameters."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:
        raise NotebookError(f"{path}: cannot read notebook ({exc.__class__.__name__}: {exc})") from None
    stem = re.sub(r"^\d+[_-]", "", path.stem)
    name = nb.metadata.get("cfresearch", {}).get("study", stem)
    title, description = _describe(nb, stem.replace("_", " ").capitalize())
    return Study(name, path, title, description, read_parameters(path))


def discover(notebooks_dir: str | Path) -> list[Study]:
    """All studies in ``notebooks_dir`` in file-name order.

    >>> from cfresearch.paths import notebooks_dir
    >>> [s.name for s in discover(notebooks_dir())][:1]
    ['survey']
    """
    folder = Path(notebooks_dir)
    return [load_study(p) for p in sorted(folder.glob("[0-9]*.ipynb"))]


def find_study(notebooks_dir: str | Path, name: str) -> Study:
    """The study called ``name`` (its short name, file stem or file name).

    >>> from cfresearch.paths import notebooks_dir
    >>> find_study(notebooks_dir(), "survey").notebook.name
    '01_survey_analysis.ipynb'
    """
    folder = Path(notebooks_dir)
    candidates = sorted(folder.glob("[0-9]*.ipynb"))
    for p in candidates:
        stem = re.sub(r"^\d+[_-]", "", p.stem)
        if name in (p.name, p.stem, stem):
            return load_study(p)
    studies = [load_study(p) for p in candidates]
    for s in studies:
        if s.name == name:
            return s
    names = [s.name for s in studies]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise StudyNotFound(f"unknown study {name!r}{hint}; studies in {folder}: {', '.join(names) or '(none)'} "
                        "(see 'cfresearch list')")
