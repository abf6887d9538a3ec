"""The README's promises: two commands first, a figures-file sample that loads, a CI script that runs them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import reportkit

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert first_block and README.index(first_block.group(0)) < README.index("\n## ")
    commands = first_block.group(1).strip().splitlines()
    assert commands == [
        "pip install . && reportkit render examples/longde-chengguan-2021.toml -o out",
        "pip install -e '.[test]' && python -m pytest",
    ]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_schema_sample_in_the_readme_is_a_report_that_checks_clean() -> None:
    sample = re.search(r"```toml\n(.*?)```", README, re.S)
    assert sample
    report = reportkit.loads(sample.group(1))
    assert report.agency.title_name == "隆德县城关镇"
    assert [f.code for f in reportkit.check(report)] == []


def test_every_rule_code_is_documented() -> None:
    from reportkit.rules import RULES  # noqa: F401 - the codes live in the rule bodies

    source = (ROOT / "src" / "reportkit" / "rules.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'Finding\(\s*"([a-z_]+\.[a-z_]+)"', source))
    assert len(codes) >= 15
    for code in codes:
        family = code.split(".")[0] + ".*"
        assert f"`{code}`" in README or f"`{family}`" in README, code


def _python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README, flags=re.S | re.M)


def test_the_first_python_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's first Python block, run as a user would from the repository (LibreOffice optional)."""
    import shutil

    block = _python_blocks()[0]
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        block = block.replace("pdf_bytes = reportkit.render_pdf(report)", "pdf_bytes = b'%PDF'")
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "longde-chengguan-2021.toml", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(block, "README.md", "exec"), namespace)  # the README's own code
    report = namespace["report"]
    assert namespace["docx_bytes"][:2] == b"PK" and namespace["xlsx_bytes"][:2] == b"PK"
    assert namespace["pdf_bytes"][:4] == b"%PDF" and "<table" in namespace["page"]
    assert (tmp_path / "copy.json").exists()
    # the attribute access the README documents for 2021 reports
    assert isinstance(report.applications.new.total, int)
    assert isinstance(report.applications.withheld.state_secret.natural_person, int)
    assert isinstance(report.review_litigation.review.total, int)
    assert isinstance(report.proactive.licensing, int)
    assert isinstance(report.proactive.regulations.in_force, int)
