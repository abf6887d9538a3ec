"""Renderers: a checked :class:`~reportkit.model.AnnualReport` to Word (:mod:`.docx`), Excel and PDF (:mod:`.pdf`).

Every renderer is pure: it reads the model and a template and returns the bytes of the output file.
Writing files (atomically, never over an input) is the caller's business (:mod:`reportkit.fs`).
"""

from __future__ import annotations

from collections.abc import Sequence


def warm_up(kinds: Sequence[str]) -> None:
    """Load and compile the shipped templates of ``kinds`` ("docx", "pdf", "xlsx") now, e.g. in a parent
    process before forking workers, so that no render pays for it."""
    import importlib

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
        try:
            xlsx = importlib.import_module("reportkit.render.xlsx")
        except ImportError:
            return
        hook = getattr(xlsx, "warm_up", None)
        if callable(hook):
            hook()
