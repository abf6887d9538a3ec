"""The output workbook: every official label, merge and number, totals included, in every reader."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import time
from decimal import Decimal

import openpyxl
import pytest
from attrs import evolve
from openpyxl.utils import get_column_letter

from reportkit.errors import RenderError, TemplateError
from reportkit.formats import gov2021 as fmt
from reportkit.formats.layout import depth, leaves, span_grid
from reportkit.model import ApplicantCounts
from reportkit.render.xlsx import default_template_path, render_xlsx
from reportkit.xlsx_draw import build, draw_workbook, workbook_bytes
from reportkit.xlsx_layout import PROP_FORMAT, PROP_VERSION, Sheets
from xlsx_support import convert, sample_report

HEADER_TOP = 3  # tables start on row 3: row 1 is the section heading, row 2 the draft mark


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return sample_report()


@pytest.fixture(scope="module")
def workbook(report):  # type: ignore[no-untyped-def]
    return openpyxl.load_workbook(io.BytesIO(render_xlsx(report)), data_only=True)


def merged(ws) -> set[str]:  # type: ignore[no-untyped-def]
    """The merged ranges of the table (rows 1 and 2, the heading and the draft mark, are merged too)."""
    return {str(r) for r in ws.merged_cells.ranges if r.min_row >= HEADER_TOP}


def area(row: int, col: int, rows: int, cols: int) -> str:
    first = f"{get_column_letter(col)}{row}"
    if rows == 1 and cols == 1:
        return first
    return f"{first}:{get_column_letter(col + cols - 1)}{row + rows - 1}"


def test_sheets_and_identity(workbook) -> None:  # type: ignore[no-untyped-def]
    assert workbook.sheetnames == [Sheets.INFO, Sheets.PROACTIVE, Sheets.APPLICATIONS, Sheets.REVIEW]
    props = {p.name: p.value for p in workbook.custom_doc_props}
    assert props[PROP_FORMAT] == fmt.FORMAT_ID
    assert props[PROP_VERSION] == "1"
    assert workbook[Sheets.PROACTIVE]["A1"].value == fmt.PROACTIVE.heading
    assert workbook[Sheets.APPLICATIONS]["A1"].value == fmt.APPLICATIONS.heading
    assert workbook[Sheets.REVIEW]["A1"].value == fmt.REVIEW_LITIGATION.heading


def test_info_sheet(workbook, report) -> None:  # type: ignore[no-untyped-def]
    ws = workbook[Sheets.INFO]
    values = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(3, 10)}
    assert ws["A1"].value == report.title
    assert values["机关名称"] == report.agency.name
    assert values["机关类型"] == "部门"
    assert values["报告年度"] == 2021
    assert values["成文日期"] == dt.datetime(2022, 1, 19)
    assert values["公布日期"] == dt.datetime(2022, 1, 20)
    assert ws["A2"].value is None  # not a draft


def test_table_2_labels_merges_numbers(workbook, report) -> None:  # type: ignore[no-untyped-def]
    ws = workbook[Sheets.PROACTIVE]
    merges = merged(ws)
    row = HEADER_TOP
    for block in fmt.PROACTIVE_BLOCKS:
        assert ws.cell(row=row, column=1).value == block.title
        assert area(row, 1, 1, 4) in merges
        assert ws.cell(row=row + 1, column=1).value == block.content_header
        span = 3 // len(block.columns)
        for i, column in enumerate(block.columns):
            assert ws.cell(row=row + 1, column=2 + i * span).value == column.label
            if span > 1:
                assert area(row + 1, 2, 1, span) in merges
        for j, leaf in enumerate(block.rows):
            r = row + 2 + j
            assert ws.cell(row=r, column=1).value == leaf.label
            for i, column in enumerate(block.columns):
                cell = ws.cell(row=r, column=2 + i * span)
                expected = report.proactive.value(block.cell_key(leaf, column))
                assert Decimal(repr(cell.value)) == expected
                assert isinstance(cell.value, int | float) and not isinstance(cell.value, bool)
                if span > 1:
                    assert area(r, 2, 1, span) in merges
        row += 2 + len(block.rows)
    fee = ws.cell(row=row - 1, column=2)
    assert fee.value == pytest.approx(96171.6) and isinstance(fee.value, float)


def test_table_3_labels_merges_numbers(workbook, report) -> None:  # type: ignore[no-untyped-def]
    ws = workbook[Sheets.APPLICATIONS]
    table = fmt.APPLICATIONS_TABLE
    merges = merged(ws)
    row_depth, col_depth = depth(table.rows), depth(table.columns)
    first_row, first_col = HEADER_TOP + col_depth, 1 + row_depth
    assert ws.cell(row=HEADER_TOP, column=1).value == table.corner
    assert area(HEADER_TOP, 1, col_depth, row_depth) in merges
    expected_merges = {area(HEADER_TOP, 1, col_depth, row_depth)}
    for p in span_grid(table.columns):
        assert ws.cell(row=HEADER_TOP + p.depth, column=first_col + p.index).value == p.label
        expected_merges.add(area(HEADER_TOP + p.depth, first_col + p.index, p.depth_span, p.index_span))
    for p in span_grid(table.rows):
        assert ws.cell(row=first_row + p.index, column=1 + p.depth).value == p.label
        expected_merges.add(area(first_row + p.index, 1 + p.depth, p.index_span, p.depth_span))
    assert {m for m in expected_merges if ":" in m} == merges
    apps = report.applications
    for i, row_leaf in enumerate(leaves(table.rows)):
        for j, col_leaf in enumerate(leaves(table.columns)):
            cell = ws.cell(row=first_row + i, column=first_col + j)
            assert cell.value == apps.cell(row_leaf.key, col_leaf.key), (row_leaf.label, col_leaf.label)
            assert type(cell.value) is int
    assert len(table.row_leaves) * len(table.column_leaves) == 175
    # the grand total and a balance, read back from the sheet
    last = first_row + len(table.row_leaves) - 1
    total_col = first_col + len(table.column_leaves) - 1
    assert ws.cell(row=first_row, column=total_col).value == apps.new.total == 45
    assert ws.cell(row=last - 1, column=total_col).value == apps.total.total == 42  # （七）总计
    assert ws.cell(row=last, column=total_col).value == apps.carried_forward.total == 7


def test_table_4_labels_merges_numbers(workbook, report) -> None:  # type: ignore[no-untyped-def]
    ws = workbook[Sheets.REVIEW]
    table = fmt.REVIEW_LITIGATION_TABLE
    merges = merged(ws)
    col_depth = depth(table.columns)
    expected_merges = set()
    for p in span_grid(table.columns):
        assert ws.cell(row=HEADER_TOP + p.depth, column=1 + p.index).value == p.label
        expected_merges.add(area(HEADER_TOP + p.depth, 1 + p.index, p.depth_span, p.index_span))
    assert {m for m in expected_merges if ":" in m} == merges
    data_row = HEADER_TOP + col_depth
    values = [ws.cell(row=data_row, column=1 + j).value for j in range(15)]
    assert values == [report.review_litigation.cell(leaf.key) for leaf in table.column_leaves]
    assert values[4] == 351 and values[9] == 26 and values[14] == 20


def test_declared_totals_are_not_shown(report) -> None:  # type: ignore[no-untyped-def]
    """Outputs always show the computed totals, never a declared one."""
    new = evolve(report.applications.new, declared_total=45)
    changed = evolve(
        report,
        applications=evolve(report.applications, new=new),
        review_litigation=evolve(
            report.review_litigation, review=evolve(report.review_litigation.review, declared_total=351)
        ),
    )
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(changed)), data_only=True)
    assert wb[Sheets.REVIEW]["E6"].value == 351


def test_print_setup(workbook) -> None:  # type: ignore[no-untyped-def]
    for name, landscape in ((Sheets.PROACTIVE, False), (Sheets.APPLICATIONS, True), (Sheets.REVIEW, True)):
        ws = workbook[name]
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.orientation == ("landscape" if landscape else "portrait")
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert workbook[Sheets.APPLICATIONS].print_title_rows == "$3:$5"
    assert workbook[Sheets.REVIEW].print_title_rows == "$3:$5"
    cell = workbook[Sheets.APPLICATIONS]["D10"]
    assert cell.border.left.style == "thin" and cell.font.name == "仿宋"


def test_other_readers(report) -> None:  # type: ignore[no-untyped-def]
    """python-calamine (which never recalculates) sees the totals too."""
    from python_calamine import CalamineWorkbook

    data = render_xlsx(report)
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_name(Sheets.APPLICATIONS).to_python()
    new_row = rows[5]
    assert new_row[0] == fmt.APPLICATIONS_TABLE.row_leaves[0].label
    assert [int(v) for v in new_row[3:]] == [30, 5, 2, 1, 3, 4, 45]


def test_errors_refused_unless_draft(report) -> None:  # type: ignore[no-untyped-def]
    broken = evolve(report, applications=report.applications.with_row("new", ApplicantCounts.of([1, 0, 0, 0, 0, 0])))
    with pytest.raises(RenderError) as info:
        render_xlsx(broken)
    assert "不能生成正式文本" in str(info.value) and "--draft" in str(info.value)
    assert any("三、收到和处理政府信息公开申请情况" in p.where for p in info.value.problems)
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(broken, draft=True)), data_only=True)
    for name in wb.sheetnames:
        assert "草稿" in wb[name]["A2"].value


def test_template_of_another_format_refused(report) -> None:  # type: ignore[no-untyped-def]
    from reportkit.formats import NEWEST, get_format
    from reportkit.xlsx_layout import tables_layout

    wb = draw_workbook(tables_layout(get_format(NEWEST)))
    for prop in wb.custom_doc_props:
        if prop.name == PROP_FORMAT:
            prop.value = "gov-info-annual-report/2019"
    with pytest.raises(TemplateError):
        render_xlsx(report, workbook_bytes(wb))
    with pytest.raises(TemplateError):
        render_xlsx(report, b"not a zip")


def test_custom_template_edited_by_openpyxl(report, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A template an office restyled (here: saved again by openpyxl, shared strings and all) still fills."""
    wb = openpyxl.load_workbook(default_template_path())
    wb[Sheets.APPLICATIONS]["A1"].font = openpyxl.styles.Font(name="黑体", size=16)
    path = tmp_path / "custom.xlsx"
    wb.save(path)
    out = openpyxl.load_workbook(io.BytesIO(render_xlsx(report, path)), data_only=True)
    assert out[Sheets.APPLICATIONS]["J6"].value == 45


def test_shipped_template_is_current() -> None:
    from reportkit.formats import NEWEST, get_format
    from reportkit.xlsx_layout import TABLES_KIND

    assert default_template_path().read_bytes() == build(get_format(NEWEST), TABLES_KIND)


def test_speed_against_plain_openpyxl(report) -> None:
    """issue 5: rendering takes at most half the time of plain openpyxl use (load template, fill, save)."""
    template = default_template_path()
    render_xlsx(report)

    def plain() -> None:
        wb = openpyxl.load_workbook(template)
        ws = wb[Sheets.APPLICATIONS]
        for r in range(6, 31):
            for c in range(4, 11):
                ws.cell(row=r, column=c).value = r * c
        wb.save(io.BytesIO())

    def ours() -> None:
        render_xlsx(report)

    def best(func, n: int = 5) -> float:  # type: ignore[no-untyped-def]
        times = []
        for _ in range(n):
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
        return min(times)

    ratio = best(ours) / best(plain)
    assert ratio <= 0.5, ratio


@pytest.mark.libreoffice
def test_pdf_has_the_numbers(report) -> None:  # type: ignore[no-untyped-def]
    """The output workbook converts to PDF in LibreOffice, with its labels and numbers in the text."""
    pdf = convert(render_xlsx(report), ".xlsx", "pdf")
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    text = result.stdout.decode()
    squeezed = text.replace(" ", "")
    labels = [fmt.APPLICATIONS.heading, fmt.REVIEW_LITIGATION.heading, fmt.PROACTIVE_BLOCKS[-1].rows[0].label]
    labels += [leaf.label for leaf in fmt.APPLICATIONS_TABLE.row_leaves if len(leaf.label) < 20]
    for label in labels:
        assert label in squeezed, label
    for number in ("96171.6", "1234", "351", "178", "45", "41"):
        assert number in text, number


# ---------------------------------------------------------------------------------------------------
# Large counts (issue 9 point 17): ten digits in a 9-wide column show, not #### or 1E+09
# ---------------------------------------------------------------------------------------------------


def _big_report():  # type: ignore[no-untyped-def]
    from reportkit.model import CaseOutcomes, DocumentCounts, ReviewLitigation
    from reportkit.values import MAX_COUNT

    report = sample_report()
    apps = report.applications.with_row("new", ApplicantCounts.of([MAX_COUNT, 999_999_999, 5, 1, 3, 4]))
    return evolve(
        report,
        applications=apps,
        review_litigation=ReviewLitigation(
            CaseOutcomes(MAX_COUNT, 64, 178, 37), CaseOutcomes(13, 4, 8, 1), CaseOutcomes(12, 1, 1, MAX_COUNT)
        ),
        proactive=evolve(
            report.proactive,
            regulations=DocumentCounts(MAX_COUNT, 0, MAX_COUNT),
            licensing=MAX_COUNT,
            fees_wan_yuan=Decimal("999999999.99"),
        ),
    )


def test_number_cells_shrink_to_fit() -> None:
    """Regression: a count of ten digits showed as #### in table 三's and 四's 9-wide columns."""
    from reportkit.xlsx_form import blank_form
    from reportkit.xlsx_layout import FORM_KIND, TABLES_KIND, FieldKind, field_cells

    for kind, data in ((TABLES_KIND, default_template_path().read_bytes()), (FORM_KIND, blank_form())):
        wb = openpyxl.load_workbook(io.BytesIO(data))
        numbers = [f for f in field_cells(kind) if f.kind in (FieldKind.COUNT, FieldKind.WAN_YUAN)]
        assert len(numbers) > 100
        for field in numbers:
            cell = wb[field.sheet][field.coord]
            if field.sheet == Sheets.TEXTS:
                continue  # the 信息处理费 rows are 90 wide
            assert cell.alignment.shrink_to_fit and not cell.alignment.wrap_text, (kind, field.where)


@pytest.mark.libreoffice
def test_ten_digit_counts_show_in_libreoffice() -> None:
    """The output workbook and the filled form, converted to PDF by LibreOffice, print every digit."""
    from reportkit.xlsx_form import fill_form

    report = _big_report()
    for data in (render_xlsx(report, draft=True), fill_form(report)):
        pdf = convert(data, ".xlsx", "pdf")
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
        shown = text.stdout.decode()
        assert "###" not in shown and "E+" not in shown
        for number in ("1000000000", "999999999", "2000000012", "1000000279", "1000000014", "999999999.99"):
            assert number in shown, number
