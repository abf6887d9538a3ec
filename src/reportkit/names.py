"""File names derived from agency names: safe on Windows, macOS and Linux, never leaving their folder."""

from __future__ import annotations

import re
import unicodedata

#: Names Windows reserves for devices, with or without an extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
#: Bytes, to stay under the 255-byte limit of common file systems with room for a suffix and a counter.
MAX_NAME_BYTES = 180


def safe_filename(name: str, fallback: str = "报告") -> str:
    """``name`` made into one safe path component: separators and characters Windows forbids become
    ``_``, leading dots and trailing dots/spaces go, reserved device names get a ``_`` prefix, and the
    result is cut to a safe length on a character boundary."""
    text = unicodedata.normalize("NFC", name)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = text.lstrip(".").rstrip(". ")
    text = re.sub(r"_+", "_", text)
    if not text or set(text) <= {"_", " "}:
        text = fallback
    if text.split(".")[0].upper().strip() in _RESERVED:
        text = f"_{text}"
    encoded = text.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        text = encoded[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip(". ")
    return text


#: What a draft's file name carries after the title, so that a draft is never mistaken for the report.
DRAFT_MARK = "（草稿）"


def draft_name(stem: str) -> str:
    """The file name (without suffix) of a draft of the output named ``stem``: ``…报告（草稿）``."""
    return stem if stem.endswith(DRAFT_MARK) else f"{stem}{DRAFT_MARK}"


def unique_names(names: list[str]) -> list[str]:
    """Safe names for several items, made distinct (case-insensitively, as Windows compares) with a
    numeric suffix: 财政局, 财政局-2 …"""
    seen: set[str] = set()
    result = []
    for name in names:
        base = safe_filename(name)
        candidate, counter = base, 2
        while candidate.casefold() in seen:
            candidate = f"{base}-{counter}"
            counter += 1
        seen.add(candidate.casefold())
        result.append(candidate)
    return result


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal or a spreadsheet column: East Asian wide and full-width characters
    count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
