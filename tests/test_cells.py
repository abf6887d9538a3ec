"""cells(report) and from_cells(layout, cells): every official cell by its figures-file key path, and back."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import reportkit
from reportkit.cells import cells, from_cells, input_cells, spec_of, specs
from reportkit.errors import ModelError
from reportkit.formats import all_formats, get_format
from reportkit.formats.layout import CellKind, ValueType
from reportkit.model import AnnualReport, ApplicantCounts, Applications, ProactiveDisclosure
from reportkit.values import Blank, Unit
from strategies import report_with_all_distinct_numbers

ROOT = Path(__file__).resolve().parent.parent
TRIAL = reportkit.load(ROOT / "examples" / "trial-format-2020.toml")
NEWEST = get_format(reportkit.NEWEST)
OLDEST = get_format("gov-info-annual-report/2019")


def reports() -> list[AnnualReport]:
    return [report_with_all_distinct_numbers(), TRIAL]


@pytest.mark.parametrize(
    ("layout", "count", "table2"), [(NEWEST, 10 + 175 + 15, 10), (OLDEST, 22 + 161 + 15, 22)], ids=["2021", "2019"]
)
def test_every_official_cell_once(layout: object, count: int, table2: int) -> None:
    found = specs(layout)  # type: ignore[arg-type]
    assert len(found) == count and len({s.path for s in found}) == count
    assert sum(1 for s in found if s.table == "proactive") == table2
    totals = [s.path for s in found if s.kind is CellKind.TOTAL]
    rows = 23 if layout is OLDEST else 25
    assert len(totals) == rows + 7 - 1 + 3  # the 总计 column, the （七）总计 row, the three 总计 of table 四
    assert "applications.total.total" in totals and "review_litigation.review.total" in totals


def test_paths_are_the_figures_file_keys_and_carry_the_official_labels() -> None:
    spec = spec_of(NEWEST, "applications.withheld.state_secret.natural_person")
    assert (spec.row, spec.column, spec.row_label, spec.column_label) == (
        "withheld.state_secret",
        "natural_person",
        "三、本年度办理结果（三）不予公开1.属于国家秘密",
        "自然人",
    )
    assert spec_of(NEWEST, "proactive.regulations.in_force").column_label == "现行有效件数"
    assert spec_of(NEWEST, "review_litigation.review.upheld").column_label == "行政复议结果维持"
    amount = spec_of(OLDEST, "proactive.procurement.amount")
    assert amount.value_type is ValueType.AMOUNT and amount.unit_path == "proactive.procurement.amount_unit"
    assert spec_of(OLDEST, "proactive.penalty.items_change").value_type is ValueType.SIGNED_COUNT
    assert spec_of(OLDEST, "applications.other_handling.total").is_total
    with pytest.raises(KeyError):
        spec_of(OLDEST, "applications.other_handling.unpaid_fee.natural_person")


@pytest.mark.parametrize("report", reports(), ids=["2021", "2019"])
def test_cells_give_every_value_and_computed_total(report: AnnualReport) -> None:
    values = cells(report)
    assert list(values) == [s.path for s in specs(report.layout)]
    apps = report.applications
    assert values["applications.new.total"] == apps.new.total
    assert values["applications.total.natural_person"] == apps.total.natural_person
    assert values["applications.total.total"] == apps.total.total
    assert values["review_litigation.review.total"] == report.review_litigation.review.total
    for path, value in values.items():
        if path.startswith("proactive."):
            assert value == report.proactive.value(path.removeprefix("proactive."))


@pytest.mark.parametrize("report", reports(), ids=["2021", "2019"])
def test_from_cells_gives_the_tables_back(report: AnnualReport) -> None:
    stated = report
    apps = report.applications
    stated = attrs.evolve(
        report,
        applications=attrs.evolve(
            apps.with_row("new", attrs.evolve(apps.new, declared_total=7)),
            declared_total=attrs.evolve(apps.total, declared_total=3),
        ),
    )
    for each in (report, stated):
        tables = from_cells(each.layout, input_cells(each), units=each.proactive.units)
        assert tables.proactive == each.proactive
        assert tables.applications == each.applications
        assert tables.review_litigation == each.review_litigation
    assert input_cells(stated)["applications.new.total"] == 7
    assert "applications.new.total" not in input_cells(report)


def test_from_cells_refuses_paths_of_another_format_and_bad_values() -> None:
    with pytest.raises(ModelError) as caught:
        from_cells(OLDEST, {"proactive.regulations.in_force": 3, "applications.other_handling.other.business": 1})
    assert [p.where for p in caught.value.problems] == [
        "proactive.regulations.in_force",
        "applications.other_handling.other.business",
    ]
    with pytest.raises(ModelError, match=r"ApplicantCounts\.business"):
        from_cells(OLDEST, {"applications.new.business": "3"})
    tables = from_cells(
        OLDEST, {"proactive.procurement.amount": Decimal("12.5")}, units={"procurement.amount": Unit.WAN_YUAN}
    )
    assert tables.proactive.unit("procurement.amount") is Unit.WAN_YUAN
    assert tables.applications.layout is OLDEST


def test_a_blank_cell_is_kept_and_its_totals_are_none() -> None:
    apps = TRIAL.applications
    report = attrs.evolve(
        TRIAL, applications=apps.with_row("disclosed", attrs.evolve(apps.disclosed, research=Blank("不适用")))
    )
    values = cells(report)
    assert values["applications.disclosed.research"] == Blank("不适用")
    assert values["applications.disclosed.total"] is None
    assert values["applications.total.research"] is None and values["applications.total.total"] is None
    assert values["applications.total.business"] == TRIAL.applications.total.business  # other columns still add up
    assert str(Blank("不适用")) == "不适用" and str(Blank()) == "" and str(Blank("/")) == "/"
    with pytest.raises(ValueError, match="留空"):
        Blank("空")


def test_the_same_accessors_for_every_format() -> None:
    for layout in all_formats():
        apps = Applications(format=layout.id)
        proactive = ProactiveDisclosure(format=layout.id)
        assert apps.total == ApplicantCounts() and apps.row("total").total == 0
        assert apps.new is apps.row("new") and apps.withheld.state_secret is apps.row("withheld.state_secret")
        assert all(proactive.value(key) == 0 for key in proactive.cells)
        assert len(apps.outcome_keys) == (21 if layout is NEWEST else 19)
