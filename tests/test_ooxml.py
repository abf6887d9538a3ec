"""reportkit.ooxml: reading a workbook's cells from its XML, and the formulas found there."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest

from reportkit.errors import FormError
from reportkit.ooxml.xlsx_cells import LABEL_CHARS, VALUE_CHARS, Area, ErrorValue, XlsxPackage
from reportkit.ooxml.xlsx_formulas import (
    NO_RESULT,
    NOT_READ,
    NotVerifiable,
    Verified,
    evaluate,
    external_references,
    tokenize,
    translate,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def package(
    sheet: str,
    *,
    shared: str | None = None,
    styles: str | None = None,
    names: str = "",
    workbook_pr: str = "",
    prefix: str = "",
) -> bytes:
    """A minimal workbook: one sheet "S" (``sheet`` is its sheetData content), shared strings and styles."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns{":" + prefix if prefix else ""}="{MAIN}"'
    parts = {
        "[Content_Types].xml": "<Types/>",
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="r1" Type="{REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<{p}workbook {xmlns} xmlns:r="{REL}">{workbook_pr}<{p}sheets>'
        f'<{p}sheet name="S" sheetId="1" r:id="rId1"/></{p}sheets>'
        f"<{p}definedNames>{names}</{p}definedNames></{p}workbook>",
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{REL}/styles" Target="/xl/styles.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f"<{p}worksheet {xmlns}><{p}sheetData>{sheet}</{p}sheetData></{p}worksheet>",
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{shared}</sst>'
    if styles is not None:
        parts["xl/styles.xml"] = f'<styleSheet xmlns="{MAIN}">{styles}</styleSheet>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def cells(data: bytes, area: Area) -> dict[tuple[int, int], object]:
    with XlsxPackage(data, source="t.xlsx", error=FormError) as book:
        return {place: cell.value for place, cell in book.read({"S": area})["S"].items()}


ALL = Area(max_row=100, columns=frozenset(range(1, 20)))


# ---------------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------------


def test_value_kinds_as_excel_and_libreoffice_write_them() -> None:
    sheet = (
        '<row r="1"><c r="A1"><v>30</v></c><c r="B1"><v>2.5</v></c><c r="C1" t="b"><v>1</v></c>'
        '<c r="D1" t="e"><v>#REF!</v></c><c r="E1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>'
        '<c r="F1" t="d"><v>2022-01-19T00:00:00</v></c><c r="G1" t="s"><v>1</v></c>'
        '<c r="H1" t="inlineStr"><is><r><t>行</t></r><r><rPr/><t xml:space="preserve">一 </t></r>'
        '<rPh><t>xing</t></rPh></is></c><c r="I1" s="3"/></row>'
    )
    shared = "<si><t>zero</t></si><si><r><t>ab</t></r><r><t>c_x000D_</t></r><rPh><t>phonetic</t></rPh></si>"
    assert cells(package(sheet, shared=shared), ALL) == {
        (1, 1): 30,
        (1, 2): 2.5,
        (1, 3): True,
        (1, 4): ErrorValue("#REF!"),
        (1, 5): "ab",
        (1, 6): dt.datetime(2022, 1, 19),
        (1, 7): "abc\r",
        (1, 8): "行一 ",
    }  # I1 (a style only) is not kept


def test_rows_and_cells_without_references_and_prefixed_namespaces() -> None:
    sheet = '<x:row><x:c><x:v>1</x:v></x:c><x:c><x:v>2</x:v></x:c></x:row><x:row r="3"><x:c><x:v>3</x:v></x:c></x:row>'
    assert cells(package(sheet, prefix="x"), ALL) == {(1, 1): 1, (1, 2): 2, (3, 1): 3}


@pytest.mark.parametrize(
    "sheet",
    [
        '<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>',
        '<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>1</v></c></row>',
        '<row r="1"><c r="A2"><v>1</v></c></row>',
        '<row r="1"><c r="A1" t="s"><v>x</v></c></row>',
    ],
)
def test_cells_out_of_order_are_a_damaged_sheet(sheet: str) -> None:
    with pytest.raises(FormError, match=re.escape("无法作为 Excel 工作簿读取（xl/worksheets/sheet1.xml")) as caught:
        cells(package(sheet, shared="<si><t>a</t></si>"), ALL)
    assert caught.value.source == "t.xlsx"


def test_the_stream_stops_past_the_last_row_asked_for() -> None:
    """Rows past ``max_row`` are never parsed: broken XML there does not matter, below it does."""
    sheet = '<row r="1"><c r="A1"><v>1</v></c></row><row r="50"><c r="A50"><v>2</v></c></row><<<not xml'
    assert cells(package(sheet), Area(max_row=10, columns=frozenset({1}))) == {(1, 1): 1}
    with pytest.raises(FormError, match="XML 无法解析"):
        cells(package(sheet), Area(max_row=60, columns=frozenset({1})))


def test_only_the_cells_of_the_area_are_kept() -> None:
    sheet = "".join(
        f'<row r="{r}">' + "".join(f"<c><v>{r * 100 + c}</v></c>" for c in range(1, 9)) + "</row>" for r in range(1, 6)
    )
    area = Area(max_row=4, columns=frozenset({2}), rows=frozenset({3}), max_col=5)
    kept = cells(package(sheet), area)
    assert set(kept) == {(r, 2) for r in range(1, 5)} | {(3, c) for c in range(1, 6)}


def test_shared_strings_are_read_up_to_the_last_needed_and_cut_outside_full_text() -> None:
    long = "长" * (LABEL_CHARS + 50)
    shared = f"<si><t>{long}</t></si><si><t>{long}</t></si><si><t>x</t></si>" + "<si><<<broken"
    sheet = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    with XlsxPackage(package(sheet, shared=shared), source="t.xlsx", error=FormError) as book:
        read = book.read({"S": Area(max_row=1, columns=frozenset({1, 2}), full_text=frozenset({(1, 2)}))})["S"]
    assert read[(1, 1)].value == long[:LABEL_CHARS] and read[(1, 1)].truncated
    assert read[(1, 2)].value == long and not read[(1, 2)].truncated


def test_a_text_longer_than_kept_is_marked_cut() -> None:
    sheet = f'<row r="1"><c r="A1" t="inlineStr"><is><t>{"a" * (VALUE_CHARS + 1)}</t></is></c></row>'
    with XlsxPackage(package(sheet), source="t.xlsx", error=FormError) as book:
        cell = book.read({"S": Area(max_row=1, columns=frozenset({1}), full_text=frozenset({(1, 1)}))})["S"][(1, 1)]
    assert cell.truncated and len(str(cell.value)) == VALUE_CHARS


def test_a_missing_shared_string_is_a_damaged_workbook() -> None:
    sheet = '<row r="1"><c r="A1" t="s"><v>5</v></c></row>'
    with pytest.raises(FormError, match="共享字符串编号 5 不存在"):
        cells(package(sheet, shared="<si><t>a</t></si>"), ALL)


def test_shared_formulas_are_translated_to_each_cell() -> None:
    sheet = (
        '<row r="1"><c r="A1"><f t="shared" ref="A1:B2" si="0">SUM(C1:D1)+$C$1</f><v>1</v></c>'
        '<c r="B1"><f t="shared" si="0"/><v>2</v></c></row>'
        '<row r="2"><c r="B2"><f t="shared" si="0"/><v>3</v></c><c r="C2"><f t="shared" si="9"/><v>4</v></c></row>'
    )
    with XlsxPackage(package(sheet), source="t.xlsx", error=FormError) as book:
        read = book.read({"S": ALL})["S"]
    assert [read[p].formula for p in ((1, 1), (1, 2), (2, 2), (2, 3))] == [
        "SUM(C1:D1)+$C$1",
        "SUM(D1:E1)+$C$1",
        "SUM(D2:E2)+$C$1",
        "",  # a child whose master is missing: a formula whose text is lost
    ]


def test_workbook_names_properties_and_date_styles() -> None:
    names = (
        '<definedName name="rk.a">\'S\'!$B$3</definedName><definedName name="other">S!A1</definedName>'
        '<definedName name="rk.a" localSheetId="0">S!$B$4</definedName>'
    )
    styles = (
        '<numFmts><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
        '<numFmt numFmtId="165" formatCode="[Red]0.00;&quot;d&quot;0"/><numFmt numFmtId="166" formatCode="mm:ss"/>'
        '</numFmts><cellStyleXfs><xf numFmtId="14"/></cellStyleXfs><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/>'
        '<xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="3"/></cellXfs><<<ignored'
    )
    data = package("", styles=styles, names=names, workbook_pr='<workbookPr date1904="1"/>')
    with XlsxPackage(data, source="t.xlsx", error=FormError, keep_name=lambda n: n.startswith("rk.")) as book:
        assert [(n.name, n.text, n.local_sheet) for n in book.names] == [
            ("rk.a", "'S'!$B$3", None),
            ("rk.a", "S!$B$4", 0),
        ]
        assert book.date1904
        assert book.date_styles({0, 1, 2, 3, 4, 5}) == frozenset({1, 2, 4})
        assert book.sheet("s") is not None and book.sheet("T") is None


# ---------------------------------------------------------------------------------------------------
# Formulas
# ---------------------------------------------------------------------------------------------------

GRID = {(1, 1): 2, (2, 1): 3.5, (3, 1): None, (4, 1): "5", (5, 1): "abc", (6, 1): True, (1, 2): NO_RESULT}


def lookup(sheet: str | None, row: int, col: int) -> object:
    if sheet not in (None, "S") or row > 20 or col > 5:
        return NOT_READ
    return GRID.get((row, col))


@pytest.mark.parametrize(
    ("formula", "value"),
    [
        ("2+3", 5),
        ("A1+A2-1", 4.5),
        ("-A1+(10-(A2))", 4.5),
        ("SUM(A1:A6)", 5.5),  # text, blank and TRUE are skipped in a range
        ("SUM(A1,2,A2:A3, 1+1)", 9.5),
        ("A4+A6+A3", 6),  # numeric text and TRUE count in + and −
        ("'S'!A1+S!$A$2", 5.5),
        ("SUM()", 0),
        (" SUM( A1:A2 ) ", 5.5),
    ],
)
def test_the_supported_formulas_are_evaluated(formula: str, value: float) -> None:
    assert evaluate(formula, lookup) == Verified(value)


@pytest.mark.parametrize(
    ("formula", "reason"),
    [
        ("A1*2", "运算“*”"),
        ("ROUND(A1,0)", "函数 ROUND"),
        ("A5+1", "文字“abc”"),
        ("B1+1", "没有计算结果"),
        ("A30", "未读取的单元格 A30"),
        ("T!A1", "未读取"),
        ("SUM(A1:E30000)", "区域过大"),
        ('"a"', "写法"),
        ("1+", "不完整"),
        ('"unterminated', "无法解析"),
        ("[1]Sheet1!A1", "其他工作簿"),
        ("(" * 3000 + "1" + ")" * 3000, ""),
        ("Name1+1", "写法“Name1”"),
    ],
)
def test_other_formulas_are_not_verifiable(formula: str, reason: str) -> None:
    result = evaluate(formula, lookup)
    assert isinstance(result, NotVerifiable) and reason in result.reason, result


@pytest.mark.parametrize(
    ("formula", "found"),
    [
        ("[1]Sheet1!A1+1", ("[1]Sheet1!A1",)),
        ("'[other.xlsx]Sheet'!A1", ("'[other.xlsx]Sheet'!A1",)),
        ("SUM('C:\\data\\[b.xlsx]S'!A1:B2)", ("'C:\\data\\[b.xlsx]S'!A1:B2",)),
        ("[2]!Total*2", ("[2]!Total",)),
        ("SUM(A1:A3)+'三、依申请公开'!D6", ()),
    ],
)
def test_references_to_other_workbooks_are_found(formula: str, found: tuple[str, ...]) -> None:
    assert external_references(formula) == found


def test_translate_and_tokenize() -> None:
    assert translate("SUM(D6:I6)+$A$1+A$2+$B3", 2, 1) == "SUM(E8:J8)+$A$1+B$2+$B5"
    assert translate("'三、依申请公开'!D6+LOG10(A1)", 1, 0) == "'三、依申请公开'!D7+LOG10(A2)"
    assert translate("A1", -1, 0) == "#REF!"
    kinds = [token.kind for token in tokenize('LOG10(A1)&"x"<>#N/A') if token.kind != "space"]
    assert kinds == ["func", "(", "ref", ")", "op", "str", "op", "err"]
