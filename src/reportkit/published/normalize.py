"""Normalising label text for matching a published cell against an official label.

A published label differs from the official one in ways that do not change what it says: full-width or
ASCII forms (NFKC), traditional characters (a traditional-character republication), other quotation
marks or brackets, line breaks and spaces of a narrow cell, and its numbering ("（三）", "1.", "1、").
:func:`label_key` removes all of these, but keeps what it removed as a signal (the numbering, parsed;
whether the text had spaces inside), so a mapper can prefer an exact match and tell "（六）其他处理" from
a sub-item.

The traditional → simplified table covers the characters that occur in the official labels of the
supported formats (data here, not a dependency); other characters pass through unchanged.
"""

from __future__ import annotations

import re
import unicodedata

from attrs import frozen

__all__ = ["LabelKey", "Numbering", "label_key", "normalize_text", "simplified"]

#: Traditional (or variant) form → simplified form, for the characters of the official labels.
_PAIRS = (
    "萬万與与業业為为爲为舉举鄉乡郷乡於于會会體体關关內内決决況况辦办務务動动區区華华單单廳厅縣县發发隻只祇只"
    "臺台檯台號号後后國国處处処处復复複复審审屬属並并併并廢废開开強强彊强當当總总縂总執执護护報报據据數数無无"
    "時时機机權权條条構构沒没現现監监確确稱称穩稳類类係系繫系糾纠級级納纳組组織织經经結结繼继續续維维繳缴罰罚"
    "罸罚範范獲获穫获補补規规計计認认議议許许訟讼設设訪访評评訴诉詢询請请責责費费轉转過过這这進进鎮镇門门問问"
    "項项題题額额祕秘"
)
_TRADITIONAL = {_PAIRS[i]: _PAIRS[i + 1] for i in range(0, len(_PAIRS), 2) if _PAIRS[i] != _PAIRS[i + 1]}

#: After NFKC: quotation marks to '"', brackets to their ASCII forms, dashes to '-'.
_UNIFY = str.maketrans(
    {
        **dict.fromkeys("“”„‟「」『』〝〞〟‘’‚‛'`´", '"'),
        **dict.fromkeys("【〔〖〘〚［", "["),
        **dict.fromkeys("】〕〗〙〛］", "]"),
        **dict.fromkeys("〈《‹«", "<"),
        **dict.fromkeys("〉》›»", ">"),
        **dict.fromkeys("‐‑‒–—―−－﹣⸺⸻", "-"),
        "﹝": "(",
        "﹞": ")",
    }
)
_SPACE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")

_CJK_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CJK_NUMBER = "[零〇一二两三四五六七八九十百]{1,4}"
_NUMBERING = re.compile(
    rf"^(?:(?P<paren_cjk>\(({_CJK_NUMBER})\))|(?P<cjk>({_CJK_NUMBER}))、|(?P<paren_arabic>\((\d{{1,3}})\))"
    r"|(?P<arabic>(\d{1,3}))(?:\.(?!\d)|、))"
)
_CIRCLED = re.compile(r"^[\u2460-\u2473]")  # ① … ⑳ (NFKC would make them plain digits)


def simplified(text: str) -> str:
    """``text`` with the traditional forms of the official labels' characters made simplified."""
    return "".join(_TRADITIONAL.get(char, char) for char in text)


def normalize_text(text: str) -> str:
    """NFKC, simplified characters, unified quotes/brackets/dashes, and no white space at all."""
    folded = unicodedata.normalize("NFKC", text)
    return _SPACE.sub("", simplified(folded).translate(_UNIFY))


def _cjk_value(numeral: str) -> int | None:
    """The value of a Chinese numeral up to 999 (一, 十二, 二十, 一百零五)."""
    total, current = 0, 0
    for char in numeral:
        if char in _CJK_DIGITS:
            current = _CJK_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


@frozen
class Numbering:
    """A numbering taken off the front of a label: its ``style`` (``cjk`` "三、", ``paren-cjk`` "（三）",
    ``arabic`` "3." or "3、", ``paren-arabic`` "(3)", ``circled`` "③"), its ``value`` and its text as
    normalised (``"(三)"``)."""

    style: str
    value: int
    text: str


@frozen
class LabelKey:
    """A label ready for comparison: ``key`` is the normalised text without its leading numbering;
    ``numbering`` what was taken off, outermost first ("（三）1.属于…" gives two); ``spaced`` whether the
    text had white space inside (a line break of a narrow cell, a gap where characters were lost)."""

    key: str
    numbering: tuple[Numbering, ...]
    spaced: bool
    raw: str

    @property
    def full(self) -> str:
        """The normalised text with its numbering, as one string."""
        return "".join(n.text for n in self.numbering) + self.key


def label_key(text: str, *, max_numbering: int = 3) -> LabelKey:
    """The comparable form of a label (see :class:`LabelKey`)."""
    stripped = text.strip()
    spaced = bool(_SPACE.search(unicodedata.normalize("NFKC", stripped)))
    numbering: list[Numbering] = []
    circled = _CIRCLED.match(stripped)
    if circled and len(stripped) > 1:
        numbering.append(Numbering("circled", ord(circled[0]) - 0x2460 + 1, circled[0]))
        stripped = stripped[1:]
    rest = normalize_text(stripped)
    while len(numbering) < max_numbering:
        match = _NUMBERING.match(rest)
        if match is None or match.end() == len(rest):
            break
        style = next(name for name in ("paren_cjk", "cjk", "paren_arabic", "arabic") if match[name])
        token = match[style]
        value = _cjk_value(token.strip("()")) if style in ("paren_cjk", "cjk") else int(token.strip("()"))
        if value is None:
            break
        numbering.append(Numbering(style.replace("_", "-"), value, match[0]))
        rest = rest[match.end() :]
    return LabelKey(rest, tuple(numbering), spaced, text)
