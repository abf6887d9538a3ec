"""``reportkit check FILE`` as a process imports what checking needs and nothing of rendering, Excel, the process
pool or batch: its start-up is most of its time (issue 13: within 1.5× of importing its own dependencies)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "examples" / "county"

#: Imported by ``reportkit check`` never: rendering, Word and Excel libraries, the batch machinery.
HEAVY = (
    "docxtpl",
    "docx",
    "openpyxl",
    "lxml",
    "jinja2",
    "yaml",
    "multiprocessing",
    "reportkit.render",
    "reportkit.pool",
    "reportkit.batch",
    "reportkit.converter",
    "reportkit.templates",
    "reportkit.xlsx_form",
    "reportkit.xlsx_layout",
    "reportkit.published",
    "reportkit.ooxml",
    "reportkit.safezip",
)
#: The third-party packages checking may import (reportkit's core dependencies for the model and its files).
ALLOWED_THIRD_PARTY = {"attrs", "attr", "cattrs", "typing_extensions", "exceptiongroup"}


#: Runs ``python -m reportkit ARGS…`` in this process and then prints the modules it left imported.
PROBE = """
import runpy, sys
args = sys.argv[1:]
sys.argv = ["reportkit", *args]
code = 0
if args:
    try:
        runpy.run_module("reportkit", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        code = exit.code or 0
sys.stderr.write("\\n".join(["MODULES", *sorted(sys.modules)]) + "\\n")
sys.exit(code)
"""


def _imported(*args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120)
    names = set(done.stderr.split("MODULES\n", 1)[-1].split())
    return names, done


def test_reportkit_check_imports_nothing_of_rendering_excel_or_the_pool() -> None:
    names, done = _imported("check", str(COUNTY / "finance-2022.toml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reportkit.rules" in names and "reportkit.io" in names  # it did check, and the probe works
    heavy = sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in HEAVY))
    assert heavy == [], heavy
    baseline, _ = _imported()  # what the interpreter and site-packages' .pth files import anyway
    stdlib = set(sys.stdlib_module_names)
    third_party = {n.split(".")[0] for n in names - baseline} - stdlib - {"reportkit"}
    assert third_party <= ALLOWED_THIRD_PARTY, sorted(third_party)
