"""The Excel input form: a blank form to fill, a form filled by code, and reading a filled form back.

The form (``templates/xlsx/form-2021.v1.xlsx``) is built from the format module by
``tools/build_xlsx_templates.py``. Every input cell has a defined name ``rk.<model path>``, so the reader
finds cells by name, not by position: a form that Excel or WPS edited (rows inserted, rows resized) still
reads.

Reading is forgiving about how people type numbers (blank → 0 with a note, full-width digits, spaces,
numbers stored as text, a trailing 件) and strict about what is not a number ("三件", "1O", "-1", "2.5"):
every such cell is reported at once, with its sheet, cell and row and column labels. A total typed over
its formula is kept as a declared total, which :func:`reportkit.check` compares with the computed one.

Workbooks are untrusted input: the file size, the archive's member count and its expanded size are
checked before openpyxl opens it (which parses through defusedxml), and macros are never loaded.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import warnings
import zipfile
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from attrs import evolve
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell

from reportkit.errors import FormError, Problem, RenderError
from reportkit.formats import gov2021 as fmt
from reportkit.formats.layout import CellKind, Leaf
from reportkit.loaded import Loaded
from reportkit.model import (
    Agency,
    AgencyKind,
    AnnualReport,
    ApplicantCounts,
    Applications,
    CaseOutcomes,
    DocumentCounts,
    InformationFees,
    OtherMatters,
    Overview,
    ProactiveDisclosure,
    Problems,
    ReportInfo,
    ReviewLitigation,
)
from reportkit.safezip import ArchiveLimits, inspect_archive
from reportkit.values import ValueProblem, parse_amount, parse_count, parse_date
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
    build_form,
    excel_length,
    field_cells,
    workbook_bytes,
)

__all__ = [
    "FORM_TEMPLATE_NAME",
    "MAX_FORM_BYTES",
    "blank_form",
    "fill_form",
    "form_cell",
    "read",
    "read_form",
    "read_form_with_notes",
]

log = logging.getLogger(__name__)

FORM_TEMPLATE_NAME: Final = f"form-2021.v{FORM_VERSION}.xlsx"

#: A filled form is some tens of kilobytes; larger files are refused before they are opened.
MAX_FORM_BYTES: Final = 20 * 1024 * 1024
#: Limits on the archive: its expanded size and its number of members (a zip bomb has either).
MAX_EXPANDED_BYTES: Final = 100 * 1024 * 1024
MAX_MEMBERS: Final = 2000

_EXCEL_EPOCH: Final = dt.datetime(1899, 12, 30)
#: Characters XML 1.0 cannot hold (a workbook cannot store them).
_ILLEGAL_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


# ---------------------------------------------------------------------------------------------------
# The blank form and a form filled by code
# ---------------------------------------------------------------------------------------------------


def blank_form_built() -> bytes:
    """The blank form built from the format module (what the shipped template holds)."""
    return workbook_bytes(build_form()[0])


def _shipped_path() -> Path:
    from reportkit.templates import templates_dir

    return templates_dir() / "xlsx" / FORM_TEMPLATE_NAME


@lru_cache(maxsize=1)
def blank_form() -> bytes:
    """The blank input form as ``.xlsx`` bytes (the shipped template; built when it is missing)."""
    path = _shipped_path()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return blank_form_built()


def _form_values(report: AnnualReport) -> dict[str, Any]:
    """The value of every input cell of the form for ``report``; declared totals where given."""
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
    for sub in (*fmt.OVERVIEW_SUBSECTIONS, fmt.ACCOUNTABILITY):
        values[f"overview.{sub.key}"] = getattr(report.overview, sub.key)
    values["overview.intro"] = report.overview.intro
    fees = report.other.information_fees
    if fees is not None:
        values["other.information_fees.notices"] = fees.notices
        values["other.information_fees.notified_yuan"] = fees.notified_yuan
        values["other.information_fees.collected_yuan"] = fees.collected_yuan
    for block in fmt.PROACTIVE_BLOCKS:
        for leaf in block.rows:
            for column in block.columns:
                key = block.cell_key(leaf, column)
                values[f"proactive.{key}"] = report.proactive.value(key)
    table = fmt.APPLICATIONS_TABLE
    apps = report.applications
    for row_leaf in table.row_leaves:
        row = apps.declared_total if row_leaf.kind is CellKind.TOTAL else apps.row(row_leaf.key)
        if row is None:
            continue
        for input_column in table.input_columns:
            values[f"applications.{row_leaf.key}.{input_column.key}"] = row.get(input_column.key)
        if row.declared_total is not None:
            values[f"applications.{row_leaf.key}.total"] = row.declared_total
    for group in fmt.CASE_GROUPS:
        outcomes: CaseOutcomes = getattr(report.review_litigation, group.key)
        for node in group.children:
            assert isinstance(node, Leaf)
            outcome = node.key.partition(".")[2]
            value = outcomes.declared_total if node.kind is CellKind.TOTAL else getattr(outcomes, outcome)
            if value is not None:
                values[f"review_litigation.{node.key}"] = value
    return values


def fill_form(report: AnnualReport) -> bytes:
    """The input form filled with ``report`` (for tests, and for offices moving a figures file to Excel).

    Computed totals stay live formulas; a total the report *declares* is typed over its formula, as a
    person would, so reading the form back gives the same report. A text longer than an Excel cell holds
    (32,767 characters) raises :class:`RenderError` naming its cell: cutting it would lose the data."""
    values = _form_values(report)
    too_long = [
        Problem(field.where, f"{field.row_label}：{excel_length(values[field.field])} 个字符，超过 {EXCEL_CELL_CHARS}")
        for field in field_cells(FORM_KIND)
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
        wb = load_workbook(io.BytesIO(blank_form()))
    for field in field_cells(FORM_KIND):
        if field.field not in values:
            continue
        value = values[field.field]
        cell = _named_cell(wb, field.name)
        if cell is None:  # pragma: no cover - the shipped form has every name
            continue
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, str):
            value = _ILLEGAL_XML.sub("", value)
        cell.value = None if value == "" else value
        if isinstance(value, str):
            cell.data_type = "s"  # a text beginning with "=" is text, not a formula
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _named_cell(wb: Workbook, name: str) -> Cell | None:
    try:
        defined = wb.defined_names[name]
        sheet, coord = next(iter(defined.destinations))
        cell: Cell = wb[sheet][coord.replace("$", "")]
        return cell
    except (KeyError, StopIteration, ValueError, TypeError, AttributeError):
        return None


# ---------------------------------------------------------------------------------------------------
# Where a finding's field is on the form
# ---------------------------------------------------------------------------------------------------


def form_cell(field: str) -> str | None:
    """The cell of the blank form that holds a finding's field (``Finding.location.field``).

    ``applications.withheld.state_secret.natural_person`` → ``三、依申请公开!D10``; a field that covers
    several cells (``applications.*.natural_person``, ``other.information_fees``) gives their range;
    a field the form has no cell for gives None.
    """
    cells = field_cells(FORM_KIND)
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
    """Refuse what is not a workbook, or is unsafe to parse (see :mod:`reportkit.safezip`), before openpyxl
    sees it."""
    limits = ArchiveLimits(
        max_file_bytes=MAX_FORM_BYTES, max_members=MAX_MEMBERS, max_expanded_bytes=MAX_EXPANDED_BYTES
    )
    inspect_archive(data, error=FormError, name=source, what="Excel 工作簿（.xlsx）", limits=limits)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise FormError("文件不是 Excel 工作簿（缺少 xl/workbook.xml），请选择 .xlsx 填报表", source=source)


def _open_workbook(data: bytes, source: str, *, data_only: bool = False) -> Workbook:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(data), data_only=data_only, keep_vba=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, XML errors, defusedxml)
        raise FormError(f"无法作为 Excel 工作簿读取（{type(exc).__name__}: {exc}）", source=source) from None


def _check_identity(wb: Workbook, source: str) -> None:
    props = {prop.name: str(prop.value) for prop in wb.custom_doc_props}
    kind = props.get(PROP_KIND)
    has_names = any(name.startswith(NAME_PREFIX) for name in wb.defined_names)
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
    if format_id is not None and format_id != fmt.FORMAT_ID:
        raise FormError(f"填报表的报告格式为“{format_id}”，本程序读取的是“{fmt.FORMAT_ID}”", source=source)
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


class _Reader:
    """Reads every named cell of one workbook, collecting problems and notes."""

    def __init__(self, wb: Workbook, data: bytes, source: str) -> None:
        self.wb = wb
        self.data = data
        self.source = source
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []
        self.blank: list[str] = []
        self._cached: Workbook | None = None

    def locate(self, field: FieldCell) -> tuple[str, str, Cell] | None:
        """The sheet, cell reference and cell of a field in this workbook (by its defined name)."""
        try:
            defined = self.wb.defined_names[field.name]
            destinations = list(defined.destinations)
            sheet, coord = destinations[0]
            coord = coord.replace("$", "")
            cell: Cell = self.wb[sheet][coord]
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):
            self.problems.append(
                Problem(
                    field.where, f"找不到名称 {field.name}（{self._labels(field)}）；填报表的结构已被破坏，请重新生成"
                )
            )
            return None
        if isinstance(cell, tuple):  # a range, not one cell
            self.problems.append(Problem(f"{sheet}!{coord}", f"名称 {field.name} 应指向一个单元格"))
            return None
        return sheet, coord, cell

    @staticmethod
    def _labels(field: FieldCell) -> str:
        if not field.column_label:
            return f"“{field.row_label}”" if field.row_label else ""
        parts = []
        if field.row_label:
            parts.append(f"行“{field.row_label}”")
        if field.column_label:
            parts.append(f"列“{field.column_label}”")
        return "，".join(parts)

    def problem(self, where: str, field: FieldCell, message: str) -> None:
        labels = self._labels(field)
        self.problems.append(Problem(where, f"{labels}：{message}" if labels else message))

    def raw(self, field: FieldCell) -> tuple[str, Any, bool] | None:
        """(where, value, is_formula) of a field's cell."""
        located = self.locate(field)
        if located is None:
            return None
        sheet, coord, cell = located
        value = cell.value
        formula = cell.data_type == "f" or (isinstance(value, str) and value.startswith("=") and cell.data_type != "s")
        if not isinstance(value, str | int | float | Decimal | dt.date | dt.datetime | dt.time | bool | None):
            formula = True  # ArrayFormula and the like
        return f"{sheet}!{coord}", value, formula

    def cached(self, where: str) -> Any:
        """The value Excel stored for a formula cell (the workbook is loaded a second time, once)."""
        if self._cached is None:
            self._cached = _open_workbook(self.data, self.source, data_only=True)
        sheet, _, coord = where.rpartition("!")
        return self._cached[sheet][coord].value

    def number(self, field: FieldCell, parse: Callable[[object], Any]) -> Any:
        """An input number; blank gives None (the caller decides), a problem gives None too."""
        found = self.raw(field)
        if found is None:
            return None
        where, value, formula = found
        if formula:
            value = self.cached(where)
            if value is None:
                self.problem(where, field, "单元格中是公式且没有计算结果；请直接填写数值")
                return None
        if value is None or (isinstance(value, str) and not value.strip()):
            self.blank.append(where)
            return None
        try:
            return parse(value)
        except ValueProblem as exc:
            self.problem(where, field, str(exc))
            return None

    def is_blank(self, field: FieldCell) -> bool:
        """Whether a field's cell is empty (a missing name counts as not blank: it is a problem)."""
        try:
            defined = self.wb.defined_names[field.name]
            sheet, coord = next(iter(defined.destinations))
            value = self.wb[sheet][coord.replace("$", "")].value
        except (KeyError, StopIteration, ValueError, TypeError, AttributeError):
            return False
        return value is None or (isinstance(value, str) and not value.strip())

    def count(self, field: FieldCell) -> int:
        value = self.number(field, parse_count)
        return 0 if value is None else int(value)

    def declared(self, field: FieldCell) -> int | None:
        """A total cell: its formula means computed (None); a number typed over it is a declared total."""
        found = self.raw(field)
        if found is None:
            return None
        where, value, formula = found
        if formula:
            return None
        if value is None or (isinstance(value, str) and not value.strip()):
            self.notes.append(Problem(where, f"{self._labels(field)}：总计单元格的公式已被删除，按自动计算处理"))
            return None
        try:
            return parse_count(value)
        except ValueProblem as exc:
            self.problem(where, field, str(exc))
            return None

    def text(self, field: FieldCell) -> str:
        found = self.raw(field)
        if found is None:
            return ""
        where, value, formula = found
        if formula and not isinstance(value, str):
            value = self.cached(where)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()
        return str(value).replace("\r\n", "\n").replace("\r", "\n")

    def date(self, field: FieldCell) -> dt.date | None:
        found = self.raw(field)
        if found is None:
            return None
        where, value, formula = found
        if formula:
            value = self.cached(where)
        if value is None or (isinstance(value, str) and not value.strip()):
            if field.required:
                self.problem(where, field, "必须填写")
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and 20000 <= value <= 80000:
            value = _EXCEL_EPOCH + dt.timedelta(days=float(value))
        try:
            return parse_date(value)
        except ValueProblem as exc:
            self.problem(where, field, str(exc))
            return None


def read_form_with_notes(path: str | os.PathLike[str]) -> tuple[AnnualReport, list[Problem]]:
    """A report from a filled input form, and the notes on it (the blank cells read as 0 …).

    Raises :class:`FormError` listing every problem at once: cells that are not numbers, a workbook that
    is not a form, a form of another version, a corrupt or oversized file."""
    source = str(path)
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_FORM_BYTES:
            raise FormError(f"文件过大（{size} 字节，上限 {MAX_FORM_BYTES} 字节），不像是一份填报表", source=source)
        data = file.read_bytes()
    except FileNotFoundError:
        raise FormError("文件不存在，请检查路径", source=source) from None
    except IsADirectoryError:
        raise FormError("这是一个文件夹，不是填报表", source=source) from None
    except OSError as exc:
        raise FormError(f"无法读取文件：{exc.strerror}", source=source) from None
    _check_archive(data, source)
    wb = _open_workbook(data, source)
    _check_identity(wb, source)
    return _read(wb, data, source)


def read(path: str | os.PathLike[str]) -> Loaded:
    """A filled form as a :class:`~reportkit.loaded.Loaded`: the report, its notes and the cell of every value."""
    report, notes = read_form_with_notes(path)
    places = {field.field: field.where for field in field_cells(FORM_KIND)}
    return Loaded(report, str(path), tuple(notes), places)


def read_form(path: str | os.PathLike[str]) -> AnnualReport:
    """A report from a filled input form; the notes (blank cells read as 0 …) are logged as warnings."""
    report, notes = read_form_with_notes(path)
    for note in notes:
        log.warning("%s: %s", path, note)
    return report


def _read(wb: Workbook, data: bytes, source: str) -> tuple[AnnualReport, list[Problem]]:
    reader = _Reader(wb, data, source)
    fields = {cell.field: cell for cell in field_cells(FORM_KIND)}

    # Basic information
    name = reader.text(fields["agency.name"]).strip()
    if not name:
        reader.problem(fields["agency.name"].where, fields["agency.name"], "必须填写")
    title_name = reader.text(fields["agency.title_name"]).strip() or None
    kind: AgencyKind | None = None
    kind_text = reader.text(fields["agency.kind"]).strip()
    if not kind_text:
        reader.problem(fields["agency.kind"].where, fields["agency.kind"], "必须填写（人民政府、部门、乡镇或街道）")
    else:
        try:
            kind = AgencyKind.parse(kind_text)
        except ValueError as exc:
            reader.problem(fields["agency.kind"].where, fields["agency.kind"], str(exc))
    year_field = fields["report.year"]
    year: int | None = None
    if reader.is_blank(year_field):
        reader.problem(year_field.where, year_field, "必须填写")
    else:
        year = reader.number(year_field, parse_count)
    if year is not None and not 1990 <= year <= 2200:
        reader.problem(year_field.where, year_field, f"年份 {year} 不合理，应为四位数年份，如 2021")
        year = None
    signed_on = reader.date(fields["report.signed_on"])
    published_on = reader.date(fields["report.published_on"])

    texts = {
        key: reader.text(field)
        for key, field in fields.items()
        if field.kind is FieldKind.TEXT and key != "agency.title_name"
    }

    # Table 二
    proactive: dict[str, Any] = {}
    for block in fmt.PROACTIVE_BLOCKS:
        for leaf in block.rows:
            row_values: dict[str, Any] = {}
            for column in block.columns:
                field = fields[f"proactive.{block.cell_key(leaf, column)}"]
                if field.kind is FieldKind.WAN_YUAN:
                    amount = reader.number(field, parse_amount)
                    row_values[column.key] = Decimal(0) if amount is None else amount
                else:
                    row_values[column.key] = reader.count(field)
            proactive[leaf.key] = DocumentCounts(**row_values) if len(block.columns) > 1 else row_values.popitem()[1]

    # Table 三
    table = fmt.APPLICATIONS_TABLE
    columns = [column.key for column in table.input_columns]
    apps = Applications()
    for leaf in table.input_rows:
        counts = {column: reader.count(fields[f"applications.{leaf.key}.{column}"]) for column in columns}
        declared = reader.declared(fields[f"applications.{leaf.key}.total"])
        apps = apps.with_row(leaf.key, ApplicantCounts(**counts, declared_total=declared))
    total_leaf = next(leaf for leaf in table.row_leaves if leaf.kind is CellKind.TOTAL)
    typed = {column: reader.declared(fields[f"applications.{total_leaf.key}.{column}"]) for column in columns}
    typed_total = reader.declared(fields[f"applications.{total_leaf.key}.total"])
    if typed_total is not None or any(v is not None for v in typed.values()):
        computed = apps.total
        row_counts = {column: computed.get(column) if v is None else v for column, v in typed.items()}
        apps = evolve(apps, declared_total=ApplicantCounts(**row_counts, declared_total=typed_total))

    # Table 四
    groups: dict[str, CaseOutcomes] = {}
    for group in fmt.CASE_GROUPS:
        outcome_values: dict[str, int] = {}
        declared_group: int | None = None
        for node in group.children:
            assert isinstance(node, Leaf)
            field = fields[f"review_litigation.{node.key}"]
            if node.kind is CellKind.TOTAL:
                declared_group = reader.declared(field)
            else:
                outcome_values[node.key.partition(".")[2]] = reader.count(field)
        groups[group.key] = CaseOutcomes(**outcome_values, declared_total=declared_group)

    # 信息处理费: all three blank means not given
    fee_fields = [field for key, field in fields.items() if key.startswith("other.information_fees.")]
    fees: InformationFees | None = None
    if not all(reader.is_blank(field) for field in fee_fields):
        fee_values: dict[str, Any] = {}
        for field in fee_fields:
            key = field.field.rpartition(".")[2]
            fee_values[key] = reader.number(field, parse_count if field.kind is FieldKind.COUNT else parse_amount)
        fees = InformationFees(
            notices=fee_values.get("notices") or 0,
            notified_yuan=fee_values.get("notified_yuan") or Decimal(0),
            collected_yuan=fee_values.get("collected_yuan") or Decimal(0),
        )

    if reader.problems:
        count = len(reader.problems)
        raise FormError(f"填报表有 {count} 处内容无法读取，请改正后重试", source=source, problems=reader.problems)
    assert kind is not None and year is not None and signed_on is not None

    notes = list(reader.notes)
    if reader.blank:
        notes.insert(0, Problem("", f"以下 {len(reader.blank)} 个单元格留空，已按 0 读取：{'、'.join(reader.blank)}"))
    report = AnnualReport(
        agency=Agency(name, kind, title_name),
        report=ReportInfo(year, signed_on, published_on, texts["report.preamble"]),
        overview=Overview(
            **{key.partition(".")[2]: value for key, value in texts.items() if key.startswith("overview.")}
        ),
        proactive=ProactiveDisclosure(**proactive),
        applications=apps,
        review_litigation=ReviewLitigation(**groups),
        problems=Problems(texts["problems.text"]),
        other=OtherMatters(texts["other.text"], fees),
        format=fmt.FORMAT_ID,
    )
    return report, notes
