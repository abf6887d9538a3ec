"""Custom Word templates cannot escape the sandbox, and text from figures files is never evaluated.

Every escape below is put into a copy of the shipped template (in place of the heading of section 五) and
must fail with a TemplateError that names the place, quickly; none may run code or return internals.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import attrs
import pytest
from openpyxl import load_workbook

import reportkit
from docx_helpers import full_report, modified_template, open_docx
from reportkit.errors import TemplateError
from reportkit.formats import gov2021 as fmt
from reportkit.render import docx_template as docx_render
from reportkit.render.docx import render_docx
from reportkit.xlsx_form import fill_form

CONTEXT = docx_render.build_context(full_report())


def _custom(tmp_path: Path, text: str) -> Path:
    return modified_template(tmp_path / "custom.docx", {fmt.PROBLEMS.heading: text})


def _refused(tmp_path: Path, tag: str) -> TemplateError:
    path = _custom(tmp_path, tag.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    start = time.perf_counter()
    with pytest.raises(TemplateError) as caught:
        render_docx(full_report(), path)
    assert time.perf_counter() - start < 5
    error = caught.value
    assert str(path) in str(error)
    assert error.problems and all(p.where.startswith("正文") for p in error.problems), error
    assert "Traceback" not in str(error)
    return error


ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ config }}",
    "{{ request }}",
    "{{ request.application.__globals__.__builtins__ }}",
    "{{ url_for.__globals__ }}",
    "{{ get_flashed_messages.__globals__ }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "{{ title.__class__ }}",
    "{{ title.__class__.__base__.__subclasses__() }}",
    "{{ agency.__mod__ }}",
    "{{ agency.format.__globals__ }}",
    "{{ '{0.__class__.__base__.__subclasses__}'.format(agency) }}",
    "{{ '{0.__class__.__init__.__globals__}'.format(agency) }}",
    "{{ '%s'.__mod__ }}",
    "{{ overview.__class__ }}",
    "{{ overview.items.__self__.__class__ }}",
    "{{ problems.__class__.__base__.__subclasses__() }}",
    "{{ problems.append.__self__.__class__ }}",
    "{{ title_lines.__iter__ }}",
    "{{ signoff.__init__ }}",
    "{{ (agency|attr('__class__')).__base__ }}",
    "{{ agency|attr('__class__') }}",
    "{{ draft.__class__.__mro__ }}",
    "{{ report.__init__.__globals__ }}",
    "{{ report }}",
    "{{ range(10**9)|list }}",
    "{{ range(10) }}",
    "{{ dict(a=1) }}",
    "{{ lipsum(10**6, false, 10**6, 10**6) }}",
    "{{ 'a' * 10**9 }}",
    "{{ agency * 10**9 }}",
    "{{ 10**9 * problems }}",
    "{{ 9 ** (9 ** 9) }}",
    "{{ 1/0 }}",
    "{{ 2.5 ** 100000 }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ agency|safe }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{% extends '/etc/passwd' %}",
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
]


@pytest.mark.parametrize("tag", ESCAPES, ids=lambda tag: tag[:60])
def test_escape_is_refused(tmp_path: Path, tag: str) -> None:
    error = _refused(tmp_path, tag)
    text = str(error)
    assert "uid=" not in text and "root:" not in text and "<class" not in text, text
    assert "__globals__" not in text or "沙箱" in text or "未知" in text


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "沙箱"),
        ("{{ title.__class__ }}", "沙箱"),
        ("{{ cycler.__init__.__globals__.os }}", "沙箱|未知的占位符"),
        ("{{ lipsum.__globals__['os'].popen('id').read() }}", "沙箱|未知的占位符"),
        ("{{ range(10**9)|list }}", "未知的占位符"),
        ("{{ config }}", "未知的占位符"),
        ("{{ agency * 10**9 }}", "沙箱.*过长"),
        ("{{ 9 ** (9 ** 9) }}", "沙箱.*过大"),
        ("{{ 1/0 }}", "ZeroDivisionError"),
        ("{{ agency|safe }}", "safe"),
    ],
)
def test_the_message_says_why(tmp_path: Path, tag: str, message: str) -> None:
    error = _refused(tmp_path, tag)
    assert re.search(message, error.problems[0].message), error.problems[0].message


def test_the_context_is_plain_data() -> None:
    """What a template can reach: strings, booleans, lists and dicts of them (no report object, no model)."""

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                assert isinstance(key, str)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            assert isinstance(value, str | bool), type(value)

    walk(CONTEXT)
    assert "report" not in CONTEXT
    assert not docx_render._ENV.globals


def test_the_sandbox_leaves_ordinary_templates_alone(tmp_path: Path) -> None:
    path = _custom(tmp_path, "{{ agency * 2 }}{{ 2 ** 10 }}{{ agency|upper }}{{ problems|length }}")
    texts = [p.text for p in open_docx(render_docx(full_report(), path)).paragraphs]
    assert "某市某区交通运输局某市某区交通运输局1024某市某区交通运输局2" in texts


# ---------------------------------------------------------------------------------------------------
# Text from figures files is data
# ---------------------------------------------------------------------------------------------------

HOSTILE = "{{ 7*7 }} {% raw %}{{ x }}{% endraw %} </w:t><w:p> & &amp; ]]> {# c #} {_{ 1 }_} ${x} %s {0}"


def _hostile_report() -> reportkit.AnnualReport:
    report = full_report()
    return attrs.evolve(
        report,
        agency=attrs.evolve(report.agency, name="A&B</w:t>{{ 7*7 }}局"),
        overview=attrs.evolve(report.overview, proactive=HOSTILE, intro=HOSTILE),
        problems=attrs.evolve(report.problems, text=HOSTILE),
        other=attrs.evolve(report.other, text=HOSTILE),
    )


def test_figures_text_appears_literally_in_the_docx() -> None:
    report = _hostile_report()
    data = render_docx(report)
    texts = [p.text for p in open_docx(data).paragraphs]
    assert texts.count(HOSTILE) == 4
    assert any("A&B</w:t>{{ 7*7 }}局" in text for text in texts)
    assert "49" not in "".join(texts)


def test_figures_text_appears_literally_in_the_xlsx(tmp_path: Path) -> None:
    report = _hostile_report()
    workbook = load_workbook(io.BytesIO(reportkit.render_xlsx(report)))
    assert workbook["基本信息"]["B3"].value == "A&B</w:t>{{ 7*7 }}局"
    form = tmp_path / "form.xlsx"
    form.write_bytes(fill_form(report))
    back = reportkit.load(form)
    assert back.overview.proactive == HOSTILE and back.problems.text == HOSTILE and back.other.text == HOSTILE
    assert back.agency.name == "A&B</w:t>{{ 7*7 }}局"


def test_figures_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    report = full_report()
    report = attrs.evolve(report, problems=attrs.evolve(report.problems, text='=HYPERLINK("http://x","y")'))
    form = tmp_path / "form.xlsx"
    form.write_bytes(fill_form(report))
    assert reportkit.load(form).problems.text == '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ d.name }}", "x"),  # a key: the item
        ("{{ d.items }}", "4"),  # a key named like a dict method (2019: procurement.items, 采购项目数量): the item
        ("{{ d.keys is callable }}", "True"),  # no such key: the method, as in Jinja
        ("{{ d.missing is undefined }}", "True"),
        ("{{ d._hidden }}", "h"),  # an item is data, whatever its name (Jinja looks items up unchecked too)
    ],
)
def test_attribute_lookup_on_dicts_prefers_the_key(source: str, expected: str) -> None:
    """On the context's dicts a key is the placeholder the contract promises, even where Jinja would give a method."""
    from reportkit.render.sandbox import RenderGuard, environment

    data = {"d": {"name": "x", "items": 4, "_hidden": "h"}}
    assert RenderGuard(traced=True).render(environment().from_string(source), data) == expected


def test_dunder_of_a_dict_is_still_refused() -> None:
    from jinja2.exceptions import SecurityError

    from reportkit.render.sandbox import RenderGuard, environment

    with pytest.raises(SecurityError):
        RenderGuard(traced=True).render(environment().from_string("{{ d.__class__.__mro__ }}"), {"d": {}})
