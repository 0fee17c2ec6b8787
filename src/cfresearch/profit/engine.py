"""Where the ledger's relational work runs: embedded DuckDB (the default), Spark, or the pandas reference path.

The ledger's loading, validation and aggregations are written once, as Ibis expressions
(https://ibis-project.org), and run unchanged on two backends:

``"duckdb"`` (default)
    An embedded DuckDB database in this process: no server, files are scanned where they lie, and a ledger
    larger than memory works on a laptop, because DuckDB spills to disk under a ``memory_limit``
    (``get_engine("duckdb", memory_limit="4GB")``). One shared in-memory connection serves every call that
    names ``"duckdb"``, so tables loaded separately can be joined; pass options for a connection of your own,
    or an existing ``duckdb.connect(...)`` connection.
``"spark"``
    A Spark session through Ibis' PySpark backend (``pip install cfresearch[spark]``; Spark needs Java 17:
    ``make java`` installs Debian's ``openjdk-17-jre-headless``). ``"spark"`` uses the active session or
    starts a local one (``local[2]``; the environment variable ``CFRESEARCH_SPARK_MASTER`` overrides the
    master). To run on a real cluster, either pass a Spark Connect URL,
    ``engine="sc://spark-host:15002"`` (the same as ``SparkSession.builder.remote("sc://spark-host:15002")``,
    see :func:`spark_session`), or build the session yourself, with the cluster's own settings, and pass it:
    ``customer_ledger(..., engine=spark)``. Spark tables and DataFrames are then read where they are.
``"pandas"``
    The reference path: the data are loaded and validated as for DuckDB, then every aggregation is computed
    with plain pandas group-bys on the driver (:mod:`cfresearch.profit.ledger` keeps that second,
    independent implementation, which the engine test compares with DuckDB and Spark).

What runs where. On DuckDB and Spark, validation (the checks of :mod:`cfresearch.profit.transactions`) and
every aggregation down to one row per customer run inside the engine, as SQL compiled by Ibis; only the
validation counts and examples, the per-customer P&L (:func:`cfresearch.profit.ledger.customer_ledger`) and the
per-customer purchase summary (:func:`cfresearch.profit.ledger.summarise_purchases`) come back to Python as
pandas DataFrames. The lifetime-value fits, scoring and the service-policy what-ifs then run on the driver in
numpy: they need one row per customer, which fits in memory even for millions of customers.

Engines are compared in ``bench/bench_ledger.py`` (10,000,000 transactions: DuckDB against tuned pandas and
Spark local mode; 100,000,000 with the whole process under 4 GB, DuckDB capped at 2 GB).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import os
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import DataError
from ..delimited import _open_at_end, _sniff

__all__ = ["ENGINES", "Engine", "get_engine", "spark_session"]

#: The engine names :func:`get_engine` understands (a connection or session object works too).
ENGINES = ("duckdb", "spark", "pandas")

_LOCK = threading.Lock()
_DEFAULT: dict[str, Engine] = {}
_NAMES = itertools.count(1)

#: Spark settings for a session started here (local mode on a small machine; UTC so dates never shift).
SPARK_LOCAL_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
}


@dataclass(frozen=True)
class Source:
    """A table as an engine reads it: the Ibis table, with a unique ``_row`` column (the row's number in the file
    where ``rows`` is "line" or "record"; only an id where it is "none"), and a label for messages."""

    table: object
    label: str
    rows: str  # "line" (CSV: header = line 1), "record" (Parquet, database, DataFrame: first = 1) or "none"


@dataclass(frozen=True)
class Engine:
    """An engine: its ``name`` ("duckdb", "spark" or "pandas") and the Ibis backend that runs the expressions
    (for "pandas", the DuckDB backend that loads and validates; the aggregations are then done in pandas).

    >>> e = get_engine("duckdb")
    >>> e.name, e.backend.name
    ('duckdb', 'duckdb')
    >>> e.collect(e.read(pd.DataFrame({"x": [1, 2]})).table)
       x  _row
    0  1     1
    1  2     2
    """

    name: str
    backend: object

    @property
    def raw(self):
        """The engine's own connection: a ``duckdb.DuckDBPyConnection`` or a ``pyspark`` SparkSession."""
        return self.backend.con if self.backend.name == "duckdb" else self.backend._session

    @property
    def relational(self) -> bool:
        """True when the aggregations run in the engine (DuckDB, Spark), False for the pandas reference path."""
        return self.name != "pandas"

    def collect(self, expr, *, large: bool = False) -> pd.DataFrame:
        """Run an Ibis expression and bring its result back as a pandas DataFrame.

        On DuckDB the expression's SQL runs on the connection itself and comes back as Arrow, which pandas takes
        (:func:`_arrow_to_pandas`): Ibis' own ``to_pandas`` converted the 763,432-customer ledger of 10M
        transactions in 18 s, DuckDB's ``df()`` in 0.6 s, this in 0.1 s (bench/bench_ledger.py). ``large``
        (millions of rows expected): DuckDB writes the result to a temporary Parquet file first, which is then
        read: DuckDB's own memory for the query (joins, sorts, up to its ``memory_limit``) is free again before
        the DataFrame is built, where a streamed result holds both at once (:func:`_fetch_via_file`).
        Expressions over in-memory tables that Ibis registers on execution go through Ibis."""
        if self.backend.name != "duckdb" or _has_memtable(expr):
            return self.backend.to_pandas(expr)
        import ibis.expr.types as ir

        sql = str(self.backend.compile(expr))
        frame = _fetch_via_file(self.raw, sql) if large else _fetch_frame(self.raw.sql(sql))
        if isinstance(expr, ir.Scalar):  # as Ibis gives them: a scalar, a Series, a DataFrame
            return frame.iat[0, 0]
        if isinstance(expr, ir.Column):
            return frame.iloc[:, 0]
        return frame

    def read(self, source, *, table: str | None = None, text_columns=()) -> Source:
        """``source`` as an Ibis table of this engine, with a ``_row`` column (see :class:`Source`).

        ``source``: a CSV or Parquet file; a DuckDB database file (``.duckdb``/``.db``) with ``table=``; a pandas
        DataFrame; a Spark DataFrame or the name of a table or view in the Spark session (Spark engine); or the
        name of a table in the DuckDB connection (DuckDB engine). ``text_columns`` of a CSV are read as text
        (ids keep leading zeros). Files are only read, never changed.
        """
        if isinstance(source, pd.DataFrame):
            return self._read_frame(source)
        if _is_spark_frame(source):
            if self.backend.name != "pyspark":
                raise ValueError("a Spark DataFrame needs engine='spark' (or the SparkSession as engine)")
            return self._register(source, "Spark DataFrame", rows="none")
        if isinstance(source, (str, Path)) and _looks_like_file(source):
            return self._read_file(Path(source), table=table, text_columns=text_columns)
        if isinstance(source, str):  # a table in the engine's catalog
            if self.backend.name == "pyspark":
                return self._register(self.raw.table(source), source, rows="none")
            name = _new_name("table")
            self.raw.execute(f'CREATE TEMP VIEW {name} AS SELECT rowid + 1 AS _row, * FROM "{source}"')
            return Source(self.backend.table(name), source, "record")
        if hasattr(source, "op") and hasattr(source, "columns"):  # an Ibis table expression
            if self.backend.name == "pyspark":
                raise ValueError("give Spark tables as a Spark DataFrame or a table name")
            import ibis

            return Source(source.mutate(_row=ibis.row_number() + 1), "Ibis table", "none")
        raise ValueError(f"cannot read {type(source).__name__} as a table: give a CSV/Parquet/DuckDB file, a "
                         "pandas DataFrame, or a Spark DataFrame or table name with engine='spark'")

    # -- the readers ------------------------------------------------------------------------------------------
    def _read_frame(self, frame: pd.DataFrame) -> Source:
        frame = frame.reset_index(drop=True).assign(_row=pd.RangeIndex(1, len(frame) + 1))
        if self.backend.name == "duckdb":
            name = _new_name("frame")
            self.raw.register(name, frame)
            return Source(self.backend.table(name), "DataFrame", "record")
        import ibis

        return Source(self.backend.create_view(_new_name("frame"), ibis.memtable(frame)), "DataFrame", "record")

    def _register(self, spark_frame, label: str, rows: str) -> Source:
        """A Spark DataFrame as an Ibis table; Spark keeps no row order, so ``_row`` is only a unique id there."""
        from pyspark.sql import functions as F

        if "_row" not in spark_frame.columns:
            spark_frame = spark_frame.withColumn("_row", F.monotonically_increasing_id() + 1)
        name = _new_name("spark")
        spark_frame.createOrReplaceTempView(name)
        return Source(self.backend.table(name), label, rows)

    def _read_file(self, path: Path, *, table: str | None, text_columns) -> Source:
        suffix = path.suffix.lower()
        if not path.is_file():
            raise DataError(f"{path}: data file not found", path=path)
        if suffix in (".duckdb", ".db", ".ddb"):
            if table is None:
                raise ValueError(f"{path}: a DuckDB database file needs table= (the table to read)")
            if self.backend.name != "duckdb":
                raise ValueError(f"{path}: a DuckDB database file is read with engine='duckdb'; for Spark, "
                                 "export the table to Parquet (COPY ... TO 'x.parquet')")
            return self._read_duckdb_table(path, table)
        if suffix == ".csv":
            return self._read_csv(path, list(text_columns))
        if suffix in (".parquet", ".pq"):
            return self._read_parquet(path)
        raise DataError(f"{path}: unsupported file type {path.suffix!r}; expected .csv, .parquet or a DuckDB "
                        "database file (.duckdb, .db)", path=path)

    def _read_csv(self, path: Path, text_columns: list[str]) -> Source:
        header, delimiter, encoding = _csv_dialect(path)
        if self.backend.name == "pyspark":
            if encoding != "utf-8":
                raise DataError(f"{path}: {encoding.upper()} text, which Spark's CSV reader misreads: {_RESAVE}",
                                path=path, column="encoding")
            _scan_csv(path, header, delimiter, encoding)  # Spark's parser would not say where a quote went astray
            frame = self.raw.read.csv(str(path), header=True, inferSchema=True, enforceSchema=False, sep=delimiter)
            for c in [c for c in text_columns if c in header]:
                frame = frame.withColumn(c, frame[c].cast("string"))
            return self._register(frame, str(path), rows="none")
        # Every cell as text, into a temporary table in file order (DuckDB preserves insertion order), so that
        # rowid + 2 is the record's line (header = line 1) and a bad cell is reported by validation, not by the
        # CSV reader. Types are applied by validation's TRY_CAST. The dialect is stated, not sniffed, and the
        # parser strict, so DuckDB reads the file as the checks in _scan_csv do.
        import duckdb

        name = _new_name("csv")
        columns = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in header) + "}"
        try:
            self.raw.execute(
                f"CREATE TEMP TABLE {name}_t AS SELECT * FROM read_csv({_sql_str(path)}, header = true, "
                f"auto_detect = false, columns = {columns}, delim = {_sql_str(delimiter)}, quote = '\"', "
                f"escape = '\"', strict_mode = true, null_padding = false, nullstr = '', "
                f"encoding = {_sql_str(encoding)})")
        except duckdb.Error as exc:
            _scan_csv(path, header, delimiter, encoding)  # raises the error with its line, in our words
            raise DataError(f"{path}: cannot read as CSV ({_duckdb_reason(exc)})", path=path) from None
        n = self.raw.execute(f"SELECT count(*) FROM {name}_t").fetchall()[0][0]
        if n == 0:
            raise DataError(f"{path}: only a header (line 1), no data rows: is it the right file?", path=path,
                            row=1, column="rows")
        if encoding == "utf-8" and _count_lines(path) == n + 1:  # one line per record: rowid + 2 is the line
            self.raw.execute(f"CREATE TEMP VIEW {name} AS SELECT rowid + 2 AS _row, * FROM {name}_t")
        else:  # records over several lines or blank lines: check them, and number the records by their line
            lines = _scan_csv(path, header, delimiter, encoding)
            if len(lines) != n:
                raise DataError(f"{path}: {len(lines):,} records in the file but {n:,} read as CSV; check the "
                                "quoting of the file (a quote inside a field is written as two quotes, \"\")",
                                path=path, column="rows")
            self.raw.register(f"{name}_lines", pd.DataFrame({"_row": np.frombuffer(lines, dtype=np.int64)}))
            self.raw.execute(f"CREATE TEMP VIEW {name} AS SELECT l._row, t.* FROM {name}_t AS t POSITIONAL JOIN "
                             f"{name}_lines AS l")
        return Source(self.backend.table(name), str(path), "line")

    def _read_parquet(self, path: Path) -> Source:
        if self.backend.name == "pyspark":
            return self._register(self.raw.read.parquet(str(path)), str(path), rows="none")
        import duckdb

        name = _new_name("parquet")
        try:
            self.raw.execute(f"CREATE TEMP VIEW {name} AS SELECT * EXCLUDE (file_row_number), file_row_number + 1 "
                             f"AS _row FROM read_parquet({_sql_str(path)}, file_row_number = true)")
        except duckdb.Error as exc:
            raise DataError(f"{path}: cannot read as Parquet ({_duckdb_reason(exc)}); is the file complete? Write it "
                            "again, or give the CSV", path=path) from None
        return Source(self.backend.table(name), str(path), "record")

    def _read_duckdb_table(self, path: Path, table: str) -> Source:
        alias = _new_name("db")
        self.raw.execute(f"ATTACH {_sql_str(path)} AS {alias} (READ_ONLY)")
        tables = {r[0] for r in self.raw.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? UNION "
            "SELECT view_name FROM duckdb_views() WHERE database_name = ?", [alias, alias]).fetchall()}
        if table not in tables:
            raise DataError(f"{path}: no table {table!r} in the database; tables are {sorted(tables)}", path=path)
        name = _new_name("dbview")
        self.raw.execute(f'CREATE TEMP VIEW {name} AS SELECT rowid + 1 AS _row, * FROM {alias}.main."{table}"')
        return Source(self.backend.table(name), f"{path}:{table}", "record")


# -- CSV read without losing a row ------------------------------------------------------------------------------
# DuckDB's CSV reader, like every CSV parser, reads a stray quote that a later quote closes as one field spanning
# lines: the records in between vanish without an error. So the records DuckDB read are counted against the
# file's lines (a streaming count of newlines); only when they differ (a field over several lines, a blank line)
# or DuckDB refuses the file is it scanned record by record in Python (streamed, never held in memory), with the
# rules of :mod:`cfresearch.delimited`: a quoted field running over lines that look like records of their own is
# a stray quote, and so is a quote still open at the end of the file; every record has the header's fields;
# the bytes are UTF-8 (or UTF-16 with a byte-order mark).
_CHUNK = 1 << 24
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
_RESAVE = "re-save it as UTF-8 (Excel: Save As > 'CSV UTF-8')"


def _csv_dialect(path: Path) -> tuple[list[str], str, str]:
    """(column names, delimiter, encoding) from the first 64 KiB of a CSV file: the delimiter of
    :func:`cfresearch.delimited.read_delimited_text` (comma, semicolon, tab or bar: the one that splits the header
    and the next lines alike), UTF-16 when a byte-order mark says so, else UTF-8."""
    with path.open("rb") as f:
        head = f.read(1 << 16)
    if not head.strip():
        raise DataError(f"{path}: the file is empty (no header, no rows): is it the right file?", path=path,
                        column="rows")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, text = "utf-16", head.decode("utf-16", errors="ignore")
    else:
        encoding, text = "utf-8", head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")
    lines = text.replace("\r\n", "\n").split("\n", 8)
    delimiter = _sniff("\n".join(lines[:8]), None)
    header = next(csv.reader([lines[0]], delimiter=delimiter), [])
    names = [c.strip() or f"column{i + 1}" for i, c in enumerate(header)]
    seen = {n for i, n in enumerate(names) if n in names[:i]}
    if seen:
        raise DataError.at(path, 1, sorted(seen)[0], "this column name appears twice in the header", kind="header",
                           hint="rename one of the columns")
    return names, delimiter, encoding


def _count_lines(path: Path) -> int:
    """Lines in the file (the last one counts without a final newline), counted in 16 MiB chunks."""
    n, last = 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def _duckdb_reason(exc: Exception) -> str:
    """DuckDB's error on one line: the line of the file when it names one, and the reason (no query text)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    if not lines:
        return type(exc).__name__
    head = lines[0].split("Error: ", 1)[-1]  # without DuckDB's "Invalid Input Error: "
    if head.startswith("CSV Error on Line"):
        reason = next((ln for ln in lines[1:] if not ln.startswith(("Original Line", "Possible", "*"))), "")
        return f"line {head.rsplit(' ', 1)[-1]}: {reason}"
    return head


class _Lines:
    """The decoded lines of a file, streamed; ``buf`` the lines handed out since it was last emptied."""

    def __init__(self, path: Path, encoding: str):
        self.path, self.encoding, self.buf = path, encoding, []

    def __iter__(self):
        if self.encoding != "utf-8":
            with self.path.open(encoding=self.encoding, newline="") as f:
                for line in f:
                    self.buf.append(line)
                    yield line
            return
        with self.path.open("rb") as f:
            for n, raw in enumerate(f, 1):
                try:
                    line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    byte = raw[exc.start:exc.start + 1].hex().upper()
                    raise DataError(f"{self.path}: line {n}: byte 0x{byte} at position {exc.start + 1} is not UTF-8; "
                                    f"the file is probably in a Windows code page (saved by Excel?): {_RESAVE}",
                                    path=self.path, row=n, column="encoding") from None
                self.buf.append(line)
                yield line


def _scan_csv(path: Path, header: list[str], delimiter: str, encoding: str) -> array:
    """Every record of the file checked (see above), streamed; the line where each data record starts, or
    DataError naming the line and what to do."""
    width, lines, starts, prev = len(header), _Lines(path, encoding), array("q"), 0
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    tail: list[str] = []
    try:
        for row in reader:
            first, last = prev + 1, reader.line_num
            prev, tail, lines.buf = last, lines.buf, []
            if not row:
                continue
            if last > first:
                if _open_at_end("".join(tail), delimiter):  # the file ended inside the quote
                    _never_closed(path, first, "")
                _swallowed(path, first, last, tail[1:], delimiter, width)
            if len(row) != width:
                name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
                raise DataError(f"{path}: line {first}: {len(row)} fields where the header has {width} (delimiter: "
                                f"{name}); a field holding the delimiter must be quoted", path=path, row=first,
                                column="fields")
            starts.append(first)
    except csv.Error as exc:
        _never_closed(path, prev + 1, f" ({exc})")
    if tail and _open_at_end("".join(tail), delimiter):
        _never_closed(path, prev - len(tail) + 1, "")
    starts.pop(0)  # the header
    return starts


def _never_closed(path: Path, line: int, detail: str):
    raise DataError(f"{path}: line {line}: a quote (\") opened on this line is never closed, so the rest of the "
                    f"file would be one field{detail}. Close or remove the stray quote", path=path, row=line,
                    column="quoting")


def _swallowed(path: Path, first: int, last: int, inner: list[str], delimiter: str, width: int) -> None:
    """DataError when a record over lines ``first``..``last`` swallowed lines that look like records."""
    looks = sum(len(next(csv.reader([ln], delimiter=delimiter), [])) == width and '"' not in ln for ln in inner)
    if looks:
        lines = f"{looks} line{'s' * (looks != 1)}"
        raise DataError(f"{path}: line {first}: a quote (\") opened on this line is only closed on line {last}, so "
                        f"{lines} that look like records would be read as part of one. Close or remove the stray "
                        "quote (a quote inside a field is written as two quotes, \"\")", path=path, row=first,
                        column="quoting")


def _fetch_frame(relation, rows: int = 1_000_000) -> pd.DataFrame:
    """A DuckDB relation's result as pandas, streamed: ``rows`` at a time through Arrow, each batch freed once
    converted, then joined column by column, each batch's copy freed as it is joined. A result is then held
    about once, never twice (the 7.6 million customers of bench/bench_ledger.py --large: 1.5 GB, where DuckDB's
    ``df()`` peaked 4.5 GB above it)."""
    import pyarrow as pa

    reader = relation.to_arrow_reader(rows)
    parts = [_arrow_to_pandas(pa.Table.from_batches([batch])) for batch in reader]
    if not parts:
        return _arrow_to_pandas(reader.schema.empty_table())
    if len(parts) == 1:
        return parts[0]
    columns = {name: pd.concat([part.pop(name) for part in parts], ignore_index=True) for name in list(parts[0])}
    return pd.DataFrame(columns, copy=False)


def _fetch_via_file(con, sql: str) -> pd.DataFrame:
    """The result of ``sql`` on the DuckDB connection ``con`` as pandas, through a temporary Parquet file that
    DuckDB writes (in its row order) and Arrow reads back once the query has ended and DuckDB has released what
    it used (a streamed result holds DuckDB's join and sort buffers while pandas builds the frame); the file goes to
    DuckDB's ``temp_directory`` when one was set, else to the system's temporary folder. The ledger step
    of bench/bench_ledger.py --large, 7.6 million customers with DuckDB capped at 2 GB: the process peaked at
    5.1 GB streamed, 3.35 GB this way. 128-bit integers (DuckDB's integer sums), which Parquet lacks, travel as
    38-digit decimals and arrive as int64, as streamed."""
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    rel = con.sql(sql)  # bound, not run: its columns and types
    # Parquet has no 128-bit integers (DuckDB would write doubles): as decimals they come back as the stream's int64
    cols = ", ".join(f'CAST("{c}" AS DECIMAL(38, 0)) AS "{c}"' if str(t) in ("HUGEINT", "UHUGEINT") else f'"{c}"'
                     for c, t in zip((c.replace('"', '""') for c in rel.columns), rel.types))
    # in DuckDB's spill folder when one was chosen (get_engine(temp_directory=...): where big temporary data go)
    spill = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    root = Path(spill) if spill and spill != ".tmp" else None
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cfresearch-result-", dir=root) as folder:
        path = Path(folder) / "result.parquet"
        target = path.as_posix().replace("'", "''")
        con.execute(f"COPY (SELECT {cols} FROM ({sql})) TO '{target}' (FORMAT parquet)")
        frame = _arrow_to_pandas(pq.read_table(path, memory_map=False))
    pa.default_memory_pool().release_unused()  # Arrow's allocator keeps what it freed: 1.5 GB here
    return frame


def _arrow_to_pandas(table) -> pd.DataFrame:
    """An Arrow table from DuckDB as pandas, typed as DuckDB's own ``df()`` types it: dates and timestamps as
    datetime64[us] (not Python objects), 128-bit integer sums (Arrow decimals of scale 0) as int64, other decimals
    as float64 (DuckDB's ``df()`` took 0.6 s for the 763,432 x 25 ledger of bench/bench_ledger.py, this 0.1 s).
    Column by column, each freed once converted, numbers without gaps taken without a copy: a result of millions
    of customers is never held twice."""
    import pyarrow as pa

    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_date(t) or (pa.types.is_timestamp(t) and t.tz is None and t.unit != "us"):
            t = pa.timestamp("us")
        elif pa.types.is_decimal(t):
            t = pa.int64() if t.scale == 0 else pa.float64()
        fields.append(pa.field(f.name, t))
    schema = pa.schema(fields)
    if schema != table.schema:
        table = table.cast(schema)
    return table.to_pandas(split_blocks=True, self_destruct=True)


def _has_memtable(expr) -> bool:
    import ibis.expr.operations as ops

    return bool(expr.op().find(ops.InMemoryTable))


def _new_name(kind: str) -> str:
    return f"cfr_{kind}_{next(_NAMES)}"


def _sql_str(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _looks_like_file(source) -> bool:
    return isinstance(source, Path) or Path(str(source)).suffix.lower() in (
        ".csv", ".parquet", ".pq", ".duckdb", ".db", ".ddb") or os.sep in str(source)


def _is_spark_frame(obj) -> bool:
    module = type(obj).__module__
    return module.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"


def _is_spark_session(obj) -> bool:
    return type(obj).__module__.startswith("pyspark.sql") and type(obj).__name__ == "SparkSession"


def spark_session(master: str | None = None, *, remote: str | None = None, config: dict | None = None):
    """A Spark session: Spark Connect when ``remote`` is given (``"sc://host:15002"``, as
    ``SparkSession.builder.remote(remote)``), else the active session, else a new local one on ``master``
    (default ``$CFRESEARCH_SPARK_MASTER`` or ``local[2]``) with :data:`SPARK_LOCAL_CONFIG` (UTC, no UI, few
    shuffle partitions) and ``config`` on top. Needs ``pip install cfresearch[spark]`` and Java 17.

    >>> spark_session(remote="http://not-a-spark-url")
    Traceback (most recent call last):
    ...
    ValueError: spark_session: remote must be a Spark Connect URL such as 'sc://host:15002'; got 'http://not-a-spark-url'
    """
    if remote is not None and not str(remote).startswith("sc://"):
        raise ValueError(f"spark_session: remote must be a Spark Connect URL such as 'sc://host:15002'; got {remote!r}")
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("the Spark engine needs PySpark: pip install 'cfresearch[spark]' (and Java 17)") from exc
    if remote is not None:
        builder = SparkSession.builder.remote(remote)
        for key, value in (config or {}).items():
            builder = builder.config(key, value)
        return builder.getOrCreate()
    active = SparkSession.getActiveSession()
    if active is not None and master is None and not config:
        return active
    builder = SparkSession.builder.master(master or os.environ.get("CFRESEARCH_SPARK_MASTER", "local[2]"))
    for key, value in {**SPARK_LOCAL_CONFIG, **(config or {})}.items():
        builder = builder.config(key, value)
    return builder.appName("cfresearch").getOrCreate()


def _duckdb_engine(con=None, *, memory_limit=None, threads=None, temp_directory=None) -> Engine:
    import ibis

    backend = ibis.duckdb.from_connection(con) if con is not None else ibis.duckdb.connect()
    try:  # no progress bars in a terminal or a cron mail (in a kernel without ipywidgets DuckDB refuses the SET)
        backend.con.execute("SET enable_progress_bar = false")
    except Exception:  # noqa: BLE001 - duckdb.InvalidInputException; DuckDB then shows no bar there anyway
        pass
    import duckdb

    settings = {"memory_limit": memory_limit, "threads": threads, "temp_directory": temp_directory}
    expected = {"memory_limit": "a size such as '2GB' or '500MB'", "threads": "a whole number of threads",
                "temp_directory": "a folder DuckDB may write to"}
    for key, value in settings.items():
        if value is not None:
            try:
                backend.con.execute(f"SET {key} = {_sql_str(value) if isinstance(value, (str, Path)) else int(value)}")
            except (duckdb.Error, ValueError, TypeError) as exc:
                raise ValueError(f"{key}={value!r}: DuckDB cannot use it ({_duckdb_reason(exc)}); expected "
                                 f"{expected[key]}") from None
    if memory_limit is not None:  # under a cap, keep what a query freed for the next one instead of handing it back
        # to the system after each (first-touched memory is slow on some machines: 3% of bench_ledger's time here)
        backend.con.execute("SET allocator_flush_threshold = current_setting('memory_limit')")
    return Engine("duckdb", backend)


def _spark_engine(session) -> Engine:
    import ibis

    return Engine("spark", ibis.pyspark.connect(session))


def get_engine(engine="duckdb", *, memory_limit: str | None = None, threads: int | None = None,
               temp_directory: str | None = None) -> Engine:
    """The :class:`Engine` for ``engine``: a name of :data:`ENGINES`, a Spark Connect URL (``"sc://..."``), a
    ``duckdb`` connection, a ``SparkSession``, an Ibis DuckDB or PySpark backend, or an :class:`Engine`.

    ``"duckdb"`` is one shared in-memory connection per process (so tables loaded in separate calls can be
    joined); ``memory_limit`` (e.g. ``"4GB"``), ``threads`` or ``temp_directory`` (where DuckDB spills) give a
    connection of your own with those settings. ``"spark"`` uses the active Spark session or starts a local one
    (:func:`spark_session`). ``"pandas"`` loads through the shared DuckDB connection and aggregates in pandas.

    >>> get_engine("pandas").name
    'pandas'
    >>> get_engine("duckdb", memory_limit="1GB").raw.execute("SELECT current_setting('memory_limit')").fetchone()
    ('953.6 MiB',)
    >>> get_engine("duckdb", memory_limit="lots")
    Traceback (most recent call last):
    ...
    ValueError: memory_limit='lots': DuckDB cannot use it (...); expected a size such as '2GB' or '500MB'
    >>> get_engine("polars")
    Traceback (most recent call last):
    ...
    ValueError: engine must be one of ('duckdb', 'spark', 'pandas'), a Spark Connect URL ('sc://host:15002'), \
a duckdb connection or a SparkSession; got 'polars'
    """
    options = {"memory_limit": memory_limit, "threads": threads, "temp_directory": temp_directory}
    given = sorted(k for k, v in options.items() if v is not None)
    module = type(engine).__module__
    duckdb_connection = module.startswith("duckdb") or module.startswith("_duckdb")
    if given and not (engine in ("duckdb", "pandas") or duckdb_connection):
        raise ValueError(f"{', '.join(given)}: settings of a DuckDB connection, for engine='duckdb'; a Spark "
                         "session's memory is set where it is built (spark.driver.memory, spark.executor.memory)")
    if isinstance(engine, Engine):
        return engine
    if isinstance(engine, str) and engine.startswith("sc://"):
        return _spark_engine(spark_session(remote=engine))
    if engine in ("duckdb", "pandas") and any(v is not None for v in options.values()):
        return Engine(engine, _duckdb_engine(**options).backend)
    if engine in ENGINES:
        with _LOCK:
            if engine == "spark":
                session = spark_session()
                cached = _DEFAULT.get("spark")
                if cached is None or cached.raw is not session:
                    _DEFAULT["spark"] = _spark_engine(session)
            elif "duckdb" not in _DEFAULT:
                _DEFAULT["duckdb"] = _duckdb_engine()
            if engine == "pandas":
                return Engine("pandas", _DEFAULT["duckdb"].backend)
            return _DEFAULT[engine]
    if duckdb_connection:
        return _duckdb_engine(engine, **options)
    if _is_spark_session(engine):
        return _spark_engine(engine)
    if module.startswith("ibis.backends"):
        if engine.name == "duckdb":
            return Engine("duckdb", engine)
        if engine.name == "pyspark":
            return Engine("spark", engine)
    raise ValueError(f"engine must be one of {ENGINES}, a Spark Connect URL ('sc://host:15002'), a duckdb "
                     f"connection or a SparkSession; got {engine!r}")
