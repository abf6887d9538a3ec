"""A report as read from a file: the report, what the reading noticed, and where each value was found.

Every reader returns a :class:`Loaded` (:func:`reportkit.io.read` for any input). ``notes`` are things a
person should know but that do not stop the report (a blank cell read as 0, an amount converted from 元 to
万元, a formula whose stored result disagrees with its arguments). ``places`` maps a model path to where its
value really stood (``三、依申请公开!D12`` in a filled form, after any rows the office inserted), so a finding
names the real cell.
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import field, frozen

from reportkit.errors import Problem
from reportkit.model import AnnualReport

__all__ = ["Loaded"]


@frozen
class Loaded:
    """A report with its reading notes and the place of each value in its source."""

    report: AnnualReport
    source: str = ""
    notes: tuple[Problem, ...] = ()
    places: Mapping[str, str] = field(factory=dict, eq=False, hash=False)

    def where(self, path: str) -> str | None:
        """Where the value at a finding's model path (``Finding.location.field``) stands in the source.

        A path that covers several values (``applications.*.natural_person``, ``other.information_fees``)
        gives the range from the first to the last; a path the source has no place for gives None.
        """
        if not self.places:
            return None
        if path in self.places:
            return self.places[path]
        if path.startswith("applications.*."):
            column = path.rpartition(".")[2]
            matched = [
                place
                for key, place in self.places.items()
                if key.startswith("applications.") and key.rpartition(".")[2] == column
            ]
        else:
            matched = [place for key, place in self.places.items() if key.startswith(path + ".")]
        if not matched:
            return None
        first, last = matched[0], matched[-1]
        if first == last:
            return first
        sheet = first.rpartition("!")[0]
        last_sheet, _, last_cell = last.rpartition("!")
        return f"{first}:{last_cell}" if sheet == last_sheet else f"{first}…{last}"
