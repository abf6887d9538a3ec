"""Next year's file (issue 12.1): ``reportkit.next_year``, ``reportkit next``, and the county rolled over
year after year with clean cross-year checks."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

import reportkit
from reportkit import check, load, loads
from reportkit.cli import EXIT_OK, EXIT_UNREADABLE, main
from reportkit.evaluators import _claims, check_evaluators, text_sections
from reportkit.io import structure, unstructure
from reportkit.model import AnnualReport
from reportkit.nextyear import next_year, next_year_form, next_year_toml, texts_of
from reportkit.xlsx_form import read_form
from reportkit.xlsx_layout import FORM_KIND, FieldCell, field_cells

ROOT = Path(__file__).resolve().parent.parent
COUNTY = ROOT / "examples" / "county"
#: The county's 2022 reports that check clean (沙塘镇 is wrong on purpose).
CLEAN = sorted(p for p in COUNTY.glob("*-2022.*") if not p.name.startswith("shatang"))
CROSS_YEAR = {"previous.carried_over", "previous.in_force"}


def _counts(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [v for value in data.values() for v in _counts(value)]
    if isinstance(data, list):
        return [v for value in data for v in _counts(value)]
    return [data]


@pytest.mark.parametrize("path", [*CLEAN, COUNTY / "shatang-2022.toml"], ids=lambda p: p.name)
def test_the_rollover_of_each_county_report(path: Path) -> None:
    last = load(path)
    new = next_year(last)
    assert new.year == last.year + 1
    assert new.agency == last.agency
    assert new.report.signed_on is None and new.report.published_on is None
    assert new.applications.carried_over.values() == last.applications.carried_forward.values()
    assert new.applications.carried_over.declared_total is None
    for row in ("regulations", "normative_documents"):
        this, before = getattr(new.proactive, row), getattr(last.proactive, row)
        assert (this.issued, this.repealed, this.in_force) == (0, 0, before.in_force)
    # every other count is 0
    data = unstructure(new)
    others = dict(data["applications"])
    del others["carried_over"]
    assert set(_counts(others)) <= {0}
    assert set(_counts(data["review_litigation"])) <= {0}
    proactive = {k: v for k, v in data["proactive"].items() if k not in ("regulations", "normative_documents")}
    assert set(_counts(proactive)) <= {0}
    assert all(not section.text for section in text_sections(new))
    fees = new.other.information_fees
    assert fees is None or (fees.notices, fees.notified_yuan, fees.collected_yuan) == (0, 0, 0)
    # no carry-over or 现行有效 finding against last year; the missing date is an error until filled
    findings = check(new, last)
    assert not [f for f in findings if f.code in CROSS_YEAR]
    assert "dates.signed_missing" in {f.code for f in findings}
    assert "text.missing" in {f.code for f in findings}


def test_the_toml_file_keeps_last_years_texts_as_comments_only() -> None:
    last = load(COUNTY / "education-2022.toml")
    text = next_year_toml(last)
    new = loads(text)
    assert new == next_year(last)
    assert all(not section.text for section in text_sections(new))
    texts = texts_of(last)
    assert texts
    for field, old in texts.items():
        for line in old.splitlines():
            if line.strip():
                assert f"#   {line}" in text, field
    # the comments are the only place last year's texts stand
    data = tomllib.loads(text)
    assert not any(isinstance(v, str) and v in texts.values() for v in _counts(data))
    assert "上年（2022年度）内容" in text


def test_a_text_with_control_characters_stays_a_comment() -> None:
    last = load(COUNTY / "finance-2022.toml")
    odd = "第一行\r第二行\u2028第三行\x7f尾\x85末\t制表"
    data = unstructure(last)
    data["problems"]["text"] = odd
    last = structure(data)
    text = next_year_toml(last)
    assert loads(text) == next_year(last)


def test_the_form_keeps_last_years_texts_in_a_side_column(tmp_path: Path) -> None:
    last = load(COUNTY / "chengguan-2022.toml")
    path = tmp_path / "next.xlsx"
    path.write_bytes(next_year_form(last))
    book = load_workbook(path)
    sheet = book["文字部分"]
    side = [c.value for row in sheet.iter_rows(min_col=3, max_col=3) for c in row if c.value]
    assert "上年（2022年度）内容" in side[0]
    assert last.overview.on_request in side and last.problems.text in side
    # filled in, the form reads as next year's report: the side column is never read
    signed = _form_cell("report.signed_on")
    book[signed.sheet][signed.coord] = dt.date(2024, 1, 20)
    book.save(path)
    read = read_form(path)
    new = next_year(last)
    assert read.overview == new.overview and read.problems == new.problems
    assert read.applications == new.applications and read.proactive == new.proactive
    assert read.report.signed_on == dt.date(2024, 1, 20)


def _form_cell(field: str) -> FieldCell:
    return next(cell for cell in field_cells(FORM_KIND) if cell.field == field)


def test_the_carries_follow_the_formats_chain_rules() -> None:
    from reportkit.formats import format_for_year
    from reportkit.nextyear import _carries

    gov2021, gov2019 = format_for_year(2022), format_for_year(2019)
    assert {(c.column, b.key) for c, b in _carries(gov2021.id, gov2021)} == {("in_force", "article20_1")}
    if gov2019.id != gov2021.id:  # the 2019 trial format: 对外公开总数量 carried, 上一年项目数量 summed
        columns = {c.column for c, _ in _carries(gov2019.id, gov2019)}
        assert columns == {"published_total", "items_last_year"}
        assert _carries(gov2019.id, gov2021) == []  # 2020 → 2021: table 二 counts other things


def test_across_a_change_of_format_only_the_carry_over_is_carried() -> None:
    from reportkit.formats import format_for_year

    if format_for_year(2020).id == format_for_year(2021).id:
        pytest.skip("one format only")
    data = unstructure(load(COUNTY / "chengguan-2022.toml"))
    data["format"] = format_for_year(2020).id
    data["report"]["year"] = 2020
    data["report"]["signed_on"] = dt.date(2021, 1, 20)
    data["report"].pop("published_on", None)
    data.pop("proactive", None)
    # the 2019 format has one （六）其他处理 row: the sum of the 2021 format's three
    other = load(COUNTY / "chengguan-2022.toml").applications.other_handling
    rows = [other.no_correction.values(), other.unpaid_fee.values(), other.other.values()]
    data["applications"]["other_handling"] = [sum(column) for column in zip(*rows, strict=True)]
    last = structure(data)
    new = next_year(last)
    assert new.year == 2021 and new.format == format_for_year(2021).id
    assert new.applications.carried_over.values() == last.applications.carried_forward.values()
    assert not [f for f in check(new, last) if f.code == "previous.carried_over"]


def test_next_year_is_public() -> None:
    assert reportkit.next_year is next_year
    assert "next_year" in reportkit.__all__


# ---------------------------------------------------------------------------------------------------
# Three years of the county
# ---------------------------------------------------------------------------------------------------


def _sentences(own: Path) -> list[str]:
    """Sentences of the other agencies' 2022 texts, to write later years' texts from: not the agency's own
    (that would be a copy of last year), and none stating a table figure (it would hold for 2022 only)."""
    found: list[str] = []
    for path in CLEAN:
        if path == own:
            continue
        report = load(path)
        for section in text_sections(report):
            for sentence in section.text.replace("\n", "").split("。"):
                if len(sentence) > 12 and not list(_claims(sentence, report.year, report.layout)):
                    found.append(sentence)
    return found


def _fill(new: AnnualReport, step: int, pool: list[str]) -> AnnualReport:
    """What an office does with next year's file: this year's figures (balanced), texts and signing date."""
    data = unstructure(new)
    year = new.year
    apps = data["applications"]
    carried = apps["carried_over"]
    fresh = [step + 2, step % 2, 0, 1, 0, 0]
    apps["new"] = fresh
    forward = [min(1, c + n) for c, n in zip(carried, fresh, strict=True)]
    apps["carried_forward"] = forward
    apps["disclosed"] = [c + n - f for c, n, f in zip(carried, fresh, forward, strict=True)]
    block = data["proactive"]["normative_documents"]
    block["issued"], block["repealed"] = step + 1, 1
    block["in_force"] += step
    data["proactive"]["licensing"] = 10 * step
    data["report"]["signed_on"] = dt.date(year + 1, 1, 15)
    # every section from other sentences each year (no copy of last year), with this year's year in it
    sections = [s.field for s in text_sections(new)]
    for index, field in enumerate(sections):
        head, _, tail = field.partition(".")
        # three sentences per section, none used the year before
        picked = [pool[(3 * len(sections) * step + 3 * index + k) % len(pool)] for k in range(3)]
        text = "。".join(p.replace("2022", str(year)).replace("2021", str(year - 1)) for p in picked) + "。"
        if field == "problems.text":
            text += "下一步，将针对上述问题逐项改进，完善制度，加强培训。"
        if field in ("report.preamble", "overview.intro"):
            text = ""
        target = data["report"] if head == "report" else data[head]
        target["preamble" if head == "report" else tail] = text
    return structure(data)


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_three_years_of_a_county_report(path: Path) -> None:
    pool = _sentences(path)
    assert len(pool) >= 2 * 3 * len(text_sections(load(path)))
    previous = load(path)
    for step in (1, 2, 3):
        new = next_year(previous)
        assert not [f for f in check(new, previous) if f.code in CROSS_YEAR]
        filled = _fill(new, step, pool)
        assert filled.year == 2022 + step
        findings = check(filled, previous)
        assert findings == [], [str(f) for f in findings]
        cross = [f for f in check_evaluators(filled, previous) if f.code.startswith("previous.")]
        assert cross == [], [str(f) for f in cross]
        previous = filled


# ---------------------------------------------------------------------------------------------------
# reportkit next
# ---------------------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_next_writes_an_annotated_toml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    last = COUNTY / "chengguan-2022.toml"
    target = tmp_path / "城关镇-2023.toml"
    code, out, err = run(capsys, "next", str(last), "-o", str(target))
    assert code == EXIT_OK, err
    assert "隆德县城关镇2023年政府信息公开工作年度报告" in out and "--previous" in out
    assert loads(target.read_text(encoding="utf-8")) == next_year(load(last))
    # checked against last year: only what the office must fill in
    code, out, _ = run(capsys, "check", str(target), "--previous", str(last))
    assert "previous.carried_over" not in out and "previous.in_force" not in out
    assert "dates.signed_missing" in out


def test_next_from_a_filled_form_to_a_form(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    last = COUNTY / "shenlin-2022.xlsx"
    target = tmp_path / "shenlin-2023.xlsx"
    code, out, err = run(capsys, "next", str(last), "-o", str(target))
    assert code == EXIT_OK, err
    assert "文字部分" in out
    book = load_workbook(target)
    signed = _form_cell("report.signed_on")
    book[signed.sheet][signed.coord] = dt.date(2024, 1, 10)
    book.save(target)
    read = read_form(target)
    assert read.year == 2023 and read.agency == load(last).agency
    assert read.applications.carried_over.values() == load(last).applications.carried_forward.values()


def test_next_to_json_says_the_texts_are_not_kept(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "next.json"
    code, out, _ = run(capsys, "next", str(COUNTY / "finance-2022.toml"), "-o", str(target))
    assert code == EXIT_OK
    assert "未保留" in out
    assert json.loads(target.read_text(encoding="utf-8"))["report"]["year"] == 2023


def test_next_refuses_to_overwrite(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "next.toml"
    target.write_text("mine", encoding="utf-8")
    code, out, _ = run(capsys, "next", str(COUNTY / "finance-2022.toml"), "-o", str(target))
    assert code == EXIT_UNREADABLE and "--force" in out
    assert target.read_text(encoding="utf-8") == "mine"
    code, _, _ = run(capsys, "next", str(COUNTY / "finance-2022.toml"), "-o", str(target), "--force")
    assert code == EXIT_OK


def test_next_refuses_an_unknown_output_kind(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "next", str(COUNTY / "finance-2022.toml"), "-o", str(tmp_path / "next.docx"))
    assert code == EXIT_UNREADABLE and ".toml" in out
    assert not (tmp_path / "next.docx").exists()


def test_next_from_a_published_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    last = load(COUNTY / "chengguan-2022.toml")
    page = tmp_path / "城关镇2022年报告.html"
    page.write_text(reportkit.render_html(last), encoding="utf-8")
    target = tmp_path / "2023.toml"
    code, out, err = run(capsys, "next", str(page), "-o", str(target))
    assert code == EXIT_OK, err
    new, expected = load(target), next_year(last)
    assert new.year == 2023
    assert new.applications == expected.applications and new.proactive == expected.proactive
    assert "待核对" not in out  # the page reads back at high confidence
    # and the cross-year check against the published page itself
    code, out, _ = run(capsys, "check", str(target), "--previous", str(page))
    assert "previous.carried_over" not in out and "previous.in_force" not in out
    assert "dates.signed_missing" in out


def test_next_from_a_published_report_flags_a_missing_carried_row(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    last = load(COUNTY / "chengguan-2022.toml")
    html = reportkit.render_html(last)
    start = html.index("<tr>", html.index("结转下年度继续办理</th>") - 200)
    end = html.index("</tr>", start) + len("</tr>")
    page = tmp_path / "报告.html"
    page.write_text(html[:start] + html[end:], encoding="utf-8")  # a page that lost the row
    target = tmp_path / "2023.toml"
    code, out, err = run(capsys, "next", str(page), "-o", str(target))
    assert code == EXIT_OK, err
    assert "待核对" in out and "applications.carried_forward.natural_person" in out
    # the message names the file and the cell in the official labels, not only the model key
    layout = last.layout.applications_table
    labels = f"“{layout.row('carried_forward').short_label}”的“{layout.column('natural_person').short_label}”"
    assert f"发布的报告 {page} 中没有找到{labels}（applications.carried_forward.natural_person）" in out
    assert load(target).applications.carried_over.values() == (0, 0, 0, 0, 0, 0)
