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

import bisect
import contextlib
import csv
import difflib
import hashlib
import io
import os
import pickle
import re
import shutil
import tempfile
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

import attrs
from attrs import frozen

from reportkit import formats
from reportkit.cells import Tables, Value, from_cells, input_cells, spec_of, specs, table_cells
from reportkit.errors import ReportkitError
from reportkit.evaluators import TEXT_FIELDS, PeerColumns, PeerText, check_evaluators, peer_findings
from reportkit.field_labels import REPORT_GROUP, label_of
from reportkit.formats.layout import ValueType
from reportkit.formats.spec import ReportFormat
from reportkit.fs import commit, remove_temporaries, write_temporary
from reportkit.io import FIGURES_SUFFIXES, FORM_SUFFIXES, load
from reportkit.model import (
    AnnualReport,
    Applications,
    InformationFees,
    ProactiveDisclosure,
    ReviewLitigation,
    trusted,
)
from reportkit.names import draft_name, safe_filename
from reportkit.ooxml.package import Member, PackageStream
from reportkit.pool import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT, FailureKind, Outcome, run
from reportkit.render import render, warm_up
from reportkit.rules import Finding, Location, Severity, agency_key, check
from reportkit.values import Blank, Unit

if TYPE_CHECKING:
    from reportkit.rulepacks import RulePack

__all__ = [
    "AgencyResult",
    "CountySummary",
    "NothingToAggregate",
    "ResultLog",
    "SummaryMember",
    "aggregate",
    "aggregate_folder",
    "clean_text",
    "discover",
    "run_batch",
    "summary_csv",
    "summary_inputs",
    "summary_workbook",
    "summary_xlsx",
    "write_summaries",
]

T = TypeVar("T")

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
    totals: tuple[tuple[str, int | None], ...] = ()
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
    found: list[str] = []
    for entry in os.scandir(root):
        name = entry.name
        if name.startswith((".", "~$")) or not entry.is_file():
            continue
        if os.path.splitext(name)[1].lower() in suffixes:
            found.append(name)
            if len(found) > MAX_INPUTS:
                raise ReportkitError(f"文件夹中的数据文件超过 {MAX_INPUTS} 个，请分批处理", source=str(root))
    # Names of one folder sorted as their paths sort (normcase: case-insensitively on Windows), without
    # comparing Path objects (a Python-level comparison each: seconds for 20,000 files).
    found.sort(key=os.path.normcase)
    return [root / name for name in found]


def remove_stale_temporaries(outdir: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files killed earlier runs left in ``outdir`` (reportkit's own, of processes no
    longer alive; never a finished output, a user's file or a running batch's temporaries)."""
    return remove_temporaries(outdir)


def key_totals(report: AnnualReport) -> tuple[tuple[str, int | None], ...]:
    """The figures a county office looks at first, labelled from the format (None: a blank cell makes the
    total impossible)."""
    layout = report.layout
    table = layout.applications_table
    apps = report.applications
    rows = [
        (table.row(key).short_label, apps.row(key).total) for key in ("new", "carried_over", "total", "carried_forward")
    ]
    rows += [(group.label, getattr(report.review_litigation, group.key).total) for group in layout.case_groups]
    return tuple(rows)


def _internal(exc: BaseException) -> str:
    return f"内部错误（请报告此问题）：{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------------------------------------------
# Last year's reports
# ---------------------------------------------------------------------------------------------------


@frozen
class _Previous:
    """One of last year's files: where it is, whose it is, which year, and where its pickled report lies
    in the batch's spool file (``offset``, ``size``)."""

    source: str
    agency: str
    year: int
    offset: int = -1
    size: int = 0


def _read_previous(source: str) -> tuple[_Previous, bytes] | str:
    """A previous-year file's agency and year with the pickled report, or why it cannot be read (a worker
    task). The parent spools the pickle: each file is parsed once, however many agencies there are."""
    try:
        report = load(source)
    except ReportkitError as exc:
        return exc.summary
    except MemoryError:
        raise
    except Exception as exc:  # a bug must not stop the batch
        return _internal(exc)
    return _Previous(source, report.agency.name, report.year), pickle.dumps(report, pickle.HIGHEST_PROTOCOL)


class _Spool:
    """An append-only temporary file of pickled records: the parent appends, workers (forked or spawned)
    read a record by its offset with ``pread``, so nobody holds them all in memory."""

    def __init__(self, path: str | None = None) -> None:
        if path is None:
            fd, path = tempfile.mkstemp(prefix="reportkit-spool-", suffix=".bin")
            self.fd, self.owner = fd, True
        else:
            self.fd, self.owner = os.open(path, os.O_RDONLY), False
        self.path = path
        self.end = 0

    def append(self, data: bytes) -> tuple[int, int]:
        offset = self.end
        view = memoryview(data)
        while view:
            written = os.pwrite(self.fd, view, self.end)
            view = view[written:]
            self.end += written
        return offset, len(data)

    def read(self, offset: int, size: int) -> bytes:
        data = os.pread(self.fd, size, offset)
        if len(data) != size:
            raise OSError(f"spool file {self.path} is short at {offset}")
        return data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)
        if self.owner:
            with contextlib.suppress(OSError):
                os.unlink(self.path)


def _key_hash(key: str) -> int:
    """A 64-bit hash of an agency key, the same in every process (``hash`` of a str is salted per process, and
    spawned workers look keys up in the index the parent built)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


@frozen
class _PreviousIndex:
    """Last year's files by agency (:func:`~reportkit.rules.agency_key`), and those that could not be read.

    Kept compact, as the parent and every worker hold it: the agency keys' hashes in ascending order with where
    each file's :class:`_Previous` record lies in the ``records`` spool (16 bytes a file, where a dict of records
    took about 700); a record is read when a report's hash matches, and all of them (one read of the spool) only
    when an agency has none, to name the closest."""

    folder: str
    #: The spool of the pickled reports, and the spool of the records, one pickled after another.
    spool: str
    records: str
    hashes: array[int]
    offsets: array[int]
    sizes: array[int]
    records_size: int
    unreadable: tuple[str, ...]

    def _candidates(self, key: str, read: Callable[[int, int], bytes]) -> list[_Previous]:
        wanted = _key_hash(key)
        found: list[_Previous] = []
        at = bisect.bisect_left(self.hashes, wanted)
        while at < len(self.hashes) and self.hashes[at] == wanted:
            record = pickle.loads(read(self.offsets[at], self.sizes[at]))  # written by this batch
            if agency_key(record.agency) == key:  # not another agency whose key has the same hash
                found.append(record)
            at += 1
        return found

    def _closest(self, key: str, read: Callable[[int, int], bytes]) -> _Previous | None:
        """The first file of the agency whose key is closest to ``key`` (difflib, as a clerk would guess)."""
        keys, offsets, sizes = self._agency_keys(read)
        close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
        if not close:
            return None
        at = keys.index(close[0])
        record: _Previous = pickle.loads(read(offsets[at], sizes[at]))  # written by this batch
        return record

    def _agency_keys(self, read: Callable[[int, int], bytes]) -> tuple[list[str], array[int], array[int]]:
        """Every agency's key, in the folder's order, with where its first file's record is: read from the
        records spool at a process's first agency without last year's file, then kept (a list of names, not
        the records), so that a batch whose agencies mostly have none reads the spool once per worker."""
        global _agency_keys_read
        if _agency_keys_read is not None and _agency_keys_read[0] == (self.records, self.records_size):
            return _agency_keys_read[1]
        keys: dict[str, None] = {}
        offsets, sizes = array("Q"), array("I")
        with io.BytesIO(read(0, self.records_size)) as records:
            while (start := records.tell()) < self.records_size:
                record = pickle.load(records)  # written by this batch
                key = agency_key(record.agency)
                if key not in keys:
                    keys[key] = None
                    offsets.append(start)
                    sizes.append(records.tell() - start)
        found = (list(keys), offsets, sizes)
        _agency_keys_read = ((self.records, self.records_size), found)
        return found

    def match(
        self, report: AnnualReport, source: str, read: Callable[[int, int], bytes]
    ) -> tuple[_Previous | None, list[Finding]]:
        """Last year's file for ``report`` and the warnings about the match: none found (with the closest
        name, perhaps the agency renamed), or several of the same agency. ``read(offset, size)`` reads the
        records spool."""
        location = Location(REPORT_GROUP, label_of("agency.name"), "", "agency.name")
        name = report.agency.name
        key = agency_key(name)
        candidates = self._candidates(key, read)
        if not candidates:
            message = f"在上年报告文件夹 {self.folder} 中没有找到“{name}”的上年报告，未做跨年核对"
            other = self._closest(key, read)
            if other is not None:
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


#: The agency keys a process read from a batch's records spool: the spool (path, size), then what
#: _PreviousIndex._agency_keys returns.
_agency_keys_read: tuple[tuple[str, int], tuple[list[str], array[int], array[int]]] | None = None


def _index_previous(
    folder: str | os.PathLike[str],
    jobs: int,
    timeout: float | None,
    memory_limit: int | None,
    progress: Any,
    spool: _Spool,
    records: _Spool,
) -> _PreviousIndex:
    """Read every previous-year file once (in workers) and spool its report for the agencies' workers, and its
    record for the index."""
    sources = [str(s) for s in discover(folder)]
    hashes = array("Q")
    offsets = array("Q")
    sizes = array("I")
    unreadable: list[str] = []
    tick = _phase(progress, "读取上年报告")
    for outcome in run(_read_previous, sources, jobs=jobs, timeout=timeout, memory_limit=memory_limit, progress=tick):
        value = outcome.value
        if isinstance(value, tuple):
            found, data = value
            offset, size = spool.append(data)
            found = attrs.evolve(found, offset=offset, size=size)
            at, size = records.append(pickle.dumps(found, pickle.HIGHEST_PROTOCOL))
            hashes.append(_key_hash(agency_key(found.agency)))
            offsets.append(at)
            sizes.append(size)
        else:
            unreadable.append(Path(sources[outcome.index]).name)
    # In hash order; a stable sort keeps an agency's files in the folder's order.
    order = sorted(range(len(hashes)), key=hashes.__getitem__)
    return _PreviousIndex(
        str(folder),
        spool.path,
        records.path,
        array("Q", (hashes[i] for i in order)),
        array("Q", (offsets[i] for i in order)),
        array("I", (sizes[i] for i in order)),
        records.end,
        tuple(unreadable),
    )


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
    #: For ``pdf``: where workers put the Word files LibreOffice converts after the first phase, and the
    #: ``soffice`` found (empty when LibreOffice is missing: each agency then says what to install).
    pdf_work: str = ""
    soffice: str = ""
    rules: RulePack | None = None


_context: _Context | None = None
#: A worker's spools of last year's reports and of their records (see _index_previous).
_previous_spool: _Spool | None = None
_record_spool: _Spool | None = None


def _start_worker(context: _Context) -> None:
    global _context, _previous_spool, _record_spool
    _context = context
    _previous_spool = _record_spool = None
    if context.previous is not None:
        _previous_spool = _Spool(context.previous.spool)
        _record_spool = _Spool(context.previous.records)
    warm_up(context.kinds, (formats.NEWEST,))  # already done before forking; spawned workers compile here, once


def _stop_worker() -> None:
    for spool in (_previous_spool, _record_spool):
        if spool is not None:
            spool.close()


def _load_previous(found: _Previous) -> AnnualReport:
    """Last year's report as the index phase read it (spooled), or read again without a spool."""
    if _previous_spool is None or found.offset < 0:
        return load(found.source)
    report = pickle.loads(_previous_spool.read(found.offset, found.size))  # written by this batch
    assert isinstance(report, AnnualReport)
    return report


@frozen
class _Done:
    """A worker's answer: the result (without outputs) and the temporary files to put in place."""

    result: AgencyResult
    stem: str = ""
    temporaries: tuple[tuple[str, str], ...] = ()
    #: The Word file (prepared for LibreOffice) to convert to this agency's PDF in the second phase.
    pdf_source: str = ""
    #: The agency's :class:`PeerText` for the comparison with the other agencies (peers.text_similar), as the
    #: parent's :class:`_PeerLog` keeps it: pickled once, here, rather than unpickled and pickled again there.
    texts: tuple[bytes, ...] = ()


def _no_cross_year_check(message: str) -> Finding:
    """The warning of an agency whose last year's report cannot be read back (its file, or the batch's index)."""
    return Finding("previous.missing", Severity.WARNING, Location(REPORT_GROUP, label_of("agency.name")), message)


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
        previous_file: _Previous | None = None
        notes: list[Finding] = []
        if context.previous is not None:
            assert _record_spool is not None
            try:
                previous_file, notes = context.previous.match(report, source, _record_spool.read)
            except OSError as exc:  # the batch's own temporary file failed (a full or failing disk)
                notes = [_no_cross_year_check(f"上年报告索引（临时文件）无法读取（{exc}），未做跨年核对")]
        previous = None
        if previous_file is not None:
            try:
                previous = _load_previous(previous_file)
            except (ReportkitError, OSError) as exc:  # gone since it was indexed: no cross-year check, said so
                summary = exc.summary if isinstance(exc, ReportkitError) else str(exc)
                message = f"上年报告 {previous_file.source} 无法读取（{summary}），未做跨年核对"
                notes.append(_no_cross_year_check(message))
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
    texts = _PeerLog.pickled(source, PeerText.of(report))
    if errors and not context.draft:
        return _Done(attrs.evolve(result, status=STATUS_FINDINGS), texts=texts)
    stem = safe_filename(clean_text(report.title))  # a lone surrogate cannot be part of a file name
    if context.draft:
        stem = draft_name(stem)  # every output of a --draft batch is marked 草稿, and says so in its name
    written: list[tuple[str, str]] = []
    pdf_source = ""
    try:
        docx: bytes | None = None
        for kind in context.kinds:
            if kind == "pdf":
                pdf_source = _prepare_pdf(
                    context,
                    docx if docx is not None else render("docx", report, draft=context.draft, findings=findings),
                )
                continue
            data = render(kind, report, draft=context.draft, findings=findings)
            if kind == "docx":
                docx = data
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
    return _Done(result, stem, tuple(written), pdf_source=pdf_source, texts=texts)


def _prepare_pdf(context: _Context, docx: bytes) -> str:
    """Write the Word file LibreOffice will convert (the second phase), as ``convert_to_pdf`` prepares it."""
    from reportkit.errors import RenderError
    from reportkit.render.docx_fit import for_libreoffice
    from reportkit.render.pdf import INSTALL_HINT

    if not context.soffice:
        raise RenderError(INSTALL_HINT)
    fd, path = tempfile.mkstemp(prefix="agency-", suffix=".docx", dir=context.pdf_work)
    with os.fdopen(fd, "wb") as handle:
        handle.write(for_libreoffice(docx))  # a keep-with-next LibreOffice would lay out badly is relaxed
    return path


#: Documents per LibreOffice run in the PDF phase: starting LibreOffice costs about a second.
PDF_CHUNK = 40
_converter: Any = None


def _pgid_file(work: str) -> str:
    return os.path.join(work, f"soffice-{os.getpid()}.pgid")


def _convert_chunk(sources: list[str]) -> list[tuple[str, str]]:
    """Convert a chunk of prepared Word files with this worker's LibreOffice (a worker task of the PDF
    phase): for each, ``("ok", temporary PDF in the output folder)`` or ``("error", why)``."""
    global _converter
    from reportkit.converter import Converter

    context = _context
    assert context is not None, "the worker was not started by run_batch"
    if _converter is None:
        pgid_file = _pgid_file(context.pdf_work)
        _converter = Converter(context.soffice, timeout=_PDF_TIMEOUT, pgid_file=pgid_file, workdir=context.pdf_work)
    answers: list[tuple[str, str]] = []
    try:
        for source, pdf in zip(sources, _converter.convert(sources), strict=True):
            if isinstance(pdf, str):
                answers.append(("error", pdf))
                continue
            target = Path(context.outdir) / f"{Path(source).stem}.pdf"
            answers.append(("ok", str(write_temporary(target, pdf, owner=context.owner))))
    except BaseException:
        _discard(answer for answer in answers if answer[0] == "ok")
        raise
    finally:
        for source in sources:
            with contextlib.suppress(OSError):
                os.unlink(source)
    return answers


_PDF_TIMEOUT: float | None = None


def _start_pdf_worker(context: _Context, timeout: float | None) -> None:
    global _PDF_TIMEOUT
    _PDF_TIMEOUT = timeout
    _start_worker(context)


def _stop_pdf_worker() -> None:
    global _converter
    if _converter is not None:
        _converter.close()
        _converter = None
    _stop_worker()


def _with_peers(result: AgencyResult, found: Sequence[Finding]) -> AgencyResult:
    """``result`` with its peers.text_similar warnings, always shown: after its other findings, before what
    is not a finding (the “……另有” line, why its files could not be made)."""
    if not found:
        return result
    lines = list(result.findings)
    labels = tuple(f"[{severity.label}]" for severity in Severity)
    at = max((i + 1 for i, line in enumerate(lines) if line.startswith(labels)), default=0)
    lines[at:at] = [str(f) for f in found]
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
) -> ResultLog:
    """Check every input in ``folder`` and render the good ones into ``outdir``; the results, one per
    input in the order of the inputs, are a :class:`ResultLog` (a sequence spooled to disk).

    Each report is checked by the official rules, the evaluators' rules and the local rule pack ``rules``
    when given; once all are read, the agencies' texts are compared with each other (``peers.text_similar``,
    in both agencies' findings).

    ``previous`` is a folder of last year's reports, matched by agency name (white space and full-width
    forms ignored). ``timeout`` (seconds) and ``memory_limit`` (bytes) bound each agency's work; an agency
    past them is skipped and reported. ``progress`` is called as ``progress(phase, done, total)``. Output
    names come from the report titles, made safe and distinct, and never equal to an input's name.
    """
    sources = [str(s) for s in discover(folder)]  # strings, not Paths: a third of the memory, held all the run
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    remove_temporaries(out)
    jobs = max(1, jobs or os.cpu_count() or 1)
    taken = [os.path.basename(s) for s in sources] if _same_folder(folder, out) else []
    results = ResultLog()
    spool = _Spool() if previous is not None else None
    records = _Spool() if previous is not None else None
    pdf_work = tempfile.mkdtemp(prefix="reportkit-batch-pdf-") if "pdf" in kinds else ""
    outcomes: Generator[Outcome[_Done], None, None] | None = None
    texts = _PeerLog()  # spooled: the peers comparison reads them at the end
    try:
        index = None
        if previous is not None:
            assert spool is not None and records is not None
            if _same_folder(previous, out):
                taken += [s.name for s in discover(previous)]
            index = _index_previous(previous, jobs, timeout, memory_limit, progress, spool, records)
        names = _OutputNames(taken, kinds)
        soffice = ""
        if pdf_work:
            from reportkit.render.pdf import find_soffice

            soffice = find_soffice() or ""
        context = _Context(str(out), tuple(kinds), draft, os.getpid(), index, pdf_work, soffice, rules)
        # Compile the templates once, before forking: workers inherit them. Only the newest format's: most of a
        # county's reports are of the current format, and a worker compiles another format's when it meets one.
        warm_up(kinds, (formats.NEWEST,))
        outcomes = run(
            _process,
            sources,
            jobs=jobs,
            timeout=timeout,
            memory_limit=memory_limit,
            initializer=_start_worker,
            initargs=(context,),
            finalizer=_stop_worker,
            progress=_phase(progress, "检查并生成"),
        )
        # A PDF batch keeps the first phase's answers (spooled) until the PDFs are made in a second phase:
        # an agency's files are put in place together, or none of them.
        waiting: _Log[AgencyResult | _Done] | None = _Log() if pdf_work else None
        pending = 0
        for outcome in outcomes:
            if outcome.failure is not None:
                source = sources[outcome.index]
                status = _POOL_FAILURES[outcome.failure.kind]
                result = AgencyResult(source, status, findings=(outcome.failure.message,))
            else:
                assert outcome.value is not None
                if outcome.value.texts:
                    texts.append_pickled(outcome.value.texts)
                if waiting is not None and outcome.value.pdf_source:
                    waiting.append(outcome.value)
                    pending += 1
                    continue
                result = _commit(outcome.value, out, names)
            if waiting is not None:
                waiting.append(result)
            else:
                results.append(result)
        if waiting is not None:
            _pdf_phase(waiting, pending, results, out, names, context, jobs, timeout, memory_limit, progress)
    finally:
        if outcomes is not None:
            outcomes.close()  # an interrupt: the workers go now, not when the traceback is collected
        # Temporaries of workers killed mid-write (a time limit, an interrupt) belong to this process.
        remove_temporaries(out, owner=os.getpid())
        for each in (spool, records):
            if each is not None:
                each.close()
        if pdf_work:
            from reportkit.converter import kill_recorded

            for name in os.listdir(pdf_work):
                if name.endswith(".pgid"):  # a LibreOffice whose worker was killed
                    kill_recorded(os.path.join(pdf_work, name))
            shutil.rmtree(pdf_work, ignore_errors=True)
    peers = peer_findings(texts, flagged_only=True)
    if not peers:
        return results
    with_peers = ResultLog()
    for result in results:
        with_peers.append(_with_peers(result, peers.get(result.source, ())))
    return with_peers


def _pdf_phase(
    waiting: _Log[AgencyResult | _Done],
    pending: int,
    results: ResultLog,
    out: Path,
    names: _OutputNames,
    context: _Context,
    jobs: int,
    timeout: float | None,
    memory_limit: int | None,
    progress: Callable[[str, int, int], None] | None,
) -> None:
    """Convert the prepared Word files in chunks, one LibreOffice run per chunk in each worker, then put
    every agency's files in place (or, when its PDF failed, none of them) in input order."""
    size = max(1, min(PDF_CHUNK, -(-pending // jobs)))
    chunk_sizes = [min(size, pending - start) for start in range(0, pending, size)]

    def chunks() -> Iterator[list[str]]:
        chunk: list[str] = []
        for item in waiting:
            if isinstance(item, _Done):
                chunk.append(item.pdf_source)
                if len(chunk) == size:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk

    # The converter keeps the per-document limit; the pool's limit on a whole chunk is only a backstop.
    chunk_timeout = None if timeout is None else size * timeout + 120
    tick = _phase(progress, "转换 PDF")

    def answers() -> Generator[tuple[str, str], None, None]:
        for outcome in run(
            _convert_chunk,
            chunks(),
            jobs=jobs,
            timeout=chunk_timeout,
            memory_limit=memory_limit,
            initializer=_start_pdf_worker,
            initargs=(context, timeout),
            finalizer=_stop_pdf_worker,
            progress=tick,
            total=len(chunk_sizes),
        ):
            if outcome.failure is not None:
                yield from [("error", f"PDF 转换进程失败：{outcome.failure.message}")] * chunk_sizes[outcome.index]
            else:
                assert outcome.value is not None
                yield from outcome.value

    converted = answers()
    try:
        for item in waiting:
            if isinstance(item, AgencyResult):
                results.append(item)
                continue
            kind, value = next(converted)
            if kind == "ok":
                done = attrs.evolve(item, temporaries=(*item.temporaries, ("pdf", value)))
                results.append(_commit(done, out, names))
            else:
                _discard(item.temporaries)
                failed = item.result
                results.append(attrs.evolve(failed, status=STATUS_RENDER_FAILED, findings=(*failed.findings, value)))
    finally:
        # Stop the workers now (an interrupt), before the batch kills the LibreOffice runs they recorded:
        # a live worker would start another for the rest of its chunk.
        converted.close()


class _Log(Sequence[T]):
    """Records kept in a temporary file rather than in memory (pickled, one after another; only their
    offsets stay in memory). A sequence: ``len``, indexing and iteration read the records back."""

    def __init__(self) -> None:
        # Lives as long as the log (closed when it is collected), so no context manager.
        self._file = tempfile.TemporaryFile(prefix="reportkit-results-")  # noqa: SIM115
        self._offsets = array("q", [0])

    def append(self, record: T) -> None:
        self.append_pickled(pickle.dumps(record, pickle.HIGHEST_PROTOCOL))

    def append_pickled(self, data: bytes) -> None:
        """Append a record pickled already (by a worker of this batch)."""
        end = self._offsets[-1]
        view = memoryview(data)
        while view:  # unbuffered, at the offset: readers use pread
            written = os.pwrite(self._file.fileno(), view, end)
            view, end = view[written:], end + written
        self._offsets.append(end)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        start, end = self._offsets[index], self._offsets[index + 1]
        value: T = pickle.loads(os.pread(self._file.fileno(), end - start, start))  # written by this process
        return value

    def __iter__(self) -> Iterator[T]:
        for index in range(len(self)):
            yield self[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} records)"


class _PeerLog(PeerColumns):
    """The batch's :class:`PeerText` records for :func:`peer_findings`, in temporary files by column: the source
    and agency of each, and each text field's sentences, so that the comparison reads one field at a time
    (twice) and never holds every field's sentences or unpickles a whole record for one field."""

    def __init__(self) -> None:
        self._heads: _Log[tuple[str, str, str, str]] = _Log()  # source, agency key, title name, format
        self._fields: list[_Log[tuple[str, ...]]] = [_Log() for _ in TEXT_FIELDS]

    @staticmethod
    def pickled(source: str, peer: PeerText) -> tuple[bytes, ...]:
        """What a worker sends of ``peer``: the head, then each field, pickled apart."""
        head = (source, peer.agency_key, peer.title_name, peer.format)
        return tuple(pickle.dumps(part, pickle.HIGHEST_PROTOCOL) for part in (head, *peer.sentences))

    def append_pickled(self, parts: tuple[bytes, ...]) -> None:
        head, *fields = parts
        if len(fields) != len(self._fields):
            raise ValueError(f"expected {len(self._fields)} text fields, got {len(fields)}")
        self._heads.append_pickled(head)
        for log, field in zip(self._fields, fields, strict=True):
            log.append_pickled(field)

    def heads(self) -> Iterator[tuple[str, str]]:
        return ((source, agency) for source, agency, _, _ in self._heads)

    def sentences(self, at: int) -> Iterator[tuple[str, ...]]:
        return iter(self._fields[at])

    def head(self, index: int) -> tuple[str, str, str, str]:
        return self._heads[index]  # the head alone: no field is read for a pair or a finding's wording


class ResultLog(_Log[AgencyResult]):
    """The results of a batch, one per input in input order, kept in a temporary file rather than in
    memory, so the parent's memory stays flat however many agencies there are."""


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


def _summary_head(results: Sequence[AgencyResult]) -> tuple[list[str], list[str]]:
    """The summary's column labels, and the labels of the key totals among them."""
    total_labels = [label for label, _ in next((r.totals for r in results if r.totals), ())]
    return [*_SUMMARY_HEAD, *total_labels, "上年报告", "问题", "输出文件"], total_labels


def _summary_row(r: AgencyResult, total_labels: Sequence[str]) -> list[Any]:
    values = dict(r.totals)
    return [
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


def _multiline(lines: Iterable[str]) -> str:
    return "\n".join(clean_text(line) for line in lines)[:_CELL_CHARS]


def _csv_cell(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula gets a leading ``'`` (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _SummaryCsv:
    """The batch summary as CSV, written row by row: UTF-8 with a BOM so Excel opens the Chinese correctly."""

    def __init__(self, handle: Any, head: Sequence[str]) -> None:
        self.text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.text)
        self.writer.writerow(head)

    def row(self, values: Sequence[Any]) -> None:
        self.writer.writerow([_csv_cell(value) for value in values])

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


def summary_csv(results: Sequence[AgencyResult]) -> bytes:
    """The batch summary as CSV, UTF-8 with a BOM so Excel opens the Chinese correctly."""
    head, labels = _summary_head(results)
    buffer = io.BytesIO()
    writer = _SummaryCsv(buffer, head)
    for result in results:
        writer.row(_summary_row(result, labels))
    writer.close()
    return buffer.getvalue()


def _put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write one cell; a text is always text (openpyxl takes a text starting with ``=`` for a formula)."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


#: The characters of two width units (CJK and after), in runs: removed, what is left is one unit a character.
_WIDE_RUNS = re.compile("[^\x00-\u2e80]+")


def _line_count(text: str, width: float) -> int:
    """How many lines ``text`` takes in a column ``width`` wide (a CJK character, above U+2E80, is two units)."""
    count = 0
    per_line = max(int(width) - 1, 1)
    for line in text.split("\n"):
        units = 2 * len(line) - len(_WIDE_RUNS.sub("", line))  # counted in C: a summary has a row per agency
        count += max(1, -(-units // per_line))
    return count


_SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
#: zlib level of the summary (written once per batch: small rather than fast).
_SUMMARY_LEVEL = 6
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SUMMARY_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/>'
        "</Relationships>"
    ),
    "docProps/core.xml": (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:title>批量处理汇总</dc:title><dc:creator>reportkit</dc:creator></cp:coreProperties>"
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_SML}" xmlns:r="{_REL}"><bookViews><workbookView activeTab="0"/></bookViews>'
        '<sheets><sheet name="汇总" sheetId="1" r:id="rId1"/></sheets>'
        # The header row is printed again at the top of every page.
        '<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">\'汇总\'!$1:$1</definedName>'
        "</definedNames></workbook>"
    ),
    # Cell styles: 1 header (bold, grey, centred, wrapped), 2 value, 3 wrapped value, 4 and 5 the same in red
    # (a failed agency); every cell has a thin border, so the printed table has its grid.
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_SML}">'
        '<fonts count="2"><font><sz val="10"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
        '<font><b/><sz val="10"/><name val="宋体"/><family val="3"/><charset val="134"/></font></fonts>'
        '<fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill><fill><patternFill patternType="solid"><fgColor rgb="FFFFC7CE"/><bgColor indexed="64"/>'
        '</patternFill></fill><fill><patternFill patternType="solid"><fgColor rgb="FFD9D9D9"/>'
        '<bgColor indexed="64"/></patternFill></fill></fills>'
        '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
        '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
        '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/>'
        "</border></borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="3" borderId="1" xfId="0" applyFont="1" applyFill="1" '
        'applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1">'
        '<alignment vertical="top"/></xf>'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1">'
        '<alignment vertical="top" wrapText="1"/></xf>'
        '<xf numFmtId="0" fontId="0" fillId="2" borderId="1" xfId="0" applyFill="1" applyBorder="1" '
        'applyAlignment="1"><alignment vertical="top"/></xf>'
        '<xf numFmtId="0" fontId="0" fillId="2" borderId="1" xfId="0" applyFill="1" applyBorder="1" '
        'applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    ),
}
#: Widths (characters) of the summary's columns, named by their label; the key totals are _TOTAL_WIDTH wide.
#: Together they fit A4 landscape at about 75 % (the sheet prints one page wide).
_SUMMARY_WIDTHS = {
    "数据文件": 18.0,
    "机关": 14.0,
    "报告标题": 22.0,
    "状态": 11.0,
    "错误数": 6.0,
    "提醒数": 6.0,
    "上年报告": 18.0,
    "问题": 40.0,
    "输出文件": 24.0,
}
_TOTAL_WIDTH = 7.0
#: Columns whose texts wrap (paths, names, findings); the numbers do not.
_SUMMARY_WRAPPED = {"数据文件", "机关", "报告标题", "状态", "上年报告", "问题", "输出文件"}
_LINE_HEIGHT = 13.5  # points, a line of 10-point 宋体


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _SummaryXlsx:
    """The batch summary as a workbook, written row by row into a zip stream (SpreadsheetML by hand, so
    memory stays flat however many agencies there are): one row per agency, failures first-glance red,
    header frozen and repeated on every printed page, A4 landscape one page wide, page numbers."""

    def __init__(self, handle: Any, head: Sequence[str]) -> None:
        # Deterministic like every package of reportkit; the sheet streams into the file as its rows come.
        self.archive = PackageStream(handle, _SUMMARY_LEVEL)
        for name, xml in _SUMMARY_PARTS.items():
            self.archive.add(Member.deflate(name, (_XML_HEAD + xml).encode(), _SUMMARY_LEVEL))
        self.widths = [_SUMMARY_WIDTHS.get(label, _TOTAL_WIDTH) for label in head]
        self.wrapped = [label in _SUMMARY_WRAPPED for label in head]
        self.letters = [_column_letter(n) for n in range(1, len(head) + 1)]
        self.archive.begin("xl/worksheets/sheet1.xml")
        cols = "".join(
            f'<col min="{n}" max="{n}" width="{w:g}" customWidth="1"/>' for n, w in enumerate(self.widths, 1)
        )
        self._write(
            f'{_XML_HEAD}<worksheet xmlns="{_SML}" xmlns:r="{_REL}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="{_LINE_HEIGHT}"/><cols>{cols}</cols><sheetData>'
        )
        self.number = 0
        self._row(head, header=True, failed=False)

    def _write(self, text: str) -> None:
        self.archive.write(text.encode("utf-8"))

    def _row(self, values: Sequence[Any], *, header: bool, failed: bool) -> None:
        self.number += 1
        lines = 1
        cells: list[str] = []
        for column, value in enumerate(values):
            if value == "" or value is None:
                style = 1 if header else (4 if failed else 2) + self.wrapped[column]
                cells.append(f'<c r="{self.letters[column]}{self.number}" s="{style}"/>')
                continue
            style = 1 if header else (4 if failed else 2) + self.wrapped[column]
            ref = f"{self.letters[column]}{self.number}"
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                text = str(value)
                if self.wrapped[column] or header:
                    lines = max(lines, _line_count(text, self.widths[column]))
                # Always a string cell: a text starting with "=" is never a formula.
                cells.append(
                    f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{_xml(text)}</t></is></c>'
                )
            else:
                cells.append(f'<c r="{ref}" s="{style}"><v>{value}</v></c>')
        # Excel and LibreOffice do not size a row to its wrapped text by themselves.
        height = min(409.0, _LINE_HEIGHT * lines + 3)
        self._write(f'<row r="{self.number}" ht="{height:g}" customHeight="1">{"".join(cells)}</row>')

    def row(self, values: Sequence[Any], *, failed: bool) -> None:
        self._row(values, header=False, failed=failed)

    def close(self) -> None:
        self._write(
            "</sheetData>"
            '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
            '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
            "<headerFooter><oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter></worksheet>"
        )
        self.archive.end()
        self.archive.close()


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def summary_xlsx(results: Sequence[AgencyResult]) -> bytes:
    """The batch summary as a workbook: one row per agency, failures first-glance red."""
    head, labels = _summary_head(results)
    buffer = io.BytesIO()
    writer = _SummaryXlsx(buffer, head)
    for result in results:
        writer.row(_summary_row(result, labels), failed=result.failed)
    writer.close()
    return buffer.getvalue()


def write_summaries(
    results: Sequence[AgencyResult], outdir: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> tuple[Path, Path]:
    """Write ``汇总.xlsx`` and ``汇总.csv`` into ``outdir`` (``汇总-2`` … when an input has that name), row by
    row in one pass over ``results`` (each a temporary file renamed into place when complete)."""
    out = Path(outdir)
    inputs = tuple(inputs)
    folders: dict[str, bool] = {}  # the inputs share a folder or two: one samefile each, not one per input
    taken = set()
    for path in inputs:
        folder, name = os.path.split(os.fspath(path))
        if folder not in folders:
            folders[folder] = _same_folder(folder or ".", out)
        if folders[folder]:
            taken.add(name.casefold())
    stem = _OutputNames(taken, ("xlsx", "csv")).claim("汇总")
    xlsx_target, csv_target = out / f"{stem}.xlsx", out / f"{stem}.csv"
    xlsx_temp = write_temporary(xlsx_target, b"")
    try:
        csv_temp = write_temporary(csv_target, b"")
    except BaseException:
        _discard([("xlsx", str(xlsx_temp))])
        raise
    temporaries = [("xlsx", str(xlsx_temp)), ("csv", str(csv_temp))]
    try:
        head, labels = _summary_head(results)
        with open(xlsx_temp, "r+b") as xlsx_file, open(csv_temp, "r+b") as csv_file:
            book, table = _SummaryXlsx(xlsx_file, head), _SummaryCsv(csv_file, head)
            for result in results:
                row = _summary_row(result, labels)
                book.row(row, failed=result.failed)
                table.row(row)
            book.close()
            table.close()
            for handle in (xlsx_file, csv_file):
                handle.flush()
                os.fsync(handle.fileno())
        xlsx = commit(xlsx_temp, xlsx_target, inputs=inputs)
        csv_path = commit(csv_temp, csv_target, inputs=inputs)
    except BaseException:
        _discard(temporaries)
        raise
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
    #: The format of every report summed (reports of two formats cannot be added up).
    format: str = formats.NEWEST

    @property
    def layout(self) -> ReportFormat:
        return formats.get_format(self.format)

    @property
    def title(self) -> str:
        """某县2022年政府信息公开工作年度报告数据汇总."""
        return f"{self.name}{self.layout.title('', self.year)}数据汇总"

    @property
    def count(self) -> int:
        """How many agencies are summed."""
        return len(self.included)


class _CellSums:
    """Running sums of tables 二, 三 and 四 of one format (:func:`_add_cells`), and the first few files summed."""

    def __init__(self, layout: ReportFormat) -> None:
        self.layout = layout
        self.sums: dict[str, Value] = {}
        self.units: dict[str, Unit | None] = {}
        self.sources: list[str] = []  # the first few, to name them when formats are mixed
        self.count = 0

    def add(self, source: str, report: AnnualReport) -> None:
        self.count += 1
        if len(self.sources) < 5:
            self.sources.append(source)
        _add_cells(self.sums, self.units, report)

    def tables(self) -> Tables:
        return _tables(self.layout, self.sums, self.units)


def _sum_tables(layout: ReportFormat, reports: Sequence[AnnualReport]) -> Tables:
    """Tables 二, 三 and 四 of ``reports`` (all of ``layout``) summed cell by cell, as :class:`_CellSums` adds."""
    sums = _CellSums(layout)
    for number, report in enumerate(reports, 1):
        sums.add(f"第{number}份报告", report)
    return sums.tables()


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
    return (report.format, sorted(input_cells(report).items()), report.other.information_fees)


def _canonical(value: Any) -> Any:
    """``value`` (attrs instances, numbers, texts) as plain data in which equal values are equal: a
    number by its normalised decimal (``1``, ``1.0`` and ``Decimal("1.00")`` alike)."""
    if attrs.has(type(value)):
        return (type(value).__name__, tuple(_canonical(getattr(value, f.name)) for f in attrs.fields(type(value))))
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(Decimal(value).normalize())
    if isinstance(value, tuple | list):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, Mapping):  # the cells of tables 二 and 三, by the format's keys
        return tuple((str(k), _canonical(v)) for k, v in value.items())
    return repr(value)


def _digest(report: AnnualReport) -> bytes:
    """A fingerprint of the figures that are summed: two reports have the same one when their figures are equal."""
    return hashlib.sha256(repr(_canonical(_figures(report))).encode("utf-8", "surrogatepass")).digest()


def _add_cells(sums: dict[str, Value], units: dict[str, Unit | None], report: AnnualReport) -> None:
    """Add tables 二, 三 and 四 of ``report`` to running sums by cell key path (:func:`reportkit.cells.input_cells`);
    stated totals are dropped, the sum's totals are computed. A blank cell makes its sum blank (不可相加); an
    amount whose unit each report states is summed in 元 (万元 converted exactly), or left without unit when a
    report does not state it."""
    layout = report.layout
    for path, value in input_cells(report).items():
        spec = spec_of(layout, path)
        if spec.is_total:
            continue
        if spec.value_type is ValueType.AMOUNT and isinstance(value, Decimal):
            key = path.partition(".")[2]
            unit = report.proactive.unit(key)
            stated = units.get(key, Unit.YUAN)
            units[key] = None if unit is None or stated is None else Unit.YUAN
            value = value * 10000 if unit is Unit.WAN_YUAN else value
        before = sums.get(path, Decimal(0) if isinstance(value, Decimal) else 0)
        if isinstance(before, Blank) or isinstance(value, Blank) or before is None or value is None:
            sums[path] = Blank()
        else:
            sums[path] = before + value


def _tables(layout: ReportFormat, sums: dict[str, Value], units: dict[str, Unit | None]) -> Tables:
    with trusted():  # a sum of checked reports may pass one report's bound; it is still a number
        return from_cells(layout, sums, units=units)


class _Sums:
    """The running sums of one year's included reports, and who is in them."""

    def __init__(self) -> None:
        self.included: list[SummaryMember] = []
        self.duplicates: list[SummaryMember] = []
        self.first: dict[str, tuple[str, bytes]] = {}  # agency key -> (file, digest of its figures)
        self.by_format: dict[str, _CellSums] = {}  # reports of two formats cannot be added up: said at the end
        self.fees: Any = None

    def add(self, source: str, report: AnnualReport) -> None:
        member = SummaryMember(source, report.agency.name, report.year)
        key = agency_key(report.agency.name)
        digest = _digest(report)
        first = self.first.get(key)
        if first is not None:
            what = "与 {0} 数字完全相同（重复的文件）" if first[1] == digest else "与 {0} 是同一机关的报告"
            same = first[1] == digest
            reason = what.format(first[0]) + "，未重复计入" + ("" if same else "；请确认哪一份正确，删去另一份")
            self.duplicates.append(attrs.evolve(member, reason=reason))
            return
        self.first[key] = (source, digest)
        self.included.append(member)
        # Added one report at a time, in input order: the same sums as adding them all at once.
        self.by_format.setdefault(report.format, _CellSums(report.layout)).add(source, report)
        fees = report.other.information_fees
        if fees is not None:
            self.fees = _sum_attrs([fees]) if self.fees is None else _sum_attrs([self.fees, fees])


class _Aggregation:
    """:func:`aggregate` one report at a time: only running sums, the members and a fingerprint per agency
    are held, so a county of any size is summed in flat memory, the reports arriving from workers."""

    def __init__(self, year: int | None, left_out: Iterable[SummaryMember]) -> None:
        self.year = year
        self.dropped = list(left_out)
        self.by_year: dict[int, _Sums] = {}
        self.count = 0

    def add(self, source: str, report: AnnualReport) -> None:
        self.count += 1
        if self.year is not None and report.year != self.year:
            member = SummaryMember(source, report.agency.name, report.year)
            self.dropped.append(attrs.evolve(member, reason=f"报告年度为{report.year}年，不是{self.year}年"))
            return
        self.by_year.setdefault(report.year, _Sums()).add(source, report)

    def finish(self, name: str) -> CountySummary:
        if not self.count:
            raise ReportkitError("没有可汇总的报告")
        year = self.year
        if year is None:
            if len(self.by_year) > 1:
                counts = "、".join(
                    f"{y}年度 {len(s.included) + len(s.duplicates)} 份" for y, s in sorted(self.by_year.items())
                )
                raise ReportkitError(f"报告年度不一致（{counts}），不能相加；请指定汇总哪一年（--year 或 year=）")
            (year,) = self.by_year
        sums = self.by_year.get(year)
        if sums is None or not sums.by_format:
            raise ReportkitError(f"没有{year}年度的报告可汇总")
        if len(sums.by_format) > 1:
            parts = "；".join(
                f"{cells.layout.notice}（{format_id}）{cells.count} 份：{'、'.join(cells.sources)}"
                + (" 等" if cells.count > len(cells.sources) else "")
                for format_id, cells in sums.by_format.items()
            )
            raise ReportkitError(f"报告使用了不同的格式，表格不同，不能相加：{parts}；请分别汇总同一格式的报告")
        ((format_id, cells),) = sums.by_format.items()
        tables = cells.tables()
        return CountySummary(
            name=name,
            year=year,
            included=tuple(sums.included),
            left_out=(*self.dropped, *sums.duplicates),
            proactive=tables.proactive,
            applications=tables.applications,
            review_litigation=tables.review_litigation,
            information_fees=sums.fees,
            format=format_id,
        )


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
    aside (a file that cannot be read …) so the summary lists them too. :func:`aggregate_folder` does
    the same over a folder, reading the files in parallel.
    """
    aggregation = _Aggregation(year, left_out)
    for number, entry in enumerate(reports, 1):
        source, report = entry if isinstance(entry, tuple) else (f"第{number}份报告", entry)
        aggregation.add(source, report)
    return aggregation.finish(name)


#: The kind (custom document property) of a summary workbook: not a report, not a form.
SUMMARY_KIND = "xlsx-county-summary"
SUMMARY_SHEET = "汇总说明"


def summary_cells(summary: CountySummary) -> dict[str, Value]:
    """Every official cell of the summary by key path, totals computed (as :func:`reportkit.cells.cells`)."""
    return table_cells(summary.layout, summary.proactive, summary.applications, summary.review_litigation)


def summary_workbook(summary: CountySummary) -> bytes:
    """The summary's workbook: a sheet naming what was summed (the agencies included, those left out
    and why) and tables 二, 三 and 四 in the official layout with the summed figures."""

    from reportkit import xlsx_draw as xl
    from reportkit import xlsx_layout as xlayout

    layout = summary.layout
    title = clean_text(summary.title)
    book = xl.new_workbook(SUMMARY_KIND, "1", layout)
    book.properties.title = title

    # 汇总说明
    s = xl._Sheet(book.create_sheet(SUMMARY_SHEET), {1: 8, 2: 36, 3: 36, 4: 40}, form=False)
    xl._heading(s, title, 4)
    _put(s.ws, 1, 1, title)  # a name given as "=…" stays text
    row = 3
    facts: list[tuple[str, Any]] = [
        ("汇总范围", summary.name or "（未指定）"),
        (label_of("report.year"), summary.year),
        ("汇总单位数", summary.count),
        ("未计入单位数", len(summary.left_out)),
        ("报告格式", f"{layout.id}（{layout.notice}）"),
    ]
    fees = summary.information_fees
    if fees is not None:
        values = (fees.notices, fees.notified_yuan, fees.collected_yuan)
        facts += [(label, value) for (_, label, _), value in zip(xlayout.FEE_ROWS, values, strict=True)]
    for label, value in facts:
        s.label(row, 1, label, cols=2, font=xl.F_HEADER, align=xl.A_LEFT)
        s.label(row, 3, "", cols=2, align=xl.A_LEFT)
        _put(s.ws, row, 3, clean_text(value) if isinstance(value, str) else value)
        row += 1
    for heading, members, columns in (
        ("计入汇总的单位", summary.included, ("序号", label_of("agency.name"), "数据文件")),
        ("未计入的单位", summary.left_out, ("序号", label_of("agency.name"), "数据文件", "原因")),
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

    summed = summary_cells(summary)
    # The stated unit of an amount whose unit each report states (2019: 采购总金额), where the layout has a cell.
    stated_units = {spec.unit_path: spec.path.partition(".")[2] for spec in specs(layout) if spec.unit_path}

    def values_of(field: str) -> int | Decimal | str | None:
        if field in stated_units:
            unit = summary.proactive.unit(stated_units[field])
            return unit.value if unit is not None else ""
        value = summed[field]
        return str(value) if isinstance(value, Blank) else value

    def subtitle(sheet: Any, columns: int) -> None:
        cell = _put(sheet.ws, 2, 1, clean_text(f"{summary.title}（{summary.count} 个单位）"))
        cell.font = xl.F_NOTE
        cell.alignment = xl.A_LEFT
        sheet.ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=columns)

    # 二, 三, 四: the output workbook's sheets, the draft cells left out
    drawn: list[xlayout.FieldCell] = []
    for sheet in xlayout.tables_layout(layout).sheets[1:]:
        sheet = attrs.evolve(
            sheet, items=tuple(i for i in sheet.items if not (isinstance(i, xlayout.ValueCell) and i.slot is not None))
        )
        s = xl.draw_sheet(book, sheet, form=False)
        subtitle(s, sheet.ncols)
        assert sheet.area is not None
        xl._print_setup(s.ws, landscape=sheet.landscape, title_rows=sheet.title_rows, area=sheet.area)
        if sheet.freeze is not None:
            s.ws.freeze_panes = sheet.freeze
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
        member = _set_aside(source, outcome, include_errors)
        if isinstance(member, SummaryMember):
            left_out.append(member)
        else:
            items.append((source, member))
    return items, left_out


class NothingToAggregate(ReportkitError):
    """No report of the folder can be summed; ``left_out`` says why for each file."""

    def __init__(self, message: str, left_out: Sequence[SummaryMember]) -> None:
        super().__init__(message)
        self.left_out = tuple(left_out)


def aggregate_folder(
    folder: str | os.PathLike[str],
    *,
    name: str = "",
    year: int | None = None,
    include_errors: bool = False,
    jobs: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> CountySummary:
    """:func:`aggregate` over the reports of ``folder``, read and checked in parallel like :func:`run_batch`
    (workers read, check and send back the figures; the parent adds them as they arrive, in input
    order, holding only the running sums): the same summary as ``aggregate(*summary_inputs(folder))``.
    Files that cannot be read, or (unless ``include_errors``) have errors, are left out with the reason;
    :class:`NothingToAggregate` when no report remains."""
    sources = [str(s) for s in discover(folder)]
    jobs = max(1, jobs or os.cpu_count() or 1)
    aggregation = _Aggregation(year, ())
    set_aside: list[SummaryMember] = []
    for outcome in run(_summary_input, sources, jobs=jobs, timeout=timeout, memory_limit=memory_limit):
        member = _set_aside(sources[outcome.index], outcome, include_errors)
        if isinstance(member, SummaryMember):
            set_aside.append(member)
        else:
            aggregation.add(sources[outcome.index], member)
    if not aggregation.count:
        raise NothingToAggregate("没有可汇总的报告", set_aside)
    summary = aggregation.finish(name)
    return attrs.evolve(summary, left_out=(*set_aside, *summary.left_out))


def _set_aside(
    source: str, outcome: Outcome[tuple[AnnualReport, int] | str], include_errors: bool
) -> AnnualReport | SummaryMember:
    """The report of a worker's answer, or the member left out (unreadable, or with errors) and why."""
    value = outcome.value
    if outcome.failure is not None or not isinstance(value, tuple):
        problem = outcome.failure.message if outcome.failure is not None else str(value)
        return SummaryMember(source, reason=f"无法读取：{problem}")
    report, errors = value
    if errors and not include_errors:
        reason = f"有 {errors} 项错误，未计入（改正后重新汇总，或用 --include-errors 计入）"
        return SummaryMember(source, report.agency.name, report.year, reason)
    return report
