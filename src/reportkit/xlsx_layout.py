"""The Excel layouts of reportkit as data: the output workbook (tables 二/三/四) and the input form.

Everything here is computed from a :class:`~reportkit.formats.spec.ReportFormat` value, by arithmetic on
its label trees (:func:`~reportkit.formats.layout.span_grid`, :func:`~reportkit.formats.layout.leaves`): the
sheets, every label cell with its merge, every named value cell with its kind, formula and the labels a
reader finds around it. No workbook is built to learn where a cell is, and no official label is spelled
here. Drawing a layout with openpyxl is the template builders' job (:mod:`reportkit.xlsx_draw`, used by
``tools/build_xlsx_templates.py``).

Every value cell gets a workbook-level *defined name* ``rk.<model path>`` (``rk.applications.new.natural_person``),
so the renderer and the form reader find cells by name and a form that Excel edited (rows inserted above
a table) still reads. The names, the sheets and the kind of each value are listed by :func:`field_cells`,
cached by format.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence, Set
from functools import lru_cache
from typing import Final

from attrs import evolve, field, frozen

from reportkit.field_labels import FEE_FIELDS, INFO_FIELDS, label_of
from reportkit.formats import NEWEST, get_format
from reportkit.formats.layout import (
    CellKind,
    Column,
    Leaf,
    Node,
    ProactiveBlock,
    Table,
    depth,
    label_grid,
    label_path,
)
from reportkit.formats.spec import ReportFormat
from reportkit.model import AgencyKind
from reportkit.templates import FORMAT_PROPERTY, KIND_PROPERTY, VERSION_PROPERTY

__all__ = [
    "EXCEL_CELL_CHARS",
    "FORM_KIND",
    "FORM_VERSION",
    "HEADER_TITLE_TOKEN",
    "NAME_PREFIX",
    "PAGE_FOOTER",
    "PROP_FORMAT",
    "PROP_KIND",
    "PROP_VERSION",
    "TABLES_KIND",
    "TABLES_VERSION",
    "Align",
    "FieldCell",
    "FieldKind",
    "LabelCell",
    "SheetLayout",
    "Sheets",
    "Style",
    "ValueCell",
    "WorkbookLayout",
    "column_texts_at",
    "field_cells",
    "form_layout",
    "form_template_name",
    "header_row",
    "label_text",
    "page_header_text",
    "row_texts_at",
    "tables_layout",
    "tables_template_name",
    "workbook_layout",
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


#: Stands in the page header of every sheet of the output workbook; the renderer replaces it with the report's
#: title (agency and year), see :func:`page_header_text`.
HEADER_TITLE_TOKEN: Final = "{{rk.title}}"
#: Excel refuses a header longer than 255 characters (codes included): the title is shortened to this.
HEADER_TITLE_CHARS: Final = 120
#: The page footer of every sheet: 第 N 页，共 M 页 (Excel codes &P and &N).
PAGE_FOOTER: Final = "第 &P 页，共 &N 页"


def page_header_text(title: str) -> str:
    """``title`` as it goes into a page header: shortened, and ``&`` doubled (a single one starts a code)."""
    if len(title) > HEADER_TITLE_CHARS:
        title = title[: HEADER_TITLE_CHARS - 1] + "…"
    return title.replace("&", "&&")


def tables_template_name(layout: ReportFormat) -> str:
    """The file name of the shipped output workbook of ``layout`` (``tables-2021.v1.xlsx``)."""
    return f"tables-{layout.first_year}.v{TABLES_VERSION}.xlsx"


def form_template_name(layout: ReportFormat) -> str:
    """The file name of the shipped input form of ``layout`` (``form-2021.v1.xlsx``)."""
    return f"form-{layout.first_year}.v{FORM_VERSION}.xlsx"


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
    SIGNED_COUNT = "signed_count"  #: a whole number, may be negative (2019: 本年增/减)
    WAN_YUAN = "wan_yuan"  #: an amount in 万元 (decimal ≥ 0)
    YUAN = "yuan"  #: an amount in 元 (decimal ≥ 0)
    AMOUNT = "amount"  #: an amount (decimal ≥ 0) in the unit its UNIT cell beside it states (2019: 采购总金额)
    UNIT = "unit"  #: the unit of the AMOUNT cell left of it: 元 or 万元
    TEXT = "text"  #: free text (may be blank)
    NAME = "name"  #: required one-line text
    KIND = "kind"  #: the agency kind (人民政府/部门/乡镇/街道)
    YEAR = "year"  #: the reporting year
    DATE = "date"  #: a date

    @property
    def is_number(self) -> bool:
        return self in _NUMBER_KINDS


_NUMBER_KINDS: Final = frozenset(
    {FieldKind.COUNT, FieldKind.SIGNED_COUNT, FieldKind.WAN_YUAN, FieldKind.YUAN, FieldKind.AMOUNT}
)
#: The units an AMOUNT cell may be in (the UNIT cell's list).
AMOUNT_UNITS: Final = ("元", "万元")


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
        return column_index(re.sub(r"[0-9]+", "", self.coord))


def column_letter(index: int) -> str:
    """``1`` → ``A``, ``27`` → ``AA``."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """``A`` → ``1``, ``AA`` → ``27``."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index


def coord_of(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


# ---------------------------------------------------------------------------------------------------
# The layout as data: label cells and value cells, in drawing order
# ---------------------------------------------------------------------------------------------------


class Style(enum.Enum):
    """The font role of a cell (the builder maps each to a font)."""

    TITLE = "title"
    HEADER = "header"
    BODY = "body"
    NOTE = "note"
    DRAFT = "draft"


class Align(enum.Enum):
    """The alignment role of a cell."""

    CENTER = "center"
    LEFT = "left"
    TEXT = "text"  #: top-left, wrapped (long texts)
    NUMBER = "number"  #: centred, shrinks to fit


@frozen
class LabelCell:
    """A text cell, merged over ``rows`` × ``cols``, bordered unless said otherwise."""

    row: int
    col: int
    text: str
    rows: int = 1
    cols: int = 1
    style: Style = Style.BODY
    align: Align = Align.CENTER
    border: bool = True


@frozen
class ValueCell:
    """A named value cell (merged over ``cell.span`` columns). ``formula`` is the live total of the form;
    ``slot`` marks the output workbook's title and draft-notice cells (no border, no input shading)."""

    cell: FieldCell
    numfmt: str = "0"
    align: Align = Align.NUMBER
    formula: str | None = None
    slot: Style | None = None


NUMFMT_COUNT: Final = "0"
NUMFMT_AMOUNT: Final = "General"  # 96171.6 as published, 0 as 0
NUMFMT_DATE: Final = 'yyyy"年"m"月"d"日"'
NUMFMT_TEXT: Final = "@"


@frozen(eq=False)
class SheetLayout:
    """One sheet: its key (``"proactive"`` …), name, column widths, cells in drawing order, minimum row
    heights and print settings (``area`` None: the used range)."""

    key: str
    name: str
    widths: Mapping[int, float]
    items: tuple[LabelCell | ValueCell, ...]
    heights: Mapping[int, float] = field(factory=dict)
    landscape: bool = False
    title_rows: tuple[int, int] | None = None
    area: str | None = None
    freeze: str | None = None
    #: Columns and rows the sheet spans (for headers, notes and print areas).
    ncols: int = 1

    @property
    def fields(self) -> tuple[FieldCell, ...]:
        return tuple(item.cell for item in self.items if isinstance(item, ValueCell))

    @property
    def labels(self) -> tuple[LabelCell, ...]:
        return tuple(item for item in self.items if isinstance(item, LabelCell))

    @property
    def last_row(self) -> int:
        rows = [item.row + item.rows - 1 for item in self.labels] + [f.row for f in self.fields]
        return max(rows)


@frozen(eq=False)
class WorkbookLayout:
    """A whole workbook of ``kind`` (output workbook or form) for one format."""

    kind: str
    version: str
    format: ReportFormat
    sheets: tuple[SheetLayout, ...]

    @property
    def fields(self) -> tuple[FieldCell, ...]:
        return tuple(cell for sheet in self.sheets for cell in sheet.fields)

    def sheet(self, key: str) -> SheetLayout:
        for sheet in self.sheets:
            if sheet.key == key:
                return sheet
        raise KeyError(key)


class _Plan:
    """A sheet being laid out: cells are appended in the order the builder draws them."""

    def __init__(self, key: str, name: str, widths: dict[int, float], *, form: bool) -> None:
        self.key = key
        self.name = name
        self.widths = widths
        self.form = form
        self.items: list[LabelCell | ValueCell] = []
        self.heights: dict[int, float] = {}

    def label(
        self,
        row: int,
        col: int,
        text: str,
        *,
        rows: int = 1,
        cols: int = 1,
        style: Style = Style.BODY,
        align: Align = Align.CENTER,
        border: bool = True,
    ) -> None:
        self.items.append(LabelCell(row, col, text, rows, cols, style, align, border))

    def value(
        self,
        row: int,
        col: int,
        spec: FieldCell,
        *,
        cols: int = 1,
        formula: str | None = None,
        numfmt: str = NUMFMT_COUNT,
        align: Align = Align.NUMBER,
    ) -> None:
        cell = evolve(spec, sheet=self.name, coord=coord_of(row, col), span=cols)
        self.items.append(ValueCell(cell, numfmt, align, formula if self.form and spec.total else None))

    def slot(self, row: int, col: int, spec: FieldCell, cols: int, style: Style, align: Align) -> None:
        cell = evolve(spec, sheet=self.name, coord=coord_of(row, col), span=cols)
        self.items.append(ValueCell(cell, "General", align, None, style))

    def need_height(self, row: int, points: float) -> None:
        self.heights[row] = max(self.heights.get(row, 0.0), points)

    @property
    def fields(self) -> list[FieldCell]:
        return [item.cell for item in self.items if isinstance(item, ValueCell)]

    def done(
        self,
        *,
        ncols: int,
        landscape: bool = False,
        title_rows: tuple[int, int] | None = None,
        area: str | None = None,
        freeze: str | None = None,
    ) -> SheetLayout:
        return SheetLayout(
            self.key,
            self.name,
            dict(self.widths),
            tuple(self.items),
            dict(self.heights),
            landscape,
            title_rows,
            area,
            freeze,
            ncols,
        )


def _heading(s: _Plan, text: str, cols: int) -> None:
    s.label(1, 1, text, cols=cols, style=Style.TITLE, border=False)
    s.need_height(1, 30)


# ---------------------------------------------------------------------------------------------------
# Table 二: blocks of a title row, a header row and data rows on a grid of a label and three value columns
# ---------------------------------------------------------------------------------------------------

#: Table 二's grid: the 信息内容 column and three value columns (format-2019.md §1.4, the 2021 template).
T2_COLS: Final = 4
T2_VALUE_COLS: Final = T2_COLS - 1


def value_spans(block: ProactiveBlock, width: int = T2_VALUE_COLS) -> tuple[int, ...]:
    """How many grid columns each value column of ``block`` covers (:meth:`ProactiveBlock.value_spans`)."""
    return block.value_spans(width)


def _kind_of(block: ProactiveBlock, row: Leaf, column: Column) -> FieldKind:
    """The field kind of a table-二 cell, from the value type of its column (when the format gives one,
    as for 2019's signed 本年增/减) or of its row."""
    value_type = block.value_type(row, column)
    kind = _VALUE_KINDS.get(str(value_type.value))
    if kind is None:  # pragma: no cover - a format with a value type the form cannot hold
        raise ValueError(f"{block.title} {row.label} {column.label}: unknown value type {value_type}")
    return kind


_VALUE_KINDS: Final = {
    "count": FieldKind.COUNT,
    "signed_count": FieldKind.SIGNED_COUNT,
    "wan_yuan": FieldKind.WAN_YUAN,
    "yuan": FieldKind.YUAN,
    "amount": FieldKind.AMOUNT,
}


def _proactive(s: _Plan, top: int, layout: ReportFormat) -> int:
    """Table 二 from ``top``; return the row after it."""
    row = top
    for block in layout.proactive_blocks:
        s.label(row, 1, block.title, cols=T2_COLS, style=Style.HEADER)
        row += 1
        s.label(row, 1, block.content_header, style=Style.HEADER)
        spans = value_spans(block)
        starts = [2 + sum(spans[:i]) for i in range(len(spans))]
        for column, start, span in zip(block.columns, starts, spans, strict=True):
            s.label(row, start, column.label, cols=span, style=Style.HEADER)
        row += 1
        for leaf in block.rows:
            s.label(row, 1, leaf.label)
            for column, start, span in zip(block.columns, starts, spans, strict=True):
                kind = _kind_of(block, leaf, column)
                spec = FieldCell(
                    f"proactive.{block.cell_key(leaf, column)}",
                    "",
                    "",
                    kind,
                    row_label=f"{block.title} {leaf.label}",
                    column_label=column.label,
                )
                amount = kind in (FieldKind.WAN_YUAN, FieldKind.YUAN, FieldKind.AMOUNT)
                numfmt = NUMFMT_AMOUNT if amount else NUMFMT_COUNT
                if kind is FieldKind.AMOUNT:  # the amount, and its unit in the last grid column of its span
                    s.value(row, start, spec, cols=span - 1, numfmt=numfmt)
                    unit = FieldCell(
                        f"proactive.{block.unit_key(leaf, column)}",
                        "",
                        "",
                        FieldKind.UNIT,
                        row_label=spec.row_label,
                        column_label=f"{column.label}（单位）",
                    )
                    s.value(row, start + span - 1, unit, numfmt=NUMFMT_TEXT)
                else:
                    s.value(row, start, spec, cols=span, numfmt=numfmt)
            row += 1
    return row


# ---------------------------------------------------------------------------------------------------
# Tables 三 and 四: a row tree against a column tree
# ---------------------------------------------------------------------------------------------------


def _tree_depth(nodes: tuple[Node, ...]) -> int:
    return depth(nodes) if nodes else 0


def _grid(s: _Plan, top: int, table: Table) -> tuple[int, dict[str, int], dict[str, int]]:
    """Lay out a table's labels from row ``top``; return the first data row and the row and column index of
    each leaf key."""
    row_depth = _tree_depth(table.rows)
    first_col = 1 + row_depth
    first_row = top + _tree_depth(table.columns)
    for placed in label_grid(table):
        header = placed.node is not None and placed.column >= row_depth  # not the corner note, not a row label
        # a row label: a leaf flush left unless it is a group's label
        is_top = placed.column == 0 and isinstance(placed.node, Leaf)
        left = (
            placed.node is not None and not header and (is_top or placed.column == row_depth - 1) and placed.rows == 1
        )
        s.label(
            top + placed.row,
            1 + placed.column,
            placed.label,
            rows=placed.rows,
            cols=placed.columns,
            style=Style.HEADER if header else Style.BODY,
            align=Align.LEFT if left else Align.CENTER,
        )
    row_leaves = table.row_leaves if table.rows else (Leaf("", ""),)
    row_of = {leaf.key: first_row + i for i, leaf in enumerate(row_leaves)}
    col_of = {leaf.key: first_col + j for j, leaf in enumerate(table.column_leaves)}
    return first_row, row_of, col_of


def outcome_row_keys(layout: ReportFormat) -> tuple[str, ...]:
    """The outcome rows of table 三 that （七）总计 adds up: the input rows outside the balance rows."""
    balance = {*layout.balance_inflow, *layout.balance_outflow}
    return tuple(row.key for row in layout.applications_table.input_rows if row.key not in balance)


def _applications(s: _Plan, top: int, layout: ReportFormat) -> tuple[int, int]:
    """Table 三 from ``top``; return the first and last data row."""
    table = layout.applications_table
    first_row, row_of, col_of = _grid(s, top, table)
    first_in = column_letter(col_of[table.input_columns[0].key])
    last_in = column_letter(col_of[table.input_columns[-1].key])
    outcome_rows = sorted(row_of[key] for key in outcome_row_keys(layout))
    contiguous = outcome_rows == list(range(outcome_rows[0], outcome_rows[-1] + 1))
    for row_leaf in table.row_leaves:
        r = row_of[row_leaf.key]
        row_labels = " ".join(label_path(table.rows, row_leaf.key))
        for col_leaf in table.column_leaves:
            c = col_of[col_leaf.key]
            letter = column_letter(c)
            total = row_leaf.kind is CellKind.TOTAL or col_leaf.kind is CellKind.TOTAL
            if col_leaf.kind is CellKind.TOTAL:
                formula = f"=SUM({first_in}{r}:{last_in}{r})"
            elif contiguous:
                formula = f"=SUM({letter}{outcome_rows[0]}:{letter}{outcome_rows[-1]})"
            else:  # pragma: no cover - the outcome rows of both formats are contiguous
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


def _review(s: _Plan, top: int, layout: ReportFormat) -> int:
    """Table 四 from ``top``; return its data row."""
    table = layout.review_litigation_table
    first_row, _, col_of = _grid(s, top, table)
    for group in layout.case_groups:
        inputs = [leaf for leaf in group.children if isinstance(leaf, Leaf) and leaf.kind is CellKind.INPUT]
        first = column_letter(col_of[inputs[0].key])
        last = column_letter(col_of[inputs[-1].key])
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


def t3_widths(layout: ReportFormat) -> dict[int, float]:
    """The column widths of the table-三 sheet."""
    table = layout.applications_table
    row_depth = _tree_depth(table.rows)
    widths = {1: 8.0, 2: 14.0, 3: 36.0} if row_depth == 3 else {c: 16.0 for c in range(1, row_depth + 1)}
    for j in range(len(table.column_leaves)):
        widths[row_depth + 1 + j] = 9.0
    return widths


def _ncols_applications(layout: ReportFormat) -> int:
    table = layout.applications_table
    return _tree_depth(table.rows) + len(table.column_leaves)


# ---------------------------------------------------------------------------------------------------
# Info and text fields (labels here are reportkit's own form labels, not official table labels)
# ---------------------------------------------------------------------------------------------------

_INFO_KINDS: Final[dict[str, tuple[FieldKind, bool, str]]] = {
    "agency.name": (FieldKind.NAME, True, "落款处的全称"),
    "agency.title_name": (FieldKind.TEXT, False, "可不填，不填时同机关名称"),
    "agency.kind": (FieldKind.KIND, True, "从下拉列表选择：" + "、".join(k.label for k in AgencyKind)),
    "report.year": (FieldKind.YEAR, True, "如 2021"),
    "report.signed_on": (FieldKind.DATE, True, "如 2022-01-19 或 2022年1月19日"),
    "report.published_on": (FieldKind.DATE, False, "可不填"),
}

#: (field, label, kind, required, note) of the 基本信息 rows.
INFO_ROWS: Final[tuple[tuple[str, str, FieldKind, bool, str], ...]] = tuple(
    (path, label_of(path), *_INFO_KINDS[path]) for path in INFO_FIELDS
)

#: Fee rows of section 六 (信息处理费, in 元), for formats with a fee regime.
FEE_ROWS: Final[tuple[tuple[str, str, FieldKind], ...]] = tuple(
    (path, label_of(path), FieldKind.COUNT if path.endswith(".notices") else FieldKind.YUAN) for path in FEE_FIELDS
)

_INFO_NUMFMT: Final = {FieldKind.DATE: NUMFMT_DATE, FieldKind.YEAR: "0"}


def text_rows(layout: ReportFormat) -> tuple[tuple[str, str, str], ...]:
    """(field, section heading, sub-heading) of every text cell of the form, in document order."""
    preamble = f"{label_of('report.preamble')}（标题之后、{layout.overview.heading}之前，可不填）"
    rows: list[tuple[str, str, str]] = [("report.preamble", "", preamble)]
    rows.append(("overview.intro", layout.overview.heading, f"{label_of('overview.intro')}（可不填）"))
    rows.extend(("overview." + sub.key, layout.overview.heading, sub.heading) for sub in layout.overview_subsections)
    accountability = layout.accountability
    rows.append(
        ("overview." + accountability.key, layout.overview.heading, accountability.heading + "（人民政府须填写）")
    )
    rows.append(("problems.text", layout.problems.heading, ""))
    rows.append(("other.text", layout.other.heading, ""))
    return tuple(rows)


def format_line(layout: ReportFormat) -> str:
    """``gov-info-annual-report/2021（国办公开办函〔2021〕30号）``."""
    return f"{layout.id}（{layout.notice}）"


def guide_lines(layout: ReportFormat) -> tuple[str, ...]:
    """The lines of the form's 填表说明 sheet."""
    total_label = next(leaf.label for leaf in layout.applications_table.row_leaves if leaf.kind is CellKind.TOTAL)
    amounts = []
    for block in layout.proactive_blocks:
        for leaf in block.rows:
            for column in block.columns:
                kind = _kind_of(block, leaf, column)
                if kind is FieldKind.WAN_YUAN:
                    amounts.append(f"{leaf.label}单位为万元")
                elif kind is FieldKind.YUAN:
                    amounts.append(f"{leaf.label}{column.label}单位为元")
                elif kind is FieldKind.AMOUNT:
                    units = "或".join(AMOUNT_UNITS)
                    amounts.append(f"{column.label}的单位（{units}）在其右侧的单元格中选择")
    if layout.information_fee is not None:
        amounts.append(f"{layout.information_fee}单位为元")
    signed = dict.fromkeys(label for block in layout.proactive_blocks for label in _signed_columns(block))
    numbers = "二、件数填写不小于 0 的整数"
    if signed:
        columns = "、".join(signed)
        numbers += f"（{columns}可填负数，如 -3）"
    numbers += "；金额可有小数" + ("：" + "，".join(amounts) if amounts else "") + "。"
    return (
        f"本表用于填报{layout.document_name}的数据与文字，填好后用 reportkit 读取、校验并生成报告。",
        "一、只填写浅黄色单元格；灰色单元格为自动计算的合计（公式），其余单元格已保护（无密码，仅作提示）。",
        numbers,
        "三、没有发生的事项请填 0。留空的单元格按 0 读取，读取时会列出所有留空的单元格供核对。",
        f"四、“{Sheets.APPLICATIONS}”表中，每一列须满足勾稽关系：第一项加第二项之和，等于第三项（即{total_label}）加第四项之和；"
        "不满足的列会显示为红色，表下方的“勾稽关系校验”行也会提示相差多少。",
        "五、总计由公式自动计算，一般不要改动；若在总计单元格中直接填了数字，读取时会把它作为“填报的总计”与计算结果核对。",
        "六、文字部分按小标题分别填写，段落之间空一行（单元格内换行：Alt+Enter；WPS 同）。",
        "七、可以插入行、调整行高列宽；不能删除行或列。请不要改动表格标签和工作表名称，也不要删除工作表。"
        "程序按单元格名称读取（不依赖行列位置），并核对每个名称旁的行列标签。",
        "八、读取命令：reportkit check 本文件.xlsx（校验）；reportkit render 本文件.xlsx（生成 Word/Excel 报告）。",
    )


def _signed_columns(block: ProactiveBlock) -> list[str]:
    return [
        column.label
        for column in block.columns
        if any(_kind_of(block, leaf, column) is FieldKind.SIGNED_COUNT for leaf in block.rows)
    ]


def case_outcome_labels(layout: ReportFormat) -> tuple[str, ...]:
    """结果维持 … 尚未审结: what each group's 总计 of table 四 adds up."""
    return tuple(
        leaf.label for leaf in layout.case_groups[0].children if isinstance(leaf, Leaf) and leaf.kind is CellKind.INPUT
    )


def balance_check_label(layout: ReportFormat) -> str:
    total_label = next(leaf.label for leaf in layout.applications_table.row_leaves if leaf.kind is CellKind.TOTAL)
    return f"勾稽关系校验（一+二 与 {total_label}+四）"


# ---------------------------------------------------------------------------------------------------
# The two workbooks
# ---------------------------------------------------------------------------------------------------


#: The 填表说明 column: narrow enough to print on A4 portrait unscaled (LibreOffice does not scale that sheet
#: to the page width; at 90 the lines ran past both edges of the paper).
GUIDE_WIDTH: Final = 72.0


def _form(layout: ReportFormat) -> WorkbookLayout:
    sheets: list[SheetLayout] = []

    # 填表说明
    s = _Plan("guide", Sheets.GUIDE, {1: GUIDE_WIDTH}, form=True)
    s.label(1, 1, f"{layout.document_name}填报表", style=Style.TITLE, border=False)
    s.need_height(1, 30)
    row = 3
    for line in guide_lines(layout):
        s.label(row, 1, line, align=Align.LEFT, border=False)
        row += 1
    row += 1
    s.label(
        row,
        1,
        f"报告格式：{format_line(layout)}；填报表版本：{FORM_VERSION}",
        style=Style.NOTE,
        align=Align.LEFT,
        border=False,
    )
    sheets.append(s.done(ncols=1))

    # 基本信息
    s = _Plan("info", Sheets.INFO, {1: 20, 2: 50, 3: 40}, form=True)
    _heading(s, "基本信息", 3)
    row = 3
    for path, label, kind, required, note in INFO_ROWS:
        s.label(row, 1, label + ("（必填）" if required else ""), style=Style.HEADER)
        spec = FieldCell(path, "", "", kind, required=required, row_label=label)
        s.value(row, 2, spec, numfmt=_INFO_NUMFMT.get(kind, NUMFMT_TEXT), align=Align.LEFT)
        s.label(row, 3, note, style=Style.NOTE, align=Align.LEFT, border=False)
        row += 1
    row += 1
    s.label(row, 1, "报告格式", style=Style.HEADER)
    s.label(row, 2, format_line(layout), align=Align.LEFT)
    s.label(row + 1, 1, "填报表版本", style=Style.HEADER)
    s.label(row + 1, 2, FORM_VERSION, align=Align.LEFT)
    sheets.append(s.done(ncols=3))

    # 文字部分 (and the 信息处理费 figures of 六)
    s = _Plan("texts", Sheets.TEXTS, {1: 26, 2: 90}, form=True)
    _heading(s, "文字部分", 2)
    row = 3
    current = None
    for path, section, sub in text_rows(layout):
        if section and section != current:
            s.label(row, 1, section, cols=2, style=Style.HEADER, align=Align.LEFT)
            current = section
            row += 1
        label = sub or section
        s.label(row, 1, label, align=Align.LEFT)
        s.value(row, 2, FieldCell(path, "", "", FieldKind.TEXT, row_label=label), numfmt=NUMFMT_TEXT, align=Align.TEXT)
        s.need_height(row, 150)
        row += 1
        if path == "other.text" and layout.information_fee is not None:
            fee_heading = f"{layout.information_fee}（全部留空表示不填报这三项）"
            s.label(row, 1, fee_heading, cols=2, style=Style.HEADER, align=Align.LEFT)
            row += 1
            for fee_path, label, kind in FEE_ROWS:
                s.label(row, 1, label)
                numfmt = NUMFMT_COUNT if kind is FieldKind.COUNT else NUMFMT_AMOUNT
                s.value(row, 2, FieldCell(fee_path, "", "", kind, row_label=label), numfmt=numfmt, align=Align.LEFT)
                row += 1
    sheets.append(s.done(ncols=2))

    # 二
    s = _Plan("proactive", Sheets.PROACTIVE, {1: 22, 2: 16, 3: 16, 4: 16}, form=True)
    _heading(s, layout.proactive.heading, T2_COLS)
    _proactive(s, 3, layout)
    sheets.append(s.done(ncols=T2_COLS))

    # 三
    table = layout.applications_table
    row_depth = _tree_depth(table.rows)
    ncols = _ncols_applications(layout)
    s = _Plan("applications", Sheets.APPLICATIONS, t3_widths(layout), form=True)
    _heading(s, layout.applications.heading, ncols)
    first, last = _applications(s, 3, layout)
    s.label(last + 1, 1, balance_check_label(layout), cols=row_depth, style=Style.NOTE, align=Align.LEFT)
    sheets.append(s.done(ncols=ncols, landscape=True, title_rows=(3, first - 1), freeze=coord_of(first, row_depth + 1)))

    # 四
    ncols = len(layout.review_litigation_table.column_leaves)
    s = _Plan("review", Sheets.REVIEW, dict.fromkeys(range(1, ncols + 1), 9.0), form=True)
    _heading(s, layout.review_litigation.heading, ncols)
    data_row = _review(s, 3, layout)
    s.label(
        data_row + 2,
        1,
        "总计由公式自动计算：" + " + ".join(case_outcome_labels(layout)) + "。",
        cols=ncols,
        style=Style.NOTE,
        align=Align.LEFT,
        border=False,
    )
    sheets.append(s.done(ncols=ncols, landscape=True, title_rows=(3, data_row - 1)))

    sheets = [_with_labels(sheet) if sheet.fields else sheet for sheet in sheets]
    return WorkbookLayout(FORM_KIND, FORM_VERSION, layout, tuple(sheets))


def _draft_slot(s: _Plan, sheet_key: str, cols: int) -> None:
    """The cell (row 2) where a draft says so; named ``rk.draft.<sheet>``."""
    s.slot(2, 1, FieldCell(f"draft.{sheet_key}", "", "", FieldKind.TEXT), cols, Style.DRAFT, Align.LEFT)


def _tables(layout: ReportFormat) -> WorkbookLayout:
    sheets: list[SheetLayout] = []

    # 基本信息
    s = _Plan("info", Sheets.INFO, {1: 20, 2: 60}, form=False)
    s.slot(1, 1, FieldCell("title", "", "", FieldKind.TEXT), 2, Style.TITLE, Align.CENTER)
    s.need_height(1, 40)
    _draft_slot(s, "info", 2)
    row = 3
    for path, label, kind, _, _ in INFO_ROWS:
        s.label(row, 1, label, style=Style.HEADER)
        s.value(
            row,
            2,
            FieldCell(path, "", "", kind, row_label=label),
            numfmt=_INFO_NUMFMT.get(kind, NUMFMT_TEXT),
            align=Align.LEFT,
        )
        row += 1
    s.label(row, 1, "报告格式", style=Style.HEADER)
    s.label(row, 2, format_line(layout), align=Align.LEFT)
    sheets.append(s.done(ncols=2, area=f"A1:B{row}"))

    # 二
    s = _Plan("proactive", Sheets.PROACTIVE, {1: 22, 2: 16, 3: 16, 4: 16}, form=False)
    _heading(s, layout.proactive.heading, T2_COLS)
    _draft_slot(s, "proactive", T2_COLS)
    end = _proactive(s, 3, layout)
    sheets.append(s.done(ncols=T2_COLS, area=f"A1:{column_letter(T2_COLS)}{end - 1}"))

    # 三
    ncols = _ncols_applications(layout)
    row_depth = _tree_depth(layout.applications_table.rows)
    s = _Plan("applications", Sheets.APPLICATIONS, t3_widths(layout), form=False)
    _heading(s, layout.applications.heading, ncols)
    _draft_slot(s, "applications", ncols)
    first, last = _applications(s, 3, layout)
    sheets.append(
        s.done(
            ncols=ncols,
            landscape=True,
            title_rows=(3, first - 1),
            area=f"A1:{column_letter(ncols)}{last}",
            freeze=coord_of(first, 1 + row_depth),
        )
    )

    # 四
    ncols = len(layout.review_litigation_table.column_leaves)
    s = _Plan("review", Sheets.REVIEW, dict.fromkeys(range(1, ncols + 1), 9.0), form=False)
    _heading(s, layout.review_litigation.heading, ncols)
    _draft_slot(s, "review_litigation", ncols)
    data_row = _review(s, 3, layout)
    sheets.append(
        s.done(ncols=ncols, landscape=True, title_rows=(3, data_row - 1), area=f"A1:{column_letter(ncols)}{data_row}")
    )
    return WorkbookLayout(TABLES_KIND, TABLES_VERSION, layout, tuple(sheets))


@lru_cache(maxsize=16)
def _workbook_layout(format_id: str, kind: str) -> WorkbookLayout:
    layout = get_format(format_id)
    if kind == FORM_KIND:
        return _form(layout)
    if kind == TABLES_KIND:
        return _tables(layout)
    raise ValueError(f"unknown workbook kind {kind!r}")


def workbook_layout(layout: ReportFormat, kind: str) -> WorkbookLayout:
    """The layout of the workbook of ``kind`` (:data:`TABLES_KIND` or :data:`FORM_KIND`) for ``layout``;
    cached by format id."""
    return _workbook_layout(layout.id, kind)


def form_layout(layout: ReportFormat) -> WorkbookLayout:
    return workbook_layout(layout, FORM_KIND)


def tables_layout(layout: ReportFormat) -> WorkbookLayout:
    return workbook_layout(layout, TABLES_KIND)


def field_cells(kind: str, layout: ReportFormat | None = None) -> tuple[FieldCell, ...]:
    """The named cells of the workbook of ``kind`` (``"xlsx-output"`` or ``"xlsx-form"``) for ``layout``
    (the newest format when omitted), in layout order."""
    return _field_cells(layout.id if layout is not None else NEWEST, kind)


@lru_cache(maxsize=16)
def _field_cells(format_id: str, kind: str) -> tuple[FieldCell, ...]:
    return _workbook_layout(format_id, kind).fields


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


def _with_labels(sheet: SheetLayout) -> SheetLayout:
    """The sheet with the labels a reader finds around each named cell (``row_texts``, ``column_texts``);
    the header labels come from the merged label cells covering the column above."""
    texts = {(label.row, label.col): label_text(label.text) for label in sheet.labels if label.text.strip()}
    cover: dict[tuple[int, int], tuple[int, int]] = {}
    for label in sheet.labels:
        if label.rows > 1 or label.cols > 1:
            for r in range(label.row, label.row + label.rows):
                for c in range(label.col, label.col + label.cols):
                    cover[(r, c)] = (label.row, label.col)
    for item in sheet.items:
        if isinstance(item, ValueCell) and item.cell.span > 1:
            for c in range(item.cell.col, item.cell.col + item.cell.span):
                cover[(item.cell.row, c)] = (item.cell.row, item.cell.col)
    named = {(f.row, f.col) for f in sheet.fields}
    items: list[LabelCell | ValueCell] = []
    for item in sheet.items:
        if not isinstance(item, ValueCell):
            items.append(item)
            continue
        cell = item.cell
        row, col = cell.row, cell.col
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
                raise AssertionError(f"{cell.where}: a reader would not find the headers")  # pragma: no cover
        labelled = evolve(cell, row_texts=row_texts_at(texts, named, row, col), column_texts=column_texts)
        items.append(evolve(item, cell=labelled))
    return evolve(sheet, items=tuple(items))
