"""Fuzzing filled Excel forms: whatever a workbook holds, reportkit answers with a report or its own error.

Each example starts from the form filled with a valid report (``fill_form``) and mutates it: wrong types in
input cells (openpyxl), the workbook's structure (sheets, defined names, custom properties) or the zip
archive itself (truncated, bytes flipped inside the compressed streams, members deleted or replaced).
The property: ``reportkit.load`` returns a report, or raises a :class:`ReportkitError` whose message names
the file and, for a cell, its ``Sheet!Cell``; never any other exception.

The default run is small so the suite stays fast; set REPORTKIT_FUZZ_EXAMPLES (e.g. 2000) for a long run.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

import reportkit
from reportkit.errors import FormError, ReportkitError
from reportkit.io import read
from reportkit.values import parse_amount, parse_count
from reportkit.xlsx_form import _form_values, fill_form
from reportkit.xlsx_layout import FORM_KIND, FieldKind, field_cells
from xlsx_support import patch_cell, rows_inserted_above, sample_report, set_defined_names

EXAMPLES = int(os.environ.get("REPORTKIT_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

REPORT = sample_report()
FILLED = fill_form(REPORT)
FIELDS = field_cells(FORM_KIND)
with zipfile.ZipFile(io.BytesIO(FILLED)) as _archive:
    MEMBERS: tuple[str, ...] = tuple(_archive.namelist())
    OFFSETS: tuple[tuple[int, int], ...] = tuple(
        (info.header_offset, info.compress_size) for info in _archive.infolist()
    )

#: A cell reference in a problem: 三、依申请公开!D10 (the sheet may be quoted).
CELL_PLACE = re.compile(r"^'?[^!]+'?!\$?[A-Z]{1,3}\$?\d+(:\$?[A-Z]{1,3}\$?\d+)?$")


def _open(data: bytes) -> Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_workbook(io.BytesIO(data))


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb.save(buffer)
    return buffer.getvalue()


def _answers(data: bytes, folder: Path, *, cells_only: bool = False) -> None:
    """The property: a report, or a ReportkitError naming the file (and the cell); nothing else."""
    source = folder / "填报表.xlsx"
    source.write_bytes(data)
    try:
        report = reportkit.load(source)
    except ReportkitError as exc:
        text = str(exc)
        assert str(source) in text and exc.summary, text
        assert "Traceback" not in text
        for problem in exc.problems:
            assert problem.where and problem.message, text
            if cells_only:
                assert CELL_PLACE.match(problem.where), problem
        return
    assert isinstance(report, reportkit.AnnualReport)
    reportkit.check(report)  # rules never raise on a loaded report


# ---------------------------------------------------------------------------------------------------
# Wrong types in input cells
# ---------------------------------------------------------------------------------------------------

ERRORS = ("#REF!", "#VALUE!", "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!")
#: Text a workbook can hold (XML 1.0 characters; openpyxl refuses the others when saving).
XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff", min_codepoint=0x20)
    | st.sampled_from("\n\t"),
    max_size=12,
)
CELL_VALUES: st.SearchStrategy[Any] = st.one_of(
    XML_TEXT,
    st.sampled_from(["三", "1O", "-1", "2.5", "１２", " 7 件", "1,234", "1e3", "0x10", "NaN", "=", "'1", "∞"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([10**9, 10**9 + 1, -1, 0, 2**63, 2**64, 10**15]),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.times(),
    st.sampled_from(["=1/0", "=SUM(A1:A3)", "=A1", "=#REF!", "=NOW()", '="x"', "=1+", '=INDIRECT("A1")']),
    st.sampled_from(ERRORS).map(lambda e: ("error", e)),
    st.none(),
)


def _set(wb: Workbook, sheet: str, coord: str, value: Any) -> None:
    cell = wb[sheet][coord]
    if isinstance(value, tuple):  # an error value, as Excel stores it
        cell.value = value[1]
        cell.data_type = "e"
    else:
        cell.value = value


@FUZZ
@given(
    changes=st.lists(st.tuples(st.sampled_from(FIELDS), CELL_VALUES), min_size=1, max_size=6),
)
def test_wrong_types_in_cells(changes: list[tuple[Any, Any]], tmp_path_factory: Any) -> None:
    wb = _open(FILLED)
    for field, value in changes:
        _set(wb, field.sheet, field.coord, value)
    _answers(_save(wb), tmp_path_factory.mktemp("form"), cells_only=True)


@pytest.mark.parametrize("value", ["三", -1, 2.5, 10**9 + 1, True, dt.date(2022, 1, 1), "=1/0", ("error", "#REF!")])
def test_a_wrong_count_is_named_by_its_cell(value: Any, tmp_path: Path) -> None:
    field = next(f for f in FIELDS if f.field == "applications.new.natural_person")
    wb = _open(FILLED)
    _set(wb, field.sheet, field.coord, value)
    source = tmp_path / "填报表.xlsx"
    source.write_bytes(_save(wb))
    with pytest.raises(FormError) as caught:
        reportkit.load(source)
    assert str(source) in str(caught.value)
    assert f"{field.sheet}!{field.coord}" in [p.where for p in caught.value.problems]


# ---------------------------------------------------------------------------------------------------
# The workbook's structure: sheets, defined names, custom properties
# ---------------------------------------------------------------------------------------------------

SHEETS = tuple(_open(FILLED).sheetnames)
NAMES = tuple(field.name for field in FIELDS)
TARGETS = st.sampled_from(
    [
        "#REF!",
        "'基本信息'!#REF!",
        "'填表说明'!$A$1",
        "'不存在'!$B$3",
        "'基本信息'!$B$3:$C$9",
        "$B$3",
        "1+1",
        "'四、复议诉讼'!$A:$A",
        "'基本信息'!$B$3,'基本信息'!$B$4",
        '"text"',
        "",
        "'基本信息'!$XFD$1048576",
    ]
)
STRUCTURE = st.one_of(
    st.tuples(st.just("delete_sheet"), st.sampled_from(SHEETS)),
    st.tuples(st.just("rename_sheet"), st.sampled_from(SHEETS)),
    st.tuples(st.just("delete_name"), st.sampled_from(NAMES)),
    st.tuples(st.just("rename_name"), st.sampled_from(NAMES)),
    st.tuples(st.just("retarget_name"), st.sampled_from(NAMES), TARGETS),
    st.tuples(st.just("sheet_scoped_name"), st.sampled_from(NAMES)),
    st.tuples(st.just("clear_properties")),
    st.tuples(
        st.just("property"),
        st.sampled_from(["reportkit.format", "reportkit.template_version", "reportkit.kind"]),
        XML_TEXT,
    ),
    st.tuples(
        st.just("delete_property"),
        st.sampled_from(["reportkit.format", "reportkit.template_version", "reportkit.kind"]),
    ),
)


def _restructure(wb: Workbook, change: tuple[Any, ...]) -> None:
    action = change[0]
    if action == "delete_sheet" and change[1] in wb.sheetnames and len(wb.sheetnames) > 1:
        del wb[change[1]]
    elif action == "rename_sheet" and change[1] in wb.sheetnames:
        wb[change[1]].title = change[1] + "（改）"
    elif action.endswith("_name") and change[1] in wb.defined_names:
        defined = wb.defined_names[change[1]]
        del wb.defined_names[change[1]]
        if action == "rename_name":
            wb.defined_names[change[1] + "_x"] = DefinedName(change[1] + "_x", attr_text=defined.attr_text)
        elif action == "retarget_name":
            wb.defined_names[change[1]] = DefinedName(change[1], attr_text=change[2])
        elif action == "sheet_scoped_name":
            wb.worksheets[0].defined_names[change[1]] = DefinedName(change[1], attr_text=defined.attr_text)
    elif action == "clear_properties":
        for prop in list(wb.custom_doc_props):
            wb.custom_doc_props.__delitem__(prop.name)  # type: ignore[no-untyped-call]
    elif action == "property":
        for prop in wb.custom_doc_props:
            if prop.name == change[1]:
                prop.value = change[2]
    elif action == "delete_property" and change[1] in wb.custom_doc_props.names:
        wb.custom_doc_props.__delitem__(change[1])  # type: ignore[no-untyped-call]


@FUZZ
@given(changes=st.lists(STRUCTURE, min_size=1, max_size=4))
def test_broken_structure(changes: list[tuple[Any, ...]], tmp_path_factory: Any) -> None:
    wb = _open(FILLED)
    for change in changes:
        _restructure(wb, change)
    _answers(_save(wb), tmp_path_factory.mktemp("form"))


@pytest.mark.parametrize(
    "change",
    [
        ("delete_sheet", "三、依申请公开"),
        ("rename_sheet", "基本信息"),
        ("delete_name", "rk.agency.name"),
        ("retarget_name", "rk.report.year", "#REF!"),
        ("retarget_name", "rk.report.year", "'基本信息'!$B$3:$C$9"),
        ("retarget_name", "rk.report.year", "'不存在'!$B$3"),
        ("clear_properties",),
    ],
)
def test_each_broken_structure_is_a_clear_error(change: tuple[Any, ...], tmp_path: Path) -> None:
    wb = _open(FILLED)
    _restructure(wb, change)
    source = tmp_path / "填报表.xlsx"
    source.write_bytes(_save(wb))
    with pytest.raises(FormError) as caught:
        reportkit.load(source)
    assert str(source) in str(caught.value)


# ---------------------------------------------------------------------------------------------------
# The archive: truncated, flipped bytes, members deleted or replaced
# ---------------------------------------------------------------------------------------------------


def _rezip(data: bytes, drop: set[str] = frozenset(), replace: dict[str, bytes] | None = None) -> bytes:  # type: ignore[assignment]
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename in drop:
                continue
            content = (replace or {}).get(info.filename, source.read(info))
            out.writestr(info, content)
    return buffer.getvalue()


@FUZZ
@given(length=st.integers(0, len(FILLED) - 1))
def test_truncated(length: int, tmp_path_factory: Any) -> None:
    _answers(FILLED[:length], tmp_path_factory.mktemp("form"))


@FUZZ
@given(
    member=st.integers(0, len(OFFSETS) - 1),
    flips=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(1, 255)), min_size=1, max_size=4),
)
def test_bytes_flipped_inside_a_compressed_member(
    member: int, flips: list[tuple[int, int]], tmp_path_factory: Any
) -> None:
    offset, size = OFFSETS[member]
    data = bytearray(FILLED)
    for position, mask in flips:
        # past the 30-byte local header and the name: inside the deflate stream
        start = offset + 30 + len(MEMBERS[member].encode("utf-8"))
        data[start + position % max(size, 1)] ^= mask
    _answers(bytes(data), tmp_path_factory.mktemp("form"))


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(FILLED) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_bytes_changed_anywhere(edits: list[tuple[int, int]], tmp_path_factory: Any) -> None:
    data = bytearray(FILLED)
    for position, value in edits:
        data[position] = value
    _answers(bytes(data), tmp_path_factory.mktemp("form"))


PART_GARBAGE = st.one_of(
    st.binary(max_size=40),
    st.sampled_from(
        [b"", b"<", b"<x/>", b"<?xml version='1.0'?>", b"\xef\xbb\xbf<a>", b"<a><b></a>", "<工作簿/>".encode("utf-16")]
    ),
)


@FUZZ
@given(
    dropped=st.sets(st.sampled_from(MEMBERS), max_size=3),
    replaced=st.dictionaries(st.sampled_from(MEMBERS), PART_GARBAGE, max_size=2),
)
def test_members_deleted_or_replaced(dropped: set[str], replaced: dict[str, bytes], tmp_path_factory: Any) -> None:
    _answers(_rezip(FILLED, dropped, replaced), tmp_path_factory.mktemp("form"))


@pytest.mark.parametrize("member", MEMBERS)
def test_each_member_deleted(member: str, tmp_path: Path) -> None:
    _answers(_rezip(FILLED, {member}), tmp_path)


def test_corrupt_deflate_stream_is_a_form_error(tmp_path: Path) -> None:
    """Regression: a damaged deflate stream raised zlib.error out of the archive inspection."""
    index = MEMBERS.index("xl/worksheets/sheet5.xml")
    offset, size = OFFSETS[index]
    data = bytearray(FILLED)
    start = offset + 30 + len(MEMBERS[index])
    for position in range(start + 10, start + size - 10, 37):
        data[position] ^= 0x5A
    source = tmp_path / "填报表.xlsx"
    source.write_bytes(bytes(data))
    with pytest.raises(FormError, match="损坏") as caught:
        reportkit.load(source)
    assert str(source) in str(caught.value)


# ---------------------------------------------------------------------------------------------------
# The checks of issue 9: a name pointed at another cell, a merge undone, a stale stored result, rows inserted
# ---------------------------------------------------------------------------------------------------


def _absolute(field: Any) -> str:
    return f"'{field.sheet}'!$" + re.sub(r"(\d+)", r"$\1", field.coord)


@FUZZ
@given(pair=st.tuples(st.sampled_from(FIELDS), st.sampled_from(FIELDS)).filter(lambda pair: pair[0] != pair[1]))
def test_a_name_pointed_at_another_fields_cell_never_reads(pair: tuple[Any, Any], tmp_path_factory: Any) -> None:
    """Whatever name points at whatever other named cell, the form is refused, naming the cell and the name."""
    moved, target = pair
    source = tmp_path_factory.mktemp("form") / "填报表.xlsx"
    source.write_bytes(set_defined_names(FILLED, {moved.name: _absolute(target)}))
    with pytest.raises(FormError) as caught:
        read(source)
    messages = [problem.message for problem in caught.value.problems if problem.where == target.where]
    assert any(moved.name in message for message in messages), messages
    assert any("指向同一个单元格" in message for message in messages), messages


SPANNED = tuple(field for field in FIELDS if field.span > 1)
SPAN_VALUES = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["2", " ", "三", 2.0]))


@FUZZ
@given(field=st.sampled_from(SPANNED), values=st.lists(SPAN_VALUES, min_size=3, max_size=3))
def test_values_typed_into_an_undone_merge(field: Any, values: list[Any], tmp_path_factory: Any) -> None:
    """One distinct value in the span is read (from whichever cell holds it); several are refused."""
    wb = _open(FILLED)
    ws = wb[field.sheet]
    row, first = field.row, field.col
    ws.unmerge_cells(f"{field.coord}:{get_column_letter(first + field.span - 1)}{row}")
    for offset, value in enumerate(values):
        ws.cell(row=row, column=first + offset).value = value
    source = tmp_path_factory.mktemp("form") / "填报表.xlsx"
    source.write_bytes(_save(wb))
    filled = [value for value in values if value is not None and not (isinstance(value, str) and not value.strip())]

    def key(value: Any) -> tuple[str, object]:
        return ("number", float(value)) if isinstance(value, int | float) else ("text", value)

    distinct = {key(value) for value in filled}
    parse = parse_amount if field.kind is FieldKind.WAN_YUAN else parse_count
    try:
        loaded = read(source)
    except FormError as exc:
        wheres = {problem.where for problem in exc.problems}
        span = f"{field.where}:{get_column_letter(first + field.span - 1)}{row}"
        assert span in wheres if len(distinct) > 1 else "三" in filled, (wheres, values)
        return
    assert len(distinct) <= 1
    assert _form_values(loaded.report)[field.field] == (parse(filled[0]) if filled else 0)
    holder = next((offset for offset, value in enumerate(values) if value in filled), 0)
    assert loaded.places[field.field] == f"{field.sheet}!{get_column_letter(first + holder)}{row}"
    assert bool(loaded.notes and any(note.where == loaded.places[field.field] for note in loaded.notes)) == (
        holder != 0
    )


COUNTS = tuple(field for field in FIELDS if field.kind is FieldKind.COUNT and not field.total)


@FUZZ
@given(
    field=st.sampled_from(COUNTS),
    a=st.integers(0, 10**6),
    b=st.integers(0, 10**6),
    stored=st.one_of(st.integers(0, 3 * 10**6), st.none()),
)
def test_a_formula_is_read_from_its_arguments(
    field: Any, a: int, b: int, stored: int | None, tmp_path_factory: Any
) -> None:
    """=a+b with any stored result reads a+b; a note names the cell exactly when the stored result differs."""
    inner = f"<f>{a}+{b}</f>" + ("" if stored is None else f"<v>{stored}</v>")
    source = tmp_path_factory.mktemp("form") / "填报表.xlsx"
    source.write_bytes(patch_cell(FILLED, field.sheet, field.coord, inner))
    if stored is None:
        with pytest.raises(FormError) as caught:
            read(source)
        assert [problem.where for problem in caught.value.problems] == [field.where]
        return
    loaded = read(source)
    assert _form_values(loaded.report)[field.field] == a + b
    assert [note.where for note in loaded.notes] == ([] if stored == a + b else [field.where])


MOVABLE = ("基本信息", "二、主动公开", "三、依申请公开", "四、复议诉讼")


@FUZZ
@given(shift=st.integers(1, 6), sheets=st.sets(st.sampled_from(MOVABLE), min_size=1))
def test_rows_inserted_above_move_the_places_only(shift: int, sheets: set[str], tmp_path_factory: Any) -> None:
    source = tmp_path_factory.mktemp("form") / "填报表.xlsx"
    source.write_bytes(rows_inserted_above(FILLED, shift, tuple(sorted(sheets))))
    loaded = read(source)
    assert loaded.report == REPORT
    for field in FIELDS:
        row = field.row + (shift if field.sheet in sheets else 0)
        assert loaded.places[field.field] == f"{field.sheet}!{get_column_letter(field.col)}{row}"
