"""Property tests for the published-report readers: any input gives a Document or a ReportkitError, and
every grid is a consistent rectangle (each slot covered once, each origin where its cell says)."""

from __future__ import annotations

import io
import os
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from published_support import PUBLISHED, make_docx, p, tbl, tc, tr
from reportkit.errors import ReportkitError
from reportkit.published import Document, Grid, read_document

EXAMPLES = int(os.environ.get("REPORTKIT_FUZZ_EXAMPLES", "50"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_grid(grid: Grid) -> None:
    seen: dict[tuple[int, int], object] = {}
    for r, row in enumerate(grid.rows):
        assert [cell.col for cell in row] == sorted(cell.col for cell in row)
        for cell in row:
            assert cell.row == r and cell.rowspan >= 1 and cell.colspan >= 1
            assert cell.bottom <= grid.height and cell.right <= grid.width
            for y in range(cell.row, cell.bottom):
                for x in range(cell.col, cell.right):
                    assert (y, x) not in seen, f"slot {(y, x)} covered twice"
                    seen[(y, x)] = cell
    for y, line in enumerate(grid.logical()):
        assert len(line) == grid.width
        for x, slot in enumerate(line):
            assert (slot is None) == ((y, x) not in seen)
            if slot is not None:
                assert slot.cell is seen[(y, x)]
                assert slot.origin == ((slot.cell.row, slot.cell.col) == (y, x))


def read_or_refuse(data: bytes, name: str) -> Document | None:
    try:
        document = read_document(data, name=name)
    except ReportkitError as exc:
        assert str(exc).startswith(name)
        return None
    for grid in document.grids():
        check_grid(grid)
    return document


spans = st.one_of(st.just(""), st.integers(-2, 6).map(str), st.sampled_from(["0", "x", "1000000", " 2 "]))
cells = st.tuples(st.sampled_from(["td", "th"]), spans, spans, st.text(alphabet="甲1 &;/nbsp<>", max_size=6))


@FUZZ
@given(st.lists(st.lists(cells, max_size=6), max_size=8), st.booleans())
def test_any_html_table_is_a_consistent_grid(rows: list[list[tuple[str, str, str, str]]], close: bool) -> None:
    markup = "<table>"
    for row in rows:
        markup += "<tr>"
        for tag, rowspan, colspan, text in row:
            markup += f'<{tag} rowspan="{rowspan}" colspan="{colspan}">{text}' + (f"</{tag}>" if close else "")
        markup += "</tr>" if close else ""
    read_or_refuse((markup + "</table>").encode(), "fuzz.html")


@FUZZ
@given(st.binary(max_size=400) | st.text(alphabet="<>/=\"' tdrable&#;x\n!-[]甲", max_size=400).map(str.encode))
def test_any_bytes_are_read_or_refused(data: bytes) -> None:
    for name in ("fuzz.html", "fuzz.txt", "fuzz.pdf", "fuzz.docx", "fuzz"):
        read_or_refuse(data, name)


merges = st.sampled_from(["", '<w:vMerge w:val="restart"/>', "<w:vMerge/>"])
gridspans = st.sampled_from(["", '<w:gridSpan w:val="2"/>', '<w:gridSpan w:val="0"/>', '<w:gridSpan w:val="x"/>'])


@FUZZ
@given(st.lists(st.lists(st.tuples(merges, gridspans, st.sampled_from(["", "甲", "1"])), max_size=5), max_size=6))
def test_any_word_table_is_a_consistent_grid(rows: list[list[tuple[str, str, str]]]) -> None:
    body = tbl(*(tr(*(tc(text or p(""), merge + span) for merge, span, text in row)) for row in rows)) + p("")
    read_or_refuse(make_docx(body), "fuzz.docx")


@FUZZ
@given(st.data())
def test_damaged_word_files_are_refused_or_read(data: st.DataObject) -> None:
    original = (PUBLISHED / "blank-template-2021.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as package:
        xml = package.read("word/document.xml")
    start = data.draw(st.integers(0, len(xml) - 1))
    cut = xml[:start] + data.draw(st.binary(max_size=20)) + xml[start + data.draw(st.integers(0, 200)) :]
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as package, zipfile.ZipFile(buffer, "w") as out:
        for info in package.infolist():
            out.writestr(info, cut if info.filename == "word/document.xml" else package.read(info))
    read_or_refuse(buffer.getvalue(), "fuzz.docx")
