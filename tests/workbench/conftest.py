"""Fixtures for the runner's tests: a throw-away project with small study notebooks."""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf
import pytest

DEMO_PARAMS = (
    'data_path: str = "../data/in.csv"  # input table\n'
    "n: int = 3  # a count\n"
    "scale: float = 1.5\n"
    "fail: bool = False  # raise on purpose\n"
    "drivers: list = []  # a list parameter\n"
    "label: str | None = None\n"
)

DEMO_BODY = (
    "import pandas as pd\n"
    "from cfresearch.workbench import record\n"
    "df = pd.read_csv(data_path)\n"
    "if fail:\n"
    "    raise ValueError('asked to fail')\n"
    "record('rows', len(df), label='Rows', headline=True)\n"
    "record('scaled', n * scale, label='Scaled', fmt='.2f', headline=True)\n"
    "record('drivers', drivers)\n"
    "df"
)


def make_notebook(path: Path, title: str, params: str = DEMO_PARAMS, body: str = DEMO_BODY,
                  study: str | None = None) -> Path:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if study:
        nb.metadata["cfresearch"] = {"study": study}
    nb.cells = [
        nbf.v4.new_markdown_cell(f"# {title}\n\nA small study for the runner's tests."),
        nbf.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        nbf.v4.new_markdown_cell("## Results"),
        nbf.v4.new_code_cell(body),
        nbf.v4.new_markdown_cell("### A chart"),
        nbf.v4.new_code_cell("import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt\n"
                             "fig, ax = plt.subplots()\nax.plot([1, 2, 3]);\nfrom IPython.display import display\n"
                             "display(fig)"),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbf.write(nb, path)
    return path


@pytest.fixture
def notebook_factory():
    """make_notebook(path, title, params=..., body=..., study=...) -> path."""
    return make_notebook


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with notebooks/01_demo.ipynb, notebooks/02_other.ipynb and data/in.csv."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.csv").write_text("x,y\n1,<script>alert(1)</script>\n2,b\n", encoding="utf-8")
    make_notebook(tmp_path / "notebooks" / "01_demo.ipynb", "Demo study")
    make_notebook(tmp_path / "notebooks" / "02_other.ipynb", "Other study", study="other")
    return tmp_path
