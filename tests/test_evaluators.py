"""The evaluators' checks of a report's text: per rule a positive case, a negative case and the false
positives a careless rule would give, on the real texts of the examples and of a published report.

Reports are built from the examples through the figures-file schema (``unstructure``/``structure``), so the
tests do not depend on the model's table classes.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
import unicodedata
from pathlib import Path
from typing import Any

import attrs
import pytest

from reportkit import AnnualReport, check, load
from reportkit.errors import ModelError
from reportkit.evaluators import (
    EVALUATOR_RULES,
    MAX_COMPARE_CHARS,
    PEER_THRESHOLD,
    TEXT_FIELDS,
    TEXT_LOCATIONS,
    PeerInputError,
    check_evaluators,
    chinese_number,
    comparable_text,
    parse_count,
    peer_findings,
    previous_text_similar,
    similarity,
    text_problems_thin,
    text_sections,
    text_stale_year,
    text_table_mismatch,
)
from reportkit.formats import gov2021 as fmt
from reportkit.io import structure, unstructure
from reportkit.model import Overview
from reportkit.rules import Finding, Severity

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "longde-chengguan-2021.toml"
COUNTY = ROOT / "examples" / "county"
EXAMPLES = [EXAMPLE, *sorted(COUNTY.glob("*-2022.*")), *sorted((COUNTY / "previous").glob("*-2021.toml"))]


# ---------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------


@functools.cache
def example() -> AnnualReport:
    return load(EXAMPLE)


@functools.cache
def county(name: str, year: int = 2022) -> AnnualReport:
    folder = COUNTY if year == 2022 else COUNTY / "previous"
    return load(folder / f"{name}-{year}.toml")


def with_figures(report: AnnualReport, changes: dict[str, Any]) -> AnnualReport:
    """``report`` with values of the figures-file schema replaced (dotted keys)."""
    data = unstructure(report)
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        node = data
        for key in path:
            node = node[key]
        node[last] = value
    return structure(data)


def with_texts(report: AnnualReport, **texts: str) -> AnnualReport:
    """``report`` with texts replaced: ``preamble``, an overview topic, ``problems`` or ``other``."""
    overview = {k: v for k, v in texts.items() if k in attrs.fields_dict(Overview)}
    changed = attrs.evolve(report, overview=attrs.evolve(report.overview, **overview))
    if "preamble" in texts:
        changed = attrs.evolve(changed, report=attrs.evolve(changed.report, preamble=texts["preamble"]))
    if "problems" in texts:
        changed = attrs.evolve(changed, problems=attrs.evolve(changed.problems, text=texts["problems"]))
    if "other" in texts:
        changed = attrs.evolve(changed, other=attrs.evolve(changed.other, text=texts["other"]))
    return changed


def in_year(report: AnnualReport, year: int) -> AnnualReport:
    return attrs.evolve(report, report=attrs.evolve(report.report, year=year))


def codes(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


ZERO_ROW = [0, 0, 0, 0, 0, 0]


@functools.cache
def pingtan() -> AnnualReport:
    """The figures of 平潭综合实验区's 2025 report (shared/reference/published/pingtan-2025.txt) on the
    example's texts, with its own on 依申请公开: 154 received, 148 handled, 6 carried forward, 行政复议 36,
    行政诉讼 6 + 3."""
    report = with_figures(
        in_year(example(), 2025),
        {
            "applications.new": [151, 3, 0, 0, 0, 0],
            "applications.disclosed": [33, 0, 0, 0, 0, 0],
            "applications.partly_disclosed": [38, 0, 0, 0, 0, 0],
            "applications.withheld.internal_affairs": [3, 0, 0, 0, 0, 0],
            "applications.withheld.process_information": [2, 0, 0, 0, 0, 0],
            "applications.withheld.enforcement_files": [3, 0, 0, 0, 0, 0],
            "applications.withheld.query_matters": [3, 0, 0, 0, 0, 0],
            "applications.unavailable.not_held": [49, 1, 0, 0, 0, 0],
            "applications.unavailable.needs_creation": [3, 0, 0, 0, 0, 0],
            "applications.not_processed.petition_complaint": [2, 0, 0, 0, 0, 0],
            "applications.other_handling.no_correction": [8, 0, 0, 0, 0, 0],
            "applications.other_handling.unpaid_fee": [2, 0, 0, 0, 0, 0],
            "applications.other_handling.other": [1, 0, 0, 0, 0, 0],
            "applications.carried_forward": [4, 2, 0, 0, 0, 0],
            "review_litigation.review": {"upheld": 25, "corrected": 3, "other": 8, "pending": 0},
            "review_litigation.litigation_direct": {"upheld": 3, "corrected": 3, "other": 0, "pending": 0},
            "review_litigation.litigation_after_review": {"upheld": 3, "corrected": 0, "other": 0, "pending": 0},
            "proactive.normative_documents": {"issued": 58, "repealed": 45, "in_force": 546},
        },
    )
    return with_texts(report, on_request=PINGTAN_ON_REQUEST)


#: Sentences of the published 2025 report, verbatim.
PINGTAN_ON_REQUEST = (
    "严格执行《中华人民共和国政府信息公开条例》，建立健全登记、审核、办理、答复、归档全流程管理机制。"
    "落实协调会商机制，对征地拆迁等复杂信息公开申请，主动加强与资源生态局、片区管理局等部门沟通协调，"
    "确保答复全面准确、合法合规。2025年，全区共收到政府信息公开申请154件，共办结148件，结转至2026年6件。"
    "全年办理因政府信息公开申请引发的行政复议36起，行政诉讼9起。"
)
PINGTAN_PROACTIVE = (
    "2025年，通过实验区政府门户网站累计主动公开政府信息7700余条，公开科技创新、营商环境、重大项目、民生保障等"
    "重点领域信息2000余条，通过“平潭发布”公众号发布信息672条，有效保障群众知情权、监督权。"
)
PINGTAN_PROBLEMS = (
    "2025年，我区政府信息公开工作取得了一定成绩，但仍存在一些不足，如：政务公开队伍建设有待进一步加强；"
    "依申请公开答复质量待进一步提升；平台互动功能仍有不足。下一步整改措施：一是强化政务公开队伍建设，"
    "多渠道加强业务指导和培训，不断提升政务公开队伍工作水平。二是提升依申请公开答复质量，加强答复风险研判和"
    "合法性审查，健全纠错整改机制，着力减少行政复议、行政诉讼案件数量。"
)


def mismatches(report: AnnualReport, text: str, field: str = "on_request") -> list[Finding]:
    return list(text_table_mismatch(with_texts(report, **{field: text}), None))


# ---------------------------------------------------------------------------------------------------
# The rule list and the examples
# ---------------------------------------------------------------------------------------------------


def test_the_rule_list_holds_every_rule_in_order() -> None:
    expected = [text_table_mismatch, text_stale_year, text_problems_thin, previous_text_similar]
    assert expected == EVALUATOR_RULES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_examples_are_clean(path: Path) -> None:
    report = load(path)
    previous_path = COUNTY / "previous" / path.name.replace("2022", "2021")
    previous = load(previous_path) if path.parent == COUNTY and previous_path.exists() else None
    assert check_evaluators(report, previous) == []


def test_the_published_report_text_agrees_with_its_tables() -> None:
    report = with_texts(
        pingtan(), on_request=PINGTAN_ON_REQUEST, proactive=PINGTAN_PROACTIVE, problems=PINGTAN_PROBLEMS
    )
    assert check_evaluators(report) == []


# ---------------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("一百零三", 103),
        ("两", 2),
        ("两千", 2000),
        ("一千二百", 1200),
        ("三万", 30_000),
        ("十万", 100_000),
        ("一万二千", 12_000),
        ("二十三万", 230_000),
        ("零", 0),
        ("〇", 0),
        ("二〇二三", 2023),
        ("二零二三", 2023),
    ],
)
def test_chinese_numbers(text: str, value: int) -> None:
    assert chinese_number(text) == value


@pytest.mark.parametrize("text", ["", "三四", "一两", "百", "十十", "二三十", "零十", "万", "十万万", "五a"])
def test_what_is_not_a_chinese_number(text: str) -> None:
    assert chinese_number(text) is None


@pytest.mark.parametrize(("token", "value"), [("154", 154), ("1,234", 1234), ("１５４", 154), ("十二", 12)])
def test_counts_in_arabic_and_chinese(token: str, value: int) -> None:
    assert parse_count(token) == value


# ---------------------------------------------------------------------------------------------------
# text.table_mismatch
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "stated", "actual", "says"),
    [
        ("2025年，全区共收到政府信息公开申请150件。", 150, 154, "收到申请"),
        ("本年新收政府信息公开申请一百五十件。", 150, 154, "收到申请"),
        ("全区共收到150件政府信息公开申请。", 150, 154, "收到申请"),
        ("我镇未收到群众的政府信息公开申请。", 0, 154, "收到申请"),
        ("共办结政府信息公开申请140件。", 140, 148, "办结申请"),
        ("收到申请154件，其中一百四十件已办结，6件结转下年度。", 140, 148, "办结申请"),
        ("结转至2026年5件。", 5, 6, "结转下年度的申请"),
        ("结转下一年度继续办理5件。", 5, 6, "结转下年度的申请"),
        ("上年结转3件。", 3, 0, "上年结转的申请"),
        ("2024年结转的申请3件。", 3, 0, "上年结转的申请"),
        ("全年办理因政府信息公开申请引发的行政复议35起。", 35, 36, "行政复议案件"),
        ("引发十二起行政复议。", 12, 36, "行政复议案件"),
        ("行政诉讼6起。", 6, 9, "行政诉讼案件"),
        ("被提起行政诉讼两起。", 2, 9, "行政诉讼案件"),
        ("现行有效规范性文件500件。", 500, 546, "现行有效的行政规范性文件"),
        ("行政规范性文件现行有效五百件。", 500, 546, "现行有效的行政规范性文件"),
    ],
)
def test_a_stated_figure_that_differs_from_the_table(sentence: str, stated: int, actual: int, says: str) -> None:
    (finding,) = mismatches(pingtan(), sentence)
    assert finding.code == "text.table_mismatch"
    assert finding.severity is Severity.WARNING
    assert finding.location.field == "overview.on_request"
    assert finding.location.row == fmt.OVERVIEW_SUBSECTIONS[1].heading
    assert f"正文写{says} {stated} " in finding.message
    assert f"为 {actual}（相差 {stated - actual:+d}）" in finding.message
    assert f"“{sentence.rstrip('。')}”" in finding.message


def test_the_figures_are_those_of_the_right_cells() -> None:
    messages = [f.message for f in mismatches(pingtan(), "收到申请1件。办结申请1件。结转下年度1件。上年结转1件。")]
    t3 = fmt.APPLICATIONS_TABLE
    for row in ("new", "total", "carried_forward", "carried_over"):
        assert any(f"“{t3.row(row).short_label}”的{t3.column('total').label}" in m for m in messages), row
    (review,) = mismatches(pingtan(), "行政复议1件。")
    assert f"{fmt.CASE_GROUPS[0].label}的总计为 36" in review.message
    (litigation,) = mismatches(pingtan(), "行政诉讼1件。")
    assert f"{fmt.CASE_GROUPS[1].label}与{fmt.CASE_GROUPS[2].label}的总计之和为 9" in litigation.message


def test_litigation_is_the_sum_of_both_groups() -> None:
    assert mismatches(pingtan(), "行政诉讼9起。") == []
    assert len(mismatches(pingtan(), "行政诉讼6起。")) == 1  # the 未经复议直接起诉 total alone


def test_none_stated_for_both_kinds_of_case() -> None:
    findings = mismatches(pingtan(), "未发生因政府信息公开引起的行政复议和行政诉讼案件。")
    assert sorted(f.message.split("，")[0] for f in findings) == ["正文写行政复议案件 0 件", "正文写行政诉讼案件 0 件"]
    zero = with_figures(
        pingtan(),
        {
            "review_litigation.review": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0},
            "review_litigation.litigation_direct": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0},
            "review_litigation.litigation_after_review": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0},
        },
    )
    assert mismatches(zero, "未发生因政府信息公开引起的行政复议和行政诉讼案件。") == []
    assert mismatches(zero, "本年度无行政复议、行政诉讼情况。") == []


def test_two_figures_in_one_sentence_give_two_findings() -> None:
    findings = mismatches(pingtan(), "全年办理因政府信息公开申请引发的行政复议三十六起，行政诉讼十起。")
    (finding,) = findings
    assert "行政诉讼案件 10 起" in finding.message
    assert len(mismatches(pingtan(), "全年办理行政复议三十起，行政诉讼十起。")) == 2


def test_the_same_claim_twice_in_a_section_is_one_finding() -> None:
    assert len(mismatches(pingtan(), "收到申请150件。全年收到申请150件。")) == 1


def test_no_applications_stated_in_the_real_township_report() -> None:
    report = example()
    assert "未收到群众的政府信息公开申请" in report.overview.on_request
    assert list(text_table_mismatch(report, None)) == []
    received = with_figures(
        report, {"applications.new": [2, 0, 0, 0, 0, 0], "applications.disclosed": [2, 0, 0, 0, 0, 0]}
    )
    (finding,) = text_table_mismatch(received, None)
    assert "收到申请 0 件" in finding.message and "为 2" in finding.message


def test_received_may_include_the_carried_over_applications() -> None:
    report = county("finance")  # 本年新收 11, 上年结转 1
    assert mismatches(report, "共受理政府信息公开申请12件（含上年结转1件）。") == []
    assert len(mismatches(report, "共受理政府信息公开申请14件（含上年结转1件）。")) == 1
    assert mismatches(report, "共受理政府信息公开申请11件。") == []
    assert len(mismatches(report, "共受理政府信息公开申请13件。")) == 1


@pytest.mark.parametrize(
    "sentence",
    [
        "本报告所列数据统计期限为2025年1月1日至2025年12月31日。",
        "2025年，我区坚持以习近平新时代中国特色社会主义思想为指导。",
        "建立健全办理行政复议案件的制度，规范答复流程。",
        "通过实验区政府门户网站累计主动公开政府信息7700余条。",
        "共收到政府信息公开申请150余件。",
        "共收到政府信息公开申请约150件。",
        "共收到政府信息公开申请150多件。",
        "共收到政府信息公开申请150件左右。",
        "共收到政府信息公开申请超过150件。",
        "共收到政府信息公开申请三四件。",
        "与上年相比，收到申请增加10件。",
        "申请数量较上年（收到申请120件）有所增长。",
        "2024年共收到政府信息公开申请120件，本年有所增加。",
        "其中网上收到申请50件。",
        "通过信函收到申请4件。",
        "行政复议、行政诉讼共45件。",
        "行政复议和行政诉讼各1件。",
        "被纠错的行政复议2件。",
        "行政复议结果维持25件。",
        "将行政复议与行政诉讼一起纳入考核。",
        "收到申请三个工作日内予以登记。",
        "不予受理申请2件。",
        "收到申请154件，逾期办结2件。",
        "对网民的咨询投诉件及时处理，共收到15564件咨询投诉件，已办结15042件。",
        "按时办结率100%。",
        "未发生行政复议被纠错的情况。",
        "本年制发规范性文件58件。",
        "严格执行《中华人民共和国行政诉讼法》第3条。",
        "行政复议1.5件。",
        "依申请公开答复质量待进一步提升，着力减少行政复议、行政诉讼案件数量。",
    ],
)
def test_what_is_not_a_statement_of_a_table_figure(sentence: str) -> None:
    assert mismatches(pingtan(), sentence) == []


def test_full_width_digits_are_read() -> None:
    (finding,) = mismatches(pingtan(), "共收到政府信息公开申请１５０件。")
    assert "收到申请 150 件" in finding.message


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("preamble", "report.preamble"),
        ("intro", "overview.intro"),
        ("management", "overview.management"),
        ("problems", "problems.text"),
        ("other", "other.text"),
    ],
)
def test_every_text_section_is_read(field: str, path: str) -> None:
    (finding,) = mismatches(pingtan(), "收到申请150件。", field)
    assert finding.location.field == path


def test_a_cell_that_is_not_a_number_cannot_reach_the_evaluators() -> None:
    # The model refuses it when the report is made (issue 9.9), so the evaluators only ever see numbers.
    with pytest.raises(ModelError, match=r"ApplicantCounts\.business"):
        attrs.evolve(pingtan().applications.new, business="3")


def test_a_huge_text_is_read_in_bounded_time() -> None:
    sentence = "2025年，全区共收到政府信息公开申请150件，共办结148件。"
    findings = mismatches(pingtan(), sentence * 4000)  # 120,000 characters
    assert len(findings) == 1


# ---------------------------------------------------------------------------------------------------
# text.stale_year
# ---------------------------------------------------------------------------------------------------


def stale(field: str, text: str, year: int = 2024) -> list[Finding]:
    report = with_texts(in_year(county("finance"), year), **{field: text})
    return list(text_stale_year(report, None))


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("preamble", "本报告统计数据从2023年1月1日至12月31日。"),
        ("preamble", "本报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。"),
        ("intro", "2023年，我局认真贯彻落实《中华人民共和国政府信息公开条例》。"),
        ("intro", "2023年度，全县持续深化政务公开。"),
        ("on_request", "2023年全年未受理政府信息公开申请。"),
        ("intro", "二〇二三年，我局持续深化政务公开。"),
        ("preamble", f"现发布《{fmt.title('隆德县财政局', 2023)}》。"),
        ("problems", "（一）2023年，我局政务公开工作仍存在不足。"),
        ("oversight", "一是2023年共开展自查3次。"),
    ],
)
def test_last_year_spoken_of_as_the_reporting_year(field: str, text: str) -> None:
    (finding,) = stale(field, text)
    assert finding.code == "text.stale_year"
    assert finding.severity is Severity.WARNING
    assert f"把2023年写成了报告年度：“{text.rstrip('。')}”" in finding.message
    assert "本报告是2024年度的" in finding.message


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("on_request", "收到申请12件，较2023年增长20%。"),
        ("on_request", "与2023年相比，申请数量有所增加。"),
        ("on_request", "2023年结转的1件申请已于本年办结。"),
        ("problems", "2025年，我局将进一步加强培训。"),
        ("problems", "2023年，我局将政务公开纳入绩效考核。"),
        ("intro", "2023年以来，我局持续推进政务公开标准化。"),
        ("intro", "2023年，我局制定的三年行动方案在2024年继续实施。"),
        ("preamble", "本报告统计数据从2024年1月1日至12月31日。"),
        ("intro", "2024年，我局认真贯彻落实条例。"),
        ("intro", "我局2023年12月印发的办法已公开。"),
        ("preamble", f"对照《{fmt.title('隆德县财政局', 2023)}》提出的问题逐项整改。"),
    ],
)
def test_what_is_not_a_stale_year(field: str, text: str) -> None:
    assert stale(field, text) == []


def test_stale_year_counts_the_places_of_a_section() -> None:
    (finding,) = stale("intro", "2023年，我局深化公开。2023年，我局完善制度。")
    assert "（该节共 2 处）" in finding.message
    assert finding.location.field == "overview.intro"


def test_a_copied_report_is_stale_in_its_real_text() -> None:
    """The real 2021 report, relabelled 2022 as if copied forward: its period sentence and its opening
    2021年 are stale; its 2022 plan is not."""
    findings = list(text_stale_year(in_year(example(), 2022), None))
    fields = {f.location.field for f in findings}
    assert {"report.preamble", "overview.intro", "problems.text"} <= fields
    assert list(text_stale_year(example(), None)) == []


# ---------------------------------------------------------------------------------------------------
# text.problems_thin
# ---------------------------------------------------------------------------------------------------

LONG_WITHOUT_MEASURES = (
    "我局政务公开工作存在的问题主要是：政策解读形式单一，基层公开内容更新不及时，工作人员业务能力参差不齐，"
    "群众参与度不高，信息发布的规范性和时效性仍有差距。"
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("无", "只写了“无”"),
        ("无。", "只写了“无。”"),
        ("暂无", "只写了“暂无”"),
        ("人员不足，下一步将加强培训。", "只有 14 字"),
        (LONG_WITHOUT_MEASURES, "没有写改进措施"),
    ],
)
def test_a_thin_problems_section(text: str, reason: str) -> None:
    (finding,) = text_problems_thin(with_texts(example(), problems=text), None)
    assert finding.code == "text.problems_thin"
    assert finding.severity is Severity.WARNING
    assert finding.location.section == fmt.PROBLEMS.heading
    assert finding.location.field == "problems.text"
    assert reason in finding.message


def test_problems_with_substance_and_measures() -> None:
    assert list(text_problems_thin(with_texts(example(), problems=PINGTAN_PROBLEMS), None)) == []
    assert (
        list(text_problems_thin(with_texts(example(), problems=LONG_WITHOUT_MEASURES + "下一步加强培训。"), None)) == []
    )


def test_white_space_does_not_make_a_section_long() -> None:
    padded = "人员不足，" + " \n" * 100 + "下一步将加强培训。"
    (finding,) = text_problems_thin(with_texts(example(), problems=padded), None)
    assert "只有 14 字" in finding.message


def test_an_empty_problems_section_is_left_to_text_missing() -> None:
    report = with_texts(example(), problems="  \n")
    assert list(text_problems_thin(report, None)) == []
    assert any(f.code == "text.missing" and f.location.field == "problems.text" for f in check(report))


# ---------------------------------------------------------------------------------------------------
# previous.text_similar
# ---------------------------------------------------------------------------------------------------

_NOISE = re.compile(r"[\s\d０-９一二三四五六七八九十〇零年月日，。、；：！？“”‘’（）()《》,.;:!?\"'\-—]+")


def string_containment(now: str, before: str) -> float:
    """An independent measure: plain 4-character strings of the normalised texts (no hashing)."""

    def grams(text: str) -> set[str]:
        flat = _NOISE.sub("", unicodedata.normalize("NFKC", text))
        return {flat[i : i + 4] for i in range(len(flat) - 3)}

    a, b = grams(now), grams(before)
    return len(a & b) / len(a)


def similar(report: AnnualReport, previous: AnnualReport) -> list[Finding]:
    return list(previous_text_similar(report, previous))


def test_a_section_mostly_last_years() -> None:
    last = example()
    paragraphs = last.problems.text.strip().split("\n\n")
    rewritten = "\n\n".join(
        [*paragraphs[:-1], "（三）建立政务公开工作台账，按月通报各单位信息发布情况，督促整改到位。"]
    )
    report = with_texts(in_year(last, 2022), problems=rewritten)
    (finding,) = similar(report, last)
    assert finding.code == "previous.text_similar"
    assert finding.severity is Severity.WARNING
    assert finding.location.field == "problems.text"
    percent = int(re.search(r"该节文字 (\d+)% 相同", finding.message).group(1))  # type: ignore[union-attr]
    assert 60 <= percent < 100
    assert percent == int(string_containment(rewritten, last.problems.text) * 100)


def test_a_section_cut_down_from_last_years() -> None:
    last = example()
    shorter = last.problems.text.strip().split("\n\n")[0]
    (finding,) = similar(with_texts(in_year(last, 2022), problems=shorter), last)
    assert "全部见于上年报告的该节" in finding.message


def test_a_copied_section_is_reported_as_copied_only() -> None:
    last = example()
    copied = last.problems.text.replace("2021", "2022").replace("2022年,针对", "2023年,针对")
    report = with_texts(in_year(last, 2022), problems=copied)
    assert [f.location.field for f in similar(report, last)] == []
    assert "problems.text" in {f.location.field for f in check(report, last) if f.code == "previous.text_copied"}


def test_a_rewritten_section_is_not_similar() -> None:
    last = example()
    report = with_texts(in_year(last, 2022), problems=PINGTAN_PROBLEMS)
    assert similar(report, last) == []


def test_the_statutory_sentence_is_not_counted() -> None:
    statutory = example().report.preamble  # 根据《条例》…现发布《…年度报告》…统计数据从…
    last = with_texts(example(), preamble=statutory + "本年度我镇政务公开工作由党政办公室牵头负责。")
    now = with_texts(in_year(example(), 2022), preamble=statutory + "今年起镇便民服务中心设立了依申请公开受理窗口。")
    assert similarity(now.report.preamble, last.report.preamble)[0] < 0.2
    assert string_containment(now.report.preamble, last.report.preamble) > 0.5  # what a naive measure says
    assert similar(now, last) == []


def test_no_previous_no_finding() -> None:
    assert similar(example(), None) == []  # type: ignore[arg-type]


def test_similarity_is_bounded_on_huge_texts() -> None:
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000) if not _NOISE.fullmatch(chr(c))]
    old = "".join(rng.choice(alphabet) for _ in range(100_000))
    new = old[:60_000] + "".join(rng.choice(alphabet) for _ in range(40_000))
    last = with_texts(example(), other=old)
    (finding,) = similar(with_texts(in_year(example(), 2022), other=new), last)
    assert "该节文字 59% 相同" in finding.message or "该节文字 60% 相同" in finding.message
    assert len(comparable_text(old * 3)) == MAX_COMPARE_CHARS


# ---------------------------------------------------------------------------------------------------
# peers.text_similar
# ---------------------------------------------------------------------------------------------------

_EXCLUDED = set("零〇一二三四五六七八九十年月日两")
_CHARS = [chr(c) for c in range(0x4E00, 0x4E00 + 6000) if chr(c) not in _EXCLUDED]
_WORDS = [
    "".join(random.Random(i).choice(_CHARS) for _ in range(2 + i % 2)) for i in range(3000)
]  # 2- and 3-character words
_CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(_WORDS))))  # Zipf: a few very common

#: A template every generated agency carries in its lead paragraph (longer than its own sentence).
TEMPLATE = (
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署。"
    "认真落实《中华人民共和国政府信息公开条例》，以公开为常态、不公开为例外，推进决策、执行、管理、服务、结果公开。"
    "围绕中心工作和群众关切，持续提升政务公开质量和实效，切实保障人民群众的知情权、参与权、表达权和监督权。"
)


def _sentence(rng: random.Random, words: tuple[int, int] = (6, 10)) -> str:
    return "".join(rng.choices(_WORDS, cum_weights=_CUMULATIVE, k=rng.randint(*words))) + "。"


def _section(rng: random.Random, sentences: int = 3) -> str:
    return "".join(_sentence(rng) for _ in range(sentences))


def _generated(index: int) -> AnnualReport:
    rng = random.Random(index)
    base = example()
    name = f"第{index}号单位"
    overview = Overview(
        intro=TEMPLATE + _sentence(rng, (5, 7)),
        proactive=_section(rng),
        on_request=_section(rng),
        management=_section(rng),
        platforms=_section(rng),
        oversight=_section(rng),
    )
    return with_texts(
        attrs.evolve(base, agency=attrs.evolve(base.agency, name=name, title_name=None), overview=overview),
        preamble=base.report.preamble.replace("隆德县城关镇", name),
        problems=_section(rng, 4),
        other="无",
    )


def _edit_words(text: str, rng: random.Random, count: int) -> str:
    """``text`` with ``count`` characters replaced at random places."""
    chars = list(text)
    for at in rng.sample([i for i, c in enumerate(chars) if c != "。"], count):
        chars[at] = rng.choice(_CHARS)
    return "".join(chars)


def source(index: int) -> str:
    return f"agencies/{index:04d}.toml"


@functools.cache
def generated_batch() -> tuple[tuple[str, AnnualReport], ...]:
    """2,000 agencies; planted: 10 ↔ 1510 (on_request, another self-reference), 20 ↔ 21 (problems, two
    characters changed), 30, 31, 32 (platforms, identical), and 40 ↔ 41 (oversight, two of three sentences
    rewritten: under the threshold)."""
    reports = {i: _generated(i) for i in range(2000)}
    rng = random.Random(99)

    def plant(target: int, **texts: str) -> None:
        reports[target] = with_texts(reports[target], **texts)

    plant(1510, on_request="我局" + reports[10].overview.on_request[2:])
    plant(21, problems=_edit_words(reports[20].problems.text, rng, 2))
    plant(31, platforms=reports[30].overview.platforms)
    plant(32, platforms=reports[30].overview.platforms)
    oversight = reports[40].overview.oversight.split("。")
    plant(41, oversight=oversight[0] + "。" + _section(rng, 2))
    return tuple((source(i), reports[i]) for i in range(2000))


@functools.cache
def generated_findings() -> dict[str, list[Finding]]:
    return peer_findings(generated_batch())


PLANTED = {
    (source(10), "overview.on_request"),
    (source(1510), "overview.on_request"),
    (source(20), "problems.text"),
    (source(21), "problems.text"),
    (source(30), "overview.platforms"),
    (source(31), "overview.platforms"),
    (source(32), "overview.platforms"),
}


def test_the_planted_pairs_are_what_they_claim() -> None:
    batch = dict(generated_batch())
    pair = batch[source(20)].problems.text, batch[source(21)].problems.text
    assert PEER_THRESHOLD <= similarity(*pair)[1] < 1
    low = batch[source(40)].overview.oversight, batch[source(41)].overview.oversight
    assert similarity(*low)[1] < 0.5
    # without the batch, the shared template alone makes two lead paragraphs alike; peer_findings leaves it out
    assert similarity(batch[source(1)].overview.intro, batch[source(2)].overview.intro)[1] >= PEER_THRESHOLD


def test_peers_finds_the_planted_near_duplicates_and_nothing_else() -> None:
    findings = generated_findings()
    assert set(findings) == {s for s, _ in generated_batch()}
    found = {(s, f.location.field) for s, fs in findings.items() for f in fs}
    assert found == PLANTED
    assert all(
        f.code == "peers.text_similar" and f.severity is Severity.WARNING for fs in findings.values() for f in fs
    )


def test_a_peer_finding_names_the_other_agency_and_its_file() -> None:
    findings = generated_findings()
    (finding,) = findings[source(10)]
    assert finding.location.row == fmt.OVERVIEW_SUBSECTIONS[1].heading
    assert f"第1510号单位（{source(1510)}）" in finding.message
    assert "与其他单位雷同" in finding.message
    (triple,) = findings[source(31)]
    assert f"第30号单位（{source(30)}）100%" in triple.message
    assert f"第32号单位（{source(32)}）100%" in triple.message
    (edited,) = findings[source(21)]
    percent = int(re.search(r"（agencies/0020\.toml）(\d+)%", edited.message).group(1))  # type: ignore[union-attr]
    assert 80 <= percent < 100


def test_peers_is_deterministic_whatever_the_order() -> None:
    subset = generated_batch()[:40]
    forward = peer_findings(subset)
    backward = peer_findings(list(reversed(subset)))
    assert forward == backward
    assert {(s, f.location.field) for s, fs in forward.items() for f in fs} == {
        p for p in PLANTED if p[0] in dict(subset)
    } - {(source(10), "overview.on_request")}


def test_peers_in_the_county_example() -> None:
    """The county's agencies write their own texts: no 与其他单位雷同. 自然资源局 copying 财政局's section 五
    is found in both, and in that section only."""
    batch = [(str(p), load(p)) for p in sorted(COUNTY.glob("*-2022.*"))]
    last_year = [(str(p), load(p)) for p in sorted((COUNTY / "previous").glob("*-2021.toml"))]
    assert len(batch) == len(last_year) == 7
    assert peer_findings(batch) == {source: [] for source, _ in batch}
    assert peer_findings(last_year) == {source: [] for source, _ in last_year}
    finance_path, resources_path = str(COUNTY / "finance-2022.toml"), str(COUNTY / "natural-resources-2022.toml")
    reports = dict(batch)
    copied = with_texts(reports[resources_path], problems=reports[finance_path].problems.text)
    findings = peer_findings([(s, copied if s == resources_path else r) for s, r in batch])
    assert {s for s, fs in findings.items() if fs} == {finance_path, resources_path}
    (finance,) = findings[finance_path]
    assert finance.location.field == "problems.text"
    assert "隆德县自然资源局（" in finance.message and "natural-resources-2022.toml）100%" in finance.message
    (resources,) = findings[resources_path]
    assert resources.location.field == "problems.text" and "隆德县财政局（" in resources.message


def test_peers_skips_boilerplate_short_sections_and_the_same_agency() -> None:
    base = example()
    statutory = [
        (f"{i}.toml", with_texts(attrs.evolve(base, agency=attrs.evolve(base.agency, name=f"单位{i}")), **texts))
        for i, texts in enumerate(
            [
                {"preamble": base.report.preamble.replace("隆德县城关镇", "甲镇"), "other": "无"},
                {"preamble": base.report.preamble.replace("隆德县城关镇", "乙镇"), "other": "无"},
            ]
        )
    ]
    findings = peer_findings(statutory)
    assert {f.location.field for fs in findings.values() for f in fs} == {
        s.field
        for s in text_sections(base)
        if s.text.strip() and s.field not in ("report.preamble", "other.text", "overview.accountability")
    }  # the rest of the example's text is the same in both, as it should be reported
    same_agency = [("2021.toml", example()), ("2022.toml", in_year(example(), 2022))]
    assert peer_findings(same_agency) == {"2021.toml": [], "2022.toml": []}
    spaced = attrs.evolve(example(), agency=attrs.evolve(example().agency, name="城关镇 人民政府"))
    assert peer_findings([("a.toml", example()), ("b.toml", spaced)]) == {"a.toml": [], "b.toml": []}


def test_peers_of_one_or_none() -> None:
    assert peer_findings([]) == {}
    assert peer_findings([("a.toml", example())]) == {"a.toml": []}


def test_the_same_source_twice_is_refused() -> None:
    with pytest.raises(PeerInputError, match=r"同一来源出现了两次：a\.toml"):
        peer_findings([("a.toml", example()), ("a.toml", county("finance"))])


def test_a_long_sentence_is_quoted_around_the_figure() -> None:
    filler = "，".join(["持续深化政务公开工作"] * 30)
    (finding,) = mismatches(pingtan(), filler + "，共收到政府信息公开申请150件，" + filler + "。")
    quote = finding.message.split("：“")[1].split("”；")[0]
    assert "收到政府信息公开申请150件" in quote
    assert quote.startswith("…") and quote.endswith("…")
    assert len(quote) <= 122


def test_text_sections_follow_the_locations() -> None:
    sections = text_sections(pingtan())
    assert [s.field for s in sections] == list(TEXT_FIELDS) == [loc.field for loc in TEXT_LOCATIONS.values()]
    assert [s.location for s in sections] == list(TEXT_LOCATIONS.values())
    on_request = next(s for s in sections if s.field == "overview.on_request")
    assert (on_request.text, on_request.name) == (PINGTAN_ON_REQUEST, fmt.OVERVIEW_SUBSECTIONS[1].heading)
    report_texts = {"report.preamble", "problems.text", "other.text"}
    overview = {f"overview.{a.name}" for a in attrs.fields(Overview)}
    assert set(TEXT_FIELDS) == report_texts | overview  # every text of the model, nothing else
