"""The contract of a Word template: what ``reportkit template check`` verifies, and what rendering with a custom
template refuses.

:func:`check_docx_template` is what ``reportkit template check`` runs on a template an office restyled in Word
or WPS: it names unknown placeholders and where they stand, required placeholders that were removed, broken
Jinja tags by their place in the document, official tables that lost a label or a merge, and a template made
for another format version. Everything is checked against the format the template names (its official tables,
the placeholders of its context).
"""

from __future__ import annotations

import collections
import functools
import io
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attrs import frozen

from reportkit.errors import Problem, TemplateError
from reportkit.formats import FORMATS, get_format
from reportkit.formats.layout import ProactiveBlock, Table, label_grid
from reportkit.ooxml.package import read_custom_properties
from reportkit.render.docx_template import (
    _ENV,
    OPTIONAL_PLACEHOLDERS,
    REQUIRED_ALTERNATIVES,
    compile_docx_template,
    context_schema,
    describe_place,
    placeholder_descriptions,
    sample_context,
)
from reportkit.safezip import inspect_archive
from reportkit.templates import FORMAT_PROPERTY

__all__ = ["check_docx_template", "check_official_tables", "contract_problems", "official_tables"]


# ---------------------------------------------------------------------------------------------------
# The official tables of a Word document
# ---------------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


@frozen
class _Expected:
    """A label cell the format requires: its grid rectangle and its text."""

    row: int
    column: int
    rows: int
    columns: int
    label: str


def _table_cells(table: Table) -> list[_Expected]:
    """The label cells of a row-tree × column-tree table (tables 三 and 四) on its grid."""
    return [_Expected(c.row, c.column, c.rows, c.columns, c.label) for c in label_grid(table)]


def _proactive_cells(blocks: tuple[ProactiveBlock, ...]) -> list[_Expected]:
    """The label cells of table 二: per block a title row, a header row and the data rows, on 4 columns."""
    width = 1 + max(len(b.columns) for b in blocks)
    cells: list[_Expected] = []
    row = 0
    for block in blocks:
        cells.append(_Expected(row, 0, 1, width, block.title))
        row += 1
        cells.append(_Expected(row, 0, 1, 1, block.content_header))
        start = 1
        for column, span in zip(block.columns, block.value_spans(width - 1), strict=True):
            cells.append(_Expected(row, start, 1, span, column.label))
            start += span
        row += 1
        for leaf in block.rows:
            cells.append(_Expected(row, 0, 1, 1, leaf.label))
            row += 1
    return cells


def official_tables(format_id: str) -> dict[str, tuple[str, list[_Expected]]]:
    """For each official table of a format: its section heading and its label cells."""
    layout = get_format(format_id)
    return {
        "proactive": (layout.proactive.heading, _proactive_cells(layout.proactive_blocks)),
        "applications": (layout.applications.heading, _table_cells(layout.applications_table)),
        "review_litigation": (layout.review_litigation.heading, _table_cells(layout.review_litigation_table)),
    }


def _grid(table: Any) -> list[list[Any]]:
    """A python-docx table as a grid of ``w:tc`` elements (a merged cell fills its whole rectangle)."""
    grid: list[list[Any]] = []
    for r, tr in enumerate(table._tbl.tr_lst):
        row: list[Any] = []
        for tc in tr.tc_lst:
            span = tc.grid_span
            vmerge = tc.vMerge
            owner = tc
            if vmerge == "continue" and r > 0:
                column = len(row)
                above = grid[r - 1]
                owner = above[column] if column < len(above) else tc
            row.extend([owner] * span)
        grid.append(row)
    return grid


def _cell_text(tc: Any) -> str:
    from docx.oxml.ns import qn

    return "".join(t.text or "" for t in tc.iter(qn("w:t")))


def _find_table(tables: list[Any], cells: list[_Expected]) -> tuple[int, Any] | None:
    """The table holding the most of the expected labels, if it holds at least half of them (a table that
    shares a few common labels such as “其他” with a deleted one is not that table)."""
    best: tuple[int, int, Any] | None = None
    wanted = {_norm(cell.label) for cell in cells}
    for number, table in enumerate(tables, start=1):
        texts = {_norm(_cell_text(tc)) for tr in table._tbl.tr_lst for tc in tr.tc_lst}
        score = len(wanted & texts)
        if 2 * score >= len(wanted) and (best is None or score > best[0]):
            best = (score, number, table)
    return (best[1], best[2]) if best else None


def check_official_tables(document: Any, format_id: str) -> list[Problem]:
    """Each official table of ``format_id`` in a python-docx ``document``: every label in its cell,
    merged exactly as the format has it."""
    problems: list[Problem] = []
    tables = list(document.tables)
    for heading, cells in official_tables(format_id).values():
        located = _find_table(tables, cells)
        if located is None:
            problems.append(Problem(heading, "找不到该节的官方表格（表内的官方标签都已不在）"))
            continue
        number, table = located
        grid = _grid(table)
        spans = collections.Counter(id(tc) for row in grid for tc in row)  # grid positions of each cell
        where = f"{heading}（第{number}个表格）"
        for cell in cells:
            rows, cols = cell.row + cell.rows, cell.column + cell.columns
            if rows > len(grid) or any(cols > len(grid[r]) for r in range(cell.row, rows)):
                problems.append(
                    Problem(
                        where,
                        f"“{cell.label}”所在的行列与官方格式不同（单元格被删除或合并被改动；"
                        f"应从第{cell.row + 1}行第{cell.column + 1}列起占 {cell.rows} 行 × {cell.columns} 列）",
                    )
                )
                continue
            owner = grid[cell.row][cell.column]
            text = _norm(_cell_text(owner))
            if text != _norm(cell.label):
                found = f"“{_cell_text(owner).strip()}”" if text else "空白"
                problems.append(
                    Problem(
                        f"{where}第{cell.row + 1}行第{cell.column + 1}列", f"应为官方标签“{cell.label}”，现为{found}"
                    )
                )
                continue
            merged = all(grid[r][c] is owner for r in range(cell.row, rows) for c in range(cell.column, cols))
            outside = spans[id(owner)] != cell.rows * cell.columns  # linear: a huge table costs no more
            if not merged or outside:
                problems.append(
                    Problem(
                        f"{where}第{cell.row + 1}行第{cell.column + 1}列",
                        f"“{cell.label}”的单元格合并与官方格式不同（应占 {cell.rows} 行 × {cell.columns} 列）",
                    )
                )
    return problems


# ---------------------------------------------------------------------------------------------------
# Placeholders of a Word template
# ---------------------------------------------------------------------------------------------------


def _stored_names(node: Any) -> set[str]:
    from jinja2 import nodes

    names = {"loop", "super", "self", "varargs", "kwargs", "caller"}
    for found in node.find_all(nodes.Name):
        if found.ctx in ("store", "param"):
            names.add(found.name)
    for macro in node.find_all(nodes.Macro):
        names.add(macro.name)
    return names


def _chain(node: Any) -> tuple[str, ...] | None:
    """``a.b["c"]`` as ("a", "b", "c"); None when the chain does not start at a plain name."""
    from jinja2 import nodes

    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
            node = node.node
        elif isinstance(node, nodes.Name):
            parts.append(node.name)
            return tuple(reversed(parts))
        else:
            return None


def _uses(node: Any, local: set[str]) -> Iterator[tuple[tuple[str, ...], int]]:
    """Every placeholder path a Jinja AST reads, with its template line."""
    from jinja2 import nodes

    if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name):
        chain = _chain(node)
        if chain is not None:
            if chain[0] not in local and not (isinstance(node, nodes.Name) and node.ctx != "load"):
                yield chain, node.lineno
            if isinstance(node, nodes.Getitem):
                yield from _uses(node.arg, local)
            return
    for child in node.iter_child_nodes():
        yield from _uses(child, local)


def _resolve(schema: dict[str, Any], chain: tuple[str, ...]) -> bool:
    value: Any = schema
    for part in chain:
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


# ---------------------------------------------------------------------------------------------------
# The contract of a Word template
# ---------------------------------------------------------------------------------------------------

#: How much a problem weighs: a person reads the decisive one first.
_NOT_A_TEMPLATE, _OFFICIAL_TABLE, _BROKEN_TAG, _UNKNOWN, _MISSING = range(5)
#: Placeholders of the sign-off, grouped like the placeholders of a table.
_SIGNOFF = ("落款", ("agency", "signed_on"))


def _format_problems(declared: str | None, format_id: str | None) -> list[Problem]:
    """A template that does not name a format reportkit knows (or not the one wanted)."""
    if not declared:
        return [
            Problem(
                "文档属性",
                f"模板没有注明所服务的报告格式（自定义属性 {FORMAT_PROPERTY}）；请以内置模板为底稿修改，勿新建文档",
            )
        ]
    if declared not in FORMATS:
        known = "、".join(FORMATS)
        return [Problem("文档属性", f"模板服务的报告格式“{declared}”本版本不支持；支持的格式：{known}")]
    if format_id is not None and declared != format_id:
        return [Problem("文档属性", f"模板服务的报告格式为“{declared}”，而需要的是“{format_id}”；请换用对应格式的模板")]
    return []


def _table_problems(data: bytes, declared: str, source: str) -> list[tuple[int, Problem]]:
    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for a broken package
        return [(_NOT_A_TEMPLATE, Problem(source, f"Word 文档无法打开：{exc}"))]
    return [(_OFFICIAL_TABLE, problem) for problem in check_official_tables(document, declared)]


def _placeholder_problems(compiled: Any, declared: str) -> list[tuple[int, Problem]]:
    """Unknown placeholders by their place; missing ones grouped by table (one line when a table lost several)."""
    ranked: list[tuple[int, Problem]] = []
    schema = context_schema(declared)
    described = placeholder_descriptions(declared)
    used: set[str] = set()
    for part in compiled.parts:
        try:
            ast = _ENV.parse(part.source)
            uses = list(_uses(ast, _stored_names(ast)))
        except RecursionError:
            ranked.append((_BROKEN_TAG, Problem(part.label, "模板语句嵌套过深，无法分析")))
            continue
        for chain, lineno in uses:
            dotted = ".".join(chain)
            if any(name.startswith("_") for name in chain):
                message = f"模板访问了不允许访问的内容，已被安全沙箱阻止：“{dotted}”"
                ranked.append((_UNKNOWN, Problem(describe_place(part, lineno), message)))
            elif not _resolve(schema, chain):
                ranked.append((_UNKNOWN, Problem(describe_place(part, lineno), f"未知的占位符“{dotted}”")))
            else:
                used.update(p for p in described if p == dotted or p.startswith(dotted + "."))
    for alternatives in REQUIRED_ALTERNATIVES:
        if not used.intersection(alternatives):
            shown = "或".join(f"“{a}”" for a in alternatives)
            ranked.append((_MISSING, Problem("模板", f"缺少必需的占位符{shown}（{described[alternatives[0]]}）")))
    required = [p for p in described if p not in OPTIONAL_PLACEHOLDERS]
    groups = [
        (f"“{heading}”表格", [p for p in required if p.startswith(f"{key}.")])
        for key, (heading, _) in official_tables(declared).items()
    ]
    groups.append((_SIGNOFF[0], [p for p in required if p in _SIGNOFF[1]]))
    grouped: set[str] = set()
    for label, members in groups:
        lost = [p for p in members if p not in used]
        if len(lost) < 2:
            continue
        if len(lost) == len(members):
            summary = f"全部 {len(lost)} 个占位符都不在了（表格或段落已被删除）；请从内置模板复制回来"
        else:
            summary = f"缺少 {len(lost)} 个占位符（共 {len(members)} 个），逐个列在后面"
        ranked.append((_MISSING, Problem(label, summary)))
        ranked.extend((_MISSING, _missing(label, p, described[p])) for p in lost)
        grouped.update(lost)
    ranked.extend((_MISSING, _missing("模板", p, described[p])) for p in required if p not in used | grouped)
    return ranked


def _missing(where: str, placeholder: str, meaning: str) -> Problem:
    return Problem(where, f"缺少必需的占位符“{placeholder}”（{meaning}）")


def _trial_render_problems(compiled: Any, declared: str, seen: set[str]) -> list[tuple[int, Problem]]:
    """Render a sample report with the guards of a custom template: errors that only show at run time
    (a loop that never ends, a string too long, 1/0), except at places already named."""
    try:
        compiled.render(sample_context(declared))
    except TemplateError as exc:
        found = list(exc.problems) or [Problem(compiled.source, "")]
        return [
            (_BROKEN_TAG, Problem(problem.where, f"试生成示例报告时出错（{exc.summary}）：{problem.message}"))
            for problem in found
            if problem.where not in seen
        ]
    return []


def _ordered(ranked: list[tuple[int, Problem]]) -> list[Problem]:
    return [problem for _, problem in sorted(ranked, key=lambda item: item[0])]


def contract_problems(data: bytes, compiled: Any, format_id: str | None = None) -> list[Problem]:
    """What keeps a compiled Word template from serving its format, the decisive problem first: the format
    it names, its official tables, broken tags and errors of a trial render (a sample report, with the
    guards of a custom template), unknown placeholders, missing placeholders (grouped by table).
    ``data`` is the template file (for its tables).

    Rendering with a custom template refuses a template with any of these (computed once per process)."""
    declared = compiled.format_id
    front = _format_problems(declared, format_id) or _unsupported(declared)
    if front:
        return front
    ranked = _table_problems(data, declared, compiled.source) + _placeholder_problems(compiled, declared)
    ranked += _trial_render_problems(compiled, declared, {problem.where for _, problem in ranked})
    return _ordered(ranked)


@functools.lru_cache(maxsize=8)  # keyed by format
def _word_output_of(format_id: str) -> bool:
    """Whether a report of the format can be rendered to Word: its context can be built (a format the model does
    not hold yet, such as a new format's table 二, cannot)."""
    try:
        context_schema(format_id)
    except (AttributeError, KeyError, TypeError, ValueError):
        return False
    return True


def _unsupported(declared: str | None) -> list[Problem]:
    if declared is None or _word_output_of(declared):
        return []
    return [Problem("文档属性", f"本版本还不能按报告格式“{declared}”生成 Word 文档，因此无法检查此模板")]


def check_docx_template(path: str | os.PathLike[str], format_id: str | None = None) -> list[Problem]:
    """What is wrong with a Word template (an empty list when it can serve), the decisive problem first
    (see :func:`contract_problems`); this is what ``reportkit template check`` prints.

    ``format_id`` is the format the template must serve (by default: the one it names, which must be
    a format reportkit knows).
    """
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError:
        return [Problem(source, "文件不存在或无法读取")]
    try:
        inspect_archive(data, error=TemplateError, name=source, what="Word 模板（.docx）")
    except TemplateError as exc:
        return [Problem(source, exc.summary)]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            properties = read_custom_properties(package)
    except zipfile.BadZipFile:
        return [Problem(source, "不是有效的 Word（.docx）文件")]
    declared = properties.get(FORMAT_PROPERTY)
    front = _format_problems(declared, format_id)
    if front or declared is None:
        return front
    try:
        compiled = compile_docx_template(data, source=source)
    except TemplateError as exc:
        if not exc.problems:  # not a Word document at all
            return [Problem(source, exc.summary)]
        return _ordered([(_BROKEN_TAG, problem) for problem in exc.problems] + _table_problems(data, declared, source))
    return contract_problems(data, compiled)
