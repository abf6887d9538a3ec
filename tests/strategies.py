"""Hypothesis strategies (and one plain builder) shared by the test files.

``consistent_reports()`` draws reports that pass every rule: every text present, table 三 balanced per
column, the signing date inside the legal window of the agency's kind, 信息处理费 figures that agree with
table 三. ``declared_totals=True`` also states every total (the 总计 column of each row, the （七）总计
row, the three 总计 of table 四), each equal to the computed one.

Numbers stay small (0–50) so that drawing is fast. Keys come from the format module, never spelled here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from reportkit.formats import NEWEST, get_format
from reportkit.formats.layout import ValueType
from reportkit.formats.spec import ReportFormat
from reportkit.model import (
    Agency,
    AgencyKind,
    AnnualReport,
    ApplicantCounts,
    Applications,
    CaseOutcomes,
    DocumentCounts,
    InformationFees,
    OtherMatters,
    Overview,
    ProactiveDisclosure,
    Problems,
    ReportInfo,
    ReviewLitigation,
)
from reportkit.values import Unit, placeholder_in

__all__ = [
    "APPLICANT_KEYS",
    "CASE_KEYS",
    "FORMAT_IDS",
    "INPUT_ROW_KEYS",
    "OUTCOME_KEYS",
    "amounts",
    "consistent_reports",
    "names",
    "report_with_all_distinct_numbers",
    "texts",
    "tricky_texts",
    "with_declared_totals",
]

#: The formats the property tests run over, oldest first, and the newest one's value.
FORMAT_IDS: tuple[str, ...] = ("gov-info-annual-report/2019", NEWEST)
fmt = get_format(NEWEST)
TABLE3 = fmt.applications_table
APPLICANT_KEYS: tuple[str, ...] = tuple(c.key for c in TABLE3.input_columns)
INPUT_ROW_KEYS: tuple[str, ...] = tuple(r.key for r in TABLE3.input_rows)
OUTCOME_KEYS: tuple[str, ...] = tuple(
    k for k in INPUT_ROW_KEYS if k not in fmt.balance_inflow and k not in fmt.balance_outflow
)
CASE_KEYS: tuple[str, ...] = ("upheld", "corrected", "other", "pending")
GROUP_KEYS: tuple[str, ...] = tuple(g.key for g in fmt.case_groups)


def input_row_keys(layout: ReportFormat) -> tuple[str, ...]:
    return tuple(r.key for r in layout.applications_table.input_rows)


def outcome_keys(layout: ReportFormat) -> tuple[str, ...]:
    balance = {*layout.balance_inflow, *layout.balance_outflow}
    return tuple(k for k in input_row_keys(layout) if k not in balance)


SMALL = st.integers(min_value=0, max_value=50)

#: Texts that have broken writers before: quotes, backslashes, TOML's own delimiters, control
#: characters, template syntax, characters outside the BMP. (Characters XML cannot hold, such as
#: NUL or ESC, cannot be in a report at all: the model refuses them.)
TRICKY_PIECES: tuple[str, ...] = (
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    "\\n",
    "\\u0041",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "{{ 7*7 }}",
    "{% if x %}",
    "${x}",
    "😀",
    "𠀀",
    "# not a comment",
    "[table]",
    "key = 1",
    " ",
    "　",
    "“三安全一稳定”",
    "2021年",
)


#: Any character a text of a report may hold (everything XML can store).
TEXT_CHARACTERS = st.characters(
    exclude_categories=("Cs",),
    exclude_characters="".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF])),
)
#: Any character a name may hold: no control characters, no line or paragraph separators.
NAME_CHARACTERS = st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\ufffe\uffff")
#: The troublemakers a one-line name may hold.
NAME_PIECES: tuple[str, ...] = tuple(
    piece for piece in TRICKY_PIECES if not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c == "\u2028" for c in piece)
)


def tricky_texts() -> st.SearchStrategy[str]:
    """Any text, with the known troublemakers mixed in."""
    piece = st.one_of(st.sampled_from(TRICKY_PIECES), st.text(TEXT_CHARACTERS, max_size=8))
    return st.lists(piece, max_size=6).map("".join)


def texts() -> st.SearchStrategy[str]:
    """A text with at least one visible character (so ``text.missing`` never fires) and no placeholder."""
    text = st.builds(lambda a, b: f"{a}文{b}", tricky_texts(), tricky_texts())
    return text.filter(lambda t: placeholder_in(t, name=False) is None)


def names() -> st.SearchStrategy[str]:
    """A one-line name with the troublemakers a name may hold, and no placeholder."""
    piece = st.one_of(st.sampled_from(NAME_PIECES), st.text(NAME_CHARACTERS, max_size=8))
    half = st.lists(piece, max_size=4).map("".join)
    return st.builds(lambda a, b: f"{a}局{b}", half, half).filter(lambda t: placeholder_in(t, name=True) is None)


def amounts(places: int = 2, max_units: int = 100_000) -> st.SearchStrategy[Decimal]:
    """A non-negative amount with up to ``places`` decimals, keeping trailing zeros (12.50)."""
    return st.builds(
        lambda cents, keep: Decimal(cents).scaleb(-places) if keep else Decimal(cents).scaleb(-places).normalize(),
        st.integers(min_value=0, max_value=max_units * 10**places),
        st.booleans(),
    )


def _row(values: list[int]) -> ApplicantCounts:
    return ApplicantCounts.of(values)


@st.composite
def _applications(draw: st.DrawFn, layout: ReportFormat = fmt) -> Applications:
    """Table 三, balanced per column: outcomes and 四 first, then 一 + 二 split to match."""
    n = len(APPLICANT_KEYS)
    outcome_values = {key: [draw(SMALL) for _ in range(n)] for key in outcome_keys(layout)}
    forward = [draw(SMALL) for _ in range(n)]
    new, carried = [], []
    for c in range(n):
        outflow = sum(values[c] for values in outcome_values.values()) + forward[c]
        over = draw(st.integers(min_value=0, max_value=outflow))
        carried.append(over)
        new.append(outflow - over)
    apps = Applications(format=layout.id, new=_row(new), carried_over=_row(carried), carried_forward=_row(forward))
    for key, values in outcome_values.items():
        apps = apps.with_row(key, _row(values))
    return apps


@st.composite
def _review_litigation(draw: st.DrawFn) -> ReviewLitigation:
    groups = {g: CaseOutcomes(**{k: draw(SMALL) for k in CASE_KEYS}) for g in GROUP_KEYS}
    return ReviewLitigation(**groups)


@st.composite
def _proactive(draw: st.DrawFn, layout: ReportFormat = fmt) -> ProactiveDisclosure:
    if layout.id != NEWEST:
        return draw(_any_proactive(layout))
    return ProactiveDisclosure(
        regulations=DocumentCounts(draw(SMALL), draw(SMALL), draw(SMALL)),
        normative_documents=DocumentCounts(draw(SMALL), draw(SMALL), draw(SMALL)),
        licensing=draw(SMALL),
        penalty=draw(SMALL),
        coercion=draw(SMALL),
        fees_wan_yuan=draw(amounts(places=4, max_units=1000)),
    )


@st.composite
def _any_proactive(draw: st.DrawFn, layout: ReportFormat) -> ProactiveDisclosure:
    """Table 二 of any format, cell by cell from its value types (a cumulative total at least this year's)."""
    cells: dict[str, object] = {}
    units: dict[str, Unit | None] = {}
    for block in layout.proactive_blocks:
        for row, column, key in block.cells():
            value_type = block.value_type(row, column)
            if value_type is ValueType.SIGNED_COUNT:
                cells[key] = draw(st.integers(min_value=-20, max_value=20))
            elif value_type is ValueType.AMOUNT:
                unit = draw(st.sampled_from(list(Unit)))
                units[key] = unit
                cells[key] = draw(amounts(places=unit.places, max_units=10_000))
            elif value_type is ValueType.WAN_YUAN:
                cells[key] = draw(amounts(places=4, max_units=1000))
            else:
                cells[key] = draw(SMALL)
            if column.key == "published_total":
                cells[key] = cells[f"{row.key}.published"] + draw(SMALL)  # type: ignore[operator]
    return ProactiveDisclosure(format=layout.id, cells=cells, units=units)  # type: ignore[arg-type]


@st.composite
def _dates(draw: st.DrawFn, kind: AgencyKind, year: int) -> ReportInfo:
    deadline = fmt.deadlines[kind.value]
    last = dt.date(year + 1, deadline.month, deadline.day)
    signed = draw(st.dates(min_value=dt.date(year + 1, 1, 1), max_value=last))
    published = draw(st.none() | st.dates(min_value=signed, max_value=last))
    return ReportInfo(year=year, signed_on=signed, published_on=published, preamble=draw(st.just("") | texts()))


@st.composite
def _fees(draw: st.DrawFn, unpaid: int) -> InformationFees:
    notices = draw(st.integers(min_value=unpaid, max_value=unpaid + 20))
    notified = draw(amounts()) if notices else Decimal(0)
    collected = draw(st.integers(min_value=0, max_value=100)) * notified / 100
    return InformationFees(notices=notices, notified_yuan=notified, collected_yuan=collected.quantize(Decimal("0.01")))


@st.composite
def consistent_reports(
    draw: st.DrawFn, *, declared_totals: bool = False, year: int | None = None, format_id: str = NEWEST
) -> AnnualReport:
    """A report of ``format_id`` that passes every rule (without ``previous``), of a year that format serves."""
    layout = get_format(format_id)
    kind = draw(st.sampled_from(list(AgencyKind)))
    last = layout.last_year or 2035
    the_year = year if year is not None else draw(st.integers(min_value=layout.first_year, max_value=last))
    apps = draw(_applications(layout))
    fee_row = "other_handling.unpaid_fee"
    fees = draw(_fees(apps.row(fee_row).total)) if layout.information_fee and fee_row in apps.rows else None
    report = AnnualReport(
        agency=Agency(name=draw(names()), kind=kind, title_name=draw(st.none() | names())),
        report=draw(_dates(kind, the_year)),
        overview=Overview(
            intro=draw(st.just("") | texts()),
            proactive=draw(texts()),
            on_request=draw(texts()),
            management=draw(texts()),
            platforms=draw(texts()),
            oversight=draw(texts()),
            accountability=draw(texts()) if kind is AgencyKind.GOVERNMENT else draw(st.just("") | texts()),
        ),
        proactive=draw(_proactive(layout)),
        applications=apps,
        review_litigation=draw(_review_litigation()),
        problems=Problems(draw(texts())),
        other=OtherMatters(draw(texts()), fees),
        format=format_id,
    )
    return with_declared_totals(report) if declared_totals else report


def with_declared_totals(report: AnnualReport) -> AnnualReport:
    """``report`` with every total also stated, each equal to the computed one."""
    import attrs

    apps = report.applications
    for key in input_row_keys(report.layout):
        row = apps.row(key)
        apps = apps.with_row(key, attrs.evolve(row, declared_total=row.total))
    total = apps.total
    apps = attrs.evolve(apps, declared_total=attrs.evolve(total, declared_total=total.total))
    groups = {
        g: attrs.evolve(getattr(report.review_litigation, g), declared_total=getattr(report.review_litigation, g).total)
        for g in GROUP_KEYS
    }
    return attrs.evolve(report, applications=apps, review_litigation=ReviewLitigation(**groups))


def report_with_all_distinct_numbers() -> AnnualReport:
    """A valid report (no findings) whose every input cell holds a different number.

    Useful to check that an output puts each figure in its own cell: table 二 holds 1–15 and an amount
    of 16.5 万元, table 四 holds 21–32, table 三 holds 41–46 in its unpaid-fee row and numbers from 101
    up elsewhere, each of its 144 input cells different; the 信息处理费 figures are 300 notices,
    1234.50 元 asked and 1000.25 元 paid.
    """
    proactive = ProactiveDisclosure(
        regulations=DocumentCounts(1, 2, 3),
        normative_documents=DocumentCounts(4, 5, 6),
        licensing=7,
        penalty=8,
        coercion=9,
        fees_wan_yuan=Decimal("16.5"),
    )
    n = len(APPLICANT_KEYS)
    counter = iter(range(101, 10_000))
    outcome_values = {key: [next(counter) for _ in range(n)] for key in OUTCOME_KEYS}
    # Few enough unpaid-fee applications for the fee notices (fees.unpaid_exceeds_notices).
    outcome_values["other_handling.unpaid_fee"] = list(range(41, 41 + n))
    forward = [next(counter) for _ in range(n)]
    # 一 and 二 must differ from every other cell and from each other while balancing each column:
    # 二 takes fresh small-ish numbers, 一 the remainder (far larger than any other cell).
    carried = [next(counter) for _ in range(n)]
    new = [sum(v[c] for v in outcome_values.values()) + forward[c] - carried[c] for c in range(n)]
    apps = Applications(new=_row(new), carried_over=_row(carried), carried_forward=_row(forward))
    for key, values in outcome_values.items():
        apps = apps.with_row(key, _row(values))
    review = ReviewLitigation(
        review=CaseOutcomes(21, 22, 23, 24),
        litigation_direct=CaseOutcomes(25, 26, 27, 28),
        litigation_after_review=CaseOutcomes(29, 30, 31, 32),
    )
    return AnnualReport(
        agency=Agency(name="某县人民政府办公室", kind=AgencyKind.DEPARTMENT, title_name="某县人民政府办公室"),
        report=ReportInfo(year=2021, signed_on=dt.date(2022, 1, 20), published_on=dt.date(2022, 1, 25)),
        overview=Overview(
            intro="概述。",
            proactive="主动公开情况。",
            on_request="依申请公开情况。",
            management="政府信息管理情况。",
            platforms="平台建设情况。",
            oversight="监督保障情况。",
        ),
        proactive=proactive,
        applications=apps,
        review_litigation=review,
        problems=Problems("存在的问题和改进措施。"),
        other=OtherMatters(
            "其他事项。",
            InformationFees(notices=300, notified_yuan=Decimal("1234.50"), collected_yuan=Decimal("1000.25")),
        ),
    )
