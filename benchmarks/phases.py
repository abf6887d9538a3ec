"""Where a batch worker's time goes, phase by phase, in process: one agency after another as ``batch`` runs them.

    PYTHONPATH=src python benchmarks/phases.py                  # 600 agencies of the batch county
    PYTHONPATH=src python benchmarks/phases.py --agencies 100

The county is the batch benchmark's (``inputs.write_batch_inputs``: TOML files, filled Excel forms, a few with
errors, last year's reports), written to a temporary folder. Each agency goes through the worker's steps: read its
file, read last year's (as the index phase does, then unpickled as the worker gets it), ``check``, the evaluators'
rules, the ``PeerText`` record for the peers comparison (pickled), and for reports without errors ``render_docx``,
``render_xlsx`` and writing both as temporaries. The garbage collector's inherited objects are frozen, as in a
forked worker. CPU time (``time.process_time``) per phase: per call and per agency.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from inputs import agency_counts, write_batch_inputs

from reportkit import AnnualReport, Severity, check, formats, load
from reportkit.batch import _PeerLog
from reportkit.errors import ReportkitError
from reportkit.evaluators import PeerText, check_evaluators
from reportkit.fs import write_temporary
from reportkit.render import render, warm_up

T = TypeVar("T")


def _read_and_pickle(path: Path) -> bytes:
    """Last year's report read and pickled, as an index worker sends it to the parent's spool."""
    return pickle.dumps(load(path), pickle.HIGHEST_PROTOCOL)


def _listed(rules: Callable[..., Iterable[T]], *args: Any) -> list[T]:
    return list(rules(*args))


def _peer_record(source: str, report: AnnualReport) -> tuple[bytes, ...]:
    return _PeerLog.pickled(source, PeerText.of(report))  # as the worker sends it


def measure(agencies: int) -> tuple[int, dict[str, tuple[int, float]]]:
    """``(agencies read, {phase: (calls, CPU seconds)})``."""
    with tempfile.TemporaryDirectory(prefix="reportkit-phases-") as work:
        folder = write_batch_inputs(Path(work) / "county", agencies)
        out = Path(work) / "out"
        out.mkdir()
        last_year = {path.name.rsplit("-", 1)[0]: path for path in folder.previous.iterdir()}
        warm_up(("docx", "xlsx"), (formats.NEWEST,))
        gc.collect()
        gc.freeze()
        seconds: Counter[str] = Counter()
        calls: Counter[str] = Counter()

        def timed(phase: str, step: Callable[..., T], *args: Any, **kwargs: Any) -> T:
            start = time.process_time()
            value = step(*args, **kwargs)
            seconds[phase] += time.process_time() - start
            calls[phase] += 1
            return value

        for source in sorted(folder.inputs.iterdir()):
            phase = "read the form (.xlsx)" if source.suffix == ".xlsx" else "read the TOML file"
            try:
                report = timed(phase, load, source)
            except ReportkitError:
                continue  # unreadable: the worker reports it and stops there
            previous: AnnualReport | None = None
            if source.stem in last_year:
                spooled = timed("read last year's file (index phase)", _read_and_pickle, last_year[source.stem])
                previous = timed("unpickle last year's report", pickle.loads, spooled)
            findings = timed("check", check, report, previous)
            findings += timed("evaluators", _listed, check_evaluators, report, previous)
            timed("PeerText, pickled", _peer_record, str(source), report)
            if any(f.severity is Severity.ERROR for f in findings):
                continue
            for kind in ("docx", "xlsx"):
                data = timed(f"render_{kind}", render, kind, report, findings=findings)
                timed("write the temporaries", write_temporary, out / f"{source.stem}.{kind}", data)
        gc.unfreeze()
        read = calls["read the TOML file"] + calls["read the form (.xlsx)"]
        return read, {phase: (calls[phase], seconds[phase]) for phase in seconds}


def _one_count(text: str) -> int:
    counts = agency_counts(text)
    if len(counts) != 1:
        raise argparse.ArgumentTypeError(f"expected one number of agencies: {text!r}")
    return counts[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=_one_count, default=600, help="how many agencies")
    args = parser.parse_args(argv)
    read, phases = measure(args.agencies)
    print(f"{'phase':40s} {'calls':>6s} {'ms a call':>10s} {'ms an agency':>13s}")
    for phase, (count, cpu) in phases.items():
        print(f"{phase:40s} {count:6d} {1000 * cpu / count:10.3f} {1000 * cpu / read:13.3f}")
    total = sum(cpu for _, cpu in phases.values())
    print(f"{'all phases':40s} {'':6s} {'':10s} {1000 * total / read:13.3f}   ({read} agencies read)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
