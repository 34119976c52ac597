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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.blocking import rebuild_for_blocking
from pipeline.errors import PipelineError
from pipeline.export.atomic import write_text_atomic
from pipeline.jobs import Source
from pipeline.memory import TranslationMemory
from pipeline.options import OutputMode
from pipeline.plan import DocumentPlan, RouteTable

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


def base_key(sha256: str, mode: OutputMode) -> str:
    """The part of the fingerprint known before the document is read: its bytes, the code's
    version and the options that change the outputs."""
    return _digest([FINGERPRINT_VERSION, __version__, sha256, mode.cache_key()])


def stored_report(out_dir: Path) -> dict[str, Any] | None:
    """The last run's report.json when it has a fingerprint and no error, else None."""
    try:
        report: dict[str, Any] = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
        fp = report["fingerprint"]
        if not isinstance(fp, dict) or report.get("error"):
            return None
        if any(t.get("error") for t in report["targets"].values()):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return report


def unchanged_before_reading(
    sha256: str,
    mode: OutputMode,
    routes: RouteTable,
    memory: TranslationMemory | None,
    stored: dict[str, Any] | None,
) -> bool:
    """True when nothing the outputs depend on can have changed, without reading the document:
    the same bytes and options, the same glossary version and, for every language pair the
    document had, the same route and no approval added or changed for that pair (else the
    document is read and its exact fingerprint compared, see ``fingerprint``)."""
    if stored is None or set(stored["targets"]) != set(mode.targets):
        return False
    fp = stored["fingerprint"]
    try:
        if fp["base"] != base_key(sha256, mode) or fp["glossary_version"] != mode.glossary_version:
            return False
        media = fp.get("media", {})
        if media and _media_digests(list(media)) != media:
            return False  # a picture file the document shows has changed
        for pair, data in fp["pairs"].items():
            src, tgt = pair.split("-")
            if data["route"] != routes.get(src, tgt).fingerprint():
                return False
            state = memory.approval_state(src, tgt) if memory is not None else None
            if data["approval_state"] != state:
                return False
    except (KeyError, TypeError, ValueError):
        return False
    return outputs_intact(stored)


def fingerprint(
    plan: DocumentPlan,
    mode: OutputMode,
    memory: TranslationMemory | None,
    stored: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What a document's outputs are made from, from its plan: ``key`` is the exact hash
    (with the approved translations of its own segments and the glossary terms found in
    them); the other fields let the next run decide without reading the document. Raises
    ``PipelineError`` when the memory cannot be asked."""
    prepared = plan.prepared
    segments = _digest([[s.id, s.lang, s.text] for s in prepared.segments])
    old = (stored or {}).get("fingerprint", {})
    reuse_terms = (
        old.get("segments") == segments
        and old.get("glossary_version") == mode.glossary_version
        and isinstance(old.get("pairs"), dict)
    )
    pairs: dict[str, Any] = {}
    for (src, tgt), pair in sorted(plan.pairs.items()):
        if pair.approval_error is not None:
            raise PipelineError(pair.approval_error)
        name = f"{src}-{tgt}"
        terms = old["pairs"].get(name, {}).get("glossary") if reuse_terms else None
        pairs[name] = {
            "route": pair.route.fingerprint(),
            "approved": _digest(sorted((s, e.target) for s, e in pair.approved.items())),
            "approval_state": memory.approval_state(src, tgt) if memory is not None else None,
            "glossary": terms if terms is not None else _terms_digest(pair.texts, src, tgt, mode),
        }
    media = _media_digests(sorted({i.path for i in prepared.doc.images() if i.path}))
    exact = {
        "base": base_key(prepared.sha256, mode),
        "media": media,
        "language": [prepared.doc.lang, prepared.language_given],
        "segments": segments,
        "pairs": {k: [v["route"], v["approved"], v["glossary"]] for k, v in pairs.items()},
        "glossary_version": bool(mode.glossary),
    }
    return {
        "key": _digest(exact),
        "base": exact["base"],
        "segments": segments,
        "glossary_version": mode.glossary_version,
        "pairs": pairs,
        "media": media,
    }


def _terms_digest(texts: Sequence[str], src: str, tgt: str, mode: OutputMode) -> str:
    """The glossary terms found in a pair's texts."""
    found: list[Any] = []
    if mode.glossary is not None:
        for text in texts:
            for match in mode.glossary.find(text, src, tgt):
                t = match.term
                found.append([t.id, t.forms, t.keep, t.note, t.case_sensitive, t.gender])
    return _digest(found)


def kept_targets(
    out_dir: Path,
    fingerprint: Mapping[str, Any],
    force: bool = False,
    allow_blocking: bool = False,
) -> dict[str, dict[str, Any]]:
    """A document built again because a target of it failed last time (its fingerprint is
    the same): the report.json entries of the other targets, whose files are all there byte
    for byte; those keep their files instead of being written again. Empty with ``force``.
    A target with blocking findings is not kept unless they were printed and still may be
    (``pipeline.blocking.rebuild_for_blocking``'s rule, per target)."""
    if force or not fingerprint.get("key"):
        return {}
    kept: dict[str, dict[str, Any]] = {}
    try:
        report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
        fp = report["fingerprint"]
        if report.get("error") or fp.get("key") != fingerprint["key"]:
            return {}
        files = fp["files"]
        for lang, entry in report["targets"].items():
            outputs = [str(p) for p in entry.get("outputs", {}).values()]
            if entry.get("error") or entry.get("held_back") or entry.get("blocking"):
                continue  # failed, or blocking findings the run must say again
            if not outputs:
                continue
            if rebuild_for_blocking({"targets": {lang: entry}}, allow_blocking):
                continue  # held back, or printed but not allowed now: built and said again
            if all(p in files and _file_digest(Path(p)) == files[p] for p in outputs):
                kept[lang] = entry
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return kept


def written_files(source: Source, outputs: Iterable[str]) -> list[Path]:
    """Every file a document's run wrote besides report.json: its targets' ``outputs`` and
    the review sidecars."""
    files = [Path(p) for p in outputs]
    review = source.out_dir / "review"
    if review.is_dir():
        files.extend(sorted(review.glob(f"{source.stem}.*.segments.json")))
    return files


def fingerprint_data(
    fingerprint: Mapping[str, Any], source: Source, outputs: Iterable[str]
) -> dict[str, Any]:
    """report.json's ``fingerprint``: the document's fingerprint and the size and SHA-256 of
    every file written."""
    files: dict[str, Any] = {}
    for path in written_files(source, outputs):
        try:
            files[str(path)] = _file_digest(path)
        except OSError:
            continue  # not written; the next run rebuilds
    return {**fingerprint, "files": files}


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


def is_unchanged(
    fingerprint: Mapping[str, Any], mode: OutputMode, stored: dict[str, Any] | None
) -> bool:
    """True when the last run made the outputs from the same exact fingerprint, for the same
    targets, and every file is intact."""
    if stored is None or set(stored["targets"]) != set(mode.targets):
        return False
    return stored["fingerprint"].get("key") == fingerprint.get("key") and outputs_intact(stored)


def mark_unchanged(out_dir: Path, stored: dict[str, Any]) -> Path | None:
    """Keep report.json's content, saying ``"unchanged": true``; None when it cannot be
    written."""
    path = out_dir / "report.json"
    try:
        write_text_atomic(
            path, json.dumps({**stored, "unchanged": True}, ensure_ascii=False, indent=2) + "\n"
        )
    except OSError:
        return None
    return path
