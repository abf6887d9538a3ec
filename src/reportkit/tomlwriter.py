"""Writing figures files as TOML that a person can read and edit.

The standard library reads TOML but does not write it. This writer knows the shapes a figures file
has (tables of scalars, rows as short lists, long texts) and lays them out the way a person would:
a row of table 三 on one line, multi-paragraph texts as multi-line strings, and, on request, the
official label of every key as a comment above it (taken from the report's format value).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from attrs import frozen

from reportkit.field_labels import AGENCY_GROUP, label_of
from reportkit.formats.layout import CellKind, Group, Leaf, ValueType, label_path, leaves
from reportkit.values import format_amount

__all__ = ["Example", "field_comments", "toml_text"]


@frozen
class Example:
    """A key left out of the file, written as a commented line (``# signed_on = YYYY-MM-DD``) so a person
    sees where to fill it in; ``text`` is written as is."""

    text: str


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\f": "\\f", "\r": "\\r"}


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _escape(text: str, *, keep_newlines: bool) -> str:
    out = []
    for char in text:
        if char == "\n" and keep_newlines:
            out.append(char)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def _string(text: str) -> str:
    if "\n" in text:
        # The newline right after the opening quotes is trimmed by TOML readers.
        return '"""\n' + _escape(text, keep_newlines=True) + '"""'
    return '"' + _escape(text, keep_newlines=False) + '"'


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format_amount(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _is_inline(value: Any) -> bool:
    """Tables of scalars (a row with its total, a block of table 二) stay on one line."""
    if isinstance(value, Mapping):
        return all(not isinstance(v, Mapping | list | str | Example) for v in value.values())
    return True


def toml_text(data: Mapping[str, Any], *, comments: Mapping[str, str] | None = None) -> str:
    """``data`` as TOML; ``comments`` maps dotted key paths to a comment written above the key."""
    notes = comments or {}
    lines: list[str] = []

    def comment(path: str) -> None:
        for line in notes.get(path, "").splitlines():
            lines.append(f"# {line}".rstrip())

    def table(prefix: str, values: Mapping[str, Any]) -> None:
        nested = []
        for key, value in values.items():
            path = f"{prefix}.{key}" if prefix else key
            # Top-level tables are always sections ([agency], [report] …), as the schema shows them.
            if isinstance(value, Mapping) and (not prefix or not _is_inline(value)):
                nested.append((path, value))
                continue
            comment(path)
            if isinstance(value, Example):
                lines.append(f"# {_key(key)} = {value.text}")
            else:
                lines.append(f"{_key(key)} = {_scalar(value)}")
        for path, value in nested:
            lines.append("")
            comment(path)
            lines.append(f"[{'.'.join(_key(part) for part in path.split('.'))}]")
            table(path, value)

    table("", data)
    return "\n".join(lines).strip("\n") + "\n"


@cache
def _comments(format_id: str) -> dict[str, str]:
    from reportkit.formats import get_format

    layout = get_format(format_id)
    years = f"{layout.first_year}—{layout.last_year}年度" if layout.last_year else f"{layout.first_year}年度起"
    notes: dict[str, str] = {
        "format": f"报告格式：{layout.notice}（{years}）",
        "agency": AGENCY_GROUP,
        "agency.name": f"{label_of('agency.name')}（落款所用全称）",
        "agency.title_name": f"{label_of('agency.title_name')}（不填则与落款相同）",
        "agency.kind": "机关类型：government（人民政府）、department（部门）、township（乡镇）、subdistrict（街道）",
        "report": "报告年度与日期",
        "report.year": label_of("report.year"),
        "report.signed_on": f"{label_of('report.signed_on')}（落款日期），如 2022-01-19（必填；填写时删去行首的“# ”）",
        "report.published_on": f"{label_of('report.published_on')}（可不填）",
        "report.preamble": f"{label_of('report.preamble')}：标题之后、“{layout.overview.heading}”之前的段落（可不填）",
        "overview": f"{layout.overview.heading}（段落之间空一行）",
        "overview.intro": f"“{layout.overview.heading}”标题下、分项之前的{label_of('overview.intro')}段落（可不填）",
        "overview.accountability": f"{layout.accountability.heading}（人民政府必填）",
        "proactive": layout.proactive.heading,
        "review_litigation": layout.review_litigation.heading,
        "problems": layout.problems.heading,
        "other": layout.other.heading,
    }
    if layout.information_fee is not None:
        notes["other.information_fees"] = (
            f"{layout.information_fee}：notices 收费通知件数，"
            "notified_yuan 通知金额（元），collected_yuan 实收金额（元）"
        )
    for sub in layout.overview_subsections:
        notes[f"overview.{sub.key}"] = sub.heading
    for block in layout.proactive_blocks:
        for row in block.rows:
            parts = []
            for column in block.columns:
                value_type = block.value_type(row, column)
                note = "，可为负数" if value_type is ValueType.SIGNED_COUNT else ""
                if value_type is ValueType.AMOUNT:
                    unit_key = block.unit_key(row, column).rpartition(".")[2]
                    note = f"，单位写在 {unit_key}：元 或 万元"
                parts.append(f"{column.key} {column.label}{note}")
            notes[f"proactive.{row.key}"] = (
                f"{block.title} {row.label}：{'，'.join(parts)}"
                if len(block.columns) > 1
                else f"{block.title} {row.label}（{block.columns[0].label}）"
            )
    table = layout.applications_table
    order = "、".join(c.label for c in table.input_columns)
    notes["applications"] = (
        f"{layout.applications.heading}\n每行依次填六类申请人：{order}\n"
        "（总计由程序计算；如要核对已填写的总计，可写成表并加 total）"
    )
    for node in table.rows:
        _row_comments(node, "applications", notes, table.rows)
    columns = layout.review_litigation_table.columns
    for leaf in leaves(columns):
        group, _, _outcome = leaf.key.partition(".")
        if leaf.kind is CellKind.TOTAL:
            path = label_path(columns, leaf.key)[:-1]
            outcomes = "，".join(
                f"{sibling.key.partition('.')[2]} {sibling.label}"
                for sibling in leaves(columns)
                if sibling.key.startswith(f"{group}.") and sibling.kind is CellKind.INPUT
            )
            notes[f"review_litigation.{group}"] = f"{''.join(path)}：{outcomes}"
    return notes


def field_comments(format_id: str | None = None) -> dict[str, str]:
    """The official label of every figures-file key of a format (the newest by default), for annotated
    TOML files; computed once per format."""
    from reportkit.formats import NEWEST

    return _comments(format_id or NEWEST)


def _row_comments(node: Group | Leaf, prefix: str, notes: dict[str, str], rows: tuple[Group | Leaf, ...]) -> None:
    if isinstance(node, Leaf):
        if node.kind is CellKind.TOTAL:
            notes[f"{prefix}.total"] = f"{node.label}（由程序计算；填写则作为核对值）"
        else:
            notes[f"{prefix}.{node.key}"] = "".join(label_path(rows, node.key))
        return
    if node.key:
        notes[f"{prefix}.{node.key}"] = node.label
    for child in node.children:
        _row_comments(child, prefix, notes, rows)
