"""The official report formats reportkit knows, by format id.

Each format is one module that builds one :class:`~reportkit.formats.spec.ReportFormat` value
(:mod:`reportkit.formats.gov2021`,
:mod:`reportkit.formats.gov2019`). A report names its format id; templates name the format id they serve;
this registry resolves ids (and years) to values and refuses unknown ones with a clear message. No module
outside ``formats/`` imports a format module: everything else receives the value.
"""

from __future__ import annotations

import importlib

from reportkit.errors import ReportkitError
from reportkit.formats.spec import ReportFormat, RuleFamily

#: format id -> module path, oldest first; the last entry is the newest format.
FORMATS: dict[str, str] = {
    "gov-info-annual-report/2019": "reportkit.formats.gov2019",
    "gov-info-annual-report/2021": "reportkit.formats.gov2021",
}

NEWEST: str = list(FORMATS)[-1]


class UnknownFormatError(ReportkitError):
    """A report or template names a format id that this version of reportkit does not know."""


def get_format(format_id: str) -> ReportFormat:
    """The format value of ``format_id``; raises :class:`UnknownFormatError` for an unknown id."""
    try:
        module_path = FORMATS[format_id]
    except KeyError:
        known = "、".join(FORMATS)
        raise UnknownFormatError(f"未知的报告格式“{format_id}”。本版本支持的格式：{known}。") from None
    value = _LOADED.get(format_id)
    if value is None:  # asked ~45 times a report (``report.layout``): the module is looked up once
        value = _LOADED[format_id] = importlib.import_module(module_path).FORMAT
    return value


_LOADED: dict[str, ReportFormat] = {}


def all_formats() -> tuple[ReportFormat, ...]:
    """Every known format, oldest first."""
    return tuple(get_format(format_id) for format_id in FORMATS)


def format_for_year(year: int) -> ReportFormat:
    """The format in force for reports of ``year``: the newest that serves it, else the oldest or newest known."""
    known = all_formats()
    for candidate in reversed(known):
        if candidate.serves(year):
            return candidate
    return known[0] if year < known[0].first_year else known[-1]


__all__ = [
    "FORMATS",
    "NEWEST",
    "ReportFormat",
    "RuleFamily",
    "UnknownFormatError",
    "all_formats",
    "format_for_year",
    "get_format",
]
