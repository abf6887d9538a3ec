"""One hostile file must not stop a batch: an input that hangs, one that kills its worker and one that eats
memory are failed rows of the summary, and the others are rendered. SIGTERM and Ctrl-C stop the workers,
leave no temporaries and exit without a traceback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import attrs
import pytest
from openpyxl import load_workbook

import reportkit
from reportkit import batch, fs
from reportkit.batch import STATUS_CRASHED, STATUS_MEMORY, STATUS_OK, STATUS_TIMEOUT, run_batch, write_summaries
from reportkit.cli import main

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "examples" / "county"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork workers, RLIMIT_AS, signals")


def _agencies(folder: Path, names: list[str]) -> None:
    folder.mkdir(exist_ok=True)
    report = reportkit.load(COUNTY / "finance-2022.toml")
    for name in names:
        agency = attrs.evolve(report.agency, name=f"测试局{name}")
        reportkit.dump(attrs.evolve(report, agency=agency), folder / f"{name}.toml")


def _hostile_load(path: str | os.PathLike[str]) -> reportkit.AnnualReport:
    name = Path(path).name
    if name == "hang.toml":
        time.sleep(600)
    if name == "crash.toml":
        os._exit(9)
    if name == "eat.toml":
        chunks = [bytes(64 * 1024**2) for _ in range(1000)]  # address space, never touched
        del chunks
    return reportkit.load(path)


@linux_only
def test_a_hanging_a_crashing_and_a_memory_eating_input_do_not_stop_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    _agencies(folder, ["a", "crash", "b", "eat", "c", "hang", "d"])
    monkeypatch.setattr(batch, "load", _hostile_load)  # forked workers inherit it
    seen: list[tuple[str, int, int]] = []
    results = run_batch(
        folder,
        out,
        jobs=2,
        timeout=3,
        memory_limit=512 * 1024**2,
        kinds=("xlsx",),
        progress=lambda *args: seen.append(args),
    )
    statuses = {Path(r.source).stem: r.status for r in results}
    assert statuses == {
        "a": STATUS_OK,
        "b": STATUS_OK,
        "c": STATUS_OK,
        "d": STATUS_OK,
        "crash": STATUS_CRASHED,
        "eat": STATUS_MEMORY,
        "hang": STATUS_TIMEOUT,
    }
    assert all(r.failed for r in results if Path(r.source).stem in ("crash", "eat", "hang"))
    hang = next(r for r in results if r.source.endswith("hang.toml"))
    assert "超过 3 秒" in hang.findings[0]
    assert seen[-1] == ("检查并生成", 7, 7)
    summary, _ = write_summaries(results, out)
    rows = list(load_workbook(summary).active.iter_rows(values_only=True))
    assert {Path(str(row[0])).stem: row[3] for row in rows[1:]} == statuses
    assert len([p for p in out.iterdir() if p.suffix == ".xlsx" and p.name != "汇总.xlsx"]) == 4
    assert not [p for p in out.iterdir() if fs.TEMPORARY.match(p.name)]


@linux_only
@pytest.mark.slow
def test_a_crafted_file_that_takes_forever_is_skipped(tmp_path: Path) -> None:
    """A real hostile input (a number with a billion-digit exponent took minutes to read)."""
    folder = tmp_path / "in"
    _agencies(folder, ["a", "b"])
    text = (COUNTY / "finance-2022.toml").read_text(encoding="utf-8")
    (folder / "exponent.toml").write_text(text.replace("licensing = 76", "licensing = 1e999999999"), encoding="utf-8")
    started = time.monotonic()
    results = run_batch(folder, tmp_path / "out", jobs=2, timeout=3, kinds=("xlsx",))
    assert time.monotonic() - started < 60
    by_name = {Path(r.source).name: r for r in results}
    assert by_name["a.toml"].status == by_name["b.toml"].status == STATUS_OK
    assert by_name["exponent.toml"].failed  # past the time limit, or refused once reading is fixed


def test_limits_on_the_command_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for bad in (["--timeout", "0"], ["--timeout", "x"], ["--memory-limit", "-1"]):
        with pytest.raises(SystemExit) as caught:
            main(["batch", str(COUNTY), "-o", str(tmp_path), *bad])
        assert caught.value.code == 2
    assert "时间限制" in capsys.readouterr().err
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(COUNTY / "finance-2022.toml", folder)
    code = main(["batch", str(folder), "-o", str(tmp_path / "out"), "--timeout", "120", "--memory-limit", "0"])
    assert code == 0


# ---------------------------------------------------------------------------------------------------
# SIGTERM and SIGINT to the batch parent
# ---------------------------------------------------------------------------------------------------

_BATCH_SCRIPT = """
import os, sys, time
from pathlib import Path
from reportkit import batch, fs
from reportkit.cli import main

folder, out, marker = sys.argv[1:4]
real = batch.load

def load(path):
    if Path(path).name == "hang.toml":  # mid-write, then stuck
        fs.write_temporary(Path(out) / "半成品.docx", b"partial", owner=batch._context.owner)
        Path(marker).write_text(str(os.getpid()))
        time.sleep(600)
    return real(path)

batch.load = load
sys.exit(main(["batch", folder, "-o", out, "--jobs", "2"]))
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2].split()[0] != b"Z"
    except FileNotFoundError:
        return False


@linux_only
@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_to_the_batch_stops_its_workers_and_leaves_no_temporaries(
    tmp_path: Path, signum: int, code: int
) -> None:
    folder, out, marker = tmp_path / "in", tmp_path / "out", tmp_path / "worker.pid"
    _agencies(folder, ["a", "hang", "b", "c"])
    script = tmp_path / "batch.py"
    script.write_text(textwrap.dedent(_BATCH_SCRIPT), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, str(script), str(folder), str(out), str(marker)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        worker = int(marker.read_text())
        time.sleep(0.5)  # let the other worker get going too
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:  # pragma: no cover
            process.kill()
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr and "工作进程" in stderr
    assert not _alive(worker)
    assert not [p.name for p in out.iterdir() if fs.TEMPORARY.match(p.name)]
    for path in out.iterdir():
        assert path.suffix in (".docx", ".xlsx") and path.stat().st_size > 0
