"""Computed totals are cached per object, and the cache is invisible.

``Applications.total`` is asked for many times a report (rules, evaluators, renderers); it is computed
once. Whether it has been computed must change nothing: equality, hash, repr, pickling, copies,
``attrs.evolve`` and the figures file's data are the same before and after.
"""

from __future__ import annotations

import copy
import pickle

import attrs

from docx_helpers import full_report
from reportkit import io
from reportkit.model import AnnualReport, ApplicantCounts, Applications
from reportkit.values import Blank


def _fresh() -> AnnualReport:
    return full_report()


def _touch(report: AnnualReport) -> AnnualReport:
    """``report`` with its computed totals asked for (so cached)."""
    apps = report.applications
    assert apps.total == apps.row("total")
    assert apps.cell("total", "total") is not None
    return report


def test_total_is_computed_once_and_is_the_sum_of_the_outcome_rows() -> None:
    apps = _fresh().applications
    first = apps.total
    assert apps.total is first
    assert first == ApplicantCounts.sum([apps.rows[key] for key in apps.outcome_keys])


def test_cached_total_changes_no_equality_hash_or_repr() -> None:
    cold, warm = _fresh(), _touch(_fresh())
    assert cold == warm
    assert hash(cold) == hash(warm)
    assert repr(cold) == repr(warm)
    assert hash(cold.applications) == hash(warm.applications)
    assert repr(cold.applications) == repr(warm.applications)
    assert "total=" not in repr(warm.applications).replace("declared_total=", "")


def test_cached_total_is_not_pickled() -> None:
    cold, warm = _fresh(), _touch(_fresh())
    assert pickle.dumps(warm) == pickle.dumps(cold)
    back = pickle.loads(pickle.dumps(warm))
    assert back == warm
    assert back.applications.total == warm.applications.total


def test_copies_and_evolve_compute_their_own_total() -> None:
    warm = _touch(_fresh())
    apps = warm.applications
    key = apps.outcome_keys[0]
    changed = apps.with_row(key, ApplicantCounts(natural_person=apps.rows[key].natural_person + 5))
    assert changed.total.natural_person == apps.total.natural_person + 5
    evolved = attrs.evolve(warm, applications=changed)
    assert evolved.applications.total == changed.total
    for other in (copy.copy(apps), copy.deepcopy(apps), attrs.evolve(apps)):
        assert other == apps
        assert other.total == apps.total
    blanked = apps.with_row(key, ApplicantCounts(natural_person=Blank()))
    assert isinstance(blanked.total.natural_person, Blank)


def test_cached_total_changes_no_unstructured_data() -> None:
    cold, warm = _fresh(), _touch(_fresh())
    assert io.unstructure(warm) == io.unstructure(cold)
    assert io.dumps(warm) == io.dumps(cold)
    assert attrs.asdict(warm.applications) == attrs.asdict(cold.applications)


def test_attribute_access_to_rows_still_works_beside_the_cache() -> None:
    apps = Applications(new=ApplicantCounts(natural_person=2))
    assert apps.new.natural_person == 2
    assert apps.total == apps.total
    assert apps.new.natural_person == 2


def test_cached_leaves_of_a_table_change_no_equality_hash_or_pickle() -> None:
    from reportkit.formats import NEWEST, get_format
    from reportkit.formats.layout import Table, leaves

    table = get_format(NEWEST).applications_table
    cold = Table(table.key, table.rows, table.columns, table.corner)
    before = pickle.dumps(cold)
    assert cold.row_leaves == tuple(leaves(cold.rows))
    assert cold.column_leaves == tuple(leaves(cold.columns))
    assert cold.row_leaves is cold.row_leaves
    assert cold.input_rows and cold.input_columns
    assert pickle.dumps(cold) == before
    fresh = Table(table.key, table.rows, table.columns, table.corner)
    assert cold == fresh and hash(cold) == hash(fresh) and repr(cold) == repr(fresh)
    assert pickle.loads(before).row_leaves == cold.row_leaves
