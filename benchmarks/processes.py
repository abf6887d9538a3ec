"""Benchmarks of whole processes: cold starts, the command line, batches and PDF.

Wall time is measured around the child; CPU time is the children's user + system time from
``resource.getrusage(RUSAGE_CHILDREN)`` (which includes a child's own waited-for children, e.g. batch
workers and LibreOffice). Memory of a process tree is sampled from ``/proc`` every 50 ms: the resident
memory (VmRSS, which counts pages shared between a forked parent and its workers once per process) and
the proportional set size (Pss, which splits shared pages between them, so its sum is the tree's real
footprint), summed over the process group, plus the parent's own peak (VmHWM).
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _status_kb(pid: str, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
        for line in handle:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _pss_kb(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _group(pgid: int) -> list[str]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            members.append(entry)
    return members


class TreeMemory:
    """Samples the memory of a process group (a child started with ``start_new_session=True``)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.parent_hwm_kb = 0
        self.parent_cpu_s = 0.0
        self.most_processes = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ticks = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.is_set():
            self.sample()
            time.sleep(self.interval)

    def sample(self) -> None:
        members = _group(self.pid)
        rss = pss = 0
        for pid in members:
            try:
                rss += _status_kb(pid, "VmRSS:")
                pss += _pss_kb(pid)
                if pid == str(self.pid):
                    self.parent_hwm_kb = max(self.parent_hwm_kb, _status_kb(pid, "VmHWM:"))
                    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                        fields = handle.read().rsplit(")", 1)[1].split()
                    self.parent_cpu_s = (int(fields[11]) + int(fields[12])) / self._ticks
            except (OSError, ValueError, IndexError):
                continue
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.most_processes = max(self.most_processes, len(members))


def run(
    command: Sequence[str], *, env: dict[str, str] | None = None, memory: bool = False, ok: Sequence[int] = (0,)
) -> dict[str, Any]:
    """Run ``command``; its wall time, its CPU (children included) and, with ``memory``, its tree's memory."""
    cpu = children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    sampler = TreeMemory(process.pid) if memory else None
    if sampler is not None:
        with sampler:
            stdout, stderr = process.communicate()
    else:
        stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    cpu = children_cpu() - cpu
    if process.returncode not in ok:
        raise RuntimeError(
            f"{' '.join(command)} exited {process.returncode}:\n{stdout.decode(errors='replace')[-2000:]}"
            f"\n{stderr.decode(errors='replace')[-2000:]}"
        )
    result: dict[str, Any] = {"wall_s": wall, "cpu_s": cpu, "stdout": stdout.decode("utf-8", "replace")}
    if sampler is not None:
        result.update(
            peak_rss_sum_mb=sampler.peak_rss_kb / 1024,
            peak_pss_sum_mb=sampler.peak_pss_kb / 1024,
            parent_peak_rss_mb=sampler.parent_hwm_kb / 1024,
            parent_cpu_s=sampler.parent_cpu_s,
            most_processes=sampler.most_processes,
        )
    return result


def reportkit_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "reportkit", *args]


# ---------------------------------------------------------------------------------------------------
# Cold start
# ---------------------------------------------------------------------------------------------------


def cold_data(folder: Path, report_path: Path) -> Path:
    """The inputs of :mod:`cold` for every contender, written once (outside the timing)."""
    import baselines
    import cold
    import inprocess

    import reportkit
    from reportkit.render.docx import build_context
    from reportkit.render.xlsx import default_template_path
    from reportkit.templates import find_template

    report = reportkit.load(report_path)
    xlsx_template = default_template_path()
    fields = inprocess.xlsx_fields(xlsx_template.read_bytes())
    data = {
        "report": str(report_path),
        "context": cold.encode(build_context(report)),
        "values": cold.encode(inprocess.xlsx_values(report, fields)),
        "docx_template": str(find_template("docx", report.format).path),
        "xlsx_template": str(xlsx_template),
        "xlsxwriter_layout": cold.encode(baselines.xlsx_layout(xlsx_template.read_bytes())),
    }
    path = folder / "cold-data.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def cold_group(report_path: Path, runs: int, contenders: Sequence[str]) -> dict[str, Any]:
    """First render in a fresh process, and the command line, against importing reportkit's dependencies."""
    from harness import per_round_ratios, spread

    work = Path(tempfile.mkdtemp(prefix="reportkit-bench-cold-"))
    try:
        data = cold_data(work, report_path)
        out = work / "out"
        jobs: list[tuple[str, Callable[[], dict[str, Any]]]] = []
        for name in contenders:

            def first_render(name: str = name) -> dict[str, Any]:
                target = work / f"first-{name.replace(' ', '-')}"
                done = run([sys.executable, str(HERE / "cold.py"), name, str(data), str(target)])
                figures = json.loads(done["stdout"].strip().splitlines()[-1])
                if not target.stat().st_size:
                    raise RuntimeError(f"{name} wrote nothing")
                return {"wall_s": done["wall_s"], "cpu_s": done["cpu_s"], **figures}

            jobs.append((f"first render: {name}", first_render))
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "import docxtpl, openpyxl, attrs, cattrs": [
                sys.executable,
                "-c",
                "import docxtpl, openpyxl, attrs, cattrs",
            ],
            "import attrs, cattrs": [sys.executable, "-c", "import attrs, cattrs"],
            "reportkit check FILE": reportkit_command("check", str(report_path)),
            "reportkit render FILE --docx --xlsx": reportkit_command(
                "render", str(report_path), "-o", str(out), "--docx", "--xlsx"
            ),
        }
        for label, command in commands.items():

            def process(command: list[str] = command) -> dict[str, Any]:
                done = run(command)
                return {"wall_s": done["wall_s"], "cpu_s": done["cpu_s"]}

            jobs.append((label, process))
        collected: dict[str, dict[str, list[float]]] = {name: {} for name, _ in jobs}
        for round_ in range(runs):
            for k in range(len(jobs)):
                name, job = jobs[(round_ + k) % len(jobs)]
                for key, value in job().items():
                    collected[name].setdefault(key, []).append(value)
        results: dict[str, Any] = {
            name: {key: spread(values) for key, values in figures.items()} for name, figures in collected.items()
        }
        deps = collected["import docxtpl, openpyxl, attrs, cattrs"]["wall_s"]
        for name in ("reportkit check FILE", "reportkit render FILE --docx --xlsx"):
            results[name]["vs_import_deps"] = per_round_ratios(collected[name]["wall_s"], deps)
        results["reportkit check FILE"]["vs_import_attrs_cattrs"] = per_round_ratios(
            collected["reportkit check FILE"]["wall_s"], collected["import attrs, cattrs"]["wall_s"]
        )
        return {"contenders": results, "runs": runs}
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# Batch
# ---------------------------------------------------------------------------------------------------


def _validate_outputs(outdir: Path) -> int:
    """Open one Word and one Excel output of a batch; the number of report files written."""
    import baselines

    docx = sorted(outdir.glob("*.docx"))
    xlsx = sorted(p for p in outdir.glob("*.xlsx") if p.stem != "汇总")
    if docx:
        baselines.docx_content(docx[len(docx) // 2].read_bytes())
    if xlsx:
        baselines.xlsx_content(xlsx[len(xlsx) // 2].read_bytes())
    return len(docx) + len(xlsx)


def batch_group(sizes: Sequence[int], jobs: int) -> dict[str, Any]:
    """``reportkit batch --previous`` over generated counties of each size (DOCX + XLSX)."""
    import inputs

    results: dict[str, Any] = {}
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix="reportkit-bench-batch-"))
        try:
            generated = time.perf_counter()
            folder = inputs.write_batch_inputs(work, size)
            generated = time.perf_counter() - generated
            outdir = work / "out"
            command = reportkit_command(
                "batch", str(folder.inputs), "-o", str(outdir), "--previous", str(folder.previous), "--jobs", str(jobs)
            )
            done = run(command, memory=True, ok=(0, 1))  # 1: some agencies failed, as generated
            written = _validate_outputs(outdir)
            expected = inputs.expected_outputs(folder, ("docx", "xlsx"))
            aggregated = _aggregate_runs(folder.inputs, work / "aggregate", jobs)
            summary = re.search(r"共 (\d+) 个单位：(\d+) 个已生成，(\d+) 个未通过", done.pop("stdout"))
            counted = tuple(int(n) for n in summary.groups()) if summary else ()
            results[str(size)] = {
                **done,
                "agencies": size,
                "good": folder.good,
                "with_errors": folder.with_errors,
                "forms": folder.forms,
                "unreadable": folder.unreadable,
                "files": written,
                "files_expected": expected,
                "summary": counted,
                "valid": written == expected and counted == (size, folder.good, size - folder.good),
                "cpu_ms_per_report": done["cpu_s"] / size * 1000,
                "jobs": jobs,
                "inputs_generated_s": generated,
                "aggregate": aggregated,
            }
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return results


def _workbook_values(path: Path) -> list[Any]:
    """Every cell value of every sheet (a workbook's bytes differ by its creation time)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    return [(sheet.title, list(sheet.iter_rows(values_only=True))) for sheet in book.worksheets]


def _aggregate_runs(folder: Path, work: Path, jobs: int) -> dict[str, Any]:
    """``reportkit aggregate`` of the same folder with ``--jobs`` workers and with one, alternately (twice
    each): wall and CPU, and whether both wrote the same summary (every cell value)."""
    work.mkdir()
    runs: dict[str, list[dict[str, Any]]] = {f"--jobs {jobs}": [], "--jobs 1": []}
    books: dict[str, Any] = {}
    for round_ in range(2):
        order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
        for name in order:
            book = work / f"{name.replace(' ', '')}-{round_}.xlsx"
            command = reportkit_command("aggregate", str(folder), "-o", str(book), "--year", "2022")
            command += ["--jobs", name.split()[-1]]
            done = run(command, ok=(0, 1))  # 1: some files were left out, as generated
            done.pop("stdout")
            runs[name].append(done)
            books[name] = _workbook_values(book)
    same = len({repr(values) for values in books.values()}) == 1
    result: dict[str, Any] = {
        name: {"wall_s": median(d["wall_s"] for d in done), "cpu_s": median(d["cpu_s"] for d in done)}
        for name, done in runs.items()
    }
    return {"runs": result, "same_workbook": same, "jobs": jobs}


# ---------------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------------


def pdf_group(agencies: int, jobs: int, runs: int) -> dict[str, Any]:
    """``reportkit batch --pdf`` against one LibreOffice converting the same Word files."""
    import inputs

    from reportkit.render.pdf import find_soffice, font_config_path

    soffice = find_soffice()
    if soffice is None:
        return {"skipped": "LibreOffice (soffice) is not installed"}
    from harness import per_round_ratios, spread

    work = Path(tempfile.mkdtemp(prefix="reportkit-bench-pdf-"))
    try:
        folder = inputs.write_batch_inputs(work, agencies, error_rate=0, form_rate=0, unreadable_rate=0)
        docx_dir = work / "docx"
        run(reportkit_command("batch", str(folder.inputs), "-o", str(docx_dir), "--docx", "--jobs", str(jobs)))
        documents = sorted(str(p) for p in docx_dir.glob("*.docx"))
        env = dict(os.environ, FONTCONFIG_FILE=str(font_config_path()), SAL_USE_VCLPLUGIN="svp")
        collected: dict[str, dict[str, list[float]]] = {"reportkit batch --pdf": {}, "one soffice": {}}
        for round_ in range(runs):
            out = work / f"round-{round_}"
            profile = work / f"profile-{round_}"
            home = work / f"home-{round_}"
            home.mkdir()
            # reportkit converts chunks of documents, one LibreOffice run per chunk in each worker, with a fresh
            # profile per worker; the baseline converts all with one fresh profile.
            one = [
                soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo",
                "--nodefault", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(out / "soffice"), *documents,
            ]  # fmt: skip
            ours = reportkit_command(
                "batch", str(folder.inputs), "-o", str(out / "reportkit"), "--pdf", "--jobs", str(jobs)
            )
            order = [("reportkit batch --pdf", ours, None), ("one soffice", one, dict(env, HOME=str(home)))]
            if round_ % 2:
                order.reverse()
            for name, command, environment in order:
                done = run(command, env=environment)
                for key in ("wall_s", "cpu_s"):
                    collected[name].setdefault(key, []).append(done[key])
            pdfs = {
                name: len(list((out / sub).glob("*.pdf")))
                for name, sub in (("reportkit", "reportkit"), ("soffice", "soffice"))
            }
            if pdfs["reportkit"] != agencies or pdfs["soffice"] != agencies:
                raise RuntimeError(f"PDF files written: {pdfs}, expected {agencies} each")
        results: dict[str, Any] = {
            name: {key: spread(values) for key, values in figures.items()} for name, figures in collected.items()
        }
        results["reportkit batch --pdf"]["vs_one_soffice"] = per_round_ratios(
            collected["reportkit batch --pdf"]["wall_s"], collected["one soffice"]["wall_s"]
        )
        return {"contenders": results, "agencies": agencies, "jobs": jobs, "runs": runs}
    finally:
        shutil.rmtree(work, ignore_errors=True)
