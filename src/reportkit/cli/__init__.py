"""The ``reportkit`` command: check, render and prepare 政府信息公开工作年度报告.

Each sub-command is a small function over the public API. Messages are in Chinese (the users are
office staff); exit codes are stable: 0 success, 1 the report has errors (or a batch had failures),
2 an input could not be read or the command line is wrong.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from reportkit.cli.zh import display_width
from reportkit.errors import ReportkitError

if TYPE_CHECKING:
    from reportkit.loaded import Loaded
    from reportkit.model import AnnualReport
    from reportkit.rules import Finding

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _load(path: str, out: TextIO | None = None) -> Loaded:
    """Read a figures file or a filled form; its reading notes (blank cells read as 0 …) go to ``out``."""
    from reportkit.io import read

    loaded = read(path)
    if out is not None:
        for note in loaded.notes:
            out.write(f"提示：{note}\n")
    return loaded


def format_findings(findings: Sequence[Finding], cell_of: Callable[[str], str | None] = lambda f: None) -> str:
    """Findings as a table a person reads in a terminal: severity, code, where, what."""
    if not findings:
        return "未发现问题。"
    rows = []
    for finding in findings:
        where = finding.location.describe()
        cell = cell_of(finding.location.field)
        if cell:
            where = f"{where}（{cell}）" if where else cell
        rows.append((finding.severity.label, finding.code, where, finding.message))
    code_width = max(display_width(r[1]) for r in rows)
    lines = []
    for severity, code, where, message in rows:
        lines.append(f"{_pad(severity, 4)}  {_pad(code, code_width)}  {where}")
        lines.append(f"{' ' * (6 + code_width)}  {message}")
    n_errors = sum(1 for f in findings if f.severity.value == "error")
    lines.append("")
    lines.append(f"共 {n_errors} 项错误，{len(findings) - n_errors} 项提醒。")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from reportkit.evaluators import check_evaluators
    from reportkit.rulepacks import pack_from_args
    from reportkit.rules import Severity, check

    pack = pack_from_args(args)
    loaded = _load(args.file, None if args.json else out)
    report = loaded.report
    previous = _load_last(args.previous, None if args.json else out) if args.previous else None
    findings = [*check(report, previous), *check_evaluators(report, previous, pack)]
    cell_of = loaded.where
    if args.json:
        payload = []
        for finding in findings:
            item = finding.as_dict()
            cell = cell_of(finding.location.field)
            if cell:
                item["cell"] = cell
            payload.append(item)
        json.dump(payload, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(f"{args.file}：{report.title}\n")
        out.write(format_findings(findings, cell_of) + "\n")
    return EXIT_FINDINGS if any(f.severity is Severity.ERROR for f in findings) else EXIT_OK


# ---------------------------------------------------------------------------------------------------
# render
# ---------------------------------------------------------------------------------------------------


def output_stem(report: AnnualReport, *, draft: bool = False) -> str:
    """The file name (without suffix) of a report's outputs: its title, made safe for any system; a draft's
    says so (``…（草稿）``)."""
    from reportkit.names import draft_name, safe_filename

    stem = safe_filename(report.title)
    return draft_name(stem) if draft else stem


def _free_stem(outdir: Path, stem: str, suffixes: Sequence[str], inputs: Sequence[str]) -> str:
    """``stem``, or ``stem-2`` … when an output would have an input's name (a form named as its report,
    rendered beside itself): an output never replaces an input."""
    from reportkit.fs import same_file

    candidate, counter = stem, 2
    while any(same_file(outdir / f"{candidate}.{suffix}", Path(source)) for suffix in suffixes for source in inputs):
        candidate = f"{stem}-{counter}"
        counter += 1
    return candidate


def cmd_render(args: argparse.Namespace, out: TextIO) -> int:
    from reportkit.fs import atomic_write_bytes
    from reportkit.render import file_suffix, render
    from reportkit.rules import Severity, check

    loaded = _load(args.file, out)
    report = loaded.report
    findings = check(report)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors and not args.draft:
        out.write(f"{args.file}：报告有 {len(errors)} 项错误，未生成文件。请先修正，或用 --draft 生成草稿。\n")
        out.write(format_findings(findings, loaded.where) + "\n")
        return EXIT_FINDINGS
    kinds = ("docx", "xlsx", "pdf", "html", "html-fragment")
    wanted = [kind for kind in kinds if getattr(args, kind.replace("-", "_"))]
    if not wanted:
        from reportkit.render.pdf import find_soffice

        wanted = list(DEFAULT_KINDS)
        if find_soffice():
            wanted.append("pdf")
        else:
            out.write("提示：未安装 LibreOffice，跳过 PDF（安装后可生成 PDF，见 README）。\n")
    # Without -o, beside the input: the form's own instructions say `reportkit render 本文件.xlsx`.
    outdir = Path(args.output) if args.output else Path(args.file).parent
    outdir.mkdir(parents=True, exist_ok=True)
    inputs = [args.file] + ([args.template] if args.template else [])
    suffixes = [file_suffix(kind) for kind in wanted]
    stem = _free_stem(outdir, output_stem(report, draft=args.draft), suffixes, inputs)
    for kind in wanted:
        data = render(kind, report, args.template, draft=args.draft, findings=findings)
        target = atomic_write_bytes(outdir / f"{stem}.{file_suffix(kind)}", data, inputs=inputs)
        out.write(f"已生成：{target}\n")
    if findings:
        out.write(format_findings(findings, loaded.where) + "\n")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------
# init
# ---------------------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    from reportkit.fs import atomic_write_bytes
    from reportkit.templates import list_templates

    target = Path(args.file)
    if target.exists() and not args.force:
        out.write(f"{target} 已存在，未覆盖（确需覆盖请加 --force）。\n")
        return EXIT_UNREADABLE
    if args.source:
        from reportkit.cli import audit as audit_cli

        if audit_cli.is_published(args.source):
            from reportkit.published import read_published

            extraction = read_published(args.source)
            if not _year_agrees(args, extraction.report, out):
                return EXIT_UNREADABLE
            xlsx = args.xlsx or target.suffix.lower() == ".xlsx"
            data = audit_cli.init_from_published(extraction, target, xlsx)
            atomic_write_bytes(target, data, inputs=[args.source])
            out.write(f"已生成：{target}（读自发布的报告；标有“待核对”的单元格请对照原文）\n")
            return EXIT_OK
    source = _load(args.source).report if args.source else None
    if source is not None and not _year_agrees(args, source, out):
        return EXIT_UNREADABLE
    report = source if source is not None else blank_report(args.year)
    if args.xlsx or target.suffix.lower() == ".xlsx":
        from reportkit import xlsx_form
        from reportkit.xlsx_layout import FORM_KIND

        forms = {t.format_id for t in list_templates() if t.kind == FORM_KIND}
        if report.format not in forms:
            raise ReportkitError(
                f"{report.year}年度适用的格式（{report.format}）还没有 Excel 填报表；请生成 .toml 数据文件填写",
                source=str(target),
            )
        # the blank form as shipped, unless a year or a report goes in it
        plain = source is None and args.year is None
        data = xlsx_form.blank_form() if plain else xlsx_form.fill_form(report)
    else:
        from reportkit.io import dumps

        suffix = target.suffix.lower()
        fmt = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}.get(suffix, "toml")
        data = dumps(report, fmt, comments=fmt == "toml").encode("utf-8")
    inputs = [args.source] if args.source else []
    atomic_write_bytes(target, data, inputs=inputs)
    out.write(f"已生成：{target}（{report.year}年度，格式：{report.format}）\n")
    return EXIT_OK


def _year_agrees(args: argparse.Namespace, source: AnnualReport, out: TextIO) -> bool:
    """Whether ``init --from FILE --year YEAR`` asks for the year FILE is of (says why not on ``out``)."""
    if args.year is None or source.year == args.year:
        return True
    out.write(
        f"{args.source}：--from 的报告是{source.year}年度的，与 --year {args.year} 不符；"
        "由上年报告开始新年度请用 reportkit next。\n"
    )
    return False


def blank_report(year: int | None = None) -> AnnualReport:
    """A report of ``year`` (by default last year) in the format in force for it, with every figure zero,
    every text empty, the agency name a placeholder and no signing date, for a person to fill (check()
    reports each of them until they are filled)."""
    import datetime as dt

    from reportkit.formats import format_for_year
    from reportkit.io import structure
    from reportkit.model import AgencyKind
    from reportkit.values import AGENCY_NAME_PLACEHOLDER

    year = dt.date.today().year - 1 if year is None else year
    layout = format_for_year(year)
    data: dict[str, Any] = {
        "format": layout.id,
        "agency": {"name": AGENCY_NAME_PLACEHOLDER, "kind": AgencyKind.DEPARTMENT.value},
        "report": {"year": year},
    }
    if layout.information_fee is not None:
        data["other"] = {"information_fees": {"notices": 0, "notified_yuan": 0, "collected_yuan": 0}}
    return structure(data, source="reportkit init")


# ---------------------------------------------------------------------------------------------------
# next
# ---------------------------------------------------------------------------------------------------


def _load_last(path: str, out: TextIO | None) -> AnnualReport:
    """Last year's report: a figures file, a filled form, or a published report (web page, Word, PDF, text)
    read back, with a note on each carried figure that was not read with high confidence."""
    from reportkit.cli import audit as audit_cli

    if not audit_cli.is_published(path):
        return _load(path, out).report
    from reportkit.nextyear import CARRIED_COLUMN, CARRIED_FROM
    from reportkit.published import read_published
    from reportkit.published.mapping import Confidence

    extraction = read_published(path)
    carried = [
        cell
        for key, cell in extraction.cells.items()
        if key.startswith(f"applications.{CARRIED_FROM}.") or key.endswith(f".{CARRIED_COLUMN}")
    ]
    doubtful = [cell for cell in carried if cell.confidence is not Confidence.HIGH or not cell.numeric]
    missing = [key for key in extraction.missing if key.startswith(f"applications.{CARRIED_FROM}.")]
    if out is not None:
        for cell in doubtful:
            out.write(f"待核对：上年的数字读自发布的报告 {path}，{audit_cli.review_note(cell)}\n")
        table = extraction.report.layout.applications_table
        for key in missing:
            try:
                label = f"“{table.row(CARRIED_FROM).short_label}”的“{table.column(key.rpartition('.')[2]).short_label}”"
            except KeyError:
                label = ""
            out.write(f"待核对：发布的报告 {path} 中没有找到{label}（{key}），按 0 计；请对照原文\n")
    return extraction.report


def cmd_next(args: argparse.Namespace, out: TextIO) -> int:
    from reportkit.fs import atomic_write_bytes
    from reportkit.io import FIGURES_SUFFIXES, dumps
    from reportkit.nextyear import carried_labels, next_year, next_year_form, next_year_toml

    target = Path(args.output)
    suffix = target.suffix.lower()
    if suffix not in (*FIGURES_SUFFIXES, ".xlsx"):
        shown = target.suffix or "（无扩展名）"
        out.write(f"{target}：无法识别的文件类型“{shown}”，可用：.toml、.xlsx（填报表）、.json、.yaml\n")
        return EXIT_UNREADABLE
    if target.exists() and not args.force:
        out.write(f"{target} 已存在，未覆盖（确需覆盖请加 --force）。\n")
        return EXIT_UNREADABLE
    last = _load_last(args.file, out)
    new = next_year(last)
    if suffix == ".xlsx":
        data = next_year_form(last, new)
        kept = "上年文字在“文字部分”表右侧一列，供改写参考"
    elif suffix == ".toml":
        data = next_year_toml(last, new).encode("utf-8")
        kept = "上年文字作为注释（# 开头的行）写在各项之上，供改写参考"
    else:
        data = dumps(new, FIGURES_SUFFIXES[suffix]).encode("utf-8")
        kept = "此格式不能写注释，上年文字未保留（需要时请改用 .toml 或 .xlsx）"
    atomic_write_bytes(target, data, inputs=[args.file])
    out.write(f"已生成：{target}（{new.title}）\n")
    out.write(
        f"已带入（{last.year}年度 → {new.year}年度）：{carried_labels(last, new)}；其余数字为 0，文字为空；{kept}。\n"
    )
    out.write(f"下一步：填写成文日期、本年度的数字和文字，然后运行 reportkit check {target} --previous {args.file}\n")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------
# templates
# ---------------------------------------------------------------------------------------------------


def cmd_templates(args: argparse.Namespace, out: TextIO) -> int:
    from reportkit.templates import list_templates

    for info in list_templates():
        out.write(f"{info.kind:<12} {info.format_id:<30} v{info.version:<4} {info.path}\n")
    return EXIT_OK


def cmd_template_check(args: argparse.Namespace, out: TextIO) -> int:
    from reportkit.render.contract import check_docx_template

    problems = check_docx_template(args.path)
    if not problems:
        out.write(f"{args.path}：模板完好，可以使用。\n")
        return EXIT_OK
    # Ordered by weight (check_docx_template): the first one is what to fix first.
    out.write(f"{args.path}：模板不能使用，发现 {len(problems)} 处问题。最主要的问题：\n  {problems[0]}\n")
    if len(problems) > 1:
        out.write("全部问题（由重到轻）：\n")
        for problem in problems:
            out.write(f"  - {problem}\n")
    return EXIT_FINDINGS


# ---------------------------------------------------------------------------------------------------
# The parser
# ---------------------------------------------------------------------------------------------------

#: The year whose format the help of ``next`` describes (the newest format's; the help must not change
#: with the date it is printed on).
NEXT_HELP_YEAR = 9999

#: What ``render`` writes when no kind is asked for.
DEFAULT_KINDS = ("docx", "xlsx")

RENDER_DESCRIPTION = (
    "由数据文件或填报表生成年度报告。不指定类型时，生成 Word（.docx）和 Excel（.xlsx），"
    "已安装 LibreOffice 时还生成 PDF（.pdf）；指定了 --docx、--xlsx、--pdf、--html、--html-fragment 中的任何一个时，"
    "只生成所指定的。文件名为报告标题（如“某县某局2023年政府信息公开工作年度报告.docx”），"
    "写在 -o 指定的目录；不指定 -o 时写在输入文件所在的目录，不会覆盖输入文件。"
    "报告有错误时不生成，除非加 --draft：草稿每页标注“草稿”，文件名带“（草稿）”。"
)


def _help_of(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace, TextIO], int]:
    """A command that prints ``parser``'s help (a command group given without its sub-command)."""

    def show(args: argparse.Namespace, out: TextIO) -> int:
        parser.print_help(out)
        return EXIT_UNREADABLE

    return show


def build_parser() -> argparse.ArgumentParser:
    from reportkit import __version__
    from reportkit.cli.batch import year_arg
    from reportkit.cli.zh import VERSION, ChineseParser
    from reportkit.nextyear import rollover_description
    from reportkit.rulepacks import add_rules_argument

    parser = ChineseParser(
        prog="reportkit",
        description="政府信息公开工作年度报告：检查数据、生成 Word/Excel/PDF/网页，由上年报告开始下一年度的报告。"
        "每个命令的用法：reportkit 命令 -h。",
    )
    parser.add_argument("--version", action="version", version=f"reportkit {__version__}", help=VERSION)
    commands = parser.add_subparsers(dest="command", metavar="命令", title="命令", parser_class=ChineseParser)

    check = commands.add_parser(
        "check",
        help="检查数据文件或填报表，列出错误和提醒",
        description="检查一份报告：表格的勾稽关系、法定日期、必填的文字，以及评议时常查的问题"
        "（正文与表格数字不一致、与上年雷同、“存在的主要问题”过于简单等）。"
        "退出码：0 没有错误（可能有提醒），1 有错误，2 文件无法读取或命令行有误。",
    )
    check.add_argument("file", help="数据文件（.toml/.json/.yaml）或填好的填报表（.xlsx）")
    check.add_argument(
        "--previous", metavar="FILE", help="上年度报告（数据文件、填报表，或发布的网页/Word/PDF/文本），用于跨年核对"
    )
    check.add_argument("--json", action="store_true", help="以 JSON 输出检查结果（文件无法读取时输出一个错误对象）")
    add_rules_argument(check)
    check.set_defaults(func=cmd_check)

    render = commands.add_parser("render", help="生成 Word、Excel（及 PDF）文件", description=RENDER_DESCRIPTION)
    render.add_argument("file", help="数据文件或填报表")
    render.add_argument("-o", "--output", metavar="OUTDIR", help="输出目录（默认：输入文件所在的目录）")
    render.add_argument("--docx", action="store_true", help="生成 Word 文件")
    render.add_argument("--xlsx", action="store_true", help="生成 Excel 文件")
    render.add_argument("--pdf", action="store_true", help="生成 PDF（需要 LibreOffice）")
    render.add_argument("--html", action="store_true", help="生成网页（.html，可直接发布或打印为 A4）")
    render.add_argument(
        "--html-fragment", action="store_true", help="生成可粘贴到网站编辑器的网页片段（.fragment.html，仅内联样式）"
    )
    render.add_argument("--template", metavar="PATH", help="自定义 Word 模板")
    render.add_argument("--draft", action="store_true", help="有错误时仍生成草稿（每页标注“草稿”，文件名带“（草稿）”）")
    render.set_defaults(func=cmd_render)

    init = commands.add_parser(
        "init",
        help="生成空白数据文件（.toml）或 Excel 填报表（--xlsx）",
        description="生成一份空白的数据文件（.toml，每一项上方注明其含义）或 Excel 填报表（.xlsx），"
        "格式为报告年度适用的格式。已有上年报告时，用 reportkit next 更方便：上年结转等数字会自动带入。",
    )
    init.add_argument("file", help="要生成的文件，如 figures.toml 或 form.xlsx")
    init.add_argument("--xlsx", action="store_true", help="生成 Excel 填报表")
    init.add_argument("--year", type=year_arg, metavar="YEAR", help="报告年度（默认：上一年）")
    init.add_argument(
        "--from",
        dest="source",
        metavar="FILE",
        help="用已有数据预先填好（数据文件、填报表，或发布的网页/Word/PDF/文本）",
    )
    init.add_argument("--force", action="store_true", help="覆盖已存在的文件")
    init.set_defaults(func=cmd_init)

    nxt = commands.add_parser(
        "next",
        help="由上年报告生成下一年度的数据文件或填报表",
        description=f"由上年度的报告生成下一年度的数据文件或填报表：{rollover_description(NEXT_HELP_YEAR)}。"
        "上年的文字保留在旁边供改写参考：.toml 中为注释，填报表中为“文字部分”表右侧一列。",
    )
    nxt.add_argument(
        "file", help="上年度报告：数据文件（.toml/.json/.yaml）、填好的填报表（.xlsx），或发布的网页/Word/PDF/文本"
    )
    nxt.add_argument(
        "-o", "--output", required=True, metavar="NEW", help="要生成的文件：.toml（带注释）或 .xlsx（填报表）"
    )
    nxt.add_argument("--force", action="store_true", help="覆盖已存在的文件")
    nxt.set_defaults(func=cmd_next)

    templates = commands.add_parser(
        "templates",
        help="列出内置模板及其格式版本",
        description="列出 reportkit 自带的模板：类型（Word、Excel 输出表、Excel 填报表）、"
        "适用的报告格式、版本和文件位置。可复制其中的 Word 模板修改样式，改后用 reportkit template check 检查。",
    )
    templates.set_defaults(func=cmd_templates)

    template = commands.add_parser(
        "template",
        help="模板工具（检查自定义 Word 模板）",
        description="模板工具。reportkit template check 模板.docx：检查改过样式的 Word 模板是否仍可使用。",
    )
    template_commands = template.add_subparsers(
        dest="template_command", metavar="子命令", title="子命令", parser_class=ChineseParser
    )
    template.set_defaults(func=_help_of(template))
    template_check = template_commands.add_parser(
        "check",
        help="检查改过样式的 Word 模板是否仍可用",
        description="检查一个改过样式的 Word 模板（.docx）能否用于生成报告：占位符是否都能由数据填写、"
        "三张官方表格是否完整。可以使用时退出码为 0；否则为 1，并由重到轻列出问题，最先列出的最需要修改。",
    )
    template_check.add_argument("path", help="Word 模板（.docx）")
    template_check.set_defaults(func=cmd_template_check)

    _add_batch_commands(commands)
    from reportkit.cli import audit as audit_cli

    audit_cli.add_command(commands)
    return parser


def _add_batch_commands(commands: argparse._SubParsersAction[Any]) -> None:
    try:
        from reportkit.cli import batch
    except ImportError:  # pragma: no cover - batch arrives with issue 5
        return
    batch.add_commands(commands)


def error_object(exc: BaseException) -> dict[str, object]:
    """An input that could not be read, as the JSON object ``--json`` prints: a stable ``code``
    (``error.figures_file``, from the exception class), the ``message``, the ``place`` (file) and the
    ``problems`` (each with its ``place``: key path or cell)."""
    if isinstance(exc, ReportkitError):
        name = re.sub(r"Error$", "", type(exc).__name__) or "Reportkit"
        code = "error." + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        return {
            "code": code,
            "message": exc.summary,
            "place": exc.source,
            "problems": [{"place": p.where, "message": p.message} for p in exc.problems],
        }
    assert isinstance(exc, OSError)
    return {"code": "error.os", "message": exc.strerror or str(exc), "place": exc.filename or "", "problems": []}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_UNREADABLE
    out = sys.stdout
    try:
        code: int = args.func(args, out)
        return code
    except (ReportkitError, OSError) as exc:
        out.flush()
        if getattr(args, "json", False):
            json.dump(error_object(exc), out, ensure_ascii=False, indent=2)
            out.write("\n")
        if isinstance(exc, ReportkitError):
            print(f"错误：{exc}", file=sys.stderr)
        else:
            where = f"{exc.filename}：" if exc.filename else ""
            print(f"错误：{where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
