"""Formulas as a workbook stores them: tokens, shared-formula translation, and a tiny evaluator.

A filled form holds few kinds of formulas: the totals the form was built with (``SUM(D6:I6)``), and what a
person may type into an input cell (``2+3``, ``D6+D7-1``). :func:`evaluate` computes exactly that subset
from the cells' stored values (SUM of references and ranges, unary and binary + and −, numbers, brackets)
so a reader can tell whether the result Excel stored still agrees with its arguments; anything else is
:class:`NotVerifiable` with the reason. :func:`external_references` finds references to other workbooks
(``[1]Sheet1!A1``, ``'[other.xlsx]Sheet'!A1``), whose stored results no reader can check.

Formulas are untrusted text: tokenizing is linear, ranges are bounded (:data:`MAX_RANGE_CELLS`), and the
evaluator's recursion is bounded by the formula's length, which Excel caps at 8,192 characters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Final

from attrs import frozen

__all__ = [
    "MAX_RANGE_CELLS",
    "NOT_READ",
    "NO_RESULT",
    "NotVerifiable",
    "Ref",
    "Token",
    "Verified",
    "column_letters",
    "column_number",
    "evaluate",
    "external_references",
    "tokenize",
    "translate",
]

#: The most cells a formula's ranges may cover before evaluating it is refused as not verifiable.
MAX_RANGE_CELLS: Final = 100_000
#: The longest formula evaluated (Excel's own limit); longer ones are not verifiable.
MAX_FORMULA_CHARS: Final = 8_192
_MAX_ROW: Final = 1_048_576
_MAX_COL: Final = 16_384


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: What a lookup returns for a cell the reader did not read (outside the rows and columns it kept).
NOT_READ: Final = _Sentinel("NOT_READ")
#: What a lookup returns for a formula cell that has no stored result.
NO_RESULT: Final = _Sentinel("NO_RESULT")

#: ``lookup(sheet, row, col)``: the stored value of a cell (None when empty), NOT_READ or NO_RESULT;
#: ``sheet`` is None for the formula's own sheet.
Lookup = Callable[[str | None, int, int], object]


def column_number(letters: str) -> int:
    """``"D"`` → 4, ``"AA"`` → 27."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number: int) -> str:
    """4 → ``"D"``, 27 → ``"AA"``."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@frozen
class Ref:
    """A cell reference: its sheet (None: the formula's own), column and row, and which parts are absolute."""

    sheet: str | None
    col: int
    row: int
    col_absolute: bool = False
    row_absolute: bool = False
    #: The workbook part of a reference to another workbook (``[1]``, ``[other.xlsx]``); "" for this one.
    external: str = ""

    def __str__(self) -> str:
        return f"{column_letters(self.col)}{self.row}"


@frozen
class Token:
    """One token of a formula: its kind, its text and where it stands (``start``, ``end``)."""

    kind: str  # num str bool err ref range name func op ( ) , ; { } space
    text: str
    start: int
    end: int
    refs: tuple[Ref, ...] = ()
    #: The text of the sheet prefix (``'三、依申请公开'!``) of a reference, kept verbatim when translating.
    prefix: str = ""


@frozen
class Verified:
    """The value the formula gives from its arguments' stored values."""

    value: float


@frozen
class NotVerifiable:
    """Why a formula cannot be evaluated here (in Chinese, for a note)."""

    reason: str


class _Unsupported(Exception):
    """Inside the evaluator: the formula leaves the supported subset (the message says why)."""


_CELL = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})(?![\w.(!\u0080-\uffff])")
_IDENT = re.compile(r"[A-Za-z_\\\u0080-\uffff][\w.\\?\u0080-\uffff]*")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ERROR = re.compile(r"#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!|FIELD!|BLOCKED!)")
_OPS = ("<>", "<=", ">=", "+", "-", "*", "/", "^", "&", "=", "<", ">", "%", ":")
_PUNCT = "(),;{}"


def _cell_at(text: str, pos: int, sheet: str | None, external: str) -> tuple[Ref, int] | None:
    match = _CELL.match(text, pos)
    if match is None:
        return None
    col = column_number(match.group(2))
    row = int(match.group(4))
    if not (1 <= col <= _MAX_COL and 1 <= row <= _MAX_ROW):
        return None
    return Ref(sheet, col, row, bool(match.group(1)), bool(match.group(3)), external), match.end()


def _split_sheet(prefix: str) -> tuple[str, str]:
    """``'[other.xlsx]Sheet'`` → (``[other.xlsx]``, ``Sheet``); ``三、依申请公开`` → ("", the name)."""
    bracket = prefix.find("[")
    close = prefix.find("]", bracket)
    if bracket >= 0 and close > bracket:
        return prefix[: close + 1], prefix[close + 1 :]
    return "", prefix


def _reference(text: str, pos: int, prefix_text: str, sheet: str | None, external: str) -> Token | None:
    """A cell or range reference at ``pos`` (after any sheet prefix, which ``prefix_text`` holds)."""
    start = pos - len(prefix_text)
    first = _cell_at(text, pos, sheet, external)
    if first is None:
        return None
    ref, end = first
    if end < len(text) and text[end] == ":":
        second = _cell_at(text, end + 1, sheet, external)
        if second is not None:
            other, end = second
            return Token("range", text[start:end], start, end, (ref, other), prefix_text)
    return Token("ref", text[start:end], start, end, (ref,), prefix_text)


def tokenize(formula: str) -> list[Token]:
    """The tokens of a formula (without its leading ``=``); raises ValueError when it cannot be split."""
    tokens: list[Token] = []
    pos = 0
    length = len(formula)
    while pos < length:
        char = formula[pos]
        if char.isspace():
            end = pos + 1
            while end < length and formula[end].isspace():
                end += 1
            tokens.append(Token("space", formula[pos:end], pos, end))
            pos = end
            continue
        if char == '"':
            end = pos + 1
            while True:
                close = formula.find('"', end)
                if close < 0:
                    raise ValueError("unterminated string")
                if formula.startswith('""', close):
                    end = close + 2
                    continue
                end = close + 1
                break
            tokens.append(Token("str", formula[pos:end], pos, end))
            pos = end
            continue
        if char == "'":
            end = pos + 1
            while True:
                close = formula.find("'", end)
                if close < 0:
                    raise ValueError("unterminated sheet name")
                if formula.startswith("''", close):
                    end = close + 2
                    continue
                end = close + 1
                break
            if end >= length or formula[end] != "!":
                raise ValueError("quoted name without a reference")
            inner = formula[pos + 1 : end - 1].replace("''", "'")
            external, sheet = _split_sheet(inner)
            prefix = formula[pos : end + 1]
            token = _reference(formula, end + 1, prefix, sheet, external)
            if token is None:
                name = _IDENT.match(formula, end + 1)
                stop = name.end() if name else end + 1
                token = Token("name", formula[pos:stop], pos, stop, prefix=prefix)
            tokens.append(token)
            pos = token.end
            continue
        if char == "[":
            close = formula.find("]", pos)
            if close < 0:
                raise ValueError("unterminated workbook reference")
            book = formula[pos : close + 1]
            name = _IDENT.match(formula, close + 1)
            stop = name.end() if name else close + 1
            if stop < length and formula[stop] == "!":
                prefix = formula[pos : stop + 1]
                token = _reference(formula, stop + 1, prefix, formula[close + 1 : stop], book)
                if token is None:
                    after = _IDENT.match(formula, stop + 1)
                    end = after.end() if after else stop + 1
                    token = Token("name", formula[pos:end], pos, end, (Ref(None, 1, 1, external=book),), prefix)
            else:
                token = Token("name", formula[pos:stop], pos, stop, (Ref(None, 1, 1, external=book),))
            tokens.append(token)
            pos = token.end
            continue
        if char == "#":
            match = _ERROR.match(formula, pos)
            if match is None:
                raise ValueError("unknown error literal")
            tokens.append(Token("err", match.group(0), pos, match.end()))
            pos = match.end()
            continue
        if char.isdigit() or (char == "." and pos + 1 < length and formula[pos + 1].isdigit()):
            match = _NUMBER.match(formula, pos)
            assert match is not None
            tokens.append(Token("num", match.group(0), pos, match.end()))
            pos = match.end()
            continue
        if char == "$" or char.isalpha() or char in "_\\" or ord(char) >= 0x80:
            token = _reference(formula, pos, "", None, "")
            if token is not None:
                tokens.append(token)
                pos = token.end
                continue
            match = _IDENT.match(formula, pos)
            if match is None:
                raise ValueError(f"unexpected {char!r}")
            word = match.group(0)
            end = match.end()
            if end < length and formula[end] == "!":
                prefix = formula[pos : end + 1]
                token = _reference(formula, end + 1, prefix, word, "")
                if token is None:
                    after = _IDENT.match(formula, end + 1)
                    stop = after.end() if after else end + 1
                    token = Token("name", formula[pos:stop], pos, stop, prefix=prefix)
                tokens.append(token)
                pos = token.end
                continue
            if end < length and formula[end] == "(":
                tokens.append(Token("func", word, pos, end))
            elif word.upper() in ("TRUE", "FALSE"):
                tokens.append(Token("bool", word, pos, end))
            else:
                tokens.append(Token("name", word, pos, end))
            pos = end
            continue
        op = next((op for op in _OPS if formula.startswith(op, pos)), None)
        if op is not None:
            tokens.append(Token("op", op, pos, pos + len(op)))
            pos += len(op)
            continue
        if char in _PUNCT:
            tokens.append(Token(char, char, pos, pos + 1))
            pos += 1
            continue
        raise ValueError(f"unexpected {char!r}")
    return tokens


def external_references(formula: str) -> tuple[str, ...]:
    """The references to other workbooks in a formula (``[1]Sheet1!A1``), as written; () when none."""
    try:
        tokens = tokenize(formula)
    except ValueError:
        return ()
    return tuple(token.text for token in tokens if any(ref.external for ref in token.refs))


def _shift(ref: Ref, rows: int, cols: int) -> str:
    col = ref.col if ref.col_absolute else ref.col + cols
    row = ref.row if ref.row_absolute else ref.row + rows
    if not (1 <= col <= _MAX_COL and 1 <= row <= _MAX_ROW):
        return "#REF!"
    return f"{'$' if ref.col_absolute else ''}{column_letters(col)}{'$' if ref.row_absolute else ''}{row}"


def translate(formula: str, rows: int, cols: int) -> str:
    """A shared formula as it reads in a cell ``rows`` below and ``cols`` right of its master cell."""
    try:
        tokens = tokenize(formula)
    except ValueError:
        return formula
    parts: list[str] = []
    last = 0
    for token in tokens:
        if token.kind not in ("ref", "range"):
            continue
        parts.append(formula[last : token.start])
        parts.append(token.prefix + ":".join(_shift(ref, rows, cols) for ref in token.refs))
        last = token.end
    parts.append(formula[last:])
    return "".join(parts)


class _Evaluator:
    def __init__(self, tokens: list[Token], lookup: Lookup) -> None:
        self.tokens = [token for token in tokens if token.kind != "space"]
        self.pos = 0
        self.lookup = lookup
        self.cells = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise _Unsupported("公式不完整")
        self.pos += 1
        return token

    def expect(self, kind: str) -> None:
        token = self.take()
        if token.kind != kind:
            raise _Unsupported(f"含有 reportkit 不核对的写法“{token.text}”")

    def formula(self) -> float:
        value = self.expression()
        token = self.peek()
        if token is not None:
            raise _Unsupported(f"含有 reportkit 不核对的写法“{token.text}”")
        return value

    def expression(self) -> float:
        value = self.term()
        while (token := self.peek()) is not None and token.kind == "op" and token.text in "+-":
            self.pos += 1
            right = self.term()
            value = value + right if token.text == "+" else value - right
        return value

    def term(self) -> float:
        sign = 1.0
        while (token := self.peek()) is not None and token.kind == "op" and token.text in "+-":
            self.pos += 1
            sign = -sign if token.text == "-" else sign
        value = self.primary()
        token = self.peek()
        if token is not None and token.kind == "op" and token.text not in "+-":
            raise _Unsupported(f"含有 reportkit 不核对的运算“{token.text}”")
        return sign * value

    def primary(self) -> float:
        token = self.take()
        if token.kind == "num":
            return float(token.text)
        if token.kind == "(":
            value = self.expression()
            self.expect(")")
            return value
        if token.kind == "ref":
            return self.operand(token.refs[0])
        if token.kind == "func":
            if token.text.upper() != "SUM":
                raise _Unsupported(f"含有 reportkit 不核对的函数 {token.text}")
            return self.sum()
        raise _Unsupported(f"含有 reportkit 不核对的写法“{token.text}”")

    def sum(self) -> float:
        self.expect("(")
        total = 0.0
        if (token := self.peek()) is not None and token.kind == ")":
            self.pos += 1
            return total
        while True:
            token = self.peek()
            following = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else None
            if (
                token is not None
                and token.kind in ("ref", "range")
                and following is not None
                and following.kind in (",", ")")
            ):
                self.pos += 1
                total += self.range_sum(token.refs)
            else:
                total += self.expression()
            token = self.take()
            if token.kind == ")":
                return total
            if token.kind != ",":
                raise _Unsupported(f"含有 reportkit 不核对的写法“{token.text}”")

    def value(self, ref: Ref) -> object:
        if ref.external:
            raise _Unsupported("引用了其他工作簿")
        value = self.lookup(ref.sheet, ref.row, ref.col)
        if value is NOT_READ:
            raise _Unsupported(f"引用了 reportkit 未读取的单元格 {ref}")
        if value is NO_RESULT:
            raise _Unsupported(f"引用的单元格 {ref} 是没有计算结果的公式")
        return value

    def operand(self, ref: Ref) -> float:
        """A cell as an operand of + and −: blank is 0, TRUE is 1, text must be a number."""
        value = self.value(ref)
        if value is None:
            return 0.0
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise _Unsupported(f"引用的单元格 {ref} 是文字“{value[:20]}”") from None
            if math.isfinite(number):
                return number
        raise _Unsupported(f"引用的单元格 {ref} 不是数值")

    def range_sum(self, refs: tuple[Ref, ...]) -> float:
        """SUM over a reference or range: numbers add up; blanks, text and TRUE/FALSE are skipped, as in Excel."""
        first, last = refs[0], refs[-1]
        if first.sheet != last.sheet or first.external or last.external:
            raise _Unsupported("引用了其他工作簿" if first.external or last.external else "跨工作表的区域")
        rows = range(min(first.row, last.row), max(first.row, last.row) + 1)
        cols = range(min(first.col, last.col), max(first.col, last.col) + 1)
        self.cells += len(rows) * len(cols)
        if self.cells > MAX_RANGE_CELLS:
            raise _Unsupported("引用的区域过大")
        total = 0.0
        for row in rows:
            for col in cols:
                value = self.value(Ref(first.sheet, col, row))
                if isinstance(value, bool) or value is None or isinstance(value, str):
                    continue
                if isinstance(value, int | float):
                    total += value
                    continue
                raise _Unsupported(f"引用的单元格 {Ref(first.sheet, col, row)} 不是数值")
        return total


def evaluate(formula: str, lookup: Lookup) -> Verified | NotVerifiable:
    """The value of ``formula`` (without its ``=``) from the stored values ``lookup`` gives, when the
    formula is within the supported subset; otherwise why not."""
    if len(formula) > MAX_FORMULA_CHARS:
        return NotVerifiable("公式过长")
    try:
        tokens = tokenize(formula)
    except ValueError:
        return NotVerifiable("公式无法解析")
    if any(ref.external for token in tokens for ref in token.refs):
        return NotVerifiable("引用了其他工作簿")
    try:
        value = _Evaluator(tokens, lookup).formula()
    except _Unsupported as exc:
        return NotVerifiable(str(exc))
    except RecursionError:  # a thousand nested brackets
        return NotVerifiable("公式嵌套过深")
    if not math.isfinite(value):
        return NotVerifiable("计算结果不是有限的数")
    return Verified(value)
