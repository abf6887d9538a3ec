"""TOML read fast for the plain files a figures file usually is, and by :mod:`tomllib` for everything else.

A figures file is mostly ``[table]`` headers, bare keys, strings without escapes (one-line and multi-line),
integers and decimals, dates, and one-line arrays and inline tables of strings, numbers and booleans. Python's
:mod:`tomllib` is written in Python: on such files, a few dozen statements each, it took a third of a batch
worker's time (this year's file and last year's). :func:`loads` reads that plain subset with one regular
expression per statement and builds the same dictionaries; at the first statement outside it (an escape, a
quoted or dotted key, an array of tables, a time, a table defined twice, a key given twice …) it hands the
whole text to :func:`tomllib.loads`, which decides. So the result is always :mod:`tomllib`'s (the same values
and types, the same errors): the fast path never refuses a file and never accepts one that :mod:`tomllib`
refuses (``tests/test_tomlreader.py`` compares the two on the shipped examples, a county, the subset's borders
and mutated files). Every run in the patterns is possessive, so a statement fails in one pass and the cost
stays linear in the text's length.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable
from typing import Any, Final

__all__ = ["loads"]

# TOML's white space is a space or a tab; a comment is any character but ASCII control characters other than tab.
# Runs are possessive (*+, ++): what one takes is never handed back, so a statement that fails (a line of
# spaces ending in "x") fails in one pass, not in a number of steps that grows with the square of its length.
_WS: Final = r"[ \t]*+"
_COMMENT: Final = r"(?:\#[^\x00-\x08\x0a-\x1f\x7f]*+)?"
_KEY: Final = r"[A-Za-z0-9_-]++"
# Decimal integers without sign or underscores, of at most 18 digits (no digit limit can be reached); decimals
# of the same digits with a fraction and no exponent. tomllib reads "-0" as 0, as int() does.
_INT: Final = r"-?(?:0|[1-9][0-9]{0,17})"
_NUMBER: Final = rf"{_INT}(?:\.[0-9]{{1,18}})?"


def _scalar_pattern(capture: bool) -> str:
    """A one-line basic string without escapes or control characters, a number or a boolean: what arrays and
    inline tables of the plain subset hold (named groups ``string``, ``number``, ``boolean`` if ``capture``)."""
    string, number, boolean = ("(?P<string>", "(?P<number>", "(?P<boolean>") if capture else ("(?:",) * 3
    return rf'(?:"{string}[^"\\\x00-\x08\x0a-\x1f\x7f]*+)"|{number}{_NUMBER})|{boolean}true|false))'


_SCALAR: Final = _scalar_pattern(capture=True)
_ANY_SCALAR: Final = _scalar_pattern(capture=False)
_ITEMS: Final = rf"{_WS}(?:{_ANY_SCALAR}{_WS},{_WS})*(?:{_ANY_SCALAR}{_WS})?"
_PAIRS: Final = rf"{_WS}(?:{_KEY}{_WS}={_WS}{_ANY_SCALAR}{_WS}(?:,{_WS}{_KEY}{_WS}={_WS}{_ANY_SCALAR}{_WS})*)?"

_STATEMENT: Final = re.compile(
    rf"""{_WS}(?:
        \[{_WS}(?P<header>{_KEY}(?:{_WS}\.{_WS}{_KEY})*){_WS}\]
      | (?P<key>{_KEY}){_WS}={_WS}(?:
            {_SCALAR}
          | \"\"\"\n?(?P<text>(?:[^"\\\x00-\x08\x0b-\x1f\x7f]|"(?!""))*+)\"\"\"
          | (?P<date>[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})
          | \[(?P<array>{_ITEMS})\]
          | \{{(?P<table>{_PAIRS})\}}
        )
    )?{_WS}{_COMMENT}(?:\n|\Z)""",
    re.VERBOSE,
)
_DOT: Final = re.compile(rf"{_WS}\.{_WS}")
# A statement is matched whole, up to its line end: a value followed by anything but white space or a comment
# (1.5e3, 2023-03-20T10:00, """x"""") fails it. Inside an array or inline table so matched, the leftmost
# match is always the next item or pair.
_ITEM: Final = re.compile(_SCALAR)
_PAIR: Final = re.compile(rf"(?P<pair>{_KEY}){_WS}={_WS}{_SCALAR}")


class _NotPlain(Exception):
    """The text leaves the plain subset here: tomllib reads it."""


def loads(text: str, *, parse_float: Callable[[str], Any] = float) -> dict[str, Any]:
    """``tomllib.loads(text, parse_float=parse_float)``, the same dictionaries or the same exception, faster on
    plain files (see the module docstring)."""
    try:
        return _plain(text.replace("\r\n", "\n"), parse_float)
    except _NotPlain:
        return tomllib.loads(text, parse_float=parse_float)


def _plain(text: str, parse_float: Callable[[str], Any]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    table = root
    defined: set[tuple[str, ...]] = set()  # tables given a [header]: a second header of one is an error
    frozen: set[int] = set()  # inline tables: no header or key may add to them
    end = len(text)
    position = 0
    match = _STATEMENT.match
    while position < end:
        found = match(text, position)
        if found is None:
            raise _NotPlain
        position = found.end()  # past a "\n": the text ends with a match of "\Z" only
        key = found["key"]
        if key is None:
            header = found["header"]
            if header is not None:
                table = _open_table(root, tuple(_DOT.split(header)), defined, frozen)
            continue
        if key in table:
            raise _NotPlain  # a key given twice, or a key over a table: tomllib says which
        table[key] = _value(found, parse_float, frozen)
    return root


def _open_table(
    root: dict[str, Any], path: tuple[str, ...], defined: set[tuple[str, ...]], frozen: set[int]
) -> dict[str, Any]:
    if path in defined:
        raise _NotPlain
    defined.add(path)
    table = root
    for part in path:
        child = table.get(part)
        if child is None:
            child = table[part] = {}
        elif not isinstance(child, dict) or id(child) in frozen:
            raise _NotPlain  # a value or an inline table in the way
        table = child
    return table


def _number(text: str, parse_float: Callable[[str], Any]) -> Any:
    if "." not in text:
        return int(text)
    try:
        value = parse_float(text)
    except Exception:  # tomllib raises what parse_float raises, or refuses what it returns: let it
        raise _NotPlain from None
    if isinstance(value, dict | list):
        raise _NotPlain
    return value


def _scalar(found: re.Match[str], parse_float: Callable[[str], Any]) -> Any:
    string = found["string"]
    if string is not None:
        return string
    number = found["number"]
    if number is not None:
        return _number(number, parse_float)
    return found["boolean"] == "true"


def _value(found: re.Match[str], parse_float: Callable[[str], Any], frozen: set[int]) -> Any:
    array = found["array"]
    if array is not None:
        return [_scalar(item, parse_float) for item in _ITEM.finditer(array)]
    table = found["table"]
    if table is not None:
        pairs: dict[str, Any] = {}
        for pair in _PAIR.finditer(table):
            if pair["pair"] in pairs:
                raise _NotPlain
            pairs[pair["pair"]] = _scalar(pair, parse_float)
        frozen.add(id(pairs))
        return pairs
    text = found["text"]
    if text is not None:
        return text
    date = found["date"]
    if date is not None:
        try:
            return dt.date.fromisoformat(date)
        except ValueError:  # 2023-02-30: tomllib's error
            raise _NotPlain from None
    return _scalar(found, parse_float)
