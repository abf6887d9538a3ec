"""A batch killed midway leaves only complete outputs, and the next run cleans up after it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import attrs
import pytest

import reportkit
from reportkit.fs import TEMPORARY as _TEMPORARY

ROOT = Path(__file__).resolve().parents[1]


def _inputs(folder: Path, count: int) -> None:
    report = reportkit.load(ROOT / "examples" / "county" / "finance-2022.toml")
    for index in range(count):
        agency = attrs.evolve(report.agency, name=f"测试局{index:03d}")
        reportkit.dump(attrs.evolve(report, agency=agency), folder / f"agency-{index:03d}.toml")


def _complete(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except zipfile.BadZipFile:
        return False


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGKILL")
def test_killed_batch_leaves_only_complete_files(tmp_path: Path) -> None:
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    _inputs(inputs, 60)
    command = [sys.executable, "-m", "reportkit", "batch", str(inputs), "-o", str(out), "--jobs", "2"]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if out.is_dir() and len([p for p in out.iterdir() if p.suffix == ".docx"]) >= 3:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the batch finished before it could be killed: give it more inputs"
        os.killpg(process.pid, signal.SIGKILL)  # the parent and its workers, mid-write
        process.wait(timeout=30)
    finally:
        if process.poll() is None:  # pragma: no cover
            os.killpg(process.pid, signal.SIGKILL)
    finals = [p for p in out.iterdir() if p.suffix in (".docx", ".xlsx")]
    assert finals, "nothing was written before the kill"
    for path in finals:
        assert _complete(path), f"{path.name} is incomplete"
    for path in out.iterdir():
        assert path in finals or _TEMPORARY.match(path.name), f"unexpected file {path.name}"
    # The next run removes what the killed one left and finishes the job.
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if _TEMPORARY.match(n)]
    assert len([n for n in names if n.endswith(".docx")]) == 60
    assert all(_complete(p) for p in out.iterdir() if p.suffix in (".docx", ".xlsx"))
