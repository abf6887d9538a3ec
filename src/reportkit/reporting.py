"""Small summary tables (CSV and a workbook) that are safe to open: no formula runs, no control character.

The batch summary (:mod:`reportkit.batch`) and the audit summary (``reportkit audit -o``) both write a
table of one row per input. The cleaning of each text is :func:`reportkit.batch.clean_text`; this module
adds the two writers on plain ``head`` + ``rows``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from reportkit.batch import clean_text
from reportkit.names import display_width

__all__ = ["table_csv", "table_xlsx"]

#: What a spreadsheet takes for the start of a formula (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _clean(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


def table_csv(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """The table as CSV, UTF-8 with a BOM (Excel opens the Chinese correctly); a text a spreadsheet would
    run as a formula gets a leading ``'``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(head)
    for row in rows:
        cells = [_clean(value) for value in row]
        writer.writerow(["'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in cells])
    return buffer.getvalue().encode("utf-8-sig")


def table_xlsx(head: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str = "汇总") -> bytes:
    """The table as a workbook: a bold frozen header, every text stored as text (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for r, line in enumerate([list(head), *[list(row) for row in rows]], start=1):
        for c, value in enumerate(line, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = _clean(value)
            if isinstance(value, str):
                cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if r == 1:
                cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for c, name in enumerate(head, start=1):
        width = max([display_width(str(name)), *(display_width(str(row[c - 1])) for row in rows)], default=10) + 2
        sheet.column_dimensions[sheet.cell(row=1, column=c).column_letter].width = min(max(width, 8), 60)
    # printed on one page wide, landscape: a summary is read across
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
