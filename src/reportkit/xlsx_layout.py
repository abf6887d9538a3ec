"""The Excel layouts of reportkit: the output workbook (tables 二/三/四) and the input form.

Both workbooks are drawn here from the format module: every official label, merge and data cell
comes from :mod:`reportkit.formats.gov2021` (through :func:`~reportkit.formats.layout.span_grid` and
:func:`~reportkit.formats.layout.leaves`); no official label is spelled in this module.

Every value cell gets a workbook-level *defined name* ``rk.<model path>`` (``rk.applications.new.natural_person``),
so the renderer and the form reader find cells by name and a form that Excel edited (rows inserted above
a table) still reads. The names, the sheets and the kind of each value are listed by :func:`field_cells`.

The builders are used by ``tools/build_xlsx_templates.py`` to produce the shipped templates, and by
:mod:`reportkit.xlsx_form` to know where a finding's field sits on the blank form.
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence, Set
from functools import lru_cache
from typing import Final

from attrs import evolve, frozen
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import column_index_from_string, get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from reportkit.formats import gov2021 as fmt
from reportkit.formats.layout import CellKind, Leaf, Node, ValueType, depth, label_path, leaves, span_grid
from reportkit.model import OUTCOME_ROW_KEYS, AgencyKind
from reportkit.templates import FORMAT_PROPERTY, KIND_PROPERTY, VERSION_PROPERTY

__all__ = [
    "EXCEL_CELL_CHARS",
    "FORM_KIND",
    "FORM_VERSION",
    "NAME_PREFIX",
    "PROP_FORMAT",
    "PROP_KIND",
    "PROP_VERSION",
    "TABLES_KIND",
    "TABLES_VERSION",
    "FieldCell",
    "FieldKind",
    "Sheets",
    "build_form",
    "build_tables",
    "column_texts_at",
    "field_cells",
    "header_row",
    "label_text",
    "row_texts_at",
    "workbook_bytes",
]

#: Custom document properties every reportkit workbook carries (read by the template registry too).
PROP_FORMAT: Final = FORMAT_PROPERTY
PROP_VERSION: Final = VERSION_PROPERTY
PROP_KIND: Final = KIND_PROPERTY

TABLES_KIND: Final = "xlsx-output"
FORM_KIND: Final = "xlsx-form"
TABLES_VERSION: Final = "1"
FORM_VERSION: Final = "1"

#: Prefix of the defined names of value cells: ``rk.applications.new.natural_person``.
NAME_PREFIX: Final = "rk."
#: The most characters (UTF-16 code units) an Excel cell holds; openpyxl silently cuts longer text.
EXCEL_CELL_CHARS: Final = 32_767


def excel_length(text: str) -> int:
    """The length of ``text`` as Excel counts it (a character outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


#: Fixed timestamps make the built templates byte-for-byte reproducible.
FIXED_TIME: Final = dt.datetime(2021, 9, 26, 0, 0, 0)


class Sheets:
    """The sheet names (Chinese, short enough for Excel's 31-character limit)."""

    GUIDE: Final = "填表说明"
    INFO: Final = "基本信息"
    TEXTS: Final = "文字部分"
    PROACTIVE: Final = "二、主动公开"
    APPLICATIONS: Final = "三、依申请公开"
    REVIEW: Final = "四、复议诉讼"


class FieldKind(enum.Enum):
    """What a named cell holds, which decides how it is written and read."""

    COUNT = "count"  #: a whole number ≥ 0
    WAN_YUAN = "wan_yuan"  #: an amount in 万元 (decimal ≥ 0)
    YUAN = "yuan"  #: an amount in 元 (decimal ≥ 0)
    TEXT = "text"  #: free text (may be blank)
    NAME = "name"  #: required one-line text
    KIND = "kind"  #: the agency kind (人民政府/部门/乡镇/街道)
    YEAR = "year"  #: the reporting year
    DATE = "date"  #: a date


@frozen
class FieldCell:
    """One named value cell: its model path, where it is on the built layout, what it holds and the
    row and column labels a person reads next to it (for messages).

    On the form, ``span`` is the number of columns its merged cell covers, and the labels around it are
    recorded as a reader finds them, so a reader can verify that a defined name still points at this cell:
    ``row_texts`` are the texts left of it in its row (:func:`row_texts_at`); ``column_texts`` the header
    labels above it, lowest first, each with its column relative to the cell's (:func:`column_texts_at`;
    empty when the cell has no header of its own, as on 基本信息)."""

    field: str
    sheet: str
    coord: str
    kind: FieldKind
    total: bool = False
    required: bool = False
    row_label: str = ""
    column_label: str = ""
    span: int = 1
    row_texts: tuple[str, ...] = ()
    column_texts: tuple[tuple[int, str], ...] = ()

    @property
    def name(self) -> str:
        """The defined name of the cell."""
        return NAME_PREFIX + self.field

    @property
    def where(self) -> str:
        """``三、依申请公开!D12``."""
        return f"{self.sheet}!{self.coord}"

    @property
    def row(self) -> int:
        return int(re.sub(r"[A-Z]+", "", self.coord))

    @property
    def col(self) -> int:
        index: int = column_index_from_string(re.sub(r"[0-9]+", "", self.coord))
        return index


# ---------------------------------------------------------------------------------------------------
# Styles
# ---------------------------------------------------------------------------------------------------

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
NUMFMT_COUNT: Final = "0"
NUMFMT_AMOUNT: Final = "General"  # 96171.6 as published, 0 as 0
NUMFMT_DATE: Final = 'yyyy"年"m"月"d"日"'


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

    def value(
        self,
        row: int,
        col: int,
        field: FieldCell,
        *,
        cols: int = 1,
        formula: str | None = None,
        numfmt: str = NUMFMT_COUNT,
        align: Alignment = A_NUMBER,
    ) -> None:
        """A named value cell. On the form: an input (shaded, unlocked) or a live total formula."""
        cell = self.ws.cell(row=row, column=col)
        cell.font = F_BODY
        cell.alignment = align
        cell.number_format = numfmt
        for c in range(col, col + cols):
            self.ws.cell(row=row, column=c).border = BORDER
        if cols > 1:
            self.ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + cols - 1)
        if self.form:
            if field.total:
                cell.fill = FILL_TOTAL
                if formula is not None:
                    cell.value = formula
            else:
                cell.fill = FILL_INPUT
                cell.protection = UNLOCKED
        coord = f"{get_column_letter(col)}{row}"
        self.fields.append(
            FieldCell(
                field.field,
                self.ws.title,
                coord,
                field.kind,
                field.total,
                field.required,
                field.row_label,
                field.column_label,
                span=cols,
            )
        )

    def finish(self) -> None:
        for row, height in sorted(self.heights.items()):
            self.ws.row_dimensions[row].height = round(max(height, 20.0), 1)


def _print_setup(ws: Worksheet, *, landscape: bool, title_rows: tuple[int, int] | None, area: str) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows is not None:
        ws.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
    ws.print_area = area
    ws.sheet_view.showGridLines = False


# ---------------------------------------------------------------------------------------------------
# Table 二
# ---------------------------------------------------------------------------------------------------

_T2_COLS: Final = 4


def _draw_proactive(s: _Sheet, top: int) -> int:
    """Table 二 from ``top``: four blocks, each a title row, a header row and its data rows."""
    row = top
    for block in fmt.PROACTIVE_BLOCKS:
        s.label(row, 1, block.title, cols=_T2_COLS, font=F_HEADER)
        row += 1
        s.label(row, 1, block.content_header, font=F_HEADER)
        value_span = (_T2_COLS - 1) // len(block.columns)
        for i, column in enumerate(block.columns):
            s.label(row, 2 + i * value_span, column.label, cols=value_span, font=F_HEADER)
        row += 1
        for leaf in block.rows:
            s.label(row, 1, leaf.label)
            for i, column in enumerate(block.columns):
                key = block.cell_key(leaf, column)
                amount = leaf.value_type is ValueType.WAN_YUAN
                spec = FieldCell(
                    f"proactive.{key}",
                    "",
                    "",
                    FieldKind.WAN_YUAN if amount else FieldKind.COUNT,
                    row_label=f"{block.title} {leaf.label}",
                    column_label=column.label,
                )
                s.value(
                    row, 2 + i * value_span, spec, cols=value_span, numfmt=NUMFMT_AMOUNT if amount else NUMFMT_COUNT
                )
            row += 1
    return row


# ---------------------------------------------------------------------------------------------------
# Tables 三 and 四: a row tree against a column tree
# ---------------------------------------------------------------------------------------------------


def _tree_depth(nodes: tuple[Node, ...]) -> int:
    return depth(nodes) if nodes else 0


def _draw_grid(
    s: _Sheet,
    top: int,
    *,
    rows: tuple[Node, ...],
    columns: tuple[Node, ...],
    corner: str,
    formulas: dict[tuple[str, str], str] | None = None,
) -> tuple[int, dict[str, int], dict[str, int]]:
    """Draw a table; return the first data row and the row and column index of each leaf key."""
    row_depth = _tree_depth(rows)
    col_depth = _tree_depth(columns)
    first_col = 1 + row_depth
    first_row = top + col_depth
    if row_depth and col_depth:
        s.label(top, 1, corner, rows=col_depth, cols=row_depth, font=F_BODY)
    for placed in span_grid(columns):
        s.label(
            top + placed.depth,
            first_col + placed.index,
            placed.label,
            rows=placed.depth_span,
            cols=placed.index_span,
            font=F_HEADER,
        )
    row_leaves = tuple(leaves(rows)) if rows else (Leaf("", ""),)
    col_leaves = tuple(leaves(columns))
    if rows:
        for placed in span_grid(rows):
            is_top = placed.depth == 0 and isinstance(placed.node, Leaf)
            s.label(
                first_row + placed.index,
                1 + placed.depth,
                placed.label,
                rows=placed.index_span,
                cols=placed.depth_span,
                align=A_LEFT if (is_top or placed.depth == row_depth - 1) and placed.index_span == 1 else A_CENTER,
            )
    row_of = {leaf.key: first_row + i for i, leaf in enumerate(row_leaves)}
    col_of = {leaf.key: first_col + j for j, leaf in enumerate(col_leaves)}
    return first_row, row_of, col_of


def _t3_fields(s: _Sheet, top: int) -> tuple[int, int]:
    """Table 三 from ``top``; return the first and last data row."""
    table = fmt.APPLICATIONS_TABLE
    first_row, row_of, col_of = _draw_grid(s, top, rows=table.rows, columns=table.columns, corner=table.corner)
    first_in = get_column_letter(col_of[table.input_columns[0].key])
    last_in = get_column_letter(col_of[table.input_columns[-1].key])
    outcome_rows = sorted(row_of[key] for key in OUTCOME_ROW_KEYS)
    contiguous = outcome_rows == list(range(outcome_rows[0], outcome_rows[-1] + 1))
    for row_leaf in table.row_leaves:
        r = row_of[row_leaf.key]
        row_labels = " ".join(label_path(table.rows, row_leaf.key))
        for col_leaf in table.column_leaves:
            c = col_of[col_leaf.key]
            letter = get_column_letter(c)
            total = row_leaf.kind is CellKind.TOTAL or col_leaf.kind is CellKind.TOTAL
            if col_leaf.kind is CellKind.TOTAL:
                formula = f"=SUM({first_in}{r}:{last_in}{r})"
            elif contiguous:
                formula = f"=SUM({letter}{outcome_rows[0]}:{letter}{outcome_rows[-1]})"
            else:  # pragma: no cover - the 2021 outcome rows are contiguous
                formula = "=" + "+".join(f"{letter}{x}" for x in outcome_rows)
            spec = FieldCell(
                f"applications.{row_leaf.key}.{col_leaf.key}",
                "",
                "",
                FieldKind.COUNT,
                total=total,
                row_label=row_labels,
                column_label=" ".join(label_path(table.columns, col_leaf.key)),
            )
            s.value(r, c, spec, formula=formula if total else None)
    return first_row, first_row + len(table.row_leaves) - 1


def _t4_fields(s: _Sheet, top: int) -> int:
    """Table 四 from ``top``; return its data row."""
    table = fmt.REVIEW_LITIGATION_TABLE
    first_row, _, col_of = _draw_grid(s, top, rows=(), columns=table.columns, corner="")
    for group in fmt.CASE_GROUPS:
        inputs = [leaf for leaf in group.children if isinstance(leaf, Leaf) and leaf.kind is CellKind.INPUT]
        first = get_column_letter(col_of[inputs[0].key])
        last = get_column_letter(col_of[inputs[-1].key])
        for leaf in group.children:
            assert isinstance(leaf, Leaf)
            total = leaf.kind is CellKind.TOTAL
            spec = FieldCell(
                f"review_litigation.{leaf.key}",
                "",
                "",
                FieldKind.COUNT,
                total=total,
                column_label=" ".join(label_path(table.columns, leaf.key)),
            )
            s.value(first_row, col_of[leaf.key], spec, formula=f"=SUM({first}{first_row}:{last}{first_row})")
    return first_row


# ---------------------------------------------------------------------------------------------------
# Info and text fields (labels here are reportkit's own form labels, not official table labels)
# ---------------------------------------------------------------------------------------------------

#: (field, label, kind, required, note) of the 基本信息 rows.
INFO_ROWS: Final[tuple[tuple[str, str, FieldKind, bool, str], ...]] = (
    ("agency.name", "机关名称", FieldKind.NAME, True, "落款处的全称"),
    ("agency.title_name", "标题中的机关名称", FieldKind.TEXT, False, "可不填，不填时同机关名称"),
    ("agency.kind", "机关类型", FieldKind.KIND, True, "从下拉列表选择：" + "、".join(k.label for k in AgencyKind)),
    ("report.year", "报告年度", FieldKind.YEAR, True, "如 2021"),
    ("report.signed_on", "成文日期", FieldKind.DATE, True, "如 2022-01-19 或 2022年1月19日"),
    ("report.published_on", "公布日期", FieldKind.DATE, False, "可不填"),
)

#: Fee rows of section 六 (信息处理费, in 元).
FEE_ROWS: Final[tuple[tuple[str, str, FieldKind], ...]] = (
    ("other.information_fees.notices", "收费通知件数", FieldKind.COUNT),
    ("other.information_fees.notified_yuan", "通知金额（元）", FieldKind.YUAN),
    ("other.information_fees.collected_yuan", "实收金额（元）", FieldKind.YUAN),
)


def _text_rows() -> tuple[tuple[str, str, str], ...]:
    """(field, section heading, sub-heading) of every text cell of the form, in document order."""
    preamble = f"开头段落（标题之后、{fmt.OVERVIEW.heading}之前，可不填）"
    rows: list[tuple[str, str, str]] = [("report.preamble", "", preamble)]
    rows.append(("overview.intro", fmt.OVERVIEW.heading, "导语（可不填）"))
    rows.extend(("overview." + sub.key, fmt.OVERVIEW.heading, sub.heading) for sub in fmt.OVERVIEW_SUBSECTIONS)
    rows.append(
        ("overview." + fmt.ACCOUNTABILITY.key, fmt.OVERVIEW.heading, fmt.ACCOUNTABILITY.heading + "（人民政府须填写）")
    )
    rows.append(("problems.text", fmt.PROBLEMS.heading, ""))
    rows.append(("other.text", fmt.OTHER.heading, ""))
    return tuple(rows)


# ---------------------------------------------------------------------------------------------------
# The two workbooks
# ---------------------------------------------------------------------------------------------------


def _new_workbook(kind: str, version: str) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "reportkit"
    wb.properties.lastModifiedBy = "reportkit"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.title = fmt.DOCUMENT_NAME
    wb.custom_doc_props.append(StringProperty(name=PROP_FORMAT, value=fmt.FORMAT_ID))
    wb.custom_doc_props.append(StringProperty(name=PROP_VERSION, value=version))
    wb.custom_doc_props.append(StringProperty(name=PROP_KIND, value=kind))
    return wb


def _name(wb: Workbook, field: FieldCell) -> None:
    row = int(re.sub(r"[A-Z]+", "", field.coord))
    col = re.sub(r"\d+", "", field.coord)
    ref = f"{quote_sheetname(field.sheet)}!${col}${row}"
    wb.defined_names[field.name] = DefinedName(field.name, attr_text=ref)


def _heading(s: _Sheet, text: str, cols: int) -> None:
    s.label(1, 1, text, cols=cols, font=F_TITLE, border=False)
    s.need_height(1, 30)


def _draft_cell(s: _Sheet, sheet_key: str, cols: int) -> FieldCell:
    """The cell (row 2) where a draft says so; named ``rk.draft.<sheet>``."""
    cell = s.ws.cell(row=2, column=1)
    cell.font = F_DRAFT
    cell.alignment = A_LEFT
    if cols > 1:
        s.ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=cols)
    field = FieldCell(f"draft.{sheet_key}", s.ws.title, "A2", FieldKind.TEXT)
    s.fields.append(field)
    return field


def build_tables() -> tuple[Workbook, list[FieldCell]]:
    """The output workbook template: 基本信息 and tables 二, 三, 四, with every value cell named."""
    wb = _new_workbook(TABLES_KIND, TABLES_VERSION)
    fields: list[FieldCell] = []

    # 基本信息
    s = _Sheet(wb.create_sheet(Sheets.INFO), {1: 20, 2: 60}, form=False)
    title = s.ws.cell(row=1, column=1)
    title.font = F_TITLE
    title.alignment = A_CENTER
    s.ws.merge_cells("A1:B1")
    s.need_height(1, 40)
    s.fields.append(FieldCell("title", s.ws.title, "A1", FieldKind.TEXT))
    _draft_cell(s, "info", 2)
    row = 3
    for field, label, kind, _, _ in INFO_ROWS:
        s.label(row, 1, label, font=F_HEADER)
        numfmt = {FieldKind.DATE: NUMFMT_DATE, FieldKind.YEAR: "0"}.get(kind, "@")
        s.value(row, 2, FieldCell(field, "", "", kind, row_label=label), numfmt=numfmt, align=A_LEFT)
        row += 1
    s.label(row, 1, "报告格式", font=F_HEADER)
    s.label(row, 2, f"{fmt.FORMAT_ID}（{fmt.NOTICE}）", align=A_LEFT)
    _print_setup(s.ws, landscape=False, title_rows=None, area=f"A1:B{row}")
    s.finish()
    fields += s.fields

    # 二
    s = _Sheet(wb.create_sheet(Sheets.PROACTIVE), {1: 22, 2: 16, 3: 16, 4: 16}, form=False)
    _heading(s, fmt.PROACTIVE.heading, _T2_COLS)
    _draft_cell(s, "proactive", _T2_COLS)
    end = _draw_proactive(s, 3)
    _print_setup(s.ws, landscape=False, title_rows=None, area=f"A1:D{end - 1}")
    s.finish()
    fields += s.fields

    # 三
    s = _Sheet(wb.create_sheet(Sheets.APPLICATIONS), _t3_widths(), form=False)
    ncols = _tree_depth(fmt.APPLICATIONS_TABLE.rows) + len(fmt.APPLICATIONS_TABLE.column_leaves)
    _heading(s, fmt.APPLICATIONS.heading, ncols)
    _draft_cell(s, "applications", ncols)
    first, last = _t3_fields(s, 3)
    _print_setup(s.ws, landscape=True, title_rows=(3, first - 1), area=f"A1:{get_column_letter(ncols)}{last}")
    s.ws.freeze_panes = s.ws.cell(row=first, column=1 + _tree_depth(fmt.APPLICATIONS_TABLE.rows))
    s.finish()
    fields += s.fields

    # 四
    ncols = len(fmt.REVIEW_LITIGATION_TABLE.column_leaves)
    s = _Sheet(wb.create_sheet(Sheets.REVIEW), dict.fromkeys(range(1, ncols + 1), 9.0), form=False)
    _heading(s, fmt.REVIEW_LITIGATION.heading, ncols)
    _draft_cell(s, "review_litigation", ncols)
    data_row = _t4_fields(s, 3)
    _print_setup(s.ws, landscape=True, title_rows=(3, data_row - 1), area=f"A1:{get_column_letter(ncols)}{data_row}")
    s.finish()
    fields += s.fields

    for cell in fields:
        _name(wb, cell)
    wb.active = 1
    return wb, fields


def _t3_widths() -> dict[int, float]:
    row_depth = _tree_depth(fmt.APPLICATIONS_TABLE.rows)
    widths = {1: 8.0, 2: 14.0, 3: 36.0} if row_depth == 3 else {c: 16.0 for c in range(1, row_depth + 1)}
    for j in range(len(fmt.APPLICATIONS_TABLE.column_leaves)):
        widths[row_depth + 1 + j] = 9.0
    return widths


def _count_validation(ws: Worksheet, cells: Iterable[str], kind: FieldKind) -> None:
    cells = list(cells)
    if not cells:
        return
    if kind is FieldKind.COUNT:
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        dv.error = "请填写不小于 0 的整数（件数）。"
    else:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        unit = "万元" if kind is FieldKind.WAN_YUAN else "元"
        dv.error = f"请填写不小于 0 的金额（单位：{unit}），可以有小数。"
    dv.errorTitle = "数值有误"
    dv.showErrorMessage = True
    ws.add_data_validation(dv)
    for coord in cells:
        dv.add(coord)


def _validate_numbers(s: _Sheet) -> None:
    for kind in (FieldKind.COUNT, FieldKind.WAN_YUAN, FieldKind.YUAN):
        _count_validation(s.ws, (f.coord for f in s.fields if f.kind is kind and not f.total), kind)


def _form_sheet_setup(s: _Sheet, landscape: bool, title_rows: tuple[int, int] | None) -> None:
    """Protection and print settings of a form sheet (A4, one page wide)."""
    _protect(s.ws)
    _print_setup(s.ws, landscape=landscape, title_rows=title_rows, area=s.ws.dimensions)
    s.ws.sheet_view.showGridLines = True


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


#: Labels the guide and notes refer to, taken from the format module.
_FEE_ROW_LABEL: Final = fmt.PROACTIVE_BLOCKS[-1].rows[0].label
_TOTAL_ROW_LABEL: Final = next(leaf.label for leaf in fmt.APPLICATIONS_TABLE.row_leaves if leaf.kind is CellKind.TOTAL)

_OUTCOME_LABELS: Final = tuple(
    leaf.label for leaf in fmt.CASE_GROUPS[0].children if isinstance(leaf, Leaf) and leaf.kind is CellKind.INPUT
)

GUIDE_LINES: Final[tuple[str, ...]] = (
    "本表用于填报政府信息公开工作年度报告的数据与文字，填好后用 reportkit 读取、校验并生成报告。",
    "一、只填写浅黄色单元格；灰色单元格为自动计算的合计（公式），其余单元格已保护（无密码，仅作提示）。",
    f"二、件数填写不小于 0 的整数；金额可有小数：{_FEE_ROW_LABEL}单位为万元，{fmt.INFORMATION_FEE}单位为元。",
    "三、没有发生的事项请填 0。留空的单元格按 0 读取，读取时会列出所有留空的单元格供核对。",
    f"四、“{Sheets.APPLICATIONS}”表中，每一列须满足勾稽关系：第一项加第二项之和，等于第三项（即{_TOTAL_ROW_LABEL}）加第四项之和；"
    "不满足的列会显示为红色，表下方的“勾稽关系校验”行也会提示相差多少。",
    "五、总计由公式自动计算，一般不要改动；若在总计单元格中直接填了数字，读取时会把它作为“填报的总计”与计算结果核对。",
    "六、文字部分按小标题分别填写，段落之间空一行（单元格内换行：Alt+Enter；WPS 同）。",
    "七、可以插入行、调整行高列宽；不能删除行或列。请不要改动表格标签和工作表名称，也不要删除工作表。"
    "程序按单元格名称读取（不依赖行列位置），并核对每个名称旁的行列标签。",
    "八、读取命令：reportkit check 本文件.xlsx（校验）；reportkit render 本文件.xlsx（生成 Word/Excel 报告）。",
)


def build_form() -> tuple[Workbook, list[FieldCell]]:
    """The blank input form: guide, basic information, texts and tables 二/三/四 with live totals."""
    wb = _new_workbook(FORM_KIND, FORM_VERSION)
    fields: list[FieldCell] = []

    # 填表说明
    s = _Sheet(wb.create_sheet(Sheets.GUIDE), {1: 90}, form=True)
    s.label(1, 1, f"{fmt.DOCUMENT_NAME}填报表", font=F_TITLE, border=False)
    s.need_height(1, 30)
    row = 3
    for line in GUIDE_LINES:
        s.label(row, 1, line, align=A_LEFT, border=False)
        row += 1
    row += 1
    s.label(
        row,
        1,
        f"报告格式：{fmt.FORMAT_ID}（{fmt.NOTICE}）；填报表版本：{FORM_VERSION}",
        font=F_NOTE,
        align=A_LEFT,
        border=False,
    )
    _form_sheet_setup(s, False, None)
    s.finish()

    # 基本信息
    s = _Sheet(wb.create_sheet(Sheets.INFO), {1: 20, 2: 50, 3: 40}, form=True)
    _heading(s, "基本信息", 3)
    row = 3
    for field, label, kind, required, note in INFO_ROWS:
        s.label(row, 1, label + ("（必填）" if required else ""), font=F_HEADER)
        numfmt = {FieldKind.DATE: NUMFMT_DATE, FieldKind.YEAR: "0"}.get(kind, "@")
        s.value(row, 2, FieldCell(field, "", "", kind, required=required, row_label=label), numfmt=numfmt, align=A_LEFT)
        s.label(row, 3, note, font=F_NOTE, align=A_LEFT, border=False)
        row += 1
    kind_cell = next(f for f in s.fields if f.kind is FieldKind.KIND)
    dv = DataValidation(type="list", formula1='"' + ",".join(k.label for k in AgencyKind) + '"', allow_blank=False)
    dv.error = "请从列表中选择机关类型。"
    dv.errorTitle = "机关类型"
    dv.showErrorMessage = True
    s.ws.add_data_validation(dv)
    dv.add(kind_cell.coord)
    year_cell = next(f for f in s.fields if f.kind is FieldKind.YEAR)
    dv = DataValidation(type="whole", operator="between", formula1="2000", formula2="2100", allow_blank=True)
    dv.error = "请填写四位数年份，如 2021。"
    dv.showErrorMessage = True
    s.ws.add_data_validation(dv)
    dv.add(year_cell.coord)
    row += 1
    s.label(row, 1, "报告格式", font=F_HEADER)
    s.label(row, 2, f"{fmt.FORMAT_ID}（{fmt.NOTICE}）", align=A_LEFT)
    s.label(row + 1, 1, "填报表版本", font=F_HEADER)
    s.label(row + 1, 2, FORM_VERSION, align=A_LEFT)
    _form_sheet_setup(s, False, None)
    s.finish()
    fields += s.fields

    # 文字部分 (and the 信息处理费 figures of 六)
    s = _Sheet(wb.create_sheet(Sheets.TEXTS), {1: 26, 2: 90}, form=True)
    _heading(s, "文字部分", 2)
    row = 3
    current = None
    for field, section, sub in _text_rows():
        if section and section != current:
            s.label(row, 1, section, cols=2, font=F_HEADER, align=A_LEFT)
            current = section
            row += 1
        label = sub or section
        s.label(row, 1, label, align=A_LEFT)
        s.value(row, 2, FieldCell(field, "", "", FieldKind.TEXT, row_label=label), numfmt="@", align=A_TEXT)
        s.need_height(row, 150)
        row += 1
        if field == "other.text":
            s.label(row, 1, f"{fmt.INFORMATION_FEE}（全部留空表示不填报这三项）", cols=2, font=F_HEADER, align=A_LEFT)
            row += 1
            for fee_field, label, kind in FEE_ROWS:
                s.label(row, 1, label)
                numfmt = NUMFMT_COUNT if kind is FieldKind.COUNT else NUMFMT_AMOUNT
                s.value(row, 2, FieldCell(fee_field, "", "", kind, row_label=label), numfmt=numfmt, align=A_LEFT)
                row += 1
    _validate_numbers(s)
    _form_sheet_setup(s, False, None)
    s.finish()
    fields += s.fields

    # 二
    s = _Sheet(wb.create_sheet(Sheets.PROACTIVE), {1: 22, 2: 16, 3: 16, 4: 16}, form=True)
    _heading(s, fmt.PROACTIVE.heading, _T2_COLS)
    _draw_proactive(s, 3)
    _validate_numbers(s)
    _form_sheet_setup(s, False, None)
    s.finish()
    fields += s.fields

    # 三
    table = fmt.APPLICATIONS_TABLE
    s = _Sheet(wb.create_sheet(Sheets.APPLICATIONS), _t3_widths(), form=True)
    row_depth = _tree_depth(table.rows)
    ncols = row_depth + len(table.column_leaves)
    _heading(s, fmt.APPLICATIONS.heading, ncols)
    first, last = _t3_fields(s, 3)
    by_field = {f.field: f for f in s.fields}
    inflow = [by_field[f"applications.{k}.{table.column_leaves[0].key}"].coord for k in fmt.BALANCE_INFLOW]
    outflow = [by_field[f"applications.{k}.{table.column_leaves[0].key}"].coord for k in fmt.BALANCE_OUTFLOW]
    top_left = by_field[f"applications.{table.row_leaves[0].key}.{table.column_leaves[0].key}"].coord

    def col_relative(coord: str) -> str:
        col = re.sub(r"\d+", "", coord)
        return f"{col}${coord[len(col) :]}"

    left = "+".join(col_relative(c) for c in inflow)
    right = "+".join(col_relative(c) for c in outflow)
    last_col = get_column_letter(ncols)
    s.ws.conditional_formatting.add(
        f"{top_left}:{last_col}{last}",
        FormulaRule(formula=[f"{left}<>{right}"], fill=FILL_BAD, font=Font(color="9C0006")),
    )
    check_row = last + 1
    s.label(check_row, 1, f"勾稽关系校验（一+二 与 {_TOTAL_ROW_LABEL}+四）", cols=row_depth, font=F_NOTE, align=A_LEFT)
    for j in range(len(table.column_leaves)):
        col = get_column_letter(row_depth + 1 + j)
        lhs = "+".join(f"{col}{c[len(re.sub(r'[0-9]+', '', c)) :]}" for c in inflow)
        rhs = "+".join(f"{col}{c[len(re.sub(r'[0-9]+', '', c)) :]}" for c in outflow)
        cell = s.ws.cell(
            row=check_row, column=row_depth + 1 + j, value=f'=IF(({lhs})=({rhs}),"平衡","差"&(({lhs})-({rhs})))'
        )
        cell.font = F_NOTE
        cell.alignment = A_NUMBER
        cell.border = BORDER
    s.ws.conditional_formatting.add(
        f"{get_column_letter(row_depth + 1)}{check_row}:{last_col}{check_row}",
        FormulaRule(formula=[f'{get_column_letter(row_depth + 1)}{check_row}<>"平衡"'], fill=FILL_BAD),
    )
    s.ws.freeze_panes = s.ws.cell(row=first, column=row_depth + 1)
    _validate_numbers(s)
    _form_sheet_setup(s, True, (3, first - 1))
    s.finish()
    fields += s.fields

    # 四
    ncols = len(fmt.REVIEW_LITIGATION_TABLE.column_leaves)
    s = _Sheet(wb.create_sheet(Sheets.REVIEW), dict.fromkeys(range(1, ncols + 1), 9.0), form=True)
    _heading(s, fmt.REVIEW_LITIGATION.heading, ncols)
    data_row = _t4_fields(s, 3)
    for group in fmt.CASE_GROUPS:
        group_cells = [f for f in s.fields if f.field.startswith(f"review_litigation.{group.key}.")]
        total = next(f for f in group_cells if f.total)
        parts = [f.coord for f in group_cells if not f.total]
        s.ws.conditional_formatting.add(
            total.coord,
            FormulaRule(formula=[f"{total.coord}<>SUM({parts[0]}:{parts[-1]})"], fill=FILL_BAD),
        )
    s.label(
        data_row + 2,
        1,
        "总计由公式自动计算：" + " + ".join(_OUTCOME_LABELS) + "。",
        cols=ncols,
        font=F_NOTE,
        align=A_LEFT,
        border=False,
    )
    _validate_numbers(s)
    _form_sheet_setup(s, True, (3, data_row - 1))
    s.finish()
    fields += s.fields

    for cell in fields:
        _name(wb, cell)
    wb.active = 0
    return wb, _with_labels(wb, fields)


# ---------------------------------------------------------------------------------------------------
# The labels around each named cell of the form (what a reader verifies a defined name by)
# ---------------------------------------------------------------------------------------------------

Texts = Mapping[tuple[int, int], str]


def label_text(text: str) -> str:
    """A label as compared: runs of white space (a line break a person added) count as one space."""
    return " ".join(text.split())


def row_texts_at(texts: Texts, named: Set[tuple[int, int]], row: int, col: int) -> tuple[str, ...]:
    """The texts left of (``row``, ``col``) in its row, skipping named cells: the cell's row label.

    ``texts`` holds the label text of every cell that holds text (not a formula), by (row, column)."""
    return tuple(texts[(row, k)] for k in range(1, col) if (row, k) in texts and (row, k) not in named)


def header_row(texts: Texts, named: Set[tuple[int, int]], row: int, col: int) -> int | None:
    """The row of the first text above (``row``, ``col``) in its column, skipping named cells and blanks:
    where the cell's own column header stands, wherever rows were inserted."""
    for above in range(row - 1, 0, -1):
        if (above, col) in texts and (above, col) not in named:
            return above
    return None


def column_texts_at(
    texts: Texts, named: Set[tuple[int, int]], row: int, col: int, offsets: Sequence[int]
) -> tuple[str, ...]:
    """The header labels above (``row``, ``col``) as a reader finds them: the first text above it in its
    column (:func:`header_row`), then for each further header, the first text above the previous one in
    the column ``col + offset`` (a header merged across columns has its text at its left edge). Blank and
    named cells are skipped, so rows inserted anywhere, even between header rows, change nothing; a
    header not found gives "". ``offsets`` are the headers' columns relative to ``col``, the first 0."""
    found: list[str] = []
    above = header_row(texts, named, row, col)
    for offset in offsets:
        if above is None:
            found.append("")
            continue
        if found:
            column = col + offset
            above = next(
                (r for r in range(above - 1, 0, -1) if (r, column) in texts and (r, column) not in named), None
            )
            found.append(texts[(above, column)] if above is not None else "")
        else:
            found.append(texts[(above, col)])
    return tuple(found)


def _with_labels(wb: Workbook, fields: list[FieldCell]) -> list[FieldCell]:
    """The fields with the labels a reader finds around them on the blank form (``row_texts``,
    ``column_texts``); the header labels come from the merged cells covering the column above."""
    out: list[FieldCell] = []
    for sheet in dict.fromkeys(field.sheet for field in fields):
        ws = wb[sheet]
        texts = {
            (cell.row, cell.column): label_text(cell.value)
            for line in ws.iter_rows()
            for cell in line
            if isinstance(cell.value, str) and cell.data_type != "f" and cell.value.strip()
        }
        cover: dict[tuple[int, int], tuple[int, int]] = {}
        for merged in ws.merged_cells.ranges:
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    cover[(r, c)] = (merged.min_row, merged.min_col)
        sheet_fields = [field for field in fields if field.sheet == sheet]
        named = {(field.row, field.col) for field in sheet_fields}
        for field in sheet_fields:
            row, col = field.row, field.col
            above = row - 1
            while above >= 1 and (above, col) in named:
                above -= 1
            chain: list[tuple[int, int]] = []
            while above >= 1 and (above, col) not in named:
                anchor = cover.get((above, col), (above, col))
                if anchor not in texts:
                    break
                if anchor not in chain:
                    chain.append(anchor)
                above -= 1
            column_texts: tuple[tuple[int, str], ...] = ()
            if chain and chain[0][1] == col:
                column_texts = tuple((c - col, texts[(r, c)]) for r, c in chain)
                offsets = [offset for offset, _ in column_texts]
                if column_texts_at(texts, named, row, col, offsets) != tuple(t for _, t in column_texts):
                    raise AssertionError(f"{field.where}: a reader would not find the headers")  # pragma: no cover
            out.append(evolve(field, row_texts=row_texts_at(texts, named, row, col), column_texts=column_texts))
    order = {field.field: i for i, field in enumerate(fields)}
    return sorted(out, key=lambda field: order[field.field])


@lru_cache(maxsize=2)
def field_cells(kind: str) -> tuple[FieldCell, ...]:
    """The named cells of the built workbook of ``kind`` (``"xlsx-output"`` or ``"xlsx-form"``), in layout order."""
    _, fields = build_form() if kind == FORM_KIND else build_tables()
    return tuple(fields)


# ---------------------------------------------------------------------------------------------------
# Deterministic saving
# ---------------------------------------------------------------------------------------------------

_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def normalize_zip(data: bytes) -> bytes:
    """The same package with fixed member timestamps and fixed core dates, so a rebuild is identical."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(lambda m: m.group(1) + stamp + m.group(3), content)
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, content, compresslevel=9)
    return out.getvalue()


def workbook_bytes(wb: Workbook) -> bytes:
    """Save ``wb`` to bytes, deterministically."""
    buffer = io.BytesIO()
    wb.save(buffer)
    return normalize_zip(buffer.getvalue())
