"""Per-language typographic repairs of machine output (applied to each translated segment)."""

from __future__ import annotations

import re

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
