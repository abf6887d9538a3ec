"""The shipped templates of the 2019 trial format (issue 10.3) against format-2019.md §1–3: table 二 on the clean
4-column grid (titles full width; in （八）/（九） the second value spans the last two value columns), the
unit of 采购总金额 printed in its cell, table 三 with the single （六）其他处理 row (23 data rows), table 四 as 2021.

Labels are restated here verbatim from the specification (a test says what is right independently of the
format module it checks)."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn

from reportkit.formats import get_format
from reportkit.render.contract import check_official_tables
from reportkit.xlsx_layout import FORM_KIND, TABLES_KIND, FieldKind, Sheets, field_cells
from test_format import TABLE3_ROW_LABELS

ROOT = Path(__file__).resolve().parents[1]
F2019 = get_format("gov-info-annual-report/2019")
DOCX = ROOT / "templates" / "docx" / "annual-report-2019.v1.docx"
XLSX = {
    FORM_KIND: ROOT / "templates" / "xlsx" / "form-2019.v1.xlsx",
    TABLES_KIND: ROOT / "templates/xlsx/tables-2019.v1.xlsx",
}

# format-2019.md §1.1: (title, headers after 信息内容, rows)
TABLE2 = [
    ("第二十条第（一）项", ["本年新制作数量", "本年新公开数量", "对外公开总数量"], ["规章", "规范性文件"]),
    ("第二十条第（五）项", ["上一年项目数量", "本年增/减", "处理决定数量"], ["行政许可", "其他对外管理服务事项"]),
    ("第二十条第（六）项", ["上一年项目数量", "本年增/减", "处理决定数量"], ["行政处罚", "行政强制"]),
    ("第二十条第（八）项", ["上一年项目数量", "本年增/减"], ["行政事业性收费"]),
    ("第二十条第（九）项", ["采购项目数量", "采购总金额"], ["政府集中采购"]),
]
# format-2019.md §2: the 23 data rows (2021's with （六）1–3 replaced by one row), by their own label.
TABLE3_ROWS = [
    *TABLE3_ROW_LABELS[:20],  # up to （五）5.
    "（六）其他处理",
    *TABLE3_ROW_LABELS[23:],  # （七）总计, 四、结转下年度继续办理
]


def _text(tc: Any) -> str:
    return "".join(t.text or "" for t in tc.iter(qn("w:t")))


def _span(tc: Any) -> int:
    span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
    return int(span.get(qn("w:val"))) if span is not None else 1


def _tables() -> list[Any]:
    return list(Document(str(DOCX)).tables)


def test_the_docx_template_passes_the_official_table_check() -> None:
    assert check_official_tables(Document(str(DOCX)), F2019.id) == []


def test_docx_table2_on_the_clean_4_column_grid() -> None:
    table = _tables()[0]
    assert len(table._tbl.tblGrid.findall(qn("w:gridCol"))) == 4
    rows = [[(_text(tc), _span(tc)) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]
    expected: list[list[tuple[str, int]]] = []
    for title, headers, labels in TABLE2:
        spans = [1, 1, 1] if len(headers) == 3 else [1, 2]
        expected.append([(title, 4)])
        expected.append([("信息内容", 1), *zip(headers, spans, strict=True)])
        for label in labels:
            expected.append([(label, 1), *((None, s) for s in spans)])  # type: ignore[misc]
    assert len(rows) == len(expected) == 18
    for got, want in zip(rows, expected, strict=True):
        assert [span for _, span in got] == [span for _, span in want], got
        assert [text for (text, _), (label, _) in zip(got, want, strict=True) if label is not None] == [
            label for label, _ in want if label is not None
        ]
    signed = rows[6][2][0], rows[7][2][0], rows[10][2][0], rows[11][2][0], rows[14][2][0]
    assert all("items_change" in text for text in signed)  # 本年增/减 cells: the signed values
    amount = rows[17][2][0]
    assert amount == "{{ proactive.procurement.amount }}{{ proactive.procurement.amount_unit }}"


def test_docx_table3_has_23_data_rows_and_the_single_other_handling_row() -> None:
    table = _tables()[1]
    trs = table._tbl.tr_lst
    assert len(trs) == 3 + 23
    labels = []
    for tr in trs[3:]:
        texts = [_text(tc) for tc in tr.tc_lst if not _text(tc).startswith("{{")]
        labels.append(texts[-1] if texts else "")
    assert labels == TABLE3_ROWS
    other = next(tc for tr in trs for tc in tr.tc_lst if _text(tc) == "（六）其他处理")
    assert _span(other) == 2  # spans both sub-label columns, like （一）（二）（七）
    outer = next(tc for tr in trs for tc in tr.tc_lst if _text(tc) == "三、本年度办理结果")
    start = next(i for i, tr in enumerate(trs) if outer in tr.tc_lst)
    merged = 1
    for tr in trs[start + 1 :]:
        first = tr.tc_lst[0]
        v_merge = first.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
        if v_merge is None or v_merge.get(qn("w:val")) == "restart":
            break
        merged += 1
    assert merged == 20  # （一） … （六）, （七）总计
    data = sum(1 for tr in trs[3:] for tc in tr.tc_lst if _text(tc).startswith("{{ applications."))
    assert data == 161


def test_docx_table4_as_2021() -> None:
    table = _tables()[2]
    assert len(table._tbl.tblGrid.findall(qn("w:gridCol"))) == 15
    first = [(_text(tc), _span(tc)) for tc in table._tbl.tr_lst[0].tc_lst]
    assert first == [("行政复议", 5), ("行政诉讼", 10)]
    assert len(table._tbl.tr_lst) == 4


def _workbook(kind: str) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(io.BytesIO(XLSX[kind].read_bytes()))


@pytest.mark.parametrize("kind", [FORM_KIND, TABLES_KIND])
def test_workbook_table2_on_the_4_column_grid(kind: str) -> None:
    ws = _workbook(kind)[Sheets.PROACTIVE]
    merged = {str(r) for r in ws.merged_cells.ranges}
    row = 3
    for title, headers, labels in TABLE2:
        assert ws.cell(row, 1).value == title and f"A{row}:D{row}" in merged
        assert ws.cell(row + 1, 1).value == "信息内容"
        if len(headers) == 3:
            assert [ws.cell(row + 1, c).value for c in (2, 3, 4)] == headers
        else:
            assert [ws.cell(row + 1, c).value for c in (2, 3)] == headers and f"C{row + 1}:D{row + 1}" in merged
        for i, label in enumerate(labels):
            assert ws.cell(row + 2 + i, 1).value == label
        row += 2 + len(labels)
    fields = {f.field: f for f in field_cells(kind, F2019)}
    assert fields["proactive.fees.items_change"].span == 2  # （八）: 本年增/减 over the last two columns
    assert fields["proactive.fees.items_change"].kind is FieldKind.SIGNED_COUNT
    amount, unit = fields["proactive.procurement.amount"], fields["proactive.procurement.amount_unit"]
    assert (amount.coord, amount.kind, unit.coord, unit.kind) == ("C20", FieldKind.AMOUNT, "D20", FieldKind.UNIT)


@pytest.mark.parametrize("kind", [FORM_KIND, TABLES_KIND])
def test_workbook_table3_has_23_rows_and_161_cells(kind: str) -> None:
    fields = [f for f in field_cells(kind, F2019) if f.field.startswith("applications.")]
    assert len(fields) == 161
    assert len({f.row for f in fields}) == 23
    ws = _workbook(kind)[Sheets.APPLICATIONS]
    assert "（六）其他处理" in {ws.cell(r, 2).value for r in range(1, 40)}
    assert not any("申请人无正当理由逾期不补正" in str(ws.cell(r, 3).value) for r in range(1, 40))


def test_the_2019_form_has_no_fee_rows_and_a_unit_list() -> None:
    fields = {f.field for f in field_cells(FORM_KIND, F2019)}
    assert not {f for f in fields if f.startswith("other.information_fees.")}
    ws = _workbook(FORM_KIND)[Sheets.PROACTIVE]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any("D20" in str(dv.sqref) and "元" in str(dv.formula1) and "万元" in str(dv.formula1) for dv in lists)
    assert ws["D20"].value == "元"
    signed = [dv for dv in ws.data_validations.dataValidation if "负数" in (dv.error or "")]
    assert signed and all(c in str(signed[0].sqref) for c in ("C9", "C10", "C13", "C14", "C17"))
