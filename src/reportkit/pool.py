"""A small process pool for work on untrusted files: one hostile file fails alone.

``N`` long-lived worker processes (forked on Linux, so they inherit what the parent prepared, such as
compiled templates; spawned elsewhere) take tasks one at a time over a pipe each. A task that runs past
its time limit, a worker that dies (a crash, ``os._exit``, a signal) and a task that exceeds the memory
limit (``RLIMIT_AS`` where the platform has it) cost only that task: the worker is killed and replaced,
the task comes back as a :class:`Failure`, and the other tasks go on.

Workers die with their parent (``PR_SET_PDEATHSIG`` on Linux, and a watch thread that notices the parent
gone everywhere), ignore Ctrl-C (the parent decides), and the parent kills them when it is interrupted.

Use::

    with Pool(jobs=4, timeout=60) as pool:
        for outcome in pool.map(check_one, paths):       # in the order of ``paths``
            if outcome.failure: ...                      # outcome.failure.kind, outcome.failure.message
            else: use(outcome.value)

or :func:`run` for a single pass. ``fn`` and the initializer must be importable top-level functions
(spawned workers import them); tasks and results are pickled, so keep them small.
"""

from __future__ import annotations

import contextlib
import enum
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

from attrs import frozen

from reportkit.limits import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT

__all__ = ["DEFAULT_MEMORY_LIMIT", "DEFAULT_TIMEOUT", "Failure", "FailureKind", "Outcome", "Pool", "run"]

T = TypeVar("T")
R = TypeVar("R")

#: How often a worker looks whether its parent is still alive (seconds).
_WATCH_INTERVAL = 0.5
#: How long a worker asked to stop may take before it is killed (seconds).
_STOP_GRACE = 5.0

_OK, _ERROR, _MEMORY = "ok", "error", "memory"


class FailureKind(enum.Enum):
    TIMEOUT = "timeout"  #: the task ran past the time limit; its worker was killed
    MEMORY = "memory"  #: the task exceeded the memory limit
    CRASH = "crash"  #: the worker died during the task
    ERROR = "error"  #: the task raised an exception (or its result could not be sent back)


@frozen
class Failure:
    """Why a task has no result: the kind, and a message in Chinese saying what happened."""

    kind: FailureKind
    message: str


@frozen
class Outcome(Generic[R]):
    """The result of task number ``index``: its ``value``, or the ``failure`` that stopped it."""

    index: int
    value: R | None = None
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:.0f} MB"


# ---------------------------------------------------------------------------------------------------
# The worker process
# ---------------------------------------------------------------------------------------------------


@frozen
class _Setup:
    """What a worker needs to start (pickled to spawned workers)."""

    parent_pid: int
    memory_limit: int | None
    initializer: Callable[..., object] | None
    initargs: tuple[Any, ...]
    finalizer: Callable[[], object] | None


def _die_with_parent(parent_pid: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux), and watch the parent everywhere."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    parent = multiprocessing.parent_process()
    sentinel = parent.sentinel if parent is not None else None
    threading.Thread(target=_watch_parent, args=(parent_pid, sentinel), daemon=True, name="watch-parent").start()


def _watch_parent(parent_pid: int, sentinel: int | None) -> None:
    """Exit as soon as the parent is gone, even while a task blocks the main thread. The parent's pipe
    (the sentinel) closes when it dies; with fork a later sibling may hold a copy of it, so the parent
    pid is looked at too (POSIX: a child whose parent died gets another parent)."""
    while True:
        if sentinel is not None:
            try:
                gone = bool(multiprocessing.connection.wait([sentinel], timeout=_WATCH_INTERVAL))
            except OSError:
                gone = True
        else:  # pragma: no cover - every start method gives a sentinel
            time.sleep(_WATCH_INTERVAL)
            gone = False
        if gone or (os.name == "posix" and os.getppid() != parent_pid):
            os._exit(1)


def _limit_memory(limit: int | None) -> None:
    if not limit:
        return
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    if not hasattr(resource, "RLIMIT_AS"):  # pragma: no cover
        return
    # The limit is on top of what the worker already maps (a forked worker maps all the parent's
    # libraries). Where that cannot be read (no /proc: macOS, whose address space is huge and whose
    # RLIMIT_AS is not what it is on Linux), there is no limit rather than a wrong one.
    try:
        with open("/proc/self/statm", "rb") as handle:
            base = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return
    with contextlib.suppress(OSError, ValueError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = base + limit
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _worker_main(conn: Connection, setup: _Setup) -> None:
    """A worker's life: set up, then answer tasks ``(index, fn, task)`` until told to stop (``None``) or
    the parent is gone; after a task ran out of memory, stop (the parent starts a fresh worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(setup.parent_pid)
    broken = ""
    if setup.initializer is not None:
        try:
            setup.initializer(*setup.initargs)
        except BaseException as exc:  # every task then fails with this message, nothing is retried forever
            broken = f"工作进程无法启动：{type(exc).__name__}: {exc}"
    _limit_memory(setup.memory_limit)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        index, fn, task = message
        kind: str = _ERROR
        value: object = broken
        if not broken:
            try:
                kind, value = _OK, fn(task)
            except MemoryError:
                kind, value = _MEMORY, None
            except BaseException as exc:
                kind, value = _ERROR, f"{type(exc).__name__}: {exc}"
        del task
        try:
            conn.send((index, kind, value))
        except (EOFError, OSError):
            break
        except Exception as exc:  # the result cannot be pickled
            conn.send((index, _ERROR, f"结果无法传回：{type(exc).__name__}: {exc}"))
        if kind == _MEMORY:
            break
    if setup.finalizer is not None:
        with contextlib.suppress(Exception):
            setup.finalizer()


# ---------------------------------------------------------------------------------------------------
# The parent side
# ---------------------------------------------------------------------------------------------------


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, context: BaseContext, setup: _Setup, number: int) -> None:
        self.conn, child = context.Pipe()
        process: BaseProcess = context.Process(  # type: ignore[attr-defined]
            target=_worker_main, args=(child, setup), name=f"reportkit-worker-{number}", daemon=True
        )
        process.start()
        child.close()
        self.process = process
        self.index: int | None = None
        self.deadline: float | None = None

    def send(self, index: int, fn: Callable[[Any], Any], task: Any, timeout: float | None) -> None:
        self.conn.send((index, fn, task))
        self.index = index
        self.deadline = None if timeout is None else time.monotonic() + timeout

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        self.process.join(_STOP_GRACE)
        self.conn.close()

    def stop(self) -> None:
        """Ask the worker to finish; kill it when it does not."""
        with contextlib.suppress(Exception):
            self.conn.send(None)
        self.process.join(_STOP_GRACE)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(_STOP_GRACE)
        self.conn.close()

    def exit_description(self) -> str:
        self.process.join(_STOP_GRACE)
        code = self.process.exitcode
        if code is None:
            return "未知原因"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            hint = "，可能是内存不足被系统终止" if -code == getattr(signal, "SIGKILL", 9) else ""
            return f"被信号 {name} 终止{hint}"
        return f"退出码 {code}"


def _default_context() -> BaseContext:
    # fork shares what the parent prepared (compiled templates); elsewhere fork is unsafe or missing.
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


class Pool:
    """``jobs`` worker processes that run tasks one at a time each, with a time and memory limit per task.

    ``timeout`` (seconds, ``None`` for none) limits each task; ``memory_limit`` (bytes on top of what a
    worker starts with, ``None`` for none) limits each worker where the platform has ``RLIMIT_AS``.
    ``initializer(*initargs)`` runs once in each worker (and in each replacement) before its first task,
    ``finalizer()`` when it is asked to stop. Workers start when the first tasks need them.
    """

    def __init__(
        self,
        jobs: int,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
        finalizer: Callable[[], object] | None = None,
        start_method: str | None = None,
    ) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        self.jobs = jobs
        self.timeout = timeout
        self.memory_limit = memory_limit
        self._context = multiprocessing.get_context(start_method) if start_method else _default_context()
        self._setup = _Setup(os.getpid(), memory_limit, initializer, tuple(initargs), finalizer)
        self._idle: list[_Worker] = []
        self._busy: list[_Worker] = []
        self._started = 0
        self._closed = False

    # -- life cycle ---------------------------------------------------------------------------------

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is None:
            self.close()
        else:
            self.terminate()

    def close(self) -> None:
        """Stop every worker (after its current task)."""
        self._closed = True
        for worker in self._idle:
            worker.stop()
        for worker in self._busy:
            worker.kill()
        self._idle, self._busy = [], []

    def terminate(self) -> None:
        """Kill every worker now."""
        self._closed = True
        for worker in self._idle + self._busy:
            worker.kill()
        self._idle, self._busy = [], []

    @property
    def pids(self) -> tuple[int, ...]:
        """The process ids of the live workers."""
        return tuple(w.process.pid for w in self._idle + self._busy if w.process.pid is not None)

    # -- running tasks ------------------------------------------------------------------------------

    def _worker(self) -> _Worker | None:
        while self._idle:
            worker = self._idle.pop()
            if worker.process.is_alive():
                return worker
            worker.kill()  # died while idle (killed from outside): not the next task's fault
        if len(self._busy) < self.jobs:
            self._started += 1
            return _Worker(self._context, self._setup, self._started)
        return None

    def map(  # one map at a time per pool
        self,
        fn: Callable[[T], R],
        tasks: Iterable[T],
        *,
        progress: Callable[[int, int], None] | None = None,
        total: int | None = None,
    ) -> Iterator[Outcome[R]]:
        """Run ``fn(task)`` for every task; yield one :class:`Outcome` per task, in the order of ``tasks``.

        Tasks are taken from ``tasks`` only as workers become free, and results are held only until
        their turn comes, so memory stays flat however many tasks there are. ``progress(done, total)``
        is called as each task finishes (``total`` is ``len(tasks)`` when it has one, else 0 or the
        ``total`` given)."""
        if self._closed:
            raise RuntimeError("the pool is closed")
        if total is None:
            total = len(tasks) if isinstance(tasks, Sized) else 0
        pending = iter(enumerate(tasks))
        finished: dict[int, Outcome[R]] = {}
        next_index = done = 0
        held: tuple[int, T] | None = None  # the next task, taken before a worker was free for it
        exhausted = False
        try:
            while True:
                while not exhausted or held is not None:
                    if held is None:
                        held = next(pending, None)
                        if held is None:
                            exhausted = True
                            break
                    worker = self._worker()
                    if worker is None:
                        break
                    (index, task), held = held, None
                    try:
                        worker.send(index, fn, task, self.timeout)
                    except (OSError, EOFError):  # an idle worker that died: fail this task, replace it
                        failure = Failure(FailureKind.CRASH, f"处理进程意外退出（{worker.exit_description()}），已跳过")
                        worker.kill()
                        finished[index] = Outcome(index, failure=failure)
                        done += 1
                        if progress is not None:
                            progress(done, total)
                        continue
                    self._busy.append(worker)
                while next_index in finished:
                    yield finished.pop(next_index)
                    next_index += 1
                if exhausted and held is None and not self._busy:
                    break
                for outcome in self._collect():
                    finished[outcome.index] = outcome
                    done += 1
                    if progress is not None:
                        progress(done, total)
        finally:
            # Left early (an exception, an interrupt, the caller stopped iterating): the running tasks'
            # results would arrive out of step, so their workers go.
            for worker in self._busy:
                worker.kill()
            self._busy = []

    def _collect(self) -> list[Outcome[Any]]:
        """Wait until some busy worker answers, dies or runs out of time; return those outcomes."""
        deadlines = [w.deadline for w in self._busy if w.deadline is not None]
        wait = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        handles: list[Any] = [w.conn for w in self._busy] + [w.process.sentinel for w in self._busy]
        ready = set(multiprocessing.connection.wait(handles, wait))
        outcomes: list[Outcome[Any]] = []
        now = time.monotonic()
        for worker in list(self._busy):
            index = worker.index
            assert index is not None
            outcome: Outcome[Any] | None = None
            keep = True
            if worker.conn in ready or worker.process.sentinel in ready:
                try:
                    if not worker.conn.poll():
                        raise EOFError
                    _, kind, value = worker.conn.recv()
                except (EOFError, OSError):
                    message = f"处理进程意外退出（{worker.exit_description()}），已跳过"
                    outcome, keep = Outcome(index, failure=Failure(FailureKind.CRASH, message)), False
                except Exception as exc:  # a result that cannot be unpickled
                    failure = Failure(FailureKind.ERROR, f"结果无法读取：{type(exc).__name__}: {exc}")
                    outcome = Outcome(index, failure=failure)
                else:
                    if kind == _OK:
                        outcome = Outcome(index, value=value)
                    elif kind == _MEMORY:
                        limit = f"（超过 {_megabytes(self.memory_limit)}）" if self.memory_limit else ""
                        message = f"内存超限{limit}，已跳过"
                        outcome, keep = Outcome(index, failure=Failure(FailureKind.MEMORY, message)), False
                    else:
                        outcome = Outcome(index, failure=Failure(FailureKind.ERROR, f"内部错误：{value}"))
            elif worker.deadline is not None and now >= worker.deadline:
                message = f"处理超时（超过 {self.timeout:g} 秒），已跳过"
                outcome, keep = Outcome(index, failure=Failure(FailureKind.TIMEOUT, message)), False
            if outcome is None:
                continue
            outcomes.append(outcome)
            self._busy.remove(worker)
            worker.index = worker.deadline = None
            if keep:
                self._idle.append(worker)
            else:
                worker.kill()
        return outcomes


def run(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    *,
    jobs: int,
    timeout: float | None = DEFAULT_TIMEOUT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
    finalizer: Callable[[], object] | None = None,
    progress: Callable[[int, int], None] | None = None,
    total: int | None = None,
) -> Iterator[Outcome[R]]:
    """One pass of ``fn`` over ``tasks`` in a :class:`Pool` of its own: outcomes in order; the workers
    stop when the iteration ends."""
    with Pool(
        jobs,
        timeout=timeout,
        memory_limit=memory_limit,
        initializer=initializer,
        initargs=initargs,
        finalizer=finalizer,
    ) as pool:
        yield from pool.map(fn, tasks, progress=progress, total=total)
