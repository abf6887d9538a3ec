"""Word output: a report rendered into a docxtpl template, compiled once per process.

A Word template is an ordinary ``.docx`` with docxtpl placeholders (``{{ applications.new.natural_person }}``,
``{%p for p in overview.proactive %}``). Plain docxtpl re-parses the Word file and recompiles the Jinja
source on every render; here the template is prepared once (:mod:`reportkit.render.docx_template`: docxtpl's
own XML preprocessing, then a sandboxed Jinja compile) and kept in a cache keyed by path, modification time
and size. Each render then only runs the compiled Jinja templates, deflates the parts it rendered and the
document properties (:mod:`reportkit.render.properties`), and copies every other member as it was compressed
once (:mod:`reportkit.ooxml.package`).

Safety: the Jinja environment is sandboxed (:class:`jinja2.sandbox.SandboxedEnvironment`), unknown
variables are errors (:class:`jinja2.StrictUndefined`), every value is escaped, and the ``safe`` filter
is removed, so text from a figures file is always data: ``{{ 7*7 }}``, ``<w:p>`` and ``&`` appear as typed.
What a template can build is bounded (:mod:`reportkit.render.sandbox`: allow-listed filters and methods,
size caps, a per-render budget, traced for custom templates). A custom template must also keep the contract
``reportkit template check`` verifies (:mod:`reportkit.render.contract`); its verdict is computed once, when
the template is loaded. Template errors are reported with their place in the document (paragraph or table
cell, and its text), never only as an XML line number.

Imports form a chain: :mod:`~reportkit.templates` (the registry) → :mod:`.docx_template` (compile, context)
→ :mod:`.contract` (template check) → this module (load, release, render).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reportkit.errors import TemplateError
from reportkit.model import AnnualReport
from reportkit.ooxml.package import ZIP_DATE
from reportkit.render.contract import contract_problems
from reportkit.render.docx_template import (
    SIGNED_ON_MISSING,
    CompiledDocxTemplate,
    build_context,
    compile_docx_template,
    context_schema,
    fee_statement,
    paragraphs,
    placeholder_descriptions,
    read_properties,
    sample_context,
    signoff_indents,
    title_lines,
)
from reportkit.render.policy import Release, draft_notice, release
from reportkit.render.properties import document_properties
from reportkit.templates import find_template, templates_dir

if TYPE_CHECKING:
    from reportkit.rules import Finding

__all__ = [
    "SIGNED_ON_MISSING",
    "ZIP_DATE",
    "CompiledDocxTemplate",
    "build_context",
    "compile_docx_template",
    "context_schema",
    "draft_notice",
    "fee_statement",
    "load_docx_template",
    "paragraphs",
    "placeholder_descriptions",
    "read_properties",
    "render_docx",
    "render_released",
    "sample_context",
    "signoff_indents",
    "title_lines",
]


#: Keyed by the path as given and the file's identity (device, inode), from the one stat every lookup makes:
#: no path resolved on every render. Another spelling of the same path compiles once more, harmlessly.
_CACHE: dict[tuple[str, int, int], tuple[tuple[int, int], CompiledDocxTemplate]] = {}
_CACHE_LOCK = threading.Lock()


def _is_shipped(path: Path) -> bool:
    return path.resolve().is_relative_to(templates_dir().resolve())


def load_docx_template(path: str | os.PathLike[str]) -> CompiledDocxTemplate:
    """The compiled template at ``path``, from the per-process cache while the file is unchanged.

    A custom template (any file outside the shipped templates) also gets its contract verdict
    (:attr:`CompiledDocxTemplate.contract`, what ``reportkit template check`` reports), computed once here.
    """
    target = Path(path)
    try:
        stat = target.stat()
    except OSError:
        raise TemplateError("模板文件不存在或无法读取", source=str(target)) from None
    key = (str(target), stat.st_dev, stat.st_ino)
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        data = target.read_bytes()
    except OSError:
        raise TemplateError("模板文件无法读取", source=str(target)) from None
    trusted = _is_shipped(target)
    compiled = compile_docx_template(data, source=str(target), trusted=trusted)
    if not trusted:
        compiled.contract = tuple(contract_problems(data, compiled))
    with _CACHE_LOCK:
        _CACHE[key] = (stamp, compiled)
    return compiled


def _template_for(report: AnnualReport, template: str | os.PathLike[str] | None) -> CompiledDocxTemplate:
    if template is None:
        compiled = load_docx_template(find_template("docx", report.format).path)
    else:
        compiled = load_docx_template(template)
    if compiled.format_id is None:
        raise TemplateError(
            "模板没有注明所服务的报告格式（文档属性 reportkit.format），无法确认它与报告一致；"
            "请以内置模板为底稿修改（reportkit templates 列出内置模板）",
            source=compiled.source,
        )
    if compiled.format_id != report.format:
        raise TemplateError(
            f"模板服务的报告格式为“{compiled.format_id}”，而报告的格式为“{report.format}”；请使用与报告格式一致的模板",
            source=compiled.source,
        )
    _refuse_broken_contract(compiled)
    return compiled


def _refuse_broken_contract(compiled: CompiledDocxTemplate) -> None:
    """A custom template that lost an official table, the sign-off or required placeholders would render a
    report without them: refuse it (and any other problem ``template check`` finds), decisive problem first."""
    if compiled.contract:
        count = len(compiled.contract)
        raise TemplateError(
            f"模板有 {count} 处问题，不能使用；最主要的是：{compiled.contract[0]}。"
            "请按下列各处修改模板，或以内置模板为底稿重做（reportkit template check 可复查）",
            source=compiled.source,
            problems=compiled.contract,
        )


def render_docx(
    report: AnnualReport,
    template: str | os.PathLike[str] | None = None,
    *,
    draft: bool = False,
    findings: Sequence[Finding] | None = None,
) -> bytes:
    """The report as a Word document (bytes of a ``.docx``); writes no file.

    ``template`` is a path to a Word template (the shipped one for the report's format when None).
    A report with error findings is refused with :class:`RenderError` listing them, unless ``draft``:
    a draft carries the draft notice (:func:`reportkit.render.policy.draft_notice`) on every page.
    ``findings`` are the report's findings when the caller has them (see :func:`reportkit.render.policy.release`).
    """
    return render_released(report, release(report, findings, draft=draft), template)


def render_released(report: AnnualReport, decision: Release, template: str | os.PathLike[str] | None = None) -> bytes:
    """The Word document of a report already released by the policy (no check here)."""
    compiled = _template_for(report, template)
    context = build_context(report, draft=decision.draft, error_count=decision.error_count)
    return compiled.render(context, document_properties(report))
