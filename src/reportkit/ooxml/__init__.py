"""Reading Office Open XML packages (.xlsx) straight from their XML, in bounded time and memory.

:mod:`reportkit.ooxml.xlsx_cells` reads the parts of a workbook a reader needs (the workbook's sheets and
defined names, the relationships, custom properties, the cells of chosen rows and columns, shared strings
and, when asked, the date formats of styles); :mod:`reportkit.ooxml.xlsx_formulas` tokenizes the formulas
found there and evaluates the small subset a form holds (SUM of ranges, + and − of references and numbers).
Archives are checked with :func:`reportkit.safezip.inspect_archive` before anything here opens them.
"""
