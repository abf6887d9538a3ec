"""Build the shipped Excel templates of every format, deterministically.

    python tools/build_xlsx_templates.py [--check] [--out DIR]

For each format (:func:`reportkit.formats.all_formats`) writes ``templates/xlsx/tables-<year>.v1.xlsx`` (the
output workbook) and ``templates/xlsx/form-<year>.v1.xlsx`` (the blank input form), drawn from the format's
layout (:mod:`reportkit.xlsx_layout`, pure data) by :mod:`reportkit.xlsx_draw`. The files are reproducible
byte for byte: fixed dates, fixed zip timestamps and a stable order, so a rebuild after a change of a format
module shows a real diff. With ``--check`` nothing is written; the exit status says whether the committed
files are up to date. ``--out`` writes into another folder (the tests build into a temporary one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from reportkit.formats import all_formats  # noqa: E402
from reportkit.formats.spec import ReportFormat  # noqa: E402
from reportkit.xlsx_draw import build  # noqa: E402
from reportkit.xlsx_layout import FORM_KIND, TABLES_KIND, form_template_name, tables_template_name  # noqa: E402

OUT = ROOT / "templates" / "xlsx"


def built_for(layout: ReportFormat) -> dict[str, bytes]:
    """The bytes of the Excel templates of one format, by file name."""
    return {
        tables_template_name(layout): build(layout, TABLES_KIND),
        form_template_name(layout): build(layout, FORM_KIND),
    }


def built() -> dict[str, bytes]:
    """The bytes of every Excel template of every format, by file name."""
    out: dict[str, bytes] = {}
    for layout in all_formats():
        out.update(built_for(layout))
    return out


def main(argv: list[str] | None = None) -> int:
    """Write the templates (or, with ``--check``, compare them with the committed files)."""
    # argparse: an unknown option (or --help) must not write the templates, as it did when they were looked for by hand.
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when a committed file is out of date"
    )
    parser.add_argument("--out", type=Path, default=OUT, help="the folder to write into (default: templates/xlsx)")
    parsed = parser.parse_args(argv)
    check_only, out = parsed.check, parsed.out
    stale = []
    out.mkdir(parents=True, exist_ok=True)
    for name, data in built().items():
        target = out / name
        if target.exists() and target.read_bytes() == data:
            continue
        stale.append(name)
        if not check_only:
            target.write_bytes(data)
            print(f"wrote {target}")
    if check_only and stale:
        print("out of date: " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
