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
