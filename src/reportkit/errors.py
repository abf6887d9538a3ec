"""The exceptions reportkit raises for input that cannot be a report, a template or an output.

Content problems of a report that loads (a column that does not balance, a late date) are not
exceptions: :func:`reportkit.check` returns them as findings. Exceptions are for what cannot be read
at all. Every one derives from :class:`ReportkitError`, and its message names where (file, key path
or cell) and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import frozen


@frozen
class Problem:
    """One thing wrong with an input: where it is (``where``, e.g. ``applications.new[2]`` or
    ``三、依申请公开!D12``) and what is wrong, in Chinese."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ReportkitError(Exception):
    """Base of every exception reportkit raises for bad input.

    ``source`` names the file (or ``<string>``); ``problems`` lists every problem found, so a person
    can fix them all at once.
    """

    def __init__(self, message: str, *, source: str = "", problems: Iterable[Problem] = ()) -> None:
        self.source = source
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.summary = message
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"{self.source}: {self.summary}" if self.source else self.summary
        if not self.problems:
            return head
        lines = [head, *(f"  - {problem}" for problem in self.problems)]
        return "\n".join(lines)


class FiguresFileError(ReportkitError):
    """A figures file (TOML, JSON, YAML) that cannot be read as a report."""


class FormError(ReportkitError):
    """An Excel input form that cannot be read as a report."""


class TemplateError(ReportkitError):
    """A template that cannot serve: broken tags, unknown placeholders, a missing official table."""


class RenderError(ReportkitError):
    """A report that cannot be rendered as asked (errors without ``draft``, a missing LibreOffice …)."""


class OutputError(ReportkitError):
    """An output that cannot be written where asked (it would replace an input, the folder is missing …)."""


class ModelError(ReportkitError):
    """A report object built in Python with a value of the wrong kind (a ``str`` year, a ``datetime``
    as a date, a float as an amount …); each problem names the field (``ReportInfo.signed_on``)."""
