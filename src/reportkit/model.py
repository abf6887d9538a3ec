"""The annual report as typed, immutable objects.

The classes hold only what a person fills in. Every total of the official tables (the 总计 column,
（七）总计 and the three 总计 of table 四) is a computed property; a total that an input *states* is
kept as ``declared_total`` so that :func:`reportkit.check` can compare it with the computed one.

Attribute names are the keys of figures files (``applications.withheld.state_secret``); the official
labels live in :mod:`reportkit.formats.gov2021` and are looked up by these keys.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from operator import attrgetter
from typing import Any

from attrs import Factory, evolve, fields, frozen

from reportkit.formats import gov2021

__all__ = [
    "Agency",
    "AgencyKind",
    "AnnualReport",
    "ApplicantCounts",
    "Applications",
    "CaseOutcomes",
    "DocumentCounts",
    "InformationFees",
    "NotProcessedCounts",
    "OtherHandlingCounts",
    "OtherMatters",
    "Overview",
    "ProactiveDisclosure",
    "Problems",
    "ReportInfo",
    "ReviewLitigation",
    "UnavailableCounts",
    "WithheldCounts",
]


class AgencyKind(enum.Enum):
    """What kind of agency publishes the report; it decides the legal deadline."""

    GOVERNMENT = "government"
    DEPARTMENT = "department"
    TOWNSHIP = "township"
    SUBDISTRICT = "subdistrict"

    @property
    def label(self) -> str:
        """The Chinese name of the kind (人民政府、部门、乡镇、街道)."""
        return _KIND_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> AgencyKind:
        """Accept the English value or a Chinese name (人民政府/政府、部门、乡镇/乡/镇、街道/街道办事处)."""
        cleaned = text.strip()
        for kind in cls:
            if cleaned.lower() == kind.value:
                return kind
        try:
            return _KIND_ALIASES[cleaned]
        except KeyError:
            allowed = "、".join(f"{k.value}（{k.label}）" for k in cls)
            raise ValueError(f"机关类型“{text}”无法识别，可用：{allowed}") from None


_KIND_LABELS = {
    AgencyKind.GOVERNMENT: "人民政府",
    AgencyKind.DEPARTMENT: "部门",
    AgencyKind.TOWNSHIP: "乡镇",
    AgencyKind.SUBDISTRICT: "街道",
}
_KIND_ALIASES = {
    "人民政府": AgencyKind.GOVERNMENT,
    "政府": AgencyKind.GOVERNMENT,
    "部门": AgencyKind.DEPARTMENT,
    "政府部门": AgencyKind.DEPARTMENT,
    "乡镇": AgencyKind.TOWNSHIP,
    "乡": AgencyKind.TOWNSHIP,
    "镇": AgencyKind.TOWNSHIP,
    "街道": AgencyKind.SUBDISTRICT,
    "街道办事处": AgencyKind.SUBDISTRICT,
}


@frozen
class Agency:
    """The publishing agency: ``name`` as signed at the end, ``title_name`` as used in the title
    (the signed name when not given)."""

    name: str
    kind: AgencyKind
    title_name: str | None = None

    @property
    def display_title_name(self) -> str:
        return self.title_name or self.name


@frozen
class ReportInfo:
    """The reporting year and the dates: signed (成文日期) and, when known, published; and the
    optional opening paragraph(s) printed between the title and 一、总体情况 (``preamble``)."""

    year: int
    signed_on: dt.date
    published_on: dt.date | None = None
    preamble: str = ""


@frozen
class Overview:
    """Section 一、总体情况: an optional lead paragraph (``intro``, printed right under the heading) and
    the five topics the notice names.

    ``accountability`` (工作考核、社会评议和责任追究结果情况) is required of people's governments.
    Paragraphs are separated by blank lines.
    """

    intro: str = ""
    proactive: str = ""
    on_request: str = ""
    management: str = ""
    platforms: str = ""
    oversight: str = ""
    accountability: str = ""


@frozen
class DocumentCounts:
    """A row of 第二十条第（一）项: documents issued and repealed this year, and in force at year end."""

    issued: int = 0
    repealed: int = 0
    in_force: int = 0


@frozen
class ProactiveDisclosure:
    """Table 二: proactive disclosure under Art. 20 (1), (5), (6) and (8) of the Regulation."""

    regulations: DocumentCounts = Factory(DocumentCounts)
    normative_documents: DocumentCounts = Factory(DocumentCounts)
    licensing: int = 0
    penalty: int = 0
    coercion: int = 0
    fees_wan_yuan: Decimal = Decimal(0)

    def value(self, key: str) -> int | Decimal:
        """The value at a model path of table 二 (``"regulations.issued"``, ``"licensing"``)."""
        value: int | Decimal = attrgetter(key)(self)
        return value


@frozen
class ApplicantCounts:
    """One row of table 三: a count per applicant column. ``total`` (the 总计 column) is computed;
    ``declared_total`` keeps a 总计 that an input stated."""

    natural_person: int = 0
    business: int = 0
    research: int = 0
    public_interest: int = 0
    legal_service: int = 0
    other: int = 0
    declared_total: int | None = None

    @property
    def total(self) -> int:
        return sum(self.values())

    def values(self) -> tuple[int, ...]:
        """The six applicant counts, in the official column order."""
        return tuple(getattr(self, column.key) for column in gov2021.APPLICATIONS_TABLE.input_columns)

    def get(self, column: str) -> int:
        """The count of one column key; ``"total"`` gives the computed total."""
        return self.total if column == "total" else int(getattr(self, column))

    @classmethod
    def of(cls, values: tuple[int, ...] | list[int], declared_total: int | None = None) -> ApplicantCounts:
        """A row from the six applicant counts in official order."""
        keys = [column.key for column in gov2021.APPLICATIONS_TABLE.input_columns]
        if len(values) != len(keys):
            raise ValueError(f"一行须有 {len(keys)} 个申请人列的数值，而不是 {len(values)} 个")
        return cls(**dict(zip(keys, values, strict=True)), declared_total=declared_total)

    @classmethod
    def sum(cls, rows: list[ApplicantCounts] | tuple[ApplicantCounts, ...]) -> ApplicantCounts:
        """The column-wise sum of several rows."""
        keys = [column.key for column in gov2021.APPLICATIONS_TABLE.input_columns]
        return cls(**{key: sum(getattr(row, key) for row in rows) for key in keys})


@frozen
class WithheldCounts:
    """（三）不予公开, by ground."""

    state_secret: ApplicantCounts = Factory(ApplicantCounts)
    prohibited_by_law: ApplicantCounts = Factory(ApplicantCounts)
    security_stability: ApplicantCounts = Factory(ApplicantCounts)
    third_party_rights: ApplicantCounts = Factory(ApplicantCounts)
    internal_affairs: ApplicantCounts = Factory(ApplicantCounts)
    process_information: ApplicantCounts = Factory(ApplicantCounts)
    enforcement_files: ApplicantCounts = Factory(ApplicantCounts)
    query_matters: ApplicantCounts = Factory(ApplicantCounts)


@frozen
class UnavailableCounts:
    """（四）无法提供, by reason."""

    not_held: ApplicantCounts = Factory(ApplicantCounts)
    needs_creation: ApplicantCounts = Factory(ApplicantCounts)
    still_unclear: ApplicantCounts = Factory(ApplicantCounts)


@frozen
class NotProcessedCounts:
    """（五）不予处理, by reason."""

    petition_complaint: ApplicantCounts = Factory(ApplicantCounts)
    duplicate: ApplicantCounts = Factory(ApplicantCounts)
    publications: ApplicantCounts = Factory(ApplicantCounts)
    mass_repeated: ApplicantCounts = Factory(ApplicantCounts)
    confirm_reissue: ApplicantCounts = Factory(ApplicantCounts)


@frozen
class OtherHandlingCounts:
    """（六）其他处理, by reason."""

    no_correction: ApplicantCounts = Factory(ApplicantCounts)
    unpaid_fee: ApplicantCounts = Factory(ApplicantCounts)
    other: ApplicantCounts = Factory(ApplicantCounts)


@frozen
class Applications:
    """Table 三: applications received and how they were handled, per applicant column.

    ``total`` (（七）总计) is computed from the 21 outcome rows; ``declared_total`` keeps a （七）总计
    row that an input stated.
    """

    new: ApplicantCounts = Factory(ApplicantCounts)
    carried_over: ApplicantCounts = Factory(ApplicantCounts)
    disclosed: ApplicantCounts = Factory(ApplicantCounts)
    partly_disclosed: ApplicantCounts = Factory(ApplicantCounts)
    withheld: WithheldCounts = Factory(WithheldCounts)
    unavailable: UnavailableCounts = Factory(UnavailableCounts)
    not_processed: NotProcessedCounts = Factory(NotProcessedCounts)
    other_handling: OtherHandlingCounts = Factory(OtherHandlingCounts)
    carried_forward: ApplicantCounts = Factory(ApplicantCounts)
    declared_total: ApplicantCounts | None = None

    @property
    def total(self) -> ApplicantCounts:
        """（七）总计: the sum of every outcome row, per column."""
        return ApplicantCounts.sum([self.row(key) for key in OUTCOME_ROW_KEYS])

    def row(self, key: str) -> ApplicantCounts:
        """The row at a key of the format (``"withheld.state_secret"``); ``"total"`` is computed."""
        if key == "total":
            return self.total
        row: ApplicantCounts = attrgetter(key)(self)
        return row

    def cell(self, row: str, column: str) -> int:
        """One cell of the official table, totals computed."""
        return self.row(row).get(column)

    def with_row(self, key: str, value: ApplicantCounts) -> Applications:
        """A copy with the row at ``key`` replaced (keys as in :meth:`row`)."""
        updated: Applications = _evolve_path(self, key.split("."), value)
        return updated


#: The 21 outcome rows under 三、本年度办理结果 that （七）总计 adds up.
OUTCOME_ROW_KEYS: tuple[str, ...] = tuple(
    row.key
    for row in gov2021.APPLICATIONS_TABLE.input_rows
    if row.key not in gov2021.BALANCE_INFLOW and row.key not in gov2021.BALANCE_OUTFLOW
)


@frozen
class CaseOutcomes:
    """One group of table 四 (行政复议, 未经复议直接起诉 or 复议后起诉); ``total`` is computed."""

    upheld: int = 0
    corrected: int = 0
    other: int = 0
    pending: int = 0
    declared_total: int | None = None

    @property
    def total(self) -> int:
        return self.upheld + self.corrected + self.other + self.pending


@frozen
class ReviewLitigation:
    """Table 四: administrative reconsideration and litigation over information disclosure."""

    review: CaseOutcomes = Factory(CaseOutcomes)
    litigation_direct: CaseOutcomes = Factory(CaseOutcomes)
    litigation_after_review: CaseOutcomes = Factory(CaseOutcomes)

    def cell(self, key: str) -> int:
        """One cell by its format key (``"review.upheld"``, ``"litigation_direct.total"``)."""
        group, _, outcome = key.partition(".")
        value: int = getattr(getattr(self, group), outcome)
        return value


@frozen
class Problems:
    """Section 五、存在的主要问题及改进情况."""

    text: str = ""


@frozen
class InformationFees:
    """信息处理费 of the year, in 元: fee notices sent, the amount they asked for and what was paid."""

    notices: int = 0
    notified_yuan: Decimal = Decimal(0)
    collected_yuan: Decimal = Decimal(0)


@frozen
class OtherMatters:
    """Section 六、其他需要报告的事项, with the 信息处理费 figures when given."""

    text: str = ""
    information_fees: InformationFees | None = None


@frozen
class AnnualReport:
    """A whole 政府信息公开工作年度报告."""

    agency: Agency
    report: ReportInfo
    overview: Overview = Factory(Overview)
    proactive: ProactiveDisclosure = Factory(ProactiveDisclosure)
    applications: Applications = Factory(Applications)
    review_litigation: ReviewLitigation = Factory(ReviewLitigation)
    problems: Problems = Factory(Problems)
    other: OtherMatters = Factory(OtherMatters)
    format: str = gov2021.FORMAT_ID

    @property
    def year(self) -> int:
        return self.report.year

    @property
    def title(self) -> str:
        """The title, e.g. 隆德县城关镇2021年政府信息公开工作年度报告."""
        return gov2021.title(self.agency.display_title_name, self.report.year)


def _evolve_path(obj: Any, path: list[str], value: Any) -> Any:
    """A copy of nested frozen ``obj`` with the attribute at ``path`` replaced."""
    head, *rest = path
    if head not in {a.name for a in fields(type(obj))}:
        raise KeyError(head)
    new_value = value if not rest else _evolve_path(getattr(obj, head), rest, value)
    return evolve(obj, **{head: new_value})
