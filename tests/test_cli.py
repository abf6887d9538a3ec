"""``reportkit check`` and ``reportkit init``: exit codes and messages on good and broken files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reportkit import dump, load
from reportkit.cli import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, main
from strategies import report_with_all_distinct_numbers

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "longde-chengguan-2021.toml"
TEXT = EXAMPLE.read_text(encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def misdated(tmp_path: Path) -> Path:
    """The example with the signing date printed at the foot of the real report."""
    path = tmp_path / "misdated.toml"
    path.write_text(TEXT.replace("signed_on = 2022-01-19", "signed_on = 2021-01-19"), encoding="utf-8")
    return path


def test_check_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(EXAMPLE))
    assert code == EXIT_OK == 0
    assert "隆德县城关镇2021年政府信息公开工作年度报告" in out
    assert "未发现问题" in out
    assert err == ""


def test_check_the_misdated_example(capsys: pytest.CaptureFixture[str], misdated: Path) -> None:
    code, out, _ = run(capsys, "check", str(misdated))
    assert code == EXIT_FINDINGS == 1
    assert "dates.signed_too_early" in out
    assert "错误" in out
    assert "2021年1月19日" in out
    assert "共 1 项错误，0 项提醒" in out


def test_check_json(capsys: pytest.CaptureFixture[str], misdated: Path) -> None:
    code, out, _ = run(capsys, "check", str(misdated), "--json")
    assert code == 1
    findings = json.loads(out)
    assert isinstance(findings, list) and len(findings) == 1
    (finding,) = findings
    assert {"code", "severity", "section", "row", "column", "message"} <= set(finding)
    assert finding["code"] == "dates.signed_too_early"
    assert finding["severity"] == "error"
    assert finding["row"] == "成文日期"
    assert finding["column"] == ""


def test_check_json_of_a_clean_report_is_an_empty_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(EXAMPLE), "--json")
    assert code == 0
    assert json.loads(out) == []


def test_check_json_locations_of_a_table_finding(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "unbalanced.toml"
    path.write_text(TEXT.replace("new = [0, 0, 0, 0, 0, 0]", "new = [0, 0, 2, 0, 0, 0]"), encoding="utf-8")
    code, out, _ = run(capsys, "check", str(path), "--json")
    assert code == 1
    findings = json.loads(out)
    assert [(f["code"], f["column"]) for f in findings] == [
        ("applications.balance", "科研机构"),
        ("applications.balance", "总计"),
        # the text says no application came in (check runs the evaluators' rules too)
        ("text.table_mismatch", ""),
    ]
    assert findings[0]["section"] == "三、收到和处理政府信息公开申请情况"
    assert "= 2" in findings[0]["message"] and "= 0" in findings[0]["message"]


def test_warnings_only_exit_zero(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "late.toml"
    path.write_text(TEXT.replace("2022-01-19", "2022-02-03"), encoding="utf-8")
    code, out, _ = run(capsys, "check", str(path))
    assert code == 0
    assert "dates.signed_late" in out
    assert "提醒" in out


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("new = [0, 0, 0, 0, 0, 0]", 'new = ["三", 0, 0, 0, 0, 0]', "applications.new[0]"),
        ("licensing = 0", "licencing = 0", "proactive.licencing"),
        ("year = 2021\n", "", "report.year"),
    ],
)
def test_check_a_broken_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, old: str, new: str, key: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(TEXT.replace(old, new), encoding="utf-8")
    code, out, err = run(capsys, "check", str(path))
    assert code == EXIT_UNREADABLE == 2
    assert str(path) in err
    assert key in err
    assert "Traceback" not in err + out


def test_check_a_toml_syntax_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "syntax.toml"
    path.write_text(TEXT.replace("year = 2021", "year = = 2021"), encoding="utf-8")
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert str(path) in err and "line" in err


@pytest.mark.parametrize("name", ["missing.toml", "figures.txt"])
def test_check_an_unreadable_path(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text(TEXT, encoding="utf-8")
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert str(path) in err
    assert "Traceback" not in err


def test_check_gbk_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(TEXT.encode("gbk"))
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert "UTF-8" in err and str(path) in err


# ---------------------------------------------------------------------------------------------------
# --previous
# ---------------------------------------------------------------------------------------------------


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    import datetime as dt

    import attrs

    now = report_with_all_distinct_numbers()
    now = attrs.evolve(now, report=attrs.evolve(now.report, year=2022, signed_on=dt.date(2023, 1, 20)))
    now = attrs.evolve(now, report=attrs.evolve(now.report, published_on=None))
    before = report_with_all_distinct_numbers()
    apps = before.applications
    before = attrs.evolve(before, applications=attrs.evolve(apps, carried_forward=now.applications.carried_over))
    for doc in ("regulations", "normative_documents"):
        counts = getattr(now.proactive, doc)
        previous_counts = attrs.evolve(
            getattr(before.proactive, doc), in_force=counts.in_force - counts.issued + counts.repealed
        )
        before = attrs.evolve(before, proactive=attrs.evolve(before.proactive, **{doc: previous_counts}))
    now_path, before_path = tmp_path / "2022.toml", tmp_path / "2021.json"
    dump(now, now_path)
    dump(before, before_path)
    return now_path, before_path


def test_check_previous(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    now, before = _pair(tmp_path)
    code, out, _ = run(capsys, "check", str(now), "--previous", str(before), "--json")
    assert code == 0
    # The previous report's own balance does not matter to the cross-year rules (the made-up texts are
    # thin, which the evaluators' text rules say).
    assert [f["code"] for f in json.loads(out) if not f["code"].startswith("text.")] == []


def test_check_previous_finds_a_wrong_carry_over(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    now, before = _pair(tmp_path)
    data = json.loads(before.read_text(encoding="utf-8"))
    data["applications"]["carried_forward"][0] += 1
    before.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(capsys, "check", str(now), "--previous", str(before))
    assert code == 0  # a warning
    assert "previous.carried_over" in out
    assert "自然人" in out


def test_check_previous_that_cannot_be_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "2021.toml"
    code, _, err = run(capsys, "check", str(EXAMPLE), "--previous", str(missing))
    assert code == 2
    assert str(missing) in err


# ---------------------------------------------------------------------------------------------------
# init
# ---------------------------------------------------------------------------------------------------


def test_init_refuses_to_overwrite_without_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "figures.toml"
    path.write_text("mine", encoding="utf-8")
    code, out, _ = run(capsys, "init", str(path))
    assert code == 2
    assert "--force" in out
    assert path.read_text(encoding="utf-8") == "mine"
    code, _, _ = run(capsys, "init", str(path), "--force")
    assert code == 0
    assert load(path).agency.name


def test_init_from_an_existing_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "copy.toml"
    code, _, _ = run(capsys, "init", str(path), "--from", str(EXAMPLE))
    assert code == 0
    assert load(path) == load(EXAMPLE)


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["check"])
    assert caught.value.code == 2
    assert "命令行有误" in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 2
    assert "check" in out


# ---------------------------------------------------------------------------------------------------
# Real processes
# ---------------------------------------------------------------------------------------------------


def test_python_m_reportkit_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reportkit", "--help"], capture_output=True, text=True, encoding="utf-8", timeout=60
    )
    assert result.returncode == 0
    assert "check" in result.stdout and "init" in result.stdout


def test_a_real_process_on_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(TEXT.replace("licensing = 0", 'licensing = "三"'), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "reportkit", "check", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert result.returncode == 2
    assert "proactive.licensing" in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------------------------
# What an office sees (issue 12.4)
# ---------------------------------------------------------------------------------------------------


def test_render_a_form_without_o_writes_beside_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from reportkit.xlsx_form import fill_form

    form = tmp_path / "填报表.xlsx"
    form.write_bytes(fill_form(load(EXAMPLE)))
    code, out, err = run(capsys, "render", str(form), "--docx", "--xlsx")
    assert code == EXIT_OK, err
    title = load(EXAMPLE).title
    assert {p.name for p in tmp_path.iterdir()} == {"填报表.xlsx", f"{title}.docx", f"{title}.xlsx"}
    assert f"已生成：{tmp_path / (title + '.docx')}" in out


def test_render_beside_never_replaces_the_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from reportkit.xlsx_form import fill_form

    title = load(EXAMPLE).title
    form = tmp_path / f"{title}.xlsx"  # the form named as its report
    data = fill_form(load(EXAMPLE))
    form.write_bytes(data)
    code, _, err = run(capsys, "render", str(form), "--xlsx", "--docx")
    assert code == EXIT_OK, err
    assert form.read_bytes() == data
    assert (tmp_path / f"{title}-2.xlsx").exists() and (tmp_path / f"{title}-2.docx").exists()


def test_draft_files_say_so_in_their_names(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "undated.toml"
    path.write_text(TEXT.replace("signed_on = 2022-01-19\n", ""), encoding="utf-8")
    out_dir = tmp_path / "out"
    code, _, _ = run(capsys, "render", str(path), "-o", str(out_dir), "--docx", "--xlsx", "--html", "--draft")
    assert code == EXIT_OK
    title = load(path).title
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        f"{title}（草稿）.{suffix}" for suffix in ("docx", "xlsx", "html")
    )


def test_batch_drafts_say_so_in_their_names(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.toml").write_text(TEXT.replace("signed_on = 2022-01-19\n", ""), encoding="utf-8")
    out_dir = tmp_path / "out"
    code, _, _ = run(capsys, "batch", str(folder), "-o", str(out_dir), "--xlsx", "--draft", "--jobs", "1")
    assert code == EXIT_OK
    title = load(EXAMPLE).title
    assert (out_dir / f"{title}（草稿）.xlsx").exists()


@pytest.mark.parametrize(
    ("name", "content", "code", "place"),
    [
        ("missing.toml", None, "error.figures_file", "missing.toml"),
        ("broken.toml", 'format = "x', "error.figures_file", "broken.toml"),
        ("bad.toml", TEXT.replace("licensing = 0", 'licensing = "三"'), "error.figures_file", "bad.toml"),
        ("form.xlsx", "not a workbook", "error.form", "form.xlsx"),
    ],
)
def test_check_json_on_an_unreadable_file_prints_an_error_object(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: str | None, code: str, place: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    exit_code, out, err = run(capsys, "check", str(path), "--json")
    assert exit_code == EXIT_UNREADABLE
    error = json.loads(out)
    assert isinstance(error, dict)
    assert error["code"] == code and error["place"].endswith(place) and error["message"]
    assert "Traceback" not in err
    if name == "bad.toml":
        assert error["problems"][0]["place"] == "proactive.licensing"


def test_check_json_with_an_unreadable_previous(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "check", str(EXAMPLE), "--previous", str(tmp_path / "none.toml"), "--json")
    assert code == EXIT_UNREADABLE
    assert json.loads(out)["place"].endswith("none.toml")


def test_init_year_writes_the_format_in_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from reportkit.formats import format_for_year

    for year in (2019, 2020, 2021, 2024):  # 2019/2020: the trial format once reportkit has it
        path = tmp_path / f"{year}.toml"
        code, out, _ = run(capsys, "init", str(path), "--year", str(year))
        assert code == EXIT_OK and str(year) in out
        report = load(path)
        assert report.year == year and report.format == format_for_year(year).id
    form = tmp_path / "2024.xlsx"
    code, _, _ = run(capsys, "init", str(form), "--year", "2024")
    assert code == EXIT_OK
    from openpyxl import load_workbook

    from reportkit.xlsx_layout import FORM_KIND, field_cells

    year_cell = next(c for c in field_cells(FORM_KIND) if c.field == "report.year")
    assert load_workbook(form)[year_cell.sheet][year_cell.coord].value == 2024


def test_init_xlsx_year_writes_the_form_of_the_format_in_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """2020 is reported in the 2019 format: init writes its shipped form (2019 rows, 2019 names), which reads
    back as a 2020 report in that format once the signing date is filled."""
    import datetime as dt
    import zipfile

    from openpyxl import load_workbook

    from reportkit.formats import format_for_year, get_format
    from reportkit.ooxml.package import read_custom_properties
    from reportkit.templates import FORMAT_PROPERTY
    from reportkit.xlsx_form import read_form
    from reportkit.xlsx_layout import FORM_KIND, field_cells

    layout = format_for_year(2020)
    assert layout.id != format_for_year(2021).id
    form = tmp_path / "2020.xlsx"
    code, out, _ = run(capsys, "init", "--xlsx", str(form), "--year", "2020")
    assert code == EXIT_OK and layout.id in out
    with zipfile.ZipFile(form) as package:
        assert read_custom_properties(package)[FORMAT_PROPERTY] == layout.id
    book = load_workbook(form)
    cells = field_cells(FORM_KIND, layout)
    names = set(book.defined_names)
    assert {c.name for c in cells} <= names
    # a cell the 2021 form has and the 2019 one does not: the form is not the newest one relabelled
    newest = {c.name for c in field_cells(FORM_KIND, get_format(format_for_year(2021).id))}
    assert newest - names
    year = next(c for c in cells if c.field == "report.year")
    assert book[year.sheet][year.coord].value == 2020
    signed = next(c for c in cells if c.field == "report.signed_on")
    book[signed.sheet][signed.coord].value = dt.datetime(2021, 1, 20)
    book.save(form)
    report = read_form(form)
    assert (report.year, report.format) == (2020, layout.id)


def test_init_xlsx_refuses_a_format_without_a_form(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reportkit.templates

    monkeypatch.setattr(reportkit.templates, "list_templates", lambda *a, **k: [])
    form = tmp_path / "2020.xlsx"
    code, _, err = run(capsys, "init", "--xlsx", str(form), "--year", "2020")
    assert code == EXIT_UNREADABLE and "Excel 填报表" in err and ".toml" in err and not form.exists()


def test_init_year_and_from_must_agree(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "init", str(tmp_path / "x.toml"), "--from", str(EXAMPLE), "--year", "2023")
    assert code == EXIT_UNREADABLE and "reportkit next" in out
    assert out.startswith(f"{EXAMPLE}：")  # names the file whose year it is


def test_a_command_group_alone_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "template")
    assert code == EXIT_UNREADABLE
    assert "reportkit template check" in out and "子命令" in out
