"""report.json: what happened to one document, per target language; and the QA findings in it.

The fields are the CLI's contract (README "report.json"); change none without changing that.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline import inplace
from pipeline.errors import unexpected
from pipeline.export.atomic import write_text_atomic
from pipeline.glossary import TOKEN_PLACEHOLDER, Glossary
from pipeline.jobs import IDENTITY, DocumentJob, TargetResult


def report_data(job: DocumentJob) -> dict[str, Any]:
    """report.json's content for one document."""
    doc = job.doc
    data: dict[str, Any] = {
        "source": {
            "path": str(job.path),
            "sha256": job.sha256,
            "format": job.path.suffix.lower().lstrip("."),
            "encoding": doc.encoding if doc else None,
            "images": len(doc.images()) if doc else 0,
        },
        "notes": list(doc.notes) if doc else [],
        "detected": {
            "language": doc.lang if doc else None,
            "confidence": round(doc.lang_confidence, 4) if doc else 0.0,
            "source": "--from" if job.language_given else "detected",
            "warning": job.detection.warning if job.detection else None,
        },
        "targets": {},
        "unchanged": job.unchanged,
    }
    if job.inplace is not None and job.inplace.tracked_changes:
        data["source"]["tracked_changes"] = {
            "accepted": job.inplace.tracked_changes,
            "note": "translated as the document reads with its tracked changes accepted",
        }
    if job.fingerprint_data:
        data["fingerprint"] = job.fingerprint_data
    if job.error:
        data["error"] = job.error
    for lang, target in job.targets.items():
        data["targets"][lang] = _target_data(job, lang, target)
    return data


def _target_data(job: DocumentJob, lang: str, target: TargetResult) -> dict[str, Any]:
    """One ``targets`` entry of report.json."""
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
            "fuzzy_suggested": len(target.fuzzy),
        },
        "qa": list(target.qa),
        "untranslated_words": len(target.untranslated),
        "untranslated": sorted(set(target.untranslated))[:100],
        "markers_repaired": target.markers_repaired,
        "degenerate": len(target.degenerate),
        "degenerate_handling": {
            how: sum(1 for done, _ in target.degenerate.values() if done == how)
            for how in ("redecoded", "fallback", "source")
        },
        "route": target.output_route,
        "outputs": dict(target.outputs),
        "seconds": round(target.seconds, 3),
    }
    if target.glossary is not None:
        entry["glossary"] = target.glossary.as_json()
    entry.update(inplace.layout_report(job.inplace, lang))  # a PDF in place: what did not fit
    if target.leaflet is not None:
        entry["leaflet"] = target.leaflet
    if target.error:
        entry["error"] = target.error
    foreign = job.detection.foreign_blocks() if job.detection else []
    entry["foreign_blocks"] = [
        {
            "index": b.index,
            "language": b.language,
            "confidence": b.confidence,
            "action": (
                f"kept ({target.kept_blocks[b.index]})"
                if b.index in target.kept_blocks
                else "identity"
                if b.language == lang
                else f"translated from {b.language}"
            ),
        }
        for b in foreign
    ]
    return entry


def write_report(job: DocumentJob) -> Path | None:
    """Write ``OUT/<stem>/report.json``; None when it cannot be written."""
    path = job.out_dir / "report.json"
    try:
        text = json.dumps(report_data(job), ensure_ascii=False, indent=2) + "\n"
        write_text_atomic(path, text)
    except OSError:
        return None
    except Exception as exc:  # unforeseen: this document's report only
        unexpected(exc, f"while writing {path}")  # logged for --debug
        return None
    return path


def collect_qa(job: DocumentJob, target: TargetResult, glossary: Glossary | None) -> None:
    """Sidecar entries, with QA findings, for every segment of one document × target; the
    findings also go to ``target.qa`` (report.json's ``qa``)."""
    from pipeline.review import segment_entry

    flat = job.segments
    misses: dict[str, list[str]] = {}
    for miss in target.glossary.misses if target.glossary else []:
        misses.setdefault(miss["segment"], []).append(miss["expected"])
    target.review_entries = [
        segment_entry(
            seg.id,
            seg.text,
            text,
            seg.lang,
            target.lang,
            block=seg.block,
            origin="kept" if seg.block in target.kept_blocks else origin,
            glossary=glossary.terms_in(seg.text, seg.lang, target.lang) if glossary else (),
            expected_terms=misses.get(seg.id, []) if glossary else None,
            fuzzy=target.fuzzy.get(i, ()),
            unknown_words=target.unknown.get(i, ()),
            placeholder_patterns=(TOKEN_PLACEHOLDER.pattern,),
        )
        for i, (seg, text, origin) in enumerate(
            zip(flat, target.translations, target.origins, strict=True)
        )
    ]
    for i, (_how, detail) in sorted(target.degenerate.items()):
        finding = {"segment": flat[i].id, "check": "degenerate", "detail": detail}
        target.review_entries[i]["qa"].insert(0, finding)
    target.qa = [q for entry in target.review_entries for q in entry["qa"]]
