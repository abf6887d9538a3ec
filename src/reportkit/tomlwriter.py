"""Writing figures files as TOML that a person can read and edit.

The standard library reads TOML but does not write it. This writer knows the shapes a figures file
has (tables of scalars, rows as short lists, long texts) and lays them out the way a person would:
a row of table 三 on one line, multi-paragraph texts as multi-line strings, and, on request, the
official label of every key as a comment above it (taken from the format module).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from attrs import frozen

from reportkit.formats import gov2021 as fmt
from reportkit.formats.layout import CellKind, Group, Leaf, label_path, leaves
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
def field_comments() -> dict[str, str]:
    """The official label of every figures-file key, for annotated TOML files."""
    notes: dict[str, str] = {
        "format": f"报告格式：{fmt.NOTICE}",
        "agency": "发布机关",
        "agency.name": "机关名称（落款所用全称）",
        "agency.title_name": "标题中的机关名称（不填则与落款相同）",
        "agency.kind": "机关类型：government（人民政府）、department（部门）、township（乡镇）、subdistrict（街道）",
        "report": "报告年度与日期",
        "report.year": "报告年度",
        "report.signed_on": "成文日期（落款日期），如 2022-01-19（必填；填写时删去行首的“# ”）",
        "report.published_on": "公布日期（可不填）",
        "report.preamble": f"开篇说明：标题之后、“{fmt.OVERVIEW.heading}”之前的段落（可不填）",
        "overview": f"{fmt.OVERVIEW.heading}（段落之间空一行）",
        "overview.intro": f"“{fmt.OVERVIEW.heading}”标题下、分项之前的概述段落（可不填）",
        "overview.accountability": f"{fmt.ACCOUNTABILITY.heading}（人民政府必填）",
        "proactive": fmt.PROACTIVE.heading,
        "review_litigation": fmt.REVIEW_LITIGATION.heading,
        "problems": fmt.PROBLEMS.heading,
        "other": fmt.OTHER.heading,
        "other.information_fees": (
            f"{fmt.INFORMATION_FEE}：notices 收费通知件数，notified_yuan 通知金额（元），collected_yuan 实收金额（元）"
        ),
    }
    for sub in fmt.OVERVIEW_SUBSECTIONS:
        notes[f"overview.{sub.key}"] = sub.heading
    for block in fmt.PROACTIVE_BLOCKS:
        for row in block.rows:
            columns = "，".join(f"{c.key} {c.label}" for c in block.columns)
            notes[f"proactive.{row.key}"] = (
                f"{block.title} {row.label}：{columns}"
                if len(block.columns) > 1
                else f"{block.title} {row.label}（{block.columns[0].label}）"
            )
    table = fmt.APPLICATIONS_TABLE
    order = "、".join(c.label for c in table.input_columns)
    notes["applications"] = (
        f"{fmt.APPLICATIONS.heading}\n每行依次填六类申请人：{order}\n"
        "（总计由程序计算；如要核对已填写的总计，可写成表并加 total）"
    )
    for node in table.rows:
        _row_comments(node, "applications", notes)
    for leaf in leaves(fmt.REVIEW_LITIGATION_TABLE.columns):
        group, _, _outcome = leaf.key.partition(".")
        if leaf.kind is CellKind.TOTAL:
            path = label_path(fmt.REVIEW_LITIGATION_TABLE.columns, leaf.key)[:-1]
            outcomes = "，".join(
                f"{sibling.key.partition('.')[2]} {sibling.label}"
                for sibling in leaves(fmt.REVIEW_LITIGATION_TABLE.columns)
                if sibling.key.startswith(f"{group}.") and sibling.kind is CellKind.INPUT
            )
            notes[f"review_litigation.{group}"] = f"{''.join(path)}：{outcomes}"
    return notes


def _row_comments(node: Group | Leaf, prefix: str, notes: dict[str, str]) -> None:
    if isinstance(node, Leaf):
        if node.kind is CellKind.TOTAL:
            notes[f"{prefix}.total"] = f"{node.label}（由程序计算；填写则作为核对值）"
        else:
            notes[f"{prefix}.{node.key}"] = "".join(label_path(fmt.APPLICATIONS_TABLE.rows, node.key))
        return
    if node.key:
        notes[f"{prefix}.{node.key}"] = node.label
    for child in node.children:
        _row_comments(child, prefix, notes)
