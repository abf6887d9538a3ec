"""Next year's file: last year's report rolled over into the start of the following year's (issue 12.1).

An office starts each year from last year's report. :func:`next_year` keeps what carries over and blanks the
rest, so that the cross-year checks hold until the office edits the figures:

- the year is last year's + 1, the format the one in force for that year
  (:func:`reportkit.formats.format_for_year`), the agency unchanged;
- no signing or publication date: ``check`` reports ``dates.signed_missing`` until the office fills it in,
  like every other placeholder;
- 二、上年结转 (table 三) is last year's 四、结转下年度继续办理, column by column;
- 现行有效件数 (table 二) is carried as the base, with 本年制发/本年废止 at 0, so the chain
  现行有效 = 上年现行有效 + 制发 − 废止 holds (only when both years use the same format: the 2019 trial format
  counts other things in table 二);
- every other count is 0 (the 信息处理费 figures too, when last year gave them) and every text is empty
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

from reportkit.formats import format_for_year
from reportkit.formats.spec import ReportFormat, RuleFamily
from reportkit.model import AnnualReport

__all__ = [
    "CARRIED_COLUMN",
    "CARRIED_FROM",
    "CARRIED_TO",
    "carried_labels",
    "next_year",
    "next_year_form",
    "next_year_toml",
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


def _carries_in_force(last: AnnualReport, layout: ReportFormat) -> bool:
    return layout.id == last.format and RuleFamily.DOCUMENTS_IN_FORCE_CHAIN in layout.rule_families


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
    if _carries_in_force(report, layout):
        for block in layout.proactive_blocks:
            for column in block.columns:
                if column.key != CARRIED_COLUMN:
                    continue
                for leaf in block.rows:
                    key = block.cell_key(leaf, column)
                    _set(data, f"proactive.{key}", _get(last, f"proactive.{key}"))
    if report.other.information_fees is not None and layout.information_fee is not None:
        _set(data, "other.information_fees", {"notices": 0, "notified_yuan": 0, "collected_yuan": 0})
    return structure(data, source=f"{report.title}（转入下一年度）")


def carried_labels(last: AnnualReport, new: AnnualReport) -> str:
    """What :func:`next_year` carried from ``last`` into ``new``, in the official labels (for messages)."""
    from reportkit.formats import get_format

    layout = get_format(new.format)
    table = layout.applications_table
    parts = [f"上年“{table.row(CARRIED_FROM).short_label}”作为本年“{table.row(CARRIED_TO).short_label}”"]
    if _carries_in_force(last, layout):
        labels = dict.fromkeys(c.label for b in layout.proactive_blocks for c in b.columns if c.key == CARRIED_COLUMN)
        parts += [f"“{label}”作为基数" for label in labels]
    return "，".join(parts)


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
    return dumps(rolled, "toml", comments=True, notes=notes)


def next_year_form(last: AnnualReport, new: AnnualReport | None = None) -> bytes:
    """Next year's Excel input form, filled with :func:`next_year` of ``last``, last year's texts in a
    side column of the 文字部分 sheet (for reference only: the reader never reads that column)."""
    from reportkit.xlsx_form import fill_form

    rolled = next_year(last) if new is None else new
    return fill_form(rolled, side_texts=texts_of(last), side_heading=_side_note(last))
