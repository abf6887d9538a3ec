"""The Excel input form: a blank form to fill, a form filled by code, and reading a filled form back.

The form of each format (``templates/xlsx/form-2021.v1.xlsx`` …) is built from the format value by
``tools/build_xlsx_templates.py``; the reader takes the format from the form's ``reportkit.format``
property and knows its cells from the layout data (:mod:`reportkit.xlsx_layout`), never by building a
form. Every input cell has a defined name ``rk.<model path>``, so the reader
finds cells by name, not by position: a form that Excel or WPS edited (rows inserted, rows resized) still
reads.

Reading is forgiving about how people type numbers (blank → 0 with a note, full-width digits, spaces,
numbers stored as text, a trailing 件) and strict about what is not a number ("三件", "1O", "-1", "2.5"):
every such cell is reported at once, with its sheet, cell and row and column labels. A total typed over
its formula is kept as a declared total, which :func:`reportkit.check` compares with the computed one.

Nothing is read silently wrong:

- every defined name is verified against the layout (its sheet, the row label left of its cell and the
  column header above it, compared as labels, so inserted rows do not matter); a name pointed at another
  cell, defined twice or pointing at one cell with another name refuses the form, listing each mismatch;
- a number typed into another cell of a value's merged span (the merge undone) is read with a note;
  different numbers in one span are a problem;
- a formula's stored result is checked against its arguments when the formula is simple (SUM, + and −):
  a stale result, a formula that cannot be checked, or one referring to another workbook gets a note;
- :attr:`~reportkit.loaded.Loaded.places` gives the cell where each value really stands.

Workbooks are untrusted input. The file size, the archive's member count and expanded size are checked
first (:func:`reportkit.safezip.inspect_archive`); then the XML is read directly
(:mod:`reportkit.ooxml.xlsx_cells`), one streamed pass per sheet that stops past the last named row, keeping
only the cells and shared strings the layout needs; named cells beyond row :data:`MAX_FORM_ROW` are refused.
openpyxl only builds forms (:func:`fill_form`, the template builder); macros are never run or loaded.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from attrs import frozen
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell as OpenpyxlCell

from reportkit.cells import from_cells, input_cells
from reportkit.errors import FormError, Problem, RenderError
from reportkit.formats import NEWEST, UnknownFormatError, get_format
from reportkit.formats.layout import CellKind
from reportkit.formats.spec import ReportFormat
from reportkit.fs import read_at_most
from reportkit.loaded import Loaded
from reportkit.model import (
    Agency,
    AgencyKind,
    AnnualReport,
    InformationFees,
    OtherMatters,
    Overview,
    Problems,
    ReportInfo,
)
from reportkit.ooxml.package import clean_xml_text
from reportkit.ooxml.xlsx_cells import (
    Area,
    Cell,
    CellValue,
    DefinedName,
    ErrorValue,
    XlsxPackage,
    cell_name,
    split_cell,
)
from reportkit.ooxml.xlsx_formulas import NO_RESULT, NOT_READ, NotVerifiable, Verified, evaluate, external_references
from reportkit.safezip import ArchiveLimits, inspect_archive
from reportkit.values import (
    MAX_YEAR,
    MIN_YEAR,
    Blank,
    Unit,
    ValueProblem,
    parse_amount,
    parse_count,
    parse_date,
    parse_signed_count,
    text_problem,
)
from reportkit.xlsx_layout import (
    EXCEL_CELL_CHARS,
    FORM_KIND,
    FORM_VERSION,
    NAME_PREFIX,
    PROP_FORMAT,
    PROP_KIND,
    PROP_VERSION,
    TABLES_KIND,
    FieldCell,
    FieldKind,
    column_texts_at,
    excel_length,
    field_cells,
    form_template_name,
    label_text,
    row_texts_at,
)

__all__ = [
    "FORM_TEMPLATE_NAME",
    "MAX_FORM_BYTES",
    "MAX_FORM_COLUMN",
    "MAX_FORM_ROW",
    "blank_form",
    "fill_form",
    "form_cell",
    "read",
    "read_form",
    "read_form_with_notes",
]

log = logging.getLogger(__name__)

#: The file name of the newest format's form (``form_template_name(layout)`` for any format).
FORM_TEMPLATE_NAME: Final = form_template_name(get_format(NEWEST))

#: A filled form is some tens of kilobytes; larger files are refused before they are opened.
MAX_FORM_BYTES: Final = 20 * 1024 * 1024
#: Limits on the archive: its expanded size and its number of members (a zip bomb has either).
MAX_EXPANDED_BYTES: Final = 100 * 1024 * 1024
MAX_MEMBERS: Final = 2000

#: Named cells further down (or right) than this are refused: a form has some tens of rows, and reading
#: stops after the last named row, so this bounds the work a crafted file can ask for.
MAX_FORM_ROW: Final = 10_000
MAX_FORM_COLUMN: Final = 200

_EXCEL_EPOCH: Final = dt.datetime(1899, 12, 30)
_EXCEL_EPOCH_1904: Final = dt.datetime(1904, 1, 1)
_ESCAPE_LIKE: Final = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
#: The model paths of the three tables' cells.
_TABLE_PREFIXES: Final = ("proactive.", "applications.", "review_litigation.")
#: A UNIT cell's path is its amount's path plus this (``proactive.procurement.amount_unit``).
UNIT_SUFFIX: Final = "_unit"


# ---------------------------------------------------------------------------------------------------
# The blank form and a form filled by code
# ---------------------------------------------------------------------------------------------------


def _shipped_path(layout: ReportFormat) -> Path:
    from reportkit.templates import templates_dir

    return templates_dir() / "xlsx" / form_template_name(layout)


def blank_form(layout: ReportFormat | None = None) -> bytes:
    """The blank input form of ``layout`` (the newest format when omitted) as ``.xlsx`` bytes: the shipped
    template."""
    return _blank_form(layout.id if layout is not None else NEWEST)


@lru_cache(maxsize=4)
def _blank_form(format_id: str) -> bytes:
    path = _shipped_path(get_format(format_id))
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise RenderError(
            f"找不到填报表模板 {path}（安装不完整）；源码目录中请运行 python tools/build_xlsx_templates.py"
        ) from None


def _layout_of(report: AnnualReport) -> ReportFormat:
    return report.layout


def _form_values(report: AnnualReport) -> dict[str, Any]:
    """The value of every input cell of the form for ``report``; declared totals where given."""
    layout = _layout_of(report)
    values: dict[str, Any] = {
        "agency.name": report.agency.name,
        "agency.title_name": report.agency.title_name,
        "agency.kind": report.agency.kind.label,
        "report.year": report.year,
        "report.signed_on": report.report.signed_on,
        "report.published_on": report.report.published_on,
        "report.preamble": report.report.preamble,
        "problems.text": report.problems.text,
        "other.text": report.other.text,
    }
    for sub in (*layout.overview_subsections, layout.accountability):
        values[f"overview.{sub.key}"] = getattr(report.overview, sub.key)
    values["overview.intro"] = report.overview.intro
    fees = report.other.information_fees
    if fees is not None:
        values["other.information_fees.notices"] = fees.notices
        values["other.information_fees.notified_yuan"] = fees.notified_yuan
        values["other.information_fees.collected_yuan"] = fees.collected_yuan
    for path, value in input_cells(report).items():  # tables 二, 三, 四; stated totals under their paths
        values[path] = str(value) or None if isinstance(value, Blank) else value
    for field in field_cells(FORM_KIND, layout):
        if field.kind is FieldKind.UNIT:  # the stated unit of an amount (2019: 采购总金额)
            unit = report.proactive.unit(field.field.removeprefix("proactive.").removesuffix(UNIT_SUFFIX))
            values[field.field] = unit.value if unit is not None else None
    return values


def fill_form(report: AnnualReport, *, side_texts: Mapping[str, str] | None = None, side_heading: str = "") -> bytes:
    """The input form filled with ``report`` (for tests, and for offices moving a figures file to Excel).

    Computed totals stay live formulas; a total the report *declares* is typed over its formula, as a
    person would, so reading the form back gives the same report. A text longer than an Excel cell holds
    (32,767 characters) raises :class:`RenderError` naming its cell: cutting it would lose the data.

    ``side_texts`` (model path -> text, ``reportkit next``: last year's texts) are written in the column right
    of each text cell, under ``side_heading``, for reference: the reader never reads that column."""
    layout = _layout_of(report)
    values = _form_values(report)
    too_long = [
        Problem(field.where, f"{field.row_label}：{excel_length(values[field.field])} 个字符，超过 {EXCEL_CELL_CHARS}")
        for field in field_cells(FORM_KIND, layout)
        if isinstance(values.get(field.field), str) and excel_length(values[field.field]) > EXCEL_CELL_CHARS
    ]
    if too_long:
        raise RenderError(
            f"文字过长，Excel 单元格最多容纳 {EXCEL_CELL_CHARS} 个字符，填报表放不下（截断会丢失内容）；"
            "请精简文字，或继续使用数据文件（.toml/.json）",
            problems=too_long,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(io.BytesIO(blank_form(layout)))
    for field in field_cells(FORM_KIND, layout):
        if field.field not in values:
            continue
        value = values[field.field]
        cell = _named_cell(wb, field.name)
        if cell is None:  # pragma: no cover - the shipped form has every name
            continue
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, str):
            # Excel reads "_x0041_" as an escaped character (ST_Xstring); escape the underscore so it stays text.
            value = _ESCAPE_LIKE.sub("_x005F_", clean_xml_text(value))
        cell.value = None if value == "" else value
        if isinstance(value, str):
            cell.data_type = "s"  # a text beginning with "=" is text, not a formula
    if side_texts:
        _write_side_texts(wb, side_texts, side_heading)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_side_texts(wb: Workbook, texts: Mapping[str, str], heading: str) -> None:
    from openpyxl.styles import Alignment, Font

    note = Font(color="595959")
    placed = False
    for field in field_cells(FORM_KIND):
        text = texts.get(field.field)
        cell = _named_cell(wb, field.name) if text else None
        if cell is None or text is None:
            continue
        side = cell.offset(column=1)
        text = clean_xml_text(text)  # before measuring: a lone surrogate has no UTF-16 length
        if excel_length(text) > EXCEL_CELL_CHARS:  # a reference copy: cut (astral characters count twice)
            text = text[: EXCEL_CELL_CHARS // 2] + "…"
        side.value = _ESCAPE_LIKE.sub("_x005F_", text)
        side.data_type = "s"
        side.font = note
        side.alignment = Alignment(wrap_text=True, vertical="top")
        if not placed:
            sheet = cell.parent
            sheet.column_dimensions[side.column_letter].width = 60
            top = sheet.cell(row=2, column=side.column)
            top.value, top.font = heading, Font(bold=True, color="595959")
            top.alignment = Alignment(wrap_text=True, vertical="top")
            placed = True


def _named_cell(wb: Workbook, name: str) -> OpenpyxlCell | None:
    try:
        defined = wb.defined_names[name]
        sheet, coord = next(iter(defined.destinations))
        cell: OpenpyxlCell = wb[sheet][coord.replace("$", "")]
        return cell
    except (KeyError, StopIteration, ValueError, TypeError, AttributeError):
        return None


# ---------------------------------------------------------------------------------------------------
# Where a finding's field is on the form
# ---------------------------------------------------------------------------------------------------


def form_cell(field: str, layout: ReportFormat | None = None) -> str | None:
    """The cell of the blank form that holds a finding's field (``Finding.location.field``).

    ``applications.withheld.state_secret.natural_person`` → ``三、依申请公开!D10``; a field that covers
    several cells (``applications.*.natural_person``, ``other.information_fees``) gives their range;
    a field the form has no cell for gives None. ``layout`` is the report's format (the newest when omitted).
    """
    cells = field_cells(FORM_KIND, layout)
    by_field = {cell.field: cell for cell in cells}
    if field in by_field:
        return by_field[field].where
    if field.startswith("applications.*."):
        column = field.rpartition(".")[2]
        matched = [c for c in cells if c.field.startswith("applications.") and c.field.rpartition(".")[2] == column]
    else:
        matched = [c for c in cells if c.field.startswith(field + ".")]
    if not matched:
        return None
    first, last = matched[0], matched[-1]
    return first.where if first is last else f"{first.where}:{last.coord}"


# ---------------------------------------------------------------------------------------------------
# Reading a filled form
# ---------------------------------------------------------------------------------------------------


def _check_archive(data: bytes, source: str) -> None:
    """Refuse what is not a workbook, or is unsafe to parse (see :mod:`reportkit.safezip`), before any XML
    parser sees it."""
    limits = ArchiveLimits(
        max_file_bytes=MAX_FORM_BYTES, max_members=MAX_MEMBERS, max_expanded_bytes=MAX_EXPANDED_BYTES
    )
    inspect_archive(data, error=FormError, name=source, what="Excel 工作簿（.xlsx）", limits=limits)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise FormError("文件不是 Excel 工作簿（缺少 xl/workbook.xml），请选择 .xlsx 填报表", source=source)


def _check_identity(package: XlsxPackage, source: str) -> ReportFormat:
    """The format of the form (refusing what is not a form of a known format and version)."""
    props = package.properties
    kind = props.get(PROP_KIND)
    has_names = bool(package.names)
    if kind is None and not has_names:
        raise FormError(
            "这不是 reportkit 的填报表（找不到填报表标识）；请用 reportkit init --xlsx 生成填报表，填写后再读取",
            source=source,
        )
    if kind == TABLES_KIND:
        raise FormError("这是 reportkit 生成的报告表格，不是填报表；请读取填报表或数据文件", source=source)
    if kind is not None and kind != FORM_KIND:
        raise FormError(f"未知的工作簿类型“{kind}”，不是填报表", source=source)
    format_id = props.get(PROP_FORMAT)
    layout: ReportFormat | None = None
    if format_id is not None:
        try:
            layout = get_format(format_id)
        except UnknownFormatError as exc:
            raise FormError(f"填报表的报告格式为“{format_id}”：{exc}", source=source) from None
    version = props.get(PROP_VERSION)
    if version is None or format_id is None:
        raise FormError(
            "填报表缺少格式或版本标识（文档属性 reportkit.format / reportkit.template_version）；"
            "请用 reportkit init --xlsx 生成新的填报表并转填数据",
            source=source,
        )
    if version != FORM_VERSION:
        raise FormError(
            f"填报表版本为 {version}，本程序读取版本 {FORM_VERSION}；"
            "请用 reportkit init --xlsx 生成新的填报表并转填数据",
            source=source,
        )
    assert layout is not None
    return layout


def _is_form_name(name: str) -> bool:
    return name.casefold().startswith(NAME_PREFIX)


_TARGET: Final = re.compile(r"(?:'((?:[^']|'')+)'|([^'!:\[\],\s]+))!\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_RANGE_TARGET: Final = re.compile(r".+!\$?[A-Za-z]{1,3}\$?[0-9]{1,7}:\$?[A-Za-z]{1,3}\$?[0-9]{1,7}")


def _target(text: str) -> tuple[str, int, int] | str:
    """The (sheet, row, column) a defined name points at, or why it does not point at one cell."""
    text = text.strip().removeprefix("=")
    if "#REF!" in text.upper():
        return "引用已失效（#REF!），所指的单元格或工作表可能已被删除"
    if text.startswith("[") or "]" in text.partition("!")[0]:
        return f"指向其他工作簿（{text[:80]}）"
    match = _TARGET.fullmatch(text)
    if match is None:
        if _RANGE_TARGET.fullmatch(text):
            return f"应指向一个单元格，而不是区域 {text[:80]}"
        return f"不是一个单元格的引用（{text[:80] or '空'}）"
    sheet = match.group(1).replace("''", "'") if match.group(1) is not None else match.group(2)
    place = split_cell(f"{match.group(3).upper()}{match.group(4)}")
    if place is None:
        return f"不是一个单元格的引用（{text[:80]}）"
    return sheet, place[0], place[1]


def _labels(field: FieldCell) -> str:
    if not field.column_label:
        return f"“{field.row_label}”" if field.row_label else ""
    parts = []
    if field.row_label:
        parts.append(f"行“{field.row_label}”")
    if field.column_label:
        parts.append(f"列“{field.column_label}”")
    return "，".join(parts)


def _show(value: CellValue) -> str:
    """A stored value as a message quotes it."""
    if value is None:
        return "（空）"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, str):
        return f"“{value[:40]}{'…' if len(value) > 40 else ''}”"
    return str(value)


def _number_of(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 1e16 else value


def _agrees(stored: CellValue, computed: float) -> bool:
    if isinstance(stored, bool) or not isinstance(stored, int | float):
        return False
    return abs(float(stored) - computed) <= 1e-9 * max(1.0, abs(computed))


def _is_empty(cell: Cell | None) -> bool:
    if cell is None:
        return True
    if cell.is_formula:
        return False
    return cell.value is None or (isinstance(cell.value, str) and not cell.value.strip())


@frozen
class _Located:
    """Where a field's defined name points in the filled workbook."""

    sheet: str
    row: int
    col: int

    @property
    def where(self) -> str:
        return f"{self.sheet}!{cell_name(self.row, self.col)}"


class _Picked:
    """The cell a field's value is read from (the named cell, or another cell of its original merged span)."""

    __slots__ = ("cell", "sheet", "where")

    def __init__(self, sheet: str, where: str, cell: Cell | None) -> None:
        self.sheet = sheet
        self.where = where
        self.cell = cell


class _Failed:
    """A value that could not be read (a problem says why)."""


_FAILED: Final = _Failed()


class _Reader:
    """Reads every named cell of one workbook: locates and verifies the names, reads the cells, and
    collects problems, notes and the place of every value."""

    def __init__(self, package: XlsxPackage, source: str, layout: ReportFormat) -> None:
        self.package = package
        self.source = source
        self.layout = layout
        self.fields = {cell.field: cell for cell in field_cells(FORM_KIND, layout)}
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []
        self.blank: list[str] = []
        self.places: dict[str, str] = {}
        self.located: dict[str, _Located] = {}
        self.areas: dict[str, Area] = {}
        self.cells: dict[str, dict[tuple[int, int], Cell]] = {}
        self._picked: dict[str, _Picked | None] = {}
        self._date_styles: frozenset[int] | None = None

    # -- the names, and where they point -------------------------------------------------------------

    def locate(self) -> None:
        """Find every field's defined name, refuse duplicates, references that are not one cell, and
        cells implausibly far down; then read the cells and verify each name by its labels."""
        package = self.package
        definitions: dict[str, list[DefinedName]] = {}
        for defined in package.names:
            definitions.setdefault(defined.name.casefold(), []).append(defined)
        problems: list[Problem] = []
        far: list[Problem] = []
        for field in self.fields.values():
            found = definitions.get(field.name.casefold(), [])
            if not found:
                missing = f"找不到名称 {field.name}（{_labels(field)}）；填报表的结构已被破坏，请重新生成"
                problems.append(Problem(field.where, missing))
                continue
            if len(found) > 1:
                scopes = "、".join(self._scope(defined) for defined in found)
                problems.append(
                    Problem(
                        field.where,
                        f"名称 {field.name} 定义了 {len(found)} 次（{scopes}），无法确定读取哪一个；"
                        "请在“公式 → 名称管理器”中删除多余的定义，或重新生成填报表",
                    )
                )
                continue
            target = _target(found[0].text)
            if isinstance(target, str):
                problems.append(Problem(field.where, f"名称 {field.name}（{_labels(field)}）{target}"))
                continue
            sheet_name, row, col = target
            sheet = package.sheet(sheet_name)
            if sheet is None or not sheet.part:
                problems.append(
                    Problem(field.where, f"名称 {field.name}（{_labels(field)}）指向的工作表“{sheet_name}”不存在")
                )
                continue
            located = _Located(sheet.name, row, col)
            if row > MAX_FORM_ROW or col > MAX_FORM_COLUMN:
                far.append(Problem(located.where, f"名称 {field.name}（{_labels(field)}）"))
                continue
            self.located[field.field] = located
        if far:
            raise FormError(
                f"填报表中有 {len(far)} 个单元格名称指向第 {MAX_FORM_ROW} 行以下或第 {MAX_FORM_COLUMN} 列以右，"
                "不像是填报表（可能插入了大量的行）；请删除多余的行，或用 reportkit init --xlsx 重新生成填报表",
                source=self.source,
                problems=far,
            )
        by_cell: dict[_Located, list[FieldCell]] = {}
        for key, located in self.located.items():
            by_cell.setdefault(located, []).append(self.fields[key])
        for located, fields in by_cell.items():
            if len(fields) > 1:
                names = "、".join(field.name for field in fields)
                problems.append(Problem(located.where, f"{len(fields)} 个名称（{names}）指向同一个单元格"))
        self._read_cells()
        problems.extend(self._verify())
        if problems:
            raise FormError(
                f"填报表的单元格名称有 {len(problems)} 处与填报表版本 {FORM_VERSION} 不符（名称被改指、重复定义，"
                "或表格结构被改动），读取会张冠李戴，已拒绝；请按下列提示改正（公式 → 名称管理器），"
                "或用 reportkit init --xlsx 重新生成填报表并转填数据",
                source=self.source,
                problems=problems,
            )

    def _scope(self, defined: DefinedName) -> str:
        if defined.local_sheet is None:
            return "工作簿级"
        sheets = self.package.sheets
        name = sheets[defined.local_sheet].name if defined.local_sheet < len(sheets) else str(defined.local_sheet)
        return f"工作表“{name}”级"

    def _read_cells(self) -> None:
        groups: dict[str, list[tuple[FieldCell, _Located]]] = {}
        for key, located in self.located.items():
            groups.setdefault(located.sheet, []).append((self.fields[key], located))
        for sheet, members in groups.items():
            columns: set[int] = set()
            for field, at in members:
                columns.add(at.col)
                columns.update(at.col + offset for offset, _ in field.column_texts if at.col + offset >= 1)
            self.areas[sheet] = Area(
                max_row=max(at.row for _, at in members),
                columns=frozenset(columns),
                rows=frozenset(at.row for _, at in members),
                max_col=max(at.col + field.span - 1 for field, at in members),
                full_text=frozenset((at.row, at.col + k) for field, at in members for k in range(field.span)),
            )
        self.cells = self.package.read(self.areas)

    def _verify(self) -> list[Problem]:
        """Each name against the layout: its sheet, its row label and its column header labels."""
        problems: list[Problem] = []
        named: dict[str, set[tuple[int, int]]] = {}
        for located in self.located.values():
            named.setdefault(located.sheet, set()).add((located.row, located.col))
        texts = {
            sheet: {
                place: label_text(cell.value)
                for place, cell in cells.items()
                if isinstance(cell.value, str) and not cell.is_formula and cell.value.strip()
            }
            for sheet, cells in self.cells.items()
        }
        for key, at in self.located.items():
            field = self.fields[key]
            if at.sheet.casefold() != field.sheet.casefold():
                moved = f"名称 {field.name}（{_labels(field)}）应在工作表“{field.sheet}”，实际指向“{at.sheet}”"
                problems.append(Problem(at.where, moved))
                continue
            sheet_texts, sheet_named = texts[at.sheet], named[at.sheet]
            row_found = row_texts_at(sheet_texts, sheet_named, at.row, at.col)
            expected_columns = tuple(text for _, text in field.column_texts)
            offsets = [offset for offset, _ in field.column_texts]
            column_found = column_texts_at(sheet_texts, sheet_named, at.row, at.col, offsets)
            if row_found == field.row_texts and column_found == expected_columns:
                continue
            expected = _describe_labels(field.row_texts, expected_columns)
            found = _describe_labels(row_found, tuple(text for text in column_found if text))
            problems.append(
                Problem(at.where, f"名称 {field.name} 所指单元格旁的标签不符：应为{expected}，实际为{found}")
            )
        return problems

    # -- the cell of a value -----------------------------------------------------------------------

    def pick(self, field: FieldCell) -> _Picked | None:
        """The cell a field is read from; a number typed into another cell of its original merged span
        (the merge undone) is read from there with a note; different values in one span are a problem."""
        if field.field in self._picked:
            return self._picked[field.field]
        at = self.located[field.field]
        cells = self.cells[at.sheet]
        anchor = cells.get((at.row, at.col))
        picked: _Picked | None = _Picked(at.sheet, at.where, anchor)
        if field.span > 1:
            filled: list[Cell] = []
            for k in range(field.span):
                cell = cells.get((at.row, at.col + k))
                if cell is not None and not _is_empty(cell):
                    filled.append(cell)
            span = f"{cell_name(at.row, at.col)}:{cell_name(at.row, at.col + field.span - 1)}"
            if len({(cell.formula, repr(cell.value)) for cell in filled}) > 1:
                listing = "、".join(f"{cell.ref} 为 {_show(cell.value)}" for cell in filled)
                self.problem(
                    f"{at.sheet}!{span}",
                    field,
                    f"原合并单元格 {span} 中填了不同的内容（{listing}），无法确定哪一个是本项的数值；"
                    f"请只在 {cell_name(at.row, at.col)} 填写",
                )
                picked = None
            elif filled and filled[0] is not anchor:
                cell = filled[0]
                where = f"{at.sheet}!{cell.ref}"
                self.notes.append(
                    Problem(
                        where,
                        f"{_labels(field)}：数值填在 {cell.ref}，而不在 {cell_name(at.row, at.col)}"
                        f"（原合并单元格 {span} 已被拆分）；已按 {cell.ref} 读取，请核对",
                    )
                )
                picked = _Picked(at.sheet, where, cell)
        self._picked[field.field] = picked
        if picked is not None:
            self.places[field.field] = picked.where
        else:
            self.places[field.field] = at.where
        return picked

    def where(self, field: FieldCell) -> str:
        """The real cell of a field (after any rows inserted), for messages."""
        picked = self.pick(field)
        return picked.where if picked is not None else self.located[field.field].where

    def problem(self, where: str, field: FieldCell, message: str) -> None:
        labels = _labels(field)
        self.problems.append(Problem(where, f"{labels}：{message}" if labels else message))

    def note(self, where: str, field: FieldCell, message: str) -> None:
        labels = _labels(field)
        self.notes.append(Problem(where, f"{labels}：{message}" if labels else message))

    # -- formulas ----------------------------------------------------------------------------------

    def _lookup(self, here: str) -> Callable[[str | None, int, int], object]:
        def lookup(sheet_name: str | None, row: int, col: int) -> object:
            entry = self.package.sheet(sheet_name) if sheet_name is not None else self.package.sheet(here)
            if entry is None or entry.name not in self.areas:
                return NOT_READ
            area = self.areas[entry.name]
            if row > area.max_row or not area.keeps(row, col):
                return NOT_READ
            cell = self.cells[entry.name].get((row, col))
            if cell is None:
                return None
            if cell.is_formula and cell.value is None:
                return NO_RESULT
            return cell.value

        return lookup

    def _external(self, formula: str) -> str:
        """The other workbooks a formula refers to, as a note names them ('' when none)."""
        found = external_references(formula)
        if not found:
            return ""
        books = []
        for ref in found:
            match = re.match(r"'?\[(\d+)\]", ref)
            if match and 1 <= int(match.group(1)) <= len(self.package.external_workbooks):
                target = self.package.external_workbooks[int(match.group(1)) - 1]
                books.append(f"{ref}，即 {target}" if target else ref)
            else:
                books.append(ref)
        return "；".join(books[:3]) + ("等" if len(books) > 3 else "")

    def formula_result(self, field: FieldCell, picked: _Picked, cell: Cell) -> CellValue | _Failed:
        """The value of an input cell holding a formula: its stored result, checked against its arguments
        where the formula is simple enough; _FAILED (with a problem) when there is no usable result."""
        where = picked.where
        shown = "=" + cell.formula if cell.formula else "（内容缺失的共享公式）"
        if cell.value is None:
            self.problem(where, field, f"单元格中是公式（{shown[:60]}）且没有计算结果；请直接填写数值")
            return _FAILED
        if isinstance(cell.value, ErrorValue):
            self.problem(where, field, f"公式 {shown[:60]} 的结果是错误值 {cell.value}；请改正公式，或直接填写数值")
            return _FAILED
        external = self._external(cell.formula or "")
        if external:
            self.note(
                where,
                field,
                f"公式 {shown[:60]} 引用了其他工作簿（{external}），结果无法核对，可能已经过时；"
                f"已按文件中保存的结果 {_show(cell.value)} 读取，请核对",
            )
            return cell.value
        result = self._evaluate(picked, cell)
        if isinstance(result, Verified):
            if _agrees(cell.value, result.value):
                return cell.value
            computed = _number_of(result.value)
            self.note(
                where,
                field,
                f"公式 {shown[:60]} 按其参数应为 {computed}，文件中保存的结果却是 {_show(cell.value)}"
                f"（保存前没有重新计算）；已按 {computed} 读取，请在 Excel 中重新计算后核对",
            )
            return computed
        self.note(
            where,
            field,
            f"公式 {shown[:60]} 无法核对（{result.reason}）；已按文件中保存的结果 {_show(cell.value)} 读取，请核对",
        )
        return cell.value

    def _evaluate(self, picked: _Picked, cell: Cell) -> Verified | NotVerifiable:
        if not cell.formula:
            return NotVerifiable("共享公式缺少其主公式")
        if cell.formula_kind:
            return NotVerifiable("数组公式或模拟运算表")
        return evaluate(cell.formula, self._lookup(picked.sheet))

    def check_total(self, field: FieldCell, picked: _Picked, cell: Cell) -> None:
        """A total's formula: its stored result is not used (totals are computed), but a stale or
        unverifiable one is said, since the printed form shows it."""
        shown = "=" + cell.formula if cell.formula else "（内容缺失的共享公式）"
        recomputed = "reportkit 按各项数值重新计算总计，请核对打印出的表格"
        external = self._external(cell.formula or "")
        if external:
            self.note(picked.where, field, f"总计公式 {shown[:60]} 引用了其他工作簿（{external}）；{recomputed}")
            return
        if cell.value is None:
            return  # saved by a program that does not calculate (openpyxl): nothing stored to check
        if isinstance(cell.value, ErrorValue):
            self.note(picked.where, field, f"总计公式 {shown[:60]} 的结果是错误值 {cell.value}；{recomputed}")
            return
        result = self._evaluate(picked, cell)
        if isinstance(result, Verified):
            if not _agrees(cell.value, result.value):
                self.note(
                    picked.where,
                    field,
                    f"总计公式 {shown[:60]} 保存的结果是 {_show(cell.value)}，按其参数应为 "
                    f"{_number_of(result.value)}（保存前没有重新计算）；{recomputed}",
                )
            return
        self.note(picked.where, field, f"总计公式 {shown[:60]} 无法核对（{result.reason}）；{recomputed}")

    # -- values ------------------------------------------------------------------------------------

    def stored(self, field: FieldCell) -> tuple[str, CellValue] | None:
        """(where, value) of a field: the typed value, or a formula's checked result; None after a problem."""
        picked = self.pick(field)
        if picked is None:
            return None
        cell = picked.cell
        if cell is None:
            return picked.where, None
        if cell.truncated or (isinstance(cell.value, str) and excel_length(cell.value) > EXCEL_CELL_CHARS):
            self.problem(picked.where, field, f"内容超过 Excel 单元格的上限（{EXCEL_CELL_CHARS} 个字符）")
            return None
        if cell.is_formula:
            value = self.formula_result(field, picked, cell)
            if isinstance(value, _Failed):
                return None
            return picked.where, value
        if isinstance(cell.value, ErrorValue):
            self.problem(picked.where, field, f"单元格中是错误值 {cell.value}；请直接填写数值")
            return None
        return picked.where, cell.value

    def is_blank(self, field: FieldCell) -> bool:
        picked = self.pick(field)
        return picked is not None and _is_empty(picked.cell)

    def number(self, field: FieldCell, parse: Callable[[object], Any]) -> Any:
        """An input number; blank gives None (the caller decides), a problem gives None too."""
        found = self.stored(field)
        if found is None:
            return None
        where, value = found
        if value is None or (isinstance(value, str) and not value.strip()):
            self.blank.append(where)
            return None
        shown_date = self._as_date(field, value)
        if shown_date is not None:
            self.problem(
                where,
                field,
                f"单元格是日期格式（显示为 {shown_date.date().isoformat()}），这里应填数值；"
                "请把单元格格式改为“常规”或“数值”后重新填写",
            )
            return None
        try:
            return parse(value)
        except ValueProblem as exc:
            self.problem(where, field, str(exc))
            return None

    def count(self, field: FieldCell) -> int:
        value = self.number(field, parse_count)
        return 0 if value is None else int(value)

    def signed_count(self, field: FieldCell) -> int:
        """A whole number that may be negative (2019: 本年增/减)."""
        value = self.number(field, parse_signed_count)
        return 0 if value is None else int(value)

    def unit(self, field: FieldCell) -> Unit | None:
        """The unit an amount's UNIT cell states (元 or 万元); blank reads as 元 with a note."""
        found = self.stored(field)
        if found is None:
            return None
        where, value = found
        text = "" if value is None else str(value).strip()
        if not text:
            self.notes.append(Problem(where, f"{_labels(field)}：金额单位留空，按元读取"))
            return Unit.YUAN
        for unit in Unit:
            if text == unit.value:
                return unit
        self.problem(where, field, f"金额单位应为“元”或“万元”，而不是 {_show(value)}")
        return None

    def amount(self, field: FieldCell, unit: Unit | None = None) -> Decimal | None:
        """An amount in the unit of its cell (万元 or 元, or ``unit`` for an amount whose unit the form
        states beside it); the other unit is converted, with a note."""
        if unit is None:
            unit = Unit.YUAN if field.kind in (FieldKind.YUAN, FieldKind.AMOUNT) else Unit.WAN_YUAN
        converted: list[str] = []
        value = self.number(field, lambda raw: parse_amount(raw, unit, converted))
        if converted:
            where = self.places.get(field.field, field.where)
            self.notes.extend(Problem(where, f"{_labels(field)}：{note}") for note in converted)
        return value  # type: ignore[no-any-return]

    def declared(self, field: FieldCell) -> int | None:
        """A total cell: its formula means computed (None); a number typed over it is a declared total."""
        picked = self.pick(field)
        if picked is None:
            return None
        cell = picked.cell
        if cell is not None and cell.is_formula:
            self.check_total(field, picked, cell)
            return None
        if _is_empty(cell):
            self.notes.append(Problem(picked.where, f"{_labels(field)}：总计单元格的公式已被删除，按自动计算处理"))
            return None
        assert cell is not None
        if isinstance(cell.value, ErrorValue):
            self.problem(picked.where, field, f"单元格中是错误值 {cell.value}；请恢复总计公式，或填写数值")
            return None
        try:
            return parse_count(cell.value)
        except ValueProblem as exc:
            self.problem(picked.where, field, str(exc))
            return None

    def _is_date_style(self, cell: Cell | None) -> bool:
        if cell is None or not cell.style:
            return False
        if self._date_styles is None:
            styles = {
                kept.style
                for cells in self.cells.values()
                for kept in cells.values()
                if kept.style and isinstance(kept.value, int | float)
            }
            self._date_styles = self.package.date_styles(styles | {cell.style})
        return cell.style in self._date_styles

    def _as_date(self, field: FieldCell, value: CellValue) -> dt.datetime | None:
        """The date a number shows as, when its cell has a date format (None otherwise)."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 2958466:
            return None
        picked = self.pick(field)
        if picked is None or not self._is_date_style(picked.cell):
            return None
        return self._serial_date(float(value))

    def _serial_date(self, value: float) -> dt.datetime:
        epoch = _EXCEL_EPOCH_1904 if self.package.date1904 else _EXCEL_EPOCH
        return epoch + dt.timedelta(days=value)

    def text(self, field: FieldCell) -> str:
        found = self.stored(field)
        if found is None:
            return ""
        _, value = found
        if value is None:
            return ""
        shown_date = self._as_date(field, value)
        if shown_date is not None:
            value = shown_date
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, dt.datetime | dt.date):
            return value.isoformat()
        text = str(value).replace("\r\n", "\n").replace("\r", "\n")
        problem = text_problem(text, one_line=field.kind is FieldKind.NAME or field.field.startswith("agency."))
        if problem is not None:  # the form is refused; the text is kept so no "必须填写" follows
            self.problem(found[0], field, problem)
        return text

    def date(self, field: FieldCell) -> dt.date | None:
        found = self.stored(field)
        if found is None:
            return None
        where, value = found
        if value is None or (isinstance(value, str) and not value.strip()):
            if field.required:
                self.problem(where, field, "必须填写")
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and 20000 <= value <= 80000:
            value = self._serial_date(float(value))
        try:
            return parse_date(value)
        except ValueProblem as exc:
            self.problem(where, field, str(exc))
            return None


def _describe_labels(row: tuple[str, ...], columns: tuple[str, ...]) -> str:
    parts = []
    if row:
        parts.append(f"行“{' '.join(row)}”")
    if columns:
        parts.append(f"列“{' '.join(columns)}”")
    return "，".join(parts) if parts else "（没有标签）"


def _read_bytes(path: str | os.PathLike[str], source: str) -> bytes:
    try:
        data = read_at_most(path, MAX_FORM_BYTES)
    except FileNotFoundError:
        raise FormError("文件不存在，请检查路径", source=source) from None
    except IsADirectoryError:
        raise FormError("这是一个文件夹，不是填报表", source=source) from None
    except OSError as exc:
        raise FormError(f"无法读取文件：{exc.strerror}", source=source) from None
    if data is None:
        raise FormError(f"文件过大（超过上限 {MAX_FORM_BYTES} 字节），不像是一份填报表", source=source)
    return data


def read(path: str | os.PathLike[str]) -> Loaded:
    """A filled form as a :class:`~reportkit.loaded.Loaded`: the report, its notes, and the cell where each
    value really stands (after any rows the office inserted), so findings name the real cell.

    Raises :class:`FormError` listing every problem at once: cells that are not numbers, defined names that
    no longer point at their cells, a workbook that is not a form, a form of another version, a corrupt or
    oversized file."""
    source = str(path)
    data = _read_bytes(path, source)
    _check_archive(data, source)
    with XlsxPackage(data, source=source, error=FormError, keep_name=_is_form_name) as package:
        layout = _check_identity(package, source)
        reader = _Reader(package, source, layout)
        reader.locate()
        report, notes = _read(reader, source)
    places = {key: reader.places[key] for key in reader.fields if key in reader.places}  # in layout order
    return Loaded(report, source, tuple(notes), places)


def read_form_with_notes(path: str | os.PathLike[str]) -> tuple[AnnualReport, list[Problem]]:
    """A report from a filled input form, and the notes on it (the blank cells read as 0 …).

    Raises :class:`FormError` listing every problem at once (see :func:`read`)."""
    loaded = read(path)
    return loaded.report, list(loaded.notes)


def read_form(path: str | os.PathLike[str]) -> AnnualReport:
    """A report from a filled input form; the notes (blank cells read as 0 …) are logged as warnings."""
    report, notes = read_form_with_notes(path)
    for note in notes:
        log.warning("%s: %s", path, note)
    return report


def blank_ranges(places: list[str]) -> str:
    """Cells (``三、依申请公开!D6`` …) as the rectangles they fill, each sheet named once:
    ``三、依申请公开!D6:I27、D29:I29；四、复议诉讼!A6:D6…`` (a blank form listed 200 cells one by one)."""
    by_sheet: dict[str, set[tuple[int, int]]] = {}
    for place in places:
        sheet, _, coord = place.rpartition("!")
        cell = split_cell(coord)
        if cell is not None:
            by_sheet.setdefault(sheet, set()).add(cell)
    parts = []
    for sheet, cells in by_sheet.items():
        runs: dict[int, list[tuple[int, int]]] = {}  # row -> runs of consecutive columns
        for row, col in sorted(cells):
            line = runs.setdefault(row, [])
            if line and line[-1][1] == col - 1:
                line[-1] = (line[-1][0], col)
            else:
                line.append((col, col))
        growing: dict[tuple[int, int], int] = {}  # (first col, last col) -> first row, ending at the row before
        done: list[tuple[int, int, int, int]] = []  # first row, first col, last row, last col
        previous = None
        for row in sorted(runs):
            if previous != row - 1:  # a gap of rows closes every rectangle
                done.extend((top, run[0], previous or row, run[1]) for run, top in growing.items())
                growing = {}
            following = {run: growing.pop(run, row) for run in runs[row]}
            done.extend((top, run[0], row - 1, run[1]) for run, top in growing.items())
            growing, previous = following, row
        done.extend((top, run[0], previous or 0, run[1]) for run, top in growing.items())
        shown = []
        for top, left, bottom, right in sorted(done):
            first = cell_name(top, left)
            shown.append(first if (top, left) == (bottom, right) else f"{first}:{cell_name(bottom, right)}")
        parts.append(f"{sheet}!{'、'.join(shown)}")
    return "；".join(parts)


def _read(reader: _Reader, source: str) -> tuple[AnnualReport, list[Problem]]:
    fields = reader.fields
    layout = reader.layout

    # Basic information
    name = reader.text(fields["agency.name"]).strip()
    if not name:
        reader.problem(reader.where(fields["agency.name"]), fields["agency.name"], "必须填写")
    title_name = reader.text(fields["agency.title_name"]).strip() or None
    kind: AgencyKind | None = None
    kind_field = fields["agency.kind"]
    kind_text = reader.text(kind_field).strip()
    if not kind_text:
        reader.problem(reader.where(kind_field), kind_field, "必须填写（人民政府、部门、乡镇或街道）")
    else:
        try:
            kind = AgencyKind.parse(kind_text)
        except ValueError as exc:
            reader.problem(reader.where(kind_field), kind_field, str(exc))
    year_field = fields["report.year"]
    year: int | None = None
    if reader.is_blank(year_field):
        reader.problem(reader.where(year_field), year_field, "必须填写")
    else:
        year = reader.number(year_field, parse_count)
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        reader.problem(reader.where(year_field), year_field, f"年份 {year} 不合理，应为四位数年份，如 2021")
        year = None
    signed_on = reader.date(fields["report.signed_on"])
    published_on = reader.date(fields["report.published_on"])

    texts = {
        key: reader.text(field)
        for key, field in fields.items()
        if field.kind is FieldKind.TEXT and key != "agency.title_name"
    }

    # Tables 二, 三, 四: every cell by its key path, then the model of the form's format
    table_values: dict[str, Any] = {}
    units: dict[str, Unit | None] = {}
    for key, field in fields.items():
        if field.kind is FieldKind.UNIT:
            units[key.removeprefix("proactive.").removesuffix(UNIT_SUFFIX)] = reader.unit(field)
    for key, field in fields.items():
        if not key.startswith(_TABLE_PREFIXES) or field.kind is FieldKind.UNIT:
            continue
        if field.total:
            declared = reader.declared(field)
            if declared is not None:
                table_values[key] = declared
        elif field.kind is FieldKind.SIGNED_COUNT:
            table_values[key] = reader.signed_count(field)
        elif field.kind in (FieldKind.WAN_YUAN, FieldKind.YUAN, FieldKind.AMOUNT):
            unit = units.get(key.removeprefix("proactive."), Unit.YUAN) if field.kind is FieldKind.AMOUNT else None
            amount = reader.amount(field, unit)
            table_values[key] = Decimal(0) if amount is None else amount
        else:
            table_values[key] = reader.count(field)
    tables = None
    if not reader.problems:
        tables = from_cells(layout, table_values, units=units)
        total_key = next(leaf.key for leaf in layout.applications_table.row_leaves if leaf.kind is CellKind.TOTAL)
        typed = [path for path in table_values if path.startswith(f"applications.{total_key}.")]
        if typed:  # a total typed in the （七）总计 row: the row's other columns are the computed ones
            computed = tables.applications.total
            for column in layout.applications_table.input_columns:
                path = f"applications.{total_key}.{column.key}"
                if path not in table_values:
                    table_values[path] = computed.get(column.key)
            tables = from_cells(layout, table_values, units=units)

    # 信息处理费: all three blank means not given
    fee_fields = [field for key, field in fields.items() if key.startswith("other.information_fees.")]
    fees: InformationFees | None = None
    if not all(reader.is_blank(field) for field in fee_fields):
        fee_values: dict[str, Any] = {}
        for field in fee_fields:
            key = field.field.rpartition(".")[2]
            fee_values[key] = reader.count(field) if field.kind is FieldKind.COUNT else reader.amount(field)
        fees = InformationFees(
            notices=fee_values.get("notices") or 0,
            notified_yuan=fee_values.get("notified_yuan") or Decimal(0),
            collected_yuan=fee_values.get("collected_yuan") or Decimal(0),
        )

    if reader.problems:
        count = len(reader.problems)
        raise FormError(f"填报表有 {count} 处内容无法读取，请改正后重试", source=source, problems=reader.problems)
    assert kind is not None and year is not None and signed_on is not None and tables is not None

    notes = list(reader.notes)
    if reader.blank:
        places = blank_ranges(reader.blank)
        notes.insert(0, Problem("", f"以下 {len(reader.blank)} 个单元格留空，已按 0 读取：{places}"))
    report = AnnualReport(
        agency=Agency(name, kind, title_name),
        report=ReportInfo(year, signed_on, published_on, texts["report.preamble"]),
        overview=Overview(
            **{key.partition(".")[2]: value for key, value in texts.items() if key.startswith("overview.")}
        ),
        proactive=tables.proactive,
        applications=tables.applications,
        review_litigation=tables.review_litigation,
        problems=Problems(texts["problems.text"]),
        other=OtherMatters(texts["other.text"], fees),
        format=layout.id,
    )
    return report, notes
