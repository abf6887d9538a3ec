"""The checks evaluators apply to a report's text (issue 12 point 3).

Evaluators of 政府信息公开工作年度报告 read the text against the tables and against other reports. The rules
here do the same, conservatively (a warning only when the text clearly says the thing):

- ``text.table_mismatch``: a figure the text states about the tables differs from the table;
- ``text.stale_year``: the text speaks of last year as the reporting year (copied from last year's report);
- ``text.problems_thin``: section 五 says nothing of substance;
- ``previous.text_similar``: a section is at least half last year's text (``previous.text_copied`` of
  :mod:`reportkit.rules` keeps the identical case; a copied section is not reported again here);
- ``peers.text_similar``: in a batch, two agencies wrote a section the same way (与其他单位雷同), found by
  :func:`peer_findings` over the whole batch at once.

Each rule is a plain function ``rule(report, previous) -> Iterator[Finding]`` (:data:`EVALUATOR_RULES`);
:func:`check_evaluators` runs them all, and a local rule pack (:mod:`reportkit.rulepacks`) after them.
Rules read the model only through the accessors that every format keeps (the texts, ``applications.row(key)``
totals, the group totals of table 四, ``proactive.value``) and take every official label from
:mod:`reportkit.formats` (the report's format value).

Text similarity, here and in the batch, is measured on *comparable text*: the text without white space,
punctuation, digits, Chinese numerals and 年月日 (so a copy with new figures still counts as a copy), without
the boilerplate every report carries (the sentence citing the Regulation and the format notice, the 本报告…
sentences on the statistics period and where to find the report), cut to :data:`MAX_COMPARE_CHARS`. Its
shingles are the overlapping runs of :data:`SHINGLE_SIZE` characters, each hashed with CRC-32 (deterministic
across processes, unlike :func:`hash`). Cost is linear in the text length.
"""

from __future__ import annotations

import abc
import bisect
import functools
import heapq
import itertools
import math
import os
import re
import tempfile
import unicodedata
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

from attrs import frozen

from reportkit import formats
from reportkit.errors import ReportkitError
from reportkit.field_labels import REPORT_GROUP, label_of
from reportkit.formats.layout import Group, Leaf, Section
from reportkit.formats.spec import ReportFormat
from reportkit.model import AnnualReport
from reportkit.rules import Finding, Location, Severity, _normalized, _strip_noise, section_text

if TYPE_CHECKING:
    from reportkit.rulepacks import RulePack

__all__ = [
    "EVALUATOR_RULES",
    "MAX_COMPARE_CHARS",
    "PEER_THRESHOLD",
    "PREVIOUS_THRESHOLD",
    "SHINGLE_SIZE",
    "TEXT_FIELDS",
    "TEXT_LOCATIONS",
    "PeerColumns",
    "PeerText",
    "TextSection",
    "check_evaluators",
    "chinese_number",
    "comparable_text",
    "parse_count",
    "peer_findings",
    "previous_text_similar",
    "shingles",
    "similarity",
    "text_problems_thin",
    "text_sections",
    "text_stale_year",
    "text_table_mismatch",
]

Rule = Callable[[AnnualReport, "AnnualReport | None"], Iterator[Finding]]

#: Every evaluator rule, in the order its findings are reported.
EVALUATOR_RULES: list[Rule] = []


def _rule(func: Rule) -> Rule:
    EVALUATOR_RULES.append(func)
    return func


def check_evaluators(
    report: AnnualReport, previous: AnnualReport | None = None, pack: RulePack | None = None
) -> list[Finding]:
    """Every finding of :data:`EVALUATOR_RULES` for ``report`` (the cross-year one only with ``previous``,
    last year's report of the same agency), then those of the local rule ``pack`` when given."""
    findings: list[Finding] = []
    for each in EVALUATOR_RULES:
        findings.extend(each(report, previous))
    if pack is not None:
        findings.extend(pack.check(report))
    return findings


# ---------------------------------------------------------------------------------------------------
# The text sections of a report
# ---------------------------------------------------------------------------------------------------

#: The same pseudo-section :mod:`reportkit.rules` uses for what stands before 一、总体情况.
_REPORT_SECTION = Section("report", REPORT_GROUP)


@frozen
class TextSection:
    """One text of a report: its model path (``overview.on_request``), where a person finds it, the text."""

    field: str
    location: Location
    text: str

    @property
    def name(self) -> str:
        """What a message calls it: the sub-heading, or the section heading."""
        return self.location.row or self.location.section


@functools.cache
def _text_locations(format_id: str) -> dict[str, Location]:
    layout = formats.get_format(format_id)

    def overview(key: str, heading: str) -> Location:
        return Location(layout.overview.heading, heading, "", f"overview.{key}")

    return {
        "report.preamble": Location(_REPORT_SECTION.heading, label_of("report.preamble"), "", "report.preamble"),
        "overview.intro": overview("intro", label_of("overview.intro")),
        **{
            f"overview.{sub.key}": overview(sub.key, sub.heading)
            for sub in (*layout.overview_subsections, layout.accountability)
        },
        "problems.text": Location(layout.problems.heading, "", "", "problems.text"),
        "other.text": Location(layout.other.heading, "", "", "other.text"),
    }


def text_locations(layout: ReportFormat) -> dict[str, Location]:
    """Where each text of a report of ``layout`` is, by model path, in reading order: the opening
    paragraphs, the lead paragraph and topics of 一、总体情况 (考核、评议和追究 included), 五 and 六. The
    locations are those :mod:`reportkit.rules` uses."""
    return _text_locations(layout.id)


#: :func:`text_locations` of the newest format (the model paths are the same in every format).
TEXT_LOCATIONS: dict[str, Location] = text_locations(formats.get_format(formats.NEWEST))
#: The model paths of :data:`TEXT_LOCATIONS`, in reading order.
TEXT_FIELDS: tuple[str, ...] = tuple(TEXT_LOCATIONS)


def text_sections(report: AnnualReport) -> list[TextSection]:
    """Every text of ``report`` with its location, in the order of :data:`TEXT_FIELDS`."""
    locations = text_locations(report.layout)
    return [TextSection(field, location, section_text(report, field)) for field, location in locations.items()]


# ---------------------------------------------------------------------------------------------------
# Sentences and numbers
# ---------------------------------------------------------------------------------------------------

#: Full-width digits read as ASCII ones; one character for one, so positions stay those of the text.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_FULL_WIDTH_DIGIT = re.compile("[０-９]")


def _ascii_digits(text: str) -> str:
    """``text`` with full-width digits read as ASCII ones (searched first: translate is slow on Chinese text)."""
    return text.translate(_FULL_WIDTH_DIGITS) if _FULL_WIDTH_DIGIT.search(text) else text


_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_CLAUSE_END = re.compile(r"[，,；;：:。！？!?\n]")


class _Sentences:
    """The sentences of one text, to find the sentence and the clause around a position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ends = [m.start() for m in _SENTENCE_END.finditer(text)]
        self._clause_ends: list[int] | None = None

    @property
    def clause_ends(self) -> list[int]:
        # only a stated figure needs its clause
        if self._clause_ends is None:
            self._clause_ends = [m.start() for m in _CLAUSE_END.finditer(self.text)]
        return self._clause_ends

    def sentence(self, pos: int) -> tuple[int, int]:
        # after the end mark before ``pos``, up to the first one at or after it
        i = bisect.bisect_left(self.ends, pos)
        start = self.ends[i - 1] + 1 if i > 0 else 0
        end = self.ends[i] if i < len(self.ends) else len(self.text)
        return start, end

    def clause(self, sentence: tuple[int, int], start: int, end: int) -> tuple[int, int]:
        """The clause (between commas, semicolons or colons) that holds ``text[start:end]``."""
        ends = self.clause_ends
        i = bisect.bisect_left(ends, start)
        lo = max(sentence[0], ends[i - 1] + 1) if i > 0 else sentence[0]
        j = bisect.bisect_left(ends, end)
        hi = min(sentence[1], ends[j]) if j < len(ends) else sentence[1]
        return lo, hi

    def all(self) -> Iterator[tuple[int, int]]:
        start = 0
        for end in [*self.ends, len(self.text)]:
            if end > start:
                yield start, end
            start = end + 1


def _quote(text: str, sentence: tuple[int, int], focus: int | None = None, limit: int = 120) -> str:
    """The sentence for a message; a long one is cut to ``limit`` characters around ``focus``."""
    lo, hi = sentence
    if hi - lo > limit:
        middle = lo if focus is None else focus
        start = max(lo, min(middle - limit // 2, hi - limit))
        head = "…" if start > lo else ""
        tail = "…" if start + limit < hi else ""
        return head + " ".join(text[start : start + limit].split()) + tail
    return " ".join(text[lo:hi].split())


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> int | None:
    """The value of a number written in Chinese numerals (十二, 一百零三, 两, 三万, 二〇二三), or None when
    ``text`` is not a well-formed one."""
    if not text:
        return None
    if all(c in _CN_DIGITS for c in text):
        if len(text) == 1:
            return _CN_DIGITS[text]
        if "两" in text or not ("〇" in text or "零" in text):
            return None  # 三四件, 一两件: "three or four", not 34; digit by digit only as in 二〇二三
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total = section = 0
    digit: int | None = None
    last_unit = 10_000
    for c in text:
        if c in _CN_DIGITS:
            if digit is not None and digit != 0:
                return None  # two digits in a row (二三十)
            digit = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            unit = _CN_UNITS[c]
            if unit >= last_unit or digit == 0:
                return None  # 十百, 零十
            section += (1 if digit is None and unit == 10 else digit or 0) * unit
            if digit is None and unit != 10:
                return None  # 百 alone
            digit, last_unit = None, unit
        elif c == "万":
            if total or (section == 0 and not digit):
                return None
            total, section, digit, last_unit = (section + (digit or 0)) * 10_000, 0, None, 10_000
        else:
            return None
    return total + section + (digit or 0)


def parse_count(token: str) -> int | None:
    """A whole number written in Arabic digits (``1,234`` too) or Chinese numerals; None otherwise."""
    token = token.translate(_FULL_WIDTH_DIGITS)
    if token.isascii():
        cleaned = token.replace(",", "")
        return int(cleaned) if cleaned.isdigit() else None
    return chinese_number(token)


def _cn_year(year: int, zero: str) -> str:
    digits = "〇一二三四五六七八九".replace("〇", zero)
    return "".join(digits[int(d)] for d in str(year))


def _year(year: int) -> str:
    """A year as a regex: Arabic digits (not inside a longer number) or Chinese ones (二〇二三)."""
    return rf"(?:(?<!\d){year}(?!\d)|{_cn_year(year, '〇')}|{_cn_year(year, '零')})"


@functools.lru_cache(maxsize=32)
def _year_words(year: int) -> tuple[str, ...]:
    """What a text has wherever :func:`_year` matches in it."""
    return str(year), _cn_year(year, "〇"), _cn_year(year, "零")


_ANY_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?=\s*年)")


# ---------------------------------------------------------------------------------------------------
# text.table_mismatch
# ---------------------------------------------------------------------------------------------------

_NUM = r"(?<![\d.])(?P<num>\d{1,3}(?:,\d{3})+(?![\d.])|\d+(?![\d.])|[零〇一二两三四五六七八九十百千万]+)"
_PRE = r"(?P<pre>约|大约|近|将近|接近|超过|逾|不到|不足|多达)?"
_MID = r"(?P<mid>余|多|来)?"
_UNIT = r"(?P<unit>件|起|个|条|份|宗)"
_POST = r"(?P<post>左右|以上|以下|以内|上下)?"
#: What may follow "N件" when the figure ends the phrase: the end of the clause, or words that continue the
#: sentence about the same figure (其中…, 均已…, 较上年…). Anything else (一起研究, 三个工作日) is not a count.
_END = r"(?=$|[\s，。；、,.;:：！？!?（）()“”]|其中|均|已|全部|较|同比|环比|比|中)"
_QTY = _PRE + _NUM + _MID + _UNIT + _POST + _END
_QTY_BEFORE = _PRE + _NUM + _MID + _UNIT
_COPULA = r"(?:共计|共|合计|总计|累计为|为|有|达){0,2}"
_INFO = r"(?:政府信息公开|信息公开)"
_APPLICANTS = r"(?:(?:各类|群众|公众|社会公众|公民、法人(?:和|或)其他组织|公民)(?:的|提出的|提交的)?)?"
_APPLICATION = rf"(?:{_INFO}申请|依申请公开申请|依申请公开|申请)(?!人)"
_RECEIVE = r"(?:本年度?)?(?<![不未予])(?:新收到?|收到|接到|接收到?|受理)(?:了)?"
_CLOSE = r"(?<![未没])(?:办结|办理完毕|答复完毕)(?!率)"
#: Where a count may open a phrase (N 件已办结): at the start of a clause, or after 其中, 另有 …
_LEAD = r"(?:(?<=[，,；;：:。！？!?\s（(、])|^)(?:另有|其中|还有|尚有|共有|共|有|剩余)?"
_CASE_LEAD = r"(?:发生|引发|引起|产生|收到|办理|涉及|被提起|提起|应诉)(?:了)?(?:共)?"
_CAUSE = rf"(?:(?:因|涉及)?{_INFO}(?:申请)?(?:引发|引起|产生)?的?)?"
_CONJ = r"(?:、|和|及|与|或)"
_BOUNDARY = r"(?=$|[\s，。；,.;:：！？!?）)])"

#: Words that make a clause speak of another period or of a comparison: its figures are not this year's.
#: 上年结转 is this year's table (（含上年结转3件）).
_OTHER_PERIOD = re.compile(
    r"同比|环比|相比|对比|比上|比去|较上|较去|较前|(?:上年|上一年)(?!度?的?结转)|去年|前一年|以来|历年"
    r"|近[一二三四五六七八九十\d]+年"
)


def _review_label(layout: ReportFormat) -> str:
    return next(group.label for group in layout.case_groups if group.key == "review")


def _litigation_label(layout: ReportFormat) -> str:
    """The 行政诉讼 header: the column group of table 四 over the two litigation groups."""
    for node in layout.review_litigation_table.columns:
        if isinstance(node, Group) and any(
            isinstance(c, Group) and c.key.startswith("litigation") for c in node.children
        ):
            return node.label
    raise LookupError("litigation")  # pragma: no cover - the format always has it


def _normative_row(layout: ReportFormat) -> tuple[str, str, str, str] | None:
    """Block title, row label, column label and model key of 行政规范性文件 现行有效件数 (None: a format
    without a stock in force, such as the 2019 trial format)."""
    block = layout.proactive_blocks[0]
    row = next(r for r in block.rows if r.key == "normative_documents")
    column = next((c for c in block.columns if c.key == "in_force"), None)
    if column is None:
        return None
    return block.title, row.label, column.label, block.cell_key(row, column)


def _normative_labels(first: str) -> tuple[str, ...]:
    """The row label of 规范性文件 in every format (2021 prints it with 行政, 2019 without), ``first`` first."""
    from reportkit.formats import all_formats

    labels = [first]
    for layout in all_formats():
        for row in layout.proactive_blocks[0].rows:
            if row.key == "normative_documents" and row.label not in labels:
                labels.append(row.label)
    return tuple(labels)


def _total_label(layout: ReportFormat) -> str:
    return layout.applications_table.column("total").label


def _case_total_label(layout: ReportFormat) -> str:
    group = layout.case_groups[0]
    return next(c.label for c in group.children if isinstance(c, Leaf) and c.key.endswith(".total"))


def _safe(getter: Callable[[AnnualReport], object]) -> Callable[[AnnualReport], int | None]:
    """A table figure, or None when a cell is not a number (``value.not_number`` reports that)."""

    def get(report: AnnualReport) -> int | None:
        try:
            value = getter(report)
        except (TypeError, ValueError, KeyError, AttributeError):
            return None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return get


def _row_total(key: str) -> Callable[[AnnualReport], object]:
    return lambda report: report.applications.row(key).total


def _group_total(*groups: str) -> Callable[[AnnualReport], object]:
    def get(report: AnnualReport) -> object:
        totals = [getattr(report.review_litigation, group).total for group in groups]
        if not all(isinstance(t, int) for t in totals):
            return None
        return sum(totals)

    return get


@frozen
class _Figure:
    """A figure the text may state about the tables.

    ``patterns`` each have a ``num`` group (the stated count); ``zero`` patterns state that there was none;
    ``part_words`` in the clause make the figure a part (其中网上…, 逾期办结…), not the whole, so it is not
    compared; ``needs`` must be in the sentence (办结 alone may be of complaints, not applications);
    ``also`` gives other table readings a text may mean (see :func:`text_table_mismatch`). ``words``: what every
    one of the patterns (and zero patterns) needs in the text, one word of each tuple, so that a text without
    them is not scanned at all.
    """

    key: str
    says: str
    place: str
    table: Callable[[AnnualReport], int | None]
    patterns: tuple[re.Pattern[str], ...]
    zero: tuple[re.Pattern[str], ...] = ()
    part_words: re.Pattern[str] | None = None
    needs: re.Pattern[str] | None = None
    also: Callable[[AnnualReport], tuple[int | None, ...]] = lambda report: ()
    words: tuple[tuple[str, ...], ...] = ()

    def may_match(self, text: str) -> bool:
        for group in self.words:  # loops, not all(any(...)): called for every figure and section
            for word in group:
                if word in text:
                    break
            else:
                return False
        return True


def _t3_place(layout: ReportFormat, row_key: str) -> str:
    row = layout.applications_table.row(row_key)
    return f"{layout.applications.heading}中“{row.short_label}”的{_total_label(layout)}"


@functools.lru_cache(maxsize=32)
def _figures(year: int, format_id: str) -> tuple[_Figure, ...]:
    """The figures of a report of ``year`` in a format (the patterns name last year and next year)."""
    layout = formats.get_format(format_id)
    last, next_ = _year(year - 1), _year(year + 1)
    this = _year(year)
    review_label, litigation_label = _review_label(layout), _litigation_label(layout)
    review, litigation = re.escape(review_label), re.escape(litigation_label)
    case = rf"(?:{review}|{litigation})"
    case_total = _case_total_label(layout)
    last_year = rf"(?:上年度?|上一年度?|{last}年度?)"
    next_year = rf"(?:下一?年度?|{next_}年度?)"
    carry = r"(?:结转|转结)"
    case_parts = re.compile(r"维持|纠正|纠错|撤销|败诉|胜诉|驳回|确认违法|审结|尚未|未结")
    direct, after_review = (g for g in layout.case_groups if g.key != "review")
    new_total, carried_total = _safe(_row_total("new")), _safe(_row_total("carried_over"))

    def received_or_all(report: AnnualReport) -> tuple[int | None, ...]:
        a, b = new_total(report), carried_total(report)
        return (a + b,) if a is not None and b is not None else ()

    c = re.compile
    figures = (
        _Figure(
            "applications.new",
            "收到申请",
            _t3_place(layout, "new"),
            new_total,
            (
                c(rf"{_RECEIVE}{_APPLICANTS}{_APPLICATION}(?:数量)?{_COPULA}{_QTY}"),
                c(rf"{_RECEIVE}{_COPULA}{_QTY_BEFORE}(?:的)?{_APPLICANTS}{_APPLICATION}"),
            ),
            zero=(
                c(
                    r"(?:未|没有)(?:收到|接到|接收到?)(?:过)?"
                    r"(?:任何|群众|公众|社会公众|公民、法人(?:和|或)其他组织|公民|法人|的|有关|相关)*"
                    rf"{_APPLICATION}(?:要求|事项|书)?{_BOUNDARY}"
                ),
                c(rf"无(?:{_INFO}申请|依申请公开申请|依申请公开)(?:事项|情况)?{_BOUNDARY}"),
            ),
            part_words=c(
                r"其中|网上|网络|在线|线上|线下|当面|现场|信函|邮寄|传真|电子邮件|邮件|来信|来电|电话|网站|平台|窗口"
            ),
            also=received_or_all,
            words=(("申请",),),  # in every form of _APPLICATION
        ),
        _Figure(
            "applications.carried_over",
            "上年结转的申请",
            _t3_place(layout, "carried_over"),
            carried_total,
            (
                c(
                    rf"{last_year}(?:的)?{carry}(?:(?:到|至)(?:本年度?|{this}年))?(?:的)?(?:{_APPLICATION})?"
                    rf"{_COPULA}{_QTY}"
                ),
                c(rf"{_LEAD}{_QTY_BEFORE}(?:申请)?(?:为|系|是|属于?){last_year}(?:的)?{carry}"),
            ),
            words=(("结转", "转结"),),
        ),
        _Figure(
            "applications.carried_forward",
            "结转下年度的申请",
            _t3_place(layout, "carried_forward"),
            _safe(_row_total("carried_forward")),
            (
                c(
                    rf"{carry}(?:至|到|入)?{next_year}(?:继续办理|继续处理|办理|处理)?(?:的)?(?:{_APPLICATION})?"
                    rf"{_COPULA}{_QTY}"
                ),
                c(rf"{_LEAD}{_QTY_BEFORE}(?:申请)?(?:需|将|已|均)?{carry}(?:至|到|入)?{next_year}"),
            ),
            words=(("结转", "转结"),),
        ),
        _Figure(
            "applications.total",
            "办结申请",
            _t3_place(layout, "total"),
            _safe(_row_total("total")),
            (
                c(rf"{_CLOSE}(?:了)?(?:{_APPLICATION})?{_COPULA}{_QTY}"),
                c(rf"{_LEAD}{_QTY_BEFORE}(?:申请)?(?:已|均已|全部|均)?(?:按时|按期|依法)?{_CLOSE}"),
            ),
            part_words=c(r"逾期|超期|延期|延长|尚未|未办结"),
            needs=c("申请"),
            words=(("办结", "办理完毕", "答复完毕"), ("申请",)),  # _CLOSE, and what ``needs``
        ),
        _Figure(
            "review_litigation.review.total",
            f"{review_label}案件",
            f"{layout.review_litigation.heading}中{review_label}的{case_total}",
            _safe(_group_total("review")),
            (
                c(rf"(?<![、和及与或]){review}(?:申请|案件|案)?{_COPULA}{_QTY}"),
                c(rf"(?:{_LEAD}|{_CASE_LEAD}){_QTY_BEFORE}(?:的)?{_CAUSE}{review}(?:申请|案件)?(?!{_CONJ}{case})"),
            ),
            part_words=case_parts,
            words=((review_label,),),
        ),
        _Figure(
            "review_litigation.litigation.total",
            f"{litigation_label}案件",
            f"{layout.review_litigation.heading}中{direct.label}与{after_review.label}的{case_total}之和",
            _safe(_group_total(direct.key, after_review.key)),
            (
                c(rf"(?<![、和及与或]){litigation}(?:案件|案)?{_COPULA}{_QTY}"),
                c(rf"(?:{_LEAD}|{_CASE_LEAD}){_QTY_BEFORE}(?:的)?{_CAUSE}{litigation}(?:案件)?(?!{_CONJ}{case})"),
            ),
            part_words=case_parts,
            words=((litigation_label,),),
        ),
    )
    normative = _normative_row(layout)
    if normative is None:
        return figures
    block_title, doc_label, in_force_label, in_force_key = normative
    docs = "(?:" + "|".join(re.escape(label) for label in _normative_labels(doc_label)) + ")"
    return (
        *figures,
        _Figure(
            "proactive.normative_documents.in_force",
            f"现行有效的{doc_label}",
            f"{layout.proactive.heading}中{block_title}“{doc_label}”的{in_force_label}",
            _safe(lambda report: report.proactive.value(in_force_key)),
            (
                c(rf"现行有效(?:的)?{docs}{_COPULA}{_QTY}"),
                c(rf"{docs}(?:中)?现行有效(?:的)?{_COPULA}{_QTY}"),
            ),
            words=(("现行有效",),),
        ),
    )


@functools.lru_cache(maxsize=32)
def _case_zero(year: int, format_id: str) -> re.Pattern[str]:
    """未发生（因政府信息公开引发的）行政复议（、行政诉讼）（案件）: none of the cases named."""
    layout = formats.get_format(format_id)
    review, litigation = re.escape(_review_label(layout)), re.escape(_litigation_label(layout))
    case = rf"(?:{review}|{litigation})"
    return re.compile(
        rf"(?:未|没有|无)(?:发生|收到|产生|出现|涉及)?(?:被)?(?:提起|申请)?(?:过)?{_CAUSE}{case}"
        rf"(?:{_CONJ}{_CAUSE}{case})*(?:申请)?(?:案件|情况|事项)?{_BOUNDARY}"
    )


@frozen
class _Claim:
    figure: _Figure
    stated: int
    unit: str
    start: int
    end: int


def _other_years(text: str, lo: int, hi: int, match: tuple[int, int], year: int) -> bool:
    """Whether ``text[lo:hi]`` names a year other than ``year`` outside the matched phrase."""
    for m in _ANY_YEAR.finditer(text, lo, hi):
        if match[0] <= m.start() < match[1]:
            continue
        if int(m.group()) != year:
            return True
    return False


@functools.lru_cache(maxsize=32)
def _claim_patterns(
    year: int, format_id: str
) -> tuple[tuple[_Figure, ...], re.Pattern[str], tuple[tuple[str, _Figure], ...]]:
    """The figures, the pattern of 未发生行政复议…, and the figure of each case label it may name."""
    layout = formats.get_format(format_id)
    figures = _figures(year, format_id)
    by_key = {figure.key: figure for figure in figures}
    by_label = {
        _review_label(layout): by_key["review_litigation.review.total"],
        _litigation_label(layout): by_key["review_litigation.litigation.total"],
    }
    return figures, _case_zero(year, format_id), tuple(by_label.items())


def _claims(text: str, year: int, layout: ReportFormat) -> Iterator[tuple[_Claim, tuple[int, int]]]:
    """Every figure ``text`` clearly states, with the sentence it stands in."""
    figures, zero_cases, by_label = _claim_patterns(year, layout.id)
    found: list[tuple[_Figure, int, str, int, int]] = []
    for figure in figures:
        if not figure.may_match(text):
            continue
        for pattern in figure.patterns:
            for m in pattern.finditer(text):
                if m.group("pre") or m.group("mid") or m.groupdict().get("post"):
                    continue  # 7700余条, 约50件, 100件以上: an approximation, not the figure
                value = parse_count(m.group("num"))
                if value is not None:
                    found.append((figure, value, m.group("unit"), m.start(), m.end()))
        for pattern in figure.zero:
            for m in pattern.finditer(text):
                found.append((figure, 0, "件", m.start(), m.end()))
    if any(label in text for label, _ in by_label):  # the pattern names one of them
        for m in zero_cases.finditer(text):
            for label, figure in by_label:
                if label in m.group():
                    found.append((figure, 0, "件", m.start(), m.end()))
    if not found:
        return
    sentences = _Sentences(text)
    for figure, value, unit, start, end in found:
        sentence = sentences.sentence(start)
        lo, hi = sentences.clause(sentence, start, end)
        outside = text[lo:start] + "\0" + text[end:hi]
        if _OTHER_PERIOD.search(outside) or (figure.part_words and figure.part_words.search(outside)):
            continue
        if figure.needs and not figure.needs.search(text, sentence[0], sentence[1]):
            continue
        if _other_years(text, sentence[0], hi, (start, end), year):
            continue
        yield _Claim(figure, value, unit, start, end), sentence


@_rule
def text_table_mismatch(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """A figure the text states about the tables equals the table (``text.table_mismatch``, warning).

    The phrases and the table figure each means (Arabic or Chinese numerals, with 件/起/个/条/份/宗):

    - 本年新收／收到／接到／受理（政府信息公开）申请 N 件, 收到 N 件申请, 未收到…申请 (= 0): table 三 row 一、本年新收,
      column 总计. A figure equal to 一 + 二、上年结转 is accepted too: some texts count the carried-over
      applications as received.
    - 上年（度）结转 N 件, <last year>年结转 N 件, N 件为上年结转: row 二、上年结转, 总计.
    - 结转下（一）年度 N 件, 结转至 <next year>年 N 件, N 件结转下年度: row 四、结转下年度继续办理, 总计.
    - 办结 N 件, N 件已办结, in a sentence about 申请 (a hotline's 办结 is not): row （七）总计, 总计 (every
      application handled this year).
    - 行政复议 N 件/起, N 起（因政府信息公开引发的）行政复议, 未发生行政复议 (= 0): table 四 行政复议 总计.
    - 行政诉讼 N 件/起 (and the same forms): table 四 未经复议直接起诉 总计 + 复议后起诉 总计 (format-2021.md §4).
    - 现行有效（行政）规范性文件 N 件, 规范性文件现行有效 N 件: table 二 第二十条第（一）项 行政规范性文件 现行有效件数.

    Conservative on purpose; a statement is not compared when the number is approximate (余, 多, 来, 约, 近,
    超过, 以上, 左右), when its clause speaks of another period or compares (上年, 同比, 较…, 以来, a year other
    than the reporting year before or in its clause), when it names a part (其中, 网上… for received; 逾期 for
    closed; 维持, 纠错, 败诉… for cases), when 行政复议 and 行政诉讼 share one number (行政复议、行政诉讼共 3 件,
    各 1 件), or when the count is followed by something else than the end of the clause (一起研究, 三个工作日).
    One finding per section and distinct stated figure; the message quotes the sentence and both figures.
    """
    year, layout = report.year, report.layout
    for section in text_sections(report):
        if not section.text.strip():
            continue
        text = _ascii_digits(section.text)
        reported: set[tuple[str, int]] = set()
        for claim, sentence in _claims(text, year, layout):
            figure = claim.figure
            actual = figure.table(report)
            if actual is None or claim.stated == actual or claim.stated in figure.also(report):
                continue
            if (figure.key, claim.stated) in reported:
                continue
            reported.add((figure.key, claim.stated))
            yield Finding(
                "text.table_mismatch",
                Severity.WARNING,
                section.location,
                f"正文写{figure.says} {claim.stated} {claim.unit}，而{figure.place}为 {actual}"
                f"（相差 {claim.stated - actual:+d}）：“{_quote(text, sentence, claim.start)}”；"
                "请核对正文与表格，改正错的一处",
            )


# ---------------------------------------------------------------------------------------------------
# text.stale_year
# ---------------------------------------------------------------------------------------------------

_ENUMERATOR = re.compile(
    r"\s*(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+是|[一二三四五六七八九十]+、|\d+[.、．])?\s*(?:在)?"
)
_COMPARISON = re.compile(
    r"较|同比|环比|相比|对比|比上|增长|下降|减少|增加|持平|同期|相较|提高|上升|上年|去年|上一年|对照|参照"
)
_FUTURE = re.compile(r"将|计划|拟|下一步|今后|明年|力争|预计|争取")


@functools.lru_cache(maxsize=32)
def _stale_patterns(
    year: int, document_name: str
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    last = _year(year - 1)
    period = re.compile(
        rf"{last}\s*年\s*(?:度\s*)?1\s*月\s*(?:1\s*日\s*)?(?:起\s*)?(?:至|到|—|－|-|～|~)\s*(?:{last}\s*年\s*)?12\s*月"
    )
    lead = re.compile(
        rf"{last}\s*年(?:度)?(?:全年)?(?:[，,、]|我|全|本|共|累计|未|收到|受理|新收|主动|办结|发布|印发|制定|开展|完成|各)"
    )
    title = re.compile(rf"{last}\s*年(?:度)?{re.escape(document_name)}")
    return period, lead, title, re.compile(_year(year) + r"\s*年")


def _stale_sentences(text: str, year: int, document_name: str) -> Iterator[tuple[int, int]]:
    period, lead, title, this_year = _stale_patterns(year, document_name)
    if not any(word in text for word in _year_words(year - 1)):
        return  # every pattern opens with last year (_year)
    sentences = _Sentences(text)
    for start, end in sentences.all():
        sentence = text[start:end]
        if period.search(sentence):
            yield start, end
            continue
        guarded = not (_COMPARISON.search(sentence) or _FUTURE.search(sentence) or this_year.search(sentence))
        if not guarded:
            continue
        prefix = _ENUMERATOR.match(sentence)
        at = prefix.end() if prefix else 0
        if lead.match(sentence, at) or title.search(sentence):
            yield start, end


@_rule
def text_stale_year(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """No text speaks of last year as the reporting year (``text.stale_year``, warning): in a 2024 report,
    a statistics period of 2023年1月1日至12月31日, a sentence opening with 2023年 as its time (2023年，我局…,
    2023年全年未受理…), or the title 2023年政府信息公开工作年度报告. A comparison (较2023年增长, 与2023年相比),
    last year's carried-over figure (2023年结转), a plan (将, 计划, 下一步) or a sentence that names the
    reporting year as well is not reported. One finding per section, quoting the first such sentence.
    """
    year, document_name = report.year, report.layout.document_name
    for section in text_sections(report):
        if not section.text.strip():
            continue
        text = _ascii_digits(section.text)
        stale = list(_stale_sentences(text, year, document_name))
        if not stale:
            continue
        more = f"（该节共 {len(stale)} 处）" if len(stale) > 1 else ""
        yield Finding(
            "text.stale_year",
            Severity.WARNING,
            section.location,
            f"“{section.name}”把{year - 1}年写成了报告年度：“{_quote(text, stale[0])}”{more}；"
            f"本报告是{year}年度的，是否沿用了上年报告的文字？请按{year}年的情况改写",
        )


# ---------------------------------------------------------------------------------------------------
# text.problems_thin
# ---------------------------------------------------------------------------------------------------

#: Section 五 shorter than this (white space not counted) says too little to name a problem and a measure.
MIN_PROBLEMS_CHARS = 50
_NOTHING = re.compile(r"(?:暂无|无|没有|无问题)[。.；;]?")
_MEASURE = re.compile(r"改进|下一步|将|整改|今后|措施|计划|拟")


@_rule
def text_problems_thin(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """Section 五 names problems and measures (``text.problems_thin``, warning): not "无", not under
    :data:`MIN_PROBLEMS_CHARS` characters, and some measure (改进, 下一步, 将, 整改, 今后, 措施, 计划, 拟).
    An empty section is ``text.missing`` of :mod:`reportkit.rules` and not reported again."""
    text = "".join(report.problems.text.split())
    if not text:
        return
    if _NOTHING.fullmatch(text):
        reason = f"只写了“{text}”"
    elif len(text) < MIN_PROBLEMS_CHARS:
        reason = f"只有 {len(text)} 字"
    elif not _MEASURE.search(text):
        reason = "没有写改进措施（未见“改进”“下一步”“将”等）"
    else:
        return
    yield Finding(
        "text.problems_thin",
        Severity.WARNING,
        Location(report.layout.problems.heading, "", "", "problems.text"),
        f"“{report.layout.problems.heading}”{reason}；请写明本机关工作中存在的主要问题，以及下一步的改进措施",
    )


# ---------------------------------------------------------------------------------------------------
# Similarity of texts
# ---------------------------------------------------------------------------------------------------

#: Characters per shingle: Chinese words are one to four characters, so four keep a phrase's order
#: while a shared word alone does not count as shared text.
SHINGLE_SIZE = 4
#: Comparable text beyond this many characters is not compared (bounded time on huge texts).
MAX_COMPARE_CHARS = 100_000
#: Comparable texts shorter than this are too short to call a copy (e.g. "无"); the same as
#: ``reportkit.rules.MIN_COPY_LENGTH``.
MIN_COMPARE_CHARS = 20
#: ``previous.text_similar``: at least this share of this year's section is last year's text.
PREVIOUS_THRESHOLD = 0.5
#: ``peers.text_similar``: two agencies' sections with at least this Jaccard similarity.
PEER_THRESHOLD = 0.8

_STATUTORY = re.compile(r"(?:根据|依据|按照|依照|遵照).*(?:政府信息公开条例|《条例》)")
_STATUTORY_REPORT = re.compile(r"年度报告|报告格式|编制|本报告")
_REPORT_NOTE = re.compile(r"本报告.*(?:统计|数据|期限|电子版|网站|下载|联系|疑问|咨询)|^\W*本报告")
#: What every boilerplate sentence has: _REPORT_NOTE needs 本报告, _STATUTORY 政府信息公开条例 or 《条例》.
_BOILERPLATE_WORDS = ("本报告", "条例")
_MIX = 0x9E3779B1  #: an odd multiplier: CRC-32 values in a random-looking order (a bijection mod 2**32)


def _copy_normalised(text: str) -> str:
    """The text as ``previous.text_copied`` of :mod:`reportkit.rules` compares it (the same characters left
    out, so that "identical" means the same there and here)."""
    return _strip_noise(text)


def _may_have_boilerplate(text: str) -> bool:
    return any(word in text for word in _BOILERPLATE_WORDS)


def _is_boilerplate(sentence: str) -> bool:
    """The sentences every report carries: the Regulation and the format notice as the basis of the
    report, the statistics period, where to find the report and whom to ask."""
    if _STATUTORY.search(sentence) and _STATUTORY_REPORT.search(sentence):
        return True
    return bool(_REPORT_NOTE.search(sentence))


def _comparable_sentences(text: str) -> Iterator[str]:
    """The normalised sentences of ``text``, boilerplate left out, empty ones too."""
    check = _may_have_boilerplate(text)
    for sentence in _SENTENCE_END.split(text):  # the sentences of _Sentences.all(), and empty ones
        if not sentence or (check and _is_boilerplate(sentence)):
            continue
        normalised = _copy_normalised(sentence)
        if normalised:
            yield normalised


def comparable_text(text: str, drop: AbstractSet[str] = frozenset()) -> str:
    """``text`` as similarity measures see it (see the module docstring); sentences in ``drop`` (normalised)
    are left out too."""
    if not drop and not _may_have_boilerplate(text):
        # No sentence left out: the sentences' normalised forms joined are the whole text's. NFKC does not
        # join or reorder across a sentence end (。！？!?；;\n: starters that compose with nothing, checked
        # over every code point), and the end marks are noise. The whole text's form is usually remembered
        # from previous.text_copied.
        return _normalized(text)[:MAX_COMPARE_CHARS]
    kept = "".join(s for s in _comparable_sentences(text) if s not in drop)
    return kept[:MAX_COMPARE_CHARS]


def _shingle_texts(comparable: str) -> set[str]:
    """The distinct :data:`SHINGLE_SIZE`-character shingles of a non-empty comparable text, as strings: what
    counting the shingles two texts share needs (exact, and cheaper to make than their hashes)."""
    text = comparable[:MAX_COMPARE_CHARS]
    if len(text) <= SHINGLE_SIZE:
        return {text}
    return {text[i : i + SHINGLE_SIZE] for i in range(len(text) - SHINGLE_SIZE + 1)}


def shingles(comparable: str) -> set[int]:
    """The hashed :data:`SHINGLE_SIZE`-character shingles of a comparable text: the CRC-32 of each, mixed (the
    sketches of :func:`peer_findings` need hashes in a random-looking order, the same in every process)."""
    if not comparable:
        return set()
    data = comparable[:MAX_COMPARE_CHARS].encode("utf-32-le")
    width = 4 * SHINGLE_SIZE
    crc = zlib.crc32
    if len(data) <= width:
        return {(crc(data) * _MIX) & 0xFFFFFFFF}
    # slicing bytes beats a memoryview here: a short bytes object is cheaper to make than a view
    return {(crc(data[i : i + width]) * _MIX) & 0xFFFFFFFF for i in range(0, len(data) - width + 4, 4)}


def similarity(a: str, b: str) -> tuple[float, float]:
    """How much of text ``a`` is in text ``b`` (containment) and how alike they are (Jaccard), 0 to 1."""
    left, right = shingles(comparable_text(a)), shingles(comparable_text(b))
    if not left or not right:
        return 0.0, 0.0
    shared = len(left & right)
    return shared / len(left), shared / len(left | right)


def _percent(share: float) -> int:
    return math.floor(share * 100 + 1e-9)


@_rule
def previous_text_similar(report: AnnualReport, previous: AnnualReport | None) -> Iterator[Finding]:
    """No section is mostly last year's text (``previous.text_similar``, warning): at least
    :data:`PREVIOUS_THRESHOLD` of this year's shingles (comparable text, see the module docstring) are in
    last year's same section. A section identical after normalisation is ``previous.text_copied`` of
    :mod:`reportkit.rules` and not reported again. Linear in the texts' lengths, bounded by
    :data:`MAX_COMPARE_CHARS`."""
    if previous is None:
        return
    last = {section.field: section.text for section in text_sections(previous)}
    for section in text_sections(report):
        before = last.get(section.field, "")
        now, then = comparable_text(section.text), comparable_text(before)
        if len(now) < MIN_COMPARE_CHARS or len(then) < MIN_COMPARE_CHARS:
            continue
        mine = _shingle_texts(now)
        share = len(mine & _shingle_texts(then)) / len(mine)
        if share < PREVIOUS_THRESHOLD:
            continue
        # only now (the tests are independent): most sections are not similar at all
        now_copy = _normalized(section.text)
        if len(now_copy) >= MIN_COMPARE_CHARS and now_copy == _normalized(before):
            continue  # previous.text_copied
        percent = _percent(share)
        how = (
            "全部见于上年报告的该节（只删改了个别内容）" if percent >= 100 else f"与上年报告的该节文字 {percent}% 相同"
        )
        yield Finding(
            "previous.text_similar",
            Severity.WARNING,
            section.location,
            f"“{section.name}”{how}；请按本年度的实际工作改写（{report.layout.notice}将内容雷同列为应当纠正的问题）",
        )


# ---------------------------------------------------------------------------------------------------
# peers.text_similar: a whole batch at once
# ---------------------------------------------------------------------------------------------------

#: A sentence in more agencies' same section than this (or than :data:`COMMON_SHARE` of the batch) is a
#: shared template, not one agency copying another: it is left out of the comparison.
COMMON_MIN_AGENCIES = 20
COMMON_SHARE = 0.01
#: Hashes kept per section (its smallest shingle hashes), and how many of them index it.
SKETCH_SIZE = 32
ANCHORS = 8
#: Share of their sketches two texts at least share before they are compared exactly (see _field_pairs).
SKETCH_AGREEMENT = 0.4
#: A hash in more sketches than this is too common to find pairs by (it would pair everybody).
ANCHOR_CAP_MIN = 50
#: At most this many other agencies are named in one finding.
PEERS_NAMED = 3
#: Two texts at least PEER_THRESHOLD alike have at most this share of their summed sizes as shingles of one
#: text only: |A △ B| = (|A| + |B|)(1 - J)/(1 + J). A hair below the threshold, so a float rounding never
#: drops a pair that the exact test would keep.
_DIFFER_SHARE = (1 - (PEER_THRESHOLD - 1e-9)) / (1 + (PEER_THRESHOLD - 1e-9))


class PeerInputError(ReportkitError):
    """The reports given to :func:`peer_findings` cannot be compared (the same source twice)."""


_NAME_NOISE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]+")


def _agency_key(report: AnnualReport) -> str:
    """The agency's name as compared across files (NFKC, no white space or invisible characters, case-folded),
    as ``previous.other_agency`` compares it."""
    return _NAME_NOISE.sub("", unicodedata.normalize("NFKC", report.agency.name)).casefold()


@frozen
class PeerText:
    """What the batch comparison (:func:`peer_findings`) reads of one report: the agency as compared and as
    named, the format, and the comparable sentences of each text (in the order of :data:`TEXT_FIELDS`).
    Made where the report is read (a batch worker), so the texts are normalised there, in parallel, and
    the parent reads these small records once per section instead of whole reports."""

    agency_key: str
    title_name: str
    format: str
    sentences: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, report: AnnualReport) -> PeerText:
        return cls(
            _agency_key(report),
            report.agency.display_title_name,
            report.format,
            tuple(tuple(_comparable_sentences(section_text(report, field))) for field in TEXT_FIELDS),
        )


def _peer(item: AnnualReport | PeerText) -> PeerText:
    return item if isinstance(item, PeerText) else PeerText.of(item)


class PeerColumns(abc.ABC):
    """A batch's :class:`PeerText` records kept by column, as :func:`peer_findings` reads them: the heads (source,
    agency) once, then each text field's sentences on their own, three times (to count the sentences by hash, to
    count the frequent ones exactly, then to sketch), so that no more than one field's counts is held at a time.
    The batch keeps its columns on disk (``reportkit.batch``); a list of reports is put in columns in memory."""

    @abc.abstractmethod
    def heads(self) -> Iterator[tuple[str, str]]:
        """``(source, agency key)`` of each report, in order."""

    @abc.abstractmethod
    def sentences(self, at: int) -> Iterator[tuple[str, ...]]:
        """The comparable sentences of text field number ``at`` (of :data:`TEXT_FIELDS`) of each report."""

    @abc.abstractmethod
    def head(self, index: int) -> tuple[str, str, str, str]:
        """``(source, agency key, title name, format)`` of report number ``index``: what a pair of the same agency
        and a finding's wording need of it, read only for the few reports they concern."""


class _ListColumns(PeerColumns):
    def __init__(self, reports: Sequence[tuple[str, AnnualReport | PeerText]]) -> None:
        self._records = [(source, _peer(report)) for source, report in reports]  # each text normalised once

    def heads(self) -> Iterator[tuple[str, str]]:
        return ((source, peer.agency_key) for source, peer in self._records)

    def sentences(self, at: int) -> Iterator[tuple[str, ...]]:
        return (peer.sentences[at] for _, peer in self._records)

    def head(self, index: int) -> tuple[str, str, str, str]:
        source, peer = self._records[index]
        return source, peer.agency_key, peer.title_name, peer.format


class _Ragged:
    """Short runs of 32-bit values (the sketches, the anchors) one after another in one array, with where each
    starts: a few bytes a value, where an array object per run cost 80 bytes more."""

    __slots__ = ("start", "values")

    def __init__(self) -> None:
        self.values = array("I")
        self.start = array("Q", [0])

    def append(self, run: Iterable[int]) -> None:
        self.values.extend(run)
        self.start.append(len(self.values))

    def __len__(self) -> int:
        return len(self.start) - 1

    def __getitem__(self, position: int) -> array[int]:
        return self.values[self.start[position] : self.start[position + 1]]


class _Sketches:
    """One section's sketched texts, in flat arrays (about 150 bytes a text with its sketch, where an object
    per text took 400): the batch index of its report, where its shingle hashes are in the section's
    :class:`_ShingleFile` and how many there are, and its sketch."""

    __slots__ = ("offset", "report", "size", "sketch")

    def __init__(self) -> None:
        self.report = array("I")
        self.offset = array("Q")
        self.size = array("I")
        self.sketch = _Ragged()  #: each text's SKETCH_SIZE smallest shingle hashes, ascending

    def append(self, report: int, offset: int, size: int, sketch: Iterable[int]) -> None:
        self.report.append(report)
        self.offset.append(offset)
        self.size.append(size)
        self.sketch.append(sketch)

    def __len__(self) -> int:
        return len(self.report)


class _ShingleFile:
    """The shingle hashes of one section's texts, 4 bytes each, in a temporary file rather than in memory: all
    of them are needed only while the texts are sketched, then only the few pairs compared exactly read theirs
    back (at 20,000 agencies they were a quarter of the batch parent's peak). A disk that fails raises OSError,
    as the batch's other spools do."""

    #: Written in chunks of about this many bytes (a write per text would be a system call per text).
    _CHUNK = 1 << 20

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="reportkit-shingles-")  # noqa: SIM115 (closed by close())
        self._pending = bytearray()
        self._end = 0

    def add(self, hashes: array[int]) -> int:
        """Keep ``hashes``; returns where they are."""
        offset = self._end
        self._pending += hashes
        self._end += len(hashes) * hashes.itemsize
        if len(self._pending) >= self._CHUNK:
            self.flush()
        return offset

    def flush(self) -> None:
        self._file.write(self._pending)
        self._file.flush()
        self._pending.clear()

    def read(self, offset: int, count: int) -> array[int]:
        """The ``count`` hashes kept at ``offset`` (after :meth:`flush`)."""
        hashes = array("I")
        data = os.pread(self._file.fileno(), count * hashes.itemsize, offset)
        if len(data) != count * hashes.itemsize:
            raise OSError(f"临时文件 {self._file.name} 读取不完整")
        hashes.frombytes(data)
        return hashes

    def close(self) -> None:
        self._file.close()


#: Slots of the table in which :func:`_more_than` first counts values (4 bytes each): a fixed size, so counting
#: takes the same memory at 1,000 agencies as at 100,000.
_COUNT_SLOTS = 1 << 18
#: :func:`_runs` sorts about this many values at a time (a Python int each while sorted).
_SORT_CHUNK = 1 << 14


def _more_than(values: array[int], cap: int) -> set[int]:
    """The values found more than ``cap`` times in ``values``.

    Counted in two passes in bounded memory: first every value in the slot of a fixed table given by its low
    bits (a slot counts at least each of its values' occurrences), then exactly, but only the values whose slot
    passed ``cap``. A Counter of every distinct value would hold two Python objects a value (at 20,000 agencies
    a section's sentences or sketch hashes are hundreds of thousands)."""
    mask = _COUNT_SLOTS - 1
    table = array("I", bytes(4 * _COUNT_SLOTS))
    for value in values:
        table[value & mask] += 1
    hot = map(cap.__lt__, map(table.__getitem__, map(mask.__and__, values)))  # in C, value by value
    counts = Counter(itertools.compress(values, hot))
    return {value for value, count in counts.items() if count > cap}


def _runs(values: array[int], shift: int) -> Iterator[tuple[int, list[int]]]:
    """``values`` sorted and grouped by ``value >> shift``: each group's key with the low ``shift`` bits of its
    values, ascending, for the groups of more than one value.

    Sorted one range of values at a time (about :data:`_SORT_CHUNK` values each, bounds from a sample, aligned
    so that no group is split), not all at once: sorting them all would hold a Python int for each."""
    if not values:
        return
    parts = -(-len(values) // _SORT_CHUNK)
    # An odd step: the anchors come in runs of up to ANCHORS ascending values per text, and a step that divides
    # the run would sample the same rank of every text (ranges far from even).
    sample = sorted(values[:: max(1, len(values) // (64 * parts)) | 1])
    bounds = sorted({(sample[len(sample) * part // parts] >> shift) << shift for part in range(1, parts)})
    mask = (1 << shift) - 1
    for low, high in itertools.pairwise([0, *bounds, max(values) + 1]):
        within = range(low, high)  # its membership test is two comparisons in C
        part_values = sorted(itertools.compress(values, map(within.__contains__, values)))
        for key, run in itertools.groupby(part_values, key=lambda value: value >> shift):
            group = [value & mask for value in run]
            if len(group) > 1:
                yield key, group


def _bucket_pairs(
    anchor: int,
    members: Sequence[int],
    sketches: _Sketches,
    anchors: _Ragged,
) -> Iterator[tuple[int, int]]:
    """The pairs of a bucket's texts (positions, the smaller text first) to compare exactly: those whose sizes
    (shingles) allow :data:`PEER_THRESHOLD`, whose smallest shared anchor is this bucket's ``anchor`` (each pair
    is looked at in one bucket only), whose sketches share at least :data:`SKETCH_AGREEMENT` of the smaller
    text's sketch, and whose sketches do not differ in more hashes than two texts that alike can.

    A common phrase puts thousands of texts in one bucket; the tests over all of a text's partners run in C
    (``map``/``compress`` over lists of ints), so only the few pairs that pass them cost Python steps."""
    size_of = sketches.size
    members = sorted(members, key=size_of.__getitem__)
    sizes = [size_of[m] for m in members]
    member_sketches = [sketches.sketch[m] for m in members]
    # Jaccard is at most the ratio of the sizes: a text's partners are the next ones in size order up to the
    # last whose PEER_THRESHOLD × size it reaches (the same float comparison as the exact test would make).
    reach = [PEER_THRESHOLD * size for size in sizes]
    # Each member's sketch as bits over the bucket's hashes, numbered in ascending order: the hashes two texts
    # share are the bits of an ``&``, the anchors below this one those under its bit.
    bit = {h: 1 << i for i, h in enumerate(sorted({h for sketch in member_sketches for h in sketch}))}
    sketch_bits = [sum(map(bit.__getitem__, sketch)) for sketch in member_sketches]
    below = bit[anchor] - 1
    lower_anchors = [sum(map(bit.__getitem__, anchors[m])) & below for m in members]
    # A sketch holds every hash of its text up to its largest: where two sketches are both complete (up to the
    # smaller of their largest hashes) a hash in one only is a shingle of one text only.
    complete = [(1 << bits.bit_length()) - 1 for bits in sketch_bits]
    room = [size * _DIFFER_SHARE for size in sizes]
    for i, a in enumerate(members):
        end = bisect.bisect_right(reach, sizes[i], i + 1)
        if end == i + 1:
            continue
        bits_a, lower_a, complete_a, room_a = sketch_bits[i], lower_anchors[i], complete[i], room[i]
        # the number needed grows with the sketch, and the smaller text's sketch is the smaller (or as long)
        needed = math.ceil(SKETCH_AGREEMENT * len(member_sketches[i]))
        agree = map(needed.__le__, map(int.bit_count, map(bits_a.__and__, sketch_bits[i + 1 : end])))
        for j in itertools.compress(range(i + 1, end), agree):
            if lower_a & lower_anchors[j]:
                continue  # looked at in the bucket of a smaller anchor
            if ((bits_a ^ sketch_bits[j]) & complete_a & complete[j]).bit_count() > room_a + room[j]:
                continue  # more shingles of one text only than two texts PEER_THRESHOLD alike have
            yield a, members[j]


def _common_sentences(columns: PeerColumns, at: int, limit: int) -> set[str]:
    """The sentences of text field ``at`` in more than ``limit`` reports: counted by their :func:`hash` first,
    then exactly for the few whose hash is that frequent (a collision only adds a sentence to count exactly)."""
    hashes = array("q")
    for each in columns.sentences(at):
        hashes.extend(map(hash, set(each)))
    frequent = _more_than(hashes, limit)
    del hashes
    if not frequent:
        return set()
    counts = Counter(s for each in columns.sentences(at) for s in set(each) if hash(s) in frequent)
    return {sentence for sentence, count in counts.items() if count > limit}


def _field_pairs(
    columns: PeerColumns,
    same_agency: Callable[[int, int], bool],
    field: str,
    limit: int,
    anchor_cap: int,
) -> Iterator[tuple[int, int, float]]:
    """Pairs of reports whose ``field`` texts are at least :data:`PEER_THRESHOLD` alike, with the similarity;
    pairs for which ``same_agency(a, b)`` holds are left out.

    Sentences in more than ``limit`` reports are a common template and left out. Each remaining text is
    sketched by its :data:`SKETCH_SIZE` smallest shingle hashes; the :data:`ANCHORS` smallest of them that are
    in at most ``anchor_cap`` sketches index it. Two texts with Jaccard similarity J share an anchor unless
    none of the smallest hashes of their union is in both, which happens with probability about
    (1 - J) ** 8 (below 3e-6 at 0.8). Texts sharing an anchor whose sketches share fewer than
    :data:`SKETCH_AGREEMENT` of their hashes are not alike (at J = 0.8 they share at least
    Binomial(32, 0.8) of them, below 13 with probability about 1e-6); the others are compared exactly,
    unless their sizes or the hashes in one sketch only already show that they cannot be that alike (exact
    bounds: they drop no pair the exact comparison would keep).
    """
    at = TEXT_FIELDS.index(field)
    common = _common_sentences(columns, at, limit)  # the field's column read again rather than held
    sketches = _Sketches()
    kept = _ShingleFile()
    try:
        for index, each in enumerate(columns.sentences(at)):
            text = "".join(s for s in each if s not in common)[:MAX_COMPARE_CHARS]
            if len(text) < MIN_COMPARE_CHARS:
                continue
            hashed = shingles(text)
            # sorting a short set in C beats a heap; long texts take the heap
            smallest = (
                sorted(hashed)[:SKETCH_SIZE] if len(hashed) < 16 * SKETCH_SIZE else heapq.nsmallest(SKETCH_SIZE, hashed)
            )
            sketches.append(index, kept.add(array("I", hashed)), len(hashed), smallest)
        kept.flush()
        yield from _alike(sketches, kept, same_agency, anchor_cap)
    finally:
        kept.close()


def _alike(
    sketches: _Sketches, kept: _ShingleFile, same_agency: Callable[[int, int], bool], anchor_cap: int
) -> Iterator[tuple[int, int, float]]:
    """The pairs of ``sketches`` at least :data:`PEER_THRESHOLD` alike (see :func:`_field_pairs`)."""
    # A hash in more than anchor_cap sketches does not index them; the others index their texts by their
    # ANCHORS smallest hashes.
    too_common = _more_than(sketches.sketch.values, anchor_cap)
    keys = array("Q")
    anchors = _Ragged()
    for position in range(len(sketches)):
        chosen = list(
            itertools.islice(itertools.filterfalse(too_common.__contains__, sketches.sketch[position]), ANCHORS)
        )
        anchors.append(chosen)
        keys.extend((h << 32) | position for h in chosen)
    del too_common
    report, offset, size = sketches.report, sketches.offset, sketches.size
    # Bucket by bucket, with each pair looked at once: in the bucket of the smallest anchor both texts have.
    # No set of all candidate pairs is kept (common phrases make millions of them in a large batch).
    for anchor, members in _runs(keys, 32):  # the texts of each hash that indexes several
        left_set: tuple[int, frozenset[int]] = (-1, frozenset())  # the pairs come by their first text
        for a, b in _bucket_pairs(anchor, members, sketches, anchors):
            if same_agency(report[a], report[b]):
                continue  # the same agency (another year's file): previous.* territory
            if left_set[0] != a:
                left_set = (a, frozenset(kept.read(offset[a], size[a])))
            shared = len(left_set[1].intersection(kept.read(offset[b], size[b])))  # distinct: sizes count
            jaccard = shared / (size[a] + size[b] - shared)
            if jaccard >= PEER_THRESHOLD:
                yield report[a], report[b], jaccard


def peer_findings(
    reports: Sequence[tuple[str, AnnualReport | PeerText]] | PeerColumns, *, flagged_only: bool = False
) -> dict[str, list[Finding]]:
    """``peers.text_similar`` over a whole batch: the findings of each report, keyed by its source (every
    source present, most with an empty list; with ``flagged_only``, only the sources that have findings).

    A section of one agency is reported when it is at least :data:`PEER_THRESHOLD` alike (Jaccard
    similarity of the shingles of the comparable texts, see the module docstring) to the same section of
    another agency; the finding names the most alike other agencies (up to :data:`PEERS_NAMED`, with their
    source) and how many there are. Left out as boilerplate: empty or short sections (under
    :data:`MIN_COMPARE_CHARS` comparable characters, e.g. "无"), the statutory sentences, and sentences that
    more than ``max(COMMON_MIN_AGENCIES, COMMON_SHARE × len(reports))`` agencies wrote in that section (a
    template common to everybody). Two files of the same agency (the same ``agency.name`` but for white space
    and full-width forms) are not compared.

    Each section is sketched once and only sketches sharing an anchor hash are compared (see
    :func:`_field_pairs`), so 10,000 agencies do not mean 50 million comparisons. Texts made of phrases that a
    few per cent of the agencies share (hashes under the anchor cap, which grows with the batch) still give each
    text more candidate pairs as the batch grows: those are sifted in C, a bucket's run at a time, so the
    Python work per agency grows slowly, but it grows (see benchmarks/README.md). ``reports`` is a sequence of
    ``(source, report or PeerText)``, or :class:`PeerColumns` (a batch's texts on disk): what is held per report
    is a few arrays of bytes (two hashes, one section's sketch and anchors), the sentences are counted in a
    table of fixed size before the frequent ones are counted exactly, and the shingle hashes wait in a temporary
    file, so over columns on disk the memory grows by about 250 bytes an agency. Deterministic: the
    same reports give the same findings in the same order, in any process. Raises :class:`PeerInputError` when
    a source is given twice, and OSError when the temporary file cannot be written.
    """
    columns = reports if isinstance(reports, PeerColumns) else _ListColumns(reports)
    # Per report only two hashes are held (8 bytes each); sources and agencies are read back for the few
    # reports a pair or a finding concerns.
    source_hash = array("q")
    agency_hash = array("q")
    for source, agency in columns.heads():
        source_hash.append(hash(source))
        agency_hash.append(hash(agency))
    repeated = _more_than(source_hash, 1)
    if repeated:
        seen: set[str] = set()
        for source, _ in columns.heads():
            if hash(source) in repeated:
                if source in seen:
                    raise PeerInputError(f"同一来源出现了两次：{source}；每个数据文件只能参加一次比对", source=source)
                seen.add(source)
    found: dict[str, list[Finding]] = {}
    if len(source_hash) >= 2:
        found = _flagged(columns, agency_hash)
    if flagged_only:
        return found
    return {source: found.get(source, []) for source, _ in columns.heads()}


def _flagged(columns: PeerColumns, agency_hash: array[int]) -> dict[str, list[Finding]]:
    """The findings of :func:`peer_findings`, for the reports that have some."""

    def same_agency(a: int, b: int) -> bool:
        return agency_hash[a] == agency_hash[b] and columns.head(a)[1] == columns.head(b)[1]

    result: dict[str, list[Finding]] = {}
    limit = max(COMMON_MIN_AGENCIES, math.ceil(COMMON_SHARE * len(agency_hash)))
    anchor_cap = max(ANCHOR_CAP_MIN, 2 * limit)
    for field in TEXT_FIELDS:
        alike: defaultdict[int, list[tuple[float, int]]] = defaultdict(list)
        for a, b, jaccard in _field_pairs(columns, same_agency, field, limit, anchor_cap):
            alike[a].append((jaccard, b))
            alike[b].append((jaccard, a))
        heads = {index: columns.head(index) for index in alike}  # every partner is flagged too
        for index in sorted(alike):
            source, _, _, format_id = heads[index]
            layout = formats.get_format(format_id)
            location = text_locations(layout)[field]
            name = location.row or location.section
            ranked = sorted(alike[index], key=lambda item: (-item[0], heads[item[1]][0]))
            named = "、".join(
                f"{heads[other][2]}（{heads[other][0]}）{_percent(jaccard)}%" for jaccard, other in ranked[:PEERS_NAMED]
            )
            more = f"，另有 {len(ranked) - PEERS_NAMED} 家单位也相近" if len(ranked) > PEERS_NAMED else ""
            result.setdefault(source, []).append(
                Finding(
                    "peers.text_similar",
                    Severity.WARNING,
                    location,
                    f"“{name}”与其他单位雷同：与{named}的该节文字相同{more}；"
                    f"请按本单位的实际工作撰写（{layout.notice}将内容雷同列为应当纠正的问题）",
                )
            )
    return result
