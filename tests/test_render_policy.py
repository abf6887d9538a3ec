"""The release policy (issue 10.4): one decision per render call, one wording of the draft notice, and the
checks run once per report when the caller passes the findings it already has."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import attrs
import openpyxl
import pytest

from docx_helpers import full_report
from reportkit import rules
from reportkit.errors import RenderError
from reportkit.model import AnnualReport, ApplicantCounts
from reportkit.render import render
from reportkit.render.docx import render_docx
from reportkit.render.html import render_html
from reportkit.render.policy import Release, draft_notice, release
from reportkit.render.xlsx import render_xlsx

KINDS = ("docx", "xlsx", "html", "html-fragment")


def unbalanced() -> AnnualReport:
    report = full_report()
    apps = report.applications.with_row("carried_over", ApplicantCounts.of([1, 0, 0, 0, 0, 0]))
    return attrs.evolve(report, applications=apps)


@pytest.fixture
def check_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[AnnualReport]]:
    calls: list[AnnualReport] = []
    original = rules.check

    def counting(report: AnnualReport, previous: AnnualReport | None = None) -> list[rules.Finding]:
        calls.append(report)
        return original(report, previous)

    monkeypatch.setattr(rules, "check", counting)
    yield calls


def _docx_header(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return re.sub(r"<[^>]+>", "", package.read("word/header1.xml").decode()).strip()


def _xlsx_notice(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data))
    notices = {book[name]["A2"].value for name in book.sheetnames}
    assert len(notices) == 1
    return str(notices.pop())


def _html_notice(data: str) -> str:
    match = re.search(r"<p[^>]*>([^<]*草稿[^<]*)</p>", data)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize("report_of", [unbalanced, full_report], ids=["errors", "clean"])
def test_one_wording_in_word_excel_and_html(report_of) -> None:  # type: ignore[no-untyped-def]
    report = report_of()
    count = len(rules.errors(rules.check(report)))
    expected = draft_notice(count)
    assert ("尚未改正" in expected) == bool(count)
    assert _docx_header(render_docx(report, draft=True)) == expected
    assert _xlsx_notice(render_xlsx(report, draft=True)) == expected
    assert _html_notice(render_html(report, draft=True)) == expected


def test_refusal_is_the_same_for_every_kind() -> None:
    report = unbalanced()
    messages = set()
    for kind in KINDS:
        with pytest.raises(RenderError) as caught:
            render(kind, report)
        messages.add((str(caught.value), tuple(caught.value.problems)))
    assert len(messages) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_one_check_per_render_call(kind: str, check_calls: list[AnnualReport]) -> None:
    render(kind, full_report())
    assert len(check_calls) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_findings_given_are_not_computed_again(kind: str, check_calls: list[AnnualReport]) -> None:
    report = unbalanced()
    findings = rules.check(report)
    check_calls.clear()
    with pytest.raises(RenderError):
        render(kind, report, findings=findings)
    assert render(kind, report, draft=True, findings=findings)
    assert check_calls == []


def test_given_findings_decide() -> None:
    """The caller's findings are trusted as given (a batch adds the cross-year findings): a clean report with an
    error finding from elsewhere is refused, and a draft counts that error."""
    report = full_report()
    extra = rules.Finding("previous.example", rules.Severity.ERROR, rules.Location("报告信息", "机关名称"), "示例")
    with pytest.raises(RenderError):
        release(report, [extra])
    assert release(report, [extra], draft=True) == Release(True, 1)
    assert release(report, []) == Release.final()
    assert Release.final().notice == ""
    assert _docx_header(render_docx(report, draft=True, findings=[extra])) == draft_notice(1)


def test_cli_render_checks_once(tmp_path, check_calls: list[AnnualReport]) -> None:  # type: ignore[no-untyped-def]
    from docx_helpers import ROOT
    from reportkit.cli import main

    example = ROOT / "examples" / "longde-chengguan-2021.toml"
    code = main(["render", str(example), "-o", str(tmp_path), "--docx", "--xlsx", "--html"])
    assert code == 0
    assert len(check_calls) == 1
    assert len(list(tmp_path.iterdir())) == 3
