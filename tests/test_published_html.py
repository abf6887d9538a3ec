"""The HTML reader: real portal pages, Word-pasted markup, encodings, layout tables and hostile pages."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from published_support import PUBLISHED, grid_texts, squeeze
from reportkit.errors import ReportkitError
from reportkit.published import (
    Kind,
    Paragraph,
    PublishedDocumentError,
    ReadLimits,
    join_grids,
    read_document,
)
from reportkit.published import html as html_reader

PINGTAN_2025 = PUBLISHED / "pingtan-2025.html"
PINGTAN_2018 = PUBLISHED / "pingtan-2018.html"


def read_html(markup: str, **options: object) -> object:
    return read_document(markup.encode("utf-8"), name="page.html", **options)  # type: ignore[arg-type]


def doc(markup: str, limits: ReadLimits | None = None):  # type: ignore[no-untyped-def]
    return html_reader.read(markup.encode("utf-8"), source="page.html", limits=limits or ReadLimits())


# ---------------------------------------------------------------------------------------------------
# The real 2021-format page
# ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pingtan():  # type: ignore[no-untyped-def]
    return read_document(PINGTAN_2025)


def test_pingtan_2025_has_its_three_tables_in_order(pingtan) -> None:  # type: ignore[no-untyped-def]
    assert pingtan.kind is Kind.HTML
    grids = pingtan.grids()
    assert [(g.width, g.height) for g in grids] == [(4, 14), (10, 28), (15, 4)]
    assert [g.where.table for g in grids] == [1, 2, 3]
    # Each table is preceded by its section heading paragraph (the mapper anchors on them).
    for grid in grids:
        index = pingtan.blocks.index(grid)
        before = pingtan.blocks[index - 1]
        assert isinstance(before, Paragraph) and re.match(r"^[二三四]、", before.text)


def test_pingtan_2025_cells_keep_spans_and_raw_text(pingtan) -> None:  # type: ignore[no-untyped-def]
    proactive, applications, review = pingtan.grids()
    corner = applications.rows[0][0]
    assert (corner.rowspan, corner.colspan) == (3, 3)
    outcome = next(c for c in applications.cells() if c.text.startswith("三、"))
    assert (outcome.row, outcome.col, outcome.rowspan) == (5, 0, 22)
    # "<p>社会</p><p>公益 &nbsp; &nbsp; …</p>": line breaks kept, no-break spaces only in raw.
    header = next(c for c in applications.cells() if c.text.startswith("社会"))
    assert header.text == "社会\n公益\n组织"
    assert "\u00a0" in header.raw and "\u00a0" not in header.text
    # Slots of a merged cell point to the same cell; only the top-left is the origin.
    logical = applications.logical()
    assert logical[10][0] is not None and logical[10][0].cell is outcome and not logical[10][0].origin
    assert logical[5][0] is not None and logical[5][0].origin
    assert proactive.texts()[3] == ("行政规范性文件", "58", "45", "546")
    assert proactive.texts()[13][1] == "4166.241619"
    assert review.texts()[3] == ("25", "3", "8", "0", "36", "3", "3", "0", "0", "6", "3", "0", "0", "0", "3")
    # Provenance: the DOM path of the cell and its grid coordinates.
    cell = proactive.rows[3][3]
    assert cell.where.path.endswith("/table[1]/tbody[1]/tr[4]/td[4]")
    assert (cell.where.table, cell.where.row, cell.where.column) == (1, 4, 4)
    assert cell.where.describe() == "第 1 个表格第 4 行第 4 列"


def test_pingtan_2025_metadata(pingtan) -> None:  # type: ignore[no-untyped-def]
    meta = pingtan.meta
    assert meta.title == "平潭综合实验区2025年度政府信息公开工作年度报告"  # ArticleTitle, not the <title> suffix
    assert meta.url.endswith("/202603/t20260313_105587.htm")
    assert meta.encoding.startswith("utf-8")
    assert meta.published == dt.date(2026, 3, 10)
    origins = {(c.origin, c.value) for c in meta.dates}
    assert ("meta:PubDate", dt.date(2026, 3, 10)) in origins
    assert ("url", dt.date(2026, 3, 13)) in origins  # the URL disagrees: both claims are kept
    assert meta.property("SiteName") == "平潭综合实验区党工委管委会"


def test_pingtan_2025_text_matches_the_archived_extraction(pingtan) -> None:  # type: ignore[no-untyped-def]
    """Every table cell's text occurs in the archive's own text extraction of the page."""
    scraped = squeeze((PUBLISHED / "pingtan-2025.txt").read_text(encoding="utf-8"))
    for grid in pingtan.grids():
        for cell in grid.cells():
            assert squeeze(cell.text) in scraped, cell


def test_pingtan_2018_free_form_report_is_read_faithfully() -> None:
    document = read_document(PINGTAN_2018)
    (grid,) = document.grids()
    assert grid.width == 4
    assert grid.texts()[0] == ("指标名称", "计量单位", "2018年度", "历年累计")
    assert grid.texts()[1][:3] == ("主动公开文件数", "条", "2069")
    assert document.meta.published == dt.date(2019, 1, 10)


def test_gbk_page_without_a_charset_declaration(pingtan) -> None:  # type: ignore[no-untyped-def]
    text = PINGTAN_2025.read_text(encoding="utf-8").replace('charset="utf-8"', "")
    assert "charset" not in text[:5000].lower()
    data = text.encode("gbk")
    document = read_document(data, name="pingtan.html")
    assert document.meta.encoding.startswith("gb18030")
    assert any("GB18030" in note.message for note in document.notes)
    assert [grid_texts(g) for g in document.grids()] == [grid_texts(g) for g in pingtan.grids()]
    assert document.meta.title == pingtan.meta.title


def test_declared_gb2312_is_read_as_gb18030_without_a_note() -> None:
    markup = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>'
    markup += "<body><p>发布时间：2025-01-20</p><table><tr><td>甲</td><td>1</td></tr></table></body></html>"
    document = read_document(markup.encode("gb18030"), name="x.html")
    assert document.meta.encoding == "gb18030（文件声明 gb2312）"
    assert not document.notes
    assert document.grids()[0].texts() == (("甲", "1"),)
    assert document.meta.published == dt.date(2025, 1, 20)


def test_mis_declared_charset_falls_back_with_a_note() -> None:
    markup = '<html><head><meta charset="utf-8"></head><body><p>中文内容</p></body></html>'
    document = read_document(markup.encode("gb18030"), name="x.html")
    assert document.paragraphs()[0].text == "中文内容"
    assert any("声明" in note.message for note in document.notes)


# ---------------------------------------------------------------------------------------------------
# Word-pasted markup
# ---------------------------------------------------------------------------------------------------

WORD_PASTE = """<html xmlns:o="urn:schemas-microsoft-com:office:office">
<head><title>某局年报_信息公开</title>
<style>p.MsoNormal {margin:0cm}</style>
<!--[if gte mso 9]><xml><o:DocumentProperties>隐藏的属性</o:DocumentProperties></xml><![endif]-->
<meta name="publishdate" content="2025-01-20">
<meta property="article:published_time" content="2025-01-21T08:00:00+08:00">
</head><body>
<div class="info">来源：某局 发布时间：2025-01-22 浏览次数：<script>document.write(12)</script></div>
<p class=MsoNormal><span style='font-family:仿宋'>一、总体情况<o:p></o:p></span></p>
<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0>
 <tr style='mso-yfti-irow:0'>
  <td width=100 rowspan=2 class=xl65><p class=MsoNormal><span lang=EN-US>项<br>目</span><o:p></o:p></p></td>
  <td colspan=2><p class=MsoNormal align=center><b><span>数&nbsp;量</span></b></p></td>
 </tr>
 <tr><td><p>本年</p></td><td><p>累计</p></td></tr>
 <tr><td><p><![if !supportLists]><span>1.</span><![endif]>甲类</p></td><td><p>&nbsp;</p></td><td><p>/</p></td></tr>
 <tr><td><p>乙类</p></td><td><p>—</p></td><td><p>1,234</p></td></tr>
 <tr><td><p>丙类</p></td><td>&#12288;</td></tr>
</table>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
</body></html>"""


def test_word_pasted_table() -> None:
    document = read_document(WORD_PASTE.encode("utf-8"), name="paste.html")
    (grid,) = document.grids()
    assert grid.texts() == (
        ("项\n目", "数 量", "数 量"),
        ("项\n目", "本年", "累计"),
        ("1.甲类", "", "/"),
        ("乙类", "—", "1,234"),
        ("丙类", "", ""),
    )
    blank, dash = grid.rows[2][1], grid.rows[3][1]
    assert blank.blank and blank.raw == "\u00a0"  # a printed blank, not an absent cell
    assert dash.text == "—" and not dash.blank
    full_width = grid.rows[4][1]
    assert full_width.blank and full_width.raw == "\u3000"
    assert len(grid.rows[4]) == 2 and grid.logical()[4][2] is None  # a ragged row leaves a hole
    assert grid.rows[0][1].raw == "数\u00a0量"
    texts = [p.text for p in document.paragraphs()]
    assert "一、总体情况" in texts
    assert not any("隐藏" in t or "write" in t or "MsoNormal" in t for t in texts)


def test_word_pasted_metadata() -> None:
    meta = read_document(WORD_PASTE.encode("utf-8"), name="paste.html").meta
    assert meta.title == "某局年报_信息公开"
    claims = {c.origin: c.value for c in meta.dates}
    assert claims == {
        "meta:publishdate": dt.date(2025, 1, 20),
        "meta:article:published_time": dt.date(2025, 1, 21),
        "text": dt.date(2025, 1, 22),
    }
    assert meta.published == dt.date(2025, 1, 20)


def test_optional_end_tags_close_like_a_browser() -> None:
    document = doc("<table><tr><td>a<td>b<tr><td>c<p>d<p>e</table><p>after")
    (grid,) = document.grids()
    assert grid.texts() == (("a", "b"), ("c\nd\ne", ""))
    assert document.paragraphs()[-1].text == "after"


def test_stray_end_tags_and_cells_outside_rows() -> None:
    document = doc("<div><table><td>x</td></tr></div><tr><td>y</td></table></span></body><p>z</p>")
    (grid,) = document.grids()
    assert grid.texts() == (("x",), ("y",))
    assert document.paragraphs()[-1].text == "z"


def test_rowspans_and_colspans_place_cells_as_browsers_do() -> None:
    document = doc(
        "<table><tr><td rowspan=3>A</td><td colspan=2>B</td></tr>"
        "<tr><td>C</td><td rowspan=2>D</td></tr><tr><td>E</td></tr></table>"
    )
    (grid,) = document.grids()
    assert grid.texts() == (("A", "B", "B"), ("A", "C", "D"), ("A", "E", "D"))
    e = grid.rows[2][0]
    assert (e.row, e.col) == (2, 1)


def test_nested_layout_table_dissolves_into_its_data_table() -> None:
    document = doc(
        "<table class=layout><tr><td>导航 首页</td><td>"
        "<p>二、主动公开</p><table><tr><td>甲</td><td>1</td></tr><tr><td>乙</td><td>2</td></tr></table>"
        "<p>说明文字</p></td></tr></table>"
    )
    assert [type(b).__name__ for b in document.blocks] == ["Paragraph", "Paragraph", "Grid", "Paragraph"]
    assert [b.text for b in document.paragraphs()] == ["导航 首页", "二、主动公开", "说明文字"]
    (grid,) = document.grids()
    assert grid.texts() == (("甲", "1"), ("乙", "2"))
    assert "/table[1]/tr[1]/td[2]/table[1]/" in grid.rows[0][0].where.path
    assert any("排版" in note.message for note in document.notes)


def test_one_table_split_in_two_is_flagged_not_joined() -> None:
    document = doc(
        "<table><tr><th>项目</th><th>数</th></tr><tr><td>甲</td><td>1</td></tr></table>"
        "<p>&nbsp;</p>"
        "<table><tr><th>项目</th><th>数</th></tr><tr><td>乙</td><td>2</td></tr></table>"
        "<p>正文</p><table><tr><td>丙</td></tr></table>"
    )
    first, second, third = document.grids()
    assert first.continues is None
    assert second.continues is not None
    assert second.continues.previous == document.blocks.index(first)
    assert (second.continues.same_width, second.continues.repeated_rows) == (True, 1)
    assert third.continues is None  # real text between them
    joined = join_grids(first, second, drop_rows=second.continues.repeated_rows)
    assert joined.texts() == (("项目", "数"), ("甲", "1"), ("乙", "2"))
    assert joined.rows[2][0].where.table == 2  # joined cells still say where they came from


def test_caption_and_hidden_content() -> None:
    document = doc(
        "<noscript><p>请启用脚本</p></noscript><select><option>一<option>二</select>"
        "<table><caption>表一 数据</caption><tr><td>1</td></tr></table><template><p>模板</p></template>"
    )
    (grid,) = document.grids()
    assert grid.caption == "表一 数据"
    assert document.paragraphs() == ()


def test_a_fragment_without_html_tags_is_sniffed_as_html() -> None:
    document = read_document(b"<p>\xe4\xb8\x80</p><table><tr><td>1</td></tr></table>", name="frag")
    assert document.kind is Kind.HTML and len(document.grids()) == 1


# ---------------------------------------------------------------------------------------------------
# Hostile pages
# ---------------------------------------------------------------------------------------------------


def test_deeply_nested_page_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(PublishedDocumentError, match="嵌套过深") as caught:
        read_document(("<div>" * 200_000).encode(), name="deep.html")
    assert time.monotonic() - started < 10
    assert caught.value.source == "deep.html"


def test_deeply_nested_tables_are_refused() -> None:
    with pytest.raises(PublishedDocumentError, match="表格嵌套过深"):
        doc("<table><tr><td>" * 100)


def test_a_million_row_rowspan_allocates_nothing() -> None:
    document = doc('<table><tr><td rowspan="1000000">A</td><td>1</td></tr><tr><td>2</td></tr></table>')
    (grid,) = document.grids()
    assert (grid.height, grid.width) == (2, 2)
    assert grid.rows[0][0].rowspan == 2
    assert any("rowspan" in note.message for note in document.notes)


def test_a_million_column_colspan_is_cut_back() -> None:
    document = doc('<table><tr><td colspan="1000000">A</td></tr><tr><td>1</td></tr></table>')
    (grid,) = document.grids()
    assert grid.width == 1000 and grid.rows[0][0].colspan == 1000
    assert any("colspan" in note.message for note in document.notes)
    with pytest.raises(PublishedDocumentError, match="列数过多"):
        doc('<table><tr><td colspan="1000">A</td><td>B</td></tr></table>')


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        pytest.param(
            "<table>" + ("<tr>" + "<td></td>" * 500 + "</tr>") * 2000 + "</table>",
            "单元格过多",
            marks=pytest.mark.slow,  # parses the 50 000 cells the limit allows first
        ),
        ("<table><tr>" + "<td></td>" * 1_000_000 + "</tr></table>", "列数过多"),
        ("<table>" + "<tr></tr>" * 1_000_000 + "</table>", "行数过多"),
    ],
    ids=["rows-of-cells", "one-row", "empty-rows"],
)
def test_a_million_empty_cells_are_refused_early(markup: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(ReportkitError, match=message) as caught:
        read_document(markup.encode(), name="bomb.html")
    assert time.monotonic() - started < 30
    assert str(caught.value).startswith("bomb.html: 表格")


def test_too_many_rows_and_slots() -> None:
    with pytest.raises(PublishedDocumentError, match="行数过多"):
        doc("<table>" + "<tr><td>1</td></tr>" * 60, ReadLimits(max_rows=50))
    with pytest.raises(PublishedDocumentError, match="过大"):
        doc("<table>" + "<tr><td colspan=100>1</td></tr>" * 20, ReadLimits(max_slots=1000))


def test_a_page_over_the_size_cap() -> None:
    with pytest.raises(PublishedDocumentError, match="过大"):
        html_reader.read(b"<p>" + b"x" * 2000, source="big.html", limits=ReadLimits(max_html_bytes=1000))


def test_malformed_markup_never_escapes_as_a_traceback() -> None:
    for markup in ("<!DOCTYPE", "<![CDATA[", "</", "<a b='", "<table><tr><td rowspan=-3 colspan=x>1", "<!--"):
        document = doc(markup)
        assert document.kind is Kind.HTML


def test_attachment_links_are_listed() -> None:
    document = doc('<p>附件：<a href="/up/2025/report.PDF">年报</a> <a href="next.html">下一篇</a></p>')
    assert [value for key, value in document.meta.properties if key == "attachment"] == ["/up/2025/report.PDF"]
