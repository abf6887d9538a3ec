"""``reportkit batch`` and ``reportkit aggregate``: a county's reports at once."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

EXIT_OK = 0
EXIT_FAILURES = 1
#: The shell's codes for a process stopped by SIGINT and SIGTERM.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


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


class Terminated(Exception):
    """SIGTERM, raised where the batch is, so that it stops its workers and cleans up on the way out."""


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    def raise_terminated(signum: int, frame: object) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, raise_terminated)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(err: TextIO, terminated: bool) -> int:
    what = "收到终止信号" if terminated else "已中断"
    err.write(f"{what}：已停止所有工作进程；已生成的文件完整可用，未完成的单位没有留下文件。重新运行即可。\n")
    return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED


def _limits(args: argparse.Namespace) -> dict[str, Any]:
    memory = None if args.memory_limit == 0 else args.memory_limit * 1024**2
    return {"jobs": args.jobs, "timeout": args.timeout, "memory_limit": memory}


def cmd_batch(args: argparse.Namespace, out: TextIO) -> int:
    from reportkit.batch import clean_text, discover, run_batch, write_summaries
    from reportkit.rulepacks import pack_from_args

    kinds = [k for k in ("docx", "xlsx", "pdf") if getattr(args, k)] or ["docx", "xlsx"]
    outdir = Path(args.output)
    rules = pack_from_args(args)  # a bad pack stops the batch before any work
    try:
        with _sigterm_raises():
            results = run_batch(
                args.folder,
                outdir,
                previous=args.previous,
                kinds=kinds,
                draft=args.draft,
                progress=Progress(sys.stderr),
                rules=rules,
                **_limits(args),
            )
            inputs = [*discover(args.folder), *(discover(args.previous) if args.previous else [])]
            summary, _ = write_summaries(results, outdir, inputs=inputs)
    except KeyboardInterrupt:
        out.flush()
        return _interrupted(sys.stderr, terminated=False)
    except Terminated:
        out.flush()
        return _interrupted(sys.stderr, terminated=True)
    failed = [r for r in results if r.failed]
    out.write(f"共 {len(results)} 个单位：{len(results) - len(failed)} 个已生成，{len(failed)} 个未通过。\n")
    for result in failed:
        out.write(f"  - {clean_text(result.source)}（{clean_text(result.agency) or '未读取'}）：{result.status}\n")
        for line in result.findings[:5]:
            out.write(f"      {clean_text(line)}\n")
    alike = [r for r in results if any(line.startswith("[提醒] peers.text_similar") for line in r.findings)]
    if alike:
        names = "、".join(clean_text(r.agency) for r in alike[:5]) + ("等" if len(alike) > 5 else "")
        out.write(f"文字与其他单位雷同（peers.text_similar）：{len(alike)} 个单位（{names}），详见汇总表“问题”列。\n")
    out.write(f"汇总表：{clean_text(str(summary))}\n")
    return EXIT_FAILURES if failed else EXIT_OK


def cmd_aggregate(args: argparse.Namespace, out: TextIO) -> int:
    from reportkit.batch import NothingToAggregate, aggregate_folder, clean_text, discover, summary_workbook
    from reportkit.fs import atomic_write_bytes

    try:
        with _sigterm_raises():
            try:
                summary = aggregate_folder(
                    args.folder,
                    name=args.name or "",
                    year=args.year,
                    include_errors=args.include_errors,
                    **_limits(args),
                )
            except NothingToAggregate as nothing:
                out.write(f"{clean_text(str(args.folder))} 中没有可汇总的报告。\n")
                for member in nothing.left_out:
                    out.write(f"  - {clean_text(member.source)}：{clean_text(member.reason)}\n")
                return EXIT_FAILURES
            atomic_write_bytes(args.output, summary_workbook(summary), inputs=discover(args.folder))
    except KeyboardInterrupt:
        return _interrupted(sys.stderr, terminated=False)
    except Terminated:
        return _interrupted(sys.stderr, terminated=True)
    out.write(f"已汇总 {summary.year} 年度 {summary.count} 个单位：{args.output}\n")
    if summary.left_out:
        out.write(f"未计入 {len(summary.left_out)} 个：\n")
    for member in summary.left_out:
        agency = f"（{clean_text(member.agency)}）" if member.agency else ""
        out.write(f"  - {clean_text(member.source)}{agency}：{clean_text(member.reason)}\n")
    # Leaving out another year's reports is what --year asked for; anything else needs a look.
    problems = [m for m in summary.left_out if m.year in (None, summary.year)]
    return EXIT_FAILURES if problems else EXIT_OK


def jobs_arg(text: str) -> int:
    """A ``--jobs`` count: a positive integer."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"并行进程数应为正整数，而不是“{text}”")
    return value


def seconds_arg(text: str) -> float:
    """A ``--timeout``: a positive number of seconds (``nan`` and ``inf`` refused)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 10**6:
        raise argparse.ArgumentTypeError(f"时间限制应为正数（秒），而不是“{text}”")
    return value


def _megabytes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 10**7:
        raise argparse.ArgumentTypeError(f"内存限制应为非负整数（MB，0 表示不限），而不是“{text}”")
    return value


def year_arg(text: str) -> int:
    """A report year on the command line (``init --year``, ``aggregate --year``)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1990 <= value <= 2999:
        raise argparse.ArgumentTypeError(f"年度应为四位数字，如 2023，而不是“{text}”")
    return value


def _add_limits(parser: argparse.ArgumentParser) -> None:
    from reportkit.limits import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT

    parser.add_argument("--jobs", type=jobs_arg, default=None, metavar="N", help="并行进程数（默认：全部 CPU）")
    parser.add_argument(
        "--timeout",
        type=seconds_arg,
        default=DEFAULT_TIMEOUT,
        metavar="SEC",
        help=f"每个单位的处理时间上限（秒），超时跳过并在汇总表中注明（默认 {DEFAULT_TIMEOUT:g}）",
    )
    parser.add_argument(
        "--memory-limit",
        type=_megabytes,
        default=DEFAULT_MEMORY_LIMIT // 1024**2,
        metavar="MB",
        help=f"每个工作进程可用的内存上限，超限跳过（默认 {DEFAULT_MEMORY_LIMIT // 1024**2}，0 表示不限）",
    )


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    from reportkit.rulepacks import add_rules_argument

    batch = commands.add_parser(
        "batch",
        help="批量检查并生成一个文件夹中各单位的报告",
        description="逐个检查文件夹中各单位的数据文件和填报表（规则同 reportkit check，另比较各单位的文字是否雷同），"
        "为没有错误的单位生成 Word 和 Excel（可用 --docx、--xlsx、--pdf 指定），"
        "并在输出目录写出汇总表（汇总.xlsx、汇总.csv）：每个单位的状态、错误和提醒、主要数字和输出文件。"
        "某个文件无法读取、超时或出错，只影响它自己。有单位未通过时退出码为 1。",
    )
    batch.add_argument("folder", help="存放各单位数据文件或填报表的文件夹")
    batch.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="输出目录")
    batch.add_argument("--previous", metavar="DIR", help="上年度各单位的数据文件夹（按机关名称对应）")
    batch.add_argument("--docx", action="store_true", help="生成 Word（默认生成 Word 和 Excel）")
    batch.add_argument("--xlsx", action="store_true", help="生成 Excel")
    batch.add_argument("--pdf", action="store_true", help="生成 PDF（需要 LibreOffice）")
    batch.add_argument("--draft", action="store_true", help="有错误的单位也生成草稿")
    add_rules_argument(batch)
    _add_limits(batch)
    batch.set_defaults(func=cmd_batch)

    agg = commands.add_parser(
        "aggregate",
        help="汇总一个文件夹中同一年度各单位的表二、表三、表四",
        description="把一个文件夹中同一年度各单位报告的表二、表三、表四逐格相加，写成一个汇总工作簿。"
        "有错误的单位默认不计入（--include-errors 计入），同一单位的重复文件只计一次，未计入的单位及原因列在汇总表中。",
    )
    agg.add_argument("folder", help="存放各单位数据文件或填报表的文件夹")
    agg.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help="汇总表")
    agg.add_argument("--name", help="汇总表标题中的名称，如“隆德县”")
    agg.add_argument("--year", type=year_arg, help="只汇总这一年度的报告（文件夹中有多个年度时必须指定）")
    agg.add_argument("--include-errors", action="store_true", help="有错误的单位也计入")
    _add_limits(agg)
    agg.set_defaults(func=cmd_aggregate)
