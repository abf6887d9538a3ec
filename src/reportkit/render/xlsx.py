"""The output workbook: tables 二, 三 and 四 and the basic information, filled from a report.

The template (``templates/xlsx/tables-2021.v1.xlsx``, built by ``tools/build_xlsx_templates.py``) carries
every official label, merge, border, font and print setting; each value cell has a defined name
``rk.<model path>``. Rendering does not go through openpyxl: the template is compiled once per process
into the XML text around each named cell, and a render joins those pieces with the new cells and zips
the package. Every value is written as a plain number (dates as date serials, texts as inline strings),
computed totals included, so every reader shows them, including those that do not recalculate
(openpyxl ``data_only=True``, pandas, python-calamine).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import threading
import zipfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final
from xml.sax.saxutils import escape

from attrs import frozen
from defusedxml import ElementTree

from reportkit.errors import Problem, RenderError, TemplateError
from reportkit.model import AnnualReport
from reportkit.ooxml.package import TEMPLATE_LEVEL, Member, clean_xml_text, read_custom_properties, zip_package
from reportkit.render.policy import Release, release
from reportkit.render.properties import document_properties
from reportkit.templates import find_template, templates_dir
from reportkit.values import Blank
from reportkit.xlsx_layout import (
    EXCEL_CELL_CHARS,
    HEADER_TITLE_TOKEN,
    NAME_PREFIX,
    PROP_FORMAT,
    PROP_KIND,
    TABLES_KIND,
    TABLES_VERSION,
    excel_length,
    page_header_text,
)

if TYPE_CHECKING:
    from reportkit.rules import Finding

__all__ = ["TEMPLATE_NAME", "default_template_path", "render_xlsx", "warm_up"]

TEMPLATE_NAME: Final = f"tables-2021.v{TABLES_VERSION}.xlsx"

#: Templates larger than this are refused: the shipped one is about 15 KB.
MAX_TEMPLATE_BYTES: Final = 20 * 1024 * 1024

_NS_MAIN: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL: Final = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL: Final = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_RE: Final = re.compile(r"<c\b([^>]*?)(?:/>|>.*?</c>)", re.DOTALL)
_ATTR_RE: Final = re.compile(r'\b(r|s)="([^"]*)"')
_EXCEL_EPOCH: Final = dt.date(1899, 12, 30)
#: Members made for each report rather than taken from the template.
_GENERATED: Final = frozenset({"docProps/core.xml", "docProps/app.xml"})

Value = int | Decimal | str | dt.date | None


def default_template_path(format_id: str | None = None) -> Path:
    """The shipped output template of a format (the newest registered one; by default the 2021 format's),
    inside the installed package or in the source tree."""
    if format_id is not None:
        try:
            return find_template("xlsx-output", format_id).path
        except TemplateError:
            pass
    return templates_dir() / "xlsx" / TEMPLATE_NAME


# ---------------------------------------------------------------------------------------------------
# Compiling a template
# ---------------------------------------------------------------------------------------------------


@frozen
class _Slot:
    """A named cell inside a sheet's XML: its reference, its style attribute and its field."""

    coord: str
    style: str
    field: str


@frozen
class _SheetParts:
    """A sheet's XML cut around its named cells: ``texts[i]`` precedes ``slots[i]``; one more text ends it."""

    texts: tuple[str, ...]
    slots: tuple[_Slot, ...]


@frozen
class _Compiled:
    """A template ready to fill: the package's members in order (compressed once, or the name of a part made
    per render: the sheets and the document properties), the cut sheets and the format id."""

    members: tuple[Member | str, ...]
    sheets: dict[str, _SheetParts]
    format_id: str
    fields: frozenset[str]


def _xml(archive: zipfile.ZipFile, name: str, source: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(archive.read(name))
    except KeyError:
        raise TemplateError(f"模板缺少 {name}，不是有效的 Excel 工作簿", source=source) from None
    except Exception as exc:  # defusedxml and expat errors
        raise TemplateError(f"模板的 {name} 无法解析：{exc}", source=source) from None


def _split_ref(ref: str) -> tuple[str, str] | None:
    """``'三、依申请公开'!$D$6`` → (sheet, ``D6``)."""
    sheet, sep, cell = ref.rpartition("!")
    if not sep:
        return None
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    cell = cell.replace("$", "")
    if not re.fullmatch(r"[A-Z]{1,3}[0-9]{1,7}", cell):
        return None
    return sheet, cell


def _compile(data: bytes, source: str) -> _Compiled:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise TemplateError("模板不是有效的 .xlsx 文件（无法作为压缩包打开）", source=source) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > 1000 or sum(i.file_size for i in infos) > 10 * MAX_TEMPLATE_BYTES:
            raise TemplateError("模板解压后过大，已拒绝", source=source)
        props = read_custom_properties(archive)
        kind = props.get(PROP_KIND, TABLES_KIND)
        if kind != TABLES_KIND:
            raise TemplateError(f"这不是输出表格模板（类型为“{kind}”）；填报表不能用作输出模板", source=source)
        workbook = _xml(archive, "xl/workbook.xml", source)
        rels = _xml(archive, "xl/_rels/workbook.xml.rels", source)
        targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_NS_PKG_REL}Relationship")}
        sheet_paths: dict[str, str] = {}
        for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
            target = targets.get(sheet.get(f"{_NS_REL}id"), "")
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            sheet_paths[sheet.get("name", "")] = path
        wanted: dict[str, dict[str, str]] = {}
        for name in workbook.iter(f"{_NS_MAIN}definedName"):
            label = name.get("name", "")
            if not label.startswith(NAME_PREFIX) or name.get("localSheetId") is not None:
                continue
            split = _split_ref((name.text or "").strip())
            if split is None or split[0] not in sheet_paths:
                raise TemplateError(f"模板中的名称 {label} 指向无效的单元格“{name.text}”", source=source)
            wanted.setdefault(sheet_paths[split[0]], {})[split[1]] = label[len(NAME_PREFIX) :]
        sheets: dict[str, _SheetParts] = {}
        for path, cells in wanted.items():
            xml = archive.read(path).decode("utf-8")
            texts: list[str] = []
            slots: list[_Slot] = []
            position = 0
            for match in _CELL_RE.finditer(xml):
                attrs = dict(_ATTR_RE.findall(match.group(1)))
                coord = attrs.get("r", "")
                if coord in cells:
                    texts.append(xml[position : match.start()])
                    slots.append(_Slot(coord, attrs.get("s", ""), cells.pop(coord)))
                    position = match.end()
            texts.append(xml[position:])
            if cells:
                missing = "、".join(sorted(cells))
                raise TemplateError(
                    f"模板工作表 {path} 中缺少命名单元格 {missing}（请给这些单元格设置格式或边框）", source=source
                )
            sheets[path] = _SheetParts(tuple(texts), tuple(slots))
        made = set(sheets) | _GENERATED
        members = tuple(
            info.filename
            if info.filename in made
            else Member.deflate(info.filename, archive.read(info), TEMPLATE_LEVEL)
            for info in infos
            if not info.is_dir()
        )
    fields = frozenset(slot.field for parts in sheets.values() for slot in parts.slots)
    return _Compiled(members, sheets, props.get(PROP_FORMAT, ""), fields)


_lock = threading.Lock()


@lru_cache(maxsize=8)
def _compiled_bytes(digest: str, data: bytes, source: str) -> _Compiled:
    del digest  # part of the cache key only
    return _compile(data, source)


@lru_cache(maxsize=8)
def _compiled_path(path: str, mtime_ns: int, size: int) -> _Compiled:
    data = Path(path).read_bytes()
    return _compile(data, path)


@lru_cache(maxsize=1)
def _built_default() -> _Compiled:
    """The output template built in memory (when the shipped file is missing, e.g. a bare checkout)."""
    from reportkit.formats import NEWEST, get_format
    from reportkit.xlsx_draw import build
    from reportkit.xlsx_layout import TABLES_KIND

    return _compile(build(get_format(NEWEST), TABLES_KIND), "<built-in>")


def _load(template: str | os.PathLike[str] | bytes | None, format_id: str | None = None) -> _Compiled:
    if isinstance(template, bytes):
        if len(template) > MAX_TEMPLATE_BYTES:
            raise TemplateError("模板文件过大，已拒绝")
        return _compiled_bytes(hashlib.sha256(template).hexdigest(), template, "<bytes>")
    path = Path(template) if template is not None else default_template_path(format_id)
    try:
        stat = path.stat()
    except FileNotFoundError:
        if template is None:
            return _built_default()
        raise TemplateError("模板文件不存在", source=str(path)) from None
    if stat.st_size > MAX_TEMPLATE_BYTES:
        raise TemplateError("模板文件过大，已拒绝", source=str(path))
    with _lock:  # cached by path and stamp: one compiled template per format's file
        return _compiled_path(str(path), stat.st_mtime_ns, stat.st_size)


def warm_up() -> None:
    """Compile the shipped workbook template now (e.g. before forking batch workers)."""
    _load(None)


# ---------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------


def _plain(value: int | Decimal | Blank | None) -> int | Decimal | str | None:
    """A blank cell (留空, 不适用, /) is written as what it stands for."""
    return str(value) if isinstance(value, Blank) else value


@lru_cache(maxsize=8)  # keyed by format
def _unit_keys(format_id: str) -> dict[str, str]:
    """The unit key of each amount whose unit the report states, with the key of its amount."""
    from reportkit.formats import get_format
    from reportkit.formats.layout import ValueType

    return {
        block.unit_key(row, column): block.cell_key(row, column)
        for block in get_format(format_id).proactive_blocks
        for row in block.rows
        for column in block.columns
        if block.value_type(row, column) is ValueType.AMOUNT
    }


def _values(report: AnnualReport, draft_text: str | None) -> Callable[[str], Value]:
    """The value of each field path of the output workbook."""
    apps = report.applications
    review = report.review_litigation
    units = _unit_keys(report.format)
    simple: dict[str, Value] = {
        "title": report.title,
        "agency.name": report.agency.name,
        "agency.title_name": report.agency.display_title_name,
        "agency.kind": report.agency.kind.label,
        "report.year": report.year,
        "report.signed_on": report.report.signed_on,
        "report.published_on": report.report.published_on,
    }

    def value(field: str) -> Value:
        if field in simple:
            return simple[field]
        head, _, rest = field.partition(".")
        if head == "draft":
            return draft_text
        if head == "applications":
            row, _, column = rest.rpartition(".")
            return _plain(apps.cell(row, column))
        if head == "review_litigation":
            return _plain(review.cell(rest))
        if head == "proactive" and rest in units:  # the 元/万元 a report states beside an amount (2019: 采购总金额)
            unit = report.proactive.unit(units[rest])
            return unit.value if unit is not None else None
        if head == "proactive":
            amount = _plain(report.proactive.value(rest))
            return amount.copy_abs() if isinstance(amount, Decimal) and amount.is_zero() else amount  # no "-0"
        raise KeyError(field)

    return value


def _cell_xml(slot: _Slot, value: Value) -> str:
    style = f' s="{slot.style}"' if slot.style else ""
    if value is None or value == "":
        return f'<c r="{slot.coord}"{style}/>'
    if isinstance(value, bool):  # pragma: no cover - the model holds no booleans
        raise TypeError(value)
    if isinstance(value, int):
        number = str(value)
    elif isinstance(value, Decimal):
        number = format(value.normalize() if value == value.to_integral_value() else value, "f")
    elif isinstance(value, dt.date):
        number = str((value - _EXCEL_EPOCH).days)
    else:
        if excel_length(value) > EXCEL_CELL_CHARS:  # Excel would refuse the file; cutting would lose data
            raise RenderError(
                f"文字过长（{excel_length(value)} 个字符），Excel 单元格最多容纳 {EXCEL_CELL_CHARS} 个字符",
                problems=[Problem(slot.field, value[:40] + "…")],
            )
        text = escape(clean_xml_text(value))
        return f'<c r="{slot.coord}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c r="{slot.coord}"{style}><v>{number}</v></c>'


def render_xlsx(
    report: AnnualReport,
    template: str | os.PathLike[str] | bytes | None = None,
    *,
    draft: bool = False,
    findings: Sequence[Finding] | None = None,
) -> bytes:
    """The output workbook of ``report`` as ``.xlsx`` bytes.

    ``template`` is a path or the bytes of an output template (the shipped one when omitted). A report
    with error findings is refused with :class:`RenderError` unless ``draft``; a draft says so in red
    on every sheet (:mod:`reportkit.render.policy`, which also says what ``findings`` are for).
    """
    return render_released(report, release(report, findings, draft=draft), template)


def render_released(
    report: AnnualReport, decision: Release, template: str | os.PathLike[str] | bytes | None = None
) -> bytes:
    """The workbook of a report already released by the policy (no check here)."""
    compiled = _load(template, report.format)
    if compiled.format_id and compiled.format_id != report.format:
        raise TemplateError(f"模板服务于格式“{compiled.format_id}”，而报告的格式是“{report.format}”")
    value_of = _values(report, decision.notice or None)
    made = document_properties(report, "xlsx")
    header = escape(clean_xml_text(page_header_text(report.title)))  # the page header: agency and year
    package: list[Member] = []
    for member in compiled.members:
        if isinstance(member, Member):
            package.append(member)
            continue
        parts = compiled.sheets.get(member)
        if parts is None:
            if member in made:
                package.append(Member.deflate(member, made[member]))
            continue
        pieces: list[str] = []
        for text, slot in zip(parts.texts, parts.slots, strict=False):
            pieces.append(text)
            try:
                pieces.append(_cell_xml(slot, value_of(slot.field)))
            except (KeyError, AttributeError):
                raise TemplateError(f"模板中的名称 {NAME_PREFIX}{slot.field} 不对应报告中的任何数据") from None
        pieces.append(parts.texts[-1])
        package.append(Member.deflate(member, "".join(pieces).replace(HEADER_TITLE_TOKEN, header).encode("utf-8")))
    return zip_package(package)
