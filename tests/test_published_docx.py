"""The DOCX reader: the circulated blank template, reportkit's own output, hand-built Word XML, broken files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from docx_helpers import full_report
from published_support import PUBLISHED, make_docx, p, tbl, tc, tr
from reportkit.published import Grid, Kind, Paragraph, PublishedDocumentError, read_document
from reportkit.published import docx as docx_reader
from reportkit.render.docx import render_docx

TEMPLATE = PUBLISHED / "blank-template-2021.docx"


def read(body: str, **options: object):  # type: ignore[no-untyped-def]
    return docx_reader.read(make_docx(body, **options), source="test.docx")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------
# The blank template and reportkit's own output
# ---------------------------------------------------------------------------------------------------


def test_blank_template_tables_and_merges() -> None:
    document = read_document(TEMPLATE)
    assert document.kind is Kind.DOCX
    grids = document.grids()
    assert [(g.width, g.height) for g in grids] == [(4, 14), (10, 28), (15, 4)]
    applications = grids[1]
    corner = applications.rows[0][0]
    assert (corner.rowspan, corner.colspan) == (3, 3)  # vMerge restart + two continuations, gridSpan 3
    outcome = applications.rows[5][0]
    assert outcome.text.startswith("三、") and outcome.rowspan == 22
    assert all(cell.blank for row in applications.rows[3:] for cell in row if cell.col >= 3)  # nothing filled in
    placeholders = [p.text for p in document.paragraphs() if p.text.startswith("（文字描述")]
    assert len(placeholders) == 3
    assert document.meta.title == "政府信息公开工作年度报告格式模板"
    # Only file properties give dates here: they never outrank a real publication date.
    assert {c.origin for c in document.meta.dates} == {"properties:created", "properties:modified"}


def test_cells_know_their_place() -> None:
    document = read_document(TEMPLATE)
    cell = next(c for c in document.grids()[1].rows[7] if c.col == 2)
    assert cell.text.startswith("1.")
    assert (cell.where.table, cell.where.row, cell.where.column) == (2, 8, 3)
    assert cell.where.path.startswith("body/tbl[2]/tr[8]/tc[")


@pytest.fixture(scope="module")
def rendered() -> tuple[bytes, object]:
    report = full_report()
    return render_docx(report), report


def test_reportkit_output_reads_back(rendered: tuple[bytes, object]) -> None:
    data, _ = rendered
    document = read_document(data, name="report.docx")
    grids = document.grids()
    assert [(g.width, g.height) for g in grids] == [(4, 14), (10, 28), (15, 4)]
    proactive, applications, review = grids
    assert proactive.texts()[2] == (proactive.texts()[2][0], "11", "12", "13")
    assert proactive.texts()[13][1] == "96171.6"
    assert review.texts()[3] == tuple(
        str(v) for g in ((71, 72, 73, 74), (81, 82, 83, 84), (91, 92, 93, 94)) for v in (*g, sum(g))
    )
    # Every number cell of table 三 holds a whole number; the distinct figures all come back.
    numbers = [cell.text for cell in applications.cells() if cell.col >= 3 and cell.row >= 3]
    assert len(numbers) == 25 * 7 and all(n.isdigit() for n in numbers)
    assert len(set(numbers)) > 100
    styles = {p.style for p in document.paragraphs() if p.text}
    assert len(styles) > 2  # heading styles come through
    assert not document.notes


def test_reportkit_output_rendered_by_the_cli(tmp_path, rendered) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    example = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "longde-chengguan-2021.toml"
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, "-m", "reportkit", "render", str(example), "-o", str(out), "--docx"],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("*.docx")
    document = read_document(path)
    assert [(g.width, g.height) for g in document.grids()] == [(4, 14), (10, 28), (15, 4)]
    assert document.paragraphs()[-1].text.endswith("日")  # the signing date closes the body
    assert document.meta.dates  # a date claim comes at least from the file's properties


# ---------------------------------------------------------------------------------------------------
# Hand-built Word XML
# ---------------------------------------------------------------------------------------------------


def test_grid_span_grid_before_and_vertical_merges() -> None:
    body = tbl(
        tr(tc("A", '<w:vMerge w:val="restart"/>'), tc("B", '<w:gridSpan w:val="2"/>')),
        tr(tc("", "<w:vMerge/>"), tc("C"), tc("D")),
        tr(tc("E", '<w:vMerge w:val="continue"/>'), tc("F"), properties='<w:gridBefore w:val="1"/>'),
    )
    document = read(body)
    (grid,) = document.grids()
    # Row 3 starts one grid column in (gridBefore), so its vMerge cell is in column 2, under nothing
    # merged: it stands alone. Column 1 of row 3 stays empty.
    assert grid.texts() == (("A", "B", "B"), ("A", "C", "D"), ("", "E", "F"))
    assert grid.rows[0][0].rowspan == 2
    assert grid.logical()[2][0] is None


def test_a_vertical_merge_continuation_with_text_keeps_it_and_its_place() -> None:
    body = tbl(tr(tc("上", '<w:vMerge w:val="restart"/>'), tc("1")), tr(tc("下", "<w:vMerge/>"), tc("2")))
    (grid,) = read(body).grids()
    top = grid.rows[0][0]
    assert (top.text, top.rowspan) == ("上\n下", 2)
    assert [part.path for part in top.where.parts] == ["body/tbl[1]/tr[2]/tc[1]"]


def test_tracked_changes_read_as_accepted() -> None:
    body = (
        '<w:p><w:r><w:t>共收到</w:t></w:r><w:del w:id="1" w:author="a"><w:r><w:delText>10</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="a"><w:r><w:t>12</w:t></w:r></w:ins><w:r><w:t>件</w:t></w:r></w:p>'
        + tbl(
            tr(tc("保留"), tc("1")),
            tr(tc("删除的行"), tc("9"), properties='<w:del w:id="3" w:author="a"/>'),
            tr(tc("新行"), tc("2"), properties='<w:ins w:id="4" w:author="a"/>'),
        )
    )
    document = read(body)
    assert document.paragraphs()[0].text == "共收到12件"
    assert document.grids()[0].texts() == (("保留", "1"), ("新行", "2"))
    (note,) = document.notes
    assert "接受全部修订" in note.message and "删除表格行 1 处" in note.message


def test_text_boxes_and_content_controls_are_not_lost() -> None:
    box = (
        '<w:p><w:r><w:t>锚点段落</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps">'
        "<w:drawing><wp:anchor><a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent>"
        + p("文本框里的标题")
        + tbl(tr(tc("框内表"), tc("7")))
        + "</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
        "</mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>"
        + p("文本框里的标题")
        + "</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
    )
    sdt = (
        "<w:sdt><w:sdtPr><w:alias w:val='日期'/></w:sdtPr><w:sdtContent>"
        + p("控件里的段落")
        + "</w:sdtContent></w:sdt>"
        + "<w:p><w:r><w:t>行内</w:t></w:r><w:sdt><w:sdtContent><w:r><w:t>控件</w:t></w:r></w:sdtContent></w:sdt></w:p>"
    )
    document = read(box + sdt)
    texts = [b.text if isinstance(b, Paragraph) else "GRID" for b in document.blocks]
    assert texts == ["锚点段落", "文本框里的标题", "GRID", "控件里的段落", "行内控件"]  # the fallback copy is skipped
    assert document.paragraphs()[1].style == "textbox"
    assert document.grids()[0].rows[0][0].where.path == "body/p[1]/txbxContent[1]/tbl[1]/tr[1]/tc[1]"


PICTURE = (
    '<w:r><w:drawing><wp:inline><a:graphic><a:graphicData><a:blip r:embed="rId9"/></a:graphicData></a:graphic>'
    "</wp:inline></w:drawing></w:r>"
)


def test_pictures_are_reported_as_unreadable() -> None:
    body = f"<w:p>{PICTURE}</w:p>" + tbl(tr(tc("甲"), tc(f"<w:p>{PICTURE}</w:p>")))
    document = read(body)
    kinds = [type(block).__name__ for block in document.blocks]
    assert kinds == ["Paragraph", "Unreadable", "Grid", "Unreadable"]  # a picture in a cell keeps the table
    assert document.grids()[0].texts() == (("甲", ""),)
    assert document.unreadable()[1].where.path == "body/tbl[1]/tr[1]/tc[2]/p[1]"
    assert any("2 张图片" in note.message for note in document.notes)


def test_breaks_tabs_and_field_codes() -> None:
    body = (
        "<w:p><w:r><w:t>商业</w:t><w:br/><w:t>企业</w:t><w:tab/><w:t>x</w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>3</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    (paragraph,) = read(body).paragraphs()
    assert paragraph.raw == "商业\n企业\tx3"
    assert paragraph.text == "商业\n企业 x3"


NUMBERING = (
    '<w:abstractNum w:abstractNumId="0">'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/>'
    '<w:suff w:val="nothing"/></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%2."/>'
    '<w:suff w:val="nothing"/></w:lvl></w:abstractNum>'
    '<w:num w:numId="5"><w:abstractNumId w:val="0"/></w:num>'
)


def numbered(text: str, level: int) -> str:
    return p(text, f'<w:pPr><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="5"/></w:numPr></w:pPr>')


def test_automatic_numbering_is_shown_as_word_shows_it() -> None:
    body = numbered("总体情况", 0) + numbered("甲", 1) + numbered("乙", 1) + numbered("主动公开", 0) + numbered("丙", 1)
    document = read(body, numbering=NUMBERING)
    assert [p.text for p in document.paragraphs()] == ["一、总体情况", "1.甲", "2.乙", "二、主动公开", "1.丙"]


def test_a_table_inside_a_table_dissolves_the_outer_one() -> None:
    body = tbl(tr(tc("说明"), tc(p("内表前") + tbl(tr(tc("甲"), tc("1"))) + p("")), tc("尾")))
    document = read(body)
    assert [b.text if isinstance(b, Paragraph) else "GRID" for b in document.blocks] == [
        "说明",
        "内表前",
        "GRID",
        "",
        "尾",
    ]
    assert document.grids()[0].where.table == 1
    assert any("排版表格" in note.message for note in document.notes)


def test_consecutive_tables_are_flagged_as_a_continuation() -> None:
    header = tr(tc("项目"), tc("数"))
    body = tbl(header, tr(tc("甲"), tc("1"))) + p("") + tbl(header, tr(tc("乙"), tc("2")))
    document = read(body)
    _, second = document.grids()
    assert second.continues is not None
    assert (second.continues.same_width, second.continues.repeated_rows) == (True, 1)
    assert isinstance(document.blocks[second.continues.previous], Grid)


def test_publication_line_and_core_properties() -> None:
    core = (
        '<?xml version="1.0"?><cp:coreProperties '
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">'
        "<dc:title>某局年报</dc:title><dcterms:created>2025-01-02T00:00:00Z</dcterms:created></cp:coreProperties>"
    )
    document = read(p("发布日期：2025年1月20日"), core=core)
    assert document.meta.title == "某局年报"
    assert document.meta.published == dt.date(2025, 1, 20)  # the text outranks the file property


# ---------------------------------------------------------------------------------------------------
# Broken and hostile files
# ---------------------------------------------------------------------------------------------------


def test_a_truncated_docx() -> None:
    data = TEMPLATE.read_bytes()[:5000]
    with pytest.raises(PublishedDocumentError, match="损坏") as caught:
        read_document(data, name="cut.docx")
    assert caught.value.source == "cut.docx"


def test_a_zip_that_is_not_a_word_file() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("readme.txt", "hello")
    with pytest.raises(PublishedDocumentError, match="不是 Word 文档"):
        read_document(buffer.getvalue(), name="x.docx")
    with pytest.raises(PublishedDocumentError, match=r"缺少 word/document\.xml"):
        docx_reader.read(buffer.getvalue(), source="x.docx")


def test_malformed_document_xml() -> None:
    data = make_docx("<w:p><w:r><w:t>未闭合")
    with pytest.raises(PublishedDocumentError, match="无法解析"):
        read_document(data, name="bad.docx")


def test_entity_declarations_are_refused_before_parsing() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><w:document>&e;</w:document>',
        )
    with pytest.raises(PublishedDocumentError, match="DOCTYPE"):
        read_document(buffer.getvalue(), name="xxe.docx")


def test_a_body_nested_beyond_the_limit() -> None:
    body = "<w:tbl><w:tr><w:tc>" * 40 + p("深") + "</w:tc></w:tr></w:tbl>" * 40
    with pytest.raises(PublishedDocumentError, match="嵌套过深"):
        read(body)
