"""Local rule packs: the shipped strict-text pack, each rule kind, every kind of bad pack (named by file
and key), and the command-line helpers."""

from __future__ import annotations

import argparse
import functools
import importlib.resources
from pathlib import Path

import attrs
import pytest

from reportkit import AnnualReport, ReportkitError, load
from reportkit.evaluators import check_evaluators
from reportkit.formats import gov2021 as fmt
from reportkit.rulepacks import (
    KINDS,
    MaxLength,
    MustMention,
    RequireText,
    RulePack,
    RulePackError,
    add_rules_argument,
    available_packs,
    load_pack,
    loads_pack,
    pack_from_args,
)
from reportkit.rules import Severity

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "longde-chengguan-2021.toml"
FINANCE = ROOT / "examples" / "county" / "finance-2022.toml"


@functools.cache
def example() -> AnnualReport:
    return load(EXAMPLE)


@functools.cache
def finance() -> AnnualReport:
    """行政规范性文件: 本年制发 4, 本年废止 0, 现行有效 22."""
    return load(FINANCE)


@functools.cache
def strict() -> RulePack:
    return load_pack("strict-text")


def with_overview(report: AnnualReport, **texts: str) -> AnnualReport:
    return attrs.evolve(report, overview=attrs.evolve(report.overview, **texts))


def pack_text(*rules: str, head: str = 'name = "local"\ndescription = "本地规则"\n') -> str:
    return head + "".join(f"\n[[rules]]\n{rule.strip()}\n" for rule in rules)


# ---------------------------------------------------------------------------------------------------
# The shipped pack
# ---------------------------------------------------------------------------------------------------


def test_the_shipped_packs() -> None:
    assert "strict-text" in available_packs()
    for name in available_packs():
        assert load_pack(name).name == name  # a shipped pack's file is named after it


def test_the_shipped_pack_is_package_data() -> None:
    resource = importlib.resources.files("reportkit.rulepacks") / "strict-text.toml"
    assert resource.is_file()
    assert loads_pack(resource.read_text(encoding="utf-8")) == attrs.evolve(strict(), source="<string>")


def test_strict_text_asks_for_a_short_overview_and_the_normative_document_figures() -> None:
    pack = strict()
    assert pack.source == "reportkit/rulepacks/strict-text.toml"
    assert "1000" in pack.description
    length, mention = pack.rules
    assert isinstance(length, MaxLength) and (length.section, length.limit) == ("overview", 1000)
    assert isinstance(mention, MustMention)
    assert mention.cells == tuple(f"proactive.normative_documents.{c}" for c in ("issued", "repealed", "in_force"))


def test_strict_text_on_a_long_overview() -> None:
    report = example()  # 904 characters in 一、总体情况
    assert [f.code for f in strict().check(report)].count("strict.overview_length") == 0
    longer = with_overview(report, platforms=report.overview.platforms + "加强平台建设。" * 20)
    (finding,) = [f for f in strict().check(longer) if f.code == "strict.overview_length"]
    assert finding.severity is Severity.WARNING
    assert finding.location.section == fmt.OVERVIEW.heading
    assert finding.message.startswith(f"“{fmt.OVERVIEW.heading}”共 1044 字，超过本地要求的 1000 字")


def test_white_space_is_not_counted() -> None:
    report = with_overview(example(), platforms=example().overview.platforms + " \n\u3000" * 200)
    assert [f for f in strict().check(report) if f.code == "strict.overview_length"] == []


def test_strict_text_wants_the_normative_document_figures_in_the_text() -> None:
    findings = strict().check(finance())
    assert [f.code for f in findings] == ["strict.normative_documents_stated"] * 3
    messages = [f.message for f in findings]
    assert "正文没有写明行政规范性文件“本年制发件数”（表中为 4 件）" in messages[0]
    assert "（表中为 0 件）" in messages[1] and "（表中为 22 件）" in messages[2]
    assert all(f"请在“{fmt.OVERVIEW.heading}”中写明" in m for m in messages)


@pytest.mark.parametrize(
    "sentence",
    [
        "本年制发规范性文件4件，废止0件，现行有效规范性文件22件。",
        "本年制发行政规范性文件四件，未废止规范性文件，现行有效二十二件。",
        "现行有效的规范性文件22件，其中本年制发4件，本年无废止。",
    ],
)
def test_stated_figures_satisfy_the_pack(sentence: str) -> None:
    report = with_overview(finance(), management=finance().overview.management + sentence)
    assert strict().check(report) == []


def test_a_figure_must_be_near_the_word_and_in_the_sections() -> None:
    away = with_overview(finance(), management="本年制发4件，废止0件，现行有效22件。另有规范性文件清理工作。")
    assert len(strict().check(away)) == 3  # the numbers are not in a sentence about 规范性文件
    elsewhere = attrs.evolve(
        finance(), problems=attrs.evolve(finance().problems, text="本年制发规范性文件4件，废止0件，现行有效22件。")
    )
    assert len(strict().check(elsewhere)) == 3  # section 五 is not 一、总体情况
    partly = with_overview(finance(), management="现行有效规范性文件22件。")
    assert [f.message.split("（")[0] for f in strict().check(partly)] == [
        "正文没有写明行政规范性文件“本年制发件数”",
        "正文没有写明行政规范性文件“本年废止件数”",
    ]


def test_check_evaluators_runs_the_pack_after_the_rules() -> None:
    report = with_overview(finance(), intro="2021年，我局深化政务公开。")
    findings = check_evaluators(report, None, strict())
    assert [f.code for f in findings] == ["text.stale_year"] + ["strict.normative_documents_stated"] * 3
    assert check_evaluators(report) == findings[:1]


# ---------------------------------------------------------------------------------------------------
# The rule kinds, written in a pack
# ---------------------------------------------------------------------------------------------------


def test_require_text() -> None:
    pack = loads_pack(
        pack_text(
            """
            kind = "require_text"
            code = "local.fee_statement"
            section = "other"
            phrases = ["信息处理费", "未收费"]
            severity = "error"
            message = "“{section}”应写明{phrases}之一"
            """
        )
    )
    (rule,) = pack.rules
    assert isinstance(rule, RequireText)
    assert pack.check(example()) == []  # 2021年未收取政府信息处理费
    silent = attrs.evolve(example(), other=attrs.evolve(example().other, text="其他事项无。"))
    (finding,) = pack.check(silent)
    assert (finding.code, finding.severity) == ("local.fee_statement", Severity.ERROR)
    assert finding.message == f"“{fmt.OTHER.heading}”应写明“信息处理费”、“未收费”之一"
    assert finding.location.field == "other.text"


def test_max_length_of_a_topic_and_default_messages() -> None:
    pack = loads_pack(
        pack_text(
            """
            kind = "max_length"
            code = "local.platforms_length"
            section = "overview.platforms"
            max = 50
            """
        )
    )
    (finding,) = pack.check(example())
    topic = fmt.OVERVIEW_SUBSECTIONS[3]
    assert finding.location.row == topic.heading
    assert finding.location.field == "overview.platforms"
    assert finding.message.startswith(f"“{topic.heading}”共 ") and "超过 50 字的限制" in finding.message


def test_must_mention_table_three_and_four() -> None:
    pack = loads_pack(
        pack_text(
            """
            kind = "must_mention"
            code = "local.received"
            cells = ["applications.new.total"]
            near = ["申请"]
            sections = ["overview.on_request"]
            """,
            """
            kind = "must_mention"
            code = "local.review"
            cells = ["review_litigation.review.total"]
            near = ["复议"]
            sections = ["overview.on_request", "other"]
            """,
        )
    )
    report = finance()  # 本年新收 11, 行政复议 1
    assert [f.code for f in pack.check(report)] == ["local.received", "local.review"]
    stated = with_overview(report, on_request="本年收到申请11件，行政复议1件。")
    assert pack.check(stated) == []
    (review,) = pack.check(example())  # all zero: “未收到群众的政府信息公开申请” states the 0; 复议 is not mentioned
    assert review.code == "local.review"
    assert review.message.startswith(f"正文没有写明{fmt.CASE_GROUPS[0].label}总计（表中为 0）")
    assert review.location.section == f"{fmt.OVERVIEW_SUBSECTIONS[1].heading}、{fmt.OTHER.heading}"


# ---------------------------------------------------------------------------------------------------
# Bad packs: every problem named by file and key
# ---------------------------------------------------------------------------------------------------

GOOD_RULE = 'kind = "max_length"\ncode = "local.length"\nsection = "overview"\nmax = 10'


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (pack_text(GOOD_RULE, head='name = "x"\ndescription = "d"\nextra = 1\n'), "extra", "未知的键"),
        (pack_text(GOOD_RULE, head='description = "d"\n'), "name", "缺少此键"),
        (pack_text(GOOD_RULE, head='name = "x"\n'), "description", "缺少此键"),
        (pack_text(head='name = "x"\ndescription = "d"\n'), "rules", "至少一条规则"),
        (pack_text('kind = "max_len"\ncode = "a.b"'), "rules[0].kind", "未知的规则类型“max_len”"),
        (pack_text('code = "a.b"'), "rules[0].kind", "缺少此键"),
        (pack_text(GOOD_RULE + "\nmaxx = 3"), "rules[0].maxx", "max_length 规则可用的键"),
        (pack_text(GOOD_RULE.replace('code = "local.length"', 'code = "Length"')), "rules[0].code", "小写英文"),
        (pack_text(GOOD_RULE + '\nseverity = "fatal"'), "rules[0].severity", "未知的严重程度“fatal”"),
        (pack_text(GOOD_RULE.replace('"overview"', '"overveiw"')), "rules[0].section", "未知的节“overveiw”"),
        (pack_text(GOOD_RULE.replace("max = 10", "max = 0")), "rules[0].max", "1 至 10000000 的整数"),
        (pack_text(GOOD_RULE.replace("max = 10", 'max = "10"')), "rules[0].max", "的整数"),
        (pack_text(GOOD_RULE.replace("max = 10", "max = true")), "rules[0].max", "的整数"),
        (pack_text(GOOD_RULE + '\nmessage = "{sectoin} 太长"'), "rules[0].message", "“{sectoin}”无法填写"),
        (pack_text(GOOD_RULE + '\nmessage = "{section.__class__}"'), "rules[0].message", "无法填写"),
        (pack_text(GOOD_RULE + '\nmessage = "{length:>10}"'), "rules[0].message", "无法填写"),
        (pack_text(GOOD_RULE + '\nmessage = "{section"'), "rules[0].message", "花括号不成对"),
        (pack_text(GOOD_RULE, GOOD_RULE), "rules[1].code", "与 rules[0] 重复"),
        (
            pack_text('kind = "must_mention"\ncode = "a.b"\ncells = ["proactive.fees_wan_yuan"]\nnear = ["收费"]'),
            "rules[0].cells[0]",
            "未知的表格单元",
        ),
        (pack_text('kind = "must_mention"\ncode = "a.b"\ncells = []\nnear = ["x"]'), "rules[0].cells", "的列表"),
        (pack_text('kind = "must_mention"\ncode = "a.b"\ncells = ["applications.new.total"]'), "rules[0].near", "缺少"),
        (
            pack_text('kind = "must_mention"\ncode = "a.b"\ncells = ["applications.new.total"]\nnear = [1]'),
            "rules[0].near[0]",
            "非空文字",
        ),
        (
            pack_text('kind = "require_text"\ncode = "a.b"\nsection = "other"\nphrases = "信息处理费"'),
            "rules[0].phrases",
            "的列表",
        ),
        ('name = "x"\ndescription = "d"\nrules = [1]\n', "rules[0]", "每条规则应为一个表"),
    ],
)
def test_a_bad_pack_names_the_file_and_the_key(text: str, where: str, what: str) -> None:
    with pytest.raises(RulePackError) as raised:
        loads_pack(text, "本地规则.toml")
    error = raised.value
    assert isinstance(error, ReportkitError)
    assert error.source == "本地规则.toml"
    assert str(error).startswith("本地规则.toml: 规则包无法使用")
    assert any(p.where == where and what in p.message for p in error.problems), error.problems


def test_every_problem_at_once() -> None:
    text = pack_text('kind = "nope"', GOOD_RULE + "\nextra = 1", GOOD_RULE.replace("max = 10", "max = -1"))
    with pytest.raises(RulePackError) as raised:
        loads_pack(text, "p.toml")
    assert [p.where for p in raised.value.problems] == ["rules[0].kind", "rules[1].extra", "rules[2].max"]


def test_not_toml() -> None:
    with pytest.raises(RulePackError, match=r"p\.toml: 不是有效的 TOML"):
        loads_pack('name = "x"\nrules = [\n', "p.toml")


def test_files(tmp_path: Path) -> None:
    good = tmp_path / "本地.toml"
    good.write_text(pack_text(GOOD_RULE), encoding="utf-8")
    assert load_pack(good).source == str(good)
    assert load_pack(str(good)).rules == load_pack(good).rules
    assert load_pack(str(good)).check(example())[0].code == "local.length"
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('name = "é"'.encode("latin-1"))
    with pytest.raises(RulePackError, match="UTF-8"):
        load_pack(latin1)
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"#" * (300 * 1024))
    with pytest.raises(RulePackError, match="文件过大"):
        load_pack(huge)
    with pytest.raises(RulePackError, match="找不到规则包文件"):
        load_pack(tmp_path / "none.toml")
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(RulePackError, match="文件夹"):
        load_pack(folder)


def test_an_unknown_pack_name_lists_the_shipped_ones() -> None:
    with pytest.raises(RulePackError, match="没有名为“strict”的内置规则包；内置的有：strict-text"):
        load_pack("strict")


def test_the_kinds_are_declared() -> None:
    assert set(KINDS) == {"max_length", "must_mention", "require_text"}


# ---------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------


def test_add_rules_argument(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="reportkit check")
    parser.add_argument("file")
    add_rules_argument(parser)
    assert "strict-text" in parser.format_help()
    args = parser.parse_args(["report.toml", "--rules", "strict-text"])
    assert pack_from_args(args) == strict()
    assert pack_from_args(parser.parse_args(["report.toml"])) is None
    path = tmp_path / "mine.toml"
    path.write_text(pack_text(GOOD_RULE), encoding="utf-8")
    assert pack_from_args(parser.parse_args(["report.toml", "--rules", str(path)])).name == "local"  # type: ignore[union-attr]
    with pytest.raises(RulePackError, match="没有名为“nope”"):
        pack_from_args(parser.parse_args(["report.toml", "--rules", "nope"]))


def test_the_documented_pack_loads() -> None:
    doc = (ROOT / "docs" / "evaluators.md").read_text(encoding="utf-8")
    (block,) = [part.split("```", 1)[0] for part in doc.split("```toml\n")[1:]]
    pack = loads_pack(block, "docs/evaluators.md")
    assert [type(rule) for rule in pack.rules] == [MaxLength, MustMention, RequireText]


def test_a_length_leaves_out_exactly_the_white_space() -> None:
    from reportkit.rulepacks import _length

    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert _length(every) == sum(1 for c in every if not c.isspace())
    assert _length(" 一、\u3000总体\n情况\u2028 ") == 6
