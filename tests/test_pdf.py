"""PDF through LibreOffice: the labels and numbers of the report are in the PDF's text.

The LibreOffice test fails, rather than skips, under ``CI=true`` when LibreOffice or poppler is missing,
so a CI machine without them cannot pass silently (``.ci/run`` installs them).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from docx_helpers import full_report
from reportkit.errors import RenderError
from reportkit.formats import gov2021 as fmt
from reportkit.formats.layout import span_grid
from reportkit.render import pdf


def _require(tool: str | None, what: str) -> None:
    if tool:
        return
    message = f"{what} is not installed: apt-get install libreoffice-writer-nogui fonts-noto-cjk poppler-utils"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _normalized(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.libreoffice
def test_pdf_has_labels_and_numbers(tmp_path: Path) -> None:
    _require(pdf.find_soffice(), "LibreOffice (soffice)")
    _require(shutil.which("pdftotext"), "pdftotext (poppler-utils)")
    report = full_report()
    data = pdf.render_pdf(report, timeout=240)
    assert data.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
    raw = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = _normalized(raw)

    assert _normalized(report.title) in text
    for section in fmt.SECTIONS:
        assert section.heading in text
    for sub in fmt.OVERVIEW_SUBSECTIONS:
        assert sub.heading in text
    for block in fmt.PROACTIVE_BLOCKS:
        assert block.title in text
        for column in block.columns:
            assert _normalized(column.label) in text
    for table in (fmt.APPLICATIONS_TABLE, fmt.REVIEW_LITIGATION_TABLE):
        for placed in span_grid(table.columns):
            assert placed.label in text, placed.label
    for placed in span_grid(fmt.APPLICATIONS_TABLE.rows):
        assert _normalized(placed.label) in text, placed.label
    assert _normalized(fmt.BALANCE_NOTE) in text

    # every row of table 三: its label, then its seven numbers, in reading order
    position = 0
    for row in fmt.APPLICATIONS_TABLE.row_leaves:
        position = text.index(_normalized(row.label), position)
        position += len(_normalized(row.label))
        for column in fmt.APPLICATIONS_TABLE.column_leaves:
            number = str(report.applications.cell(row.key, column.key))
            position = text.index(number, position) + len(number)
    # table 四's fifteen numbers in order, after its last header label
    position = text.index(fmt.REVIEW_LITIGATION.heading)
    numbers = "".join(str(report.review_litigation.cell(c.key)) for c in fmt.REVIEW_LITIGATION_TABLE.column_leaves)
    assert numbers in text[position:]
    assert "96171.6" in text
    assert "2022年1月19日" in text and report.agency.name in text


@pytest.mark.libreoffice
def test_pdf_uses_chinese_faces(tmp_path: Path) -> None:
    _require(pdf.find_soffice(), "LibreOffice (soffice)")
    _require(shutil.which("pdffonts"), "pdffonts (poppler-utils)")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.render_pdf(full_report(), timeout=240))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Noto(Serif|Sans)CJK|Fandol", fonts), fonts
    assert "DejaVu" not in fonts


def test_missing_libreoffice_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "find_soffice", lambda: None)
    with pytest.raises(RenderError) as caught:
        pdf.convert_to_pdf(b"x", ".docx")
    packages = "libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk fonts-arphic-gkai00mp"
    assert f"apt-get install {packages}" in str(caught.value)
    assert "FandolFang" in str(caught.value)


def test_find_soffice_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REPORTKIT_SOFFICE", str(tmp_path / "nowhere" / "soffice"))
    assert pdf.find_soffice() is None
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("REPORTKIT_SOFFICE", str(fake))
    assert pdf.find_soffice() == str(fake)
    with pytest.raises(RenderError, match="退出码 3"):
        pdf.convert_to_pdf(b"x", "docx", timeout=30)


def test_time_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("REPORTKIT_SOFFICE", str(fake))
    with pytest.raises(RenderError, match=r"超过 0\.5 秒"):
        pdf.convert_to_pdf(b"x", ".docx", timeout=0.5)


def test_font_config_shipped() -> None:
    config = pdf.font_config_path().read_text(encoding="utf-8")
    for name in ("仿宋_GB2312", "楷体_GB2312", "黑体", "宋体", "方正小标宋简体", "FandolFang", "Noto Serif CJK SC"):
        assert name in config
