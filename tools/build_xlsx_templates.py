"""Build the shipped Excel templates from the format module, deterministically.

    python tools/build_xlsx_templates.py [--check]

Writes ``templates/xlsx/tables-2021.v1.xlsx`` (the output workbook) and ``templates/xlsx/form-2021.v1.xlsx``
(the blank input form). The files are reproducible byte for byte: fixed dates, fixed zip timestamps and a
stable order, so a rebuild after a change of the format module shows a real diff. With ``--check`` nothing is
written; the exit status says whether the committed files are up to date.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from reportkit.render.xlsx import TEMPLATE_NAME  # noqa: E402
from reportkit.xlsx_form import FORM_TEMPLATE_NAME, blank_form_built  # noqa: E402
from reportkit.xlsx_layout import build_tables, workbook_bytes  # noqa: E402

OUT = ROOT / "templates" / "xlsx"


def built() -> dict[str, bytes]:
    """The bytes of every Excel template, by file name."""
    return {TEMPLATE_NAME: workbook_bytes(build_tables()[0]), FORM_TEMPLATE_NAME: blank_form_built()}


def main(argv: list[str] | None = None) -> int:
    """Write the templates (or, with ``--check``, compare them with the committed files)."""
    args = sys.argv[1:] if argv is None else argv
    check_only = "--check" in args
    stale = []
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in built().items():
        target = OUT / name
        if target.exists() and target.read_bytes() == data:
            continue
        stale.append(name)
        if not check_only:
            target.write_bytes(data)
            print(f"wrote {target.relative_to(ROOT)}")
    if check_only and stale:
        print("out of date: " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
