"""Never a partial output file: a render that fails, a report that is refused or a write that is interrupted
leaves the output folder as it was (no half-written file, no temporary file, the previous output intact)."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import pytest

import reportkit
from docx_helpers import full_report, modified_template
from reportkit import fs
from reportkit.cli import main
from reportkit.formats import gov2021 as fmt


def _figures(folder: Path, report: reportkit.AnnualReport | None = None) -> Path:
    path = folder / "figures.toml"
    reportkit.dump(report or full_report(), path)
    return path


def _entries(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    "tag", ["{{ 1/0 }}", "{{ no_such_placeholder }}", "{{ agency * 10**9 }}", "{{ agency.__class__ }}"]
)
def test_a_template_that_fails_mid_render_writes_nothing(
    tmp_path: Path, tag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = _figures(tmp_path)
    template = modified_template(tmp_path / "custom.docx", {fmt.PROBLEMS.heading: tag})
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("an earlier file")
    code = main(["render", str(figures), "-o", str(out), "--docx", "--xlsx", "--template", str(template)])
    assert code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and str(template) in captured.err
    assert _entries(out) == ["kept.txt"]


def test_a_failed_render_keeps_the_previous_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = _figures(tmp_path)
    out = tmp_path / "out"
    assert main(["render", str(figures), "-o", str(out), "--docx"]) == 0
    (previous,) = out.iterdir()
    before = previous.read_bytes()
    template = modified_template(tmp_path / "custom.docx", {fmt.PROBLEMS.heading: "{{ 1/0 }}"})
    assert main(["render", str(figures), "-o", str(out), "--docx", "--template", str(template)]) == 2
    assert _entries(out) == [previous.name] and previous.read_bytes() == before
    capsys.readouterr()


def test_a_refused_report_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = full_report()
    broken = attrs.evolve(report, overview=attrs.evolve(report.overview, proactive=""))  # text.missing: an error
    figures = _figures(tmp_path, broken)
    out = tmp_path / "out"
    assert main(["render", str(figures), "-o", str(out)]) == 1
    assert _entries(out) == []
    assert "--draft" in capsys.readouterr().out


def test_an_unreadable_figures_file_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = tmp_path / "figures.toml"
    figures.write_text("[applications]\nnew = [1, 2, 三]\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["render", str(figures), "-o", str(out)]) == 2
    assert _entries(out) == []
    assert "Traceback" not in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------
# atomic_write_bytes interrupted
# ---------------------------------------------------------------------------------------------------


def _boom(*args: object, **kwargs: object) -> None:
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("where", ["replace", "fsync", "write", "interrupt"])
def test_an_interrupted_write_leaves_the_previous_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    target = tmp_path / "报告.docx"
    target.write_bytes(b"previous complete output")
    if where == "replace":
        monkeypatch.setattr(fs.os, "replace", _boom)
    elif where == "fsync":
        monkeypatch.setattr(fs.os, "fsync", _boom)
    elif where == "write":
        real_fdopen = os.fdopen

        class Failing:
            def __init__(self, handle: object) -> None:
                self.handle = handle

            def __enter__(self) -> Failing:
                return self

            def __exit__(self, *exc: object) -> None:
                self.handle.close()  # type: ignore[attr-defined]

            def fileno(self) -> int:
                return self.handle.fileno()  # type: ignore[attr-defined,no-any-return]

            def write(self, data: bytes) -> int:
                self.handle.write(data[: len(data) // 2])  # type: ignore[attr-defined]
                raise OSError(28, "No space left on device")

        monkeypatch.setattr(fs.os, "fdopen", lambda fd, mode: Failing(real_fdopen(fd, mode)))
    else:

        def interrupted(*args: object) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(fs.os, "fsync", interrupted)
    expected: type[BaseException] = KeyboardInterrupt if where == "interrupt" else OSError
    with pytest.raises(expected):
        fs.atomic_write_bytes(target, b"new output " * 10_000)
    assert _entries(tmp_path) == ["报告.docx"]
    assert target.read_bytes() == b"previous complete output"


def test_a_new_file_interrupted_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fs.os, "replace", _boom)
    with pytest.raises(OSError):
        fs.atomic_write_bytes(tmp_path / "新.xlsx", b"x" * 1000)
    assert _entries(tmp_path) == []


def test_same_file_sees_an_input_by_any_path_and_a_missing_one_by_its_resolved_path(tmp_path: Path) -> None:
    source = tmp_path / "单位.toml"
    source.write_text("x", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    hard = tmp_path / "hard.toml"
    os.link(source, hard)
    soft = tmp_path / "soft.toml"
    soft.symlink_to(source)
    assert fs.same_file(source, source)
    assert fs.same_file(tmp_path / "sub" / ".." / "单位.toml", source)
    assert fs.same_file(hard, source) and fs.same_file(soft, source) and fs.same_file(source, soft)
    assert not fs.same_file(tmp_path / "other.toml", source)  # a new output is not the input
    other = tmp_path / "other.toml"
    other.write_text("x", encoding="utf-8")
    assert not fs.same_file(other, source)  # the same bytes, another file
    missing = tmp_path / "gone.toml"
    assert fs.same_file(missing, tmp_path / "sub" / ".." / "gone.toml")  # neither exists: the same path
    assert not fs.same_file(missing, tmp_path / "also-gone.toml")
    assert not fs.same_file(tmp_path / "a\0b", source)  # a name no system accepts is no file


def test_writing_over_an_input_by_a_link_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "单位.toml"
    source.write_text("keep", encoding="utf-8")
    link = tmp_path / "out.toml"
    link.symlink_to(source)
    with pytest.raises(reportkit.ReportkitError, match="输出文件与输入文件相同"):
        fs.atomic_write_bytes(link, b"new", inputs=[source])
    assert source.read_text(encoding="utf-8") == "keep"
    assert [p.name for p in tmp_path.iterdir() if fs.temporary_owner(p.name)] == []
