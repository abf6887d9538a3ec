"""Interleaved timing: contenders take turns within each repetition, in a rotated order.

On a shared machine the load changes from second to second. Timing all of one contender, then all of
another, lets a change of load pass for a difference in speed; here every repetition runs each contender
once, starting with a different one each time, and ratios are taken within a repetition (the contenders
of one repetition ran under nearly the same load), then summarised over repetitions.

Every figure is a median with its spread (quartiles and extremes); warm-up calls are reported apart as
the first call in this process.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from attrs import frozen


@frozen
class Contender:
    """One way of doing the job: ``call(i)`` does it for input ``i`` and returns its output."""

    name: str
    call: Callable[[int], Any]
    role: str = "baseline"  #: "reportkit", "baseline" or "floor"
    note: str = ""


def spread(samples: Sequence[float]) -> dict[str, float]:
    """Median, quartiles and extremes of ``samples``."""
    ordered = sorted(samples)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {
        "median": statistics.median(ordered),
        "q1": q1,
        "q3": q3,
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


@frozen
class Sample:
    wall: float
    cpu: float


def _timed(call: Callable[[int], Any], index: int) -> tuple[Sample, Any]:
    gc.collect()  # each contender pays for its own garbage, not for the previous one's
    wall, cpu = time.perf_counter(), time.process_time()
    output = call(index)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Sample(wall, cpu), output


def interleaved(
    contenders: Sequence[Contender],
    repetitions: int,
    inputs: int,
    *,
    warmups: int = 2,
    validate: Callable[[Contender, int, Any], None] | None = None,
) -> dict[str, Any]:
    """Time ``contenders`` over ``repetitions`` rounds; round ``r`` uses input ``r % inputs`` for all.

    The first ``warmups`` calls of each contender (on input 0, then 1 …) are not counted; the first is
    reported as ``first_call``. ``validate(contender, input, output)`` is called on every warm-up output
    and on the last round's outputs (outside the timing).
    """
    first: dict[str, Sample] = {}
    for step in range(warmups):
        for contender in contenders:
            sample, output = _timed(contender.call, step % inputs)
            first.setdefault(contender.name, sample)
            if validate is not None:
                validate(contender, step % inputs, output)
    walls: dict[str, list[float]] = {c.name: [] for c in contenders}
    cpus: dict[str, list[float]] = {c.name: [] for c in contenders}
    count = len(contenders)
    for round_ in range(repetitions):
        order = [contenders[(round_ + k) % count] for k in range(count)]
        for contender in order:
            sample, output = _timed(contender.call, round_ % inputs)
            walls[contender.name].append(sample.wall)
            cpus[contender.name].append(sample.cpu)
            if validate is not None and round_ == repetitions - 1:
                validate(contender, round_ % inputs, output)
    return summarise(contenders, walls, cpus, first)


def summarise(
    contenders: Sequence[Contender],
    walls: dict[str, list[float]],
    cpus: dict[str, list[float]],
    first: dict[str, Sample],
) -> dict[str, Any]:
    """Per contender: wall and CPU spreads, the first call, and per-round ratios to reportkit and the floor."""
    references = {c.role: c.name for c in contenders if c.role in ("reportkit", "floor")}
    result: dict[str, Any] = {}
    for contender in contenders:
        name = contender.name
        entry: dict[str, Any] = {
            "role": contender.role,
            "note": contender.note,
            "wall_s": spread(walls[name]),
            "cpu_s": spread(cpus[name]),
        }
        if name in first:
            entry["first_call"] = {"wall_s": first[name].wall, "cpu_s": first[name].cpu}
        for role, reference in references.items():
            if reference == name:
                continue
            ratios = [a / b for a, b in zip(walls[name], walls[reference], strict=True) if b > 0]
            cpu_ratios = [a / b for a, b in zip(cpus[name], cpus[reference], strict=True) if b > 0]
            if ratios:
                entry[f"vs_{role}"] = {"wall": spread(ratios), "cpu": spread(cpu_ratios) if cpu_ratios else None}
        result[name] = entry
    return result


def per_round_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> dict[str, float]:
    """The spread of ``numerators[r] / denominators[r]`` over rounds ``r`` (measured in the same round)."""
    return spread([a / b for a, b in zip(numerators, denominators, strict=True) if b > 0])
