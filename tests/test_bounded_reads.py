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


def test_read_at_most_returns_the_bytes_up_to_the_limit_and_none_past_it(tmp_path: Path) -> None:
    exact = tmp_path / "exact"
    exact.write_bytes(b"x" * 1000)
    assert read_at_most(exact, 1000) == b"x" * 1000
    assert read_at_most(exact, 999) is None
    assert read_at_most("/dev/zero", 200_000) is None  # past the announced size (0), in steps


def test_a_link_to_dev_zero_is_refused_as_too_large_by_every_reader(tmp_path: Path) -> None:
    for name in ("x.toml", "x.xlsx", "x.html"):
        (tmp_path / name).symlink_to("/dev/zero")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True, timeout=120, env=env
    )
    assert child.returncode == 0, child.stderr
    lines = child.stdout.splitlines()
    assert len(lines) == 4, child.stdout
    for line in lines:
        assert "过大" in line and str(tmp_path) in line, line
