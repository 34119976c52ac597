"""The translate stage: every pending segment of a batch, one language pair at a time.

For each (source, target) pair, over all documents at once:

    approved (memory) → cache (memory) → glossary.protect → engine (one batch) → glossary.restore
    → markers repaired, typography → unknown words, fuzzy suggestions for the reviewer

Approved translations are looked up first and exactly once (``approved_translations``); they
need no engine, so a pair with no engine still uses them. The glossary compliance of the result
(``verify_glossary``) is an input of QA and the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pipeline import detect, markers
from pipeline.engines.base import Engine, Route, Translation
from pipeline.engines.registry import EngineSet
from pipeline.errors import PipelineError
from pipeline.glossary import Glossary, GlossaryReport, protect, restore, verify
from pipeline.jobs import MEMORY_ONLY, DocumentJob, Progress, RunOptions, TargetResult
from pipeline.memory import MemoryKey, TranslationMemory, normalize_source
from pipeline.segment import RebuildStats, repair_markers
from pipeline.typography import fix_segment

PairItem = tuple[DocumentJob, int, str]
"""One segment waiting for a pair's engine: its job, flat segment index and source text."""


@dataclass(frozen=True)
class MemoryResult:
    """Where one segment's translation came from: "approved", "cache" or "machine"."""

    text: str
    origin: str
    unknown_words: tuple[str, ...] = ()
    reviewer: str | None = None


class _HasText(Protocol):
    @property
    def text(self) -> str: ...


MachineTranslate = Callable[[list[str]], Sequence[_HasText | str]]
"""Wraps the engine (and glossary protect/restore): one item per input, a ``Translation`` or
plain text."""


def approved_translations(
    memory: TranslationMemory | None, src: str, tgt: str, texts: Sequence[str]
) -> list[MemoryResult | None]:
    """The approved-first rule: a segment a person approved is translated by that approval,
    exactly, and by nothing else. None where no approval exists (or there is no memory)."""
    approved = memory.get_approved(src, tgt, texts) if memory else {}
    results: list[MemoryResult | None] = []
    for text in texts:
        entry = approved.get(text)
        results.append(
            MemoryResult(entry.target, "approved", reviewer=entry.reviewer) if entry else None
        )
    return results


def cached_or_machine(
    memory: TranslationMemory | None,
    key: MemoryKey,
    texts: Sequence[str],
    translate: MachineTranslate,
    *,
    force: bool = False,
) -> list[MemoryResult]:
    """Segments with no approval: cached output under ``key`` (skipped when ``force``), else
    ``translate`` called ONCE with the remaining unique segments, whose output is then cached."""
    results: list[MemoryResult | None] = [None] * len(texts)
    cached = memory.get_cached_entries(key, texts) if memory and not force else {}
    todo: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        if text in cached:
            target, unknown_words = cached[text]
            results[i] = MemoryResult(target, "cache", unknown_words)
        else:
            todo.setdefault(normalize_source(text), []).append(i)
    if todo:
        unique = [texts[indices[0]] for indices in todo.values()]
        answers = list(translate(unique))
        if len(answers) != len(unique):
            raise ValueError(f"translate returned {len(answers)} results for {len(unique)} texts")
        stored: list[tuple[str, str, tuple[str, ...]]] = []
        for source, indices, answer in zip(unique, todo.values(), answers, strict=True):
            text = answer if isinstance(answer, str) else answer.text
            unknown = () if isinstance(answer, str) else tuple(getattr(answer, "unknown_words", ()))
            for i in indices:
                results[i] = MemoryResult(text, "machine", unknown)
            if text.strip():
                stored.append((source, text, unknown))
        if memory:
            memory.put_cached(key, stored)
    return [r if r is not None else MemoryResult("", "machine") for r in results]


def translate_with_memory(
    memory: TranslationMemory | None,
    key: MemoryKey,
    texts: Sequence[str],
    translate: MachineTranslate,
    *,
    force: bool = False,
) -> list[MemoryResult]:
    """Translate ``texts`` (one language pair): approved → cache → ``translate`` (once)."""
    results = approved_translations(memory, key.src, key.tgt, texts)
    rest = [i for i, result in enumerate(results) if result is None]
    found = cached_or_machine(memory, key, [texts[i] for i in rest], translate, force=force)
    for i, result in zip(rest, found, strict=True):
        results[i] = result
    return [r for r in results if r is not None]


def translate_all(
    jobs: list[DocumentJob],
    options: RunOptions,
    engines: EngineSet,
    progress: Progress,
    memory: TranslationMemory | None = None,
) -> None:
    """Translate every pending segment, one engine call per (source, target) pair."""
    pending: dict[tuple[str, str], list[PairItem]] = {}
    for job in jobs:
        assert job.doc is not None
        flat = job.segments
        for lang in options.targets:
            target = job.targets[lang]
            target.translations = [seg.text for seg in flat]
            target.origins = ["identity"] * len(flat)
            for i, seg in enumerate(flat):
                if seg.lang == lang:
                    continue
                if seg.lang != job.doc.lang and (
                    options.keep_foreign or seg.lang not in detect.TRANSLATABLE
                ):
                    why = "--keep-foreign" if options.keep_foreign else "no engine"
                    target.kept_blocks[seg.block] = why
                    continue
                pending.setdefault((seg.lang, lang), []).append((job, i, seg.text))

    for (src, tgt), items in pending.items():
        translate_pair(src, tgt, items, options, engines, progress, memory)


def translate_pair(
    src: str,
    tgt: str,
    items: list[PairItem],
    options: RunOptions,
    engines: EngineSet,
    progress: Progress,
    memory: TranslationMemory | None = None,
) -> None:
    """All pending segments of one language pair: approved translations from the memory first
    (they need no engine), then cached ones and one engine call (glossary around it) for the
    rest. When no engine can be had, only the segments that need one fail."""
    texts = [text for _, _, text in items]
    started = time.perf_counter()
    try:
        results = approved_translations(memory, src, tgt, texts)
    except PipelineError as exc:
        _fail_pair(items, src, tgt, str(exc))
        return
    need = [k for k, result in enumerate(results) if result is None]

    route: Route | None = None
    failure: str | None = None
    try:
        engine, route = engines.choose(src, tgt)
    except PipelineError as exc:
        failure = str(exc)

    if need and route is not None:
        key = MemoryKey.from_route(
            route, src, tgt, options.glossary.version if options.glossary else ""
        )
        machine = _machine(engine, src, tgt, options.glossary, progress)
        try:
            found = cached_or_machine(
                memory, key, [texts[k] for k in need], machine, force=options.force
            )
        except PipelineError as exc:
            failure = str(exc)
        else:
            for k, result in zip(need, found, strict=True):
                results[k] = result
    progress.segments_done(sum(r is not None and r.origin != "machine" for r in results))
    elapsed = time.perf_counter() - started

    done = [(item, r) for item, r in zip(items, results, strict=True) if r is not None]
    _record(done, src, tgt, route, elapsed, options)
    failed = [item for item, result in zip(items, results, strict=True) if result is None]
    if failed:
        _fail_pair(failed, src, tgt, failure or "no engine")
    if memory is not None:  # approved translations of similar sentences, for the reviewer
        rest = [item for item, r in done if r.origin != "approved"]
        similar = memory.fuzzy_many(src, tgt, [text for _, _, text in rest])
        for job, i, text in rest:
            if similar.get(text):
                job.targets[tgt].fuzzy[i] = similar[text]


def _machine(
    engine: Engine, src: str, tgt: str, glossary: Glossary | None, progress: Progress
) -> Callable[[list[str]], list[Translation]]:
    """The engine call of one pair, with the glossary's protect/restore around it."""

    def machine(batch: list[str]) -> list[Translation]:
        protected = (
            protect(glossary, batch, src, tgt, engine.glossary_strategy) if glossary else None
        )
        answers = _call_engine(engine, protected.texts if protected else batch, src, tgt, progress)
        drafts = [a.text for a in answers]
        if glossary and protected:
            drafts = restore(drafts, protected)
        return [Translation(d, a.unknown_words) for d, a in zip(drafts, answers, strict=True)]

    return machine


def _record(
    done: list[tuple[PairItem, MemoryResult]],
    src: str,
    tgt: str,
    route: Route | None,
    elapsed: float,
    options: RunOptions,
) -> None:
    """Put the pair's translations into their targets: approved ones exactly as written, the
    others with markers repaired and typography fixed; counts, unknown words, route, time."""
    affected = {id(job): job for (job, _, _), _ in done}
    per_job: dict[int, int] = {}
    for (job, i, text), result in done:
        target = job.targets[tgt]
        target.origins[i] = result.origin
        if result.origin == "approved":
            target.translations[i] = result.text  # exactly as the reviewer wrote it
            target.approved += 1
        else:
            # Markers made whole here, so QA, review files and the memory see clean drafts.
            stats = RebuildStats()
            target.translations[i] = fix_segment(repair_markers(text, result.text, stats), tgt)
            target.markers_repaired += stats.markers_repaired
            if result.origin == "cache":
                target.from_memory += 1
            else:
                target.machine_translated += 1
        unknown = _really_unknown(result.unknown_words, text, src, tgt, options.glossary)
        target.untranslated.extend(unknown)
        target.unknown[i] = unknown
        per_job[id(job)] = per_job.get(id(job), 0) + 1
        if target.route is None or (job.doc is not None and job.doc.lang == src):
            target.route = route or MEMORY_ONLY
    for job_id, count in per_job.items():
        affected[job_id].targets[tgt].seconds += elapsed * count / max(len(done), 1)


def _fail_pair(items: list[PairItem], src: str, tgt: str, reason: str) -> None:
    """Segments no engine could translate: their document's target fails with ``reason`` (and
    how many segments needed the engine, when approved translations covered the others); a
    foreign block is kept as it is."""
    needing: dict[int, tuple[DocumentJob, int]] = {}
    for job, i, _ in items:
        if job.doc is not None and job.doc.lang == src:
            needing[id(job)] = (job, needing.get(id(job), (job, 0))[1] + 1)
        else:  # a foreign block no engine can translate: kept as it is
            job.targets[tgt].kept_blocks[job.segments[i].block] = "no engine"
    for job, count in needing.values():
        target = job.targets[tgt]
        target.error = reason
        used = target.approved
        if used:
            target.error += (
                f" ({_count(count, 'segment')} could not be translated; "
                f"{_count(used, 'approved translation')} from the memory used)"
            )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _really_unknown(
    words: tuple[str, ...], source: str, src: str, tgt: str, glossary: Glossary | None
) -> list[str]:
    """Unknown words minus those the glossary rendered (names kept on purpose)."""
    if not words or glossary is None:
        return list(words)
    covered = " ".join(t["term"] + " " + t["expected"] for t in glossary.terms_in(source, src, tgt))
    return [w for w in words if w not in covered]


def _call_engine(
    engine: Engine, texts: list[str], src: str, tgt: str, progress: Progress
) -> list[Translation]:
    """The engine's translations; an engine that cannot keep markers gets plain text."""
    if not engine.markup:
        texts = [markers.strip(t) for t in texts]
    return engine.translate(texts, src, tgt, progress=progress.segments_done)


def verify_glossary(job: DocumentJob, target: TargetResult, glossary: Glossary) -> GlossaryReport:
    """Glossary compliance of one document's translation (segments grouped by source language)."""
    flat = job.segments
    report = GlossaryReport()
    for lang in sorted({seg.lang for seg in flat}):
        if lang == target.lang:
            continue
        idx = [i for i, seg in enumerate(flat) if seg.lang == lang]
        report = report + verify(
            glossary,
            [flat[i].text for i in idx],
            [target.translations[i] for i in idx],
            lang,
            target.lang,
            [flat[i].id for i in idx],
        )
    return report
