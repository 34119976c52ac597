"""A segment's source as HTML: escaped, its glossary terms marked with the required translation,
its inline markers (``<g1>…</g1>`` formatting, ``<x1/>`` a kept span) shown as tags, with the
text a ``<xN/>`` keeps as written (code, markup) beside it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from pipeline import markers


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


def highlight(
    source: str, glossary: Sequence[Mapping[str, Any]], verbatim: Mapping[str, str] | None = None
) -> Markup:
    """``source`` escaped, each glossary term in a ``<mark>`` carrying its required translation,
    each marker a tag (``verbatim``: marker number → the text it keeps)."""
    parts: list[str] = []
    at = 0
    for start, end, index in term_spans(source, glossary):
        entry = glossary[index]
        expected = str(entry.get("expected", ""))
        note = str(entry.get("note", ""))
        title = f"→ {expected}" + (f" ({note})" if note else "")
        parts.append(_with_tags(source[at:start], verbatim or {}))
        parts.append(
            f'<mark class="term" title="{escape(title)}" data-expected="{escape(expected)}">'
            f"{_with_tags(source[start:end], verbatim or {})}</mark>"
        )
        at = end
    parts.append(_with_tags(source[at:], verbatim or {}))
    return Markup("".join(parts))


def _with_tags(text: str, verbatim: Mapping[str, str]) -> str:
    """``text`` escaped, its markers as ``<span class="tag">`` (with the kept text, if any)."""
    parts: list[str] = []
    at = 0
    for marker in markers.tokens(text):
        parts.append(str(escape(text[at : marker.start])))
        kept = verbatim.get(str(marker.number)) if marker.kind == "empty" else None
        tag = str(escape(text[marker.start : marker.end]))
        if kept is None:
            parts.append(f'<span class="tag">{tag}</span>')
        else:
            parts.append(
                f'<span class="tag kept" title="{tag}: kept as written">{escape(kept)}</span>'
            )
        at = marker.end
    parts.append(str(escape(text[at:])))
    return "".join(parts)
