"""Writing files safely: to a temporary file in the same folder, flushed, then renamed into place.

A reader never sees a half-written report, a killed process leaves at most a stray temporary file
(never the final name), and an output never replaces one of the inputs.

Temporary files are named ``.<name>.~reportkit-<owner pid>-<random>.tmp``: a name only reportkit uses, so that
cleaning up after a killed run removes reportkit's own temporaries of processes no longer alive, never a
user's ``*.tmp`` file nor the temporaries of another run still writing to the same folder. The owner is
the writing process, or the process it works for (a batch worker writes for its batch).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from reportkit.errors import OutputError

TEMP_SUFFIX = ".tmp"
#: The mark in every temporary file name, followed by the owner's pid.
TEMP_MARK = "~reportkit-"
#: ``.<name>.~reportkit-<owner pid>-<random>.tmp``.
TEMPORARY = re.compile(r"^\.(?P<name>.*)\." + re.escape(TEMP_MARK) + r"(?P<pid>[0-9]{1,10})-[A-Za-z0-9_]+\.tmp$")
#: How much of the final name a temporary name repeats (bytes), to stay under the 255-byte limit of file systems.
_NAME_IN_TEMPORARY = 150


def _read_umask() -> int:
    # The only portable way to read the umask sets it; done once, at import, before any threads exist.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Outputs get the permissions an ordinary new file gets (mkstemp alone would make them owner-only).
_FILE_MODE = 0o666 & ~_read_umask()


def _identity(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """The (device, inode) of the file at ``path`` (links followed), or None when there is none."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):  # missing, a dangling link, unreadable, or a name with NUL
        return None
    return found.st_dev, found.st_ino


def _resolved(path: str | os.PathLike[str]) -> str | None:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return None


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` name the same file: by another path, a hard link or a symbolic link when it
    exists, the same path once resolved when neither exists yet."""
    return _matches(_identity(a), a, b)


def _matches(identity: tuple[int, int] | None, a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    # One stat per path: a batch checks every output against its input and each summary against every input.
    other = _identity(b)
    if identity is not None or other is not None:
        return identity == other
    first = _resolved(a)
    return first is not None and first == _resolved(b)


def _refuse_inputs(target: Path, inputs: Iterable[str | os.PathLike[str]]) -> None:
    identity = _identity(target)
    for source in inputs:
        if _matches(identity, target, source):
            raise OutputError("输出文件与输入文件相同，已拒绝覆盖输入；请换一个输出目录或文件名", source=str(target))


def temporary_owner(name: str) -> int | None:
    """The owner pid of a reportkit temporary file name, or ``None`` when ``name`` is not one."""
    match = TEMPORARY.match(name)
    return int(match.group("pid")) if match else None


def write_temporary(target: str | os.PathLike[str], data: bytes, *, owner: int | None = None) -> Path:
    """Write ``data`` to a new temporary file next to ``target`` (flushed to disk) and return its path;
    :func:`commit` then puts it in place. ``owner`` is the pid the temporary belongs to (this process)."""
    path = Path(target)
    folder = path.parent
    if not folder.is_dir():
        raise OutputError("输出目录不存在，请先创建", source=str(folder))
    shown = os.fsencode(path.name)[:_NAME_IN_TEMPORARY].decode("utf-8", "ignore")
    pid = os.getpid() if owner is None else owner
    fd, temp_name = tempfile.mkstemp(prefix=f".{shown}.{TEMP_MARK}{pid}-", suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), _FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return Path(temp_name)


def commit(
    temporary: str | os.PathLike[str], target: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Rename a file made by :func:`write_temporary` to ``target``; refuse (and remove the temporary) when
    ``target`` is one of ``inputs``."""
    path = Path(target)
    try:
        _refuse_inputs(path, inputs)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return path


def atomic_write_bytes(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    owner: int | None = None,
) -> Path:
    """Write ``data`` to ``path`` atomically; refuse when ``path`` is one of ``inputs``."""
    target = Path(path)
    inputs = tuple(inputs)
    _refuse_inputs(target, inputs)
    return commit(write_temporary(target, data, owner=owner), target, inputs=inputs)


def read_at_most(path: str | os.PathLike[str], limit: int) -> bytes | None:
    """The file's bytes, or None when it holds more than ``limit`` of them.

    Memory stays near the file's real size and never passes ``limit`` by more than one step, also for what
    a size check before reading misses (a file growing meanwhile, a pipe, a link to /dev/zero): the bytes the
    size announces are read at once, anything beyond in small steps. Raises OSError as ``open`` does.

    Opening never waits: a named pipe nobody writes to would block ``open`` for ever, so it is opened
    without waiting and then read as usual: a pipe with a writer gives what is written, one without raises
    OSError saying so.
    """
    fd = os.open(path, os.O_RDONLY | _NO_WAIT | getattr(os, "O_BINARY", 0))
    if _NO_WAIT:
        try:
            os.set_blocking(fd, True)
        except OSError:
            os.close(fd)
            raise
    with open(fd, "rb") as handle:
        status = os.fstat(handle.fileno())
        size = status.st_size
        if size > limit:
            return None
        data = handle.read(size + 1)
        if not data and stat.S_ISFIFO(status.st_mode):
            raise OSError(errno.EPIPE, "这是一个命名管道，没有程序向它写入；请给出文件本身")
        if len(data) <= size:
            return data
        chunks = [data]
        total = len(data)
        while total <= limit:
            chunk = handle.read(min(_READ_STEP, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    return None if total > limit else b"".join(chunks)


#: Open without waiting for a writer (POSIX); Windows has no named pipes in the file system.
_NO_WAIT = getattr(os, "O_NONBLOCK", 0)
#: What read_at_most reads at a time past the size a file announces.
_READ_STEP = 64 * 1024


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (a zombie counts as gone)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - os.kill would terminate the process on Windows
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return bool(kernel32.GetLastError() == 5)  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # pragma: no cover - an unusual platform: assume alive, never delete another's file
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def remove_temporaries(folder: str | os.PathLike[str], *, owner: int | None = None) -> list[Path]:
    """Delete reportkit's temporary files in ``folder``: those of ``owner`` when given (a run cleaning up
    after itself), else those whose owner process is no longer alive (left by a killed run). Other files,
    a user's ``*.tmp`` among them, and the temporaries of live processes are never touched."""
    removed = []
    alive: dict[int, bool] = {}
    for entry in os.scandir(folder):
        pid = temporary_owner(entry.name)
        if pid is None or not entry.is_file(follow_symlinks=False):
            continue
        if owner is not None:
            stale = pid == owner
        else:
            if pid not in alive:
                alive[pid] = pid == os.getpid() or pid_alive(pid)
            stale = not alive[pid]
        if stale:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed
