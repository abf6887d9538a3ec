"""What every output says of itself: the report's format as a value, and the document properties of the Word and
Excel outputs (made by reportkit, for which agency, when), written by :mod:`reportkit.ooxml.package`."""

from __future__ import annotations

import datetime as dt

from reportkit.formats import get_format
from reportkit.formats.spec import ReportFormat
from reportkit.model import AnnualReport
from reportkit.ooxml.package import CoreProperties, app_properties_xml, core_properties_xml, document_time

__all__ = ["document_properties", "report_layout"]


def report_layout(report: AnnualReport) -> ReportFormat:
    """The format of ``report``, as a value (``report.layout``, else looked up by ``report.format``)."""
    layout = getattr(report, "layout", None)
    return layout if isinstance(layout, ReportFormat) else get_format(report.format)


def document_properties(report: AnnualReport) -> dict[str, bytes]:
    """``docProps/core.xml`` and ``docProps/app.xml`` of a report's outputs (Word and Excel): made by reportkit,
    for the agency, dated by :func:`reportkit.ooxml.package.document_time` (the 成文日期 when filled in)."""
    info = report.report
    day = info.signed_on or info.published_on or dt.date(report.year + 1, 1, 1)
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
    return {"docProps/core.xml": core_properties_xml(core), "docProps/app.xml": app_properties_xml(agency)}
