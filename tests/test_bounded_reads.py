"""Every reader of a user's file reads a bounded number of bytes, whatever the file's size claims: a link to
/dev/zero (size 0, endless) is refused as too large instead of filling the memory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reportkit.fs import read_at_most

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")

#: Run in a child with its address space capped, so that a reader that is not bounded fails the test with a
#: MemoryError rather than taking the machine's memory.
CHILD = """
import resource, sys
if sys.argv[2] == "capped":
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from reportkit.audit import audit
from reportkit.io import load
from reportkit.rulepacks import load_pack
from reportkit.xlsx_form import read
folder = sys.argv[1]
for reader, name in ((load, "x.toml"), (load_pack, "x.toml"), (read, "x.xlsx"), (audit, "x.html")):
    try:
        reader(f"{folder}/{name}")
    except MemoryError:
        print(reader.__module__, "MemoryError")
    except Exception as exc:
        print(reader.__module__, type(exc).__name__, exc)
    else:
        print(reader.__module__, "read")
"""


def _read_by_every_reader(folder: Path, *, capped: bool, timeout: float) -> list[str]:
    """What each reader (figures, rule pack, form, published report) says of the files in ``folder``, in a
    child process: with its address space capped at 1 GB when ``capped``, and killed past ``timeout``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    how = "capped" if capped else "free"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), how], capture_output=True, text=True, timeout=timeout, env=env
    )
    assert child.returncode == 0, child.stderr
    lines = child.stdout.splitlines()
    assert len(lines) == 4, child.stdout
    return lines


def test_read_at_most_returns_the_bytes_up_to_the_limit_and_none_past_it(tmp_path: Path) -> None:
    exact = tmp_path / "exact"
    exact.write_bytes(b"x" * 1000)
    assert read_at_most(exact, 1000) == b"x" * 1000
    assert read_at_most(exact, 999) is None
    assert read_at_most("/dev/zero", 200_000) is None  # past the announced size (0), in steps


def test_a_link_to_dev_zero_is_refused_as_too_large_by_every_reader(tmp_path: Path) -> None:
    for name in ("x.toml", "x.xlsx", "x.html"):
        (tmp_path / name).symlink_to("/dev/zero")
    for line in _read_by_every_reader(tmp_path, capped=True, timeout=120):
        assert "过大" in line and str(tmp_path) in line, line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_nobody_writes_to_is_refused_at_once_by_every_reader(tmp_path: Path) -> None:
    for name in ("x.toml", "x.xlsx", "x.html"):
        os.mkfifo(tmp_path / name)
    # Opening such a pipe used to wait for a writer for ever: the time limit catches a regression.
    for line in _read_by_every_reader(tmp_path, capped=False, timeout=60):
        assert "命名管道" in line and str(tmp_path) in line, line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_with_a_writer_is_read(tmp_path: Path) -> None:
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    keeper = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so that the writer's open does not wait
    writer = os.open(pipe, os.O_WRONLY)

    def write() -> None:
        with os.fdopen(writer, "wb") as handle:  # more than a pipe holds: written while it is read
            handle.write(b"x" * 100_000)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        assert read_at_most(pipe, 1_000_000) == b"x" * 100_000
    finally:
        thread.join(10)
        os.close(keeper)
