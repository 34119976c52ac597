"""What the workbench shows: the documents under OUT and their segments as they are now.

A segment's current text is the memory's approved translation when there is one (approved
in the workbench, imported from a review file, or by an earlier run), else the draft the run
left in the sidecar. Its ``version`` is a hash of that text and state: a save names the
version its page showed, and a different one now means someone else saved in between.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from pipeline.memory import ApprovedEntry, TranslationMemory
from pipeline.memory.drafts import engine_drafts
from pipeline.review.files import find_sidecars
from pipeline.review.sidecar import ReviewError, ReviewRow, ReviewSet, load_sidecar, normalize_text
from pipeline.workbench.markup import highlight

FUZZY_THRESHOLD = 75.0
FUZZY_LIMIT = 3
MAX_ALTERNATIVES = 6

_SIDECAR_NAME = re.compile(r"(?P<document>.+)\.(?P<src>[a-z]{2})-(?P<tgt>[a-z]{2})\.segments\.json")

ORIGIN_LABELS = {
    "machine": "engine",
    "cache": "engine (memory)",
    "approved": "approved",
    "identity": "same language",
    "degenerate": "source kept (broken draft)",
    "kept": "kept as is",
}


@dataclass(frozen=True)
class PairRef:
    """One document × language pair, found by its sidecar."""

    document: str
    src: str
    tgt: str
    sidecar: Path

    @property
    def pair(self) -> str:
        return f"{self.src}-{self.tgt}"

    @property
    def folder(self) -> Path:
        """The document's output folder (``OUT/<stem>``)."""
        return self.sidecar.parent.parent


@dataclass(frozen=True)
class Alternative:
    """A text the reviewer may use instead of the draft: a memory match or an engine's draft."""

    kind: str  # "memory" | "engine" | "draft"
    label: str
    text: str
    score: float | None = None  # a memory match's fuzzy score (0-100)


@dataclass
class SegmentView:
    """One row of the document page."""

    id: str
    source: str
    draft: str  # what the run wrote
    target: str  # what the row shows now (approved text, else the draft)
    origin: str
    approved: ApprovedEntry | None
    qa: list[dict[str, Any]]
    glossary: list[dict[str, Any]]
    verbatim: dict[str, str] = field(default_factory=dict)  # <xN/> → the text it keeps
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def source_html(self) -> Markup:
        """The source escaped, its glossary terms marked (only the page needs it)."""
        return highlight(self.source, self.glossary, self.verbatim)

    @property
    def best_fuzzy(self) -> float | None:
        """The best memory match's score, when the memory has a close match."""
        scores = [a.score for a in self.alternatives if a.score is not None]
        return max(scores) if scores else None

    @property
    def state(self) -> str:
        return "approved" if self.approved is not None else "draft"

    @property
    def version(self) -> str:
        return version_of(self.target, self.approved)

    @property
    def origin_label(self) -> str:
        if self.approved is not None:
            return "approved"
        return ORIGIN_LABELS.get(self.origin, self.origin)

    def current_row(self) -> ReviewRow:
        """The row as the import rule sees it now (approved in the memory, or the draft)."""
        if self.approved is not None:
            origin = "approved"
        else:  # a sidecar's "approved" the memory no longer holds is a draft to approve again
            origin = "machine" if self.origin == "approved" else self.origin
        return ReviewRow(self.id, self.source, self.target, origin=origin)


@dataclass
class PairSummary:
    """A line of the first page."""

    ref: PairRef
    total: int
    approved: int
    findings_open: int
    error: str | None = None


def version_of(target: str, approved: ApprovedEntry | None) -> str:
    """The version a save must name: changes whenever the stored text or its approval does."""
    who = f"{approved.reviewer}\x00{approved.approved_at}" if approved is not None else "draft"
    digest = hashlib.sha256(f"{normalize_text(target)}\x00{who}".encode()).hexdigest()
    return digest[:16]


def find_pairs(out_dir: Path) -> list[PairRef]:
    """Every document × pair that has a sidecar under ``out_dir``, sorted (known by the
    sidecar's name, ``<document>.<src>-<tgt>.segments.json``, without reading it)."""
    refs = []
    for sidecar in find_sidecars(out_dir):
        named = _SIDECAR_NAME.fullmatch(sidecar.name)
        if named:
            refs.append(PairRef(named["document"], named["src"], named["tgt"], sidecar))
    return sorted(refs, key=lambda r: (r.document, r.src, r.tgt))


def find_pair(out_dir: Path, document: str, pair: str) -> PairRef | None:
    return next((r for r in find_pairs(out_dir) if (r.document, r.pair) == (document, pair)), None)


def load_segments(
    ref: PairRef, memory: TranslationMemory, *, alternatives: bool = True
) -> tuple[ReviewSet, list[SegmentView]]:
    """The pair's rows with their current text; ``ReviewError`` when the sidecar is unusable."""
    review = load_sidecar(ref.sidecar)
    sources = [r.source for r in review.rows]
    approved = memory.get_approved(review.src, review.tgt, sources)
    views = [_view(row, approved.get(row.source)) for row in review.rows]
    if alternatives:
        _add_alternatives(review, views, memory)
    return review, views


def load_segment(
    ref: PairRef, memory: TranslationMemory, segment: str
) -> tuple[ReviewSet, SegmentView | None]:
    """One row with its current text (what a save checks against), or None when the
    document no longer has it; ``ReviewError`` when the sidecar is unusable."""
    review = load_sidecar(ref.sidecar)
    row = review.by_id().get(segment)
    if row is None:
        return review, None
    entry = memory.get_approved(review.src, review.tgt, [row.source]).get(row.source)
    return review, _view(row, entry)


def _view(row: ReviewRow, entry: ApprovedEntry | None) -> SegmentView:
    return SegmentView(
        id=row.id,
        source=row.source,
        draft=row.target,
        target=entry.target if entry is not None else row.target,
        origin=row.origin,
        approved=entry,
        qa=list(row.qa),
        glossary=list(row.glossary),
        verbatim=dict(row.verbatim),
    )


def _add_alternatives(
    review: ReviewSet, views: list[SegmentView], memory: TranslationMemory
) -> None:
    sources = [v.source for v in views]
    fuzzy = memory.fuzzy_many(review.src, review.tgt, sources, FUZZY_THRESHOLD, FUZZY_LIMIT + 1)
    drafts = engine_drafts(memory, review.src, review.tgt, sources)
    stored_fuzzy = {r.id: r.fuzzy for r in review.rows}
    for view in views:
        offers: list[Alternative] = []
        if view.approved is not None:
            offers.append(Alternative("draft", "the run's draft", view.draft))
        own = normalize_text(view.source)
        for match in fuzzy.get(view.source, []):
            if normalize_text(match.source) != own:
                label = f"memory {match.score:.0f}% · {match.source}"
                offers.append(Alternative("memory", label, match.target, match.score))
        for item in stored_fuzzy.get(view.id, []):
            score = float(item.get("score", 0))
            label = f"memory {score:.0f}% · {item.get('source', '')}"
            offers.append(Alternative("memory", label, str(item.get("target", "")), score))
        for draft in drafts.get(view.source, []):
            if (draft.engine, draft.model) == (review.engine, review.model):
                continue  # the draft itself, before the glossary and typography
            label = " ".join(x for x in (draft.engine, draft.model) if x)
            offers.append(Alternative("engine", label, draft.target))
        view.alternatives = _distinct(offers, view.target)[:MAX_ALTERNATIVES]


def _distinct(offers: list[Alternative], current: str) -> list[Alternative]:
    """The offers whose text differs from the row's and from every earlier offer."""
    seen = {normalize_text(current)}
    kept = []
    for offer in offers:
        text = normalize_text(offer.text)
        if text and text not in seen:
            seen.add(text)
            kept.append(offer)
    return kept


def summarize(ref: PairRef, memory: TranslationMemory) -> PairSummary:
    """Progress of one pair: approved / total, findings on rows not approved yet."""
    try:
        _, views = load_segments(ref, memory, alternatives=False)
    except ReviewError as exc:
        return PairSummary(ref, 0, 0, 0, str(exc))
    approved = sum(v.approved is not None for v in views)
    findings = sum(len(v.qa) for v in views if v.approved is None)
    return PairSummary(ref, len(views), approved, findings)


def read_report(folder: Path) -> dict[str, Any]:
    """The document's report.json ({} when missing or unreadable)."""
    try:
        data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
