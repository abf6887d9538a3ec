"""What a batch writes: a summary always (whatever the names hold: surrogates, control characters, file names
that are not UTF-8, formulas), never over an input, and temporaries only reportkit would name and clean."""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

import reportkit
from reportkit import fs, xlsx_form
from reportkit.batch import (
    STATUS_OK,
    STATUS_UNREADABLE,
    _line_count,
    clean_text,
    run_batch,
    summary_csv,
    summary_xlsx,
    write_summaries,
)
from reportkit.cli import main

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "examples" / "county"
HYPERLINK = '=HYPERLINK("http://example.invalid/","点我")'


def _with_name(name: str) -> reportkit.AnnualReport:
    report = reportkit.load(COUNTY / "finance-2022.toml")
    return attrs.evolve(report, agency=attrs.evolve(report.agency, name=name))


def _summaries(results: list[reportkit.batch.AgencyResult]) -> tuple[list[list[object]], list[list[str]]]:
    sheet = load_workbook(io.BytesIO(summary_xlsx(results))).active
    xlsx_rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
    csv_rows = list(csv.reader(io.StringIO(summary_csv(results).decode("utf-8-sig"))))
    return xlsx_rows, csv_rows


# ---------------------------------------------------------------------------------------------------
# Texts in the summary
# ---------------------------------------------------------------------------------------------------


def test_clean_text() -> None:
    assert clean_text("财政\x07局\x00") == "财政局"
    assert clean_text("a\tb\nc\rd") == "a b c d"
    assert clean_text("\ud800名") == "\ufffd名"
    assert clean_text(os.fsdecode("财政局".encode("gbk"))) == "\\xb2\\xc6\\xd5\\xfe\\xbe\\xd6"
    assert clean_text("\u200e\x9b\ufffe") == "\u200e"
    assert len(clean_text("字" * 40_000)) == 32_767


def test_a_formula_in_an_agency_name_is_plain_text_in_both_summaries(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    reportkit.dump(_with_name(HYPERLINK), folder / "evil.toml")
    reportkit.dump(_with_name("+1-2"), folder / "plus.toml")
    results = run_batch(folder, tmp_path / "out", jobs=1, kinds=("xlsx",))
    assert {r.agency for r in results} == {HYPERLINK, "+1-2"}
    xlsx_rows, csv_rows = _summaries(results)
    assert {row[1] for row in xlsx_rows[1:]} == {HYPERLINK, "+1-2"}  # text, exactly as given
    assert {row[1] for row in csv_rows[1:]} == {"'" + HYPERLINK, "'+1-2"}  # OWASP: a leading ' neutralises
    for row in csv_rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_hostile_names_and_file_names_never_stop_the_summary(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    reportkit.dump(_with_name("代号局"), folder / "surrogate.json")
    text = (folder / "surrogate.json").read_text(encoding="utf-8").replace("代号局", "\\ud800局")
    (folder / "surrogate.json").write_text(text, encoding="utf-8")  # a lone surrogate, JSON-escaped
    reportkit.dump(_with_name("财政局"), folder / "control.toml")
    text = (folder / "control.toml").read_text(encoding="utf-8").replace("财政局", "财政\\u0007局\\u001b[31m")
    (folder / "control.toml").write_text(text, encoding="utf-8")  # control characters, TOML-escaped
    gbk_name = os.fsencode(folder) + b"/" + "财政局".encode("gbk") + b".toml"
    with open(gbk_name, "wb") as handle:  # a file name that is not UTF-8 (copied from a GBK system)
        handle.write((COUNTY / "education-2022.toml").read_bytes())
    out = tmp_path / "out"
    results = run_batch(folder, out, jobs=2)
    assert len(results) == 3
    xlsx_path, csv_path = write_summaries(results, out)
    assert xlsx_path.exists() and csv_path.exists()
    xlsx_rows, csv_rows = _summaries(results)
    assert len(xlsx_rows) == len(csv_rows) == 4
    shown = {str(row[0]).rsplit("/", 1)[-1]: row for row in xlsx_rows[1:]}
    gbk = shown["\\xb2\\xc6\\xd5\\xfe\\xbe\\xd6.toml"]  # the undecodable bytes, visibly
    assert gbk[1] == "隆德县教育体育局" and gbk[3] == STATUS_OK
    # Both names are refused when read (issue 9.11), naming the key; the summary shows why, printably.
    for name in ("control.toml", "surrogate.json"):
        assert shown[name][3] == STATUS_UNREADABLE, shown[name]
        assert "agency.name" in str(shown[name][-2])
    assert "U+0007" in str(shown["control.toml"][-2])
    for row in csv_rows:
        for cell in row:
            assert not any(0xD800 <= ord(c) <= 0xDFFF or (ord(c) < 0x20 and c != "\n") for c in cell), cell


@pytest.mark.skipif(sys.platform != "linux", reason="file names as bytes")
def test_the_batch_command_with_a_gbk_file_name(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    with open(os.fsencode(folder) + b"/" + "沙塘镇".encode("gbk") + b".toml", "wb") as handle:
        handle.write((COUNTY / "shatang-2022.toml").read_bytes())  # fails its checks: printed with its name
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "reportkit", "batch", str(folder), "-o", str(out), "--jobs", "1"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "\\xcc\\xc1\\xd5\\xf2.toml" in done.stdout  # 塘镇 in GBK, shown as bytes
    assert (out / "汇总.xlsx").exists() and (out / "汇总.csv").exists()


# ---------------------------------------------------------------------------------------------------
# Never over an input
# ---------------------------------------------------------------------------------------------------


def test_an_output_never_takes_the_name_of_another_agencys_input(tmp_path: Path) -> None:
    """`batch -o` the input folder: an office named its filled form like the finance bureau's output."""
    folder = tmp_path / "county"
    folder.mkdir()
    shutil.copy(COUNTY / "finance-2022.toml", folder)
    finance = reportkit.load(COUNTY / "finance-2022.toml")
    education = reportkit.load(COUNTY / "education-2022.toml")
    form = folder / f"{finance.title}.xlsx"  # the education bureau's form, under that name
    form.write_bytes(xlsx_form.fill_form(education))
    before = form.read_bytes()
    results = run_batch(folder, folder, jobs=2)
    assert form.read_bytes() == before
    by_agency = {r.agency: r for r in results}
    assert {r.status for r in results} == {STATUS_OK}
    outputs = sorted(Path(p).name for p in by_agency[finance.agency.name].outputs)
    assert outputs == [f"{finance.title}-2.docx", f"{finance.title}-2.xlsx"]
    assert Path(by_agency[education.agency.name].outputs[0]).name.startswith(education.title)
    xlsx_path, _ = write_summaries(results, folder, inputs=[folder / "finance-2022.toml", form])
    assert xlsx_path.name == "汇总.xlsx"


def test_an_output_never_takes_the_name_of_last_years_input(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    shutil.copy(COUNTY / "finance-2022.toml", folder)
    title = reportkit.load(COUNTY / "finance-2022.toml").title
    last_year = out / f"{title}.xlsx"  # --previous is the output folder, holding a form named like it
    last_year.write_bytes(xlsx_form.fill_form(reportkit.load(COUNTY / "previous" / "finance-2021.toml")))
    before = last_year.read_bytes()
    (result,) = run_batch(folder, out, previous=out, jobs=1)
    assert last_year.read_bytes() == before
    assert sorted(Path(p).name for p in result.outputs) == [f"{title}-2.docx", f"{title}-2.xlsx"]
    assert Path(result.previous) == last_year


def test_the_summary_is_not_written_over_an_input_named_like_it(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    form = folder / "汇总.xlsx"
    form.write_bytes(xlsx_form.fill_form(reportkit.load(COUNTY / "finance-2022.toml")))
    before = form.read_bytes()
    assert main(["batch", str(folder), "-o", str(folder), "--jobs", "1"]) == 0
    assert form.read_bytes() == before
    assert (folder / "汇总-2.xlsx").exists() and (folder / "汇总-2.csv").exists()


# ---------------------------------------------------------------------------------------------------
# Temporaries: only reportkit's, only of dead processes
# ---------------------------------------------------------------------------------------------------


def _dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def test_atomic_writes_use_names_only_reportkit_uses(tmp_path: Path) -> None:
    temporary = fs.write_temporary(tmp_path / "报告.docx", b"data", owner=4242)
    assert fs.temporary_owner(temporary.name) == 4242 and temporary.name.startswith(".报告.docx.~reportkit-4242-")
    assert fs.commit(temporary, tmp_path / "报告.docx").read_bytes() == b"data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报告.docx"]
    long = fs.atomic_write_bytes(tmp_path / ("长" * 60 + ".docx"), b"x")  # 180 bytes: the temporary fits too
    assert long.read_bytes() == b"x"


def test_cleanup_removes_only_reportkits_temporaries_of_dead_processes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    mine = out / ".计划.xlsx.ab12cd.tmp"  # a user's own temporary file (the old cleanup deleted it)
    mine.write_bytes(b"user data")
    other = out / ".x.docx.tmp"
    other.write_bytes(b"user data")
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    live = out / f".财政局.docx.~reportkit-{running.pid}-abc123.tmp"  # another batch, still writing
    live.write_bytes(b"half")
    stale = out / f".财政局.docx.~reportkit-{_dead_pid()}-def456.tmp"  # a killed run's
    stale.write_bytes(b"half")
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(COUNTY / "finance-2022.toml", folder)
    try:
        (result,) = run_batch(folder, out, jobs=1, kinds=("xlsx",))
        assert result.status == STATUS_OK
        assert mine.exists() and other.exists() and live.exists()
        assert not stale.exists()
        assert fs.remove_temporaries(out, owner=running.pid) == [live]
        assert mine.exists() and other.exists()
    finally:
        running.kill()
        running.wait()


# ---------------------------------------------------------------------------------------------------
# The summary workbook: printable, streamed (issues 12.4 and 13)
# ---------------------------------------------------------------------------------------------------


def _results(count: int) -> list[reportkit.batch.AgencyResult]:
    from reportkit.batch import STATUS_FINDINGS, AgencyResult

    totals = (("本年新收", 3), ("上年结转", 1), ("本年合计", 4), ("结转下年度", 0), ("行政复议", 1), ("行政诉讼", 0))
    long_path = "/srv/县政府信息公开/2022年度/各单位数据/" + "很长的目录名/" * 4
    return [
        AgencyResult(
            f"{long_path}单位{n}.toml",
            STATUS_FINDINGS if n % 7 == 0 else STATUS_OK,
            agency=f"隆德县第{n}局",
            title=f"隆德县第{n}局2022年政府信息公开工作年度报告",
            errors=1 if n % 7 == 0 else 0,
            warnings=2,
            findings=(f"[错误] table.balance 三、依申请公开 第{n}行 合计不等于各项之和",) * 3,
            totals=totals,
            outputs=(f"/srv/out/隆德县第{n}局2022年政府信息公开工作年度报告.docx",),
            previous=f"{long_path}上年/单位{n}.toml",
        )
        for n in range(count)
    ]


def test_the_summary_workbook_prints_on_a4_landscape_with_a_frozen_wrapped_header(tmp_path: Path) -> None:
    results = _results(30)
    xlsx_path, _ = write_summaries(results, tmp_path)
    sheet = load_workbook(xlsx_path).active
    assert sheet.title == "汇总"
    assert sheet.freeze_panes == "A2"
    assert sheet.print_title_rows == "$1:$1"  # the header on every printed page
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0  # as many pages long as it needs, one page wide
    assert "&P" in sheet.oddFooter.center.text
    head = [cell.value for cell in sheet[1]]
    widths = {label: sheet.column_dimensions[get_column_letter(n)].width for n, label in enumerate(head, 1)}
    assert sum(widths.values()) < 230  # fits one A4 landscape page wide at a readable scale
    assert all(width >= 6 for width in widths.values())
    for label in ("数据文件", "上年报告", "输出文件", "问题", "机关"):
        column = head.index(label) + 1
        assert sheet.cell(row=2, column=column).alignment.wrap_text, label
    assert sheet.row_dimensions[2].height > 15  # sized to its wrapped paths and findings
    assert sheet.cell(row=2, column=head.index("错误数") + 1).value == 1  # numbers are numbers
    assert sheet.cell(row=2, column=1).fill.fgColor.rgb.endswith("FFC7CE")  # a failed agency in red
    assert not sheet.cell(row=3, column=1).fill.fill_type


def test_the_summaries_are_written_row_by_row_in_flat_memory(tmp_path: Path) -> None:
    """Writing the summaries of 4,000 agencies takes a few megabytes (openpyxl's workbook took about 15 KB a
    row, 60 MB here), read back from a spooled :class:`ResultLog`."""
    import tracemalloc

    from reportkit.batch import ResultLog

    log = ResultLog()
    for result in _results(4000):
        log.append(result)
    assert len(log) == 4000 and log[-1].agency == "隆德县第3999局" and log[3:5] == _results(5)[3:5]
    tracemalloc.start()
    try:
        xlsx_path, csv_path = write_summaries(log, tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024**2, peak
    rows = list(load_workbook(xlsx_path, read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 4001 and rows[4000][1] == "隆德县第3999局"
    with csv_path.open(encoding="utf-8-sig") as handle:
        assert len(list(csv.reader(handle))) == 4001


def test_the_summary_workbook_is_a_deterministic_package() -> None:
    """Written through reportkit.ooxml.package like every output: members dated 1980-01-01, so the same batch
    gives the same bytes whenever it runs (zipfile dated them by the clock)."""
    import zipfile

    from reportkit.ooxml.package import ZIP_DATE, Member, zip_package

    data = summary_xlsx(_results(40))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        assert all(info.date_time == ZIP_DATE for info in package.infolist())
        members = [Member.deflate(info.filename, package.read(info), 6) for info in package.infolist()]
    assert zip_package(members) == data


def test_a_summary_row_is_as_high_as_its_text_is_wide() -> None:
    """Two units a character above U+2E80 (CJK, full-width forms, emoji), one unit below, by the definition."""

    def by_definition(text: str, width: float) -> int:
        per_line = max(int(width) - 1, 1)
        units = [sum(2 if ord(ch) > 0x2E80 else 1 for ch in line) for line in text.split("\n")]
        return sum(max(1, -(-count // per_line)) for count in units)

    rng = random.Random(7)
    characters = ["a", " ", "\n", "中", "\u2e80", "\u2e81", "\U0001f600", "é", "\u3000", "１"]
    for _ in range(3000):
        text = "".join(rng.choice(characters) for _ in range(rng.randint(0, 60)))
        width = rng.choice([0, 1, 2, 5.5, 12, 40])
        assert _line_count(text, width) == by_definition(text, width), (text, width)
    assert _line_count("中" * 10, 11) == 2 and _line_count("a" * 10, 11) == 1
