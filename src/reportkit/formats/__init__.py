"""The official report formats reportkit knows, by format id.

Each format is one module holding its layout as data (:mod:`reportkit.formats.gov2021`). A report names
its format id; templates name the format id they serve; this registry resolves ids and refuses unknown
ones with a clear message.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from reportkit.errors import ReportkitError

#: format id -> module path; the last entry is the newest format.
FORMATS: dict[str, str] = {
    "gov-info-annual-report/2021": "reportkit.formats.gov2021",
}

NEWEST: str = list(FORMATS)[-1]


class UnknownFormatError(ReportkitError):
    """A report or template names a format id that this version of reportkit does not know."""


def get_format(format_id: str) -> ModuleType:
    """The layout module of ``format_id``; raises :class:`UnknownFormatError` for an unknown id."""
    try:
        module_path = FORMATS[format_id]
    except KeyError:
        known = "、".join(FORMATS)
        raise UnknownFormatError(f"未知的报告格式“{format_id}”。本版本支持的格式：{known}。") from None
    return importlib.import_module(module_path)
