"""Incremental runs: a document whose inputs and outputs are unchanged is not built again.

Like make, but by content: the *fingerprint* of a document is a hash of everything its outputs
are made from (source bytes, detected languages, the run's options, per language pair the
engine route with model versions, the approved translations of its segments and the glossary
terms found in them). report.json keeps the fingerprint and the size and SHA-256 of every
file written. The next run skips the document when the fingerprint is the same, its last
run had no error, and every file is still there, byte for byte; ``--force`` rebuilds.

A reviewer's approval changes the fingerprint of the documents holding that segment only; a
glossary edit those whose segments contain an edited term; a new model version those with a
segment for that language pair.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pipeline import __version__, detect
from pipeline.engines.registry import EngineSet
from pipeline.errors import PipelineError
from pipeline.export.atomic import write_text_atomic
from pipeline.jobs import DocumentJob, RunOptions
from pipeline.memory import TranslationMemory

FINGERPRINT_VERSION = 1  # bump when what goes into the fingerprint changes


def _digest(value: Any) -> str:
    blob = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _file_digest(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def pairs_of(job: DocumentJob, options: RunOptions) -> dict[tuple[str, str], list[str]]:
    """The segment texts of ``job`` that go to an engine, per (source, target) pair (the same
    rule as ``pipeline.translate.translate_all``)."""
    assert job.doc is not None
    pairs: dict[tuple[str, str], list[str]] = {}
    for seg in job.segments:
        for lang in options.targets:
            if seg.lang == lang:
                continue
            if seg.lang != job.doc.lang and (
                options.keep_foreign or seg.lang not in detect.TRANSLATABLE
            ):
                continue
            pairs.setdefault((seg.lang, lang), []).append(seg.text)
    return pairs


def _options_data(options: RunOptions) -> dict[str, Any]:
    return {
        "targets": options.targets,
        "formats": options.formats,
        "layout": options.layout,
        "leaflet": repr(options.leaflet_config) if options.layout != "document" else None,
        "print": [options.bleed, options.bw, options.two_up],
        "strict": options.strict,
        "keep_foreign": options.keep_foreign,
        "review": options.review,
        "engine": [options.engine.choice, options.engine.url],
        "glossary": options.glossary is not None,
    }


def fingerprint(
    job: DocumentJob, options: RunOptions, engines: EngineSet, memory: TranslationMemory | None
) -> str:
    """What ``job``'s outputs are made from, as one hash (``job`` is prepared)."""
    assert job.doc is not None
    pairs: dict[str, Any] = {}
    for (src, tgt), texts in sorted(pairs_of(job, options).items()):
        try:
            _, route = engines.choose(src, tgt)
            route_data: Any = [route.engine, route.model, route.version, route.pivot]
        except PipelineError as exc:
            route_data = f"error: {exc}"
        approved = memory.get_approved(src, tgt, texts) if memory is not None else {}
        terms: list[Any] = []
        if options.glossary is not None:
            for text in texts:
                for match in options.glossary.find(text, src, tgt):
                    t = match.term
                    terms.append([t.id, t.forms, t.keep, t.note, t.case_sensitive, t.gender])
        pairs[f"{src}-{tgt}"] = {
            "route": route_data,
            "approved": sorted((s, e.target) for s, e in approved.items()),
            "glossary": _digest(terms),
        }
    return _digest(
        {
            "version": [FINGERPRINT_VERSION, __version__],
            "source": job.sha256,
            "language": [job.doc.lang, job.language_given],
            "segments": _digest([[s.id, s.lang, s.text] for s in job.segments]),
            "options": _options_data(options),
            "pairs": pairs,
        }
    )


def written_files(job: DocumentJob) -> list[Path]:
    """Every file a document's run wrote besides report.json: outputs and review sidecars."""
    files = [Path(p) for t in job.targets.values() for p in t.outputs.values()]
    review = job.out_dir / "review"
    if review.is_dir():
        files.extend(sorted(review.glob(f"{job.stem}.*.segments.json")))
    return files


def fingerprint_data(job: DocumentJob) -> dict[str, Any]:
    """report.json's ``fingerprint``: the key and the size and hash of every file written."""
    files: dict[str, Any] = {}
    for path in written_files(job):
        try:
            files[str(path)] = _file_digest(path)
        except OSError:
            continue  # not written; the next run rebuilds
    return {"key": job.fingerprint, "files": files}


def is_unchanged(job: DocumentJob, options: RunOptions) -> bool:
    """True when report.json says the outputs were made from the same fingerprint, without an
    error, for the same targets, and every file it lists is intact."""
    try:
        report = json.loads((job.out_dir / "report.json").read_text(encoding="utf-8"))
        stored = report["fingerprint"]
        if stored["key"] != job.fingerprint or report.get("error"):
            return False
        targets = report["targets"]
        if set(targets) != set(options.targets) or any(t.get("error") for t in targets.values()):
            return False
        listed = {str(p) for t in targets.values() for p in t.get("outputs", {}).values()}
        if not listed <= set(stored["files"]):
            return False
        return all(_file_digest(Path(p)) == digest for p, digest in stored["files"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def mark_unchanged(job: DocumentJob) -> Path | None:
    """Keep report.json's content, saying ``"unchanged": true``; None when it cannot be
    written."""
    path = job.out_dir / "report.json"
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        report["unchanged"] = True
        write_text_atomic(path, json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    except (OSError, ValueError):
        return None
    return path
