"""Reading the values people type: counts, amounts and dates, strictly but forgivingly.

Shared by the figures-file converter and the Excel form reader so both accept the same spellings:
ASCII or full-width digits (１２), surrounding spaces, a trailing count word (件、条、个、项、份、次) on a
count, the field's unit (万元 or 元) on an amount, thousands separators, a date written 2022-01-19 or
2022年1月19日. Everything else is refused with a Chinese message saying what was found: a number that is
not whole ("三", "1O", "2.5"), a digit that only looks like one ("10²", "⑩", "١٢٣", "𝟗"), a unit that does
not belong to the field, more decimals than the unit allows, a size that no agency's year can have.

An amount in the other unit of money is converted exactly when the caller collects notes (``5000元`` in a
万元 field is read as 0.5 万元, and a note says so); otherwise it is refused, naming the unit expected.
Every number is bounded before any arithmetic on it, so no input can take unbounded time or memory.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Final

from attrs import frozen

#: Counts above this are not plausible for one agency's year and are refused as typos.
MAX_COUNT: Final = 10**9
#: Amounts above this (in the field's own unit) are refused as typos of the unit or the decimal point.
MAX_AMOUNT: Final = 10**9
#: Reporting years outside this range are typos (the form refuses them too).
MIN_YEAR: Final = 1990
MAX_YEAR: Final = 2200

#: The words a count may end with: 件 (documents, applications), 条 (items), 个, 项, 份, 次.
COUNT_WORDS: Final = ("件", "条", "个", "项", "份", "次")

#: What ``reportkit init`` writes as the agency name; :func:`is_placeholder` recognises it.
AGENCY_NAME_PLACEHOLDER: Final = "（机关全称）"
#: Texts the circulated blank Word template (2021) prints where each section's text goes.
TEMPLATE_TEXT_PLACEHOLDERS: Final = ("（文字描述）", "（文字描述，收取信息处理费情况在此处报告。）")


class ValueProblem(ValueError):
    """A value that cannot be read; the message is Chinese and says what was found."""


class Unit(enum.Enum):
    """The unit of an amount of money: table 二 counts fees in 万元, the 信息处理费 figures in 元."""

    WAN_YUAN = "万元"
    YUAN = "元"

    @property
    def places(self) -> int:
        """The decimals an amount may have: 0.0001 万元 and 0.01 元 are the smallest (1 元, 1 分)."""
        return 4 if self is Unit.WAN_YUAN else 2

    @property
    def smallest(self) -> str:
        return "0.0001 万元，即 1 元" if self is Unit.WAN_YUAN else "0.01 元，即 1 分"


#: Amounts as the model annotates them: a Decimal, in 万元 or in 元.
WanYuan = Annotated[Decimal, Unit.WAN_YUAN]
Yuan = Annotated[Decimal, Unit.YUAN]


@frozen
class TextRule:
    """How a model text is checked: a name is one line without control characters; other texts may
    hold line breaks and tabs. No text may hold what XML (and so Word and Excel) cannot store."""

    one_line: bool


@frozen
class NumberText:
    """A number as a file wrote it that no Decimal can hold (``1e99999999999999999999999``): the readers of
    values refuse it, quoting ``text``."""

    text: str


def read_decimal(text: str) -> Decimal | NumberText:
    """A number literal of a file as an exact Decimal, or as :class:`NumberText` when it is out of any range."""
    try:
        return Decimal(text)
    except ArithmeticError:  # decimal.InvalidOperation: an exponent past what Decimal can represent
        return NumberText(text)


#: A one-line text (an agency name), as the model annotates it.
Name = Annotated[str, TextRule(one_line=True)]

#: Characters XML 1.0 cannot hold (so Word and Excel cannot either), and lone surrogates.
# The set of reportkit.ooxml.package.ILLEGAL_XML_CHARS (a test keeps them equal), not imported: `reportkit check`
# loads nothing of the writers.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: For one-line texts, also every other control character and the line and paragraph separators.
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def text_problem(text: str, *, one_line: bool) -> str | None:
    """Why ``text`` cannot be stored (a Chinese message), or None when it can."""
    found = (_NOT_ONE_LINE if one_line else _NOT_XML).search(text)
    if found is None:
        return None
    char = found.group()
    code = f"U+{ord(char):04X}"
    if "\ud800" <= char <= "\udfff":
        what = f"无效的字符（{code}，不成对的代理项，常见于截断的表情符号或错误的转义）"
    elif char in "\n\r\x85\u2028\u2029":
        what = f"换行（{code}）"
    else:
        what = f"控制字符 {code}"
    where = f"第 {found.start() + 1} 个字符"
    if one_line:
        return f"名称中不能有{what}（{where}）；名称应为一行普通文字"
    return f"文字中有{what}（{where}），Word 和 Excel 无法保存；请删除该字符"


def printable(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters, with control characters and lone surrogates escaped, so a
    message quoting it can always be printed."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    return _NOT_ONE_LINE.sub(lambda m: f"\\u{ord(m.group()):04x}", shown)


def _exponent(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    return exponent


def describe(value: object) -> str:
    """How a found value is quoted in a message (never longer than a line, whatever the value)."""
    if isinstance(value, str):
        return f"“{printable(value)}”"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value.bit_length() > 128:  # str() of a huge int is slow, and refused past 4300 digits
            return f"（约 {int(value.bit_length() * math.log10(2)) + 1} 位的整数）"
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        sign, digits, _ = value.as_tuple()
        if len(digits) > 40:
            head, tail = "".join(map(str, digits[:6])), "".join(map(str, digits[-4:]))
            return f"{'-' if sign else ''}{head}…{tail}（{len(digits)} 位数字）"
        if -40 <= value.adjusted() <= 40 and _exponent(value) >= -40:
            return format_amount(value)
        return str(value)  # 1E+999999999: short, and exact
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return f"一个列表（{len(value)} 项）"
    if isinstance(value, dict):
        return f"一个表（{len(value)} 个键）"
    if value is None:
        return "空值（null）"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, NumberText):
        return printable(value.text)
    return f"{type(value).__name__} 类型的值"


# ---------------------------------------------------------------------------------------------------
# Digits
# ---------------------------------------------------------------------------------------------------

#: Full-width digits and the full-width signs a number or a date may be written with.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９，．－／", "0123456789,.-/")
#: Unicode gives 万 a numeric value, but here it is part of the unit 万元.
_UNIT_CHARS = frozenset("万")


def _number_text(text: str, expected: str) -> str:
    """``text`` stripped, with full-width digits and signs made ASCII; a digit-like character of any
    other kind (superscripts, circled or Arabic-Indic digits, Chinese numerals) is refused, the
    message saying what was ``expected``."""
    cleaned = text.strip().translate(_FULL_WIDTH)
    for char in cleaned:
        if char.isascii() or char in _UNIT_CHARS:
            continue
        if unicodedata.category(char).startswith("N") or unicodedata.numeric(char, None) is not None:
            raise ValueProblem(
                f"应为{expected}，而不是 {describe(text)}：“{char}”不是阿拉伯数字，请只用 0–9（全角０–９亦可）书写"
            )
    return cleaned


# ---------------------------------------------------------------------------------------------------
# Counts
# ---------------------------------------------------------------------------------------------------

_COUNT_RE = re.compile(r"[0-9]{1,3}(,[0-9]{3})+|[0-9]+")
_AMOUNT_RE = re.compile(r"([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?")
#: Digits beyond this in a typed number are a typo whatever the number: refused before any conversion.
_MAX_TYPED_DIGITS = 30


def _out_of_range(value: NumberText) -> ValueProblem:
    return ValueProblem(f"数值 {describe(value)} 超出可读取的范围，请检查是否多输了数字")


def _not_a_count(value: object) -> ValueProblem:
    return ValueProblem(f"应为非负整数，而不是 {describe(value)}")


def _too_large_count(value: object) -> ValueProblem:
    return ValueProblem(f"数值 {describe(value)} 超过合理范围（不大于 {MAX_COUNT}），请检查是否多输了数字")


def parse_count(value: object) -> int:
    """A non-negative whole number from an int, a whole float (Excel stores numbers as floats) or text."""
    if type(value) is int and 0 <= value <= MAX_COUNT:  # the common case, as the checks below would pass it
        return value
    if isinstance(value, bool):
        raise _not_a_count(value)
    if isinstance(value, NumberText):
        raise _out_of_range(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise _not_a_count(value)
        if abs(value) > MAX_COUNT:
            raise _too_large_count(value)
        number = int(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise _not_a_count(value)
        # Bounded before any arithmetic: int(1e999999999) would build a billion digits.
        if not value.is_zero() and value.adjusted() > 12:
            raise _too_large_count(value)
        exponent = _exponent(value)
        if (
            exponent < 0
            and not value.is_zero()
            and (value.adjusted() < 0 or exponent < -_MAX_TYPED_DIGITS or value != value.to_integral_value())
        ):
            raise _not_a_count(value)
        number = int(value)
    elif isinstance(value, str):
        cleaned = _number_text(value, "非负整数")
        for word in COUNT_WORDS:
            if cleaned.endswith(word):
                cleaned = cleaned[: -len(word)].rstrip()
                break
        else:
            if cleaned.endswith("元"):
                unit = "万元" if cleaned.endswith("万元") else "元"
                raise ValueProblem(f"这是数量（件数），不应带金额单位“{unit}”：{describe(value)}")
        if not _COUNT_RE.fullmatch(cleaned):
            raise _not_a_count(value)
        digits = cleaned.replace(",", "")
        if len(digits.lstrip("0")) > _MAX_TYPED_DIGITS:
            raise _too_large_count(value)
        number = int(digits)
    else:
        raise _not_a_count(value)
    if number < 0:
        raise ValueProblem(f"应为非负整数，而不是 {describe(number)}")
    if number > MAX_COUNT:
        raise _too_large_count(number)
    return number


# ---------------------------------------------------------------------------------------------------
# Amounts
# ---------------------------------------------------------------------------------------------------


def _not_an_amount(value: object, unit: Unit) -> ValueProblem:
    return ValueProblem(f"应为非负金额（单位：{unit.value}），而不是 {describe(value)}")


def _too_large_amount(value: object, unit: Unit) -> ValueProblem:
    return ValueProblem(f"金额 {describe(value)} 超过合理范围（不大于 {MAX_AMOUNT} {unit.value}），请检查单位和小数点")


def _shifted(amount: Decimal, places: int) -> Decimal:
    """``amount`` × 10^places, exactly (no context rounding)."""
    sign, digits, _ = amount.as_tuple()
    return Decimal((sign, digits, _exponent(amount) + places))


def _decimals(amount: Decimal) -> int:
    return max(0, -_exponent(amount))


def _at_most(amount: Decimal, places: int) -> Decimal | None:
    """``amount`` with at most ``places`` decimals (trailing zeros beyond them dropped), or None when
    it has a non-zero digit beyond them."""
    if _decimals(amount) <= places:
        return amount
    sign, digits, _ = amount.as_tuple()
    extra = -_exponent(amount) - places
    if any(digits[-extra:]):
        return None
    return Decimal((sign, digits[:-extra] or (0,), -places))


def parse_amount(value: object, unit: Unit = Unit.WAN_YUAN, notes: list[str] | None = None) -> Decimal:
    """A non-negative amount in ``unit`` as an exact Decimal with at most ``unit.places`` decimals.

    Text may end with the unit (``3万元``, ``300元``). Text in the other unit is converted exactly when
    ``notes`` is a list (a note saying so is appended to it) and refused otherwise. A float (Excel) is
    read through its shortest repr. Amounts are kept as written (12.50 stays 12.50)."""
    written_in = unit
    if isinstance(value, bool):
        raise _not_an_amount(value, unit)
    if isinstance(value, NumberText):
        raise _out_of_range(value)
    if isinstance(value, int):
        if abs(value) > 10**15:
            raise _too_large_amount(value, unit)
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _not_an_amount(value, unit)
        amount = Decimal(repr(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise _not_an_amount(value, unit)
        amount = value
    elif isinstance(value, str):
        cleaned = _number_text(value, f"非负金额（单位：{unit.value}）")
        if cleaned.endswith("万元"):
            written_in, cleaned = Unit.WAN_YUAN, cleaned[:-2].rstrip()
        elif cleaned.endswith("元"):
            written_in, cleaned = Unit.YUAN, cleaned[:-1].rstrip()
        elif cleaned.endswith(COUNT_WORDS):
            raise ValueProblem(f"这是金额（单位：{unit.value}），不应带数量单位“{cleaned[-1]}”：{describe(value)}")
        if not _AMOUNT_RE.fullmatch(cleaned) or len(cleaned) > 2 * _MAX_TYPED_DIGITS:
            raise _not_an_amount(value, unit)
        amount = Decimal(cleaned.replace(",", ""))
    else:
        raise _not_an_amount(value, unit)
    # Bounded before any arithmetic: 1e999999999 or 1e-999999999 never reach a conversion.
    if not amount.is_zero() and amount.adjusted() > 15:
        raise _too_large_amount(value, unit)
    if _decimals(amount) > 2 * _MAX_TYPED_DIGITS:
        raise ValueProblem(f"{describe(value)} 的小数位数过多；{unit.value}金额最多 {unit.places} 位小数")
    if amount.is_zero():
        amount = Decimal(0).scaleb(-_decimals(amount))  # -0 is 0
    if amount < 0:
        raise ValueProblem(f"应为非负金额，而不是 {describe(value)}")
    if written_in is not unit:
        converted = _shifted(amount, -4 if unit is Unit.WAN_YUAN else 4)
        if notes is None:
            raise ValueProblem(
                f"此处金额的单位是{unit.value}，而填的是 {describe(value)}（单位：{written_in.value}）；"
                f"请改以{unit.value}填写（即 {format_amount(_plain(converted))} {unit.value}）"
            )
        exact = _at_most(converted, unit.places)
        if exact is None:
            raise ValueProblem(
                f"{describe(value)} 换算为{unit.value}是 {format_amount(_plain(converted))}，超过{unit.value}金额的 "
                f"{unit.places} 位小数（最小单位 {unit.smallest}）；请核对金额后以{unit.value}填写"
            )
        amount = _plain(exact)
        conversion = f"{written_in.value}换算为{unit.value}"
        notes.append(f"{describe(value)}已按 {format_amount(amount)} {unit.value}读取（{conversion}）")
    exact = _at_most(amount, unit.places)
    if exact is None:
        raise ValueProblem(
            f"{describe(value)} 的小数位数过多：{unit.value}金额最多 {unit.places} 位小数（最小单位 {unit.smallest}）"
        )
    amount = exact
    if amount > MAX_AMOUNT:
        raise _too_large_amount(value, unit)
    if _exponent(amount) > 0:  # 1E+3 from TOML or JSON: written whole
        amount = amount.quantize(Decimal(1))
    return amount


def _plain(amount: Decimal) -> Decimal:
    """A converted amount without trailing zeros (5000 元 is 0.5 万元, not 0.5000)."""
    normal = amount.normalize()
    return normal.quantize(Decimal(1)) if _exponent(normal) > 0 else normal


# ---------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------

_CN_DATE_RE = re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日")
_DATE_RE = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")


def parse_date(value: object) -> dt.date:
    """A date from a date object or text written 2022-01-19, 2022/1/19, 2022.1.19 or 2022年1月19日."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise ValueProblem(f"应为日期（不含时刻），而不是 {value.isoformat()}")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        cleaned = _number_text(value, "日期（如 2022-01-19 或 2022年1月19日）")
        parts: tuple[str, ...] | None = None
        if match := _CN_DATE_RE.fullmatch(cleaned):
            parts = match.groups()
        elif match := _DATE_RE.fullmatch(cleaned):
            parts = (match[1], match[3], match[4])
        if parts is not None:
            try:
                return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                raise ValueProblem(f"日期 {describe(value)} 不存在") from None
    raise ValueProblem(f"应为日期（如 2022-01-19 或 2022年1月19日），而不是 {describe(value)}")


def format_date(date: dt.date) -> str:
    """A date as official documents write it: 2022年1月19日 (no zero padding)."""
    return f"{date.year}年{date.month}月{date.day}日"


def format_amount(amount: Decimal) -> str:
    """An amount as written (96171.6, 0, 12.50): never an exponent, never a minus sign on zero."""
    if amount.is_zero():
        amount = amount.copy_abs()
    return format(amount, "f")


# ---------------------------------------------------------------------------------------------------
# Placeholders
# ---------------------------------------------------------------------------------------------------

#: A whole value in parentheses is a placeholder (no real name or text is entirely parenthesised):
#: （机关全称）, （单位名称）, （文字描述……）.
_PARENTHESISED = re.compile(r"[（(][^（）()]*[）)]")
#: Runs of X or × stand for a name still to be written (XX县人民政府, ××局).
_CROSSES = re.compile(r"[XxＸｘ×✕╳]{2,}")
#: The blank template's text marker, anywhere in a text.
_TEMPLATE_MARKER = "（文字描述"


def placeholder_in(text: str, *, name: bool) -> str | None:
    """The placeholder left in ``text`` (from ``reportkit init`` or a blank template), or None.

    A name is a placeholder when it is wholly in parentheses or holds a run of X or × (XX县, ××局).
    A longer text is one when it, or one of its paragraphs, is wholly a placeholder (in parentheses
    starting with 文字描述 or 填写, or only X or ×), or when it holds the blank template's （文字描述.
    Real text never looks like that; ordinary parentheses and a single × are not placeholders."""
    stripped = text.strip()
    if not stripped:
        return None
    if name:
        if _PARENTHESISED.fullmatch(stripped):
            return stripped
        found = _CROSSES.search(stripped)
        return found.group() if found else None
    if _TEMPLATE_MARKER in stripped:
        start = stripped.index(_TEMPLATE_MARKER)
        end = stripped.find("）", start)
        return stripped[start : end + 1] if end != -1 else stripped[start : start + 20]
    for paragraph in stripped.splitlines():
        line = paragraph.strip()
        if _CROSSES.fullmatch(line) or (
            _PARENTHESISED.fullmatch(line) and line[1:].startswith(("文字描述", "填写", "请填写", "此处填写"))
        ):
            return line
    return None


# ---------------------------------------------------------------------------------------------------
# Blank and not-applicable cells
# ---------------------------------------------------------------------------------------------------

#: The reasons a published table leaves a cell without a number.
BLANK_LEFT_EMPTY: Final = "留空"
BLANK_NOT_APPLICABLE: Final = "不适用"
BLANK_SLASH: Final = "/"
BLANK_REASONS: Final = (BLANK_LEFT_EMPTY, BLANK_NOT_APPLICABLE, BLANK_SLASH)


@frozen
class Blank:
    """A cell that holds no number, and why: left empty (留空), marked 不适用, or struck through with "/".

    Readers of published reports meet such cells; a figures file may state them too. Nothing adds a
    blank up: a total over a blank cell is None, and every rule that needs the cell reports that it cannot
    be assessed, naming the cell. ``str()`` gives what a table prints for it.
    """

    reason: str = BLANK_LEFT_EMPTY

    def __attrs_post_init__(self) -> None:
        if self.reason not in BLANK_REASONS:
            raise ValueProblem(f"留空的原因应为 {'、'.join(BLANK_REASONS)} 之一，而不是 {describe(self.reason)}")

    def __str__(self) -> str:
        return "" if self.reason == BLANK_LEFT_EMPTY else self.reason


def blank_of(value: object) -> Blank | None:
    """The blank a file or a form wrote (``""`` or 留空, 不适用, ``/``), or None when ``value`` is not one."""
    if not isinstance(value, str):
        return None
    cleaned = value.strip().replace("／", "/")
    if cleaned == "":
        return Blank(BLANK_LEFT_EMPTY)
    return Blank(cleaned) if cleaned in BLANK_REASONS else None


def _negative_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    if isinstance(value, Decimal | float) and not (
        value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    ):
        return False
    return value < 0


_SIGNS: Final = {"-": -1, "－": -1, "\u2212": -1, "+": 1, "＋": 1}


def parse_signed_count(value: object) -> int:
    """A whole number that may be negative (2019 format: 本年增/减), e.g. ``-3``, ``"-3"``, ``"+2项"``."""
    try:
        if isinstance(value, str):
            cleaned = value.strip()
            sign = _SIGNS.get(cleaned[:1], 0)
            if sign:
                return sign * parse_count(cleaned[1:])
        elif isinstance(value, int | float | Decimal) and _negative_number(value):
            return -parse_count(-value)
        return parse_count(value)
    except ValueProblem as exc:
        # parse_count's reason (too large, not an Arabic digit …), about the value as written, which may be signed
        reason = str(exc).partition("：")[2] if "不是阿拉伯数字" in str(exc) else ""
        if "超过合理范围" in str(exc):
            raise ValueProblem(
                f"数值 {describe(value)} 超过合理范围（绝对值不大于 {MAX_COUNT}），请检查是否多输了数字"
            ) from None
        message = f"应为整数（可为负数，如 -3），而不是 {describe(value)}"
        raise ValueProblem(f"{message}：{reason}" if reason else message) from None
