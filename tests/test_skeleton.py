"""Template parts proven to render well-formed XML are not parsed per render: the proof must be sound.

A part is proven when each printed value stands in character data or an attribute value and each block body is
well-formed content standing where content may (reportkit.render.skeleton). The tests: the shipped templates
are proven; parts that can render broken XML are not; a random-template property (every proven template
renders well-formed XML for any plain values, any branch, any number of loop turns); and the values that escape
the proof (Markup, control characters, other objects) make the render parse the part after all.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.parsers import expat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import TemplateSyntaxError
from markupsafe import Markup

import reportkit
from reportkit import formats
from reportkit.errors import TemplateError
from reportkit.render.docx import build_context, load_docx_template
from reportkit.render.docx_template import _ENV
from reportkit.render.sandbox import RenderGuard
from reportkit.render.skeleton import renders_well_formed
from reportkit.templates import find_template

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "longde-chengguan-2021.toml"


def _proven(source: str) -> bool:
    return renders_well_formed(_ENV.parse(source), _ENV)


def _well_formed(xml: str) -> bool:
    try:
        expat.ParserCreate().Parse(xml, True)
    except expat.ExpatError:
        return False
    return True


@pytest.mark.parametrize("layout", formats.all_formats(), ids=lambda layout: layout.id)
def test_every_part_of_the_shipped_templates_is_proven(layout: formats.ReportFormat) -> None:
    compiled = load_docx_template(find_template("docx", layout.id).path)
    assert compiled.parts and all(part.proven for part in compiled.parts), [p.name for p in compiled.parts]


PROVEN = [
    "<d>{{ v }}</d>",
    '<d a="{{ v }}" b="x{{ v }}y">t{{ v }}t</d>',
    "<d>{% for i in l %}<p>{{ i }}</p>{% else %}<p/>{% endfor %}</d>",
    "<d>{% if c %}<p>{{ v }}</p>{% elif v %}text{% else %}<q/><q/>{% endif %}</d>",
    "<d>{% for i in l %}{% if c %}<p>{% for j in l %}<r/>{% endfor %}</p>{% endif %}{% endfor %}</d>",
    "<d>{% set w = v %}{{ w }}</d>",
    "<d>{{ '<w:p>' }}&amp;</d>",  # a constant prints escaped
    "<d>{{ v }}]</d>",
]
NOT_PROVEN = {
    "a block that opens an element it does not close": "<d>{% if c %}<p>{% endif %}</p></d>",
    "a block that closes an element it did not open": "<d><p>{% if c %}</p><p>{% endif %}</p></d>",
    "a loop body that is two halves of one element": "<d>{% for i in l %}</p><p>{% endfor %}</d>",
    "a block inside a tag": '<d>{% if c %}<p a="1">{% endif %}</d>',
    "a block in an attribute value": '<d a="{% if c %}x{% endif %}"/>',
    "a block between attributes": "<d {% if c %}a='1'{% endif %}/>",
    "a value as an element name": "<d><{{ v }}/></d>",
    "a value as an attribute name": '<d {{ v }}="1"/>',
    "a value in a comment": "<d><!-- {{ v }} --></d>",
    "a comment beside the values": "<d><!-- c -->{{ v }}</d>",
    "a value before a closing bracket": "<d>{{ v }}></d>",
    "a value inside an entity": "<d>&am{{ v }};</d>",
    "a value in a CDATA section": "<d><![CDATA[{{ v }}]]></d>",
    "a processing instruction": "<d><?pi {{ v }}?></d>",
    "a block outside the root": "<d/>{% if c %}<e/>{% endif %}",
    "a value outside the root": "<d/>{{ v }}",
    "broken fixed text": "<d><p></d>",
    "a macro": "{% macro m() %}<p/>{% endmacro %}<d>{{ m() }}</d>",
    "a filter block": "<d>{% filter upper %}<p/>{% endfilter %}</d>",
    "a set block": "<d>{% set x %}<p>{% endset %}{{ x }}</d>",
    "a constant that is not XML text": "<d>{{ '\x01' }}</d>",
}


@pytest.mark.parametrize("source", PROVEN)
def test_parts_that_always_render_well_formed_are_proven(source: str) -> None:
    assert _proven(source)


@pytest.mark.parametrize("name", NOT_PROVEN)
def test_parts_that_can_render_broken_xml_are_not_proven(name: str) -> None:
    assert not _proven(NOT_PROVEN[name])


#: Pieces of random templates: markup, text with the characters that matter, values, and blocks.
PIECES = [
    "<p>",
    "</p>",
    "<q/>",
    '<r a="',
    '">',
    '"/>',
    "x",
    "]]",
    ">",
    "&amp;",
    "&",
    "<!--",
    "-->",
    "{{ v }}",
    "{{ w }}",
    "{% if c %}",
    "{% else %}",
    "{% endif %}",
    "{% for i in l %}",
    "{% endfor %}",
    "{{ i }}",
]
TEXTS = st.text(alphabet=st.sampled_from(list("ab<>&\"']] \t\n中")), max_size=6)
VALUES = TEXTS | st.integers() | st.just(Decimal("1.50"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(pieces=st.lists(st.sampled_from(PIECES), max_size=14), data=st.data())
def test_a_proven_template_renders_well_formed_xml_whatever_the_values(pieces: list[str], data: Any) -> None:
    source = "<d>" + "".join(pieces) + "</d>"
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError:
        return
    if not renders_well_formed(tree, _ENV):
        return
    template = _ENV.from_string(source)
    for condition, turns in itertools.product((True, False), (0, 1, 3)):
        context = {
            "v": data.draw(VALUES),
            "w": data.draw(VALUES),
            "i": data.draw(VALUES),  # outside a loop
            "c": condition,
            "l": [data.draw(VALUES) for _ in range(turns)],
        }
        guard = RenderGuard(traced=False)
        xml = guard.render(template, context)
        assert guard.plain_values
        assert _well_formed(xml), (source, context, xml)


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("text <&> ]]", True),
        (42, True),
        (Decimal("36.1"), True),
        (True, True),
        ("a\x0bb", False),  # a control character XML forbids
        ("\ud800", False),  # a lone surrogate
        ("\ufffe", False),
        (Markup("<p/>"), False),  # prints unescaped
        (["x"], False),
        (None, False),
    ],
)
def test_a_value_the_proof_does_not_cover_is_noted(value: Any, plain: bool) -> None:
    guard = RenderGuard(traced=False)
    guard.render(_ENV.from_string("<d>{{ v }}</d>"), {"v": value})
    assert guard.plain_values is plain
    guard.render(_ENV.from_string("<d>x</d>"), {})
    assert guard.plain_values  # noted per part: the next part starts afresh


def test_a_shipped_template_parses_a_part_whose_value_is_not_xml_text() -> None:
    """The context never holds such a value (the model cleans texts); if it did, the parse refuses it."""
    compiled = load_docx_template(find_template("docx", formats.NEWEST).path)
    context = build_context(reportkit.load(EXAMPLE), draft=False)
    assert compiled.render(context)
    with pytest.raises(TemplateError, match="XML 无法解析"):
        compiled.render({**context, "agency": "城关镇\x0b人民政府"})
