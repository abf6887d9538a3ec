"""Layout fixes on the rendered Word XML (``render/docx_fit.py``): the sign-off keeps the last body paragraph,
numbers too wide for their table cell get a font size that fits. LibreOffice checks are in test_pdf_layout.py."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from docx.oxml.ns import qn

from docx_helpers import (
    TEMPLATE,
    full_report,
    long_counts_report,
    open_docx,
    part_xml,
    restyled_narrow,
    restyled_signoff,
)
from reportkit.formats import gov2021 as fmt
from reportkit.model import AnnualReport, ApplicantCounts, Applications, CaseOutcomes, OtherMatters, ReviewLitigation
from reportkit.render import docx_fit
from reportkit.render.docx import load_docx_template, render_docx
from reportkit.render.gongwen import STYLE_SIGNOFF_DATE, STYLE_SIGNOFF_NAME

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def keep_next_texts(data: bytes) -> list[str]:
    """The texts of the body paragraphs with a direct ``keepNext``, outside tables, after 六's heading."""
    document = open_docx(data)
    texts: list[str] = []
    after_other = False
    for paragraph in document.paragraphs:
        if paragraph.text == fmt.OTHER.heading:
            after_other = True
            continue
        ppr = paragraph._p.pPr
        if after_other and ppr is not None and ppr.find(qn("w:keepNext")) is not None:
            texts.append(paragraph.text)
    return texts


SIX = "第一段。\n\n第二段。\n\n第三段，最后一段。"


# ---------------------------------------------------------------------------------------------------
# The sign-off
# ---------------------------------------------------------------------------------------------------


def test_last_paragraph_keeps_with_signoff_only() -> None:
    report = full_report(other=OtherMatters(SIX, None))  # no fee figures: no fee statement
    data = render_docx(report)
    # the last paragraph of 六 and the blank line (the template's own), never the other paragraphs of 六
    assert keep_next_texts(data) == ["第三段，最后一段。", ""]


def test_fee_statement_is_the_last_paragraph() -> None:
    report = full_report(other=attrs.evolve(full_report().other, text=SIX))
    data = render_docx(report)
    fee = "本年度共发出信息处理费收费通知3件，通知金额300元，实收金额200元。"
    assert keep_next_texts(data) == [fee, ""]


def test_one_paragraph_section() -> None:
    data = render_docx(full_report(other=OtherMatters("唯一的一段。", None)))
    assert keep_next_texts(data) == ["唯一的一段。", ""]


def test_signoff_paragraphs_untouched_when_their_style_keeps() -> None:
    xml = part_xml(render_docx(full_report()))
    # the name's style keeps it with the date: no direct keepNext added, the date does not keep
    assert re.search(r'<w:pStyle w:val="落款机关"/><w:ind w:right="\d+"/>', xml)
    assert re.search(r'<w:pStyle w:val="成文日期"/><w:ind w:right="\d+"/>', xml)


def test_restyled_copy_found_by_style_name(tmp_path: Path) -> None:
    path = restyled_signoff(tmp_path)
    data = render_docx(full_report(other=OtherMatters(SIX, None)), path)
    # body paragraph, the blank line (now <w:p/>) and the name paragraph, whose style no longer keeps
    assert keep_next_texts(data) == ["第三段，最后一段。", "", full_report().agency.name]
    xml = part_xml(data)
    assert '<w:p><w:pPr><w:keepNext/></w:pPr></w:p><w:p><w:pPr><w:pStyle w:val="a5"/><w:keepNext/>' in xml
    assert '<w:pStyle w:val="a6"/><w:keepNext/>' not in xml


def test_keep_next_edits_of_every_paragraph_shape() -> None:
    styles = docx_fit.StyleSheet.from_package(load_docx_template(TEMPLATE).base_zip)
    markers = ('<w:pStyle w:val="落款机关"/>',)
    signoff = '<w:p><w:pPr><w:pStyle w:val="落款机关"/></w:pPr><w:r><w:t>机关</w:t></w:r></w:p>'
    cases = {
        # no pPr; a self-closed blank; a blank with an empty pPr; bookmarks in between
        '<w:p w:rsidR="1"><w:r><w:t>正文</w:t></w:r></w:p><w:p w:rsidR="2"/>': (
            '<w:p w:rsidR="1"><w:pPr><w:keepNext/></w:pPr><w:r><w:t>正文</w:t></w:r></w:p>'
            '<w:p w:rsidR="2"><w:pPr><w:keepNext/></w:pPr></w:p>'
        ),
        '<w:p><w:r><w:t>正文</w:t></w:r></w:p><w:bookmarkEnd w:id="0"/><w:p><w:pPr/></w:p>': (
            '<w:p><w:pPr><w:keepNext/></w:pPr><w:r><w:t>正文</w:t></w:r></w:p><w:bookmarkEnd w:id="0"/>'
            "<w:p><w:pPr><w:keepNext/></w:pPr></w:p>"
        ),
        # a style first, an explicit keepNext off, a paragraph mark's rPr
        '<w:p><w:pPr><w:pStyle w:val="Normal"/><w:keepNext w:val="0"/><w:rPr><w:b/></w:rPr></w:pPr>'
        "<w:r><w:t>正文</w:t></w:r></w:p>": (
            '<w:p><w:pPr><w:pStyle w:val="Normal"/><w:keepNext/><w:rPr><w:b/></w:rPr></w:pPr>'
            "<w:r><w:t>正文</w:t></w:r></w:p>"
        ),
        # already on: unchanged; a text box paragraph nested in the body paragraph does not confuse the walk
        "<w:p><w:pPr><w:keepNext/></w:pPr><w:r><w:t>正文</w:t></w:r></w:p>": (
            "<w:p><w:pPr><w:keepNext/></w:pPr><w:r><w:t>正文</w:t></w:r></w:p>"
        ),
        "<w:p><w:r><w:t>正文</w:t></w:r><w:r><w:txbxContent><w:p><w:r><w:t>框</w:t></w:r></w:p></w:txbxContent>"
        "</w:r></w:p>": (
            "<w:p><w:pPr><w:keepNext/></w:pPr><w:r><w:t>正文</w:t></w:r><w:r><w:txbxContent><w:p><w:r>"
            "<w:t>框</w:t></w:r></w:p></w:txbxContent></w:r></w:p>"
        ),
        # a table right before the sign-off: nothing to keep
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>表</w:t></w:r></w:p></w:tc></w:tr></w:tbl>": (
            "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>表</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
        ),
    }
    for before, expected in cases.items():
        body = f"<w:body><w:p><w:r><w:t>前文</w:t></w:r></w:p>{before}{signoff}</w:body>"
        result = docx_fit.keep_signoff_with_body(body, markers, styles)
        assert result == f"<w:body><w:p><w:r><w:t>前文</w:t></w:r></w:p>{expected}{signoff}</w:body>", before
    assert docx_fit.keep_signoff_with_body("<w:body/>", markers, styles) == "<w:body/>"


def test_signoff_styles_are_the_renderers() -> None:
    styles = docx_fit.StyleSheet.from_package(load_docx_template(TEMPLATE).base_zip)
    assert styles.paragraph_ids(STYLE_SIGNOFF_NAME, STYLE_SIGNOFF_DATE) == {STYLE_SIGNOFF_NAME, STYLE_SIGNOFF_DATE}
    assert styles.keeps_with_next(STYLE_SIGNOFF_NAME) and not styles.keeps_with_next(STYLE_SIGNOFF_DATE)


# ---------------------------------------------------------------------------------------------------
# Long numbers
# ---------------------------------------------------------------------------------------------------


def number_cells(data: bytes) -> list[tuple[int, str, int | None, int]]:
    """(table, text, size in half-points or None, text width in twips) of every number cell of tables 三 and 四."""
    document = open_docx(data)
    found = []
    for number, table in enumerate(document.tables):
        tbl = table._tbl
        margins = tbl.tblPr.find(qn("w:tblCellMar"))
        side = sum(int(margins.find(qn(f"w:{s}")).get(qn("w:w"))) for s in ("left", "right"))
        for tc in tbl.iter(qn("w:tc")):
            text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
            if not re.fullmatch(r"[0-9.]+", text):
                continue
            sizes = {sz.get(qn("w:val")) for sz in tc.iter(qn("w:sz"))}
            assert len(sizes) <= 1 and {cs.get(qn("w:val")) for cs in tc.iter(qn("w:szCs"))} == sizes
            size = int(sizes.pop()) if sizes else None
            found.append((number, text, size, int(tc.find(qn("w:tcPr")).find(qn("w:tcW")).get(qn("w:w"))) - side))
    return found


TABLE_TEXT_SIZE = 21  # 五号, the style of the number cells of tables 三 and 四


def ordinary_report() -> AnnualReport:
    """A report whose counts have up to four digits (five in the 总计 column of table 三)."""
    apps = Applications().with_row("new", ApplicantCounts.of([9999, 9999, 9999, 9999, 9999, 4]))
    apps = apps.with_row("disclosed", ApplicantCounts.of([9999, 9999, 9999, 9999, 9999, 4]))
    review = CaseOutcomes(9999, 9999, 9999, 9999)  # 总计 39996 in table 四: five digits
    return full_report(
        applications=apps,
        review_litigation=ReviewLitigation(review=review),
        other=OtherMatters("其他。", None),
    )


def test_ordinary_numbers_untouched() -> None:
    cells = number_cells(render_docx(attrs.evolve(ordinary_report(), review_litigation=ReviewLitigation())))
    assert any(len(text) == 5 for _table, text, _size, _width in cells)
    assert cells and all(size is None for _table, _text, size, _width in cells)


def test_only_the_long_number_shrinks() -> None:
    cells = number_cells(render_docx(ordinary_report()))
    assert [(table, text) for table, text, size, _width in cells if size is not None] == [(2, "39996")]


def test_long_numbers_fit_their_cells() -> None:
    cells = number_cells(render_docx(long_counts_report()))
    long = [(table, text, size, width) for table, text, size, width in cells if len(text) >= 6]
    assert {1, 2} <= {table for table, *_ in long}
    assert any(len(text) == 10 for _t, text, _s, _w in long)
    for table, text, size, width in cells:
        printed = size if size is not None else TABLE_TEXT_SIZE
        assert len(text) * printed * 5 <= width, (table, text, size, width)  # digits are half an em
    for table in (1, 2):
        shrunk = [(text, size, width) for t, text, size, width in cells if t == table and size is not None]
        sizes = {size for _text, size, _width in shrunk}
        assert len(sizes) == 1  # the shrunk cells of a table do not mix sizes
        size = sizes.pop()
        # and that size is the largest that fits the tightest of them
        assert any(len(text) * (size + 1) * 5 > width * docx_fit.FIT_SLACK for text, _size, width in shrunk)


def test_restyled_widths_and_sizes(tmp_path: Path) -> None:
    """A copy with narrower table-四 columns, 小四 number text and other style ids fits by its own measures."""
    path = restyled_narrow(tmp_path)
    cells = number_cells(render_docx(long_counts_report(), path))
    four = [(text, size, width) for table, text, size, width in cells if table == 2]
    assert {width for _text, _size, width in four} == {489 - 114, 490 - 114}
    assert all(size is not None and len(text) * size * 5 <= width for text, size, width in four)
    # table 三 keeps its widths, at 小四 now: five digits (its 总计 column) no longer fit
    three = [(text, size, width) for table, text, size, width in cells if table == 1]
    assert all(len(text) * (size or 24) * 5 <= width for text, size, width in three)
    assert any(size is not None for text, size, _width in three if len(text) <= 5) or not any(
        len(text) == 5 for text, _size, _width in three
    )
    # the narrower columns need a smaller size than the shipped template's
    shipped = number_cells(render_docx(long_counts_report()))
    assert max(size or 0 for _t, size, _w in four) < min(s for t, _x, s, _w in shipped if t == 2 and s is not None)


def fail(*args: object, **kwargs: object) -> str:
    raise AssertionError("called although every number fits")


def test_no_work_when_no_number_is_long(monkeypatch: pytest.MonkeyPatch) -> None:
    apps = Applications().with_row("new", ApplicantCounts.of([1, 2, 3, 4, 5, 6]))
    report = full_report(
        applications=apps.with_row("disclosed", ApplicantCounts.of([1, 2, 3, 4, 5, 6])),
        proactive=attrs.evolve(full_report().proactive, fees_wan_yuan=Decimal("12.5")),
    )
    render_docx(report)  # the template's layout is measured before the spies
    monkeypatch.setattr(docx_fit._NumberRoom, "too_long", fail)  # not even a search
    monkeypatch.setattr(docx_fit, "shrink_long_numbers", fail)
    render_docx(report)
    with pytest.raises(AssertionError, match="called"):
        render_docx(long_counts_report())


def test_no_parse_when_long_numbers_fit_their_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    report = attrs.evolve(ordinary_report(), review_litigation=ReviewLitigation())  # five digits in table 三
    render_docx(report)
    monkeypatch.setattr(docx_fit, "shrink_long_numbers", fail)
    monkeypatch.setattr(docx_fit, "_parser", fail)
    render_docx(report)
    with pytest.raises(AssertionError, match="called"):
        render_docx(ordinary_report())  # five digits in table 四


def test_fitted_rows_written_back_in_place() -> None:
    """Only the rows with a long number change; the rest of the part is the unfitted text, byte for byte."""
    template = load_docx_template(TEMPLATE)
    report = long_counts_report()
    from reportkit.render.docx_template import _post_render, build_context

    context = build_context(report)
    part = next(p for p in template.parts if p.name == "word/document.xml")
    xml = _post_render(part.template.render(context))
    styles = docx_fit.StyleSheet.from_package(template.base_zip)
    numbers = list(docx_fit._long_number(4).finditer(xml))
    rows = docx_fit._rows_to_fit(xml, numbers)
    assert rows is not None  # found in the text, no parse of the whole part
    # 二's fee row (96171.6 fits), 三's rows 一, （一）, （七）总计 and 四's numbers
    assert [len(table_rows) for table_rows in rows.values()] == [1, 3, 1]
    fragmentwise = docx_fit.shrink_long_numbers(xml, styles, 4)
    whole = docx_fit._shrink_in_tree(xml, styles, 4)
    assert fragmentwise != xml and "xmlns" not in fragmentwise.split("<w:body>", 1)[1]

    def rows(text: str) -> list[str]:
        return re.findall(r"<w:tr[ >].*?</w:tr>", text)

    assert rows(fragmentwise) == rows(whole)
    changed = [a for a, b in zip(rows(fragmentwise), rows(xml), strict=True) if a != b]
    assert changed and all(re.search(r"[0-9]{6,}", row) for row in changed)
    assert re.sub(r"<w:tr[ >].*?</w:tr>", "", fragmentwise) == re.sub(r"<w:tr[ >].*?</w:tr>", "", xml)


# ---------------------------------------------------------------------------------------------------
# For LibreOffice
# ---------------------------------------------------------------------------------------------------


def long_paragraph(lines: int) -> str:
    return "长" * (26 + 28 * (lines - 1))


@pytest.mark.parametrize(("lines", "relaxed"), [(1, False), (17, False), (18, True), (40, True)])
def test_libreoffice_copy_relaxes_only_a_chain_taller_than_a_page(lines: int, relaxed: bool) -> None:
    """Heading (1 line) + last paragraph + blank, name and date (3 lines) against 22 lines, one spare."""
    report = full_report(other=OtherMatters(long_paragraph(lines), None))
    data = render_docx(report)
    assert keep_next_texts(data)[0] == long_paragraph(lines)  # the .docx keeps it, as Word splits it
    prepared = docx_fit.for_libreoffice(data)
    if not relaxed:
        assert prepared == data
        return
    xml = part_xml(prepared)
    assert xml.count('<w:keepNext w:val="0"/>') == 1
    paragraph = re.search(r"<w:p>(?:(?!<w:p>).)*?长长长", xml).group(0)  # type: ignore[union-attr]
    assert '<w:keepNext w:val="0"/>' in paragraph
    assert part_xml(prepared, "word/styles.xml") == part_xml(data, "word/styles.xml")
    assert open_docx(prepared).paragraphs  # still a Word document


def test_libreoffice_copy_of_a_restyled_template(tmp_path: Path) -> None:
    path = restyled_signoff(tmp_path)
    data = render_docx(full_report(other=OtherMatters(long_paragraph(30), None)), path)
    assert '<w:keepNext w:val="0"/>' in part_xml(docx_fit.for_libreoffice(data))


def test_libreoffice_copy_leaves_other_files_alone() -> None:
    assert docx_fit.for_libreoffice(b"not a zip") == b"not a zip"
    short = render_docx(full_report())
    assert docx_fit.for_libreoffice(short) == short
