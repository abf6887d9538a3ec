"""Reading the batch county's TOML files: tomllib against reportkit.tomlreader (its plain-subset fast path).

    PYTHONPATH=src python benchmarks/toml_read.py                 # 300 files of the batch county, 7 rounds
    PYTHONPATH=src python benchmarks/toml_read.py --agencies 1000 --rounds 11

The files are the batch benchmark's (``inputs.county_agencies``, written by ``reportkit.dumps`` as the benchmark
writes them), this year's and last year's. In each round both readers read every file, taking turns (which goes
first alternates); the figure is CPU time (``time.process_time``) per file, median and quartiles over the rounds,
with the ratio taken within each round. Each reader's answers are compared once: they must be equal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tomllib
from collections.abc import Callable
from typing import Any

from inputs import county_agencies

import reportkit
from reportkit import tomlreader
from reportkit.values import read_decimal


def _texts(agencies: int) -> list[str]:
    texts = []
    for agency in county_agencies(agencies):
        if not agency.unreadable:
            texts += [reportkit.dumps(agency.report, "toml"), reportkit.dumps(agency.last_year, "toml")]
    return texts


def _per_file(read: Callable[..., Any], texts: list[str]) -> float:
    start = time.process_time()
    for text in texts:
        read(text, parse_float=read_decimal)
    return (time.process_time() - start) / len(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=150, help="agencies of the county (two files each)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    texts = _texts(args.agencies)
    for text in texts:
        if tomlreader.loads(text, parse_float=read_decimal) != tomllib.loads(text, parse_float=read_decimal):
            print("the readers disagree on a file", file=sys.stderr)
            return 1
    readers = {"tomllib": tomllib.loads, "tomlreader": tomlreader.loads}
    times: dict[str, list[float]] = {name: [] for name in readers}
    ratios = []
    for round_ in range(args.rounds):
        order = list(readers) if round_ % 2 == 0 else list(reversed(readers))
        measured = {name: _per_file(readers[name], texts) for name in order}
        for name, seconds in measured.items():
            times[name].append(seconds)
        ratios.append(measured["tomlreader"] / measured["tomllib"])
    print(f"{len(texts)} files, {args.rounds} rounds, CPU per file: median [first quartile–third quartile]")
    for name, values in times.items():
        q1, median, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
        print(f"  {name:10s} {1000 * median:.3f} ms [{1000 * q1:.3f}–{1000 * q3:.3f}]")
    print(f"  tomlreader ÷ tomllib, within each round: {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
