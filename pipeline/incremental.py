"""Incremental runs: a document whose inputs and outputs are unchanged is not built again.

Like make, but by content: the *fingerprint* of a document is a hash of everything its outputs
are made from (source bytes, the picture files a Markdown/HTML source shows, detected
languages, the run's options, per language pair the engine route with model versions, the approved translations of its segments and the glossary
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

FINGERPRINT_VERSION = 2  # bump when what goes into the fingerprint changes


def _digest(value: Any) -> str:
    blob = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _media_digests(paths: list[str]) -> dict[str, str]:
    """The SHA-256 of each separate picture file a document shows ("" when it is gone)."""
    digests: dict[str, str] = {}
    for path in paths:
        try:
            digests[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            digests[path] = ""
    return digests


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
            if detect.kept_as_written(seg.lang, job.doc.lang, lang, options.keep_foreign):
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
        "from": options.source_lang,
        "restyle": options.restyle,
        "pdf_engine": options.pdf_engine,
        "detector": options.detector,
    }


def base_key(job: DocumentJob, options: RunOptions) -> str:
    """The part of the fingerprint known before the document is read: its bytes, the code's
    version and the run's options (``job.sha256`` is set)."""
    return _digest([FINGERPRINT_VERSION, __version__, job.sha256, _options_data(options)])


def _route(engines: EngineSet, src: str, tgt: str) -> Any:
    try:
        _, route = engines.choose(src, tgt)
    except PipelineError as exc:
        return f"error: {exc}"
    return [route.engine, route.model, route.version, route.pivot]


def _glossary_version(options: RunOptions) -> str:
    return options.glossary.version if options.glossary is not None else ""


def stored_report(job: DocumentJob) -> dict[str, Any] | None:
    """The last run's report.json when it has a fingerprint and no error, else None."""
    try:
        report = json.loads((job.out_dir / "report.json").read_text(encoding="utf-8"))
        fp = report["fingerprint"]
        if not isinstance(fp, dict) or report.get("error"):
            return None
        if any(t.get("error") for t in report["targets"].values()):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return report


def unchanged_before_reading(
    job: DocumentJob,
    options: RunOptions,
    engines: EngineSet,
    memory: TranslationMemory | None,
    stored: dict[str, Any] | None,
) -> bool:
    """True when nothing the outputs depend on can have changed, without reading the document:
    the same bytes and options, the same glossary version and, for every language pair the
    document had, the same route and no approval added or changed for that pair (else the
    document is read and its exact fingerprint compared, see ``fingerprint``)."""
    if stored is None or set(stored["targets"]) != set(options.targets):
        return False
    fp = stored["fingerprint"]
    try:
        if fp["base"] != base_key(job, options) or fp["glossary_version"] != _glossary_version(
            options
        ):
            return False
        media = fp.get("media", {})
        if media and _media_digests(list(media)) != media:
            return False  # a picture file the document shows has changed
        for pair, data in fp["pairs"].items():
            src, tgt = pair.split("-")
            if data["route"] != _route(engines, src, tgt):
                return False
            state = memory.approval_state(src, tgt) if memory is not None else None
            if data["approval_state"] != state:
                return False
    except (KeyError, TypeError, ValueError):
        return False
    return outputs_intact(stored)


def fingerprint(
    job: DocumentJob,
    options: RunOptions,
    engines: EngineSet,
    memory: TranslationMemory | None,
    stored: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What ``job``'s outputs are made from (``job`` is prepared): ``key`` is the exact hash
    (with the approved translations of its own segments and the glossary terms found in
    them); the other fields let the next run decide without reading the document."""
    assert job.doc is not None
    segments = _digest([[s.id, s.lang, s.text] for s in job.segments])
    old = (stored or {}).get("fingerprint", {})
    reuse_terms = (
        old.get("segments") == segments
        and old.get("glossary_version") == _glossary_version(options)
        and isinstance(old.get("pairs"), dict)
    )
    pairs: dict[str, Any] = {}
    for (src, tgt), texts in sorted(pairs_of(job, options).items()):
        name = f"{src}-{tgt}"
        approved = memory.get_approved(src, tgt, texts) if memory is not None else {}
        terms = old["pairs"].get(name, {}).get("glossary") if reuse_terms else None
        if terms is None:
            found: list[Any] = []
            if options.glossary is not None:
                for text in texts:
                    for match in options.glossary.find(text, src, tgt):
                        t = match.term
                        found.append([t.id, t.forms, t.keep, t.note, t.case_sensitive, t.gender])
            terms = _digest(found)
        pairs[name] = {
            "route": _route(engines, src, tgt),
            "approved": _digest(sorted((s, e.target) for s, e in approved.items())),
            "approval_state": memory.approval_state(src, tgt) if memory is not None else None,
            "glossary": terms,
        }
    media = _media_digests(sorted({i.path for i in job.doc.images() if i.path}))
    exact = {
        "base": base_key(job, options),
        "media": media,
        "language": [job.doc.lang, job.language_given],
        "segments": segments,
        "pairs": {k: [v["route"], v["approved"], v["glossary"]] for k, v in pairs.items()},
        "glossary_version": bool(options.glossary),
    }
    return {
        "key": _digest(exact),
        "base": exact["base"],
        "segments": segments,
        "glossary_version": _glossary_version(options),
        "pairs": pairs,
        "media": media,
    }


def written_files(job: DocumentJob) -> list[Path]:
    """Every file a document's run wrote besides report.json: outputs and review sidecars."""
    files = [Path(p) for t in job.targets.values() for p in t.outputs.values()]
    review = job.out_dir / "review"
    if review.is_dir():
        files.extend(sorted(review.glob(f"{job.stem}.*.segments.json")))
    return files


def fingerprint_data(job: DocumentJob) -> dict[str, Any]:
    """report.json's ``fingerprint``: ``job.fingerprint`` and the size and SHA-256 of every
    file written."""
    files: dict[str, Any] = {}
    for path in written_files(job):
        try:
            files[str(path)] = _file_digest(path)
        except OSError:
            continue  # not written; the next run rebuilds
    return {**job.fingerprint, "files": files}


def outputs_intact(stored: dict[str, Any]) -> bool:
    """Every file the last run listed is there with the same size and hash."""
    try:
        files = stored["fingerprint"]["files"]
        listed = {str(p) for t in stored["targets"].values() for p in t["outputs"].values()}
        if not listed <= set(files):
            return False
        return all(_file_digest(Path(p)) == digest for p, digest in files.items())
    except (OSError, KeyError, TypeError, AttributeError):
        return False


def is_unchanged(job: DocumentJob, options: RunOptions, stored: dict[str, Any] | None) -> bool:
    """True when the last run made the outputs from the same exact fingerprint, for the same
    targets, and every file is intact."""
    if stored is None or set(stored["targets"]) != set(options.targets):
        return False
    return stored["fingerprint"].get("key") == job.fingerprint.get("key") and outputs_intact(stored)


def mark_unchanged(job: DocumentJob, stored: dict[str, Any]) -> Path | None:
    """Keep report.json's content, saying ``"unchanged": true``; None when it cannot be
    written."""
    path = job.out_dir / "report.json"
    try:
        write_text_atomic(
            path, json.dumps({**stored, "unchanged": True}, ensure_ascii=False, indent=2) + "\n"
        )
    except OSError:
        return None
    return path
