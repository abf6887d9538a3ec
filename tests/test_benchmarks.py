"""The benchmark script runs (on a handful of reports); its figures are read, not asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_script_runs_quickly(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(figures)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for label in ("render_docx", "render_xlsx", "batch", "check"):
        assert label in done.stdout
    import json

    results = json.loads(figures.read_text(encoding="utf-8"))
    assert results["batch"]["files"] == 2 * results["batch"]["reports"]
    assert results["docx"]["ratio"] > 0 and results["xlsx"]["ratio"] > 0
