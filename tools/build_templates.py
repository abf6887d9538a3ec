#!/usr/bin/env python3
"""Build the shipped templates from the format module, deterministically.

    python tools/build_templates.py            # every template (Word here, Excel via build_xlsx_templates.py)
    python tools/build_templates.py --docx-only

The Word template is an ordinary ``.docx`` with docxtpl placeholders. Every official label (section
headings, sub-headings, table labels) is taken from the format value (:func:`reportkit.formats.get_format`),
one template per format; nothing is retyped here. The page follows GB/T 9704-2012 (A4, margins
37/35/28/26 mm, 3号 仿宋_GB2312 body at a fixed 28.95 pt line, 黑体/楷体_GB2312 headings, “— N —” page
numbers odd right / even left), every Chinese font is set through ``w:eastAsia`` in the styles (no theme fonts, zh-CN).

Rebuilding gives the same bytes: zip timestamps, core-property dates and part order are fixed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import io
import re
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from docx import Document  # noqa: E402
from docx.document import Document as DocumentObject  # noqa: E402
from docx.enum.style import WD_STYLE_TYPE  # noqa: E402
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT  # noqa: E402
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING  # noqa: E402
from docx.oxml import OxmlElement  # noqa: E402
from docx.oxml.ns import qn  # noqa: E402
from docx.shared import Pt, RGBColor, Twips  # noqa: E402
from docx.styles.style import ParagraphStyle  # noqa: E402
from docx.table import Table, _Cell  # noqa: E402
from lxml import etree  # noqa: E402

from reportkit.formats import NEWEST, all_formats, get_format  # noqa: E402
from reportkit.formats.layout import Group, Leaf, ValueType, depth, label_grid, span_grid  # noqa: E402
from reportkit.formats.layout import Table as LayoutTable  # noqa: E402
from reportkit.formats.spec import ReportFormat  # noqa: E402
from reportkit.ooxml.package import (  # noqa: E402
    CUSTOM_REL,
    CUSTOM_TYPE,
    TEMPLATE_LEVEL,
    Member,
    custom_properties_xml,
    zip_package,
)
from reportkit.render.gongwen import (  # noqa: E402
    APPLICATION_LABEL_WIDTHS,
    BODY_CHAR_SPACING,
    BODY_CHAR_TWIPS,
    FANGSONG,
    HEITI,
    KAITI,
    LATIN,
    PROACTIVE_WIDTHS,
    SONGTI,
    STYLE_SIGNOFF_DATE,
    STYLE_SIGNOFF_NAME,
    TEXT_WIDTH_TWIPS,
    XIAOBIAOSONG,
)
from reportkit.templates import FORMAT_PROPERTY, KIND_PROPERTY, VERSION_PROPERTY  # noqa: E402

DOCX_TEMPLATE_VERSION = "1"
DOCX_DIR = ROOT / "templates" / "docx"


def docx_template_name(layout: ReportFormat) -> str:
    """The file name of the shipped Word template of ``layout`` (``annual-report-2021.v1.docx``)."""
    return f"annual-report-{layout.first_year}.v{DOCX_TEMPLATE_VERSION}.docx"


#: The newest format's shipped Word template.
DOCX_TEMPLATE = DOCX_DIR / docx_template_name(get_format(NEWEST))

#: Fixed document dates (the date of the notice the format follows), so a rebuild is byte-identical.
FIXED_DATE = dt.datetime(2021, 9, 26, 0, 0, 0)

#: Font-table hints: Word substitutes these when the named font is missing (altName, panose, charset GB2312).
FONT_TABLE = (
    (FANGSONG, "仿宋", "02010609030101010101"),
    (KAITI, "楷体", "02010609030101010101"),
    (HEITI, "SimHei", "02010609060101010101"),
    (SONGTI, "SimSun", "02010600030101010101"),
    (XIAOBIAOSONG, "华文中宋", "02000000000000000000"),
)

# Style names (what an office sees in Word's style pane).
STYLE_TITLE = "公文标题"
STYLE_H1 = "一级标题"
STYLE_H2 = "二级标题"
STYLE_TABLE = "表格文字"
STYLE_TABLE_LEFT = "表格文字靠左"
STYLE_TABLE_LARGE = "表格文字小四"
STYLE_PAGE_NUMBER = "页码"
STYLE_DRAFT = "草稿标记"

BODY_LINE = 579  #: exact line pitch in twips (28.95 pt): 22 lines in the 225 mm 版心
TITLE_LINE = 700  #: 35 pt
PAGE_NUMBER_INDENT = 280  #: 一字 at 4号 (14 pt)
CELL_MARGIN = 57  #: 1 mm left and right inside table cells
#: 1 mm above and below the text of every table cell (Word's default is none): published reports leave air
#: between text and rules, and FandolFang, whose glyphs sit low in their line, would touch the lower border.
CELL_MARGIN_VERTICAL = 57

# Column widths in twips (PROACTIVE_WIDTHS, APPLICATION_LABEL_WIDTHS: render/gongwen.py); each table fills the
# 版心 exactly (8844 twips = 156 mm).
REVIEW_COLUMN_COUNT = 15


# ---------------------------------------------------------------------------------------------------
# XML helpers
# ---------------------------------------------------------------------------------------------------

#: Child order of ``w:rPr`` and ``w:pPr`` (ECMA-376 CT_RPr / CT_PPr), for inserting at the right place.
RPR_ORDER = [
    "w:rStyle",
    "w:rFonts",
    "w:b",
    "w:bCs",
    "w:i",
    "w:iCs",
    "w:caps",
    "w:smallCaps",
    "w:strike",
    "w:dstrike",
    "w:outline",
    "w:shadow",
    "w:emboss",
    "w:imprint",
    "w:noProof",
    "w:snapToGrid",
    "w:vanish",
    "w:webHidden",
    "w:color",
    "w:spacing",
    "w:w",
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
]
PPR_ORDER = [
    "w:pStyle",
    "w:keepNext",
    "w:keepLines",
    "w:pageBreakBefore",
    "w:framePr",
    "w:widowControl",
    "w:numPr",
    "w:suppressLineNumbers",
    "w:pBdr",
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
]


def _set_ordered(parent: Any, tag: str, attrs: dict[str, str], sequence: Sequence[str]) -> Any:
    """Replace ``parent``'s child ``tag`` by a new one with ``attrs``, at its schema position."""
    for old in parent.findall(qn(tag)):
        parent.remove(old)
    element = OxmlElement(tag, {qn(k): v for k, v in attrs.items()})
    index = list(sequence).index(tag)
    parent.insert_element_before(element, *sequence[index + 1 :])
    return element


def _set_fonts(rpr: Any, east_asia: str, latin: str = LATIN) -> None:
    """Explicit fonts in all four slots, no theme attributes, East Asian hint (full-width quotes)."""
    _set_ordered(
        rpr,
        "w:rFonts",
        {"w:ascii": latin, "w:hAnsi": latin, "w:eastAsia": east_asia, "w:cs": latin, "w:hint": "eastAsia"},
        RPR_ORDER,
    )


def _set_rpr(rpr: Any, tag: str, attrs: dict[str, str]) -> None:
    _set_ordered(rpr, tag, attrs, RPR_ORDER)


def _set_ppr(ppr: Any, tag: str, attrs: dict[str, str]) -> None:
    _set_ordered(ppr, tag, attrs, PPR_ORDER)


def _strip_theme_fonts(root: Any) -> None:
    for rfonts in root.iter(qn("w:rFonts")):
        for attr in list(rfonts.attrib):
            if attr.endswith("Theme"):
                del rfonts.attrib[attr]


# ---------------------------------------------------------------------------------------------------
# Styles, page, headers and footers
# ---------------------------------------------------------------------------------------------------


def _paragraph_style(
    doc: DocumentObject,
    name: str,
    *,
    font: str,
    size: float,
    base: str = "Normal",
    latin: str = LATIN,
    alignment: WD_ALIGN_PARAGRAPH | None = None,
    first_line: int | None = None,
    line: int | None = None,
    outline: int | None = None,
    keep_with_next: bool = False,
    spacing: int | None = None,
) -> ParagraphStyle:
    style: ParagraphStyle = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles[base]
    style.quick_style = True
    rpr = style.element.get_or_add_rPr()
    _set_fonts(rpr, font, latin)
    style.font.size = Pt(size)
    if spacing is not None:
        _set_rpr(rpr, "w:spacing", {"w:val": str(spacing)})
    pf = style.paragraph_format
    if alignment is not None:
        pf.alignment = alignment
    if first_line is not None:
        pf.first_line_indent = Twips(first_line)
    if line is not None:
        pf.line_spacing = Twips(line)
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    if keep_with_next:
        pf.keep_with_next = True
    if outline is not None:
        _set_ppr(style.element.get_or_add_pPr(), "w:outlineLvl", {"w:val": str(outline)})
    return style


def _setup_styles(doc: DocumentObject) -> None:
    styles_root = doc.styles.element
    _strip_theme_fonts(styles_root)
    defaults = styles_root.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr, FANGSONG)
    _set_rpr(rpr, "w:sz", {"w:val": "32"})
    _set_rpr(rpr, "w:szCs", {"w:val": "32"})
    _set_rpr(rpr, "w:lang", {"w:val": "en-US", "w:eastAsia": "zh-CN", "w:bidi": "ar-SA"})
    ppr_default = defaults.find(qn("w:pPrDefault"))
    if ppr_default is None:
        ppr_default = OxmlElement("w:pPrDefault")
        defaults.append(ppr_default)
    ppr = ppr_default.find(qn("w:pPr"))
    if ppr is None:
        ppr = OxmlElement("w:pPr")
        ppr_default.append(ppr)
    _set_ppr(ppr, "w:spacing", {"w:before": "0", "w:after": "0", "w:line": str(BODY_LINE), "w:lineRule": "exact"})

    normal = doc.styles["Normal"]
    nrpr = normal.element.get_or_add_rPr()
    _set_fonts(nrpr, FANGSONG)
    _set_rpr(nrpr, "w:spacing", {"w:val": str(BODY_CHAR_SPACING)})
    normal.font.size = Pt(16)
    npf = normal.paragraph_format
    npf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    npf.first_line_indent = Twips(2 * BODY_CHAR_TWIPS)
    npf.line_spacing = Twips(BODY_LINE)
    npf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    npf.space_before = Pt(0)
    npf.space_after = Pt(0)
    npf.widow_control = True

    _paragraph_style(
        doc,
        STYLE_TITLE,
        font=XIAOBIAOSONG,
        latin=XIAOBIAOSONG,
        size=22,
        alignment=WD_ALIGN_PARAGRAPH.CENTER,
        first_line=0,
        line=TITLE_LINE,
        keep_with_next=True,
        spacing=0,
    )
    _paragraph_style(doc, STYLE_H1, font=HEITI, size=16, outline=0, keep_with_next=True)
    _paragraph_style(doc, STYLE_H2, font=KAITI, size=16, outline=1, keep_with_next=True)
    name = _paragraph_style(doc, STYLE_SIGNOFF_NAME, font=FANGSONG, size=16, alignment=WD_ALIGN_PARAGRAPH.RIGHT)
    name.paragraph_format.first_line_indent = Twips(0)
    name.paragraph_format.keep_with_next = True
    name.paragraph_format.right_indent = Twips(2 * BODY_CHAR_TWIPS)
    date = _paragraph_style(doc, STYLE_SIGNOFF_DATE, font=FANGSONG, size=16, alignment=WD_ALIGN_PARAGRAPH.RIGHT)
    date.paragraph_format.first_line_indent = Twips(0)
    table = _paragraph_style(
        doc, STYLE_TABLE, font=FANGSONG, size=10.5, alignment=WD_ALIGN_PARAGRAPH.CENTER, first_line=0, spacing=0
    )
    table.paragraph_format.line_spacing = 1.0
    table.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _paragraph_style(
        doc, STYLE_TABLE_LEFT, font=FANGSONG, size=10.5, base=STYLE_TABLE, alignment=WD_ALIGN_PARAGRAPH.LEFT
    )
    _paragraph_style(doc, STYLE_TABLE_LARGE, font=FANGSONG, size=12, base=STYLE_TABLE)
    page = _paragraph_style(doc, STYLE_PAGE_NUMBER, font=SONGTI, latin=SONGTI, size=14, first_line=0, spacing=0)
    page.paragraph_format.line_spacing = 1.0
    page.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    draft = _paragraph_style(
        doc, STYLE_DRAFT, font=HEITI, size=14, alignment=WD_ALIGN_PARAGRAPH.CENTER, first_line=0, spacing=0
    )
    draft.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    draft.paragraph_format.line_spacing = 1.0
    draft.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _strip_theme_fonts(styles_root)


def _setup_page(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.page_width = Twips(11906)
    section.page_height = Twips(16838)
    section.top_margin = Twips(2098)
    section.bottom_margin = Twips(1984)
    section.left_margin = Twips(1587)
    section.right_margin = Twips(1474)
    section.header_distance = Twips(851)
    section.footer_distance = Twips(1446)
    section.gutter = Twips(0)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is not None:
        grid.attrib.pop(qn("w:type"), None)
        grid.set(qn("w:linePitch"), str(BODY_LINE))

    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:val"), "zh-CN")
        lang.set(qn("w:eastAsia"), "zh-CN")
    rsids = settings.find(qn("w:rsids"))
    if rsids is not None:
        settings.remove(rsids)
    doc.settings.odd_and_even_pages_header_footer = True

    for footer, alignment, side in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left"),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = doc.styles[STYLE_PAGE_NUMBER]
        paragraph.alignment = alignment
        if side == "right":
            paragraph.paragraph_format.right_indent = Twips(PAGE_NUMBER_INDENT)
        else:
            paragraph.paragraph_format.left_indent = Twips(PAGE_NUMBER_INDENT)
        paragraph.add_run("\u2014 ")
        _page_field(paragraph)
        paragraph.add_run(" \u2014")

    for header in (section.header, section.even_page_header):
        header.is_linked_to_previous = False
        paragraph = header.paragraphs[0]
        paragraph.style = doc.styles[STYLE_DRAFT]
        paragraph.add_run("{{ draft_notice }}")


def _page_field(paragraph: Any) -> None:
    """A PAGE field: begin, instruction, separate, a shown value, end."""
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        if kind is not None:
            run._r.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): kind}))
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText", {qn("xml:space"): "preserve"})
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text


# ---------------------------------------------------------------------------------------------------
# Body
# ---------------------------------------------------------------------------------------------------


def _loop(doc: DocumentObject, source: str, style: str | None = None) -> None:
    """A paragraph loop: one Word paragraph per paragraph of a text."""
    doc.add_paragraph(f"{{%p for p in {source} %}}")
    doc.add_paragraph("{{ p }}", style)
    doc.add_paragraph("{%p endfor %}")


def _new_table(
    doc: DocumentObject, rows: int, widths: Sequence[int], vertical_margin: int = CELL_MARGIN_VERTICAL
) -> Table:
    assert sum(widths) == TEXT_WIDTH_TWIPS, (widths, sum(widths))
    table = doc.add_table(rows=rows, cols=len(widths))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblW")):
        tbl_pr.remove(old)
    tbl_w = OxmlElement("w:tblW", {qn("w:w"): str(TEXT_WIDTH_TWIPS), qn("w:type"): "dxa"})
    tbl_pr.insert_element_before(
        tbl_w,
        "w:jc",
        "w:tblCellSpacing",
        "w:tblInd",
        "w:tblBorders",
        "w:shd",
        "w:tblLayout",
        "w:tblCellMar",
        "w:tblLook",
    )
    margins = OxmlElement("w:tblCellMar")
    for side, margin in (
        ("top", vertical_margin),
        ("left", CELL_MARGIN),
        ("bottom", vertical_margin),
        ("right", CELL_MARGIN),
    ):  # CT_TblCellMar order
        margins.append(OxmlElement(f"w:{side}", {qn("w:w"): str(margin), qn("w:type"): "dxa"}))
    tbl_pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Twips(width)
    for row in table.rows:
        for cell in row.cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    return table


def _finish_table(table: Table, widths: Sequence[int], header_rows: int, keep_rows: int) -> None:
    """Cell widths from the grid (tcW = sum of the spanned gridCols), header repeat, rows never split.

    The first ``keep_rows`` rows are kept on the page of the row after them (``keepNext`` on their
    paragraphs): a short table stays whole, a long one never leaves its header alone at a page foot.
    """
    rows = table._tbl.tr_lst
    for tr in rows[: min(keep_rows, len(rows) - 1)]:
        for p in tr.iter(qn("w:p")):
            _set_ppr(p.get_or_add_pPr(), "w:keepNext", {})
    for index, tr in enumerate(rows):
        column = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            tc.width = Twips(sum(widths[column : column + span]))
            column += span
        tr_pr = tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if index < header_rows:
            tr_pr.append(OxmlElement("w:tblHeader"))


def _write(cell: _Cell, text: str, style: str) -> None:
    paragraphs = cell.paragraphs
    for extra in paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    paragraph = paragraphs[0]
    paragraph.style = style
    paragraph.add_run(text)


def _merged(table: Table, row: int, column: int, rows: int, columns: int) -> _Cell:
    cell = table.cell(row, column)
    if rows > 1 or columns > 1:
        cell = cell.merge(table.cell(row + rows - 1, column + columns - 1))
    return cell


def _proactive_table(doc: DocumentObject, layout: ReportFormat) -> None:
    blocks = layout.proactive_blocks
    width = len(PROACTIVE_WIDTHS)
    rows = sum(2 + len(block.rows) for block in blocks)
    table = _new_table(doc, rows, PROACTIVE_WIDTHS)
    row = 0
    for block in blocks:
        _write(_merged(table, row, 0, 1, width), block.title, STYLE_TABLE_LARGE)
        row += 1
        # The clean grid of format-2019.md §1.4: equal shares of the value columns, the last taking the rest.
        spans = block.value_spans(width - 1)
        starts = [1 + sum(spans[:i]) for i in range(len(spans))]
        _write(table.cell(row, 0), block.content_header, STYLE_TABLE_LARGE)
        for column, start, span in zip(block.columns, starts, spans, strict=True):
            _write(_merged(table, row, start, 1, span), column.label, STYLE_TABLE_LARGE)
        row += 1
        for leaf in block.rows:
            _write(table.cell(row, 0), leaf.label, STYLE_TABLE_LARGE)
            for column, start, span in zip(block.columns, starts, spans, strict=True):
                placeholder = f"{{{{ proactive.{block.cell_key(leaf, column)} }}}}"
                if block.value_type(leaf, column) is ValueType.AMOUNT:  # the header has no unit: print it
                    placeholder += f"{{{{ proactive.{block.unit_key(leaf, column)} }}}}"
                _write(_merged(table, row, start, 1, span), placeholder, STYLE_TABLE_LARGE)
            row += 1
    _finish_table(table, PROACTIVE_WIDTHS, 0, keep_rows=rows)


def _tree_table(doc: DocumentObject, layout: LayoutTable, label_widths: Sequence[int], prefix: str) -> None:
    """A row tree against a column tree (tables 三 and 四), merged as :func:`span_grid` places the labels."""
    header_rows = depth(layout.columns)
    label_columns = depth(layout.rows) if layout.rows else 0
    assert len(label_widths) == label_columns
    data_columns = len(layout.column_leaves)
    data_total = TEXT_WIDTH_TWIPS - sum(label_widths)
    each, rest = divmod(data_total, data_columns)
    widths = [*label_widths, *([each] * (data_columns - rest)), *([each + 1] * rest)]
    data_rows = layout.row_leaves if layout.rows else (None,)
    # Table 三 (25 rows, 23 in 2019) takes half the air above and below its texts so that it fits one page.
    margin = CELL_MARGIN_VERTICAL // 2 if label_columns else CELL_MARGIN_VERTICAL
    table = _new_table(doc, header_rows + len(data_rows), widths, margin)
    for placed in label_grid(layout):
        cell = _merged(table, placed.row, placed.column, placed.rows, placed.columns)
        row_label = placed.column < label_columns and placed.node is not None
        _write(cell, placed.label, STYLE_TABLE_LEFT if row_label and isinstance(placed.node, Leaf) else STYLE_TABLE)
        if row_label and isinstance(placed.node, Group) and placed.column == 0 and placed.rows > 1:
            _vertical_label(cell)
    for r, row_leaf in enumerate(data_rows):
        for c, column_leaf in enumerate(layout.column_leaves):
            key = f"{row_leaf.key}.{column_leaf.key}" if row_leaf is not None else column_leaf.key
            _write(table.cell(header_rows + r, label_columns + c), f"{{{{ {prefix}.{key} }}}}", STYLE_TABLE)
    # The whole table keeps together (keepNext on every row but the last): it fits one A4 page (the label
    # columns are wide enough that most labels take one line), so it moves whole to the next page instead of
    # continuing there with the vertically merged 三、本年度办理结果 cell cut and unlabelled (issue 12).
    keep_rows = len(table.rows)
    _finish_table(table, widths, header_rows, keep_rows=keep_rows)
    if layout.rows:  # keep each inner group (（三）不予公开 …) on one page: cantSplit alone does not
        rows = table._tbl.tr_lst
        for placed in span_grid(layout.rows):
            if isinstance(placed.node, Group) and placed.depth > 0:
                first = header_rows + placed.index
                for tr in rows[first : first + placed.index_span - 1]:
                    for p in tr.iter(qn("w:p")):
                        _set_ppr(p.get_or_add_pPr(), "w:keepNext", {})


def _vertical_label(cell: _Cell) -> None:
    """The outer group label of table 三 (三、本年度办理结果) in a column one character wide: set as vertical
    text (``tbRl``: characters upright, one column), as published reports print it, so no line of it starts
    with 、 (horizontal text wrapped one character per line put 、 alone on the second line), and from the
    top of its merged cell, so when the table continues on a new page the label stands whole on the first
    page instead of being centred across the break and cut."""
    tc_pr = cell._tc.get_or_add_tcPr()
    v_align = tc_pr.find(qn("w:vAlign"))
    direction = OxmlElement("w:textDirection", {qn("w:val"): "tbRl"})
    if v_align is not None:
        v_align.addprevious(direction)
    else:
        tc_pr.append(direction)
    for paragraph in cell.paragraphs:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT


def _body(doc: DocumentObject, layout: ReportFormat) -> None:
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)

    doc.add_paragraph("{%p for line in title_lines %}")
    doc.add_paragraph("{{ line }}", STYLE_TITLE)
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("")
    _loop(doc, "preamble")

    sections = {section.key: section for section in layout.sections}
    doc.add_paragraph(sections["overview"].heading, STYLE_H1)
    _loop(doc, "overview.intro")
    for sub in layout.overview_subsections:
        doc.add_paragraph(sub.heading, STYLE_H2)
        _loop(doc, f"overview.{sub.key}")
        if sub.key == "oversight":
            _loop(doc, f"overview.{layout.accountability.key}")

    doc.add_paragraph(sections["proactive"].heading, STYLE_H1)
    _proactive_table(doc, layout)
    doc.add_paragraph(sections["applications"].heading, STYLE_H1)
    _tree_table(doc, layout.applications_table, APPLICATION_LABEL_WIDTHS, "applications")
    doc.add_paragraph(sections["review_litigation"].heading, STYLE_H1)
    _tree_table(doc, layout.review_litigation_table, (), "review_litigation")
    doc.add_paragraph(sections["problems"].heading, STYLE_H1)
    _loop(doc, "problems")
    doc.add_paragraph(sections["other"].heading, STYLE_H1)
    _loop(doc, "other")
    doc.add_paragraph("{%p if fee_statement %}")
    doc.add_paragraph("{{ fee_statement }}")
    doc.add_paragraph("{%p endif %}")

    blank = doc.add_paragraph("")
    blank.paragraph_format.keep_with_next = True
    name = doc.add_paragraph("{{ agency }}", STYLE_SIGNOFF_NAME)
    name.paragraph_format.right_indent = Twips(2 * BODY_CHAR_TWIPS)
    date = doc.add_paragraph("{{ signed_on }}", STYLE_SIGNOFF_DATE)
    date.paragraph_format.right_indent = Twips(0)


def _core_properties(doc: DocumentObject, layout: ReportFormat) -> None:
    core = doc.core_properties
    core.title = "{{ title }}"
    core.subject = layout.document_name
    core.author = ""
    core.comments = f"reportkit Word 模板 v{DOCX_TEMPLATE_VERSION}（{layout.id}，{layout.notice}）"
    core.identifier = layout.id
    core.version = DOCX_TEMPLATE_VERSION
    core.language = "zh-CN"
    core.keywords = ""
    core.category = ""
    core.last_modified_by = "reportkit"
    core.revision = 1
    core.created = FIXED_DATE
    core.modified = FIXED_DATE


# ---------------------------------------------------------------------------------------------------
# Package post-processing: custom properties, font table, fixed zip
# ---------------------------------------------------------------------------------------------------

DROPPED_PARTS = ("docProps/thumbnail.jpeg", "word/stylesWithEffects.xml")


def _font_table(data: bytes) -> bytes:
    root = etree.fromstring(data)
    present = {font.get(qn("w:name")) for font in root.findall(qn("w:font"))}
    for name, alt, panose in FONT_TABLE:
        if name in present:
            continue
        font = etree.SubElement(root, qn("w:font"), {qn("w:name"): name})
        etree.SubElement(font, qn("w:altName"), {qn("w:val"): alt})
        etree.SubElement(font, qn("w:panose1"), {qn("w:val"): panose})
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): "86"})
        etree.SubElement(font, qn("w:family"), {qn("w:val"): "modern"})
        etree.SubElement(font, qn("w:pitch"), {qn("w:val"): "fixed"})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def finish_package(data: bytes, properties: dict[str, str]) -> bytes:
    """Drop leftovers of python-docx's default template, add custom properties, zip deterministically (the
    one zip writer of reportkit, :func:`reportkit.ooxml.package.zip_package`)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = [(info.filename, source.read(info)) for info in source.infolist()]
    out: list[tuple[str, bytes]] = []
    for name, content in members:
        if name in DROPPED_PARTS:
            continue
        if name == "[Content_Types].xml":
            text = content.decode()
            for dropped in DROPPED_PARTS:
                text = re.sub(rf'<Override PartName="/{re.escape(dropped)}"[^>]*/>', "", text)
            text = text.replace(
                "</Types>", f'<Override PartName="/docProps/custom.xml" ContentType="{CUSTOM_TYPE}"/></Types>'
            )
            content = text.encode()
        elif name.endswith(".rels"):
            text = content.decode()
            for dropped in DROPPED_PARTS:
                target = dropped.split("/", 1)[1] if name.startswith("word/") else dropped
                text = re.sub(rf'<Relationship [^>]*Target="{re.escape(target)}"[^>]*/>', "", text)
            if name == "_rels/.rels":
                text = text.replace(
                    "</Relationships>",
                    f'<Relationship Id="rIdReportkitCustom" Type="{CUSTOM_REL}" Target="docProps/custom.xml"/>'
                    "</Relationships>",
                )
            content = text.encode()
        elif name == "word/fontTable.xml":
            content = _font_table(content)
        out.append((name, content))
        if name == "docProps/app.xml":
            out.append(("docProps/custom.xml", custom_properties_xml(properties)))
    if not any(name == "docProps/custom.xml" for name, _ in out):
        out.append(("docProps/custom.xml", custom_properties_xml(properties)))
    return zip_package(Member.deflate(name, content, TEMPLATE_LEVEL) for name, content in out)


def build_docx_template_bytes(layout: ReportFormat | None = None) -> bytes:
    """The Word template of ``layout`` (the newest format when omitted) as bytes, identical on every call."""
    layout = layout if layout is not None else get_format(NEWEST)
    doc = Document()
    _setup_styles(doc)
    _setup_page(doc)
    _body(doc, layout)
    _core_properties(doc, layout)
    buffer = io.BytesIO()
    doc.save(buffer)
    properties = {
        FORMAT_PROPERTY: layout.id,
        VERSION_PROPERTY: DOCX_TEMPLATE_VERSION,
        KIND_PROPERTY: "docx",
    }
    return finish_package(buffer.getvalue(), properties)


def build_docx_template(path: str | Path = DOCX_TEMPLATE, layout: ReportFormat | None = None) -> Path:
    """Write the Word template of ``layout`` (the newest format) to ``path`` (the shipped location)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(build_docx_template_bytes(layout))
    return target


def build_docx_templates(folder: str | Path = DOCX_DIR) -> list[Path]:
    """Write the Word template of every format into ``folder``."""
    return [build_docx_template(Path(folder) / docx_template_name(layout), layout) for layout in all_formats()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docx-only", action="store_true", help="build only the Word templates")
    args = parser.parse_args(argv)
    for path in build_docx_templates():
        print(f"built {path.relative_to(ROOT)}")
    if not args.docx_only:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        try:
            xlsx = importlib.import_module("build_xlsx_templates")
        except ModuleNotFoundError as exc:
            if exc.name != "build_xlsx_templates":
                raise
            print("tools/build_xlsx_templates.py not found: Excel templates not built")
        else:
            xlsx.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
