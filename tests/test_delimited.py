"""CSV files read without losing a row: encodings, delimiters, stray quotes, ragged and empty files."""

from __future__ import annotations

import codecs

import pytest

from cfresearch.data import DataError, read_table
from cfresearch.delimited import DelimitedTextError, read_delimited_text

HEADER = "id,wave,comment"
ROWS = [f"R{i:03d},1,fine" for i in range(1, 11)]


def write(tmp_path, text: str | bytes, name="data.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_a_stray_quote_that_swallows_records_is_an_error_naming_its_line(tmp_path):
    rows = ROWS.copy()
    rows[3] = 'R004,1,"fine'  # line 5 opens a quote ...
    rows[7] = 'R008,1,"he said ""no"""'  # ... closed by the first quote on line 9
    with pytest.raises(DelimitedTextError) as err:
        read_delimited_text(write(tmp_path, "\n".join([HEADER, *rows])))
    assert err.value.line == 5 and err.value.column == "quoting"
    assert "only closed on line 9" in str(err.value) and "look like records of their own" in str(err.value)
    with pytest.raises(DataError, match=r"data.csv: line 5: a quote") as data_err:
        read_table(tmp_path / "data.csv")
    assert data_err.value.row == 5


def test_a_quote_never_closed_names_where_it_opened(tmp_path):
    rows = ROWS.copy()
    rows[5] = 'R006,1,"fine'
    with pytest.raises(DelimitedTextError, match=r"line 7: a quote .* never closed") as err:
        read_delimited_text(write(tmp_path, "\n".join([HEADER, *rows])))
    assert err.value.line == 7


def test_legitimate_multiline_fields_keep_every_row_and_its_line(tmp_path):
    text = "\n".join([HEADER, 'R001,1,"first line\nsecond line"', 'R002,1,I said "no" twice', "", "R003,2,ok\n"])
    t = read_table(write(tmp_path, text))
    assert t.data["id"].tolist() == ["R001", "R002", "R003"]
    assert t.rows.tolist() == [2, 4, 6]  # the multi-line comment moves the rows after it; the blank line too
    assert t.data.loc[1, "comment"] == 'I said "no" twice'


@pytest.mark.parametrize("delimiter, name", [(";", "semicolon"), ("\t", "tab"), ("|", "bar"), (",", "comma")])
def test_the_delimiter_is_recognised(tmp_path, delimiter, name):
    text = "\n".join(line.replace(",", delimiter) for line in [HEADER, *ROWS, "R011,2,\"a, b; c\""])
    t = read_delimited_text(write(tmp_path, text))
    assert t.delimiter_name == name
    assert read_table(tmp_path / "data.csv").data.shape == (11, 3)


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                        (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_byte_order_marks_decide_the_encoding(tmp_path, bom, codec):
    text = "\n".join([HEADER, "R001,1,Müştəri razıdır", "R002,2,مشتری"])
    t = read_table(write(tmp_path, bom + text.encode(codec)))
    assert t.data["comment"].tolist() == ["Müştəri razıdır", "مشتری"] and list(t.data.columns)[0] == "id"


def test_a_code_page_file_is_refused_with_how_to_read_it_or_read_when_named(tmp_path):
    text = "\n".join([HEADER, "R001,1,fine", "R002,1,très bien"]).encode("cp1252")
    path = write(tmp_path, text)
    with pytest.raises(DataError) as err:
        read_table(path)
    message = str(err.value)
    assert "line 3: byte 0xE8 at position 10 is not UTF-8" in message and "encoding='cp1252'" in message
    assert err.value.row == 3 and err.value.column == "encoding"
    assert read_table(path, encoding="cp1252").data["comment"].tolist() == ["fine", "très bien"]


def test_ragged_rows_name_the_line_and_the_delimiter(tmp_path):
    rows = ROWS.copy()
    rows[2] = "R003,1,fine, really"
    with pytest.raises(DataError, match=r"line 4: 4 fields where the header has 3 \(delimiter: comma\)"):
        read_table(write(tmp_path, "\n".join([HEADER, *rows])))


def test_header_only_and_empty_files_are_refused(tmp_path):
    with pytest.raises(DataError, match="no data rows"):
        read_table(write(tmp_path, HEADER + "\n"))
    assert len(read_table(tmp_path / "data.csv", allow_empty=True).data) == 0
    with pytest.raises(DataError):
        read_table(write(tmp_path, b"", "empty.csv"))


def test_nul_bytes_mean_not_text(tmp_path):
    with pytest.raises(DataError, match="NUL characters"):
        read_table(write(tmp_path, "\n".join([HEADER, *ROWS]).encode("utf-16-le")))
