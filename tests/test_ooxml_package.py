"""reportkit.ooxml.package: deterministic zips of members compressed once, document properties, XML-safe text;
and the outputs that use it (byte-identical renders, what the document properties say)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import attrs
import pytest
from defusedxml import ElementTree

import reportkit
from docx_helpers import ROOT, TEMPLATE, full_report
from reportkit.ooxml.package import (
    ZIP_DATE,
    CoreProperties,
    Member,
    app_properties_xml,
    clean_xml_text,
    core_properties_xml,
    custom_properties_xml,
    document_time,
    read_custom_properties,
    zip_package,
)
from reportkit.render.docx import compile_docx_template, load_docx_template
from reportkit.render.xlsx import render_xlsx

EXAMPLE = ROOT / "examples" / "longde-chengguan-2021.toml"
DC = "{http://purl.org/dc/elements/1.1/}"
CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
DCTERMS = "{http://purl.org/dc/terms/}"
EXT = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"

# ---------------------------------------------------------------------------------------------------
# The zip writer
# ---------------------------------------------------------------------------------------------------


def test_zip_package_is_a_valid_zip_in_the_given_order() -> None:
    contents = {
        "[Content_Types].xml": b"<Types/>",
        "word/document.xml": b"<w:document/>" * 500,
        "docProps/\u6d4b.xml": b"",
    }
    data = zip_package(Member.deflate(name, content) for name, content in contents.items())
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None  # every CRC checked
        assert package.namelist() == list(contents)
        for info in package.infolist():
            assert info.date_time == ZIP_DATE
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert (info.external_attr >> 16) & 0o777 == 0o644
            assert info.extra == b""
            assert package.read(info) == contents[info.filename]


def test_members_are_copied_as_compressed() -> None:
    member = Member.deflate("a.xml", b"<a>" + "数据".encode() * 1000 + b"</a>", level=9)
    data = zip_package([member])
    assert member.stored in data
    assert member.content() == b"<a>" + "数据".encode() * 1000 + b"</a>"
    assert zip_package([member]) == data


def test_a_duplicate_member_is_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        zip_package([Member.deflate("a", b"1"), Member.deflate("a", b"2")])


def test_a_corrupt_member_is_noticed() -> None:
    member = attrs.evolve(Member.deflate("a", b"abc"), crc=0)
    with pytest.raises(ValueError, match="CRC"):
        member.content()


# ---------------------------------------------------------------------------------------------------
# Properties and text
# ---------------------------------------------------------------------------------------------------


def test_custom_properties_round_trip_with_markup_in_values() -> None:
    properties = {"reportkit.format": "gov-info-annual-report/2021", "note": 'a < b & "c" \x01'}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("docProps/custom.xml", custom_properties_xml(properties))
    with zipfile.ZipFile(buffer) as package:
        assert read_custom_properties(package) == {**properties, "note": 'a < b & "c"'}


def test_unreadable_custom_properties_are_none() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("docProps/custom.xml", b"<Properties><unclosed>")
    with zipfile.ZipFile(buffer) as package:
        assert read_custom_properties(package) == {}


def test_clean_xml_text() -> None:
    assert clean_xml_text("a\x00b\x0bc\td\ne\rf\ufffeg\ud800h") == "abc\td\ne\rfgh"


def test_document_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert document_time(dt.date(2022, 1, 19)) == dt.datetime(2022, 1, 19)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert document_time(dt.date(2022, 1, 19)) == dt.datetime(2023, 11, 14, 22, 13, 20)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "not a number")
    assert document_time(dt.date(2022, 1, 19)) == dt.datetime(2022, 1, 19)


def test_core_and_app_properties_escape_their_text() -> None:
    core = CoreProperties("标题 <&>", "主题", "某局 & 某办", "说明", "id", dt.datetime(2022, 1, 19))
    root = ElementTree.fromstring(core_properties_xml(core))
    assert root.find(f"{DC}creator").text == "某局 & 某办"
    assert root.find(f"{DC}title").text == "标题 <&>"
    assert root.find(f"{DCTERMS}created").text == "2022-01-19T00:00:00Z"
    app = ElementTree.fromstring(app_properties_xml("某局 <办>"))
    assert app.find(f"{EXT}Company").text == "某局 <办>"


# ---------------------------------------------------------------------------------------------------
# The outputs
# ---------------------------------------------------------------------------------------------------


def _properties(data: bytes) -> tuple[ElementTree.Element, ElementTree.Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return (
            ElementTree.fromstring(package.read("docProps/core.xml")),
            ElementTree.fromstring(package.read("docProps/app.xml")),
        )


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_outputs_say_reportkit_made_them_for_the_agency_and_when(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    report = full_report()
    data = reportkit.render_docx(report) if kind == "docx" else render_xlsx(report)
    core, app = _properties(data)
    assert core.find(f"{DC}creator").text == report.agency.name
    assert core.find(f"{CP}lastModifiedBy").text == "reportkit"
    assert core.find(f"{DC}title").text == report.title
    assert core.find(f"{DC}identifier").text == report.format
    assert report.format in core.find(f"{DC}description").text
    assert report.report.signed_on is not None
    assert core.find(f"{DCTERMS}created").text == f"{report.report.signed_on.isoformat()}T00:00:00Z"
    # A workbook says it is Excel-compatible, as openpyxl's do: LibreOffice lays out other workbooks differently.
    assert (
        app.find(f"{EXT}Application").text
        == {"docx": "reportkit", "xlsx": "Microsoft Excel Compatible / reportkit"}[kind]
    )
    assert app.find(f"{EXT}Company").text == report.agency.name
    assert b"Macintosh" not in data and b"Openpyxl" not in data and b"2021-09-26" not in data
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    again = reportkit.render_docx(report) if kind == "docx" else render_xlsx(report)
    assert _properties(again)[0].find(f"{DCTERMS}modified").text == "2023-11-14T22:13:20Z"


def test_a_draft_without_signing_date_is_dated_by_its_year(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    report = full_report()
    report = attrs.evolve(report, report=attrs.evolve(report.report, signed_on=None, published_on=None))
    core, _ = _properties(reportkit.render_docx(report, draft=True))
    assert core.find(f"{DCTERMS}created").text == f"{report.year + 1}-01-01T00:00:00Z"


_HASHES = """
import hashlib, sys
import reportkit
report = reportkit.load(sys.argv[1])
for data in (reportkit.render_docx(report), reportkit.render_xlsx(report)):
    print(hashlib.sha256(data).hexdigest())
"""


def _hashes_in_process() -> list[str]:
    report = reportkit.load(EXAMPLE)
    return [hashlib.sha256(data).hexdigest() for data in (reportkit.render_docx(report), render_xlsx(report))]


def test_the_example_renders_to_the_same_bytes_twice_and_across_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = _hashes_in_process()
    assert _hashes_in_process() == first
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    for seed in ("1", "2"):  # another process, another hash seed (set and dict orders): the same bytes
        env["PYTHONHASHSEED"] = seed
        done = subprocess.run(
            [sys.executable, "-c", _HASHES, str(EXAMPLE)], env=env, capture_output=True, text=True, check=True
        )
        assert done.stdout.split() == first


def test_untouched_template_members_are_the_compiled_ones() -> None:
    """Only the rendered parts and the document properties are deflated per render: every other member of the
    output is the template's member as compressed when the template was compiled."""
    compiled = load_docx_template(TEMPLATE)
    fixed = {member.name: member for member in compiled.members if isinstance(member, Member)}
    assert "word/styles.xml" in fixed and "word/document.xml" not in fixed and "docProps/core.xml" not in fixed
    data = reportkit.render_docx(full_report())
    for member in fixed.values():
        assert member.stored in data


def test_a_shipped_template_whose_output_is_broken_is_refused(tmp_path: Path) -> None:
    """The cheaper validity check of a trusted template still refuses a part Word could not open."""
    from reportkit.errors import TemplateError
    from reportkit.render.docx_template import build_context

    with zipfile.ZipFile(TEMPLATE) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info, content in members:
            if info.filename == "word/document.xml":
                content = content.replace(b"</w:body>", b"{% if draft %}</w:body>{% endif %}", 1)
            target.writestr(info, content)
    compiled = compile_docx_template(buffer.getvalue(), source="broken.docx", trusted=True)
    with pytest.raises(TemplateError, match="文档结构已损坏"):
        compiled.render(build_context(full_report()))
    assert compiled.render(build_context(full_report(), draft=True))  # well-formed when the tag prints the tag


def test_the_writer_gives_the_bytes_zipfile_gives() -> None:
    """So that a template builder moving to :func:`rezip` rebuilds the shipped templates byte for byte."""
    from reportkit.ooxml.package import rezip

    contents = [
        ("[Content_Types].xml", b"<Types/>" * 50),
        ("word/document.xml", "数据".encode() * 3000),
        ("测.xml", b"x"),
    ]
    expected = io.BytesIO()
    with zipfile.ZipFile(expected, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in contents:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            package.writestr(info, content, compresslevel=9)
    assert zip_package(Member.deflate(name, content, 9) for name, content in contents) == expected.getvalue()
    assert rezip(expected.getvalue(), level=9) == expected.getvalue()
    changed = rezip(expected.getvalue(), replace={"测.xml": b"y"}, drop=["[Content_Types].xml"], add={"z": b"z"})
    with zipfile.ZipFile(io.BytesIO(changed)) as package:
        assert package.namelist() == ["word/document.xml", "测.xml", "z"]
        assert package.read("测.xml") == b"y"
    with pytest.raises(KeyError):
        rezip(expected.getvalue(), replace={"absent": b""})


def test_a_streamed_member_gives_the_bytes_of_the_whole_one() -> None:
    """The batch summary streams its sheet: written in chunks, the package is byte for byte the one
    :func:`zip_package` makes of the whole content, and reads back with its CRC checked."""
    from reportkit.ooxml.package import PackageStream

    rows = [
        f'<row r="{n}"><c><v>{n * 7919 % 1000}</v></c><c><is><t>机关{n}</t></is></c></row>'.encode()
        for n in range(4000)
    ]
    first = Member.deflate("[Content_Types].xml", b"<Types/>", 6)
    buffer = io.BytesIO(b"")
    stream = PackageStream(buffer, 6)
    stream.add(first)
    stream.begin("xl/worksheets/表1.xml")
    for row in rows:
        stream.write(row)
    with pytest.raises(ValueError):
        stream.add(first)  # one member at a time
    stream.end()
    stream.close()
    whole = zip_package([first, Member.deflate("xl/worksheets/表1.xml", b"".join(rows), 6)])
    assert buffer.getvalue() == whole
    with zipfile.ZipFile(io.BytesIO(whole)) as package:
        assert package.testzip() is None
        assert package.read("xl/worksheets/表1.xml") == b"".join(rows)
        assert all(info.date_time == ZIP_DATE for info in package.infolist())


def test_the_checker_refuses_what_the_writers_drop() -> None:
    """values.py keeps its own copy of the set (so that `reportkit check` loads no writer): the same set."""
    from reportkit import values
    from reportkit.ooxml.package import ILLEGAL_XML_CHARS

    assert values._NOT_XML.pattern == ILLEGAL_XML_CHARS.pattern


def test_the_form_writer_drops_what_xml_cannot_hold(tmp_path: Path) -> None:
    """A lone surrogate or U+FFFE in a text beside a cell (``reportkit next``: last year's text, which no model
    checked) made openpyxl fail to save the form; they are dropped, as every writer of reportkit drops them."""
    from openpyxl import load_workbook

    from reportkit.xlsx_form import fill_form
    from reportkit.xlsx_layout import FORM_KIND, field_cells

    report = reportkit.load(ROOT / "examples" / "longde-chengguan-2021.toml")
    text = "存在\x01的问题\ud800：\ufffe人员不足"
    form = tmp_path / "form.xlsx"
    form.write_bytes(fill_form(report, side_texts={"problems.text": text}, side_heading="上年"))
    cell = next(c for c in field_cells(FORM_KIND) if c.field == "problems.text")
    assert load_workbook(form)[cell.sheet][cell.coord].offset(column=1).value == "存在的问题：人员不足"
