"""The in-process benchmarks: render_docx and render_xlsx against their baselines and the floor, and check.

Each baseline's timed call starts from the report, as reportkit's does: it builds the same data (the Word
context, the workbook's values) and then renders. The floor starts from the finished XML. Every output is
checked against reportkit's output of the same report (:mod:`baselines` ``*_content``), so a baseline that
is fast because it leaves something out is reported invalid rather than fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import baselines
from harness import Contender, interleaved

import reportkit
from reportkit.model import AnnualReport


class Validity:
    """Collects, per contender, whether every checked output carried reportkit's content."""

    def __init__(self, expected: Sequence[Any], content: Callable[[bytes], Any]) -> None:
        self.expected = expected
        self.content = content
        self.checked: dict[str, int] = {}
        self.problems: dict[str, list[str]] = {}

    def __call__(self, contender: Contender, index: int, output: Any) -> None:
        self.checked[contender.name] = self.checked.get(contender.name, 0) + 1
        try:
            found = list(baselines.differences(self.expected[index], self.content(output)))
        except Exception as exc:  # a file the reader cannot open is the worst difference
            found = [f"cannot be opened: {type(exc).__name__}: {exc}"]
        if found:
            self.problems.setdefault(contender.name, []).extend(found[:5])

    def annotate(self, results: dict[str, Any]) -> None:
        for name, entry in results.items():
            entry["valid"] = name not in self.problems
            entry["outputs_checked"] = self.checked.get(name, 0)
            if name in self.problems:
                entry["problems"] = self.problems[name][:10]


def docx_group(variants: Sequence[AnnualReport], repetitions: int) -> dict[str, Any]:
    from reportkit.render.docx import build_context
    from reportkit.templates import find_template

    path = Path(find_template("docx", variants[0].format).path)
    template = path.read_bytes()
    outputs = [reportkit.render_docx(report) for report in variants]
    findings = [reportkit.check(report) for report in variants]  # a checked report, as the CLI and batch render it
    changed = baselines.changed_members(outputs[0], outputs[1])
    floor = baselines.Floor(outputs[0], changed)
    floor_parts = [baselines.parts_of(output, changed) for output in outputs]
    filler = baselines.PythonDocxFiller(template)
    reloading = baselines.PythonDocxFiller(template, reload=True)
    docxtpl = baselines.DocxtplRenderer(str(path))
    contenders = [
        Contender("reportkit render_docx", lambda i: reportkit.render_docx(variants[i], findings=findings[i]),
                  "reportkit", "a checked report (its findings given): fills the compiled template, zips"),
        Contender("reportkit render_docx + check", lambda i: reportkit.render_docx(variants[i]), "measure",
                  "checks the report (every rule), then renders"),
        Contender("python-docx", lambda i: filler.render(build_context(variants[i])), "baseline",
                  "pristine Document deep-copied per report"),
        Contender("python-docx, reload", lambda i: reloading.render(build_context(variants[i])), "baseline",
                  "Document parsed again per report"),
        Contender("docxtpl", lambda i: docxtpl.render(build_context(variants[i])), "baseline",
                  "one DocxTemplate, render() per report (docxtpl docs: Multiple rendering)"),
        Contender("floor", lambda i: floor.render(floor_parts[i]), "floor",
                  f"deflate {', '.join(changed)} (level {baselines.Floor.LEVEL}), the rest stored precompressed"),
    ]  # fmt: skip
    validity = Validity([baselines.docx_content(output) for output in outputs], baselines.docx_content)
    results = interleaved(contenders, repetitions, len(variants), validate=validity)
    validity.annotate(results)
    return {"contenders": results, "changed_parts": changed, "template": path.name}


def xlsx_fields(template: bytes) -> list[str]:
    book = baselines._load_workbook(template)
    return [field for field, _, _ in baselines.named_cells(book)]


def xlsx_values(report: AnnualReport, fields: Sequence[str]) -> dict[str, Any]:
    """The value of every named cell of the output workbook, from the report (public model API only)."""
    values: dict[str, Any] = {}
    for field in fields:
        head, _, rest = field.partition(".")
        value: Any
        if field == "title":
            value = report.title
        elif head == "draft":
            value = None
        elif field == "agency.kind":
            value = report.agency.kind.label
        elif field == "agency.title_name":
            value = report.agency.display_title_name
        elif head in ("agency", "report"):
            value = getattr(getattr(report, head), rest)
        elif head == "applications":
            row, _, column = rest.rpartition(".")
            value = report.applications.cell(row, column)
        elif head == "review_litigation":
            value = report.review_litigation.cell(rest)
        elif head == "proactive":
            value = report.proactive.value(rest)
        else:
            raise KeyError(field)
        values[field] = value
    return values


def xlsx_group(variants: Sequence[AnnualReport], repetitions: int) -> dict[str, Any]:
    from reportkit.render.xlsx import default_template_path

    path = default_template_path()
    template = path.read_bytes()
    fields = xlsx_fields(template)
    outputs = [reportkit.render_xlsx(report) for report in variants]
    findings = [reportkit.check(report) for report in variants]
    changed = baselines.changed_members(outputs[0], outputs[1])
    floor = baselines.Floor(outputs[0], changed)
    floor_parts = [baselines.parts_of(output, changed) for output in outputs]
    filler = baselines.OpenpyxlFiller(template)
    contenders = [
        Contender("reportkit render_xlsx", lambda i: reportkit.render_xlsx(variants[i], findings=findings[i]),
                  "reportkit", "a checked report (its findings given): fills the compiled sheet XML, zips"),
        Contender("reportkit render_xlsx + check", lambda i: reportkit.render_xlsx(variants[i]), "measure",
                  "checks the report (every rule), then renders"),
        Contender("openpyxl", lambda i: filler.render(xlsx_values(variants[i], fields)), "baseline",
                  "template loaded once, named cells written and saved per report"),
    ]  # fmt: skip
    skipped: dict[str, str] = {}
    try:
        builder = baselines.XlsxwriterBuilder.from_template(template)
    except ImportError:
        skipped["xlsxwriter"] = "not installed (pip install -e '.[bench]')"
    else:
        contenders.append(
            Contender("xlsxwriter", lambda i: builder.render(xlsx_values(variants[i], fields)), "baseline",
                      "the whole workbook built from scratch per report")
        )  # fmt: skip
    contenders.append(
        Contender("floor", lambda i: floor.render(floor_parts[i]), "floor",
                  f"deflate {len(changed)} changed parts (level {baselines.Floor.LEVEL}), the rest precompressed")
    )  # fmt: skip
    validity = Validity([baselines.xlsx_content(output) for output in outputs], baselines.xlsx_content)
    results = interleaved(contenders, repetitions, len(variants), validate=validity)
    validity.annotate(results)
    return {"contenders": results, "changed_parts": changed, "template": path.name, "skipped": skipped}


def check_group(variants: Sequence[AnnualReport], repetitions: int) -> dict[str, Any]:
    from inputs import COUNTY, previous_of

    last_year = reportkit.load(COUNTY / "previous" / "county-government-2021.toml")
    previous = [previous_of(report, last_year) for report in variants]
    texts = [reportkit.dumps(report) for report in variants]
    contenders = [
        Contender("check", lambda i: reportkit.check(variants[i]), "measure", "every rule, one report"),
        Contender("check with previous", lambda i: reportkit.check(variants[i], previous[i]), "measure",
                  "every rule and the cross-year rules"),
        Contender("loads (TOML)", lambda i: reportkit.loads(texts[i]), "measure", "figures text to model"),
    ]  # fmt: skip
    return {"contenders": interleaved(contenders, repetitions, len(variants))}
