"""``aggregate`` in parallel: workers read and check, the parent adds the figures as they arrive; the summary
is the same as summing the same files one after another in this process."""

from __future__ import annotations

import shutil
from pathlib import Path

import attrs
import pytest

import reportkit
from reportkit import batch
from reportkit.batch import NothingToAggregate, SummaryMember, aggregate, aggregate_folder
from reportkit.model import AnnualReport
from reportkit.pool import Outcome

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "examples" / "county"


def _serial(folder: Path, *, year: int | None, include_errors: bool = False) -> reportkit.batch.CountySummary:
    """The same files summed one at a time in this process, no worker involved."""
    items: list[tuple[str, AnnualReport]] = []
    left_out: list[SummaryMember] = []
    for index, path in enumerate(batch.discover(folder)):
        answer = batch._summary_input(str(path))  # what a worker answers
        kept = batch._set_aside(str(path), Outcome(index, value=answer), include_errors)
        if isinstance(kept, SummaryMember):
            left_out.append(kept)
        else:
            items.append((str(path), kept))
    return aggregate(items, year=year, left_out=left_out)


@pytest.fixture
def county(tmp_path: Path) -> Path:
    folder = tmp_path / "county"
    folder.mkdir()
    for path in COUNTY.glob("*-2022.*"):
        shutil.copy(path, folder)
    for copy in range(25):  # enough agencies that the two workers finish out of order
        report = reportkit.load(COUNTY / "education-2022.toml")
        name = f"隆德县第{copy}学区"
        changed = attrs.evolve(
            report,
            agency=attrs.evolve(report.agency, name=name),
            proactive=attrs.evolve(report.proactive, licensing=report.proactive.licensing + copy),
        )
        reportkit.dump(changed, folder / f"school-{copy:02d}.toml")
    shutil.copy(COUNTY / "finance-2022.toml", folder / "zz-finance-copy.toml")  # the same file twice
    finance = reportkit.load(COUNTY / "finance-2022.toml")
    other = attrs.evolve(finance, proactive=attrs.evolve(finance.proactive, licensing=finance.proactive.licensing + 9))
    reportkit.dump(other, folder / "zz-finance-other.toml")  # the same agency, other figures
    shutil.copy(COUNTY / "previous" / "chengguan-2021.toml", folder)  # another year
    (folder / "broken.toml").write_text("year = 2022\n[agency\n", encoding="utf-8")  # unreadable
    return folder


def test_parallel_aggregate_gives_the_serial_summary(county: Path) -> None:
    parallel = aggregate_folder(county, year=2022, jobs=2)
    assert parallel == _serial(county, year=2022)
    assert parallel.count == 5 + 1 + 25  # the good county agencies, the filled form, the schools
    reasons = " ".join(m.reason for m in parallel.left_out)
    for expected in ("无法读取", "项错误", "数字完全相同", "同一机关", "报告年度为2021年"):
        assert expected in reasons
    schools = sum(reportkit.load(county / f"school-{n:02d}.toml").proactive.licensing for n in range(25))
    assert schools == 25 * reportkit.load(COUNTY / "education-2022.toml").proactive.licensing + sum(range(25))
    with_errors = aggregate_folder(county, year=2022, include_errors=True, jobs=2)
    assert with_errors == _serial(county, year=2022, include_errors=True)
    assert with_errors.count == parallel.count + 1


def test_parallel_aggregate_refuses_mixed_years_as_the_serial_one_does(county: Path) -> None:
    with pytest.raises(reportkit.ReportkitError, match="2021年度 1 份") as parallel:
        aggregate_folder(county, jobs=2)
    with pytest.raises(reportkit.ReportkitError) as serial:
        _serial(county, year=None)
    assert str(parallel.value) == str(serial.value)


def test_nothing_to_aggregate_says_why_for_each_file(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("[agency\n", encoding="utf-8")
    shutil.copy(COUNTY / "shatang-2022.toml", tmp_path)  # has errors
    with pytest.raises(NothingToAggregate) as caught:
        aggregate_folder(tmp_path, jobs=2)
    assert [Path(m.source).name for m in caught.value.left_out] == ["broken.toml", "shatang-2022.toml"]
