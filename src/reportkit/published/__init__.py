"""Reading published reports back: a web page, a Word file, a PDF or a text scrape, as a :class:`Document`.

This is the reading layer only: documents to blocks (paragraphs and grids of cells) with provenance.
Placing cells on the official rows and columns (by their labels, never by position) is the mapper's
job, done later against the format data; nothing in this package spells an official label.

Design
------
- **One model for every kind** (:mod:`reportkit.published.model`): a :class:`Document` is ``kind``,
  ``source``, ``blocks`` in document order, ``notes`` and ``meta``. A block is a :class:`Paragraph`, a
  :class:`Grid` of :class:`GridCell` (a merged cell appears once, with ``rowspan``/``colspan``;
  :meth:`Grid.logical` gives the normalised grid where a merged cell fills its rectangle and its
  top-left slot is marked as the origin), a :class:`TextRow` (text scrapes: a label and the numbers
  after it) or an :class:`Unreadable` part (a PDF page that is only an image). Every cell keeps
  ``raw`` (as printed: ``&nbsp;`` as U+00A0, full-width spaces, line breaks) beside a normalised
  ``text``, and a :class:`Where` (DOM path, DOCX table/row/column, PDF page and box, text line).
- **Faithful grids.** A reader never splits or joins tables by meaning: several official tables in one
  HTML/Word table stay one grid, and one official table split into several stays several. A grid that
  follows another with nothing but blank paragraphs between gets :attr:`Grid.continues`
  (:class:`Continuation`: same width? how many header rows repeated?), and :func:`join_grids` joins two
  when the mapper decides to. Only the PDF reader stitches by itself, because a page break is the
  medium's, not the author's: fragments of one ruled table on consecutive pages become one grid (the
  repeated header rows dropped, a row cut by the page break joined).
- **A registry that sniffs the bytes** (:func:`sniff`): the content decides the kind, the file name only
  breaks ties and is noted when it disagrees. Each reader is imported on first use; the PDF reader needs
  the optional extra ``reportkit[pdf]`` (pdfplumber) and says so when it is missing.
- **Bounded cost** (:class:`ReadLimits`): bytes per kind, element and table nesting, cells, rows, slots
  of a logical grid (a ``rowspan="1000000"`` never allocates rows: spans are cut back to the table),
  blocks, lines, PDF pages and seconds. Every failure is a :class:`PublishedDocumentError` (a
  :class:`~reportkit.errors.ReportkitError`) naming the source and what to do.
- **Metadata** (:class:`Meta`): the title, the URL the source names, the encoding used and how it was
  chosen, and every publication date claimed (HTML ``<meta>`` such as ``PubDate``, a "发布时间" line,
  a date in the URL or file name, DOCX/PDF properties), each a :class:`DateClaim` with its origin.
"""

from __future__ import annotations

import importlib
import io
import os
import re
import zipfile
from pathlib import Path, PurePosixPath

import attrs

from reportkit.errors import Problem
from reportkit.formats.spec import ReportFormat
from reportkit.fs import read_at_most
from reportkit.published._common import DEFAULT_LIMITS, MB, ReadLimits, dates_in_url, join_grids
from reportkit.published.mapping import Cell, Confidence, Extraction, Semantics, Unmapped, extract
from reportkit.published.model import (
    Block,
    Continuation,
    DateClaim,
    Document,
    Grid,
    GridCell,
    Kind,
    Meta,
    Paragraph,
    PublishedDocumentError,
    Slot,
    TextRow,
    Token,
    TokenKind,
    Unreadable,
    Where,
)

__all__ = [
    "DEFAULT_LIMITS",
    "Block",
    "Cell",
    "Confidence",
    "Continuation",
    "DateClaim",
    "Document",
    "Extraction",
    "Grid",
    "GridCell",
    "Kind",
    "Meta",
    "Paragraph",
    "PublishedDocumentError",
    "ReadLimits",
    "Semantics",
    "Slot",
    "TextRow",
    "Token",
    "TokenKind",
    "Unmapped",
    "Unreadable",
    "Where",
    "extract",
    "join_grids",
    "read_document",
    "read_published",
    "read_source",
    "sniff",
]

#: The module that reads each kind, imported on first use.
READERS = {
    Kind.HTML: "reportkit.published.html",
    Kind.DOCX: "reportkit.published.docx",
    Kind.PDF: "reportkit.published.pdf",
    Kind.TEXT: "reportkit.published.text",
}

_SUFFIXES = {
    ".html": Kind.HTML,
    ".htm": Kind.HTML,
    ".shtml": Kind.HTML,
    ".xhtml": Kind.HTML,
    ".jhtml": Kind.HTML,
    ".docx": Kind.DOCX,
    ".pdf": Kind.PDF,
    ".txt": Kind.TEXT,
    ".text": Kind.TEXT,
}
_HTML_START = re.compile(
    rb"^(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body|meta|title|table|div|p|span|style|script|"
    rb"link|section|article|center|font|h[1-6]|br|tr|td)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTML_ANYWHERE = re.compile(rb"<(?:html|body|table|tr|td|div|p)(?:\s[^>]*)?>", re.IGNORECASE)

_REFUSED = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "旧版 Word（.doc）或 WPS 文件，无法直接读取；请用 Word/WPS 另存为 .docx 后重试",
    ),
    (b"{\\rtf", "RTF 文件，无法直接读取；请用 Word/WPS 另存为 .docx 后重试"),
    (b"\x89PNG", "PNG 图片：本工具不做文字识别（OCR）；请找到报告的网页、Word 或带文字层的 PDF"),
    (b"\xff\xd8\xff", "JPEG 图片：本工具不做文字识别（OCR）；请找到报告的网页、Word 或带文字层的 PDF"),
    (b"GIF8", "GIF 图片：本工具不做文字识别（OCR）；请找到报告的网页、Word 或带文字层的 PDF"),
    (b"PK\x03\x04", ""),  # a zip: decided below
)


def _zip_kind(data: bytes, source: str) -> Kind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist()[:5000])
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise PublishedDocumentError(
            "看起来是 zip 压缩包（如 .docx），但已损坏，无法打开；请用 Word/WPS 重新另存为 .docx 后重试", source=source
        ) from None
    if "word/document.xml" in names:
        return Kind.DOCX
    if "xl/workbook.xml" in names:
        raise PublishedDocumentError(
            "这是 Excel 工作簿，不是发布的报告；填报表请用 reportkit 的表格读取功能", source=source
        )
    if "content.xml" in names:
        raise PublishedDocumentError(
            "这是 OpenDocument（.odt）文件；请用 WPS/LibreOffice 另存为 .docx 后重试", source=source
        )
    raise PublishedDocumentError("这是 zip 压缩包，不是 Word 文档；请解压后选择其中的报告文件", source=source)


def sniff(data: bytes, name: str = "") -> Kind:
    """The kind of a document, from its bytes (the file name's suffix only breaks a tie between HTML and
    text). Raises :class:`PublishedDocumentError` for what no reader takes (an image, an old .doc, a
    spreadsheet, binary data), saying what to do."""
    source = name or "<bytes>"
    head = data[:8192]
    if b"%PDF-" in head[:1024]:
        return Kind.PDF
    for magic, message in _REFUSED:
        if head.startswith(magic):
            if magic.startswith(b"PK"):
                return _zip_kind(data, source)
            raise PublishedDocumentError(f"这是{message}", source=source)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text_head = head.decode("utf-16", errors="ignore").encode("utf-8")
    else:
        text_head = head
        if b"\x00" in head.replace(b"\x00\x00", b""):
            raise PublishedDocumentError(
                "无法识别的文件类型（不是网页、Word、PDF 或文本）；请确认文件完整，或另存为 .docx/.pdf/.html 后重试",
                source=source,
            )
    if text_head.lstrip()[:13].lower().startswith((b"mime-version:", b"from:")):
        raise PublishedDocumentError("这是网页存档（.mht/.mhtml）；请在浏览器中打开后另存为 .html 再试", source=source)
    if _HTML_START.match(text_head.lstrip(b"\xef\xbb\xbf")):
        return Kind.HTML
    if _SUFFIXES.get(PurePosixPath(name.lower()).suffix) is Kind.HTML and _HTML_ANYWHERE.search(text_head):
        return Kind.HTML
    return Kind.TEXT


def read_source(
    source: str | os.PathLike[str] | bytes, name: str = "", limits: ReadLimits = DEFAULT_LIMITS
) -> tuple[bytes, str]:
    """The bytes of a published report (a path, or its bytes) and the name to report it by.

    A file is read no further than the largest size any reader accepts, so an oversized one costs no
    more memory than that. Raises :class:`PublishedDocumentError` naming the file and what to do.
    """
    limit = limits.max_file_bytes
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), name or "<bytes>"
    path = Path(source)
    where = name or str(path)
    try:
        data = read_at_most(path, limit)
    except FileNotFoundError:
        raise PublishedDocumentError("文件不存在，请检查路径", source=where) from None
    except IsADirectoryError:
        raise PublishedDocumentError("这是一个文件夹，不是报告文件", source=where) from None
    except OSError as exc:
        raise PublishedDocumentError(f"无法读取文件：{exc.strerror}", source=where) from None
    if data is None:
        raise PublishedDocumentError(f"文件过大（超过 {limit // MB} MB），不像一份年度报告，已拒绝", source=where)
    return data, where


def read_document(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str = "",
    url: str = "",
    kind: Kind | str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Document:
    """Read a published report (a path, or its bytes with a ``name``) into a :class:`Document`.

    ``kind`` forces a reader (``"html"``, ``"docx"``, ``"pdf"``, ``"text"``); by default the bytes decide
    (:func:`sniff`). ``url`` is where the document was published, when known: a date in its path becomes a
    :class:`DateClaim`, as does one in ``name``. Raises :class:`PublishedDocumentError` for anything that
    cannot be read, naming the source and what to do.
    """
    data, where = read_source(source, name, limits)
    notes: list[Problem] = []
    if kind is None:
        chosen = sniff(data, where)
        suffix = PurePosixPath(where.lower()).suffix
        hinted = _SUFFIXES.get(suffix)
        if hinted is not None and hinted is not chosen:
            notes.append(Problem(where, f"文件名后缀是 {suffix}，但内容是 {_KIND_NAMES[chosen]}，已按内容读取"))
    else:
        try:
            chosen = Kind(kind) if not isinstance(kind, Kind) else kind
        except ValueError:
            raise PublishedDocumentError(
                f"不支持的类型 {kind!r}；可选：{'、'.join(k.value for k in Kind)}", source=where
            ) from None
    module = importlib.import_module(READERS[chosen])
    document: Document = module.read(data, source=where, limits=limits)
    claims = list(document.meta.dates)
    seen = {(claim.value, claim.origin) for claim in claims}
    for text in (url, where if not isinstance(source, bytes) or name else "", document.meta.url):
        for claim in dates_in_url(text):
            if (claim.value, claim.origin) not in seen:
                seen.add((claim.value, claim.origin))
                claims.append(claim)
    meta = attrs.evolve(document.meta, dates=tuple(claims), url=document.meta.url or url)
    return attrs.evolve(document, meta=meta, notes=(*notes, *document.notes))


_KIND_NAMES = {Kind.HTML: "网页（HTML）", Kind.DOCX: "Word 文档", Kind.PDF: "PDF", Kind.TEXT: "纯文本"}


def read_published(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str = "",
    url: str = "",
    kind: Kind | str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    layout: ReportFormat | None = None,
) -> Extraction:
    """Read a published report and place its cells on the official rows and columns.

    The :class:`Extraction` holds ``report`` (an ordinary :class:`~reportkit.model.AnnualReport`, declared
    totals as printed), ``cells`` (every official cell found, by figures-file key, with raw text,
    semantics, confidence and place), ``missing``, ``unmapped``, ``variants`` and ``notes``.
    """
    document = read_document(source, name=name, url=url, kind=kind, limits=limits)
    return extract(document, layout=layout)
