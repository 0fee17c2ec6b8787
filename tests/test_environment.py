"""environment.yml (conda users) and pyproject.toml (everyone else) describe the same environment."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_agrees_with_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deps = env["dependencies"]
    pythons = [d for d in deps if isinstance(d, str) and d.startswith("python")]
    assert pythons == ["python=3.11"]
    assert project["project"]["requires-python"] == ">=3.11"
    assert "pip" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    # every Python dependency comes from pyproject through the editable install with the dev extra
    assert pip == ["-e .[dev]"]
    assert "dev" in project["project"]["optional-dependencies"]
    conda_pkgs = [d for d in deps if isinstance(d, str)]
    assert set(conda_pkgs) == {"python=3.11", "pip"}, "add Python packages to pyproject.toml, not environment.yml"


def test_design_card_packages_are_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    names = {d.split(">")[0].split("=")[0].split("[")[0].strip().lower()
             for d in project["project"]["dependencies"] + project["project"]["optional-dependencies"]["dev"]}
    assert {"jupyterlab", "pandas", "statsmodels", "seaborn", "papermill", "nbval"} <= names


def test_generated_folders_are_ignored_and_sample_data_is_small():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "/reports/*" in ignored and "/data/raw/*" in ignored
    size = sum(p.stat().st_size for p in (ROOT / "data" / "sample").rglob("*") if p.is_file())
    assert 0 < size < 5_000_000
