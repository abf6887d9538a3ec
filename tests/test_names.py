"""File names made from agency names stay inside their folder and are valid on Windows."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportkit.names import MAX_NAME_BYTES, safe_filename, unique_names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("隆德县财政局", "隆德县财政局"),
        ("../../x", "_.._x"),
        ("..\\..\\x", "_.._x"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("LPT1", "_LPT1"),
        ("a:b*c?d", "a_b_c_d"),
        ("名称. ", "名称"),
        ("", "报告"),
        ("...", "报告"),
        ("/", "报告"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


@given(st.text(max_size=300))
def test_any_name_is_one_path_component_inside_the_folder(name: str) -> None:
    safe = safe_filename(name)
    folder = Path("/tmp/out")
    assert safe and "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert (folder / safe).resolve().parent == folder.resolve()
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert safe.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}


def test_unique_names_do_not_collide_case_insensitively() -> None:
    assert unique_names(["财政局", "财政局", "Abc", "ABC", "财政局"]) == [
        "财政局",
        "财政局-2",
        "Abc",
        "ABC-2",
        "财政局-3",
    ]


def test_atomic_outputs_get_ordinary_file_permissions(tmp_path: Path) -> None:
    import os
    import stat

    from reportkit.fs import atomic_write_bytes

    target = atomic_write_bytes(tmp_path / "report.docx", b"data")
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert target.read_bytes() == b"data"
