"""Template parts whose every render is well-formed XML: checked once, on the template, not on every render.

A rendered part is the template's fixed text with the printed values put in, and each ``{% for %}`` or
``{% if %}`` body repeated or left out. :func:`renders_well_formed` proves, when the part is compiled, that
whatever the data, the output is well-formed XML provided each printed value is escaped text of XML characters:

- every printed value sits where such text may stand: character data or an attribute value (a marker put in
  its place parses there and nowhere else: not in a name; comments, declarations and CDATA are refused), and
  no ``]]>`` can form across its borders;
- every block body is well-formed content on its own (balanced elements), and stands where content may stand
  (an element put in its place parses), so any number of copies of it, or none, leaves the part well-formed;
- nothing else prints (macros, includes, filter and call blocks, ``{% set %}`` blocks … are not proven: such a
  part is checked by the parser on every render, as before).

Each render then only checks the values: :mod:`reportkit.render.sandbox` notes any printed value that is not a
plain string or number, or that holds a character XML forbids (a control character, a lone surrogate), and such
a part is parsed whole after all. Constants the compiler folds into the output are put into the skeleton as
they will print, so the parser sees them here.
"""

from __future__ import annotations

from typing import Any
from xml.parsers import expat

from jinja2 import nodes
from markupsafe import escape

__all__ = ["renders_well_formed"]

#: What stands for a printed value: "]]", which no name may hold (so the marker parses only in character data or
#: an attribute value) and which finds a "]]>" formed across the value's end ("]]>" may not appear in
#: character data).
_VALUE = "]]"
#: What stands for a block: an element, which may stand only where content may.
_BLOCK = "<reportkit-block/>"


class _NotProven(Exception):
    pass


def renders_well_formed(tree: nodes.Template, environment: Any) -> bool:
    """Whether every render of the part parsed into ``tree`` (by ``environment``, before it is compiled) is
    well-formed XML when each printed value is escaped text of XML characters (see the module docstring)."""
    try:
        eval_context = nodes.EvalContext(environment)
        _parses(_skeleton(tree.body, eval_context))
    except _NotProven:
        return False
    except RecursionError:  # absurd nesting: not proven, parsed per render
        return False
    return True


def _skeleton(body: list[nodes.Node], eval_context: nodes.EvalContext) -> str:
    """The text of ``body`` with each value a marker and each block an element; each block's own bodies are
    proven well-formed content on the way."""
    out: list[str] = []
    for node in body:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    out.append(child.data)
                    continue
                try:  # a constant is folded into the compiled output: put in what it prints
                    out.append(str(escape(child.as_const(eval_context))))
                except Exception:  # Impossible, or any error: the compiler leaves it to the render, as a value
                    out.append(_VALUE)
        elif isinstance(node, nodes.For):
            _content(node.body, eval_context)
            _content(node.else_, eval_context)
            out.append(_BLOCK)
        elif isinstance(node, nodes.If):
            for branch in (node.body, *(elif_.body for elif_ in node.elif_), node.else_):
                _content(branch, eval_context)
            out.append(_BLOCK)
        elif isinstance(node, nodes.Assign):
            continue  # prints nothing; what it names prints as a value, checked then
        else:
            raise _NotProven
    return "".join(out)


def _content(body: list[nodes.Node], eval_context: nodes.EvalContext) -> None:
    _parses(f"<reportkit-content>{_skeleton(body, eval_context)}</reportkit-content>")


def _parses(xml: str) -> None:
    """Parse ``xml``; raise :class:`_NotProven` if it is not well-formed or has a markup declaration, comment,
    processing instruction or CDATA section (the places where a value marker would parse but a value would not
    always: "--" ends a comment). A marker in a name does not parse: no name holds "]"."""

    def refuse(*_: Any) -> None:
        raise _NotProven

    parser = expat.ParserCreate()
    parser.CommentHandler = refuse
    parser.ProcessingInstructionHandler = refuse
    parser.StartCdataSectionHandler = refuse
    parser.StartDoctypeDeclHandler = refuse
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        raise _NotProven from None
