"""The Excel layouts as data (issue 10.5): the catalogue is computed from the format value without building a
workbook, it agrees with the workbooks the builders draw, and the builders rebuild the shipped templates."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import warnings
from pathlib import Path

import openpyxl
import pytest

import reportkit
from reportkit import xlsx_layout
from reportkit.formats import all_formats
from reportkit.formats.spec import ReportFormat
from reportkit.xlsx_layout import (
    FORM_KIND,
    TABLES_KIND,
    FieldCell,
    column_texts_at,
    field_cells,
    form_template_name,
    label_text,
    row_texts_at,
    tables_template_name,
)

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(reportkit.__file__).parent
FORMATS = pytest.mark.parametrize("layout", all_formats(), ids=lambda f: f.id)
KINDS = pytest.mark.parametrize("kind", [FORM_KIND, TABLES_KIND])


def _template(layout: ReportFormat, kind: str) -> Path:
    name = form_template_name(layout) if kind == FORM_KIND else tables_template_name(layout)
    return ROOT / "templates" / "xlsx" / name


def test_builders_rebuild_the_shipped_templates_byte_for_byte(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_xlsx_templates.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    built = sorted(path.name for path in tmp_path.iterdir())
    expected = sorted(_template(layout, kind).name for layout in all_formats() for kind in (FORM_KIND, TABLES_KIND))
    assert built == expected
    for name in built:
        assert (tmp_path / name).read_bytes() == (ROOT / "templates" / "xlsx" / name).read_bytes(), (
            f"{name} differs: run python tools/build_xlsx_templates.py"
        )


@pytest.mark.parametrize("option", ["--help", "--chek"])
def test_the_builder_writes_nothing_on_help_or_a_mistyped_option(tmp_path: Path, option: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_xlsx_templates.py"), option, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == (0 if option == "--help" else 2), result.stdout + result.stderr
    assert "--check" in result.stdout + result.stderr and not (tmp_path / "out").exists()


def test_the_catalogue_builds_no_workbook(monkeypatch: pytest.MonkeyPatch) -> None:
    """The field catalogue is arithmetic on the format's label trees: with openpyxl's Workbook unusable and
    the caches cleared, it is still computed; the module does not import openpyxl at all."""
    tree = ast.parse((SRC / "xlsx_layout.py").read_text(encoding="utf-8"))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {name for name in imported if name and name.split(".")[0] == "openpyxl"}

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a workbook was built to learn where a cell is")

    monkeypatch.setattr(openpyxl, "Workbook", refuse)
    monkeypatch.setattr(openpyxl.workbook.workbook.Workbook, "__init__", refuse)
    xlsx_layout._workbook_layout.cache_clear()
    xlsx_layout._field_cells.cache_clear()
    for layout in all_formats():
        assert field_cells(FORM_KIND, layout)
        assert field_cells(TABLES_KIND, layout)
    xlsx_layout._workbook_layout.cache_clear()
    xlsx_layout._field_cells.cache_clear()


def test_no_module_of_the_excel_side_imports_a_format_module() -> None:
    for path in (
        SRC / "xlsx_layout.py",
        SRC / "xlsx_draw.py",
        SRC / "xlsx_form.py",
        SRC / "field_labels.py",
        ROOT / "tools" / "build_xlsx_templates.py",
        ROOT / "tools" / "build_templates.py",
    ):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            assert not [n for n in names if n.startswith("reportkit.formats.gov")], (path.name, names)


def _workbook_cells(data: bytes) -> tuple[openpyxl.Workbook, dict[str, tuple[str, str]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(data))
    names = {}
    for name, defined in wb.defined_names.items():
        sheet, coord = next(iter(defined.destinations))
        names[name] = (sheet, coord.replace("$", ""))
    return wb, names


def _labels_found(wb: openpyxl.Workbook, fields: tuple[FieldCell, ...]) -> dict[str, tuple[object, object]]:
    """The labels a reader finds around each named cell of a drawn workbook, read from its cells."""
    found: dict[str, tuple[object, object]] = {}
    for sheet in dict.fromkeys(f.sheet for f in fields):
        ws = wb[sheet]
        texts = {
            (cell.row, cell.column): label_text(cell.value)
            for line in ws.iter_rows()
            for cell in line
            if isinstance(cell.value, str) and cell.data_type != "f" and cell.value.strip()
        }
        mine = [f for f in fields if f.sheet == sheet]
        named = {(f.row, f.col) for f in mine}
        for f in mine:
            offsets = [offset for offset, _ in f.column_texts]
            found[f.field] = (
                row_texts_at(texts, named, f.row, f.col),
                column_texts_at(texts, named, f.row, f.col, offsets) if offsets else (),
            )
    return found


@FORMATS
@KINDS
def test_the_catalogue_agrees_with_the_drawn_workbook(layout: ReportFormat, kind: str) -> None:
    """Every catalogued cell is the cell its defined name points at in the shipped template, no name is
    left out, and (on the form) the labels recorded for it are those a reader finds there."""
    fields = field_cells(kind, layout)
    wb, names = _workbook_cells(_template(layout, kind).read_bytes())
    assert {f.name: (f.sheet, f.coord) for f in fields} == names
    merged = {(ws.title, str(r).split(":")[0]): r for ws in wb.worksheets for r in ws.merged_cells.ranges}
    for f in fields:
        span = merged.get((f.sheet, f.coord))
        assert (span.max_col - span.min_col + 1 if span is not None else 1) == f.span, f.where
    if kind == FORM_KIND:
        found = _labels_found(wb, fields)
        for f in fields:
            assert found[f.field] == (f.row_texts, tuple(text for _, text in f.column_texts)), f.where
        assert all(f.row_texts or f.column_texts for f in fields), "every form cell has a label to verify"


@FORMATS
def test_caches_are_keyed_by_format(layout: ReportFormat) -> None:
    assert field_cells(FORM_KIND, layout) is field_cells(FORM_KIND, layout)
    others = [other for other in all_formats() if other.id != layout.id]
    for other in others:
        assert field_cells(FORM_KIND, other) != field_cells(FORM_KIND, layout)


# ---------------------------------------------------------------------------------------------------
# Printing (issue 12.4): headers and footers of the output workbook, the 填表说明 sheet on A4
# ---------------------------------------------------------------------------------------------------


def test_output_sheets_carry_agency_and_year_in_the_header_and_page_numbers_in_the_footer() -> None:
    from attrs import evolve

    from reportkit.render.xlsx import render_xlsx
    from xlsx_support import sample_report

    report = sample_report()
    report = evolve(report, agency=evolve(report.agency, name="某县卫生&健康局"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(report)))
    for ws in wb.worksheets:
        assert ws.oddHeader.left.text == report.title.replace("&", "&&"), ws.title
        assert f"{report.year}年" in ws.oddHeader.left.text and "某县卫生" in ws.oddHeader.left.text
        assert ws.oddHeader.right.text == "&A"
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text


def test_a_long_title_is_shortened_in_the_header() -> None:
    from reportkit.xlsx_layout import HEADER_TITLE_CHARS, page_header_text

    assert page_header_text("甲" * 300) == "甲" * (HEADER_TITLE_CHARS - 1) + "…"
    assert page_header_text("A&B") == "A&&B"


@FORMATS
def test_the_guide_prints_on_a4_without_clipping(layout: ReportFormat) -> None:
    """LibreOffice prints 填表说明 inside the paper (at width 90 its lines ran past both edges), every line
    of text in full: the rows are tall enough for their wrapped text."""
    pytest.importorskip("pdfplumber")
    import pdfplumber

    from reportkit.xlsx_form import blank_form
    from xlsx_support import convert

    wb = openpyxl.load_workbook(io.BytesIO(blank_form(layout)))
    guide = wb.worksheets[0]
    lines = [cell.value for (cell,) in guide.iter_rows(min_col=1, max_col=1) if isinstance(cell.value, str)]
    pdf = convert(blank_form(layout), ".xlsx", "pdf")
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        words = page.extract_words()
        assert words
        assert min(w["x0"] for w in words) >= 0 and max(w["x1"] for w in words) <= page.width
        text = "".join(page.extract_text().split())
    for line in lines:
        assert "".join(line.split()) in text, line
