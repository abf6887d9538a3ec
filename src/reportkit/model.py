"""The annual report as typed, immutable objects.

The classes hold only what a person fills in. Every total of the official tables (the 总计 column,
（七）总计 and the three 总计 of table 四) is a computed property; a total that an input *states* is
kept as ``declared_total`` so that :func:`reportkit.check` can compare it with the computed one.

Where formats differ (table 二, table 三's rows), a table holds its cells by the format's keys, which are
the keys of figures files (``applications.withheld.state_secret``), with attribute access along them; the
official labels live in the format value (``report.layout``) and are looked up by these keys. The rest
(agency, dates, texts, :class:`ApplicantCounts`, table 四) is typed classes.

Every class derives from :class:`Checked`: when an object is made (by a reader, by ``attrs.evolve`` or by
hand in Python), each value is checked against the field's annotation, and a value of the wrong kind is
a :class:`~reportkit.errors.ModelError` naming the field. Content problems (a negative or implausibly
large count, a late date) are not errors here: :func:`reportkit.check` reports them as findings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import functools
import operator
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from decimal import Decimal
from typing import Annotated, Any

from attrs import Factory, evolve, field, fields, frozen

from reportkit import formats
from reportkit.errors import ModelError, Problem
from reportkit.formats.layout import ValueType
from reportkit.formats.spec import ReportFormat
from reportkit.values import Blank, Name, TextRule, Unit, Yuan, describe, text_problem

__all__ = [
    "Agency",
    "AgencyKind",
    "AnnualReport",
    "ApplicantCounts",
    "Applications",
    "CaseOutcomes",
    "Checked",
    "Count",
    "DocumentCounts",
    "InformationFees",
    "OtherMatters",
    "Overview",
    "ProactiveDisclosure",
    "ProactiveRow",
    "ProactiveValue",
    "Problems",
    "ReportInfo",
    "ReviewLitigation",
    "RowGroup",
    "outcome_row_keys",
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
            return f'应为 Decimal 金额（单位：{unit.value}，如 Decimal("12.5")），而不是 {_shown(value)}'
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


def _unpacked(hint: Any) -> tuple[Any, tuple[Any, ...], Any]:
    """An annotation without ``Annotated``: the type, its metadata (a unit, a text rule) and its origin."""
    metadata: tuple[Any, ...] = ()
    if typing.get_origin(hint) is Annotated:
        hint, *rest = typing.get_args(hint)
        metadata = tuple(rest)
    return hint, metadata, typing.get_origin(hint)


def _check_for(hint: Any) -> Check | None:
    """The check of a value annotated ``hint``; None for annotations that admit anything."""
    hint, metadata, origin = _unpacked(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = typing.get_args(hint)
        optional = type(None) in options
        blank = Blank in options
        checks = [_check_for(option) for option in options if option not in (type(None), Blank)]
        if any(check is None for check in checks):
            return None
        present = [check for check in checks if check is not None]
        absent = ("（或 None，表示未填）" if optional else "") + ("（或 Blank，表示留空或不适用）" if blank else "")

        def union(value: object) -> str | None:
            if (value is None and optional) or (blank and isinstance(value, Blank)):
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
    for each in fields(cls):
        check = _check_for(hints[each.name])
        if check is not None:
            checks.append((each.name, check))
    _CHECKS[cls] = found = tuple(checks)
    return found


# A model object is made ~50 times a report, and almost every value is good. So each class also gets one
# compiled function that says True when every value passes, with no call per field for the common kinds
# (an int in bounds, a Blank, None, a date, an object of the exact class). It only ever accepts what the
# checks above accept; on False the checks run as before and say what is wrong, so no check and no
# message changes.

#: Per class, the compiled quick test (True: every value passes its check).
_QUICK: dict[type, Callable[[object], bool]] = {}


class _Quick:
    """Builds the expression of one compiled quick test; ``names`` are the objects it refers to."""

    def __init__(self) -> None:
        self.names: dict[str, object] = {"_M": MAX_MODEL_NUMBER, "_Blank": Blank, "_date": dt.date}
        self.depth = 0

    def name(self, value: object) -> str:
        key = f"_c{len(self.names)}"
        self.names[key] = value
        return key

    def expression(self, hint: Any, var: str) -> str | None:
        """A Python expression true only if ``var`` passes the check of ``hint``; None: admits anything."""
        check = _check_for(hint)
        if check is None:
            return None
        hint, metadata, origin = _unpacked(hint)
        if origin is typing.Union or origin is types.UnionType:
            parts: list[tuple[int, str]] = []  # the cheapest tests first: an int, then None and Blank
            for option in typing.get_args(hint):
                if option is type(None):
                    parts.append((1, f"{var} is None"))
                elif option is Blank:
                    parts.append((1, f"type({var}) is _Blank"))
                else:
                    part = self.expression(option, var)
                    assert part is not None  # else the union admits anything and has no check
                    parts.append((0 if option is int else 2, part))
            return "(" + " or ".join(part for _, part in sorted(parts, key=lambda p: p[0])) + ")"
        if hint is int:
            return f"(type({var}) is int and -_M < {var} < _M)"
        if hint is Decimal:  # finite, in bounds, within the unit's decimals: the check itself
            return f"{self.name(check)}({var}) is None"
        if hint is str:
            rule = next((m for m in metadata if isinstance(m, TextRule)), TextRule(one_line=False))
            # A printable text holds none of the characters text_problem refuses (all are Cc, Cs, Cn, Zl or Zp).
            problem = self.name(text_problem)
            return (
                f"(type({var}) is str and ({var}.isprintable() or {problem}({var}, one_line={rule.one_line}) is None))"
            )
        if hint is dt.date:
            return f"type({var}) is _date"
        if origin in (tuple, list, Mapping, dict):
            return self._container(origin, typing.get_args(hint), var) or f"{self.name(check)}({var}) is None"
        if isinstance(hint, type) and hint is not object and typing.get_origin(hint) is None:
            return f"type({var}) is {self.name(hint)}"
        return f"{self.name(check)}({var}) is None"

    def _container(self, origin: Any, args: tuple[Any, ...], var: str) -> str | None:
        self.depth += 1
        key, item = f"_k{self.depth}", f"_i{self.depth}"
        if origin in (Mapping, dict):
            if len(args) != 2:
                return None
            tests = [t for t in (self.expression(args[0], key), self.expression(args[1], item)) if t is not None]
            loop = f"for {key}, {item} in {var}.items()"
            outer = f"type({var}) is dict"
        else:
            if not args or (len(args) == 2 and args[1] is not Ellipsis) or len(args) > 2:
                return None
            tests = [t for t in (self.expression(args[0], item),) if t is not None]
            loop = f"for {item} in {var}"
            outer = f"type({var}) is {origin.__name__}"
        if not tests:
            return f"({outer})"
        return f"({outer} and all({' and '.join(tests)} {loop}))"


def _quick_of(cls: type) -> Callable[[object], bool]:
    hints = typing.get_type_hints(cls, include_extras=True)
    quick = _Quick()
    lines = ["def quick(self):"]
    for index, each in enumerate(fields(cls)):
        test = quick.expression(hints[each.name], f"v{index}")
        if test is not None:
            lines += [f"    v{index} = self.{each.name}", f"    if not {test}:", "        return False"]
    lines.append("    return True")
    namespace = dict(quick.names)
    exec(compile("\n".join(lines), f"<reportkit.model quick check of {cls.__name__}>", "exec"), namespace)
    _QUICK[cls] = found = typing.cast(Callable[[object], bool], namespace["quick"])
    return found


@contextlib.contextmanager
def _trusted() -> Iterator[None]:
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


#: Public name: build model objects from values already checked (sums of checked rows), skipping the bounds.
trusted = _trusted


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
        quick = _QUICK.get(cls)
        if quick is None:  # compiled once per class, from its annotations
            quick = _quick_of(cls)
        if quick(self):
            return
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


# ---------------------------------------------------------------------------------------------------
# Table 二: cells held by the format's keys
# ---------------------------------------------------------------------------------------------------

#: What a cell of table 二 holds: a count, an amount, or a blank.
ProactiveValue = int | Decimal | Blank


@frozen(init=False)
class ProactiveRow(Checked):
    """The values of one table-二 row that has several columns (``report.proactive.regulations``), by
    column key: ``row.in_force`` (2021), ``row.items_change`` (2019).

    It is a view made by :class:`ProactiveDisclosure`, and a way to give a row when making one:
    ``ProactiveRow(issued=3, in_force=41)`` or positionally in the format's column order,
    ``ProactiveRow(3, 0, 41)`` (``DocumentCounts`` is the same class, its 2021 name).
    """

    values: Mapping[str, ProactiveValue] = field(hash=False)
    positional: tuple[ProactiveValue, ...] = ()

    def __init__(
        self,
        *args: ProactiveValue,
        values: Mapping[str, ProactiveValue] | None = None,
        positional: tuple[ProactiveValue, ...] = (),
        **by_column: ProactiveValue,
    ) -> None:
        self.__attrs_init__(values={**(values or {}), **by_column}, positional=(*positional, *args))

    def __getattr__(self, name: str) -> ProactiveValue:
        if name.startswith("_") or name in _PROACTIVE_ROW_FIELDS:
            raise AttributeError(name)
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(f"表二的这一行没有列“{name}”（有：{'、'.join(self.values)}）") from None

    def resolved(self, columns: tuple[str, ...]) -> dict[str, ProactiveValue]:
        """The values by column key, positional values given to the first columns; raises ValueError."""
        if len(self.positional) > len(columns):
            raise ValueError(
                f"这一行只有 {len(columns)} 列（{'、'.join(columns)}），而给了 {len(self.positional)} 个数值"
            )
        values: dict[str, ProactiveValue] = dict(zip(columns, self.positional, strict=False))
        for key, value in self.values.items():
            if key in values:
                raise ValueError(f"列“{key}”既按位置又按名称给出")
            values[key] = value
        return values


_PROACTIVE_ROW_FIELDS = frozenset({"values", "positional"})
#: The 2021 name of a row of 第二十条第（一）项 (issued, repealed, in_force); any format's row works.
DocumentCounts = ProactiveRow


def _layout_of(format_id: str) -> ReportFormat:
    return formats.get_format(format_id)


#: Per format id: table 二's row keys, and its cells (key, value type) in order. Every report builds its
#: table 二 (and every ``with_cell`` again), so the walk of the blocks is done once per format.
_PROACTIVE_ROW_KEYS: dict[str, tuple[str, ...]] = {}
_PROACTIVE_CELL_TYPES: dict[str, tuple[tuple[str, ValueType], ...]] = {}


def _proactive_row_keys(layout: ReportFormat) -> tuple[str, ...]:
    cached = _PROACTIVE_ROW_KEYS.get(layout.id)
    if cached is None:
        blocks = layout.proactive_blocks
        cached = _PROACTIVE_ROW_KEYS[layout.id] = tuple(row.key for block in blocks for row in block.rows)
    return cached


def _proactive_cell_types(layout: ReportFormat) -> tuple[tuple[str, ValueType], ...]:
    cached = _PROACTIVE_CELL_TYPES.get(layout.id)
    if cached is None:
        cached = _PROACTIVE_CELL_TYPES[layout.id] = tuple(
            (key, block.value_type(row, column))
            for block in layout.proactive_blocks
            for row, column, key in block.cells()
        )
    return cached


def _zero(value_type: ValueType) -> ProactiveValue:
    return Decimal(0) if value_type in (ValueType.WAN_YUAN, ValueType.AMOUNT) else 0


def _cell_problem(value: object, value_type: ValueType, unit: Unit | None) -> str | None:
    if isinstance(value, Blank):
        return None
    if value_type in (ValueType.COUNT, ValueType.SIGNED_COUNT):
        return _check_int(value)
    if value_type is ValueType.WAN_YUAN:
        return _decimal_check(Unit.WAN_YUAN)(value)
    return _decimal_check(unit or Unit.WAN_YUAN)(value)


@frozen(init=False)
class ProactiveDisclosure(Checked):
    """Table 二 (主动公开政府信息情况): one value per cell of the format, by the format's key.

    A one-column row keeps its value under the row key (2021: ``proactive.licensing``), a row of several
    columns under ``row.column`` (``proactive.regulations.in_force``; 2019: ``proactive.penalty.items_change``).
    Attribute access follows the keys: ``report.proactive.licensing``, ``report.proactive.regulations.in_force``.
    An amount whose unit the report states (2019: 采购总金额) keeps its unit in ``units``.

    Made by keyword (or position) per row, in the format's row order: ``ProactiveDisclosure(licensing=3)``,
    ``ProactiveDisclosure(regulations=ProactiveRow(issued=1), format=...)``; cells not given are 0.
    """

    format: Name
    cells: Mapping[str, ProactiveValue] = field(hash=False)
    units: Mapping[str, Unit | None] = field(hash=False)

    def __init__(
        self,
        *args: object,
        format: str | None = None,
        cells: Mapping[str, ProactiveValue] | None = None,
        units: Mapping[str, Unit | None] | None = None,
        **rows: object,
    ) -> None:
        format_id = _default_format() if format is None else format
        problems: list[Problem] = []
        built: dict[str, ProactiveValue] = {}
        stated_units: dict[str, Unit | None] = dict(units or {})
        layout = _known_layout(format_id, "ProactiveDisclosure.format", problems)
        if layout is not None:
            given = dict(cells or {})
            row_keys = _proactive_row_keys(layout)
            if len(args) > len(row_keys):
                problems.append(Problem("ProactiveDisclosure", f"表二只有 {len(row_keys)} 行，而给了 {len(args)} 个"))
            for key, value in zip(row_keys, args, strict=False):
                if key in rows:
                    problems.append(Problem(f"ProactiveDisclosure.{key}", "既按位置又按名称给出"))
                rows[key] = value
            for block in layout.proactive_blocks:
                columns = tuple(column.key for column in block.columns)
                for row in block.rows:
                    if row.key not in rows:
                        continue
                    value = rows.pop(row.key)
                    if len(columns) == 1:
                        given[row.key] = value  # type: ignore[assignment]  # checked below
                    elif isinstance(value, ProactiveRow | Mapping):
                        try:
                            by_column = value.resolved(columns) if isinstance(value, ProactiveRow) else dict(value)
                        except ValueError as exc:
                            problems.append(Problem(f"ProactiveDisclosure.{row.key}", str(exc)))
                            continue
                        given.update({f"{row.key}.{key}": item for key, item in by_column.items()})
                    else:
                        expected = f"ProactiveRow 对象（列：{'、'.join(columns)}）"
                        problems.append(
                            Problem(f"ProactiveDisclosure.{row.key}", f"应为 {expected}，而不是 {_shown(value)}")
                        )
            for key in rows:
                problems.append(Problem(f"ProactiveDisclosure.{key}", f"{layout.id} 格式的表二没有这一行"))
            for key, value_type in _proactive_cell_types(layout):
                value = given.pop(key, _zero(value_type))
                if value_type is ValueType.AMOUNT:
                    stated_units.setdefault(key, Unit.YUAN)
                message = _cell_problem(value, value_type, stated_units.get(key))
                if message is not None:
                    problems.append(Problem(f"ProactiveDisclosure.{key}", message))
                built[key] = value
            for key in given:
                problems.append(Problem(f"ProactiveDisclosure.{key}", f"{layout.id} 格式的表二没有这一格"))
            for key, unit in stated_units.items():
                if key not in built:
                    problems.append(Problem(f"ProactiveDisclosure.units.{key}", "表二没有这一格，无需单位"))
                elif unit is not None and not isinstance(unit, Unit):
                    problems.append(
                        Problem(f"ProactiveDisclosure.units.{key}", f"应为 Unit（元或万元），而不是 {_shown(unit)}")
                    )
        if problems and not _TRUSTED.get():
            raise ModelError(f"ProactiveDisclosure 的值有误，发现 {len(problems)} 处问题", problems=problems)
        self.__attrs_init__(format=format_id, cells=built, units=stated_units)

    @property
    def layout(self) -> ReportFormat:
        return _layout_of(self.format)

    def value(self, key: str) -> ProactiveValue:
        """The value of one cell by its key (``"regulations.in_force"``, ``"licensing"``)."""
        return self.cells[key]

    def unit(self, key: str) -> Unit | None:
        """The stated unit of an amount whose unit each report states (None: not stated)."""
        return self.units.get(key)

    def with_cell(self, key: str, value: ProactiveValue) -> ProactiveDisclosure:
        """A copy with one cell replaced."""
        if key not in self.cells:
            raise KeyError(key)
        return ProactiveDisclosure(format=self.format, cells={**self.cells, key: value}, units=self.units)

    def __getattr__(self, name: str) -> ProactiveValue | ProactiveRow:
        if name.startswith("_") or name in _PROACTIVE_FIELDS:
            raise AttributeError(name)
        cells = self.cells
        if name in cells:
            return cells[name]
        row = _under(cells, name)
        if not row:
            raise AttributeError(f"{self.format} 格式的表二没有“{name}”")
        return ProactiveRow(values=row)


_PROACTIVE_FIELDS = frozenset({"format", "cells", "units"})


_V = typing.TypeVar("_V")


def _under(mapping: Mapping[str, _V], name: str) -> dict[str, _V]:
    """The entries whose dotted key starts with ``name.``, keyed by the rest (``regulations.in_force`` under
    ``regulations`` is ``in_force``): the attribute access to a row of table 二 or a group of table 三."""
    prefix = f"{name}."
    return {key[len(prefix) :]: value for key, value in mapping.items() if key.startswith(prefix)}


# ---------------------------------------------------------------------------------------------------
# Table 三: rows held by the format's keys
# ---------------------------------------------------------------------------------------------------

#: What a cell of tables 三 and 四 holds: a count, or a blank.
Count = int | Blank


def _sum_or_none(values: Iterable[Count | None]) -> int | None:
    total = 0
    for value in values:
        if not isinstance(value, int):
            return None
        total += value
    return total


@frozen
class ApplicantCounts(Checked):
    """One row of table 三: a count per applicant column (the same seven columns in every format).
    ``total`` (the 总计 column) is computed, None when a cell is blank; ``declared_total`` keeps a 总计
    that an input stated."""

    natural_person: Count = 0
    business: Count = 0
    research: Count = 0
    public_interest: Count = 0
    legal_service: Count = 0
    other: Count = 0
    declared_total: Count | None = None

    @property
    def total(self) -> int | None:
        return _sum_or_none(self.values())

    def values(self) -> tuple[Count, ...]:
        """The six applicant counts, in the official column order."""
        return _applicant_values(self)

    def get(self, column: str) -> Count | None:
        """The count of one column key; ``"total"`` gives the computed total (None when not assessable)."""
        value: Count | None = self.total if column == "total" else getattr(self, column)
        return value

    @classmethod
    def of(cls, values: tuple[Count, ...] | list[Count], declared_total: Count | None = None) -> ApplicantCounts:
        """A row from the six applicant counts in official order."""
        if len(values) != len(APPLICANT_KEYS):
            raise ValueError(f"一行须有 {len(APPLICANT_KEYS)} 个申请人列的数值，而不是 {len(values)} 个")
        return cls(**dict(zip(APPLICANT_KEYS, values, strict=True)), declared_total=declared_total)

    @classmethod
    def sum(cls, rows: list[ApplicantCounts] | tuple[ApplicantCounts, ...]) -> ApplicantCounts:
        """The column-wise sum of several rows; a column with a blank cell is blank (不可计算) in the sum."""
        with _trusted():  # a sum of checked rows may exceed a row's bound; it is still a number
            sums = {key: _sum_or_none(getattr(row, key) for row in rows) for key in APPLICANT_KEYS}
            return cls(**{key: Blank() if value is None else value for key, value in sums.items()})


#: The applicant columns of table 三 in official order (the model's own names; every format's input
#: columns are these, which tests/test_format.py asserts for each format).
APPLICANT_KEYS: tuple[str, ...] = tuple(f.name for f in fields(ApplicantCounts) if f.name != "declared_total")
_applicant_values = operator.attrgetter(*APPLICANT_KEYS)


@frozen(init=False)
class RowGroup(Checked):
    """The rows of one group of table 三 (``report.applications.withheld``), by their key in the group:
    ``group.state_secret``. A view made by :class:`Applications`, and a way to give a group when making
    one (``Applications(withheld=RowGroup(state_secret=ApplicantCounts(1)))``)."""

    rows: Mapping[str, ApplicantCounts] = field(hash=False)

    def __init__(self, rows: Mapping[str, ApplicantCounts] | None = None, **by_key: ApplicantCounts) -> None:
        self.__attrs_init__(rows={**(rows or {}), **by_key})

    def __getattr__(self, name: str) -> ApplicantCounts:
        if name.startswith("_") or name == "rows":
            raise AttributeError(name)
        try:
            return self.rows[name]
        except KeyError:
            raise AttributeError(f"这一组没有行“{name}”（有：{'、'.join(self.rows)}）") from None


def outcome_row_keys(layout: ReportFormat) -> tuple[str, ...]:
    """The outcome rows under 三、本年度办理结果 that （七）总计 adds up (2021: 21, 2019: 19)."""
    cached = _OUTCOME_KEYS.get(layout.id)
    if cached is None:
        balance = {*layout.balance_inflow, *layout.balance_outflow}
        table = layout.applications_table
        cached = _OUTCOME_KEYS[layout.id] = tuple(row.key for row in table.input_rows if row.key not in balance)
    return cached


_OUTCOME_KEYS: dict[str, tuple[str, ...]] = {}


@frozen(init=False)
class Applications(Checked):
    """Table 三: applications received and how they were handled, one :class:`ApplicantCounts` per row
    of the format, by the format's row key (``"withheld.state_secret"``; 2019: ``"other_handling"``).

    Attribute access follows the keys: ``apps.new``, ``apps.withheld.state_secret``. ``total``
    (（七）总计) is computed from the outcome rows; ``declared_total`` keeps a （七）总计 row that an input
    stated. Made by keyword per top-level row or group (``Applications(new=..., withheld=RowGroup(...))``)
    or with ``rows={key: counts}``; rows not given are zero.
    """

    format: Name
    rows: Mapping[str, ApplicantCounts] = field(hash=False)
    declared_total: ApplicantCounts | None = None

    def __init__(
        self,
        *,
        format: str | None = None,
        rows: Mapping[str, ApplicantCounts] | None = None,
        declared_total: ApplicantCounts | None = None,
        **by_key: object,
    ) -> None:
        format_id = _default_format() if format is None else format
        problems: list[Problem] = []
        built: dict[str, ApplicantCounts] = {}
        layout = _known_layout(format_id, "Applications.format", problems)
        if layout is not None:
            given: dict[str, object] = dict(rows or {})
            for key, value in by_key.items():
                if isinstance(value, RowGroup | Mapping) and not isinstance(value, ApplicantCounts):
                    items = value.rows if isinstance(value, RowGroup) else value
                    given.update({f"{key}.{sub}": row for sub, row in items.items()})
                else:
                    given[key] = value
            blank = _BLANK_ROW
            for row in layout.applications_table.input_rows:
                value = given.pop(row.key, blank)
                if not isinstance(value, ApplicantCounts):
                    problems.append(
                        Problem(f"Applications.{row.key}", f"应为 ApplicantCounts 对象，而不是 {_shown(value)}")
                    )
                    continue
                built[row.key] = value
            for key in given:
                problems.append(Problem(f"Applications.{key}", f"{layout.id} 格式的表三没有这一行"))
        if problems and not _TRUSTED.get():
            raise ModelError(f"Applications 的值有误，发现 {len(problems)} 处问题", problems=problems)
        self.__attrs_init__(format=format_id, rows=built, declared_total=declared_total)

    @property
    def layout(self) -> ReportFormat:
        return _layout_of(self.format)

    @property
    def outcome_keys(self) -> tuple[str, ...]:
        return outcome_row_keys(self.layout)

    # Cached: rules, evaluators and renderers ask for it ~20 times a report. attrs keeps a cached property
    # in its own slot, outside eq, hash, repr, pickling and evolve; the rows it adds up never change.
    @functools.cached_property
    def total(self) -> ApplicantCounts:
        """（七）总计: the sum of every outcome row, per column (a column with a blank cell is blank)."""
        rows = self.rows
        return ApplicantCounts.sum([rows[key] for key in self.outcome_keys])

    def row(self, key: str) -> ApplicantCounts:
        """The row at a key of the format (``"withheld.state_secret"``); ``"total"`` is computed."""
        if key == "total":
            return self.total
        return self.rows[key]

    def cell(self, row: str, column: str) -> Count | None:
        """One cell of the official table, totals computed (None when not assessable)."""
        counts = self.total if row == "total" else self.rows[row]  # row() and get(), inline: ~190 calls a report
        value: Count | None = counts.total if column == "total" else getattr(counts, column)
        return value

    def with_row(self, key: str, value: ApplicantCounts) -> Applications:
        """A copy with the row at ``key`` replaced (keys as in :meth:`row`)."""
        if key not in self.rows:
            raise KeyError(key)
        return Applications(format=self.format, rows={**self.rows, key: value}, declared_total=self.declared_total)

    def __getattr__(self, name: str) -> ApplicantCounts | RowGroup:
        if name.startswith("_") or name in _APPLICATIONS_FIELDS:
            raise AttributeError(name)
        rows = self.rows
        if name in rows:
            return rows[name]
        group = _under(rows, name)
        if not group:
            raise AttributeError(f"{self.format} 格式的表三没有“{name}”")
        return RowGroup(group)


_APPLICATIONS_FIELDS = frozenset({"format", "rows", "declared_total"})
_BLANK_ROW = ApplicantCounts()


def _default_format() -> str:
    return formats.NEWEST


def _known_layout(format_id: object, where: str, problems: list[Problem]) -> ReportFormat | None:
    if not isinstance(format_id, str) or format_id not in formats.FORMATS:
        known = "、".join(formats.FORMATS)
        problems.append(Problem(where, f"未知的报告格式 {describe(format_id)}；本版本支持的格式：{known}"))
        return None
    return formats.get_format(format_id)


#: The 21 outcome rows of the newest format (kept for code written for 2021; use :func:`outcome_row_keys`).
OUTCOME_ROW_KEYS: tuple[str, ...] = outcome_row_keys(formats.get_format(formats.NEWEST))


@frozen
class CaseOutcomes(Checked):
    """One group of table 四 (行政复议, 未经复议直接起诉 or 复议后起诉); ``total`` is computed (None when a
    cell is blank)."""

    upheld: Count = 0
    corrected: Count = 0
    other: Count = 0
    pending: Count = 0
    declared_total: Count | None = None

    @property
    def total(self) -> int | None:
        return _sum_or_none((self.upheld, self.corrected, self.other, self.pending))


@frozen
class ReviewLitigation(Checked):
    """Table 四: administrative reconsideration and litigation over information disclosure."""

    review: CaseOutcomes = Factory(CaseOutcomes)
    litigation_direct: CaseOutcomes = Factory(CaseOutcomes)
    litigation_after_review: CaseOutcomes = Factory(CaseOutcomes)

    def cell(self, key: str) -> Count | None:
        """One cell by its format key (``"review.upheld"``, ``"litigation_direct.total"``)."""
        group, _, outcome = key.partition(".")
        value: Count | None = getattr(getattr(self, group), outcome)
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
    """A whole 政府信息公开工作年度报告, in the format ``format`` (a format id; ``layout`` is its value).

    Tables 二 and 三 follow the report's format: left out, they are blank tables of that format; given
    in another format, they are a :class:`ModelError`."""

    agency: Agency
    report: ReportInfo
    overview: Overview = Factory(Overview)
    proactive: ProactiveDisclosure = Factory(ProactiveDisclosure)
    applications: Applications = Factory(Applications)
    review_litigation: ReviewLitigation = Factory(ReviewLitigation)
    problems: Problems = Factory(Problems)
    other: OtherMatters = Factory(OtherMatters)
    format: Name = formats.NEWEST

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        problems: list[Problem] = []
        if _known_layout(self.format, "AnnualReport.format", problems) is not None:
            for name, blank in (("proactive", ProactiveDisclosure), ("applications", Applications)):
                table = getattr(self, name)
                if table.format == self.format:
                    continue
                if table == blank(format=table.format):  # left out: the blank table of the report's format
                    object.__setattr__(self, name, blank(format=self.format))
                else:
                    message = f"按 {table.format} 格式填写，而报告的格式为 {self.format}；请按报告的格式填写此表"
                    problems.append(Problem(f"AnnualReport.{name}", message))
        if problems:
            raise ModelError(f"AnnualReport 的值有误，发现 {len(problems)} 处问题", problems=problems)

    @property
    def layout(self) -> ReportFormat:
        """The format of the report, as a value (labels, tables, rule families)."""
        return _layout_of(self.format)

    @property
    def year(self) -> int:
        return self.report.year

    @property
    def title(self) -> str:
        """The title, e.g. 隆德县城关镇2021年政府信息公开工作年度报告."""
        return self.layout.title(self.agency.display_title_name, self.report.year)


def _evolve_path(obj: Any, path: list[str], value: Any) -> Any:
    """A copy of nested frozen ``obj`` with the attribute at ``path`` replaced."""
    head, *rest = path
    if head not in {a.name for a in fields(type(obj))}:
        raise KeyError(head)
    new_value = value if not rest else _evolve_path(getattr(obj, head), rest, value)
    return evolve(obj, **{head: new_value})
