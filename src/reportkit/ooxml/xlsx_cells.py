"""The cells a reader needs from an ``.xlsx`` package, read straight from its XML in bounded time and memory.

:class:`XlsxPackage` opens a workbook (bytes already checked by :func:`reportkit.safezip.inspect_archive`)
and reads, with the stdlib's expat parser and no tree in memory:

- ``xl/workbook.xml``: the sheets, the defined names a caller asks for, the 1904 date system flag and the
  external workbooks the formulas may refer to (``externalLink`` parts and their targets);
- the relationships that lead from the package to each part, and the custom document properties;
- for each sheet asked for, the cells of an :class:`Area`, in one streamed pass that gives every formula
  and its stored result together, and stops once past the last row asked for;
- the shared strings those cells use (and no others), and, only when asked, the styles' date formats.

Everything kept is bounded: rows beyond ``Area.max_row`` are never parsed, cells outside the area are not
kept, texts are cut (a label to :data:`LABEL_CHARS`, a value to :data:`VALUE_CHARS`), and a damaged part
(cells out of order, a broken shared string index, XML that does not parse) is the caller's error type
with a message naming the part.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import Final
from xml.parsers import expat

from attrs import frozen

from reportkit.errors import ReportkitError
from reportkit.ooxml.xlsx_formulas import column_letters, column_number, translate

__all__ = [
    "LABEL_CHARS",
    "VALUE_CHARS",
    "Area",
    "Cell",
    "CellValue",
    "DefinedName",
    "ErrorValue",
    "SheetEntry",
    "XlsxPackage",
    "cell_name",
    "split_cell",
]

#: Texts of cells outside ``Area.full_text`` (labels) are cut to this many characters.
LABEL_CHARS: Final = 100
#: Texts of the cells in ``Area.full_text`` are cut here: past Excel's 32,767 so a longer one is detected.
VALUE_CHARS: Final = 40_000
_NUMBER_CHARS: Final = 400
_FORMULA_CHARS: Final = 8_193
_NAME_CHARS: Final = 2_048
_MAX_PROPERTIES: Final = 1_000
_MAX_RELATIONSHIPS: Final = 10_000
_MAX_NUMBER_FORMATS: Final = 10_000
_MAX_ROW: Final = 1_048_576
_MAX_COL: Final = 16_384
_CHUNK: Final = 64 * 1024

_CELL_REF: Final = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
_ESCAPED: Final = re.compile(r"_x([0-9A-Fa-f]{4})_")
_INTEGER: Final = re.compile(r"-?[0-9]{1,18}")
_BROKEN_ARCHIVE: Final = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, NotImplementedError,
                          RuntimeError, EOFError, OSError, ValueError)  # fmt: skip


@frozen
class ErrorValue:
    """An error a cell shows (``#REF!``, ``#VALUE!``): a formula's stored result, or typed as such."""

    code: str

    def __str__(self) -> str:
        return self.code


CellValue = str | int | float | bool | ErrorValue | dt.datetime | None


def cell_name(row: int, col: int) -> str:
    """(6, 4) → ``"D6"``."""
    return f"{column_letters(col)}{row}"


def split_cell(ref: str) -> tuple[int, int] | None:
    """``"D6"`` → (6, 4); None for what is not one cell of a sheet."""
    match = _CELL_REF.fullmatch(ref)
    if match is None:
        return None
    col, row = column_number(match.group(1)), int(match.group(2))
    if not (1 <= col <= _MAX_COL and 1 <= row <= _MAX_ROW):
        return None
    return row, col


@frozen
class Cell:
    """One cell as stored: its value (for a formula, the result Excel stored, None when there is none),
    its formula without the ``=`` (a shared formula translated to this cell; "" when its text is lost),
    the formula's kind (``""``, ``"array"``, ``"dataTable"``), its style index and whether its text was cut."""

    row: int
    col: int
    value: CellValue
    formula: str | None = None
    formula_kind: str = ""
    style: int = 0
    truncated: bool = False

    @property
    def ref(self) -> str:
        """``"D6"``."""
        return cell_name(self.row, self.col)

    @property
    def is_formula(self) -> bool:
        return self.formula is not None


@frozen
class Area:
    """Which cells of a sheet a reader keeps: rows 1 to ``max_row`` only; in them, every cell of ``columns``,
    and the cells up to ``max_col`` of ``rows``. The texts of ``full_text`` are kept whole (up to
    :data:`VALUE_CHARS`), the others cut to :data:`LABEL_CHARS`."""

    max_row: int
    columns: frozenset[int] = frozenset()
    rows: frozenset[int] = frozenset()
    max_col: int = 0
    full_text: frozenset[tuple[int, int]] = frozenset()

    def keeps(self, row: int, col: int) -> bool:
        return col in self.columns or (row in self.rows and col <= self.max_col)


@frozen
class SheetEntry:
    """A sheet of the workbook: its name, its package part, its state (``visible``, ``hidden`` …) and index."""

    name: str
    part: str
    state: str
    index: int


@frozen
class DefinedName:
    """A defined name as written: its name, its formula text and the sheet index it is local to (or None)."""

    name: str
    text: str
    local_sheet: int | None = None


class _Stop(Exception):
    """Raised inside a handler: the caller has what it needs from this part."""


class _Damaged(Exception):
    """Raised inside a handler: the part is not what Excel writes (the message says what)."""


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


def _attr(attrs: Mapping[str, str], local: str) -> str | None:
    """An attribute by its local name, whatever its namespace (transitional or strict)."""
    if local in attrs:
        return attrs[local]
    for key, value in attrs.items():
        if key.rpartition(" ")[2] == local and " " in key:
            return value
    return None


def _unescape(text: str) -> str:
    """OOXML's ``_xHHHH_`` escapes (ST_Xstring): ``_x000D_`` is a carriage return, ``_x005F_`` an underscore."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


class _Capture:
    """Collects an element's text up to a limit, remembering whether it was cut."""

    __slots__ = ("cut", "limit", "parts", "size")

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.cut = False

    def add(self, text: str) -> None:
        room = self.limit - self.size
        if room <= 0:
            self.cut = self.cut or bool(text)
            return
        if len(text) > room:
            text = text[:room]
            self.cut = True
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        return "".join(self.parts)


class _Handler:
    """The expat callbacks for one part."""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


class _Relationships(_Handler):
    def __init__(self, base: str) -> None:
        self.base = base
        self.found: list[tuple[str, str, str, bool]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if _local(name) != "Relationship":
            return
        if len(self.found) >= _MAX_RELATIONSHIPS:
            raise _Damaged("关系（relationships）过多")
        rid = attrs.get("Id", "")
        kind = attrs.get("Type", "").rpartition("/")[2]
        target = attrs.get("Target", "")
        external = attrs.get("TargetMode", "") == "External"
        if not external:
            target = target.lstrip("/") if target.startswith("/") else posixpath.join(self.base, target)
            target = posixpath.normpath(target).lstrip("/")
        self.found.append((rid, kind, target, external))


class _WorkbookPart(_Handler):
    def __init__(self, keep_name: Callable[[str], bool]) -> None:
        self.keep_name = keep_name
        self.sheets: list[tuple[str, str, str]] = []  # name, relationship id, state
        self.names: list[DefinedName] = []
        self.external_ids: list[str] = []
        self.date1904 = False
        self._name: tuple[str, int | None] | None = None
        self._capture: _Capture | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "sheet":
            self.sheets.append((attrs.get("name", ""), _attr(attrs, "id") or "", attrs.get("state", "visible")))
        elif local == "definedName":
            defined = attrs.get("name", "")
            if self.keep_name(defined):
                local_id = attrs.get("localSheetId")
                sheet = int(local_id) if local_id is not None and local_id.isdigit() else None
                self._name = (defined, sheet)
                self._capture = _Capture(_NAME_CHARS)
        elif local == "externalReference":
            self.external_ids.append(_attr(attrs, "id") or "")
        elif local == "workbookPr":
            self.date1904 = attrs.get("date1904", "0").lower() in ("1", "true")

    def text(self, data: str) -> None:
        if self._capture is not None:
            self._capture.add(data)

    def end(self, name: str) -> None:
        if _local(name) == "definedName" and self._name is not None and self._capture is not None:
            text = self._capture.text() if not self._capture.cut else "#TOO_LONG!"
            self.names.append(DefinedName(self._name[0], text.strip(), self._name[1]))
            self._name = None
            self._capture = None


class _CustomProperties(_Handler):
    def __init__(self) -> None:
        self.found: dict[str, str] = {}
        self._name: str | None = None
        self._capture: _Capture | None = None
        self._depth = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "property":
            if len(self.found) >= _MAX_PROPERTIES:
                raise _Stop
            self._name = attrs.get("name")
            self._depth = 0
        elif self._name is not None:
            self._depth += 1
            if self._depth == 1:
                self._capture = _Capture(_NAME_CHARS)

    def text(self, data: str) -> None:
        if self._capture is not None:
            self._capture.add(data)

    def end(self, name: str) -> None:
        local = _local(name)
        if local == "property":
            self._name = None
            self._capture = None
        elif self._name is not None and self._capture is not None and self._depth == 1:
            self.found.setdefault(self._name, self._capture.text())
            self._capture = None
            self._depth -= 1
        elif self._name is not None:
            self._depth -= 1


class _Shared:
    """A cell's shared string index, until the strings are read."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class _RawCell:
    __slots__ = ("col", "cut", "formula", "formula_kind", "kind", "row", "style", "value")

    def __init__(self, row: int, col: int, kind: str, style: int) -> None:
        self.row = row
        self.col = col
        self.kind = kind
        self.style = style
        self.value: CellValue | _Shared = None
        self.formula: str | None = None
        self.formula_kind = ""
        self.cut = False


class _SheetPart(_Handler):
    """One streamed pass over a sheet: the kept cells of its rows up to ``area.max_row``."""

    def __init__(self, area: Area) -> None:
        self.area = area
        self.cells: dict[tuple[int, int], _RawCell] = {}
        self.masters: dict[str, tuple[int, int, str]] = {}
        self.in_data = False
        self.row = 0
        self.col = 0
        self.cell: _RawCell | None = None
        self.formula_attrs: dict[str, str] = {}
        self.value: _Capture | None = None
        self.formula: _Capture | None = None
        self.inline: _Capture | None = None
        self.capture: _Capture | None = None
        self.phonetic = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if not self.in_data:
            if local == "sheetData":
                self.in_data = True
            return
        if local == "row":
            self._start_row(attrs)
        elif local == "c":
            self._start_cell(attrs)
        elif self.cell is None:
            return
        elif local == "v":
            limit = self._text_limit() if self.cell.kind in ("str", "inlineStr") else _NUMBER_CHARS
            self.value = self.capture = _Capture(limit)
        elif local == "f":
            self.formula_attrs = attrs
            self.formula = self.capture = _Capture(_FORMULA_CHARS)
        elif local == "is":
            self.inline = _Capture(self._text_limit())
        elif local == "rPh":
            self.phonetic += 1
        elif local == "t" and self.inline is not None and not self.phonetic:
            self.capture = self.inline

    def _text_limit(self) -> int:
        assert self.cell is not None
        return VALUE_CHARS if (self.cell.row, self.cell.col) in self.area.full_text else LABEL_CHARS

    def _start_row(self, attrs: dict[str, str]) -> None:
        number = attrs.get("r")
        row = int(number) if number is not None and number.isdigit() else self.row + 1
        if number is not None and not number.isdigit():
            raise _Damaged(f"行号“{number[:20]}”无效")
        if row <= self.row or row > _MAX_ROW:
            raise _Damaged(f"第 {row} 行的位置错乱（行须按顺序排列）")
        if row > self.area.max_row:
            raise _Stop
        self.row = row
        self.col = 0

    def _start_cell(self, attrs: dict[str, str]) -> None:
        if self.row == 0:
            raise _Damaged("单元格不在任何行内")
        ref = attrs.get("r")
        if ref is not None:
            place = split_cell(ref)
            if place is None or place[0] != self.row:
                raise _Damaged(f"单元格 {ref[:20]} 不在第 {self.row} 行")
            col = place[1]
        else:
            col = self.col + 1
        if col <= self.col or col > _MAX_COL:
            raise _Damaged(f"第 {self.row} 行的单元格位置错乱（须按列顺序排列）")
        self.col = col
        if not self.area.keeps(self.row, col):
            self.cell = None
            return
        style = attrs.get("s", "0")
        self.cell = _RawCell(self.row, col, attrs.get("t", "n"), int(style) if style.isdigit() else 0)
        self.value = self.formula = self.inline = self.capture = None
        self.formula_attrs = {}
        self.phonetic = 0

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.capture.add(data)

    def end(self, name: str) -> None:
        local = _local(name)
        if not self.in_data:
            return
        if local == "sheetData":
            raise _Stop
        if self.cell is None:
            return
        if local in ("v", "f") or (local == "t" and self.capture is self.inline):
            self.capture = None
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "c":
            self._finish_cell(self.cell)
            self.cell = None

    def _finish_cell(self, cell: _RawCell) -> None:
        if self.formula is not None:
            self._formula(cell, self.formula)
        raw = self.value.text() if self.value is not None else None
        cut = (self.value is not None and self.value.cut) or (self.inline is not None and self.inline.cut)
        kind = cell.kind
        if kind == "inlineStr":
            cell.value = _unescape(self.inline.text()) if self.inline is not None else (raw or "")
        elif raw is None:
            cell.value = None
        elif kind == "s":
            if not raw.strip().isdigit():
                raise _Damaged(f"单元格 {cell_name(cell.row, cell.col)} 的共享字符串编号“{raw[:20]}”无效")
            cell.value = _Shared(int(raw))
        elif kind == "str":
            cell.value = _unescape(raw)
        elif kind == "b":
            cell.value = raw.strip() in ("1", "true")
        elif kind == "e":
            cell.value = ErrorValue(raw.strip())
        elif kind == "d":
            try:
                cell.value = dt.datetime.fromisoformat(raw.strip())
            except ValueError:
                cell.value = raw
        else:
            cell.value = _number(raw)
        cell.cut = cut
        if cell.value is None and cell.formula is None:
            return  # an empty cell (a style only) is not kept
        self.cells[(cell.row, cell.col)] = cell

    def _formula(self, cell: _RawCell, capture: _Capture) -> None:
        text = capture.text().strip()
        kind = self.formula_attrs.get("t", "normal")
        if capture.cut:
            text = text + "…"
        if kind == "shared":
            index = self.formula_attrs.get("si", "")
            if text:
                self.masters[index] = (cell.row, cell.col, text)
            elif index in self.masters:
                row, col, master = self.masters[index]
                text = translate(master, cell.row - row, cell.col - col)
        elif kind in ("array", "dataTable"):
            cell.formula_kind = kind
        cell.formula = text.removeprefix("=")


def _number(raw: str) -> CellValue:
    text = raw.strip()
    if not text:
        return None
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return raw  # not a number although stored as one: the reader quotes it


class _SharedStrings(_Handler):
    """The shared strings at the wanted indices, each cut to its limit; stops after the last wanted one."""

    def __init__(self, wanted: Mapping[int, int]) -> None:
        self.wanted = wanted
        self.last = max(wanted)
        self.found: dict[int, tuple[str, bool]] = {}
        self.index = -1
        self.capture: _Capture | None = None
        self.current: _Capture | None = None
        self.phonetic = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "si":
            self.index += 1
            if self.index > self.last:
                raise _Stop
            limit = self.wanted.get(self.index)
            self.current = _Capture(limit) if limit is not None else None
            self.phonetic = 0
        elif local == "rPh":
            self.phonetic += 1
        elif local == "t" and self.current is not None and not self.phonetic:
            self.capture = self.current

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.capture.add(data)

    def end(self, name: str) -> None:
        local = _local(name)
        if local == "t":
            self.capture = None
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "si" and self.current is not None:
            self.found[self.index] = (_unescape(self.current.text()), self.current.cut)
            self.current = None


class _Styles(_Handler):
    """The number format of the wanted cell styles (``cellXfs``), and the workbook's own format codes."""

    def __init__(self, wanted: Iterable[int]) -> None:
        self.wanted = set(wanted)
        self.last = max(self.wanted, default=-1)
        self.codes: dict[int, str] = {}
        self.formats: dict[int, int] = {}
        self.in_xfs = False
        self.index = -1

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "numFmt" and len(self.codes) < _MAX_NUMBER_FORMATS:
            number = attrs.get("numFmtId", "")
            if number.isdigit():
                self.codes[int(number)] = attrs.get("formatCode", "")[:255]
        elif local == "cellXfs":
            self.in_xfs = True
        elif local == "xf" and self.in_xfs:
            self.index += 1
            if self.index > self.last:
                raise _Stop
            number = attrs.get("numFmtId", "0")
            if self.index in self.wanted and number.isdigit():
                self.formats[self.index] = int(number)

    def end(self, name: str) -> None:
        if _local(name) == "cellXfs":
            raise _Stop


#: Excel's built-in number formats that show a date or time (ECMA-376 §18.8.30, and the CJK ones).
_BUILTIN_DATES: Final = frozenset([*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59)])
_NOT_DATE_PARTS: Final = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')


def _is_date_code(code: str) -> bool:
    stripped = _NOT_DATE_PARTS.sub("", code)
    return bool(re.search(r"[dmyhsDMYHS年月日]", stripped)) and "General" not in stripped


def _refuse_declaration(*_: object) -> None:
    raise _Damaged("含有 DOCTYPE/ENTITY 声明")


class XlsxPackage:
    """An ``.xlsx`` package opened for reading cells.

    ``error`` is the exception raised for a damaged package (with ``source`` as its source); ``keep_name``
    chooses the defined names kept (a workbook may define many)."""

    def __init__(
        self,
        data: bytes,
        *,
        source: str,
        error: type[ReportkitError] = ReportkitError,
        keep_name: Callable[[str], bool] = lambda name: True,
    ) -> None:
        self.source = source
        self.error = error
        try:
            self._archive = zipfile.ZipFile(io.BytesIO(data))
            self._members = {info.filename: info for info in self._archive.infolist()}
        except _BROKEN_ARCHIVE:
            raise error("不是有效的 Excel 工作簿（不是 zip 压缩包，或已损坏）", source=source) from None
        root = self._relationships("")
        office = next((target for _, kind, target, ext in root if kind == "officeDocument" and not ext), None)
        self.workbook_part = office if office in self._members else "xl/workbook.xml"
        self._workbook_rels = {rid: (kind, target, ext) for rid, kind, target, ext in
                               self._relationships(self.workbook_part)}  # fmt: skip
        workbook = _WorkbookPart(keep_name)
        self._parse(self.workbook_part, workbook, required=True)
        self.date1904 = workbook.date1904
        sheets = []
        for index, (name, rid, state) in enumerate(workbook.sheets):
            kind, target, _ = self._workbook_rels.get(rid, ("", "", False))
            sheets.append(SheetEntry(name, target if kind == "worksheet" else "", state, index))
        self.sheets: tuple[SheetEntry, ...] = tuple(sheets)
        self.names: tuple[DefinedName, ...] = tuple(workbook.names)
        self.external_workbooks: tuple[str, ...] = tuple(self._external(rid) for rid in workbook.external_ids)
        custom = next((target for _, kind, target, ext in root if kind == "custom-properties" and not ext), None)
        properties = _CustomProperties()
        if custom is not None and custom in self._members:
            self._parse(custom, properties)
        self.properties: Mapping[str, str] = properties.found

    def close(self) -> None:
        self._archive.close()

    def __enter__(self) -> XlsxPackage:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- parts --------------------------------------------------------------------------------------

    def _damaged(self, part: str, what: str) -> ReportkitError:
        return self.error(
            f"无法作为 Excel 工作簿读取（{part}：{what}）；请用 Excel 或 WPS 另存后重试", source=self.source
        )

    def _parse(self, part: str, handler: _Handler, *, required: bool = False) -> None:
        info = self._members.get(part)
        if info is None:
            if required:
                raise self._damaged(part, "缺少这一部分")
            return
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.text
        parser.StartDoctypeDeclHandler = _refuse_declaration
        parser.EntityDeclHandler = _refuse_declaration
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        try:
            with self._archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except _Stop:
            return
        except _Damaged as exc:
            raise self._damaged(part, str(exc)) from None
        except expat.ExpatError as exc:
            raise self._damaged(part, f"第 {exc.lineno} 行的 XML 无法解析：{expat.ErrorString(exc.code)}") from None
        except _BROKEN_ARCHIVE as exc:
            raise self.error(f"压缩包成员 {part} 已损坏或无法解压（{exc}）", source=self.source) from None

    def _relationships(self, part: str) -> list[tuple[str, str, str, bool]]:
        folder, _, base = part.rpartition("/")
        rels = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
        handler = _Relationships(folder)
        self._parse(rels, handler)
        return handler.found

    def _external(self, rid: str) -> str:
        """Where an external workbook reference points (its file), or its part when that is not said."""
        _, target, external = self._workbook_rels.get(rid, ("", "", False))
        if external or not target:
            return target
        for _, link_kind, link_target, _ in self._relationships(target):
            if link_kind in ("externalLinkPath", "xlExternalLinkPath"):
                return link_target
        return target

    # -- cells --------------------------------------------------------------------------------------

    def sheet(self, name: str) -> SheetEntry | None:
        """The sheet called ``name`` (as Excel compares names: ignoring case)."""
        folded = name.casefold()
        return next((sheet for sheet in self.sheets if sheet.name.casefold() == folded), None)

    def read(self, areas: Mapping[str, Area]) -> dict[str, dict[tuple[int, int], Cell]]:
        """The kept cells of each sheet named in ``areas`` (empty cells are absent), by (row, column)."""
        raw: dict[str, dict[tuple[int, int], _RawCell]] = {}
        wanted: dict[int, int] = {}
        for name, area in areas.items():
            entry = self.sheet(name)
            if entry is None or not entry.part:
                raise self._damaged(name, "找不到这个工作表")
            handler = _SheetPart(area)
            self._parse(entry.part, handler, required=True)
            raw[name] = handler.cells
            for cell in handler.cells.values():
                if isinstance(cell.value, _Shared):
                    limit = VALUE_CHARS if (cell.row, cell.col) in area.full_text else LABEL_CHARS
                    wanted[cell.value.index] = max(wanted.get(cell.value.index, 0), limit)
        strings = self._shared_strings(wanted) if wanted else {}
        result: dict[str, dict[tuple[int, int], Cell]] = {}
        for name, cells in raw.items():
            kept: dict[tuple[int, int], Cell] = {}
            for place, cell in cells.items():
                value = cell.value
                cut = cell.cut
                if isinstance(value, _Shared):
                    if value.index not in strings:
                        raise self._damaged(name, f"单元格 {cell_name(*place)} 的共享字符串编号 {value.index} 不存在")
                    value, cut = strings[value.index]
                kept[place] = Cell(cell.row, cell.col, value, cell.formula, cell.formula_kind, cell.style, cut)
            result[name] = kept
        return result

    def _shared_strings(self, wanted: Mapping[int, int]) -> dict[int, tuple[str, bool]]:
        part = next((target for kind, target, ext in self._workbook_rels.values() if kind == "sharedStrings"
                     and not ext), "xl/sharedStrings.xml")  # fmt: skip
        handler = _SharedStrings(wanted)
        self._parse(part, handler, required=True)
        return handler.found

    def date_styles(self, styles: Iterable[int]) -> frozenset[int]:
        """Which of these cell style indexes show their number as a date (read from the styles part)."""
        wanted = set(styles)
        if not wanted:
            return frozenset()
        part = next((target for kind, target, ext in self._workbook_rels.values() if kind == "styles"
                     and not ext), "xl/styles.xml")  # fmt: skip
        handler = _Styles(wanted)
        self._parse(part, handler)
        dates = set()
        for index, number in handler.formats.items():
            code = handler.codes.get(number)
            if (code is None and number in _BUILTIN_DATES) or (code is not None and _is_date_code(code)):
                dates.add(index)
        return frozenset(dates)
