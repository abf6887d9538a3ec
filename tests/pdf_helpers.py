"""LibreOffice and poppler helpers for the tests that look at the PDF: many documents in one soffice call,
text per page, words with their boxes, the font of each piece of text."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest

from reportkit.render import pdf
from reportkit.render.docx_fit import for_libreoffice

INSTALL = "apt-get install libreoffice-writer-nogui fonts-noto-cjk poppler-utils"


def require(tool: str | None, what: str, install: str = INSTALL) -> None:
    """Skip when a tool is missing, or fail under ``CI=true`` (.ci/run installs everything)."""
    if tool:
        return
    message = f"{what} is not installed: {install}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_libreoffice() -> None:
    require(pdf.find_soffice(), "LibreOffice (soffice)")
    for tool in ("pdftotext", "pdffonts", "pdftohtml"):
        require(shutil.which(tool), f"{tool} (poppler-utils)")


def convert_all(documents: dict[str, bytes], folder: Path, *, timeout: float = 900) -> dict[str, Path]:
    """Convert several ``.docx`` (name -> bytes) to PDF in one LibreOffice run, with reportkit's font aliases,
    as :func:`reportkit.render.pdf.convert_to_pdf` runs it for one; returns name -> PDF path."""
    soffice = pdf.find_soffice()
    assert soffice is not None
    sources = folder / "docx"
    outdir = folder / "pdf"
    sources.mkdir(parents=True)
    outdir.mkdir()
    paths = []
    for name, data in documents.items():
        path = sources / f"{name}.docx"
        path.write_bytes(for_libreoffice(data))  # as convert_to_pdf prepares a .docx
        paths.append(str(path))
    env = dict(os.environ)
    env["FONTCONFIG_FILE"] = str(pdf.font_config_path())
    env.setdefault("XDG_DATA_HOME", str(Path.home() / ".local" / "share"))
    env["HOME"] = str(folder)
    env.setdefault("SAL_USE_VCLPLUGIN", "svp")
    profile = (folder / "profile").as_uri()
    command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nologo"]
    command += ["--nodefault", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(outdir), *paths]
    subprocess.run(command, env=env, cwd=folder, capture_output=True, timeout=timeout, check=True)
    results = {name: outdir / f"{name}.pdf" for name in documents}
    missing = [name for name, path in results.items() if not path.is_file()]
    assert not missing, f"LibreOffice wrote no PDF for {missing}"
    return results


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def page_texts(path: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    pages = _run("pdftotext", "-raw", str(path), "-").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def words(path: Path) -> list[str]:
    """Every word pdftotext finds, with its box: a number broken over two lines is two words."""
    root = ElementTree.fromstring(_run("pdftotext", "-bbox", str(path), "-"))
    return [word.text or "" for word in root.iter("{http://www.w3.org/1999/xhtml}word")]


def text_fonts(path: Path) -> list[tuple[int, str, str]]:
    """(page, text, font family) of every piece of text, as pdftohtml groups them (a line or part of one)."""
    xml = _run("pdftohtml", "-xml", "-i", "-stdout", "-q", str(path))
    root = ElementTree.fromstring(xml.encode("utf-8"))
    families: dict[str, str] = {}
    found = []
    for number, page in enumerate(root.iter("page"), start=1):
        for spec in page.iter("fontspec"):
            families[spec.get("id", "")] = spec.get("family", "")
        for text in page.iter("text"):
            found.append((number, "".join(text.itertext()), families.get(text.get("font", ""), "")))
    return found


def pdffonts(path: Path) -> str:
    return _run("pdffonts", str(path))
