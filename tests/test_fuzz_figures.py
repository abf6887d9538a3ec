"""Fuzzing figures files: whatever bytes arrive, reportkit answers with a report or its own error.

The default run is small so the suite stays fast; set REPORTKIT_FUZZ_EXAMPLES (e.g. 20000) for a long run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reportkit
from reportkit.errors import ReportkitError
from reportkit.render.docx import build_context

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_TOML = (ROOT / "examples" / "longde-chengguan-2021.toml").read_bytes()
EXAMPLE_JSON = reportkit.dumps(reportkit.loads(EXAMPLE_TOML), "json").encode("utf-8")
EXAMPLE_YAML = reportkit.dumps(reportkit.loads(EXAMPLE_TOML), "yaml").encode("utf-8")
EXAMPLES = int(os.environ.get("REPORTKIT_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _answers(data: bytes, fmt: str, tmp_path: Path) -> None:
    """The property: a report, or a ReportkitError naming the source; nothing else."""
    source = tmp_path / f"figures.{fmt}"
    source.write_bytes(data)
    try:
        report = reportkit.load(source)
    except ReportkitError as exc:
        text = str(exc)
        assert str(source) in text and exc.summary, text
        for problem in exc.problems:
            assert problem.where and problem.message
        return
    assert isinstance(report, reportkit.AnnualReport)
    reportkit.check(report)  # rules never raise on a loaded report
    context = build_context(report, draft=True)  # every value prints (no exponent, no -0, bounded)
    assert "E" not in context["proactive"]["fees_wan_yuan"] and context["proactive"]["fees_wan_yuan"] != "-0"


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for position, delete, insert in edits:
        at = position % (len(out) + 1)
        out[at : at + delete] = insert
    return bytes(out)


EDITS = st.lists(
    st.tuples(
        st.integers(0, 1 << 20),
        st.integers(0, 8),
        st.binary(max_size=6)
        | st.sampled_from(
            [
                b'"',
                b"=",
                b"[",
                b"]",
                b"\n",
                b"-1",
                b"3.5",
                b"\xe4\xb8\x89",
                b"\xef\xbb\xbf",
                b"{",
                b"}",
                b",",
                b"nan",
                b"1e999",
                b"true",
                b"\x00",
                b"9" * 30,
                b"[[",
                b'"""',
                # Values that were read silently wrong or without bound before (issue 9)
                "5000元".encode(),
                "0.03万元".encode(),
                "10²".encode(),
                "١٢٣".encode(),
                "⑩".encode(),
                "３条".encode(),
                b"1e-999999999",
                b"1e99999999999999999999999",
                b"-0.0",
                b"9" * 5000,
                b"2022-02-30",
                b"\\ud800",
                b"\\u0001",
                "（机关全称）".encode(),
            ]
        ),
    ),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(edits=EDITS)
def test_mutated_toml(edits: list[tuple[int, int, bytes]], tmp_path_factory: Any) -> None:
    _answers(_mutate(EXAMPLE_TOML, edits), "toml", tmp_path_factory.mktemp("fuzz"))


@FUZZ
@given(edits=EDITS)
def test_mutated_yaml(edits: list[tuple[int, int, bytes]], tmp_path_factory: Any) -> None:
    _answers(_mutate(EXAMPLE_YAML, edits), "yaml", tmp_path_factory.mktemp("fuzz"))


@FUZZ
@given(
    levels=st.integers(1, 12),
    width=st.integers(1, 12),
    where=st.sampled_from(["overview: {intro: %s}", "applications: {new: %s}", "agency: %s", "proactive: %s"]),
)
def test_yaml_aliases_of_any_depth(levels: int, width: int, where: str, tmp_path_factory: Any) -> None:
    lines = ["agency: {name: 局, kind: department}", "report: {year: 2021}", f"a0: &a0 [{', '.join(['1'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    text = "\n".join(lines) + "\n" + where % f"*a{levels - 1}" + "\n"
    _answers(text.encode(), "yaml", tmp_path_factory.mktemp("fuzz"))


@FUZZ
@given(edits=EDITS)
def test_mutated_json(edits: list[tuple[int, int, bytes]], tmp_path_factory: Any) -> None:
    _answers(_mutate(EXAMPLE_JSON, edits), "json", tmp_path_factory.mktemp("fuzz"))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**40)
    | st.floats()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["5000元", "0.03万元", "3万元", "3件", "10²", "２０２２年１月１９日", "٢٠٢٢-01-19", "-0.0"]),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=30,
)
KEYS = st.sampled_from(
    [
        "format",
        "agency",
        "report",
        "overview",
        "proactive",
        "applications",
        "review_litigation",
        "problems",
        "other",
        "name",
        "kind",
        "year",
        "signed_on",
        "new",
        "total",
        "withheld",
        "information_fees",
        "text",
        "fees_wan_yuan",
        "licensing",
        "notified_yuan",
        "collected_yuan",
        "published_on",
        "title_name",
    ]
)


@FUZZ
@given(doc=st.dictionaries(KEYS, JSON_VALUES | st.dictionaries(KEYS, JSON_VALUES, max_size=6), max_size=9))
def test_random_json_documents(doc: dict[str, Any], tmp_path_factory: Any) -> None:
    data = json.dumps(doc, ensure_ascii=False, allow_nan=True, default=str).encode("utf-8")
    _answers(data, "json", tmp_path_factory.mktemp("fuzz"))


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(data: bytes, tmp_path_factory: Any) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    for fmt in ("toml", "json", "yaml"):
        _answers(data, fmt, folder)


def test_deeply_nested_json_is_an_error_not_a_crash(tmp_path: Path) -> None:
    _answers(b"[" * 100_000 + b"]" * 100_000, "json", tmp_path)
    _answers(b'{"agency": ' * 5000 + b"1" + b"}" * 5000, "json", tmp_path)


def test_deeply_nested_toml_and_yaml(tmp_path: Path) -> None:
    _answers(b"a = " + b"[" * 50_000 + b"]" * 50_000, "toml", tmp_path)
    _answers(b"a: " + b"[" * 50_000 + b"]" * 50_000, "yaml", tmp_path)
