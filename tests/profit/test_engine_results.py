"""Results back from DuckDB: streamed in Arrow batches, or through a temporary Parquet file for millions of rows.

Both ways must give the frame DuckDB's own ``df()`` types: dates as datetime64, 128-bit integer sums as int64,
decimals as float64, texts as text, missing values missing, and the query's row order (more than one batch).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cfresearch.profit import engine as engine_mod
from cfresearch.profit.engine import get_engine

SQL = """SELECT 'c' || lpad(k::VARCHAR, 5, '0') AS customer_id,
                sum(i)::HUGEINT AS total, sum(i * 0.5)::DECIMAL(18, 2) AS half, count(*) AS n,
                min(DATE '2024-01-01' + (i % 700)::INTEGER) AS first_date,
                max(TIMESTAMP '2024-01-01 08:00:00' + to_minutes(i)) AS last_seen,
                CASE WHEN k % 7 = 0 THEN NULL ELSE 'ch' || (k % 3) END AS channel,
                CASE WHEN k % 5 = 0 THEN NULL ELSE avg(i) END AS mean
         FROM (SELECT i, i % 2500 AS k FROM range(10000) t(i)) GROUP BY k ORDER BY customer_id DESC"""


@pytest.fixture(scope="module")
def engine():
    return get_engine("duckdb")


def _view(engine, name: str, sql: str):
    engine.raw.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
    return engine.backend.table(name)


def test_streamed_and_file_results_are_the_same_frame(engine, monkeypatch):
    real = engine_mod._fetch_frame
    monkeypatch.setattr(engine_mod, "_fetch_frame", lambda rel, rows=1000: real(rel, rows))  # several batches
    expr = _view(engine, "results_test", SQL)
    streamed = engine.collect(expr)
    through_file = engine.collect(expr, large=True)
    pd.testing.assert_frame_equal(streamed, through_file)
    assert len(streamed) == 2500 and streamed["customer_id"].iloc[0] == "c02499"  # the query's order
    assert streamed["customer_id"].is_monotonic_decreasing
    assert str(streamed["total"].dtype) == "int64" and str(streamed["half"].dtype) == "float64"
    assert str(streamed["first_date"].dtype).startswith("datetime64")
    assert str(streamed["last_seen"].dtype).startswith("datetime64")
    row = streamed.set_index("customer_id").loc["c00007"]  # 7, 2507, 5007, 7507
    assert row["total"] == 7 + 2507 + 5007 + 7507 and row["n"] == 4 and row["half"] == pytest.approx(7514.0)
    assert row["first_date"] == pd.Timestamp("2024-01-08") and pd.isna(row["channel"])
    assert pd.isna(streamed.set_index("customer_id").loc["c00005", "mean"])
    np.testing.assert_array_equal(streamed["n"].to_numpy(), np.full(2500, 4))


def test_the_result_file_is_removed(engine, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    frame = engine.collect(_view(engine, "five", "SELECT range AS x FROM range(5)"), large=True)
    assert frame["x"].tolist() == [0, 1, 2, 3, 4]
    assert list(Path(tmp_path).iterdir()) == []


def test_an_empty_result_keeps_its_columns(engine):
    expr = _view(engine, "none", "SELECT range AS x, DATE '2024-01-01' AS d FROM range(5) WHERE range > 9")
    for large in (False, True):
        frame = engine.collect(expr, large=large)
        assert list(frame.columns) == ["x", "d"] and len(frame) == 0


def test_the_result_file_goes_where_duckdb_spills_when_that_was_chosen(tmp_path, monkeypatch):
    spill = tmp_path / "spill"
    engine = get_engine("duckdb", temp_directory=str(spill))
    seen = []
    real = tempfile.TemporaryDirectory
    monkeypatch.setattr(tempfile, "TemporaryDirectory", lambda **kw: seen.append(kw.get("dir")) or real(**kw))
    frame = engine.collect(_view(engine, "three", "SELECT range AS x FROM range(3)"), large=True)
    assert frame["x"].tolist() == [0, 1, 2] and seen == [spill] and list(spill.iterdir()) == []
