"""HTML: a portal page as published, through the standard library's ``html.parser`` (no DOM is built).

The parser streams the page once, keeping only a stack of open elements (each with its DOM path) and
the tables being read, so its cost is linear in the page and bounded by :class:`ReadLimits` (bytes,
nesting depth, cells, rows, slots). It follows browsers where reports depend on it: optional end tags
(``<p>``, ``<td>``, ``<tr>``, ``<li>``, ``<option>``) close implicitly; ASCII white space collapses while
U+00A0 (``&nbsp;``) and U+3000 survive in ``raw``; ``<br>`` and block elements inside a cell become line
breaks; cells are placed as browsers place them (rowspan/colspan, ragged rows). Word-pasted markup
(``mso`` classes, ``<o:p>``, conditional comments, spans) is read for its text only.

A table with a table inside one of its cells is a layout table: it is dissolved into its content, in
order (its own cell texts as paragraphs, the inner tables as grids), so the report's tables come out as
the innermost data tables.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from attrs import define, field

from reportkit.errors import Problem
from reportkit.published._common import (
    DEFAULT_LIMITS,
    CellBudget,
    GridBuilder,
    RawCell,
    ReadLimits,
    clean,
    dates_in_line,
    decode,
    mark_continuations,
    number_tables,
    parse_date,
    too_large,
)
from reportkit.published.model import (
    Block,
    DateClaim,
    Document,
    Grid,
    Kind,
    Meta,
    Paragraph,
    PublishedDocumentError,
    Where,
)

__all__ = ["declared_charset", "read"]

_VOID = frozenset(
    (
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "embed",
        "frame",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    )
)
_BLOCK = frozenset(
    (
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "ul",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
    )
)
#: Elements whose content is never shown as text of the page.
_HIDDEN = frozenset(
    (
        "script",
        "style",
        "noscript",
        "template",
        "object",
        "iframe",
        "svg",
        "math",
        "select",
        "textarea",
    )
)
_TABLE_SCOPE = frozenset(("table", "td", "th", "caption"))
_CELL = frozenset(("td", "th"))
_SECTION = frozenset(("thead", "tbody", "tfoot"))

#: ``<meta>`` names that carry a publication date.
_DATE_META = frozenset(
    name.casefold()
    for name in (
        "PubDate",
        "publishdate",
        "publish_date",
        "publishtime",
        "pubtime",
        "firstpublishedtime",
        "article:published_time",
        "og:published_time",
        "dc.date",
        "dc.date.issued",
        "dcterms.issued",
        "dcterms.created",
        "releasedate",
        "date",
    )
)
_TITLE_META = ("ArticleTitle", "og:title", "dc.title", "title")
_URL_META = ("Url", "og:url")
_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]+)", re.IGNORECASE)
_ASCII_SPACE = re.compile(r"[ \t\n\r\f]+")
_NUMBER = re.compile(r"\s*(\d{1,7})")
_ATTACHMENT = re.compile(r"\.(?:pdf|docx?|wps|ofd|xlsx?|et|zip|rar|7z)(?:[?#].*)?$", re.IGNORECASE)


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first 4 KB (``<meta charset>`` or ``http-equiv`` content)."""
    match = _CHARSET.search(data[:4096])
    return match[1].decode("ascii") if match else None


@define
class _Element:
    tag: str
    path: str
    children: dict[str, int] = field(factory=dict)


@define
class _Segment:
    """A paragraph of text collected in a container (the page or a table cell)."""

    raw: str
    path: str
    tag: str


@define
class _Cell:
    path: str
    rowspan: int
    colspan: int
    items: list[_Segment | Block] = field(factory=list)


@define
class _Table:
    builder: GridBuilder
    path: str
    depth: int  #: index of the table element in the stack
    cells: list[tuple[int, _Cell]] = field(factory=list)  #: (row, cell) in source order
    loose: list[_Segment | Block] = field(factory=list)  #: text outside any cell, and the caption
    caption: list[str] = field(factory=list)
    cell: _Cell | None = None
    layout: bool = False
    in_caption: bool = False
    row_open: bool = False


class _Reader(HTMLParser):
    def __init__(self, source: str, limits: ReadLimits) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.limits = limits
        self.notes: list[Problem] = []
        self.budget = CellBudget(limits, source)
        self.stack: list[_Element] = [_Element("#document", "")]
        self.tables: list[_Table] = []
        self.blocks: list[_Segment | Block] = []
        self.pieces: list[str] = []
        self.piece_path = ""
        self.piece_tag = ""
        self.hidden_tag: str | None = None
        self.hidden_nest = 0
        self.pre = 0
        self.in_title = False
        self.title: list[str] = []
        self.meta: list[tuple[str, str]] = []
        self.block_count = 0
        self.built = 0

    # -- the element stack --------------------------------------------------------------------------

    def _open(self, tag: str) -> _Element:
        parent = self.stack[-1]
        index = parent.children[tag] = parent.children.get(tag, 0) + 1
        element = _Element(tag, f"{parent.path}/{tag}[{index}]")
        if len(self.stack) > self.limits.max_depth:
            raise PublishedDocumentError(
                f"网页元素嵌套过深（超过 {self.limits.max_depth} 层，位于 {element.path[:200]}…），"
                "疑似异常网页，已拒绝；请在浏览器中打开后另存为网页或纯文本再试",
                source=self.source,
            )
        self.stack.append(element)
        return element

    def _find(self, tags: frozenset[str] | tuple[str, ...], boundary: frozenset[str]) -> int | None:
        """The stack index of the innermost open element among ``tags``, not looking past ``boundary``."""
        for index in range(len(self.stack) - 1, 0, -1):
            tag = self.stack[index].tag
            if tag in tags:
                return index
            if tag in boundary:
                return None
        return None

    def _close_to(self, index: int) -> None:
        """Close the element at stack ``index`` and everything opened inside it."""
        while len(self.stack) > index:
            self._closed(self.stack.pop())

    def _closed(self, element: _Element) -> None:
        tag = element.tag
        if tag == "title":
            self.in_title = False
            return
        if tag == "pre":
            self.pre -= 1
        if tag in _BLOCK:
            self._flush()
        table = self.tables[-1] if self.tables else None
        if table is None:
            return
        if tag in _CELL and table.cell is not None and table.cell.path == element.path:
            self._end_cell(table)
        elif tag == "tr":
            table.row_open = False
        elif tag == "caption":
            table.in_caption = False
        elif tag == "table" and element.path == table.path:
            self._end_table()

    # -- text ---------------------------------------------------------------------------------------

    def _container(self) -> list[_Segment | Block]:
        if not self.tables:
            return self.blocks
        table = self.tables[-1]
        return table.cell.items if table.cell is not None else table.loose

    def _flush(self) -> None:
        if not self.pieces:
            return
        joined = "".join(self.pieces)
        self.pieces = []
        if not self.pre:
            joined = re.sub(" {2,}", " ", joined)
        raw = "\n".join(line.strip(" ") for line in joined.split("\n")).strip("\n")
        if not raw:
            return
        table = self.tables[-1] if self.tables else None
        if table is not None and table.in_caption:
            table.caption.append(raw)
            return
        self.block_count += 1
        if self.block_count > self.limits.max_blocks:
            raise PublishedDocumentError(
                f"网页段落过多（超过 {self.limits.max_blocks} 段），已拒绝", source=self.source
            )
        self._container().append(_Segment(raw, self.piece_path, self.piece_tag))

    def _block_parent(self) -> _Element:
        for element in reversed(self.stack):
            if element.tag in _BLOCK or element.tag in ("body", "#document"):
                return element
        return self.stack[-1]

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
            return
        if self.hidden_tag:
            return
        text = data if self.pre else _ASCII_SPACE.sub(" ", data)
        if not text:
            return
        if not self.pieces:
            if not text.strip(" "):
                return  # white space between blocks
            parent = self._block_parent()
            self.piece_path, self.piece_tag = parent.path, parent.tag
        self.pieces.append(text)

    # -- tags ---------------------------------------------------------------------------------------

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.hidden_tag is not None:
            if tag == self.hidden_tag:
                self.hidden_nest += 1
            return
        if tag == "meta":
            self._meta(dict(attrs))
            return
        if tag == "link":
            values = dict(attrs)
            if (values.get("rel") or "").lower() == "canonical" and values.get("href"):
                self.meta.append(("canonical", values["href"] or ""))
            return
        if tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            if _ATTACHMENT.search(href):
                self.meta.append(("attachment", href))  # the report itself may be a download
        if tag == "br":
            if not self.in_title:
                if not self.pieces:
                    parent = self._block_parent()
                    self.piece_path, self.piece_tag = parent.path, parent.tag
                self.pieces.append("\n")
            return
        if tag in _VOID:
            if tag == "hr":
                self._flush()
            return
        if tag in _HIDDEN:
            self.hidden_tag, self.hidden_nest = tag, 1
            return
        if tag == "title" and not self.tables:
            self._open(tag)
            self.in_title = True
            return
        self._implied_ends(tag)
        if tag in _BLOCK:
            self._flush()
        element = self._open(tag)
        if tag == "pre":
            self.pre += 1
        if tag == "table":
            self._start_table(element)
        elif self.tables:
            table = self.tables[-1]
            if tag == "tr":
                table.builder.start_row()
                table.row_open = True
            elif tag in _CELL:
                self._start_cell(table, element, dict(attrs))
            elif tag == "caption":
                table.in_caption = True

    def handle_endtag(self, tag: str) -> None:
        if self.hidden_tag is not None:
            if tag == self.hidden_tag:
                self.hidden_nest -= 1
                if self.hidden_nest == 0:
                    self.hidden_tag = None
            return
        if tag in _VOID:
            if tag == "br":
                self.handle_starttag(tag, [])  # browsers read </br> as <br>
            return
        if tag in ("body", "html"):
            return  # browsers keep reading after a stray </body>
        if tag == "table":
            index = self._find(("table",), frozenset())
        elif tag in _CELL or tag == "tr" or tag in _SECTION or tag == "caption":
            index = self._find((tag,), frozenset(("table",)))
        else:
            index = self._find((tag,), _TABLE_SCOPE if tag not in _TABLE_SCOPE else frozenset())
        if index is not None:
            self._close_to(index)

    def _implied_ends(self, tag: str) -> None:
        """Close what a browser closes implicitly before ``tag`` opens."""
        if tag in _CELL or tag == "tr" or tag in _SECTION:
            closes = (
                ("td", "th") if tag in _CELL else ("td", "th", "tr") if tag == "tr" else ("td", "th", "tr", *_SECTION)
            )
            index = self._find(closes, frozenset(("table",)))
            if index is not None:
                self._close_to(index)
        if tag in _BLOCK and tag not in _CELL and tag != "tr" and tag not in _SECTION:
            index = self._find(("p",), _TABLE_SCOPE)
            if index is not None:
                self._close_to(index)
        if tag in ("li", "dt", "dd"):
            same = ("li",) if tag == "li" else ("dt", "dd")
            index = self._find(same, _TABLE_SCOPE | {"ul", "ol", "dl"})
            if index is not None:
                self._close_to(index)

    def _meta(self, values: dict[str, str | None]) -> None:
        name = values.get("name") or values.get("property") or values.get("itemprop") or values.get("http-equiv")
        content = values.get("content")
        if name and content is not None:
            self.meta.append((name.strip(), content.strip()))

    # -- tables -------------------------------------------------------------------------------------

    def _start_table(self, element: _Element) -> None:
        if len(self.tables) >= self.limits.max_table_depth:
            raise PublishedDocumentError(
                f"表格嵌套过深（超过 {self.limits.max_table_depth} 层），疑似异常网页，已拒绝", source=self.source
            )
        if self.tables:
            self.tables[-1].layout = True
        builder = GridBuilder(self.limits, self.budget, self.source, Where(path=element.path))
        self.tables.append(_Table(builder, element.path, len(self.stack)))

    def _start_cell(self, table: _Table, element: _Element, attrs: dict[str, str | None]) -> None:
        if not table.row_open:
            table.builder.start_row()
            table.row_open = True
        table.cell = _Cell(element.path, _span(attrs.get("rowspan")), _span(attrs.get("colspan")))

    def _end_cell(self, table: _Table) -> None:
        cell = table.cell
        assert cell is not None
        table.cell = None
        raw = "\n".join(item.raw for item in cell.items if isinstance(item, _Segment))
        table.builder.add(RawCell(raw, cell.rowspan, cell.colspan, cell.path))
        table.cells.append((len(table.builder.rows) - 1, cell))
        if any(not isinstance(item, _Segment) for item in cell.items):
            table.layout = True

    def _end_table(self) -> None:
        table = self.tables.pop()
        if table.cell is not None:
            self._end_cell(table)
        out = self._container()
        out.extend(table.loose)
        if table.layout:
            for _, cell in table.cells:
                out.extend(cell.items)
            self.notes.append(Problem(table.path, "外层排版表格已拆开，只保留其中的内容和内层表格"))
            return
        if not table.builder.rows:
            return
        self.built += 1
        table.builder.where = Where(path=table.path, table=self.built)
        grid = table.builder.build(self.notes)
        if table.caption:
            grid = Grid(grid.rows, grid.width, grid.where, caption=clean("\n".join(table.caption)))
        out.append(grid)

    def finish(self) -> list[_Segment | Block]:
        self.close()
        self._close_to(1)
        self._flush()
        return self.blocks


def _span(value: str | None) -> int:
    """A rowspan/colspan as browsers parse it: leading digits, else 1; absurd values are cut back later."""
    if value is None:
        return 1
    match = _NUMBER.match(value)
    if match is None:
        return 1
    digits = match[1]
    return int(digits) if len(digits) < 7 else 1_000_000


def read(data: bytes, *, source: str, limits: ReadLimits = DEFAULT_LIMITS) -> Document:
    """Read a web page (its bytes) into a :class:`Document`."""
    if len(data) > limits.max_html_bytes:
        raise too_large(source, "网页", len(data), limits.max_html_bytes)
    notes: list[Problem] = []
    text, encoding = decode(data, declared_charset(data), source, notes)
    reader = _Reader(source, limits)
    try:
        reader.feed(text)
        items = reader.finish()
    except PublishedDocumentError:
        raise
    except (AssertionError, ValueError, IndexError) as exc:  # html.parser on malformed declarations
        raise PublishedDocumentError(
            f"网页无法解析（{exc}）；请在浏览器中打开后另存为网页再试", source=source
        ) from None
    blocks: list[Block] = []
    for item in items:
        if isinstance(item, _Segment):
            blocks.append(Paragraph(clean(item.raw), item.raw, Where(path=item.path), item.tag))
        else:
            blocks.append(item)
    numbered = mark_continuations(number_tables(blocks))
    meta = _meta(reader, numbered, encoding)
    return Document(Kind.HTML, source, numbered, (*notes, *reader.notes), meta)


def _meta(reader: _Reader, blocks: tuple[Block, ...], encoding: str) -> Meta:
    properties = list(reader.meta)
    title_tag = clean("".join(reader.title))
    if title_tag:
        properties.append(("title", title_tag))
    lookup = {key.casefold(): value for key, value in reversed(properties)}
    title = next((lookup[name.casefold()] for name in _TITLE_META if lookup.get(name.casefold())), "")
    url = next(
        (
            lookup[name.casefold()]
            for name in (*_URL_META, "canonical")
            if lookup.get(name.casefold(), "").startswith("http")
        ),
        "",
    )
    dates: list[DateClaim] = []
    for key, value in properties:
        if key.casefold() in _DATE_META:
            found = parse_date(value)
            if found:
                dates.append(DateClaim(found[0], f"meta:{key}", value, "day", Where(path=f"meta[name={key}]")))
    for block in blocks:
        if isinstance(block, Paragraph):
            dates.extend(dates_in_line(block.text, block.where))
    return Meta(title, url, encoding, tuple(dates), tuple(properties))
