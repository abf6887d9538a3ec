"""Many agencies at once: check and render every report in a folder, and add up a county's tables.

:func:`run_batch` reads every figures file and filled form in a folder, checks each (against last
year's report of the same agency when a folder of those is given), renders the good ones in worker
processes (:mod:`reportkit.pool`) and returns one :class:`AgencyResult` per input. A bad file never stops
the others: one that cannot be read, that hangs, that crashes its worker or that eats memory is one
failed row of the summary, and the rest go on.

Each input is one task: its worker loads it, finds last year's report, checks once, renders and writes
the outputs as temporary files; the parent, taking results in input order, gives them their final names
(distinct, never an input's name) and renames them into place. The parent holds only small results, so
its memory stays flat however many agencies there are.

:func:`aggregate` adds up tables 二, 三 and 四 of one year's reports into a :class:`CountySummary`
(one report per agency; mixed years refused); :func:`summary_workbook` draws it.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from reportkit.errors import ReportkitError
from reportkit.evaluators import check_evaluators, peer_findings
from reportkit.fs import atomic_write_bytes, commit, remove_temporaries, write_temporary
from reportkit.io import FIGURES_SUFFIXES, FORM_SUFFIXES, load
from reportkit.model import AnnualReport, Applications, InformationFees, ProactiveDisclosure, ReviewLitigation
from reportkit.names import draft_name, safe_filename
from reportkit.pool import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT, FailureKind, Outcome, run
from reportkit.render import render, warm_up
from reportkit.rules import Finding, Location, Severity, agency_key, check

if TYPE_CHECKING:
    from reportkit.rulepacks import RulePack

__all__ = [
    "AgencyResult",
    "CountySummary",
    "SummaryMember",
    "aggregate",
    "clean_text",
    "discover",
    "run_batch",
    "summary_csv",
    "summary_inputs",
    "summary_workbook",
    "summary_xlsx",
    "write_summaries",
]

#: A folder with more inputs than this is refused: it is almost certainly not one county's reports.
MAX_INPUTS = 20_000
#: How many findings of one agency the summary spells out.
SUMMARY_FINDINGS = 10

STATUS_OK = "已生成"
STATUS_FINDINGS = "有错误，未生成"
STATUS_DRAFT = "有错误，已生成草稿"
STATUS_UNREADABLE = "无法读取"
STATUS_RENDER_FAILED = "生成失败"
STATUS_TIMEOUT = "处理超时，已跳过"
STATUS_MEMORY = "内存超限，已跳过"
STATUS_CRASHED = "处理异常，已跳过"

_FAILED = (STATUS_FINDINGS, STATUS_UNREADABLE, STATUS_RENDER_FAILED, STATUS_TIMEOUT, STATUS_MEMORY, STATUS_CRASHED)
_POOL_FAILURES = {
    FailureKind.TIMEOUT: STATUS_TIMEOUT,
    FailureKind.MEMORY: STATUS_MEMORY,
    FailureKind.CRASH: STATUS_CRASHED,
    FailureKind.ERROR: STATUS_CRASHED,
}


@frozen
class AgencyResult:
    """What happened to one input of a batch. ``previous`` is last year's file it was checked against."""

    source: str
    status: str
    agency: str = ""
    title: str = ""
    errors: int = 0
    warnings: int = 0
    findings: tuple[str, ...] = ()
    totals: tuple[tuple[str, int], ...] = ()
    outputs: tuple[str, ...] = ()
    previous: str = ""

    @property
    def failed(self) -> bool:
        return self.status in _FAILED


def discover(folder: str | os.PathLike[str]) -> list[Path]:
    """The figures files and filled forms directly in ``folder``, sorted by name (hidden files, Excel
    lock files ``~$…`` and temporary files are skipped)."""
    root = Path(folder)
    if not root.is_dir():
        raise ReportkitError("不是一个文件夹，请给出存放各单位数据文件的文件夹", source=str(root))
    suffixes = set(FIGURES_SUFFIXES) | set(FORM_SUFFIXES)
    found: list[Path] = []
    for entry in os.scandir(root):
        name = entry.name
        if name.startswith((".", "~$")) or not entry.is_file():
            continue
        if Path(name).suffix.lower() in suffixes:
            found.append(Path(entry.path))
            if len(found) > MAX_INPUTS:
                raise ReportkitError(f"文件夹中的数据文件超过 {MAX_INPUTS} 个，请分批处理", source=str(root))
    return sorted(found)


def remove_stale_temporaries(outdir: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files killed earlier runs left in ``outdir`` (reportkit's own, of processes no
    longer alive; never a finished output, a user's file or a running batch's temporaries)."""
    return remove_temporaries(outdir)


def key_totals(report: AnnualReport) -> tuple[tuple[str, int], ...]:
    """The figures a county office looks at first, labelled from the format."""
    from reportkit.formats import gov2021 as fmt

    table = fmt.APPLICATIONS_TABLE
    apps = report.applications
    rows = [
        (table.row(key).short_label, apps.row(key).total) for key in ("new", "carried_over", "total", "carried_forward")
    ]
    rows += [(group.label, getattr(report.review_litigation, group.key).total) for group in fmt.CASE_GROUPS]
    return tuple(rows)


def _internal(exc: BaseException) -> str:
    return f"内部错误（请报告此问题）：{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------------------------------------------
# Last year's reports
# ---------------------------------------------------------------------------------------------------


@frozen
class _Previous:
    """One of last year's files: where it is, whose it is, which year."""

    source: str
    agency: str
    year: int


def _read_previous(source: str) -> _Previous | str:
    """A previous-year file's agency and year, or why it cannot be read (a worker task)."""
    try:
        report = load(source)
    except ReportkitError as exc:
        return exc.summary
    except MemoryError:
        raise
    except Exception as exc:  # a bug must not stop the batch
        return _internal(exc)
    return _Previous(source, report.agency.name, report.year)


@frozen
class _PreviousIndex:
    """Last year's files by agency (:func:`~reportkit.rules.agency_key`), and those that could not be read."""

    folder: str
    by_agency: dict[str, tuple[_Previous, ...]]
    unreadable: tuple[str, ...]

    def match(self, report: AnnualReport, source: str) -> tuple[_Previous | None, list[Finding]]:
        """Last year's file for ``report`` and the warnings about the match: none found (with the closest
        name, perhaps the agency renamed), or several of the same agency."""
        location = Location("报告信息", "机关名称", "", "agency.name")
        name = report.agency.name
        candidates = self.by_agency.get(agency_key(name), ())
        if not candidates:
            message = f"在上年报告文件夹 {self.folder} 中没有找到“{name}”的上年报告，未做跨年核对"
            close = difflib.get_close_matches(agency_key(name), list(self.by_agency), n=1, cutoff=0.6)
            if close:
                other = self.by_agency[close[0]][0]
                message += (
                    f"；名称最接近的是“{other.agency}”（{other.source}），如系机关更名，"
                    f"请用 reportkit check {source} --previous {other.source} 单独核对"
                )
            if self.unreadable:
                shown = "、".join(self.unreadable[:3]) + ("等" if len(self.unreadable) > 3 else "")
                message += f"；该文件夹中另有 {len(self.unreadable)} 个文件无法读取（{shown}），请检查"
            return None, [Finding("previous.missing", Severity.WARNING, location, message)]
        if len(candidates) == 1:
            return candidates[0], []
        right_year = [c for c in candidates if c.year == report.year - 1]
        chosen = right_year[0] if len(right_year) == 1 else None
        files = "、".join(f"{c.source}（{c.year}年度）" for c in candidates)
        used = f"已用 {chosen.source} 核对" if chosen else "无法确定用哪一份，未做跨年核对"
        message = f"上年报告文件夹中有 {len(candidates)} 个文件属于“{name}”：{files}；{used}，请删去多余的文件"
        return chosen, [Finding("previous.duplicate", Severity.WARNING, location, message)]


def _index_previous(
    folder: str | os.PathLike[str], jobs: int, timeout: float | None, memory_limit: int | None, progress: Any
) -> _PreviousIndex:
    sources = [str(s) for s in discover(folder)]
    by_agency: dict[str, list[_Previous]] = {}
    unreadable: list[str] = []
    tick = _phase(progress, "读取上年报告")
    for outcome in run(_read_previous, sources, jobs=jobs, timeout=timeout, memory_limit=memory_limit, progress=tick):
        value = outcome.value
        if isinstance(value, _Previous):
            by_agency.setdefault(agency_key(value.agency), []).append(value)
        else:
            unreadable.append(Path(sources[outcome.index]).name)
    return _PreviousIndex(str(folder), {key: tuple(found) for key, found in by_agency.items()}, tuple(unreadable))


# ---------------------------------------------------------------------------------------------------
# One agency (a worker task)
# ---------------------------------------------------------------------------------------------------


@frozen
class _Context:
    """What every worker of a batch needs, set once per worker by :func:`_start_worker`."""

    outdir: str
    kinds: tuple[str, ...]
    draft: bool
    owner: int
    previous: _PreviousIndex | None
    rules: RulePack | None = None


_context: _Context | None = None


def _start_worker(context: _Context) -> None:
    global _context
    _context = context
    warm_up(context.kinds)  # already done before forking; spawned workers compile here, once


@frozen
class _Done:
    """A worker's answer: the result (without outputs) and the temporary files to put in place."""

    result: AgencyResult
    stem: str = ""
    temporaries: tuple[tuple[str, str], ...] = ()
    #: The report's texts and agency only, for the comparison with the other agencies (peers.text_similar).
    texts: AnnualReport | None = None


def _process(source: str) -> _Done:
    """Load, match last year's report, check once, render and write temporaries."""
    context = _context
    assert context is not None, "the worker was not started by run_batch"
    try:
        report = load(source)
    except ReportkitError as exc:
        return _Done(AgencyResult(source, STATUS_UNREADABLE, findings=(str(exc),)))
    except MemoryError:
        raise
    except Exception as exc:  # a bug must not stop the other agencies; it is reported in the summary
        return _Done(AgencyResult(source, STATUS_UNREADABLE, findings=(_internal(exc),)))
    try:
        previous_file, notes = (None, []) if context.previous is None else context.previous.match(report, source)
        previous = None
        if previous_file is not None:
            try:
                previous = load(previous_file.source)
            except ReportkitError as exc:  # changed since it was indexed: no cross-year check, said so
                message = f"上年报告 {previous_file.source} 无法读取（{exc.summary}），未做跨年核对"
                notes.append(Finding("previous.missing", Severity.WARNING, Location("报告信息", "机关名称"), message))
                previous_file = None
        findings = [*check(report, previous), *check_evaluators(report, previous, context.rules), *notes]
    except MemoryError:
        raise
    except Exception as exc:
        return _Done(AgencyResult(source, STATUS_RENDER_FAILED, agency=report.agency.name, findings=(_internal(exc),)))
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    lines = tuple(str(f) for f in findings[:SUMMARY_FINDINGS])
    if len(findings) > SUMMARY_FINDINGS:
        lines += (f"……另有 {len(findings) - SUMMARY_FINDINGS} 项",)
    result = AgencyResult(
        source,
        STATUS_DRAFT if errors else STATUS_OK,
        agency=report.agency.name,
        title=report.title,
        errors=errors,
        warnings=len(findings) - errors,
        findings=lines,
        totals=key_totals(report),
        previous=previous_file.source if previous_file is not None else "",
    )
    texts = _texts_only(report)
    if errors and not context.draft:
        return _Done(attrs.evolve(result, status=STATUS_FINDINGS), texts=texts)
    stem = safe_filename(clean_text(report.title))  # a lone surrogate cannot be part of a file name
    if context.draft:
        stem = draft_name(stem)  # every output of a --draft batch is marked 草稿, and says so in its name
    written: list[tuple[str, str]] = []
    try:
        for kind in context.kinds:
            data = render(kind, report, draft=context.draft)
            temporary = write_temporary(Path(context.outdir) / f"{stem}.{kind}", data, owner=context.owner)
            written.append((kind, str(temporary)))
    except MemoryError:
        _discard(written)
        raise
    except Exception as exc:  # ReportkitError, OSError or a bug: this agency fails, nothing half-made stays
        _discard(written)
        problem = str(exc) if isinstance(exc, ReportkitError | OSError) else _internal(exc)
        return _Done(
            attrs.evolve(result, status=STATUS_RENDER_FAILED, findings=(*result.findings, problem)), texts=texts
        )
    return _Done(result, stem, tuple(written), texts)


def _texts_only(report: AnnualReport) -> AnnualReport:
    """``report`` without its tables: what the peer comparison reads, small to send back to the parent."""
    return AnnualReport(
        agency=report.agency,
        report=attrs.evolve(report.report, signed_on=None, published_on=None),
        overview=report.overview,
        problems=report.problems,
        other=attrs.evolve(report.other, information_fees=None),
        format=report.format,
    )


def _with_peers(result: AgencyResult, found: Sequence[Finding]) -> AgencyResult:
    """``result`` with its peers.text_similar warnings, always shown (before a “……另有” line)."""
    if not found:
        return result
    lines = list(result.findings)
    more = lines.pop() if lines and lines[-1].startswith("……另有") else None
    lines += [str(f) for f in found]
    if more is not None:
        lines.append(more)
    return attrs.evolve(result, warnings=result.warnings + len(found), findings=tuple(lines))


def _discard(temporaries: Iterable[tuple[str, str]]) -> None:
    for _, path in temporaries:
        with contextlib.suppress(OSError):
            os.unlink(path)


# ---------------------------------------------------------------------------------------------------
# The batch
# ---------------------------------------------------------------------------------------------------


def _phase(progress: Callable[[str, int, int], None] | None, phase: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    report = progress
    return lambda done, total: report(phase, done, total)


def _same_folder(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


class _OutputNames:
    """Distinct output stems (case-insensitively, as Windows compares) that never give an input's name."""

    def __init__(self, taken: Iterable[str], kinds: Sequence[str]) -> None:
        self.taken = {name.casefold() for name in taken}
        self.kinds = tuple(kinds)
        self.seen: set[str] = set()

    def claim(self, base: str) -> str:
        candidate, counter = base, 2
        while candidate.casefold() in self.seen or any(
            f"{candidate}.{kind}".casefold() in self.taken for kind in self.kinds
        ):
            candidate = f"{base}-{counter}"
            counter += 1
        self.seen.add(candidate.casefold())
        return candidate


def _commit(done: _Done, out: Path, names: _OutputNames) -> AgencyResult:
    """Give a worker's temporaries their final names; on failure remove them all."""
    result = done.result
    if not done.temporaries:
        return result
    stem = names.claim(done.stem)
    placed: list[str] = []
    try:
        for kind, temporary in done.temporaries:
            placed.append(str(commit(temporary, out / f"{stem}.{kind}", inputs=(result.source,))))
    except (OSError, ReportkitError) as exc:
        _discard(done.temporaries)
        for path in placed:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return attrs.evolve(result, status=STATUS_RENDER_FAILED, findings=(*result.findings, str(exc)))
    return attrs.evolve(result, outputs=tuple(placed))


def run_batch(
    folder: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    *,
    previous: str | os.PathLike[str] | None = None,
    kinds: Sequence[str] = ("docx", "xlsx"),
    draft: bool = False,
    jobs: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    progress: Callable[[str, int, int], None] | None = None,
    rules: RulePack | None = None,
) -> list[AgencyResult]:
    """Check every input in ``folder`` and render the good ones into ``outdir``.

    Each report is checked by the official rules, the evaluators' rules and the local rule pack ``rules``
    when given; once all are read, the agencies' texts are compared with each other (``peers.text_similar``,
    in both agencies' findings).

    ``previous`` is a folder of last year's reports, matched by agency name (white space and full-width
    forms ignored). ``timeout`` (seconds) and ``memory_limit`` (bytes) bound each agency's work; an agency
    past them is skipped and reported. ``progress`` is called as ``progress(phase, done, total)``. Output
    names come from the report titles, made safe and distinct, and never equal to an input's name.
    """
    sources = discover(folder)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    remove_temporaries(out)
    jobs = max(1, jobs or os.cpu_count() or 1)
    taken = [s.name for s in sources] if _same_folder(folder, out) else []
    index = None
    if previous is not None:
        if _same_folder(previous, out):
            taken += [s.name for s in discover(previous)]
        index = _index_previous(previous, jobs, timeout, memory_limit, progress)
    names = _OutputNames(taken, kinds)
    context = _Context(str(out), tuple(kinds), draft, os.getpid(), index, rules)
    warm_up(kinds)  # compile the templates once, before forking: workers inherit them
    results: list[AgencyResult] = []
    texts: list[tuple[int, AnnualReport]] = []
    outcomes: Iterable[Outcome[_Done]] = run(
        _process,
        [str(s) for s in sources],
        jobs=jobs,
        timeout=timeout,
        memory_limit=memory_limit,
        initializer=_start_worker,
        initargs=(context,),
        progress=_phase(progress, "检查并生成"),
    )
    try:
        for outcome in outcomes:
            if outcome.failure is not None:
                source = str(sources[outcome.index])
                status = _POOL_FAILURES[outcome.failure.kind]
                results.append(AgencyResult(source, status, findings=(outcome.failure.message,)))
            else:
                assert outcome.value is not None
                if outcome.value.texts is not None:
                    texts.append((len(results), outcome.value.texts))
                results.append(_commit(outcome.value, out, names))
    finally:
        # Temporaries of workers killed mid-write (a time limit, an interrupt) belong to this process.
        remove_temporaries(out, owner=os.getpid())
    peers = peer_findings([(results[i].source, report) for i, report in texts])
    return [_with_peers(result, peers.get(result.source, ())) for result in results]


# ---------------------------------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------------------------------

#: Characters no summary cell may hold: C0/C1 controls (openpyxl refuses them, a terminal obeys them)
#: and the two XML non-characters.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: What a spreadsheet takes for the start of a formula (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The most characters an Excel cell holds.
_CELL_CHARS = 32_767


def _surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    # 0xDC80-0xDCFF is a byte of a file name that is not UTF-8 (Python's surrogateescape): show the byte.
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"


def clean_text(text: str) -> str:
    """``text`` made safe to show anywhere: an undecodable byte of a file name shown as ``\\xNN``, any
    other lone surrogate as U+FFFD, white-space controls as a space, other control characters removed,
    and cut to what an Excel cell holds."""
    text = _SURROGATE.sub(_surrogate, text)
    text = _CONTROL.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)
    if len(text) > _CELL_CHARS:
        text = text[: _CELL_CHARS - 1] + "…"
    return text


_SUMMARY_HEAD = ("数据文件", "机关", "报告标题", "状态", "错误数", "提醒数")


def _summary_rows(results: Sequence[AgencyResult]) -> tuple[list[str], list[list[Any]]]:
    total_labels = [label for label, _ in next((r.totals for r in results if r.totals), ())]
    head = [*_SUMMARY_HEAD, *total_labels, "上年报告", "问题", "输出文件"]
    rows = []
    for r in results:
        values = dict(r.totals)
        rows.append(
            [
                clean_text(r.source),
                clean_text(r.agency),
                clean_text(r.title),
                r.status,
                r.errors,
                r.warnings,
                *(values.get(label, "") for label in total_labels),
                clean_text(r.previous),
                _multiline(r.findings),
                _multiline(r.outputs),
            ]
        )
    return head, rows


def _multiline(lines: Iterable[str]) -> str:
    return "\n".join(clean_text(line) for line in lines)[:_CELL_CHARS]


def _csv_cell(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula gets a leading ``'`` (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def summary_csv(results: Sequence[AgencyResult]) -> bytes:
    """The batch summary as CSV, UTF-8 with a BOM so Excel opens the Chinese correctly."""
    head, rows = _summary_rows(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(head)
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write one cell; a text is always text (openpyxl takes a text starting with ``=`` for a formula)."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _line_count(text: str, width: float) -> int:
    """How many lines ``text`` takes in a column ``width`` wide (a CJK character is about two units)."""
    count = 0
    for line in text.split("\n"):
        units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in line)
        count += max(1, -(-units // max(int(width) - 1, 1)))
    return count


def summary_xlsx(results: Sequence[AgencyResult]) -> bytes:
    """The batch summary as a workbook: one row per agency, failures first-glance red."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    head, rows = _summary_rows(results)
    book = Workbook()
    sheet = book.active
    sheet.title = "汇总"
    for column, label in enumerate(head, 1):
        _put(sheet, 1, column, label).font = Font(bold=True)
    red = PatternFill("solid", fgColor="FFC7CE")
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    widths = {1: 30, 2: 24, 3: 40, 4: 16, len(head) - 2: 30, len(head) - 1: 60, len(head): 40}
    wrapped = {1, len(head) - 2, len(head) - 1, len(head)}
    for number, (result, row) in enumerate(zip(results, rows, strict=True), 2):
        lines = 1
        for column, value in enumerate(row, 1):
            cell = _put(sheet, number, column, value)
            if result.failed:
                cell.fill = red
            cell.alignment = wrap if column in wrapped else top
            if column in wrapped and isinstance(value, str):
                lines = max(lines, _line_count(value, widths[column]))
        # Excel and LibreOffice do not size a row to its wrapped text by themselves.
        sheet.row_dimensions[number].height = min(409, 15 * lines)
    sheet.freeze_panes = "A2"
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_summaries(
    results: Sequence[AgencyResult], outdir: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> tuple[Path, Path]:
    """Write ``汇总.xlsx`` and ``汇总.csv`` into ``outdir`` (``汇总-2`` … when an input has that name)."""
    out = Path(outdir)
    taken = {Path(p).name.casefold() for p in inputs if _same_folder(Path(p).parent, out)}
    stem = _OutputNames(taken, ("xlsx", "csv")).claim("汇总")
    xlsx = atomic_write_bytes(out / f"{stem}.xlsx", summary_xlsx(results))
    csv_path = atomic_write_bytes(out / f"{stem}.csv", summary_csv(results))
    return xlsx, csv_path


# ---------------------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------------------


@frozen
class SummaryMember:
    """One report offered to :func:`aggregate`: its file, agency and year, and ``reason`` when it was left out."""

    source: str
    agency: str = ""
    year: int | None = None
    reason: str = ""


@frozen
class CountySummary:
    """The sum of tables 二, 三 and 四 (and the 信息处理费 figures) over one year's reports of several
    agencies. Statistics, not a report: no 成文日期, no kind of agency, no texts."""

    name: str
    year: int
    included: tuple[SummaryMember, ...]
    left_out: tuple[SummaryMember, ...]
    proactive: ProactiveDisclosure
    applications: Applications
    review_litigation: ReviewLitigation
    information_fees: InformationFees | None

    @property
    def title(self) -> str:
        """某县2022年政府信息公开工作年度报告数据汇总."""
        from reportkit.formats import gov2021 as fmt

        return f"{self.name}{fmt.title('', self.year)}数据汇总"

    @property
    def count(self) -> int:
        """How many agencies are summed."""
        return len(self.included)


def _sum_attrs(items: Sequence[Any]) -> Any:
    """The field-wise sum of attrs instances of one class (ints, Decimals and nested instances);
    stated totals are dropped, the sum's totals are computed."""
    cls = type(items[0])
    values: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.name == "declared_total":
            continue
        parts = [getattr(item, field.name) for item in items]
        if attrs.has(type(parts[0])):
            values[field.name] = _sum_attrs(parts)
        elif isinstance(parts[0], int | Decimal):
            values[field.name] = sum(parts, Decimal(0) if isinstance(parts[0], Decimal) else 0)
    return cls(**values)


def _figures(report: AnnualReport) -> tuple[Any, ...]:
    return (report.proactive, report.applications, report.review_litigation, report.other.information_fees)


def aggregate(
    reports: Iterable[AnnualReport | tuple[str, AnnualReport]],
    *,
    name: str = "",
    year: int | None = None,
    left_out: Iterable[SummaryMember] = (),
) -> CountySummary:
    """The sum of tables 二, 三 and 四 (and 信息处理费) over ``reports`` (reports, or ``(file, report)`` pairs).

    Reports of several years are refused unless ``year`` says which to sum (the others are then left
    out, each with its reason). An agency counts once: a second report of the same agency is left out,
    named as a copy when its figures are the same. ``left_out`` adds members the caller already set
    aside (a file that cannot be read …) so the summary lists them too.
    """
    items = [
        entry if isinstance(entry, tuple) else (f"第{number}份报告", entry) for number, entry in enumerate(reports, 1)
    ]
    if not items:
        raise ReportkitError("没有可汇总的报告")
    years = Counter(report.year for _, report in items)
    if year is None:
        if len(years) > 1:
            counts = "、".join(f"{y}年度 {n} 份" for y, n in sorted(years.items()))
            raise ReportkitError(f"报告年度不一致（{counts}），不能相加；请指定汇总哪一年（--year 或 year=）")
        (year,) = years
    included: list[SummaryMember] = []
    dropped = list(left_out)
    kept: dict[str, tuple[str, AnnualReport]] = {}
    for source, report in items:
        member = SummaryMember(source, report.agency.name, report.year)
        if report.year != year:
            dropped.append(attrs.evolve(member, reason=f"报告年度为{report.year}年，不是{year}年"))
            continue
        first = kept.get(agency_key(report.agency.name))
        if first is not None:
            same = _figures(first[1]) == _figures(report)
            what = "与 {0} 数字完全相同（重复的文件）" if same else "与 {0} 是同一机关的报告"
            reason = what.format(first[0]) + "，未重复计入" + ("" if same else "；请确认哪一份正确，删去另一份")
            dropped.append(attrs.evolve(member, reason=reason))
            continue
        kept[agency_key(report.agency.name)] = (source, report)
        included.append(member)
    if not kept:
        raise ReportkitError(f"没有{year}年度的报告可汇总")
    summed = [report for _, report in kept.values()]
    fees = [r.other.information_fees for r in summed if r.other.information_fees is not None]
    return CountySummary(
        name=name,
        year=year,
        included=tuple(included),
        left_out=tuple(dropped),
        proactive=_sum_attrs([r.proactive for r in summed]),
        applications=_sum_attrs([r.applications for r in summed]),
        review_litigation=_sum_attrs([r.review_litigation for r in summed]),
        information_fees=_sum_attrs(fees) if fees else None,
    )


#: The kind (custom document property) of a summary workbook: not a report, not a form.
SUMMARY_KIND = "xlsx-county-summary"
SUMMARY_SHEET = "汇总说明"


def summary_workbook(summary: CountySummary) -> bytes:
    """The summary's workbook: a sheet naming what was summed (the agencies included, those left out
    and why) and tables 二, 三 and 四 in the official layout with the summed figures."""
    from openpyxl.utils import get_column_letter

    from reportkit import xlsx_layout as xl
    from reportkit.formats import gov2021 as fmt

    title = clean_text(summary.title)
    book = xl._new_workbook(SUMMARY_KIND, "1")
    book.properties.title = title

    # 汇总说明
    s = xl._Sheet(book.create_sheet(SUMMARY_SHEET), {1: 8, 2: 36, 3: 36, 4: 40}, form=False)
    xl._heading(s, title, 4)
    _put(s.ws, 1, 1, title)  # a name given as "=…" stays text
    row = 3
    facts: list[tuple[str, Any]] = [
        ("汇总范围", summary.name or "（未指定）"),
        ("报告年度", summary.year),
        ("汇总单位数", summary.count),
        ("未计入单位数", len(summary.left_out)),
        ("报告格式", f"{fmt.FORMAT_ID}（{fmt.NOTICE}）"),
    ]
    fees = summary.information_fees
    if fees is not None:
        values = (fees.notices, fees.notified_yuan, fees.collected_yuan)
        facts += [(label, value) for (_, label, _), value in zip(xl.FEE_ROWS, values, strict=True)]
    for label, value in facts:
        s.label(row, 1, label, cols=2, font=xl.F_HEADER, align=xl.A_LEFT)
        s.label(row, 3, "", cols=2, align=xl.A_LEFT)
        _put(s.ws, row, 3, clean_text(value) if isinstance(value, str) else value)
        row += 1
    for heading, members, columns in (
        ("计入汇总的单位", summary.included, ("序号", "机关名称", "数据文件")),
        ("未计入的单位", summary.left_out, ("序号", "机关名称", "数据文件", "原因")),
    ):
        if not members and heading == "未计入的单位":
            continue
        row += 1
        s.label(row, 1, f"{heading}（{len(members)} 个）", cols=4, font=xl.F_HEADER, align=xl.A_LEFT, border=False)
        row += 1
        for column, label in enumerate(columns, 1):
            s.label(row, column, label, font=xl.F_HEADER)
        row += 1
        for number, member in enumerate(members, 1):
            texts = (member.agency, member.source, member.reason)[: len(columns) - 1]
            s.label(row, 1, str(number))
            for column, text in enumerate(texts, 2):
                s.label(row, column, "", align=xl.A_LEFT)
                _put(s.ws, row, column, clean_text(text))
                s.need_height(row, (xl._line_count(clean_text(text), s.width(column)) * 14.5 + 6))
            row += 1
    xl._print_setup(s.ws, landscape=False, title_rows=None, area=f"A1:D{row - 1}")
    s.finish()

    def values_of(field: str) -> int | Decimal:
        head, _, rest = field.partition(".")
        if head == "applications":
            line, _, column = rest.rpartition(".")
            return summary.applications.cell(line, column)
        if head == "review_litigation":
            return summary.review_litigation.cell(rest)
        return summary.proactive.value(rest)

    def subtitle(sheet: Any, columns: int) -> None:
        cell = _put(sheet.ws, 2, 1, clean_text(f"{summary.title}（{summary.count} 个单位）"))
        cell.font = xl.F_NOTE
        cell.alignment = xl.A_LEFT
        sheet.ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=columns)

    # 二
    s = xl._Sheet(book.create_sheet(xl.Sheets.PROACTIVE), {1: 22, 2: 16, 3: 16, 4: 16}, form=False)
    xl._heading(s, fmt.PROACTIVE.heading, xl._T2_COLS)
    subtitle(s, xl._T2_COLS)
    end = xl._draw_proactive(s, 3)
    xl._print_setup(s.ws, landscape=False, title_rows=None, area=f"A1:D{end - 1}")
    drawn = list(s.fields)
    s.finish()

    # 三
    s = xl._Sheet(book.create_sheet(xl.Sheets.APPLICATIONS), xl._t3_widths(), form=False)
    depth = xl._tree_depth(fmt.APPLICATIONS_TABLE.rows)
    ncols = depth + len(fmt.APPLICATIONS_TABLE.column_leaves)
    xl._heading(s, fmt.APPLICATIONS.heading, ncols)
    subtitle(s, ncols)
    first, last = xl._t3_fields(s, 3)
    xl._print_setup(s.ws, landscape=True, title_rows=(3, first - 1), area=f"A1:{get_column_letter(ncols)}{last}")
    s.ws.freeze_panes = s.ws.cell(row=first, column=1 + depth)
    drawn += s.fields
    s.finish()

    # 四
    ncols = len(fmt.REVIEW_LITIGATION_TABLE.column_leaves)
    s = xl._Sheet(book.create_sheet(xl.Sheets.REVIEW), dict.fromkeys(range(1, ncols + 1), 9.0), form=False)
    xl._heading(s, fmt.REVIEW_LITIGATION.heading, ncols)
    subtitle(s, ncols)
    data_row = xl._t4_fields(s, 3)
    xl._print_setup(s.ws, landscape=True, title_rows=(3, data_row - 1), area=f"A1:{get_column_letter(ncols)}{data_row}")
    drawn += s.fields
    s.finish()

    for field in drawn:
        book[field.sheet][field.coord].value = values_of(field.field)
    book.active = 0
    return xl.workbook_bytes(book)


def _summary_input(source: str) -> tuple[AnnualReport, int] | str:
    """A report's figures (texts dropped: the pipe stays small) and its number of errors, or why it
    cannot be read (a worker task)."""
    from reportkit.model import OtherMatters, Overview, Problems

    try:
        report = load(source)
        errors = sum(1 for f in check(report) if f.severity is Severity.ERROR)
    except ReportkitError as exc:
        return exc.summary
    except MemoryError:
        raise
    except Exception as exc:
        return _internal(exc)
    figures = attrs.evolve(
        report,
        report=attrs.evolve(report.report, preamble=""),
        overview=Overview(),
        problems=Problems(),
        other=OtherMatters("", report.other.information_fees),
    )
    return figures, errors


def summary_inputs(
    folder: str | os.PathLike[str],
    *,
    include_errors: bool = False,
    jobs: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> tuple[list[tuple[str, AnnualReport]], list[SummaryMember]]:
    """The reports of ``folder`` to give :func:`aggregate` (their figures only), and the files set aside:
    unreadable (or past the time or memory limit) and, unless ``include_errors``, reports with errors."""
    sources = [str(s) for s in discover(folder)]
    jobs = max(1, jobs or os.cpu_count() or 1)
    items: list[tuple[str, AnnualReport]] = []
    left_out: list[SummaryMember] = []
    for outcome in run(_summary_input, sources, jobs=jobs, timeout=timeout, memory_limit=memory_limit):
        source = sources[outcome.index]
        value = outcome.value
        if outcome.failure is not None or not isinstance(value, tuple):
            problem = outcome.failure.message if outcome.failure is not None else str(value)
            left_out.append(SummaryMember(source, reason=f"无法读取：{problem}"))
            continue
        report, errors = value
        if errors and not include_errors:
            reason = f"有 {errors} 项错误，未计入（改正后重新汇总，或用 --include-errors 计入）"
            left_out.append(SummaryMember(source, report.agency.name, report.year, reason))
            continue
        items.append((source, report))
    return items, left_out
