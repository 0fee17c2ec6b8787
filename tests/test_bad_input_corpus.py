"""A corpus of bad input, generated here, run through the command line as a researcher with messy files would.

Every case asserts the exit code (0 ok, 1 a study failed on its data, 2 refused before running), that what the
terminal shows is short (each line within 120 characters), names the file and where in it, never shows a
traceback, and that the input file is unchanged (raw data is never modified). The runs go through
``cfresearch run`` in subprocesses, three at a time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "cfresearch.cli"]
SURVEY = ROOT / "data" / "sample" / "survey"
FOCUS = ROOT / "data" / "sample" / "focus_groups"
LEDGER = ROOT / "data" / "sample" / "profitability"

pytestmark = pytest.mark.slow


@dataclass
class Case:
    name: str
    study: str
    params: dict[str, str]
    exit_code: int
    expect: list[str]  # substrings of the terminal output
    files: list[Path] = field(default_factory=list)  # inputs whose hash must not change
    out_file: bool = False  # give --out a file instead of a folder


def _csv_lines() -> list[str]:
    return (SURVEY / "responses.csv").read_text(encoding="utf-8").split("\n")


def _write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _survey_cases(d: Path) -> list[Case]:
    lines = _csv_lines()
    cb = str(SURVEY / "codebook.yaml")
    cases = []

    def case(name, data, exit_code, expect, suffix=".csv", **extra):
        path = _write(d, f"{name}{suffix}", data)
        cases.append(Case(name, "survey", {"data_path": str(path), "codebook_path": cb, **extra}, exit_code,
                          expect, [path]))

    swallow = lines.copy()
    cells = swallow[60].split(",")
    cells[-2] = '"Great'  # a stray quote opens on line 61 and the next quote (line 69) closes it
    swallow[60] = ",".join(cells)
    case("stray_quote", "\n".join(swallow), 1, ["line 61: a quote", "only closed on line 69"])
    unclosed = lines.copy()
    unclosed[-2] = unclosed[-2].replace(",customer", ',"customer', 1)
    case("unclosed_quote", "\n".join(unclosed), 1, ["never closed"])
    case("semicolons", "\n".join(ln.replace(",", ";") for ln in lines), 0, ["survey", "ok"])
    latin = unicodedata.normalize("NFC", "\n".join(lines).replace("Really happy", "Très happy", 1)).encode(
        "cp1252", errors="replace")  # as Excel on Windows saves it
    case("cp1252", latin, 1, ["is not UTF-8", "encoding='cp1252'"])
    case("cp1252_named", latin, 0, ["ok"], encoding="cp1252")
    case("utf16", "\n".join(lines).encode("utf-16"), 0, ["ok"])
    ragged = lines.copy()
    ragged[40] += ",extra"
    case("ragged", "\n".join(ragged), 1, ["line 41: 29 fields where the header has 28"])
    case("empty", b"", 1, ["empty.csv"])
    case("header_only", lines[0] + "\n", 1, ["no data rows"])
    blank_wave = lines.copy()
    blank_wave[99] = ",".join([blank_wave[99].split(",")[0], "", *blank_wave[99].split(",")[2:]])
    case("blank_wave", "\n".join(blank_wave), 1, ["row 100, column wave", "required value missing"])
    case("broken_sav", b"$FL2@(#) not really SPSS" + bytes(200), 1, ["cannot read as SAV"], suffix=".sav")
    case("broken_xlsx", b"PK\x03\x04 not a workbook", 1, ["cannot read as XLSX"], suffix=".xlsx")
    case("broken_parquet", b"PAR1 truncated", 1, ["cannot read as Parquet"], suffix=".parquet")
    targets = (SURVEY / "targets.yaml").read_text(encoding="utf-8").replace("Central: 0.14", "Central: 0.0").replace(
        "North: 0.22", "North: 0.36")
    tpath = _write(d, "zero_targets.yaml", targets)
    cases.append(Case("zero_target", "survey", {"targets_path": str(tpath)}, 0, ["survey", "ok"], [tpath]))
    bad_cb = _write(d, "codebook_bad.yaml", (SURVEY / "codebook.yaml").read_text(encoding="utf-8")
                    .replace("  wave:\n", "  wave:\n   - oops\n", 1))
    cases.append(Case("bad_codebook_yaml", "survey", {"codebook_path": str(bad_cb)}, 1, ["codebook_bad.yaml"],
                      [bad_cb]))
    cases += [
        Case("level_out_of_range", "survey", {"level": "1.5"}, 2, ["must satisfy 0 < level < 1"]),
        Case("data_path_is_a_folder", "survey", {"data_path": str(SURVEY)}, 2, ["is a folder", "expected a file"]),
        Case("missing_file", "survey", {"data_path": str(d / "nowhere.csv")}, 2, ["input not found"]),
        Case("out_is_a_file", "survey", {}, 2, ["that is a file"], out_file=True),
    ]
    return cases


def _focus_cases(d: Path) -> list[Case]:
    folder = d / "transcripts_bad_bytes"
    shutil.copytree(FOCUS / "transcripts", folder)
    fg1 = folder / "FG1.en.txt"
    raw = fg1.read_bytes().split(b"\n")
    raw[4] = raw[4].replace(b"the", b"th\xe9", 1)
    fg1.write_bytes(b"\n".join(raw))
    missing = d / "participants_missing.csv"
    missing.write_text("".join(ln for ln in (FOCUS / "participants.csv").read_text(encoding="utf-8")
                               .splitlines(keepends=True) if ",Gareth," not in ln), encoding="utf-8")
    return [
        Case("transcript_bad_byte", "focus_groups", {"transcripts_path": str(folder), "codings_path": "None"}, 1,
             ["FG1.en.txt", "row 5, column encoding"], [fg1]),
        Case("unknown_speaker", "focus_groups", {"participants_path": str(missing)}, 1,
             ["FG1.en.txt", "column speaker", "'Gareth'"], [missing]),
        Case("transcripts_path_is_a_file", "focus_groups", {"transcripts_path": str(FOCUS / "codebook.yaml")}, 2,
             ["is a file", "expected a folder"]),
    ]


def _small_ledger(d: Path) -> dict[str, Path]:
    """The sample ledger of its first 300 customers (about 1,100 transactions and 450 activities), so that each
    run is quick: their customers, transactions and activities, and the cost model."""
    folder = d / "ledger"
    folder.mkdir()
    customers = (LEDGER / "customers.csv").read_text(encoding="utf-8").splitlines(keepends=True)[:301]
    keep = {ln.split(",")[0] for ln in customers[1:]}
    out = {}
    for name in ("customers", "transactions", "activities"):
        lines = (LEDGER / f"{name}.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        out[name] = _write(folder, f"{name}.csv", "".join([lines[0]] + [ln for ln in lines[1:]
                                                                          if ln.split(",")[0] in keep]))
    out["cost_model"] = LEDGER / "cost_model.yaml"
    return out


def _edit(lines: list[str], line: int, column: int, value: str) -> list[str]:
    """A copy of the CSV ``lines`` with field ``column`` of (1-based) ``line`` set to ``value``."""
    out = lines.copy()
    cells = out[line - 1].split(",")
    cells[column] = value
    out[line - 1] = ",".join(cells)
    return out


def _ledger_cases(d: Path) -> list[Case]:
    small = _small_ledger(d)
    tx = small["transactions"].read_text(encoding="utf-8").split("\n")  # header, records, "" after the last
    acts = small["activities"].read_text(encoding="utf-8").split("\n")
    model = small["cost_model"].read_text(encoding="utf-8")
    base = {"transactions_path": str(small["transactions"]), "activities_path": str(small["activities"]),
            "customers_path": str(small["customers"])}
    cases = []

    def case(name, param, data, exit_code, expect, suffix=".csv", **extra):
        path = _write(d, f"{name}{suffix}", data)
        cases.append(Case(name, "profitability", {**base, param: str(path), **extra}, exit_code, expect, [path]))

    def raised(name, data, expect, param="transactions_path", **extra):
        case(name, param, "\n".join(data), 1, expect, on_invalid="raise", **extra)

    # rows the validation refuses, with on_invalid=raise: file, row (the CSV line) and column
    raised("ledger_negative_quantity", _edit(tx, 61, 5, "-2"), ["ledger_negative_quantity.csv",
           "row 61, column quantity", "quantity below 1"])
    case("ledger_negative_quantity_excluded", "transactions_path", "\n".join(_edit(tx, 61, 5, "-2")), 0,
         ["profitability", "ok"])
    orphan = tx.copy()
    orphan.insert(74, ",".join(_edit(tx, 74, 1, "O999999")[73].split(",")[:3] + ["-10.0", "-6.0", "1",
                               "online", "False", "True", "0.0", "home"]))
    raised("ledger_refund_without_order", orphan, ["ledger_refund_without_order.csv", "row 75, column order_id",
           "'O999999'", "whose order_id has no sale"])
    raised("ledger_date_outside_window", _edit(tx, 80, 2, "2023-12-31"), ["ledger_date_outside_window.csv",
           "row 80, column date", "outside the analysis window 2024-01-01..2025-12-31"])
    duplicate = tx.copy()
    duplicate.insert(90, tx[89])
    raised("ledger_duplicate_line", duplicate, ["ledger_duplicate_line.csv", "row 91, column order_id",
           "same as row 90", "duplicate order line"])
    raised("ledger_revenue_not_a_number", _edit(tx, 70, 3, "12.50 GBP"), ["ledger_revenue_not_a_number.csv",
           "row 70, column revenue", "'12.50 GBP'", "not a number"])
    raised("ledger_unknown_customer", _edit(acts, 20, 0, "C99999"), ["ledger_unknown_customer.csv",
           "row 20, column customer_id", "'C99999'", "customer not in the customers table"], param="activities_path")
    raised("ledger_activity_without_rate", _edit(acts, 25, 2, "webinar"), ["ledger_activity_without_rate.csv",
           "row 25, column activity", "'webinar'", "missing rate", "cost_model.yaml"], param="activities_path")
    raised("ledger_no_revenue_column", [",".join(c for i, c in enumerate(ln.split(",")) if i != 3) for ln in tx],
           ["ledger_no_revenue_column.csv", "column revenue", "missing column 'revenue'"])
    # the cost model: file, YAML line and key, and what to give instead
    case("cost_missing_rate", "cost_model_path", model.replace("visit: {minutes: 60, pool: field_team}",
         "visit: {pool: field_team}"), 1, ["cost_missing_rate.yaml", "row 11, column activities.visit",
         "missing rate", "give its unit minutes"], suffix=".yaml")
    case("cost_unit_mismatch", "cost_model_path", model.replace("{rate: 3.20,", '{rate: "0.05 GBP/min",'), 1,
         ["cost_unit_mismatch.yaml", "row 6, column activities.order.rate", "unit mismatch",
          "belongs to a pool"], suffix=".yaml")
    case("cost_rate_not_a_number", "cost_model_path", model.replace("{rate: 8.50,", "{rate: cheap,"), 1,
         ["cost_rate_not_a_number.yaml", "row 7, column activities.delivery.rate", "expected a number",
          "'cheap'"], suffix=".yaml")
    case("cost_invalid_yaml", "cost_model_path", model.replace("pool: field_team}", "pool: field_team", 1), 1,
         ["cost_invalid_yaml.yaml", "row 12: not valid YAML", "flow mapping on line 11", "check brackets"],
         suffix=".yaml")
    # files that cannot be read as they are
    case("ledger_broken_parquet", "transactions_path", b"PAR1 truncated", 1, ["ledger_broken_parquet.parquet",
         "cannot read as Parquet"], suffix=".parquet")
    case("ledger_empty", "transactions_path", b"", 1, ["ledger_empty.csv", "the file is empty"])
    case("ledger_header_only", "transactions_path", tx[0] + "\n", 1, ["ledger_header_only.csv",
         "only a header (line 1), no data rows"])
    stray = _edit(_edit(tx, 61, 6, '"online'), 69, 6, tx[68].split(",")[6] + '"')  # opens on 61, closes on 69
    case("ledger_stray_quote", "transactions_path", "\n".join(stray), 1, ["ledger_stray_quote.csv",
         "line 61: a quote", "only closed on line 69", "Close or remove the stray quote"])
    case("ledger_unclosed_quote", "transactions_path", "\n".join(_edit(tx, len(tx) - 2, 6, '"online')), 1,
         [f"line {len(tx) - 2}: a quote", "never closed"])
    case("ledger_semicolons", "transactions_path", "\n".join(ln.replace(",", ";") for ln in tx), 0,
         ["profitability", "ok"])
    case("ledger_cp1252", "transactions_path", "\n".join(_edit(tx, 11, 6, "téléphone")).encode("cp1252"), 1,
         ["ledger_cp1252.csv", "line 11: byte 0xE9", "is not UTF-8", "CSV UTF-8"])
    ragged = tx.copy()
    ragged[40] += ",extra"
    case("ledger_ragged", "transactions_path", "\n".join(ragged), 1, ["ledger_ragged.csv",
         "line 41: 12 fields where the header has 11"])
    # parameters: a value the parameters cell constrains is refused before a kernel starts (2); engine and
    # memory_limit by a pattern (a Spark Connect URL, a size), whose error quotes the parameter's help
    cases += [
        Case("ledger_engine_polars", "profitability", {**base, "engine": "polars"}, 2,
             ["parameter 'engine' must match", "got 'polars'", "(where the ledger runs: duckdb, spark, pandas"]),
        Case("ledger_memory_limit_lots", "profitability", {**base, "memory_limit": "lots"}, 2,
             ["parameter 'memory_limit' must match", "got 'lots'", 'e.g. "2GB"']),
        Case("ledger_policy_nonsense", "profitability", {**base, "policy": "nonsense"}, 2,
             ["parameter 'policy' must be one of", "got 'nonsense'"]),
        Case("ledger_on_invalid_nonsense", "profitability", {**base, "on_invalid": "skip"}, 2,
             ["parameter 'on_invalid' must be one of exclude, raise"]),
    ]
    return cases


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"


def _run(case: Case, base: Path) -> tuple[Case, subprocess.CompletedProcess, dict, dict]:
    out = base / f"reports-{case.name}"
    if case.out_file:
        out = base / f"{case.name}.txt"
        out.write_text("a file, not a folder\n", encoding="utf-8")
    before = {p: _sha(p) for p in case.files}
    args = [a for k, v in case.params.items() for a in ("-p", f"{k}={v}")]
    r = subprocess.run(CLI + ["run", case.study, "-q", "--out", str(out), *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=600)
    return case, r, before, {p: _sha(p) for p in case.files}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, tuple]:
    base = tmp_path_factory.mktemp("bad-input")
    cases = _survey_cases(base) + _focus_cases(base) + _ledger_cases(base)
    with ThreadPoolExecutor(max_workers=4) as pool:
        return {c.name: res for c, res in zip(cases, pool.map(lambda c: _run(c, base), cases), strict=True)}


CASE_NAMES = ["stray_quote", "unclosed_quote", "semicolons", "cp1252", "cp1252_named", "utf16", "ragged", "empty",
              "header_only", "blank_wave", "broken_sav", "broken_xlsx", "broken_parquet", "zero_target",
              "bad_codebook_yaml", "level_out_of_range", "data_path_is_a_folder", "missing_file", "out_is_a_file",
              "transcript_bad_byte", "unknown_speaker", "transcripts_path_is_a_file",
              "ledger_negative_quantity", "ledger_negative_quantity_excluded", "ledger_refund_without_order",
              "ledger_date_outside_window", "ledger_duplicate_line", "ledger_revenue_not_a_number",
              "ledger_unknown_customer", "ledger_activity_without_rate", "ledger_no_revenue_column",
              "cost_missing_rate", "cost_unit_mismatch", "cost_rate_not_a_number", "cost_invalid_yaml",
              "ledger_broken_parquet", "ledger_empty", "ledger_header_only", "ledger_stray_quote",
              "ledger_unclosed_quote", "ledger_semicolons", "ledger_cp1252", "ledger_ragged", "ledger_engine_polars",
              "ledger_memory_limit_lots", "ledger_policy_nonsense", "ledger_on_invalid_nonsense"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_input_is_refused_clearly(corpus, name):
    case, r, before, after = corpus[name]
    shown = r.stdout + r.stderr
    assert r.returncode == case.exit_code, shown
    assert "Traceback" not in shown and "np.int64" not in shown
    for text in case.expect:
        assert text in " ".join(shown.split()), f"{text!r} not in:\n{shown}"
    assert all(len(line) <= 120 for line in r.stdout.splitlines()), r.stdout
    assert len(r.stderr) <= 400, r.stderr  # a usage error is one short line; a run's own noise stays in its log
    assert before == after, "an input file was modified"


def test_the_corpus_covers_every_case(corpus):
    assert sorted(corpus) == sorted(CASE_NAMES)


def test_zero_targets_are_warned_in_the_report(corpus, tmp_path_factory):
    """A target share of 0 for a region in the sample weights its respondents to zero: said at the top of the
    report and among the run's headline figures (the index and the key findings)."""
    case, r, _, _ = corpus["zero_target"]
    (run,) = [p for p in (Path(case.params["targets_path"]).parent / "reports-zero_target" / "survey").iterdir()]
    results = json.loads((run / "results.json").read_text(encoding="utf-8"))
    assert results["weighted_to_zero"]["headline"] and results["weighted_to_zero"]["value"] > 0
    text = (run / "report.html").read_text(encoding="utf-8")
    assert "weighted to zero" in text and "region = Central" in text


def test_excluded_ledger_rows_are_said_in_the_report(corpus):
    """With on_invalid=exclude (the default) a row with a negative quantity is left out, and the report's opening
    paragraph says how many rows were left out and why."""
    case, r, _, _ = corpus["ledger_negative_quantity_excluded"]
    (run,) = [p for p in (Path(case.files[0]).parent / "reports-ledger_negative_quantity_excluded" /
                          "profitability").iterdir()]
    text = " ".join((run / "report.html").read_text(encoding="utf-8").split())
    assert "1 rows failed validation and were left out" in text.replace("<strong>", "").replace("</strong>", "")
    assert "transactions rows: negative quantity" in text
