"""The audit benchmark's generators carry their truth: a small run scores every generated kind."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import audit as bench  # noqa: E402


def test_a_small_accuracy_run_scores_every_kind() -> None:
    stats = bench.accuracy(2, seed=3, office=False)
    assert set(stats) == {
        "html", "traditional", "docx", "docx-restyled", "portal", "misprint", "hybrid", "text", "text-loss",
        "text-glued",
    }  # fmt: skip
    for kind in ("html", "docx", "portal", "traditional", "text"):
        assert stats[kind]["right"] == stats[kind]["cells"] > 0, kind
    assert sum(c["wrong_high"] for c in stats.values()) == 0
    assert stats["portal"]["cells"] == stats["html"]["cells"]  # blanks and "/" are cells of the truth too
    assert stats["hybrid"]["variant_detected"] == 2


def test_the_lossy_dump_really_loses_characters() -> None:
    import random

    text = "一、本年新收政府信息公开申请数量 1 2 3 4 5 6 21\n" * 20
    lossy = bench.lossy(text, random.Random(1))
    assert 0.8 * len(text) < len(lossy) < 0.97 * len(text)
