"""One record per segment: what the translate stage made of it, and what QA found in it.

Plain frozen values at the bottom of the layers, so every stage (translate, QA, the review
files, the report, the workbench) reads the same record and none fills another's later:
QA returns new records with its findings (``dataclasses.replace``), it never edits these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.document import Segment

ORIGINS = ("identity", "machine", "cache", "approved", "degenerate")
"""Where a draft came from: the source text kept (already in the target language, or a
foreign block kept), an engine, the memory's cache, a person's approval, or the source text
kept because every engine's draft was degenerate."""


@dataclass(frozen=True)
class QaFinding:
    """One problem found in a segment's draft."""

    segment: str
    check: str
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"segment": self.segment, "check": self.check, "detail": self.detail}


@dataclass(frozen=True)
class DegenerateHandling:
    """An engine's first draft was degenerate (``pipeline.engines.guard``): what was done
    (``redecoded``, ``fallback`` to another engine, or the ``source`` kept) and the QA detail."""

    how: str
    detail: str


@dataclass(frozen=True)
class SegmentRecord:
    """One segment of one document in one target language.

    ``draft`` is the text that goes into every output (approved drafts exactly as written,
    machine and cached ones with markers repaired and typography fixed). ``kept``: why a
    foreign block was left as it is (``--keep-foreign``, ``no engine``), None otherwise.
    ``glossary`` (the glossary's terms in the source) and ``qa`` are QA's, empty before it.
    """

    segment: Segment
    draft: str
    origin: str = "identity"
    kept: str | None = None
    unknown_words: tuple[str, ...] = ()
    degenerate: DegenerateHandling | None = None
    fuzzy: tuple[Any, ...] = ()  # pipeline.memory.FuzzyMatch: approved similar sentences
    reviewer: str | None = None
    markers_repaired: int = 0
    glossary: tuple[dict[str, Any], ...] = ()
    qa: tuple[QaFinding, ...] = ()
    debris: str | None = None  # placeholder debris removed from the draft (pipeline.debris)

    @property
    def review_origin(self) -> str:
        """The origin the review files show: ``kept`` for a foreign block kept as it is."""
        return "kept" if self.kept is not None else self.origin
