"""The evaluators' rules and local rule packs at the command line (issue 12.3): ``check`` and ``batch`` run them,
``--rules NAME|FILE`` adds a pack, and ``peers.text_similar`` reaches both agencies' findings and the summaries."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from reportkit import dump, load
from reportkit.batch import run_batch
from reportkit.cli import EXIT_OK, EXIT_UNREADABLE, main
from reportkit.evaluators import peer_findings
from reportkit.io import structure, unstructure

ROOT = Path(__file__).resolve().parent.parent
COUNTY = ROOT / "examples" / "county"
EXAMPLE = ROOT / "examples" / "longde-chengguan-2021.toml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _edited(source: Path, target: Path, **texts: str) -> Path:
    data = unstructure(load(source))
    for path, text in texts.items():
        head, _, tail = path.partition("__")
        data[head][tail] = text
    dump(structure(data), target)
    return target


def test_check_runs_the_evaluators_rules(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _edited(COUNTY / "finance-2022.toml", tmp_path / "thin.toml", problems__text="无")
    code, out, _ = run(capsys, "check", str(path))
    assert code == EXIT_OK  # a warning
    assert "text.problems_thin" in out
    code, out, _ = run(capsys, "check", str(path), "--json")
    assert "text.problems_thin" in {f["code"] for f in json.loads(out)}


def test_check_with_a_shipped_rule_pack(capsys: pytest.CaptureFixture[str]) -> None:
    path = COUNTY / "chengguan-2022.toml"
    code, out, _ = run(capsys, "check", str(path))
    assert "strict." not in out
    code, out, _ = run(capsys, "check", str(path), "--rules", "strict-text")
    assert code == EXIT_OK
    assert "strict.normative_documents_stated" in out


def test_check_with_a_rule_pack_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pack = tmp_path / "本地规则.toml"
    pack.write_text(
        'name = "local"\ndescription = "六须写明信息处理费"\n\n[[rules]]\nkind = "require_text"\n'
        'code = "local.fees"\nsection = "other"\nphrases = ["不存在的说法"]\nseverity = "error"\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "check", str(COUNTY / "chengguan-2022.toml"), "--rules", str(pack))
    assert code == 1 and "local.fees" in out


def test_an_unknown_rule_pack_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(COUNTY / "chengguan-2022.toml"), "--rules", "no-such-pack")
    assert code == EXIT_UNREADABLE
    assert "no-such-pack" in err and "strict-text" in err and out == ""


@pytest.fixture(scope="module")
def alike_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """城关镇's real 2021 report, 沙塘镇 with the same texts (与其他单位雷同), and 财政局 written otherwise."""
    folder = tmp_path_factory.mktemp("alike")
    shutil.copy(EXAMPLE, folder / "chengguan.toml")
    data = unstructure(load(EXAMPLE))
    data["agency"].update(name="沙塘镇人民政府", title_name="隆德县沙塘镇")
    dump(structure(data), folder / "shatang.toml")
    shutil.copy(COUNTY / "finance-2022.toml", folder / "finance.toml")
    return folder


def test_batch_compares_the_agencies_texts(alike_county: Path, tmp_path: Path) -> None:
    results = run_batch(alike_county, tmp_path, kinds=("xlsx",), jobs=1)
    by_file = {Path(r.source).name: r for r in results}
    expected = peer_findings([(str(p), load(p)) for p in sorted(alike_county.iterdir())])
    for name, other in (("chengguan.toml", "沙塘镇"), ("shatang.toml", "城关镇")):
        lines = [line for line in by_file[name].findings if "peers.text_similar" in line]
        wanted = [str(f) for f in expected[str(alike_county / name)]]
        assert len(wanted) >= 5 and lines == wanted
        assert all(other in line for line in lines)
        assert by_file[name].warnings >= len(wanted)
    assert not any("peers.text_similar" in line for line in by_file["finance.toml"].findings)


def test_peer_findings_reach_the_summaries(
    alike_county: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "batch", str(alike_county), "-o", str(tmp_path), "--xlsx", "--jobs", "1")
    assert code == 0
    assert "peers.text_similar" in out and "2 个单位" in out
    rows = list(csv.DictReader(io.StringIO((tmp_path / "汇总.csv").read_text(encoding="utf-8-sig"))))
    alike = {Path(r["数据文件"]).name for r in rows if "peers.text_similar" in r["问题"]}
    assert alike == {"chengguan.toml", "shatang.toml"}
    sheet = load_workbook(tmp_path / "汇总.xlsx")["汇总"]
    head = [c.value for c in sheet[1]]
    column = head.index("问题")
    cells = [row[column].value or "" for row in sheet.iter_rows(min_row=2)]
    assert sum("peers.text_similar" in cell for cell in cells) == 2
    warnings = {Path(r["数据文件"]).name: int(r["提醒数"]) for r in rows}
    assert warnings["chengguan.toml"] > 0 and warnings["finance.toml"] == 0


def test_batch_with_a_rule_pack(alike_county: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "batch", str(alike_county), "-o", str(tmp_path), "--xlsx", "--rules", "strict-text")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "汇总.csv").read_text(encoding="utf-8-sig"))))
    assert any("strict.normative_documents_stated" in r["问题"] for r in rows)


def test_batch_with_an_unknown_rule_pack_does_nothing(
    alike_county: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, err = run(capsys, "batch", str(alike_county), "-o", str(out), "--rules", "no-such-pack")
    assert code == EXIT_UNREADABLE and "no-such-pack" in err
    assert not out.exists() or not any(out.iterdir())
