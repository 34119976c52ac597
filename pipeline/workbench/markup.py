"""A segment's source as HTML: escaped, its glossary terms marked with the required translation."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape


def _pattern(term: str) -> re.Pattern[str]:
    """``term`` anywhere, case-insensitive; at word edges when it starts/ends with a letter
    of a script that separates words (not for Japanese, which has no spaces)."""
    body = re.escape(term)
    if term[:1].isascii() and term[:1].isalnum():
        body = r"(?<!\w)" + body
    if term[-1:].isascii() and term[-1:].isalnum():
        body += r"(?!\w)"
    return re.compile(body, re.IGNORECASE)


def term_spans(source: str, glossary: Sequence[Mapping[str, Any]]) -> list[tuple[int, int, int]]:
    """Non-overlapping (start, end, glossary index) spans, longer terms first, in text order."""
    taken: list[tuple[int, int, int]] = []
    order = sorted(range(len(glossary)), key=lambda i: -len(str(glossary[i].get("term", ""))))
    for index in order:
        term = str(glossary[index].get("term", "")).strip()
        if not term:
            continue
        for match in _pattern(term).finditer(source):
            start, end = match.span()
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, index))
    return sorted(taken)


def highlight(source: str, glossary: Sequence[Mapping[str, Any]]) -> Markup:
    """``source`` escaped, each glossary term in a ``<mark>`` carrying its required translation."""
    parts: list[str] = []
    at = 0
    for start, end, index in term_spans(source, glossary):
        entry = glossary[index]
        expected = str(entry.get("expected", ""))
        note = str(entry.get("note", ""))
        title = f"→ {expected}" + (f" ({note})" if note else "")
        parts.append(str(escape(source[at:start])))
        parts.append(
            f'<mark class="term" title="{escape(title)}" data-expected="{escape(expected)}">'
            f"{escape(source[start:end])}</mark>"
        )
        at = end
    parts.append(str(escape(source[at:])))
    return Markup("".join(parts))
