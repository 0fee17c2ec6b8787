"""Survey codebooks: what each column of a data file is, its value labels, valid range and missing codes.

A codebook is a small YAML file kept beside the data. It is the single place that says how a column is
read (:mod:`cfresearch.survey.loading` validates and converts the data against it) and how it is reported
(value labels, scale membership, reverse keying, multi-response sets, the sampling design)::

    title: Customer satisfaction tracker
    id: respondent_id          # the respondent identifier (type id)
    wave: wave                 # the wave / period column (type wave), or null
    weight: null               # a design or analysis weight column (type weight), or null
    strata: region             # the design's strata column, or null
    clusters: store_id         # the design's primary sampling units (clusters), or null
    variables:
      respondent_id: {label: Respondent ID, type: id, required: true}
      region: {label: Region, type: single, values: {1: North, 2: South}, required: true}
      q_delivery: {label: Delivery, type: likert, range: [1, 5], missing: [99]}
      why_price: {label: Price, type: multi, set: why}
    multi_sets:
      why: {label: Why do you choose us?, items: [why_price, why_quality]}
    scales:
      att: {label: Calm and positive attitude, items: [att_1, att_2], min: 1, max: 5}

Variable types (:data:`TYPES`): ``id`` (respondent identifier, unique), ``pii`` (a personal identifier such
as an e-mail address: loaded, never reported), ``single`` (one code of ``values``), ``multi`` (a 0/1
dichotomy of a multi-response set), ``likert`` (an ordered rating within ``range``), ``nps`` (0-10
likelihood to recommend), ``numeric``, ``open`` (free text), ``weight``, ``date`` and ``wave``.
``missing`` lists codes that mean "no answer" (e.g. 99 = don't know); an entry ``[lo, hi]`` is a range of
codes, as SPSS's user-missing ranges.

:func:`codebook_from_sav` / :func:`codebook_yaml_for` draft a codebook from an SPSS ``.sav`` file's
metadata (read with pyreadstat: variable labels, value labels, user-missing values and ranges, measure
level, multiple-response sets) - a starting point to review, since the type of a column is a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "TYPES",
    "Codebook",
    "CodebookError",
    "Variable",
    "codebook_from_sav",
    "codebook_yaml_for",
    "dump_yaml",
]

#: The variable types a codebook may declare.
TYPES: tuple[str, ...] = ("id", "pii", "single", "multi", "likert", "nps", "numeric", "open", "weight", "date", "wave")

#: Default valid ranges by type (a codebook's ``range`` overrides them).
DEFAULT_RANGES: dict[str, tuple[float, float]] = {"nps": (0, 10), "multi": (0, 1)}

_VAR_KEYS = ("label", "type", "values", "range", "missing", "reverse", "scale", "set", "required")
_TOP_KEYS = ("title", "id", "wave", "weight", "strata", "clusters", "variables", "multi_sets", "scales")
_DESIGN_TYPES = {"id": ("id",), "wave": ("wave",), "weight": ("weight",)}


class CodebookError(ValueError):
    """A codebook that cannot be read or is not valid; the message names the file and the variable."""


def _clean_code(v: Any) -> Any:
    """Codes as the YAML should show them: 1.0 -> 1, numpy scalars -> Python, strings unchanged."""
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return int(v)
    return v


@dataclass
class Variable:
    """One column of the data: its label, type, value labels, valid range, missing codes and roles."""

    name: str
    label: str
    type: str
    values: dict[int | str, str] = field(default_factory=dict)
    range: tuple[float, float] | None = None
    missing: list[Any] = field(default_factory=list)
    reverse: bool = False
    scale: str | None = None
    required: bool = False
    set: str | None = None

    @property
    def valid_range(self) -> tuple[float, float] | None:
        """The declared range, else the type's default (nps 0..10, multi 0..1), else the span of the codes
        of a likert scale with value labels, else ``None`` (no range check)."""
        if self.range is not None:
            return self.range
        if self.type in DEFAULT_RANGES:
            return DEFAULT_RANGES[self.type]
        if self.type == "likert":
            codes = [c for c in self.values if isinstance(c, int | float) and not self.is_missing_code(c)]
            if codes:
                return (min(codes), max(codes))
        return None

    def is_missing_code(self, code: Any) -> bool:
        """Whether ``code`` is one of the missing codes (or inside a missing range)."""
        for m in self.missing:
            if isinstance(m, list | tuple):
                try:
                    if m[0] <= code <= m[1]:
                        return True
                except TypeError:
                    continue
            elif m == code:
                return True
        return False

    def to_dict(self) -> dict[str, Any]:
        """The YAML mapping of this variable, in a fixed key order, defaults left out."""
        d: dict[str, Any] = {"label": self.label, "type": self.type}
        if self.values:
            d["values"] = {_clean_code(k): str(v) for k, v in self.values.items()}
        if self.range is not None:
            d["range"] = [_clean_code(self.range[0]), _clean_code(self.range[1])]
        if self.missing:
            d["missing"] = [[_clean_code(m[0]), _clean_code(m[1])] if isinstance(m, list | tuple) else _clean_code(m)
                            for m in self.missing]
        if self.reverse:
            d["reverse"] = True
        if self.scale:
            d["scale"] = self.scale
        if self.set:
            d["set"] = self.set
        if self.required:
            d["required"] = True
        return d


@dataclass
class Codebook:
    """The codebook of one data file: design roles, variables, multi-response sets and scales.

    ``multi_sets`` maps a set name to ``{"label": str, "items": [variable names]}``; ``scales`` maps a scale
    name to ``{"label": str, "items": [...], "min": int, "max": int}``.
    """

    variables: dict[str, Variable]
    title: str = ""
    id: str | None = None
    wave: str | None = None
    weight: str | None = None
    strata: str | None = None
    clusters: str | None = None
    multi_sets: dict[str, dict[str, Any]] = field(default_factory=dict)
    scales: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Path | None = None

    # ─── reading and writing ──────────────────────────────────────────────────────────────────────────

    @classmethod
    def from_yaml(cls, path: str | Path) -> Codebook:
        """Read and validate a codebook YAML file.

        Raises :class:`CodebookError` naming the file and every offending variable (unknown type, missing
        label, a single-choice variable without value labels, a bad range, a set or scale item that is not
        a variable, ...), all at once.
        """
        path = Path(path)
        if not path.is_file():
            raise CodebookError(f"{path}: codebook file not found")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise CodebookError(f"{path}: not a readable YAML codebook ({exc})") from exc
        return cls.from_dict(raw, source=path)

    @classmethod
    def from_dict(cls, raw: Any, *, source: str | Path | None = None) -> Codebook:
        """Build and validate a codebook from the mapping a YAML file holds (see :meth:`from_yaml`)."""
        where = str(source) if source is not None else "<codebook>"
        if not isinstance(raw, Mapping):
            raise CodebookError(f"{where}: a codebook is a mapping with a 'variables' section")
        errors: list[str] = []
        unknown = sorted(set(map(str, raw)) - set(_TOP_KEYS))
        if unknown:
            errors.append(f"unknown top-level key(s) {', '.join(unknown)} (expected {', '.join(_TOP_KEYS)})")
        vars_raw = raw.get("variables")
        if not isinstance(vars_raw, Mapping) or not vars_raw:
            raise CodebookError(f"{where}: the codebook has no 'variables' mapping")
        variables: dict[str, Variable] = {}
        for name, spec in vars_raw.items():
            var = _parse_variable(str(name), spec, errors)
            if var is not None:
                variables[str(name)] = var
        cb = cls(variables=variables, title=str(raw.get("title") or ""),
                 source=Path(source) if source is not None else None)
        for role in ("id", "wave", "weight", "strata", "clusters"):
            col = raw.get(role)
            if col is None:
                continue
            col = str(col)
            if col not in vars_raw:
                errors.append(f"{role}: {col!r} is not a variable of the codebook")
            elif col in variables and role in _DESIGN_TYPES and variables[col].type not in _DESIGN_TYPES[role]:
                errors.append(f"variable {col!r}: is the {role} column, so its type must be "
                              f"{' or '.join(_DESIGN_TYPES[role])} (got {variables[col].type!r})")
            setattr(cb, role, col)
        cb.multi_sets = _parse_groups(raw.get("multi_sets"), "multi_sets", "set", variables, errors)
        cb.scales = _parse_groups(raw.get("scales"), "scales", "scale", variables, errors)
        for name, var in variables.items():
            if var.type == "multi" and not var.set:
                errors.append(f"variable {name!r}: type multi needs a multi-response set (set: or multi_sets)")
        if errors:
            raise CodebookError(f"{where}: invalid codebook ({len(errors)} problem{'s' * (len(errors) > 1)}):\n  "
                                + "\n  ".join(errors))
        return cb

    def to_dict(self) -> dict[str, Any]:
        """The codebook as plain data in a fixed key order (what :meth:`to_yaml` dumps)."""
        out: dict[str, Any] = {"title": self.title}
        for role in ("id", "wave", "weight", "strata", "clusters"):
            out[role] = getattr(self, role)
        out["variables"] = {name: v.to_dict() for name, v in self.variables.items()}
        if self.multi_sets:
            out["multi_sets"] = {k: {"label": s["label"], "items": list(s["items"])}
                                 for k, s in self.multi_sets.items()}
        if self.scales:
            out["scales"] = {k: {"label": s["label"], "items": list(s["items"]),
                                 **{b: _clean_code(s[b]) for b in ("min", "max") if s.get(b) is not None}}
                             for k, s in self.scales.items()}
        return out

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Dump the codebook as deterministic YAML (fixed key order, no comments); write it to ``path`` if given."""
        text = dump_yaml(self.to_dict())
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    # ─── queries ──────────────────────────────────────────────────────────────────────────────────────

    def __getitem__(self, name: str) -> Variable:
        return self.variable(name)

    def __contains__(self, name: object) -> bool:
        return name in self.variables

    def variable(self, name: str) -> Variable:
        """The variable ``name``; a ``KeyError`` naming the codebook's variables if there is none."""
        try:
            return self.variables[name]
        except KeyError:
            raise KeyError(f"no variable {name!r} in the codebook; variables are {list(self.variables)}") from None

    def of_type(self, *types: str) -> list[str]:
        """Names of the variables of the given type(s), in codebook order."""
        bad = [t for t in types if t not in TYPES]
        if bad:
            raise ValueError(f"unknown variable type(s) {bad}; types are {list(TYPES)}")
        return [n for n, v in self.variables.items() if v.type in types]

    def labels(self, var: str) -> dict[Any, str]:
        """Value labels of ``var`` (code -> label), missing codes left out."""
        v = self.variable(var)
        return {k: lab for k, lab in v.values.items() if not v.is_missing_code(k)}

    def scale_items(self, name: str) -> list[str]:
        """The items of scale ``name``, in order."""
        return list(self._group(self.scales, name, "scale")["items"])

    def reverse_items(self, name: str) -> list[str]:
        """The reverse-keyed items of scale ``name`` (``reverse: true``)."""
        return [i for i in self.scale_items(name) if self.variables[i].reverse]

    def display_labels(self) -> dict[str, str]:
        """The label of every variable, multi-response set and scale, by name: what a report shows instead
        of the codes (``labels=`` of banners, tables and profiles).

        >>> from cfresearch.paths import sample_path
        >>> Codebook.from_yaml(sample_path("survey", "codebook.yaml")).display_labels()["why_price"]
        'Good prices'
        """
        out = {name: var.label for name, var in self.variables.items() if var.label}
        out.update({name: s["label"] for name, s in self.multi_sets.items() if s.get("label")})
        out.update({name: s["label"] for name, s in self.scales.items() if s.get("label")})
        return out

    def set_items(self, name: str) -> list[str]:
        """The items (dichotomies) of multi-response set ``name``."""
        return list(self._group(self.multi_sets, name, "multi-response set")["items"])

    @staticmethod
    def _group(groups: dict[str, dict[str, Any]], name: str, what: str) -> dict[str, Any]:
        if name not in groups:
            raise KeyError(f"no {what} {name!r} in the codebook; there are {list(groups)}")
        return groups[name]


# ─── parsing helpers ──────────────────────────────────────────────────────────────────────────────────


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _parse_variable(name: str, spec: Any, errors: list[str]) -> Variable | None:
    pre = f"variable {name!r}"
    if not isinstance(spec, Mapping):
        errors.append(f"{pre}: expected a mapping with at least label and type, got {spec!r}")
        return None
    unknown = sorted(set(map(str, spec)) - set(_VAR_KEYS))
    if unknown:
        errors.append(f"{pre}: unknown key(s) {', '.join(unknown)} (expected {', '.join(_VAR_KEYS)})")
    label = spec.get("label")
    if not isinstance(label, str) or not label.strip():
        errors.append(f"{pre}: missing label")
        label = name
    vtype = spec.get("type")
    if vtype not in TYPES:
        errors.append(f"{pre}: unknown type {vtype!r} (expected one of {', '.join(TYPES)})" if vtype is not None
                      else f"{pre}: missing type (one of {', '.join(TYPES)})")
        return None
    values = spec.get("values") or {}
    if not isinstance(values, Mapping):
        errors.append(f"{pre}: values must map codes to labels")
        values = {}
    values = {_clean_code(k): str(v) for k, v in values.items()}
    if vtype == "single" and not values:
        errors.append(f"{pre}: type single needs value labels (values: {{1: ..., 2: ...}})")
    rng = spec.get("range")
    if rng is not None:
        if not (isinstance(rng, list | tuple) and len(rng) == 2 and all(map(_is_number, rng)) and rng[0] <= rng[1]):
            errors.append(f"{pre}: range must be [min, max] with min <= max, got {rng!r}")
            rng = None
        else:
            rng = (_clean_code(rng[0]), _clean_code(rng[1]))
    if vtype == "likert" and spec.get("range") is None and not any(_is_number(k) for k in values):
        errors.append(f"{pre}: type likert needs a range [min, max] or numeric value labels")
    missing = spec.get("missing") or []
    if not isinstance(missing, list):
        missing = [missing]
    clean_missing: list[Any] = []
    for m in missing:
        if isinstance(m, list | tuple):
            if len(m) == 2 and all(map(_is_number, m)) and m[0] <= m[1]:
                clean_missing.append([_clean_code(m[0]), _clean_code(m[1])])
            else:
                errors.append(f"{pre}: a missing range must be [lo, hi], got {m!r}")
        else:
            clean_missing.append(_clean_code(m))
    reverse = spec.get("reverse", False)
    required = spec.get("required", False)
    for key, val in (("reverse", reverse), ("required", required)):
        if not isinstance(val, bool):
            errors.append(f"{pre}: {key} must be true or false, got {val!r}")
    return Variable(name=name, label=label.strip(), type=vtype, values=values, range=rng, missing=clean_missing,
                    reverse=bool(reverse), scale=spec.get("scale"), required=bool(required), set=spec.get("set"))


def _parse_groups(raw: Any, section: str, attr: str, variables: dict[str, Variable],
                  errors: list[str]) -> dict[str, dict[str, Any]]:
    """Multi-response sets or scales: items listed under the group and/or named by the variables' set/scale."""
    raw = raw or {}
    if not isinstance(raw, Mapping):
        errors.append(f"{section}: expected a mapping of name -> {{label, items}}")
        raw = {}
    groups: dict[str, dict[str, Any]] = {}
    for gname, spec in raw.items():
        gname = str(gname)
        spec = spec if isinstance(spec, Mapping) else {}
        items = spec.get("items") or []
        if not isinstance(items, list):
            errors.append(f"{section} {gname!r}: items must be a list of variable names")
            items = []
        group: dict[str, Any] = {"label": str(spec.get("label") or gname), "items": [str(i) for i in items]}
        if section == "scales":
            for b in ("min", "max"):
                if spec.get(b) is not None:
                    group[b] = spec[b]
        groups[gname] = group
        for item in group["items"]:
            var = variables.get(item)
            if var is None:
                errors.append(f"{section} {gname!r}: item {item!r} is not a variable of the codebook")
            elif getattr(var, attr) not in (None, gname):
                errors.append(f"variable {item!r}: {attr} {getattr(var, attr)!r} but listed in {section} {gname!r}")
            else:
                setattr(var, attr, gname)
    for name, var in variables.items():  # variables naming a group the section does not list
        g = getattr(var, attr)
        if g is None:
            continue
        if g not in groups:
            groups[g] = {"label": g, "items": []}
        if name not in groups[g]["items"]:
            groups[g]["items"].append(name)
    if section == "scales":
        for g in groups.values():
            rngs = {variables[i].valid_range for i in g["items"] if i in variables}
            if len(rngs) == 1 and None not in rngs:
                lo, hi = rngs.pop()
                g.setdefault("min", lo)
                g.setdefault("max", hi)
    return groups


def dump_yaml(data: Any) -> str:
    """Deterministic YAML: the given key order, block style, Unicode kept, wide lines."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)


# ─── a draft codebook from an SPSS file ──────────────────────────────────────────────────────────────

_DATE_FORMATS = re.compile(r"^(DATE|ADATE|EDATE|JDATE|SDATE|QYR|MOYR|WKYR|DATETIME|YMDHMS|MTIME|TIME|DTIME)", re.I)
_PII_NAMES = re.compile(r"e[-_]?mail|phone|mobile|telephone|first_?name|last_?name|surname|full_?name|address|postcode"
                        r"|zip", re.I)
_WEIGHT_NAMES = re.compile(r"^(weight|wgt|wt|w)$|weight", re.I)


def _missing_from_meta(name: str, meta: Any) -> list[Any]:
    out: list[Any] = []
    for r in (getattr(meta, "missing_ranges", None) or {}).get(name, []):
        lo, hi = _clean_code(r["lo"]), _clean_code(r["hi"])
        out.append(lo if lo == hi else [lo, hi])
    for v in (getattr(meta, "missing_user_values", None) or {}).get(name, []):
        v = _clean_code(v)
        if v not in out:
            out.append(v)
    return out


def _guess_type(name: str, meta: Any, values: dict, missing: list, column: Any, first_id: bool) -> str:
    """Best guess of a column's codebook type from SPSS metadata (and the data, for uniqueness)."""
    kind = (getattr(meta, "readstat_variable_types", None) or {}).get(name, "double")
    fmt = str((getattr(meta, "original_variable_types", None) or {}).get(name, ""))
    measure = (getattr(meta, "variable_measure", None) or {}).get(name, "unknown")
    lname = name.lower()
    unique = column is not None and column.notna().all() and column.is_unique
    if kind == "string":
        if _PII_NAMES.search(lname):
            return "pii"
        if first_id and (lname == "id" or lname.endswith("id")) and unique:
            return "id"
        return "open"
    if _DATE_FORMATS.match(fmt):
        return "date"
    if lname == "wave":
        return "wave"
    if first_id and (lname == "id" or lname.endswith("_id") or lname == "respid") and unique and not values:
        return "id"
    if _WEIGHT_NAMES.search(lname) and not values:
        return "weight"
    valid = sorted(c for c in values if _is_number(c) and not _missing_match(c, missing))
    if valid:
        consecutive = valid == list(range(int(valid[0]), int(valid[-1]) + 1)) if all(
            isinstance(c, int) for c in valid) else False
        if consecutive and valid[0] == 0 and valid[-1] == 10:
            return "nps"
        if measure == "nominal":
            return "single"
        if consecutive and 3 <= len(valid) <= 11 and valid[0] in (0, 1):
            return "likert"
        return "single"
    if "nps" in lname or "recommend" in lname:
        return "nps"
    return "numeric"


def _missing_match(code: Any, missing: list) -> bool:
    return Variable("_", "_", "numeric", missing=missing).is_missing_code(code)


def codebook_from_sav(sav_path: str | Path) -> Codebook:
    """Draft a :class:`Codebook` from an SPSS ``.sav`` file's metadata.

    Read with pyreadstat (``user_missing=True``): variable labels become labels, value labels become
    ``values``, user-missing values and ranges become ``missing``, and SPSS multiple-response sets
    (``meta.mr_sets``; dichotomy sets become ``multi`` items) become ``multi_sets``. The type is a guess:
    string columns are ``open`` (``pii`` when the name says e-mail/phone/name, ``id`` for the first unique
    ``...id`` column); date formats are ``date``; a column named ``wave`` is ``wave``; labelled codes 0..10 are
    ``nps``; other labelled codes are ``single`` when the measure level is nominal, else ``likert`` when they
    are 3-11 consecutive integers; unlabelled numbers are ``numeric`` (``weight`` when the name says so).
    Review the draft before using it.
    """
    import pyreadstat

    path = Path(sav_path)
    if not path.is_file():
        raise CodebookError(f"{path}: SPSS file not found")
    try:
        df, meta = pyreadstat.read_sav(str(path), user_missing=True, disable_datetime_conversion=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError / PyreadstatError types
        raise CodebookError(f"{path}: not a readable SPSS .sav file ({exc})") from exc
    return _codebook_from_meta(df, meta, title=meta.file_label or path.stem, source=path)


def _codebook_from_meta(df: Any, meta: Any, *, title: str, source: Path | None = None) -> Codebook:
    labels = getattr(meta, "column_names_to_labels", None) or {}
    value_labels = getattr(meta, "variable_value_labels", None) or {}
    mr_sets = getattr(meta, "mr_sets", None) or {}
    set_of: dict[str, tuple[str, dict]] = {}
    for sname, s in mr_sets.items():
        for item in s.get("variable_list", []):
            set_of[item] = (str(sname).lstrip("$"), s)
    variables: dict[str, Variable] = {}
    id_col = None
    for name in meta.column_names:
        values = {_clean_code(k): str(v) for k, v in (value_labels.get(name) or {}).items()}
        missing = _missing_from_meta(name, meta)
        column = df[name] if df is not None and name in getattr(df, "columns", []) else None
        if name in set_of and set_of[name][1].get("is_dichotomy", set_of[name][1].get("type") == "D"):
            vtype = "multi"
        else:
            vtype = _guess_type(name, meta, values, missing, column, first_id=id_col is None)
        if vtype == "id":
            id_col = name
        var = Variable(name=name, label=(labels.get(name) or name).strip() or name, type=vtype,
                       values=values if vtype in ("single", "likert", "nps", "wave", "multi") else {},
                       missing=missing, required=vtype == "id")
        if vtype == "likert" and not var.valid_range:
            var.type = "single"
        if name in set_of:
            var.set = set_of[name][0]
        variables[name] = var
    multi_sets = {}
    for sname, s in mr_sets.items():
        key = str(sname).lstrip("$")
        multi_sets[key] = {"label": str(s.get("label") or key), "items": [str(i) for i in s.get("variable_list", [])]}
    first = lambda t: next((n for n, v in variables.items() if v.type == t), None)  # noqa: E731
    return Codebook(variables=variables, title=str(title), id=first("id"), wave=first("wave"),
                    weight=first("weight"), multi_sets=multi_sets, source=source)


def codebook_yaml_for(path: str | Path) -> str:
    """A draft codebook (YAML text) for an SPSS ``.sav`` file: ``cfresearch codebook data.sav > codebook.yaml``.

    Variable labels, value labels and user-missing codes come from the file's metadata; the type of each
    variable is a guess to check (see :func:`codebook_from_sav`).

    >>> import tempfile, pyreadstat, pandas as pd
    >>> path = Path(tempfile.mkdtemp()) / "wave1.sav"
    >>> pyreadstat.write_sav(pd.DataFrame({"id": [1.0, 2.0], "q1": [1.0, 2.0]}), str(path),
    ...                      column_labels=["Respondent", "Overall rating"],
    ...                      variable_value_labels={"q1": {1.0: "Poor", 2.0: "Good"}})
    >>> print(codebook_yaml_for(path).split("variables:")[1])
      id:
        label: Respondent
        type: id
        required: true
      q1:
        label: Overall rating
        type: single
        values:
          1: Poor
          2: Good
    <BLANKLINE>
    """
    return codebook_from_sav(path).to_yaml()
