"""What an auditor sees in the PDF: real 仿宋 and 楷体 faces, numbers whole in their cells, the sign-off never alone
on the last page. LibreOffice converts several documents per run, so the whole file costs two runs.

Like test_pdf.py, these fail rather than skip under ``CI=true`` when LibreOffice, poppler or the fonts are missing.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from docx_helpers import full_report, long_counts_report, part_xml, restyled_narrow, restyled_signoff
from pdf_helpers import convert_all, page_texts, pdffonts, require, require_libreoffice, text_fonts, words
from reportkit.formats import gov2021 as fmt
from reportkit.model import AnnualReport, InformationFees, OtherMatters
from reportkit.render import pdf
from reportkit.render.docx import render_docx
from reportkit.render.docx_template import fee_statement
from reportkit.values import format_date

pytestmark = pytest.mark.libreoffice

FONTS = (
    "FandolFang (仿宋) and AR PL KaitiM GB (楷体): apt-get install fonts-arphic-gkai00mp, and FandolFang-Regular.otf "
    "from texlive-lang-chinese into /usr/local/share/fonts/fandol (see README)"
)


def font_for(name: str) -> str:
    """The family fontconfig gives LibreOffice for a Word font name, with reportkit's aliases."""
    env = dict(os.environ, FONTCONFIG_FILE=str(pdf.font_config_path()))
    return subprocess.run(
        ["fc-match", "-f", "%{family}", f"{name}:lang=zh-cn"], capture_output=True, text=True, env=env
    ).stdout


#: Paragraph markers: characters that occur nowhere else in the test report (checked), one per paragraph.
MARKERS = (
    "甲乙丙丁戊己庚辛壬癸鹅鸭犬羊牛马猪兔龙蛇猴鸡狗鼠虎梅兰竹菊松柏桃李杏枣琴棋诗词歌赋春夏秋冬云雨雪霜雷电江河湖海山川"
    "峰岭溪泉瀑涧舟桨帆橹"
)
PARAGRAPHS = 60  # section 六 at full length: over two pages of one-line paragraphs
LONG = "终"  # the marker of a last paragraph of several lines


def line(index: int) -> str:
    """A paragraph of exactly one line of 3号 text: 26 characters after the two-character indent."""
    return MARKERS[index] * 25 + "。"


def six(count: int, last_lines: int = 0) -> str:
    """Section 六: ``count`` one-line paragraphs, then a paragraph of ``last_lines`` full lines if any."""
    paragraphs = [line(i) for i in range(count)]
    if last_lines:
        paragraphs.append(LONG * (25 + 28 * (last_lines - 1)) + "。")
    return "\n\n".join(paragraphs)


def signoff_report(count: int, fee: bool, last_lines: int = 0) -> AnnualReport:
    """The test report with section 六 of :func:`six`, with or without the fee statement."""
    fees = InformationFees(3, Decimal(300), Decimal(200)) if fee else None
    report = full_report(other=OtherMatters(six(count, last_lines), fees))
    assert bool(fee_statement(report)) == fee
    return report


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_libreoffice()
    return tmp_path_factory.mktemp("pdf-layout")


@pytest.fixture(scope="module")
def templates(folder: Path) -> dict[str, Path | None]:
    return {"shipped": None, "restyled": restyled_signoff(folder), "narrow": restyled_narrow(folder)}


@pytest.fixture(scope="module")
def first_run(folder: Path, templates: dict[str, Path | None]) -> dict[str, Path]:
    """Section 六 at full length in the shipped and the restyled template (to see where its pages break), a
    last paragraph longer than a page, and 10-digit counts in the shipped template and one with narrower columns."""
    everything = re.sub(r"<[^>]+>", "", part_xml(render_docx(signoff_report(0, fee=True), draft=True)))
    assert not set(MARKERS + LONG) & set(everything), "a marker occurs elsewhere in the report"
    assert len(set(MARKERS + LONG)) == len(MARKERS + LONG) > PARAGRAPHS
    documents = {
        f"probe-{name}": render_docx(signoff_report(PARAGRAPHS, fee=False), templates[name])
        for name in ("shipped", "restyled")
    }
    documents["long-paragraph"] = render_docx(signoff_report(3, fee=False, last_lines=30))
    documents["long-shipped"] = render_docx(long_counts_report())
    documents["long-narrow"] = render_docx(long_counts_report(), templates["narrow"])
    return convert_all(documents, folder / "first")


# ---------------------------------------------------------------------------------------------------
# Fonts (issue 9, point 16)
# ---------------------------------------------------------------------------------------------------


def test_fangsong_body_and_kai_headings(first_run: dict[str, Path]) -> None:
    require("Fandol" in font_for("仿宋_GB2312") or None, "FandolFang", FONTS)
    require("Kai" in font_for("楷体_GB2312") or None, "a Kai face", FONTS)
    path = first_run["probe-shipped"]
    listed = pdffonts(path)
    assert re.search(r"\+FandolFang-Regular\s", listed), listed
    assert re.search(r"\+(GBZenKai-Medium|FandolKai-Regular)\s", listed), listed
    fonts = text_fonts(path)

    def family_of(text: str) -> set[str]:
        found = {family.split("+", 1)[-1] for _page, piece, family in fonts if text in piece.replace(" ", "")}
        assert found, text
        return found

    # body paragraphs in 仿宋, the （一） headings in 楷体, the 一、 headings in 黑体
    assert family_of("总体概述第一段") == {"FandolFang"}
    assert family_of(MARKERS[1] * 5) == {"FandolFang"}
    for sub in fmt.OVERVIEW_SUBSECTIONS[:3]:
        assert family_of(sub.heading) <= {"GBZenKai-Medium", "FandolKai"}, sub.heading
    assert family_of(fmt.OVERVIEW.heading) == {"NotoSansCJKjp"}
    # the sign-off (the agency name on the last page; the title's is in the 小标宋 stand-in, bold Noto Serif)
    name = full_report().agency.name
    last = max(page for page, _piece, _family in fonts)
    signoff = {f.split("+", 1)[-1] for page, piece, f in fonts if page == last and piece.strip() and piece in name}
    assert signoff == {"FandolFang"}


# ---------------------------------------------------------------------------------------------------
# Numbers whole in their cells (issue 9, point 17)
# ---------------------------------------------------------------------------------------------------


def table_numbers(report: AnnualReport) -> Counter[str]:
    """Every number of tables 三 and 四 as printed, with how often it occurs."""
    printed: Counter[str] = Counter()
    for row in fmt.APPLICATIONS_TABLE.row_leaves:
        for column in fmt.APPLICATIONS_TABLE.column_leaves:
            printed[str(report.applications.cell(row.key, column.key))] += 1
    for column in fmt.REVIEW_LITIGATION_TABLE.column_leaves:
        printed[str(report.review_litigation.cell(column.key))] += 1
    return printed


@pytest.mark.parametrize("name", ["long-shipped", "long-narrow"])
def test_ten_digit_numbers_whole_on_one_line(first_run: dict[str, Path], name: str) -> None:
    expected = table_numbers(long_counts_report())
    long = Counter({number: count for number, count in expected.items() if len(number) >= 5})
    assert max(len(number) for number in long) == 10 and sum(long.values()) >= 30
    found = Counter(words(first_run[name]))
    # each number is one word of the PDF: a number broken inside its cell would be two shorter words
    assert not long - found, long - found
    assert "10000000" not in found and "100000" not in found


# ---------------------------------------------------------------------------------------------------
# The sign-off on the last page (issue 9, point 15)
# ---------------------------------------------------------------------------------------------------


def last_paragraph_on(page: str) -> int:
    return max((i for i in range(PARAGRAPHS) if MARKERS[i] in page), default=-1)


def body_beside_signoff(path: Path) -> bool:
    """Whether the last page of a PDF holds the whole sign-off and body text of section 六 besides it."""
    last = re.sub(r"\s+", "", page_texts(path)[-1])
    name = full_report().agency.name
    date = format_date(full_report().report.signed_on)
    if name not in last or date not in last:
        return False  # the sign-off itself broken over two pages
    fee_text = fee_statement(signoff_report(1, fee=True))
    return any(marker in last for marker in MARKERS[:PARAGRAPHS] + LONG) or fee_text in last


@pytest.mark.slow
def test_signoff_never_alone_on_the_last_page(
    folder: Path, templates: dict[str, Path | None], first_run: dict[str, Path]
) -> None:
    """Section 六 grows a paragraph at a time around the first page break inside it, with and without the fee
    statement, in the shipped template and a restyled copy, and with a last paragraph of six lines: the last
    page always holds body text too."""
    documents: dict[str, bytes] = {}
    for name in ("shipped", "restyled"):
        pages = page_texts(first_run[f"probe-{name}"])
        first = next(i for i, page in enumerate(pages) if MARKERS[0] in page)
        # the one-line paragraphs that fill the page where 六's text starts, or the next page when that holds
        # too few for the windows below
        full = last_paragraph_on(pages[first]) + 1
        if full < 9:
            full = last_paragraph_on(pages[first + 1]) + 1
        assert 9 <= full < PARAGRAPHS - 22, (name, full)
        # the body ending on the last four lines of that page: where a sign-off of three lines (blank, name,
        # date) can be left alone, with the fee statement's line or without it
        for count in range(full - 3, full + 1):
            for fee in (False, True):
                documents[f"{name}-{count}-{'fee' if fee else 'nofee'}"] = render_docx(
                    signoff_report(count, fee), templates[name]
                )
        if name == "shipped":  # a last paragraph of six lines ending there: it moves with the sign-off
            for count in range(full - 9, full - 5):
                documents[f"{name}-{count}-six-lines"] = render_docx(signoff_report(count, False, 6))
    converted = convert_all(documents, folder / "signoff")
    alone = [key for key, path in converted.items() if not body_beside_signoff(path)]
    assert not alone, f"the sign-off stands alone on the last page of {alone}"


def test_long_last_paragraph_flows_in_libreoffice(first_run: dict[str, Path]) -> None:
    """A last paragraph taller than a page is not kept whole by LibreOffice (keep-with-next there means
    keep-together): it flows on from its heading, which never stands alone at a page foot."""
    pages = page_texts(first_run["long-paragraph"])
    heading = next(i for i, page in enumerate(pages) if fmt.OTHER.heading in re.sub(r"\s+", "", page))
    assert MARKERS[0] in pages[heading] and LONG in pages[heading]
