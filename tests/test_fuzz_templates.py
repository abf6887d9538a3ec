"""Fuzzing Word templates: whatever a restyled template holds, rendering gives a document that opens, or a
TemplateError that says where; ``reportkit template check`` never shows a traceback.

Each example starts from the shipped template and mutates the text of ``word/document.xml`` (Jinja tag
delimiters deleted, inserted or duplicated, random placeholder names, broken XML, random byte edits) or the
zip archive (truncated, bytes changed, members deleted or replaced).

The default run is small so the suite stays fast; set REPORTKIT_FUZZ_EXAMPLES (e.g. 2000) for a long run.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reportkit
from docx_helpers import full_report
from reportkit.cli import main
from reportkit.errors import ReportkitError, TemplateError
from reportkit.render.docx import render_docx
from reportkit.templates import find_template

EXAMPLES = int(os.environ.get("REPORTKIT_FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

TEMPLATE = find_template("docx", reportkit.NEWEST).path
SHIPPED = TEMPLATE.read_bytes()
with zipfile.ZipFile(io.BytesIO(SHIPPED)) as _package:
    MEMBERS: tuple[str, ...] = tuple(_package.namelist())
    DOCUMENT: str = _package.read("word/document.xml").decode("utf-8")
REPORT = full_report()
#: Where the template's tags are: mutations aim there half of the time.
TAG_POSITIONS: tuple[int, ...] = tuple(m.start() for m in re.finditer(r"\{\{|\}\}|\{%|%\}", DOCUMENT))
TAGS: tuple[str, ...] = tuple(sorted(set(re.findall(r"\{[{%][^{}]*[}%]\}", DOCUMENT))))


def _with_document(
    document: bytes, *, drop: frozenset[str] = frozenset(), replace: dict[str, bytes] | None = None
) -> bytes:
    """The shipped template with ``word/document.xml`` replaced (and other members dropped or replaced)."""
    parts = {"word/document.xml": document, **(replace or {})}
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(SHIPPED)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename not in drop:
                out.writestr(info, parts.get(info.filename, source.read(info)))
    return buffer.getvalue()


def _answers(data: bytes, folder: Path, *, draft: bool = False) -> None:
    """The property: a document python-docx opens, or a TemplateError naming the file and the place."""
    path = folder / "模板.docx"
    path.write_bytes(data)
    try:
        rendered = render_docx(REPORT, template=path, draft=draft)
    except TemplateError as exc:
        text = str(exc)
        assert str(path) in text and exc.summary, text
        for problem in exc.problems:
            assert problem.where and problem.message, text
    else:
        document = Document(io.BytesIO(rendered))  # opens: every part is well-formed XML
        assert document.paragraphs and len(document.tables) >= 0
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["template", "check", str(path)])
    assert code in (0, 1, 2), code
    assert "Traceback" not in stdout.getvalue() + stderr.getvalue()


# ---------------------------------------------------------------------------------------------------
# The text of word/document.xml
# ---------------------------------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "{{",
        "}}",
        "{%",
        "%}",
        "{%p ",
        "{%p endfor %}",
        "{%p endif %}",
        "{% endif %}",
        "{% endfor %}",
        "{%p if draft %}",
        "{% if draft %}",
        "{{ agency }}",
        "{{ overview.proactive }}",
        "{{ overview }}",
        "{{ applications.new }}",
        "{{ title_lines }}",
        "{{ p }}",
        "{{ line }}",
        "{% raw %}",
        "{% endraw %}",
        "{#",
        "#}",
        "{%tr for x in problems %}",
        "{%tr endfor %}",
        "{%tc if draft %}",
        "{%tc endif %}",
        "{{ agency|upper }}",
        "{{ agency|no_filter }}",
        "{{ 1/0 }}",
        "{{ 'x'|center(10**9) }}",
        "{{ '{:>1000000000}'.format('x') }}",
        "{{ '%1000000000s' % 'x' }}",
        "{{ agency|indent(10**9) }}",
        "{{ 'ab'|batch(10**9, 'x')|list }}",
        "{% macro d(s) %}{{ d(s ~ s) }}{% endmacro %}{{ d(agency) }}",
        "{{ agency[0] }}",
        "{{ agency.x.y }}",
        "{{ proactive.licensing + 1 }}",
        "{% set x = 1 %}",
        "{% macro m() %}",
        "{% include 'x' %}",
        "{% extends 'x' %}",
        "{% import 'x' as y %}",
        "{% block b %}",
        "{{ signoff.name_right }}",
        "{% for p in problems %}",
        "{_{",
        "}_}",
        "<",
        ">",
        "&",
        "&amp;",
        "&#0;",
        "]]>",
        "<w:p>",
        "</w:p>",
        "</w:t>",
        "<w:t>",
        '"',
        "'",
        "\x00",
        "\ufffe",
        "政府",
        "{{{{",
        "%}}",
        "{{%",
    ]
)
NAMES = st.text("abcdefghijklmnopqrstuvwxyz_.0123456789[]'", min_size=1, max_size=16)
PLACEHOLDERS = NAMES.map(lambda name: f"{{{{ {name} }}}}") | NAMES.map(lambda name: f"{{% if {name} %}}")
INSERTS = PIECES | PLACEHOLDERS | st.text(max_size=6) | st.sampled_from(TAGS)
POSITIONS = st.sampled_from(TAG_POSITIONS) | st.integers(0, len(DOCUMENT))
EDITS = st.lists(st.tuples(POSITIONS, st.integers(0, 6), INSERTS), min_size=1, max_size=5)


def _edit(text: str, edits: list[tuple[int, int, str]]) -> str:
    for position, delete, insert in edits:
        at = min(position, len(text))
        text = text[:at] + insert + text[at + delete :]
    return text


@FUZZ
@given(edits=EDITS, draft=st.booleans())
def test_mutated_document_text(edits: list[tuple[int, int, str]], draft: bool, tmp_path_factory: Any) -> None:
    document = _edit(DOCUMENT, edits).encode("utf-8", "surrogatepass")
    _answers(_with_document(document), tmp_path_factory.mktemp("tpl"), draft=draft)


@FUZZ
@given(
    tags=st.lists(
        st.tuples(st.sampled_from(TAGS), st.sampled_from(["delete", "duplicate", "swap"])), min_size=1, max_size=4
    )
)
def test_tags_deleted_duplicated_or_swapped(tags: list[tuple[str, str]], tmp_path_factory: Any) -> None:
    document = DOCUMENT
    for tag, action in tags:
        if action == "delete":
            document = document.replace(tag, "", 1)
        elif action == "duplicate":
            document = document.replace(tag, tag + tag, 1)
        else:
            document = document.replace(tag, tag.replace("{{", "{%").replace("}}", "%}"), 1)
    _answers(_with_document(document.encode("utf-8")), tmp_path_factory.mktemp("tpl"))


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(DOCUMENT.encode())), st.integers(0, 255)), min_size=1, max_size=6))
def test_random_byte_edits_of_the_document(edits: list[tuple[int, int]], tmp_path_factory: Any) -> None:
    data = bytearray(DOCUMENT.encode("utf-8"))
    for position, value in edits:
        data[min(position, len(data) - 1)] = value
    _answers(_with_document(bytes(data)), tmp_path_factory.mktemp("tpl"))


# ---------------------------------------------------------------------------------------------------
# The archive
# ---------------------------------------------------------------------------------------------------


@FUZZ
@given(length=st.integers(0, len(SHIPPED) - 1))
def test_truncated(length: int, tmp_path_factory: Any) -> None:
    _answers(SHIPPED[:length], tmp_path_factory.mktemp("tpl"))


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(SHIPPED) - 1), st.integers(1, 255)), min_size=1, max_size=6))
def test_bytes_flipped(edits: list[tuple[int, int]], tmp_path_factory: Any) -> None:
    data = bytearray(SHIPPED)
    for position, mask in edits:
        data[position] ^= mask
    _answers(bytes(data), tmp_path_factory.mktemp("tpl"))


GARBAGE = st.binary(max_size=40) | st.sampled_from(
    [b"", b"<", b"<x/>", b"<?xml version='1.0'?>", b"<a><b></a>", "<文档/>".encode("utf-16"), b"{{ agency }}"]
)


@FUZZ
@given(
    dropped=st.frozensets(st.sampled_from([m for m in MEMBERS if m != "word/document.xml"]), max_size=3),
    replaced=st.dictionaries(st.sampled_from(MEMBERS), GARBAGE, max_size=2),
)
def test_members_deleted_or_replaced(
    dropped: frozenset[str], replaced: dict[str, bytes], tmp_path_factory: Any
) -> None:
    document = replaced.pop("word/document.xml", DOCUMENT.encode("utf-8"))
    _answers(_with_document(document, drop=dropped, replace=replaced), tmp_path_factory.mktemp("tpl"))


@pytest.mark.parametrize("member", [m for m in MEMBERS if m != "word/document.xml"])
def test_each_member_deleted(member: str, tmp_path: Path) -> None:
    _answers(_with_document(DOCUMENT.encode("utf-8"), drop=frozenset({member})), tmp_path)


def test_a_document_in_another_namespace_is_a_template_error(tmp_path: Path) -> None:
    """Regression: a changed namespace URI opened in python-docx but crashed ``template check``."""
    broken = DOCUMENT.replace(
        'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"', 'xmlns:w="urn:x"'
    )
    path = tmp_path / "模板.docx"
    path.write_bytes(_with_document(broken.encode("utf-8")))
    with pytest.raises(TemplateError, match="w:document"):
        render_docx(REPORT, template=path)
    _answers(path.read_bytes(), tmp_path)


def test_a_tag_that_swallows_markup_is_a_template_error(tmp_path: Path) -> None:
    """Regression (found by the long run): ``{%{{{{{{`` before a placeholder rendered into a document whose XML
    tags no longer matched; python-docx could not open it."""
    document = _edit(DOCUMENT, [(DOCUMENT.index("{{ proactive.regulations.issued }}"), 0, "{%{{{{{{")])
    path = tmp_path / "模板.docx"
    path.write_bytes(_with_document(document.encode("utf-8")))
    with pytest.raises(TemplateError, match="结构已损坏"):
        render_docx(REPORT, template=path)
    _answers(path.read_bytes(), tmp_path)


def test_the_shipped_template_passes_the_property(tmp_path: Path) -> None:
    _answers(SHIPPED, tmp_path)
    with pytest.raises(ReportkitError):  # and a document.xml that is gone is a clear error
        render_docx(REPORT, template=_write(tmp_path, _without_document()))


def _without_document() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(SHIPPED)) as source, zipfile.ZipFile(buffer, "w") as out:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                out.writestr(info, source.read(info))
    return buffer.getvalue()


def _write(folder: Path, data: bytes) -> Path:
    path = folder / "无正文.docx"
    path.write_bytes(data)
    return path
