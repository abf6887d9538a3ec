"""Edit a workbook in headless LibreOffice through UNO, as a person would, and save it as .xlsx.

    python3 libreoffice_uno.py IN.xlsx OUT.xlsx '[{"op": "insert_rows", "sheet": "…", "row": 10, "count": 2}, …]'

Run by the Python that carries LibreOffice's ``uno`` module (the system python3 with python3-uno), not by the
test environment. Operations: ``insert_rows``, ``delete_rows``, ``insert_columns`` (``row``/``column`` are
1-based; the result says whether the sheet changed or LibreOffice refused, as it does on a protected
sheet), ``set`` (a cell's value: ``{"op": "set", "sheet": …, "cell": "D6", "value": 5}``; a string starting
with "=" is a formula). Prints one JSON line: the result of each operation.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]


def _prop(name, value):  # type: ignore[no-untyped-def]
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _snapshot(sheet):  # type: ignore[no-untyped-def]
    """The texts of the first 60 rows × 16 columns: what tells whether an operation changed the sheet."""
    area = sheet.getCellRangeByPosition(0, 0, 15, 59)
    return [list(row) for row in area.getDataArray()]


def main() -> None:
    source, target, operations = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    profile = tempfile.mkdtemp(prefix="rk-uno-profile-")
    pipe = f"rk_uno_{os.getpid()}"
    office = subprocess.Popen(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(240):
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.5)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        url = uno.systemPathToFileUrl(os.path.abspath(source))
        doc = desktop.loadComponentFromURL(url, "_blank", 0, (_prop("Hidden", True),))
        results = []
        for operation in operations:
            sheet = doc.Sheets.getByName(operation["sheet"])
            before = _snapshot(sheet)
            try:
                if operation["op"] == "insert_rows":
                    sheet.getRows().insertByIndex(operation["row"] - 1, operation.get("count", 1))
                elif operation["op"] == "delete_rows":
                    sheet.getRows().removeByIndex(operation["row"] - 1, operation.get("count", 1))
                elif operation["op"] == "insert_columns":
                    sheet.getColumns().insertByIndex(operation["column"] - 1, operation.get("count", 1))
                elif operation["op"] == "set":
                    cell = sheet.getCellRangeByName(operation["cell"])
                    value = operation["value"]
                    if isinstance(value, str) and value.startswith("="):
                        cell.setFormula(value)
                    elif isinstance(value, str):
                        cell.setString(value)
                    else:
                        cell.setValue(value)
                else:
                    raise SystemExit(f"unknown operation {operation['op']}")
                outcome = "changed" if _snapshot(sheet) != before else "unchanged"
            except Exception as exc:
                outcome = f"refused: {type(exc).__name__}"
            results.append({"protected": bool(sheet.isProtected()), "outcome": outcome})
        doc.calculateAll()
        out_url = uno.systemPathToFileUrl(os.path.abspath(target))
        doc.storeToURL(out_url, (_prop("FilterName", "Calc MS Excel 2007 XML"),))
        doc.close(True)
        print(json.dumps(results))
    finally:
        office.terminate()
        try:
            office.wait(60)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    main()
