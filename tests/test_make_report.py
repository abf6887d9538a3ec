"""``examples/make_report.py`` writes what it promises: Word, Excel and, with LibreOffice, the PDF (issue 12.4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reportkit.render.pdf import find_soffice

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "make_report.py"
TITLE = "隆德县城关镇2021年政府信息公开工作年度报告"


def _run(outdir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **env}
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(outdir)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=300,
    )


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed")
def test_the_script_writes_the_pdf(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / f"{TITLE}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert {p.suffix for p in tmp_path.iterdir()} == {".docx", ".xlsx", ".pdf"}
    assert f"已生成：{pdf}" in result.stdout


def test_without_libreoffice_the_script_says_so(tmp_path: Path) -> None:
    result = _run(tmp_path, REPORTKIT_SOFFICE=str(tmp_path / "no-soffice"))
    assert result.returncode == 0, result.stderr
    assert {p.suffix for p in tmp_path.iterdir()} == {".docx", ".xlsx"}
    assert "未生成 PDF" in result.stdout and "LibreOffice" in result.stdout and "REPORTKIT_SOFFICE" in result.stdout
