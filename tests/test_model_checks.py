"""Reports built in Python: a value of the wrong kind is a ModelError naming the field, at construction.

Before, ``check()`` on such a report raised TypeError or AttributeError (a ``datetime`` as ``signed_on``, a
``str`` kind or year, ``None`` or ``"3"`` in a count), and some values rendered wrongly or endlessly. The
checks come from the annotations (``reportkit.model.Checked``), so they hold for any model class, including
ones defined later; and whatever can be constructed checks and renders as a draft.
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
import re
import zipfile
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reportkit
from docx_helpers import full_report
from reportkit import model
from reportkit.errors import ModelError, ReportkitError
from reportkit.model import (
    Agency,
    AgencyKind,
    AnnualReport,
    ApplicantCounts,
    Checked,
    InformationFees,
    Overview,
    ProactiveDisclosure,
    ReportInfo,
)
from reportkit.render.docx import build_context
from reportkit.values import Name, WanYuan
from strategies import NAME_CHARACTERS, TEXT_CHARACTERS, report_with_all_distinct_numbers


def problems_of(build: Any) -> list[tuple[str, str]]:
    with pytest.raises(ModelError) as caught:
        build()
    assert isinstance(caught.value, ReportkitError)
    return [(p.where, p.message) for p in caught.value.problems]


def evolve_at(report: AnnualReport, path: str, value: object) -> AnnualReport:
    head, _, rest = path.partition(".")
    if not rest:
        return attrs.evolve(report, **{head: value})
    return attrs.evolve(report, **{head: evolve_at(getattr(report, head), rest, value)})


# ---------------------------------------------------------------------------------------------------
# The cases of the issue
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "where", "expected"),
    [
        ("report.signed_on", dt.datetime(2022, 1, 19, 9, 30), "ReportInfo.signed_on", "datetime.date"),
        ("report.signed_on", "2022-01-19", "ReportInfo.signed_on", "datetime.date"),
        ("report.year", "2021", "ReportInfo.year", "整数（int）"),
        ("report.year", 2021.0, "ReportInfo.year", "整数（int）"),
        ("report.year", True, "ReportInfo.year", "整数（int）"),
        ("agency.kind", "department", "Agency.kind", "AgencyKind"),
        ("agency.name", None, "Agency.name", "文字（str）"),
        ("applications.new.business", None, "ApplicantCounts.business", "整数（int）"),
        ("applications.new.business", "3", "ApplicantCounts.business", "整数（int）"),
        ("proactive.licensing", 3.0, "ProactiveDisclosure.licensing", "整数（int）"),
        ("proactive.fees_wan_yuan", 12.5, "ProactiveDisclosure.fees_wan_yuan", "Decimal"),
        ("proactive.fees_wan_yuan", Decimal("NaN"), "ProactiveDisclosure.fees_wan_yuan", "有限"),
        ("proactive.fees_wan_yuan", Decimal("1e-999999999"), "ProactiveDisclosure.fees_wan_yuan", "4 位小数"),
        ("proactive.fees_wan_yuan", Decimal("1e999999999"), "ProactiveDisclosure.fees_wan_yuan", "范围"),
        ("other.information_fees.notified_yuan", Decimal("0.001"), "InformationFees.notified_yuan", "2 位小数"),
        ("review_litigation.review.upheld", 10**5000, "CaseOutcomes.upheld", "范围"),
        ("other.information_fees", 3, "OtherMatters.information_fees", "InformationFees"),
        ("applications.carried_over", [0] * 6, "Applications.carried_over", "ApplicantCounts"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else type(v).__name__,
)
def test_a_wrong_kind_of_value_is_a_model_error_naming_the_field(
    path: str, value: object, where: str, expected: str
) -> None:
    ((found_where, message),) = problems_of(lambda: evolve_at(full_report(), path, value))
    assert found_where == where and expected in message, message


def test_every_problem_of_one_object_is_reported_at_once() -> None:
    problems = problems_of(lambda: ReportInfo("2021", dt.datetime(2022, 1, 19), preamble=None))  # type: ignore[arg-type]
    assert [where for where, _ in problems] == ["ReportInfo.year", "ReportInfo.signed_on", "ReportInfo.preamble"]


def test_negative_and_implausible_counts_stay_findings() -> None:
    report = evolve_at(report_with_all_distinct_numbers(), "proactive.licensing", -1)
    report = evolve_at(report, "proactive.penalty", 10**12)
    report = evolve_at(report, "proactive.fees_wan_yuan", Decimal("-0.5"))
    codes = [(f.code, f.location.field) for f in reportkit.check(report) if f.code.startswith("value.")]
    assert codes == [
        ("value.negative", "proactive.licensing"),
        ("value.implausible", "proactive.penalty"),
        ("value.negative", "proactive.fees_wan_yuan"),
    ]


def test_a_sum_of_large_rows_is_still_a_number() -> None:
    # Each row is below the model's bound; their （七）总计 is not, and must not raise from a property.
    big = ApplicantCounts.of([10**15 - 1] * 6)
    apps = report_with_all_distinct_numbers().applications
    for key in model.OUTCOME_ROW_KEYS:
        apps = apps.with_row(key, big)
    assert apps.total.natural_person == 21 * (10**15 - 1)


# ---------------------------------------------------------------------------------------------------
# Texts
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\ud800", "\udfff", "\ufffe"])
def test_characters_xml_cannot_hold_are_refused_in_every_text(char: str) -> None:
    for path, where in [
        ("agency.name", "Agency.name"),
        ("overview.proactive", "Overview.proactive"),
        ("report.preamble", "ReportInfo.preamble"),
        ("problems.text", "Problems.text"),
    ]:
        ((found, message),) = problems_of(lambda p=path: evolve_at(full_report(), p, f"文{char}字"))
        assert found == where and f"U+{ord(char):04X}" in message and "第 2 个字符" in message


@pytest.mark.parametrize("char", ["\n", "\r", "\t", "\x7f", "\x85", "\u2028", "\u2029"])
def test_a_name_is_one_line_without_control_characters(char: str) -> None:
    ((where, message),) = problems_of(lambda: Agency(f"城关{char}镇", AgencyKind.TOWNSHIP))
    assert where == "Agency.name" and "名称" in message
    problems_of(lambda: Agency("城关镇", AgencyKind.TOWNSHIP, title_name=f"隆德{char}县"))


def test_long_texts_keep_line_breaks_and_tabs() -> None:
    text = "第一段\n\n第二段\t续\r\n第三段\x85\u2028"
    assert Overview(proactive=text).proactive == text


# ---------------------------------------------------------------------------------------------------
# The mechanism: every class, any annotation
# ---------------------------------------------------------------------------------------------------


def _model_classes() -> list[type]:
    members = inspect.getmembers(model, inspect.isclass)
    return [cls for _, cls in members if attrs.has(cls) and cls.__module__ == model.__name__]


def test_every_model_class_is_checked_on_every_field() -> None:
    classes = _model_classes()
    assert len(classes) >= 15
    for cls in classes:
        assert issubclass(cls, Checked), cls
        checked = {name for name, _ in model._checks_of(cls)}
        assert checked == {field.name for field in attrs.fields(cls)}, cls


@attrs.frozen
class FutureCells(Checked):
    """A class the model does not have yet (cells held by format keys, as issue 10 plans)."""

    label: Name
    cells: Mapping[str, int] = attrs.Factory(dict)
    amounts: tuple[WanYuan, ...] = ()
    when: dt.date | None = None


def test_a_new_model_class_is_checked_without_being_listed_anywhere() -> None:
    good = FutureCells("表二", {"licensing": 3}, (Decimal("1.5"),), dt.date(2022, 1, 1))
    assert good.cells == {"licensing": 3}
    assert problems_of(lambda: FutureCells("表\n二"))[0][0] == "FutureCells.label"
    ((where, message),) = problems_of(lambda: FutureCells("表二", {"licensing": "3"}))
    assert where == "FutureCells.cells" and "licensing" in message and "整数" in message
    ((where, message),) = problems_of(lambda: FutureCells("表二", amounts=(Decimal("0.00001"),)))
    assert where == "FutureCells.amounts" and "[0]" in message and "4 位小数" in message
    assert problems_of(lambda: FutureCells("表二", when=dt.datetime(2022, 1, 1)))[0][0] == "FutureCells.when"


def test_the_figures_reader_still_reports_every_problem_of_a_file_at_once() -> None:
    text = (
        '[agency]\nname = "局\\u0001"\nkind = "部门"\n[report]\nyear = "二〇二一"\nsigned_on = 2022-01-19\n'
        '[proactive]\nlicensing = "3万元"\nfees_wan_yuan = "1.5元"\n'
    )
    with pytest.raises(reportkit.FiguresFileError) as caught:
        reportkit.loads(text)
    wheres = [p.where for p in caught.value.problems]
    assert wheres == ["agency.name", "report.year", "proactive.licensing", "proactive.fees_wan_yuan"]


# ---------------------------------------------------------------------------------------------------
# Whatever can be constructed checks and renders as a draft
# ---------------------------------------------------------------------------------------------------

BOUND = 10**15 - 1
INTS = st.integers(-BOUND, BOUND) | st.integers(-5, 60)
TEXTS = st.text(TEXT_CHARACTERS, max_size=30)
NAMES = st.text(NAME_CHARACTERS, max_size=20)
DATES = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))


def _amounts(places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=-(10**14), max_value=10**14, places=places, allow_nan=False, allow_infinity=False)


def _counts(cls: type) -> st.SearchStrategy[Any]:
    return st.builds(cls, **{f.name: INTS for f in attrs.fields(cls) if f.name != "declared_total"})


ANY_REPORT = st.builds(
    AnnualReport,
    agency=st.builds(Agency, NAMES, st.sampled_from(list(AgencyKind)), st.none() | NAMES),
    report=st.builds(ReportInfo, INTS | st.integers(1900, 2100), st.none() | DATES, st.none() | DATES, TEXTS),
    overview=st.builds(Overview, *(TEXTS for _ in range(7))),
    proactive=st.builds(
        ProactiveDisclosure,
        licensing=INTS,
        penalty=INTS,
        fees_wan_yuan=_amounts(4),
    ),
    applications=st.builds(
        model.Applications,
        new=_counts(ApplicantCounts),
        carried_forward=_counts(ApplicantCounts),
        declared_total=st.none() | _counts(ApplicantCounts),
    ),
    other=st.builds(model.OtherMatters, TEXTS, st.none() | st.builds(InformationFees, INTS, _amounts(2), _amounts(2))),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report=ANY_REPORT)
def test_any_constructible_report_checks_and_renders_as_a_draft(report: AnnualReport) -> None:
    reportkit.check(report)
    reportkit.check(report, report)
    context = build_context(report, draft=True)
    fees = context["proactive"]["fees_wan_yuan"]
    assert "E" not in fees and not re.fullmatch(r"-0(\.0*)?", fees), fees
    assert reportkit.render_docx(report, draft=True)[:2] == b"PK"
    assert reportkit.render_xlsx(report, draft=True)[:2] == b"PK"


def test_negative_zero_prints_as_zero() -> None:
    report = evolve_at(full_report(), "proactive.fees_wan_yuan", Decimal("-0.0"))
    assert build_context(report)["proactive"]["fees_wan_yuan"] == "0.0"
    with zipfile.ZipFile(io.BytesIO(reportkit.render_xlsx(report))) as book:
        sheets = [book.read(name).decode() for name in book.namelist() if name.startswith("xl/worksheets/")]
    assert sheets and not any("<v>-0" in sheet for sheet in sheets)


# ---------------------------------------------------------------------------------------------------
# The format: a report's tables follow it (issue 10)
# ---------------------------------------------------------------------------------------------------

TRIAL = "gov-info-annual-report/2019"


def test_an_unknown_format_is_a_model_error_at_construction() -> None:
    ((where, message),) = problems_of(lambda: evolve_at(full_report(), "format", "gov-info-annual-report/1999"))
    assert where == "AnnualReport.format" and "gov-info-annual-report/2019" in message
    ((where, _),) = problems_of(lambda: model.Applications(format="nonexistent"))
    assert where == "Applications.format"


def test_tables_of_another_format_are_a_model_error_and_left_out_ones_follow_the_report() -> None:
    problems = problems_of(lambda: evolve_at(full_report(), "format", TRIAL))
    assert [where for where, _ in problems] == ["AnnualReport.proactive", "AnnualReport.applications"]
    assert TRIAL in problems[0][1]
    sample = full_report()
    blank = AnnualReport(sample.agency, sample.report, format=TRIAL)
    assert blank.layout.id == TRIAL
    assert blank.proactive.format == blank.applications.format == TRIAL
    assert "other_handling" in blank.applications.rows and blank.proactive.procurement.items == 0


@pytest.mark.parametrize(
    ("key", "value", "where", "expected"),
    [
        ("penalty.items_change", "3", "ProactiveDisclosure.penalty.items_change", "整数（int）"),
        ("procurement.amount", 12.5, "ProactiveDisclosure.procurement.amount", "Decimal"),
        ("procurement.amount", Decimal("0.001"), "ProactiveDisclosure.procurement.amount", "2 位小数"),
        ("fees.items_last_year", None, "ProactiveDisclosure.fees.items_last_year", "整数（int）"),
    ],
)
def test_a_wrong_value_in_a_2019_table_names_its_cell(key: str, value: object, where: str, expected: str) -> None:
    table = model.ProactiveDisclosure(format=TRIAL)
    ((found, message),) = problems_of(lambda: table.with_cell(key, value))  # type: ignore[arg-type]
    assert found == where and expected in message, message
    assert table.with_cell("penalty.items_change", -3).penalty.items_change == -3


def test_the_2021_ways_of_making_tables_still_work() -> None:
    rows = model.ProactiveDisclosure(
        model.DocumentCounts(1, 2, 3), normative_documents=model.DocumentCounts(in_force=9)
    )
    assert (rows.regulations.issued, rows.regulations.in_force, rows.normative_documents.in_force) == (1, 3, 9)
    assert attrs.evolve(rows, licensing=5).licensing == 5
    ((where, _),) = problems_of(lambda: model.ProactiveDisclosure(regulations=model.DocumentCounts(1, 2, 3, 4)))
    assert where == "ProactiveDisclosure.regulations"
    ((where, _),) = problems_of(lambda: model.ProactiveDisclosure(format=TRIAL, licensing=3))
    assert where == "ProactiveDisclosure.licensing"
    apps = model.Applications(new=ApplicantCounts(1), withheld=model.RowGroup(state_secret=ApplicantCounts(2)))
    assert apps.new.natural_person == 1 and apps.withheld.state_secret.natural_person == 2
    assert apps.withheld.query_matters == ApplicantCounts()
    with pytest.raises(AttributeError, match="other_services"):
        _ = rows.other_services
