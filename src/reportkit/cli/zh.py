"""argparse in Chinese, for the ``reportkit`` command: its own words (用法、选项、位置参数, the -h help, its
error messages) and line wrapping by display width (a Chinese character is two columns wide).

argparse takes its words from :func:`gettext.gettext` at module level; changing gettext globally would change
every other program's argparse in the process. Instead, :class:`ChineseParser` names its groups and its -h
option itself, :class:`ChineseHelpFormatter` writes 用法 and wraps by width, and :meth:`ChineseParser.error`
translates the (English) messages argparse composes before printing them.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from reportkit.names import display_width

__all__ = ["ChineseHelpFormatter", "ChineseParser", "display_width", "translate_error", "wrap"]

USAGE = "用法："
POSITIONALS = "位置参数"
OPTIONALS = "选项"
HELP = "显示此帮助信息并退出"
VERSION = "显示版本号并退出"
#: A private-use character: never in a program name or an option.
_STAND_IN = "\ue000"
#: The exit code of a command line that cannot be understood (the same as an unreadable input).
EXIT_USAGE = 2


#: Runs that stay together on a line: a Latin word or option with what sticks to it; else one character.
_TOKEN = re.compile(r"[A-Za-z0-9_.\-/\\\[\]<>|=:,'\"(){}*+~%$#@!?&^`]+|\s+|.", re.DOTALL)
#: Chinese punctuation that may not start a line (避头点), and opening marks that may not end one.
_NO_LINE_START = set("，。、；：！？）》」』”’】〕…·%")
_NO_LINE_END = set("（《「『“‘【〔")


def _sticks_back(token: str, before: str) -> bool:
    """Whether ``token`` may not start a line and so goes down with ``before`` (not after a space)."""
    return before != " " and (token[0] in _NO_LINE_START or token[0] in ".,;:!?)]")


def wrap(text: str, width: int) -> list[str]:
    """``text`` (one paragraph) wrapped to ``width`` display columns: Latin words kept whole, a line broken
    between any two Chinese characters but never before a closing mark or a ``.xlsx`` (it goes down with
    the character before it), nor after an opening mark."""
    units: list[str] = []  # what may not be split across lines
    for token in _TOKEN.findall(" ".join(text.split())):
        if token.isspace():
            units.append(" ")
        elif units and (_sticks_back(token, units[-1]) or units[-1][-1] in _NO_LINE_END):
            units[-1] += token
        else:
            units.append(token)
    lines: list[str] = []
    line = ""
    for unit in units:
        if unit == " ":
            line += " " if line else ""
        elif line and display_width(line + unit) > width:
            lines.append(line.rstrip())
            line = unit
        else:
            line += unit
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


class ChineseHelpFormatter(argparse.HelpFormatter):
    """Help in Chinese: 用法： and wrapping by display width."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 28, width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position, width)

    def _format_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None,
    ) -> str:
        # argparse wraps and indents the usage by the prefix's len(); 用法： is 3 characters but 6 columns
        # wide, so it lays the usage out with a stand-in of 6 characters and then puts 用法： in its place.
        if prefix is not None:
            return super()._format_usage(usage, actions, groups, prefix)
        stand_in = _STAND_IN * display_width(USAGE)
        text: str = super()._format_usage(usage, actions, groups, stand_in)
        return text.replace(stand_in, USAGE, 1)

    def _format_action(self, action: argparse.Action) -> str:
        if not isinstance(action, argparse._SubParsersAction):
            return super()._format_action(action)
        # The commands, one a line under the group title (argparse would repeat the metavar above them
        # and push long names onto a line of their own).
        subs = list(action._get_subactions())
        indent = " " * self._current_indent
        column = max(display_width(str(sub.metavar or sub.dest)) for sub in subs) + 2
        help_width = max(self._width - self._current_indent - column, 20)
        lines: list[str] = []
        for sub in subs:
            name = str(sub.metavar or sub.dest)
            helps = wrap(self._expand_help(sub), help_width) if sub.help else [""]
            lines.append(f"{indent}{name}{' ' * (column - display_width(name))}{helps[0]}".rstrip())
            lines += [f"{indent}{' ' * column}{line}" for line in helps[1:]]
        return "\n".join(lines) + "\n"

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = re.split(r"\n\s*\n", text.strip())
        return "\n\n".join("\n".join(indent + line for line in wrap(p, width - len(indent))) for p in paragraphs)

    def format_help(self) -> str:
        # argparse ends group titles with an ASCII colon (through gettext); a Chinese title takes "："
        return _TITLE.sub(r"\1\2：", super().format_help())


_TITLE = re.compile(r"^( *)([^\s:]*[\u4e00-\u9fff][^\s:]*):$", re.MULTILINE)

_SIMPLE: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"the following arguments are required: (.*)"), r"缺少必需的参数：\1"),
    (re.compile(r"unrecognized arguments: (.*)"), r"无法识别的参数：\1"),
    (re.compile(r"invalid choice: (.*) \(choose from (.*)\)"), r"无效的选项值 \1（可选：\2）"),
    (re.compile(r"invalid int value: (.*)"), r"应为整数，而不是 \1"),
    (re.compile(r"invalid float value: (.*)"), r"应为数字，而不是 \1"),
    (re.compile(r"invalid (\S+) value: (.*)"), r"无效的值 \2"),
    (re.compile(r"expected one argument"), "后面需要给出一个值"),
    (re.compile(r"expected at most one argument"), "后面最多给出一个值"),
    (re.compile(r"expected at least one argument"), "后面至少需要给出一个值"),
    (re.compile(r"expected (\d+) arguments?"), r"后面需要给出 \1 个值"),
    (re.compile(r"ambiguous option: (\S+) could match (.*)"), r"选项 \1 不明确，可能是：\2"),
    (re.compile(r"not allowed with argument (.*)"), r"不能与 \1 同时使用"),
    (re.compile(r"one of the arguments (.*) is required"), r"必须给出以下参数之一：\1"),
    (re.compile(r"ignored explicit argument (.*)"), r"多余的值 \1"),
)
_ARGUMENT = re.compile(r"argument (.+?): (.*)", re.DOTALL)
_CHOICES = re.compile(r"invalid choice: '(.*)' \(choose from (.*)\)")


def translate_error(message: str, commands_metavar: str = "") -> str:
    """An error message of argparse in Chinese (one it does not know is returned unchanged)."""
    match = _ARGUMENT.fullmatch(message)
    if match:
        name, rest = match.groups()
        choices = _CHOICES.fullmatch(rest)
        if choices and name == commands_metavar:
            given = choices.group(1)
            names = [c.strip().strip("'") for c in choices.group(2).split(",")]
            close = difflib.get_close_matches(given, names, n=1)
            hint = f"；是否想用 {close[0]}？" if close else ""
            return f"没有“{given}”这个命令，可用的命令：{'、'.join(names)}{hint}"
        return f"参数 {name}：{translate_error(rest)}"
    for pattern, replacement in _SIMPLE:
        found = pattern.fullmatch(message)
        if found:
            return found.expand(replacement) if isinstance(replacement, str) else replacement(found)
    return message


class ChineseParser(argparse.ArgumentParser):
    """An ArgumentParser whose own words are Chinese; a command line it cannot understand exits with 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        add_help = kwargs.pop("add_help", True)
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        kwargs["add_help"] = False  # our own -h, in Chinese
        super().__init__(*args, **kwargs)
        self._positionals.title = POSITIONALS
        self._optionals.title = OPTIONALS
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=HELP)

    def error(self, message: str) -> NoReturn:
        commands = next(
            (a.metavar for a in self._actions if isinstance(a, argparse._SubParsersAction) and a.metavar), ""
        )
        self.print_usage(sys.stderr)
        text = translate_error(message, str(commands))
        self.exit(EXIT_USAGE, f"{self.prog}：命令行有误：{text}\n（运行 {self.prog} -h 查看用法）\n")
