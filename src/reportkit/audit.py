"""Auditing a published report: read it back, run the ordinary rules, and say how sure each finding is.

:func:`audit` reads a published page, Word file, PDF or scrape (:func:`reportkit.read_published`) and checks
the extracted report with :func:`reportkit.check`, then

- **weighs every finding by its cells**: a finding whose cells were all read at high confidence keeps its
  severity; otherwise it becomes :attr:`Severity.REVIEW` (疑似抽取误差，请核对原文) and names where each cell
  stands in the source. Confidence comes from the reading only; the rules never change it.
- **says "not assessable"** for a relation (the 勾稽关系 of a column, a stated 总计) when one of its cells is
  blank, "/", text, several numbers or missing: the model would have read such a cell as 0 and the rule
  would have passed or failed on a number nobody printed. The rule's own findings on that relation are
  replaced by one finding naming the cells.
- **adds the rules of published files**: the publication date (page metadata, a 发布时间 line, a date in the
  URL) before the reporting year ended (``published.too_early``) or after the deadline for the agency's kind
  (``published.late``, the deadline from the format data); a table in the 2019 layout in a report for a
  year the 2021 format serves (``published.table_format``); blank or "/" cells (``published.blank_cells``);
  no official table at all (``published.no_tables``).

:meth:`AuditResult.as_dict` is the JSON of ``reportkit audit --json``: the same bytes give the same JSON.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from reportkit.field_labels import REPORT_GROUP, label_of
from reportkit.formats.layout import CellKind, Leaf
from reportkit.formats.spec import ReportFormat
from reportkit.model import AnnualReport
from reportkit.published import (
    DEFAULT_LIMITS,
    Cell,
    Confidence,
    DateClaim,
    Extraction,
    PublishedDocumentError,
    ReadLimits,
    Semantics,
    read_document,
    read_source,
)
from reportkit.published.mapping import extract
from reportkit.rules import Finding, Location, Severity, check
from reportkit.values import format_date

__all__ = ["REVIEW_MESSAGE", "AuditFinding", "AuditResult", "audit", "audit_extraction", "load_previous"]

REVIEW_MESSAGE = "疑似抽取误差，请核对原文"


@frozen
class AuditFinding:
    """A finding on a published report, with the cells it rests on (figures-file keys) and their places."""

    code: str
    severity: Severity
    location: Location
    message: str
    cells: tuple[str, ...] = ()
    where: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "section": self.location.section,
            "row": self.location.row,
            "column": self.location.column,
            "field": self.location.field,
            "cells": [{"key": key, "where": where} for key, where in zip(self.cells, self.where, strict=True)],
        }

    def __str__(self) -> str:
        where = self.location.describe()
        return f"[{self.severity.label}] {self.code} {where}：{self.message}"


@frozen
class AuditResult:
    """One audited report: where it came from, its digest, the extraction and the findings."""

    source: str
    sha256: str
    extraction: Extraction
    findings: tuple[AuditFinding, ...]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def status(self) -> str:
        """``error``, ``review``, ``warning`` or ``ok``: the most serious severity found."""
        for severity in (Severity.ERROR, Severity.REVIEW, Severity.WARNING):
            if self.count(severity):
                return str(severity.value)
        return "ok"

    def as_dict(self) -> dict[str, Any]:
        extraction = self.extraction
        return {
            "source": self.source,
            "sha256": self.sha256,
            "format": extraction.layout.id,
            "agency": extraction.report.agency.name,
            "year": extraction.report.year,
            "variants": dict(sorted(extraction.variants.items())),
            "cells": {key: cell.as_dict() for key, cell in sorted(extraction.cells.items())},
            "findings": [finding.as_dict() for finding in self.findings],
            "missing": list(extraction.missing),
            "unmapped": [item.as_dict() for item in extraction.unmapped],
            "notes": [str(note) for note in extraction.notes],
        }


# ---------------------------------------------------------------------------------------------------
# Relations: which cells a rule rests on
# ---------------------------------------------------------------------------------------------------


@frozen
class _Relation:
    code: str  #: the rule code whose findings it covers
    field: str  #: the ``Location.field`` those findings carry
    cells: tuple[str, ...]
    label: str


def _relations(layout: ReportFormat, extraction: Extraction) -> list[_Relation]:
    table = layout.applications_table
    inputs = table.input_columns
    outcome_rows = [leaf for leaf in _outcome_leaves(layout)]
    declared_seven = any(key.startswith("applications.total.") for key in extraction.cells)
    relations: list[_Relation] = []
    # the 勾稽关系 of each column
    for column in table.column_leaves:
        columns = [column] if column.kind is CellKind.INPUT else list(inputs)
        keys: list[str] = []
        for row_key in (*layout.balance_inflow, *layout.balance_outflow):
            if row_key == "total" and not declared_seven:
                keys += [f"applications.{leaf.key}.{c.key}" for leaf in outcome_rows for c in columns]
            elif row_key == "total":
                keys += [f"applications.total.{c.key}" for c in columns]
            else:
                keys += [f"applications.{row_key}.{c.key}" for c in columns]
        relations.append(
            _Relation(
                "applications.balance",
                f"applications.*.{column.key}",
                _group_rows(keys, extraction),
                f"{layout.balance_note}（列：{column.label}）",
            )
        )
    # each row's stated 总计
    for leaf in table.row_leaves:
        key = f"applications.{leaf.key}.total"
        if key in extraction.cells:
            keys = [key, *(f"applications.{leaf.key}.{c.key}" for c in inputs)]
            relations.append(
                _Relation(
                    "applications.declared_total", key, _group_rows(keys, extraction), f"{leaf.short_label}的总计"
                )
            )
    # （七）总计 of each column
    if declared_seven:
        for column in inputs:
            key = f"applications.total.{column.key}"
            keys = [key, *(f"applications.{leaf.key}.{column.key}" for leaf in outcome_rows)]
            relations.append(
                _Relation(
                    "applications.declared_total",
                    key,
                    _group_rows(keys, extraction),
                    f"{table.row('total').label}（列：{column.label}）",
                )
            )
    # table 四's 总计
    for group in layout.case_groups:
        total = f"review_litigation.{group.key}.total"
        if total in extraction.cells:
            keys = [f"review_litigation.{leaf.key}" for leaf in group.children if isinstance(leaf, Leaf)]
            relations.append(_Relation("review_litigation.declared_total", total, tuple(keys), f"{group.label}的总计"))
    return relations


def _outcome_leaves(layout: ReportFormat) -> list[Leaf]:
    table = layout.applications_table
    outcome = next(node for node in table.rows if node.label == layout.outcome_group)
    from reportkit.formats.layout import leaves

    return [leaf for leaf in leaves((outcome,)) if leaf.kind is CellKind.INPUT]


def _group_rows(keys: Sequence[str], extraction: Extraction) -> tuple[str, ...]:
    """Keys of item rows a published report printed as one group row (2019 （六）) become the group's."""
    out: list[str] = []
    for key in keys:
        if key not in extraction.cells:
            head, _, column = key.rpartition(".")
            group = head.rsplit(".", 1)[0]
            grouped = f"{group}.{column}"
            if grouped in extraction.cells and grouped.count(".") == 2:
                key = grouped
        if key not in out:
            out.append(key)
    return tuple(out)


def _unsure(extraction: Extraction, keys: Iterable[str]) -> list[str]:
    """The keys among ``keys`` that are not a printed number (blank, "/", text, several, or not found)."""
    return [key for key in keys if key not in extraction.cells or not extraction.cells[key].numeric]


def _place(extraction: Extraction, key: str) -> str:
    cell = extraction.cells.get(key)
    if cell is None:
        return "未找到"
    return cell.where.describe() or cell.where.path or "（位置未知）"


def _describe_cell(extraction: Extraction, key: str) -> str:
    cell = extraction.cells.get(key)
    if cell is None:
        return f"{key}（未找到）"
    raw = cell.raw.strip() or "空白"
    return f"{cell.label or key}（{cell.semantics.label}：“{raw}”，{_place(extraction, key)}）"


# ---------------------------------------------------------------------------------------------------
# The audit
# ---------------------------------------------------------------------------------------------------

#: Rule findings the published-file rules replace (the same fact said with its evidence).
_REPLACED = {"dates.published_late"}
#: Text findings on an extracted report: the section may exist under a heading the reader did not know.
_TEXT_CODES = {"text.missing", "dates.signed_missing"}


def audit_extraction(
    extraction: Extraction,
    *,
    previous: AnnualReport | None = None,
    source: str = "",
    sha256: str = "",
    today: dt.date | None = None,
) -> AuditResult:
    """The findings on an extracted report (see the module documentation)."""
    layout = extraction.layout
    report = extraction.report
    found: list[AuditFinding] = []
    if not extraction.cells:
        found.append(
            AuditFinding(
                "published.no_tables",
                Severity.ERROR,
                Location(layout.applications.heading),
                f"未找到官方格式（{layout.notice}）的统计表，无法核对数据；可能是旧版自由格式报告或图片",
            )
        )
        return AuditResult(source or extraction.document.source, sha256, extraction, tuple(found))
    relations = _relations(layout, extraction)
    blocked: set[tuple[str, str]] = set()
    unassessable: dict[str, list[tuple[_Relation, list[str]]]] = {}
    for relation in relations:
        unsure = _unsure(extraction, relation.cells)
        if unsure:
            blocked.add((relation.code, relation.field))
            unassessable.setdefault(relation.code, []).append((relation, unsure))
    for code, items in unassessable.items():
        found.append(_not_assessable(code, items, extraction))
    by_field = {(r.code, r.field): r for r in relations}
    covered = {key for items in unassessable.values() for _, unsure in items for key in unsure}
    for finding in check(report, previous):
        if finding.code in _REPLACED:
            continue
        if finding.code == "cell.not_assessable" and finding.location.field in covered:
            continue  # said once per relation above, with every cell named
        key = (finding.code, finding.location.field)
        if key in blocked:
            continue
        covering = by_field.get(key)
        if covering is not None:
            cells = covering.cells
        elif finding.location.field in extraction.cells:
            cells = (finding.location.field,)
        else:
            cells = ()
        found.append(_weighed(finding, cells, extraction))
    found.extend(_publication_date(extraction))
    found.extend(_table_format(extraction))
    found.extend(_blank_cells(extraction))
    return AuditResult(source or extraction.document.source, sha256, extraction, tuple(found))


def _not_assessable(code: str, items: list[tuple[_Relation, list[str]]], extraction: Extraction) -> AuditFinding:
    """One finding per rule: the relations it could not check and the cells that stopped it."""
    layout = extraction.layout
    keys: list[str] = []
    for _, unsure in items:
        keys += [key for key in unsure if key not in keys]
    labels = "；".join(relation.label for relation, _ in items[:3])
    more_relations = f" 等 {len(items)} 处" if len(items) > 3 else ""
    shown = "；".join(_describe_cell(extraction, key) for key in keys[:4])
    more_cells = f" 等共 {len(keys)} 格" if len(keys) > 4 else ""
    heading = layout.review_litigation.heading if code.startswith("review") else layout.applications.heading
    return AuditFinding(
        f"{code}.not_assessable",
        Severity.WARNING,
        Location(heading, "", "", items[0][0].field),
        f"无法核对{labels}{more_relations}：{shown}{more_cells}不是印出的数字",
        tuple(keys),
        tuple(_place(extraction, key) for key in keys),
    )


def _weighed(finding: Finding, cells: tuple[str, ...], extraction: Extraction) -> AuditFinding:
    """A rule finding as an audit finding: review unless every cell it rests on is sure."""
    severity, message = finding.severity, finding.message
    unsure = [k for k in cells if extraction.cells[k].confidence is not Confidence.HIGH] if cells else []
    if unsure:
        places = "；".join(f"{extraction.cells[k].label or k}：{_place(extraction, k)}" for k in unsure[:6])
        severity = Severity.REVIEW
        message = f"{REVIEW_MESSAGE}（{places}）：{message}"
    elif finding.code in _TEXT_CODES:
        severity = Severity.REVIEW
        message = f"{message}（发布文件中未找到，可能只是写法不同，请核对原文）"
    return AuditFinding(
        finding.code,
        severity,
        finding.location,
        message,
        cells,
        tuple(_place(extraction, k) for k in cells),
    )


_ORIGINS = {"meta": "页面元数据", "text": "“发布时间”", "url": "网址中的日期"}


def _publication_claim(extraction: Extraction) -> DateClaim | None:
    """The strongest publication date the document claims; file properties (when a file was made or
    saved) are no evidence of publication."""
    rank = {"meta": 0, "text": 1, "url": 2}
    claims = [c for c in extraction.document.meta.dates if c.origin.partition(":")[0] in rank]
    claims.sort(key=lambda c: (c.precision != "day", rank[c.origin.partition(":")[0]]))
    return claims[0] if claims else None


def _publication_date(extraction: Extraction) -> Iterator[AuditFinding]:
    claim = _publication_claim(extraction)
    report = extraction.report
    if claim is None:
        return
    layout = extraction.layout
    evidence = _ORIGINS.get(claim.origin.partition(":")[0], claim.origin)
    name = claim.origin.partition(":")[2]
    evidence = f"{evidence} {name}".strip() + f"“{claim.raw}”"
    location = Location(REPORT_GROUP, label_of("report.published_on"), "", "report.published_on")
    year_end = dt.date(report.year, 12, 31)
    last_day = claim.value if claim.precision == "day" else _month_end(claim.value)
    if last_day <= year_end:
        yield AuditFinding(
            "published.too_early",
            Severity.ERROR if claim.precision == "day" else Severity.WARNING,
            location,
            f"发布日期{format_date(claim.value)}（{evidence}）早于报告年度{report.year}年结束，"
            "年度报告不可能在年度结束前发布；请核对报告年度或发布日期",
        )
        return
    deadline_rule = layout.deadlines[report.agency.kind.value]
    deadline = dt.date(report.year + 1, deadline_rule.month, deadline_rule.day)
    if claim.value > deadline:
        yield AuditFinding(
            "published.late",
            Severity.WARNING,
            location,
            f"发布日期{format_date(claim.value)}（{evidence}）晚于{report.agency.kind.label}年度报告的期限"
            f"{format_date(deadline)}（晚 {(claim.value - deadline).days} 天；{deadline_rule.basis}）",
        )


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _table_format(extraction: Extraction) -> Iterator[AuditFinding]:
    """A table laid out in a format that does not serve the report's year (a 2019 table in a 2022 report)."""
    layout = extraction.layout
    for block, variant in sorted(extraction.variants.items()):
        used = _variant_format(variant)
        if used is None or used.serves(extraction.report.year):
            continue
        section = {s.key: s.heading for s in layout.sections}.get(block, block)
        what = f"的表格使用{used.notice}的格式"
        if variant == "2019-row":
            groups = _group_rows_printed(extraction)
            what = "、".join(f"“{label}”只列一行、未分 {count} 项" for label, count in groups) or what
        yield AuditFinding(
            "published.table_format",
            Severity.WARNING,
            Location(section),
            f"{extraction.report.year}年度报告应使用{layout.notice}的格式，而{section}{what}",
        )


def _variant_format(variant: str) -> ReportFormat | None:
    """The format a block's variant names (``2019``, ``2019-row``, ``2021``), or None."""
    from reportkit.formats import UnknownFormatError, get_format

    try:
        return get_format(f"gov-info-annual-report/{variant.split('-')[0]}") if variant else None
    except UnknownFormatError:
        return None


def _group_rows_printed(extraction: Extraction) -> list[tuple[str, int]]:
    """The groups of table 三 printed as one row (label, number of items the format has)."""
    from reportkit.formats.layout import Group

    found: list[tuple[str, int]] = []

    def walk(nodes: Iterable[object]) -> None:
        for node in nodes:
            if isinstance(node, Group):
                if node.key and any(
                    k.startswith(f"applications.{node.key}.") and k.count(".") == 2 for k in extraction.cells
                ):
                    found.append((node.label, len(node.children)))
                walk(node.children)

    walk(extraction.layout.applications_table.rows)
    return found


def _blank_cells(extraction: Extraction) -> Iterator[AuditFinding]:
    """Blank or "/" cells, one finding per table with every cell named."""
    tables: dict[str, list[Cell]] = {}
    for cell in extraction.cells.values():
        if cell.semantics in (Semantics.EMPTY, Semantics.NOT_APPLICABLE):
            tables.setdefault(cell.key.partition(".")[0], []).append(cell)
    headings = {s.key: s.heading for s in extraction.layout.sections}
    for table, cells in tables.items():
        shown = "；".join(f"{c.label}（“{c.raw.strip() or '空白'}”，{c.where.describe()}）" for c in cells[:5])
        more = f" 等共 {len(cells)} 格" if len(cells) > 5 else ""
        yield AuditFinding(
            "published.blank_cells",
            Severity.WARNING,
            Location(headings.get(table, table)),
            f"统计表中有空白或“/”的单元格：{shown}{more}；没有发生的事项应填 0",
            tuple(c.key for c in cells),
            tuple(c.where.describe() for c in cells),
        )


# ---------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------

_FIGURES_SUFFIXES = {".toml", ".json", ".yaml", ".yml", ".xlsx", ".xlsm"}


def load_previous(path: str | os.PathLike[str]) -> AnnualReport:
    """Last year's report from a figures file or form, or from a published report in any readable form."""
    if Path(path).suffix.lower() in _FIGURES_SUFFIXES:
        from reportkit.io import read

        return read(path).report
    return extract(read_document(path)).report


def audit(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str = "",
    url: str = "",
    previous: AnnualReport | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> AuditResult:
    """Read a published report (a path, or bytes with a ``name``) and audit it."""
    data, where = read_source(source, name, limits)
    document = read_document(data, name=where, url=url, limits=limits)
    extraction = extract(document)
    unreadable = document.unreadable()
    if not extraction.cells and unreadable:
        raise PublishedDocumentError(unreadable[0].reason, source=where)
    return audit_extraction(extraction, previous=previous, source=where, sha256=hashlib.sha256(data).hexdigest())
