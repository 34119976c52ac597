"""Saving a segment from the workbench: the import's rule, the same memory, no lost edits.

A save names the version of the segment its page showed (``catalog.version_of``). When the
segment changed since (someone else approved it), the save is refused as a conflict and both
texts go back to the page; nothing is overwritten. Otherwise the text goes through
``pipeline.review.importer.check_correction`` — the rule ``pipeline review import`` applies —
and is stored with ``store_corrections`` under the reviewer's name and the time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from pipeline.memory import TranslationMemory
from pipeline.review.importer import Refusal, check_correction, store_corrections
from pipeline.review.sidecar import ReviewError, normalize_text
from pipeline.workbench.catalog import find_pair, load_segment, version_of

ORIGIN = "workbench"
"""The origin stored with approvals made in the workbench."""


@dataclass(frozen=True)
class SaveOutcome:
    """What a save did: ``status`` approved | unchanged | conflict | refused | missing."""

    status: str
    segment: str
    target: str = ""  # the text stored now (for a conflict: the other person's)
    version: str = ""
    reviewer: str = ""
    approved_at: str = ""
    reason: str = ""
    yours: str = ""  # for a conflict: the text that was not saved

    def as_json(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v or k == "status"}


class Approver:
    """Saves segments into one memory; one save at a time so the version check holds."""

    def __init__(self, out_dir: Path, memory: TranslationMemory) -> None:
        self.out_dir = out_dir
        self.memory = memory
        self._lock = threading.Lock()

    def save(
        self, document: str, pair: str, segment: str, text: str, base_version: str, reviewer: str
    ) -> SaveOutcome:
        with self._lock:
            return self._save(document, pair, segment, text, base_version, reviewer)

    def _save(
        self, document: str, pair: str, segment: str, text: str, base_version: str, reviewer: str
    ) -> SaveOutcome:
        ref = find_pair(self.out_dir, document, pair)
        if ref is None:
            return SaveOutcome("missing", segment, reason=f"no document {document} ({pair})")
        try:
            review, view = load_segment(ref, self.memory, segment)
        except ReviewError as exc:
            return SaveOutcome("missing", segment, reason=str(exc))
        if view is None:
            return SaveOutcome(
                "missing", segment, reason="this sentence is no longer in the document"
            )
        if base_version != view.version:
            who = view.approved
            return SaveOutcome(
                "conflict",
                segment,
                target=view.target,
                version=view.version,
                reviewer=who.reviewer if who else "",
                approved_at=who.approved_at if who else "",
                reason="changed since this page was loaded"
                + (f": approved by {who.reviewer} at {_shown(who.approved_at)}" if who else ""),
                yours=text,
            )
        decision = check_correction(
            view.current_row(),
            segment,
            view.source,
            text,
            draft_changed=normalize_text(text) != normalize_text(view.target),
            confirmed=True,
        )
        if isinstance(decision, Refusal):
            return SaveOutcome(
                "refused", segment, view.target, view.version, reason=decision.reason
            )
        if decision is not None:
            store_corrections(
                self.memory, review.src, review.tgt, [decision], reviewer, None, ORIGIN
            )
        entry = self.memory.get_approved(review.src, review.tgt, [view.source]).get(view.source)
        if entry is None:  # nothing to store and nothing stored: cannot happen for a confirm
            return SaveOutcome("refused", segment, view.target, view.version, reason="not stored")
        return SaveOutcome(
            "approved" if decision is not None else "unchanged",
            segment,
            target=entry.target,
            version=version_of(entry.target, entry),
            reviewer=entry.reviewer,
            approved_at=entry.approved_at,
        )


def _shown(stamp: str) -> str:
    """``2026-12-07T01:55:34+00:00`` as ``2026-12-07 01:55 UTC``."""
    return stamp[:16].replace("T", " ") + (" UTC" if stamp.endswith("+00:00") else "")
