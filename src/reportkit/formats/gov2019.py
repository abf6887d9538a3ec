"""The 2019 trial format of the 政府信息公开工作年度报告 (国办公开办函〔2019〕60号), as data.

It served the 2019 and 2020 reports. Source: ``shared/format-2019.md`` (the attachment of the notice is not
available; the tables rest on published reports, which agree on every label). Only what differs from the
2021 format is spelled here: table 二 (five blocks, 22 value cells) and the single row （六）其他处理 of
table 三. Sections, table 三's other rows and columns, table 四 and the deadlines are the 2021 objects
themselves, imported, so no label is spelled twice.
"""

from __future__ import annotations

import attrs

from reportkit.formats import gov2021
from reportkit.formats.layout import Column, Group, Leaf, Node, ProactiveBlock, Table, ValueType
from reportkit.formats.spec import ReportFormat, RuleFamily

FORMAT_ID = "gov-info-annual-report/2019"
NOTICE = "国办公开办函〔2019〕60号"
NOTICE_TITLE = "国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知"
#: The attachment of the notice (the format itself), as reports for 2020 cite it.
ATTACHMENT_TITLE = "中华人民共和国政府信息公开工作年度报告格式（试行）"
FIRST_YEAR = 2019
LAST_YEAR = 2020

# ---------------------------------------------------------------------------------------------------
# Table 二: 主动公开政府信息情况 (format-2019.md §1)
# ---------------------------------------------------------------------------------------------------

#: 第二十条第（一）项: documents made this year, made and published this year, published to date.
PUBLISHED_COLUMNS: tuple[Column, ...] = (
    Column("made", "本年新制作数量"),
    Column("published", "本年新公开数量"),
    Column("published_total", "对外公开总数量"),
)
#: 上一年项目数量 / 本年增/减 (signed, ASCII slash as printed): the number of items (事项) in the catalogue.
ITEMS_LAST_YEAR = Column("items_last_year", "上一年项目数量")
ITEMS_CHANGE = Column("items_change", "本年增/减", value_type=ValueType.SIGNED_COUNT)
DECISIONS = Column("decisions", "处理决定数量")
ITEM_COLUMNS: tuple[Column, ...] = (ITEMS_LAST_YEAR, ITEMS_CHANGE, DECISIONS)

ARTICLE20_9 = "第二十条第（九）项"

PROACTIVE_BLOCKS: tuple[ProactiveBlock, ...] = (
    ProactiveBlock(
        "article20_1",
        gov2021.ARTICLE20_1,
        gov2021.CONTENT_HEADER,
        PUBLISHED_COLUMNS,
        (gov2021.REGULATIONS, Leaf("normative_documents", "规范性文件")),
    ),
    ProactiveBlock(
        "article20_5",
        gov2021.ARTICLE20_5,
        gov2021.CONTENT_HEADER,
        ITEM_COLUMNS,
        (gov2021.LICENSING, Leaf("other_services", "其他对外管理服务事项")),
    ),
    ProactiveBlock(
        "article20_6",
        gov2021.ARTICLE20_6,
        gov2021.CONTENT_HEADER,
        ITEM_COLUMNS,
        (gov2021.PENALTY, gov2021.COERCION),
    ),
    ProactiveBlock(
        "article20_8",
        gov2021.ARTICLE20_8,
        gov2021.CONTENT_HEADER,
        (ITEMS_LAST_YEAR, ITEMS_CHANGE),
        (Leaf("fees", gov2021.FEES_LABEL),),  # fee *items*, not money (2021: 万元)
    ),
    ProactiveBlock(
        "article20_9",
        ARTICLE20_9,
        gov2021.CONTENT_HEADER,
        (Column("items", "采购项目数量"), Column("amount", "采购总金额", value_type=ValueType.AMOUNT)),
        (Leaf("procurement", "政府集中采购"),),
    ),
)

# ---------------------------------------------------------------------------------------------------
# Table 三: as 2021, except that （六）其他处理 is one row (format-2019.md §2)
# ---------------------------------------------------------------------------------------------------

#: The key of the 2021 group that the 2019 format keeps as one row.
OTHER_HANDLING = "other_handling"


def _other_handling_as_one_row(nodes: tuple[Node, ...]) -> tuple[Node, ...]:
    """The 2021 row tree with the group （六）其他处理 replaced by one row of the same label."""
    result: list[Node] = []
    for node in nodes:
        if isinstance(node, Group) and node.key == OTHER_HANDLING:
            result.append(Leaf(OTHER_HANDLING, node.label))
        elif isinstance(node, Group):
            result.append(Group(node.label, _other_handling_as_one_row(node.children), key=node.key))
        else:
            result.append(node)
    return tuple(result)


APPLICATION_ROWS: tuple[Node, ...] = _other_handling_as_one_row(gov2021.APPLICATION_ROWS)
APPLICATIONS_TABLE = Table(
    gov2021.APPLICATIONS_TABLE.key, APPLICATION_ROWS, gov2021.APPLICANT_COLUMNS, corner=gov2021.BALANCE_NOTE
)

# ---------------------------------------------------------------------------------------------------
# The format as one value
# ---------------------------------------------------------------------------------------------------

#: Everything the 2019 format shares with 2021 (sections, table 三's row keys and balance, table 四, deadlines)
#: is taken from the 2021 value, so a label lives once; only what differs is stated here.
FORMAT: ReportFormat = attrs.evolve(
    gov2021.FORMAT,
    id=FORMAT_ID,
    notice=NOTICE,
    notice_title=NOTICE_TITLE,
    first_year=FIRST_YEAR,
    last_year=LAST_YEAR,
    proactive_blocks=PROACTIVE_BLOCKS,
    applications_table=APPLICATIONS_TABLE,
    rule_families=frozenset(
        {
            RuleFamily.APPLICATION_TOTALS,
            RuleFamily.CASE_TOTALS,
            RuleFamily.CUMULATIVE_PUBLISHED_CHAIN,
            RuleFamily.ITEMS_CHAIN,
            RuleFamily.CARRY_OVER,
        }
    ),
    information_fee=None,
    label_aliases={ATTACHMENT_TITLE: ("中华人民共和国政府信息公开年度报告格式(试行)",)},
)
