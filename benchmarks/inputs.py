"""The reports the benchmarks render: varied copies of the county example, in memory or as a folder of files.

Every report differs from the others in its agency, its figures and a sentence of text, so no renderer can
win by caching a previous output, and the batch folder looks like a real county's: most files good, some
with errors, a few filled Excel forms, a rare unreadable file, and last year's reports beside them; each agency
of the batch writes sentences of its own into its texts (a third of them the same as last year).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs

import reportkit
from reportkit.model import AnnualReport, ApplicantCounts

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "examples" / "county"
#: The report of the in-process benchmarks (the one issue 5 and issue 13 measured).
EXAMPLE = COUNTY / "county-government-2022.toml"
#: Bases of the batch: this year's file and last year's, per agency of the example county (沙塘镇's
#: deliberate errors are left out: errors are injected at a chosen rate instead).
BASES = ("county-government", "education", "finance", "natural-resources", "chengguan")
FORM_BASE = "shenlin"
COUNTY_NAME = "隆德县"

#: Characters of made-up place names (two or three of them, distinct per agency).
_PLACE_CHARS = "安宁平和兴隆永泰长乐新丰福康东西南北川山河泉林石桥湾峰源岭溪云阳明华清"


def place_name(index: int) -> str:
    """A distinct made-up place name for every ``index`` (two characters, three past 1,225)."""
    n = len(_PLACE_CHARS)
    if index < n * n:
        return _PLACE_CHARS[index // n] + _PLACE_CHARS[index % n]
    index -= n * n
    return _PLACE_CHARS[(index // (n * n)) % n] + _PLACE_CHARS[(index // n) % n] + _PLACE_CHARS[index % n]


def renamed(report: AnnualReport, place: str) -> AnnualReport:
    """The report of the same kind of agency in another county (or township) named ``place``."""
    agency = report.agency
    county = f"{place}县"
    if COUNTY_NAME in agency.name:
        name = agency.name.replace(COUNTY_NAME, county)
        title = agency.title_name.replace(COUNTY_NAME, county) if agency.title_name else None
    else:  # a township: 城关镇人民政府, title 隆德县城关镇
        name = f"{place}{agency.name}"
        title = f"{county}{place}{agency.name.removesuffix('人民政府')}"
    return attrs.evolve(report, agency=attrs.evolve(agency, name=name, title_name=title))


def _shift(row: ApplicantCounts, column: int, delta: int) -> ApplicantCounts:
    values = list(row.values())
    values[column] = max(0, values[column] + delta)
    return ApplicantCounts.of(values)


def varied(report: AnnualReport, rng: random.Random) -> AnnualReport:
    """The report with other figures that still balance, and one sentence of its own."""
    apps = report.applications
    for _ in range(3):
        column = rng.randrange(6)
        delta = rng.randint(0, 9)
        # One more application received and one more disclosed: table 三 still balances.
        apps = apps.with_row("new", _shift(apps.new, column, delta))
        apps = apps.with_row("disclosed", _shift(apps.disclosed, column, delta))
    proactive = attrs.evolve(
        report.proactive,
        licensing=report.proactive.licensing + rng.randint(0, 500),
        penalty=report.proactive.penalty + rng.randint(0, 40),
    )
    review = report.review_litigation
    review = attrs.evolve(review, review=attrs.evolve(review.review, upheld=review.review.upheld + rng.randint(0, 3)))
    overview = attrs.evolve(
        report.overview,
        proactive=report.overview.proactive + f"全年更新公开栏目{rng.randint(10, 400)}次。",
    )
    return attrs.evolve(report, applications=apps, proactive=proactive, review_litigation=review, overview=overview)


#: Phrases an agency's own sentences are made of (no figures: the text rules must not see claims to check).
_MEANS = (
    "通过门户网站",
    "依托政务新媒体",
    "借助村务公开栏",
    "利用便民服务中心电子屏",
    "通过政务公开专区",
    "通过新闻发布会",
)
_AIMS = ("围绕", "聚焦", "针对", "结合")
_TOPICS = (
    "优化营商环境",
    "乡村振兴",
    "安全生产",
    "教育公平",
    "医疗保障",
    "生态环境保护",
    "城市更新",
    "民生实事",
    "减税降费",
    "政务服务改革",
    "防汛抗旱",
    "食品安全",
    "养老服务",
    "就业创业",
    "住房保障",
    "交通建设",
    "文化惠民",
    "社会救助",
)
_DEEDS = (
    "及时发布政策文件",
    "开展政策解读",
    "组织专题培训",
    "更新专栏信息",
    "回应群众关切",
    "发布通知公告",
    "征集意见建议",
    "公开办事指南",
)
_RESULTS = (
    "进一步提升了公开实效",
    "群众知晓率明显提高",
    "切实保障了群众的知情权",
    "推动政策落地见效",
    "取得了较好的社会效果",
)
#: The texts an agency writes its own sentences into (the opening paragraphs stay the county's template).
_OWN_TEXTS = (
    ("overview", "intro"),
    ("overview", "proactive"),
    ("overview", "on_request"),
    ("overview", "management"),
    ("overview", "platforms"),
    ("overview", "oversight"),
    ("overview", "accountability"),
    ("problems", "text"),
    ("other", "text"),
)


def own_sentences(name: str, rng: random.Random) -> dict[tuple[str, str], str]:
    """Two or three sentences of its own for each text of agency ``name``: in a real county every agency
    writes about its own work, so the comparison of the agencies' texts (peers.text_similar) has text to
    compare, not only the county's template sentences that every report shares."""

    def sentence() -> str:
        return (
            f"{name}{rng.choice(_MEANS)}，{rng.choice(_AIMS)}{rng.choice(_TOPICS)}，"
            f"{rng.choice(_DEEDS)}，{rng.choice(_RESULTS)}。"
        )

    return {text: "".join(sentence() for _ in range(rng.randint(2, 3))) for text in _OWN_TEXTS}


def with_sentences(report: AnnualReport, sentences: dict[tuple[str, str], str]) -> AnnualReport:
    """The report with ``sentences`` added after each of its texts."""
    parts: dict[str, dict[str, str]] = {}
    for (part, field), added in sentences.items():
        parts.setdefault(part, {})[field] = getattr(getattr(report, part), field) + added
    return attrs.evolve(
        report, **{part: attrs.evolve(getattr(report, part), **fields) for part, fields in parts.items()}
    )


def with_error(report: AnnualReport) -> AnnualReport:
    """The report with table 三 out of balance (予以公开 typed 2 too high), an error ``check`` must find."""
    apps = report.applications
    return attrs.evolve(report, applications=apps.with_row("disclosed", _shift(apps.disclosed, 0, 2)))


def variants(count: int, seed: int = 13) -> list[AnnualReport]:
    """``count`` distinct, valid versions of the example report (in-process benchmarks)."""
    rng = random.Random(seed)
    base = reportkit.load(EXAMPLE)
    result = [renamed(varied(base, rng), place_name(index)) for index in range(count)]
    for report in result:
        found = [f for f in reportkit.check(report) if f.severity is reportkit.Severity.ERROR]
        assert not found, found
    return result


def previous_of(report: AnnualReport, last_year: AnnualReport) -> AnnualReport:
    """Last year's report of the same agency, whose 结转下年度 is this year's 上年结转 (as it should)."""
    last = attrs.evolve(last_year, agency=report.agency)
    return attrs.evolve(
        last, applications=last.applications.with_row("carried_forward", report.applications.carried_over)
    )


@attrs.frozen
class BatchFolder:
    """What :func:`write_batch_inputs` wrote."""

    inputs: Path
    previous: Path
    agencies: int
    good: int
    with_errors: int
    forms: int
    unreadable: int


@attrs.frozen
class CountyAgency:
    """One agency of :func:`county_agencies`: its report of this year, last year's, and what its input is."""

    index: int
    report: AnnualReport
    last_year: AnnualReport
    is_form: bool
    broken: bool
    unreadable: bool

    @property
    def stem(self) -> str:
        """Its input file's name without the suffix (last year's file adds ``-<year>``)."""
        return f"agency-{self.index:05d}"


def agency_counts(text: str) -> list[int]:
    """The benchmarks' ``--agencies``: county sizes, comma-separated (an ``argparse`` type)."""
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers of agencies, comma-separated, such as 1000,10000: {text!r}"
        )
    return counts


def county_agencies(
    agencies: int,
    *,
    error_rate: float = 0.05,
    form_rate: float = 0.03,
    unreadable_rate: float = 0.005,
    seed: int = 2022,
) -> Iterator[CountyAgency]:
    """The agencies of the batch benchmark's county, in memory (:func:`write_batch_inputs` writes them; the
    peers benchmark of ``benchmarks/evaluators.py --county`` compares their texts)."""
    rng = random.Random(seed)
    this_year = {name: reportkit.load(COUNTY / f"{name}-2022.toml") for name in BASES}
    last_year = {name: reportkit.load(COUNTY / "previous" / f"{name}-2021.toml") for name in BASES}
    form_this = reportkit.load(COUNTY / f"{FORM_BASE}-2022.xlsx")
    form_last = reportkit.load(COUNTY / "previous" / f"{FORM_BASE}-2021.toml")

    def share(rate: float) -> int:  # at least one of each kind asked for, even in a small folder
        return max(1, round(rate * agencies)) if rate > 0 else 0

    order = list(range(agencies))
    rng.shuffle(order)
    n_forms, n_errors, n_unreadable = share(form_rate), share(error_rate), share(unreadable_rate)
    forms = set(order[:n_forms])
    broken = set(order[n_forms : n_forms + n_errors])
    unreadable = set(order[n_forms + n_errors : n_forms + n_errors + n_unreadable])
    for index in range(agencies):
        is_form = index in forms
        base_name = BASES[index % len(BASES)]
        base = form_this if is_form else this_year[base_name]
        report = renamed(varied(base, rng), place_name(index))
        mine = own_sentences(report.agency.display_title_name, rng)
        last = previous_of(report, form_last if is_form else last_year[base_name])
        # A third of the agencies copy last year's own sentences (previous.* finds them), the others wrote anew.
        last = with_sentences(
            last, mine if rng.random() < 1 / 3 else own_sentences(report.agency.display_title_name, rng)
        )
        report = with_sentences(report, mine)
        if index in broken:
            report = with_error(report)
        yield CountyAgency(index, report, last, is_form, index in broken, index in unreadable)


def write_batch_inputs(
    folder: Path,
    agencies: int,
    *,
    error_rate: float = 0.05,
    form_rate: float = 0.03,
    unreadable_rate: float = 0.005,
    seed: int = 2022,
) -> BatchFolder:
    """A county of ``agencies`` inputs in ``folder/in`` and their previous year's reports in ``folder/previous``.

    Most inputs are figures files (TOML) of varied reports; ``error_rate`` of them break a rule, ``form_rate``
    are filled Excel input forms (as ``reportkit init --xlsx`` makes them), ``unreadable_rate`` have a typo
    in a key (an unknown key is refused). Every agency except the unreadable ones has last year's report.
    """
    from reportkit.xlsx_form import fill_form

    inputs, previous = folder / "in", folder / "previous"
    inputs.mkdir(parents=True)
    previous.mkdir(parents=True)
    county = county_agencies(
        agencies, error_rate=error_rate, form_rate=form_rate, unreadable_rate=unreadable_rate, seed=seed
    )
    n_forms = n_errors = n_unreadable = 0
    for agency in county:
        n_forms += agency.is_form
        n_errors += agency.broken
        n_unreadable += agency.unreadable
        stem = agency.stem
        if agency.is_form:
            (inputs / f"{stem}.xlsx").write_bytes(fill_form(agency.report))
        elif agency.unreadable:
            text = reportkit.dumps(agency.report).replace("[overview]", "[overveiw]", 1)
            (inputs / f"{stem}.toml").write_text(text, encoding="utf-8")
            continue
        else:
            reportkit.dump(agency.report, inputs / f"{stem}.toml")
        reportkit.dump(agency.last_year, previous / f"{stem}-{agency.report.year - 1}.toml")
    good = agencies - n_errors - n_unreadable
    return BatchFolder(inputs, previous, agencies, good, n_errors, n_forms, n_unreadable)


def expected_outputs(folder: BatchFolder, kinds: Sequence[str]) -> int:
    """How many report files a batch of ``folder`` writes (good agencies × kinds)."""
    return folder.good * len(kinds)
