"""Placing what a reader saw on the official rows and columns: a :class:`Document` becomes an :class:`Extraction`.

The mapper is driven by the format data only (``layout.applications_table``, ``layout.proactive_blocks``,
``layout.review_litigation_table``, ``layout.label_aliases``): no official label is spelled here.

- **Observed rows.** Every grid row becomes its label parts (the distinct non-numeric cells before the
  first value, merged group cells included, so the group is part of the key) and its value cells; every
  text row its label and number tokens.
- **Rows by label, never by position.** For each table the observed rows are aligned to the format's row
  sequence with an order-constrained alignment (a row matches at most one official row, both orders are
  kept, an observed row that matches nothing is skipped at a cost): "3.其他" under （六） can only be the
  row after "2.申请人逾期未按收费…", never a column.
- **Columns by header** on grids (the header texts above the data, matched to the column labels); by
  order on text scrapes, where no header survives (and those are low confidence anyway).
- **Confidence** comes from the channel (HTML/DOCX grid high, a PDF cell stitched across a page break
  medium, a text scrape low), the row and column match (exact or alias keeps it, fuzzy lowers it) and the
  cell itself (several numbers in one cell: low). The rules never see it.
- **Values as printed**: a declared 总计 is kept as declared; blank, "/", "—", 无 and text are kept as
  such (their model value is 0 until the model holds blank cells, and :attr:`Cell.numeric` says so).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import itertools
import re
from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from difflib import SequenceMatcher
from typing import Any

import attrs
from attrs import frozen

from reportkit.cells import Value, from_cells, specs
from reportkit.errors import Problem
from reportkit.formats import all_formats, format_for_year
from reportkit.formats.layout import CellKind, Group, Leaf, Node, Table, ValueType, label_path, leaves
from reportkit.formats.spec import ReportFormat
from reportkit.model import (
    Agency,
    AgencyKind,
    AnnualReport,
    CaseOutcomes,
    OtherMatters,
    Overview,
    Problems,
    ReportInfo,
    outcome_row_keys,
)
from reportkit.published.model import Block, Document, Grid, GridCell, Paragraph, TextRow, Where
from reportkit.published.normalize import label_key, normalize_text
from reportkit.values import BLANK_LEFT_EMPTY, BLANK_NOT_APPLICABLE, BLANK_SLASH, Blank

__all__ = ["Cell", "Confidence", "Extraction", "Semantics", "Unmapped", "extract", "official_values"]


class Confidence(enum.IntEnum):
    """How sure the reading is of one cell; ordered so that ``min`` combines evidence."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return {Confidence.LOW: "低", Confidence.MEDIUM: "中", Confidence.HIGH: "高"}[self]

    @property
    def text(self) -> str:
        return self.name.lower()


class Semantics(enum.Enum):
    """What a printed cell says."""

    ZERO = "zero"
    NUMBER = "number"
    EMPTY = "empty"
    NOT_APPLICABLE = "not_applicable"  #: "/", "—", "-", 无
    TEXT = "text"
    SEVERAL = "several"  #: several numbers in one cell ("3 5", or digits glued together in a scrape)

    @property
    def label(self) -> str:
        return {
            Semantics.ZERO: "零",
            Semantics.NUMBER: "数字",
            Semantics.EMPTY: "空白",
            Semantics.NOT_APPLICABLE: "不适用（/、—、无）",
            Semantics.TEXT: "文字",
            Semantics.SEVERAL: "多个数字",
        }[self]


@frozen
class Cell:
    """One official cell as read: ``key`` is its figures-file path (``applications.new.natural_person``)."""

    key: str
    value: int | Decimal | None
    raw: str
    semantics: Semantics
    confidence: Confidence
    where: Where
    label: str = ""  #: the official row / column labels, for messages
    candidates: tuple[str, ...] = ()  #: for several numbers: the readings that fit (never chosen)
    matched: str = ""  #: how the row was matched: exact, alias, fuzzy, order

    @property
    def numeric(self) -> bool:
        return self.semantics in (Semantics.ZERO, Semantics.NUMBER)

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": None
            if self.value is None
            else (str(self.value) if isinstance(self.value, Decimal) else self.value),
            "raw": self.raw,
            "semantics": self.semantics.value,
            "confidence": self.confidence.text,
            "where": self.where.describe(),
            "path": self.where.path,
            "candidates": list(self.candidates),
        }


@frozen
class Unmapped:
    """Numbers found in a table's region that no official cell took."""

    label: str
    numbers: tuple[str, ...]
    where: Where

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "numbers": list(self.numbers), "where": self.where.describe()}


@frozen
class Extraction:
    """A published report read back: the model, and the evidence for every official cell."""

    report: AnnualReport
    cells: dict[str, Cell]
    missing: tuple[str, ...]
    unmapped: tuple[Unmapped, ...]
    variants: dict[str, str]
    notes: tuple[Problem, ...]
    document: Document
    layout: ReportFormat

    def review_cells(self) -> list[Cell]:
        """The cells a person should compare with the original (not high confidence, or not a number)."""
        return [c for c in self.cells.values() if c.confidence is not Confidence.HIGH]


# ---------------------------------------------------------------------------------------------------
# Observed rows
# ---------------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_PLACEHOLDERS = {"/", "／", "-", "－", "—", "——", "–", "无", "\\", "_", "—-", "--"}
_SPACES = re.compile(r"[\s\u00a0\u3000]+")


def _value_like(text: str) -> bool:
    folded = _fold_digits(text.strip())
    return not folded or folded in _PLACEHOLDERS or bool(_NUMBER.fullmatch(folded)) or _several(folded)


def _several(text: str) -> bool:
    parts = _SPACES.split(text.strip())
    return len(parts) > 1 and all(_NUMBER.fullmatch(p) for p in parts)


def _fold_digits(text: str) -> str:
    return text.translate(str.maketrans("０１２３４５６７８９，．－＋", "0123456789,.-+"))


@frozen
class _Value:
    raw: str
    where: Where
    glued: bool = False  #: a scrape token that may be several numbers glued together


@frozen
class _Row:
    labels: tuple[str, ...]
    values: tuple[_Value, ...]
    where: Where
    channel: Confidence
    grid: int | None = None  #: index of the grid in the document, for grid rows
    index: int = 0  #: logical row in that grid
    order: int = 0  #: position among all observed rows

    @property
    def label(self) -> str:
        return "".join(self.labels)


def _grid_rows(grid: Grid, number: int, channel: Confidence) -> list[_Row]:
    rows: list[_Row] = []
    for r, line in enumerate(grid.logical()):
        labels: list[str] = []
        values: list[_Value] = []
        seen: set[int] = set()
        in_values = False
        for slot in line:
            if slot is None:
                continue
            cell = slot.cell
            if id(cell) in seen:
                continue
            seen.add(id(cell))
            if not in_values and not _value_like(cell.text):
                if not labels or labels[-1] != cell.text:
                    labels.append(cell.text)
                continue
            if not in_values and not labels and not cell.text and _label_follows(line, cell):
                continue  # a blank label column before the label, not a value
            in_values = True
            if cell.row != r:
                continue  # a value merged down belongs to its first row
            values.append(_Value(cell.raw, _where_of(cell)))
        rows.append(_Row(tuple(labels), tuple(values), _where_row(grid, r), channel, number, r))
    return rows


def _label_follows(line: Sequence[Any], cell: GridCell) -> bool:
    """Whether a cell that reads as a label stands right of ``cell`` in this logical row."""
    return any(slot is not None and slot.cell.col > cell.col and not _value_like(slot.cell.text) for slot in line)


def _where_of(cell: GridCell) -> Where:
    return cell.where


def _where_row(grid: Grid, r: int) -> Where:
    first = grid.rows[r][0].where if grid.rows[r] else grid.where
    return attrs.evolve(first, column=None)


def _observed(document: Document) -> list[_Row]:
    rows: list[_Row] = []
    grid_channel = Confidence.HIGH
    grids = 0
    for block in document.blocks:
        if isinstance(block, Grid):
            channel = grid_channel
            rows.extend(_grid_rows(block, grids, channel))
            grids += 1
        elif isinstance(block, TextRow):
            numbers = tuple(_Value(t.raw, t.where, glued=t.text.isdigit() and len(t.text) > 1) for t in block.numbers)
            rows.append(_Row((block.text,) if block.text else (), numbers, block.where, Confidence.LOW))
    return [attrs.evolve(row, order=i) for i, row in enumerate(rows)]


# ---------------------------------------------------------------------------------------------------
# Matching labels
# ---------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16384)
def _norm(text: str) -> str:
    return label_key(text).full


@functools.lru_cache(maxsize=16384)
def _bare(text: str) -> str:
    return label_key(text).key


@frozen
class _Observed:
    """The comparable forms of an observed row's label, computed once per row."""

    forms: frozenset[str]
    bare: frozenset[str]
    joined: str


def _observed_forms(row: _Row) -> _Observed:
    parts = [row.label, row.labels[-1]] if row.labels else []
    if len(row.labels) >= 2:
        parts.append("".join(row.labels[-2:]))
    return _Observed(frozenset(_norm(p) for p in parts), frozenset(_bare(p) for p in parts), _norm(row.label))


@frozen
class _Target:
    key: str  #: the row key in its table
    forms: tuple[str, ...]  #: normalised forms that match it exactly (with and without numbering, groups)
    aliases: tuple[str, ...]
    bare: tuple[str, ...]
    leaf: Leaf | None = None
    group: Group | None = None  #: a group whose row printed values itself (2019 （六）)
    label: str = ""


def _aliases(layout: ReportFormat, label: str) -> tuple[str, ...]:
    return tuple(_norm(a) for a in layout.label_aliases.get(label, ()))


def _row_targets(layout: ReportFormat) -> list[_Target]:
    """The rows of table 三 in order, and each group that may carry values itself (the 2019 （六） row)."""
    table = layout.applications_table
    targets: list[_Target] = []

    def walk(nodes: tuple[Node, ...], trail: tuple[str, ...]) -> None:
        for node in nodes:
            if isinstance(node, Leaf):
                path = (*trail, node.label)
                forms = {_norm("".join(path[i:])) for i in range(len(path))}
                bare = {_bare(node.label), _bare("".join(path[-2:]))}
                targets.append(
                    _Target(
                        node.key,
                        tuple(sorted(forms)),
                        _aliases(layout, node.label),
                        tuple(sorted(bare)),
                        node,
                        label="".join(path),
                    )
                )
            else:
                if trail and node.key:
                    # a group of leaves may be printed as one row (the 2019 layout of （六）)
                    path = (*trail, node.label)
                    forms = {_norm("".join(path[i:])) for i in range(len(path))}
                    targets.append(
                        _Target(
                            f"{node.key}",
                            tuple(sorted(forms)),
                            _aliases(layout, node.label),
                            (_bare(node.label),),
                            None,
                            node,
                            label="".join(path),
                        )
                    )
                walk(node.children, (*trail, node.label))

    walk(table.rows, ())
    return targets


def _score(row: _Row, target: _Target, seen: _Observed | None = None) -> tuple[float, str]:
    """How well an observed row's label matches a target row: 1.0 exact, aliases 1.0, else fuzzy."""
    if not row.labels:
        return 0.0, ""
    seen = seen or _observed_forms(row)
    if not seen.forms.isdisjoint(target.forms):
        return 1.0, "exact"
    if not seen.forms.isdisjoint(target.aliases):
        return 1.0, "alias"
    if not seen.bare.isdisjoint(target.bare):
        return 0.97, "exact"
    # characters lost at the start or the end ("处罚" for "行政处罚")
    for left in seen.bare:
        for right in target.bare:
            if len(left) >= 2 and left in right and len(left) / len(right) >= 0.4:
                return 0.8, "fuzzy"
    # a scrape that glued a header (or the previous table) in front of the row's label
    for form in target.forms:
        if len(form) >= 4 and seen.joined.endswith(form):
            return 0.9, "suffix"
    best = 0.0
    matcher = SequenceMatcher(None, autojunk=False)
    for left in seen.forms:
        if len(left) > 120:
            continue
        matcher.set_seq2(left)
        for right in (*target.forms, *target.aliases):
            if abs(len(left) - len(right)) > max(len(left), len(right)) * 0.6:
                continue
            matcher.set_seq1(right)
            # the quick upper bounds first: most pairs cannot reach the threshold or the best so far
            if matcher.real_quick_ratio() <= max(best, _THRESHOLD) or matcher.quick_ratio() <= max(best, _THRESHOLD):
                continue
            best = max(best, matcher.ratio())
    return best, "fuzzy"


_THRESHOLD = 0.72


def _align(rows: Sequence[_Row], targets: Sequence[_Target], expect: int | None) -> dict[int, tuple[int, float, str]]:
    """Order-constrained alignment: target index -> (row position in ``rows``, score, how)."""
    n, m = len(rows), len(targets)
    scores: list[list[tuple[float, str]]] = []
    for row in rows:
        line: list[tuple[float, str]] = []
        seen = _observed_forms(row) if row.labels else None
        for target in targets:
            score, how = _score(row, target, seen)
            if expect is not None and target.group is None and len(row.values) not in (expect, 1):
                score *= 0.92  # a lost or glued number: the label still decides, a little less surely
            if target.group is not None and (len(row.values) not in (expect, 1) if expect else False):
                score = 0.0
            line.append((score if score >= _THRESHOLD else 0.0, how))
        scores.append(line)
    # best[i][j]: best total using rows[:i] and targets[:j]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = [(best[i - 1][j], 1), (best[i][j - 1], 2)]
            s = scores[i - 1][j - 1][0]
            if s > 0 and rows[i - 1].values:
                options.append((best[i - 1][j - 1] + s, 3))
            total, step = max(options, key=lambda o: (o[0], o[1]))
            best[i][j] = total
            move[i][j] = step
    result: dict[int, tuple[int, float, str]] = {}
    i, j = n, m
    while i > 0 and j > 0:
        step = move[i][j]
        if step == 3:
            result[j - 1] = (i - 1, scores[i - 1][j - 1][0], scores[i - 1][j - 1][1])
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    return result


def _match_confidence(score: float, how: str) -> Confidence:
    if how in ("exact", "alias") and score >= 0.97:
        return Confidence.HIGH
    return Confidence.MEDIUM if score >= 0.85 else Confidence.LOW


# ---------------------------------------------------------------------------------------------------
# Cell values
# ---------------------------------------------------------------------------------------------------


def _parse(raw: str, value_type: ValueType) -> tuple[int | Decimal | None, Semantics]:
    text = _fold_digits(_SPACES.sub(" ", raw).strip())
    if not text:
        return None, Semantics.EMPTY
    if text in _PLACEHOLDERS:
        return None, Semantics.NOT_APPLICABLE
    if _several(text):
        return None, Semantics.SEVERAL
    if _NUMBER.fullmatch(text):
        plain = text.replace(",", "")
        if value_type in (ValueType.WAN_YUAN, ValueType.AMOUNT):
            try:
                amount = Decimal(plain)
            except InvalidOperation:
                return None, Semantics.TEXT
            return amount, Semantics.ZERO if amount == 0 else Semantics.NUMBER
        if "." in plain:
            return None, Semantics.TEXT
        number = int(plain)
        return number, Semantics.ZERO if number == 0 else Semantics.NUMBER
    return None, Semantics.TEXT


def _splits(digits: str, parts: int, total_last: bool, limit: int = 12) -> tuple[str, ...]:
    """The ways ``digits`` can be cut into ``parts`` numbers (no leading zeros) that fit the row's own
    总计 when it has one; listed for a person, never chosen."""
    if not digits.isdigit() or len(digits) > 24 or len(digits) < parts:
        return ()
    found: list[str] = []
    for cuts in itertools.combinations(range(1, len(digits)), parts - 1):
        pieces = [digits[a:b] for a, b in zip((0, *cuts), (*cuts, len(digits)), strict=True)]
        if any(len(p) > 1 and p[0] == "0" for p in pieces):
            continue
        numbers = [int(p) for p in pieces]
        if total_last and sum(numbers[:-1]) != numbers[-1]:
            continue
        found.append(" ".join(pieces))
        if len(found) >= limit:
            break
    return tuple(found)


def _token_splits(tokens: Sequence[str], parts: int, total_last: bool, limit: int = 12) -> tuple[str, ...]:
    """Readings of a row's number tokens as ``parts`` numbers, splitting only inside tokens (a gap the
    scrape kept is a real boundary) and, with ``total_last``, only those that fit the row's 总计."""
    if len(tokens) >= parts or not all(t.isdigit() for t in tokens) or sum(map(len, tokens)) > 24:
        return ()
    found: list[str] = []

    def ways(token: str, count: int) -> Iterator[list[str]]:
        for cuts in itertools.combinations(range(1, len(token)), count - 1):
            pieces = [token[a:b] for a, b in zip((0, *cuts), (*cuts, len(token)), strict=True)]
            if not any(len(p) > 1 and p[0] == "0" for p in pieces):
                yield pieces

    def walk(index: int, left: int, sofar: list[str]) -> None:
        if len(found) >= limit:
            return
        if index == len(tokens):
            if left == 0:
                numbers = [int(p) for p in sofar]
                if not total_last or sum(numbers[:-1]) == numbers[-1]:
                    found.append(" ".join(sofar))
            return
        remaining = len(tokens) - index - 1
        for count in range(1, min(len(tokens[index]), left - remaining) + 1):
            for pieces in ways(tokens[index], count):
                walk(index + 1, left - count, sofar + pieces)

    walk(0, parts, [])
    return tuple(found)


def _cells_of_row(
    row: _Row,
    keys: Sequence[tuple[str, str, ValueType]],
    confidence: Confidence,
    how: str,
    total_last: bool,
    columns: Sequence[int] | None = None,
) -> Iterator[Cell]:
    """The cells of one matched row: ``keys`` (key, label, type) in column order; ``columns`` the value
    index of each key when the header placed them, else the order of the values."""
    values = row.values
    if len(keys) > 1 and len(values) == 1 and values[0].glued and columns is None:
        token = values[0]
        candidates = _splits(_fold_digits(token.raw.strip()), len(keys), total_last)
        for key, label, _ in keys:
            yield Cell(key, None, token.raw, Semantics.SEVERAL, Confidence.LOW, token.where, label, candidates, how)
        return
    if columns is None and len(values) != len(keys) and len(keys) > 1:
        # the numbers do not line up with the columns (one lost, or two glued): never placed by guess
        raw = " ".join(v.raw for v in values)
        candidates = _token_splits([_fold_digits(v.raw.strip()) for v in values], len(keys), total_last)
        where = attrs.evolve(values[0].where, parts=tuple(v.where for v in values[1:])) if values else row.where
        for key, label, _ in keys:
            yield Cell(key, None, raw, Semantics.SEVERAL, Confidence.LOW, where, label, candidates, how)
        return
    for index, (key, label, value_type) in enumerate(keys):
        position = columns[index] if columns is not None else index
        if position is None or position >= len(values):
            continue
        value = values[position]
        number, semantics = _parse(value.raw, value_type)
        level = min(confidence, row.channel)
        if value.where.parts:
            level = min(level, Confidence.MEDIUM)  # stitched across a page break
        if semantics is Semantics.SEVERAL:
            level = Confidence.LOW
        if len(values) != len(keys) and columns is None:
            level = min(level, Confidence.LOW)
        yield Cell(key, number, value.raw, semantics, level, value.where, label, (), how)


# ---------------------------------------------------------------------------------------------------
# Column headers (grids)
# ---------------------------------------------------------------------------------------------------


def _header_columns(document_grids: Sequence[Grid], row: _Row, leaves: Sequence[Sequence[str]]) -> list[int] | None:
    """For a grid row, the value index of each column (given as label paths), from the header cells
    above it in the same grid; None when the headers do not name every column exactly."""
    if row.grid is None:
        return None
    grid = document_grids[row.grid]
    logical = grid.logical()
    data = logical[row.index]
    # the value cells of this row and the logical columns they cover
    spans: list[tuple[int, int]] = []
    seen: set[int] = set()
    label_count = 0
    for slot in data:
        if slot is None or id(slot.cell) in seen:
            continue
        seen.add(id(slot.cell))
        if slot.cell.row == row.index and (spans or _value_like(slot.cell.text)) and label_count >= len(row.labels):
            spans.append((slot.cell.col, slot.cell.right))
        else:
            label_count += 1
    if len(spans) != len(row.values):
        return None
    headers: list[str] = []
    for start, _ in spans:
        texts: list[str] = []
        for r in range(row.index - 1, -1, -1):
            slot = logical[r][start]
            if slot is None:
                continue
            text = slot.cell.text
            if _value_like(text):
                if texts:
                    break  # the data of a table above
                continue  # the rows of this table above this row
            if not texts or texts[0] != text:
                texts.insert(0, text)
        headers.append("".join(_bare(t) for t in texts))
    result: list[int] = []
    for path in leaves:
        leaf_bare = _bare(path[-1])
        full = "".join(_bare(p) for p in path)
        found = [
            i
            for i, header in enumerate(headers)
            if header.endswith(leaf_bare) and (header in full or full.endswith(header) or header.endswith(full))
        ]
        if len(found) != 1:
            found = [i for i, header in enumerate(headers) if header == full or header.endswith(full)]
        if len(found) != 1:
            return None
        result.append(found[0])
    return result if len(set(result)) == len(result) else None


# ---------------------------------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------------------------------


def _format_with_one_row(key: str) -> ReportFormat | None:
    """The official format whose table 三 has ``key`` as one row where another format divides it (in the
    2019 format 五、其他处理 is one row; the 2021 format has three items)."""
    return next((f for f in all_formats() if key in outcome_row_keys(f)), None)


def _applications(
    layout: ReportFormat, rows: Sequence[_Row], grids: Sequence[Grid], variants: dict[str, str], notes: list[Problem]
) -> tuple[dict[str, Cell], set[int]]:
    table = layout.applications_table
    columns = table.column_leaves
    column_paths = [label_path(table.columns, leaf.key) for leaf in columns]
    targets = _row_targets(layout)
    candidates = [row for row in rows if row.values and row.labels]
    matched = _align(candidates, targets, len(columns))
    cells: dict[str, Cell] = {}
    used: set[int] = set()
    group_rows: list[str] = []
    for t_index, (r_index, score, how) in sorted(matched.items()):
        target, row = targets[t_index], candidates[r_index]
        if target.group is not None:
            # values on a group row: the 2019 layout of that group, one row instead of its items
            if any(k.startswith(f"{target.key}.") for k in cells):
                continue
            group_rows.append(target.key)
        used.add(row.order)
        confidence = _match_confidence(score, how)
        header = _header_columns(grids, row, column_paths)
        if row.grid is not None and header is None:
            confidence = min(confidence, Confidence.MEDIUM)
        prefix = "applications.total" if target.key == "total" else f"applications.{target.key}"
        keys = [(f"{prefix}.{leaf.key}", f"{target.label} / {leaf.label}", leaf.value_type) for leaf in columns]
        for cell in _cells_of_row(row, keys, confidence, how, True, header):
            cells[cell.key] = cell
    for key in group_rows:
        variants["applications"] = "2019-row"
        one_row = _format_with_one_row(key)
        how = f"按{one_row.notice}的格式只列一行" if one_row is not None else "只列一行"
        notes.append(Problem(layout.applications.heading, f"{key}：{how}（未分项），其合计记在第一项，请核对原文"))
    variants.setdefault("applications", layout.id.rpartition("/")[2] if cells else "")
    return cells, used


def _proactive(layout: ReportFormat, rows: Sequence[_Row], grids: Sequence[Grid]) -> tuple[dict[str, Cell], set[int]]:
    targets: list[_Target] = []
    specs: list[tuple[Any, Leaf]] = []
    for block in layout.proactive_blocks:
        for leaf in block.rows:
            forms = (_norm(leaf.label), _norm(block.title + leaf.label))
            targets.append(
                _Target(
                    leaf.key,
                    forms,
                    _aliases(layout, leaf.label),
                    (_bare(leaf.label),),
                    leaf,
                    label=f"{block.title} {leaf.label}",
                )
            )
            specs.append((block, leaf))
    candidates = [row for row in rows if row.values and row.labels]
    matched = _align(candidates, targets, None)
    cells: dict[str, Cell] = {}
    used: set[int] = set()
    for t_index, (r_index, score, how) in sorted(matched.items()):
        block, leaf = specs[t_index]
        row = candidates[r_index]
        used.add(row.order)
        confidence = _match_confidence(score, how)
        keys = [
            (
                f"proactive.{block.cell_key(leaf, column)}",
                f"{block.title} {leaf.label} / {column.label}",
                column.value_type or leaf.value_type,
            )
            for column in block.columns
        ]
        header: list[int] | None = None
        if len(block.columns) > 1 and row.grid is not None:
            header = _header_columns(grids, row, [(block.title, c.label) for c in block.columns])
            if header is None:
                confidence = min(confidence, Confidence.MEDIUM)
        for cell in _cells_of_row(row, keys, confidence, how, False, header):
            cells[cell.key] = cell
    return cells, used


def _review(
    layout: ReportFormat, rows: Sequence[_Row], grids: Sequence[Grid], after: int
) -> tuple[dict[str, Cell], set[int]]:
    table = layout.review_litigation_table
    columns = table.column_leaves
    paths = [label_path(table.columns, leaf.key) for leaf in columns]
    keys = [
        (f"review_litigation.{leaf.key}", "".join(path), leaf.value_type)
        for leaf, path in zip(columns, paths, strict=True)
    ]
    for row in rows:
        if row.order <= after or not row.values:
            continue
        header = _header_columns(grids, row, paths) if row.grid is not None else None
        if header is not None:
            return {c.key: c for c in _cells_of_row(row, keys, Confidence.HIGH, "exact", False, header)}, {row.order}
        if row.grid is None and len(row.values) >= len(columns) // 3:
            # a scrape: the first row after table 三 with about the right count of numbers
            return {c.key: c for c in _cells_of_row(row, keys, Confidence.LOW, "order", False)}, {row.order}
        if row.grid is None and len(row.values) == 1 and row.values[0].glued and len(row.values[0].raw) >= len(columns):
            return {c.key: c for c in _cells_of_row(row, keys, Confidence.LOW, "order", False)}, {row.order}
    return {}, set()


# ---------------------------------------------------------------------------------------------------
# Texts, agency, year
# ---------------------------------------------------------------------------------------------------

_WAN_YUAN_PLACES = Decimal("0.0001")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


def _paragraph_texts(document: Document) -> list[tuple[str, Where]]:
    texts: list[tuple[str, Where]] = []
    for block in document.blocks:
        if isinstance(block, Paragraph):
            texts.append((block.text, block.where))
        elif isinstance(block, TextRow):
            texts.append((block.text + "".join(t.raw for t in block.numbers), block.where))
    return texts


def _sections(layout: ReportFormat, texts: Sequence[tuple[str, Where]]) -> dict[str, str]:
    """Section text between the section headings (matched without spaces and numbering style)."""
    headings = {normalize_text(section.heading): section.key for section in layout.sections}
    bare = {_bare(section.heading): section.key for section in layout.sections}
    out: dict[str, list[str]] = {}
    current = ""
    for text, _ in texts:
        norm = normalize_text(text)
        key = headings.get(norm) or bare.get(_bare(text))
        if key is None:
            for heading, candidate in headings.items():
                if norm.startswith(heading):
                    key = candidate
                    text = text[len(text) - len(text.lstrip()) :]
                    break
        if key is not None:
            current = key
            continue
        if current:
            out.setdefault(current, []).append(text)
    return {key: "\n".join(lines) for key, lines in out.items()}


def _overview(layout: ReportFormat, text: str) -> Overview:
    """The overview split at its sub-headings （一）…（五） as published (their wording varies)."""
    lines = text.splitlines()
    parts: dict[str, list[str]] = {}
    intro: list[str] = []
    order = [sub.key for sub in layout.overview_subsections]
    current = ""
    for line in lines:
        numbering = label_key(line).numbering
        if numbering and numbering[0].style == "paren-cjk" and 1 <= numbering[0].value <= len(order):
            current = order[numbering[0].value - 1]
        if current:
            parts.setdefault(current, []).append(line)
        else:
            intro.append(line)
    return Overview(intro="\n".join(intro), **{key: "\n".join(value) for key, value in parts.items()})


def _joined_lines(blocks: Sequence[Block], limit: int | None = None) -> list[str]:
    """The blocks' text by line: a scrape's rows and paragraphs on one source line joined back into one
    (stopping once ``limit`` lines are made)."""
    lines: list[str] = []
    last_line: int | None = None
    for block in blocks:
        if isinstance(block, TextRow):
            text = block.text + "".join(t.raw for t in block.numbers)
        elif isinstance(block, Paragraph):
            text = block.text
        else:
            continue
        line = block.where.line
        if line is not None and line == last_line and lines:
            lines[-1] += text
        else:
            lines.append(text)
        last_line = line
        if limit is not None and len(lines) >= limit:
            break
    return lines


def _lines(document: Document, limit: int = 60) -> list[str]:
    """The first lines of the document as text."""
    return _joined_lines(document.blocks[: limit * 4], limit)


def _title(document: Document, layout: ReportFormat) -> str:
    """The report's title: the page title, else the first line naming the document (年度报告) with a year."""
    if document.meta.title and layout.document_name in normalize_text(document.meta.title):
        return document.meta.title
    lines = _lines(document)
    for index, line in enumerate(lines):
        if layout.document_name in normalize_text(line):
            year = _YEAR.search(line)
            if year and not line[: year.start()].strip() and index:
                return lines[index - 1].strip() + line.strip()  # the agency on the line above
            return line
    tail = layout.document_name[-4:]
    for line in lines:
        if tail in line and _YEAR.search(line) and len(line) < 80:
            return line
    return document.meta.title


def _agency_and_year(title: str, layout: ReportFormat, notes: list[Problem], source: str) -> tuple[str, int | None]:
    cleaned = re.sub(r"^\s*(?:标题|题目)\s*[:：]\s*", "", title)
    cleaned = cleaned.split("_")[0].strip()
    year_match = _YEAR.search(cleaned)
    year = int(year_match[1]) if year_match else None
    name = cleaned[: year_match.start()].strip() if year_match else cleaned.replace(layout.document_name, "").strip()
    if not name:
        notes.append(Problem(source, "标题中未找到机关名称，请在数据文件中填写 agency.name"))
    return name, year


def _kind_of(name: str) -> AgencyKind:
    if name.endswith(("街道", "街道办事处")):
        return AgencyKind.SUBDISTRICT
    if name.endswith(("镇", "乡", "镇人民政府", "乡人民政府")):
        return AgencyKind.TOWNSHIP
    if name.endswith(("人民政府", "管委会", "管理委员会", "政府")) or re.search(r"(?:综合实验区|新区|开发区)$", name):
        return AgencyKind.GOVERNMENT
    return AgencyKind.DEPARTMENT


_SIGNED = re.compile(r"^\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")


def _signed_on(document: Document) -> dt.date | None:
    """The signing date: a line that is only a date among the last lines (落款日期)."""
    for text in reversed(_tail_lines(document)):
        match = _SIGNED.match(text)
        if match:
            try:
                return dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def _tail_lines(document: Document, count: int = 8) -> list[str]:
    """The last lines of the document as text."""
    return _joined_lines(document.blocks[-count * 4 :])[-count:]


def _guess_year(document: Document) -> int | None:
    for text, _ in _paragraph_texts(document)[:60]:
        match = _YEAR.search(text)
        if match:
            return int(match[1])
    return None


# ---------------------------------------------------------------------------------------------------
# Building the report
# ---------------------------------------------------------------------------------------------------


def _model_value(cells: dict[str, Cell], key: str) -> Any:
    cell = cells.get(key)
    if cell is None or cell.value is None:
        return 0
    return cell.value


def _build(
    layout: ReportFormat,
    cells: dict[str, Cell],
    name: str,
    kind: AgencyKind,
    year: int,
    published: dt.date | None,
    sections: dict[str, str],
    notes: list[Problem],
    signed: dt.date | None = None,
) -> AnnualReport:
    values: dict[str, Any] = {}
    for spec in specs(layout):
        cell = cells.get(spec.path)
        if spec.kind is CellKind.TOTAL:  # a printed total is kept as stated, never recomputed
            if cell is not None and isinstance(cell.value, int):
                values[spec.path] = cell.value
            continue
        blank = _blank(cell)
        if blank is not None:  # printed blank or "/": the model holds no number either
            values[spec.path] = blank
            continue
        value = _model_value(cells, spec.path)
        if spec.value_type is ValueType.WAN_YUAN:
            amount = Decimal(value)
            held = amount.quantize(_WAN_YUAN_PLACES, rounding=ROUND_HALF_UP)
            if held != amount:
                notes.append(
                    Problem(
                        spec.path,
                        f"印出的金额 {amount} 万元超过 4 位小数（1 元），模型中按 {held} 万元计；原值保留在单元格中",
                    )
                )
            values[spec.path] = held
        elif spec.value_type is ValueType.AMOUNT:
            values[spec.path] = Decimal(value) if isinstance(value, int | Decimal) else Decimal(0)
        else:
            values[spec.path] = _int(value)
    # a 2019-style group row inside a 2021 table: its figures are the group's, placed on its first item
    table = layout.applications_table
    for group in _row_groups(table):
        for column in table.input_columns:
            cell = cells.get(f"applications.{group.key}.{column.key}")
            if cell is not None:
                first = next(leaf for leaf in leaves(group.children))
                values[f"applications.{first.key}.{column.key}"] = _int(cell.value if cell.value is not None else 0)
    tables = from_cells(layout, values)
    return AnnualReport(
        agency=Agency(name or "（机关名称未识别）", kind),
        report=ReportInfo(year, signed_on=signed, published_on=published),
        overview=_overview(layout, sections.get("overview", "")),
        proactive=tables.proactive,
        applications=tables.applications,
        review_litigation=tables.review_litigation,
        problems=Problems(sections.get("problems", "")),
        other=OtherMatters(sections.get("other", "")),
        format=layout.id,
    )


def _blank(cell: Cell | None) -> Blank | None:
    """The model's blank for a cell printed blank or "/" (不适用 for —, 无 and the like)."""
    if cell is None:
        return None
    if cell.semantics is Semantics.EMPTY:
        return Blank(BLANK_LEFT_EMPTY)
    if cell.semantics is Semantics.NOT_APPLICABLE:
        return Blank(BLANK_SLASH if _fold_digits(cell.raw.strip()) in ("/", "／") else BLANK_NOT_APPLICABLE)
    return None


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, Decimal) and value == value.to_integral_value() else 0


def _row_groups(table: Table) -> Iterator[Group]:
    """The keyed groups of table 三's rows (（三）不予公开 …), outermost first."""

    def walk(nodes: tuple[Node, ...]) -> Iterator[Group]:
        for node in nodes:
            if isinstance(node, Group):
                if node.key:
                    yield node
                yield from walk(node.children)

    return walk(table.rows)


def _official_keys(layout: ReportFormat) -> list[tuple[str, str]]:
    """Every official cell key, with its labels."""
    keys: list[tuple[str, str]] = []
    for block in layout.proactive_blocks:
        for leaf in block.rows:
            for column in block.columns:
                keys.append(
                    (f"proactive.{block.cell_key(leaf, column)}", f"{block.title} {leaf.label} / {column.label}")
                )
    table = layout.applications_table
    for leaf in table.row_leaves:
        for applicant in table.column_leaves:
            keys.append((f"applications.{leaf.key}.{applicant.key}", f"{leaf.label} / {applicant.label}"))
    for leaf in layout.review_litigation_table.column_leaves:
        keys.append(
            (f"review_litigation.{leaf.key}", "".join(label_path(layout.review_litigation_table.columns, leaf.key)))
        )
    return keys


def extract(document: Document, *, layout: ReportFormat | None = None) -> Extraction:
    """Map a read :class:`Document` onto the official cells of its format (detected when not given)."""
    notes: list[Problem] = list(document.notes)
    for part in document.unreadable():
        notes.append(Problem(part.where.describe() or document.source, part.reason))
    first_format = layout or all_formats()[-1]
    title = _title(document, first_format)
    name, year = _agency_and_year(title, first_format, notes, document.source)
    if year is None:
        year = _guess_year(document)
    if year is None:
        notes.append(Problem(document.source, "未找到报告年度（标题中的“XXXX年”），暂按上一年处理"))
        year = dt.date.today().year - 1
    # The format in force for the report's year maps it; table 二 is also tried in every other format, and
    # the layout that places more of its cells surely wins (a 2019 table 二 kept after 2021 is a finding,
    # not a misreading; its cells are listed, the model holds the format in force).
    chosen = layout or format_for_year(year)
    in_force = chosen
    rows = _observed(document)
    grids = document.grids()
    variants: dict[str, str] = {}
    cells: dict[str, Cell] = {}
    proactive, used_p = _proactive(chosen, rows, grids)
    for other in all_formats():
        if other.id == chosen.id:
            continue
        candidate, used_c = _proactive(other, rows, grids)
        if _sure(candidate) > _sure(proactive) or (_sure(candidate) == _sure(proactive) > 0 and other is in_force):
            proactive, used_p = candidate, used_c
            variants["proactive"] = other.id.rpartition("/")[2]
            notes.append(
                Problem(
                    chosen.proactive.heading,
                    f"表格按{other.notice}的格式读取（{other.id}）；数据文件只能容纳{chosen.notice}格式的表格二，"
                    "这些单元格只在核查结果中列出，请手工核对",
                )
            )
    applications, used_a = _applications(chosen, rows, grids, variants, notes)
    last = max(used_a | used_p, default=-1)
    review, used_r = _review(chosen, rows, grids, last)
    for found in (proactive, applications, review):
        cells.update(found)
    used = used_p | used_a | used_r
    if proactive:
        variants.setdefault("proactive", chosen.id.rpartition("/")[2])
    if review:
        variants["review_litigation"] = chosen.id.rpartition("/")[2]
    unmapped = _unmapped(rows, used)
    official = _official_keys(chosen)
    # the items of a group printed as one row (2019 layout) are not missing: the group row holds them
    grouped = {key.rsplit(".", 1)[0] for key in cells if key.count(".") == 2 and key.startswith("applications.")}
    missing = tuple(key for key, _ in official if key not in cells and key.rsplit(".", 2)[0] not in grouped)
    if not cells:
        notes.append(
            Problem(document.source, "未找到官方格式（2021 年格式）的统计表，可能是旧版自由格式报告；无法核对数据")
        )
    sections = _sections(chosen, _paragraph_texts(document))
    published = document.meta.published
    signed = _signed_on(document)
    report = _build(chosen, cells, name, _kind_of(name), year, published, sections, notes, signed)
    order = {key: index for index, (key, _) in enumerate(official)}
    ordered = dict(sorted(cells.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))
    return Extraction(report, ordered, missing, unmapped, variants, tuple(notes), document, chosen)


def _sure(cells: dict[str, Cell]) -> int:
    return sum(1 for cell in cells.values() if cell.confidence is Confidence.HIGH)


def _unmapped(rows: Sequence[_Row], used: set[int]) -> tuple[Unmapped, ...]:
    """Rows with numbers inside the tables' span that no official cell took; for scrapes only those
    between the first and the last placed row (narrative lines hold numbers too)."""
    if not used:
        return ()
    first, last = min(used), max(used)
    found: list[Unmapped] = []
    for row in rows:
        if row.order in used or not row.values:
            continue
        if row.grid is None and not first < row.order < last:
            continue
        if row.grid is not None and all(not v.raw.strip() for v in row.values):
            continue
        found.append(Unmapped(row.label, tuple(v.raw for v in row.values), row.where))
    return tuple(found)


def official_values(report: AnnualReport, layout: ReportFormat) -> dict[str, Value]:
    """Every official cell of ``report`` as a rendered document prints it (totals computed), by the same
    keys as :attr:`Extraction.cells`: the truth a reading of reportkit's own output must give back."""
    values: dict[str, Value] = {}
    for block in layout.proactive_blocks:
        for leaf in block.rows:
            for column in block.columns:
                key = block.cell_key(leaf, column)
                values[f"proactive.{key}"] = report.proactive.value(key)
    apps = report.applications
    table = layout.applications_table
    for leaf in table.row_leaves:
        row = apps.total if leaf.kind is CellKind.TOTAL else apps.row(leaf.key)
        for applicant in table.column_leaves:
            values[f"applications.{leaf.key}.{applicant.key}"] = (
                row.total if applicant.kind is CellKind.TOTAL else row.get(applicant.key)
            )
    for leaf in layout.review_litigation_table.column_leaves:
        group, _, outcome = leaf.key.partition(".")
        outcomes: CaseOutcomes = getattr(report.review_litigation, group)
        values[f"review_litigation.{leaf.key}"] = (
            outcomes.total if leaf.kind is CellKind.TOTAL else getattr(outcomes, outcome)
        )
    return values
