"""PDF with a text layer, through pdfplumber (the optional extra ``reportkit[pdf]``); no OCR.

Per page: ruled tables come from pdfplumber's table finder; the logical grid is rebuilt from the cells'
boxes (every distinct cell edge is a grid line, so a merged cell gets its rowspan/colspan), and each
cell's text from the characters whose centre lies in it (``\\n`` between visual lines). Text outside
tables becomes paragraphs (visual lines grouped by indentation, spacing and short last lines; ``raw``
keeps ``\\n`` at each visual line end). Where no ruled table holds them, runs of lines that carry two
or more stand-alone numbers in aligned columns become a grid too (the text-layout fallback), with the
aligned lines just above as its header rows. Page numbers ("— 4 —", "第 4 页") and running headers
or footers (the same margin line on most pages) are left out, with a note.

Across pages: a grid that ends a page and a grid that starts the next, with the same column edges, are
one table cut by the page break. They are stitched: header rows the next page repeats are dropped;
a merged label cell that runs on (its rest blank on the next page) keeps growing; a row cut in two (its
label continues, no column has a number on both sides, and the next part does not start with its own
numbering) is joined into one row. A paragraph cut by the page break is joined the same way. The
joined parts keep their places in ``where.parts``.

A page without a text layer (only an image: a scan) becomes an :class:`Unreadable` block, as does a
page whose fonts have no Unicode mapping. Cost is bounded by :class:`ReadLimits`: bytes, pages,
characters per page, and seconds per page and in all (checked between pages).
"""

from __future__ import annotations

import bisect
import io
import itertools
import re
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import attrs
from attrs import define, field

from reportkit.errors import Problem
from reportkit.published._common import (
    DEFAULT_LIMITS,
    ReadLimits,
    clean,
    dates_in_line,
    mark_continuations,
    number_tables,
    parse_date,
    repeated_rows,
    too_large,
)
from reportkit.published.model import (
    Block,
    Box,
    DateClaim,
    Document,
    Grid,
    GridCell,
    Kind,
    Meta,
    Paragraph,
    PublishedDocumentError,
    Unreadable,
    Where,
)

__all__ = ["INSTALL_HINT", "read"]

INSTALL_HINT = "读取 PDF 需要可选组件 pdfplumber，请安装：pip install 'reportkit[pdf]'"

_EDGE_TOLERANCE = 2.0
_PAGE_NUMBER = re.compile(
    r"^[\s\-—–－·•]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*[/／]\s*\d{1,4}|\s*[,，]?\s*共\s*\d{1,4}\s*页)?[\s\-—–－·•]*$"
)
_NUMERIC = re.compile(r"^[-+−－]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[/／\-－—–]{1,3}$")
_NUMBERING = re.compile(
    r"^\s*(?:\d{1,2}\s*[.．、]|[（(][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}、)"
)
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _numeric(text: str) -> bool:
    return bool(_NUMERIC.match(text.replace(" ", "").replace("\n", "")))


@define
class _Item:
    """A block on a page with its vertical place (and, for tables, its column edges)."""

    block: Block
    top: float
    bottom: float
    edges: tuple[float, ...] = ()
    x0: float = 0.0
    x1: float = 0.0
    first_indented: bool = False
    last_full: bool = False


@define
class _Page:
    number: int
    height: float
    items: list[_Item] = field(factory=list)


def _snap(values: Sequence[float]) -> list[float]:
    """Distinct coordinates, merging those closer than the tolerance."""
    out: list[float] = []
    for value in sorted(values):
        if out and value - out[-1] <= _EDGE_TOLERANCE:
            continue
        out.append(value)
    return out


def _index(edges: Sequence[float], value: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - value))


def _inside(char: dict[str, Any], box: Box) -> bool:
    x = (char["x0"] + char["x1"]) / 2
    y = (char["top"] + char["bottom"]) / 2
    return bool(box[0] <= x < box[2] and box[1] <= y < box[3])


class _Reader:
    def __init__(self, source: str, limits: ReadLimits) -> None:
        from pdfplumber.utils.text import chars_to_textmap, extract_text, extract_words

        self.extract_text = extract_text
        self.extract_words = extract_words
        self.chars_to_textmap = chars_to_textmap
        self.source = source
        self.limits = limits
        self.notes: list[Problem] = []
        self.cells = 0
        self.furniture = 0

    # -- one page -----------------------------------------------------------------------------------

    def page(self, page: Any, number: int) -> tuple[_Page, list[dict[str, Any]]]:
        chars = page.chars
        graphics = len(page.lines) + len(page.rects) + len(page.curves)
        if graphics > self.limits.max_page_graphics:
            raise PublishedDocumentError(
                f"第 {number} 页图形过多（{graphics} 个，上限 {self.limits.max_page_graphics}），疑似异常文件，已拒绝",
                source=self.source,
            )
        if len(chars) > self.limits.max_page_chars:
            raise PublishedDocumentError(
                f"第 {number} 页字符过多（{len(chars)} 个，上限 {self.limits.max_page_chars}），疑似异常文件，已拒绝",
                source=self.source,
            )
        result = _Page(number, float(page.height))
        where = Where(page=number, box=(0.0, 0.0, float(page.width), float(page.height)))
        if not chars:
            if page.images or page.curves or page.rects:
                reason = (
                    f"第 {number} 页没有文字层（可能是扫描图片），无法读取；本工具不做文字识别（OCR），"
                    "请找到该报告的网页、Word 或带文字层的 PDF"
                )
                result.items.append(_Item(Unreadable(reason, where), 0.0, float(page.height)))
                self.notes.append(Problem(f"第 {number} 页", "没有文字层（扫描件？），无法读取"))
            return result, []
        unmapped = sum(1 for c in chars if c["text"].startswith("(cid:"))
        if unmapped > len(chars) * 0.3:
            reason = f"第 {number} 页的字体缺少字符映射，文字无法解码；请用其他方式导出 PDF，或找到报告的网页/Word 版"
            result.items.append(_Item(Unreadable(reason, where), 0.0, float(page.height)))
            self.notes.append(Problem(f"第 {number} 页", "文字层无法解码（字体缺少 Unicode 映射）"))
            return result, []
        tables = [t for t in page.find_tables() if len(t.cells) >= 2]
        boxes: list[Box] = []
        for table in tables:
            item = self._ruled(table, chars, number)
            if item is not None:
                result.items.append(item)
                boxes.append(_box(table.bbox))
        outside = [c for c in chars if not any(_inside(c, box) for box in boxes)]
        lines = self._lines(outside)
        return result, lines

    def _ruled(self, table: Any, chars: list[dict[str, Any]], page: int) -> _Item | None:
        boxes = [_box(cell) for cell in table.cells]
        xs = _snap([b[0] for b in boxes] + [b[2] for b in boxes])
        ys = _snap([b[1] for b in boxes] + [b[3] for b in boxes])
        if len(xs) < 2 or len(ys) < 2:
            return None
        if (len(xs) - 1) * (len(ys) - 1) > min(self.limits.max_slots, 250_000):
            raise PublishedDocumentError(f"第 {page} 页的表格过大，已拒绝", source=self.source)
        top, bottom = float(table.bbox[1]), float(table.bbox[3])
        table_chars = [
            c for c in chars if _inside(c, (float(table.bbox[0]), top - 1, float(table.bbox[2]), bottom + 1))
        ]
        width, height = len(xs) - 1, len(ys) - 1
        owner = [-1] * (width * height)  # slot -> index of the cell covering it
        found: list[tuple[int, int, int, int, Box]] = []  # row, col, rowspan, colspan, box
        for box in boxes:
            col, right = _index(xs, box[0]), _index(xs, box[2])
            row, below = _index(ys, box[1]), _index(ys, box[3])
            if right <= col or below <= row:
                continue
            slots = [y * width + x for y in range(row, below) for x in range(col, right)]
            if any(owner[slot] >= 0 for slot in slots):
                continue  # a box overlapping one already placed (not what a table finder gives)
            for slot in slots:
                owner[slot] = len(found)
            found.append((row, col, below - row, right - col, box))
            self.cells += 1
            if self.cells > self.limits.max_cells:
                raise PublishedDocumentError(
                    f"表格单元格过多（超过 {self.limits.max_cells} 个），已拒绝", source=self.source
                )
        # Each character goes to the cell whose slot holds its centre (a lookup, not a scan per cell).
        contents: list[list[dict[str, Any]]] = [[] for _ in found]
        for char in table_chars:
            x = (char["x0"] + char["x1"]) / 2
            y = (char["top"] + char["bottom"]) / 2
            col, row = bisect.bisect_right(xs, x) - 1, bisect.bisect_right(ys, y) - 1
            if 0 <= col < width and 0 <= row < height and owner[row * width + col] >= 0:
                contents[owner[row * width + col]].append(char)
        by_row: list[list[GridCell]] = [[] for _ in range(height)]
        for (row, col, rowspan, colspan, box), inside in zip(found, contents, strict=True):
            raw = self.extract_text(inside) if inside else ""
            where = Where(page=page, box=_round(box), row=row + 1, column=col + 1)
            by_row[row].append(GridCell(clean(raw), raw, row, col, rowspan, colspan, where))
        rows = tuple(tuple(sorted(line, key=lambda c: c.col)) for line in by_row)
        bbox = _round([float(v) for v in table.bbox])
        grid = Grid(rows, len(xs) - 1, Where(page=page, box=bbox))
        return _Item(grid, top, bottom, tuple(xs), bbox[0], bbox[2])

    def _lines(self, chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not chars:
            return []
        textmap = self.chars_to_textmap(chars)
        lines: list[dict[str, Any]] = textmap.extract_text_lines(strip=True, return_chars=True)
        return lines

    # -- text outside tables ------------------------------------------------------------------------

    def paragraphs(self, page: _Page, lines: list[dict[str, Any]], margins: tuple[float, float]) -> list[_Item]:
        left, right = margins
        items: list[_Item] = []
        current: list[dict[str, Any]] = []

        def flush() -> None:
            if not current:
                return
            raw = "\n".join(line["text"] for line in current)
            box = _round(
                (
                    min(line["x0"] for line in current),
                    min(line["top"] for line in current),
                    max(line["x1"] for line in current),
                    max(line["bottom"] for line in current),
                )
            )
            size = _size(current[0])
            lines = tuple(
                Where(page=page.number, box=_round((line["x0"], line["top"], line["x1"], line["bottom"])))
                for line in current
            )
            paragraph = Paragraph(clean(raw), raw, Where(page=page.number, box=box), lines=lines)
            items.append(
                _Item(
                    paragraph,
                    box[1],
                    box[3],
                    x0=box[0],
                    x1=box[2],
                    first_indented=current[0]["x0"] > left + size * 1.2,
                    last_full=current[-1]["x1"] >= right - size * 1.5,
                )
            )
            current.clear()

        pitches = [b["top"] - a["top"] for a, b in itertools.pairwise(lines) if 0 < b["top"] - a["top"] < _size(a) * 3]
        pitch = statistics.median(pitches) if pitches else 0.0
        for line in lines:
            if current:
                previous = current[-1]
                size = _size(line)
                step = line["top"] - previous["top"]
                if (
                    step > max(pitch * 1.3, size * 1.2)
                    or step <= 0
                    or line["x0"] > left + size * 1.2
                    or previous["x1"] < right - size * 1.5
                    or abs(_size(previous) - size) > 1.0
                ):
                    flush()
            current.append(line)
        flush()
        return items

    def layout_tables(self, page: _Page, lines: list[dict[str, Any]]) -> tuple[list[_Item], list[dict[str, Any]]]:
        """The text-layout fallback: runs of lines with aligned stand-alone numbers become grids."""
        words_by_line = [self._words(line) for line in lines]
        numeric = [_figures_row(words) for words in words_by_line]
        items: list[_Item] = []
        used: set[int] = set()
        index = 0
        while index < len(lines):
            if not numeric[index]:
                index += 1
                continue
            end = index
            while end + 1 < len(lines) and numeric[end + 1]:
                end += 1
            # Two lines of figures at least, or one with many (the single data row of a table).
            if end > index or sum(_numeric(w["text"]) for w in words_by_line[index]) >= 4:
                start = index
                centres = [
                    (w["x0"] + w["x1"]) / 2
                    for i in range(index, end + 1)
                    for w in words_by_line[i]
                    if _numeric(w["text"])
                ]
                columns = _snap_columns(centres, _size(lines[index]))
                while start > 0 and start - 1 not in used and index - start < 4:
                    words = words_by_line[start - 1]
                    aligned = sum(
                        1
                        for w in words
                        if _column_of((w["x0"] + w["x1"]) / 2, columns, _size(lines[start - 1])) is not None
                    )
                    if aligned < 2:
                        break
                    start -= 1
                item = self._layout_grid(page.number, lines[start : end + 1], words_by_line[start : end + 1], columns)
                items.append(item)
                used.update(range(start, end + 1))
            index = end + 1
        rest = [line for i, line in enumerate(lines) if i not in used]
        return items, rest

    def _words(self, line: dict[str, Any]) -> list[dict[str, Any]]:
        words: list[dict[str, Any]] = self.extract_words(line["chars"], x_tolerance=1.5)
        return words

    def _layout_grid(
        self,
        page: int,
        lines: list[dict[str, Any]],
        words_by_line: list[list[dict[str, Any]]],
        columns: list[float],
    ) -> _Item:
        rows: list[tuple[GridCell, ...]] = []
        for r, (line, words) in enumerate(zip(lines, words_by_line, strict=True)):
            size = _size(line)
            cells: dict[int, list[dict[str, Any]]] = {}
            for word in words:
                col = _column_of((word["x0"] + word["x1"]) / 2, columns, size)
                cells.setdefault(0 if col is None else col + 1, []).append(word)
            out: list[GridCell] = []
            for c in sorted(cells):
                group = cells[c]
                raw = " ".join(w["text"] for w in group)
                box = _round(
                    (
                        min(w["x0"] for w in group),
                        min(w["top"] for w in group),
                        max(w["x1"] for w in group),
                        max(w["bottom"] for w in group),
                    )
                )
                self.cells += 1
                out.append(GridCell(clean(raw), raw, r, c, 1, 1, Where(page=page, box=box, row=r + 1, column=c + 1)))
            rows.append(tuple(out))
        top = min(line["top"] for line in lines)
        bottom = max(line["bottom"] for line in lines)
        x0 = min(line["x0"] for line in lines)
        x1 = max(line["x1"] for line in lines)
        grid = Grid(tuple(rows), len(columns) + 1, Where(page=page, box=_round((x0, top, x1, bottom))))
        self.notes.append(Problem(f"第 {page} 页", "一处没有表格线的数字表格已按文字对齐读取，请核对列的对应"))
        return _Item(grid, top, bottom, (), x0, x1)


def _figures_row(words: list[dict[str, Any]]) -> bool:
    """Whether a line reads as a table row: words, then two or more stand-alone numbers and nothing else."""
    kinds = [_numeric(word["text"]) for word in words]
    if sum(kinds) < 2:
        return False
    first = kinds.index(True)
    return all(kinds[first:])


def _size(line: dict[str, Any]) -> float:
    return max(float(line["bottom"]) - float(line["top"]), 1.0)


def _snap_columns(centres: list[float], size: float) -> list[float]:
    """Column centres: numbers whose centres lie within a character of each other share a column."""
    groups: list[list[float]] = []
    for value in sorted(centres):
        if groups and value - groups[-1][-1] <= size:
            groups[-1].append(value)
        else:
            groups.append([value])
    return [statistics.fmean(group) for group in groups]


def _column_of(x: float, columns: list[float], size: float) -> int | None:
    best = min(range(len(columns)), key=lambda i: abs(columns[i] - x)) if columns else None
    if best is None or abs(columns[best] - x) > size * 2:
        return None
    return best


def _margins(lines: list[dict[str, Any]]) -> tuple[float, float]:
    """The left and right edges of the text column, from the lines of the whole document (most lines of
    a report are full-width body lines, so the 5th and 95th percentiles are the margins)."""
    if not lines:
        return 0.0, 0.0
    lefts = sorted(float(line["x0"]) for line in lines)
    rights = sorted(float(line["x1"]) for line in lines)
    return lefts[len(lefts) // 20], rights[len(rights) * 19 // 20]


def _box(values: Sequence[float]) -> Box:
    return (float(values[0]), float(values[1]), float(values[2]), float(values[3]))


def _round(box: Sequence[float]) -> Box:
    return (round(box[0], 1), round(box[1], 1), round(box[2], 1), round(box[3], 1))


# ---------------------------------------------------------------------------------------------------
# Furniture (page numbers, running headers and footers)
# ---------------------------------------------------------------------------------------------------


def _margin_key(line: dict[str, Any], height: float) -> str | None:
    """A key for a line in the top 10% or bottom 12% of the page (digits blanked), else None."""
    if line["bottom"] > height * 0.10 and line["top"] < height * 0.88:
        return None
    return re.sub(r"\d+", "#", line["text"].strip())


def _drop_furniture(pages: list[tuple[_Page, list[dict[str, Any]]]]) -> tuple[list[list[dict[str, Any]]], int]:
    keys: Counter[str] = Counter()
    for page, lines in pages:
        keys.update({key for line in lines if (key := _margin_key(line, page.height))})
    repeated = {key for key, count in keys.items() if count >= 3 and count > len(pages) / 2}
    kept: list[list[dict[str, Any]]] = []
    dropped = 0
    for page, lines in pages:
        out = []
        for line in lines:
            key = _margin_key(line, page.height)
            if key is not None and (key in repeated or _PAGE_NUMBER.match(line["text"])):
                dropped += 1
                continue
            out.append(line)
        kept.append(out)
    return kept, dropped


# ---------------------------------------------------------------------------------------------------
# Stitching across pages
# ---------------------------------------------------------------------------------------------------


def _compatible(first: tuple[float, ...], second: tuple[float, ...]) -> bool:
    """Whether two fragments' column edges can belong to one table: the same outer edges, and every edge of
    the one with fewer edges also an edge of the other (a fragment whose rows all merge two columns lacks
    the edge between them)."""
    if len(first) < 2 or len(second) < 2:
        return False
    tolerance = _EDGE_TOLERANCE * 2
    if abs(first[0] - second[0]) > tolerance or abs(first[-1] - second[-1]) > tolerance:
        return False
    fewer, more = (first, second) if len(first) <= len(second) else (second, first)
    return all(any(abs(a - b) <= tolerance for b in more) for a in fewer)


def _remap(grid: Grid, edges: Sequence[float]) -> Grid:
    """``grid`` with its columns counted on ``edges`` (a finer set of column edges than its own)."""
    rows = []
    for row in grid.rows:
        cells = []
        for cell in row:
            box = cell.where.box
            if box is None:
                return grid
            col, right = _index(edges, box[0]), _index(edges, box[2])
            if (col, right - col) != (cell.col, cell.colspan):
                where = attrs.evolve(cell.where, column=col + 1)
                cell = attrs.evolve(cell, col=col, colspan=max(right - col, 1), where=where)
            cells.append(cell)
        rows.append(tuple(cells))
    return attrs.evolve(grid, rows=tuple(rows), width=len(edges) - 1)


def _pairs(first: Grid, second: Grid, start: int) -> tuple[list[tuple[GridCell, GridCell]], bool]:
    """The cells ending ``first`` and starting ``second`` (at row ``start``) that cover the same columns,
    and whether every such cell found its partner."""
    ending = {(c.col, c.colspan): c for c in first.cells() if c.bottom == first.height}
    starting = {(c.col, c.colspan): c for c in second.rows[start]} if start < second.height else {}
    pairs = [(ending[key], starting[key]) for key in sorted(ending.keys() & starting.keys())]
    return pairs, bool(pairs) and ending.keys() == starting.keys()


def _row_continues(pairs: list[tuple[GridCell, GridCell]]) -> bool:
    """Whether the first row after the break is the rest of the last row before it."""
    if any(_numeric(a.text) and _numeric(b.text) for a, b in pairs if a.text and b.text):
        return False
    if any(b.text and _NUMBERING.match(b.text) for _, b in pairs):
        return False
    if all(b.blank for _, b in pairs):
        return True
    return any(a.text and b.text and not _numeric(a.text) and not _numeric(b.text) for a, b in pairs)


def _runs_on(a: GridCell, b: GridCell) -> bool:
    """Whether ``b`` (starting the next page) is the rest of the merged cell ``a`` (ending this one): one of
    them spans rows, and ``b`` is blank or the rest of a label (words, not a number, and not opening with
    numbering of its own such as "（六）" or "四、")."""
    if a.rowspan == 1 and b.rowspan == 1:
        return False
    if a.blank or b.blank:
        return True
    return not _numeric(a.text) and not _numeric(b.text) and not _NUMBERING.match(b.text)


def _merge(a: GridCell, b: GridCell, extra_rows: int) -> GridCell:
    raw = f"{a.raw}\n{b.raw}" if a.raw and b.raw else (a.raw or b.raw)
    # The rest is named by its page and box: its row and column were those of a page's fragment.
    rest = tuple(Where(page=w.page, box=w.box) for w in (b.where, *b.where.parts))
    where = attrs.evolve(a.where, parts=(*a.where.parts, *rest))
    return attrs.evolve(a, raw=raw, text=clean(raw), rowspan=a.rowspan + extra_rows, where=where)


def _stitch(first: Grid, second: Grid) -> tuple[Grid, int, bool]:
    """``second`` (the next page's fragment) joined to ``first``; also the number of repeated header rows
    dropped and whether a row cut by the page break was joined."""
    drop = repeated_rows(first, second)
    pairs, complete = _pairs(first, second, drop)
    joined = complete and _row_continues(pairs)
    shift = first.height - drop - (1 if joined else 0)
    replaced: dict[tuple[int, int], GridCell] = {}
    absorbed: set[tuple[int, int]] = set()
    for a, b in pairs:
        if joined:
            replaced[(a.row, a.col)] = _merge(a, b, b.rowspan - 1)
            absorbed.add((b.row, b.col))
        elif _runs_on(a, b):
            replaced[(a.row, a.col)] = _merge(a, b, b.rowspan)  # a merged label running on
            absorbed.add((b.row, b.col))
    rows: list[list[GridCell]] = [[replaced.get((c.row, c.col), c) for c in row] for row in first.rows]
    for row in second.rows[drop:]:
        moved = [
            attrs.evolve(c, row=c.row + shift, where=attrs.evolve(c.where, row=c.row + shift + 1))
            for c in row
            if (c.row, c.col) not in absorbed
        ]
        target = moved[0].row if moved else None
        if target is not None and target < len(rows):
            rows[target].extend(moved)
            rows[target].sort(key=lambda c: c.col)
        elif moved or not joined:
            rows.append(moved)
    grid = attrs.evolve(first, rows=tuple(tuple(row) for row in rows), width=max(first.width, second.width))
    return grid, drop, joined


@define
class _Stitching:
    tables: int = 0
    header_rows: int = 0
    cut_rows: int = 0
    paragraphs: int = 0


def _join(carry: _Item, item: _Item, counts: _Stitching) -> Block | None:
    """The block ``carry`` (ending the previous page) and ``item`` (starting this one) make, when they are
    one table or one paragraph cut by the page break; else None."""
    previous, block = carry.block, item.block
    if isinstance(previous, Grid) and isinstance(block, Grid) and _compatible(carry.edges, item.edges):
        edges = tuple(_snap([*carry.edges, *item.edges]))
        grid, dropped, cut = _stitch(_remap(previous, edges), _remap(block, edges))
        counts.tables += 1
        counts.header_rows += dropped
        counts.cut_rows += cut
        item.edges = edges  # a further fragment on the next page is measured against all of them
        return grid
    if (
        isinstance(previous, Paragraph)
        and isinstance(block, Paragraph)
        and carry.last_full
        and not item.first_indented
        and block.text
    ):
        counts.paragraphs += 1
        raw = f"{previous.raw}\n{block.raw}"
        where = attrs.evolve(previous.where, parts=(*previous.where.parts, block.where))
        return attrs.evolve(previous, raw=raw, text=clean(raw), where=where, lines=(*previous.lines, *block.lines))
    return None


def _assemble(pages: list[_Page], notes: list[Problem]) -> list[Block]:
    blocks: list[Block] = []
    carry: _Item | None = None  # the last item of the previous page, which may continue on this one
    counts = _Stitching()
    for page in pages:
        items = sorted(page.items, key=lambda item: item.top)
        for position, item in enumerate(items):
            joined = _join(carry, item, counts) if position == 0 and carry is not None else None
            if joined is not None:
                blocks[-1] = joined
                items[position] = attrs.evolve(item, block=joined)
                continue
            blocks.append(item.block)
        carry = items[-1] if items else None
    if counts.tables:
        details = [f"去掉下一页重复的表头 {counts.header_rows} 行"] if counts.header_rows else []
        if counts.cut_rows:
            details.append(f"合并被分页截断的行 {counts.cut_rows} 处")
        extra = f"（{'，'.join(details)}）" if details else ""
        notes.append(Problem("", f"{counts.tables} 处跨页的表格已拼接{extra}；请核对分页处的行"))
    return blocks


# ---------------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------------


def read(data: bytes, *, source: str, limits: ReadLimits = DEFAULT_LIMITS) -> Document:
    """Read a PDF (its bytes) into a :class:`Document`. Needs pdfplumber (``pip install 'reportkit[pdf]'``)."""
    if len(data) > limits.max_pdf_bytes:
        raise too_large(source, "PDF ", len(data), limits.max_pdf_bytes)
    if b"%PDF-" not in data[:1024]:
        raise PublishedDocumentError("不是 PDF 文件（缺少 %PDF 文件头）；请确认文件完整，或重新下载", source=source)
    try:
        import pdfplumber
    except ImportError:
        raise PublishedDocumentError(INSTALL_HINT, source=source) from None
    started = time.monotonic()
    try:
        document = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many types for a broken or encrypted file
        raise PublishedDocumentError(_broken(exc), source=source) from None
    reader = _Reader(source, limits)
    pages: list[tuple[_Page, list[dict[str, Any]]]] = []
    with document:
        try:
            count = len(document.pages)
        except Exception as exc:
            raise PublishedDocumentError(_broken(exc), source=source) from None
        if count > limits.max_pages:
            raise PublishedDocumentError(
                f"PDF 页数过多（{count} 页，上限 {limits.max_pages} 页），已拒绝", source=source
            )
        for number, page in enumerate(document.pages, start=1):
            begun = time.monotonic()
            try:
                pages.append(reader.page(page, number))
            except PublishedDocumentError:
                raise
            except Exception as exc:
                raise PublishedDocumentError(
                    f"第 {number} 页无法解析（{type(exc).__name__}）；{_advice()}", source=source
                ) from None
            finally:
                page.close()
            now = time.monotonic()
            if now - begun > limits.page_seconds or now - started > limits.total_seconds:
                raise PublishedDocumentError(
                    f"PDF 解析超时（第 {number} 页用时 {now - begun:.0f} 秒，共 {now - started:.0f} 秒），"
                    "疑似异常文件，已拒绝",
                    source=source,
                )
        info = {str(k): v for k, v in (document.metadata or {}).items()}
    kept, dropped = _drop_furniture(pages)
    leftovers: list[list[dict[str, Any]]] = []
    for (done, _), lines in zip(pages, kept, strict=True):
        tables, rest = reader.layout_tables(done, lines)
        done.items.extend(tables)
        leftovers.append(rest)
    margins = _margins([line for rest in leftovers for line in rest])
    for (done, _), rest in zip(pages, leftovers, strict=True):
        done.items.extend(reader.paragraphs(done, rest, margins))
    notes = reader.notes
    if dropped:
        notes.append(Problem("", f"已略去 {dropped} 行页码、页眉或页脚"))
    blocks = _assemble([page for page, _ in pages], notes)
    numbered = mark_continuations(number_tables(blocks))
    return Document(Kind.PDF, source, numbered, tuple(notes), _meta(info, numbered))


def _advice() -> str:
    return "请用 PDF 阅读器打开确认文件完好，或改用报告的网页/Word 版"


def _broken(exc: BaseException) -> str:
    name = type(exc).__name__
    if "Password" in name or "Encrypt" in name:
        return "PDF 已加密，无法读取；请提供未加密的版本"
    return f"PDF 已损坏或格式不正确（{name}），无法读取；{_advice()}"


def _meta(info: dict[str, Any], blocks: tuple[Block, ...]) -> Meta:
    properties: list[tuple[str, str]] = []
    dates: list[DateClaim] = []
    for key, value in info.items():
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        text = text.strip()
        if not text:
            continue
        properties.append((key, text))
        if key in ("CreationDate", "ModDate"):
            digits = re.match(r"^(?:D:)?(\d{4})(\d{2})(\d{2})", text)
            if digits:
                found = parse_date(f"{digits[1]}-{digits[2]}-{digits[3]}")
                if found:
                    dates.append(DateClaim(found[0], f"properties:{key}", text, "day", Where(path="PDF 文档信息")))
    title = next((value for key, value in properties if key == "Title"), "")
    paragraphs = [block for block in blocks if isinstance(block, Paragraph)]
    if not title:
        title = next((p.text.replace("\n", "") for p in paragraphs if p.text and len(p.text) <= 100), "")
    for paragraph in paragraphs:
        dates.extend(dates_in_line(paragraph.text.replace("\n", ""), paragraph.where))
    return Meta(title, "", "", tuple(dates), tuple(properties))
