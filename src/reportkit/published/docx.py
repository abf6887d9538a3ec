"""DOCX: a Word file, read through its XML (never through a layout engine).

Before any XML parser sees it, the package goes through :func:`reportkit.safezip.inspect_archive` (size,
member count, expansion ratio, no DOCTYPE/ENTITY declarations); lxml then parses the main document part
with entities and network access off. The body is walked in order: paragraphs, tables, block-level
content controls (``w:sdt``) and custom-XML wrappers, and the paragraphs and tables inside text boxes
(emitted right after the paragraph that anchors them; of ``mc:AlternateContent`` only the first choice is
read, since the fallback repeats the same text).

Tables: ``w:gridBefore`` and ``w:gridSpan`` place each cell on the grid columns, ``w:vMerge`` continuations
grow the rowspan of the cell above (a continuation's own text, which Word normally leaves empty, is
appended to it and its place kept in ``where.parts``). A table with a table inside a cell is dissolved into
its content as in HTML. Tracked changes are read as accepted (``w:ins`` and ``w:moveTo`` kept, ``w:del``,
``w:moveFrom`` and deleted rows dropped), with a note. Automatic numbering (``w:numPr``, also through the
paragraph style) is rendered as Word shows it ("一、", "1."), because labels often start with it.

Consecutive tables are kept as separate grids; one that follows another with only blank paragraphs
between carries :attr:`Grid.continues` (with the number of repeated header rows), for the mapper to join.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator

from attrs import define, field
from lxml import etree  # type: ignore[import-untyped]

from reportkit.errors import Problem
from reportkit.published._common import (
    DEFAULT_LIMITS,
    CellBudget,
    GridBuilder,
    RawCell,
    ReadLimits,
    clean,
    dates_in_line,
    mark_continuations,
    number_tables,
    parse_date,
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
    Unreadable,
    Where,
)
from reportkit.safezip import ArchiveLimits, inspect_archive

__all__ = ["read"]

_W_NAMESPACES = frozenset(
    (
        "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
        "http://purl.oclc.org/ooxml/wordprocessingml/main",
    )
)
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_REL_DOCUMENT = re.compile(r"/officeDocument$")
#: Elements whose content is never part of the text: deletions, field codes, properties, the fallback
#: copy of alternate content, footnote/comment references.
_SKIP = frozenset(
    (
        "del",
        "moveFrom",
        "delText",
        "delInstrText",
        "instrText",
        "pPr",
        "rPr",
        "tblPr",
        "trPr",
        "tcPr",
        "sectPr",
        "sdtPr",
        "sdtEndPr",
        "fldData",
        "rPrChange",
        "pPrChange",
        "numberingChange",
        "commentReference",
        "footnoteReference",
        "endnoteReference",
        "annotationRef",
    )
)
_BREAKS = {"br": "\n", "cr": "\n", "tab": "\t", "ptab": "\t", "noBreakHyphen": "-", "softHyphen": ""}


def _name(element: etree._Element) -> str:
    """The local name of a WordprocessingML element; other namespaces keep a prefix (``mc:Choice``)."""
    tag = element.tag
    if not isinstance(tag, str):
        return "#other"  # comments, processing instructions
    if tag[0] != "{":
        return tag
    namespace, _, local = tag[1:].partition("}")
    if namespace in _W_NAMESPACES:
        return local
    if namespace == _MC:
        return f"mc:{local}"
    return f"x:{local}"


def _attr(element: etree._Element | None, name: str) -> str | None:
    if element is None:
        return None
    for key, value in element.attrib.items():
        if key.rpartition("}")[2] == name and (key[0] != "{" or key[1:].partition("}")[0] in _W_NAMESPACES):
            return str(value)
    return None


def _child(element: etree._Element, *path: str) -> etree._Element | None:
    current: etree._Element | None = element
    for name in path:
        if current is None:
            return None
        current = next((c for c in current if _name(c) == name), None)
    return current


def _int(value: str | None, default: int) -> int:
    if value is None:
        return default
    match = re.match(r"\s*(\d{1,6})", value)
    return int(match[1]) if match else default


# ---------------------------------------------------------------------------------------------------
# Numbering (as Word renders it)
# ---------------------------------------------------------------------------------------------------

_CHINESE_DIGITS = "零一二三四五六七八九"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"
_DIZHI = "子丑寅卯辰巳午未申酉戌亥"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _chinese(n: int) -> str:
    if n <= 0:
        return str(n)
    if n < 10:
        return _CHINESE_DIGITS[n]
    if n < 20:
        return "十" + (_CHINESE_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CHINESE_DIGITS[n // 10] + "十" + (_CHINESE_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def _roman(n: int) -> str:
    if not 0 < n < 4000:
        return str(n)
    out = ""
    for value, letters in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letters(n: int) -> str:
    if n <= 0:
        return str(n)
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _format(n: int, fmt: str) -> str:
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "chineseLegalSimplified",
        "taiwaneseCounting",
        "taiwaneseCountingThousand",
        "japaneseCounting",
        "ideographDigital",
    ):
        text = _chinese(n)
        return (
            text.translate(str.maketrans("一二三四五六七八九十", "壹贰叁肆伍陆柒捌玖拾"))
            if fmt == "chineseLegalSimplified"
            else text
        )
    if fmt == "ideographTraditional":
        return _TIANGAN[(n - 1) % 10] if n > 0 else str(n)
    if fmt == "ideographZodiac":
        return _DIZHI[(n - 1) % 12] if n > 0 else str(n)
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperLetter":
        return _letters(n)
    if fmt == "lowerLetter":
        return _letters(n).lower()
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else str(n)
    if fmt == "decimalFullWidth":
        return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("none", "bullet"):
        return ""
    return str(n)


@define
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    suffix: str = "\t"


@define
class _Numbering:
    """Renders the automatic numbering of paragraphs from ``numbering.xml`` and the paragraph styles."""

    levels: dict[str, dict[int, _Level]] = field(factory=dict)  # numId -> ilvl -> level
    starts: dict[tuple[str, int], int] = field(factory=dict)  # (numId, ilvl) -> startOverride
    styles: dict[str, tuple[str, int]] = field(factory=dict)  # styleId -> (numId, ilvl)
    counters: dict[str, list[int]] = field(factory=dict)

    @classmethod
    def load(cls, numbering: etree._Element | None, styles: etree._Element | None) -> _Numbering:
        result = cls()
        if numbering is not None:
            abstract: dict[str, dict[int, _Level]] = {}
            for element in numbering:
                if _name(element) == "abstractNum":
                    levels: dict[int, _Level] = {}
                    for lvl in element:
                        if _name(lvl) != "lvl":
                            continue
                        suffix = {"space": " ", "nothing": ""}.get(_attr(_child(lvl, "suff"), "val") or "", "\t")
                        levels[_int(_attr(lvl, "ilvl"), 0)] = _Level(
                            _int(_attr(_child(lvl, "start"), "val"), 1),
                            _attr(_child(lvl, "numFmt"), "val") or "decimal",
                            _attr(_child(lvl, "lvlText"), "val") or "",
                            suffix,
                        )
                    abstract[_attr(element, "abstractNumId") or ""] = levels
            for element in numbering:
                if _name(element) == "num":
                    num_id = _attr(element, "numId") or ""
                    result.levels[num_id] = abstract.get(_attr(_child(element, "abstractNumId"), "val") or "", {})
                    for override in element:
                        if _name(override) == "lvlOverride":
                            start = _child(override, "startOverride")
                            if start is not None:
                                result.starts[(num_id, _int(_attr(override, "ilvl"), 0))] = _int(_attr(start, "val"), 1)
        if styles is not None:
            for style in styles:
                if _name(style) != "style":
                    continue
                num = _child(style, "pPr", "numPr")
                if num is not None:
                    style_num = _attr(_child(num, "numId"), "val")
                    if style_num:
                        result.styles[_attr(style, "styleId") or ""] = (
                            style_num,
                            _int(_attr(_child(num, "ilvl"), "val"), 0),
                        )
        return result

    def prefix(self, paragraph: etree._Element) -> str:
        """The number Word shows before ``paragraph`` (and advances the counters), or ``""``."""
        properties = _child(paragraph, "pPr")
        if properties is None:
            return ""
        num = _child(properties, "numPr")
        style = _attr(_child(properties, "pStyle"), "val") or ""
        num_id: str | None
        if num is not None:
            num_id = _attr(_child(num, "numId"), "val")
            level_index = _int(_attr(_child(num, "ilvl"), "val"), self.styles.get(style, ("", 0))[1])
        elif style in self.styles:
            num_id, level_index = self.styles[style]
        else:
            return ""
        if not num_id or num_id == "0" or num_id not in self.levels:
            return ""
        levels = self.levels[num_id]
        level = levels.get(level_index)
        if level is None:
            return ""
        counters = self.counters.setdefault(num_id, [0] * 9)
        if not 0 <= level_index < 9:
            return ""
        for deeper in range(level_index + 1, 9):
            counters[deeper] = 0
        if counters[level_index] == 0:
            counters[level_index] = self.starts.get((num_id, level_index), level.start)
        else:
            counters[level_index] += 1

        def value(match: re.Match[str]) -> str:
            index = int(match[1]) - 1
            shown = levels.get(index, level)
            count = counters[index] or self.starts.get((num_id, index), shown.start)
            return _format(count, shown.fmt)

        text = re.sub(r"%([1-9])", value, level.text)
        return text + level.suffix if text else ""


# ---------------------------------------------------------------------------------------------------
# The body
# ---------------------------------------------------------------------------------------------------


@define
class _Counts:
    inserted: int = 0
    deleted: int = 0
    deleted_rows: int = 0
    text_boxes: int = 0
    layout_tables: int = 0
    alt_chunks: int = 0
    pictures: int = 0


class _Body:
    def __init__(self, source: str, limits: ReadLimits, numbering: _Numbering) -> None:
        self.source = source
        self.limits = limits
        self.numbering = numbering
        self.budget = CellBudget(limits, source)
        self.notes: list[Problem] = []
        self.counts = _Counts()
        self.block_count = 0
        self.built = 0

    def _count_block(self) -> None:
        self.block_count += 1
        if self.block_count > self.limits.max_blocks:
            raise PublishedDocumentError(
                f"文档段落过多（超过 {self.limits.max_blocks} 段），已拒绝", source=self.source
            )

    def blocks(self, container: etree._Element, path: str, depth: int, style: str = "") -> list[Block]:
        """The blocks of a body-like container (the body, a cell, a content control, a text box)."""
        if depth > self.limits.max_table_depth:
            raise PublishedDocumentError(
                f"表格或文本框嵌套过深（超过 {self.limits.max_table_depth} 层，位于 {path[:200]}），已拒绝",
                source=self.source,
            )
        out: list[Block] = []
        seen: dict[str, int] = {}
        for child in container:
            name = _name(child)
            index = seen[name] = seen.get(name, 0) + 1
            here = f"{path}/{name}[{index}]"
            if name == "p":
                out.extend(self.paragraph(child, here, depth, style))
            elif name == "tbl":
                out.extend(self.table(child, here, depth + 1))
            elif name in ("sdt", "customXml", "ins", "moveTo", "smartTag"):
                if name in ("ins", "moveTo"):
                    self.counts.inserted += 1
                inner = _child(child, "sdtContent") if name == "sdt" else child
                if inner is not None:
                    out.extend(self.blocks(inner, here, depth + 1, style))
            elif name in ("del", "moveFrom"):
                self.counts.deleted += 1
            elif name == "mc:AlternateContent":
                choice = next((c for c in child if _name(c) == "mc:Choice"), None)
                if choice is not None:
                    out.extend(self.blocks(choice, here, depth + 1, style))
            elif name == "altChunk":
                self.counts.alt_chunks += 1
        return out

    # -- paragraphs ---------------------------------------------------------------------------------

    def _text(self, element: etree._Element, pieces: list[str], boxes: list[etree._Element], depth: int) -> None:
        """Append the visible text under ``element`` to ``pieces``; collect the text boxes and pictures met
        (a picture is collected as the element that shows it)."""
        if depth > 200:
            raise PublishedDocumentError("段落结构嵌套过深，疑似异常文件，已拒绝", source=self.source)
        for child in element:
            name = _name(child)
            if name in _SKIP:
                if name in ("del", "moveFrom"):
                    self.counts.deleted += 1
                continue
            if name == "t":
                pieces.append(child.text or "")
            elif name in _BREAKS:
                pieces.append(_BREAKS[name])
            elif name == "sym":
                code = _attr(child, "char") or ""
                with contextlib.suppress(ValueError, OverflowError):
                    pieces.append(chr(int(code, 16)))
            elif name in ("txbxContent", "x:blip", "x:imagedata"):
                boxes.append(child)
            elif name == "mc:AlternateContent":
                choice = next((c for c in child if _name(c) == "mc:Choice"), None)
                if choice is not None:
                    self._text(choice, pieces, boxes, depth + 1)
            elif name == "mc:Fallback":
                continue
            else:
                if name in ("ins", "moveTo"):
                    self.counts.inserted += 1
                self._text(child, pieces, boxes, depth + 1)

    def paragraph(self, element: etree._Element, path: str, depth: int, style: str = "") -> list[Block]:
        self._count_block()
        pieces: list[str] = [self.numbering.prefix(element)]
        boxes: list[etree._Element] = []
        self._text(element, pieces, boxes, 0)
        raw = "".join(pieces)
        own_style = style or _attr(_child(element, "pPr", "pStyle"), "val") or ""
        out: list[Block] = [Paragraph(clean(raw), raw, Where(path=path), own_style)]
        pictures = [box for box in boxes if _name(box) != "txbxContent"]
        for number, box in enumerate((box for box in boxes if _name(box) == "txbxContent"), start=1):
            self.counts.text_boxes += 1
            out.extend(self.blocks(box, f"{path}/txbxContent[{number}]", depth + 1, "textbox"))
        if pictures:
            self.counts.pictures += len(pictures)
            reason = (
                f"此处有 {len(pictures)} 张图片，其中的文字无法读取（本工具不做文字识别）；"
                "若报告的表格是图片，请找到表格为文字的版本"
            )
            out.append(Unreadable(reason, Where(path=path)))
        return out

    def _cell_text(self, blocks: list[Block]) -> str:
        return "\n".join(block.raw for block in blocks if isinstance(block, Paragraph))

    # -- tables -------------------------------------------------------------------------------------

    def _rows(self, table: etree._Element, path: str) -> Iterator[tuple[etree._Element, str]]:
        seen: dict[str, int] = {}
        for child in table:
            name = _name(child)
            index = seen[name] = seen.get(name, 0) + 1
            here = f"{path}/{name}[{index}]"
            if name == "tr":
                yield child, here
            elif name in ("sdt", "customXml", "ins", "moveTo"):
                inner = _child(child, "sdtContent") if name == "sdt" else child
                if inner is not None:
                    yield from self._rows(inner, here)

    def _cells(self, row: etree._Element, path: str) -> Iterator[tuple[etree._Element, str]]:
        seen: dict[str, int] = {}
        for child in row:
            name = _name(child)
            index = seen[name] = seen.get(name, 0) + 1
            here = f"{path}/{name}[{index}]"
            if name == "tc":
                yield child, here
            elif name in ("sdt", "customXml", "ins", "moveTo"):
                inner = _child(child, "sdtContent") if name == "sdt" else child
                if inner is not None:
                    yield from self._cells(inner, here)

    def table(self, element: etree._Element, path: str, depth: int) -> list[Block]:
        builder = GridBuilder(self.limits, self.budget, self.source, Where(path=path))
        layout: list[Block] = []
        pictures: list[Block] = []  # pictures in cells, reported after the grid
        nested = False
        # column -> (row, column, colspan) of the cell a vMerge continuation in that column would extend
        merges: dict[int, tuple[int, int, int]] = {}
        continuations: dict[tuple[int, int], list[str]] = {}
        for row, row_path in self._rows(element, path):
            properties = _child(row, "trPr")
            if properties is not None and any(_name(c) == "del" for c in properties):
                self.counts.deleted_rows += 1
                continue
            builder.start_row()
            r = len(builder.rows) - 1
            column = _int(_attr(_child(row, "trPr", "gridBefore"), "val"), 0) if properties is not None else 0
            next_merges: dict[int, tuple[int, int, int]] = {}
            for cell, cell_path in self._cells(row, row_path):
                cell_properties = _child(cell, "tcPr")
                span = _int(_attr(_child(cell, "tcPr", "gridSpan"), "val"), 1) if cell_properties is not None else 1
                span = max(span, 1)
                merge = _child(cell, "tcPr", "vMerge") if cell_properties is not None else None
                merge_value = (_attr(merge, "val") or "continue") if merge is not None else None
                content = self.blocks(cell, cell_path, depth)
                layout.extend(content)
                pictures.extend(block for block in content if isinstance(block, Unreadable))
                if any(isinstance(block, Grid) for block in content):
                    nested = True
                raw = self._cell_text(content)
                origin = merges.get(column)
                # A continuation extends the cell above only when it covers the same grid columns.
                if merge_value == "continue" and origin is not None and origin[2] == span:
                    builder.extend(origin[0], origin[1], 1, raw)
                    if raw.strip():
                        continuations.setdefault(origin[:2], []).append(cell_path)
                    next_merges[column] = origin
                else:
                    builder.add(RawCell(raw, 1, span, cell_path, col=column))
                    if merge_value is not None:  # only a merge start (or a lone continuation) can be continued
                        next_merges[column] = (r, column, span)
                column += span
            merges = next_merges
        if nested:
            self.counts.layout_tables += 1
            return layout
        if not builder.rows:
            return []
        self.built += 1
        builder.where = Where(path=path, table=self.built)
        grid = builder.build(self.notes)
        if continuations:
            grid = _with_parts(grid, continuations)
        caption = _attr(_child(element, "tblPr", "tblCaption"), "val") or ""
        if caption:
            grid = Grid(grid.rows, grid.width, grid.where, caption=caption)
        return [grid, *pictures]

    def summary(self) -> list[Problem]:
        counts = self.counts
        notes = list(self.notes)
        if counts.inserted or counts.deleted or counts.deleted_rows:
            rows = f"、删除表格行 {counts.deleted_rows} 处" if counts.deleted_rows else ""
            notes.append(
                Problem(
                    "word/document.xml",
                    f"文档含有未处理的修订（插入 {counts.inserted} 处、删除 {counts.deleted} 处{rows}），"
                    "已按“接受全部修订”读取；请确认发布的是定稿",
                )
            )
        if counts.layout_tables:
            notes.append(
                Problem(
                    "word/document.xml",
                    f"{counts.layout_tables} 个表格的单元格内含有表格，已按排版表格拆开，只保留其中的内容",
                )
            )
        if counts.pictures:
            notes.append(
                Problem("word/document.xml", f"文档含有 {counts.pictures} 张图片，图片中的文字无法读取（不做文字识别）")
            )
        if counts.alt_chunks:
            notes.append(
                Problem(
                    "word/document.xml",
                    f"文档嵌入了 {counts.alt_chunks} 段外部内容（altChunk），未读取；请用 Word 另存后重试",
                )
            )
        return notes


def _with_parts(grid: Grid, continuations: dict[tuple[int, int], list[str]]) -> Grid:
    import attrs

    rows = []
    for row in grid.rows:
        cells = []
        for cell in row:
            paths = continuations.get((cell.row, cell.col))
            if paths:
                cell = attrs.evolve(cell, where=attrs.evolve(cell.where, parts=tuple(Where(path=p) for p in paths)))
            cells.append(cell)
        rows.append(tuple(cells))
    return attrs.evolve(grid, rows=tuple(rows))


# ---------------------------------------------------------------------------------------------------
# The package
# ---------------------------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse(package: zipfile.ZipFile, name: str, source: str, *, required: bool) -> etree._Element | None:
    try:
        data = package.read(name)
    except KeyError:
        if required:
            raise PublishedDocumentError(
                f"不是 Word 文档：缺少 {name}；请用 Word/WPS 另存为 .docx 后重试", source=source
            ) from None
        return None
    try:
        return etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        if required:
            raise PublishedDocumentError(
                f"{name} 已损坏，无法解析（{exc}）；请用 Word/WPS 打开后另存为 .docx 再试", source=source
            ) from None
        return None


def _main_part(package: zipfile.ZipFile, source: str) -> str:
    rels = _parse(package, "_rels/.rels", source, required=False)
    if rels is not None:
        for relation in rels:
            if _REL_DOCUMENT.search(relation.get("Type") or "") and relation.get("Target"):
                target = posixpath.normpath((relation.get("Target") or "").lstrip("/"))
                if not target.startswith(".."):
                    return target
    return "word/document.xml"


def _part_near(main: str, wanted: str, package: zipfile.ZipFile) -> str | None:
    """The part a relationship of type ``wanted`` of the main part points to (numbering, styles)."""
    folder = posixpath.dirname(main)
    rels = f"{folder}/_rels/{posixpath.basename(main)}.rels"
    try:
        root = etree.fromstring(package.read(rels), parser=_parser())
    except (KeyError, etree.XMLSyntaxError):
        return None
    for relation in root:
        if (relation.get("Type") or "").endswith(f"/{wanted}") and relation.get("Target"):
            target = posixpath.normpath(posixpath.join(folder, relation.get("Target") or ""))
            return None if target.startswith("..") else target
    return None


def read(data: bytes, *, source: str, limits: ReadLimits = DEFAULT_LIMITS) -> Document:
    """Read a Word file (its bytes) into a :class:`Document`."""
    inspect_archive(
        data,
        error=PublishedDocumentError,
        name=source,
        what="Word 文档（.docx）",
        limits=ArchiveLimits(max_file_bytes=limits.max_docx_bytes),
    )
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise PublishedDocumentError("不是有效的 Word（.docx）文件；请用 Word/WPS 另存后重试", source=source) from None
    with package:
        main = _main_part(package, source)
        root = _parse(package, main, source, required=True)
        assert root is not None
        body = _child(root, "body")
        if body is None:
            raise PublishedDocumentError(f"{main} 没有正文（w:body）；请用 Word/WPS 另存为 .docx 后重试", source=source)
        numbering_part = _part_near(main, "numbering", package)
        styles_part = _part_near(main, "styles", package)
        numbering = _Numbering.load(
            _parse(package, numbering_part, source, required=False) if numbering_part else None,
            _parse(package, styles_part, source, required=False) if styles_part else None,
        )
        reader = _Body(source, limits, numbering)
        try:
            blocks = reader.blocks(body, "body", 0)
        except RecursionError:
            raise PublishedDocumentError("文档结构嵌套过深，疑似异常文件，已拒绝", source=source) from None
        core = _parse(package, "docProps/core.xml", source, required=False)
    numbered = mark_continuations(number_tables(blocks))
    return Document(Kind.DOCX, source, numbered, tuple(reader.summary()), _meta(core, numbered))


def _meta(core: etree._Element | None, blocks: tuple[Block, ...]) -> Meta:
    properties: list[tuple[str, str]] = []
    dates: list[DateClaim] = []
    if core is not None:
        for element in core:
            if not isinstance(element.tag, str):
                continue
            local = element.tag.rpartition("}")[2]
            value = (element.text or "").strip()
            if value:
                properties.append((local, value))
                if local in ("created", "modified"):
                    found = parse_date(value.replace("T", " "))
                    if found:
                        dates.append(
                            DateClaim(found[0], f"properties:{local}", value, "day", Where(path="docProps/core.xml"))
                        )
    title = next((value for key, value in properties if key == "title"), "")
    paragraphs = [block for block in blocks if isinstance(block, Paragraph)]
    if not title:
        title = next((p.text for p in paragraphs if p.text and len(p.text) <= 100), "")
    for paragraph in paragraphs:
        dates.extend(dates_in_line(paragraph.text, paragraph.where))
    return Meta(title, "", "", tuple(dates), tuple(properties))
