"""The registry of shipped templates.

Templates are ordinary Word and Excel files. Each names, in its custom document properties, the report
format it serves (``reportkit.format``) and its own version (``reportkit.template_version``). The
shipped ones live in the top-level ``templates/`` folder of the source tree, which the wheel carries as
``reportkit/templates``; :func:`templates_dir` finds either.

The contract check of a Word template (``reportkit template check``) is :mod:`reportkit.render.contract`;
this module imports nothing of the renderers, so that every renderer can import it.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import re
import zipfile
from pathlib import Path
from typing import Literal

from attrs import frozen

from reportkit.errors import TemplateError
from reportkit.ooxml.package import read_custom_properties
from reportkit.safezip import inspect_archive

__all__ = [
    "FORMAT_PROPERTY",
    "KIND_PROPERTY",
    "VERSION_PROPERTY",
    "TemplateInfo",
    "find_template",
    "list_templates",
    "read_template_properties",
    "templates_dir",
]

TemplateKind = Literal["docx", "xlsx-output", "xlsx-form"]

#: Custom document properties naming what a template serves (the same in Word and Excel templates).
FORMAT_PROPERTY = "reportkit.format"
VERSION_PROPERTY = "reportkit.template_version"
KIND_PROPERTY = "reportkit.kind"

_KIND_NAMES = {"docx": "Word 模板", "xlsx-output": "Excel 输出模板", "xlsx-form": "Excel 填报表"}


@frozen
class TemplateInfo:
    """A shipped template: what it is, the format it serves, its version and where it is."""

    kind: TemplateKind
    format_id: str
    version: str
    path: Path


def templates_dir() -> Path:
    """The folder of the shipped templates: inside the installed package, or the source tree's."""
    try:
        packaged = importlib.resources.files("reportkit") / "templates"
        if isinstance(packaged, Path) and packaged.is_dir():
            return packaged
    except (ModuleNotFoundError, NotImplementedError):  # pragma: no cover - unusual loaders
        pass
    return Path(__file__).resolve().parents[2] / "templates"


def read_template_properties(path: str | os.PathLike[str]) -> dict[str, str]:
    """The custom document properties of a Word or Excel file (empty when it has none or is unsafe)."""
    try:
        inspect_archive(path, error=TemplateError)
    except TemplateError:
        return {}
    try:
        with zipfile.ZipFile(path) as package:
            return read_custom_properties(package)
    except (zipfile.BadZipFile, OSError):
        return {}


def _kind_of(path: Path, properties: dict[str, str]) -> TemplateKind | None:
    declared = properties.get(KIND_PROPERTY, "")
    if declared in _KIND_NAMES:
        return declared  # type: ignore[return-value]
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return "docx"
    if suffix == ".xlsx":
        return "xlsx-form" if re.search(r"form|input|填报", path.name, re.IGNORECASE) else "xlsx-output"
    return None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version)) or (0,)


def list_templates() -> list[TemplateInfo]:
    """Every shipped template that names its format and version, by kind, format and version."""
    root = templates_dir()
    paths = [
        path
        for path in sorted(root.glob("*/*"))
        if not path.name.startswith((".", "~$")) and path.suffix.lower() in (".docx", ".xlsx")
    ]
    # Reading each file's properties on every render would cost more than the render: cache by file stamps.
    stamps = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    return list(_scan(stamps))


@functools.lru_cache(maxsize=8)
def _scan(stamps: tuple[tuple[str, int, int], ...]) -> tuple[TemplateInfo, ...]:
    found: list[TemplateInfo] = []
    for name, _, _ in stamps:
        path = Path(name)
        properties = read_template_properties(path)
        kind = _kind_of(path, properties)
        format_id = properties.get(FORMAT_PROPERTY)
        version = properties.get(VERSION_PROPERTY)
        if kind is None or not format_id or not version:
            continue
        found.append(TemplateInfo(kind, format_id, version, path))
    found.sort(key=lambda t: (t.kind, t.format_id, _version_key(t.version)))
    return tuple(found)


def find_template(kind: TemplateKind, format_id: str) -> TemplateInfo:
    """The newest shipped template of ``kind`` for ``format_id``; :class:`TemplateError` when there is none."""
    candidates = [t for t in list_templates() if t.kind == kind and t.format_id == format_id]
    if not candidates:
        served = sorted({t.format_id for t in list_templates() if t.kind == kind})
        known = "、".join(served) if served else "（无）"
        what = _KIND_NAMES.get(kind, kind)
        raise TemplateError(
            f"没有服务于报告格式“{format_id}”的内置{what}；已有{what}的格式：{known}",
            source=str(templates_dir()),
        )
    return candidates[-1]
