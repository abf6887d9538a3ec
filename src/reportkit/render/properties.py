"""What every output says of itself: the report's format as a value, and the document properties of the Word and
Excel outputs (made by reportkit, for which agency, when), written by :mod:`reportkit.ooxml.package`."""

from __future__ import annotations

import datetime as dt

from reportkit.formats import get_format
from reportkit.formats.spec import ReportFormat
from reportkit.model import AnnualReport
from reportkit.ooxml.package import (
    APPLICATION,
    CoreProperties,
    app_properties_xml,
    core_properties_xml,
    document_time,
)

__all__ = ["document_properties", "report_layout"]


def report_layout(report: AnnualReport) -> ReportFormat:
    """The format of ``report``, as a value (``report.layout``, else looked up by ``report.format``)."""
    layout = getattr(report, "layout", None)
    return layout if isinstance(layout, ReportFormat) else get_format(report.format)


#: The application an output names, by kind. LibreOffice lays out a workbook that names another application than
#: Microsoft Excel with other column widths and print scaling (the tables no longer fill the page), so the workbook
#: says what openpyxl's say for that reason: Excel-compatible, made by reportkit. Word files are laid out alike.
APPLICATIONS = {"docx": APPLICATION, "xlsx": f"Microsoft Excel Compatible / {APPLICATION}"}


def document_properties(report: AnnualReport, kind: str = "docx") -> dict[str, bytes]:
    """``docProps/core.xml`` and ``docProps/app.xml`` of a report's outputs (Word and Excel): made by reportkit,
    for the agency, dated by :func:`reportkit.ooxml.package.document_time` (the 成文日期 when filled in)."""
    info = report.report
    # A draft may have any year a Python caller gave (0, -1): the date stays one Python can write.
    day = info.signed_on or info.published_on or dt.date(min(max(report.year + 1, dt.MINYEAR), dt.MAXYEAR), 1, 1)
    agency = report.agency.name
    layout = report_layout(report)
    core = CoreProperties(
        title=report.title,
        subject=layout.document_name,
        creator=agency,
        description=f"reportkit 生成：{agency} {report.year} 年度报告（{layout.id}，{layout.notice}）",
        identifier=layout.id,
        created=document_time(day),
    )
    app = app_properties_xml(agency, application=APPLICATIONS[kind])
    return {"docProps/core.xml": core_properties_xml(core), "docProps/app.xml": app}
