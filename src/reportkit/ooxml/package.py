"""Writing Office Open XML packages (.docx, .xlsx): the one place for what every writer of reportkit needs.

- **Deterministic zips** (:func:`zip_package`): members in the given order, every member dated 1980-01-01 00:00,
  mode 0644, no extra fields, UTF-8 names flagged; the same members give the same bytes on every machine.
- **Deflate once** (:class:`Member`): a member is kept as its compressed bytes and CRC-32, so the parts of a
  template that a render does not change are compressed once (when the template is compiled, at
  :data:`TEMPLATE_LEVEL`) and copied raw into every output; only the parts that differ between two reports are
  deflated per render (at :data:`RENDER_LEVEL`).
- **Document properties**: custom properties (``docProps/custom.xml``: read and written), and the core and
  extended properties of an output (:func:`core_properties_xml`, :func:`app_properties_xml`) saying that
  reportkit made it, for which agency, and when (:func:`document_time`: ``SOURCE_DATE_EPOCH`` when set, for
  reproducible builds, else the report's own date, never the clock).
- **Illegal XML characters** (:func:`clean_xml_text`): what XML 1.0 cannot hold is dropped from text before it
  is written into a part.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from typing import Any, BinaryIO, Final
from xml.sax.saxutils import escape

from attrs import frozen

__all__ = [
    "ILLEGAL_XML_CHARS",
    "RENDER_LEVEL",
    "TEMPLATE_LEVEL",
    "ZIP_DATE",
    "CoreProperties",
    "Member",
    "PackageStream",
    "app_properties_xml",
    "clean_xml_text",
    "core_properties_xml",
    "custom_properties_xml",
    "document_time",
    "read_custom_properties",
    "rezip",
    "zip_package",
]

#: The date of every zip member (the earliest a zip can hold): outputs do not depend on the clock.
ZIP_DATE: Final = (1980, 1, 1, 0, 0, 0)
#: zlib level of the parts deflated on every render: the fastest (see benchmarks/README.md for its size cost).
RENDER_LEVEL: Final = 1
#: zlib level of a template's unchanged parts, compressed once per process: the smallest.
TEMPLATE_LEVEL: Final = 9

# ---------------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------------

#: Characters XML 1.0 cannot hold (C0 controls but tab, newline and carriage return; lone surrogates; U+FFFE/F).
ILLEGAL_XML_CHARS: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (they would make the part unreadable)."""
    return ILLEGAL_XML_CHARS.sub("", text)


def _text(value: str) -> str:
    return escape(clean_xml_text(value))


# ---------------------------------------------------------------------------------------------------
# Zip members and packages
# ---------------------------------------------------------------------------------------------------

_DOS_TIME: Final = (ZIP_DATE[3] << 11) | (ZIP_DATE[4] << 5) | (ZIP_DATE[5] // 2)
_DOS_DATE: Final = ((ZIP_DATE[0] - 1980) << 9) | (ZIP_DATE[1] << 5) | ZIP_DATE[2]
_UTF8_FLAG: Final = 0x800
_VERSION: Final = 20  # deflate
_MADE_BY: Final = (3 << 8) | _VERSION  # Unix, so the mode below is read
_MODE: Final = 0o644 << 16  # as every zipfile.ZipInfo of reportkit had it
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_LIMIT: Final = 0xFFFFFFFF  # no zip64: no Office part comes near 4 GiB


@frozen
class Member:
    """One member of a package, compressed: its name, the CRC-32 and size of its content, and its bytes as stored."""

    name: str
    crc: int
    size: int
    stored: bytes
    method: int = zipfile.ZIP_DEFLATED

    @classmethod
    def deflate(cls, name: str, content: bytes, level: int = RENDER_LEVEL) -> Member:
        """``content`` deflated (raw deflate, as zip stores it) at ``level``."""
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        stored = compressor.compress(content) + compressor.flush()
        return cls(name, zlib.crc32(content), len(content), stored)

    def content(self) -> bytes:
        """The member's content, decompressed (and its CRC checked)."""
        data = zlib.decompress(self.stored, -15) if self.method == zipfile.ZIP_DEFLATED else self.stored
        if zlib.crc32(data) != self.crc or len(data) != self.size:
            raise ValueError(f"{self.name}: CRC or size mismatch")
        return data


def _encoded(name: str) -> tuple[bytes, int]:
    """A member's name as stored, and its flags (UTF-8 flagged when it is not ASCII)."""
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), _UTF8_FLAG


def _headers(
    name: str, encoded: bytes, flags: int, method: int, crc: int, stored: int, size: int, offset: int
) -> tuple[bytes, bytes]:
    """The local header (without the name) and the central directory entry (without the name) of a member."""
    if max(size, stored, offset) > _LIMIT:
        raise ValueError(f"{name}: too large for a zip without zip64")
    common = (flags, method, _DOS_TIME, _DOS_DATE, crc, stored, size, len(encoded))
    header = _LOCAL.pack(0x04034B50, _VERSION, *common, 0)
    entry = _CENTRAL.pack(0x02014B50, _MADE_BY, _VERSION, *common, 0, 0, 0, 0, _MODE, offset)
    return header, entry


def zip_package(members: Iterable[Member]) -> bytes:
    """The zip of ``members`` in their order, written by hand (so compressed members are copied as they are)."""
    buffer = io.BytesIO()
    stream = PackageStream(buffer)
    for member in members:
        stream.add(member)
    stream.close()
    return buffer.getvalue()


class PackageStream:
    """A package written member by member into a seekable binary file as it is made, so that memory stays flat
    however large a member grows (the batch summary's sheet, one row per agency): the same bytes as
    :func:`zip_package` of the same members, each streamed one deflated at ``level``.

    :meth:`add` writes a member already made; :meth:`begin` starts a member whose content follows in
    :meth:`write` calls, up to :meth:`end` (its sizes and CRC are then written into its header, in place);
    :meth:`close` writes the central directory."""

    def __init__(self, handle: BinaryIO, level: int = RENDER_LEVEL) -> None:
        self._handle = handle
        self._level = level
        self._start = handle.tell()
        self._directory: list[bytes] = []
        self._names: set[str] = set()
        self._open: tuple[str, bytes, int, int] | None = None  # name, encoded name, flags, header offset
        self._compressor: Any = None
        self._crc = 0
        self._size = 0
        self._stored = 0

    def _offset(self) -> int:
        return self._handle.tell() - self._start

    def _claim(self, name: str) -> tuple[bytes, int]:
        if self._open is not None:
            raise ValueError(f"{self._open[0]} is still being written")
        if name in self._names:
            raise ValueError(f"duplicate member {name}")
        self._names.add(name)
        return _encoded(name)

    def add(self, member: Member) -> None:
        name, flags = self._claim(member.name)
        offset = self._offset()
        header, entry = _headers(
            member.name, name, flags, member.method, member.crc, len(member.stored), member.size, offset
        )
        self._handle.write(header + name + member.stored)
        self._directory.append(entry + name)

    def begin(self, name: str) -> None:
        encoded, flags = self._claim(name)
        offset = self._offset()
        self._handle.write(_LOCAL.pack(0x04034B50, _VERSION, flags, zipfile.ZIP_DEFLATED, 0, 0, 0, 0, 0, 0, 0))
        self._handle.write(encoded)
        self._open = (name, encoded, flags, offset)
        self._compressor = zlib.compressobj(self._level, zlib.DEFLATED, -15)
        self._crc = self._size = self._stored = 0

    def write(self, content: bytes) -> None:
        if self._open is None:
            raise ValueError("no member begun")
        self._crc = zlib.crc32(content, self._crc)
        self._size += len(content)
        self._emit(self._compressor.compress(content))

    def _emit(self, chunk: bytes) -> None:
        self._stored += len(chunk)
        self._handle.write(chunk)

    def end(self) -> None:
        if self._open is None:
            raise ValueError("no member begun")
        self._emit(self._compressor.flush())
        name, encoded, flags, offset = self._open
        self._open = None
        header, entry = _headers(
            name, encoded, flags, zipfile.ZIP_DEFLATED, self._crc, self._stored, self._size, offset
        )
        here = self._handle.tell()
        self._handle.seek(self._start + offset)
        self._handle.write(header)
        self._handle.seek(here)
        self._directory.append(entry + encoded)

    def close(self) -> None:
        if self._open is not None:
            raise ValueError(f"{self._open[0]} is still being written")
        central = b"".join(self._directory)
        count = len(self._directory)
        offset = self._offset()
        if offset > _LIMIT:
            raise ValueError("too large for a zip without zip64")
        self._handle.write(central + _END.pack(0x06054B50, 0, 0, count, count, len(central), offset, 0))


def members_of(data: bytes, level: int = TEMPLATE_LEVEL) -> list[Member]:
    """Every file member of a package (given as bytes), recompressed at ``level`` (the source's own compression,
    dates and extra fields do not reach the output)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        infos = [info for info in package.infolist() if not info.is_dir()]
        return [Member.deflate(info.filename, package.read(info), level) for info in infos]


def rezip(
    data: bytes,
    *,
    level: int = TEMPLATE_LEVEL,
    replace: Mapping[str, bytes] | None = None,
    add: Mapping[str, bytes] | None = None,
    drop: Iterable[str] = (),
) -> bytes:
    """The package ``data`` written again deterministically (what a template builder saves): the same members in
    the same order, those in ``replace`` with new content, those in ``drop`` left out, ``add`` appended; every
    member dated :data:`ZIP_DATE` and deflated at ``level``. The bytes are those :mod:`zipfile` writes for members
    dated so, with mode 0644, at the same level."""
    replacing = dict(replace or {})
    dropped = set(drop)
    members: list[Member] = []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for info in package.infolist():
            if info.is_dir() or info.filename in dropped:
                continue
            content = replacing.pop(info.filename, None)
            members.append(Member.deflate(info.filename, package.read(info) if content is None else content, level))
    if replacing:
        raise KeyError(f"not in the package: {', '.join(sorted(replacing))}")
    members += [Member.deflate(name, content, level) for name, content in (add or {}).items()]
    return zip_package(members)


# ---------------------------------------------------------------------------------------------------
# Document properties
# ---------------------------------------------------------------------------------------------------

CUSTOM_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
EXTENDED_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM_REL: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
CUSTOM_TYPE: Final = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_FMTID: Final = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: The name every output gives as the application that made it.
APPLICATION: Final = "reportkit"


def custom_properties_xml(properties: Mapping[str, str]) -> bytes:
    """``docProps/custom.xml`` holding ``properties`` as strings, in their order."""
    items = "".join(
        f'<property fmtid="{_FMTID}" pid="{pid}" name="{_text(name)}"><vt:lpwstr>{_text(value)}</vt:lpwstr></property>'
        for pid, (name, value) in enumerate(properties.items(), start=2)
    )
    return f'{_DECLARATION}<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">{items}</Properties>'.encode()


def read_custom_properties(package: zipfile.ZipFile) -> dict[str, str]:
    """The custom document properties (``docProps/custom.xml``) of an open package, as strings (empty when it has
    none, or they cannot be read). The archive must have been inspected (:func:`reportkit.safezip.inspect_archive`)."""
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(package.read("docProps/custom.xml"))
    except Exception:  # missing, or not XML (defusedxml and expat errors): no properties
        return {}
    result: dict[str, str] = {}
    for prop in root:
        name = prop.get("name")
        if name is None or len(prop) == 0:
            continue
        result[name] = (prop[0].text or "").strip()
    return result


def document_time(date: dt.date | None) -> dt.datetime:
    """The time an output states it was made: ``SOURCE_DATE_EPOCH`` (seconds, UTC) when set, so that a build can
    be reproduced; else ``date`` (the report's own date) at midnight UTC; never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            pass
    day = date or dt.date(1980, 1, 1)
    return dt.datetime(day.year, day.month, day.day)


@frozen
class CoreProperties:
    """What ``docProps/core.xml`` says of an output."""

    title: str
    subject: str
    creator: str  #: the agency whose report it is
    description: str
    identifier: str  #: the report format's id
    created: dt.datetime
    keywords: str = ""
    language: str = "zh-CN"
    last_modified_by: str = APPLICATION


def core_properties_xml(core: CoreProperties) -> bytes:
    """``docProps/core.xml`` of an output."""
    stamp = core.created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"{_DECLARATION}"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_text(core.title)}</dc:title>"
        f"<dc:subject>{_text(core.subject)}</dc:subject>"
        f"<dc:creator>{_text(core.creator)}</dc:creator>"
        f"<cp:keywords>{_text(core.keywords)}</cp:keywords>"
        f"<dc:description>{_text(core.description)}</dc:description>"
        f"<cp:lastModifiedBy>{_text(core.last_modified_by)}</cp:lastModifiedBy>"
        "<cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        f"<dc:identifier>{_text(core.identifier)}</dc:identifier>"
        f"<dc:language>{_text(core.language)}</dc:language>"
        "</cp:coreProperties>"
    ).encode()


def app_properties_xml(company: str, *, application: str = APPLICATION) -> bytes:
    """``docProps/app.xml`` of an output: the application that made it (reportkit, not the Office version the
    template was once saved with) and the agency as the company."""
    return (
        f'{_DECLARATION}<Properties xmlns="{EXTENDED_NS}" xmlns:vt="{VT_NS}">'
        f"<Application>{_text(application)}</Application><DocSecurity>0</DocSecurity>"
        f"<Company>{_text(company)}</Company></Properties>"
    ).encode()
