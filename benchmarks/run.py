"""Speed and memory of reportkit, measured in one run on this machine, as ratios where they compare.

    python benchmarks/run.py            # the full run recorded in benchmarks/README.md
    python benchmarks/run.py --quick    # a handful of reports: checks that the script runs

It measures, on the same report and the same templates:

1. ``render_docx`` against plain docxtpl use (load the template, render the same context, save);
2. ``render_xlsx`` against plain openpyxl use (load the template, fill the same cells, save);
3. ``reportkit batch`` over generated reports (DOCX + XLSX) using every core: wall time, and the peak of
   the summed memory of the batch process and its workers, sampled from /proc;
4. ``reportkit check`` on one file as a whole process.

Targets (issue 5): render_docx ≤ 0.25× docxtpl, render_xlsx ≤ 0.5× openpyxl, 1,000 reports in under 60 s with
peak memory under 300 MB on 2 cores, ``reportkit check`` under 0.5 s. Targets are for reading, not asserted.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import attrs

import reportkit
from reportkit.model import ApplicantCounts

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "county" / "county-government-2022.toml"


def timed(func: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``repeat`` calls, in seconds (after one warm-up call)."""
    func()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def bench_docx(report: reportkit.AnnualReport, repeat: int) -> dict[str, float]:
    from docxtpl import DocxTemplate

    from reportkit.render.docx import build_context
    from reportkit.templates import find_template

    path = str(find_template("docx", report.format).path)
    context = build_context(report)

    def plain() -> bytes:
        template = DocxTemplate(path)
        template.render(context, autoescape=True)
        buffer = io.BytesIO()
        template.save(buffer)
        return buffer.getvalue()

    ours = timed(lambda: reportkit.render_docx(report), repeat)
    baseline = timed(plain, repeat)
    return {"render_docx_s": ours, "docxtpl_s": baseline, "ratio": ours / baseline}


def bench_xlsx(report: reportkit.AnnualReport, repeat: int) -> dict[str, float]:
    from openpyxl import load_workbook

    from reportkit.render import xlsx as render_xlsx_module
    from reportkit.templates import find_template

    path = str(find_template("xlsx-output", report.format).path)
    value_of = render_xlsx_module._values(report, None)
    prefix = render_xlsx_module.NAME_PREFIX

    def plain() -> bytes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(path)
        for name, defined in book.defined_names.items():
            if not name.startswith(prefix):
                continue
            for sheet, coordinate in defined.destinations:
                book[sheet][coordinate.replace("$", "")] = value_of(name[len(prefix) :])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    ours = timed(lambda: reportkit.render_xlsx(report), repeat)
    baseline = timed(plain, repeat)
    return {"render_xlsx_s": ours, "openpyxl_s": baseline, "ratio": ours / baseline}


def generate_reports(folder: Path, count: int) -> None:
    """``count`` distinct, valid reports: the example with its agency renamed and its figures shifted."""
    base = reportkit.load(EXAMPLE)
    apps = base.applications
    for index in range(count):
        extra = index % 7
        new = ApplicantCounts.of([apps.new.natural_person + extra, *apps.new.values()[1:]])
        disclosed = ApplicantCounts.of([apps.disclosed.natural_person + extra, *apps.disclosed.values()[1:]])
        report = attrs.evolve(
            base,
            agency=attrs.evolve(base.agency, name=f"{base.agency.name}（测试{index:04d}）"),
            applications=attrs.evolve(apps, new=new, disclosed=disclosed),
        )
        reportkit.dump(report, folder / f"agency-{index:04d}.toml")


def _group_rss(pgid: int) -> int:
    """The summed resident memory, in bytes, of every process in a process group (Linux /proc)."""
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                total += int(fields[21]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def bench_batch(count: int, jobs: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="reportkit-bench-"))
    try:
        inputs, outputs = work / "in", work / "out"
        inputs.mkdir()
        generate_reports(inputs, count)
        command = [sys.executable, "-m", "reportkit", "batch", str(inputs), "-o", str(outputs), "--jobs", str(jobs)]
        peak = 0
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _group_rss(process.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout, stderr = process.communicate()
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        if process.returncode != 0:
            raise SystemExit(f"batch failed ({process.returncode}):\n{stdout.decode()}\n{stderr.decode()}")
        written = len([p for p in outputs.iterdir() if p.suffix in (".docx", ".xlsx") and p.stem != "汇总"])
        return {"reports": count, "jobs": jobs, "seconds": elapsed, "files": written, "peak_mb": peak / 1024 / 1024}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_check(repeat: int) -> dict[str, float]:
    command = [sys.executable, "-m", "reportkit", "check", str(EXAMPLE)]

    def run() -> None:
        subprocess.run(command, check=True, capture_output=True)

    return {"seconds": timed(run, repeat)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a handful of reports: check that the script runs")
    parser.add_argument("--reports", type=int, default=1000, help="reports in the batch measurement")
    parser.add_argument("--repeat", type=int, default=30, help="renders timed per measurement")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.reports, args.repeat = 6, 3
    report = reportkit.load(EXAMPLE)
    results = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "docx": bench_docx(report, args.repeat),
        "xlsx": bench_xlsx(report, args.repeat),
        "batch": bench_batch(args.reports, args.jobs),
        "check": bench_check(max(3, args.repeat // 5)),
    }
    d, x, b, c = results["docx"], results["xlsx"], results["batch"], results["check"]
    print(
        f"render_docx   {d['render_docx_s'] * 1000:8.1f} ms   plain docxtpl  {d['docxtpl_s'] * 1000:8.1f} ms   "
        f"ratio {d['ratio']:.3f}  (target ≤ 0.25)"
    )
    print(
        f"render_xlsx   {x['render_xlsx_s'] * 1000:8.1f} ms   plain openpyxl {x['openpyxl_s'] * 1000:8.1f} ms   "
        f"ratio {x['ratio']:.3f}  (target ≤ 0.5)"
    )
    print(
        f"batch         {b['reports']} reports, {b['files']} files, {b['jobs']} jobs: {b['seconds']:.1f} s, "
        f"peak {b['peak_mb']:.0f} MB  (target < 60 s and < 300 MB for 1,000 on 2 cores)"
    )
    print(f"check         {c['seconds'] * 1000:.0f} ms as a process  (target < 500 ms)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
