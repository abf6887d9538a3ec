"""reportkit's own field labels (成文日期, 报告年度, 机关名称 …) are spelled once, in ``reportkit.field_labels``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from reportkit.field_labels import AGENCY_GROUP, LABELS, REPORT_GROUP

SRC = Path(__file__).resolve().parent.parent / "src" / "reportkit"
OWN_LABELS = {*LABELS.values(), REPORT_GROUP, AGENCY_GROUP}


def _string_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


@pytest.mark.parametrize(
    "path", sorted(p for p in SRC.rglob("*.py") if p.name != "field_labels.py"), ids=lambda p: str(p.relative_to(SRC))
)
def test_no_module_spells_an_own_field_label(path: Path) -> None:
    spelled = [(line, text) for line, text in _string_constants(path) if text in OWN_LABELS]
    assert not spelled, f"{path.name}: use reportkit.field_labels (label_of, REPORT_GROUP) instead of {spelled}"


def test_the_scan_finds_a_spelled_label(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('where = ("报告信息", "成文日期")\n', encoding="utf-8")
    assert [text for _, text in _string_constants(module) if text in OWN_LABELS] == ["报告信息", "成文日期"]
