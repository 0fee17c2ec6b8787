"""Loading the ledgers: transactions, service activities and customers, checked row by row inside the engine.

Each loader reads a CSV or Parquet file, a table in a DuckDB database file (``table=``), a pandas DataFrame,
or a Spark DataFrame / table name (``engine="spark"``), and returns a :class:`LoadedTable`: an Ibis table of the
valid rows in the contract's columns and types, bound to its engine (:mod:`cfresearch.profit.engine`), with
what validation found. The raw file is only read, never changed.

Columns (rename yours with ``columns={"customer_id": "CustomerID", ...}``, contract name -> your name):

============  ==============================================================================================
transactions  customer_id, order_id (text), date, revenue (>= 0 on a sale; a refund is a separate row with
              returned = true and negative revenue referring to an existing order_id), cogs (or margin, then
              cogs = revenue - margin), quantity (whole number >= 1; default 1), channel (default missing),
              delivered (default false), returned (default false)
activities    customer_id, date, activity (a name in the cost model), count (whole number >= 1; default 1),
              minutes (the row's recorded minutes in all; missing when unknown)
customers     customer_id, then any attributes (segment, region, signup_date, ...)
============  ==============================================================================================

Validation runs in the engine as SQL (Ibis expressions), so a file larger than memory is checked without
loading it into pandas: one aggregate counts every row-level problem, and only when there are problems are the
first examples fetched. It finds: missing required values; values that are not numbers, dates or true/false;
quantities and counts below 1 or not whole; negative revenue or cost of goods on a sale; negative minutes;
dates outside the analysis window ``start``..``end`` (inclusive); refunds whose order_id has no sale to the
same customer; duplicate order lines (a row identical in every column to an earlier one); customers unknown to
the customers table (when one is given); activities without a rate in the cost model, and activities the cost
model counts from the transactions (``driver: transactions``) that also appear in the activities table (they
would be counted twice); duplicate customer ids. The two checks across rows of transactions run only where one pass over
the orders (:mod:`cfresearch.profit.orders`, kept for the ledger) finds an order they could concern.

A CSV file is first read whole by the engine (:meth:`cfresearch.profit.engine.Engine.read`): a stray quote
that would swallow records, a quote never closed, a row with more or fewer fields than the header, bytes that
are not UTF-8, an empty or header-only file are errors naming the line, before any row is checked.

``on_invalid="raise"`` (default) stops with a :class:`cfresearch.data.DataError` naming the file, the row and the
column of every problem (the first ten in the message, all counted); ``"exclude"`` leaves those rows out and
counts them by reason in ``LoadedTable.excluded`` (the ledger and the report show the counts).

Rows: for CSV the line in the file where the record starts (header = line 1, first record = line 2; blank
lines and quoted fields over several lines are counted as an editor shows them), for Parquet, DuckDB tables
and DataFrames the record number (first = 1), for Spark sources 0 (Spark keeps no row order; the value and the
ids identify the row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..checks import check_choice
from ..data import DataError, issues_frame
from ..results import Result
from .costs import CostModel, load_cost_model
from .engine import Engine, get_engine
from .orders import channels_of, orders_per_customer, packs_bits

__all__ = ["ACTIVITY_COLUMNS", "CUSTOMER_COLUMNS", "TRANSACTION_COLUMNS", "LoadedTable", "load_activities",
           "load_customers", "load_transactions"]

#: Contract columns of each table: name -> (type, required, default when absent).
TRANSACTION_COLUMNS = {
    "customer_id": ("string", True, None), "order_id": ("string", True, None), "date": ("date", True, None),
    "revenue": ("float64", True, None), "cogs": ("float64", True, None), "quantity": ("int64", False, 1),
    "channel": ("string", False, None), "delivered": ("boolean", False, False), "returned": ("boolean", False, False),
    "delivery_fee": ("float64", False, 0.0),
}
ACTIVITY_COLUMNS = {
    "customer_id": ("string", True, None), "date": ("date", True, None), "activity": ("string", True, None),
    "count": ("int64", False, 1), "minutes": ("float64", False, None),
}
CUSTOMER_COLUMNS = {"customer_id": ("string", True, None)}

_TRUE, _FALSE = ("true", "t", "yes", "y", "1"), ("false", "f", "no", "n", "0")
_MAX_EXAMPLES = 1000
_EXCLUDED_COLUMNS = ["table", "kind", "column", "problem", "rows"]


@dataclass(frozen=True)
class LoadedTable(Result):
    """A loaded, validated table (see the module docstring): ``table`` the Ibis table of the valid rows in the
    contract's columns, on ``engine``; ``n_read`` rows read, ``n_valid`` kept; ``excluded`` the rows left out,
    counted by reason (table, kind, column, problem, rows); ``issues`` the first examples (row, column, value,
    problem, kind, action); ``first_date``/``last_date`` the valid rows' date range."""

    kind: str
    table: object = field(repr=False)
    engine: Engine = field(repr=False)
    source: str = ""
    n_read: int = 0
    n_valid: int = 0
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_EXCLUDED_COLUMNS), repr=False)
    issues: pd.DataFrame = field(default_factory=issues_frame, repr=False)
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    first_date: pd.Timestamp | None = None
    last_date: pd.Timestamp | None = None
    #: transactions only: what validation computed in the engine for the ledger, {"orders": the cached
    #: :func:`cfresearch.profit.orders.orders_per_customer` of the valid rows (absent when validation left rows out
    #: after computing it, or did not run), "customers": their number}. The ledger takes the orders out, so that
    #: the engine frees them once used.
    cache: dict = field(default_factory=dict, repr=False, compare=False)
    channels: tuple = field(default=(), repr=False)

    def to_pandas(self) -> pd.DataFrame:
        """The valid rows as a pandas DataFrame (brings the whole table to Python: for small tables and tests)."""
        return self.engine.collect(self.table)

    def to_frame(self) -> pd.DataFrame:
        """One row: the table, its source, rows read, valid and excluded, and the valid rows' date range (the
        excluded rows by reason are ``excluded``)."""
        return pd.DataFrame([{"table": self.kind, "source": self.source, "rows_read": self.n_read,
                              "rows_valid": self.n_valid, "rows_excluded": self.n_read - self.n_valid,
                              "first_date": self.first_date, "last_date": self.last_date}])

    def summary(self) -> str:
        text = f"{self.kind} from {self.source}: {self.n_read:,} rows read, {self.n_valid:,} valid"
        if self.n_read > self.n_valid:
            reasons = "; ".join(f"{r.kind} ({r.column}): {r.rows:,}" for r in self.excluded.itertuples())
            text += f", {self.n_read - self.n_valid:,} excluded ({reasons})"
        return text


# -- typed projection -------------------------------------------------------------------------------------------
def _typed(raw, kind: str):
    """(typed value, flag of a value that is there but not of the type or None, flag of a number that is not whole
    or None) for one raw column. A column already of the type is taken as it is (no flags to compute)."""
    import ibis

    dt = raw.type()
    if kind == "string":
        return (raw if dt.is_string() else raw.cast("string")), None, None
    if kind == "date" and (dt.is_date() or dt.is_timestamp()):
        return (raw if dt.is_date() else raw.cast("date")), None, None
    if kind == "boolean" and dt.is_boolean():
        return raw, None, None
    if kind in ("float64", "int64") and dt.is_integer():
        return raw.cast(kind), None, None
    if kind == "float64" and dt.is_floating():
        return raw.isnan().ifelse(ibis.null("float64"), raw.cast("float64")), None, None
    if kind == "date":
        text = raw.cast("string").strip()
        value = ibis.coalesce(text.try_cast("date"), text.try_cast("timestamp").cast("date"))
    elif kind == "boolean":
        if dt.is_numeric():
            value = raw != 0
        else:
            text = raw.cast("string").strip().lower()
            value = ibis.cases((text.isin(_TRUE), True), (text.isin(_FALSE), False), else_=ibis.null("boolean"))
    else:  # a float64 or int64 from text or floats (int64 checked to be whole)
        number = raw.cast("float64") if dt.is_numeric() or dt.is_boolean() else raw.try_cast("float64")
        number = number.isnan().ifelse(ibis.null("float64"), number)
        if kind == "int64":
            whole = (number == number.floor()).fill_null(True)
            return number.cast("int64"), (raw.notnull() & number.isnull()).fill_null(False), ~whole
        value = number
    return value, (raw.notnull() & value.isnull()).fill_null(False), None


def _missing(raw):
    dt = raw.type()
    miss = raw.isnull()
    if dt.is_floating():
        miss = miss | raw.isnan().fill_null(False)
    if dt.is_string():
        miss = miss | (raw == "")
    return miss.fill_null(True)


_NOT_TYPE = {"date": ("not a date", "not a date (expected YYYY-MM-DD)"), "boolean": ("not a boolean",
             "not true/false"), "float64": ("not a number", "not a number"), "int64": ("not a number",
             "not a number")}


def _columns(source, spec: dict, rename: dict, where: str):
    """{contract name: source column name} for the columns present; DataError for a missing required column."""
    have = set(source.table.columns) - {"_row"}
    present, missing = {}, []
    for name, (_, required, _) in spec.items():
        col = rename.get(name, name)
        if col in have:
            present[name] = col
        elif required:
            missing.append(name)
    if spec is TRANSACTION_COLUMNS and "cogs" in missing and rename.get("margin", "margin") in have:
        missing.remove("cogs")
        present["margin"] = rename.get("margin", "margin")
    if missing:
        names = [rename.get(m, m) for m in missing]
        hint = " (or margin)" if "cogs" in missing else ""
        raise DataError.from_issues(source.label, issues_frame([{
            "row": 0, "column": n, "problem": f"missing column {n!r}{hint}; columns are {sorted(have)}",
            "kind": "missing column", "action": "raise"} for n in names]), hint=f"{where}: rename yours with "
            "columns={'customer_id': 'YourName', ...}", what=f"in the {where.removeprefix('load_')}")
    return present


def _typed_table(source, spec: dict, present: dict, attributes: list):
    """The typed contract columns (plus ``attributes`` as they are) and problem flags as columns ``_f<i>``;
    returns (table, {(kind, column, problem): flag column name})."""
    import ibis

    t = source.table
    values, found = {}, {}
    for name, (kind, required, default) in spec.items():
        col = present.get(name)
        if name == "cogs" and col is None and "margin" in present:
            raw_margin = t[present["margin"]]
            margin, bad, _ = _typed(raw_margin, "float64")
            if bad is not None:
                found[("not a number", present["margin"], "not a number")] = bad
            found[("missing value", present["margin"], "missing (a value is required)")] = _missing(raw_margin)
            values[name] = values["revenue"] - margin
            continue
        if col is None:
            values[name] = ibis.literal(default, type=kind) if default is not None else ibis.null(kind)
            continue
        value, bad, not_whole = _typed(t[col], kind)
        values[name] = value
        if bad is not None:
            found[(*_NOT_TYPE[kind][:1], col, _NOT_TYPE[kind][1])] = bad
        if not_whole is not None:
            found[("not a whole number", col, "not a whole number")] = not_whole
        if required:
            found[("missing value", col, "missing (a value is required)")] = _missing(t[col])
    flags = {k: f"_f{i}" for i, k in enumerate(found)}
    table = t.select(t["_row"], *[t[a] for a in attributes], **values,
                     **{flags[k]: e.fill_null(False) for k, e in found.items()})
    return table, flags


def _add_flags(t, flags: dict, new: dict):
    """``t`` with the ``new`` flag expressions (on ``t``) as columns; ``flags`` extended."""
    names = {k: f"_f{len(flags) + i}" for i, k in enumerate(new)}
    t = t.mutate(**{names[k]: e.fill_null(False) for k, e in new.items()}) if new else t
    return t, {**flags, **names}


def _range_flags(t, kind: str, present: dict, start, end) -> dict:
    flags = {}
    col = present.get
    if kind == "transactions":
        sale = ~t.returned.fill_null(False)
        if "quantity" in present:
            flags[("negative quantity", col("quantity"), "quantity below 1 (expected a whole number >= 1)")] = \
                t.quantity < 1
        flags[("negative revenue", col("revenue"), "negative revenue on a sale (a refund has returned = true)")] = \
            sale & (t.revenue < 0)
        cogs_col = col("cogs") or col("margin")
        what = "cost of goods" if "cogs" in present else "cost of goods (revenue - margin)"
        flags[("negative cogs", cogs_col, f"negative {what} on a sale")] = sale & (t.cogs < 0)
    if kind == "activities":
        if "count" in present:
            flags[("count below 1", col("count"), "count below 1 (expected a whole number >= 1)")] = t["count"] < 1
        if "minutes" in present:
            flags[("negative minutes", col("minutes"), "negative minutes")] = t.minutes < 0
    if start is not None or end is not None:
        lo, hi = _show_date(start) or "…", _show_date(end) or "…"
        parts = ([t.date < start.date()] if start is not None else []) + ([t.date > end.date()] if end is not None
                                                                          else [])
        out = parts[0] | parts[1] if len(parts) == 2 else parts[0]
        flags[("outside window", col("date"), f"date outside the analysis window {lo}..{hi}")] = out
    return flags


def _show_date(ts) -> str:
    return "" if ts is None else ts.strftime("%Y-%m-%d")


def _activity_flags(t, present: dict, cost_model: CostModel | None) -> dict:
    if cost_model is None:
        return {}
    known = sorted(cost_model.activities)
    derived = [n for n in cost_model.derived]
    named = f" {Path(cost_model.source).name}" if str(cost_model.source).lower().endswith((".yaml", ".yml")) else ""
    flags = {("unknown activity", present["activity"], f"no rate for this activity in the cost model{named} "
              f"(missing rate): add one there or correct the name; activities are {known}"): ~t.activity.isin(known)}
    if derived:
        flags[("derived activity", present["activity"], "counted from the transactions (driver: transactions "
               "in the cost model): remove these rows or set driver: activities")] = t.activity.isin(derived)
    return flags


def _known_customer(t, customers: LoadedTable | None):
    if customers is None:
        return t, {}
    keys = customers.table.select(_known_id="customer_id").distinct().mutate(_known_customer=True)
    joined = t.left_join(keys, t.customer_id == keys._known_id).drop("_known_id")
    return joined, {("unknown customer", "customer_id", "customer not in the customers table"):
                    joined._known_customer.isnull()}


# -- the checks that need a join or a group-by --------------------------------------------------------------------
def _orphan_refunds(t):
    """Refund rows whose order (customer_id, order_id) has no sale (an anti-join of the refunds on the sales)."""
    refunds = t.filter(t.returned.fill_null(False))
    sales = t.filter(~t.returned.fill_null(False))
    keys = ["customer_id", "order_id"]
    # the sales of refunded orders first (a semi-join that hashes the few refunds, not every sale)
    refunded = sales.semi_join(refunds.select(*keys), keys).select(*keys).distinct()
    return refunds.anti_join(refunded, keys)


def _duplicate_groups(raw):
    cols = [c for c in raw.columns if c != "_row"]
    g = raw.group_by(cols).aggregate(_n=raw.count(), _first=raw["_row"].min(), _last=raw["_row"].max())
    return g.filter(g._n > 1)


# -- the driver -----------------------------------------------------------------------------------------------
def _validate(engine: Engine, source, kind: str, spec: dict, *, rename, start, end, cost_model, customers,
              on_invalid, where, validate=True):
    import ibis

    present = _columns(source, spec, rename, where)
    attributes = _attributes(source, spec, present, kind)
    t, flags = _typed_table(source, spec, present, attributes)
    if not validate:  # trusted data: types applied, rows outside the window left out, nothing else checked
        t, flags, customers, cost_model = t.drop(*flags.values()), {}, None, None
        t = t.filter(t.date >= start.date()) if start is not None else t
        t = t.filter(t.date <= end.date()) if end is not None else t
    t, unknown = _known_customer(t, customers)
    t, flags = _add_flags(t, flags, unknown)
    t, flags = _add_flags(t, flags, _range_flags(t, kind, present, start, end) if validate else {})
    if kind == "activities":
        t, flags = _add_flags(t, flags, _activity_flags(t, present, cost_model))
    keys = list(flags)
    any_problem = ibis.or_(*[t[flags[k]] for k in keys]) if keys else ibis.literal(False)
    date_ok = t.date.notnull() & ~any_problem if "date" in t.columns else None
    stats = {f"p{i}": t[flags[k]].cast("int64").sum() for i, k in enumerate(keys)}
    stats |= {"n": t.count(), "bad": any_problem.cast("int64").sum() if keys else ibis.literal(0)}
    if date_ok is not None:
        stats |= {"first": t.date.min(where=date_ok), "last": t.date.max(where=date_ok)}
    if kind == "transactions":
        stats["refunds"] = t.returned.fill_null(False).cast("int64").sum()
    counts = engine.collect(t.aggregate(**stats)).iloc[0]
    found = {k: int(counts[f"p{i}"]) for i, k in enumerate(keys) if counts[f"p{i}"]}
    examples = _row_examples(engine, t, source, flags, found) if found else []
    n, n_bad = int(counts["n"]), int(counts["bad"])
    per, channels, checks, customers = None, (), {"orphans": True, "duplicates": True}, None
    rows_ok = t.filter(~any_problem) if n_bad else t
    if kind == "transactions" and validate:
        per, channels, checks, customers = _orders_pass(engine, rows_ok, present)
    extra, drops = _table_checks(engine, rows_ok, source, kind, present, counts, checks) if validate else ({}, [])
    found |= {k: v for k, (v, _) in extra.items()}
    examples += [e for _, ex in extra.values() for e in ex]
    valid, n_more = _drop(engine, rows_ok, drops)
    table = valid.select(*[c for c in spec if c in t.columns], *attributes)
    excluded = pd.DataFrame([{"table": kind, "kind": k[0], "column": k[1], "problem": k[2], "rows": v}
                             for k, v in found.items()], columns=_EXCLUDED_COLUMNS)
    issues = issues_frame(examples) if examples else issues_frame()
    if found and on_invalid == "raise":
        issues["action"] = "raise"
        hint = (f"{where}: fix the file, or pass on_invalid='exclude' to leave these rows out (they are then "
                "counted in the ledger's .excluded)")
        raise DataError.from_issues(source.label, issues.sort_values("row", kind="stable"), hint=hint,
                                    what=f"in the {kind}" + _more(found, issues))
    issues["action"] = "excluded"
    return LoadedTable(kind, table, engine, source.label, n, n - n_bad - n_more, excluded, issues, start, end,
                       _ts(counts.get("first")), _ts(counts.get("last")),
                       _cache(per, customers, drops), channels)


def _cache(per, customers: int | None, drops: list) -> dict:
    """What the ledger may reuse: the orders per customer when no row was dropped after they were counted, and
    their number of customers (the size of the ledger to come, an upper bound when rows were dropped)."""
    out = {"customers": customers} if customers is not None else {}
    return out | ({"orders": per} if per is not None and not drops else {})


def _orders_pass(engine: Engine, valid, present: dict):
    """The orders per customer of the rows without row-level problems (:mod:`cfresearch.profit.orders`), cached in
    the engine, and which cross-row checks it leaves to do: the refunds' anti-join only when an order has refunds
    and no sale, the duplicate-line group-by only when an order could hold two identical lines (identical rows
    have the same row-level problems: duplicates among rows left out already change nothing). Returns (cached
    table, channels, {check: needed}, its number of customers)."""
    channels = tuple(channels_of(engine, valid))
    per = orders_per_customer(valid, list(channels), fee="delivery_fee" in present, packed=packs_bits(engine)).cache()
    found = engine.collect(per.aggregate(orphans=per._orphan_orders.sum(), dups=per._dup_candidates.sum(),
                                         customers=per.count())).iloc[0]
    checks = {"orphans": bool(found["orphans"]), "duplicates": bool(found["dups"])}
    return per, channels, checks, int(found["customers"])


def _more(found: dict, issues: pd.DataFrame) -> str:
    total = sum(found.values())
    return f" ({total:,} in all)" if total > len(issues) else ""


def _ts(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def _attributes(source, spec, present, kind) -> list[str]:
    """The customers table's attribute columns (everything but the id), kept as they are."""
    if kind != "customers":
        return []
    used = set(present.values()) | set(spec) | {"_row"}
    return [c for c in source.table.columns if c not in used]


def _row_examples(engine: Engine, t, source, flags: dict, found: dict) -> list[dict]:
    """Up to _MAX_EXAMPLES problem rows (file order), one issue per problem on each."""
    import ibis

    keys = list(found)
    marked = t.mutate(**{f"f{i}": t[flags[k]] for i, k in enumerate(keys)})
    bad = marked.filter(ibis.or_(*[marked[f"f{i}"] for i in range(len(keys))]))
    raw_cols = sorted({k[1] for k in keys} & set(source.table.columns))
    # the raw values (as read) of the columns with problems, beside the typed ones
    raw = source.table.select("_row", **{f"raw_{c}": source.table[c].cast("string") for c in raw_cols})
    bad = bad.select("_row", *[f"f{i}" for i in range(len(keys))]).order_by("_row").limit(_MAX_EXAMPLES)
    rows = engine.collect(bad.left_join(raw, "_row").drop("_row_right").order_by("_row"))
    out = []
    for i, (kind, column, problem) in enumerate(keys):
        hit = rows[rows[f"f{i}"].astype(bool)]
        vals = hit[f"raw_{column}"] if f"raw_{column}" in hit.columns else pd.Series("", index=hit.index)
        for r, v in zip(hit["_row"], vals):
            out.append({"row": _row_of(source, r), "column": column, "value": "" if pd.isna(v) else str(v),
                        "problem": problem, "kind": kind})
    return sorted(out, key=lambda d: d["row"])


def _row_of(source, row) -> int:
    return int(row) if source.rows != "none" and row is not None and not pd.isna(row) else 0


def _table_checks(engine: Engine, t, source, kind: str, present: dict, counts, checks: dict) -> tuple[dict, list]:
    """Checks across rows, among ``t``, the rows without row-level problems (a row is excluded for one reason,
    counted once): refunds without a sale, duplicate order lines and customer ids (rows compared as read);
    ``checks``: which of the first two to run. Returns ({key: (count, examples)}, [tables of the rows (``_row``)
    to drop])."""
    extra, drops = {}, []
    if kind == "transactions" and int(counts.get("refunds", 0) or 0) and checks["orphans"]:
        orphans = _orphan_refunds(t)
        got = engine.collect(orphans.select("_row", "order_id").order_by("_row").limit(_MAX_EXAMPLES))
        n = len(got) if len(got) < _MAX_EXAMPLES else int(engine.collect(orphans.count().name("n")))
        if n:
            key = ("refund without order", present["order_id"], "a refund (returned = true) whose order_id has no "
                   "sale to the customer")
            extra[key] = (n, [{"row": _row_of(source, r), "column": key[1], "value": str(o), "problem": key[2],
                               "kind": key[0]} for r, o in zip(got["_row"], got["order_id"])])
            drops.append(orphans.select("_row"))
    if kind == "customers" or (kind == "transactions" and checks["duplicates"]):
        raw = source.table if kind == "transactions" else source.table.select("_row", present["customer_id"])
        raw = raw.semi_join(t.select("_row"), "_row")  # an invalid row and its copies are excluded as invalid
        groups = _duplicate_groups(raw)
        got = engine.collect(groups.select("_n", "_first", "_last").order_by("_last").limit(_MAX_EXAMPLES))
        if len(got):
            n = int((got["_n"] - 1).sum()) if len(got) < _MAX_EXAMPLES else \
                int(engine.collect(groups.aggregate(n=(groups._n - 1).sum())).iloc[0, 0])
            line = kind == "transactions"
            key = ("duplicate line" if line else "duplicate customer",
                   present["order_id"] if line else present["customer_id"],
                   f"duplicate {'order line' if line else 'customer id'} (the same as an earlier row)")
            where = (lambda r: f"same as row {int(r)}") if source.rows != "none" else (lambda r: "a repeated row")
            extra[key] = (n, [{"row": _row_of(source, last), "column": key[1],
                               "value": where(first) + (f" ({k} copies)" if k > 2 else ""), "problem": key[2],
                               "kind": key[0]} for k, first, last in zip(got["_n"], got["_first"], got["_last"])])
            drops.append(_later_copies(raw))
    return extra, drops


def _later_copies(raw):
    """The rows that repeat an earlier one (all but the first copy, by row number)."""
    import ibis

    cols = [c for c in raw.columns if c != "_row"]
    numbered = raw.mutate(_k=ibis.row_number().over(group_by=cols, order_by=raw["_row"]))
    return numbered.filter(numbered._k > 0).select("_row")


def _drop(engine: Engine, valid, drops: list):
    """Leave out the rows the cross-row checks found (by row number); returns (table, rows dropped)."""
    if not drops:
        return valid, 0
    marked = drops[0] if len(drops) == 1 else drops[0].union(drops[1])
    marked = marked.distinct().mutate(_drop=True)
    before = int(engine.collect(valid.count().name("n")))
    kept = valid.left_join(marked, "_row").drop("_row_right")
    kept = kept.filter(kept._drop.isnull()).drop("_drop")
    return kept, before - int(engine.collect(kept.count().name("n")))


def _window(start, end):
    start = None if start is None else pd.Timestamp(start).normalize()
    end = None if end is None else pd.Timestamp(end).normalize()
    if start is not None and end is not None and end < start:
        raise ValueError(f"the analysis window ends ({_show_date(end)}) before it starts ({_show_date(start)})")
    return start, end


def _prepare(source, *, table, engine, columns, on_invalid, where, text_columns):
    check_choice(on_invalid, ("raise", "exclude"), where=where, what="on_invalid")
    if isinstance(source, LoadedTable):
        raise ValueError(f"{where}: the table is loaded already")
    eng = get_engine(engine)
    rename = dict(columns or {})
    src = eng.read(source, table=table, text_columns=[rename.get(c, c) for c in text_columns])
    return eng, rename, src


def load_transactions(source, *, table: str | None = None, engine="duckdb", start=None, end=None,
                      customers: LoadedTable | None = None, columns: dict | None = None,
                      on_invalid: str = "raise", validate: bool = True) -> LoadedTable:
    """Load and check transactions (see the module docstring for columns, checks and sources).

    ``start``/``end``: the analysis window (inclusive; a date outside it is a problem); ``customers``: a
    :func:`load_customers` table, to check the customer ids; ``on_invalid``: "raise" or "exclude";
    ``validate=False`` trusts the data (types are applied and rows outside the window left out, nothing else
    is checked: for tables validated upstream, where the checks' group-bys over every row would cost time).

    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b", "b"], "order_id": ["1", "1", "2", "9"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-02-01", "2024-02-03"]),
    ...     "revenue": [30.0, 30.0, 20.0, -20.0], "cogs": [18.0, 18.0, 12.0, -12.0],
    ...     "returned": [False, False, False, True]})
    >>> load_transactions(tx)
    Traceback (most recent call last):
    ...
    cfresearch.data.DataError: DataFrame: 2 problems in the transactions:
      row 2, column order_id: value 'same as row 1' — duplicate order line (the same as an earlier row)
      row 4, column order_id: value '9' — a refund (returned = true) whose order_id has no sale to the customer
    load_transactions: fix the file, or pass on_invalid='exclude' to leave these rows out (they are then counted \
in the ledger's .excluded)
    >>> t = load_transactions(tx, on_invalid="exclude")
    >>> t.n_valid, t.excluded[["kind", "rows"]].to_dict("records")
    (2, [{'kind': 'refund without order', 'rows': 1}, {'kind': 'duplicate line', 'rows': 1}])
    """
    eng, rename, src = _prepare(source, table=table, engine=engine, columns=columns, on_invalid=on_invalid,
                                where="load_transactions", text_columns=("customer_id", "order_id"))
    start, end = _window(start, end)
    return _validate(eng, src, "transactions", TRANSACTION_COLUMNS, rename=rename, start=start, end=end,
                     cost_model=None, customers=customers, on_invalid=on_invalid, where="load_transactions",
                     validate=validate)


def load_activities(source, *, table: str | None = None, engine="duckdb", start=None, end=None,
                    cost_model=None, customers: LoadedTable | None = None, columns: dict | None = None,
                    on_invalid: str = "raise", validate: bool = True) -> LoadedTable:
    """Load and check service activities (support contacts, visits, ...; see the module docstring).

    ``cost_model`` (a :class:`~cfresearch.profit.costs.CostModel`, YAML path or dict) checks the activity
    names: an activity without a rate is a problem (kind "unknown activity"), and so is one the model counts
    from the transactions.

    >>> acts = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-09", "2024-13-01"],
    ...                      "activity": ["support_contact", "visit"], "minutes": [12.0, None]})
    >>> load_activities(acts, cost_model={"activities": {"support_contact": {"rate": 5}}})
    Traceback (most recent call last):
    ...
    cfresearch.data.DataError: DataFrame: 2 problems in the activities:
      row 2, column date: value '2024-13-01' — not a date (expected YYYY-MM-DD)
      row 2, column activity: value 'visit' — no rate for this activity in the cost model (missing rate): add \
one there or correct the name; activities are ['support_contact']
    ...
    """
    eng, rename, src = _prepare(source, table=table, engine=engine, columns=columns, on_invalid=on_invalid,
                                where="load_activities", text_columns=("customer_id",))
    start, end = _window(start, end)
    model = load_cost_model(cost_model) if cost_model is not None else None
    return _validate(eng, src, "activities", ACTIVITY_COLUMNS, rename=rename, start=start, end=end,
                     cost_model=model, customers=customers, on_invalid=on_invalid, where="load_activities",
                     validate=validate)


def load_customers(source, *, table: str | None = None, engine="duckdb", columns: dict | None = None,
                   on_invalid: str = "raise") -> LoadedTable:
    """Load customers' attributes (customer_id, then segment, region, ...), checking the ids are there and unique.

    >>> c = load_customers(pd.DataFrame({"customer_id": ["a", "b"], "segment": ["Business", "Consumer"]}))
    >>> c.n_valid, c.table.columns
    (2, ('customer_id', 'segment'))
    """
    eng, rename, src = _prepare(source, table=table, engine=engine, columns=columns, on_invalid=on_invalid,
                                where="load_customers", text_columns=("customer_id",))
    return _validate(eng, src, "customers", CUSTOMER_COLUMNS, rename=rename, start=None, end=None,
                     cost_model=None, customers=None, on_invalid=on_invalid, where="load_customers")
