"""The PDF reader: hand-written PDFs (no LibreOffice needed) and PDFs that LibreOffice makes from Word files.

The LibreOffice tests generate their PDFs on the fly (nothing generated is kept in git) and fail, rather
than skip, under ``CI=true`` when LibreOffice is missing.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile

import attrs
import pytest

from docx_helpers import full_report
from published_support import grid_texts, minimal_pdf, squeeze
from reportkit.published import Kind, Paragraph, PublishedDocumentError, ReadLimits, Unreadable, read_document
from reportkit.published import pdf as pdf_reader

pytest.importorskip("pdfplumber")


def _require_libreoffice() -> None:
    from reportkit.render.pdf import find_soffice

    if find_soffice():
        return
    message = "LibreOffice is not installed: apt-get install libreoffice-writer-nogui fonts-noto-cjk"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


# ---------------------------------------------------------------------------------------------------
# Hand-written PDFs
# ---------------------------------------------------------------------------------------------------


def test_a_text_page_and_an_image_only_page() -> None:
    data = minimal_pdf(
        ["Report 2025: 12 cases", None], info="/Title (Annual report) /CreationDate (D:20250120120000+08'00')"
    )
    document = read_document(data, name="scan.pdf")
    assert document.kind is Kind.PDF
    text, image = document.blocks
    assert isinstance(text, Paragraph) and text.text == "Report 2025: 12 cases"
    assert text.where.page == 1 and text.where.box is not None
    assert [line.page for line in text.lines] == [1]
    assert isinstance(image, Unreadable) and image.where.page == 2
    assert "OCR" in image.reason
    assert any("第 2 页" in note.where for note in document.notes)
    assert document.meta.title == "Annual report"
    assert document.meta.dates[0].value == dt.date(2025, 1, 20)


def test_not_a_pdf() -> None:
    with pytest.raises(PublishedDocumentError, match="无法识别"):
        read_document(b"\x00\x01\x02garbage\x00\xff" * 10, name="report.pdf")
    with pytest.raises(PublishedDocumentError, match="不是 PDF"):
        pdf_reader.read(b"<html></html>", source="report.pdf")
    with pytest.raises(PublishedDocumentError, match="已损坏") as caught:
        read_document(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ntrailer garbage", name="broken.pdf")
    assert caught.value.source == "broken.pdf"


@pytest.mark.parametrize("keep", [200, 0.5, -30])
def test_a_truncated_pdf(keep: float) -> None:
    data = minimal_pdf(["one", "two"])
    end = int(keep) if keep >= 1 else int(len(data) * keep) if keep > 0 else len(data) + int(keep)
    with pytest.raises(PublishedDocumentError, match="已损坏") as caught:
        read_document(data[:end], name="cut.pdf")
    assert caught.value.source == "cut.pdf"


def test_page_and_size_caps() -> None:
    data = minimal_pdf(["a", "b", "c"])
    with pytest.raises(PublishedDocumentError, match="页数过多"):
        pdf_reader.read(data, source="x.pdf", limits=ReadLimits(max_pages=2))
    with pytest.raises(PublishedDocumentError, match="过大"):
        pdf_reader.read(data, source="x.pdf", limits=ReadLimits(max_pdf_bytes=100))
    with pytest.raises(PublishedDocumentError, match="字符过多"):
        pdf_reader.read(minimal_pdf(["x" * 50]), source="x.pdf", limits=ReadLimits(max_page_chars=10))


def test_page_numbers_are_left_out() -> None:
    pages = minimal_pdf(["Body text"]).replace(b"72 720 Td (Body text)", b"72 40 Td (- 3 -)")
    document = read_document(pages, name="x.pdf")
    assert document.blocks == ()
    assert any("页码" in note.message for note in document.notes)


# ---------------------------------------------------------------------------------------------------
# PDFs that LibreOffice makes
# ---------------------------------------------------------------------------------------------------

FILLER = "本机关持续推进政务公开标准化规范化建设，完善制度机制，加强平台管理。" * 12


@pytest.fixture(scope="module")
def long_report_files() -> tuple[bytes, bytes]:
    """reportkit's own Word output, with long texts before table 三 (three fillers: the break then falls
    inside the vertically merged 三、本年度办理结果), and the PDF LibreOffice makes of it once
    table 三 no longer keeps together (its rows' keepNext removed), so that it breaks across pages."""
    _require_libreoffice()
    from reportkit.render.docx import render_docx
    from reportkit.render.pdf import convert_to_pdf

    report = full_report()
    report = attrs.evolve(report, overview=attrs.evolve(report.overview, intro=f"{FILLER}\n\n{FILLER}\n\n{FILLER}"))
    docx_data = render_docx(report)
    source = zipfile.ZipFile(io.BytesIO(docx_data))
    loose = io.BytesIO()
    with zipfile.ZipFile(loose, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                xml = data.decode("utf-8")
                start = xml.index("<w:tbl>", xml.index("<w:tbl>") + 1)  # table 三, the second table
                end = xml.index("</w:tbl>", start)
                xml = xml[:start] + xml[start:end].replace("<w:keepNext/>", "") + xml[end:]
                data = xml.encode("utf-8")
            target.writestr(info, data)
    return docx_data, convert_to_pdf(loose.getvalue(), ".docx", timeout=240)


@pytest.mark.libreoffice
def test_reportkit_pdf_reads_like_its_word_file(long_report_files: tuple[bytes, bytes]) -> None:
    docx_data, pdf_data = long_report_files
    from_pdf = read_document(pdf_data, name="report.pdf")
    from_docx = read_document(docx_data, name="report.docx")
    applications = from_pdf.grids()[1]
    # The precondition of this test: table 三 really is cut by a page break.
    assert len({cell.where.page for cell in applications.cells()}) == 2
    assert len(from_pdf.grids()) == 3
    for pdf_grid, docx_grid in zip(from_pdf.grids(), from_docx.grids(), strict=True):
        assert grid_texts(pdf_grid) == grid_texts(docx_grid)
        assert [(c.row, c.col, c.rowspan, c.colspan) for c in pdf_grid.cells()] == [
            (c.row, c.col, c.rowspan, c.colspan) for c in docx_grid.cells()
        ]
    assert any("跨页的表格已拼接" in note.message and "表头" in note.message for note in from_pdf.notes)
    for grid in from_pdf.grids():  # after stitching, every cell's place names its row and column in the grid
        assert all(
            (c.where.row, c.where.column, c.where.table) == (c.row + 1, c.col + 1, grid.where.table)
            for c in grid.cells()
        )
    for paragraph in from_pdf.paragraphs():
        assert len(paragraph.lines) == paragraph.raw.count("\n") + 1
    # The merged label cut by the break keeps both of its places.
    runs_on = [cell for cell in applications.cells() if cell.where.parts]
    assert runs_on and all(cell.where.parts[0].page == cell.where.page + 1 for cell in runs_on)
    # Headings come through as paragraphs, in order, before their tables.
    headings = [squeeze(p.text) for p in from_pdf.paragraphs()]
    for grid in from_pdf.grids():
        before = from_pdf.blocks[from_pdf.blocks.index(grid) - 1]
        assert isinstance(before, Paragraph) and squeeze(before.text) in headings
    assert not any(squeeze(p.text).startswith("—") for p in from_pdf.paragraphs())  # page numbers left out


@pytest.fixture(scope="module")
def split_rows_pdf() -> tuple[bytes, list[str]]:
    """A Word table whose tall rows may break across pages (python-docx), and a borderless table."""
    _require_libreoffice()
    from docx import Document

    from reportkit.render.pdf import convert_to_pdf

    document = Document()
    for _ in range(22):
        document.add_paragraph("填充段落，用来把表格推到页面底部。" * 3)
    table = document.add_table(rows=0, cols=4)
    table.style = "Table Grid"
    labels = []
    for r in range(12):
        label = "\n".join(f"第{r + 1}项说明文字的第{k + 1}行" for k in range(6))
        labels.append(label)
        cells = table.add_row().cells
        cells[0].text = label
        for c in range(1, 4):
            cells[c].text = str(100 * (r + 1) + c)
    document.add_paragraph("表后段落。")
    document.add_page_break()
    document.add_paragraph("无框线表格如下：")
    plain = document.add_table(rows=0, cols=4)
    for r, name in enumerate(["项目", "甲类事项", "乙类事项", "丙类事项"]):
        cells = plain.add_row().cells
        cells[0].text = name
        for c in range(1, 4):
            cells[c].text = f"列{'一二三'[c - 1]}" if r == 0 else str(10 * r + c)
    buffer = io.BytesIO()
    document.save(buffer)
    return convert_to_pdf(buffer.getvalue(), ".docx", timeout=240), labels


@pytest.mark.libreoffice
def test_rows_cut_by_page_breaks_are_joined(split_rows_pdf: tuple[bytes, list[str]]) -> None:
    data, labels = split_rows_pdf
    document = read_document(data, name="split.pdf")
    ruled = document.grids()[0]
    assert len({cell.where.page for cell in ruled.cells()}) >= 3  # the precondition: it spans pages
    assert ruled.height == 12 and ruled.width == 4
    assert [squeeze(row[0].text) for row in ruled.rows] == [squeeze(label) for label in labels]
    assert [row[1].text for row in ruled.rows] == [str(100 * (r + 1) + 1) for r in range(12)]
    cut = [row[0] for row in ruled.rows if row[0].where.parts]
    assert cut, "at least one row is cut by a page break"
    assert any("被分页截断的行" in note.message for note in document.notes)


@pytest.mark.libreoffice
def test_a_borderless_table_falls_back_to_text_layout(split_rows_pdf: tuple[bytes, list[str]]) -> None:
    data, _ = split_rows_pdf
    document = read_document(data, name="split.pdf")
    plain = document.grids()[-1]
    assert plain.texts() == (
        ("项目", "列一", "列二", "列三"),
        ("甲类事项", "11", "12", "13"),
        ("乙类事项", "21", "22", "23"),
        ("丙类事项", "31", "32", "33"),
    )
    assert all(cell.where.box is not None for cell in plain.cells())
    assert any("没有表格线" in note.message for note in document.notes)
    texts = [p.text for p in document.paragraphs()]
    assert "表后段落。" in texts and "无框线表格如下：" in texts  # a page break separates them
