"""The worker pool: results in order, and a task that hangs, crashes its worker, eats memory or raises fails
alone while the others go on; workers die with their parent."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reportkit import pool
from reportkit.pool import FailureKind, Pool, run

ROOT = Path(__file__).resolve().parents[1]
needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="monkeypatched tasks reach fork workers")


def _square(value: int) -> int:
    return value * value


def _hostile(value: int) -> int:
    """0: hangs, 1: kills its worker, 2: eats memory, 3: raises; any other value is squared."""
    if value == 0:
        time.sleep(600)
    if value == 1:
        os._exit(3)
    if value == 2:
        chunks = []
        for _ in range(1000):  # at most 64 GB of address space, never touched (bytes() is calloc)
            chunks.append(bytes(64 * 1024**2))
    if value == 3:
        raise ValueError("一个坏任务")
    return value * value


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2].split()[0] != b"Z"
    except FileNotFoundError:
        return False


def test_results_come_in_task_order_with_progress() -> None:
    seen: list[tuple[int, int]] = []
    outcomes = list(run(_square, range(20), jobs=3, progress=lambda done, total: seen.append((done, total))))
    assert [o.index for o in outcomes] == list(range(20))
    assert [o.value for o in outcomes] == [n * n for n in range(20)]
    assert all(o.ok for o in outcomes)
    assert [done for done, _ in seen] == list(range(1, 21)) and {total for _, total in seen} == {20}


def test_tasks_are_taken_lazily_from_an_iterator() -> None:
    taken: list[int] = []

    def tasks() -> object:
        for n in range(10):
            taken.append(n)
            yield n

    stream = run(_square, tasks(), jobs=2)  # type: ignore[arg-type]
    first = next(stream)
    assert first.value == 0 and len(taken) < 10
    assert [o.value for o in stream] == [n * n for n in range(1, 10)]


@needs_fork
@pytest.mark.skipif(not hasattr(__import__("resource"), "RLIMIT_AS"), reason="no RLIMIT_AS")
def test_a_hanging_a_crashing_a_memory_eating_and_a_raising_task_fail_alone() -> None:
    tasks = [5, 0, 6, 1, 7, 2, 8, 3, 9]
    started = time.monotonic()
    with Pool(2, timeout=1.5, memory_limit=512 * 1024**2) as workers:
        outcomes = list(workers.map(_hostile, tasks))
    assert time.monotonic() - started < 30
    kinds = {tasks[o.index]: o.failure.kind for o in outcomes if o.failure}
    assert kinds == {0: FailureKind.TIMEOUT, 1: FailureKind.CRASH, 2: FailureKind.MEMORY, 3: FailureKind.ERROR}
    assert {tasks[o.index]: o.value for o in outcomes if o.ok} == {n: n * n for n in (5, 6, 7, 8, 9)}
    messages = {tasks[o.index]: o.failure.message for o in outcomes if o.failure}
    assert "超时" in messages[0] and "1.5 秒" in messages[0]
    assert "退出码 3" in messages[1]
    assert "内存超限" in messages[2] and "512 MB" in messages[2]
    assert "一个坏任务" in messages[3]


@needs_fork
def test_a_killed_worker_is_replaced() -> None:
    with Pool(1, timeout=1.0) as workers:
        outcomes = list(workers.map(_hostile, [0, 4, 1, 5]))
        assert [o.value for o in outcomes] == [None, 16, None, 25]
        assert len(workers.pids) == 1  # one live worker, the second replacement


def test_a_worker_killed_while_idle_does_not_fail_the_next_task() -> None:
    with Pool(1) as workers:
        assert [o.value for o in workers.map(_square, [4])] == [16]
        (pid,) = workers.pids
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        # Gone for good: a killed process shows as a zombie while its threads are still being torn down.
        while pid in {p.pid for p in multiprocessing.active_children()} and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [o.value for o in workers.map(_square, [5])] == [25]


def test_workers_start_only_as_tasks_need_them() -> None:
    with Pool(4) as workers:
        assert [o.value for o in workers.map(_square, [2, 3])] == [4, 9]
        assert 1 <= len(workers.pids) <= 2


def _broken_start() -> None:
    raise RuntimeError("LibreOffice 未安装")


def test_a_failing_initializer_fails_each_task_with_its_message() -> None:
    with Pool(2, initializer=_broken_start) as workers:
        outcomes = list(workers.map(_square, range(3)))
    assert [o.failure.kind for o in outcomes if o.failure] == [FailureKind.ERROR] * 3
    assert all("LibreOffice 未安装" in o.failure.message for o in outcomes if o.failure)


_started_with: list[str] = []


def _remember(text: str) -> None:
    _started_with.append(text)


def _started(_: int) -> list[str]:
    return list(_started_with)


def test_the_initializer_runs_in_each_worker() -> None:
    outcomes = list(run(_started, range(4), jobs=2, initializer=_remember, initargs=("ready",)))
    assert [o.value for o in outcomes] == [["ready"]] * 4
    assert _started_with == []  # not in the parent


def test_spawned_workers_work_too() -> None:
    with Pool(2, start_method="spawn") as workers:
        assert [o.value for o in workers.map(abs, [-3, 4, -5])] == [3, 4, 5]


@needs_fork
def test_leaving_early_kills_the_busy_workers() -> None:
    with Pool(2, timeout=None) as workers:
        stream = workers.map(_hostile, [4, 0, 0])
        assert next(stream).value == 16
        busy = workers.pids
        assert len(busy) == 2
        stream.close()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in busy) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in busy)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        Pool(0)
    with pytest.raises(ValueError):
        Pool(1, timeout=0)


# ---------------------------------------------------------------------------------------------------
# Workers die with their parent
# ---------------------------------------------------------------------------------------------------

_ORPHAN_SCRIPT = """
import os, sys, time
from reportkit import pool

if sys.argv[2] == "watch-only":  # no PR_SET_PDEATHSIG: the watch thread alone must notice
    real = pool._die_with_parent
    def watch_only(parent_pid):
        import ctypes
        real_cdll = ctypes.CDLL
        ctypes.CDLL = None  # the prctl call fails and is skipped
        try:
            real(parent_pid)
        finally:
            ctypes.CDLL = real_cdll
    pool._die_with_parent = watch_only

def hang(path):
    with open(path, "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(600)

for _ in pool.run(hang, [sys.argv[1]], jobs=1, timeout=None):
    pass
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("how", ["pdeathsig", "watch-only"])
def test_workers_die_when_their_parent_is_killed(tmp_path: Path, how: str) -> None:
    marker = tmp_path / "worker.pid"
    script = tmp_path / "orphan.py"
    script.write_text(textwrap.dedent(_ORPHAN_SCRIPT), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    parent = subprocess.Popen([sys.executable, str(script), str(marker), how], env=env)
    try:
        deadline = time.monotonic() + 60
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        worker = int(marker.read_text())
        assert _alive(worker)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker), "the worker outlived its parent"
    finally:
        if parent.poll() is None:  # pragma: no cover
            parent.kill()
        if marker.exists() and marker.read_text() and _alive(int(marker.read_text())):  # pragma: no cover
            os.kill(int(marker.read_text()), signal.SIGKILL)


def test_memory_limit_is_on_top_of_the_workers_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit leaves room for what a forked worker already maps (the parent's libraries)."""
    resource = pytest.importorskip("resource")
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(resource, "setrlimit", lambda what, limits: calls.append(limits))
    pool._limit_memory(100 * 1024**2)
    if not calls:
        pytest.skip("RLIMIT_AS cannot be set here")
    (soft, _), *_ = calls
    assert soft > 100 * 1024**2
