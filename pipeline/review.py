"""The translator review round trip.

Export: a segments sidecar (``OUT/<stem>/review/<stem>.<src>-<tgt>.segments.json``, written
by the run) becomes a review DOCX and an XLIFF 1.2 file next to it.
Import: a returned review DOCX or XLIFF becomes a list of corrections, checked against the
segments as they are now, and each accepted correction is stored as approved in the
translation memory, so the next run uses it instead of asking an engine.

Nothing is imported wrongly: a file whose table was rearranged or whose ids were edited, or
that belongs to another document or language pair, is refused whole; a segment whose source
changed since the export, or whose inline markers were broken, is refused alone.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from pipeline.errors import PipelineError
from pipeline.export.atomic import write_text_atomic

FORMAT = "statement-pipeline-review/1"
SIDECAR_SUFFIX = ".segments.json"
DOCX_SUFFIX = ".review.docx"
XLIFF_SUFFIX = ".xlf"
REVIEW_FORMATS = ("docx", "xliff")

_MARKER = re.compile(r"<(/?)g(\d+)>|<x(\d+)/>")


class ReviewError(PipelineError):
    """A review or sidecar file that cannot be used; the message names what is wrong."""


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


@dataclass
class ReviewRow:
    """One segment as a reviewer sees it."""

    id: str
    source: str
    target: str
    block: int | None = None
    origin: str = "machine"
    glossary: list[dict[str, Any]] = field(default_factory=list)
    qa: list[dict[str, Any]] = field(default_factory=list)
    fuzzy: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReviewSet:
    """All segments of one document for one language pair, read from its sidecar."""

    document: str
    src: str
    tgt: str
    rows: list[ReviewRow]
    source_path: str = ""
    source_sha256: str = ""
    engine: str = ""
    model: str = ""
    sidecar: Path | None = None

    def checksum(self) -> str:
        return rows_checksum((r.id, r.source) for r in self.rows)

    def meta(self) -> dict[str, Any]:
        """What a review file stores about itself, to recognise it on import."""
        return {
            "format": FORMAT,
            "document": self.document,
            "src": self.src,
            "tgt": self.tgt,
            "source_sha256": self.source_sha256,
            "engine": self.engine,
            "model": self.model,
            "segments": len(self.rows),
            "checksum": self.checksum(),
        }

    def by_id(self) -> dict[str, ReviewRow]:
        return {r.id: r for r in self.rows}


@dataclass(frozen=True)
class ReturnedSegment:
    """A segment as read back from a returned review file."""

    id: str
    source: str
    target: str
    draft_changed: bool
    confirmed: bool = False
    source_edited: bool = False
    problem: str | None = None


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

    @property
    def failed(self) -> bool:
        return any(r.segment is None for r in self.refused)

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "document": self.document,
            "src": self.src,
            "tgt": self.tgt,
            "corrections": [asdict(c) for c in self.corrections],
            "refused": [asdict(r) for r in self.refused],
            "notes": list(self.notes),
        }


# --- hashing -----------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Whitespace runs collapsed, stripped: how segment texts are compared."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFC", text).split())


def text_hash(text: str) -> str:
    """Short hash of a normalised segment text (stored in review files)."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()[:16]


def rows_checksum(rows: Iterable[tuple[str, str]]) -> str:
    """Checksum of segment ids and sources in order: detects rearranged or edited tables."""
    digest = hashlib.sha256()
    for segment_id, source in rows:
        digest.update(f"{segment_id}\t{normalize_text(source)}\n".encode())
    return digest.hexdigest()


# --- sidecars ----------------------------------------------------------------------------


def load_sidecar(path: Path) -> ReviewSet:
    """Read a segments sidecar; raise ``ReviewError`` naming what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReviewError(f"{path}: cannot read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReviewError(f"{path}: not a segments file (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise ReviewError(f"{path}: not a segments file (no 'segments' list)")
    missing = [k for k in ("document", "src", "tgt") if not data.get(k)]
    if missing:
        raise ReviewError(f"{path}: segments file lacks {', '.join(missing)}")
    rows = []
    for n, seg in enumerate(data["segments"], 1):
        if not isinstance(seg, dict) or not isinstance(seg.get("id"), str):
            raise ReviewError(f"{path}: segment {n} has no id")
        rows.append(
            ReviewRow(
                id=seg["id"],
                source=str(seg.get("source") or ""),
                target=str(seg.get("target") or ""),
                block=seg.get("block"),
                origin=str(seg.get("origin") or "machine"),
                glossary=[g for g in seg.get("glossary") or [] if isinstance(g, dict)],
                qa=[q for q in seg.get("qa") or [] if isinstance(q, dict)],
                fuzzy=[f for f in seg.get("fuzzy") or [] if isinstance(f, dict)],
            )
        )
    dupes = [i for i, n in Counter(r.id for r in rows).items() if n > 1]
    if dupes:
        raise ReviewError(f"{path}: duplicate segment ids {', '.join(dupes[:5])}")
    return ReviewSet(
        document=str(data["document"]),
        src=str(data["src"]),
        tgt=str(data["tgt"]),
        rows=rows,
        source_path=str(data.get("source_path") or ""),
        source_sha256=str(data.get("source_sha256") or ""),
        engine=str(data.get("engine") or ""),
        model=str(data.get("model") or ""),
        sidecar=path,
    )


def sidecar_name(document: str, src: str, tgt: str) -> str:
    return f"{document}.{src}-{tgt}{SIDECAR_SUFFIX}"


def review_paths(sidecar: Path) -> dict[str, Path]:
    """Where the review files for a sidecar go: next to it, same base name."""
    base = sidecar.name.removesuffix(SIDECAR_SUFFIX)
    return {
        "docx": sidecar.with_name(base + DOCX_SUFFIX),
        "xliff": sidecar.with_name(base + XLIFF_SUFFIX),
    }


def write_review_files(
    sidecar: Path | ReviewSet, formats: Sequence[str] = REVIEW_FORMATS
) -> dict[str, Path]:
    """Write the review DOCX and/or XLIFF for one sidecar; returns {format: path}."""
    from pipeline.export.review_docx import write_review_docx
    from pipeline.export.xliff import write_xliff

    review = sidecar if isinstance(sidecar, ReviewSet) else load_sidecar(sidecar)
    if review.sidecar is None:
        raise ReviewError("review set has no sidecar path to write next to")
    targets = review_paths(review.sidecar)
    written: dict[str, Path] = {}
    for fmt in formats:
        if fmt == "docx":
            written[fmt] = write_review_docx(review, targets["docx"])
        elif fmt == "xliff":
            written[fmt] = write_xliff(review, targets["xliff"])
        else:
            raise ValueError(f"unknown review format {fmt!r}")
    return written


def find_sidecars(root: Path) -> list[Path]:
    """Sidecars under ``root`` (an output folder, a document's folder, or a sidecar itself)."""
    if root.is_file():
        return [root] if root.name.endswith(SIDECAR_SUFFIX) else []
    return sorted(p for p in root.rglob("*" + SIDECAR_SUFFIX) if p.is_file())


# --- import ------------------------------------------------------------------------------


def default_reviewer() -> str:
    """The OS user name (what ``--reviewer`` defaults to)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or "reviewer"


def _find_current(
    document: str, src: str, tgt: str, near: Path, against: Path | None
) -> Path | None:
    name = sidecar_name(document, src, tgt)
    candidates = [near.parent / name]
    if against is not None:
        if against.is_file():
            return against
        candidates.append(against / name)
        candidates.extend(sorted(against.rglob(name)))
    return next((c for c in candidates if c.is_file()), None)


def marker_problem(source: str, target: str) -> str | None:
    """Why ``target``'s inline markers cannot be used with ``source``'s, or None."""
    stack: list[str] = []
    src_ids = {m.group(2) or "x" + m.group(3) for m in _MARKER.finditer(source) if not m.group(1)}
    for m in _MARKER.finditer(target):
        closing, g_id, x_id = m.group(1), m.group(2), m.group(3)
        ident = g_id or "x" + x_id
        if ident not in src_ids:
            return f"tag {m.group(0)} is not in the source"
        if x_id:
            continue
        if not closing:
            stack.append(g_id)
        elif not stack or stack[-1] != g_id:
            return f"tag {m.group(0)} closes a tag that is not open"
        else:
            stack.pop()
    if stack:
        return f"tag <g{stack[-1]}> is not closed (add </g{stack[-1]}>)"
    stray = re.sub(r"</?g\d+>|<x\d+/>", "", target)
    if re.search(r"</?[gx]\d+\s*/?>|<\s*/?\s*[gx]\s*\d", stray):
        return "a damaged tag (like <g1 > or </ g1>) is in the text"
    return None


def plan_import(
    path: Path, against: Path | None = None, approve_unchanged: bool = False
) -> tuple[ImportResult, list[Correction]]:
    """Read a returned review file and decide what to import (nothing is stored yet).

    ``against`` is a sidecar or output folder holding the current segments when the file is
    not next to its sidecar. ``approve_unchanged`` also approves DOCX drafts left as they were.
    """
    result = ImportResult(path=path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".docx":
            meta, returned = _read_docx(path, result)
        elif suffix in (".xlf", ".xliff"):
            meta, returned = _read_xliff(path, result)
        else:
            raise ReviewError("not a review file (expected .docx, .xlf or .xliff)")
    except ReviewError as exc:
        result.refused.append(Refusal(None, str(exc)))
        return result, []
    if result.failed:
        return result, []
    result.document, result.src, result.tgt = meta["document"], meta["src"], meta["tgt"]

    current: ReviewSet | None = None
    sidecar = _find_current(result.document, result.src, result.tgt, path, against)
    if sidecar is not None:
        try:
            current = load_sidecar(sidecar)
        except ReviewError as exc:
            result.refused.append(Refusal(None, f"current segments unreadable: {exc}"))
            return result, []
        if (current.document, current.src, current.tgt) != (
            result.document,
            result.src,
            result.tgt,
        ):
            result.refused.append(
                Refusal(
                    None,
                    f"file is for {result.document} ({result.src}→{result.tgt}), "
                    f"not {current.document} ({current.src}→{current.tgt})",
                )
            )
            return result, []
    else:
        result.notes.append(
            f"current segments of {result.document} not found next to the file"
            + (f" or under {against}" if against else "")
            + "; checked against the sources stored in the file only (use --against OUT_DIR)"
        )
    rows_now = current.by_id() if current else {}

    corrections: list[Correction] = []
    for seg in returned:
        if seg.problem:
            result.refused.append(Refusal(seg.id, seg.problem))
            continue
        if seg.source_edited:
            result.refused.append(
                Refusal(
                    seg.id, "the source text was edited in the review file; only drafts can change"
                )
            )
            continue
        now = rows_now.get(seg.id)
        if current is not None and now is None:
            result.refused.append(Refusal(seg.id, "segment is no longer in the document"))
            continue
        if now is not None and normalize_text(now.source) != normalize_text(seg.source):
            result.refused.append(
                Refusal(seg.id, "source changed since export; re-export and review it again")
            )
            continue
        wanted = seg.draft_changed or seg.confirmed or approve_unchanged
        if not wanted:
            continue
        if now is not None and now.origin == "approved" and not seg.draft_changed:
            continue
        target = normalize_text(seg.target)
        if not target:
            result.refused.append(Refusal(seg.id, "draft is empty"))
            continue
        problem = marker_problem(seg.source, target)
        if problem:
            result.refused.append(Refusal(seg.id, problem))
            continue
        reason = "edited" if seg.draft_changed else "confirmed"
        draft = now.target if now is not None else None
        corrections.append(Correction(seg.id, seg.source, draft, target, reason))
    return result, corrections


def import_review(
    path: Path,
    memory: ApprovingMemory,
    reviewer: str | None = None,
    *,
    against: Path | None = None,
    approve_unchanged: bool = False,
    when: datetime | None = None,
) -> ImportResult:
    """Import one returned review file into ``memory`` as approved translations."""
    result, corrections = plan_import(path, against, approve_unchanged)
    who = reviewer or default_reviewer()
    origin = f"review:{path.name}"
    for c in corrections:
        changed = memory.approve(result.src, result.tgt, c.source, c.target, who, when, origin)
        status = "approved" if changed else "unchanged"
        result.corrections.append(
            Correction(c.segment, c.source, c.draft, c.target, c.reason, status)
        )
    return result


def _check_meta(meta: dict[str, Any]) -> None:
    if meta.get("format") != FORMAT:
        raise ReviewError(f"review file format {meta.get('format')!r}, expected {FORMAT!r}")
    for key in ("document", "src", "tgt", "checksum"):
        if not meta.get(key):
            raise ReviewError(f"review file's pipeline data lacks {key!r}")


def _read_docx(path: Path, result: ImportResult) -> tuple[dict[str, Any], list[ReturnedSegment]]:
    from pipeline.export.review_docx import ReviewDocxError, read_review_docx

    try:
        doc = read_review_docx(path)
    except ReviewDocxError as exc:
        raise ReviewError(str(exc)) from None
    meta = doc.meta
    _check_meta(meta)
    exported = meta.get("rows") or []
    ids_now = [r.id for r in doc.rows]
    ids_then = [r[0] for r in exported]
    if len(ids_now) != len(ids_then):
        raise ReviewError(
            f"the table has {len(ids_now)} segment rows but {len(ids_then)} were exported: "
            "rows were added or deleted; import the file as exported"
        )
    if ids_now != ids_then:
        if sorted(ids_now) == sorted(ids_then):
            raise ReviewError(
                "the table's rows were rearranged (sorted or moved); restore the order"
            )
        edited = [i for i in ids_now if i not in set(ids_then)]
        raise ReviewError(f"segment ids were edited in the table: {', '.join(edited[:5])}")
    returned = []
    for row, (seg_id, source_hash, draft_hash) in zip(doc.rows, exported, strict=True):
        returned.append(
            ReturnedSegment(
                id=seg_id,
                source=row.source,
                target=row.target,
                draft_changed=text_hash(row.target) != draft_hash,
                source_edited=text_hash(row.source) != source_hash,
            )
        )
    if not any(r.source_edited for r in returned) and (
        rows_checksum((r.id, r.source) for r in returned) != meta["checksum"]
    ):
        raise ReviewError("the file's pipeline data does not match its own table (damaged)")
    return meta, returned


def _read_xliff(path: Path, result: ImportResult) -> tuple[dict[str, Any], list[ReturnedSegment]]:
    from pipeline.export.xliff import XliffError, read_xliff, text_sha256

    try:
        xlf = read_xliff(path)
    except XliffError as exc:
        raise ReviewError(str(exc)) from None
    meta = xlf.meta
    _check_meta(meta)
    if xlf.document != meta["document"] or (xlf.src, xlf.tgt) != (meta["src"], meta["tgt"]):
        raise ReviewError(
            f"<file original={xlf.document!r}> {xlf.src}→{xlf.tgt} does not match its pipeline "
            f"data ({meta['document']} {meta['src']}→{meta['tgt']})"
        )
    ids = [u.id for u in xlf.units]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    if dupes:
        raise ReviewError(f"segment ids repeated: {', '.join(dupes[:5])}")
    if len(ids) != int(meta.get("segments", len(ids))):
        raise ReviewError(
            f"has {len(ids)} segments but {meta.get('segments')} were exported; "
            "units were added or removed"
        )
    returned = []
    for unit in xlf.units:
        returned.append(
            ReturnedSegment(
                id=unit.id,
                source=unit.source,
                target=unit.target,
                draft_changed=unit.draft_sha256 is not None
                and text_sha256(unit.target) != unit.draft_sha256,
                confirmed=unit.state in ("final", "signed-off"),
                source_edited=unit.source_sha256 is not None
                and text_sha256(unit.source) != unit.source_sha256,
                problem=unit.problem,
            )
        )
    if not any(r.source_edited or r.problem for r in returned) and (
        rows_checksum((r.id, r.source) for r in returned) != meta["checksum"]
    ):
        raise ReviewError("segment ids were edited or units moved since export")
    return meta, returned


def export_review(
    root: Path, formats: Sequence[str] = REVIEW_FORMATS
) -> list[tuple[Path, dict[str, Path] | str]]:
    """Regenerate review files for every sidecar under ``root``.

    Returns (sidecar, {format: path}) per sidecar, or (sidecar, error line) when one failed.
    """
    results: list[tuple[Path, dict[str, Path] | str]] = []
    for sidecar in find_sidecars(root):
        try:
            results.append((sidecar, write_review_files(sidecar, formats)))
        except ReviewError as exc:
            results.append((sidecar, str(exc)))
        except OSError as exc:
            results.append((sidecar, f"{sidecar}: cannot write review files ({exc.strerror})"))
    return results


# --- writing sidecars (called by the run) ------------------------------------------------


NOT_CHECKED = ("approved", "identity", "kept")
"""Origins whose text no engine wrote: QA does not check them."""


def segment_entry(
    segment_id: str,
    source: str,
    target: str,
    src: str,
    tgt: str,
    *,
    block: int | None = None,
    origin: str = "machine",
    glossary: Sequence[dict[str, Any]] = (),
    fuzzy: Sequence[Any] = (),
    placeholder_patterns: Sequence[str] = (),
    unknown_words: Sequence[str] = (),
    expected_terms: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One sidecar segment, with the QA findings of its draft computed here.

    ``glossary`` holds ``{"term", "expected", "note"}`` dicts for the terms in the segment
    (``Glossary.terms_in``); ``fuzzy`` holds ``pipeline.memory.FuzzyMatch`` objects or
    ``{"source","target","score"}``; ``expected_terms``, when given, replaces the glossary's
    expected forms for the QA ``glossary`` check (pass the expected forms of this segment's
    ``GlossaryReport.misses`` to defer to the glossary's own, inflection-aware verdict).
    """
    from pipeline.qa import check_segment

    findings = []
    if origin not in NOT_CHECKED:
        findings = check_segment(
            segment_id,
            source,
            target,
            src,
            tgt,
            expected_terms=(
                [g.get("expected", "") for g in glossary]
                if expected_terms is None
                else expected_terms
            ),
            placeholder_patterns=placeholder_patterns,
            unknown_words=unknown_words,
        )
    return {
        "id": segment_id,
        "block": block,
        "source": source,
        "target": target,
        "origin": origin,
        "glossary": [dict(g) for g in glossary],
        "qa": [f.as_json() for f in findings],
        "fuzzy": [_fuzzy_json(m) for m in fuzzy],
    }


def _fuzzy_json(match: Any) -> dict[str, Any]:
    if isinstance(match, dict):
        return {"source": match.get("source", ""), "target": match.get("target", ""),
                "score": float(match.get("score", 0))}  # fmt: skip
    return {"source": match.source, "target": match.target, "score": float(match.score)}


def sidecar_path(document_out_dir: Path, document: str, src: str, tgt: str) -> Path:
    """``OUT/<stem>/review/<stem>.<src>-<tgt>.segments.json``."""
    return document_out_dir / "review" / sidecar_name(document, src, tgt)


def write_sidecar(
    path: Path,
    *,
    document: str,
    src: str,
    tgt: str,
    segments: Sequence[dict[str, Any]],
    source_path: str = "",
    source_sha256: str = "",
    engine: str = "",
    model: str = "",
) -> Path:
    """Write a segments sidecar atomically (temp file in the same folder, then replace)."""
    data = {
        "document": document,
        "source_path": source_path,
        "source_sha256": source_sha256,
        "src": src,
        "tgt": tgt,
        "engine": engine,
        "model": model,
        "segments": list(segments),
    }
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    return path
