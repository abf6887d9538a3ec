"""Crafted Office files are refused before any XML parser sees them: quickly and in bounded memory."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from reportkit.errors import FormError, ReportkitError, TemplateError
from reportkit.safezip import ArchiveLimits, inspect_archive


def archive(parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buffer.getvalue()


GOOD = archive({"[Content_Types].xml": b'<?xml version="1.0"?><Types/>', "word/document.xml": b"<w:document/>"})
XXE = archive(
    {"word/document.xml": b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>'}
)
LAUGHS = archive(
    {
        "xl/workbook.xml": (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(f'<!ENTITY lol{i} "&lol{i - 1};&lol{i - 1};&lol{i - 1};">' for i in range(1, 12))
            + "]><workbook>&lol11;</workbook>"
        ).encode()
    }
)
UTF16 = archive(
    {"xl/workbook.xml": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "x">]><x/>'.encode("utf-16")}
)
LOWERCASE = archive({"word/_rels/document.xml.rels": b"<?xml version='1.0'?><!doctype r SYSTEM 'http://evil/'><r/>"})


@pytest.mark.parametrize(
    ("name", "data"), [("xxe", XXE), ("laughs", LAUGHS), ("utf16", UTF16), ("lowercase", LOWERCASE)]
)
def test_entity_declarations_are_refused(name: str, data: bytes) -> None:
    with pytest.raises(FormError, match="DOCTYPE/ENTITY"):
        inspect_archive(data, error=FormError, name=name)


def test_a_good_archive_passes() -> None:
    inspect_archive(GOOD)


def test_a_zip_bomb_is_refused_quickly_in_bounded_memory() -> None:
    bomb = archive({"xl/worksheets/sheet1.xml": b"<x>" + b"0" * (400 * 1024 * 1024) + b"</x>"})
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(TemplateError, match="压缩炸弹"):
        inspect_archive(bomb, error=TemplateError)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 1024 * 1024
    assert elapsed < 5  # generous: the refusal reads only the central directory


def test_a_bomb_at_a_high_ratio_under_the_total_limit_is_refused() -> None:
    member = b"<x>" + b"0" * (60 * 1024 * 1024) + b"</x>"
    with pytest.raises(ReportkitError, match="压缩比"):
        inspect_archive(archive({"a.xml": member}))


def test_a_header_that_understates_the_size_is_caught_while_reading() -> None:
    data = bytearray(archive({"a.xml": b"<x>" + b"1" * 200_000 + b"</x>"}))
    # Patch the central directory's uncompressed size down to 10 bytes.
    at = data.rfind(b"PK\x01\x02")
    data[at + 24 : at + 28] = (10).to_bytes(4, "little")
    with pytest.raises(ReportkitError):
        inspect_archive(bytes(data))


def test_too_many_members_and_too_large_files(tmp_path: Path) -> None:
    many = archive({f"m{i}.xml": b"<x/>" for i in range(50)})
    with pytest.raises(ReportkitError, match="过多"):
        inspect_archive(many, limits=ArchiveLimits(max_members=10))
    big = tmp_path / "big.xlsx"
    big.write_bytes(GOOD + b"\0" * 2048)
    with pytest.raises(ReportkitError, match="过大"):
        inspect_archive(big, limits=ArchiveLimits(max_file_bytes=1024))


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04garbage", b"not a zip at all", GOOD[: len(GOOD) // 2]])
def test_corrupt_archives_are_refused_with_a_message(data: bytes) -> None:
    with pytest.raises(ReportkitError, match=r"不是有效的 Office 文件|已损坏"):
        inspect_archive(data, name="x.xlsx")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ReportkitError, match="不存在"):
        inspect_archive(tmp_path / "nope.xlsx")
    with pytest.raises(ReportkitError, match="文件夹"):
        inspect_archive(tmp_path)
