"""REFI-QDA exchange: every .qde written validates against the REFI-QDA project schema (QDA-XML 1.0, 18 March
2019, tests/fixtures/refi_qda, MIT) with xmlschema; round trips keep codes, selections, offsets and
attributes; hand-written exports in the styles of ATLAS.ti and QualCoder (their known departures, see
../shared/notes/qualitative.md §2.3) and the spec's own example (REFI-QDA 1.5 §10.2: "granola" selected as
startPosition 62, endPosition 69) read back to the words they select.

No schema for .qdc files is in the repository: a .qdc is validated by moving its <Codes> into a <Project> of
the project namespace, whose CodeBook/Codes/Code types are the codebook schema's (REFI-QDA 1.5 §5), and
validating that with the project schema.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xmlschema

from cfresearch.data import DataError
from cfresearch.qual.codebook import load_codebook
from cfresearch.qual.corpus import Corpus
from cfresearch.qual.refi import NS_CODEBOOK, NS_PROJECT, export_qdc, export_qdpx, import_qdc, import_qdpx

XSD = Path(__file__).resolve().parents[1] / "fixtures" / "refi_qda" / "Project-mrt2019.xsd"
Q = f"{{{NS_PROJECT}}}"

CODEBOOK_YAML = """\
title: Service study
codes:
  staff:
    label: Staff
    codable: false
    definition: What participants say about the people who serve them.
    codes:
      staff_friendly:
        label: Friendly staff
        definition: |-
          Staff described as friendly, polite or welcoming.
          Include: this line belongs to the definition, not to the rules.
        include: greetings, smiles, a kind tone
        exclude: what staff know (staff_knowledge)
        example: "The girl at the till was lovely."
        color: "#1f77b4"
      staff_knowledge:
        label: Product knowledge
        color: "#abc"
  service:
    label: Service
    codes:
      speed:
        label: Speed
        definition: How fast things happen.
        codes:
          queue:
            label: "Queues: waiting in line"
            example: "Növbə çox uzun idi."
  price:
    label: قیمت
    definition: قیمت‌ها و تخفیف‌ها
    color: "#D62728"
"""

DOCUMENTS = {
    "FG1.en.txt": "Moderator: How was the staff?\nAnna: The girl at the till was lovely 😀 and quick.\n"
                  "Ben: Too slow, we waited 20 minutes.\n",
    "FG2.az.txt": "Moderator: Xidmət necə idi?\nLeyla: Müştəri 😀 razıdır, işçilər çox mehriban idilər.\n"
                  "Elvin: Növbə çox uzun idi.\n",
    "FG3.fa.txt": "Moderator: نظرتان چیست؟\nMina: کارکنان خیلی مهربان بودند و می‌خواهم دوباره بیایم 🙂\n"
                  "Reza: قیمت‌ها گران است.\n",
}

#: (coder, document, phrase, occurrence, code): selections by phrase, offsets found in the text.
CODED = [
    ("coder_a", "FG1.en.txt", "lovely", "staff_friendly"),
    ("coder_b", "FG1.en.txt", "lovely", "staff_friendly"),
    ("coder_a", "FG1.en.txt", "quick", "speed"),
    ("coder_b", "FG1.en.txt", "lovely 😀 and quick", "speed"),
    ("coder_a", "FG1.en.txt", "Too slow, we waited 20 minutes", "queue"),
    ("coder_a", "FG1.en.txt", "Too slow, we waited 20 minutes", "speed"),
    ("coder_b", "FG1.en.txt", "Too slow, we waited 20 minutes", "queue"),
    ("coder_a", "FG2.az.txt", "razıdır", "service"),
    ("coder_a", "FG2.az.txt", "mehriban idilər", "staff_friendly"),
    ("coder_b", "FG2.az.txt", "işçilər çox mehriban idilər", "staff_friendly"),
    ("coder_b", "FG2.az.txt", "Növbə çox uzun idi", "queue"),
    ("coder_a", "FG3.fa.txt", "مهربان", "staff_friendly"),
    ("coder_b", "FG3.fa.txt", "کارکنان خیلی مهربان", "staff_friendly"),
    ("coder_a", "FG3.fa.txt", "می‌خواهم دوباره بیایم 🙂\nReza: قیمت‌ها", "price"),  # spans two turns
    ("coder_a", "FG3.fa.txt", "قیمت‌ها گران است", "price"),
    ("coder_b", "FG3.fa.txt", "قیمت‌ها گران است", "price"),
]

_TURN = re.compile(r"^([^\W\d_][^:\n]{0,39}): (.*)$", re.M)


def _turns(documents: dict[str, str]) -> pd.DataFrame:
    """Turns found by a regular expression (independent of cfresearch.qual.transcripts)."""
    rows = []
    for doc, text in documents.items():
        group, language = doc.split(".")[:2]
        for i, m in enumerate(_TURN.finditer(text), 1):
            rows.append({"group": group, "document": doc, "turn": i, "speaker": m.group(1), "start": np.nan,
                         "end": np.nan, "text": m.group(2), "char_start": m.start(2), "char_end": m.end(2),
                         "language": language, "line": text.count("\n", 0, m.start()) + 1})
    return pd.DataFrame(rows)


def _participants() -> pd.DataFrame:
    people = [("FG1", "Moderator", "moderator"), ("FG1", "Anna", "customer"), ("FG1", "Ben", "customer"),
              ("FG2", "Moderator", "moderator"), ("FG2", "Leyla", "customer"), ("FG2", "Elvin", "employee"),
              ("FG3", "Moderator", "moderator"), ("FG3", "Mina", "customer"), ("FG3", "Reza", "customer")]
    frame = pd.DataFrame(people, columns=["group", "speaker", "role"])
    frame["segment"] = [None, "loyal", "new", None, "sadiq müştəri", "loyal", None, "new", "loyal"]
    frame["age"] = pd.array([None, 34, 51, None, 28, 45, None, 39, 62], dtype="Int64")
    frame["visits"] = [np.nan, 2.5, 0.1, np.nan, 1e-05, 12.0, np.nan, 3.25, 7.0]
    frame["loyal"] = pd.array([None, True, False, None, True, False, None, False, True], dtype="boolean")
    frame["joined"] = pd.to_datetime([None, "2021-03-04", "2019-11-30", None, "2022-01-15", "2018-06-01", None,
                                      "2020-02-29", "2017-09-09"])
    return frame


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(XSD)


@pytest.fixture
def study(tmp_path):
    (tmp_path / "codebook.yaml").write_text(CODEBOOK_YAML, encoding="utf-8")
    codebook = load_codebook(tmp_path / "codebook.yaml")
    corpus = Corpus(dict(DOCUMENTS), _turns(DOCUMENTS), _participants())
    rows = []
    for coder, doc, phrase, code in CODED:
        start = DOCUMENTS[doc].index(phrase)
        rows.append({"coder": coder, "document": doc, "start": start, "end": start + len(phrase), "code": code})
    return corpus, codebook, pd.DataFrame(rows)


def _qde(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("project.qde").decode("utf-8")


def _write_qdpx(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


# ---------------------------------------------------------------------------------------------- export


def test_export_validates_against_the_refi_schema(study, schema, tmp_path):
    corpus, codebook, codings = study
    out = export_qdpx(corpus, codebook, codings, tmp_path / "study.qdpx", project_name="Service study")
    qde = _qde(out)
    schema.validate(qde)
    root = ET.fromstring(qde)
    assert root.tag == f"{Q}Project" and root.get("name") == "Service study" and root.get("origin") == "cfresearch"
    assert [c.tag.rsplit("}", 1)[-1] for c in root] == ["Users", "CodeBook", "Variables", "Cases", "Sources"]
    assert [u.get("name") for u in root.iter(f"{Q}User")] == ["coder_a", "coder_b"]
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    sources = list(root.iter(f"{Q}TextSource"))
    assert names == ["project.qde"] + [f"sources/{s.get('guid')}.txt" for s in sources]
    assert [s.get("plainTextPath") for s in sources] == [f"internal://{s.get('guid')}.txt" for s in sources]
    # hierarchy by nesting, folders not codable, colours
    top = root.find(f"{Q}CodeBook/{Q}Codes")
    assert [(c.get("name"), c.get("isCodable")) for c in top.findall(f"{Q}Code")] == [
        ("Staff", "false"), ("Service", "true"), ("قیمت", "true")]
    queue = top.find(f"{Q}Code[@name='Service']/{Q}Code[@name='Speed']/{Q}Code")
    assert queue.get("name") == "Queues: waiting in line" and queue.get("color") is None
    assert top.find(f".//{Q}Code[@name='Friendly staff']").get("color") == "#1f77b4"
    # one selection per coder and span; the span coded twice by coder_a carries two Codings
    sels = root.findall(f".//{Q}PlainTextSelection")
    assert len(sels) == len({(c, d, p) for c, d, p, _ in CODED}) == 15
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{Q}User")}
    assert all(users[c.get("creatingUser")] == users[s.get("creatingUser")] for s in sels for c in s)
    assert sorted(len(s.findall(f"{Q}Coding")) for s in sels) == [1] * 14 + [2]
    # typeOfVariable from the dtype
    kinds = {v.get("name"): v.get("typeOfVariable") for v in root.iter(f"{Q}Variable")}
    assert kinds == {"group": "Text", "speaker": "Text", "role": "Text", "segment": "Text", "age": "Integer",
                     "visits": "Float", "loyal": "Boolean", "joined": "Date"}
    assert len(root.findall(f"{Q}Cases/{Q}Case")) == 9
    # without codings and participants: no Users, Variables or Cases (empty ones would be invalid)
    bare = _qde(export_qdpx(Corpus(dict(DOCUMENTS), corpus.turns), codebook, codings.head(0), tmp_path / "b.qdpx"))
    schema.validate(bare)
    assert [c.tag.rsplit("}", 1)[-1] for c in ET.fromstring(bare)] == ["CodeBook", "Sources"]


def test_the_validator_is_live(study, schema, tmp_path):
    """The schema rejects what the notes say it rejects (so a passing validation means something)."""
    corpus, codebook, codings = study
    qde = _qde(export_qdpx(corpus, codebook, codings, tmp_path / "study.qdpx"))
    assert schema.is_valid(qde)
    assert not schema.is_valid(qde.replace(' isCodable="false"', "", 1))  # Code without isCodable
    assert not schema.is_valid(qde.replace("</Project>", "<Sets/></Project>"))  # empty Sets
    a_set = '<Sets><Set guid="00000000-0000-4000-8000-000000000001" name="s"/></Sets></Project>'
    assert schema.is_valid(qde.replace("</Project>", a_set))  # the same place with a Set is fine
    assert not schema.is_valid(qde.replace(f' xmlns="{NS_PROJECT}"', "", 1))  # no namespace
    moved = re.sub(r"(<Users>.*?</Users>)\s*(<CodeBook>.*?</CodeBook>)", r"\2\1", qde, flags=re.S)
    assert moved != qde and not schema.is_valid(moved)  # child order matters
    assert not schema.is_valid(re.sub(r"<CodeRef [^>]*/>", "", qde, count=1))  # Coding without CodeRef


def test_exported_text_is_utf8_nfc_lf_without_bom_and_offsets_count_code_points(study, tmp_path):
    corpus, codebook, codings = study
    out = export_qdpx(corpus, codebook, codings, tmp_path / "study.qdpx")
    with zipfile.ZipFile(out) as zf:
        root = ET.fromstring(zf.read("project.qde"))
        for source in root.iter(f"{Q}TextSource"):
            data = zf.read(f"sources/{source.get('guid')}.txt")
            assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
            text = data.decode("utf-8")
            assert text == DOCUMENTS[source.get("name")]
            # code points, UTF-16 units and bytes all differ here (emoji, Persian, Azerbaijani letters)
            assert len(text) < len(text.encode("utf-16-le")) // 2 < len(data)
            spans = {(text[int(s.get("startPosition")):int(s.get("endPosition"))]) for s in
                     source.iter(f"{Q}PlainTextSelection")}
            assert spans == {p for _, d, p, _ in CODED if d == source.get("name")}
    # qualitative.md §5: in "Müştəri 😀 razıdır" the word razı starts at code point 10 (UTF-16 unit 11, byte 16)
    az = DOCUMENTS["FG2.az.txt"]
    line = az.index("Müştəri")
    sel = [s for s in root.iter(f"{Q}PlainTextSelection") if az[int(s.get("startPosition")):].startswith("razı")]
    assert [int(s.get("startPosition")) - line for s in sel] == [10]
    assert len(az[line:line + 10].encode("utf-16-le")) // 2 == 11 and len(az[line:line + 10].encode()) == 16


def test_two_exports_are_byte_identical(study, tmp_path):
    corpus, codebook, codings = study
    a = export_qdpx(corpus, codebook, codings, tmp_path / "a.qdpx").read_bytes()
    shuffled = codings.sample(frac=1, random_state=7).reset_index(drop=True)
    b = export_qdpx(corpus, codebook, pd.concat([shuffled, shuffled.head(3)]), tmp_path / "b.qdpx").read_bytes()
    assert a == b
    changed = codings.assign(end=codings["end"].where(codings.index != 0, codings["end"] - 1))
    assert export_qdpx(corpus, codebook, changed, tmp_path / "c.qdpx").read_bytes() != a
    with zipfile.ZipFile(tmp_path / "a.qdpx") as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_round_trip_keeps_codes_selections_offsets_and_attributes(study, tmp_path):
    corpus, codebook, codings = study
    project = import_qdpx(export_qdpx(corpus, codebook, codings, tmp_path / "study.qdpx"))
    # every code: hierarchy, label, definition, include, exclude, example, colour, codable
    assert list(project.codebook.codes) == list(codebook.codes)
    for name, code in codebook.codes.items():
        assert project.codebook[name] == dataclasses.replace(code, patterns={}, line=project.codebook[name].line)
    assert project.codebook["staff_friendly"].definition.endswith("\nInclude: this line belongs to the definition, "
                                                                  "not to the rules.")
    # every selection with its coder and exact offsets
    key = ["coder", "document", "start", "end", "code"]
    got = project.codings[key].sort_values(key).reset_index(drop=True)
    assert got.equals(codings[key].sort_values(key).reset_index(drop=True))
    assert (project.codings.apply(lambda r: project.corpus.documents[r.document][r.start:r.end], axis=1)
            .tolist() == [DOCUMENTS[r.document][r.start:r.end] for r in project.codings.itertuples()])
    assert project.corpus.documents == DOCUMENTS
    # turns read by cfresearch.qual.transcripts agree with the regular expression's
    cols = ["document", "turn", "speaker", "text", "char_start", "char_end", "group", "language"]
    assert project.corpus.turns[cols].astype(str).equals(corpus.turns[cols].astype(str))
    spanning = project.codings[project.codings["end"] - project.codings["start"] > 30]
    assert spanning["turn"].isna().all() and project.codings["turn"].notna().sum() == len(codings) - 1
    # every participant attribute, with its type
    pd.testing.assert_frame_equal(project.corpus.participants, _participants())
    assert project.cases.loc[project.cases["speaker"] == "Leyla", "documents"].tolist() == [("FG2.az.txt",)]
    assert project.users["coder"].tolist() == ["coder_a", "coder_b"] and project.issues.empty
    assert "3 text document(s), 7 codes, 16 codings by 2 coder(s), 9 case(s); 0 item(s)" in project.summary()
    assert "<table" in project._repr_html_()
    frame = project.to_frame()
    assert frame["codings"].tolist() == [7, 4, 5] and frame["language"].tolist() == ["en", "az", "fa"]


def test_coders_option_names_and_lists_users(study, tmp_path):
    corpus, codebook, codings = study
    out = export_qdpx(corpus, codebook, codings, tmp_path / "s.qdpx", coders={"coder_b": "B", "coder_a": "A"})
    assert import_qdpx(out).codings["coder"].value_counts().to_dict() == {"A": 9, "B": 7}
    out = export_qdpx(corpus, codebook, codings, tmp_path / "t.qdpx", coders=["coder_b", "coder_a", "coder_c"])
    assert [u.get("name") for u in ET.fromstring(_qde(out)).iter(f"{Q}User")] == ["coder_b", "coder_a", "coder_c"]
    with pytest.raises(ValueError, match="coder_b"):
        export_qdpx(corpus, codebook, codings, tmp_path / "u.qdpx", coders=["coder_a"])


def test_export_refuses_bad_codings_and_never_leaves_a_half_written_file(study, tmp_path, monkeypatch):
    corpus, codebook, codings = study
    target = tmp_path / "study.qdpx"
    target.write_bytes(b"the previous export")
    bad = pd.concat([codings, pd.DataFrame([
        {"coder": "coder_a", "document": "FG1.en.txt", "start": 5, "end": 999, "code": "speed"},
        {"coder": "coder_a", "document": "FG1.en.txt", "start": 5, "end": 9, "code": "staff"},
        {"coder": "coder_a", "document": "FG9.en.txt", "start": 5, "end": 9, "code": "nope"}])], ignore_index=True)
    with pytest.raises(DataError) as err:
        export_qdpx(corpus, codebook, bad, target)
    text = str(err.value)
    assert "4 problems in the codings to export" in text and "row 17, column end" in text
    assert "folder (codable: false)" in text and "row 19, column code: value 'nope'" in text
    monkeypatch.setattr(zipfile.ZipFile, "writestr", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        export_qdpx(corpus, codebook, codings, target)
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codebook.yaml", "study.qdpx"]
    with pytest.raises(DataError, match="not in Unicode NFC"):
        export_qdpx(Corpus({"d.txt": "Anna: Cafe\u0301"}, corpus.turns.head(0)), codebook, codings.head(0),
                    tmp_path / "x.qdpx")


# ---------------------------------------------------------------------------------------------- .qdc


def test_qdc_round_trip_and_validation(study, schema, tmp_path):
    _, codebook, _ = study
    out = export_qdc(codebook, tmp_path / "service.qdc")
    root = ET.fromstring(out.read_bytes())
    assert root.tag == f"{{{NS_CODEBOOK}}}CodeBook" and dict(root.attrib) == {"origin": "cfresearch"}
    assert [c.tag.rsplit("}", 1)[-1] for c in root] == ["Codes"]
    codes = root.find(f"{{{NS_CODEBOOK}}}Codes")
    for element in codes.iter():
        element.tag = element.tag.replace(NS_CODEBOOK, NS_PROJECT)
    project = ET.Element(f"{Q}Project", {"name": "codebook"})
    ET.SubElement(project, f"{Q}CodeBook").append(codes)
    schema.validate(ET.tostring(project, encoding="unicode"))
    back = import_qdc(out)
    assert back.title == "service" and list(back.codes) == list(codebook.codes)
    for name, code in codebook.codes.items():
        assert back[name] == dataclasses.replace(code, patterns={}, line=back[name].line)
    # the same GUIDs as in a project export
    guids = {c.get("name"): c.get("guid") for c in root.iter(f"{Q}Code")}
    assert len(set(guids.values())) == len(codebook.codes)


# ------------------------------------------------------------------------------------- exports of other tools

GRANOLA = "Anna: In the morning I usually have a big bowl of yogurt with granola and fruit."
CRLF_TEXT = "Ben: I skip breakfast on weekdays.\r\nAnna: Same here,\r\nbut at noon I eat a sandwich.\r\n"


def _atlas_qde(origin: str, noon: tuple[int, int], sandwich: tuple[int, int], code_ref: str = "C3") -> str:
    g = "{{B7A1C0DE-0000-4000-8000-0000000000{}}}".format
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Breakfast study" origin="{origin}"
         basePath="C:\\Users\\someone\\Documents" creatingUserGUID="{g('AA')}">
  <Users>
    <User guid="{g('AA')}" name="Susanne"/>
    <User guid="{g('BB')}" name="Tom"/>
  </Users>
  <CodeBook>
    <Codes>
      <Code guid="{g('C1')}" name="Food" isCodable="true">
        <Code guid="{g('C2')}" name="Healthy food" isCodable="true">
          <Code guid="{g('C3')}" name="Healthy food" isCodable="true"/>
        </Code>
      </Code>
      <Code guid="{g('C4')}" name="Time of day" isCodable="true">
        <Description>When people eat.</Description>
      </Code>
    </Codes>
  </CodeBook>
  <Sources>
    <TextSource guid="{g('D1')}" name="INT1.en.txt">
      <PlainTextContent>{GRANOLA}</PlainTextContent>
      <PlainTextSelection guid="{g('E1')}" name="granola" startPosition="62" endPosition="69"
                          creatingUser="{g('AA')}" creationDateTime="2019-06-04T09:37:20Z">
        <Coding guid="{g('F1')}" creationDateTime="2019-06-04T09:37:20Z">
          <CodeRef targetGUID="{g('C2')}"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{g('E2')}" startPosition="10" endPosition="10" creatingUser="{g('AA')}">
        <Coding guid="{g('F2')}"><CodeRef targetGUID="{g('C4')}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="{g('D2')}" name="INT2.en.txt" plainTextPath="internal://{g('D2')}.txt">
      <PlainTextSelection guid="{g('E3')}" startPosition="{noon[0]}" endPosition="{noon[1]}">
        <Coding guid="{g('F3')}"><CodeRef targetGUID="{g('C4')}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{g('E4')}" startPosition="{sandwich[0]}" endPosition="{sandwich[1]}"
                          creatingUser="{g('BB')}">
        <Coding guid="{g('F4')}" creatingUser="{g('BB')}"><CodeRef targetGUID="{g(code_ref)}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <PDFSource guid="{g('D3')}" name="Menu.pdf" path="internal://{g('D3')}.pdf"/>
  </Sources>
</Project>
"""


def _span(text: str, word: str) -> tuple[int, int]:
    start = text.index(word)
    return start, start + len(word)


def test_the_spec_example_granola_is_62_to_69():
    """REFI-QDA 1.5 §10.2's ATLAS.ti example selects "granola" as startPosition 62, endPosition 69."""
    assert GRANOLA[62:69] == "granola"


def test_atlas_ti_style_export(schema, tmp_path):
    """<name>.qde, Sources/ in capitals, PlainTextContent, a CRLF source counted with CRLF as one character, no
    colours, GUIDs in braces, Codings without creatingUser, a zero-length selection, a PDF source."""
    lf = CRLF_TEXT.replace("\r\n", "\n")
    qde = _atlas_qde("ATLAS.ti 23.2.1", _span(lf, "noon"), _span(lf, "sandwich"))
    schema.validate(qde)
    path = _write_qdpx(tmp_path / "Breakfast study.qdpx", {
        "Breakfast study.qde": qde, "Sources/{B7A1C0DE-0000-4000-8000-0000000000D2}.txt": CRLF_TEXT.encode()})
    project = import_qdpx(path)
    docs = project.corpus.documents
    assert docs["INT2.en.txt"] == lf and docs["INT1.en.txt"] == GRANOLA
    got = project.codings.assign(words=[docs[r.document][r.start:r.end] for r in project.codings.itertuples()])
    assert got[["coder", "document", "start", "end", "code", "words"]].values.tolist() == [
        ["Susanne", "INT1.en.txt", 62, 69, "Healthy_food", "granola"],
        ["Susanne", "INT2.en.txt", 59, 63, "Time_of_day", "noon"],
        ["Tom", "INT2.en.txt", 72, 80, "Healthy_food_2", "sandwich"]]
    cb = project.codebook
    assert list(cb.codes) == ["Food", "Healthy_food", "Healthy_food_2", "Time_of_day"]
    assert [cb[c].parent for c in cb.codes] == [None, "Food", "Healthy_food", None]
    assert cb["Healthy_food_2"].label == "Healthy food" and cb["Time_of_day"].definition == "When people eat."
    assert {c.color for c in cb.codes.values()} == {""}
    issues = project.issues
    assert issues[["row", "column", "kind", "action"]].values.tolist() == [
        [29, "PlainTextSelection", "zero-length selection", "skipped"],
        [42, "PDFSource", "not a text source", "skipped"]]
    assert project.corpus.turns.groupby("document")["speaker"].agg(list).to_dict() == {
        "INT1.en.txt": ["Anna"], "INT2.en.txt": ["Ben", "Anna"]}
    assert project.codings["turn"].tolist() == [1.0, 2.0, 2.0]
    assert "2 item(s) left out" in project.summary()


@pytest.mark.parametrize("origin, crlf, counted_as", [("MAXQDA 2022 (Release 22.5.0)", "auto", 2),
                                                       ("NVivo 14", "auto", 2), ("ATLAS.ti 23", 2, 2),
                                                       ("MAXQDA 2022", 1, 1)])
def test_crlf_offsets_are_mapped_onto_the_lf_text(tmp_path, origin, crlf, counted_as):
    text = CRLF_TEXT if counted_as == 2 else CRLF_TEXT.replace("\r\n", "\n")
    qde = _atlas_qde(origin, _span(text, "noon"), _span(text, "sandwich"))
    path = _write_qdpx(tmp_path / "p.qdpx", {"project.qde": qde,
                                             "sources/{B7A1C0DE-0000-4000-8000-0000000000D2}.txt": CRLF_TEXT})
    project = import_qdpx(path, crlf=crlf)
    doc = project.corpus.documents["INT2.en.txt"]
    rows = project.codings[project.codings["document"] == "INT2.en.txt"]
    assert [doc[s:e] for s, e in zip(rows["start"], rows["end"])] == ["noon", "sandwich"]


QUALCODER_TEXT = "Mina: کارکنان خیلی مهربان بودند 😀\nReza: قیمت‌ها گران است، ولی ارزشش را دارد.\n"


def _qualcoder_qde(code_ref: str = "c2") -> str:
    u1, u2 = "0c6e57a2-1111-4aaa-8bbb-000000000001", "0c6e57a2-1111-4aaa-8bbb-000000000002"
    g = "7d1f0a3e-2222-4ccc-8ddd-0000000000{}".format
    kind = QUALCODER_TEXT.index("مهربان"), QUALCODER_TEXT.index("مهربان") + len("مهربان")
    price = _span(QUALCODER_TEXT, "قیمت‌ها گران است")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 name="service.qda" origin="QualCoder 3.5" creatingUserGUID="{u1}" creationDateTime="2024-05-01T10:00:00Z">
<Users><User guid="{u1}" name="default"/><User guid="{u2}" name="parisa"/></Users>
<CodeBook><Codes>
<Code guid="{g('c1')}" name="Staff" isCodable="true" color="#F1C40F"><Description>About the staff.</Description>
<Code guid="{g('c2')}" name="Friendly" isCodable="true" color="#2ECC71">
<Code guid="{g('c3')}" name="Very friendly" isCodable="true" color="#27AE60"/></Code></Code>
<Code guid="{g('c4')}" name="قیمت" isCodable="true" color="#E74C3C"/>
</Codes></CodeBook>
<Variables><Variable guid="{g('a1')}" name="age" typeOfVariable="Integer"/><Variable guid="{g('a2')}" name="city" \
typeOfVariable="Text"/></Variables>
<Cases><Case guid="{g('b1')}" name="Mina"><VariableValue><VariableRef targetGUID="{g('a1')}"/><IntegerValue>39\
</IntegerValue></VariableValue><VariableValue><VariableRef targetGUID="{g('a2')}"/><TextValue>Tabriz</TextValue>\
</VariableValue><SourceRef targetGUID="{g('d1')}"/></Case><Case guid="{g('b2')}" name="Reza"><VariableValue>\
<VariableRef targetGUID="{g('a1')}"/><IntegerValue>62</IntegerValue></VariableValue><SourceRef \
targetGUID="{g('d1')}"/></Case></Cases>
<Sources>
<TextSource guid="{g('d1')}" name="FG3.fa.txt" plainTextPath="internal://{g('d1')}.txt" creatingUser="{u1}">
<PlainTextSelection guid="{g('e1')}" startPosition="{kind[0]}" endPosition="{kind[1]}" creatingUser="{u1}">
<Coding guid="{g('f1')}" creatingUser="{u1}"><CodeRef targetGUID="{g(code_ref)}"/></Coding>
<Coding guid="{g('f2')}" creatingUser="{u2}"><CodeRef targetGUID="{g('c2')}"/></Coding>
</PlainTextSelection>
<PlainTextSelection guid="{g('e2')}" startPosition="{price[0]}" endPosition="{price[1]}" creatingUser="{u2}">
<Coding guid="{g('f3')}" creatingUser="{u2}"><CodeRef targetGUID="{g('c4')}"/></Coding>
</PlainTextSelection>
<PlainTextSelection guid="{g('e3')}" startPosition="{price[0]}" endPosition="{price[1]}" creatingUser="{u1}">
<Coding guid="{g('f4')}" creatingUser="{u1}"><CodeRef targetGUID="{g('c4')}"/></Coding>
</PlainTextSelection>
</TextSource>
<TextSource guid="{g('d2')}" name="Field notes.txt"><PlainTextContent>The shop was busy.</PlainTextContent>
</TextSource>
</Sources>
</Project>
"""


def test_qualcoder_style_export(schema, tmp_path):
    """project.qde with a utf-8-sig source (QualCoder writes a BOM), one selection shared by two coders (two
    Codings), another coded by both in separate selections, codes three deep with colours."""
    qde = _qualcoder_qde()
    schema.validate(qde)
    path = _write_qdpx(tmp_path / "service.qdpx", {
        "project.qde": qde, "sources/7d1f0a3e-2222-4ccc-8ddd-0000000000d1.txt": QUALCODER_TEXT.encode("utf-8-sig")})
    project = import_qdpx(path)
    doc = project.corpus.documents["FG3.fa.txt"]
    assert doc == QUALCODER_TEXT and not doc.startswith("\ufeff")
    got = [(r.coder, r.code, doc[r.start:r.end]) for r in project.codings.itertuples()]
    assert got == [("default", "Friendly", "مهربان"), ("parisa", "Friendly", "مهربان"),
                   ("default", "قیمت", "قیمت‌ها گران است"), ("parisa", "قیمت", "قیمت‌ها گران است")]
    assert project.codings["start"].tolist()[:2] == [QUALCODER_TEXT.index("مهربان")] * 2
    cb = project.codebook
    assert [(c, cb[c].parent, cb[c].label, cb[c].color) for c in cb.codes] == [
        ("Staff", None, "Staff", "#F1C40F"), ("Friendly", "Staff", "Friendly", "#2ECC71"),
        ("Very_friendly", "Friendly", "Very friendly", "#27AE60"), ("قیمت", None, "قیمت", "#E74C3C")]
    assert cb["Staff"].definition == "About the staff."
    assert project.users["coder"].tolist() == ["default", "parisa"]
    # a text without speaker labels is kept as a document, without turns, and said so
    assert project.corpus.documents["Field notes.txt"] == "The shop was busy."
    assert project.issues[["row", "column", "value", "kind", "action"]].values.tolist() == [
        [26, "TextSource", "Field notes.txt", "no turns", "left without turns"]]
    assert "no speaker turns found" in project.issues["problem"][0]
    assert project.to_frame()["turns"].tolist() == [2, 0]
    assert project.corpus.turns["language"].unique().tolist() == ["fa"]
    # cases without group and speaker variables (as the tools write them): group from the documents they refer
    # to, speaker from the case name
    cases = project.cases
    assert cases.columns.tolist() == ["case", "group", "speaker", "age", "city", "documents"]
    assert cases[["group", "speaker", "age"]].values.tolist() == [["FG3", "Mina", 39], ["FG3", "Reza", 62]]
    assert cases["age"].dtype == "int64" and cases["city"].tolist()[0] == "Tabriz" and pd.isna(cases["city"][1])
    assert project.corpus.turns_with_participants()["age"].tolist() == [39, 62]


# ---------------------------------------------------------------------------------------------- errors


def test_errors_name_the_file_and_the_line(tmp_path):
    not_zip = tmp_path / "notes.qdpx"
    not_zip.write_text("hello")
    with pytest.raises(DataError, match=r"notes\.qdpx: not a REFI-QDA project \(\.qdpx is a zip"):
        import_qdpx(not_zip)
    with pytest.raises(DataError, match="file not found"):
        import_qdpx(tmp_path / "absent.qdpx")
    empty = _write_qdpx(tmp_path / "empty.qdpx", {"sources/a.txt": "x"})
    with pytest.raises(DataError, match=r"empty\.qdpx: expected one \.qde project file .*found none"):
        import_qdpx(empty)
    plain = _write_qdpx(tmp_path / "plain.qdpx", {"project.qde": '<?xml version="1.0"?>\n<Project name="x"/>'})
    with pytest.raises(DataError, match=r"plain\.qdpx: project\.qde, line 2: .*'no namespace'.*QDA-XML namespace"):
        import_qdpx(plain)
    twice = _qualcoder_qde().replace("<User ", "<User a='' a='' ", 1)  # an attribute given twice, on line 4
    broken = _write_qdpx(tmp_path / "broken.qdpx", {"My study.qde": twice})
    with pytest.raises(DataError, match=r"broken\.qdpx: My study\.qde, line 4, column \d+: not well-formed XML "
                                        r"\(duplicate attribute\)") as err:
        import_qdpx(broken)
    assert err.value.row == 4
    missing = _write_qdpx(tmp_path / "missing.qdpx", {"project.qde": _qualcoder_qde()})
    with pytest.raises(DataError, match=r"row 14, column TextSource: value 'FG3\.fa\.txt' — the source file "
                                        r"internal://7d1f0a3e.*d1\.txt is not in the archive") as err:
        import_qdpx(missing)
    assert err.value.row == 14 and "missing.qdpx: 1 problem in project.qde" in str(err.value)
    unknown = _write_qdpx(tmp_path / "unknown.qdpx", {
        "project.qde": _qualcoder_qde(code_ref="99"),
        "sources/7d1f0a3e-2222-4ccc-8ddd-0000000000d1.txt": QUALCODER_TEXT})
    with pytest.raises(DataError, match=r"unknown\.qdpx: 1 problem in project\.qde:\n  row 16, column CodeRef: "
                                        r"value '7d1f0a3e-2222-4ccc-8ddd-000000000099' — code GUID not in the "
                                        r"CodeBook \(selection 7d1f0a3e-2222-4ccc-8ddd-0000000000e1 of 'FG3\.fa\.txt'"):
        import_qdpx(unknown)
    outside = _write_qdpx(tmp_path / "outside.qdpx", {
        "x.qde": _atlas_qde("ATLAS.ti", (50, 500), (1, 2)),
        "sources/{B7A1C0DE-0000-4000-8000-0000000000D2}.txt": CRLF_TEXT})
    with pytest.raises(DataError, match=r"row 34, column PlainTextSelection: .*50\.\.500 lies outside the text"):
        import_qdpx(outside)
    with pytest.raises(ValueError, match="crlf must be 'auto', 1 or 2"):
        import_qdpx(_write_qdpx(tmp_path / "ok.qdpx", {"x.qde": _qualcoder_qde()}), crlf=3)


def test_qdc_errors(tmp_path):
    wrong = tmp_path / "project.qdc"
    wrong.write_text('<CodeBook xmlns="urn:QDA-XML:project:1.0"><Codes/></CodeBook>', encoding="utf-8")
    with pytest.raises(DataError, match=r"project\.qdc, line 1: .*urn:QDA-XML:codebook:1\.0"):
        import_qdc(wrong)
    bad = tmp_path / "bad.qdc"
    bad.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0">\n<Codes>\n<Code name="a">\n</Codes>',
                   encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.qdc, line 4, column \d+: not well-formed XML"):
        import_qdc(bad)
    with pytest.raises(DataError, match="codebook file not found"):
        import_qdc(tmp_path / "none.qdc")
