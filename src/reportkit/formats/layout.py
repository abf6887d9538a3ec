"""Format-agnostic building blocks for describing an official report layout as data.

A format module (such as :mod:`reportkit.formats.gov2021`) describes its sections and tables with these
types; the model, the rules, the template builders and the Excel reader all walk them instead of
spelling labels themselves.

Tables are described as *label trees*: a :class:`Group` holds children, a :class:`Leaf` is one data row
(or one data column). The same tree gives the rows in order (:func:`leaves`), the labels a person reads
(:func:`label_path`) and the merged header cells a Word or Excel table needs (:func:`span_grid`).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator

from attrs import field, frozen


class CellKind(enum.Enum):
    """What a data row or column holds."""

    INPUT = "input"  #: a figure a person fills in
    TOTAL = "total"  #: computed from other cells, never typed


class ValueType(enum.Enum):
    """The kind of value of a data row or column (table 二 mixes counts with amounts of money)."""

    COUNT = "count"  #: a whole number of documents, decisions, applications or cases
    WAN_YUAN = "wan_yuan"  #: an amount of money in 万元, may have decimals
    #: a whole number that may be negative (2019 format: 本年增/减, the change of a number of items)
    SIGNED_COUNT = "signed_count"
    #: an amount of money whose unit (元 or 万元) each report states next to it, because the header has
    #: none (2019 format: 采购总金额); the unit is kept under :meth:`ProactiveBlock.unit_key`
    AMOUNT = "amount"


@frozen
class Leaf:
    """One data row or data column of a table.

    ``key`` is the path of the value in the model and in figures files, relative to the table
    (``"withheld.state_secret"``); ``label`` is the official text of its own cell, verbatim;
    ``short`` is a shorter form for messages (the official label when not given).
    """

    key: str
    label: str
    kind: CellKind = CellKind.INPUT
    value_type: ValueType = ValueType.COUNT
    short: str = ""

    @property
    def short_label(self) -> str:
        return self.short or self.label


@frozen
class Group:
    """A merged label cell over several rows or columns (e.g. （三）不予公开 over its eight grounds)."""

    label: str
    children: tuple[Node, ...]
    key: str = ""  #: the model attribute holding the children's values, when they are nested


Node = Leaf | Group


@frozen
class Placed:
    """A label cell placed on a grid: ``depth`` runs across the label levels, ``index`` along the leaves.

    For a row tree, depth is the label column (A, B, C) and index the data row; for a column tree,
    depth is the header row and index the data column. ``depth_span`` is how many levels the cell
    covers (a leaf above the deepest level stretches to the data); ``index_span`` how many leaves.
    """

    label: str
    depth: int
    index: int
    depth_span: int
    index_span: int
    node: Node


def leaves(nodes: tuple[Node, ...]) -> Iterator[Leaf]:
    """The leaves of a tree, in reading order."""
    for node in nodes:
        if isinstance(node, Leaf):
            yield node
        else:
            yield from leaves(node.children)


def depth(nodes: tuple[Node, ...]) -> int:
    """How many label levels the tree has."""
    return max(1 if isinstance(n, Leaf) else 1 + depth(n.children) for n in nodes)


def span_grid(nodes: tuple[Node, ...]) -> list[Placed]:
    """Every label cell of a tree with its position and spans, parents before children."""
    total_depth = depth(nodes)
    placed: list[Placed] = []

    def walk(children: tuple[Node, ...], level: int, start: int) -> int:
        index = start
        for node in children:
            if isinstance(node, Leaf):
                placed.append(Placed(node.label, level, index, total_depth - level, 1, node))
                index += 1
            else:
                width = sum(1 for _ in leaves(node.children))
                placed.append(Placed(node.label, level, index, 1, width, node))
                walk(node.children, level + 1, index)
                index += width
        return index

    walk(nodes, 0, 0)
    return placed


def label_path(nodes: tuple[Node, ...], key: str) -> tuple[str, ...]:
    """The labels from the outermost group down to the leaf ``key``."""

    def find(children: tuple[Node, ...], trail: tuple[str, ...]) -> tuple[str, ...] | None:
        for node in children:
            if isinstance(node, Leaf):
                if node.key == key:
                    return (*trail, node.label)
            else:
                found = find(node.children, (*trail, node.label))
                if found is not None:
                    return found
        return None

    result = find(nodes, ())
    if result is None:
        raise KeyError(key)
    return result


@frozen
class Section:
    """A numbered section of the report (一、总体情况 …)."""

    key: str
    heading: str


@frozen
class Subsection:
    """A sub-heading inside a section (（一）主动公开情况 …), with the model attribute of its text."""

    key: str
    heading: str
    required: bool = True


@frozen
class Column:
    """A value column of a table-二 block; ``value_type`` overrides the row's (None: the row's type)."""

    key: str
    label: str
    value_type: ValueType | None = None


@frozen
class ProactiveBlock:
    """One block of table 二: its title row, its column headers and its rows.

    A block with several columns (第二十条第（一）项) keeps each row's values in a nested object
    (``regulations.issued``); a block with one column keeps the value under the row key itself.
    """

    key: str
    title: str
    content_header: str
    columns: tuple[Column, ...]
    rows: tuple[Leaf, ...]

    def cell_key(self, row: Leaf, column: Column) -> str:
        """The model path of one value cell, relative to table 二."""
        return f"{row.key}.{column.key}" if len(self.columns) > 1 else row.key

    def value_spans(self, width: int = 3) -> tuple[int, ...]:
        """How many of the ``width`` value columns of the grid each value column covers: equal shares, the
        last taking the rest (one column: 3; three: 1+1+1; two, as in 2019's （八）（九）: 1+2)."""
        count = len(self.columns)
        share = width // count
        return (*([share] * (count - 1)), width - share * (count - 1))

    def value_type(self, row: Leaf, column: Column) -> ValueType:
        """The kind of value of one cell: the column's when it has one, else the row's."""
        return column.value_type or row.value_type

    def unit_key(self, row: Leaf, column: Column) -> str:
        """Where a cell of type :attr:`ValueType.AMOUNT` keeps its stated unit (``procurement.amount_unit``)."""
        return f"{self.cell_key(row, column)}_unit"

    def cells(self) -> Iterator[tuple[Leaf, Column, str]]:
        """Every value cell of the block, row by row: its row, its column and its key."""
        for row in self.rows:
            for column in self.columns:
                yield row, column, self.cell_key(row, column)


@frozen
class Table:
    """A table laid out as a row tree against a column tree (tables 三 and 四)."""

    key: str
    rows: tuple[Node, ...]
    columns: tuple[Node, ...]
    corner: str = ""  #: the text of the top-left header cell, if any

    # Cached (the trees never change): every report asks for them a dozen times. attrs keeps a cached
    # property in its own slot, outside eq, hash, repr and pickling.
    @functools.cached_property
    def row_leaves(self) -> tuple[Leaf, ...]:
        return tuple(leaves(self.rows))

    @functools.cached_property
    def column_leaves(self) -> tuple[Leaf, ...]:
        return tuple(leaves(self.columns))

    @functools.cached_property
    def input_rows(self) -> tuple[Leaf, ...]:
        return tuple(r for r in self.row_leaves if r.kind is CellKind.INPUT)

    @functools.cached_property
    def input_columns(self) -> tuple[Leaf, ...]:
        return tuple(c for c in self.column_leaves if c.kind is CellKind.INPUT)

    def row(self, key: str) -> Leaf:
        for leaf in self.row_leaves:
            if leaf.key == key:
                return leaf
        raise KeyError(key)

    def column(self, key: str) -> Leaf:
        for leaf in self.column_leaves:
            if leaf.key == key:
                return leaf
        raise KeyError(key)


@frozen
class Deadline:
    """The legal deadline for a kind of agency: month and day of the year after the reporting year."""

    month: int
    day: int
    basis: str = field(default="")


@frozen
class GridLabel:
    """A label cell of a table placed on the table's own grid (row 0 and column 0 at its top-left corner):
    the corner note, the column headers, then the row labels. ``node`` is None for the corner."""

    row: int
    column: int
    rows: int
    columns: int
    label: str
    node: Node | None = None


def label_grid(table: Table) -> list[GridLabel]:
    """Every label cell of a row-tree × column-tree table (tables 三 and 四) on its grid, as the Word template,
    the workbooks, the web page and the template check all lay it out: the header rows above, the label
    columns at the left, the data cells at ``(header rows + i, label columns + j)``."""
    header_rows = depth(table.columns)
    label_columns = depth(table.rows) if table.rows else 0
    cells: list[GridLabel] = []
    if table.corner and label_columns:
        cells.append(GridLabel(0, 0, header_rows, label_columns, table.corner))
    for placed in span_grid(table.columns):
        cells.append(
            GridLabel(
                placed.depth,
                label_columns + placed.index,
                placed.depth_span,
                placed.index_span,
                placed.label,
                placed.node,
            )
        )
    if table.rows:
        for placed in span_grid(table.rows):
            cells.append(
                GridLabel(
                    header_rows + placed.index,
                    placed.depth,
                    placed.index_span,
                    placed.depth_span,
                    placed.label,
                    placed.node,
                )
            )
    return cells
