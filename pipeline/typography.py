"""Per-language typographic repairs of machine output (applied to each translated segment)."""

from __future__ import annotations

import re
import unicodedata

from pipeline import markers

_MARKERS = rf"(?:{markers.ANY.pattern})*"
_SPANISH_CLOSE = {"!": "¡", "?": "¿"}


def fix_spanish_marks(text: str) -> str:
    """Add the opening ¡/¿ a Spanish sentence that ends in !/? lacks (engines often drop it)."""
    stripped = markers.strip(text).rstrip(" \"”»’')")
    if not stripped or stripped[-1] not in _SPANISH_CLOSE:
        return text
    opening = _SPANISH_CLOSE[stripped[-1]]
    if opening in stripped:
        return text
    m = re.match(rf"^(\s*{_MARKERS}[\"“«‘']?{_MARKERS})", text)
    prefix = m.group(1) if m else ""
    return prefix + opening + text[len(prefix) :]


def fix_segment(text: str, lang: str) -> str:
    """Typographic repairs for a segment translated into ``lang``."""
    if lang == "es":
        return fix_spanish_marks(text)
    return text


def is_wide(ch: str) -> bool:
    """True for characters set full-width (kana, kanji, 。「」, full-width forms): CJK text,
    written without spaces between words or sentences."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def sentence_gap(left: str, right: str, gap: str, lang: str) -> str:
    """What goes between two sentences joined into one paragraph, decided by the scripts on
    both sides: nothing where either side is CJK in a Japanese text (or both sides are CJK in
    any text), one space (or the source's own gap) where Latin text meets Latin text, so
    "leaders. They are in jail." keeps its space inside a Japanese document. A line break in
    the gap is kept."""
    left_end = markers.strip(left).rstrip()[-1:]
    right_start = markers.strip(right).lstrip()[:1]
    if "\n" in gap:
        return "\n" if lang == "ja" else gap
    wide = [bool(ch) and is_wide(ch) for ch in (left_end, right_start)]
    if all(wide) or (lang == "ja" and any(wide)):
        return ""
    return gap or " "
