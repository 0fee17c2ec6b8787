"""Guards on the committed study notebooks (nbval itself runs them; see pyproject addopts).

nbval compares nothing in a cell that was never executed, so an unexecuted notebook would pass:
every code cell must carry the outputs of the sample-data run, executed top to bottom in order.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from cfresearch.workbench.params import read_parameters

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.ipynb"))


def test_there_are_study_notebooks():
    assert NOTEBOOKS, "no study notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_code_cell_was_executed_in_order(path):
    nb = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert None not in counts, f"{path.name}: unexecuted code cells; run 'make notebooks'"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: cells not executed top to bottom in one run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_are_thin(path):
    nb = nbformat.read(path, as_version=4)
    assert read_parameters(path), "a tagged parameters cell with at least one parameter"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert not re.search(r"^\s*(def|class)\s", cell.source, re.M), f"cell {i} defines a function or class"
        assert len(cell.source.splitlines()) <= 25, f"cell {i} is long; move the logic into src/cfresearch"
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"cell {i} stored an error"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_headline_cells_are_checked_by_nbval(path):
    nb = nbformat.read(path, as_version=4)
    checked = [c for c in nb.cells if c.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in c.source]
    assert checked, "mark the cells that print headline results with # NBVAL_CHECK_OUTPUT"
    for c in checked:
        assert c.outputs, "a checked cell must keep its stored output"
