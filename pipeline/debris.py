"""Placeholder debris: what is left of the pipeline's own placeholders after an engine.

The glossary sends terms through engines without markup as tokens (``ZXQ901``) and inline
formatting travels as markers (``<g1>…</g1>``, ``<x1/>``). ``glossary.restore`` and
``segment.repair_markers`` put back what survived in a shape they know; an engine can still
leave a mangled piece of one (``ZXQgen03``, ``zxq-903``, ``<extra466>``, ``<x 12>``). Such a
piece means nothing to a reader, so it is removed from the draft wherever drafts are recorded
(``pipeline.translate``), and the segment gets a QA finding that makes its print-ready outputs
wait for a review (``pipeline.blocking``). Text that is also in the source (a statement quoting
``<h1>`` or a code name) is never touched.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline import markers

DEBRIS = re.compile(
    r"(?i)[⟦\[]?(?<![A-Za-z0-9])ZXQ(?:[^\w\n]{0,3}\d+|\w*)[⟧\]]?"  # a glossary token, whole or mangled
    r"|</?\s*(?:extra|ex|bx|ph|bpt|ept|it|ins|g|x)\s*\d+\s*/?\s*>"  # a mangled marker-like tag
    r"|<\s*/?\s*[gx]\s+\d+\s*/?\s*>"  # a marker with spaces inside: < g 1>, <x 12/>
)
"""One piece of placeholder debris (``markers.PATTERN``'s valid markers are not debris)."""

FINDING = "placeholder debris removed from the draft"
"""The start of the QA ``leftover`` finding's detail for a segment whose draft had debris."""


def _pieces(text: str) -> list[str]:
    """The debris in ``text``, valid markers and escaped literals left out."""
    plain = markers.ANY.sub(" ", text)
    return [m.group(0) for m in DEBRIS.finditer(plain)]


def clean(source: str, draft: str) -> tuple[str, list[str]]:
    """``draft`` without debris the source does not have, and the pieces removed (in order)."""
    extra = Counter(_pieces(draft)) - Counter(_pieces(source))
    if not extra:
        return draft, []
    removed: list[str] = []

    def drop(match: re.Match[str]) -> str:
        piece = match.group(0)
        if markers.PATTERN.fullmatch(piece) or not extra[piece]:
            return piece
        extra[piece] -= 1
        removed.append(piece)
        return "\0"

    marked = DEBRIS.sub(drop, draft)
    return _close_gaps(marked), removed


def _close_gaps(text: str) -> str:
    """Remove the ``\\0`` holes with the spacing a reader expects: one space between words,
    none before closing punctuation or at the ends."""
    text = re.sub(r"[ \t]*\0[ \t]*(?=[,.;:!?)\]、。」』）]|$)", "", text)
    text = re.sub(r"(?:(?<=^)|(?<=[(\[「『（]))[ \t]*\0[ \t]*", "", text)
    text = re.sub(r"[ \t]+\0[ \t]*|[ \t]*\0[ \t]+", " ", text)
    return text.replace("\0", "")


def without_debris(words: list[str]) -> list[str]:
    """``words`` (an engine's unknown words) without pieces of the pipeline's placeholders."""
    return [word for word in words if not DEBRIS.fullmatch(word)]


def detail(removed: list[str]) -> str:
    """The QA finding's detail for the pieces ``clean`` removed. The pieces themselves are
    not quoted: they are what must never reach a file a person reads."""
    tokens = sum(1 for piece in removed if "zxq" in piece.lower())
    kinds = []
    if tokens:
        kinds.append(f"{tokens} mangled glossary placeholder{'s' if tokens > 1 else ''}")
    if len(removed) > tokens:
        n = len(removed) - tokens
        kinds.append(f"{n} mangled formatting tag{'s' if n > 1 else ''}")
    return f"{FINDING} ({' and '.join(kinds)}): check that the sentence is whole" + (
        " and the glossary term is in place" if tokens else ""
    )
