"""Reading typed values (reportkit.values): units, digits, decimals, bounds and placeholders.

Each case here was read silently wrong, or crashed, before: ``5000元`` in a 万元 field was 5000 万元, ``10²``
was 102, ``1e999999999`` hung, ``-0.0`` printed as ``-0.0``.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path

import docx
import pytest

from reportkit.values import (
    AGENCY_NAME_PLACEHOLDER,
    COUNT_WORDS,
    TEMPLATE_TEXT_PLACEHOLDERS,
    Unit,
    ValueProblem,
    describe,
    format_amount,
    parse_amount,
    parse_count,
    parse_date,
    placeholder_in,
)

BLANK_TEMPLATE = Path("/work/shared/reference/published/blank-template-2021.docx")
W, Y = Unit.WAN_YUAN, Unit.YUAN


# ---------------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit", "amount", "note"),
    [
        ("5000元", W, "0.5", "“5000元”已按 0.5 万元读取"),
        ("５０００元", W, "0.5", "“５０００元”已按 0.5 万元读取"),
        ("12345元", W, "1.2345", "“12345元”已按 1.2345 万元读取"),
        ("0.03万元", Y, "300", "“0.03万元”已按 300 元读取"),
        ("1.5万元", Y, "15000", "“1.5万元”已按 15000 元读取"),
        ("0.00005万元", Y, "0.5", "“0.00005万元”已按 0.5 元读取"),
    ],
)
def test_the_other_unit_is_converted_exactly_with_a_note(text: str, unit: Unit, amount: str, note: str) -> None:
    notes: list[str] = []
    assert str(parse_amount(text, unit, notes)) == amount
    assert len(notes) == 1 and notes[0].startswith(note)


@pytest.mark.parametrize(("text", "unit", "expected"), [("5000元", W, "万元"), ("0.03万元", Y, "元")])
def test_without_notes_the_other_unit_is_refused_naming_the_unit_expected(text: str, unit: Unit, expected: str) -> None:
    with pytest.raises(ValueProblem, match=f"此处金额的单位是{expected}"):
        parse_amount(text, unit)


@pytest.mark.parametrize(("text", "unit"), [("3万元", W), ("3 万元", W), ("300元", Y), ("1,200.50元", Y)])
def test_the_field_s_own_unit_is_accepted_without_a_note(text: str, unit: Unit) -> None:
    notes: list[str] = []
    parse_amount(text, unit, notes)
    assert notes == []


@pytest.mark.parametrize(("text", "unit"), [("1.5元", W), ("0.5元", W), ("0.0000001万元", Y)])
def test_a_conversion_needing_more_decimals_than_the_field_allows_is_refused(text: str, unit: Unit) -> None:
    with pytest.raises(ValueProblem, match=f"超过{unit.value}金额的 {unit.places} 位小数") as caught:
        parse_amount(text, unit, [])
    assert text in str(caught.value)


@pytest.mark.parametrize("word", COUNT_WORDS)
def test_every_count_word_is_accepted(word: str) -> None:
    assert parse_count(f"3{word}") == 3
    assert parse_count(f"１２ {word}") == 12


@pytest.mark.parametrize("text", ["3万元", "3元", "3 元"])
def test_an_amount_unit_on_a_count_is_refused(text: str) -> None:
    with pytest.raises(ValueProblem, match="不应带金额单位"):
        parse_count(text)


@pytest.mark.parametrize("text", ["3件", "3条", "2 次"])
def test_a_count_word_on_an_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueProblem, match="不应带数量单位"):
        parse_amount(text, W, [])


# ---------------------------------------------------------------------------------------------------
# Digits
# ---------------------------------------------------------------------------------------------------

LOOKALIKES = ["10²", "⑩", "١٢٣", "𝟗", "三", "1〇", "Ⅻ", "۱۲"]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_digits_that_only_look_like_digits_are_refused(text: str) -> None:
    for parse in (parse_count, lambda v: parse_amount(v, W, []), lambda v: parse_amount(v, Y, [])):
        with pytest.raises(ValueProblem, match="不是阿拉伯数字") as caught:
            parse(text)
        assert f"“{text}”" in str(caught.value)


@pytest.mark.parametrize("text", ["٢٠٢٢-01-19", "2022-01-1⑨", "２０２２年１月¹⁹日", "二〇二二年一月十九日"])
def test_dates_with_lookalike_digits_are_refused(text: str) -> None:
    with pytest.raises(ValueProblem, match="不是阿拉伯数字"):
        parse_date(text)


def test_full_width_digits_and_signs_are_read() -> None:
    assert parse_count("１，２００") == 1200
    assert str(parse_amount("１２．５０", W)) == "12.50"
    assert str(parse_amount("１，２００．５元", Y)) == "1200.5"
    for text in ("２０２２年１月１９日", "２０２２－０１－１９", "2022/1/19", "2022.1.19", " 2022年 1月19日 "):
        assert parse_date(text) == dt.date(2022, 1, 19), text


def test_a_date_with_mixed_separators_is_refused() -> None:
    with pytest.raises(ValueProblem):
        parse_date("2022-01/19")


# ---------------------------------------------------------------------------------------------------
# Decimals, zero, printing
# ---------------------------------------------------------------------------------------------------


def test_amounts_keep_their_decimals_and_zero_has_no_sign() -> None:
    assert format_amount(parse_amount("12.50", W)) == "12.50"
    assert format_amount(parse_amount(Decimal("12.50000"), W)) == "12.5000"  # zeros past 4 places dropped
    for negative_zero in (Decimal("-0"), Decimal("-0.0"), -0.0, "0"):
        amount = parse_amount(negative_zero, W)
        assert amount == 0 and not amount.is_signed() and not format_amount(amount).startswith("-")
    assert format_amount(Decimal("-0.0")) == "0.0"


def test_exponents_are_never_printed() -> None:
    assert format_amount(parse_amount(Decimal("1E+3"), W)) == "1000"
    assert format_amount(parse_amount(Decimal("1.5E+2"), Y)) == "150"
    assert describe(Decimal("1E+3")) == "1000"


@pytest.mark.parametrize(("value", "unit"), [("0.00001", W), ("12.345", Y), (Decimal("1E-5"), W), (0.001, Y)])
def test_more_decimals_than_the_unit_allows_are_refused(value: object, unit: Unit) -> None:
    with pytest.raises(ValueProblem, match=f"最多 {unit.places} 位小数"):
        parse_amount(value, unit, [])


HUGE_AND_TINY = [
    Decimal("1e999999999"),
    Decimal("1e-999999999"),
    Decimal("-1e999999999"),
    "9" * 5000,
    10**5000,
    1e308,
    Decimal("9" * 5000),
    "0." + "0" * 5000 + "1",
]


@pytest.mark.parametrize("value", HUGE_AND_TINY, ids=range(len(HUGE_AND_TINY)))
def test_huge_and_tiny_numbers_are_refused_at_once(value: object) -> None:
    start = time.perf_counter()
    for parse in (parse_count, lambda v: parse_amount(v, W, []), lambda v: parse_amount(v, Y, [])):
        with pytest.raises(ValueProblem) as caught:
            parse(value)
        assert len(str(caught.value)) < 200  # the message quotes a bounded description
    assert time.perf_counter() - start < 5  # it hung (1e999999999) before: generous, not a benchmark


def test_describe_is_bounded_whatever_the_value() -> None:
    assert len(describe("字" * 100_000)) < 50
    assert len(describe(10**5000)) < 50  # str() of it raises ValueError
    assert len(describe(Decimal("9" * 5000))) < 50
    assert describe([[1] * 10] * 10**6) == "一个列表（1000000 项）"
    assert describe("a\x00\ud800") == "“a\\u0000\\ud800”"  # printable in any terminal


# ---------------------------------------------------------------------------------------------------
# Placeholders
# ---------------------------------------------------------------------------------------------------


def test_the_placeholders_defined_once_are_recognised() -> None:
    assert placeholder_in(AGENCY_NAME_PLACEHOLDER, name=True) == AGENCY_NAME_PLACEHOLDER
    for text in TEMPLATE_TEXT_PLACEHOLDERS:
        assert placeholder_in(text, name=False) == text


def test_the_circulated_blank_template_s_placeholders_are_recognised() -> None:
    document = docx.Document(str(BLANK_TEMPLATE))
    found = [p.text.strip() for p in document.paragraphs if p.text.strip().startswith("（文字描述")]
    assert len(found) >= 3
    for text in found:
        assert placeholder_in(text, name=False) == text
        assert placeholder_in(f"本年度工作情况如下。\n\n{text}", name=False) == text


@pytest.mark.parametrize("value", [-99999999999999, "-99999999999999", 99999999999999])
def test_a_signed_count_too_large_says_so(value: object) -> None:
    """本年增/减 past the bound is refused as too large (it was called "not an integer")."""
    from reportkit.values import parse_signed_count

    with pytest.raises(ValueProblem, match="超过合理范围（绝对值不大于 1000000000）"):
        parse_signed_count(value)


def test_a_signed_count_keeps_the_digit_reason() -> None:
    from reportkit.values import parse_signed_count

    with pytest.raises(ValueProblem, match="“²”不是阿拉伯数字"):
        parse_signed_count("-10²")
