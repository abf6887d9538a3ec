"""``batch --pdf``: one LibreOffice run converts a chunk of documents in each worker; a document that hangs
LibreOffice or kills it costs only itself (reported, the converter restarted for the rest), and the agency's
other files are put in place only with its PDF."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import attrs
import pytest

import reportkit
from reportkit.batch import STATUS_OK, STATUS_RENDER_FAILED, run_batch
from reportkit.converter import Converter
from reportkit.render.pdf import find_soffice

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "examples" / "county"

#: A stand-in for ``soffice --convert-to pdf --outdir DIR FILE…``: converts in order, logs each run, hangs on a
#: document of 挂起局 and kills itself on one of 崩溃局 (the agency name is in word/document.xml).
FAKE_SOFFICE = """#!{python}
import os, signal, sys, time, zipfile
args = sys.argv[1:]
outdir = args[args.index("--outdir") + 1]
files = args[args.index("--outdir") + 2:]
with open({log!r}, "a", encoding="utf-8") as log:
    log.write(" ".join(os.path.basename(f) for f in files) + "\\n")
for name in files:
    text = zipfile.ZipFile(name).read("word/document.xml").decode("utf-8")
    if "挂起局" in text:
        time.sleep(3600)
    if "崩溃局" in text:
        os.kill(os.getpid(), signal.SIGKILL)
    stem = os.path.splitext(os.path.basename(name))[0]
    agency = "财政" if "财政" in text else "其他"
    with open(os.path.join(outdir, stem + ".pdf"), "wb") as out:
        out.write(("%PDF-1.4\\n" + agency + "\\n%%EOF\\n").encode("utf-8"))
"""


def _agency(folder: Path, file: str, name: str) -> None:
    report = reportkit.load(COUNTY / "education-2022.toml")
    reportkit.dump(attrs.evolve(report, agency=attrs.evolve(report.agency, name=name)), folder / file)


@pytest.fixture
def fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "runs.log"
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    fake.write_text(FAKE_SOFFICE.format(python=sys.executable, log=str(log)), encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("REPORTKIT_SOFFICE", str(fake))
    return log


def test_a_hung_or_killed_converter_is_restarted_and_the_document_reported(tmp_path: Path, fake_soffice: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for number, name in enumerate(("甲局", "挂起局", "乙局", "崩溃局", "丙局", "丁局"), 1):
        _agency(folder, f"{number}.toml", f"隆德县{name}")
    (folder / "7.toml").write_bytes((COUNTY / "finance-2022.toml").read_bytes())
    out = tmp_path / "out"
    started = time.monotonic()
    results = run_batch(folder, out, kinds=("docx", "pdf"), jobs=1, timeout=2)
    assert time.monotonic() - started < 60
    by_agency = {r.agency.removeprefix("隆德县"): r for r in results}
    assert by_agency["挂起局"].status == STATUS_RENDER_FAILED
    assert "超过 2 秒" in by_agency["挂起局"].findings[-1]
    assert by_agency["崩溃局"].status == STATUS_RENDER_FAILED
    assert "意外退出" in by_agency["崩溃局"].findings[-1] and "SIGKILL" in by_agency["崩溃局"].findings[-1]
    for name in ("甲局", "乙局", "丙局", "丁局", "财政局"):
        result = by_agency[name]
        assert result.status == STATUS_OK, result
        assert [Path(p).suffix for p in result.outputs] == [".docx", ".pdf"]
        assert all(Path(p).is_file() for p in result.outputs)
    assert b"\xe8\xb4\xa2\xe6\x94\xbf" in Path(by_agency["财政局"].outputs[1]).read_bytes()  # its own PDF
    # Nothing half-made of the failed agencies: not even their Word file; no temporaries left.
    written = [p for p in out.iterdir() if p.suffix in (".docx", ".pdf")]
    assert len(written) == 10 and not any("挂起" in p.name or "崩溃" in p.name for p in written)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    # One run for the chunk, then a fresh LibreOffice after the hang and after the crash: three in all.
    runs = fake_soffice.read_text(encoding="utf-8").splitlines()
    assert [len(run.split()) for run in runs] == [7, 5, 3]


def test_the_converter_keeps_the_per_document_limit_not_a_chunk_limit(tmp_path: Path, fake_soffice: Path) -> None:
    """Five documents that each take most of the limit pass: the limit restarts with each finished document."""
    slow = tmp_path / "slow-soffice"
    slow.write_text(
        FAKE_SOFFICE.format(python=sys.executable, log=str(fake_soffice)).replace(
            "text = zipfile", "time.sleep(0.6); text = zipfile"
        ),
        encoding="utf-8",
    )
    slow.chmod(0o755)
    folder = tmp_path / "docs"
    folder.mkdir()
    word = reportkit.render_docx(reportkit.load(COUNTY / "finance-2022.toml"))
    sources = []
    for number in range(5):
        path = folder / f"{number}.docx"
        path.write_bytes(word)
        sources.append(path)
    converter = Converter(str(slow), timeout=1.5)
    try:
        pdfs = converter.convert(sources)
    finally:
        converter.close()
    assert all(isinstance(pdf, bytes) and pdf.startswith(b"%PDF") for pdf in pdfs), pdfs
    assert converter.runs == 1


def test_a_missing_libreoffice_is_each_agency_s_failure_saying_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTKIT_SOFFICE", str(tmp_path / "nowhere" / "soffice"))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "finance.toml").write_bytes((COUNTY / "finance-2022.toml").read_bytes())
    (result,) = run_batch(folder, tmp_path / "out", kinds=("docx", "pdf"), jobs=1)
    assert result.status == STATUS_RENDER_FAILED and "LibreOffice" in result.findings[-1]
    assert not [p for p in (tmp_path / "out").iterdir()]


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed")
def test_batch_pdf_with_libreoffice_gives_the_same_text_as_one_conversion(tmp_path: Path) -> None:
    import pdfplumber

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("finance", "education", "natural-resources"):
        (folder / f"{name}.toml").write_bytes((COUNTY / f"{name}-2022.toml").read_bytes())
    results = run_batch(folder, tmp_path / "out", kinds=("pdf",), jobs=2)
    assert [r.status for r in results] == [STATUS_OK] * 3
    finance = next(r for r in results if "finance" in r.source)
    alone = tmp_path / "alone.pdf"
    alone.write_bytes(reportkit.render_pdf(reportkit.load(folder / "finance.toml")))
    with pdfplumber.open(finance.outputs[0]) as batch_pdf, pdfplumber.open(alone) as one_pdf:
        assert [p.extract_text() for p in batch_pdf.pages] == [p.extract_text() for p in one_pdf.pages]
    assert not [name for name in os.listdir(tmp_path / "out") if name.startswith(".")]
