"""Batch runs over a county's folder, safe output names, and the aggregation of tables 二, 三 and 四."""

from __future__ import annotations

import csv
import io
import shutil
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from openpyxl import load_workbook

import reportkit
from reportkit.batch import STATUS_FINDINGS, STATUS_OK, STATUS_UNREADABLE, aggregate, run_batch
from reportkit.cli import main
from reportkit.formats import gov2021 as fmt

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "examples" / "county"


@pytest.fixture(scope="module")
def county_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[reportkit.batch.AgencyResult]]:
    out = tmp_path_factory.mktemp("county")
    results = run_batch(COUNTY, out, previous=COUNTY / "previous", jobs=2)
    return out, results


def test_batch_renders_the_good_agencies_and_lists_the_failing_one(
    county_run: tuple[Path, list[reportkit.batch.AgencyResult]],
) -> None:
    out, results = county_run
    by_file = {Path(r.source).name: r for r in results}
    assert len(results) == len(list(COUNTY.glob("*.toml"))) + len(list(COUNTY.glob("*.xlsx"))) == 7
    assert by_file["shenlin-2022.xlsx"].status == STATUS_OK  # a filled Excel form among the figures files
    failing = by_file["shatang-2022.toml"]
    assert failing.status == STATUS_FINDINGS and failing.failed
    assert failing.errors == 3 and not failing.outputs
    assert any("applications.balance" in line for line in failing.findings)
    assert any("dates.signed_too_early" in line for line in failing.findings)
    for name, result in by_file.items():
        if name == "shatang-2022.toml":
            continue
        assert result.status == STATUS_OK, (name, result.findings)
        assert {Path(p).suffix for p in result.outputs} == {".docx", ".xlsx"}
        for path in result.outputs:
            assert Path(path).parent == out and Path(path).stat().st_size > 0
    # Cross-year rules ran: the education bureau copied last year's section 五.
    assert any("previous.text_copied" in line for line in by_file["education-2022.toml"].findings)
    # Each agency wrote its own texts: that copied section 五 is the county's only warning (no 与其他单位雷同).
    warned = {n: [line.split()[1] for line in r.findings if line.startswith("[提醒]")] for n, r in by_file.items()}
    assert warned == {name: ["previous.text_copied"] if name == "education-2022.toml" else [] for name in by_file}
    # Nothing but complete outputs: no temporary files left behind.
    assert not list(out.glob(".*.tmp"))


def test_batch_command_writes_summary_and_fails_when_an_agency_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["batch", str(COUNTY), "-o", str(tmp_path), "--previous", str(COUNTY / "previous"), "--jobs", "1"])
    assert code == 1
    printed = capsys.readouterr().out
    assert "shatang-2022.toml" in printed and "1 个未通过" in printed
    book = load_workbook(tmp_path / "汇总.xlsx")
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    head = rows[0]
    assert head[:4] == ("数据文件", "机关", "报告标题", "状态")
    assert fmt.APPLICATIONS_TABLE.row("new").short_label in head
    statuses = {Path(str(row[0])).name: row[3] for row in rows[1:]}
    assert statuses["shatang-2022.toml"] == STATUS_FINDINGS
    assert statuses["finance-2022.toml"] == STATUS_OK
    with (tmp_path / "汇总.csv").open(encoding="utf-8-sig") as handle:
        assert len(list(csv.reader(handle))) == len(rows)


def test_a_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(COUNTY / "finance-2022.toml", folder)
    (folder / "broken.toml").write_text("[agency\nname = 1", encoding="utf-8")
    (folder / "~$lock.xlsx").write_bytes(b"lock file of an open workbook")
    (folder / "notes.txt").write_text("not an input", encoding="utf-8")
    results = run_batch(folder, tmp_path / "out", jobs=1)
    statuses = {Path(r.source).name: r.status for r in results}
    assert statuses == {"broken.toml": STATUS_UNREADABLE, "finance-2022.toml": STATUS_OK}
    assert "TOML" in next(r for r in results if r.status == STATUS_UNREADABLE).findings[0]


@pytest.mark.parametrize("hostile", ["../../x", "..\\..\\evil", "CON", "a/b:c*d"])
def test_output_names_stay_inside_outdir(tmp_path: Path, hostile: str) -> None:
    report = reportkit.load(COUNTY / "finance-2022.toml")
    report = attrs.evolve(report, agency=attrs.evolve(report.agency, name=hostile, title_name=hostile))
    folder = tmp_path / "in"
    folder.mkdir()
    reportkit.dump(report, folder / "a.toml")
    reportkit.dump(report, folder / "b.toml")  # the same name twice: no collision
    out = tmp_path / "out"
    results = run_batch(folder, out, jobs=1)
    outputs = [Path(p) for r in results for p in r.outputs]
    assert len(outputs) == 4 and len(set(outputs)) == 4
    for path in outputs:
        assert path.resolve().parent == out.resolve()
        assert path.stem.split(".")[0].upper() != "CON"
    assert {p.name for p in tmp_path.iterdir()} == {"in", "out"}


def _report_with(seed: int) -> reportkit.AnnualReport:
    """A small report whose every input cell differs, offset by ``seed``."""
    report = reportkit.load(COUNTY / "finance-2022.toml")
    apps = report.applications
    for index, row in enumerate(fmt.APPLICATIONS_TABLE.input_rows):
        values = [seed + 10 * index + column for column in range(6)]
        apps = apps.with_row(row.key, reportkit.ApplicantCounts.of(values))
    review = reportkit.ReviewLitigation(
        reportkit.CaseOutcomes(seed, seed + 1, seed + 2, seed + 3),
        reportkit.CaseOutcomes(seed + 4, seed + 5, seed + 6, seed + 7),
        reportkit.CaseOutcomes(seed + 8, seed + 9, seed + 10, seed + 11),
    )
    proactive = reportkit.ProactiveDisclosure(
        reportkit.DocumentCounts(seed, seed + 1, seed + 2),
        reportkit.DocumentCounts(seed + 3, seed + 4, seed + 5),
        seed + 6,
        seed + 7,
        seed + 8,
        Decimal(seed) + Decimal("0.25"),
    )
    fees = reportkit.InformationFees(seed, Decimal(seed * 100), Decimal(seed * 50))
    return attrs.evolve(
        report,
        applications=apps,
        review_litigation=review,
        proactive=proactive,
        other=attrs.evolve(report.other, information_fees=fees),
    )


def _agency(report: reportkit.AnnualReport, name: str) -> reportkit.AnnualReport:
    return attrs.evolve(report, agency=attrs.evolve(report.agency, name=name))


def test_aggregate_sums_every_cell() -> None:
    parts = [_agency(_report_with(1), "甲局"), _agency(_report_with(100), "乙局"), _agency(_report_with(1000), "丙局")]
    total = aggregate(parts, name="隆德县")
    table = fmt.APPLICATIONS_TABLE
    for row in table.row_leaves:
        for column in table.column_leaves:
            expected = sum(p.applications.cell(row.key, column.key) for p in parts)
            assert total.applications.cell(row.key, column.key) == expected, (row.key, column.key)
    for leaf in fmt.REVIEW_LITIGATION_TABLE.column_leaves:
        assert total.review_litigation.cell(leaf.key) == sum(p.review_litigation.cell(leaf.key) for p in parts)
    for block in fmt.PROACTIVE_BLOCKS:
        for leaf in block.rows:
            for column in block.columns:
                key = block.cell_key(leaf, column)
                assert total.proactive.value(key) == sum(p.proactive.value(key) for p in parts), key
    assert total.proactive.fees_wan_yuan == Decimal("1101.75")
    assert total.information_fees == reportkit.InformationFees(1101, Decimal(110100), Decimal(55050))
    assert total.title == "隆德县2022年政府信息公开工作年度报告数据汇总"
    assert total.count == 3 and [m.agency for m in total.included] == ["甲局", "乙局", "丙局"]


def test_aggregate_command_refuses_reports_with_errors_unless_asked(tmp_path: Path) -> None:
    out = tmp_path / "sum.xlsx"
    assert main(["aggregate", str(COUNTY), "-o", str(out)]) == 1  # 沙塘镇 refused, the others summed
    book = load_workbook(io.BytesIO(out.read_bytes()), data_only=True)
    assert book.sheetnames
    assert main(["aggregate", str(COUNTY), "-o", str(out), "--include-errors"]) == 0


def test_check_does_not_import_the_renderers() -> None:
    """`reportkit check` stays fast as a process: docxtpl and openpyxl load only when rendering."""
    import subprocess
    import sys

    code = (
        "import sys, reportkit; "
        f"reportkit.check(reportkit.load({str(COUNTY / 'finance-2022.toml')!r})); "
        "from reportkit.cli import main; "
        "heavy = [m for m in ('docxtpl', 'docx', 'openpyxl', 'lxml') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("command", ["init", "aggregate"])
def test_init_and_aggregate_take_the_same_years(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # one year type serves both commands: 1950 was taken by aggregate --year and refused by init --year
    target = str(tmp_path / ("figures.toml" if command == "init" else "in"))
    with pytest.raises(SystemExit) as caught:
        main([command, target, "--year", "1950"])
    assert caught.value.code == 2
    assert "参数 --year：年度应为四位数字，如 2023，而不是“1950”" in capsys.readouterr().err


def test_aggregate_of_a_folder_with_nothing_to_sum_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "乡镇"
    folder.mkdir()
    (folder / "bad.toml").write_text("x = [", encoding="utf-8")
    assert main(["aggregate", str(folder), "-o", str(tmp_path / "sum.xlsx"), "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert f"{folder} 中没有可汇总的报告。" in out and "bad.toml" in out
    assert not (tmp_path / "sum.xlsx").exists()


def test_a_batch_of_both_formats_renders_each_with_its_own_templates(tmp_path: Path) -> None:
    # The batch compiles only the newest format's templates before forking; a worker compiles the 2019 ones
    # when it meets a report of that format. Each file is what rendering the report alone gives.
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("trial-format-2020.toml", "longde-chengguan-2021.toml"):
        shutil.copy(ROOT / "examples" / name, folder / name)
    results = run_batch(folder, tmp_path / "out", jobs=2)
    assert [r.status for r in results] == [STATUS_OK, STATUS_OK]
    for result in results:
        report = reportkit.load(result.source)
        docx, xlsx = sorted(result.outputs)
        assert Path(docx).read_bytes() == reportkit.render_docx(report)
        assert Path(xlsx).read_bytes() == reportkit.render_xlsx(report)
