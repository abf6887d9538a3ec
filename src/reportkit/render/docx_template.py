"""Word templates compiled for fast rendering, and the context a template reads (:mod:`reportkit.render.docx`
loads them, applies the release policy and renders).

A Word template is an ordinary ``.docx`` with docxtpl placeholders (``{{ applications.new.natural_person }}``,
``{%p for p in overview.proactive %}``). Plain docxtpl re-parses the Word file and recompiles the Jinja
source on every render; here the template is prepared once (docxtpl's own XML preprocessing, then a
sandboxed Jinja compile). Each render then runs the compiled Jinja templates, checks that each rendered part
is well-formed XML (lxml for custom templates; a shipped template's parts are proven to render well-formed XML
once, when compiled, by :mod:`.skeleton`, and expat parses one only when a printed value escapes the proof),
deflates the rendered parts and writes the package with every other member copied as it was compressed at compile time
(:mod:`reportkit.ooxml.package`). A part whose output is the same as on the last render (a footer) reuses
what was made of it then.

Safety: the Jinja environment is sandboxed (:class:`jinja2.sandbox.SandboxedEnvironment`), unknown
variables are errors (:class:`jinja2.StrictUndefined`), every value is escaped, and the ``safe`` filter
is removed, so text from a figures file is always data: ``{{ 7*7 }}``, ``<w:p>`` and ``&`` appear as typed.
What a template can build is bounded (:mod:`reportkit.render.sandbox`: allow-listed filters and methods,
size caps, a per-render budget, traced for custom templates). A custom template must also keep the contract
``reportkit template check`` verifies; its verdict is computed once, when the template is loaded.
Template errors are reported with their place in the document (paragraph or table cell, and its text),
never only as an XML line number.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import traceback
import zipfile
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from xml.parsers import expat

from attrs import frozen
from jinja2 import Template
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from lxml import etree  # type: ignore[import-untyped]

from reportkit.errors import Problem, TemplateError
from reportkit.field_labels import label_of
from reportkit.formats import get_format
from reportkit.formats.layout import ValueType, label_path
from reportkit.formats.spec import ReportFormat
from reportkit.model import AnnualReport
from reportkit.ooxml.package import (
    TEMPLATE_LEVEL,
    Member,
    clean_xml_text,
    read_custom_properties,
    zip_package,
)
from reportkit.render.docx_fit import fit_depends_on_context, fit_rendered_part
from reportkit.render.gongwen import (
    BODY_CHAR_SPACING,
    BODY_CHAR_TWIPS,
    STYLE_SIGNOFF_DATE,
    STYLE_SIGNOFF_NAME,
    TEXT_WIDTH_TWIPS,
    TITLE_CHAR_TWIPS,
    text_width,
)
from reportkit.render.policy import draft_notice
from reportkit.render.properties import report_layout
from reportkit.render.sandbox import FILTERS, MAX_STRING, RenderGuard, TemplateLimitError, environment
from reportkit.render.skeleton import renders_well_formed
from reportkit.safezip import inspect_archive
from reportkit.templates import FORMAT_PROPERTY, VERSION_PROPERTY
from reportkit.values import Blank, format_amount, format_date

__all__ = [
    "OPTIONAL_PLACEHOLDERS",
    "REQUIRED_ALTERNATIVES",
    "CompiledDocxTemplate",
    "TemplatePart",
    "build_context",
    "compile_docx_template",
    "context_schema",
    "describe_place",
    "paragraphs",
    "placeholder_descriptions",
    "sample_context",
    "template_problem",
]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W_NS}}}"

#: Members made for each report rather than taken from the template.
_GENERATED = frozenset({"docProps/core.xml", "docProps/app.xml"})

#: The parts of a Word package that may hold placeholders.
_TEMPLATE_PART = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
_PART_LABELS = {
    "document": "正文",
    "header": "页眉",
    "footer": "页脚",
    "footnotes": "脚注",
    "endnotes": "尾注",
    "core": "文档属性",
}
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# ---------------------------------------------------------------------------------------------------
# Text from figures files: paragraphs, XML-safe characters
# ---------------------------------------------------------------------------------------------------

_BLANK_LINE = re.compile(r"\n[ \t\u3000]*\n")


def _clean(text: str) -> str:
    """Text that is safe inside ``w:t``: no XML-invalid control characters, tabs as spaces."""
    return clean_xml_text(text.replace("\t", " "))


def _joins_with_space(left: str, right: str) -> bool:
    return left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum()


def paragraphs(text: str) -> list[str]:
    """A text split into paragraphs at blank lines.

    Lines inside a paragraph are joined (without a space between Chinese characters); leading
    full-width spaces that people paste as an indent are dropped, since the style indents.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    result: list[str] = []
    for block in _BLANK_LINE.split(text):
        lines = [line.strip(" \t\u3000") for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        joined = lines[0]
        for line in lines[1:]:
            joined += (" " if _joins_with_space(joined, line) else "") + line
        result.append(_clean(joined))
    return result


# ---------------------------------------------------------------------------------------------------
# The context: what a template can use
# ---------------------------------------------------------------------------------------------------


def _set_path(target: dict[str, Any], key: str, value: Any) -> None:
    *heads, last = key.split(".")
    for head in heads:
        target = target.setdefault(head, {})
    target[last] = value


def _number(value: int | Decimal | Blank | None) -> str:
    # A blank cell prints what it stands for (its reason); a total that cannot be computed prints nothing.
    if value is None:
        return ""
    return format_amount(value) if isinstance(value, Decimal) else str(value)


def fee_statement(report: AnnualReport, layout: ReportFormat | None = None) -> str:
    """The standard sentence on the 信息处理费 for section 六, when its text does not state the fee."""
    fee = (layout or report_layout(report)).information_fee
    if fee is None or fee in report.other.text:
        return ""
    fees = report.other.information_fees
    if fees is None:
        return ""
    if fees.notices == 0 and fees.notified_yuan == 0 and fees.collected_yuan == 0:
        return f"本年度未收取{fee}。"
    return (
        f"本年度共发出{fee}收费通知{fees.notices}件，"
        f"通知金额{format_amount(fees.notified_yuan)}元，实收金额{format_amount(fees.collected_yuan)}元。"
    )


def title_lines(report: AnnualReport, layout: ReportFormat | None = None) -> list[str]:
    """The title on one line when it fits the 版心 at 2号, else broken as published reports break it."""
    if text_width(report.title, TITLE_CHAR_TWIPS) <= TEXT_WIDTH_TWIPS:
        return [_clean(report.title)]
    lines = (layout or report_layout(report)).title_lines(report.agency.display_title_name, report.year)
    return [_clean(line) for line in lines]


def signoff_indents(name: str, date: str) -> tuple[int, int]:
    """Right indents (twips) of the agency name and the date of an unsealed document (GB/T 9704 §7.3.5.2).

    The name stands 右空二字; the date on the next line starts two characters right of the name's first
    character. When the date is longer than the name, the date stands 右空二字 and the name moves left.
    """
    two = 2 * BODY_CHAR_TWIPS
    name_width = text_width(name, BODY_CHAR_TWIPS, BODY_CHAR_SPACING)
    date_width = text_width(date, BODY_CHAR_TWIPS, BODY_CHAR_SPACING)
    if date_width > name_width:
        return two + date_width + two - name_width, two
    return two, name_width - date_width


#: What a draft prints where the 成文日期 belongs while it is not filled in (check() reports it as an error).
SIGNED_ON_MISSING = "（成文日期未填写）"


@frozen
class _ContextPlan:
    """The cell keys of a format's tables, in order: computed once per format, not walked from the label trees
    on every render."""

    proactive: tuple[str, ...]
    #: (cell key, unit key) of each amount whose unit the report states (2019: 采购总金额 and its 元/万元)
    proactive_units: tuple[tuple[str, str], ...]
    application_rows: tuple[str, ...]
    application_columns: tuple[str, ...]
    application_inputs: tuple[str, ...]  #: the columns a person fills in; a total column is their sum
    cases: tuple[str, ...]


@functools.lru_cache(maxsize=8)  # keyed by format
def _plan(format_id: str) -> _ContextPlan:
    layout = get_format(format_id)
    cells = [(block, row, col) for block in layout.proactive_blocks for row in block.rows for col in block.columns]
    return _ContextPlan(
        tuple(block.cell_key(row, col) for block, row, col in cells),
        tuple(
            (block.cell_key(row, col), block.unit_key(row, col))
            for block, row, col in cells
            if block.value_type(row, col) is ValueType.AMOUNT
        ),
        tuple(row.key for row in layout.applications_table.row_leaves),
        tuple(col.key for col in layout.applications_table.column_leaves),
        tuple(col.key for col in layout.applications_table.input_columns),
        tuple(case.key for case in layout.review_litigation_table.column_leaves),
    )


def build_context(report: AnnualReport, *, draft: bool = False, error_count: int = 0) -> dict[str, Any]:
    """Everything a Word template can use, as plain data (strings, lists of paragraphs, nested dicts).

    Numbers are strings as printed; totals are the computed ones. Texts are lists of paragraphs, meant
    for ``{%p for p in overview.proactive %}{{ p }}{%p endfor %}``.
    """
    signed = report.report.signed_on
    signed_on = format_date(signed) if signed is not None else SIGNED_ON_MISSING
    agency = _clean(report.agency.name)
    name_right, date_right = signoff_indents(agency, signed_on)
    overview = report.overview
    layout = report_layout(report)

    plan = _plan(layout.id)
    proactive: dict[str, Any] = {}
    for key in plan.proactive:
        _set_path(proactive, key, _number(report.proactive.value(key)))
    for key, unit_key in plan.proactive_units:
        unit = report.proactive.unit(key)
        _set_path(proactive, unit_key, unit.value if unit is not None else "")

    applications: dict[str, Any] = {}
    inputs = plan.application_inputs
    for row in plan.application_rows:
        counts = report.applications.row(row)
        values = {key: counts.get(key) for key in inputs}
        numbers = values.values()
        # the 总计 column: summed here without walking the label tree again, unless a blank cell is in the row
        total = sum(numbers) if all(type(v) is int for v in numbers) else counts.total  # type: ignore[arg-type]
        cells = {key: _number(values.get(key, total)) for key in plan.application_columns}
        _set_path(applications, row, cells)

    review_litigation: dict[str, Any] = {}
    for case in plan.cases:
        _set_path(review_litigation, case, _number(report.review_litigation.cell(case)))

    return {
        "title": _clean(report.title),
        "title_lines": title_lines(report, layout),
        "year": str(report.year),
        "agency": agency,
        "signed_on": signed_on,
        "draft": draft,
        "draft_notice": draft_notice(error_count) if draft else "",
        "preamble": paragraphs(report.report.preamble),
        "overview": {
            "intro": paragraphs(overview.intro),
            **{sub.key: paragraphs(getattr(overview, sub.key)) for sub in layout.overview_subsections},
            layout.accountability.key: paragraphs(getattr(overview, layout.accountability.key)),
        },
        "proactive": proactive,
        "applications": applications,
        "review_litigation": review_litigation,
        "problems": paragraphs(report.problems.text),
        "other": paragraphs(report.other.text),
        "fee_statement": fee_statement(report, layout),
        "signoff": {"name_right": str(name_right), "date_right": str(date_right)},
    }


#: Placeholders a template may leave out: alternatives, conditions and what the renderer injects.
OPTIONAL_PLACEHOLDERS = frozenset({"title", "title_lines", "year", "draft", "signoff.name_right", "signoff.date_right"})
#: Of each group, a template must use at least one.
REQUIRED_ALTERNATIVES: tuple[tuple[str, ...], ...] = (("title_lines", "title"),)


def _leaf_paths(tree: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _leaf_paths(value, path + ".")
        else:
            yield path


def _default_format() -> str:
    """The format of a report that names none (the model's default)."""
    import attrs

    return str(attrs.fields(AnnualReport).format.default)


def _sample(format_id: str | None, text: str = "") -> AnnualReport:
    from reportkit.model import Agency, AgencyKind, InformationFees, OtherMatters, Overview, Problems, ReportInfo

    layout = get_format(format_id or _default_format())
    year = layout.first_year
    if not text:
        return AnnualReport(
            Agency("机关", AgencyKind.DEPARTMENT), ReportInfo(year, dt.date(2022, 1, 1)), format=layout.id
        )
    texts = {sub.key: text for sub in (*layout.overview_subsections, layout.accountability)}
    return AnnualReport(
        Agency("示例机关", AgencyKind.DEPARTMENT),
        ReportInfo(year, dt.date(year + 1, 1, 20), preamble=text),
        overview=Overview(intro=text, **texts),
        problems=Problems(text),
        other=OtherMatters(text, InformationFees()),
        format=layout.id,
    )


def context_schema(format_id: str | None = None) -> dict[str, Any]:
    """The shape of the context of a format's reports (values are those of an empty report)."""
    return build_context(_sample(format_id), draft=True)


def sample_context(format_id: str | None = None) -> dict[str, Any]:
    """The context of a sample report (two paragraphs in every text), for a trial render of a template."""
    return build_context(_sample(format_id, "示例段落。\n\n示例段落。"), draft=True, error_count=1)


def placeholder_descriptions(format_id: str | None = None) -> dict[str, str]:
    """Every placeholder path a Word template of a format can use, with where it belongs in the report (Chinese)."""
    return dict(_descriptions(format_id or _default_format()))


@functools.lru_cache(maxsize=8)  # keyed by format
def _descriptions(format_id: str) -> dict[str, str]:
    layout = get_format(format_id)
    described: dict[str, str] = {
        "title": "标题（一行）",
        "title_lines": "标题（分行）",
        "year": label_of("report.year"),
        "agency": "落款机关名称",
        "signed_on": label_of("report.signed_on"),
        "draft": "是否草稿",
        "draft_notice": "草稿标记（页眉）",
        "preamble": label_of("report.preamble"),
        "overview.intro": f"{layout.overview.heading} {label_of('overview.intro')}",
        f"overview.{layout.accountability.key}": layout.accountability.heading,
        "problems": layout.problems.heading,
        "other": layout.other.heading,
        "fee_statement": f"{layout.other.heading}：{layout.information_fee or '收费'}说明",
        "signoff.name_right": "落款机关右缩进（自动）",
        "signoff.date_right": "成文日期右缩进（自动）",
    }
    for sub in layout.overview_subsections:
        described[f"overview.{sub.key}"] = f"{layout.overview.heading}{sub.heading}"
    for block in layout.proactive_blocks:
        for row in block.rows:
            for column in block.columns:
                described[f"proactive.{block.cell_key(row, column)}"] = (
                    f"{layout.proactive.heading}表：{block.title}“{row.label}”/“{column.label}”"
                )
                if block.value_type(row, column) is ValueType.AMOUNT:
                    described[f"proactive.{block.unit_key(row, column)}"] = (
                        f"{layout.proactive.heading}表：{block.title}“{row.label}”/“{column.label}”的单位（元或万元）"
                    )
    table3 = layout.applications_table
    for row in table3.row_leaves:
        row_label = "".join(label_path(table3.rows, row.key))
        for col in table3.column_leaves:
            described[f"applications.{row.key}.{col.key}"] = (
                f"{layout.applications.heading}表：“{row_label}”行“{col.label}”列"
            )
    table4 = layout.review_litigation_table
    for col in table4.column_leaves:
        described[f"review_litigation.{col.key}"] = (
            f"{layout.review_litigation.heading}表：“{''.join(label_path(table4.columns, col.key))}”"
        )
    known = set(_leaf_paths(context_schema(format_id)))
    missing = known - set(described)
    assert not missing, missing
    return {path: described[path] for path in sorted(known, key=list(described).index)}


# ---------------------------------------------------------------------------------------------------
# Compiling a template
# ---------------------------------------------------------------------------------------------------


#: The longest string or list a template may build (with ``*`` or any other way).
MAX_REPEAT = MAX_STRING

_ENV = environment()  # sandboxed, bounded, strict, escaping, no globals (render/sandbox.py)


class _Patcher:
    """docxtpl's XML preprocessing (``DocxTemplate.patch_xml``) without loading a document."""

    def __init__(self) -> None:
        from docxtpl import DocxTemplate

        self._template = DocxTemplate(io.BytesIO())

    def patch(self, xml: str) -> str:
        patched: str = self._template.patch_xml(xml)
        return patched


_TABLE_TAGS = re.compile(r"\{%-?\s*(tc|tr)\s|\{%-?\s*(colspan|hm|vm|cellbg)\b|\{%tc|\{%tr")


@frozen
class TemplatePart:
    """One compiled part of a Word template (the body, a header, a footer …)."""

    name: str  #: zip member name
    kind: str  #: document, header, footer, footnotes, endnotes, core
    source: str  #: the Jinja source after docxtpl's preprocessing
    original: bytes  #: the part as stored, for naming places in errors
    template: Template
    fix_tables: bool  #: the template uses docxtpl's row/column tags: run docxtpl's table repair
    #: Every render is well-formed XML when the values printed are plain text (:mod:`.skeleton`): not parsed
    #: per render then. Only for the shipped templates' parts.
    proven: bool = False

    @property
    def label(self) -> str:
        return _PART_LABELS.get(self.kind, self.name)


def _part_kind(name: str) -> str:
    if name == "docProps/core.xml":
        return "core"
    match = re.fullmatch(r"word/([a-z]+)\d*\.xml", name)
    return match.group(1) if match else name


#: What compiling puts before each paragraph: a line break the output does not carry.
LINE_BREAK = "{#\n#}"


def _snippet(text: str, limit: int = 40) -> str:
    text = re.sub(r"<[^>]*>", "", text.replace("#}", "", 1) if text.startswith("#}") else text)
    text = text.removesuffix("{#")
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _paragraph_place(original: bytes, index: int) -> str:
    """Where the ``index``-th paragraph of a part stands: 第N段 or 第T个表格第R行第C列."""
    places = _paragraph_places(original)
    return places[index] if 0 <= index < len(places) else ""


@functools.lru_cache(maxsize=8)
def _paragraph_places(original: bytes) -> tuple[str, ...]:
    """The place of every paragraph of a part, in one pass (a template with thousands of broken placeholders
    is named in linear time)."""
    try:
        root = etree.fromstring(original, parser=_parser())
    except etree.XMLSyntaxError:
        return ()
    tables = {t: n for n, t in enumerate(root.xpath("//w:tbl[not(ancestor::w:tbl)]", namespaces={"w": W_NS}), 1)}
    row_numbers: dict[Any, dict[Any, int]] = {}
    places: list[str] = []
    body = 0
    for para in root.iter(f"{_W}p"):
        cell = next(para.iterancestors(f"{_W}tc"), None)
        row = cell.getparent() if cell is not None else None
        table = row.getparent() if row is not None else None
        if cell is None:
            body += 1
            places.append(f"第{body}段")
            continue
        if row is None or table is None:
            places.append("")
            continue
        outer = table
        for ancestor in table.iterancestors(f"{_W}tbl"):
            outer = ancestor
        if table not in row_numbers:
            row_numbers[table] = {tr: r for r, tr in enumerate(table.findall(f"{_W}tr"), 1)}
        column = 1
        for tc in row.findall(f"{_W}tc"):
            if tc is cell:
                break
            span = tc.find(f"{_W}tcPr/{_W}gridSpan")
            column += int(span.get(f"{_W}val", "1")) if span is not None else 1
        places.append(f"第{tables.get(outer, 0)}个表格第{row_numbers[table].get(row, 0)}行第{column}列")
    return tuple(places)


@functools.lru_cache(maxsize=8)
def _source_lines(source: str) -> list[str]:
    return source.splitlines()


def describe_place(part: TemplatePart, lineno: int | None) -> str:
    """A person's description of a line of a compiled part: 正文第12段（“…”）."""
    if lineno is None:
        return part.label
    lines = _source_lines(part.source)
    snippet = _snippet(lines[lineno - 1]) if 0 < lineno <= len(lines) else ""
    place = _paragraph_place(part.original, lineno - 2) if part.kind != "core" else ""
    text = f"{part.label}{place}"
    return f"{text}（“{snippet}”）" if snippet else text


def _error_message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, TemplateSyntaxError):
        if message.startswith("No filter named"):
            message += f"（模板可用的过滤器：{'、'.join(sorted(FILTERS))}）"
        return f"模板语法错误：{message}"
    if isinstance(exc, TemplateLimitError):
        return f"模板超出了安全沙箱的限制：{message}；请简化该处的模板语句"
    if isinstance(exc, SecurityError):
        return f"模板访问了不允许访问的内容，已被安全沙箱阻止：{message}"
    if isinstance(exc, UndefinedError):
        return f"未知的占位符或变量：{message}"
    return f"模板出错：{type(exc).__name__}: {message}"


def _template_lineno(exc: BaseException) -> int | None:
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    found: int | None = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>" and frame.lineno is not None:
            found = frame.lineno
    return found


def template_problem(part: TemplatePart, exc: BaseException) -> Problem:
    """A Jinja error as a :class:`Problem` naming its place in the document."""
    return Problem(describe_place(part, _template_lineno(exc)), _error_message(exc))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _inject_signoff_indents(root: etree._Element) -> None:
    """Make the right indents of the sign-off paragraphs placeholders (computed per report)."""
    wanted = {STYLE_SIGNOFF_NAME: "{{ signoff.name_right }}", STYLE_SIGNOFF_DATE: "{{ signoff.date_right }}"}
    for para in root.iter(f"{_W}p"):
        style = para.find(f"{_W}pPr/{_W}pStyle")
        if style is None or style.get(f"{_W}val") not in wanted:
            continue
        ppr = para.find(f"{_W}pPr")
        assert ppr is not None
        ind = ppr.find(f"{_W}ind")
        if ind is None:
            ind = etree.Element(f"{_W}ind")
            after = ("contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment")
            successor = next((c for c in ppr if etree.QName(c).localname in after), None)
            if successor is not None:
                successor.addprevious(ind)
            else:
                ppr.append(ind)
        for attr in ("end", "rightChars", "endChars"):
            ind.attrib.pop(f"{_W}{attr}", None)
        ind.set(f"{_W}right", wanted[style.get(f"{_W}val")])


class CompiledDocxTemplate:
    """A Word template prepared for fast rendering: compiled parts, and every other member compressed once."""

    def __init__(
        self,
        source: str,
        parts: tuple[TemplatePart, ...],
        members: tuple[Member | str, ...],
        properties: dict[str, str],
        *,
        trusted: bool = False,
    ):
        self.source = source
        self.parts = parts
        #: The package in order: a member copied as compressed, or the name of a part made per render.
        self.members = members
        self.properties = properties
        #: A shipped template: rendered without the step tracer (its code is ours), contract checked by a test.
        self.trusted = trusted
        #: What ``reportkit template check`` finds wrong with it, once per process (None: not checked).
        self.contract: tuple[Problem, ...] | None = None
        #: The last Jinja output of each part and the member made of it: a part that is the same for every report
        #: (a footer, the headers of a final text) is checked, fitted and deflated once, not on every render.
        self._memo: dict[str, tuple[str, Member]] = {}

    @functools.cached_property
    def base_zip(self) -> bytes:
        """The untouched members as a package (for reading the template's styles)."""
        return zip_package(member for member in self.members if isinstance(member, Member))

    @property
    def format_id(self) -> str | None:
        return self.properties.get(FORMAT_PROPERTY)

    @property
    def version(self) -> str | None:
        return self.properties.get(VERSION_PROPERTY)

    def render(self, context: Mapping[str, Any], generated: Mapping[str, bytes] | None = None) -> bytes:
        """The bytes of the rendered ``.docx``; ``generated`` holds the document properties made for the report
        (``docProps/core.xml``, ``docProps/app.xml``), in place of the template's."""
        made = {name: Member.deflate(name, content) for name, content in (generated or {}).items()}
        memo = self._memo
        guard = RenderGuard(traced=not self.trusted)  # one budget for the whole document
        for part in self.parts:
            try:
                raw = guard.render(part.template, context)
            except Exception as exc:  # the template's code is untrusted: 1/0, 2.5**9999, endless macro recursion …
                problem = template_problem(part, exc)
                raise TemplateError("模板无法生成文档", source=self.source, problems=[problem]) from None
            last = memo.get(part.name)
            if last is not None and last[0] == raw and not fit_depends_on_context(self, part.name):
                made.setdefault(part.name, last[1])  # the same as last time (a footer): checked and deflated then
                continue
            xml = _post_render(raw)
            try:
                if part.fix_tables:
                    xml = _fix_tables(xml)
                elif not (part.proven and guard.plain_values):
                    # a tag that swallowed XML markup renders into a part Word cannot open
                    self._check_well_formed(xml)
            except (etree.XMLSyntaxError, expat.ExpatError) as exc:
                raise TemplateError(
                    "模板生成的文档结构已损坏（模板语句吞掉了 Word 的格式标记），请在 Word 中重新输入该处的占位符",
                    source=self.source,
                    problems=[Problem(part.label, f"XML 无法解析：{exc}")],
                ) from None
            xml = fit_rendered_part(self, part.name, xml, context)
            if part.kind != "core" or not xml.startswith("<?xml"):
                xml = _XML_DECLARATION + xml
            member = Member.deflate(part.name, xml.encode("utf-8"))
            memo[part.name] = (raw, member)
            made.setdefault(part.name, member)
        package = [
            member if isinstance(member, Member) else made[member]
            for member in self.members
            if isinstance(member, Member) or member in made
        ]
        return zip_package(package)

    def _check_well_formed(self, xml: str) -> None:
        """Refuse a part Word could not open. A shipped template's parts are checked by expat (well-formed XML,
        half the time of building a tree) when its proof does not cover a printed value: its namespaces are
        declared on the root, which no placeholder reaches. A custom template's by lxml, which also refuses an
        undeclared namespace prefix."""
        if self.trusted:
            expat.ParserCreate().Parse(xml, True)
        else:
            etree.fromstring(xml.encode("utf-8"), parser=_parser())


_NEWLINES_BEFORE_TAG = re.compile(r"\n+(?=<)")


def _post_render(xml: str) -> str:
    """No line break before a tag (Word would show none, and some template tags leave them)."""
    return _NEWLINES_BEFORE_TAG.sub("", xml) if "\n" in xml else xml  # one character: a fast scan


#: docxtpl's escapes for literal braces in a template's own text, compiled to Jinja string literals (docxtpl
#: replaces them in the output, which would also change a figures file's text).
_LITERAL_BRACES = {"{_{": "{{ '{{' }}", "}_}": "{{ '}}' }}", "{_%": "{{ '{%' }}", "%_}": "{{ '%}' }}"}


def _literal_braces(source: str) -> str:
    for escape, literal in _LITERAL_BRACES.items():
        source = source.replace(escape, literal)
    return source


def _fix_tables(xml: str) -> str:
    from docxtpl import DocxTemplate

    declaration, body = _split_declaration(xml)
    tree = DocxTemplate(io.BytesIO()).fix_tables(body)
    fixed: str = etree.tostring(tree, encoding="unicode")
    return declaration + fixed


def _split_declaration(xml: str) -> tuple[str, str]:
    if xml.startswith("<?xml"):
        end = xml.index("?>") + 2
        return xml[:end], xml[end:].lstrip()
    return "", xml


def read_properties(package: zipfile.ZipFile) -> dict[str, str]:
    """The custom document properties (``docProps/custom.xml``) of an Office package, as strings."""
    return read_custom_properties(package)


def _check_opens(data: bytes, source: str) -> None:
    """Refuse a package Word cannot open (a missing [Content_Types].xml, a relationship to a deleted part …):
    its renders would not open either."""
    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for a broken package
        raise TemplateError(
            f"Word 无法打开此模板（{type(exc).__name__}: {exc}）；请用 Word/WPS 另存后重试", source=source
        ) from None
    if getattr(document.element, "body", None) is None:  # python-docx gives a root other than w:document no body
        raise TemplateError("word/document.xml 不是 Word 正文（根元素不是 w:document）", source=source)


#: The most template tags (``{{``, ``{%``, ``{#``) and characters of Jinja code in one template: compiling and
#: checking cost about a millisecond per tag, and the shipped template has a few hundred (10,000 characters).
MAX_TEMPLATE_TAGS = 5_000
MAX_TEMPLATE_CODE = 100_000


class _CodeSize:
    """How much Jinja code a template holds, refused past the limits before it costs minutes to compile."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.openings = 0  #: in the stored parts (before docxtpl's preprocessing, whose cost grows with them)
        self.tags = 0  #: in the compiled parts
        self.code = 0

    def count_tags(self, original: bytes) -> None:
        self.openings += original.count(b"{{") + original.count(b"{%") + original.count(b"{#")
        self._check()

    def _check(self) -> None:
        if max(self.openings, self.tags) > MAX_TEMPLATE_TAGS:
            raise TemplateError(
                f"模板语句过多（超过 {MAX_TEMPLATE_TAGS} 处“{{{{”“{{%”），不像是年度报告的模板；请以内置模板为底稿修改",
                source=self.source,
            )
        if self.code > MAX_TEMPLATE_CODE:
            raise TemplateError(
                f"模板语句过长（共超过 {MAX_TEMPLATE_CODE} 个字符），不像是年度报告的模板；请以内置模板为底稿修改",
                source=self.source,
            )

    def measure(self, part_source: str) -> None:
        """Add the tags and the characters inside them of a compiled part (linear: each search moves on)."""
        following = {opening: part_source.find(opening) for opening in _CLOSINGS}
        position = 0
        while True:
            for opening, found in following.items():
                if 0 <= found < position:
                    following[opening] = part_source.find(opening, position)
            starts = [found for found in following.values() if found >= 0]
            if not starts:
                break
            start = min(starts)
            end = part_source.find(_CLOSINGS[part_source[start : start + 2]], start + 2)
            position = len(part_source) if end < 0 else end + 2
            self.code += position - start
            self.tags += 1
        self._check()


_CLOSINGS = {"{{": "}}", "{%": "%}", "{#": "#}"}


def compile_docx_template(data: bytes, *, source: str = "<template>", trusted: bool = False) -> CompiledDocxTemplate:
    """Prepare a Word template: every problem (not a Word file, broken Jinja) raises :class:`TemplateError`
    listing each broken place. ``trusted`` only for the shipped templates (see :func:`load_docx_template`)."""
    # Before lxml sees it: no DOCTYPE/ENTITY declarations, no zip bombs (custom templates are untrusted).
    inspect_archive(data, error=TemplateError, name=source, what="Word 模板（.docx）")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        names = package.namelist()
    except (zipfile.BadZipFile, OSError):
        raise TemplateError("不是有效的 Word（.docx）文件", source=source) from None
    if "word/document.xml" not in names:
        raise TemplateError("不是 Word 文档：缺少 word/document.xml", source=source)
    _check_opens(data, source)
    patcher = _Patcher()
    parts: list[TemplatePart] = []
    problems: list[Problem] = []
    code = _CodeSize(source)
    for name in names:
        if not _TEMPLATE_PART.fullmatch(name):  # docProps/core.xml is made per report (document_properties)
            continue
        original = package.read(name)
        code.count_tags(original)
        try:
            root = etree.fromstring(original, parser=_parser())
        except etree.XMLSyntaxError as exc:
            problems.append(Problem(_PART_LABELS.get(_part_kind(name), name), f"XML 无法解析：{exc}"))
            continue
        if name == "word/document.xml":
            _inject_signoff_indents(root)
        xml = etree.tostring(root, encoding="unicode")
        # One line per paragraph, so that a Jinja error's line names its paragraph; the line break sits in a
        # Jinja comment, so the output has none to remove.
        xml = re.sub(r"<w:p([ >/])", LINE_BREAK + r"<w:p\1", xml)
        part_source = _literal_braces(patcher.patch(xml))
        code.measure(part_source)
        fix = bool(_TABLE_TAGS.search(original.decode("utf-8", "replace")))
        try:
            tree = _ENV.parse(part_source)
            proven = trusted and not fix and renders_well_formed(tree, _ENV)  # before compiling rewrites the tree
            template = _ENV.from_string(tree)
        except Exception as exc:  # TemplateSyntaxError; RecursionError or SyntaxError for absurd nesting
            stub = TemplatePart(name, _part_kind(name), part_source, original, Template(""), False)
            problems.append(template_problem(stub, exc))
            continue
        parts.append(TemplatePart(name, _part_kind(name), part_source, original, template, fix, proven))
    if problems:
        raise TemplateError("模板有错误，无法使用", source=source, problems=problems)
    made = {part.name for part in parts} | _GENERATED
    members = tuple(
        info.filename if info.filename in made else Member.deflate(info.filename, package.read(info), TEMPLATE_LEVEL)
        for info in package.infolist()
        if not info.is_dir()
    )
    properties = read_properties(package)
    return CompiledDocxTemplate(source, tuple(parts), members, properties, trusted=trusted)
