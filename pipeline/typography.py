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


_MARKS = rf"(?:{markers.ANY_SOURCE})"
_CLOSING = ".,;:!?)]}»”…、。"
_SPACE_BEFORE_CLOSING = re.compile(rf" +((?:{_MARKS})*)([{re.escape(_CLOSING)}])")
_DOUBLE_AROUND_MARKERS = re.compile(rf" ((?:{_MARKS})+) +")
_DOUBLE = re.compile(r"(?<=\S)  +(?=\S)")


def tidy_spaces(source: str, translated: str) -> str:
    """``translated`` without the spaces an engine adds where ``source`` had none: before
    closing punctuation ("párrafo nuevo ." next to a comment anchor, a bookmark, a field) and
    doubled (a space on both sides of such a marker). Both texts carry markers."""
    plain = markers.strip(source)

    def before_closing(m: re.Match[str]) -> str:
        return m.group(0) if f" {m.group(2)}" in plain else m.group(1) + m.group(2)

    out = _SPACE_BEFORE_CLOSING.sub(before_closing, translated)
    if "  " not in plain:
        out = _DOUBLE_AROUND_MARKERS.sub(lambda m: f" {m.group(1)}", out)
        out = _DOUBLE.sub(" ", out)
    return out
