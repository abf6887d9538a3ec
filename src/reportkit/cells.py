"""Every official cell of a report by its figures-file key path, and back.

One pair replaces the hand-written flatteners of the rules, ``aggregate``, the form reader and the Excel
renderer::

    cells(report)            # {"proactive.regulations.in_force": 41,
                             #  "applications.withheld.state_secret.natural_person": 1,
                             #  "applications.total.total": 45, "review_litigation.review.upheld": 72, …}
    from_cells(layout, values)   # the tables (二, 三, 四) of ``layout`` from such a mapping

The paths are the figures file's (``applications.new.natural_person``; a row's 总计 column is
``….total``, the （七）总计 row ``applications.total.…``, a group's 总计 of table 四
``review_litigation.review.total``). :func:`specs` says, for one format, what each cell is: its table,
row and column keys, value type, whether it is a total, and its official labels (from the format value,
never spelled here).

A value is an ``int``, a ``Decimal``, a :class:`~reportkit.values.Blank` (a cell left empty, 不适用, "/")
or ``None`` (a total that cannot be computed because a cell it adds up is blank).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from attrs import frozen

from reportkit.errors import ModelError, Problem
from reportkit.formats.layout import CellKind, ValueType, label_path
from reportkit.formats.spec import ReportFormat
from reportkit.model import (
    AnnualReport,
    ApplicantCounts,
    Applications,
    CaseOutcomes,
    Count,
    ProactiveDisclosure,
    ProactiveValue,
    ReviewLitigation,
)
from reportkit.values import Blank, Unit

__all__ = ["CellSpec", "Tables", "Value", "cells", "from_cells", "input_cells", "spec_of", "specs", "table_cells"]

#: The value of one cell: a count, an amount, a blank, or None for a total that cannot be computed.
Value = int | Decimal | Blank | None

PROACTIVE: Final = "proactive"
APPLICATIONS: Final = "applications"
REVIEW_LITIGATION: Final = "review_litigation"


@frozen
class CellSpec:
    """What one official cell is, in one format.

    ``row`` and ``column`` are keys within the table (table 二: the row key and the column key; table 三:
    ``"withheld.state_secret"`` and ``"natural_person"``; table 四: ``""`` and ``"review.upheld"``).
    ``section`` is the heading of the table's section, ``row_label``/``column_label`` the official labels
    as a person finds the cell (a row's labels joined outermost first; table 二: block title and row label).
    """

    path: str
    table: str
    row: str
    column: str
    value_type: ValueType
    kind: CellKind
    section: str
    row_label: str
    column_label: str
    #: table 二 only: where the stated unit of an amount whose unit each report states is kept, else "".
    unit_path: str = ""

    @property
    def is_total(self) -> bool:
        return self.kind is CellKind.TOTAL

    def describe(self) -> str:
        """The cell as a person finds it: 表 section, row, column."""
        parts = [p for p in (self.section, self.row_label, self.column_label and f"列：{self.column_label}") if p]
        return " / ".join(parts)


_SPECS: dict[str, tuple[CellSpec, ...]] = {}
_BY_PATH: dict[str, dict[str, CellSpec]] = {}


def specs(layout: ReportFormat) -> tuple[CellSpec, ...]:
    """Every official cell of ``layout``, table by table, row by row, in the order of the printed tables."""
    found = _SPECS.get(layout.id)
    if found is None:
        found = _SPECS[layout.id] = _build_specs(layout)
        _BY_PATH[layout.id] = {spec.path: spec for spec in found}
    return found


def spec_of(layout: ReportFormat, path: str) -> CellSpec:
    """The cell at ``path``; KeyError when ``layout`` has no such cell."""
    by_path = _BY_PATH.get(layout.id)
    if by_path is None:
        specs(layout)
        by_path = _BY_PATH[layout.id]
    return by_path[path]


def _build_specs(layout: ReportFormat) -> tuple[CellSpec, ...]:
    out: list[CellSpec] = []
    for block in layout.proactive_blocks:
        for row, column, key in block.cells():
            value_type = block.value_type(row, column)
            column_label = column.label if len(block.columns) > 1 else ""
            unit = f"{PROACTIVE}.{block.unit_key(row, column)}" if value_type is ValueType.AMOUNT else ""
            out.append(
                CellSpec(
                    f"{PROACTIVE}.{key}",
                    PROACTIVE,
                    row.key,
                    column.key,
                    value_type,
                    CellKind.INPUT,
                    layout.proactive.heading,
                    f"{block.title} {row.label}",
                    column_label,
                    unit,
                )
            )
    table3 = layout.applications_table
    for row_leaf in table3.row_leaves:
        row_label = "".join(label_path(table3.rows, row_leaf.key))
        for column_leaf in table3.column_leaves:
            total = CellKind.TOTAL if CellKind.TOTAL in (row_leaf.kind, column_leaf.kind) else CellKind.INPUT
            out.append(
                CellSpec(
                    f"{APPLICATIONS}.{row_leaf.key}.{column_leaf.key}",
                    APPLICATIONS,
                    row_leaf.key,
                    column_leaf.key,
                    ValueType.COUNT,
                    total,
                    layout.applications.heading,
                    row_label,
                    column_leaf.label,
                )
            )
    table4 = layout.review_litigation_table
    for case in table4.column_leaves:
        out.append(
            CellSpec(
                f"{REVIEW_LITIGATION}.{case.key}",
                REVIEW_LITIGATION,
                "",
                case.key,
                ValueType.COUNT,
                case.kind,
                layout.review_litigation.heading,
                "",
                "".join(label_path(table4.columns, case.key)),
            )
        )
    return tuple(out)


# ---------------------------------------------------------------------------------------------------
# Report -> cells
# ---------------------------------------------------------------------------------------------------


def cells(report: AnnualReport) -> dict[str, Value]:
    """Every official cell of ``report`` by key path, totals computed (None when a blank cell makes a
    total impossible). The stated totals are in :func:`input_cells`."""
    return table_cells(report.layout, report.proactive, report.applications, report.review_litigation)


def table_cells(
    layout: ReportFormat, proactive: ProactiveDisclosure, apps: Applications, review: ReviewLitigation
) -> dict[str, Value]:
    """:func:`cells` of tables given apart from a report (a county summary's)."""
    out: dict[str, Value] = {}
    total_row = apps.total
    for spec in specs(layout):
        if spec.table == PROACTIVE:
            out[spec.path] = proactive.value(spec.path[len(PROACTIVE) + 1 :])
        elif spec.table == APPLICATIONS:
            row = total_row if spec.row == "total" else apps.rows[spec.row]
            out[spec.path] = _not_blank_total(row.get(spec.column)) if spec.is_total else row.get(spec.column)
        else:
            out[spec.path] = review.cell(spec.column)
    return out


def _not_blank_total(value: Count | None) -> Value:
    # ApplicantCounts.sum marks a column it cannot add up as Blank; a computed total is then None.
    return None if isinstance(value, Blank) else value


def input_cells(report: AnnualReport) -> dict[str, Value]:
    """The cells a person fills in, and the totals an input *stated* (``declared_total``) under their
    total paths; ``from_cells(report.layout, input_cells(report))`` gives the report's tables back."""
    out: dict[str, Value] = {}
    apps, review = report.applications, report.review_litigation
    proactive, rows, total = report.proactive.cells, apps.rows, CellKind.TOTAL
    start = len(PROACTIVE) + 1
    for spec in specs(report.layout):
        table = spec.table
        if table == PROACTIVE:
            out[spec.path] = proactive[spec.path[start:]]
        elif table == APPLICATIONS:
            if spec.row == "total":
                declared = apps.declared_total
                if declared is not None:
                    out[spec.path] = declared.declared_total if spec.column == "total" else declared.get(spec.column)
            elif spec.kind is total:
                stated = rows[spec.row].declared_total
                if stated is not None:
                    out[spec.path] = stated
            else:
                out[spec.path] = rows[spec.row].get(spec.column)
        else:
            group, _, outcome = spec.column.partition(".")
            outcomes: CaseOutcomes = getattr(review, group)
            value = outcomes.declared_total if spec.kind is total else getattr(outcomes, outcome)
            if value is not None:
                out[spec.path] = value
    return out


# ---------------------------------------------------------------------------------------------------
# Cells -> tables
# ---------------------------------------------------------------------------------------------------


@frozen
class Tables:
    """Tables 二, 三 and 四 of one format, as :func:`from_cells` makes them."""

    proactive: ProactiveDisclosure
    applications: Applications
    review_litigation: ReviewLitigation


def from_cells(
    layout: ReportFormat, values: Mapping[str, Value], *, units: Mapping[str, Unit | None] | None = None
) -> Tables:
    """Tables 二, 三 and 四 of ``layout`` from cells by key path (as :func:`input_cells` gives them).

    A cell left out is 0; a total path holds a *stated* total (kept as ``declared_total``, checked by
    :func:`reportkit.check`); ``units`` gives the stated unit of amounts whose unit each report states,
    by table-二 key (``{"procurement.amount": Unit.YUAN}``; default 元). A path the format does not
    have, or a value of the wrong kind, is a :class:`~reportkit.errors.ModelError` naming the path."""
    specs(layout)
    by_path = _BY_PATH[layout.id]
    problems = [Problem(path, f"{layout.id} 格式没有这一格") for path in values if path not in by_path]
    if problems:
        raise ModelError(f"有 {len(problems)} 个键不是 {layout.id} 格式的表格单元格", problems=problems)
    proactive: dict[str, ProactiveValue] = {}
    rows: dict[str, dict[str, Count | None]] = {}
    total_row: dict[str, Count | None] = {}
    groups: dict[str, dict[str, Count | None]] = {}
    for path, value in values.items():
        spec = by_path[path]
        if spec.table == PROACTIVE:
            proactive[path[len(PROACTIVE) + 1 :]] = value  # type: ignore[assignment]  # the model checks it
        elif spec.table == APPLICATIONS:
            target = total_row if spec.row == "total" else rows.setdefault(spec.row, {})
            target["declared_total" if spec.column == "total" else spec.column] = value  # type: ignore[assignment]
        else:
            group, _, outcome = spec.column.partition(".")
            groups.setdefault(group, {})["declared_total" if outcome == "total" else outcome] = value  # type: ignore[assignment]
    table3 = {key: ApplicantCounts(**row) for key, row in rows.items()}  # type: ignore[arg-type]
    declared = ApplicantCounts(**total_row) if total_row else None  # type: ignore[arg-type]
    return Tables(
        ProactiveDisclosure(format=layout.id, cells=proactive, units=units),
        Applications(format=layout.id, rows=table3, declared_total=declared),
        ReviewLitigation(**{key: CaseOutcomes(**group) for key, group in groups.items()}),  # type: ignore[arg-type]
    )
