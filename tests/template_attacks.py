"""Hostile Word templates, and a runner that tries them in a child process with bounded memory.

Each attack is Jinja put into a copy of the shipped template: ``ATTACKS`` in place of the heading of section 五,
``PARAGRAPH_ATTACKS`` as several paragraphs (``{%p %}`` tags need paragraphs of their own). Without the sandbox's
bounds each takes gigabytes or runs for hours.

``python tests/template_attacks.py MODE '["name", …]'`` runs the named attacks one after another (MODE: ``render``
through ``render_docx``, ``cli`` through ``reportkit render --template``, ``check`` through ``reportkit template
check``) under an address-space limit, and prints one JSON line per attack: its outcome, the message, the
seconds it took and the peak resident memory it added. A hang or a crash shows as missing lines.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import resource
import signal
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from docx_helpers import TEMPLATE, full_report, modified_template  # noqa: E402
from reportkit.formats import gov2021 as fmt  # noqa: E402

LONG = "'x' * 999999"

ATTACKS: dict[str, str] = {
    "center": "{{ 'x'|center(10**9) }}",
    "center with a literal width": "{{ 'x'|center(1000000000) }}",
    "center in a filter block": "{% filter center(10**9) %}x{% endfilter %}",
    "center through map": "{{ ['x', 'y']|map('center', 10**9)|list }}",
    "center through map until the budget": f"{{{{ ({LONG})[:100]|map('center', 999999)|list|length }}}}",
    "ljust": "{{ 'x'.ljust(10**9) }}",
    "zfill": "{{ 'x'.zfill(10**9) }}",
    "format width": "{{ '{:>1000000000}'.format('x') }}",
    "format nested width": "{{ '{:>{}}'.format('x', 10**9) }}",
    "format precision": "{{ '{:.1000000000f}'.format(1.5) }}",
    "format_map width": "{{ '{a:>1000000000}'.format_map({'a': 'x'}) }}",
    "format many fields": f"{{{{ ('{{0}}' * 99999).format({LONG}) }}}}",
    "percent width": "{{ '%1000000000s' % 'x' }}",
    "percent star width": "{{ '%*s' % (10**9, 'x') }}",
    "percent precision": "{{ '%.1000000000f' % 1.5 }}",
    "percent many fields": f"{{{{ ('%(a)s' * 199999) % {{'a': {LONG}}} }}}}",
    "format filter": "{{ '%1000000000s'|format('x') }}",
    "indent": "{{ 'x\\ny'|indent(10**9) }}",
    "indent by a long string": f"{{{{ ('\\n' * 999999)|indent({LONG}) }}}}",
    "replace with an empty pattern": "{{ 'ab'.replace('', 'x' * 10**6) }}",
    "replace filter": f"{{{{ ({LONG})|replace('x', {LONG}) }}}}",
    "wordwrap": f"{{{{ ({LONG})|wordwrap(1) }}}}",
    "wordwrap with a long wrapstring": "{{ ('x ' * 499999)|wordwrap(1, wrapstring='y' * 999999) }}",
    "truncate a long list": f"{{{{ ({LONG})|list|truncate(5) }}}}",
    "batch padding": "{{ 'ab'|batch(10**9, 'x')|list }}",
    "slice count": "{{ 'ab'|slice(10**9)|list }}",
    "join with a long separator": f"{{{{ ({LONG})|list|join({LONG}) }}}}",
    "join of batches": f"{{{{ ({LONG})|batch(1)|join }}}}",
    "str join": f"{{{{ ({LONG}).join(({LONG})|list) }}}}",
    "sum of lists": f"{{{{ ({LONG})[:1000]|batch(1)|sum(start=[]) }}}}",
    "repeat a list of long strings": f"{{{{ [{LONG}] * 1000 }}}}",
    "print a long list": f"{{{{ ({LONG})|list }}}}",
    "doubling with ~ in a macro": (
        "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}"
        "{{ d('x', 64) }}"
    ),
    "doubling with ~ unrolled": "{% set s = 'x' %}" + "{% set s = s ~ s %}" * 40 + "{{ s|length }}",
    "doubling with + in a macro": (
        "{% macro d(s, n) %}{% if n %}{{ d(s + s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}"
        "{{ d('x', 64) }}"
    ),
    "doubling lists with +": (
        "{% macro d(l, n) %}{% if n %}{{ d(l + l, n - 1) }}{% else %}{{ l|length }}{% endif %}{% endmacro %}"
        "{{ d([agency], 64) }}"
    ),
    "doubling output with caller": "{% macro twice() %}{{ caller() }}{{ caller() }}{% endmacro %}"
    + "{% call twice() %}" * 40
    + "x"
    + "{% endcall %}" * 40,
    "squaring numbers": (
        "{% macro sq(n, k) %}{% if k %}{{ sq(n * n, k - 1) }}{% else %}{{ n > 0 }}{% endif %}{% endmacro %}"
        "{{ sq(3, 40) }}"
    ),
    "power": "{{ 9 ** (9 ** 9) }}",
    "slices in a recursion": (
        "{% macro m(s, n) %}{% if n %}{{ m(s[1:], n - 1) }}{% endif %}{% endmacro %}{{ m('😀' * 999999, 900) }}"
    ),
    "loop.cycle": (
        f"{{% for a in {LONG} %}}{{% for b in {LONG} %}}{{{{ loop.cycle('ab', 'cd') }}}}{{% endfor %}}{{% endfor %}}"
    ),
    "recursive macro": "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "recursive macro over a long string": (
        f"{{% macro m(s) %}}{{{{ s|length }}}}{{{{ m(s ~ 'x') }}}}{{% endmacro %}}{{{{ m(({LONG})[1:]) }}}}"
    ),
    "macro with nested loops": (
        "{% macro m(s) %}{% for a in s %}{% for b in s %}{{ a }}{% endfor %}{% endfor %}{% endmacro %}"
        f"{{{{ m({LONG}) }}}}"
    ),
    "recursive loop": "{% for x in [[agency]] recursive %}{{ loop([x]) }}{% endfor %}",
    "nested loops": f"{{% for a in {LONG} %}}{{% for b in {LONG} %}}{{% endfor %}}{{% endfor %}}",
    "nested loops printing": f"{{% for a in {LONG} %}}{{% for b in {LONG} %}}{{{{ a }}}}{{% endfor %}}{{% endfor %}}",
    "loop filters": f"{{% for a in {LONG} %}}{{% for b in {LONG} if false %}}{{% endfor %}}{{% endfor %}}",
    "membership scans": f"{{% set s = {LONG} %}}{{% for a in s %}}{{% if 'y' in s %}}{{% endif %}}{{% endfor %}}",
    "comparisons": (
        f"{{% set s = {LONG} %}}{{% set t = s|lower %}}{{% for a in s %}}{{% if s == t %}}{{% endif %}}{{% endfor %}}"
    ),
    "in test": f"{{% set s = {LONG} %}}{{% for a in s %}}{{% if 'y' is in(s) %}}{{% endif %}}{{% endfor %}}",
}

#: Attacks made of several paragraphs: old text of the shipped template -> new text.
PARAGRAPH_ATTACKS: dict[str, dict[str, str]] = {
    "paragraph flood": {fmt.PROBLEMS.heading: f"{{%p for a in {LONG} %}}", fmt.OTHER.heading: "{%p endfor %}"},
    "nested paragraph loops": {
        fmt.APPLICATIONS.heading: f"{{%p for a in {LONG} %}}",
        fmt.REVIEW_LITIGATION.heading: f"{{%p for b in {LONG} %}}",
        fmt.PROBLEMS.heading: "{%p endfor %}",
        fmt.OTHER.heading: "{%p endfor %}",
    },
}


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_attack(folder: Path, name: str) -> Path:
    """The template of attack ``name`` in ``folder``."""
    replacements = PARAGRAPH_ATTACKS.get(name) or {fmt.PROBLEMS.heading: ATTACKS[name]}
    target = folder / f"attack-{abs(hash(name))}.docx"
    return modified_template(target, {old: _xml_text(new) for old, new in replacements.items()})


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak resident size
    except OSError:
        return False
    return True


#: A hang kills the runner (SIGALRM): the attack and those after it are missing from its output.
ATTACK_SECONDS = 90


def _try(mode: str, template: Path, folder: Path) -> tuple[str, str]:
    from reportkit.cli import main
    from reportkit.errors import TemplateError
    from reportkit.render.docx import render_docx

    if mode == "render":
        try:
            render_docx(full_report(), template)
        except TemplateError as exc:
            return "refused", str(exc)
        return "rendered", ""
    argv = ["template", "check", str(template)]
    if mode == "cli":
        from reportkit.io import dump

        figures = folder / "figures.toml"
        if not figures.exists():
            dump(full_report(), figures)
        argv = ["render", str(figures), "-o", str(folder / "out"), "--docx", "--template", str(template)]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv)
    written = sorted(p.name for p in (folder / "out").glob("*")) if mode == "cli" else []
    return f"exit {code}" + (f" wrote {written}" if written else ""), stdout.getvalue() + stderr.getvalue()


def run(mode: str, names: list[str], folder: Path) -> None:
    """Try each attack and print its outcome as a JSON line."""
    import reportkit.render.docx  # noqa: F401  (imports and warm-up before measuring)

    warm = folder / "shipped.docx"
    warm.write_bytes(TEMPLATE.read_bytes())
    _try("render", warm, folder)
    address_space = _status("VmSize") + (2 << 30)
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))  # a bound regression fails, not swaps
    for name in names:
        template = write_attack(folder, name)
        gc.collect()
        measured = _reset_peak()
        if not measured:  # no /proc/self/clear_refs: count Python's allocations instead
            tracemalloc.start()
        before = _status("VmRSS")
        start = time.perf_counter()
        signal.alarm(ATTACK_SECONDS)
        try:
            outcome, message = _try(mode, template, folder)
        except MemoryError:
            outcome, message = "MemoryError", ""
        signal.alarm(0)
        seconds = time.perf_counter() - start
        if measured:
            peak = _status("VmHWM") - before
        else:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        line = {"name": name, "outcome": outcome, "message": message[:2000], "seconds": seconds, "peak": peak}
        print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        run(sys.argv[1], json.loads(sys.argv[2]), Path(tmp))
