"""Notebook parameters: read the tagged ``parameters`` cell, validate and coerce values before execution.

papermill injects parameter *names* verbatim as code and only warns on unknown names, so every name
and value passes through here first: only names declared in the notebook's ``parameters`` cell are
accepted, and each value must match (or be coerced to) the declared type.

A parameters cell holds one literal assignment per line, optionally annotated and commented; a comment
may end in a constraint in square brackets, checked before anything runs::

    data_path: str = "../data/sample/survey/responses.csv"  # survey responses (CSV, XLSX, SAV, Parquet)
    level: float = 0.95  # confidence level [0 < level < 1]
    correction: str = "fdr"  # multiple comparisons [one of: none, bonferroni, fdr]
    bootstrap: int = 200  # resamples [bootstrap >= 0]
    segments: list = ["region"]  # banner variables [columns of data_path]

A range names the parameter between or beside numbers (``<``, ``<=``, ``>``, ``>=``); ``one of:`` lists
the allowed values; ``columns of X`` (or ``column of X``) says the value (or every item of a list) is a
column of the data file named by parameter ``X`` — checked against the file's header once the inputs are
resolved. A value that breaks a constraint is refused with the constraint, and a "did you mean" when a
close name exists.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import yaml

from .errors import NotebookError, ParameterError

#: Types a parameter may declare, by annotation name.
TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}

#: Parameter names with these endings name input files or folders (hashed, checked to exist).
PATH_SUFFIXES = ("_path", "_file", "_dir")


_NUM = r"-?\d+(?:\.\d+)?(?:[eE]-?\d+)?"
_RANGE = re.compile(rf"\s*(?:({_NUM})\s*(<=|<)\s*)?([A-Za-z_]\w*)\s*(?:(<=|<|>=|>)\s*({_NUM}))?\s*")


@dataclass(frozen=True)
class Rule:
    """A constraint from the parameters cell: a numeric range, a list of choices, a pattern the text must match,
    or columns of a data file."""

    text: str
    low: float | None = None
    low_inclusive: bool = False
    high: float | None = None
    high_inclusive: bool = False
    choices: tuple = ()
    columns_of: str = ""  # the path parameter whose file holds the columns
    pattern: str = ""  # a regular expression the whole text must match

    def violation(self, value: Any) -> str:
        """Why ``value`` breaks the rule ("" when it does not); columns are checked by :func:`check_columns`."""
        if self.choices:
            if value not in self.choices:
                close = difflib.get_close_matches(str(value), [str(c) for c in self.choices], n=1)
                return (f"must be one of {', '.join(map(str, self.choices))}; got {value!r}"
                        + (f" (did you mean {close[0]!r}?)" if close else ""))
            return ""
        if self.pattern:
            if not isinstance(value, str) or not re.fullmatch(self.pattern, value):
                return f"must match {self.pattern}; got {value!r}"
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            too_low = self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive))
            too_high = self.high is not None and (value > self.high or
                                                  (value == self.high and not self.high_inclusive))
            if too_low or too_high:
                return f"must satisfy {self.text}; got {value!r}"
        return ""


def parse_rule(text: str, name: str, type_name: str, where: str) -> Rule:
    """The :class:`Rule` written as ``text`` (the part in square brackets) for parameter ``name``."""
    body = text.strip()
    m = re.fullmatch(r"one of:\s*(.+)", body)
    if m:
        items = [c.strip() for c in m.group(1).split(",") if c.strip()]
        cast = {"int": int, "float": float}.get(type_name, str)
        try:
            return Rule(body, choices=tuple(cast(c) for c in items))
        except ValueError:
            raise NotebookError(f"{where}: the choices of {name!r} must be {type_name} values: [{body}]") from None
    m = re.fullmatch(r"matches:\s*(.+)", body)
    if m:
        if type_name != "str":
            raise NotebookError(f"{where}: [{body}] of {name!r}: only a str parameter can match a pattern")
        try:
            re.compile(m.group(1).strip())
        except re.error as exc:
            raise NotebookError(f"{where}: [{body}] of {name!r} is not a regular expression ({exc})") from None
        return Rule(body, pattern=m.group(1).strip())
    m = re.fullmatch(r"columns? of ([A-Za-z_]\w*)", body)
    if m:
        return Rule(body, columns_of=m.group(1))
    m = _RANGE.fullmatch(body)
    if m and m.group(3) == name and (m.group(1) or m.group(4)):
        lead, lead_op, _, tail_op, tail = m.groups()
        rule = {"low": float(lead), "low_inclusive": lead_op == "<="} if lead else {}
        if tail_op in ("<", "<="):
            rule |= {"high": float(tail), "high_inclusive": tail_op == "<="}
        elif tail_op:
            if lead:
                raise NotebookError(f"{where}: constraint [{body}] of {name!r} bounds it from below twice")
            rule |= {"low": float(tail), "low_inclusive": tail_op == ">="}
        return Rule(body, **rule)
    raise NotebookError(f"{where}: cannot read the constraint [{body}] of {name!r}; write a range such as "
                        f"[0 < {name} < 1] or [{name} >= 0], [one of: a, b], [matches: a regular expression] or "
                        "[columns of data_path]")


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: its name, declared type, default value, help text, constraint and line."""

    name: str
    type_name: str
    default: Any
    help: str = ""
    optional: bool = False
    line: int = 0
    rule: Rule | None = None

    @property
    def is_path(self) -> bool:
        return self.name.endswith(PATH_SUFFIXES)

    def describe(self) -> str:
        t = self.type_name + (" | None" if self.optional else "")
        return f"{self.name}: {t} = {self.default!r}" + (f" [{self.rule.text}]" if self.rule else "")

    def check(self, value: Any) -> None:
        """ParameterError when ``value`` breaks the declared range or choices (None passes if optional)."""
        if self.rule is None or value is None:
            return
        for item in (value if isinstance(value, list) else [value]):
            problem = self.rule.violation(item)
            if problem:  # a pattern says little by itself: the parameter's help says what is meant
                meant = f" ({self.help})" if self.rule.pattern and self.help else ""
                raise ParameterError(f"parameter {self.name!r} {problem}{meant}")


def parameters_cell(nb: nbformat.NotebookNode) -> tuple[int, str] | None:
    """Return (index, source) of the cell tagged ``parameters``, or None."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return i, cell.source
    return None


def _annotation(node: ast.expr | None, where: str) -> tuple[str, bool]:
    """Return (type name, optional) for an annotation such as ``float``, ``list[str]`` or ``str | None``."""
    if node is None:
        return "", False
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [node.left, node.right]
        nones = [p for p in parts if isinstance(p, ast.Constant) and p.value is None]
        others = [p for p in parts if p not in nones]
        if len(nones) == 1 and len(others) == 1:
            return _annotation(others[0], where)[0], True
    if isinstance(node, ast.Subscript):
        if isinstance(node.value, ast.Name) and node.value.id == "Optional":
            return _annotation(node.slice, where)[0], True
        node = node.value
    if isinstance(node, ast.Name) and node.id in TYPES:
        return node.id, False
    raise NotebookError(
        f"{where}: unsupported parameter type {ast.unparse(node)!r}; use one of "
        f"{', '.join(TYPES)} (optionally '| None')"
    )


def read_parameters(notebook: str | Path) -> dict[str, Parameter]:
    """Parse the notebook's ``parameters`` cell into declared parameters (name -> Parameter).

    >>> from cfresearch.paths import notebooks_dir
    >>> read_parameters(notebooks_dir() / "01_survey_analysis.ipynb")["level"].describe()
    'level: float = 0.95 [0 < level < 1]'

    Defaults must be Python literals (papermill does not recompute derived defaults, so derived
    values belong in the next cell). An unannotated parameter takes the type of its default.
    """
    path = Path(notebook)
    try:
        nb = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise NotebookError(f"{path}: notebook not found") from None
    except Exception as exc:  # nbformat raises several unrelated types for unreadable JSON
        raise NotebookError(f"{path}: cannot read notebook ({exc.__class__.__name__}: {exc})") from None
    found = parameters_cell(nb)
    if found is None:
        raise NotebookError(f"{path}: no code cell is tagged 'parameters'; tag the cell that holds the defaults")
    index, source = found
    lines = source.splitlines()
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NotebookError(f"{path}: parameters cell (cell {index}) line {exc.lineno}: {exc.msg}") from None
    params: dict[str, Parameter] = {}
    for stmt in tree.body:
        where = f"{path}: parameters cell (cell {index}) line {stmt.lineno}"
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name, value_node, ann = stmt.target.id, stmt.value, stmt.annotation
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name, value_node, ann = stmt.targets[0].id, stmt.value, None
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring-like note
        else:
            raise NotebookError(f"{where}: only 'name: type = literal' assignments belong in a parameters cell")
        if value_node is None:
            raise NotebookError(f"{where}: parameter {name!r} has no default value")
        try:
            default = ast.literal_eval(value_node)
        except ValueError:
            raise NotebookError(
                f"{where}: the default of {name!r} must be a literal; compute derived values in the next cell"
            ) from None
        type_name, optional = _annotation(ann, where)
        if not type_name:
            if default is None:
                raise NotebookError(f"{where}: annotate {name!r} (its default is None)")
            type_name = type(default).__name__
            if type_name not in TYPES:
                raise NotebookError(f"{where}: default of {name!r} has unsupported type {type_name}")
        # the help is the comment after the statement (on its last line, for one spread over several lines)
        tail = lines[(stmt.end_lineno or stmt.lineno) - 1][stmt.end_col_offset or 0 :]
        help_text = tail.split("#", 1)[1].strip() if "#" in tail else ""
        rule = None
        m = re.search(r"\[([^\[\]]+)\]\s*$", help_text)
        if m:
            rule = parse_rule(m.group(1), name, type_name, where)
            help_text = help_text[: m.start()].rstrip()
        params[name] = Parameter(name, type_name, default, help_text, optional or default is None, stmt.lineno,
                                 rule)
    return params


def _accepted(declared: dict[str, Parameter]) -> str:
    """The accepted names, for a one-line error (types, defaults and constraints: ``cfresearch list``)."""
    return (", ".join(declared) or "(none)") + " (types and defaults: cfresearch list)"


def coerce(param: Parameter, value: Any, *, from_text: bool) -> Any:
    """Return ``value`` converted to the parameter's declared type, or raise ParameterError.

    Text from the command line (``from_text``) is parsed as YAML for list, dict and bool parameters
    (``-p drivers '[a, b]'``), and with ``int()``/``float()`` for numbers; ``None``/``null`` give None
    for an optional parameter; values from a YAML file
    must already have the right type (an int is accepted where a float is declared).
    """
    target = TYPES[param.type_name]
    if value is None:
        if param.optional:
            return None
        raise ParameterError(f"parameter {param.name!r} may not be None (expected {param.type_name})")
    if from_text and isinstance(value, str) and param.optional and value.strip() in ("None", "null", "~"):
        return None
    if from_text and isinstance(value, str) and target is not str:
        text = value.strip()
        try:
            if target is int:
                value = int(text)
            elif target is float:
                value = float(text)
            elif target is bool:
                lowered = text.lower()
                if lowered not in ("true", "false", "yes", "no", "1", "0"):
                    raise ValueError(text)
                value = lowered in ("true", "yes", "1")
            else:
                value = yaml.safe_load(text)
        except (ValueError, yaml.YAMLError):
            raise ParameterError(
                f"parameter {param.name!r}: cannot read {value!r} as {param.type_name}"
            ) from None
        if target is list and not isinstance(value, list):
            raise ParameterError(f"parameter {param.name!r} expects a list; write it in YAML list syntax, "
                                 f"e.g. -p '{param.name}=[{text}]' or -p '{param.name}=[a, b]'")
    if target is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, target) or (target is int and isinstance(value, bool)):
        raise ParameterError(
            f"parameter {param.name!r} expects {param.type_name}, got {type(value).__name__} {value!r}"
        )
    return value


def validate(
    declared: dict[str, Parameter],
    from_file: dict[str, Any] | None = None,
    from_cli: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Validate given parameters against the declared ones; return the typed values that differ.

    File values are applied first, then command-line values (later wins, as in papermill). An
    unknown name, a name that is not a Python identifier, or a value of the wrong type raises
    ParameterError listing the accepted names and types.
    """
    result: dict[str, Any] = {}
    for source, values, from_text in (("file", from_file or {}, False), ("-p", from_cli or {}, True)):
        for name, value in values.items():
            if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
                raise ParameterError(
                    f"{name!r} ({source}) is not a valid parameter name; accepted: {_accepted(declared)}"
                )
            if name not in declared:
                close = difflib.get_close_matches(name, list(declared), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ParameterError(f"unknown parameter {name!r} ({source}){hint}; accepted: {_accepted(declared)}")
            result[name] = coerce(declared[name], value, from_text=from_text)
            declared[name].check(result[name])
    return result


def check_columns(declared: dict[str, Parameter], values: dict[str, Any], files: dict[str, Path],
                  shown: dict[str, str] | None = None) -> None:
    """ParameterError when a value declared ``[columns of X]`` names a column that the file of parameter X
    lacks; with "did you mean" and the file's columns. ``files`` maps path parameters to resolved files,
    ``shown`` to how the user wrote them."""
    from cfresearch.data import DataError, columns_of

    for name, param in declared.items():
        rule, value = param.rule, values.get(name)
        if rule is None or not rule.columns_of or value is None or rule.columns_of not in files:
            continue
        try:
            have = columns_of(files[rule.columns_of])
        except DataError:
            return  # an unreadable file is reported by the notebook's loader, with its own message
        for item in (value if isinstance(value, list) else [value]):
            if item not in have:
                close = difflib.get_close_matches(str(item), [str(c) for c in have], n=1)
                where = (shown or {}).get(rule.columns_of, files[rule.columns_of].name)
                raise ParameterError(f"parameter {name!r}: {item!r} is not a column of {rule.columns_of} ({where})"
                                     + (f"; did you mean {close[0]!r}?" if close else "")
                                     + f" Columns are {', '.join(map(str, have[:40]))}"
                                     + (" …" if len(have) > 40 else ""))


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping of parameter values (``-f params.yaml``)."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"{p}: parameters file not found") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"{p}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(f"{p}: expected a mapping of parameter names to values, got {type(data).__name__}")
    return data


def parse_assignments(pairs: list[tuple[str, str]] | list[str]) -> dict[str, str]:
    """Turn ``-p name value`` pairs (or ``name=value`` strings) into a dict of raw text values."""
    out: dict[str, str] = {}
    for item in pairs:
        if isinstance(item, str):
            if "=" not in item:
                raise ParameterError(f"-p {item!r}: expected name=value or 'name value'")
            name, value = item.split("=", 1)
        else:
            name, value = item
        out[name.strip()] = value
    return out
