"""Reading the values people type: counts, amounts and dates, strictly but forgivingly.

Shared by the figures-file converter and the Excel form reader so both accept the same spellings:
full-width digits (１２), surrounding spaces, a trailing 件 or 元, thousands separators, a date written
2022-01-19 or 2022年1月19日. What is not a whole number ("三", "1O", "2.5") is refused with a
message saying what was found.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

#: Counts above this are not plausible for one agency's year and are refused as typos.
MAX_COUNT = 10**9

_COUNT_RE = re.compile(r"\d{1,3}(,\d{3})+|\d+")
_DECIMAL_RE = re.compile(r"(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
_CN_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


class ValueProblem(ValueError):
    """A value that cannot be read; the message is Chinese and says what was found."""


def _clean(text: str, units: tuple[str, ...]) -> str:
    cleaned = unicodedata.normalize("NFKC", text).strip()
    for unit in units:
        if cleaned.endswith(unit):
            cleaned = cleaned[: -len(unit)].rstrip()
            break
    return cleaned


def describe(value: object) -> str:
    """How a found value is quoted in a message."""
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if not isinstance(value, int | float | Decimal) else str(value)


def parse_count(value: object) -> int:
    """A non-negative whole number from an int, a whole float (Excel stores numbers as floats) or text."""
    if isinstance(value, bool):
        raise ValueProblem(f"应为非负整数，而不是 {describe(value)}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueProblem(f"应为非负整数，而不是 {describe(value)}")
        number = int(value)
    elif isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise ValueProblem(f"应为非负整数，而不是 {describe(value)}")
        number = int(value)
    elif isinstance(value, str):
        cleaned = _clean(value, ("件", "个", "次"))
        if not _COUNT_RE.fullmatch(cleaned):
            raise ValueProblem(f"应为非负整数，而不是 {describe(value)}")
        number = int(cleaned.replace(",", ""))
    else:
        raise ValueProblem(f"应为非负整数，而不是 {describe(value)}")
    if number < 0:
        raise ValueProblem(f"应为非负整数，而不是 {number}")
    if number > MAX_COUNT:
        raise ValueProblem(f"数值 {number} 超过合理范围（不大于 {MAX_COUNT}），请检查是否多输了数字")
    return number


def parse_amount(value: object, units: tuple[str, ...] = ("万元", "元")) -> Decimal:
    """A non-negative amount of money as an exact Decimal (a float is read through its shortest repr)."""
    if isinstance(value, bool):
        raise ValueProblem(f"应为非负金额，而不是 {describe(value)}")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueProblem(f"应为非负金额，而不是 {describe(value)}")
        amount = Decimal(repr(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueProblem(f"应为非负金额，而不是 {describe(value)}")
        amount = value
    elif isinstance(value, str):
        cleaned = _clean(value, units)
        if not _DECIMAL_RE.fullmatch(cleaned):
            raise ValueProblem(f"应为非负金额，而不是 {describe(value)}")
        try:
            amount = Decimal(cleaned.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            raise ValueProblem(f"应为非负金额，而不是 {describe(value)}") from None
    else:
        raise ValueProblem(f"应为非负金额，而不是 {describe(value)}")
    if amount < 0:
        raise ValueProblem(f"应为非负金额，而不是 {amount}")
    if amount > MAX_COUNT:
        raise ValueProblem(f"金额 {amount} 超过合理范围，请检查单位和小数点")
    return amount


def parse_date(value: object) -> dt.date:
    """A date from a date object or text written 2022-01-19, 2022/1/19 or 2022年1月19日."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise ValueProblem(f"应为日期（不含时刻），而不是 {value.isoformat()}")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        cleaned = unicodedata.normalize("NFKC", value).strip()
        match = _CN_DATE_RE.fullmatch(cleaned)
        parts: tuple[str, ...] | None = match.groups() if match else None
        if parts is None:
            pieces = re.split(r"[-/.]", cleaned)
            if len(pieces) == 3 and all(p.isdigit() for p in pieces) and len(pieces[0]) == 4:
                parts = tuple(pieces)
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
    """An amount without exponent or trailing zeros beyond what was given (96171.6, 0, 12.50)."""
    text = format(amount, "f")
    return text
