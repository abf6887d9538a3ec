"""Limits are clear: each large input either works or gets a clear message, and these tests say which.

- A count above 10^9 (``values.MAX_COUNT``) in a figures file or a form: refused, naming the key or cell.
  Exactly 10^9 works.
- Texts of 100,000 characters in every text section: ``check``, ``render_docx`` and ``render_xlsx`` work and
  the Word document holds every character. The Excel *input form* cannot: a cell holds at most 32,767
  characters, so ``fill_form`` (and ``reportkit init --xlsx --from``) refuses with a RenderError naming each
  cell, rather than cutting the text (openpyxl cuts silently; the form read back would lose the rest).
  32,767 characters fit and read back whole.
- 10,000 agencies in a batch folder work (discover, check, summary; the real batch runs 2,000 by default and
  10,000 in a long run); more than ``MAX_INPUTS`` are refused.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import attrs
import pytest
from openpyxl import load_workbook

import reportkit
from docx_helpers import full_report, open_docx
from reportkit import batch
from reportkit.cli import main
from reportkit.errors import FiguresFileError, FormError, RenderError
from reportkit.values import MAX_COUNT
from reportkit.xlsx_form import fill_form
from reportkit.xlsx_layout import EXCEL_CELL_CHARS, FORM_KIND, field_cells

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "examples" / "longde-chengguan-2021.toml").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------------
# Counts
# ---------------------------------------------------------------------------------------------------


def _with_counts(value: str) -> str:
    text = re.sub(r"^licensing = \d+", f"licensing = {value}", EXAMPLE, flags=re.M)
    return re.sub(r"^new = \[(\d+)", f"new = [{value}", text, flags=re.M)


@pytest.mark.parametrize("value", [str(MAX_COUNT + 1), "10000000000000000000000", f'"{MAX_COUNT + 1}"'])
def test_a_count_over_a_billion_is_refused_naming_the_key(tmp_path: Path, value: str) -> None:
    path = tmp_path / "figures.toml"
    path.write_text(_with_counts(value), encoding="utf-8")
    with pytest.raises(FiguresFileError) as caught:
        reportkit.load(path)
    wheres = {problem.where for problem in caught.value.problems}
    assert wheres == {"proactive.licensing", "applications.new[0]"}
    assert str(path) in str(caught.value) and "超过合理范围" in str(caught.value)


def test_a_count_of_exactly_a_billion_works(tmp_path: Path) -> None:
    path = tmp_path / "figures.toml"
    path.write_text(_with_counts(str(MAX_COUNT)), encoding="utf-8")
    report = reportkit.load(path)
    assert report.proactive.licensing == MAX_COUNT and report.applications.new.natural_person == MAX_COUNT
    reportkit.check(report)
    document = open_docx(reportkit.render_docx(report, draft=True))
    assert any(str(MAX_COUNT) in cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert reportkit.render_xlsx(report, draft=True)


def test_a_count_over_a_billion_in_a_form_names_the_cell(tmp_path: Path) -> None:
    field = next(f for f in field_cells(FORM_KIND) if f.field == "proactive.licensing")
    workbook = load_workbook(io.BytesIO(fill_form(full_report())))
    workbook[field.sheet][field.coord].value = MAX_COUNT + 1
    path = tmp_path / "form.xlsx"
    workbook.save(path)
    with pytest.raises(FormError) as caught:
        reportkit.load(path)
    assert [p.where for p in caught.value.problems] == [f"{field.sheet}!{field.coord}"]


# ---------------------------------------------------------------------------------------------------
# Long texts
# ---------------------------------------------------------------------------------------------------

TEXT_FIELDS = ("intro", "proactive", "on_request", "management", "platforms", "oversight", "accountability")


def _long_text(length: int, seed: int = 6) -> str:
    """Varied text without blank lines (a repeated phrase would compress like a zip bomb)."""
    rng = random.Random(seed)
    return "".join(rng.choice("政府信息公开年度报告机关县镇街道，。；“”（）abcXYZ 0123456789") for _ in range(length))


def _report_with_texts(length: int) -> reportkit.AnnualReport:
    report = full_report()
    return attrs.evolve(
        report,
        report=attrs.evolve(report.report, preamble=_long_text(length, 1)),
        overview=attrs.evolve(report.overview, **{key: _long_text(length, i + 2) for i, key in enumerate(TEXT_FIELDS)}),
        problems=attrs.evolve(report.problems, text=_long_text(length, 20)),
        other=attrs.evolve(report.other, text=_long_text(length, 21)),
    )


def test_texts_of_100000_characters_check_and_render() -> None:
    report = _report_with_texts(100_000)
    start = time.perf_counter()
    assert not [f for f in reportkit.check(report) if f.severity is reportkit.Severity.ERROR]
    texts = [p.text for p in open_docx(reportkit.render_docx(report)).paragraphs]
    for key in TEXT_FIELDS:
        assert getattr(report.overview, key).strip() in texts
    assert report.problems.text.strip() in texts and report.other.text.strip() in texts
    workbook = load_workbook(io.BytesIO(reportkit.render_xlsx(report)))  # tables only: texts are not in it
    assert workbook["基本信息"]["B3"].value == report.agency.name
    assert time.perf_counter() - start < 10


def test_texts_longer_than_an_excel_cell_are_refused_by_the_form_naming_each_cell() -> None:
    report = _report_with_texts(EXCEL_CELL_CHARS + 1)
    with pytest.raises(RenderError) as caught:
        fill_form(report)
    text_cells = {
        f.where for f in field_cells(FORM_KIND) if f.field.startswith(("overview.", "problems.", "other.text"))
    }
    text_cells.add(next(f.where for f in field_cells(FORM_KIND) if f.field == "report.preamble"))
    assert {p.where for p in caught.value.problems} == text_cells
    assert str(EXCEL_CELL_CHARS) in str(caught.value)


def test_init_xlsx_from_a_long_figures_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = tmp_path / "figures.toml"
    reportkit.dump(_report_with_texts(40_000), figures)
    form = tmp_path / "form.xlsx"
    assert main(["init", "--xlsx", str(form), "--from", str(figures)]) == 2
    assert not form.exists()
    err = capsys.readouterr().err
    assert str(EXCEL_CELL_CHARS) in err and "Traceback" not in err


def test_texts_of_exactly_an_excel_cell_fit_the_form_and_read_back_whole(tmp_path: Path) -> None:
    report = _report_with_texts(EXCEL_CELL_CHARS)
    path = tmp_path / "form.xlsx"
    path.write_bytes(fill_form(report))
    back = reportkit.load(path)
    assert back.overview == report.overview and back.problems == report.problems
    assert back.other.text == report.other.text


def test_an_agency_name_longer_than_an_excel_cell_is_refused_by_render_xlsx() -> None:
    report = full_report()
    report = attrs.evolve(report, agency=attrs.evolve(report.agency, name="局" * (EXCEL_CELL_CHARS + 1)))
    with pytest.raises(RenderError, match=str(EXCEL_CELL_CHARS)):
        reportkit.render_xlsx(report, draft=True)


# ---------------------------------------------------------------------------------------------------
# 10,000 agencies
# ---------------------------------------------------------------------------------------------------

#: A figures file that loads but fails the checks (every text section is empty), so nothing renders.
SMALL = '[agency]\nname = "测试局{index:05d}"\nkind = "department"\n[report]\nyear = 2021\nsigned_on = 2022-01-19\n'


def _county(folder: Path, count: int) -> Path:
    folder.mkdir()
    for index in range(count):
        (folder / f"agency-{index:05d}.toml").write_text(SMALL.format(index=index), encoding="utf-8")
    return folder


def test_more_than_max_inputs_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _county(tmp_path / "in", 6)
    monkeypatch.setattr(batch, "MAX_INPUTS", 5)
    with pytest.raises(reportkit.ReportkitError, match="超过 5 个") as caught:
        batch.discover(folder)
    assert str(folder) in str(caught.value)
    monkeypatch.setattr(batch, "MAX_INPUTS", 6)
    assert len(batch.discover(folder)) == 6


def test_discover_handles_10000_files(tmp_path: Path) -> None:
    folder = _county(tmp_path / "in", 10_000)
    assert len(batch.discover(folder)) == 10_000


def test_discover_sorts_as_paths_sort(tmp_path: Path) -> None:
    names = ["b.toml", "B.toml", "a b.toml", "a-b.toml", "a.b.toml", "中.toml", "1.xlsx", "10.xlsx", "2.json", "Z.YAML"]
    for name in [*names, "x.txt", "y.", ".hidden.toml", "~$lock.xlsx"]:
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "folder.toml").mkdir()
    found = batch.discover(tmp_path)
    assert found == sorted(tmp_path / name for name in names)
    assert all(isinstance(path, Path) for path in found)


#: A real batch of 10,000 agencies took 21-23 s on a 2-core machine, which would double the time of these test
#: files; the default run checks 2,000 (about 5 s) and a long run (REPORTKIT_FUZZ_EXAMPLES set) the full 10,000.
BATCH_AGENCIES = 10_000 if os.environ.get("REPORTKIT_FUZZ_EXAMPLES") else 2_000


@pytest.mark.slow
def test_a_batch_of_many_agencies(tmp_path: Path) -> None:
    """Files that all fail the checks: discover, check them all and summarise, one row each."""
    count = BATCH_AGENCIES
    folder = _county(tmp_path / "in", count)
    out = tmp_path / "out"
    results = batch.run_batch(folder, out, jobs=2)
    assert len(results) == count
    assert {r.status for r in results} == {batch.STATUS_FINDINGS}
    assert list(out.iterdir()) == []  # nothing rendered, nothing half-written
    rows = list(csv.reader(io.StringIO(batch.summary_csv(results).decode("utf-8-sig"))))
    assert len(rows) == count + 1
    assert rows[1][1] == "测试局00000" and rows[-1][1] == f"测试局{count - 1:05d}"


# ---------------------------------------------------------------------------------------------------
# Bounded values: one file must never stop a batch
# ---------------------------------------------------------------------------------------------------

#: Seconds a subprocess may take to refuse a hostile file: generous (the machine may be loaded), but a
#: hang (1e999999999 ran at 100 % CPU forever) fails the test instead of hanging the suite.
HANG_TIMEOUT = 120


def _check_in_subprocess(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "reportkit", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=HANG_TIMEOUT,
        env=env,
    )


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".toml", re.sub(r"^licensing = \d+", "licensing = 1e999999999", EXAMPLE, flags=re.M)),
        (
            ".json",
            '{"agency": {"name": "局", "kind": "department"}, "report": {"year": 2021},'
            ' "proactive": {"licensing": 1e999999999, "fees_wan_yuan": 1e-999999999}}',
        ),
    ],
)
def test_a_count_of_1e999999999_is_refused_at_once(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"figures{suffix}"
    path.write_text(text, encoding="utf-8")
    result = _check_in_subprocess(path)
    assert result.returncode == 2, result.stderr
    assert "proactive.licensing" in result.stderr and "超过合理范围" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_5000_digit_integer_is_an_error_naming_the_file_and_line_or_key(tmp_path: Path) -> None:
    digits = "9" * 5000
    cases = {
        "figures.toml": (re.sub(r"^licensing = \d+", f"licensing = {digits}", EXAMPLE, flags=re.M), "第 55 行"),
        "figures.json": ('{"agency": {"name": "局", "kind": "department"}, "report": {"year": %s}}', "report.year"),
        "figures.yaml": (
            f"agency: {{name: 局, kind: department}}\nreport: {{year: 2021}}\nproactive: {{penalty: {digits}}}\n",
            "proactive.penalty",
        ),
    }
    assert EXAMPLE.splitlines()[54].startswith("licensing")
    for name, (text, where) in cases.items():
        text = text.replace("%s", digits)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(FiguresFileError) as caught:  # ValueError (Python's digit limit) escaped before
            reportkit.load(path)
        message = str(caught.value)
        assert str(path) in message and where in message, message
        assert len(message) < 1000


def test_a_yaml_date_that_does_not_exist_names_its_key(tmp_path: Path) -> None:
    path = tmp_path / "figures.yaml"
    path.write_text("agency: {name: 局, kind: department}\nreport: {year: 2021, signed_on: 2022-02-30}\n", "utf-8")
    with pytest.raises(FiguresFileError) as caught:  # a ValueError traceback before
        reportkit.load(path)
    assert [(p.where, p.message) for p in caught.value.problems] == [("report.signed_on", "日期 “2022-02-30” 不存在")]


def _alias_bomb(levels: int = 9, width: int = 9, copies: int = 1) -> str:
    """Anchors of anchors: the last one stands for width**levels values in a few hundred bytes."""
    lines = ["agency: {name: 局, kind: department}", "report: {year: 2021, signed_on: 2022-01-19}", "anchors:"]
    lines.append(f"  l0: &l0 [{', '.join(['1'] * width)}]")
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    top = f"*l{levels - 1}"
    texts = ["intro", "proactive", "on_request", "management", "platforms", "oversight", "accountability"]
    lines.append("overview:")
    lines += [f"  {key}: {top}" for key in texts[: max(1, copies)]]
    lines.append(f"applications: {{new: [{', '.join([top] * 6)}]}}")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_quickly_and_in_little_memory(tmp_path: Path) -> None:
    # 9 levels of 9: 387 million values. It took 77 s and 7.4 GB (peak RSS) before.
    bomb = _alias_bomb(copies=7) + "# " + "x" * 9000 + "\n"  # about 10 KB, as in the issue
    assert 9_000 < len(bomb.encode()) < 11_000
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb, encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(FiguresFileError) as caught:
            reportkit.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, peak
    assert str(path) in str(caught.value) and "100000" in str(caught.value) and "别名" in str(caught.value)
    result = _check_in_subprocess(path)
    assert result.returncode == 2 and "别名" in result.stderr


def test_a_small_use_of_aliases_still_works(tmp_path: Path) -> None:
    path = tmp_path / "figures.yaml"
    zeros = "[0, 0, 0, 0, 0, 0]"
    path.write_text(
        f"agency: {{name: 局, kind: department}}\nreport: {{year: 2021, signed_on: 2022-01-19}}\n"
        f"applications:\n  new: &zero {zeros}\n  carried_over: *zero\n  carried_forward: *zero\n",
        encoding="utf-8",
    )
    assert reportkit.load(path).applications.carried_forward.values() == (0,) * 6


@pytest.mark.parametrize(
    "text",
    [
        "agency: &a {name: 局, kind: department, self: *a}\n",
        "a: &a [*a]\n",
        "? !!set {a: null}\n: 1\n",
        "agency: {name: 局, kind: department}\nreport: {year: !!int abc}\n",
        "report: {year: !!float 1:2:x}\n",
    ],
)
def test_odd_yaml_is_a_figures_file_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "figures.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FiguresFileError) as caught:
        reportkit.load(path)
    assert str(path) in str(caught.value)
