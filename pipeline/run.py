"""One batch: documents × target languages → translated DOCX/PDF files and report.json.

Orchestration only. The stages run in this order for the whole batch, so that each language
pair goes through its engine in one call (one Apertium process, one CTranslate2 batch):

    prepare (read → detect → segment) → translate (``pipeline.translate``, per language pair)
    → write (rebuild, ``pipeline.export.writers``, leaflet, review files) → report
    (``pipeline.report``)

A document or target that fails records one line (``job.error`` / ``target.error``) and the
batch goes on; every user-facing failure is a ``PipelineError`` (or an ``OSError`` from the disk).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from pipeline import detect, inplace
from pipeline.document import Document
from pipeline.engines.registry import EngineSet
from pipeline.errors import PipelineError, unexpected
from pipeline.export.atomic import remove_stale_parts
from pipeline.export.writers import outputs_for
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
    """Translate every document in ``options.paths`` into every target language."""
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
        for f, s in zip(files, output_names(files, options.paths), strict=True)
    ]
    result.jobs = jobs

    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        list(pool.map(lambda job: _prepare(job, options), jobs))
    result.failures.extend(Failure(str(j.path), j.error) for j in jobs if j.error)

    ready = [j for j in jobs if j.doc is not None]
    # Every segment of every translated target, and foreign blocks in the source language's
    # own target: what translate_all reports done (translated, reused, kept or failed).
    total_segments = sum(
        1
        for j in ready
        if j.doc is not None
        for seg in j.segments
        for t in options.targets
        if t != j.doc.lang or seg.lang != t
    )
    progress.start(len(ready) * len(options.targets), total_segments)

    engines = engines or EngineSet(options.engine)
    memory = TranslationMemory(options.cache) if options.cache else None  # MemoryFileError: CLI
    try:
        translate_all(ready, options, engines, progress, memory)
        result.warnings.extend(engines.notes)
    finally:
        if memory is not None:
            memory.close()

    def finish(job: DocumentJob) -> None:
        remove_stale_parts(job.out_dir)  # left by an earlier run that was killed
        for lang in options.targets:
            _finish_target(job, job.targets[lang], options)
            progress.output_done(f"{job.stem} → {lang}")

    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        list(pool.map(finish, ready))
    for job in ready:
        _report(job, result)
    result.not_done.extend(str(j.path) for j in jobs if j.doc is None and j.error is None)
    result.reports = list(dict.fromkeys(result.reports))  # each report.json once
    return result


def _report(job: DocumentJob, result: RunResult) -> None:
    """Failures and report.json of one finished document. A document the run was interrupted
    before finishing keeps its earlier report.json unless one of its targets was written."""
    interrupted = [
        lang for lang, t in job.targets.items() if (t.error or "").startswith(INTERRUPTED)
    ]
    result.not_done.extend(f"{job.path} → {lang}" for lang in interrupted)
    for lang, target in job.targets.items():
        if target.error is not None and lang not in interrupted:
            result.failures.append(Failure(str(job.path), f"{lang}: {target.error}"))
    if job.targets and len(interrupted) == len(job.targets):
        return
    report = write_report(job)
    if report is not None:
        result.reports.append(report)
    else:
        result.failures.append(
            Failure(str(job.path), f"cannot write {job.out_dir / 'report.json'}")
        )


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
        job.sha256 = file_sha256(job.path)
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
    """A DOCX/ODT read for in-place translation, within the limits every reader keeps."""
    limits = Limits.from_env()
    if check_regular_file(path, limits).st_size:  # an empty file: inplace says so
        check_zip(path, path.suffix.lower().lstrip("."), limits)
    return inplace.read(path)


def _finish_target(job: DocumentJob, target: TargetResult, options: RunOptions) -> None:
    """Glossary check and QA for one translated target, then its files; an unforeseen error
    becomes ``target.error`` (one line) and the other targets and documents go on."""
    try:
        _check_and_write(job, target, options)
    except Exception as exc:
        target.error = target.error or unexpected(exc, "while writing")


def _check_and_write(job: DocumentJob, target: TargetResult, options: RunOptions) -> None:
    if options.stop.is_set():
        target.error = target.error or INTERRUPTED
        return
    if options.glossary is not None:
        target.glossary = verify_glossary(job, target, options.glossary)
    collect_qa(job, target, options.glossary)
    if target.error is None:  # translated: reviewers get their files even if a PDF fails
        _write_outputs(job, target, options)
        _write_review(job, target, options)
        if target.error is not None and options.stop.is_set():
            # A writer's subprocess can catch the terminal's Ctrl-C while it starts (before it
            # has its own process group): that file was interrupted, not bad; none is half-done.
            target.error = INTERRUPTED


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


def _write_outputs(job: DocumentJob, target: TargetResult, options: RunOptions) -> None:
    doc = translated_document(job, target)
    if target.route is None:
        target.route = IDENTITY
    for output in outputs_for(options.formats, job.inplace, options.pdf_engine):
        if options.stop.is_set():  # interrupted: the file just written is kept, no more
            target.error = INTERRUPTED
            return
        path = output_path(job, target.lang, output.key)
        with _target_fails_on_error(target, path):
            output.write(doc, path, target.lang, job.path.name)
            target.outputs[output.key] = str(path)
            if output.route == "in-place":
                target.output_route = "in-place"
        if target.error is not None:
            return
    if options.layout != "document":
        if job.inplace is not None:  # a leaflet shows the body, not headers and comments
            doc = inplace.body_document(job.inplace.skeleton, doc)
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
