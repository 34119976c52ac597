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

Which segment goes to which pair, and the approved translations that answer some of them,
come from the plan (``pipeline.plan``); approved ones need no engine, so a pair with no
engine still uses them. The stage returns one ``TargetDraft`` per document × target language:
a frozen record per segment (``pipeline.records``), the route, the seconds, or the error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from pipeline import debris, detect, markers
from pipeline.engines import guard
from pipeline.engines.base import (
    Engine,
    EngineCrashed,
    Redecoding,
    Route,
    RouteChecking,
    Translation,
)
from pipeline.engines.registry import EngineSet
from pipeline.errors import PipelineError, unexpected
from pipeline.glossary import Glossary, protect, restore
from pipeline.jobs import INTERRUPTED, MEMORY_ONLY, Prepared, Progress, TargetDraft
from pipeline.memory import MemoryKey, TranslationMemory, normalize_source
from pipeline.options import OutputMode, RunControl
from pipeline.plan import PlannedSegment, TargetPlan, TranslationPlan
from pipeline.records import DegenerateHandling, SegmentRecord
from pipeline.segment import RebuildStats, repair_markers
from pipeline.typography import fix_segment


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
            result = _machine_result(answer)
            for i in indices:
                results[i] = result
            if result.text.strip() and getattr(answer, "degenerate", None) is None:
                stored.append((source, result.text, result.unknown_words))
        if memory:
            memory.put_cached(key, stored)
    return [r if r is not None else MemoryResult("", "machine") for r in results]


def _machine_result(answer: _HasText | str) -> MemoryResult:
    """An engine's answer as a result: a degenerate draft, or one decoded again, marked."""
    if isinstance(answer, str):
        return MemoryResult(answer, "machine")
    unknown = tuple(getattr(answer, "unknown_words", ()))
    bad = getattr(answer, "degenerate", None)
    fixed = getattr(answer, "redecoded", None)
    return MemoryResult(
        answer.text, "machine", unknown, degenerate=bad or fixed, guarded=fixed and "redecoded"
    )


def translate_plan(
    plan: TranslationPlan,
    mode: OutputMode,
    control: RunControl,
    engines: EngineSet,
    progress: Progress,
    memory: TranslationMemory | None = None,
) -> dict[tuple[int, str], TargetDraft]:
    """Translate every segment the plan sends to an engine, one engine call per language
    pair; returns each (document position, target language)'s draft."""
    pending = plan.pairs()
    untouched = plan.counted - sum(len(items) for items in pending.values())
    if untouched:
        progress.segments_done(untouched)  # identity and kept segments are done already
    errors = plan.approval_errors()
    outcomes: list[_PairOutcome] = []
    for (src, tgt), items in pending.items():
        if control.stop.is_set():
            outcomes.append(_PairOutcome(src, tgt, items, [None] * len(items), INTERRUPTED))
            continue
        counted = _CountedProgress(progress, len(items))
        try:
            if (src, tgt) in errors:
                outcome = _PairOutcome(src, tgt, items, [None] * len(items), errors[(src, tgt)])
            else:
                outcome = translate_pair(
                    src, tgt, items, plan, mode, control, engines, counted, memory
                )
        except Exception as exc:  # unforeseen: the pair's documents fail, the batch goes on
            reason = unexpected(exc, f"while translating {src}→{tgt}")
            outcome = _PairOutcome(src, tgt, items, [None] * len(items), reason)
        if outcome.crashed and len({item.document for item in items}) > 1:
            outcomes.extend(  # the document that kills the engine fails alone
                translate_pair(src, tgt, alone, plan, mode, control, engines, counted, memory)
                for alone in _by_document(items)
            )
        else:
            outcomes.append(outcome)
        counted.finish()  # failed, deduplicated or glossary-only segments are done too
    return _assemble(plan, outcomes, mode)


@dataclass(frozen=True)
class _PairOutcome:
    """What one pair's engine call gave: a result per item (None: not translated, ``failure``
    says why), the route that made them, the seconds, and fuzzy suggestions by text."""

    src: str
    tgt: str
    items: list[PlannedSegment]
    results: list[MemoryResult | None]
    failure: str | None = None
    route: Route | None = None
    seconds: float = 0.0
    fuzzy: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    crashed: bool = False  # the engine's process died on the batch (``EngineCrashed``)


def _by_document(items: list[PlannedSegment]) -> list[list[PlannedSegment]]:
    """``items`` in one group per document, in order."""
    groups: dict[int, list[PlannedSegment]] = {}
    for item in items:
        groups.setdefault(item.document, []).append(item)
    return list(groups.values())


def translate_pair(
    src: str,
    tgt: str,
    items: list[PlannedSegment],
    plan: TranslationPlan,
    mode: OutputMode,
    control: RunControl,
    engines: EngineSet,
    progress: Progress,
    memory: TranslationMemory | None = None,
) -> _PairOutcome:
    """All pending segments of one language pair: approved translations (the plan's) first,
    then cached ones and one engine call (glossary around it) for the rest. When no engine
    can be had, only the segments that need one fail."""
    texts = [item.text for item in items]
    started = time.perf_counter()
    results: list[MemoryResult | None] = [
        MemoryResult(a.target, "approved", reviewer=a.reviewer) if a else None
        for a in (item.approved for item in items)
    ]  # the approved-first rule: a person's approval, exactly, and nothing else
    need = [k for k, result in enumerate(results) if result is None]
    pair = plan.documents[items[0].document].pairs[(src, tgt)].route
    route, failure = pair.route, pair.failure
    crashed = False
    if need and pair.engine is not None and route is not None:
        try:
            route, failure = _engine_drafts(
                (src, tgt), pair.engine, route, texts, need, results, mode, control, engines,
                progress, memory,
            )  # fmt: skip
        except EngineCrashed as exc:
            failure, crashed = str(exc), True
        if failure is not None:  # the model is broken: none of its drafts is written
            for k in need:
                results[k] = None
    progress.segments_done(sum(r is not None and r.origin != "machine" for r in results))
    elapsed = time.perf_counter() - started
    if any(r is None for r in results):
        # An engine killed by the terminal's Ctrl-C (same process group) is an interruption.
        failure = INTERRUPTED if control.stop.is_set() else failure or "no engine"
    similar = _similar(memory, src, tgt, texts, results)
    return _PairOutcome(src, tgt, items, results, failure, route, elapsed, similar, crashed)


def _similar(
    memory: TranslationMemory | None,
    src: str,
    tgt: str,
    texts: list[str],
    results: list[MemoryResult | None],
) -> Mapping[str, Sequence[Any]]:
    """Approved translations of sentences like the drafted ones, for the reviewer."""
    if memory is None:
        return {}
    rest = [t for t, r in zip(texts, results, strict=True) if r and r.origin != "approved"]
    return memory.fuzzy_many(src, tgt, rest)


def _engine_drafts(
    pair: tuple[str, str],
    engine: Engine,
    route: Route,
    texts: list[str],
    need: list[int],
    results: list[MemoryResult | None],
    mode: OutputMode,
    control: RunControl,
    engines: EngineSet,
    progress: Progress,
    memory: TranslationMemory | None,
) -> tuple[Route, str | None]:
    """Cached or machine drafts for the segments ``need`` (put into ``results``, this pair's
    own list), the degenerate ones handled; returns the pair's route and its failure."""
    src, tgt = pair
    key = MemoryKey.from_route(route, src, tgt, mode.glossary_version)
    machine = _machine(engine, src, tgt, mode.glossary, _Stoppable(progress, control.stop))
    try:
        found = cached_or_machine(
            memory,
            key,
            [texts[k] for k in need],
            machine,
            force=control.force,
            accept=lambda source, draft: _check(source, draft, src, tgt) is None,
        )
        for k, result in zip(need, found, strict=True):
            results[k] = result
        return _degenerate(src, tgt, texts, need, results, engine, route, engines, mode.glossary)
    except EngineCrashed:
        raise  # translate_plan tries the documents one by one
    except PipelineError as exc:
        return route, str(exc)


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
    glossary: Glossary | None,
) -> tuple[Route, str | None]:
    """Segments whose draft is still degenerate: from the next engine (``auto``), else the
    source text kept; most of the pair degenerate: the model is broken (the whole pair from
    the next engine, or the pair fails). Returns the pair's route and its failure, if any."""
    model = " ".join(x for x in (route.model or route.engine, route.version) if x)
    bad, findings = _still_degenerate(model, need, results)
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
    answers = _machine(other, src, tgt, glossary, Progress())([texts[k] for k in redo])
    first = dict(zip(bad, findings, strict=True))
    for k, answer in zip(redo, answers, strict=True):
        previous = results[k]
        earlier = first.get(k) or (previous.degenerate if previous else None)  # or redecoded
        results[k] = _from_fallback(texts[k], answer, earlier, model, other.name)
    scope = "the whole pair" if broken else _count(len(bad), "segment")
    engines.note(f"{src}→{tgt}: {line}; {scope} taken from {other.name} instead")
    return (other_route if broken else route), None


def _still_degenerate(
    model: str, need: list[int], results: list[MemoryResult | None]
) -> tuple[list[int], list[guard.Degenerate]]:
    """The segments whose draft is degenerate still, with the guard's findings; those a
    second decoding saved get their note (in ``results``, the pair's own list)."""
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
    return bad, findings


def _from_fallback(
    source: str,
    answer: GuardedTranslation,
    earlier: guard.Degenerate | None,
    model: str,
    other: str,
) -> MemoryResult:
    """A segment taken from the next engine: its draft, or the source text when that draft
    is degenerate too; ``earlier`` is the first engine's finding, if any."""
    if answer.degenerate is not None:  # the next engine's draft is degenerate too
        note = f"{model} and {other}: {answer.degenerate.line()}; left as the source text"
        finding = earlier or answer.degenerate
        return MemoryResult(source, "degenerate", (), None, finding, "source", note)
    if earlier is not None:
        note = f"{model}: {earlier.line()}; this draft is from {other}"
        return MemoryResult(
            answer.text, "machine", answer.unknown_words, None, earlier, "fallback", note
        )
    return MemoryResult(answer.text, "machine", answer.unknown_words)


def _see(engine: Engine, src: str, tgt: str) -> str:
    """Where to read about a broken model: its known-bad entry, or how to replace it."""
    problem = engine.check_route(src, tgt) if isinstance(engine, RouteChecking) else None
    if problem is not None and not problem.fatal:
        return problem.line  # "… is a known-bad model: <reason> (see <links>)"
    return "see `pipeline doctor`, and install another version of the model"


def _assemble(
    plan: TranslationPlan, outcomes: list[_PairOutcome], mode: OutputMode
) -> dict[tuple[int, str], TargetDraft]:
    """Each target's records from the pairs' outcomes, taken in the order the pairs ran."""
    drafts = {
        (n, lang): _TargetDrafts(doc.prepared, target)
        for n, doc in enumerate(plan.documents)
        for lang, target in doc.targets.items()
    }
    for outcome in outcomes:
        done = [(item, r) for item, r in zip(outcome.items, outcome.results, strict=True) if r]
        shares: dict[int, int] = {}
        for item, result in done:
            drafts[(item.document, outcome.tgt)].put(item, result, outcome, mode.glossary)
            shares[item.document] = shares.get(item.document, 0) + 1
        for document, count in shares.items():
            drafts[(document, outcome.tgt)].seconds += outcome.seconds * count / len(done)
        failed = [item for item, r in zip(outcome.items, outcome.results, strict=True) if not r]
        needing: dict[int, int] = {}
        for item in failed:
            target = drafts[(item.document, outcome.tgt)]
            if target.prepared.lang == outcome.src:
                needing[item.document] = needing.get(item.document, 0) + 1
            else:  # a foreign block no engine can translate: kept as it is
                target.keep(item.index, "no engine")
        for document, count in needing.items():
            drafts[(document, outcome.tgt)].fail(outcome.failure or "no engine", count)
    return {key: target.draft() for key, target in drafts.items()}


class _TargetDrafts:
    """One target's records while the pairs come back (local to ``_assemble``)."""

    def __init__(self, prepared: Prepared, plan: TargetPlan) -> None:
        self.prepared, self.lang = prepared, plan.lang
        self.records = [
            SegmentRecord(seg, seg.text, kept=routing.kept)
            for seg, routing in zip(prepared.segments, plan.routing, strict=True)
        ]
        self.route: Route | None = None
        self.error: str | None = None
        self.seconds = 0.0
        self.approved = 0

    def put(
        self,
        item: PlannedSegment,
        result: MemoryResult,
        outcome: _PairOutcome,
        glossary: Glossary | None,
    ) -> None:
        """A translated segment: approved drafts exactly as the reviewer wrote them, the
        source text for a degenerate one, the others with markers repaired (so QA, review
        files and the memory see clean drafts) and typography fixed."""
        src, tgt, text = outcome.src, outcome.tgt, item.text
        stats = RebuildStats()
        if result.origin == "approved":
            draft = result.text
            self.approved += 1
        elif result.origin == "degenerate":
            draft = text
        else:
            draft = fix_segment(repair_markers(text, result.text, stats), tgt)
        draft, removed = debris.clean(text, draft) if result.origin != "approved" else (draft, [])
        handling = None
        if result.degenerate is not None and result.guarded:
            handling = DegenerateHandling(result.guarded, result.note or result.degenerate.line())
        fuzzy = () if result.origin == "approved" else tuple(outcome.fuzzy.get(text) or ())
        self.records[item.index] = replace(
            self.records[item.index],
            draft=draft,
            origin=result.origin,
            unknown_words=tuple(
                debris.without_debris(
                    _really_unknown(result.unknown_words, text, src, tgt, glossary)
                )
            ),
            debris=debris.detail(removed) if removed else None,  # QA: a blocking "leftover"
            degenerate=handling,
            fuzzy=fuzzy,
            reviewer=result.reviewer,
            markers_repaired=stats.markers_repaired,
        )
        if self.route is None or self.prepared.lang == src:
            self.route = outcome.route or MEMORY_ONLY

    def keep(self, index: int, why: str) -> None:
        """The block of segment ``index`` is kept as it is (all its segments)."""
        block = self.records[index].segment.block
        for i, record in enumerate(self.records):
            if record.segment.block == block:
                self.records[i] = replace(record, kept=why)

    def fail(self, reason: str, count: int) -> None:
        """Segments no engine could translate: the target fails with ``reason`` (and how many
        segments needed the engine, when approved translations covered the others)."""
        self.error = reason
        if self.approved:
            self.error += (
                f" ({_count(count, 'segment')} could not be translated; "
                f"{_count(self.approved, 'approved translation')} from the memory used)"
            )

    def draft(self) -> TargetDraft:
        return TargetDraft(self.lang, tuple(self.records), self.route, self.error, self.seconds)


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
