"""Layout fixes on a rendered Word part: what a template cannot decide alone because it depends on the figures.

* **The sign-off keeps company** (GB/T 9704-2012 §7.3.5.5: the 落款 and 成文日期 never stand alone on a page).
  The last paragraph of body text before the sign-off, and any blank paragraph between them, get
  ``w:keepNext``, so a page break before the sign-off takes that paragraph's last lines along. Only that
  paragraph: ``keepNext`` on every paragraph of section 六 would drag the whole section. The sign-off is found
  by its paragraph styles (:data:`~reportkit.render.gongwen.STYLE_SIGNOFF_NAME`,
  :data:`~reportkit.render.gongwen.STYLE_SIGNOFF_DATE`), looked up by name in the template's ``styles.xml``, so a
  restyled copy whose editor gave the styles other ids is served too.
* **Numbers stay whole in their cells.** A table cell whose text is a number wider than the cell (its width
  minus the cell margins and paragraph indents; digits are half an em) would wrap and read as two numbers;
  its runs get a smaller ``w:sz``/``w:szCs`` that fits.

Called once per rendered part by :meth:`~reportkit.render.docx.CompiledDocxTemplate.render`, so both must
be cheap. What depends only on the template (the styles, how many digits each number cell holds) is measured
once per compiled template and cached. The sign-off is found with a few string searches from the end of the
body. Numbers cost nothing unless a number of the context is longer than the narrowest number cell holds; then a
regular-expression search finds the cells whose width (``w:tcW``) is too small for them, and only their rows
are parsed, measured and written back.
"""

from __future__ import annotations

import io
import re
import threading
import weakref
import zipfile
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from attrs import field, frozen
from lxml import etree  # type: ignore[import-untyped]

from reportkit.render.gongwen import STYLE_SIGNOFF_DATE, STYLE_SIGNOFF_NAME
from reportkit.render.gongwen import text_width as printed_width

if TYPE_CHECKING:
    from reportkit.render.docx_template import CompiledDocxTemplate

__all__ = ["fit_depends_on_context", "fit_rendered_part", "for_libreoffice"]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W_NS}}}"

#: Word's own defaults when neither the document nor a style says: 10 pt text, 0.19 cm left and right cell margins.
DEFAULT_SIZE = 20
DEFAULT_CELL_MARGIN = 108
#: A fitted number is given this much less than the exact room (rounding in the layout engines).
FIT_SLACK = 0.97
#: The smallest size (half-points) a number is shrunk to.
MIN_SIZE = 2

_NUMBER = re.compile(r"[0-9][0-9.,]*")


def fit_rendered_part(template: CompiledDocxTemplate, name: str, xml: str, context: Mapping[str, Any]) -> str:
    """``xml``, a rendered part of ``template`` filled from ``context``, with the sign-off kept with the body
    and long numbers fitted."""
    if not name.startswith("word/"):
        return xml
    layout = _layout(template)
    if name == "word/document.xml" and layout.signoff:
        xml = keep_signoff_with_body(xml, layout.signoff, layout.styles)
    room = layout.number_rooms.get(name)
    if room is not None and _longest_number(context) > room.fewest:  # else every number fits every cell
        long = room.too_long(xml)
        if long:
            xml = shrink_long_numbers(xml, layout.styles, room.fewest, long)
    return xml


def fit_depends_on_context(template: CompiledDocxTemplate, name: str) -> bool:
    """Whether fitting a rendered part reads the context (the numbers of its tables) as well as the part itself."""
    return name.startswith("word/") and name in _layout(template).number_rooms


def _longest_number(context: Mapping[str, Any]) -> int:
    """The most characters of a number (digits, maybe with a point) among the values of a context's tables
    (nested mappings of strings; lists hold paragraphs of text, not cells)."""
    longest = 0
    pending: list[Mapping[str, Any]] = [context]
    while pending:
        for value in pending.pop().values():
            if type(value) is str:
                if len(value) > longest and "0" <= value[:1] <= "9" and _NUMBER.fullmatch(value):
                    longest = len(value)
            elif isinstance(value, Mapping):
                pending.append(value)
    return longest


# ---------------------------------------------------------------------------------------------------
# What is measured once per template
# ---------------------------------------------------------------------------------------------------

_TC_OPEN = re.compile(r"<w:tc[\s>]")
_TC_W = re.compile(r"<w:tcW\b([^>]*)>")
_ATTRIBUTE_W = re.compile(r'\bw:w="(\d+)"')
_ATTRIBUTE_TYPE = re.compile(r'\bw:type="(\w+)"')


@frozen
class _NumberRoom:
    """How many characters of a number the number cells of one template part hold on a line."""

    fewest: int  #: in the narrowest number cell
    by_width: dict[int, int]  #: by the cell's ``w:tcW`` in the template: the fewest of the cells that wide
    longer: re.Pattern[str]  #: a ``w:t`` that is a number of more than ``fewest`` characters

    def too_long(self, xml: str) -> list[re.Match[str]]:
        """The numbers of a rendered part that may not fit their cell (a regular-expression search, and for
        each number longer than ``fewest``, a look at its cell's width)."""
        found = []
        for match in self.longer.finditer(xml):
            width = _cell_width_before(xml, match.start())
            if width is None or len(match.group(1)) > self.by_width.get(width, -1):
                found.append(match)
        return found


def _cell_width_before(xml: str, position: int) -> int | None:
    """The ``w:tcW`` (twips) of the table cell around ``position`` in a part's XML text."""
    cell = _last_open(_TC_OPEN, xml, 0, position)
    if cell < 0:
        return None
    width = _TC_W.search(xml, cell, position)
    if width is None:
        return None
    kind = _ATTRIBUTE_TYPE.search(width.group(1))
    value = _ATTRIBUTE_W.search(width.group(1))
    if value is None or (kind is not None and kind.group(1) != "dxa"):
        return None
    return int(value.group(1))


@frozen
class _Layout:
    styles: StyleSheet
    signoff: tuple[str, ...]  #: the ``w:pStyle`` elements of the sign-off paragraphs, as rendered
    number_rooms: dict[str, _NumberRoom]  #: by part name, for parts with number cells


_LAYOUTS: weakref.WeakKeyDictionary[CompiledDocxTemplate, _Layout] = weakref.WeakKeyDictionary()
_LAYOUTS_LOCK = threading.Lock()


def _layout(template: CompiledDocxTemplate) -> _Layout:
    with _LAYOUTS_LOCK:
        found = _LAYOUTS.get(template)
    if found is not None:
        return found
    styles = StyleSheet.from_package(template.base_zip)
    ids = styles.paragraph_ids(STYLE_SIGNOFF_NAME, STYLE_SIGNOFF_DATE)
    signoff = tuple(f'<w:pStyle w:val="{_xml_attribute(i)}"/>' for i in sorted(ids))
    rooms = {part.name: room for part in template.parts if (room := _number_room(part.original, styles))}
    layout = _Layout(styles, signoff, rooms)
    with _LAYOUTS_LOCK:
        _LAYOUTS[template] = layout
    return layout


def _xml_attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _long_number(longer_than: int) -> re.Pattern[str]:
    """A ``w:t`` whose whole text is a number of more than ``longer_than`` characters (group 1: the number)."""
    return re.compile(rf"<w:t(?:\s[^>]*)?>\s*([0-9][0-9.,]{{{max(0, longer_than)},}})\s*</w:t>")


def _number_room(original: bytes, styles: StyleSheet) -> _NumberRoom | None:
    """What the table cells with a placeholder of a template part hold (None: the part has none)."""
    if b"tbl" not in original:
        return None
    try:
        root = etree.fromstring(original, parser=_parser())
    except etree.XMLSyntaxError:
        return None
    by_width: dict[int, int] = {}
    fewest: int | None = None
    for cell in _cells(root, styles):
        if "{" not in "".join(t.text or "" for t in cell.element.iter(f"{_W}t")):
            continue
        holds: int | None = None
        for paragraph in cell.element.iter(f"{_W}p"):
            room = int((cell.width - styles.indents(paragraph)) * FIT_SLACK)
            for run in paragraph.findall(f"{_W}r"):
                if run.find(f"{_W}t") is not None:
                    size, spacing = styles.run_format(run, paragraph, cell.table_style)
                    digits = max(0, room // max(1, size * 5 + spacing))
                    holds = digits if holds is None else min(holds, digits)
        if holds is None:
            continue
        fewest = holds if fewest is None else min(fewest, holds)
        tc_w = cell.element.find(f"{_W}tcPr/{_W}tcW")
        width = _int(tc_w, "w")
        if width is not None and tc_w is not None and tc_w.get(f"{_W}type", "dxa") == "dxa":
            by_width[width] = min(by_width.get(width, holds), holds)
    if fewest is None:
        return None
    return _NumberRoom(fewest, by_width, _long_number(fewest))


# ---------------------------------------------------------------------------------------------------
# Styles: the few properties the measurements need, resolved through basedOn
# ---------------------------------------------------------------------------------------------------


def _int(element: etree._Element | None, attribute: str) -> int | None:
    if element is None:
        return None
    value = element.get(f"{_W}{attribute}")
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _on_off(element: etree._Element | None) -> bool | None:
    if element is None:
        return None
    return element.get(f"{_W}val", "true") not in ("0", "false", "off")


@frozen
class _Style:
    based_on: str | None
    size: int | None  #: half-points
    spacing: int | None  #: character spacing, twips
    indents: etree._Element | None = field(eq=False)  #: ``w:pPr/w:ind``
    margins: tuple[int | None, int | None]  #: table styles: left and right cell margins
    keep_next: bool | None  #: paragraph styles: ``w:keepNext`` on or off, None when the style does not say
    line: etree._Element | None = field(eq=False)  #: ``w:pPr/w:spacing`` when it sets the line spacing


def _line_spacing(spacing: etree._Element | None) -> etree._Element | None:
    return spacing if spacing is not None and spacing.get(f"{_W}line") is not None else None


def _run_props(rpr: etree._Element | None) -> tuple[int | None, int | None]:
    if rpr is None:
        return None, None
    return _int(rpr.find(f"{_W}sz"), "val"), _int(rpr.find(f"{_W}spacing"), "val")


def _margins(container: etree._Element | None) -> tuple[int | None, int | None]:
    """Left and right margins of a ``w:tblCellMar`` or ``w:tcMar`` (twips; pct and auto ignored)."""
    if container is None:
        return None, None

    def side(*names: str) -> int | None:
        for name in names:
            element = container.find(f"{_W}{name}")
            if element is not None and element.get(f"{_W}type", "dxa") == "dxa":
                return _int(element, "w")
        return None

    return side("left", "start"), side("right", "end")


@frozen
class StyleSheet:
    """The styles of a Word package, as far as font size, character spacing, indents and cell margins go."""

    styles: dict[str, _Style]
    names: dict[str, str]  #: paragraph style id -> name
    default_paragraph: str | None
    default_table: str | None
    default_size: int
    default_spacing: int
    default_line: etree._Element | None = None  #: the document defaults' ``w:spacing``, when it sets the line
    formats: dict[tuple[str | None, ...], tuple[int, int]] = field(factory=dict, eq=False)
    indent_cache: dict[tuple[object, ...], tuple[int, int, int]] = field(factory=dict, eq=False)

    @classmethod
    def from_package(cls, package: bytes) -> StyleSheet:
        try:
            with zipfile.ZipFile(io.BytesIO(package)) as archive:
                data = archive.read("word/styles.xml")
            root = etree.fromstring(data, parser=_parser())
        except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
            return cls({}, {}, None, None, DEFAULT_SIZE, 0)
        styles: dict[str, _Style] = {}
        names: dict[str, str] = {}
        defaults: dict[str, str] = {}
        for style in root.iter(f"{_W}style"):
            style_id = style.get(f"{_W}styleId")
            kind = style.get(f"{_W}type", "paragraph")
            if style_id is None:
                continue
            if style.get(f"{_W}default") in ("1", "true", "on"):
                defaults.setdefault(kind, style_id)
            name = style.find(f"{_W}name")
            if kind == "paragraph":
                names[style_id] = name.get(f"{_W}val", style_id) if name is not None else style_id
            based = style.find(f"{_W}basedOn")
            size, spacing = _run_props(style.find(f"{_W}rPr"))
            styles[style_id] = _Style(
                based.get(f"{_W}val") if based is not None else None,
                size,
                spacing,
                style.find(f"{_W}pPr/{_W}ind"),
                _margins(style.find(f"{_W}tblPr/{_W}tblCellMar")),
                _on_off(style.find(f"{_W}pPr/{_W}keepNext")),
                _line_spacing(style.find(f"{_W}pPr/{_W}spacing")),
            )
        size, spacing = _run_props(root.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr"))
        return cls(
            styles,
            names,
            defaults.get("paragraph"),
            defaults.get("table"),
            size if size is not None else DEFAULT_SIZE,
            spacing if spacing is not None else 0,
            _line_spacing(root.find(f"{_W}docDefaults/{_W}pPrDefault/{_W}pPr/{_W}spacing")),
        )

    def paragraph_ids(self, *names: str) -> set[str]:
        """The ids of the paragraph styles with these names (or these ids)."""
        wanted = set(names)
        return {i for i, name in self.names.items() if name in wanted or i in wanted}

    def _chain(self, style_id: str | None) -> Iterator[_Style]:
        seen: set[str] = set()
        while style_id is not None and style_id not in seen and len(seen) < 50:
            seen.add(style_id)
            style = self.styles.get(style_id)
            if style is None:
                return
            yield style
            style_id = style.based_on

    def _paragraph_style(self, paragraph: etree._Element) -> str | None:
        style = paragraph.find(f"{_W}pPr/{_W}pStyle")
        return style.get(f"{_W}val") if style is not None else self.default_paragraph

    def run_format(self, run: etree._Element, paragraph: etree._Element, table_style: str | None) -> tuple[int, int]:
        """Font size (half-points) and character spacing (twips) of a run: direct, character style,
        paragraph style, table style, document defaults."""
        direct_size, direct_spacing = _run_props(run.find(f"{_W}rPr"))
        if direct_size is not None and direct_spacing is not None:
            return max(1, direct_size), direct_spacing
        char_style = run.find(f"{_W}rPr/{_W}rStyle")
        size, spacing = self._styled_format(
            char_style.get(f"{_W}val") if char_style is not None else None,
            self._paragraph_style(paragraph),
            table_style,
        )
        size = direct_size if direct_size is not None else size
        spacing = direct_spacing if direct_spacing is not None else spacing
        return max(1, size), spacing

    def _styled_format(self, char_style: str | None, paragraph_style: str | None, table: str | None) -> tuple[int, int]:
        key = (char_style, paragraph_style, table)
        found = self.formats.get(key)
        if found is not None:
            return found
        size: int | None = None
        spacing: int | None = None
        for style_id in key:
            for style in self._chain(style_id):
                size = style.size if size is None else size
                spacing = style.spacing if spacing is None else spacing
        result = (
            size if size is not None else self.default_size,
            spacing if spacing is not None else self.default_spacing,
        )
        self.formats[key] = result  # a cache of the style chains (the sheet itself never changes)
        return result

    def indents(self, paragraph: etree._Element) -> int:
        """Left plus right indent and a positive first-line indent of a paragraph, in twips."""
        return sum(max(0, value) for value in self.indent_parts(paragraph))

    def indent_parts(self, paragraph: etree._Element) -> tuple[int, int, int]:
        """The left, right and first-line indents of a paragraph (twips; a hanging indent counts as none)."""
        direct = paragraph.find(f"{_W}pPr/{_W}ind")
        style_id = self._paragraph_style(paragraph)
        key = ("ind", style_id, *(sorted(direct.attrib.items()) if direct is not None else ()))
        found = self.indent_cache.get(key)
        if found is None:
            found = self._indent_parts([direct, *(style.indents for style in self._chain(style_id))])
            self.indent_cache[key] = found
        return found

    @staticmethod
    def _indent_parts(elements: list[etree._Element | None]) -> tuple[int, int, int]:
        values: dict[str, int] = {}
        for element in elements:
            if element is None:
                continue
            for key, names in (("left", ("left", "start")), ("right", ("right", "end")), ("first", ("firstLine",))):
                if key in values:
                    continue
                for name in names:
                    value = _int(element, name)
                    if value is not None:
                        values[key] = value
                        break
            if "first" not in values and _int(element, "hanging") is not None:
                values["first"] = 0
        return values.get("left", 0), values.get("right", 0), values.get("first", 0)

    def line_pitch(self, paragraph: etree._Element) -> int | None:
        """The exact (or at-least) line spacing of a paragraph in twips; None for proportional spacing."""
        spacing = paragraph.find(f"{_W}pPr/{_W}spacing")
        candidates = [spacing] if spacing is not None and spacing.get(f"{_W}line") is not None else []
        candidates += [style.line for style in self._chain(self._paragraph_style(paragraph)) if style.line is not None]
        candidates += [self.default_line] if self.default_line is not None else []
        for element in candidates:
            if element.get(f"{_W}line") is None:
                continue
            if element.get(f"{_W}lineRule", "auto") == "auto":
                return None
            return _int(element, "line")
        return None

    def keeps_with_next(self, style_id: str | None) -> bool:
        """Whether a paragraph of this style (the default paragraph style when None) keeps with the next."""
        for style in self._chain(style_id if style_id is not None else self.default_paragraph):
            if style.keep_next is not None:
                return style.keep_next
        return False

    def table_margins(self, table_style: str | None) -> tuple[int | None, int | None]:
        left: int | None = None
        right: int | None = None
        for style in self._chain(table_style):
            left = style.margins[0] if left is None else left
            right = style.margins[1] if right is None else right
        return left, right


# ---------------------------------------------------------------------------------------------------
# Table cells and their room
# ---------------------------------------------------------------------------------------------------


@frozen
class _Cell:
    element: etree._Element = field(eq=False)
    width: int  #: twips for text: cell width minus the left and right cell margins
    table_style: str | None


@frozen
class _Table:
    grid: list[int]
    margins: tuple[int, int]  #: left and right cell margins of the table
    style: str | None
    #: the grid column where each cell of a row starts, by row (filled as rows are measured)
    columns: dict[etree._Element, dict[etree._Element, int]] = field(factory=dict, eq=False)

    @classmethod
    def of(cls, table: etree._Element, styles: StyleSheet) -> _Table:
        grid = [_int(column, "w") or 0 for column in table.findall(f"{_W}tblGrid/{_W}gridCol")]
        tbl_pr = table.find(f"{_W}tblPr")
        style = tbl_pr.find(f"{_W}tblStyle") if tbl_pr is not None else None
        table_style = style.get(f"{_W}val") if style is not None else styles.default_table
        direct = _margins(tbl_pr.find(f"{_W}tblCellMar") if tbl_pr is not None else None)
        inherited = styles.table_margins(table_style)
        left, right = (
            d if d is not None else (s if s is not None else DEFAULT_CELL_MARGIN)
            for d, s in zip(direct, inherited, strict=True)
        )
        return cls(grid, (left, right), table_style)


def _span(cell: etree._Element) -> int:
    return max(1, _int(cell.find(f"{_W}tcPr/{_W}gridSpan"), "val") or 1)


def _cell(cell: etree._Element, column: int, table: _Table) -> _Cell | None:
    """A cell starting at grid column ``column``, with the width its text has (None: unknown width, or the
    cell holds a nested table)."""
    tc_pr = cell.find(f"{_W}tcPr")
    span = _span(cell)
    widths = []
    if column + span <= len(table.grid):
        widths.append(sum(table.grid[column : column + span]))
    tc_w = tc_pr.find(f"{_W}tcW") if tc_pr is not None else None
    if tc_w is not None and tc_w.get(f"{_W}type", "dxa") == "dxa" and (_int(tc_w, "w") or 0) > 0:
        widths.append(_int(tc_w, "w") or 0)
    if not widths or cell.find(f".//{_W}tbl") is not None:
        return None
    own = _margins(tc_pr.find(f"{_W}tcMar") if tc_pr is not None else None)
    left = own[0] if own[0] is not None else table.margins[0]
    right = own[1] if own[1] is not None else table.margins[1]
    return _Cell(cell, min(widths) - left - right, table.style)


def _first_column(row: etree._Element) -> int:
    return _int(row.find(f"{_W}trPr/{_W}gridBefore"), "val") or 0


def _cells(root: etree._Element, styles: StyleSheet) -> Iterator[_Cell]:
    """Every table cell of a part (but those holding a nested table) with the width its text has."""
    for element in root.iter(f"{_W}tbl"):
        table = _Table.of(element, styles)
        for row in element.findall(f"{_W}tr"):
            column = _first_column(row)
            for tc in row.findall(f"{_W}tc"):
                cell = _cell(tc, column, table)
                column += _span(tc)
                if cell is not None:
                    yield cell


def _cell_at(tc: etree._Element, tables: dict[etree._Element, _Table], styles: StyleSheet) -> _Cell | None:
    """The cell ``tc`` (found from its text) measured: its column is counted along its row."""
    row = tc.getparent()
    element = row.getparent() if row is not None else None
    if row is None or element is None or etree.QName(row).localname != "tr":
        return None
    if element not in tables:
        tables[element] = _Table.of(element, styles)
    table = tables[element]
    columns = table.columns.get(row)
    if columns is None:
        columns = {}
        column = _first_column(row)
        for sibling in row.findall(f"{_W}tc"):
            columns[sibling] = column
            column += _span(sibling)
        table.columns[row] = columns
    start = columns.get(tc)
    return _cell(tc, start, table) if start is not None else None


# ---------------------------------------------------------------------------------------------------
# Long numbers
# ---------------------------------------------------------------------------------------------------

#: ``w:rPr`` children that follow ``w:sz`` (ECMA-376 CT_RPr order).
_AFTER_SZ = (
    "szCs",
    "highlight",
    "u",
    "effect",
    "bdr",
    "shd",
    "fitText",
    "vertAlign",
    "rtl",
    "cs",
    "em",
    "lang",
    "eastAsianLayout",
    "specVanish",
    "oMath",
)


def _set_size(run: etree._Element, size: int) -> None:
    rpr = run.find(f"{_W}rPr")
    if rpr is None:
        rpr = etree.Element(f"{_W}rPr")
        run.insert(0, rpr)
    for tag in ("sz", "szCs"):
        element = rpr.find(f"{_W}{tag}")
        if element is None:
            element = etree.Element(f"{_W}{tag}")
            later = _AFTER_SZ if tag == "sz" else _AFTER_SZ[1:]
            successor = next((c for c in rpr if etree.QName(c).localname in later), None)
            if successor is not None:
                successor.addprevious(element)
            else:
                rpr.append(element)
        element.set(f"{_W}val", str(size))


def _fitting_size(cell: _Cell, styles: StyleSheet) -> tuple[list[etree._Element], int] | None:
    """The runs of a cell that holds only a number too wide for it, and the largest size that fits them."""
    paragraphs = [p for p in cell.element.findall(f"{_W}p") if p.find(f".//{_W}t") is not None]
    if len(paragraphs) != 1:
        return None
    paragraph = paragraphs[0]
    runs = [r for r in paragraph.findall(f"{_W}r") if r.find(f"{_W}t") is not None]
    texts = ["".join(t.text or "" for t in run.findall(f"{_W}t")) for run in runs]
    if not runs or not _NUMBER.fullmatch("".join(texts).strip()):
        return None
    room = int((cell.width - styles.indents(paragraph)) * FIT_SLACK)
    formats = [styles.run_format(run, paragraph, cell.table_style) for run in runs]
    needed = sum(len(text) * (size * 5 + spacing) for text, (size, spacing) in zip(texts, formats, strict=True))
    if needed <= room or room <= 0:
        return None
    characters = sum(len(text) for text in texts)
    spacing_total = sum(len(text) * spacing for text, (_size, spacing) in zip(texts, formats, strict=True))
    return runs, max(MIN_SIZE, (room - spacing_total) // (5 * characters))


def _shrink_cells(tcs: Iterator[etree._Element], styles: StyleSheet) -> bool:
    """Shrink the number cells among ``tcs`` that need it; the cells shrunk in one table all get the size of
    the tightest one, so a row does not mix sizes. True when something changed."""
    tables: dict[etree._Element, _Table] = {}
    shrunk: dict[etree._Element, list[tuple[list[etree._Element], int]]] = {}
    for tc in tcs:
        cell = _cell_at(tc, tables, styles)
        fitting = _fitting_size(cell, styles) if cell is not None else None
        if fitting is not None:
            shrunk.setdefault(tc.getparent().getparent(), []).append(fitting)
    for cells in shrunk.values():
        size = min(fitting for _runs, fitting in cells)
        for runs, _fitting in cells:
            for run in runs:
                _set_size(run, size)
    return bool(shrunk)


def _number_cells(root: etree._Element, longer_than: int, only: set[str] | None = None) -> Iterator[etree._Element]:
    """The table cells holding a ``w:t`` that is a number of more than ``longer_than`` characters (and one of
    ``only`` when given)."""
    seen: set[etree._Element] = set()
    for text in root.iter(f"{_W}t"):
        value = (text.text or "").strip()
        if len(value) > longer_than and (value in only if only is not None else _NUMBER.fullmatch(value)):
            tc = next(text.iterancestors(f"{_W}tc"), None)
            if tc is not None and tc not in seen:
                seen.add(tc)
                yield tc


def _shrink_in_tree(xml: str, styles: StyleSheet, longer_than: int) -> str:
    """:func:`shrink_long_numbers` on the whole part, parsed."""
    declaration, body = _split_declaration(xml)
    try:
        root = etree.fromstring(body.encode("utf-8"), parser=_parser())
    except etree.XMLSyntaxError:
        return xml
    if not _shrink_cells(_number_cells(root, longer_than), styles):
        return xml
    result: str = etree.tostring(root, encoding="unicode")
    return declaration + result


def _split_declaration(xml: str) -> tuple[str, str]:
    if xml.startswith("<?xml"):
        end = xml.index("?>") + 2
        return xml[:end], xml[end:]
    return "", xml


_ROW_OPEN = re.compile(r"<w:tr[\s>]")
_TABLE_OPEN = re.compile(r"<w:tbl[\s>]")
_ROOT_OPEN = re.compile(r"<([A-Za-z_][\w.-]*:[A-Za-z_][\w.-]*)[\s>]")
_NAMESPACE_DECLARATION = re.compile(r'\s+xmlns(?::[\w.-]+)?="[^"]*"')


def _last_open(pattern: re.Pattern[str], xml: str, start: int, end: int) -> int:
    """The position of the last match of ``pattern`` (a tag name and what may follow it) in ``xml[start:end]``."""
    name = pattern.pattern.split("[", 1)[0]
    index = xml.rfind(name, start, end)  # the nearest one may be a longer name (<w:tcPr for <w:tc): go on back
    while index >= 0 and not pattern.match(xml, index):
        index = xml.rfind(name, start, index)
    return index


def _rows_to_fit(xml: str, numbers: list[re.Match[str]]) -> dict[int, dict[int, int]] | None:
    """Table start -> row start -> row end of every table row holding a long number (None: a structure
    that only a parse of the whole part gets right, such as a nested table)."""
    tables: dict[int, dict[int, int]] = {}
    row, end, table = -1, -1, -1
    for match in numbers:  # in document order: several numbers of a row are found once
        if row < match.start() < end:
            continue
        row = _last_open(_ROW_OPEN, xml, 0, match.start())
        if row < 0 or xml.find("</w:tr>", row, match.start()) >= 0:
            row, end = -1, -1
            continue  # not inside a table row
        end = xml.find("</w:tr>", match.end())
        if table < 0 or not table < row or xml.find("</w:tbl>", table, row) >= 0:  # not the last row's table
            table = _last_open(_TABLE_OPEN, xml, 0, row)
        if end < 0 or table < 0:
            return None
        end += len("</w:tr>")
        if "<w:tbl" in xml[row:end] or xml.find("</w:tbl>", table, row) >= 0:
            return None
        tables.setdefault(table, {})[row] = end
    return tables


def shrink_long_numbers(
    xml: str, styles: StyleSheet, longer_than: int = 0, numbers: list[re.Match[str]] | None = None
) -> str:
    """Give every table cell whose text is a number too wide for the cell a font size that fits it.

    Only numbers of more than ``longer_than`` characters are measured (shorter ones fit every number cell of
    the template), or only ``numbers`` (matches of :func:`_long_number` in ``xml``) when given. Only the rows
    holding such a number are parsed, each with its table's properties and grid, and written back in place;
    an unusual structure (a nested table) falls back to parsing the whole part.
    """
    if numbers is None:
        numbers = list(_long_number(longer_than).finditer(xml))
    rows = _rows_to_fit(xml, numbers)
    wanted = {match.group(1) for match in numbers}  # the numbers that may not fit, not those that do
    root_open = _ROOT_OPEN.search(xml)
    if rows is None or root_open is None:
        return _shrink_in_tree(xml, styles, longer_than)
    opening = xml[root_open.start() : xml.index(">", root_open.start()) + 1]
    closing = f"</{root_open.group(1)}>"
    edits: list[tuple[int, int, str]] = []
    for table, table_rows in rows.items():
        header_end = _ROW_OPEN.search(xml, table)
        if header_end is None:
            continue
        header = xml[table : header_end.start()]
        fragment = opening + header + "".join(xml[start:end] for start, end in table_rows.items()) + "</w:tbl>"
        try:
            root = etree.fromstring((fragment + closing).encode("utf-8"), parser=_parser())
        except etree.XMLSyntaxError:
            return _shrink_in_tree(xml, styles, longer_than)
        if not _shrink_cells(_number_cells(root, longer_than, wanted), styles):
            continue
        parsed_rows = root[0].findall(f"{_W}tr")
        for (start, end), row in zip(table_rows.items(), parsed_rows, strict=True):
            text = etree.tostring(row, encoding="unicode")
            tag_end = text.index(">")
            edits.append((start, end, _NAMESPACE_DECLARATION.sub("", text[:tag_end]) + text[tag_end:]))
    return _apply(xml, edits)


# ---------------------------------------------------------------------------------------------------
# The sign-off and the last paragraph of the body
# ---------------------------------------------------------------------------------------------------

#: Markup that may stand between two paragraphs without being content.
_BETWEEN = re.compile(
    r"<w:(?:bookmarkStart|bookmarkEnd|proofErr|permStart|permEnd|commentRangeStart|commentRangeEnd)\b[^<>]*/>"
)
_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")
_OBJECTS = ("<w:drawing", "<w:pict", "<w:object")
_KEEP_NEXT = re.compile(r"<w:keepNext(?:\s+w:val=\"([^\"]*)\")?\s*/>")
_PPR_OPEN = re.compile(r"\s*<w:pPr(\s*/>|(?:\s[^>]*)?>)")
_PSTYLE = re.compile(r'\s*<w:pStyle\s+w:val="([^"]*)"\s*/>')
#: How many blank paragraphs between the body and the sign-off are walked over.
MAX_BLANK_PARAGRAPHS = 8


def _is_open_tag(xml: str, index: int) -> bool:
    """``xml[index:]`` starts a ``<w:p>`` element that has content (not ``<w:pPr``, not a self-closed ``<w:p/>``)."""
    follower = xml[index + 4 : index + 5]
    if follower not in (" ", ">", "\t", "\n", "\r"):
        return False
    return xml[xml.index(">", index) - 1] != "/"


def _open_before(xml: str, position: int) -> int:
    index = xml.rfind("<w:p", 0, position)
    while index >= 0 and not _is_open_tag(xml, index):
        index = xml.rfind("<w:p", 0, index)
    return index


def _paragraph_start(xml: str, inside: int) -> int:
    """The start of the paragraph whose ``w:pPr`` holds position ``inside``."""
    return _open_before(xml, inside)


def _previous_paragraph(xml: str, start: int) -> tuple[int, int] | None:
    """(start, end) of the paragraph right before the one starting at ``start``, if the sibling before it is one."""
    end = start
    while True:
        while end > 0 and xml[end - 1].isspace():
            end -= 1
        if end == 0 or xml[end - 1] != ">":
            return None
        lt = xml.rfind("<", 0, end)
        tag = xml[lt:end]
        if _BETWEEN.fullmatch(tag):
            end = lt
            continue
        break
    if tag == "</w:p>":
        depth, position = 1, lt
        while depth:
            close = xml.rfind("</w:p>", 0, position)
            opening = _open_before(xml, position)
            if opening < 0:
                return None
            if close > opening:
                depth, position = depth + 1, close
            else:
                depth, position = depth - 1, opening
        return position, end
    if re.fullmatch(r"<w:p(?:\s[^>]*)?/>", tag):
        return lt, end
    return None


def _has_content(paragraph: str) -> bool:
    return any(text.strip() for text in _TEXT.findall(paragraph)) or any(o in paragraph for o in _OBJECTS)


def _keep_next_edit(xml: str, start: int, styles: StyleSheet) -> tuple[int, int, str] | None:
    """The replacement (from, to, text) that turns ``keepNext`` on in the paragraph starting at ``start``
    (None when the paragraph or its style already keeps with the next)."""
    gt = xml.index(">", start)
    if xml[gt - 1] == "/":  # <w:p .../>
        if styles.keeps_with_next(None):
            return None
        return start, gt + 1, xml[start : gt - 1].rstrip() + "><w:pPr><w:keepNext/></w:pPr></w:p>"
    ppr = _PPR_OPEN.match(xml, gt + 1)
    if ppr is None or ppr.group(1).endswith("/>"):
        if styles.keeps_with_next(None):
            return None
        if ppr is None:
            return gt + 1, gt + 1, "<w:pPr><w:keepNext/></w:pPr>"
        return ppr.start(), ppr.end(), "<w:pPr><w:keepNext/></w:pPr>"
    position = ppr.end()
    style = _PSTYLE.match(xml, position)
    style_id = None
    if style is not None:
        position = style.end()
        style_id = style.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&amp;", "&")
    # keepNext comes before any w:rPr, w:sectPr or w:pPrChange of the pPr (and the pPr's end)
    bounds = [xml.find(tag, position) for tag in ("</w:pPr>", "<w:rPr", "<w:sectPr", "<w:pPrChange")]
    bound = min((b for b in bounds if b >= 0), default=len(xml))
    keep = _KEEP_NEXT.search(xml, position, bound)
    if keep is not None:
        if keep.group(1) in (None, "1", "true", "on"):
            return None
        return keep.start(), keep.end(), "<w:keepNext/>"
    if styles.keeps_with_next(style_id):
        return None
    return position, position, "<w:keepNext/>"


def keep_signoff_with_body(xml: str, markers: tuple[str, ...], styles: StyleSheet) -> str:
    """Turn ``keepNext`` on for the last body paragraph before the sign-off (and the blank ones between),
    and for each sign-off paragraph but the last, so the sign-off never starts a page alone.

    ``markers`` are the ``w:pStyle`` elements of the sign-off styles as the rendered XML spells them; the
    sign-off is the run of paragraphs with one of them that ends at the last such paragraph.
    """
    last = max(xml.rfind(marker) for marker in markers)
    if last < 0:
        return xml
    block = [_paragraph_start(xml, last)]
    if block[0] < 0:
        return xml
    while True:
        previous = _previous_paragraph(xml, block[0])
        if previous is None or not any(marker in xml[previous[0] : previous[1]] for marker in markers):
            break
        block.insert(0, previous[0])
    targets = block[:-1]
    position = block[0]
    for _ in range(MAX_BLANK_PARAGRAPHS + 1):
        previous = _previous_paragraph(xml, position)
        if previous is None:
            break
        targets.append(previous[0])
        if _has_content(xml[previous[0] : previous[1]]):
            break
        position = previous[0]
    edits = [edit for edit in (_keep_next_edit(xml, t, styles) for t in targets) if edit is not None]
    return _apply(xml, edits)


def _apply(xml: str, edits: list[tuple[int, int, str]]) -> str:
    """``xml`` with each (start, end, text) replacement made (the ranges do not overlap)."""
    if not edits:
        return xml
    pieces = []
    done = 0
    for start, end, text in sorted(edits):
        pieces += [xml[done:start], text]
        done = end
    pieces.append(xml[done:])
    return "".join(pieces)


# ---------------------------------------------------------------------------------------------------
# LibreOffice
# ---------------------------------------------------------------------------------------------------

#: Lines of room a keep chain must leave on its page before LibreOffice gets it (line estimates can be one short).
CHAIN_MARGIN = 1


def _paragraph_lines(paragraph: etree._Element, styles: StyleSheet, text_width: int) -> int:
    """How many lines a body paragraph takes (estimated: full-width characters one em, half-width half)."""
    text = "".join(t.text or "" for t in paragraph.iter(f"{_W}t"))
    if not text.strip():
        return 1
    run = next((r for r in paragraph.iter(f"{_W}r") if r.find(f"{_W}t") is not None), None)
    size, spacing = styles.run_format(run, paragraph, None) if run is not None else (styles.default_size, 0)
    width = printed_width(text, size * 10, spacing)
    left, right, first = styles.indent_parts(paragraph)
    line = max(1, text_width - max(0, left) - max(0, right))
    first_line = max(1, line - max(0, first))
    if width <= first_line:
        return 1
    return 1 + -(-(width - first_line) // line)


def _keeps(paragraph: etree._Element, styles: StyleSheet) -> bool:
    keep = _on_off(paragraph.find(f"{_W}pPr/{_W}keepNext"))
    if keep is not None:
        return keep
    style = paragraph.find(f"{_W}pPr/{_W}pStyle")
    return styles.keeps_with_next(style.get(f"{_W}val") if style is not None else None)


def _page_lines(body: etree._Element, styles: StyleSheet) -> tuple[int, int] | None:
    """Body lines per page and the width of a line (twips), from the last section and the Normal line pitch."""
    section = body.find(f"{_W}sectPr")
    size = section.find(f"{_W}pgSz") if section is not None else None
    margins = section.find(f"{_W}pgMar") if section is not None else None
    values = [_int(size, "w"), _int(size, "h")] + [_int(margins, side) for side in ("top", "bottom", "left", "right")]
    if any(value is None for value in values):
        return None
    width, height, top, bottom, left, right = (value or 0 for value in values)
    sample = etree.Element(f"{_W}p")  # a paragraph of the default style
    pitch = styles.line_pitch(sample)
    if not pitch or pitch <= 0:
        return None
    return (height - abs(top) - abs(bottom)) // pitch, width - left - right


def relax_long_keep(document_xml: bytes, styles: StyleSheet) -> bytes | None:
    """``document.xml`` for LibreOffice: keepNext off on the last body paragraph when that paragraph, the
    paragraphs kept with it and the sign-off are taller than a page (None when nothing changes).

    LibreOffice never splits a paragraph that keeps with the next (sw/source/core/text/widorp.cxx: keep-with-next
    counts as keep-together), so such a chain moves to a new page whole; when it does not fit there, the sign-off
    breaks apart anyway (the date alone on the last page) and the heading before it may be left alone. Word keeps
    only the paragraph's last lines with the sign-off, so the ``.docx`` keeps its keepNext.
    """
    try:
        root = etree.fromstring(document_xml, parser=_parser())
    except etree.XMLSyntaxError:
        return None
    body = root.find(f"{_W}body")
    page = _page_lines(body, styles) if body is not None else None
    ids = styles.paragraph_ids(STYLE_SIGNOFF_NAME, STYLE_SIGNOFF_DATE)
    if body is None or page is None or not ids:
        return None
    lines_per_page, text_width = page
    children = list(body)

    def is_signoff(element: etree._Element) -> bool:
        style = element.find(f"{_W}pPr/{_W}pStyle")
        return element.tag == f"{_W}p" and style is not None and style.get(f"{_W}val") in ids

    last = max((i for i, child in enumerate(children) if is_signoff(child)), default=-1)
    if last < 0:
        return None
    index = last
    while index > 0 and is_signoff(children[index - 1]):
        index -= 1
    signoff = sum(_paragraph_lines(p, styles, text_width) for p in children[index : last + 1])
    index -= 1
    while index >= 0 and children[index].tag == f"{_W}p" and not "".join(children[index].itertext()).strip():
        signoff += 1  # a blank line
        index -= 1
    if index < 0 or children[index].tag != f"{_W}p" or not _keeps(children[index], styles):
        return None
    paragraph = children[index]
    chain = _paragraph_lines(paragraph, styles, text_width) + signoff
    before = index - 1
    while before >= 0 and children[before].tag == f"{_W}p" and _keeps(children[before], styles):
        chain += _paragraph_lines(children[before], styles, text_width)
        before -= 1
    if chain <= lines_per_page - CHAIN_MARGIN:
        return None
    ppr = paragraph.find(f"{_W}pPr")
    if ppr is None:
        ppr = etree.Element(f"{_W}pPr")
        paragraph.insert(0, ppr)
    keep = ppr.find(f"{_W}keepNext")
    if keep is None:
        keep = etree.Element(f"{_W}keepNext")
        style = ppr.find(f"{_W}pStyle")
        if style is not None:
            style.addnext(keep)
        else:
            ppr.insert(0, keep)
    keep.set(f"{_W}val", "0")
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return result


def for_libreoffice(docx: bytes) -> bytes:
    """A rendered ``.docx`` as LibreOffice should lay it out (see :func:`relax_long_keep`); unchanged when
    nothing applies or the package cannot be read."""
    from reportkit.ooxml.package import RENDER_LEVEL, rezip

    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as package:
            document = package.read("word/document.xml")
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError):
        return docx
    relaxed = relax_long_keep(document, StyleSheet.from_package(docx))
    if relaxed is None:
        return docx
    return rezip(docx, level=RENDER_LEVEL, replace={"word/document.xml": relaxed})
