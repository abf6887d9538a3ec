"""Speed and memory of reportkit against fair baselines and the floor, measured in one run.

    python benchmarks/run.py                         # everything, a few minutes
    python benchmarks/run.py --quick                 # a smoke run of about 20 s (a test runs it)
    python benchmarks/run.py --only render_docx,check
    python benchmarks/run.py --large                 # the batch at 1,000 and 10,000 agencies

Groups (``--only``):

- ``render_docx``, ``render_xlsx``: in process, reportkit against python-docx, docxtpl, openpyxl and
  xlsxwriter doing the same job, and against the floor (deflating only the parts that differ between two
  reports). Contenders take turns within each round, in a rotated order, on a different report each round;
  ratios are taken within a round. Every output is opened and compared with reportkit's (text, numbers).
- ``check``: ``reportkit.check`` per report, with and without last year's report, and ``loads``.
- ``cold``: the first render in a fresh process, and ``reportkit check FILE`` / ``reportkit render FILE``
  as processes, against ``python -c "import docxtpl, openpyxl, attrs, cattrs"``.
- ``batch``: ``reportkit batch --previous`` over a generated county (most reports good, some with errors,
  some filled Excel forms): wall time, CPU of the batch and its workers, peak memory of the parent and of
  the whole process tree.
- ``pdf``: ``reportkit batch --pdf`` against one ``soffice --convert-to pdf`` converting the same Word files
  (skipped without LibreOffice).

The figures go to the terminal and to ``benchmarks/results.json`` (``--json`` to choose). Targets are for
reading, never asserted; a contender whose output differs from reportkit's makes the run exit 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import inprocess  # noqa: E402
import inputs  # noqa: E402
import processes  # noqa: E402

GROUPS = ("render_docx", "render_xlsx", "check", "cold", "batch", "pdf")

#: The targets of issue 13, printed beside the figures.
TARGETS = {
    "render_docx": "≤ 6× the floor (stretch 3×)",
    "render_xlsx": "≤ 6× the floor (stretch 3×)",
    "check": "< 1 ms per report",
    "cold": "reportkit check FILE ≤ 1.5× importing its dependencies",
    "batch": "≤ 10 ms CPU per report (children included); parent memory flat (20,000 agencies < 300 MB summed)",
    "pdf": "≤ 1.5× one LibreOffice converting the same DOCX files",
}


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for package in ("docxtpl", "python-docx", "openpyxl", "xlsxwriter", "lxml", "jinja2"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    try:
        commit = subprocess.run(
            ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "commit": commit,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# ---------------------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------------------


def _unit(seconds: float) -> tuple[float, str]:
    if seconds < 1e-3:
        return 1e6, "µs"
    if seconds < 1:
        return 1e3, "ms"
    return 1, "s"


def duration(seconds: float) -> str:
    scale, unit = _unit(seconds)
    return f"{number(seconds * scale)} {unit}"


def number(value: float) -> str:
    """Three significant digits, never in exponent form."""
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def with_spread(figures: dict[str, float]) -> str:
    """``20.3 ms [16.5–25.8]``: the median and the quartiles, in the median's unit."""
    scale, unit = _unit(figures["median"])
    median, q1, q3 = (number(figures[key] * scale) for key in ("median", "q1", "q3"))
    return f"{median} {unit} [{q1}–{q3}]"


def ratio(figures: dict[str, float]) -> str:
    return f"{number(figures['median'])}× [{number(figures['q1'])}–{number(figures['q3'])}]"


def print_inprocess(title: str, group: dict[str, Any]) -> None:
    rows = []
    for name, entry in group["contenders"].items():
        first = entry.get("first_call", {}).get("wall_s")
        rows.append(
            [
                name + ("" if entry.get("valid", True) else "  INVALID"),
                with_spread(entry["wall_s"]),
                duration(entry["cpu_s"]["median"]),
                ratio(entry["vs_reportkit"]["wall"]) if "vs_reportkit" in entry else "",
                ratio(entry["vs_floor"]["wall"]) if "vs_floor" in entry else "",
                duration(first) if first is not None else "",
            ]
        )
    head = ["contender", "wall: median [IQR]", "CPU", "÷ reportkit", "× floor", "1st call"]
    print(f"\n{title}   (target: {TARGETS.get(title, '')})")
    table(head, rows)
    for name, reason in group.get("skipped", {}).items():
        print(f"  {name}: skipped, {reason}")
    for name, entry in group["contenders"].items():
        for problem in entry.get("problems", [])[:3]:
            print(f"  {name}: {problem}")


def print_check(group: dict[str, Any]) -> None:
    rows = [
        [
            name,
            with_spread(entry["wall_s"]),
            duration(entry["cpu_s"]["median"]),
            duration(entry["first_call"]["wall_s"]),
        ]
        for name, entry in group["contenders"].items()
    ]
    print(f"\ncheck, in process   (target: {TARGETS['check']})")
    table(["call", "wall: median [IQR]", "CPU", "1st call"], rows)


def table(head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        print("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def print_cold(group: dict[str, Any]) -> None:
    rows = []
    for name, entry in group["contenders"].items():
        rows.append(
            [
                name,
                with_spread(entry["wall_s"]),
                duration(entry["cpu_s"]["median"]),
                duration(entry["to_first_output_s"]["median"]) if "to_first_output_s" in entry else "",
                duration(entry["second_render_s"]["median"]) if "second_render_s" in entry else "",
                ratio(entry["vs_import_deps"]) if "vs_import_deps" in entry else "",
            ]
        )
    print(f"\ncold   ({group['runs']} runs each, interleaved; target: {TARGETS['cold']})")
    table(["process", "wall: median [IQR]", "CPU", "to 1st output", "2nd render", "÷ import deps"], rows)


def print_batch(group: dict[str, Any]) -> None:
    rows = []
    for size, entry in group.items():
        rows.append(
            [
                size,
                f"{entry['good']}/{entry['with_errors']}/{entry['forms']}/{entry['unreadable']}",
                duration(entry["wall_s"]),
                duration(entry["cpu_s"]),
                duration(entry["parent_cpu_s"]),
                f"{entry['cpu_ms_per_report']:.3g} ms",
                f"{entry['parent_peak_rss_mb']:.0f} MB",
                f"{entry['peak_rss_sum_mb']:.0f} MB",
                f"{entry['peak_pss_sum_mb']:.0f} MB",
                f"{entry['files']}" + ("" if entry["valid"] else f" (expected {entry['files_expected']})  INVALID"),
            ]
        )
    print(f"\nbatch --previous, DOCX + XLSX   (target: {TARGETS['batch']})")
    head = ["agencies", "good/errors/forms/unreadable", "wall", "CPU (all)", "parent CPU", "CPU/report", "parent peak",
            "tree RSS sum", "tree PSS sum", "files"]  # fmt: skip
    table(head, rows)
    aggregate_rows = aggregate_table(group)
    if aggregate_rows:
        print("\naggregate of the same folder (median of 2 runs each, alternating)")
        table(["agencies", "workers", "wall", "CPU", "same workbook"], aggregate_rows)


def aggregate_table(group: dict[str, Any]) -> list[list[str]]:
    rows = []
    for size, entry in group.items():
        found = entry.get("aggregate")
        if not found:
            continue
        for name, figures in found["runs"].items():
            same = "yes" if found["same_workbook"] else "NO"
            rows.append([size, name, duration(figures["wall_s"]), duration(figures["cpu_s"]), same])
    return rows


def print_pdf(group: dict[str, Any]) -> None:
    print(f"\npdf   (target: {TARGETS['pdf']})")
    if "skipped" in group:
        print(f"  skipped: {group['skipped']}")
        return
    rows = []
    for name, entry in group["contenders"].items():
        rows.append(
            [
                name,
                with_spread(entry["wall_s"]),
                duration(entry["cpu_s"]["median"]),
                ratio(entry["vs_one_soffice"]) if "vs_one_soffice" in entry else "",
            ]
        )
    print(f"  {group['agencies']} agencies, --jobs {group['jobs']}, {group['runs']} run(s) each")
    table(["process", "wall: median [IQR]", "CPU", "÷ one soffice"], rows)


# ---------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------


def invalid(results: dict[str, Any]) -> list[str]:
    found = []
    for group in ("render_docx", "render_xlsx"):
        for name, entry in results.get(group, {}).get("contenders", {}).items():
            if not entry.get("valid", True):
                found.append(f"{group}: {name}")
    for size, entry in results.get("batch", {}).items():
        if not entry["valid"]:
            found.append(f"batch {size}")
    return found


def markdown(results: dict[str, Any]) -> str:
    """The figures of a run as Markdown tables (for benchmarks/README.md)."""
    lines: list[str] = []
    m = results["machine"]
    lines.append(
        f"Machine: {m['cpu_model']}, {m['cores']} cores; Python {m['python']}; "
        + ", ".join(f"{name} {version}" for name, version in m["packages"].items() if version)
        + f". Commit {m['commit']}, {m['date']}. Command: `{results['command']}`."
    )
    loads = results.get("load_average", {})
    if loads:
        lines.append(
            "Load average (1 min) before → after each group: "
            + "; ".join(f"{group} {v['before'][0]:.2f} → {v['after'][0]:.2f}" for group, v in loads.items())
            + "."
        )
    for group in ("render_docx", "render_xlsx"):
        if group not in results:
            continue
        lines += ["", f"**{group}** (target {TARGETS[group]})", ""]
        lines += [
            "| contender | wall, median [IQR] | CPU | ÷ reportkit | × floor | 1st call |",
            "|---|---|---|---|---|---|",
        ]
        for name, e in results[group]["contenders"].items():
            cells = [
                name + ("" if e.get("valid", True) else " (INVALID)"),
                with_spread(e["wall_s"]),
                duration(e["cpu_s"]["median"]),
                ratio(e["vs_reportkit"]["wall"]) if "vs_reportkit" in e else "",
                ratio(e["vs_floor"]["wall"]) if "vs_floor" in e else "",
                duration(e["first_call"]["wall_s"]),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    if "check" in results:
        lines += ["", f"**check**, in process (target {TARGETS['check']})", ""]
        lines += ["| call | wall, median [IQR] | CPU |", "|---|---|---|"]
        for name, e in results["check"]["contenders"].items():
            lines.append(f"| {name} | {with_spread(e['wall_s'])} | {duration(e['cpu_s']['median'])} |")
    if "cold" in results:
        lines += ["", f"**cold** ({results['cold']['runs']} fresh processes each; target {TARGETS['cold']})", ""]
        lines += ["| process | wall, median [IQR] | CPU | to 1st output | 2nd render | ÷ import deps |"]
        lines += ["|---|---|---|---|---|---|"]
        for name, e in results["cold"]["contenders"].items():
            cells = [
                name,
                with_spread(e["wall_s"]),
                duration(e["cpu_s"]["median"]),
                duration(e["to_first_output_s"]["median"]) if "to_first_output_s" in e else "",
                duration(e["second_render_s"]["median"]) if "second_render_s" in e else "",
                ratio(e["vs_import_deps"]) if "vs_import_deps" in e else "",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    if "batch" in results:
        lines += ["", f"**batch --previous**, DOCX + XLSX (target {TARGETS['batch']})", ""]
        head = "agencies | good / errors / forms / unreadable | wall | CPU, all | CPU, parent | CPU per report"
        lines += [f"| {head} | parent peak RSS | tree RSS sum | tree PSS sum |", "|---" * 9 + "|"]
        for size, e in results["batch"].items():
            lines.append(
                f"| {size} | {e['good']} / {e['with_errors']} / {e['forms']} / {e['unreadable']} | "
                f"{duration(e['wall_s'])} | {duration(e['cpu_s'])} | {duration(e['parent_cpu_s'])} | "
                f"{e['cpu_ms_per_report']:.3g} ms | {e['parent_peak_rss_mb']:.0f} MB | {e['peak_rss_sum_mb']:.0f} MB | "
                f"{e['peak_pss_sum_mb']:.0f} MB |"
            )
        aggregate_rows = aggregate_table(results["batch"])
        if aggregate_rows:
            lines += ["", "**aggregate** of the same folder (median of 2 runs each, alternating)", ""]
            lines += ["| agencies | workers | wall | CPU | same workbook |", "|---|---|---|---|---|"]
            lines += ["| " + " | ".join(row) + " |" for row in aggregate_rows]
    if "pdf" in results:
        pdf = results["pdf"]
        lines += ["", f"**pdf** (target {TARGETS['pdf']})", ""]
        if "skipped" in pdf:
            lines.append(f"Skipped: {pdf['skipped']}.")
        else:
            lines += [f"{pdf['agencies']} agencies, `--jobs {pdf['jobs']}`, {pdf['runs']} run(s) each.", ""]
            lines += ["| process | wall, median [IQR] | CPU | ÷ one soffice |", "|---|---|---|---|"]
            for name, e in pdf["contenders"].items():
                vs = ratio(e["vs_one_soffice"]) if "vs_one_soffice" in e else ""
                lines.append(f"| {name} | {with_spread(e['wall_s'])} | {duration(e['cpu_s']['median'])} | {vs} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run of seconds: few rounds, small batches")
    parser.add_argument("--only", help=f"comma-separated groups of {', '.join(GROUPS)}")
    parser.add_argument("--rounds", type=int, default=40, help="rounds of the in-process benchmarks")
    parser.add_argument("--reports", type=int, default=8, help="distinct reports the in-process rounds cycle through")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh processes per cold-start contender")
    parser.add_argument("--agencies", type=inputs.agency_counts, default="1000", help="batch sizes, comma-separated")
    parser.add_argument("--large", action="store_true", help="add a batch of 10,000 agencies")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="batch worker processes")
    parser.add_argument("--pdf-agencies", type=int, default=20)
    parser.add_argument("--pdf-runs", type=int, default=1)
    parser.add_argument("--json", default=str(HERE / "results.json"), metavar="FILE", help="where to write the figures")
    parser.add_argument("--markdown", metavar="FILE", help="also write the figures as Markdown tables")
    parser.add_argument("--from-json", metavar="FILE", help="measure nothing: print the Markdown of an earlier run")
    args = parser.parse_args(argv)
    if args.from_json:
        print(markdown(json.loads(Path(args.from_json).read_text(encoding="utf-8"))), end="")
        return 0
    groups = [g.strip() for g in args.only.split(",")] if args.only else list(GROUPS)
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown groups {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    sizes = args.agencies + ([10_000] if args.large else [])
    cold_contenders = ["reportkit docx", "docxtpl", "python-docx", "reportkit xlsx", "openpyxl", "xlsxwriter"]
    if args.quick:
        args.rounds, args.reports, args.cold_runs = 3, 2, 1
        sizes = [12]
        args.pdf_agencies = 2
        cold_contenders = ["reportkit docx", "docxtpl"]
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        cold_contenders = [c for c in cold_contenders if c != "xlsxwriter"]

    results: dict[str, Any] = {
        "machine": machine(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "settings": {
            "rounds": args.rounds,
            "reports": args.reports,
            "cold_runs": args.cold_runs,
            "agencies": sizes,
            "jobs": args.jobs,
            "pdf_agencies": args.pdf_agencies,
            "pdf_runs": args.pdf_runs,
        },
        "targets": {group: TARGETS[group] for group in groups},
        "load_average": {},
    }
    print(f"{results['machine']['cpu_model']}, {results['machine']['cores']} cores, Python {platform.python_version()}")
    variants = inputs.variants(args.reports) if {"render_docx", "render_xlsx", "check"} & set(groups) else []
    runners: dict[str, Callable[[], Any]] = {
        "render_docx": lambda: inprocess.docx_group(variants, args.rounds),
        "render_xlsx": lambda: inprocess.xlsx_group(variants, args.rounds),
        "check": lambda: inprocess.check_group(variants, args.rounds),
        "cold": lambda: processes.cold_group(inputs.EXAMPLE, args.cold_runs, cold_contenders),
        "batch": lambda: processes.batch_group(sizes, args.jobs),
        "pdf": lambda: processes.pdf_group(args.pdf_agencies, args.jobs, args.pdf_runs),
    }
    printers: dict[str, Callable[[Any], None]] = {
        "render_docx": lambda group: print_inprocess("render_docx", group),
        "render_xlsx": lambda group: print_inprocess("render_xlsx", group),
        "check": print_check,
        "cold": print_cold,
        "batch": print_batch,
        "pdf": print_pdf,
    }
    for group in groups:
        before = os.getloadavg()
        started = time.perf_counter()
        results[group] = runners[group]()
        results["load_average"][group] = {
            "before": before,
            "after": os.getloadavg(),
            "seconds": time.perf_counter() - started,
        }
        printers[group](results[group])
        print(f"  (load average {before[0]:.2f} → {os.getloadavg()[0]:.2f}, {time.perf_counter() - started:.0f} s)")
    Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    print(f"\nfigures written to {args.json}")
    if args.markdown:
        Path(args.markdown).write_text(markdown(results), encoding="utf-8")
    wrong = invalid(results)
    if wrong:
        print("INVALID outputs (not the same content as reportkit's): " + "; ".join(wrong))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
