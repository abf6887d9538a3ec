"""The text reader: scrapes with tables flattened into runs of words and numbers, with lost characters."""

from __future__ import annotations

import datetime as dt

import pytest

from published_support import PUBLISHED, REFERENCE
from reportkit.published import (
    Kind,
    Paragraph,
    PublishedDocumentError,
    ReadLimits,
    TextRow,
    TokenKind,
    read_document,
)
from reportkit.published import text as text_reader
from reportkit.published.text import tokens

LONGDE = REFERENCE / "longde-chengguan-2021.txt"
PINGTAN = PUBLISHED / "pingtan-2025.txt"


def kinds(line: str) -> list[tuple[str, str]]:
    return [(token.kind.value, token.text) for token in tokens(line, 1)]


def test_tokens_split_words_from_numbers() -> None:
    assert kinds("本年增/减 -3 +2 １２３ 1,234 4166.24 / — 12,34") == [
        ("label", "本年增/减"),
        ("number", "-3"),
        ("number", "+2"),
        ("number", "123"),
        ("number", "1,234"),
        ("number", "4166.24"),
        ("placeholder", "/"),
        ("placeholder", "—"),
        ("number", "12"),
        ("label", ","),
        ("number", "34"),
    ]
    # A hyphen between digits is not a sign; an address keeps its digits.
    assert kinds("2022-01-19") == [
        ("number", "2022"),
        ("label", "-"),
        ("number", "01"),
        ("label", "-"),
        ("number", "19"),
    ]
    assert kinds("见 https://x.cn/202603/t1.htm 3") == [("label", "见 https://x.cn/202603/t1.htm"), ("number", "3")]


def test_glued_digits_stay_one_token_but_numbering_is_taken_off() -> None:
    assert kinds("四、结转下年度继续办理4200006") == [("label", "四、结转下年度继续办理"), ("number", "4200006")]
    assert kinds("（三）不予公开1.属于国家秘密00000002.其他法律") == [
        ("label", "（三）不予公开1.属于国家秘密"),
        ("number", "0000000"),
        ("label", "2.其他法律"),
    ]
    assert kinds("1. 申请人无正当理由") == [("label", "1. 申请人无正当理由")]
    assert kinds("共12.") == [("label", "共"), ("number", "12"), ("label", ".")]


def test_tokens_keep_exact_spans() -> None:
    line = "规章０ 0　行政规范性文件5845546"
    found = tokens(line, 7)
    for token in found:
        assert token.where.line == 7 and token.where.span is not None
        start, end = token.where.span
        assert line[start:end] == token.raw
    assert [t.raw for t in found] == ["规章", "０", "0", "行政规范性文件", "5845546"]
    assert found[0].where.span[1] == found[1].where.span[0]  # glued: nothing between label and number


def test_longde_scrape_rows_collect_numbers_from_the_following_lines() -> None:
    document = read_document(LONGDE)
    assert document.kind is Kind.TEXT
    rows = {row.text: row for row in document.text_rows() if row.label}
    intake = rows["一、本年新收政府信息公开申请数量"]
    assert [n.text for n in intake.numbers] == ["0"] * 7
    assert [n.where.line for n in intake.numbers] == list(range(119, 133, 2))  # one per line, blank lines between
    assert intake.where.line == 117
    # Characters lost in the scrape stay lost: the label is kept as printed, never guessed.
    assert [n.text for n in rows["行政许"].numbers] == ["0"]
    assert "现行有效件数" in rows  # the row label 规章 is missing from the scrape, so the numbers follow the header
    # Table 四 flattened: its last header word carries the 15 figures of the data row.
    assert [n.text for n in rows["总计"].numbers] == ["0"] * 15
    assert any(
        isinstance(block, Paragraph) and block.text == "三、收到和处理政府信息公开申请情况" for block in document.blocks
    )
    assert not document.notes  # characters were dropped, not replaced: nothing says so in the text itself
    assert document.meta.published == dt.date(2022, 1, 19)


def test_longde_numbering_followed_by_a_space() -> None:
    document = read_document(LONGDE)
    labels = [row.text for row in document.text_rows()]
    assert any(label.startswith("1. 申请人无正当理由") for label in labels)


def test_pingtan_scrape_on_one_line() -> None:
    document = read_document(PINGTAN)
    rows = [row for row in document.text_rows() if row.label]
    by_label = {row.text: [n.text for n in row.numbers] for row in rows}
    assert by_label["二、上年结转政府信息公开申请数量"] == ["0000000"]
    assert by_label["3.其他"] == ["1000001"]
    assert by_label["（七）总计"] == ["14710000148"]  # never split by guessing
    assert by_label["行政规范性文件"] == ["5845546"]
    assert all(row.where.line == 10 for row in rows if row.text == "3.其他")
    meta = document.meta
    assert meta.title == "平潭综合实验区2025年度政府信息公开工作年度报告"
    assert meta.url == "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202603/t20260313_105587.htm"
    assert {(c.origin, c.value) for c in meta.dates} == {
        ("text", dt.date(2026, 3, 10)),
        ("url", dt.date(2026, 3, 13)),
    }
    assert meta.published == dt.date(2026, 3, 10)


def test_rows_across_lines() -> None:
    data = "标题：某局年报\n\n一、收到\n3\n\n4 5\n二、结转 6 7\n8\n说明文字\n另一段\n9 十\n".encode()
    document = text_reader.read(data, source="x.txt")
    shapes = [
        (type(b).__name__, b.text, [n.text for n in b.numbers] if isinstance(b, TextRow) else None)
        for b in document.blocks
    ]
    assert shapes == [
        ("Paragraph", "标题：某局年报", None),
        ("TextRow", "一、收到", ["3", "4", "5"]),
        ("TextRow", "二、结转", ["6", "7", "8"]),
        ("Paragraph", "说明文字", None),
        ("Paragraph", "另一段", None),
        ("TextRow", "", ["9"]),  # numbers that open a line with words after them start a row of their own
        ("Paragraph", "十", None),
    ]
    assert document.meta.title == "某局年报"


def test_replacement_characters_are_reported() -> None:
    document = text_reader.read("行政许\ufffd 0\n".encode(), source="x.txt")
    assert [row.text for row in document.text_rows()] == ["行政许\ufffd"]
    assert any("丢失" in note.message for note in document.notes)


def test_gb18030_scrape_and_placeholders() -> None:
    data = "行政复议 3 / — 0\n".encode("gb18030")
    document = read_document(data, name="scrape.txt")
    (row,) = document.text_rows()
    assert [(n.kind, n.text) for n in row.numbers] == [
        (TokenKind.NUMBER, "3"),
        (TokenKind.PLACEHOLDER, "/"),
        (TokenKind.PLACEHOLDER, "—"),
        (TokenKind.NUMBER, "0"),
    ]
    assert document.meta.encoding.startswith("gb18030")


def test_limits() -> None:
    with pytest.raises(PublishedDocumentError, match="行数过多"):
        text_reader.read(b"1\n" * 100, source="x.txt", limits=ReadLimits(max_lines=50))
    with pytest.raises(PublishedDocumentError, match="过大"):
        text_reader.read(b"x" * 100, source="x.txt", limits=ReadLimits(max_text_bytes=50))
