"""The annual report as typed, immutable objects.

The classes hold only what a person fills in. Every total of the official tables (the 总计 column,
（七）总计 and the three 总计 of table 四) is a computed property; a total that an input *states* is
kept as ``declared_total`` so that :func:`reportkit.check` can compare it with the computed one.

Attribute names are the keys of figures files (``applications.withheld.state_secret``); the official
labels live in :mod:`reportkit.formats.gov2021` and are looked up by these keys.

Every class derives from :class:`Checked`: when an object is made (by a reader, by ``attrs.evolve`` or by
hand in Python), each value is checked against the field's annotation, and a value of the wrong kind is
a :class:`~reportkit.errors.ModelError` naming the field. Content problems (a negative or implausibly
large count, a late date) are not errors here: :func:`reportkit.check` reports them as findings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Any

from attrs import Factory, evolve, fields, frozen

from reportkit.errors import ModelError, Problem
from reportkit.formats import gov2021
from reportkit.values import Name, TextRule, Unit, WanYuan, Yuan, describe, text_problem

__all__ = [
    "Agency",
    "AgencyKind",
    "AnnualReport",
    "ApplicantCounts",
    "Applications",
    "CaseOutcomes",
    "Checked",
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


# ---------------------------------------------------------------------------------------------------
# Checking values against the annotations
# ---------------------------------------------------------------------------------------------------

#: Whole numbers and amounts the model holds are below this in size: far beyond any plausible count
#: (check() reports those above 10^9), small enough that Excel keeps every digit and printing is instant.
MAX_MODEL_NUMBER = 10**15

#: A check returns None for a good value, else a Chinese message saying what was expected.
Check = Callable[[object], "str | None"]

_CHECKS: dict[type, tuple[tuple[str, Check], ...]] = {}
#: Set while a model method builds an object from values it has already checked (sums of rows).
_TRUSTED: ContextVar[bool] = ContextVar("reportkit_model_trusted", default=False)


def _shown(value: object) -> str:
    return f"{type(value).__name__} {describe(value)}"


def _check_int(value: object) -> str | None:
    if type(value) is not int:
        return f"应为整数（int），而不是 {_shown(value)}"
    if not -MAX_MODEL_NUMBER < value < MAX_MODEL_NUMBER:
        return f"超出可处理的范围（绝对值应小于 10^15）：{describe(value)}"
    return None


def _decimal_check(unit: Unit) -> Check:
    def check(value: object) -> str | None:
        if not isinstance(value, Decimal):
            return f"应为 Decimal 金额（单位：{unit.value}，如 Decimal(\"12.5\")），而不是 {_shown(value)}"
        if not value.is_finite():
            return f"应为有限的金额，而不是 {value}"
        if not value.is_zero() and value.adjusted() >= 15:
            return f"超出可处理的范围（应小于 10^15 {unit.value}）：{describe(value)}"
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        if -exponent > unit.places:
            return f"{unit.value}金额最多 {unit.places} 位小数（最小单位 {unit.smallest}），而不是 {describe(value)}"
        return None

    return check


def _check_date(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return f"应为日期（datetime.date），而不是含时刻的 datetime {value.isoformat()}；请用 .date()"
    if not isinstance(value, dt.date):
        return f"应为日期（datetime.date），而不是 {_shown(value)}"
    return None


def _text_check(one_line: bool) -> Check:
    def check(value: object) -> str | None:
        if not isinstance(value, str):
            return f"应为文字（str），而不是 {_shown(value)}"
        return text_problem(value, one_line=one_line)

    return check


def _instance_check(cls: type) -> Check:
    if issubclass(cls, enum.Enum):
        example = f"，如 {cls.__name__}.{next(iter(cls)).name}" if len(cls) else ""
        expected = f"{cls.__name__}{example}"
    else:
        expected = f"{cls.__name__} 对象"

    def check(value: object) -> str | None:
        return None if isinstance(value, cls) else f"应为 {expected}，而不是 {_shown(value)}"

    return check


def _check_for(hint: Any) -> Check | None:
    """The check of a value annotated ``hint``; None for annotations that admit anything."""
    metadata: tuple[Any, ...] = ()
    if typing.get_origin(hint) is Annotated:
        hint, *rest = typing.get_args(hint)
        metadata = tuple(rest)
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = typing.get_args(hint)
        optional = type(None) in options
        checks = [_check_for(option) for option in options if option is not type(None)]
        if any(check is None for check in checks):
            return None
        present = [check for check in checks if check is not None]
        absent = "（或 None，表示未填）" if optional else ""

        def union(value: object) -> str | None:
            if value is None and optional:
                return None
            messages = [check(value) for check in present]
            if all(messages):
                return "；或".join(m for m in messages if m) + absent
            return None

        return union
    if origin in (tuple, list, Mapping, dict):
        return _container_check(origin, typing.get_args(hint))
    if hint is int:
        return _check_int
    if hint is Decimal:
        unit = next((m for m in metadata if isinstance(m, Unit)), Unit.WAN_YUAN)
        return _decimal_check(unit)
    if hint is str:
        rule = next((m for m in metadata if isinstance(m, TextRule)), TextRule(one_line=False))
        return _text_check(rule.one_line)
    if hint is dt.date:
        return _check_date
    if isinstance(hint, type) and hint is not object:
        return _instance_check(hint)
    return None


def _container_check(origin: Any, args: tuple[Any, ...]) -> Check:
    """Tuples, lists and mappings of checked values (for cells held by format keys)."""
    kind = {tuple: tuple, list: list, Mapping: Mapping, dict: dict}[origin]
    if kind in (Mapping, dict):
        key_check = _check_for(args[0]) if args else None
        item_check = _check_for(args[1]) if len(args) > 1 else None
    else:
        key_check = None
        item_check = _check_for(args[0]) if args and (len(args) == 1 or args[1] is Ellipsis) else None

    def check(value: object) -> str | None:
        if not isinstance(value, kind):
            return f"应为 {kind.__name__}，而不是 {_shown(value)}"
        if isinstance(value, Mapping):
            for key, item in value.items():
                message = (key_check and key_check(key)) or (item_check and item_check(item))
                if message:
                    return f"[{describe(key)}] {message}"
            return None
        if item_check is not None:
            for index, item in enumerate(value):
                message = item_check(item)
                if message:
                    return f"[{index}] {message}"
        return None

    return check


def _checks_of(cls: type) -> tuple[tuple[str, Check], ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    checks = []
    for field in fields(cls):
        check = _check_for(hints[field.name])
        if check is not None:
            checks.append((field.name, check))
    _CHECKS[cls] = found = tuple(checks)
    return found


@contextlib.contextmanager
def _trusted() -> Iterator[None]:
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


class Checked:
    """The base of every model class: each value is checked against its annotation when an object is made.

    Ints are ``int`` (not bool) below 10^15 in size; amounts are finite Decimals with at most the
    decimals of their unit (``WanYuan``: 4, ``Yuan``: 2); dates are ``datetime.date`` (not datetime);
    texts hold nothing XML cannot store, and names (``Name``) are one line without control characters;
    enums, nested model objects, optionals, tuples and mappings are checked by type. Every problem of
    one object is raised at once as a :class:`~reportkit.errors.ModelError`.
    """

    __slots__ = ()

    def __attrs_post_init__(self) -> None:
        cls = type(self)
        checks = _CHECKS.get(cls)
        if checks is None:  # resolved once per class, from its annotations
            checks = _checks_of(cls)
        for name, check in checks:
            if check(getattr(self, name)) is not None:
                break
        else:
            return
        if _TRUSTED.get():
            return
        problems = [
            Problem(f"{cls.__name__}.{name}", message)
            for name, check in checks
            if (message := check(getattr(self, name))) is not None
        ]
        raise ModelError(f"{cls.__name__} 的值有误，发现 {len(problems)} 处问题", problems=problems)


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
            raise ValueError(f"机关类型 {describe(text)} 无法识别，可用：{allowed}") from None


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
class Agency(Checked):
    """The publishing agency: ``name`` as signed at the end, ``title_name`` as used in the title
    (the signed name when not given)."""

    name: Name
    kind: AgencyKind
    title_name: Name | None = None

    @property
    def display_title_name(self) -> str:
        return self.title_name or self.name


@frozen
class ReportInfo(Checked):
    """The reporting year and the dates: signed (成文日期; None while not filled in, which check()
    reports) and, when known, published; and the optional opening paragraph(s) printed between the
    title and 一、总体情况 (``preamble``)."""

    year: int
    signed_on: dt.date | None = None
    published_on: dt.date | None = None
    preamble: str = ""


@frozen
class Overview(Checked):
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
class DocumentCounts(Checked):
    """A row of 第二十条第（一）项: documents issued and repealed this year, and in force at year end."""

    issued: int = 0
    repealed: int = 0
    in_force: int = 0


@frozen
class ProactiveDisclosure(Checked):
    """Table 二: proactive disclosure under Art. 20 (1), (5), (6) and (8) of the Regulation."""

    regulations: DocumentCounts = Factory(DocumentCounts)
    normative_documents: DocumentCounts = Factory(DocumentCounts)
    licensing: int = 0
    penalty: int = 0
    coercion: int = 0
    fees_wan_yuan: WanYuan = Decimal(0)

    def value(self, key: str) -> int | Decimal:
        """The value at a model path of table 二 (``"regulations.issued"``, ``"licensing"``)."""
        value: int | Decimal = attrgetter(key)(self)
        return value


@frozen
class ApplicantCounts(Checked):
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
        with _trusted():  # a sum of checked rows may exceed a row's bound; it is still a number
            return cls(**{key: sum(getattr(row, key) for row in rows) for key in keys})


@frozen
class WithheldCounts(Checked):
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
class UnavailableCounts(Checked):
    """（四）无法提供, by reason."""

    not_held: ApplicantCounts = Factory(ApplicantCounts)
    needs_creation: ApplicantCounts = Factory(ApplicantCounts)
    still_unclear: ApplicantCounts = Factory(ApplicantCounts)


@frozen
class NotProcessedCounts(Checked):
    """（五）不予处理, by reason."""

    petition_complaint: ApplicantCounts = Factory(ApplicantCounts)
    duplicate: ApplicantCounts = Factory(ApplicantCounts)
    publications: ApplicantCounts = Factory(ApplicantCounts)
    mass_repeated: ApplicantCounts = Factory(ApplicantCounts)
    confirm_reissue: ApplicantCounts = Factory(ApplicantCounts)


@frozen
class OtherHandlingCounts(Checked):
    """（六）其他处理, by reason."""

    no_correction: ApplicantCounts = Factory(ApplicantCounts)
    unpaid_fee: ApplicantCounts = Factory(ApplicantCounts)
    other: ApplicantCounts = Factory(ApplicantCounts)


@frozen
class Applications(Checked):
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
class CaseOutcomes(Checked):
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
class ReviewLitigation(Checked):
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
class Problems(Checked):
    """Section 五、存在的主要问题及改进情况."""

    text: str = ""


@frozen
class InformationFees(Checked):
    """信息处理费 of the year, in 元: fee notices sent, the amount they asked for and what was paid."""

    notices: int = 0
    notified_yuan: Yuan = Decimal(0)
    collected_yuan: Yuan = Decimal(0)


@frozen
class OtherMatters(Checked):
    """Section 六、其他需要报告的事项, with the 信息处理费 figures when given."""

    text: str = ""
    information_fees: InformationFees | None = None


@frozen
class AnnualReport(Checked):
    """A whole 政府信息公开工作年度报告."""

    agency: Agency
    report: ReportInfo
    overview: Overview = Factory(Overview)
    proactive: ProactiveDisclosure = Factory(ProactiveDisclosure)
    applications: Applications = Factory(Applications)
    review_litigation: ReviewLitigation = Factory(ReviewLitigation)
    problems: Problems = Factory(Problems)
    other: OtherMatters = Factory(OtherMatters)
    format: Name = gov2021.FORMAT_ID

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
