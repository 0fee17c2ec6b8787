"""Parameters: the parameters cell is the contract; nothing else may reach papermill."""

from __future__ import annotations

import pytest

from cfresearch.workbench.errors import NotebookError, ParameterError
from cfresearch.workbench.params import read_parameters, read_params_file, validate


def test_reads_names_types_defaults_and_help(project):
    params = read_parameters(project / "notebooks" / "01_demo.ipynb")
    assert list(params) == ["data_path", "n", "scale", "fail", "drivers", "label"]
    assert params["n"].type_name == "int" and params["n"].default == 3 and params["n"].help == "a count"
    assert params["scale"].type_name == "float"
    assert params["drivers"].type_name == "list" and params["drivers"].default == []
    assert params["label"].optional and params["label"].type_name == "str"
    assert params["data_path"].is_path and not params["n"].is_path


def test_cli_text_is_coerced_to_declared_types(project):
    declared = read_parameters(project / "notebooks" / "01_demo.ipynb")
    got = validate(declared, from_cli={"n": "7", "scale": "2", "fail": "true", "drivers": "[a, b]",
                                       "label": "None"})
    assert got == {"n": 7, "scale": 2.0, "fail": True, "drivers": ["a", "b"], "label": None}
    assert type(got["scale"]) is float


def test_yaml_values_keep_types_and_cli_wins(project, tmp_path):
    declared = read_parameters(project / "notebooks" / "01_demo.ipynb")
    f = tmp_path / "p.yaml"
    f.write_text("n: 4\nscale: 3\ndrivers: [x, y]\n", encoding="utf-8")
    got = validate(declared, from_file=read_params_file(f), from_cli={"n": "9"})
    assert got == {"n": 9, "scale": 3.0, "drivers": ["x", "y"]}


@pytest.mark.parametrize(
    "cli, message",
    [
        ({"typo": "1"}, "unknown parameter 'typo'"),
        ({"n": "three"}, "cannot read 'three' as int"),
        ({"fail": "maybe"}, "cannot read 'maybe' as bool"),
        ({'x=1;print("INJECTED");y': "2"}, "is not a valid parameter name"),
        ({"import": "1"}, "is not a valid parameter name"),
    ],
)
def test_bad_names_and_values_are_rejected_with_the_accepted_list(project, cli, message):
    declared = read_parameters(project / "notebooks" / "01_demo.ipynb")
    with pytest.raises(ParameterError) as err:
        validate(declared, from_cli=cli)
    assert message in str(err.value)
    if "unknown" in message or "valid parameter name" in message:
        assert "data_path, n, scale, fail, drivers, label" in str(err.value)  # lists what is accepted


def test_wrong_type_from_yaml_is_rejected(project):
    declared = read_parameters(project / "notebooks" / "01_demo.ipynb")
    with pytest.raises(ParameterError, match="'n' expects int, got str"):
        validate(declared, from_file={"n": "4"})
    with pytest.raises(ParameterError, match="'n' expects int, got bool"):
        validate(declared, from_file={"n": True})
    with pytest.raises(ParameterError, match="may not be None"):
        validate(declared, from_file={"scale": None})


def test_malformed_parameters_cells(tmp_path, notebook_factory):
    make_notebook = notebook_factory
    nb = make_notebook(tmp_path / "a.ipynb", "A", params="x = compute()\n")
    with pytest.raises(NotebookError, match="must be a literal"):
        read_parameters(nb)
    nb = make_notebook(tmp_path / "b.ipynb", "B", params="def f():\n    pass\n")
    with pytest.raises(NotebookError, match="only 'name: type = literal'"):
        read_parameters(nb)
    nb = make_notebook(tmp_path / "c.ipynb", "C", params="x: set = 1\n")
    with pytest.raises(NotebookError, match="unsupported parameter type"):
        read_parameters(nb)
    (tmp_path / "d.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(NotebookError, match="cannot read notebook"):
        read_parameters(tmp_path / "d.ipynb")


def test_params_file_errors(tmp_path):
    with pytest.raises(ParameterError, match="parameters file not found"):
        read_params_file(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="expected a mapping"):
        read_params_file(bad)


def test_help_of_a_parameter_spread_over_several_lines_is_its_closing_comment(tmp_path, notebook_factory):
    path = notebook_factory(tmp_path / "nb.ipynb", "T", params=(
        'cols: list = ["a",  # not the help\n'
        '               "b"]  # the columns to use\n'
        'k: int = 2\n'))
    params = read_parameters(path)
    assert params["cols"].help == "the columns to use" and params["cols"].default == ["a", "b"]
    assert params["k"].help == ""


def test_a_text_parameter_can_be_held_to_a_pattern(tmp_path, notebook_factory):
    path = notebook_factory(tmp_path / "nb.ipynb", "T", params=(
        'memory_limit: str | None = None  # the most memory, e.g. "2GB" [matches: \\d+(\\.\\d+)? *(%|\\w+)]\n'
        'engine: str = "duckdb"  # where it runs [matches: duckdb|spark|sc://\\S+]\n'))
    declared = read_parameters(path)
    assert declared["memory_limit"].help == 'the most memory, e.g. "2GB"'
    ok = validate(declared, from_cli={"memory_limit": "1.5 GB", "engine": "sc://spark-host:15002"})
    assert ok == {"memory_limit": "1.5 GB", "engine": "sc://spark-host:15002"}
    assert validate(declared, from_cli={"memory_limit": "None"}) == {"memory_limit": None}  # optional
    with pytest.raises(ParameterError) as err:
        validate(declared, from_cli={"memory_limit": "lots"})
    assert str(err.value) == ("parameter 'memory_limit' must match \\d+(\\.\\d+)? *(%|\\w+); got 'lots' "
                              '(the most memory, e.g. "2GB")')
    with pytest.raises(ParameterError, match="'engine' must match duckdb|spark"):
        validate(declared, from_cli={"engine": "Spark"})


def test_a_pattern_rule_must_be_a_regular_expression_on_text(tmp_path, notebook_factory):
    path = notebook_factory(tmp_path / "a.ipynb", "A", params='x: str = "a"  # help [matches: (unclosed]\n')
    with pytest.raises(NotebookError, match=r"is not a regular expression"):
        read_parameters(path)
    path = notebook_factory(tmp_path / "b.ipynb", "B", params='n: int = 1  # help [matches: \\d+]\n')
    with pytest.raises(NotebookError, match="only a str parameter can match a pattern"):
        read_parameters(path)
