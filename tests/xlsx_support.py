"""Shared helpers of the Excel tests: sample reports, a hypothesis strategy and a LibreOffice runner."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import strategies as st

from reportkit.formats import gov2021 as fmt
from reportkit.model import (
    OUTCOME_ROW_KEYS,
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

TEXTS = Overview(
    intro="本年度，本机关认真贯彻落实《中华人民共和国政府信息公开条例》。",
    proactive="主动公开政府信息。",
    on_request="依申请公开办理情况。",
    management="政府信息管理情况。",
    platforms="平台建设情况。",
    oversight="监督保障情况。",
)


def balanced_applications() -> Applications:
    """A table 三 whose every column balances, with distinct numbers in many cells."""
    apps = Applications(
        new=ApplicantCounts.of([30, 5, 2, 1, 3, 4]),
        carried_over=ApplicantCounts.of([2, 1, 0, 0, 0, 1]),
    )
    outcome = {
        "disclosed": [10, 2, 1, 0, 1, 1],
        "partly_disclosed": [5, 1, 0, 0, 0, 1],
        "withheld.state_secret": [1, 0, 0, 0, 0, 0],
        "withheld.third_party_rights": [2, 0, 0, 0, 0, 0],
        "unavailable.not_held": [6, 1, 1, 1, 1, 1],
        "not_processed.duplicate": [3, 0, 0, 0, 0, 0],
        "other_handling.unpaid_fee": [1, 0, 0, 0, 0, 0],
        "other_handling.other": [1, 1, 0, 0, 0, 0],
    }
    for key, values in outcome.items():
        apps = apps.with_row(key, ApplicantCounts.of(values))
    # 四、结转下年度 = 一 + 二 − （七）总计, per column
    total = apps.total
    forward = [
        apps.new.get(c.key) + apps.carried_over.get(c.key) - total.get(c.key)
        for c in fmt.APPLICATIONS_TABLE.input_columns
    ]
    return apps.with_row("carried_forward", ApplicantCounts.of(forward))


def sample_report(**changes: object) -> AnnualReport:
    """A complete report that passes ``check`` (no errors)."""
    report = AnnualReport(
        agency=Agency("某某县交通运输局", AgencyKind.DEPARTMENT),
        report=ReportInfo(2021, dt.date(2022, 1, 19), dt.date(2022, 1, 20)),
        overview=TEXTS,
        proactive=ProactiveDisclosure(
            regulations=DocumentCounts(0, 0, 0),
            normative_documents=DocumentCounts(7, 2, 41),
            licensing=1234,
            penalty=56,
            coercion=3,
            fees_wan_yuan=Decimal("96171.6"),
        ),
        applications=balanced_applications(),
        review_litigation=ReviewLitigation(
            review=CaseOutcomes(72, 64, 178, 37),
            litigation_direct=CaseOutcomes(13, 4, 8, 1),
            litigation_after_review=CaseOutcomes(12, 1, 1, 6),
        ),
        problems=Problems("存在的问题。"),
        other=OtherMatters("本年度收取信息处理费 300 元。", InformationFees(3, Decimal("400"), Decimal("300"))),
    )
    from attrs import evolve

    return evolve(report, **changes) if changes else report


# ---------------------------------------------------------------------------------------------------
# Hypothesis
# ---------------------------------------------------------------------------------------------------

_TEXT_ALPHABET = "政府信息公开年度报告机关县镇街道，。；“”（）abcXYZ 0123456789\n="
counts = st.integers(min_value=0, max_value=10**6)
declared = st.one_of(st.none(), counts)
amounts = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
texts = st.text(alphabet=_TEXT_ALPHABET, max_size=40)
names = st.text(alphabet="某县市区交通运输局镇街道办人民政府", min_size=1, max_size=12)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))


@st.composite
def applicant_rows(draw: st.DrawFn) -> ApplicantCounts:
    return ApplicantCounts.of([draw(counts) for _ in range(6)], declared_total=draw(declared))


@st.composite
def outcomes(draw: st.DrawFn) -> CaseOutcomes:
    return CaseOutcomes(draw(counts), draw(counts), draw(counts), draw(counts), draw(declared))


@st.composite
def reports(draw: st.DrawFn) -> AnnualReport:
    """Any report the form can hold (it need not pass ``check``)."""
    apps = Applications()
    for leaf in fmt.APPLICATIONS_TABLE.input_rows:
        apps = apps.with_row(leaf.key, draw(applicant_rows()))
    from attrs import evolve

    apps = evolve(apps, declared_total=draw(st.one_of(st.none(), applicant_rows())))
    fees = draw(st.one_of(st.none(), st.builds(InformationFees, counts, amounts, amounts)))
    return AnnualReport(
        agency=Agency(draw(names), draw(st.sampled_from(list(AgencyKind))), draw(st.one_of(st.none(), names))),
        report=ReportInfo(draw(st.integers(2000, 2100)), draw(dates), draw(st.one_of(st.none(), dates)), draw(texts)),
        overview=Overview(*(draw(texts) for _ in range(7))),
        proactive=ProactiveDisclosure(
            DocumentCounts(draw(counts), draw(counts), draw(counts)),
            DocumentCounts(draw(counts), draw(counts), draw(counts)),
            draw(counts),
            draw(counts),
            draw(counts),
            draw(amounts),
        ),
        applications=apps,
        review_litigation=ReviewLitigation(draw(outcomes()), draw(outcomes()), draw(outcomes())),
        problems=Problems(draw(texts)),
        other=OtherMatters(draw(texts), fees),
    )


assert len(OUTCOME_ROW_KEYS) == 21


# ---------------------------------------------------------------------------------------------------
# LibreOffice
# ---------------------------------------------------------------------------------------------------


def soffice() -> str:
    """The soffice executable; outside CI a missing LibreOffice skips, under CI=true it fails."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is required under CI=true but was not found")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def convert(data: bytes, suffix: str, target: str, *, timeout: int = 180) -> bytes:
    """Convert a document with headless LibreOffice (own profile, so parallel runs do not collide)."""
    exe = soffice()
    with tempfile.TemporaryDirectory(prefix="rk-lo-") as tmp:
        folder = Path(tmp)
        source = folder / f"in{suffix}"
        source.write_bytes(data)
        out = folder / "out"
        out.mkdir()
        profile = (folder / "profile").as_uri()
        subprocess.run(
            [
                exe,
                f"-env:UserInstallation={profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                target,
                "--outdir",
                str(out),
                str(source),
            ],
            check=True,
            timeout=timeout,
            capture_output=True,
        )
        produced = list(out.iterdir())
        assert produced, "LibreOffice produced no file"
        return produced[0].read_bytes()
