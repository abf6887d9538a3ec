"""HTML output for a government portal: a standalone page and a fragment to paste into a CMS editor.

The content is the Word document's, in the same order: the title lines, the opening paragraphs, the six
sections with their sub-headings and texts, the three official tables with the same merged cells
(``colspan``/``rowspan``), the 信息处理费 sentence and the sign-off. Both read the same context
(:func:`reportkit.render.docx.build_context`), so a number, a paragraph or a label can never differ
between the two; the tables are laid out from the format's label trees exactly as
``tools/build_templates.py`` lays out the Word tables.

The page has one stylesheet (screen, and print on A4 with the GB/T 9704 margins); the fragment carries
the same look as inline ``style`` attributes only, because CMS editors strip ``<style>`` elements and
classes. Neither has scripts, external resources or ids. Every text is escaped; the output is the same
bytes for the same report.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen

from reportkit.formats.layout import Leaf, ValueType, depth, label_grid
from reportkit.formats.layout import Table as LayoutTable
from reportkit.formats.spec import ReportFormat
from reportkit.model import AnnualReport
from reportkit.render.docx_template import build_context
from reportkit.render.gongwen import (
    APPLICATION_LABEL_WIDTHS,
    BODY_CHAR_SPACING,
    BODY_CHAR_TWIPS,
    FANGSONG,
    HEITI,
    KAITI,
    LATIN,
    PROACTIVE_WIDTHS,
    SONGTI,
    TEXT_WIDTH_TWIPS,
    XIAOBIAOSONG,
)
from reportkit.render.policy import Release, release
from reportkit.render.properties import report_layout

if TYPE_CHECKING:
    from reportkit.rules import Finding

__all__ = ["render_html"]

# ---------------------------------------------------------------------------------------------------
# The look: one declaration list per role, used as a class rule on the page and inline in the fragment
# ---------------------------------------------------------------------------------------------------

_FANGSONG = f"'{FANGSONG}', '仿宋', FangSong, STFangsong, '{LATIN}', serif"
_KAITI = f"'{KAITI}', '楷体', KaiTi, STKaiti, '{LATIN}', serif"
_HEITI = f"'{HEITI}', SimHei, STHeiti, sans-serif"
_XIAOBIAOSONG = f"'{XIAOBIAOSONG}', '华文中宋', STZhongsong, '{SONGTI}', SimSun, serif"

_LINE = "28.95pt"  #: the body's exact line pitch (22 lines in the 225 mm 版心), as in the Word template
_LETTER_SPACING = f"{BODY_CHAR_SPACING / 20:g}pt"  #: Word's run spacing: 28 characters fit a line

_ROLES: dict[str, str] = {
    "report": f"font-family: {_FANGSONG}; font-size: 16pt; line-height: {_LINE}; color: #000; text-align: justify",
    "draft": f"font-family: {_HEITI}; font-size: 14pt; line-height: 1.5; color: #c00000; text-align: center; "
    "border: 1.5pt solid #c00000; margin: 0 0 12pt; padding: 2pt 0",
    "title": f"font-family: {_XIAOBIAOSONG}; font-size: 22pt; font-weight: bold; line-height: 35pt; "
    f"text-align: center; margin: 0 0 {_LINE}",
    "p": f"margin: 0; text-indent: 2em; letter-spacing: {_LETTER_SPACING}",
    "section": f"font-family: {_HEITI}; font-size: 16pt; font-weight: normal; line-height: {_LINE}; margin: 0; "
    "text-indent: 2em",
    "subsection": f"font-family: {_KAITI}; font-size: 16pt; font-weight: normal; line-height: {_LINE}; margin: 0; "
    "text-indent: 2em",
    "table": f"border-collapse: collapse; width: 100%; table-layout: fixed; margin: 0 auto; font-family: {_FANGSONG}; "
    "font-size: 10.5pt; line-height: 1.3; text-indent: 0; text-align: center",
    "table-large": "font-size: 12pt",
    # A number too wide for its column wraps, as Word wraps it, rather than running over the border.
    "cell": "border: 1px solid #000; padding: 1pt 1mm; vertical-align: middle; text-align: center; "
    "font-weight: normal; overflow-wrap: anywhere",
    "cell-left": "text-align: left",
    "signoff": f"margin: {_LINE} 0 0; text-indent: 0; text-align: right",
}

# Print: rows never split across pages, but a cell spanning rows may (when whole rows avoid breaks, Chromium keeps
# every row under a rowspan together, and table 三's outcome group spans 22 rows: most of a page).
_STYLESHEET_EXTRA = f"""\
html {{ background: #e8e8e8; }}
body {{ margin: 0; padding: 24px 0; }}
.rk-report {{ box-sizing: content-box; width: 156mm; margin: 0 auto; padding: 37mm 26mm 35mm 28mm;
  background: #fff; box-shadow: 0 0 6px rgba(0, 0, 0, 0.3); }}
.rk-keep {{ break-inside: avoid; page-break-inside: avoid; }}
.rk-table th:not([rowspan]), .rk-table td:not([rowspan]) {{ break-inside: avoid; page-break-inside: avoid; }}
.rk-table thead {{ display: table-header-group; }}
.rk-section, .rk-subsection, .rk-title {{ break-after: avoid; page-break-after: avoid; }}
.rk-p {{ orphans: 2; widows: 2; }}
.rk-signoff {{ break-inside: avoid; page-break-inside: avoid; }}
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
@page :right {{ @bottom-right {{ content: "— " counter(page) " —"; font-family: '{SONGTI}', SimSun, serif;
  font-size: 14pt; vertical-align: top; padding-top: 7mm; padding-right: 14pt; }} }}
@page :left {{ @bottom-left {{ content: "— " counter(page) " —"; font-family: '{SONGTI}', SimSun, serif;
  font-size: 14pt; vertical-align: top; padding-top: 7mm; padding-left: 14pt; }} }}
@media print {{
  html, body {{ background: none; margin: 0; padding: 0; }}
  .rk-report {{ width: auto; margin: 0; padding: 0; box-shadow: none; }}
  .rk-cell {{ border-width: 0.5pt; }}
}}
"""


def _attribute(value: str) -> str:
    """An attribute value inside double quotes (the CSS above quotes font names with single quotes)."""
    return html.escape(value, quote=False).replace('"', "&quot;")


def _text(value: str) -> str:
    return html.escape(value, quote=True)


class _Writer:
    """Elements with their look: classes on the page, inline styles in the fragment."""

    def __init__(self, *, inline: bool):
        self.inline = inline

    def attributes(self, *roles: str, extra: str = "", page_only: tuple[str, ...] = ()) -> str:
        """``roles`` as classes (page) or their declarations (fragment); ``extra`` declarations always inline;
        ``page_only`` classes that only matter in the page's print rules."""
        if self.inline:
            style = "; ".join([*(_ROLES[role] for role in roles), *([extra] if extra else [])])
            return f' style="{_attribute(style)}"' if style else ""
        classes = " ".join(f"rk-{role}" for role in (*roles, *page_only))
        return (f' class="{classes}"' if classes else "") + (f' style="{_attribute(extra)}"' if extra else "")

    def element(self, tag: str, text: str, *roles: str, extra: str = "") -> str:
        return f"<{tag}{self.attributes(*roles, extra=extra)}>{_text(text)}</{tag}>"


def _stylesheet() -> str:
    # Later roles refine earlier ones (table-large after table, cell-left after cell): same specificity.
    rules = [f".rk-{role} {{ {declarations}; }}" for role, declarations in _ROLES.items()]
    return "\n".join(rules) + "\n" + _STYLESHEET_EXTRA


# ---------------------------------------------------------------------------------------------------
# The tables: cells placed as the Word template places them, values from the Word context
# ---------------------------------------------------------------------------------------------------


@frozen
class _Cell:
    """One cell of an official table on its grid; ``label`` cells are ``th``, values ``td``."""

    row: int
    column: int
    rows: int
    columns: int
    text: str
    label: bool = True
    left: bool = False


@frozen
class _TableLayout:
    cells: tuple[_Cell, ...]
    widths: tuple[int, ...]  #: twips per grid column, as in the Word template
    header_rows: int  #: rows repeated on every printed page (the Word template's ``tblHeader`` rows)
    large: bool = False  #: 小四 text (table 二), else 五号
    keep: bool = False  #: kept on one page (the Word template keeps table 二 whole)


def _value(context: Mapping[str, Any], path: str) -> str:
    """A value of the Word context by its placeholder path (``applications.withheld.state_secret.business``)."""
    node: Any = context
    for part in path.split("."):
        node = node[part]
    if not isinstance(node, str):
        raise TypeError(f"{path} is not a printed value")
    return node


def _proactive_layout(layout: ReportFormat, context: Mapping[str, Any]) -> _TableLayout:
    """Table 二: per block a title row over the full width, a header row and the data rows."""
    width = len(PROACTIVE_WIDTHS)
    cells: list[_Cell] = []
    row = 0
    for block in layout.proactive_blocks:
        cells.append(_Cell(row, 0, 1, width, block.title))
        row += 1
        # The value columns as the Word table spans them (2019's （八）（九）: 1 + 2 of the 3 grid columns).
        spans = block.value_spans(width - 1)
        starts = [1 + sum(spans[:i]) for i in range(len(spans))]
        cells.append(_Cell(row, 0, 1, 1, block.content_header))
        for column, start, span in zip(block.columns, starts, spans, strict=True):
            cells.append(_Cell(row, start, 1, span, column.label))
        row += 1
        for leaf in block.rows:
            cells.append(_Cell(row, 0, 1, 1, leaf.label))
            for column, start, span in zip(block.columns, starts, spans, strict=True):
                value = _value(context, f"proactive.{block.cell_key(leaf, column)}")
                if block.value_type(leaf, column) is ValueType.AMOUNT:  # with the unit the report states
                    value += _value(context, f"proactive.{block.unit_key(leaf, column)}")
                cells.append(_Cell(row, start, 1, span, value, label=False))
            row += 1
    return _TableLayout(tuple(cells), PROACTIVE_WIDTHS, 0, large=True, keep=True)


def _tree_layout(
    layout: LayoutTable, label_widths: tuple[int, ...], prefix: str, context: Mapping[str, Any]
) -> _TableLayout:
    """A row tree against a column tree (tables 三 and 四), merged as :func:`span_grid` places the labels."""
    header_rows = depth(layout.columns)
    label_columns = depth(layout.rows) if layout.rows else 0
    data_columns = len(layout.column_leaves)
    each, rest = divmod(TEXT_WIDTH_TWIPS - sum(label_widths), data_columns)
    widths = (*label_widths, *([each] * (data_columns - rest)), *([each + 1] * rest))
    cells: list[_Cell] = []
    for placed in label_grid(layout):
        # a row's own label (a leaf of the row tree) is set flush left, as in the Word table
        left = placed.column < label_columns and isinstance(placed.node, Leaf)
        cells.append(_Cell(placed.row, placed.column, placed.rows, placed.columns, placed.label, left=left))
    data_rows = layout.row_leaves if layout.rows else (None,)
    for r, row_leaf in enumerate(data_rows):
        for c, column_leaf in enumerate(layout.column_leaves):
            key = f"{row_leaf.key}.{column_leaf.key}" if row_leaf is not None else column_leaf.key
            value = _value(context, f"{prefix}.{key}")
            cells.append(_Cell(header_rows + r, label_columns + c, 1, 1, value, label=False))
    return _TableLayout(tuple(cells), widths, header_rows)


def _table(writer: _Writer, layout: _TableLayout) -> Iterator[str]:
    roles = ("table", "table-large") if layout.large else ("table",)
    yield f"<table{writer.attributes(*roles, page_only=('keep',) if layout.keep else ())}>"
    total = sum(layout.widths)
    yield "<colgroup>"
    for width in layout.widths:
        yield f'<col style="width: {100 * width / total:.2f}%">'
    yield "</colgroup>"
    by_row: dict[int, list[_Cell]] = {}
    for cell in layout.cells:
        by_row.setdefault(cell.row, []).append(cell)
    rows = max(by_row) + 1
    for index in range(rows):
        if index == 0 and layout.header_rows:
            yield "<thead>"
        if index == layout.header_rows:
            yield "<tbody>"
        parts = []
        for cell in sorted(by_row.get(index, ()), key=lambda c: c.column):
            tag = "th" if cell.label else "td"
            spans = (f' rowspan="{cell.rows}"' if cell.rows > 1 else "") + (
                f' colspan="{cell.columns}"' if cell.columns > 1 else ""
            )
            cell_roles = ("cell", "cell-left") if cell.left else ("cell",)
            parts.append(f"<{tag}{spans}{writer.attributes(*cell_roles)}>{_text(cell.text)}</{tag}>")
        yield "<tr>" + "".join(parts) + "</tr>"
        if index == layout.header_rows - 1:
            yield "</thead>"
    yield "</tbody>"
    yield "</table>"


# ---------------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------------


def _context(report: AnnualReport, decision: Release) -> dict[str, Any]:
    """What is printed: the Word renderer's context, as the release policy decided."""
    return build_context(report, draft=decision.draft, error_count=decision.error_count)


def _em(twips: str) -> str:
    return f"{int(twips) / BODY_CHAR_TWIPS:.3f}".rstrip("0").rstrip(".") + "em"


def _body(layout: ReportFormat, context: Mapping[str, Any], writer: _Writer) -> Iterator[str]:
    if context["draft"]:
        yield writer.element("p", context["draft_notice"], "draft")
    lines = "<br>".join(_text(line) for line in context["title_lines"])
    yield f"<h1{writer.attributes('title')}>{lines}</h1>"

    def texts(items: list[str]) -> Iterator[str]:
        for paragraph in items:
            yield writer.element("p", paragraph, "p")

    yield from texts(context["preamble"])
    sections = {section.key: section for section in layout.sections}
    overview = context["overview"]
    yield writer.element("h2", sections["overview"].heading, "section")
    yield from texts(overview["intro"])
    for sub in layout.overview_subsections:
        yield writer.element("h3", sub.heading, "subsection")
        yield from texts(overview[sub.key])
        if sub.key == "oversight":
            yield from texts(overview[layout.accountability.key])

    yield writer.element("h2", sections["proactive"].heading, "section")
    yield from _table(writer, _proactive_layout(layout, context))
    yield writer.element("h2", sections["applications"].heading, "section")
    yield from _table(
        writer, _tree_layout(layout.applications_table, APPLICATION_LABEL_WIDTHS, "applications", context)
    )
    yield writer.element("h2", sections["review_litigation"].heading, "section")
    yield from _table(writer, _tree_layout(layout.review_litigation_table, (), "review_litigation", context))
    yield writer.element("h2", sections["problems"].heading, "section")
    yield from texts(context["problems"])
    yield writer.element("h2", sections["other"].heading, "section")
    yield from texts(context["other"])
    if context["fee_statement"]:
        yield writer.element("p", context["fee_statement"], "p")

    signoff = context["signoff"]
    yield f"<div{writer.attributes('signoff')}>"
    for text, right in ((context["agency"], signoff["name_right"]), (context["signed_on"], signoff["date_right"])):
        yield writer.element("p", text, extra=f"margin: 0; padding-right: {_em(right)}")
    yield "</div>"


def render_html(
    report: AnnualReport,
    *,
    draft: bool = False,
    fragment: bool = False,
    findings: Sequence[Finding] | None = None,
) -> str:
    """The report as HTML: a standalone page (one stylesheet, A4 print layout), or with ``fragment`` a
    ``<div>`` to paste into a CMS editor (inline styles only, no scripts, no external resources, no ids).

    A report with error findings is refused with :class:`~reportkit.errors.RenderError` listing them, unless
    ``draft``: a draft says so at the top, in the Word draft's words (:mod:`reportkit.render.policy`, which
    also says what ``findings`` are for).
    """
    return render_released(report, release(report, findings, draft=draft), fragment=fragment)


def render_released(report: AnnualReport, decision: Release, *, fragment: bool = False) -> str:
    """The HTML of a report already released by the policy (no check here)."""
    context = _context(report, decision)
    layout = report_layout(report)
    writer = _Writer(inline=fragment)
    if fragment:
        opening = f'<div lang="zh-CN"{writer.attributes("report")}>'
        return "\n".join([opening, *_body(layout, context, writer), "</div>"]) + "\n"
    head = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(context['title'])}</title>",
        "<style>",
        _stylesheet().rstrip("\n"),
        "</style>",
        "</head>",
        "<body>",
        f"<article{writer.attributes('report')}>",
    ]
    return "\n".join([*head, *_body(layout, context, writer), "</article>", "</body>", "</html>"]) + "\n"
