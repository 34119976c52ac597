"""One batch: documents × target languages → translated DOCX/PDF files and report.json.

Orchestration only. Documents go through in waves (``RunOptions.wave_tokens`` tokens to
translate each), and within a wave each language pair goes through its engine in one call
(one Apertium process, one CTranslate2 batch sorted by length):

    prepare (read → detect → segment → fingerprint; unchanged documents stop here,
    ``pipeline.incremental``) → translate (``pipeline.translate``, per language pair) → write
    (rebuild, ``pipeline.export.writers``, leaflet, review files) → report (``pipeline.report``)
    → the wave's documents are released

A document or target that fails records one line (``job.error`` / ``target.error``) and the
batch goes on; every user-facing failure is a ``PipelineError`` (or an ``OSError`` from the disk).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from pipeline import detect
from pipeline.document import Document
from pipeline.engines.registry import EngineSet
from pipeline.errors import PipelineError
from pipeline.export import pandoc_server
from pipeline.export.pool import WriterPool
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
from pipeline.jobs import (
    IDENTITY,
    DocumentJob,
    Failure,
    Progress,
    RunOptions,
    RunResult,
    TargetResult,
)
from pipeline.memory import TranslationMemory
from pipeline.report import collect_qa, write_report
from pipeline.segment import RebuildStats, rebuild_block, segment_document
from pipeline.translate import translate_all, verify_glossary


def _stems(files: list[Path]) -> list[str]:
    seen: dict[str, int] = {}
    for f in files:
        seen[f.stem] = seen.get(f.stem, 0) + 1
    return [
        f.stem if seen[f.stem] == 1 else f"{f.stem}-{f.suffix.lstrip('.').lower()}" for f in files
    ]


def run_batch(
    options: RunOptions, progress: Progress | None = None, engines: EngineSet | None = None
) -> RunResult:
    """Translate every document in ``options.paths`` into every target language.

    Documents go through in waves of about ``options.wave_tokens`` tokens to translate: each
    wave is read, goes through the engine (one call per language pair, sorted batching inside)
    and is written out and released before the next is read, so memory stays flat however
    long the batch. A document whose outputs are up to date (``pipeline.incremental``) is
    skipped unless ``options.force``.
    """
    progress = progress or Progress()
    result = RunResult()
    sources = find_sources(
        options.paths, exclude=[options.out_dir], follow_links=options.follow_links
    )
    files = sources.files
    result.failures.extend(Failure(str(path), reason) for path, reason in sources.problems)
    result.skipped.extend(Failure(str(path), reason) for path, reason in sources.skipped)
    jobs = [
        DocumentJob(path=f, stem=s, out_dir=options.out_dir / s)
        for f, s in zip(files, _stems(files), strict=True)
    ]
    result.jobs = jobs
    progress.start(len(jobs) * len(options.targets), 0)
    engines = engines or EngineSet(options.engine)
    memory = TranslationMemory(options.cache) if options.cache else None  # MemoryFileError: CLI
    clock = _Clock(result.seconds)
    try:
        with (
            ThreadPoolExecutor(max_workers=options.jobs) as pool,
            pandoc_server.serving(),
            WriterPool(options.jobs if len(jobs) > 1 else 1) as writers,
        ):
            for wave in _waves(jobs, options, engines, memory, pool, result, progress, clock):
                _run_wave(wave, options, engines, memory, pool, writers, result, progress, clock)
        result.warnings.extend(engines.notes)
    finally:
        if memory is not None:
            memory.close()
    return result


class _Clock:
    """Seconds spent per stage, summed over the waves (``RunResult.seconds``)."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        for stage in ("prepare", "translate", "write"):
            seconds.setdefault(stage, 0.0)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started


def _tokens(text: str) -> int:
    """A rough count of engine tokens in ``text`` (words, and each CJK character)."""
    return len(text.split()) * 4 // 3 + sum(1 for c in text if c >= "\u3000")


def _waves(
    jobs: list[DocumentJob],
    options: RunOptions,
    engines: EngineSet,
    memory: TranslationMemory | None,
    pool: ThreadPoolExecutor,
    result: RunResult,
    progress: Progress,
    clock: _Clock,
) -> Iterator[list[DocumentJob]]:
    """Prepared documents that need building, in waves of about ``options.wave_tokens``
    tokens; unchanged ones are marked and reported here and never reach a wave."""
    window = max(4, 2 * options.jobs)  # read ahead only this many documents at a time
    wave: list[DocumentJob] = []
    tokens = 0
    for first in range(0, len(jobs), window):
        with clock.stage("prepare"):
            for job in _prepare_window(
                jobs[first : first + window], options, engines, memory, pool, result, progress
            ):
                wave.append(job)
                tokens += sum(
                    _tokens(t) for texts in pairs_of(job, options).values() for t in texts
                )
        if options.wave_tokens and tokens >= options.wave_tokens:
            yield wave
            wave, tokens = [], 0
    if wave:
        yield wave


def _prepare_window(
    batch: list[DocumentJob],
    options: RunOptions,
    engines: EngineSet,
    memory: TranslationMemory | None,
    pool: ThreadPoolExecutor,
    result: RunResult,
    progress: Progress,
) -> list[DocumentJob]:
    """Hash, and where needed read, detect and segment a few documents in parallel; those
    whose outputs are up to date are marked unchanged, the others are returned to be built."""
    list(pool.map(_read_source, batch))
    todo: list[tuple[DocumentJob, dict[str, Any] | None]] = []
    for job in batch:
        stored = None if options.force or job.error or not job.sha256 else stored_report(job)
        if stored is not None and unchanged_before_reading(job, options, engines, memory, stored):
            _mark_unchanged(job, stored, options, result, progress)
        elif not job.error:
            todo.append((job, stored))
    list(pool.map(lambda item: _prepare(item[0], options), todo))
    result.failures.extend(Failure(str(job.path), job.error) for job in batch if job.error)
    build = []
    for job, stored in todo:
        if job.error:
            continue
        with suppress(PipelineError):  # the translate stage says what is wrong with the memory
            job.fingerprint = fingerprint(job, options, engines, memory, stored)
        if stored is not None and job.fingerprint and is_unchanged(job, options, stored):
            _mark_unchanged(job, stored, options, result, progress)
        else:
            build.append(job)
    return build


def _mark_unchanged(
    job: DocumentJob,
    stored: dict[str, Any],
    options: RunOptions,
    result: RunResult,
    progress: Progress,
) -> None:
    """``job``'s outputs are up to date: report.json says so (with the fingerprint just
    computed, if any, so the next run decides without reading it) and nothing is rebuilt."""
    report = mark_unchanged(job, stored)
    if report is None:
        result.failures.append(
            Failure(str(job.path), f"cannot write {job.out_dir / 'report.json'}")
        )
        return
    job.unchanged = True
    result.reports.append(report)
    job.release()
    for lang in options.targets:
        progress.output_done(f"{job.stem} → {lang} (unchanged)")


def _run_wave(
    wave: list[DocumentJob],
    options: RunOptions,
    engines: EngineSet,
    memory: TranslationMemory | None,
    pool: ThreadPoolExecutor,
    writers: WriterPool,
    result: RunResult,
    progress: Progress,
    clock: _Clock,
) -> None:
    """Translate one wave, write its documents and reports, and let go of their text."""
    # Every segment of every translated target, and foreign blocks in the source language's
    # own target: what translate_all reports done (translated, reused, kept or failed).
    progress.more_segments(
        sum(
            1
            for job in wave
            if job.doc is not None
            for seg in job.segments
            for t in options.targets
            if t != job.doc.lang or seg.lang != t
        )
    )
    with clock.stage("translate"):
        translate_all(wave, options, engines, progress, memory)

    def finish(job: DocumentJob) -> None:
        for lang in options.targets:
            _finish_target(job, job.targets[lang], options, writers)
            progress.output_done(f"{job.stem} → {lang}")

    with clock.stage("write"):
        list(pool.map(finish, wave))
        for job in wave:
            for lang, target in job.targets.items():
                if target.error is not None:
                    result.failures.append(Failure(str(job.path), f"{lang}: {target.error}"))
            job.fingerprint_data = fingerprint_data(job)
            report = write_report(job)
            if report is not None:
                result.reports.append(report)
            else:
                result.failures.append(
                    Failure(str(job.path), f"cannot write {job.out_dir / 'report.json'}")
                )
            job.release()


def _read_source(job: DocumentJob) -> None:
    """The source file's SHA-256 (``job.sha256``); an unreadable file becomes ``job.error``."""
    try:
        job.sha256 = file_sha256(job.path)  # "" when it is not a file to read: _prepare says why
    except OSError as exc:
        job.error = f"cannot read: {exc.strerror or exc}"


def _prepare(job: DocumentJob, options: RunOptions) -> None:
    """Read, detect and segment one document; errors become ``job.error``."""
    try:
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


def _finish_target(
    job: DocumentJob, target: TargetResult, options: RunOptions, writers: WriterPool
) -> None:
    """Glossary check and QA for one translated target, then its files."""
    if options.glossary is not None:
        target.glossary = verify_glossary(job, target, options.glossary)
    collect_qa(job, target, options.glossary)
    if target.error is None:  # translated: reviewers get their files even if a PDF fails
        _write_outputs(job, target, options, writers)
        _write_review(job, target, options)


@contextmanager
def _target_fails_on_error(target: TargetResult, path: Path) -> Iterator[None]:
    """Writing ``path`` for ``target``: a ``PipelineError`` or ``OSError`` becomes
    ``target.error`` (one line) instead of stopping the batch."""
    try:
        yield
    except PipelineError as exc:
        target.error = str(exc)
    except OSError as exc:
        target.error = f"cannot write {path}: {exc.strerror or exc}"


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


def _write_outputs(
    job: DocumentJob, target: TargetResult, options: RunOptions, writers: WriterPool
) -> None:
    doc = translated_document(job, target)
    if target.route is None:
        target.route = IDENTITY
    for fmt in options.formats:
        path = output_path(job, target.lang, fmt)
        with _target_fails_on_error(target, path):
            writers.write(fmt, doc, path, target.lang, job.path.name)
            target.outputs[fmt] = str(path)
        if target.error is not None:
            return
    if options.layout != "document":
        _write_leaflet(job, target, doc, options)


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
            original=job.doc,
            bleed=options.bleed,
            bw=options.bw,
            two_up=options.two_up,
        )
        target.outputs[options.layout] = str(result.path)
        target.leaflet = result.as_dict()


def _write_review(job: DocumentJob, target: TargetResult, options: RunOptions) -> None:
    """The segments sidecar always; the review DOCX and XLIFF with --review."""
    from pipeline.review import sidecar_path, write_review_files, write_sidecar

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
            files = write_review_files(path)
            target.outputs["review_docx"] = str(files["docx"])
            target.outputs["xliff"] = str(files["xliff"])
    except (PipelineError, OSError) as exc:  # the review files' own wording, not the writers'
        target.error = target.error or f"cannot write review files: {exc}"
