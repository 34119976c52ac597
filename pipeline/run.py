"""One batch: documents × target languages → translated DOCX/PDF files and report.json.

Orchestration only. Documents go through in waves (``RunOptions.wave_tokens`` tokens to
translate each), and within a wave each language pair goes through its engine in one call
(one Apertium process, one CTranslate2 batch sorted by length):

    prepare (read → detect → segment → fingerprint; unchanged documents stop here,
    ``pipeline.incremental``) → translate (``pipeline.translate``, per language pair) → write
    (rebuild, ``pipeline.export.writers``, leaflet, review files) → report (``pipeline.report``)
    → the wave's documents are released

The stages overlap: wave k is written by a background thread (QA there, the files in the
writer processes, several documents' files in flight) while the main thread prepares and
translates wave k + 1; wave k's write is finished before wave k + 1's starts, so at most two
waves are in memory. ``RunResult``'s lists and the progress are touched under a lock.

A document or target that fails records one line (``job.error`` / ``target.error``) and the
batch goes on; every user-facing failure is a ``PipelineError`` (or an ``OSError`` from the disk).
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import detect, inplace
from pipeline.document import Document
from pipeline.engines.registry import EngineSet
from pipeline.errors import PipelineError, unexpected
from pipeline.export import pandoc_server
from pipeline.export.atomic import remove_stale_parts
from pipeline.export.pool import WriterPool
from pipeline.export.writers import Output, outputs_for
from pipeline.incremental import (
    fingerprint,
    fingerprint_data,
    is_unchanged,
    mark_unchanged,
    pairs_of,
    stored_report,
    unchanged_before_reading,
)
from pipeline.ingest import file_sha256, find_sources, read_document
from pipeline.ingest.limits import Limits, check_regular_file, check_zip
from pipeline.jobs import (
    IDENTITY,
    INTERRUPTED,
    DocumentJob,
    Failure,
    Progress,
    RunOptions,
    RunResult,
    TargetResult,
)
from pipeline.memory import TranslationMemory
from pipeline.outnames import output_names
from pipeline.report import collect_qa, write_report
from pipeline.segment import RebuildStats, rebuild_block, segment_document
from pipeline.translate import translate_all, verify_glossary


def run_batch(
    options: RunOptions, progress: Progress | None = None, engines: EngineSet | None = None
) -> RunResult:
    """Translate every document in ``options.paths`` into every target language.

    Documents go through in waves of about ``options.wave_tokens`` tokens to translate: each
    wave is read, goes through the engine (one call per language pair, sorted batching inside)
    and is written out and released in the background while the next is read and translated,
    so memory stays flat however long the batch (two waves at most). A document whose outputs
    are up to date (``pipeline.incremental``) is skipped unless ``options.force``.
    """
    result = RunResult()
    sources = find_sources(
        options.paths, exclude=[options.out_dir], follow_links=options.follow_links
    )
    files = sources.files
    result.failures.extend(Failure(str(path), reason) for path, reason in sources.problems)
    result.skipped.extend(Failure(str(path), reason) for path, reason in sources.skipped)
    jobs = [
        DocumentJob(path=f, stem=s, out_dir=options.out_dir / s)
        for f, s in zip(files, output_names(files, options.paths), strict=True)
    ]
    result.jobs = jobs
    progress = _StreamedProgress(progress or Progress(), len(jobs) * len(options.targets))
    engines = engines or EngineSet(options.engine)
    memory = TranslationMemory(options.cache) if options.cache else None  # MemoryFileError: CLI
    try:
        with (
            ThreadPoolExecutor(max_workers=options.jobs) as pool,
            pandoc_server.serving(),
            WriterPool(options.jobs if len(jobs) > 1 else 1, options.stop) as writers,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="write-wave") as background,
        ):
            batch = _Batch(options, engines, memory, pool, writers, result, progress)
            writing: Future[None] | None = None  # the wave being written, in the background
            for wave in _waves(jobs, batch):
                _translate_wave(wave, batch)
                if writing is not None:
                    writing.result()  # wave k is written before wave k + 1 is
                writing = background.submit(_write_wave, wave, batch)
            if writing is not None:
                writing.result()
        result.warnings.extend(engines.notes)
        progress.add_segments(0)  # started even when no document needed translating
    finally:
        if memory is not None:
            memory.close()
    result.not_done.extend(
        str(j.path) for j in jobs if j.doc is None and j.error is None and not j.unchanged
    )
    result.reports = list(dict.fromkeys(result.reports))  # each report.json once
    return result


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
class _Batch:
    """What every stage of one run works with. ``result``'s lists are changed only under
    ``lock``: the main thread reads and translates while another writes the previous wave."""

    options: RunOptions
    engines: EngineSet
    memory: TranslationMemory | None
    pool: ThreadPoolExecutor  # reads --jobs documents at once
    writers: WriterPool
    result: RunResult
    progress: _StreamedProgress
    clock: _Clock = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)
    warm: bool = False  # the writer processes have been started

    def __post_init__(self) -> None:
        self.clock = _Clock(self.result.seconds)

    def fail(self, job: DocumentJob, reason: str) -> None:
        with self.lock:
            self.result.failures.append(Failure(str(job.path), reason))

    def reported(self, report: Path) -> None:
        with self.lock:
            self.result.reports.append(report)


_CJK_CHARACTER = re.compile(r"[^\u0000-\u2fff]")


def _tokens(text: str) -> int:
    """A rough count of engine tokens in ``text`` (words, and each CJK character)."""
    return len(text.split()) * 4 // 3 + len(_CJK_CHARACTER.findall(text))


def _waves(jobs: list[DocumentJob], batch: _Batch) -> Iterator[list[DocumentJob]]:
    """Prepared documents that need building, in waves of about ``options.wave_tokens``
    tokens; unchanged ones are marked and reported here and never reach a wave."""
    options = batch.options
    window = max(4, 2 * options.jobs)  # read ahead only this many documents at a time
    wave: list[DocumentJob] = []
    tokens = 0
    for first in range(0, len(jobs), window):
        if options.stop.is_set():
            break  # interrupted: the documents not read yet are not done (RunResult.not_done)
        with batch.clock.stage("prepare"):
            for job in _prepare_window(jobs[first : first + window], batch):
                wave.append(job)
                tokens += sum(
                    _tokens(t) for texts in pairs_of(job, options).values() for t in texts
                )
        if wave and not batch.warm:  # a document to write: the writers start meanwhile
            batch.writers.warm_up([o.write for o in outputs_for(options.formats)], options.targets)
            batch.warm = True
        if options.wave_tokens and tokens >= options.wave_tokens:
            yield wave
            wave, tokens = [], 0
    if wave:
        yield wave


def _prepare_window(batch_jobs: list[DocumentJob], batch: _Batch) -> list[DocumentJob]:
    """Hash, and where needed read, detect and segment a few documents in parallel; those
    whose outputs are up to date are marked unchanged, the others are returned to be built."""
    options, engines, memory = batch.options, batch.engines, batch.memory
    list(batch.pool.map(_read_source, batch_jobs))
    todo: list[tuple[DocumentJob, dict[str, Any] | None]] = []
    for job in batch_jobs:
        stored = None if options.force or job.error or not job.sha256 else stored_report(job)
        if stored is not None and unchanged_before_reading(job, options, engines, memory, stored):
            _mark_unchanged(job, stored, batch)
        elif not job.error:
            todo.append((job, stored))
    list(batch.pool.map(lambda item: _prepare(item[0], options), todo))
    for job in batch_jobs:
        if job.error:
            batch.fail(job, job.error)
    build = []
    for job, stored in todo:
        if job.error:
            continue
        with suppress(PipelineError):  # the translate stage says what is wrong with the memory
            job.fingerprint = fingerprint(job, options, engines, memory, stored)
        if stored is not None and job.fingerprint and is_unchanged(job, options, stored):
            _mark_unchanged(job, stored, batch)
        else:
            build.append(job)
    return build


def _mark_unchanged(job: DocumentJob, stored: dict[str, Any], batch: _Batch) -> None:
    """``job``'s outputs are up to date: report.json says so (with the fingerprint just
    computed, if any, so the next run decides without reading it) and nothing is rebuilt."""
    report = mark_unchanged(job, stored)
    if report is None:
        batch.fail(job, f"cannot write {job.out_dir / 'report.json'}")
        return
    job.unchanged = True
    batch.reported(report)
    job.release()
    for lang in batch.options.targets:
        batch.progress.output_done(f"{job.stem} → {lang} (unchanged)")


def _translate_wave(wave: list[DocumentJob], batch: _Batch) -> None:
    """Every segment of one wave through the engines (one call per language pair)."""
    options = batch.options
    # Every segment of every translated target, and foreign blocks in the source language's
    # own target: what translate_all reports done (translated, reused, kept or failed).
    batch.progress.add_segments(
        sum(
            1
            for job in wave
            if job.doc is not None
            for seg in job.segments
            for t in options.targets
            if t != job.doc.lang or seg.lang != t
        )
    )
    with batch.clock.stage("translate"):
        translate_all(wave, options, batch.engines, batch.progress, batch.memory)


@dataclass
class _Submitted:
    """One target's files handed to the writers, and the document they are written from."""

    target: TargetResult
    doc: Document | None = None  # None: nothing to write (interrupted, failed, or QA failed)
    files: list[tuple[Output, Path, Future[None]]] = field(default_factory=list)


def _write_wave(wave: list[DocumentJob], batch: _Batch) -> None:
    """Write one wave's documents and reports, and let go of their text. Runs in the
    background while the main thread prepares and translates the next wave: QA here, the
    files in the writer processes, several documents' files in flight at once."""
    with batch.clock.stage("write"):
        in_flight: deque[tuple[DocumentJob, list[_Submitted]]] = deque()
        ahead = 2 * batch.writers.workers  # documents whose files wait for a free writer
        for job in wave:
            remove_stale_parts(job.out_dir)  # left by an earlier run that was killed
            submitted = [
                _submit_target(job, job.targets[lang], batch) for lang in batch.options.targets
            ]
            in_flight.append((job, submitted))
            if len(in_flight) > ahead:
                _finish_document(*in_flight.popleft(), batch)
        while in_flight:
            _finish_document(*in_flight.popleft(), batch)


def _finish_document(job: DocumentJob, submitted: list[_Submitted], batch: _Batch) -> None:
    """Once its files are written: the leaflet and review files of each target, then
    report.json; the document's text is let go."""
    for item in submitted:
        _finish_target(job, item, batch.options)
        batch.progress.output_done(f"{job.stem} → {item.target.lang}")
    job.fingerprint_data = fingerprint_data(job)
    _report(job, batch)
    job.release()


def _read_source(job: DocumentJob) -> None:
    """The source file's SHA-256 (``job.sha256``); an unreadable file becomes ``job.error``."""
    try:
        job.sha256 = file_sha256(job.path)  # "" when it is not a file to read: _prepare says why
    except OSError as exc:
        job.error = f"cannot read: {exc.strerror or exc}"


def _report(job: DocumentJob, batch: _Batch) -> None:
    """Failures and report.json of one finished document. A document the run was interrupted
    before finishing keeps its earlier report.json unless one of its targets was written."""
    interrupted = [
        lang for lang, t in job.targets.items() if (t.error or "").startswith(INTERRUPTED)
    ]
    with batch.lock:
        batch.result.not_done.extend(f"{job.path} → {lang}" for lang in interrupted)
    for lang, target in job.targets.items():
        if target.error is not None and lang not in interrupted:
            batch.fail(job, f"{lang}: {target.error}")
    if job.targets and len(interrupted) == len(job.targets):
        return
    report = write_report(job)
    if report is not None:
        batch.reported(report)
    else:
        batch.fail(job, f"cannot write {job.out_dir / 'report.json'}")


def _prepare(job: DocumentJob, options: RunOptions) -> None:
    """Read, detect and segment one document; errors, even unforeseen ones, become
    ``job.error`` (one line) and the batch goes on."""
    if options.stop.is_set():
        return  # interrupted: neither read nor failed (RunResult.not_done)
    try:
        _read_detect_segment(job, options)
    except Exception as exc:  # a bug or a library failing oddly: this document's line only
        job.doc, job.error = None, unexpected(exc, "while reading")


def _read_detect_segment(job: DocumentJob, options: RunOptions) -> None:
    try:
        if inplace.supports(job.path) and not options.restyle:
            job.inplace = _read_in_place(job.path)
            doc = job.inplace.document
        else:
            doc = read_document(job.path)
    except PipelineError as exc:
        job.error = str(exc)
        return
    except OSError as exc:
        job.error = f"cannot read: {exc.strerror or exc}"
        return
    given = None if options.source_lang == "auto" else options.source_lang
    try:
        # With --from the document's language is given; its blocks are still detected.
        detected = detect.detect_document(doc, language=given, detector=options.detector)
    except PipelineError as exc:
        job.error = str(exc)
        return
    job.detection, job.language_given = detected, given is not None
    doc.lang, doc.lang_confidence = detected.language, detected.confidence
    if detected.warning and options.strict:
        job.error = f"{detected.warning} (refused with --strict)"
        return
    for block_lang in detected.foreign_blocks():
        doc.blocks[block_lang.index].lang = block_lang.language
    if doc.lang not in detect.TRANSLATABLE:
        job.error = f"{detect.unsupported_message(doc.lang or 'und')}; use --from to override"
        return
    job.doc = doc
    job.segmented = segment_document(doc, doc.lang)
    for lang in options.targets:
        job.targets[lang] = TargetResult(lang=lang)


def _read_in_place(path: Path) -> inplace.InplaceSource:
    """A file read for in-place translation, within the limits every reader keeps."""
    limits = Limits.from_env()
    if check_regular_file(path, limits).st_size and inplace.zipped(path):  # empty: inplace says
        check_zip(path, path.suffix.lower().lstrip("."), limits)
    return inplace.read(path)


def _submit_target(job: DocumentJob, target: TargetResult, batch: _Batch) -> _Submitted:
    """Glossary check and QA for one translated target, then its files handed to the
    writers; an unforeseen error becomes ``target.error`` (one line) and the other targets
    and documents go on."""
    submitted = _Submitted(target)
    options = batch.options
    try:
        if options.stop.is_set():
            target.error = target.error or INTERRUPTED
            return submitted
        if options.glossary is not None:
            target.glossary = verify_glossary(job, target, options.glossary)
        collect_qa(job, target, options.glossary)
        if target.error is not None:
            return submitted
        # Translated: reviewers get their files even if a PDF fails.
        submitted.doc = translated_document(job, target)
        if target.route is None:
            target.route = IDENTITY
        for output in outputs_for(options.formats, job.inplace, options.pdf_engine):
            path = output_path(job, target.lang, output.key)
            future = batch.writers.submit(
                output.write, submitted.doc, path, target.lang, job.path.name
            )
            submitted.files.append((output, path, future))
    except Exception as exc:
        target.error = target.error or unexpected(exc, "while writing")
    return submitted


def _finish_target(job: DocumentJob, submitted: _Submitted, options: RunOptions) -> None:
    """Wait for one target's files, then write its leaflet and review files."""
    target = submitted.target
    try:
        for output, path, future in submitted.files:
            _collect(target, output, path, future)
        if submitted.doc is None:
            return
        if target.error is None and options.layout != "document":
            doc = submitted.doc
            if job.inplace is not None:  # a leaflet shows the body, not headers and comments
                doc = inplace.body_document(job.inplace.skeleton, doc)
            _write_leaflet(job, target, doc, options)
        _write_review(job, target, options)
        if target.error is not None and options.stop.is_set():
            # A writer's subprocess can catch the terminal's Ctrl-C while it starts (before it
            # has its own process group): that file was interrupted, not bad; none is half-done.
            target.error = INTERRUPTED
    except Exception as exc:
        target.error = target.error or unexpected(exc, "while writing")


def _collect(target: TargetResult, output: Output, path: Path, future: Future[None]) -> None:
    """One file's outcome: recorded in ``target.outputs``, or its error (the first one) in
    ``target.error``; a file no writer had started when the run was interrupted is not done."""
    if future.cancelled():
        target.error = target.error or INTERRUPTED
        return
    try:
        with _target_fails_on_error(target, path):
            future.result()
            target.outputs[output.key] = str(path)
            if output.route == "in-place":
                target.output_route = "in-place"
    except Exception as exc:
        target.error = target.error or unexpected(exc, "while writing")


@contextmanager
def _target_fails_on_error(target: TargetResult, path: Path) -> Iterator[None]:
    """Writing ``path`` for ``target``: a ``PipelineError`` or ``OSError`` becomes
    ``target.error`` (one line, unless the target already failed) instead of stopping the
    batch."""
    try:
        yield
    except PipelineError as exc:
        target.error = target.error or str(exc)
    except OSError as exc:
        target.error = target.error or f"cannot write {path}: {exc.strerror or exc}"


def translated_document(job: DocumentJob, target: TargetResult) -> Document:
    """The job's document with every block's text replaced by the target translations."""
    assert job.doc is not None
    stats = RebuildStats()
    blocks = []
    cursor = 0
    for sb in job.segmented:
        n = len(sb.segments)
        blocks.append(
            rebuild_block(sb, target.translations[cursor : cursor + n], target.lang, stats)
        )
        cursor += n
    target.markers_repaired += stats.markers_repaired  # approved drafts with broken markers
    return Document(
        blocks=blocks,
        source_path=job.doc.source_path,
        source_format=job.doc.source_format,
        lang=target.lang,
        lang_confidence=1.0,
        metadata=dict(job.doc.metadata),
    )


def output_path(job: DocumentJob, lang: str, fmt: str) -> Path:
    return job.out_dir / f"{job.stem}.{lang}.{fmt}"


def _write_leaflet(
    job: DocumentJob, target: TargetResult, doc: Document, options: RunOptions
) -> None:
    from pipeline.leaflet import leaflet_filename, write_leaflet
    from pipeline.leaflet.config import LeafletConfig

    assert job.doc is not None
    if options.layout == "bilingual" and target.lang == job.doc.lang:
        return  # the original beside itself is not a bilingual edition
    name = leaflet_filename(
        job.stem,
        target.lang,
        options.layout,
        src=job.doc.lang,
        bw=options.bw,
        bleed=options.bleed,
        two_up=options.two_up,
    )
    with _target_fails_on_error(target, job.out_dir / name):
        result = write_leaflet(
            doc,
            job.out_dir / name,
            options.layout,
            options.leaflet_config or LeafletConfig(),
            lang=target.lang,
            original=job.doc
            if job.inplace is None
            else inplace.body_document(job.inplace.skeleton, job.doc),
            bleed=options.bleed,
            bw=options.bw,
            two_up=options.two_up,
        )
        target.outputs[options.layout] = str(result.path)
        target.leaflet = result.as_dict()


def _write_review(job: DocumentJob, target: TargetResult, options: RunOptions) -> None:
    """The segments sidecar always; the review DOCX and XLIFF with --review."""
    from pipeline.review import sidecar_path, write_sidecar

    assert job.doc is not None
    if job.doc.lang == target.lang:
        return  # nothing was translated, nothing to review
    route = target.route or IDENTITY
    path = sidecar_path(job.out_dir, job.stem, job.doc.lang or "", target.lang)
    try:
        write_sidecar(
            path,
            document=job.stem,
            src=job.doc.lang or "",
            tgt=target.lang,
            segments=target.review_entries,
            source_path=str(job.path),
            source_sha256=job.sha256,
            engine=route.engine,
            model=route.model or "",
        )
        if options.review:
            from pipeline.review import write_review_files  # python-docx: only when asked

            files = write_review_files(path)
            target.outputs["review_docx"] = str(files["docx"])
            target.outputs["xliff"] = str(files["xliff"])
    except (PipelineError, OSError) as exc:  # the review files' own wording, not the writers'
        target.error = target.error or f"cannot write review files: {exc}"
