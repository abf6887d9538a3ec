"""Drawing the Excel layouts with openpyxl: the template builders' half of :mod:`reportkit.xlsx_layout`.

:func:`draw_workbook` turns a :class:`~reportkit.xlsx_layout.WorkbookLayout` (pure data, computed from a
format) into the workbook that ``tools/build_xlsx_templates.py`` saves as a shipped template: fonts,
borders, shading, merges, row heights, live total formulas, validation, highlighting, protection and
print settings. Nothing at render or read time builds a workbook to learn where a cell is; the county
summary workbook (:mod:`reportkit.batch`) reuses the drawing helpers for its own sheets.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable
from typing import Final

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from reportkit.field_labels import label_of
from reportkit.formats.spec import ReportFormat
from reportkit.model import AgencyKind
from reportkit.ooxml.package import TEMPLATE_LEVEL, custom_properties_xml, read_custom_properties, rezip
from reportkit.xlsx_layout import (
    AMOUNT_UNITS,
    FORM_KIND,
    HEADER_TITLE_TOKEN,
    PAGE_FOOTER,
    PROP_FORMAT,
    PROP_KIND,
    PROP_VERSION,
    Align,
    FieldCell,
    FieldKind,
    LabelCell,
    SheetLayout,
    Style,
    ValueCell,
    WorkbookLayout,
    column_letter,
    workbook_layout,
)

__all__ = ["draw_workbook", "normalize_zip", "workbook_bytes"]

#: Fixed timestamps make the built templates byte-for-byte reproducible.
FIXED_TIME: Final = dt.datetime(2021, 9, 26, 0, 0, 0)

BODY_FONT: Final = "仿宋"
TITLE_FONT: Final = "宋体"

_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
F_TITLE = Font(name=TITLE_FONT, size=14, bold=True)
F_HEADER = Font(name=BODY_FONT, size=11, bold=True)
F_BODY = Font(name=BODY_FONT, size=11)
F_NOTE = Font(name=BODY_FONT, size=10, color="595959")
F_DRAFT = Font(name=TITLE_FONT, size=12, bold=True, color="C00000")
A_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
A_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
A_TEXT = Alignment(horizontal="left", vertical="top", wrap_text=True)
#: Numbers shrink to fit rather than show ``####`` or ``1E+09`` (a count of ten digits in a 9-wide column).
A_NUMBER = Alignment(horizontal="center", vertical="center", shrink_to_fit=True)
FILL_INPUT = PatternFill(fill_type="solid", start_color="FFF2CC", end_color="FFF2CC")
FILL_TOTAL = PatternFill(fill_type="solid", start_color="E7E6E6", end_color="E7E6E6")
FILL_BAD = PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE")
UNLOCKED = Protection(locked=False)

FONTS: Final = {
    Style.TITLE: F_TITLE,
    Style.HEADER: F_HEADER,
    Style.BODY: F_BODY,
    Style.NOTE: F_NOTE,
    Style.DRAFT: F_DRAFT,
}
ALIGNS: Final = {Align.CENTER: A_CENTER, Align.LEFT: A_LEFT, Align.TEXT: A_TEXT, Align.NUMBER: A_NUMBER}


def _line_count(text: str, width: float) -> int:
    """How many lines ``text`` takes in a column ``width`` wide (CJK characters ≈ 2 width units)."""
    units = sum(2.0 if ord(ch) > 0x2E80 else 1.1 for ch in text)
    return max(1, math.ceil(units / max(width - 1.0, 1.0)))


class _Sheet:
    """A worksheet being drawn, with the bookkeeping of named cells and row heights."""

    def __init__(self, ws: Worksheet, widths: dict[int, float], *, form: bool) -> None:
        self.ws = ws
        self.form = form
        self.widths = widths
        self.fields: list[FieldCell] = []
        self.heights: dict[int, float] = {}
        for col, width in widths.items():
            ws.column_dimensions[get_column_letter(col)].width = width

    def width(self, col: int, span: int = 1) -> float:
        return sum(self.widths.get(c, 9.0) for c in range(col, col + span))

    def need_height(self, row: int, points: float) -> None:
        self.heights[row] = max(self.heights.get(row, 0.0), points)

    def label(
        self,
        row: int,
        col: int,
        text: str,
        *,
        rows: int = 1,
        cols: int = 1,
        font: Font = F_BODY,
        align: Alignment = A_CENTER,
        border: bool = True,
    ) -> None:
        """A label cell, merged over ``rows`` × ``cols``, bordered, with its row height estimated."""
        cell = self.ws.cell(row=row, column=col, value=text)
        cell.font = font
        cell.alignment = align
        if border:
            for r in range(row, row + rows):
                for c in range(col, col + cols):
                    self.ws.cell(row=r, column=c).border = BORDER
        if rows > 1 or cols > 1:
            self.ws.merge_cells(start_row=row, start_column=col, end_row=row + rows - 1, end_column=col + cols - 1)
        lines = _line_count(text, self.width(col, cols))
        per_row = (lines * 14.5 + 6) / rows
        for r in range(row, row + rows):
            self.need_height(r, per_row)

    def value(self, item: ValueCell) -> None:
        """A named value cell. On the form: an input (shaded, unlocked) or a live total formula."""
        field = item.cell
        row, col, cols = field.row, field.col, field.span
        cell = self.ws.cell(row=row, column=col)
        if item.slot is not None:  # the title and draft cells of the output workbook
            cell.font = FONTS[item.slot]
            cell.alignment = ALIGNS[item.align]
            if cols > 1:
                self.ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + cols - 1)
            self.fields.append(field)
            return
        cell.font = F_BODY
        cell.alignment = ALIGNS[item.align]
        cell.number_format = item.numfmt
        for c in range(col, col + cols):
            self.ws.cell(row=row, column=c).border = BORDER
        if cols > 1:
            self.ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + cols - 1)
        if self.form:
            if field.total:
                cell.fill = FILL_TOTAL
                if item.formula is not None:
                    cell.value = item.formula
            else:
                cell.fill = FILL_INPUT
                cell.protection = UNLOCKED
                if field.kind is FieldKind.UNIT:  # what offices write (format-2019.md §1.2); a list to change it
                    cell.value = AMOUNT_UNITS[0]
        self.fields.append(field)

    def finish(self) -> None:
        for row, height in sorted(self.heights.items()):
            self.ws.row_dimensions[row].height = round(max(height, 20.0), 1)


def _heading(s: _Sheet, text: str, cols: int) -> None:
    s.label(1, 1, text, cols=cols, font=F_TITLE, border=False)
    s.need_height(1, 30)


def _print_setup(
    ws: Worksheet, *, landscape: bool, title_rows: tuple[int, int] | None, area: str, header: str | None = None
) -> None:
    """A4, one page wide; page numbers in the footer; ``header`` (left) and the sheet name (right) on top."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    # Room for the header and footer lines (LibreOffice drew the header into the table at 0.6).
    ws.page_margins.top = ws.page_margins.bottom = 0.8
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows is not None:
        ws.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
    ws.print_area = area
    ws.sheet_view.showGridLines = False
    if header is not None:
        ws.oddHeader.left.text = header
        ws.oddHeader.left.font = f"{BODY_FONT},常规"
        ws.oddHeader.left.size = 9
        ws.oddHeader.right.text = "&A"
        ws.oddHeader.right.font = f"{BODY_FONT},常规"
        ws.oddHeader.right.size = 9
    ws.oddFooter.center.text = PAGE_FOOTER
    ws.oddFooter.center.font = f"{BODY_FONT},常规"
    ws.oddFooter.center.size = 9


def draw_sheet(wb: Workbook, sheet: SheetLayout, *, form: bool) -> _Sheet:
    """Draw a sheet's cells (labels and value cells, in layout order) on a new worksheet of ``wb``."""
    s = _Sheet(wb.create_sheet(sheet.name), dict(sheet.widths), form=form)
    for item in sheet.items:
        if isinstance(item, LabelCell):
            s.label(
                item.row,
                item.col,
                item.text,
                rows=item.rows,
                cols=item.cols,
                font=FONTS[item.style],
                align=ALIGNS[item.align],
                border=item.border,
            )
        else:
            s.value(item)
    for row, height in sheet.heights.items():
        s.need_height(row, height)
    return s


def new_workbook(kind: str, version: str, layout: ReportFormat) -> Workbook:
    """An empty workbook carrying reportkit's identity (kind, template version, format id)."""
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "reportkit"
    wb.properties.lastModifiedBy = "reportkit"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.title = layout.document_name
    wb.custom_doc_props.append(StringProperty(name=PROP_FORMAT, value=layout.id))
    wb.custom_doc_props.append(StringProperty(name=PROP_VERSION, value=version))
    wb.custom_doc_props.append(StringProperty(name=PROP_KIND, value=kind))
    return wb


def _name(wb: Workbook, field: FieldCell) -> None:
    row = int(re.sub(r"[A-Z]+", "", field.coord))
    col = re.sub(r"\d+", "", field.coord)
    ref = f"{quote_sheetname(field.sheet)}!${col}${row}"
    wb.defined_names[field.name] = DefinedName(field.name, attr_text=ref)


# ---------------------------------------------------------------------------------------------------
# The form's extras: validation, highlighting, the balance check row, protection
# ---------------------------------------------------------------------------------------------------


def _count_validation(ws: Worksheet, cells: Iterable[str], kind: FieldKind) -> None:
    cells = list(cells)
    if not cells:
        return
    if kind is FieldKind.COUNT:
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        dv.error = "请填写不小于 0 的整数（件数）。"
    elif kind is FieldKind.SIGNED_COUNT:
        dv = DataValidation(
            type="whole", operator="between", formula1="-999999999", formula2="999999999", allow_blank=True
        )
        dv.error = "请填写整数（减少时填负数，如 -3）。"
    else:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        unit = {FieldKind.WAN_YUAN: "单位：万元", FieldKind.YUAN: "单位：元"}.get(kind, "单位在右侧选择")
        dv.error = f"请填写不小于 0 的金额（{unit}），可以有小数。"
    dv.errorTitle = "数值有误"
    dv.showErrorMessage = True
    ws.add_data_validation(dv)
    for coord in cells:
        dv.add(coord)


def _validate_numbers(s: _Sheet) -> None:
    for kind in (FieldKind.COUNT, FieldKind.SIGNED_COUNT, FieldKind.WAN_YUAN, FieldKind.YUAN, FieldKind.AMOUNT):
        _count_validation(s.ws, (f.coord for f in s.fields if f.kind is kind and not f.total), kind)
    units = [f.coord for f in s.fields if f.kind is FieldKind.UNIT]
    if units:
        dv = DataValidation(type="list", formula1='"' + ",".join(AMOUNT_UNITS) + '"', allow_blank=False)
        dv.error = "请从列表中选择金额单位（" + "或".join(AMOUNT_UNITS) + "）。"
        dv.errorTitle = "金额单位"
        dv.showErrorMessage = True
        s.ws.add_data_validation(dv)
        for coord in units:
            dv.add(coord)


def _protect(ws: Worksheet) -> None:
    """Sheet protection without a password: it guides, it does not secure.

    In the file format each flag says what protection *forbids* (``insertRows="1"``: no inserting rows), so
    False allows it. As the guide says: inserting rows and formatting rows and columns are allowed;
    deleting rows or columns, inserting columns and changing locked cells are not."""
    ws.protection.sheet = True
    ws.protection.insertRows = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False
    ws.protection.insertColumns = True
    ws.protection.deleteRows = True
    ws.protection.deleteColumns = True


def _info_validation(s: _Sheet) -> None:
    kind_cell = next(f for f in s.fields if f.kind is FieldKind.KIND)
    dv = DataValidation(type="list", formula1='"' + ",".join(k.label for k in AgencyKind) + '"', allow_blank=False)
    dv.error = "请从列表中选择机关类型。"
    dv.errorTitle = label_of("agency.kind")
    dv.showErrorMessage = True
    s.ws.add_data_validation(dv)
    dv.add(kind_cell.coord)
    year_cell = next(f for f in s.fields if f.kind is FieldKind.YEAR)
    dv = DataValidation(type="whole", operator="between", formula1="2000", formula2="2100", allow_blank=True)
    dv.error = "请填写四位数年份，如 2021。"
    dv.showErrorMessage = True
    s.ws.add_data_validation(dv)
    dv.add(year_cell.coord)


def _balance_checks(s: _Sheet, sheet: SheetLayout, layout: ReportFormat) -> None:
    """Table 三 of the form: the columns that break the balance turn red, and a row under the table says
    by how much (live formulas)."""
    table = layout.applications_table
    by_field = {f.field: f for f in s.fields}
    first_column = table.column_leaves[0].key
    inflow = [by_field[f"applications.{k}.{first_column}"] for k in layout.balance_inflow]
    outflow = [by_field[f"applications.{k}.{first_column}"] for k in layout.balance_outflow]
    top_left = by_field[f"applications.{table.row_leaves[0].key}.{first_column}"]
    last = max(f.row for f in s.fields)
    row_depth = top_left.col - 1
    ncols = sheet.ncols
    left = "+".join(f"{column_letter(f.col)}${f.row}" for f in inflow)
    right = "+".join(f"{column_letter(f.col)}${f.row}" for f in outflow)
    last_col = column_letter(ncols)
    s.ws.conditional_formatting.add(
        f"{top_left.coord}:{last_col}{last}",
        FormulaRule(formula=[f"{left}<>{right}"], fill=FILL_BAD, font=Font(color="9C0006")),
    )
    check_row = last + 1
    for j in range(len(table.column_leaves)):
        col = column_letter(row_depth + 1 + j)
        lhs = "+".join(f"{col}{f.row}" for f in inflow)
        rhs = "+".join(f"{col}{f.row}" for f in outflow)
        cell = s.ws.cell(
            row=check_row, column=row_depth + 1 + j, value=f'=IF(({lhs})=({rhs}),"平衡","差"&(({lhs})-({rhs})))'
        )
        cell.font = F_NOTE
        cell.alignment = A_NUMBER
        cell.border = BORDER
    s.ws.conditional_formatting.add(
        f"{column_letter(row_depth + 1)}{check_row}:{last_col}{check_row}",
        FormulaRule(formula=[f'{column_letter(row_depth + 1)}{check_row}<>"平衡"'], fill=FILL_BAD),
    )


def _case_total_checks(s: _Sheet, layout: ReportFormat) -> None:
    for group in layout.case_groups:
        group_cells = [f for f in s.fields if f.field.startswith(f"review_litigation.{group.key}.")]
        total = next(f for f in group_cells if f.total)
        parts = [f.coord for f in group_cells if not f.total]
        s.ws.conditional_formatting.add(
            total.coord,
            FormulaRule(formula=[f"{total.coord}<>SUM({parts[0]}:{parts[-1]})"], fill=FILL_BAD),
        )


def _draw_form_sheet(wb: Workbook, sheet: SheetLayout, layout: ReportFormat) -> list[FieldCell]:
    s = draw_sheet(wb, sheet, form=True)
    if sheet.key == "info":
        _info_validation(s)
    elif sheet.key == "applications":
        _balance_checks(s, sheet, layout)
    elif sheet.key == "review":
        _case_total_checks(s, layout)
    if sheet.freeze is not None:
        s.ws.freeze_panes = sheet.freeze
    if sheet.key in ("texts", "proactive", "applications", "review"):
        _validate_numbers(s)
    _protect(s.ws)
    _print_setup(s.ws, landscape=sheet.landscape, title_rows=sheet.title_rows, area=s.ws.dimensions)
    s.ws.sheet_view.showGridLines = True
    s.finish()
    return s.fields


def _draw_tables_sheet(wb: Workbook, sheet: SheetLayout) -> list[FieldCell]:
    s = draw_sheet(wb, sheet, form=False)
    assert sheet.area is not None
    _print_setup(
        s.ws, landscape=sheet.landscape, title_rows=sheet.title_rows, area=sheet.area, header=HEADER_TITLE_TOKEN
    )
    if sheet.freeze is not None:
        s.ws.freeze_panes = sheet.freeze
    s.finish()
    return s.fields


def draw_workbook(book: WorkbookLayout) -> Workbook:
    """The workbook of a layout, every value cell named ``rk.<model path>``."""
    layout = book.format
    wb = new_workbook(book.kind, book.version, layout)
    fields: list[FieldCell] = []
    for sheet in book.sheets:
        if book.kind == FORM_KIND:
            fields += _draw_form_sheet(wb, sheet, layout)
        else:
            fields += _draw_tables_sheet(wb, sheet)
    for cell in fields:
        _name(wb, cell)
    wb.active = 0 if book.kind == FORM_KIND else 1
    return wb


def build(layout: ReportFormat, kind: str) -> bytes:
    """The bytes of the template of ``kind`` for ``layout`` (what the shipped file holds)."""
    return workbook_bytes(draw_workbook(workbook_layout(layout, kind)))


# ---------------------------------------------------------------------------------------------------
# Deterministic saving
# ---------------------------------------------------------------------------------------------------

_CORE: Final = "docProps/core.xml"
_CUSTOM: Final = "docProps/custom.xml"
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def normalize_zip(data: bytes) -> bytes:
    """The same package with fixed core dates and reportkit's own ``docProps/custom.xml`` (openpyxl's, with the
    same properties, differs in form from the Word template's), zipped deterministically by
    :func:`reportkit.ooxml.package.rezip`, so a rebuild is identical."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    replace: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = set(src.namelist())
        if _CORE in names:
            replace[_CORE] = _CORE_DATES.sub(lambda m: m.group(1) + stamp + m.group(3), src.read(_CORE))
        if _CUSTOM in names:
            replace[_CUSTOM] = custom_properties_xml(read_custom_properties(src))
    return rezip(data, level=TEMPLATE_LEVEL, replace=replace)


def workbook_bytes(wb: Workbook) -> bytes:
    """Save ``wb`` to bytes, deterministically."""
    buffer = io.BytesIO()
    wb.save(buffer)
    return normalize_zip(buffer.getvalue())
