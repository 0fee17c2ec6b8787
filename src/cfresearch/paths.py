"""Where things live: the project folder, its notebooks, reports and data, and the bundled sample files.

A project is a folder holding ``notebooks/`` (the studies), ``data/`` (``sample/`` committed, ``raw/`` the
user's own, never written) and ``reports/`` (generated). Every package finds it the same way:

1. ``$CFRESEARCH_HOME``, when set (cron jobs, services, another working folder);
2. else the nearest folder at or above the working directory that holds ``notebooks/`` (the command
   line from the project root, a notebook kernel in ``notebooks/``);
3. else the source checkout this package was installed from (``pip install -e .``).

:func:`sample_path` resolves a file of the bundled sample data, so examples and doctests run from
anywhere: ``load_survey(sample_path("survey", "responses.csv"))``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "ENV_VAR", "ProjectNotFound", "notebooks_dir", "project_root", "raw_dir", "reports_dir", "sample_dir",
    "sample_path",
]

#: Environment variable naming the project folder (wins over the working directory).
ENV_VAR = "CFRESEARCH_HOME"

#: The source checkout this module belongs to (src/cfresearch/paths.py -> the repository root).
_CHECKOUT = Path(__file__).resolve().parents[2]


class ProjectNotFound(FileNotFoundError):
    """No project folder (one holding ``notebooks/``) could be found; the message says how to point at one."""


def _is_project(folder: Path) -> bool:
    return (folder / "notebooks").is_dir()


def project_root(start: str | Path | None = None) -> Path:
    """The project folder: ``$CFRESEARCH_HOME``, the nearest parent of ``start`` (default: the working
    directory) holding ``notebooks/``, or the source checkout of this package.

    >>> (project_root() / "notebooks").is_dir()
    True
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_project(folder):
            return folder
    if start is None and _is_project(_CHECKOUT):
        return _CHECKOUT
    raise ProjectNotFound(f"no notebooks/ folder in {here} or its parents; run from the project folder or set "
                          f"{ENV_VAR} to it")


def notebooks_dir(root: str | Path | None = None) -> Path:
    """The study notebooks: ``<project>/notebooks``.

    >>> notebooks_dir("/srv/cfresearch").as_posix()
    '/srv/cfresearch/notebooks'
    """
    return Path(root or project_root()) / "notebooks"


def reports_dir(root: str | Path | None = None) -> Path:
    """Generated reports and run records: ``<project>/reports``.

    >>> reports_dir("/srv/cfresearch").as_posix()
    '/srv/cfresearch/reports'
    """
    return Path(root or project_root()) / "reports"


def raw_dir(root: str | Path | None = None) -> Path:
    """The user's own raw data (read-only to the code, ignored by git): ``<project>/data/raw``.

    >>> raw_dir("/srv/cfresearch").as_posix()
    '/srv/cfresearch/data/raw'
    """
    return Path(root or project_root()) / "data" / "raw"


def sample_dir() -> Path:
    """The bundled sample data: ``data/sample`` of the checkout this package came from, else of the project.

    The sample belongs to the code that generated it (``cfresearch sample-data``), so the checkout wins.

    >>> "survey" in [p.name for p in sample_dir().iterdir()]
    True
    """
    bundled = _CHECKOUT / "data" / "sample"
    return bundled if bundled.is_dir() else project_root() / "data" / "sample"


def sample_path(study: str, name: str) -> Path:
    """The sample file ``name`` of ``study`` (a folder of ``data/sample``), checked to exist.

    >>> sample_path("survey", "responses.csv").name
    'responses.csv'
    >>> sample_path("survey", "nope.csv")
    Traceback (most recent call last):
    ...
    FileNotFoundError: sample_path: no sample file 'nope.csv' for study 'survey'; files are ['codebook.yaml', ...]
    """
    folder = sample_dir() / study
    if not folder.is_dir():
        studies = sorted(p.name for p in sample_dir().iterdir() if p.is_dir()) if sample_dir().is_dir() else []
        raise FileNotFoundError(f"sample_path: no sample data for study {study!r}; studies with sample data are "
                                f"{studies} (run 'cfresearch sample-data' to write them)")
    path = folder / name
    if not path.is_file():
        files = sorted(p.name for p in folder.iterdir() if p.is_file())
        raise FileNotFoundError(f"sample_path: no sample file {name!r} for study {study!r}; files are {files}")
    return path
