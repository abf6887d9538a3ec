"""The command line in Chinese (issue 12.4): help snapshots compared exactly, argparse's own words translated,
wrapping by display width.

The snapshots live in ``tests/snapshots/cli/``. After changing a help text on purpose, regenerate them with

    PYTHONPATH=src python tests/test_cli_help.py

and review the diff (``git diff tests/snapshots``) before committing.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reportkit.cli import main
from reportkit.cli.zh import display_width, translate_error, wrap

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "cli"
#: The terminal width the snapshots are taken at.
COLUMNS = "100"

#: Snapshot name -> command line. Help goes to stdout (exit 0), usage errors to stderr (exit 2).
CASES: dict[str, list[str]] = {
    "help": ["--help"],
    "check": ["check", "--help"],
    "render": ["render", "--help"],
    "init": ["init", "--help"],
    "next": ["next", "--help"],
    "templates": ["templates", "--help"],
    "template": ["template", "--help"],
    "template-check": ["template", "check", "--help"],
    "batch": ["batch", "--help"],
    "aggregate": ["aggregate", "--help"],
    "audit": ["audit", "--help"],
    "error-missing-argument": ["check"],
    "error-unknown-command": ["chek", "report.toml"],
    "error-unknown-option": ["check", "report.toml", "--jsno"],
    "error-missing-value": ["render", "report.toml", "-o"],
    "error-bad-year": ["init", "new.toml", "--year", "明年"],
}


@contextlib.contextmanager
def _columns() -> Iterator[None]:
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = COLUMNS
    try:
        yield
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def output_of(argv: list[str]) -> tuple[int, str]:
    """The exit code and what the command printed (stdout and stderr, in that order)."""
    out, err = io.StringIO(), io.StringIO()
    with _columns(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue() + err.getvalue()


def _snapshot(name: str) -> Path:
    return SNAPSHOTS / f"{name}.txt"


@pytest.mark.parametrize("name", list(CASES))
def test_help_snapshot(name: str) -> None:
    code, text = output_of(CASES[name])
    assert code == (2 if name.startswith("error-") else 0)
    expected = _snapshot(name).read_text(encoding="utf-8")
    assert text == expected, f"reportkit {' '.join(CASES[name])} changed; if on purpose: python {__file__}"


def test_every_command_has_a_snapshot_and_a_description() -> None:
    from reportkit.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    assert isinstance(commands.choices, dict)
    for name, sub in commands.choices.items():
        assert name in CASES, name
        assert sub.description, f"{name} has no description"


@pytest.mark.parametrize("name", [n for n in CASES if not n.startswith("error-")])
def test_no_english_words_of_argparse(name: str) -> None:
    _, text = output_of(CASES[name])
    for english in ("usage:", "options:", "positional arguments", "show this help", "show program's"):
        assert english not in text
    assert text.startswith("用法：reportkit")


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("error-")])
def test_usage_errors_in_chinese(name: str) -> None:
    _, text = output_of(CASES[name])
    assert "命令行有误" in text and "-h 查看用法" in text
    for english in ("error:", "required", "invalid", "unrecognized", "expected", "argument"):
        assert english not in text


def test_help_lines_fit_the_terminal() -> None:
    for name, argv in CASES.items():
        if name.startswith("error-"):
            continue  # one message a line: the terminal wraps it
        _, text = output_of(argv)
        for line in text.splitlines():
            # a line wider than the terminal is a single unbreakable word (a long option, a path)
            assert display_width(line) <= int(COLUMNS) or " " not in line.strip(), line


def test_wrap_by_display_width() -> None:
    text = "由上年度的报告生成下一年度的数据文件或填报表，上年的文字保留在旁边（.toml 中为注释）。"
    lines = wrap(text, 20)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(display_width(line) <= 20 for line in lines)
    assert not any(line[0] in "，。、；：）" for line in lines)
    assert not any(line[-1] in "（“" for line in lines)
    assert any(".toml" in line for line in lines)  # a Latin word is never cut
    for line in wrap("写出汇总表（汇总.xlsx、汇总.csv）", 12):
        assert display_width(line) <= 12 and line[0] not in ".、）" and line[-1] != "（", line


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("the following arguments are required: file", "缺少必需的参数：file"),
        ("unrecognized arguments: --jsno", "无法识别的参数：--jsno"),
        ("argument -o/--output: expected one argument", "参数 -o/--output：后面需要给出一个值"),
        ("argument --jobs: invalid int value: 'x'", "参数 --jobs：应为整数，而不是 'x'"),
        ("argument kind: invalid choice: 'b' (choose from 'a', 'c')", "参数 kind：无效的选项值 'b'（可选：'a', 'c'）"),
        ("something argparse may add one day", "something argparse may add one day"),
    ],
)
def test_translate_error(english: str, chinese: str) -> None:
    assert translate_error(english) == chinese


def test_an_unknown_command_suggests_the_closest() -> None:
    message = translate_error("argument 命令: invalid choice: 'rendr' (choose from 'check', 'render')", "命令")
    assert "rendr" in message and "是否想用 render" in message


def test_other_programs_argparse_stays_english() -> None:
    import argparse

    output_of(["--help"])
    assert "usage:" in argparse.ArgumentParser(prog="x").format_usage()


def regenerate() -> None:
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    for name, argv in CASES.items():
        _, text = output_of(argv)
        _snapshot(name).write_text(text, encoding="utf-8")
        print(f"{_snapshot(name)}")
    for stale in SNAPSHOTS.glob("*.txt"):
        if stale.stem not in CASES:
            stale.unlink()
            print(f"removed {stale}")


if __name__ == "__main__":  # pragma: no cover - the regeneration helper
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    regenerate()
