"""The cost model: what each service activity costs, by rate or by time (time-driven activity-based costing).

A cost model is a YAML file (or the same structure as a dict)::

    currency: GBP
    activities:
      order:           {rate: 1.20, driver: transactions}   # money per event, counted from the transactions
      delivery:        {rate: 6.50, driver: transactions}
      return:          {rate: 8.00, driver: transactions}
      support_contact: {minutes: 9, pool: service_desk}      # time-driven: minutes x the pool's cost per minute
      visit:           {minutes: 50, pool: field_team}
    pools:
      service_desk: {cost: 180000, practical_minutes: 300000}
      field_team:   {cost: 240000, practical_minutes: 250000, period: year}
    fixed:
      Business: 50000                                        # spread equally over the segment's customers

Activities are costed in one of two ways (never both):

* by **rate**: money per event (``rate``), as in conventional activity-based costing (Cooper & Kaplan 1991);
* by **time** (``minutes`` and ``pool``), as in time-driven ABC (Kaplan & Anderson 2004, "Time-driven
  activity-based costing", *Harvard Business Review* 82(11), 131-138): a pool of resources has a cost and a
  *practical capacity* in minutes (typically 80-85% of the theoretical); its **capacity cost rate** is
  cost / practical minutes, and an event costs its unit time x that rate. Recorded minutes of an activity
  (the activities table's ``minutes`` column) replace the unit time. The capacity a pool supplied but no
  activity used, cost - rate x minutes used, is **unused capacity**: it is reported apart
  (:meth:`CostModel.capacity`) and never spread over customers.

``driver: transactions`` means the events are counted from the transactions rather than read from the
activities table: ``order`` (one per distinct order), ``delivery`` (one per delivered order) and ``return``
(one per returned order). Other activities come from the activities table (``driver: activities``, the
default).

Values are numbers in the model's currency and in minutes, or strings with a unit: ``"1.20 GBP"``,
``"0.15 h"``, ``"5000 hours"``. A pool may state the ``period`` its cost and capacity cover (``year``,
``quarter``, ``month``, ``week``, ``day`` or a number of days); the ledger then scales both to the analysis
window before reporting unused capacity (the capacity cost rate does not change). Without a ``period`` a pool
is taken to cover the analysis window.

Every problem is reported at once, as a :class:`cfresearch.data.DataError` naming the file, the YAML line
(``row``) and the key (``column``, e.g. ``activities.visit.minutes``): a missing rate, an unknown pool, both a
rate and minutes, negative values, a unit mismatch (a cost per minute given as an activity's rate, minutes in
a currency, another currency than the model's), an unknown key.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from ..data import DataError, issues_frame
from ..results import Result

__all__ = ["DERIVED_ACTIVITIES", "ActivityCost", "CostModel", "Pool", "load_cost_model"]

#: Activities that can be counted from the transactions (``driver: transactions``) and what one event is.
DERIVED_ACTIVITIES = {"order": "a distinct order", "delivery": "a delivered order", "return": "a returned order"}

_PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4, "year": 365.25}
_TIME_UNITS = {"s": 1 / 60, "sec": 1 / 60, "second": 1 / 60, "seconds": 1 / 60, "min": 1.0, "mins": 1.0,
               "minute": 1.0, "minutes": 1.0, "h": 60.0, "hr": 60.0, "hrs": 60.0, "hour": 60.0, "hours": 60.0}
_ACTIVITY_KEYS = ("rate", "minutes", "pool", "driver", "description")
_POOL_KEYS = ("cost", "practical_minutes", "period", "description")
_TOP_KEYS = ("currency", "activities", "pools", "fixed", "description")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VALUE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z$€£]*)\s*(?:/\s*(\w+))?\s*$")


@dataclass(frozen=True)
class Pool:
    """A resource pool of time-driven ABC: its cost and practical capacity (minutes) over ``period_days``
    (None: the analysis window), and ``line``, its line in the YAML file."""

    name: str
    cost: float
    practical_minutes: float
    period_days: float | None = None
    line: int = 0

    @property
    def rate(self) -> float:
        """The capacity cost rate: cost / practical minutes (Kaplan & Anderson 2004)."""
        return self.cost / self.practical_minutes


@dataclass(frozen=True)
class ActivityCost:
    """How one activity is costed: ``rate`` (money per event) or ``minutes`` per event in ``pool``; ``driver``
    "transactions" (counted from the transactions) or "activities" (read from the activities table)."""

    name: str
    driver: str = "activities"
    rate: float | None = None
    minutes: float | None = None
    pool: str | None = None
    line: int = 0

    @property
    def time_driven(self) -> bool:
        return self.pool is not None


@dataclass(frozen=True)
class CostModel(Result):
    """A checked cost model (see the module docstring); ``to_frame()`` lists the activities and their unit
    costs, ``pools_frame()`` the pools and their capacity cost rates.

    >>> model = load_cost_model({"currency": "GBP",
    ...     "activities": {"order": {"rate": 1.2, "driver": "transactions"},
    ...                    "support_contact": {"minutes": 9, "pool": "service_desk"}},
    ...     "pools": {"service_desk": {"cost": 180000, "practical_minutes": 300000}}})
    >>> model.unit_cost("support_contact")  # 9 minutes x 180,000 / 300,000 per minute
    5.4
    >>> model.to_frame()[["activity", "driver", "unit_cost"]]
              activity        driver  unit_cost
    0            order  transactions        1.2
    1  support_contact    activities        5.4
    """

    activities: dict = field(default_factory=dict)
    pools: dict = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)
    currency: str = ""
    source: str = "cost model"

    @property
    def derived(self) -> tuple[str, ...]:
        """The activities counted from the transactions (``driver: transactions``)."""
        return tuple(a.name for a in self.activities.values() if a.driver == "transactions")

    def unit_cost(self, activity: str) -> float:
        """The cost of one event of ``activity`` at its unit time (rate, or minutes x the pool's rate)."""
        a = self.activities[activity]
        if a.pool is None:
            return a.rate
        pool = self.pools[a.pool]
        return a.minutes * pool.cost / pool.practical_minutes

    def to_frame(self) -> pd.DataFrame:
        rows = [{"activity": a.name, "driver": a.driver, "rate": a.rate, "minutes": a.minutes, "pool": a.pool,
                 "pool_rate": self.pools[a.pool].rate if a.pool else math.nan, "unit_cost": self.unit_cost(a.name)}
                for a in self.activities.values()]
        return pd.DataFrame(rows, columns=["activity", "driver", "rate", "minutes", "pool", "pool_rate",
                                           "unit_cost"])

    def pools_frame(self) -> pd.DataFrame:
        """One row per pool: cost, practical_minutes, rate (capacity cost rate), period_days."""
        return pd.DataFrame([{"pool": p.name, "cost": p.cost, "practical_minutes": p.practical_minutes,
                              "rate": p.rate, "period_days": p.period_days} for p in self.pools.values()],
                            columns=["pool", "cost", "practical_minutes", "rate", "period_days"])

    def capacity(self, minutes_used: dict, *, days: float | None = None) -> pd.DataFrame:
        """Used and unused capacity of each pool, given the minutes each pool's activities used
        (``{pool: minutes}``) over an analysis window of ``days`` (scales pools that state a period).

        cost is the pool's cost for the window; used_cost = rate x minutes_used; unused_cost = cost - used_cost
        (negative when the pool was used beyond its practical capacity). Kaplan & Anderson (2004).

        >>> model = load_cost_model({"activities": {"inquiry": {"minutes": 44, "pool": "dept"}},
        ...                          "pools": {"dept": {"cost": 560000, "practical_minutes": 700000}}})
        >>> model.capacity({"dept": 578600})
           pool      cost  rate  minutes_used  used_cost  unused_cost
        0  dept  560000.0   0.8      578600.0   462880.0      97120.0
        """
        rows = []
        for p in self.pools.values():
            scale = 1.0 if p.period_days is None or days is None else days / p.period_days
            used = float(minutes_used.get(p.name, 0.0))
            cost = p.cost * scale
            rows.append({"pool": p.name, "cost": cost, "rate": p.rate, "minutes_used": used,
                         "used_cost": used * p.rate, "unused_cost": cost - used * p.rate})
        return pd.DataFrame(rows, columns=["pool", "cost", "rate", "minutes_used", "used_cost", "unused_cost"])

    def summary(self) -> str:
        n_time = sum(a.time_driven for a in self.activities.values())
        text = (f"Cost model ({self.source}): {len(self.activities)} activities ({n_time} time-driven), "
                f"{len(self.pools)} pools, fixed costs for {len(self.fixed)} segments; currency {self.currency or '-'}")
        for p in self.pools.values():
            text += f"\n  pool {p.name}: {p.cost:,.2f} / {p.practical_minutes:,.0f} min = {p.rate:.4f} per minute"
        return text


# -- reading ---------------------------------------------------------------------------------------------------
class _Reader:
    """Walks the YAML tree, keeping each key's line, and collects every problem as an issue."""

    def __init__(self, text: str | None, data: dict | None, label: str):
        self.label, self.issues, self.lines = label, [], {}
        if text is not None:
            try:
                node = yaml.compose(text)
            except yaml.YAMLError as exc:
                raise _yaml_error(label, exc) from None
            self.data = self._plain(node, ()) if node is not None else {}
        else:
            self.data = data

    def _plain(self, node, path):
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out = {}
            for key, value in node.value:
                k = str(yaml.safe_load(yaml.serialize(key)))
                self.lines[path + (k,)] = key.start_mark.line + 1
                out[k] = self._plain(value, path + (k,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._plain(v, path + (str(i),)) for i, v in enumerate(node.value)]
        return yaml.safe_load(yaml.serialize(node))

    def line(self, path) -> int:
        return self.lines.get(tuple(path), 0)

    def problem(self, path, message: str, kind: str, value="") -> None:
        self.issues.append({"row": self.line(path), "column": ".".join(path), "value": _show(value),
                            "problem": message, "kind": kind, "action": "raise"})

    def mapping(self, value, path) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping of names to settings; got {type(value).__name__}",
                         "not a mapping", value)
            return {}
        return value

    def known_keys(self, entry: dict, path, allowed) -> None:
        import difflib

        for key in entry:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f"; expected one of {list(allowed)}"
                self.problem(path + (key,), f"unknown key {key!r}{hint}", "unknown key", key)

    def amount(self, value, path, *, what: str, currency: str, allow_zero=True) -> float | None:
        """A non-negative amount of money in the model's currency."""
        number, unit, per = self._split(value, path)
        if number is None:
            return None
        if per is not None:
            kind = "a cost per minute" if per.lower() in _TIME_UNITS else f"a cost per {per}"
            self.problem(path, f"unit mismatch: {what} is money per event; got {kind} ({value!r}) — a cost per "
                               "minute belongs to a pool (give the activity minutes: and pool:)", "unit mismatch",
                         value)
            return None
        if unit and unit.lower() in _TIME_UNITS:
            self.problem(path, f"unit mismatch: {what} is money; got a time ({value!r})", "unit mismatch", value)
            return None
        if unit and currency and unit.upper() != currency.upper():
            self.problem(path, f"unit mismatch: {what} is in {unit}; the model's currency is {currency}",
                         "unit mismatch", value)
            return None
        return self._check_sign(number, path, what, allow_zero)

    def minutes(self, value, path, *, what: str, allow_zero=True) -> float | None:
        """A non-negative time, converted to minutes."""
        number, unit, per = self._split(value, path)
        if number is None:
            return None
        if unit and unit.lower() not in _TIME_UNITS or per is not None:
            self.problem(path, f"unit mismatch: {what} is a time (minutes, or a string such as '0.5 h'); got "
                               f"{value!r}", "unit mismatch", value)
            return None
        return self._check_sign(number * _TIME_UNITS.get(unit.lower(), 1.0) if unit else number, path, what,
                                allow_zero)

    def _split(self, value, path):
        if isinstance(value, bool) or value is None:
            self.problem(path, f"expected a number; got {value!r}", "not a number", value)
            return None, None, None
        if isinstance(value, (int, float)):
            return float(value), "", None
        m = _VALUE.match(str(value))
        if not m:
            self.problem(path, f"expected a number (optionally with a unit, e.g. '1.20 GBP' or '9 min'); got "
                               f"{value!r}", "not a number", value)
            return None, None, None
        return float(m.group(1)), m.group(2), m.group(3)

    def _check_sign(self, number: float, path, what: str, allow_zero: bool) -> float | None:
        if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
            self.problem(path, f"{what} must be {'>= 0' if allow_zero else '> 0'}; got {number:g}",
                         "negative value" if number < 0 else "not positive", number)
            return None
        return number


def _show(value) -> str:
    return "" if value is None else str(value)


def _read_pools(r: _Reader, currency: str) -> dict[str, Pool]:
    pools = {}
    for name, entry in r.mapping(r.data.get("pools"), ("pools",)).items():
        path = ("pools", name)
        if not isinstance(entry, dict):
            r.problem(path, "a pool needs cost: and practical_minutes:", "missing value", entry)
            continue
        r.known_keys(entry, path, _POOL_KEYS)
        missing = [k for k in ("cost", "practical_minutes") if k not in entry]
        if missing:
            r.problem(path, f"pool {name!r} has no {' and no '.join(missing)} (a pool needs its cost and its "
                            "practical capacity in minutes)", "missing value")
            continue
        cost = r.amount(entry["cost"], path + ("cost",), what="a pool's cost", currency=currency)
        minutes = r.minutes(entry["practical_minutes"], path + ("practical_minutes",), what="practical capacity",
                            allow_zero=False)
        period = _period(r, entry.get("period"), path + ("period",))
        if cost is not None and minutes is not None:
            pools[name] = Pool(name, cost, minutes, period, r.line(path))
    return pools


def _period(r: _Reader, value, path) -> float | None:
    if value is None:
        return None
    if isinstance(value, str) and value.lower() in _PERIOD_DAYS:
        return _PERIOD_DAYS[value.lower()]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    r.problem(path, f"period must be one of {list(_PERIOD_DAYS)} or a number of days; got {value!r}",
              "unknown period", value)
    return None


def _read_activity(r: _Reader, name: str, entry, pools: dict, declared_pools, currency: str):
    path = ("activities", name)
    if not _NAME.match(name):
        r.problem(path, f"activity names are letters, digits and _ (they become columns cts_<name>); got {name!r}",
                  "bad name", name)
        return None
    if isinstance(entry, (int, float, str)) and not isinstance(entry, bool):
        entry = {"rate": entry}  # `order: 1.20` is short for `order: {rate: 1.20}`
    if not isinstance(entry, dict):
        r.problem(path, "missing rate: give rate: (money per event) or minutes: and pool: (time-driven)",
                  "missing rate", entry)
        return None
    r.known_keys(entry, path, _ACTIVITY_KEYS)
    driver = entry.get("driver", "activities")
    if driver not in ("activities", "transactions"):
        r.problem(path + ("driver",), f"driver must be 'transactions' or 'activities'; got {driver!r}",
                  "unknown driver", driver)
    elif driver == "transactions" and name not in DERIVED_ACTIVITIES:
        r.problem(path + ("driver",), f"only {list(DERIVED_ACTIVITIES)} can be counted from the transactions; "
                                      f"{name!r} must come from the activities table", "unknown driver", name)
    has_rate, has_time = "rate" in entry, "minutes" in entry or "pool" in entry
    if has_rate and has_time:
        r.problem(path, f"activity {name!r} has both a rate and minutes/pool: give rate: (money per event) or "
                        "minutes: and pool: (time-driven), not both", "both rate and minutes")
        return None
    if not has_rate and not has_time:
        r.problem(path, f"missing rate: activity {name!r} has neither rate: nor minutes: and pool:",
                  "missing rate")
        return None
    if has_rate:
        rate = r.amount(entry["rate"], path + ("rate",), what="rate", currency=currency)
        return None if rate is None else ActivityCost(name, driver, rate=rate, line=r.line(path))
    if "minutes" not in entry or "pool" not in entry:
        miss = "minutes:" if "minutes" not in entry else "pool:"
        r.problem(path, f"missing rate: time-driven activity {name!r} has no {miss} (give its unit minutes and the "
                        "pool whose cost per minute prices them)", "missing rate")
        return None
    pool = entry["pool"]
    if pool not in declared_pools:
        r.problem(path + ("pool",), f"unknown pool {pool!r}; pools are {sorted(declared_pools)}", "unknown pool",
                  pool)
        return None
    minutes = r.minutes(entry["minutes"], path + ("minutes",), what="unit minutes")
    if minutes is None or pool not in pools:
        return None
    return ActivityCost(name, driver, minutes=minutes, pool=pool, line=r.line(path))


def _read_fixed(r: _Reader, currency: str) -> dict[str, float]:
    fixed = {}
    for segment, value in r.mapping(r.data.get("fixed"), ("fixed",)).items():
        amount = r.amount(value, ("fixed", segment), what="a fixed cost", currency=currency)
        if amount is not None:
            fixed[str(segment)] = amount
    return fixed


def _yaml_error(label: str, exc: yaml.YAMLError) -> DataError:
    """The error for text that is not YAML, on one line: the line, what the parser expected, and where the
    construct it was reading began (an unclosed bracket is found only on a later line)."""
    mark, context = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    began = (f" ({exc.context} on line {context.line + 1})" if getattr(exc, "context", None) and context
             and (mark is None or context.line != mark.line) else "")
    issue = {"row": (mark.line + 1) if mark else 0, "column": "", "problem": f"not valid YAML: {problem}{began}; "
             "check brackets, indentation and the quoting of values holding ':' or '#'", "kind": "not valid YAML",
             "action": "raise"}
    return DataError.from_issues(label, issues_frame([issue]), what="in the cost model")


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        issue = {"row": line, "column": "encoding", "problem": f"byte 0x{raw[exc.start]:02X} is not UTF-8; save the "
                 "cost model as UTF-8", "kind": "encoding", "action": "raise"}
        raise DataError.from_issues(path, issues_frame([issue]), what="in the cost model") from None


def load_cost_model(source) -> CostModel:
    """Read and check a cost model: a YAML file path, YAML text, a dict, or a :class:`CostModel` (returned).

    Every problem found is reported at once in a :class:`cfresearch.data.DataError` whose ``issues`` give the
    YAML line (``row``) and key (``column``); see the module docstring for the format.

    >>> load_cost_model('''
    ... currency: GBP
    ... activities:
    ...   order: {rate: 1.20, driver: transactions}
    ...   visit: {minutes: 50, pool: field_team}
    ...   call:  {rate: 0.80 GBP/min}
    ... pools:
    ...   field_team: {cost: 240000, practical_minutes: 250000}
    ... ''').unit_cost("visit")
    Traceback (most recent call last):
    ...
    cfresearch.data.DataError: cost model: 1 problem in the cost model:
      row 6, column activities.call.rate: value '0.80 GBP/min' — unit mismatch: rate is money per event; got a cost \
per minute ('0.80 GBP/min') — a cost per minute belongs to a pool (give the activity minutes: and pool:)
    """
    if isinstance(source, CostModel):
        return source
    if isinstance(source, dict):
        r, label = _Reader(None, source, "cost model"), "cost model"
    elif isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                      and source.strip().lower().endswith((".yaml", ".yml"))):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"{path}: cost model file not found", path=path)
        r, label = _Reader(_read_text(path), None, str(path)), str(path)
    elif isinstance(source, str):
        r, label = _Reader(source, None, "cost model"), "cost model"
    else:
        raise ValueError(f"load_cost_model: expected a YAML file, YAML text or a dict; got {type(source).__name__}")
    if not isinstance(r.data, dict):
        raise DataError(f"{label}: a cost model is a mapping with activities:, pools: and fixed:", path=label)
    r.known_keys(r.data, (), _TOP_KEYS)
    currency = str(r.data.get("currency") or "")
    pools = _read_pools(r, currency)
    declared = set(r.mapping(r.data.get("pools"), ("pools",)))
    activities = {}
    for name, entry in r.mapping(r.data.get("activities"), ("activities",)).items():
        a = _read_activity(r, str(name), entry, pools, declared, currency)
        if a is not None:
            activities[a.name] = a
    if not r.data.get("activities") and not r.issues:
        r.problem(("activities",), "the cost model has no activities", "missing rate")
    fixed = _read_fixed(r, currency)
    if r.issues:
        raise DataError.from_issues(label, issues_frame(r.issues), what="in the cost model")
    return CostModel(activities, pools, fixed, currency, label)
