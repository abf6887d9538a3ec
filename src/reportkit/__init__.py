"""reportkit: 政府信息公开工作年度报告 in the official 2021 format.

The public API: :func:`load` / :func:`loads` a report, :func:`check` it against the official rules,
:func:`dump` it, and render it with :func:`render_docx`, :func:`render_xlsx`, :func:`render_pdf` or
:func:`render_html`.
Rendering modules (and docxtpl, openpyxl) are imported only when first used, so checking stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reportkit.errors import (
    FiguresFileError,
    FormError,
    ModelError,
    OutputError,
    Problem,
    RenderError,
    ReportkitError,
    TemplateError,
)
from reportkit.formats import FORMATS, NEWEST, UnknownFormatError
from reportkit.io import dump, dumps, load, loads
from reportkit.model import (
    Agency,
    AgencyKind,
    AnnualReport,
    ApplicantCounts,
    Applications,
    CaseOutcomes,
    DocumentCounts,
    InformationFees,
    OtherMatters,
    Overview,
    ProactiveDisclosure,
    ProactiveRow,
    Problems,
    ReportInfo,
    ReviewLitigation,
    RowGroup,
)
from reportkit.rules import Finding, Location, Severity, check

if TYPE_CHECKING:
    from reportkit.audit import audit
    from reportkit.nextyear import next_year
    from reportkit.published import read_published
    from reportkit.render.docx import render_docx
    from reportkit.render.html import render_html
    from reportkit.render.pdf import render_pdf
    from reportkit.render.xlsx import render_xlsx

__version__ = "0.1.0"

_LAZY = {
    "render_docx": "reportkit.render.docx",
    "render_xlsx": "reportkit.render.xlsx",
    "render_pdf": "reportkit.render.pdf",
    "render_html": "reportkit.render.html",
    "next_year": "reportkit.nextyear",
    "read_published": "reportkit.published",
    "audit": "reportkit.audit",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reportkit' has no attribute {name!r}")


__all__ = [
    "FORMATS",
    "NEWEST",
    "Agency",
    "AgencyKind",
    "AnnualReport",
    "ApplicantCounts",
    "Applications",
    "CaseOutcomes",
    "DocumentCounts",
    "FiguresFileError",
    "Finding",
    "FormError",
    "InformationFees",
    "Location",
    "ModelError",
    "OtherMatters",
    "OutputError",
    "Overview",
    "ProactiveDisclosure",
    "ProactiveRow",
    "Problem",
    "Problems",
    "RenderError",
    "ReportInfo",
    "ReportkitError",
    "ReviewLitigation",
    "RowGroup",
    "Severity",
    "TemplateError",
    "UnknownFormatError",
    "__version__",
    "audit",
    "check",
    "dump",
    "dumps",
    "load",
    "loads",
    "next_year",
    "read_published",
    "render_docx",
    "render_html",
    "render_pdf",
    "render_xlsx",
]
