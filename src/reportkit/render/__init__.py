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
    from reportkit.rules import Finding

#: The output kinds, in the order they are written.
KINDS = ("docx", "xlsx", "pdf", "html", "html-fragment")

#: File suffixes of the kinds whose suffix is not the kind itself.
_SUFFIXES = {"html-fragment": "fragment.html"}


def file_suffix(kind: str) -> str:
    """The suffix (without the leading dot) of an output file of ``kind``: ``fragment.html`` for the fragment."""
    return _SUFFIXES.get(kind, kind)


def render(
    kind: str,
    report: AnnualReport,
    template: str | os.PathLike[str] | None = None,
    *,
    draft: bool = False,
    findings: Sequence[Finding] | None = None,
) -> bytes:
    """The bytes of one output ``kind`` ("docx", "xlsx", "pdf", "html" or "html-fragment", HTML in UTF-8);
    ``template`` is a custom Word template (for docx and pdf; the workbook and the HTML have their own).

    The release policy (:mod:`reportkit.render.policy`) decides once whether the report may be rendered and
    as what; pass the report's ``findings`` when you have them, so that it is not checked again.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}; expected one of {KINDS}")
    from reportkit.render.policy import release

    decision = release(report, findings, draft=draft)
    if kind == "docx":
        from reportkit.render.docx import render_released

        return render_released(report, decision, template)
    if kind == "xlsx":
        from reportkit.render.xlsx import render_released as render_xlsx_released

        return render_xlsx_released(report, decision)
    if kind == "pdf":
        from reportkit.render.docx import render_released
        from reportkit.render.pdf import convert_to_pdf

        return convert_to_pdf(render_released(report, decision, template), ".docx")
    from reportkit.render.html import render_released as render_html_released

    return render_html_released(report, decision, fragment=kind == "html-fragment").encode("utf-8")


def warm_up(kinds: Sequence[str], format_ids: Sequence[str] | None = None) -> None:
    """Load and compile the shipped Word templates of ``format_ids`` (default: every registered format) and the
    workbook template of the newest format for ``kinds`` ("docx", "pdf", "xlsx") now, e.g. in a parent process
    before forking workers, so that no render pays for it; other templates compile when first used."""
    from reportkit.errors import TemplateError
    from reportkit.formats import FORMATS

    if "docx" in kinds or "pdf" in kinds:
        from reportkit.render.docx import load_docx_template
        from reportkit.templates import find_template

        for format_id in FORMATS if format_ids is None else format_ids:
            try:
                load_docx_template(find_template("docx", format_id).path)
            except TemplateError:
                continue
    if "xlsx" in kinds:
        from reportkit.render.xlsx import warm_up as warm_up_xlsx

        warm_up_xlsx()
