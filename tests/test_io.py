"""Figures files: what cannot be a report is refused with the file, the key path and a Chinese message."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import reportkit
from reportkit import FiguresFileError, ReportkitError, check, dump, dumps, load, loads
from reportkit import io as rio
from reportkit.cli import main
from strategies import report_with_all_distinct_numbers

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "longde-chengguan-2021.toml"
TEXT = EXAMPLE.read_text(encoding="utf-8")
NEW_ROW = "new = [0, 0, 0, 0, 0, 0]"


def problems_of(text: str | bytes, file_format: str = "toml") -> list[tuple[str, str]]:
    with pytest.raises(FiguresFileError) as caught:
        loads(text, file_format, source=f"figures.{file_format}")
    error = caught.value
    assert isinstance(error, ReportkitError)
    assert str(error).startswith(f"figures.{file_format}: ")
    assert "Traceback" not in str(error)
    return [(p.where, p.message) for p in error.problems]


def error_of(text: str | bytes, file_format: str = "toml") -> FiguresFileError:
    with pytest.raises(FiguresFileError) as caught:
        loads(text, file_format, source=f"figures.{file_format}")
    return caught.value


def replaced(old: str, new: str, text: str = TEXT) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


# ---------------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------------


def test_gbk_bytes_are_refused_with_a_hint_to_save_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(TEXT.encode("gbk"))
    with pytest.raises(FiguresFileError) as caught:
        load(path)
    message = str(caught.value)
    assert str(path) in message
    assert "UTF-8" in message
    assert "GBK" in message


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert load(path) == load(EXAMPLE)
    assert loads("\ufeff" + TEXT) == load(EXAMPLE)
    json_path = tmp_path / "bom.json"
    json_path.write_bytes(b"\xef\xbb\xbf" + dumps(load(EXAMPLE), "json").encode("utf-8"))
    assert load(json_path) == load(EXAMPLE)


# ---------------------------------------------------------------------------------------------------
# Syntax errors
# ---------------------------------------------------------------------------------------------------


def test_toml_syntax_error_names_the_line() -> None:
    broken = replaced("year = 2021\n", 'year = 2021"\n')
    line = broken.splitlines().index('year = 2021"') + 1
    error = error_of(broken)
    assert "TOML" in str(error)
    assert f"line {line}" in str(error)


def test_json_syntax_error_names_line_and_column() -> None:
    error = error_of('{\n  "format": "gov-info-annual-report/2021",\n}', "json")
    assert "JSON 语法错误" in str(error)
    assert "第 3 行第 1 列" in str(error)


def test_yaml_syntax_error_names_the_line() -> None:
    error = error_of("agency:\n  name: x\n  kind: [department\nreport: {}\n", "yaml")
    assert "YAML 语法错误" in str(error)
    assert "行" in str(error)


def test_a_top_level_list_is_refused() -> None:
    error = error_of("[1, 2]", "json")
    assert "文件顶层应为一个表" in str(error)


# ---------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "shown"), [('"3.5"', "“3.5”"), ('"三"', "“三”"), ("3.5", "3.5"), ("true", "true")])
def test_a_count_that_is_not_a_whole_number(written: str, shown: str) -> None:
    ((where, message),) = problems_of(replaced(NEW_ROW, f"new = [0, {written}, 0, 0, 0, 0]"))
    assert where == "applications.new[1]" and message.startswith(f"应为非负整数，而不是 {shown}")


@pytest.mark.parametrize(("written", "shown"), [('"3.5"', "“3.5”"), ('"三"', "“三”"), ("3.5", "3.5"), ("true", "true")])
def test_a_count_that_is_not_a_whole_number_in_a_named_row(written: str, shown: str) -> None:
    ((where, message),) = problems_of(replaced(NEW_ROW, f"new = {{ natural_person = 1, research = {written} }}"))
    assert where == "applications.new.research" and message.startswith(f"应为非负整数，而不是 {shown}")


@pytest.mark.parametrize(("written", "shown"), [('"3.5"', "“3.5”"), ('"三"', "“三”"), ("3.5", "3.5"), ("true", "true")])
def test_a_count_that_is_not_a_whole_number_in_json(written: str, shown: str) -> None:
    data = json.loads(dumps(load(EXAMPLE), "json"))
    data["review_litigation"]["litigation_direct"]["pending"] = json.loads(written)
    ((where, message),) = problems_of(json.dumps(data, ensure_ascii=False), "json")
    assert where == "review_litigation.litigation_direct.pending"
    assert message.startswith(f"应为非负整数，而不是 {shown}")


def test_forgiving_spellings_of_counts_and_amounts_are_read() -> None:
    text = replaced(NEW_ROW, 'new = ["１２", " 3 ", "4件", "1,000", 0, 0]')
    text = replaced(
        "information_fees = { notices = 0, notified_yuan = 0, collected_yuan = 0 }",
        'information_fees = { notices = "2件", notified_yuan = "1,200.50元", collected_yuan = 12.50 }',
        text,
    )
    report = loads(text)
    assert report.applications.new.values() == (12, 3, 4, 1000, 0, 0)
    fees = report.other.information_fees
    assert fees is not None
    assert (fees.notices, str(fees.notified_yuan), str(fees.collected_yuan)) == (2, "1200.50", "12.50")


def test_a_negative_amount() -> None:
    text = replaced("notified_yuan = 0,", "notified_yuan = -1,")
    assert problems_of(text) == [("other.information_fees.notified_yuan", "应为非负金额，而不是 -1")]


def test_a_date_that_does_not_exist() -> None:
    text = replaced("signed_on = 2022-01-19", 'signed_on = "2022年2月30日"')
    assert problems_of(text) == [("report.signed_on", "日期 “2022年2月30日” 不存在")]


def test_a_chinese_date_and_agency_kind_are_read() -> None:
    text = replaced("signed_on = 2022-01-19", 'signed_on = "2022年1月19日"')
    text = replaced('kind = "township"', 'kind = "乡镇"', text)
    assert loads(text) == load(EXAMPLE)


def test_an_unknown_agency_kind() -> None:
    ((where, message),) = problems_of(replaced('kind = "township"', 'kind = "village"'))
    assert where == "agency.kind"
    assert "village" in message and "subdistrict" in message


def test_a_text_that_is_not_text() -> None:
    assert problems_of(replaced('name = "城关镇人民政府"', "name = 5")) == [
        ("agency.name", "应为文字（用引号括起），而不是 5")
    ]


def test_a_value_where_a_table_belongs() -> None:
    text = replaced("regulations = { issued = 0, repealed = 0, in_force = 0 }", "regulations = 5")
    ((where, message),) = problems_of(text)
    assert where == "proactive.regulations"
    assert "应为一个表" in message
    assert "iterable" not in message  # no Python internals


# ---------------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------------


def test_an_unknown_key_with_a_suggestion() -> None:
    ((where, message),) = problems_of(replaced("state_secret = ", "state_secert = "))
    assert where == "applications.withheld.state_secert"
    assert "state_secert" in message
    assert "是否应为“state_secret”" in message


def test_an_unknown_top_level_key() -> None:
    ((where, message),) = problems_of(replaced("[agency]", "[agnecy]\nx = 1\n\n[agency]"))
    assert where == "agnecy"
    assert "是否应为“agency”" in message


def test_an_unknown_applicant_column() -> None:
    ((where, message),) = problems_of(replaced(NEW_ROW, "new = { natural_person = 1, buisness = 2 }"))
    assert where == "applications.new.buisness"
    assert "是否应为“business”" in message


def test_an_unknown_key_without_a_close_match_lists_the_allowed_ones() -> None:
    ((where, message),) = problems_of(replaced("[problems]", "[problems]\nfoo = 1"))
    assert where == "problems.foo"
    assert "是否应为" not in message
    assert "text" in message


def test_a_missing_required_key() -> None:
    assert problems_of(replaced("year = 2021\n", "")) == [("report.year", "缺少必填项")]
    assert problems_of(replaced('kind = "township"\n', "")) == [("agency.kind", "缺少必填项")]


def test_an_empty_file_lacks_agency_and_report() -> None:
    assert problems_of("") == [("agency", "缺少必填项"), ("report", "缺少必填项")]


@pytest.mark.parametrize("length", [0, 5, 8])
def test_a_row_of_the_wrong_length(length: int) -> None:
    row = ", ".join(["0"] * length)
    ((where, message),) = problems_of(replaced(NEW_ROW, f"new = [{row}]"))
    assert where == "applications.new"
    assert f"而不是 {length} 个" in message


def test_a_row_of_seven_is_six_counts_and_a_stated_total() -> None:
    report = loads(replaced(NEW_ROW, "new = [1, 0, 0, 0, 0, 0, 1]"))
    assert report.applications.new.declared_total == 1


def test_several_problems_are_reported_at_once() -> None:
    text = replaced(NEW_ROW, 'new = ["3.5", 0, 0, 0, 0, 0]')
    text = replaced("licensing = 0", "licencing = 0", text)
    text = replaced("year = 2021\n", "", text)
    text = replaced("collected_yuan = 0", 'collected_yuan = "很多"', text)
    error = error_of(text)
    where = [p.where for p in error.problems]
    assert sorted(where) == sorted(
        ["report.year", "proactive.licencing", "applications.new[0]", "other.information_fees.collected_yuan"]
    )
    assert "4 处问题" in str(error)
    for path in where:
        assert path in str(error)


def test_an_unknown_format_id() -> None:
    text = replaced('format = "gov-info-annual-report/2021"', 'format = "gov-info-annual-report/2030"')
    ((where, message),) = problems_of(text)
    assert where == "format"
    assert "gov-info-annual-report/2030" in message and "gov-info-annual-report/2021" in message


def test_the_format_id_is_optional() -> None:
    text = replaced('format = "gov-info-annual-report/2021"\n', "")
    assert loads(text) == load(EXAMPLE)


def test_an_unknown_text_format_name() -> None:
    with pytest.raises(FiguresFileError, match="toml、json、yaml"):
        loads("{}", "ini")


# ---------------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------------


def test_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "figures.toml"
    folder.mkdir()
    with pytest.raises(FiguresFileError, match="文件夹") as caught:
        load(folder)
    assert str(folder) in str(caught.value)


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(FiguresFileError, match="文件不存在") as caught:
        load(path)
    assert str(path) in str(caught.value)


def test_a_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.truncate(rio.MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(FiguresFileError, match="文件过大") as caught:
        load(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("name", ["figures.txt", "figures", "figures.docx"])
def test_a_wrong_suffix(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(FiguresFileError, match="无法识别的文件类型") as caught:
        load(path)
    assert ".toml" in str(caught.value)


def test_suffixes_are_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "FIGURES.TOML"
    path.write_text(TEXT, encoding="utf-8")
    assert load(path) == load(EXAMPLE)


@pytest.mark.parametrize("suffix", [".toml", ".json", ".yaml", ".yml"])
def test_dump_and_load_every_suffix(tmp_path: Path, suffix: str) -> None:
    report = report_with_all_distinct_numbers()
    path = tmp_path / f"report{suffix}"
    dump(report, path)
    assert load(path) == report


def test_yaml_through_the_extra(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    path = tmp_path / "figures.yaml"
    path.write_text(dumps(load(EXAMPLE), "yaml"), encoding="utf-8")
    assert load(path) == load(EXAMPLE)
    text = path.read_text(encoding="utf-8").replace("year: 2021", "year: 二〇二一")
    ((where, message),) = problems_of(text, "yaml")
    assert where == "report.year"
    assert "二〇二一" in message


def test_dump_refuses_an_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ReportkitError, match="无法识别的文件类型"):
        dump(load(EXAMPLE), tmp_path / "report.txt")


def test_dump_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "report.toml"
    path.write_text(TEXT, encoding="utf-8")

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        dump(report_with_all_distinct_numbers(), path)
    # The old file is intact and no temporary file is left behind.
    assert path.read_text(encoding="utf-8") == TEXT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.toml"]


def test_dump_replaces_a_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "report.toml"
    path.write_text("old", encoding="utf-8")
    dump(report_with_all_distinct_numbers(), path)
    assert load(path) == report_with_all_distinct_numbers()
    assert [p.name for p in tmp_path.iterdir()] == ["report.toml"]


def test_the_example_round_trips_through_its_own_text() -> None:
    report = load(EXAMPLE)
    assert loads(dumps(report, "toml", comments=True)) == report
    assert loads(dumps(report, "json"), "json") == report


# ---------------------------------------------------------------------------------------------------
# reportkit init
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x.toml", "x.json", "x.yaml"])
def test_init_output_loads_back(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    assert main(["init", str(path)]) == 0
    assert str(path) in capsys.readouterr().out
    report = load(path)
    assert report.format == reportkit.NEWEST
    # Blank: every required text is missing, the name is a placeholder and the signing date is not filled.
    assert {f.code for f in check(report)} == {"text.missing", "text.placeholder", "dates.signed_missing"}
    assert report.report.signed_on is None


def test_init_toml_carries_the_official_labels_as_comments(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    assert main(["init", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert "# 一、本年新收政府信息公开申请数量" in text
    assert "# 三、本年度办理结果（三）不予公开1.属于国家秘密" in text


def test_json_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    path.write_text('{"agency": {"name": "甲", "name": "乙", "kind": "department"}}', encoding="utf-8")
    with pytest.raises(FiguresFileError, match=r"name.*两次"):
        reportkit.load(path)


def test_yaml_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("agency:\n  name: 甲\n  name: 乙\n  kind: department\n", encoding="utf-8")
    with pytest.raises(FiguresFileError, match=r"name.*重复"):
        reportkit.load(path)
