"""The contract of a custom Word template is enforced at render time, not only by ``reportkit template check``.

A template that lost an official table, the sign-off or required placeholders used to render a report without
them (exit 0). Now ``render_docx(report, template)`` and ``reportkit render --template`` refuse it with a
TemplateError listing the problems, decisive problem first; the verdict is computed once per process with the
compiled template. ``template check`` orders problems by weight and groups the missing placeholders of a table.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from docx_helpers import TEMPLATE, full_report, modified_template, open_docx
from reportkit import templates
from reportkit.cli import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, main
from reportkit.errors import TemplateError
from reportkit.formats import gov2021 as fmt
from reportkit.io import dump
from reportkit.render import docx_template as docx_render
from reportkit.render.contract import check_docx_template, contract_problems, official_tables
from reportkit.render.docx import compile_docx_template, load_docx_template, render_docx
from reportkit.templates import list_templates

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TABLES = official_tables(fmt.FORMAT_ID)


def _edited(target: Path, edit: object) -> Path:
    """A copy of the shipped template whose document XML went through ``edit(root)``."""
    with zipfile.ZipFile(TEMPLATE) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info, content in items:
            if info.filename == "word/document.xml":
                root = etree.fromstring(content)
                edit(root)  # type: ignore[operator]
                content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            out.writestr(info, content)
    target.write_bytes(buffer.getvalue())
    return target


def _table_holding(root: etree._Element, key: str) -> etree._Element:
    """The table of the document that holds most of the labels of official table ``key``."""
    _, cells = TABLES[key]
    labels = {re.sub(r"\s+", "", cell.label) for cell in cells}

    def score(table: etree._Element) -> int:
        texts = {re.sub(r"\s+", "", "".join(tc.itertext())) for tc in table.iter(f"{W}tc")}
        return len(labels & texts)

    return max(root.iter(f"{W}tbl"), key=score)


def _without_table(target: Path, key: str) -> Path:
    """The shipped template with the official table ``key`` (proactive, applications, review_litigation) deleted."""

    def edit(root: etree._Element) -> None:
        table = _table_holding(root, key)
        table.getparent().remove(table)

    return _edited(target, edit)


def _without_signoff(target: Path) -> Path:
    def edit(root: etree._Element) -> None:
        for para in list(root.iter(f"{W}p")):
            if "".join(para.itertext()) in ("{{ agency }}", "{{ signed_on }}"):
                para.getparent().remove(para)

    return _edited(target, edit)


def _placeholders(prefix: str) -> list[str]:
    return [
        p
        for p in docx_render.placeholder_descriptions()
        if p.startswith(prefix) and p not in docx_render.OPTIONAL_PLACEHOLDERS
    ]


def _figures(folder: Path) -> Path:
    figures = folder / "figures.toml"
    dump(full_report(), figures)
    return figures


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


# ---------------------------------------------------------------------------------------------------
# The shipped templates pass; the verdict is cached
# ---------------------------------------------------------------------------------------------------


def _shipped_docx() -> list[Any]:
    """The shipped Word templates, of every format."""
    found = [t for t in list_templates() if t.kind == "docx"]
    assert {t.format_id for t in found} >= {"gov-info-annual-report/2019", "gov-info-annual-report/2021"}
    return found


@pytest.mark.parametrize("info", _shipped_docx(), ids=lambda t: t.path.name)
def test_every_shipped_template_passes_the_contract(info: templates.TemplateInfo) -> None:
    data = info.path.read_bytes()
    assert contract_problems(data, compile_docx_template(data, source=str(info.path))) == []
    assert check_docx_template(info.path) == []


def test_shipped_templates_are_trusted_and_copies_are_checked(tmp_path: Path) -> None:
    shipped = load_docx_template(TEMPLATE)
    assert shipped.trusted and shipped.contract is None  # no re-check: the test above guarantees it
    copy = tmp_path / "copy.docx"
    copy.write_bytes(TEMPLATE.read_bytes())
    custom = load_docx_template(copy)
    assert not custom.trusted and custom.contract == ()
    assert render_docx(full_report(), copy) == render_docx(full_report())


def test_the_verdict_is_computed_once_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    from reportkit.render import docx as docx_module

    original = docx_module.contract_problems

    def counting(data: bytes, compiled: object, format_id: str | None = None) -> list[object]:
        calls.append(str(compiled))
        return original(data, compiled, format_id)

    monkeypatch.setattr(docx_module, "contract_problems", counting)
    broken = _without_table(tmp_path / "no-table.docx", "applications")
    for _ in range(3):
        with pytest.raises(TemplateError):
            render_docx(full_report(), broken)
    good = tmp_path / "good.docx"
    good.write_bytes(TEMPLATE.read_bytes())
    for _ in range(3):
        render_docx(full_report(), good)
    assert len(calls) == 2


# ---------------------------------------------------------------------------------------------------
# A template that lost part of the contract is refused at render
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(TABLES))
def test_a_deleted_official_table_is_refused_by_render_docx(tmp_path: Path, key: str) -> None:
    heading, _ = TABLES[key]
    template = _without_table(tmp_path / "t.docx", key)
    assert len(open_docx(template.read_bytes()).tables) == len(open_docx(TEMPLATE.read_bytes()).tables) - 1
    with pytest.raises(TemplateError) as caught:
        render_docx(full_report(), template)
    error = caught.value
    first = error.problems[0]
    assert first.where == heading and "找不到该节的官方表格" in first.message, first
    assert str(template) in str(error) and "找不到该节的官方表格" in error.summary
    grouped = error.problems[1]
    count = len(_placeholders(f"{key}."))
    assert heading in grouped.where and f"全部 {count} 个占位符都不在了" in grouped.message, grouped


def test_a_deleted_table_is_refused_by_the_render_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = _without_table(tmp_path / "t.docx", "applications")
    out = tmp_path / "out"
    code, output = _run(
        capsys, "render", str(_figures(tmp_path)), "-o", str(out), "--docx", "--template", str(template)
    )
    assert code == EXIT_UNREADABLE
    assert fmt.APPLICATIONS.heading in output and "找不到该节的官方表格" in output and "Traceback" not in output
    assert not out.exists() or not list(out.iterdir())


def test_a_deleted_signoff_is_refused(tmp_path: Path) -> None:
    template = _without_signoff(tmp_path / "t.docx")
    with pytest.raises(TemplateError) as caught:
        render_docx(full_report(), template)
    first = caught.value.problems[0]
    assert first.where == "落款" and "全部 2 个占位符都不在了" in first.message, caught.value.problems
    assert any("“agency”" in p.message for p in caught.value.problems)
    assert any("“signed_on”" in p.message for p in caught.value.problems)


def test_a_removed_required_placeholder_is_refused(tmp_path: Path) -> None:
    template = modified_template(tmp_path / "t.docx", {"{%p for p in problems %}": "{%p for p in other %}"})
    with pytest.raises(TemplateError) as caught:
        render_docx(full_report(), template)
    (problem,) = caught.value.problems
    assert "缺少必需的占位符“problems”" in problem.message


def test_a_draft_is_refused_too(tmp_path: Path) -> None:
    """A draft with table 三 missing is no draft of the report either."""
    template = _without_table(tmp_path / "t.docx", "applications")
    with pytest.raises(TemplateError):
        render_docx(full_report(), template, draft=True)


# ---------------------------------------------------------------------------------------------------
# template check: the decisive problem first
# ---------------------------------------------------------------------------------------------------


def test_check_puts_the_deleted_table_first(tmp_path: Path) -> None:
    template = _without_table(tmp_path / "t.docx", "applications")
    problems = check_docx_template(template)
    count = len(_placeholders("applications."))
    assert problems[0].where == fmt.APPLICATIONS.heading and "找不到该节的官方表格" in problems[0].message
    assert f"全部 {count} 个占位符都不在了" in problems[1].message
    details = [p for p in problems if "缺少必需的占位符" in p.message]
    assert len(details) == count and all(fmt.APPLICATIONS.heading in p.where for p in details)
    assert problems.index(details[0]) == 2  # the details follow their group line


def test_check_orders_by_weight(tmp_path: Path) -> None:
    """Table broken, then broken tags, then unknown placeholders, then missing ones."""
    template = modified_template(
        tmp_path / "t.docx",
        {
            "{{ fee_statement }}": "{{ fee_statment }}",  # unknown
            "{%p for p in problems %}": "{%p for p in other %}",  # problems missing
            "3.危及“三安全一稳定”": "3.危及安全稳定",  # a changed label of table 三
            fmt.PROBLEMS.heading: "{{ 1/0 }}",  # a runtime error, found by the trial render
        },
    )
    problems = check_docx_template(template)
    kinds = []
    for problem in problems:
        if "官方标签" in problem.message:
            kinds.append("table")
        elif "试生成示例报告时出错" in problem.message:
            kinds.append("runtime")
        elif "未知的占位符" in problem.message:
            kinds.append("unknown")
        elif "缺少必需的占位符" in problem.message:
            kinds.append("missing")
    assert kinds == ["table", "runtime", "unknown", "missing"], problems
    assert "ZeroDivisionError" in problems[1].message and problems[1].where.startswith("正文第")


def test_check_puts_the_deleted_table_before_broken_tags(tmp_path: Path) -> None:
    template = _without_table(tmp_path / "t.docx", "review_litigation")
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(broken, "w") as out:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "word/document.xml":
                content = content.replace(b"{{ signed_on }}", b"{{ signed_on }")
            out.writestr(info, content)
    problems = check_docx_template(broken)
    assert problems[0].where == fmt.REVIEW_LITIGATION.heading
    assert "模板语法错误" in problems[1].message


def test_partly_missing_placeholders_of_a_table_are_grouped(tmp_path: Path) -> None:
    removed = ["{{ review_litigation.review.upheld }}", "{{ review_litigation.review.corrected }}"]
    template = modified_template(tmp_path / "t.docx", dict.fromkeys(removed, "0"))
    problems = check_docx_template(template)
    total = len(_placeholders("review_litigation."))
    assert problems[0].where == f"“{fmt.REVIEW_LITIGATION.heading}”表格"
    assert f"缺少 2 个占位符（共 {total} 个）" in problems[0].message
    assert [p.message.split("“")[1].split("”")[0] for p in problems[1:]] == [r[3:-3] for r in removed]


def test_the_check_command_prints_the_count_and_the_decisive_problem_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = _without_table(tmp_path / "t.docx", "applications")
    code, output = _run(capsys, "template", "check", str(template))
    assert code == EXIT_FINDINGS
    lines = output.splitlines()
    count = len(check_docx_template(template))
    assert re.search(rf"发现 {count} 处问题", lines[0]), lines[0]
    assert fmt.APPLICATIONS.heading in lines[1] and "找不到该节的官方表格" in lines[1], lines[:3]


def test_the_check_command_on_the_shipped_template(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _run(capsys, "template", "check", str(TEMPLATE))
    assert code == EXIT_OK and "模板完好" in output
