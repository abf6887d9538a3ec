"""Cross-year checks name the agencies they compare: last year's report of another agency, none found for
an agency (with the closest name: a renamed agency), two of the same agency; names match across white space
and full-width forms; the summary says which previous file each agency was checked against."""

from __future__ import annotations

import csv
import io
import json
import pickle
import shutil
import sys
from array import array
from pathlib import Path

import attrs
import pytest
from openpyxl import load_workbook

import reportkit
from reportkit.batch import STATUS_OK, AgencyResult, run_batch, summary_csv, summary_xlsx
from reportkit.cli import main
from reportkit.rules import agency_key

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "examples" / "county"


def _renamed(source: Path, target: Path, name: str, **report: object) -> Path:
    loaded = reportkit.load(source)
    changed = attrs.evolve(loaded, agency=attrs.evolve(loaded.agency, name=name))
    if report:
        changed = attrs.evolve(changed, report=attrs.evolve(changed.report, **report))
    reportkit.dump(changed, target)
    return target


def _codes(result: reportkit.batch.AgencyResult) -> list[str]:
    return [line.split()[1] for line in result.findings if line.startswith("[")]


def test_agency_names_match_across_white_space_and_full_width_forms() -> None:
    assert agency_key("隆德县 财政局") == agency_key("隆德县财政局") == agency_key("\u3000隆德县财政局\t")
    assert agency_key("ＸＸ县（区）财政局") == agency_key("xx县(区)财政局")
    assert agency_key("隆德县\u200b财政局") == agency_key("隆德县财政局")
    assert agency_key("隆德县财政局") != agency_key("隆德县教育体育局")


# ---------------------------------------------------------------------------------------------------
# check --previous
# ---------------------------------------------------------------------------------------------------


def test_check_previous_of_another_agency_warns_naming_both(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["check", str(COUNTY / "finance-2022.toml"), "--previous", str(COUNTY / "previous" / "education-2021.toml")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "previous.other_agency" in out and "隆德县财政局" in out and "隆德县教育体育局" in out


def test_check_previous_of_the_same_agency_written_differently_is_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spaced = _renamed(COUNTY / "previous" / "finance-2021.toml", tmp_path / "2021.toml", "隆德县　财政局 ")
    code = main(["check", str(COUNTY / "finance-2022.toml"), "--previous", str(spaced), "--json"])
    assert code == 0
    assert "previous.other_agency" not in [f["code"] for f in json.loads(capsys.readouterr().out)]


# ---------------------------------------------------------------------------------------------------
# The batch
# ---------------------------------------------------------------------------------------------------


@pytest.fixture()
def folders(tmp_path: Path) -> tuple[Path, Path]:
    now, before = tmp_path / "2022", tmp_path / "2021"
    now.mkdir()
    before.mkdir()
    for name in ("finance", "education", "natural-resources"):
        shutil.copy(COUNTY / f"{name}-2022.toml", now)
    # Finance's last year is written with a full-width space; education was renamed since; natural resources
    # has two files of last year (one of 2020 by mistake).
    _renamed(COUNTY / "previous" / "finance-2021.toml", before / "caizheng.toml", "隆德县　财政局")
    _renamed(COUNTY / "previous" / "education-2021.toml", before / "jiaoyu.toml", "隆德县教育局")
    shutil.copy(COUNTY / "previous" / "natural-resources-2021.toml", before / "ziran-2021.toml")
    _renamed(
        COUNTY / "previous" / "natural-resources-2021.toml",
        before / "ziran-2020.toml",
        "隆德县自然资源局",
        year=2020,
    )
    return now, before


def test_batch_matches_warns_and_names_the_previous_file(tmp_path: Path, folders: tuple[Path, Path]) -> None:
    now, before = folders
    results = run_batch(now, tmp_path / "out", previous=before, jobs=2)
    by_file = {Path(r.source).name: r for r in results}

    finance = by_file["finance-2022.toml"]
    assert finance.status == STATUS_OK and Path(finance.previous).name == "caizheng.toml"
    assert not {"previous.missing", "previous.other_agency"} & set(_codes(finance))

    education = by_file["education-2022.toml"]
    assert education.previous == "" and "previous.missing" in _codes(education)
    (missing,) = [line for line in education.findings if "previous.missing" in line]
    assert "隆德县教育体育局" in missing and str(before) in missing  # the agency and where it was looked for
    assert "隆德县教育局" in missing and "jiaoyu.toml" in missing  # the close name: a renamed agency
    assert education.warnings >= 1

    resources = by_file["natural-resources-2022.toml"]
    (duplicate,) = [line for line in resources.findings if "previous.duplicate" in line]
    assert "ziran-2021.toml" in duplicate and "ziran-2020.toml" in duplicate
    assert Path(resources.previous).name == "ziran-2021.toml"  # the one of the year before is used

    for data in (summary_csv(results).decode("utf-8-sig"),):
        rows = list(csv.reader(io.StringIO(data)))
        column = rows[0].index("上年报告")
        assert {Path(r[0]).name: Path(r[column]).name if r[column] else "" for r in rows[1:]} == {
            "education-2022.toml": "",
            "finance-2022.toml": "caizheng.toml",
            "natural-resources-2022.toml": "ziran-2021.toml",
        }
    sheet = load_workbook(io.BytesIO(summary_xlsx(results))).active
    head = [cell.value for cell in sheet[1]]
    assert "上年报告" in head
    assert str(sheet.cell(row=3, column=head.index("上年报告") + 1).value).endswith("caizheng.toml")


def test_two_previous_files_of_one_agency_and_no_right_year_means_no_cross_year_check(
    tmp_path: Path, folders: tuple[Path, Path]
) -> None:
    now, before = folders
    _renamed(COUNTY / "previous" / "finance-2021.toml", before / "caizheng-copy.toml", "隆德县财政局")
    (finance,) = [r for r in run_batch(now, tmp_path / "out", previous=before, jobs=1) if "finance" in r.source]
    (duplicate,) = [line for line in finance.findings if "previous.duplicate" in line]
    assert "caizheng.toml" in duplicate and "caizheng-copy.toml" in duplicate and "未做跨年核对" in duplicate
    assert finance.previous == ""


def test_each_report_is_checked_once_per_batch_item(
    tmp_path: Path, folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One check per agency, with last year's report, in the worker: no second check in the parent."""
    import os

    import reportkit.batch as batch

    log = tmp_path / "checks.log"
    real = batch.check

    def logged(report: reportkit.AnnualReport, previous: reportkit.AnnualReport | None = None) -> list[object]:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {report.agency.name} {previous is not None}\n")
        return real(report, previous)  # type: ignore[return-value]

    monkeypatch.setattr(batch, "check", logged)  # forked workers inherit it
    now, before = folders
    results = run_batch(now, tmp_path / "out", previous=before, jobs=2, kinds=("xlsx",))
    assert len(results) == 3
    lines = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    assert sorted((name, used) for _, name, used in lines) == [
        ("隆德县教育体育局", "False"),
        ("隆德县自然资源局", "True"),
        ("隆德县财政局", "True"),
    ]
    assert str(os.getpid()) not in {pid for pid, _, _ in lines}


def _batch_failing_reads(
    tmp_path: Path, folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, which: str, message: str
) -> list[AgencyResult]:
    """The batch of ``folders`` with reads of the spool ``which`` (``"spool"``: last year's reports,
    ``"records"``: the index's records) failing in the workers (the index phase in the parent wrote them)."""
    import reportkit.batch as batch

    real = batch._Spool.read

    def read(self: batch._Spool, offset: int, size: int) -> bytes:
        context = batch._context
        if context is not None and context.previous is not None and self.path == getattr(context.previous, which):
            raise OSError(message)
        return real(self, offset, size)

    monkeypatch.setattr(batch._Spool, "read", read)
    now, before = folders
    return list(run_batch(now, tmp_path / "out", previous=before, jobs=1, kinds=("xlsx",)))


def test_a_previous_report_that_cannot_be_read_back_from_the_spool_is_a_warning(
    tmp_path: Path, folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    results = _batch_failing_reads(tmp_path, folders, monkeypatch, "spool", "spool file is short")
    (finance,) = [r for r in results if "finance" in r.source]
    assert finance.status == STATUS_OK and finance.previous == ""
    (line,) = [line for line in finance.findings if "previous.missing" in line]
    assert "caizheng.toml" in line and "未做跨年核对" in line


def test_an_index_that_cannot_be_read_back_is_a_warning_for_each_agency(
    tmp_path: Path, folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    results = _batch_failing_reads(tmp_path, folders, monkeypatch, "records", "records spool is short")
    for result in results:
        assert result.status == STATUS_OK and result.previous == "", result
        (line,) = [line for line in result.findings if "previous.missing" in line]
        assert "上年报告索引" in line and "records spool is short" in line and "未做跨年核对" in line


def test_each_previous_file_is_parsed_once_however_many_agencies(
    tmp_path: Path, folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Last year's files are read once, by the index phase, and spooled: the agencies' workers never parse
    them again (before issue 13 each was parsed by the index and again for its agency)."""
    import os

    import reportkit.batch as batch

    log = tmp_path / "loads.log"
    real = batch.load

    def load(path: str) -> reportkit.AnnualReport:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {Path(path).parent.name}/{Path(path).name}\n")
        return real(path)

    monkeypatch.setattr(batch, "load", load)  # forked workers inherit it
    now, before = folders
    results = run_batch(now, tmp_path / "out", previous=before, jobs=2, kinds=("xlsx",))
    assert [r.previous != "" for r in results].count(True) == 2
    loaded = [line.split()[1] for line in log.read_text(encoding="utf-8").splitlines()]
    previous = sorted(name for name in loaded if name.startswith(before.name + "/"))
    assert previous == sorted(f"{before.name}/{p.name}" for p in before.iterdir()), loaded


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the patch reaches forked workers only")
def test_agencies_whose_keys_hash_alike_are_told_apart(
    tmp_path: Path, folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index looks agencies up by a hash of their key and then compares the keys: with every key hashed
    alike (the workers are forked, so they see the patch), each agency still gets its own last year."""
    import reportkit.batch as batch

    now, before = folders
    expected = {Path(r.source).name: Path(r.previous).name for r in run_batch(now, tmp_path / "a", previous=before)}
    monkeypatch.setattr(batch, "_key_hash", lambda key: 7)
    results = run_batch(now, tmp_path / "b", previous=before, jobs=1)
    assert {Path(r.source).name: Path(r.previous).name for r in results} == expected
    assert expected["finance-2022.toml"] == "caizheng.toml" and expected["education-2022.toml"] == ""
    (resources,) = [r for r in results if "natural-resources" in r.source]
    assert any("previous.duplicate" in line for line in resources.findings)


def test_the_closest_names_are_read_from_the_spool_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reportkit.batch as batch

    records = batch._Spool()
    try:
        kept = [
            batch._Previous(f"{name}.toml", name, 2021) for name in ("隆德县财政局", "隆德县教育局", "隆德县财政局")
        ]
        places = [records.append(pickle.dumps(record)) for record in kept]
        hashes = [batch._key_hash(agency_key(record.agency)) for record in kept]
        order = sorted(range(len(kept)), key=hashes.__getitem__)
        index = batch._PreviousIndex(
            "before",
            "",
            records.path,
            array("Q", (hashes[i] for i in order)),
            array("Q", (places[i][0] for i in order)),
            array("I", (places[i][1] for i in order)),
            records.end,
            (),
        )
        reads: list[tuple[int, int]] = []

        def read(offset: int, size: int) -> bytes:
            reads.append((offset, size))
            return records.read(offset, size)

        batch._agency_keys_read = None
        assert index._closest(agency_key("隆德县教育体育局"), read) == kept[1]
        assert index._closest(agency_key("隆德县财政"), read) == kept[0]  # the first file of that agency
        assert index._closest(agency_key("完全不同的名称"), read) is None
        assert [size for offset, size in reads if offset == 0 and size == records.end] == [records.end]  # once
        report = reportkit.load(COUNTY / "finance-2022.toml")
        assert index.match(report, "finance.toml", read)[1][0].code == "previous.duplicate"
        # every hash alike: the records are told apart by their keys
        monkeypatch.setattr(batch, "_key_hash", lambda key: 7)
        alike = attrs.evolve(index, hashes=array("Q", [7] * len(kept)))
        assert alike._candidates(agency_key("隆德县教育局"), read) == [kept[1]]
        assert alike._candidates(agency_key("隆德县财政局"), read) == [kept[0], kept[2]]
        assert alike._candidates(agency_key("隆德县交通局"), read) == []
    finally:
        records.close()
        batch._agency_keys_read = None


def test_an_index_of_no_readable_file_matches_nothing_and_names_nobody() -> None:
    import reportkit.batch as batch

    records = batch._Spool()
    try:
        empty = batch._PreviousIndex("before", "", records.path, array("Q"), array("Q"), array("I"), 0, ("bad.toml",))
        batch._agency_keys_read = None
        report = reportkit.load(COUNTY / "finance-2022.toml")
        found, (warning,) = empty.match(report, "finance.toml", records.read)
        assert found is None and warning.code == "previous.missing"
        assert "最接近" not in warning.message and "bad.toml" in warning.message  # the unreadable file is named
    finally:
        records.close()
        batch._agency_keys_read = None
