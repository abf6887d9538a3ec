"""Time and peak memory of the worst hostile inputs of issue 9 (points 10 and 13) and of a named pipe nobody
writes to (issue 13), each in a fresh process.

    python benchmarks/hostile.py            # a table of seconds and peak RSS per input
    python benchmarks/hostile.py --json

Each input is checked by ``reportkit check`` in a child process under a 4 GB address-space limit and a 120 s
timeout, so an input that still hung or blew up would show as a timeout or a MemoryError instead of taking the
machine down. Peak memory is the child's maximum resident set size (``ru_maxrss``). Hostile templates (point 14)
have their own runner: ``python tests/template_attacks.py render '["center", …]'``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "longde-chengguan-2021.toml"
LIMIT_BYTES = 4 * 1024**3
TIMEOUT_SECONDS = 120


def _alias_bomb() -> str:
    """Anchors of anchors, about 10 KB: the last anchor stands for 9**9 (387 million) values."""
    lines = ["agency: {name: 局, kind: department}", "report: {year: 2021, signed_on: 2022-01-19}", "anchors:"]
    lines.append("  l0: &l0 [" + ", ".join(["1"] * 9) + "]")
    lines += [f"  l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 9)]
    lines.append("overview: {intro: *l8, proactive: *l8}")
    return "\n".join(lines) + "\n# " + "x" * 9000 + "\n"


def _with_value(value: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    return text.replace("licensing = 0", f"licensing = {value}", 1)


def _junk_form() -> bytes:
    """The filled example form with a million junk rows appended to one of its sheets (about 5 MB)."""
    import reportkit
    from reportkit.xlsx_form import fill_form

    data = fill_form(reportkit.load(EXAMPLE))
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    junk = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(100, 1_000_100)).encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet3.xml":
                content = content.replace(b"</sheetData>", junk + b"</sheetData>")
            target.writestr(info, content)
    return out.getvalue()


#: Made as a named pipe nobody writes to (opening one for reading used to wait for ever).
NAMED_PIPE = None

INPUTS: dict[str, tuple[str, Callable[[], str | bytes | None]]] = {
    "YAML alias bomb (10 KB)": ("bomb.yaml", _alias_bomb),
    "licensing = 1e999999999": ("exponent.toml", lambda: _with_value("1e999999999")),
    "a 5,000-digit count": ("digits.toml", lambda: _with_value("9" * 5000)),
    "form with a million junk rows": ("junk.xlsx", _junk_form),
    "a named pipe nobody writes to": ("pipe.toml", lambda: NAMED_PIPE),
}


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def measure(path: Path) -> dict[str, object]:
    """Run ``reportkit check`` on one input; its own peak RSS comes from ``wait4``, not a running maximum."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "reportkit", "check", str(path)],
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=_limit,
        )
        timer = threading.Timer(TIMEOUT_SECONDS, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        output.seek(0)
        message = output.read().decode("utf-8", "replace").strip().splitlines()[:2]
    code = os.waitstatus_to_exitcode(status)
    outcome = f"killed after {TIMEOUT_SECONDS} s" if code < 0 else f"exit {code}"
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "outcome": outcome,
        "message": message,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, (file_name, make) in INPUTS.items():
            content = make()
            path = Path(folder) / file_name
            if content is NAMED_PIPE:
                os.mkfifo(path)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
            results[name] = measure(path)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    print("| input | seconds | peak RSS (MB) | outcome |\n|---|---|---|---|")
    for name, result in results.items():
        print(f"| {name} | {result['seconds']} | {result['peak_mb']} | {result['outcome']} |")


if __name__ == "__main__":
    main()
