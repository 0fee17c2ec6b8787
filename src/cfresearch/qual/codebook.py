"""The codebook of a qualitative study: hierarchical codes, their definitions and rules, and per-language
dictionaries for auto-coding, read from YAML.

::

    title: Customer service focus groups
    codes:
      staff:                            # a code's name: its id in codings and exports
        label: Staff
        definition: What participants say about the people who serve them.
        codes:                          # child codes (any depth)
          staff_friendly:
            label: Friendly staff
            definition: Staff described as friendly, polite or welcoming.
            include: greetings, smiles, patience, a kind tone
            exclude: what staff know (staff_knowledge)
            example: "The girl at the till was lovely."
            color: "#1f77b4"
            patterns:                   # per language (BCP 47): words, phrases, prefix* wildcards, re:regex
              en: [friendly, polite, "welcom*", nice staff]
              az: [mehriban, nəzakətli]
              fa: [مهربان, مودب]

A code is *codable* (may be applied to text) unless it says ``codable: false`` (a folder, as REFI-QDA's
``isCodable``). Errors name the file and the line of the offending code (:class:`CodebookError`, a
:class:`cfresearch.data.DataError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from cfresearch.data import DataError, issues_frame
from cfresearch.paths import sample_path  # noqa: F401  (used by the examples)
from cfresearch.results import Result

__all__ = ["Code", "CodebookError", "QualCodebook", "load_codebook"]

_LANG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_COLOR = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")
_META = {"__line__", "__keys__"}
_FIELDS = {"label", "definition", "include", "exclude", "example", "color", "patterns", "codes", "codable"}


class CodebookError(DataError):
    """A codebook that cannot be used: the message names the file and the line of each problem."""


@dataclass(frozen=True)
class Code:
    """One code: its name (id), label, parent, definition, inclusion and exclusion rules, an example, a
    colour, whether it may be applied, and its auto-coding patterns by language."""

    name: str
    label: str
    parent: str | None = None
    definition: str = ""
    include: str = ""
    exclude: str = ""
    example: str = ""
    color: str = ""
    codable: bool = True
    patterns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True, eq=False)
class QualCodebook(Result):
    """The codes of a study, parents before children (see the module docstring)."""

    title: str
    codes: dict[str, Code]
    source: Path | None = None

    def __contains__(self, name: object) -> bool:
        return name in self.codes

    def __getitem__(self, name: str) -> Code:
        return self.codes[name]

    @property
    def languages(self) -> list[str]:
        """Every language with patterns, in first-use order."""
        return list(dict.fromkeys(lang for c in self.codes.values() for lang in c.patterns))

    def children(self, name: str | None) -> list[str]:
        """The codes directly under ``name`` (None: the top level)."""
        return [c.name for c in self.codes.values() if c.parent == name]

    def ancestors(self, name: str) -> list[str]:
        """The parents of ``name``, nearest first."""
        out, parent = [], self.codes[name].parent
        while parent is not None:
            out.append(parent)
            parent = self.codes[parent].parent
        return out

    def level(self, name: str) -> int:
        return len(self.ancestors(name))

    def labels(self) -> dict[str, str]:
        """Code name → label, for tables and charts."""
        return {n: c.label for n, c in self.codes.items()}

    def to_frame(self) -> pd.DataFrame:
        """One row per code: code, label, parent, level, codable, definition, include, exclude, example, and the
        number of patterns per language."""
        rows = []
        for c in self.codes.values():
            rows.append({"code": c.name, "label": c.label, "parent": c.parent or "", "level": self.level(c.name),
                         "codable": c.codable, "definition": c.definition, "include": c.include,
                         "exclude": c.exclude, "example": c.example,
                         **{f"patterns_{lang}": len(c.patterns.get(lang, ())) for lang in self.languages}})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        top = self.children(None)
        return (f"Codebook {self.title!r}: {len(self.codes)} codes ({len(top)} at the top level, "
                f"{sum(c.codable for c in self.codes.values())} codable); auto-coding patterns in "
                f"{', '.join(self.languages) or 'no language'}.")


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that keeps each mapping's line (``__line__``) and refuses keys given twice."""


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"{key!r} is given twice",
                                                    key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__keys__"] = seen
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _text(spec: dict, key: str) -> str:
    value = spec.get(key, "")
    return "" if value is None else str(value).strip()


def _patterns(name: str, raw: Any, line: int, problems: list) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append((line, name, "patterns must map a language to a list of words or patterns"))
        return {}
    out = {}
    for lang, items in raw.items():
        if lang in _META:
            continue
        if not isinstance(lang, str) or not _LANG.fullmatch(lang):
            problems.append((line, name, f"{lang!r} is not a language code (BCP 47, e.g. en, az, fa-IR)"))
            continue
        items = [items] if isinstance(items, str) else items
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            problems.append((line, name, f"patterns for {lang} must be a list of non-empty words or patterns"))
            continue
        for item in items:
            if item.startswith("re:"):
                try:
                    re.compile(item[3:])
                except re.error as exc:
                    problems.append((line, name, f"pattern {item!r} ({lang}) is not a valid regular expression: "
                                                 f"{exc}"))
        out[lang] = tuple(i.strip() for i in items)
    return out


def _walk(raw: dict, parent: str | None, codes: dict[str, Code], problems: list) -> None:
    for name, spec in raw.items():
        if name in _META:
            continue
        line = raw.get("__keys__", {}).get(name, raw.get("__line__", 0))  # the line naming the code
        if not isinstance(spec, dict):
            problems.append((line, name, "expected a mapping with at least a label"))
            continue
        unknown = sorted(set(spec) - _FIELDS - _META)
        if unknown:
            problems.append((line, name, f"unknown field(s) {unknown}; fields are {sorted(_FIELDS)}"))
        if name in codes:
            problems.append((line, name, f"code name {name!r} is used twice (first at line {codes[name].line})"))
        color = _text(spec, "color")
        if color and not _COLOR.fullmatch(color):
            problems.append((line, name, f"color {color!r} is not #RGB or #RRGGBB"))
        label = _text(spec, "label")
        if not label:
            problems.append((line, name, "a code needs a label"))
        codes[str(name)] = Code(
            name=str(name), label=label or str(name), parent=parent, definition=_text(spec, "definition"),
            include=_text(spec, "include"), exclude=_text(spec, "exclude"), example=_text(spec, "example"),
            color=color, codable=bool(spec.get("codable", True)),
            patterns=_patterns(str(name), spec.get("patterns"), line, problems), line=line)
        children = spec.get("codes")
        if children is not None:
            if not isinstance(children, dict):
                problems.append((line, name, "codes (the children) must be a mapping of code names"))
            else:
                _walk(children, str(name), codes, problems)


def load_codebook(path: str | Path) -> QualCodebook:
    """Read a qualitative codebook from YAML (see the module docstring) and check it whole: every problem is
    reported at once, with its line.

    >>> cb = load_codebook(sample_path("focus_groups", "codebook.yaml"))
    >>> cb.children(None)[:3]
    ['first_impressions', 'staff', 'speed_convenience']
    """
    path = Path(path)
    if not path.is_file():
        raise CodebookError(f"{path}: codebook file not found", path=path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except UnicodeDecodeError as exc:
        raise CodebookError(f"{path}: not UTF-8 text ({exc})", path=path) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise CodebookError(f"{path}: {where}not readable YAML ({getattr(exc, 'problem', exc)})", path=path,
                            row=mark.line + 1 if mark is not None else None) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("codes"), dict) or not set(raw["codes"]) - _META:
        raise CodebookError(f"{path}: expected a mapping with 'codes' (code name -> label, definition, ...)",
                            path=path)
    codes: dict[str, Code] = {}
    problems: list = []
    _walk(raw["codes"], None, codes, problems)
    if problems:
        issues = issues_frame([{"row": line, "column": name, "problem": problem, "kind": "codebook",
                                "action": "raise"} for line, name, problem in problems])
        raise CodebookError.from_issues(path, issues, what="in the codebook",
                                        hint="Rows are lines of the codebook file; columns are code names.")
    return QualCodebook(title=str(raw.get("title", path.stem)), codes=codes, source=path)
