"""``reportkit batch`` and ``reportkit aggregate``: a county's reports at once."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from reportkit.errors import ReportkitError

EXIT_OK = 0
EXIT_FAILURES = 1


class Progress:
    """A one-line progress bar on a terminal; on anything else, a line per phase when it ends."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.live:
            width = 30
            filled = width * done // max(total, 1)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{phase} [{bar}] {done}/{total}")
            if done == total:
                self.stream.write("\n")
            self.stream.flush()
        elif done == total:
            self.stream.write(f"{phase}：{done}/{total}\n")


def cmd_batch(args: argparse.Namespace, out: TextIO) -> int:
    from reportkit.batch import run_batch, summary_csv, summary_xlsx
    from reportkit.fs import atomic_write_bytes

    kinds = [k for k in ("docx", "xlsx", "pdf") if getattr(args, k)] or ["docx", "xlsx"]
    outdir = Path(args.output)
    results = run_batch(
        args.folder,
        outdir,
        previous=args.previous,
        kinds=kinds,
        draft=args.draft,
        jobs=args.jobs,
        progress=Progress(sys.stderr),
    )
    atomic_write_bytes(outdir / "汇总.xlsx", summary_xlsx(results))
    atomic_write_bytes(outdir / "汇总.csv", summary_csv(results))
    failed = [r for r in results if r.failed]
    out.write(f"共 {len(results)} 个单位：{len(results) - len(failed)} 个已生成，{len(failed)} 个未通过。\n")
    for result in failed:
        out.write(f"  - {result.source}（{result.agency or '未读取'}）：{result.status}\n")
        for line in result.findings[:5]:
            out.write(f"      {line}\n")
    out.write(f"汇总表：{outdir / '汇总.xlsx'}\n")
    return EXIT_FAILURES if failed else EXIT_OK


def cmd_aggregate(args: argparse.Namespace, out: TextIO) -> int:
    from reportkit.batch import aggregate, discover
    from reportkit.fs import atomic_write_bytes
    from reportkit.io import load
    from reportkit.render.xlsx import render_xlsx
    from reportkit.rules import Severity, check

    reports = []
    refused = []
    for source in discover(args.folder):
        try:
            report = load(source)
        except ReportkitError as exc:
            refused.append(f"{source}：无法读取：{exc.summary}")
            continue
        n_errors = sum(1 for f in check(report) if f.severity is Severity.ERROR)
        if n_errors and not args.include_errors:
            refused.append(f"{source}（{report.agency.name}）：有 {n_errors} 项错误，未计入")
            continue
        reports.append(report)
    if not reports:
        out.write("没有可汇总的报告。\n")
        for line in refused:
            out.write(f"  - {line}\n")
        return EXIT_FAILURES
    total = aggregate(reports, name=args.name or "")
    atomic_write_bytes(args.output, render_xlsx(total, draft=True))
    out.write(f"已汇总 {len(reports)} 个单位：{args.output}\n")
    for line in refused:
        out.write(f"  - {line}\n")
    return EXIT_FAILURES if refused else EXIT_OK


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"并行进程数应为正整数，而不是“{text}”")
    return value


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    batch = commands.add_parser("batch", help="批量检查并生成一个文件夹中各单位的报告")
    batch.add_argument("folder", help="存放各单位数据文件或填报表的文件夹")
    batch.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="输出目录")
    batch.add_argument("--previous", metavar="DIR", help="上年度各单位的数据文件夹（按机关名称对应）")
    batch.add_argument("--jobs", type=_jobs, default=None, metavar="N", help="并行进程数（默认：全部 CPU）")
    batch.add_argument("--docx", action="store_true", help="生成 Word（默认生成 Word 和 Excel）")
    batch.add_argument("--xlsx", action="store_true", help="生成 Excel")
    batch.add_argument("--pdf", action="store_true", help="生成 PDF（需要 LibreOffice）")
    batch.add_argument("--draft", action="store_true", help="有错误的单位也生成草稿")
    batch.set_defaults(func=cmd_batch)

    agg = commands.add_parser("aggregate", help="汇总一个文件夹中各单位的表二、表三、表四")
    agg.add_argument("folder", help="存放各单位数据文件或填报表的文件夹")
    agg.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help="汇总表")
    agg.add_argument("--name", help="汇总表中的名称，如“某某县”")
    agg.add_argument("--include-errors", action="store_true", help="有错误的单位也计入")
    agg.set_defaults(func=cmd_aggregate)
