"""What the readers share: limits, decoding, text clean-up, grid building, dates, continuations."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Iterable, Sequence

import attrs
from attrs import frozen

from reportkit.errors import Problem
from reportkit.published.model import (
    Block,
    Continuation,
    DateClaim,
    Grid,
    GridCell,
    Paragraph,
    PublishedDocumentError,
    Where,
)

MB = 1024 * 1024


@frozen
class ReadLimits:
    """How much a published document may cost to read. Every reader refuses, with a
    :class:`PublishedDocumentError`, a document beyond these (or cuts a span back, with a note)."""

    max_html_bytes: int = 20 * MB
    max_text_bytes: int = 20 * MB
    max_docx_bytes: int = 30 * MB
    max_pdf_bytes: int = 50 * MB
    #: Open HTML elements / nested DOCX tables and text boxes at one point.
    max_depth: int = 400
    #: Tables nested inside tables (layout tables around the report's tables).
    max_table_depth: int = 24
    #: Table cells in the whole document.
    max_cells: int = 50_000
    #: Rows of one table, and slots (rows × columns) of its logical grid.
    max_rows: int = 10_000
    max_slots: int = 1_000_000
    #: A colspan is cut back to this (as browsers do); a rowspan to the rows its table has.
    max_colspan: int = 1000
    #: Blocks (paragraphs, grids, text rows) in the document, and lines of a text file.
    max_blocks: int = 200_000
    max_lines: int = 500_000
    #: PDF: pages, and the seconds a page, and the whole document, may take.
    max_pages: int = 500
    page_seconds: float = 30.0
    total_seconds: float = 300.0
    #: PDF: characters on one page (a real page has a few thousand).
    max_page_chars: int = 200_000
    #: PDF: lines, rectangles and curves on one page (the table finder looks at each).
    max_page_graphics: int = 50_000

    @property
    def max_file_bytes(self) -> int:
        """The most bytes any reader accepts: what may be read from a file before its kind is known."""
        return max(self.max_html_bytes, self.max_text_bytes, self.max_docx_bytes, self.max_pdf_bytes)


DEFAULT_LIMITS = ReadLimits()


def too_large(source: str, what: str, size: int, limit: int) -> PublishedDocumentError:
    return PublishedDocumentError(
        f"{what}过大（{size / MB:.1f} MB，上限 {limit / MB:.0f} MB），已拒绝；请确认这是年度报告本身", source=source
    )


# ---------------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------------

#: Every character that prints as a space: ASCII whitespace, U+00A0 (&nbsp;), U+3000 (full-width space),
#: the typographic spaces U+2000–U+200A, U+202F, U+205F, and U+FEFF/U+200B (invisible).
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")


def clean(raw: str) -> str:
    """The normalised text of ``raw``: every line trimmed, space runs collapsed to one space, zero-width
    characters removed, empty lines dropped; lines joined with ``\\n``."""
    lines = (_SPACES.sub(" ", _ZERO_WIDTH.sub("", line)).strip() for line in raw.split("\n"))
    return "\n".join(line for line in lines if line)


_GB_ALIASES = {"gb2312", "gbk", "gb_2312", "gb_2312-80", "x-gbk", "cp936", "ms936", "euc-cn", "csgb2312", "936"}


def _codec(label: str) -> str | None:
    """The Python codec for a declared charset label; GB2312/GBK are read as their superset GB18030."""
    label = label.strip().strip("\"'").lower()
    if label in _GB_ALIASES or label.startswith("gb2312"):
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "gb18030" if name in ("gbk", "gb2312") else name


def decode(data: bytes, declared: str | None, source: str, notes: list[Problem]) -> tuple[str, str]:
    """Decode ``data``: a byte-order mark first, then the declared charset, else UTF-8, else GB18030.

    Returns the text and a description of the encoding used (``"utf-8 (声明)"``, ``"gb18030 (未声明，推断)"``),
    adding a note when it had to be guessed or when bytes were undecodable.
    """
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), f"{codec}（字节顺序标记）"
            except UnicodeDecodeError:
                break
    tried: list[str] = []
    if declared:
        declared_codec = _codec(declared)
        if declared_codec is None:
            notes.append(Problem(source, f"声明的字符集 {declared!r} 无法识别，改为自动判断"))
        else:
            try:
                return data.decode(declared_codec), f"{declared_codec}（文件声明 {declared}）"
            except UnicodeDecodeError:
                tried.append(declared_codec)
                notes.append(Problem(source, f"文件声明字符集 {declared}，但内容不符，改为自动判断"))
    for codec in ("utf-8", "gb18030"):
        if codec in tried:
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec != "utf-8" and not declared:
            notes.append(Problem(source, f"文件未声明字符集，按 {codec.upper()} 读取"))
        return text, f"{codec}（{'未声明，推断' if not declared else '声明不符，推断'}）"
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    notes.append(Problem(source, f"既不是 UTF-8 也不是 GB18030 编码：{bad} 处无法解码的字节已替换为 �；请核对原文"))
    return text, "utf-8（含无法解码的字节）"


# ---------------------------------------------------------------------------------------------------
# Grids
# ---------------------------------------------------------------------------------------------------


@frozen
class RawCell:
    """A cell as a reader found it, before it is placed on the logical grid."""

    raw: str
    rowspan: int
    colspan: int
    path: str = ""
    col: int | None = None  #: an explicit logical column (DOCX knows it); None: the next free slot


class CellBudget:
    """Counts the table cells of one document against :attr:`ReadLimits.max_cells`."""

    def __init__(self, limits: ReadLimits, source: str) -> None:
        self.left = limits.max_cells
        self.limits = limits
        self.source = source

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise PublishedDocumentError(
                f"表格单元格过多（超过 {self.limits.max_cells} 个），疑似异常文件，已拒绝；请确认这是年度报告本身",
                source=self.source,
            )


class GridBuilder:
    """Places the cells of a table on its logical grid, as browsers do (HTML "forming a table"): each cell
    goes to the next slot of its row not covered by a rowspan from above; rowspans never allocate rows of
    their own (a rowspan past the last row is cut back when the table ends, with a note)."""

    def __init__(self, limits: ReadLimits, budget: CellBudget, source: str, where: Where) -> None:
        """``where`` is the table's own place; its ``table`` number, when known, goes to every cell."""
        self.limits = limits
        self.budget = budget
        self.source = source
        self.where = where
        self.rows: list[list[tuple[RawCell, int, int, int]]] = []  # (cell, row, col, rowspan)
        self._below: dict[int, int] = {}  # column -> first row no longer covered by a rowspan from above
        self.width = 0
        self.cut_colspans = 0
        self.cut_overlaps = 0
        self.label = f"表格（{where.path}）" if where.path else (where.describe() or "表格")

    def start_row(self) -> None:
        if len(self.rows) >= self.limits.max_rows:
            raise PublishedDocumentError(
                f"{self.label}行数过多（超过 {self.limits.max_rows} 行），已拒绝",
                source=self.source,
            )
        self.rows.append([])

    def add(self, cell: RawCell) -> None:
        if not self.rows:
            self.start_row()
        self.budget.take()
        r = len(self.rows) - 1
        colspan = max(cell.colspan, 1)
        if colspan > self.limits.max_colspan:
            colspan = self.limits.max_colspan
            self.cut_colspans += 1
        rowspan = min(max(cell.rowspan, 0), 65534)
        if cell.col is not None:
            c = cell.col
        else:
            row = self.rows[r]
            c = row[-1][2] + row[-1][0].colspan if row else 0
            while self._below.get(c, 0) > r:
                c += 1
            # A colspan running into a rowspan from above is cut back (browsers would draw them overlapping).
            for x in range(c + 1, c + colspan):
                if self._below.get(x, 0) > r:
                    colspan = x - c
                    self.cut_overlaps += 1
                    break
        if c + colspan > self.limits.max_colspan:
            raise PublishedDocumentError(
                f"{self.label}列数过多（超过 {self.limits.max_colspan} 列），已拒绝",
                source=self.source,
            )
        self.width = max(self.width, c + colspan)
        if self.width * len(self.rows) > self.limits.max_slots:
            raise PublishedDocumentError(
                f"{self.label}过大（超过 {self.limits.max_slots} 个格子），已拒绝",
                source=self.source,
            )
        placed = cell if colspan == cell.colspan else RawCell(cell.raw, cell.rowspan, colspan, cell.path, cell.col)
        self.rows[r].append((placed, r, c, rowspan))
        # rowspan 0 means "to the end of the table"; the end is not known yet, so cover every row for now.
        until = r + rowspan if rowspan > 0 else 1 << 30
        if until > r + 1:
            for column in range(c, c + colspan):
                self._below[column] = max(self._below.get(column, 0), until)

    def extend(self, row: int, col: int, by: int, raw: str = "", path: str = "") -> bool:
        """Grow the rowspan of the cell whose top-left is ``(row, col)`` by ``by`` rows (DOCX vertical merges),
        appending ``raw`` (a continuation's own text) to it. False when no cell starts there."""
        for i, (cell, r, c, rowspan) in enumerate(self.rows[row]):
            if c == col:
                text = f"{cell.raw}\n{raw}" if raw.strip() and cell.raw.strip() else (cell.raw or raw)
                self.rows[row][i] = (attrs.evolve(cell, raw=text), r, c, rowspan + by)
                return True
        return False

    def build(self, notes: list[Problem]) -> Grid:
        height = len(self.rows)
        cut_rowspans = 0
        rows: list[tuple[GridCell, ...]] = []
        base = self.where
        for line in self.rows:
            out: list[GridCell] = []
            for cell, r, c, rowspan in line:
                span = height - r if rowspan == 0 else rowspan
                if span > height - r:
                    span = height - r
                    cut_rowspans += 1
                where = Where(path=cell.path, table=base.table, row=r + 1, column=c + 1, page=base.page)
                out.append(GridCell(clean(cell.raw), cell.raw, r, c, max(span, 1), cell.colspan, where))
            rows.append(tuple(out))
        label = base.describe() or "表格"
        if cut_rowspans:
            notes.append(Problem(label, f"{cut_rowspans} 个单元格的跨行数（rowspan）超出表格末行，已截至末行"))
        if self.cut_overlaps:
            notes.append(Problem(label, f"{self.cut_overlaps} 个单元格与上方跨行的单元格重叠，其跨列数已截短"))
        if self.cut_colspans:
            notes.append(
                Problem(label, f"{self.cut_colspans} 个单元格的跨列数（colspan）超过 {self.limits.max_colspan}，已截断")
            )
        return Grid(tuple(rows), self.width, base)


def row_signature(grid: Grid, row: int) -> tuple[tuple[int, int, str], ...]:
    return tuple((cell.col, cell.colspan, cell.text) for cell in grid.rows[row])


def repeated_rows(first: Grid, second: Grid) -> int:
    """How many leading rows of ``second`` repeat the leading rows of ``first`` (same cells, same text);
    never all of ``second``."""
    count = 0
    limit = min(first.height, second.height - 1)
    while count < limit and row_signature(first, count) == row_signature(second, count):
        if all(cell.blank for cell in second.rows[count]):
            break
        count += 1
    return count


def mark_continuations(blocks: Sequence[Block]) -> tuple[Block, ...]:
    """Flag each grid that follows another grid with nothing but blank paragraphs between them."""
    out: list[Block] = []
    previous: int | None = None
    for block in blocks:
        if isinstance(block, Grid):
            if previous is not None:
                before = out[previous]
                assert isinstance(before, Grid)
                continuation = Continuation(previous, before.width == block.width, repeated_rows(before, block))
                block = attrs.evolve(block, continues=continuation)
            previous = len(out)
        elif not (isinstance(block, Paragraph) and not block.text):
            previous = None
        out.append(block)
    return tuple(out)


def number_tables(blocks: Iterable[Block]) -> tuple[Block, ...]:
    """Give every grid (and its cells) its 1-based table number in document order (readers that number
    grids as they build them usually got it right already; those are left as they are)."""
    out: list[Block] = []
    number = 0
    for block in blocks:
        if isinstance(block, Grid):
            number += 1
            if block.where.table != number:
                block = renumber(block, number)
        out.append(block)
    return tuple(out)


def renumber(grid: Grid, number: int) -> Grid:
    rows = tuple(
        tuple(attrs.evolve(cell, where=attrs.evolve(cell.where, table=number)) for cell in row) for row in grid.rows
    )
    return attrs.evolve(grid, rows=rows, where=attrs.evolve(grid.where, table=number))


def join_grids(first: Grid, second: Grid, *, drop_rows: int = 0) -> Grid:
    """``second`` appended below ``first``, without its first ``drop_rows`` rows (a repeated header).

    The cells keep their own ``where`` (the place they really came from); the result takes ``first``'s."""
    shift = first.height - drop_rows
    rows = list(first.rows)
    for row in second.rows[drop_rows:]:
        rows.append(tuple(attrs.evolve(cell, row=cell.row + shift) for cell in row))
    return attrs.evolve(first, rows=tuple(rows), width=max(first.width, second.width), continues=first.continues)


# ---------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------

_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?"
    r"(?:\s*(\d{1,2})\s*[:：时]\s*(\d{2})(?:\s*[:：分]\s*(\d{2}))?)?"
)
#: "发布时间：2025-01-20", "发布日期: 2025年1月20日", "发表日期:2022-01-19".
_PUBLISHED_LINE = re.compile(r"(?:发布|发表|公开|公布|上线)(?:时间|日期)\s*[:：]?\s*")


def parse_date(text: str) -> tuple[dt.date, str] | None:
    """The first plausible full date in ``text`` and the matched characters."""
    for match in _DATE.finditer(text):
        try:
            value = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
        return value, match[0].strip()
    return None


def dates_in_line(text: str, where: Where) -> list[DateClaim]:
    """The publication date a line such as "发布时间：2025-01-20" states."""
    claims: list[DateClaim] = []
    for label in _PUBLISHED_LINE.finditer(text):
        found = parse_date(text[label.end() : label.end() + 40])
        if found and text[label.end() : label.end() + 40].lstrip().startswith(found[1][:4]):
            claims.append(DateClaim(found[0], "text", (label[0] + found[1]).strip(), "day", where))
    return claims


_URL_DAY = (
    re.compile(r"(?<![0-9])((?:19|20)\d{2})(\d{2})(\d{2})(?![0-9])"),
    re.compile(r"/((?:19|20)\d{2})[-/_](\d{1,2})[-/_](\d{1,2})(?=[/_.-])"),
)
_URL_MONTH = (re.compile(r"/((?:19|20)\d{2})(\d{2})(?=/)"), re.compile(r"/((?:19|20)\d{2})[-_/](\d{2})(?=/)"))


def dates_in_url(url: str) -> list[DateClaim]:
    """Dates in the path of a URL or file name: ``t20260313_…`` or ``/2021/2/26/`` (a day), ``/202603/``
    (a month, dropped when a day in that month is also there)."""
    if not url:
        return []
    path = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]*", "", url, flags=re.IGNORECASE).split("?")[0]
    days: dict[dt.date, str] = {}
    for pattern in _URL_DAY:
        for match in pattern.finditer(path):
            try:
                days.setdefault(dt.date(int(match[1]), int(match[2]), int(match[3])), match[0].strip("/"))
            except ValueError:
                continue
    claims = [DateClaim(day, "url", raw, "day", Where(path=url)) for day, raw in days.items()]
    months = {(day.year, day.month) for day in days}
    for pattern in _URL_MONTH:
        for match in pattern.finditer(path):
            year, month = int(match[1]), int(match[2])
            if 1 <= month <= 12 and (year, month) not in months:
                months.add((year, month))
                claims.append(DateClaim(dt.date(year, month, 1), "url", match[0].strip("/"), "month", Where(path=url)))
    return claims
