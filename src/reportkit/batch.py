"""Many agencies at once: check and render every report in a folder, and add up a county's tables.

:func:`run_batch` reads every figures file and filled form in a folder, checks each (against last
year's report of the same agency when a folder of those is given), renders the good ones in parallel
processes and returns one :class:`AgencyResult` per input. A bad file never stops the others.
:func:`aggregate` adds up tables 二, 三 and 四 of several reports into one report of the same layout.

Workers write their own outputs (atomically), so the parent process holds only small results: memory
stays flat however many agencies there are.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from reportkit.errors import ReportkitError
from reportkit.fs import TEMP_SUFFIX, atomic_write_bytes
from reportkit.io import FIGURES_SUFFIXES, FORM_SUFFIXES, load
from reportkit.model import Agency, AgencyKind, AnnualReport, OtherMatters, ReportInfo
from reportkit.names import unique_names
from reportkit.render import render, warm_up
from reportkit.rules import Finding, Severity, check

__all__ = ["AgencyResult", "aggregate", "discover", "run_batch", "summary_csv", "summary_xlsx"]

#: A folder with more inputs than this is refused: it is almost certainly not one county's reports.
MAX_INPUTS = 20_000
#: How many findings of one agency the summary spells out.
SUMMARY_FINDINGS = 10

STATUS_OK = "已生成"
STATUS_FINDINGS = "有错误，未生成"
STATUS_DRAFT = "有错误，已生成草稿"
STATUS_UNREADABLE = "无法读取"
STATUS_RENDER_FAILED = "生成失败"


@frozen
class AgencyResult:
    """What happened to one input of a batch."""

    source: str
    status: str
    agency: str = ""
    title: str = ""
    errors: int = 0
    warnings: int = 0
    findings: tuple[str, ...] = ()
    totals: tuple[tuple[str, int], ...] = ()
    outputs: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status in (STATUS_FINDINGS, STATUS_UNREADABLE, STATUS_RENDER_FAILED)


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


#: What :func:`reportkit.fs.atomic_write_bytes` names a file while it is being written.
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]+" + re.escape(TEMP_SUFFIX) + "$")


def remove_stale_temporaries(outdir: Path) -> list[Path]:
    """Delete the temporary files a killed earlier run left in ``outdir`` (never a finished output)."""
    removed = []
    for entry in outdir.iterdir():
        if _TEMPORARY.match(entry.name) and entry.is_file():
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


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


# ---------------------------------------------------------------------------------------------------
# Workers (top-level functions: they run in other processes)
# ---------------------------------------------------------------------------------------------------


@frozen
class _Checked:
    source: str
    report: AnnualReport | None
    findings: tuple[Finding, ...]
    problem: str


def _check_one(source: str) -> _Checked:
    try:
        report = load(source)
    except ReportkitError as exc:
        return _Checked(source, None, (), str(exc))
    except Exception as exc:  # a bug must not stop the other agencies; it is reported in the summary
        return _Checked(source, None, (), f"内部错误（请报告此问题）：{type(exc).__name__}: {exc}")
    return _Checked(source, report, tuple(check(report)), "")


def _render_one(
    job: tuple[AnnualReport, str, tuple[str, ...], bool, str, tuple[str, ...]],
) -> tuple[tuple[str, ...], str]:
    report, stem, kinds, draft, outdir, inputs = job
    written = []
    try:
        for kind in kinds:
            data = render(kind, report, draft=draft)
            target = atomic_write_bytes(Path(outdir) / f"{stem}.{kind}", data, inputs=inputs)
            written.append(str(target))
    except ReportkitError as exc:
        return tuple(written), str(exc)
    except Exception as exc:  # a bug must not stop the other agencies; it is reported in the summary
        return tuple(written), f"内部错误（请报告此问题）：{type(exc).__name__}: {exc}"
    return tuple(written), ""


def _executor(jobs: int) -> Executor:
    # fork lets workers inherit the compiled templates; elsewhere the platform default (spawn).
    method = "fork" if sys.platform == "linux" else None
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method))


class _Serial(Executor):
    """Runs jobs in this process: for --jobs 1, and for tests."""

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
        buffersize: int | None = None,
    ) -> Iterator[Any]:
        return map(fn, *iterables)


def run_batch(
    folder: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    *,
    previous: str | os.PathLike[str] | None = None,
    kinds: Sequence[str] = ("docx", "xlsx"),
    draft: bool = False,
    jobs: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[AgencyResult]:
    """Check every input in ``folder`` and render the good ones into ``outdir``.

    ``previous`` is a folder of last year's reports, matched by agency name. ``progress`` is called as
    ``progress(phase, done, total)``. Output names come from the report titles, made safe and distinct.
    """
    sources = discover(folder)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)
    jobs = max(1, jobs or os.cpu_count() or 1)
    chunk = max(1, len(sources) // (jobs * 8))
    if jobs > 1 and len(sources) > 1:
        warm_up(kinds)  # compile the templates once, before forking: workers inherit them
    executor: Executor = _executor(jobs) if jobs > 1 and len(sources) > 1 else _Serial()
    with executor:
        checked: list[_Checked] = []
        for result in executor.map(_check_one, [str(s) for s in sources], chunksize=chunk):
            checked.append(result)
            if progress:
                progress("检查", len(checked), len(sources))
        if previous is not None:
            checked = _check_against_previous(checked, executor, previous, chunk)
        to_render = [
            c
            for c in checked
            if c.report is not None and (draft or not any(f.severity is Severity.ERROR for f in c.findings))
        ]
        stems = dict(
            zip(
                (c.source for c in to_render),
                unique_names([c.report.title for c in to_render if c.report]),
                strict=True,
            )
        )
        render_jobs = [
            (c.report, stems[c.source], tuple(kinds), draft, str(out), (c.source,))
            for c in to_render
            if c.report is not None
        ]
        rendered: dict[str, tuple[tuple[str, ...], str]] = {}
        outcomes = executor.map(_render_one, render_jobs, chunksize=chunk)
        for job, outcome in zip(render_jobs, outcomes, strict=True):
            rendered[job[5][0]] = outcome
            if progress:
                progress("生成", len(rendered), len(render_jobs))
    return [_result(c, rendered.get(c.source)) for c in checked]


def _check_against_previous(
    checked: list[_Checked], executor: Executor, folder: str | os.PathLike[str], chunk: int
) -> list[_Checked]:
    """Run the checks again with last year's report of the same agency (matched by name), where one exists.

    An unreadable previous report is skipped: last year's file is context, not this year's input.
    """
    last_year = {
        c.report.agency.name: c.report
        for c in executor.map(_check_one, [str(s) for s in discover(folder)], chunksize=chunk)
        if c.report is not None
    }
    result = []
    for c in checked:
        previous = last_year.get(c.report.agency.name) if c.report is not None else None
        if c.report is not None and previous is not None:
            c = _Checked(c.source, c.report, tuple(check(c.report, previous)), "")
        result.append(c)
    return result


def _result(checked: _Checked, rendered: tuple[tuple[str, ...], str] | None) -> AgencyResult:
    if checked.report is None:
        return AgencyResult(checked.source, STATUS_UNREADABLE, findings=(checked.problem,))
    report = checked.report
    errors = sum(1 for f in checked.findings if f.severity is Severity.ERROR)
    findings = tuple(str(f) for f in checked.findings[:SUMMARY_FINDINGS])
    if len(checked.findings) > SUMMARY_FINDINGS:
        findings += (f"……另有 {len(checked.findings) - SUMMARY_FINDINGS} 项",)
    outputs: tuple[str, ...] = ()
    if rendered is None:
        status = STATUS_FINDINGS
    else:
        outputs, problem = rendered
        if problem:
            status = STATUS_RENDER_FAILED
            findings += (problem,)
        else:
            status = STATUS_DRAFT if errors else STATUS_OK
    return AgencyResult(
        checked.source,
        status,
        agency=report.agency.name,
        title=report.title,
        errors=errors,
        warnings=len(checked.findings) - errors,
        findings=findings,
        totals=key_totals(report),
        outputs=outputs,
    )


# ---------------------------------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------------------------------

_SUMMARY_HEAD = ("数据文件", "机关", "报告标题", "状态", "错误数", "提醒数")


def _summary_rows(results: Sequence[AgencyResult]) -> tuple[list[str], list[list[Any]]]:
    total_labels = [label for label, _ in next((r.totals for r in results if r.totals), ())]
    head = [*_SUMMARY_HEAD, *total_labels, "问题", "输出文件"]
    rows = []
    for r in results:
        values = dict(r.totals)
        rows.append(
            [
                r.source,
                r.agency,
                r.title,
                r.status,
                r.errors,
                r.warnings,
                *(values.get(label, "") for label in total_labels),
                "\n".join(r.findings),
                "\n".join(r.outputs),
            ]
        )
    return head, rows


def summary_csv(results: Sequence[AgencyResult]) -> bytes:
    """The batch summary as CSV, UTF-8 with a BOM so Excel opens the Chinese correctly."""
    head, rows = _summary_rows(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(head)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def summary_xlsx(results: Sequence[AgencyResult]) -> bytes:
    """The batch summary as a workbook: one row per agency, failures first-glance red."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    head, rows = _summary_rows(results)
    book = Workbook()
    sheet = book.active
    sheet.title = "汇总"
    sheet.append(head)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    red = PatternFill("solid", fgColor="FFC7CE")
    for result, row in zip(results, rows, strict=True):
        sheet.append(row)
        if result.failed:
            for cell in sheet[sheet.max_row]:
                cell.fill = red
    for cell in sheet["A"] + sheet[chr(ord("A") + len(head) - 2)]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    widths = {1: 30, 2: 24, 3: 40, 4: 16}
    for index, width in widths.items():
        sheet.column_dimensions[chr(ord("A") + index - 1)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------------------


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


def aggregate(reports: Sequence[AnnualReport], *, name: str = "", year: int | None = None) -> AnnualReport:
    """One report whose tables 二, 三 and 四 (and 信息处理费 figures) are the sums over ``reports``.

    Texts are left empty: an aggregate is statistics, not a report any agency signs.
    """
    if not reports:
        raise ReportkitError("没有可汇总的报告")
    years = {r.year for r in reports}
    report_year = year if year is not None else max(years)
    fees = [r.other.information_fees for r in reports if r.other.information_fees is not None]
    last = max((r.report.signed_on for r in reports if r.report.signed_on is not None), default=None)
    return AnnualReport(
        agency=Agency(name or f"{len(reports)}个单位汇总", AgencyKind.GOVERNMENT),
        report=ReportInfo(report_year, last),
        proactive=_sum_attrs([r.proactive for r in reports]),
        applications=_sum_attrs([r.applications for r in reports]),
        review_litigation=_sum_attrs([r.review_litigation for r in reports]),
        other=OtherMatters("", _sum_attrs(fees) if fees else None),
    )
