"""The translate stage: every pending segment of a batch, one language pair at a time.

For each (source, target) pair, over all documents at once:

    approved (memory) → cache (memory) → glossary.protect → engine (one batch) → glossary.restore
    → guard → markers repaired, typography → unknown words, fuzzy suggestions for the reviewer

The guard (``pipeline.engines.guard``) checks every machine and cached draft. A degenerate one
(a loop, a wrong length or language, subword marks) is decoded again with the engine's guards
when it has them (``Redecoding``); still degenerate, it is taken from the next engine that
covers the pair under ``--engine auto`` (Apertium for en↔es), else left as the source text
(origin ``degenerate``). It is never cached. When most of a pair's segments are degenerate the
model is broken: ``auto`` takes the whole pair from the next engine, otherwise the pair fails
with one line naming the model.

Approved translations are looked up first and exactly once (``approved_translations``); they
need no engine, so a pair with no engine still uses them. The glossary compliance of the result
(``verify_glossary``) is an input of QA and the report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from pipeline import debris, detect, markers
from pipeline.engines import guard
from pipeline.engines.base import Engine, Redecoding, Route, RouteChecking, Translation
from pipeline.engines.registry import EngineSet
from pipeline.errors import PipelineError, unexpected
from pipeline.glossary import Glossary, GlossaryReport, protect, restore, verify
from pipeline.jobs import (
    INTERRUPTED,
    MEMORY_ONLY,
    DocumentJob,
    Progress,
    RunOptions,
    TargetResult,
)
from pipeline.memory import MemoryKey, TranslationMemory, normalize_source
from pipeline.segment import RebuildStats, repair_markers
from pipeline.typography import fix_segment

PairItem = tuple[DocumentJob, int, str]
"""One segment waiting for a pair's engine: its job, flat segment index and source text."""


@dataclass(frozen=True)
class MemoryResult:
    """Where one segment's translation came from: "approved", "cache", "machine" or
    "degenerate" (the source text, kept because every engine's draft was degenerate).

    ``degenerate``: the guard's finding on the engine's first draft; ``guarded`` says what
    was done about it: "redecoded", "fallback" (another engine) or "source"."""

    text: str
    origin: str
    unknown_words: tuple[str, ...] = ()
    reviewer: str | None = None
    degenerate: guard.Degenerate | None = None
    guarded: str | None = None
    note: str = ""  # the QA finding's detail, when ``degenerate``


@dataclass(frozen=True)
class GuardedTranslation:
    """An engine's draft after the guard: ``degenerate`` when it still is (never cached),
    ``redecoded`` when the first draft was and a second decoding was not."""

    text: str
    unknown_words: tuple[str, ...] = ()
    degenerate: guard.Degenerate | None = None
    redecoded: guard.Degenerate | None = None


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
    accept: Callable[[str, str], bool] | None = None,
) -> list[MemoryResult]:
    """Segments with no approval: cached output under ``key`` (skipped when ``force``, or
    refused by ``accept(source, cached)``), else ``translate`` called ONCE with the remaining
    unique segments, whose output is then cached (unless it is degenerate)."""
    results: list[MemoryResult | None] = [None] * len(texts)
    cached = memory.get_cached_entries(key, texts) if memory and not force else {}
    todo: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        if text in cached and (accept is None or accept(text, cached[text][0])):
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
            bad = getattr(answer, "degenerate", None)
            fixed = getattr(answer, "redecoded", None)
            for i in indices:
                results[i] = MemoryResult(
                    text, "machine", unknown, degenerate=bad or fixed, guarded=fixed and "redecoded"
                )
            if text.strip() and bad is None:
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
    untouched = 0  # segments of translated targets that need no translation (progress)
    for job in jobs:
        assert job.doc is not None
        flat = job.segments
        for lang in options.targets:
            target = job.targets[lang]
            target.translations = [seg.text for seg in flat]
            target.origins = ["identity"] * len(flat)
            for i, seg in enumerate(flat):
                if seg.lang == lang:
                    untouched += lang != job.doc.lang
                    continue
                why = detect.kept_as_written(seg.lang, job.doc.lang, lang, options.keep_foreign)
                if why is not None:
                    target.kept_blocks[seg.block] = why
                    untouched += 1
                    continue
                pending.setdefault((seg.lang, lang), []).append((job, i, seg.text))

    if untouched:
        progress.segments_done(untouched)
    for (src, tgt), items in pending.items():
        if options.stop.is_set():
            _fail_pair(items, src, tgt, INTERRUPTED)
            continue
        counted = _CountedProgress(progress, len(items))
        try:
            translate_pair(src, tgt, items, options, engines, counted, memory)
        except Exception as exc:  # unforeseen: the pair's documents fail, the batch goes on
            _fail_pair(items, src, tgt, unexpected(exc, f"while translating {src}→{tgt}"))
        counted.finish()  # failed, deduplicated or glossary-only segments are done too


class _CountedProgress(Progress):
    """One pair's share of the segments bar: what the engine reports, never more than the
    pair's segments, and the rest when the pair is over (so the bar always ends full)."""

    def __init__(self, inner: Progress, total: int) -> None:
        self.inner, self.left = inner, total

    def segments_done(self, n: int) -> None:
        n = min(n, self.left)
        if n > 0:
            self.left -= n
            self.inner.segments_done(n)

    def output_done(self, description: str) -> None:
        self.inner.output_done(description)

    def finish(self) -> None:
        self.segments_done(self.left)


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
        machine = _machine(engine, src, tgt, options.glossary, _Stoppable(progress, options.stop))
        try:
            found = cached_or_machine(
                memory,
                key,
                [texts[k] for k in need],
                machine,
                force=options.force,
                accept=lambda source, draft: _check(source, draft, src, tgt) is None,
            )
            for k, result in zip(need, found, strict=True):
                results[k] = result
            route, failure = _degenerate(
                src, tgt, texts, need, results, engine, route, engines, options
            )
        except PipelineError as exc:
            failure = str(exc)
        if failure is not None:  # the model is broken: none of its drafts is written
            for k in need:
                results[k] = None
    progress.segments_done(sum(r is not None and r.origin != "machine" for r in results))
    elapsed = time.perf_counter() - started

    done = [(item, r) for item, r in zip(items, results, strict=True) if r is not None]
    _record(done, src, tgt, route, elapsed, options)
    failed = [item for item, result in zip(items, results, strict=True) if result is None]
    if failed:
        # An engine killed by the terminal's Ctrl-C (same process group) is an interruption.
        why = INTERRUPTED if options.stop.is_set() else failure or "no engine"
        _fail_pair(failed, src, tgt, why)
    if memory is not None:  # approved translations of similar sentences, for the reviewer
        rest = [item for item, r in done if r.origin != "approved"]
        similar = memory.fuzzy_many(src, tgt, [text for _, _, text in rest])
        for job, i, text in rest:
            if similar.get(text):
                job.targets[tgt].fuzzy[i] = similar[text]


class Interrupted(PipelineError):
    """The run was interrupted (Ctrl-C) while an engine was translating."""

    def __init__(self) -> None:
        super().__init__(INTERRUPTED)


class _Stoppable(Progress):
    """The run's progress, stopping the engine's batch at its next report once the run is
    interrupted (engines report every few segments)."""

    def __init__(self, progress: Progress, stop: threading.Event) -> None:
        self.progress, self.stop = progress, stop

    def segments_done(self, n: int) -> None:
        self.progress.segments_done(n)
        if self.stop.is_set():
            raise Interrupted


def _check(source: str, draft: str, src: str, tgt: str) -> guard.Degenerate | None:
    """The guard's verdict on one draft, with the pipeline's language detector."""
    return guard.check(source, draft, src, tgt, detect.detect_text)


def _machine(
    engine: Engine, src: str, tgt: str, glossary: Glossary | None, progress: Progress
) -> Callable[[list[str]], list[GuardedTranslation]]:
    """The engine call of one pair, with the glossary's protect/restore around it and the
    guard after it (a degenerate draft decoded again when the engine can)."""

    def machine(batch: list[str]) -> list[GuardedTranslation]:
        protected = (
            protect(glossary, batch, src, tgt, engine.glossary_strategy) if glossary else None
        )
        sent = protected.texts if protected else batch
        answers = _call_engine(engine, sent, src, tgt, progress)
        drafts = [a.text for a in answers]
        if glossary and protected:
            drafts = restore(drafts, protected)
        found = [_check(s, d, src, tgt) for s, d in zip(batch, drafts, strict=True)]
        redecoded: dict[int, guard.Degenerate] = {}
        bad = [i for i, finding in enumerate(found) if finding]
        if bad and isinstance(engine, Redecoding):
            texts = [markers.strip(sent[i]) if not engine.markup else sent[i] for i in bad]
            alternatives = engine.redecode(texts, src, tgt)
            depth = max((len(a) for a in alternatives), default=0)
            for k in range(depth):  # alternative k of every segment, glossary restored
                row = [a[min(k, len(a) - 1)] if a else "" for a in alternatives]
                if glossary and protected:
                    row = _restore_some(row, bad, protected)
                for i, alt in zip(bad, row, strict=True):
                    first = found[i]
                    if first and alt.strip() and _check(batch[i], alt, src, tgt) is None:
                        drafts[i], redecoded[i], found[i] = alt, first, None
        return [
            GuardedTranslation(d, a.unknown_words, found[i], redecoded.get(i))
            for i, (d, a) in enumerate(zip(drafts, answers, strict=True))
        ]

    return machine


def _restore_some(drafts: list[str], indices: list[int], protected: Any) -> list[str]:
    """``restore`` for drafts of some of a protected batch's segments (the others empty)."""
    full = [""] * len(protected.texts)
    for i, draft in zip(indices, drafts, strict=True):
        full[i] = draft
    restored = restore(full, protected)
    return [restored[i] for i in indices]


def _degenerate(
    src: str,
    tgt: str,
    texts: list[str],
    need: list[int],
    results: list[MemoryResult | None],
    engine: Engine,
    route: Route,
    engines: EngineSet,
    options: RunOptions,
) -> tuple[Route, str | None]:
    """Segments whose draft is still degenerate: from the next engine (``auto``), else the
    source text kept; most of the pair degenerate: the model is broken (the whole pair from
    the next engine, or the pair fails). Returns the pair's route and its failure, if any."""
    model = " ".join(x for x in (route.model or route.engine, route.version) if x)
    bad: list[int] = []
    findings: list[guard.Degenerate] = []
    for k in need:
        result = results[k]
        if result is None or result.degenerate is None:
            continue
        if result.guarded == "redecoded":
            note = f"{model}: {result.degenerate.line()}; decoded again with repetition guards"
            results[k] = replace(result, note=note)
        else:
            bad.append(k)
            findings.append(result.degenerate)
    if not bad:
        return route, None
    line = f"{model} produces {guard.summary(findings)} ({len(bad)} of {len(need)} segments)"
    broken = 2 * len(bad) > len(need)
    fallback = engines.fallback(src, tgt, engine)
    if fallback is None and broken:
        return route, f"{line}; nothing was written for this language; {_see(engine, src, tgt)}"
    if fallback is None:
        engines.note(f"{src}→{tgt}: {line}; those segments are left as the source text")
        for k, finding in zip(bad, findings, strict=True):
            note = f"{model}: {finding.line()}; left as the source text"
            results[k] = MemoryResult(texts[k], "degenerate", (), None, finding, "source", note)
        return route, None
    other, other_route = fallback
    redo = [k for k in need if results[k] is not None] if broken else bad
    answers = _machine(other, src, tgt, options.glossary, Progress())([texts[k] for k in redo])
    first = dict(zip(bad, findings, strict=True))
    for k, answer in zip(redo, answers, strict=True):
        previous = results[k]
        earlier = first.get(k) or (previous.degenerate if previous else None)  # or redecoded
        if answer.degenerate is not None:  # the next engine's draft is degenerate too
            note = f"{model} and {other.name}: {answer.degenerate.line()}; left as the source text"
            results[k] = MemoryResult(
                texts[k], "degenerate", (), None, earlier or answer.degenerate, "source", note
            )
        elif earlier is not None:
            note = f"{model}: {earlier.line()}; this draft is from {other.name}"
            results[k] = MemoryResult(
                answer.text, "machine", answer.unknown_words, None, earlier, "fallback", note
            )
        else:
            results[k] = MemoryResult(answer.text, "machine", answer.unknown_words)
    scope = "the whole pair" if broken else _count(len(bad), "segment")
    engines.note(f"{src}→{tgt}: {line}; {scope} taken from {other.name} instead")
    return (other_route if broken else route), None


def _see(engine: Engine, src: str, tgt: str) -> str:
    """Where to read about a broken model: its known-bad entry, or how to replace it."""
    problem = engine.check_route(src, tgt) if isinstance(engine, RouteChecking) else None
    if problem is not None and not problem.fatal:
        return problem.line  # "… is a known-bad model: <reason> (see <links>)"
    return "see `pipeline doctor`, and install another version of the model"


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
        if result.degenerate is not None and result.guarded:
            target.degenerate[i] = (result.guarded, result.note or result.degenerate.line())
        if result.origin == "approved":
            target.translations[i] = result.text  # exactly as the reviewer wrote it
            target.approved += 1
        elif result.origin == "degenerate":
            target.translations[i] = text  # the source text, marked (QA "degenerate")
        else:
            # Markers made whole here, so QA, review files and the memory see clean drafts.
            stats = RebuildStats()
            draft = fix_segment(repair_markers(text, result.text, stats), tgt)
            target.translations[i], removed = debris.clean(text, draft)
            if removed:  # never in an output; QA "leftover" (blocking) in report.collect_qa
                target.debris[i] = debris.detail(removed)
            target.markers_repaired += stats.markers_repaired
            if result.origin == "cache":
                target.from_memory += 1
            else:
                target.machine_translated += 1
        unknown = _really_unknown(result.unknown_words, text, src, tgt, options.glossary)
        unknown = debris.without_debris(unknown)  # a placeholder is not an untranslated word
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
    shielded = [markers.shield(t) for t in texts]  # literal "<g1>" travels as a marker
    texts = [t for t, _ in shielded]
    if not engine.markup:
        texts = [markers.strip(t) for t in texts]
    answers = engine.translate(texts, src, tgt, progress=progress.segments_done)
    return [
        Translation(markers.unshield(a.text, literals), a.unknown_words)
        for a, (_, literals) in zip(answers, shielded, strict=True)
    ]


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
