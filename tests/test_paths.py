"""Project paths: one way to find the project, its folders and the bundled sample files."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfresearch.paths import ProjectNotFound, notebooks_dir, project_root, reports_dir, sample_dir, sample_path

ROOT = Path(__file__).resolve().parents[1]


def test_project_found_from_the_environment_the_working_folder_or_the_checkout(tmp_path, tmp_path_factory,
                                                                              monkeypatch):
    monkeypatch.delenv("CFRESEARCH_HOME", raising=False)
    assert project_root(ROOT / "notebooks") == ROOT
    assert project_root() == ROOT  # from the working folder, or the checkout this package is installed from
    (tmp_path / "notebooks").mkdir()
    assert project_root(tmp_path / "notebooks") == tmp_path
    assert notebooks_dir(tmp_path) == tmp_path / "notebooks" and reports_dir(tmp_path) == tmp_path / "reports"
    monkeypatch.setenv("CFRESEARCH_HOME", str(tmp_path))
    assert project_root("/") == tmp_path.resolve()
    monkeypatch.delenv("CFRESEARCH_HOME")
    elsewhere = tmp_path_factory.mktemp("no_project")
    with pytest.raises(ProjectNotFound, match="set CFRESEARCH_HOME"):
        project_root(elsewhere)


def test_sample_files_resolve_from_anywhere(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert sample_dir() == ROOT / "data" / "sample"
    assert sample_path("survey", "codebook.yaml") == ROOT / "data" / "sample" / "survey" / "codebook.yaml"
    with pytest.raises(FileNotFoundError, match=r"no sample data for study 'nope'; studies with sample data are \["):
        sample_path("nope", "x.csv")
