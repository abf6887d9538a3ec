"""Untrusted Word templates are bounded in memory and time (issue 9, point 14).

Every attack of ``template_attacks.py`` (``'x'|center(10**9)``, ``'{:>1000000000}'.format('x')``, string doubling
through macros, nested loops over long strings …) took gigabytes or ran for hours. Each must now be refused with
a TemplateError naming its place in the document, within seconds and well under a gigabyte: through
``render_docx``, ``reportkit render --template`` and ``reportkit template check``. The attacks run in a child
process with an address-space limit, and a hang kills the child (an alarm per attack), so a regression fails the
test instead of stalling the suite or the machine.

Ordinary templates render exactly as plain Jinja renders them.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import threading
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from docx_helpers import TEMPLATE, full_report, modified_template, open_docx
from reportkit.errors import TemplateError
from reportkit.formats import gov2021 as fmt
from reportkit.io import dump
from reportkit.render import docx_template as docx_render
from reportkit.render import sandbox
from reportkit.render.contract import check_docx_template
from reportkit.render.docx import compile_docx_template, render_docx
from reportkit.render.sandbox import RenderGuard
from template_attacks import ATTACK_SECONDS, ATTACKS, PARAGRAPH_ATTACKS, write_attack

RUNNER = Path(__file__).with_name("template_attacks.py")
ALL = [*ATTACKS, *PARAGRAPH_ATTACKS]
#: One attack of each kind, for the command-line paths (the same guards; the full list runs through render_docx).
SAMPLE = [
    "center",
    "format width",
    "percent width",
    "replace with an empty pattern",
    "wordwrap",
    "batch padding",
    "doubling with ~ in a macro",
    "doubling output with caller",
    "slices in a recursion",
    "loop.cycle",
    "nested loops",
    "membership scans",
    "nested paragraph loops",
]
#: What one attack may add to the resident memory of the process.
PEAK_BYTES = 256 << 20
CONTEXT = docx_render.build_context(full_report())


def _run_attacks(mode: str, names: list[str]) -> tuple[dict[str, dict[str, Any]], str]:
    done = subprocess.run(
        [sys.executable, str(RUNNER), mode, json.dumps(names)],
        capture_output=True,
        text=True,
        timeout=ATTACK_SECONDS * len(names) + 120,
    )
    results = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
            results[result["name"]] = result
    return results, done.stderr[-3000:]


def _result(results: tuple[dict[str, dict[str, Any]], str], name: str) -> dict[str, Any]:
    found, stderr = results
    assert name in found, f"the runner stopped at or before this attack (a hang, a crash or the memory limit): {stderr}"
    result = found[name]
    assert result["peak"] < PEAK_BYTES, f"{result['peak'] >> 20} MB"
    assert "Traceback" not in result["message"], result["message"]
    # the place where the output outgrew the limit: a paragraph or a table cell of the body
    assert re.search(r"正文第\d+(段|个表格第\d+行第\d+列)", result["message"]), result["message"]
    assert re.search("沙箱|RecursionError", result["message"]), result["message"]
    return result


@pytest.fixture(scope="module")
def through_render_docx() -> tuple[dict[str, dict[str, Any]], str]:
    return _run_attacks("render", ALL)


@pytest.fixture(scope="module")
def through_the_render_command() -> tuple[dict[str, dict[str, Any]], str]:
    return _run_attacks("cli", SAMPLE)


@pytest.fixture(scope="module")
def through_template_check() -> tuple[dict[str, dict[str, Any]], str]:
    return _run_attacks("check", SAMPLE)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_render_docx_refuses(through_render_docx: tuple[dict[str, dict[str, Any]], str], name: str) -> None:
    assert _result(through_render_docx, name)["outcome"] == "refused"


@pytest.mark.slow
@pytest.mark.parametrize("name", SAMPLE)
def test_the_render_command_refuses(
    through_the_render_command: tuple[dict[str, dict[str, Any]], str], name: str
) -> None:
    assert _result(through_the_render_command, name)["outcome"] == "exit 2"  # and wrote no file


@pytest.mark.slow
@pytest.mark.parametrize("name", SAMPLE)
def test_template_check_reports(through_template_check: tuple[dict[str, dict[str, Any]], str], name: str) -> None:
    assert _result(through_template_check, name)["outcome"] == "exit 1"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["format width", "nested loops"])
def test_a_real_process(tmp_path: Path, name: str) -> None:
    """``python -m reportkit`` itself: render refuses (exit 2, nothing written), template check reports (exit 1)."""
    template = write_attack(tmp_path, name)
    figures = tmp_path / "figures.toml"
    dump(full_report(), figures)
    out = tmp_path / "out"
    for argv, code in (
        (["render", str(figures), "-o", str(out), "--docx", "--template", str(template)], 2),
        (["template", "check", str(template)], 1),
    ):
        done = subprocess.run([sys.executable, "-m", "reportkit", *argv], capture_output=True, text=True, timeout=300)
        output = done.stdout + done.stderr
        assert done.returncode == code, output
        assert "沙箱" in output and re.search(r"正文第\d+段", output) and "Traceback" not in output
    assert not list(out.glob("*"))


# ---------------------------------------------------------------------------------------------------
# The guards in-process: threads, tracers, allow-lists
# ---------------------------------------------------------------------------------------------------


def _template(tmp_path: Path, text: str) -> Path:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return modified_template(tmp_path / "custom.docx", {fmt.PROBLEMS.heading: escaped})


def _refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(TemplateError) as caught:
        render_docx(full_report(), _template(tmp_path, text))
    (problem,) = caught.value.problems
    assert problem.where.startswith("正文第"), problem
    return problem.message


def test_the_step_budget_works_outside_the_main_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "MAX_STEPS", 20_000)
    path = _template(tmp_path, ATTACKS["nested loops"])
    errors: list[BaseException] = []

    def work() -> None:
        try:
            render_docx(full_report(), path)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive()
    (error,) = errors
    assert isinstance(error, TemplateError) and "步数过多" in str(error)


def test_the_tracer_leaves_the_previous_one_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A debugger's or coverage's tracer keeps seeing every frame but the template's, and is restored, also after
    a template ran out of steps; the shipped (trusted) template runs without the tracer."""
    seen: list[str] = []

    def tracer(frame: Any, event: str, arg: Any) -> None:
        seen.append(frame.f_code.co_filename)

    custom = compile_docx_template(TEMPLATE.read_bytes())
    shipped = compile_docx_template(TEMPLATE.read_bytes(), trusted=True)
    endless = compile_docx_template(_template(tmp_path, ATTACKS["nested loops"]).read_bytes())
    monkeypatch.setattr(sandbox, "MAX_STEPS", 20_000)
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        custom.render(CONTEXT)
        after_custom, custom_frames = sys.gettrace(), set(seen)
        seen.clear()
        shipped.render(CONTEXT)
        shipped_frames = set(seen)
        with pytest.raises(TemplateError, match="步数过多"):
            endless.render(CONTEXT)
        after_error = sys.gettrace()
    finally:
        sys.settrace(previous)
    assert after_custom is tracer and after_error is tracer
    assert custom_frames and sandbox.TEMPLATE_FILENAME not in custom_frames
    assert sandbox.TEMPLATE_FILENAME in shipped_frames


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{% set l = problems %}{{ l.append('x') }}", "不能调用“append”"),
        ("{% set d = overview %}{{ d.update({}) }}", "不能调用“update”"),
        ("{% set a = agency %}{{ a.encode() }}", "不能调用“encode”"),
        ("{{ problems.append('x') }}", "未知的占位符“problems.append”"),
        ("{{ agency.format.__self__ }}", "沙箱"),
        ("{{ agency|tojson }}", "No filter named 'tojson'.*可用的过滤器"),
        ("{{ agency|striptags }}", "可用的过滤器"),
        ("{{ problems|random }}", "可用的过滤器"),
        ("{% autoescape false %}{{ agency }}{% endautoescape %}", "autoescape"),
        ("{{ ['a']|sum(start='') }}", "只能对数字求和"),
    ],
)
def test_what_a_template_may_not_do(tmp_path: Path, text: str, message: str) -> None:
    assert re.search(message, _refusal(tmp_path, text))


def test_the_output_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "MAX_OUTPUT", 50_000)
    copy = tmp_path / "copy.docx"
    copy.write_bytes(TEMPLATE.read_bytes())
    with pytest.raises(TemplateError, match="生成的文档过长") as caught:
        render_docx(full_report(), copy)
    (problem,) = caught.value.problems
    assert problem.where.startswith("正文第"), problem


def test_cpu_time_is_the_last_resort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "MAX_CPU_SECONDS", 0.0)
    assert "运行时间过长" in _refusal(tmp_path, "{% for a in 'x' * 1000 %}{{ a }}{% endfor %}")


def test_what_a_render_builds_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "MAX_BUILT", 10_000)
    assert "累计构造" in _refusal(tmp_path, "{% for p in 'x' * 100 %}{{ agency|center(500) }}{% endfor %}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ agency }}" * (docx_render.MAX_TEMPLATE_TAGS + 1), "模板语句过多"),
        ("{{ " + " ~ ".join(["agency"] * (docx_render.MAX_TEMPLATE_CODE // 9)) + " }}", "模板语句过长"),
        ("{{ x" * (docx_render.MAX_TEMPLATE_TAGS + 1), "模板语句过多"),
    ],
    ids=["many tags", "a long expression", "unclosed tags"],
)
def test_templates_too_large_to_compile_are_refused_first(tmp_path: Path, text: str, message: str) -> None:
    """Compiling and checking cost about a millisecond per tag: 100,000 tags took half a minute and a gigabyte."""
    path = _template(tmp_path, text)
    tracemalloc.start()
    try:
        with pytest.raises(TemplateError, match=message):
            render_docx(full_report(), path)
        assert check_docx_template(path)[0].message.find(message) >= 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20, peak


# ---------------------------------------------------------------------------------------------------
# Ordinary templates render as plain Jinja renders them
# ---------------------------------------------------------------------------------------------------


def _plain_jinja() -> SandboxedEnvironment:
    """The environment before the bounds: Jinja's sandbox, strict, escaping, no globals, no safe."""
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    env.globals.clear()
    env.filters.pop("safe")
    return env


ORDINARY = [
    "{{ agency|length }}",
    "{{ nothing|default('无') }}",
    "{{ agency|upper }}{{ agency|lower }}{{ agency|title }}{{ agency|capitalize }}{{ agency|trim }}",
    "{{ agency|replace('局', '厅') }}",
    "{% for p in problems %}{{ loop.index }}/{{ loop.length }} {{ p }}{% if not loop.last %}；{% endif %}{% endfor %}",
    "{% for p in problems %}{{ loop.cycle('甲', '乙') }}{{ loop.changed(p) }}{% endfor %}",
    "{% for key, value in applications.new.items() %}{{ key }}={{ value }},{% endfor %}",
    "{{ agency ~ '（盖章）' }}{{ agency ~ year ~ 1 }}",
    "{{ '%s年度' % year }}{{ '%(a)s' % {'a': agency} }}{{ '%05d' % 42 }}",
    "{{ '{}年度'.format(year) }}{{ '{:>6}'.format(year) }}{{ '{a}'.format_map({'a': agency}) }}",
    "{{ title_lines|join('') }}{{ ''.join(title_lines) }}",
    "{{ agency[:4] }}{{ agency[-1] }}{{ agency[::2] }}{{ problems[1:]|length }}",
    "{{ problems|first }}{{ problems|last }}",
    "{% if draft %}草稿{% else %}正式{% endif %}",
    "{{ overview.items()|list|length }}{{ overview.get('intro')|length }}",
    "{% macro m(x) %}【{{ x }}】{% endmacro %}{{ m(agency) }}",
    "{% macro w() %}【{{ caller() }}】{% endmacro %}{% call w() %}{{ agency }}{% endcall %}",
    "{{ applications.new.total|int + 1 }}{{ proactive.fees_wan_yuan|float * 2 }}",
    "{{ agency.startswith('某') }}{{ agency.split('区')|length }}{{ agency.center(20, '*') }}",
    "{% set x %}{{ agency }}{% endset %}{{ x }}",
    "{% filter upper %}abc{{ agency }}{% endfilter %}",
    "{{ '局' in agency }}{{ agency == agency }}{{ agency is string }}{{ 4 is divisibleby 2 }}",
    "{{ problems|batch(1)|list|length }}{{ problems|slice(2)|list|length }}",
    "{{ [1, 2, 3]|sum }}{{ [1, 2, 3]|max }}{{ [3, 1, 2]|sort|join(',') }}",
    "{{ problems|join('；') }}{{ problems|map('upper')|join }}{{ problems|select|list|length }}",
    "{{ agency|center(30) }}{{ agency|truncate(5) }}{{ 'a b c d e f'|wordwrap(3) }}{{ ('a' ~ '\n' ~ 'b')|indent(2) }}",
    "{{ agency * 2 }}{{ 2 ** 10 }}{{ [agency] * 2 }}{{ (1, 2) + (3,) }}",
    "{{ agency|list|unique|list|length }}{{ agency|reverse }}{{ agency|wordcount }}{{ agency|e }}",
    "{{ problems }}{{ overview.intro }}{{ signoff }}",
    "{% for p in problems recursive %}{{ p }}{% endfor %}",
    "{{ '<&>' }}{{ agency|format }}{{ '%s'|format(agency) }}",
]


@pytest.mark.parametrize("source", ORDINARY)
def test_ordinary_expressions_render_as_plain_jinja(source: str) -> None:
    expected = _plain_jinja().from_string(source).render(CONTEXT)
    assert RenderGuard(traced=True).render(docx_render._ENV.from_string(source), CONTEXT) == expected


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _edited(target: Path, edits: dict[str, Any]) -> Path:
    """A copy of the shipped template with some parts edited (member -> edit(root))."""
    with zipfile.ZipFile(TEMPLATE) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info, content in items:
            if info.filename in edits:
                root = etree.fromstring(content)
                edits[info.filename](root)
                content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            out.writestr(info, content)
    target.write_bytes(buffer.getvalue())
    return target


def _restyle(root: etree._Element) -> None:
    """Bold runs and a wider first-line indent: what an office does in Word."""
    for run in root.iter(f"{W}r"):
        properties = run.find(f"{W}rPr")
        if properties is None:
            properties = etree.Element(f"{W}rPr")
            run.insert(0, properties)
        etree.SubElement(properties, f"{W}b")


def _row_loop(root: etree._Element) -> None:
    """docxtpl row tags: a table row repeated for each paragraph of section 五, appended to the last table."""
    table = list(root.iter(f"{W}tbl"))[-1]
    for text in ("{%tr for p in problems %}", "{{ p }}", "{%tr endfor %}"):
        cell = etree.SubElement(etree.SubElement(table, f"{W}tr"), f"{W}tc")
        etree.SubElement(etree.SubElement(etree.SubElement(cell, f"{W}p"), f"{W}r"), f"{W}t").text = text


def _paragraph_loop(root: etree._Element) -> None:
    """A loop over the paragraphs of section 五 with their numbers, in place of its plain loop."""
    for text in root.iter(f"{W}t"):
        if text.text == "{{ p }}":
            text.text = "{{ loop.index }}. {{ p|default('') }}"


TEMPLATES = {
    "shipped": None,
    "restyled": {"word/document.xml": _restyle},
    "row tags": {"word/document.xml": _row_loop},
    "numbered paragraphs": {"word/document.xml": _paragraph_loop},
}


@pytest.mark.parametrize("kind", TEMPLATES)
def test_ordinary_templates_render_as_plain_jinja(tmp_path: Path, kind: str) -> None:
    edits = TEMPLATES[kind]
    path = TEMPLATE if edits is None else _edited(tmp_path / "custom.docx", edits)
    compiled = compile_docx_template(path.read_bytes())
    plain = _plain_jinja()
    for part in compiled.parts:
        expected = plain.from_string(part.source).render(CONTEXT)
        assert RenderGuard(traced=True).render(part.template, CONTEXT) == expected, part.name
    document = open_docx(render_docx(full_report(), path))
    texts = "".join(p.text for p in document.paragraphs) + "".join(
        c.text for t in document.tables for r in t.rows for c in r.cells
    )
    assert "存在的问题。" in texts and "改进措施。" in texts
