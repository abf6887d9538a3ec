"""HTML output: the page and the CMS fragment parsed back, compared with the report and with the Word tables.

The page is parsed with :mod:`html.parser` into the grid a browser lays out (``colspan``/``rowspan``
resolved). Every number of the three tables is looked up by its row and column labels and compared with
the report; every merged cell is compared, rectangle by rectangle and text by text, with the Word output's
merged grid. The Chromium tests render the page to PNG and to an A4 PDF; they fail rather than skip under
``CI=true`` when Chromium or poppler is missing (``.ci/run`` installs them).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pytest

import reportkit
from docx_helpers import ROOT, full_report, open_docx
from reportkit.cli import main
from reportkit.errors import RenderError
from reportkit.formats import gov2021 as fmt
from reportkit.formats.layout import depth, label_path
from reportkit.model import Agency, AgencyKind, AnnualReport, OtherMatters, Problems, ReportInfo
from reportkit.render import render
from reportkit.render.contract import _cell_text, _grid
from reportkit.render.docx import draft_notice, render_docx
from reportkit.render.gongwen import FANGSONG, HEITI, KAITI, XIAOBIAOSONG
from reportkit.render.html import render_html
from reportkit.values import format_amount

EXAMPLE = ROOT / "examples" / "longde-chengguan-2021.toml"

# ---------------------------------------------------------------------------------------------------
# Parsing the HTML back
# ---------------------------------------------------------------------------------------------------


@attrs.define
class Cell:
    tag: str
    rowspan: int
    colspan: int
    attrs: dict[str, str]
    text: str = ""


@attrs.define
class Parsed:
    tables: list[list[list[Cell]]] = attrs.Factory(list)  #: per table, its rows of cells as written
    header_rows: list[int] = attrs.Factory(list)  #: per table, the rows inside ``thead``
    blocks: list[tuple[str, str, dict[str, str]]] = attrs.Factory(list)  #: (tag, text, attributes) outside tables
    tags: list[tuple[str, dict[str, str]]] = attrs.Factory(list)  #: every start tag
    title: str = ""


class _Parser(HTMLParser):
    TEXT_TAGS = frozenset({"p", "h1", "h2", "h3", "th", "td", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = Parsed()
        self.open: tuple[str, dict[str, str], list[str]] | None = None
        self.row: list[Cell] | None = None
        self.in_thead = False

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attrs_ = {k: v or "" for k, v in attributes}
        self.result.tags.append((tag, attrs_))
        if tag == "table":
            self.result.tables.append([])
            self.result.header_rows.append(0)
        elif tag == "thead":
            self.in_thead = True
        elif tag == "tr":
            self.row = []
            self.result.tables[-1].append(self.row)
            if self.in_thead:
                self.result.header_rows[-1] += 1
        elif tag == "br" and self.open is not None:
            self.open[2].append("\n")
        elif tag in self.TEXT_TAGS:
            assert self.open is None, f"<{tag}> inside <{self.open[0]}>"
            self.open = (tag, attrs_, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self.in_thead = False
        if self.open is None or tag != self.open[0]:
            return
        name, attrs_, pieces = self.open
        text = "".join(pieces)
        self.open = None
        if name in ("th", "td"):
            assert self.row is not None
            cell = Cell(name, int(attrs_.get("rowspan", "1")), int(attrs_.get("colspan", "1")), attrs_, text)
            self.row.append(cell)
        elif name == "title":
            self.result.title = text
        else:
            self.result.blocks.append((name, text, attrs_))

    def handle_data(self, data: str) -> None:
        if self.open is not None:
            self.open[2].append(data)


def parse(page: str) -> Parsed:
    parser = _Parser()
    parser.feed(page)
    parser.close()
    return parser.result


Rect = tuple[int, int, int, int, str]  #: top, left, bottom, right (inclusive), text


def html_grid(rows: list[list[Cell]]) -> list[list[Cell]]:
    """The grid a browser lays out: a cell fills ``rowspan`` × ``colspan`` slots, placed in the first free one."""
    slots: dict[tuple[int, int], Cell] = {}
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in slots:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    assert (r + dr, c + dc) not in slots, f"cells overlap at row {r + dr}, column {c + dc}"
                    slots[(r + dr, c + dc)] = cell
            c += cell.colspan
    height = 1 + max(r for r, _ in slots)
    width = 1 + max(c for _, c in slots)
    assert len(slots) == height * width, "the table has holes"
    return [[slots[(r, c)] for c in range(width)] for r in range(height)]


def rectangles(grid: list[list[Any]], text: Any) -> list[Rect]:
    """Each distinct cell of a grid as its rectangle and its text, in reading order."""
    found: dict[int, list[int]] = {}
    owners: dict[int, Any] = {}
    for r, row in enumerate(grid):
        for c, owner in enumerate(row):
            box = found.setdefault(id(owner), [r, c, r, c])
            owners[id(owner)] = owner
            box[2], box[3] = max(box[2], r), max(box[3], c)
    return sorted((*box, _norm(text(owners[key]))) for key, box in found.items())  # type: ignore[misc]


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _dedup(labels: list[str]) -> tuple[str, ...]:
    """Labels of merged cells read along a row or column: each merged cell once."""
    result: list[str] = []
    for label in labels:
        if not result or result[-1] != label:
            result.append(label)
    return tuple(result)


def tables(page: str) -> list[list[list[Cell]]]:
    return [html_grid(rows) for rows in parse(page).tables]


def amount(value: int | Decimal) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


# ---------------------------------------------------------------------------------------------------
# Every number in its cell
# ---------------------------------------------------------------------------------------------------


def _proactive_values(grid: list[list[Cell]]) -> dict[tuple[str, str, str], str]:
    """Table 二 read as a person reads it: (block title, row label, column label) -> printed value."""
    width = len(grid[0])
    values: dict[tuple[str, str, str], str] = {}
    block = ""
    columns: dict[int, str] = {}
    for row in grid:
        if row[0] is row[-1]:  # a block title spans the full width
            block = row[0].text
            columns = {}
        elif row[0].text == fmt.CONTENT_HEADER:
            columns = {c: row[c].text for c in range(1, width)}
        else:
            assert row[0].tag == "th" and all(cell.tag == "td" for cell in row[1:])
            for c in range(1, width):
                values[(block, row[0].text, columns[c])] = row[c].text
    return values


def check_every_number(page: str, report: AnnualReport) -> None:
    table2, table3, table4 = tables(page)

    values = _proactive_values(table2)
    expected = {
        (block.title, leaf.label, column.label): amount(report.proactive.value(block.cell_key(leaf, column)))
        for block in fmt.PROACTIVE_BLOCKS
        for leaf in block.rows
        for column in block.columns
    }
    assert values == expected

    layout3 = fmt.APPLICATIONS_TABLE
    header3 = depth(layout3.columns)
    labels3 = depth(layout3.rows)
    column_at = {_dedup([table3[r][c].text for r in range(header3)]): c for c in range(labels3, len(table3[0]))}
    row_at = {_dedup([table3[r][c].text for c in range(labels3)]): r for r in range(header3, len(table3))}
    assert len(row_at) == len(layout3.row_leaves) and len(column_at) == len(layout3.column_leaves)
    for row in layout3.row_leaves:
        r = row_at[label_path(layout3.rows, row.key)]
        for column in layout3.column_leaves:
            c = column_at[label_path(layout3.columns, column.key)]
            assert table3[r][c].tag == "td"
            assert table3[r][c].text == str(report.applications.cell(row.key, column.key)), (row.key, column.key)

    layout4 = fmt.REVIEW_LITIGATION_TABLE
    header4 = depth(layout4.columns)
    assert len(table4) == header4 + 1
    column_at = {_dedup([table4[r][c].text for r in range(header4)]): c for c in range(len(table4[0]))}
    for column in layout4.column_leaves:
        cell = table4[header4][column_at[label_path(layout4.columns, column.key)]]
        assert cell.tag == "td" and cell.text == str(report.review_litigation.cell(column.key)), column.key


def test_every_number_of_the_three_tables_is_in_its_cell() -> None:
    report = full_report()
    check_every_number(render_html(report), report)
    check_every_number(render_html(report, fragment=True), report)


def test_every_number_of_the_example_is_in_its_cell() -> None:
    report = reportkit.load(EXAMPLE)
    check_every_number(render_html(report), report)


def test_zero_is_printed_never_blank() -> None:
    report = empty_report()
    page = render_html(report, draft=True)
    numbers = [cell for grid in tables(page) for row in grid for cell in row if cell.tag == "td"]
    assert numbers and all(cell.text == "0" for cell in numbers)
    check_every_number(page, report)


def empty_report() -> AnnualReport:
    return AnnualReport(Agency("某市某局", AgencyKind.DEPARTMENT), ReportInfo(2021, dt.date(2022, 1, 19)))


# ---------------------------------------------------------------------------------------------------
# The same merges as the Word tables
# ---------------------------------------------------------------------------------------------------


def test_spans_and_texts_equal_the_word_tables() -> None:
    report = full_report()
    word = open_docx(render_docx(report)).tables
    assert len(word) == 3
    for fragment in (False, True):
        html_tables = tables(render_html(report, fragment=fragment))
        assert len(html_tables) == 3
        for number, (html_table, word_table) in enumerate(zip(html_tables, word, strict=True), start=1):
            ours = rectangles(html_table, lambda cell: cell.text)
            theirs = rectangles(_grid(word_table), _cell_text)
            assert ours == theirs, f"table {number} differs from the Word table"


def test_the_span_comparison_sees_a_changed_merge() -> None:
    report = full_report()
    html_table = tables(render_html(report))[1]
    word_table = _grid(open_docx(render_docx(report)).tables[1])
    # Split the corner note (3 rows × 3 columns) into its top row only: the rectangles no longer agree.
    corner = html_table[0][0]
    split = [
        [Cell("th", 1, 1, {}, corner.text) if cell is corner and r > 0 else cell for cell in row]
        for r, row in enumerate(html_table)
    ]
    assert rectangles(split, lambda cell: cell.text) != rectangles(word_table, _cell_text)


def test_header_rows_are_a_thead_as_in_the_word_tables() -> None:
    parsed = parse(render_html(full_report()))
    assert parsed.header_rows == [0, depth(fmt.APPLICATIONS_TABLE.columns), depth(fmt.REVIEW_LITIGATION_TABLE.columns)]


# ---------------------------------------------------------------------------------------------------
# Headings and paragraphs in the official order: the Word document's body, paragraph by paragraph
# ---------------------------------------------------------------------------------------------------


def _html_lines(page: str) -> list[str]:
    lines: list[str] = []
    for tag, text, _ in parse(page).blocks:
        lines.extend(text.split("\n") if tag == "h1" else [text])
    return lines


@pytest.mark.parametrize("fragment", [False, True])
def test_paragraphs_in_the_order_of_the_word_document(fragment: bool) -> None:
    report = attrs.evolve(
        full_report(),
        overview=attrs.evolve(full_report().overview, accountability="考核结果。\n\n责任追究。"),
    )
    word = [p.text for p in open_docx(render_docx(report)).paragraphs if p.text.strip()]
    assert _html_lines(render_html(report, fragment=fragment)) == word
    headings = [text for tag, text, _ in parse(render_html(report)).blocks if tag in ("h2", "h3")]
    expected = [fmt.OVERVIEW.heading, *(s.heading for s in fmt.OVERVIEW_SUBSECTIONS)]
    expected += [s.heading for s in fmt.SECTIONS[1:]]
    assert headings == expected


def test_the_fee_statement_and_the_signoff_close_the_page() -> None:
    report = full_report()
    blocks = parse(render_html(report)).blocks
    assert [text for _, text, _ in blocks[-3:]] == [
        f"本年度共发出{fmt.INFORMATION_FEE}收费通知3件，通知金额300元，实收金额200元。",
        report.agency.name,
        "2022年1月19日",
    ]
    name_style, date_style = blocks[-2][2]["style"], blocks[-1][2]["style"]
    assert "padding-right: 2em" in name_style  # 右空二字
    assert re.search(r"padding-right: [\d.]+em", date_style)


def test_a_long_title_is_broken_as_in_word() -> None:
    report = full_report(agency=Agency("某省某市某县某某某某某某某某某某局", AgencyKind.DEPARTMENT))
    h1 = next(text for tag, text, _ in parse(render_html(report)).blocks if tag == "h1")
    assert h1.split("\n") == ["某省某市某县某某某某某某某某某某局", f"2021年{fmt.DOCUMENT_NAME}"]


# ---------------------------------------------------------------------------------------------------
# Escaping, drafts, the page and the fragment
# ---------------------------------------------------------------------------------------------------

NASTY = '<script>alert("x")</script> & \'q\' "dq" {{ 7*7 }} {% if %} </title></p>'


def nasty_report() -> AnnualReport:
    report = full_report(
        agency=Agency(f"某局{NASTY}", AgencyKind.DEPARTMENT),
        overview=attrs.evolve(full_report().overview, intro=f"第一段{NASTY}\n\n第二段&amp;"),
        problems=Problems(f"问题{NASTY}"),
        other=OtherMatters(f"其他{NASTY}"),
    )
    return report


@pytest.mark.parametrize("fragment", [False, True])
def test_every_text_is_escaped_and_appears_as_typed(fragment: bool) -> None:
    report = nasty_report()
    page = render_html(report, fragment=fragment)
    assert "<script" not in page and "</title></p>" not in page
    parsed = parse(page)
    texts = [text for _, text, _ in parsed.blocks]
    assert f"第一段{NASTY}" in texts and "第二段&amp;" in texts
    assert f"问题{NASTY}" in texts and f"其他{NASTY}" in texts
    assert f"某局{NASTY}" in texts  # the sign-off
    assert any(f"某局{NASTY}" in line for line in _html_lines(page))  # the title
    if not fragment:
        assert parsed.title == report.title
    assert not any(tag == "script" for tag, _ in parsed.tags)


def test_the_standalone_page() -> None:
    report = full_report()
    page = render_html(report)
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n')
    assert page.count("<style>") == 1 and page.count("</style>") == 1
    style = page[page.index("<style>") : page.index("</style>")]
    assert "@media print" in style
    assert re.search(r"@page \{ size: A4; margin: 37mm 26mm 35mm 28mm; \}", style)
    assert "thead { display: table-header-group; }" in style
    assert re.search(r"td:not\(\[rowspan\]\) \{ break-inside: avoid", style)
    for font in (FANGSONG, HEITI, KAITI, XIAOBIAOSONG):
        assert f"'{font}'" in style
    assert "serif" in style and "sans-serif" in style
    parsed = parse(page)
    assert parsed.title == report.title
    assert not re.search(r"<script|<link|\bsrc=|\bhref=|url\(|@import", page)
    # every table cell has the bordered class
    cells = [cell for rows in parsed.tables for row in rows for cell in row]
    assert cells and all("rk-cell" in cell.attrs["class"].split() for cell in cells)


def test_the_fragment_has_inline_styles_only() -> None:
    report = full_report()
    fragment = render_html(report, fragment=True)
    for forbidden in ("<style", "<script", "class=", "<link", "src=", "url(", "id=", "<!DOCTYPE", "<html", "href="):
        assert forbidden not in fragment, forbidden
    parsed = parse(fragment)
    assert parsed.tags[0][0] == "div" and parsed.tags[0][1]["lang"] == "zh-CN"
    assert f"'{FANGSONG}'" in parsed.tags[0][1]["style"]
    cells = [cell for rows in parsed.tables for row in rows for cell in row]
    assert cells and all("border: 1px solid #000" in cell.attrs["style"] for cell in cells)
    for tag, attributes in parsed.tags:
        if tag in ("h1", "h2", "h3", "p", "table", "th", "td"):
            assert attributes.get("style"), tag

    # the same content as the page
    def shape(page: str) -> list[list[Rect]]:
        return [rectangles(grid, lambda cell: f"{cell.tag}:{cell.text}") for grid in tables(page)]

    assert shape(fragment) == shape(render_html(report))
    assert _html_lines(fragment) == _html_lines(render_html(report))


def test_the_same_report_gives_the_same_bytes() -> None:
    report = full_report()
    first = render_html(report)
    assert render_html(report) == first
    assert render_html(full_report(), fragment=True) == render_html(report, fragment=True)
    code = (
        "import sys; sys.path.insert(0, 'tests'); from docx_helpers import full_report; "
        "from reportkit.render.html import render_html; sys.stdout.buffer.write(render_html(full_report()).encode())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    assert other == first.encode("utf-8")


def test_a_report_with_errors_is_refused_as_render_docx_refuses_it() -> None:
    report = empty_report()
    with pytest.raises(RenderError) as html_error:
        render_html(report)
    with pytest.raises(RenderError) as docx_error:
        render_docx(report)
    assert str(html_error.value) == str(docx_error.value)
    assert html_error.value.problems == docx_error.value.problems


@pytest.mark.parametrize("fragment", [False, True])
def test_a_draft_says_so_at_the_top(fragment: bool) -> None:
    report = empty_report()
    from reportkit.rules import check, errors

    blocks = parse(render_html(report, draft=True, fragment=fragment)).blocks
    assert blocks[0][:2] == ("p", draft_notice(len(errors(check(report)))))
    assert blocks[1][0] == "h1"
    clean = parse(render_html(full_report(), draft=True, fragment=fragment)).blocks
    assert clean[0][:2] == ("p", draft_notice(0))
    assert parse(render_html(full_report(), fragment=fragment)).blocks[0][0] == "h1"


def test_wiring_api_render_kinds_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = reportkit.load(EXAMPLE)
    assert reportkit.render_html is render_html and "render_html" in reportkit.__all__
    assert render("html", report) == render_html(report).encode("utf-8")
    assert render("html-fragment", report) == render_html(report, fragment=True).encode("utf-8")
    out = tmp_path / "out"
    assert main(["render", str(EXAMPLE), "-o", str(out), "--html", "--html-fragment"]) == 0
    stem = report.title
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}.fragment.html", f"{stem}.html"]
    assert (out / f"{stem}.html").read_bytes() == render("html", report)
    assert (out / f"{stem}.fragment.html").read_bytes() == render("html-fragment", report)
    assert "已生成" in capsys.readouterr().out


def test_cli_draft_html_of_a_report_with_errors(tmp_path: Path) -> None:
    figures = tmp_path / "figures.toml"
    reportkit.dump(empty_report(), figures)
    out = tmp_path / "out"
    assert main(["render", str(figures), "-o", str(out), "--html"]) == 1
    assert not out.exists() or not list(out.iterdir())
    assert main(["render", str(figures), "-o", str(out), "--html", "--draft"]) == 0
    (page,) = out.iterdir()
    assert "草稿" in parse(page.read_text(encoding="utf-8")).blocks[0][1]


# ---------------------------------------------------------------------------------------------------
# A real browser: headless Chromium renders the page to PNG and prints it on A4
# ---------------------------------------------------------------------------------------------------


def _require(tool: str | None, what: str) -> str:
    if tool:
        return tool
    message = f"{what} is not installed: apt-get install chromium poppler-utils fonts-noto-cjk"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def chromium(tmp_path: Path, page: Path, *options: str) -> None:
    exe = _require(shutil.which("chromium") or shutil.which("chromium-browser"), "Chromium")
    profile = tmp_path / "chromium-profile"
    command = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *options,
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]


def browser_report() -> AnnualReport:
    """The example's texts with every number of the tables different."""
    example = reportkit.load(EXAMPLE)
    figures = full_report()
    return attrs.evolve(
        example,
        proactive=figures.proactive,
        applications=figures.applications,
        review_litigation=figures.review_litigation,
    )


@pytest.mark.chromium
@pytest.mark.parametrize("fragment", [False, True])
def test_chromium_renders_the_page_to_png(tmp_path: Path, fragment: bool) -> None:
    from PIL import Image

    html = render_html(browser_report(), fragment=fragment)
    if fragment:  # as a CMS shows it: inside someone else's page
        head = '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        html = f'{head}<body style="width: 900px">{html}</body></html>'
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    png = tmp_path / "page.png"
    chromium(tmp_path, page, f"--screenshot={png}", "--window-size=1000,3000")
    with Image.open(png) as image:
        assert image.size == (1000, 3000)
        gray = image.convert("L")
        pixels = gray.load()
        assert pixels is not None
        # Table borders: long runs of dark pixels across a row (a 156 mm table is about 590 px wide).
        ruled = [y for y in range(gray.height) if sum(1 for x in range(0, gray.width, 2) if pixels[x, y] < 96) > 250]
        assert len(ruled) >= 10, "no table rules found in the screenshot"
        # Text: dark pixels above the first table too (title, headings, paragraphs).
        inked = sum(1 for y in range(0, ruled[0], 3) for x in range(0, gray.width, 3) if pixels[x, y] < 96)
        assert inked > 500


@pytest.mark.chromium
def test_chromium_prints_the_page_on_a4(tmp_path: Path) -> None:
    _require(shutil.which("pdfinfo") and shutil.which("pdftotext"), "poppler-utils (pdfinfo, pdftotext)")
    report = browser_report()
    # two more paragraphs under （五）监督保障 start table 三 low on its page, so that it runs over two
    # (its label columns let it fit one page when it starts near the top)
    overview = report.overview
    longer = overview.oversight + f"\n\n{overview.platforms}" * 2
    report = attrs.evolve(report, overview=attrs.evolve(overview, oversight=longer))
    page = tmp_path / "page.html"
    page.write_text(render_html(report), encoding="utf-8")
    pdf = tmp_path / "page.pdf"
    chromium(tmp_path, page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+59[45]\.\d+ x 841\.\d+ pts \(A4\)", info), info
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    pages = [
        _norm(
            subprocess.run(
                ["pdftotext", "-raw", "-f", str(n), "-l", str(n), str(pdf), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for n in range(1, count + 1)
    ]
    # "— N —" at the foot of every page
    for number, text in enumerate(pages, start=1):
        assert f"—{number}—" in text, number

    layout3 = fmt.APPLICATIONS_TABLE
    # every row of table 三 whole on one page: its label, then its seven numbers
    holding: list[int] = []
    for row in layout3.row_leaves:
        numbers = "".join(str(report.applications.cell(row.key, c.key)) for c in layout3.column_leaves)
        found = [n for n, text in enumerate(pages) if _norm(row.label) + numbers in text]
        assert len(found) == 1, (row.key, found)
        holding.append(found[0])
    # the table runs over two pages here, and its header rows are repeated on each
    assert len(set(holding)) >= 2
    for n in set(holding):
        assert _norm(fmt.BALANCE_NOTE) in pages[n] and fmt.APPLICANT_COLUMNS[0].label in pages[n]

    # the last table, whole, on one page (its fifteen numbers after its heading)
    numbers4 = "".join(str(report.review_litigation.cell(c.key)) for c in fmt.REVIEW_LITIGATION_TABLE.column_leaves)
    assert any(fmt.REVIEW_LITIGATION.heading in text and numbers4 in text for text in pages)
    # the sign-off name and date on the same page, the last one
    assert _norm(report.agency.name) + "2022年1月19日" in pages[-1]


def test_a_missing_chromium_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        _require(None, "Chromium")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        _require(None, "Chromium")


def test_a_2019_report_has_the_2019_table_two_spanned_as_in_word() -> None:
    """（八）and（九）have two value columns on the 3-column grid: 1 + 2, as the Word table spans them; 采购总金额
    carries the unit the report states."""
    report = reportkit.load(EXAMPLE.parent / "trial-format-2020.toml")
    page = render_html(report)
    fees = page[page.index("第二十条第（八）项") : page.index("第二十条第（九）项")]
    assert re.search(r'<th colspan="2"[^>]*>本年增/减</th>', fees)
    procurement = page[page.index("第二十条第（九）项") : page.index("</table>", page.index("第二十条第（九）项"))]
    amount = format_amount(report.proactive.value("procurement.amount"))
    unit = report.proactive.unit("procurement.amount")
    assert unit is not None
    assert re.search(rf'<td colspan="2"[^>]*>{re.escape(amount + unit.value)}</td>', procurement)
