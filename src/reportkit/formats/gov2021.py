"""The 2021 official format of the 政府信息公开工作年度报告, as data.

This module is the single place where an official label is spelled. Source: the notice
国办公开办函〔2021〕30号 and conforming published reports (see ``shared/format-2021.md``).
Every label here is verbatim, with the full-width punctuation the notice prints.
"""

from __future__ import annotations

from reportkit.formats.layout import (
    CellKind,
    Column,
    Deadline,
    Group,
    Leaf,
    ProactiveBlock,
    Section,
    Subsection,
    Table,
    ValueType,
)
from reportkit.formats.spec import ReportFormat, RuleFamily

FORMAT_ID = "gov-info-annual-report/2021"
NOTICE = "国办公开办函〔2021〕30号"
NOTICE_TITLE = "国务院办公厅政府信息与政务公开办公室关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知"
#: The first reporting year this format serves (the 2019 trial format served 2019 and 2020).
FIRST_YEAR = 2021

DOCUMENT_NAME = "政府信息公开工作年度报告"


def title(name: str, year: int) -> str:
    """The report title in the dominant published pattern: ``<机关名称><年份>年政府信息公开工作年度报告``."""
    return f"{name}{year}年{DOCUMENT_NAME}"


def title_lines(name: str, year: int) -> tuple[str, ...]:
    """The title broken as published reports break a long title: agency first, then the report name."""
    return (name, f"{year}年{DOCUMENT_NAME}")


# ---------------------------------------------------------------------------------------------------
# The six sections
# ---------------------------------------------------------------------------------------------------

OVERVIEW = Section("overview", "一、总体情况")
PROACTIVE = Section("proactive", "二、主动公开政府信息情况")
APPLICATIONS = Section("applications", "三、收到和处理政府信息公开申请情况")
REVIEW_LITIGATION = Section("review_litigation", "四、政府信息公开行政复议、行政诉讼情况")
PROBLEMS = Section("problems", "五、存在的主要问题及改进情况")
OTHER = Section("other", "六、其他需要报告的事项")

SECTIONS: tuple[Section, ...] = (OVERVIEW, PROACTIVE, APPLICATIONS, REVIEW_LITIGATION, PROBLEMS, OTHER)

#: The topics the notice lists for 一、总体情况, as published reports title them.
OVERVIEW_SUBSECTIONS: tuple[Subsection, ...] = (
    Subsection("proactive", "（一）主动公开情况"),
    Subsection("on_request", "（二）依申请公开情况"),
    Subsection("management", "（三）政府信息管理情况"),
    Subsection("platforms", "（四）政府信息公开平台建设情况"),
    Subsection("oversight", "（五）监督保障情况"),
)

#: Art. 50 (4): people's governments report this under 监督保障 as well.
ACCOUNTABILITY = Subsection("accountability", "工作考核、社会评议和责任追究结果情况", required=False)

#: What section 六 must state (《政府信息公开信息处理费管理办法》, 国办函〔2020〕109号).
INFORMATION_FEE = "信息处理费"

# ---------------------------------------------------------------------------------------------------
# Table 二: 主动公开政府信息情况
# ---------------------------------------------------------------------------------------------------

CONTENT_HEADER = "信息内容"
DECISIONS = Column("decisions", "本年处理决定数量")

#: Block titles and row labels the 2019 trial format shares (its module imports them from here).
ARTICLE20_1 = "第二十条第（一）项"
ARTICLE20_5 = "第二十条第（五）项"
ARTICLE20_6 = "第二十条第（六）项"
ARTICLE20_8 = "第二十条第（八）项"
REGULATIONS = Leaf("regulations", "规章")
LICENSING = Leaf("licensing", "行政许可")
PENALTY = Leaf("penalty", "行政处罚")
COERCION = Leaf("coercion", "行政强制")
FEES_LABEL = "行政事业性收费"

PROACTIVE_BLOCKS: tuple[ProactiveBlock, ...] = (
    ProactiveBlock(
        "article20_1",
        ARTICLE20_1,
        CONTENT_HEADER,
        (
            Column("issued", "本年制发件数"),
            Column("repealed", "本年废止件数"),
            Column("in_force", "现行有效件数"),
        ),
        (REGULATIONS, Leaf("normative_documents", "行政规范性文件")),
    ),
    ProactiveBlock("article20_5", ARTICLE20_5, CONTENT_HEADER, (DECISIONS,), (LICENSING,)),
    ProactiveBlock("article20_6", ARTICLE20_6, CONTENT_HEADER, (DECISIONS,), (PENALTY, COERCION)),
    ProactiveBlock(
        "article20_8",
        ARTICLE20_8,
        CONTENT_HEADER,
        (Column("amount", "本年收费金额（单位：万元）"),),
        (Leaf("fees_wan_yuan", FEES_LABEL, value_type=ValueType.WAN_YUAN),),
    ),
)

# ---------------------------------------------------------------------------------------------------
# Table 三: 收到和处理政府信息公开申请情况
# ---------------------------------------------------------------------------------------------------

BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

APPLICATION_ROWS: tuple[Group | Leaf, ...] = (
    Leaf("new", "一、本年新收政府信息公开申请数量", short="一、本年新收"),
    Leaf("carried_over", "二、上年结转政府信息公开申请数量", short="二、上年结转"),
    Group(
        "三、本年度办理结果",
        (
            Leaf("disclosed", "（一）予以公开"),
            Leaf(
                "partly_disclosed", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", short="（二）部分公开"
            ),
            Group(
                "（三）不予公开",
                (
                    Leaf("withheld.state_secret", "1.属于国家秘密"),
                    Leaf("withheld.prohibited_by_law", "2.其他法律行政法规禁止公开"),
                    Leaf("withheld.security_stability", "3.危及“三安全一稳定”"),
                    Leaf("withheld.third_party_rights", "4.保护第三方合法权益"),
                    Leaf("withheld.internal_affairs", "5.属于三类内部事务信息"),
                    Leaf("withheld.process_information", "6.属于四类过程性信息"),
                    Leaf("withheld.enforcement_files", "7.属于行政执法案卷"),
                    Leaf("withheld.query_matters", "8.属于行政查询事项"),
                ),
                key="withheld",
            ),
            Group(
                "（四）无法提供",
                (
                    Leaf("unavailable.not_held", "1.本机关不掌握相关政府信息"),
                    Leaf("unavailable.needs_creation", "2.没有现成信息需要另行制作"),
                    Leaf("unavailable.still_unclear", "3.补正后申请内容仍不明确"),
                ),
                key="unavailable",
            ),
            Group(
                "（五）不予处理",
                (
                    Leaf("not_processed.petition_complaint", "1.信访举报投诉类申请"),
                    Leaf("not_processed.duplicate", "2.重复申请"),
                    Leaf("not_processed.publications", "3.要求提供公开出版物"),
                    Leaf("not_processed.mass_repeated", "4.无正当理由大量反复申请"),
                    Leaf("not_processed.confirm_reissue", "5.要求行政机关确认或重新出具已获取信息"),
                ),
                key="not_processed",
            ),
            Group(
                "（六）其他处理",
                (
                    Leaf(
                        "other_handling.no_correction",
                        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                    ),
                    Leaf(
                        "other_handling.unpaid_fee",
                        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                    ),
                    Leaf("other_handling.other", "3.其他"),
                ),
                key="other_handling",
            ),
            Leaf("total", "（七）总计", kind=CellKind.TOTAL),
        ),
    ),
    Leaf("carried_forward", "四、结转下年度继续办理", short="四、结转下年度"),
)

APPLICANT_COLUMNS: tuple[Group | Leaf, ...] = (
    Group(
        "申请人情况",
        (
            Leaf("natural_person", "自然人"),
            Group(
                "法人或其他组织",
                (
                    Leaf("business", "商业企业"),
                    Leaf("research", "科研机构"),
                    Leaf("public_interest", "社会公益组织"),
                    Leaf("legal_service", "法律服务机构"),
                    Leaf("other", "其他"),
                ),
            ),
            Leaf("total", "总计", kind=CellKind.TOTAL),
        ),
    ),
)

APPLICATIONS_TABLE = Table("applications", APPLICATION_ROWS, APPLICANT_COLUMNS, corner=BALANCE_NOTE)

#: The row keys of the balance rule: 第一项 + 第二项 = 第三项 (its （七）总计) + 第四项.
BALANCE_INFLOW = ("new", "carried_over")
BALANCE_OUTFLOW = ("total", "carried_forward")
#: The outcome rows that （七）总计 adds up.
OUTCOME_GROUP = "三、本年度办理结果"

# ---------------------------------------------------------------------------------------------------
# Table 四: 政府信息公开行政复议、行政诉讼情况
# ---------------------------------------------------------------------------------------------------


def _outcomes(prefix: str) -> tuple[Leaf, ...]:
    return (
        Leaf(f"{prefix}.upheld", "结果维持"),
        Leaf(f"{prefix}.corrected", "结果纠正"),
        Leaf(f"{prefix}.other", "其他结果"),
        Leaf(f"{prefix}.pending", "尚未审结"),
        Leaf(f"{prefix}.total", "总计", kind=CellKind.TOTAL),
    )


_REVIEW = Group("行政复议", _outcomes("review"), key="review")
_LITIGATION_DIRECT = Group("未经复议直接起诉", _outcomes("litigation_direct"), key="litigation_direct")
_LITIGATION_AFTER_REVIEW = Group("复议后起诉", _outcomes("litigation_after_review"), key="litigation_after_review")

REVIEW_LITIGATION_COLUMNS: tuple[Group | Leaf, ...] = (
    _REVIEW,
    Group("行政诉讼", (_LITIGATION_DIRECT, _LITIGATION_AFTER_REVIEW)),
)

#: Table 四 has one data row and no row labels.
REVIEW_LITIGATION_TABLE = Table("review_litigation", (), REVIEW_LITIGATION_COLUMNS)

#: The three case groups of table 四, each with 结果维持 … 总计.
CASE_GROUPS: tuple[Group, ...] = (_REVIEW, _LITIGATION_DIRECT, _LITIGATION_AFTER_REVIEW)

# ---------------------------------------------------------------------------------------------------
# Deadlines (条例 Art. 49; local rules for townships and sub-districts)
# ---------------------------------------------------------------------------------------------------

#: Month and day, in the year after the reporting year, by which the report must be out.
DEADLINES: dict[str, Deadline] = {
    "government": Deadline(3, 31, "《政府信息公开条例》第四十九条：县级以上人民政府年度报告于每年3月31日前公布"),
    "department": Deadline(1, 31, "《政府信息公开条例》第四十九条：县级以上人民政府部门于每年1月31日前报送并公布"),
    "township": Deadline(1, 31, "乡镇年度报告的时限由地方规定，通常不晚于1月31日"),
    "subdistrict": Deadline(1, 31, "街道年度报告的时限由地方规定，通常不晚于1月31日"),
}

# ---------------------------------------------------------------------------------------------------
# The format as one value: what every other module receives
# ---------------------------------------------------------------------------------------------------

FORMAT = ReportFormat(
    id=FORMAT_ID,
    notice=NOTICE,
    notice_title=NOTICE_TITLE,
    first_year=FIRST_YEAR,
    last_year=None,
    document_name=DOCUMENT_NAME,
    overview=OVERVIEW,
    proactive=PROACTIVE,
    applications=APPLICATIONS,
    review_litigation=REVIEW_LITIGATION,
    problems=PROBLEMS,
    other=OTHER,
    overview_subsections=OVERVIEW_SUBSECTIONS,
    accountability=ACCOUNTABILITY,
    content_header=CONTENT_HEADER,
    proactive_blocks=PROACTIVE_BLOCKS,
    applications_table=APPLICATIONS_TABLE,
    balance_note=BALANCE_NOTE,
    balance_inflow=BALANCE_INFLOW,
    balance_outflow=BALANCE_OUTFLOW,
    outcome_group=OUTCOME_GROUP,
    review_litigation_table=REVIEW_LITIGATION_TABLE,
    case_groups=CASE_GROUPS,
    deadlines=DEADLINES,
    rule_families=frozenset(
        {
            RuleFamily.APPLICATION_TOTALS,
            RuleFamily.CASE_TOTALS,
            RuleFamily.INFORMATION_FEES,
            RuleFamily.DOCUMENTS_IN_FORCE_CHAIN,
            RuleFamily.CARRY_OVER,
        }
    ),
    information_fee=INFORMATION_FEE,
)
