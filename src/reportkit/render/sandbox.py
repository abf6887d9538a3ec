"""The Jinja environment of Word templates: a sandbox that also bounds what a template can build.

Jinja's :class:`~jinja2.sandbox.SandboxedEnvironment` keeps a template away from Python's internals, but
not from asking for gigabytes or hours: ``{{ 'x'|center(10**9) }}``, ``{{ '{:>1000000000}'.format('x') }}``,
``'%1000000000s' % 'x'``, a macro that doubles a string on each call, loops nested over long strings.
A custom template is untrusted input, so here every way a template builds a value is bounded:

- **Filters**: an allow-list (:data:`FILTERS`); each is wrapped so that arguments that would build too
  much are refused before the work starts, and marked ``pass_context`` so that Jinja never runs it at
  compile time (constant folding would bypass the per-render budget).
- **Calls**: only macros, the loop helpers (``loop.cycle``, ``loop.changed``, recursive ``loop(...)``)
  and an allow-list of ``str``/``list``/``dict`` methods (:data:`STR_METHODS` …), again with bounded
  arguments; ``str.format`` runs through a formatter that bounds widths, precisions and its total.
- **Operators**: ``+ * % **`` are intercepted (``call_binop``); ``~`` (Jinja's ``Concat``) and slices are
  compiled to environment hooks by a code generator subclass; macro bodies and ``{% set %}`` blocks
  are joined through :meth:`GuardedSandbox.concat`. Every string or list produced is at most
  :data:`MAX_STRING` characters or items, and every value printed by ``{{ }}`` at most as large.
- **Per render** (:class:`RenderGuard`): what a render builds in total (:data:`MAX_BUILT`), what it
  outputs (:data:`MAX_OUTPUT`), and its steps: each hook above spends steps by the size of its result,
  and for untrusted templates a tracer (``sys.settrace``, local to the frames of compiled templates, so
  it works in any thread) spends one per template line run (:data:`MAX_STEPS`). The thread's CPU time
  (:data:`MAX_CPU_SECONDS`) is the last resort for work no step counts (``x in long_string`` in a loop).

Errors are :class:`TemplateLimitError` (a :class:`~jinja2.exceptions.SecurityError`), raised inside the
template's frames so that the caller can name the place in the document.
"""

from __future__ import annotations

import contextvars
import re
import sys
import time
import types
from collections.abc import Callable, ItemsView, Iterable, KeysView, Mapping, ValuesView
from decimal import Decimal
from types import FrameType
from typing import Any, cast

from jinja2 import StrictUndefined, nodes, pass_context, pass_environment
from jinja2.compiler import CodeGenerator, Frame, operators, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.filters import make_attrgetter
from jinja2.runtime import Context, LoopContext, Macro, Undefined, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from jinja2.tests import TESTS as JINJA_TESTS
from markupsafe import Markup, escape

__all__ = [
    "FILTERS",
    "MAX_BUILT",
    "MAX_CPU_SECONDS",
    "MAX_GROUPS",
    "MAX_OUTPUT",
    "MAX_POWER_BITS",
    "MAX_STEPS",
    "MAX_STRING",
    "STR_METHODS",
    "GuardedSandbox",
    "RenderGuard",
    "TemplateLimitError",
    "environment",
    "virtual_size",
]

#: The longest string (characters) or list (items) a filter, method, operator or format may produce, and
#: the largest value ``{{ }}`` may print.
MAX_STRING = 1_000_000
#: The largest integer (in bits) ``*`` and ``**`` may produce.
MAX_POWER_BITS = 100_000
#: What one render may build in total (characters and items of every produced value).
MAX_BUILT = 20_000_000
#: What one render may output (characters, all parts of the document together).
MAX_OUTPUT = 20_000_000
#: The most groups ``batch`` pads to and ``slice`` makes.
MAX_GROUPS = 10_000
#: Steps of one render: template lines run (untrusted templates), plus one per value produced and one per
#: thousand characters or items in it.
MAX_STEPS = 500_000
#: CPU time (of the rendering thread) of one render.
MAX_CPU_SECONDS = 10.0

#: The file name Jinja gives the code compiled from a template string (the tracer traces only those frames).
TEMPLATE_FILENAME = "<template>"
_CLOCK_EVERY = 256  #: steps between two looks at the clock


class TemplateLimitError(SecurityError):
    """A template asked for more than the sandbox allows (a string too long, too many steps …)."""


def _too_long(what: str, limit: int = MAX_STRING) -> TemplateLimitError:
    return TemplateLimitError(f"{what}过长（超过 {limit} 个字符或元素）")


# ---------------------------------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------------------------------


def virtual_size(value: Any, limit: int = MAX_STRING) -> int:
    """An upper bound of the characters ``str(value)`` takes, counting every item a container reaches
    (``[s] * 1000`` is a thousand times ``s``); stops counting once past ``limit``."""
    if isinstance(value, str):
        return len(value)
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 4
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, Mapping):
            total += 2 + 4 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset | KeysView | ValuesView | ItemsView):
            total += 2 + 2 * len(item)
            stack.extend(item)
        elif isinstance(item, Undefined):
            pass  # printing it raises
        else:
            total += 80  # an object's repr; a bound method's names its owner
            owner = getattr(item, "__self__", None)
            if owner is not None and not isinstance(owner, types.ModuleType):
                stack.append(owner)
        if total > limit:
            return total
    return total


def _text_size(value: Any) -> int:
    return len(value) if isinstance(value, str) else virtual_size(value)


def _check_text(value: Any, what: str = "内容") -> None:
    """Refuse a value whose text (``str(value)``) is too long to build."""
    if _text_size(value) > MAX_STRING:
        raise _too_long(what)


def _check_count(value: Any, what: str, limit: int = MAX_STRING) -> None:
    if isinstance(value, int) and value > limit:
        shown = value if value.bit_length() < 64 else f"约 2 的 {value.bit_length()} 次方"  # str() of 2**99999 fails
        raise TemplateLimitError(f"{what}过大（{shown}，上限 {limit}）")


def _weight(value: Any) -> int:
    """Steps for scanning ``value`` once."""
    return 1 + len(value) // 1000 if isinstance(value, str | list | tuple | dict) else 1


def produced(value: Any) -> Any:
    """``value``, counted against the active render's budget; refused when it is too long."""
    if isinstance(value, str | list | tuple | dict):
        size = len(value)
        if size > MAX_STRING:
            raise _too_long("生成的内容")
        budget = _ACTIVE.get()
        if budget is not None:
            budget.build(size)
    return value


# ---------------------------------------------------------------------------------------------------
# The budget of one render
# ---------------------------------------------------------------------------------------------------


class _Budget:
    """Steps, built size and CPU time of one render."""

    __slots__ = ("built", "deadline", "error", "next_check", "odd_value", "steps")

    def __init__(self) -> None:
        #: A value printed since the part began that is not plain text of XML characters (see _finalize).
        self.odd_value = False
        self.steps = 0
        self.built = 0
        self.next_check = _CLOCK_EVERY
        self.deadline = time.thread_time() + MAX_CPU_SECONDS
        self.error: TemplateLimitError | None = None

    def spend(self, steps: int) -> None:
        self.steps += steps
        if self.steps >= self.next_check:
            self.check()

    def build(self, size: int) -> None:
        self.built += size
        if self.built > MAX_BUILT:
            self.fail(_too_long("本次生成累计构造的内容", MAX_BUILT))
        self.spend(1 + size // 1000)

    def check(self) -> None:
        if self.error is not None:
            raise self.error
        self.next_check = self.steps + _CLOCK_EVERY
        if self.steps > MAX_STEPS:
            self.fail(TemplateLimitError(f"模板运行的步数过多（超过 {MAX_STEPS} 步），可能是循环嵌套过深或宏无限递归"))
        if time.thread_time() > self.deadline:
            self.fail(TemplateLimitError(f"模板运行时间过长（超过 {MAX_CPU_SECONDS:g} 秒）"))

    def fail(self, error: TemplateLimitError) -> None:
        self.error = error
        raise error


_ACTIVE: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("reportkit_template_budget", default=None)


def _spend(steps: int = 1) -> None:
    budget = _ACTIVE.get()
    if budget is not None:
        budget.spend(steps)


_Tracer = Callable[[FrameType, str, Any], Any]  # sys.settrace's TraceFunction, without typeshed's private alias


def _tracer(budget: _Budget, previous: _Tracer | None) -> _Tracer:
    """A ``sys.settrace`` function that counts the lines run in compiled templates (and leaves every other
    frame to the tracer that was there before, e.g. coverage)."""

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and budget.error is None:
            budget.steps += 1
            if budget.steps >= budget.next_check:
                budget.check()  # raises inside the template's frame: its line names the place
        return local

    def new_frame(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == TEMPLATE_FILENAME:
            return local
        return previous(frame, event, arg) if previous is not None else None

    return new_frame


class RenderGuard:
    """The budget of one render of a document (all its parts); ``traced`` for untrusted templates."""

    def __init__(self, *, traced: bool) -> None:
        self.traced = traced
        self.budget = _Budget()
        self.output = 0
        #: Whether every value the last render printed was plain text of XML characters, escaped: then a part
        #: proven by :func:`reportkit.render.skeleton.renders_well_formed` needs no parse.
        self.plain_values = True

    def render(self, template: Any, context: Mapping[str, Any]) -> str:
        """``template.render(context)`` within the budget."""
        self.budget.odd_value = False
        token = _ACTIVE.set(self.budget)
        previous: Any = sys.gettrace() if self.traced else None
        chunks: list[str] = []
        try:
            if self.traced:
                sys.settrace(_tracer(self.budget, previous))
            stream = template.generate(context)
            for chunk in stream:
                self.output += len(chunk)
                if self.output > MAX_OUTPUT:
                    # Thrown into the template's frame, so that the error names the place that printed it.
                    stream.throw(_too_long("生成的文档", MAX_OUTPUT))
                chunks.append(chunk)
        finally:
            if self.traced:
                sys.settrace(previous)
            _ACTIVE.reset(token)
        if self.budget.error is not None:  # the template cannot catch it, but a filter might have
            raise self.budget.error
        self.plain_values = not self.budget.odd_value
        return "".join(chunks)


# ---------------------------------------------------------------------------------------------------
# Operators and formats
# ---------------------------------------------------------------------------------------------------

_PERCENT_SPEC = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d*))?[hlL]?(?P<conversion>.?)",
    re.DOTALL,
)


def _spec_number(text: str | None, what: str) -> int:
    if not text:
        return 0
    if text == "*":
        raise TemplateLimitError(f"{what}不能用“*”从参数中取")
    if len(text) > 7 or int(text) > MAX_STRING:
        raise TemplateLimitError(f"{what}过大（{text}，上限 {MAX_STRING}）")
    return int(text)


def percent_size(template: str, args: Any) -> int:
    """An upper bound of the length of ``template % args``; refuses ``*`` and widths past the limit."""
    positional = not isinstance(args, Mapping)
    values = args if isinstance(args, tuple) else (args,)
    total = len(template) + (sum(virtual_size(v) for v in values) if positional else 0)
    for match in _PERCENT_SPEC.finditer(template):
        total += _spec_number(match.group("width"), "格式宽度") + _spec_number(match.group("precision"), "格式精度")
        total += 400  # a float's digits
        if match.group("conversion") in ("r", "a"):
            total += 9 * virtual_size(args)  # repr escapes: at most ten characters for one
        if not positional and match.group("key") is not None:
            total += virtual_size(args.get(match.group("key")))
        if total > MAX_STRING:
            break
    return total


class _BoundedFormatting:
    """``str.format`` fields with bounded widths and precisions, and a bounded total."""

    _size = 0

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion is not None and virtual_size(value) * (10 if conversion in ("r", "a") else 1) > MAX_STRING:
            raise _too_long("格式化的内容")
        return super().convert_field(value, conversion)  # type: ignore[misc]

    def format_field(self, value: Any, format_spec: str) -> Any:
        for digits in re.findall(r"\d+", format_spec):
            _spec_number(digits, "格式宽度或精度")
        if not isinstance(value, str | int | float):
            _check_text(value, "格式化的内容")
        result = super().format_field(value, format_spec)  # type: ignore[misc]
        self._size += len(result)
        if self._size > MAX_STRING:
            raise _too_long("格式化的结果")
        return result


class _Formatter(_BoundedFormatting, SandboxedFormatter):
    pass


class _EscapeFormatter(_BoundedFormatting, SandboxedEscapeFormatter):
    pass


class _BoundedFormat:
    """``some_string.format`` / ``.format_map`` as a template sees it."""

    def __init__(self, env: SandboxedEnvironment, owner: str, is_map: bool) -> None:
        self.env = env
        self.owner = owner
        self.is_map = is_map

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        if self.is_map:
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one argument")
            kwargs, args = args[0], ()
        formatter: SandboxedFormatter
        if isinstance(self.owner, Markup):
            formatter = _EscapeFormatter(self.env, escape=self.owner.escape)
        else:
            formatter = _Formatter(self.env)
        result = type(self.owner)(formatter.vformat(self.owner, args, kwargs))
        return produced(result)  # type: ignore[no-any-return]


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(times, int) and times > 0:
                size = len(seq) if isinstance(seq, str) else virtual_size(seq)
                if size * times > MAX_STRING:
                    raise _too_long("重复生成的内容")
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_POWER_BITS:
            raise TemplateLimitError("乘法的结果过大")
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() * right > MAX_POWER_BITS:
            raise TemplateLimitError("幂运算的结果过大")
    elif operator == "+":
        both = isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple)
        if both and virtual_size(left) + virtual_size(right) > MAX_STRING:
            raise _too_long("相加生成的内容")
    elif operator == "%" and isinstance(left, str) and percent_size(left, right) > MAX_STRING:
        raise _too_long("格式化（%）的结果")


# ---------------------------------------------------------------------------------------------------
# Methods a template may call
# ---------------------------------------------------------------------------------------------------

_Args = tuple[tuple[Any, ...], dict[str, Any]]


def _width_arg(owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Args:
    _check_count(args[0] if args else kwargs.get("width"), "宽度")
    return args, kwargs


def _replace_args(owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Args:
    if len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        count = args[2] if len(args) > 2 and isinstance(args[2], int) else -1
        _check_replace(owner, old, new, count)
    return args, kwargs


def _check_replace(text: str, old: str, new: str, count: int) -> None:
    if len(new) <= len(old):
        return
    found = text.count(old) if old else len(text) + 1
    if count >= 0:
        found = min(found, count)
    if len(text) + found * (len(new) - len(old)) > MAX_STRING:
        raise _too_long("替换的结果")


def _expandtabs_args(owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Args:
    tabsize = args[0] if args else kwargs.get("tabsize", 8)
    if isinstance(tabsize, int) and len(owner) + owner.count("\t") * tabsize > MAX_STRING:
        raise _too_long("展开制表符的结果")
    return args, kwargs


def _collect(iterable: Any, what: str, separator: int = 0) -> list[Any]:
    """The items of ``iterable`` as a list, refused once their text (with separators) is too long."""
    items: list[Any] = []
    total = 0
    for item in iterable:
        total += _text_size(item) + separator
        if total > MAX_STRING or len(items) >= MAX_STRING:
            raise _too_long(what)
        items.append(item)
    _spend(1 + len(items) // 1000)
    return items


def _join_args(owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Args:
    if len(args) == 1 and not kwargs:
        return (_collect(args[0], "连接的结果", len(owner)),), {}
    return args, kwargs


_FREE = None  #: a method whose result is no larger than its object (or a small multiple of it)
_MethodCheck = Callable[[Any, tuple[Any, ...], dict[str, Any]], _Args] | None

#: The str methods a template may call, each with the check of its arguments.
STR_METHODS: dict[str, _MethodCheck] = {
    **dict.fromkeys(
        [
            "capitalize",
            "casefold",
            "lower",
            "upper",
            "title",
            "swapcase",
            "strip",
            "lstrip",
            "rstrip",
            "startswith",
            "endswith",
            "find",
            "rfind",
            "index",
            "rindex",
            "count",
            "split",
            "rsplit",
            "splitlines",
            "partition",
            "rpartition",
            "removeprefix",
            "removesuffix",
            "isalnum",
            "isalpha",
            "isascii",
            "isdecimal",
            "isdigit",
            "isidentifier",
            "islower",
            "isnumeric",
            "isprintable",
            "isspace",
            "istitle",
            "isupper",
        ],
        _FREE,
    ),
    "center": _width_arg,
    "ljust": _width_arg,
    "rjust": _width_arg,
    "zfill": _width_arg,
    "replace": _replace_args,
    "expandtabs": _expandtabs_args,
    "join": _join_args,
}
#: The list and tuple methods a template may call (none that changes the list).
SEQUENCE_METHODS: dict[str, _MethodCheck] = {"index": _FREE, "count": _FREE}
#: The dict methods a template may call (none that changes the dict).
DICT_METHODS: dict[str, _MethodCheck] = {"keys": _FREE, "values": _FREE, "items": _FREE, "get": _FREE}


def _method_check(owner: Any, name: str) -> tuple[bool, _MethodCheck]:
    """Whether ``owner.name`` may be called, and how to check its arguments."""
    for kind, table in ((str, STR_METHODS), (list | tuple, SEQUENCE_METHODS), (dict, DICT_METHODS)):
        if isinstance(owner, kind) and name in table:
            return True, table[name]
    return False, None


# ---------------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------------

_FilterCheck = Callable[[Context, Any, tuple[Any, ...], dict[str, Any]], tuple[Any, tuple[Any, ...], dict[str, Any]]]
_Checked = tuple[Any, tuple[Any, ...], dict[str, Any]]


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str, default: Any) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _text(context: Context, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Checked:
    _check_text(value)
    return value, args, kwargs


def _center(context: Context, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Checked:
    _check_text(value)
    _check_count(_arg(args, kwargs, 0, "width", 80), "宽度")
    return value, args, kwargs


_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _lines(text: str) -> int:
    return 1 + sum(text.count(ch) for ch in _LINE_BREAKS)


def _indent(context: Context, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Checked:
    _check_text(value)
    width = _arg(args, kwargs, 0, "width", 4)
    _check_count(width, "缩进宽度")
    indention = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    text = str(value)
    if len(text) + (_lines(text) + 1) * (indention + 1) > MAX_STRING:
        raise _too_long("缩进的结果")
    return value, args, kwargs


def _wordwrap(context: Context, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Checked:
    _check_text(value)
    text = str(value)
    width = _arg(args, kwargs, 0, "width", 79)
    wrapstring = _arg(args, kwargs, 2, "wrapstring", None)
    if isinstance(width, int) and width > 0:
        # textwrap cuts a long word one line at a time, copying the rest each time: keep that bounded.
        if len(text) * (len(text) // width + 1) > 50 * MAX_STRING:
            raise TemplateLimitError(f"折行的工作量过大（{len(text)} 个字符按每行 {width} 个字符折行）")
        breaks = len(text) // width + _lines(text)
        if isinstance(wrapstring, str) and len(text) + breaks * len(wrapstring) > MAX_STRING:
            raise _too_long("折行的结果")
    return value, args, kwargs


def _replace(context: Context, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Checked:
    _check_text(value)
    old, new = _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", "")
    count = _arg(args, kwargs, 2, "count", None)
    _check_text(old)
    _check_text(new)
    text = str(escape(value)) if context.eval_ctx.autoescape else str(value)
    new_text = str(escape(new)) if context.eval_ctx.autoescape else str(new)
    _check_replace(text, str(old), new_text, count if isinstance(count, int) else -1)
    return value, args, kwargs


def _format(context: Context, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Checked:
    _check_text(value)
    if percent_size(str(value), kwargs or args) > MAX_STRING:
        raise _too_long("格式化的结果")
    return value, args, kwargs


def _join(context: Context, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Checked:
    separator = _arg(args, kwargs, 0, "d", "")
    attribute = _arg(args, kwargs, 1, "attribute", None)
    _check_text(separator)
    if attribute is not None:
        value = map(make_attrgetter(context.environment, attribute), value)
    return _collect(value, "连接的结果", _text_size(separator)), (separator,), {}


def _items(context: Context, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Checked:
    """For filters that compare, hash or copy every item (sort, unique, min …): a list of bounded text."""
    if isinstance(value, str | Mapping):
        _check_text(value)
        return value, args, kwargs
    return _collect(value, "要处理的内容"), args, kwargs


def _groups(name: str, index: int) -> _FilterCheck:
    def check(context: Context, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Checked:
        _check_count(_arg(args, kwargs, index, name, 0), "分组数", MAX_GROUPS)
        return value, args, kwargs

    return check


@pass_environment
def _sum(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    """``sum`` of numbers only (Jinja's would also add lists or strings, quadratically)."""
    numbers = (int, float)
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    if not isinstance(start, numbers):
        raise TemplateLimitError("sum 过滤器只能对数字求和")
    total = start
    for count, value in enumerate(iterable):
        if not isinstance(value, numbers):
            raise TemplateLimitError("sum 过滤器只能对数字求和")
        total += value
        if count % 1000 == 999:
            _spend(1)
    return total


#: The filters a template may use, each with the check of its value and arguments (None: nothing to
#: bound: the result is no larger than the value, or a number). Left out: ``safe``, ``tojson``, ``pprint``,
#: ``xmlattr``, ``urlize``, ``urlencode`` (markup or sizes a Word document has no use for), ``striptags``
#: (quadratic in the number of tags), ``random`` (a report is deterministic).
FILTERS: dict[str, _FilterCheck | None] = {
    **dict.fromkeys(
        [
            "abs",
            "attr",
            "count",
            "d",
            "default",
            "filesizeformat",
            "first",
            "float",
            "int",
            "last",
            "length",
            "items",
            "map",
            "reject",
            "rejectattr",
            "round",
            "select",
            "selectattr",
        ],
        None,
    ),
    **dict.fromkeys(
        [
            "capitalize",
            "e",
            "escape",
            "forceescape",
            "lower",
            "string",
            "title",
            "trim",
            "truncate",
            "upper",
            "wordcount",
        ],
        _text,
    ),
    **dict.fromkeys(["dictsort", "groupby", "list", "max", "min", "reverse", "sort", "unique"], _items),
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "replace": _replace,
    "format": _format,
    "join": _join,
    "batch": _groups("linecount", 0),
    "slice": _groups("slices", 0),
    "sum": None,
}


def _weigh(context: Context, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Checked:
    """Tests compare or scan their value and arguments (``x is in(s)``): steps by their size."""
    _spend(_weight(value) + sum(_weight(arg) for arg in args))
    return value, args, kwargs


def _text_test(context: Context, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Checked:
    _check_text(value)  # ``is lower`` and ``is upper`` turn their value into text
    return _weigh(context, value, args, kwargs)


def _call_original(original: Callable[..., Any], context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
    pass_arg = getattr(original, "jinja_pass_arg", None)
    kind = getattr(pass_arg, "name", None)
    if kind == "context":
        return original(context, value, *args, **kwargs)
    if kind == "eval_context":
        return original(context.eval_ctx, value, *args, **kwargs)
    if kind == "environment":
        return original(context.environment, value, *args, **kwargs)
    return original(value, *args, **kwargs)


def _guarded(name: str, original: Callable[..., Any], check: _FilterCheck | None) -> Callable[..., Any]:
    """``original`` with its arguments checked and its result counted; ``pass_context`` keeps Jinja from
    running it at compile time."""

    @pass_context
    def guarded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        _spend(1)
        if check is not None:
            value, args, kwargs = check(context, value, args, kwargs)
        return produced(_call_original(original, context, value, *args, **kwargs))

    guarded.__name__ = guarded.__qualname__ = f"guarded_{name}"
    guarded.__doc__ = original.__doc__
    return guarded


# ---------------------------------------------------------------------------------------------------
# The environment
# ---------------------------------------------------------------------------------------------------


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator with ``~`` and slices compiled to calls of the environment (the sandbox has
    no hook for them), and ``{% autoescape %}`` refused (text from a figures file is always escaped)."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.join_operands(context.eval_ctx, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    @optimizeconst
    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
        if not isinstance(node.arg, nodes.Slice):
            super().visit_Getitem(node, frame)
            return
        self.write("environment.slice_of(")
        self.visit(node.node, frame)
        for part in (node.arg.start, node.arg.stop, node.arg.step):
            self.write(", ")
            if part is None:
                self.write("None")
            else:
                self.visit(part, frame)
        self.write(")")

    @optimizeconst
    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        self.write("(environment.weighed(")
        self.visit(node.expr, frame)
        self.write(")")
        for op in node.ops:
            self.visit(op, frame)
        self.write(")")

    def visit_Operand(self, node: nodes.Operand, frame: Frame) -> None:
        # ``x in s`` and ``s == t`` scan their operands: charged by size (a loop of scans would run for hours)
        self.write(f" {operators[node.op]} environment.weighed(")
        self.visit(node.expr, frame)
        self.write(")")

    def visit_EvalContextModifier(self, node: nodes.EvalContextModifier, frame: Frame) -> None:
        self.fail("模板不能改变自动转义（autoescape）：数据中的文字必须原样显示", node.lineno)

    def visit_ScopedEvalContextModifier(self, node: nodes.ScopedEvalContextModifier, frame: Frame) -> None:
        self.fail("模板不能改变自动转义（autoescape）：数据中的文字必须原样显示", node.lineno)


#: What XML 1.0 forbids in a document: control characters but tab and line ends, U+FFFE/U+FFFF, and the lone
#: surrogates a Python string may hold (UTF-8 cannot carry them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: Values escaping turns into plain text: str() of a number or boolean is ASCII; a string is checked.
_PLAIN_NUMBERS = frozenset({int, float, bool, Decimal})


def _finalize(value: Any) -> Any:
    """Every value ``{{ }}`` prints: a list or dict is printed whole, so its size is checked first. A value that
    is not a plain string of XML characters or a number (Markup, which prints unescaped; any other object; a
    control character) is noted, so that its part is parsed whole (see :class:`RenderGuard`)."""
    kind = type(value)
    if kind is str:
        if _NOT_XML.search(value) is not None:
            _note_odd_value()
        return value
    if kind not in _PLAIN_NUMBERS:
        _note_odd_value()
    if not isinstance(value, str) and virtual_size(value) > MAX_STRING:
        raise _too_long("要显示的内容")
    return value


def _note_odd_value() -> None:
    budget = _ACTIVE.get()
    if budget is not None:
        budget.odd_value = True


class GuardedSandbox(SandboxedEnvironment):
    """Jinja's sandbox with bounded filters, calls, operators and formats (see the module docstring)."""

    code_generator_class = _CodeGenerator
    #: Intercepted operators are also never folded at compile time.
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute``. The context is plain dicts whose keys are the placeholders of the contract, and a
        format's key may be the name of a dict method (2019: ``proactive.procurement.items``, 采购项目数量): on a
        plain dict the key wins, then Jinja's sandbox decides as usual (the method, or undefined). Looking the key
        up first also spares raising and catching an AttributeError (a fifth of a render's time)."""
        if type(obj) is dict:
            try:
                return obj[attribute]
            except (KeyError, TypeError):
                pass
        return super().getattr(obj, attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return produced(super().call_binop(context, operator, left, right))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Calls of macros, the loop helpers and the allowed methods; anything else is refused."""
        _spend(1)
        if isinstance(obj, Macro | _BoundedFormat | LoopContext | Undefined):  # Undefined: raises its own error
            return super().call(context, obj, *args, **kwargs)
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", type(obj).__name__)
        if isinstance(owner, LoopContext) and name in ("cycle", "changed"):
            return super().call(context, obj, *args, **kwargs)
        allowed, check = _method_check(owner, name)
        if not allowed:
            raise SecurityError(f"模板中不能调用“{name}”（只能调用宏和少数不改变数据的字符串、列表、字典方法）")
        if check is not None:
            args, kwargs = check(owner, args, kwargs)
        return produced(super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if not isinstance(value, types.MethodType | types.BuiltinMethodType) or value.__name__ not in (
            "format",
            "format_map",
        ):
            return None
        owner = value.__self__
        if not isinstance(owner, str):
            return None
        return _BoundedFormat(self, owner, value.__name__ == "format_map")

    def concat(self, parts: Iterable[str]) -> str:
        """The join of a buffer: a macro's output, a ``{% set %}`` block, a ``{% filter %}`` body."""
        items = parts if isinstance(parts, list) else list(parts)
        if sum(len(item) for item in items if isinstance(item, str)) > MAX_OUTPUT:
            raise _too_long("宏或块生成的内容", MAX_OUTPUT)
        result = "".join(items)
        budget = _ACTIVE.get()
        if budget is not None:
            budget.build(len(result))
        return result

    def join_operands(self, eval_ctx: Any, operands: tuple[Any, ...]) -> str:
        """``a ~ b ~ c``."""
        if sum(_text_size(operand) for operand in operands) > MAX_STRING:
            raise _too_long("用“~”连接的内容")
        result = markup_join(operands) if eval_ctx.autoescape else str_join(operands)
        return produced(result)  # type: ignore[no-any-return]

    def weighed(self, value: Any) -> Any:
        """``value``, an operand of a comparison or ``in``, after spending steps by its size."""
        _spend(_weight(value))
        return value

    def slice_of(self, value: Any, start: Any, stop: Any, step: Any) -> Any:
        """``value[start:stop:step]`` (a copy)."""
        return produced(value[start:stop:step])


def environment() -> GuardedSandbox:
    """The Jinja environment of every Word template: sandboxed, bounded, strict, escaping, no globals."""
    env = GuardedSandbox(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True, finalize=_finalize)
    env.globals.clear()  # no range, lipsum, cycler, joiner, dict, namespace: nothing to walk from
    originals: dict[str, Callable[..., Any]] = {**JINJA_FILTERS, "sum": _sum}
    env.filters = {name: _guarded(name, originals[name], check) for name, check in FILTERS.items()}
    tests = cast("dict[str, Callable[..., Any]]", dict(JINJA_TESTS))
    checks = {"lower": _text_test, "upper": _text_test}
    env.tests = {name: _guarded(name, test, checks.get(name, _weigh)) for name, test in tests.items()}
    return env
