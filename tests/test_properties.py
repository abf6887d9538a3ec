"""Properties over generated reports: consistent ones pass, any one-cell change is caught, files round-trip.

The number of examples is modest by default so the file runs in seconds; set
``REPORTKIT_FUZZ_EXAMPLES=2000`` (say) for a long run.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportkit import AnnualReport, check, dumps, loads
from reportkit.formats import get_format
from reportkit.formats.layout import label_path
from reportkit.rules import Severity
from strategies import (
    APPLICANT_KEYS,
    CASE_KEYS,
    FORMAT_IDS,
    GROUP_KEYS,
    consistent_reports,
    report_with_all_distinct_numbers,
    texts,
)

EXAMPLES = int(os.environ.get("REPORTKIT_FUZZ_EXAMPLES", "50"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FORMATS = pytest.mark.parametrize("format_id", FORMAT_IDS, ids=["2019", "2021"])


# ---------------------------------------------------------------------------------------------------
# Consistent reports pass, in every format
# ---------------------------------------------------------------------------------------------------


@FORMATS
@FUZZ
@given(data=st.data())
def test_a_consistent_report_passes_every_rule(format_id: str, data: st.DataObject) -> None:
    report = data.draw(consistent_reports(format_id=format_id))
    assert report.format == format_id and report.layout.serves(report.year)
    assert check(report) == []


@FORMATS
@FUZZ
@given(data=st.data())
def test_a_consistent_report_with_declared_totals_passes_every_rule(format_id: str, data: st.DataObject) -> None:
    assert check(data.draw(consistent_reports(declared_totals=True, format_id=format_id))) == []


def _carried_from(now: AnnualReport, before: AnnualReport) -> AnnualReport:
    """``now`` with last year's 四 as this year's 二 (moving the difference into 一 keeps the balance)."""
    apps = now.applications
    shift = [before.applications.carried_forward.get(k) - apps.carried_over.get(k) for k in APPLICANT_KEYS]
    new = [apps.new.get(k) - d for k, d in zip(APPLICANT_KEYS, shift, strict=True)]
    if min(new) < 0:
        # Too few new applications to absorb last year's carry-over: raise this year's 四 instead.
        forward = [apps.carried_forward.get(k) - min(n, 0) for k, n in zip(APPLICANT_KEYS, new, strict=True)]
        apps = attrs.evolve(apps, carried_forward=type(apps.new).of(forward))
        new = [max(n, 0) for n in new]
    apps = attrs.evolve(apps, carried_over=before.applications.carried_forward, new=type(apps.new).of(new))
    return attrs.evolve(now, applications=apps)


def _not_copied(now: AnnualReport, before: AnnualReport, marker: str) -> list[object]:
    # Texts of this year differ from last year's by more than numbers and punctuation.
    now = attrs.evolve(now, problems=attrs.evolve(now.problems, text=now.problems.text + "今年新增的整改措施" + marker))
    return [f for f in check(now, before) if f.code != "previous.text_copied"]


@FUZZ
@given(consistent_reports(year=2022), consistent_reports(year=2021), texts())
def test_a_consistent_pair_of_years_passes_the_cross_year_rules(
    now: AnnualReport, before: AnnualReport, marker: str
) -> None:
    before = attrs.evolve(before, agency=now.agency)  # last year's report of the same agency
    now = _carried_from(now, before)
    # Last year's stock in force plus this year's flows gives this year's stock.
    proactive = now.proactive
    for doc in ("regulations", "normative_documents"):
        counts = getattr(proactive, doc)
        in_force = getattr(before.proactive, doc).in_force + counts.issued - counts.repealed
        if in_force < 0:
            counts = attrs.evolve(counts, repealed=counts.repealed + in_force)
            in_force = 0
        proactive = attrs.evolve(proactive, **{doc: attrs.evolve(counts, in_force=in_force)})
    assert _not_copied(attrs.evolve(now, proactive=proactive), before, marker) == []


@FUZZ
@given(
    consistent_reports(year=2020, format_id=FORMAT_IDS[0]),
    consistent_reports(year=2019, format_id=FORMAT_IDS[0]),
    texts(),
)
def test_a_consistent_pair_of_2019_format_years_passes_the_cross_year_rules(
    now: AnnualReport, before: AnnualReport, marker: str
) -> None:
    before = attrs.evolve(before, agency=now.agency)
    now = _carried_from(now, before)
    # This year's cumulative total = last year's + this year's published; this year's items = last year's +
    # last year's change (kept non-negative).
    proactive = now.proactive
    for key in proactive.cells:
        row, _, column = key.partition(".")
        if column == "published_total":
            total = before.proactive.value(key) + proactive.value(f"{row}.published")
            proactive = proactive.with_cell(key, total)
        elif column == "items_last_year":
            items = before.proactive.value(key) + before.proactive.value(f"{row}.items_change")
            if items < 0:
                before = attrs.evolve(before, proactive=before.proactive.with_cell(f"{row}.items_change", 0))
                items = before.proactive.value(key)
            proactive = proactive.with_cell(key, items)
    assert _not_copied(attrs.evolve(now, proactive=proactive), before, marker) == []


@FUZZ
@given(consistent_reports(year=2021), consistent_reports(year=2020, format_id=FORMAT_IDS[0]), texts())
def test_across_the_change_of_format_only_the_carry_over_is_compared(
    now: AnnualReport, before: AnnualReport, marker: str
) -> None:
    before = attrs.evolve(before, agency=now.agency)
    assert _not_copied(_carried_from(now, before), before, marker) == []


# ---------------------------------------------------------------------------------------------------
# Any one changed cell is caught (when every total is declared), in every format
# ---------------------------------------------------------------------------------------------------


def _t3_cells(format_id: str) -> list[tuple[str, str]]:
    """Every input cell of table 三: the six applicant columns and a stated 总计 of every row, and the
    stated （七）总计 row."""
    rows = [r.key for r in get_format(format_id).applications_table.input_rows]
    return [(row, column) for row in (*rows, "total") for column in (*APPLICANT_KEYS, "total")]


#: (group, outcome): every input cell of table 四 (four outcomes and the stated 总计), the same in every format.
T4_CELLS = [(group, outcome) for group in GROUP_KEYS for outcome in (*CASE_KEYS, "total")]


def _t3_get(report: AnnualReport, row: str, column: str) -> int:
    counts = report.applications.declared_total if row == "total" else report.applications.row(row)
    assert counts is not None
    value = counts.declared_total if column == "total" else counts.get(column)
    assert isinstance(value, int)
    return value


def _t3_set(report: AnnualReport, row: str, column: str, value: int) -> AnnualReport:
    apps = report.applications
    attribute = "declared_total" if column == "total" else column
    if row == "total":
        assert apps.declared_total is not None
        apps = attrs.evolve(apps, declared_total=attrs.evolve(apps.declared_total, **{attribute: value}))
    else:
        apps = apps.with_row(row, attrs.evolve(apps.row(row), **{attribute: value}))
    return attrs.evolve(report, applications=apps)


def _t4_set(report: AnnualReport, group: str, outcome: str, value: int) -> AnnualReport:
    attribute = "declared_total" if outcome == "total" else outcome
    outcomes = attrs.evolve(getattr(report.review_litigation, group), **{attribute: value})
    return attrs.evolve(report, review_litigation=attrs.evolve(report.review_litigation, **{group: outcomes}))


def _t4_get(report: AnnualReport, group: str, outcome: str) -> int:
    outcomes = getattr(report.review_litigation, group)
    value: int = outcomes.declared_total if outcome == "total" else getattr(outcomes, outcome)
    return value


@FORMATS
@FUZZ
@given(data=st.data(), amount=st.integers(min_value=1, max_value=30), down=st.booleans())
def test_changing_any_cell_of_table3_is_an_error_naming_its_row_or_column(
    format_id: str, data: st.DataObject, amount: int, down: bool
) -> None:
    report = data.draw(consistent_reports(declared_totals=True, format_id=format_id))
    row, column = data.draw(st.sampled_from(_t3_cells(format_id)))
    table = report.layout.applications_table
    before = _t3_get(report, row, column)
    delta = -min(amount, before) if down and before else amount
    changed = _t3_set(report, row, column, before + delta)
    row_label = "".join(label_path(table.rows, row))
    column_label = table.column(column).label
    errors = [f for f in check(changed) if f.severity is Severity.ERROR]
    assert errors, (row, column, delta)
    assert any(
        f.location.section == report.layout.applications.heading
        and (f.location.row == row_label or f.location.column == column_label)
        for f in errors
    ), (row, column, errors)
    # The stated total of the changed row (or of the changed column in （七）总计) disagrees with it.
    assert any(f.location.field.startswith(f"applications.{row}.") for f in errors), errors


@FORMATS
@FUZZ
@given(
    data=st.data(),
    cell=st.sampled_from(T4_CELLS),
    amount=st.integers(min_value=1, max_value=30),
    down=st.booleans(),
)
def test_changing_any_cell_of_table4_is_an_error_naming_its_group(
    format_id: str, data: st.DataObject, cell: tuple[str, str], amount: int, down: bool
) -> None:
    report = data.draw(consistent_reports(declared_totals=True, format_id=format_id))
    group, outcome = cell
    before = _t4_get(report, group, outcome)
    delta = -min(amount, before) if down and before else amount
    changed = _t4_set(report, group, outcome, before + delta)
    errors = [f for f in check(changed) if f.severity is Severity.ERROR]
    assert [f.code for f in errors] == ["review_litigation.declared_total"]
    (error,) = errors
    assert error.location.field == f"review_litigation.{group}.total"
    assert error.location.column == "".join(label_path(report.layout.review_litigation_table.columns, f"{group}.total"))
    assert f"{delta:+d}" in error.message or f"{-delta:+d}" in error.message


def test_every_cell_is_in_the_mutation_lists() -> None:
    assert len(_t3_cells(FORMAT_IDS[1])) == 25 * 7
    assert len(_t3_cells(FORMAT_IDS[0])) == 23 * 7  # format-2019.md §2: 161 cells
    assert len(T4_CELLS) == 15


# ---------------------------------------------------------------------------------------------------
# Round trips through every file format
# ---------------------------------------------------------------------------------------------------


@FORMATS
@FUZZ
@given(data=st.data())
def test_round_trip_toml_with_label_comments(format_id: str, data: st.DataObject) -> None:
    report = data.draw(consistent_reports(format_id=format_id))
    assert loads(dumps(report, "toml", comments=True), "toml") == report


@FORMATS
@pytest.mark.parametrize("file_format", ["toml", "json", "yaml"])
@FUZZ
@given(data=st.data())
def test_round_trip(format_id: str, file_format: str, data: st.DataObject) -> None:
    declared = data.draw(st.booleans())
    report = data.draw(consistent_reports(format_id=format_id, declared_totals=declared))
    text = dumps(report, file_format)
    assert loads(text, file_format) == report
    # And once more from bytes, as files are read.
    assert loads(text.encode("utf-8"), file_format) == report


@pytest.mark.parametrize("file_format", ["toml", "json", "yaml"])
def test_round_trip_of_the_distinct_numbers_report(file_format: str) -> None:
    report = report_with_all_distinct_numbers()
    assert loads(dumps(report, file_format), file_format) == report


NASTY = [
    'he said "hi"',
    "back\\slash at the end\\",
    'triple """ inside',
    'ends with a quote"',
    '""""""',
    "line one\nline two\n",
    "\nstarts with a newline",
    "windows\r\nline\r\nends",
    "lone\rcarriage return",
    "control \x7f\x80\x9f characters XML can hold",
    "{{ 7*7 }} {% raw %}",
    "emoji 😀 and 𠀀",
    "tab\tand\u3000ideographic space",
    "NEL\x85 LS\u2028 PS\u2029 BOM\ufeff",
    "'''single triple'''",
    "# hash\n[table]\nkey = 1",
]


#: What a name (one line) cannot hold; texts may keep line breaks and tabs. Characters XML cannot hold
#: (NUL, ESC …) cannot be in a report at all (tests/test_model_checks.py).
ONE_LINE_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@pytest.mark.parametrize("file_format", ["toml", "json", "yaml"])
@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_round_trip_of_nasty_texts(file_format: str, text: str) -> None:
    report = report_with_all_distinct_numbers()
    report = attrs.evolve(
        report,
        agency=attrs.evolve(report.agency, name=ONE_LINE_BREAKS.sub(" ", text)),
        overview=attrs.evolve(report.overview, proactive=text, intro=text),
        problems=attrs.evolve(report.problems, text=text),
    )
    back = loads(dumps(report, file_format), file_format)
    assert back.overview.proactive == text
    assert back == report


@pytest.mark.parametrize("file_format", ["toml", "json", "yaml"])
@pytest.mark.parametrize("amount", ["12.50", "0.01", "96171.6", "0", "0.0", "1000000", "99999999.99"])
def test_round_trip_of_amounts(file_format: str, amount: str) -> None:
    report = report_with_all_distinct_numbers()
    fees = attrs.evolve(report.other.information_fees, notified_yuan=Decimal(amount), collected_yuan=Decimal(amount))
    report = attrs.evolve(
        report,
        other=attrs.evolve(report.other, information_fees=fees),
        proactive=attrs.evolve(report.proactive, fees_wan_yuan=Decimal(amount)),
    )
    back = loads(dumps(report, file_format), file_format)
    assert back == report
    assert back.other.information_fees is not None
    assert isinstance(back.other.information_fees.collected_yuan, Decimal)
    assert isinstance(back.proactive.fees_wan_yuan, Decimal)
