"""Ledger CSV files read by DuckDB without losing a row, and the messages for files that cannot be read.

DuckDB's CSV reader, like every CSV parser, reads a stray quote closed a few lines later as one field spanning
those lines: the records in between vanish without an error. :meth:`Engine.read` counts the records DuckDB read
against the file's lines and, when they differ, scans the file with the rules of :mod:`cfresearch.delimited`.
"""

from __future__ import annotations

import duckdb
import pytest

from cfresearch.data import DataError
from cfresearch.delimited import read_delimited_text
from cfresearch.paths import sample_dir
from cfresearch.profit.costs import load_cost_model
from cfresearch.profit.engine import _count_lines, _csv_dialect, _scan_csv, get_engine
from cfresearch.profit.transactions import load_activities, load_transactions

LINES = (sample_dir() / "profitability" / "transactions.csv").read_text(encoding="utf-8").split("\n")[:201] + [""]


def _edit(lines, line, column, value):
    out = lines.copy()
    cells = out[line - 1].split(",")
    cells[column] = value
    out[line - 1] = ",".join(cells)
    return out


def _file(tmp_path, lines_or_bytes, name="tx.csv"):
    path = tmp_path / name
    data = lines_or_bytes if isinstance(lines_or_bytes, bytes) else "\n".join(lines_or_bytes).encode("utf-8")
    path.write_bytes(data)
    return path


def _error(path, **kw) -> DataError:
    with pytest.raises(DataError) as info:
        load_transactions(path, **kw)
    return info.value


def test_a_stray_quote_closed_lines_later_is_an_error_not_lost_rows(tmp_path):
    stray = _edit(_edit(LINES, 61, 6, '"online'), 69, 6, LINES[68].split(",")[6] + '"')
    path = _file(tmp_path, stray)
    # the trap: DuckDB alone reads lines 61 to 69 as one record, without a word
    lost = duckdb.connect().execute(f"SELECT count(*) FROM read_csv('{path}', all_varchar = true)").fetchall()
    assert lost[0][0] == 200 - 8
    err = _error(path)
    assert str(err).startswith(f"{path}: line 61: a quote")
    assert "only closed on line 69" in str(err) and "Close or remove the stray quote" in str(err)
    assert (err.row, err.column) == (61, "quoting") and "\n" not in str(err)


def test_a_quote_never_closed(tmp_path):
    err = _error(_file(tmp_path, _edit(LINES, 199, 6, '"online')))
    assert "line 199: a quote" in str(err) and "never closed" in str(err)


@pytest.mark.parametrize("extra, found", [(",extra", 12), (None, 10)])
def test_a_ragged_row_names_its_line(tmp_path, extra, found):
    lines = LINES.copy()
    lines[40] = lines[40] + extra if extra else lines[40].rsplit(",", 1)[0]
    err = _error(_file(tmp_path, lines))
    assert f"line 41: {found} fields where the header has 11 (delimiter: comma)" in str(err)


def test_a_windows_code_page_names_line_byte_and_what_to_do(tmp_path):
    err = _error(_file(tmp_path, "\n".join(_edit(LINES, 11, 6, "téléphone")).encode("cp1252")))
    assert "line 11: byte 0xE9 at position" in str(err) and "'CSV UTF-8'" in str(err)
    assert (err.row, err.column) == (11, "encoding")


@pytest.mark.parametrize("variant", ["semicolon", "crlf", "bom", "utf16", "tab"])
def test_dialects_read_every_row_alike(tmp_path, variant):
    text = "\n".join(LINES)
    data = {"semicolon": text.replace(",", ";").encode(), "crlf": text.replace("\n", "\r\n").encode(),
            "bom": b"\xef\xbb\xbf" + text.encode(), "utf16": text.encode("utf-16"),
            "tab": text.replace(",", "\t").encode()}[variant]
    got = load_transactions(_file(tmp_path, data)).to_pandas().sort_values("order_id", ignore_index=True)
    want = load_transactions(_file(tmp_path, LINES, "plain.csv")).to_pandas().sort_values("order_id",
                                                                                           ignore_index=True)
    assert got.equals(want) and len(got) == 200


def test_rows_are_lines_after_blank_lines_and_fields_over_several_lines(tmp_path):
    lines = _edit(_edit(LINES, 51, 10, '"home\nand garden"'), 56, 3, "-5")  # record 51 now spans two lines
    lines.insert(30, "")  # a blank line 31
    path = _file(tmp_path, lines)
    assert _count_lines(path) == 203
    header, delimiter, encoding = _csv_dialect(path)
    starts = _scan_csv(path, header, delimiter, encoding)
    assert list(starts) == read_delimited_text(path).record_lines[1:].tolist()
    err = _error(path)
    assert "row 58, column revenue: value '-5'" in str(err)  # line 56 + the blank line + the second line of 51


def test_empty_header_only_and_repeated_column_names(tmp_path):
    assert "the file is empty" in str(_error(_file(tmp_path, b"", "empty.csv")))
    assert "only a header (line 1), no data rows" in str(_error(_file(tmp_path, [LINES[0], ""], "head.csv")))
    twice = [LINES[0].replace("cogs", "revenue"), *LINES[1:]]
    assert "row 1, column revenue: this column name appears twice" in str(_error(_file(tmp_path, twice)))


def test_a_broken_parquet_file(tmp_path):
    err = _error(_file(tmp_path, b"PAR1 truncated", "tx.parquet"))
    assert "tx.parquet: cannot read as Parquet" in str(err) and "\n" not in str(err)


def test_the_fast_path_keeps_line_numbers(tmp_path):
    path = _file(tmp_path, _edit(LINES, 150, 5, "0"))
    src = get_engine("duckdb").read(path)
    assert src.rows == "line"
    err = _error(path)
    assert "row 150, column quantity" in str(err)


def test_cost_model_errors_are_one_line_with_what_to_do(tmp_path):
    model = (sample_dir() / "profitability" / "cost_model.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "cost_model.yaml"
    bad.write_text(model.replace("pool: field_team}", "pool: field_team", 1), encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_cost_model(bad)
    first_two = str(info.value).split("\n")
    assert len(first_two) == 2 and "row 12: not valid YAML" in first_two[1] and "flow mapping on line 11" in \
        first_two[1] and "check brackets" in first_two[1]
    bad.write_bytes(model.encode("utf-8").replace(b"Money in GBP", b"Money in \xa3"))
    with pytest.raises(DataError, match=r"row 2, column encoding: byte 0xA3 is not UTF-8; save the cost model"):
        load_cost_model(bad)


def test_an_activity_without_a_rate_names_the_cost_model_file(tmp_path):
    acts = tmp_path / "activities.csv"
    acts.write_text("customer_id,date,activity\nC1,2024-01-05,webinar\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2, column activity: value 'webinar' — no rate for this activity in "
                                        r"the cost model cost_model.yaml \(missing rate\): add one there"):
        load_activities(acts, cost_model=sample_dir() / "profitability" / "cost_model.yaml")
