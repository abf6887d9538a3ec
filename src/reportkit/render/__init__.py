"""Renderers: a checked :class:`~reportkit.model.AnnualReport` to Word (:mod:`.docx`), Excel, PDF (:mod:`.pdf`)
and HTML (:mod:`.html`: a portal page, or a fragment for a CMS editor).

Every renderer is pure: it reads the model and a template and returns the bytes of the output file.
Writing files (atomically, never over an input) is the caller's business (:mod:`reportkit.fs`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportkit.model import AnnualReport

#: The output kinds, in the order they are written.
KINDS = ("docx", "xlsx", "pdf", "html", "html-fragment")

#: File suffixes of the kinds whose suffix is not the kind itself.
_SUFFIXES = {"html-fragment": "fragment.html"}


def file_suffix(kind: str) -> str:
    """The suffix (without the leading dot) of an output file of ``kind``: ``fragment.html`` for the fragment."""
    return _SUFFIXES.get(kind, kind)


def render(
    kind: str, report: AnnualReport, template: str | os.PathLike[str] | None = None, *, draft: bool = False
) -> bytes:
    """The bytes of one output ``kind`` ("docx", "xlsx", "pdf", "html" or "html-fragment", HTML in UTF-8);
    ``template`` is a custom Word template (for docx and pdf; the workbook and the HTML have their own)."""
    if kind == "docx":
        from reportkit.render.docx import render_docx

        return render_docx(report, template, draft=draft)
    if kind == "xlsx":
        from reportkit.render.xlsx import render_xlsx

        return render_xlsx(report, draft=draft)
    if kind == "pdf":
        from reportkit.render.pdf import render_pdf

        return render_pdf(report, template, draft=draft)
    if kind in ("html", "html-fragment"):
        from reportkit.render.html import render_html

        return render_html(report, draft=draft, fragment=kind == "html-fragment").encode("utf-8")
    raise ValueError(f"unknown output kind {kind!r}; expected one of {KINDS}")


def warm_up(kinds: Sequence[str]) -> None:
    """Load and compile the shipped templates of ``kinds`` ("docx", "pdf", "xlsx") now, e.g. in a parent
    process before forking workers, so that no render pays for it."""
    from reportkit.errors import TemplateError
    from reportkit.formats import FORMATS

    if "docx" in kinds or "pdf" in kinds:
        from reportkit.render.docx import load_docx_template
        from reportkit.templates import find_template

        for format_id in FORMATS:
            try:
                load_docx_template(find_template("docx", format_id).path)
            except TemplateError:
                continue
    if "xlsx" in kinds:
        from reportkit.render.xlsx import warm_up as warm_up_xlsx

        warm_up_xlsx()
