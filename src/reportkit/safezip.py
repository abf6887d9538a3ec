"""Inspecting an untrusted Office file (DOCX, XLSX) before any XML parser sees it.

A workbook or template from another office is a zip of XML parts. Before openpyxl or python-docx
opens one, :func:`inspect_archive` refuses, quickly and in bounded memory:

- a file larger than a report could plausibly be, or not a zip archive at all;
- an archive with too many members, or one that expands past a limit or at a bomb-like ratio
  (sizes are taken from the central directory, then enforced while reading, since headers can lie);
- any XML part with a document type declaration: OOXML never has one, and it is how external
  entities (XXE) and entity expansion ("billion laughs") get in.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path

from attrs import frozen

from reportkit.errors import ReportkitError

__all__ = ["ArchiveLimits", "inspect_archive"]


@frozen
class ArchiveLimits:
    """How large an Office file may be: its own size, member count, expanded size and ratio."""

    max_file_bytes: int = 30 * 1024 * 1024
    max_members: int = 2000
    max_expanded_bytes: int = 150 * 1024 * 1024
    #: Members that expand beyond ``ratio_floor`` bytes may not expand more than this many times.
    max_ratio: int = 200
    ratio_floor: int = 1024 * 1024


DEFAULT_LIMITS = ArchiveLimits()

_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_CHUNK = 64 * 1024
#: What zipfile and its decompressors raise for a damaged archive: a bad header, a corrupt deflate stream
#: (zlib.error), an unsupported method or version (NotImplementedError), an encrypted member (RuntimeError).
_BROKEN_ARCHIVE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
)


def _declares_doctype(head: bytes, complete: bool) -> bool:
    """Whether the prolog of an XML part (everything before its root element) declares a DOCTYPE or
    ENTITY. ``head`` is the start of the part; ``complete`` says whether it is the whole part."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[1:2] == b"\x00" or head[:1] == b"\x00":
        # UTF-16 would hide the declaration from a byte search.
        text = head.decode(
            "utf-16-le" if head[1:2] == b"\x00" or head.startswith(b"\xff\xfe") else "utf-16-be", errors="ignore"
        )
    else:
        text = head.decode("latin-1")
    root = re.search(r"<[A-Za-z_]", text)
    prolog = text[: root.start()] if root else text
    if _DECLARATION.search(prolog):
        return True
    # A prolog that does not end within the first chunk is not what Office writes: refuse it too.
    return root is None and not complete


def inspect_archive(
    source: str | os.PathLike[str] | bytes,
    *,
    error: type[ReportkitError] = ReportkitError,
    name: str = "",
    what: str = "Office 文件",
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> None:
    """Raise ``error`` when the Office file ``source`` (a path or its bytes) is unsafe to parse.

    ``what`` names the kind of file in messages (``"Excel 工作簿"``, ``"Word 模板"``)."""
    where = name or (str(source) if not isinstance(source, bytes) else "<bytes>")
    if isinstance(source, bytes):
        size = len(source)
        handle: io.BufferedIOBase = io.BytesIO(source)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                raise error(
                    f"文件过大（{size // 1024 // 1024} MB，上限 {limits.max_file_bytes // 1024 // 1024} MB）",
                    source=where,
                )
            handle = path.open("rb")
        except FileNotFoundError:
            raise error("文件不存在，请检查路径", source=where) from None
        except IsADirectoryError:
            raise error(f"这是一个文件夹，不是 {what}", source=where) from None
        except OSError as exc:
            raise error(f"无法读取文件：{exc.strerror}", source=where) from None
    with handle:
        if size > limits.max_file_bytes:
            raise error(f"文件过大（{size} 字节，上限 {limits.max_file_bytes} 字节）", source=where)
        try:
            archive = zipfile.ZipFile(handle)
        except _BROKEN_ARCHIVE:
            raise error(
                f"不是有效的 {what}（不是 zip 压缩包，或已损坏）；请用 Excel/WPS/Word 另存为新格式后重试", source=where
            ) from None
        with archive:
            _inspect_members(archive, error, where, limits)


def _inspect_members(archive: zipfile.ZipFile, error: type[ReportkitError], where: str, limits: ArchiveLimits) -> None:
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise error(f"压缩包内文件过多（{len(members)} 个，上限 {limits.max_members} 个），已拒绝", source=where)
    declared = sum(m.file_size for m in members)
    if declared > limits.max_expanded_bytes:
        raise error(
            f"解压后过大（{declared // 1024 // 1024} MB，上限 {limits.max_expanded_bytes // 1024 // 1024} MB），"
            "疑似压缩炸弹，已拒绝",
            source=where,
        )
    budget = limits.max_expanded_bytes
    for member in members:
        if member.file_size > limits.ratio_floor and member.file_size > limits.max_ratio * max(member.compress_size, 1):
            raise error(f"压缩包成员 {member.filename} 的压缩比异常，疑似压缩炸弹，已拒绝", source=where)
        if not member.filename.lower().endswith(_XML_SUFFIXES):
            continue
        try:
            with archive.open(member) as stream:
                head = stream.read(_CHUNK)
                if _declares_doctype(head, complete=len(head) < _CHUNK):
                    raise error(
                        f"{member.filename} 含有 DOCTYPE/ENTITY 声明（Office 文件不会有，"
                        "可能是 XML 外部实体或实体膨胀攻击），已拒绝",
                        source=where,
                    )
                # Headers can understate sizes: count what really came out.
                budget -= len(head) + sum(len(chunk) for chunk in iter(lambda: stream.read(_CHUNK), b""))
        except _BROKEN_ARCHIVE as exc:
            raise error(f"压缩包成员 {member.filename} 已损坏或无法解压（{exc}）", source=where) from None
        if budget < 0:
            raise error("解压后过大，疑似压缩炸弹，已拒绝", source=where)
