"""Exchange with NVivo, ATLAS.ti, MAXQDA and QualCoder in the REFI-QDA standard: a whole project as ``.qdpx``
and a codebook alone as ``.qdc``.

The standard is REFI-QDA 1.5 (Rotterdam Exchange Format Initiative, 25 September 2019, qdasoftware.org) with
its XML schema QDA-XML 1.0 (``Project.xsd``, 18 March 2019). A ``.qdpx`` is a zip holding one ``project.qde``
(XML in the namespace ``urn:QDA-XML:project:1.0``) and a ``sources/`` folder of files named ``<GUID>.<ext>``
(spec §8.1, §8.4). What cfresearch writes, element by element, in the order the schema's sequences require:

* ``Users``: one ``User`` per coder (its ``name`` is the coder);
* ``CodeBook/Codes``: the codebook's hierarchy by nesting; folders (``codable: false``) get
  ``isCodable="false"``; ``color`` when the code has one; ``name`` is the code's label. REFI-QDA has no fields
  for a code's rules, so its ``Description`` carries them in a labelled layout that :func:`import_qdpx` and
  :func:`import_qdc` read back (a value's further lines are indented by two spaces)::

      Name: staff_friendly
      Definition: Staff described as friendly, polite or welcoming.
      Include: greetings, smiles, patience, a kind tone
      Exclude: what staff know (staff_knowledge)
      Example: The girl at the till was lovely.

  (auto-coding patterns stay in the YAML codebook: REFI-QDA has no place for them);
* ``Variables`` and ``Cases``: one ``Case`` per participant (group, speaker) with ``group``, ``speaker`` and
  every other column of the participants table as ``VariableValue`` (``typeOfVariable`` from the column's
  dtype: Boolean, Integer, Float, Date, DateTime, else Text; a missing value is left out) and a ``SourceRef``
  to each document the participant speaks in;
* ``Sources``: one ``TextSource`` per document, ``plainTextPath="internal://<GUID>.txt"``; the ``.txt`` is
  exactly the document text (UTF-8, NFC, LF, no byte-order mark), so that the offsets count the same code
  points; one ``PlainTextSelection`` per coder and span with ``creatingUser`` and one ``Coding``/``CodeRef``
  per code applied. Offsets are 0-based, half-open Unicode code points (spec §10.2: "the first codepoint
  has the number 0"; its ATLAS.ti example selects the 7 letters of "granola" as 62..69).

GUIDs are ``uuid5`` of a fixed namespace and a stable key (code name, document name, coder, selection), and
the zip's entries have fixed times and order, so exporting the same data twice gives the same bytes and
exports diff cleanly (the idea of Taguette's codebook export). Files are written to a temporary file in the
target folder and moved into place, so a failed export leaves no half-written file.

Reading exports of the real tools (:func:`import_qdpx`) takes their known departures from the standard:

* the ``.qde`` may have another name (ATLAS.ti writes ``<project>.qde``): the single ``.qde`` at the root is
  read; sources may sit in ``sources/`` or ``Sources/`` (any case), or inline as ``PlainTextContent``;
* a source ``.txt`` may start with a byte-order mark (QualCoder writes ``utf-8-sig``): it is removed before
  code points are counted; UTF-16 with a byte-order mark is read too;
* line breaks: the text is normalised to LF (and NFC), and the offsets are mapped onto the normalised text so
  that a selection covers the same words. How many positions the tool gave a CRLF is the ``crlf`` argument:
  ``"auto"`` takes 1 when ``Project@origin`` names ATLAS.ti (which counts CRLF as one character) and 2
  otherwise (the spec counts code points of the file, where CR and LF are two). Text inline in the XML
  reaches us with LF only (XML end-of-line handling), so its offsets need no mapping;
* two coders' codings of one span may share a ``PlainTextSelection`` (several ``Coding`` with different
  ``creatingUser``) or not; a ``Coding`` without ``creatingUser`` belongs to its selection's
  ``creatingUser``, else the project's ``creatingUserGUID``, else to coder ``"unknown"``;
* zero-length selections, duplicate codings and non-text sources (PDF, pictures, audio, video) are left out,
  and each is recorded in the result's ``issues`` table (with the line of the ``.qde``), never silently;
* codes nested to any depth; a code's name comes from its ``Name:`` line when it has one, else from its REFI
  name made identifier-like and unique (``Friendly staff`` -> ``Friendly_staff``); its label is the REFI name.

A file that cannot be read raises :class:`cfresearch.data.DataError` naming the file, and the line of the
``.qde`` where there is one: not a zip, no ``.qde``, malformed XML (the parser's line), XML outside the
QDA-XML namespace, a missing source file, a ``CodeRef`` to a code that is not in the codebook, offsets outside
the text.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import unicodedata
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from xml.parsers import expat

import numpy as np
import pandas as pd

from cfresearch.data import DataError, issues_frame
from cfresearch.qual.codebook import Code, QualCodebook
from cfresearch.qual.corpus import CODING_COLUMNS, TURN_COLUMNS, Corpus, empty_codings, turn_of
from cfresearch.results import Result

__all__ = ["NS_CODEBOOK", "NS_PROJECT", "QdaProject", "export_qdc", "export_qdpx", "import_qdc", "import_qdpx"]

#: The XML namespace of a REFI-QDA project (``.qde``) and of a codebook (``.qdc``).
NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"

#: Every GUID cfresearch writes is uuid5 of this namespace and a stable key.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://cfresearch/refi-qda/1.0")

_FIELDS = (("name", "Name"), ("definition", "Definition"), ("include", "Include"), ("exclude", "Exclude"),
           ("example", "Example"))
_LABEL = re.compile(r"(Name|Definition|Include|Exclude|Example):[ \t]?(.*)")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_EXTENSIONS = {"txt", "docx", "doc", "rtf", "odt", "pdf", "vtt", "srt", "html", "htm", "md", "xml", "csv"}
_OTHER_SOURCES = {"PictureSource", "PDFSource", "AudioSource", "VideoSource"}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _guid(*key) -> str:
    """A deterministic GUID for ``key`` (a kind and stable names), as REFI-QDA's 8-4-4-4-12 hex."""
    return str(uuid.uuid5(GUID_NAMESPACE, json.dumps(key, ensure_ascii=False)))


# --------------------------------------------------------------------------------------------------- export


def _xml_text(value, where: str) -> str:
    """``value`` as text that XML 1.0 can carry, else ValueError naming ``where``."""
    text = str(value)
    bad = _NOT_XML.search(text)
    if bad:
        raise ValueError(f"{where}: {text!r} holds the character U+{ord(bad.group()):04X}, which XML 1.0 "
                         f"cannot carry; remove it before exporting")
    return text


def _describe(code: Code) -> str:
    """A code's Description: the labelled layout of the module docstring."""
    lines = []
    for attr, label in _FIELDS:
        value = getattr(code, attr)
        if value:
            lines.append(f"{label}: " + _xml_text(value, f"code {code.name!r}, {attr}").replace("\n", "\n  "))
    return "\n".join(lines)


def _codes_element(codebook: QualCodebook) -> ET.Element:
    """``<Codes>`` with the codebook's hierarchy as nested ``<Code>`` elements (parents before children)."""
    codes = ET.Element("Codes")
    stack = [(codes, name) for name in reversed(codebook.children(None))]
    while stack:
        parent, name = stack.pop()
        code = codebook[name]
        attrs = {"guid": _guid("code", name), "name": _xml_text(code.label or name, f"code {name!r}, label"),
                 "isCodable": "true" if code.codable else "false"}
        if code.color:
            attrs["color"] = code.color
        element = ET.SubElement(parent, "Code", attrs)
        ET.SubElement(element, "Description").text = _describe(code)
        stack.extend((element, child) for child in reversed(codebook.children(name)))
    return codes


def _check_documents(documents: Mapping[str, str]) -> None:
    """Every document is NFC text with LF line ends and no byte-order mark (what the offsets count)."""
    for name, text in documents.items():
        problem = ("starts with a byte-order mark" if text.startswith("\ufeff") else
                   "holds CR line ends (expected LF)" if "\r" in text else
                   "is not in Unicode NFC" if not unicodedata.is_normalized("NFC", text) else "")
        if problem:
            raise DataError(f"export_qdpx: document {name!r} {problem}; the corpus text must be what the offsets "
                            f"count (NFC, LF, no BOM), as the transcript readers return it")
        _xml_text(name, "export_qdpx: document name")


def _coding_issues(frame: pd.DataFrame, documents: Mapping[str, str], codebook: QualCodebook) -> list[dict]:
    """Problems of a codings table for export, one issue per row and column (vectorised checks)."""
    rows = np.arange(len(frame)) + 1
    start = pd.to_numeric(frame["start"], errors="coerce")
    end = pd.to_numeric(frame["end"], errors="coerce")
    length = frame["document"].map({d: len(t) for d, t in documents.items()}).astype("float64")
    codable = frame["code"].map({n: c.codable for n, c in codebook.codes.items()}).astype(object)
    checks = [
        ("coder", frame["coder"].isna(), "a coder is needed"),
        ("document", length.isna(), "not a document of the corpus"),
        ("code", codable.isna(), "not a code of the codebook"),
        ("code", codable.eq(False), "a folder (codable: false) cannot be applied"),
        ("start", start.isna() | (start % 1 != 0) | (start < 0), "expected a whole number >= 0"),
        ("end", end.isna() | (end % 1 != 0) | (end <= start), "expected a whole number > start"),
        ("end", length.notna() & (end > length), "beyond the end of the document"),
    ]
    issues = []
    for column, bad, problem in checks:
        bad = bad.to_numpy(dtype=bool)
        issues += [{"row": int(r), "column": column, "value": str(v), "problem": problem, "kind": problem,
                    "action": "raise"} for r, v in zip(rows[bad], frame[column].to_numpy()[bad])]
    return issues


def _coded_selections(codings: pd.DataFrame, documents: Mapping[str, str], codebook: QualCodebook) -> pd.DataFrame:
    """The codings to export, checked, without exact duplicates, in document, span, coder and code order."""
    missing = [c for c in ("coder", "document", "start", "end", "code") if c not in codings.columns]
    if missing:
        raise ValueError(f"export_qdpx: codings lack the column(s) {missing}; expected {CODING_COLUMNS}")
    frame = codings[["coder", "document", "start", "end", "code"]].reset_index(drop=True)
    issues = _coding_issues(frame, documents, codebook)
    if issues:
        raise DataError.from_issues(None, issues_frame(issues), what="in the codings to export",
                                    hint="Rows count the codings table's rows from 1.")
    frame = frame.astype({"coder": str, "document": str, "code": str, "start": "int64", "end": "int64"})
    frame = frame.drop_duplicates(ignore_index=True)
    doc_order = {d: i for i, d in enumerate(documents)}
    code_order = {c: i for i, c in enumerate(codebook.codes)}
    frame = (frame.assign(_d=frame["document"].map(doc_order), _c=frame["code"].map(code_order))
             .sort_values(["_d", "start", "end", "coder", "_c"], kind="stable", ignore_index=True)
             .drop(columns=["_d", "_c"]))
    return frame


def _user_names(frame: pd.DataFrame, coders) -> dict[str, str]:
    """Coder -> the name written in ``User@name``: sorted coders of the codings, or ``coders``' order/names."""
    used = sorted(set(frame["coder"]))
    if coders is None:
        return {c: c for c in used}
    names = {str(k): str(v) for k, v in coders.items()} if isinstance(coders, Mapping) else {str(c): str(c)
                                                                                            for c in coders}
    unknown = [c for c in used if c not in names]
    if unknown:
        raise ValueError(f"export_qdpx: the codings' coder(s) {unknown} are not in coders={list(names)}")
    if len(set(names.values())) < len(names):
        raise ValueError(f"export_qdpx: coders={coders!r} gives two coders one name; each user needs its own")
    return names


def _variable_type(series: pd.Series) -> str:
    """REFI-QDA ``typeOfVariable`` for a participants column, from its dtype."""
    values = series.dropna()
    if pd.api.types.is_bool_dtype(series):
        return "Boolean"
    if pd.api.types.is_integer_dtype(series):
        return "Integer"
    if pd.api.types.is_float_dtype(series):
        return "Float"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "Date" if values.empty or bool((values == values.dt.normalize()).all()) else "DateTime"
    inferred = pd.api.types.infer_dtype(values, skipna=True) if len(values) else "empty"
    return {"boolean": "Boolean", "integer": "Integer", "floating": "Float", "date": "Date",
            "datetime": "DateTime", "datetime64": "DateTime"}.get(inferred, "Text")


def _value_text(value, kind: str, where: str) -> str:
    """A participant attribute as the text of its ``<TextValue>``, ``<IntegerValue>``, ... element."""
    if kind == "Boolean":
        return "true" if bool(value) else "false"
    if kind == "Integer":
        return str(int(value))
    if kind == "Float":
        if not np.isfinite(float(value)):
            raise ValueError(f"{where}: {value!r} is not a finite number (xsd:decimal has no infinity)")
        return format(Decimal(repr(float(value))), "f")
    if kind == "Date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "DateTime":
        return pd.Timestamp(value).isoformat()
    return _xml_text(value, where)


def _participant_documents(turns: pd.DataFrame) -> dict[tuple, list[str]]:
    """(group, speaker) -> the documents they speak in, in turn order."""
    if turns is None or turns.empty or not {"group", "speaker", "document"} <= set(turns.columns):
        return {}
    pairs = turns[["group", "speaker", "document"]].drop_duplicates()
    return {(g, s): list(d) for (g, s), d in pairs.groupby(["group", "speaker"], sort=False)["document"]}


def _cases_elements(participants: pd.DataFrame, turns: pd.DataFrame) -> tuple[ET.Element, ET.Element]:
    """``<Variables>`` (group, speaker, then the other columns) and one ``<Case>`` per participant."""
    missing = [c for c in ("group", "speaker") if c not in participants.columns]
    if missing:
        raise ValueError(f"export_qdpx: participants lack the column(s) {missing}; they are joined on group and "
                         f"speaker")
    dup = participants.duplicated(["group", "speaker"])
    if dup.any():
        first = participants.loc[dup, ["group", "speaker"]].iloc[0].tolist()
        raise ValueError(f"export_qdpx: participant {first} is listed more than once")
    columns = ["group", "speaker"] + [c for c in participants.columns if c not in ("group", "speaker")]
    kinds = {c: ("Text" if c in ("group", "speaker") else _variable_type(participants[c])) for c in columns}
    variables = ET.Element("Variables")
    for c in columns:
        ET.SubElement(variables, "Variable", {"guid": _guid("variable", str(c)),
                                              "name": _xml_text(c, "participants column"),
                                              "typeOfVariable": kinds[c]})
    cases = ET.Element("Cases")
    spoken = _participant_documents(turns)
    for record in participants[columns].to_dict("records"):
        key = (record["group"], record["speaker"])
        case = ET.SubElement(cases, "Case", {"guid": _guid("case", str(key[0]), str(key[1])),
                                             "name": _xml_text(f"{key[1]} ({key[0]})", "participant")})
        for c in columns:
            if record[c] is None or (np.ndim(record[c]) == 0 and pd.isna(record[c])):
                continue
            vv = ET.SubElement(case, "VariableValue")
            ET.SubElement(vv, "VariableRef", {"targetGUID": _guid("variable", str(c))})
            ET.SubElement(vv, f"{kinds[c]}Value").text = _value_text(record[c], kinds[c], f"participant {key}, {c}")
        for document in spoken.get(key, []):
            ET.SubElement(case, "SourceRef", {"targetGUID": _guid("source", document)})
    return variables, cases


def _sources_element(documents: Mapping[str, str], frame: pd.DataFrame, users: Mapping[str, str]) -> ET.Element:
    """``<Sources>``: a TextSource per document with a PlainTextSelection per coder and span."""
    sources = ET.Element("Sources")
    by_doc = dict(tuple(frame.groupby("document", sort=False)))
    for name in documents:
        guid = _guid("source", name)
        source = ET.SubElement(sources, "TextSource", {"guid": guid, "name": name,
                                                       "plainTextPath": f"internal://{guid}.txt"})
        rows = by_doc.get(name)
        if rows is None:
            continue
        for (start, end, coder), codes in rows.groupby(["start", "end", "coder"], sort=False)["code"]:
            who = users[coder]  # the name written (a pseudonym stays one in the GUIDs too)
            user = _guid("user", who)
            sel = ET.SubElement(source, "PlainTextSelection", {
                "guid": _guid("selection", name, who, int(start), int(end)), "startPosition": str(start),
                "endPosition": str(end), "creatingUser": user})
            for code in codes:
                coding = ET.SubElement(sel, "Coding", {"guid": _guid("coding", name, who, int(start), int(end), code),
                                                       "creatingUser": user})
                ET.SubElement(coding, "CodeRef", {"targetGUID": _guid("code", code)})
    return sources


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def _write_atomically(path: Path, members: Sequence[tuple[str, bytes]] | bytes) -> Path:
    """Write ``members`` as a zip (or the bytes as they are) to a temporary file beside ``path``, then move it
    into place; the zip entries have a fixed time and order, so equal content gives equal bytes."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(members, bytes):
                fh.write(members)
            else:
                with zipfile.ZipFile(fh, "w") as zf:
                    for name, data in members:
                        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                        info.compress_type, info.create_system = zipfile.ZIP_DEFLATED, 3
                        info.external_attr = 0o644 << 16
                        zf.writestr(info, data, compresslevel=6)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def export_qdpx(corpus: Corpus, codebook: QualCodebook, codings: pd.DataFrame, path: str | Path, *,
                project_name: str | None = None, participants: pd.DataFrame | None = None,
                coders: Sequence[str] | Mapping[str, str] | None = None, origin: str = "cfresearch") -> Path:
    """Write a REFI-QDA project (``.qdpx``) that NVivo, ATLAS.ti, MAXQDA and QualCoder open: users, codebook,
    participants as cases with their attributes, the documents as plain-text sources and every coded selection
    with its coder (layout, GUIDs and line-break rules in the module docstring; REFI-QDA 1.5, §8-§10).

    ``codings`` has the columns of :data:`cfresearch.qual.corpus.CODING_COLUMNS` (``turn`` is not needed);
    offsets are code points of ``corpus.documents``, which must be NFC, LF, no BOM. ``participants`` (default
    ``corpus.participants``) become cases; ``coders`` lists the users to write (a list: these coders, in this
    order; a mapping: coder -> the name to write, e.g. a pseudonym), by default the coders of ``codings``.
    Identical codings rows are written once. Returns ``path``; the file is replaced atomically.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from cfresearch.qual.codebook import load_codebook
    >>> from cfresearch.qual.corpus import Corpus
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> _ = (folder / "codebook.yaml").write_text(
    ...     "codes:\\n  staff: {label: Staff, codable: false, codes: {friendly: {label: Friendly staff}}}\\n"
    ...     "  speed: {label: Speed, definition: How fast things happen.}\\n", encoding="utf-8")
    >>> codebook = load_codebook(folder / "codebook.yaml")
    >>> text = "Leyla: Çox mehriban idilər 😀\\nMina: خیلی سریع بود\\n"
    >>> turns = pd.DataFrame({"group": "FG1", "document": "FG1.az.txt", "turn": [1, 2], "speaker": ["Leyla", "Mina"],
    ...                       "start": np.nan, "end": np.nan, "text": ["Çox mehriban idilər 😀", "خیلی سریع بود"],
    ...                       "char_start": [7, 35], "char_end": [28, 48], "language": "az", "line": [1, 2]})
    >>> corpus = Corpus({"FG1.az.txt": text}, turns,
    ...                 pd.DataFrame({"group": "FG1", "speaker": ["Leyla", "Mina"], "age": [34, 51]}))
    >>> codings = pd.DataFrame({"coder": ["ana", "ben"], "document": "FG1.az.txt", "start": [11, 35],
    ...                         "end": [19, 48], "code": ["friendly", "speed"]})
    >>> out = export_qdpx(corpus, codebook, codings, folder / "study.qdpx")
    >>> import zipfile
    >>> sorted(n.split("/")[0] for n in zipfile.ZipFile(out).namelist())
    ['project.qde', 'sources']
    >>> text[11:19]
    'mehriban'
    >>> tmp.cleanup()
    """
    documents = dict(corpus.documents)
    _check_documents(documents)
    frame = _coded_selections(codings, documents, codebook)
    names = _user_names(frame, coders)
    root = ET.Element("Project", {"xmlns": NS_PROJECT,
                                  "name": _xml_text(project_name or codebook.title, "export_qdpx: project_name"),
                                  "origin": _xml_text(origin, "export_qdpx: origin")})
    if names:
        users = ET.SubElement(root, "Users")
        for name in names.values():
            ET.SubElement(users, "User", {"guid": _guid("user", name), "name": _xml_text(name, "coder")})
    if codebook.codes:
        ET.SubElement(root, "CodeBook").append(_codes_element(codebook))
    people = participants if participants is not None else corpus.participants
    if people is not None and len(people):
        root.extend(_cases_elements(people, corpus.turns))
    if documents:
        root.append(_sources_element(documents, frame, names))
    members = [("project.qde", _xml_bytes(root))]
    members += [(f"sources/{_guid('source', name)}.txt", text.encode("utf-8")) for name, text in documents.items()]
    return _write_atomically(Path(path), members)


def export_qdc(codebook: QualCodebook, path: str | Path, *, origin: str = "cfresearch") -> Path:
    """Write the codebook alone as a REFI-QDA codebook (``.qdc``, namespace ``urn:QDA-XML:codebook:1.0``,
    REFI-QDA 1.5 §5): the hierarchy, labels, colours and rules (in ``Description``, see the module docstring),
    with the same GUIDs as :func:`export_qdpx`. Returns ``path``; the file is replaced atomically.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from cfresearch.qual.codebook import load_codebook
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> _ = (folder / "codebook.yaml").write_text(
    ...     "codes:\\n  staff: {label: Staff, codable: false, codes: {friendly: {label: Friendly staff}}}\\n"
    ...     "  speed: {label: Speed, include: waiting times, color: '#ff7f0e'}\\n", encoding="utf-8")
    >>> out = export_qdc(load_codebook(folder / "codebook.yaml"), folder / "codebook.qdc")
    >>> print(out.read_text(encoding="utf-8"))  # doctest: +ELLIPSIS
    <?xml version="1.0" encoding="UTF-8"?>
    <CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="cfresearch">
      <Codes>
        <Code guid="..." name="Staff" isCodable="false">
          <Description>Name: staff</Description>
          <Code guid="..." name="Friendly staff" isCodable="true">
            <Description>Name: friendly</Description>
          </Code>
        </Code>
        <Code guid="..." name="Speed" isCodable="true" color="#ff7f0e">
          <Description>Name: speed
    Include: waiting times</Description>
        </Code>
      </Codes>
    </CodeBook>
    >>> tmp.cleanup()
    """
    root = ET.Element("CodeBook", {"xmlns": NS_CODEBOOK, "origin": _xml_text(origin, "export_qdc: origin")})
    root.append(_codes_element(codebook))
    return _write_atomically(Path(path), _xml_bytes(root))


# --------------------------------------------------------------------------------------------------- import


@dataclass(frozen=True, eq=False)
class QdaProject(Result):
    """A REFI-QDA project read by :func:`import_qdpx`: the corpus (documents, turns, participants from the
    cases), the codebook, the codings (:data:`~cfresearch.qual.corpus.CODING_COLUMNS`), the cases with their
    attributes, the users, and the ``issues`` found on the way (what was left out and why, with the line of
    the ``.qde``)."""

    name: str
    origin: str
    corpus: Corpus
    codebook: QualCodebook
    codings: pd.DataFrame
    cases: pd.DataFrame = field(repr=False)
    users: pd.DataFrame = field(repr=False)
    issues: pd.DataFrame = field(repr=False)
    path: Path | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per document: group, language, characters, turns, coded selections, codings and coders."""
        docs = pd.Series(list(self.corpus.documents), dtype=object)
        turns = self.corpus.turns
        c = self.codings
        g = c.groupby("document")
        selections = c.drop_duplicates(["document", "coder", "start", "end"]).groupby("document").size()
        return pd.DataFrame({
            "document": docs, "group": docs.map(lambda d: _name_parts(d)[0]),
            "language": docs.map(lambda d: _name_parts(d)[1]),
            "characters": docs.map(lambda d: len(self.corpus.documents[d])),
            "turns": docs.map(turns.groupby("document").size()).fillna(0).astype("int64"),
            "selections": docs.map(selections).fillna(0).astype("int64"),
            "codings": docs.map(g.size()).fillna(0).astype("int64"),
            "coders": docs.map(g["coder"].nunique()).fillna(0).astype("int64")})

    def summary(self) -> str:
        left = self.issues["action"].isin(["skipped", "dropped"]).sum() if len(self.issues) else 0
        return (f"REFI-QDA project {self.name!r} from {self.origin or 'an unnamed tool'}: "
                f"{len(self.corpus.documents)} text document(s), {len(self.codebook.codes)} codes, "
                f"{len(self.codings):,} codings by {self.codings['coder'].nunique()} coder(s), "
                f"{len(self.cases)} case(s); {left} item(s) left out (see .issues).")


def _name_parts(name: str) -> tuple[str, str]:
    """(group, language) of a document name ``<group>.<language>.<ext>`` (language "und" when absent)."""
    parts = name.split(".")
    language = "und"
    if len(parts) >= 3 and _LANGUAGE.fullmatch(parts[1]):
        language = parts[1]
    elif len(parts) == 2 and _LANGUAGE.fullmatch(parts[1]) and parts[1].lower() not in _EXTENSIONS:
        language = parts[1]
    return parts[0], language


@dataclass
class _Xml:
    """A parsed XML file and where it came from: the archive (or file), the member, each element's line."""

    path: Path
    member: str
    root: ET.Element
    lines: dict[int, int]
    ns: str = NS_PROJECT
    issues: list[dict] = field(default_factory=list)
    source_lines: dict[str, int] = field(default_factory=dict)  # document name -> line of its TextSource

    def q(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))

    def line(self, element: ET.Element) -> int:
        return self.lines.get(id(element), 0)

    def local(self, element: ET.Element) -> str:
        return element.tag.rsplit("}", 1)[-1]

    def error(self, element: ET.Element | None, problem: str, value="", kind: str = "") -> DataError:
        """The DataError for one problem at ``element``: the file, the member, the line and the element."""
        line = self.line(element) if element is not None else 0
        column = self.local(element) if element is not None else ""
        issues = issues_frame([{"row": line, "column": column, "value": str(value), "problem": problem,
                                "kind": kind or problem, "action": "raise"}])
        return DataError.from_issues(self.path, issues, what=f"in {self.member}",
                                     hint=f"Rows are lines of {self.member}; columns are its XML elements.")

    def note(self, element: ET.Element, problem: str, value, kind: str, action: str = "skipped") -> None:
        self.issues.append({"row": self.line(element), "column": self.local(element), "value": str(value),
                            "problem": problem, "kind": kind, "action": action})


def _parse_xml(data: bytes, path: Path, member: str, ns: str) -> _Xml:
    """Parse ``data`` (expat, with each element's line kept) and check the root is in the namespace ``ns``."""
    builder = ET.TreeBuilder()
    lines: dict[int, int] = {}
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def name(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def start(tag, attrs):
        element = builder.start(name(tag), {name(k): v for k, v in attrs.items()})
        lines[id(element)] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise DataError(f"{path}: {member}, line {exc.lineno}, column {exc.offset + 1}: not well-formed XML "
                        f"({expat.errors.messages[exc.code]})", path=path, row=exc.lineno) from exc
    root = builder.close()
    xml = _Xml(path, member, root, lines, ns)
    want = "Project" if ns == NS_PROJECT else "CodeBook"
    if root.tag != f"{{{ns}}}{want}":
        found = root.tag.split("}")[0].lstrip("{") if root.tag.startswith("{") else "no namespace"
        raise DataError(f"{path}: {member}, line {xml.line(root)}: the root element <{xml.local(root)}> is in "
                        f"{found!r}; a REFI-QDA {'project' if want == 'Project' else 'codebook'} is <{want}> in "
                        f"the QDA-XML namespace {ns!r}", path=path, row=xml.line(root))
    return xml


def _parse_description(text: str | None) -> dict[str, str]:
    """The fields of a Description in the labelled layout; unlabelled text is the definition."""
    fields: dict[str, list[str]] = {}
    current = None
    for line in (text or "").split("\n"):
        m = _LABEL.fullmatch(line)
        if m:
            current = m.group(1).lower()
            fields.setdefault(current, []).append(m.group(2))
            continue
        if current is None:
            current = "definition"
            fields[current] = []
        fields[current].append(line[2:] if line.startswith("  ") else line)
    return {k: "\n".join(v).strip() for k, v in fields.items()}


def _identifier(text: str) -> str:
    """``text`` made a Python-identifier-like code name (letters of any script kept, the rest -> ``_``)."""
    chars = [c if ("a" + c).isidentifier() else "_" for c in unicodedata.normalize("NFC", text)]
    name = re.sub("_+", "_", "".join(chars)).strip("_")
    return name if name.isidentifier() else f"code_{name}".rstrip("_")


def _read_codes(xml: _Xml, codes_element: ET.Element | None) -> tuple[dict[str, Code], dict[str, str]]:
    """The codes under ``<Codes>`` (any depth, parents first) and the map code GUID -> code name."""
    entries = []  # (element, parent index, fields)
    stack = [(c, None) for c in reversed(codes_element.findall(xml.q("Code")))] if codes_element is not None else []
    while stack:
        element, parent = stack.pop()
        if element.get("guid") is None or element.get("name") is None:
            raise xml.error(element, "a Code needs guid and name attributes")
        entries.append((element, parent, _parse_description(element.findtext(xml.q("Description")))))
        stack.extend((c, len(entries) - 1) for c in reversed(element.findall(xml.q("Code"))))
    names: list[str | None] = [None] * len(entries)
    taken: set[str] = set()
    for i, (_, _, fields) in enumerate(entries):  # explicit Name: lines first
        wanted = fields.get("name", "")
        if wanted.isidentifier() and wanted not in taken:
            names[i] = wanted
            taken.add(wanted)
    for i, (element, _, _) in enumerate(entries):
        if names[i] is None:
            base = candidate = _identifier(element.get("name", ""))
            k = 2
            while candidate in taken:
                candidate, k = f"{base}_{k}", k + 1
            names[i] = candidate
            taken.add(candidate)
    codes, guids = {}, {}
    for i, (element, parent, fields) in enumerate(entries):
        label = element.get("name") or names[i]
        codes[names[i]] = Code(
            name=names[i], label=label, parent=None if parent is None else names[parent],
            definition=fields.get("definition", ""), include=fields.get("include", ""),
            exclude=fields.get("exclude", ""), example=fields.get("example", ""), color=element.get("color", ""),
            codable=element.get("isCodable", "true").strip().lower() in ("true", "1"), line=xml.line(element))
        guids[_norm_guid(element.get("guid"))] = names[i]
    return codes, guids


def _norm_guid(guid: str | None) -> str | None:
    return None if guid is None else guid.strip().strip("{}").lower()


def _read_users(xml: _Xml) -> pd.DataFrame:
    """One row per User: guid (as written), name, id and the coder name used in the codings."""
    rows, seen = [], set()
    for user in xml.root.iterfind(xml.q("Users/User")):
        guid = user.get("guid", "")
        coder = user.get("name") or user.get("id") or guid
        if coder in seen:  # two users with one name stay two coders
            coder = f"{coder} ({_norm_guid(guid)[:8]})"
        seen.add(coder)
        rows.append({"guid": guid, "name": user.get("name", ""), "id": user.get("id", ""), "coder": coder})
    return pd.DataFrame(rows, columns=["guid", "name", "id", "coder"])


class _Archive:
    """The .qdpx zip: its .qde member and the files in it (found case-insensitively)."""

    def __init__(self, path: Path):
        self.path = path
        if not path.is_file():
            raise DataError(f"{path}: REFI-QDA project file not found", path=path)
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"{path}: not a REFI-QDA project (.qdpx is a zip archive; this file is not one: "
                            f"{exc})", path=path) from exc
        self.names = {n.replace("\\", "/").lower(): n for n in self.zip.namelist() if not n.endswith("/")}
        qde = [n for n in self.names if n.endswith(".qde")]
        top = [n for n in qde if "/" not in n]
        chosen = top if top else qde
        if len(chosen) > 1 and "project.qde" in chosen:
            chosen = ["project.qde"]
        if len(chosen) != 1:
            self.zip.close()
            found = ", ".join(self.names[n] for n in chosen) if chosen else "none"
            raise DataError(f"{path}: expected one .qde project file at the root of the archive; found {found}",
                            path=path)
        self.member = self.names[chosen[0]]
        self.base = str(PurePosixPath(chosen[0]).parent).lstrip(".")

    def read_member(self, name: str) -> bytes:
        return self.zip.read(name)

    def find(self, file_name: str) -> str | None:
        """The member holding an ``internal://`` file: ``sources/<name>`` in any case, else any folder."""
        key = file_name.replace("\\", "/").lower().lstrip("/")
        prefix = f"{self.base}/" if self.base else ""
        for candidate in (f"{prefix}sources/{key}", f"{prefix}{key}", f"sources/{key}", key):
            if candidate in self.names:
                return self.names[candidate]
        tail = "/" + key.rsplit("/", 1)[-1]
        hits = [n for n in self.names if n.endswith(tail)]
        return self.names[hits[0]] if len(hits) == 1 else None


def _decode(data: bytes, xml: _Xml, element: ET.Element, member: str) -> str:
    """The text of a source file: UTF-16 with a BOM, else UTF-8 (a BOM removed)."""
    try:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise xml.error(element, f"source file {member} is not UTF-8 text (byte {exc.start}: {exc.reason})",
                        value=member, kind="not UTF-8") from exc


def _source_text(xml: _Xml, archive: _Archive, element: ET.Element) -> tuple[str | None, bool]:
    """The raw text of a TextSource and whether it came from a file (inline text is LF-only already)."""
    inline = element.find(xml.q("PlainTextContent"))
    if inline is not None:
        return inline.text or "", False
    target = element.get("plainTextPath")
    if not target:
        return None, False
    scheme, _, rest = target.partition("://")
    scheme = scheme.lower()
    if scheme == "internal":
        member = archive.find(rest)
        if member is None:
            raise xml.error(element, f"the source file {target} is not in the archive (looked in sources/ and "
                                     f"Sources/)", value=element.get("name", ""), kind="missing source file")
        return _decode(archive.read_member(member), xml, element, member), True
    if scheme == "relative":  # against basePath, else the folder of the .qdpx
        bases = [Path(b) for b in (xml.root.get("basePath"), archive.path.parent) if b]
        files = [b / rest for b in bases]
    else:
        files = [Path(rest)] if scheme == "absolute" else []
    file = next((f for f in files if f.is_file()), None)
    if file is None:
        raise xml.error(element, f"the source file {target} is not found", value=element.get("name", ""),
                        kind="missing source file")
    return _decode(file.read_bytes(), xml, element, str(file)), True


def _normaliser(raw: str, crlf_positions: int):
    """The document text (BOM removed, LF, NFC) and a function mapping the tool's offsets onto it."""
    text = raw[1:] if raw.startswith("\ufeff") else raw
    cr = np.array([m.start() for m in re.finditer("\r\n", text)], dtype=np.int64)
    lf = text.replace("\r\n", "\n").replace("\r", "\n")
    nfc = unicodedata.normalize("NFC", lf)

    def mapper(pos: np.ndarray) -> np.ndarray:
        pos = np.asarray(pos, dtype=np.int64)
        if crlf_positions == 2 and cr.size:
            pos = pos - np.searchsorted(cr, pos, side="left")
        if nfc != lf:
            uniq = np.unique(pos)
            lengths = np.array([len(unicodedata.normalize("NFC", lf[:p])) for p in uniq], dtype=np.int64)
            pos = lengths[np.searchsorted(uniq, pos)]
        return pos

    limit = len(text) if crlf_positions == 2 else len(text) - cr.size
    return nfc, mapper, limit


def _coder_of(xml: _Xml, coding: ET.Element, selection: ET.Element | None, users: dict[str, str]) -> str:
    """The coder of a Coding: its creatingUser, else its selection's, else the project's, else "unknown"."""
    for holder, attr in ((coding, "creatingUser"), (selection, "creatingUser"), (xml.root, "creatingUserGUID")):
        guid = _norm_guid(holder.get(attr)) if holder is not None else None
        if guid:
            return users.get(guid, guid)
    return "unknown"


def _read_selections(xml: _Xml, element: ET.Element, document: str, users: dict[str, str],
                     length: int) -> list[dict]:
    """One row per Coding of a TextSource: coder, document, raw start/end, code GUID, line, selection GUID."""
    rows = []
    for coding in element.findall(xml.q("Coding")):  # the whole source coded
        rows.append({"coder": _coder_of(xml, coding, None, users), "document": document, "start": 0, "end": length,
                     "code_guid": _code_ref(xml, coding), "line": xml.line(coding), "selection": ""})
    for sel in element.findall(xml.q("PlainTextSelection")):
        try:
            start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
        except ValueError:
            raise xml.error(sel, "startPosition and endPosition must be whole numbers",
                            value=f"{sel.get('startPosition')}..{sel.get('endPosition')}") from None
        if not 0 <= start <= end <= length:
            raise xml.error(sel, f"the selection {start}..{end} lies outside the text of {document!r} (0..{length})",
                            value=sel.get("guid", ""), kind="selection outside the text")
        if start == end:
            xml.note(sel, f"zero-length selection at {start} in {document!r} left out", sel.get("guid", ""),
                     "zero-length selection")
            continue
        for coding in sel.findall(xml.q("Coding")):
            rows.append({"coder": _coder_of(xml, coding, sel, users), "document": document, "start": start,
                         "end": end, "code_guid": _code_ref(xml, coding), "line": xml.line(coding),
                         "selection": sel.get("guid", "")})
    return rows


def _code_ref(xml: _Xml, coding: ET.Element) -> str | None:
    ref = coding.find(xml.q("CodeRef"))
    return _norm_guid(ref.get("targetGUID")) if ref is not None else None


def _read_sources(xml: _Xml, archive: _Archive, users: dict[str, str], crlf_positions: int):
    """The documents, the raw coding rows (offsets mapped onto the normalised text) and source GUID -> name."""
    documents: dict[str, str] = {}
    source_names: dict[str, str] = {}
    rows: list[dict] = []
    sources = xml.root.find(xml.q("Sources"))
    for element in (list(sources) if sources is not None else []):
        kind = xml.local(element)
        if kind != "TextSource":
            if kind in _OTHER_SOURCES:
                xml.note(element, f"{kind} {element.get('name', '')!r} left out: only text sources are read",
                         element.get("name", ""), "not a text source")
            continue
        raw, from_file = _source_text(xml, archive, element)
        name = element.get("name") or element.get("guid", "")
        if raw is None:
            xml.note(element, f"TextSource {name!r} has no plain text (plainTextPath or PlainTextContent)", name,
                     "no plain text")
            continue
        base, k = name, 2
        while name in documents:
            name, k = f"{base} ({k})", k + 1
        text, mapper, limit = _normaliser(raw, crlf_positions if from_file else 1)
        documents[name] = text
        xml.source_lines[name] = xml.line(element)
        source_names[_norm_guid(element.get("guid"))] = name
        found = _read_selections(xml, element, name, users, limit)
        if found:
            spans = mapper(np.array([[r["start"], r["end"]] for r in found], dtype=np.int64).ravel())
            for r, s, e in zip(found, spans[0::2], spans[1::2]):
                r["start"], r["end"] = int(s), int(e)
            rows += found
    return documents, rows, source_names


def _codings_frame(xml: _Xml, rows: list[dict], guids: dict[str, str], codes: dict[str, Code],
                   documents: dict[str, str]) -> pd.DataFrame:
    """The codings with code names; an unknown CodeRef is an error naming the line and the selection."""
    if not rows:
        return empty_codings()[["coder", "document", "start", "end", "code"]]
    frame = pd.DataFrame(rows)
    frame["code"] = frame["code_guid"].map(guids)
    unknown = frame[frame["code"].isna()]
    if len(unknown):
        issues = issues_frame([{"row": r.line, "column": "CodeRef", "value": r.code_guid or "",
                                "problem": f"code GUID not in the CodeBook (selection {r.selection or 'whole source'}"
                                           f" of {r.document!r})", "kind": "unknown code", "action": "raise"}
                               for r in unknown.itertuples()])
        raise DataError.from_issues(xml.path, issues, what=f"in {xml.member}",
                                    hint=f"Rows are lines of {xml.member}; each Coding must refer to a Code.")
    folders = frame[~frame["code"].map(lambda c: codes[c].codable)]
    for r in folders.itertuples():
        xml.issues.append({"row": r.line, "column": "CodeRef", "value": r.code, "problem":
                           f"coded with {r.code!r}, which is not codable (isCodable=false)", "kind": "folder coded",
                           "action": "kept"})
    dup = frame.duplicated(["coder", "document", "start", "end", "code"])
    for r in frame[dup].itertuples():
        xml.issues.append({"row": r.line, "column": "Coding", "value": r.code, "problem":
                           f"{r.coder} coded {r.document!r} {r.start}..{r.end} with {r.code!r} twice",
                           "kind": "duplicate coding", "action": "dropped"})
    frame = frame[~dup]
    order = {d: i for i, d in enumerate(documents)}
    frame = frame.assign(_d=frame["document"].map(order)).sort_values(["_d", "start", "end", "coder", "code"],
                                                                      kind="stable")
    return frame[["coder", "document", "start", "end", "code"]].astype(
        {"start": "int64", "end": "int64"}).reset_index(drop=True)


def _column(values: list, kind: str) -> pd.Series:
    """A cases column from the parsed values of one Variable, typed by its typeOfVariable."""
    s = pd.Series(values, dtype=object)
    missing = s.isna().any()
    if kind == "Integer":
        return s.astype("Int64" if missing else "int64")
    if kind == "Boolean":
        return s.astype("boolean" if missing else bool)
    if kind == "Float":
        return s.astype("float64")
    if kind in ("Date", "DateTime"):
        return pd.to_datetime(s)
    return s.infer_objects()  # text: pandas' string dtype where it infers one


def _parse_value(text: str | None, kind: str):
    text = (text or "").strip() if kind != "Text" else (text or "")
    if kind == "Integer":
        return int(text)
    if kind == "Float":
        return float(text)
    if kind == "Boolean":
        return text.lower() in ("true", "1")
    if kind in ("Date", "DateTime"):
        return pd.Timestamp(text)
    return text


def _read_cases(xml: _Xml, source_names: dict[str, str]) -> pd.DataFrame:
    """One row per Case: case (its name), group, speaker, every Variable, and the documents it refers to."""
    variables = {_norm_guid(v.get("guid")): (v.get("name", ""), v.get("typeOfVariable", "Text"))
                 for v in xml.root.iterfind(xml.q("Variables/Variable"))}
    records = []
    for case in xml.root.iterfind(xml.q("Cases/Case")):
        record = {"case": case.get("name") or case.get("guid", "")}
        for vv in case.findall(xml.q("VariableValue")):
            ref = vv.find(xml.q("VariableRef"))
            name, kind = variables.get(_norm_guid(ref.get("targetGUID")) if ref is not None else None, (None, None))
            value = [c for c in vv if c is not ref]
            if name is None or not value:
                xml.note(vv, "VariableValue without a known Variable left out", case.get("name", ""),
                         "unknown variable")
                continue
            tag = xml.local(value[0])
            try:  # parsed as the element says (TextValue, IntegerValue, ...), typed as the Variable says
                record[name] = _parse_value(value[0].text, tag[:-5] if tag.endswith("Value") else kind)
            except ValueError as exc:
                raise xml.error(value[0], f"not a valid {kind} value ({exc})", value=value[0].text or "") from exc
        record["documents"] = tuple(source_names[g] for g in (_norm_guid(r.get("targetGUID"))
                                                              for r in case.findall(xml.q("SourceRef")))
                                    if g in source_names)
        records.append(record)
    names = [n for n, _ in variables.values()]
    kinds = dict(variables.values())
    columns = ["case", "group", "speaker"] + [n for n in names if n not in ("group", "speaker")] + ["documents"]
    frame = pd.DataFrame({c: _column([r.get(c) for r in records], kinds.get(c, "Text")) for c in columns})
    if "group" not in names:
        frame["group"] = [(lambda g: g[0] if len(g) == 1 else None)(sorted({_name_parts(d)[0] for d in docs}))
                          for docs in frame["documents"]]
    if "speaker" not in names:
        frame["speaker"] = frame["case"]
    return frame


def _turns(documents: dict[str, str], xml: _Xml) -> pd.DataFrame:
    """The speaker turns of every document (cfresearch.qual.transcripts.turns_from_text)."""
    from cfresearch.qual.transcripts import turns_from_text

    frames = []
    for name, text in documents.items():
        group, language = _name_parts(name)
        try:
            frames.append(turns_from_text(text, document=name, group=group, language=language))
        except DataError as exc:
            problems = "; ".join(dict.fromkeys(exc.issues["problem"].astype(str))) or str(exc)
            xml.issues.append({"row": xml.source_lines.get(name, 0), "column": "TextSource", "value": name,
                               "problem": f"no speaker turns read ({problems})", "kind": "no turns",
                               "action": "left without turns"})
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TURN_COLUMNS})
    return pd.concat(frames, ignore_index=True)[TURN_COLUMNS]


def _crlf(crlf, origin: str) -> int:
    if crlf == "auto":
        return 1 if "atlas" in origin.lower() else 2
    if crlf in (1, 2):
        return int(crlf)
    raise ValueError(f"import_qdpx: crlf must be 'auto', 1 or 2 (positions a CRLF line break takes); got {crlf!r}")


def import_qdpx(path: str | Path, *, crlf: str | int = "auto") -> QdaProject:
    """Read a REFI-QDA project (``.qdpx``) exported by NVivo, ATLAS.ti, MAXQDA, QualCoder or cfresearch: text
    sources as the corpus (turns read with :func:`cfresearch.qual.transcripts.turns_from_text`; group and
    language from the document name ``<group>.<language>.<ext>``), the codebook, every coded selection with its
    coder, the cases with their attributes, the users. Offsets are mapped onto the NFC/LF/no-BOM text; ``crlf``
    says how many positions the tool gave a CRLF (``"auto"``: 1 for ATLAS.ti, else 2; see the module
    docstring). What is left out (zero-length selections, non-text sources) is listed in ``.issues``.

    >>> import tempfile, zipfile
    >>> from pathlib import Path
    >>> qde = '''<?xml version="1.0" encoding="utf-8"?>
    ... <Project xmlns="urn:QDA-XML:project:1.0" name="Breakfast" origin="ATLAS.ti 23">
    ...  <Users><User guid="00000000-0000-4000-8000-000000000001" name="Susanne"/></Users>
    ...  <CodeBook><Codes><Code guid="00000000-0000-4000-8000-0000000000c1" name="Healthy food" isCodable="true"/>
    ...  </Codes></CodeBook>
    ...  <Sources><TextSource guid="00000000-0000-4000-8000-0000000000d1" name="INT1.en.txt">
    ...   <PlainTextContent>Ana: I eat granola every day.</PlainTextContent>
    ...   <PlainTextSelection guid="00000000-0000-4000-8000-0000000000e1" startPosition="11" endPosition="18"
    ...                       creatingUser="00000000-0000-4000-8000-000000000001">
    ...    <Coding guid="00000000-0000-4000-8000-0000000000f1">
    ...     <CodeRef targetGUID="00000000-0000-4000-8000-0000000000c1"/></Coding>
    ...   </PlainTextSelection></TextSource></Sources></Project>'''
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = Path(tmp.name) / "Breakfast.qdpx"
    >>> with zipfile.ZipFile(path, "w") as zf:
    ...     zf.writestr("Breakfast.qde", qde)
    >>> project = import_qdpx(path)
    >>> project.codings[["coder", "document", "start", "end", "code"]]
         coder     document  start  end          code
    0  Susanne  INT1.en.txt     11   18  Healthy_food
    >>> project.corpus.documents["INT1.en.txt"][11:18], project.codebook["Healthy_food"].label
    ('granola', 'Healthy food')
    >>> tmp.cleanup()
    """
    path = Path(path)
    archive = _Archive(path)
    with archive.zip:
        xml = _parse_xml(archive.read_member(archive.member), path, archive.member, NS_PROJECT)
        users = _read_users(xml)
        user_map = {_norm_guid(g): c for g, c in zip(users["guid"], users["coder"])}
        codes, guids = _read_codes(xml, xml.root.find(xml.q("CodeBook/Codes")))
        documents, rows, source_names = _read_sources(xml, archive, user_map,
                                                      _crlf(crlf, xml.root.get("origin", "")))
    codings = _codings_frame(xml, rows, guids, codes, documents)
    cases = _read_cases(xml, source_names)
    turns = _turns(documents, xml)
    codings["turn"] = turn_of(turns, codings["document"], codings["start"], codings["end"]) if len(codings) else []
    codings["turn"] = codings["turn"].astype("float64")
    participants = cases.drop(columns=["case", "documents"]) if len(cases) else None
    name = xml.root.get("name", path.stem)
    return QdaProject(name=name, origin=xml.root.get("origin", ""),
                      corpus=Corpus(documents=documents, turns=turns, participants=participants),
                      codebook=QualCodebook(title=name, codes=codes, source=path), codings=codings[CODING_COLUMNS],
                      cases=cases, users=users, issues=issues_frame(xml.issues), path=path)


def import_qdc(path: str | Path) -> QualCodebook:
    """Read a REFI-QDA codebook (``.qdc``, namespace ``urn:QDA-XML:codebook:1.0``, REFI-QDA 1.5 §5) into a
    :class:`~cfresearch.qual.codebook.QualCodebook`: hierarchy, labels (the REFI names), colours, and the rules
    from the ``Description`` layout of :func:`export_qdc`; the title is the file name's stem.

    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory()
    >>> qdc = Path(tmp.name) / "service.qdc"
    >>> _ = qdc.write_text('''<?xml version="1.0" encoding="utf-8"?>
    ... <CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="MAXQDA 2022"><Codes>
    ...  <Code guid="5b0c6f1e-0000-4000-8000-000000000001" name="Staff" isCodable="false">
    ...   <Code guid="5b0c6f1e-0000-4000-8000-000000000002" name="Friendly staff" isCodable="true" color="#1f77b4">
    ...    <Description>Staff described as friendly.</Description></Code></Code>
    ... </Codes></CodeBook>''', encoding="utf-8")
    >>> cb = import_qdc(qdc)
    >>> cb.children("Staff"), cb["Friendly_staff"].definition, cb["Friendly_staff"].color
    (['Friendly_staff'], 'Staff described as friendly.', '#1f77b4')
    >>> tmp.cleanup()
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: REFI-QDA codebook file not found", path=path)
    xml = _parse_xml(path.read_bytes(), path, path.name, NS_CODEBOOK)
    codes, _ = _read_codes(xml, xml.root.find(xml.q("Codes")))
    return QualCodebook(title=path.stem, codes=codes, source=path)
