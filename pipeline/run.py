"""One batch: documents × target languages → translated files and report.json.

Orchestration only: each stage takes values and returns new ones.

    prepare (``pipeline.prepare``: read → detect → segment) → plan (``pipeline.plan``: per
    document and language pair what to translate, the route, the approved translations;
    fingerprint, ``pipeline.incremental``: unchanged documents stop here) → translate
    (``pipeline.translate``: one engine call per pair, a record per segment) → QA
    (``pipeline.qa.check_target``) → outputs (``pipeline.outputs.OUTPUTS``, through the writer
    pool) → report (``pipeline.report``, a pure function of the above)

Documents go through in waves (``RunControl.wave_tokens`` tokens to translate each); within a
wave each language pair goes through its engine in one call. The stages overlap: wave k is
written by a background thread (QA there, the files in the writer processes, several
documents' files in flight) while the main thread prepares and translates wave k + 1; wave
k's write is finished before wave k + 1's starts, so at most two waves are in memory.
``RunResult``'s lists and the progress are touched under a lock.

A document or target that fails records one line and the batch goes on; every user-facing
failure is a ``PipelineError`` (or an ``OSError`` from the disk).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.blocking import rebuild_for_blocking
from pipeline.cluster import ClusterStages
from pipeline.engines.registry import EngineSet
from pipeline.errors import PipelineError
from pipeline.export import libreoffice, pandoc_server
from pipeline.export.atomic import remove_stale_parts
from pipeline.export.pool import WriterPool
from pipeline.export.writers import outputs_for, warm_up_libreoffice
from pipeline.incremental import (
    fingerprint,
    fingerprint_data,
    is_unchanged,
    kept_targets,
    mark_unchanged,
    stored_report,
    unchanged_before_reading,
)
from pipeline.ingest import find_sources
from pipeline.jobs import (
    INTERRUPTED,
    DocumentReport,
    Failure,
    Progress,
    Source,
    TargetDraft,
    TargetReport,
)
from pipeline.jobs import RunResult as RunResult
from pipeline.memory import TranslationMemory
from pipeline.options import Batch
from pipeline.outnames import output_names
from pipeline.plan import DocumentPlan, RouteTable, TranslationPlan, plan_document
from pipeline.prepare import prepare, source_hash
from pipeline.report import kept_target, report_data, write_report
from pipeline.translate import translate_plan
from pipeline.write import Submitted, Writing, finish_target, submit_target


def run_batch(
    batch: Batch,
    progress: Progress | None = None,
    engines: EngineSet | None = None,
    cluster: ClusterStages | None = None,
) -> RunResult:
    """Translate every document in ``batch.paths`` into every target language.

    Documents go through in waves of about ``wave_tokens`` tokens to translate: each wave is
    read, goes through the engine (one call per language pair, sorted batching inside) and is
    written out in the background while the next is read and translated, so memory stays
    flat however long the batch (two waves at most). A document whose outputs are up to date
    (``pipeline.incremental``) is skipped unless ``force``. With ``cluster`` each document is
    read and its files made on a Dask worker (``pipeline.cluster``); the plan, the memory and
    every file and report.json stay here.
    """
    control, mode = batch.control, batch.mode
    result = RunResult()
    glossary = mode.glossary.path if mode.glossary is not None else None
    found = find_sources(  # the glossary beside the sources is the run's, not a source
        list(batch.paths),
        exclude=[batch.out_dir, *([glossary] if glossary is not None else [])],
        follow_links=control.follow_links,
    )
    files = found.files
    result.failures.extend(Failure(str(path), reason) for path, reason in found.problems)
    result.skipped.extend(Failure(str(path), reason) for path, reason in found.skipped)
    sources = [
        Source(path=f, stem=s, out_dir=batch.out_dir / s)
        for f, s in zip(files, output_names(files, list(batch.paths)), strict=True)
    ]
    streamed = _StreamedProgress(progress or Progress(), len(sources) * len(mode.targets))
    streamed.inner.documents(len(sources))  # reading and writing shown file by file
    engines = engines or EngineSet(mode.engine)
    memory = TranslationMemory(control.cache) if control.cache else None  # MemoryFileError: CLI
    settled: dict[Source, DocumentReport] = {}
    try:
        with (
            ThreadPoolExecutor(max_workers=_readers(batch, cluster)) as pool,
            pandoc_server.serving(),
            libreoffice.serving(control.jobs) as office,
            WriterPool(
                control.jobs if len(sources) > 1 else 1, control.stop, streamed.inner
            ) as writers,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="write-wave") as background,
        ):
            run = _Run(batch, engines, RouteTable(engines), memory, pool, writers, result,
                       streamed, settled, cluster)  # fmt: skip
            writing: Future[None] | None = None  # the wave being written, in the background
            for wave in _waves(sources, run):
                drafts = _translate_wave(wave, run)
                if writing is not None:
                    writing.result()  # wave k is written before wave k + 1 is
                writing = background.submit(_write_wave, wave, drafts, run)
            if writing is not None:
                writing.result()
        result.warnings.extend(engines.notes)
        result.seconds.update(libreoffice.seconds(office))
        streamed.add_segments(0)  # started even when no document needed translating
    finally:
        if memory is not None:
            memory.close()
    result.documents = [settled.get(s) or DocumentReport(s) for s in sources]
    result.not_done.extend(str(s.path) for s in sources if s not in settled)
    result.reports = list(dict.fromkeys(result.reports))  # each report.json once
    return result


def _readers(batch: Batch, cluster: ClusterStages | None) -> int:
    """Documents read at once: ``--jobs``, or on a cluster at least one per worker thread."""
    return batch.control.jobs if cluster is None else max(batch.control.jobs, cluster.threads())


class _StreamedProgress(Progress):
    """The caller's progress, told the totals as the waves come: ``start`` with the segments
    of the first wave, ``more_segments`` with those of each later one. Called from the main
    thread and the one writing a wave, one call at a time."""

    def __init__(self, inner: Progress, outputs: int) -> None:
        self.inner, self.outputs, self.started = inner, outputs, False
        self.lock = threading.Lock()  # segments from the main thread, outputs from the writing one

    def add_segments(self, n: int) -> None:
        with self.lock:
            self._add(n)

    def _add(self, n: int) -> None:
        if not self.started:
            self.inner.start(self.outputs, n)
            self.started = True
        elif n:
            self.inner.more_segments(n)

    def segments_done(self, n: int) -> None:
        with self.lock:
            self._add(0)
            self.inner.segments_done(n)

    def output_done(self, description: str) -> None:
        with self.lock:
            self._add(0)
            self.inner.output_done(description)


class _Clock:
    """Seconds spent per stage, summed over the waves (``RunResult.seconds``). A wave is
    written while the next is prepared and translated, so the stages' seconds overlap."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        for stage in ("prepare", "translate", "write"):
            seconds.setdefault(stage, 0.0)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            with self.lock:
                self.seconds[name] += time.perf_counter() - started


@dataclass
class _Run:
    """What every stage of one run works with. ``result``'s lists and ``settled`` are changed
    only under ``lock``: the main thread reads and translates while another writes."""

    batch: Batch
    engines: EngineSet
    routes: RouteTable
    memory: TranslationMemory | None
    pool: ThreadPoolExecutor  # reads --jobs documents at once
    writers: WriterPool
    result: RunResult
    progress: _StreamedProgress
    settled: dict[Source, DocumentReport]  # what happened to each source, once it is known
    cluster: ClusterStages | None = None  # documents read and written to bytes on Dask workers
    clock: _Clock = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)
    warm: bool = False  # the writer processes have been started

    def __post_init__(self) -> None:
        self.clock = _Clock(self.result.seconds)

    def fail(self, source: Source, reason: str) -> None:
        with self.lock:
            self.result.failures.append(Failure(str(source.path), reason))

    def unavailable(self, source: Source, reason: str) -> None:
        with self.lock:
            self.result.unavailable.append(Failure(str(source.path), reason))

    def settle(self, report: DocumentReport) -> None:
        with self.lock:
            self.settled[report.source] = report

    def reported(self, report: Path) -> None:
        with self.lock:
            self.result.reports.append(report)


@dataclass(frozen=True)
class _ToBuild:
    """A document whose outputs are to be made: its plan and its fingerprint."""

    plan: DocumentPlan
    fingerprint: dict[str, Any]
    kept: dict[str, dict[str, Any]] = field(default_factory=dict)  # incremental.kept_targets


def _waves(sources: list[Source], run: _Run) -> Iterator[list[_ToBuild]]:
    """Prepared documents that need building, in waves of about ``wave_tokens`` tokens (the
    plan's count); unchanged ones are marked and reported here and never reach a wave."""
    control, mode = run.batch.control, run.batch.mode
    window = max(4, 2 * _readers(run.batch, run.cluster))  # read ahead only this many
    wave: list[_ToBuild] = []
    tokens = 0
    for first in range(0, len(sources), window):
        if control.stop.is_set():
            break  # interrupted: the documents not read yet are not done (RunResult.not_done)
        with run.clock.stage("prepare"):
            for item in _prepare_window(sources[first : first + window], run):
                wave.append(item)
                tokens += item.plan.tokens
        if wave and not run.warm and run.cluster is None:  # the writers start meanwhile
            writers = [o.write for o in outputs_for(list(mode.formats))]
            run.writers.warm_up(writers, mode.targets)
            run.warm = True
        if run.cluster is None:
            warm_up_libreoffice(
                list(mode.formats), [item.plan.prepared.inplace for item in wave], mode.pdf_engine
            )
        if control.wave_tokens and tokens >= control.wave_tokens:
            yield wave
            wave, tokens = [], 0
    if wave:
        yield wave


def _prepare_window(sources: list[Source], run: _Run) -> list[_ToBuild]:
    """Hash, and where needed read, detect, segment and plan a few documents in parallel;
    those whose outputs are up to date are marked unchanged, the others returned."""
    control, mode, memory = run.batch.control, run.batch.mode, run.memory
    run.progress.inner.reading([source.path.name for source in sources])
    hashes = list(run.pool.map(lambda s: source_hash(s, control.limits), sources))
    errors: dict[Source, str] = {}
    todo: list[tuple[Source, str, dict[str, Any] | None]] = []
    for source, (sha256, error) in zip(sources, hashes, strict=True):
        if error is not None:
            errors[source] = error
            continue
        stored = None if control.force or not sha256 else stored_report(source.out_dir)
        if stored is not None and rebuild_for_blocking(stored, mode.allow_blocking):
            stored = None  # blocking findings not let through: built (and said) again
        if stored is not None and unchanged_before_reading(
            sha256, mode, run.routes, memory, stored
        ):
            _mark_unchanged(source, stored, run)
        else:
            todo.append((source, sha256, stored))

    def read(item: tuple[Source, str, dict[str, Any] | None]) -> Any:
        if control.stop.is_set():
            return None  # interrupted: neither read nor failed (RunResult.not_done)
        if run.cluster is not None:
            return run.cluster.prepare(item[0], item[1], mode, control.limits)
        return prepare(item[0], item[1], mode, control.limits)

    prepared = list(run.pool.map(read, todo))
    for (source, _, _), outcome in zip(todo, prepared, strict=True):
        if isinstance(outcome, str):
            errors[source] = outcome
    for source in sources:
        if source in errors:
            run.fail(source, errors[source])
            run.settle(DocumentReport(source, error=errors[source]))
    build = []
    for (source, _, stored), outcome in zip(todo, prepared, strict=True):
        if outcome is None or isinstance(outcome, str):
            continue
        plan = plan_document(outcome, mode, run.routes, memory)
        fp: dict[str, Any] = {}
        with suppress(PipelineError):  # the translate stage says what is wrong with the memory
            fp = fingerprint(plan, mode, memory, stored)
        if stored is not None and fp and is_unchanged(fp, mode, stored):
            _mark_unchanged(source, stored, run, outcome.lang)
        else:  # the targets that did not fail last time keep their files
            build.append(
                _ToBuild(
                    plan, fp, kept_targets(source.out_dir, fp, control.force, mode.allow_blocking)
                )
            )
    run.progress.inner.read(len(sources))
    return build


def _mark_unchanged(
    source: Source, stored: dict[str, Any], run: _Run, lang: str | None = None
) -> None:
    """``source``'s outputs are up to date: report.json says so and nothing is rebuilt."""
    report = mark_unchanged(source.out_dir, stored)
    if report is None:
        reason = f"cannot write {source.out_dir / 'report.json'}"
        run.fail(source, reason)
        run.settle(DocumentReport(source, lang, error=reason))
        return
    run.settle(DocumentReport(source, lang, unchanged=True))
    run.reported(report)
    for target in run.batch.mode.targets:
        run.progress.output_done(f"{source.stem} → {target} (unchanged)")


def _translate_wave(wave: list[_ToBuild], run: _Run) -> dict[tuple[int, str], TargetDraft]:
    """Every segment of one wave through the engines (one call per language pair)."""
    plan = TranslationPlan(tuple(item.plan for item in wave))
    run.progress.add_segments(plan.counted)
    with run.clock.stage("translate"):
        batch = run.batch
        return translate_plan(
            plan, batch.mode, batch.control, run.engines, run.progress, run.memory
        )


def _write_wave(
    wave: list[_ToBuild], drafts: dict[tuple[int, str], TargetDraft], run: _Run
) -> None:
    """Write one wave's documents and reports. Runs in the background while the main thread
    prepares and translates the next wave: QA here, the files in the writer processes,
    several documents' files in flight at once; on a cluster, each document on a worker
    (``pipeline.cluster``) and its files written here as they come back."""
    with run.clock.stage("write"):
        if run.cluster is not None:
            _write_wave_on_cluster(wave, drafts, run, run.cluster)
            return
        writing = Writing(run.batch.mode, run.batch.control.stop, run.writers)
        in_flight: deque[tuple[_ToBuild, list[Submitted]]] = deque()
        ahead = 2 * run.writers.workers  # documents whose files wait for a free writer
        for n, item in enumerate(wave):
            remove_stale_parts(item.plan.prepared.source.out_dir)  # left by a killed run
            submitted = [
                submit_target(item.plan, drafts[(n, lang)], writing)
                for lang in run.batch.mode.targets
                if lang not in item.kept  # up to date: nothing to write
            ]
            in_flight.append((item, submitted))
            if len(in_flight) > ahead:
                done, subs = in_flight.popleft()
                _finish_document(done, {s.draft.lang: finish_target(s, writing) for s in subs}, run)
        while in_flight:
            done, subs = in_flight.popleft()
            _finish_document(done, {s.draft.lang: finish_target(s, writing) for s in subs}, run)


def _write_wave_on_cluster(
    wave: list[_ToBuild],
    drafts: dict[tuple[int, str], TargetDraft],
    run: _Run,
    cluster: ClusterStages,
) -> None:
    """Each document's QA and files made on a worker (one task per document), its files
    written here atomically as it comes back; a document that kills workers fails alone."""
    mode = run.batch.mode
    rendering = [
        cluster.render(
            item.plan, [drafts[(n, lang)] for lang in mode.targets if lang not in item.kept], mode
        )
        for n, item in enumerate(wave)
    ]
    for item, task in zip(wave, rendering, strict=True):
        source = item.plan.prepared.source
        remove_stale_parts(source.out_dir)  # left by a killed run
        targets = cluster.written(task, source.out_dir, run.progress.inner)
        if targets is None:  # interrupted: this document's targets are not done
            with run.lock:
                run.result.not_done.extend(f"{source.path} → {lang}" for lang in mode.targets)
            continue
        if isinstance(targets, str):
            run.fail(source, targets)
            run.settle(DocumentReport(source, item.plan.prepared.lang, error=targets))
            continue
        _finish_document(item, targets, run)


def _finish_document(item: _ToBuild, written: dict[str, TargetReport], run: _Run) -> None:
    """Once its files are written (``written``: the targets built): report.json, from the
    stages' values."""
    prepared = item.plan.prepared
    source = prepared.source
    targets: dict[str, TargetReport] = {}
    for lang in run.batch.mode.targets:
        kept = item.kept.get(lang)
        targets[lang] = written[lang] if kept is None else kept_target(lang, kept)
        run.progress.output_done(f"{source.stem} → {lang}")
    run.settle(DocumentReport(source, prepared.lang, targets=targets))
    interrupted = [lang for lang, t in targets.items() if (t.error or "").startswith(INTERRUPTED)]
    with run.lock:
        run.result.not_done.extend(f"{source.path} → {lang}" for lang in interrupted)
    for lang, target in targets.items():
        if target.error is not None and lang not in interrupted:
            if run.batch.control.skip_unavailable and not run.engines.covered(prepared.lang, lang):
                run.unavailable(source, f"{lang}: {target.error}")  # asked only if available
            else:
                run.fail(source, f"{lang}: {target.error}")
        elif target.held is not None:  # blocking findings: exit 1, one line
            run.fail(source, f"{lang}: {target.held.line()}")
    if targets and len(interrupted) == len(targets):
        return
    outputs = [p for t in targets.values() for p in t.outputs.values()]
    data = report_data(prepared, targets, fingerprint_data(item.fingerprint, source, outputs))
    report = write_report(source.out_dir, data)
    if report is not None:
        run.reported(report)
    else:
        run.fail(source, f"cannot write {source.out_dir / 'report.json'}")
