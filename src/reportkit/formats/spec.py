"""The typed value that describes one official report format.

A :class:`ReportFormat` is what the model, the rules, the template builders, the renderers and the
readers receive: they never import a format module (``formats/gov2021.py``, ``formats/gov2019.py``).
A new notice is one more module that builds one more value.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from attrs import field, frozen

from reportkit.formats.layout import Deadline, Group, ProactiveBlock, Section, Subsection, Table


class RuleFamily(enum.Enum):
    """The families of rules a format asks for; the rules module runs a family only when its format lists it."""

    #: table 三: the totals column and the （七）总计 row add up, the 勾稽关系 (第一项 + 第二项 = 第三项 + 第四项).
    APPLICATION_TOTALS = "application_totals"
    #: table 四: each group's 总计 adds up.
    CASE_TOTALS = "case_totals"
    #: section 六 states the 信息处理费 (2021 format: 国办函〔2020〕109号).
    INFORMATION_FEES = "information_fees"
    #: table 二 (2021): 现行有效件数 = last year's 现行有效件数 + 本年制发 − 本年废止 (cross-year warning).
    DOCUMENTS_IN_FORCE_CHAIN = "documents_in_force_chain"
    #: table 二 (2019): last year's 对外公开总数量 + this year's 本年新公开数量 = this year's 对外公开总数量.
    CUMULATIVE_PUBLISHED_CHAIN = "cumulative_published_chain"
    #: table 二 (2019): last year's 上一年项目数量 + 本年增/减 = this year's 上一年项目数量.
    ITEMS_CHAIN = "items_chain"
    #: table 三: 二、上年结转 = last year's 四、结转下年度 (the only rule across a change of format).
    CARRY_OVER = "carry_over"


@frozen
class ReportFormat:
    """One official format of the 政府信息公开工作年度报告, as data.

    Field names follow the layout they describe; tables are label trees (:mod:`reportkit.formats.layout`).
    """

    id: str
    notice: str  #: the notice's number, e.g. 国办公开办函〔2021〕30号
    notice_title: str
    first_year: int  #: the first reporting year the format serves
    last_year: int | None  #: the last one, or None while it is in force
    document_name: str  #: 政府信息公开工作年度报告

    overview: Section
    proactive: Section
    applications: Section
    review_litigation: Section
    problems: Section
    other: Section
    overview_subsections: tuple[Subsection, ...]
    accountability: Subsection

    content_header: str  #: 信息内容, the first header cell of every table-二 block
    proactive_blocks: tuple[ProactiveBlock, ...]

    applications_table: Table
    balance_note: str
    #: The row keys of the balance rule: inflow rows = outflow rows (（七）总计 is the key ``total``).
    balance_inflow: tuple[str, ...]
    balance_outflow: tuple[str, ...]
    outcome_group: str  #: the label of the group that （七）总计 adds up

    review_litigation_table: Table
    case_groups: tuple[Group, ...]

    deadlines: Mapping[str, Deadline]
    rule_families: frozenset[RuleFamily]
    #: What section 六 must state about fees, or None when the format has no fee regime (2019).
    information_fee: str | None = None
    #: Alternative spellings met in published reports: official label -> aliases (matching only, never printed).
    label_aliases: Mapping[str, tuple[str, ...]] = field(factory=dict)

    @property
    def sections(self) -> tuple[Section, ...]:
        return (self.overview, self.proactive, self.applications, self.review_litigation, self.problems, self.other)

    def serves(self, year: int) -> bool:
        """Whether this format is the one in force for reports of ``year``."""
        return year >= self.first_year and (self.last_year is None or year <= self.last_year)

    def title(self, name: str, year: int) -> str:
        """The report title in the dominant published pattern: ``<机关名称><年份>年政府信息公开工作年度报告``."""
        return f"{name}{year}年{self.document_name}"

    def title_lines(self, name: str, year: int) -> tuple[str, ...]:
        """The title broken as published reports break a long title: agency first, then the report name."""
        return (name, f"{year}年{self.document_name}")

    def has(self, family: RuleFamily) -> bool:
        return family in self.rule_families
