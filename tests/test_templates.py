"""The template registry, the deterministic template build and ``reportkit template check``."""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from docx_helpers import ROOT, TEMPLATE, modified_template
from reportkit.errors import TemplateError
from reportkit.formats import gov2021 as fmt
from reportkit.render.contract import check_docx_template
from reportkit.templates import find_template, list_templates, templates_dir


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_templates", ROOT / "tools" / "build_templates.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_templates", module)
    spec.loader.exec_module(module)
    return module


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


# ---------------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------------


def test_build_is_deterministic(tmp_path: Path) -> None:
    builder = _builder()
    first = builder.build_docx_template(tmp_path / "a.docx").read_bytes()
    second = builder.build_docx_template(tmp_path / "b.docx").read_bytes()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_committed_template_is_up_to_date() -> None:
    built = _members(_builder().build_docx_template_bytes())
    committed = _members(TEMPLATE.read_bytes())
    assert built.keys() == committed.keys()
    for name in built:
        assert built[name] == committed[name], f"{name} differs: run python tools/build_templates.py"


def test_template_carries_version_and_format() -> None:
    members = _members(TEMPLATE.read_bytes())
    custom = members["docProps/custom.xml"].decode()
    assert 'name="reportkit.format"><vt:lpwstr>gov-info-annual-report/2021<' in custom
    assert 'name="reportkit.template_version"><vt:lpwstr>1<' in custom
    assert "v1" in TEMPLATE.name
    assert b"thumbnail" not in members["_rels/.rels"]


def test_template_labels_come_from_the_format() -> None:
    """Every heading and table label of the format is in the template (it is built from gov2021)."""
    document = _members(TEMPLATE.read_bytes())["word/document.xml"].decode()
    for section in fmt.SECTIONS:
        assert section.heading in document
    for sub in fmt.OVERVIEW_SUBSECTIONS:
        assert sub.heading in document
    for leaf in fmt.APPLICATIONS_TABLE.row_leaves:
        assert leaf.label in document


# ---------------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------------


def test_list_templates_reads_inside_the_files() -> None:
    found = [t for t in list_templates() if t.kind == "docx"]
    assert any(t.format_id == fmt.FORMAT_ID and t.version == "1" and t.path.name == TEMPLATE.name for t in found)
    assert templates_dir().is_dir()


def test_find_template() -> None:
    info = find_template("docx", fmt.FORMAT_ID)
    assert info.path.is_file() and info.version == "1"
    with pytest.raises(TemplateError, match="gov-info-annual-report/2019"):
        find_template("docx", "gov-info-annual-report/2019")


# ---------------------------------------------------------------------------------------------------
# template check
# ---------------------------------------------------------------------------------------------------


def test_shipped_template_passes() -> None:
    assert check_docx_template(TEMPLATE) == []


def test_unknown_placeholder_named_with_its_place(tmp_path: Path) -> None:
    path = modified_template(tmp_path / "t.docx", {"{{ fee_statement }}": "{{ fee_statment }}"})
    problems = check_docx_template(path)
    unknown = [p for p in problems if "fee_statment" in p.message]
    assert len(unknown) == 1
    assert unknown[0].where.startswith("正文第") and "{{ fee_statment }}" in unknown[0].where


def test_unknown_placeholder_in_table_cell(tmp_path: Path) -> None:
    path = modified_template(tmp_path / "t.docx", {"{{ review_litigation.review.upheld }}": "{{ review.upheld }}"})
    problems = check_docx_template(path)
    (unknown,) = [p for p in problems if "未知" in p.message]
    assert unknown.where.startswith("正文第3个表格第4行第1列"), unknown.where
    assert any("review_litigation.review.upheld" in p.message for p in problems)


def test_removed_placeholder_reported(tmp_path: Path) -> None:
    path = modified_template(tmp_path / "t.docx", {"{%p for p in problems %}": "{%p for p in other %}"})
    problems = check_docx_template(path)
    assert len(problems) == 1
    assert "缺少必需的占位符“problems”" in problems[0].message and fmt.PROBLEMS.heading in problems[0].message


def test_changed_label_reported(tmp_path: Path) -> None:
    path = modified_template(tmp_path / "t.docx", {"3.危及“三安全一稳定”": "3.危及安全稳定"})
    problems = check_docx_template(path)
    assert len(problems) == 1
    assert "3.危及“三安全一稳定”" in problems[0].message and "3.危及安全稳定" in problems[0].message
    assert fmt.APPLICATIONS.heading in problems[0].where and "第10行第3列" in problems[0].where


def test_broken_merge_reported(tmp_path: Path) -> None:
    path = modified_template(tmp_path / "t.docx", {'<w:gridSpan w:val="7"/>': '<w:gridSpan w:val="6"/>'})
    problems = check_docx_template(path)
    assert any("申请人情况" in p.message and "合并" in p.message for p in problems), problems


def test_syntax_error_named_by_place(tmp_path: Path) -> None:
    path = modified_template(tmp_path / "t.docx", {"{{ signed_on }}": "{{ signed_on }"})
    problems = check_docx_template(path)
    assert len(problems) == 1
    assert "模板语法错误" in problems[0].message
    assert problems[0].where.startswith("正文第") and "signed_on" in problems[0].where


def test_other_format_refused(tmp_path: Path) -> None:
    path = modified_template(
        tmp_path / "t.docx", {fmt.FORMAT_ID: "gov-info-annual-report/2030"}, member="docProps/custom.xml"
    )
    (problem,) = check_docx_template(path)
    assert "gov-info-annual-report/2030" in problem.message
    (problem,) = check_docx_template(TEMPLATE, "gov-info-annual-report/2030")
    assert "需要的是" in problem.message


def test_template_without_properties_refused(tmp_path: Path) -> None:
    path = modified_template(tmp_path / "t.docx", {"reportkit.format": "something.else"}, member="docProps/custom.xml")
    (problem,) = check_docx_template(path)
    assert "reportkit.format" in problem.message


def test_not_a_word_file(tmp_path: Path) -> None:
    path = tmp_path / "x.docx"
    path.write_bytes(b"not a zip")
    (problem,) = check_docx_template(path)
    assert "不是有效的 Word" in problem.message


def test_outer_group_label_of_table_3_is_vertical_text_from_the_top() -> None:
    """三、本年度办理结果 stands in a column one character wide: as vertical text (tbRl) it is one column of
    upright characters, so no line starts with 、; it starts at the top of its merged cell, so a page break
    inside table 三 does not cut it (it was centred across the break)."""
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(str(TEMPLATE))
    outer = fmt.APPLICATIONS_TABLE.rows[2]
    cells = [
        tc
        for table in doc.tables
        for tc in table._tbl.iter(qn("w:tc"))
        if "".join(t.text or "" for t in tc.iter(qn("w:t"))) == outer.label
    ]
    assert len(cells) == 1
    tc_pr = cells[0].tcPr
    direction = tc_pr.find(qn("w:textDirection"))
    assert direction is not None and direction.get(qn("w:val")) == "tbRl"
    children = [child.tag for child in tc_pr]
    assert children.index(qn("w:textDirection")) < children.index(qn("w:vAlign"))  # CT_TcPr order
    jc = cells[0].find(f"{qn('w:p')}/{qn('w:pPr')}/{qn('w:jc')}")
    assert jc is not None and jc.get(qn("w:val")) in ("left", "start")
