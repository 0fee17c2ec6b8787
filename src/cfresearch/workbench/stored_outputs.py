"""Stored outputs: re-execute a study notebook on its defaults and keep the outputs in the notebook.

The committed notebooks carry the outputs of the sample-data run (nbval compares the cells marked
``# NBVAL_CHECK_OUTPUT`` against them, and a reader on GitHub sees the results). papermill's timing
metadata is stripped so that a refresh only changes what a reader would see.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat

from .errors import RunFailed
from .records import write_text_atomic
from .studies import Study

KERNEL = "python3"


def refresh_stored_outputs(study: Study, *, timeout: int | None = None) -> Path:
    """Execute ``study``'s notebook on its defaults and rewrite it in place with the new outputs.

    What ``make notebooks`` does; it starts a kernel, so the example is not run as a doctest.

    >>> refresh_stored_outputs(find_study(notebooks_dir(), "survey"))  # doctest: +SKIP
    PosixPath('.../notebooks/01_survey_analysis.ipynb')
    """
    import papermill as pm

    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    nb_path = study.notebook
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / nb_path.name
        try:
            pm.execute_notebook(str(nb_path), str(out), kernel_name=KERNEL, language="python", progress_bar=False,
                                cwd=str(nb_path.parent), execution_timeout=timeout)
        except Exception as exc:
            raise RunFailed(f"{study.name}: refreshing stored outputs failed: {exc.__class__.__name__}: "
                            f"{str(getattr(exc, 'evalue', exc)).splitlines()[0] if str(exc) else ''}") from None
        nb = nbformat.read(out, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for o in cell.outputs:
                o.get("metadata", {}).pop("papermill", None)
    write_text_atomic(nb_path, nbformat.writes(nb) + "\n")
    return nb_path
