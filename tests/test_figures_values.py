"""Figures files: every value means what the office meant, or is an error naming its key.

Units (元 and 万元 converted exactly, with a note that reaches the user), count words, digits that only look
like digits, decimals, placeholders left from ``reportkit init``, an omitted signing date, and values that
no parser or renderer should choke on (huge, tiny, negative zero, lone surrogates), in TOML, JSON and YAML.
"""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from openpyxl import load_workbook

import reportkit
from reportkit import FiguresFileError, check, dumps, load, loads
from reportkit.cli import main
from reportkit.errors import Problem
from reportkit.io import MAX_PROBLEMS, loads_with_notes, read
from reportkit.render.docx_template import SIGNED_ON_MISSING, build_context
from strategies import report_with_all_distinct_numbers

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "longde-chengguan-2021.toml"
TEXT = EXAMPLE.read_text(encoding="utf-8")
FEES_ROW = "information_fees = { notices = 0, notified_yuan = 0, collected_yuan = 0 }"


def with_line(key: str, value: str, text: str = TEXT) -> str:
    pattern = rf"^{key} = .*$"
    assert len(re.findall(pattern, text, flags=re.M)) == 1, key
    return re.sub(pattern, f"{key} = {value}", text, flags=re.M)


def problems_of(text: str, file_format: str = "toml") -> list[tuple[str, str]]:
    with pytest.raises(FiguresFileError) as caught:
        loads(text, file_format, source=f"figures.{file_format}")
    assert str(caught.value).startswith(f"figures.{file_format}: ")
    return [(p.where, p.message) for p in caught.value.problems]


def as_json(text: str = TEXT) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(dumps(loads(text), "json"))
    return data


# ---------------------------------------------------------------------------------------------------
# Units: 元 and 万元
# ---------------------------------------------------------------------------------------------------


def test_yuan_in_the_wan_yuan_field_is_converted_and_the_note_reaches_read(tmp_path: Path) -> None:
    # Read as 5000 万元 before (×10,000 wrong).
    path = tmp_path / "figures.toml"
    path.write_text(with_line("fees_wan_yuan", '"5000元"'), encoding="utf-8")
    loaded = read(path)
    assert loaded.report.proactive.fees_wan_yuan == Decimal("0.5")
    assert loaded.notes == (Problem("proactive.fees_wan_yuan", "“5000元”已按 0.5 万元读取（元换算为万元）"),)
    assert load(path).proactive.fees_wan_yuan == Decimal("0.5")


def test_wan_yuan_in_a_yuan_field_is_converted_with_a_note() -> None:
    # Read as 0.03 元 before.
    fees = 'information_fees = { notices = 1, notified_yuan = "0.03万元", collected_yuan = 300 }'
    text = TEXT.replace(FEES_ROW, fees)
    report, notes = loads_with_notes(text)
    fees = report.other.information_fees
    assert fees is not None and fees.notified_yuan == Decimal(300) and fees.collected_yuan == Decimal(300)
    assert [(n.where, n.message.split("（")[0]) for n in notes] == [
        ("other.information_fees.notified_yuan", "“0.03万元”已按 300 元读取")
    ]


@pytest.mark.parametrize("file_format", ["json", "yaml"])
def test_conversion_notes_in_json_and_yaml(file_format: str) -> None:
    data = as_json()
    data["proactive"]["fees_wan_yuan"] = "12,345元"
    data["other"]["information_fees"]["collected_yuan"] = "0.01万元"
    text = json.dumps(data, ensure_ascii=False)
    if file_format == "yaml":
        import yaml

        text = yaml.safe_dump(data, allow_unicode=True)
    report, notes = loads_with_notes(text, file_format)
    assert report.proactive.fees_wan_yuan == Decimal("1.2345")
    assert [n.where for n in notes] == ["proactive.fees_wan_yuan", "other.information_fees.collected_yuan"]


def test_the_cli_prints_the_conversion_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "figures.toml"
    path.write_text(with_line("fees_wan_yuan", '"5000元"'), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert "提示：proactive.fees_wan_yuan: “5000元”已按 0.5 万元读取" in capsys.readouterr().out


def test_a_conversion_that_needs_more_decimals_is_refused_saying_why() -> None:
    ((where, message),) = problems_of(with_line("fees_wan_yuan", '"1.5元"'))
    assert where == "proactive.fees_wan_yuan"
    assert "0.00015" in message and "4 位小数" in message


@pytest.mark.parametrize(("key", "value"), [("licensing", '"3万元"'), ("penalty", '"2元"'), ("fees_wan_yuan", '"3件"')])
def test_a_unit_of_the_wrong_kind_is_refused(key: str, value: str) -> None:
    ((where, message),) = problems_of(with_line(key, value))
    assert where == f"proactive.{key}" and "不应带" in message


@pytest.mark.parametrize("word", ["件", "条", "个", "项", "份", "次"])
def test_every_count_word_is_read(word: str) -> None:
    # 条 and 份 were refused while 个 was accepted.
    assert loads(with_line("licensing", f'"7{word}"')).proactive.licensing == 7


# ---------------------------------------------------------------------------------------------------
# Digits
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["10²", "⑩", "١٢٣", "𝟗", "３²"])
@pytest.mark.parametrize("file_format", ["toml", "json", "yaml"])
def test_lookalike_digits_are_refused_naming_the_key(written: str, file_format: str) -> None:
    # Read as 102, 10, 123 and 9 before (NFKC and \d).
    data = as_json()
    data["proactive"]["licensing"] = written
    data["applications"]["new"][2] = written
    data["proactive"]["fees_wan_yuan"] = written
    text = json.dumps(data, ensure_ascii=False) if file_format != "toml" else _toml(data)
    problems = problems_of(text, file_format)
    assert [where for where, _ in problems] == [
        "proactive.licensing",
        "proactive.fees_wan_yuan",
        "applications.new[2]",
    ]
    assert all("不是阿拉伯数字" in message for _, message in problems)


def _toml(data: dict[str, Any]) -> str:
    from reportkit.tomlwriter import toml_text

    return toml_text(data)


def test_dates_as_text_accept_full_width_digits_and_refuse_lookalikes() -> None:
    assert loads(with_line("signed_on", '"２０２２年１月１９日"')).report.signed_on == load(EXAMPLE).report.signed_on
    ((where, message),) = problems_of(with_line("signed_on", '"٢٠٢٢-01-19"'))
    assert where == "report.signed_on" and "“٢”不是阿拉伯数字" in message


# ---------------------------------------------------------------------------------------------------
# Decimals and printing
# ---------------------------------------------------------------------------------------------------


def test_negative_zero_reads_and_prints_as_zero() -> None:
    # Table 二 printed "-0.0".
    report = loads(with_line("fees_wan_yuan", "-0.0"))
    assert build_context(report)["proactive"]["fees_wan_yuan"] == "0.0"
    assert "fees_wan_yuan = 0.0\n" in dumps(report)


@pytest.mark.parametrize("file_format", ["toml", "json"])
@pytest.mark.parametrize("written", ["1e-999999999", "0.00001", "1e999999999", "1.5e10"])
def test_an_amount_that_cannot_be_printed_as_published_is_refused(file_format: str, written: str) -> None:
    # 1e-999999999 passed check and then took 6.6 GB to render.
    text = with_line("fees_wan_yuan", written)
    if file_format == "json":
        text = json.dumps(as_json()).replace('"fees_wan_yuan": 0', f'"fees_wan_yuan": {written}')
    ((where, message),) = problems_of(text, file_format)
    assert where == "proactive.fees_wan_yuan" and ("小数" in message or "合理范围" in message)


@pytest.mark.parametrize("file_format", ["json", "yaml", "toml"])
def test_amounts_keep_their_published_digits_through_every_format(file_format: str) -> None:
    report = report_with_all_distinct_numbers()
    report = attrs.evolve(report, proactive=attrs.evolve(report.proactive, fees_wan_yuan=Decimal("12.50")))
    text = dumps(report, file_format)
    assert "12.50" in text and "1234.50" in text  # JSON wrote 12.5 and YAML the float 12.5
    back = loads(text, file_format)
    assert str(back.proactive.fees_wan_yuan) == "12.50"
    assert back.other.information_fees is not None and str(back.other.information_fees.notified_yuan) == "1234.50"


def test_yaml_decimals_are_read_exactly() -> None:
    data = as_json()
    data["proactive"]["fees_wan_yuan"] = "PLACEHOLDER"
    import yaml

    text = yaml.safe_dump(data, allow_unicode=True).replace("PLACEHOLDER", "96171.60")
    assert str(loads(text, "yaml").proactive.fees_wan_yuan) == "96171.60"


# ---------------------------------------------------------------------------------------------------
# Texts
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("escaped", "what"), [("\\ud800", "U+D800"), ("\\u0001", "U+0001"), ("\\n", "换行"), ("\\u2028", "换行")]
)
def test_a_name_with_a_lone_surrogate_or_a_control_character_is_refused_at_load(escaped: str, what: str) -> None:
    data = as_json()
    text = json.dumps(data, ensure_ascii=False).replace('"城关镇人民政府"', f'"城关镇{escaped}人民政府"')
    ((where, message),) = problems_of(text, "json")
    assert where == "agency.name" and what in message


def test_a_long_text_may_hold_line_breaks_but_not_a_nul() -> None:
    data = as_json()
    data["problems"]["text"] = "一\n\n二\t三"
    assert loads(json.dumps(data), "json").problems.text == "一\n\n二\t三"
    data["problems"]["text"] = "一\x00二"
    ((where, message),) = problems_of(json.dumps(data), "json")
    assert where == "problems.text" and "U+0000" in message


def test_an_unknown_key_with_a_lone_surrogate_gives_a_printable_message() -> None:
    with pytest.raises(FiguresFileError) as caught:
        loads('{"agency": {"\\ud800x": 1}}', "json")
    str(caught.value).encode("utf-8")  # printing it to a terminal raised UnicodeEncodeError


def test_a_file_with_very_many_problems_lists_the_first_and_counts_the_rest() -> None:
    data = {"agency": {f"k{i}": i for i in range(5000)}, "report": {"year": 2021}}
    with pytest.raises(FiguresFileError) as caught:
        loads(json.dumps(data), "json")
    error = caught.value
    assert len(error.problems) == MAX_PROBLEMS + 1
    assert error.problems[-1].where == "（其余）" and "另有" in error.problems[-1].message
    assert "5002 处问题" in error.summary  # 5000 unknown keys, agency.name, agency.kind


# ---------------------------------------------------------------------------------------------------
# Placeholders and the signing date from reportkit init
# ---------------------------------------------------------------------------------------------------


def _filled_texts_only(text: str) -> str:
    """What a clerk does who fills in every text of an init file and nothing else."""
    for key in ("proactive", "on_request", "management", "platforms", "oversight", "text"):
        text = re.sub(rf'^{key} = ""$', f'{key} = "本年度工作情况。"', text, flags=re.M)
    return text


def test_init_writes_no_signing_date_and_a_placeholder_name(tmp_path: Path) -> None:
    path = tmp_path / "figures.toml"
    assert main(["init", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"^signed_on", text, flags=re.M)
    assert re.search(r"^# signed_on = YYYY-MM-DD$", text, flags=re.M)  # the clerk sees where to write it
    filled = tmp_path / "filled.toml"
    filled.write_text(_filled_texts_only(text), encoding="utf-8")
    report = load(filled)
    # Rendered "（机关全称）2025年…" with an invented date and checked clean before.
    assert report.report.signed_on is None
    assert sorted({f.code for f in check(report)}) == ["dates.signed_missing", "text.placeholder"]


def test_a_report_without_a_signing_date_renders_only_as_a_draft(tmp_path: Path) -> None:
    path = tmp_path / "figures.toml"
    path.write_text(TEXT.replace("signed_on = 2022-01-19\n", ""), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["render", str(path), "-o", str(out), "--docx"]) == 1
    assert not out.exists() or not list(out.iterdir())
    assert main(["render", str(path), "-o", str(out), "--docx", "--xlsx", "--draft"]) == 0
    report = load(path)
    assert build_context(report, draft=True)["signed_on"] == SIGNED_ON_MISSING
    with pytest.raises(reportkit.RenderError):
        reportkit.render_docx(report)
    info = load_workbook(io.BytesIO(reportkit.render_xlsx(report, draft=True)))["基本信息"]
    assert [row[1].value for row in info.iter_rows() if row[0].value == "成文日期"] == [None]


def test_the_example_line_uncommented_unchanged_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "figures.toml"
    assert main(["init", str(path)]) == 0
    text = path.read_text(encoding="utf-8").replace("# signed_on = YYYY-MM-DD", "signed_on = YYYY-MM-DD")
    with pytest.raises(FiguresFileError, match="TOML 语法错误"):
        loads(text)


@pytest.mark.parametrize(
    ("text", "file_format"),
    [
        ("[report]\nyear = 1e99999999999999999999999\n", "toml"),
        ("[proactive]\nfees_wan_yuan = -1.5e-99999999999999999999999\n", "toml"),
        ('{"report": {"year": 1e99999999999999999999999}}', "json"),
        ('{"proactive": {"fees_wan_yuan": 2.5E-400000000000000000000}}', "json"),
        ("proactive: {fees_wan_yuan: 1.5e+99999999999999999999999}\n", "yaml"),
    ],
)
def test_an_exponent_past_what_any_decimal_holds_names_its_key(text: str, file_format: str) -> None:
    # decimal.InvalidOperation escaped from the parser as a traceback.
    problems = dict(problems_of(text, file_format))
    key = "report.year" if "year" in text else "proactive.fees_wan_yuan"
    assert "超出可读取的范围" in problems[key]


YAML_BASE = "agency: {name: 局, kind: department}\nreport: {year: 2021, signed_on: 2022-01-19}\n"


@pytest.mark.parametrize(("written", "count"), [("010", 10), ("1_000", 1000), ("+5", 5)])
def test_yaml_integers_are_decimal(written: str, count: int) -> None:
    # YAML 1.1 read 010 as the octal 8.
    assert loads(YAML_BASE + f"proactive: {{licensing: {written}}}\n", "yaml").proactive.licensing == count


@pytest.mark.parametrize("written", ["0x10", "0b11", "1:30", "1:30.5", "0o17x"])
def test_yaml_numbers_in_other_bases_are_refused_naming_the_line(written: str) -> None:
    # 0x10 was read as 16 and 1:30 (sexagesimal) as 90.
    text = YAML_BASE + f"proactive: {{licensing: {written}}}\n"
    if written == "0o17x":  # not a number at all for YAML: a text, refused as a count
        assert dict(problems_of(text, "yaml"))["proactive.licensing"].startswith("应为非负整数")
        return
    with pytest.raises(FiguresFileError, match=f"第 3 行.*“{written}” 不是十进制写法"):
        loads(text, "yaml")
