"""The shortcuts of the text rules give what the plain definitions give: each is compared, on generated texts,
with the same computation done the long way (the shortcut switched off, or written out here)."""

from __future__ import annotations

import collections
import errno
import io
import itertools
import math
import os
import random
import unicodedata
import zlib
from array import array
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportkit import evaluators, formats, rules
from reportkit.evaluators import _claims, _comparable_sentences, _stale_sentences, comparable_text, shingles

EXAMPLES = int(os.environ.get("REPORTKIT_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Pieces of report prose, and characters that NFKC changes or joins (full-width forms, combining marks,
#: Hangul jamo, ligatures), with the sentence ends between them.
_PIECES = [
    "本年新收政府信息公开申请",
    "收到申请",
    "申请",
    "上年结转",
    "结转下年度",
    "转结",
    "已办结",
    "办结",
    "答复完毕",
    "行政复议",
    "行政诉讼",
    "未发生",
    "未收到",
    "无依申请公开",
    "现行有效",
    "行政规范性文件",
    "规范性文件",
    "其中",
    "共",
    "为",
    "件",
    "起",
    "12",
    "３",
    "十二",
    "2021年",
    "2022年",
    "二〇二一年",
    "二零二一年",
    "1月1日至12月31日",
    "政府信息公开工作年度报告",
    "根据《中华人民共和国政府信息公开条例》",
    "《条例》",
    "编制本报告",
    "本报告所列数据的统计期限",
    "较上年",
    "我局",
    "将",
    "，",
    "。",
    "；",
    "：",
    "！",
    "？",
    "!",
    "?",
    ";",
    "\n",
    " ",
    "\u3000",
    "（",
    "）",
    "e",
    "\u0301",
    "\u0328",
    "\u3099",
    "か",
    "\u1100",
    "\u1161",
    "\u11a8",
    "ﬁ",
    "①",
    "Ａ",
    "㈱",
    "\ufe56",
    "\u203c",
]
#: Phrases that state a figure, in the forms the patterns know (and some they do not).
_SUBJECTS = [
    "本年新收政府信息公开申请",
    "收到",
    "收到申请",
    "接到申请",
    "受理申请",
    "上年结转",
    "上年转结",
    "2021年结转",
    "结转下年度",
    "转结下一年度",
    "结转至2023年",
    "办结",
    "办结申请",
    "答复完毕",
    "办理完毕",
    "发生行政复议",
    "行政复议",
    "行政诉讼",
    "现行有效规范性文件",
    "行政规范性文件现行有效",
]
_AFTER = ["申请", "为上年结转", "已办结", "申请均已办结", "结转下年度", "行政复议", "行政诉讼", "", "", ""]
_LEADS = ["", "其中", "共", "未", "无", "，", "。", "申请", "对申请"]
_COPULAS = ["", "共", "为", "共计"]
_NUMBERS = ["12", "3", "十二", "两", "1,234"]
_UNITS = ["件", "起", "个"]
_ENDS = ["。", "，", "；", "\n", ""]
_phrases = st.tuples(
    *(st.sampled_from(choices) for choices in (_LEADS, _SUBJECTS, _COPULAS, _NUMBERS, _UNITS, _AFTER, _ENDS))
).map("".join)
texts = st.lists(st.one_of(_phrases, st.sampled_from(_PIECES)), max_size=8).map("".join)


@FUZZ
@given(texts)
def test_nfkc_is_unicodedatas(text: str) -> None:
    assert rules._nfkc(text) == unicodedata.normalize("NFKC", text)


@pytest.mark.parametrize(("wide", "narrow"), rules._WIDE_PUNCTUATION)
def test_each_replacement_is_the_full_decomposition(wide: str, narrow: str) -> None:
    assert unicodedata.normalize("NFKD", wide) == narrow


def test_the_remembered_form_is_the_computed_one() -> None:
    text = "本年新收政府信息公开申请１２件，较2021年增加3件。"
    assert rules._normalized(text) == rules._strip_noise(text) == "本新收政府信息公开申请件较增加件"
    huge = "公开" * (rules._CACHED_TEXT_CHARS // 2 + 1)
    before = rules._normalized_cached.cache_info().currsize
    assert rules._normalized(huge) == huge
    assert rules._normalized_cached.cache_info().currsize == before  # a huge text is not kept


def _plain_comparable(text: str) -> str:
    return "".join(_comparable_sentences(text))[: evaluators.MAX_COMPARE_CHARS]


@FUZZ
@given(texts)
def test_comparable_text_is_its_sentences_joined(text: str) -> None:
    assert comparable_text(text) == _plain_comparable(text)


def _plain_sentences(text: str) -> list[str]:
    """_comparable_sentences as first written: every sentence tested for boilerplate."""
    sentences = evaluators._Sentences(text)
    normalised = (
        unicodedata.normalize("NFKC", text[start:end])
        for start, end in sentences.all()
        if not evaluators._is_boilerplate(text[start:end])
    )
    return [form for form in (rules._NOISE.sub("", each) for each in normalised) if form]


@FUZZ
@given(texts)
def test_boilerplate_is_looked_for_where_it_may_be(text: str) -> None:
    assert list(_comparable_sentences(text)) == _plain_sentences(text)


def test_boilerplate_is_left_out() -> None:
    statutory = "根据《中华人民共和国政府信息公开条例》和国务院办公厅政府信息与政务公开办公室的要求，编制年度报告。"
    note = "本报告所列数据的统计期限自2022年1月1日起至2022年12月31日止。"
    both = statutory + "我局全年主动公开信息一百条。" + note
    assert list(_comparable_sentences(both)) == _plain_sentences(both) == ["我局全主动公开信息百条"]
    assert comparable_text(both) == "我局全主动公开信息百条"
    assert comparable_text(statutory + "我局全年主动公开信息一百条。") == "我局全主动公开信息百条"


def _plain_shingles(comparable: str) -> set[int]:
    """shingles() as first written: one CRC-32 of each window of a memoryview, mixed."""
    if not comparable:
        return set()
    data = comparable[: evaluators.MAX_COMPARE_CHARS].encode("utf-32-le")
    if len(data) <= 16:
        return {(zlib.crc32(data) * 0x9E3779B1) & 0xFFFFFFFF}
    view = memoryview(data)
    return {(zlib.crc32(view[i : i + 16]) * 0x9E3779B1) & 0xFFFFFFFF for i in range(0, len(data) - 12, 4)}


@FUZZ
@given(texts)
def test_shingles_are_the_mixed_crcs(text: str) -> None:
    comparable = comparable_text(text)
    assert shingles(comparable) == _plain_shingles(comparable)
    if comparable:  # the distinct shingles as strings, which previous.text_similar counts: hashing only merges
        assert len(shingles(comparable)) <= len(evaluators._shingle_texts(comparable))


def _claim_tuples(text: str, year: int, format_id: str) -> list[tuple[object, ...]]:
    layout = formats.get_format(format_id)
    return [
        (claim.figure.key, claim.stated, claim.unit, claim.start, claim.end, sentence)
        for claim, sentence in _claims(text, year, layout)
    ]


def test_the_texts_state_figures() -> None:
    text = "本年新收政府信息公开申请12件，上年结转3件；办结申请14件。未发生行政复议。现行有效规范性文件2件。"
    assert [key for key, *_ in _claim_tuples(text, 2022, formats.NEWEST)] == [
        "applications.new",
        "applications.carried_over",
        "applications.total",
        "proactive.normative_documents.in_force",
        "review_litigation.review.total",  # 未发生: the zero forms of table 四 come last
    ]


def test_every_phrase_gives_the_same_claims() -> None:
    with_words: dict[str, list[tuple[object, ...]]] = {}
    phrases = ["".join(parts) for parts in itertools.product(_LEADS, _SUBJECTS, ["共"], ["12"], ["件"], _AFTER, ["。"])]
    for text in phrases:
        with_words[text] = _claim_tuples(text, 2022, formats.NEWEST)
    assert sum(1 for found in with_words.values() if found) > len(phrases) // 8  # many state a figure
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(evaluators._Figure, "may_match", lambda self, text: True)
        for text in phrases:
            assert _claim_tuples(text, 2022, formats.NEWEST) == with_words[text], text


@FUZZ
@given(texts, st.sampled_from([2020, 2022]))
def test_figures_are_not_missed_by_their_words(text: str, year: int) -> None:
    format_id = formats.format_for_year(year).id
    fast = _claim_tuples(text, year, format_id)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(evaluators._Figure, "may_match", lambda self, text: True)
        assert _claim_tuples(text, year, format_id) == fast


@pytest.mark.parametrize("year", ["2021年", "二〇二一年", "二零二一年"])
def test_each_form_of_last_year_is_looked_for(year: str) -> None:
    text = f"{year}，我局主动公开政府信息一百条。"
    assert list(_stale_sentences(text, 2022, "政府信息公开工作年度报告")) == [(0, len(text) - 1)]


@FUZZ
@given(texts)
def test_stale_years_are_looked_for_where_they_may_be(text: str) -> None:
    fast = list(_stale_sentences(text, 2022, "政府信息公开工作年度报告"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(evaluators, "_year_words", lambda year: ("",))
        assert list(_stale_sentences(text, 2022, "政府信息公开工作年度报告")) == fast


def test_nfkc_neither_joins_nor_reorders_across_a_sentence_end() -> None:
    """Why comparable_text may normalise a whole text instead of its sentences: NFKC(a + m + b) is
    NFKC(a) + NFKC(m) + NFKC(b) for a sentence end m. Only characters that decompose, that combine (a
    non-zero combining class), that stand in a canonical decomposition (both of a pair that composes do) or
    are Hangul can interact with a neighbour; each is tried on both sides of each end mark."""
    interacting: set[str] = set()
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        c = chr(code)
        decomposition = unicodedata.decomposition(c)
        if decomposition or unicodedata.combining(c) or 0x1100 <= code < 0x1200 or 0xAC00 <= code <= 0xD7A3:
            interacting.add(c)
        if decomposition and not decomposition.startswith("<"):
            interacting.update(chr(int(part, 16)) for part in decomposition.split())
    for mark in "。！？!?；;\n":
        normal = unicodedata.normalize("NFKC", mark)
        for c in interacting:
            alone = unicodedata.normalize("NFKC", c)
            assert unicodedata.normalize("NFKC", c + mark) == alone + normal, (hex(ord(c)), mark)
            assert unicodedata.normalize("NFKC", mark + c) == normal + alone, (hex(ord(c)), mark)


# ---------------------------------------------------------------------------------------------------
# peers: the pairs found bucket by bucket are the pairs the definition gives, trying every pair
# ---------------------------------------------------------------------------------------------------

_SOUP_CHARS = [chr(c) for c in range(0x4E00, 0x4E00 + 400)]


def _phrase_soup(seed: int, agencies: int) -> list[tuple[str, evaluators.PeerText]]:
    """Agencies whose texts are drawn from a few hundred shared phrases (so that anchors pair many texts and
    buckets are large), of varied lengths, with near copies of each other's texts around the threshold (a
    phrase dropped, added or changed) and a few agencies that have two files."""
    rng = random.Random(seed)
    phrases = ["".join(rng.choices(_SOUP_CHARS, k=rng.randint(6, 18))) for _ in range(300)]
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(phrases))))
    fields = len(evaluators.TEXT_FIELDS)
    texts: list[list[tuple[str, ...]]] = []
    for _ in range(agencies):
        mine: list[tuple[str, ...]] = []
        for field in range(fields):
            if texts and rng.random() < 0.3:  # a near copy of somebody's text
                copied = list(rng.choice(texts)[field])
                for _ in range(rng.randint(0, 2)):
                    change = rng.randrange(3)
                    if change == 0 and len(copied) > 1:
                        copied.pop(rng.randrange(len(copied)))
                    elif change == 1:
                        copied.insert(rng.randrange(len(copied) + 1), rng.choice(phrases))
                    elif copied:
                        at = rng.randrange(len(copied))
                        copied[at] = copied[at][:-2] + "".join(rng.choices(_SOUP_CHARS, k=2))
                mine.append(tuple(copied))
            else:
                mine.append(tuple(rng.choices(phrases, cum_weights=weights, k=rng.randint(1, 25))))
        texts.append(mine)
    return [
        (f"{index}.toml", evaluators.PeerText(f"agency {index % (agencies - 7)}", f"单位{index}", "2021", tuple(mine)))
        for index, mine in enumerate(texts)
    ]


def _plain_field_pairs(
    reports: list[tuple[str, evaluators.PeerText]], field: str, limit: int, anchor_cap: int
) -> list[tuple[int, int, float]]:
    """The pairs of ``_field_pairs``'s docstring, every pair tried: texts (common sentences left out) sharing
    an anchor, whose sketches share SKETCH_AGREEMENT of the smaller sketch, of other agencies, and whose
    Jaccard similarity reaches PEER_THRESHOLD."""
    at = evaluators.TEXT_FIELDS.index(field)
    counts = collections.Counter(s for _, peer in reports for s in set(peer.sentences[at]))
    kept: list[tuple[int, set[int], list[int]]] = []
    for index, (_, peer) in enumerate(reports):
        text = "".join(s for s in peer.sentences[at] if counts[s] <= limit)[: evaluators.MAX_COMPARE_CHARS]
        if len(text) >= evaluators.MIN_COMPARE_CHARS:
            hashed = shingles(text)
            kept.append((index, hashed, sorted(hashed)[: evaluators.SKETCH_SIZE]))
    in_sketches = collections.Counter(h for _, _, sketch in kept for h in sketch)
    # a text's anchors: the ANCHORS smallest hashes of its (ascending) sketch that are in at most anchor_cap sketches
    anchors = [set([h for h in sketch if in_sketches[h] <= anchor_cap][: evaluators.ANCHORS]) for _, _, sketch in kept]
    pairs = []
    for (i, (a, shingles_a, sketch_a)), (j, (b, shingles_b, sketch_b)) in itertools.combinations(enumerate(kept), 2):
        if not anchors[i] & anchors[j] or reports[a][1].agency_key == reports[b][1].agency_key:
            continue
        needed = min(math.ceil(evaluators.SKETCH_AGREEMENT * len(s)) for s in (sketch_a, sketch_b))
        if len(set(sketch_a) & set(sketch_b)) < needed:
            continue
        jaccard = len(shingles_a & shingles_b) / len(shingles_a | shingles_b)
        if jaccard >= evaluators.PEER_THRESHOLD:
            pairs.append((a, b, jaccard))
    return sorted(pairs)


@pytest.mark.parametrize(
    ("seed", "anchor_cap", "agreement"), [(1, 50, None), (2, 50, None), (3, 12, None), (4, 3, None), (5, 50, 0.85)]
)
def test_the_peer_pairs_are_those_of_trying_every_pair(
    seed: int, anchor_cap: int, agreement: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if agreement is not None:
        monkeypatch.setattr(evaluators, "SKETCH_AGREEMENT", agreement)
    reports = _phrase_soup(seed, 400)
    agencies = [peer.agency_key for _, peer in reports]

    def same_agency(a: int, b: int) -> bool:
        return agencies[a] == agencies[b]

    total = 0
    for field in evaluators.TEXT_FIELDS:
        found = list(evaluators._field_pairs(evaluators._ListColumns(reports), same_agency, field, 20, anchor_cap))
        as_sorted = sorted((min(a, b), max(a, b), jaccard) for a, b, jaccard in found)
        assert len(as_sorted) == len(found) == len(set(as_sorted)), "each pair once"
        expected = _plain_field_pairs(reports, field, 20, anchor_cap)
        assert as_sorted == expected, field
        total += len(expected)
    assert total > 100  # the soup has pairs to find


@pytest.mark.parametrize("shape", ["random", "shared", "one value", "extremes", "signed", "none"])
def test_the_values_more_than_a_cap_are_those_counted_at_once(shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(shape)
    pool = {
        "random": [rng.getrandbits(32) for _ in range(20_000)],
        "shared": [rng.getrandbits(32) for _ in range(300)],  # texts of shared phrases: few distinct hashes
        "one value": [7],
        "extremes": [0, 1, 2**31, 2**32 - 2, 2**32 - 1],
        "signed": [rng.getrandbits(64) - 2**63 for _ in range(3000)] + [-1, -(2**63), 2**63 - 1],  # hash()es
        "none": [],
    }[shape]
    values = array("q" if shape == "signed" else "I", rng.choices(pool, k=60_000) if pool else [])
    counts = collections.Counter(values)
    for slots in (evaluators._COUNT_SLOTS, 64):  # the table as shipped, and one where most slots collide
        monkeypatch.setattr(evaluators, "_COUNT_SLOTS", slots)
        for cap in (0, 1, 3, 50, 1000):
            assert evaluators._more_than(values, cap) == {h for h, count in counts.items() if count > cap}, cap


@pytest.mark.parametrize("chunk", [1, 7, 1000, 1 << 15])
def test_the_runs_sorted_range_by_range_are_those_sorted_at_once(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluators, "_SORT_CHUNK", chunk)
    rng = random.Random(chunk)
    anchors = [rng.getrandbits(32) for _ in range(300)] + [0, 2**32 - 1]
    keys = array("Q", ((rng.choice(anchors) << 32) | rng.getrandbits(20) for _ in range(5000)))
    expected = []
    for key, run in itertools.groupby(sorted(keys), key=lambda value: value >> 32):
        group = [value & 0xFFFFFFFF for value in run]
        if len(group) > 1:
            expected.append((key, group))
    assert list(evaluators._runs(keys, 32)) == expected
    assert list(evaluators._runs(array("Q"), 32)) == []


def test_the_shingles_kept_on_disk_read_back_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluators._ShingleFile, "_CHUNK", 7)  # a write every two texts or so, mid-text
    rng = random.Random(5)
    kept = evaluators._ShingleFile()
    written = [array("I", (rng.getrandbits(32) for _ in range(rng.randint(0, 5)))) for _ in range(200)]
    offsets = [kept.add(hashes) for hashes in written]
    kept.flush()
    try:
        for offset, hashes in zip(offsets, written, strict=True):
            assert kept.read(offset, len(hashes)) == hashes
        with pytest.raises(OSError, match="读取不完整"):
            kept.read(offsets[-1], len(written[-1]) + 1)
    finally:
        kept.close()


def test_a_full_disk_while_keeping_shingles_is_an_os_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class FullDisk(io.BytesIO):
        name = "<full>"

        def write(self, data: Any) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(evaluators._ShingleFile, "_CHUNK", 1)
    monkeypatch.setattr(evaluators.tempfile, "TemporaryFile", lambda **_: FullDisk())
    text = "本机关全年通过门户网站主动公开政府信息一百二十条，其中规范性文件八件。"
    sentences = tuple((text,) for _ in evaluators.TEXT_FIELDS)
    reports = [(f"{i}.toml", evaluators.PeerText(f"agency {i}", f"单位{i}", "2021", sentences)) for i in range(3)]
    with pytest.raises(OSError, match="No space left"):
        evaluators.peer_findings(reports)


def test_the_batch_columns_on_disk_give_the_findings_of_the_reports_in_memory() -> None:
    from reportkit.batch import _PeerLog

    reports = [(source, attrs.evolve(peer, format=formats.NEWEST)) for source, peer in _phrase_soup(11, 300)]
    columns = _PeerLog()
    for source, peer in reports:
        columns.append_pickled(_PeerLog.pickled(source, peer))
    assert list(columns.heads()) == [(source, peer.agency_key) for source, peer in reports]
    peer = reports[17][1]
    assert columns.head(17) == (reports[17][0], peer.agency_key, peer.title_name, peer.format)
    for at in range(len(evaluators.TEXT_FIELDS)):
        assert list(columns.sentences(at)) == [peer.sentences[at] for _, peer in reports]
    found = evaluators.peer_findings(columns)
    assert found == evaluators.peer_findings(reports)
    assert evaluators.peer_findings(columns, flagged_only=True) == {s: f for s, f in found.items() if f}
    assert sum(len(each) for each in found.values()) > 50
    with pytest.raises(ValueError, match="text fields"):
        columns.append_pickled(_PeerLog.pickled("x.toml", reports[0][1])[:-1])
