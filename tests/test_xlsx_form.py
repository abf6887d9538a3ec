"""The Excel input form: the blank form, filling it by code, reading it back, messy and hostile input."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from attrs import evolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl.workbook.defined_name import DefinedName

from reportkit import check, load
from reportkit.errors import FormError
from reportkit.formats import gov2021 as fmt
from reportkit.formats.layout import label_path
from reportkit.io import read
from reportkit.model import AnnualReport, ApplicantCounts, CaseOutcomes
from reportkit.render.xlsx import render_xlsx
from reportkit.xlsx_draw import build
from reportkit.xlsx_form import (
    blank_form,
    fill_form,
    form_cell,
    read_form,
    read_form_with_notes,
)
from reportkit.xlsx_layout import (
    FORM_KIND,
    PROP_FORMAT,
    PROP_VERSION,
    FieldKind,
    Sheets,
    field_cells,
)
from strategies import FORMAT_IDS, consistent_reports
from xlsx_support import convert, reports, sample_report

ROOT = Path(__file__).resolve().parents[1]
FIELDS = {cell.field: cell for cell in field_cells(FORM_KIND)}


def write(tmp_path: Path, data: bytes, name: str = "form.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def edit(data: bytes, changes: dict[str, Any]) -> bytes:
    """The form with cells (by field path) set as a person would type them."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for field, value in changes.items():
        cell = FIELDS[field]
        wb[cell.sheet][cell.coord].value = value
        if isinstance(value, str) and not value.startswith("="):
            wb[cell.sheet][cell.coord].data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def report() -> AnnualReport:
    return sample_report()


@pytest.fixture(scope="module")
def filled(report: AnnualReport) -> bytes:
    return fill_form(report)


# ---------------------------------------------------------------------------------------------------
# The blank form
# ---------------------------------------------------------------------------------------------------


def test_blank_form_identity_and_sheets() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(blank_form()))
    assert wb.sheetnames == [
        Sheets.GUIDE,
        Sheets.INFO,
        Sheets.TEXTS,
        Sheets.PROACTIVE,
        Sheets.APPLICATIONS,
        Sheets.REVIEW,
    ]
    props = {p.name: p.value for p in wb.custom_doc_props}
    assert props[PROP_FORMAT] == fmt.FORMAT_ID and props[PROP_VERSION] == "1"
    guide = " ".join(str(c.value) for c in wb[Sheets.GUIDE]["A"] if c.value)
    assert "勾稽关系" in guide and "留空" in guide


def test_every_field_is_named_unlocked_shaded_and_validated() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(blank_form()))
    validations: dict[str, list[Any]] = {}
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        assert not ws.protection.password
        for dv in ws.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                for row in ws[rng.coord] if ":" in rng.coord else ((ws[rng.coord],),):
                    for cell in row:
                        validations.setdefault(f"{ws.title}!{cell.coordinate}", []).append(dv)
    for field in FIELDS.values():
        dest = list(wb.defined_names[field.name].destinations)
        assert dest == [(field.sheet, f"${re.sub(r'[0-9]', '', field.coord)}${re.sub(r'[A-Z]', '', field.coord)}")]
        cell = wb[field.sheet][field.coord]
        if field.total:
            assert cell.protection.locked
            assert isinstance(cell.value, str) and cell.value.startswith("=SUM("), field
        else:
            assert not cell.protection.locked, field
            assert cell.fill.fill_type == "solid"
            assert cell.value is None
        if field.kind is FieldKind.COUNT and not field.total:
            (dv,) = validations[field.where]
            assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
        if field.kind in (FieldKind.WAN_YUAN, FieldKind.YUAN):
            (dv,) = validations[field.where]
            assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
    (kind_dv,) = validations[FIELDS["agency.kind"].where]
    assert kind_dv.type == "list" and kind_dv.formula1 == '"人民政府,部门,乡镇,街道"'
    # a label is locked
    assert wb[Sheets.APPLICATIONS]["A6"].protection.locked


def test_form_has_official_labels_and_balance_highlight() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(blank_form()))
    ws = wb[Sheets.APPLICATIONS]
    assert ws["A3"].value == fmt.APPLICATIONS_TABLE.corner
    assert [ws.cell(row=6 + i, column=1 + 0).value for i in range(2)] == [
        leaf.label for leaf in fmt.APPLICATIONS_TABLE.row_leaves[:2]
    ]
    rules = [(str(rng.sqref), rule.formula) for rng in ws.conditional_formatting for rule in rng.rules]
    assert ("D6:J30", ["D$6+D$7<>D$29+D$30"]) in rules
    texts = wb[Sheets.TEXTS]
    labels = {texts.cell(row=r, column=1).value for r in range(1, 30)}
    for sub in fmt.OVERVIEW_SUBSECTIONS:
        assert sub.heading in labels
    for section in (fmt.OVERVIEW, fmt.PROBLEMS, fmt.OTHER):
        assert section.heading in labels


def test_template_build_is_deterministic() -> None:
    first = build(fmt.FORMAT, FORM_KIND)
    second = build(fmt.FORMAT, FORM_KIND)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as a, zipfile.ZipFile(io.BytesIO(blank_form())) as b:
        for name in a.namelist():
            if name.startswith("xl/worksheets/"):
                assert a.read(name) == b.read(name), name
    assert first == blank_form(), "templates/xlsx is stale: run python tools/build_xlsx_templates.py"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_xlsx_templates.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------------------------------


def test_round_trip_sample(tmp_path: Path, report: AnnualReport, filled: bytes) -> None:
    path = write(tmp_path, filled)
    back, notes = read_form_with_notes(path)
    assert back == report
    assert notes == []
    assert load(path) == report
    assert check(back) == check(report)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reports())
def test_round_trip_generated(tmp_path: Path, generated: AnnualReport) -> None:
    path = write(tmp_path, fill_form(generated), "generated.xlsx")
    assert load(path) == generated


@pytest.mark.parametrize("format_id", FORMAT_IDS)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a counterexample is shown as found (shrinking is slow)
)
@given(data=st.data())
def test_round_trip_generated_per_format(tmp_path: Path, format_id: str, data: st.DataObject) -> None:
    """The tables of any consistent report of either format (signed 本年增/减, 采购总金额 in 元 or 万元, declared
    totals or not) come back from its format's form unchanged (texts: the 2021 round trips above)."""
    from reportkit.cells import input_cells

    generated = data.draw(st.booleans().flatmap(lambda d: consistent_reports(declared_totals=d, format_id=format_id)))
    back = load(write(tmp_path, fill_form(generated), "generated.xlsx"))
    assert back.format == format_id
    assert input_cells(back) == input_cells(generated)
    assert back.proactive == generated.proactive and back.applications == generated.applications
    assert back.review_litigation == generated.review_litigation


def test_blank_form_reads_with_a_note_listing_blank_cells(tmp_path: Path) -> None:
    data = edit(
        blank_form(),
        {
            "agency.name": "某某镇人民政府",
            "agency.kind": "乡镇",
            "report.year": 2021,
            "report.signed_on": "2022年1月10日",
        },
    )
    report, notes = read_form_with_notes(write(tmp_path, data))
    assert report.applications.total.total == 0
    assert report.other.information_fees is None
    assert report.report.published_on is None
    (note,) = notes
    assert "已按 0 读取" in note.message
    assert "三、依申请公开!D6" in note.message and "四、复议诉讼!A6" in note.message
    assert "文字部分" not in note.message  # blank texts are not numbers


def test_rows_inserted_above_still_read(tmp_path: Path, report: AnnualReport, filled: bytes) -> None:
    """Cells are found by name: move every table down (as Excel does on inserting rows) and read again."""
    wb = openpyxl.load_workbook(io.BytesIO(filled))
    shift = 3
    for title in (Sheets.APPLICATIONS, Sheets.REVIEW, Sheets.PROACTIVE, Sheets.INFO):
        ws = wb[title]
        for merged in list(ws.merged_cells.ranges):  # openpyxl does not move merges; Excel does
            ws.unmerge_cells(str(merged))
        ws.insert_rows(1, shift)
    for name, defined in list(wb.defined_names.items()):
        sheet, coord = next(iter(defined.destinations))
        if sheet in (Sheets.APPLICATIONS, Sheets.REVIEW, Sheets.PROACTIVE, Sheets.INFO):
            col, row = re.match(r"\$([A-Z]+)\$(\d+)", coord).groups()  # type: ignore[union-attr]
            wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!${col}${int(row) + shift}")
    out = io.BytesIO()
    wb.save(out)
    assert read_form(write(tmp_path, out.getvalue())) == report


# ---------------------------------------------------------------------------------------------------
# Messy input
# ---------------------------------------------------------------------------------------------------


def test_messy_but_readable_numbers(tmp_path: Path, filled: bytes) -> None:
    data = edit(
        filled,
        {
            "applications.new.natural_person": "３０",  # full-width digits, as text
            "applications.new.business": " 5 ",  # spaces
            "applications.new.research": "2件",  # trailing 件
            "applications.new.public_interest": "1",  # number stored as text
            "applications.new.legal_service": 3.0,  # Excel's float
            "proactive.fees_wan_yuan": "96171.6万元",
            "other.information_fees.collected_yuan": "３００元",
            "report.signed_on": "2022年1月19日",
            "agency.kind": "部门",
        },
    )
    back = read_form(write(tmp_path, data))
    assert back == sample_report()


def test_bad_numbers_are_all_reported_with_their_cells(tmp_path: Path, filled: bytes) -> None:
    bad = {
        "applications.withheld.state_secret.natural_person": "三件",
        "applications.new.business": "1O",
        "review_litigation.review.upheld": "-1",
        "proactive.licensing": 2.5,
        "applications.carried_forward.other": -1,
        "proactive.fees_wan_yuan": "很多",
    }
    data = edit(filled, bad)
    with pytest.raises(FormError) as info:
        read_form(write(tmp_path, data))
    problems = {p.where: p.message for p in info.value.problems}
    assert set(problems) == {FIELDS[f].where for f in bad}
    assert problems["三、依申请公开!D10"].startswith(
        "行“三、本年度办理结果 （三）不予公开 1.属于国家秘密”，列“申请人情况 自然人”"
    )
    assert "“三件”" in problems["三、依申请公开!D10"]
    assert "“1O”" in problems["三、依申请公开!E6"]
    assert "列“行政复议 结果维持”" in problems["四、复议诉讼!A6"] and "“-1”" in problems["四、复议诉讼!A6"]
    assert "2.5" in problems[FIELDS["proactive.licensing"].where]
    assert "行“第二十条第（五）项 行政许可”" in problems[FIELDS["proactive.licensing"].where]
    # the labels come from the format module
    row = " ".join(label_path(fmt.APPLICATIONS_TABLE.rows, "withheld.state_secret"))
    assert row in problems["三、依申请公开!D10"]
    message = str(info.value)
    assert "form.xlsx" in message and "6 处" in message


def test_required_fields(tmp_path: Path, filled: bytes) -> None:
    data = edit(filled, {"agency.name": None, "agency.kind": "公司", "report.year": None, "report.signed_on": "昨天"})
    with pytest.raises(FormError) as info:
        read_form(write(tmp_path, data))
    assert {p.where for p in info.value.problems} == {
        FIELDS[f].where for f in ("agency.name", "agency.kind", "report.year", "report.signed_on")
    }


def test_typed_total_is_a_declared_total(tmp_path: Path, report: AnnualReport, filled: bytes) -> None:
    data = edit(
        filled,
        {
            "applications.new.total": 46,  # computed is 45
            "applications.total.natural_person": 29,  # the （七）总计 row, computed 29
            "review_litigation.review.total": 350,  # computed 351
        },
    )
    back = read_form(write(tmp_path, data))
    assert back.applications.new.declared_total == 46
    assert back.applications.declared_total == ApplicantCounts.of(list(report.applications.total.values()))
    assert back.review_litigation.review == CaseOutcomes(72, 64, 178, 37, declared_total=350)
    codes = {(f.code, f.location.field) for f in check(back)}
    assert ("applications.declared_total", "applications.new.total") in codes
    assert ("review_litigation.declared_total", "review_litigation.review.total") in codes
    assert form_cell("applications.new.total") == "三、依申请公开!J6"


def test_formula_typed_into_an_input_cell(tmp_path: Path, filled: bytes) -> None:
    data = edit(filled, {"applications.new.natural_person": "=10+20"})
    with pytest.raises(FormError) as info:
        read_form(write(tmp_path, data))
    (problem,) = info.value.problems
    assert problem.where == "三、依申请公开!D6" and "公式" in problem.message


def test_form_cell() -> None:
    assert form_cell("applications.withheld.state_secret.natural_person") == "三、依申请公开!D10"
    assert form_cell("review_litigation.review.upheld") == "四、复议诉讼!A6"
    assert form_cell("proactive.regulations.issued") == f"{Sheets.PROACTIVE}!B5"
    assert form_cell("report.signed_on") == f"{Sheets.INFO}!B7"
    assert form_cell("applications.*.natural_person") == "三、依申请公开!D6:D30"
    assert form_cell("other.information_fees") == FIELDS["other.information_fees.notices"].where + ":B19"
    assert form_cell("overview.accountability") == FIELDS["overview.accountability"].where
    assert form_cell("no.such.field") is None


# ---------------------------------------------------------------------------------------------------
# Not a form, another version, hostile files
# ---------------------------------------------------------------------------------------------------


def test_other_workbooks_refused(tmp_path: Path, report: AnnualReport) -> None:
    plain = io.BytesIO()
    openpyxl.Workbook().save(plain)
    with pytest.raises(FormError, match="不是 reportkit 的填报表"):
        read_form(write(tmp_path, plain.getvalue(), "plain.xlsx"))
    with pytest.raises(FormError, match="不是填报表"):
        read_form(write(tmp_path, render_xlsx(report), "tables.xlsx"))


def test_other_version_refused(tmp_path: Path, filled: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(filled))
    for prop in wb.custom_doc_props:
        if prop.name == PROP_VERSION:
            prop.value = "2"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(FormError, match="版本为 2"):
        read_form(write(tmp_path, out.getvalue()))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "不是有效的 Excel"),
        (b"PK\x03\x04 broken", "不是有效的 Excel"),
        ("姓名,件数\n".encode(), "不是有效的 Excel"),
    ],
)
def test_corrupt_files_refused(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(FormError, match=message) as info:
        read_form(write(tmp_path, content))
    assert "form.xlsx" in str(info.value)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(FormError, match="不是 Excel 工作簿"):
        read_form(write(tmp_path, out.getvalue()))


def test_workbook_with_broken_xml(tmp_path: Path, filled: bytes) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(filled)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "xl/workbook.xml":
                content = content[: len(content) // 2]
            dst.writestr(info, content)
    with pytest.raises(FormError, match="无法作为 Excel 工作簿读取"):
        read_form(write(tmp_path, out.getvalue()))


def test_entity_expansion_refused(tmp_path: Path, filled: bytes) -> None:
    doctype = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(filled)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "xl/worksheets/sheet5.xml":
                content = doctype + content.replace(b"<t>", b"<t>&lol2;", 1)
            dst.writestr(info, content)
    with pytest.raises(FormError, match="DOCTYPE"):
        read_form(write(tmp_path, out.getvalue()))


def test_size_limits(tmp_path: Path, filled: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    import reportkit.xlsx_form as form

    path = write(tmp_path, filled)
    monkeypatch.setattr(form, "MAX_FORM_BYTES", 1000)
    with pytest.raises(FormError, match="文件过大"):
        read_form(path)
    monkeypatch.undo()
    monkeypatch.setattr(form, "MAX_EXPANDED_BYTES", 10_000)
    with pytest.raises(FormError, match="解压后"):
        read_form(path)
    monkeypatch.undo()
    monkeypatch.setattr(form, "MAX_MEMBERS", 5)
    with pytest.raises(FormError, match="过多"):
        read_form(path)


def test_zip_bomb_refused(tmp_path: Path) -> None:
    """A member that expands to more than the limit is refused from the central directory alone."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(110):
                member.write(chunk)
    with pytest.raises(FormError, match="解压后"):
        read_form(write(tmp_path, out.getvalue()))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(FormError, match="不存在"):
        read_form(tmp_path / "nope.xlsx")
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    with pytest.raises(FormError, match="文件夹"):
        read_form(folder)


def test_xlsm_read_without_macros(tmp_path: Path, report: AnnualReport, filled: bytes) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(filled)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really a macro")
    path = write(tmp_path, out.getvalue(), "form.xlsm")
    assert load(path) == report


def test_declared_fee_blanks(tmp_path: Path, filled: bytes) -> None:
    data = edit(filled, {"other.information_fees.notified_yuan": None, "other.information_fees.collected_yuan": None})
    back, notes = read_form_with_notes(write(tmp_path, data))
    assert back.other.information_fees is not None
    assert back.other.information_fees.notices == 3
    assert back.other.information_fees.collected_yuan == Decimal(0)
    notified, collected = (
        FIELDS["other.information_fees.notified_yuan"],
        FIELDS["other.information_fees.collected_yuan"],
    )
    assert len(notes) == 1 and f"{notified.where}:{collected.coord}" in notes[0].message


# ---------------------------------------------------------------------------------------------------
# LibreOffice
# ---------------------------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_libreoffice_recalculates_form_totals(tmp_path: Path) -> None:
    """LibreOffice computes the form's live totals; they equal the library's totals; the result still reads."""
    report = sample_report()
    odd = report.applications.with_row("withheld.query_matters", ApplicantCounts.of([1, 2, 3, 4, 5, 6]))
    report = evolve(report, applications=odd)  # unbalanced on purpose: totals must still agree
    recalculated = convert(fill_form(report), ".xlsx", "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(recalculated), data_only=True)
    table = fmt.APPLICATIONS_TABLE
    checked = 0
    for field in FIELDS.values():
        if not field.total:
            continue
        value = wb[field.sheet][field.coord].value
        head, _, rest = field.field.partition(".")
        if head == "applications":
            row, _, column = rest.rpartition(".")
            expected = report.applications.cell(row, column)
        else:
            expected = report.review_litigation.cell(rest)
        assert value == expected, (field.where, value, expected)
        checked += 1
    assert checked == len(table.row_leaves) + len(table.column_leaves) - 1 + 3
    path = write(tmp_path, recalculated, "libreoffice.xlsx")
    assert read_form(path) == report


def test_amounts_in_the_other_unit_are_converted_with_a_note_naming_the_cell(tmp_path: Path, filled: bytes) -> None:
    # Issue 9.1: "5000元" in the 万元 cell is 0.5 万元, "0.03万元" in a 元 cell is 300 元; both said, with the cell.
    data = edit(filled, {"proactive.fees_wan_yuan": "961716000元", "other.information_fees.collected_yuan": "0.02万元"})
    loaded = read(write(tmp_path, data))
    assert loaded.report.proactive.fees_wan_yuan == Decimal("96171.6")
    assert loaded.report.other.information_fees is not None
    assert loaded.report.other.information_fees.collected_yuan == Decimal("200")
    notes = [str(note) for note in loaded.notes]
    fee_cell = FIELDS["proactive.fees_wan_yuan"].where
    assert any(note.startswith(fee_cell) and "万元" in note for note in notes), notes
    assert any("200" in note and FIELDS["other.information_fees.collected_yuan"].where in note for note in notes)


def test_a_control_character_in_the_agency_name_is_refused_naming_its_cell(tmp_path: Path, filled: bytes) -> None:
    data = edit(filled, {"agency.name": "某县_x0007_财政局"})  # how Excel stores a control character
    with pytest.raises(FormError) as info:
        read_form(write(tmp_path, data))
    (problem,) = info.value.problems
    assert problem.where == FIELDS["agency.name"].where
    assert "控制字符" in problem.message


def test_blank_cells_are_listed_as_ranges(tmp_path: Path) -> None:
    """issue 12.4: the note names the rectangles the blank cells fill, each sheet once, and covers exactly
    the blank number cells (it listed some 200 cells one by one)."""
    from reportkit.ooxml.xlsx_cells import split_cell

    data = edit(
        blank_form(),
        {
            "agency.name": "某某镇人民政府",
            "agency.kind": "乡镇",
            "report.year": 2021,
            "report.signed_on": "2022年1月10日",
            "applications.new.business": 2,
        },
    )
    _, notes = read_form_with_notes(write(tmp_path, data))
    (note,) = notes
    assert len(note.message) < 400
    listed = note.message.partition("读取：")[2]
    covered: set[tuple[str, int, int]] = set()
    for part in listed.split("；"):
        sheet, _, ranges = part.partition("!")
        for shown in ranges.split("、"):
            first, _, last = shown.partition(":")
            top, left = split_cell(first)  # type: ignore[misc]
            bottom, right = split_cell(last or first)  # type: ignore[misc]
            cells = {(sheet, r, c) for r in range(top, bottom + 1) for c in range(left, right + 1)}
            assert not cells & covered
            covered |= cells
    blank = {
        (cell.sheet, cell.row, cell.col)
        for cell in FIELDS.values()
        if cell.kind in (FieldKind.COUNT, FieldKind.WAN_YUAN, FieldKind.YUAN, FieldKind.SIGNED_COUNT)
        and not cell.total
        and cell.field != "applications.new.business"
        and not cell.field.startswith("other.information_fees.")
    }
    assert covered == blank
    apps = [c for c in FIELDS.values() if c.sheet == Sheets.APPLICATIONS and not c.total]
    assert f"{Sheets.APPLICATIONS}!{apps[0].coord}、" in listed  # 一、本年新收 自然人, then the cell after 商业企业


def test_blank_ranges() -> None:
    from reportkit.xlsx_form import blank_ranges

    cells = ["S!D6", "S!E6", "S!D7", "S!E7", "S!D9", "S!A1", "T!B2", "T!C2", "T!D3", "S!E9", "S!D8", "S!E8", "S!D11"]
    assert blank_ranges(cells) == "S!A1、D6:E9、D11；T!B2:C2、D3"
    assert blank_ranges(["S!B2", "S!B3", "S!C3"]) == "S!B2、B3:C3"  # rectangles of whole row runs
    assert blank_ranges([]) == ""


# ---------------------------------------------------------------------------------------------------
# Both formats: the same round trip (issue 10.3)
# ---------------------------------------------------------------------------------------------------

EXAMPLES = {
    "gov-info-annual-report/2021": lambda: sample_report(),
    "gov-info-annual-report/2019": lambda: load(ROOT / "examples" / "trial-format-2020.toml"),
}


@pytest.mark.parametrize("format_id", sorted(EXAMPLES))
def test_round_trip_per_format(tmp_path: Path, format_id: str) -> None:
    """A report of each format, filled into that format's form and read back, is the same report; the
    names are verified against that format's layout (a form of the other format's names would be refused)."""
    report = EXAMPLES[format_id]()
    assert report.format == format_id
    data = fill_form(report)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert f">{format_id}</vt:lpwstr>" in package.read("docProps/custom.xml").decode()
    back, notes = read_form_with_notes(write(tmp_path, data))
    assert back == report
    assert back.layout is report.layout
    assert not [note for note in notes if "留空" not in note.message]


def test_a_2019_form_reads_signed_changes_and_the_procurement_unit(tmp_path: Path) -> None:
    from reportkit.formats import get_format
    from reportkit.values import Unit

    layout = get_format("gov-info-annual-report/2019")
    report = EXAMPLES[layout.id]()
    cells = {cell.field: cell for cell in field_cells(FORM_KIND, layout)}
    wb = openpyxl.load_workbook(io.BytesIO(fill_form(report)))
    change, amount, unit = (
        cells["proactive.penalty.items_change"],
        cells["proactive.procurement.amount"],
        cells["proactive.procurement.amount_unit"],
    )
    wb[change.sheet][change.coord].value = "-3"
    wb[amount.sheet][amount.coord].value = 123.45
    wb[unit.sheet][unit.coord].value = "万元"
    path = tmp_path / "f.xlsx"
    wb.save(path)
    back = read_form(path)
    assert back.proactive.value("penalty.items_change") == -3
    assert back.proactive.value("procurement.amount") == Decimal("123.45")
    assert back.proactive.unit("procurement.amount") is Unit.WAN_YUAN
    wb[unit.sheet][unit.coord].value = "美元"
    wb[change.sheet][change.coord].value = "减3"
    wb.save(path)
    with pytest.raises(FormError) as caught:
        read_form(path)
    places = {problem.where for problem in caught.value.problems}
    assert {change.where, unit.where} <= places


def test_a_2019_form_is_not_read_with_the_2021_names(tmp_path: Path) -> None:
    """The form names its format; its names are verified against that format's layout: a 2019 form relabelled
    as 2021 is refused (its cells would be read under the wrong labels)."""
    from reportkit.formats import get_format

    data = blank_form(get_format("gov-info-annual-report/2019"))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for prop in wb.custom_doc_props:
        if prop.name == PROP_FORMAT:
            prop.value = "gov-info-annual-report/2021"
    path = tmp_path / "f.xlsx"
    wb.save(path)
    with pytest.raises(FormError, match="名称"):
        read_form(path)
