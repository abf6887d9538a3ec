"""The labels of reportkit's own fields: what the form, the output workbook, the Word template builder and
the messages call the values that are not cells of an official table (成文日期, 报告年度, 收费通知件数 …).

Official labels live in :mod:`reportkit.formats`; these are reportkit's, spelled once here and looked up by
the field's model path.
"""

from __future__ import annotations

from typing import Final

__all__ = ["AGENCY_GROUP", "FEE_FIELDS", "INFO_FIELDS", "LABELS", "REPORT_GROUP", "label_of"]

#: What findings about these fields name as their place (the group of the figures file they sit in).
REPORT_GROUP: Final = "报告信息"
AGENCY_GROUP: Final = "发布机关"

#: model path -> label (the agency, the dates, the texts outside the six sections, the 信息处理费 figures).
LABELS: Final[dict[str, str]] = {
    "agency.name": "机关名称",
    "agency.title_name": "标题中的机关名称",
    "agency.kind": "机关类型",
    "report.year": "报告年度",
    "report.signed_on": "成文日期",
    "report.published_on": "公布日期",
    "report.preamble": "开头段落",
    "overview.intro": "导语",
    "other.information_fees.notices": "收费通知件数",
    "other.information_fees.notified_yuan": "通知金额（元）",
    "other.information_fees.collected_yuan": "实收金额（元）",
}

#: The basic-information fields, in the order the form and the output workbook list them.
INFO_FIELDS: Final[tuple[str, ...]] = (
    "agency.name",
    "agency.title_name",
    "agency.kind",
    "report.year",
    "report.signed_on",
    "report.published_on",
)

#: The 信息处理费 figures of section 六 (formats with a fee regime), in order.
FEE_FIELDS: Final[tuple[str, ...]] = (
    "other.information_fees.notices",
    "other.information_fees.notified_yuan",
    "other.information_fees.collected_yuan",
)


def label_of(field: str) -> str:
    """The label of one of reportkit's own fields (KeyError for a path that is not one)."""
    return LABELS[field]
