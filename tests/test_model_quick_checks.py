"""The compiled quick test of each model class accepts only what the field checks accept.

``Checked.__attrs_post_init__`` first runs one compiled function per class (``model._quick_of``) and only
on False the field checks, which make the messages. So the quick test may refuse a good value (the checks
then pass it) but must never pass a value a check refuses: these tests put every kind of value, good and
bad, into every field of every model class and compare.
"""

from __future__ import annotations

import datetime as dt
import enum
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportkit import model
from reportkit.model import Checked
from reportkit.values import Blank, Unit, text_problem

MODEL_CLASSES = sorted(
    (cls for cls in vars(model).values() if isinstance(cls, type) and issubclass(cls, Checked) and cls is not Checked),
    key=lambda cls: cls.__name__,
)


class _StrSub(str):
    pass


class _IntSub(int):
    pass


class _BlankSub(Blank):
    pass


class _Other(enum.Enum):
    ONE = 1


_M = model.MAX_MODEL_NUMBER
_SCALARS: list[object] = [
    0,
    1,
    -1,
    _M - 1,
    _M,
    -_M + 1,
    -_M,
    10**5000,
    True,
    False,
    _IntSub(3),
    1.0,
    float("nan"),
    Decimal(0),
    Decimal("12.5"),
    Decimal("0.0001"),
    Decimal("0.00001"),
    Decimal("0.001"),
    Decimal("-3"),
    Decimal("NaN"),
    Decimal("Infinity"),
    Decimal("1e15"),
    Decimal("1e14"),
    Decimal("1e999999999"),
    Blank(),
    Blank("不适用"),
    _BlankSub(),
    None,
    "",
    "某局",
    "两段\n\n文字\t制表",
    "a\x00b",
    "a\x0bb",
    "a\x85b",
    "a\u2028b",
    "a\ud800b",
    "a\ufffeb",
    "a\x7fb",
    _StrSub("某局"),
    "2021",
    dt.date(2022, 1, 19),
    dt.datetime(2022, 1, 19, 9, 30),
    Unit.YUAN,
    Unit.WAN_YUAN,
    _Other.ONE,
    model.AgencyKind.DEPARTMENT,
    model.ApplicantCounts(),
    model.CaseOutcomes(),
    model.InformationFees(),
    model.Agency("某局", model.AgencyKind.DEPARTMENT),
    object(),
]
_CONTAINERS: list[object] = [
    {},
    {"a": 1},
    {"a": Blank()},
    {"a": Decimal("0.5")},
    {"a": Decimal("NaN")},
    {"a": True},
    {"a": None},
    {"a\x00": 1},
    {3: 1},
    {"a": model.ApplicantCounts()},
    {"a": Unit.YUAN},
    {"a": "YUAN"},
    (),
    (1, 2),
    (1, True),
    (Blank(), Decimal("0.5")),
    [1, 2],
    "12",
]
VALUES = _SCALARS + _CONTAINERS


def _raw(cls: type, values: Mapping[str, object]) -> Any:
    """An object of ``cls`` holding ``values`` as they are, made without its checks."""
    obj = object.__new__(cls)
    for each in attrs.fields(cls):
        object.__setattr__(obj, each.name, values[each.name])
    return obj


def _checks_pass(obj: Any) -> bool:
    cls = type(obj)
    checks = model._CHECKS.get(cls) or model._checks_of(cls)
    return all(check(getattr(obj, name)) is None for name, check in checks)


def _good_values(cls: type) -> dict[str, object]:
    """The values of an object of ``cls`` made with its defaults (or the first model object of its kind)."""
    samples = {
        model.Agency: lambda: model.Agency("某局", model.AgencyKind.DEPARTMENT),
        model.ReportInfo: lambda: model.ReportInfo(2021),
        model.AnnualReport: lambda: model.AnnualReport(
            model.Agency("某局", model.AgencyKind.DEPARTMENT), model.ReportInfo(2021)
        ),
    }
    obj = samples.get(cls, cls)()
    return {each.name: getattr(obj, each.name) for each in attrs.fields(cls)}


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
def test_the_quick_test_passes_a_good_object(cls: type) -> None:
    obj = _raw(cls, _good_values(cls))
    assert _checks_pass(obj)
    assert model._quick_of(cls)(obj)


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
def test_the_quick_test_never_passes_a_value_a_check_refuses(cls: type) -> None:
    quick = model._quick_of(cls)
    good = _good_values(cls)
    for each in attrs.fields(cls):
        for value in VALUES:
            obj = _raw(cls, {**good, each.name: value})
            if quick(obj):
                assert _checks_pass(obj), (cls.__name__, each.name, value)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_quick_test_agrees_on_drawn_values(data: st.DataObject) -> None:
    cls = data.draw(st.sampled_from(MODEL_CLASSES))
    good = _good_values(cls)
    scalar = st.sampled_from(_SCALARS) | st.integers() | st.text() | st.decimals(allow_nan=True)
    cell = scalar | st.dictionaries(st.text(max_size=3) | st.integers(), scalar, max_size=3)
    values = {each.name: data.draw(st.just(good[each.name]) | cell) for each in attrs.fields(cls)}
    obj = _raw(cls, values)
    if model._quick_of(cls)(obj):
        assert _checks_pass(obj)


def test_a_printable_text_is_one_no_text_check_refuses() -> None:
    # The quick test of a text relies on str.isprintable(): no printable character is refused.
    refused = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if chr(code).isprintable()
        and (text_problem(chr(code), one_line=True) or text_problem(chr(code), one_line=False))
    ]
    assert refused == []


def test_bad_values_are_still_refused_with_the_field_checks_messages() -> None:
    with pytest.raises(model.ModelError) as caught:
        model.ApplicantCounts(natural_person=True, business=_M, other=Blank())  # type: ignore[arg-type]
    assert [(p.where, p.message) for p in caught.value.problems] == [
        ("ApplicantCounts.natural_person", "应为整数（int），而不是 bool true（或 Blank，表示留空或不适用）"),
        ("ApplicantCounts.business", f"超出可处理的范围（绝对值应小于 10^15）：{_M}（或 Blank，表示留空或不适用）"),
    ]
