"""report.json: what happened to one document, per target language.

A pure function of the stages' values: the prepared document, each target's draft (its
segment records), QA's findings and what the writers wrote. The fields are the CLI's
contract (README "report.json"); extend them, never rename them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.blocking import Held, blocking_fields
from pipeline.detect import LOW_CONFIDENCE
from pipeline.engines.base import Route
from pipeline.errors import unexpected
from pipeline.export.atomic import write_text_atomic
from pipeline.export.page_fit import pages_entry
from pipeline.jobs import IDENTITY, Prepared, TargetDraft, TargetReport
from pipeline.qa import Checked

DEGENERATE_HANDLING = ("redecoded", "fallback", "source")


@dataclass(frozen=True)
class TargetFiles:
    """What the write stage did for one target: the files (``outputs`` keys and paths), the
    leaflet's fit, whether a file is the source translated in place, the formatting marks
    put back while rebuilding, the route the files name, and the first error."""

    outputs: Mapping[str, str] = field(default_factory=dict)
    leaflet: Mapping[str, Any] | None = None
    in_place: bool = False
    markers_repaired: int = 0
    route: Route | None = None
    error: str | None = None
    held: Held | None = None  # print-ready outputs held back (pipeline.blocking)
    layout: Mapping[str, Any] | None = None  # a PDF in place: shrunk and overflow blocks


def target_report(draft: TargetDraft, checked: Checked | None, files: TargetFiles) -> TargetReport:
    """One target's report from its draft (records, route, time, error), QA's result (None
    when QA did not run: interrupted) and what was written."""
    records = checked.records if checked is not None else draft.records
    origins = [r.origin for r in records]
    return TargetReport(
        lang=draft.lang,
        route=files.route or draft.route,
        total=len(records),
        machine_translated=origins.count("machine"),
        from_memory=origins.count("cache"),
        approved=origins.count("approved"),
        fuzzy_suggested=sum(1 for r in records if r.fuzzy),
        qa=tuple(f.as_json() for f in checked.findings) if checked is not None else (),
        untranslated=tuple(w for r in records for w in r.unknown_words),
        markers_repaired=sum(r.markers_repaired for r in records) + files.markers_repaired,
        degenerate=tuple((r.degenerate.how, r.degenerate.detail) for r in records if r.degenerate),
        output_route="in-place" if files.in_place else "rendered",
        outputs=dict(files.outputs),
        seconds=draft.seconds,
        error=draft.error or files.error,
        leaflet=files.leaflet,
        layout=files.layout,
        glossary=checked.glossary if checked is not None else None,
        kept_blocks={r.segment.block: r.kept for r in records if r.kept is not None},
        held=files.held,
    )


def report_data(
    prepared: Prepared,
    targets: Mapping[str, TargetReport],
    fingerprint: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """report.json's content for one document."""
    doc, source, detection = prepared.doc, prepared.source, prepared.detection
    data: dict[str, Any] = {
        "source": {
            "path": str(source.path),
            "sha256": prepared.sha256,
            "format": source.path.suffix.lower().lstrip("."),
            "encoding": doc.encoding,
            "images": len(doc.images()),
        },
        "notes": list(doc.notes),
        "detected": {
            "language": doc.lang,
            "confidence": round(doc.lang_confidence, 4),
            "source": "--from" if prepared.language_given else "detected",
            "warning": detection.warning if detection else None,
        },
        "targets": {},
        "unchanged": False,
    }
    if prepared.inplace is not None and prepared.inplace.tracked_changes:
        data["source"]["tracked_changes"] = {
            "accepted": prepared.inplace.tracked_changes,
            "note": "translated as the document reads with its tracked changes accepted",
        }
    if fingerprint:
        data["fingerprint"] = dict(fingerprint)
    for lang, target in targets.items():
        data["targets"][lang] = target_data(prepared, target)
    return data


def kept_target(lang: str, entry: Mapping[str, Any]) -> TargetReport:
    """A target whose files were up to date and kept (``pipeline.incremental.kept_targets``):
    its report.json ``entry`` as the last run wrote it."""
    return TargetReport(
        lang=lang,
        outputs=dict(entry.get("outputs", {})),
        output_route=str(entry.get("route", "rendered")),
        stored=entry,
    )


def target_data(prepared: Prepared, target: TargetReport) -> dict[str, Any]:
    """One ``targets`` entry of report.json."""
    if target.stored is not None:  # kept as it was
        return dict(target.stored)
    # a target that failed before any engine was chosen names none (not ``identity``)
    route = target.route or (None if target.error else IDENTITY)
    entry: dict[str, Any] = {
        "engine": route.engine if route else None,
        "model": route.model if route else None,
        "pivot": route.pivot if route else None,
        "segments": {
            "total": target.total,
            "machine_translated": target.machine_translated,
            "from_memory": target.from_memory,
            "approved": target.approved,
            "fuzzy_suggested": target.fuzzy_suggested,
        },
        "qa": list(target.qa),
        "untranslated_words": len(target.untranslated),
        "untranslated": sorted(set(target.untranslated))[:100],
        "markers_repaired": target.markers_repaired,
        "degenerate": len(target.degenerate),
        "degenerate_handling": {
            how: sum(1 for done, _ in target.degenerate if done == how)
            for how in DEGENERATE_HANDLING
        },
        "route": target.output_route,
        "outputs": dict(target.outputs),
        "seconds": round(target.seconds, 3),
    }
    entry.update(blocking_fields(target.qa, target.held))  # "blocking", "held_back"
    if target.glossary is not None:
        entry["glossary"] = target.glossary.as_json()
    entry.update(target.layout or {})  # a PDF in place: shrunk, overflow
    if target.leaflet is not None:
        entry["leaflet"] = dict(target.leaflet)
    if (pages := pages_entry(target.outputs.get("pdf"))) is not None:  # issue 20: page growth
        entry["pages"] = pages
    if target.error:
        entry["error"] = target.error
    entry["foreign_blocks"] = _foreign_blocks(prepared, target)
    return entry


def _foreign_blocks(prepared: Prepared, target: TargetReport) -> list[dict[str, Any]]:
    foreign = prepared.detection.foreign_blocks() if prepared.detection else []
    kept = target.kept_blocks
    return [
        {
            "index": b.index,
            "language": b.language,
            "confidence": b.confidence,
            "action": (
                f"kept ({kept[b.index]})"
                if b.index in kept
                else f"treated as {prepared.lang} (unsure detection)"
                if b.confidence < LOW_CONFIDENCE
                else "identity"
                if b.language == target.lang
                else f"translated from {b.language}"
            ),
        }
        for b in foreign
    ]


def write_report(out_dir: Path, data: Mapping[str, Any]) -> Path | None:
    """Write ``OUT/<stem>/report.json``; None when it cannot be written."""
    path = out_dir / "report.json"
    try:
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        write_text_atomic(path, text)
    except OSError:
        return None
    except Exception as exc:  # unforeseen: this document's report only
        unexpected(exc, f"while writing {path}")  # logged for --debug
        return None
    return path
