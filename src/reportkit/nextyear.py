"""Next year's file: last year's report rolled over into the start of the following year's (issue 12.1).

An office starts each year from last year's report. :func:`next_year` keeps what carries over and blanks the
rest, so that the cross-year checks hold until the office edits the figures:

- the year is last year's + 1, the format the one in force for that year
  (:func:`reportkit.formats.format_for_year`), the agency unchanged;
- no signing or publication date: ``check`` reports ``dates.signed_missing`` until the office fills it in,
  like every other placeholder;
- 二、上年结转 (table 三) is last year's 四、结转下年度继续办理, column by column;
- 现行有效件数 (table 二) is carried as the base, with 本年制发/本年废止 at 0, so the chain
  现行有效 = 上年现行有效 + 制发 − 废止 holds; in the 2019 trial format, 对外公开总数量 is carried the same way and
  上一年项目数量 becomes last year's 上一年项目数量 + 本年增/减 (:data:`CARRIES`, from the format's chain rules).
  Table 二 is carried only when both years use the same format (2020 → 2021 changes what it counts);
- every other count is 0 (the 信息处理费 figures too, where the format has them) and every text is empty
  (``text.missing`` until written). Last year's texts are kept *beside* this year's to rewrite from, never as
  this year's text: as comments in a TOML file (:func:`next_year_toml`) or in a side column of the Excel form
  (:func:`next_year_form`); nothing there is read back.

The new report is built from plain data through :func:`reportkit.io.structure`, the road every figures file
takes, so it follows the model whatever shape its classes take.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from reportkit.formats import format_for_year
from reportkit.formats.layout import ProactiveBlock
from reportkit.formats.spec import ReportFormat, RuleFamily
from reportkit.model import AnnualReport

__all__ = [
    "CARRIED_COLUMN",
    "CARRIED_FROM",
    "CARRIED_TO",
    "CARRIES",
    "carried_labels",
    "next_year",
    "next_year_form",
    "next_year_toml",
    "rollover_description",
    "texts_of",
]

#: The table 三 row that takes last year's value, and the row of last year's report it takes it from.
CARRIED_TO = "carried_over"
CARRIED_FROM = "carried_forward"
#: The column of table 二 whose value is the base of next year's (现行有效件数).
CARRIED_COLUMN = "in_force"


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *heads, last = path.split(".")
    for head in heads:
        data = data.setdefault(head, {})
    data[last] = value


def _get(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value[part]
    return value


def _row_values(row: Any) -> Any:
    """A row of table 三 as the figures file holds it, without a declared 总计."""
    if isinstance(row, Mapping):
        return {key: value for key, value in row.items() if key != "total"}
    return row


@frozen
class _Carry:
    """A column of table 二 whose value next year starts from last year's (the chain rules of the format):
    next year's ``column`` = the sum of last year's ``sources`` of the same row."""

    family: RuleFamily
    column: str
    sources: tuple[str, ...]


#: 现行有效件数 (2021); 对外公开总数量 (2019); 上一年项目数量 = last year's + 本年增/减 (2019).
CARRIES: tuple[_Carry, ...] = (
    _Carry(RuleFamily.DOCUMENTS_IN_FORCE_CHAIN, CARRIED_COLUMN, (CARRIED_COLUMN,)),
    _Carry(RuleFamily.CUMULATIVE_PUBLISHED_CHAIN, "published_total", ("published_total",)),
    _Carry(RuleFamily.ITEMS_CHAIN, "items_last_year", ("items_last_year", "items_change")),
)


def _carries(last_format: str, layout: ReportFormat) -> list[tuple[_Carry, ProactiveBlock]]:
    """The table-二 carries of ``layout`` with the blocks they apply to; none across a change of format
    (the 2019 table 二 counts other things than the 2021 one)."""
    if layout.id != last_format:
        return []
    return [
        (carry, block)
        for carry in CARRIES
        if carry.family in layout.rule_families
        for block in layout.proactive_blocks
        if any(column.key == carry.column for column in block.columns)
    ]


def next_year(report: AnnualReport) -> AnnualReport:
    """The start of the following year's report of the same agency (see the module docstring).

    ``check(next_year(last), previous=last)`` gives no ``previous.carried_over`` or ``previous.in_force``
    finding; what it does report (the signing date, the empty texts, the balance of table 三 while 上年结转
    has no outcome yet) is what the office has to fill in.
    """
    from reportkit.io import structure, unstructure

    year = report.year + 1
    layout = format_for_year(year)
    last = unstructure(report)
    data: dict[str, Any] = {"format": layout.id, "agency": last["agency"], "report": {"year": year}}
    if RuleFamily.CARRY_OVER in layout.rule_families:
        _set(data, f"applications.{CARRIED_TO}", _row_values(_get(last, f"applications.{CARRIED_FROM}")))
    for carry, block in _carries(report.format, layout):
        column = next(c for c in block.columns if c.key == carry.column)
        for leaf in block.rows:
            try:
                sources = [
                    _get(last, f"proactive.{block.cell_key(leaf, next(c for c in block.columns if c.key == key))}")
                    for key in carry.sources
                ]
            except (KeyError, StopIteration, TypeError):
                continue  # a model that does not hold this format's table 二 yet
            _set(data, f"proactive.{block.cell_key(leaf, column)}", sum(sources))
    if layout.information_fee is not None:  # 0 like every other count, to be filled in
        _set(data, "other.information_fees", {"notices": 0, "notified_yuan": 0, "collected_yuan": 0})
    return structure(data, source=f"{report.title}（转入下一年度）")


def carried_labels(last: AnnualReport, new: AnnualReport) -> str:
    """What :func:`next_year` carried from ``last`` into ``new``, in the official labels (for messages)."""
    from reportkit.formats import get_format

    layout = get_format(new.format)
    return _carried(layout, _carries(last.format, layout))


def _carried(layout: ReportFormat, carries: list[tuple[_Carry, ProactiveBlock]]) -> str:
    table = layout.applications_table
    parts = [f"上年的“{table.row(CARRIED_FROM).short_label}”作为本年的“{table.row(CARRIED_TO).short_label}”"]
    done: set[tuple[str, str]] = set()
    for carry, block in carries:
        labels = {c.key: c.label for c in block.columns}
        if (carry.column, labels[carry.column]) in done:
            continue
        done.add((carry.column, labels[carry.column]))
        zero = "、".join(label for key, label in labels.items() if key != carry.column)
        if carry.sources == (carry.column,):
            parts.append(f"“{labels[carry.column]}”作为基数（{zero}为 0）")
        else:
            summed = "加".join(f"“{labels[key]}”" for key in carry.sources)
            parts.append(f"“{labels[carry.column]}”为上年的{summed}（{zero}为 0）")
    return "，".join(parts)


def rollover_description(year: int) -> str:
    """What ``reportkit next`` does, in the labels of the format in force for ``year`` (for the help)."""
    layout = format_for_year(year)
    return f"年度加一；成文日期留空待填；{_carried(layout, _carries(layout.id, layout))}；其余数字为 0，文字为空"


def texts_of(report: AnnualReport) -> dict[str, str]:
    """Every non-empty text of ``report`` by model path (``overview.on_request``), in reading order."""
    from reportkit.evaluators import text_sections

    return {section.field: section.text for section in text_sections(report) if section.text.strip()}


#: Characters a TOML comment may not hold (TOML 1.0: control characters other than tab).
_NOT_IN_COMMENT = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


def _side_note(last: AnnualReport) -> str:
    return f"上年（{last.year}年度）内容，供改写参考（不会读入，改写后可删去）："


def next_year_toml(last: AnnualReport, new: AnnualReport | None = None) -> str:
    """Next year's figures file as annotated TOML: every key with its official label, and above each text
    last year's text as comment lines to rewrite from. ``new`` is :func:`next_year` of ``last`` (computed
    when not given)."""
    from reportkit.io import dumps

    rolled = next_year(last) if new is None else new
    notes = {
        field: _side_note(last) + "\n" + "\n".join(f"  {_NOT_IN_COMMENT.sub(' ', line)}" for line in text.splitlines())
        for field, text in texts_of(last).items()
    }
    # the generic example date is another year's: say which year this one is in
    notes["report.signed_on"] = (
        f"本报告为{rolled.year}年度，成文日期应在{rolled.year + 1}年，如 {rolled.year + 1}-01-20"
    )
    return dumps(rolled, "toml", comments=True, notes=notes)


def next_year_form(last: AnnualReport, new: AnnualReport | None = None) -> bytes:
    """Next year's Excel input form, filled with :func:`next_year` of ``last``, last year's texts in a
    side column of the 文字部分 sheet (for reference only: the reader never reads that column)."""
    from reportkit.xlsx_form import fill_form

    rolled = next_year(last) if new is None else new
    return fill_form(rolled, side_texts=texts_of(last), side_heading=_side_note(last))
