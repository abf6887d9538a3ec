"""The benchmark script runs (``--quick``) and its harness refuses wrong outputs; figures are read, never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import baselines  # noqa: E402
import inputs  # noqa: E402
from harness import Contender, interleaved, spread  # noqa: E402
from inprocess import Validity  # noqa: E402

import reportkit  # noqa: E402
from reportkit.render.docx import build_context  # noqa: E402


@pytest.mark.slow
def test_quick_run_measures_every_group_with_valid_outputs(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(figures)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(figures.read_text(encoding="utf-8"))
    assert results["machine"]["cores"] >= 1 and results["machine"]["cpu_model"] is not None
    for group, reference in (("render_docx", "reportkit render_docx"), ("render_xlsx", "reportkit render_xlsx")):
        contenders = results[group]["contenders"]
        assert {"floor", reference} <= set(contenders)
        assert len(contenders) >= 3  # reportkit, at least one baseline, the floor
        for name, entry in contenders.items():
            assert entry["valid"], (group, name, entry.get("problems"))
            assert entry["outputs_checked"] >= 2, (group, name)
            assert entry["wall_s"]["n"] == results["settings"]["rounds"]
            assert entry["wall_s"]["min"] <= entry["wall_s"]["median"] <= entry["wall_s"]["max"]
            assert "first_call" in entry
        assert contenders[reference]["vs_floor"]["wall"]["median"] > 0
        assert all("vs_reportkit" in e for n, e in contenders.items() if n != reference)
    assert set(results["check"]["contenders"]) >= {"check", "check with previous"}
    cold = results["cold"]["contenders"]
    assert "vs_import_deps" in cold["reportkit check FILE"]
    assert cold["first render: reportkit docx"]["to_first_output_s"]["median"] > 0
    (batch,) = results["batch"].values()
    assert batch["valid"] and batch["files"] == 2 * batch["good"]
    assert batch["with_errors"] >= 1 and batch["forms"] >= 1 and batch["unreadable"] >= 1
    assert batch["cpu_s"] > 0 and batch["peak_pss_sum_mb"] > 0 and batch["parent_peak_rss_mb"] > 0
    aggregate = batch["aggregate"]
    assert aggregate["same_workbook"] and len(aggregate["runs"]) == 2  # parallel and serial: the same sums
    assert "skipped" in results["pdf"] or results["pdf"]["contenders"]["reportkit batch --pdf"]["vs_one_soffice"]
    for label in ("render_docx", "render_xlsx", "check", "cold", "batch", "pdf", "× floor"):
        assert label in done.stdout


def test_a_baseline_that_leaves_out_a_figure_is_reported_invalid() -> None:
    reports = inputs.variants(2)
    template = (ROOT / "templates" / "docx" / "annual-report-2021.v1.docx").read_bytes()
    filler = baselines.PythonDocxFiller(template)

    def wrong(index: int) -> bytes:
        context = build_context(reports[index])
        context["applications"]["new"]["business"] = "0"  # a fast renderer that skips a cell
        return filler.render(context)

    expected = [baselines.docx_content(reportkit.render_docx(report)) for report in reports]
    validity = Validity(expected, baselines.docx_content)
    contenders = [
        Contender("right", lambda i: filler.render(build_context(reports[i]))),
        Contender("wrong", wrong),
        Contender("broken", lambda i: b"not a zip"),
    ]
    results = interleaved(contenders, 2, len(reports), warmups=1, validate=validity)
    validity.annotate(results)
    assert results["right"]["valid"]
    assert not results["wrong"]["valid"] and "expected" in results["wrong"]["problems"][0]
    assert not results["broken"]["valid"] and "cannot be opened" in results["broken"]["problems"][0]


def test_the_floor_writes_a_file_that_opens_with_the_same_content() -> None:
    first, second = (reportkit.render_xlsx(report) for report in inputs.variants(2))
    changed = baselines.changed_members(first, second)
    assert changed and all(name.startswith(("xl/worksheets/", "docProps/")) for name in changed)  # + properties
    floor = baselines.Floor(first, changed)
    assert baselines.xlsx_content(floor.render(baselines.parts_of(second, changed))) == baselines.xlsx_content(second)


def test_spread_and_ratios_are_per_round() -> None:
    calls = {"a": 0, "b": 0}

    def counting(name: str) -> Contender:
        def call(index: int) -> int:
            calls[name] += 1
            return index

        return Contender(name, call, "reportkit" if name == "a" else "floor")

    results = interleaved([counting("a"), counting("b")], 5, 3, warmups=2)
    assert calls == {"a": 7, "b": 7}
    assert results["a"]["wall_s"]["n"] == 5 and "vs_floor" in results["a"]
    assert spread([3.0, 1.0, 2.0]) == {"median": 2.0, "q1": 1.5, "q3": 2.5, "min": 1.0, "max": 3.0, "n": 3}


def test_the_county_written_is_the_county_in_memory(tmp_path: Path) -> None:
    folder = inputs.write_batch_inputs(tmp_path / "county", 40)
    agencies = list(inputs.county_agencies(40))
    assert len(agencies) == folder.agencies
    assert sum(a.is_form for a in agencies) == folder.forms >= 1
    assert sum(a.broken for a in agencies) == folder.with_errors >= 1
    assert sum(a.unreadable for a in agencies) == folder.unreadable >= 1
    for agency in agencies:
        if not agency.is_form and not agency.unreadable:
            assert reportkit.load(folder.inputs / f"{agency.stem}.toml") == agency.report


def test_the_phases_of_a_worker_are_all_timed() -> None:
    import phases

    read, timed = phases.measure(40)
    assert read == 40 - 1  # one unreadable file
    assert set(timed) == {
        "read the TOML file",
        "read the form (.xlsx)",
        "read last year's file (index phase)",
        "unpickle last year's report",
        "check",
        "evaluators",
        "PeerText, pickled",
        "render_docx",
        "render_xlsx",
        "write the temporaries",
    }
    calls = {phase: count for phase, (count, _) in timed.items()}
    assert calls["check"] == read and calls["render_docx"] == calls["render_xlsx"] < read  # errors are not rendered
    assert calls["write the temporaries"] == 2 * calls["render_docx"]
    assert all(cpu >= 0 for _, cpu in timed.values())


def test_the_county_peers_benchmark_compares_the_county() -> None:
    import evaluators as peers_benchmark

    figures = peers_benchmark.bench_county_peers(60)
    assert figures["agencies"] == 60 - 1 and figures["findings"] == 0  # the county's agencies write their own
    assert figures["peers_cpu_s"] > 0


def test_the_agency_counts_are_whole_positive_numbers() -> None:
    import argparse

    assert inputs.agency_counts("1000,10000") == [1000, 10000]
    for wrong in ("", "abc", "0", "1000,", "10,x", "-5"):
        with pytest.raises(argparse.ArgumentTypeError, match="whole numbers of agencies"):
            inputs.agency_counts(wrong)


def test_the_toml_benchmark_times_both_readers(capsys: pytest.CaptureFixture[str]) -> None:
    import toml_read

    assert toml_read.main(["--agencies", "6", "--rounds", "2"]) == 0
    out = capsys.readouterr().out
    assert "tomllib" in out and "tomlreader" in out and "÷" in out
    assert out.startswith("10 files")  # six agencies, one unreadable, two files each
