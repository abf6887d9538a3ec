"""Writing files safely: to a temporary file in the same folder, flushed, then renamed into place.

A reader never sees a half-written report, a killed process leaves at most a stray temporary file
(named ``.<name>.*.tmp``, never the final name), and an output never replaces one of the inputs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from reportkit.errors import OutputError

TEMP_SUFFIX = ".tmp"


def _read_umask() -> int:
    # The only portable way to read the umask sets it; done once, at import, before any threads exist.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Outputs get the permissions an ordinary new file gets (mkstemp alone would make them owner-only).
_FILE_MODE = 0o666 & ~_read_umask()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Write ``data`` to ``path`` atomically; refuse when ``path`` is one of ``inputs``."""
    target = Path(path)
    for source in inputs:
        if _same_file(target, Path(source)):
            raise OutputError("输出文件与输入文件相同，已拒绝覆盖输入；请换一个输出目录或文件名", source=str(target))
    folder = target.parent
    if not folder.is_dir():
        raise OutputError("输出目录不存在，请先创建", source=str(folder))
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), _FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return target
