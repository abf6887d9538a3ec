"""The fast TOML reader gives tomllib's answer, value for value and error for error, on any text.

The property is checked on the shipped examples, on the batch benchmark's county, on hand-picked edge cases of
the plain subset's borders, and on mutated files (random edits near TOML's significant characters). The plain
path must also really be taken on ordinary figures files: a reader that always handed over to tomllib would be
right and slow.
"""

from __future__ import annotations

import random
import signal
import sys
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reportkit
from reportkit import tomlreader
from reportkit.values import read_decimal

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.toml"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import inputs  # noqa: E402  (the benchmarks' county generator)


def _answer(read: Any, text: str, parse_float: Any = read_decimal) -> tuple[str, str]:
    try:
        return "value", repr(read(text, parse_float=parse_float))  # repr: 1 and True and Decimal("1.0") differ
    except Exception as exc:
        return type(exc).__name__, str(exc)


def _is_plain(text: str) -> bool:
    """Whether ``loads`` reads ``text`` without handing it to tomllib."""
    handed: list[str] = []

    def tomllib_loads(text: str, **options: Any) -> Any:
        handed.append(text)
        return tomllib.loads(text, **options)

    with mock.patch.object(tomlreader.tomllib, "loads", tomllib_loads):
        _answer(tomlreader.loads, text)
    return not handed


def _same_as_tomllib(text: str) -> None:
    assert _answer(tomlreader.loads, text) == _answer(tomllib.loads, text), text


def _county_texts(count: int) -> list[str]:
    texts = []
    for agency in inputs.county_agencies(count):
        if not agency.unreadable:
            texts.append(reportkit.dumps(agency.report, "toml"))
    return texts


COUNTY = _county_texts(40)


def test_the_examples_and_a_county_read_as_tomllib_reads_them_and_by_the_plain_path() -> None:
    texts = [path.read_text(encoding="utf-8") for path in EXAMPLES] + COUNTY
    assert len(EXAMPLES) >= 3
    for text in texts:
        _same_as_tomllib(text)
        assert _is_plain(text), text[:200]
        # Windows line ends read the same, by the same path
        _same_as_tomllib(text.replace("\n", "\r\n"))
        assert _is_plain(text.replace("\n", "\r\n"))


#: (text, read by the plain path) at the borders of the plain subset; tomllib decides the others.
EDGES = [
    ("a = -0", True),
    ("a = -0.0", True),
    ("a = 1.000000000000000000", True),
    ("a = 999999999999999999", True),
    ("a = 9999999999999999999", False),
    ("a = -01", False),
    ("a = +1", False),
    ("a = 1_000", False),
    ("a = 0x1F", False),
    ("a = 1.5e3", False),
    ("a = inf", False),
    ("a = 1.", False),
    ("a = 2023-03-20 ", True),
    ("a = 2023-03-20 10:00:00", False),
    ("a = 2023-03-20T10:00:00Z", False),
    ("a = 2023-02-30", False),
    ("a = 0000-01-01", False),
    ("a = 12:00:00", False),
    ('a = ""', True),
    ('a = "x" # c', True),
    ('a = "\\u0041"', False),
    ('a = "\x7f"', False),
    ('a = "\x01"', False),
    ("a = 'x'", False),
    ('a = """\nx"""', True),
    ('a = """a""b"""', True),
    ('a = """ab""\n"""', True),
    ('a = """x""""', False),
    ('a = """x\\\n  y"""', False),
    ('a = """\r\nx\r\ny"""', True),
    ('a = """x\ry"""', False),
    ("a = 1\rb = 2", False),
    ("a = [ ]", True),
    ("a = [1,]", True),
    ("a = [1.5, -2]", True),
    ("a = [,]", False),
    ("a = [1,,2]", False),
    ("a = [1, [2]]", False),
    ('a = ["x", "y, z", true]', True),
    ('a = ["x\\"]', False),
    ('a = ["x"""]', False),
    ('a = {b = "x"}', True),
    ('a = {b = "x = 1", c = false}', True),
    ("a = {b = 2023-03-20}", False),
    ("a = [\n1]", False),
    ("a = {}", True),
    ("x = { a = 1.5 , b = -2 }", True),
    ("a = {a=1,}", False),
    ("a = {a=1, a=2}", False),
    ("a = true\nb = false", True),
    ("a = truefalse", False),
    ("a = True", False),
    ("[ a . b ]\nc=1", True),
    ("[a]\n[a.b]\n[a]", False),
    ("[a.b]\n[a]\nb=1", False),
    ("[a]\nb=1\n[a.b]", False),
    ("a={b=1}\n[a.c]", False),
    ("a={b=1}\n[a]", False),
    ("a=[1]\n[a]", False),
    ("a = 1\na = 2", False),
    ("[a.b]\nc = 1\n[a]\nd = 2", True),
    ("a.b = 1", False),
    ('"a" = 1', False),
    ("[[a]]", False),
    ("[a]]", False),
    ("1 = 2", True),
    ("a=1#c", True),
    ("a = 1 #\x7f", False),
    ("\ufeffa = 1", False),
    ("", True),
    ("\n\n", True),
    ("  # c\n\t\n", True),
]


@pytest.mark.parametrize(("text", "plain"), EDGES)
def test_the_borders_of_the_plain_subset(text: str, plain: bool) -> None:
    _same_as_tomllib(text)
    assert _is_plain(text) is plain


def test_a_decimal_is_what_parse_float_makes_of_it() -> None:
    assert tomlreader.loads("a = 36.10\nb = [0.5]", parse_float=read_decimal) == {
        "a": Decimal("36.10"),
        "b": [Decimal("0.5")],
    }
    assert tomlreader.loads("a = 36.5") == {"a": 36.5}  # float by default, as tomllib

    def refuse(text: str) -> Any:
        raise ValueError(f"no {text}")

    for parse_float in (refuse, lambda text: {}, lambda text: [text]):
        for text in ("a = 1.5", "a = [1.5]", "a = {b = 1.5}"):
            assert _is_plain(text)
            answer = _answer(tomllib.loads, text, parse_float)
            assert answer[0] == "ValueError"
            assert _answer(tomlreader.loads, text, parse_float) == answer


#: What edits insert: TOML's significant characters and tokens near the plain subset's borders.
TOKENS = [
    *" \t\n\r\"'#=[]{},.-+_:0123456789etruefalsx\\\x00\x01\x7f\u3000中",
    '"""',
    "'''",
    "\r\n",
    "[[",
    "]]",
    "1979-05-27",
    "07:32:00",
    "2023-02-30",
    "inf",
    "nan",
    "0x1F",
    "1_000",
    "a.b",
    '"k"',
    "\ufeff",
    "9" * 19,
    "= {x = 1}",
    "= [1, 2,]",
]


def _mutated(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(lines))
        line, where, token = lines[at], rng.randrange(len(lines[at]) + 1), rng.choice(TOKENS)
        edit = rng.random()
        if edit < 0.4:
            lines[at] = line[:where] + token + line[where:]
        elif edit < 0.7:
            lines[at] = line[:where] + line[where + rng.randint(1, 3) :]
        elif edit < 0.85:
            lines[at] = line[:where] + token + line[where + 1 :]
        else:  # a statement or a header given twice, elsewhere
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))
    return "\n".join(lines)


def test_mutated_files_read_as_tomllib_reads_them() -> None:
    rng = random.Random(13)
    texts = [path.read_text(encoding="utf-8") for path in EXAMPLES] + COUNTY[:10]
    plain = 0
    for _ in range(1500):
        text = _mutated(rng, rng.choice(texts))
        _same_as_tomllib(text)
        plain += _is_plain(text)
    assert 250 < plain < 1250  # both paths were exercised


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([*TOKENS, "a", "b", " = ", "\n[", "]\n", "a = ", "\nb = "]), max_size=40))
def test_any_text_of_toml_tokens_reads_as_tomllib_reads_it(tokens: list[str]) -> None:
    _same_as_tomllib("".join(tokens))


#: Texts on which a backtracking pattern would take steps growing with the square (or worse) of their length:
#: a quadratic reader spends minutes on each, a linear one milliseconds.
SLOW_FOR_BACKTRACKING = {
    "a line of spaces ending in x": " " * 200_000 + "x",
    "a long key without a value": "a" * 200_000 + " x",
    "an array of numbers and tabs, not closed": "a = [" + "1, \t" * 50_000 + "x]",
    "an inline table, not closed": "a = {" + "b = 1, " * 50_000 + "x}",
    "a multi-line string, not closed": 'a = """' + '中""' * 50_000,
    "a comment ending in a control character": "#" * 200_000 + "\x01",
    "a long header, not closed": "[ " + "a" * 200_000 + " x",
}


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")
@pytest.mark.parametrize("name", SLOW_FOR_BACKTRACKING)
def test_a_statement_outside_the_subset_fails_in_one_pass(name: str) -> None:
    def hung(*_: Any) -> None:
        raise AssertionError(f"still reading after 30 s: {name}")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)
    try:
        _same_as_tomllib(SLOW_FOR_BACKTRACKING[name])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
