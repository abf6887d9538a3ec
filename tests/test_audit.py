"""Auditing published reports: findings weighed by the confidence of their cells, and the published-file rules."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest

from docx_helpers import full_report
from reportkit.audit import REVIEW_MESSAGE, audit
from reportkit.formats import get_format
from reportkit.model import AnnualReport
from reportkit.published import PublishedDocumentError, ReadLimits, read_document
from reportkit.published.mapping import official_values
from reportkit.render.docx import render_docx
from reportkit.render.html import render_html
from reportkit.rules import Severity

LAYOUT = get_format("gov-info-annual-report/2021")
TABLE3 = LAYOUT.applications_table


def _unbalanced() -> AnnualReport:
    """carried_forward one more than the balance allows: applications.balance for 自然人."""
    report = full_report()
    row = report.applications.carried_forward
    return attrs.evolve(
        report,
        applications=attrs.evolve(
            report.applications, carried_forward=attrs.evolve(row, natural_person=row.natural_person + 1)
        ),
    )


def _codes(result, severity: Severity | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in result.findings if severity is None or f.severity is severity]


def test_reportkit_output_audits_clean() -> None:
    result = audit(render_html(full_report()).encode(), name="report.html")
    assert result.status == "ok", [str(f) for f in result.findings]


def test_a_finding_on_sure_cells_keeps_its_severity() -> None:
    result = audit(render_docx(_unbalanced(), draft=True), name="report.docx")
    balance = [f for f in result.findings if f.code == "applications.balance"]
    assert balance and all(f.severity is Severity.ERROR for f in balance)
    assert "applications.carried_forward.natural_person" in balance[0].cells
    assert all(balance[0].where)


def _scrape(report: AnnualReport) -> bytes:
    """A text dump of table 三 as a scrape gives it: label, then the seven numbers, one row a line."""
    truth = official_values(report, LAYOUT)
    lines = [f"{report.title}", LAYOUT.applications.heading]
    for leaf in TABLE3.row_leaves:
        numbers = " ".join(str(truth[f"applications.{leaf.key}.{c.key}"]) for c in TABLE3.column_leaves)
        lines.append(f"{leaf.label} {numbers}")
    return "\n".join(lines).encode()


def test_a_finding_on_unsure_cells_is_for_review_with_their_places() -> None:
    result = audit(_scrape(_unbalanced()), name="dump.txt")
    balance = [f for f in result.findings if f.code == "applications.balance"]
    assert balance and all(f.severity is Severity.REVIEW for f in balance)
    assert REVIEW_MESSAGE in balance[0].message
    assert "第" in balance[0].message and "行" in balance[0].message  # where each cell stands
    assert Severity.ERROR not in {f.severity for f in result.findings if f.code.startswith("applications.")}


def _html_with(report: AnnualReport, old: str, new: str, head: str = "") -> bytes:
    page = render_html(report, draft=True)
    assert old in page
    page = page.replace(old, new, 1)
    if head:
        page = page.replace("<head>", f"<head>{head}", 1)
    return page.encode()


def test_a_placeholder_in_a_relation_makes_it_not_assessable() -> None:
    report = _unbalanced()
    value = report.applications.carried_forward.natural_person
    result = audit(_html_with(report, f">{value}<", ">/<"), name="r.html")
    codes = _codes(result)
    assert "applications.balance.not_assessable" in codes
    finding = next(f for f in result.findings if f.code == "applications.balance.not_assessable")
    assert "applications.carried_forward.natural_person" in finding.cells
    assert "“/”" in finding.message
    # the rule cannot be said to fail (or pass) on a cell nobody printed as a number
    assert not any(
        f.code == "applications.balance" and f.location.field.endswith(".natural_person") for f in result.findings
    )
    assert "published.blank_cells" in codes


def test_blank_cells_are_a_warning_naming_each_cell() -> None:
    report = full_report()
    value = report.proactive.licensing
    result = audit(_html_with(report, f">{value}<", "><"), name="r.html")
    blank = [f for f in result.findings if f.code == "published.blank_cells"]
    assert len(blank) == 1 and blank[0].severity is Severity.WARNING
    assert blank[0].cells == ("proactive.licensing",)


def test_published_before_the_year_ended() -> None:
    head = '<meta name="PubDate" content="2021-12-20 09:00">'
    result = audit(_html_with(full_report(), "<title>", "<title>", head), name="r.html")
    finding = next(f for f in result.findings if f.code == "published.too_early")
    assert finding.severity is Severity.ERROR and "PubDate" in finding.message


def test_published_after_the_deadline_from_the_url() -> None:
    report = full_report()  # a department: 1月31日
    result = audit(
        render_html(report).encode(), name="r.html", url="https://www.example.gov.cn/zwgk/202203/t20220315_1.html"
    )
    finding = next(f for f in result.findings if f.code == "published.late")
    assert finding.severity is Severity.WARNING and "网址" in finding.message and "晚 43 天" in finding.message
    assert "dates.published_late" not in _codes(result)


def test_on_time_is_quiet() -> None:
    result = audit(
        render_html(full_report()).encode(), name="r.html", url="https://www.example.gov.cn/202201/t20220125_1.html"
    )
    assert not {"published.late", "published.too_early"} & set(_codes(result))


def test_a_2019_row_in_a_2021_report_is_a_table_format_finding() -> None:
    from reportkit.formats.layout import label_path

    group = next(n for n in TABLE3.rows[2].children if getattr(n, "key", "") == "other_handling")  # type: ignore[union-attr]
    head = "".join(f"<td>{leaf.label}</td>" for leaf in TABLE3.column_leaves)
    rows = []
    for leaf in TABLE3.row_leaves:
        path = label_path(TABLE3.rows, leaf.key)
        if group.label in path:
            if leaf.key != "other_handling.no_correction":
                continue
            path = path[:-1]  # the 2019 layout: （六）其他处理 is one row
        values = "".join("<td>0</td>" for _ in TABLE3.column_leaves)
        rows.append(f"<tr><td>{''.join(path[:-1])}</td><td>{path[-1]}</td>{values}</tr>")
    page = (
        "<html><body><p>某县2022年政府信息公开工作年度报告</p>"
        f"<table><tr><td></td><td></td>{head}</tr>{''.join(rows)}</table></body></html>"
    )
    result = audit(page.encode(), name="r.html")
    assert result.extraction.variants["applications"] == "2019-row"
    finding = next(f for f in result.findings if f.code == "published.table_format")
    assert finding.severity is Severity.WARNING and "2022" in finding.message


def test_same_bytes_same_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = _scrape(_unbalanced())
    first = json.dumps(audit(data, name="dump.txt").as_dict(), ensure_ascii=False, sort_keys=True)
    second = json.dumps(audit(data, name="dump.txt").as_dict(), ensure_ascii=False, sort_keys=True)
    assert first == second
    parsed = json.loads(first)
    assert set(parsed) >= {
        "source",
        "sha256",
        "format",
        "variants",
        "cells",
        "findings",
        "missing",
        "unmapped",
        "notes",
    }
    assert parsed["cells"]["applications.new.natural_person"]["confidence"] == "low"


def _proactive_html(format_id: str, year: int) -> bytes:
    layout = get_format(format_id)
    rows = []
    for block in layout.proactive_blocks:
        rows.append(f"<tr><td colspan='4'>{block.title}</td></tr>")
        rows.append(
            "<tr>"
            + f"<td>{block.content_header}</td>"
            + "".join(f"<td>{c.label}</td>" for c in block.columns)
            + "</tr>"
        )
        for number, leaf in enumerate(block.rows):
            rows.append(
                f"<tr><td>{leaf.label}</td>" + "".join(f"<td>{number + 1}</td>" for _ in block.columns) + "</tr>"
            )
    return (
        f"<html><body><p>某县{year}年政府信息公开工作年度报告</p><p>{layout.proactive.heading}</p>"
        f"<table>{''.join(rows)}</table></body></html>"
    ).encode()


def test_a_2019_table_2_in_a_2022_report_is_read_as_such_and_is_a_finding() -> None:
    result = audit(_proactive_html("gov-info-annual-report/2019", 2022), name="r.html")
    extraction = result.extraction
    assert extraction.variants["proactive"] == "2019"
    layout2019 = get_format("gov-info-annual-report/2019")
    block = layout2019.proactive_blocks[0]
    key = f"proactive.{block.cell_key(block.rows[0], block.columns[0])}"
    assert extraction.cells[key].value == 1
    assert not any(k == "proactive.regulations.issued" for k in extraction.cells)  # never placed in 2021 columns
    assert "published.table_format" in _codes(result)


def test_a_2021_table_2_stays_2021() -> None:
    extraction = audit(_proactive_html("gov-info-annual-report/2021", 2022), name="r.html").extraction
    assert extraction.variants["proactive"] == "2021"
    assert extraction.cells["proactive.regulations.issued"].value == 1


def test_a_2020_report_is_read_in_the_2019_format_without_a_format_finding() -> None:
    result = audit(_proactive_html("gov-info-annual-report/2019", 2020), name="r.html")
    extraction = result.extraction
    assert extraction.layout.id == "gov-info-annual-report/2019"
    assert extraction.variants["proactive"] == "2019"
    layout2019 = get_format("gov-info-annual-report/2019")
    block = layout2019.proactive_blocks[0]
    key = block.cell_key(block.rows[0], block.columns[0])
    assert extraction.report.proactive.value(key) == 1  # the model holds the 2019 cells
    assert "published.table_format" not in _codes(result)
    assert "report.format_year" not in _codes(result)


def test_a_file_that_cannot_be_read_is_refused_as_read_document_refuses_it(tmp_path: Path) -> None:
    """audit reads its file as read_document does (one bounded read): same refusal, naming the file."""
    big = tmp_path / "big.html"
    big.write_bytes(b"x" * 5000)
    small = ReadLimits(max_html_bytes=1000, max_text_bytes=1000, max_docx_bytes=1000, max_pdf_bytes=1000)
    for source, limits in ((big, small), (tmp_path / "nope.html", small), (tmp_path, small)):
        with pytest.raises(PublishedDocumentError) as expected:
            read_document(source, limits=limits)
        with pytest.raises(PublishedDocumentError) as caught:
            audit(source, limits=limits)
        assert str(caught.value) == str(expected.value)
        assert str(source) in str(caught.value)
