"""What a competent user would write instead of reportkit, and the floor under any renderer.

Every baseline starts from the same data reportkit renders (the Word context of
:func:`reportkit.render.docx.build_context`, the field values of the workbook's named cells) and produces
the same document from the same shipped template, so the harness can check that the outputs carry the
same text and numbers (:func:`docx_content`, :func:`xlsx_content`). This module imports no reportkit and
each library only when used, so a fresh process (the cold-start benchmark) pays only for what it uses.

- :class:`PythonDocxFiller`: python-docx fills the placeholders of the shipped Word template. The template
  is parsed once and a pristine copy is deep-copied per report (``copy.deepcopy`` of the ``Document``):
  python-docx has no API to render twice, a deep copy is the known workaround, and it is faster than
  parsing the package again (``reload=True`` measures that too). Where each value goes is found once
  from the template (a user would hard-code the places).
- :class:`DocxtplRenderer`: docxtpl as its documentation advises since 0.15 ("Multiple rendering": create
  the ``DocxTemplate`` once and call ``render(context)`` for each document), with ``autoescape=True`` as
  its "Escaping" section advises for text that may hold ``<``, ``>`` or ``&``.
- :class:`OpenpyxlFiller`: the output workbook loaded once; per report the named cells are written and the
  workbook saved.
- :class:`XlsxwriterBuilder`: xlsxwriter builds the same workbook from scratch: the layout (labels, merges,
  fonts, borders, widths, heights, print setup, defined names) is read once from the template, as a user
  would write it down in code; each report creates the formats and writes every cell.
- :class:`Floor`: the bytes that must change. The parts that differ between two reports (found by comparing
  two reportkit outputs) are deflated at the fastest level; every other part is copied from a prebuilt,
  already compressed archive; the zip directory is written by hand. Producing the XML is not counted: it is
  given. No renderer can do less and still write a compressed Office file.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W_NS}}}"
_VAR = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
_FOR = re.compile(r"\{%p\s+for\s+(\w+)\s+in\s+([\w.]+)\s*%\}")
_IF = re.compile(r"\{%p\s+if\s+([\w.]+)\s*%\}")
_END = re.compile(r"\{%p\s+end(for|if)\s*%\}")

#: The paragraph styles whose right indent the renderer sets per report, with the context key of each.
SIGNOFF_INDENTS = {"落款机关": "signoff.name_right", "成文日期": "signoff.date_right"}


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """``context["a"]["b"]`` for ``"a.b"``."""
    value: Any = context
    for key in path.split("."):
        value = value[key]
    return value


# ---------------------------------------------------------------------------------------------------
# Word: python-docx
# ---------------------------------------------------------------------------------------------------


def _text_of(paragraph: Any) -> str:
    return "".join(t.text or "" for t in paragraph.iter(f"{_W}t"))


class PythonDocxFiller:
    """python-docx filling the shipped Word template's placeholders, paragraph loops and conditions."""

    def __init__(self, template: bytes, *, reload: bool = False) -> None:
        from docx import Document

        self.template = template
        self.reload = reload
        self.pristine = Document(io.BytesIO(template))
        self._plan = self._make_plan(self.pristine)

    @staticmethod
    def _paragraphs(document: Any) -> list[Any]:
        return list(document.element.body.iter(f"{_W}p"))

    def _make_plan(self, document: Any) -> list[tuple[str, int, str, str]]:
        """(action, paragraph index, name, expression) for every templated paragraph of the body."""
        plan: list[tuple[str, int, str, str]] = []
        paragraphs = self._paragraphs(document)
        index = 0
        while index < len(paragraphs):
            text = _text_of(paragraphs[index])
            loop, condition = _FOR.search(text), _IF.search(text)
            if loop or condition:
                end = next(i for i in range(index + 1, len(paragraphs)) if _END.search(_text_of(paragraphs[i])))
                if end != index + 2:
                    raise ValueError(f"a block of more than one paragraph at paragraph {index}")
                if loop:
                    plan.append(("loop", index + 1, loop.group(1), loop.group(2)))
                elif condition:
                    plan.append(("if", index + 1, "", condition.group(1)))
                plan += [("drop", index, "", ""), ("drop", end, "", "")]
                index = end + 1
                continue
            if _VAR.search(text):
                plan.append(("fill", index, "", ""))
            style = paragraphs[index].find(f"{_W}pPr/{_W}pStyle")
            if style is not None and style.get(f"{_W}val") in SIGNOFF_INDENTS:
                plan.append(("indent", index, "", SIGNOFF_INDENTS[style.get(f"{_W}val")]))
            index += 1
        return plan

    @staticmethod
    def _fill(paragraph: Any, values: Mapping[str, Any], parent: Any) -> None:
        from docx.text.paragraph import Paragraph

        for run in Paragraph(paragraph, parent).runs:
            if "{{" in run.text:
                run.text = _VAR.sub(lambda m: str(lookup(values, m.group(1))), run.text)

    def render(self, context: Mapping[str, Any]) -> bytes:
        from docx import Document
        from docx.shared import Twips
        from docx.text.paragraph import Paragraph

        document = Document(io.BytesIO(self.template)) if self.reload else copy.deepcopy(self.pristine)
        paragraphs = self._paragraphs(document)
        for action, index, name, expression in self._plan:
            paragraph = paragraphs[index]
            if action == "fill":
                self._fill(paragraph, context, document)
            elif action == "indent":
                Paragraph(paragraph, document).paragraph_format.right_indent = Twips(int(lookup(context, expression)))
            elif action == "drop":
                paragraph.getparent().remove(paragraph)
            elif action == "loop":
                for item in lookup(context, expression):
                    clone = copy.deepcopy(paragraph)
                    self._fill(clone, {**context, name: item}, document)
                    paragraph.addprevious(clone)
                paragraph.getparent().remove(paragraph)
            elif action == "if":
                if lookup(context, expression):
                    self._fill(paragraph, context, document)
                else:
                    paragraph.getparent().remove(paragraph)
        for section in document.sections:  # the draft notice in the headers
            for header in (section.header, section.even_page_header):
                for paragraph in header.paragraphs:
                    self._fill(paragraph._p, context, header)
        document.core_properties.title = context["title"]
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# Word: docxtpl
# ---------------------------------------------------------------------------------------------------


class DocxtplRenderer:
    """One ``DocxTemplate`` rendered once per report, as docxtpl's documentation advises."""

    def __init__(self, path: str) -> None:
        from docxtpl import DocxTemplate

        self.template = DocxTemplate(path)

    def render(self, context: Mapping[str, Any]) -> bytes:
        self.template.render(dict(context), autoescape=True)
        buffer = io.BytesIO()
        self.template.save(buffer)
        return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# Excel: openpyxl and xlsxwriter
# ---------------------------------------------------------------------------------------------------

#: Prefix of the defined names of the output workbook's value cells.
NAME_PREFIX = "rk."


def named_cells(book: Any) -> list[tuple[str, str, str]]:
    """(field, sheet, cell) for every ``rk.`` defined name of an openpyxl workbook."""
    cells = []
    for name, defined in book.defined_names.items():
        if name.startswith(NAME_PREFIX):
            for sheet, coordinate in defined.destinations:
                cells.append((name[len(NAME_PREFIX) :], sheet, coordinate.replace("$", "")))
    return cells


def _load_workbook(data: bytes) -> Any:
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_workbook(io.BytesIO(data))


class OpenpyxlFiller:
    """The output template loaded once; each report writes the named cells and saves."""

    def __init__(self, template: bytes) -> None:
        self.book = _load_workbook(template)
        self.cells = [(field, self.book[sheet][cell]) for field, sheet, cell in named_cells(self.book)]

    def render(self, values: Mapping[str, Any]) -> bytes:
        for field, cell in self.cells:
            value = values[field]
            cell.value = None if value == "" else value
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()


def _color(color: Any) -> str | None:
    rgb = getattr(color, "rgb", None) if color is not None else None
    return f"#{rgb[-6:]}" if isinstance(rgb, str) and len(rgb) >= 6 else None


def _format_of(cell: Any) -> dict[str, Any]:
    """An xlsxwriter format description of an openpyxl cell's style."""
    font, border, align, fill = cell.font, cell.border, cell.alignment, cell.fill
    spec: dict[str, Any] = {"font_name": font.name, "font_size": font.sz}
    if font.b:
        spec["bold"] = True
    if _color(font.color):
        spec["font_color"] = _color(font.color)
    if fill.fill_type == "solid" and _color(fill.fgColor):
        spec["bg_color"] = _color(fill.fgColor)
    for side in ("left", "right", "top", "bottom"):
        edge = getattr(border, side)
        if edge is not None and edge.style == "thin":
            spec[side] = 1
    if align.horizontal:
        spec["align"] = align.horizontal
    if align.vertical:
        spec["valign"] = "vcenter" if align.vertical == "center" else align.vertical
    if align.wrap_text:
        spec["text_wrap"] = True
    if cell.number_format != "General":
        spec["num_format"] = cell.number_format
    return spec


def xlsx_layout(template: bytes) -> dict[str, Any]:
    """Everything of the output workbook but its values, as plain data (what a user would write in code)."""
    from openpyxl.utils import column_index_from_string, range_boundaries

    book = _load_workbook(template)
    fields = {(sheet, cell): field for field, sheet, cell in named_cells(book)}
    formats: dict[tuple[tuple[str, Any], ...], int] = {}
    sheets: list[dict[str, Any]] = []
    for ws in book.worksheets:
        cells = []
        for row in ws.iter_rows():
            for cell in row:
                if not cell.has_style and cell.value is None:
                    continue
                style = formats.setdefault(tuple(sorted(_format_of(cell).items())), len(formats))
                cells.append(
                    [cell.row - 1, cell.column - 1, cell.value, style, fields.get((ws.title, cell.coordinate))]
                )
        merges = []
        for merged in ws.merged_cells.ranges:
            min_col, min_row, max_col, max_row = range_boundaries(str(merged))
            merges.append([min_row - 1, min_col - 1, max_row - 1, max_col - 1])
        inside = {(r, c) for m in merges for r in range(m[0], m[2] + 1) for c in range(m[1], m[3] + 1)}
        sheets.append(
            {
                "title": ws.title,
                "widths": [
                    [column_index_from_string(letter) - 1, dim.width]
                    for letter, dim in ws.column_dimensions.items()
                    if dim.width
                ],
                "heights": [[index - 1, dim.height] for index, dim in ws.row_dimensions.items() if dim.height],
                "cells": [c for c in cells if (c[0], c[1]) not in inside],
                "merges": [[m, next((c for c in cells if (c[0], c[1]) == (m[0], m[1])), None)] for m in merges],
                "freeze": ws.freeze_panes,
                "landscape": ws.page_setup.orientation == "landscape",
                "repeat": ws.print_title_rows,
            }
        )
    return {
        "names": [
            [NAME_PREFIX + field, f"='{sheet}'!${_col(cell)}${_row(cell)}"] for (sheet, cell), field in fields.items()
        ],
        "properties": [[p.name, p.value] for p in book.custom_doc_props.props],
        "title": book.properties.title,
        "sheets": sheets,
        "formats": [dict(key) for key, _ in sorted(formats.items(), key=lambda item: item[1])],
    }


class XlsxwriterBuilder:
    """xlsxwriter building the output workbook from scratch, from a layout written down once."""

    def __init__(self, layout: Mapping[str, Any]) -> None:
        import xlsxwriter  # noqa: F401  (fail here, not in the first render, when it is missing)

        self.layout = layout

    @classmethod
    def from_template(cls, template: bytes) -> XlsxwriterBuilder:
        return cls(xlsx_layout(template))

    def render(self, values: Mapping[str, Any]) -> bytes:
        import xlsxwriter

        layout = self.layout
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True})
        book.set_properties({"title": layout["title"], "author": "reportkit"})
        for name, value in layout["properties"]:
            book.set_custom_property(name, value)
        formats = [book.add_format(spec) for spec in layout["formats"]]
        for spec in layout["sheets"]:
            ws = book.add_worksheet(spec["title"])
            ws.hide_gridlines(2)
            ws.set_paper(9)
            ws.fit_to_pages(1, 0)
            ws.center_horizontally()
            if spec["landscape"]:
                ws.set_landscape()
            if spec["repeat"]:
                first, _, last = spec["repeat"].replace("$", "").partition(":")
                ws.repeat_rows(int(first) - 1, int(last) - 1)
            if spec["freeze"]:
                ws.freeze_panes(spec["freeze"])
            for column, width in spec["widths"]:
                ws.set_column(column, column, width)
            for row, height in spec["heights"]:
                ws.set_row(row, height)
            for (first_row, first_col, last_row, last_col), origin in spec["merges"]:
                style = formats[origin[3]] if origin else None
                ws.merge_range(first_row, first_col, last_row, last_col, "", style)
                if origin:
                    _write(ws, first_row, first_col, values[origin[4]] if origin[4] else origin[2], style)
            for row, column, label, style_index, field in spec["cells"]:
                _write(ws, row, column, values[field] if field else label, formats[style_index])
        for name, reference in layout["names"]:
            book.define_name(name, reference)
        book.close()
        return buffer.getvalue()


def _col(cell: str) -> str:
    return cell.rstrip("0123456789")


def _row(cell: str) -> str:
    return cell[len(_col(cell)) :]


def _write(ws: Any, row: int, column: int, value: Any, style: Any) -> None:
    if value is None or value == "":
        ws.write_blank(row, column, None, style)
    elif isinstance(value, bool):  # pragma: no cover - no booleans in a report
        ws.write_boolean(row, column, value, style)
    elif isinstance(value, int | float | Decimal):
        ws.write_number(row, column, float(value), style)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, column, dt.datetime(value.year, value.month, value.day), style)
    else:
        ws.write_string(row, column, str(value), style)


# ---------------------------------------------------------------------------------------------------
# The floor
# ---------------------------------------------------------------------------------------------------


def _members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def changed_members(first: bytes, second: bytes) -> list[str]:
    """The members whose content differs between two outputs of the same renderer."""
    a, b = dict(_members(first)), dict(_members(second))
    return [name for name in a if a.get(name) != b.get(name)]


class Floor:
    """A zip writer that deflates only the changed members; the others are stored precompressed.

    ``Floor(example, changed)`` prepares the unchanged members of ``example`` (an output of the real renderer);
    ``render(parts)`` takes the changed members' bytes, as the real renderer would have produced them.
    """

    LEVEL = 1  #: the fastest deflate: a lower bound, not a size contest

    def __init__(self, example: bytes, changed: Sequence[str]) -> None:
        self.order = [name for name, _ in _members(example)]
        self.changed = frozenset(changed)
        self.fixed: dict[str, tuple[bytes, int, int]] = {}
        for name, content in _members(example):
            if name not in self.changed:
                self.fixed[name] = (_deflate(content, 6), zlib.crc32(content), len(content))

    def render(self, parts: Mapping[str, bytes]) -> bytes:
        out = bytearray()
        directory = bytearray()
        for name in self.order:
            if name in self.changed:
                content = parts[name]
                packed, crc, size = _deflate(content, self.LEVEL), zlib.crc32(content), len(content)
            else:
                packed, crc, size = self.fixed[name]
            encoded = name.encode("utf-8")
            offset = len(out)
            # Local header: version 20, no flags, deflate, time/date of 1980-01-01 00:00.
            out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(packed), size, len(encoded), 0)
            out += encoded
            out += packed
            directory += struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(packed), size, len(encoded), 0, 0, 0, 0, 0, offset,
            )  # fmt: skip
            directory += encoded
        start = len(out)
        out += directory
        count = len(self.order)
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), start, 0)
        return bytes(out)


def _deflate(content: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(content) + compressor.flush()


def parts_of(data: bytes, names: Sequence[str]) -> dict[str, bytes]:
    """The uncompressed bytes of the members ``names`` of an Office file."""
    members = dict(_members(data))
    return {name: members[name] for name in names}


# ---------------------------------------------------------------------------------------------------
# Content, for the validity check
# ---------------------------------------------------------------------------------------------------


def docx_content(data: bytes) -> dict[str, Any]:
    """What a reader sees in a Word file, opened with python-docx: the body paragraphs (tables flattened,
    one entry per cell), the header texts and the title property. Raises if python-docx cannot open it."""
    from docx import Document

    document = Document(io.BytesIO(data))
    body: list[str] = []
    for block in document.element.body.iterchildren():
        if block.tag == f"{_W}p":
            body.append(_text_of(block))
        elif block.tag == f"{_W}tbl":
            for row in block.iter(f"{_W}tr"):
                body.append(" | ".join(_text_of(cell) for cell in row.iterchildren(f"{_W}tc")))
    headers = [p.text for section in document.sections for p in section.header.paragraphs]
    return {"body": body, "headers": headers, "title": document.core_properties.title}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def xlsx_content(data: bytes) -> dict[str, Any]:
    """What a reader sees in a workbook, opened with openpyxl: every sheet's values (merged areas
    included), the merged ranges, and the value of every named cell."""
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = load_workbook(io.BytesIO(data))
    sheets = {}
    for ws in book.worksheets:
        grid = {
            cell.coordinate: _plain(cell.value)
            for row in ws.iter_rows()
            for cell in row
            if cell.value not in (None, "")
        }
        sheets[ws.title] = {"cells": grid, "merged": sorted(str(m) for m in ws.merged_cells.ranges)}
    named = {field: _plain(book[sheet][cell].value) for field, sheet, cell in named_cells(book)}
    return {"sheets": sheets, "named": named}


def differences(expected: Any, actual: Any, path: str = "") -> Iterator[str]:
    """Where two content descriptions differ (the first few places)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            yield from differences(expected.get(key), actual.get(key), f"{path}/{key}")
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            yield f"{path}: {len(expected)} items expected, {len(actual)} found"
        for index, (a, b) in enumerate(zip(expected, actual, strict=False)):
            yield from differences(a, b, f"{path}[{index}]")
    elif expected != actual:
        yield f"{path}: expected {_short(expected)}, got {_short(actual)}"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


Renderer = Callable[[int], bytes]
