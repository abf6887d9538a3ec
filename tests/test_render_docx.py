"""Word output: layout, official tables cell for cell, every number in its place, escaping and the sandbox."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from docx.oxml.ns import qn
from docx.shared import Twips

from docx_helpers import TEMPLATE, full_report, modified_template, open_docx, part_xml
from reportkit.errors import RenderError, TemplateError
from reportkit.formats import gov2021 as fmt
from reportkit.formats.layout import depth, span_grid
from reportkit.model import (
    ApplicantCounts,
    Applications,
    InformationFees,
    OtherMatters,
    Overview,
    ProactiveDisclosure,
    ReportInfo,
)
from reportkit.render.contract import check_official_tables
from reportkit.render.docx import load_docx_template, paragraphs, render_docx, signoff_indents
from reportkit.render.gongwen import BODY_CHAR_SPACING, text_width
from reportkit.rules import check, errors


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    report = full_report()
    assert not errors(check(report))
    return report


@pytest.fixture(scope="module")
def rendered(report) -> bytes:  # type: ignore[no-untyped-def]
    return render_docx(report)


@pytest.fixture(scope="module")
def document(rendered):  # type: ignore[no-untyped-def]
    return open_docx(rendered)


def styled(document, style: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.text for p in document.paragraphs if p.style is not None and p.style.name == style]


# ---------------------------------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------------------------------


def test_title(document, report) -> None:  # type: ignore[no-untyped-def]
    lines = styled(document, "公文标题")
    assert "".join(lines) == report.title
    assert lines == list(fmt.title_lines(report.agency.display_title_name, report.year))
    assert document.core_properties.title == report.title


def test_short_title_stays_on_one_line() -> None:
    report = full_report(agency=attrs.evolve(full_report().agency, name="某局"))
    lines = styled(open_docx(render_docx(report)), "公文标题")
    assert lines == [report.title]


def test_section_headings_in_order(document) -> None:  # type: ignore[no-untyped-def]
    assert styled(document, "一级标题") == [section.heading for section in fmt.SECTIONS]
    assert styled(document, "二级标题") == [sub.heading for sub in fmt.OVERVIEW_SUBSECTIONS]


def test_body_order_and_paragraphs(document, report) -> None:  # type: ignore[no-untyped-def]
    texts = [p.text for p in document.paragraphs]
    assert not any("{" in t or "}" in t for t in texts)
    order = [
        "根据《条例》，现公布本机关2021年度报告。",
        fmt.OVERVIEW.heading,
        "总体概述第一段。",
        "总体概述第二段。",
        fmt.OVERVIEW_SUBSECTIONS[0].heading,
        "主动公开第二段。",
        fmt.PROBLEMS.heading,
        "存在的问题。",
        "改进措施。",
        fmt.OTHER.heading,
        "其他事项。",
        "本年度共发出信息处理费收费通知3件，通知金额300元，实收金额200元。",
        "2022年1月19日",
    ]
    positions = [texts.index(t) for t in order]
    assert positions == sorted(positions)
    assert texts[-1] == "2022年1月19日" and texts[-2] == report.agency.name and texts[-3] == ""


def test_accountability_follows_oversight() -> None:
    report = full_report(overview=attrs.evolve(full_report().overview, accountability="考核结果第一段。\n\n第二段。"))
    texts = [p.text for p in open_docx(render_docx(report)).paragraphs]
    at = texts.index("监督保障情况。")
    assert texts[at + 1 : at + 3] == ["考核结果第一段。", "第二段。"]


def test_paragraph_splitting() -> None:
    assert paragraphs("") == []
    assert paragraphs("　　第一段，\n接着写。\n\n\n  第二段 \r\n\r\n") == ["第一段，接着写。", "第二段"]
    assert paragraphs("Word\nExcel") == ["Word Excel"]
    assert paragraphs("a\x07b\x0cc\td") == ["abc d"]


@pytest.mark.parametrize(
    ("text", "fees", "expected"),
    [
        ("其他。", InformationFees(), "本年度未收取信息处理费。"),
        ("其他。", InformationFees(2, Decimal("150.5"), Decimal("100")), "通知金额150.5元，实收金额100元。"),
        ("本年度未收取信息处理费。", InformationFees(), None),
        ("其他。", None, None),
    ],
)
def test_fee_statement(text: str, fees: InformationFees | None, expected: str | None) -> None:
    report = full_report(other=OtherMatters(text, fees))
    texts = [p.text for p in open_docx(render_docx(report, draft=True)).paragraphs]
    at = texts.index(fmt.OTHER.heading)
    generated = [t for t in texts[at:] if "收费通知" in t or t == "本年度未收取信息处理费。"]
    if expected is None:
        assert generated == ([text] if fmt.INFORMATION_FEE in text else [])
    else:
        assert len(generated) == 1 and generated[0].endswith(expected)


# ---------------------------------------------------------------------------------------------------
# The official tables
# ---------------------------------------------------------------------------------------------------


def test_three_tables_intact(document) -> None:  # type: ignore[no-untyped-def]
    assert len(document.tables) == 3
    assert check_official_tables(document, fmt.FORMAT_ID) == []


def _assert_tree_labels(table, layout, header_rows: int, label_columns: int) -> None:  # type: ignore[no-untyped-def]
    for placed in span_grid(layout.columns):
        row, column = placed.depth, label_columns + placed.index
        cell = table.cell(row, column)
        assert cell.text == placed.label
        far = table.cell(row + placed.depth_span - 1, column + placed.index_span - 1)
        assert far._tc is cell._tc, placed.label
    for placed in span_grid(layout.rows) if layout.rows else ():
        row, column = header_rows + placed.index, placed.depth
        cell = table.cell(row, column)
        assert cell.text == placed.label
        far = table.cell(row + placed.index_span - 1, column + placed.depth_span - 1)
        assert far._tc is cell._tc, placed.label


def test_table_three_labels_and_merges(document) -> None:  # type: ignore[no-untyped-def]
    layout = fmt.APPLICATIONS_TABLE
    table = document.tables[1]
    header_rows, label_columns = depth(layout.columns), depth(layout.rows)
    assert (header_rows, label_columns) == (3, 3)
    assert len(table.rows) == 3 + 25 and len(table.columns) == 10
    corner = table.cell(0, 0)
    assert corner.text == fmt.BALANCE_NOTE and table.cell(2, 2)._tc is corner._tc
    _assert_tree_labels(table, layout, header_rows, label_columns)
    # the labels, read row by row, come in the official order
    row_labels = [table.cell(3 + i, 2).text for i in range(25)]
    assert [label for label in row_labels if label[:1].isdigit()] == [
        leaf.label for leaf in layout.row_leaves if leaf.label[:1].isdigit()
    ]
    # merges as OOXML writes them
    trs = table._tbl.tr_lst
    first = trs[0].tc_lst
    assert first[0].grid_span == 3 and first[0].vMerge == "restart"
    assert first[1].grid_span == 7
    assert trs[1].tc_lst[0].vMerge == "continue" and trs[2].tc_lst[0].vMerge == "continue"
    second = trs[1].tc_lst
    assert [tc.grid_span for tc in second] == [3, 1, 5, 1]
    assert [tc.vMerge for tc in second[1:]] == ["restart", None, "restart"]
    assert [tc.vMerge for tc in trs[2].tc_lst] == ["continue", "continue", None, None, None, None, None, "continue"]
    assert trs[3].tc_lst[0].grid_span == 3  # 一、本年新收… spans the three label columns
    assert trs[5].tc_lst[0].vMerge == "restart" and trs[5].tc_lst[1].grid_span == 2  # 三、 / （一）予以公开
    assert all(tr.tc_lst[0].vMerge == "continue" for tr in trs[6:27])
    assert trs[27].tc_lst[0].grid_span == 3  # 四、结转下年度继续办理


def test_table_four_labels_and_merges(document) -> None:  # type: ignore[no-untyped-def]
    layout = fmt.REVIEW_LITIGATION_TABLE
    table = document.tables[2]
    assert len(table.rows) == 4 and len(table.columns) == 15
    _assert_tree_labels(table, layout, 3, 0)
    trs = table._tbl.tr_lst
    assert [tc.grid_span for tc in trs[0].tc_lst] == [5, 10]
    assert [tc.grid_span for tc in trs[1].tc_lst] == [1, 1, 1, 1, 1, 5, 5]
    assert [tc.vMerge for tc in trs[1].tc_lst][:5] == ["restart"] * 5
    assert [tc.vMerge for tc in trs[2].tc_lst][:5] == ["continue"] * 5
    assert [table.cell(2, c).text for c in range(5, 15)] == [leaf.label for leaf in layout.column_leaves[5:]]


def test_table_two_labels(document) -> None:  # type: ignore[no-untyped-def]
    table = document.tables[0]
    row = 0
    for block in fmt.PROACTIVE_BLOCKS:
        assert table.cell(row, 0).text == block.title and table.cell(row, 3)._tc is table.cell(row, 0)._tc
        assert table.cell(row + 1, 0).text == block.content_header
        assert [table.cell(row + 1, 1 + i * (3 // len(block.columns))).text for i in range(len(block.columns))] == [
            c.label for c in block.columns
        ]
        row += 2 + len(block.rows)


def test_every_number_in_its_cell(document, report) -> None:  # type: ignore[no-untyped-def]
    table = document.tables[1]
    layout = fmt.APPLICATIONS_TABLE
    seen = set()
    for i, row in enumerate(layout.row_leaves):
        for j, column in enumerate(layout.column_leaves):
            expected = report.applications.cell(row.key, column.key)
            assert table.cell(3 + i, 3 + j).text == str(expected), (row.label, column.label)
            if row.kind.value == "input" and column.kind.value == "input":
                seen.add(expected)
    assert len(seen) == 24 * 6  # every input cell held a different number
    assert table.cell(3 + 23, 3 + 6).text == str(report.applications.total.total)  # （七）总计 × 总计

    four = document.tables[2]
    for j, column in enumerate(fmt.REVIEW_LITIGATION_TABLE.column_leaves):
        assert four.cell(3, j).text == str(report.review_litigation.cell(column.key)), column.key
    assert [four.cell(3, j).text for j in (4, 9, 14)] == ["290", "330", "370"]

    two = document.tables[0]
    row = 0
    for block in fmt.PROACTIVE_BLOCKS:
        row += 2
        for leaf in block.rows:
            for i, column in enumerate(block.columns):
                value = report.proactive.value(block.cell_key(leaf, column))
                assert two.cell(row, 1 + i * (3 // len(block.columns))).text == str(value)
            row += 1
    assert two.cell(row - 1, 1).text == "96171.6"


def etree_name(element) -> str:  # type: ignore[no-untyped-def]
    return str(element.tag).rsplit("}", 1)[-1]


def test_table_geometry(document) -> None:  # type: ignore[no-untyped-def]
    for number, table in enumerate(document.tables):
        tbl = table._tbl
        widths = [int(col.get(qn("w:w"))) for col in tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(widths) == 8844
        assert tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        assert tbl.tblPr.find(qn("w:tblW")).get(qn("w:w")) == "8844"
        # 1 mm of air on every side of the cell text (FandolFang sits low: without it, it touches the rule);
        # table 三 half of it above and below, so that its 25 rows fit one page (tests/test_table3_page.py)
        vertical = "28" if number == 1 else "57"
        margins = tbl.tblPr.find(qn("w:tblCellMar"))
        assert [(etree_name(m), m.get(qn("w:w"))) for m in margins] == [
            ("top", vertical),
            ("left", "57"),
            ("bottom", vertical),
            ("right", "57"),
        ]
        header_rows = (0, 3, 3)[number]
        for index, tr in enumerate(tbl.tr_lst):
            props = tr.trPr
            assert props.find(qn("w:cantSplit")) is not None
            assert (props.find(qn("w:tblHeader")) is not None) == (index < header_rows)
            column = 0
            for tc in tr.tc_lst:
                assert tc.width == Twips(sum(widths[column : column + tc.grid_span]))
                column += tc.grid_span
    numbers = document.tables[1].cell(10, 5).paragraphs[0]
    assert numbers.style.name == "表格文字"
    assert numbers.style.paragraph_format.alignment == 1  # centred


# ---------------------------------------------------------------------------------------------------
# Page, fonts, footer, sign-off
# ---------------------------------------------------------------------------------------------------


def test_page_size_and_margins(document) -> None:  # type: ignore[no-untyped-def]
    section = document.sections[0]
    assert (section.page_width, section.page_height) == (Twips(11906), Twips(16838))
    assert (section.top_margin, section.bottom_margin) == (Twips(2098), Twips(1984))
    assert (section.left_margin, section.right_margin) == (Twips(1587), Twips(1474))
    assert document.settings.odd_and_even_pages_header_footer


def test_east_asian_fonts_of_styles(rendered) -> None:  # type: ignore[no-untyped-def]
    styles = part_xml(rendered, "word/styles.xml")
    assert "Theme=" not in styles  # no theme fonts anywhere
    defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles, re.S).group(0)  # type: ignore[union-attr]
    assert 'w:eastAsia="仿宋_GB2312"' in defaults and 'w:eastAsia="zh-CN"' in defaults
    expected = {
        "Normal": "仿宋_GB2312",
        "公文标题": "方正小标宋简体",
        "一级标题": "黑体",
        "二级标题": "楷体_GB2312",
        "表格文字": "仿宋_GB2312",
        "落款机关": "仿宋_GB2312",
        "成文日期": "仿宋_GB2312",
        "页码": "宋体",
    }
    for style_id, font in expected.items():
        style = re.search(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', styles, re.S)
        assert style is not None, style_id
        assert f'w:eastAsia="{font}"' in style.group(0), style_id
    settings = part_xml(rendered, "word/settings.xml")
    assert re.search(r'<w:themeFontLang [^>]*w:eastAsia="zh-CN"', settings)


def test_body_paragraph_format(document) -> None:  # type: ignore[no-untyped-def]
    normal = document.styles["Normal"]
    pf = normal.paragraph_format
    assert pf.line_spacing == Twips(579) and pf.line_spacing_rule == 4  # EXACTLY
    assert pf.first_line_indent == Twips(640) and pf.alignment == 3  # JUSTIFY
    assert normal.font.size.pt == 16
    assert document.styles["公文标题"].font.size.pt == 22
    assert document.styles["页码"].font.size.pt == 14


def test_page_numbers_odd_right_even_left(rendered) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(io.BytesIO(rendered)) as package:
        document_xml = package.read("word/document.xml").decode()
        rels = package.read("word/_rels/document.xml.rels").decode()
        targets = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels))
        footers = {
            kind: targets[rid]
            for kind, rid in re.findall(r'<w:footerReference w:type="(\w+)" r:id="(\w+)"', document_xml)
        }
        odd = package.read(f"word/{footers['default']}").decode()
        even = package.read(f"word/{footers['even']}").decode()
    for footer, side in ((odd, "right"), (even, "left")):
        assert "PAGE" in footer and footer.count("\u2014") == 2
        assert f'<w:jc w:val="{side}"/>' in footer


def test_signoff_indents(rendered, report) -> None:  # type: ignore[no-untyped-def]
    xml = part_xml(rendered)
    name_right, date_right = signoff_indents(report.agency.name, "2022年1月19日")
    assert f'<w:pStyle w:val="落款机关"/><w:ind w:right="{name_right}"/>' in xml
    assert f'<w:pStyle w:val="成文日期"/><w:ind w:right="{date_right}"/>' in xml
    # the date starts two characters right of the name's first character
    name_width = text_width(report.agency.name, 320, BODY_CHAR_SPACING)
    date_width = text_width("2022年1月19日", 320, BODY_CHAR_SPACING)
    assert (name_right + name_width) - (date_right + date_width) == 640
    _long_date, short_name = signoff_indents("某局", "2022年12月31日")
    assert short_name == 640  # the date is longer: it stands 右空二字


# ---------------------------------------------------------------------------------------------------
# Refusal, drafts, determinism, caching
# ---------------------------------------------------------------------------------------------------


def unbalanced():  # type: ignore[no-untyped-def]
    report = full_report()
    apps = report.applications.with_row("carried_over", ApplicantCounts.of([1, 0, 0, 0, 0, 0]))
    return attrs.evolve(report, applications=apps)


def test_errors_refused_with_findings() -> None:
    with pytest.raises(RenderError) as caught:
        render_docx(unbalanced())
    assert caught.value.problems
    assert "--draft" in str(caught.value)
    assert any("三、收到和处理政府信息公开申请情况" in p.where for p in caught.value.problems)


def _headers(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = [n for n in package.namelist() if re.fullmatch(r"word/header\d+\.xml", n)]
        return [re.sub(r"<[^>]+>", "", package.read(n).decode()).strip() for n in names]


def test_draft_header_on_every_page() -> None:
    report = unbalanced()
    count = len(errors(check(report)))
    headers = _headers(render_docx(report, draft=True))
    assert len(headers) == 2  # odd and even pages
    assert all(h.endswith(f"草稿：本报告有 {count} 项错误尚未改正，仅供核对，不得作为正式报告公布") for h in headers)


def test_final_has_no_draft_mark(rendered) -> None:  # type: ignore[no-untyped-def]
    assert _headers(rendered) == ["", ""]


def test_render_is_deterministic(report, rendered) -> None:  # type: ignore[no-untyped-def]
    assert render_docx(report) == rendered


def test_untouched_parts_copied_byte_for_byte(rendered) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(TEMPLATE) as source, zipfile.ZipFile(io.BytesIO(rendered)) as out:
        assert sorted(source.namelist()) == sorted(out.namelist())
        for name in ("word/styles.xml", "word/settings.xml", "docProps/custom.xml", "[Content_Types].xml"):
            assert source.read(name) == out.read(name)


def test_template_compiled_once(tmp_path: Path) -> None:
    copy = tmp_path / "t.docx"
    copy.write_bytes(TEMPLATE.read_bytes())
    first = load_docx_template(copy)
    assert load_docx_template(copy) is first
    copy.write_bytes(TEMPLATE.read_bytes() + b"")  # same content, new mtime
    import os

    os.utime(copy, ns=(1, 1))
    assert load_docx_template(copy) is not first


def test_a_2019_report_renders_with_the_shipped_2019_template() -> None:
    trial = "gov-info-annual-report/2019"  # its Word template is shipped: annual-report-2019.v1.docx
    proactive = ProactiveDisclosure(format=trial, procurement={"items": 3, "amount": Decimal("1250.5")})
    tables = {"proactive": proactive, "applications": Applications(format=trial)}
    report = attrs.evolve(full_report(), format=trial, **tables)
    document = open_docx(render_docx(report))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "1250.5元" in cells  # 采购总金额 with the unit the report states
    row = next(r for table in document.tables for r in table.rows if r.cells[-1].text == "1250.5元")
    assert "3" in [c.text for c in row.cells]  # 采购项目数量: its key is "items", the name of a dict method
    assert not any("{" in text or "built-in" in text for text in cells)


def test_other_format_refused(tmp_path: Path) -> None:
    other = modified_template(
        tmp_path / "other.docx", {fmt.FORMAT_ID: "gov-info-annual-report/2019"}, member="docProps/custom.xml"
    )
    with pytest.raises(TemplateError, match="模板服务的报告格式为“gov-info-annual-report/2019”"):
        render_docx(full_report(), other)


# ---------------------------------------------------------------------------------------------------
# Safety: text is data; the template language is sandboxed
# ---------------------------------------------------------------------------------------------------

HOSTILE = "{{ 7*7 }} {% if true %}x{% endif %} <w:p>&amp; & \"q\" 'a' ]]> {_{ 1 }_}"


def test_text_is_data_never_code() -> None:
    report = full_report(
        overview=attrs.evolve(full_report().overview, proactive=HOSTILE),
        report=ReportInfo(2021, full_report().report.signed_on, preamble="<w:t>1</w:t>"),
    )
    data = render_docx(report)
    texts = [p.text for p in open_docx(data).paragraphs]
    assert HOSTILE in texts
    assert "<w:t>1</w:t>" in texts
    assert "49" not in "".join(texts)


def test_agency_name_is_escaped_everywhere() -> None:
    report = full_report(agency=attrs.evolve(full_report().agency, name="A&B<局>"))
    document = open_docx(render_docx(report))
    assert document.paragraphs[-2].text == "A&B<局>"
    assert document.core_properties.title == report.title


def _custom(tmp_path: Path, text: str) -> Path:
    return modified_template(tmp_path / "custom.docx", {fmt.PROBLEMS.heading: text})


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "沙箱"),
        ("{{ ().__class__.__base__.__subclasses__() }}", "沙箱"),
        ("{{ cycler.__init__.__globals__ }}", "沙箱|未知的占位符"),
        ("{{ lipsum.__globals__['os'] }}", "沙箱|未知的占位符"),
        ("{{ joiner }}", "未知的占位符"),
        ("{{ agency.__class__ }}", "沙箱"),
        ("{{ no_such_thing }}", "未知的占位符"),
        ("{{ overview.no_such_topic }}", "未知的占位符"),
    ],
)
def test_sandbox_and_unknown_names_fail_clearly(tmp_path: Path, tag: str, message: str) -> None:
    custom = _custom(tmp_path, tag)
    with pytest.raises(TemplateError) as caught:
        render_docx(full_report(), custom)
    (problem,) = caught.value.problems
    assert re.search(message, problem.message)
    assert problem.where.startswith("正文第") and "段" in problem.where
    assert "XML" not in str(caught.value)


def test_syntax_error_named_by_place(tmp_path: Path) -> None:
    custom = _custom(tmp_path, "{{ problems | }}")
    with pytest.raises(TemplateError) as caught:
        render_docx(full_report(), custom)
    (problem,) = caught.value.problems
    assert "模板语法错误" in problem.message
    document = open_docx(custom.read_bytes())
    number = [p.text for p in document.paragraphs].index("{{ problems | }}") + 1
    assert problem.where.startswith(f"正文第{number}段"), problem.where


def test_error_in_table_cell_named_by_cell(tmp_path: Path) -> None:
    custom = modified_template(
        tmp_path / "cell.docx", {"{{ applications.new.business }}": "{{ applications.new.nobody }}"}
    )
    with pytest.raises(TemplateError) as caught:
        render_docx(full_report(), custom)
    problem, missing = caught.value.problems  # the unknown placeholder first, then the one it replaced
    assert problem.where.startswith("正文第2个表格第4行第5列"), problem.where
    assert "applications.new.business" in missing.message


def test_safe_filter_removed(tmp_path: Path) -> None:
    custom = modified_template(tmp_path / "safe.docx", {"{{ agency }}": "{{ agency|safe }}"})
    with pytest.raises(TemplateError):
        render_docx(full_report(), custom)


def test_overview_defaults_render() -> None:
    report = full_report(overview=Overview(proactive="a", on_request="b", management="c", platforms="d", oversight="e"))
    texts = [p.text for p in open_docx(render_docx(report)).paragraphs]
    assert texts.index(fmt.OVERVIEW.heading) + 1 == texts.index(fmt.OVERVIEW_SUBSECTIONS[0].heading)
