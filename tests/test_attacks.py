"""Crafted-file attacks through the public API: an Excel form or a Word template carrying an external entity,
a billion-laughs entity, a UTF-16 part with a DOCTYPE, or an archive that expands past the limit.

Each is refused by ``reportkit.load``, ``render_docx(template=…)``, ``reportkit template check`` and
``reportkit check``, with a clear message and no traceback, in well under a second and in bounded memory.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import reportkit
from docx_helpers import TEMPLATE, full_report
from reportkit.cli import main
from reportkit.errors import FormError, TemplateError
from reportkit.render.docx import render_docx
from reportkit.xlsx_form import MAX_EXPANDED_BYTES, fill_form
from xlsx_support import sample_report

XXE = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10) for i in range(1, 10)
    )
    + b"]>"
)
FORM = fill_form(sample_report())
DOCX = TEMPLATE.read_bytes()
#: (archive, member that carries the attack, where its text goes)
TARGETS = {
    "xlsx": (FORM, "xl/worksheets/sheet2.xml", b"</sheetData>"),
    "docx": (DOCX, "word/document.xml", b"</w:body>"),
}


def _with_member(data: bytes, member: str, content: bytes | None, extra: dict[str, int] | None = None) -> bytes:
    """``data`` with ``member`` replaced (when content is given) and members of zeros added (name → size)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, content if info.filename == member and content is not None else source.read(info))
        for name, size in (extra or {}).items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with out.open(info, "w") as stream:
                block = b"0" * (1 << 20)
                for _ in range(size >> 20):
                    stream.write(block)
    return buffer.getvalue()


def _split_declaration(xml: bytes) -> tuple[bytes, bytes]:
    """The XML declaration (openpyxl writes none) and the rest."""
    if xml.startswith(b"<?xml"):
        end = xml.index(b"?>") + 2
        return xml[:end], xml[end:]
    return b'<?xml version="1.0" encoding="UTF-8"?>', xml


def _declared(kind: str, declaration: bytes, use: bytes) -> bytes:
    data, member, anchor = TARGETS[kind]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read(member)
    head, rest = _split_declaration(xml)
    xml = head + declaration + rest.replace(anchor, use + anchor, 1)
    return _with_member(data, member, xml)


def _utf16(kind: str) -> bytes:
    data, member, _ = TARGETS[kind]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read(member).decode("utf-8")
    _, rest = _split_declaration(xml.encode("utf-8"))
    xml = '<?xml version="1.0" encoding="UTF-16"?>' + XXE.decode() + rest.decode("utf-8")
    return _with_member(data, member, xml.encode("utf-16"))


def _bomb(kind: str) -> bytes:
    data, _, _ = TARGETS[kind]
    name = "xl/media/image1.bin" if kind == "xlsx" else "word/media/image1.bin"
    return _with_member(data, "", None, {name: MAX_EXPANDED_BYTES + (8 << 20)})


def _bomb_xml(kind: str) -> bytes:
    """An XML part of zeros whose header states a small size (headers can lie: what comes out counts)."""
    data, member, _ = TARGETS[kind]
    return _with_member(data, "", None, {member.replace(".xml", "-extra.xml"): 160 << 20})


ATTACKS: dict[str, Callable[[str], bytes]] = {
    "external entity": lambda kind: _declared(kind, XXE, b""),
    "billion laughs": lambda kind: _declared(kind, LAUGHS, b""),
    "UTF-16 DOCTYPE": _utf16,
    "expands past the limit": _bomb,
    "XML part that expands past the limit": _bomb_xml,
}
MESSAGES = {
    "external entity": "DOCTYPE",
    "billion laughs": "DOCTYPE",
    "UTF-16 DOCTYPE": "DOCTYPE",
    "expands past the limit": "压缩炸弹",
    "XML part that expands past the limit": "压缩炸弹",
}
_CACHE: dict[tuple[str, str], bytes] = {}


def _crafted(folder: Path, attack: str, kind: str) -> Path:
    if (attack, kind) not in _CACHE:
        _CACHE[attack, kind] = ATTACKS[attack](kind)
    path = folder / f"crafted.{kind}"
    path.write_bytes(_CACHE[attack, kind])
    return path


@contextlib.contextmanager
def _bounded(seconds: float = 2.0, megabytes: int = 16) -> Iterator[None]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, elapsed
    assert peak < megabytes << 20, peak


def _run(argv: list[str]) -> tuple[int, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv)
    return code, stdout.getvalue() + stderr.getvalue()


@pytest.mark.parametrize("attack", ATTACKS)
def test_crafted_form_refused_by_load(tmp_path: Path, attack: str) -> None:
    path = _crafted(tmp_path, attack, "xlsx")
    with _bounded(), pytest.raises(FormError) as caught:
        reportkit.load(path)
    assert str(path) in str(caught.value) and MESSAGES[attack] in str(caught.value)
    assert "root:" not in str(caught.value)


@pytest.mark.parametrize("attack", ATTACKS)
def test_crafted_form_refused_by_check_command(tmp_path: Path, attack: str) -> None:
    path = _crafted(tmp_path, attack, "xlsx")
    code, output = _run(["check", str(path)])
    assert code == 2
    assert MESSAGES[attack] in output and str(path) in output and "Traceback" not in output


@pytest.mark.parametrize("attack", ATTACKS)
def test_crafted_template_refused_by_render(tmp_path: Path, attack: str) -> None:
    path = _crafted(tmp_path, attack, "docx")
    report = full_report()
    with _bounded(), pytest.raises(TemplateError) as caught:
        render_docx(report, template=path)
    assert str(path) in str(caught.value) and MESSAGES[attack] in str(caught.value)


@pytest.mark.parametrize("attack", ATTACKS)
def test_crafted_template_refused_by_template_check(tmp_path: Path, attack: str) -> None:
    path = _crafted(tmp_path, attack, "docx")
    with _bounded():
        code, output = _run(["template", "check", str(path)])
    assert code == 1
    assert MESSAGES[attack] in output and "Traceback" not in output and "root:" not in output


@pytest.mark.parametrize("attack", ["external entity", "expands past the limit"])
def test_crafted_files_in_a_real_process(tmp_path: Path, attack: str) -> None:
    form = _crafted(tmp_path, attack, "xlsx")
    done = subprocess.run(
        [sys.executable, "-m", "reportkit", "check", str(form)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert MESSAGES[attack] in done.stderr and "Traceback" not in done.stderr + done.stdout


def test_the_untouched_files_pass(tmp_path: Path) -> None:
    """The crafted files differ from good ones only by the attack."""
    form = tmp_path / "form.xlsx"
    form.write_bytes(_with_member(FORM, "", None))
    assert reportkit.load(form).agency.name == sample_report().agency.name
    template = tmp_path / "template.docx"
    template.write_bytes(_with_member(DOCX, "", None))
    assert render_docx(full_report(), template=template)
