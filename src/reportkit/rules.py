"""Rule checks: the 勾稽关系 of the official tables, the legal dates and what the text must contain.

:func:`check` reads a report (and optionally last year's) and returns every finding at once. A finding
has a stable English ``code`` (``applications.balance``), a severity, a location a person can find
(section heading, row label, column label, and the model path in ``field``) and a Chinese message
that says what is wrong and by how much. Rules only read the model; labels come from the report's format
(``report.layout``), and the format's rule families decide which rules run. A cell left blank (留空, 不适用,
"/") makes every rule that needs it report ``cell.not_assessable``, naming the cell, instead of a result.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import itertools
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from attrs import fields, frozen

from reportkit import formats
from reportkit.cells import PROACTIVE, CellSpec, input_cells, spec_of, specs
from reportkit.field_labels import AGENCY_GROUP, FEE_FIELDS, REPORT_GROUP, label_of
from reportkit.formats.layout import CellKind, Column, Leaf, ProactiveBlock, Section, ValueType, label_path
from reportkit.formats.spec import ReportFormat, RuleFamily
from reportkit.model import AgencyKind, AnnualReport, ApplicantCounts, CaseOutcomes, Count
from reportkit.values import MAX_COUNT, MAX_YEAR, MIN_YEAR, Blank, describe, format_date, placeholder_in

__all__ = ["RULES", "Finding", "Location", "Severity", "check", "errors"]


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    #: A finding on cells read from a published report that are not all sure: 疑似抽取误差，请核对原文.
    REVIEW = "review"

    @property
    def label(self) -> str:
        return {Severity.ERROR: "错误", Severity.WARNING: "提醒", Severity.REVIEW: "核对"}[self]


@frozen
class Location:
    """Where a finding is: the section heading, the row and column labels (official text), and the
    model path of the value (``applications.withheld.state_secret.natural_person``)."""

    section: str = ""
    row: str = ""
    column: str = ""
    field: str = ""

    def describe(self) -> str:
        parts = [p for p in (self.section, self.row, self.column and f"列：{self.column}") if p]
        return " / ".join(parts)


@frozen
class Finding:
    """One problem found by a rule."""

    code: str
    severity: Severity
    location: Location
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "section": self.location.section,
            "row": self.location.row,
            "column": self.location.column,
            "field": self.location.field,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = self.location.describe()
        return f"[{self.severity.label}] {self.code} {where}：{self.message}"


Rule = Callable[[AnnualReport, "AnnualReport | None"], Iterator[Finding]]

#: Every rule, in the order findings are reported. Each is a generator over findings.
RULES: list[Rule] = []


def rule(func: Rule) -> Rule:
    RULES.append(func)
    return func


def check(report: AnnualReport, previous: AnnualReport | None = None) -> list[Finding]:
    """Every finding of every rule for ``report``; with ``previous`` (last year's report of the same
    agency) the cross-year rules run too."""
    findings: list[Finding] = []
    for each in RULES:
        findings.extend(each(report, previous))
    findings.extend(_unnamed_blank_cells(report, {f.location.field for f in findings}))
    return findings


def errors(findings: list[Finding]) -> list[Finding]:
    """The findings of severity error."""
    return [f for f in findings if f.severity is Severity.ERROR]


# ---------------------------------------------------------------------------------------------------
# Helpers: locations from the format
# ---------------------------------------------------------------------------------------------------


def _row_label(layout: ReportFormat, key: str) -> str:
    return "".join(label_path(layout.applications_table.rows, key))


def _t3(layout: ReportFormat, row: str, column: str = "") -> Location:
    column_label = layout.applications_table.column(column).label if column else ""
    field = f"applications.{row}" + (f".{column}" if column else "")
    return Location(layout.applications.heading, _row_label(layout, row), column_label, field)


def _t4(layout: ReportFormat, key: str) -> Location:
    labels = label_path(layout.review_litigation_table.columns, key)
    return Location(layout.review_litigation.heading, "", "".join(labels), f"review_litigation.{key}")


def _at(spec: CellSpec) -> Location:
    return Location(spec.section, spec.row_label, spec.column_label, spec.path)


def _section(section: Section, field: str, row: str = "") -> Location:
    return Location(section.heading, row, "", field)


def _not_assessable(layout: ReportFormat, paths: Iterable[str], report: AnnualReport, what: str) -> Iterator[Finding]:
    """One ``cell.not_assessable`` per blank cell among ``paths``: the rule ``what`` cannot be checked."""
    values = input_cells(report)
    for path in dict.fromkeys(paths):
        value = values.get(path)
        if isinstance(value, Blank):
            spec = spec_of(layout, path)
            shown = value.reason
            yield Finding(
                "cell.not_assessable",
                Severity.WARNING,
                _at(spec),
                f"此格{'留空' if shown == '留空' else f'填为“{shown}”'}，无法核对{what}；如数量为 0，请填 0",
            )


def _t3_paths(rows: Iterable[str], columns: Iterable[str]) -> list[str]:
    columns = list(columns)
    return [f"applications.{row}.{column}" for row in rows for column in columns]


def _unnamed_blank_cells(report: AnnualReport, named: set[str]) -> Iterator[Finding]:
    """Blank cells of table 二 that no rule named: such a cell takes part in no sum of the report, so left empty
    by mistake (``licensing = ""``) it would print as an empty cell in a report that checks clean."""
    if not any(isinstance(value, Blank) for value in report.proactive.cells.values()):
        return  # the usual case, without building the cell list
    layout = report.layout
    paths = [s.path for s in specs(layout) if s.table == PROACTIVE and not s.is_total and s.path not in named]
    yield from _not_assessable(layout, paths, report, "这一项的数字")


# ---------------------------------------------------------------------------------------------------
# Values: non-negative whole numbers, plausible sizes
# ---------------------------------------------------------------------------------------------------


def _value_findings(loc: Location, value: int | Decimal, signed: bool) -> Iterator[Finding]:
    if value < 0 and not signed:
        yield Finding("value.negative", Severity.ERROR, loc, f"数值不能为负数，而填的是 {describe(value)}")
    elif value > MAX_COUNT or value < -MAX_COUNT:
        yield Finding(
            "value.implausible",
            Severity.ERROR,
            loc,
            f"数值 {describe(value)} 超过合理范围，请检查是否多输了数字",
        )


_ROW_VALUES = operator.attrgetter(*(f.name for f in fields(ApplicantCounts)))
_GROUP_VALUES = operator.attrgetter(*(f.name for f in fields(CaseOutcomes)))


def _table_numbers(report: AnnualReport) -> list[int | Decimal]:
    """Every number the tables hold: those of :func:`~reportkit.cells.input_cells` and perhaps more (every
    attribute of every row and group is taken), without making the cell list."""
    apps, review = report.applications, report.review_litigation
    rows = [*apps.rows.values(), *([] if apps.declared_total is None else [apps.declared_total])]
    groups = [getattr(review, f.name) for f in fields(type(review))]
    values = itertools.chain(
        report.proactive.cells.values(),
        itertools.chain.from_iterable(map(_ROW_VALUES, rows)),
        itertools.chain.from_iterable(map(_GROUP_VALUES, groups)),
    )
    return [value for value in values if isinstance(value, int | Decimal)]


@rule
def values_valid(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """Counts and amounts are non-negative (a signed 本年增/减 may be negative) and none implausibly large
    (the model already holds only whole numbers and bounded Decimals), for every number a person fills in
    (declared totals included; blanks left out)."""
    layout = report.layout
    numbers = _table_numbers(report)
    # 0..MAX_COUNT is fine whatever the cell: the cells are gone through (in order) only when some number
    # is outside, and a location is looked up only for a finding
    if numbers and not (min(numbers) >= 0 and max(numbers) <= MAX_COUNT):
        for path, value in input_cells(report).items():
            if isinstance(value, int | Decimal) and not 0 <= value <= MAX_COUNT:
                spec = spec_of(layout, path)
                yield from _value_findings(_at(spec), value, spec.value_type is ValueType.SIGNED_COUNT)
    fees = report.other.information_fees
    if fees is not None:
        other = layout.other
        for path in FEE_FIELDS:
            amount: int | Decimal = getattr(fees, path.rpartition(".")[2])
            if not 0 <= amount <= MAX_COUNT:
                yield from _value_findings(_section(other, path, label_of(path)), amount, False)


@functools.lru_cache(maxsize=16)
def _amount_specs(format_id: str) -> tuple[CellSpec, ...]:
    """The amount cells of a format."""
    return tuple(s for s in specs(formats.get_format(format_id)) if s.value_type is ValueType.AMOUNT)


@rule
def amount_units(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """An amount whose unit each report states (2019: 采购总金额) has its unit."""
    for spec in _amount_specs(report.format):
        key = spec.path.partition(".")[2]
        if report.proactive.unit(key) is None and not isinstance(report.proactive.value(key), Blank):
            yield Finding(
                "proactive.amount_unit_unknown",
                Severity.WARNING,
                _at(spec),
                f"{spec.column_label}未写明单位（元或万元），表头没有单位，无法知道金额大小；请写明单位",
            )


@rule
def published_within_total(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """2019 format: 本年新公开数量 ≤ 对外公开总数量 (a cumulative count includes this year's)."""
    if not report.layout.has(RuleFamily.CUMULATIVE_PUBLISHED_CHAIN):
        return
    for block, row, published, total in _published_columns(report.layout):
        now, cumulative = (report.proactive.value(block.cell_key(row, c)) for c in (published, total))
        if isinstance(now, int) and isinstance(cumulative, int) and now > cumulative:
            spec = spec_of(report.layout, f"proactive.{block.cell_key(row, total)}")
            yield Finding(
                "proactive.published_exceeds_total",
                Severity.WARNING,
                _at(spec),
                f"{published.label}为 {now}，大于{total.label} {cumulative}"
                f"（{total.label}是累计数，应包括本年新公开的）",
            )


# ---------------------------------------------------------------------------------------------------
# Table 三
# ---------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _balance_rows(format_id: str) -> tuple[tuple[Leaf, ...], tuple[Leaf, ...]]:
    """The rows of each side of the balance of table 三 (the table finds a row among all its leaves)."""
    layout = formats.get_format(format_id)
    table = layout.applications_table
    return tuple(table.row(k) for k in layout.balance_inflow), tuple(table.row(k) for k in layout.balance_outflow)


@rule
def applications_balance(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """T3-1, the 勾稽关系 of the header note: 一 + 二 = （七）总计 + 四, for every column."""
    layout = report.layout
    if not layout.has(RuleFamily.APPLICATION_TOTALS):
        return
    table = layout.applications_table
    apps = report.applications
    inflow_rows, outflow_rows = _balance_rows(layout.id)
    # each row once (（七）总计 is computed), then its cells column by column: apps.cell(row, column)
    inflow_counts = [apps.row(r.key) for r in inflow_rows]
    outflow_counts = [apps.row(r.key) for r in outflow_rows]
    for column in table.column_leaves:
        inflows = [row.get(column.key) for row in inflow_counts]
        outflows = [row.get(column.key) for row in outflow_counts]
        if not all(isinstance(v, int) for v in (*inflows, *outflows)):
            if column.kind is CellKind.INPUT:
                involved = [
                    *(r.key for r in inflow_rows),
                    *apps.outcome_keys,
                    *(r.key for r in outflow_rows if r.key != "total"),
                ]
                yield from _not_assessable(layout, _t3_paths(involved, [column.key]), report, "本列的勾稽关系")
            continue
        inflow = sum(v for v in inflows if isinstance(v, int))
        outflow = sum(v for v in outflows if isinstance(v, int))
        if inflow != outflow:
            left = " + ".join(r.short_label for r in inflow_rows)
            right = " + ".join(r.short_label for r in outflow_rows)
            diff = inflow - outflow
            yield Finding(
                "applications.balance",
                Severity.ERROR,
                Location(layout.applications.heading, "", column.label, f"applications.*.{column.key}"),
                f"{left} = {inflow}，而{right} = {outflow}（列：{column.label}，相差 {diff:+d}）",
            )


def _stated(value: Count | None) -> int | None:
    return value if isinstance(value, int) else None


@rule
def applications_declared_totals(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """A 总计 that the input stated must equal the computed one (the column 总计 of each row, and the
    （七）总计 row)."""
    layout = report.layout
    if not layout.has(RuleFamily.APPLICATION_TOTALS):
        return
    table = layout.applications_table
    apps = report.applications
    columns = [c.key for c in table.input_columns]
    needed_rows: Iterable[str]
    for leaf in table.row_leaves:
        if leaf.kind is CellKind.TOTAL:
            declared = apps.declared_total
            if declared is None:
                continue
            computed_total = apps.total
            for column in table.input_columns:
                stated, actual = _stated(getattr(declared, column.key)), computed_total.get(column.key)
                if stated is None:
                    continue
                if not isinstance(actual, int):
                    what = f"填写的{leaf.label}"
                    yield from _not_assessable(layout, _t3_paths(apps.outcome_keys, [column.key]), report, what)
                elif stated != actual:
                    yield Finding(
                        "applications.declared_total",
                        Severity.ERROR,
                        _t3(layout, leaf.key, column.key),
                        f"填写的{leaf.label}为 {stated}，而各办理结果之和为 {actual}"
                        f"（列：{column.label}，相差 {stated - actual:+d}）",
                    )
            row_stated = _stated(declared.declared_total)
            row_actual, needed_rows = computed_total.total, apps.outcome_keys
        else:
            row = apps.row(leaf.key)
            row_stated = _stated(row.declared_total)
            if row_stated is None:
                continue  # most rows: no 总计 stated, none to add up
            row_actual, needed_rows = row.total, (leaf.key,)
        if row_stated is None:
            continue
        if row_actual is None:
            needed = _t3_paths(needed_rows, columns)
            yield from _not_assessable(layout, needed, report, f"“{leaf.short_label}”填写的总计")
        elif row_stated != row_actual:
            yield Finding(
                "applications.declared_total",
                Severity.ERROR,
                _t3(layout, leaf.key, "total"),
                f"填写的总计为 {row_stated}，而六类申请人之和为 {row_actual}"
                f"（行：{leaf.short_label}，相差 {row_stated - row_actual:+d}）",
            )


# ---------------------------------------------------------------------------------------------------
# Table 四
# ---------------------------------------------------------------------------------------------------


@rule
def review_litigation_declared_totals(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """T4-1: a stated 总计 of each group equals 结果维持 + 结果纠正 + 其他结果 + 尚未审结."""
    layout = report.layout
    if not layout.has(RuleFamily.CASE_TOTALS):
        return
    for group in layout.case_groups:
        outcomes: CaseOutcomes = getattr(report.review_litigation, group.key)
        stated = _stated(outcomes.declared_total)
        if stated is None:
            continue
        parts = [leaf for leaf in group.children if leaf.kind is CellKind.INPUT]  # type: ignore[union-attr]
        if outcomes.total is None:
            paths = [f"review_litigation.{leaf.key}" for leaf in parts]
            yield from _not_assessable(layout, paths, report, f"{group.label}填写的总计")
        elif stated != outcomes.total:
            labels = " + ".join(leaf.label for leaf in parts)
            yield Finding(
                "review_litigation.declared_total",
                Severity.ERROR,
                _t4(layout, f"{group.key}.total"),
                f"填写的总计为 {stated}，而{labels} = {outcomes.total}"
                f"（{group.label}，相差 {stated - outcomes.total:+d}）",
            )


# ---------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------

_REPORT_SECTION = Section("report", REPORT_GROUP)
_SIGNED_ON = label_of("report.signed_on")
_PUBLISHED_ON = label_of("report.published_on")
_AGENCY_SECTION = Section("agency", AGENCY_GROUP)


def _deadline(report: AnnualReport) -> dt.date:
    deadline = report.layout.deadlines[report.agency.kind.value]
    return dt.date(report.year + 1, deadline.month, deadline.day)


def _plausible_year(report: AnnualReport) -> bool:
    """Date rules need a real year: one outside MIN_YEAR..MAX_YEAR is itself an error (report_year)."""
    return MIN_YEAR <= report.year <= MAX_YEAR


def _years(layout: ReportFormat) -> str:
    if layout.last_year is None:
        return f"自{layout.first_year}年度起适用"
    return f"适用于{layout.first_year}—{layout.last_year}年度"


@rule
def report_year(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """The year is a plausible reporting year, and the report's format is the one in force for it (the
    2019 trial format for 2019 and 2020, the 2021 format from 2021 on)."""
    loc = _section(_REPORT_SECTION, "report.year", label_of("report.year"))
    layout = report.layout
    if not _plausible_year(report):
        yield Finding(
            "report.year_implausible",
            Severity.ERROR,
            loc,
            f"报告年度 {report.year} 不合理，应为四位数年份（{MIN_YEAR}–{MAX_YEAR}），如 2021",
        )
        return
    in_force = formats.format_for_year(report.year)
    if not layout.serves(report.year) and in_force.id != layout.id:
        yield Finding(
            "report.format_year",
            Severity.WARNING,
            loc,
            f"{report.year}年度报告应使用{in_force.notice}规定的格式（{in_force.id}，{_years(in_force)}）；"
            f"本报告使用的是{layout.notice}的格式（{layout.id}，{_years(layout)}）",
        )


@rule
def signing_date(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """Signed (the date is filled in), after the reporting year ended (error otherwise) and by the legal
    deadline (warning)."""
    signed = report.report.signed_on
    loc = _section(_REPORT_SECTION, "report.signed_on", label_of("report.signed_on"))
    if signed is None:
        yield Finding(
            "dates.signed_missing",
            Severity.ERROR,
            loc,
            "未填写成文日期（落款日期）；请填写（数据文件中为 [report] 下的一行 signed_on = 2022-01-19）",
        )
        return
    if not _plausible_year(report):
        return
    if signed.year <= report.year:
        yield Finding(
            "dates.signed_too_early",
            Severity.ERROR,
            loc,
            f"成文日期为{format_date(signed)}，早于{report.year}年度结束（应在{report.year + 1}年1月1日或之后）；"
            f"是否误写了年份（应为{report.year + 1}年）？",
        )
        return
    deadline = _deadline(report)
    if signed > deadline:
        basis = report.layout.deadlines[report.agency.kind.value].basis
        late = (signed - deadline).days
        yield Finding(
            "dates.signed_late",
            Severity.WARNING,
            loc,
            f"{_SIGNED_ON}{format_date(signed)}晚于{report.agency.kind.label}年度报告的期限{format_date(deadline)}"
            f"（晚 {late} 天；{basis}）",
        )


@rule
def publication_date(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """Published not before signing (error) and by the deadline (warning)."""
    published = report.report.published_on
    if published is None or not _plausible_year(report):
        return
    loc = _section(_REPORT_SECTION, "report.published_on", label_of("report.published_on"))
    signed = report.report.signed_on
    if signed is not None and published < signed:
        yield Finding(
            "dates.published_before_signed",
            Severity.ERROR,
            loc,
            f"{_PUBLISHED_ON}{format_date(published)}早于{_SIGNED_ON}{format_date(signed)}"
            f"（早 {(signed - published).days} 天）",
        )
    elif (signed is None or signed.year > report.year) and published > _deadline(report):
        deadline = _deadline(report)
        yield Finding(
            "dates.published_late",
            Severity.WARNING,
            loc,
            f"{_PUBLISHED_ON}{format_date(published)}晚于{report.agency.kind.label}年度报告的期限{format_date(deadline)}"
            f"（晚 {(published - deadline).days} 天）",
        )


# ---------------------------------------------------------------------------------------------------
# Text sections
# ---------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _text_places(format_id: str, government: bool, every: bool) -> tuple[Location, ...]:
    """Where the texts of :func:`_required_texts` (``every``: of :func:`_texts`) are, in their order; made
    once per format and kind of agency (a Location is a value)."""
    layout = formats.get_format(format_id)
    places = [_section(layout.overview, f"overview.{sub.key}", sub.heading) for sub in layout.overview_subsections]
    if government:
        places.append(_section(layout.overview, f"overview.{layout.accountability.key}", layout.accountability.heading))
    places += [_section(layout.problems, "problems.text"), _section(layout.other, "other.text")]
    if every:
        if not government:
            places.append(_section(layout.overview, "overview.accountability", layout.accountability.heading))
        places.append(_section(layout.overview, "overview.intro", label_of("overview.intro")))
        places.append(_section(_REPORT_SECTION, "report.preamble", label_of("report.preamble")))
    return tuple(places)


def section_text(report: AnnualReport, field: str) -> str:
    """The text of ``report`` at a model path of its texts (``overview.proactive``, ``problems.text`` …)."""
    head, _, tail = field.partition(".")
    if head == "overview":
        text: str = getattr(report.overview, tail)
        return text
    if head == "report":
        return report.report.preamble
    return report.problems.text if head == "problems" else report.other.text


def _required_texts(report: AnnualReport) -> Iterator[tuple[Location, str]]:
    places = _text_places(report.format, report.agency.kind is AgencyKind.GOVERNMENT, False)
    for loc in places:
        yield loc, section_text(report, loc.field)


@rule
def texts_present(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """The agency has a name; the five topics of 一、总体情况 (and 考核/评议/追究 for people's governments), 五
    and 六 have text."""
    if not report.agency.name.strip():
        loc = _section(_AGENCY_SECTION, "agency.name", label_of("agency.name"))
        yield Finding("text.missing", Severity.ERROR, loc, "没有填写机关名称（落款所用全称），标题和落款都需要它")
    for loc, text in _required_texts(report):
        if not text.strip():
            what = loc.row or loc.section
            accountability = loc.field == "overview.accountability"
            extra = "（人民政府的年度报告须包括此项，见《条例》第五十条）" if accountability else ""
            yield Finding("text.missing", Severity.ERROR, loc, f"“{what}”没有内容{extra}")


def _all_texts(report: AnnualReport) -> Iterator[tuple[Location, str, bool]]:
    """Every text a person writes, with its location and whether it is a one-line name."""
    agency = report.agency
    yield _section(_AGENCY_SECTION, "agency.name", label_of("agency.name")), agency.name, True
    if agency.title_name is not None:
        yield _section(_AGENCY_SECTION, "agency.title_name", label_of("agency.title_name")), agency.title_name, True
    for loc, text in _texts(report):
        yield loc, text, False


@rule
def texts_not_placeholders(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """No text is still a placeholder: what ``reportkit init`` writes (（机关全称）), what the circulated
    blank template prints (（文字描述）) or a name still to be written (XX县, ××局)."""
    for loc, text, is_name in _all_texts(report):
        found = placeholder_in(text, name=is_name)
        if found is not None:
            what = loc.row or loc.section
            yield Finding(
                "text.placeholder",
                Severity.ERROR,
                loc,
                f"“{what}”仍是模板占位文字 {describe(found)}，请改为实际内容（{loc.field}）",
            )


_FEE_LABELS = "、".join(label_of(path) for path in FEE_FIELDS)


@rule
def fee_statement(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """Section 六 states the 信息处理费 of the year: as figures, or in its text (formats with a fee regime)."""
    layout = report.layout
    fee = layout.information_fee
    if not layout.has(RuleFamily.INFORMATION_FEES) or fee is None:
        return
    fees = report.other.information_fees
    loc = _section(layout.other, "other.information_fees", fee)
    if fees is None:
        if fee not in report.other.text:
            yield Finding(
                "fees.statement_missing",
                Severity.WARNING,
                loc,
                f"未说明本年度{fee}收取情况；请填写 information_fees（{_FEE_LABELS}），未收取时填 0",
            )
        return
    if fees.collected_yuan > fees.notified_yuan:
        yield Finding(
            "fees.collected_exceeds_notified",
            Severity.WARNING,
            loc,
            f"实收金额 {fees.collected_yuan} 元大于收费通知金额 {fees.notified_yuan} 元",
        )
    if fees.notices == 0 and fees.notified_yuan > 0:
        yield Finding(
            "fees.amount_without_notice",
            Severity.WARNING,
            loc,
            f"收费通知件数为 0，而通知金额为 {fees.notified_yuan} 元",
        )
    unpaid_key = "other_handling.unpaid_fee"
    if unpaid_key not in report.applications.rows:
        return
    unpaid = report.applications.row(unpaid_key).total
    if unpaid is not None and unpaid > fees.notices:
        yield Finding(
            "fees.unpaid_exceeds_notices",
            Severity.WARNING,
            _t3(layout, unpaid_key, "total"),
            f"因逾期未缴费不再处理的申请有 {unpaid} 件，多于发出的收费通知 {fees.notices} 件",
        )


# ---------------------------------------------------------------------------------------------------
# Against last year's report
# ---------------------------------------------------------------------------------------------------


_NAME_NOISE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]+")


def agency_key(name: str) -> str:
    """An agency name as compared across files: full-width and half-width forms alike (NFKC), white space
    and invisible characters removed, letters case-folded (``隆德县 财政局`` and ``隆德县财政局`` are one)."""
    return _NAME_NOISE.sub("", unicodedata.normalize("NFKC", name)).casefold()


@rule
def previous_year(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """Last year's report is of the year before and of the same agency."""
    if previous is None:
        return
    if agency_key(previous.agency.name) != agency_key(report.agency.name):
        yield Finding(
            "previous.other_agency",
            Severity.WARNING,
            _section(_REPORT_SECTION, "agency.name", label_of("agency.name")),
            f"用于对比的上年报告是“{previous.agency.name}”的，而本报告是“{report.agency.name}”的；"
            "跨年核对只在同一机关的两份报告之间才有意义。如系机关更名，可忽略此提醒，否则请换用本机关的上年报告",
        )
    if previous.year != report.year - 1:
        yield Finding(
            "previous.year_mismatch",
            Severity.WARNING,
            _section(_REPORT_SECTION, "report.year", label_of("report.year")),
            f"用于对比的上年报告是{previous.year}年度的，而本报告是{report.year}年度（应为{report.year - 1}年度）",
        )


@rule
def previous_carried_over(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """T3-6: this year's 二、上年结转 equals last year's 四、结转下年度继续办理, per column."""
    if previous is None:
        return
    layout = report.layout
    if not (layout.has(RuleFamily.CARRY_OVER) and previous.layout.has(RuleFamily.CARRY_OVER)):
        return
    this_row = report.applications.row("carried_over")
    last_row = previous.applications.row("carried_forward")
    carried = layout.applications_table.row("carried_over")
    forward = previous.layout.applications_table.row("carried_forward")
    for column in layout.applications_table.input_columns:
        now, before = this_row.get(column.key), last_row.get(column.key)
        if not isinstance(now, int) or not isinstance(before, int):
            if not isinstance(now, int):
                yield from _not_assessable(
                    layout, [f"applications.carried_over.{column.key}"], report, "与上年报告的结转数"
                )
            continue
        if now != before:
            yield Finding(
                "previous.carried_over",
                Severity.WARNING,
                _t3(layout, "carried_over", column.key),
                f"本年{carried.short_label}为 {now}，而上年报告{forward.short_label}为 {before}"
                f"（列：{column.label}，相差 {now - before:+d}）",
            )


def _same_format(report: AnnualReport, previous: AnnualReport | None, family: RuleFamily) -> bool:
    """Table 二 chains hold only between two reports of one format (its cells change meaning across formats)."""
    return previous is not None and previous.format == report.format and report.layout.has(family)


@frozen
class _Gap:
    """A cross-year chain of table 二 that does not hold: where, the value and the value the chain gives."""

    location: Location
    now: int
    expected: int
    label: str

    def message(self, formula: str) -> str:
        return f"{self.label}为 {self.now}，而{formula} = {self.expected}（相差 {self.now - self.expected:+d}）"


def _chain(
    report: AnnualReport, target: str, terms: tuple[tuple[int, AnnualReport, str], ...]
) -> _Gap | list[Finding] | None:
    """Whether ``target`` (this year) = the signed sum of ``terms``: None when it holds, the gap when not,
    the not-assessable findings when a cell it needs is blank."""
    layout = report.layout
    now = report.proactive.value(target)
    values = [(sign, source.proactive.value(key)) for sign, source, key in terms]
    spec = spec_of(layout, f"proactive.{target}")
    if not isinstance(now, int) or not all(isinstance(v, int) for _, v in values):
        own = [f"proactive.{target}"] + [f"proactive.{key}" for _, source, key in terms if source is report]
        return list(_not_assessable(layout, own, report, f"{spec.column_label}与上年报告的衔接"))
    expected = sum(sign * v for sign, v in values if isinstance(v, int))
    return None if now == expected else _Gap(_at(spec), now, expected, spec.column_label)


@rule
def previous_in_force(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """2021 format: 现行有效件数 = last year's + 本年制发件数 − 本年废止件数, for 规章 and 行政规范性文件."""
    if previous is None or not _same_format(report, previous, RuleFamily.DOCUMENTS_IN_FORCE_CHAIN):
        return
    block = report.layout.proactive_blocks[0]
    issued, repealed, in_force = block.columns
    formula = f"上年{in_force.label} + {issued.label} − {repealed.label}"
    for leaf in block.rows:
        key = block.cell_key
        terms = ((1, previous, key(leaf, in_force)), (1, report, key(leaf, issued)), (-1, report, key(leaf, repealed)))
        gap = _chain(report, key(leaf, in_force), terms)
        if isinstance(gap, _Gap):
            yield Finding("previous.in_force", Severity.WARNING, gap.location, gap.message(formula))
        elif gap:
            yield from gap


def _published_columns(layout: ReportFormat) -> Iterator[tuple[ProactiveBlock, Leaf, Column, Column]]:
    for block in layout.proactive_blocks:
        columns = {column.key: column for column in block.columns}
        if "published" in columns and "published_total" in columns:
            for row in block.rows:
                yield block, row, columns["published"], columns["published_total"]


def _column_chain(
    report: AnnualReport,
    previous: AnnualReport | None,
    family: RuleFamily,
    target_key: str,
    step_key: str,
    step_from_previous: bool,
    formula: str,
) -> Iterator[Finding | tuple[Location, str]]:
    """The 2019 table-二 chains: ``target`` (this year) = last year's ``target`` + ``step`` (of this year's
    report, or of last year's when ``step_from_previous``), in every block that has both columns.

    ``formula`` names the sum in the message, with ``{target}`` and ``{step}`` for the column labels. Yields
    the place and message of each gap (the caller names the finding's code) or the not-assessable findings.
    """
    if previous is None or not _same_format(report, previous, family):
        return
    step_source = previous if step_from_previous else report
    for block in report.layout.proactive_blocks:
        columns = {column.key: column for column in block.columns}
        if target_key not in columns or step_key not in columns:
            continue
        target, step = columns[target_key], columns[step_key]
        text = formula.format(target=target.label, step=step.label)
        for row in block.rows:
            key = block.cell_key
            terms = ((1, previous, key(row, target)), (1, step_source, key(row, step)))
            gap = _chain(report, key(row, target), terms)
            if isinstance(gap, _Gap):
                yield gap.location, gap.message(text)
            elif gap:
                yield from gap


@rule
def previous_published_total(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """2019 format: 对外公开总数量 = last year's 对外公开总数量 + 本年新公开数量 (a cumulative count)."""
    family = RuleFamily.CUMULATIVE_PUBLISHED_CHAIN
    for gap in _column_chain(report, previous, family, "published_total", "published", False, "上年{target} + {step}"):
        yield gap if isinstance(gap, Finding) else Finding("previous.published_total", Severity.WARNING, *gap)


@rule
def previous_items(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """2019 format: 上一年项目数量 = last year's 上一年项目数量 + last year's 本年增/减, for every row with both."""
    family = RuleFamily.ITEMS_CHAIN
    formula = "上年报告的{target} + {step}"
    for gap in _column_chain(report, previous, family, "items_last_year", "items_change", True, formula):
        yield gap if isinstance(gap, Finding) else Finding("previous.items_last_year", Severity.WARNING, *gap)


_NOISE = re.compile(r"[\s\d０-９一二三四五六七八九十〇零年月日，。、；：！？“”‘’（）()《》,.;:!?\"'\-—]+")


#: The full-width punctuation of Chinese prose, each with its compatibility decomposition (one ASCII
#: character). With these replaced first (str.replace: a fast scan), a text is mostly NFKC already and
#: unicodedata.normalize returns after its quick check instead of decomposing and recomposing every character
#: (about ten times faster). The result is the same: NFKC(s) = NFC(NFKD(s)), and NFKD(s) does not change when
#: a character is replaced by its own full decomposition.
_WIDE_PUNCTUATION = (
    ("，", ","),
    ("；", ";"),
    ("：", ":"),
    ("（", "("),
    ("）", ")"),
    ("！", "!"),
    ("？", "?"),
    ("\u3000", " "),
)


def _nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, faster on Chinese text."""
    for wide, narrow in _WIDE_PUNCTUATION:
        text = text.replace(wide, narrow)
    return unicodedata.normalize("NFKC", text)


def _strip_noise(text: str) -> str:
    """Text without white space, punctuation and numbers, so a copy with a new year still matches."""
    return _NOISE.sub("", _nfkc(text))


#: Texts up to this many characters are remembered by :func:`_normalized` (a section is rarely a tenth of
#: it); a longer one is normalised again. At most 32 texts (a report's and its previous one's are 20): a
#: few megabytes at worst.
_CACHED_TEXT_CHARS = 20_000


@functools.lru_cache(maxsize=32)
def _normalized_cached(text: str) -> str:
    return _strip_noise(text)


def _normalized(text: str) -> str:
    """:func:`_strip_noise` of a whole section's text. The last ones are remembered: ``previous.text_copied``
    here and the evaluators' similarity rules normalise the same texts of a report and its previous one."""
    return _normalized_cached(text) if len(text) <= _CACHED_TEXT_CHARS else _strip_noise(text)


#: Texts shorter than this (after normalisation) are too short to call a copy (e.g. "无").
MIN_COPY_LENGTH = 20


def _texts(report: AnnualReport) -> Iterator[tuple[Location, str]]:
    """The texts of :func:`_required_texts`, then 考核、评议和追究 (of an agency not a people's government),
    the lead paragraph and the opening paragraphs."""
    places = _text_places(report.format, report.agency.kind is AgencyKind.GOVERNMENT, True)
    for loc in places:
        yield loc, section_text(report, loc.field)


@rule
def previous_text_copied(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """No text section repeats last year's (内容雷同 is a fault the notice names)."""
    if previous is None:
        return
    last = {loc.field: _normalized(text) for loc, text in _texts(previous)}
    for loc, text in _texts(report):
        now = _normalized(text)
        if len(now) >= MIN_COPY_LENGTH and last.get(loc.field) == now:
            what = loc.row or loc.section
            yield Finding(
                "previous.text_copied",
                Severity.WARNING,
                loc,
                f"“{what}”与上年报告相同（仅年份、数字或标点不同）；{report.layout.notice}将内容雷同列为应当纠正的问题",
            )
