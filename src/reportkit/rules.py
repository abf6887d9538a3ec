"""Rule checks: the 勾稽关系 of the official tables, the legal dates and what the text must contain.

:func:`check` reads a report (and optionally last year's) and returns every finding at once. A finding
has a stable English ``code`` (``applications.balance``), a severity, a location a person can find
(section heading, row label, column label, and the model path in ``field``) and a Chinese message
that says what is wrong and by how much. Rules only read the model; labels come from the format module.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from collections.abc import Callable, Iterator
from decimal import Decimal

from attrs import frozen

from reportkit.formats import gov2021 as fmt
from reportkit.formats.layout import CellKind, Section, label_path
from reportkit.model import AgencyKind, AnnualReport, CaseOutcomes
from reportkit.values import MAX_COUNT, MAX_YEAR, MIN_YEAR, describe, format_date, placeholder_in

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
    return findings


def errors(findings: list[Finding]) -> list[Finding]:
    """The findings of severity error."""
    return [f for f in findings if f.severity is Severity.ERROR]


# ---------------------------------------------------------------------------------------------------
# Helpers: locations from the format
# ---------------------------------------------------------------------------------------------------

_TABLE3 = fmt.APPLICATIONS_TABLE
_TABLE4 = fmt.REVIEW_LITIGATION_TABLE


def _row_label(key: str) -> str:
    return "".join(label_path(_TABLE3.rows, key))


def _t3(row: str, column: str = "") -> Location:
    column_label = _TABLE3.column(column).label if column else ""
    field = f"applications.{row}" + (f".{column}" if column else "")
    return Location(fmt.APPLICATIONS.heading, _row_label(row), column_label, field)


def _t4(key: str) -> Location:
    labels = label_path(_TABLE4.columns, key)
    return Location(fmt.REVIEW_LITIGATION.heading, "", "".join(labels), f"review_litigation.{key}")


def _section(section: Section, field: str, row: str = "") -> Location:
    return Location(section.heading, row, "", field)


# ---------------------------------------------------------------------------------------------------
# Values: non-negative whole numbers, plausible sizes
# ---------------------------------------------------------------------------------------------------


def _count_cells(report: AnnualReport) -> Iterator[tuple[Location, int | Decimal]]:
    """Every count a person fills in, with its location (declared totals included)."""
    for block in fmt.PROACTIVE_BLOCKS:
        for leaf in block.rows:
            for column in block.columns:
                key = block.cell_key(leaf, column)
                column_label = column.label if len(block.columns) > 1 else ""
                loc = Location(fmt.PROACTIVE.heading, f"{block.title} {leaf.label}", column_label, f"proactive.{key}")
                yield loc, report.proactive.value(key)
    for leaf in _TABLE3.row_leaves:
        row = report.applications.declared_total if leaf.kind is CellKind.TOTAL else report.applications.row(leaf.key)
        if row is None:
            continue
        for applicant in _TABLE3.input_columns:
            yield _t3(leaf.key, applicant.key), getattr(row, applicant.key)
        if row.declared_total is not None:
            yield _t3(leaf.key, "total"), row.declared_total
    for leaf in _TABLE4.column_leaves:
        group, _, outcome = leaf.key.partition(".")
        outcomes: CaseOutcomes = getattr(report.review_litigation, group)
        value = outcomes.declared_total if leaf.kind is CellKind.TOTAL else getattr(outcomes, outcome)
        if value is not None:
            yield _t4(leaf.key), value
    fees = report.other.information_fees
    if fees is not None:
        yield _section(fmt.OTHER, "other.information_fees.notices", "收费通知件数"), fees.notices
        yield _section(fmt.OTHER, "other.information_fees.notified_yuan", "通知金额（元）"), fees.notified_yuan
        yield _section(fmt.OTHER, "other.information_fees.collected_yuan", "实收金额（元）"), fees.collected_yuan


@rule
def values_valid(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """Counts and amounts are non-negative and none implausibly large (the model already holds only
    whole numbers and bounded Decimals)."""
    for loc, value in _count_cells(report):
        if value < 0:
            yield Finding("value.negative", Severity.ERROR, loc, f"数值不能为负数，而填的是 {describe(value)}")
        elif value > MAX_COUNT:
            yield Finding(
                "value.implausible",
                Severity.ERROR,
                loc,
                f"数值 {describe(value)} 超过合理范围，请检查是否多输了数字",
            )


# ---------------------------------------------------------------------------------------------------
# Table 三
# ---------------------------------------------------------------------------------------------------


@rule
def applications_balance(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """T3-1, the 勾稽关系 of the header note: 一 + 二 = （七）总计 + 四, for every column."""
    apps = report.applications
    inflow_rows = [_TABLE3.row(k) for k in fmt.BALANCE_INFLOW]
    outflow_rows = [_TABLE3.row(k) for k in fmt.BALANCE_OUTFLOW]
    for column in _TABLE3.column_leaves:
        inflow = sum(apps.cell(r.key, column.key) for r in inflow_rows)
        outflow = sum(apps.cell(r.key, column.key) for r in outflow_rows)
        if inflow != outflow:
            left = " + ".join(r.short_label for r in inflow_rows)
            right = " + ".join(r.short_label for r in outflow_rows)
            diff = inflow - outflow
            yield Finding(
                "applications.balance",
                Severity.ERROR,
                Location(fmt.APPLICATIONS.heading, "", column.label, f"applications.*.{column.key}"),
                f"{left} = {inflow}，而{right} = {outflow}（列：{column.label}，相差 {diff:+d}）",
            )


@rule
def applications_declared_totals(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """A 总计 that the input stated must equal the computed one (the column 总计 of each row, and the
    （七）总计 row)."""
    apps = report.applications
    computed_total = apps.total
    for leaf in _TABLE3.row_leaves:
        if leaf.kind is CellKind.TOTAL:
            declared = apps.declared_total
            if declared is None:
                continue
            for column in _TABLE3.input_columns:
                stated, actual = getattr(declared, column.key), computed_total.get(column.key)
                if stated != actual:
                    yield Finding(
                        "applications.declared_total",
                        Severity.ERROR,
                        _t3(leaf.key, column.key),
                        f"填写的{leaf.label}为 {stated}，而各办理结果之和为 {actual}"
                        f"（列：{column.label}，相差 {stated - actual:+d}）",
                    )
            row_stated = declared.declared_total
            row_actual = computed_total.total
        else:
            row = apps.row(leaf.key)
            row_stated, row_actual = row.declared_total, row.total
        if row_stated is not None and row_stated != row_actual:
            yield Finding(
                "applications.declared_total",
                Severity.ERROR,
                _t3(leaf.key, "total"),
                f"填写的总计为 {row_stated}，而六类申请人之和为 {row_actual}"
                f"（行：{leaf.short_label}，相差 {row_stated - row_actual:+d}）",
            )


# ---------------------------------------------------------------------------------------------------
# Table 四
# ---------------------------------------------------------------------------------------------------


@rule
def review_litigation_declared_totals(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """T4-1: a stated 总计 of each group equals 结果维持 + 结果纠正 + 其他结果 + 尚未审结."""
    for group in fmt.CASE_GROUPS:
        outcomes: CaseOutcomes = getattr(report.review_litigation, group.key)
        if outcomes.declared_total is not None and outcomes.declared_total != outcomes.total:
            parts = " + ".join(leaf.label for leaf in group.children if leaf.kind is CellKind.INPUT)  # type: ignore[union-attr]
            yield Finding(
                "review_litigation.declared_total",
                Severity.ERROR,
                _t4(f"{group.key}.total"),
                f"填写的总计为 {outcomes.declared_total}，而{parts} = {outcomes.total}"
                f"（{group.label}，相差 {outcomes.declared_total - outcomes.total:+d}）",
            )


# ---------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------

_REPORT_SECTION = Section("report", "报告信息")
_AGENCY_SECTION = Section("agency", "发布机关")


def _deadline(report: AnnualReport) -> dt.date:
    deadline = fmt.DEADLINES[report.agency.kind.value]
    return dt.date(report.year + 1, deadline.month, deadline.day)


def _plausible_year(report: AnnualReport) -> bool:
    """Date rules need a real year: one outside MIN_YEAR..MAX_YEAR is itself an error (report_year)."""
    return MIN_YEAR <= report.year <= MAX_YEAR


@rule
def report_year(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """The year is a plausible reporting year; the 2021 format serves reports for 2021 onward (2019 and
    2020 used the trial format)."""
    loc = _section(_REPORT_SECTION, "report.year", "报告年度")
    if not _plausible_year(report):
        yield Finding(
            "report.year_implausible",
            Severity.ERROR,
            loc,
            f"报告年度 {report.year} 不合理，应为四位数年份（{MIN_YEAR}–{MAX_YEAR}），如 2021",
        )
    elif report.year < fmt.FIRST_YEAR:
        yield Finding(
            "report.format_year",
            Severity.WARNING,
            loc,
            f"{report.year}年度报告应使用2019年试行格式（国办公开办函〔2019〕60号）；本格式（{fmt.NOTICE}）自{fmt.FIRST_YEAR}年度起适用",
        )


@rule
def signing_date(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """Signed (the date is filled in), after the reporting year ended (error otherwise) and by the legal
    deadline (warning)."""
    signed = report.report.signed_on
    loc = _section(_REPORT_SECTION, "report.signed_on", "成文日期")
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
        basis = fmt.DEADLINES[report.agency.kind.value].basis
        late = (signed - deadline).days
        yield Finding(
            "dates.signed_late",
            Severity.WARNING,
            loc,
            f"成文日期{format_date(signed)}晚于{report.agency.kind.label}年度报告的期限{format_date(deadline)}"
            f"（晚 {late} 天；{basis}）",
        )


@rule
def publication_date(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """Published not before signing (error) and by the deadline (warning)."""
    published = report.report.published_on
    if published is None or not _plausible_year(report):
        return
    loc = _section(_REPORT_SECTION, "report.published_on", "公布日期")
    signed = report.report.signed_on
    if signed is not None and published < signed:
        yield Finding(
            "dates.published_before_signed",
            Severity.ERROR,
            loc,
            f"公布日期{format_date(published)}早于成文日期{format_date(signed)}（早 {(signed - published).days} 天）",
        )
    elif (signed is None or signed.year > report.year) and published > _deadline(report):
        deadline = _deadline(report)
        yield Finding(
            "dates.published_late",
            Severity.WARNING,
            loc,
            f"公布日期{format_date(published)}晚于{report.agency.kind.label}年度报告的期限{format_date(deadline)}"
            f"（晚 {(published - deadline).days} 天）",
        )


# ---------------------------------------------------------------------------------------------------
# Text sections
# ---------------------------------------------------------------------------------------------------


def _required_texts(report: AnnualReport) -> Iterator[tuple[Location, str]]:
    for sub in fmt.OVERVIEW_SUBSECTIONS:
        yield _section(fmt.OVERVIEW, f"overview.{sub.key}", sub.heading), getattr(report.overview, sub.key)
    if report.agency.kind is AgencyKind.GOVERNMENT:
        sub = fmt.ACCOUNTABILITY
        yield _section(fmt.OVERVIEW, f"overview.{sub.key}", sub.heading), report.overview.accountability
    yield _section(fmt.PROBLEMS, "problems.text"), report.problems.text
    yield _section(fmt.OTHER, "other.text"), report.other.text


@rule
def texts_present(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """The agency has a name; the five topics of 一、总体情况 (and 考核/评议/追究 for people's governments), 五
    and 六 have text."""
    if not report.agency.name.strip():
        loc = _section(_AGENCY_SECTION, "agency.name", "机关名称")
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
    yield _section(_AGENCY_SECTION, "agency.name", "机关名称"), agency.name, True
    if agency.title_name is not None:
        yield _section(_AGENCY_SECTION, "agency.title_name", "标题中的机关名称"), agency.title_name, True
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


@rule
def fee_statement(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """Section 六 states the 信息处理费 of the year: as figures, or in its text."""
    fees = report.other.information_fees
    loc = _section(fmt.OTHER, "other.information_fees", fmt.INFORMATION_FEE)
    if fees is None:
        if fmt.INFORMATION_FEE not in report.other.text:
            yield Finding(
                "fees.statement_missing",
                Severity.WARNING,
                loc,
                f"未说明本年度{fmt.INFORMATION_FEE}收取情况；"
                "请填写 information_fees（收费通知件数、通知金额、实收金额），未收取时填 0",
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
    unpaid = report.applications.row("other_handling.unpaid_fee").total
    if unpaid > fees.notices:
        yield Finding(
            "fees.unpaid_exceeds_notices",
            Severity.WARNING,
            _t3("other_handling.unpaid_fee", "total"),
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
            _section(_REPORT_SECTION, "agency.name", "机关名称"),
            f"用于对比的上年报告是“{previous.agency.name}”的，而本报告是“{report.agency.name}”的；"
            "跨年核对只在同一机关的两份报告之间才有意义。如系机关更名，可忽略此提醒，否则请换用本机关的上年报告",
        )
    if previous.year != report.year - 1:
        yield Finding(
            "previous.year_mismatch",
            Severity.WARNING,
            _section(_REPORT_SECTION, "report.year", "报告年度"),
            f"用于对比的上年报告是{previous.year}年度的，而本报告是{report.year}年度（应为{report.year - 1}年度）",
        )


@rule
def previous_carried_over(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """T3-6: this year's 二、上年结转 equals last year's 四、结转下年度继续办理, per column."""
    if previous is None:
        return
    this_row = report.applications.carried_over
    last_row = previous.applications.carried_forward
    carried = _TABLE3.row("carried_over")
    forward = _TABLE3.row("carried_forward")
    for column in _TABLE3.input_columns:
        now, before = this_row.get(column.key), last_row.get(column.key)
        if now != before:
            yield Finding(
                "previous.carried_over",
                Severity.WARNING,
                _t3("carried_over", column.key),
                f"本年{carried.short_label}为 {now}，而上年报告{forward.short_label}为 {before}"
                f"（列：{column.label}，相差 {now - before:+d}）",
            )


@rule
def previous_in_force(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """现行有效件数 = last year's + 本年制发件数 − 本年废止件数, for 规章 and 行政规范性文件."""
    if previous is None:
        return
    block = fmt.PROACTIVE_BLOCKS[0]
    issued, repealed, in_force = block.columns
    for leaf in block.rows:
        now = report.proactive.value(block.cell_key(leaf, in_force))
        expected = (
            previous.proactive.value(block.cell_key(leaf, in_force))
            + report.proactive.value(block.cell_key(leaf, issued))
            - report.proactive.value(block.cell_key(leaf, repealed))
        )
        if now != expected:
            yield Finding(
                "previous.in_force",
                Severity.WARNING,
                Location(
                    fmt.PROACTIVE.heading,
                    f"{block.title} {leaf.label}",
                    in_force.label,
                    f"proactive.{block.cell_key(leaf, in_force)}",
                ),
                f"{in_force.label}为 {now}，而上年{in_force.label} + {issued.label} − {repealed.label} = {expected}"
                f"（相差 {now - expected:+d}）",
            )


_NOISE = re.compile(r"[\s\d０-９一二三四五六七八九十〇零年月日，。、；：！？“”‘’（）()《》,.;:!?\"'\-—]+")


def _normalized(text: str) -> str:
    """Text without white space, punctuation and numbers, so a copy with a new year still matches."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text))


#: Texts shorter than this (after normalisation) are too short to call a copy (e.g. "无").
MIN_COPY_LENGTH = 20


def _texts(report: AnnualReport) -> Iterator[tuple[Location, str]]:
    yield from _required_texts(report)
    if report.agency.kind is not AgencyKind.GOVERNMENT:
        loc = _section(fmt.OVERVIEW, "overview.accountability", fmt.ACCOUNTABILITY.heading)
        yield loc, report.overview.accountability
    yield _section(fmt.OVERVIEW, "overview.intro", "概述"), report.overview.intro
    yield _section(_REPORT_SECTION, "report.preamble", "开篇说明"), report.report.preamble


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
                f"“{what}”与上年报告相同（仅年份、数字或标点不同）；{fmt.NOTICE}将内容雷同列为应当纠正的问题",
            )
