"""The document model every published-report reader produces: blocks in document order, with provenance.

A :class:`Document` is what a reader saw, not what it means: paragraphs and grids (tables) as the source
laid them out, each cell with its text as printed (``raw``), a normalised ``text`` and the place it came
from (:class:`Where`). Mapping cells to the official rows and columns is a later step, driven by the
format data; nothing here knows an official label.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator

from attrs import field, frozen

from reportkit.errors import Problem, ReportkitError

__all__ = [
    "Block",
    "Continuation",
    "DateClaim",
    "Document",
    "Grid",
    "GridCell",
    "Kind",
    "Meta",
    "Paragraph",
    "PublishedDocumentError",
    "Slot",
    "TextRow",
    "Token",
    "TokenKind",
    "Unreadable",
    "Where",
]


class PublishedDocumentError(ReportkitError):
    """A published report (web page, Word file, PDF, text) that cannot be read at all."""


class Kind(enum.Enum):
    """The input kinds a reader exists for."""

    HTML = "html"
    DOCX = "docx"
    PDF = "pdf"
    TEXT = "text"


Box = tuple[float, float, float, float]


@frozen
class Where:
    """Where something stands in its source; the fields that do not apply to a kind stay empty.

    - ``path``: HTML, the DOM path (``/html/body/div[2]/table[1]/tbody[1]/tr[3]/td[2]``, 1-based indexes
      among siblings of the same tag); DOCX, the XML path in ``word/document.xml``
      (``body/tbl[2]/tr[3]/tc[1]``, 1-based among siblings of the same element).
    - ``table``: 1-based number of the grid in the document (document order, as emitted).
    - ``row`` / ``column``: 1-based logical row and column inside that grid.
    - ``page`` / ``box``: PDF page (1-based) and bounding box ``(x0, top, x1, bottom)`` in points, measured
      from the page's top-left corner.
    - ``line`` / ``span``: text, the 1-based line number and the ``[start, end)`` character offsets in it.
    - ``parts``: further places the same content continues (the rest of a cell cut by a page break, a
      vertically merged Word cell that carried text of its own).
    """

    path: str = ""
    table: int | None = None
    row: int | None = None
    column: int | None = None
    page: int | None = None
    box: Box | None = None
    line: int | None = None
    span: tuple[int, int] | None = None
    parts: tuple[Where, ...] = ()

    def describe(self) -> str:
        """A place a person can find, in Chinese (``第 2 个表格第 3 行第 1 列`` …)."""
        pieces: list[str] = []
        if self.page is not None:
            pieces.append(f"第 {self.page} 页")
        if self.table is not None:
            pieces.append(f"第 {self.table} 个表格")
        if self.row is not None:
            pieces.append(f"第 {self.row} 行")
        if self.column is not None:
            pieces.append(f"第 {self.column} 列")
        if self.line is not None and self.table is None:
            pieces.append(f"第 {self.line} 行" if self.span is None else f"第 {self.line} 行第 {self.span[0] + 1} 字")
        text = "".join(pieces) if pieces else self.path
        if self.parts:
            text += "（续：" + "；".join(part.describe() for part in self.parts) + "）"
        return text

    def __str__(self) -> str:
        return self.describe()


@frozen
class Paragraph:
    """A run of text outside any table (a heading, a paragraph, a PDF text line group, a text line).

    ``raw`` is the text as the source shows it (no-break spaces U+00A0 and full-width spaces U+3000 kept,
    line breaks as ``\\n``); ``text`` has every kind of space trimmed and collapsed, empty lines dropped.
    ``style`` is what the source says the block is: the HTML tag (``p``, ``h2``), the DOCX paragraph style id,
    ``"textbox"`` for Word text-box content; empty when the source says nothing. ``lines`` is, for a PDF, the
    place (page and box) of each visual line of ``raw``, in order; empty for the other kinds.
    """

    text: str
    raw: str
    where: Where
    style: str = ""
    lines: tuple[Where, ...] = ()


@frozen
class GridCell:
    """One cell of a grid as the source drew it: a merged cell appears once, at its top-left slot.

    ``row``/``col`` are 0-based logical coordinates; the cell covers ``rowspan`` × ``colspan`` slots.
    ``raw`` keeps the cell's text as printed (U+00A0 from ``&nbsp;``, U+3000, line breaks from ``<br>``/
    ``<p>``/Word paragraphs as ``\\n``); ``text`` is normalised (each line trimmed and inner space runs
    collapsed to one space, empty lines dropped). A cell of only spaces has ``text == ""`` but a non-empty
    ``raw``, so "blank as printed" and "nothing at all" stay distinguishable.
    """

    text: str
    raw: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    where: Where = Where()

    @property
    def blank(self) -> bool:
        return not self.text

    @property
    def bottom(self) -> int:
        """The logical row just below this cell."""
        return self.row + self.rowspan

    @property
    def right(self) -> int:
        """The logical column just right of this cell."""
        return self.col + self.colspan


@frozen
class Slot:
    """One slot of the normalised logical grid: the cell covering it, and whether this is its top-left."""

    cell: GridCell
    origin: bool


@frozen
class Continuation:
    """How a grid relates to the grid just before it, when nothing but blank paragraphs separates them.

    ``previous`` is the block index of that grid in :attr:`Document.blocks`; ``same_width`` says whether the
    two have the same number of logical columns; ``repeated_rows`` is how many leading rows of this grid
    repeat, text for text, the leading rows of the previous one (a header repeated after a split). The
    readers keep such grids apart (faithful to the source); :func:`reportkit.published.join_grids` joins them.
    """

    previous: int
    same_width: bool
    repeated_rows: int


@frozen
class Grid:
    """A table: ``rows[r]`` holds the cells whose top-left is in logical row ``r``, left to right.

    ``width`` is the number of logical columns. Rows may be ragged (a source row with fewer cells leaves
    empty slots, ``None`` in :meth:`logical`). ``caption`` is the table's own caption, when it has one.
    """

    rows: tuple[tuple[GridCell, ...], ...]
    width: int
    where: Where = Where()
    continues: Continuation | None = None
    caption: str = ""

    @property
    def height(self) -> int:
        return len(self.rows)

    def cells(self) -> Iterator[GridCell]:
        """Every cell once, row by row, left to right."""
        for row in self.rows:
            yield from row

    def logical(self) -> tuple[tuple[Slot | None, ...], ...]:
        """The normalised logical grid: ``height`` rows × ``width`` slots; a merged cell fills its rectangle
        (the top-left slot has ``origin=True``), an uncovered slot is ``None``."""
        slots: list[list[Slot | None]] = [[None] * self.width for _ in self.rows]
        for cell in self.cells():
            covered = Slot(cell, origin=False)
            for r in range(cell.row, min(cell.bottom, self.height)):
                line = slots[r]
                for c in range(cell.col, min(cell.right, self.width)):
                    line[c] = covered
            slots[cell.row][cell.col] = Slot(cell, origin=True)
        return tuple(tuple(line) for line in slots)

    def texts(self) -> tuple[tuple[str, ...], ...]:
        """The logical grid as text: each slot holds its cell's ``text`` (merged cells repeat), ``""`` when
        no cell covers it. Handy in tests and for eyeballing."""
        return tuple(tuple(slot.cell.text if slot else "" for slot in line) for line in self.logical())


class TokenKind(enum.Enum):
    """What a token of a text scrape is."""

    LABEL = "label"  #: words (anything that is not a number)
    NUMBER = "number"  #: a run of digits, maybe with a sign, decimal point or thousands separators
    PLACEHOLDER = "placeholder"  #: a stand-alone "/", "-", "—", "－" or "无" where a number would be


@frozen
class Token:
    """A piece of a text line. ``raw`` is the exact slice of the line (``where.span``); ``text`` is the same
    trimmed, with full-width digits and signs made ASCII for numbers. A run of digits is one token however
    long it is ("640020470" stays whole: the reader never guesses where one number ends)."""

    kind: TokenKind
    text: str
    raw: str
    where: Where


@frozen
class TextRow:
    """A label and the numbers after it, from a text scrape: on the same line and on the following lines
    that hold only numbers. ``label`` is None for numbers with no words before them."""

    label: Token | None
    numbers: tuple[Token, ...]
    where: Where

    @property
    def text(self) -> str:
        return self.label.text if self.label else ""


@frozen
class Unreadable:
    """A part of the source that holds no readable text (a PDF page that is only an image). ``reason`` says
    what it is and what to do, in Chinese."""

    reason: str
    where: Where


Block = Paragraph | Grid | TextRow | Unreadable


@frozen
class DateClaim:
    """A date the source gives for its publication, and where it says so.

    ``origin`` names the evidence: ``meta:<name>`` (an HTML ``<meta>`` such as ``PubDate``), ``text`` (a line
    like ``发布时间：2025-01-20``), ``url`` (a date in the path of the URL or file name), ``properties:<name>``
    (DOCX core properties, PDF document information). ``precision`` is ``"day"``, or ``"month"`` when the
    evidence gives only a month (``/202603/``; ``value`` is then the first of that month).
    """

    value: dt.date
    origin: str
    raw: str
    precision: str = "day"
    where: Where = Where()


@frozen
class Meta:
    """What the source says about itself: its title, the URL it names, the encoding used to decode it
    (and how it was chosen), every publication date claimed, and its named properties as found (HTML
    ``<meta>`` name/content pairs, ``title``, ``canonical`` and each ``attachment`` link to a PDF/Word/…
    file; DOCX core properties; PDF document information; the "标题"/URL lines of a text scrape)."""

    title: str = ""
    url: str = ""
    encoding: str = ""
    dates: tuple[DateClaim, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()

    @property
    def published(self) -> dt.date | None:
        """The publication date the strongest evidence gives: a ``<meta>`` date, then a "发布时间" line, then
        a URL, then a file property (when the file was made or saved); a day before a month. None when
        nothing claims one."""
        rank = {"meta": 0, "text": 1, "url": 2, "properties": 3}
        claims = sorted(self.dates, key=lambda c: (c.precision != "day", rank.get(c.origin.partition(":")[0], 9)))
        return claims[0].value if claims else None

    def property(self, name: str) -> str | None:
        """The first property called ``name`` (case-insensitive), or None."""
        wanted = name.casefold()
        return next((value for key, value in self.properties if key.casefold() == wanted), None)


@frozen
class Document:
    """A published report as read: its kind, the blocks in document order, reading notes and metadata.

    ``notes`` are things a person should know that did not stop the reading (the encoding was guessed,
    tracked changes were read as accepted, a rowspan larger than its table was cut back), each naming where.
    """

    kind: Kind
    source: str
    blocks: tuple[Block, ...]
    notes: tuple[Problem, ...] = ()
    meta: Meta = field(factory=Meta)

    def grids(self) -> tuple[Grid, ...]:
        return tuple(block for block in self.blocks if isinstance(block, Grid))

    def paragraphs(self) -> tuple[Paragraph, ...]:
        return tuple(block for block in self.blocks if isinstance(block, Paragraph))

    def text_rows(self) -> tuple[TextRow, ...]:
        return tuple(block for block in self.blocks if isinstance(block, TextRow))

    def unreadable(self) -> tuple[Unreadable, ...]:
        return tuple(block for block in self.blocks if isinstance(block, Unreadable))
