"""One test per rule and per finding code: a clean report with one thing broken.

Each test asserts the finding is there (so it fails when the rule is removed) with its exact code,
severity and location, and that the message says by how much. The clean reports are asserted clean.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

import reportkit
from reportkit import AgencyKind, AnnualReport, ApplicantCounts, CaseOutcomes, InformationFees, check, load
from reportkit.errors import ModelError
from reportkit.field_labels import FEE_FIELDS, label_of
from reportkit.formats import gov2021 as fmt
from reportkit.formats.layout import label_path
from reportkit.rules import RULES, Finding, Location, Severity, errors
from reportkit.values import Blank
from strategies import report_with_all_distinct_numbers

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "longde-chengguan-2021.toml"

T3 = fmt.APPLICATIONS_TABLE
S3 = fmt.APPLICATIONS.heading
S4 = fmt.REVIEW_LITIGATION.heading
REPORT = "报告信息"

ERROR, WARNING = Severity.ERROR, Severity.WARNING


# ---------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------


def clean() -> AnnualReport:
    """A department's valid report with every input cell different."""
    return report_with_all_distinct_numbers()


@functools.cache
def example() -> AnnualReport:
    return load(EXAMPLE)


TRIAL_EXAMPLE = ROOT / "examples" / "trial-format-2020.toml"
TRIAL = "gov-info-annual-report/2019"


@functools.cache
def trial() -> AnnualReport:
    """The 2019-format example: a department's valid 2020 report with figures in every table."""
    return load(TRIAL_EXAMPLE)


#: A clean report of each format, for the rules that every format has.
BASES = {"2021": clean, "2019": trial}
base_reports = pytest.mark.parametrize("base", list(BASES.values()), ids=list(BASES))


def zero_report(kind: AgencyKind = AgencyKind.DEPARTMENT) -> AnnualReport:
    """A valid report with all figures zero (like the real 2021 township report)."""
    r = example()
    deadline = fmt.DEADLINES[kind.value]
    return evolve(
        r,
        agency=attrs.evolve(r.agency, kind=kind),
        report=attrs.evolve(r.report, signed_on=dt.date(2022, deadline.month, deadline.day), published_on=None),
        overview=attrs.evolve(r.overview, accountability="考核、评议和追究情况。"),
    )


def evolve(obj: Any, **changes: Any) -> Any:
    return attrs.evolve(obj, **changes)


def with_path(report: AnnualReport, path: str, value: Any) -> AnnualReport:
    """A copy of ``report`` with the attribute at the dotted ``path`` replaced."""
    head, _, rest = path.partition(".")
    if not rest:
        return attrs.evolve(report, **{head: value})
    return attrs.evolve(report, **{head: with_path(getattr(report, head), rest, value)})


def set_cell(report: AnnualReport, row: str, column: str, value: Any) -> AnnualReport:
    return with_path(report, f"applications.{row}.{column}", value)


def only(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def one(findings: list[Finding], code: str) -> Finding:
    matching = only(findings, code)
    assert len(matching) == 1, findings
    return matching[0]


def row_label(key: str) -> str:
    return "".join(label_path(T3.rows, key))


@pytest.fixture(autouse=True)
def _clean_bases_are_clean() -> None:
    assert check(clean()) == []
    for kind in AgencyKind:
        assert check(zero_report(kind)) == [], kind


# ---------------------------------------------------------------------------------------------------
# The real report
# ---------------------------------------------------------------------------------------------------


def test_the_example_as_shipped_has_no_findings() -> None:
    assert check(load(EXAMPLE)) == []


def test_the_real_report_as_printed_is_signed_too_early_and_nothing_else() -> None:
    # The foot of ../shared/reference/longde-chengguan-2021.txt prints 2021年1月19日.
    report = load(EXAMPLE)
    printed = with_path(report, "report.signed_on", dt.date(2021, 1, 19))
    findings = check(printed)
    assert [(f.code, f.severity) for f in findings] == [("dates.signed_too_early", ERROR)]
    (finding,) = findings
    assert finding.location == Location(REPORT, "成文日期", "", "report.signed_on")
    assert "2021年1月19日" in finding.message
    assert "2022年" in finding.message


# ---------------------------------------------------------------------------------------------------
# value.*
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["3", 3.5, True, None, Decimal("2")])
def test_a_count_that_is_not_an_int_cannot_be_built(bad: object) -> None:
    # value.not_number was a finding; the model now refuses such a value when the object is made.
    with pytest.raises(ModelError) as caught:
        set_cell(clean(), "withheld.state_secret", "business", bad)
    (problem,) = caught.value.problems
    assert problem.where == "ApplicantCounts.business" and "应为整数（int）" in problem.message


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), 1.5, "12", 12])
def test_an_amount_that_is_not_a_finite_decimal_cannot_be_built(bad: object) -> None:
    with pytest.raises(ModelError) as caught:
        with_path(clean(), "proactive.fees_wan_yuan", bad)
    (problem,) = caught.value.problems
    assert problem.where == "ProactiveDisclosure.fees_wan_yuan" and "金额" in problem.message


def test_value_negative() -> None:
    report = set_cell(clean(), "new", "research", -2)
    finding = one(check(report), "value.negative")
    assert finding.severity is ERROR
    assert finding.location == Location(S3, "一、本年新收政府信息公开申请数量", "科研机构", "applications.new.research")
    assert "-2" in finding.message


def test_value_negative_amount() -> None:
    report = with_path(clean(), "other.information_fees.collected_yuan", Decimal("-0.01"))
    finding = one(check(report), "value.negative")
    assert finding.location.field == "other.information_fees.collected_yuan"
    assert "-0.01" in finding.message


def test_value_implausible() -> None:
    report = with_path(clean(), "proactive.penalty", 10**9 + 1)
    finding = one(check(report), "value.implausible")
    assert finding.severity is ERROR
    assert finding.location == Location(fmt.PROACTIVE.heading, "第二十条第（六）项 行政处罚", "", "proactive.penalty")
    assert str(10**9 + 1) in finding.message


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("applications.new.declared_total", -3, "applications.new.total"),
        ("applications.declared_total", ApplicantCounts(business=-3), "applications.total.business"),
        ("review_litigation.review.pending", -3, "review_litigation.review.pending"),
        ("review_litigation.litigation_direct.declared_total", -3, "review_litigation.litigation_direct.total"),
        ("proactive.licensing", -3, "proactive.licensing"),
        ("proactive.fees_wan_yuan", Decimal("-0.5"), "proactive.fees_wan_yuan"),
    ],
)
def test_a_negative_number_is_found_in_any_cell(path: str, value: Any, field: str) -> None:
    report = with_path(clean(), path, value)
    assert [f.location.field for f in check(report) if f.code == "value.negative"] == [field]


def test_every_number_of_the_cells_is_among_the_table_numbers() -> None:
    from collections import Counter

    from reportkit.cells import input_cells
    from reportkit.rules import _table_numbers

    for report in (clean(), example(), load(TRIAL_EXAMPLE)):
        numbers = Counter(v for v in input_cells(report).values() if isinstance(v, int | Decimal))
        assert numbers <= Counter(_table_numbers(report))


# ---------------------------------------------------------------------------------------------------
# applications.balance
# ---------------------------------------------------------------------------------------------------


def test_balance_example_of_the_issue() -> None:
    # 一 + 二 = 3 + 2 = 5 but （七）总计 + 四 = 4 + 0 = 4 in the 自然人 column (and so in 总计).
    report = zero_report()
    report = set_cell(report, "new", "natural_person", 3)
    report = set_cell(report, "carried_over", "natural_person", 2)
    report = set_cell(report, "disclosed", "natural_person", 4)
    findings = check(report)
    assert [f.code for f in findings] == ["applications.balance", "applications.balance"]
    person, total = findings
    assert person.severity is ERROR
    assert person.location == Location(S3, "", "自然人", "applications.*.natural_person")
    assert person.message == "一、本年新收 + 二、上年结转 = 5，而（七）总计 + 四、结转下年度 = 4（列：自然人，相差 +1）"
    assert total.location == Location(S3, "", "总计", "applications.*.total")
    assert "= 5" in total.message and "= 4" in total.message and "总计" in total.message


@base_reports
@pytest.mark.parametrize("row", ["new", "carried_over", "last outcome", "carried_forward"])
def test_balance_every_row_counts(base: Any, row: str) -> None:
    report = base()
    assert check(report) == []
    if row == "last outcome":  # 2021: （六）3.其他; 2019: the one row （六）其他处理
        row = report.applications.outcome_keys[-1]
    before = report.applications.cell(row, "legal_service")
    findings = check(with_row_cell(report, row, "legal_service", before + 3))
    columns = [f.location.column for f in only(findings, "applications.balance")]
    assert columns == ["法律服务机构", "总计"]
    sign = "+3" if row in report.layout.balance_inflow else "-3"
    assert f"相差 {sign}" in only(findings, "applications.balance")[0].message


def with_row_cell(report: AnnualReport, row: str, column: str, value: Any) -> AnnualReport:
    """``report`` with one cell of table 三 replaced, the row given by its format key."""
    apps = report.applications
    return attrs.evolve(report, applications=apps.with_row(row, attrs.evolve(apps.row(row), **{column: value})))


# ---------------------------------------------------------------------------------------------------
# applications.declared_total
# ---------------------------------------------------------------------------------------------------


@base_reports
def test_declared_row_total(base: Any) -> None:
    report = base()
    row = report.applications.disclosed
    report = set_cell(report, "disclosed", "declared_total", row.total + 2)
    finding = one(check(report), "applications.declared_total")
    assert finding.severity is ERROR
    assert finding.location == Location(S3, "三、本年度办理结果（一）予以公开", "总计", "applications.disclosed.total")
    assert str(row.total + 2) in finding.message and str(row.total) in finding.message
    assert "+2" in finding.message


def test_declared_row_total_that_is_right_is_quiet() -> None:
    report = clean()
    report = set_cell(report, "new", "declared_total", report.applications.new.total)
    assert check(report) == []


@base_reports
def test_declared_outcome_total_row(base: Any) -> None:
    report = base()
    total = report.applications.total
    stated = attrs.evolve(total, public_interest=total.public_interest - 1, declared_total=total.total)
    report = with_path(report, "applications.declared_total", stated)
    findings = check(report)
    finding = one(findings, "applications.declared_total")
    assert finding.location == Location(
        S3, "三、本年度办理结果（七）总计", "社会公益组织", "applications.total.public_interest"
    )
    assert finding.message == (
        f"填写的（七）总计为 {total.public_interest - 1}，而各办理结果之和为 {total.public_interest}"
        "（列：社会公益组织，相差 -1）"
    )


def test_declared_outcome_total_of_the_total_column() -> None:
    report = clean()
    total = report.applications.total
    report = with_path(report, "applications.declared_total", attrs.evolve(total, declared_total=total.total + 5))
    finding = one(check(report), "applications.declared_total")
    assert finding.location == Location(S3, "三、本年度办理结果（七）总计", "总计", "applications.total.total")
    assert "+5" in finding.message


# ---------------------------------------------------------------------------------------------------
# review_litigation.declared_total
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "column"),
    [
        ("review", "行政复议总计"),
        ("litigation_direct", "行政诉讼未经复议直接起诉总计"),
        ("litigation_after_review", "行政诉讼复议后起诉总计"),
    ],
)
@base_reports
def test_review_litigation_declared_total(base: Any, group: str, column: str) -> None:
    report = base()
    outcomes: CaseOutcomes = getattr(report.review_litigation, group)
    report = with_path(report, f"review_litigation.{group}.declared_total", outcomes.total - 4)
    finding = one(check(report), "review_litigation.declared_total")
    assert finding.severity is ERROR
    assert finding.location == Location(S4, "", column, f"review_litigation.{group}.total")
    assert str(outcomes.total - 4) in finding.message and str(outcomes.total) in finding.message
    assert "相差 -4" in finding.message
    assert "结果维持 + 结果纠正 + 其他结果 + 尚未审结" in finding.message


def test_review_litigation_right_total_is_quiet() -> None:
    report = clean()
    report = with_path(report, "review_litigation.review.declared_total", report.review_litigation.review.total)
    assert check(report) == []


# ---------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------


def test_report_format_year() -> None:
    report = with_path(clean(), "report.year", 2020)
    report = with_path(report, "report.signed_on", dt.date(2021, 1, 20))
    report = with_path(report, "report.published_on", None)
    finding = one(check(report), "report.format_year")
    assert finding.severity is WARNING
    assert finding.location == Location(REPORT, "报告年度", "", "report.year")
    assert "2020" in finding.message and "2021" in finding.message


@pytest.mark.parametrize(
    ("kind", "deadline"),
    [
        (AgencyKind.GOVERNMENT, dt.date(2022, 3, 31)),
        (AgencyKind.DEPARTMENT, dt.date(2022, 1, 31)),
        (AgencyKind.TOWNSHIP, dt.date(2022, 1, 31)),
        (AgencyKind.SUBDISTRICT, dt.date(2022, 1, 31)),
    ],
)
def test_signing_window_per_agency_kind(kind: AgencyKind, deadline: dt.date) -> None:
    base = zero_report(kind)
    for quiet in (dt.date(2022, 1, 1), deadline):
        assert check(with_path(base, "report.signed_on", quiet)) == [], quiet
    late = check(with_path(base, "report.signed_on", deadline + dt.timedelta(days=3)))
    assert [(f.code, f.severity) for f in late] == [("dates.signed_late", WARNING)]
    assert late[0].location == Location(REPORT, "成文日期", "", "report.signed_on")
    assert "晚 3 天" in late[0].message
    assert f"{deadline.month}月{deadline.day}日" in late[0].message
    assert kind.label in late[0].message
    for early in (dt.date(2021, 12, 31), dt.date(2021, 1, 19), dt.date(2020, 6, 1)):
        found = check(with_path(base, "report.signed_on", early))
        assert [(f.code, f.severity) for f in found] == [("dates.signed_too_early", ERROR)], early


def test_published_before_signed() -> None:
    report = with_path(clean(), "report.published_on", dt.date(2022, 1, 18))
    finding = one(check(report), "dates.published_before_signed")
    assert finding.severity is ERROR
    assert finding.location == Location(REPORT, "公布日期", "", "report.published_on")
    assert "早 2 天" in finding.message
    assert [f.code for f in check(report)] == ["dates.published_before_signed"]


def test_published_on_the_signing_day_is_fine() -> None:
    report = clean()
    assert check(with_path(report, "report.published_on", report.report.signed_on)) == []


def test_published_late() -> None:
    report = with_path(clean(), "report.published_on", dt.date(2022, 2, 10))
    finding = one(check(report), "dates.published_late")
    assert finding.severity is WARNING
    assert finding.location == Location(REPORT, "公布日期", "", "report.published_on")
    assert "晚 10 天" in finding.message and "2022年1月31日" in finding.message


@pytest.mark.parametrize("year", [99999, 10**14, 0, -5, 1989, 2201])
def test_an_implausible_year_is_an_error_and_the_date_rules_stay_quiet(year: int) -> None:
    # dt.date(year + 1, …) of the deadline used to raise (or, for 99999, say "signed too early").
    report = with_path(clean(), "report.year", year)
    findings = check(report)
    assert [(f.code, f.severity) for f in findings] == [("report.year_implausible", ERROR)]
    assert findings[0].location == Location(REPORT, "报告年度", "", "report.year")
    assert str(year) in findings[0].message and "1990" in findings[0].message


@pytest.mark.parametrize("year", [1990, 2200])
def test_the_bounds_of_the_year_are_plausible(year: int) -> None:
    report = with_path(clean(), "report.year", year)
    report = with_path(report, "report.signed_on", dt.date(year + 1, 1, 20))
    report = with_path(report, "report.published_on", None)
    assert "report.year_implausible" not in {f.code for f in check(report)}


def test_a_missing_signing_date_is_an_error() -> None:
    report = with_path(clean(), "report.signed_on", None)
    report = with_path(report, "report.published_on", None)
    finding = one(check(report), "dates.signed_missing")
    assert finding.severity is ERROR
    assert finding.location == Location(REPORT, "成文日期", "", "report.signed_on")
    assert "signed_on" in finding.message and "未填写成文日期" in finding.message
    assert [f.code for f in check(report)] == ["dates.signed_missing"]


def test_without_a_signing_date_the_publication_date_is_still_checked() -> None:
    report = with_path(clean(), "report.signed_on", None)
    assert [f.code for f in check(report)] == ["dates.signed_missing"]  # published 2022-01-25: in time
    late = with_path(report, "report.published_on", dt.date(2022, 2, 10))
    assert [f.code for f in check(late)] == ["dates.signed_missing", "dates.published_late"]


# ---------------------------------------------------------------------------------------------------
# text.missing
# ---------------------------------------------------------------------------------------------------

REQUIRED_TEXTS = [
    ("overview.proactive", fmt.OVERVIEW.heading, "（一）主动公开情况"),
    ("overview.on_request", fmt.OVERVIEW.heading, "（二）依申请公开情况"),
    ("overview.management", fmt.OVERVIEW.heading, "（三）政府信息管理情况"),
    ("overview.platforms", fmt.OVERVIEW.heading, "（四）政府信息公开平台建设情况"),
    ("overview.oversight", fmt.OVERVIEW.heading, "（五）监督保障情况"),
    ("problems.text", fmt.PROBLEMS.heading, ""),
    ("other.text", fmt.OTHER.heading, ""),
]


@pytest.mark.parametrize(("path", "section", "row"), REQUIRED_TEXTS)
@pytest.mark.parametrize("blank", ["", "  \n\u3000 "])
def test_text_missing(path: str, section: str, row: str, blank: str) -> None:
    report = with_path(zero_report(), path, blank)
    if path == "other.text":
        # Keep the fee statement (the figures) so that only the missing text is found.
        assert report.other.information_fees is not None
    finding = one(check(report), "text.missing")
    assert finding.severity is ERROR
    assert finding.location == Location(section, row, "", path)
    assert (row or section) in finding.message


def test_accountability_is_required_of_governments_only() -> None:
    for kind in AgencyKind:
        report = with_path(zero_report(kind), "overview.accountability", "")
        findings = check(report)
        if kind is AgencyKind.GOVERNMENT:
            finding = one(findings, "text.missing")
            assert finding.location == Location(
                fmt.OVERVIEW.heading, "工作考核、社会评议和责任追究结果情况", "", "overview.accountability"
            )
            assert "人民政府" in finding.message
        else:
            assert findings == [], kind


def test_optional_texts_may_be_empty() -> None:
    report = with_path(clean(), "overview.intro", "")
    report = with_path(report, "report.preamble", "")
    assert check(report) == []


@pytest.mark.parametrize("name", ["", "  ", "\u3000"])
def test_a_blank_agency_name_is_missing(name: str) -> None:
    # It checked clean and rendered a title without an agency.
    report = with_path(clean(), "agency.name", name)
    finding = one(check(report), "text.missing")
    assert finding.location == Location("发布机关", "机关名称", "", "agency.name")
    assert "机关名称" in finding.message


# ---------------------------------------------------------------------------------------------------
# text.placeholder
# ---------------------------------------------------------------------------------------------------


def test_the_name_init_writes_is_a_placeholder() -> None:
    from reportkit.cli import blank_report

    report = with_path(clean(), "agency.name", blank_report().agency.name)
    finding = one(check(report), "text.placeholder")
    assert finding.severity is ERROR
    assert finding.location == Location("发布机关", "机关名称", "", "agency.name")
    assert "（机关全称）" in finding.message and "agency.name" in finding.message
    assert [f.code for f in check(report)] == ["text.placeholder"]


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("agency.name", "XX县人民政府"),
        ("agency.name", "××局"),
        ("agency.name", "（单位名称）"),
        ("agency.title_name", "XXX"),
        ("overview.proactive", "（文字描述）"),
        ("problems.text", "存在的问题。\n\n（文字描述）"),
        ("other.text", "（文字描述，收取信息处理费情况在此处报告。）"),
        ("overview.intro", "XXX"),
        ("report.preamble", "××"),
        ("overview.oversight", "我单位（文字描述）加强监督。"),
    ],
)
def test_blank_template_placeholders_are_errors(path: str, text: str) -> None:
    finding = one(check(with_path(clean(), path, text)), "text.placeholder")
    assert finding.location.field == path


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("agency.name", "某县人民政府办公室"),
        ("agency.name", "宁夏回族自治区（试点）管理局"),
        ("agency.title_name", "隆德县城关镇"),
        ("overview.proactive", "主动公开（含政策解读）信息 3×4 条；X 光机采购信息已公开。"),
        ("overview.proactive", "（一）规章\n\n本年制发 2 件。"),
        ("problems.text", "一是（文字）描述不够具体。"),
    ],
)
def test_real_text_is_not_a_placeholder(path: str, text: str) -> None:
    assert "text.placeholder" not in {f.code for f in check(with_path(clean(), path, text))}


# ---------------------------------------------------------------------------------------------------
# fees.*
# ---------------------------------------------------------------------------------------------------

FEES = Location(fmt.OTHER.heading, "信息处理费", "", "other.information_fees")


def test_fee_statement_missing() -> None:
    report = with_path(clean(), "other.information_fees", None)
    finding = one(check(report), "fees.statement_missing")
    assert finding.severity is WARNING
    assert finding.location == FEES
    assert "information_fees" in finding.message
    assert errors(check(report)) == []


def test_fee_statement_missing_names_the_figures_by_their_labels() -> None:
    finding = one(check(with_path(clean(), "other.information_fees", None)), "fees.statement_missing")
    for path in FEE_FIELDS:
        assert label_of(path) in finding.message, path


def test_fee_statement_in_the_text_is_enough() -> None:
    report = with_path(clean(), "other.information_fees", None)
    report = with_path(report, "other.text", "其他事项。2021年未收取政府信息处理费。")
    assert check(report) == []


def test_fees_collected_exceeds_notified() -> None:
    report = with_path(clean(), "other.information_fees", InformationFees(3, Decimal("200"), Decimal("250.5")))
    finding = one(check(report), "fees.collected_exceeds_notified")
    assert finding.severity is WARNING
    assert finding.location == FEES
    assert "250.5" in finding.message and "200" in finding.message


def test_fees_amount_without_notice() -> None:
    report = zero_report()
    report = with_path(report, "other.information_fees", InformationFees(0, Decimal("100"), Decimal("0")))
    finding = one(check(report), "fees.amount_without_notice")
    assert finding.severity is WARNING
    assert finding.location == FEES
    assert "100" in finding.message


def test_fees_unpaid_exceeds_notices() -> None:
    report = clean()
    unpaid = report.applications.other_handling.unpaid_fee.total
    report = with_path(report, "other.information_fees.notices", unpaid - 1)
    finding = one(check(report), "fees.unpaid_exceeds_notices")
    assert finding.severity is WARNING
    assert finding.location == Location(
        S3, row_label("other_handling.unpaid_fee"), "总计", "applications.other_handling.unpaid_fee.total"
    )
    assert str(unpaid) in finding.message and str(unpaid - 1) in finding.message


# ---------------------------------------------------------------------------------------------------
# previous.*
# ---------------------------------------------------------------------------------------------------

LONG = {
    "overview.proactive": (
        "{y}年，本机关依托门户网站政府信息公开专栏主动公开各类政府信息，内容涵盖机构职能、财政预决算和重点领域信息。"
    ),
    "problems.text": (
        "{y}年，政府信息公开工作仍存在信息发布不够及时、政策解读形式较为单一等问题，下一年将加强培训、完善制度。"
    ),
}


def pair() -> tuple[AnnualReport, AnnualReport]:
    """This year's report (2022) and a consistent previous year's (2021) with different texts."""
    now = clean()
    now = with_path(
        now, "report", attrs.evolve(now.report, year=2022, signed_on=dt.date(2023, 1, 20), published_on=None)
    )
    for path, text in LONG.items():
        now = with_path(now, path, text.format(y=2022))
    prev = report_with_all_distinct_numbers()
    prev = with_path(prev, "applications.carried_forward", now.applications.carried_over)
    for doc in ("regulations", "normative_documents"):
        counts = getattr(now.proactive, doc)
        prev = with_path(prev, f"proactive.{doc}.in_force", counts.in_force - counts.issued + counts.repealed)
    for path in (*LONG, "overview.on_request"):
        prev = with_path(prev, path, "上一年度的内容与今年完全不同，这里写的是另外一些工作安排和做法。")
    # The balance of last year's table does not matter here; keep it consistent anyway.
    prev = with_path(prev, "applications.new", _rebalanced_new(prev))
    return now, prev


def _rebalanced_new(report: AnnualReport) -> ApplicantCounts:
    apps = report.applications
    values = [
        apps.total.get(c.key) + apps.carried_forward.get(c.key) - apps.carried_over.get(c.key) for c in T3.input_columns
    ]
    return ApplicantCounts.of(values)


def test_a_consistent_pair_has_no_findings() -> None:
    now, prev = pair()
    assert check(prev) == []
    assert check(now, prev) == []


def test_previous_year_mismatch() -> None:
    now, prev = pair()
    prev = with_path(prev, "report.year", 2020)
    finding = one(check(now, prev), "previous.year_mismatch")
    assert finding.severity is WARNING
    assert finding.location == Location(REPORT, "报告年度", "", "report.year")
    assert "2020" in finding.message and "2021" in finding.message


def test_previous_other_agency() -> None:
    now, prev = pair()
    other = with_path(prev, "agency.name", "某某县审计局")
    finding = one(check(now, other), "previous.other_agency")
    assert finding.severity is WARNING
    assert finding.location == Location(REPORT, "机关名称", "", "agency.name")
    assert now.agency.name in finding.message and "某某县审计局" in finding.message
    # The same agency written with other white space or full-width forms is not another agency.
    spaced = with_path(prev, "agency.name", "\u3000" + " ".join(now.agency.name) + " ")
    assert "previous.other_agency" not in [f.code for f in check(now, spaced)]


def test_previous_carried_over() -> None:
    now, prev = pair()
    forward = prev.applications.carried_forward
    prev = with_path(prev, "applications.carried_forward.other", forward.other + 7)
    findings = check(now, prev)
    finding = one(findings, "previous.carried_over")
    assert finding.severity is WARNING
    assert finding.location == Location(
        S3, "二、上年结转政府信息公开申请数量", "其他", "applications.carried_over.other"
    )
    assert finding.message == (
        f"本年二、上年结转为 {now.applications.carried_over.other}，而上年报告四、结转下年度为 {forward.other + 7}"
        "（列：其他，相差 -7）"
    )


def test_previous_in_force() -> None:
    now, prev = pair()
    prev = with_path(prev, "proactive.normative_documents.in_force", prev.proactive.normative_documents.in_force + 2)
    finding = one(check(now, prev), "previous.in_force")
    assert finding.severity is WARNING
    assert finding.location == Location(
        fmt.PROACTIVE.heading,
        "第二十条第（一）项 行政规范性文件",
        "现行有效件数",
        "proactive.normative_documents.in_force",
    )
    assert "相差 -2" in finding.message


def test_previous_text_copied_with_only_the_year_changed() -> None:
    now, prev = pair()
    prev = with_path(prev, "overview.proactive", LONG["overview.proactive"].format(y=2021))
    finding = one(check(now, prev), "previous.text_copied")
    assert finding.severity is WARNING
    assert finding.location == Location(fmt.OVERVIEW.heading, "（一）主动公开情况", "", "overview.proactive")
    assert "内容雷同" in finding.message


def test_previous_text_copied_with_other_numbers_and_punctuation() -> None:
    now, prev = pair()
    text = LONG["problems.text"]
    prev = with_path(prev, "problems.text", text.format(y="二〇二一").replace("，", ", ") + "\n")
    finding = one(check(now, prev), "previous.text_copied")
    assert finding.location == Location(fmt.PROBLEMS.heading, "", "", "problems.text")


def test_short_texts_are_not_called_copies() -> None:
    now, prev = pair()
    now = with_path(now, "overview.platforms", "无。")
    prev = with_path(prev, "overview.platforms", "无。")
    assert check(now, prev) == []


def test_a_rewritten_text_is_not_a_copy() -> None:
    now, prev = pair()
    prev = with_path(
        prev, "overview.proactive", LONG["overview.proactive"].format(y=2021).replace("门户网站", "政务微信")
    )
    assert check(now, prev) == []


# ---------------------------------------------------------------------------------------------------
# Every code of rules.py is tested here; every rule is registered
# ---------------------------------------------------------------------------------------------------

TESTED_CODES = {
    "value.negative",
    "value.implausible",
    "applications.balance",
    "applications.declared_total",
    "review_litigation.declared_total",
    "report.format_year",
    "report.year_implausible",
    "dates.signed_missing",
    "text.placeholder",
    "dates.signed_too_early",
    "dates.signed_late",
    "dates.published_before_signed",
    "dates.published_late",
    "text.missing",
    "fees.statement_missing",
    "fees.collected_exceeds_notified",
    "fees.amount_without_notice",
    "fees.unpaid_exceeds_notices",
    "previous.year_mismatch",
    "previous.other_agency",
    "previous.carried_over",
    "previous.in_force",
    "previous.text_copied",
    "previous.published_total",
    "previous.items_last_year",
    "proactive.published_exceeds_total",
    "proactive.amount_unit_unknown",
    "cell.not_assessable",
}


def test_every_code_in_rules_py_has_a_test() -> None:
    import reportkit.rules

    source = Path(reportkit.rules.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'Finding\(\s*"([a-z_]+\.[a-z_]+)"', source))
    assert codes == TESTED_CODES
    this_file = Path(__file__).read_text(encoding="utf-8")
    for code in TESTED_CODES:
        assert this_file.count(f'"{code}"') >= 2, code


def test_rules_are_registered_once() -> None:
    names = [r.__name__ for r in RULES]
    assert len(names) == len(set(names))
    assert len(RULES) >= 12


def test_finding_as_dict_and_str() -> None:
    report = set_cell(zero_report(), "new", "natural_person", 1)
    finding = check(report)[0]
    assert finding.as_dict() == {
        "code": "applications.balance",
        "severity": "error",
        "section": S3,
        "row": "",
        "column": "自然人",
        "field": "applications.*.natural_person",
        "message": finding.message,
    }
    assert str(finding).startswith("[错误] applications.balance 三、收到和处理政府信息公开申请情况 / 列：自然人：")


# ---------------------------------------------------------------------------------------------------
# The 2019 trial format: its own rules, and the rules it does not have
# ---------------------------------------------------------------------------------------------------

S2 = fmt.PROACTIVE.heading


def trial_pair() -> tuple[AnnualReport, AnnualReport]:
    """A consistent 2020 report (the example) and its agency's 2019 report, both in the 2019 format."""
    now = trial()
    prev = with_path(now, "report.year", 2019)
    prev = with_path(prev, "report.signed_on", dt.date(2020, 1, 20))
    prev = with_path(prev, "report.published_on", None)
    for path in (*(p for p, _, _ in REQUIRED_TEXTS), "overview.intro", "report.preamble"):
        prev = with_path(prev, path, "上一年度的内容与今年完全不同，这里写的是另外一些工作安排和做法。")
    proactive = prev.proactive
    # Last year's cumulative total + this year's published = this year's total; last year's items +
    # last year's change = this year's items.
    for block in now.layout.proactive_blocks:
        for row, column, key in block.cells():
            if column.key == "published_total":
                published = now.proactive.value(f"{row.key}.published")
                proactive = proactive.with_cell(key, now.proactive.value(key) - published)
            elif column.key == "items_last_year":
                change = now.proactive.value(f"{row.key}.items_change")
                proactive = proactive.with_cell(key, now.proactive.value(key) - change)
    apps = prev.applications.with_row("carried_forward", now.applications.carried_over)
    prev = attrs.evolve(prev, proactive=proactive, applications=apps)
    prev = attrs.evolve(prev, applications=prev.applications.with_row("new", _rebalanced_new(prev)))
    return now, prev


def test_the_trial_example_has_no_findings_and_its_format_serves_2020() -> None:
    report = trial()
    assert report.format == TRIAL and report.layout.serves(2020)
    assert check(report) == []
    assert report.proactive.penalty.items_change == -41  # signed 本年增/减
    assert report.proactive.unit("procurement.amount").value == "元"


def test_a_consistent_trial_pair_has_no_findings() -> None:
    now, prev = trial_pair()
    assert check(prev) == []
    assert check(now, prev) == []


def test_a_negative_change_of_items_is_no_error_but_a_negative_count_is() -> None:
    report = with_path(trial(), "proactive.licensing.items_change", -60)
    assert check(report) == []
    report = with_path(trial(), "proactive.licensing.decisions", -1)
    finding = one(check(report), "value.negative")
    assert finding.location == Location(
        S2, "第二十条第（五）项 行政许可", "处理决定数量", "proactive.licensing.decisions"
    )


@pytest.mark.parametrize(
    ("format_id", "year", "expected"),
    [
        (TRIAL, 2022, ("2022", "国办公开办函〔2021〕30号", "国办公开办函〔2019〕60号", "2019—2020")),
        ("gov-info-annual-report/2021", 2020, ("2020", "国办公开办函〔2019〕60号", "国办公开办函〔2021〕30号")),
    ],
)
def test_the_format_must_be_the_one_in_force_for_the_year(format_id: str, year: int, expected: tuple[str]) -> None:
    report = trial() if format_id == TRIAL else clean()
    report = with_path(report, "report.year", year)
    report = with_path(report, "report.signed_on", dt.date(year + 1, 1, 20))
    report = with_path(report, "report.published_on", None)
    finding = one(check(report), "report.format_year")
    assert finding.severity is WARNING
    assert finding.location == Location(REPORT, "报告年度", "", "report.year")
    for text in expected:
        assert text in finding.message, finding.message
    right = with_path(report, "report.year", 2019 if format_id == TRIAL else 2021)
    right = with_path(right, "report.signed_on", dt.date(right.year + 1, 1, 20))
    assert only(check(right), "report.format_year") == []


def test_the_trial_format_has_no_fee_rules() -> None:
    report = with_path(trial(), "other.text", "无。")
    assert report.other.information_fees is None
    assert check(report) == []
    assert only(check(with_path(clean(), "other.information_fees", None)), "fees.statement_missing")


def test_published_exceeds_total() -> None:
    report = with_path(trial(), "proactive.normative_documents.published_total", 1)
    finding = one(check(report), "proactive.published_exceeds_total")
    assert finding.severity is WARNING
    assert finding.location == Location(
        S2, "第二十条第（一）项 规范性文件", "对外公开总数量", "proactive.normative_documents.published_total"
    )
    assert "本年新公开数量为 2" in finding.message


def test_amount_unit_unknown() -> None:
    proactive = trial().proactive
    report = attrs.evolve(trial(), proactive=attrs.evolve(proactive, units={"procurement.amount": None}))
    finding = one(check(report), "proactive.amount_unit_unknown")
    assert finding.location.field == "proactive.procurement.amount" and "采购总金额" in finding.message


def test_previous_published_total() -> None:
    now, prev = trial_pair()
    prev = with_path(prev, "proactive.normative_documents.published_total", 10)
    finding = one(check(now, prev), "previous.published_total")
    assert finding.severity is WARNING
    assert finding.location.field == "proactive.normative_documents.published_total"
    assert finding.message == "对外公开总数量为 17，而上年对外公开总数量 + 本年新公开数量 = 12（相差 +5）"


def test_previous_items_last_year() -> None:
    now, prev = trial_pair()
    prev = with_path(prev, "proactive.penalty.items_change", 0)
    finding = one(check(now, prev), "previous.items_last_year")
    assert finding.location == Location(
        S2, "第二十条第（六）项 行政处罚", "上一年项目数量", "proactive.penalty.items_last_year"
    )
    assert finding.message == "上一年项目数量为 1276，而上年报告的上一年项目数量 + 本年增/减 = 1317（相差 -41）"
    assert only(check(now, prev), "previous.in_force") == []


def test_across_a_change_of_format_only_the_carry_over_is_compared() -> None:
    """A 2021-format report for 2021 against its agency's 2020 report in the 2019 format."""
    now = with_path(clean(), "agency.name", trial().agency.name)
    prev = trial()
    forward = prev.applications.carried_forward
    # Table 二 differs in every cell (no in-force chain across formats); 二 = last year's 四 except one column.
    now = attrs.evolve(now, applications=now.applications.with_row("carried_over", attrs.evolve(forward, other=5)))
    now = attrs.evolve(now, applications=now.applications.with_row("new", _rebalanced_new(now)))
    findings = [f for f in check(now, prev) if f.code != "previous.text_copied"]
    assert [(f.code, f.location.field) for f in findings] == [
        ("previous.carried_over", "applications.carried_over.other")
    ]


def test_a_blank_cell_makes_the_rules_that_need_it_not_assessable() -> None:
    report = with_row_cell(trial(), "disclosed", "business", Blank("/"))
    assert report.applications.disclosed.total is None and report.applications.total.business == Blank()
    findings = check(report)
    assert [(f.code, f.severity, f.location.field) for f in findings] == [
        ("cell.not_assessable", WARNING, "applications.disclosed.business")
    ]
    assert "“/”" in findings[0].message and "勾稽关系" in findings[0].message
    # With a stated total of the row, that check cannot be made either (one finding per rule and cell).
    stated = with_row_cell(report, "disclosed", "declared_total", 3)
    codes = [(f.code, f.location.field) for f in check(stated)]
    assert codes == [("cell.not_assessable", "applications.disclosed.business")] * 2


def test_a_blank_cell_of_table4_or_table2() -> None:
    report = with_path(clean(), "review_litigation.review.pending", Blank("不适用"))
    report = with_path(report, "review_litigation.review.declared_total", 5)
    (finding,) = check(report)
    assert (finding.code, finding.location.field) == ("cell.not_assessable", "review_litigation.review.pending")
    now, prev = trial_pair()
    prev = with_path(prev, "proactive.regulations.published_total", Blank())
    now = with_path(now, "proactive.regulations.published", Blank())
    (finding,) = [f for f in check(now, prev) if f.code != "previous.text_copied"]
    assert (finding.code, finding.location.field) == ("cell.not_assessable", "proactive.regulations.published")
    assert "留空" in finding.message


@pytest.mark.parametrize(
    ("example", "line", "path"),
    [
        ("longde-chengguan-2021.toml", ("licensing = 0", 'licensing = ""'), "proactive.licensing"),
        (
            "trial-format-2020.toml",
            ("fees = { items_last_year = 3,", 'fees = { items_last_year = "/",'),
            "proactive.fees.items_last_year",
        ),
    ],
)
def test_a_blank_cell_of_table_two_is_named(example: str, line: tuple[str, str], path: str) -> None:
    """A table-二 cell left empty takes part in no sum: it must not print as an empty cell in a clean check."""
    text = (Path(__file__).resolve().parents[1] / "examples" / example).read_text(encoding="utf-8")
    assert line[0] in text
    report = reportkit.loads(text.replace(line[0], line[1], 1), "toml")
    found = [f for f in reportkit.check(report) if f.code == "cell.not_assessable"]
    assert [f.location.field for f in found] == [path]
