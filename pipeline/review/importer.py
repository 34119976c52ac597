"""Importing a returned review file: a plan of corrections, then approvals in the memory.

A returned review DOCX or XLIFF becomes a list of corrections, checked against the segments
as they are now (the current sidecar), and each accepted correction is stored as approved in
the translation memory, so the next run uses it instead of asking an engine.

Nothing is imported wrongly: a file whose table was rearranged or whose ids were edited, or
that belongs to another document or language pair, is refused whole; a segment whose source
changed since the export, or whose inline markers were broken, is refused alone.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pipeline import markers
from pipeline.review.files import current_sidecar, read_returned
from pipeline.review.sidecar import (
    JsonObject,
    ReturnedSegment,
    ReviewError,
    ReviewRow,
    ReviewSet,
    load_sidecar,
    normalize_text,
)


class ApprovingMemory(Protocol):
    """The part of ``pipeline.memory.TranslationMemory`` an import needs."""

    def approve(
        self,
        src: str,
        tgt: str,
        source: str,
        target: str,
        reviewer: str,
        when: datetime | None = None,
        origin: str | None = None,
    ) -> bool: ...

    def get_approved(
        self, src: str, tgt: str, sources: Sequence[str]
    ) -> Mapping[str, ApprovedNow]: ...


class ApprovedNow(Protocol):
    """An approval already in the memory (``pipeline.memory.ApprovedEntry`` has this shape)."""

    @property
    def target(self) -> str: ...
    @property
    def reviewer(self) -> str: ...
    @property
    def approved_at(self) -> str: ...


@dataclass(frozen=True)
class Correction:
    """A reviewed target to store as approved."""

    segment: str
    source: str
    draft: str | None
    target: str
    reason: str  # "edited" (text changed) or "confirmed" (marked final / approved as is)
    status: str = ""  # after import: "approved", "updated" or "unchanged"


@dataclass(frozen=True)
class Refusal:
    """A segment (or, with ``segment`` None, the whole file) that was not imported."""

    segment: str | None
    reason: str


@dataclass
class ImportResult:
    """What importing one review file did."""

    path: Path
    document: str = ""
    src: str = ""
    tgt: str = ""
    corrections: list[Correction] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exported_at: datetime | None = None  # when the review file was written

    @property
    def failed(self) -> bool:
        return any(r.segment is None for r in self.refused)

    def as_json(self) -> JsonObject:
        return {
            "path": str(self.path),
            "document": self.document,
            "src": self.src,
            "tgt": self.tgt,
            "corrections": [asdict(c) for c in self.corrections],
            "refused": [asdict(r) for r in self.refused],
            "notes": list(self.notes),
        }


# --- import ------------------------------------------------------------------------------


def default_reviewer() -> str:
    """The OS user name (what ``--reviewer`` defaults to)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or "reviewer"


def marker_problem(source: str, target: str) -> str | None:
    """Why ``target``'s inline markers cannot be used with ``source``'s, or None.

    The problems ``markers.check`` finds, in a reviewer's words, less two it allows: a
    reviewer may drop formatting (markers lost) and repeat a marker the source has. Of
    several, a misplaced tag earliest in the text is named first, then an unclosed one.
    """
    in_source = {m.ident for m in markers.tokens(source) if m.kind != "close"}
    misplaced: list[tuple[int, str]] = []  # (where in the target, message)
    unclosed: list[markers.Marker] = []
    other: str | None = None
    first: dict[str, markers.Marker] = {}
    for marker in markers.tokens(target):
        if marker.kind != "close":
            first.setdefault(marker.ident, marker)
    strays = iter(_unopened(target))
    for problem in markers.check(source, target):
        named = list(markers.tokens(problem))
        if problem.startswith("marker not in source"):
            extra = [first[m.ident] for m in named if m.ident not in in_source]
            misplaced.extend(
                (m.start, f"tag {_as_typed(target, m)} is not in the source") for m in extra
            )
        elif problem.endswith("without its opening tag"):
            closing = next(strays)
            why = "closes a tag that is not open" if closing.ident in in_source else None
            misplaced.append(
                (closing.start, f"tag {_as_typed(target, closing)} {why or 'is not in the source'}")
            )
        elif problem.endswith("not closed"):
            unclosed.extend(named)
        elif not problem.startswith("formatting marker lost"):
            other = other or problem  # a damaged tag: already in a reviewer's words
    if misplaced:
        return min(misplaced)[1]
    if unclosed:
        innermost = unclosed[-1]  # markers.check lists them outermost first
        return f"tag {innermost.text} is not closed (add </g{innermost.number}>)"
    return other


def _as_typed(text: str, marker: markers.Marker) -> str:
    return text[marker.start : marker.end]


def _unopened(text: str) -> list[markers.Marker]:
    """The closing tags in ``text`` that close no open tag, in the order ``markers.check``
    reports them ("without its opening tag")."""
    stack: list[int] = []
    unopened = []
    for marker in markers.tokens(text):
        if marker.kind == "open":
            stack.append(marker.number)
        elif marker.kind == "close":
            if stack and stack[-1] == marker.number:
                stack.pop()
            else:
                unopened.append(marker)
    return unopened


def plan_import(
    path: Path,
    against: Path | None = None,
    approve_unchanged: bool = False,
    *,
    memory: ApprovingMemory | None = None,
    overwrite_newer: bool = False,
) -> tuple[ImportResult, list[Correction]]:
    """Read a returned review file and decide what to import (nothing is stored yet).

    ``against`` is a sidecar or output folder holding the current segments when the file is
    not next to its sidecar. ``approve_unchanged`` also approves DOCX drafts left as they were.
    With ``memory``, rows approved again there after the file was exported are refused unless
    ``overwrite_newer``.
    """
    result, corrections = _plan(path, against, approve_unchanged)
    if memory is not None and not overwrite_newer:
        corrections = _keep_newer(result, corrections, memory)
    return result, corrections


def _plan(
    path: Path, against: Path | None, approve_unchanged: bool
) -> tuple[ImportResult, list[Correction]]:
    result = ImportResult(path=path)
    try:
        returned_file = read_returned(path)
    except ReviewError as exc:
        result.refused.append(Refusal(None, str(exc)))
        return result, []
    meta = returned_file.meta
    result.document, result.src, result.tgt = meta.document, meta.src, meta.tgt
    result.exported_at = meta.exported_at
    try:
        current = _current_segments(result, returned_file.home or path, against)
    except ReviewError as exc:
        result.refused.append(Refusal(None, str(exc)))
        return result, []
    rows_now = current.by_id() if current else {}
    corrections: list[Correction] = []
    for seg in returned_file.segments:
        decided = _decide(seg, rows_now.get(seg.id), current is not None, approve_unchanged)
        if isinstance(decided, Refusal):
            result.refused.append(decided)
        elif decided is not None:
            corrections.append(decided)
    return result, corrections


def _current_segments(result: ImportResult, near: Path, against: Path | None) -> ReviewSet | None:
    """The document's segments as they are now (its current sidecar), or None with a note
    when it is not found; ``ReviewError`` when it cannot be read or is another document's."""
    sidecar = current_sidecar(result.document, result.src, result.tgt, near, against)
    if sidecar is None:
        result.notes.append(
            f"the latest translation of {result.document} was not found next to the file"
            + (f" or under {against}" if against else "")
            + "; checked against the original sentences stored in the file only (give the "
            "output folder with --against OUT_DIR)"
        )
        return None
    try:
        current = load_sidecar(sidecar)
    except ReviewError as exc:
        raise ReviewError(
            f"the latest translation of this document cannot be read: {exc}"
        ) from None
    if (current.document, current.src, current.tgt) != (result.document, result.src, result.tgt):
        raise ReviewError(
            f"file is for {result.document} ({result.src}→{result.tgt}), "
            f"not {current.document} ({current.src}→{current.tgt})"
        )
    return current


_SOURCE_EDITED = "the original sentence was edited in the review file; only the draft may change"
_RETRANSLATED = "this sentence is no longer in the document (it was re-translated)"
_SOURCE_CHANGED = (
    "the original sentence changed after this review file was made, so this correction may no "
    "longer fit; review it again in the new file from `pipeline review export`"
)


def _decide(
    seg: ReturnedSegment, now: ReviewRow | None, have_current: bool, approve_unchanged: bool
) -> Correction | Refusal | None:
    """What to do with one returned segment: a correction, a refusal, or nothing."""
    refusal = _refusal_before_target(seg, now, have_current)
    if refusal is not None:
        return Refusal(seg.id, refusal)
    return check_correction(
        now,
        seg.id,
        seg.source,
        seg.target,
        draft_changed=seg.draft_changed,
        confirmed=seg.confirmed,
        approve_unchanged=approve_unchanged,
    )


def _refusal_before_target(
    seg: ReturnedSegment, now: ReviewRow | None, have_current: bool
) -> str | None:
    if seg.problem:
        return seg.problem
    if seg.source_edited:
        return _SOURCE_EDITED
    if have_current and now is None:
        return _RETRANSLATED
    if now is not None and normalize_text(now.source) != normalize_text(seg.source):
        return _SOURCE_CHANGED
    return None


def check_correction(
    now: ReviewRow | None,
    segment: str,
    source: str,
    target: str,
    *,
    draft_changed: bool,
    confirmed: bool,
    approve_unchanged: bool = False,
) -> Correction | Refusal | None:
    """The one rule deciding whether a reviewed ``target`` of a segment is approved.

    ``now`` is the segment as the latest run left it (None when unknown); ``draft_changed``:
    the reviewer edited the draft; ``confirmed``: the reviewer approved it as it is (an XLIFF
    unit marked final, a click on Approve in the workbench); ``approve_unchanged``: drafts
    left as they were are approved too (``--approve-unchanged``), except degenerate ones (the
    source text). Returns the correction to store, a refusal saying why not, or None when
    there is nothing to store. The review import and the workbench both decide with it.
    """
    if not (draft_changed or confirmed or approve_unchanged):
        return None
    if now is not None and now.origin == "degenerate" and not (draft_changed or confirmed):
        return Refusal(segment, "the draft is the source text (every engine's draft was "
                       "degenerate); translate it before approving")  # fmt: skip
    if now is not None and now.origin == "approved" and not draft_changed:
        return None
    text = normalize_text(target)
    if not text:
        return Refusal(segment, "draft is empty")
    problem = marker_problem(source, text)
    if problem:
        return Refusal(segment, problem)
    reason = "edited" if draft_changed else "confirmed"
    draft = now.target if now is not None else None
    return Correction(segment, source, draft, text, reason)


def store_corrections(
    memory: ApprovingMemory,
    src: str,
    tgt: str,
    corrections: Sequence[Correction],
    reviewer: str | None,
    when: datetime | None,
    origin: str,
) -> list[Correction]:
    """Store accepted corrections as approved; each comes back with its status."""
    who = reviewer or default_reviewer()
    stored = []
    for c in corrections:
        changed = memory.approve(src, tgt, c.source, c.target, who, when, origin)
        status = "approved" if changed else "unchanged"
        stored.append(Correction(c.segment, c.source, c.draft, c.target, c.reason, status))
    return stored


def import_review(
    path: Path,
    memory: ApprovingMemory,
    reviewer: str | None = None,
    *,
    against: Path | None = None,
    approve_unchanged: bool = False,
    when: datetime | None = None,
    overwrite_newer: bool = False,
) -> ImportResult:
    """Import one returned review file into ``memory`` as approved translations.

    A row whose segment was approved differently *after* the file was exported is refused
    (the newer approval is kept) unless ``overwrite_newer``."""
    result, corrections = plan_import(
        path, against, approve_unchanged, memory=memory, overwrite_newer=overwrite_newer
    )
    result.corrections.extend(
        store_corrections(
            memory, result.src, result.tgt, corrections, reviewer, when, f"review:{path.name}"
        )
    )
    _settle_omegat_states(path)
    return result


def _settle_omegat_states(path: Path) -> None:
    """In an OmegaT project, the states of OmegaT's translated XLIFF set to what was done."""
    from pipeline.review import omegat

    try:
        omegat.settle_states(omegat.project_of(path))
    except ReviewError:
        return  # not in an OmegaT project


def _keep_newer(
    result: ImportResult, corrections: list[Correction], memory: ApprovingMemory
) -> list[Correction]:
    """The corrections that do not overwrite a newer approval; the others are refused."""
    exported = result.exported_at
    if exported is None:
        if corrections:
            result.notes.append(
                "the file does not say when it was exported (written by an older version); "
                "approvals made since then were not checked"
            )
        return corrections
    now = memory.get_approved(result.src, result.tgt, [c.source for c in corrections])
    kept: list[Correction] = []
    for c in corrections:
        entry = now.get(c.source)
        if entry is not None and entry.target != c.target:
            try:
                newer = datetime.fromisoformat(entry.approved_at) > exported
            except ValueError:
                newer = False
            if newer:
                result.refused.append(
                    Refusal(
                        c.segment,
                        f"approved again by {entry.reviewer} at {entry.approved_at}, after this "
                        f"file was exported ({exported.isoformat()}); the newer approval is "
                        "kept (use --overwrite-newer to replace it with this file's)",
                    )
                )
                continue
        kept.append(c)
    return kept
