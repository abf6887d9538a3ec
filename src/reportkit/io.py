"""Figures files (TOML, JSON, YAML) to and from the model, through one cattrs converter.

The file schema is a public contract (see the README): the keys are the model's attribute names,
except that a stated total is written ``total`` (the model keeps it as ``declared_total``), and a row of
table 三 may be a list of the six applicant counts instead of a table.

Every problem of a file that cannot be a report is collected and raised at once as a
:class:`~reportkit.errors.FiguresFileError` naming the file and each key path.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import json
import os
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Final

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, override

from reportkit import formats
from reportkit.errors import FiguresFileError, ModelError, Problem, ReportkitError
from reportkit.formats.layout import ValueType
from reportkit.formats.spec import ReportFormat
from reportkit.fs import atomic_write_bytes, read_at_most
from reportkit.loaded import Loaded
from reportkit.model import (
    APPLICANT_KEYS,
    AgencyKind,
    AnnualReport,
    ApplicantCounts,
    Applications,
    CaseOutcomes,
    ProactiveDisclosure,
    ProactiveValue,
)
from reportkit.tomlreader import loads as read_toml
from reportkit.tomlwriter import Example, field_comments, toml_text
from reportkit.values import (
    Blank,
    TextRule,
    Unit,
    ValueProblem,
    blank_of,
    describe,
    format_amount,
    parse_amount,
    parse_count,
    parse_date,
    parse_signed_count,
    printable,
    read_decimal,
    text_problem,
)

__all__ = [
    "FIGURES_SUFFIXES",
    "blank_report",
    "converter",
    "dump",
    "dumps",
    "load",
    "loads",
    "loads_with_notes",
    "read",
    "structure",
    "structure_with_notes",
    "unstructure",
]

#: Larger figures files are refused before parsing: a report is a few tens of kilobytes.
MAX_FILE_BYTES: Final = 5 * 1024 * 1024

FIGURES_SUFFIXES: Final = {".toml": "toml", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}
FORM_SUFFIXES: Final = (".xlsx", ".xlsm")


class _Problems(Exception):
    """Raised inside structure hooks: problems found below the current key, with relative paths."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


# ---------------------------------------------------------------------------------------------------
# The converter
# ---------------------------------------------------------------------------------------------------

_APPLICANT_KEYS: Final = APPLICANT_KEYS
_CASE_KEYS: Final = tuple(field.name for field in attrs.fields(CaseOutcomes) if field.name != "declared_total")
#: Model attribute names that figures files spell differently.
_FILE_KEYS: Final = {"declared_total": "total"}

#: The key path being structured (``("other", "information_fees", "notified_yuan")``), for reading notes.
_PATH: ContextVar[tuple[str, ...]] = ContextVar("reportkit_io_path", default=())
#: Where the reading notes of the current structure() call go (an amount converted from 元 …).
_NOTES: ContextVar[list[Problem] | None] = ContextVar("reportkit_io_notes", default=None)
#: The format of the report being structured: it decides the keys of tables 二 and 三.
_LAYOUT: ContextVar[ReportFormat | None] = ContextVar("reportkit_io_layout", default=None)

Hook = Callable[[Any, Any], Any]


def _structure_count(value: Any, _: type) -> int:
    return parse_count(value)


def _amount_hook(unit: Unit) -> Hook:
    """Amounts of one unit; one in the other unit is converted and noted where the notes are collected."""

    def structure(value: Any, _: type) -> Decimal:
        sink = _NOTES.get()
        found: list[str] | None = [] if sink is not None else None
        amount = parse_amount(value, unit, found)
        if sink is not None and found:
            where = ".".join(_PATH.get())
            sink.extend(Problem(where, note) for note in found)
        return amount

    return structure


def _structure_date(value: Any, _: type) -> dt.date:
    return parse_date(value)


def _text_hook(one_line: bool) -> Hook:
    def structure(value: Any, _: type) -> str:
        if not isinstance(value, str):
            raise ValueProblem(f"应为文字（用引号括起），而不是 {describe(value)}")
        problem = text_problem(value, one_line=one_line)
        if problem is not None:
            raise ValueProblem(problem)
        return value

    return structure


def _structure_kind(value: Any, _: type) -> AgencyKind:
    if not isinstance(value, str):
        raise ValueProblem(f"应为机关类型文字，而不是 {describe(value)}")
    try:
        return AgencyKind.parse(value)
    except ValueError as exc:
        raise ValueProblem(str(exc)) from None


def _unknown_key_message(key: str, allowed: tuple[str, ...]) -> str:
    guess = difflib.get_close_matches(key, allowed, n=1) if len(key) <= 100 else []
    hint = f"，是否应为“{guess[0]}”？" if guess else ""
    return f"未知的键“{printable(key)}”{hint}（可用：{'、'.join(allowed)}）"


def _structure_row(value: Any, _: type) -> ApplicantCounts:
    """A row of table 三: six counts in column order (a seventh is a stated 总计), or a table."""
    problems: list[tuple[str, str]] = []
    counts: dict[str, int | Blank] = {}
    declared: int | Blank | None = None
    if isinstance(value, list):
        if len(value) not in (6, 7):
            raise ValueProblem(
                f"一行应列出 6 个申请人列的数值（{'、'.join(_APPLICANT_KEYS)}），可再加总计，而不是 {len(value)} 个"
            )
        for index, item in enumerate(value):
            try:
                number = _count_or_blank(item)
            except ValueProblem as exc:
                problems.append((f"[{index}]", str(exc)))
                continue
            if index < 6:
                counts[_APPLICANT_KEYS[index]] = number
            else:
                declared = number
    elif isinstance(value, Mapping):
        allowed = (*_APPLICANT_KEYS, "total")
        for key, item in value.items():
            if key not in allowed:
                problems.append((f".{key}", _unknown_key_message(str(key), allowed)))
                continue
            try:
                number = _count_or_blank(item)
            except ValueProblem as exc:
                problems.append((f".{key}", str(exc)))
                continue
            if key == "total":
                declared = number
            else:
                counts[key] = number
    else:
        raise ValueProblem(f"应为 6 个数值的列表或按申请人列命名的表，而不是 {describe(value)}")
    if problems:
        raise _Problems(problems)
    return ApplicantCounts(**counts, declared_total=declared)


def _structure_outcomes(value: Any, _: type) -> CaseOutcomes:
    """A group of table 四: a table (upheld, corrected, other, pending, total) or a list in that order."""
    problems: list[tuple[str, str]] = []
    counts: dict[str, int | Blank] = {}
    declared: int | Blank | None = None
    if isinstance(value, list):
        if len(value) not in (4, 5):
            raise ValueProblem(f"应列出 4 个数值（{'、'.join(_CASE_KEYS)}），可再加总计，而不是 {len(value)} 个")
        items: list[tuple[str, str, Any]] = [
            (f"[{i}]", (*_CASE_KEYS, "total")[i], item) for i, item in enumerate(value)
        ]
    elif isinstance(value, Mapping):
        allowed = (*_CASE_KEYS, "total")
        items = []
        for key, item in value.items():
            if key not in allowed:
                problems.append((f".{key}", _unknown_key_message(str(key), allowed)))
            else:
                items.append((f".{key}", key, item))
    else:
        raise ValueProblem(f"应为按结果命名的表（{'、'.join(_CASE_KEYS)}、total），而不是 {describe(value)}")
    for where, key, item in items:
        try:
            number = _count_or_blank(item)
        except ValueProblem as exc:
            problems.append((where, str(exc)))
            continue
        if key == "total":
            declared = number
        else:
            counts[key] = number
    if problems:
        raise _Problems(problems)
    return CaseOutcomes(**counts, declared_total=declared)


def _count_or_blank(value: Any) -> int | Blank:
    if type(value) is int:  # not text, so not a blank: parse_count checks it
        return parse_count(value)
    blank = blank_of(value)
    return blank if blank is not None else parse_count(value)


def _plain_cell(value: Any) -> Any:
    """A cell as a file writes it: a blank as its reason (留空, 不适用, /)."""
    return value.reason if isinstance(value, Blank) else value


def _unstructure_row(row: ApplicantCounts) -> list[Any] | dict[str, Any]:
    if row.declared_total is None:
        return [_plain_cell(v) for v in row.values()]
    plain = {key: _plain_cell(v) for key, v in zip(_APPLICANT_KEYS, row.values(), strict=True)}
    return {**plain, "total": _plain_cell(row.declared_total)}


def _unstructure_outcomes(outcomes: CaseOutcomes) -> dict[str, Any]:
    data = {key: _plain_cell(getattr(outcomes, key)) for key in _CASE_KEYS}
    if outcomes.declared_total is not None:
        data["total"] = _plain_cell(outcomes.declared_total)
    return data


# ---------------------------------------------------------------------------------------------------
# Tables 二 and 三: keys from the format
# ---------------------------------------------------------------------------------------------------


def _layout() -> ReportFormat:
    return _LAYOUT.get() or formats.get_format(formats.NEWEST)


def _stated_unit(value: Any) -> Unit:
    if isinstance(value, str):
        for unit in Unit:
            if value.strip() == unit.value:
                return unit
    raise ValueProblem(f"金额单位应为“元”或“万元”，而不是 {describe(value)}")


def _proactive_cell(value: Any, value_type: ValueType, unit: Unit, where: str) -> ProactiveValue:
    blank = blank_of(value)
    if blank is not None:
        return blank
    if value_type is ValueType.SIGNED_COUNT:
        return parse_signed_count(value)
    if value_type is ValueType.COUNT:
        return parse_count(value)
    token = _PATH.set((*_PATH.get(), *where.split(".")))
    try:
        return _amount_hook(unit)(value, Decimal)  # type: ignore[no-any-return]
    finally:
        _PATH.reset(token)


def _structure_proactive(value: Any, _: type) -> ProactiveDisclosure:
    """Table 二 by the keys of the report's format: a one-column row is a value, a row of several columns
    a table by column key; an amount whose unit each report states has its unit beside it (``amount_unit``)."""
    layout = _layout()
    if not isinstance(value, Mapping):
        raise ValueProblem(f"应为一个表（键值对），而不是 {describe(value)}")
    problems: list[tuple[str, str]] = []
    cells: dict[str, ProactiveValue] = {}
    units: dict[str, Unit | None] = {}
    rows = {row.key: (block, row) for block in layout.proactive_blocks for row in block.rows}
    for key, item in value.items():
        if key not in rows:
            problems.append((f".{key}", _unknown_key_message(str(key), tuple(rows))))
            continue
        block, row = rows[key]
        if len(block.columns) == 1:
            column = block.columns[0]
            try:
                cells[key] = _proactive_cell(item, block.value_type(row, column), Unit.WAN_YUAN, key)
            except ValueProblem as exc:
                problems.append((f".{key}", str(exc)))
            continue
        allowed = [column.key for column in block.columns]
        allowed += [
            block.unit_key(row, c)[len(key) + 1 :]
            for c in block.columns
            if block.value_type(row, c) is ValueType.AMOUNT
        ]
        if not isinstance(item, Mapping):
            problems.append(
                (f".{key}", f"应为一个表（键值对，按列命名：{'、'.join(allowed)}），而不是 {describe(item)}")
            )
            continue
        for sub in item:
            if sub not in allowed:
                problems.append((f".{key}.{sub}", _unknown_key_message(str(sub), tuple(allowed))))
        for column in block.columns:
            cell_key = block.cell_key(row, column)
            value_type = block.value_type(row, column)
            unit = Unit.WAN_YUAN
            if value_type is ValueType.AMOUNT:
                unit_name = block.unit_key(row, column)[len(key) + 1 :]
                if unit_name in item:
                    try:
                        unit = _stated_unit(item[unit_name])
                    except ValueProblem as exc:
                        problems.append((f".{key}.{unit_name}", str(exc)))
                        continue
                elif column.key in item and blank_of(item[column.key]) is None:
                    problems.append(
                        (f".{key}.{unit_name}", "缺少金额单位：请写 “元” 或 “万元”（表头没有单位，须逐份写明）")
                    )
                    continue
                else:
                    unit = Unit.YUAN
                units[cell_key] = unit
            if column.key not in item:
                continue
            try:
                cells[cell_key] = _proactive_cell(item[column.key], value_type, unit, cell_key)
            except ValueProblem as exc:
                problems.append((f".{key}.{column.key}", str(exc)))
    if problems:
        raise _Problems(problems)
    return ProactiveDisclosure(format=layout.id, cells=cells, units=units)


def _unstructure_proactive(table: ProactiveDisclosure) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for block in table.layout.proactive_blocks:
        for row in block.rows:
            if len(block.columns) == 1:
                data[row.key] = _plain_cell(table.value(block.cell_key(row, block.columns[0])))
                continue
            values: dict[str, Any] = {}
            for column in block.columns:
                key = block.cell_key(row, column)
                values[column.key] = _plain_cell(table.value(key))
                if block.value_type(row, column) is ValueType.AMOUNT:
                    unit = table.unit(key)
                    if unit is not None:
                        values[block.unit_key(row, column)[len(row.key) + 1 :]] = unit.value
            data[row.key] = values
    return data


def _structure_applications(value: Any, _: type) -> Applications:
    """Table 三 by the row keys of the report's format: a row (list of six, or a table by applicant), a
    group of rows (a table by the rows' keys in the group), and ``total`` for a stated （七）总计."""
    layout = _layout()
    if not isinstance(value, Mapping):
        raise ValueProblem(f"应为一个表（键值对），而不是 {describe(value)}")
    table = layout.applications_table
    top: dict[str, tuple[str, ...]] = {}
    for row in table.input_rows:
        head, _dot, sub = row.key.partition(".")
        top.setdefault(head, ())
        if sub:
            top[head] = (*top[head], sub)
    allowed = (*top, "total")
    problems: list[tuple[str, str]] = []
    rows: dict[str, ApplicantCounts] = {}
    declared: ApplicantCounts | None = None

    def one_row(item: Any, where: str) -> ApplicantCounts | None:
        try:
            return _structure_row(item, ApplicantCounts)
        except ValueProblem as exc:
            problems.append((f".{where}", str(exc)))
        except _Problems as exc:
            problems.extend((f".{where}{sub}", message) for sub, message in exc.problems)
        return None

    for key, item in value.items():
        if key not in allowed:
            problems.append((f".{key}", _unknown_key_message(str(key), allowed)))
            continue
        subs = top.get(key, ())
        if key == "total" or not subs:
            counts = one_row(item, key)
            if counts is not None and key == "total":
                declared = counts
            elif counts is not None:
                rows[key] = counts
            continue
        if not isinstance(item, Mapping):
            problems.append(
                (f".{key}", f"应为一个表（键值对，按项目命名：{'、'.join(subs)}），而不是 {describe(item)}")
            )
            continue
        for sub, sub_item in item.items():
            if sub not in subs:
                problems.append((f".{key}.{sub}", _unknown_key_message(str(sub), subs)))
                continue
            counts = one_row(sub_item, f"{key}.{sub}")
            if counts is not None:
                rows[f"{key}.{sub}"] = counts
    if problems:
        raise _Problems(problems)
    return Applications(format=layout.id, rows=rows, declared_total=declared)


def _unstructure_applications(table: Applications) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for row in table.layout.applications_table.input_rows:
        head, _, sub = row.key.partition(".")
        plain = _unstructure_row(table.rows[row.key])
        if sub:
            data.setdefault(head, {})[sub] = plain
        else:
            data[head] = plain
    if table.declared_total is not None:
        data["total"] = _unstructure_row(table.declared_total)
    return data


def _at(key: str, hook: Hook) -> Hook:
    """``hook`` with ``key`` added to the key path while it runs (reading notes name their key)."""

    def structure(value: Any, type_: Any) -> Any:
        token = _PATH.set((*_PATH.get(), key))
        try:
            return hook(value, type_)
        finally:
            _PATH.reset(token)

    return structure


def _field_hook(conv: cattrs.Converter, hint: Any) -> Hook:
    """The hook of one field, from its annotation: the unit of an amount (``WanYuan``, ``Yuan``) and the
    rule of a text (``Name``) come from ``Annotated`` metadata, so every field reads in its own unit."""
    metadata: tuple[Any, ...] = ()
    if typing.get_origin(hint) is Annotated:
        hint, *rest = typing.get_args(hint)
        metadata = tuple(rest)
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else ()
    if type(None) in options:
        (inner_hint,) = [option for option in options if option is not type(None)]
        inner = _field_hook(conv, inner_hint)
        return lambda value, _: None if value is None else inner(value, inner_hint)
    if hint is Decimal:
        return _amount_hook(next((m for m in metadata if isinstance(m, Unit)), Unit.WAN_YUAN))
    if hint is str:
        rule = next((m for m in metadata if isinstance(m, TextRule)), TextRule(one_line=False))
        return _text_hook(rule.one_line)
    hook = conv.get_structure_hook(hint)
    return lambda value, _: hook(value, hint)


def _reads_path(hint: Any) -> bool:
    """Whether the hook of a field may read the key path: only amounts note it (and model objects, which
    may hold amounts); a count, a text, a date or a kind never does, so its key need not be tracked."""
    if typing.get_origin(hint) is Annotated:
        hint = typing.get_args(hint)[0]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_reads_path(option) for option in typing.get_args(hint) if option is not type(None))
    plain = hint in (int, str, dt.date) or (isinstance(hint, type) and issubclass(hint, enum.Enum))
    return not plain


def _attrs_structure_factory(conv: cattrs.Converter) -> Callable[[type], Hook]:
    """Every model class: unknown keys refused, ``declared_total`` spelled ``total``, each field read by
    the hook of its annotation and tracked in the key path."""

    def factory(cls: type) -> Hook:
        hints = typing.get_type_hints(cls, include_extras=True)
        overrides: dict[str, Any] = {}
        for field in attrs.fields(cls):
            key = _FILE_KEYS.get(field.name, field.name)
            hook = _field_hook(conv, hints[field.name])
            overrides[field.name] = override(
                rename=key if key != field.name else None,
                struct_hook=_at(key, hook) if _reads_path(hints[field.name]) else hook,
            )
        structure: Hook = make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=True, **overrides)
        return structure

    return factory


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True, omit_if_default=False)
    conv.register_structure_hook(int, _structure_count)
    conv.register_structure_hook(Decimal, _amount_hook(Unit.WAN_YUAN))
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_structure_hook(str, _text_hook(one_line=False))
    conv.register_structure_hook(AgencyKind, _structure_kind)
    conv.register_structure_hook_factory(attrs.has, _attrs_structure_factory(conv))
    conv.register_structure_hook(ApplicantCounts, _structure_row)
    conv.register_structure_hook(CaseOutcomes, _structure_outcomes)
    conv.register_unstructure_hook(ApplicantCounts, _unstructure_row)
    conv.register_unstructure_hook(CaseOutcomes, _unstructure_outcomes)
    conv.register_unstructure_hook(Decimal, lambda d: d)
    conv.register_unstructure_hook(dt.date, lambda d: d)
    conv.register_structure_hook(ProactiveDisclosure, _structure_proactive)
    conv.register_structure_hook(Applications, _structure_applications)
    conv.register_unstructure_hook(ProactiveDisclosure, _unstructure_proactive)
    conv.register_unstructure_hook(Applications, _unstructure_applications)
    return conv


#: The one converter between plain data (dicts, lists, scalars) and the model.
converter: Final = _make_converter()


# ---------------------------------------------------------------------------------------------------
# Errors: cattrs' exception tree to key paths and Chinese messages
# ---------------------------------------------------------------------------------------------------


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(_FILE_KEYS.get(f.name, f.name) for f in attrs.fields(cls))


#: A file with more problems than this lists these and counts the rest (a broken file can have millions).
MAX_PROBLEMS: Final = 100


class _Collected(list[Problem]):
    """Problems found so far, and how many were left out past :data:`MAX_PROBLEMS`."""

    left_out = 0

    def add(self, problem: Problem) -> None:
        if len(self) < MAX_PROBLEMS:
            self.append(problem)
        else:
            self.left_out += 1


def _collect(exc: BaseException, path: str, out: _Collected) -> None:
    if isinstance(exc, ClassValidationError | IterableValidationError):
        for sub in exc.exceptions:
            sub_path = path
            for note in getattr(sub, "__notes__", ()):
                name = getattr(note, "name", None)
                index = getattr(note, "index", None)
                if name is not None:
                    sub_path = f"{path}.{_FILE_KEYS.get(name, name)}"
                elif index is not None:
                    sub_path = f"{path}[{index}]"
            _collect(sub, sub_path, out)
    elif isinstance(exc, ForbiddenExtraKeysError):
        allowed = _field_names(exc.cl)
        for key in sorted(str(k) for k in exc.extra_fields):  # YAML keys may be numbers or null
            if len(out) >= MAX_PROBLEMS:
                out.left_out += 1
                continue
            out.add(Problem(_join(path, printable(key)), _unknown_key_message(key, allowed)))
    elif isinstance(exc, _Problems):
        for where, message in exc.problems:
            out.add(Problem(_clean_path(path + where), message))
    elif isinstance(exc, KeyError):
        out.add(Problem(_clean_path(path), "缺少必填项"))
    elif isinstance(exc, ValueProblem):
        out.add(Problem(_clean_path(path), str(exc)))
    elif isinstance(exc, ReportkitError):  # a value the hooks let through and the model refused
        for problem in exc.problems or (Problem("", exc.summary),):
            out.add(Problem(_clean_path(path), problem.message))
    elif isinstance(exc, TypeError | AttributeError | ValueError):
        # cattrs' own text ("argument of type 'int' is not iterable") means nothing to office staff.
        message = "此处应为一个表（键值对，如 { issued = 0, … }），而不是单个数值、文字或列表"
        out.add(Problem(_clean_path(path), message))
    else:  # pragma: no cover - cattrs raises only the kinds above
        out.add(Problem(_clean_path(path), str(exc)))


def _join(path: str, key: str) -> str:
    return _clean_path(f"{path}.{key}")


def _clean_path(path: str) -> str:
    return path.lstrip(".") or "（文件顶层）"


def structure(data: Any, *, source: str = "<data>") -> AnnualReport:
    """A report from plain data (as parsed from TOML, JSON or YAML); raises FiguresFileError.

    :func:`structure_with_notes` gives the reading notes too (an amount converted from 元 to 万元 …)."""
    return structure_with_notes(data, source=source)[0]


def structure_with_notes(data: Any, *, source: str = "<data>") -> tuple[AnnualReport, list[Problem]]:
    """A report from plain data, and the notes on reading it, each naming its key path."""
    if not isinstance(data, Mapping):
        raise FiguresFileError(f"文件顶层应为一个表（键值对），而不是 {describe(data)}", source=source)
    data = dict(data)
    format_id = data.pop("format", None)
    if format_id is None:
        format_id = _format_in_force(data)
    if not isinstance(format_id, str) or text_problem(format_id, one_line=True) or len(format_id) > 100:
        problem = Problem("format", f"应为格式标识文字，而不是 {describe(format_id)}")
        raise FiguresFileError("格式标识有误", source=source, problems=[problem])
    try:
        layout = formats.get_format(format_id)
    except ReportkitError as exc:
        raise FiguresFileError("不支持的报告格式", source=source, problems=[Problem("format", exc.summary)]) from None
    data["format"] = format_id
    notes: list[Problem] = []
    notes_token = _NOTES.set(notes)
    path_token = _PATH.set(())
    layout_token = _LAYOUT.set(layout)
    try:
        report = converter.structure(data, AnnualReport)
    except RecursionError:
        raise FiguresFileError("数据嵌套过深，不像是一份年度报告", source=source) from None
    except (ClassValidationError, IterableValidationError, ValueProblem, _Problems, ModelError) as exc:
        problems = _Collected()
        _collect(exc, "", problems)
        count = len(problems) + problems.left_out
        if problems.left_out:
            problems.append(Problem("（其余）", f"另有 {problems.left_out} 处问题未列出；请先改正以上各处"))
        hint = _other_format_hint(data, layout)
        if hint is not None:
            problems.append(hint)
        raise FiguresFileError(f"无法作为年度报告读取，发现 {count} 处问题", source=source, problems=problems) from None
    finally:
        _LAYOUT.reset(layout_token)
        _PATH.reset(path_token)
        _NOTES.reset(notes_token)
    return report, notes


def _format_in_force(data: Mapping[str, Any]) -> str:
    """A file without ``format``: the format in force for its year (the newest when the year is unreadable)."""
    info = data.get("report")
    year = info.get("year") if isinstance(info, Mapping) else None
    try:
        number = parse_count(year)
    except ValueProblem:
        return formats.NEWEST
    return formats.format_for_year(number).id


def _table_keys(layout: ReportFormat) -> frozenset[str]:
    """The keys of tables 二 and 三 a figures file of ``layout`` may hold (``proactive.penalty.items_change``)."""
    keys: set[str] = set()
    for block in layout.proactive_blocks:
        for row, column, key in block.cells():
            keys |= {f"proactive.{row.key}", f"proactive.{key}"}
            if block.value_type(row, column) is ValueType.AMOUNT:
                keys.add(f"proactive.{block.unit_key(row, column)}")
    for row in layout.applications_table.input_rows:
        head, _, _ = row.key.partition(".")
        keys |= {f"applications.{head}", f"applications.{row.key}"}
    return frozenset(keys)


def _file_table_keys(data: Mapping[str, Any]) -> set[str]:
    keys: set[str] = set()
    for table in ("proactive", "applications"):
        section = data.get(table)
        if not isinstance(section, Mapping):
            continue
        for key, item in list(section.items())[:MAX_PROBLEMS]:
            keys.add(f"{table}.{key}")
            if isinstance(item, Mapping):
                keys |= {f"{table}.{key}.{sub}" for sub in list(item)[:MAX_PROBLEMS]}
    return keys


def _other_format_hint(data: Mapping[str, Any], layout: ReportFormat) -> Problem | None:
    """One line naming the format a file seems written for, when its table keys are another format's."""
    found = _file_table_keys(data)
    unknown = {key for key in found - _table_keys(layout) if not key.endswith(".total")}
    if not unknown:
        return None
    for other in formats.all_formats():
        if other.id != layout.id and unknown <= _table_keys(other):
            return Problem(
                "format",
                f"表二、表三的键属于 {other.id} 格式（{other.notice}），文件似乎是按该格式写的，而读取时用的格式为 "
                f'{layout.id}（{layout.notice}）；请在文件开头写 format = "{other.id}"，或按 {layout.id} 格式改写',
            )
    return None


def blank_report(year: int | None = None, format: str | None = None) -> AnnualReport:
    """A report with every figure zero, every text empty, the agency name a placeholder and no signing
    date, for a person to fill (``reportkit init``): of ``year`` (last year by default), in ``format``
    (the format in force for the year by default). check() reports each placeholder until it is filled."""
    from reportkit.model import Agency, InformationFees, OtherMatters, ReportInfo
    from reportkit.values import AGENCY_NAME_PLACEHOLDER

    if year is None:
        year = dt.date.today().year - 1
    layout = formats.format_for_year(year) if format is None else formats.get_format(format)
    fees = InformationFees() if layout.information_fee is not None else None
    return AnnualReport(
        agency=Agency(AGENCY_NAME_PLACEHOLDER, AgencyKind.DEPARTMENT),
        report=ReportInfo(year),
        other=OtherMatters("", fees),
        format=layout.id,
    )


def unstructure(report: AnnualReport) -> dict[str, Any]:
    """Plain data (dates and Decimals kept as objects) in the order of the figures-file schema."""
    plain: dict[str, Any] = _drop_none(_ordered(report))
    return plain


def _ordered(report: AnnualReport) -> dict[str, Any]:
    data: dict[str, Any] = converter.unstructure(report)
    ordered: dict[str, Any] = {"format": data.pop("format")}
    ordered.update(data)
    return ordered


#: Keys an annotated TOML file shows as a commented line when they are not filled in. Uncommented
#: unchanged, each is an error (a TOML syntax error, or a placeholder name that check() reports).
_EXAMPLES: Final = {
    "agency.title_name": '"（标题中的机关名称）"',
    "report.signed_on": "YYYY-MM-DD",
    "report.published_on": "YYYY-MM-DD",
}


def _with_examples(data: dict[str, Any]) -> dict[str, Any]:
    for path, text in _EXAMPLES.items():
        *heads, last = path.split(".")
        table = data
        for head in heads:
            table = table.get(head) or {}
        if isinstance(table, dict) and last in table and table[last] is None:
            table[last] = Example(text)
    return data


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------
# Text formats
# ---------------------------------------------------------------------------------------------------


#: Python refuses to read integers of more digits than this (sys.get_int_max_str_digits()).
_INT_DIGITS_LIMIT: Final = 4300
#: Integers of more digits than this are kept as Decimal by the JSON and YAML readers: the readers of
#: values then refuse them as too large, naming the key, without converting them.
_LONG_INT_DIGITS: Final = 30


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _parse_toml(text: str, source: str) -> Any:
    try:
        return read_toml(text, parse_float=read_decimal)  # tomllib's result, faster on plain files
    except tomllib.TOMLDecodeError as exc:
        raise FiguresFileError(f"TOML 语法错误：{exc}。请检查该行的引号、等号和方括号", source=source) from None
    except RecursionError:
        raise FiguresFileError("TOML 嵌套过深，无法读取", source=source) from None
    except ValueError:  # an integer past Python's digit limit: tomllib converts it before we see it
        found = re.search(rf"[0-9_]{{{_INT_DIGITS_LIMIT // 2},}}", text)
        where = f"第 {_line_of(text, found.start())} 行：" if found else ""
        raise FiguresFileError(f"TOML 内容有误：{where}整数的位数过多，不像是年度报告中的数值", source=source) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON 中不允许 {name}")


def _json_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _LONG_INT_DIGITS else Decimal(text)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects whose keys repeat are refused: the last value would silently win (TOML refuses them too)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"键“{printable(key)}”出现了两次，请删除其中一个")
        result[key] = value
    return result


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(
            text,
            parse_float=read_decimal,
            parse_int=_json_int,
            parse_constant=_reject_constant,
            object_pairs_hook=_no_duplicates,
        )
    except _DuplicateKey as exc:
        raise FiguresFileError(f"JSON 内容有误：{exc}", source=source) from None
    except json.JSONDecodeError as exc:
        raise FiguresFileError(
            f"JSON 语法错误：第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}", source=source
        ) from None
    except (ValueError, RecursionError) as exc:
        raise FiguresFileError(f"JSON 内容无法读取：{exc}", source=source) from None


#: A YAML file is refused when its values, counted as often as aliases repeat them, exceed this. A
#: report has about a thousand; aliases of aliases (a "billion laughs" file of a few hundred bytes)
#: would otherwise expand to hundreds of millions, each one structured and quoted in messages.
MAX_YAML_NODES: Final = 100_000

_YAML_DECIMAL = re.compile(r"[-+]?([0-9][0-9_]*(\.[0-9_]*)?|\.[0-9_]+)([eE][-+]?[0-9]+)?")


class _YamlRefused(Exception):
    """A YAML document refused before construction; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _yaml_loader(yaml: Any) -> Any:
    class StrictLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
        """Refuses repeated keys, aliases that expand past MAX_YAML_NODES or refer to themselves; reads
        decimals exactly (12.50 stays 12.50), long integers without converting them, and a date that
        does not exist (2022-02-30) as text, so the reader of dates names its key."""

        def construct_document(self, node: Any) -> Any:
            _count_yaml_nodes(yaml, node)
            return super().construct_document(node)

    def mapping(loader: Any, node: Any) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            mark = key_node.start_mark
            try:
                repeated = key in seen
            except TypeError:  # a list, a table or a set as a key
                raise yaml.constructor.ConstructorError(
                    None, None, f"键应为文字，而不是 {describe(key)}（第 {mark.line + 1} 行）", mark
                ) from None
            if isinstance(key, list | dict) or repeated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"键“{printable(str(key))}”重复（第 {mark.line + 1} 行），请删除其中一个", mark
                )
            seen.add(key)
        constructed: dict[Any, Any] = loader.construct_mapping(node)
        return constructed

    def integer(loader: Any, node: Any) -> Any:
        # Decimal only: YAML 1.1 reads 010 as 8, 0x10 as 16 and 1:30 as 90, which no office means.
        text = str(loader.construct_scalar(node))
        plain = text.replace("_", "")
        if not re.fullmatch(r"[-+]?[0-9]+", plain):
            message = f"数字 {describe(text)} 不是十进制写法（YAML 会把它读作别的数）；请写成普通的十进制数字"
            raise yaml.constructor.ConstructorError(None, None, message, node.start_mark)
        return int(plain) if len(plain) <= _LONG_INT_DIGITS else Decimal(plain)

    def decimal(loader: Any, node: Any) -> Any:
        text = str(loader.construct_scalar(node))
        if _YAML_DECIMAL.fullmatch(text) and len(text) <= 100:
            return read_decimal(text.replace("_", ""))
        if re.fullmatch(r"[-+]?\.(inf|Inf|INF|nan|NaN|NAN)", text):
            return yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)  # refused where read
        message = f"数字 {describe(text)} 不是十进制写法，或位数过多；请写成普通的十进制数字"
        raise yaml.constructor.ConstructorError(None, None, message, node.start_mark)

    def timestamp(loader: Any, node: Any) -> Any:
        try:
            return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
        except (ValueError, OverflowError):
            return str(loader.construct_scalar(node))

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    StrictLoader.add_constructor("tag:yaml.org,2002:int", integer)
    StrictLoader.add_constructor("tag:yaml.org,2002:float", decimal)
    StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    return StrictLoader


def _count_yaml_nodes(yaml: Any, root: Any) -> None:
    """Count the values of a composed document as construction would repeat them (each alias counts
    its whole target again), memoised per node so counting is linear; refuse past MAX_YAML_NODES and
    aliases that refer to themselves."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            message = "别名引用了包含它自身的内容（循环引用），无法读取；请去掉锚点“&”和别名“*”"
            raise _YamlRefused(message, node.start_mark.line + 1)
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children: list[Any] = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_YAML_NODES:
                raise _YamlRefused(
                    f"内容展开后超过 {MAX_YAML_NODES} 个值（锚点“&”和别名“*”层层重复引用），不像是一份年度报告；"
                    "请去掉别名，直接写出各项数值",
                    node.start_mark.line + 1,
                )
        open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root)


def _parse_yaml(text: str, source: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise FiguresFileError("读取 YAML 需要可选依赖 PyYAML：pip install 'reportkit[yaml]'", source=source) from None

    try:
        return yaml.load(text, Loader=_yaml_loader(yaml))
    except _YamlRefused as exc:
        raise FiguresFileError(f"YAML 内容有误：第 {exc.line} 行：{exc}", source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列：" if mark is not None else ""
        kind = "内容有误" if isinstance(exc, yaml.constructor.ConstructorError) else "语法错误"
        raise FiguresFileError(f"YAML {kind}：{where}{getattr(exc, 'problem', exc)}", source=source) from None
    except RecursionError:
        raise FiguresFileError("YAML 嵌套过深，无法读取", source=source) from None
    except (ValueError, TypeError, ArithmeticError) as exc:  # a value PyYAML's own constructors cannot build
        raise FiguresFileError(f"YAML 内容无法读取：{printable(str(exc), 200)}", source=source) from None


_PARSERS: Final[dict[str, Callable[[str, str], Any]]] = {
    "toml": _parse_toml,
    "json": _parse_json,
    "yaml": _parse_yaml,
}


def loads(text: str | bytes, format: str = "toml", *, source: str = "<string>") -> AnnualReport:
    """A report from the text of a figures file in ``format`` (``"toml"``, ``"json"`` or ``"yaml"``).

    :func:`loads_with_notes` gives the reading notes too (an amount converted from 元 to 万元 …)."""
    return loads_with_notes(text, format, source=source)[0]


def loads_with_notes(
    text: str | bytes, format: str = "toml", *, source: str = "<string>"
) -> tuple[AnnualReport, list[Problem]]:
    """A report from the text of a figures file, and the notes on reading it (each naming its key path)."""
    try:
        parse = _PARSERS[format]
    except KeyError:
        raise FiguresFileError(f"不支持的文件格式“{format}”，可用：toml、json、yaml", source=source) from None
    if isinstance(text, bytes):
        text = _decode(text, source)
    elif text.startswith("\ufeff"):
        text = text[1:]
    return structure_with_notes(parse(text, source), source=source)


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            raw.decode("gb18030")
            hint = "文件看起来是 GBK/GB18030 编码；"
        except UnicodeDecodeError:
            pass
        raise FiguresFileError(
            f"文件不是 UTF-8 编码（第 {exc.start} 字节）。{hint}请用 UTF-8 另存（记事本：另存为 → 编码选 UTF-8）",
            source=source,
        ) from None


def load(path: str | os.PathLike[str]) -> AnnualReport:
    """A report from a figures file (.toml, .json, .yaml) or a filled Excel input form (.xlsx).

    :func:`read` gives the reading notes and the place of every value as well."""
    file = Path(path)
    if file.suffix.lower() in FORM_SUFFIXES:
        from reportkit.xlsx_form import read_form

        return read_form(file)
    return read(file).report


def read(path: str | os.PathLike[str]) -> Loaded:
    """A report from a figures file or a filled form, with its reading notes and where each value stood."""
    file = Path(path)
    source = str(path)
    suffix = file.suffix.lower()
    if suffix in FORM_SUFFIXES:
        from reportkit.xlsx_form import read as read_form

        return read_form(file)
    if suffix not in FIGURES_SUFFIXES:
        raise FiguresFileError(
            f"无法识别的文件类型“{file.suffix or '（无扩展名）'}”，可用：.toml、.json、.yaml、.xlsx（填报表）",
            source=source,
        )
    try:
        raw = read_at_most(file, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise FiguresFileError("文件不存在，请检查路径", source=source) from None
    except IsADirectoryError:
        raise FiguresFileError("这是一个文件夹，不是数据文件", source=source) from None
    except OSError as exc:
        raise FiguresFileError(f"无法读取文件：{exc.strerror}", source=source) from None
    if raw is None:
        raise FiguresFileError(f"文件过大（超过上限 {MAX_FILE_BYTES} 字节），不像是一份年度报告的数据", source=source)
    report, notes = loads_with_notes(raw, FIGURES_SUFFIXES[suffix], source=source)
    return Loaded(report, source, tuple(notes))


#: A Decimal is written to JSON as its exact digits (12.50 stays 12.50, not the float 12.5): json writes
#: it as a string between NUL marks, which are then removed with the quotes. No text of a report can
#: hold a NUL (the model refuses it), so the marks are unambiguous.
_JSON_NUMBER = re.compile(r'"\\u0000(-?[0-9]+(?:\.[0-9]+)?)\\u0000"')


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"\x00{format_amount(value)}\x00"
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")  # pragma: no cover


#: Characters YAML reads as line breaks. PyYAML writes them raw in plain and single-quoted scalars,
#: where a reader folds them into a space ("文\x85" came back as "文 "); double quotes escape them.
_YAML_BREAKS: Final = ("\x85", "\u2028", "\u2029")


def _yaml_dumper(yaml: Any) -> Any:
    class Dumper(yaml.SafeDumper):  # type: ignore[misc]
        pass

    def represent_str(dumper: Any, text: str) -> Any:
        style = '"' if any(char in text for char in _YAML_BREAKS) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    def represent_decimal(dumper: Any, amount: Decimal) -> Any:
        text = format_amount(amount)
        tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
        return dumper.represent_scalar(tag, text)  # read back exactly (12.50 stays 12.50)

    Dumper.add_representer(str, represent_str)
    Dumper.add_representer(Decimal, represent_decimal)
    return Dumper


def _dates_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def dumps(
    report: AnnualReport, format: str = "toml", *, comments: bool = False, notes: Mapping[str, str] | None = None
) -> str:
    """The figures-file text of ``report`` in ``format`` (``"toml"``, ``"json"`` or ``"yaml"``).

    With ``comments`` (TOML only), each key is annotated with its official label, which makes a
    file an office can fill by hand (``reportkit init``); ``notes`` adds comment lines under the label of
    keys by dotted path (``reportkit next`` puts last year's texts there)."""
    if format == "toml" and comments:
        annotations = dict(field_comments(report.format))
        for path, note in (notes or {}).items():
            annotations[path] = f"{annotations[path]}\n{note}" if path in annotations else note
        return toml_text(_drop_none(_with_examples(_ordered(report))), comments=annotations)
    data = unstructure(report)
    if format == "toml":
        return toml_text(data)
    if format == "json":
        text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
        return _JSON_NUMBER.sub(r"\1", text) + "\n"
    if format == "yaml":
        try:
            import yaml
        except ImportError:
            raise ReportkitError("写出 YAML 需要可选依赖 PyYAML：pip install 'reportkit[yaml]'") from None
        dumped: str = yaml.dump(_dates_as_text(data), Dumper=_yaml_dumper(yaml), allow_unicode=True, sort_keys=False)
        return dumped
    raise ReportkitError(f"不支持的文件格式“{format}”，可用：toml、json、yaml")


def dump(report: AnnualReport, path: str | os.PathLike[str]) -> None:
    """Write ``report`` as a figures file; the format follows the suffix. The write is atomic."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in FIGURES_SUFFIXES:
        raise ReportkitError(f"无法识别的文件类型“{file.suffix}”，可用：.toml、.json、.yaml", source=str(path))
    atomic_write_bytes(file, dumps(report, FIGURES_SUFFIXES[suffix]).encode("utf-8"))
