"""The review model: the segments sidecar, its rows, and the hashes review files carry.

A run writes one sidecar per document × language pair
(``OUT/<stem>/review/<stem>.<src>-<tgt>.segments.json``): every segment's source, draft,
origin, glossary terms, QA findings and memory suggestions. Review files (DOCX, XLIFF) are
written from it, and store a checksum of the ids and sources and a hash of every exported
source and draft, so an import can tell edited drafts from untouched ones and refuse files
whose rows were rearranged or whose sources were edited.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pipeline.errors import PipelineError
from pipeline.export.atomic import write_text_atomic
from pipeline.outnames import output_file
from pipeline.qa import segment_findings
from pipeline.records import SegmentRecord

FORMAT = "statement-pipeline-review/1"
SIDECAR_SUFFIX = ".segments.json"

JsonObject = dict[str, Any]
"""A JSON object as stored in a sidecar (glossary hints, QA findings, memory suggestions)."""


class ReviewError(PipelineError):
    """A review or sidecar file that cannot be used; the message names what is wrong."""


@dataclass
class ReviewRow:
    """One segment as a reviewer sees it."""

    id: str
    source: str
    target: str
    block: int | None = None
    origin: str = "machine"
    glossary: list[JsonObject] = field(default_factory=list)
    qa: list[JsonObject] = field(default_factory=list)
    fuzzy: list[JsonObject] = field(default_factory=list)
    verbatim: dict[str, str] = field(default_factory=dict)  # <xN/> → the text kept as written


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

    def meta(self) -> JsonObject:
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
            "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        }

    def by_id(self) -> dict[str, ReviewRow]:
        return {r.id: r for r in self.rows}


@dataclass(frozen=True)
class FileMeta:
    """The pipeline's data stored in a returned review file, checked by ``check_meta``."""

    document: str
    src: str
    tgt: str
    checksum: str
    segments: int | None  # how many segments were exported (None: not recorded)
    exported_at: datetime | None = None  # when the file was written (None: older files)


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


@dataclass
class ReturnedFile:
    """A returned review file, whatever its format: its pipeline data and its segments."""

    meta: FileMeta
    segments: list[ReturnedSegment]
    home: Path | None = None  # where the file "lives" (its sidecar is next to it), if not itself


class Suggestion(Protocol):
    """A translation-memory suggestion (``pipeline.memory.FuzzyMatch`` has this shape)."""

    @property
    def source(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def score(self) -> float: ...


# --- hashing -----------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Whitespace runs collapsed, stripped, NFC: how segment texts are compared."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def text_hash(text: str) -> str:
    """SHA-256 (hex) of a segment text as compared (``normalize_text``).

    Review files store it for every exported source and draft; ``hash_matches`` reads it back.
    """
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def hash_matches(text: str, stored: str) -> bool:
    """Whether ``stored`` (from a review file) is the hash of ``text``.

    Files exported before ``text_hash`` was the one hash carry one of two older forms, and
    both are still read so those files import as they did: review DOCX files stored the
    first 16 hex digits of ``text_hash``; XLIFF files stored ``_legacy_xliff_hash``.
    """
    current = text_hash(text)
    if stored == current or (len(stored) == 16 and current.startswith(stored)):
        return True
    return stored == _legacy_xliff_hash(text)


def _legacy_xliff_hash(text: str) -> str:
    """The XLIFF exports' old hash: like ``text_hash`` without NFC. Only read, never written."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def rows_checksum(rows: Iterable[tuple[str, str]]) -> str:
    """Checksum of segment ids and sources in order: detects rearranged or edited tables."""
    digest = hashlib.sha256()
    for segment_id, source in rows:
        digest.update(f"{segment_id}\t{normalize_text(source)}\n".encode())
    return digest.hexdigest()


def check_meta(meta: Mapping[str, object]) -> FileMeta:
    """The pipeline data of a returned review file; ``ReviewError`` when it is not ours."""
    if meta.get("format") != FORMAT:
        raise ReviewError(f"review file format {meta.get('format')!r}, expected {FORMAT!r}")
    for key in ("document", "src", "tgt", "checksum"):
        if not meta.get(key):
            raise ReviewError(f"review file's pipeline data lacks {key!r}")
    segments = meta.get("segments")
    if segments is not None and not isinstance(segments, int):
        try:
            segments = int(str(segments))
        except ValueError:
            raise ReviewError("review file's pipeline data is damaged (segments)") from None
    exported_at = None
    if meta.get("exported_at"):
        try:
            exported_at = datetime.fromisoformat(str(meta["exported_at"]))
        except ValueError:
            raise ReviewError("review file's pipeline data is damaged (exported_at)") from None
    return FileMeta(
        document=str(meta["document"]),
        src=str(meta["src"]),
        tgt=str(meta["tgt"]),
        checksum=str(meta["checksum"]),
        segments=segments,
        exported_at=exported_at,
    )


# --- sidecars ----------------------------------------------------------------------------


def load_sidecar(path: Path) -> ReviewSet:
    """Read a segments sidecar; raise ``ReviewError`` naming what is wrong."""
    data = _sidecar_data(path)
    rows = [_review_row(path, n, seg) for n, seg in enumerate(data["segments"], 1)]
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


def _sidecar_data(path: Path) -> dict[str, Any]:
    """The sidecar's JSON object, with its segments list and the fields every one has."""
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
    return data


def _review_row(path: Path, n: int, seg: object) -> ReviewRow:
    """Segment ``n`` of a sidecar; lists that are not lists of objects are left out."""
    if not isinstance(seg, dict) or not isinstance(seg.get("id"), str):
        raise ReviewError(f"{path}: segment {n} has no id")
    return ReviewRow(
        id=seg["id"],
        source=str(seg.get("source") or ""),
        target=str(seg.get("target") or ""),
        block=seg.get("block"),
        origin=str(seg.get("origin") or "machine"),
        glossary=_objects(seg.get("glossary")),
        qa=_objects(seg.get("qa")),
        fuzzy=_objects(seg.get("fuzzy")),
        verbatim=_strings(seg.get("verbatim")),
    )


def _strings(items: Any) -> dict[str, str]:
    """A mapping of strings (the sidecar's ``verbatim``: marker id → the text it keeps)."""
    return {str(k): str(v) for k, v in items.items()} if isinstance(items, dict) else {}


def _objects(items: Any) -> list[JsonObject]:
    """The objects among ``items`` (a list, as the sidecar should have it)."""
    return [item for item in items or [] if isinstance(item, dict)]


def sidecar_name(document: str, src: str, tgt: str) -> str:
    return output_file(document, f"{src}-{tgt}", SIDECAR_SUFFIX.removeprefix("."))


def sidecar_path(document_out_dir: Path, document: str, src: str, tgt: str) -> Path:
    """``OUT/<stem>/review/<stem>.<src>-<tgt>.segments.json``."""
    return document_out_dir / "review" / sidecar_name(document, src, tgt)


def segment_entry(
    segment_id: str,
    source: str,
    target: str,
    src: str,
    tgt: str,
    *,
    block: int | None = None,
    origin: str = "machine",
    glossary: Sequence[JsonObject] = (),
    fuzzy: Sequence[Suggestion | Mapping[str, Any]] = (),
    placeholder_patterns: Sequence[str | re.Pattern[str]] = (),
    unknown_words: Sequence[str] = (),
    expected_terms: Sequence[str] | None = None,
) -> JsonObject:
    """One sidecar segment, with the QA findings of its draft computed here.

    ``glossary`` holds ``{"term", "expected", "note"}`` dicts for the terms in the segment
    (``Glossary.terms_in``); ``fuzzy`` holds ``pipeline.memory.FuzzyMatch`` objects or
    ``{"source","target","score"}``; ``expected_terms``, when given, replaces the glossary's
    expected forms for the QA ``glossary`` check (pass the expected forms of this segment's
    ``GlossaryReport.misses`` to defer to the glossary's own, inflection-aware verdict).
    """
    findings = segment_findings(
        segment_id,
        source,
        target,
        src,
        tgt,
        origin=origin,
        glossary=glossary,
        expected_terms=expected_terms,
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


def record_entry(record: SegmentRecord, tgt: str) -> JsonObject:
    """The sidecar segment of one QA-checked record (``pipeline.qa.check_target``)."""
    seg = record.segment
    return {
        "id": seg.id,
        "block": seg.block,
        "source": seg.text,
        "target": record.draft,
        "origin": record.review_origin,
        "glossary": [dict(g) for g in record.glossary],
        "qa": [f.as_json() for f in record.qa],
        "fuzzy": [_fuzzy_json(m) for m in record.fuzzy],
        "verbatim": {str(n): text for n, text in seg.verbatim.items()},
    }


def _fuzzy_json(match: Suggestion | Mapping[str, Any]) -> JsonObject:
    if isinstance(match, Mapping):
        return {"source": match.get("source", ""), "target": match.get("target", ""),
                "score": float(match.get("score", 0))}  # fmt: skip
    return {"source": match.source, "target": match.target, "score": float(match.score)}


def write_sidecar(
    path: Path,
    *,
    document: str,
    src: str,
    tgt: str,
    segments: Sequence[JsonObject],
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
