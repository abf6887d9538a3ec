"""Label normalisation for matching: forms, traditional characters, punctuation, spaces and numbering."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from reportkit.published.normalize import _TRADITIONAL, Numbering, label_key, normalize_text, simplified

FORMATS = Path(__file__).resolve().parents[1] / "src" / "reportkit" / "formats"


def test_full_width_forms_fold() -> None:
    assert normalize_text("３．危及（Ａ）：１，２") == "3.危及(A):1,2"


def test_traditional_characters_become_simplified() -> None:
    assert simplified("政府信息公開平臺建設") == "政府信息公开平台建设"
    assert normalize_text("本年收費金額（單位：萬元）") == normalize_text("本年收费金额（单位：万元）")
    assert label_key("（三）不予公開").key == label_key("（三）不予公开").key
    assert simplified("其他") == "其他"  # characters without a traditional form pass through


@pytest.mark.parametrize(
    "variant", ["“三安全一稳定”", "「三安全一稳定」", '"三安全一稳定"', "『三安全一穩定』", "‘三安全一稳定’"]
)
def test_quotes_are_unified(variant: str) -> None:
    assert normalize_text(variant) == normalize_text("“三安全一稳定”") == '"三安全一稳定"'


def test_brackets_and_dashes_are_unified() -> None:
    assert normalize_text("〔2021〕") == normalize_text("[2021]") == normalize_text("【2021】")
    assert normalize_text("《条例》") == normalize_text("〈条例〉")
    assert normalize_text("本年增—减") == normalize_text("本年增-减")


def test_white_space_is_dropped_but_remembered() -> None:
    key = label_key("结果\n纠正")
    assert (key.key, key.spaced) == ("结果纠正", True)
    assert label_key("结果纠正").spaced is False
    assert label_key("  结果纠正 \u3000").spaced is False  # only space inside counts
    assert label_key("社会\u00a0公益").key == "社会公益"


def test_numbering_is_taken_off_and_parsed() -> None:
    key = label_key("（三）1.属于國家秘密")
    assert key.key == "属于国家秘密"
    assert key.numbering == (Numbering("paren-cjk", 3, "(三)"), Numbering("arabic", 1, "1."))
    assert key.full == "(三)1.属于国家秘密"
    assert label_key("三、本年度办理结果").numbering == (Numbering("cjk", 3, "三、"),)
    assert label_key("二十一、其他").numbering[0].value == 21
    assert label_key("１、本机关").numbering == (Numbering("arabic", 1, "1、"),)
    assert label_key("(12)x").numbering == (Numbering("paren-arabic", 12, "(12)"),)
    assert label_key("⑥其他").numbering == (Numbering("circled", 6, "⑥"),)


def test_what_is_not_numbering_stays() -> None:
    assert label_key("第二十条第（一）项").numbering == ()
    assert label_key("第二十条 第（一）项").key == label_key("第二十条第（一）项").key
    assert label_key("（一）").key == "(一)"  # nothing would be left: the numbering is the label
    assert label_key("4166.24").numbering == ()
    assert label_key("一是加大力度").numbering == ()
    assert label_key("2025年").numbering == ()


def _format_characters() -> set[str]:
    chars: set[str] = set()
    for path in FORMATS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                chars |= {c for c in node.value if "\u4e00" <= c <= "\u9fff"}
    return chars


def test_the_table_never_rewrites_a_character_the_official_labels_use() -> None:
    chars = _format_characters()
    assert len(chars) > 200
    assert not set(_TRADITIONAL) & chars
    assert set(_TRADITIONAL.values()) <= chars  # the table is about the labels, nothing else
