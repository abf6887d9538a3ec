"""Speed of the evaluators' checks: one report against last year's, huge texts, and a batch's peers.

    PYTHONPATH=src python benchmarks/evaluators.py              # 10,000 agencies for peer_findings
    PYTHONPATH=src python benchmarks/evaluators.py --agencies 1000
    PYTHONPATH=src python benchmarks/evaluators.py --county --agencies 10000,20000   # the batch's county

Generated texts: words of two or three characters drawn with Zipf weights, about 300 characters a section,
every agency's lead paragraph opening with the same template; 1 % of the agencies copy a section of another.
With ``--county``, the peers comparison runs instead over the agencies of the batch benchmark's county
(``inputs.county_agencies``: the county's template texts, which share phrases, and each agency's own
sentences), as a batch's parent gets them from its workers (``PeerText``), timed in CPU and wall time.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import attrs
import inputs

from reportkit import AnnualReport, load
from reportkit.evaluators import PeerText, check_evaluators, peer_findings
from reportkit.model import Overview

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "examples" / "county"

_CHARS = [chr(c) for c in range(0x4E00, 0x4E00 + 6000) if chr(c) not in set("零〇一二三四五六七八九十年月日两")]
_WORDS = ["".join(random.Random(i).choice(_CHARS) for _ in range(2 + i % 2)) for i in range(5000)]
_CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(_WORDS))))
TEMPLATE = (
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署。"
)


def _text(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < chars:
        sentence = "".join(rng.choices(_WORDS, cum_weights=_CUMULATIVE, k=rng.randint(6, 12))) + "。"
        out.append(sentence)
        size += len(sentence)
    return "".join(out)


def _agency(base: AnnualReport, index: int) -> AnnualReport:
    rng = random.Random(index)
    overview = Overview(
        intro=TEMPLATE + _text(rng, 100),
        **{key: _text(rng, 300) for key in ("proactive", "on_request", "management", "platforms", "oversight")},
    )
    return attrs.evolve(
        base,
        agency=attrs.evolve(base.agency, name=f"第{index}号单位"),
        overview=overview,
        problems=attrs.evolve(base.problems, text=_text(rng, 300)),
        other=attrs.evolve(base.other, text=_text(rng, 100)),
    )


def bench_pair(repeat: int) -> dict[str, float]:
    pairs = [(load(p), load(COUNTY / "previous" / p.name.replace("2022", "2021"))) for p in COUNTY.glob("*-2022.toml")]
    times = []
    for _ in range(repeat):
        for report, previous in pairs:
            start = time.perf_counter()
            check_evaluators(report, previous)
            times.append(time.perf_counter() - start)
    rng = random.Random(1)
    huge_old = _text(rng, 100_000)
    report, previous = pairs[0]
    huge_now = attrs.evolve(report, other=attrs.evolve(report.other, text=huge_old[:60_000] + _text(rng, 40_000)))
    huge_last = attrs.evolve(previous, other=attrs.evolve(previous.other, text=huge_old))
    start = time.perf_counter()
    check_evaluators(huge_now, huge_last)
    return {"pair_ms": statistics.median(times) * 1000, "huge_pair_ms": (time.perf_counter() - start) * 1000}


def bench_peers(agencies: int) -> dict[str, float]:
    base = load(COUNTY / "finance-2022.toml")
    reports = [(f"{i:05d}.toml", _agency(base, i)) for i in range(agencies)]
    rng = random.Random(2)
    for _ in range(agencies // 100):  # 1 % copy a section of another agency
        a, b = rng.sample(range(agencies), 2)
        source, report = reports[b]
        copied = attrs.evolve(report.overview, platforms=reports[a][1].overview.platforms)
        reports[b] = (source, attrs.evolve(report, overview=copied))
    chars = sum(len(r.overview.platforms) * 8 for _, r in reports)
    start = time.perf_counter()
    found = peer_findings(reports)
    seconds = time.perf_counter() - start
    return {
        "agencies": agencies,
        "text_chars": chars,
        "peers_s": seconds,
        "findings": sum(len(f) for f in found.values()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def bench_county_peers(agencies: int) -> dict[str, float]:
    records = [
        (f"{agency.stem}.toml", PeerText.of(agency.report))
        for agency in inputs.county_agencies(agencies)
        if not agency.unreadable
    ]
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    found = peer_findings(records)
    cpu, seconds = time.process_time() - cpu, time.perf_counter() - start
    return {
        "agencies": len(records),
        "peers_s": seconds,
        "peers_cpu_s": cpu,
        "cpu_ms_per_agency": 1000 * cpu / len(records),
        "findings": sum(len(f) for f in found.values()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--agencies",
        type=inputs.agency_counts,
        default="10000",
        help="how many agencies (comma-separated: one run each)",
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--county", action="store_true", help="peers only, over the batch benchmark's county")
    args = parser.parse_args(argv)
    if args.county:
        runs = [bench_county_peers(size) for size in args.agencies]
    else:
        runs = [bench_pair(args.repeat), *(bench_peers(size) for size in args.agencies)]
    for run in runs:
        for name, value in run.items():
            print(f"{name}: {value:.3g}" if isinstance(value, float) else f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
