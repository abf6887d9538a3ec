"""The published-report registry and document model: sniffing, dispatch, lazy imports, grids, dates."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from published_support import PUBLISHED, make_docx, minimal_pdf
from reportkit.errors import ReportkitError
from reportkit.published import (
    DateClaim,
    Grid,
    GridCell,
    Kind,
    Meta,
    PublishedDocumentError,
    ReadLimits,
    Where,
    join_grids,
    read_document,
    sniff,
)
from reportkit.published._common import clean, dates_in_line, dates_in_url

# ---------------------------------------------------------------------------------------------------
# Sniffing
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"%PDF-1.7\n...", "", Kind.PDF),
        (b"\n\n%PDF-1.4", "x.bin", Kind.PDF),
        (b"<!DOCTYPE html><html>", "", Kind.HTML),
        (b"\xef\xbb\xbf<!-- saved -->\n<html>", "", Kind.HTML),
        (b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'>", "", Kind.HTML),
        (b"  <table><tr><td>1</td></tr></table>", "", Kind.HTML),
        ("政府信息公开工作年度报告\n一、总体情况".encode(), "", Kind.TEXT),
        ("标题：<年报>\n<p>正文</p>".encode(), "page.html", Kind.HTML),  # the suffix breaks the tie
        ("标题：<年报>\n<p>正文</p>".encode(), "page.txt", Kind.TEXT),
        ("中文".encode("utf-16"), "", Kind.TEXT),
        (b"", "empty.txt", Kind.TEXT),
    ],
)
def test_sniff_from_the_bytes(data: bytes, name: str, kind: Kind) -> None:
    assert sniff(data, name) is kind


def test_sniff_a_word_file() -> None:
    assert sniff(make_docx("<w:p/>"), "report.bin") is Kind.DOCX


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "另存为 .docx"),
        (b"{\\rtf1\\ansi", "RTF"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "OCR"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "OCR"),
        (b"\x00\x01\x02\x03binary\x00\x00\xff", "无法识别"),
        (b"MIME-Version: 1.0\r\nContent-Type: multipart/related", ".mht"),
        (b"PK\x03\x04broken", "损坏"),
    ],
)
def test_sniff_refuses_what_no_reader_takes(data: bytes, message: str) -> None:
    with pytest.raises(PublishedDocumentError, match=message) as caught:
        sniff(data, "upload.bin")
    assert caught.value.source == "upload.bin"
    assert isinstance(caught.value, ReportkitError)


def test_sniff_a_spreadsheet() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(PublishedDocumentError, match="Excel"):
        sniff(buffer.getvalue(), "form.xlsx")


# ---------------------------------------------------------------------------------------------------
# read_document
# ---------------------------------------------------------------------------------------------------


def test_read_a_path_or_bytes_alike() -> None:
    path = PUBLISHED / "pingtan-2018.html"
    by_path = read_document(path)
    by_bytes = read_document(path.read_bytes(), name="pingtan-2018.html")
    assert by_path.source == str(path) and by_bytes.source == "pingtan-2018.html"
    assert by_path.blocks == by_bytes.blocks


def test_the_content_wins_over_the_suffix_with_a_note() -> None:
    document = read_document(b"<html><body><p>not a pdf</p></body></html>", name="download.pdf")
    assert document.kind is Kind.HTML
    assert any(".pdf" in note.message and "网页" in note.message for note in document.notes)


def test_a_forced_kind() -> None:
    document = read_document(b"<p>1 2</p>", name="x.html", kind="text")
    assert document.kind is Kind.TEXT
    with pytest.raises(PublishedDocumentError, match="不支持的类型"):
        read_document(b"x", name="x", kind="odt")


def test_missing_files_and_folders(tmp_path: Path) -> None:
    with pytest.raises(PublishedDocumentError, match="不存在"):
        read_document(tmp_path / "nope.html")
    with pytest.raises(PublishedDocumentError, match="文件夹"):
        read_document(tmp_path)


def test_a_file_larger_than_every_limit_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 5000)
    limits = ReadLimits(max_html_bytes=1000, max_text_bytes=1000, max_docx_bytes=1000, max_pdf_bytes=1000)
    with pytest.raises(PublishedDocumentError, match="过大"):
        read_document(path, limits=limits)


def test_dates_from_the_url_and_the_name() -> None:
    document = read_document(
        "发布时间：2025-01-22\n正文".encode(),
        name="20250121_report.txt",
        url="https://www.example.gov.cn/xxgk/2025/1/20/art_1.html",
    )
    claims = {(c.origin, c.value, c.precision) for c in document.meta.dates}
    assert claims == {
        ("text", dt.date(2025, 1, 22), "day"),
        ("url", dt.date(2025, 1, 20), "day"),
        ("url", dt.date(2025, 1, 21), "day"),
    }
    assert document.meta.url == "https://www.example.gov.cn/xxgk/2025/1/20/art_1.html"
    assert document.meta.published == dt.date(2025, 1, 22)


def test_url_date_patterns() -> None:
    found = {(c.value, c.precision) for c in dates_in_url("http://x.gov.cn/zwgk/202603/t20260313_105587.htm")}
    assert found == {(dt.date(2026, 3, 13), "day")}  # the month folder adds nothing new
    assert {(c.value, c.precision) for c in dates_in_url("/xxgk/202401/46aba5e1.shtml")} == {
        (dt.date(2024, 1, 1), "month")
    }
    assert dates_in_url("http://x.cn/art/2021/2/30/a.html") == []  # no 30 February
    assert dates_in_url("") == []


def test_publication_lines() -> None:
    where = Where(line=3)
    (claim,) = dates_in_line("来源：某局  发布日期：2025年1月20日  浏览：12", where)
    assert (claim.value, claim.origin, claim.where) == (dt.date(2025, 1, 20), "text", where)
    assert dates_in_line("本报告所列数据统计期限为2025年1月1日至2025年12月31日", where) == []
    assert dates_in_line("成文日期：2025-01-19", where) == []  # signing, not publication


def test_the_strongest_date_claim_wins() -> None:
    def claim(origin: str, day: int, precision: str = "day") -> DateClaim:
        return DateClaim(dt.date(2025, 1, day), origin, "", precision)

    meta = Meta(dates=(claim("properties:created", 1), claim("url", 2, "month"), claim("url", 3), claim("text", 4)))
    assert meta.published == dt.date(2025, 1, 4)
    assert Meta(dates=(claim("properties:created", 1), claim("url", 2, "month"))).published == dt.date(2025, 1, 1)
    assert Meta().published is None


def test_readers_are_imported_on_first_use() -> None:
    code = (
        "import sys, reportkit.published as p\n"
        "loaded = [m for m in ('reportkit.published.html', 'reportkit.published.docx', 'reportkit.published.pdf',"
        " 'reportkit.published.text', 'pdfplumber', 'lxml.etree') if m in sys.modules]\n"
        "print(loaded)\n"
        "p.read_document(b'<p>x</p>', name='x.html')\n"
        "print('reportkit.published.html' in sys.modules, 'pdfplumber' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True False"


def test_a_pdf_without_pdfplumber_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pdfplumber", None)  # import fails as if not installed
    with pytest.raises(PublishedDocumentError, match=r"pip install 'reportkit\[pdf\]'") as caught:
        read_document(minimal_pdf(["x"]), name="report.pdf")
    assert caught.value.source == "report.pdf"


# ---------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------


def cell(text: str, row: int, col: int, rowspan: int = 1, colspan: int = 1, table: int = 1) -> GridCell:
    return GridCell(text, text, row, col, rowspan, colspan, Where(table=table, row=row + 1, column=col + 1))


def test_logical_grid_fills_merged_rectangles() -> None:
    a, b, c = cell("A", 0, 0, rowspan=2), cell("B", 0, 1, colspan=2), cell("C", 1, 1)
    grid = Grid(((a, b), (c,)), 3)
    logical = grid.logical()
    assert [[slot.cell.text if slot else None for slot in row] for row in logical] == [
        ["A", "B", "B"],
        ["A", "C", None],
    ]
    assert [[slot.origin if slot else None for slot in row] for row in logical] == [
        [True, True, False],
        [False, True, None],
    ]
    assert grid.height == 2 and list(grid.cells()) == [a, b, c]
    assert (a.bottom, b.right) == (2, 3)


def test_join_grids_drops_the_repeated_header() -> None:
    first = Grid(((cell("H", 0, 0), cell("h", 0, 1)), (cell("1", 1, 0), cell("2", 1, 1))), 2)
    second = Grid(
        ((cell("H", 0, 0, table=2), cell("h", 0, 1, table=2)), (cell("3", 1, 0, table=2), cell("4", 1, 1, table=2))), 2
    )
    joined = join_grids(first, second, drop_rows=1)
    assert joined.texts() == (("H", "h"), ("1", "2"), ("3", "4"))
    assert joined.rows[2][0].row == 2 and joined.rows[2][0].where.table == 2


def test_where_describes_itself_in_chinese() -> None:
    assert Where(table=2, row=3, column=1).describe() == "第 2 个表格第 3 行第 1 列"
    assert Where(page=4, table=1, row=2, column=5).describe() == "第 4 页第 1 个表格第 2 行第 5 列"
    assert Where(line=12, span=(3, 5)).describe() == "第 12 行第 4 字"
    assert Where(path="/html/body/p[2]").describe() == "/html/body/p[2]"
    assert str(Where(page=4, parts=(Where(page=5),))) == "第 4 页（续：第 5 页）"


def test_clean_collapses_every_kind_of_space() -> None:
    assert clean("\u3000 a\u00a0\u00a0b \u200b\n\n\u00a0\n c ") == "a b\nc"
    assert clean("\u00a0") == ""
