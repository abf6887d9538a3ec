"""Reports and Word helpers shared by the rendering tests."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject

from reportkit.formats import gov2021 as fmt
from reportkit.model import (
    Agency,
    AgencyKind,
    AnnualReport,
    ApplicantCounts,
    Applications,
    CaseOutcomes,
    DocumentCounts,
    InformationFees,
    OtherMatters,
    Overview,
    ProactiveDisclosure,
    Problems,
    ReportInfo,
    ReviewLitigation,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "docx" / "annual-report-2021.v1.docx"

TEXT = "本年度，我局坚持以公开为常态、不公开为例外，认真落实《中华人民共和国政府信息公开条例》。"


def applications_distinct() -> Applications:
    """Table 三 where every input cell holds a different number and the balance rule holds."""
    apps = Applications()
    outcome_rows = [
        row for row in fmt.APPLICATIONS_TABLE.input_rows if row.key not in ("new", "carried_over", "carried_forward")
    ]
    for r, row in enumerate(outcome_rows):
        apps = apps.with_row(row.key, ApplicantCounts.of([100 * (r + 1) + c for c in range(1, 7)]))
    carried_over = ApplicantCounts.of([5001 + c for c in range(6)])
    carried_forward = ApplicantCounts.of([6001 + c for c in range(6)])
    total = apps.total
    new = ApplicantCounts.of(
        [t + f - o for t, f, o in zip(total.values(), carried_forward.values(), carried_over.values(), strict=True)]
    )
    return apps.with_row("carried_over", carried_over).with_row("carried_forward", carried_forward).with_row("new", new)


def full_report(**changes: object) -> AnnualReport:
    """A report with every text filled and every number different; it passes ``check`` without errors."""
    report = AnnualReport(
        agency=Agency("某市某区交通运输局", AgencyKind.DEPARTMENT),
        report=ReportInfo(2021, dt.date(2022, 1, 19), preamble="根据《条例》，现公布本机关2021年度报告。"),
        overview=Overview(
            intro="总体概述第一段。\n\n总体概述第二段。",
            proactive=TEXT + "\n\n主动公开第二段。",
            on_request="依申请公开情况。",
            management="政府信息管理情况。",
            platforms="平台建设情况。",
            oversight="监督保障情况。",
        ),
        proactive=ProactiveDisclosure(
            regulations=DocumentCounts(11, 12, 13),
            normative_documents=DocumentCounts(21, 22, 23),
            licensing=31,
            penalty=41,
            coercion=42,
            fees_wan_yuan=Decimal("96171.6"),
        ),
        applications=applications_distinct(),
        review_litigation=ReviewLitigation(
            review=CaseOutcomes(71, 72, 73, 74),
            litigation_direct=CaseOutcomes(81, 82, 83, 84),
            litigation_after_review=CaseOutcomes(91, 92, 93, 94),
        ),
        problems=Problems("存在的问题。\n\n改进措施。"),
        other=OtherMatters("其他事项。", InformationFees(3, Decimal("300"), Decimal("200"))),
    )
    if changes:
        import attrs

        report = attrs.evolve(report, **changes)  # type: ignore[misc]
    return report


def open_docx(data: bytes) -> DocumentObject:
    return Document(io.BytesIO(data))


def part_xml(data: bytes, name: str = "word/document.xml") -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name).decode("utf-8")


def body_texts(document: DocumentObject) -> list[str]:
    return [p.text for p in document.paragraphs]


def modified_template(target: Path, replacements: dict[str, str], *, member: str = "word/document.xml") -> Path:
    """A copy of the shipped Word template with text of one part replaced (``old -> new``, each must occur)."""
    with zipfile.ZipFile(TEMPLATE) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info, content in items:
            if info.filename == member:
                text = content.decode("utf-8")
                for old, new in replacements.items():
                    assert old in text, old
                    text = text.replace(old, new)
                content = text.encode("utf-8")
            out.writestr(info, content)
    target.write_bytes(buffer.getvalue())
    return target


def long_counts_report() -> AnnualReport:
    """A report that passes ``check`` with the largest counts allowed (10^9): ten-digit numbers in every
    column of table 三 (the new applications, the 总计 column, the （七）总计 row) and in table 四."""
    most = 10**9
    apps = Applications()
    disclosed = [most - 10 + c for c in range(1, 7)]  # 999999991 … 999999996
    apps = apps.with_row("new", ApplicantCounts.of([most] * 6))
    apps = apps.with_row("disclosed", ApplicantCounts.of(disclosed))
    apps = apps.with_row("carried_forward", ApplicantCounts.of([most - d for d in disclosed]))
    review = CaseOutcomes(most, most - 1, most - 2, most - 3)
    return full_report(
        applications=apps,
        review_litigation=ReviewLitigation(review=review, litigation_direct=review, litigation_after_review=review),
    )


def docx_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {info.filename: package.read(info) for info in package.infolist()}


def restyled_template(target: Path, document: dict[str, str], styles: dict[str, str]) -> Path:
    """A copy of the shipped Word template with text of ``word/document.xml`` and ``word/styles.xml`` replaced
    (``old -> new``, each must occur), as an office that restyles the template in Word would."""
    members = docx_members(TEMPLATE.read_bytes())
    for member, replacements in (("word/document.xml", document), ("word/styles.xml", styles)):
        text = members[member].decode("utf-8")
        for old, new in replacements.items():
            assert old in text, old
            text = text.replace(old, new)
        members[member] = text.encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in members.items():
            out.writestr(name, content)
    target.write_bytes(buffer.getvalue())
    return target


NAME_STYLE_HEAD = '<w:name w:val="落款机关"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr>'


def restyled_signoff(tmp_path: Path) -> Path:
    """The shipped template as an office might restyle it: other style ids for the sign-off styles (the names
    stay), no keepNext on the blank line nor in the name's style, and a 28 pt line."""
    return restyled_template(
        tmp_path / "restyled.docx",
        document={
            '<w:pStyle w:val="落款机关"/>': '<w:pStyle w:val="a5"/>',
            '<w:pStyle w:val="成文日期"/>': '<w:pStyle w:val="a6"/>',
            "<w:p><w:pPr><w:keepNext/></w:pPr></w:p><w:p><w:pPr><w:pStyle": "<w:p/><w:p><w:pPr><w:pStyle",
        },
        styles={
            f'w:styleId="落款机关">{NAME_STYLE_HEAD}<w:keepNext/>': f'w:styleId="a5">{NAME_STYLE_HEAD}',
            'w:styleId="成文日期"': 'w:styleId="a6"',
            'w:line="579"': 'w:line="560"',
        },
    )


def restyled_narrow(tmp_path: Path) -> Path:
    """The shipped template with narrower table-四 columns (489/490 twips instead of 589/590), 小四 number text
    (表格文字 at 12 pt) and another id for the style 表格文字."""
    return restyled_template(
        tmp_path / "narrow.docx",
        document={'w:w="589"': 'w:w="489"', 'w:w="590"': 'w:w="490"', 'w:val="表格文字"/>': 'w:val="a7"/>'},
        styles={
            'w:styleId="表格文字"><w:name w:val="表格文字"/>': 'w:styleId="a7"><w:name w:val="表格文字"/>',
            '<w:basedOn w:val="表格文字"/>': '<w:basedOn w:val="a7"/>',
            '<w:spacing w:val="0"/><w:sz w:val="21"/></w:rPr></w:style><w:style w:type="paragraph" '
            'w:customStyle="1" w:styleId="表格文字靠左">': '<w:spacing w:val="0"/><w:sz w:val="24"/></w:rPr></w:style>'
            '<w:style w:type="paragraph" w:customStyle="1" w:styleId="表格文字靠左">',
        },
    )
