"""Local rule packs: the extra checks a province or a county asks for, written as data.

A pack is a TOML file with a ``name``, a ``description`` and ``[[rules]]``, each of a declared kind:

- ``max_length``: the text of a ``section`` has at most ``max`` characters (white space not counted);
- ``must_mention``: the figures of table ``cells`` are stated in the text: a sentence of ``sections`` (all
  the text when not given) holding one of the ``near`` words holds the figure with a unit (24件, 二十四件; for
  0 also 未…, 无…, 没有…);
- ``require_text``: the text of a ``section`` holds at least one of the ``phrases``.

Every rule has a stable ``code`` (dotted, lowercase), a ``severity`` (``warning``, the default, or ``error``)
and may have a ``message`` template whose ``{names}`` the rule fills in. Phrases are plain text, not regular
expressions: Python's ``re`` has no time limit, and a pack should not be able to hang a batch.

Section paths: ``preamble``, ``overview`` (the whole of 一、总体情况), ``overview.<topic>`` (``intro``,
``proactive``, ``on_request``, ``management``, ``platforms``, ``oversight``, ``accountability``), ``problems``,
``other``. Cells are the model paths of the tables: ``proactive.<row>[.<column>]`` (counts of table 二),
``applications.<row>.<column>`` (table 三, ``total`` for 总计), ``review_litigation.<group>.total`` (table 四).

The packs shipped with reportkit live next to this module (``strict-text.toml``) and are found with
:mod:`importlib.resources`, so an installed wheel has them. :func:`load_pack` takes a shipped name or a path;
an unknown kind or key, a missing key, a bad value or a bad template is a :class:`RulePackError` naming the
file and the key path (``rules[1].max``), every problem at once.
"""

from __future__ import annotations

import argparse
import functools
import importlib.resources
import os
import re
import string
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from attrs import frozen

from reportkit import formats
from reportkit.errors import Problem, ReportkitError
from reportkit.evaluators import parse_count, text_locations, text_sections
from reportkit.formats.layout import Leaf, ValueType
from reportkit.fs import read_at_most
from reportkit.model import AnnualReport
from reportkit.rules import Finding, Location, Severity

__all__ = [
    "KINDS",
    "MaxLength",
    "MustMention",
    "RequireText",
    "RulePack",
    "RulePackError",
    "add_rules_argument",
    "available_packs",
    "load_pack",
    "loads_pack",
    "pack_from_args",
]

SUFFIX = ".toml"
#: A pack larger than this is not a pack (bounded reading).
MAX_PACK_BYTES = 256 * 1024
MAX_RULES = 200
MAX_LIST_ITEMS = 100
MAX_STRING_CHARS = 500
MAX_LENGTH_LIMIT = 10_000_000


class RulePackError(ReportkitError):
    """A rule pack that cannot be used: not found, not TOML, or not of the declared shape."""


# ---------------------------------------------------------------------------------------------------
# Where rules look: sections and cells, from the format
# ---------------------------------------------------------------------------------------------------


@frozen
class _SectionPath:
    name: str  #: what a message calls it
    fields: tuple[str, ...]  #: the text sections it covers (model paths)
    location: Location


@functools.cache
def _section_paths(format_id: str) -> dict[str, _SectionPath]:
    """The sections a rule pack may name, with their names and locations in one format (the keys are the
    same in every format)."""
    layout = formats.get_format(format_id)
    locations = text_locations(layout)

    def one(field: str) -> _SectionPath:
        location = locations[field]
        return _SectionPath(location.row or location.section, (field,), location)

    paths: dict[str, _SectionPath] = {}
    overview_fields = tuple(f for f in locations if f.startswith("overview."))
    paths["preamble"] = one("report.preamble")
    heading = layout.overview.heading
    paths["overview"] = _SectionPath(heading, overview_fields, Location(heading, "", "", "overview"))
    for field in overview_fields:
        paths[field] = one(field)
    paths["problems"] = one("problems.text")
    paths["other"] = one("other.text")
    return paths


@frozen
class _Cell:
    label: str
    value: Callable[[AnnualReport], object]


def _proactive(key: str) -> Callable[[AnnualReport], object]:
    return lambda report: report.proactive.value(key)


def _applications(row: str, column: str) -> Callable[[AnnualReport], object]:
    return lambda report: report.applications.row(row).get(column)


def _case_total(group: str) -> Callable[[AnnualReport], object]:
    return lambda report: getattr(report.review_litigation, group).total


@functools.cache
def _cells(format_id: str) -> dict[str, _Cell]:
    """The cells a rule pack may name in one format, by model path, with their labels."""
    layout = formats.get_format(format_id)
    cells: dict[str, _Cell] = {}
    for block in layout.proactive_blocks:
        for leaf in block.rows:
            if leaf.value_type is not ValueType.COUNT:
                continue
            for column in block.columns:
                key = block.cell_key(leaf, column)
                cells[f"proactive.{key}"] = _Cell(f"{leaf.label}“{column.label}”", _proactive(key))
    table = layout.applications_table
    for row in table.row_leaves:
        for applicant in table.column_leaves:
            cells[f"applications.{row.key}.{applicant.key}"] = _Cell(
                f"“{row.short_label}”的{applicant.label}", _applications(row.key, applicant.key)
            )
    for group in layout.case_groups:
        total = next(c for c in group.children if isinstance(c, Leaf) and c.key.endswith(".total"))
        cells[f"review_litigation.{group.key}.total"] = _Cell(f"{group.label}{total.label}", _case_total(group.key))
    return cells


# ---------------------------------------------------------------------------------------------------
# The rule kinds
# ---------------------------------------------------------------------------------------------------


def _fill(template: str, values: Mapping[str, object]) -> str:
    """A checked template (only plain ``{name}`` fields of ``values``) filled in."""
    return template.format_map(dict(values))


def _length(text: str) -> int:
    """The characters of ``text`` but white space (str.split cuts at exactly those for which isspace is true)."""
    return len("".join(text.split()))


@frozen
class MaxLength:
    """``max_length``: the text of ``section`` has at most ``limit`` characters (white space not counted)."""

    code: str
    severity: Severity
    section: str
    limit: int
    message: str

    def check(self, report: AnnualReport) -> Iterator[Finding]:
        where = _section_paths(report.format)[self.section]
        texts = {s.field: s.text for s in text_sections(report)}
        length = sum(_length(texts[field]) for field in where.fields)
        if length > self.limit:
            values = {"section": where.name, "length": length, "max": self.limit}
            yield Finding(self.code, self.severity, where.location, _fill(self.message, values))


_NEGATION = re.compile(r"未|无|没有|均为零|均为0")
_COUNT = re.compile(
    r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+|[零〇一二两三四五六七八九十百千万]+)(?:余|多)?(?:件|个|条|份|起|宗|项|部)"
)
_SENTENCE = re.compile(r"[^。！？!?；;\n]+")


@frozen
class MustMention:
    """``must_mention``: each of ``cells`` is stated in a sentence of ``sections`` holding a ``near`` word."""

    code: str
    severity: Severity
    cells: tuple[str, ...]
    near: tuple[str, ...]
    sections: tuple[str, ...]
    message: str

    def check(self, report: AnnualReport) -> Iterator[Finding]:
        fields = [field for path in self.sections for field in _section_paths(report.format)[path].fields]
        texts = {s.field: s.text for s in text_sections(report)}
        sentences = [
            m.group()
            for field in fields
            for m in _SENTENCE.finditer(texts[field])
            if any(word in m.group() for word in self.near)
        ]
        stated: set[int] = set()
        negated = False
        for sentence in sentences:
            for m in _COUNT.finditer(sentence):
                value = parse_count(m.group(1))
                if value is not None:
                    stated.add(value)
            negated = negated or bool(_NEGATION.search(sentence))
        paths = _section_paths(report.format)
        where = paths[self.sections[0]] if len(self.sections) == 1 else None
        location = where.location if where else Location(section="、".join(paths[p].name for p in self.sections))
        section_name = where.name if where else "、".join(paths[p].name for p in self.sections)
        for key in self.cells:
            cell = _cells(report.format).get(key)
            if cell is None:
                continue  # a cell of another format
            try:
                figure = cell.value(report)
            except (TypeError, ValueError, KeyError, AttributeError):
                continue
            if not isinstance(figure, int) or isinstance(figure, bool):
                continue  # value.not_number reports it
            value = figure
            if value in stated or (value == 0 and negated):
                continue
            values = {"cell": cell.label, "value": value, "section": section_name}
            yield Finding(self.code, self.severity, location, _fill(self.message, values))


@frozen
class RequireText:
    """``require_text``: the text of ``section`` holds at least one of ``phrases`` (plain text)."""

    code: str
    severity: Severity
    section: str
    phrases: tuple[str, ...]
    message: str

    def check(self, report: AnnualReport) -> Iterator[Finding]:
        where = _section_paths(report.format)[self.section]
        texts = {s.field: s.text for s in text_sections(report)}
        text = "\n".join(texts[field] for field in where.fields)
        if not any(phrase in text for phrase in self.phrases):
            values = {"section": where.name, "phrases": "、".join(f"“{p}”" for p in self.phrases)}
            yield Finding(self.code, self.severity, where.location, _fill(self.message, values))


PackRule = MaxLength | MustMention | RequireText


@frozen
class RulePack:
    """A loaded rule pack: its name, what it asks for, where it came from, and its rules in order."""

    name: str
    description: str
    source: str
    rules: tuple[PackRule, ...]

    def check(self, report: AnnualReport) -> list[Finding]:
        """The findings of every rule of the pack, in the pack's order."""
        return [finding for rule in self.rules for finding in rule.check(report)]


# ---------------------------------------------------------------------------------------------------
# Reading a pack
# ---------------------------------------------------------------------------------------------------


@frozen
class _Kind:
    build: Callable[..., PackRule]
    keys: tuple[str, ...]  #: the kind's own keys (besides kind, code, severity, message)
    required: tuple[str, ...]
    placeholders: tuple[str, ...]
    message: str  #: the default template


KINDS: dict[str, _Kind] = {
    "max_length": _Kind(
        MaxLength,
        ("section", "max"),
        ("section", "max"),
        ("section", "length", "max"),
        "“{section}”共 {length} 字，超过 {max} 字的限制；请精简",
    ),
    "must_mention": _Kind(
        MustMention,
        ("cells", "near", "sections"),
        ("cells", "near"),
        ("cell", "value", "section"),
        "正文没有写明{cell}（表中为 {value}）；请在“{section}”中写明",
    ),
    "require_text": _Kind(
        RequireText,
        ("section", "phrases"),
        ("section", "phrases"),
        ("section", "phrases"),
        "“{section}”中没有写到{phrases}；请补充",
    ),
}
_COMMON_KEYS = ("kind", "code", "severity", "message")
_PACK_KEYS = ("name", "description", "rules")
_CODE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
#: The section keys a rule pack may name (the same in every format).
_SECTIONS = _section_paths(formats.NEWEST)
#: The cells a rule pack may name: those of any format (a rule on a cell another format lacks stays quiet).
_CELLS = {key: cell for layout in formats.all_formats() for key, cell in _cells(layout.id).items()}


class _Reader:
    """Checks one pack's data, collecting every problem with its key path."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def string(self, data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(where, "缺少此键")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(where, f"应为非空文字，而不是 {value!r}")
            return None
        if len(value) > MAX_STRING_CHARS:
            self.problem(where, f"过长（{len(value)} 字，上限 {MAX_STRING_CHARS}）")
            return None
        return value

    def strings(self, data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(where, "缺少此键")
            return ()
        if not isinstance(value, list) or not value or len(value) > MAX_LIST_ITEMS:
            self.problem(where, f'应为 1 至 {MAX_LIST_ITEMS} 项文字的列表，如 ["政务公开", "回应关切"]')
            return ()
        items = []
        for i, item in enumerate(value):
            text = self.string({"item": item}, "item", f"{where}[{i}]")
            if text is not None:
                items.append(text)
        return tuple(items)

    def choice(self, value: str | None, allowed: Mapping[str, object], where: str, what: str) -> str | None:
        if value is None:
            return None
        if value not in allowed:
            self.problem(where, f"未知的{what}“{value}”，可用：{'、'.join(allowed)}")
            return None
        return value

    def template(self, text: str, placeholders: tuple[str, ...], where: str) -> str | None:
        try:
            fields = list(string.Formatter().parse(text))
        except ValueError:
            self.problem(where, "花括号不成对；要写花括号本身，请写 {{ 或 }}")
            return None
        allowed = "、".join(f"{{{p}}}" for p in placeholders)
        for _, name, spec, conversion in fields:
            if name is None:
                continue
            if name not in placeholders or spec or conversion:
                self.problem(where, f"消息模板中的“{{{name}}}”无法填写；可用：{allowed}")
                return None
        return text

    def rule(self, data: object, where: str) -> PackRule | None:
        if not isinstance(data, dict):
            self.problem(where, "每条规则应为一个表（[[rules]]）")
            return None
        before = len(self.problems)
        kind_name = self.choice(self.string(data, "kind", f"{where}.kind"), KINDS, f"{where}.kind", "规则类型")
        if kind_name is None:
            return None
        kind = KINDS[kind_name]
        for key in data:
            if key not in _COMMON_KEYS and key not in kind.keys:
                allowed = "、".join((*_COMMON_KEYS, *kind.keys))
                self.problem(f"{where}.{key}", f"未知的键；{kind_name} 规则可用的键：{allowed}")
        code = self.string(data, "code", f"{where}.code")
        if code is not None and not _CODE.fullmatch(code):
            self.problem(f"{where}.code", f"代码“{code}”应为小写英文、以点分隔，如 local.overview_length")
        severity_name = self.string(data, "severity", f"{where}.severity", required=False) or Severity.WARNING.value
        severities = {s.value: s for s in Severity}
        self.choice(severity_name, severities, f"{where}.severity", "严重程度")
        template = self.string(data, "message", f"{where}.message", required=False) or kind.message
        message = self.template(template, kind.placeholders, f"{where}.message")
        own: dict[str, Any] = {}
        if kind_name == "max_length":
            own["section"] = self.choice(
                self.string(data, "section", f"{where}.section"), _SECTIONS, f"{where}.section", "节"
            )
            limit = data.get("max")
            if limit is None:
                self.problem(f"{where}.max", "缺少此键")
            elif isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_LENGTH_LIMIT:
                self.problem(f"{where}.max", f"应为 1 至 {MAX_LENGTH_LIMIT} 的整数（字数），而不是 {limit!r}")
            own["limit"] = limit
        elif kind_name == "must_mention":
            cells = self.strings(data, "cells", f"{where}.cells")
            for i, cell in enumerate(cells):
                if cell not in _CELLS:
                    self.problem(
                        f"{where}.cells[{i}]",
                        f"未知的表格单元“{cell}”；请写模型路径，如 proactive.normative_documents.in_force、"
                        "applications.new.total、review_litigation.review.total",
                    )
            own["cells"] = cells
            own["near"] = self.strings(data, "near", f"{where}.near")
            sections = self.strings(data, "sections", f"{where}.sections", required=False) or tuple(
                p for p in _SECTIONS if p in ("preamble", "overview", "problems", "other")
            )
            for i, path in enumerate(sections):
                self.choice(path, _SECTIONS, f"{where}.sections[{i}]", "节")
            own["sections"] = sections
        else:
            own["section"] = self.choice(
                self.string(data, "section", f"{where}.section"), _SECTIONS, f"{where}.section", "节"
            )
            own["phrases"] = self.strings(data, "phrases", f"{where}.phrases")
        if len(self.problems) > before:
            return None
        return kind.build(code=code, severity=severities[severity_name], message=message, **own)

    def pack(self, data: Mapping[str, Any], source: str) -> RulePack | None:
        for key in data:
            if key not in _PACK_KEYS:
                self.problem(key, f"未知的键；规则包可用的键：{'、'.join(_PACK_KEYS)}")
        name = self.string(data, "name", "name")
        description = self.string(data, "description", "description")
        raw_rules = data.get("rules")
        rules: list[PackRule] = []
        if not isinstance(raw_rules, list) or not raw_rules:
            self.problem("rules", "缺少规则；请用 [[rules]] 写至少一条规则")
        elif len(raw_rules) > MAX_RULES:
            self.problem("rules", f"规则过多（{len(raw_rules)} 条，上限 {MAX_RULES}）")
        else:
            codes: dict[str, int] = {}
            for i, raw in enumerate(raw_rules):
                rule = self.rule(raw, f"rules[{i}]")
                if rule is None:
                    continue
                if rule.code in codes:
                    self.problem(f"rules[{i}].code", f"代码“{rule.code}”与 rules[{codes[rule.code]}] 重复")
                codes.setdefault(rule.code, i)
                rules.append(rule)
        if self.problems or name is None or description is None:
            return None
        return RulePack(name, description, source, tuple(rules))


def loads_pack(text: str, source: str = "<string>") -> RulePack:
    """A rule pack from the text of a TOML file; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulePackError(f"不是有效的 TOML：{exc}；请检查该处的引号、括号和等号", source=source) from None
    reader = _Reader()
    pack = reader.pack(data, source)
    if pack is None:
        count = len(reader.problems)
        raise RulePackError(f"规则包无法使用，发现 {count} 处问题", source=source, problems=reader.problems)
    return pack


def _read(path: Path, source: str) -> str:
    try:
        raw = read_at_most(path, MAX_PACK_BYTES)
    except FileNotFoundError:
        raise RulePackError("找不到规则包文件；请检查路径", source=source) from None
    except IsADirectoryError:
        raise RulePackError("这是一个文件夹；请给出规则包文件（.toml）的路径", source=source) from None
    except OSError as exc:
        raise RulePackError(f"无法读取规则包文件：{exc.strerror or exc}", source=source) from None
    if raw is None:
        raise RulePackError(f"文件过大（超过上限 {MAX_PACK_BYTES} 字节），不像是规则包", source=source)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RulePackError("文件不是 UTF-8 编码；请用 UTF-8 保存规则包", source=source) from None


def available_packs() -> list[str]:
    """The names of the packs shipped with reportkit, sorted."""
    folder = importlib.resources.files(__name__)
    return sorted(entry.name[: -len(SUFFIX)] for entry in folder.iterdir() if entry.name.endswith(SUFFIX))


def load_pack(name_or_path: str | os.PathLike[str]) -> RulePack:
    """A shipped pack by name (``strict-text``) or a pack file by path (a value with a path separator or
    ending in ``.toml``); raises :class:`RulePackError` naming the file and the key of every problem."""
    text = os.fspath(name_or_path)
    looks_like_path = (
        not isinstance(name_or_path, str) or "/" in text or os.sep in text or text.lower().endswith(SUFFIX)
    )
    if looks_like_path:
        return loads_pack(_read(Path(text), text), text)
    if text not in available_packs():
        shipped = "、".join(available_packs())
        raise RulePackError(
            f"没有名为“{text}”的内置规则包；内置的有：{shipped}。自己的规则包请给出文件路径（如 ./本地规则.toml）"
        )
    resource = importlib.resources.files(__name__) / f"{text}{SUFFIX}"
    source = f"reportkit/rulepacks/{text}{SUFFIX}"
    return loads_pack(resource.read_text(encoding="utf-8"), source)


# ---------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------


def add_rules_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--rules NAME|FILE`` to a sub-command (``check``, ``batch``); read it with :func:`pack_from_args`."""
    shipped = "、".join(available_packs())
    parser.add_argument(
        "--rules",
        metavar="NAME|FILE",
        default=None,
        help=f"再按本地规则包检查：内置规则包的名称（{shipped}），或规则包文件（.toml）的路径",
    )


def pack_from_args(args: argparse.Namespace) -> RulePack | None:
    """The pack ``--rules`` names, or None without the option; raises :class:`RulePackError` (a
    :class:`ReportkitError`, so the command line prints it and exits with 2)."""
    value = getattr(args, "rules", None)
    return load_pack(value) if value else None
