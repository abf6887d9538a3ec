"""Reading published reports back: accuracy against known truth, and the speed of ``reportkit audit``.

Every input is generated from reportkit itself, so the truth of every official cell is known:

- ``html``: :func:`reportkit.render_html` pages; ``docx``: :func:`reportkit.render_docx` with the shipped
  template; ``docx-restyled``: the same with every font, size and table style changed in the XML;
- ``pdf``: the Word files through LibreOffice (``soffice --convert-to pdf``), table 三 running over a page
  break; ``lo-html``: the Word files through LibreOffice to HTML;
- ``portal``: hand-written portal-style HTML as Word pastes it (``MsoNormal`` paragraphs, ``<span>``
  runs, ``&nbsp;``, ``rowspan``/``colspan``), with some cells blank (``&nbsp;``) or "/";
- ``traditional``: the HTML pages with every label character in its traditional form;
- ``text``: a text dump (label then the numbers, one row a line); ``text-loss``: the same with 10 % of
  its characters dropped at random (digits too); ``text-glued``: separators between numbers removed;
- ``hybrid``: a 2021 report whose （六）其他处理 is printed as one row (the 2019 layout);
- ``misprint``: portal pages with two row labels misprinted by one character.
  (The 2019 table 二 layout is not generated: ``formats/gov2019.py`` does not exist yet.)

Measured: the share of cells right (value as printed; blank and "/" read as such), wrong cells at high
confidence (the target is none), the share of rows mapped on the 10 %-loss dumps (with every cell not
found listed in ``missing``), and the wall time of ``reportkit audit FOLDER --jobs N -o OUT`` over a
mixed folder.

    PYTHONPATH=$PWD/src python benchmarks/audit.py                   # 1,000 reports, --jobs 2
    PYTHONPATH=$PWD/src python benchmarks/audit.py --reports 200 --jobs 1 --accuracy 30
"""

from __future__ import annotations

import argparse
import html as html_lib
import io
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inputs import variants

from reportkit.formats import get_format
from reportkit.formats.layout import label_path
from reportkit.model import AnnualReport
from reportkit.published import Confidence, Semantics, read_published
from reportkit.published.mapping import official_values
from reportkit.published.normalize import _TRADITIONAL
from reportkit.render.docx import render_docx
from reportkit.render.html import render_html

LAYOUT = get_format("gov-info-annual-report/2021")
TABLE3 = LAYOUT.applications_table
_SIMPLIFIED_TO_TRADITIONAL = {simple: traditional for traditional, simple in _TRADITIONAL.items()}

Truth = dict[str, Any]  # key -> int | Decimal | Semantics (for a blank or "/")


# ---------------------------------------------------------------------------------------------------
# Generators: (bytes, file name, truth)
# ---------------------------------------------------------------------------------------------------


def _rows(report: AnnualReport) -> list[tuple[str, tuple[str, ...], list[tuple[str, Any]]]]:
    """Every official row: (table key, label path, [(cell key, value)])."""
    truth = official_values(report, LAYOUT)
    rows: list[tuple[str, tuple[str, ...], list[tuple[str, Any]]]] = []
    for block in LAYOUT.proactive_blocks:
        for leaf in block.rows:
            keys = [f"proactive.{block.cell_key(leaf, c)}" for c in block.columns]
            rows.append(("proactive", (block.title, leaf.label), [(k, truth[k]) for k in keys]))
    for leaf in TABLE3.row_leaves:
        keys = [f"applications.{leaf.key}.{c.key}" for c in TABLE3.column_leaves]
        rows.append(("applications", label_path(TABLE3.rows, leaf.key), [(k, truth[k]) for k in keys]))
    table4 = LAYOUT.review_litigation_table
    keys = [f"review_litigation.{leaf.key}" for leaf in table4.column_leaves]
    rows.append(("review_litigation", (), [(k, truth[k]) for k in keys]))
    return rows


def html_page(report: AnnualReport) -> tuple[bytes, Truth]:
    return render_html(report, draft=True).encode(), dict(official_values(report, LAYOUT))


def docx_file(report: AnnualReport) -> tuple[bytes, Truth]:
    return render_docx(report, draft=True), dict(official_values(report, LAYOUT))


def restyled(data: bytes) -> bytes:
    """The Word file with its look changed: fonts, sizes, table borders and shading."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename in ("word/document.xml", "word/styles.xml"):
                text = content.decode("utf-8")
                text = re.sub(r'w:eastAsia="[^"]*"', 'w:eastAsia="楷体"', text)
                text = re.sub(r'<w:sz w:val="\d+"/>', '<w:sz w:val="24"/>', text)
                text = text.replace("<w:tcPr>", '<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="EEEEEE"/>')
                content = text.encode("utf-8")
            target.writestr(item, content)
    return buffer.getvalue()


def _td(text: str, rowspan: int = 1, colspan: int = 1) -> str:
    spans = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    inner = "&nbsp;" if text == "" else html_lib.escape(text)
    return (
        f'<td{spans} valign="top" style="border:solid windowtext 1.0pt;padding:0cm 5.4pt">'
        f'<p class="MsoNormal" align="center"><span style="font-family:仿宋_GB2312">{inner}</span></p></td>'
    )


def portal_page(
    report: AnnualReport,
    rng: random.Random,
    *,
    blanks: float = 0.04,
    misprints: int = 0,
    group_row: str = "",
) -> tuple[bytes, Truth]:
    """Word-pasted portal HTML; some cells blank or "/"; ``group_row`` prints that group of table 三 as one
    row (the 2019 layout), its value the sum of its items."""
    truth: Truth = {}
    parts = [
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
        f"<title>{report.title}</title></head><body><div class=Section1>",
        f'<p class="MsoNormal" align="center"><b><span>{report.title}</span></b></p>',
    ]

    def value_cell(key: str, value: Any) -> str:
        roll = rng.random()
        if roll < blanks / 2:
            truth[key] = Semantics.EMPTY
            return _td("")
        if roll < blanks:
            truth[key] = Semantics.NOT_APPLICABLE
            return _td("/")
        truth[key] = value
        return _td(str(value))

    rows = _rows(report)
    misprinted = set(rng.sample(range(6, 6 + len(TABLE3.row_leaves) - 1), misprints)) if misprints else set()
    # table 二
    parts.append(f"<p class=MsoNormal><b>{LAYOUT.proactive.heading}</b></p><table class=MsoNormalTable>")
    index = 0
    for block in LAYOUT.proactive_blocks:
        width = len(block.columns)
        parts.append(f"<tr>{_td(block.title, colspan=4)}</tr>")
        headers = "".join(_td(c.label, colspan=3 if width == 1 else 1) for c in block.columns)
        parts.append(f"<tr>{_td(block.content_header)}{headers}</tr>")
        for leaf in block.rows:
            _, _, cells = rows[index]
            index += 1
            values = "".join(
                value_cell(k, v) if width > 1 else value_cell(k, v).replace("<td", '<td colspan="3"', 1)
                for k, v in cells
            )
            parts.append(f"<tr>{_td(leaf.label)}{values}</tr>")
    parts.append("</table>")
    # table 三
    parts.append(f"<p class=MsoNormal><b>{LAYOUT.applications.heading}</b></p><table class=MsoNormalTable>")
    head = "".join(_td("".join(label_path(TABLE3.columns, c.key)[1:])) for c in TABLE3.column_leaves)
    parts.append(f"<tr>{_td(LAYOUT.balance_note, colspan=2)}{head}</tr>")
    seen_group = False
    for number, leaf in enumerate(TABLE3.row_leaves):
        _, path, cells = rows[index + number]
        group = "".join(path[:-1])
        label = path[-1]
        if group_row and group_row in path:
            if seen_group:
                continue
            seen_group = True
            items = [r for r in rows if r[0] == "applications" and group_row in r[1]]
            sums = [sum(r[2][i][1] for r in items) for i in range(len(cells))]
            gkey = leaf.key.rsplit(".", 1)[0]
            keys = [f"applications.{gkey}.{c.key}" for c in TABLE3.column_leaves]
            values = "".join(value_cell(k, v) for k, v in zip(keys, sums, strict=True))
            parts.append(f"<tr>{_td(''.join(path[:-2]))}{_td(group_row)}{values}</tr>")
            continue
        if number in misprinted and len(label) > 4:
            position = rng.randrange(2, len(label))
            label = label[:position] + "的" + label[position + 1 :]
        values = "".join(value_cell(k, v) for k, v in cells)
        parts.append(f"<tr>{_td(group)}{_td(label)}{values}</tr>")
    parts.append("</table>")
    # table 四
    table4 = LAYOUT.review_litigation_table
    parts.append(f"<p class=MsoNormal><b>{LAYOUT.review_litigation.heading}</b></p><table class=MsoNormalTable>")
    paths = [label_path(table4.columns, c.key) for c in table4.column_leaves]
    parts.append("<tr>" + "".join(_td("".join(p[:-1])) for p in paths) + "</tr>")
    parts.append("<tr>" + "".join(_td(p[-1]) for p in paths) + "</tr>")
    _, _, cells = rows[-1]
    parts.append("<tr>" + "".join(value_cell(k, v) for k, v in cells) + "</tr>")
    parts.append("</table></div></body></html>")
    return "\n".join(parts).encode("utf-8"), truth


def traditional(data: bytes) -> bytes:
    return "".join(_SIMPLIFIED_TO_TRADITIONAL.get(ch, ch) for ch in data.decode("utf-8")).encode("utf-8")


def text_dump(report: AnnualReport, *, glued: bool = False) -> tuple[str, Truth]:
    lines = [report.title, LAYOUT.proactive.heading]
    for table, path, cells in _rows(report):
        if table == "applications" and path == label_path(TABLE3.rows, TABLE3.row_leaves[0].key):
            lines.append(LAYOUT.applications.heading)
        if table == "review_litigation":
            lines.append(LAYOUT.review_litigation.heading)
            lines.append(
                " ".join(
                    "".join(p)
                    for p in (
                        label_path(LAYOUT.review_litigation_table.columns, c.key)
                        for c in LAYOUT.review_litigation_table.column_leaves
                    )
                )
            )
        separator = "" if glued else " "
        label = path[-1] if path else ""
        lines.append(f"{label} {separator.join(str(v) for _, v in cells)}".strip())
    return "\n".join(lines), dict(official_values(report, LAYOUT))


def lossy(text: str, rng: random.Random, rate: float = 0.10) -> str:
    return "".join(ch for ch in text if ch == "\n" or rng.random() >= rate)


# ---------------------------------------------------------------------------------------------------
# LibreOffice
# ---------------------------------------------------------------------------------------------------


def libreoffice(files: list[Path], target: str, outdir: Path) -> list[Path]:
    """Convert ``files`` with one soffice run (its own profile, so it never meets a running instance)."""
    soffice = shutil.which("soffice")
    if soffice is None or not files:
        return []
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(outdir),
                *map(str, files),
            ],
            check=False,
            capture_output=True,
            timeout=600,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    suffix = "." + target.split(":")[0]
    return [outdir / (f.stem + suffix) for f in files if (outdir / (f.stem + suffix)).exists()]


# ---------------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------------


def _right(cell: Any, expected: Any) -> bool:
    if cell is None:
        return False
    if isinstance(expected, Semantics):
        return cell.semantics is expected and cell.value is None
    if isinstance(expected, Decimal) or isinstance(cell.value, Decimal):
        return cell.value is not None and Decimal(cell.value) == Decimal(expected)
    return bool(cell.value == expected)


def _row_of(key: str) -> str:
    return key.rsplit(".", 1)[0] if key.startswith("applications.") else key.split(".")[0] + "." + key.split(".")[1]


def score(kind: str, data: bytes, name: str, truth: Truth, stats: dict[str, Counter[str]]) -> None:
    extraction = read_published(data, name=name)
    counter = stats.setdefault(kind, Counter())
    counter["documents"] += 1
    rows_expected: set[str] = set()
    rows_found: set[str] = set()
    for key, expected in truth.items():
        cell = extraction.cells.get(key)
        counter["cells"] += 1
        rows_expected.add(_row_of(key))
        if cell is not None:
            rows_found.add(_row_of(key))
        if _right(cell, expected):
            counter["right"] += 1
        elif cell is not None and cell.confidence is Confidence.HIGH:
            counter["wrong_high"] += 1
        if cell is not None and cell.confidence is Confidence.HIGH:
            counter["high"] += 1
        if cell is None:
            counter["not_found"] += 1
            if key in extraction.missing:
                counter["not_found_listed"] += 1
    counter["rows"] += len(rows_expected)
    counter["rows_mapped"] += len(rows_found & rows_expected)
    counter["unmapped_listed"] += len(extraction.unmapped)
    if kind == "pdf":
        pages = {c.where.page for k, c in extraction.cells.items() if k.startswith("applications.")}
        counter["table3_over_pages"] += len(pages) > 1
    if kind == "hybrid" and extraction.variants.get("applications") == "2019-row":
        counter["variant_detected"] += 1


def accuracy(count: int, seed: int, *, office: bool = True) -> dict[str, Counter[str]]:
    rng = random.Random(seed)
    reports = variants(count, seed=seed)
    stats: dict[str, Counter[str]] = {}
    work = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    try:
        docx_paths: list[Path] = []
        docx_truth: dict[str, Truth] = {}
        for i, report in enumerate(reports):
            data, truth = html_page(report)
            score("html", data, f"r{i}.html", truth, stats)
            score("traditional", traditional(data), f"r{i}.html", truth, stats)
            data, truth = docx_file(report)
            score("docx", data, f"r{i}.docx", truth, stats)
            score("docx-restyled", restyled(data), f"r{i}.docx", truth, stats)
            if i < max(4, count // 5):
                path = work / f"r{i}.docx"
                path.write_bytes(data)
                docx_paths.append(path)
                docx_truth[path.stem] = truth
            data, truth = portal_page(report, rng)
            score("portal", data, f"r{i}.html", truth, stats)
            data, truth = portal_page(report, rng, blanks=0.0, misprints=2)
            score("misprint", data, f"r{i}.html", truth, stats)
            group = TABLE3.rows[2].children[5].label  # type: ignore[union-attr]
            data, truth = portal_page(report, rng, blanks=0.0, group_row=group)
            score("hybrid", data, f"r{i}.html", truth, stats)
            text, truth = text_dump(report)
            score("text", text.encode(), f"r{i}.txt", truth, stats)
            score("text-loss", lossy(text, rng).encode(), f"r{i}.txt", truth, stats)
            glued, truth = text_dump(report, glued=True)
            score("text-glued", glued.encode(), f"r{i}.txt", truth, stats)
        if not office:
            docx_paths = []
        for path in libreoffice(docx_paths, "pdf", work):
            score("pdf", path.read_bytes(), path.name, docx_truth[path.stem], stats)
        for path in libreoffice(docx_paths, "html:HTML (StarWriter)", work):
            score("lo-html", path.read_bytes(), path.name, docx_truth[path.stem], stats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return stats


# ---------------------------------------------------------------------------------------------------
# Speed
# ---------------------------------------------------------------------------------------------------


def mixed_folder(folder: Path, count: int, seed: int) -> Counter[str]:
    """``count`` reports: HTML pages, Word files, portal pages, text dumps and a few PDFs (copies)."""
    rng = random.Random(seed)
    reports = variants(min(count, 200), seed=seed)
    kinds: Counter[str] = Counter()
    makers: list[tuple[str, str, Callable[[AnnualReport], bytes]]] = [
        ("html", ".html", lambda r: html_page(r)[0]),
        ("docx", ".docx", lambda r: docx_file(r)[0]),
        ("portal", ".html", lambda r: portal_page(r, rng)[0]),
        ("text", ".txt", lambda r: lossy(text_dump(r)[0], rng).encode()),
    ]
    weights = [0.35, 0.3, 0.2, 0.15]
    pdf_source: Path | None = None
    for i in range(count):
        kind, suffix, make = rng.choices(makers, weights)[0]
        (folder / f"{i:05d}{suffix}").write_bytes(make(reports[i % len(reports)]))
        kinds[kind] += 1
        if i == 0 and suffix == ".docx":
            pdf_source = folder / f"{i:05d}{suffix}"
    if pdf_source is None:
        pdf_source = folder / "pdf-source.docx"
        pdf_source.write_bytes(docx_file(reports[0])[0])
        kinds["docx"] += 1
    scratch = Path(tempfile.mkdtemp(prefix="audit-pdf-"))
    try:
        pdfs = libreoffice([pdf_source], "pdf", scratch)
        for n in range(max(1, count // 100)) if pdfs else ():
            (folder / f"pdf{n:03d}.pdf").write_bytes(pdfs[0].read_bytes())
            kinds["pdf"] += 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return kinds


def speed(count: int, jobs: int, seed: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="audit-speed-"))
    try:
        folder = work / "in"
        folder.mkdir()
        kinds = mixed_folder(folder, count, seed)
        files = sum(kinds.values())
        env = dict(os.environ)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "reportkit", "audit", str(folder), "--jobs", str(jobs), "-o", str(work / "out")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        written = len(list((work / "out").glob("*.audit.json"))) if (work / "out").exists() else 0
        return {
            "reports": files,
            "kinds": dict(kinds),
            "jobs": jobs,
            "wall_seconds": round(wall, 1),
            "per_report_ms": round(1000 * wall / max(files, 1), 1),
            "exit": done.returncode,
            "cpu_seconds": round(cpu, 1),
            "cpu_per_report_ms": round(1000 * cpu / max(files, 1), 1),
            # what the folder would take on ``jobs`` idle cores: the CPU it needed, shared by the workers
            "idle_estimate_seconds": round(cpu / max(jobs, 1), 1),
            "json_written": written,
            "load_average": os.getloadavg(),
            "stderr": done.stderr[-500:],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------


def _table(stats: dict[str, Counter[str]]) -> str:
    lines = [
        "| input | documents | cells right | wrong at high confidence | rows mapped | cells not found (in missing) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, c in stats.items():
        right = 100 * c["right"] / max(c["cells"], 1)
        rows = 100 * c["rows_mapped"] / max(c["rows"], 1)
        lines.append(
            f"| {kind} | {c['documents']} | {right:.2f} % | {c['wrong_high']} | {rows:.2f} % | "
            f"{c['not_found']} ({c['not_found_listed']}) |"
        )
    return "\n".join(lines)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accuracy", type=int, default=40, help="reports per input kind for accuracy (default 40)")
    parser.add_argument("--reports", type=int, default=1000, help="reports in the speed folder (0: skip)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", default="", help="write the figures to this file")
    parser.add_argument("--no-libreoffice", action="store_true", help="leave out the PDF and LibreOffice HTML inputs")
    args = parser.parse_args(list(argv) if argv is not None else None)
    figures: dict[str, Any] = {}
    if args.accuracy:
        start = time.perf_counter()
        stats = accuracy(args.accuracy, args.seed, office=not args.no_libreoffice)
        figures["accuracy"] = {k: dict(v) for k, v in stats.items()}
        print(_table(stats))
        wrong = sum(c["wrong_high"] for c in stats.values())
        print(f"\nwrong cells at high confidence, whole set: {wrong}  ({time.perf_counter() - start:.0f} s)")
        for kind in ("pdf",):
            if kind in stats:
                print(
                    f"pdf: table 三 over two pages in {stats[kind]['table3_over_pages']} of {stats[kind]['documents']}"
                )
        if "hybrid" in stats:
            print(
                f"hybrid: 2019 row detected in {stats['hybrid']['variant_detected']} of {stats['hybrid']['documents']}"
            )
    if args.reports:
        result = speed(args.reports, args.jobs, args.seed)
        figures["speed"] = result
        print(
            f"\naudit of {result['reports']} mixed reports {result['kinds']} with --jobs {result['jobs']}: "
            f"{result['wall_seconds']} s ({result['per_report_ms']} ms per report), exit {result['exit']}, "
            f"{result['json_written']} JSON written, load {result['load_average']}; "
            f"CPU {result['cpu_seconds']} s ({result['cpu_per_report_ms']} ms per report), "
            f"on {result['jobs']} idle cores about {result['idle_estimate_seconds']} s"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
