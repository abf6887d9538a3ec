"""The label mapper: published documents placed on the official cells, by label, with confidence."""

from __future__ import annotations

from decimal import Decimal

import pytest

from docx_helpers import full_report
from published_support import PUBLISHED, REFERENCE
from reportkit.formats import get_format
from reportkit.formats.layout import label_path
from reportkit.published import Confidence, Semantics, read_published
from reportkit.published.mapping import official_values
from reportkit.render.docx import render_docx

LAYOUT = get_format("gov-info-annual-report/2021")
TABLE3 = LAYOUT.applications_table


def _row_keys() -> list[str]:
    return [f"applications.{leaf.key}" for leaf in TABLE3.row_leaves]


def test_pingtan_2025_page_every_cell_at_high_confidence() -> None:
    extraction = read_published(PUBLISHED / "pingtan-2025.html")
    cells = extraction.cells
    assert len(cells) == len(official_values(full_report(), LAYOUT))
    assert not extraction.missing and not extraction.unmapped
    assert {c.confidence for c in cells.values()} == {Confidence.HIGH}
    assert cells["applications.new.natural_person"].value == 151
    assert cells["applications.new.total"].value == 154
    assert cells["applications.withheld.internal_affairs.natural_person"].value == 3
    assert cells["applications.other_handling.other.natural_person"].value == 1  # 3.其他 is a row, not the column
    assert cells["applications.total.total"].value == 148
    assert cells["review_litigation.review.upheld"].value == 25
    assert cells["review_litigation.litigation_after_review.total"].value == 3
    assert cells["proactive.normative_documents.in_force"].value == 546
    assert cells["proactive.fees_wan_yuan"].value == Decimal("4166.241619")  # as printed
    report = extraction.report
    assert report.year == 2025 and report.agency.name == "平潭综合实验区"
    assert report.applications.declared_total is not None and report.applications.declared_total.declared_total == 148
    assert report.applications.row("unavailable.not_held").declared_total == 50
    assert report.review_litigation.review.declared_total == 36
    assert extraction.variants == {"proactive": "2021", "applications": "2021", "review_litigation": "2021"}
    where = cells["applications.new.natural_person"].where
    assert where.path.endswith("td[2]") or where.column is not None
    assert "总体情况" not in report.overview.on_request and report.overview.on_request  # sections split


def test_reportkit_docx_reads_back_exactly() -> None:
    report = full_report()
    extraction = read_published(render_docx(report), name="report.docx")
    truth = official_values(report, LAYOUT)
    got = {key: cell.value for key, cell in extraction.cells.items()}
    assert got == truth
    assert all(c.confidence is Confidence.HIGH for c in extraction.cells.values())
    assert extraction.report.applications == report.applications.__class__(
        **{
            name: getattr(extraction.report.applications, name)
            for name in (
                "new",
                "carried_over",
                "disclosed",
                "partly_disclosed",
                "withheld",
                "unavailable",
                "not_processed",
                "other_handling",
                "carried_forward",
                "declared_total",
            )
        }
    )


def test_longde_scrape_maps_all_25_rows_of_table_3() -> None:
    extraction = read_published(REFERENCE / "longde-chengguan-2021.txt")
    mapped = {key.rsplit(".", 1)[0] for key in extraction.cells if key.startswith("applications.")}
    assert mapped == set(_row_keys())
    assert len(mapped) == 25
    assert all(c.confidence is Confidence.LOW for c in extraction.cells.values())  # a scrape is never sure
    assert extraction.report.agency.name == "隆德县城关镇" and extraction.report.year == 2021


def test_glued_digits_are_several_numbers_with_their_candidates() -> None:
    extraction = read_published(PUBLISHED / "pingtan-2025.txt")
    cell = extraction.cells["applications.new.natural_person"]
    assert cell.semantics is Semantics.SEVERAL and cell.value is None and cell.confidence is Confidence.LOW
    assert cell.raw == "15130000154"
    assert "151 3 0 0 0 0 154" in cell.candidates
    # every candidate fits the row's own 总计; none is chosen
    for candidate in cell.candidates:
        numbers = [int(n) for n in candidate.split()]
        assert sum(numbers[:-1]) == numbers[-1]
    assert extraction.report.applications.new.natural_person == 0  # not guessed into the model


def test_blank_template_cells_are_empty_not_zero() -> None:
    extraction = read_published(PUBLISHED / "blank-template-2021.docx")
    assert extraction.cells and {c.semantics for c in extraction.cells.values()} == {Semantics.EMPTY}
    assert all(c.value is None for c in extraction.cells.values())


def test_old_free_form_report_is_not_a_known_format() -> None:
    extraction = read_published(PUBLISHED / "pingtan-2018.html")
    assert not extraction.cells
    assert any("旧版自由格式" in note.message for note in extraction.notes)


def _table3_html(rows: list[tuple[str, str, list[str]]]) -> bytes:
    head = "".join(f"<td>{leaf.label}</td>" for leaf in TABLE3.column_leaves)
    body = "".join(
        f"<tr><td>{group}</td><td>{label}</td>" + "".join(f"<td>{v}</td>" for v in values) + "</tr>"
        for group, label, values in rows
    )
    title = "<p>某县2022年政府信息公开工作年度报告</p>"
    return f"<html><body>{title}<table><tr><td></td><td></td>{head}</tr>{body}</table></body></html>".encode()


def _labelled_rows(misprint: dict[str, str] | None = None) -> list[tuple[str, str, list[str]]]:
    rows = []
    for number, leaf in enumerate(TABLE3.row_leaves):
        path = label_path(TABLE3.rows, leaf.key)
        group = "".join(path[:-1])
        label = (misprint or {}).get(leaf.key, path[-1])
        rows.append((group, label, [str(number)] * 7))
    return rows


def test_a_misprinted_label_is_placed_but_not_at_high_confidence() -> None:
    leaf = TABLE3.row("withheld.third_party_rights")
    misprinted = leaf.label[:-2] + "利益"
    extraction = read_published(_table3_html(_labelled_rows({leaf.key: misprinted})), name="t.html")
    cell = extraction.cells["applications.withheld.third_party_rights.natural_person"]
    number = [leaf.key for leaf in TABLE3.row_leaves].index("withheld.third_party_rights")
    assert cell.value == number
    assert cell.confidence is not Confidence.HIGH and cell.matched == "fuzzy"
    assert extraction.cells["applications.withheld.state_secret.natural_person"].confidence is Confidence.HIGH


def test_the_2019_single_row_of_group_6_is_a_variant() -> None:
    group = next(node for node in TABLE3.rows[2].children if getattr(node, "key", "") == "other_handling")  # type: ignore[union-attr]
    rows = [r for r in _labelled_rows() if not r[0].endswith(group.label)]
    at = next(i for i, r in enumerate(rows) if r[1].startswith("（七）"))
    rows.insert(at, (TABLE3.rows[2].label, group.label, ["9"] * 7))  # type: ignore[union-attr]
    extraction = read_published(_table3_html(rows), name="t.html")
    assert extraction.variants["applications"] == "2019-row"
    assert extraction.cells["applications.other_handling.natural_person"].value == 9
    assert not any(key.startswith("applications.other_handling.") for key in extraction.missing)
    assert extraction.report.applications.other_handling.no_correction.natural_person == 9
    # the note names the format that lists the group as one row by its notice, as the format value holds it
    one_row = get_format("gov-info-annual-report/2019")
    assert any(f"other_handling：按{one_row.notice}的格式只列一行" in problem.message for problem in extraction.notes)


@pytest.mark.parametrize("placeholder", ["/", "—", "无", ""])
def test_placeholders_are_not_applicable_or_empty(placeholder: str) -> None:
    rows = _labelled_rows()
    rows[0] = (rows[0][0], rows[0][1], [placeholder, *rows[0][2][1:]])
    extraction = read_published(_table3_html(rows), name="t.html")
    cell = extraction.cells["applications.new.natural_person"]
    assert cell.value is None
    assert cell.semantics is (Semantics.EMPTY if not placeholder else Semantics.NOT_APPLICABLE)
    from reportkit.values import Blank

    held = extraction.report.applications.new.natural_person
    assert isinstance(held, Blank)  # the model holds no number either, never a 0
    assert str(held) == {"": "", "/": "/"}.get(placeholder, "不适用")


def test_a_scrape_row_with_a_number_lost_or_glued_is_never_placed_by_order() -> None:
    lines = ["某县2022年政府信息公开工作年度报告", LAYOUT.applications.heading]
    for number, leaf in enumerate(TABLE3.row_leaves):
        values = [str(number)] * 6 + [str(6 * number)]
        lines.append(f"{leaf.label} {' '.join(values)}")
    first = TABLE3.row_leaves[0].label
    lines[2] = f"{first} 0 00 0 0 0 0"  # two zeros glued: six tokens for seven columns
    extraction = read_published("\n".join(lines).encode(), name="dump.txt")
    cell = extraction.cells["applications.new.natural_person"]
    assert cell.semantics is Semantics.SEVERAL and cell.value is None and cell.confidence is Confidence.LOW
    assert cell.candidates == ("0 0 0 0 0 0 0",)  # the only reading that fits the row's 总计
    assert extraction.cells["applications.carried_over.natural_person"].value == 1


def test_a_label_that_lost_characters_still_maps_in_order() -> None:
    lines = ["某县2022年政府信息公开工作年度报告"]
    for block in LAYOUT.proactive_blocks:
        for leaf in block.rows:
            label = leaf.label[2:] if leaf.key == "penalty" else leaf.label
            lines.append(f"{label} {' '.join(['3'] * len(block.columns))}")
    extraction = read_published("\n".join(lines).encode(), name="dump.txt")
    assert extraction.cells["proactive.penalty"].value == 3
    assert extraction.cells["proactive.penalty"].matched == "fuzzy"
    assert extraction.cells["proactive.coercion"].value == 3


def test_read_published_is_part_of_the_public_api() -> None:
    import reportkit

    extraction = reportkit.read_published(PUBLISHED / "pingtan-2025.html")
    assert extraction.cells["applications.new.natural_person"].where.describe() == "第 2 个表格第 4 行第 4 列"


def test_a_traditional_character_copy_reads_the_same() -> None:
    from reportkit.published.normalize import _TRADITIONAL
    from reportkit.render.html import render_html

    to_traditional = {simple: old for old, simple in _TRADITIONAL.items()}
    report = full_report()
    page = "".join(to_traditional.get(ch, ch) for ch in render_html(report))
    assert page != render_html(report)
    extraction = read_published(page.encode(), name="r.html")
    assert {k: c.value for k, c in extraction.cells.items()} == official_values(report, LAYOUT)
    assert {c.confidence for c in extraction.cells.values()} == {Confidence.HIGH}
