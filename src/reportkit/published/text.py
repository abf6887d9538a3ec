"""Plain text: a scrape of a report, where tables have been flattened into runs of words and numbers.

Each line is cut into tokens: labels (words), numbers (a run of digits, with an optional sign, decimal
part or thousands separators; full-width digits accepted) and placeholders (a stand-alone "/", "-" or
"—" where a number would be). A run of digits is one token however long: "640020470" may be five cells
glued together, but where they part is for the mapper to decide from what it expects, never for the
reader to guess. The one split the reader makes is structural: in "00000002.其他", the digit right before
"." (or "、") and a word is the numbering of the next label ("2."), not part of the number.

A label with the numbers after it, on its line and on the lines below that hold only numbers, becomes
a :class:`TextRow`; a line with no numbers is a :class:`Paragraph` (unless numbers follow on the next
lines, which makes it the label of a row). Tokens keep their line and character span, so adjacency
(two tokens with nothing between them) stays visible.
"""

from __future__ import annotations

import re
import unicodedata

from reportkit.errors import Problem
from reportkit.published._common import DEFAULT_LIMITS, ReadLimits, clean, dates_in_line, decode, too_large
from reportkit.published.model import (
    Block,
    DateClaim,
    Document,
    Kind,
    Meta,
    Paragraph,
    PublishedDocumentError,
    TextRow,
    Token,
    TokenKind,
    Where,
)

__all__ = ["read", "tokens"]

_WORD = re.compile(r"[^\s\u00a0\u3000]+")
_NUMBER = re.compile(
    r"(?:(?<![0-9０-９])[-+－−])?(?:[0-9０-９]{1,3}(?:[,，][0-9０-９]{3})+(?![0-9０-９])|[0-9０-９]+)(?:[.．][0-9０-９]+)?"
)
_PLACEHOLDER = re.compile(r"[/／\\\-－—–_]{1,4}")
_NUMBERING_MARK = ".．、"
_URL = re.compile(r"https?://[^\s\u3000\"'<>]+")
_TITLE_LINE = re.compile(r"^\s*(?:标题|题目|文章标题)\s*[:：]\s*(.+)$")


_LABEL_FOLLOWS = re.compile(r"[\s\u00a0\u3000]*[^\s\u00a0\u3000\d０-９]")


def _is_numbering(line: str, end: int) -> bool:
    """Whether the digit just before ``end`` opens a label ("2.其他", "1、本机关", "1. 申请人"): a numbering
    mark, then (maybe after spaces) a character that is not a digit."""
    if end >= len(line) or line[end] not in _NUMBERING_MARK:
        return False
    return _LABEL_FOLLOWS.match(line, end + 1) is not None


def tokens(line: str, number: int) -> list[Token]:
    """The tokens of one line (``number`` is its 1-based line number)."""
    pieces: list[tuple[TokenKind, int, int]] = []
    for word in _WORD.finditer(line):
        start, end = word.span()
        if _PLACEHOLDER.fullmatch(word[0]):
            pieces.append((TokenKind.PLACEHOLDER, start, end))
            continue
        if _URL.match(word[0]):
            pieces.append((TokenKind.LABEL, start, end))  # digits in an address are not figures
            continue
        cursor = start
        for match in _NUMBER.finditer(line, start, end):
            m_start, m_end = match.span()
            digits_only = match[0].isdigit()
            if digits_only and _is_numbering(line, m_end):
                m_end -= 1  # the last digit numbers the next label
            if m_end <= m_start:
                continue
            if m_start > cursor:
                pieces.append((TokenKind.LABEL, cursor, m_start))
            pieces.append((TokenKind.NUMBER, m_start, m_end))
            cursor = m_end
        if cursor < end:
            pieces.append((TokenKind.LABEL, cursor, end))
    # Words of one label separated by spaces ("本年度办 理结果") are one label.
    merged: list[tuple[TokenKind, int, int]] = []
    for kind, start, end in pieces:
        if merged and kind is TokenKind.LABEL and merged[-1][0] is TokenKind.LABEL:
            merged[-1] = (kind, merged[-1][1], end)
        else:
            merged.append((kind, start, end))
    out: list[Token] = []
    for kind, start, end in merged:
        raw = line[start:end]
        text = unicodedata.normalize("NFKC", raw).replace("−", "-") if kind is TokenKind.NUMBER else clean(raw)
        out.append(Token(kind, text, raw, Where(line=number, span=(start, end))))
    return out


class _Rows:
    """Groups tokens into rows: a label and the numbers after it, across lines that hold only numbers."""

    def __init__(self) -> None:
        self.blocks: list[Paragraph | TextRow] = []
        self.label: Token | None = None
        self.label_line = ""
        self.numbers: list[Token] = []
        self.open = False

    def flush(self) -> None:
        if not self.open:
            return
        if self.numbers:
            where = self.label.where if self.label else self.numbers[0].where
            line = where.line
            self.blocks.append(TextRow(self.label, tuple(self.numbers), Where(line=line)))
        elif self.label is not None:
            self.blocks.append(Paragraph(clean(self.label_line), self.label_line, Where(line=self.label.where.line)))
        self.label, self.label_line, self.numbers, self.open = None, "", [], False

    def start(self, label: Token | None, line: str) -> None:
        self.flush()
        self.label, self.label_line, self.numbers, self.open = label, line, [], True

    def line(self, raw: str, found: list[Token]) -> None:
        if not found:
            return
        if all(token.kind is not TokenKind.LABEL for token in found):
            if not self.open:
                self.start(None, "")
            self.numbers.extend(found)
            return
        if found[0].kind is not TokenKind.LABEL:
            self.start(None, "")
        for token in found:
            if token.kind is TokenKind.LABEL:
                # A label alone on its line is the paragraph it is; a label among numbers is just itself.
                self.start(token, raw if len(found) == 1 else token.raw)
            else:
                self.numbers.append(token)


def read(data: bytes, *, source: str, limits: ReadLimits = DEFAULT_LIMITS) -> Document:
    """Read a text scrape (its bytes) into a :class:`Document`."""
    if len(data) > limits.max_text_bytes:
        raise too_large(source, "文本文件", len(data), limits.max_text_bytes)
    notes: list[Problem] = []
    text, encoding = decode(data, None, source, notes)
    lines = text.splitlines()
    if len(lines) > limits.max_lines:
        raise PublishedDocumentError(f"文本行数过多（超过 {limits.max_lines} 行），已拒绝", source=source)
    rows = _Rows()
    count = 0
    for number, line in enumerate(lines, start=1):
        found = tokens(line, number)
        count += len(found)
        if count > limits.max_blocks * 4:
            raise PublishedDocumentError(f"文本内容过多（超过 {limits.max_blocks * 4} 个词），已拒绝", source=source)
        rows.line(line, found)
    rows.flush()
    blocks: tuple[Block, ...] = tuple(rows.blocks)
    if "\ufffd" in text:
        lost = text.count("\ufffd")
        notes.append(Problem(source, f"文本中有 {lost} 处字符已丢失（�）；标签可能不完整，请对照原文核对"))
    return Document(Kind.TEXT, source, blocks, tuple(notes), _meta(lines, encoding))


def _meta(lines: list[str], encoding: str) -> Meta:
    title = ""
    url = ""
    dates: list[DateClaim] = []
    properties: list[tuple[str, str]] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        where = Where(line=number)
        dates.extend(dates_in_line(stripped, where))
        if number > 40 or len(stripped) > 300:
            continue
        match = _TITLE_LINE.match(stripped)
        if match and not title:
            title = clean(match[1])
            properties.append(("标题", title))
        found = _URL.search(stripped)
        if found and not url:
            url = found[0].rstrip("。，,.;；)）")
            properties.append(("url", url))
    if not title:
        first = next((clean(line) for line in lines if line.strip()), "")
        title = first if len(first) <= 80 else ""
    return Meta(title, url, encoding, tuple(dates), tuple(properties))
