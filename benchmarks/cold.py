"""One cold start, run in a fresh process by the benchmark: ``python cold.py CONTENDER DATA.json OUT``.

From the script's first line to the first output in memory (imports, template load, render), then a second
render for comparison; prints the figures as JSON. reportkit starts from the figures file (``report``:
its own loader and check are part of its path); the baselines start from the data reportkit would render,
given as JSON (the Word context, the workbook's values, and xlsxwriter's layout as a user would write it
in code), so they import nothing of reportkit.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import datetime as dt  # noqa: E402  (the clock starts before every import)
import json  # noqa: E402
import sys  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def decode(value: Any) -> Any:
    """JSON back to the values a baseline writes: ``{"date": ...}`` and ``{"decimal": ...}`` tags."""
    if isinstance(value, dict):
        if set(value) == {"date"}:
            return dt.date.fromisoformat(value["date"])
        if set(value) == {"decimal"}:
            return Decimal(value["decimal"])
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def encode(value: Any) -> Any:
    """The inverse of :func:`decode`."""
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    return value


def main(contender: str, data_path: str, out_path: str) -> dict[str, float]:
    data = json.loads(Path(data_path).read_text(encoding="utf-8"))
    render: Any
    if contender.startswith("reportkit"):
        import reportkit

        report = reportkit.load(data["report"])
        kind = contender.rpartition(" ")[2]
        function = reportkit.render_docx if kind == "docx" else reportkit.render_xlsx

        def render() -> bytes:
            return function(report)

    else:
        sys.path.insert(0, str(Path(__file__).parent))
        import baselines

        payload = decode(data["context" if contender in ("docxtpl", "python-docx") else "values"])
        if contender == "docxtpl":
            renderer: Any = baselines.DocxtplRenderer(data["docx_template"])
        elif contender == "python-docx":
            renderer = baselines.PythonDocxFiller(Path(data["docx_template"]).read_bytes())
        elif contender == "openpyxl":
            renderer = baselines.OpenpyxlFiller(Path(data["xlsx_template"]).read_bytes())
        elif contender == "xlsxwriter":
            renderer = baselines.XlsxwriterBuilder(decode(data["xlsxwriter_layout"]))
        else:
            raise SystemExit(f"unknown contender {contender!r}")

        def render() -> bytes:
            output: bytes = renderer.render(payload)
            return output

    first = render()
    to_first = time.perf_counter() - STARTED
    again = time.perf_counter()
    render()
    second = time.perf_counter() - again
    Path(out_path).write_bytes(first)
    return {"to_first_output_s": to_first, "second_render_s": second}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
