"""Table 三 in the PDF LibreOffice makes of the Word output (issue 12): it stands on one page, or the page it
continues on shows its group label 三、本年度办理结果 (a vertically merged cell continued on a new page
shows an empty first column)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pdf_helpers import convert_all, page_texts, require_libreoffice
from reportkit import io
from reportkit.model import AnnualReport
from reportkit.render.docx import render_docx

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _normalized(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _short_overview(path: Path) -> AnnualReport:
    """The example with a one-line 监督保障 text: table 三 then starts in the middle of a page."""
    text = path.read_text(encoding="utf-8")
    text, count = re.subn(r'(?m)^oversight = ".*"$', 'oversight = "加强督查。"', text)
    assert count == 1
    return io.loads(text, source=str(path))


def _reports() -> dict[str, AnnualReport]:
    reports = {}
    for name in ("longde-chengguan-2021", "trial-format-2020"):
        path = EXAMPLES / f"{name}.toml"
        reports[name] = io.load(path)
        reports[f"{name}-short"] = _short_overview(path)
    return reports


@pytest.mark.libreoffice
def test_table_three_on_one_page_or_labelled_where_it_continues(tmp_path: Path) -> None:
    require_libreoffice()
    reports = _reports()
    pdfs = convert_all({name: render_docx(report) for name, report in reports.items()}, tmp_path)
    for name, report in reports.items():
        layout = report.layout
        heading = _normalized(next(s.heading for s in layout.sections if s.key == "applications"))
        last = _normalized(layout.applications_table.row_leaves[-1].label)
        pages = [_normalized(page) for page in page_texts(pdfs[name])]
        start = next(i for i, page in enumerate(pages) if heading in page)
        end = next(i for i, page in enumerate(pages) if i >= start and last in page)
        for page in pages[start + 1 : end + 1]:  # a continuation: its first column must say what it is
            assert _normalized(layout.outcome_group) in page, (name, start + 1, end + 1)
        # what this template achieves today with ordinary content: the table is whole on one page
        assert start == end, (name, start + 1, end + 1)
