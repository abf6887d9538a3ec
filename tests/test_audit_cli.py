"""``reportkit audit`` and ``reportkit init --from published``: exit codes, JSON, outputs, previous year."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from docx_helpers import full_report
from published_support import PUBLISHED
from reportkit.cli import main
from reportkit.io import dumps
from reportkit.model import AnnualReport
from reportkit.render.html import render_html


def _write(path: Path, report: AnnualReport, *, draft: bool = False) -> Path:
    path.write_text(render_html(report, draft=draft), encoding="utf-8")
    return path


def _unbalanced() -> AnnualReport:
    report = full_report()
    row = report.applications.new
    return attrs.evolve(
        report, applications=attrs.evolve(report.applications, new=attrs.evolve(row, business=row.business + 5))
    )


def test_a_clean_report_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "r.html", full_report())
    assert main(["audit", str(path)]) == 0
    out = capsys.readouterr().out
    assert "未发现问题" in out and "读到 200 格" in out


def test_errors_exit_1_and_name_the_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "r.html", _unbalanced(), draft=True)
    assert main(["audit", str(path)]) == 1
    assert "applications.balance" in capsys.readouterr().out


def test_an_unreadable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path / "r.html", full_report())
    picture = tmp_path / "scan.pdf"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert main(["audit", str(good), str(picture), "--jobs", "2"]) == 2
    out = capsys.readouterr().out
    assert "无法读取" in out and "OCR" in out


def test_json_one_object_or_a_list_and_the_same_bytes_give_the_same_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "r.html", _unbalanced(), draft=True)
    main(["audit", str(path), "--json"])
    first = capsys.readouterr().out
    main(["audit", str(path), "--json"])
    assert capsys.readouterr().out == first
    data = json.loads(first)
    assert isinstance(data, dict)
    for key in ("source", "sha256", "format", "variants", "cells", "findings", "missing", "unmapped", "notes"):
        assert key in data
    finding = next(f for f in data["findings"] if f["code"] == "applications.balance")
    assert finding["severity"] == "error" and finding["cells"] and finding["cells"][0]["where"]
    main(["audit", str(path), str(PUBLISHED / "pingtan-2025.html"), "--json"])
    both = json.loads(capsys.readouterr().out)
    assert isinstance(both, list) and len(both) == 2


def test_a_folder_in_parallel_with_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "a.html", full_report())
    _write(folder / "b.html", _unbalanced(), draft=True)
    (folder / "c.txt").write_bytes((PUBLISHED / "pingtan-2025.txt").read_bytes())
    (folder / "notes.md").write_text("not a report")
    out = tmp_path / "out"
    assert main(["audit", str(folder), "--jobs", "2", "-o", str(out)]) == 1
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "a.html.audit.json",
        "audit-summary.csv",
        "audit-summary.xlsx",
        "b.html.audit.json",
        "c.txt.audit.json",
    ]
    rows = list(csv.reader((out / "audit-summary.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:2] == ["文件", "状态"]
    status = {Path(r[0]).name: r[1] for r in rows[1:]}
    assert status == {"a.html": "通过", "b.html": "有错误", "c.txt": "需核对"}
    review_cells = {Path(r[0]).name: int(r[7]) for r in rows[1:]}
    assert review_cells["c.txt"] > 100 and review_cells["a.html"] == 0
    from openpyxl import load_workbook

    sheet = load_workbook(out / "audit-summary.xlsx").active
    assert sheet is not None and sheet.max_row == 4


def test_previous_year_from_a_published_page_or_a_figures_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = full_report()
    last = attrs.evolve(report, report=attrs.evolve(report.report, year=2020, signed_on=None))
    row = last.applications.carried_forward
    last = attrs.evolve(
        last, applications=attrs.evolve(last.applications, carried_forward=attrs.evolve(row, natural_person=1))
    )
    page = _write(tmp_path / "last.html", last, draft=True)
    figures = tmp_path / "last.toml"
    figures.write_text(dumps(last, "toml"), encoding="utf-8")
    current = _write(tmp_path / "r.html", report)
    for previous in (page, figures):
        main(["audit", str(current), "--previous", str(previous), "--json"])
        codes = [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]]
        assert "previous.carried_over" in codes, previous


def test_init_from_a_published_scrape_comments_what_to_check(tmp_path: Path) -> None:
    target = tmp_path / "figures.toml"
    assert main(["init", str(target), "--from", str(PUBLISHED / "pingtan-2025.txt")]) == 0
    text = target.read_text(encoding="utf-8")
    assert "# 待核对：一、本年新收政府信息公开申请数量 / 自然人：原文“15130000154”" in text
    assert "151 3 0 0 0 0 154" in text
    from reportkit import load

    loaded = load(target)
    assert loaded.agency.name == "平潭综合实验区" and loaded.year == 2025


def test_init_from_a_published_page_writes_a_form_with_comments(tmp_path: Path) -> None:
    target = tmp_path / "form.xlsx"
    assert main(["init", str(target), "--from", str(PUBLISHED / "pingtan-2025.txt"), "--xlsx"]) == 0
    from openpyxl import load_workbook

    book = load_workbook(target)
    comments = [c.comment.text for ws in book.worksheets for row in ws.iter_rows() for c in row if c.comment]
    assert any(text.startswith("待核对：") and "15130000154" in text for text in comments)


def test_the_command_runs_as_a_program(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.html", full_report())
    done = subprocess.run([sys.executable, "-m", "reportkit", "audit", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--jobs", "0", "并行进程数应为正整数，而不是“0”"),
        ("--timeout", "-1", "时间限制应为正数（秒），而不是“-1”"),
        ("--timeout", "nan", "时间限制应为正数（秒），而不是“nan”"),
    ],
)
def test_a_bad_jobs_or_timeout_is_a_usage_error_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    # --timeout -1 used to reach the worker pool and end in a stack trace
    path = _write(tmp_path / "r.html", full_report())
    with pytest.raises(SystemExit) as caught:
        main(["audit", str(path), option, value])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert f"参数 {option}：{message}" in err and "Traceback" not in err


def test_init_from_a_published_report_of_another_year_than_asked_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --year was ignored for a published source: a 2025 file was written for --year 2024
    target = tmp_path / "figures.toml"
    source = PUBLISHED / "pingtan-2025.txt"
    assert main(["init", str(target), "--from", str(source), "--year", "2024"]) == 2
    assert f"{source}：--from 的报告是2025年度的，与 --year 2024 不符" in capsys.readouterr().out
    assert not target.exists()
    assert main(["init", str(target), "--from", str(source), "--year", "2025"]) == 0


def test_a_folder_without_reports_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    assert main(["audit", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path} 中没有找到要核查的报告文件" in err and ".docx" in err
