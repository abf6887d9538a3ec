"""``reportkit audit``: read published reports back and check them.

``reportkit audit FILE_OR_FOLDER… [--previous FILE] [--json] [-o DIR] [--jobs N]`` reads each published
report (web page, Word, PDF, text), runs the rules and prints a table per report; ``--json`` prints the
JSON (an object for one input, a list for several); ``-o DIR`` writes one JSON per input and a summary
(``audit-summary.csv`` and ``audit-summary.xlsx``). Several inputs run in worker processes
(:mod:`reportkit.pool`), each document with a time and memory limit. Exit 0 without errors, 1 with
errors, 2 when an input cannot be read.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from attrs import frozen

from reportkit.cli.zh import display_width

__all__ = ["add_command", "audit_task", "cmd_audit", "discover", "review_note"]

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_UNREADABLE = 2

#: The suffixes taken from a folder: the kinds of published report a reader exists for.
SUFFIXES = (".html", ".htm", ".shtml", ".xhtml", ".docx", ".pdf", ".txt")
#: Seconds one document may take in a worker.
DEFAULT_TIMEOUT = 60.0


@frozen
class Task:
    path: str
    previous: Any = None  #: last year's AnnualReport, or None


def discover(inputs: Sequence[str]) -> list[str]:
    """The files to audit: each file given, and every report file under each folder (sorted, hidden skipped)."""
    found: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and name.lower().endswith(SUFFIXES):
                        found.append(str(Path(root) / name))
        else:
            found.append(item)
    return found


def audit_task(task: Task) -> dict[str, Any]:
    """Audit one file (in a worker): its JSON, its summary numbers and its table text, or why it failed."""
    from reportkit.audit import audit
    from reportkit.errors import ReportkitError
    from reportkit.rules import Severity

    try:
        result = audit(task.path, previous=task.previous)
    except ReportkitError as exc:
        return {"source": task.path, "unreadable": str(exc)}
    data = result.as_dict()
    return {
        "source": task.path,
        "json": data,
        "status": result.status,
        "counts": {s.value: result.count(s) for s in Severity},
        "review_cells": len(result.extraction.review_cells()),
        "agency": result.extraction.report.agency.name,
        "year": result.extraction.report.year,
        "text": _table(result),
    }


def _table(result: Any) -> str:
    from reportkit.rules import Severity

    extraction = result.extraction
    cells = extraction.cells
    head = (
        f"{extraction.report.agency.name} {extraction.report.year}年度（{extraction.layout.id}）："
        f"读到 {len(cells)} 格，其中需核对 {len(extraction.review_cells())} 格；"
        f"未找到 {len(extraction.missing)} 格；未归位的数字 {len(extraction.unmapped)} 处"
    )
    lines = [head]
    if not result.findings:
        lines.append("未发现问题。")
    else:
        code_width = max(display_width(f.code) for f in result.findings)
        for finding in result.findings:
            where = finding.location.describe()
            code = finding.code + " " * (code_width - display_width(finding.code))
            lines.append(f"{finding.severity.label}  {code}  {where}")
            lines.append(f"      {finding.message}")
        counts = "，".join(f"{s.label} {result.count(s)} 项" for s in Severity if result.count(s))
        lines.append(f"共 {counts}。")
    for item in extraction.unmapped[:20]:
        lines.append(f"未归位：{item.label[:40]} {' '.join(item.numbers)}（{item.where.describe()}）")
    return "\n".join(lines)


def _load_previous(path: str) -> Any:
    from reportkit.audit import load_previous

    return load_previous(path)


def _run(tasks: list[Task], jobs: int, timeout: float) -> list[dict[str, Any]]:
    if len(tasks) == 1 and jobs <= 1:
        return [audit_task(tasks[0])]
    from reportkit.pool import run

    results: list[dict[str, Any]] = []
    for outcome in run(audit_task, tasks, jobs=max(1, jobs), timeout=timeout):
        if outcome.failure is not None or outcome.value is None:
            message = outcome.failure.message if outcome.failure else "未知错误"
            results.append({"source": tasks[outcome.index].path, "unreadable": message})
        else:
            results.append(outcome.value)
    return results


_SUMMARY_HEAD = ("文件", "状态", "机关", "年度", "错误", "核对", "提醒", "需核对的单元格", "无法读取的原因")
_STATUS = {"ok": "通过", "warning": "有提醒", "review": "需核对", "error": "有错误", "unreadable": "无法读取"}


def _summary(results: Sequence[dict[str, Any]]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for item in results:
        if "unreadable" in item:
            rows.append([item["source"], _STATUS["unreadable"], "", "", "", "", "", "", item["unreadable"]])
            continue
        counts = item["counts"]
        rows.append(
            [
                item["source"],
                _STATUS[item["status"]],
                item["agency"],
                item["year"],
                counts["error"],
                counts["review"],
                counts["warning"],
                item["review_cells"],
                "",
            ]
        )
    return rows


def _json_name(source: str, taken: set[str]) -> str:
    stem = Path(source).name or "report"
    name = f"{stem}.audit.json"
    number = 2
    while name in taken:
        name = f"{stem}.{number}.audit.json"
        number += 1
    taken.add(name)
    return name


def _write_outputs(outdir: Path, results: Sequence[dict[str, Any]], inputs: Sequence[str]) -> list[Path]:
    from reportkit.fs import atomic_write_bytes
    from reportkit.reporting import table_csv, table_xlsx

    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    taken: set[str] = set()
    for item in results:
        data = item["json"] if "json" in item else {"source": item["source"], "unreadable": item["unreadable"]}
        target = outdir / _json_name(item["source"], taken)
        atomic_write_bytes(target, _dumps(data).encode("utf-8"), inputs=inputs)
        written.append(target)
    rows = _summary(results)
    for name, payload in (
        ("audit-summary.csv", table_csv(_SUMMARY_HEAD, rows)),
        ("audit-summary.xlsx", table_xlsx(_SUMMARY_HEAD, rows, title="核查汇总")),
    ):
        written.append(atomic_write_bytes(outdir / name, payload, inputs=inputs))
    return written


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def cmd_audit(args: argparse.Namespace, out: TextIO) -> int:
    import sys

    files = discover(args.inputs)
    if not files:
        given = "、".join(args.inputs)
        kinds = "、".join(SUFFIXES)
        sys.stderr.write(f"错误：{given} 中没有找到要核查的报告文件（网页、Word、PDF 或文本：{kinds}）\n")
        return EXIT_UNREADABLE
    previous = _load_previous(args.previous) if args.previous else None
    tasks = [Task(path, previous) for path in files]
    results = _run(tasks, args.jobs, args.timeout)
    if args.json:
        payload = [
            r["json"] if "json" in r else {"source": r["source"], "unreadable": r["unreadable"]} for r in results
        ]
        out.write(_dumps(payload[0] if len(payload) == 1 else payload))
    else:
        for item in results:
            out.write(f"== {item['source']}\n")
            if "unreadable" in item:
                out.write(f"无法读取：{item['unreadable']}\n\n")
            else:
                out.write(item["text"] + "\n\n")
    if args.output:
        written = _write_outputs(Path(args.output), results, files)
        if not args.json:
            out.write(f"已写入 {len(written)} 个文件到 {args.output}\n")
    if any("unreadable" in r for r in results):
        return EXIT_UNREADABLE
    return EXIT_ERRORS if any(r["counts"]["error"] for r in results) else EXIT_OK


def add_command(commands: Any) -> None:
    """Register ``reportkit audit`` on the main parser's sub-commands."""
    from reportkit.cli.batch import jobs_arg, seconds_arg

    parser = commands.add_parser(
        "audit",
        help="读取已发布的年度报告（网页、Word、PDF、文本）并核查",
        description="读取已发布的年度报告（网页、Word、PDF、文本），把表格中的数字放回官方的行和列，"
        "再按 reportkit check 的规则核查；读取把握不大的数字标为“待核对”，并注明原文和位置。",
    )
    parser.add_argument("inputs", nargs="+", metavar="FILE_OR_FOLDER", help="报告文件或包含报告的文件夹")
    parser.add_argument("--previous", metavar="FILE", help="上年报告（发布的网页/Word/PDF/文本，或数据文件/填报表）")
    parser.add_argument("--json", action="store_true", help="输出 JSON（多个文件时为列表）")
    parser.add_argument("-o", "--output", metavar="DIR", help="写入每份报告的 JSON 及汇总表（CSV、Excel）")
    parser.add_argument("--jobs", type=jobs_arg, default=1, help="并行进程数（默认 1）")
    parser.add_argument(
        "--timeout",
        type=seconds_arg,
        default=DEFAULT_TIMEOUT,
        help=f"每份报告的时间上限（秒，默认 {DEFAULT_TIMEOUT:g}）",
    )
    parser.set_defaults(func=cmd_audit)


# ---------------------------------------------------------------------------------------------------
# reportkit init --from published.html
# ---------------------------------------------------------------------------------------------------


def is_published(path: str) -> bool:
    """Whether ``init --from`` should read ``path`` as a published report (not a figures file or form)."""
    return Path(path).suffix.lower() in SUFFIXES


def review_note(cell: Any) -> str:
    """A cell not read at high confidence, for a 待核对 note: its label, raw text, place and candidates."""
    raw = cell.raw.strip() or "空白"
    place = cell.where.describe() or cell.where.path
    text = f"{cell.label}：原文“{raw}”（{place}；{cell.semantics.label}，可信度{cell.confidence.label}）"
    if cell.candidates:
        text += "，可能为：" + " 或 ".join(cell.candidates[:3])
    return text


def _toml_with_reviews(text: str, cells: Sequence[Any]) -> str:
    """The figures file with a 待核对 comment above the line of every cell not read at high confidence."""
    pending = list(cells)
    lines = text.split("\n")
    out: list[str] = []
    table = ""
    placed: set[str] = set()
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            table = stripped.strip("[]")
        elif "=" in stripped and not stripped.startswith("#"):
            key = stripped.split("=", 1)[0].strip()
            path = f"{table}.{key}" if table else key
            mine = [c for c in pending if c.key == path or c.key.startswith(path + ".")]
            for cell in mine:
                out.append(f"# 待核对：{review_note(cell)}")
                placed.add(cell.key)
        out.append(line)
    rest = [c for c in pending if c.key not in placed]
    if rest:
        header = ["# 以下单元格读自发布文件，未能确认（待核对）："]
        header += [f"# 待核对：{review_note(cell)}" for cell in rest]
        out = header + out
    return "\n".join(out)


def _xlsx_with_reviews(data: bytes, cells: Sequence[Any]) -> bytes:
    """The filled form with a comment (待核对) on every cell not read at high confidence."""
    import io

    from openpyxl import load_workbook
    from openpyxl.comments import Comment

    from reportkit.xlsx_form import form_cell

    book = load_workbook(io.BytesIO(data))
    for cell in cells:
        where = form_cell(cell.key)
        if where is None or ":" in where:
            continue
        sheet_name, _, coord = where.rpartition("!")
        if sheet_name not in book.sheetnames:
            continue
        book[sheet_name][coord].comment = Comment(f"待核对：{review_note(cell)}", "reportkit")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def init_from_published(extraction: Any, target: Path, xlsx: bool) -> bytes:
    """The figures file (or, with ``xlsx``, the filled form) of a published report read back
    (:func:`reportkit.published.read_published`), each cell that was not read at high confidence commented
    待核对 with its raw text and place."""
    review = extraction.review_cells()
    if xlsx:
        from reportkit import xlsx_form

        return _xlsx_with_reviews(xlsx_form.fill_form(extraction.report), review)
    from reportkit.io import dumps

    suffix = target.suffix.lower()
    fmt = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}.get(suffix, "toml")
    text = dumps(extraction.report, fmt, comments=fmt == "toml")
    if fmt == "toml":
        text = _toml_with_reviews(text, review)
    return text.encode("utf-8")
