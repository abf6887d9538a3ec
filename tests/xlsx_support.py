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


# ---------------------------------------------------------------------------------------------------
# Editing a workbook's XML directly (what openpyxl cannot write: stale cached results, odd names)
# ---------------------------------------------------------------------------------------------------


def rezip(data: bytes, changes: dict[str, bytes | None]) -> bytes:
    """The package with members replaced (bytes), added, or deleted (None)."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in changes:
                content = changes[info.filename]
                if content is not None:
                    dst.writestr(info.filename, content)
                continue
            dst.writestr(info, src.read(info))
        names = set(src.namelist())
        for name, content in changes.items():
            if name not in names and content is not None:
                dst.writestr(name, content)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def sheet_member(data: bytes, sheet: str) -> str:
    """The package part of a sheet (through workbook.xml and its relationships)."""
    import re
    from xml.sax.saxutils import escape

    workbook = member(data, "xl/workbook.xml").decode()
    match = re.search(r'<sheet [^>]*name="' + re.escape(escape(sheet)) + r'"[^>]*r:id="([^"]+)"', workbook)
    assert match, sheet
    rels = member(data, "xl/_rels/workbook.xml.rels").decode()
    target = re.search(r'Target="([^"]+)" Id="' + match.group(1) + '"', rels) or re.search(
        r'Id="' + match.group(1) + r'"[^>]*Target="([^"]+)"', rels
    )
    assert target, match.group(1)
    return target.group(1).lstrip("/") if target.group(1).startswith("/") else "xl/" + target.group(1)


def patch_cell(data: bytes, sheet: str, ref: str, inner: str, kind: str | None = None) -> bytes:
    """The workbook with cell ``ref`` of ``sheet`` holding ``inner`` (``<f>2+3</f><v>4</v>``), keeping its style."""
    import re

    name = sheet_member(data, sheet)
    xml = member(data, name).decode()
    pattern = re.compile(r'<c r="' + ref + r'"([^>]*?)(?:/>|>.*?</c>)', re.DOTALL)
    match = pattern.search(xml)
    assert match, ref
    style = re.search(r'\bs="(\d+)"', match.group(1))
    attrs = f' r="{ref}"' + (f' s="{style.group(1)}"' if style else "") + (f' t="{kind}"' if kind else "")
    xml = xml[: match.start()] + f"<c{attrs}>{inner}</c>" + xml[match.end() :]
    return rezip(data, {name: xml.encode()})


def set_defined_names(data: bytes, names: dict[str, str | None], extra: tuple[str, ...] = ()) -> bytes:
    """The workbook with defined names pointed elsewhere (text), deleted (None), or added (raw XML)."""
    import re
    from xml.sax.saxutils import escape

    xml = member(data, "xl/workbook.xml").decode()
    for name, text in names.items():
        pattern = re.compile(r'<definedName name="' + re.escape(name) + r'">[^<]*</definedName>')
        assert pattern.search(xml), name
        replacement = "" if text is None else f'<definedName name="{name}">{escape(text)}</definedName>'
        xml = pattern.sub(replacement, xml)
    if extra:
        xml = xml.replace("</definedNames>", "".join(extra) + "</definedNames>")
    return rezip(data, {"xl/workbook.xml": xml.encode()})


def with_junk_rows(data: bytes, sheet: str, rows: int, first: int = 100) -> bytes:
    """The workbook with ``rows`` rows of junk (a number in column A) appended to a sheet from row ``first``."""
    name = sheet_member(data, sheet)
    xml = member(data, name)
    junk = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(first, first + rows)).encode()
    return rezip(data, {name: xml.replace(b"</sheetData>", junk + b"</sheetData>")})


# ---------------------------------------------------------------------------------------------------
# LibreOffice through UNO (a row really inserted into a protected sheet, and saved)
# ---------------------------------------------------------------------------------------------------

UNO_SCRIPT = Path(__file__).with_name("libreoffice_uno.py")


def uno_python() -> str:
    """A Python that can import LibreOffice's uno module (the system one); skips (fails under CI) otherwise."""
    soffice()
    for candidate in ("/usr/bin/python3", "/usr/lib/libreoffice/program/python", "python3"):
        exe = shutil.which(candidate) or candidate
        try:
            done = subprocess.run([exe, "-c", "import uno"], capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return exe
    if os.environ.get("CI") == "true":
        pytest.fail("LibreOffice's Python bridge (python3-uno) is required under CI=true but was not found")
    pytest.skip("LibreOffice's Python bridge (python3-uno) is not installed")


def libreoffice_edit(
    data: bytes, operations: list[dict[str, object]], *, timeout: int = 300
) -> tuple[bytes, list[dict[str, object]]]:
    """Open a workbook in headless LibreOffice, apply ``operations`` (see libreoffice_uno.py), save it as
    .xlsx; the saved bytes and what each operation did."""
    import json

    exe = uno_python()
    with tempfile.TemporaryDirectory(prefix="rk-uno-") as tmp:
        folder = Path(tmp)
        source = folder / "in.xlsx"
        source.write_bytes(data)
        target = folder / "out.xlsx"
        done = subprocess.run(
            [exe, str(UNO_SCRIPT), str(source), str(target), json.dumps(operations, ensure_ascii=False)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
        )
        assert done.returncode == 0, done.stdout + done.stderr
        results: list[dict[str, object]] = json.loads(done.stdout.strip().splitlines()[-1])
        return target.read_bytes(), results


def rows_inserted_above(data: bytes, shift: int, sheets: tuple[str, ...]) -> bytes:
    """The form as openpyxl saves it after inserting ``shift`` rows at the top of ``sheets``, the defined
    names moved as Excel moves them (openpyxl moves neither merges nor names; merges are undone first)."""
    import io
    import re

    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.load_workbook(io.BytesIO(data))
    for title in sheets:
        ws = wb[title]
        for merged in list(ws.merged_cells.ranges):
            ws.unmerge_cells(str(merged))
        ws.insert_rows(1, shift)
    for name, defined in list(wb.defined_names.items()):
        sheet, coord = next(iter(defined.destinations))
        if sheet in sheets:
            match = re.match(r"\$([A-Z]+)\$(\d+)", coord)
            assert match
            col, row = match.groups()
            wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!${col}${int(row) + shift}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
