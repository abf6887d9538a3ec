"""Reading a filled form: nothing silently wrong (issue 9).

Each test builds a form the way a person (or Excel, WPS, LibreOffice) leaves it, and asserts the reader
either reads the right value, says what it noticed in a note naming the cell, or refuses naming the cells:
a merge undone (a), a defined name pointed elsewhere or defined twice (b), a formula whose stored result
disagrees with its arguments or refers to another workbook (c), rows inserted (d: the real cells are
named), sheet protection as LibreOffice applies it (e), the cost of a huge sheet (f), LibreOffice's own XML.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from attrs import evolve

from reportkit import check
from reportkit.cli import main
from reportkit.errors import FormError
from reportkit.io import read
from reportkit.model import ApplicantCounts
from reportkit.xlsx_form import MAX_FORM_ROW, blank_form, fill_form
from reportkit.xlsx_layout import FORM_KIND, Sheets, field_cells
from xlsx_support import (
    convert,
    libreoffice_edit,
    member,
    patch_cell,
    rezip,
    rows_inserted_above,
    sample_report,
    set_defined_names,
    sheet_member,
    with_junk_rows,
)

FIELDS = {cell.field: cell for cell in field_cells(FORM_KIND)}
REPORT = sample_report()
FILLED = fill_form(REPORT)
T2, T3, T4 = Sheets.PROACTIVE, Sheets.APPLICATIONS, Sheets.REVIEW


def write(tmp_path: Path, data: bytes, name: str = "form.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(tmp_path: Path, data: bytes) -> dict[str, str]:
    """The problems of a refused form, by cell."""
    with pytest.raises(FormError) as caught:
        read(write(tmp_path, data))
    assert str(tmp_path / "form.xlsx") in str(caught.value)
    problems: dict[str, str] = {}
    for problem in caught.value.problems:
        problems[problem.where] = problems.get(problem.where, "") + problem.message
    return problems


def unmerged(data: bytes, sheet: str, span: str, values: dict[str, object]) -> bytes:
    """The form with a merged value cell undone (as Excel's 取消合并) and its cells set."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[sheet]
    ws.unmerge_cells(span)
    for ref, value in values.items():
        ws[ref].value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------
# a. A value's merged span, undone
# ---------------------------------------------------------------------------------------------------


def test_a_number_typed_beside_an_undone_merge_is_read_with_a_note(tmp_path: Path) -> None:
    """Regression: the number typed into C9 of 行政许可's unmerged B9:D9 read as 0 and checked clean."""
    assert FIELDS["proactive.licensing"].where == f"{T2}!B9" and FIELDS["proactive.licensing"].span == 3
    loaded = read(write(tmp_path, unmerged(FILLED, T2, "B9:D9", {"B9": None, "C9": 77})))
    assert loaded.report.proactive.licensing == 77
    (note,) = loaded.notes
    assert note.where == f"{T2}!C9"
    assert "B9:D9" in note.message and "已按 C9 读取" in note.message and "行政许可" in note.message
    assert loaded.places["proactive.licensing"] == f"{T2}!C9"


def test_two_different_numbers_in_one_span_are_refused(tmp_path: Path) -> None:
    problems = refused(tmp_path, unmerged(FILLED, T2, "B12:D12", {"B12": 5, "D12": 7}))
    assert set(problems) == {f"{T2}!B12:D12"}
    message = problems[f"{T2}!B12:D12"]
    assert "B12 为 5" in message and "D12 为 7" in message and "行政处罚" in message


def test_the_same_number_in_two_cells_of_a_span_reads(tmp_path: Path) -> None:
    loaded = read(write(tmp_path, unmerged(FILLED, T2, "B9:D9", {"B9": 5, "C9": 5})))
    assert loaded.report.proactive.licensing == 5
    assert loaded.notes == ()


# ---------------------------------------------------------------------------------------------------
# b. Defined names verified by their sheet and labels
# ---------------------------------------------------------------------------------------------------


def test_a_name_pointed_at_another_input_cell_is_refused(tmp_path: Path) -> None:
    """Regression: rk.proactive.licensing pointed at 行政处罚's cell read 行政处罚's number silently."""
    data = set_defined_names(FILLED, {"rk.proactive.licensing": f"'{T2}'!$B$12"})
    problems = refused(tmp_path, data)
    message = problems[f"{T2}!B12"]
    assert "rk.proactive.licensing" in message
    assert "应为行“行政许可”，列“本年处理决定数量 第二十条第（五）项”" in message
    assert "实际为行“行政处罚”，列“本年处理决定数量 第二十条第（六）项”" in message
    assert "2 个名称（rk.proactive.licensing、rk.proactive.penalty）指向同一个单元格" in message


def test_two_names_on_one_cell_are_refused(tmp_path: Path) -> None:
    data = set_defined_names(FILLED, {"rk.applications.new.business": f"'{T3}'!$D$6"})
    problems = refused(tmp_path, data)
    assert set(problems) == {f"{T3}!D6"}
    assert "指向同一个单元格" in problems[f"{T3}!D6"]
    assert "应为行“一、本年新收政府信息公开申请数量”，列“商业企业 法人或其他组织 申请人情况”" in problems[f"{T3}!D6"]


@pytest.mark.parametrize("name", ["rk.proactive.licensing", "RK.Proactive.Licensing"])
def test_a_name_defined_twice_is_refused(tmp_path: Path, name: str) -> None:
    """A sheet-scoped duplicate (which formulas on that sheet would use), or one differing only in case."""
    extra = f'<definedName name="{name}" localSheetId="3">\'{T2}\'!$B$12</definedName>'
    problems = refused(tmp_path, set_defined_names(FILLED, {}, (extra,)))
    message = problems[FIELDS["proactive.licensing"].where]
    assert "定义了 2 次（工作簿级、工作表“二、主动公开”级）" in message


def test_names_swapped_under_a_header_merged_across_columns_are_refused(tmp_path: Path) -> None:
    """G6 and L6 of table 四 share their own header (结果纠正); the merged header above tells them apart."""
    data = set_defined_names(
        FILLED,
        {
            "rk.review_litigation.litigation_direct.corrected": f"'{T4}'!$L$6",
            "rk.review_litigation.litigation_after_review.corrected": f"'{T4}'!$G$6",
        },
    )
    problems = refused(tmp_path, data)
    assert set(problems) == {f"{T4}!G6", f"{T4}!L6"}
    assert "应为列“结果纠正 未经复议直接起诉 行政诉讼”，实际为列“结果纠正 复议后起诉”" in problems[f"{T4}!L6"]


@pytest.mark.parametrize(
    ("target", "where", "expected"),
    [
        (f"'{Sheets.TEXTS}'!$B$6", f"{Sheets.TEXTS}!B6", "应在工作表“基本信息”，实际指向“文字部分”"),
        (f"'{Sheets.INFO}'!$A$6", f"{Sheets.INFO}!A6", "实际为（没有标签）"),
        (f"'{Sheets.INFO}'!$B$20", f"{Sheets.INFO}!B20", "实际为（没有标签）"),
        (f"'{Sheets.INFO}'!$B$6:$B$7", FIELDS["report.year"].where, "应指向一个单元格"),
        ("[1]Sheet1!$A$1", FIELDS["report.year"].where, "指向其他工作簿"),
        ("#REF!", FIELDS["report.year"].where, "引用已失效"),
    ],
)
def test_a_name_pointed_elsewhere_is_refused(tmp_path: Path, target: str, where: str, expected: str) -> None:
    problems = refused(tmp_path, set_defined_names(FILLED, {"rk.report.year": target}))
    assert expected in problems[where]
    assert "rk.report.year" in problems[where]


def test_the_blank_form_and_the_filled_form_verify(tmp_path: Path) -> None:
    """Every name of the shipped form points where its labels say (the verification holds on the layout)."""
    read(write(tmp_path, fill_form(REPORT)))
    assert all(field.row_texts or field.column_texts for field in FIELDS.values())
    fingerprints = {(f.sheet, f.row_texts, f.column_texts) for f in FIELDS.values()}
    assert len(fingerprints) == len(FIELDS)  # no two cells look alike, so no name can move unseen


# ---------------------------------------------------------------------------------------------------
# c. Formulas whose stored result disagrees, cannot be checked, or refers to another workbook
# ---------------------------------------------------------------------------------------------------


def test_a_stale_total_is_noted(tmp_path: Path) -> None:
    """Regression: a total whose stored result was not recalculated was read without a word."""
    data = patch_cell(FILLED, T3, "J6", "<f>SUM(D6:I6)</f><v>999</v>")
    loaded = read(write(tmp_path, data))
    assert loaded.report == REPORT  # totals are computed from the figures
    (note,) = loaded.notes
    assert note.where == f"{T3}!J6"
    assert "=SUM(D6:I6)" in note.message and "999" in note.message and "应为 45" in note.message
    assert "保存前没有重新计算" in note.message


def test_an_input_formula_with_a_stale_result_is_read_from_its_arguments(tmp_path: Path) -> None:
    """Regression: =2+3 with a stored 4 read 4."""
    data = patch_cell(FILLED, T3, "D6", "<f>2+3</f><v>4</v>")
    loaded = read(write(tmp_path, data))
    assert loaded.report.applications.new.natural_person == 5
    (note,) = loaded.notes
    assert note.where == f"{T3}!D6"
    assert "公式 =2+3 按其参数应为 5" in note.message and "保存的结果却是 4" in note.message


def test_an_input_formula_that_agrees_reads_without_a_note(tmp_path: Path) -> None:
    data = patch_cell(FILLED, T3, "D6", "<f>D7+SUM(D8:D9)+$D$10+12</f><v>30</v>")  # 2 + 10 + 5 + 1 + 12
    loaded = read(write(tmp_path, data))
    assert loaded.report == REPORT
    assert loaded.notes == ()


def test_a_formula_that_cannot_be_checked_is_noted_and_its_result_read(tmp_path: Path) -> None:
    data = patch_cell(FILLED, T3, "D6", "<f>ROUND(29.6,0)</f><v>30</v>")
    loaded = read(write(tmp_path, data))
    assert loaded.report == REPORT
    (note,) = loaded.notes
    assert note.where == f"{T3}!D6" and "无法核对（含有 reportkit 不核对的函数 ROUND）" in note.message
    assert "已按文件中保存的结果 30 读取" in note.message


def _with_external_link(data: bytes) -> bytes:
    """The workbook with an externalLink part pointing at other.xlsx, as Excel writes it."""
    workbook = member(data, "xl/workbook.xml").decode()
    ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    workbook = workbook.replace(
        "</sheets>", f'</sheets><externalReferences><externalReference {ns} r:id="rIdX1"/></externalReferences>'
    )
    rels = member(data, "xl/_rels/workbook.xml.rels").decode()
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Type="{kind}/externalLink" Target="externalLinks/externalLink1.xml" Id="rIdX1"/>'
        "</Relationships>",
    )
    link = (
        '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<externalBook {ns} r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook>'
        "</externalLink>"
    )
    link_rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{kind}/externalLinkPath" Target="file:///C:/reports/other.xlsx" '
        'TargetMode="External"/></Relationships>'
    )
    return rezip(
        data,
        {
            "xl/workbook.xml": workbook.encode(),
            "xl/_rels/workbook.xml.rels": rels.encode(),
            "xl/externalLinks/externalLink1.xml": link.encode(),
            "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels.encode(),
        },
    )


@pytest.mark.parametrize(
    ("formula", "named"),
    [("[1]Sheet1!A1", "[1]Sheet1!A1，即 file:///C:/reports/other.xlsx"), ("'[other.xlsx]Sheet'!A1+0", "other.xlsx")],
)
def test_a_formula_referring_to_another_workbook_is_noted(tmp_path: Path, formula: str, named: str) -> None:
    """Regression: a number taken from another workbook was read without saying it may be stale."""
    data = patch_cell(_with_external_link(FILLED), T3, "D6", f"<f>{formula}</f><v>30</v>")
    loaded = read(write(tmp_path, data))
    assert loaded.report == REPORT
    (note,) = loaded.notes
    assert note.where == f"{T3}!D6" and "引用了其他工作簿" in note.message and named in note.message


def test_a_shared_formula_is_checked_in_each_cell(tmp_path: Path) -> None:
    """Excel writes a formula filled across as one shared formula; each cell is checked with its own refs."""
    data = patch_cell(FILLED, T3, "D6", '<f t="shared" ref="D6:E6" si="0">D7+28</f><v>30</v>')
    data = patch_cell(data, T3, "E6", '<f t="shared" si="0"/><v>9</v>')  # E7+28 = 29
    loaded = read(write(tmp_path, data))
    assert loaded.report.applications.new.business == 29
    (note,) = loaded.notes
    assert note.where == f"{T3}!E6" and "公式 =E7+28 按其参数应为 29" in note.message


def test_a_total_formula_that_cannot_be_checked_is_noted(tmp_path: Path) -> None:
    data = patch_cell(FILLED, T4, "E6", "<f>SUM(A6:D6)*1</f><v>351</v>")
    (note,) = read(write(tmp_path, data)).notes
    assert note.where == f"{T4}!E6" and "总计公式 =SUM(A6:D6)*1 无法核对" in note.message


def test_a_formula_whose_result_is_an_error_is_refused(tmp_path: Path) -> None:
    data = patch_cell(FILLED, T3, "D6", "<f>1/0</f><v>#DIV/0!</v>", kind="e")
    problems = refused(tmp_path, data)
    assert "错误值 #DIV/0!" in problems[f"{T3}!D6"]


# ---------------------------------------------------------------------------------------------------
# d. The real cells, after rows were inserted
# ---------------------------------------------------------------------------------------------------

MOVED = (Sheets.INFO, Sheets.PROACTIVE, Sheets.APPLICATIONS, Sheets.REVIEW)


def _moved(field: str, shift: int) -> str:
    cell = FIELDS[field]
    if cell.sheet not in MOVED:
        return cell.where
    col, row = re.match(r"([A-Z]+)(\d+)", cell.coord).groups()  # type: ignore[union-attr]
    return f"{cell.sheet}!{col}{int(row) + shift}"


def test_places_are_the_real_cells_after_rows_inserted(tmp_path: Path) -> None:
    """Regression: Loaded.places gave the blank form's cells, so findings cited cells three rows off."""
    loaded = read(write(tmp_path, rows_inserted_above(FILLED, 3, MOVED)))
    assert loaded.report == REPORT
    assert loaded.places == {field: _moved(field, 3) for field in FIELDS}
    assert loaded.places["applications.new.natural_person"] == f"{T3}!D9"


def test_findings_and_problems_name_the_real_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = REPORT.applications.with_row("new", ApplicantCounts.of([31, 5, 2, 1, 3, 4]))  # column D unbalanced
    path = write(tmp_path, rows_inserted_above(fill_form(evolve(REPORT, applications=odd)), 3, MOVED))
    loaded = read(path)
    (finding,) = [f for f in check(loaded.report) if f.location.field == "applications.*.natural_person"]
    assert loaded.where(finding.location.field) == f"{T3}!D9:D33"
    assert main(["check", str(path)]) == 1
    assert f"{T3}!D9:D33" in capsys.readouterr().out
    wb = openpyxl.load_workbook(path)
    wb[T3]["D13"].value = "三件"  # applications.withheld.state_secret.natural_person, moved from D10
    wb[T2]["B12"].value = None  # 行政许可, moved from B9
    wb.save(path)
    with pytest.raises(FormError) as caught:
        read(path)
    assert {p.where for p in caught.value.problems} == {f"{T3}!D13"}


# ---------------------------------------------------------------------------------------------------
# e. Sheet protection: rows may be inserted, nothing deleted
# ---------------------------------------------------------------------------------------------------


def test_sheet_protection_allows_inserting_and_formatting_rows_only() -> None:
    """Regression: the guide allowed inserting rows while the protection forbade it. In the file, a flag
    says what protection forbids: insertRows="0" allows inserting rows."""
    for sheet in (Sheets.GUIDE, Sheets.INFO, Sheets.TEXTS, T2, T3, T4):
        xml = member(blank_form(), sheet_member(blank_form(), sheet)).decode()
        (protection,) = re.findall(r"<sheetProtection ([^>]*)/>", xml)
        flags = dict(re.findall(r'(\w+)="([^"]*)"', protection))
        assert flags["sheet"] == "1" and "password" not in flags, sheet
        assert (flags["insertRows"], flags["formatRows"], flags["formatColumns"]) == ("0", "0", "0"), sheet
        assert (flags["deleteRows"], flags["deleteColumns"], flags["insertColumns"]) == ("1", "1", "1"), sheet


@pytest.mark.libreoffice
def test_libreoffice_inserts_rows_into_the_protected_form_and_it_reads_back(tmp_path: Path) -> None:
    """LibreOffice, through UNO, inserts rows in the protected sheets (inside table 三, inside a header of
    table 二, above and inside table 四), refuses deleting rows and inserting columns; it moves the names,
    merges and formulas, recalculates and saves; the form reads back identically, naming the moved cells."""
    operations: list[dict[str, object]] = [
        {"op": "insert_rows", "sheet": T3, "row": 11, "count": 2},
        {"op": "insert_rows", "sheet": T3, "row": 2, "count": 1},
        {"op": "insert_rows", "sheet": T2, "row": 8, "count": 1},
        {"op": "insert_rows", "sheet": T4, "row": 6, "count": 3},
        {"op": "delete_rows", "sheet": T4, "row": 2, "count": 1},
        {"op": "insert_columns", "sheet": T4, "column": 2, "count": 1},
    ]
    saved, results = libreoffice_edit(FILLED, operations)
    assert all(result["protected"] for result in results)
    assert [result["outcome"] for result in results[:4]] == ["changed"] * 4
    assert all(str(result["outcome"]).startswith("refused") for result in results[4:]), results
    loaded = read(write(tmp_path, saved))
    assert loaded.report == REPORT
    assert loaded.notes == ()
    assert loaded.places["proactive.licensing"] == f"{T2}!B10"
    assert loaded.places["applications.new.natural_person"] == f"{T3}!D7"
    assert loaded.places["applications.withheld.third_party_rights.natural_person"] == f"{T3}!D16"
    assert loaded.places["applications.total.total"] == f"{T3}!J32"
    assert loaded.places["review_litigation.review.upheld"] == f"{T4}!A9"


@pytest.mark.libreoffice
def test_libreoffice_reads_the_protection_as_written() -> None:
    """How LibreOffice reads the flags: inserting rows allowed, inserting or deleting columns and rows not."""
    flat = convert(blank_form(), ".xlsx", "fods").decode()
    protections = re.findall(r"<loext:table-protection ([^>]*)/>", flat)
    assert len(protections) == 6
    for protection in protections:
        assert 'loext:insert-rows="true"' in protection
        assert "delete-rows" not in protection and "insert-columns" not in protection
        assert "delete-columns" not in protection


# ---------------------------------------------------------------------------------------------------
# f. Bounded cost
# ---------------------------------------------------------------------------------------------------


def test_named_cells_implausibly_far_down_are_refused(tmp_path: Path) -> None:
    data = set_defined_names(FILLED, {"rk.proactive.licensing": f"'{T2}'!$B$20000"})
    with pytest.raises(FormError, match=f"第 {MAX_FORM_ROW} 行以下") as caught:
        read(write(tmp_path, data))
    assert [p.where for p in caught.value.problems] == [f"{T2}!B20000"]


_MEASURE = """
import json, sys, time, tracemalloc
from reportkit.io import read
from reportkit.xlsx_layout import FORM_KIND, field_cells
field_cells(FORM_KIND)  # the layout itself (built once per process) is not what is measured
tracemalloc.start()
started = time.perf_counter()
loaded = read(sys.argv[1])
seconds = time.perf_counter() - started
print(json.dumps({"peak": tracemalloc.get_traced_memory()[1], "seconds": seconds,
                  "notes": [str(n) for n in loaded.notes]}))
"""


@pytest.mark.slow
def test_a_million_junk_rows_and_a_formula_cost_one_bounded_pass(tmp_path: Path) -> None:
    """Regression (issue 9 point 13): a million junk rows below table 三 (about 5 MB of file) took 21 s and
    514 MB, twice that with one formula (loaded twice). Now: one pass that stops after the last named row."""
    data = patch_cell(FILLED, T3, "D6", "<f>2+3</f><v>5</v>")
    data = with_junk_rows(data, T3, 1_000_000)
    path = write(tmp_path, data)
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout)
    assert measured["peak"] < 30 * 1024 * 1024, measured
    assert measured["notes"] == []


# ---------------------------------------------------------------------------------------------------
# LibreOffice's own XML
# ---------------------------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_a_form_saved_by_libreoffice_reads_back_identically(tmp_path: Path) -> None:
    """LibreOffice writes shared strings, formula results, dates as serials and its own styles."""
    saved = convert(FILLED, ".xlsx", "xlsx")
    assert b"<si>" in member(saved, "xl/sharedStrings.xml")
    loaded = read(write(tmp_path, saved))
    assert loaded.report == REPORT
    assert loaded.notes == ()
    assert loaded.places == {field: cell.where for field, cell in FIELDS.items()}


@pytest.mark.libreoffice
def test_booleans_errors_and_dates_saved_by_libreoffice_are_named(tmp_path: Path) -> None:
    """LibreOffice stores TRUE as the formula TRUE() with the result 1, an error as t="e", a date as a serial."""
    wb = openpyxl.load_workbook(io.BytesIO(FILLED))
    wb[T3]["D6"].value = True
    wb[T3]["E6"].value = "=1/0"
    wb[T3]["F6"].value = "=D7+1"  # 3: LibreOffice computes and stores it
    wb[Sheets.INFO]["B8"].value = "=DATE(2022,1,21)"
    out = io.BytesIO()
    wb.save(out)
    saved = convert(out.getvalue(), ".xlsx", "xlsx")
    problems = refused(tmp_path, saved)
    assert set(problems) == {f"{T3}!E6"}
    assert "公式 =1/0 的结果是错误值 #DIV/0!" in problems[f"{T3}!E6"]
    wb[T3]["E6"].value = 5
    out = io.BytesIO()
    wb.save(out)
    loaded = read(write(tmp_path, convert(out.getvalue(), ".xlsx", "xlsx")))
    assert loaded.report.applications.new.natural_person == 1
    assert loaded.report.applications.new.research == 3
    assert str(loaded.report.report.published_on) == "2022-01-21"
    notes = {note.where: note.message for note in loaded.notes}
    assert set(notes) == {f"{T3}!D6", f"{Sheets.INFO}!B8"}  # TRUE() and DATE() are not checked
    assert "=TRUE()" in notes[f"{T3}!D6"] and "已按文件中保存的结果 1 读取" in notes[f"{T3}!D6"]
