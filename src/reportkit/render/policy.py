"""The release policy: whether a report may be rendered, and as what (final text or draft).

One place decides it for every output kind (Word, Excel, PDF, HTML): a report with error findings is refused,
unless a draft is asked for; a draft says so with one wording (:func:`draft_notice`) in the Word header, on every
sheet of the workbook and at the top of the HTML page. The renderers themselves never run the checks: they are
given a :class:`Release` (or the findings, or nothing, and then :func:`release` checks the report once).

A caller that already has the findings (``reportkit render``, a batch worker, which also checks against last
year's report) passes them, so ``check`` runs once per report however many kinds are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from attrs import frozen

from reportkit.errors import Problem, RenderError

if TYPE_CHECKING:
    from reportkit.model import AnnualReport
    from reportkit.rules import Finding

__all__ = ["DRAFT_NOTICE", "Release", "draft_notice", "release"]

#: The draft notice of a report without errors (a draft asked for, e.g. to circulate for comments).
DRAFT_NOTICE = "草稿：仅供核对，不得作为正式报告公布"


def draft_notice(error_count: int) -> str:
    """The one wording of a draft, in every output kind."""
    if error_count:
        return f"草稿：本报告有 {error_count} 项错误尚未改正，仅供核对，不得作为正式报告公布"
    return DRAFT_NOTICE


@frozen
class Release:
    """What a report may be rendered as: a final text (``draft`` False) or a draft with ``error_count`` errors."""

    draft: bool
    error_count: int = 0

    @property
    def notice(self) -> str:
        """The draft notice, or "" for a final text."""
        return draft_notice(self.error_count) if self.draft else ""

    @classmethod
    def final(cls) -> Release:
        return cls(False, 0)


def release(report: AnnualReport, findings: Sequence[Finding] | None = None, *, draft: bool = False) -> Release:
    """The release of ``report``: :class:`RenderError` listing its errors when it has any and ``draft`` is not
    asked for (a report with errors is only ever printed as a draft that says so).

    ``findings`` are the report's findings when the caller has them (they are then trusted as they are, e.g.
    with last year's report's findings included); without them the report is checked here, once.
    """
    from reportkit.rules import Severity

    if findings is None:
        from reportkit.rules import check

        findings = check(report)
    found = [f for f in findings if f.severity is Severity.ERROR]
    if found and not draft:
        raise RenderError(
            f"报告有 {len(found)} 项错误，不能生成正式文本；请先修正，或以草稿方式生成（--draft）",
            problems=[Problem(f.location.describe() or f.code, f.message) for f in found],
        )
    return Release(draft, len(found))
