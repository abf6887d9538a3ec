"""Many Word files to PDF through one LibreOffice: what ``reportkit batch --pdf`` uses in each worker.

Starting LibreOffice costs about a second, converting a report a fraction of that, so a batch worker
hands a whole chunk of documents to one ``soffice --convert-to pdf`` run. LibreOffice converts them in
the order given, writing ``<name>.pdf`` for each, so the converter can tell how far it got by watching
its output folder, and keeps the per-document time limit: when no new document is finished within
``timeout`` seconds, or LibreOffice dies, the document it was working on is reported (timed out, or
LibreOffice crashed) and a fresh LibreOffice takes the rest of the chunk. One hostile or unlucky
document costs only itself.

Each LibreOffice runs in a session of its own (so it is killed with everything it started) with the
worker's own profile (kept between runs: a fresh profile costs seconds) and the same environment as
:func:`reportkit.render.pdf.convert_to_pdf`. The process group of the running LibreOffice is written to
``pgid_file`` so that the batch can kill it even when the worker itself was killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from reportkit.render.pdf import soffice_command, soffice_environment

__all__ = ["Converter", "kill_recorded"]

#: How often the output folder is looked at (seconds).
_POLL = 0.05


def _complete(data: bytes) -> bool:
    """Whether ``data`` is a whole PDF (it ends with ``%%EOF``), not one LibreOffice is still writing."""
    return data.startswith(b"%PDF") and data.rstrip()[-5:] == b"%%EOF"


def kill_recorded(pgid_file: str | os.PathLike[str]) -> None:
    """Kill the LibreOffice process groups recorded in ``pgid_file`` (one per line) and forget them."""
    path = Path(pgid_file)
    try:
        lines = path.read_text(encoding="ascii").split()
    except OSError:
        return
    for line in lines:
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            os.killpg(int(line), signal.SIGKILL)
    with contextlib.suppress(OSError):
        path.unlink()


class Converter:
    """Converts chunks of ``.docx`` files with one LibreOffice run per chunk (restarted after a failure)."""

    def __init__(
        self,
        soffice: str,
        *,
        timeout: float | None,
        pgid_file: str | os.PathLike[str] | None = None,
        workdir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.soffice = soffice
        self.timeout = timeout
        self.pgid_file = Path(pgid_file) if pgid_file is not None else None
        # In ``workdir`` (the batch's), so that the batch removes it even when this worker was killed.
        self.home = Path(tempfile.mkdtemp(prefix="reportkit-converter-", dir=workdir))
        self.profile = self.home / "profile"
        self.env = soffice_environment(self.home)
        self.runs = 0  #: how many LibreOffice runs this converter started

    def close(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)

    def convert(self, sources: Sequence[str | os.PathLike[str]]) -> list[bytes | str]:
        """The PDF of each source (bytes), or why it has none (a message in Chinese), in order."""
        paths = [Path(s) for s in sources]
        results: list[bytes | str | None] = [None] * len(paths)
        start = 0
        while start < len(paths):
            start = self._run(paths, start, results)
        return [r if r is not None else "LibreOffice 未转换此文件" for r in results]

    def _run(self, paths: list[Path], start: int, results: list[bytes | str | None]) -> int:
        """One LibreOffice over ``paths[start:]``; fills ``results`` and returns where the next run starts."""
        self.runs += 1
        outdir = self.home / f"out-{self.runs}"
        outdir.mkdir()
        todo = paths[start:]
        outputs = [outdir / f"{p.stem}.pdf" for p in todo]
        command = soffice_command(self.soffice, self.profile, outdir, todo)
        log = self.home / f"stderr-{self.runs}.txt"
        try:
            with log.open("wb") as errors:
                process = subprocess.Popen(
                    command,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    stdin=subprocess.DEVNULL,
                    env=self.env,
                    cwd=self.home,
                    start_new_session=os.name == "posix",
                )
        except OSError as exc:
            for number in range(start, len(paths)):
                results[number] = f"无法启动 LibreOffice（{self.soffice}）：{exc}"
            return len(paths)
        self._record(process.pid)
        seen = -1  # the last document whose output has appeared: all before it are finished
        last_progress = time.monotonic()
        timed_out = False
        try:
            while True:
                code = process.poll()
                for number in range(len(todo) - 1, seen, -1):
                    if outputs[number].exists():
                        seen, last_progress = number, time.monotonic()
                        break
                if code is not None:
                    break
                if self.timeout is not None and time.monotonic() - last_progress > self.timeout:
                    timed_out = True
                    break
                time.sleep(_POLL)
        finally:
            if process.poll() is None:
                self._kill(process)
            self._forget()
        detail = log.read_bytes().decode("utf-8", "replace").strip()[-500:]
        finished = len(todo) if (code == 0 and not timed_out) else seen
        culprit: int | None = None
        for number, output in enumerate(outputs):
            data = output.read_bytes() if output.exists() else b""
            if number < finished or (number == finished and _complete(data)):
                if _complete(data):
                    results[start + number] = data
                elif number < finished:
                    results[start + number] = f"LibreOffice 无法转换此文件：{detail or '无输出'}"
                continue
            culprit = number
            break
        shutil.rmtree(outdir, ignore_errors=True)
        if culprit is None:
            return len(paths)
        if timed_out:
            message = (
                f"LibreOffice 转换 PDF 超过 {self.timeout:g} 秒仍未完成，已终止并重新启动 LibreOffice 处理其余文件"
            )
        else:
            message = (
                f"LibreOffice 转换时意外退出（{_exit_description(process.returncode)}），"
                f"已重新启动 LibreOffice 处理其余文件：{detail or '无输出'}"
            )
        results[start + culprit] = message
        return start + culprit + 1

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.name == "posix":
                os.killpg(process.pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows
                process.kill()
        process.wait()

    def _record(self, pgid: int) -> None:
        if self.pgid_file is not None:
            with contextlib.suppress(OSError), self.pgid_file.open("a", encoding="ascii") as handle:
                handle.write(f"{pgid}\n")

    def _forget(self) -> None:
        if self.pgid_file is not None:
            with contextlib.suppress(OSError):
                self.pgid_file.unlink()


def _exit_description(code: int | None) -> str:
    if code is None:
        return "未知原因"
    if code < 0:
        try:
            return f"被信号 {signal.Signals(-code).name} 终止"
        except ValueError:
            return f"被信号 {-code} 终止"
    return f"退出码 {code}"
